"""Multipath: a tapped delay line with an exponential power-delay profile.

Profile (the shape of the exponential model used for 802.11 link studies, e.g.
Naftali's model of IEEE 802.11-97/96): taps every ``spacing_s`` seconds
(one sample, 50 ns, by default; a fraction of a sample gives fractional
taps), tap ``k`` with mean power ``∝ exp(−k · spacing / τ_d)``, taps up to
``ln(10^4) · rms`` ≈ 9.2 rms (where a continuous exponential of that RMS is
40 dB down: ``floor_db``), normalised to a total of 1.
The decay ``τ_d`` is solved so that the RMS delay spread of the *discrete,
truncated* profile equals ``rms_delay_s`` exactly (a sampled exponential
with ``τ_d = rms`` does not have RMS ``rms`` when the taps are coarse).

A realisation draws each tap as independent Rayleigh (complex Gaussian of the
tap's mean power), static over the burst unless ``doppler_hz`` > 0, in which
case each tap fades as a Clarke process (:func:`mesh_phy.channel.fading.clarke`).
Ensemble mean power gain: 1 (``normalize="ensemble"``); ``"realisation"``
scales each draw to Σ|g|² = 1 exactly (no power fading, only frequency
selectivity).
"""

from functools import lru_cache

import numpy as np
from scipy.optimize import brentq

import argcheck
from mesh_phy.channel import fading, signal, tdl
from mesh_phy.errors import PhyError

MAX_RMS_S = 5e-6
MAX_TAPS = 4096


def exponential_pdp(rms_delay_s, *, spacing_s=None, fs_hz=signal.FS_HZ,
                    floor_db=-40.0) -> tuple[np.ndarray, np.ndarray]:
    """``(delays_s, powers)`` of the exponential profile with RMS delay spread
    ``rms_delay_s`` (s; 0 gives one tap), taps every ``spacing_s`` (default
    1/fs), powers summing to 1."""
    rms = argcheck.real(rms_delay_s, "rms_delay_s", PhyError, lo=0.0, hi=MAX_RMS_S)
    fs = signal.sample_rate(fs_hz)
    dt = 1.0 / fs if spacing_s is None else argcheck.real(spacing_s, "spacing_s", PhyError, lo=1e-12, hi=1e-6)
    floor = argcheck.real(floor_db, "floor_db", PhyError, lo=-100.0, hi=-10.0)
    d, p = _profile(rms, dt, floor)
    return d.copy(), p.copy()


@lru_cache(maxsize=256)
def _profile(rms: float, dt: float, floor: float) -> tuple[np.ndarray, np.ndarray]:
    if rms == 0:
        return np.zeros(1), np.ones(1)

    k = np.arange(int(np.ceil(-floor / 10 * np.log(10) * rms / dt)) + 1)
    if k.size > MAX_TAPS:
        raise PhyError(f"{k.size} taps (rms {rms} s every {dt} s): more than {MAX_TAPS}; use a coarser spacing_s")

    def profile(decay):
        p = np.exp(-k * dt / decay)
        return k * dt, p / p.sum()

    def excess(log_decay):
        d, p = profile(np.exp(log_decay))
        return tdl.rms_delay_spread(d, p) - rms

    # the RMS grows monotonically with the decay; bracket it in log space
    lo, hi = np.log(rms * 1e-3), np.log(rms * 10)
    return profile(np.exp(brentq(excess, lo, hi, xtol=1e-12, rtol=1e-12)))


def realise(rng, rms_delay_s, *, spacing_s=None, fs_hz=signal.FS_HZ, doppler_hz=0.0,
            normalize: str = "ensemble") -> tdl.TDL:
    """One random channel with the exponential profile (see module docstring)."""
    rng = signal.generator(rng)
    delays, powers = exponential_pdp(rms_delay_s, spacing_s=spacing_s, fs_hz=fs_hz)
    fd = argcheck.real(doppler_hz, "doppler_hz", PhyError, lo=0.0, hi=1e6)
    norm = argcheck.one_of(normalize, "normalize", PhyError, ("ensemble", "realisation"))
    if fd == 0:
        coeffs = signal.complex_gaussian(rng, powers.size, powers)
        if norm == "realisation":
            coeffs = coeffs / np.sqrt(np.sum(np.abs(coeffs) ** 2))
        return tdl.make(delays, coeffs)
    taps = [fading.clarke(rng, p, fd) for p in powers]
    coeffs = np.array([c for c, _ in taps])
    if norm == "realisation":
        coeffs = coeffs / np.sqrt(np.sum(np.abs(coeffs) ** 2))
    return tdl.make(delays, coeffs, np.array([v for _, v in taps]))


def multipath(x, rng, rms_delay_s, *, spacing_s=None, fs_hz=signal.FS_HZ, doppler_hz=0.0,
              normalize: str = "ensemble") -> np.ndarray:
    """``x`` through one fresh :func:`realise` draw (same for every burst of a batch)."""
    a = signal.burst(x)
    ch = realise(rng, rms_delay_s, spacing_s=spacing_s, fs_hz=fs_hz, doppler_hz=doppler_hz, normalize=normalize)
    return ch.apply(a, fs_hz=fs_hz)
