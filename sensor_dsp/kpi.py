"""``python -m sensor_dsp.kpi``: the angle-accuracy and diagnostics KPI of
chip B (SPEC B4-B6), written to ``docs/kpi.md`` (and ``docs/kpi.png``).

Accuracy: every condition simulates the coil signals
(:mod:`sensor_dsp.signals`) at the chain rate, runs
:class:`sensor_dsp.chain.AngleChain`, skips the first 10 revolutions (the
calibration's convergence budget) and reports the maximum |angle error| over
at least 10 further revolutions — every angle of the turn many times. A row
passes when that maximum is within ±0.45°. Each row also counts the *settled*
samples (the chain converged: neither UNCALIBRATED nor SETTLING) that were
flagged invalid although nothing was wrong: the false-alarm rate.

Unless a row says otherwise the impairments are the "realistic" set
(:data:`sensor_dsp.signals.REALISTIC`: 0.5 % gain mismatch, offsets +1.0 /
-0.8 % of full scale, 0.3° orthogonality error, noise σ = 0.2 % of full
scale per channel, 25 °C); the chain runs with its defaults. Temperature rows
add gain drift of 150 / 100 ppm/K (sin / cos: the mismatch drifts 50 ppm/K)
and offset drift of +3e-5 / -2e-5 full scale per K. Ablation rows switch one
part of the chain off to show that it matters.

Faults (:mod:`sensor_dsp.faults`): each fault of the standard set starts once
the chain has converged, at 12 rotor angles and at each speed of the table;
a case passes when no valid output sample is off by more than ±0.45° outside
the 20 samples after the start (the detection latency allowed). The latency
is the first invalid sample after the start; "error when flagged" shows how
far the output had gone by then. Then the smallest steps that break the
budget; speed steps (1,000-10,000 rpm) and angle jumps (0.30-0.50°) around
the detection limits, with the largest acceleration that is not flagged;
gain steps of 1-5 % starting at and near a channel's zero crossing at
1,000-30,000 rpm, with the best SNR the radial residual allows
(:func:`radial_snr_bound`); and the standard set below 50,000 rpm.

``--quick`` runs a subset in seconds (the tests use it); without ``--out`` it
writes ``build/kpi.md`` (and ``.png``), never the committed ``docs/`` report.
``--jobs N`` (default: :func:`argcheck.cli.usable_cores`, the cores this
process may use within its container's CPU quota, at most 8; 1 with
``--quick``) runs the fault cases in N processes; each case has its own seed,
so the report is the same byte for byte whatever N.
"""

import math
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import NamedTuple

import numpy as np

import argcheck
from argcheck.cli import Parser, guard, output_dir, usable_cores
from sensor_dsp import chain, faults, signals
from sensor_dsp import diagnostics as dg
from sensor_dsp.errors import SensorError

LIMIT_DEG = dg.BUDGET_DEG
FS_HZ = 1e6
SKIP_REVS = 10
MEASURE_REVS = 12
REALISTIC = signals.REALISTIC
DRIFT = dict(gain_tc_sin_ppm=150.0, gain_tc_cos_ppm=100.0, offset_tc_sin=3e-5, offset_tc_cos=-2e-5)
FAULT_SPEEDS = (0.0, 50_000.0, 100_000.0, 200_000.0, 300_000.0, -200_000.0)
FAULT_PHASES = tuple(range(0, 360, 30))
LOW_SPEEDS = (1_000.0, 2_000.0, 5_000.0, 10_000.0, 20_000.0, 30_000.0)
QUICK_SPEEDS = (200_000.0, 50_000.0)
QUICK_PHASES = (0, 90, 225)


_POOL: ProcessPoolExecutor | None = None  # set by _report for --jobs > 1: the fault cases' worker processes
MAX_DEFAULT_JOBS = 8  # each worker holds numpy, numba and a chain (~0.2 GB): not one per core of a big server


def _case(spec: tuple) -> faults.Case:
    fault, rpm, phase, seed = spec
    return faults.run_case(fault, rpm, phase, seed=seed)


def _cases(specs: list) -> list:
    """``faults.run_case(fault, rpm, phase, seed=seed)`` for each spec, in
    order: in the worker processes when ``_report`` has started them."""
    if _POOL is None or len(specs) < 2:
        return [_case(sp) for sp in specs]
    return list(_POOL.map(_case, specs))  # one case a task (0.1-1 s): Ctrl-C waits for at most one per worker


def _rows(groups: list) -> list:
    """One :class:`FaultRow` per ``(fault, specs)`` of ``groups``, its cases
    those specs' (see :func:`_cases`), every group's cases run in one batch."""
    done = iter(_cases([sp for _, specs in groups for sp in specs]))
    return [FaultRow(f, [next(done) for _ in specs]) for f, specs in groups]


class Row(NamedTuple):
    group: str
    name: str
    max_err_deg: float
    rms_err_deg: float
    samples: int
    settled: int  # samples after convergence
    invalid: int  # ... of which flagged invalid

    @property
    def passed(self) -> bool:
        return self.max_err_deg <= LIMIT_DEG

    @property
    def false_alarm_rate(self) -> float:
        return self.invalid / self.settled if self.settled else 0.0


def measure(rpm, imp=REALISTIC, *, seed=1, fs_hz=FS_HZ, traj=None, **chain_options):
    """(errors after convergence in degrees, true angles, result) for one
    condition: constant ``rpm`` for 22 revolutions, or the trajectory ``traj``."""
    seed = argcheck.integer(seed, "seed", SensorError, lo=0, hi=2**128 - 1)
    fs_hz = argcheck.real(fs_hz, "fs_hz", SensorError, lo=1e3, hi=1e9)
    if traj is None:
        rpm = argcheck.real(rpm, "rpm", SensorError, lo=-1e7, hi=1e7)
        if rpm == 0:
            raise SensorError("rpm must not be 0 (a static rotor is static_row's)")
        revs = SKIP_REVS + MEASURE_REVS
        traj = signals.constant_speed(fs_hz, revs * 60.0 / abs(rpm), rpm, theta0=0.3)
    elif not isinstance(traj, signals.Trajectory):
        raise SensorError(f"traj must be a Trajectory or None, got {type(traj).__name__}")
    s, c = signals.coil_signals(traj, imp, seed=seed)
    res = chain.AngleChain(fs_hz=fs_hz, **chain_options).run(s, c)
    turns = np.abs(traj.theta - traj.theta[0]) / (2 * np.pi)
    keep = turns >= SKIP_REVS
    err = chain.angle_error_deg(res.angle_deg, traj.theta)
    return err[keep], traj.theta[keep], res


