"""``python -m rtl_verif new NAME``: the scaffolded block builds and passes on
Verilator as written (RTL, testbench in the StreamEnv pattern, plan with
code-coverage targets), without touching the repository: everything goes to a
temporary root and the runner's output folders are redirected there."""

import pytest
import yaml

from rtl_verif import blocks, coverage, readme_tables, runner, scaffold


def _root(tmp_path):
    for d in ("rtl", "tb", "plans"):
        (tmp_path / d).mkdir(parents=True)
    (tmp_path / "blocks.py").write_text(f"BLOCKS = (\n{scaffold.ANCHOR} x),\n)\n")
    return tmp_path


def test_scaffold_writes_the_current_pattern(tmp_path):
    root = _root(tmp_path)
    scaffold.scaffold("pipe_blk", root)
    tb = (root / "tb" / "test_pipe_blk.py").read_text()
    compile(tb, "tb", "exec")
    for piece in ("def predict(self, rx)", "@cocotb.parametrize(src_idle=IDLE, sink_stall=STALL)",
                  "reset_points(dut", "coverage_closure(dut)", 'tb_param("DATA_W")'):
        assert piece in tb, piece
    for old in ("backpressure=", "reset_midway", "def _item"):  # the copied wrappers of the older scaffold
        assert old not in tb, old
    plan = yaml.safe_load((root / "plans" / "pipe_blk.yaml").read_text())
    assert plan["code_coverage"] == {"line": 90, "toggle": 70}
    assert plan["functional_coverage"] == {"goal": 100}
    # The README row's prose cells: placeholders the table generator takes as they are (no header fallback).
    assert tuple(plan["summary"]) == readme_tables.SUMMARY_KEYS
    assert all(isinstance(v, str) and v.startswith("TODO: ") for v in plan["summary"].values()), plan["summary"]
    block = blocks.Block("pipe_blk", (str(root / "rtl" / "pipe_blk.sv"),), "rtl_verif.tb.test_pipe_blk", ({},))
    assert readme_tables.summary(block, plan) == plan["summary"]
    tests = {t for tp in plan["testpoints"] for t in tp["tests"]}
    assert tests == {"test_directed", "test_random_frames", "test_reset_points", "test_coverage_closure"}
    entry = (root / "blocks.py").read_text()
    assert 'Block("pipe_blk", ("pipe_blk.sv",), "rtl_verif.tb.test_pipe_blk", ({"DATA_W": 8},)),' in entry


@pytest.mark.rtl
def test_scaffolded_block_builds_and_passes_on_verilator(tmp_path, monkeypatch):
    name = "scaf_probe"
    root = _root(tmp_path / "pkg")
    scaffold.scaffold(name, root)
    # The testbench as written, imported under a probe module that points the
    # plan lookup at the temporary plans folder (in the simulator's Python).
    (root / "tb" / f"probe_{name}.py").write_text(
        "from pathlib import Path\n\nfrom rtl_verif import plan_status\n\n"
        "plan_status.PLANS_DIR = Path(__file__).resolve().parents[1] / 'plans'\n"
        f"from test_{name} import *  # noqa: E402,F403\n")
    monkeypatch.syspath_prepend(str(root / "tb"))  # the runner hands sys.path to the simulator
    block = blocks.Block(name, (str(root / "rtl" / f"{name}.sv"),), f"probe_{name}", (dict(scaffold.DEFAULT_PARAMS),))
    monkeypatch.setitem(blocks.BLOCKS, name, block)
    out = tmp_path / "build"
    monkeypatch.setattr(runner, "BUILD", out)
    for attr, sub in (("RESULTS", "results"), ("LOGS", "logs"), ("COVERAGE_DIR", "coverage"), ("WAVES_DIR", "waves")):
        monkeypatch.setattr(runner, attr, out / sub)
    r = runner.run(name, "verilator", seed=7, extra_env={"FCOV": "0", "TB_FRAMES": "30"}, coverage=True,
                   progress=False)
    names = sorted(t.name for t in r.tests)
    assert r.failed == 0 and r.passed == 7, (names, [t.message for t in r.tests if not t.passed], r.log)
    assert "test_coverage_closure" in names and "test_random_frames/src_idle=0.3/sink_stall=0.4" in names
    m = coverage.metrics(coverage.parse_dat(r.coverage))
    assert coverage.pct(m["line"]) >= 90 and coverage.pct(m["toggle"]) >= 70, m  # the plan's targets
