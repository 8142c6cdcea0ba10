"""Soft-decision Viterbi decoder for the K = 7 (133, 171) code, bit-exact with
``rtl_verif/rtl/viterbi_dec.sv``.

Architecture (the RTL has the same, step for step):

* Soft input: signed ints in ±Q, Q = 2^(soft_bits-1) - 1; positive = "bit 0
  more likely" (the LLR sign of :mod:`mesh_phy.modulation.demapper`); 0 = erasure.
* Trellis: state = the last six input bits, bit 5 = newest (the encoder's
  shift register). New state ns comes from ps = ((ns & 31) << 1) | x,
  x ∈ {0, 1}, with input bit ns >> 5.
* Branch metric for expected bits (a, b): (Q + sa') + (Q + sb') with
  s' = +s when the expected bit is 1, -s when it is 0 — in 0 .. 4Q; an
  erasure costs Q on both branches, so it favours neither.
* Path metrics: unsigned ``soft_bits + 8``-bit registers in modulo
  arithmetic (no normalisation): a < b when (a - b) mod 2^W ≥ 2^(W-1). The
  spread stays below 24Q + 32Q < 2^(W-1), so the comparison is always right.
  Start: state 0 at 0, the others at 32Q.
* ACS: take predecessor x = 1 only when its candidate is strictly smaller.
* Survivors: register exchange, ``traceback`` bits per state (newest in the
  LSB).
* Output: after step t ≥ traceback - 1 (except the last), the oldest bit of
  the best state's survivor — best = smallest metric, lowest index on ties.
  After the last step the survivor of state 0 (terminated trellis; the best
  state when ``terminated=False``) is flushed, oldest bit first.

A frame of N trellis steps (2N soft values) gives N decoded bits.

Implementation (the same decisions as above, computed faster; the RTL
testbench and the brute-force ML test hold it to that):

* The W-bit metrics are kept in int16 words shifted left by 16 - W (W ≤ 16
  since soft_bits ≤ 8): int16 wrap-around is then arithmetic mod 2^W, and
  "(a - b) mod 2^W ≥ 2^(W-1)" is the sign of the int16 difference.
* Butterflies: predecessors 2j, 2j+1 feed successors j (x = 0) and j + 32
  (x = 1). Both generators tap the newest and the oldest bit, so the four
  branches of a butterfly expect a pair and its complement: with
  m = ±sa ± sb for branch (2j, 0), the metrics are 2Q + m and 2Q - m. The
  common 2Q is dropped: adding one constant to every metric changes no
  comparison (they are all differences).
* Survivors are one uint64 per state; bits at or above ``traceback`` are not
  masked off since no output ever reads them.
* When every survivor holds the same oldest bit, that bit is the output and
  the best-state search is skipped (its survivor holds it too).
* The punctured stream is read in place: stolen positions are erasures (0)
  of the rate's puncturing mask (:func:`mesh_phy.coding.conv.puncture_mask`).
"""

import numpy as np
from numba import njit, prange

import argcheck
from mesh_phy.bits import as_soft
from mesh_phy.coding import conv
from mesh_phy.errors import PhyError
from mesh_phy.modulation import demapper

MAX_TRACEBACK = 64  # survivors are uint64
DEFAULT_TRACEBACK = 64
# 6 bits: in AWGN 7-8 bits measure no better with the per-frame AGC (demapper.QUANT_TARGET), but not under
# frequency-selective fading, where that AGC leaves PER floors (8 bits lower them); with the receiver's fixed
# LLR step (demapper.LLR_FULL_SCALE) 6 and 8 bits measured the same in both (the RTL is verified at 6 and 3).
DEFAULT_SOFT_BITS = 6
MIN_SOFT_BITS, MAX_SOFT_BITS = 2, 8  # metrics fit int16: soft_bits + 8 ≤ 16
HARD_SOFT_BITS = 2  # hard decisions are soft values of width 2: -1, 0 (erasure), +1
# A batch is spread over the cores from this many trellis steps in all (below,
# waking the worker threads costs more than it saves: ~100 µs on a busy machine,
# against ~13 ns per step on one core).
PARALLEL_MIN_STEPS = 20_000


