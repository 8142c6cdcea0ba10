"""Testbench of rtl/cordic_csr.sv (cordic_atan2 behind its generated register
block) against sensor_dsp.cordic.atan2_fixed.

Testplan: rtl_verif/plans/cordic_csr.yaml. Environment: ``CordicCsrEnv`` =
the shared ``RegStreamEnv`` (rtl_verif/tb/axil_bus.py: clock, reset, stream
source/sink and monitors, AXI4-Lite master and monitor, register scoreboard
and register/interrupt/status coverage) plus the bus-mode scoreboard: each
SAMPLE write the register monitor sees in bus mode is predicted with the
golden model, and a RESULT read after STATUS.RESULT_VALID (ITER + 3 clocks
or later) is compared with it. Stream frames are predicted from the input
monitor as in the cordic_atan2 testbench (its ``CordicStimulus``).
"""

import random

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, RisingEdge

from rtl_verif.regs.models.cordic_csr import REGMAP
from rtl_verif.tb import driver_cases
from rtl_verif.tb.axil_bus import OKAY, BusOpScoreboard, RegStreamEnv, finish, strobe_mask
from rtl_verif.tb.axis_tb import (
    IDLE,
    STALL,
    coverage_closure,
    n_frames,
    reset_points,
    run_stream,
    seed,
    tb_param,
)
from rtl_verif.tb.test_cordic_atan2 import CordicStimulus
from sensor_dsp import cordic

CTRL, STATUS, SAMPLE, RESULT = (REGMAP.reg(n) for n in ("CTRL", "STATUS", "SAMPLE", "RESULT"))
IRQ_STATUS, IRQ_ENABLE = REGMAP.reg("IRQ_STATUS"), REGMAP.reg("IRQ_ENABLE")


def _signed(v: int, w: int) -> int:
    v &= (1 << w) - 1
    return v - (1 << w) if v >> (w - 1) else v


def golden(x: int, y: int) -> tuple:
    """(angle, magnitude) of the golden model for one vector (build parameters of this run)."""
    w, ow, it = tb_param("IN_W"), tb_param("OUT_W"), tb_param("ITER")
    a, m = cordic.atan2_fixed(np.int64(y), np.int64(x), in_width=w, out_width=ow, iterations=it)
    return int(a), int(m)


class CordicCsrEnv(RegStreamEnv):
    """The register environment plus the bus-mode (SAMPLE -> RESULT) scoreboard."""

    def __init__(self, dut):
        super().__init__(dut, REGMAP)

    def _extra_agents(self):
        super()._extra_agents()
        w = tb_param("IN_W")

        def start(t):  # a SAMPLE write (any of its bytes) in bus mode starts one vector
            return (REGMAP.at(t.word) is SAMPLE and t.resp == OKAY and strobe_mask(t.strb)
                    and self.reg_sb.shadow.field("CTRL", "BUS_MODE"))

        def predict(shadow):
            ang, mag = golden(_signed(shadow.field("SAMPLE", "X"), w), _signed(shadow.field("SAMPLE", "Y"), w))
            return {"RESULT": RESULT.encode(ANGLE=ang & 0xFFFF, MAG=mag & 0xFFFF)}

        self.bus_sb = BusOpScoreboard("cordic_csr bus mode", REGMAP, self.reg_sb.shadow, self.log, start=start,
                                      predict=predict, ready=("STATUS", "RESULT_VALID"),
                                      min_clocks=tb_param("ITER") + 3)
        self.reg_mon.subscribe(self.bus_sb.observe)


def _vectors(rng, w: int, n: int) -> list:
    lo, hi = -(1 << (w - 1)), (1 << (w - 1)) - 1
    pts = [(hi, 0), (0, hi), (lo, 0), (0, lo), (lo, lo), (0, 0), (1, -1), (-1, 1)]
    return pts + [(rng.randint(lo, hi), rng.randint(lo, hi)) for _ in range(n)]


async def _bus_sample(env, x: int, y: int) -> None:
    """One vector through SAMPLE, STATUS.RESULT_VALID and RESULT (the bus-mode scoreboard checks it)."""
    await env.regs.write("SAMPLE", SAMPLE.encode(X=x & 0xFFFF, Y=y & 0xFFFF))
    await env.regs.poll("STATUS", "RESULT_VALID")
    await env.regs.read("RESULT")


@cocotb.test()
async def test_boundaries(dut):
    await run_stream(dut, CordicStimulus(), n_random=0, directed=True, env=CordicCsrEnv)


