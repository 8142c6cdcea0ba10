import math

import numpy as np
import pytest

from sensor_dsp import SensorError, chain, cordic, kpi, signals


@pytest.mark.parametrize("n", [8, 12, 16])
def test_cordic_worst_case_error_matches_theory(n):
    """Max |error| against numpy.arctan2 over 200k vectors of radius ≥ half
    scale: at least the residual atan(2^-(n-1)) is reached, and no more than
    that plus half an output LSB plus the internal truncation (n shifts of
    2^-G of the radius) is ever seen."""
    rng = np.random.default_rng(5)
    r = rng.uniform(0.5, 1.0, 200_000) * 32767
    th = rng.uniform(-np.pi, np.pi, r.size)
    x = np.rint(r * np.cos(th)).astype(np.int64)
    y = np.rint(r * np.sin(th)).astype(np.int64)
    ang, mag = cordic.atan2_fixed(y, x, in_width=16, out_width=16, iterations=n)
    err = (ang * 360 / 65536 - np.degrees(np.arctan2(y, x)) + 180) % 360 - 180
    theory = cordic.theory_max_error_deg(n)
    p = cordic.params(16, 16, n)
    lsb = 360 / 65536
    trunc = math.degrees(n * 2.0**-p.guard / (0.5 * 32767))
    worst, bound = float(np.max(np.abs(err))), theory + lsb / 2 + trunc
    print(f"CORDIC {n} iterations: worst error {worst:.4f} deg (theory {theory:.4f}, bound {bound:.4f})")
    assert theory * 0.9 <= worst <= bound
    assert np.max(np.abs(mag - np.hypot(x, y))) <= 2.0


def test_cordic_axes_and_zero():
    ang, mag = cordic.atan2_fixed(np.array([0, 1000, 0, -1000, 0]), np.array([1000, 0, -1000, 0, 0]))
    assert list(ang) == [0, 16384, 32768, 49152, 0]
    assert list(mag) == [1000, 1000, 1000, 1000, 0]


@pytest.mark.parametrize("bad", [dict(y=np.array([1.5]), x=np.array([1])),
                                 dict(y=np.array([40000]), x=np.array([0])),
                                 dict(y=np.array([1]), x=np.array([1]), iterations=0)])
def test_cordic_bad_input(bad):
    with pytest.raises(SensorError):
        cordic.atan2_fixed(**bad)


@pytest.mark.parametrize("rpm,aim", [(200_000, 0.1), (300_000, 0.1), (-200_000, 0.1)])
def test_kpi_after_calibration(rpm, aim):
    # 0.5 % mismatch, offsets +1.0 / -0.8 % FS, 0.3° phase error, 0.2 % noise
    err, _, _ = kpi.measure(rpm)
    assert np.max(np.abs(err)) <= kpi.LIMIT_DEG
    assert np.max(np.abs(err)) <= aim


def test_each_part_matters():
    assert np.max(np.abs(kpi.measure(200_000, calibration="off")[0])) > kpi.LIMIT_DEG
    delayed = kpi.REALISTIC._replace(group_delay_s=1.5e-6, skew_s=0.2e-6)
    assert np.max(np.abs(kpi.measure(200_000, delayed)[0])) > kpi.LIMIT_DEG
    ok = np.max(np.abs(kpi.measure(200_000, delayed, group_delay_s=1.5e-6, skew_s=0.2e-6)[0]))
    assert ok <= 0.1
    # the observer's filtering: a wide loop lets the noise through
    wide = np.max(np.abs(kpi.measure(200_000, bandwidth_hz=50_000)[0]))
    assert wide > 3 * np.max(np.abs(kpi.measure(200_000)[0]))


def test_temperature_drift_is_tracked():
    for t in (-40.0, 150.0):
        err, _, _ = kpi.measure(200_000, kpi.REALISTIC._replace(temperature_c=t, **kpi.DRIFT))
        assert np.max(np.abs(err)) <= 0.1


