"""Testbench of rtl/viterbi_csr.sv (viterbi_dec behind its generated register
block) against mesh_phy.coding.viterbi.decode.

Testplan: rtl_verif/plans/viterbi_csr.yaml. Environment: ``ViterbiCsrEnv`` =
the shared ``RegStreamEnv`` (rtl_verif/tb/axil_bus.py) plus the bus-mode
scoreboard ``DoutScoreboard``: the trellis steps of a frame are collected
from the DIN writes the register monitor sees in bus mode (under their
strobes, as the block latches them), the golden decoder predicts the frame at
its LAST step, and the bits popped by DOUT reads (COUNT bits, LAST at the
frame end) are compared with it frame by frame; ABORT and reset drop what
was pending. Stream frames are predicted from the input monitor as in the
viterbi_dec testbench (its ``ViterbiStimulus``).

Speed (Icarus): the 64-state decoder runs at a few hundred clocks per second
there, so the random tests send fewer frames on Icarus; every covergroup
still closes on each simulator alone.
"""

import random

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, RisingEdge

from mesh_phy.coding import viterbi
from rtl_verif.regs.models.viterbi_csr import REGMAP
from rtl_verif.tb import driver_cases
from rtl_verif.tb.axil_bus import OKAY, RegStreamEnv, finish, strobe_mask
from rtl_verif.tb.axis_tb import (
    IDLE,
    STALL,
    coverage_closure,
    describe_diff,
    n_frames,
    reset_points,
    run_stream,
    seed,
    tb_param,
    unpack,
)
from rtl_verif.tb.test_viterbi_dec import ViterbiStimulus

CTRL, DIN, DOUT, IRQ_STATUS = (REGMAP.reg(n) for n in ("CTRL", "DIN", "DOUT", "IRQ_STATUS"))
IRQ_ENABLE = REGMAP.reg("IRQ_ENABLE")
POP = DOUT.field("BITS").width
DIN_RESERVED = 0xFFFFFFFF & ~sum(f.mask for f in DIN.fields)  # DIN bits no field holds (31:18): ignored
ICARUS = cocotb.SIM_NAME.lower().startswith("icarus")


def _signed(v: int, w: int) -> int:
    v &= (1 << w) - 1
    return v - (1 << w) if v >> (w - 1) else v


