"""Testbench of rtl/cordic_atan2.sv against sensor_dsp.cordic.atan2_fixed.

Testplan: rtl_verif/plans/cordic_atan2.yaml. One vector per beat: tdata =
{y, x}, IN_W bits each, two's complement; output {magnitude, angle}, OUT_W
bits each. Expectations are predicted from the input monitor; coverage from
the monitors: per input sample (cg_sample) the octant, the axis cases (x = 0,
y = 0, both), full-scale / most-negative values of x x y and the magnitude
range; per frame the length, flow and reset point.
"""

import math

import cocotb
import numpy as np

from rtl_verif.tb import fcov
from rtl_verif.tb.axis_tb import (
    IDLE,
    STALL,
    AxisTB,
    HandshakeLog,
    Stimulus,
    coverage_closure,
    len_cover,
    make_frame,
    n_frames,
    pack,
    reset_points,
    run_stream,
    tb_param,
    unpack,
)
from sensor_dsp import cordic

LEN_EDGES = (1, 2, 16, 64)
OCTANTS = tuple(str(k) for k in range(8))  # k: angle in [k*45, (k+1)*45) degrees, counter-clockwise from +x
AXIS = ("zero", "x_axis", "y_axis", "diagonal", "general")  # x_axis: y = 0, x != 0; y_axis: x = 0, y != 0
EXTREMES = ("min", "max", "zero", "other")  # a coordinate at -2^(IN_W-1), 2^(IN_W-1)-1, 0, else
MAGNITUDE = ("0", "(0,2)", "[2,16)", "[16,256)", "[256,FS/2)", "[FS/2,FS]", ">FS")  # FS = 2^(IN_W-1)-1


def octant(x: int, y: int) -> str | None:
    if x == 0 and y == 0:
        return None
    return str(int(math.floor(math.atan2(y, x) / (math.pi / 4))) % 8)


def axis_case(x: int, y: int) -> str:
    if x == 0 and y == 0:
        return "zero"
    if y == 0:
        return "x_axis"
    if x == 0:
        return "y_axis"
    return "diagonal" if abs(x) == abs(y) else "general"


class CordicStimulus(Stimulus):
    def __init__(self):
        self.w = tb_param("IN_W")
        self.ow = tb_param("OUT_W")
        self.iters = tb_param("ITER")
        self.fs, self.lo = (1 << (self.w - 1)) - 1, -(1 << (self.w - 1))

        def ext(v):
            return "min" if v == self.lo else ("max" if v == self.fs else ("zero" if v == 0 else "other"))

        def mag(s):
            r = math.hypot(*s)
            edges = ((0, "0"), (2, "(0,2)"), (16, "[2,16)"), (256, "[16,256)"), (self.fs / 2, "[256,FS/2)"),
                     (self.fs, "[FS/2,FS]"))
            return "0" if r == 0 else next((lab for e, lab in edges[1:] if r < e), "[FS/2,FS]" if r <= self.fs
                                           else ">FS")

        self.sample = fcov.Sampler("cordic_atan2", (
            fcov.Point("cg_sample.octant", lambda s: octant(*s), OCTANTS),
            fcov.Point("cg_sample.axis", lambda s: axis_case(*s), AXIS),
            fcov.Point("cg_sample.x_ext", lambda s: ext(s[0]), EXTREMES),
            fcov.Point("cg_sample.y_ext", lambda s: ext(s[1]), EXTREMES),
            fcov.Point("cg_sample.magnitude", mag, MAGNITUDE),
        ), (("cg_sample.x_ext_x_y_ext", ("cg_sample.x_ext", "cg_sample.y_ext")),))

    def _item(self, xs, ys):
        return make_frame([pack((x, y), self.w) for x, y in zip(xs, ys, strict=True)])

    def expected(self, xs, ys):
        ang, mag = cordic.atan2_fixed(np.asarray(ys, np.int64), np.asarray(xs, np.int64), in_width=self.w,
                                      out_width=self.ow, iterations=self.iters)
        return [pack((int(a), int(g)), self.ow) for a, g in zip(ang, mag, strict=True)]

    def predict(self, rx):
        xy = [unpack(v, self.w, 2) for v in rx.tdata]
        for s in xy:  # every input sample, as the input monitor saw it
            self.sample(s)
        return self.expected([s[0] for s in xy], [s[1] for s in xy])

    def cover_points(self):
        return (len_cover(LEN_EDGES)[0],)

    def cover_crosses(self):
        return (len_cover(LEN_EDGES)[1],)

    def directed(self):
        fs, lo = self.fs, self.lo
        pts = []
        for r in (fs, 1, 2, 100):
            for x, y in ((r, 0), (0, r), (-r, 0), (0, -r), (r, r), (-r, r), (-r, -r), (r, -r)):
                pts += [(x, y), (x, y + 1), (x, y - 1), (x + 1, y), (x - 1, y)]
        pts += [(0, 0), (lo, lo), (lo, 0), (0, lo), (lo, fs), (fs, lo), (fs, fs), (lo, -1), (lo, 1)]
        pts += [(x, y) for x in (lo, fs, 0, 3) for y in (lo, fs, 0, -5)]  # every full-scale/min/zero pairing
        pts = [(min(max(x, lo), fs), min(max(y, lo), fs)) for x, y in pts]
        return [self._item([p[0] for p in pts[k:k + 16]], [p[1] for p in pts[k:k + 16]])
                for k in range(0, len(pts), 16)]

    def frame(self, rng):
        nprng = np.random.default_rng(rng.getrandbits(64))
        n = rng.randint(1, 80)  # past 64, so the ">=64" length bin is hit often (1 in 64 draws was a flake)
        lo, hi = self.lo, self.fs + 1
        if rng.random() < 0.5:
            xs = nprng.integers(lo, hi, n)
            ys = nprng.integers(lo, hi, n)
        else:
            r = (hi - 1) * 10 ** nprng.uniform(-4, 0, n)
            th = nprng.uniform(-np.pi, np.pi, n)
            xs = np.clip(np.rint(r * np.cos(th)), lo, hi - 1).astype(np.int64)
            ys = np.clip(np.rint(r * np.sin(th)), lo, hi - 1).astype(np.int64)
        return self._item(xs, ys)


@cocotb.test()
async def test_boundaries(dut):
    await run_stream(dut, CordicStimulus(), n_random=0, directed=True)


@cocotb.test()
@cocotb.parametrize(src_idle=IDLE, sink_stall=STALL)
async def test_random_frames(dut, src_idle, sink_stall):
    await run_stream(dut, CordicStimulus(), n_random=n_frames(150), src_idle=src_idle, sink_stall=sink_stall)


@cocotb.test()
async def test_reset_points(dut):
    await reset_points(dut, CordicStimulus())


@cocotb.test()
async def test_latency(dut):
    """Clocks from an accepted input to its output: ITER + 2 (sensor_dsp.cordic.params().latency)."""
    tb = AxisTB(dut)
    await tb.reset()
    stim = CordicStimulus()
    log = HandshakeLog(dut)
    await tb.source.send(stim._item([1000], [1000]))
    rx = await tb.sink.recv()
    log.stop()
    assert list(rx.tdata) == stim.expected([1000], [1000])
    latency = log.outs[0] - log.loads[0]
    dut._log.info("cordic_atan2 IN_W=%d OUT_W=%d ITER=%d: latency %d clocks, 1 sample per clock",
                  stim.w, stim.ow, stim.iters, latency)
    assert latency == cordic.params(stim.w, stim.ow, stim.iters).latency


@cocotb.test()
async def test_coverage_closure(dut):
    coverage_closure(dut)
