"""Testbench of rtl/viterbi_csr.sv (viterbi_dec behind its generated register
block) against mesh_phy.coding.viterbi.decode. Registers through the
generated model (rtl_verif/regs/models/viterbi_csr.py).

Testplan:
* test_stream — stream mode is the decoder: noisy frames at every rate with
  back-pressure on both sides, bit-exact.
* test_csr — the generated CSR test (DIN/DOUT are external: DIN answers at
  once in stream mode, DOUT reads 0 with an empty FIFO) and PARAMS.
* test_bus_frames — bus mode: frames step by step through DIN, bits popped
  from DOUT (24 at a time, never across a frame end), bit-exact; FRAMES,
  BITS and STEPS counters; FRAME_DONE interrupt.
* test_fifo_full_stalls — without DOUT reads the 64-bit FIFO fills, the
  decoder stalls and a DIN write waits for its response instead of losing a
  step; draining DOUT releases it and the frame is still exact.
* test_abort — ABORT mid-frame empties the FIFO and resets the decoder; the
  next frame is exact.
* test_drivers — the firmware driver (firmware_models/drivers/viterbi.py) on
  the RTL through cocotb's AXI4-Lite master: the same cases and runner as
  under MicroPython on the device model (tests/test_drivers.py).
"""

import random

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, RisingEdge

from mesh_phy.coding import viterbi
from rtl_verif.regs.models.viterbi_csr import REGMAP
from rtl_verif.tb import driver_cases
from rtl_verif.tb.axil_bus import AxilBus
from rtl_verif.tb.axis_tb import AxisTB, run_stream, seed, tb_params
from rtl_verif.tb.test_viterbi_dec import ViterbiStimulus


def _with_expected(stim, frame):
    """(frame, the golden decoder's bits): rate 1/2 soft pairs, terminated per
    tuser — the streaming testbench now predicts from its input monitor."""
    bits = viterbi.decode(stim.soft(frame), "1/2", traceback=stim.tb, soft_bits=stim.w,
                          terminated=bool(frame.tuser))
    return frame, [int(b) for b in bits]

CTRL, DIN, DOUT, IRQ_STATUS = (REGMAP.reg(n) for n in ("CTRL", "DIN", "DOUT", "IRQ_STATUS"))
POP = DOUT.field("BITS").width
# Icarus simulates the 64-state decoder at about 200 clocks per second: fewer
# frames there (Verilator runs the full plan in seconds).
ICARUS = cocotb.SIM_NAME.lower().startswith("icarus")


def soft_pairs(frame, w: int) -> list:
    """(sa, sb) signed soft values of each beat of a ViterbiStimulus frame."""
    m, half = (1 << w) - 1, 1 << (w - 1)
    out = []
    for beat in frame.tdata:
        a, b = beat & m, (beat >> w) & m
        out.append((a - (a >= half) * (1 << w), b - (b >= half) * (1 << w)))
    return out


def din_word(sa: int, sb: int, last: bool, terminated: bool) -> int:
    return DIN.encode(SA=sa & 0xFF, SB=sb & 0xFF, LAST=int(last), TERMINATED=int(terminated))


async def pop(regs: AxilBus) -> tuple:
    """One DOUT read: (bits, last)."""
    d = DOUT.decode(await regs.read("DOUT"))
    return [(d["BITS"] >> i) & 1 for i in range(d["COUNT"])], d["LAST"]


async def drain(regs: AxilBus) -> list:
    """DOUT reads until one returns fewer than 24 bits (mid-frame)."""
    bits = []
    while True:
        got, end = await pop(regs)
        bits += got
        assert not end
        if len(got) < POP:
            return bits


async def bus_decode(regs: AxilBus, pairs: list, terminated: bool, start: int = 0) -> list:
    """A frame (from step ``start``) through DIN/DOUT, reading DOUT every 24
    steps (the protocol)."""
    bits = []
    for k in range(start, len(pairs)):
        last = k == len(pairs) - 1
        await regs.write("DIN", din_word(*pairs[k], last, terminated and last))
        if (k + 1 - start) % POP == 0:
            bits += await drain(regs)
    for _ in range(1000):
        got, end = await pop(regs)
        bits += got
        if end:
            return bits
    raise AssertionError(f"frame end never came out of DOUT (seed {seed()})")


@cocotb.test()
async def test_stream(dut):
    AxilBus(dut, regmap=REGMAP)  # drives the idle register bus
    sb = await run_stream(dut, ViterbiStimulus(), n_random=4 if ICARUS else 40, backpressure=True)
    dut._log.info("viterbi_csr stream mode: %d frames bit-exact", sb.compared)


