"""Testbench of rtl/conv_enc.sv against mesh_phy.coding.conv.encode.

Testplan: rtl_verif/plans/conv_enc.yaml. One bit per beat, the rate code on
tuser (0: 1/2, 1: 2/3, 2: 3/4). Expectations are predicted from the input
monitor; coverage (rate x length, flow, reset point) from both monitors.
"""

import cocotb
import numpy as np

from mesh_phy.annex_g import G16_SCRAMBLED_144, G18_CODED_192, bits
from mesh_phy.coding import conv
from rtl_verif.regs import consts
from rtl_verif.tb import fcov
from rtl_verif.tb.axis_tb import (
    IDLE,
    STALL,
    Stimulus,
    coverage_closure,
    first_user,
    len_cover,
    make_frame,
    n_frames,
    reset_points,
    run_stream,
)

RATE_CODE = consts.coding_rate_codes()  # the codes conv_enc.sv is generated with (one source)
PERIOD = {"1/2": 1, "2/3": 2, "3/4": 3}
RATE_OF = {v: k for k, v in RATE_CODE.items()}
LEN_EDGES = (1, 2, 7, 25, 61)  # info bits: one, < constraint length, ..., > 60


class ConvStimulus(Stimulus):
    def _item(self, data, rate):
        coded = conv.encode(np.array(data, dtype=np.uint8), rate)
        return make_frame(data, tuser=RATE_CODE[rate]), [int(b) for b in coded]

    def predict(self, rx):
        return [int(b) for b in conv.encode(np.array(rx.tdata, dtype=np.uint8), RATE_OF[first_user(rx)])]

    def cover_points(self):
        rate = fcov.Point("cg_frame.rate", lambda t: RATE_OF.get(t.tuser) if t.side == "in" else None,
                          tuple(PERIOD))
        return (len_cover(LEN_EDGES)[0], rate)

    def cover_crosses(self):
        # a punctured rate takes whole puncturing periods: never a one-bit frame
        return (len_cover(LEN_EDGES)[1], ("cg_frame.rate_x_len", ("cg_frame.rate", "cg_frame.len"),
                                          [("2/3", "1"), ("3/4", "1")]))

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
        n = PERIOD[rate] * rng.randint(1, 80 // PERIOD[rate] if rng.random() < 0.8 else 3)
        return self._item([rng.getrandbits(1) for _ in range(n)], rate)


@cocotb.test()
async def test_annex_g(dut):
    await run_stream(dut, ConvStimulus(), n_random=0, directed=True)


@cocotb.test()
@cocotb.parametrize(src_idle=IDLE, sink_stall=STALL)
async def test_random_frames(dut, src_idle, sink_stall):
    await run_stream(dut, ConvStimulus(), n_random=n_frames(100), src_idle=src_idle, sink_stall=sink_stall)


@cocotb.test()
async def test_reset_points(dut):
    await reset_points(dut, ConvStimulus())


@cocotb.test()
async def test_coverage_closure(dut):
    coverage_closure(dut)
