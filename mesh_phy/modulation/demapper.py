"""Soft demapping (max-log LLR) for the 802.11a constellations, and the
quantiser that turns LLRs into the decoder's fixed-point soft values.

LLR sign convention: ``llr = ln P(b=0 | y) - ln P(b=1 | y)`` — positive means
"0 more likely" (the convention of MATLAB's ``qamdemod(..., 'llr')``). Bits come
out in transmission order, N_BPSC per symbol, matching :mod:`mesh_phy.modulation.mapper`.

Max-log: ``llr = (min_{s: b=1} |y - s|² - min_{s: b=0} |y - s|²) / N0`` where
``N0 = noise_var`` is the complex noise variance E|n|² (σ² = N0/2 per axis).
The Gray maps are separable, so each bit needs only its own axis.
"""

import numpy as np

import argcheck
from mesh_phy.bits import as_soft
from mesh_phy.errors import PhyError
from mesh_phy.modulation import mapper


def _axis_tables(bits_per_axis: int):
    """Levels of one axis and, per axis bit, the mask of levels where it is 1."""
    m = 1 << bits_per_axis
    idx = np.arange(m)
    gray = idx ^ (idx >> 1)  # bits of level m, MSB = first transmitted
    levels = 2 * idx - (m - 1)
    ones = np.array([(gray >> (bits_per_axis - 1 - k)) & 1 for k in range(bits_per_axis)], dtype=bool)
    return levels.astype(float), ones


def llr(symbols, modulation: str, noise_var) -> np.ndarray:
    """Max-log LLRs of the bits carried by ``symbols`` (any shape; the bits of
    each symbol are appended along the last axis, so shape (..., n) gives
    (..., n * N_BPSC)). ``symbols`` are finite numbers (complex, float or
    integer). ``noise_var`` is N0 > 0, finite: a real scalar or a real array
    that broadcasts to the shape of ``symbols``."""
    n_bpsc, per_axis, k_mod = mapper.modulation_params(modulation)
    y = argcheck.array(symbols, "symbols", PhyError, kind="c").astype(complex)
    n0 = argcheck.array(noise_var, "noise_var", PhyError, kind="f").astype(float)
    if n0.size and not (n0 > 0).all():
        raise PhyError("noise_var must be > 0")
    try:
        ok = np.broadcast_shapes(n0.shape, y.shape) == y.shape
    except ValueError:
        ok = False
    if not ok:
        raise PhyError(f"noise_var of shape {n0.shape} does not broadcast to symbols of shape {y.shape}")
    levels, ones = _axis_tables(per_axis)
    levels = levels * k_mod
    axes = [y.real] if n_bpsc == 1 else [y.real, y.imag]
    out = []
    with np.errstate(over="ignore", invalid="ignore"):
        for ax in axes:
            d = (ax[..., None] - levels) ** 2  # (..., M)
            for k in range(per_axis):
                d1 = np.min(np.where(ones[k], d, np.inf), axis=-1)
                d0 = np.min(np.where(~ones[k], d, np.inf), axis=-1)
                out.append((d1 - d0) / n0)
    res = np.stack(out, axis=-1).reshape(y.shape[:-1] + (-1,)) if y.ndim else np.array(out)
    if np.isnan(res).any():  # |y|² overflowed: no finite likelihood to report
        raise PhyError("symbol magnitudes too large to demap (|y|^2 overflows)")
    return res


def soft_max(soft_bits: int) -> int:
    """Largest soft magnitude for ``soft_bits`` (an int in 2..8): values span
    ±(2^(b-1) - 1), so 0 is the exact erasure (no preference) and the range is
    symmetric."""
    return (1 << (argcheck.integer(soft_bits, "soft_bits", PhyError, lo=2, hi=8) - 1)) - 1


