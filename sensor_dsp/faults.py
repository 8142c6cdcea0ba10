"""Fault injection into the coil-signal model, and the measure of how the
angle chain's diagnostics answer each fault.

A :class:`Fault` is a kind, the instant it starts, the channel it hits and a
size. :func:`inject` returns the faulty ``(sin, cos)`` samples and the true
rotor angle to judge the output against. Kinds (``size`` in brackets):

* ``stuck`` — the channel(s) hold the sample they had when the fault starts
  (a frozen sample-and-hold or ADC register);
* ``stuck_rail`` — the channel(s) sit at a rail [rail value, full scale,
  e.g. +1 or -1];
* ``offset_step`` — a step added to the channel [full scale];
* ``gain_step`` — the channel's front-end gain times 1 + size [relative];
* ``amplitude_loss`` — the coupling to both coils drops to ``size`` of its
  value (offsets and noise stay) [remaining fraction];
* ``open`` — the coil is open: the channel carries only noise [σ, full
  scale; 0 gives exactly 0];
* ``short`` — the two channels are shorted together: both read their mean;
* ``swap`` — sin and cos exchanged (wiring);
* ``invert`` — the channel's polarity is reversed (wiring);
* ``angle_jump`` — the coil signals' angle jumps by ``size`` degrees while
  the rotor does not (implausible acceleration: e.g. a slipping target);
* ``speed_step`` — the rotor's speed jumps by ``size`` rpm (beyond what the
  observer can follow: tracking loss); the true angle follows the rotor.

Channel faults act on the samples the front end delivers (after noise and
the model's ADC, if any); ``amplitude_loss``, ``angle_jump`` and
``speed_step`` regenerate the coil signals from the start with the same noise
(same ``seed``) and splice them in, so the record is continuous up to the
fault.
"""

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

import argcheck
from sensor_dsp import chain, signals
from sensor_dsp import diagnostics as dg
from sensor_dsp.errors import SensorError

KINDS = ("stuck", "stuck_rail", "offset_step", "gain_step", "amplitude_loss", "open", "short", "swap", "invert",
         "angle_jump", "speed_step")
CHANNELS = ("sin", "cos", "both")
_ONE_CHANNEL = ("offset_step", "gain_step", "open", "invert")  # "both" would be another fault
_NO_CHANNEL = ("amplitude_loss", "short", "swap", "angle_jump", "speed_step")


@dataclass(frozen=True)
class Fault:
    """One fault: ``kind`` (see :data:`KINDS`), ``start_s`` (seconds from the
    record's start), ``channel`` ("sin", "cos" or "both"; ignored by the kinds
    that hit the pair), ``size`` (unit per kind, see the module doc)."""

    kind: str
    start_s: float
    channel: str = "sin"
    size: float = 0.0

    def __post_init__(self):
        argcheck.one_of(self.kind, "kind", SensorError, KINDS)
        argcheck.real(self.start_s, "start_s", SensorError, lo=0.0)
        argcheck.one_of(self.channel, "channel", SensorError, CHANNELS)
        size = argcheck.real(self.size, "size", SensorError)
        if self.kind in _ONE_CHANNEL and self.channel == "both":
            raise SensorError(f"channel: a {self.kind} hits one channel, 'sin' or 'cos'")
        limits = {"stuck_rail": (-1.0, 1.0), "offset_step": (-2.0, 2.0), "gain_step": (-1.0, 10.0),
                  "amplitude_loss": (0.0, 1.0), "open": (0.0, 1.0), "angle_jump": (-360.0, 360.0),
                  "speed_step": (-1e6, 1e6)}
        if self.kind in limits:
            lo, hi = limits[self.kind]
            argcheck.real(size, "size", SensorError, lo=lo, hi=hi)

    def describe(self) -> str:
        """A short label, e.g. ``offset_step sin +0.05``."""
        where = "" if self.kind in _NO_CHANNEL else f" {self.channel}"
        value = "" if self.kind in ("stuck", "short", "swap") else f" {self.size:+g}"
        return f"{self.kind}{where}{value}"


