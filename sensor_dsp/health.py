"""Sensor health monitor of the host MCU: the golden model of
``firmware_models/analytics/sensor_health.py``, bit-exact with it.

The host reads the sensor chip's outputs at its own rate (≤ 20 kHz) and
derives a compact health picture: running statistics of amplitude and
mismatch, fault codes with rising-edge counters and latches, and the
plausibility of speed and acceleration computed from the angle itself (a
second, independent look at the chip's output: a corrupted bus transfer or
a diagnostic escape shows as an impossible acceleration). The firmware file's
header is the reference for the arithmetic and the record layout; this
model computes the same things another way (the per-read decisions,
counters, latches and window extremes with numpy over the whole stream, only
the exponential means sample by sample), so the two agree only if both are
right.

Host read (:class:`HostStream`, one entry per read; :func:`host_stream` makes
it from a :class:`sensor_dsp.chain.ChainResult`):

* ``angle`` u16, 2^-16 turn;
* ``flags`` u16, the chip's flag word (:mod:`sensor_dsp.chain`), the OR
  of the flags since the previous read (a sticky status register);
* ``amplitude`` u16, UQ4.12 (4096 = the calibrated amplitude);
* ``mismatch`` i16, 2^-16 (the learned gain mismatch A_s/A_c - 1).

Default limits (:data:`DEFAULT`), each from a stated source:

* chip flag masks (:mod:`sensor_dsp.chain`): faults = the detections and the
  latched safe state (``DETECT_MASK | INVALID_INPUT | FAULT_LATCHED``), the
  chain's ``INVALID_MASK`` and ``ADVISORY_MASK``;
* amplitude band 0.70 … 1.30 of the calibrated amplitude: an early warning of
  a coupling change, well inside the chip's own loss-of-signal (0.25) and
  coil-fault (1.5) limits;
* mismatch ``chain.MISMATCH_LIMIT`` (0.5 %, SPEC B5);
* a step of at most 0.25 turn per read: 300,000 rpm at 20 kHz (the speed
  range the angle KPI is measured over); steps wrap at half a turn, so the
  check is blind beyond 600,000 rpm at 20 kHz;
* an acceleration of at most ``FAULT_ALLOCATION_DEG`` (0.35°) of angle per
  read² beyond the constant-speed prediction, 64 × 2^-16 turn: an error of
  the angle that the budget cannot absorb; as a rotor acceleration this is
  2.3·10^7 rpm/s at 20 kHz, beyond any motor, so a real one never trips it.
"""

import struct
from typing import NamedTuple

import numpy as np

import argcheck
from sensor_dsp import chain, signals
from sensor_dsp import diagnostics as dg
from sensor_dsp.errors import SensorError

HOST_RATE_HZ = 20_000.0
ANGLE_BITS = 16
AMPLITUDE_ONE = 1 << 12  # UQ4.12
MISMATCH_ONE = 1 << 16
FRACTION_BITS = 8  # of the running means
WRAP = (1 << 30) - 1  # the read counter wraps at 2^30 (a small int on a 32-bit MicroPython)

CHIP_FAULT, CHIP_INVALID, CHIP_ADVISORY, AMP_LOW, AMP_HIGH, MISMATCH, SPEED, ACCEL = (1 << i for i in range(8))
CODE_NAMES = {CHIP_FAULT: "chip fault", CHIP_INVALID: "chip output invalid", CHIP_ADVISORY: "chip advisory",
              AMP_LOW: "amplitude low", AMP_HIGH: "amplitude high", MISMATCH: "mismatch beyond limit",
              SPEED: "implausible speed", ACCEL: "implausible acceleration"}
FAULT_CODES = CHIP_FAULT | AMP_LOW | AMP_HIGH | SPEED | ACCEL  # MISMATCH is advisory, as the chip's own flag

VERSION = 1
RECORD_FORMAT = "<BBBBIiHHHHHHHhhhHhHH8H"
RECORD_SIZE = struct.calcsize(RECORD_FORMAT)
RECORD_FIELDS = ("version", "codes", "latched", "first_codes", "reads", "first_fault_at", "chip_flags_latched",
                 "window_reads", "window_invalid", "amplitude_mean", "amplitude_min", "amplitude_max",
                 "amplitude_dev", "mismatch_mean", "mismatch_min", "mismatch_max", "mismatch_dev", "speed_mean",
                 "step_max", "accel_max", "counts")
NO_FAULT = -1
SATURATE = 0xFFFF

AMPLITUDE_BAND = (0.70, 1.30)
MAX_RPM = 300_000.0


