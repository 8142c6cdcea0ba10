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

import argcheck
from sensor_dsp.errors import SensorError

RPM_TO_RAD_S = 2 * np.pi / 60


class Trajectory(NamedTuple):
    t: np.ndarray  # seconds
    theta: np.ndarray  # radians, unwrapped
    omega: np.ndarray  # rad/s


MAX_SAMPLES = 50_000_000
MAX_RPM = 1e7


def _times(fs_hz, duration_s) -> np.ndarray:
    fs_hz = argcheck.real(fs_hz, "fs_hz", SensorError, lo=0.0, lo_open=True, hi=1e10)
    duration_s = argcheck.real(duration_s, "duration_s", SensorError, lo=0.0, lo_open=True, hi=1e6)
    n = int(round(fs_hz * duration_s))
    if n < 1 or n > MAX_SAMPLES:
        raise SensorError(f"fs_hz × duration_s = {fs_hz * duration_s:.3g} samples is outside 1 .. {MAX_SAMPLES:.0e}")
    return np.arange(n) / fs_hz


def _rpm(value, name) -> float:
    return argcheck.real(value, name, SensorError, lo=-MAX_RPM, hi=MAX_RPM)


def _angle(value) -> float:
    return argcheck.real(value, "theta0", SensorError, lo=-1e6, hi=1e6)


def constant_speed(fs_hz, duration_s, rpm, theta0=0.0) -> Trajectory:
    """θ(t) = θ0 + ω t (``rpm`` may be negative: reverse rotation; θ0 in rad)."""
    t = _times(fs_hz, duration_s)
    w = _rpm(rpm, "rpm") * RPM_TO_RAD_S
    return Trajectory(t, _angle(theta0) + w * t, np.full(t.size, w))


def ramp(fs_hz, duration_s, rpm_start, rpm_end, theta0=0.0) -> Trajectory:
    """Constant angular acceleration from ``rpm_start`` to ``rpm_end``."""
    t = _times(fs_hz, duration_s)
    w0, w1 = _rpm(rpm_start, "rpm_start") * RPM_TO_RAD_S, _rpm(rpm_end, "rpm_end") * RPM_TO_RAD_S
    a = (w1 - w0) / float(duration_s)
    return Trajectory(t, _angle(theta0) + w0 * t + 0.5 * a * t * t, w0 + a * t)


def profile(fs_hz, times_s, rpms, theta0=0.0) -> Trajectory:
    """Piecewise-linear speed through the points (times_s[k], rpms[k])."""
    times_s = argcheck.array(times_s, "times_s", SensorError, kind="f", ndim=1, min_size=2).astype(float)
    rpms = argcheck.array(rpms, "rpms", SensorError, kind="f", ndim=1).astype(float)
    if times_s.shape != rpms.shape:
        raise SensorError(f"times_s and rpms must have the same length, got {times_s.size} and {rpms.size}")
    if np.any(np.diff(times_s) <= 0):
        raise SensorError("times_s must increase")
    if np.any(np.abs(rpms) > MAX_RPM):
        raise SensorError(f"rpms must be within ±{MAX_RPM:.0e}")
    theta0 = _angle(theta0)
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
# what a real coil and front end give (the KPI's reference set): 0.5 % gain mismatch (SPEC B5),
# offsets +1.0 / -0.8 % FS, 0.3° orthogonality error, noise σ 0.2 % FS per channel
REALISTIC = Impairments(mismatch=0.005, offset_sin=0.010, offset_cos=-0.008, phase_deg=0.3, noise=0.002)


# (field, lowest, highest) of each real Impairments field; temperature_c and adc_bits are checked apart
_LIMITS = (("amplitude", 0.0, 10.0), ("mismatch", -1.9, 1.9), ("offset_sin", -10.0, 10.0),
           ("offset_cos", -10.0, 10.0), ("phase_deg", -89.0, 89.0), ("h3", -1.0, 1.0), ("h5", -1.0, 1.0),
           ("noise", 0.0, 10.0), ("skew_s", 0.0, 1.0), ("group_delay_s", 0.0, 1.0),
           ("gain_tc_sin_ppm", -1e5, 1e5), ("gain_tc_cos_ppm", -1e5, 1e5), ("offset_tc_sin", -1.0, 1.0),
           ("offset_tc_cos", -1.0, 1.0))


def check_impairments(imp, n: int) -> Impairments:
    """``imp`` with each field checked (:class:`SensorError` names it);
    ``temperature_c`` is a number or an array of ``n`` samples."""
    if not isinstance(imp, Impairments):
        raise SensorError(f"imp must be an Impairments, got {type(imp).__name__}")
    n = argcheck.integer(n, "n", SensorError, lo=1, hi=MAX_SAMPLES)
    values = {name: argcheck.real(getattr(imp, name), f"imp.{name}", SensorError, lo=lo, hi=hi)
              for name, lo, hi in _LIMITS}
    temp = imp.temperature_c
    if isinstance(temp, (list, tuple, np.ndarray)):
        temp = argcheck.array(temp, "imp.temperature_c", SensorError, kind="f", ndim=1).astype(float)
        if temp.size != n or np.any(temp < -273.15) or np.any(temp > 1000.0):
            raise SensorError(f"imp.temperature_c must be a number or {n} samples in -273.15 .. 1000 °C")
    else:
        temp = argcheck.real(temp, "imp.temperature_c", SensorError, lo=-273.15, hi=1000.0)
    bits = imp.adc_bits
    if bits is not None:
        bits = argcheck.integer(bits, "imp.adc_bits", SensorError, lo=2, hi=32)
    return Impairments(**values, temperature_c=temp, adc_bits=bits)


def check_trajectory(traj) -> Trajectory:
    """``traj`` with its three arrays checked: 1-D, finite, equal lengths."""
    if not isinstance(traj, Trajectory):
        raise SensorError(f"traj must be a Trajectory, got {type(traj).__name__}")
    arrays = [argcheck.array(getattr(traj, f), f"traj.{f}", SensorError, kind="f", ndim=1, min_size=1).astype(float)
              for f in Trajectory._fields]
    if len({a.size for a in arrays}) != 1:
        raise SensorError("traj.t, traj.theta and traj.omega must have the same length")
    return Trajectory(*arrays)


def check_seed(seed):
    """A seed for numpy's generator: None or an int in [0, 2^128)."""
    return None if seed is None else argcheck.integer(seed, "seed", SensorError, lo=0, hi=2**128 - 1)


def coil_signals(traj: Trajectory, imp: Impairments = IDEAL, *, seed=None):
    """(sin, cos) float arrays at the trajectory's sample times."""
    traj = check_trajectory(traj)
    imp = check_impairments(imp, traj.t.size)
    rng = np.random.default_rng(check_seed(seed))
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
