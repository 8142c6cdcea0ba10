"""Band-limited interpolation: the one kernel behind fractional path delays
(:mod:`mesh_phy.channel.tdl`) and sampling-clock offset
(:mod:`mesh_phy.channel.oscillator`).

Kernel: a Kaiser-windowed sinc, ``k(u) = sinc(u) · I0(β √(1 − (u/L)²)) / I0(β)``
for ``|u| < L`` (``u`` in samples), ``L = 16`` taps each side, ``β = 8``. At
integer ``u`` it is exactly the unit impulse, so integer delays and a zero clock
offset are exact. Measured error on a complex tone at 0.4 fs (8 MHz at 20
Msample/s, the edge of the 802.11a occupied band): below −60 dB (tests).
Samples outside the burst are taken as zero.

:func:`sample_at` (many positions at once, e.g. a clock offset) takes the
kernel from a table of ``PHASES`` = 4096 fractional offsets, rounding each
position to 1/4096 sample: a timing error of at most 1.2e-4 sample; measured
error on a tone at 0.4 fs: −68 dB.
"""

import numpy as np
from scipy.special import i0

HALF_TAPS = 16
BETA = 8.0
PHASES = 4096


def kernel(u) -> np.ndarray:
    """Kaiser-windowed sinc at offsets ``u`` (samples); 0 for ``|u| >= HALF_TAPS``."""
    u = np.asarray(u, float)
    r = np.clip(1.0 - (u / HALF_TAPS) ** 2, 0.0, None)
    return np.where(np.abs(u) < HALF_TAPS, np.sinc(u) * i0(BETA * np.sqrt(r)) / i0(BETA), 0.0)


def delay_fir(delay_samples: float) -> tuple[np.ndarray, int]:
    """FIR ``h`` and the index of its first tap ``m0`` such that
    ``y[n] = Σ_j h[j] x[n − m0 − j]`` delays ``x`` by ``delay_samples``
    (any real ≥ 0; an integer gives a single unit tap)."""
    d = float(delay_samples)
    if d == round(d):
        return np.ones(1), int(round(d))
    m = np.arange(int(np.floor(d)) - HALF_TAPS + 1, int(np.floor(d)) + HALF_TAPS + 1)
    return kernel(m - d), int(m[0])


def _table() -> np.ndarray:
    """TABLE[j, k] = kernel(j / PHASES − (k − HALF_TAPS + 1)): the taps for fractional offset j / PHASES."""
    offs = np.arange(-HALF_TAPS + 1, HALF_TAPS + 1)
    return kernel(np.arange(PHASES + 1)[:, None] / PHASES - offs[None, :])


_TABLE = _table()


def sample_at(x: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Values of the band-limited signal ``x`` (last axis = samples 0..N-1) at
    real sample ``positions`` (1-D), zero outside the burst; each position is
    rounded to 1/PHASES of a sample (see module docstring)."""
    n = x.shape[-1]
    p = np.asarray(positions, float)
    base = np.floor(p).astype(np.int64)
    phase = np.rint((p - base) * PHASES).astype(np.int64)  # 0 .. PHASES (PHASES = next sample, offset 0)
    idx = base[:, None] + np.arange(-HALF_TAPS + 1, HALF_TAPS + 1)[None, :]  # (M, 2L)
    w = np.where((idx >= 0) & (idx < n), _TABLE[phase], 0.0)
    gathered = x[..., np.clip(idx, 0, n - 1)]  # (..., M, 2L)
    return np.einsum("...mk,mk->...m", gathered, w)
