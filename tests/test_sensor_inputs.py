"""Typed errors on every public input of ``sensor_dsp`` (issue 10).

Every public function, class and method of the package's modules is swept
with :data:`hostile.HOSTILE` (wrong types, NaN/inf, bools, huge and 5,000-deep
values, wrong shapes): each call must return or raise
:class:`sensor_dsp.SensorError`, nothing else. For the arguments with a plain
type, every hostile value of another type must be refused (``4.0`` is not a
bit width, ``True`` is not a sample rate). A coverage test fails when a module
gains a public callable without an entry here or a justified exclusion; the
issue's cases are refused with the argument's name in the message.
"""

import pkgutil

import numpy as np
import pytest
from hostile import HOSTILE, assert_typed, sweep
from typed_inputs import ARRAY, FLAG, INT, NONE, NUMBERS, OPT_INT, PAIR, TEXT, check_entry, public_api, swept_names

import sensor_dsp
from sensor_dsp import SensorError, chain, cordic, diagnostics, errors, faults, kpi, signals

REAL = ("real number", lambda v: INT[1](v) or (isinstance(v, (float, np.floating))))
OPT_REAL = ("real or None", lambda v: v is None or REAL[1](v))
INTS = ("int or array", lambda v: INT[1](v) or ARRAY[1](v))
OPT_PAIR = ("list, tuple or None", lambda v: v is None or PAIR[1](v))
OPT_NONE = ("None", lambda v: v is None)

TRAJ = signals.constant_speed(1e6, 1e-4, 100_000.0)
FAULT = faults.Fault("swap", 1e-5)
RESULT = chain.AngleChain(1e6).run(*signals.coil_signals(TRAJ, signals.REALISTIC, seed=1))
CHAIN = chain.AngleChain(1e6)
ROW = kpi.FaultRow(FAULT, [])
LOOP = dict(kp=0.0178, ki=1.58e-4, comp_samples=0.0)
LOOP_KINDS = dict(kp=REAL, ki=REAL, comp_samples=REAL)

