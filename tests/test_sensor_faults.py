"""Sensor diagnostics that catch every fault (issue 10).

The truth is the simulated rotor angle (:mod:`sensor_dsp.signals`), never the
chain's own estimates. The budget (±0.45°, SPEC B4) and the latency (20
samples at 1 MHz, issue 10) are written here as literals, not read from the
code under test.

Property, for every fault of the standard set at several speeds and start
angles (two fixed, two drawn from the seeded ``rng``): once the chain has
converged, no *valid* output sample is off by more than ±0.45° except in the
20 samples after the fault starts; every fault that moves the output beyond
the budget is flagged, within 20 samples or while the output is still within
the budget. Fault-free operation across the KPI's conditions flags under
0.1 % of the settled samples (in fact none).
"""

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sensor_dsp import SensorError, chain, faults, kpi, signals
from sensor_dsp import diagnostics as dg

BUDGET_DEG = 0.45  # SPEC B4
LATENCY = 20  # issue 10: samples at 1 MHz
FAULTS = faults.standard()
SPEEDS = (200_000.0, -200_000.0, 50_000.0, 0.0)


def _check(case):
    o = case.outcome
    label = f"{case.fault.describe()} at {case.rpm:g} rpm, {case.phase_deg:.1f}°: {o}"
    assert o.armed, label
    assert o.worst_unflagged_deg <= BUDGET_DEG, label
    if o.worst_error_deg > BUDGET_DEG:  # the fault mattered: it must be caught in time
        assert o.latency is not None, label
        assert o.latency <= LATENCY or o.error_at_flag_deg <= BUDGET_DEG, label


@pytest.mark.parametrize("rpm", SPEEDS, ids=[f"{s:g}rpm" for s in SPEEDS])
@pytest.mark.parametrize("fault", FAULTS, ids=[f.describe().replace(" ", "_") for f in FAULTS])
def test_no_unflagged_error_beyond_budget(fault, rpm, rng):
    phases = [0.0, 90.0, *rng.uniform(0, 360, 2)]
    for ph in phases:
        _check(faults.run_case(fault, rpm, ph, seed=int(rng.integers(1 << 30))))


# the five cases of issue 10, seen at 200,000 rpm with realistic impairments: 1.7° .. 180° unflagged before
ISSUE_CASES = [faults.Fault("stuck", 0.0, "both"), faults.Fault("stuck", 0.0, "sin"),
               faults.Fault("offset_step", 0.0, "cos", 0.05), faults.Fault("amplitude_loss", 0.0, "both", 0.35),
               faults.Fault("swap", 0.0, "both")]


@pytest.mark.parametrize("fault", ISSUE_CASES, ids=[f.describe().replace(" ", "_") for f in ISSUE_CASES])
def test_issue_cases_flagged_within_latency(fault, rng):
    for ph in rng.uniform(0, 360, 3):
        case = faults.run_case(fault, 200_000.0, ph, seed=int(rng.integers(1 << 30)))
        _check(case)
        assert case.outcome.latency is not None and case.outcome.latency <= LATENCY, case


def test_smallest_harmful_offset_step_is_flagged():
    """An offset d (FS) on the sine channel of amplitude A moves the measured
    angle by up to asin(d/A): the budget-sized step is 0.45° ≈ 0.0079·A.
    Half of it must stay harmless and unflagged errors must stay in the
    budget; the bisection's smallest harmful step lies between the healthy
    margin and the analytic size, and is flagged."""
    a = signals.REALISTIC.amplitude * (1 + signals.REALISTIC.mismatch / 2)
    d_budget = a * math.sin(math.radians(BUDGET_DEG))
    half = faults.Fault("offset_step", 0.0, "sin", 0.5 * d_budget)
    for ph in (0.0, 90.0, 180.0, 270.0):
        o = faults.run_case(half, 200_000.0, ph).outcome
        assert o.worst_error_deg <= BUDGET_DEG and o.worst_unflagged_deg <= BUDGET_DEG
    size, row = kpi.smallest_harmful("offset_step", "sin", 200_000.0, (0.0, 90.0, 180.0, 270.0), hi=0.02, steps=6)
    assert 0.5 * d_budget < size < 1.25 * d_budget
    for case in row.cases:
        _check(case)
    assert row.harmful > 0 and row.flagged == len(row.cases)


