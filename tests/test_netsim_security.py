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
from protocol.netsim import routing as R
from protocol.netsim.node import Meta
from protocol.netsim.run import World, run_world
from protocol.netsim.scenario import validate
from protocol.security import nonce

GS, A, B, C, D = 1, 16, 17, 18, 19
GROUP = 0xFE01
NET = 0x4D53
TS_OPTION = F.OPTION_CODES["timestamp_us"]


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


# ---------------------------------------------------------------- the defences, in the fleet node

class Clock:
    def __init__(self):
        self.t = 10.0

    def __call__(self):
        return self.t


def fleet_nodes(*addresses, **limits):
    """An authority (suite 2, method 3) and nodes with a clock each (s)."""
    from protocol.fleet import FleetAuthority, Limits
    a = FleetAuthority(suite=2, method=3, net=NET)
    nodes = [a.enrol(x, clock=Clock(), limits=Limits(**limits)) for x in addresses]
    return a, nodes


def beacon_of(node, neighbours=(), src=None, mesh=None) -> bytes:
    body = {"capabilities": 0, "neighbours": [{"addr": x, "link_quality": 0x46, "rssi_dbm": -60} for x in neighbours]}
    return node.protect_broadcast({"type": "beacon", "version": 0, "seq": 1, "net": NET, "dst": F.BROADCAST,
                                   "src": node.address if src is None else src, "ack_req": False, "mesh": mesh,
                                   "options": None, "security": None, "body": body})


def state(node) -> tuple:
    return (dict(node.link.windows), dict(node.link.network), dict(node.link.pairwise), dict(node.link.group),
            dict(node.e2e.pairwise), dict(node.e2e.windows), node.keys.network_epoch, len(node.delivered))


def test_beacon_replays_are_refused_by_window_then_by_timestamp():
    """A HELLO is accepted once; its replay is refused by the sender's
    window; once the window is forgotten (the neighbour went silent) and
    the beacon window has passed, by its timestamp; frames from a clock
    more than the beacon window ahead, or with no timestamp, are refused
    before their MIC is checked. Refusals change nothing."""
    from protocol.security import ReplayError, SecurityError
    _, (n1, n2) = fleet_nodes(0x21, 0x22)
    h = beacon_of(n1, [0x22])
    f, replies = n2.accept(h)
    assert f["type"] == "beacon" and f["body"]["neighbours"][0]["addr"] == 0x22 and replies == []
    before = state(n2)
    with pytest.raises(ReplayError):
        n2.accept(h)
    n2.clock.t += 1.5  # beyond beacon_window_s = 1 s
    n2.forget_neighbour(0x21)
    with pytest.raises(SecurityError, match="timestamp"):
        n2.accept(h)
    n1.clock.t = n2.clock.t + 1.2  # a sender's clock (or a forger's timestamp) 1.2 s ahead
    with pytest.raises(SecurityError, match="timestamp"):
        n2.accept(beacon_of(n1))
    n1.clock.t = n2.clock.t
    untimed = codec.decode(beacon_of(n1))
    untimed["options"] = None
    with pytest.raises(SecurityError):
        n2.accept(codec.encode(untimed))
    assert state(n2)[1:] == before[1:] and len(state(n2)[0]) == len(before[0]) - 1  # only the forgotten window
    assert n2.accept(beacon_of(n1))[0] is not None  # a fresh one still verifies


def test_network_rekey_is_distributed_then_switched_then_the_revoked_key_is_refused():
    """Revocation moves the network key to a new epoch, sealed to every
    node but the revoked one. Nobody sends under it until every node holds
    it: a node that has it keeps verifying (and being verified by) nodes
    that do not yet; the station switches at the last ack, a node on the
    first frame that verifies under the new key, and from its switch a node
    accepts the old key network_overlap_s (1 s) longer, then refuses it —
    the revoked node's HELLOs and TCs with it."""
    from protocol.security import SecurityError
    a, (gs, n1, n2, r) = fleet_nodes(1, 0x21, 0x22, 0x23)
    old_key = gs.link.network_tx
    old_r = beacon_of(r, [0x21])
    frames = a.revoke(gs, 0x23, relayed=True)
    assert {codec.decode(f)["dst"] for f in frames} == {0x21, 0x22}  # the revoked node gets nothing
    new_key = gs.keys.pending_network
    assert new_key not in (None, old_key) and gs.link.network_tx == old_key and a.network_waiting == {0x21, 0x22}
    for f in [f for f in frames if codec.decode(f)["dst"] == 0x21]:
        [ack] = n1.receive(f)
        assert a.open_ack(gs, ack)["src"] == 0x21
    # n1 holds the new key, n2 not yet: they still verify each other, and the station both
    assert n1.keys.pending_network == new_key and n1.link.network_tx == old_key
    assert n2.accept(beacon_of(n1))[0] is not None and n1.accept(beacon_of(n2))[0] is not None
    assert n2.accept(beacon_of(gs))[0] is not None and gs.link.network_tx == old_key  # 0x22 has not acked
    for f in [f for f in frames if codec.decode(f)["dst"] == 0x22]:
        [ack] = n2.receive(f)
        a.open_ack(gs, ack)
    assert gs.link.network_tx == new_key and gs.keys.pending_network is None and a.network_sent is a.network
    assert n1.keys.network_epoch == gs.keys.network_epoch == 2 == r.keys.network_epoch + 1
    with pytest.raises(SecurityError, match="revoked"):
        n1.accept(old_r)  # its source is revoked anyway
    spoof = beacon_of(r, [0x21], src=0x24)  # the revoked node under another source, old key
    assert n1.accept(spoof)[0] is not None  # n1 has not switched: accepted (the residual window)
    assert n1.accept(beacon_of(gs))[0] is not None  # the station's first beacon under the new key ...
    assert n1.link.network_tx == new_key and n1.keys.pending_network is None  # ... switches n1
    assert n1.accept(beacon_of(r, [0x21], src=0x25))[0] is not None  # inside the overlap: still accepted
    n1.clock.t += 1.01
    r.clock.t = gs.clock.t = n1.clock.t
    spoof2 = beacon_of(r, [0x21], src=0x24)
    with pytest.raises(SecurityError, match="no key"):
        n1.accept(spoof2)
    assert n1.accept(beacon_of(gs))[0] is not None  # the station's beacons under the new key
    assert list(n1.link.network) == [gs.link.network_tx]


