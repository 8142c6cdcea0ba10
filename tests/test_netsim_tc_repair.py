"""TC repair by wants (protocol.netsim.node: HELLO option WANT): a node that
lacks the TC of a node its database names asks its neighbours for it; a
holder re-sends it, the originator sends its own again, a neighbour of the
originator relays the want. Bounded and rate-limited against an insider."""

import functools

from hypothesis import given, settings
from hypothesis import strategies as st
from test_netsim_security import GS, A, Attack, B, C, D, beacon, chain, late_joiner, ts_option

from protocol.netsim import node as N
from protocol.netsim.run import run_world


def first_delivery_us(w, src: int) -> float:
    return min(float(line.split()[0]) for line in w.engine.lines
               if line.split()[1] == "deliver" and line.split()[3] == str(src))


def test_a_joiner_gets_its_routes_from_wants_not_from_the_periodic_tcs():
    """19 powers on at 5 s at the end of a settled chain (1–16–17–18–19).
    Before, its route waited for the periodic TCs of 16, 17 and 18 and its
    flow delivered from 8.55 s (measured on 0a283d7). Now it asks for each
    TC its database names but lacks, one hop further at each HELLO, and
    delivers 1.45 s after power-on."""
    r, w = run_world(late_joiner(revoke=False), keep_trace=True)
    assert first_delivery_us(w, D) < 7.0e6  # 6.45 s
    assert r["counts"]["TCs re-sent for wants"] >= 3  # 17's, 16's and the station's TCs, by 18, 17, 16


def lose_tcs_of(at, orig: int, until_s: float) -> None:
    """Every other node misses ``orig``'s TCs until ``until_s``, and ``orig``
    sends no periodic TC (so only the repair can bring one)."""
    for a in (GS, A, B, C, D):
        if a == orig:
            continue
        nd = at.node(a)

        def deaf(f, radio, data, nd=nd, on_beacon=nd._on_beacon):
            if f["mesh"] is not None and f["mesh"]["originator"] == orig and at.w.engine.now < until_s * 1e6:
                return
            on_beacon(f, radio, data)
        nd._on_beacon = deaf
    at.node(orig)._tc_periodic = lambda: None


def test_a_tc_lost_everywhere_is_sent_again_by_its_originator():
    """Every drone misses the station's TCs of the first 1.2 s (broadcasts
    have no ACK) and the station sends no periodic TC (switched off here, so
    only the repair can bring it). Nobody holds one to re-send: 16, the
    station's neighbour, wants it, and the station sends its TC again once
    its last is REPAIR_US old; every drone holds it by 4 s."""
    at = Attack(chain(duration_s=4.5))
    lose_tcs_of(at, GS, until_s=1.2)
    at.probe(1.2, "early", lambda: ([GS in at.node(a).routing.lsdb for a in (A, B, C, D)],
                                    at.w.metrics.counts.get("own TCs sent again for wants", 0)))
    at.probe(4.0, "late", lambda: [GS in at.node(a).routing.lsdb for a in (A, B, C, D)])
    r = at.run()
    held, answered = at.seen["early"]
    assert held == [False] * 4 and at.seen["late"] == [True] * 4
    assert r["counts"]["own TCs sent again for wants"] > answered  # the repair brought it, after 1.2 s


def wants_hello(at, src: int, wants: bytes) -> bytes:
    now = at.w.engine.now
    body = {"capabilities": 0, "neighbours": [{"addr": a, "link_quality": 0x46, "rssi_dbm": -60} for a in (GS, B)]}
    f = beacon(src, body, now)
    f["options"] = [ts_option(now), {"type": N.WANT, "value": wants}]
    return at.node(src).fleet.protect_broadcast(f)


def test_an_insider_asking_for_everything_gets_each_tc_once_a_second():
    """16 (an insider: it holds the network key) sends 17 twenty HELLOs in a
    second, each wanting ten TCs (17's own, those 17 holds, made-up ones,
    and an odd byte): 17 reads the first MAX_WANTS of each, re-sends each
    held TC once, sends its own at most once (its last TC is 1 s old), answers
    at most MAX_WANTS wants of 16 in the second, and keeps one time per
    originator held."""
    at = Attack(chain(duration_s=4.0))
    wants = b"".join(x.to_bytes(2, "little") for x in (B, GS, C, D, 0x7777, 0xFFFF, A, 0x30, 0x31, 0x32)) + b"\x01"
    before = {}

    def start():
        before.update(at.w.metrics.counts)
        before["tc"] = at.node(B).last_tc
    at.at(2.0, start)
    for k in range(20):
        at.at(2.0 + k * 0.05, lambda: at.node(B).on_frame(wants_hello(at, A, wants), A, N.Meta("hello"),
                                                           at.w.engine.now))
    at.probe(3.0, "counts", lambda: dict(at.w.metrics.counts))
    at.probe(3.0, "resent", lambda: dict(at.node(B).resent))
    at.run()
    c = at.seen["counts"]
    resent = c.get("TCs re-sent for wants", 0) - before.get("TCs re-sent for wants", 0)
    own = c.get("own TCs sent again for wants", 0) - before.get("own TCs sent again for wants", 0)
    assert 1 <= resent <= 3 and own <= 1 and resent + own <= N.MAX_WANTS  # wants: B itself, GS, C, D
    assert set(at.seen["resent"]) <= {GS, C, D}