def test_advisory_flags_never_invalidate_or_hide():
    """2 % mismatch (4× the B5 limit): the calibration corrects it, so the
    MISMATCH advisory is raised and the angle stays valid; a fault on top is
    still flagged invalid."""
    imp = signals.REALISTIC._replace(mismatch=0.02)
    err, _, res = kpi.measure(200_000, imp)
    settled = (res.flags & (chain.UNCALIBRATED | chain.SETTLING)) == 0
    assert np.all(res.flags[settled] & chain.MISMATCH)
    assert np.all(res.valid[settled]) and np.max(np.abs(err)) <= BUDGET_DEG
    case = faults.run_case(faults.Fault("offset_step", 0.0, "sin", 0.05), 200_000.0, 30.0, imp=imp)
    _check(case)
    assert case.outcome.latency is not None and case.outcome.latency <= LATENCY
    assert chain.INVALID_MASK & chain.ADVISORY_MASK == 0
    assert chain.INVALID_MASK | chain.ADVISORY_MASK == sum(chain.FLAG_NAMES)
    assert chain.ADVISORY_MASK == chain.MISMATCH | chain.CALIBRATION_DRIFT


def test_fault_latches_and_freezes_the_calibration():
    traj = signals.constant_speed(1e6, 0.012, 100_000)
    k0 = 8000
    s, c, theta = faults.inject(traj, signals.REALISTIC, faults.Fault("offset_step", k0 / 1e6, "sin", 0.05), seed=2)
    res = chain.AngleChain(1e6).run(s, c)
    assert res.valid[k0 - 1] and not res.valid[k0 + LATENCY:].any()
    assert np.all(res.flags[k0 + LATENCY:] & chain.FAULT_LATCHED)
    assert np.ptp(res.offset_sin[k0 + LATENCY:]) == 0.0  # learned nothing from the faulty signal


# fault-free conditions of the KPI table (shortened): speed, reverse, static, temperature with drift,
# mismatch to the ±0.5 % spec, noise, harmonics, a ramp, compensated delay
CONDITIONS = [
    ("1,000 rpm", lambda: kpi.measure(1_000, seed=3)),
    ("50,000 rpm", lambda: kpi.measure(50_000, seed=3)),
    ("300,000 rpm", lambda: kpi.measure(300_000, seed=3)),
    ("-200,000 rpm", lambda: kpi.measure(-200_000, seed=3)),
    ("-40 °C drift", lambda: kpi.measure(200_000, kpi.REALISTIC._replace(temperature_c=-40.0, **kpi.DRIFT))),
    ("150 °C drift", lambda: kpi.measure(200_000, kpi.REALISTIC._replace(temperature_c=150.0, **kpi.DRIFT))),
    ("mismatch -0.5 %", lambda: kpi.measure(200_000, kpi.REALISTIC._replace(mismatch=-0.005))),
    ("noise 0.5 % FS", lambda: kpi.measure(200_000, kpi.REALISTIC._replace(noise=0.005))),
    ("3rd harmonic", lambda: kpi.measure(200_000, kpi.REALISTIC._replace(h3=0.002))),
    ("ramp", lambda: kpi.measure(None, traj=signals.ramp(1e6, 0.04, 200_000, 250_000))),
    ("delay", lambda: kpi.measure(200_000, kpi.REALISTIC._replace(group_delay_s=1.5e-6, skew_s=0.2e-6),
                                  group_delay_s=1.5e-6, skew_s=0.2e-6)),
]


@pytest.mark.parametrize("name,run", CONDITIONS, ids=[c[0] for c in CONDITIONS])
def test_no_false_alarms(name, run):
    err, _, res = run()
    settled = (res.flags & (chain.UNCALIBRATED | chain.SETTLING)) == 0
    assert settled.sum() > 1000
    rate = np.mean(~res.valid[settled])
    print(f"{name}: {np.sum(~res.valid[settled])} of {settled.sum()} settled samples flagged invalid")
    assert rate < 0.001
    assert np.max(np.abs(err)) <= BUDGET_DEG


