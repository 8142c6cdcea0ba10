"""Fixed-point 64-point FFT/IFFT, bit-exact with ``rtl_verif/rtl/fft64.sv``.

Algorithm: radix-2² single-path delay feedback (R2²SDF, Ho & He 1996), i.e.
radix-2 decimation in frequency with the twiddles of each pair of stages
refactored so that only every second stage multiplies:

* six butterfly stages s = 0..5 with span D = 32 >> s; stage s pairs the
  samples i and i + D of each 2D-block: sum = a + b, diff = a - b;
* in the odd stages (1, 3, 5) the ``b`` operand of every odd 2D-block is first
  multiplied by -j (a swap and a sign, no multiplier);
* after stage 1, the sample at position p (0..63, in stage order) is
  multiplied by W64^(r(q)·i) with q = p >> 4, i = p & 15 and r = 0, 2, 1, 3
  for q = 0, 1, 2, 3; after stage 3, position p by W16^(r(q)·i) with
  q = (p >> 2) & 3, i = p & 3 (W16^e = W64^(4e)); stage 5 needs none;
* the stage-5 output is in bit-reversed order: X[k] sits at position
  bitrev6(k); the RTL's reorder buffer returns natural order, as this model.

IFFT: the same datapath with real and imaginary parts swapped on the way in
and on the way out (swap(z) = j·conj(z), and FFT(swap(x)) = swap(IDFT(x))),
so the inverse is the unnormalised IDFT Σ x[n]·e^{+j2πnk/64}, scaled as below.

Fixed point (every rounding and saturation):

* input: re and im signed ``in_width``-bit integers (any value, the most
  negative included);
* twiddles: W64^k = cos(2πk/64) - j·sin(2πk/64), each part rounded half up
  to a signed ``tw_width``-bit integer with ``tw_width - 2`` fraction bits
  (values in [-2, 2): +1.0 is exact, so the twiddle of index 0 is exact);
* butterflies: exact (one bit of growth); where bit s of ``scale`` is set,
  stage s's sums and differences are halved with **convergent rounding**
  (round half to even): v → (v >> 1) + (v & v >> 1 & 1);
* twiddle products: re = a·c - b·s, im = a·s + b·c exact, then shifted right by
  ``tw_width - 2`` with convergent rounding;
* widths never overflow (the model checks it): W0 = in_width, stage s grows
  one bit less its scale bit, and stage 0 carries one guard bit more: its
  difference reaches 2^W - 1, which halves (rounded to even) to 2^(W-1), and
  from stage 1 on a rotation can turn a part's full range into √2 times it.
  With the guard bit every part stays within 2^(W-1) of a stage-0/1 word of
  width W+1, i.e. the magnitude stays below 0.71 of each later stage's range,
  so the twiddle products (|W| ≤ 1 + 2^-(tw_width-2)) and later butterflies
  fit with margin for the roundings. Final width
  ``in_width + 7 - popcount(scale)``;
* output: saturated to signed ``out_width`` bits (a full-scale input can
  reach 1.27× the input range with scale 0b111111), sign-extended when wider.

So with ``scale = 0b111111`` the output is FFT(x)/64 (and IDFT(x)/64 =
``numpy.fft.ifft(x)``), rounded as above. Samples of a frame are numbered
0..63 in arrival order; the RTL's s_axis_tdata is {im, re}.
"""

import math
from typing import NamedTuple

import numpy as np

import argcheck
from mesh_phy.errors import PhyError

N = 64
STAGES = 6
_R = (0, 2, 1, 3)  # radix-2² twiddle exponent factor r(q)


class FftParams(NamedTuple):
    in_width: int
    out_width: int
    tw_width: int
    scale: int  # bit s set: stage s halves (convergent rounding)
    twiddles: tuple  # ((re, im), ...) for W64^k, k = 0..63, integers with tw_width - 2 fraction bits

    @property
    def stage_widths(self) -> tuple:
        """Widths W0..W6 of the data entering stage 0 .. leaving stage 5."""
        w = [self.in_width]
        for s in range(STAGES):
            w.append(w[-1] + 1 - ((self.scale >> s) & 1) + (1 if s == 0 else 0))
        return tuple(w)

    @property
    def shift(self) -> int:
        """Total right shift: the output is the transform divided by 2**shift."""
        return bin(self.scale).count("1")