def test_only_a_frame_that_verifies_under_the_new_network_key_switches_a_node():
    """The attacker's try: the revoked node (it holds the old key only) seals
    a beacon under the new key's id with the old key's bytes, or with
    random ones, or replays an old-key beacon after the switch: refused or
    accepted, none of them moves the node to or from the new key."""
    import numpy as np

    from protocol.security import SecurityError
    rnd = np.random.default_rng(3)
    a, (gs, n1, r) = fleet_nodes(1, 0x21, 0x23)
    old_key = gs.link.network_tx
    old_bytes = r.link.network[old_key].key
    before_switch = beacon_of(gs)
    assert n1.accept(before_switch)[0] is not None
    frames = a.revoke(gs, 0x23, relayed=True)
    for f in frames:
        n1.receive(f)  # acks not returned: the station has not switched
    new_key = n1.keys.pending_network
    for key in (old_bytes, rnd.bytes(16)):
        frame = beacon(0x24, {"capabilities": 0, "neighbours": []}, n1.clock() * 1e6)
        forged = seal(frame, key, new_key, 7)
        with pytest.raises(SecurityError):
            n1.accept(forged)
        assert n1.link.network_tx == old_key and n1.keys.pending_network == new_key
    assert a.switch_network(gs) is True and a.switch_network(gs) is False  # the deadline; then nothing to do
    n1.accept(beacon_of(gs))
    assert n1.link.network_tx == new_key
    with pytest.raises(SecurityError):
        n1.accept(before_switch)  # an old-key frame replayed inside the overlap
    fresh_old = beacon_of(r, src=0x24)  # the revoked node's fresh old-key beacon: accepted inside the overlap ...
    assert n1.accept(fresh_old)[0] is not None
    assert n1.link.network_tx == new_key and n1.keys.pending_network is None  # ... and moves nothing back


def test_a_node_enrolled_during_a_rekey_gets_both_keys_and_two_rekeys_keep_the_fleet_together():
    """Enrolment while a new network key waits for its switch: the node
    sends under the key the station sends under and holds the new one
    pending. A second rekey before the first switch takes an id neither
    key in use has; the first pending key stays accepted beside it (the
    station may have switched to it already: dropping it cut a node off,
    found by review), and goes 1 s after the switch to the newest."""
    a, (gs, n1, r1, r2) = fleet_nodes(1, 0x21, 0x23, 0x24)
    sent = gs.link.network_tx
    first = [f for f in a.revoke(gs, 0x23, relayed=True) if codec.decode(f)["dst"] == 0x21]
    late = a.enrol(0x30, clock=Clock())
    assert late.link.network_tx == sent and late.keys.pending_network == gs.keys.pending_network
    for f in first:
        n1.receive(f)
    second = [f for f in a.revoke(gs, 0x24, relayed=True) if codec.decode(f)["dst"] == 0x21]
    for f in second:
        [ack] = n1.receive(f)
        a.open_ack(gs, ack)
    newest, between = a.network["key_id"], late.keys.pending_network
    assert n1.keys.network_epoch == 3 and n1.keys.pending_network == newest and len({sent, between, newest}) == 3
    assert sorted(n1.link.network) == sorted({sent, between, newest}) and gs.link.network_tx == sent  # 0x30: no ack
    assert n1.accept(beacon_of(gs))[0] is not None and gs.accept(beacon_of(n1))[0] is not None
    assert a.switch_network(gs) and n1.accept(beacon_of(gs))[0] is not None and n1.link.network_tx == newest
    for nd in (n1, gs):
        nd.clock.t += 1.01
    n1.accept(beacon_of(gs))
    assert sorted(n1.link.network) == [newest]


