"""Fixed-point CORDIC atan2 in vectoring mode, bit-exact with
``rtl_verif/rtl/cordic_atan2.sv``.

Format (all integers):

* inputs ``x``, ``y``: signed ``in_width``-bit;
* angle out: unsigned ``out_width`` bits in units of 2^-out_width of a turn
  (0 … 2^out_width - 1 ↔ 0° … 360°), θ = atan2(y, x) wrapped to [0, 1) turn;
* magnitude out: unsigned ``in_width`` bits, √(x² + y²) with the CORDIC gain
  removed.

Algorithm (the RTL pipeline stage by stage):

1. pre-rotation: if x < 0, negate both and start the angle at half a turn —
   the vector is then in the right half-plane, inside CORDIC's ±99.9° range;
   inputs are scaled up by G = ⌈log2 n⌉ + 2 guard bits;
2. n micro-rotations i = 0 … n-1: if y ≥ 0, x += y>>i, y -= x>>i,
   z += A_i, else the opposite, with A_i = round(atan(2^-i) / 2π ·
   2^(out_width+ZG)) and arithmetic (floor) shifts;
3. output: angle = (z + 2^(ZG-1)) >> ZG mod 2^out_width (round half up),
   except the zero vector, which gives angle 0 and magnitude 0;
   magnitude = (x · KINV + 2^(15+G)) >> (16 + G) with KINV = round(2^16 / K_n),
   K_n = Π √(1 + 2^-2i).

Worst-case angle error: atan(2^-(n-1)) from the last micro-rotation, plus
half an output LSB and the internal truncation (a few 2^-G / r).
"""

import math
from typing import NamedTuple

import numpy as np
from numba import njit

import argcheck
from sensor_dsp.errors import SensorError

KF = 16  # fraction bits of the gain-compensation constant


class CordicParams(NamedTuple):
    in_width: int
    out_width: int
    iterations: int
    guard: int  # guard bits on x and y
    zguard: int  # guard bits on the angle accumulator
    angles: tuple  # A_i
    kinv: int

    @property
    def latency(self) -> int:
        """Pipeline latency of the RTL in clocks (pre-rotation, n stages, output)."""
        return self.iterations + 2


def params(in_width: int = 16, out_width: int = 16, iterations: int = 16) -> CordicParams:
    """The core's constants for signed ``in_width``-bit inputs, an
    ``out_width``-bit angle and ``iterations`` micro-rotations (each 4..30,
    4..30, 1..30; ints, not bools or floats)."""
    in_width = argcheck.integer(in_width, "in_width", SensorError, lo=4, hi=30)
    out_width = argcheck.integer(out_width, "out_width", SensorError, lo=4, hi=30)
    iterations = argcheck.integer(iterations, "iterations", SensorError, lo=1, hi=30)
    g = math.ceil(math.log2(iterations)) + 2 if iterations > 1 else 2
    zw = out_width + g
    angles = tuple(int(math.floor(math.atan(2.0 ** -i) / (2 * math.pi) * 2**zw + 0.5))
                   for i in range(iterations))
    k = 1.0
    for i in range(iterations):
        k *= math.sqrt(1 + 2.0 ** (-2 * i))
    return CordicParams(int(in_width), int(out_width), int(iterations), g, g,
                        angles, int(math.floor(2**KF / k + 0.5)))


@njit(cache=True, nogil=True)
def _core(x, y, iterations, guard, zguard, out_width, angles, kinv):
    """One vector: returns (angle, magnitude) as ints (see module doc). The
    compiled kernel that :func:`atan2_fixed` and the angle chain share; no
    argument checks (its callers pass checked ints)."""
    if x == 0 and y == 0:
        return 0, 0  # defined: no direction (the diagnostics flag loss of signal)
    zw = out_width + zguard
    z = 0
    if x < 0:
        x = -x
        y = -y
        z = 1 << (zw - 1)
    x <<= guard
    y <<= guard
    for i in range(iterations):
        if y >= 0:
            x, y, z = x + (y >> i), y - (x >> i), z + angles[i]
        else:
            x, y, z = x - (y >> i), y + (x >> i), z - angles[i]
    angle = ((z + (1 << (zguard - 1))) >> zguard) & ((1 << out_width) - 1)
    mag = (x * kinv + (1 << (KF - 1 + guard))) >> (KF + guard)
    return angle, mag


@njit(cache=True, nogil=True)
def _atan2_many(y, x, iterations, guard, zguard, out_width, angles, kinv, ang_out, mag_out):
    for k in range(x.size):
        a, m = _core(x[k], y[k], iterations, guard, zguard, out_width, angles, kinv)
        ang_out[k] = a
        mag_out[k] = m


def atan2_fixed(y, x, *, in_width: int = 16, out_width: int = 16, iterations: int = 16):
    """Vectorised bit-exact model of the RTL: returns (angle, magnitude) int64
    arrays of the broadcast shape of ``y`` and ``x`` (integers within
    ``in_width`` bits, signed)."""
    p = params(in_width, out_width, iterations)
    ya = argcheck.array(y, "y", SensorError, kind="i")
    xa = argcheck.array(x, "x", SensorError, kind="i")
    try:
        ya, xa = np.broadcast_arrays(ya, xa)
    except ValueError:
        raise SensorError(f"y {ya.shape} and x {xa.shape} do not broadcast") from None
    for name, a in (("y", ya), ("x", xa)):
        if a.size and (a.min() < -(1 << (p.in_width - 1)) or a.max() >= 1 << (p.in_width - 1)):
            raise SensorError(f"{name} outside signed {p.in_width}-bit range")
    yf = np.ascontiguousarray(ya, dtype=np.int64).ravel()
    xf = np.ascontiguousarray(xa, dtype=np.int64).ravel()
    ang = np.empty(xf.size, np.int64)
    mag = np.empty(xf.size, np.int64)
    _atan2_many(yf, xf, p.iterations, p.guard, p.zguard, p.out_width, np.array(p.angles, np.int64),
                p.kinv, ang, mag)
    return ang.reshape(ya.shape), mag.reshape(ya.shape)


def theory_max_error_deg(iterations: int) -> float:
    """atan(2^-(n-1)) in degrees: the residual angle after n micro-rotations."""
    iterations = argcheck.integer(iterations, "iterations", SensorError, lo=1, hi=64)
    return math.degrees(math.atan(2.0 ** -(iterations - 1)))
