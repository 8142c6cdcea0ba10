"""Testbench of rtl/crc32.sv (FCS inserter) against mesh_phy.coding.crc.crc32.

Testplan: rtl_verif/plans/crc32.yaml. The expectation is predicted from the
bytes the input monitor saw accepted; coverage (frame length × input gaps,
back-pressure, reset point) is sampled from the input and output monitors.
"""

import cocotb

from mesh_phy.annex_g import G1_MESSAGE
from mesh_phy.coding.crc import crc32
from rtl_verif.tb import fcov
from rtl_verif.tb.axis_tb import IDLE, STALL, Stimulus, coverage_closure, make_frame, n_frames, reset_points, run_stream

LEN_EDGES = (1, 2, 4, 9, 17, 33, 65)  # bytes: single, short, < one FCS, ..., over 64


class CrcStimulus(Stimulus):
    def predict(self, rx):
        data = bytes(rx.tdata)
        return list(data + crc32(data).to_bytes(4, "little"))

    def directed(self):
        # CRC-32/ISO-HDLC check value from the CRC catalogue: 0xCBF43926.
        assert crc32(b"123456789") == 0xCBF43926
        return [make_frame(d) for d in (b"123456789", b"\x00", b"\xff", G1_MESSAGE[:96])]

    def frame(self, rng):
        return make_frame(rng.randbytes(rng.randint(1, 80)))

    def cover_points(self):
        return (fcov.Point("cg_frame.len", lambda t: fcov.len_bin(t.beats, LEN_EDGES) if t.side == "in" else None,
                           fcov.len_bins(LEN_EDGES)),)

    def cover_crosses(self):
        # a one-byte frame has no room for a tvalid gap
        return (("cg_frame.len_x_in_gaps", ("cg_frame.len", "cg_flow.in_gaps"), [("1", None)]),)


@cocotb.test()
async def test_check_values(dut):
    await run_stream(dut, CrcStimulus(), n_random=0, directed=True)


@cocotb.test()
@cocotb.parametrize(src_idle=IDLE, sink_stall=STALL)
async def test_random_frames(dut, src_idle, sink_stall):
    await run_stream(dut, CrcStimulus(), n_random=n_frames(600), src_idle=src_idle, sink_stall=sink_stall)


@cocotb.test()
async def test_reset_points(dut):
    await reset_points(dut, CrcStimulus())


@cocotb.test()
async def test_coverage_closure(dut):
    coverage_closure(dut)
