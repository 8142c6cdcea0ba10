"""Diagnostics of the angle chain: the detection thresholds, each derived
from the ±0.45° angle budget (SPEC B4) rather than chosen by hand, and what
each flag means. The flag bits and the *output invalid* / *advisory* masks
are defined in :mod:`sensor_dsp.chain`, next to the compiled kernel that sets
them (numba freezes a global at compile time and refreshes its on-disk cache
only when the kernel's own file changes: every number here reaches the
kernel as an argument).

Fault model (after the resolver-to-digital converters' LOS / DOS / LOT set):
a fault adds an error vector Δ to the calibrated (cos, sin) vector, or freezes
a channel, or moves the measured angle faster than a rotor can. Per sample the
chain forms the residual of the calibrated vector against the observer's
prediction, in the rotating frame and relative to the calibrated amplitude:

    r = |v| / A - 1         (radial part: the vector left the unit circle)
    e = θ_meas - θ_pred     (tangential part: the observer's innovation, rad)

A vector error |Δ| moves the measured angle by at most asin|Δ| ≈ |Δ| rad and
shows as |(r, e)| = |Δ| when it appears (r and e are its two components). The
checks, all per sample so that the latency is samples, not revolutions (the
adaptive calibration is per revolution and far too slow):

* ``SIGNAL_DEGRADED`` (DOS): the exponential mean m of (r, e) leaves a circle
  of radius T = max(T_v, K·σ_m):

  - T_v = sin(B_f) / ‖h‖₁. B_f is the part of the budget left for faults once
    the healthy chain's allocation is reserved; ‖h‖₁ is the L1 norm of the
    impulse response from the measured angle to the output (observer plus
    delay compensation, computed from the loop gains), the largest factor by
    which the observer can turn a bounded measurement error into output
    error. A fault whose residual stays inside T_v therefore cannot move the
    output by more than B_f.
  - K·σ_m is the noise floor: σ_m = σ̂·√(α/(2-α)) is the standard deviation of
    the mean for the per-sample noise σ̂ measured on line (from successive
    differences of r: white, and with the same σ as e for noise that is the
    same on both channels; the innovation's own differences are shaped by the
    loop), plus the angle quantisation that only the innovation carries:
    σ_q² = atan(2^(1-n))²/3 + LSB²/12 for an n-iteration CORDIC (its last
    micro-rotation's residual, uniform) with an angle LSB of 2^-bits turn;
    σ̂² + σ_q² is used for both components (the larger variance bounds the
    2-D tail), and
    K = √(2 ln(1/P_FA)) puts the chance that noise alone leaves the circle
    (a 2-D Gaussian: exp(-K²/2)) at P_FA per window. A detection latches, so
    P_FA comes from a rate: at most ``FALSE_TRIPS_PER_HOUR`` at the sample
    rate, over windows as long as the fast mean's memory (1/α_f samples).
  - α is set by the latency: a residual of 2·T_v crosses T_v within
    ``HALF_LATENCY`` samples, i.e. α = 1 - 2^(-1/HALF_LATENCY).
  - A second, fast mean (α_f = 1/``FAST_LAG`` samples of lag) is checked
    against max(T_v, K·σ̂·√(α_f/(2-α_f))): an error that *grows* (the rotor's
    speed stepped; a channel froze) crosses its threshold ``1/α`` samples
    later than it would without the averaging, and the slow mean's 15 samples
    of lag would use most of the latency. Its threshold is set by the noise
    (0.40° at σ 0.2 % FS), so it adds speed, the slow mean adds
    sensitivity.
  - The same check flags a noise level at which the output's own noise
    (√(σ̂² + σ_q²)·‖h‖₂) reaches B_f / K: the angle is then unusable without
    any fault.

* ``SIGNAL_DEGRADED`` also comes from the step check, for the angle jumps the
  means see only in part (the observer follows a step in the measured angle,
  so the innovation loses it while the means average): the angle is taken
  against the observer's state ``REFERENCE_LAG`` samples earlier, extrapolated
  with its speed (θ̂ + ω̂·lag), which a step cannot have reached yet; the mean
  of that residual over the last ``REFERENCE_LAG`` samples must stay inside
  T_s = max(B_f/p - z·σ_s, K·σ_s), σ_s = √(σ̂² + σ_q²)/√lag the noise of that
  mean, p the peak of the observer's step response (a step of B_f/p moves
  the output by B_f) and z = ``STEP_MARGIN_SIGMA`` (0: see its comment for
  the measured trade-off against a harmonic's ripple). The lag (32) is the
  shortest power of two for which K·σ_s stays below B_f/p at the realistic
  noise (σ 0.2 % FS), so the budget, not the noise, sets T_s. It
  looks at the angle only: the ripple of a harmonic is half radial, a step
  is all angle; a legitimate acceleration α adds α·(lag·T)²/2 (2e-5 rad at
  the KPI's ramp).
* ``STUCK``: a raw ADC code (sin, cos, or the difference sin - cos, which a
  short between the channels freezes at 0) repeats ``STUCK_RUN`` times while
  the tracked angle has moved far enough since the code last changed that the
  code should have changed by at least ``STUCK_LSB`` codes (A·|sin(θ0 + Δ)
  - sin θ0| for a move Δ of the tracked angle from θ0: a displacement, so it
  cannot grow from a speed estimate dithering around zero). A
  frozen channel adds an error vector of the code change it missed, so the
  angle error is at most that change / A; ``STUCK_LSB`` = 4 codes is far below
  sin(B_f)·A (40 codes at 14 bits) and above what quantisation can hold
  (< 1 code) plus the speed estimate's error.
* ``TRACKING_LOSS`` (LOT): one innovation beyond 5° (the loop has lost lock).
* ``LOSS_OF_SIGNAL`` (LOS, amplitude < 25 %), ``COIL_FAULT`` (ADC at its rail
  or amplitude > 150 %), ``INVALID_INPUT`` (NaN / inf sample: the observer
  coasts) flag the sample itself.

Once the chain has converged, the first detection latches ``FAULT_LATCHED``
for the rest of the record (the ISO 26262 safe state: a fault that moved the
angle — swapped or inverted wiring, an angle jump — is invisible once the
observer has followed it, so the angle stays unusable until a reset, i.e. a
new :meth:`AngleChain.run`). The calibration stops learning while latched.

Advisory flags never make the angle invalid: ``MISMATCH`` (the learned gain
mismatch exceeds the ±0.5 % of SPEC B5, which the calibration corrects) and
``CALIBRATION_DRIFT`` (the per-revolution estimates keep differing from the
coefficients in use: their signed differences, averaged like the
coefficients, amount to more than the healthy allocation of angle error —
the calibration is following a drift). Masks: ``chain.INVALID_MASK``,
``chain.ADVISORY_MASK``.

Limits (physics, not tuning): a fault that builds its error slowly compared
with the observer (a gain step or an open coil starting at its channel's zero
crossing while the rotor turns slowly) looks like a legitimate change of
speed to every per-sample check; it is flagged when the rotor has turned far
enough for the radial part to cross T. An instantaneous speed step of 3,000
to 5,000 rpm sits at the matched-filter limit (a ramp of slope ρ in noise σ
needs ρ·k^1.5 ≥ 2Kσ to be seen in k samples), and a jump of the measured
angle near B_f/p is caught about half the time (``STEP_MARGIN_SIGMA``).
``python -m sensor_dsp.kpi`` measures where each of these happens.
"""