def _settled(res) -> tuple:
    settled = (res.flags & (chain.UNCALIBRATED | chain.SETTLING)) == 0
    return int(settled.sum()), int((settled & ~res.valid).sum())


def _row(group, name, measured):
    err, _, res = measured
    return Row(group, name, float(np.max(np.abs(err))), float(np.sqrt(np.mean(err**2))), err.size, *_settled(res))


def _static_row(imp=REALISTIC, angles=72):
    """0 rpm: calibration learned while turning (factory), then fixed angles."""
    _, _, res = measure(20_000, imp)
    coef = (res.offset_sin[-1], res.offset_cos[-1],
            0.8 * (1 + res.mismatch[-1] / 2), 0.8 * (1 - res.mismatch[-1] / 2), res.phase_deg[-1])
    errs = []
    settled = invalid = 0
    n, settle = 5000, 3000  # the observer settles within 3 ms of power-up
    for k, th in enumerate(np.linspace(0, 2 * np.pi, angles, endpoint=False)):
        traj = signals.Trajectory(np.arange(n) / FS_HZ, np.full(n, th), np.zeros(n))
        s, c = signals.coil_signals(traj, imp, seed=100 + k)
        r = chain.AngleChain(fs_hz=FS_HZ, calibration="fixed", coefficients=coef).run(s, c)
        errs.append(chain.angle_error_deg(r.angle_deg[settle:], traj.theta[settle:]))
        a, b = _settled(r)
        settled += a
        invalid += b
    err = np.concatenate(errs)
    return Row("speed", f"0 rpm ({angles} static angles, factory calibration)", float(np.max(np.abs(err))),
               float(np.sqrt(np.mean(err**2))), err.size, settled, invalid)


def conditions(quick=False):
    """The accuracy rows (a list; ``quick``: a subset that runs in seconds)."""
    quick = argcheck.flag(quick, "quick", SensorError)
    return list(_quick_conditions() if quick else _conditions())


def _quick_conditions():
    yield _static_row(angles=8)
    for rpm in (200_000, 300_000, -200_000):
        yield _row("speed", f"{rpm:,} rpm", measure(rpm))
    yield _row("temperature", "200k rpm, +150 °C with drift",
               measure(200_000, REALISTIC._replace(temperature_c=150.0, **DRIFT)))
    yield _row("noise", "200k rpm, noise σ 0.5 % FS", measure(200_000, REALISTIC._replace(noise=0.005)))
    yield _row("dynamics", "ramp 200k → 250k rpm in 40 ms",
               measure(None, traj=signals.ramp(FS_HZ, 0.04, 200_000, 250_000)))


def _conditions():
    yield _static_row()
    for rpm in (1_000, 10_000, 50_000, 100_000, 150_000, 200_000, 250_000, 300_000, -200_000):
        yield _row("speed", f"{rpm:,} rpm", measure(rpm))
    for m in (0.0, 0.0025, -0.005, 0.01, -0.02):
        yield _row("mismatch", f"200k rpm, mismatch {m * 100:+.2f} %", measure(200_000, REALISTIC._replace(mismatch=m)))
    for t in (-40.0, 25.0, 85.0, 150.0):
        yield _row("temperature", f"200k rpm, {t:+.0f} °C with drift",
                   measure(200_000, REALISTIC._replace(temperature_c=t, **DRIFT)))
    for n in (0.0, 0.001, 0.005):
        yield _row("noise", f"200k rpm, noise σ {n * 100:.1f} % FS", measure(200_000, REALISTIC._replace(noise=n)))
    ramp = signals.ramp(FS_HZ, 0.2, 50_000, 300_000)
    yield _row("dynamics", "ramp 50k → 300k rpm in 0.2 s", measure(None, traj=ramp))
    yield _row("dynamics", "200k rpm, 3rd harmonic 0.2 %", measure(200_000, REALISTIC._replace(h3=0.002)))
    delayed = REALISTIC._replace(group_delay_s=1.5e-6, skew_s=0.2e-6)
    yield _row("delay", "200k rpm, 1.5 µs group delay + 0.2 µs skew, compensated",
               measure(200_000, delayed, group_delay_s=1.5e-6, skew_s=0.2e-6))
    yield _row("ablation", "  same, delay not compensated", measure(200_000, delayed))
    yield _row("ablation", "200k rpm, calibration off", measure(200_000, calibration="off"))
    yield _row("ablation", "200k rpm, CORDIC 8 iterations", measure(200_000, iterations=8))
    yield _row("ablation", "200k rpm, observer bandwidth 50 kHz (little filtering)",
               measure(200_000, bandwidth_hz=50_000))


class FaultRow(NamedTuple):
    fault: faults.Fault
    cases: list  # faults.Case

    @property
    def harmful(self) -> int:
        """Cases in which the fault moved the output beyond the budget (flagged or not)."""
        return sum(c.outcome.worst_error_deg > LIMIT_DEG for c in self.cases)

    @property
    def flagged(self) -> int:
        return sum(c.outcome.latency is not None for c in self.cases)

    def latency(self, harmful_only: bool = True) -> int | None:
        """Worst detection latency over the flagged cases (only those the
        fault moved beyond the budget, by default); None: no such case."""
        harmful_only = argcheck.flag(harmful_only, "harmful_only", SensorError)
        lat = [c.outcome.latency for c in self.cases if c.outcome.latency is not None
               and (not harmful_only or c.outcome.worst_error_deg > LIMIT_DEG)]
        return max(lat) if lat else None

    @property
    def worst_unflagged_deg(self) -> float:
        return max(c.outcome.worst_unflagged_deg for c in self.cases)

    @property
    def error_at_flag_deg(self) -> float:
        v = [c.outcome.error_at_flag_deg for c in self.cases if c.outcome.latency is not None]
        return max(v) if v else math.nan

    @property
    def passed(self) -> bool:
        return all(c.outcome.passed for c in self.cases)