def test_delivery_key_frames_only_from_the_authority():
    """A group key sealed for a member several hops away (no pairwise key
    with the station) is installed and acknowledged; the same frame given
    to another node, altered by a relay, sealed under a guessed key, or
    replayed, is refused and changes nothing; a resend after the ack is
    not needed (None)."""
    import numpy as np

    from protocol.security import SecurityError
    rnd = np.random.default_rng(5)
    a, (gs, m, other) = fleet_nodes(1, 0x21, 0x22)
    frames = a.group_frames(gs, GROUP, [0x21, 0x22], relayed=True)
    to_m = [f for f in frames if codec.decode(f)["dst"] == 0x21]
    to_other = [f for f in frames if codec.decode(f)["dst"] == 0x22]
    assert 0x21 not in gs.link.pairwise and len(to_m) == 2
    for f in to_m[:1]:
        before = state(other)
        with pytest.raises(SecurityError):
            other.receive(bytes(f[:5]) + (0x22).to_bytes(2, "little") + f[7:-4] + crc32(
                bytes(f[:5]) + (0x22).to_bytes(2, "little") + f[7:-4]).to_bytes(4, "little"))
        assert state(other) == before
    altered = bytearray(to_m[1])
    altered[-6] ^= 1
    altered[-4:] = crc32(bytes(altered[:-4])).to_bytes(4, "little")
    guessed = codec.decode(to_m[1])
    forged = seal(dict(guessed, body={"group": GROUP, "epoch": 1, "key_id": 129, "wrapped_key": bytes(16)},
                       security=None), rnd.bytes(16), 0, 0)
    before = state(m)
    for bad in (bytes(altered), forged):
        with pytest.raises(SecurityError):
            m.receive(bad)
        assert state(m) == before
    acks = [m.receive(f)[0] for f in to_m]
    assert m.link.key_for(GROUP) is not None and m.link.key_for(GROUP).key == gs.link.key_for(GROUP).key
    with pytest.raises(SecurityError):
        m.receive(to_m[1])  # replayed
    for ack in acks:
        a.open_ack(gs, ack)
    assert all(a.resend(gs, f) is None for f in to_m)
    assert a.resend(gs, to_other[0]) is not None  # not acknowledged: sealed again
    m.receive(other.receive(to_other[0]) and b"" or gs.send(GROUP, "data", {"proto": "raw", "payload": b"x"}))
    assert m.delivered[-1]["body"]["payload"] == b"x"


def test_one_decode_per_received_frame(monkeypatch):
    """Node.receive of a secured frame parses it once (it decoded it twice:
    once to route it, once more inside SecureLink.unprotect)."""
    import protocol.codec as C
    _, (n1, n2) = fleet_nodes(0x21, 0x22)
    calls = []
    real = C.decode

    def counting(data):
        calls.append(1)
        return real(data)
    monkeypatch.setattr(C, "decode", counting)
    import protocol.fleet.node as fn
    monkeypatch.setattr(fn, "decode", counting)
    h = beacon_of(n1, [0x22])
    n2.receive(h)
    assert len(calls) == 1


def test_state_per_sender_is_bounded_even_for_an_insider():
    """An insider holding the network key seals beacons under 40 sources:
    a node keeps at most senders_per_key windows and refuses the rest (never
    evicting); the routing tables refuse new entries beyond their caps."""
    from protocol.netsim import routing as R
    from protocol.security import SecurityError
    _, (n1, n2) = fleet_nodes(0x21, 0x22, senders_per_key=8)
    refused = 0
    for src in range(0x100, 0x128):
        try:
            n2.accept(beacon_of(n1, src=src))
        except SecurityError:
            refused += 1
    assert len(n2.link.windows) == 8 and refused == 32
    ls = R.LinkState(1, {1: 0}, R.RoutingParams(), lambda a: True, 0.0, -95.0, False)
    view = R.HelloView({}, {}, [])
    assert all(ls.on_hello(a, view, 20.0, -60.0, 0.0) for a in range(2, 2 + R.MAX_NEIGHBOURS))
    assert not ls.on_hello(9999, view, 20.0, -60.0, 0.0) and len(ls.nbs) == R.MAX_NEIGHBOURS
    for o in range(2, 2 + R.MAX_ORIGINATORS + 5):
        ls.on_tc(o, 1, tc_body([]), 2, 0.0)
    assert len(ls.lsdb) == R.MAX_ORIGINATORS


def test_a_tc_ahead_of_its_originators_number_is_reclaimed():
    """A TC in a node's name with a number ahead of its own (an insider's
    forgery): the node takes a number past it, so its next TC supersedes
    the forgery everywhere."""
    from protocol.netsim import routing as R
    ls = R.LinkState(5, {5: 0}, R.RoutingParams(), lambda a: True, 0.0, -95.0, False)
    ls.tc_seq = 10
    assert ls.on_tc(5, 110, tc_body([]), 6, 0.0) is False
    assert ls.changed and ls.tc_seq == 110
    ls.tc_body(0.0)
    assert ls.tc_seq == 111
    ls.on_tc(5, 50, tc_body([]), 6, 0.0)  # behind: ignored
    assert ls.tc_seq == 111


# ---------------------------------------------------------------- the defences, in the simulated mesh

def test_members_several_hops_away_get_the_group_key_and_decrypt_commands():
    """17, 18 and 19 are 2, 3 and 4 hops from the station, with no pairwise
    key to it: their group key comes sealed end to end, relayed by 16 (not
    a member: it never holds the key), and they open the commands under it."""
    at = Attack(chain())
    r = at.run()
    w = at.w
    assert r["keying"]["groups_ms"][str(GROUP)] is not None and r["keying"]["groups_ms"][str(GROUP)] < 1500
    assert not {B, C, D} & set(at.node(GS).fleet.link.pairwise)
    assert at.node(A).fleet.link.key_for(GROUP) is None
    sent = r["delivery_ratio"]["flows"][1]
    assert sent > 0.95
    for m in (B, C, D):
        assert at.node(m).opened >= 12, (m, at.node(m).opened)  # commands from 1.5 s, every 100 ms
    assert r["loops"] == 0 and w.deliveries["acked"] == w.deliveries["sent"]


def test_a_sender_revoked_before_the_station_comes_up_gets_no_group_key():
    """The station powers on at 1.0 s; 19, which sends to the group, is
    revoked at 0.5 s, before the station opens the group. The group opens
    for its other members without 19 (it used to raise the authority's
    SecurityError out of run(): 19 was still in the group's charter as a
    sender — found by running random scenarios)."""
    sc = chain(duration_s=3.0, revocations=[{"at_s": 0.5, "node": D}])
    sc["nodes"][0]["join_s"] = 1.0
    sc["groups"] = {str(GROUP): [B, C]}
    sc["traffic"] = [{"src": D, "dst": GROUP, "size_bytes": 32, "interval_ms": 100}]
    r, w = run_world(sc)
    assert r["keying"]["groups_ms"][str(GROUP)] is not None
    for m in (B, C):
        assert w.nodes[w.index[m]].fleet.keys.groups[GROUP].keyed
    assert GROUP not in w.nodes[w.index[D]].fleet.keys.groups and r["delivery_ratio"]["flows"] == [0.0]


