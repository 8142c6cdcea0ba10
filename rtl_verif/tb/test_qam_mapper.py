"""Testbench of rtl/qam_mapper.sv against mesh_phy.modulation.mapper.map_bits_fixed.

Testplan:
* test_constellations — directed: every point of every constellation (all
  2^N_BPSC bit patterns) and Annex G's first interleaved symbol (Table G.21)
  as 48 16-QAM subcarriers.
* test_random_frames — thousands of frames of random subcarriers and
  modulations; bits above N_BPSC carry random junk, which must be ignored.
* test_backpressure — the same with random stalls.
* test_reset_mid_traffic — reset with data in flight, then exact output.
"""

import cocotb
import numpy as np

from mesh_phy.annex_g import G21_INTERLEAVED_192, bits
from mesh_phy.modulation import mapper
from rtl_verif.tb.axis_tb import Stimulus, make_frame, n_frames, run_stream, tb_params

MODS = ["bpsk", "qpsk", "16qam", "64qam"]


class MapperStimulus(Stimulus):
    def __init__(self):
        self.w = tb_params().get("W", 16)

    def _item(self, groups, mod, junk=None):
        """groups: list of per-subcarrier bit lists (b0 first)."""
        code = mapper.MOD_CODE[mod]
        flat = np.array([b for g in groups for b in g], dtype=np.uint8)
        i, q = mapper.map_bits_fixed(flat, mod, self.w)
        mask = (1 << self.w) - 1
        expected = [((int(qq) & mask) << self.w) | (int(ii) & mask) for ii, qq in zip(i, q, strict=True)]
        beats = []
        for n, g in enumerate(groups):
            v = sum(b << k for k, b in enumerate(g))
            if junk is not None:
                v |= junk[n] & (0x3F & ~((1 << len(g)) - 1))
            beats.append(v)
        return make_frame(beats, tuser=code), expected

    def directed(self):
        out = []
        for mod in MODS:
            n = mapper.MODULATIONS[mod][0]
            out.append(self._item([[(p >> k) & 1 for k in range(n)] for p in range(1 << n)], mod))
        g21 = bits(G21_INTERLEAVED_192)
        out.append(self._item([g21[k:k + 4] for k in range(0, 192, 4)], "16qam"))
        return out

    def frame(self, rng):
        mod = rng.choice(MODS)
        n = mapper.MODULATIONS[mod][0]
        count = rng.randint(1, 48)
        groups = [[rng.getrandbits(1) for _ in range(n)] for _ in range(count)]
        return self._item(groups, mod, junk=[rng.getrandbits(6) for _ in range(count)])


@cocotb.test()
async def test_constellations(dut):
    await run_stream(dut, MapperStimulus(), n_random=0, backpressure=False, directed=True)


@cocotb.test()
async def test_random_frames(dut):
    await run_stream(dut, MapperStimulus(), n_random=n_frames(2000), backpressure=False)


@cocotb.test()
async def test_backpressure(dut):
    await run_stream(dut, MapperStimulus(), n_random=n_frames(1000), backpressure=True)


@cocotb.test()
async def test_reset_mid_traffic(dut):
    await run_stream(dut, MapperStimulus(), n_random=200, backpressure=True, reset_midway=True)