@cocotb.test()
@cocotb.parametrize(src_idle=IDLE, sink_stall=STALL)
async def test_random_frames(dut, src_idle, sink_stall):
    await run_stream(dut, CordicStimulus(), n_random=n_frames(40), src_idle=src_idle, sink_stall=sink_stall,
                     env=CordicCsrEnv)


@cocotb.test()
async def test_reset_points(dut):
    await reset_points(dut, CordicStimulus(), n_random=4, env=CordicCsrEnv)


@cocotb.test()
async def test_stream_latest_result(dut):
    """RESULT holds the last stream result (as the output monitor saw it), SAMPLES
    counts the input monitor's beats, reading RESULT clears RESULT_VALID."""
    env = await CordicCsrEnv.started(dut)
    stim = CordicStimulus()
    sb = env.attach(stim)
    frames = [stim.frame(env.rng) for _ in range(2)] + [stim._item([-7], [5])]  # the last: one sample
    beats = 0
    try:
        for f in frames:
            await env.source.send(f)
        await env.drain(2000)
        env.stop_checking()
        sb.report(min_compared=len(frames))
        beats = sum(len(f.tdata) for f in frames)
        last = sb.last_got[-1]
        assert await env.regs.field("STATUS", "RESULT_VALID") == 1
        r = RESULT.decode(await env.regs.read("RESULT"))
        got = (r["MAG"] << stim.ow) | r["ANGLE"]
        assert got == last, f"RESULT 0x{got:x} is not the last stream result 0x{last:x} (SEED={seed()})"
        assert await env.regs.field("STATUS", "RESULT_VALID") == 0, "reading RESULT clears RESULT_VALID"
        assert await env.regs.read("SAMPLES") == beats, f"SAMPLES != {beats} input beats"
    finally:
        await finish(env)


@cocotb.test()
async def test_csr(dut):
    """The generated CSR test, PARAMS = the build parameters, every register
    read, half-word writes, and a pulse bit reached only by its own byte
    lane (CTRL bytes 1..3 written with ones leave the counters alone)."""
    env = await CordicCsrEnv.started(dut)
    try:
        await env.regs.csr_test(env.rng, settle_clocks=60)
        assert REGMAP.reg("PARAMS").decode(await env.regs.read("PARAMS")) == {
            "IN_W": tb_param("IN_W"), "OUT_W": tb_param("OUT_W"), "ITER": tb_param("ITER")}
        for r in REGMAP.regs:
            await env.regs.read(r.name)
        for reg in ("AMP_MIN", "SAMPLE", "IRQ_ENABLE"):  # half words, both halves (the scoreboard checks read-back)
            for lane in (0, 2):
                assert await env.regs.write_resp(REGMAP.addr(reg) + lane, env.rng.randbytes(2)) == OKAY
                await env.regs.read(reg)
        await env.regs.write("CTRL", CTRL.encode(BUS_MODE=1))
        await _bus_sample(env, 100, -100)
        await env.regs.poll("STATUS", "BUSY", 0)  # the half-word SAMPLE writes started vectors too
        n = await env.regs.read("SAMPLES")
        assert n > 0
        for lane in (1, 2, 3):
            assert await env.regs.write_resp(REGMAP.addr("CTRL") + lane, b"\xff") == OKAY
        assert await env.regs.read("SAMPLES") == n, "a CTRL write without lane 0 cleared the counters"
        await env.regs.write("CTRL", CTRL.encode(BUS_MODE=1, CLR_COUNTERS=1))
        assert await env.regs.read("SAMPLES") == 0
    finally:
        await finish(env)


@cocotb.test()
async def test_bus_samples(dut):
    """Bus mode: directed and random vectors through SAMPLE / RESULT; the
    stream side is held off meanwhile (a queued stream sample waits)."""
    env = await CordicCsrEnv.started(dut)
    stim = CordicStimulus()
    await env.regs.write("CTRL", CTRL.encode(BUS_MODE=1))
    env.source.send_nowait(stim.frame(env.rng))  # waits: bus mode holds the input off
    pts = _vectors(env.rng, stim.w, 40)
    try:
        for x, y in pts:
            await _bus_sample(env, x, y)
            assert await env.regs.field("STATUS", "RESULT_VALID") == 0
        assert not dut.m_axis_tvalid.value and not dut.s_axis_tready.value
        assert await env.regs.read("SAMPLES") == len(pts)
        dut._log.info("cordic_csr bus mode: %d vectors bit-exact", len(pts))
    finally:
        await finish(env, min_bus=len(pts))