def test_a_revoked_member_cannot_open_commands_and_its_beacons_stop_counting():
    """19 (4 hops away) revoked at 2.0 s: the list, the group's next epoch
    and the next network key reach 17 and 18 end to end; the commands of
    the new epoch open at 17 and 18, never at 19 (tried with every command
    frame the station sent afterwards); after the overlap, 19's HELLOs and
    TCs are refused and no node counts a link to it."""
    from protocol.security import SecurityError
    at = Attack(chain(duration_s=4.0, revocations=[{"at_s": 2.0, "node": D}]))
    cmds = []
    station = at.node(GS).fleet
    real_send = station.send

    def spy(dst, ftype, body, **kw):
        out = real_send(dst, ftype, body, **kw)
        if dst == GROUP and at.w.engine.now > 2.6e6:
            cmds.append(out)
        return out
    station.send = spy
    opened = {}
    at.probe(2.6, "opened", lambda: {m: at.node(m).opened for m in (B, C)})
    r = at.run()
    assert cmds
    for m in (B, C):
        assert at.node(m).fleet.keys.groups[GROUP].epoch == 2 and at.node(m).fleet.keys.network_epoch == 2
        opened[m] = at.node(m).opened - at.seen["opened"][m]
        assert opened[m] >= 10, opened
    rv = at.node(D).fleet
    for c in cmds:
        with pytest.raises(SecurityError):
            rv.accept(c)
    assert all(D not in link for link in r["links"])
    assert r["counts"].get("security: SecurityError", 0) > 0  # 19's frames, refused
    assert at.node(C).routing.usable(D, at.w.engine.now) is False


def test_a_node_epochs_behind_never_takes_the_newest_key_for_its_own():
    """n2 misses the switch of a rekey the station made at its deadline, then
    gets the next key: the authority rotates network key ids over the pool,
    so the new id is not that of the key n2 still sends under — taking it
    for its own, n2 would send under the newest key at once and switch its
    neighbours and the station before the last ack (found by review)."""
    a, (gs, n1, n2, r1, r2) = fleet_nodes(1, 0x21, 0x22, 0x23, 0x24)
    ids = [gs.link.network_tx]
    for victim in (0x23, 0x24):
        for f in a.revoke(gs, victim, relayed=True):
            if codec.decode(f)["dst"] == 0x21:
                a.open_ack(gs, n1.receive(f)[0])
        ids.append(a.network["key_id"])
        assert a.switch_network(gs) and n1.accept(beacon_of(gs))[0] is not None
    assert len(set(ids)) == 3 and n2.link.network_tx == ids[0]  # n2 heard nothing: still on the first key
    frames = a.rekey_network(gs)
    for f in [f for f in frames if codec.decode(f)["dst"] == 0x22]:
        n2.receive(f)
    assert a.network["key_id"] not in ids and n2.link.network_tx == ids[0]
    assert n2.keys.pending_network == a.network["key_id"] and gs.link.network_tx == ids[2]


def test_a_second_rekey_soon_after_a_switch_cuts_no_node_off():
    """The station switched to key 1 at the last ack; n2 heard it, n1 not
    yet. 0.3 s later a second revocation brings key 2, and 0x22 does not
    acknowledge it. n1 still sends under key 0 and holds keys 1 and 2
    pending: the station and n2 accept key 0 (their overlap), and n1 keeps
    key 1 — dropping it for the newer one (found by review) left n1 unable
    to verify the station until key 2's switch."""
    a, (gs, n1, n2, r1, r2) = fleet_nodes(1, 0x21, 0x22, 0x23, 0x24)
    k0 = gs.link.network_tx
    for f in a.revoke(gs, 0x23, relayed=True):
        a.open_ack(gs, {0x21: n1, 0x22: n2, 0x24: r2}[codec.decode(f)["dst"]].receive(f)[0])
    k1 = gs.link.network_tx
    assert k1 != k0 and n2.accept(beacon_of(gs))[0] is not None and n2.link.network_tx == k1
    for nd in (gs, n1, n2):
        nd.clock.t += 0.3
    for f in a.revoke(gs, 0x24, relayed=True):
        if codec.decode(f)["dst"] == 0x21:
            a.open_ack(gs, n1.receive(f)[0])
        else:
            n2.receive(f)  # no ack: the station stays on key 1
    k2 = a.network["key_id"]
    assert n1.link.network_tx == k0 and sorted(n1.link.network) == sorted({k0, k1, k2})
    assert gs.accept(beacon_of(n1))[0] is not None and n2.accept(beacon_of(n1))[0] is not None
    assert n1.accept(beacon_of(gs))[0] is not None  # under key 1: n1 switches to it ...
    assert n1.link.network_tx == k1 and n1.keys.pending_network == k2  # ... and still waits for key 2


def test_a_station_that_switched_by_itself_gives_new_nodes_its_key():
    """No node acknowledges; the station switches at its own deadline (3 s)
    when it next sends. A node enrolled then sends under the station's new
    key, not the old one the station stops accepting 1 s later (found by
    review), and the authority's explicit switch has nothing left to do."""
    a, (gs, n1, r) = fleet_nodes(1, 0x21, 0x23)
    a.revoke(gs, 0x23, relayed=True)
    gs.clock.t += 3.1
    beacon_of(gs)
    assert gs.link.network_tx == a.network["key_id"]
    late = a.enrol(0x30, clock=Clock())
    late.clock.t = gs.clock.t = gs.clock.t + 1.1
    assert late.link.network_tx == gs.link.network_tx and gs.accept(beacon_of(late))[0] is not None
    assert a.switch_network(gs) is False