def pm_bits(soft_bits: int) -> int:
    """Path-metric register width for ``soft_bits`` (2..8; see module doc)."""
    return argcheck.integer(soft_bits, "soft_bits", PhyError, lo=MIN_SOFT_BITS, hi=MAX_SOFT_BITS) + 8


def _expected_outputs() -> np.ndarray:
    """OUT[ps, x]: 2-bit index (a | b << 1) of the coded pair for input x from state ps."""
    out = np.zeros((64, 2), dtype=np.int64)
    for ps in range(64):
        for x in range(2):
            win = (x << 6) | ps  # bit 6 = current input, bit 5 = delay 1, ...
            a = bin(win & conv.G0).count("1") & 1
            b = bin(win & conv.G1).count("1") & 1
            out[ps, x] = a | (b << 1)
    return out


OUT = _expected_outputs()


def _butterfly_signs(out: np.ndarray):
    """Per butterfly j: +1/-1 where branch (2j, x=0) expects a 1/0 on output A
    and on output B (int16, 32 each). Checks the complement structure the
    decoder relies on (module doc)."""
    e = out[0::2, 0]
    if not (np.array_equal(out[1::2, 0], 3 - e) and np.array_equal(out[0::2, 1], 3 - e)
            and np.array_equal(out[1::2, 1], e)):
        raise AssertionError("generators do not tap both the newest and the oldest bit")
    return np.where(e & 1, 1, -1).astype(np.int16), np.where(e & 2, 1, -1).astype(np.int16)


SIGN_A, SIGN_B = _butterfly_signs(OUT)


@njit(cache=True, nogil=True)
def _best_state(pm):
    """Index of the smallest modulo metric (int16 words, see module doc),
    lowest index on ties: the minimum of (difference to state 0) * 64 + index."""
    p0 = np.int32(pm[0])
    key = np.int32(0)
    for s in range(64):
        key = min(key, (np.int32(np.int16(np.int32(pm[s]) - p0)) << 6) | s)
    return key & 63


@njit(inline="always", nogil=True)
def _step(pm, sv, npm, nsv, sa, sb, sign_a, sign_b):
    """One trellis step from (pm, sv) into (npm, nsv); ``sa``/``sb`` are the
    soft values already shifted like the metrics. Returns the AND and the OR of
    the new survivors (to see whether they all agree on a bit)."""
    one = np.uint64(1)
    all1 = np.uint64(0xFFFFFFFFFFFFFFFF)
    any1 = np.uint64(0)
    for j in range(32):
        m = np.int16(sa * sign_a[j] + sb * sign_b[j])
        a = pm[2 * j]
        b = pm[2 * j + 1]
        c00 = np.int16(a + m)  # to state j from 2j
        c01 = np.int16(b - m)  # to state j from 2j + 1
        c10 = np.int16(a - m)  # to state j + 32 from 2j
        c11 = np.int16(b + m)  # to state j + 32 from 2j + 1
        x0 = np.int16(c01 - c00) < 0  # 2j + 1 strictly better (modulo compare)
        x1 = np.int16(c11 - c10) < 0
        npm[j] = c01 if x0 else c00
        npm[j + 32] = c11 if x1 else c10
        e = sv[2 * j]
        diff = e ^ sv[2 * j + 1]
        u0 = (e ^ (diff & (np.uint64(0) - np.uint64(x0)))) << one
        u1 = ((e ^ (diff & (np.uint64(0) - np.uint64(x1)))) << one) | one
        nsv[j] = u0
        nsv[j + 32] = u1
        all1 &= u0 & u1
        any1 |= u0 | u1
    return all1, any1


