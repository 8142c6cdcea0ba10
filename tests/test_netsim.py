"""The network simulator (protocol.netsim): determinism, loop-freedom, the
latency budget against a hand-computed case, per-hop protection
byte-identical with the golden CCM*, and the result's shape.

Scenarios are small and short (seconds each); the KPI runs are behind the
CLI and benchmarks/netsim.py."""

import copy
import json
import math

import pytest

from crypto import modes
from crypto.aes import AES
from crypto.sm4 import SM4
from protocol import codec
from protocol.netsim import routing as R
from protocol.netsim import run
from protocol.netsim.mac import Mac, MacParams, timing
from protocol.netsim.propagation import C_M_S
from protocol.netsim.run import run_world
from protocol.netsim.swarms import swarm
from protocol.security import nonce

FAST = {"security": {"suite": 2}}


def _pair(**extra) -> dict:
    """Two drones 150 m apart at 100 m, no shadowing or fading: every frame
    gets through, so every latency is the MAC's alone."""
    sc = {"seed": 3, "duration_s": 2.6, "warmup_s": 2.0,
          "nodes": [{"address": 16, "position_m": [0, 0, 100]}, {"address": 17, "position_m": [150, 0, 100]}],
          "propagation": {"shadowing": False, "fading": False},
          "traffic": [{"src": 17, "dst": 16, "size_bytes": 32, "interval_ms": 10, "start_s": 2.0, "stop_s": 2.5}],
          **FAST}
    sc.update(extra)
    return sc


def _small(seed=5, **extra) -> dict:
    sc = swarm(12, spacing_m=130.0, duration_s=3.5, warmup_s=1.5, seed=seed, group=4, suite=2)
    sc.update(extra)
    return sc


# ---------------------------------------------------------------- the slot budget by hand

def test_slot_budget_hand_computed():
    # IEEE 802.11a-1999 17.3.2.4: air time = 16 µs preamble + 4 µs SIGNAL + 4 µs per symbol,
    # N_SYM = ceil((16 + 8·bytes + 6) / N_DBPS), N_DBPS = 96 at 24 Mbit/s.
    # Data frame, 32-byte payload: MAC header 9 + mesh header 7 + security header 6
    # + body (proto 1 + payload 32) + MIC 8 + FCS 4 = 67 bytes -> ceil(558/96) = 6 symbols -> 44 µs.
    # ACK: MAC header 9 + acked_seq 1 + FCS 4 = 14 bytes -> ceil(134/96) = 2 symbols -> 28 µs.
    # prop = ceil(1000 m / c) = 4 µs; microslot = cca 4 + turnaround 2 + prop 4 = 10 µs;
    # SIFS = turnaround 2 + processing 14 = 16 µs;
    # slot = hop settle 8 + sync 2 + 3 positions · 10 + 44 + 4 + 16 + 28 + 4 = 136 µs.
    tm = timing(MacParams(), 24)
    assert (tm.data_bytes, tm.ack_bytes) == (67, 14)
    assert (tm.air_data, tm.air_ack, tm.prop, tm.microslot, tm.sifs, tm.tx_offset) == (44, 28, 4, 10, 16, 10)
    assert tm.slot == 136
    # at 54 Mbit/s (N_DBPS 216): data ceil(558/216) = 3 symbols = 32 µs, ACK 1 symbol = 24 µs,
    # slot = 8 + 2 + 30 + 32 + 4 + 16 + 24 + 4 = 120 µs
    assert timing(MacParams(), 54).slot == 120