class HealthConfig(NamedTuple):
    fault_mask: int  # chip flags that are faults
    invalid_mask: int  # chip flags that make the angle unusable
    advisory_mask: int
    amp_low: int  # UQ4.12
    amp_high: int
    mismatch_limit: int  # 2^-16
    max_step: int  # 2^-16 turn per read
    max_accel: int  # 2^-16 turn per read²
    ema_shift: int = 8  # amplitude and mismatch means: weight 2^-k (256 reads, 12.8 ms at 20 kHz)
    speed_shift: int = 4  # speed mean: 16 reads


def step_for_rpm(rpm: float, host_rate_hz: float = HOST_RATE_HZ) -> int:
    """The angle step per read (2^-16 turn) of a rotor at ``rpm``."""
    rpm = argcheck.real(rpm, "rpm", SensorError, lo=0.0, hi=signals.MAX_RPM)
    rate = argcheck.real(host_rate_hz, "host_rate_hz", SensorError, lo=0.0, lo_open=True, hi=1e7)
    step = round(rpm / 60.0 / rate * (1 << ANGLE_BITS))
    if step > 1 << (ANGLE_BITS - 1):
        raise SensorError(f"{rpm:g} rpm is beyond half a turn per read at {rate:g} Hz: steps would alias")
    return step


DEFAULT = HealthConfig(
    fault_mask=chain.DETECT_MASK | chain.INVALID_INPUT | chain.FAULT_LATCHED,
    invalid_mask=chain.INVALID_MASK,
    advisory_mask=chain.ADVISORY_MASK,
    amp_low=round(AMPLITUDE_BAND[0] * AMPLITUDE_ONE),
    amp_high=round(AMPLITUDE_BAND[1] * AMPLITUDE_ONE),
    mismatch_limit=round(chain.MISMATCH_LIMIT * MISMATCH_ONE),
    max_step=step_for_rpm(MAX_RPM),
    max_accel=round(dg.FAULT_ALLOCATION_DEG / 360.0 * (1 << ANGLE_BITS)),
)

_CONFIG_RANGES = {"fault_mask": 0xFFFF, "invalid_mask": 0xFFFF, "advisory_mask": 0xFFFF, "amp_low": 0xFFFF,
                  "amp_high": 0xFFFF, "mismatch_limit": 0x7FFF, "max_step": 0x8000, "max_accel": 0xFFFF,
                  "ema_shift": 15, "speed_shift": 15}


def check_config(cfg) -> HealthConfig:
    """``cfg`` with every field checked (SensorError names it)."""
    if not isinstance(cfg, HealthConfig):
        raise SensorError(f"cfg must be a HealthConfig, got {type(cfg).__name__}")
    values = {f: argcheck.integer(getattr(cfg, f), f"cfg.{f}", SensorError, lo=0, hi=hi)
              for f, hi in _CONFIG_RANGES.items()}
    if values["amp_high"] < values["amp_low"]:
        raise SensorError(f"cfg.amp_high ({values['amp_high']}) must be >= cfg.amp_low ({values['amp_low']})")
    return HealthConfig(**values)


class HostStream(NamedTuple):
    angle: np.ndarray  # u16, 2^-16 turn
    flags: np.ndarray  # u16
    amplitude: np.ndarray  # u16, UQ4.12
    mismatch: np.ndarray  # i16, 2^-16


_STREAM_RANGES = {"angle": (0, 0xFFFF), "flags": (0, 0xFFFF), "amplitude": (0, 0xFFFF),
                  "mismatch": (-0x8000, 0x7FFF)}


def check_stream(stream) -> HostStream:
    """``stream`` as int64 arrays, each 1-D, of one length and in its register's range."""
    if not isinstance(stream, HostStream):
        raise SensorError(f"stream must be a HostStream, got {type(stream).__name__}")
    out = {}
    for name, (lo, hi) in _STREAM_RANGES.items():
        a = argcheck.array(getattr(stream, name), f"stream.{name}", SensorError, kind="i", ndim=1)
        if a.size and (a.min() < lo or a.max() > hi):
            raise SensorError(f"stream.{name} must be within {lo}..{hi}")
        out[name] = a.astype(np.int64)
    if len({a.size for a in out.values()}) != 1:
        raise SensorError("stream arrays must have the same length")
    return HostStream(**out)