# module: [(label, callable, good keyword arguments, {argument: accepted type})]
ENTRIES = {
    chain: [
        ("AngleChain", chain.AngleChain,
         dict(fs_hz=1e6, adc_bits=14, cordic_bits=16, angle_bits=18, iterations=18, calibration="adaptive",
              bandwidth_hz=2000.0, group_delay_s=0.0, skew_s=0.0, delay_compensation=True),
         dict(fs_hz=REAL, adc_bits=INT, cordic_bits=INT, angle_bits=INT, iterations=INT, calibration=TEXT,
              bandwidth_hz=OPT_REAL, group_delay_s=REAL, skew_s=REAL, delay_compensation=FLAG)),
        ("AngleChain(fixed)", chain.AngleChain,
         dict(fs_hz=1e6, calibration="fixed", coefficients=(0.0, 0.0, 0.8, 0.8, 0.0)),
         dict(fs_hz=REAL, calibration=TEXT, coefficients=PAIR)),
        ("AngleChain.run", CHAIN.run, dict(sin=np.zeros(32), cos=np.zeros(32)), dict(sin=ARRAY, cos=ARRAY)),
        ("describe", chain.describe, dict(flags=5), dict(flags=INT)),
        ("angle_error_deg", chain.angle_error_deg, dict(measured_deg=np.zeros(3), true_rad=np.zeros(3)),
         dict(measured_deg=NUMBERS, true_rad=NUMBERS)),
    ],
    cordic: [
        ("params", cordic.params, dict(in_width=16, out_width=16, iterations=16),
         dict(in_width=INT, out_width=INT, iterations=INT)),
        ("atan2_fixed", cordic.atan2_fixed,
         dict(y=np.array([1, 2]), x=np.array([3, 4]), in_width=16, out_width=16, iterations=16),
         dict(y=INTS, x=INTS, in_width=INT, out_width=INT, iterations=INT)),
        ("theory_max_error_deg", cordic.theory_max_error_deg, dict(iterations=8), dict(iterations=INT)),
    ],
    signals: [
        ("constant_speed", signals.constant_speed, dict(fs_hz=1e6, duration_s=1e-4, rpm=1000.0, theta0=0.0),
         dict(fs_hz=REAL, duration_s=REAL, rpm=REAL, theta0=REAL)),
        ("ramp", signals.ramp, dict(fs_hz=1e6, duration_s=1e-4, rpm_start=1000.0, rpm_end=2000.0, theta0=0.0),
         dict(fs_hz=REAL, duration_s=REAL, rpm_start=REAL, rpm_end=REAL, theta0=REAL)),
        ("profile", signals.profile, dict(fs_hz=1e6, times_s=[0.0, 1e-4], rpms=[0.0, 1000.0], theta0=0.0),
         dict(fs_hz=REAL, times_s=ARRAY, rpms=ARRAY, theta0=REAL)),
        ("coil_signals", signals.coil_signals, dict(traj=TRAJ, imp=signals.REALISTIC, seed=1),
         dict(traj=NONE, imp=NONE, seed=OPT_INT)),
        ("check_impairments", signals.check_impairments, dict(imp=signals.REALISTIC, n=10), dict(imp=NONE, n=INT)),
        ("check_trajectory", signals.check_trajectory, dict(traj=TRAJ), dict(traj=NONE)),
        ("check_seed", signals.check_seed, dict(seed=1), dict(seed=OPT_INT)),
    ],
    faults: [
        ("Fault", faults.Fault, dict(kind="offset_step", start_s=0.0, channel="sin", size=0.01),
         dict(kind=TEXT, start_s=REAL, channel=TEXT, size=REAL)),
        ("Fault.describe", FAULT.describe, {}, {}),
        ("inject", faults.inject, dict(traj=TRAJ, imp=signals.REALISTIC, fault=FAULT, seed=1),
         dict(traj=NONE, imp=NONE, fault=NONE, seed=OPT_INT)),
        ("assess", faults.assess, dict(result=RESULT, true_theta=TRAJ.theta, start=10, latency=20),
         dict(result=NONE, true_theta=ARRAY, start=INT, latency=INT)),
        ("run_case", faults.run_case, dict(fault=FAULT, rpm=300_000.0, phase_deg=0.0, imp=signals.REALISTIC,
                                           fs_hz=1e6, after_s=1e-4, seed=1),
         dict(fault=NONE, rpm=REAL, phase_deg=REAL, imp=NONE, fs_hz=REAL, after_s=OPT_REAL, seed=OPT_INT)),
        ("standard", faults.standard, {}, {}),
    ],
    kpi: [
        ("measure", kpi.measure, dict(rpm=300_000.0, imp=signals.REALISTIC, seed=1, fs_hz=1e6, traj=None),
         dict(rpm=REAL, imp=NONE, seed=INT, fs_hz=REAL, traj=OPT_NONE)),
        ("fault_rows", kpi.fault_rows, dict(speeds=(300_000.0,), phases=(0.0,), fault_set=[FAULT]),
         dict(speeds=ARRAY, phases=ARRAY, fault_set=OPT_PAIR)),
        ("smallest_harmful", kpi.smallest_harmful,
         dict(kind="offset_step", channel="sin", rpm=300_000.0, phases=(0.0,), lo=0.0, hi=0.05, steps=1),
         dict(kind=TEXT, channel=TEXT, rpm=REAL, phases=ARRAY, lo=REAL, hi=REAL, steps=INT)),
        ("FaultRow.latency", ROW.latency, dict(harmful_only=True), dict(harmful_only=FLAG)),
        ("edge_faults", kpi.edge_faults, {}, {}),
        ("zero_crossing_phases", kpi.zero_crossing_phases, dict(channel="cos"), dict(channel=TEXT)),
        ("radial_snr_bound", kpi.radial_snr_bound, dict(gain=0.05, rpm=5000.0, noise=0.0025),
         dict(gain=REAL, rpm=REAL, noise=REAL)),
        ("acceleration_limit", kpi.acceleration_limit, dict(rpm=100_000.0, seeds=(1,), steps=1),
         dict(rpm=REAL, seeds=ARRAY, steps=INT)),
        ("undetectable_window_deg", kpi.undetectable_window_deg, dict(rpm=10_000.0, noise=0.0025),
         dict(rpm=REAL, noise=REAL)),
        ("speed_step_margin", kpi.speed_step_margin, dict(step_rpm=4000.0, healthy_deg=0.03, noise=0.0025),
         dict(step_rpm=REAL, healthy_deg=REAL, noise=REAL)),
    ],
    diagnostics: [
        ("observer_response", diagnostics.observer_response, dict(**LOOP, n=100), dict(**LOOP_KINDS, n=INT)),
        ("thresholds", diagnostics.thresholds,
         dict(**LOOP, zeta_wn_t=0.0089, fs_hz=1e6, iterations=18, angle_bits=18),
         dict(**LOOP_KINDS, zeta_wn_t=REAL, fs_hz=REAL, iterations=INT, angle_bits=INT)),
        ("ramp_weights", diagnostics.ramp_weights, dict(window=16), dict(window=INT)),
        ("ramp_fits", diagnostics.ramp_fits, dict(kp=0.0178, ki=1.58e-4, x=np.arange(64.0), ratio=1.6),
         dict(kp=REAL, ki=REAL, x=ARRAY, ratio=REAL)),
    ],
}