def test_per_hop_latency_matches_the_hand_computed_schedule():
    """Node 17 sends a 32-byte frame to node 16 every 10 ms from t = 2 s,
    without reserved windows (``mac.reservations`` 0). By
    hand: the frame waits for the first data slot n with n·136 + 10 ≥ t
    (slots n ≡ 0 mod 8 are control slots), is sent at position p (0 in the
    data slots 17 owns — two nodes claim slots 0 and 1 of a 2-slot frame, 16
    (lower address) keeps 0, so 17 owns the odd data slots — else its backoff
    1, 2 or 3), and is received 44 µs of air time and 150 m / c later."""
    r, w = run_world(_pair(mac={"reservations": 0}))
    assert r["delivery_ratio"]["overall"] == 1.0
    sender = w.nodes[w.index[17]]
    assert (sender.slots.slot, sender.slots.frame) == (1, 2)
    T, off, micro, air, prop = 136.0, 10.0, 10.0, 44.0, 150.0 / C_M_S * 1e6
    hops = w.metrics.hops
    assert len(hops) == 50
    positions = []
    for k, (latency, wait, retrans, air_part) in enumerate(hops):
        t = 2e6 + k * 1e4
        n = math.ceil((t - off) / T)
        while n % 8 == 0:
            n += 1
        base = n * T + off + air + prop - t
        pos = (latency - base) / micro
        assert retrans == 0 and wait + air_part == pytest.approx(latency, abs=1e-6)
        assert air_part == pytest.approx(air + prop, abs=1e-6)
        assert pos == pytest.approx(round(pos), abs=1e-6) and round(pos) in (0, 1, 2, 3), (k, latency, base)
        data_slot = n - n // 8 - 1
        assert (round(pos) == 0) == (data_slot % 2 == 1), (k, data_slot, pos)
        positions.append(round(pos))
    assert 0 in positions and any(p > 0 for p in positions)
    # at worst: just missed a slot whose successor is a control slot, then the last position
    assert r["hop_latency_us"]["max"] <= 2 * T + off + 3 * micro + air + prop


def test_a_periodic_flow_goes_in_its_reserved_window_by_hand():
    """The same flow with reserved windows (the default): 17's application
    registers its 10 ms period, and at the first frame (t = 2 s, phase 0)
    17 takes the window [0, 136) µs of every 10 ms, nobody else holding one.
    By hand, frame k (arrival t = 2 s + k·10 ms) goes at position 0 in the
    first slot n starting in [t, t + 136), i.e. n = ceil(t / 136), or in the
    slot after it when n is a control slot (n ≡ 0 mod 8), and arrives 10 µs
    (hop settle and sync) + 44 µs of air time + 150 m / c after that slot's
    start; 17 announces the window in its HELLOs (receiver 16, period
    10,000 µs, phase 0)."""
    sc = _pair()
    del sc["traffic"][0]["stop_s"]  # frames until the end: the window is still held then
    r, w = run_world(sc)
    assert r["delivery_ratio"]["overall"] == 1.0
    T, off, air, prop = 136.0, 10.0, 44.0, 150.0 / C_M_S * 1e6
    assert len(w.metrics.hops) >= 50
    hops = w.metrics.hops[:50]  # those of the frames from 2 s to 2.5 s
    bumped = 0
    for k, (latency, wait, retrans, air_part) in enumerate(hops):
        t = 2e6 + k * 1e4
        n = math.ceil(t / T)
        if n % 8 == 0:
            n += 1
            bumped += 1
        assert retrans == 0 and air_part == pytest.approx(air + prop, abs=1e-6)
        assert latency == pytest.approx(n * T + off + air + prop - t, abs=1e-6), k
        assert wait == pytest.approx(n * T + off - t, abs=1e-6)  # slot wait: to the transmission at position 0
    assert 0 < bumped < 50
    assert r["mac"]["reserved"] >= 50 and r["mac"]["retx"] == 0
    sender, receiver = w.nodes[w.index[17]], w.nodes[w.index[16]]
    assert [(wd.rx, wd.psi, wd.period) for wd in sender.windows.own.values()] == [(16, 0, 10_000)]
    assert receiver.windows.heard == {17: ((16, 0, 10_000),)}  # heard in 17's HELLOs
    assert r["hop_latency_us"]["max"] <= 2 * T + off + air + prop


# ---------------------------------------------------------------- determinism

def test_same_scenario_and_seed_give_the_same_trace():
    a = run(_small())
    b = run(_small())
    assert a["trace_sha256"] == b["trace_sha256"] and a["events"] == b["events"] > 1000
    strip = ("wall_s", "events_per_s")
    assert {k: v for k, v in a.items() if k not in strip} == {k: v for k, v in b.items() if k not in strip}
    c = run(_small(), seed=6)
    assert c["trace_sha256"] != a["trace_sha256"]
    assert c["seed"] == 6


# ---------------------------------------------------------------- loops

def test_no_loops_through_failures():
    sc = _small(duration_s=5.0)
    sc["failures"] = [{"at_s": 2.5, "node": 18}, {"at_s": 3.5, "link": [16, 1]}]
    r = run(sc)
    assert r["loops"] == 0
    assert r["delivery_ratio"]["overall"] > 0.95
    assert len(r["convergence_ms"]) == 2