def host_stream(result, decimation: int) -> HostStream:
    """What the host reads from a chain output at 1/``decimation`` of its
    sample rate: read k sees sample (k+1)·decimation - 1 and the OR of the
    flags of samples k·decimation … (k+1)·decimation - 1; values rounded to
    the nearest register step and saturated."""
    if not isinstance(result, chain.ChainResult):
        raise SensorError(f"result must be a ChainResult, got {type(result).__name__}")
    d = argcheck.integer(decimation, "decimation", SensorError, lo=1, hi=1 << 20)
    n = result.angle_deg.size // d
    if n == 0:
        raise SensorError(f"the result has {result.angle_deg.size} samples, fewer than one read ({d})")
    last = np.arange(1, n + 1) * d - 1
    flags = np.bitwise_or.reduce(result.flags[:n * d].astype(np.int64).reshape(n, d), axis=1)
    angle = np.rint(np.mod(result.angle_deg[last], 360.0) / 360.0 * (1 << ANGLE_BITS)).astype(np.int64) & 0xFFFF
    amp = np.clip(np.rint(np.nan_to_num(result.amplitude[last]) * AMPLITUDE_ONE), 0, 0xFFFF).astype(np.int64)
    mis = np.clip(np.rint(np.nan_to_num(result.mismatch[last]) * MISMATCH_ONE), -0x8000, 0x7FFF).astype(np.int64)
    return HostStream(angle, flags, amp, mis)


class Decisions(NamedTuple):
    """Per read: the code word, the wrapped step (0 where undefined) and
    whether it is defined, the acceleration likewise."""
    codes: np.ndarray
    step: np.ndarray
    has_step: np.ndarray
    accel: np.ndarray
    has_accel: np.ndarray


def decisions(stream: HostStream, cfg: HealthConfig = DEFAULT) -> Decisions:
    """The fault codes of every read (bits as :data:`CODE_NAMES`), vectorised."""
    s, cfg = check_stream(stream), check_config(cfg)
    codes = np.where(s.flags & cfg.fault_mask, CHIP_FAULT, 0)
    codes |= np.where(s.flags & cfg.invalid_mask, CHIP_INVALID, 0)
    codes |= np.where(s.flags & cfg.advisory_mask, CHIP_ADVISORY, 0)
    codes |= np.where(s.amplitude < cfg.amp_low, AMP_LOW, 0)
    codes |= np.where(s.amplitude > cfg.amp_high, AMP_HIGH, 0)
    codes |= np.where(np.abs(s.mismatch) > cfg.mismatch_limit, MISMATCH, 0)
    valid = (codes & CHIP_INVALID) == 0
    has_step = valid & np.concatenate([[False], valid[:-1]])
    step = np.zeros(s.angle.size, np.int64)
    step[1:] = (s.angle[1:] - s.angle[:-1] + 0x8000) % 0x10000 - 0x8000
    step[~has_step] = 0
    has_accel = has_step & np.concatenate([[False], has_step[:-1]])
    accel = np.zeros_like(step)
    accel[1:] = step[1:] - step[:-1]
    accel[~has_accel] = 0
    codes |= np.where(np.abs(step) > cfg.max_step, SPEED, 0)
    codes |= np.where(np.abs(accel) > cfg.max_accel, ACCEL, 0)
    return Decisions(codes.astype(np.int64), step, has_step, accel, has_accel)


def _means(values, k: int):
    """Integer exponential mean and mean absolute deviation (Q.FRACTION_BITS)
    after each value: the first value starts the mean, then d = x - mean,
    mean += d >> k, dev += (|d| - dev) >> k."""
    mean_out, dev_out = [], []
    mean = dev = None
    for v in values:
        x = int(v) << FRACTION_BITS
        if mean is None:
            mean, dev = x, 0
        else:
            d = x - mean
            mean += d >> k
            dev += (abs(d) - dev) >> k
        mean_out.append(mean)
        dev_out.append(dev)
    return np.array(mean_out, np.int64), np.array(dev_out, np.int64)


def _rounded(q):
    return (q + (1 << (FRACTION_BITS - 1))) >> FRACTION_BITS


def _window_extreme(values, defined, starts, ufunc, empty):
    v = np.where(defined, values, empty)
    return ufunc.reduceat(v, starts)


