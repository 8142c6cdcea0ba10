"""Shared testbench environment for AXI4-Stream blocks.

* ``AxisTB`` — clock, reset, cocotbext-axi source and sink (the drivers);
* ``StreamEnv`` — ``AxisTB`` plus an ``AxiStreamMonitor`` on each bus: the
  scoreboard's expectation is predicted from what the *input monitor* saw
  accepted, the comparison is against what the *output monitor* saw, and the
  functional coverage (:mod:`rtl_verif.tb.fcov`) is sampled from both;
* ``Scoreboard`` — in-order comparison whose failure message names the frame
  (index, length, tuser, seed), the first differing beat and bits in hex, a
  length mismatch and a detected shift;
* ``run_stream`` (directed / random frames under a source-idle and
  sink-stall setting), ``reset_points`` (reset before, inside the input and
  inside the output of a frame) and ``coverage_closure`` (the plan's goal) —
  the test bodies every block's testbench calls with its ``Stimulus``;
* ``pack`` / ``unpack`` — the one beat-packing helper (fields LSB first);
* ``HandshakeWaits`` — clocks each beat's ``tvalid`` waited for ``tready``
  (back-pressure coverage of blocks whose beats are never back to back).

Blocks with an AXI4-Lite register port use ``RegStreamEnv`` from the sibling
:mod:`rtl_verif.tb.axil_bus` (pass ``env=`` to ``run_stream`` /
``reset_points``).

Seeds: cocotb's ``COCOTB_RANDOM_SEED`` (set by ``SEED=`` through the runner)
seeds every random choice; failures print it with the command to reproduce.
"""

import json
import logging
import os
import random
from collections import deque
from typing import NamedTuple

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamMonitor, AxiStreamSink, AxiStreamSource

from rtl_verif.tb import fcov

CLK_NS = 10
IDLE = (0.0, 0.3)  # source idle probabilities (tvalid gaps) the stream tests are parametrised over
STALL = (0.0, 0.4)  # sink stall probabilities (tready low)


def tb_params() -> dict:
    """The HDL parameters the runner built this simulation with."""
    return json.loads(os.environ.get("TB_PARAMS", "{}"))


def tb_param(name: str) -> int:
    """One HDL parameter of this build. Its value comes from the block's
    parameter set in rtl_verif/blocks.py only (no testbench-side default that
    could drift from the registry); a missing one is an error saying so."""
    p = tb_params()
    if name not in p:
        raise RuntimeError(f"HDL parameter {name} is not in TB_PARAMS ({sorted(p)}): give it in the block's "
                           "param_sets in rtl_verif/blocks.py (run through `make sim`, which passes them)")
    return p[name]


def seed() -> int:
    """The regression seed (``SEED=`` / ``COCOTB_RANDOM_SEED``) that reproduces the run.

    cocotb derives each test's own seed from it and the test name, and seeds
    ``random`` with that at the start of the test; our generators draw from it.
    """
    env = os.environ.get("COCOTB_RANDOM_SEED")
    return int(env) if env else int(cocotb.RANDOM_SEED)


def n_frames(default: int) -> int:
    """Random frame count; ``TB_FRAMES`` overrides it (e.g. for a soak run)."""
    return int(os.environ.get("TB_FRAMES") or default)  # `make sim` exports an empty TB_FRAMES


def pack(fields, width: int) -> int:
    """Fields (ints, two's complement allowed) into one word, field 0 in the
    least significant ``width`` bits — e.g. ``pack((re, im), 16)`` = {im, re}."""
    mask = (1 << width) - 1
    word = 0
    for k, v in enumerate(fields):
        word |= (int(v) & mask) << (width * k)
    return word


def unpack(word: int, width: int, count: int, signed: bool = True) -> tuple:
    """Inverse of :func:`pack`: ``count`` fields of ``width`` bits, field 0 first."""
    mask, half = (1 << width) - 1, 1 << (width - 1)
    vals = [(int(word) >> (width * k)) & mask for k in range(count)]
    return tuple(((v + half) & mask) - half for v in vals) if signed else tuple(vals)


