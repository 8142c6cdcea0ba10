"""Fixed-point 802.11a short-preamble detector (delay and correlate) with the
coarse CFO angle, bit-exact with ``rtl_verif/rtl/preamble_detect.sv``.

The short training field repeats every 16 samples (IEEE 802.11a-1999,
17.3.3), so r[n]·conj(r[n+16]) adds up coherently over it. For each input
sample m (index since reset or since the sample after a tlast; earlier
samples count as zero):

* q[m] = r[m-16]·conj(r[m]) and e[m] = |r[m]|², exact integers;
* C[m] = Σ q[j], P[m] = Σ e[j] over j = m-L+1 .. m (exact moving sums), i.e.
  C[m] = c[n] = Σ_{k<L} r[n+k]·conj(r[n+k+16]) and P[m] = Σ_{k<L} |r[n+k+16]|²
  with n = m - L - 15;
* normalisation: s = max(0, bitlen(P) - (MW - 2)), Pt = P >> s (so
  Pt < 2^(MW-2)), Ct = C >> s (arithmetic, i.e. floor) saturated to signed
  MW bits (only when |C| > 2·P, an unequal pair of windows);
* test: cond = (Ct_re² + Ct_im²)·2^(2·TF) > (THR·Pt)² and P ≥ P_MIN, i.e.
  |c|/p > THR/2^TF without a divider;
* plateau: run = consecutive samples with cond (saturating at M); a detection
  fires at the sample where run reaches M, unless a hold-off from the previous
  detection is running (HOLD samples after it); one detection per run;
* angle: sensor_dsp.cordic.atan2_fixed(Ct_im, Ct_re) with in_width MW,
  ``angle_width`` bits per turn; the carrier offset is
  -angle/(2π·16·Ts) (:func:`cfo_hz`).

Output per input frame (one AXI4-Stream packet, see the RTL): one beat per
detection {angle, index} with tuser = 1, and the frame's last sample always
gives the closing beat (tlast): a detection there makes it tuser = 1 with its
angle, else tuser = 0, angle 0. Indices wrap modulo 2^index_width.

Integer formats: input re, im signed ``in_width`` bits; C parts signed
2·in_width + 1 + ⌈log2 L⌉ bits; P unsigned 2·in_width + ⌈log2 L⌉ bits; angle
unsigned ``angle_width`` bits, 0 … 2^angle_width - 1 ↔ 0 … 1 turn.
"""

import math
from typing import NamedTuple

import numpy as np
from numba import njit

import argcheck
from mesh_phy.errors import PhyError
from sensor_dsp import cordic

LAG = 16  # the short training period (samples)


class DetectParams(NamedTuple):
    in_width: int
    window: int  # L
    plateau: int  # M
    thr: int  # threshold on |c|/p, units of 2^-thr_frac
    thr_frac: int
    p_min: int  # power floor on P (input LSB²)
    holdoff: int  # samples after a detection in which none fires
    metric_width: int  # MW: normalised C (CORDIC input) and P
    index_width: int
    angle_width: int
    cordic_iterations: int

    @property
    def c_width(self) -> int:
        return 2 * self.in_width + 1 + math.ceil(math.log2(self.window))

    @property
    def p_width(self) -> int:
        return 2 * self.in_width + math.ceil(math.log2(self.window))

    @property
    def cordic(self) -> cordic.CordicParams:
        return cordic.params(self.metric_width, self.angle_width, self.cordic_iterations)


def params(in_width: int = 12, window: int = 32, plateau: int = 24, thr: int = 128, thr_frac: int = 8,
           p_min: int = 0, holdoff: int = 0, metric_width: int = 16, index_width: int = 16,
           angle_width: int = 16, cordic_iterations: int = 16) -> DetectParams:
    """Validated parameters (defaults: 12-bit samples, L = 32, M = 24,
    threshold |c|/p > 0.5, 16-bit metric and angle)."""
    e = PhyError
    p = DetectParams(
        argcheck.integer(in_width, "in_width", e, lo=4, hi=16),
        argcheck.integer(window, "window", e, lo=2, hi=256),
        argcheck.integer(plateau, "plateau", e, lo=1, hi=255),
        argcheck.integer(thr, "thr", e, lo=0),
        argcheck.integer(thr_frac, "thr_frac", e, lo=0, hi=12),
        argcheck.integer(p_min, "p_min", e, lo=0, hi=(1 << 31) - 1),
        argcheck.integer(holdoff, "holdoff", e, lo=0, hi=65535),
        argcheck.integer(metric_width, "metric_width", e, lo=6, hi=24),
        argcheck.integer(index_width, "index_width", e, lo=4, hi=32),
        argcheck.integer(angle_width, "angle_width", e, lo=4, hi=24),
        argcheck.integer(cordic_iterations, "cordic_iterations", e, lo=1, hi=24),
    )
    if p.thr >= 1 << (p.thr_frac + 2):
        raise PhyError(f"thr must be below 2^(thr_frac + 2) = {1 << (p.thr_frac + 2)}, got {p.thr}")
    if 2 * (p.metric_width + p.thr_frac) + 2 > 63:
        raise PhyError("metric_width + thr_frac too large for the 63-bit comparison")
    return p


class Detection(NamedTuple):
    index: int  # sample index (since frame start, modulo 2^index_width) where the plateau reached M
    angle: int  # angle of the correlation, unsigned angle_width bits per turn