def params(in_width: int = 16, out_width: int = 16, tw_width: int = 16, scale: int = 0b111111) -> FftParams:
    """Validated parameters; the twiddle table is computed here, and the RTL's
    is generated from it (``rtl_verif/regs/consts.py``, ``fft64_twiddle.sv``)."""
    in_width = argcheck.integer(in_width, "in_width", PhyError, lo=6, hi=24)
    out_width = argcheck.integer(out_width, "out_width", PhyError, lo=4, hi=32)
    tw_width = argcheck.integer(tw_width, "tw_width", PhyError, lo=4, hi=24)
    scale = argcheck.integer(scale, "scale", PhyError, lo=0, hi=(1 << STAGES) - 1)
    f = tw_width - 2
    tw = tuple((_round_half_up(math.cos(2 * math.pi * k / N) * 2**f),
                _round_half_up(-math.sin(2 * math.pi * k / N) * 2**f)) for k in range(N))
    return FftParams(in_width, out_width, tw_width, scale, tw)


def _round_half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


def twiddle_exponent(stage: int, p: np.ndarray) -> np.ndarray:
    """Exponent e of W64^e applied after ``stage`` (1 or 3) at positions ``p``."""
    if stage == 1:
        q, i = (p >> 4) & 3, p & 15
        return np.take(_R, q) * i
    q, i = (p >> 2) & 3, p & 3
    return 4 * np.take(_R, q) * i


def bitrev6(k):
    """6-bit bit reversal (scalar or array)."""
    k = np.asarray(k)
    out = np.zeros_like(k)
    for b in range(6):
        out |= ((k >> b) & 1) << (5 - b)
    return out


def _round_conv(v: np.ndarray, f: int) -> np.ndarray:
    """v / 2^f with round half to even (f >= 1)."""
    r = v >> f
    rem = v & ((1 << f) - 1)
    half = 1 << (f - 1)
    return r + ((rem > half) | ((rem == half) & (r & 1).astype(bool)))


def _check(v: np.ndarray, width: int, where: str) -> None:
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
    if v.size and (v.min() < lo or v.max() > hi):  # unreachable by design: a model bug
        raise AssertionError(f"fft_fixed: {where} overflows {width} bits")


def fft64(re, im, p: FftParams | None = None, *, inverse=False):
    """Bit-exact transform of frames of 64 samples.

    ``re``, ``im``: integer arrays of shape (64,) or (frames, 64), signed
    ``in_width``-bit values. ``inverse``: a bool, or a bool array of shape
    (frames,) choosing the direction per frame (the RTL's tuser). Returns
    ``(re, im)`` int64 arrays of the input's shape, natural order, signed
    ``out_width`` bits."""
    p = params() if p is None else p
    if not isinstance(p, FftParams):
        raise PhyError(f"p must be FftParams from fft_fixed.params(), got {type(p).__name__}")
    xr = argcheck.array(re, "re", PhyError, kind="i")
    xi = argcheck.array(im, "im", PhyError, kind="i")
    if xr.shape != xi.shape or xr.ndim not in (1, 2) or xr.shape[-1] != N:
        raise PhyError(f"re and im must both have shape (64,) or (frames, 64), got {xr.shape} and {xi.shape}")
    lo, hi = -(1 << (p.in_width - 1)), 1 << (p.in_width - 1)
    for name, a in (("re", xr), ("im", xi)):
        if a.size and (a.min() < lo or a.max() >= hi):
            raise PhyError(f"{name} outside signed {p.in_width}-bit range")
    single = xr.ndim == 1
    xr = np.atleast_2d(xr).astype(np.int64)
    xi = np.atleast_2d(xi).astype(np.int64)
    inv = np.asarray(inverse)
    if inv.dtype != np.bool_ or inv.ndim > 1 or (inv.ndim == 1 and inv.shape[0] != xr.shape[0]):
        raise PhyError("inverse must be a bool or a bool array with one entry per frame")
    inv = np.broadcast_to(inv, (xr.shape[0],))[:, None]
    ar, ai = np.where(inv, xi, xr), np.where(inv, xr, xi)  # IFFT: swap in
    ar, ai = _datapath(ar, ai, p)
    ar, ai = ar[:, bitrev6(np.arange(N))], ai[:, bitrev6(np.arange(N))]  # the reorder buffer
    olo, ohi = -(1 << (p.out_width - 1)), (1 << (p.out_width - 1)) - 1
    ar, ai = np.clip(ar, olo, ohi), np.clip(ai, olo, ohi)
    outr, outi = np.where(inv, ai, ar), np.where(inv, ar, ai)  # IFFT: swap out
    return (outr[0], outi[0]) if single else (outr, outi)