def inject(traj: signals.Trajectory, imp: signals.Impairments, fault: Fault, *, seed=None):
    """(sin, cos, true angle in rad) of the record ``traj`` with impairments
    ``imp`` and ``fault``; ``seed`` as for :func:`signals.coil_signals`."""
    if not isinstance(fault, Fault):
        raise SensorError(f"fault must be a Fault, got {type(fault).__name__}")
    traj = signals.check_trajectory(traj)
    imp = signals.check_impairments(imp, traj.t.size)
    seed = signals.check_seed(seed)
    s, c = signals.coil_signals(traj, imp, seed=seed)
    fs_hz = (traj.t.size - 1) / (traj.t[-1] - traj.t[0]) if traj.t.size > 1 else 1.0
    k0 = int(np.searchsorted(traj.t, traj.t[0] + fault.start_s - 0.5 / fs_hz))
    if k0 >= traj.t.size:
        raise SensorError(f"start_s {fault.start_s:g} s is after the record's end")
    s, c = s.copy(), c.copy()
    theta = traj.theta
    hit_s = fault.channel in ("sin", "both")
    hit_c = fault.channel in ("cos", "both")
    kind = fault.kind
    if kind in ("amplitude_loss", "angle_jump", "speed_step"):
        after = traj.t >= traj.t[k0]
        if kind == "amplitude_loss":
            moved, imp2 = traj, imp._replace(amplitude=imp.amplitude * fault.size)
        elif kind == "angle_jump":
            moved, imp2 = traj._replace(theta=traj.theta + math.radians(fault.size) * after), imp
        else:
            dw = fault.size * signals.RPM_TO_RAD_S
            dt = np.where(after, traj.t - traj.t[k0], 0.0)
            moved, imp2 = traj._replace(theta=traj.theta + dw * dt, omega=traj.omega + dw * after), imp
            theta = moved.theta  # the rotor itself moved
        s2, c2 = signals.coil_signals(moved, imp2, seed=seed)
        s[k0:], c[k0:] = s2[k0:], c2[k0:]
    elif kind == "stuck":
        if hit_s:
            s[k0:] = s[k0]
        if hit_c:
            c[k0:] = c[k0]
    elif kind == "stuck_rail":
        if hit_s:
            s[k0:] = fault.size
        if hit_c:
            c[k0:] = fault.size
    elif kind == "offset_step":
        (s if hit_s else c)[k0:] += fault.size
    elif kind == "gain_step":
        (s if hit_s else c)[k0:] *= 1.0 + fault.size
    elif kind == "open":
        noise = fault.size * np.random.default_rng(None if seed is None else seed + 1).standard_normal(s.size - k0)
        (s if hit_s else c)[k0:] = noise
    elif kind == "short":
        mean = 0.5 * (s[k0:] + c[k0:])
        s[k0:], c[k0:] = mean, mean
    elif kind == "swap":
        s[k0:], c[k0:] = c[k0:].copy(), s[k0:].copy()
    else:  # invert
        (s if hit_s else c)[k0:] *= -1.0
    return s, c, theta


def standard() -> list:
    """The fault set of the KPI's fault table (``start_s`` 0: :func:`run_case`
    sets it): every kind, on each channel where that differs, small to large."""
    f = Fault
    return [f("stuck", 0.0, "both"), f("stuck", 0.0, "sin"), f("stuck", 0.0, "cos"),
            f("stuck_rail", 0.0, "sin", 1.0), f("stuck_rail", 0.0, "cos", -1.0), f("stuck_rail", 0.0, "both", 1.0),
            f("offset_step", 0.0, "sin", 0.05), f("offset_step", 0.0, "cos", -0.05),
            f("offset_step", 0.0, "sin", 0.01), f("offset_step", 0.0, "cos", -0.01),
            f("gain_step", 0.0, "sin", 0.05), f("gain_step", 0.0, "cos", -0.05),
            f("gain_step", 0.0, "sin", 0.5), f("gain_step", 0.0, "cos", -0.5),
            f("amplitude_loss", 0.0, "both", 0.35), f("amplitude_loss", 0.0, "both", 0.7),
            f("open", 0.0, "sin", 0.002), f("open", 0.0, "cos", 0.0), f("short", 0.0, "both"),
            f("swap", 0.0, "both"), f("invert", 0.0, "sin"), f("invert", 0.0, "cos"),
            f("angle_jump", 0.0, "both", 1.0), f("angle_jump", 0.0, "both", -5.0), f("angle_jump", 0.0, "both", 90.0),
            f("speed_step", 0.0, "both", 10000.0), f("speed_step", 0.0, "both", -20000.0)]


class Outcome(NamedTuple):
    latency: int | None  # samples from the fault's start to the first invalid sample (None: never)
    error_at_flag_deg: float  # |output error| at that first invalid sample (nan: never flagged)
    worst_unflagged_deg: float  # max |error| over valid samples outside [start, start + LATENCY)
    worst_error_deg: float  # max |error| after the start, flagged or not (what the fault does)
    armed: bool  # the chain had converged and armed its checks before the fault started

    @property
    def passed(self) -> bool:
        """No valid sample beyond the budget outside the latency window."""
        return self.armed and self.worst_unflagged_deg <= dg.BUDGET_DEG


