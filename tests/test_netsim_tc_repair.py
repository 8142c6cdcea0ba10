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


def test_a_tc_lost_everywhere_is_sent_again_by_its_originator():
    """Every drone misses the station's TCs of the first 1.2 s (broadcasts
    have no ACK) and the station sends no periodic TC (switched off here, so
    only the repair can bring it). Nobody holds one to re-send: 16, the
    station's neighbour, wants it, and the station sends its TC again once
    its last is REPAIR_US old; every drone holds it by 4 s."""
    at = Attack(chain(duration_s=4.5))
    for a in (A, B, C, D):
        nd = at.node(a)

        def deaf(f, radio, data, nd=nd, on_beacon=nd._on_beacon):
            if f["mesh"] is not None and f["mesh"]["originator"] == GS and at.w.engine.now < 1.2e6:
                return
            on_beacon(f, radio, data)
        nd._on_beacon = deaf
    at.node(GS)._tc_periodic = lambda: None
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
    held TC once, its own at most every tc_min_us (200 ms), and keeps one
    time per originator held."""
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
    assert 1 <= resent <= 3 and 1 <= own <= 5  # GS, C, D held (the first four wants: B itself, GS, C, D)
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
    nd.relayed_wants.clear()
    nd._on_wants(A, value)
    now = at.w.engine.now
    assert set(nd.resent) <= set(nd.routing.tc_bodies)
    assert set(nd.relayed_wants) <= {a for a in nd.routing.nbs if nd.routing.usable(a, now)}
    assert len(nd.resent) + len(nd.relayed_wants) <= N.MAX_WANTS


def test_a_node_wants_nothing_once_its_database_is_whole():
    """In a settled chain every TC named is held: no HELLO carries wants."""
    at = Attack(chain(duration_s=4.0))
    at.run()
    now = at.w.engine.now
    assert all(at.node(a)._wants(now) == [] for a in (GS, A, B, C, D))
