"""``python -m sensor_dsp.kpi``: the angle-accuracy KPI of chip B (SPEC B4-B6).

Every condition simulates the coil signals (:mod:`sensor_dsp.signals`) at the
chain rate, runs :class:`sensor_dsp.chain.AngleChain`, skips the first 10
revolutions (the calibration's convergence budget) and reports the maximum
|angle error| over at least 10 further revolutions — every angle of the turn
many times. A row passes when that maximum is within ±0.45°.

Unless a row says otherwise the impairments are the "realistic" set: 0.5 %
gain mismatch, offsets +1.0 % / -0.8 % of full scale, 0.3° orthogonality
error, noise σ = 0.2 % of full scale per channel, 14-bit ADC, 25 °C; the
chain runs with its defaults. Temperature rows add gain drift of 150 / 100
ppm/K (sin / cos: the mismatch drifts 50 ppm/K) and offset drift of +3e-5 /
-2e-5 full scale per K. Ablation rows switch one part of the chain off to
show that it matters.
"""

import argparse
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np

from sensor_dsp import chain, signals

LIMIT_DEG = 0.45
FS_HZ = 1e6
SKIP_REVS = 10
MEASURE_REVS = 12
REALISTIC = signals.Impairments(mismatch=0.005, offset_sin=0.010, offset_cos=-0.008, phase_deg=0.3,
                                noise=0.002, adc_bits=None)
DRIFT = dict(gain_tc_sin_ppm=150.0, gain_tc_cos_ppm=100.0, offset_tc_sin=3e-5, offset_tc_cos=-2e-5)


class Row(NamedTuple):
    group: str
    name: str
    max_err_deg: float
    rms_err_deg: float
    samples: int

    @property
    def passed(self) -> bool:
        return self.max_err_deg <= LIMIT_DEG


def measure(rpm, imp=REALISTIC, *, seed=1, fs_hz=FS_HZ, traj=None, **chain_options):
    """(errors after convergence in degrees, true angles, result) for one condition."""
    if traj is None:
        revs = SKIP_REVS + MEASURE_REVS
        traj = signals.constant_speed(fs_hz, revs * 60.0 / abs(rpm), rpm, theta0=0.3)
    s, c = signals.coil_signals(traj, imp, seed=seed)
    res = chain.AngleChain(fs_hz=fs_hz, **chain_options).run(s, c)
    turns = np.abs(traj.theta - traj.theta[0]) / (2 * np.pi)
    keep = turns >= SKIP_REVS
    err = chain.angle_error_deg(res.angle_deg, traj.theta)
    return err[keep], traj.theta[keep], res


def _row(group, name, err):
    return Row(group, name, float(np.max(np.abs(err))), float(np.sqrt(np.mean(err**2))), err.size)


def static_row(imp=REALISTIC):
    """0 rpm: calibration learned while turning (factory), then 72 fixed angles."""
    _, _, res = measure(20_000, imp)
    coef = (res.offset_sin[-1], res.offset_cos[-1],
            0.8 * (1 + res.mismatch[-1] / 2), 0.8 * (1 - res.mismatch[-1] / 2), res.phase_deg[-1])
    errs = []
    n, settle = 5000, 3000  # the observer settles within 3 ms of power-up
    for k, th in enumerate(np.linspace(0, 2 * np.pi, 72, endpoint=False)):
        traj = signals.Trajectory(np.arange(n) / FS_HZ, np.full(n, th), np.zeros(n))
        s, c = signals.coil_signals(traj, imp, seed=100 + k)
        r = chain.AngleChain(fs_hz=FS_HZ, calibration="fixed", coefficients=coef).run(s, c)
        errs.append(chain.angle_error_deg(r.angle_deg[settle:], traj.theta[settle:]))
    return _row("speed", "0 rpm (72 static angles, factory calibration)", np.concatenate(errs))


def conditions():
    """Yields Rows; each condition computed on demand."""
    yield static_row()
    for rpm in (1_000, 10_000, 50_000, 100_000, 150_000, 200_000, 250_000, 300_000, -200_000):
        yield _row("speed", f"{rpm:,} rpm", measure(rpm)[0])
    for m in (0.0, 0.0025, -0.005, 0.01, -0.02):
        yield _row("mismatch", f"200k rpm, mismatch {m * 100:+.2f} %",
                   measure(200_000, REALISTIC._replace(mismatch=m))[0])
    for t in (-40.0, 25.0, 85.0, 150.0):
        yield _row("temperature", f"200k rpm, {t:+.0f} °C with drift",
                   measure(200_000, REALISTIC._replace(temperature_c=t, **DRIFT))[0])
    for n in (0.0, 0.001, 0.005):
        yield _row("noise", f"200k rpm, noise σ {n * 100:.1f} % FS",
                   measure(200_000, REALISTIC._replace(noise=n))[0])
    ramp = signals.ramp(FS_HZ, 0.2, 50_000, 300_000)
    yield _row("dynamics", "ramp 50k → 300k rpm in 0.2 s", measure(None, traj=ramp)[0])
    yield _row("dynamics", "200k rpm, 3rd harmonic 0.2 %", measure(200_000, REALISTIC._replace(h3=0.002))[0])
    delayed = REALISTIC._replace(group_delay_s=1.5e-6, skew_s=0.2e-6)
    yield _row("delay", "200k rpm, 1.5 µs group delay + 0.2 µs skew, compensated",
               measure(200_000, delayed, group_delay_s=1.5e-6, skew_s=0.2e-6)[0])
    yield _row("ablation", "  same, delay not compensated", measure(200_000, delayed)[0])
    yield _row("ablation", "200k rpm, calibration off", measure(200_000, calibration="off")[0])
    yield _row("ablation", "200k rpm, CORDIC 8 iterations", measure(200_000, iterations=8)[0])
    yield _row("ablation", "200k rpm, observer bandwidth 50 kHz (little filtering)",
               measure(200_000, bandwidth_hz=50_000)[0])


def plot(path: Path, rows):
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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sensor_dsp.kpi", description="angle-error KPI sweep")
    ap.add_argument("--out", default="docs", help="folder for kpi.png and kpi.md")
    ap.add_argument("--no-plot", action="store_true")
    a = ap.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    header = f"| condition | max \\|error\\| (°) | rms (°) | samples | ±{LIMIT_DEG}° |"
    lines = [header, "|---|---|---|---|---|"]
    print(header)
    print(lines[1])
    for r in conditions():
        rows.append(r)
        line = (f"| {r.name} | {r.max_err_deg:.4f} | {r.rms_err_deg:.4f} | {r.samples} | "
                f"{'pass' if r.passed else 'FAIL'} |")
        lines.append(line)
        print(line, flush=True)
    (out / "kpi.md").write_text("\n".join(lines) + "\n")
    if not a.no_plot:
        plot(out / "kpi.png", rows)
    print(f"wrote {out / 'kpi.md'}" + ("" if a.no_plot else f" and {out / 'kpi.png'}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