class DoutScoreboard:
    """Bus-mode frames: predicted from monitored DIN writes, compared with monitored DOUT reads."""

    def __init__(self, shadow, log):
        self.shadow, self.log = shadow, log
        self.w, self.tb = tb_param("SOFT_W"), tb_param("TB_LEN")
        self.expected = []  # predicted frames (bit lists), oldest first
        self.steps = []  # soft values of the frame being written
        self.got = []  # bits popped of the frame being read
        self.frames_in = self.compared = 0
        self.mismatches = []

    def reset(self):
        self.expected, self.steps, self.got = [], [], []

    def observe(self, t) -> None:
        r = REGMAP.at(t.word)
        if r is None or t.resp != OKAY:
            return
        if t.write and r is CTRL and t.data & strobe_mask(t.strb) & CTRL.field("ABORT").mask:
            self.reset()
        elif t.write and r is DIN and self.shadow.field("CTRL", "BUS_MODE"):
            d = DIN.decode(t.data & strobe_mask(t.strb))
            self.steps += [_signed(d["SA"], self.w), _signed(d["SB"], self.w)]
            if d["LAST"]:
                bits = viterbi.decode(np.array(self.steps, dtype=np.int64), "1/2", traceback=self.tb,
                                      soft_bits=self.w, terminated=bool(d["TERMINATED"]))
                self.expected.append((self.frames_in, len(self.steps) // 2, [int(b) for b in bits]))
                self.frames_in += 1
                self.steps = []
        elif not t.write and r is DOUT:
            d = DOUT.decode(t.data)
            self.got += [(d["BITS"] >> i) & 1 for i in range(d["COUNT"])]
            if d["LAST"]:
                self._compare()

    def _compare(self):
        got, self.got = self.got, []
        if not self.expected:
            self.mismatches.append(f"viterbi_csr DOUT: a frame of {len(got)} bits ended with none predicted")
            return
        k, n, exp = self.expected.pop(0)
        self.compared += 1
        if got != exp:
            msg = f"viterbi_csr bus frame {k} ({n} steps): {describe_diff(got, exp)}"
            self.mismatches.append(msg)
            if len(self.mismatches) <= 5:
                self.log.error("%s", msg)

    def report(self, min_compared: int = 0):
        msg = (f"viterbi_csr bus mode: {self.frames_in} frames written, {self.compared} compared, "
               f"{len(self.mismatches)} mismatching, {len(self.expected)} pending (SEED={seed()})")
        self.log.info(msg)
        if self.mismatches:
            raise AssertionError(f"{self.mismatches[0]} — {msg}")
        if self.compared < min_compared:
            raise AssertionError(f"{msg} — expected at least {min_compared} frames compared")


class ViterbiCsrEnv(RegStreamEnv):
    """The register environment plus the bus-mode (DIN -> DOUT) scoreboard."""

    def __init__(self, dut):
        super().__init__(dut, REGMAP)

    def _extra_agents(self):
        super()._extra_agents()
        self.bus_sb = DoutScoreboard(self.reg_sb.shadow, self.log)
        self.reg_mon.subscribe(self.bus_sb.observe)


def soft_pairs(frame, w: int) -> list:
    """(sa, sb) signed soft values of each beat of a ViterbiStimulus frame."""
    return [unpack(beat, w, 2) for beat in frame.tdata]


def din_word(sa: int, sb: int, last: bool, terminated: bool, reserved: int = 0) -> int:
    """A DIN word; ``reserved``: bits no field holds, which the block ignores."""
    word = DIN.encode(SA=sa & 0xFF, SB=sb & 0xFF, LAST=int(last), TERMINATED=int(terminated))
    return word | (reserved & DIN_RESERVED)


async def pop(env) -> tuple:
    """One DOUT read: (bit count, last)."""
    d = DOUT.decode(await env.regs.read("DOUT"))
    return d["COUNT"], d["LAST"]


async def drain(env) -> None:
    """DOUT reads until one returns fewer than 24 bits (mid-frame)."""
    while True:
        n, end = await pop(env)
        assert not end, f"a frame ended early (SEED={seed()})"
        if n < POP:
            return


async def bus_decode(env, pairs: list, terminated: bool, start: int = 0) -> None:
    """A frame (from step ``start``) through DIN/DOUT, reading DOUT every 24
    steps (the protocol), random ones in DIN's reserved bits (ignored: the
    scoreboard predicts from the fields); the bus-mode scoreboard checks the bits."""
    for k in range(start, len(pairs)):
        last = k == len(pairs) - 1
        await env.regs.write("DIN", din_word(*pairs[k], last, terminated and last, env.rng.getrandbits(32)))
        if (k + 1 - start) % POP == 0:
            await drain(env)
    for _ in range(1000):
        if (await pop(env))[1]:
            return
    raise AssertionError(f"frame end never came out of DOUT (SEED={seed()})")


@cocotb.test()
async def test_noiseless(dut):
    await run_stream(dut, ViterbiStimulus(), n_random=0, directed=True, env=ViterbiCsrEnv)


@cocotb.test()
@cocotb.parametrize(src_idle=IDLE, sink_stall=STALL)
async def test_random_frames(dut, src_idle, sink_stall):
    await run_stream(dut, ViterbiStimulus(), n_random=n_frames(6 if ICARUS else 10), src_idle=src_idle,
                     sink_stall=sink_stall, env=ViterbiCsrEnv)


@cocotb.test()
async def test_noisy_frames(dut):
    """Stream mode at Eb/N0 -2 ... 0 dB: random frames of TB_LEN to 2 TB_LEN
    steps and one of 512 steps (4 TB_LEN on Icarus), with decoding errors
    matched bit for bit; the long frame's path metrics grow into their top bits
    and wrap (the compare is modular) at either soft width."""
    env = await ViterbiCsrEnv.started(dut)
    stim = ViterbiStimulus(ebn0_choices=(-2.0, -1.0, 0.0), lens=("equal", "longer"))
    sb = env.attach(stim)
    nprng = np.random.default_rng(env.rng.getrandbits(32))
    frames = [stim.frame(env.rng) for _ in range(n_frames(2 if ICARUS else 6))]
    frames.append(stim.item(4 * stim.tb if ICARUS else 512, "1/2", -2.0, True, nprng))
    try:
        for f in frames:
            await env.source.send(f)
        await env.drain(4 * sum(len(f.tdata) for f in frames) + 2000)
        env.stop_checking()
        sb.report(min_compared=len(frames))
        assert stim.frames_with_errors >= 1, f"no frame with decoding errors of {stim.frames_noisy} (SEED={seed()})"
    finally:
        await finish(env)


@cocotb.test()
async def test_reset_points(dut):
    await reset_points(dut, ViterbiStimulus(lens=("shorter",)), n_random=2, env=ViterbiCsrEnv)


@cocotb.test()
async def test_csr(dut):
    """The generated CSR test (DIN/DOUT are external: DIN answers at once in
    stream mode, DOUT reads 0 with an empty FIFO and ignores writes), PARAMS,
    every register read, half-word writes, and CTRL bytes 1..3 written with
    ones (no pulse)."""
    env = await ViterbiCsrEnv.started(dut)
    try:
        await env.regs.csr_test(env.rng, settle_clocks=20)
        assert REGMAP.reg("PARAMS").decode(await env.regs.read("PARAMS")) == {
            "SOFT_W": tb_param("SOFT_W"), "TB_LEN": tb_param("TB_LEN")}
        assert await env.regs.read("DOUT") == 0, "DOUT with an empty FIFO"
        assert await env.regs.write_resp(REGMAP.addr("DOUT"), b"\xff" * 4) == OKAY  # read-only: ignored
        assert await env.regs.read("DOUT") == 0 and await env.regs.read("STATUS") == 0, "a DOUT write had an effect"
        for r in REGMAP.regs:
            await env.regs.read(r.name)
        for lane in (0, 2):
            assert await env.regs.write_resp(REGMAP.addr("IRQ_ENABLE") + lane, env.rng.randbytes(2)) == OKAY
            await env.regs.read("IRQ_ENABLE")
            assert await env.regs.write_resp(REGMAP.addr("CTRL") + lane, bytes([0, 0])) == OKAY
        await env.regs.write("CTRL", 0)
        stim = ViterbiStimulus()
        await run_bus_frames(env, [stim.item(12, "1/2", None, True, np.random.default_rng(3))])
        n = await env.regs.read("FRAMES")
        for lane in (1, 2, 3):
            assert await env.regs.write_resp(REGMAP.addr("CTRL") + lane, b"\xff") == OKAY
        assert await env.regs.read("FRAMES") == n == 1, "a CTRL write without lane 0 cleared the counters"
        await env.regs.write("CTRL", CTRL.encode(CLR_COUNTERS=1))
        assert await env.regs.read("FRAMES") == 0
    finally:
        await finish(env)


async def run_bus_frames(env, frames) -> None:
    """Frames through DIN/DOUT in bus mode (the bus-mode scoreboard checks them)."""
    await env.regs.write("CTRL", CTRL.encode(BUS_MODE=1))
    for frame in frames:
        await bus_decode(env, soft_pairs(frame, env.bus_sb.w), bool(frame.tuser))


@cocotb.test()
async def test_bus_frames(dut):
    """Bus mode: frames step by step through DIN, bits popped from DOUT (24 at
    a time, never across a frame end); FRAMES, BITS and STEPS counters;
    FRAME_DONE set while masked (irq low), then enabled (irq high), W1C."""
    env = await ViterbiCsrEnv.started(dut)
    stim = ViterbiStimulus()
    frames = stim.directed()[::6 if ICARUS else 2] + [stim.frame(env.rng) for _ in range(1 if ICARUS else 6)]
    try:
        await run_bus_frames(env, frames[:1])
        assert IRQ_STATUS.decode(await env.regs.read("IRQ_STATUS"))["FRAME_DONE"] == 1
        assert not dut.irq.value, "irq with FRAME_DONE masked"
        await env.regs.write("IRQ_ENABLE", IRQ_ENABLE.encode(FRAME_DONE=1))
        await RisingEdge(dut.clk)
        assert dut.irq.value, "enabled FRAME_DONE does not raise irq"
        await env.regs.write("IRQ_STATUS", IRQ_STATUS.encode(FRAME_DONE=1))
        for frame in frames[1:]:
            await run_bus_frames(env, [frame])
            assert dut.irq.value
            await env.regs.read("IRQ_STATUS")  # the irq check: set and enabled -> pin high
            await env.regs.write("IRQ_STATUS", IRQ_STATUS.encode(FRAME_DONE=1))
            await RisingEdge(dut.clk)
            assert not dut.irq.value
        n_steps = sum(len(f.tdata) for f in frames)
        assert await env.regs.read("FRAMES") == len(frames)
        assert await env.regs.read("STEPS") == n_steps and await env.regs.read("BITS") == n_steps
        assert not dut.m_axis_tvalid.value and not dut.s_axis_tready.value
        dut._log.info("viterbi_csr bus mode: %d frames, %d bits bit-exact", len(frames), n_steps)
    finally:
        await finish(env, min_bus=len(frames))


@cocotb.test()
async def test_bus_short_frames(dut):
    """Bus mode: 7-step frames back to back (terminated or not, clean or
    noisy), one DOUT read each; 7 is prime to the FIFO's 64 entries, so 64
    consecutive frames end once on every entry (a frame end at each FIFO index,
    later overwritten by a bit that is no frame end)."""
    env = await ViterbiCsrEnv.started(dut)
    stim = ViterbiStimulus()
    nprng = np.random.default_rng(env.rng.getrandbits(32))
    n = 12 if ICARUS else 70
    frames = [stim.item(7, "1/2", (None, 3.0)[k % 2], k % 3 == 0, nprng) for k in range(n)]
    try:
        await run_bus_frames(env, frames)
        assert await env.regs.read("FRAMES") == n and await env.regs.read("BITS") == 7 * n
    finally:
        await finish(env, min_bus=n)


@cocotb.test()
async def test_fifo_full_stalls(dut):
    """Without DOUT reads the 64-bit FIFO fills, the decoder stalls and a DIN
    write waits for its response instead of losing a step; draining DOUT
    releases it and the frame is still exact."""
    env = await ViterbiCsrEnv.started(dut)
    stim = ViterbiStimulus()
    frame = stim.item(stim.tb + 110, "1/2", 4.0, True, np.random.default_rng(4))
    pairs = soft_pairs(frame, stim.w)
    await env.regs.write("CTRL", CTRL.encode(BUS_MODE=1))
    k = 0
    try:
        while True:  # write without reading DOUT until a DIN write is held (the FIFO is full)
            task = cocotb.start_soon(env.regs.write("DIN", din_word(*pairs[k], False, False)))
            await ClockCycles(dut.clk, 10)  # an unstalled write takes 3
            if not task.done():
                break
            k += 1
            assert k < len(pairs) - 1, "the FIFO never filled"
        status = REGMAP.reg("STATUS").decode(await env.regs.read("STATUS"))
        assert status["OUT_LEVEL"] == 64 and status["BUSY"] == 1
        while not task.done():
            await pop(env)
        await drain(env)
        await bus_decode(env, pairs, True, start=k + 1)
        dut._log.info("viterbi_csr: DIN write held with the FIFO full after %d steps; frame exact", k + 1)
    finally:
        await finish(env, min_bus=1)


@cocotb.test()
async def test_abort(dut):
    """ABORT mid-frame empties the FIFO and resets the decoder; the next frame is exact."""
    env = await ViterbiCsrEnv.started(dut)
    stim = ViterbiStimulus()
    await env.regs.write("CTRL", CTRL.encode(BUS_MODE=1))
    frame = stim.frame(env.rng)
    try:
        for sa, sb in soft_pairs(frame, stim.w)[:-1][:20 if ICARUS else 100]:
            await env.regs.write("DIN", din_word(sa, sb, False, False))
        await env.regs.write("CTRL", CTRL.encode(BUS_MODE=1, ABORT=1))
        await RisingEdge(dut.clk)
        assert await env.regs.read("DOUT") == 0 and REGMAP.reg("STATUS").decode(await env.regs.read("STATUS"))[
            "BUSY"] == 0
        frame = stim.frame(env.rng)
        await bus_decode(env, soft_pairs(frame, stim.w), bool(frame.tuser))
    finally:
        await finish(env, min_bus=1)


@cocotb.test()
async def test_drivers(dut):
    """The firmware driver (firmware_models/drivers/viterbi.py) on the RTL: the
    same cases and runner as under MicroPython on the device model."""
    env = await ViterbiCsrEnv.started(dut)
    stim = ViterbiStimulus()
    cases = driver_cases.viterbi_cases(random.Random(env.rng.getrandbits(32)), stim.w, stim.tb)
    try:
        bad = driver_cases.check(cases, await driver_cases.run_all(env.regs, cases))
        assert not bad, "\n".join(bad) + f" (SEED={seed()})"
        dut._log.info("viterbi_csr: firmware driver, %d cases bit-exact on the RTL (%d reads, %d writes)",
                      len(cases), env.regs.reads, env.regs.writes)
    finally:
        await finish(env)


@cocotb.test()
async def test_coverage_closure(dut):
    coverage_closure(dut)
