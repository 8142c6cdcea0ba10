"""Samples per second through the fixed-point angle chain (and the CORDIC
alone), 1 s of signal at 1 MHz."""

import numpy as np

from benchmarks.timing import best_time, row
from sensor_dsp import chain, cordic, kpi, signals


def run() -> list:
    out = ["sensor_dsp (angle chain, 1e6 samples at 200,000 rpm)"]
    traj = signals.constant_speed(1e6, 1.0, 200_000)
    s, c = signals.coil_signals(traj, kpi.REALISTIC, seed=1)
    ch = chain.AngleChain(fs_hz=1e6)
    t = best_time(lambda: ch.run(s, c), repeat=3)
    out.append(row("AngleChain.run (adaptive calibration, CORDIC, observer)", s.size / t / 1e6, "Msample/s"))
    x = np.rint(c * 32767).astype(np.int64)
    y = np.rint(s * 32767).astype(np.int64)
    t2 = best_time(lambda: cordic.atan2_fixed(y, x), repeat=3)
    tn = best_time(lambda: np.arctan2(y, x), repeat=3)
    out.append(row("cordic.atan2_fixed (16 iterations, bit-exact)", s.size / t2 / 1e6, "Msample/s"))
    out.append(row("  (numpy.arctan2 in float, for scale)", s.size / tn / 1e6, "Msample/s"))
    return out
