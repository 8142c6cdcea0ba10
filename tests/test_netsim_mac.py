"""The MAC's ground-station chains (protocol.netsim.mac): a multi-chain ground
station sends a multicast fan-out's copies in parallel on different channels,
never two frames on one channel or to one destination at once; a one-chain
station never overlaps its own frames (its receive radio's ACKs aside); drones never overlap their own
transmissions (an ACK included); concurrent transmissions add their supply
currents (protocol.netsim.energy)."""

import copy
import json
from pathlib import Path

import pytest

from protocol.netsim import medium, run
from protocol.netsim.energy import Currents, EnergyMeter

ROOT = Path(__file__).resolve().parent.parent


def _small(sink_chains: int, seconds: float = 4.0) -> dict:
    sc = copy.deepcopy(json.loads((ROOT / "examples" / "small.json").read_text()))
    sc["duration_s"] = seconds
    sc["mac"] = {"sink_chains": sink_chains}
    return sc


def _record(monkeypatch) -> list:
    """Every transmission the medium registers, as (src, dst, channel, start, end, kind)."""
    seen = []
    orig = medium.Medium.transmit

    def transmit(self, src, dst, channel, start, airtime, *rest):
        tx = orig(self, src, dst, channel, start, airtime, *rest)
        seen.append((src, dst, channel, start, start + airtime, tx.kind))
        return tx

    monkeypatch.setattr(medium.Medium, "transmit", transmit)
    return seen


def _overlapping_pairs(txs: list) -> list:
    """Pairs of transmissions of one node that are on the air at the same time."""
    txs = sorted(txs, key=lambda t: t[3])
    out = []
    for k, a in enumerate(txs):
        for b in txs[k + 1:]:
            if b[3] >= a[4]:
                break
            out.append((a, b))
    return out


@pytest.mark.parametrize("chains", [6, 1])
def test_ground_chains_send_in_parallel_only_on_distinct_channels_and_destinations(monkeypatch, chains):
    seen = _record(monkeypatch)
    r = run(_small(chains), seed=3)
    assert r["delivery_ratio"]["overall"] > 0.97
    ground = 0  # examples/small.json lists the ground station first
    pairs = _overlapping_pairs([t for t in seen if t[0] == ground])
    for a, b in pairs:
        assert a[2] != b[2], f"two ground frames on channel {a[2]} at once: {a} {b}"
    sent = [(a, b) for a, b in pairs if "ack" not in (a[5], b[5])]  # its own frames, not ACKs of received ones
    for a, b in sent:
        assert a[1] < 0 or a[1] != b[1], f"two frames to one destination at once: {a} {b}"
    data_pairs = [(a, b) for a, b in sent if a[5] == b[5] == "data"]
    if chains == 1:  # one transmit chain (its second radio only receives, and ACKs what it receives)
        assert not sent, f"a one-chain ground station overlapped its own frames: {sent[:3]}"
    else:  # the fan-out of 64-byte commands to 3 members every 50 ms: copies go out together
        assert len(data_pairs) > 20, len(data_pairs)


def test_a_drone_never_overlaps_its_own_transmissions_acks_included(monkeypatch):
    seen = _record(monkeypatch)
    run(_small(6), seed=5)
    drones = {t[0] for t in seen if t[0] != 0}
    assert drones
    for d in drones:
        pairs = _overlapping_pairs([t for t in seen if t[0] == d])
        assert not pairs, f"drone index {d} had two frames on the air at once: {pairs[:3]}"


def test_sink_chains_is_a_checked_scenario_parameter():
    from protocol.netsim.scenario import ScenarioError

    for bad in (0, 17, 2.0, True, "6"):
        with pytest.raises(ScenarioError, match="sink_chains"):
            run(_small(bad, 0.5), seed=1)


def test_concurrent_transmissions_add_their_currents():
    c = Currents()
    m = EnergyMeter(1, 2.0, c)
    one = c.tx_ma(16.0)
    m.tx(0, 40.0, 16.0, 0.0)
    assert m.peak[0] == pytest.approx(one)
    m.tx(0, 40.0, 16.0, 100.0)  # after the first ended: no overlap
    assert m.peak[0] == pytest.approx(one)
    m.tx(0, 40.0, 16.0, 120.0)  # overlaps the second
    assert m.peak[0] == pytest.approx(2 * one)
    m.tx(0, 10.0, 10.0, 159.0)  # overlaps the third only
    assert m.peak[0] == pytest.approx(2 * one)
    # [125, 175) overlaps [100, 140), [120, 160) and [159, 169), but the second has ended when the fourth
    # starts: at most three at once — at 125 the second, third and this one; at 159 the third, fourth, this one
    m.tx(0, 50.0, 20.0, 125.0)
    assert m.peak[0] == pytest.approx(max(2 * one + c.tx_ma(20.0), one + c.tx_ma(10.0) + c.tx_ma(20.0)))
    assert m.peak[0] == pytest.approx(2 * one + c.tx_ma(20.0))
    m.tx(0, 5.0, 26.0, 162.0)  # inside [159, 169) and [125, 175); [120, 160) has ended
    assert m.peak[0] == pytest.approx(c.tx_ma(10.0) + c.tx_ma(20.0) + c.tx_ma(26.0))


