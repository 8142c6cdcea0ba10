"""The RTL runner's daily loop: waves (own build, one file per test selection
and seed, WAVES=fail re-runs only the failing tests), the rerun command, the
knob refusals, parallel configurations, test variants in LIST=1.

Most tests need no simulator; ``test_waves_fail_end_to_end`` runs Icarus on
crc32 with a deliberate bug (a copy of the RTL in a temporary tree, never the
real file) that only back-pressure exposes, so some tests pass and some fail.
"""

import os
import shutil
import time
from pathlib import Path

import pytest

from rtl_verif import cli, runner
from rtl_verif.blocks import BLOCKS, RTL_DIR
from rtl_verif.mutations import Mutation, patch_text
from rtl_verif.runner import Result, RunnerError, TestOutcome, file_part, list_variants

KNOBS = ("SIM", "BLOCK", "TESTCASE", "SEED", "PARAMS", "ALL_PARAMS", "LIST", "WAVES", "TB_FRAMES", "JOBS", "VERBOSE")


@pytest.fixture
def clean_env(monkeypatch):
    for k in KNOBS:
        monkeypatch.delenv(k, raising=False)
    return monkeypatch


def _result(tests, *, seed=99, frames="", index=0, params=None):
    return Result("crc32", "icarus", params or {}, sum(t.passed for t in tests), sum(not t.passed for t in tests),
                  1e5, 1.0, Path("r.xml"), None, seed, tuple(tests), 0.0, 1.0, None, None, index, frames)


def test_file_names_hold_the_test_selection_without_folders():
    assert file_part(None) == "all"
    assert file_part("test_a, test_b") == "test_a+test_b"
    assert file_part("test_rf/src_idle=0.3/sink_stall=0.0") == "test_rf~src_idle=0.3~sink_stall=0.0"
    assert "/" not in file_part("a/../../etc")


def test_rerun_command_carries_frames_and_params():
    r = _result([TestOutcome("test_x", False, 1.0, 1.0, "boom")], seed=5, frames="40", index=1)
    assert r.rerun_command("test_x") == "make sim BLOCK=crc32 SIM=icarus PARAMS=1 TESTCASE=test_x TB_FRAMES=40 SEED=5"
    assert _result([], seed=5).rerun_command() == "make sim BLOCK=crc32 SIM=icarus SEED=5"


@pytest.mark.parametrize("before", [None, "fail", "1"])
def test_cocotb_sees_this_runs_waves_choice_only(monkeypatch, before):
    # cocotb's runner lets $WAVES override its argument and refuses WAVES=fail
    if before is None:
        monkeypatch.delenv("WAVES", raising=False)
    else:
        monkeypatch.setenv("WAVES", before)
    with runner._cocotb_waves(False):
        assert os.environ["WAVES"] == "0"
    with runner._cocotb_waves(True):
        assert os.environ["WAVES"] == "1"
    assert os.environ.get("WAVES") == before


def test_wave_reruns_take_only_the_failing_tests(monkeypatch, capsys):
    calls = []

    def fake_run(block, sim, params, *, seed, testcase, waves):
        calls.append((block, sim, params, seed, testcase, waves))
        return _result([TestOutcome(testcase, False, 10.0, 1.0, "again")], seed=seed)._replace(
            waves=Path(f"/w/{testcase}.fst"))

    monkeypatch.setattr(cli, "run", fake_run)
    r = _result([TestOutcome("a", True, 1.0, 1.0, ""), TestOutcome("b/x=1", False, 1.0, 1.0, "m"),
                 TestOutcome("c", False, 1.0, 1.0, "m")], seed=77, params={"W": 8})
    files = cli.wave_reruns(r)
    assert calls == [("crc32", "icarus", {"W": 8}, 77, "b/x=1", True), ("crc32", "icarus", {"W": 8}, 77, "c", True)]
    assert files == [Path("/w/b/x=1.fst"), Path("/w/c.fst")]
    assert "waves of failing crc32.c: /w/c.fst" in capsys.readouterr().out


def test_wave_rerun_of_a_run_that_died_takes_the_whole_selection(monkeypatch):
    calls = []
    monkeypatch.setattr(cli, "run", lambda *a, **kw: calls.append(kw["testcase"]) or _result([]))
    cli.wave_reruns(_result([]), "test_a,test_b")
    assert calls == ["test_a,test_b"]


