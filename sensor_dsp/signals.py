"""Rotor trajectories and the demodulated coil signals of an inductive
position sensor, with the impairments of a real coil and front end.

Angle convention: θ = atan2(sin, cos) of the ideal signals, radians,
unwrapped (it grows with the turns). Channel model, per sample time t:

    sin_ch = A_s(T) · [sin θ_s + h3 sin 3θ_s + h5 sin 5θ_s] + o_s(T) + n_s
    cos_ch = A_c(T) · [cos(θ_c + φ) + h3 cos 3θ_c + h5 cos 5θ_c] + o_c(T) + n_c

with θ_s = θ(t - τ), θ_c = θ(t - τ - Δt): τ the front-end group delay, Δt the
sampling skew of the cosine channel behind the sine channel, φ the phase
(orthogonality) error. Gains A_s = A (1 + m/2), A_c = A (1 - m/2) for a
channel mismatch m, each drifting with temperature T (°C) by its own
coefficient (ppm/K around 25 °C); offsets drift likewise (full scale per K).
Noise is white Gaussian, σ in full scale. Full scale is ±1.0; an optional
ADC width quantises and clips (the chain quantises again at its own width).
"""

from typing import NamedTuple

import numpy as np

from sensor_dsp.errors import SensorError

RPM_TO_RAD_S = 2 * np.pi / 60


class Trajectory(NamedTuple):
    t: np.ndarray  # seconds
    theta: np.ndarray  # radians, unwrapped
    omega: np.ndarray  # rad/s


def _times(fs_hz: float, duration_s: float) -> np.ndarray:
    if not fs_hz > 0 or not duration_s > 0:
        raise SensorError("fs_hz and duration_s must be > 0")
    n = int(round(fs_hz * duration_s))
    if n < 1 or n > 50_000_000:
        raise SensorError(f"{n} samples is outside 1 .. 5e7")
    return np.arange(n) / fs_hz


def constant_speed(fs_hz, duration_s, rpm, theta0=0.0) -> Trajectory:
    """θ(t) = θ0 + ω t (``rpm`` may be negative: reverse rotation)."""
    t = _times(fs_hz, duration_s)
    w = rpm * RPM_TO_RAD_S
    return Trajectory(t, theta0 + w * t, np.full(t.size, w))


def ramp(fs_hz, duration_s, rpm_start, rpm_end, theta0=0.0) -> Trajectory:
    """Constant angular acceleration from ``rpm_start`` to ``rpm_end``."""
    t = _times(fs_hz, duration_s)
    w0, w1 = rpm_start * RPM_TO_RAD_S, rpm_end * RPM_TO_RAD_S
    a = (w1 - w0) / duration_s
    return Trajectory(t, theta0 + w0 * t + 0.5 * a * t * t, w0 + a * t)


def profile(fs_hz, times_s, rpms, theta0=0.0) -> Trajectory:
    """Piecewise-linear speed through the points (times_s[k], rpms[k])."""
    times_s = np.asarray(times_s, float)
    rpms = np.asarray(rpms, float)
    if (times_s.ndim != 1 or times_s.shape != rpms.shape or times_s.size < 2
            or np.any(np.diff(times_s) <= 0)):
        raise SensorError("profile needs matching, increasing time and speed points")
    t = _times(fs_hz, times_s[-1] - times_s[0])
    w = np.interp(t + times_s[0], times_s, rpms) * RPM_TO_RAD_S
    theta = theta0 + np.concatenate([[0.0], np.cumsum((w[1:] + w[:-1]) / 2) / fs_hz])
    return Trajectory(t, theta, w)


class Impairments(NamedTuple):
    amplitude: float = 0.8  # nominal amplitude, full scale
    mismatch: float = 0.0  # gain mismatch m: A_s/A_c - 1 ≈ m
    offset_sin: float = 0.0  # full scale
    offset_cos: float = 0.0
    phase_deg: float = 0.0  # orthogonality error φ
    h3: float = 0.0  # 3rd harmonic, relative
    h5: float = 0.0  # 5th harmonic, relative
    noise: float = 0.0  # σ per channel, full scale
    skew_s: float = 0.0  # cos sampled this much after sin
    group_delay_s: float = 0.0  # common front-end delay
    temperature_c: float = 25.0  # scalar or per-sample array
    gain_tc_sin_ppm: float = 0.0  # gain drift per K around 25 °C
    gain_tc_cos_ppm: float = 0.0
    offset_tc_sin: float = 0.0  # offset drift, full scale per K
    offset_tc_cos: float = 0.0
    adc_bits: int | None = None  # quantise and clip here too (None: float out)


IDEAL = Impairments()


def coil_signals(traj: Trajectory, imp: Impairments = IDEAL, *, seed=None):
    """(sin, cos) float arrays at the trajectory's sample times."""
    rng = np.random.default_rng(seed)
    t = traj.t
    ts = _delayed(traj, imp.group_delay_s)
    tc = _delayed(traj, imp.group_delay_s + imp.skew_s)
    dt = np.asarray(imp.temperature_c, float) - 25.0
    a_s = imp.amplitude * (1 + imp.mismatch / 2) * (1 + imp.gain_tc_sin_ppm * 1e-6 * dt)
    a_c = imp.amplitude * (1 - imp.mismatch / 2) * (1 + imp.gain_tc_cos_ppm * 1e-6 * dt)
    phi = np.radians(imp.phase_deg)
    s = a_s * (np.sin(ts) + imp.h3 * np.sin(3 * ts) + imp.h5 * np.sin(5 * ts))
    c = a_c * (np.cos(tc + phi) + imp.h3 * np.cos(3 * tc) + imp.h5 * np.cos(5 * tc))
    s = s + imp.offset_sin + imp.offset_tc_sin * dt
    c = c + imp.offset_cos + imp.offset_tc_cos * dt
    if imp.noise:
        s = s + imp.noise * rng.standard_normal(t.size)
        c = c + imp.noise * rng.standard_normal(t.size)
    if imp.adc_bits is not None:
        q = float(1 << (imp.adc_bits - 1))
        s = np.clip(np.round(s * q), -q, q - 1) / q
        c = np.clip(np.round(c * q), -q, q - 1) / q
    return s, c


def _delayed(traj: Trajectory, delay: float) -> np.ndarray:
    """θ(t - delay): interpolated between samples, extrapolated at the start
    speed before the first one."""
    if delay == 0:
        return traj.theta
    tq = traj.t - delay
    theta = np.interp(tq, traj.t, traj.theta)
    before = tq < traj.t[0]
    theta[before] = traj.theta[0] + traj.omega[0] * (tq[before] - traj.t[0])
    return theta