def test_calibration_converges_within_ten_revolutions():
    imp = kpi.REALISTIC._replace(mismatch=0.004, offset_sin=0.02, offset_cos=-0.015, phase_deg=0.5)
    traj = signals.constant_speed(1e6, 10 * 60 / 100_000, 100_000)
    s, c = signals.coil_signals(traj, imp, seed=3)
    r = chain.AngleChain(fs_hz=1e6).run(s, c)
    assert abs(r.mismatch[-1] - 0.004) < 0.0005
    assert abs(r.offset_sin[-1] - 0.02) < 0.001 and abs(r.offset_cos[-1] + 0.015) < 0.001
    assert abs(r.phase_deg[-1] - 0.5) < 0.05
    assert not r.flags[-1] & chain.UNCALIBRATED


def test_calibration_under_acceleration():
    """A turn of an accelerating rotor holds more samples at its slow start:
    weighting the moments by the speed keeps the offsets unbiased (0.31°
    with uniform weights on this ramp)."""
    err, _, res = kpi.measure(None, traj=signals.ramp(1e6, 0.2, 50_000, 300_000))
    assert np.max(np.abs(err)) <= 0.2
    assert abs(res.offset_sin[-1] - 0.010) < 5e-4 and abs(res.offset_cos[-1] + 0.008) < 5e-4


def test_flags_split_into_invalid_and_advisory():
    names = set(chain.FLAG_NAMES)
    assert chain.INVALID_MASK | chain.ADVISORY_MASK == sum(names)
    assert chain.INVALID_MASK & chain.ADVISORY_MASK == 0
    traj = signals.constant_speed(1e6, 0.01, 100_000)
    s, c = signals.coil_signals(traj, kpi.REALISTIC._replace(mismatch=0.01), seed=5)
    r = chain.AngleChain(fs_hz=1e6).run(s, c)
    assert np.array_equal(r.valid, (r.flags & chain.INVALID_MASK) == 0)
    assert r.flags[-1] & chain.MISMATCH and r.valid[-1]  # advisory only: the angle is usable
    assert not r.valid[0] and r.flags[0] & chain.UNCALIBRATED  # before convergence: unusable


def test_mismatch_flag():
    for m, expect in ((0.01, True), (0.002, False)):
        traj = signals.constant_speed(1e6, 10 * 60 / 100_000, 100_000)
        s, c = signals.coil_signals(traj, signals.Impairments(mismatch=m, noise=0.001), seed=4)
        flags = chain.AngleChain(fs_hz=1e6).run(s, c).flags
        assert bool(flags[-1000:].min() & chain.MISMATCH) == expect


def test_bad_samples_raise_flags_not_errors():
    traj = signals.constant_speed(1e6, 0.003, 100_000)
    s, c = signals.coil_signals(traj, kpi.REALISTIC, seed=1)
    s[2000:2010] = np.nan
    c[2100] = np.inf
    r = chain.AngleChain(fs_hz=1e6).run(s, c)
    assert np.all(r.flags[2000:2010] & chain.INVALID_INPUT) and r.flags[2100] & chain.INVALID_INPUT
    assert np.all(np.isfinite(r.angle_deg)) and np.all((r.angle_deg >= 0) & (r.angle_deg < 360))
    # coasting through the gap keeps the angle: the error right after it is small
    err = chain.angle_error_deg(r.angle_deg, traj.theta)
    assert np.max(np.abs(err[2010:2200])) < 0.5
    # zero amplitude: loss of signal, and the output does not jump to the noise's angle
    z = chain.AngleChain(fs_hz=1e6).run(np.zeros(500), np.zeros(500))
    assert np.all(z.flags & chain.LOSS_OF_SIGNAL)
    # clipping: coil fault
    f = chain.AngleChain(fs_hz=1e6).run(np.full(100, 1.5), np.zeros(100))
    assert np.all(f.flags & chain.COIL_FAULT)


@pytest.mark.parametrize("args", [(np.zeros(3), np.zeros(4)), (np.zeros((2, 2)), np.zeros((2, 2))),
                                  ("abc", np.zeros(3))])
