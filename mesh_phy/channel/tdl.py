"""A tapped delay line whose tap gains may vary in time: the one channel
representation that multipath (:mod:`mesh_phy.channel.multipath`) and the
air-to-ground channel (:mod:`mesh_phy.channel.a2g`) produce, that is applied
to bursts, and that a genie-aided receiver can be told.

Tap ``k`` has a delay ``τ_k`` (seconds, any real ≥ 0: sample-spaced or
fractional) and a complex gain that is a sum of complex exponentials::

    g_k(t) = Σ_m c[k, m] · exp(j 2π ν[k, m] t)

with coefficients ``c`` (linear amplitude) and Doppler frequencies ``ν`` (Hz).
A static tap is one term at 0 Hz; a specular ray is one term at its Doppler
shift; a Rayleigh-fading tap is a sum of sinusoids (Clarke/Jakes, see
:mod:`mesh_phy.channel.fading`). The output is::

    y(t) = Σ_k g_k(t) · x(t − τ_k)

with the delay done by band-limited interpolation (:mod:`mesh_phy.channel.interp`)
and ``t = t0_s + n / fs`` at output sample ``n``. The output has the input's
length: the multipath tail past the last input sample is cut, so pad the burst
with zeros first if it matters. Power: the mean power gain is
``Σ_k Σ_m |c[k, m]|²`` (time average; equal to the ensemble mean of
``|g_k|²`` when the phases are random), reported by :meth:`TDL.mean_power`.
"""

from dataclasses import dataclass

import numpy as np
from scipy.signal import oaconvolve

import argcheck
from mesh_phy.channel import interp, signal
from mesh_phy.errors import PhyError


@dataclass(frozen=True, eq=False)
class TDL:
    """Tap delays ``delays_s`` (P,), coefficients ``coeffs`` (P, M) complex and
    Doppler frequencies ``dopplers_hz`` (P, M); build with :func:`make`."""

    delays_s: np.ndarray
    coeffs: np.ndarray
    dopplers_hz: np.ndarray

    @property
    def static(self) -> bool:
        return not np.any(self.dopplers_hz)

    def mean_power(self) -> float:
        """Mean power gain ``Σ |c|²`` (linear)."""
        return float(np.sum(np.abs(self.coeffs) ** 2))

    def tap_powers(self) -> np.ndarray:
        """Mean power of each tap, ``Σ_m |c[k, m]|²`` (P,)."""
        return np.sum(np.abs(self.coeffs) ** 2, axis=1)

    def rms_delay_spread(self) -> float:
        """RMS delay spread (s) of the mean power-delay profile:
        ``sqrt(Σ p τ² / Σ p − (Σ p τ / Σ p)²)``."""
        return rms_delay_spread(self.delays_s, self.tap_powers())

    def gains(self, t_s) -> np.ndarray:
        """Tap gains ``g_k(t)`` at times ``t_s`` (seconds): shape (P, len(t))."""
        t = np.atleast_1d(np.asarray(t_s, float))
        if self.static:
            return np.repeat(self.coeffs.sum(axis=1)[:, None], t.size, axis=1)
        phase = np.exp(2j * np.pi * self.dopplers_hz[:, :, None] * t[None, None, :])
        return np.einsum("pm,pmt->pt", self.coeffs, phase)

    def frequency_response(self, freqs_hz, t_s: float = 0.0) -> np.ndarray:
        """``H(f) = Σ_k g_k(t) exp(−j2π f τ_k)`` at baseband frequencies
        ``freqs_hz`` (e.g. subcarrier k at k · 312.5 kHz) and time ``t_s``."""
        f = np.asarray(freqs_hz, float)
        g = self.gains([t_s])[:, 0]
        return np.exp(-2j * np.pi * f[..., None] * self.delays_s) @ g

    def apply(self, x, *, fs_hz=signal.FS_HZ, t0_s=0.0) -> np.ndarray:
        """Pass burst(s) ``x`` (..., N) through the channel; ``t0_s`` is the
        time of sample 0 on the channel's clock (so consecutive bursts can
        continue one fading process)."""
        a = signal.burst(x)
        fs = signal.sample_rate(fs_hz)
        t0 = argcheck.real(t0_s, "t0_s", PhyError)
        n = a.shape[-1]
        if self.static:
            fir, first = self._fir(fs, self.coeffs.sum(axis=1))
            return _convolve(a, fir, first)
        g = self._gains_sampled(t0, n, fs)  # (P, N)
        y = np.zeros_like(a)
        for k, d in enumerate(self.delays_s):
            h, first = interp.delay_fir(d * fs)
            y += g[k] * _convolve(a, h, first)
        return y

    def _gains_sampled(self, t0: float, n: int, fs: float) -> np.ndarray:
        """Gains at ``t0 + i/fs``, i < n, evaluated every D samples (D keeps
        the fastest Doppler term under 1e-3 cycle per step) and linearly
        interpolated in between: error below (2π·1e-3)²/8 ≈ 5e-6 of the tap
        amplitude."""
        step = max(1, int(1e-3 * fs / np.max(np.abs(self.dopplers_hz))))
        idx = np.arange(n)
        grid = np.unique(np.append(idx[::step], n - 1))
        coarse = self.gains(t0 + grid / fs)
        if grid.size == n:
            return coarse
        re = np.array([np.interp(idx, grid, row.real) for row in coarse])
        im = np.array([np.interp(idx, grid, row.imag) for row in coarse])
        return re + 1j * im

    def impulse_response(self, fs_hz=signal.FS_HZ, t_s: float = 0.0) -> tuple[np.ndarray, int]:
        """Sample-spaced impulse response at time ``t_s``: ``(h, first)`` with
        ``h[j]`` the response at sample ``first + j`` (``first`` < 0 when
        fractional delays put interpolation pre-cursors before the first path)."""
        fs = signal.sample_rate(fs_hz)
        return self._fir(fs, self.gains([t_s])[:, 0])

    def _fir(self, fs: float, gains: np.ndarray) -> tuple[np.ndarray, int]:
        parts = [(g, *interp.delay_fir(d * fs)) for g, d in zip(gains, self.delays_s, strict=True)]
        first = min(p[2] for p in parts)
        last = max(p[2] + p[1].size for p in parts)
        h = np.zeros(last - first, complex)
        for g, taps, start in parts:
            h[start - first:start - first + taps.size] += g * taps
        return h, first