def _datapath(ar: np.ndarray, ai: np.ndarray, p: FftParams):
    """The six stages on (frames, 64) arrays; returns the stage-5 output in
    bit-reversed order (position p holds X[bitrev6(p)])."""
    widths = p.stage_widths
    tw = np.array(p.twiddles, dtype=np.int64)
    pos = np.arange(N)
    frames = ar.shape[0]
    for s in range(STAGES):
        d = N >> (s + 1)
        blocks = N // (2 * d)
        xr = ar.reshape(frames, blocks, 2, d)
        xi = ai.reshape(frames, blocks, 2, d)
        a_r, a_i, b_r, b_i = xr[:, :, 0], xi[:, :, 0], xr[:, :, 1], xi[:, :, 1]
        if s % 2:  # -j·b in the odd blocks: (br, bi) → (bi, -br)
            odd = (np.arange(blocks) % 2 == 1)[None, :, None]
            b_r, b_i = np.where(odd, b_i, b_r), np.where(odd, -b_r, b_i)
        sr, si, dr, di = a_r + b_r, a_i + b_i, a_r - b_r, a_i - b_i
        if (p.scale >> s) & 1:
            sr, si, dr, di = (_round_conv(v, 1) for v in (sr, si, dr, di))
        ar = np.stack([sr, dr], axis=2).reshape(frames, N)
        ai = np.stack([si, di], axis=2).reshape(frames, N)
        for v in (ar, ai):
            _check(v, widths[s + 1], f"stage {s}")
        if s in (1, 3):
            w = tw[twiddle_exponent(s, pos)]
            cr, ci = w[:, 0], w[:, 1]
            f = p.tw_width - 2
            ar, ai = _round_conv(ar * cr - ai * ci, f), _round_conv(ar * ci + ai * cr, f)
            for v in (ar, ai):
                _check(v, widths[s + 1], f"twiddle after stage {s}")
    return ar, ai


def reference(re, im, p: FftParams, *, inverse=False) -> np.ndarray:
    """The ideal (float) transform in the model's output units: ``numpy.fft``
    of the integer input divided by 2**shift (the IDFT unnormalised)."""
    x = np.asarray(re, dtype=float) + 1j * np.asarray(im, dtype=float)
    inv = np.broadcast_to(np.asarray(inverse), x.shape[:-1])[..., None]
    return np.where(inv, np.fft.ifft(x, axis=-1) * N, np.fft.fft(x, axis=-1)) / 2.0**p.shift


def sqnr_db(out_re, out_im, ref: np.ndarray) -> float:
    """Signal-to-quantisation-noise ratio (dB) of a fixed-point output against
    the float reference: Σ|ref|² / Σ|out - ref|²."""
    out = np.asarray(out_re, dtype=float) + 1j * np.asarray(out_im, dtype=float)
    noise = np.sum(np.abs(out - ref) ** 2)
    sig = np.sum(np.abs(ref) ** 2)
    return math.inf if noise == 0 else 10 * math.log10(sig / noise)


def latency_clocks() -> int:
    """Clocks of the RTL at full rate from the clock edge that takes a frame's
    first sample to the edge that hands over its first output (measured by the
    testbench): 63 samples of SDF delay, 8 pipeline registers (6 stages, 2
    multipliers), the 63 remaining writes of the reorder buffer, its read into
    the output register, and the output handshake."""
    return 63 + 8 + 63 + 1 + 1
