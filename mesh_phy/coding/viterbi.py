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
"""

import numpy as np
from numba import njit, prange

from mesh_phy.coding import conv
from mesh_phy.errors import PhyError
from mesh_phy.modulation import demapper

MAX_TRACEBACK = 64  # survivors are uint64
DEFAULT_TRACEBACK = 64
DEFAULT_SOFT_BITS = 6  # 7-8 bits measure no better (see demapper.QUANT_TARGET)


def pm_bits(soft_bits: int) -> int:
    """Path-metric register width for ``soft_bits`` (see module doc)."""
    return soft_bits + 8


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


@njit(cache=True, nogil=True)
def _best_state(pm, mask, half):
    """Index of the smallest modulo metric, lowest index on ties."""
    best = 0
    bestv = 0
    for s in range(1, 64):
        d = (pm[s] - pm[0]) & mask
        if d >= half:
            d -= mask + 1
        if d < bestv:
            bestv = d
            best = s
    return best


@njit(cache=True, nogil=True)
def _decode_frame(soft, qmax, pmw, tb, terminated, out_table, out):
    """Decode one frame: ``soft`` (2N,) int8 mother-code values → ``out`` (N,)."""
    mask = (1 << pmw) - 1
    half = 1 << (pmw - 1)
    tbmask = np.uint64((1 << tb) - 1) if tb < 64 else np.uint64(0xFFFFFFFFFFFFFFFF)
    one = np.uint64(1)
    n = soft.shape[0] // 2
    pm = np.full(64, 32 * qmax, np.int64)
    pm[0] = 0
    npm = np.empty(64, np.int64)
    sv = np.zeros(64, np.uint64)
    nsv = np.empty(64, np.uint64)
    bm = np.empty(4, np.int64)
    for t in range(n):
        sa = np.int64(soft[2 * t])
        sb = np.int64(soft[2 * t + 1])
        for e in range(4):
            bm[e] = (qmax + (sa if e & 1 else -sa)) + (qmax + (sb if e & 2 else -sb))
        for ns in range(64):
            x_in = ns >> 5
            p0 = (ns & 31) << 1
            p1 = p0 | 1
            c0 = (pm[p0] + bm[out_table[p0, x_in]]) & mask
            c1 = (pm[p1] + bm[out_table[p1, x_in]]) & mask
            if ((c1 - c0) & mask) >= half:
                npm[ns] = c1
                nsv[ns] = ((sv[p1] << one) | np.uint64(x_in)) & tbmask
            else:
                npm[ns] = c0
                nsv[ns] = ((sv[p0] << one) | np.uint64(x_in)) & tbmask
        pm, npm = npm, pm
        sv, nsv = nsv, sv
        if t >= tb - 1 and t < n - 1:
            best = _best_state(pm, mask, half)
            out[t - tb + 1] = (sv[best] >> np.uint64(tb - 1)) & one
    final = 0 if terminated else _best_state(pm, mask, half)
    k = min(n, tb)
    for j in range(k):
        out[n - k + j] = (sv[final] >> np.uint64(k - 1 - j)) & one


@njit(cache=True, parallel=True)
def _decode_batch(soft, qmax, pmw, tb, terminated, out_table, out):
    for f in prange(soft.shape[0]):
        _decode_frame(soft[f], qmax, pmw, tb, terminated, out_table, out[f])


def to_soft(soft, soft_bits: int, hard: bool = False) -> np.ndarray:
    """Decoder input from LLRs: floats are quantised (hard: sign only, ±1);
    integers are taken as already-quantised soft values and range-checked."""
    arr = np.asarray(soft)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise PhyError("soft values must be numeric")
    if np.issubdtype(arr.dtype, np.integer):
        q = demapper.soft_max(2 if hard else soft_bits)
        if arr.size and (arr.min() < -q or arr.max() > q):
            raise PhyError(f"integer soft values must lie in ±{q} for soft_bits={soft_bits}")
        return arr.astype(np.int8)
    if np.iscomplexobj(arr):
        raise PhyError("soft values must be real")
    if np.isnan(arr).any():
        raise PhyError("soft values contain NaN")
    if hard:
        return np.sign(arr).astype(np.int8)
    return demapper.quantize(arr, soft_bits)


def decode(soft, rate: str = "1/2", *, traceback: int = DEFAULT_TRACEBACK,
           soft_bits: int = DEFAULT_SOFT_BITS, hard: bool = False,
           terminated: bool = True) -> np.ndarray:
    """Decode one frame (1-D) or a batch (2-D, one frame per row).

    ``soft``: LLRs of the coded bits at ``rate`` (punctured stream, float as
    :func:`mesh_phy.modulation.demapper.llr` returns them — quantised here to
    ``soft_bits`` — or integers already in ±(2^(soft_bits-1)-1)).
    ``hard=True`` decodes on the LLR signs only (hard decision).
    ``terminated``: the encoder ended in state 0 (802.11a tail bits).
    Returns uint8 decoded bits, one per trellis step, tail included.
    """
    if not isinstance(traceback, (int, np.integer)) or not 1 <= traceback <= MAX_TRACEBACK:
        raise PhyError(f"traceback must be an int in 1..{MAX_TRACEBACK}, got {traceback!r}")
    q = to_soft(soft, soft_bits, hard)
    if q.ndim not in (1, 2):
        raise PhyError(f"soft values must be 1-D or 2-D, got shape {q.shape}")
    mother = conv.depuncture(q, rate)
    batch = np.ascontiguousarray(np.atleast_2d(mother))
    if batch.shape[1] == 0:
        raise PhyError("no soft values to decode")
    qmax = demapper.soft_max(2 if hard else soft_bits)
    width = pm_bits(2 if hard else soft_bits)
    out = np.zeros((batch.shape[0], batch.shape[1] // 2), dtype=np.uint8)
    _decode_batch(batch, qmax, width, int(traceback), bool(terminated), OUT, out)
    return out[0] if q.ndim == 1 else out
