"""Testbench of rtl/crc32.sv (FCS inserter) against mesh_phy.coding.crc.crc32.

Testplan:
* test_check_values — directed: the CRC-32 catalogue check value
  (b"123456789" → 0xCBF43926), single bytes 0x00/0xFF, Annex G's 96-byte MPDU.
* test_random_frames — thousands of frames of 1..64 random bytes.
* test_backpressure — the same with random stalls on both sides.
* test_reset_mid_traffic — reset with frames in flight, then exact output.
"""

import cocotb

from mesh_phy.annex_g import G1_MESSAGE
from mesh_phy.coding.crc import crc32
from rtl_verif.tb.axis_tb import Stimulus, make_frame, n_frames, run_stream


class CrcStimulus(Stimulus):
    def _item(self, data: bytes):
        fcs = crc32(data).to_bytes(4, "little")
        return make_frame(data), list(data + fcs)

    def directed(self):
        # CRC-32/ISO-HDLC check value from the CRC catalogue: 0xCBF43926.
        assert crc32(b"123456789") == 0xCBF43926
        return [self._item(d) for d in (b"123456789", b"\x00", b"\xff", G1_MESSAGE[:96])]

    def frame(self, rng):
        return self._item(rng.randbytes(rng.randint(1, 64)))


@cocotb.test()
async def test_check_values(dut):
    await run_stream(dut, CrcStimulus(), n_random=0, backpressure=False, directed=True)


@cocotb.test()
async def test_random_frames(dut):
    await run_stream(dut, CrcStimulus(), n_random=n_frames(2000), backpressure=False)


@cocotb.test()
async def test_backpressure(dut):
    await run_stream(dut, CrcStimulus(), n_random=n_frames(1000), backpressure=True)


@cocotb.test()
async def test_reset_mid_traffic(dut):
    await run_stream(dut, CrcStimulus(), n_random=200, backpressure=True, reset_midway=True)
