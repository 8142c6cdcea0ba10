"""Shared testbench structure for AXI4-Stream blocks.

``AxisTB`` owns the clock, the reset and the cocotbext-axi source and sink;
``Scoreboard`` compares every received frame with the golden model's and
counts what it compared; ``run_stream`` is the common test body (directed,
constrained-random, back-pressure, reset mid-traffic) that every block's tests
call with a block-specific ``Stimulus``.

Seeds: cocotb's ``COCOTB_RANDOM_SEED`` (set by ``SEED=`` through the runner)
seeds every random choice; failures print it with the command to reproduce.
"""

import json
import logging
import os
import random
from collections import deque

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource

CLK_NS = 10


def tb_params() -> dict:
    """The HDL parameters the runner built this simulation with."""
    return json.loads(os.environ.get("TB_PARAMS", "{}"))


def seed() -> int:
    """The regression seed (``SEED=`` / ``COCOTB_RANDOM_SEED``) that reproduces the run.

    cocotb derives each test's own seed from it and the test name, and seeds
    ``random`` with that at the start of the test; our generators draw from it.
    """
    return int(os.environ.get("COCOTB_RANDOM_SEED", cocotb.RANDOM_SEED))


def n_frames(default: int) -> int:
    """Random frame count; ``TB_FRAMES`` overrides it (e.g. for a soak run)."""
    return int(os.environ.get("TB_FRAMES", default))


class Scoreboard:
    """Compares received items with expected ones, in order, and counts them."""

    def __init__(self, name: str, log):
        self.name = name
        self.log = log
        self.expected = deque()
        self.compared = 0
        self.mismatches = []

    def expect(self, item, note=""):
        self.expected.append((item, note))

    def check(self, got):
        if not self.expected:
            self.mismatches.append(("unexpected output", got))
            self.log.error("%s: output with nothing expected: %r", self.name, got)
            return
        exp, note = self.expected.popleft()
        self.compared += 1
        if got != exp:
            self.mismatches.append((note, got, exp))
            if len(self.mismatches) <= 5:
                self.log.error("%s mismatch (%s):\n  got %r\n  exp %r", self.name, note, got, exp)

    def flush(self):
        """Forget what was expected (after a reset dropped it)."""
        self.expected.clear()

    def report(self, min_compared: int = 1):
        msg = (f"{self.name}: compared {self.compared}, mismatches {len(self.mismatches)}, "
               f"pending {len(self.expected)} (seed {seed()}; rerun with SEED={seed()})")
        self.log.info(msg)
        assert not self.mismatches, msg
        assert not self.expected, msg
        assert self.compared >= min_compared, msg + f" — expected at least {min_compared}"


def start_in_reset(dut):
    """Assert rst, then start the clock low. Call after creating the AXI
    agents: they only notice reset edges, and until reset the DUT's outputs are
    X, which cocotb 2 refuses to read as a bool (Icarus shows it)."""
    dut.rst.value = 1
    cocotb.start_soon(Clock(dut.clk, CLK_NS, unit="ns").start(start_high=False))


def _lanes(dut, prefix) -> dict:
    # Without tkeep the whole tdata is one lane; cocotbext-axi would otherwise
    # assume 8-bit lanes and divide a narrower bus into zero of them.
    return {} if hasattr(dut, f"{prefix}_tkeep") else {"byte_lanes": 1}


class AxisTB:
    """Clock, reset, AXI-Stream source and sink around a DUT with s_axis/m_axis ports."""

    def __init__(self, dut):
        self.dut = dut
        self.log = dut._log
        self.rng = random.Random(random.getrandbits(64))  # per-test seed from cocotb
        self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.clk, dut.rst,
                                      **_lanes(dut, "s_axis"))
        self.sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), dut.clk, dut.rst,
                                  **_lanes(dut, "m_axis"))
        for side in (self.source, self.sink):
            side.log.setLevel(logging.WARNING)  # one line per frame drowns the log
        start_in_reset(dut)

    async def reset(self, cycles: int = 3):
        """Hold rst for ``cycles`` clocks. Frames queued in the source or sink
        are dropped while reset is held (cocotbext-axi keeps its queues across a
        reset, and a test that resets mid-traffic wants them gone)."""
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, cycles)
        self.source.clear()
        self.sink.clear()
        self.dut.rst.value = 0
        await RisingEdge(self.dut.clk)

    def set_backpressure(self, enable: bool, p_stall: float = 0.3):
        """Random stalls on both sides: tready low on the sink, tvalid gaps on the source."""
        def gen(p):
            rng = random.Random(self.rng.getrandbits(32))
            while True:
                yield rng.random() < p
        if enable:
            self.sink.set_pause_generator(gen(p_stall))
            self.source.set_pause_generator(gen(p_stall / 2))
        else:
            self.sink.clear_pause_generator()
            self.source.clear_pause_generator()


