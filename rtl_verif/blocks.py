"""The registry of RTL blocks: sources, top level, testbench module, and the
HDL parameter sets the regression runs. Adding a block means adding one entry.
"""

from pathlib import Path
from typing import NamedTuple

from mesh_phy.modulation import mapper
from mesh_phy.ofdm import detect_fixed, fft_fixed
from rtl_verif import soc
from rtl_verif.soc import memory_map
from sensor_dsp import cordic

RTL_DIR = Path(__file__).resolve().parent / "rtl"


class Block(NamedTuple):
    name: str
    sources: tuple  # file names under rtl/
    test_module: str
    param_sets: tuple  # tuple of dicts; the first is the default
    prepare: object = None  # callable run before the build (the SoC builds its firmware); absolute sources allowed


def _mapper_params(width: int) -> dict:
    # The scale constants are the golden model's (mesh_phy.modulation.mapper.fixed_scale):
    # the RTL takes them as parameters so model and hardware share one format.
    return {
        "W": width,
        "SCALE_BPSK": mapper.fixed_scale("bpsk", width),
        "SCALE_QPSK": mapper.fixed_scale("qpsk", width),
        "SCALE_16": mapper.fixed_scale("16qam", width),
        "SCALE_64": mapper.fixed_scale("64qam", width),
    }


def _cordic_params(in_w: int, out_w: int, iters: int) -> dict:
    # Angle table and gain constant from the golden model, passed as a sized
    # hex literal (the table is wider than 64 bits).
    p = cordic.params(in_w, out_w, iters)
    zw = out_w + p.zguard
    table = sum(a % (1 << zw) << (zw * i) for i, a in enumerate(p.angles))
    return {"IN_W": in_w, "OUT_W": out_w, "ITER": iters, "G": p.guard, "ZW": zw,
            "ANGLES": f"{iters * zw}'h{table:x}", "KINV": p.kinv}


def _fft_params(in_w: int, out_w: int, tw_w: int, scale: int) -> dict:
    # Validated by the golden model. The twiddle table is not passed: the RTL's
    # default, generated from the golden model (fft64_twiddle.sv), is what runs.
    p = fft_fixed.params(in_w, out_w, tw_w, scale)
    return {"IN_W": p.in_width, "OUT_W": p.out_width, "TW_W": p.tw_width, "SCALE": p.scale}


def _detect_params(**kw) -> dict:
    # Detector parameters validated by its golden model. The CORDIC's constants
    # are not passed: its RTL defaults, generated from the CORDIC model
    # (cordic_atan2.sv), are what runs.
    p = detect_fixed.params(**kw)
    return {"IN_W": p.in_width, "L": p.window, "M": p.plateau, "THR": p.thr, "TF": p.thr_frac, "PMIN": p.p_min,
            "HOLD": p.holdoff, "MW": p.metric_width, "IDX_W": p.index_width, "AW": p.angle_width,
            "ITER": p.cordic_iterations}


BLOCKS = {
    b.name: b
    for b in (
        Block("scrambler", ("scrambler.sv",), "rtl_verif.tb.test_scrambler",
              ({"DATA_W": 8}, {"DATA_W": 1})),
        Block("crc32", ("crc32.sv",), "rtl_verif.tb.test_crc32", ({},)),
        Block("conv_enc", ("conv_enc.sv",), "rtl_verif.tb.test_conv_enc", ({},)),
        Block("interleaver", ("interleaver.sv",), "rtl_verif.tb.test_interleaver", ({},)),
        Block("qam_mapper", ("qam_mapper.sv",), "rtl_verif.tb.test_qam_mapper",
              (_mapper_params(16), {"W": 12})),  # the second: the RTL's generated default scales
        Block("viterbi_dec", ("viterbi_dec.sv",), "rtl_verif.tb.test_viterbi_dec",
              ({"SOFT_W": 6, "TB_LEN": 64}, {"SOFT_W": 3, "TB_LEN": 24})),
        Block("sm4_core", ("sm4_sbox.sv", "sm4_t.sv", "sm4_key.sv", "sm4_round.sv", "sm4_core_regs.sv",
                           "sm4_core.sv"), "rtl_verif.tb.test_sm4_core", ({},)),
        Block("cordic_atan2", ("cordic_atan2.sv",), "rtl_verif.tb.test_cordic_atan2",
              (_cordic_params(16, 16, 16), {"IN_W": 12, "OUT_W": 14, "ITER": 10})),  # 2nd: RTL defaults
        Block("cordic_csr", ("cordic_atan2.sv", "cordic_csr_regs.sv", "cordic_csr.sv"),
              "rtl_verif.tb.test_cordic_csr",
              ({"IN_W": 16, "OUT_W": 16, "ITER": 16}, {"IN_W": 12, "OUT_W": 14, "ITER": 10})),
        Block("viterbi_csr", ("viterbi_dec.sv", "viterbi_csr_regs.sv", "viterbi_csr.sv"),
              "rtl_verif.tb.test_viterbi_csr",
              ({"SOFT_W": 6, "TB_LEN": 64}, {"SOFT_W": 3, "TB_LEN": 24})),
        Block("fft64", ("fft64_stage.sv", "fft64_twiddle.sv", "fft64_reorder.sv", "fft64.sv"),
              "rtl_verif.tb.test_fft64", (_fft_params(16, 16, 16, 0b111111), _fft_params(12, 16, 12, 0b010101))),
        Block("preamble_detect", ("cordic_atan2.sv", "preamble_detect.sv"), "rtl_verif.tb.test_preamble_detect",
              (_detect_params(),
               _detect_params(in_width=10, window=48, plateau=8, thr=150, p_min=2000, holdoff=100,
                              metric_width=14, index_width=12, angle_width=12, cordic_iterations=12))),
        Block("soc", soc.sources(), "rtl_verif.soc.tb_soc", (memory_map.rtl_params(),), soc.prepare),
    )
}


def source_paths(block: Block) -> list:
    return [RTL_DIR / s for s in block.sources]