def test_forwarding_never_revisits_even_with_inconsistent_routes(monkeypatch):
    """Every node's SPF next hop is replaced by a random usable neighbour (the
    worst database disagreement): the visited-list rule still keeps every
    frame off nodes it has seen, and the simulator's own step check agrees."""
    import random
    rnd = random.Random(7)

    def chaotic(self, dst, now):
        links = sorted(self.usable_links(now))
        return rnd.choice(links) if links else None
    monkeypatch.setattr(R.LinkState, "next_hop", chaotic)
    r = run(_small(duration_s=3.0))
    assert r["loops"] == 0
    assert r["drops"].get("no loop-free route", 0) + r["drops"].get("hop limit", 0) > 0  # the chaos was felt


def test_the_loop_check_catches_a_loop(monkeypatch):
    """The simulator's check is independent of the forwarding rule: with a
    rule that sends every frame back where it came from, loops are counted."""
    def ping_pong(self, dst, visited, now):
        back = sorted(a for a in self.usable_links(now) if a in visited)
        return back[0] if back else self.next_hop(dst, now)
    monkeypatch.setattr(R.LinkState, "forward_to", ping_pong)
    r = run(_small(duration_s=2.5))
    assert r["loops"] > 0


# ---------------------------------------------------------------- per-hop protection

@pytest.mark.parametrize("suite, golden", [(2, AES), (-24, SM4)])
def test_per_hop_frames_are_the_golden_ccm_star(monkeypatch, suite, golden):
    """Data frames the simulator puts on the air (protected by SecureLink on
    the OpenSSL fast path) are byte for byte what the golden CCM* of
    crypto.modes gives for the same key, nonce, header and body."""
    sent = []
    orig = Mac.send

    def spy(self, data, dst, meta, **kw):
        if meta.kind == "data":
            node = self.w.nodes[self.i]
            sent.append((data, node.fleet.link.key_for(self.w.addrs[dst]), meta.payload))
        return orig(self, data, dst, meta, **kw)
    monkeypatch.setattr(Mac, "send", spy)
    run(_pair(security={"suite": suite}, duration_s=2.1, traffic=[
        {"src": 17, "dst": 16, "size_bytes": 32, "interval_ms": 10, "start_s": 2.0, "stop_s": 2.05}]))
    assert len(sent) == 5
    for data, key, payload in sent:
        f = codec.decode(data)
        body = codec.encode_body("data", {"proto": "raw", "payload": payload})
        sec = f["security"]
        n = nonce(f["src"], f["net"], sec["key_id"], sec["counter"], sec["mic_len"])
        header = data[:len(data) - 4 - len(body) - sec["mic_len"]]
        ct, mic = modes.ccm_star_encrypt(golden(key.key), n, body, header, key.mic_len)
        assert data[:-4] == header + ct + mic
        assert key.cipher == {2: "aes", -24: "sm4"}[suite]
        assert modes.ccm_star_decrypt(golden(key.key), n, ct, mic, header) == body


# ---------------------------------------------------------------- the result

def test_result_has_the_interface_keys():
    sc = copy.deepcopy(_small())
    r = run(sc, seed=1)
    json.dumps(r)  # JSON-shaped
    d = r["delivery_ratio"]
    assert set(d) == {"overall", "flows"} and len(d["flows"]) == len(sc["traffic"])
    for k in ("hop_latency_us", "e2e_latency_us"):
        assert set(r[k]) == {"p50", "p99", "p99999", "max"}
        assert 0 < r[k]["p50"] <= r[k]["p99"] <= r[k]["p99999"] <= r[k]["max"]
    unicast = [f for f in sc["traffic"] if f["dst"] < 0xFE00]
    assert len(r["routes"]) == len(unicast)
    for f, path in zip(unicast, r["routes"], strict=True):
        assert path[0] == f["src"] and path[-1] == f["dst"] and len(set(path)) == len(path)
    assert all(len(p) == 2 and p[0] < p[1] for p in r["links"]) and r["links"]
    assert r["loops"] == 0 and r["convergence_ms"] == []
    assert r["overhead_bytes_per_node_s"] > 0
    assert set(r["current_ma"]) == {str(n["address"]) for n in sc["nodes"]}
    ground = {str(n["address"]) for n in sc["nodes"] if n.get("role") == "ground"}
    for a, c in r["current_ma"].items():  # a ground station's chains transmit at once: their currents add
        assert 60 < c["mean"] < c["peak"] < (300 * 6 if a in ground else 300)
    assert r["multicast"]["delivery"] > 0.9
    assert r["delivery_ratio"]["overall"] > 0.97
    assert r["keying"]["connected_ms"] is not None


