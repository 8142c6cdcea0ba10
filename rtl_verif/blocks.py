"""The registry of RTL blocks: sources, top level, testbench module, and the
HDL parameter sets the regression runs. Adding a block means adding one entry.
"""

from pathlib import Path
from typing import NamedTuple

from mesh_phy import mapper

RTL_DIR = Path(__file__).resolve().parent / "rtl"


class Block(NamedTuple):
    name: str
    sources: tuple  # file names under rtl/
    test_module: str
    param_sets: tuple  # tuple of dicts; the first is the default


def _mapper_params(width: int) -> dict:
    # The scale constants are the golden model's (mesh_phy.mapper.fixed_scale):
    # the RTL takes them as parameters so model and hardware share one format.
    return {
        "W": width,
        "SCALE_BPSK": mapper.fixed_scale("bpsk", width),
        "SCALE_QPSK": mapper.fixed_scale("qpsk", width),
        "SCALE_16": mapper.fixed_scale("16qam", width),
        "SCALE_64": mapper.fixed_scale("64qam", width),
    }


BLOCKS = {
    b.name: b
    for b in (
        Block("scrambler", ("scrambler.sv",), "rtl_verif.tb.test_scrambler",
              ({"DATA_W": 8}, {"DATA_W": 1})),
        Block("crc32", ("crc32.sv",), "rtl_verif.tb.test_crc32", ({},)),
        Block("conv_enc", ("conv_enc.sv",), "rtl_verif.tb.test_conv_enc", ({},)),
        Block("interleaver", ("interleaver.sv",), "rtl_verif.tb.test_interleaver", ({},)),
        Block("qam_mapper", ("qam_mapper.sv",), "rtl_verif.tb.test_qam_mapper",
              (_mapper_params(16), _mapper_params(12))),
        Block("viterbi_dec", ("viterbi_dec.sv",), "rtl_verif.tb.test_viterbi_dec",
              ({"SOFT_W": 6, "TB_LEN": 64}, {"SOFT_W": 3, "TB_LEN": 24})),
    )
}


def source_paths(block: Block) -> list:
    return [RTL_DIR / s for s in block.sources]

