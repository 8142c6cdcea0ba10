"""Code coverage (rtl_verif.coverage) without a simulator: which coverage files
are merged, the per-block targets in the plans, and the RTL patterns that
Verilator's line coverage cannot count."""

import os
import re
import time

import pytest

from rtl_verif import coverage
from rtl_verif.blocks import BLOCKS, RTL_DIR, source_paths
from rtl_verif.plan_status import load_plan
from rtl_verif.runner import params_tag

STREAMING = ("scrambler", "crc32", "conv_enc", "interleaver", "qam_mapper", "viterbi_dec", "fft64", "cordic_atan2",
             "preamble_detect")


def _key(kind, line, what, f="/x/a.sv"):
    return f"\x01f\x02{f}\x01l\x02{line}\x01t\x02{kind}\x01o\x02{what}"


def _dat(path, points: dict, mtime: float):
    path.write_text("# SystemC::Coverage-3\n" + "".join(f"C '{k}' {v}\n" for k, v in points.items()))
    os.utime(path, (mtime, mtime))
    return path


def test_only_current_files_are_merged(tmp_path, monkeypatch):
    # crc32: one parameter set (tag "default"). A file of a parameter set that
    # is no longer in the registry, and one older than the RTL, describe other
    # lines: merging them would put hits (or misses) on the wrong lines.
    monkeypatch.setattr(coverage, "COVERAGE_DIR", tmp_path)
    (tmp_path / "crc32").mkdir()
    src = max(p.stat().st_mtime for p in source_paths(BLOCKS["crc32"]))
    now = max(time.time(), src + 10)
    tag = params_tag(BLOCKS["crc32"].param_sets[0])
    good = _dat(tmp_path / "crc32" / f"verilator-{tag}-all-s1.dat", {_key("line", 5, "s"): 1}, now)
    _dat(tmp_path / "crc32" / "verilator-W99_0123abcd-all-s1.dat", {_key("line", 6, "s"): 0}, now)
    _dat(tmp_path / "crc32" / f"verilator-{tag}-all-s2.dat", {_key("line", 7, "s"): 0}, src - 100)
    current, stale = coverage.block_files("crc32")
    assert current == [good] and len(stale) == 2
    assert coverage.metrics(coverage.block_points("crc32")) == {"line": (1, 1), "toggle": (0, 0)}
    good.unlink()
    with pytest.raises(coverage.CoverageError, match="2 stale files"):
        coverage.block_points("crc32")


@pytest.mark.parametrize("block", STREAMING)
def test_every_streaming_plan_states_its_targets(block):
    plan = load_plan(block)
    cc = plan["code_coverage"]
    goal = coverage.target(block)
    assert 0 < goal["line"] <= 100 and 0 < goal["toggle"] <= 100
    changed = [k for k in ("line", "toggle") if goal[k] != coverage.DEFAULT_TARGET[k]]
    if changed:  # a target other than the default says why, in the plan
        assert len(str(cc.get("reason", "")).split()) >= 5, f"{block}: {changed} not the default, no reason"


# A `return` that is the statement of a branch (`if (c) return x;`, a case arm
# `k: return x;`) is never counted by Verilator's line coverage (its counter
# sits after the jump): the branch shows as missed however often it runs.
# Functions assign their result instead.
_RETURN_BRANCH = re.compile(r"(\bif\s*\(.*\)\s*return\b|\belse\s+return\b|^\s*[\w':]+\s*:\s*return\b)")


@pytest.mark.parametrize("block", STREAMING)
def test_no_return_as_a_branch(block):
    bad = []
    for path in source_paths(BLOCKS[block]):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if _RETURN_BRANCH.search(line.split("//")[0]):
                bad.append(f"{path.name}:{n}: {line.strip()}")
    assert not bad, bad


def test_the_pattern_finds_returns_in_branches():
    for text in ("if (x > hi) return hi;", "        2'd0: return 9'd48;", "default: return 9'd288;",
                 "else return v;"):
        assert _RETURN_BRANCH.search(text), text
    for text in ("return v;", "return {a[0], a[1]};", "n_cbps = 9'd48;"):
        assert not _RETURN_BRANCH.search(text), text


def test_exclusions_are_justified_in_the_rtl():
    assert coverage.unjustified_exclusions(RTL_DIR) == []
