"""``python -m rtl_verif new NAME``: a new block that builds and passes on both
simulators from the first minute, following docs/adding_a_block.md.

Writes ``rtl_verif/rtl/NAME.sv`` (an AXI4-Stream register stage with the
port names the environment assumes), ``rtl_verif/tb/test_NAME.py`` (the
current testbench pattern: a ``Stimulus`` whose ``predict`` is the golden model
— identity, to replace — applied to what the input monitor saw; directed
frames, random frames parametrised over source idles and sink stalls, reset
points and the coverage closure, all on :mod:`rtl_verif.tb.axis_tb`'s
``StreamEnv``), ``rtl_verif/plans/NAME.yaml`` (testplan with code- and
functional-coverage targets, the covergroups that close each testpoint and a
``summary`` of TODO placeholders for the README's block table) and
inserts the registry entry (``DATA_W = 8``) into ``rtl_verif/blocks.py``.
Refuses to overwrite anything.
"""

import json
import keyword
import re
import sys
from pathlib import Path

from argcheck.cli import Parser, guard

PKG = Path(__file__).resolve().parent
NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
SV_KEYWORDS = {"module", "input", "output", "logic", "wire", "reg", "always", "begin", "end", "assign", "initial",
               "interface", "package", "class", "function", "task", "byte", "int", "bit", "soc"}
ANCHOR = '        Block("soc",'


class ScaffoldError(ValueError):
    """The name is unusable or a file of the block already exists."""


RTL = """// {name}: AXI4-Stream stage (scaffold from `python -m rtl_verif new {name}`).
// Interface conventions: docs/adding_a_block.md. Replace the body with the
// block's function; keep the port names.
module {name} #(
    parameter int DATA_W = 8
) (
    input  logic              clk,
    input  logic              rst,          // synchronous, active high
    input  logic [DATA_W-1:0] s_axis_tdata,
    input  logic              s_axis_tvalid,
    output logic              s_axis_tready,
    input  logic              s_axis_tlast,
    output logic [DATA_W-1:0] m_axis_tdata,
    output logic              m_axis_tvalid,
    input  logic              m_axis_tready,
    output logic              m_axis_tlast
);
    assign s_axis_tready = !m_axis_tvalid || m_axis_tready;
    always_ff @(posedge clk) begin
        if (rst) begin
            m_axis_tvalid <= 1'b0;
            m_axis_tdata  <= '0;
            m_axis_tlast  <= 1'b0;
        end else if (s_axis_tready) begin
            m_axis_tvalid <= s_axis_tvalid;
            m_axis_tdata  <= s_axis_tdata;
            m_axis_tlast  <= s_axis_tlast;
        end
    end
endmodule
"""

TB = '''"""Testbench of rtl/{name}.sv against its golden model (scaffold: identity).

Testplan: rtl_verif/plans/{name}.yaml. The expectation is predicted from the
beats the input monitor saw accepted and compared with what the output monitor
saw; coverage (frame length x input gaps, back-pressure, reset point) is
sampled from both monitors (rtl_verif.tb.axis_tb.StreamEnv).
"""

import cocotb

from rtl_verif.tb.axis_tb import (IDLE, STALL, Stimulus, coverage_closure, len_cover, make_frame, n_frames,
                                  reset_points, run_stream, tb_param)

LEN_EDGES = (1, 2, 9, 33)  # beats: single, short, medium, long (cg_frame.len)


def golden(beats: list) -> list:
    """The block's golden model (scaffold: identity). Replace it with the
    function of the package that owns the algorithm (checked there against its
    standard's worked examples); importing it is how `make regress CHANGED=`
    finds this block."""
    return list(beats)


class {cls}Stimulus(Stimulus):
    def __init__(self):
        self.width = tb_param("DATA_W")  # from the registry's param_sets (rtl_verif/blocks.py)

    def predict(self, rx):
        return golden(rx.tdata)

    def directed(self):
        top = (1 << self.width) - 1
        return [make_frame([0]), make_frame([top]), make_frame([k & top for k in range(64)])]

    def frame(self, rng):
        return make_frame([rng.getrandbits(self.width) for _ in range(rng.randint(1, 64))])

    def cover_points(self):
        return (len_cover(LEN_EDGES)[0],)

    def cover_crosses(self):
        return (len_cover(LEN_EDGES)[1],)


@cocotb.test()
async def test_directed(dut):
    await run_stream(dut, {cls}Stimulus(), n_random=0, directed=True)


@cocotb.test()
@cocotb.parametrize(src_idle=IDLE, sink_stall=STALL)
async def test_random_frames(dut, src_idle, sink_stall):
    await run_stream(dut, {cls}Stimulus(), n_random=n_frames(100), src_idle=src_idle, sink_stall=sink_stall)


@cocotb.test()
async def test_reset_points(dut):
    await reset_points(dut, {cls}Stimulus())


@cocotb.test()
async def test_coverage_closure(dut):
    coverage_closure(dut)
'''