import math
from typing import NamedTuple

import numpy as np

import argcheck
from sensor_dsp.errors import SensorError

BUDGET_DEG = 0.45  # SPEC B4
# Reserved for the fault-free chain (CORDIC, quantisation, calibration residual,
# filtered noise): 0.057° measured at 200,000 rpm with the realistic impairments.
HEALTHY_ALLOCATION_DEG = 0.10
FAULT_ALLOCATION_DEG = BUDGET_DEG - HEALTHY_ALLOCATION_DEG
LATENCY = 20  # samples: the detection latency allowed after a fault starts
HALF_LATENCY = LATENCY // 2
FAST_LAG = LATENCY // 5  # samples: the fast residual mean's lag, a fifth of the latency
REFERENCE_LAG = 32  # samples (a power of two): age of the step check's reference, and its averaging length
# noise margin of the step check, in σ of its mean: 0 puts T_s at B_f/p (a step there is caught half the time).
# Measured trade-off (python -m sensor_dsp.kpi, realistic noise): z = 1 catches every 0.30-0.46° jump (worst
# unflagged 0.415°) but the 0.2 % 3rd harmonic then reaches 0.97 of the threshold at 200,000 rpm; z = 0 keeps it
# at 0.89 and leaves jumps near 0.32-0.36° with up to 0.463° unflagged.
STEP_MARGIN_SIGMA = 0.0
FALSE_TRIPS_PER_HOUR = 1e-3  # noise alone may latch a fault at most this often (at the sample rate)
STUCK_RUN = 8  # repeated codes: a channel with noise σ ≥ 4 LSB repeats 8 times with p < 1e-9
STUCK_LSB = 4.0
TRACKING_LOSS_DEG = 5.0
NOISE_ALPHA = 1.0 / 4096  # noise estimate: slow, so a fault cannot raise the threshold within the latency
NOISE_CLAMP = 9.0  # a sample adds at most 9× the current noise power (bias e^-9 on Gaussian noise)
SETTLE_TIME_CONSTANTS = 10.0  # the acquisition transient decays as exp(-ζ ωn t): e^-10 of it is left