def _drop_first(monkeypatch, src: int, dst: int, after_us: float) -> list:
    """Make the medium lose the first data frame from node index ``src`` to ``dst`` that starts
    at or after ``after_us``; the list receives that transmission."""
    dropped = []
    orig = medium.Medium.received

    def received(self, tx, rx):
        if not dropped and tx.kind == "data" and tx.src == src and rx == dst and tx.start >= after_us:
            dropped.append(tx)
            return False
        return orig(self, tx, rx)

    monkeypatch.setattr(medium.Medium, "received", received)
    return dropped


def _chain(w, dst: int, t) -> int:
    """The receive chain of multi-chain node index ``dst`` that listens on transmission ``t``'s channel."""
    n = int(t[3] // w.macs[dst].tm.slot)
    return next(j for j in range(w.macs[dst].chains) if w.plan.rx_channel(j, n) == t[2])


def _next_data_slot(w, n: int) -> int:
    m = n + 1
    while w.plan.is_control(m):
        m += 1
    return m


@pytest.mark.parametrize("reservations", [1, 0])
def test_a_leaf_retries_a_lost_uplink_in_the_next_slot_on_another_chain_and_keeps_that_chain(monkeypatch,
                                                                                               reservations):
    """Two drones whose periodic frames meet on one chain of the station must
    part: the retry goes to another chain (not the next one, which both would
    take), in the next data slot (the station hears every chain; a leaf has no
    child waiting for it). Without reserved windows the chain that worked
    carries the next frames; with them (the default) the flow's next frames go
    in its window, on the sender's own chain, the channel class the window was
    taken on (protocol.netsim.reservations)."""
    seen = _record(monkeypatch)
    from protocol.netsim.run import run_world
    s, ground, t_drop = 1, 0, 2.5e6  # examples/small.json: address 16 (index 1) sends to the station every 10 ms
    dropped = _drop_first(monkeypatch, s, ground, t_drop)
    sc = _small(6, seconds=3.0)
    sc["mac"]["reservations"] = reservations
    r, w = run_world(sc, seed=3)
    assert dropped, "the uplink frame to lose was never sent"
    lost = dropped[0]
    assert w.macs[s].relay_until < lost.start, "node 16 must be a leaf (no data frame to forward) in this run"
    ups = sorted((t for t in seen if t[0] == s and t[1] == ground and t[5] == "data" and t[3] >= lost.start),
                 key=lambda t: t[3])
    first, retry, later = ups[0], ups[1], ups[2:7]
    slot = w.macs[s].tm.slot
    assert first[3] == lost.start
    assert int(retry[3] // slot) == _next_data_slot(w, int(first[3] // slot)), (first, retry)
    assert _chain(w, ground, retry) != _chain(w, ground, first)
    kept = _chain(w, ground, first if reservations else retry)
    assert len(later) == 5 and all(_chain(w, ground, t) == kept for t in later), later
    assert r["delivery_ratio"]["flows"][0] == 1.0


def test_a_lost_frame_to_a_one_radio_node_waits_a_slot_listening(monkeypatch):
    """A frame to a drone (one radio, which may be sending to this node at the
    same time: both would be tuned away from each other) is retried only after
    a slot of listening, with the wider window."""
    seen = _record(monkeypatch)
    from protocol.netsim.run import run_world
    s, t_drop = 5, 2.5e6  # examples/small.json: address 20 (index 5) sends to 17 every 20 ms
    r, w = run_world(_small(6, seconds=3.0), seed=3)
    hop = next(t for t in seen if t[0] == s and t[5] == "data" and t[3] >= t_drop)[1]
    assert w.macs[hop].chains == 1
    seen.clear()
    dropped = _drop_first(monkeypatch, s, hop, t_drop)
    r, w = run_world(_small(6, seconds=3.0), seed=3)
    lost = dropped[0]
    tries = sorted((t for t in seen if t[0] == s and t[1] == hop and t[5] == "data" and t[3] >= lost.start),
                   key=lambda t: t[3])
    slot = w.macs[s].tm.slot
    assert int(tries[1][3] // slot) >= int(tries[0][3] // slot) + 2, tries[:2]



@pytest.mark.parametrize("max_queue_us, interval_ms, seed", [(50_000, 0.5, 1), (50_000, 0.5, 2), (100, 20.0, 1),
                                                              (200, 20.0, 1)])
def test_stale_frames_are_dropped_without_taking_the_frame_another_chain_is_sending(max_queue_us, interval_ms,
                                                                                    seed):
    # A multi-chain station's chains share its queues. One chain used to drop the stale head of a
    # queue another chain held and was sending (IndexError in _send_unicast, or the wrong frame
    # sent): with the default max_queue_us and the station sending to two drones every 0.5 ms,
    # and with max_queue_us of 100-200 us (the EDHOC frames at start-up). Frames then go stale and
    # are counted, and every frame sent is one that was queued.
    sc = {"seed": seed, "duration_s": 3.0, "mac": {"max_queue_us": max_queue_us},
          "nodes": [{"address": 1, "role": "ground", "position_m": [0, 0, 2]},
                    {"address": 16, "position_m": [150, 0, 100]}, {"address": 17, "position_m": [300, 0, 100]}],
          "traffic": [{"src": 1, "dst": d, "size_bytes": 32, "interval_ms": interval_ms} for d in (16, 17)]}
    r = run(sc)
    assert r["loops"] == 0 and 0.0 <= r["delivery_ratio"]["overall"] <= 1.0
    assert r["mac"]["tx"] >= r["mac"]["acks"] > 0


def test_with_every_channel_blacklisted_the_mac_skips_the_slot_search_and_chooses_as_the_search_would(
        monkeypatch):
    # All six channels jammed at 60 dBm for a second: every waiting frame's channels are out of use
    # (reported jammed by the receivers; losses blacklist at most half of them), and the 192-slot
    # search ran every slot for nothing (6.8 s for a 4-node, 6 s run instead of 0.5). When no
    # waiting frame has a usable channel the MAC now goes straight to the fallback; here every such
    # choice is checked against the full search (same slot, destination and channel, and the search
    # started no probe).
    import copy as _copy

    from protocol.netsim import mac

    real = mac.Mac._choose
    checked = []

    def choose(self, c):
        held = self._held(c) if len(self.tx_chains) > 1 else ((), ())
        now = self.env.now
        short = self.n_queued and not (self.bqueue and c.k == 0) and not any(
            q and d not in held[1] and self.blacklist.any_usable(d, now) for d, q in self.queues.items())
        got = real(self, c)
        if short:
            before = _copy.deepcopy(self.blacklist._rate)
            monkeypatch.setattr(self.blacklist, "any_usable", lambda d, t: True)
            full = real(self, c)
            monkeypatch.delattr(self.blacklist, "any_usable")
            assert got == full and self.blacklist._rate == before
            checked.append(got)
        return got

    monkeypatch.setattr(mac.Mac, "_choose", choose)
    sc = {"seed": 1, "duration_s": 4.0,
          "nodes": [{"address": 1, "role": "ground", "position_m": [0, 0, 2]},
                    {"address": 16, "position_m": [200, 0, 100]}, {"address": 17, "position_m": [400, 0, 100]},
                    {"address": 18, "position_m": [300, 200, 100]}],
          "traffic": [{"src": 16, "dst": 1, "size_bytes": 32, "interval_ms": 20},
                      {"src": 1, "dst": 17, "size_bytes": 32, "interval_ms": 20},
                      {"src": 18, "dst": 16, "size_bytes": 32, "interval_ms": 20}],
          "jammers": [{"channels": list(range(6)), "power_dbm": 60, "position_m": [200, 0, 50],
                       "start_s": 2.5, "stop_s": 3.5}]}
    run(sc)
    assert len(checked) > 100


def _sealed_by(at, nd) -> list:
    """(time, kind, frame counter, timestamp µs) of every beacon ``nd`` seals from now on."""
    from protocol.codec import decode
    from protocol.frames import OPTION_CODES
    out: list = []
    protect = nd._protect_broadcast

    def spy(frame):
        data = protect(frame)
        f = decode(data)
        ts = next(o["value"] for o in f["options"] if o["type"] == OPTION_CODES["timestamp_us"])
        out.append((at.w.engine.now, "tc" if f["mesh"] else "hello", f["security"]["counter"],
                    int.from_bytes(ts, "little")))
        return data
    nd._protect_broadcast = spy
    return out


def test_a_beacon_that_waited_past_the_beacon_window_is_sealed_as_it_leaves():
    """Beacons were sealed when queued; one that waited in a backed-up
    control channel longer than the 1 s beacon window reached receivers that
    refused it as old (a 101-drone swarm's start-up: 926 dropped unsent in
    8 s). A node now seals a beacon as the MAC sends it. Here 17's control
    slots are withheld from 2.0 to 3.3 s: its HELLO queued at 2.0 s leaves
    at 3.3 s with that timestamp, and its neighbours accept it."""
    from test_netsim_security import A, Attack, B, C, chain

    at = Attack(chain(duration_s=3.5))
    nd = at.node(B)
    choose = nd.mac._choose

    def withhold(c):
        got = choose(c)
        return None if got is not None and got[1] == "b" and 2.0e6 <= at.w.engine.now < 3.3e6 else got
    nd.mac._choose = withhold
    sealed = []
    at.at(2.0, lambda: (sealed.extend([_sealed_by(at, nd)]), nd.send_hello()))
    at.probe(3.45, "heard", lambda: [at.node(a).routing.nbs[B].heard for a in (A, C)])
    r = at.run()
    [log] = sealed
    t, kind, _, ts = log[0]
    assert t >= 3.3e6 and kind == "hello" and abs(ts - t) < 1.0
    assert all(h >= 3.3e6 for h in at.seen["heard"])
    assert not any(k.startswith("security") for k in r["counts"]), r["counts"]


def test_a_newer_beacon_replaces_the_queued_one_under_its_key_in_its_place():
    """A HELLO or TC still queued when a newer one under the same key is
    queued (this node's next HELLO; a newer TC of the same originator) is
    replaced in its place: the newer carries what the older did, so sending
    both only lengthened the control queue (101 drones, 8 s, seed 1: the
    start-up backlog 4.0 → 2.5 s). Sealed when queued, 17's 70th
    HELLO left ahead of a TC forward sealed 70 counters earlier, which both
    neighbours' 64-frame replay windows then refused (found by a review);
    sealed as they leave, beacons go out in frame-counter order whatever the
    queue did, and nothing is refused."""
    from test_netsim_security import GS, Attack, B, chain

    from protocol import frames as F

    at = Attack(chain(duration_s=2.4))
    nd = at.node(B)
    sealed = []

    def go():
        sealed.append(_sealed_by(at, nd))
        nd.send_hello()
        mesh = {"hop_limit": 15, "originator": GS, "final_dst": F.BROADCAST, "mesh_seq": nd.routing.lsdb[GS][0]}
        nd._broadcast_tc(nd.routing.tc_bodies[GS], mesh)
        for _ in range(70):
            nd.send_hello()
        at.seen["queue"] = [it.kind for it in nd.mac.bqueue]
    at.at(2.0, go)
    at.probe(2.35, "keys", lambda: (dict(nd.mac.bkeys), list(nd.mac.bqueue)))
    r = at.run()
    assert at.seen["queue"][-2:] == ["hello", "tc"] and at.seen["queue"].count("hello") == 1
    [log] = sealed
    assert [k for _, k, _, _ in log[:2]] == ["hello", "tc"]
    counters = [c for _, _, c, _ in log]
    assert counters == sorted(counters) and len(set(counters)) == len(counters)
    assert r["mac"]["superseded"] >= 70
    assert not any(k.startswith("security") for k in r["counts"]), r["counts"]
    keys, queued = at.seen["keys"]
    assert all(it in queued for it in keys.values())


@pytest.fixture(scope="module")
def idle_mac():
    """A MAC of a built, not yet running, world (its queue is driven by hand)."""
    from test_netsim_security import B, chain

    from protocol.netsim.run import World
    from protocol.netsim.scenario import validate
    w = World(validate(chain()))
    return w.macs[w.index[B]]


def _ops():
    from hypothesis import strategies as st
    return st.lists(st.one_of(st.tuples(st.just("queue"), st.sampled_from([None, "hello", 16, 17, 65535]),
                                        st.sampled_from([None, 0.0, 1e9])),
                              st.tuples(st.just("send"), st.none(), st.none()),
                              st.tuples(st.just("off"), st.none(), st.none())), max_size=40)


def test_superseding_keeps_the_queue_and_its_key_index_consistent(idle_mac):
    """Mac.broadcast(supersedes=key, max_wait_us=...) against a reference
    list: a newer beacon takes the queued one's place under the same key,
    keeping the earlier due time, else joins the tail; a send takes the
    first overdue beacon in queue order, else the head; through sends and
    power-off (the clock stands still: max_wait_us 0 is overdue at once, 1e9
    never). The queue holds the reference's beacons in its order, at most
    one per key, and the key index names exactly the queued ones."""
    from hypothesis import given, settings

    from protocol.netsim.node import Meta

    @settings(max_examples=300, deadline=None)
    @given(_ops())
    def check(ops):
        mac = idle_mac
        mac.power_off()
        mac.off = False
        now = mac.env.now
        model: list = []  # (key, data, due)
        for n, (op, key, wait) in enumerate(ops):
            if op == "queue":
                data = n.to_bytes(2, "little")
                mac.broadcast(data, Meta("tc"), power_dbm=0.0, kind="tc", supersedes=key, max_wait_us=wait)
                due = None if wait is None else now + wait
                at = next((k for k, (mk, _, _) in enumerate(model) if key is not None and mk == key), None)
                if at is None:
                    model.append((key, data, due))
                else:
                    old = model[at][2]
                    model[at] = (key, data, old if old is not None and (due is None or old < due) else due)
            elif op == "send" and model:
                k = next((k for k, (_, _, d) in enumerate(model) if d is not None and d <= now), 0)
                assert mac._pop_broadcast().data == model.pop(k)[1]
            elif op == "off":
                mac.power_off()
                mac.off = False
                model.clear()
            assert [(it.data, it.due) for it in mac.bqueue] == [(d, due) for _, d, due in model]
            assert mac.n_due == sum(due is not None for _, _, due in model)
            keyed = [it for it in mac.bqueue if it.key is not None]
            assert len({it.key for it in keyed}) == len(keyed)
            assert mac.bkeys == {it.key: it for it in keyed}
    check()


def test_a_hello_that_waited_half_a_second_goes_ahead_of_queued_tcs():
    """A review (helper 45) held a node's HELLO behind about a thousand TC
    forwards an insider made it relay (forged TCs of made-up originators,
    each under its own key): 0.9 s and more, toward the 6 s after which
    neighbours drop the link. A HELLO that has waited HELLO_MAX_WAIT_US
    (0.5 s) now leaves ahead of the queue: behind 1,000 TCs (1.1 s of
    control slots) it leaves at 0.5 s, and the TCs go on behind it. (Always
    first, HELLOs held the start-up TCs back: a 101-drone swarm delivered
    99.17 % instead of 100 %.)"""
    from test_netsim_security import Attack, B, chain, tc_body

    from protocol import frames as F
    from protocol.netsim import node as N

    at = Attack(chain(duration_s=3.4))
    nd = at.node(B)
    sealed = []

    def go():
        for k in range(1000):
            mesh = {"hop_limit": 15, "originator": 0x300 + k, "final_dst": F.BROADCAST, "mesh_seq": 1}
            nd._queue_beacon("tc", tc_body([0x2000 + k]), 0x300 + k, mesh=mesh)
        sealed.append(_sealed_by(at, nd))
        at.seen["t0"] = at.w.engine.now
        nd.send_hello()
    at.at(2.0, go)
    at.run()
    [log] = sealed
    kinds = [k for _, k, _, _ in log]
    t_hello = log[kinds.index("hello")][0] - at.seen["t0"]
    assert N.HELLO_MAX_WAIT_US <= t_hello < N.HELLO_MAX_WAIT_US + 20e3, t_hello
    assert kinds.index("hello") > 100 and kinds[kinds.index("hello") + 1:].count("tc") > 100


def test_a_held_tc_that_leaves_late_carries_its_age():
    """A TC this node holds (forwarded, or re-sent for wants) carries its
    entry's age when it leaves AGE_MIN_US or more after the entry's date, so
    a forward that waited in a backed-up control channel is dated at its
    receivers as here; within a flood's jitter it carries none (no bytes
    spent on every forward)."""
    from test_netsim_security import Attack, B, chain, tc_body

    from protocol import frames as F
    from protocol.codec import decode
    from protocol.netsim import node as N

    at = Attack(chain(duration_s=2.1))
    nd = at.node(B)

    def go():
        now = at.w.engine.now
        mesh = {"hop_limit": 15, "originator": 0x300, "final_dst": F.BROADCAST, "mesh_seq": 1}
        ages = []
        for dated in (now - 1.2345e6, now - N.AGE_MIN_US, now - N.AGE_MIN_US + 1.0, None):
            f = decode(N.Beacon(nd, tc_body([0x2000]), mesh, None, dated)())
            ages.append([int.from_bytes(o["value"], "little") for o in f["options"] if o["type"] == N.TC_AGE])
        at.seen["ages"] = ages
    at.at(2.0, go)
    at.run()
    assert at.seen["ages"] == [[1234], [50], [], []]
