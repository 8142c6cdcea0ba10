"""Conventions every channel model shares: what a burst is, how its power is
measured, and how the random generator is passed.

* A **burst** is complex baseband samples at ``fs_hz`` (20 Msample/s by
  default, the 802.11a sample rate), a numpy array of shape ``(..., N)``: the
  last axis is time, any leading axes are independent bursts of a batch.
* **Signal power** is the measured mean of ``|x|²`` over the burst's samples
  (the last axis), in linear units per complex sample. Because one sample spans
  the whole 20 MHz band, this is the signal power over the 20 MHz band, and a
  per-sample noise variance ``N`` is the noise power in the same 20 MHz.
* **Randomness** comes only from the ``numpy.random.Generator`` passed as
  ``rng``; no function touches numpy's global state, so the same generator state
  gives the same channel.
"""

import numpy as np

import argcheck
from mesh_phy.errors import PhyError

FS_HZ = 20e6  # 802.11a sample rate (17.3.2.4: 50 ns per sample)
C_MPS = 299_792_458.0  # speed of light


def burst(x, name: str = "x") -> np.ndarray:
    """``x`` as a complex128 array of at least one dimension and one sample,
    finite; never the caller's buffer (channels return new arrays)."""
    a = argcheck.array(x, name, PhyError, kind="c", min_size=1)
    if a.ndim == 0:
        raise PhyError(f"{name} must have a time axis (at least 1-D), got a scalar")
    if a.shape[-1] == 0:
        raise PhyError(f"{name} has no samples along its last (time) axis")
    return np.array(a, dtype=np.complex128)


def generator(rng) -> np.random.Generator:
    """Check that ``rng`` is a ``numpy.random.Generator`` (never a seed or the global RNG)."""
    if not isinstance(rng, np.random.Generator):
        raise PhyError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def sample_rate(fs_hz) -> float:
    """A sample rate in Hz: finite and > 0."""
    return argcheck.real(fs_hz, "fs_hz", PhyError, lo=0.0, lo_open=True)


def mean_power(x) -> np.ndarray:
    """Measured mean power ``mean(|x|²)`` of each burst (over the last axis),
    keeping that axis (shape ``(..., 1)``) so it broadcasts against ``x``."""
    a = burst(x)
    return np.mean(a.real**2 + a.imag**2, axis=-1, keepdims=True)


def power_or_measured(x: np.ndarray, signal_power) -> np.ndarray:
    """The power to scale noise or interference against: ``signal_power``
    (linear, > 0, scalar or broadcastable to ``x.shape[:-1] + (1,)``) when
    given, else the measured :func:`mean_power` of ``x``. A burst of zero
    measured power has no SNR and is refused."""
    if signal_power is None:
        p = mean_power(x)
    else:
        p = argcheck.array(signal_power, "signal_power", PhyError, kind="f")
        if p.ndim == 0:
            p = np.full(x.shape[:-1] + (1,), float(p))
        try:
            p = np.broadcast_to(p, x.shape[:-1] + (1,)).astype(float)
        except ValueError:
            raise PhyError(f"signal_power of shape {p.shape} does not fit bursts of shape {x.shape}") from None
    if not np.all(p > 0):
        raise PhyError("signal power must be > 0 (an all-zero burst has no SNR or SIR)")
    return p


def db_to_linear(value_db, name: str) -> float:
    """10^(dB/10) of a finite real dB value."""
    v = argcheck.real(value_db, name, PhyError, lo=-300.0, hi=300.0)
    return 10.0 ** (v / 10.0)


def complex_gaussian(rng: np.random.Generator, shape, variance) -> np.ndarray:
    """Circular complex Gaussian samples with ``E|n|² = variance`` (σ² =
    variance/2 per real axis). ``variance`` broadcasts against ``shape``."""
    std = np.sqrt(np.asarray(variance, float) / 2.0)
    return std * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape))