def test_a_node_kept_from_every_frame_under_the_new_key_switches_at_its_own_deadline():
    """A relay or jammer keeps every frame under the new key from n1: n1
    switches by itself network_switch_s after the key came, so the revoked
    node's old key is refused at n1 network_overlap_s later, not never."""
    from protocol.security import SecurityError
    a, (gs, n1, r) = fleet_nodes(1, 0x21, 0x23, network_switch_s=3.0)
    old_key = n1.link.network_tx
    for f in a.revoke(gs, 0x23, relayed=True):
        n1.receive(f)
    n1.clock.t += 2.9
    beacon_of(n1)
    assert n1.link.network_tx == old_key and n1.keys.pending_network is not None
    n1.clock.t += 0.2
    sent = codec.decode(beacon_of(n1))  # sending 3.1 s after the key came: switched first
    assert n1.link.network_tx != old_key and n1.keys.pending_network is None
    assert sent["security"]["key_id"] == n1.link.network_tx
    r.clock.t = n1.clock.t
    assert n1.accept(beacon_of(r, src=0x24))[0] is not None  # inside the overlap
    n1.clock.t += 1.0
    r.clock.t = n1.clock.t
    with pytest.raises(SecurityError, match="no key"):
        n1.accept(beacon_of(r, src=0x24))
    # the same when n1 neither sends nor hears anything until long after: the switch counts from the deadline
    a, (gs, n1, r) = fleet_nodes(1, 0x21, 0x23, network_switch_s=3.0)
    for f in a.revoke(gs, 0x23, relayed=True):
        n1.receive(f)
    n1.clock.t = r.clock.t = n1.clock.t + 1000.0
    with pytest.raises(SecurityError, match="no key"):
        n1.accept(beacon_of(r, src=0x24))


def test_an_old_deliverys_ack_does_not_count_for_the_network_key():
    """An ack names the low byte of the acknowledged counter only. n1 is
    out of reach: a sealed frame to it (counter 0) is given up, another is
    sent again 254 times (each time under a new counter). Replayed to n1
    after the revocation, the first draws an ack with low byte 0: the
    network key's delivery never shares that byte while the old frame
    awaits its ack, so the ack does not switch the station (found by
    review: the key's delivery took counter 256 and the ack switched it)."""
    a, (gs, n1, n2, r) = fleet_nodes(1, 0x21, 0x22, 0x23)
    given_up = a.seal(gs, 0x21, "handshake", {"session": 0, "message_no": 3, "message": b""})
    again = a.seal(gs, 0x21, "group_key", a.network)
    for _ in range(254):
        again = a.resend(gs, again)
    assert codec.decode(again)["security"]["counter"] == 255
    frames = a.revoke(gs, 0x23, relayed=True)
    for f in frames:
        d = codec.decode(f)
        assert d["dst"] != 0x21 or d["security"]["counter"] & 0xFF != 0
        if d["dst"] == 0x22:
            a.open_ack(gs, n2.receive(f)[0])
    [ack] = n1.receive(given_up)
    a.open_ack(gs, ack)
    assert a.network_waiting == {0x21} and gs.keys.pending_network == a.network["key_id"]


def test_a_later_revocation_does_not_push_back_the_deadline_of_an_earlier_one():
    """19 off at 1.0 s, 18 revoked at 1.5 s, 17 revoked at 3.0 s: 19 never
    acknowledges, and the station switches at the first revocation's
    deadline (4.5 s) to the newest key, serving both (found by review: it
    waited for the second's, 6.0 s)."""
    sc = chain(duration_s=5.0, revocations=[{"at_s": 1.5, "node": C}, {"at_s": 3.0, "node": B}],
               failures=[{"at_s": 1.0, "node": D}])
    sc["traffic"] = [{"src": A, "dst": GS, "size_bytes": 32, "interval_ms": 50}]
    r, w = run_world(sc)
    assert r["keying"]["network_switch_ms"] == [{"after_ms": 3000.0, "by": "deadline"},
                                                {"after_ms": 1500.0, "by": "deadline"}]
    assert {w.nodes[w.index[x]].fleet.link.network_tx for x in (GS, A)} == {w.authority.network["key_id"]}
    assert r["delivery_ratio"]["flows"] == [1.0]


def test_a_revocation_before_the_mesh_is_keyed_does_not_cut_the_fleet_off():
    """19 revoked at 0.1 s, before any route is keyed: the next network key
    reaches 16, 17 and 18 only once routes exist (~0.8 s later). The station
    switches at their last ack, not at the revocation — switching at once
    left 16..18 unable to verify anyone (this flow delivered 0 %) — and
    every node but 19 ends on the station's key, 19 without a link."""
    sc = chain(duration_s=4.0, revocations=[{"at_s": 0.1, "node": D}])
    sc["traffic"] = [{"src": C, "dst": GS, "size_bytes": 32, "interval_ms": 50}]
    r, w = run_world(sc)
    assert r["delivery_ratio"]["flows"] == [1.0]
    [switch] = r["keying"]["network_switch_ms"]
    assert switch["by"] == "acks" and 100 < switch["after_ms"] < 3000, switch
    station_key = w.station.fleet.link.network_tx
    for addr in (GS, A, B, C):
        fl = w.nodes[w.index[addr]].fleet
        assert fl.keys.network_epoch == 2 and fl.link.network_tx == station_key and fl.keys.pending_network is None
    assert w.nodes[w.index[D]].fleet.keys.network_epoch == 1 and all(D not in link for link in r["links"])