@functools.lru_cache(maxsize=1)
def settled_chain():
    at = Attack(chain(duration_s=1.2))
    at.run()
    return at


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(st.none(), st.binary(max_size=64)))
def test_any_want_value_is_read_safely_and_keeps_state_bounded(value):
    """Whatever a verified HELLO's WANT option holds, the node reads at most
    MAX_WANTS addresses, raises nothing, and keeps a time only for
    originators it holds and usable neighbours."""
    at = settled_chain()
    nd = at.node(B)
    nd.resent.clear()
    nd.answered.clear()
    nd._on_wants(A, value)
    assert set(nd.resent) <= {o for o in nd.routing.tc_bodies if nd.routing.reaches(o)}
    assert set(nd.answered) <= {A} and len(nd.resent) <= N.MAX_WANTS


def test_a_node_wants_nothing_once_its_database_is_whole():
    """In a settled chain every TC named is held: no HELLO carries wants."""
    at = Attack(chain(duration_s=4.0))
    at.run()
    now = at.w.engine.now
    assert all(at.node(a)._wants(now) == [] for a in (GS, A, B, C, D))


# ---------------------------------------------------------------- found by an attacker's review (helper 43)

def forged_tc(at, insider: int, orig: int, seq: int, links) -> bytes:
    now = at.w.engine.now
    body = {"capabilities": 0, "neighbours": [{"addr": a, "link_quality": 63 | 0x40, "rssi_dbm": 0} for a in links]}
    mesh = {"hop_limit": 1, "originator": orig, "final_dst": 0xFFFF, "mesh_seq": seq}
    return at.node(insider).fleet.protect_broadcast(beacon(insider, body, now, mesh))


def test_tcs_an_insider_forged_for_made_up_originators_are_not_re_sent():
    """Review: 17 (an insider) gave 16 and 18 sixteen forged TCs of made-up
    originators, each listing 255 made-up addresses (about 1.3 KB), then
    wanted them four at a time, four HELLOs a second: its neighbours re-sent
    18,220 bytes of TCs in a second for 216 bytes of HELLOs (84x). Now a
    held TC is re-sent only if its originator is reachable in the node's
    own graph (a made-up one never is), and at most MAX_WANTS answers go
    to one requester a second."""
    at = Attack(chain(duration_s=3.2, traffic=[]))
    forged = [0x0700 + k for k in range(16)]

    def setup():
        for o in forged:
            data = forged_tc(at, B, o, 1, [0x2000 + j for j in range(255)])
            for v in (A, C):
                at.node(v).on_frame(data, B, N.Meta("tc"), at.w.engine.now)
    at.at(1.95, setup)
    for k in range(4):
        at.at(2.0 + k / 4, lambda k=k: [at.node(v).on_frame(
            wants_hello(at, B, b"".join(forged[(4 * k + j) % 16].to_bytes(2, "little") for j in range(4))), B,
            N.Meta("hello"), at.w.engine.now) for v in (A, C)])
    at.probe(1.99, "before", lambda: at.w.metrics.counts.get("TCs re-sent for wants", 0))
    r = at.run()
    assert all(o in at.node(A).routing.tc_bodies for o in forged)  # held (the insider's forgery is accepted)...
    assert r["counts"].get("TCs re-sent for wants", 0) == at.seen["before"]  # ...and never re-sent


def test_a_hello_under_an_address_no_radio_has_does_not_stop_the_simulator():
    """Review: an insider's HELLO under source 0x0BAD listing 17 made 17 a
    keying candidate of an address the world does not know: KeyError, the
    simulator stopped (one frame from any enrolled node). Now the run goes
    on and 0x0BAD is never keyed."""
    at = Attack(chain(duration_s=3.0))
    ghost = 0x0BAD

    def inject():
        now = at.w.engine.now
        f = beacon(ghost, {"capabilities": 0, "neighbours": [{"addr": B, "link_quality": 0x3F, "rssi_dbm": -50}]}, now)
        at.node(B).on_frame(at.node(A).fleet.protect_broadcast(f), A, N.Meta("hello"), now)
    for k in range(6):
        at.at(2.0 + 0.1 * k, inject)
    at.run()
    assert ghost in at.node(B).routing.nbs and ghost not in at.node(B).keyed_peers


