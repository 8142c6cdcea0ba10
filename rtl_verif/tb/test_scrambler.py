"""Testbench of rtl/scrambler.sv against mesh_phy.coding.scrambler.

Testplan: rtl_verif/plans/scrambler.yaml. DATA_W-bit beats, bit 0 first in
time; the 7-bit seed on tuser with the frame's first beat. Expectations are
predicted from the input monitor; coverage is sampled from both monitors.
"""

import cocotb
import numpy as np

from mesh_phy.bits import bytes_to_bits
from mesh_phy.coding import scrambler
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
    pack,
    reset_points,
    run_stream,
    tb_param,
    unpack,
)

# IEEE 802.11a-1999, 17.3.5.4: scrambler output for the all-ones initial state.
STANDARD_127 = ("00001110" "11110010" "11001001" "00000010" "00100110" "00101110"
                "10110110" "00001100" "11010100" "11100111" "10110100" "00101010"
                "11111010" "01010001" "10111000" "1111111")
LEN_EDGES = (1, 2, 5, 13, 25)  # beats
SEED_BINS = ("1", "127", "other")


class ScramblerStimulus(Stimulus):
    def __init__(self):
        self.w = tb_param("DATA_W")

    def _beats(self, bits):
        """DATA_W-bit beats, bit 0 of a beat first in time."""
        return [pack(bits[k:k + self.w], 1) for k in range(0, len(bits), self.w)]

    def _frame(self, bits, seed):
        return make_frame(self._beats(bits), tuser=seed)

    def predict(self, rx):
        bits = np.array([b for beat in rx.tdata for b in unpack(beat, 1, self.w, signed=False)], dtype=np.uint8)
        return self._beats(scrambler.scramble(bits, first_user(rx)))

    def directed(self):
        n = 127 * 8 if self.w > 1 else 127  # whole beats of the zero sequence
        zeros = np.zeros(n - n % self.w, dtype=np.uint8)
        std = np.array([int(c) for c in STANDARD_127], dtype=np.uint8)
        assert np.array_equal(scrambler.sequence(127, 127), std)
        return [self._frame(zeros, 127), self._frame(zeros, 1), self._frame(zeros[: self.w], 0x5D)]

    def frame(self, rng):
        n_beats = rng.randint(1, 30)
        bits = bytes_to_bits(rng.randbytes((n_beats * self.w + 7) // 8))[: n_beats * self.w]
        return self._frame(bits, rng.choice((1, 127, rng.randint(1, 127))))

    def cover_points(self):
        seed = fcov.Point("cg_frame.seed", lambda t: (str(t.tuser) if t.tuser in (1, 127) else "other")
                          if t.side == "in" else None, SEED_BINS)
        return (len_cover(LEN_EDGES)[0], seed)

    def cover_crosses(self):
        return (len_cover(LEN_EDGES)[1],)


@cocotb.test()
async def test_standard_sequence(dut):
    await run_stream(dut, ScramblerStimulus(), n_random=0, directed=True)


@cocotb.test()
@cocotb.parametrize(src_idle=IDLE, sink_stall=STALL)
async def test_random_frames(dut, src_idle, sink_stall):
    await run_stream(dut, ScramblerStimulus(), n_random=n_frames(100), src_idle=src_idle, sink_stall=sink_stall)


@cocotb.test()
async def test_reset_points(dut):
    await reset_points(dut, ScramblerStimulus())


@cocotb.test()
async def test_coverage_closure(dut):
    coverage_closure(dut)