def run(stream: HostStream, cfg: HealthConfig = DEFAULT, record_every: int = 1000) -> list:
    """The health records (bytes) the firmware emits when it takes one after
    every ``record_every`` reads of ``stream`` (a trailing partial window
    gives none)."""
    s = check_stream(stream)
    cfg = check_config(cfg)
    every = argcheck.integer(record_every, "record_every", SensorError, lo=1, hi=1 << 30)
    n = s.angle.size
    nrec = n // every
    if nrec == 0:
        return []
    dec = decisions(s, cfg)
    codes = dec.codes
    rises = codes & ~np.concatenate([[0], codes[:-1]])
    counts = np.minimum(np.cumsum((rises[:, None] >> np.arange(8)) & 1, axis=0), SATURATE)
    latched = np.bitwise_or.accumulate(codes)
    chip_latched = np.bitwise_or.accumulate(s.flags)
    faulty = np.flatnonzero(codes & FAULT_CODES)
    amp_mean, amp_dev = _means(s.amplitude, cfg.ema_shift)
    mis_mean, mis_dev = _means(s.mismatch, cfg.ema_shift)
    speed = np.zeros(n, np.int64)
    if dec.has_step.any():
        at = np.flatnonzero(dec.has_step)
        step_means, _ = _means(dec.step[at], cfg.speed_shift)
        filled = np.zeros(n, np.int64)
        filled[at] = step_means
        last = np.maximum.accumulate(np.where(dec.has_step, np.arange(n), -1))
        speed = np.where(last >= 0, filled[np.maximum(last, 0)], 0)
    starts = np.arange(nrec) * every
    ends = starts + every - 1
    m = nrec * every
    invalid = np.add.reduceat(((codes[:m] & CHIP_INVALID) != 0).astype(np.int64), starts)
    windows = {
        "amp_min": np.minimum.reduceat(s.amplitude[:m], starts),
        "amp_max": np.maximum.reduceat(s.amplitude[:m], starts),
        "mis_min": np.minimum.reduceat(s.mismatch[:m], starts),
        "mis_max": np.maximum.reduceat(s.mismatch[:m], starts),
        "step_max": _window_extreme(np.abs(dec.step[:m]), dec.has_step[:m], starts, np.maximum, 0),
        "accel_max": _window_extreme(np.abs(dec.accel[:m]), dec.has_accel[:m], starts, np.maximum, 0),
    }
    out = []
    for j, e in enumerate(ends):
        first = faulty[0] if faulty.size and faulty[0] <= e else None
        out.append(struct.pack(
            RECORD_FORMAT, VERSION, int(codes[e]), int(latched[e]), 0 if first is None else int(codes[first]),
            (int(e) + 1) & WRAP, NO_FAULT if first is None else int(first), int(chip_latched[e]),
            min(every, SATURATE), min(int(invalid[j]), SATURATE), int(_rounded(amp_mean[e])),
            int(windows["amp_min"][j]), int(windows["amp_max"][j]), int(_rounded(amp_dev[e])),
            int(_rounded(mis_mean[e])), int(windows["mis_min"][j]), int(windows["mis_max"][j]),
            int(_rounded(mis_dev[e])), int(_rounded(speed[e])), int(windows["step_max"][j]),
            int(windows["accel_max"][j]), *(int(c) for c in counts[e])))
    return out


def decode_record(record) -> dict:
    """A health record as a dict (:data:`RECORD_FIELDS`; ``counts`` a list
    of 8, ``first_fault_at`` None when there was no fault); SensorError for a
    record of the wrong size or version."""
    b = argcheck.byteslike(record, "record", SensorError)
    if len(b) != RECORD_SIZE:
        raise SensorError(f"a health record is {RECORD_SIZE} bytes, got {len(b)}")
    v = struct.unpack(RECORD_FORMAT, b)
    if v[0] != VERSION:
        raise SensorError(f"unknown health record version {v[0]} (this model reads {VERSION})")
    d = dict(zip(RECORD_FIELDS[:-1], v[:20], strict=True))
    d["counts"] = list(v[20:])
    if d["first_fault_at"] == NO_FAULT:
        d["first_fault_at"] = None
    return d


def describe(codes: int) -> list:
    """Names of the codes set in one code byte."""
    codes = argcheck.integer(codes, "codes", SensorError, lo=0, hi=0xFF)
    return [name for bit, name in CODE_NAMES.items() if codes & bit]


def rpm_of_speed(speed_mean: int, host_rate_hz: float = HOST_RATE_HZ) -> float:
    """A record's ``speed_mean`` (2^-16 turn per read) in rpm."""
    speed_mean = argcheck.integer(speed_mean, "speed_mean", SensorError, lo=-0x8000, hi=0x7FFF)
    rate = argcheck.real(host_rate_hz, "host_rate_hz", SensorError, lo=0.0, lo_open=True, hi=1e7)
    return speed_mean / (1 << ANGLE_BITS) * rate * 60.0