@njit(inline="always", nogil=True)
def _emit(t, n, tb, all1, any1, pm, sv, out):
    """Output rule after step ``t`` (module doc), with the agreement shortcut."""
    if t >= tb - 1 and t < n - 1:
        top = np.uint64(tb - 1)
        one = np.uint64(1)
        bit = (all1 >> top) & one
        if bit == (any1 >> top) & one:
            out[t - tb + 1] = bit
        else:
            out[t - tb + 1] = (sv[_best_state(pm)] >> top) & one


@njit(inline="always", nogil=True)
def _pair(soft, keep, i, ph):
    """Soft values of the next trellis step from the punctured stream: read
    position ``i``, phase ``ph`` in the puncturing period ``keep`` (int64 0/1;
    stolen positions are erasures). Returns (sa, sb, next i, next ph).
    Branch-free: a stolen value is a (clamped, in-bounds) read times 0."""
    last = soft.shape[0] - 1
    ka = keep[ph]
    kb = keep[ph + 1]
    sa = np.int64(soft[min(i, last)]) * ka
    i += ka
    sb = np.int64(soft[min(i, last)]) * kb
    i += kb
    ph += 2
    if ph == keep.shape[0]:
        ph = 0
    return sa, sb, i, ph


@njit(cache=True, nogil=True)
def _decode_frame(soft, keep, qmax, pmw, tb, terminated, sign_a, sign_b, out):
    """Decode one frame: ``soft`` int8 punctured values (whole periods of
    ``keep``, the int64 0/1 puncturing mask) → ``out`` (N,) uint8, N = trellis
    steps."""
    shift = 16 - pmw
    n = out.shape[0]
    pm = np.empty(64, np.int16)
    npm = np.empty(64, np.int16)
    start = (32 * qmax) << shift
    pm[:] = np.int16(start - 65536 if start >= 32768 else start)
    pm[0] = 0
    sv = np.zeros(64, np.uint64)
    nsv = np.zeros(64, np.uint64)
    i = 0
    ph = 0
    t = 0
    # two steps per pass, (pm, sv) → (npm, nsv) → (pm, sv): no copying back;
    # after an odd number of steps the last ones are in (npm, nsv)
    while t < n:
        sa, sb, i, ph = _pair(soft, keep, i, ph)
        all1, any1 = _step(pm, sv, npm, nsv, sa << shift, sb << shift, sign_a, sign_b)
        _emit(t, n, tb, all1, any1, npm, nsv, out)
        t += 1
        if t == n:
            break
        sa, sb, i, ph = _pair(soft, keep, i, ph)
        all1, any1 = _step(npm, nsv, pm, sv, sa << shift, sb << shift, sign_a, sign_b)
        _emit(t, n, tb, all1, any1, pm, sv, out)
        t += 1
    last_pm = npm if n & 1 else pm
    final = (nsv if n & 1 else sv)[0 if terminated else _best_state(last_pm)]
    k = min(n, tb)
    for j in range(k):
        out[n - k + j] = (final >> np.uint64(k - 1 - j)) & np.uint64(1)


@njit(cache=True, nogil=True, parallel=True)
def _decode_batch(soft, keep, qmax, pmw, tb, terminated, sign_a, sign_b, out):
    for f in prange(soft.shape[0]):
        _decode_frame(soft[f], keep, qmax, pmw, tb, terminated, sign_a, sign_b, out[f])


def _soft_bits(soft_bits, hard: bool) -> int:
    """Validated ``soft_bits`` (checked even when ``hard`` ignores it), or the hard width."""
    bits = argcheck.integer(soft_bits, "soft_bits", PhyError, lo=MIN_SOFT_BITS, hi=MAX_SOFT_BITS)
    return HARD_SOFT_BITS if hard else bits