def test_a_node_that_never_acknowledges_holds_the_switch_until_the_deadline_only():
    """19 powered off at 1.0 s, 18 revoked at 1.5 s: 19 never acknowledges
    the next network key, so the station switches at the deadline
    (network_switch_s, 3 s) — that bounds how long 18's copy of the old key
    still opens HELLO and TC — and 16 and 17 follow it on its frames with
    no loss of the flow over them."""
    from protocol.security import SecurityError
    sc = chain(duration_s=6.0, revocations=[{"at_s": 1.5, "node": C}], failures=[{"at_s": 1.0, "node": D}])
    sc["traffic"] = [{"src": B, "dst": GS, "size_bytes": 32, "interval_ms": 50}]
    r, w = run_world(sc)
    assert r["keying"]["network_switch_ms"] == [{"after_ms": 3000.0, "by": "deadline"}]
    assert r["delivery_ratio"]["flows"] == [1.0]
    assert {w.nodes[w.index[x]].fleet.link.network_tx for x in (GS, A, B)} == {w.authority.network["key_id"]}
    assert all(C not in link for link in r["links"])
    spoof = beacon_of(w.nodes[w.index[C]].fleet, src=0x30)  # 18's old key at 6.0 s: past 4.5 + 1 s everywhere
    for x in (GS, A, B):
        with pytest.raises(SecurityError, match="no key"):
            w.nodes[w.index[x]].fleet.accept(spoof)


def test_insider_forged_tc_is_accepted_then_superseded_by_its_originator():
    """The residual (docs/threat_model.md): per-hop MICs under one network
    key do not say who originated a TC, so an insider (16, holding the
    network key) can forge 18's TC — an empty link list, a number 100 ahead
    — and 17 believes it. 18 hears the forgery too, takes a number past it
    and floods its real links: within 0.5 s 17 holds 18's real TC again."""
    at = Attack(chain())
    held = {}

    def forge():
        ins = at.node(A).fleet
        seq = (at.node(B).routing.lsdb[C][0] + 100) & 0xFFFF
        held["seq"] = seq
        mesh = {"hop_limit": 16, "originator": C, "final_dst": F.BROADCAST, "mesh_seq": seq}
        data = ins.protect_broadcast(beacon(A, tc_body([]), at.w.engine.now, mesh))
        for v in (B, C):  # the insider's broadcast, heard by 17 and by 18
            at.node(v).on_frame(data, A, Meta("tc"), at.w.engine.now)
        held["forged"] = at.node(B).routing.lsdb[C][::2]  # at once: 18's answer may be on the air within 1 ms
    at.at(2.0, forge)
    at.probe(2.5, "healed", lambda: at.node(B).routing.lsdb[C][::2])
    at.run()
    assert held["forged"] == (held["seq"], {}), "the insider's forgery was accepted (the documented residual)"
    seq, links = at.seen["healed"]
    assert 0 < (seq - held["seq"]) & 0xFFFF < 0x8000 and set(links) == {B, D}


# ---------------------------------------------------------------- rejoin after a missed rekey

X = 0x30  # a drone beside the chain, revoked at 1 s; 19 powers on at 5 s, after the switch it missed


def late_joiner(duration_s: float = 16.0, revoke: bool = True) -> dict:
    sc = chain(duration_s=duration_s, revocations=[{"at_s": 1.0, "node": X}] if revoke else [])
    sc["nodes"].append({"address": X, "position_m": [800, 300, 100]})
    sc["groups"] = {str(GROUP): [B, C, D, X]}
    for n in sc["nodes"]:
        if n["address"] == D:
            n["join_s"] = 5.0
    sc["traffic"] = [{"src": D, "dst": GS, "size_bytes": 32, "interval_ms": 50}]
    return sc


def test_a_drone_that_missed_a_rekey_rejoins_through_a_neighbour():
    """19 powers on at 5 s holding the network key of its enrolment; 0x30
    was revoked at 1 s and the fleet switched keys without 19. Its
    neighbours refuse its HELLOs and it cannot verify theirs (only the
    revoked 0x30 still talks to it, under the old key): before the rejoin
    path its flow delivered 0 % (measured). Now it hears a HELLO under a
    newer key id, keys a pairwise link with that neighbour by EDHOC, and
    sends the authority a rejoin request through it; the station's answer
    (revocation list, the group's charter and key of the epoch without
    0x30, network key), relayed back,
    lets it verify the next HELLO. It then delivers like a drone that
    joined with no revocation before it (all of the last 2 s; its routes
    come from the TCs it asks for, as any joiner's do), and holds the
    revocation; the revoked drone's own attempts get it nothing."""
    base, _ = run_world(late_joiner(revoke=False))
    r, w = run_world(late_joiner())
    [rejoin] = r["keying"]["rejoins_ms"]
    assert rejoin["node"] == D and rejoin["parent"] in (B, C) and rejoin["after_ms"] < 2000, rejoin
    d, x, gs = (w.nodes[w.index[a]].fleet for a in (D, X, GS))
    assert d.link.network_tx == gs.link.network_tx and d.keys.network_epoch == 2 and X in d.revoked
    assert d.keys.groups[GROUP].keyed and d.keys.groups[GROUP].charter.epoch == 2  # the epoch without 0x30
    assert r["counts"]["rejoins answered"] == 1 and r["counts"]["rejoin frames relayed"] >= 4
    tail = [v for t, v in r["delivery_over_time"] if t >= 14.0]
    assert tail == [v for t, v in base["delivery_over_time"] if t >= 14.0] == [1.0] * 4, tail
    assert x.keys.network_epoch == 1 and all(X not in link for link in r["links"])


