"""Testbench of rtl/qam_mapper.sv against mesh_phy.modulation.mapper.map_bits_fixed.

Testplan: rtl_verif/plans/qam_mapper.yaml. One subcarrier per beat: its
N_BPSC bits in tdata[N_BPSC-1:0] (b0 in bit 0; the bits above are junk the
RTL must ignore), the modulation code on tuser (0 BPSK, 1 QPSK, 2 16-QAM,
3 64-QAM); output {Q, I}, W bits each, two's complement. Expectations are
predicted from the input monitor; coverage from the monitors: modulation x
frame length, junk above N_BPSC, flow, reset point, and every constellation
point of every modulation (each input beat, cg_point).
"""

import cocotb
import numpy as np

from mesh_phy.annex_g import G21_INTERLEAVED_192, bits
from mesh_phy.modulation import mapper
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
)

MODS = ["bpsk", "qpsk", "16qam", "64qam"]
MOD_OF = {mapper.MOD_CODE[m]: m for m in MODS}
LEN_EDGES = (1, 2, 9, 25, 48)  # subcarriers per frame: one, short, ..., a whole OFDM symbol
POINT_BINS = tuple(f"{m}:{p}" for m in MODS for p in range(1 << mapper.MODULATIONS[m][0]))


def _nbpsc(mod: str) -> int:
    return mapper.MODULATIONS[mod][0]


def _junk(t):
    if t.side != "in" or t.tuser not in MOD_OF:
        return None
    mask = (1 << _nbpsc(MOD_OF[t.tuser])) - 1
    return "junk" if any(int(v) & ~mask & 0x3F for v in t.frame.tdata) else "clean"


class MapperStimulus(Stimulus):
    def __init__(self):
        self.w = tb_param("W")
        self.point = fcov.Sampler("qam_mapper", (fcov.Point("cg_point.symbol", lambda b: b, POINT_BINS),))

    def _item(self, groups, mod, junk=None):
        """groups: list of per-subcarrier bit lists (b0 first); junk: random bits above N_BPSC."""
        beats = []
        for n, g in enumerate(groups):
            v = sum(b << k for k, b in enumerate(g))
            if junk is not None:
                v |= junk[n] & (0x3F & ~((1 << len(g)) - 1))
            beats.append(v)
        return make_frame(beats, tuser=mapper.MOD_CODE[mod])

    def predict(self, rx):
        mod = MOD_OF[first_user(rx)]
        n = _nbpsc(mod)
        syms = [int(v) & ((1 << n) - 1) for v in rx.tdata]
        for s in syms:  # every constellation point, sampled from the input monitor's beats
            self.point(f"{mod}:{s}")
        flat = np.array([(s >> k) & 1 for s in syms for k in range(n)], dtype=np.uint8)
        i, q = mapper.map_bits_fixed(flat, mod, self.w)
        return [pack((ii, qq), self.w) for ii, qq in zip(i, q, strict=True)]

    def cover_points(self):
        mod = fcov.Point("cg_frame.mod", lambda t: MOD_OF.get(t.tuser) if t.side == "in" else None, tuple(MODS))
        junk = fcov.Point("cg_frame.junk", _junk, ("clean", "junk"))
        return (len_cover(LEN_EDGES)[0], mod, junk)

    def cover_crosses(self):
        return (len_cover(LEN_EDGES)[1], ("cg_frame.mod_x_len", ("cg_frame.mod", "cg_frame.len")),
                # 64-QAM uses all six tdata bits: no junk above N_BPSC exists
                ("cg_frame.mod_x_junk", ("cg_frame.mod", "cg_frame.junk"), [("64qam", "junk")]))

    def directed(self):
        out = []
        for mod in MODS:  # every point of every constellation (IEEE 802.11a-1999 17.3.5.7)
            n = _nbpsc(mod)
            out.append(self._item([[(p >> k) & 1 for k in range(n)] for p in range(1 << n)], mod))
        g21 = bits(G21_INTERLEAVED_192)  # Annex G Table G.21: first interleaved symbol, 48 16-QAM subcarriers
        out.append(self._item([g21[k:k + 4] for k in range(0, 192, 4)], "16qam"))
        return out

    def frame(self, rng):
        mod = rng.choice(MODS)
        n = _nbpsc(mod)
        count = rng.randint(1, 48)
        groups = [[rng.getrandbits(1) for _ in range(n)] for _ in range(count)]
        return self._item(groups, mod, junk=[rng.getrandbits(6) for _ in range(count)])


@cocotb.test()
async def test_constellations(dut):
    await run_stream(dut, MapperStimulus(), n_random=0, directed=True)


@cocotb.test()
@cocotb.parametrize(src_idle=IDLE, sink_stall=STALL)
async def test_random_frames(dut, src_idle, sink_stall):
    await run_stream(dut, MapperStimulus(), n_random=n_frames(750), src_idle=src_idle, sink_stall=sink_stall)


@cocotb.test()
async def test_reset_points(dut):
    await reset_points(dut, MapperStimulus())


@cocotb.test()
async def test_coverage_closure(dut):
    coverage_closure(dut)