# --------------------------------------------------------------------------- scoreboard

class FrameNote(NamedTuple):
    """Where an expected frame came from, for failure messages."""
    index: int  # input frame number in this test (0-based, counting from the last reset)
    beats: int  # input beats
    tuser: object

    def __str__(self):
        tu = "" if self.tuser in (None, [], 0) else f", tuser {self.tuser!r}"
        return f"frame {self.index} ({self.beats} input beats{tu})"


def _hex(v) -> str:
    return f"0x{v:x}" if isinstance(v, int) and not isinstance(v, bool) else repr(v)


def _shift(got: list, exp: list, max_shift: int = 8) -> str:
    """'output late/early by k beats' when a shifted copy matches (≥ 4 beats and half the frame)."""
    for k in range(1, max_shift + 1):
        n = min(len(got) - k, len(exp))
        if n >= max(4, len(exp) // 2) and got[k:k + n] == exp[:n]:
            return f"output delayed by {k} beat(s): got[{k}:] matches expected[0:]"
        n = min(len(got), len(exp) - k)
        if n >= max(4, len(exp) // 2) and got[:n] == exp[k:k + n]:
            return f"output early by {k} beat(s): got[0:] matches expected[{k}:] (first {k} missing)"
    return ""


def describe_diff(got, exp) -> str:
    """One line: how ``got`` differs from ``exp`` (lists of beats, or tuples of such parts)."""
    if isinstance(exp, tuple) and isinstance(got, tuple) and len(got) == len(exp):
        for i, (g, e) in enumerate(zip(got, exp, strict=True)):
            if g != e:
                return f"part {i}: " + describe_diff(g, e)
        return "equal"
    if not (isinstance(got, list) and isinstance(exp, list)):
        return f"got {_hex(got)}, expected {_hex(exp)}"
    parts = []
    if len(got) != len(exp):
        parts.append(f"length {len(got)} beats, expected {len(exp)}")
    n = min(len(got), len(exp))
    first = next((i for i in range(n) if got[i] != exp[i]), None)
    if first is not None:
        g, e = got[first], exp[first]
        if isinstance(g, int) and isinstance(e, int):
            x = g ^ e
            bits = [b for b in range(max(x.bit_length(), 1)) if x >> b & 1]
            parts.append(f"first difference at beat {first}: got 0x{g:x}, expected 0x{e:x}, "
                         f"xor 0x{x:x} (bit{'s' if len(bits) > 1 else ''} {','.join(map(str, bits[:8]))}"
                         f"{'...' if len(bits) > 8 else ''})")
        else:
            parts.append(f"first difference at beat {first}: got {g!r}, expected {e!r}")
        parts.append(f"{sum(got[i] != exp[i] for i in range(n))} of {n} beats differ")
    elif len(got) != len(exp):
        longer, which = (got, "extra") if len(got) > len(exp) else (exp, "missing")
        parts.append(f"first {n} beats equal; {which} from beat {n}: "
                     f"{', '.join(_hex(v) for v in longer[n:n + 4])}{'...' if len(longer) > n + 4 else ''}")
    shift = _shift(got, exp)
    if shift:
        parts.append(shift)
    return "; ".join(parts)


class Scoreboard:
    """Compares received items with expected ones, in order, and counts them.

    Failure messages (the log and the assertion, hence the JUnit message) say
    which frame, how it differs and the seed to reproduce it.
    """

    def __init__(self, name: str, log):
        self.name = name
        self.log = log
        self.expected = deque()
        self.compared = 0
        self.mismatches = []  # one line per mismatch
        self.last_got = None  # the last item received (e.g. to check a register holding the latest result)

    def expect(self, item, note=""):
        self.expected.append((item, note))

    def check(self, got):
        self.last_got = got
        if not self.expected:
            msg = f"{self.name}: output frame {self.compared + len(self.mismatches)} with nothing expected " \
                  f"({describe_diff(got, []) if isinstance(got, list) else _hex(got)})"
            self.mismatches.append(msg)
            self.log.error(msg)
            return
        exp, note = self.expected.popleft()
        self.compared += 1
        if got != exp:
            msg = f"{self.name} {note or f'frame {self.compared - 1}'}: {describe_diff(got, exp)}"
            self.mismatches.append(msg)
            if len(self.mismatches) <= 5:
                self.log.error("%s", msg)

    def flush(self):
        """Forget what was expected (after a reset dropped it)."""
        self.expected.clear()

    def report(self, min_compared: int = 1):
        s = seed()
        msg = (f"{self.name}: compared {self.compared} frames, {len(self.mismatches)} mismatching, "
               f"{len(self.expected)} pending (SEED={s})")
        self.log.info(msg)
        if self.mismatches:
            raise AssertionError(f"{self.mismatches[0]} — {msg}"
                                 + (f"; {len(self.mismatches) - 1} more mismatches in the log"
                                    if len(self.mismatches) > 1 else ""))
        if self.expected:
            item, note = self.expected[0]
            raise AssertionError(f"{self.name}: no output for {note or 'a frame'} "
                                 f"(expected {len(item) if isinstance(item, list) else '?'} beats) — {msg}")
        if self.compared < min_compared:
            raise AssertionError(f"{msg} — expected at least {min_compared}")


# --------------------------------------------------------------------------- environment

def start_in_reset(dut, impl: str | None = None):
    """Assert rst, then start the clock low. Call after creating the AXI
    agents: they only notice reset edges, and until reset the DUT's outputs are
    X, which cocotb 2 refuses to read as a bool (Icarus shows it). ``impl``:
    cocotb's clock implementation ("gpi": toggled by the simulator interface,
    not a Python coroutine; the SoC's millions of clocks need it)."""
    dut.rst.value = 1
    cocotb.start_soon(Clock(dut.clk, CLK_NS, unit="ns", impl=impl).start(start_high=False))


def _lanes(dut, prefix) -> dict:
    # Without tkeep the whole tdata is one lane; cocotbext-axi would otherwise
    # assume 8-bit lanes and divide a narrower bus into zero of them.
    return {} if hasattr(dut, f"{prefix}_tkeep") else {"byte_lanes": 1}


def _bus(dut, prefix):
    return AxiStreamBus.from_prefix(dut, prefix)


class AxisTB:
    """Clock, reset, AXI-Stream source and sink around a DUT with s_axis/m_axis ports."""

    def __init__(self, dut):
        self.dut = dut
        self.log = dut._log
        self.rng = random.Random(random.getrandbits(64))  # per-test seed from cocotb
        self.source = AxiStreamSource(_bus(dut, "s_axis"), dut.clk, dut.rst, **_lanes(dut, "s_axis"))
        self.sink = AxiStreamSink(_bus(dut, "m_axis"), dut.clk, dut.rst, **_lanes(dut, "m_axis"))
        for side in (self.source, self.sink):
            side.log.setLevel(logging.WARNING)  # one line per frame drowns the log
        self._extra_agents()
        start_in_reset(dut)

    def _extra_agents(self):
        pass

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

    def set_flow(self, src_idle: float, sink_stall: float):
        """Random tvalid gaps on the source (probability ``src_idle`` per clock)
        and tready stalls on the sink (``sink_stall``); 0 switches either off."""
        def gen(p):
            rng = random.Random(self.rng.getrandbits(32))
            while True:
                yield rng.random() < p
        for agent, p in ((self.source, src_idle), (self.sink, sink_stall)):
            if p > 0:
                agent.set_pause_generator(gen(p))
            else:
                agent.clear_pause_generator()

    def set_backpressure(self, enable: bool, p_stall: float = 0.3):
        """Random stalls on both sides: tready low on the sink, tvalid gaps on the source."""
        self.set_flow(p_stall / 2 if enable else 0.0, p_stall if enable else 0.0)


def _cycles(frame) -> int:
    """Clocks from a monitored frame's first to its last beat (inclusive);
    the monitor stamps frames in simulator steps."""
    t0, t1 = getattr(frame, "sim_time_start", None), getattr(frame, "sim_time_end", None)
    if t0 is None or t1 is None:
        return len(frame.tdata)
    return int(round((t1 - t0) / _steps_per_clock())) + 1


_STEPS = []


def _steps_per_clock() -> float:
    if not _STEPS:
        from cocotb.utils import get_sim_steps
        _STEPS.append(get_sim_steps(CLK_NS, "ns"))
    return _STEPS[0]


class Txn(NamedTuple):
    """A monitored frame with what coverage needs: beats, clocks spanned, tuser."""
    frame: object  # AxiStreamFrame as the monitor saw it
    beats: int
    cycles: int
    side: str  # "in" | "out"

    @property
    def gaps(self) -> str:
        """'none' when the frame moved one beat per clock, else 'gaps' (stalls or idles)."""
        return "gaps" if self.cycles > self.beats else "none"

    @property
    def tuser(self):
        tu = self.frame.tuser
        if isinstance(tu, list):
            return tu[0] if tu and len(set(tu)) == 1 else (tuple(tu) if tu else None)
        return tu


def first_user(rx):
    """tuser of a monitored frame's first beat (the monitor compacts a constant tuser to one int)."""
    tu = rx.tuser
    return (tu[0] if tu else None) if isinstance(tu, list) else tu


def len_cover(edges, group="cg_frame"):
    """The usual frame-length coverpoint of input frames (beats) and its cross with input gaps."""
    point = fcov.Point(f"{group}.len", lambda t: fcov.len_bin(t.beats, edges) if t.side == "in" else None,
                       fcov.len_bins(edges))
    ignore = [(fcov.len_bins(edges)[0], None)] if edges[0] == 1 and edges[1] == 2 else []
    return point, (f"{group}.len_x_in_gaps", (f"{group}.len", "cg_flow.in_gaps"), ignore)


def _txn(frame, side) -> Txn:
    return Txn(frame, len(frame.tdata), _cycles(frame), side)


RESET_POINTS = ("idle", "mid_input", "output_pending")
FLOW_POINTS = (
    fcov.Point("cg_flow.in_gaps", lambda t: t.gaps if t.side == "in" and t.beats > 1 else None, ("none", "gaps")),
    fcov.Point("cg_flow.out_gaps", lambda t: t.gaps if t.side == "out" and t.beats > 1 else None, ("none", "gaps")),
)


class StreamEnv(AxisTB):
    """``AxisTB`` plus input and output ``AxiStreamMonitor``, the coverage
    samplers and the scoreboard plumbing (prediction from the input monitor)."""

    def _extra_agents(self):
        dut = self.dut
        self.in_mon = AxiStreamMonitor(_bus(dut, "s_axis"), dut.clk, dut.rst, **_lanes(dut, "s_axis"))
        self.out_mon = AxiStreamMonitor(_bus(dut, "m_axis"), dut.clk, dut.rst, **_lanes(dut, "m_axis"))
        for m in (self.in_mon, self.out_mon):
            m.log.setLevel(logging.WARNING)

    def attach(self, stim: "Stimulus"):
        block = self.dut._name
        self.stim = stim
        self.sb = Scoreboard(block, self.log)
        self.sample = fcov.Sampler(block, FLOW_POINTS + tuple(stim.cover_points()), stim.cover_crosses())
        self.sample_reset = fcov.Sampler(block, (fcov.Point("cg_reset.point", lambda p: p, RESET_POINTS),))
        self.n_in = 0
        self._tasks = []
        self.start_checking()
        return self.sb

    def start_checking(self):
        self._tasks = [cocotb.start_soon(self._predict()), cocotb.start_soon(self._compare()),
                       cocotb.start_soon(self._no_unknown_output())]

    async def _no_unknown_output(self):
        """Fail, saying where, on an output beat whose tdata holds X or Z.
        Sampled at the falling edge, half a clock before the sink takes the
        beat, so this message comes first instead of the sink's bare
        "Cannot convert Logic('X') to int"."""
        dut, frame, beat = self.dut, 0, 0
        while True:
            await FallingEdge(dut.clk)
            if not (dut.m_axis_tvalid.value.is_resolvable and dut.m_axis_tvalid.value == 1
                    and dut.m_axis_tready.value.is_resolvable and dut.m_axis_tready.value == 1):
                continue
            data = dut.m_axis_tdata.value
            if not data.is_resolvable:
                raise AssertionError(f"{dut._name} output frame {frame} beat {beat}: tdata is {data} "
                                     f"(X/Z bits; SEED={seed()})")
            beat += 1
            last = getattr(dut, "m_axis_tlast", None)
            if last is not None and last.value.is_resolvable and last.value == 1:
                frame, beat = frame + 1, 0

    def stop_checking(self):
        for t in self._tasks:
            t.cancel()
        self._tasks = []

    def final_checks(self):
        """End-of-test checks of agents beyond the stream scoreboard (none
        here; ``RegStreamEnv`` checks its register scoreboard)."""

    async def _predict(self):
        while True:
            rx = await self.in_mon.recv()
            t = _txn(rx, "in")
            self.sample(t)
            self.sb.expect(self.stim.predict(rx), FrameNote(self.n_in, t.beats, t.tuser))
            self.n_in += 1

    async def _compare(self):
        while True:
            rx = await self.out_mon.recv()
            self.sample(_txn(rx, "out"))
            if not self.sb.expected:  # the input's prediction may land in the same clock
                await RisingEdge(self.dut.clk)
            self.sb.check(self.stim.received(rx))

    def reset_point(self) -> str:
        """Where traffic is relative to the frames right now (sampled before a reset)."""
        if self.in_mon.active or not self.source.idle():
            return "mid_input"
        if self.sb.expected or self.out_mon.active:
            return "output_pending"
        return "idle"

    async def reset(self, cycles: int = 3):
        checking = bool(self._tasks) if hasattr(self, "_tasks") else False
        if checking:
            self.sample_reset(self.reset_point())
            self.stop_checking()
        await super().reset(cycles)
        for m in (self.in_mon, self.out_mon):
            m.clear()
        if hasattr(self, "sb"):
            self.sb.flush()
            self.n_in = 0
        if checking:
            self.start_checking()

    async def drain(self, timeout_cycles: int):
        """Wait until the source sent everything and every prediction was compared."""
        for _ in range(timeout_cycles):
            if self.source.empty() and self.source.idle() and not self.in_mon.active and not self.sb.expected:
                await ClockCycles(self.dut.clk, 2)  # a last output frame may still be in the monitor
                if not self.sb.expected and self.out_mon.empty():
                    return
            await RisingEdge(self.dut.clk)
        raise AssertionError(f"{self.sb.name}: {len(self.sb.expected)} frames still pending after "
                             f"{timeout_cycles} clocks (first: {self.sb.expected[0][1] if self.sb.expected else '-'}; "
                             f"SEED={seed()})")


class HandshakeWaits:
    """Clocks each beat's ``<prefix>_tvalid`` was high before the handshake
    (0: taken at once; more: the receiver held ``tready`` low). Waits on
    ``tvalid`` edges, so it costs nothing while the bus is idle. Subscribers
    ``fn(wait)`` get one call per beat."""

    def __init__(self, dut, prefix: str):
        self.valid, self.ready = getattr(dut, f"{prefix}_tvalid"), getattr(dut, f"{prefix}_tready")
        self.clk = dut.clk
        self.subs = []
        self._task = cocotb.start_soon(self._run())

    async def _run(self):
        wait = 0
        while True:
            if not _bit(self.valid):
                wait = 0
                await RisingEdge(self.valid)
            await RisingEdge(self.clk)
            if not _bit(self.valid):
                continue
            if _bit(self.ready):
                for fn in self.subs:
                    fn(wait)
                wait = 0
            else:
                wait += 1

    def stop(self):
        self._task.cancel()


def _bit(sig) -> bool:
    try:
        return bool(int(sig.value))
    except ValueError:  # X/Z before reset
        return False


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
    """What a block test supplies.

    ``frame(rng)`` returns an ``AxiStreamFrame`` to send (or, the older form,
    ``(frame, expected)``); ``predict(rx)`` is the golden model's output for
    an input frame *as the input monitor saw it*; ``received(rx)`` turns an
    output frame into the same form. ``cover_points()`` / ``cover_crosses()``
    declare the block's covergroups (sampled from monitored ``Txn``).
    Without ``predict`` the expectation given with each frame is used.
    """

    def directed(self):
        return []

    def frame(self, rng):
        raise NotImplementedError

    def predict(self, rx):
        raise NotImplementedError

    def received(self, rx):
        return list(rx.tdata)

    def cover_points(self):
        return ()

    def cover_crosses(self):
        return ()


def _predicts(stim) -> bool:
    return type(stim).predict is not Stimulus.predict


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
                         f"{timeout_cycles} cycles (SEED={seed()})")


def _frame_of(item):
    return item[0] if isinstance(item, tuple) else item


def export_coverage():
    """Write this simulation's functional coverage database to the build dir
    (``FCOV=0``: not at all, e.g. for mutants)."""
    if os.environ.get("FCOV", "1") == "0":
        return
    from rtl_verif.runner import params_tag
    path = fcov.run_file(cocotb.top._name, _sim(), params_tag(tb_params()), fcov.current_which(), seed())
    fcov.export(path)


def _sim() -> str:
    name = (cocotb.SIM_NAME or "").lower()
    return "icarus" if "icarus" in name else ("verilator" if "verilator" in name else name.split()[0])


async def run_stream(dut, stim: Stimulus, *, n_random: int, backpressure: bool = False,
                     reset_midway: bool = False, directed: bool = False,
                     src_idle: float | None = None, sink_stall: float | None = None, env=StreamEnv):
    """Send frames through the DUT and compare every output frame.

    Stimuli with ``predict`` run on :class:`StreamEnv`: expectations are
    predicted from the input monitor and compared with the output monitor,
    coverage is sampled from both. ``src_idle``/``sink_stall`` set the flow
    (``backpressure=True`` is the older 0.15/0.3). ``reset_midway`` (older
    stimuli) pulses a reset with frames in flight, then checks a second batch.
    ``env``: the environment class or factory ``env(dut)`` (e.g. a register
    block's ``RegStreamEnv``); its ``final_checks`` run after the scoreboard's.
    """
    if src_idle is None:
        src_idle, sink_stall = (0.15, 0.3) if backpressure else (0.0, 0.0)
    if not _predicts(stim):
        return await _run_stream_legacy(dut, stim, n_random=n_random, src_idle=src_idle, sink_stall=sink_stall,
                                        reset_midway=reset_midway, directed=directed)
    env = env(dut)
    await env.reset()
    sb = env.attach(stim)
    env.set_flow(src_idle, sink_stall or 0.0)
    frames = [_frame_of(f) for f in stim.directed()] if directed else []
    frames += [_frame_of(stim.frame(env.rng)) for _ in range(n_random)]
    try:
        for f in frames:
            await env.source.send(f)
        beats = sum(len(f.tdata) for f in frames)
        await env.drain(4 * beats + 2000)
        env.stop_checking()
        sb.report(min_compared=len(frames))
        env.final_checks()
    finally:
        export_coverage()
    return sb


async def reset_points(dut, stim: Stimulus, *, n_random: int = 6, env=StreamEnv):
    """Reset at each point of ``RESET_POINTS`` (sampled into ``cg_reset``):
    with a frame half-way into the DUT, with the input done but the output
    pending, and idle. After each reset ``m_axis_tvalid`` must be low and a
    fresh batch must come out exactly (every register back to its start).
    ``env`` as for :func:`run_stream`."""
    env = env(dut)
    await env.reset()
    sb = env.attach(stim)
    env.set_flow(0.15, 0.3)
    compared = 0
    try:
        for point in RESET_POINTS:
            frames = [_frame_of(stim.frame(env.rng)) for _ in range(n_random)]
            for f in frames:
                env.source.send_nowait(f)
            await _reach(env, point, 50 * sum(len(f.tdata) for f in frames) + 2000)
            await env.reset()
            await ClockCycles(dut.clk, 3)
            if dut.m_axis_tvalid.value:
                raise AssertionError(f"{sb.name}: m_axis_tvalid high after a reset at point {point!r}")
            frames = [_frame_of(stim.frame(env.rng)) for _ in range(n_random)]
            for f in frames:
                await env.source.send(f)
            await env.drain(4 * sum(len(f.tdata) for f in frames) + 2000)
            compared += len(frames)
        env.stop_checking()
        sb.report(min_compared=compared)
        env.final_checks()
    finally:
        export_coverage()


async def _reach(env: StreamEnv, point: str, timeout: int):
    for _ in range(timeout):
        if env.reset_point() == point and (point != "mid_input" or env.n_in >= 1 or env.in_mon.active):
            return
        await RisingEdge(env.dut.clk)
    raise AssertionError(f"{env.sb.name}: traffic never reached reset point {point!r} in {timeout} clocks")


def coverage_closure(dut, block: str | None = None):
    """Fail unless every covergroup of the block's plan reached the plan's goal
    in this simulation (all tests so far); the message lists the holes."""
    from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_db

    from rtl_verif.plan_status import load_plan
    block = block or dut._name
    plan = load_plan(block)
    if plan is None:
        raise AssertionError(f"{block}: no testplan rtl_verif/plans/{block}.yaml")
    export_coverage()
    db = {name: {"bins:_hits": dict((str(k), v) for k, v in item.detailed_coverage.items())}
          for name, item in coverage_db.items() if isinstance(item, (CoverPoint, CoverCross))}
    cov = fcov.groups(fcov.merge_dicts([db]), block)
    target = fcov.goal(plan)
    names = fcov.plan_covergroups(plan)
    for g in cov.values():
        dut._log.info("%s %s: %.1f%% (%d/%d bins)", block, g.name, g.percent, g.covered, g.total)
    short = fcov.shortfalls(cov, names, target)
    if short:
        raise AssertionError(f"{block} functional coverage below its goal (SEED={seed()}): " + " | ".join(short))


def make_frame(tdata, tuser=None, tkeep=None) -> AxiStreamFrame:
    return AxiStreamFrame(tdata=list(tdata), tuser=tuser, tkeep=tkeep)


async def _run_stream_legacy(dut, stim, *, n_random, src_idle, sink_stall, reset_midway, directed):
    """The stimulus-predicted flow for stimuli without ``predict`` (register
    blocks' testbenches and scaffolds): ``frame(rng)`` gives ``(frame, expected)``."""
    tb = AxisTB(dut)
    await tb.reset()
    sb = Scoreboard(dut._name, tb.log)
    tb.set_flow(src_idle, sink_stall)
    mon = cocotb.start_soon(_monitor(tb, sb, stim))
    items = list(stim.directed()) if directed else []
    items += [stim.frame(tb.rng) for _ in range(n_random)]
    if reset_midway:
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
    for i, (frame, exp) in enumerate(items):
        sb.expect(exp, FrameNote(i, len(frame.tdata), frame.tuser))
        await tb.source.send(frame)
    beats = sum(len(frame.tdata) for frame, _ in items)
    await _drain(tb, sb, 4 * beats + 2000)
    mon.cancel()
    sb.report(min_compared=len(items))
    return sb