@cocotb.test()
async def test_csr(dut):
    regs = AxilBus(dut, regmap=REGMAP)
    tb = AxisTB(dut)
    await tb.reset()

    await regs.csr_test(tb.rng, settle_clocks=20)
    p = tb_params()
    assert REGMAP.reg("PARAMS").decode(await regs.read("PARAMS")) == {
        "SOFT_W": p.get("SOFT_W", 6), "TB_LEN": p.get("TB_LEN", 64)}
    assert await regs.read("DOUT") == 0, "DOUT with an empty FIFO"


@cocotb.test()
async def test_bus_frames(dut):
    regs = AxilBus(dut, regmap=REGMAP)
    tb = AxisTB(dut)
    await tb.reset()
    stim = ViterbiStimulus()
    await regs.write("CTRL", CTRL.encode(BUS_MODE=1))
    await regs.write("IRQ_ENABLE", REGMAP.reg("IRQ_ENABLE").encode(FRAME_DONE=1))
    frames = [_with_expected(stim, f) for f in
              stim.directed()[::10 if ICARUS else 3] + [stim.frame(tb.rng) for _ in range(1 if ICARUS else 8)]]
    n_bits = n_steps = 0
    for frame, expected in frames:
        pairs = soft_pairs(frame, stim.w)
        got = await bus_decode(regs, pairs, bool(frame.tuser))
        assert got == expected, f"frame of {len(pairs)} steps differs (seed {seed()})"
        assert dut.irq.value
        await regs.write("IRQ_STATUS", IRQ_STATUS.encode(FRAME_DONE=1))
        n_bits += len(expected)
        n_steps += len(pairs)
    assert await regs.read("FRAMES") == len(frames)
    assert await regs.read("BITS") == n_bits and await regs.read("STEPS") == n_steps
    assert not dut.m_axis_tvalid.value and not dut.s_axis_tready.value
    dut._log.info("viterbi_csr bus mode: %d frames, %d bits bit-exact (%d with errors)",
                  len(frames), n_bits, stim.frames_with_errors)


@cocotb.test()
async def test_fifo_full_stalls(dut):
    regs = AxilBus(dut, regmap=REGMAP)
    tb = AxisTB(dut)
    await tb.reset()
    stim = ViterbiStimulus()
    frame, expected = _with_expected(stim, stim.item(stim.tb + 110, "1/2", 4.0, True, np.random.default_rng(4)))
    pairs = soft_pairs(frame, stim.w)
    await regs.write("CTRL", CTRL.encode(BUS_MODE=1))
    k = 0
    # write without reading DOUT until a DIN write is held (the FIFO is full)
    while True:
        task = cocotb.start_soon(regs.write("DIN", din_word(*pairs[k], False, False)))
        await ClockCycles(dut.clk, 10)  # an unstalled write takes 3
        if not task.done():
            break
        k += 1
        assert k < len(pairs) - 1, "the FIFO never filled"
    status = REGMAP.reg("STATUS").decode(await regs.read("STATUS"))
    assert status["OUT_LEVEL"] == 64 and status["BUSY"] == 1
    bits = []
    while not task.done():
        got, _ = await pop(regs)
        bits += got
    bits += await drain(regs)
    bits += await bus_decode(regs, pairs, True, start=k + 1)
    assert bits == expected, f"steps lost or bits wrong after a stall (seed {seed()})"
    dut._log.info("viterbi_csr: DIN write held with the FIFO full after %d steps; frame exact", k + 1)


@cocotb.test()
async def test_abort(dut):
    regs = AxilBus(dut, regmap=REGMAP)
    tb = AxisTB(dut)
    await tb.reset()
    stim = ViterbiStimulus()
    await regs.write("CTRL", CTRL.encode(BUS_MODE=1))
    frame = stim.frame(tb.rng)
    for sa, sb in soft_pairs(frame, stim.w)[:-1][:20 if ICARUS else 100]:
        await regs.write("DIN", din_word(sa, sb, False, False))
    await regs.write("CTRL", CTRL.encode(BUS_MODE=1, ABORT=1))
    await RisingEdge(dut.clk)
    assert await regs.read("DOUT") == 0 and REGMAP.reg("STATUS").decode(await regs.read("STATUS"))["BUSY"] == 0
    frame, expected = _with_expected(stim, stim.frame(tb.rng))
    assert await bus_decode(regs, soft_pairs(frame, stim.w), bool(frame.tuser)) == expected


@cocotb.test()
async def test_drivers(dut):
    regs = AxilBus(dut, regmap=REGMAP)
    tb = AxisTB(dut)
    await tb.reset()
    stim = ViterbiStimulus()
    cases = driver_cases.viterbi_cases(random.Random(tb.rng.getrandbits(32)), stim.w, stim.tb)
    bad = driver_cases.check(cases, await driver_cases.run_all(regs, cases))
    assert not bad, "\n".join(bad) + f" (seed {seed()})"
    dut._log.info("viterbi_csr: firmware driver, %d cases bit-exact on the RTL (%d reads, %d writes)",
                  len(cases), regs.reads, regs.writes)