def fault_rows(speeds=FAULT_SPEEDS, phases=FAULT_PHASES, fault_set=None):
    """One :class:`FaultRow` per fault of ``fault_set`` (default: the
    standard set), each over every speed × rotor angle at the start."""
    speeds = _numbers(speeds, "speeds")
    phases = _numbers(phases, "phases")
    fault_set = faults.standard() if fault_set is None else fault_set
    if not isinstance(fault_set, (list, tuple)) or not all(isinstance(f, faults.Fault) for f in fault_set):
        raise SensorError("fault_set must be a list of Fault")
    return _rows([(f, [(f, rpm, ph, 1) for rpm in speeds for ph in phases]) for f in fault_set])


def smallest_harmful(kind, channel, rpm, phases=FAULT_PHASES, *, lo=0.0, hi=0.05, steps=8):
    """The smallest ``size`` of a ``kind`` fault on ``channel`` that moves
    the output beyond the budget at ``rpm`` for some start angle in
    ``phases`` (bisection between ``lo``, harmless, and ``hi``, harmful),
    and the :class:`FaultRow` at that size."""
    phases = _numbers(phases, "phases")
    steps = argcheck.integer(steps, "steps", SensorError, lo=1, hi=30)
    lo = argcheck.real(lo, "lo", SensorError)
    hi = argcheck.real(hi, "hi", SensorError)

    def row(size):
        f = faults.Fault(kind, 0.0, channel, size)
        return FaultRow(f, _cases([(f, rpm, ph, 1) for ph in phases]))

    top = row(hi)
    if not max(c.outcome.worst_error_deg for c in top.cases) > LIMIT_DEG:
        raise SensorError(f"a {kind} of {hi:g} does not break the budget at {rpm:g} rpm: raise hi")
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        r = row(mid)
        if max(c.outcome.worst_error_deg for c in r.cases) > LIMIT_DEG:
            hi, top = mid, r
        else:
            lo = mid
    return hi, top


def _numbers(values, name):
    a = argcheck.array(values, name, SensorError, kind="f", ndim=1, min_size=1)
    return tuple(float(v) for v in a)


def _fault_line(r: FaultRow, label=None) -> str:
    lat, every = r.latency(), r.latency(harmful_only=False)
    lat_txt = "— | —" if lat is None else f"{lat} | {lat / FS_HZ * 1e6:.0f}"
    return (f"| {label or r.fault.describe()} | {len(r.cases)} | {r.harmful} | {r.flagged} | {lat_txt} | "
            f"{'—' if every is None else every} | "
            f"{r.error_at_flag_deg:.3f} | {r.worst_unflagged_deg:.3f} | {'pass' if r.passed else 'FAIL'} |")


FAULT_HEADER = ("| fault | cases | harmful | flagged | latency, harmful cases (samples) | (µs) | "
                "latency, all flagged | error when flagged (°) | worst unflagged after latency (°) | pass |")


def _emit(lines, text=""):
    lines.append(text)
    print(text, flush=True)


def _report(out: Path, quick: bool, plot: bool, jobs: int = 1) -> list:
    """Run everything, print the tables and write ``out``/kpi.md (and
    kpi.png), the fault cases in ``jobs`` processes; returns the markdown lines."""
    global _POOL
    out.mkdir(parents=True, exist_ok=True)  # fail before the long run, not after it
    if jobs > 1:  # spawned, not forked: numba's compiled chain loads from its cache in each worker
        _POOL = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"))
    try:
        return _write_report(out, quick, plot)
    finally:
        if _POOL is not None:
            _POOL.shutdown(cancel_futures=True)
            _POOL = None