def test_no_false_alarms_static_noise_free():
    """A static rotor, no noise: the codes never change, which is not a stuck
    channel (the tracked angle does not move)."""
    for th in np.linspace(0, 2 * np.pi, 9, endpoint=False):
        n = 20_000
        traj = signals.Trajectory(np.arange(n) / 1e6, np.full(n, th), np.zeros(n))
        s, c = signals.coil_signals(traj, signals.IDEAL._replace(adc_bits=14))
        res = chain.AngleChain(1e6, calibration="fixed", coefficients=(0.0, 0.0, 0.8, 0.8, 0.0)).run(s, c)
        assert res.valid[5000:].all()


def test_loop_figures_match_pll_theory():
    """The derivation's loop figures against continuous-time theory of the
    type-II loop H(s) = (2ζωn s + ωn²)/(s² + 2ζωn s + ωn²), ζ = 1/√2:
    step response 1 - e^(-at)(cos at - sin at), a = ωn/√2 (peak 1.2079), and
    noise bandwidth B_L = ωn(1 + 4ζ²)/(8ζ) (Gardner, Phaselock Techniques,
    eq. 2.23): Σh² = 2·B_L·T for ωn·T ≪ 1."""
    fs, bw = 1e6, 2000.0
    ch = chain.AngleChain(fs, bandwidth_hz=bw)
    h = dg.observer_response(ch.kp / 2**24, ch.ki / 2**40, 0.0, 20_000)
    wn = 2 * math.pi * bw
    t = np.arange(0, 20_000) / fs
    a = wn / math.sqrt(2)
    step = 1 - np.exp(-a * t) * (np.cos(a * t) - np.sin(a * t))
    assert abs(np.cumsum(h).max() - step.max()) < 0.01
    assert abs(step.max() - 1.2079) < 1e-3
    zeta = 1 / math.sqrt(2)
    b_l = wn * (1 + 4 * zeta**2) / (8 * zeta)
    assert abs(np.sum(h * h) / (2 * b_l / fs) - 1) < 0.02
    # ‖h‖₁ against the continuous impulse response's L1 norm
    dt = 1e-8
    tc = np.arange(0, 0.02, dt)
    y = 1 - np.exp(-a * tc) * (np.cos(a * tc) - np.sin(a * tc))
    l1 = np.sum(np.abs(np.diff(y))) + y[0]
    assert abs(ch.thresholds.l1_gain / l1 - 1) < 0.02
    # T_v: a residual inside it moves the output by at most the fault allocation (0.45° - 0.10°)
    assert abs(ch.thresholds.vector * ch.thresholds.l1_gain - math.sin(math.radians(0.35))) < 1e-12


@pytest.mark.parametrize("arg,options", [
    ("coefficients", dict(calibration="fixed", coefficients=(0.0, 0.0, float("nan"), 0.8, 0.0))),
    ("coefficients", dict(calibration="fixed", coefficients=(0.0, 0.0, 0.0, 0.8, 0.0))),
    ("coefficients", dict(calibration="fixed", coefficients=(0.0, 0.0, 0.8, 0.8, 90.0))),
    ("coefficients", dict(calibration="fixed", coefficients=(0.0, 0.0, 0.8, 0.8, -95.0))),
    ("coefficients", dict(calibration="fixed", coefficients=(0.0, float("inf"), 0.8, 0.8, 0.0))),
    ("coefficients", dict(calibration="fixed", coefficients=(0.0, 0.0, 0.8, 0.8))),
    ("coefficients", dict(calibration="fixed", coefficients=("0", 0.0, 0.8, 0.8, 0.0))),
    ("coefficients", dict(calibration="adaptive", coefficients=(0.0, 0.0, 0.8, 0.8, 0.0))),
    ("gain", dict(adc_bits=24, cordic_bits=8)),
    ("gain", dict(adc_bits=24, cordic_bits=16)),
    ("group_delay_s", dict(group_delay_s=float("nan"))),
    ("group_delay_s", dict(group_delay_s=float("inf"))),
    ("group_delay_s", dict(group_delay_s=1e-3)),
    ("skew_s", dict(skew_s=float("nan"))),
    ("skew_s", dict(skew_s=-1e-7)),
    ("adc_bits", dict(adc_bits=14.0)),
    ("adc_bits", dict(adc_bits="14")),
    ("adc_bits", dict(adc_bits=True)),
    ("cordic_bits", dict(cordic_bits=16.5)),
    ("angle_bits", dict(angle_bits=None)),
    ("iterations", dict(iterations=0)),
    ("bandwidth_hz", dict(bandwidth_hz=float("nan"))),
    ("bandwidth_hz", dict(bandwidth_hz=0.0)),
    ("bandwidth_hz", dict(bandwidth_hz="2k")),
    ("delay_compensation", dict(delay_compensation=1)),
    ("calibration", dict(calibration="Adaptive")),
    ("bogus", dict(bogus=1)),
])
def test_construction_refuses_what_cannot_work(arg, options):
    with pytest.raises(SensorError, match=arg):
        chain.AngleChain(1e6, **options)


