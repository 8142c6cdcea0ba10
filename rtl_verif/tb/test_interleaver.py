"""Testbench of rtl/interleaver.sv against mesh_phy.coding.interleaver.interleave.

Testplan:
* test_annex_g — directed: Table G.18's coded symbol interleaves to Table
  G.21 (16-QAM, N_CBPS 192; IEEE 802.11a-1999 Annex G); plus a one-hot
  symbol for every modulation (checks each permutation position).
* test_random_frames — thousands of frames of 1..3 symbols, random modulation.
* test_backpressure — the same with random stalls (exercises both buffers full).
* test_reset_mid_traffic — reset with symbols buffered, then exact output.
* test_frame_error_flag — a tlast inside a symbol pulses frame_err.
"""

import cocotb
import numpy as np
from cocotb.triggers import RisingEdge

from mesh_phy.annex_g import G18_CODED_192, G21_INTERLEAVED_192, bits
from mesh_phy.coding import interleaver
from rtl_verif.tb.axis_tb import AxisTB, Stimulus, make_frame, n_frames, run_stream

# modulation code on tuser -> (N_CBPS, N_BPSC)
MODS = {0: (48, 1), 1: (96, 2), 2: (192, 4), 3: (288, 6)}


class InterleaverStimulus(Stimulus):
    def _item(self, data, mod):
        n_cbps, n_bpsc = MODS[mod]
        out = interleaver.interleave(np.array(data, dtype=np.uint8), n_cbps, n_bpsc)
        # The sink compacts a tuser that is the same on every beat to one int; a
        # tuser that changed inside the frame stays a list and mismatches.
        return make_frame(data, tuser=mod), ([int(b) for b in out], mod)

    def received(self, rx):
        return list(rx.tdata), rx.tuser

    def directed(self):
        annex = self._item(bits(G18_CODED_192), 2)
        assert annex[1][0] == bits(G21_INTERLEAVED_192)  # golden model reproduces G.21
        out = [annex]
        for mod, (n, _) in MODS.items():
            for k in (0, 1, 17, n - 1):
                one_hot = [0] * n
                one_hot[k] = 1
                out.append(self._item(one_hot, mod))
        return out

    def frame(self, rng):
        mod = rng.randrange(4)
        n = MODS[mod][0] * rng.choice((1, 1, 1, 2, 3))
        return self._item([rng.getrandbits(1) for _ in range(n)], mod)


@cocotb.test()
async def test_annex_g(dut):
    await run_stream(dut, InterleaverStimulus(), n_random=0, backpressure=False, directed=True)


@cocotb.test()
async def test_random_frames(dut):
    await run_stream(dut, InterleaverStimulus(), n_random=n_frames(2000), backpressure=False)


@cocotb.test()
async def test_backpressure(dut):
    await run_stream(dut, InterleaverStimulus(), n_random=n_frames(600), backpressure=True)


@cocotb.test()
async def test_reset_mid_traffic(dut):
    await run_stream(dut, InterleaverStimulus(), n_random=100, backpressure=True, reset_midway=True)


@cocotb.test()
async def test_frame_error_flag(dut):
    """tlast after 10 bits of a 48-bit BPSK symbol is a framing error."""
    tb = AxisTB(dut)
    await tb.reset()
    pulses = 0

    async def count():
        nonlocal pulses
        while True:
            await RisingEdge(dut.clk)
            pulses += int(dut.frame_err.value)

    counter = cocotb.start_soon(count())
    await tb.source.send(make_frame([1] * 10, tuser=0))
    await tb.source.wait()
    for _ in range(5):
        await RisingEdge(dut.clk)
    counter.cancel()
    assert pulses == 1, f"frame_err pulsed {pulses} times, expected once"
