"""Testbench of rtl/fft64.sv against mesh_phy.ofdm.fft_fixed.fft64 (bit-exact),
with SQNR against numpy.fft reported.

Testplan: rtl_verif/plans/fft64.yaml. Expectations are predicted from the
input monitor (direction from sample 0's tuser), coverage (direction x input
amplitude class, output clipping, flow, reset point) from both monitors;
test_sqnr reports the SQNR against numpy.fft, test_latency_throughput the
latency and one sample per clock, test_frame_err a tlast on the 10th sample.
"""

from collections import deque

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles

from mesh_phy.ofdm import fft_fixed
from rtl_verif.tb import fcov
from rtl_verif.tb.axis_tb import (
    IDLE,
    STALL,
    AxisTB,
    HandshakeLog,
    Stimulus,
    coverage_closure,
    first_user,
    make_frame,
    n_frames,
    reset_points,
    run_stream,
    tb_params,
    unpack,
)

AMPLITUDE = ("small", "medium", "full")  # input peak |part| < 1/64, < 1/2, >= 1/2 of full scale


class FftStimulus(Stimulus):
    def __init__(self):
        p = tb_params()
        self.p = fft_fixed.params(p.get("IN_W", 16), p.get("OUT_W", 16), p.get("TW_W", 16),
                                  p.get("SCALE", 0b111111))
        self.w = self.p.in_width
        self.ow = self.p.out_width

    def item(self, xr, xi, inverse: bool):
        xr = np.asarray(xr, np.int64)
        xi = np.asarray(xi, np.int64)
        yr, yi = fft_fixed.fft64(xr, xi, self.p, inverse=inverse)
        m, om = (1 << self.w) - 1, (1 << self.ow) - 1
        beats = [((int(i) & m) << self.w) | (int(r) & m) for r, i in zip(xr, xi, strict=True)]
        exp = [((int(i) & om) << self.ow) | (int(r) & om) for r, i in zip(yr, yi, strict=True)]
        return make_frame(beats, tuser=int(inverse)), (exp, int(inverse))

    def received(self, rx):
        tu = rx.tuser
        if isinstance(tu, list):
            tu = tu[0] if len(set(tu)) == 1 else tuple(tu)
        return list(rx.tdata), tu

    def parts(self, rx, width):
        v = [unpack(d, width, 2) for d in rx.tdata]
        return np.array([a for a, _ in v], np.int64), np.array([b for _, b in v], np.int64)

    def predict(self, rx):
        """The golden FFT of the samples the input monitor saw; direction from sample 0's tuser."""
        xr, xi = self.parts(rx, self.w)
        return self.item(xr, xi, bool(first_user(rx)))[1]

    def amplitude(self, rx):
        peak = int(max(np.abs(np.concatenate(self.parts(rx, self.w)))))
        fs = 1 << (self.w - 1)
        return "small" if peak < fs // 64 else ("medium" if peak < fs // 2 else "full")

    def saturated(self, rx):
        top = (1 << (self.ow - 1)) - 1
        return "clipped" if int(max(np.abs(np.concatenate(self.parts(rx, self.ow))))) >= top else "linear"

    def cover_points(self):
        return (
            fcov.Point("cg_frame.direction", lambda t: ("ifft" if first_user(t.frame) else "fft")
                       if t.side == "in" else None, ("fft", "ifft")),
            fcov.Point("cg_frame.amplitude", lambda t: self.amplitude(t.frame) if t.side == "in" else None,
                       AMPLITUDE),
        ) + ((fcov.Point("cg_frame.output", lambda t: self.saturated(t.frame) if t.side == "out" else None,
                         ("linear", "clipped")),) if self.can_clip() else ())

    def can_clip(self) -> bool:
        """Whether this build's output can saturate: the largest |X[k]| (64 full-scale samples in phase, both
        parts: 64 * sqrt(2) * 2^(IN_W-1), halved by each scaled stage) reaches 2^(OUT_W-1)."""
        return 64 * 2 ** 0.5 * 2 ** (self.w - 1) / 2 ** self.p.shift >= 2 ** (self.ow - 1)

    def cover_crosses(self):
        return (("cg_frame.direction_x_amplitude", ("cg_frame.direction", "cg_frame.amplitude")),)

    def directed(self):
        fs, lo = (1 << (self.w - 1)) - 1, -(1 << (self.w - 1))
        n = np.arange(64)
        z = np.zeros(64, np.int64)
        frames = []
        imp = z.copy()
        imp[0] = 64 * (fs // 64)
        frames += [(imp, z), (z, -imp)]
        for n0 in (1, 63):
            e = z.copy()
            e[n0] = fs
            frames.append((e, z))
        for k0 in (0, 1, 16, 31, 32, 48, 63):
            t = (fs // 2) * np.exp(2j * np.pi * k0 * n / 64)
            frames.append((np.rint(t.real).astype(np.int64), np.rint(t.imag).astype(np.int64)))
        frames.append((np.where(n % 2 == 0, fs, lo), np.where(n % 2 == 0, lo, fs)))
        frames.append((np.full(64, lo), np.full(64, lo)))
        frames.append((np.r_[[fs] * 32, [lo] * 32], np.r_[[lo] * 32, [fs] * 32]))
        for k in (3, 17, 40):  # parts ±full scale in (anti)phase with bin k: |X[k]| ≈ 1.27 × range, saturates
            t = np.exp(2j * np.pi * k * n / 64)
            frames.append((np.where(t.real >= 0, fs, lo), np.where(t.imag >= 0, fs, lo)))  # up to +max
            frames.append((np.where(t.real >= 0, lo, fs), np.where(t.imag >= 0, lo, fs)))  # down to -max - 1
        return [self.item(r, i, inv) for r, i in frames for inv in (False, True)]

    def random_parts(self, rng, nprng):
        fs, lo = (1 << (self.w - 1)) - 1, -(1 << (self.w - 1))
        kind = rng.randrange(4)
        if kind == 0:
            return nprng.integers(lo, fs + 1, 64), nprng.integers(lo, fs + 1, 64)
        if kind == 1:
            a = max(1, int(fs * 10 ** nprng.uniform(-3.5, 0)))
            return nprng.integers(-a, a + 1, 64), nprng.integers(-a, a + 1, 64)
        if kind == 2:
            return nprng.choice([fs, lo], 64), nprng.choice([fs, lo], 64)
        k = nprng.integers(0, 64)
        t = 0.6 * fs * np.exp(2j * np.pi * (k * np.arange(64) / 64 + nprng.uniform()))
        t += 0.1 * fs * (nprng.standard_normal(64) + 1j * nprng.standard_normal(64))
        return (np.clip(np.rint(t.real), lo, fs).astype(np.int64),
                np.clip(np.rint(t.imag), lo, fs).astype(np.int64))

    def frame(self, rng):
        nprng = np.random.default_rng(rng.getrandbits(64))
        xr, xi = self.random_parts(rng, nprng)
        return self.item(xr, xi, rng.random() < 0.5)


class SqnrStimulus(FftStimulus):
    """Full-scale random frames; measures the RTL output against numpy.fft."""

    def __init__(self):
        super().__init__()
        self.refs = deque()
        self.sig = 0.0
        self.noise = 0.0

    def frame(self, rng):
        nprng = np.random.default_rng(rng.getrandbits(64))
        lo, hi = -(1 << (self.w - 1)), 1 << (self.w - 1)
        xr, xi = nprng.integers(lo, hi, 64), nprng.integers(lo, hi, 64)
        inv = rng.random() < 0.5
        self.refs.append(fft_fixed.reference(xr, xi, self.p, inverse=inv))
        return self.item(xr, xi, inv)

    def received(self, rx):
        ref = self.refs.popleft()
        d = np.array(rx.tdata, dtype=np.int64)
        half, full = 1 << (self.ow - 1), 1 << self.ow
        re = ((d & (full - 1)) + half) % full - half
        im = (((d >> self.ow) & (full - 1)) + half) % full - half
        self.sig += float(np.sum(np.abs(ref) ** 2))
        self.noise += float(np.sum(np.abs(re + 1j * im - ref) ** 2))
        return super().received(rx)


@cocotb.test()
async def test_directed(dut):
    await run_stream(dut, FftStimulus(), n_random=0, backpressure=False, directed=True)
    assert not dut.frame_err.value, "frame_err set by well-framed input"


@cocotb.test()
@cocotb.parametrize(src_idle=IDLE, sink_stall=STALL)
async def test_random_frames(dut, src_idle, sink_stall):
    await run_stream(dut, FftStimulus(), n_random=n_frames(50), src_idle=src_idle, sink_stall=sink_stall)
    assert not dut.frame_err.value, "frame_err set by well-framed input"


@cocotb.test()
async def test_reset_points(dut):
    await reset_points(dut, FftStimulus(), n_random=3)
    assert not dut.frame_err.value


@cocotb.test()
async def test_sqnr(dut):
    stim = SqnrStimulus()
    sb = await run_stream(dut, stim, n_random=n_frames(100), backpressure=False)
    sqnr = 10 * np.log10(stim.sig / stim.noise)
    # the bound of tests/test_fft_fixed.py for the full schedule (÷64); each
    # halving left out keeps the signal 6 dB higher and at least half of that
    # survives the extra rounding noise of the unscaled stages
    bound = 6.02 * stim.w - 25.1 + 3 * (6 - stim.p.shift)
    dut._log.info("fft64 IN_W=%d TW_W=%d SCALE=%s: SQNR %.2f dB against numpy.fft over %d full-scale random "
                  "frames (bound %.1f dB)", stim.w, stim.p.tw_width, bin(stim.p.scale), sqnr, sb.compared, bound)
    assert sqnr >= bound


@cocotb.test()
async def test_latency_throughput(dut):
    tb = AxisTB(dut)
    await tb.reset()
    stim = FftStimulus()
    items = [stim.frame(tb.rng) for _ in range(8)]
    log = HandshakeLog(dut)
    for frame, _ in items:
        await tb.source.send(frame)
    for _, exp in items:
        rx = await tb.sink.recv()
        assert stim.received(rx) == exp
    log.stop()
    n = 64 * len(items)
    assert len(log.loads) == n and len(log.outs) == n
    in_span = log.loads[-1] - log.loads[0] + 1
    out_span = log.outs[-1] - log.outs[0] + 1
    latency = log.outs[0] - log.loads[0]
    dut._log.info("fft64: latency %d clocks (first input to first output), %d samples in %d clocks in, "
                  "%d clocks out: %.3f samples/clock", latency, n, in_span, out_span, n / out_span)
    assert in_span == n and out_span == n, "back-to-back frames must stream at one sample per clock"
    assert latency == fft_fixed.latency_clocks()


@cocotb.test()
async def test_frame_err(dut):
    tb = AxisTB(dut)
    await tb.reset()
    stim = FftStimulus()
    nprng = np.random.default_rng(tb.rng.getrandbits(64))
    xr, xi = stim.random_parts(tb.rng, nprng)
    frame, exp = stim.item(xr, xi, True)
    await ClockCycles(dut.clk, 2)
    assert not dut.frame_err.value
    await tb.source.send(make_frame(frame.tdata[:10], tuser=1))  # tlast on the 10th sample
    await tb.source.send(make_frame(frame.tdata[10:], tuser=0))  # direction comes from sample 0
    rx = await tb.sink.recv()
    assert stim.received(rx) == exp, "the 64 samples must still transform as one frame"
    assert dut.frame_err.value, "frame_err must flag a tlast on the 10th sample"
    await tb.reset()
    assert not dut.frame_err.value, "reset clears frame_err"


@cocotb.test()
async def test_coverage_closure(dut):
    coverage_closure(dut)