@pytest.mark.parametrize("fs", [float("nan"), float("inf"), 0.0, -1e6, True, "1e6", None])
def test_bad_sample_rate(fs):
    with pytest.raises(SensorError, match="fs_hz"):
        chain.AngleChain(fs)


def test_kpi_quick_writes_the_fault_table(tmp_path, monkeypatch, capsys):
    """A quick run without --out writes build/kpi.md, never the committed docs/ report."""
    monkeypatch.chdir(tmp_path)
    assert kpi.main(["--quick", "--no-plot"]) == 0
    assert not (tmp_path / "docs").exists()
    text = (tmp_path / "build" / "kpi.md").read_text()
    assert "## Fault detection" in text and "latency, harmful cases" in text
    fault_lines = [ln for ln in text.splitlines() if ln.startswith("| ") and ln.endswith(("| pass |", "| FAIL |"))
                   and "static angles" not in ln]
    table = [ln for ln in fault_lines if any(ln.startswith(f"| {f.describe()} |") for f in FAULTS)]
    assert len(table) == len(FAULTS)
    assert all(ln.endswith("| pass |") for ln in table)
    assert "0 with an unflagged error beyond" in text
    assert "0 of" in text and "flagged invalid (0.0000 %" in text
    out = capsys.readouterr().out
    assert "## Fault detection" in out and "writing to build/" in out and f"wrote {Path('build') / 'kpi.md'}" in out


def test_kpi_report_is_the_same_in_worker_processes(tmp_path):
    """--jobs 2 runs the fault cases in two spawned processes: the same report byte for byte as one
    process (each case carries its own seed; the rows are put back in order)."""
    assert kpi.main(["--quick", "--no-plot", "--out", str(tmp_path / "one"), "--jobs", "1"]) == 0
    assert kpi.main(["--quick", "--no-plot", "--out", str(tmp_path / "two"), "--jobs", "2"]) == 0
    one, two = ((tmp_path / d / "kpi.md").read_text() for d in ("one", "two"))
    assert one == two and "## Fault detection" in one
    assert kpi._POOL is None  # the workers are gone once the report is written


def test_kpi_cases_come_back_in_order_from_a_pool():
    cases = [(faults.Fault(k, 0.0, "sin", 0.05), rpm, ph, 1) for k in ("offset_step", "gain_step")
             for rpm in (200_000.0,) for ph in (0, 90)]
    serial = kpi._cases(cases)
    kpi._POOL = kpi.ProcessPoolExecutor(max_workers=2, mp_context=kpi.get_context("spawn"))
    try:
        pooled = kpi._cases(cases)
    finally:
        kpi._POOL.shutdown()
        kpi._POOL = None
    # repr: an outcome never flagged holds NaN, which == would call different
    assert repr(pooled) == repr(serial) and [c.fault.kind for c in pooled] == ["offset_step"] * 2 + ["gain_step"] * 2


@pytest.mark.parametrize("args,reason", [(["--speed", "1"], "unrecognized arguments"),
                                         (["--out"], "expected one argument"),
                                         (["--quick", "x"], "unrecognized arguments"),
                                         (["--quick", "--jobs", "0"], "--jobs must be >= 1"),
                                         (["--quick", "--jobs", "two"], "invalid int value")])