def _quantised(arr: np.ndarray, width: int, hard: bool) -> np.ndarray:
    """:func:`to_soft` on an array already checked by :func:`mesh_phy.bits.as_soft`."""
    if arr.dtype.kind in "iu":
        q = demapper.soft_max(width)
        if arr.size and (arr.min() < -q or arr.max() > q):
            raise PhyError(f"integer soft values must lie in ±{q} "
                           + ("for hard decisions" if hard else f"for soft_bits={width}"))
        return arr.astype(np.int8)
    if hard:
        return np.sign(arr).astype(np.int8)
    return demapper.quantize(arr, width)


def to_soft(soft, soft_bits: int, hard: bool = False) -> np.ndarray:
    """Decoder input from LLRs, same shape, int8: floats are quantised with
    :func:`mesh_phy.modulation.demapper.quantize` (hard: sign only, ±1, and 0
    stays an erasure); NaN is refused, ±inf is a certainty (saturates to ±Q).
    Integers are taken as already-quantised soft values and must lie in ±Q,
    Q = 2^(soft_bits-1) - 1 (±1 when ``hard``). Bools, complex, non-numeric
    values and scalars are refused."""
    hard = argcheck.flag(hard, "hard", PhyError)
    return _quantised(as_soft(soft, "soft"), _soft_bits(soft_bits, hard), hard)


def decode(soft, rate: str = "1/2", *, traceback: int = DEFAULT_TRACEBACK,
           soft_bits: int = DEFAULT_SOFT_BITS, hard: bool = False,
           terminated: bool = True) -> np.ndarray:
    """Decode one frame (1-D) or a batch (2-D, one frame per row; rows are
    decoded in parallel).

    ``soft``: LLRs of the coded bits at ``rate`` (punctured stream, float as
    :func:`mesh_phy.modulation.demapper.llr` returns them — quantised here to
    ``soft_bits`` — or integers already in ±(2^(soft_bits-1)-1); see
    :func:`to_soft` for NaN and ±inf). Its length must be a whole number of
    puncturing periods (2, 3 or 4 values for rate 1/2, 2/3, 3/4), at least one.
    ``rate``: "1/2", "2/3" or "3/4". ``traceback``: survivor length in bits,
    1 .. 64. ``soft_bits``: soft-value width, 2 .. 8.
    ``hard=True`` decodes on the LLR signs only (hard decision).
    ``terminated``: the encoder ended in state 0 (802.11a tail bits).
    Returns uint8 decoded bits, one per trellis step, tail included.
    """
    tb = argcheck.integer(traceback, "traceback", PhyError, lo=1, hi=MAX_TRACEBACK)
    term = argcheck.flag(terminated, "terminated", PhyError)
    hard = argcheck.flag(hard, "hard", PhyError)
    width = _soft_bits(soft_bits, hard)
    keep = conv.puncture_mask(rate).astype(np.int64)
    arr = as_soft(soft, "soft")
    if arr.ndim > 2:
        raise PhyError(f"soft values must be 1-D or 2-D, got shape {arr.shape}")
    kept = int(keep.sum())
    if arr.shape[-1] % kept:
        raise PhyError(f"{arr.shape[-1]} soft values is not a multiple of {kept} for rate {rate}")
    if arr.shape[-1] == 0:
        raise PhyError("no soft values to decode")
    q = np.ascontiguousarray(_quantised(arr, width, hard))
    qmax = demapper.soft_max(width)
    n = q.shape[-1] // kept * keep.size // 2
    args = (keep, qmax, pm_bits(width), tb, term, SIGN_A, SIGN_B)
    if q.ndim == 1:
        out = np.empty(n, dtype=np.uint8)
        _decode_frame(q, *args, out)
        return out
    out = np.empty((q.shape[0], n), dtype=np.uint8)
    if q.shape[0] > 1 and out.size >= PARALLEL_MIN_STEPS:
        _decode_batch(q, *args, out)
    else:
        for f in range(q.shape[0]):
            _decode_frame(q[f], *args, out[f])
    return out
