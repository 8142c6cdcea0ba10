"""Packet detection, carrier frequency offset and symbol timing for the
802.11a preamble (17.3.3), at 20 Msample/s.

Detection (delay and correlate, after Schmidl and Cox): with lag D = 16 (the
short symbol's period) and a window of W samples,

    c[n] = sum_{k<W} x[n+k] conj(x[n+k+D]),   m[n] = |c[n]| / sqrt(e0[n] e1[n])

where e0, e1 are the energies of the two windows, so 0 <= m <= 1 whatever the
gain (m ~ S/(S+N) on the short preamble, ~ 1/sqrt(W) on noise). A packet is
declared where m stays >= THRESHOLD for PLATEAU consecutive samples, and
kept only if the long training confirms it (CONFIRM, below). The values come
from measurements on white noise and on packets (``python -m benchmarks
receiver``): with W = 48 and a 48-sample plateau, plateaus on noise occur
34.6/s at threshold 0.30, 9.8/s at 0.32 and 0.7-1.2/s at 0.35 (20 s and 5 s
of noise), none of which passes the confirmation (best noise confidence
~0.29 against CONFIRM = 0.45; a packet at -2 dB scores ~0.6); at 0.35 the
miss rate (plateau + exact long-symbol timing, CFO ±232 kHz) is 0.010 at
0 dB and 0 in 400 at 1 dB, below where 6 Mbit/s decodes.

Coarse CFO: x[n+16] = x[n] e^{j 2 pi f 16 / fs} on the short preamble, so
f = -angle(sum c) fs / (2 pi 16): unambiguous for |f| < fs/32 = 625 kHz
(±20 ppm on both sides at 5.8 GHz is ±232 kHz).

Fine timing: the coarse-corrected samples are correlated with the known long
training field (32-sample guard + two long symbols) in five 32-sample
segments combined non-coherently, so a residual CFO of ~100 kHz costs almost
nothing; the segment structure puts the peak at the first long symbol (the
shifts by ±64 match only 3 of the 5 segments). The normalised peak (per
segment |<r, t>| / (|r| |t|), averaged) confirms a long preamble is there.

The search runs from the plateau start + 80 to the later of start + 260 and
the plateau end + 200 (on packets the first long symbol is 54-178 samples
after the plateau end, -1..30 dB): a plateau that a CW tone or DC opened
before the packet (both repeat at every lag) still ends with the packet's
short training, so the search follows it (:mod:`mesh_phy.ofdm.tones`
removes strong lines before detection; this covers the weaker ones).

Short-training match (:func:`short_match`): the plateau's 16-sample
segments correlated with the known short symbol at the best of its 16
cyclic shifts, normalised per segment and averaged: ~sqrt(S/(S+N)) on a
short preamble (at 0 dB 0.71 median, 0.64 at the 1st percentile of 200,
CFO ±232 kHz), 0 on DC (the short symbol has no DC line), on a tone
1/sqrt(12) = 0.29 when it sits on one of the short symbol's 12 lines and at
most 0.543 between them (4001 frequencies across ±10 MHz). It tells a
preamble whose
samples end before its long training is confirmed (:class:`Truncated`)
from a spurious plateau (:class:`NoPacket`).

Fine CFO: lag-64 correlation over the guard end and the two long symbols,
unambiguous for |f| < fs/128 = 156 kHz around the coarse estimate.
"""

from typing import NamedTuple

import numpy as np

from mesh_phy.ofdm.symbols import N_FFT
from mesh_phy.ofdm.training import LONG_GUARD, LONG_SYMBOL, LT1_OFFSET, SHORT_BINS, SHORT_LEN, SHORT_PERIOD

FS_HZ = 20e6
LAG = SHORT_PERIOD
WINDOW = 48
THRESHOLD = 0.35
PLATEAU = 48
CONFIRM = 0.45  # normalised long-training correlation needed to accept a detection
CHUNK = 8192
SEGMENT = 32
TIMING_SEARCH = (80, 260)  # first-long-symbol search, relative to the plateau start
AFTER_PLATEAU = 200  # ... and up to this many samples after the plateau's end
SHORT_CONFIRM = 0.6  # short_match needed to call a plateau a short preamble
LONG_PLATEAU = 2 * SHORT_LEN  # longer than any packet's plateau (<= ~180 samples): opened early
# Long training field as five 32-sample segments (guard, LT1 halves, LT2 halves).
_LONG_FIELD = np.concatenate([LONG_SYMBOL[N_FFT - LONG_GUARD:], LONG_SYMBOL, LONG_SYMBOL])
_SEGMENTS = _LONG_FIELD.reshape(-1, SEGMENT)
_SEG_NORM = np.linalg.norm(_SEGMENTS, axis=1)
# the short symbol's 16 cyclic shifts, unit norm, conjugated: rows of the matched filter bank
_SHORT_SHIFTS = np.conj(np.stack([np.roll(np.fft.ifft(SHORT_BINS)[:SHORT_PERIOD], -k) for k in range(SHORT_PERIOD)]))
_SHORT_SHIFTS /= np.linalg.norm(_SHORT_SHIFTS[0])