class HandshakeLog:
    """Counts clocks and records the clock of every accepted input beat and
    every output beat, for latency and throughput measurements."""

    def __init__(self, dut):
        self.cycle = 0
        self.loads: list = []
        self.outs: list = []
        self._task = cocotb.start_soon(self._run(dut))

    async def _run(self, dut):
        while True:
            await RisingEdge(dut.clk)
            self.cycle += 1
            if dut.s_axis_tvalid.value and dut.s_axis_tready.value:
                self.loads.append(self.cycle)
            if dut.m_axis_tvalid.value and dut.m_axis_tready.value:
                self.outs.append(self.cycle)

    def stop(self):
        self._task.cancel()


class Stimulus:
    """What a block test supplies: frames to send, and the golden expectation.

    ``frame(rng)`` returns ``(AxiStreamFrame, expected)``; ``received(frame)``
    turns a received AxiStreamFrame into the same form as ``expected``.
    """

    def directed(self):
        return []

    def frame(self, rng):
        raise NotImplementedError

    def received(self, rx):
        return list(rx.tdata)


async def _monitor(tb: AxisTB, sb: Scoreboard, stim: Stimulus):
    while True:
        rx = await tb.sink.recv()
        sb.check(stim.received(rx))


async def _drain(tb: AxisTB, sb: Scoreboard, timeout_cycles: int):
    for _ in range(timeout_cycles):
        if not sb.expected:
            return
        await RisingEdge(tb.dut.clk)
    raise AssertionError(f"{sb.name}: {len(sb.expected)} frames still pending after "
                         f"{timeout_cycles} cycles (seed {seed()})")


async def run_stream(dut, stim: Stimulus, *, n_random: int, backpressure: bool,
                     reset_midway: bool = False, directed: bool = False):
    """Send frames through the DUT and compare every output frame.

    With ``reset_midway`` a reset is pulsed while frames are in flight; what was
    in flight is discarded, then a second batch must come out exactly right,
    proving the reset returns every register to its start state.
    """
    tb = AxisTB(dut)
    await tb.reset()
    sb = Scoreboard(dut._name, tb.log)
    tb.set_backpressure(backpressure)
    mon = cocotb.start_soon(_monitor(tb, sb, stim))

    items = list(stim.directed()) if directed else []
    items += [stim.frame(tb.rng) for _ in range(n_random)]

    if reset_midway:
        # Frames that complete before the reset are checked as usual; the
        # reset drops the rest (source queue, partial frames in the DUT).
        for frame, exp in items:
            sb.expect(exp)
            await tb.source.send(frame)
        await ClockCycles(dut.clk, tb.rng.randint(20, 200))
        mon.cancel()
        await tb.reset()
        sb.flush()
        await ClockCycles(dut.clk, 5)
        assert tb.source.empty() and tb.sink.empty()
        assert not tb.dut.m_axis_tvalid.value, "m_axis_tvalid high after reset"
        mon = cocotb.start_soon(_monitor(tb, sb, stim))
        items = [stim.frame(tb.rng) for _ in range(n_random)]

    for frame, exp in items:
        sb.expect(exp)
        await tb.source.send(frame)
    # A stalled DUT must fail, not hang: allow 4 clocks per beat sent (random
    # stalls on both sides cost about 1.6) plus pipeline latency.
    beats = sum(len(frame.tdata) for frame, _ in items)
    await _drain(tb, sb, 4 * beats + 2000)
    mon.cancel()
    sb.report(min_compared=len(items))
    return sb


def make_frame(tdata, tuser=None, tkeep=None) -> AxiStreamFrame:
    return AxiStreamFrame(tdata=list(tdata), tuser=tuser, tkeep=tkeep)