def make(delays_s, coeffs, dopplers_hz=None) -> TDL:
    """A :class:`TDL` from tap delays (s, ≥ 0, finite), coefficients (P,) or
    (P, M) and Doppler frequencies (Hz, same shape; zeros when omitted)."""
    d = argcheck.array(delays_s, "delays_s", PhyError, kind="f", ndim=1, min_size=1).astype(float)
    if np.any(d < 0) or np.any(d > 1e-3):
        raise PhyError("delays_s must lie in 0 .. 1 ms")
    c = argcheck.array(coeffs, "coeffs", PhyError, kind="c").astype(complex)
    if c.ndim == 1:
        c = c[:, None]
    if c.ndim != 2 or c.shape[0] != d.size or c.shape[1] == 0:
        raise PhyError(f"coeffs must be (P,) or (P, M) with P = {d.size} delays, got shape {c.shape}")
    if dopplers_hz is None:
        v = np.zeros(c.shape)
    else:
        v = argcheck.array(dopplers_hz, "dopplers_hz", PhyError, kind="f").astype(float)
        if v.ndim == 1:
            v = v[:, None]
        if v.shape != c.shape:
            raise PhyError(f"dopplers_hz must have the shape of coeffs {c.shape}, got {v.shape}")
    return TDL(d, c, v)


def rms_delay_spread(delays_s, powers) -> float:
    """RMS delay spread (s) of a power-delay profile (linear powers, ≥ 0, not all 0)."""
    d = argcheck.array(delays_s, "delays_s", PhyError, kind="f", ndim=1, min_size=1).astype(float)
    p = argcheck.array(powers, "powers", PhyError, kind="f", ndim=1).astype(float)
    if p.shape != d.shape or np.any(p < 0) or not p.sum() > 0:
        raise PhyError("powers must be ≥ 0, one per delay, not all zero")
    mean = np.sum(p * d) / p.sum()
    return float(np.sqrt(max(np.sum(p * d**2) / p.sum() - mean**2, 0.0)))


def _convolve(a: np.ndarray, h: np.ndarray, first: int) -> np.ndarray:
    """``y[n] = Σ_j h[j] a[n − first − j]`` over the last axis, same length as ``a``."""
    n = a.shape[-1]
    if h.size == 1:
        y = np.zeros_like(a)
        if 0 <= first < n:
            y[..., first:] = h[0] * a[..., : n - first]
        elif -n < first < 0:
            y[..., : n + first] = h[0] * a[..., -first:]
        return y
    full = oaconvolve(a, h.reshape((1,) * (a.ndim - 1) + (-1,)), axes=-1) if a.ndim > 1 else oaconvolve(a, h)
    # full[i] = Σ_j h[j] a[i − j]; we want index i = n − first
    out = np.zeros_like(a)
    lo = max(0, first)
    src_lo = lo - first
    src_hi = min(full.shape[-1], n - first)
    if src_hi > src_lo:
        out[..., lo:lo + src_hi - src_lo] = full[..., src_lo:src_hi]
    return out
