"""Attacks on the mesh's routing control (HELLO, TC) and on group keys in
the network simulator, written before the defences (docs/threat_model.md,
"Routing control and multi-hop keys").

The network is a chain, ground station 1 — 16 — 17 — 18 — 19, 400 m apart
(no shadowing or fading: only neighbours hear each other), so 19 reaches
the station over 4 hops and members 17, 18, 19 of group 0xFE01 are 2, 3
and 4 hops from their controller. The attacker is a radio (A1: no fleet
certificate, no key) or an insider (A2/A3: an enrolled or revoked node's
keys). Its frames are delivered to the victim's node as the radio would
(``SimNode.on_frame``: the bytes and the transmitting radio), at a chosen
simulated time; probes record the victim's state shortly after.

Forged secured frames are sealed here, from the primitives (CCM* of
:class:`crypto.aead.CCMStar`, the nonce layout of protocol/security.py),
with a key the attacker guessed, never with the code under attack."""

import os

import pytest

from crypto.aead import CCMStar
from mesh_phy.coding.crc import crc32
from protocol import codec
from protocol import frames as F
from protocol.netsim.node import Meta
from protocol.netsim.run import World
from protocol.netsim.scenario import validate
from protocol.security import nonce

GS, A, B, C, D = 1, 16, 17, 18, 19
GROUP = 0xFE01
NET = 0x4D53
TS_OPTION = 1  # protocol.frames.OPTION_TYPES: timestamp_us


def chain(duration_s: float = 3.0, **extra) -> dict:
    nodes = [{"address": GS, "role": "ground", "position_m": [0, 0, 30]}]
    nodes += [{"address": a, "position_m": [400.0 * (k + 1), 0, 100]} for k, a in enumerate((A, B, C, D))]
    sc = {"seed": 2, "duration_s": duration_s, "warmup_s": 1.5, "nodes": nodes,
          "propagation": {"shadowing": False, "fading": False}, "security": {"suite": 2},
          "groups": {str(GROUP): [B, C, D]},
          "traffic": [{"src": D, "dst": GS, "size_bytes": 32, "interval_ms": 50},
                      {"src": GS, "dst": GROUP, "size_bytes": 32, "interval_ms": 100}]}
    sc.update(extra)
    return sc


class Attack:
    """A world with scheduled injections and probes."""

    def __init__(self, sc: dict):
        self.w = World(validate(sc))
        self.seen: dict = {}

    def node(self, address: int):
        return self.w.nodes[self.w.index[address]]

    def inject(self, at_s: float, victim: int, data: bytes, radio: int, kind: str) -> None:
        """``data`` heard by ``victim`` at ``at_s`` from the radio at node ``radio``'s position."""
        def go():
            self.node(victim).on_frame(data, radio, Meta(kind), self.w.engine.now)
        self.w.engine.at(at_s * 1e6, go)

    def probe(self, at_s: float, name: str, fn) -> None:
        self.w.engine.at(at_s * 1e6, lambda: self.seen.__setitem__(name, fn()))

    def at(self, at_s: float, fn) -> None:
        self.w.engine.at(at_s * 1e6, fn)

    def run(self) -> dict:
        return self.w.run()


def ts_option(now_us: float) -> dict:
    return {"type": TS_OPTION, "value": (int(now_us) & 0xFFFFFFFF).to_bytes(4, "little")}


def beacon(src: int, body: dict, now_us: float, mesh: dict | None = None, seq: int = 7) -> dict:
    return {"type": "beacon", "version": 0, "seq": seq, "net": NET, "dst": F.BROADCAST, "src": src,
            "ack_req": False, "mesh": mesh, "options": [ts_option(now_us)], "security": None, "body": body}


def seal(frame: dict, key: bytes, key_id: int, counter: int, mic_len: int = 8, cipher: str = "aes") -> bytes:
    """The attacker's own CCM* sealing (nonce and header layout of protocol/security.py)."""
    body = codec.encode_body(frame["type"], frame["body"])
    sec = dict(frame, body=None, security={"key_id": key_id, "counter": counter, "mic_len": mic_len},
               ciphertext=bytes(len(body)), mic=bytes(mic_len))
    header = codec.encode(sec)[:-(4 + len(body) + mic_len)]
    out = header + CCMStar(key, cipher, mic_len).encrypt(nonce(frame["src"], NET, key_id, counter, mic_len),
                                                          body, header)
    return out + crc32(out).to_bytes(4, "little")


def network_key_id(node) -> int:
    return getattr(node.fleet.link, "network_tx", None) or 0