def test_forged_hellos_in_other_nodes_names_do_not_make_the_station_key_without_pause():
    """Review: 16 (an insider) sent the station 100 HELLOs a second in the
    names of 18 and 19 (alive, out of its reach) listing it; the station,
    keying a new candidate at the HELLO that makes it one, started 202
    handshakes in a second (4 before that change). Now a settled node keys
    at a HELLO at most every hello_fast_us (250 ms): at most 2 candidates x
    4 a second, plus its own HELLO's."""
    at = Attack(chain(duration_s=3.2))
    body = {"capabilities": 0, "neighbours": [{"addr": GS, "link_quality": 0x7F, "rssi_dbm": -50}]}

    def go():
        now = at.w.engine.now
        for src in (C, D):
            f = beacon(src, body, now)
            at.node(GS).on_frame(at.node(A).fleet.protect_broadcast(f), A, N.Meta("hello"), now)
    for k in range(100):
        at.at(2.0 + k / 100, go)
    at.probe(2.0, "k0", lambda: at.w.keying["started"])
    at.probe(3.0, "k1", lambda: at.w.keying["started"])
    at.run()
    assert at.seen["k1"] - at.seen["k0"] <= 12


def test_junk_wants_from_a_made_up_originator_do_not_starve_the_repair():
    """Review: one flooded TC of a made-up originator listing addresses 2-5
    made every node want [2, 3, 4, 5] for good (the first four of a sorted
    list), so a lost TC of 17 was never asked for. Now usable neighbours
    come first and the other wants rotate when more than MAX_WANTS are
    missing: 17's TC, lost everywhere before 1.2 s with its periodic TCs
    off, is held everywhere by 3 s."""
    at = Attack(chain(duration_s=3.5))
    lose_tcs_of(at, B, until_s=1.2)

    def junk():
        data = forged_tc(at, A, 0x0050, 7, [2, 3, 4, 5])
        for v in (GS, B):
            at.node(v).on_frame(data, A, N.Meta("tc"), at.w.engine.now)
    at.at(1.0, junk)
    at.probe(3.0, "held", lambda: [B in at.node(a).routing.lsdb for a in (GS, A, C, D)])
    at.run()
    assert at.seen["held"] == [True] * 4


def test_a_re_sent_tc_keeps_its_age_so_it_expires_with_the_original():
    """A TC re-sent for wants carries how long the sender has held it
    (option tc_age_ms; RFC 7181 §12.1 carries a validity time in the message
    for the same reason). Before, every receiver dated it at the re-send: 19,
    powering on at 5 s, held 17's TC as 93 ms old at 6 s while the nodes that
    got the flood held it as 2,057 ms old, and the re-send refreshed 16's and
    17's copies too — a TC of a node gone silent would have lived on while
    holders re-sent it to one another. Now every holder dates each TC within
    a flood's spread of the others."""
    at = Attack(late_joiner(revoke=False))

    def ages():
        now = at.w.engine.now
        out: dict = {}
        for a in (GS, A, B, C, D):
            for o, (seq, t, _) in at.node(a).routing.lsdb.items():
                out.setdefault((o, seq), []).append(now - t)
        return out
    at.probe(6.5, "ages", ages)
    r = at.run()
    assert r["counts"]["TCs re-sent for wants"] >= 3
    seen = at.seen["ages"]
    assert len(seen[(B, max(s for o, s in seen if o == B))]) == 4  # 17's TC: every other node holds it
    for (o, _), held in seen.items():
        assert max(held) - min(held) < 100e3, (o, held)


def test_link_state_dates_a_tc_by_the_age_it_carries():
    """LinkState.on_tc: an entry received with an age is dated that much
    earlier and expires a hold time after that; a later copy of the same TC
    never makes it older, and makes it fresher only by what it says."""
    from protocol.netsim import routing as R
    p = R.RoutingParams()
    ls = R.LinkState(5, {5: 0, 6: 1, 7: 2}, p, lambda a: True, 0.0, -95.0, False)
    body = {"capabilities": 0, "neighbours": [{"addr": 6, "link_quality": 0x40 | 30, "rssi_dbm": 0}]}
    ls.on_tc(7, 3, body, 6, now=20e6, age_us=4e6)
    assert ls.lsdb[7][1] == 16e6 and ls.tc_heard[7] == 20e6
    ls.on_tc(7, 3, body, 6, now=21e6, age_us=9e6)  # an older copy: the entry keeps its date
    assert ls.lsdb[7][1] == 16e6 and ls.tc_heard[7] == 21e6
    ls.on_tc(7, 3, body, 6, now=22e6, age_us=1e6)  # a fresher copy
    assert ls.lsdb[7][1] == 21e6
    ls.on_tc(7, 3, body, 6, now=23e6, age_us=-5e6)  # a negative age dates it no later than its arrival
    assert ls.lsdb[7][1] == 23e6
    ls.expire(23e6 + p.tc_hold_us - 1)
    assert 7 in ls.lsdb
    ls.expire(23e6 + p.tc_hold_us + 1)
    assert 7 not in ls.lsdb and 7 not in ls.tc_heard


