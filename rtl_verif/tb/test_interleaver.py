"""Testbench of rtl/interleaver.sv against mesh_phy.coding.interleaver.interleave.

Testplan: rtl_verif/plans/interleaver.yaml. One bit per beat, the modulation
code on tuser (0 BPSK, 1 QPSK, 2 16-QAM, 3 64-QAM; N_CBPS 48/96/192/288).
Expectations are predicted from the input monitor; coverage (modulation x
frame length in symbols, flow, reset point) from both monitors, the
mid-symbol tlast error path (modulation x position of the bad tlast) from the
input monitor and the frame_err pin.
"""

import cocotb
import numpy as np
from cocotb.triggers import RisingEdge

from mesh_phy.annex_g import G18_CODED_192, G21_INTERLEAVED_192, bits
from mesh_phy.coding import interleaver
from rtl_verif.tb import fcov
from rtl_verif.tb.axis_tb import (
    IDLE,
    STALL,
    Stimulus,
    StreamEnv,
    coverage_closure,
    export_coverage,
    first_user,
    make_frame,
    n_frames,
    reset_points,
    run_stream,
)

# modulation code on tuser -> (N_CBPS, N_BPSC)
MODS = {0: (48, 1), 1: (96, 2), 2: (192, 4), 3: (288, 6)}
MOD_NAME = {0: "bpsk", 1: "qpsk", 2: "16qam", 3: "64qam"}
SYMBOLS = ("1", "2", "3")  # frame length in OFDM symbols


def _tuser(rx):
    """tuser of a monitored frame: one int when constant over the frame, else the tuple of beats."""
    tu = rx.tuser
    if isinstance(tu, list):
        return tu[0] if tu and len(set(tu)) == 1 else tuple(tu)
    return tu


def _symbols(t):
    n_cbps = MODS.get(t.tuser, (0,))[0]
    if t.side != "in" or not n_cbps or t.beats % n_cbps:
        return None
    return str(t.beats // n_cbps) if t.beats // n_cbps <= 3 else None


class InterleaverStimulus(Stimulus):
    def _item(self, data, mod):
        return make_frame(data, tuser=mod)

    def predict(self, rx):
        mod = first_user(rx)
        n_cbps, n_bpsc = MODS[mod]
        out = interleaver.interleave(np.array(rx.tdata, dtype=np.uint8), n_cbps, n_bpsc)
        return [int(b) for b in out], mod

    def received(self, rx):
        # a tuser that changed inside the output frame stays a tuple and mismatches
        return list(rx.tdata), _tuser(rx)

    def cover_points(self):
        mod = fcov.Point("cg_frame.mod", lambda t: MOD_NAME.get(t.tuser) if t.side == "in" else None,
                         tuple(MOD_NAME.values()))
        sym = fcov.Point("cg_frame.symbols", _symbols, SYMBOLS)
        return (mod, sym)

    def cover_crosses(self):
        return (("cg_frame.mod_x_symbols", ("cg_frame.mod", "cg_frame.symbols")),
                ("cg_frame.symbols_x_in_gaps", ("cg_frame.symbols", "cg_flow.in_gaps")))

    def directed(self):
        annex = bits(G18_CODED_192)
        # IEEE 802.11a-1999 Annex G: Table G.18 (coded) interleaves to Table G.21 (16-QAM, N_CBPS 192)
        out = interleaver.interleave(np.array(annex, dtype=np.uint8), 192, 4)
        assert [int(b) for b in out] == bits(G21_INTERLEAVED_192)  # golden model reproduces G.21
        frames = [self._item(annex, 2)]
        for mod, (n, _) in MODS.items():
            for k in (0, 1, 17, n - 1):
                one_hot = [0] * n
                one_hot[k] = 1
                frames.append(self._item(one_hot, mod))
        return frames

    def frame(self, rng):
        mod = rng.randrange(4)
        n = MODS[mod][0] * rng.choice((1, 1, 1, 2, 3))
        return self._item([rng.getrandbits(1) for _ in range(n)], mod)


@cocotb.test()
async def test_annex_g(dut):
    await run_stream(dut, InterleaverStimulus(), n_random=0, directed=True)


@cocotb.test()
@cocotb.parametrize(src_idle=IDLE, sink_stall=STALL)
async def test_random_frames(dut, src_idle, sink_stall):
    await run_stream(dut, InterleaverStimulus(), n_random=n_frames(60), src_idle=src_idle, sink_stall=sink_stall)


@cocotb.test()
async def test_reset_points(dut):
    await reset_points(dut, InterleaverStimulus())


def _err_pos(k: int, n_cbps: int) -> str:
    return "first_bit" if k == 1 else ("last_bit" if k == n_cbps - 1 else "inside")


ERR_POS = ("first_bit", "inside", "last_bit")


@cocotb.test()
async def test_frame_error_flag(dut):
    """A tlast inside a symbol (after 1, a random number of, or N_CBPS-1 bits)
    pulses frame_err once and is otherwise ignored: the rest of the symbol
    (sent as the next frame) completes it, and the whole symbol comes out
    interleaved with one tlast at its end. Coverage: modulation x position of
    the bad tlast, sampled from the input monitor."""
    env = StreamEnv(dut)
    await env.reset()
    sample = fcov.Sampler(dut._name, (
        fcov.Point("cg_error.mod", lambda t: MOD_NAME[t[0]], tuple(MOD_NAME.values())),
        fcov.Point("cg_error.pos", lambda t: t[1], ERR_POS)),
        (("cg_error.mod_x_pos", ("cg_error.mod", "cg_error.pos")),))
    env.set_flow(0.3, 0.4)
    pulses = 0

    async def count():
        nonlocal pulses
        while True:
            await RisingEdge(dut.clk)
            pulses += int(dut.frame_err.value)

    counter = cocotb.start_soon(count())
    stim = InterleaverStimulus()
    try:
        for mod, (n_cbps, _) in MODS.items():
            for k in (1, env.rng.randint(2, n_cbps - 2), n_cbps - 1):
                data = [env.rng.getrandbits(1) for _ in range(n_cbps)]
                before = pulses
                await env.source.send(make_frame(data[:k], tuser=mod))
                await env.source.send(make_frame(data[k:], tuser=mod))
                first, rest = await env.in_mon.recv(), await env.in_mon.recv()
                assert len(first.tdata) == k and first_user(first) == mod, "input monitor saw another frame"
                if len(first.tdata) % n_cbps:
                    sample((first_user(first), _err_pos(len(first.tdata), n_cbps)))
                rx = await env.out_mon.recv()
                got, exp = stim.received(rx), stim.predict(make_frame(list(first.tdata) + list(rest.tdata),
                                                                      tuser=mod))
                assert got == exp, f"interleaver: symbol after a tlast at bit {k} of {MOD_NAME[mod]}: " \
                                   f"got {got}, expected {exp}"
                for _ in range(3):
                    await RisingEdge(dut.clk)
                assert pulses - before == 1, f"frame_err pulsed {pulses - before} times for a tlast after " \
                                             f"{k} of {n_cbps} bits ({MOD_NAME[mod]}), expected once"
    finally:
        counter.cancel()
        export_coverage()


@cocotb.test()
async def test_coverage_closure(dut):
    coverage_closure(dut)
