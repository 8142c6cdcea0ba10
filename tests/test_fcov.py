"""Functional-coverage layer (rtl_verif.tb.fcov) without a simulator:
samplers of later tests sample with their own functions, and the merge takes
only this run's databases."""

import itertools
import os
import time
from types import SimpleNamespace

import pytest
import yaml

from rtl_verif.tb import fcov

_names = itertools.count()


def _block() -> str:
    """A block name no other test used: cocotb-coverage's database is one global per process."""
    return f"fcovtest{os.getpid()}_{next(_names)}"


def _hits(name):
    from cocotb_coverage.coverage import coverage_db
    return dict(coverage_db[name].detailed_coverage)


def test_a_later_sampler_samples_with_its_own_functions():
    # Two tests of one simulation build a sampler each over the same names; the
    # second test's stimulus labels every transaction "b". cocotb-coverage
    # returns the first test's item for the second CoverPoint(...) and kept its
    # xf, so before the fix the second test's samples landed in "a".
    blk = _block()
    first = fcov.Sampler(blk, [fcov.Point("cg.p", lambda t: "a", ("a", "b"))])
    first(object())
    second = fcov.Sampler(blk, [fcov.Point("cg.p", lambda t: "b", ("a", "b"))])
    second(object())
    second(object())
    assert _hits(f"{blk}.cg.p") == {"a": 1, "b": 2}


def test_a_later_samplers_cross_follows_its_points():
    blk = _block()
    pts = [fcov.Point("cg.x", lambda t: t[0], ("0", "1")), fcov.Point("cg.y", lambda t: t[1], ("0", "1"))]
    fcov.Sampler(blk, pts, [("cg.xy", ("cg.x", "cg.y"))])(("0", "0"))
    swapped = [fcov.Point("cg.x", lambda t: t[1], ("0", "1")), fcov.Point("cg.y", lambda t: t[0], ("0", "1"))]
    fcov.Sampler(blk, swapped, [("cg.xy", ("cg.x", "cg.y"))])(("0", "1"))  # x = "1", y = "0"
    assert _hits(f"{blk}.cg.xy") == {("0", "0"): 1, ("0", "1"): 0, ("1", "0"): 1, ("1", "1"): 0}


def test_none_samples_no_bin_and_other_bins_are_refused():
    blk = _block()
    s = fcov.Sampler(blk, [fcov.Point("cg.p", lambda t: None if t < 0 else str(t), ("0", "1"))])
    for t in (-1, 1, 1):
        s(t)
    assert _hits(f"{blk}.cg.p") == {"0": 0, "1": 2}
    with pytest.raises(fcov.FcovError, match="redefined with bins"):
        fcov.Sampler(blk, [fcov.Point("cg.p", str, ("0", "1", "2"))])


def _db(block, bins: dict) -> dict:
    """A database in cocotb-coverage's YAML layout: one coverpoint."""
    return {f"{block}.cg_frame.len": {"bins:_hits": bins, "type": "CoverPoint"}}


def _write_run(monkeypatch, run, block, bins, sim="verilator", seed=1):
    monkeypatch.setenv(fcov.RUN_ENV, run)
    path = fcov.run_file(block, sim, "default", "all", seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(_db(block, bins)))
    return path


@pytest.fixture
def fcov_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(fcov, "FCOV_DIR", tmp_path)
    monkeypatch.delenv(fcov.RUN_ENV, raising=False)
    return tmp_path


PLAN = {"functional_coverage": {"goal": 100},
        "testpoints": [{"name": "random", "tests": ["t"], "covergroups": ["cg_frame"]}]}


def test_merge_takes_only_this_runs_databases(fcov_dir, monkeypatch):
    # An earlier run with an older testbench: a bin that no longer exists, never hit.
    _write_run(monkeypatch, "old", "crc32", {"1": 5, "2-3": 0})
    (fcov_dir / "crc32" / "icarus-default-all-s9.yml").write_text(yaml.safe_dump(_db("crc32", {"9": 0})))  # old layout
    _write_run(monkeypatch, "new", "crc32", {"1": 3, "2-8": 1}, sim="verilator")
    _write_run(monkeypatch, "new", "crc32", {"1": 1, "2-8": 0}, sim="icarus")
    files = fcov.block_files("crc32")
    assert [f.parent.name for f in files] == ["run-new", "run-new"]
    merged = fcov.merge(files)
    assert merged == {"crc32.cg_frame.len": {"1": 4, "2-8": 1}}  # both simulators of this run, summed
    assert fcov.summary("crc32", PLAN).startswith("functional 100.0% (goal 100%, 2 runs merged)")
    assert fcov.close_states("crc32", PLAN, {"random": "closed"}) == {"random": "closed"}
    # the old run, asked for by name, still shows its hole (and only there)
    assert fcov.groups(fcov.merge(fcov.block_files("crc32", run="old")), "crc32")["cg_frame"].holes == ("len: 2-3",)


def test_without_an_active_run_the_newest_run_is_read(fcov_dir, monkeypatch):
    old = _write_run(monkeypatch, "a", "crc32", {"1": 0})
    new = _write_run(monkeypatch, "b", "crc32", {"1": 2})
    t = time.time()
    os.utime(old.parent, (t - 100, t - 100))
    os.utime(new.parent, (t, t))
    monkeypatch.delenv(fcov.RUN_ENV)
    assert fcov.block_files("crc32") == [new]
    assert fcov.block_files("nothing_here") == []


def test_run_id_is_made_once_and_inherited(monkeypatch):
    monkeypatch.delenv(fcov.RUN_ENV, raising=False)
    rid = fcov.run_id()
    assert os.environ[fcov.RUN_ENV] == rid and fcov.run_id() == rid  # simulators started later inherit it
    monkeypatch.setenv(fcov.RUN_ENV, "../../etc")  # never a path outside build/fcov/<block>/
    assert "/" not in fcov.run_id()


def test_export_keeps_the_newest_runs(fcov_dir, monkeypatch):
    monkeypatch.setattr(fcov, "KEEP_RUNS", 2)
    t = time.time()
    for k, run in enumerate(("r1", "r2", "r3")):
        path = _write_run(monkeypatch, run, "crc32", {"1": 1})
        os.utime(path.parent, (t - 100 + k, t - 100 + k))
    monkeypatch.setenv(fcov.RUN_ENV, "r4")
    fcov.export(fcov.run_file("crc32", "verilator", "default", "all", 1))
    assert sorted(d.name for d in (fcov_dir / "crc32").iterdir()) == ["run-r3", "run-r4"]


def _worker_run(args):
    """Stands in for cli._job in a forked worker: reports the run id the worker's simulators would get."""
    return SimpleNamespace(wall_s=0.0, run=os.environ.get(fcov.RUN_ENV)), ()


def test_parallel_configurations_share_one_run(monkeypatch, tmp_path):
    # `make sim` forks a worker per configuration; a worker that made its own
    # id would write into its own run folder and the summary (which reads one
    # run) would see a single configuration.
    from rtl_verif import cli
    monkeypatch.delenv(fcov.RUN_ENV, raising=False)
    monkeypatch.setattr(cli, "_job", _worker_run)
    monkeypatch.setattr(cli, "TIMES", tmp_path / "times.json")
    out = cli.run_all([("crc32", {}), ("scrambler", {"DATA_W": 8}), ("scrambler", {"DATA_W": 1})], "icarus",
                      jobs=2, seed=1, testcase=None, waves="0")
    runs = {r.run for r, _ in out}
    assert runs == {os.environ[fcov.RUN_ENV]}