def test_a_re_send_for_wants_never_replaces_a_queued_forward_of_the_same_tc():
    """A newer beacon under the same key replaces a queued one (mac.broadcast
    supersedes): a re-send for wants (hop limit 1) queued behind a forward of
    the same TC (hop limit 15) would have cut the flood at this node. The
    queued copy answers the want; no re-send is queued."""
    from protocol.netsim.node import Meta

    at = Attack(chain(duration_s=2.2))

    def go():
        nd, now = at.node(B), at.w.engine.now
        assert GS in nd.routing.lsdb
        forward = object()
        nd.mac.broadcast(b"forwarded TC of the station", Meta("tc", key=forward), power_dbm=nd.power, kind="tc",
                         supersedes=GS)
        before = at.w.metrics.counts.get("TCs re-sent for wants", 0)
        nd._resend_tc(GS, now)
        at.seen["after"] = (at.w.metrics.counts.get("TCs re-sent for wants", 0) - before,
                            nd.mac.bkeys[GS].meta.key is forward)
    at.at(2.0, go)
    at.run()
    assert at.seen["after"] == (0, True)


def test_a_forward_due_after_a_newer_tc_came_is_not_queued():
    """A TC's forward waits a jitter of up to 20 ms; a newer TC of the same
    originator arriving meanwhile is forwarded in turn. The older forward,
    queued later, replaced the newer one in the MAC's queue (mac.broadcast
    supersedes; found by a review: 17 sent 18's TC 3, never 4). Now a
    forward whose TC is no longer the newest held is not queued."""
    from test_netsim_security import tc_body

    from protocol import frames as F
    from protocol.netsim.node import Meta

    at = Attack(chain(duration_s=2.3))

    def go():
        nd, d = at.node(B), at.node(D)
        now = at.w.engine.now
        seq = at.node(B).routing.lsdb[C][0]
        frames = {}
        for s in (seq + 1, seq + 2):
            mesh = {"hop_limit": 14, "originator": C, "final_dst": F.BROADCAST, "mesh_seq": s}
            frames[s] = (from_d := beacon(D, tc_body([B, D]), now, mesh, seq=s & 0xFF)), mesh
            nd.on_frame(d.fleet.protect_broadcast(from_d), D, Meta("tc"), now)
        assert nd.routing.lsdb[C][0] == seq + 2
        before = nd.mac.stats["superseded"], len(nd.mac.bqueue)
        nd._forward_tc(frames[seq + 1][0], dict(frames[seq + 1][1], hop_limit=13))  # the older one's jitter ends
        at.seen["after"] = (nd.mac.stats["superseded"], len(nd.mac.bqueue)) == before
        nd._forward_tc(frames[seq + 2][0], dict(frames[seq + 2][1], hop_limit=13))  # the newer one's does
        at.seen["newer"] = nd.mac.bkeys[C].meta.kind
    at.at(2.2, go)
    at.run()
    assert at.seen["after"] and at.seen["newer"] == "tc"


def test_a_hello_that_replaces_a_queued_one_asks_for_what_it_would_have():
    """Wants rotate through the missing TCs, MAX_WANTS per HELLO. A HELLO
    that replaces a queued one (never sent) asks for the same originators,
    so a backlog that keeps replacing HELLOs cannot skip part of the
    rotation (a review's concern); once a HELLO has left, the turn moves."""
    at = Attack(chain(duration_s=2.3))

    def go():
        nd = at.node(B)
        missing = list(range(0x100, 0x10C))  # twelve made-up originators
        nd.routing.missing = lambda now: ([], missing)
        got = []

        def asked() -> list:
            [hello] = [it for it in nd.mac.bqueue if it.kind == "hello"]
            value = next(o["value"] for o in hello.data.options if o["type"] == N.WANT)
            return [int.from_bytes(value[k:k + 2], "little") for k in range(0, len(value), 2)]
        for _ in range(3):
            nd.send_hello()
            got.append(asked())
        while nd.mac.bqueue:  # the queued HELLO (and whatever is ahead of it) leaves
            nd.mac._pop_broadcast()
        nd.send_hello()
        got.append(asked())
        at.seen["got"] = got
    at.at(2.2, go)
    at.run()
    got = at.seen["got"]
    assert got[0] == got[1] == got[2] and len(got[0]) == N.MAX_WANTS
    assert got[3] != got[0] and not set(got[3]) & set(got[0])
