"""Small-scale fading: the Clarke/Jakes Doppler process as a sum of
sinusoids, and the moment estimator of the Rician K-factor.

**Clarke sum of sinusoids.** A Rayleigh-fading gain of mean power ``p`` seen
by a terminal moving at speed ``v`` through isotropic scattering is
``g(t) = Σ_{m=1..M} √(p/M) · exp(j(2π f_d cos α_m · t + φ_m))`` with
``f_d = v / λ`` the maximum Doppler shift, arrival angles
``α_m = (2π m + θ) / M`` (equally spaced, one random rotation ``θ``, as in
Zheng & Xiao, "Simulation models with correct statistical properties for
Rayleigh fading channels", IEEE Trans. Commun. 51(6), 2003) and independent
uniform phases ``φ_m``. Its autocorrelation is ``p J0(2π f_d τ)`` and its
Doppler spectrum lies within ±f_d with RMS width ``f_d / √2`` (Clarke's
U-shaped spectrum). With M = 16 the gain at one instant is close to complex
Gaussian (fourth moment ``p²(2 − 1/M)`` against 2p²).

**K-factor by moments** (Greenstein, Michelson and Erceg, "Moment-method
estimation of the Ricean K-factor", IEEE Commun. Lett. 3(6), 1999): with
``Ga = E|h|²`` and ``Gv = std(|h|²)``, ``K = √(Ga² − Gv²) / (Ga − √(Ga² − Gv²))``.
"""

import numpy as np

import argcheck
from mesh_phy.channel import signal
from mesh_phy.errors import PhyError

DEFAULT_SINUSOIDS = 16


def clarke(rng, power, doppler_hz, *, sinusoids: int = DEFAULT_SINUSOIDS) -> tuple[np.ndarray, np.ndarray]:
    """One Clarke sum-of-sinusoids realisation: ``(coeffs, dopplers_hz)``,
    each of shape (M,), for :mod:`mesh_phy.channel.tdl`. ``power`` is the mean
    power (linear, ≥ 0) and ``doppler_hz`` the maximum Doppler shift f_d ≥ 0
    (0 gives a static Rayleigh draw: one term, complex Gaussian)."""
    rng = signal.generator(rng)
    p = argcheck.real(power, "power", PhyError, lo=0.0)
    fd = argcheck.real(doppler_hz, "doppler_hz", PhyError, lo=0.0, hi=1e6)
    m = argcheck.integer(sinusoids, "sinusoids", PhyError, lo=1, hi=1024)
    if fd == 0:
        return signal.complex_gaussian(rng, 1, p), np.zeros(1)
    theta = rng.uniform(0, 2 * np.pi)
    alpha = (2 * np.pi * np.arange(1, m + 1) + theta) / m
    phases = rng.uniform(0, 2 * np.pi, m)
    return np.sqrt(p / m) * np.exp(1j * phases), fd * np.cos(alpha)


def max_doppler_hz(speed_mps, carrier_hz) -> float:
    """f_d = v / λ = v · f_c / c (Hz): 100 km/h at 5.8 GHz gives 537 Hz."""
    v = argcheck.real(speed_mps, "speed_mps", PhyError, lo=0.0, hi=3e5)
    fc = argcheck.real(carrier_hz, "carrier_hz", PhyError, lo=1e6, hi=1e12)
    return v * fc / signal.C_MPS


def k_factor_moments(gains) -> float:
    """Rician K (linear) of complex gain samples by the moment method (see
    the module docstring); ``inf`` when the envelope does not vary, 0 when it
    varies as much as Rayleigh or more."""
    h = argcheck.array(gains, "gains", PhyError, kind="c", min_size=2).ravel()
    pw = np.abs(h) ** 2
    ga = pw.mean()
    gv = pw.std()
    if not ga > 0:
        raise PhyError("gains are all zero: no K-factor")
    if gv >= ga:
        return 0.0
    root = np.sqrt(ga**2 - gv**2)
    return float(root / (ga - root)) if ga > root else float("inf")