class Metric(NamedTuple):
    """Per-sample internals (for analyses and debugging), all int64 arrays."""
    c_re: np.ndarray
    c_im: np.ndarray
    p: np.ndarray
    ct_re: np.ndarray
    ct_im: np.ndarray
    pt: np.ndarray
    cond: np.ndarray  # bool
    fire: np.ndarray  # bool


def _bitlen(v: np.ndarray) -> np.ndarray:
    """Bit length of non-negative int64 values (0 for 0), exactly."""
    out = np.zeros(v.shape, np.int64)
    x = v.copy()
    for b in (32, 16, 8, 4, 2, 1):
        big = x >= (1 << b)
        out += np.where(big, b, 0)
        x = np.where(big, x >> b, x)
    return out + (x > 0)


@njit(cache=True, nogil=True)
def _plateau(cond, m, hold_len, fire):
    run = 0
    hold = 0
    for k in range(cond.size):
        f = cond[k] and run == m - 1 and hold == 0
        fire[k] = f
        run = min(run + 1, m) if cond[k] else 0
        hold = hold_len if f else max(hold - 1, 0)


def metric(re, im, p: DetectParams) -> Metric:
    """The detector's per-sample arithmetic over one frame (see module doc)."""
    if not isinstance(p, DetectParams):
        raise PhyError(f"p must be DetectParams from detect_fixed.params(), got {type(p).__name__}")
    r_re = argcheck.array(re, "re", PhyError, kind="i", ndim=1, min_size=1)
    r_im = argcheck.array(im, "im", PhyError, kind="i", ndim=1, min_size=1)
    if r_re.shape != r_im.shape:
        raise PhyError(f"re and im must have the same length, got {r_re.size} and {r_im.size}")
    lo, hi = -(1 << (p.in_width - 1)), 1 << (p.in_width - 1)
    for name, a in (("re", r_re), ("im", r_im)):
        if a.min() < lo or a.max() >= hi:
            raise PhyError(f"{name} outside signed {p.in_width}-bit range")
    a_re, a_im = r_re.astype(np.int64), r_im.astype(np.int64)
    d_re = np.concatenate([np.zeros(LAG, np.int64), a_re[:-LAG]])[: a_re.size]  # r[m-16]
    d_im = np.concatenate([np.zeros(LAG, np.int64), a_im[:-LAG]])[: a_im.size]
    q_re = d_re * a_re + d_im * a_im
    q_im = d_im * a_re - d_re * a_im
    e = a_re * a_re + a_im * a_im

    def moving(v):
        c = np.cumsum(v)
        c[p.window:] -= c[: -p.window].copy()
        return c

    c_re, c_im, pw = moving(q_re), moving(q_im), moving(e)
    s = np.maximum(0, _bitlen(pw) - (p.metric_width - 2))
    pt = pw >> s
    mlo, mhi = -(1 << (p.metric_width - 1)), (1 << (p.metric_width - 1)) - 1
    ct_re = np.clip(c_re >> s, mlo, mhi)
    ct_im = np.clip(c_im >> s, mlo, mhi)
    lhs = (ct_re * ct_re + ct_im * ct_im) << (2 * p.thr_frac)
    tp = p.thr * pt
    cond = (lhs > tp * tp) & (pw >= p.p_min)
    fire = np.zeros(cond.size, np.bool_)
    _plateau(cond, p.plateau, p.holdoff, fire)
    return Metric(c_re, c_im, pw, ct_re, ct_im, pt, cond, fire)


def _detections(mt: Metric, p: DetectParams) -> list:
    idx = np.flatnonzero(mt.fire)
    if idx.size == 0:
        return []
    ang, _ = cordic.atan2_fixed(mt.ct_im[idx], mt.ct_re[idx], in_width=p.metric_width,
                                out_width=p.angle_width, iterations=p.cordic_iterations)
    mask = (1 << p.index_width) - 1
    return [Detection(int(i) & mask, int(a)) for i, a in zip(idx, ang, strict=True)]


def detect(re, im, p: DetectParams | None = None) -> list:
    """Detections in one frame of samples (``re``, ``im``: 1-D integer arrays,
    signed ``in_width`` bits): a list of :class:`Detection`."""
    p = params() if p is None else p
    return _detections(metric(re, im, p), p)


def stream_beats(re, im, p: DetectParams | None = None) -> list:
    """The RTL's output packet for one input frame: ``(index, angle, det,
    last)`` per beat — each detection, then the closing beat at the frame's
    last sample (merged with a detection there)."""
    p = params() if p is None else p
    mt = metric(re, im, p)
    beats = [(d.index, d.angle, 1, 0) for d in _detections(mt, p)]
    if mt.fire[-1]:
        i, a, _, _ = beats.pop()
        beats.append((i, a, 1, 1))
    else:
        beats.append(((mt.fire.size - 1) & ((1 << p.index_width) - 1), 0, 0, 1))
    return beats


def cfo_hz(angle: int, p: DetectParams, fs_hz: float = 20e6) -> float:
    """Carrier frequency offset from a detection's angle: the correlation
    r·conj(r delayed by 16) turns by -2π·f·16/fs, so f = -θ·fs/16 with θ the
    angle in turns wrapped to [-1/2, 1/2). Range ±fs/32 (±625 kHz at 20 MHz)."""
    a = argcheck.integer(angle, "angle", PhyError, lo=0, hi=(1 << p.angle_width) - 1)
    fs = argcheck.real(fs_hz, "fs_hz", PhyError, lo=0, lo_open=True)
    theta = ((a + (1 << (p.angle_width - 1))) % (1 << p.angle_width) - (1 << (p.angle_width - 1))) \
        / (1 << p.angle_width)
    return -theta * fs / LAG
