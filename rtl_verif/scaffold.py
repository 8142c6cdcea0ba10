"""``python -m rtl_verif new NAME``: a new block that builds and passes on both
simulators from the first minute, following docs/adding_a_block.md.

Writes ``rtl_verif/rtl/NAME.sv`` (an AXI4-Stream register stage with the
port names the environment assumes), ``rtl_verif/tb/test_NAME.py`` (the four
standard tests on :func:`rtl_verif.tb.axis_tb.run_stream` with an identity
golden model to replace), ``rtl_verif/plans/NAME.yaml`` (testplan stub) and
inserts the registry entry into ``rtl_verif/blocks.py``. Refuses to
overwrite anything.
"""

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

The testplan is rtl_verif/plans/{name}.yaml.
"""

import cocotb

from rtl_verif.tb.axis_tb import Stimulus, make_frame, n_frames, run_stream


class {cls}Stimulus(Stimulus):
    def _item(self, data: bytes):
        return make_frame(data), list(data)  # golden model: replace list(data) with the block's function

    def directed(self):
        return [self._item(d) for d in (b"\\x00", b"\\xff", bytes(range(64)))]

    def frame(self, rng):
        return self._item(rng.randbytes(rng.randint(1, 64)))


@cocotb.test()
async def test_directed(dut):
    await run_stream(dut, {cls}Stimulus(), n_random=0, backpressure=False, directed=True)


@cocotb.test()
async def test_random_frames(dut):
    await run_stream(dut, {cls}Stimulus(), n_random=n_frames(500), backpressure=False)


@cocotb.test()
async def test_backpressure(dut):
    await run_stream(dut, {cls}Stimulus(), n_random=n_frames(300), backpressure=True)


@cocotb.test()
async def test_reset_mid_traffic(dut):
    await run_stream(dut, {cls}Stimulus(), n_random=100, backpressure=True, reset_midway=True)
'''

PLAN = """# Testplan of {name} (format: docs/adding_a_block.md)
block: {name}
code_coverage: {{line: 90, toggle: 70}}
testpoints:
  - name: directed
    desc: Directed vectors from the standard (cite clause and example).
    tests: [test_directed]
  - name: random
    desc: Constrained-random frames of 1..64 bytes against the golden model.
    tests: [test_random_frames]
  - name: backpressure
    desc: Random tvalid gaps and tready stalls; no beat lost or duplicated.
    tests: [test_backpressure]
  - name: reset
    desc: Reset with frames in flight; exact output afterwards.
    tests: [test_reset_mid_traffic]
"""


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
    return f'        Block("{name}", ("{name}.sv",), "rtl_verif.tb.test_{name}", ({{}},)),\n'


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
