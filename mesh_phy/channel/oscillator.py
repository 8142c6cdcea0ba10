"""Oscillator impairments: carrier frequency offset, sampling clock offset and
phase noise.

* **CFO**: the receiver's local oscillator is ``cfo_hz`` below the carrier, so
  the baseband turns at +``cfo_hz``: ``y[n] = x[n] · exp(j(2π cfo n / fs + φ0))``.
  802.11a allows ±20 ppm per side (17.3.9.4): ±232 kHz at 5.8 GHz between two
  stations at the limits.
* **SCO**: the receiver's sample clock runs ``ppm`` parts per million slow,
  so its sample ``n`` falls at transmit-clock time ``n (1 + ppm·1e-6)``
  samples: ``y[n] = x(n (1 + ppm·1e-6))``, by band-limited interpolation. One
  reference oscillator usually drives both carrier and clock, so a radio with
  CFO ``f`` at carrier ``fc`` has ``ppm = f / fc · 1e6`` (:func:`ppm_for_cfo`).
* **Phase noise** (free-running oscillator, Wiener model): ``y[n] = x[n] ·
  exp(jφ[n])`` with ``φ[n] − φ[n−1] ~ N(0, 2π β / fs)``, ``β`` the full
  3-dB linewidth (Hz) of the Lorentzian spectrum. Far from the carrier its
  single-sideband density is ``L(f) = β / (2π f²)`` (dBc/Hz), so a level
  ``L`` dBc/Hz at offset ``f`` means ``β = 2π f² 10^(L/10)``
  (:func:`linewidth_for_dbc_hz`): −100 dBc/Hz at 1 MHz ↔ β = 628 Hz.
"""

import numpy as np

import argcheck
from mesh_phy.channel import interp, signal
from mesh_phy.errors import PhyError

MAX_CFO_HZ = 5e6  # a quarter of the sample rate: far past any 802.11a offset
MAX_PPM = 1000.0


def cfo(x, cfo_hz, *, fs_hz=signal.FS_HZ, phase_rad=0.0, start=0) -> np.ndarray:
    """``x`` rotated by a carrier frequency offset of ``cfo_hz`` (Hz) with
    initial phase ``phase_rad`` at sample ``-start`` (so a burst cut out of a
    longer stream at index ``start`` continues the same rotation)."""
    a = signal.burst(x)
    fs = signal.sample_rate(fs_hz)
    f = argcheck.real(cfo_hz, "cfo_hz", PhyError, lo=-MAX_CFO_HZ, hi=MAX_CFO_HZ)
    ph = argcheck.real(phase_rad, "phase_rad", PhyError, lo=-1e6, hi=1e6)
    s = argcheck.integer(start, "start", PhyError, lo=0, hi=1 << 40)
    n = np.arange(s, s + a.shape[-1])
    return a * np.exp(1j * (2 * np.pi * f / fs * n + ph))


def ppm_for_cfo(cfo_hz, carrier_hz=5.8e9) -> float:
    """Clock offset (ppm) of a radio whose one reference gives ``cfo_hz`` at ``carrier_hz``."""
    f = argcheck.real(cfo_hz, "cfo_hz", PhyError, lo=-MAX_CFO_HZ, hi=MAX_CFO_HZ)
    fc = argcheck.real(carrier_hz, "carrier_hz", PhyError, lo=1e6, hi=1e12)
    return f / fc * 1e6


def sco(x, ppm) -> np.ndarray:
    """``x`` as seen by a receiver whose sample clock is ``ppm`` parts per
    million slow (negative: fast): ``y[n] = x(n (1 + ppm·1e-6))``. Same length
    as ``x``; past the end of the burst the samples are zero."""
    a = signal.burst(x)
    e = argcheck.real(ppm, "ppm", PhyError, lo=-MAX_PPM, hi=MAX_PPM) * 1e-6
    if e == 0:
        return a.copy()
    return interp.sample_at(a, np.arange(a.shape[-1]) * (1.0 + e))


def linewidth_for_dbc_hz(dbc_hz, offset_hz) -> float:
    """3-dB linewidth β (Hz) of the Wiener phase noise whose single-sideband
    level is ``dbc_hz`` (dBc/Hz) at ``offset_hz`` from the carrier: β = 2π f² 10^(L/10)."""
    lvl = argcheck.real(dbc_hz, "dbc_hz", PhyError, lo=-200.0, hi=0.0)
    f = argcheck.real(offset_hz, "offset_hz", PhyError, lo=0.0, lo_open=True, hi=1e9)
    return 2 * np.pi * f**2 * 10 ** (lvl / 10)


def phase_noise(x, rng, *, linewidth_hz, fs_hz=signal.FS_HZ, phase_rad=0.0) -> np.ndarray:
    """``x`` times ``exp(jφ[n])``, φ a Wiener process (random walk) with
    per-sample increment variance ``2π · linewidth_hz / fs`` (rad²), starting
    at ``phase_rad``. Each burst of a batch gets its own walk."""
    a = signal.burst(x)
    rng = signal.generator(rng)
    beta = argcheck.real(linewidth_hz, "linewidth_hz", PhyError, lo=0.0, hi=1e7)
    fs = signal.sample_rate(fs_hz)
    ph = argcheck.real(phase_rad, "phase_rad", PhyError, lo=-1e6, hi=1e6)
    steps = rng.standard_normal(a.shape) * np.sqrt(2 * np.pi * beta / fs)
    steps[..., 0] = 0.0
    return a * np.exp(1j * (ph + np.cumsum(steps, axis=-1)))