def test_bad_arrays_are_refused(args):
    with pytest.raises(SensorError):
        chain.AngleChain(fs_hz=1e6).run(*args)


@pytest.mark.parametrize("opts", [dict(fs_hz=0), dict(fs_hz=float("nan")), dict(fs_hz=1e6, calibration="x"),
                                  dict(fs_hz=1e6, calibration="fixed"), dict(fs_hz=1e6, bogus=1),
                                  dict(fs_hz=1e6, skew_s=2e-6)])
def test_bad_options_are_refused(opts):
    with pytest.raises(SensorError):
        chain.AngleChain(**opts)


def test_empty_record():
    r = chain.AngleChain(fs_hz=1e6).run(np.zeros(0), np.zeros(0))
    assert r.angle_deg.size == 0


@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["signal-model", "shifted-coil"])
def test_third_harmonic_is_estimated_and_compensated(sign):
    """A 3rd harmonic h on the sine coil and ±h on the cosine coil: with
    z = cos + i·sin = e^{iθ} + a·e^{3iθ} + b·e^{-3iθ}, a = (h_c + h_s)/2 and
    b = (h_c - h_s)/2, so the angle error arg(1 + a·e^{2iθ} + b·e^{-4iθ}) is
    h·sin 2θ for the signal model's h_c = h_s and h·sin 4θ for a coil pattern
    shifted by 90° (h_c = -h_s). The theory is checked on the signals with
    numpy's arctan2; the chain's estimate is checked against the h put in, and
    its angle against the ±0.45° budget's healthy share (the uncorrected
    ripple alone is h = 0.115°, in the observer's passband at 20,000 rpm)."""
    h, rpm = 0.002, 20_000
    traj = signals.constant_speed(1e6, 22 * 60 / rpm, rpm, theta0=0.3)
    imp = kpi.REALISTIC
    s, c = signals.coil_signals(traj, imp, seed=7)
    th = traj.theta
    a_s, a_c = imp.amplitude * (1 + imp.mismatch / 2), imp.amplitude * (1 - imp.mismatch / 2)
    s = s + a_s * h * np.sin(3 * th)
    c = c + sign * a_c * h * np.cos(3 * th)
    # theory, on noise-free signals: the error's harmonic at 2θ (same sign) or 4θ (opposite signs) has amplitude h
    ideal = np.arctan2(np.sin(th) + h * np.sin(3 * th), np.cos(th) + sign * h * np.cos(3 * th))
    e = np.angle(np.exp(1j * (ideal - th)))
    k = 2 if sign > 0 else 4
    assert abs(2 * np.mean(e * np.sin(k * th)) - h) < 0.02 * h
    assert abs(2 * np.mean(e * np.sin((6 - k) * th))) < 0.02 * h
    res = chain.AngleChain(1e6).run(s, c)
    a_true, b_true = (h if sign > 0 else 0.0), (0.0 if sign > 0 else -h)
    assert abs(res.harmonic_a[-1] - a_true) < 0.1 * h and abs(res.harmonic_b[-1] - b_true) < 0.1 * h
    keep = (th - th[0]) / (2 * np.pi) >= 10
    err = chain.angle_error_deg(res.angle_deg, th)[keep]
    assert np.max(np.abs(err)) <= 0.08  # 0.070 with the harmonic, 0.071 without it (this speed and seed)


def test_no_harmonic_correction_without_adaptive_calibration():
    """Fixed coefficients (the firmware's golden path) carry no harmonic: the
    estimates stay 0, so that path is untouched."""
    traj = signals.constant_speed(1e6, 0.01, 100_000)
    s, c = signals.coil_signals(traj, kpi.REALISTIC._replace(h3=0.002), seed=2)
    r = chain.AngleChain(1e6, calibration="fixed", coefficients=(0.01, -0.008, 0.802, 0.798, 0.3)).run(s, c)
    assert not np.any(r.harmonic_a) and not np.any(r.harmonic_b)