class Detection(NamedTuple):
    """A plateau of the delay-and-correlate metric."""

    start: int  # first sample index of the plateau (≈ the packet's first sample)
    end: int  # one past the plateau's last index
    cfo_hz: float  # coarse CFO from the plateau's correlation


def metric(x, lo: int, hi: int, window: int = WINDOW):
    """(c, m) for n = lo..hi-1 (see module doc); x is only read. Needs
    hi + LAG + window - 1 <= len(x)."""
    seg = x[lo:hi + LAG + window - 1]
    prod = seg[:-LAG] * np.conj(seg[LAG:])
    power = seg.real ** 2 + seg.imag ** 2
    cs = np.concatenate(([0], np.cumsum(prod)))
    ce = np.concatenate(([0.0], np.cumsum(power)))
    c = cs[window:] - cs[:-window]
    e = ce[window:] - ce[:-window]  # energy of the window starting at each index
    denom = np.sqrt(np.maximum(e[:-LAG] * e[LAG:], 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(denom > 0, np.abs(c) / np.where(denom > 0, denom, 1.0), 0.0)
    return c, m


def _first_run(above: np.ndarray, length: int) -> tuple:
    """(start, end) of the first run of True of at least ``length``, or None;
    ``end`` is where the run stops (or len(above) if it runs off the end)."""
    edges = np.diff(np.concatenate(([0], above.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    ok = np.flatnonzero(ends - starts >= length)
    if ok.size == 0:
        return None
    return int(starts[ok[0]]), int(ends[ok[0]])


def detect(x, begin: int = 0, *, threshold: float = THRESHOLD, plateau: int = PLATEAU,
           window: int = WINDOW, fs_hz: float = FS_HZ) -> Detection | None:
    """The first plateau at or after sample ``begin``, or None. Works in
    chunks, so the cost is proportional to the samples searched."""
    last = len(x) - LAG - window + 1  # metric defined for n < last
    lo = max(begin, 0)
    while lo < last:
        hi = min(lo + CHUNK, last)
        c, m = metric(x, lo, hi, window)
        run = _first_run(m >= threshold, plateau)
        if run is not None:
            s, e = run
            return Detection(lo + s, lo + e, cfo_from_lag(c[s:s + plateau].sum(), LAG, fs_hz))
        if hi == last:
            break
        lo = hi - plateau  # a run starting in the last `plateau` samples is seen whole next time
    return None


def cfo_from_lag(corr: complex, lag: int, fs_hz: float = FS_HZ) -> float:
    """CFO in Hz from sum x[n] conj(x[n+lag]) over a periodic stretch."""
    return float(-np.angle(corr) * fs_hz / (2 * np.pi * lag))


def rotate(x, lo: int, hi: int, cfo_hz: float, fs_hz: float = FS_HZ) -> np.ndarray:
    """x[lo:hi] with the CFO removed: x[n] e^{-j 2 pi f n / fs}, n the absolute
    sample index, so separate calls stay phase-continuous. Returns a copy."""
    n = np.arange(lo, hi)
    return x[lo:hi] * np.exp(-2j * np.pi * cfo_hz / fs_hz * n)


def windows(x, first: int, n: int, step: int, cfo_hz: float, fs_hz: float = FS_HZ) -> np.ndarray:
    """(n, 64) FFT windows starting at first, first + step, ... with the CFO
    removed (phase as :func:`rotate`); the phasor is an outer product of n + 64
    exponentials."""
    w = -2j * np.pi * cfo_hz / fs_hz
    starts = first + step * np.arange(n)
    idx = starts[:, None] + np.arange(N_FFT)[None, :]
    return x[idx] * (np.exp(w * starts)[:, None] * np.exp(w * np.arange(N_FFT))[None, :])


def long_correlation(y) -> tuple:
    """Segment-wise correlation of ``y`` with the long training field.

    Returns (score, confidence) per candidate t = 0..len(y)-160, where t is
    the index in ``y`` of the field's first sample (the guard); score is the
    sum over segments of |<y segment, field segment>|, confidence that sum
    normalised per segment by |y segment| |field segment| (0..1)."""
    n_pos = len(y) - _LONG_FIELD.size + 1
    if n_pos <= 0:
        return np.zeros(0), np.zeros(0)
    # np.correlate (one thread) rather than a matrix product, which a threaded BLAS spins several cores for
    y = np.asarray(y)
    ce = np.concatenate(([0.0], np.cumsum(y.real ** 2 + y.imag ** 2)))
    energy = np.sqrt(np.maximum(ce[SEGMENT:] - ce[:-SEGMENT], 0.0))  # of the 32 samples from each index
    score = np.zeros(n_pos)
    conf = np.zeros(n_pos)
    for s in range(_SEGMENTS.shape[0]):
        part = np.abs(np.correlate(y[s * SEGMENT:s * SEGMENT + n_pos + SEGMENT - 1], _SEGMENTS[s], "valid"))
        score += part
        en = energy[s * SEGMENT:s * SEGMENT + n_pos] * _SEG_NORM[s]
        conf += np.where(en > 0, part / np.where(en > 0, en, 1.0), 0.0)
    return score, conf / _SEGMENTS.shape[0]


def short_cfo(x, start: int, fs_hz: float = FS_HZ) -> float:
    """Coarse CFO from the whole short preamble of a packet known to start at
    ``start`` (144 lag-16 pairs)."""
    y = x[start:start + SHORT_LEN]
    return cfo_from_lag(np.vdot(y[LAG:], y[:-LAG]), LAG, fs_hz)


def search_end(det: Detection) -> int:
    """One past the last first-long-symbol position :func:`fine_timing`
    searches for the plateau ``det``."""
    return max(det.start + TIMING_SEARCH[1], det.end + AFTER_PLATEAU) + 1


def fine_timing(x, det_start: int, cfo_hz: float, fs_hz: float = FS_HZ, *, det_end: int | None = None) -> tuple:
    """(index of the first long symbol's first sample, confidence), searching
    first-long-symbol positions det_start + TIMING_SEARCH[0] .. [1] and, given
    the plateau's end ``det_end``, up to det_end + AFTER_PLATEAU; the best
    score over a window 64 positions longer must lie inside (the
    plateau starts up to ~W early at high SNR and later at low SNR, or
    anywhere earlier when a tone opened it; the true position is
    det_start + 192 when the plateau start is exact). Returns (None, 0.0) if
    the samples end before the search window."""
    end = search_end(Detection(det_start, det_start if det_end is None else det_end, 0.0))
    lo = max(det_start + TIMING_SEARCH[0] - LONG_GUARD, 0)
    hi = min(end - 1 - LONG_GUARD + _LONG_FIELD.size + N_FFT, len(x))
    score, conf = long_correlation(rotate(x, lo, hi, cfo_hz, fs_hz))
    if score.size == 0:
        return None, 0.0
    best = int(np.argmax(score))
    if lo + best + LONG_GUARD >= end:
        # the peak is past the window (scored N_FFT further so that a long training just beyond it is not
        # taken at its -64 shift, which matches 3 of the 5 segments): not this plateau's packet
        return None, 0.0
    return lo + best + LONG_GUARD, float(conf[best])


def tail_cfo(x, det: Detection, fs_hz: float = FS_HZ) -> float:
    """Coarse CFO from the plateau's last PLATEAU positions (the lag-16
    products their windows sum): where a plateau that a tone opened early
    meets the packet's short training."""
    lo = max(det.start, det.end - PLATEAU)
    y = x[lo:min(det.end + WINDOW + LAG - 1, len(x))]
    return cfo_from_lag(np.vdot(y[LAG:], y[:-LAG]), LAG, fs_hz)


def short_match(x, det: Detection) -> float:
    """How much the plateau ``det`` looks like the short training (module
    doc): 0..1, over its whole 16-sample segments within its first 160
    samples (0 when it holds none)."""
    n_seg = min(det.end - det.start, SHORT_LEN, len(x) - det.start) // SHORT_PERIOD
    if n_seg <= 0:
        return 0.0
    seg = np.asarray(x[det.start:det.start + n_seg * SHORT_PERIOD]).reshape(n_seg, SHORT_PERIOD)
    norms = np.linalg.norm(seg, axis=1)
    corr = np.abs(seg @ _SHORT_SHIFTS.T)  # (segments, shifts)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_seg = np.where(norms[:, None] > 0, corr / np.where(norms > 0, norms, 1.0)[:, None], 0.0)
    return float(np.max(per_seg.mean(axis=0)))


def fine_cfo(x, lt1: int, cfo_hz: float, fs_hz: float = FS_HZ) -> float:
    """Residual CFO after removing ``cfo_hz``, from the lag-64 correlation of
    the guard's last 16 samples and the first long symbol with 64 samples
    later (the second long symbol). ``lt1``: first long symbol's index."""
    y = rotate(x, lt1 - 16, lt1 + 2 * N_FFT, cfo_hz, fs_hz)
    return cfo_from_lag(np.vdot(y[N_FFT:], y[:-N_FFT]), N_FFT, fs_hz)


def preamble_start(lt1: int) -> int:
    """Packet start (first short-training sample) from the first long symbol's index."""
    return lt1 - LT1_OFFSET