@cocotb.test()
async def test_low_amplitude(dut):
    """AMP_MIN: LOW_AMP status and LOW_AMP_COUNT against the golden magnitudes, CLR_COUNTERS."""
    env = await CordicCsrEnv.started(dut)
    stim = CordicStimulus()
    sb = env.attach(stim)
    threshold = 1 << (stim.w - 4)
    await env.regs.write("AMP_MIN", threshold)
    nprng = np.random.default_rng(env.rng.getrandbits(32))
    r = (1 << (stim.w - 1)) * 10 ** nprng.uniform(-3, -0.5, 200)
    th = nprng.uniform(-np.pi, np.pi, 200)
    xs, ys = np.rint(r * np.cos(th)).astype(np.int64), np.rint(r * np.sin(th)).astype(np.int64)
    _, mags = cordic.atan2_fixed(ys, xs, in_width=stim.w, out_width=stim.ow, iterations=stim.iters)
    n_low = int(np.sum(mags < threshold))
    assert 0 < n_low < len(xs)
    try:
        await env.source.send(stim._item(xs, ys))
        await env.drain(2000)
        env.stop_checking()
        sb.report(min_compared=1)
        assert await env.regs.read("LOW_AMP_COUNT") == n_low
        assert await env.regs.field("STATUS", "LOW_AMP") == int(mags[-1] < threshold)
        await env.regs.write("CTRL", CTRL.encode(CLR_COUNTERS=1))
        assert await env.regs.read("LOW_AMP_COUNT") == 0 and await env.regs.read("SAMPLES") == 0
        dut._log.info("cordic_csr: %d of %d results below AMP_MIN=%d counted", n_low, len(xs), threshold)
    finally:
        await finish(env)


@cocotb.test()
async def test_interrupts(dut):
    """Each source (RESULT in bus mode, LOW_AMP) set while masked (pin low),
    then enabled (pin high), cleared by writing 1 (pin low), writing 0 leaves it."""
    env = await CordicCsrEnv.started(dut)
    await env.regs.write("CTRL", CTRL.encode(BUS_MODE=1))
    await env.regs.write("AMP_MIN", 0xFFFF)  # every magnitude is low
    try:
        for src in ("RESULT", "LOW_AMP"):
            await env.regs.write("IRQ_STATUS", IRQ_STATUS.encode(RESULT=1, LOW_AMP=1))
            await _bus_sample(env, 3, 4)
            assert IRQ_STATUS.decode(await env.regs.read("IRQ_STATUS"))[src] == 1
            await RisingEdge(dut.clk)
            assert not dut.irq.value, f"irq with {src} masked"
            await env.regs.write("IRQ_ENABLE", IRQ_ENABLE.encode(**{src: 1}))
            await RisingEdge(dut.clk)
            assert dut.irq.value, f"enabled {src} does not raise irq"
            await env.regs.read("IRQ_STATUS")  # the irq check: set and enabled -> pin high
            await env.regs.write("IRQ_STATUS", IRQ_STATUS.encode(**{src: 0}))
            assert dut.irq.value, "writing 0 cleared it"
            await env.regs.write("IRQ_STATUS", IRQ_STATUS.encode(**{src: 1}))
            await RisingEdge(dut.clk)
            assert not dut.irq.value and IRQ_STATUS.decode(await env.regs.read("IRQ_STATUS"))[src] == 0
            await env.regs.write("IRQ_ENABLE", 0)
    finally:
        await finish(env)


@cocotb.test()
async def test_drivers(dut):
    """The firmware driver (firmware_models/drivers/cordic.py) on the RTL: the
    same cases and runner as under MicroPython on the device model."""
    env = await CordicCsrEnv.started(dut)
    stim = CordicStimulus()
    cases = driver_cases.cordic_cases(random.Random(env.rng.getrandbits(32)), stim.w, stim.ow, stim.iters)
    try:
        bad = driver_cases.check(cases, await driver_cases.run_all(env.regs, cases))
        assert not bad, "\n".join(bad) + f" (SEED={seed()})"
        await ClockCycles(dut.clk, 2)
        dut._log.info("cordic_csr: firmware driver, %d cases bit-exact on the RTL (%d reads, %d writes)",
                      len(cases), env.regs.reads, env.regs.writes)
    finally:
        await finish(env)


@cocotb.test()
async def test_coverage_closure(dut):
    coverage_closure(dut)