@pytest.mark.parametrize("ahead", [True, False], ids=["newer-id", "older-id"])
def test_frames_under_made_up_key_ids_make_a_healthy_drone_ask_rarely(rnd, ahead, monkeypatch):
    """Outsider (A1): every 0.1 s from 3 s to 13 s, 17 (keyed, on the
    current key) hears a HELLO under a random key whose id is one step
    ahead of its own (or behind: what a neighbour that missed a rekey
    sends), with a fresh timestamp, from each of its fleet's addresses in
    turn. Ahead, it asks the authority for the keys it holds through a
    neighbour it is keyed with at 3, 7 and 13 s — after each answer that
    brought no newer key it waits twice as long (2, 4, 8 s) — and never
    more; behind, never. Its keys do not change, it remembers at most
    rejoin.CANDIDATES sources (set to 2 here, so that four sources
    overflow it), and the flow through it is untouched."""
    from protocol.netsim import rejoin
    monkeypatch.setattr(rejoin, "CANDIDATES", 2)
    at = Attack(chain(duration_s=14.0))
    victim = at.node(B)

    def spoof(src):
        def go():
            now = at.w.engine.now
            key_id = 128 + (victim.fleet.link.network_tx - 128 + (1 if ahead else -1)) % 128
            data = seal(beacon(src, tc_body([]), now), rnd.bytes(16), key_id, int(rnd.integers(0, 2**31)))
            victim.on_frame(data, src, Meta("hello"), now)
        return go
    starts = []
    at.w.engine.log = lambda kind, *f, log=at.w.engine.log: (starts.append(at.w.engine.now / 1e6)
                                                              if kind == "rejoin" else None, log(kind, *f))
    for k in range(101):
        at.at(3.0 + 0.1 * k, spoof((GS, A, C, D)[k % 4]))
    at.probe(2.9, "key", lambda: (victim.fleet.link.network_tx, victim.fleet.keys.network_epoch))
    r = at.run()
    assert [round(t, 1) for t in starts] == ([3.0, 7.0, 13.0] if ahead else []), starts
    assert r["counts"].get("rejoins answered", 0) == len(starts)
    assert (victim.fleet.link.network_tx, victim.fleet.keys.network_epoch) == at.seen["key"]
    assert (0 < len(victim.rejoin.candidates) <= 2 if ahead else victim.rejoin.candidates == [])
    assert r["keying"]["rejoins_ms"] == []
    assert r["delivery_ratio"]["flows"][0] == 1.0


def test_a_lure_of_made_up_sources_delays_a_rejoin_but_cannot_stop_it(rnd):
    """Outsider (A1), found by a review of the first rejoin: from 19's
    power-on at 5 s, 20 HELLOs a second under a made-up newer key id, with
    the addresses of seven fleet radios 19 cannot reach (the station and
    six drones parked beside it). The first version tried the lowest
    address first, evicted untried honest neighbours from its candidates
    and doubled its back-off after every failed handshake: 19 never
    rejoined (0 % of its flow in 60 s). Now candidates are a uniform sample
    of distinct sources, a handshake nobody answers is dropped at once
    with no back-off, and 19 rejoins through a real neighbour (7.8 s after
    its first attempt, against 0.26 s unattacked), then delivers all of its
    flow; its handshakes stay few (one per candidate tried, 2 s apart at
    most once the gap has grown)."""
    def run_it(attack: bool):
        sc = late_joiner(duration_s=24.0)
        for k, a in enumerate(range(2, 8)):
            sc["nodes"].append({"address": a, "position_m": [0, 60.0 * (k + 1), 100]})
        at = Attack(sc)
        victim = at.node(D)
        sources = [*range(2, 8), GS]

        def spoof(src):
            def go():
                now = at.w.engine.now
                key_id = 128 + (victim.fleet.link.network_tx - 128 + 1) % 128
                data = seal(beacon(src, tc_body([]), now), rnd.bytes(16), key_id, int(rnd.integers(0, 2**31)))
                victim.on_frame(data, src, Meta("hello"), now)
            return go
        if attack:
            for k in range(380):
                at.at(5.0 + 0.05 * k, spoof(sources[k % len(sources)]))
        return at.run(), victim

    calm, _ = run_it(False)
    r, victim = run_it(True)
    [first] = calm["keying"]["rejoins_ms"]
    [rejoin] = r["keying"]["rejoins_ms"]
    assert first["after_ms"] < 1000 and rejoin["node"] == D and rejoin["parent"] in (B, C), rejoin
    assert rejoin["after_ms"] < 12_000, rejoin
    assert victim.fleet.keys.network_epoch == 2 and X in victim.fleet.revoked
    assert [v for t, v in r["delivery_over_time"] if t >= 22.0] == [1.0] * 4
    assert r["counts"]["rejoin attempts"] < 60, r["counts"]  # 19's (and the revoked 0x30's) handshakes