PLAN = """# Testplan of {name} (format: docs/adding_a_block.md)
block: {name}
summary:   # the block's row of the README's RTL block table (python -m rtl_verif.readme_tables): replace the TODOs
  job: "TODO: what {name} does, in one line (standard and clause)"
  interface: "TODO: the ports, e.g. AXI-S, `DATA_W` bits/beat"
  throughput: "TODO: e.g. 1 beat/clock, latency 1 clock"
code_coverage: {{line: 90, toggle: 70}}   # % (Verilator); say why next to a lower number
functional_coverage: {{goal: 100}}        # % of the bins of every covergroup below, merged over the run
testpoints:
  - name: directed
    desc: Directed vectors from the standard (cite clause and example).
    tests: [test_directed]
  - name: random_frames_flow
    desc: Constrained-random frames of 1..64 beats against the golden model, under every combination of
      source idles (tvalid gaps) and sink stalls (tready low); no beat lost or duplicated.
    tests: [test_random_frames]
    covergroups: [cg_frame, cg_flow]
  - name: reset_points
    desc: Reset with a frame half-way in, with the output pending, and idle; m_axis_tvalid low after
      reset, then exact output.
    tests: [test_reset_points]
    covergroups: [cg_reset]
  - name: functional_coverage
    desc: Every covergroup of this plan at its goal over the run.
    tests: [test_coverage_closure]
"""

DEFAULT_PARAMS = {"DATA_W": 8}  # the registry entry's parameter set: the testbench reads DATA_W from it


def check_name(name: str) -> str:
    if not NAME.match(name or ""):
        raise ScaffoldError(f"block name must be lower-case letters, digits and _ (2-31 chars), got {name[:40]!r}")
    if keyword.iskeyword(name) or name in SV_KEYWORDS:
        raise ScaffoldError(f"{name!r} is a Python or SystemVerilog keyword")
    return name


def paths(name: str, root: Path = PKG) -> dict:
    return {"rtl": root / "rtl" / f"{name}.sv", "tb": root / "tb" / f"test_{name}.py",
            "plan": root / "plans" / f"{name}.yaml"}


def registry_line(name: str) -> str:
    params = json.dumps(DEFAULT_PARAMS)
    return f'        Block("{name}", ("{name}.sv",), "rtl_verif.tb.test_{name}", ({params},)),\n'


def scaffold(name: str, root: Path = PKG) -> list:
    """Write the block's files and registry entry under ``root``; return the paths written."""
    check_name(name)
    files = paths(name, root)
    blocks = root / "blocks.py"
    text = blocks.read_text()
    if f'Block("{name}",' in text:
        raise ScaffoldError(f"{name} is already in the registry ({blocks})")
    for p in files.values():
        if p.exists():
            raise ScaffoldError(f"{p} exists; not overwriting")
    if ANCHOR not in text:
        raise ScaffoldError(f"cannot find where to insert the registry entry in {blocks}")
    cls = "".join(w.capitalize() for w in name.split("_"))
    files["plan"].parent.mkdir(parents=True, exist_ok=True)
    files["rtl"].write_text(RTL.format(name=name))
    files["tb"].write_text(TB.format(name=name, cls=cls))
    files["plan"].write_text(PLAN.format(name=name))
    blocks.write_text(text.replace(ANCHOR, registry_line(name).rstrip("\n") + "\n" + ANCHOR, 1))
    return [*files.values(), blocks]


def main(argv=None) -> int:
    return guard(_main, argv, errors=(ScaffoldError,), prog="python -m rtl_verif new")


def _main(argv=None) -> int:
    ap = Parser(prog="python -m rtl_verif new", description="scaffold a new RTL block")
    ap.add_argument("name")
    a = ap.parse_args(sys.argv[1:] if argv is None else argv)
    for p in scaffold(a.name):
        print(f"wrote {p.relative_to(PKG.parent)}")
    print(f"next: make sim BLOCK={a.name} SIM=verilator && make sim BLOCK={a.name} SIM=icarus")
    return 0