def test_wave_reruns_are_capped(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(cli, "run", lambda *a, **kw: calls.append(kw["testcase"]) or _result([]))
    bad = [TestOutcome(f"t{i}", False, 1.0, 1.0, "") for i in range(cli.MAX_WAVE_RERUNS + 3)]
    cli.wave_reruns(_result(bad))
    assert len(calls) == cli.MAX_WAVE_RERUNS
    assert "3 more failing tests" in capsys.readouterr().out


def test_a_test_that_passes_alone_says_how_to_record_the_whole_run(monkeypatch, capsys):
    monkeypatch.setattr(cli, "run", lambda *a, **kw: _result([TestOutcome("c", True, 0.0, 0.0, "")]))
    cli.wave_reruns(_result([TestOutcome("c", False, 1.0, 1.0, "")], seed=3))
    out = capsys.readouterr().out
    assert "passed when re-run alone" in out and "no wave file" in out
    assert "make sim BLOCK=crc32 SIM=icarus SEED=3 WAVES=1" in out


def test_parallel_configurations_keep_their_order_and_longest_first(monkeypatch, tmp_path):
    monkeypatch.setattr(cli, "TIMES", tmp_path / "times.json")
    started = tmp_path / "started"

    def fake(name, sim, params, *, seed, testcase, waves):
        assert (sim, params, seed, testcase, waves) == ("icarus", {"N": len(name)}, 1, None, "0")
        with open(started, "a") as f:  # the worker processes append in start order
            f.write(f"{name}\n")
        time.sleep(0.2)  # hold the worker, so the other one starts its configuration meanwhile
        return _result([TestOutcome("t", True, 1.0, 1.0, "")])._replace(block=name, wall_s=len(name)), []

    monkeypatch.setattr(cli, "run_config", fake)  # the forked workers see the patched module
    configs = [(n, {"N": len(n)}) for n in ("b", "ccc", "aa")]
    first = cli.run_all(configs, "icarus", jobs=2, seed=1, testcase=None, waves="0")
    assert [r.block for r, _ in first] == ["b", "ccc", "aa"]
    started.unlink()
    cli.run_all(configs, "icarus", jobs=1, seed=1, testcase=None, waves="0")  # serial: in the given order
    assert started.read_text().split() == ["b", "ccc", "aa"]
    started.unlink()
    cli.run_all(configs, "icarus", jobs=2, seed=1, testcase=None, waves="0")
    # longest first (3 s and 2 s last time): the two workers start ccc and aa, in either order (they race
    # to write the file: CI saw aa first), and b, the shortest, waits for a free worker
    order = started.read_text().split()
    assert sorted(order[:2]) == ["aa", "ccc"] and order[2] == "b"


@pytest.mark.parametrize("argv,msg", [
    (["--block", "crc32", "--frames", "many"], "TB_FRAMES must be a count"),
    (["--block", "crc32", "--frames", "0"], "TB_FRAMES must be a count"),
    (["--block", "crc32", "--jobs", "0"], "JOBS must be a count"),
    (["--block", "crc32", "--waves", "yes"], "invalid choice"),
    (["--block", "crc32", "--testcase", "test_random_frames/src_idle=0.5"], "no variant"),
])
def test_knob_refusals_are_one_line(clean_env, capsys, argv, msg):
    try:
        rc = cli.main(argv)
    except SystemExit as exc:  # argparse's own refusals
        rc = exc.code
    assert rc == 2
    err = capsys.readouterr().err
    assert msg in err and err.count("\n") == 1


def test_list_shows_every_variant_a_testcase_can_name(clean_env, capsys):
    assert cli.main(["--block", "crc32", "--list"]) == 0
    out = capsys.readouterr().out
    assert "    TESTCASE=test_random_frames/src_idle=0.3/sink_stall=0.4" in out


def test_variants_are_read_from_the_source(tmp_path, monkeypatch):
    pkg = tmp_path / "fake_tbs"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "consts.py").write_text("LEVELS = (1, 2, 3)\n")
    (pkg / "test_fake.py").write_text(
        "import cocotb\nimport pyuvm\nfrom fake_tbs.consts import LEVELS\nMODES = ['fast', 'slow']\n"
        "@cocotb.test()\nasync def test_plain(dut): pass\n"
        "@cocotb.test()\n@cocotb.parametrize(('level', LEVELS), mode=MODES)\n"
        "async def test_grid(dut, level, mode): pass\n"
        "@cocotb.test()\n@cocotb.parametrize((('a', 'b'), [(0, 'x'), (1, 'y')]), ('c', [True]))\n"
        "async def test_pairs(dut, a, b, c): pass\n"
        "@pyuvm.test()\nclass UvmTest: pass\n"
        "async def helper(dut): pass\n")
    (pkg / "test_bad.py").write_text(
        "import cocotb\n@cocotb.test()\n@cocotb.parametrize(n=range(3))\nasync def test_n(dut, n): pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    v = list_variants("fake_tbs.test_fake")
    assert v["test_plain"] == ["test_plain"] and v["UvmTest"] == ["UvmTest"] and "helper" not in v
    assert len(v["test_grid"]) == 6 and v["test_grid"][1] == "test_grid/level=1/mode=slow"
    assert v["test_pairs"] == ["test_pairs/a=0/b=x/c=True", "test_pairs/a=1/b=y/c=True"]
    with pytest.raises(RunnerError, match="cannot read the cocotb.parametrize option"):
        list_variants("fake_tbs.test_bad")


# --------------------------------------------------------------------------- Icarus, end to end

# Ignores the sink's tready: invisible without stalls, every stalled frame loses bytes.
STALL_BUG = Mutation("crc32", "tready", "crc32.sv", "wire out_free = !m_axis_tvalid || m_axis_tready;",
                     "wire out_free = 1'b1;", "back-pressure ignored")


@pytest.mark.xdist_group("rtl-crc32-daily")
@pytest.mark.skipif(shutil.which("iverilog") is None, reason="Icarus Verilog not installed (make setup)")
def test_waves_fail_end_to_end(tmp_path, clean_env, capsys):
    src = tmp_path / "src" / STALL_BUG.file
    src.parent.mkdir()
    src.write_text(patch_text((RTL_DIR / STALL_BUG.file).read_text(), STALL_BUG))
    clean_env.setitem(BLOCKS, "crc32", BLOCKS["crc32"]._replace(sources=(str(src),)))
    for name in ("BUILD", "RESULTS", "LOGS", "COVERAGE_DIR", "WAVES_DIR"):
        clean_env.setattr(runner, name, tmp_path / name.lower())
    clean_env.setenv("TB_FRAMES", "3")
    clean_env.setenv("FCOV", "0")  # keep the mutant out of the functional-coverage database

    plain = runner.build_dir("crc32", "icarus", {})
    r, files = cli.run_config("crc32", "icarus", {}, seed=11, testcase="test_random_frames", waves="fail")
    failed = sorted(t.name for t in r.tests if not t.passed)
    assert failed == [f"test_random_frames/src_idle={i}/sink_stall=0.4" for i in ("0.0", "0.3")]
    assert r.passed == 2
    # one wave file per failing test and seed, in the waves folder; the whole run's files are not overwritten
    assert sorted(f.name for f in files) == [f"icarus-default-{file_part(n)}-s11.fst" for n in failed]
    assert all(f.stat().st_size > 0 and f.parent == tmp_path / "waves_dir" / "crc32" for f in files)
    assert [t.name for t in runner.parse_tests(r.results_xml)] == [t.name for t in r.tests]
    assert r.results_xml.name == "crc32-icarus-default-test_random_frames-s11.xml"
    out = capsys.readouterr().out
    assert out.count("waves of failing crc32.test_random_frames/") == 2
    assert "make sim BLOCK=crc32 SIM=icarus TESTCASE=test_random_frames/src_idle=0.0/sink_stall=0.4 " \
           "TB_FRAMES=3 SEED=11" in cli.format_table([r])

    # waves had their own build: switching them off again reuses the plain build untouched
    waves_build = runner.build_dir("crc32", "icarus", {}, waves=True)
    assert (waves_build / "sim.vvp").exists() and not list(plain.glob("*.fst"))
    before = (plain / "sim.vvp").stat().st_mtime_ns
    again = runner.run("crc32", "icarus", {}, seed=11, testcase="test_check_values", waves=False)
    assert again.build_s == 0.0 and (plain / "sim.vvp").stat().st_mtime_ns == before
    assert "build crc32" not in capsys.readouterr().out
