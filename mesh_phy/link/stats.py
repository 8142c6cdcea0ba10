"""Error-rate statistics: the Wilson score interval, and the Poisson upper
bound for event rates (false alarms per second).

For ``k`` errors in ``n`` independent trials, ``p̂ = k/n`` and ``z`` the
two-sided normal quantile (1.959964 for 95 %)::

    centre = (p̂ + z²/(2n)) / (1 + z²/n)
    half   = z / (1 + z²/n) · √(p̂(1 − p̂)/n + z²/(4n²))

(Wilson, "Probable inference, the law of succession, and statistical
inference", J. Amer. Statist. Assoc. 22, 1927). Unlike the normal
approximation it stays inside [0, 1] and is useful at k = 0: the upper bound is
then ``z²/(n + z²)`` (≈ 3.84/n), the figure to quote for a point with no errors.
"""

import math
from collections.abc import Sequence

import numpy as np
from scipy.stats import chi2

import argcheck
from mesh_phy.errors import PhyError

Z95 = 1.959963984540054


def wilson(errors, trials, z: float = Z95) -> tuple[float, float]:
    """``(low, high)`` Wilson score interval of the error rate ``errors/trials``
    (``(0, 1)`` when there were no trials)."""
    n = argcheck.integer(trials, "trials", PhyError, lo=0, hi=2**62)
    k = argcheck.integer(errors, "errors", PhyError, lo=0, hi=n)
    z = argcheck.real(z, "z", PhyError, lo=0.0, lo_open=True, hi=10.0)
    if n == 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


def crossing(xs: Sequence[float], rates: Sequence[float], level: float) -> float | None:
    """The x (e.g. SNR in dB) where a falling error-rate curve first crosses
    ``level``, by interpolating log10(rate) linearly in x between the two
    measured points around it (points with rate 0 have no logarithm and are
    skipped); None when no pair of points brackets ``level``."""
    lv = argcheck.real(level, "level", PhyError, lo=0.0, lo_open=True, hi=1.0)
    x = argcheck.array(xs, "xs", PhyError, kind="f", ndim=1).astype(float)
    r = argcheck.array(rates, "rates", PhyError, kind="f", ndim=1).astype(float)
    if x.shape != r.shape or np.any(r < 0) or np.any(r > 1):
        raise PhyError("xs and rates must have the same length, rates within 0..1")
    pts = [(a, b) for a, b in zip(x, r, strict=True) if b > 0]
    for (xa, ra), (xb, rb) in zip(pts, pts[1:], strict=False):
        if ra >= lv >= rb:
            la, lb = math.log10(ra), math.log10(rb)
            if la == lb:
                return xa
            return xa + (la - math.log10(lv)) / (la - lb) * (xb - xa)
    return None


def poisson_upper(events, exposure, confidence: float = 0.95) -> float:
    """One-sided upper confidence bound on the rate of a Poisson process that
    produced ``events`` (an int >= 0) in ``exposure`` (e.g. seconds, > 0):
    ``chi2.ppf(confidence, 2 (events + 1)) / (2 exposure)`` (Garwood, Biometrika
    28, 1936). With no event it is ``-ln(1 - confidence) / exposure``: 0 false
    alarms in 10 s bound the rate below 0.30/s at 95 %."""
    k = argcheck.integer(events, "events", PhyError, lo=0, hi=2**62)
    t = argcheck.real(exposure, "exposure", PhyError, lo=0.0, lo_open=True)
    c = argcheck.real(confidence, "confidence", PhyError, lo=0.0, lo_open=True, hi=1.0, hi_open=True)
    return float(chi2.ppf(c, 2 * (k + 1)) / (2 * t))