class Thresholds(NamedTuple):
    vector: float  # T_v: radius of the residual circle, relative to the amplitude (≈ rad)
    step: float  # B_f / p: the step check's threshold before its noise margin (rad)
    step_z: float  # z: the noise margin below B_f / p, in σ of the step check's mean
    step_peak: float  # peak of the observer's step response (its overshoot: 1.2 for ζ = 1/√2)
    alpha: float  # weight of the exponential residual mean
    alpha_fast: float  # ... and of the fast one
    noise_k: float  # K: noise multiplier for the false-alarm probability
    noise_gain: float  # √(α/(2-α)): σ of the residual mean per unit of per-sample σ
    noise_gain_fast: float  # the same for the fast mean
    output_noise_limit: float  # σ beyond which the output noise alone breaks the budget (relative)
    quantisation: float  # σ_q² of the angle quantisation (CORDIC residual and output LSB), rad²
    l1_gain: float  # ‖h‖₁ of the observer + delay compensation
    settle: int  # samples after acquisition (and after the first calibration) before the checks arm
    drift: float  # calibration drift advisory, rad of worst-case angle error


def observer_response(kp: float, ki: float, comp_samples: float, n: int) -> np.ndarray:
    """Impulse response (``n`` samples) from the measured angle to the output
    angle of the type-II observer (``θp = θ + ω; e = m - θp; θ = θp + kp·e;
    ω += ki·e``; output θ + ω·``comp_samples``), gains as plain fractions."""
    kp, ki, comp_samples = _loop(kp, ki, comp_samples)
    n = argcheck.integer(n, "n", SensorError, lo=1, hi=10_000_000)
    th = w = 0.0
    h = np.empty(n)
    for k in range(n):
        e = (1.0 if k == 0 else 0.0) - (th + w)
        th = th + w + kp * e
        w += ki * e
        h[k] = th + w * comp_samples
    return h


def thresholds(kp: float, ki: float, comp_samples: float, zeta_wn_t: float, fs_hz: float, iterations: int,
               angle_bits: int) -> Thresholds:
    """The checks' thresholds for an observer with gains ``kp``, ``ki``
    (fractions), delay compensation ``comp_samples`` and envelope decay
    ``zeta_wn_t`` = ζ·ωn·T per sample, at ``fs_hz``, after a CORDIC of
    ``iterations`` with ``angle_bits`` (see the module doc for each step)."""
    kp, ki, comp_samples = _loop(kp, ki, comp_samples)
    zeta_wn_t = argcheck.real(zeta_wn_t, "zeta_wn_t", SensorError, lo=1e-6, hi=1.0)
    fs_hz = argcheck.real(fs_hz, "fs_hz", SensorError, lo=0.0, lo_open=True, hi=1e10)
    iterations = argcheck.integer(iterations, "iterations", SensorError, lo=1, hi=64)
    angle_bits = argcheck.integer(angle_bits, "angle_bits", SensorError, lo=1, hi=32)
    settle = int(math.ceil(SETTLE_TIME_CONSTANTS / zeta_wn_t))
    h = observer_response(kp, ki, comp_samples, 4 * settle)
    l1 = float(np.abs(h).sum())
    b_f = math.radians(FAULT_ALLOCATION_DEG)
    alpha = 1.0 - 2.0 ** (-1.0 / HALF_LATENCY)
    fast = 1.0 / FAST_LAG
    p_window = FALSE_TRIPS_PER_HOUR / (3600.0 * fs_hz * fast)  # fs·α_f independent windows per second
    k = math.sqrt(2.0 * math.log(1.0 / p_window))
    peak = float(np.cumsum(h).max())
    return Thresholds(vector=math.sin(b_f) / l1, step=b_f / peak, step_z=STEP_MARGIN_SIGMA, step_peak=peak,
                      alpha=alpha,
                      alpha_fast=fast,
                      noise_k=k,
                      noise_gain=math.sqrt(alpha / (2 - alpha)), noise_gain_fast=math.sqrt(fast / (2 - fast)),
                      output_noise_limit=b_f / (k * float(np.sqrt(np.sum(h * h)))), l1_gain=l1,
                      settle=settle, drift=math.radians(HEALTHY_ALLOCATION_DEG),
                      quantisation=math.atan(2.0 ** (1 - iterations)) ** 2 / 3
                      + (2 * math.pi / 2.0**angle_bits) ** 2 / 12)


_FLAG_NAMES = ("INVALID_INPUT", "LOSS_OF_SIGNAL", "COIL_FAULT", "MISMATCH", "TRACKING_LOSS", "UNCALIBRATED",
               "SETTLING", "SIGNAL_DEGRADED", "STUCK", "FAULT_LATCHED", "CALIBRATION_DRIFT", "FLAG_NAMES",
               "ADVISORY_MASK", "INVALID_MASK", "DETECT_MASK")


def __getattr__(name):
    """The flag bits and masks, forwarded from :mod:`sensor_dsp.chain` (where
    the kernel that sets them is) for the callers that read them here."""
    if name in _FLAG_NAMES:
        from sensor_dsp import chain

        return getattr(chain, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _loop(kp, ki, comp_samples) -> tuple:
    """The loop gains (fractions in (0, 2)) and the compensated delay (samples, 0..64)."""
    return (argcheck.real(kp, "kp", SensorError, lo=0.0, hi=2.0, lo_open=True, hi_open=True),
            argcheck.real(ki, "ki", SensorError, lo=0.0, hi=2.0, lo_open=True, hi_open=True),
            argcheck.real(comp_samples, "comp_samples", SensorError, lo=0.0, hi=64.0))