# Quantiser step per soft width: a frame's mean |LLR| maps to TARGET * qmax.
# Measured (rate 1/2 BPSK, 3.5 dB, 3e6 bits per cell, BER at targets 0.2 /
# 0.3 / 0.4 / 0.55 / 0.7): 3 bits 3.9e-2 / 1.5e-3 / 5.1e-4 / 2.1e-4 / 1.8e-4;
# 4 bits 3.0e-4 / 1.6e-4 / 1.2e-4 / 1.0e-4 / 1.1e-4; 5 bits 1.2e-4 / 9.8e-5 /
# 8.4e-5 / 9.0e-5 / 1.0e-4; 6 bits 8.8e-5 / 7.7e-5 / 8.0e-5 / 8.4e-5 / 9.6e-5;
# 7 and 8 bits flat at 7.4e-5 .. 8.3e-5 for 0.1 .. 0.3. Narrow words want the
# mean near full scale (few levels to spend), wide words can keep headroom.
# That is AWGN, where every LLR of a frame has the same reliability scale. Under
# frequency-selective fading the LLRs are weighted by |H_k|^2 / N0 and span tens
# of dB in one frame: the mean is set by the strong subcarriers and the weak
# ones round to 0 or ±1 (the receiver uses LLR_FULL_SCALE instead).
QUANT_TARGET = {2: 1.0, 3: 0.7, 4: 0.55, 5: 0.4, 6: 0.3, 7: 0.2, 8: 0.2}

# The receiver's quantiser (mesh_phy.rx.decode_bits): a fixed step in natural
# units of LLR, full scale at LLR_FULL_SCALE nats (6 bits: 16/31 = 0.52 nat a
# level). The LLRs already carry N0 and the per-subcarrier gain |H_k|^2
# (noise variance N0/|H_k|^2), so the step in the equalised constellation is
# proportional to N0/|H_k|^2 and a strong subcarrier saturates (|LLR| >= 16
# nats: a bit error probability < 1e-7) without coarsening a weak one.
# Measured on the same packets (mesh_phy.link.packet, 1000-byte PSDUs; PER per-
# frame AGC 6 bits / AGC 8 bits / this scale 6 bits / this scale 8 bits):
# 50 ns Rayleigh multipath, ideal channel, 36 dB, 1000 packets: 54 Mbit/s
# 0.097 / 0.006 / 0 / 0, 48 Mbit/s 0.018 / 0 / 0 / 0, 36 Mbit/s 0.019 / 0 / 0 / 0;
# full synchronisation 54 Mbit/s at 26 dB (600): 0.222 / 0.118 / 0.093 / 0.093;
# AWGN, full synchronisation, 1000 packets at the 10 % PER SNR: 54 Mbit/s
# 17.8 dB 0.123 / 0.083 / 0.079 / 0.079, 24 Mbit/s 8.8 dB 0.093 / 0.086 / 0.085 /
# 0.087, 6 Mbit/s 0.45 dB 0.108 / 0.106 / 0.107 / 0.107. Full scale 12 and 24
# nats measured the same as 16 at 6 bits; 8 nats lost at 54 Mbit/s (0.117).
LLR_FULL_SCALE = 16.0


def quantize(llrs, soft_bits: int, *, scale=None) -> np.ndarray:
    """Quantise float LLRs to signed ints in ±(2^(soft_bits-1) - 1), saturating.

    Each row (last axis) is one frame and gets its own step so that its mean
    |LLR| lands at ``QUANT_TARGET[soft_bits]`` of full scale (an AGC, as the
    hardware's front end would apply), unless ``scale`` (levels per unit LLR)
    is given: a finite real > 0, or None.
    ``llrs``: integer or float, at least 1-D. Erasures (exact 0.0) stay 0.
    NaN is refused; ±inf saturates.
    """
    q = soft_max(soft_bits)
    soft_bits = int(soft_bits)
    x = as_soft(llrs, "llrs").astype(float, copy=False)
    if scale is not None:
        scale = argcheck.real(scale, "scale", PhyError, lo=0.0, lo_open=True)
    if scale is None:
        # |LLR| beyond 1e100 is a certainty either way; capping keeps the sum finite
        finite = np.where(np.isfinite(x), np.minimum(np.abs(x), 1e100), 0.0)
        nz = np.maximum((finite > 0).sum(axis=-1, keepdims=True), 1)
        mean = finite.sum(axis=-1, keepdims=True) / nz
        target = QUANT_TARGET[soft_bits] * q
        with np.errstate(over="ignore"):
            scale = np.where(mean > 0, target / np.where(mean > 0, mean, 1.0), 1.0)
        # a denormal mean would give an infinite step, and 0 * inf = NaN for erasures
        scale = np.minimum(scale, 1e300)
    with np.errstate(invalid="ignore", over="ignore"):
        v = np.rint(np.clip(x * scale, -q, q))
    return v.astype(np.int8 if soft_bits <= 8 else np.int16)