# Not swept, and why: plain records (NamedTuple: no behaviour of their own; every function that takes one checks
# its fields: AngleChain its options, coil_signals / inject the Trajectory and Impairments, assess the
# ChainResult), the error type itself, and the CLI (tested through its exit status and one-line message in
# test_sensor_faults.py). kpi.conditions is swept apart (quick=False would run the whole KPI).
EXCLUDED = {
    chain: {"ChainConfig", "ChainResult"},
    cordic: {"CordicParams"},
    signals: {"Trajectory", "Impairments"},
    faults: {"Outcome", "Case"},
    kpi: {"Row", "FaultRow", "StepMargin", "main"},
    diagnostics: {"Thresholds"},
    errors: {"SensorError"},
}
APART = {kpi: {"conditions"}}
# modules of sensor_dsp written and swept by other work: sensor_dsp.health is the golden model of the host's
# firmware health monitor (firmware_models/analytics/sensor_health.py), sensor_dsp.kpis the package's entry in
# the project's KPI report (kpi.registry); each has its own tests
OTHER_MODULES = {"health", "kpis"}

ALL = [(m.__name__, e) for m, es in ENTRIES.items() for e in es]


@pytest.mark.parametrize("module,entry", ALL, ids=[f"{m}.{e[0]}" for m, e in ALL])
def test_hostile_values_raise_only_sensor_error(module, entry):
    """Every hostile value in every argument: a result or SensorError, never
    another exception; each argument refuses every value of another type."""
    tried, refused = check_entry(entry, SensorError)
    print(f"{module}.{entry[0]}: tried {tried}, refused {refused}")


def test_kpi_conditions_hostile_quick():
    """``quick`` takes a bool only; False (the whole KPI, minutes) is not run here."""
    assert sweep(kpi.conditions, dict(quick=True), SensorError, skip=dict(quick=(False,))) > 0
    wrong = tuple(v for v in HOSTILE if not FLAG[1](v))
    assert sweep(kpi.conditions, dict(quick=True), SensorError, values=wrong) == len(wrong)


def test_every_public_callable_is_swept():
    """public_callables minus the justified exclusions, plus every public
    method of every public class, is exactly the swept set."""
    for module in [*ENTRIES, errors]:
        swept = swept_names(ENTRIES.get(module, [])) | APART.get(module, set())
        required = public_api(module, EXCLUDED.get(module, ()))
        for name in EXCLUDED.get(module, ()):  # an excluded record's own methods are still swept
            obj = getattr(module, name)
            if isinstance(obj, type) and not issubclass(obj, BaseException):
                required |= {m for m in public_api(module) if m.startswith(f"{name}.")}
        assert swept == required, f"{module.__name__}: not swept {required - swept}, stale {swept - required}"