def _write_report(out: Path, quick: bool, plot: bool) -> list:
    lines: list = []
    ch = chain.AngleChain(FS_HZ)
    th = ch.thresholds
    wn = 2 * math.pi * ch.bandwidth_hz
    _emit(lines, "# Angle accuracy and diagnostics of chip B" + (" (quick subset)" if quick else ""))
    _emit(lines)
    _emit(lines, "Generated by `python -m sensor_dsp.kpi" + (" --quick" if quick else "") + "`; "
          "method in `sensor_dsp/kpi.py`, checks in `sensor_dsp/diagnostics.py`.")
    _emit(lines)
    _emit(lines, "## Accuracy and false alarms")
    _emit(lines)
    _emit(lines, f"| condition | max \\|error\\| (°) | rms (°) | samples | ±{LIMIT_DEG}° | settled samples | "
          "flagged invalid | false-alarm rate |")
    _emit(lines, "|---|---|---|---|---|---|---|---|")
    rows = []
    for r in conditions(quick):
        rows.append(r)
        _emit(lines, f"| {r.name} | {r.max_err_deg:.4f} | {r.rms_err_deg:.4f} | {r.samples} | "
              f"{'pass' if r.passed else 'FAIL'} | {r.settled} | {r.invalid} | {100 * r.false_alarm_rate:.3f} % |")
    operating = [r for r in rows if r.group != "ablation"]
    settled = sum(r.settled for r in operating)
    invalid = sum(r.invalid for r in operating)
    _emit(lines)
    _emit(lines, f"Fault-free operating conditions (all rows but the ablations): {invalid} of {settled} settled "
          f"samples flagged invalid ({100 * invalid / max(settled, 1):.4f} %, limit 0.1 %).")
    _emit(lines)
    _emit(lines, "## Fault detection")
    _emit(lines)
    _emit(lines, f"Thresholds derived from the ±{LIMIT_DEG}° budget (healthy allocation "
          f"{dg.HEALTHY_ALLOCATION_DEG}°, faults {dg.FAULT_ALLOCATION_DEG:.2f}°): observer ‖h‖₁ = "
          f"{th.l1_gain:.3f}, vector residual T_v = {th.vector:.5f} ({math.degrees(th.vector):.3f}°), "
          f"noise floor K = {th.noise_k:.2f}, means α = {th.alpha:.4f} / {th.alpha_fast:.2f}, stuck "
          f"{dg.STUCK_RUN} repeats and ≥ {dg.STUCK_LSB:g} LSB, settle {th.settle} samples. The observer's "
          f"tracking lag α/ωn² reaches T_v at α = {th.vector * wn * wn * 60 / (2 * math.pi):.3g} rpm/s: a "
          "steadier acceleration is flagged (the KPI's ramp is 1.25e6 rpm/s).")
    _emit(lines)
    _emit(lines, _reference_text(th))
    _emit(lines)
    speeds, phases = (QUICK_SPEEDS, QUICK_PHASES) if quick else (FAULT_SPEEDS, FAULT_PHASES)
    static = " (0: static rotor, factory calibration)" if 0.0 in speeds else ""
    _emit(lines, f"Speeds {', '.join(f'{s:,.0f}' for s in speeds)} rpm{static} × "
          f"{len(phases)} rotor angles at the start, {FS_HZ / 1e6:g} MHz. Harmful: the output went beyond "
          f"±{LIMIT_DEG}° (flagged or not); latency: the worst delay from the fault's start to the first invalid "
          "sample.")
    _emit(lines)
    _emit(lines, FAULT_HEADER)
    _emit(lines, "|---|---|---|---|---|---|---|---|---|---|")
    table = fault_rows(speeds, phases)
    for r in table:
        _emit(lines, _fault_line(r))
    cases = sum(len(r.cases) for r in table)
    failed = sum(not c.outcome.passed for r in table for c in r.cases)
    _emit(lines)
    _emit(lines, f"{cases} fault cases, {failed} with an unflagged error beyond ±{LIMIT_DEG}° after the latency.")
    edges, low = [], []
    if not quick:
        _smallest(lines)
        edges = _edges(lines)
    gains = _gain_steps(lines, quick)
    if not quick:
        low = _limits(lines)
    _remains(lines, table, edges, gains, low)
    (out / "kpi.md").write_text("\n".join(lines) + "\n")
    if plot:
        _plot(out / "kpi.png", rows)
    print(f"wrote {out / 'kpi.md'}" + (f" and {out / 'kpi.png'}" if plot else ""))
    return lines


def _reference_text(th) -> str:
    """The step, ramp and slow radial checks' figures, at the realistic noise."""
    sigma = math.hypot(REALISTIC.noise / REALISTIC.amplitude, math.sqrt(th.quantisation))  # rad per sample
    step = max(th.step - th.step_z * th.step_gain * sigma, th.step_k * th.step_gain * sigma)
    ramps = [max(th.ramp_budget - th.step_z * g * sigma, k * g * sigma)
             for g, k in zip(th.ramp_gains, th.ramp_k, strict=True)]
    long = max(th.ramp_budget - th.step_z * th.long_gain * sigma, th.long_k * th.long_gain * sigma)
    to_rpm_s = FS_HZ**2 * 60 / (2 * math.pi)
    accel = min(ramps) / th.accel_response * to_rpm_s
    rpm = 10_000.0 * signals.RPM_TO_RAD_S / FS_HZ  # rad per sample at 10,000 rpm
    alpha_r = min(max(rpm / th.radial_memory, th.radial_alpha_min), th.alpha)
    radial = th.radial_k * REALISTIC.noise / REALISTIC.amplitude * math.sqrt(alpha_r / (2 - alpha_r))
    return (f"Step check: mean of the residual against the {dg.REFERENCE_LAG}-sample-old reference, σ gain "
            f"{th.step_gain:.3f} (reference noise included), threshold max(B_f/p - zσ, K₁σ) with z = {th.step_z:.2f} "
            f"(miss probability {dg.MISS_PROBABILITY:g} at the budget) and K₁ = {th.step_k:.2f} (1-D, per "
            f"{dg.REFERENCE_LAG}-sample window): {math.degrees(step):.3f}° at 0.2 % FS noise. Ramp checks (speed "
            f"steps): fits of a ramp from the start of the last {' and '.join(map(str, th.ramp_windows))} residuals, "
            f"σ gains {', '.join(f'{g:.3f}' for g in th.ramp_gains)}, K₁ {', '.join(f'{k:.2f}' for k in th.ramp_k)},"
            f" thresholds {', '.join(f'{math.degrees(r):.3f}°' for r in ramps)} at 0.2 % FS noise; the residual is "
            f"taken less {th.lag_ratio:.3f}× the innovation's {dg.LAG_MEMORY}-sample mean (the observer's own lag "
            f"under a steady acceleration), so only the onset of an acceleration shows: a step of "
            f"{accel:.3g} rpm/s reaches a ramp threshold (implausible acceleration). Long ramp check (changes of "
            f"speed that break the budget only after 50-150 samples: gain steps at the zero crossings, 10,000-30,000 "
            f"rpm): a {dg.LONG_LAG}-sample fit against a {dg.LONG_LAG}-sample-old reference, σ gain "
            f"{th.long_gain:.3f}, K₁ {th.long_k:.2f}, threshold {math.degrees(long):.3f}°; an acceleration step of "
            f"{long / th.long_accel_response * to_rpm_s:.3g} rpm/s reaches it without noise (with noise, "
            f"measured below). Slow radial mean: memory "
            f"{dg.RADIAL_MEMORY_DEG:g}° of rotation (weight |ω̂|·T/θ_w, between {th.radial_alpha_min:.2g} and "
            f"α), K₁ = {th.radial_k:.2f}, plus the radial residual the calibration's last revolution has left: "
            f"{radial:.2e} (+ residual) at 10,000 rpm and 0.2 % FS noise.")


