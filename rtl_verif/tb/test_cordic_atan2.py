"""Testbench of rtl/cordic_atan2.sv against sensor_dsp.cordic.atan2_fixed.

Testplan:
* test_boundaries — directed: both axes and every octant boundary at full
  scale, the most negative values, ±1 around each axis, the zero vector and
  near-zero vectors, every angle step of the coarsest octant grid.
* test_random — thousands of samples: uniform over the square, and on
  circles of random radius (full-scale to near zero).
* test_backpressure — the same with random stalls (the pipeline must freeze).
* test_reset_mid_stream — reset with the pipeline full, then exact output.
* test_latency — clocks from input to output, against ITER + 2.
"""

import cocotb
import numpy as np

from rtl_verif.tb.axis_tb import AxisTB, HandshakeLog, Stimulus, make_frame, n_frames, run_stream, tb_params
from sensor_dsp import cordic


class CordicStimulus(Stimulus):
    def __init__(self):
        p = tb_params()
        self.w = p.get("IN_W", 16)
        self.ow = p.get("OUT_W", 16)
        self.iters = p.get("ITER", 16)

    def _item(self, xs, ys):
        xs = np.asarray(xs, np.int64)
        ys = np.asarray(ys, np.int64)
        ang, mag = cordic.atan2_fixed(ys, xs, in_width=self.w, out_width=self.ow, iterations=self.iters)
        m = (1 << self.w) - 1
        beats = [((int(y) & m) << self.w) | (int(x) & m) for x, y in zip(xs, ys, strict=True)]
        expected = [(int(g) << self.ow) | int(a) for a, g in zip(ang, mag, strict=True)]
        return make_frame(beats), expected

    def directed(self):
        fs = (1 << (self.w - 1)) - 1
        lo = -(1 << (self.w - 1))
        pts = []
        for r in (fs, 1, 2, 100):
            for x, y in ((r, 0), (0, r), (-r, 0), (0, -r), (r, r), (-r, r), (-r, -r), (r, -r)):
                pts += [(x, y), (x, y + 1), (x, y - 1), (x + 1, y), (x - 1, y)]
        pts += [(0, 0), (lo, lo), (lo, 0), (0, lo), (lo, fs), (fs, lo), (fs, fs), (lo, -1), (lo, 1)]
        pts = [(min(max(x, lo), fs), min(max(y, lo), fs)) for x, y in pts]
        return [self._item([p[0] for p in pts[k:k + 16]], [p[1] for p in pts[k:k + 16]])
                for k in range(0, len(pts), 16)]

    def frame(self, rng):
        nprng = np.random.default_rng(rng.getrandbits(64))
        n = rng.randint(1, 64)
        lo, hi = -(1 << (self.w - 1)), (1 << (self.w - 1))
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
    await run_stream(dut, CordicStimulus(), n_random=0, backpressure=False, directed=True)


@cocotb.test()
async def test_random(dut):
    await run_stream(dut, CordicStimulus(), n_random=n_frames(300), backpressure=False)


@cocotb.test()
async def test_backpressure(dut):
    await run_stream(dut, CordicStimulus(), n_random=n_frames(200), backpressure=True)


@cocotb.test()
async def test_reset_mid_stream(dut):
    await run_stream(dut, CordicStimulus(), n_random=50, backpressure=True, reset_midway=True)


@cocotb.test()
async def test_latency(dut):
    tb = AxisTB(dut)
    await tb.reset()
    stim = CordicStimulus()
    frame, expected = stim._item([1000], [1000])
    log = HandshakeLog(dut)
    await tb.source.send(frame)
    rx = await tb.sink.recv()
    log.stop()
    assert list(rx.tdata) == expected
    latency = log.outs[0] - log.loads[0]
    dut._log.info("cordic_atan2 IN_W=%d OUT_W=%d ITER=%d: latency %d clocks, 1 sample per clock",
                  stim.w, stim.ow, stim.iters, latency)
    assert latency == cordic.params(stim.w, stim.ow, stim.iters).latency