def test_an_insiders_short_carried_frame_to_the_station_is_counted_not_a_crash():
    """Insider (A2), found by a review: a data frame with the CARRIED option
    and a payload too short to hold a frame, sent to the station under the
    sender's pairwise key, raised IndexError in the simulator (any enrolled
    node could stop it). Now each is counted and dropped."""
    at = Attack(chain(duration_s=3.0))

    def go():
        a, gs = at.node(A), at.node(GS)
        for k, payload in enumerate((b"", b"\x01", bytes(8))):
            mesh = {"hop_limit": 4, "originator": A, "final_dst": GS, "mesh_seq": 900 + k}
            f = a._frame("data", GS, {"proto": "raw", "payload": payload}, mesh=mesh,
                         options=[{"type": R.CARRIED, "value": b""}])
            gs.on_frame(a.fleet.link.protect(f), A, Meta("data", key=(A, 900 + k)), at.w.engine.now)
    at.at(2.5, go)
    r = at.run()
    assert r["counts"]["carried frame too short"] == 3


def test_an_insider_parent_that_drops_part_of_the_answer_is_not_picked_again():
    """Insider (A2), found by a second review: 18 (enrolled, not revoked)
    keys itself with 19 by EDHOC as 19 powers on (19 answers any valid
    certificate), then passes on only the station's statements of 19's
    rejoin answer and drops its keys. The version before took any opened
    station frame as an answer (so it backed off, 2 s doubling) and picked
    a keyed candidate first (18, every time): 19 never rejoined in 60 s.
    Now only the answer's network key counts as an answer, and a parent
    whose attempt failed loses its preference: 19's second attempt goes
    through another neighbour and it rejoins 2.1 s after its first."""
    from protocol import frames as F
    E = 0x20  # an honest drone 19 also hears
    sc = late_joiner(duration_s=20.0)
    sc["seed"] = 3
    sc["nodes"].append({"address": E, "position_m": [1400, 300, 100]})
    at = Attack(sc)
    insider = at.node(C)
    honest = insider._open_carried

    def drop_keys(meta, frame, t, origin=None):
        if len(frame) >= 9 and int.from_bytes(frame[5:7], "little") == D \
                and frame[0] >> 2 & 0xF != F.FRAME_TYPE_CODES["handshake"]:
            return
        honest(meta, frame, t, origin)
    insider._open_carried = drop_keys
    at.at(5.05, lambda: insider._start_handshake(D))
    parents = []
    at.w.engine.log = lambda kind, *f, log=at.w.engine.log: (parents.append(f[1]) if kind == "rejoin" and f[0] == D
                                                              else None, log(kind, *f))
    r = at.run()
    [rejoin] = [x for x in r["keying"]["rejoins_ms"] if x["node"] == D]
    assert parents[0] == C and C not in parents[1:] and rejoin["parent"] != C, (parents, rejoin)
    assert rejoin["after_ms"] < 3500 and at.node(D).fleet.keys.network_epoch == 2
    assert [v for t, v in r["delivery_over_time"] if t >= 18.0] == [1.0] * 4


def test_a_carried_frame_for_another_node_is_handed_on_only_from_the_station():
    """A rejoin parent hands the station's sealed frame for a node on to it.
    A second review noted that any carried frame for a keyed neighbour was
    handed on — one multicast from an insider, carrying a frame for node T,
    made every member keyed with T send T a copy. Now only a frame the
    station sent to this node itself is handed on: at 17 (keyed with 16 and
    18), a station's sealed frame for 18 that arrives as a group's copy or
    from the insider 16 is refused; from the station, handed on once."""
    at = Attack(chain(duration_s=3.0))

    def go():
        relay, gs = at.node(B), at.node(GS)
        assert relay._keyed(C)
        frame = at.w.authority.seal(gs.fleet, C, "group_key", at.w.authority.network)
        for k, origin in enumerate((None, A, GS)):
            relay._open_carried(Meta("key", key=(origin or 0, 700 + k), path=[]), frame, at.w.engine.now, origin)
    at.at(2.5, go)
    r = at.run()
    assert r["counts"]["carried frame for another node refused"] == 2
    assert r["counts"]["rejoin frames relayed"] == 1


def test_with_no_missed_rekey_the_rejoin_path_stays_silent():
    """The rejoin path must not touch a fleet that missed nothing. A first
    version sent a key frame with no route straight to a keyed neighbour
    even outside a rejoin (at start-up, before routes), which changed the
    101-node swarm's trace and its latency tail (p99.999 2,748 -> 3,662 µs)
    without a single rejoin; now that hop is taken only towards a keyed
    node that is not a neighbour in the routing table. A 10-drone swarm: no
    rejoin at all; a delivery for a neighbour whose link the MAC took down
    waits for a route, as before. The chain with 19 revoked at 2 s, every node on: only
    the revoked 19 tries (and gets nothing); no hop off the routes, nothing
    relayed for another node."""
    from protocol.netsim import swarms
    r = run_world(swarms.swarm(9, duration_s=6.0, seed=2))[0]
    assert not {k: v for k, v in r["counts"].items() if "rejoin" in k or "another node" in k}, r["counts"]
    at = Attack(chain(duration_s=3.0))  # the station's link to 16 down (MAC failures), a delivery for 16 then

    def go():
        gs = at.node(GS)
        gs.routing.link_down(A, at.w.engine.now)
        gs.carry(A, at.w.authority.seal(gs.fleet, A, "group_key", at.w.authority.network))
    at.at(2.5, go)
    r = at.run()
    assert "rejoin hops off the routes" not in r["counts"] and r["drops"].get("no loop-free route", 0) >= 1
    r, w = run_world(chain(duration_s=6.0, revocations=[{"at_s": 2.0, "node": D}]), keep_trace=True)
    tries = {line.split()[2] for line in w.engine.lines if line.split()[1] == "rejoin"}
    assert tries == {str(D)} and "rejoins answered" not in r["counts"], (tries, r["counts"])
    assert not {k for k in r["counts"] if k in ("rejoin hops off the routes", "rejoin frames relayed")
                or "another node" in k}, r["counts"]