def _smallest(lines):
    _emit(lines)
    _emit(lines, "## Smallest faults that break the budget")
    _emit(lines)
    _emit(lines, "Bisection on the size until the worst output error over 12 start angles exceeds "
          f"±{LIMIT_DEG}°; the row shows how that fault is answered.")
    _emit(lines)
    _emit(lines, FAULT_HEADER.replace("| fault |", "| fault at the threshold | speed (rpm) |"))
    _emit(lines, "|---|---|---|---|---|---|---|---|---|---|---|")
    for kind, channel, hi, unit in (("offset_step", "sin", 0.02, "FS"), ("offset_step", "cos", 0.02, "FS"),
                                    ("gain_step", "sin", 0.05, ""), ("gain_step", "cos", 0.05, ""),
                                    ("angle_jump", "both", 2.0, "°"), ("speed_step", "both", 10_000.0, " rpm")):
        for rpm in (200_000.0, 50_000.0):
            size, r = smallest_harmful(kind, channel, rpm, hi=hi)
            label = f"{kind} {channel} {size:+.4g}{unit}"
            _emit(lines, _fault_line(r, label).replace(f"| {label} |", f"| {label} | {rpm:,.0f} |", 1))


EDGE_SPEEDS = (200_000.0, 50_000.0)
SPEED_STEPS = (1000.0, 2000.0, 3000.0, 3500.0, 4000.0, 4500.0, 5000.0, 6000.0, 8000.0, 10_000.0,
               -3000.0, -4000.0, -4500.0, -5000.0)
ANGLE_JUMPS = (0.30, 0.32, 0.34, 0.36, 0.38, 0.40, 0.45, 0.50, -0.34, -0.36, -0.40)
EDGE_SEEDS = (1, 2, 3, 4, 5)  # noise records: the tail of late detections needs more than 12 cases to show


def edge_faults() -> list:
    """Speed steps (rpm) and angle jumps (°) around the sizes that break the
    budget: the fault table's rows at the detection limits."""
    return ([faults.Fault("speed_step", 0.0, "both", v) for v in SPEED_STEPS]
            + [faults.Fault("angle_jump", 0.0, "both", v) for v in ANGLE_JUMPS])


