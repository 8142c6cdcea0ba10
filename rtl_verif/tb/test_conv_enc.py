"""Testbench of rtl/conv_enc.sv against mesh_phy.coding.conv.encode.

Testplan:
* test_annex_g — directed: Table G.16's 144 scrambled bits at rate 3/4 give
  Table G.18's 192 coded bits (IEEE 802.11a-1999 Annex G); plus impulse and
  all-ones frames at every rate.
* test_random_frames — thousands of frames, random rate and length.
* test_backpressure — the same with random stalls.
* test_reset_mid_traffic — reset with frames in flight (encoder state and
  puncturing phase must restart), then exact output.
"""

import cocotb
import numpy as np

from mesh_phy.annex_g import G16_SCRAMBLED_144, G18_CODED_192, bits
from mesh_phy.coding import conv
from rtl_verif.tb.axis_tb import Stimulus, make_frame, n_frames, run_stream

RATE_CODE = {"1/2": 0, "2/3": 1, "3/4": 2}
PERIOD = {"1/2": 1, "2/3": 2, "3/4": 3}


class ConvStimulus(Stimulus):
    def _item(self, data, rate):
        coded = conv.encode(np.array(data, dtype=np.uint8), rate)
        return make_frame(data, tuser=RATE_CODE[rate]), [int(b) for b in coded]

    def directed(self):
        annex = self._item(bits(G16_SCRAMBLED_144), "3/4")
        assert annex[1] == bits(G18_CODED_192)  # golden model reproduces Table G.18
        out = [annex]
        for rate, p in PERIOD.items():
            out.append(self._item([1] + [0] * (6 * p - 1), rate))
            out.append(self._item([1] * (12 * p), rate))
        return out

    def frame(self, rng):
        rate = rng.choice(list(PERIOD))
        n = PERIOD[rate] * rng.randint(1, 40)
        return self._item([rng.getrandbits(1) for _ in range(n)], rate)


@cocotb.test()
async def test_annex_g(dut):
    await run_stream(dut, ConvStimulus(), n_random=0, backpressure=False, directed=True)


@cocotb.test()
async def test_random_frames(dut):
    await run_stream(dut, ConvStimulus(), n_random=n_frames(2000), backpressure=False)


@cocotb.test()
async def test_backpressure(dut):
    await run_stream(dut, ConvStimulus(), n_random=n_frames(1000), backpressure=True)


@cocotb.test()
async def test_reset_mid_traffic(dut):
    await run_stream(dut, ConvStimulus(), n_random=200, backpressure=True, reset_midway=True)