def test_a_node_failed_before_its_join_stays_off_and_draws_nothing():
    # A failure at 1 s of a node that joins at 3 s used to be ignored: the node powered on at its
    # join and formed links. It now stays off: no link to it, nothing from it, no current (a node
    # never powered on reported the listening current as its peak).
    sc = {"seed": 1, "duration_s": 6.0,
          "nodes": [{"address": 1, "role": "ground", "position_m": [0, 0, 2]},
                    {"address": 16, "position_m": [150, 0, 100]},
                    {"address": 17, "position_m": [300, 0, 100], "join_s": 3.0}],
          "traffic": [{"src": 16, "dst": 1, "size_bytes": 32, "interval_ms": 50}],
          "failures": [{"at_s": 1.0, "node": 17}]}
    r = run(sc)
    assert not [ln for ln in r["links"] if 17 in ln] and [1, 16] in r["links"]
    assert r["current_ma"]["17"] == {"mean": 0.0, "peak": 0.0}
    assert r["current_ma"]["16"]["peak"] >= r["current_ma"]["16"]["mean"] > 0
    assert r["delivery_ratio"]["flows"] == [1.0]


def test_a_failed_destination_is_purged_and_the_time_is_reported():
    # convergence_ms counts flows between live nodes only, so a failed destination "converges" at
    # the first check; purge_ms is how long live nodes went on routing to it (frames for it wander
    # until then). A link failure has no purge.
    sc = {"seed": 1, "duration_s": 6.0,
          "nodes": [{"address": 1, "role": "ground", "position_m": [0, 0, 2]},
                    {"address": 16, "position_m": [150, 0, 100]}, {"address": 17, "position_m": [300, 0, 100]},
                    {"address": 18, "position_m": [450, 0, 100]}],
          "traffic": [{"src": 16, "dst": 18, "size_bytes": 32, "interval_ms": 20},
                      {"src": 17, "dst": 1, "size_bytes": 32, "interval_ms": 20}],
          "failures": [{"at_s": 3.0, "node": 18}, {"at_s": 4.0, "link": [16, 17]}]}
    r = run(sc)
    assert r["convergence_ms"][0] == 1.0 and r["convergence_ms"][1] is not None
    assert r["purge_ms"][1] is None and 0 < r["purge_ms"][0] < 3000
    assert not [ln for ln in r["links"] if 18 in ln]
    assert 0 < r["delivery_ratio"]["flows"][0] < 1 and r["delivery_ratio"]["flows"][1] > 0.99


def test_a_node_back_in_range_is_reachable_as_soon_as_its_data_arrives():
    # Node 17 flies out of range for 2 s; the station's MAC takes the link down. The link used to
    # come back only with 17's next HELLO (up to 2 s later): traffic from 17 recovered at once and
    # traffic to it 1.5 s later (delivery 0.60 against 0.41). A verified data frame from 17 is now a
    # sign of life too, and both directions recover together.
    away = [[2.0, 200, 0, 100], [2.001, 5000, 0, 100], [4.0, 5000, 0, 100], [4.001, 200, 0, 100]]
    sc = {"seed": 1, "duration_s": 8.0,
          "nodes": [{"address": 1, "role": "ground", "position_m": [0, 0, 2]},
                    {"address": 16, "position_m": [100, 0, 100]},
                    {"address": 17, "position_m": [200, 0, 100], "waypoints": away}],
          "traffic": [{"src": 17, "dst": 1, "size_bytes": 32, "interval_ms": 10},
                      {"src": 1, "dst": 17, "size_bytes": 32, "interval_ms": 10}]}
    up, down = run(sc)["delivery_ratio"]["flows"]
    assert 0.5 < up < 0.7 and down > up - 0.03


def test_the_simulator_imports_without_the_link_level_simulation():
    """protocol.netsim needs the PER table, not the PHY simulation that made
    it: importing it must not load mesh_phy's link runner or scipy.signal
    (2.0 of the 2.4 s it took to import before mesh_phy.per_table)."""
    import subprocess
    import sys
    code = ("import sys, protocol.netsim, protocol.netsim.__main__; "
            "print(sorted(m for m in ('scipy.signal', 'mesh_phy.link.runner', 'mesh_phy.per', 'numba') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out