def _edges(lines):
    _emit(lines)
    _emit(lines, "## Speed steps and angle jumps at the detection limits")
    _emit(lines)
    _emit(lines, "An instantaneous speed step Δω (an implausible acceleration) moves the measured angle away from the "
          "reference as a ramp; the output follows the step response of the observer and breaks the budget "
          "~20 samples after a 4,500 rpm step, later for smaller ones (below ~1,800 rpm never). Seeing a slope ρ in "
          "noise σ within k samples needs ρ·√(k³/3) ≫ K₁σ: at the deadline of a 3,500-4,500 rpm step the best "
          "ramp fit stands 1-3 σ above its floor K₁ ≈ 6.9 (0.2 % FS noise; \"What remains\"), so a tail of cases "
          "is caught a sample late. A jump J of the measured angle moves the output by up to p·J (p = 1.2, the "
          f"observer's overshoot). 12 start angles × {len(EDGE_SEEDS)} noise records per row.")
    _emit(lines)
    _emit(lines, FAULT_HEADER.replace("| fault |", "| fault | speed (rpm) |"))
    _emit(lines, "|---|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for rpm in EDGE_SPEEDS:
        for r in _rows([(f, [(f, rpm, ph, sd) for sd in EDGE_SEEDS for ph in FAULT_PHASES]) for f in edge_faults()]):
            rows.append((rpm, r))
            label = r.fault.describe()
            _emit(lines, _fault_line(r, label).replace(f"| {label} |", f"| {label} | {rpm:,.0f} |", 1))
    lo, hi = acceleration_limit()
    _emit(lines)
    _emit(lines, f"Plausible acceleration: a constant acceleration that starts once the chain has converged at "
          f"100,000 rpm is not flagged up to {lo:.3g} rpm/s and is flagged from {hi:.3g} rpm/s (3 seeds; "
          "the KPI's ramp accelerates at 1.25e6 rpm/s).")
    return rows


def acceleration_limit(rpm: float = 100_000.0, seeds=(1, 2, 3), *, steps: int = 6) -> tuple:
    """The largest acceleration (rpm/s) that may start once the chain has
    converged at ``rpm`` without being flagged (any of ``seeds``), and the
    smallest that is: bisection between 1e5 and 2e7 rpm/s over records of
    10 ms at ``rpm`` followed by 10 ms of constant acceleration."""
    rpm = argcheck.real(rpm, "rpm", SensorError, lo=10_000.0, hi=1e6)
    seeds = [int(v) for v in argcheck.array(seeds, "seeds", SensorError, kind="i", ndim=1, min_size=1)]
    if min(seeds) < 0:
        raise SensorError("seeds must be non-negative")
    steps = argcheck.integer(steps, "steps", SensorError, lo=1, hi=20)

    def flagged(acc):
        traj = signals.profile(FS_HZ, [0.0, 0.010, 0.020], [rpm, rpm, rpm + acc * 0.010])
        for seed in seeds:
            res = chain.AngleChain(FS_HZ).run(*signals.coil_signals(traj, REALISTIC, seed=seed))
            settled = (res.flags & (chain.UNCALIBRATED | chain.SETTLING)) == 0
            if np.any(~res.valid[settled]):
                return True
        return False

    lo, hi = 1e5, 2e7
    if flagged(lo) or not flagged(hi):
        raise SensorError(f"the acceleration limit at {rpm:g} rpm is not between {lo:g} and {hi:g} rpm/s")
    for _ in range(steps):
        mid = math.sqrt(lo * hi)
        lo, hi = (lo, mid) if flagged(mid) else (mid, hi)
    return lo, hi


GAIN_SPEEDS = (1_000.0, 5_000.0, 10_000.0, 20_000.0, 30_000.0)
GAIN_SIZES = (0.01, 0.02, 0.03, 0.04, 0.05, -0.01, -0.02, -0.03, -0.04, -0.05)
# start angles near each zero crossing of the channel (°, offsets from the crossing)
ZERO_CROSSING_OFFSETS = (-5.0, -2.0, 0.0, 2.0, 5.0)


def zero_crossing_phases(channel: str) -> tuple:
    """Rotor angles (°) at and near the zero crossings of ``channel``'s
    signal (0° and 180° for sin, 90° and 270° for cos)."""
    channel = argcheck.one_of(channel, "channel", SensorError, ("sin", "cos"))
    base = (0.0, 180.0) if channel == "sin" else (90.0, 270.0)
    return tuple((b + o) % 360.0 for b in base for o in ZERO_CROSSING_OFFSETS)


class StepMargin(NamedTuple):
    deadline: int  # samples after the step by which a flag is due (the first beyond the budget, at least LATENCY)
    margin: float  # the best ramp fit's mean over its threshold then, in σ of the fit
    miss: float  # the chance that noise keeps that fit below its threshold then: Φ(-margin)
    floor_needed: float  # the noise floor K₁ (σ) at which the miss would be dg.MISS_PROBABILITY
    trips_per_hour: float  # the false trips per hour that floor costs (that fit alone)


def speed_step_margin(step_rpm: float, healthy_deg: float = 0.06,
                      noise: float = REALISTIC.noise / REALISTIC.amplitude) -> StepMargin:
    """How far above its threshold the best ramp fit stands when a flag is
    due after an instantaneous speed step of ``step_rpm``, with the healthy
    chain's own error ``healthy_deg`` already on the output (the step's
    error must stay below the budget less it) and white angle noise
    ``noise`` (rad per sample; the CORDIC's quantisation added): the mean of
    each fit from :func:`diagnostics.ramp_fits` (no noise), its σ from the
    thresholds' σ gains. A speed step moves the rotor too, so the output
    error is the observer's lag behind it (no delay compensation, as in the
    KPI)."""
    step_rpm = argcheck.real(step_rpm, "step_rpm", SensorError, lo=-1e6, hi=1e6)
    if step_rpm == 0:
        raise SensorError("step_rpm must not be 0")
    healthy_deg = argcheck.real(healthy_deg, "healthy_deg", SensorError, lo=0.0, hi=LIMIT_DEG, hi_open=True)
    noise = argcheck.real(noise, "noise", SensorError, lo=0.0, lo_open=True, hi=1.0)
    ch = chain.AngleChain(FS_HZ)
    th = ch.thresholds
    kp, ki = ch.kp / 2**24, ch.ki / 2**40
    n, start = 1024, 256
    rho = abs(step_rpm) * signals.RPM_TO_RAD_S / FS_HZ
    x = rho * np.maximum(np.arange(n) - start, 0.0)  # the measured angle (and the rotor's) after the step
    lag = x - np.convolve(x, dg.observer_response(kp, ki, 0.0, n))[:n]  # output error: the observer's lag
    beyond = np.flatnonzero(lag > math.radians(LIMIT_DEG - healthy_deg))
    if beyond.size == 0:
        raise SensorError(f"a speed step of {step_rpm:g} rpm never breaks the budget")
    deadline = max(int(beyond[0]) - start, dg.LATENCY)
    fits = dg.ramp_fits(kp, ki, x, th.lag_ratio)[:, start + deadline]
    sigma = math.hypot(noise, math.sqrt(th.quantisation))
    best = None
    for fit, gain, k, w in zip(fits, th.ramp_gains, th.ramp_k, th.ramp_windows, strict=True):
        sd = gain * sigma
        margin = (abs(fit) - max(th.ramp_budget - th.step_z * sd, k * sd)) / sd
        if best is None or margin > best[0]:
            best = (margin, k, w)
    margin, k, w = best
    floor = k - (th.step_z - margin)
    trips = 2.0 * statistics.NormalDist().cdf(-floor) * 3600.0 * FS_HZ / w
    return StepMargin(deadline, float(margin), statistics.NormalDist().cdf(-margin), float(floor), float(trips))


def radial_snr_bound(gain: float, rpm: float, noise: float = REALISTIC.noise / REALISTIC.amplitude) -> float:
    """The best any detector can do with the radial residual alone against a
    gain step ``gain`` starting at its channel's zero crossing at ``rpm``:
    the matched filter's SNR over the samples until the angle error (atan
    of the gain-scaled channel) reaches the fault allocation B_f, in white
    noise ``noise`` (rad per sample). The tangential part is evidence only
    once the change of speed it implies is implausible (a gain step g looks
    like a speed step of g·ω: the ramp and innovation checks see 3-5 % from
    about 20,000 rpm); below that the rotor could have turned that way."""
    gain = argcheck.real(gain, "gain", SensorError, lo=-0.9, hi=10.0)
    rpm = argcheck.real(rpm, "rpm", SensorError, lo=1.0, hi=1e7)
    noise = argcheck.real(noise, "noise", SensorError, lo=0.0, lo_open=True, hi=1.0)
    w = rpm * signals.RPM_TO_RAD_S / FS_HZ
    theta = np.arange(1, int(math.pi / 2 / w) + 2) * w  # a quarter turn from the crossing
    err = np.arctan2((1 + gain) * np.sin(theta), np.cos(theta)) - theta
    harm = np.flatnonzero(np.abs(err) > math.radians(dg.FAULT_ALLOCATION_DEG))
    if harm.size == 0:
        return math.inf  # never breaks the budget
    r = np.sqrt(1 + (2 * gain + gain * gain) * np.sin(theta[:harm[0]]) ** 2) - 1
    return float(np.sqrt(np.sum(r * r)) / noise)


def undetectable_window_deg(rpm: float, noise: float = REALISTIC.noise / REALISTIC.amplitude) -> float:
    """How far (°) past a channel's zero crossing a gain step that started
    there can already have moved the angle beyond the fault allocation B_f
    while its radial part is still below the noise floor of the best
    possible detector (matched filter over the samples since the crossing,
    K₁ of the slow radial mean, white noise ``noise`` rad per sample) at
    ``rpm``: where a "cannot vouch" flag would have to be raised on every
    record, fault or not (four such windows a turn). About
    (5ωT·(K₁σ/B_f)²)^(1/3) rad for g·sin²θ ≈ g·θ²."""
    rpm = argcheck.real(rpm, "rpm", SensorError, lo=1.0, hi=1e6)
    noise = argcheck.real(noise, "noise", SensorError, lo=0.0, lo_open=True, hi=1.0)
    k1 = chain.AngleChain(FS_HZ).thresholds.radial_k
    w = rpm * signals.RPM_TO_RAD_S / FS_HZ
    phi = np.arange(1, int(math.pi / 4 / w) + 2) * w  # up to 45°, where a gain step's error peaks
    gain = k1 * noise / np.sqrt(np.cumsum(np.sin(phi) ** 4))  # the largest gain still below K₁σ by then
    err = np.abs(np.arctan2((1 + gain) * np.sin(phi), np.cos(phi)) - phi)
    beyond = phi[err > math.radians(dg.FAULT_ALLOCATION_DEG)]
    return float(np.degrees(beyond.max())) if beyond.size else 0.0


def _gain_steps(lines, quick: bool):
    _emit(lines)
    _emit(lines, "## Gain steps at the zero crossings, 1,000-30,000 rpm")
    _emit(lines)
    sizes, speeds = ((0.03, -0.05), (5_000.0,)) if quick else (GAIN_SIZES, GAIN_SPEEDS)
    _emit(lines, "Worst unflagged error after the latency (°) and the worst latency of the harmful cases (samples), "
          f"start angles {', '.join(f'{o:+g}' for o in ZERO_CROSSING_OFFSETS)}° around both zero crossings of the "
          "channel; FAIL beyond the budget. A gain step g at the crossing moves the angle by ≈ g·θ as the rotor "
          "turns θ (what a change of speed would do) while its radial part grows only as g·θ²; in brackets, the "
          "best SNR any detector could reach from the radial part before the angle error reaches B_f "
          "(`kpi.radial_snr_bound`, 0.2 % FS noise) against K₁ ≈ 6.9: below it, only an acceleration bound "
          "could tell the fault from the rotor.")
    _emit(lines)
    _emit(lines, "| fault | " + " | ".join(f"{s:,.0f} rpm" for s in speeds) + " |")
    _emit(lines, "|---|" + "---|" * len(speeds))
    failed = cases = 0
    rows = []
    for channel in ("sin", "cos"):
        phases = zero_crossing_phases(channel)
        for g in sizes:
            f = faults.Fault("gain_step", 0.0, channel, g)
            cells = []
            for rpm, r in zip(speeds, _rows([(f, [(f, rpm, ph, 1) for ph in phases]) for rpm in speeds]), strict=True):
                rows.append((rpm, r))
                cases += len(r.cases)
                failed += sum(not c.outcome.passed for c in r.cases)
                lat = r.latency()
                snr = radial_snr_bound(g, rpm)
                cells.append(f"{r.worst_unflagged_deg:.3f}{'' if r.passed else ' FAIL'} ({'—' if lat is None else lat}"
                             f"; {'∞' if math.isinf(snr) else f'{snr:.1f}'})")
            _emit(lines, f"| {f.describe()} | " + " | ".join(cells) + " |")
    _emit(lines)
    _emit(lines, f"{cases} gain-step cases, {failed} with an unflagged error beyond ±{LIMIT_DEG}° after the latency. "
          "Cells: worst unflagged (°) (latency of the harmful cases; radial SNR bound).")
    return rows


def _limits(lines):
    _emit(lines)
    _emit(lines, "## Below 50,000 rpm: where slowly building faults outrun the checks")
    _emit(lines)
    _emit(lines, "Worst unflagged error after the latency (°) over 12 start angles; FAIL beyond the budget. "
          "A gain step or an open coil that starts at its channel's zero crossing moves the angle as a change "
          "of speed would; only its radial part (gain · sin²θ) shows, once the rotor has turned.")
    _emit(lines)
    _emit(lines, "| fault | " + " | ".join(f"{s:,.0f} rpm" for s in LOW_SPEEDS) + " |")
    _emit(lines, "|---|" + "---|" * len(LOW_SPEEDS))
    table = {s: fault_rows((s,), FAULT_PHASES) for s in LOW_SPEEDS}
    for i, f in enumerate(faults.standard()):
        cells = []
        for s in LOW_SPEEDS:
            r = table[s][i]
            cells.append(f"{r.worst_unflagged_deg:.3f}" + ("" if r.passed else " FAIL"))
        _emit(lines, f"| {f.describe()} | " + " | ".join(cells) + " |")
    return [(s, r) for s in LOW_SPEEDS for r in table[s]]


def _remains(lines, table, edges, gains, low):
    """What the tables leave open, counted from them."""
    _emit(lines)
    _emit(lines, "## What remains")
    _emit(lines)
    groups = [("standard fault set", [(None, r) for r in table]), ("speed steps and angle jumps", edges),
              ("gain steps at the zero crossings", gains), ("standard set below 50,000 rpm", low)]
    for name, rows in groups:
        if not rows:
            continue
        cases = sum(len(r.cases) for _, r in rows)
        bad = [(rpm, r) for rpm, r in rows if not r.passed]
        n_bad = sum(not c.outcome.passed for _, r in bad for c in r.cases)
        where = "; ".join(f"{r.fault.describe()}{'' if rpm is None else f' at {rpm:,.0f} rpm'} "
                          f"({sum(not c.outcome.passed for c in r.cases)}/{len(r.cases)}, "
                          f"{r.worst_unflagged_deg:.3f}°)" for rpm, r in bad)
        _emit(lines, f"- {name}: {n_bad} of {cases} cases with an unflagged error beyond ±{LIMIT_DEG}° after the "
              f"latency" + (f": {where}." if bad else "."))
    _emit(lines)
    _emit(lines)
    _emit(lines, "Speed steps, why a tail is left: the best ramp fit's mean over its threshold when the flag is due "
          "(the first sample beyond the budget, at least the 20-sample latency), in σ of the fit, with the healthy "
          "chain's error already on the output (`kpi.speed_step_margin`, 0.2 % FS noise); the miss is the chance "
          "noise keeps the fit below its threshold then, and the last columns the noise floor K₁ that would miss "
          f"only {dg.MISS_PROBABILITY:g} and the false trips per hour it costs (now K₁ ≈ 6.9: "
          f"{dg.FALSE_TRIPS_PER_HOUR:g} per hour).")
    _emit(lines)
    _emit(lines, "| step (rpm) | healthy error (°) | flag due at (samples) | margin (σ) | miss | K₁ needed | "
          "false trips per hour |")
    _emit(lines, "|---|---|---|---|---|---|---|")
    for step in (3500.0, 4000.0, 4500.0, 5000.0):
        for healthy in (0.0, 0.03, 0.06):
            m = speed_step_margin(step, healthy)
            _emit(lines, f"| {step:,.0f} | {healthy:.2f} | {m.deadline} | {m.margin:+.2f} | {m.miss:.2g} | "
                  f"{m.floor_needed:.2f} | {m.trips_per_hour:.2g} |")
    _emit(lines)
    lo, hi = undetectable_window_deg(1_000.0), undetectable_window_deg(10_000.0)
    _emit(lines, "Why (see `sensor_dsp/diagnostics.py`, \"Limits\", and `docs/sensor_limits.md`): a speed step of "
          "3,500-4,500 rpm breaks the budget 20-28 samples after it starts, when the best ramp fit stands 1-3 σ "
          "above its noise floor (K₁ ≈ 6.9 σ, 1e-3 false trips per hour): a fraction of a per cent of those cases "
          "is flagged a sample late; closing them takes a floor that trips about once an hour or more (table "
          "above). A gain step of 3-5 % at its channel's zero crossing at 1,000-10,000 rpm changes the angle as a "
          "change of speed would, and its radial part is below what any detector could see before the budget "
          "breaks (radial SNR bound 1-5 σ, in brackets in the gain table); telling it from the rotor takes a bound "
          "on the rotor's acceleration: the 64-sample long ramp check uses one (acceleration steps above ~1.7e6 "
          "rpm/s are flagged), which covers 20,000-30,000 rpm and part of 10,000 rpm; a 128-sample one (~7.5e5 "
          "rpm/s) flags 70 more of the gain-step cases at 5,000-20,000 rpm in time but also the KPI's own 1.25e6 "
          "rpm/s ramp. The largest plausible acceleration is the specification's to set. A flag for \"cannot "
          "vouch\" (an undetectable gain step could already be beyond the budget) would have to be raised within "
          f"{lo:.0f}-{hi:.0f}° after every zero crossing at 1,000-10,000 rpm (`kpi.undetectable_window_deg`): "
          f"{4 * lo / 3.6:.0f}-{4 * hi / 3.6:.0f} % of every clean record. These cases are "
          "flagged late, not missed: the gain-step tests hold them to a flag before the rotor has turned 45° and "
          "an unflagged error below the fault's own maximum.")


def _plot(path: Path, rows):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.5))
    for rpm, col in ((200_000, "tab:blue"), (300_000, "tab:green")):
        err, theta, _ = measure(rpm)
        a1.plot(np.degrees(theta) % 360, err, ".", ms=1, color=col, label=f"{rpm:,} rpm, calibrated")
    err, theta, _ = measure(200_000, calibration="off")
    a1.plot(np.degrees(theta) % 360, err, ".", ms=1, color="tab:red", alpha=0.4,
            label="200,000 rpm, no calibration")
    for lim in (LIMIT_DEG, -LIMIT_DEG):
        a1.axhline(lim, color="k", ls="--", lw=0.8)
    a1.set_xlabel("rotor angle (°)")
    a1.set_ylabel("angle error (°)")
    a1.set_title("error against angle (realistic impairments, after convergence)")
    a1.legend(markerscale=8, fontsize=8)
    sp = [r for r in rows if r.group == "speed" and r.name[0] not in "0-"]  # turning, forwards
    speeds = [abs(float(r.name.split()[0].replace(",", ""))) for r in sp]
    a2.plot(speeds, [r.max_err_deg for r in sp], "o-", label="max |error|")
    a2.plot(speeds, [r.rms_err_deg for r in sp], "s-", label="rms error")
    a2.axhline(LIMIT_DEG, color="k", ls="--", lw=0.8, label="±0.45° target")
    a2.set_xlabel("speed (rpm)")
    a2.set_ylabel("angle error (°)")
    a2.set_title("error against speed")
    a2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _main(argv) -> int:
    ap = Parser(prog="python -m sensor_dsp.kpi", description="angle-error and fault-detection KPI sweep")
    ap.add_argument("--out", default=None, help="folder for kpi.md and kpi.png (default docs; build with --quick)")
    ap.add_argument("--no-plot", action="store_true")
    ap.add_argument("--quick", action="store_true", help="a subset that runs in seconds (kpi.md says so)")
    ap.add_argument("--jobs", type=int, default=None, help="processes for the fault cases (default: the cores "
                    f"available, at most {MAX_DEFAULT_JOBS}; 1 with --quick); the same report for any")
    a = ap.parse_args(argv)
    cores = min(usable_cores(), MAX_DEFAULT_JOBS)
    jobs = (1 if a.quick else cores) if a.jobs is None else a.jobs
    jobs = argcheck.integer(jobs, "--jobs", SensorError, lo=1, hi=256)
    _report(output_dir(a.out, a.quick), a.quick, not a.no_plot, jobs)
    return 0


def main(argv=None) -> int:
    """The command line: one line on stderr and exit status 2 for a bad argument."""
    return guard(_main, sys.argv[1:] if argv is None else argv, prog="python -m sensor_dsp.kpi")


if __name__ == "__main__":
    sys.exit(main())