def test_kpi_cli_bad_argument_is_one_line(args, reason, capsys):
    try:
        code = kpi.main(args)  # a value argparse takes but the report refuses: guard's one line, status 2
    except SystemExit as exit_:  # argparse's own refusal
        code = exit_.code
    assert code == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0] and "Traceback" not in err and out == ""


def test_kpi_cli_unwritable_out_is_one_line(tmp_path):
    """The real command line: a folder that cannot be made is one line on stderr, exit status 2."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    p = subprocess.run([sys.executable, "-m", "sensor_dsp.kpi", "--quick", "--no-plot", "--out", str(blocker / "d")],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 2
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr


# ---- the gaps left after the first pass (speed steps, angle jumps, gain steps at low speed) ----

def _cases(fault, rpm, phases, rng):
    return [faults.run_case(fault, rpm, float(ph) % 360.0, seed=int(rng.integers(1 << 30))) for ph in phases]


STEPS_IN_TIME = (1000.0, 2000.0, 3000.0, 6000.0, 10_000.0, -3000.0, -6000.0)


@pytest.mark.parametrize("size", STEPS_IN_TIME, ids=[f"{s:+g}rpm" for s in STEPS_IN_TIME])
def test_speed_steps_flagged_before_they_break_the_budget(size, rng):
    """An instantaneous speed step (implausible: no rotor changes speed by
    1,000 rpm in 1 µs) away from the detection limit: the property holds at
    200,000 and 50,000 rpm."""
    fault = faults.Fault("speed_step", 0.0, "both", size)
    for rpm in (200_000.0, 50_000.0):
        for case in _cases(fault, rpm, (0.0, *rng.uniform(0, 360, 2)), rng):
            _check(case)


STEPS_AT_LIMIT = (3500.0, 4000.0, 4500.0, 5000.0, -4500.0)


@pytest.mark.parametrize("size", STEPS_AT_LIMIT, ids=[f"{s:+g}rpm" for s in STEPS_AT_LIMIT])
def test_speed_steps_at_the_detection_limit(size, rng):
    """3,500-5,000 rpm at 200,000 rpm break the budget 18-27 samples after
    they start, when the best ramp fit stands only ~8.5 σ above the noise
    (0.2 % FS) against a floor of K₁ ≈ 6.9 σ: with the checks reading the
    newest residual, 4 of 720 cases of random angles and seeds (3,500-5,000
    rpm at 200,000 and 50,000 rpm) are flagged one sample after the budget
    broke, worst 0.505°, latency at most 26 (22 of 3,000 and 0.51° when the
    sums lagged a sample). The documented limit: every case flagged within 28
    samples, no valid output beyond 0.53°."""
    for case in _cases(faults.Fault("speed_step", 0.0, "both", size), 200_000.0, rng.uniform(0, 360, 4), rng):
        o = case.outcome
        assert o.armed and o.latency is not None and o.latency <= 28, case
        assert o.worst_unflagged_deg <= 0.53, case


@pytest.mark.parametrize("size", (4000.0, -4500.0))
def test_checks_read_the_newest_residual(size, rng):
    """The step and ramp checks decide on sums that include the sample being
    flagged: after a speed step the first invalid sample is the first whose
    statistic (``residual_ratio``, the largest check statistic over its
    threshold) exceeds 1, not one sample later. A sum that lagged by a
    sample let 4,000-4,500 rpm steps through one sample after the budget
    broke (22 of 3,000 edge cases in docs/kpi.md, then 3)."""
    for rpm in (200_000.0, 100_000.0, -150_000.0):
        k0 = 9000 + int(rng.integers(300))  # past convergence (8 revolutions and the settling) at 100,000 rpm
        traj = signals.constant_speed(1e6, 0.0095, rpm, theta0=float(rng.uniform(0, 2 * math.pi)))
        s, c, _ = faults.inject(traj, signals.REALISTIC, faults.Fault("speed_step", k0 / 1e6, "both", size),
                                seed=int(rng.integers(1 << 30)))
        res = chain.AngleChain(1e6).run(s, c)
        assert res.valid[k0 - 3000:k0].all(), rpm
        first = int(np.argmax(~res.valid[k0:]))
        crossing = int(np.argmax(res.residual_ratio[k0:] > 1.0))
        assert first == crossing and 0 < first <= 28, (rpm, first, crossing)


JUMPS = (0.30, 0.34, 0.36, 0.40, 0.50, -0.36)


@pytest.mark.parametrize("size", JUMPS, ids=[f"{s:+g}deg" for s in JUMPS])
def test_angle_jumps_near_the_budget(size, rng):
    """A jump J of the measured angle moves the output by up to 1.2·J (the
    observer's overshoot): 0.30-0.34° stay harmless or are flagged, 0.36° and
    more are flagged in time (0 of 1,080 cases failed in the sweep)."""
    fault = faults.Fault("angle_jump", 0.0, "both", size)
    for rpm in (200_000.0, 50_000.0):
        for case in _cases(fault, rpm, (90.0, *rng.uniform(0, 360, 2)), rng):
            _check(case)


# gain steps starting at (or within 5° of) the channel's zero crossing: where the property holds, and where the
# documented limit is (kpi.md, "Gain steps at the zero crossings"): a gain step g there moves the angle as a speed
# change of g·ω would and shows radially only as g·θ²; below ~10,000-20,000 rpm (where the long ramp check calls
# that change of speed implausible) the radial part is the only evidence and for 3-5 % it is too weak before the
# budget breaks (kpi.radial_snr_bound: 1-5 σ against K₁ ≈ 6.9)
GAIN_HOLDS = [(0.01, 5_000.0), (0.01, 30_000.0), (0.02, 1_000.0), (0.02, 5_000.0), (0.03, 20_000.0),
              (0.03, 30_000.0), (0.05, 20_000.0), (-0.05, 30_000.0)]
GAIN_LIMIT = [(0.02, 10_000.0), (0.03, 5_000.0), (0.03, 10_000.0), (0.05, 1_000.0), (0.05, 10_000.0),
              (-0.05, 5_000.0)]


def _gain_case(g, rpm, rng):
    channel = ("sin", "cos")[int(rng.integers(2))]
    crossing = (0.0 if channel == "sin" else 90.0) + 180.0 * int(rng.integers(2))
    phase = crossing if rpm < 5_000 else crossing + rng.uniform(-5.0, 5.0)  # 1,000 rpm: one (slow) case
    return faults.run_case(faults.Fault("gain_step", 0.0, channel, g), rpm, phase % 360.0,
                           seed=int(rng.integers(1 << 30)))


@pytest.mark.parametrize("g,rpm", GAIN_HOLDS, ids=[f"{g:+g}-{r:g}rpm" for g, r in GAIN_HOLDS])
def test_gain_steps_at_zero_crossings_flagged_in_time(g, rpm, rng):
    _check(_gain_case(g, rpm, rng))


@pytest.mark.parametrize("g,rpm", GAIN_LIMIT, ids=[f"{g:+g}-{r:g}rpm" for g, r in GAIN_LIMIT])
def test_gain_steps_at_zero_crossings_beyond_the_radial_limit(g, rpm, rng):
    """The documented limit, not the property: flagged before the rotor has
    turned 45° from the crossing, before the error reaches what the fault
    does at most (|g|/2 rad at 45°: 1.43° at 5 %)."""
    case = _gain_case(g, rpm, rng)
    o = case.outcome
    turn_45 = 45.0 / (rpm * 6.0) * 1e6  # samples at 1 MHz
    assert o.armed and o.latency is not None and o.latency <= turn_45, case
    assert o.worst_unflagged_deg < math.degrees(abs(g) / 2), case


@pytest.mark.parametrize("g,rpm", [(0.02, 1_000.0), (0.03, 5_000.0), (0.05, 20_000.0), (-0.04, 10_000.0)])
def test_radial_snr_bound_matches_theory(g, rpm):
    """For a small gain g the angle error is ≈ (g/2)·sin 2θ and the radial
    residual ≈ g·sin²θ ≈ g·θ²: the error reaches B_f at θ_h = asin(2B_f/g)/2,
    and a matched filter over the θ_h/(ωT) samples collects
    Σ r² ≈ g²·θ_h⁵/(5ωT), so SNR ≈ |g|·√(θ_h⁵/(5ωT))/σ (σ = 0.2 % FS / 0.8)."""
    b_f = math.radians(BUDGET_DEG - 0.10)
    theta_h = 0.5 * math.asin(2 * b_f / abs(g))
    w = rpm * 2 * math.pi / 60e6
    approx = abs(g) * math.sqrt(theta_h**5 / (5 * w)) / (0.002 / 0.8)
    assert abs(kpi.radial_snr_bound(g, rpm) / approx - 1) < 0.06


def _observe(kp, ki, x):
    """The observer's θ, ω and innovation for the measured angle ``x``, from
    its equations (θp = θ + ω, e = x - θp, θ = θp + kp·e, ω += ki·e), written
    here apart from the code under test."""
    n = x.size
    theta = np.empty(n)
    omega = np.empty(n)
    innov = np.empty(n)
    t = w = 0.0
    for k in range(n):
        e = x[k] - (t + w)
        t, w = t + w + kp * e, w + ki * e
        theta[k], omega[k], innov[k] = t, w, e
    return theta, omega, innov


def _residual(kp, ki, x, ratio, lag=dg.REFERENCE_LAG):
    """The reference checks' residual (x against the lag-samples-old state,
    extrapolated, less ratio × the innovation's slow mean before the sample)
    from sample ``lag`` on, and the innovation."""
    theta, omega, innov = _observe(kp, ki, x)
    mean = np.zeros(x.size)  # the innovation's slow mean before each sample
    a = 1.0 / dg.LAG_MEMORY
    for k in range(1, x.size):
        mean[k] = mean[k - 1] + a * (innov[k - 1] - mean[k - 1])
    d = x[lag:] - (theta + lag * omega)[:-lag] - ratio * mean[lag:]
    return d, innov


def _ramp_fit(d, w_len):
    """ρ̂·W of a least-squares ramp through 0 over each W-sample window of d (valid part)."""
    m = np.arange(1, w_len + 1, dtype=float)
    return np.convolve(d, (m * w_len / np.sum(m * m))[::-1], "valid")


@pytest.mark.parametrize("rpm", (1_000.0, 5_000.0, 10_000.0))
def test_cannot_vouch_window(rpm):
    """The window past each zero crossing in which an undetectable gain step
    may already be beyond the fault allocation (docs/kpi.md, "What remains"):
    against its small-angle closed form (5ωT·(K₁σ/B_f)²)^(1/3) (error g·θ,
    radial energy g²·θ⁵/(5ωT)), and at its edge the gain whose error reaches
    B_f there has a radial SNR bound of K₁ (kpi.radial_snr_bound)."""
    k1 = chain.AngleChain(1e6).thresholds.radial_k
    sigma = 0.002 / 0.8
    b_f = math.radians(BUDGET_DEG - 0.10)
    w = rpm * 2 * math.pi / 60e6
    edge = kpi.undetectable_window_deg(rpm)
    assert abs(math.radians(edge) / (5 * w * (k1 * sigma / b_f) ** 2) ** (1 / 3) - 1) < 0.05
    phi = math.radians(edge)
    gain = 2 * b_f / math.sin(2 * phi)  # (g/2)·sin 2θ = B_f at the edge
    assert abs(kpi.radial_snr_bound(gain, rpm) / k1 - 1) < 0.1
    assert 4 * edge / 360 > 0.05  # a flag there would cover more than 5 % of every clean record


def test_noise_floors_match_a_simulation(rng):
    """The step and ramp checks' σ gains (from impulse responses through the
    loop) against the standard deviation of the same statistics in a
    simulation written here from the observer's equations (white angle noise,
    200,000 samples), and the observer's steady lag under an acceleration α
    against type-II loop theory (α/ωn², Gardner, Phaselock Techniques)."""
    ch = chain.AngleChain(1e6)
    th = ch.thresholds
    kp, ki, lag = ch.kp / 2**24, ch.ki / 2**40, dg.REFERENCE_LAG
    n = 200_000
    t = np.arange(n, dtype=float)
    wn_t = 2 * math.pi * ch.bandwidth_hz / 1e6
    _, innov = _residual(kp, ki, 1e-9 * 0.5 * t * t, 0.0)  # steady acceleration 1e-9 rad/sample²
    assert abs(innov[-1] / 1e-9 * wn_t**2 - 1) < 0.01
    d, _ = _residual(kp, ki, rng.standard_normal(n), th.lag_ratio)
    d = d[10_000:]  # past the loop's start
    box = np.convolve(d, np.full(lag, 1.0 / lag), "valid")
    assert abs(np.std(box) / th.step_gain - 1) < 0.05
    for w_len, gain in zip(th.ramp_windows, th.ramp_gains, strict=True):
        assert abs(np.std(_ramp_fit(d, w_len)) / gain - 1) < 0.05


@pytest.mark.parametrize("step_rpm", (4000.0, -4500.0, 8000.0))
def test_speed_step_margin_against_loop_theory(step_rpm):
    """The speed-step bound of docs/kpi.md ("What remains"). Its deadline
    against the type-II loop's phase error after a frequency step Δω
    (Gardner, Phaselock Techniques, ch. 2: e(t) = (Δω/ωn)·e^(-ζωn t)·
    sin(ωn√(1-ζ²)·t)/√(1-ζ²), ζ = 1/√2): the first sample beyond the budget
    less the healthy error, at least the 20-sample latency, within a sample.
    The ramp fits' mean response (:func:`diagnostics.ramp_fits`) against the
    observer simulated here, and the margin's σ against that response over
    the σ gain."""
    ch = chain.AngleChain(1e6)
    th = ch.thresholds
    kp, ki = ch.kp / 2**24, ch.ki / 2**40
    wn = 2 * math.pi * ch.bandwidth_hz
    zeta = 1 / math.sqrt(2)
    dw = abs(step_rpm) * 2 * math.pi / 60
    for healthy in (0.0, 0.03, 0.06):
        m = kpi.speed_step_margin(step_rpm, healthy)
        t = np.arange(1, 200) / 1e6
        e = dw / wn * np.exp(-zeta * wn * t) * np.sin(wn * math.sqrt(1 - zeta**2) * t) / math.sqrt(1 - zeta**2)
        first = int(np.argmax(e > math.radians(BUDGET_DEG - healthy))) + 1
        assert abs(m.deadline - max(first, LATENCY)) <= 1, (healthy, m, first)
        assert 0.0 <= m.miss <= 1.0
    # the fits' mean response to a ramp of the measured angle, against the simulation
    n, start = 400, 100
    x = 1e-4 * np.maximum(np.arange(n) - start, 0.0)
    d, _ = _residual(kp, ki, x, th.lag_ratio)
    fits = dg.ramp_fits(kp, ki, x, th.lag_ratio)
    for row, w_len in zip(fits, th.ramp_windows, strict=True):
        ours = _ramp_fit(d, w_len)  # ends at samples lag + w_len - 1 ..
        assert np.allclose(row[dg.REFERENCE_LAG + w_len - 1:], ours, rtol=1e-6, atol=1e-12)
    # a step far beyond the limit is flagged long before the budget breaks; one at the limit is not by much
    assert kpi.speed_step_margin(10_000.0).miss < 1e-6
    assert kpi.speed_step_margin(4000.0, 0.06).miss > 1e-3


def test_plausible_acceleration_is_not_flagged(rng):
    """An acceleration that starts once the chain has converged is the
    rotor's, not a fault, up to what the checks call implausible (~1.7e6
    rpm/s for an acceleration that starts as a step, `python -m
    sensor_dsp.kpi`): the KPI's fastest ramp (1.25e6 rpm/s) starting as a step
    at 100,000 rpm raises no invalid flag (0 of 30 seeds, at most 0.84 of a
    threshold); 1e7 rpm/s does."""
    for acc, expect in ((1.25e6, False), (1e7, True)):
        traj = signals.profile(1e6, [0.0, 0.010, 0.020], [100_000.0, 100_000.0, 100_000.0 + acc * 0.010])
        res = chain.AngleChain(1e6).run(*signals.coil_signals(traj, signals.REALISTIC, seed=int(rng.integers(1 << 30))))
        settled = (res.flags & (chain.UNCALIBRATED | chain.SETTLING)) == 0
        assert settled[9000:10_000].all()
        assert bool(np.any(~res.valid[settled])) == expect, acc