def test_every_module_is_covered():
    names = {m.name for m in pkgutil.iter_modules(sensor_dsp.__path__)}
    covered = {m.__name__.removeprefix("sensor_dsp.") for m in [*ENTRIES, errors]}
    assert names == covered | (OTHER_MODULES & names), names ^ covered


# ---- the cases of issue 10 and other known-bad calls: refused, naming the argument ----

@pytest.mark.parametrize("arg,call", [
    ("group_delay_s", lambda: chain.AngleChain(1e6, group_delay_s=float("nan"))),
    ("group_delay_s", lambda: chain.AngleChain(1e6, group_delay_s=float("inf"))),
    ("skew_s", lambda: chain.AngleChain(1e6, skew_s=float("inf"))),
    ("adc_bits", lambda: chain.AngleChain(1e6, adc_bits=14.0)),
    ("adc_bits", lambda: chain.AngleChain(1e6, adc_bits="14")),
    ("iterations", lambda: chain.AngleChain(1e6, iterations=True)),
    ("coefficients", lambda: chain.AngleChain(1e6, calibration="fixed", coefficients=(0, 0, 0.8, float("nan"), 0))),
    ("coefficients", lambda: chain.AngleChain(1e6, calibration="fixed", coefficients=(0, 0, 0, 0.8, 0))),
    ("coefficients", lambda: chain.AngleChain(1e6, calibration="fixed", coefficients=(0, 0, 0.8, 0.8, 90))),
    ("sin", lambda: CHAIN.run(["a", "b"], [0.0, 0.0])),
    ("sin", lambda: CHAIN.run(np.zeros((2, 2)), np.zeros(4))),
    ("cos", lambda: CHAIN.run(np.zeros(2), np.array([1 + 1j, 0]))),
    ("lengths differ", lambda: CHAIN.run(np.zeros(3), np.zeros(4))),
    ("broadcast", lambda: cordic.atan2_fixed(np.zeros(3, int), np.zeros(4, int))),
    ("y", lambda: cordic.atan2_fixed(np.array([True]), np.array([1]))),
    ("x", lambda: cordic.atan2_fixed(np.array([1]), np.array([2**70]))),
    ("in_width", lambda: cordic.atan2_fixed(np.array([1]), np.array([1]), in_width=16.0)),
    ("rpm", lambda: signals.constant_speed(1e6, 1e-3, "100")),
    ("fs_hz", lambda: signals.constant_speed(True, 1e-3, 100.0)),
    ("imp.noise", lambda: signals.coil_signals(TRAJ, signals.REALISTIC._replace(noise="0.1"))),
    ("imp.adc_bits", lambda: signals.coil_signals(TRAJ, signals.REALISTIC._replace(adc_bits=12.0))),
    ("imp.temperature_c", lambda: signals.coil_signals(TRAJ, signals.REALISTIC._replace(temperature_c=[1.0, 2.0]))),
    ("seed", lambda: signals.coil_signals(TRAJ, seed=-1)),
    ("times_s", lambda: signals.profile(1e6, [0.0, 0.0], [1.0, 2.0])),
    ("kind", lambda: faults.Fault("melt", 0.0)),
    ("channel", lambda: faults.Fault("offset_step", 0.0, "both", 0.1)),
    ("size", lambda: faults.Fault("amplitude_loss", 0.0, "both", 1.5)),
    ("start_s", lambda: faults.inject(TRAJ, signals.REALISTIC, faults.Fault("swap", 1.0))),
    ("rpm", lambda: kpi.measure(0)),
    ("quick", lambda: kpi.conditions(1)),
    ("flags", lambda: chain.describe(1.0)),
])
def test_known_bad_calls_name_the_argument(arg, call):
    with pytest.raises(SensorError, match=arg):
        call()


def test_nan_samples_are_flags_not_errors():
    """Bad *samples* are data: NaN and inf raise INVALID_INPUT, not an error."""
    r = CHAIN.run(np.array([np.nan, 0.5, np.inf]), np.array([0.5, -np.inf, 0.5]))
    assert np.all(r.flags & chain.INVALID_INPUT) and not r.valid.any()
    assert assert_typed(lambda: CHAIN.run([0.1, 0.2], [0.3, 0.4]), SensorError) is False