def assess(result: chain.ChainResult, true_theta, start: int, *, latency: int = dg.LATENCY) -> Outcome:
    """How the chain answered a fault that started at sample ``start``: the
    unflagged-error property counts every valid sample of the record except
    the ``latency`` samples from the start (before the fault too)."""
    if not isinstance(result, chain.ChainResult):
        raise SensorError(f"result must be a ChainResult, got {type(result).__name__}")
    n = result.angle_deg.size
    theta = argcheck.array(true_theta, "true_theta", SensorError, kind="f", ndim=1)
    if theta.size != n:
        raise SensorError(f"true_theta has {theta.size} samples, the result {n}")
    start = argcheck.integer(start, "start", SensorError, lo=1, hi=max(n - 1, 1))
    latency = argcheck.integer(latency, "latency", SensorError, lo=0)
    err = np.abs(chain.angle_error_deg(result.angle_deg, theta))
    flagged = np.flatnonzero(~result.valid[start:])
    grace = np.zeros(n, bool)
    grace[start:start + latency] = True
    unflagged = result.valid & ~grace
    armed = not result.flags[start - 1] & (chain.UNCALIBRATED | chain.SETTLING | chain.FAULT_LATCHED)
    return Outcome(latency=int(flagged[0]) if flagged.size else None,
                   error_at_flag_deg=float(err[start + flagged[0]]) if flagged.size else math.nan,
                   worst_unflagged_deg=float(err[unflagged].max()) if unflagged.any() else 0.0,
                   worst_error_deg=float(err[start:].max()), armed=bool(armed))


class Case(NamedTuple):
    fault: Fault
    rpm: float
    phase_deg: float
    outcome: Outcome


def run_case(fault: Fault, rpm: float, phase_deg: float, *, imp: signals.Impairments = signals.REALISTIC,
             fs_hz: float = 1e6, after_s: float | None = None, seed: int = 1) -> Case:
    """Simulate ``fault`` with the rotor at constant speed ``rpm`` (0: a
    static rotor, with the factory calibration: fixed coefficients equal to
    ``imp``'s). The chain converges first: ``fault.start_s`` is replaced by
    the first instant, 8 revolutions plus twice the observer's settling time
    or whole revolutions later, at which the fault-free record has its checks
    armed (convergence time depends on the noise), so that the rotor is at
    ``phase_deg`` then. The record goes on for ``after_s`` (default: the
    longer of 3 ms and 1.25 revolutions)."""
    if not isinstance(fault, Fault):
        raise SensorError(f"fault must be a Fault, got {type(fault).__name__}")
    rpm = argcheck.real(rpm, "rpm", SensorError, lo=-1e6, hi=1e6)
    if 0 < abs(rpm) < 100:
        raise SensorError(f"rpm must be 0 (static) or at least 100 in magnitude, got {rpm:g}")
    phase = argcheck.real(phase_deg, "phase_deg", SensorError, lo=-360.0, hi=360.0)
    imp = signals.check_impairments(imp, 1)
    seed = signals.check_seed(seed)
    fs_hz = argcheck.real(fs_hz, "fs_hz", SensorError, lo=1e5, hi=1e8)
    options = {}
    if rpm == 0:
        a = imp.amplitude
        options = dict(calibration="fixed", coefficients=(imp.offset_sin, imp.offset_cos, a * (1 + imp.mismatch / 2),
                                                          a * (1 - imp.mismatch / 2), imp.phase_deg))
    ch = chain.AngleChain(fs_hz=fs_hz, **options)
    rev_s = 60.0 / abs(rpm) if rpm else 0.0
    t0 = 8 * rev_s + 2 * ch.thresholds.settle / fs_hz
    if after_s is None:
        after = max(3e-3, 1.25 * rev_s)
    else:
        after = argcheck.real(after_s, "after_s", SensorError, lo=0.0, lo_open=True, hi=1.0)
    w = rpm * signals.RPM_TO_RAD_S
    theta0 = math.radians(phase) - w * t0  # the rotor is at phase_deg when the fault starts (and a turn later)
    extra = 8 if rpm else 0  # whole revolutions the start may move by, waiting for convergence
    # one record for the fault-free run and the faulty one: the noise is the same sample for sample
    traj = signals.constant_speed(fs_hz, t0 + extra * rev_s + after, rpm, theta0=theta0)
    if rpm:
        flags = ch.run(*signals.coil_signals(traj, imp, seed=seed)).flags
        not_armed = (flags & (chain.UNCALIBRATED | chain.SETTLING | chain.FAULT_LATCHED)) != 0
        for n in range(extra + 1):
            k = int(np.searchsorted(traj.t, t0 + n * rev_s - 0.5 / fs_hz))
            if not not_armed[k - 1]:
                t0 += n * rev_s
                break
        else:
            raise SensorError(f"the chain did not converge within {8 + extra} revolutions at {rpm:g} rpm (seed {seed})")
    f = Fault(fault.kind, t0, fault.channel, fault.size)
    s, c, theta = inject(traj, imp, f, seed=seed)
    end = int(np.searchsorted(traj.t, t0 + after - 0.5 / fs_hz))
    res = ch.run(s[:end], c[:end])
    start = int(np.searchsorted(traj.t, t0 - 0.5 / fs_hz))
    return Case(f, rpm, phase, assess(res, theta[:end], start))
