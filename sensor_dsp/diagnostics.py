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
  T_s = max(B_f/p - z·σ_s, K₁·σ_s). p is the peak of the observer's step
  response (a step of B_f/p moves the output by B_f); z = Φ⁻¹(1 -
  ``MISS_PROBABILITY``) puts a jump of exactly B_f/p above T_s but for that
  probability; σ_s = g_s·√(σ̂² + σ_q²) is the noise of the mean, its gain g_s
  the L2 norm of the statistic's impulse response through the loop (the
  reference carries the noise too: 0.216 against 1/√32 = 0.177 for white
  noise alone); K₁ = Φ⁻¹(1 - p₁/2) is the two-sided Gaussian floor of a 1-D
  statistic over windows of its own length, p₁ = ``FALSE_TRIPS_PER_HOUR`` /
  (3600·fs/lag). It looks at the angle only: the ripple of a harmonic is half
  radial, a step is all angle (the 3rd harmonic, compensated by the
  calibration, no longer competes for the margin).
* The ramp checks (``SIGNAL_DEGRADED``), for instantaneous speed steps (an
  implausible acceleration): after a step Δω the same residual grows as a
  ramp, d = Δω·T·m m samples after it, for as long as the reference predates
  it. A least-squares ramp from the start of the last W residuals estimates
  the deviation now, D̂ = W·Σ m·d / Σ m² (:func:`ramp_weights`); the output
  error stays below the deviation (the observer moves towards the
  measurement), so |D̂| must stay inside max(B_f - z·σ_D, K₁·σ_D), σ_D again
  from the statistic's impulse response and K₁ from its window
  (``RAMP_WINDOWS``: matched to the steps that break the budget ~20 samples
  after they start). A steadily accelerating rotor would put c_d·α on the
  residual (the observer's lag, and what the extrapolation misses); the
  innovation's slow mean carries c_e·α of the same lag, so the residual of the
  reference checks is taken less c_d/c_e times that mean (``LAG_MEMORY``): a
  steady acceleration leaves nothing, only its onset shows
  (:attr:`Thresholds.accel_response`: the short fits alone would flag an
  acceleration step of ~7e6 rpm/s at 0.2 % FS noise). The long ramp check
  is the same fit over ``LONG_LAG`` residuals against a ``LONG_LAG``-samples-
  old reference, for changes of speed that break the budget only after
  50-150 samples (a gain step g at its channel's zero crossing looks like a
  speed step of g·ω): it sets the acceleration the chain calls implausible
  (see ``LONG_LAG``).
* The slow radial mean (``SIGNAL_DEGRADED``, adaptive calibration only): a
  fault that builds slowly against the rotor's motion (a gain step at its
  channel's zero crossing at low speed) moves the angle the way a change of
  speed would and shows only radially, as g·θ² after the rotor has turned θ.
  The radial residual's exponential mean with a weight |ω̂|·T/θ_w (a memory of
  ``RADIAL_MEMORY_DEG`` of rotation, matched to that growth; between the
  noise estimate's weight and α) must stay inside K₁·σ̂·√(α_r/(2-α_r)) plus
  what the calibration has left: 3/4 of its last revolution's differences
  (offset vector, half the mismatch, half the phase, the harmonics, the
  common gain), and half an ADC LSB per channel.
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

Limits (physics, not tuning; docs/sensor_limits.md derives each): a gain step g
starting at its channel's zero crossing moves the angle by ≈ g·θ as the rotor
turns θ — exactly what a change of speed by g·ω would do — and shows radially
only as g·θ². Below the speed at which that change of speed is implausible
for the long ramp check (about 10,000-20,000 rpm for 3-5 %), the radial part
is the only evidence, and before the angle error reaches B_f it carries too
little signal for gains of 3-5 % above 1,000-5,000 rpm: the best any detector
can reach (``kpi.radial_snr_bound``, 0.2 % FS noise) is 1-5 σ against K₁ ≈
6.9. A flag for "cannot vouch" there would be raised 9-19° after every zero
crossing at 1,000-10,000 rpm (``kpi.undetectable_window_deg``), on 10-21 % of
every clean record. Instantaneous speed steps of 3,500-4,500 rpm break the
budget 20-24 samples after they start, when the best ramp fit stands only
1-3 σ above its floor K₁ ≈ 6.9 (``kpi.speed_step_margin``): a tail of a
fraction of a per cent is flagged a sample late; closing it takes a floor
that trips on noise about once an hour. The step and ramp checks read sums
that include the sample they flag (``chain._slide``). ``python -m
sensor_dsp.kpi`` measures where each of these happens.
"""

import math
import statistics
from typing import NamedTuple

import numpy as np
from scipy import signal

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
# The budget-derived thresholds (step, ramp) sit this many σ of their statistic's noise below the budget, so that
# a fault exactly at the budget is missed with at most this probability (one-sided Gaussian tail). With the 3rd
# harmonic compensated by the calibration, its ripple no longer competes for that margin (it reached 0.97 of the
# step threshold at a margin of 1 σ before).
MISS_PROBABILITY = 1e-3
# ramp check: lengths of the fits (samples, at most REFERENCE_LAG): a speed step of Δω breaks the budget
# ~0.85·B/Δω samples after it starts (the observer follows ~15 % of it by then: 20 samples at 4,500 rpm); a fit as
# long as that is matched to it (ramp-from-zero fits of 16 and 24 samples: SNR 8.3-8.6 at the deadline for
# 4,000-4,500 rpm steps in 0.2 % FS noise, the best of any length; the 32-sample step check catches jumps better)
RAMP_WINDOWS = (16, 24)
# The reference (θ̂ + L·ω̂ of L samples ago) lags a steadily accelerating rotor as the observer does, plus what the
# extrapolation misses: d = c_d·α against the innovation's c_e·α (samples², both from the loop gains). The residual
# is taken less c_d/c_e times the innovation's slow mean, whose memory (8 of the longest reference lag) takes up at
# most 1/8 of a fault's innovation within the reference lag: a steady acceleration then leaves nothing, and only
# the onset of one (a jerk) shows, for about the observer's settling time.
# the long ramp check: a reference this many samples old (a power of two) and a fit as long, for the changes of
# speed that break the budget only after ~50-150 samples (a gain step of 3-5 % at its channel's zero crossing at
# 10,000-20,000 rpm changes the apparent speed by g·ω: 300-1,000 rpm). The longer it is, the smaller the onset of
# an acceleration it flags: twice REFERENCE_LAG flags an acceleration that starts as a step from ~1.7e6 rpm/s
# (1.4 times the KPI's ramp, which it never flags: 0 of 30 seeds, at most 0.84 of the threshold), ~2.8e6 rpm/s when
# the acceleration rises over 1 ms (measured: `python -m sensor_dsp.kpi`, "Plausible acceleration"); 128 samples
# lower that to ~7.5e5 rpm/s and flag 70 more of 480 gain steps at 5,000-20,000 rpm in time, but also the KPI's
# own 1.25e6 rpm/s ramp (212,876 of 1.75 M clean samples; docs/sensor_limits.md). The largest plausible
# acceleration is the specification's to set: this constant is its knob.
LONG_LAG = 2 * REFERENCE_LAG
LAG_MEMORY = 8 * LONG_LAG
# slow radial mean: the rotor angle it remembers. A gain step g at its channel's zero crossing breaks the budget
# B after θ_h ≈ B/g of rotation (8° at 5 %, 21° at 2 %) while its radial part grows as g·θ²: an exponential memory
# of about θ_h/2.5 is matched to that growth (computed: 4° is within 10 % of the best SNR for g = 2 % .. 5 %).
RADIAL_MEMORY_DEG = 4.0
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
    step_z: float  # z: the miss margin below the budget-derived thresholds, in σ of the statistic
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
    step_gain: float  # σ of the step check's mean per unit of per-sample angle noise (reference noise included)
    ramp_budget: float  # B_f: the ramp check's threshold before its noise margin (rad)
    ramp_windows: tuple  # the ramp fits' lengths (samples)
    ramp_gains: tuple  # σ of each fit's deviation estimate per unit of per-sample angle noise
    step_k: float  # K₁: the step check's noise floor in σ of its mean (a 1-D statistic)
    ramp_k: tuple  # ... and each ramp fit's
    radial_k: float  # ... and the slow radial mean's (at its largest weight: the most windows a second)
    lag_alpha: float  # weight of the innovation's slow mean (1 / LAG_MEMORY)
    lag_ratio: float  # c_d / c_e: the residual's steady-acceleration response over the innovation's
    long_gain: float  # σ gain of the long ramp fit (LONG_LAG samples against a LONG_LAG-samples-old reference)
    long_k: float  # its K₁
    long_lag_ratio: float  # its c_d / c_e
    radial_memory: float  # the slow radial mean's memory, rad of rotor angle
    radial_alpha_min: float  # its smallest weight (a static rotor)
    accel_response: float  # the ramp fits' largest response to an acceleration step of 1 rad/sample² (samples²)
    long_accel_response: float  # ... and the long fit's


def observer_response(kp: float, ki: float, comp_samples: float, n: int) -> np.ndarray:
    """Impulse response (``n`` samples) from the measured angle to the output
    angle of the type-II observer (``θp = θ + ω; e = m - θp; θ = θp + kp·e;
    ω += ki·e``; output θ + ω·``comp_samples``), gains as plain fractions."""
    kp, ki, comp_samples = _loop(kp, ki, comp_samples)
    n = argcheck.integer(n, "n", SensorError, lo=1, hi=10_000_000)
    impulse = np.zeros(n)
    impulse[0] = 1.0
    theta, omega, _ = _track(kp, ki, impulse)
    return theta + omega * comp_samples


def _track(kp: float, ki: float, x: np.ndarray) -> tuple:
    """The observer's θ, ω and innovation e for a measured angle ``x`` from a
    zero state, as IIR filters (O(n), no Python loop): with the prediction
    p_k = θ_(k-1) + ω_(k-1) and e = x - p, θ = p + kp·e and ω = ki·e/(1 - z⁻¹)
    give p/x = ((kp + ki)·z⁻¹ - kp·z⁻²) / (1 + (kp + ki - 2)·z⁻¹ + (1 - kp)·z⁻²)."""
    p = signal.lfilter([0.0, kp + ki, -kp], [1.0, kp + ki - 2.0, 1.0 - kp], x)
    e = x - p
    return p + kp * e, signal.lfilter([ki], [1.0, -1.0], e), e


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
    step_gain, ramp_gains, lag_ratio, accel = _reference_checks(kp, ki, 4 * settle, REFERENCE_LAG, RAMP_WINDOWS)
    _, (long_gain,), long_ratio, long_accel = _reference_checks(kp, ki, 4 * settle, LONG_LAG, (LONG_LAG,))
    k_step, *k_ramp = (_one_dimensional_k(fs_hz / w) for w in (REFERENCE_LAG, *RAMP_WINDOWS))
    k_radial = _one_dimensional_k(fs_hz * alpha)
    return Thresholds(vector=math.sin(b_f) / l1, step=b_f / peak,
                      step_z=statistics.NormalDist().inv_cdf(1.0 - MISS_PROBABILITY), step_peak=peak,
                      alpha=alpha,
                      alpha_fast=fast,
                      noise_k=k,
                      noise_gain=math.sqrt(alpha / (2 - alpha)), noise_gain_fast=math.sqrt(fast / (2 - fast)),
                      output_noise_limit=b_f / (k * float(np.sqrt(np.sum(h * h)))), l1_gain=l1,
                      settle=settle, drift=math.radians(HEALTHY_ALLOCATION_DEG),
                      quantisation=math.atan(2.0 ** (1 - iterations)) ** 2 / 3
                      + (2 * math.pi / 2.0**angle_bits) ** 2 / 12,
                      step_gain=step_gain, ramp_budget=b_f, ramp_windows=RAMP_WINDOWS, ramp_gains=ramp_gains,
                      step_k=k_step, ramp_k=tuple(k_ramp), radial_k=k_radial,
                      lag_alpha=1.0 / LAG_MEMORY, lag_ratio=lag_ratio, long_gain=long_gain,
                      long_k=_one_dimensional_k(fs_hz / LONG_LAG), long_lag_ratio=long_ratio,
                      radial_memory=math.radians(RADIAL_MEMORY_DEG), radial_alpha_min=NOISE_ALPHA,
                      accel_response=accel, long_accel_response=long_accel)


def _one_dimensional_k(windows_per_s: float) -> float:
    """K₁ for a 1-D Gaussian statistic (the step and ramp checks) that
    decorrelates over its own length: noise alone crosses ±K₁σ with the
    two-sided probability 2Φ(-K₁) per window, at most FALSE_TRIPS_PER_HOUR
    over ``windows_per_s`` windows a second."""
    p = FALSE_TRIPS_PER_HOUR / (3600.0 * windows_per_s)
    return -statistics.NormalDist().inv_cdf(0.5 * p)


def ramp_weights(window: int) -> np.ndarray:
    """The ramp check's weights on the residuals d_k, d_(k-1), .. (newest
    first): the least-squares fit of a ramp that starts at the window's
    beginning, d_(k-W+m) = ρ·m (m = 1 .. W), evaluated at its end: ρ̂·W =
    W·Σ m·d / Σ m²."""
    w = argcheck.integer(window, "window", SensorError, lo=1, hi=LONG_LAG)
    m = np.arange(w, 0, -1, dtype=float)
    return m * (w / float(np.sum(m * m)))


def _residual(kp: float, ki: float, x: np.ndarray, lag: int, ratio: float) -> np.ndarray:
    """The reference checks' residual d_k = x_k - (θ̂ + L·ω̂)_(k-L) - ratio·ē_(k-1)
    for a measured angle ``x`` (rad) from a zero state (ē: the innovation's
    slow mean, see ``LAG_MEMORY``; L = ``lag``)."""
    n = x.size
    theta, omega, innov = _track(kp, ki, x)
    d = x.copy()
    d[lag:] -= (theta + lag * omega)[:n - lag]
    alpha = 1.0 / LAG_MEMORY
    e_mean = signal.lfilter([alpha], [1.0, alpha - 1.0], innov)
    return d - ratio * np.concatenate([[0.0], e_mean[:-1]])


def ramp_fits(kp: float, ki: float, x, ratio: float) -> np.ndarray:
    """The ramp checks' deviation estimates D̂ (rad, one row per fit of
    ``RAMP_WINDOWS``) for a measured angle ``x`` (rad, a 1-D array from a
    zero state, no noise: the statistics' mean response) with the
    ``REFERENCE_LAG``-samples-old reference and c_d/c_e = ``ratio``
    (:attr:`Thresholds.lag_ratio`); gains as :func:`observer_response`."""
    kp, ki, _ = _loop(kp, ki, 0.0)
    x = argcheck.array(x, "x", SensorError, kind="f", ndim=1, min_size=1).astype(float)
    ratio = argcheck.real(ratio, "ratio", SensorError, lo=-1e6, hi=1e6)
    d = _residual(kp, ki, x, REFERENCE_LAG, ratio)
    return np.array([np.convolve(d, ramp_weights(w))[:x.size] for w in RAMP_WINDOWS])


def _reference_checks(kp: float, ki: float, n: int, lag: int, windows: tuple) -> tuple:
    """σ gains of the step check's mean and of the ramp fits per unit of
    per-sample angle noise, c_d/c_e (see ``LAG_MEMORY``), and the ramp fits'
    largest response to an acceleration step (samples²). Their residual is
    d_k = θm_k - (θ̂ + L·ω̂)_(k-L) - (c_d/c_e)·ē_(k-1), ē the innovation's slow
    mean: it carries the measurement's noise directly, through the L-samples-
    old reference and through ē, so each statistic is a linear filter of the
    noise and its σ gain the L2 norm of its impulse response. ``lag``: the
    reference's age; ``windows``: the ramp fits' lengths."""
    t = np.arange(n, dtype=float)
    # steady acceleration 1 rad/sample²: c_d and c_e at the end of the record
    parabola = 0.5 * t * t
    d = _residual(kp, ki, parabola, lag, 0.0)
    ratio = float(d[-1] / (d[-1] - _residual(kp, ki, parabola, lag, 1.0)[-1]))
    impulse = np.zeros(n)
    impulse[0] = 1.0
    d = _residual(kp, ki, impulse, lag, ratio)
    step_gain = float(np.sqrt(np.sum(np.convolve(d, np.full(lag, 1.0 / lag))[:n] ** 2)))
    gains = tuple(float(np.sqrt(np.sum(np.convolve(d, ramp_weights(w))[:n] ** 2))) for w in windows)
    start = n // 4  # an acceleration step once the loop is at rest
    d = _residual(kp, ki, 0.5 * np.maximum(t - start, 0.0) ** 2, lag, ratio)
    accel = max(float(np.max(np.abs(np.convolve(d, ramp_weights(w))[:n]))) for w in windows)
    return step_gain, gains, ratio, accel


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