def forged_variants(frame: dict, node, rnd) -> list:
    """What an outsider can put on the air: the frame unsecured, and sealed
    under a random key with the fleet's current network key id."""
    return [codec.encode(frame), seal(frame, rnd.bytes(16), network_key_id(node), int(rnd.integers(0, 2**31)))]


def tc_body(links: list) -> dict:
    return {"capabilities": 0, "neighbours": [{"addr": a, "link_quality": 63 | 0x40, "rssi_dbm": 0} for a in links]}


@pytest.fixture
def rnd():
    import numpy as np
    seed = int(os.environ.get("SEED") or np.random.SeedSequence().entropy % 2**32)
    print(f"random seed: {seed} (rerun with SEED={seed})")
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- outsider (A1)

@pytest.mark.parametrize("variant", [0, 1], ids=["unsecured", "random-key"])
def test_outsider_tc_cannot_black_hole_a_destination(rnd, variant):
    """A forged TC of node 18 with an empty link list and a sequence number
    100 ahead: 19 would lose its route to the station, and 18's genuine TCs
    (older numbers) would be refused for 32,768 more TCs."""
    at = Attack(chain())
    held = {}

    def forge():
        v = at.node(D)
        seq = (v.routing.lsdb.get(C, (0,))[0] + 100) & 0xFFFF
        held["seq"] = seq
        mesh = {"hop_limit": 16, "originator": C, "final_dst": F.BROADCAST, "mesh_seq": seq}
        data = forged_variants(beacon(C, tc_body([]), at.w.engine.now, mesh), v, rnd)[variant]
        v.on_frame(data, C, Meta("tc"), at.w.engine.now)
    at.probe(2.0, "before", lambda: at.node(D).routing.next_hop(GS, at.w.engine.now))
    at.at(2.001, forge)
    at.probe(2.002, "after", lambda: at.node(D).routing.next_hop(GS, at.w.engine.now + 1e6))
    at.probe(2.9, "seq", lambda: at.node(D).routing.lsdb.get(C, (None,))[0])
    r = at.run()
    assert at.seen["before"] == C
    assert at.seen["after"] == C, "the forged TC cut 19 off the station"
    assert at.seen["seq"] != held["seq"]
    assert r["delivery_ratio"]["flows"][0] > 0.95


@pytest.mark.parametrize("variant", [0, 1], ids=["unsecured", "random-key"])
def test_outsider_tc_cannot_fake_a_link(rnd, variant):
    """Forged TCs of 16 and 19, each claiming a cheap link to the other (a
    wormhole): the station would route to 19 over 2 hops instead of 4."""
    at = Attack(chain())

    def forge():
        g = at.node(GS)
        for orig, other in ((A, D), (D, A)):
            seq = (g.routing.lsdb.get(orig, (0,))[0] + 1) & 0xFFFF
            mesh = {"hop_limit": 16, "originator": orig, "final_dst": F.BROADCAST, "mesh_seq": seq}
            data = forged_variants(beacon(A, tc_body([other, GS if orig == A else C]), at.w.engine.now, mesh), g,
                                   rnd)[variant]
            g.on_frame(data, A, Meta("tc"), at.w.engine.now)
    at.probe(2.0, "before", lambda: at.node(GS).routing.distance(D, at.w.engine.now + 1e6))
    at.at(2.001, forge)
    at.probe(2.002, "after", lambda: at.node(GS).routing.distance(D, at.w.engine.now + 1e6))
    at.run()
    assert at.seen["before"] == at.seen["after"], "the forged link shortened the route"


@pytest.mark.parametrize("variant", [0, 1], ids=["unsecured", "random-key"])
def test_outsider_hello_cannot_break_a_link(rnd, variant):
    """A HELLO spoofed from 18 that does not list 19: 19 would take the link
    down (not symmetric) and lose every route."""
    at = Attack(chain())

    def forge():
        v = at.node(D)
        body = {"capabilities": 0, "neighbours": []}
        data = forged_variants(beacon(C, body, at.w.engine.now), v, rnd)[variant]
        v.on_frame(data, C, Meta("hello"), at.w.engine.now)
    at.at(2.001, forge)
    at.probe(2.002, "usable", lambda: at.node(D).routing.usable(C, at.w.engine.now))
    at.run()
    assert at.seen["usable"], "the spoofed HELLO broke the link"


def test_forged_tc_is_not_relayed_by_an_honest_mpr(rnd):
    """A forged TC of a node that does not exist, injected at 17 as if from
    19 (which chose 17 as its MPR): 17 would store and re-broadcast it
    under its own address, and its neighbours would believe it."""
    at = Attack(chain())
    ghost = 0x0BAD

    def forge():
        m = at.node(B)
        mesh = {"hop_limit": 16, "originator": ghost, "final_dst": F.BROADCAST, "mesh_seq": 5}
        for data in forged_variants(beacon(D, tc_body([A, B, C]), at.w.engine.now, mesh), m, rnd):
            m.on_frame(data, D, Meta("tc"), at.w.engine.now)
    at.probe(2.0, "selects", lambda: at.node(B).routing.nbs[D].selects_me)
    at.at(2.001, forge)
    at.run()
    assert at.seen["selects"], "set-up: 19 must have chosen 17 as MPR"
    for a in (B, A, C):
        assert ghost not in at.node(a).routing.lsdb, f"{a} believes the forged TC"


def test_replayed_hello_does_not_resurrect_a_dead_link():
    """18's last HELLO, recorded from the air, replayed to 19 after 18 died
    and 19's MAC took the link down: 19 would bring the link back up (a sign
    of life) and keep routing into the dead node."""
    at = Attack(chain(failures=[{"at_s": 1.9, "node": C}]))
    rec = {}
    orig = at.w.deliver

    def spy(rx, data, src, meta, t):
        if at.w.addrs[rx] == D and at.w.addrs[src] == C and meta.kind == "hello":
            rec["hello"] = data
        return orig(rx, data, src, meta, t)
    at.w.deliver = spy

    def replay():
        at.node(D).on_frame(rec["hello"], C, Meta("hello"), at.w.engine.now)
    at.probe(2.55, "down", lambda: at.node(D).routing.usable(C, at.w.engine.now))
    at.at(2.6, replay)
    at.probe(2.601, "after", lambda: at.node(D).routing.usable(C, at.w.engine.now))
    at.run()
    assert "hello" in rec and at.seen["down"] is False, "set-up: the MAC must have taken the link down"
    assert at.seen["after"] is False, "the replayed HELLO brought a dead link back"


def test_replayed_tc_changes_nothing():
    """The latest TC of 18, recorded and replayed to 19 after 18 died: 19
    would refresh 18's database entry (same number: 'still alive')."""
    at = Attack(chain(failures=[{"at_s": 1.9, "node": C}]))
    rec = {}
    orig = at.w.deliver

    def spy(rx, data, src, meta, t):
        if at.w.addrs[rx] == D and at.w.addrs[src] == C and meta.kind == "tc" \
                and codec.decode(data)["mesh"]["originator"] == C:
            rec["tc"] = data
        return orig(rx, data, src, meta, t)
    at.w.deliver = spy

    def replay():
        at.node(D).on_frame(rec["tc"], C, Meta("tc"), at.w.engine.now)
    at.probe(2.5, "before", lambda: at.node(D).routing.lsdb.get(C, (0, None))[1])
    at.at(2.6, replay)
    at.probe(2.601, "after", lambda: at.node(D).routing.lsdb.get(C, (0, None))[1])
    at.run()
    assert "tc" in rec and at.seen["before"] is not None
    assert at.seen["after"] == at.seen["before"], "the replayed TC refreshed a dead node's entry"


def test_forged_sources_leave_no_state(rnd):
    """2,000 HELLOs and TCs from forged sources and originators (unsecured,
    and sealed under random keys): the victim's neighbour table, link-state
    database, replay windows and slot claims are unchanged."""
    at = Attack(chain())

    def snapshot():
        v = at.node(B)
        return (sorted(v.routing.nbs), sorted(v.routing.lsdb), len(v.fleet.link.windows),
                dict(v.slots.one_hop))

    def flood():
        v = at.node(B)
        now = at.w.engine.now
        for k in range(1000):
            src = int(rnd.integers(0x0100, 0xFD00))
            hello = beacon(src, {"capabilities": 0, "neighbours": [{"addr": B, "link_quality": 0x7F,
                                                                    "rssi_dbm": -40}]}, now)
            mesh = {"hop_limit": 16, "originator": src, "final_dst": F.BROADCAST, "mesh_seq": k}
            tc = beacon(src, tc_body([B]), now, mesh)
            for f, kind in ((hello, "hello"), (tc, "tc")):
                data = forged_variants(f, v, rnd)[k % 2]
                v.on_frame(data, A, Meta(kind), now)
        at.seen["flooded"] = snapshot()
    at.probe(2.0, "before", snapshot)
    at.at(2.0, flood)
    at.run()
    assert at.seen["flooded"] == at.seen["before"]
