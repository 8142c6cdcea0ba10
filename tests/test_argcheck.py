"""The shared argument checks: strict types, the caller's error class, the argument's name in the message."""

import math
from pathlib import Path

import numpy as np
import pytest
from hostile import HOSTILE, assert_typed
from hypothesis import given, settings
from hypothesis import strategies as st

import argcheck
from argcheck import cli


class Err(ValueError):
    pass


@pytest.mark.parametrize("v", [True, False, np.bool_(True), 4.0, 1.5, "4", None, b"\x04", [4], math.nan])
def test_integer_refuses_non_integers(v):
    with pytest.raises(Err, match="count"):
        argcheck.integer(v, "count", Err)


@given(st.integers())
def test_integer_accepts_ints_within_bounds(v):
    if -10 <= v <= 10:
        assert argcheck.integer(v, "n", Err, lo=-10, hi=10) == v
        assert argcheck.integer(np.int64(v), "n", Err, lo=-10, hi=10) == v
    else:
        with pytest.raises(Err, match="n must be"):
            argcheck.integer(v, "n", Err, lo=-10, hi=10)


def test_huge_integer_message_stays_short():
    with pytest.raises(Err) as e:
        argcheck.integer(10**5000, "n", Err, hi=5)
    assert len(str(e.value)) < 100


@pytest.mark.parametrize("v", [True, "1.0", 1j, None, math.nan, np.float64("nan"), math.inf, -math.inf, 10**400])
def test_real_refuses(v):
    with pytest.raises(Err, match="x"):
        argcheck.real(v, "x", Err)


def test_real_bounds_and_inf():
    assert argcheck.real(3, "x", Err) == 3.0
    assert argcheck.real(math.inf, "x", Err, allow_inf=True) == math.inf
    with pytest.raises(Err, match="> 0"):
        argcheck.real(0.0, "x", Err, lo=0, lo_open=True)
    with pytest.raises(Err, match="<= 1"):
        argcheck.real(1.5, "x", Err, hi=1)


def test_flag_one_of_text():
    assert argcheck.flag(np.bool_(False), "f", Err) is False
    for v in (0, 1, "True", None):
        with pytest.raises(Err, match="f must be True or False"):
            argcheck.flag(v, "f", Err)
    assert argcheck.one_of("aes", "cipher", Err, ("sm4", "aes")) == "aes"
    assert argcheck.one_of(np.int64(8), "mic", Err, (4, 8, 16)) == 8
    for v in (8.0, True, "8", [8], {8: 1}):
        with pytest.raises(Err, match="mic must be one of 4, 8, 16"):
            argcheck.one_of(v, "mic", Err, (4, 8, 16))
    with pytest.raises(Err, match="name must be a string"):
        argcheck.text(b"x", "name", Err)


def test_byteslike():
    assert argcheck.byteslike(memoryview(b"ab"), "k", Err) == b"ab"
    assert argcheck.byteslike(bytearray(b"ab"), "k", Err, length=2) == b"ab"
    for v in ("ab", [1, 2], 12, None):
        with pytest.raises(Err, match="k must be bytes"):
            argcheck.byteslike(v, "k", Err)
    with pytest.raises(Err, match="16 bytes"):
        argcheck.byteslike(b"x" * 15, "k", Err, length=16)


def test_array_kinds_and_no_mutation():
    x = np.array([0.5, 1.0])
    x.setflags(write=False)
    assert argcheck.array(x, "x", Err) is not None
    assert argcheck.array([1, 0, 1], "bits", Err, kind="b").tolist() == [1, 0, 1]
    with pytest.raises(Err, match="only 0 and 1"):
        argcheck.array([1, 2], "bits", Err, kind="b")
    with pytest.raises(Err, match="finite"):
        argcheck.array([1.0, np.nan], "x", Err)
    with pytest.raises(Err, match="dimension"):
        argcheck.array(np.zeros((2, 2)), "x", Err, ndim=1)
    with pytest.raises(Err, match="complex"):
        argcheck.array(["a"], "x", Err, kind="c")
    with pytest.raises(Err, match="ragged"):
        argcheck.array([[1], [1, 2]], "x", Err)


@pytest.mark.parametrize("i", range(len(HOSTILE)))
def test_every_check_raises_only_the_given_error(i):
    v = HOSTILE[i]
    for check in (lambda: argcheck.integer(v, "a", Err), lambda: argcheck.real(v, "a", Err),
                  lambda: argcheck.flag(v, "a", Err), lambda: argcheck.one_of(v, "a", Err, (1, "x")),
                  lambda: argcheck.byteslike(v, "a", Err), lambda: argcheck.text(v, "a", Err),
                  lambda: argcheck.array(v, "a", Err, kind="i"), lambda: argcheck.array(v, "a", Err, kind="c"),
                  lambda: argcheck.seed_list(v, "a", Err)):
        assert_typed(check, Err)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**32 - 31), st.integers(0, 30), st.sampled_from(["", " "])),
                min_size=1, max_size=6))
def test_seed_lists_parse_as_written(ranges):
    text = ",".join(f"{pad}{a}-{a + n}{pad}" if n else f"{pad}{a}" for a, n, pad in ranges)
    want = [s for a, n, _ in ranges for s in range(a, a + n + 1)]
    if len(set(want)) == len(want):
        assert argcheck.seed_list(text, "SEEDS", Err) == want
    else:  # overlapping ranges: a seed run twice would be counted twice
        with pytest.raises(Err, match="twice"):
            argcheck.seed_list(text, "SEEDS", Err)


def test_seed_list_limits():
    assert len(argcheck.seed_list("0-10000", "SEEDS", Err)) == argcheck.MAX_SEEDS  # 10,001: the most it takes
    assert argcheck.seed_list(f"{2**32 - 1}", "SEEDS", Err) == [2**32 - 1]
    with pytest.raises(Err, match="more than"):
        argcheck.seed_list("0-10001", "SEEDS", Err)
    with pytest.raises(Err, match="under 2"):
        argcheck.seed_list(f"{2**32}", "SEEDS", Err)
    with pytest.raises(Err, match="twice: 1, 2"):
        argcheck.seed_list("1,1,2-3,2", "SEEDS", Err)


@pytest.mark.parametrize("text", ["", "x", "1-", "-3", "3-1", "1,,2", "1-2-3", "0-20000", "0-5000,6000-11000",
                                  f"{2**32}", f"0-{2**32}", "1.5", "²", "1-²", "0x10", "+1", "1 2", "٣",
                                  "0" * 11, "1," * 6000, "\xa01", "\u20031,2", "1\t", "1 - 3"])
def test_bad_seed_lists_are_refused(text):
    with pytest.raises(Err, match="SEEDS"):
        argcheck.seed_list(text, "SEEDS", Err)


def test_output_dir_keeps_quick_runs_out_of_docs(capsys):
    """Full runs write docs/ (the committed results), quick ones build/ (gitignored), an explicit --out wins."""
    assert cli.output_dir(None, False) == Path("docs") and capsys.readouterr().out == ""
    assert cli.output_dir(None, True) == Path(cli.QUICK_DIR) == Path("build")
    assert "writing to build/, not docs/" in capsys.readouterr().out
    assert cli.output_dir("docs", True) == Path("docs") and cli.output_dir("x/y", False) == Path("x/y")
    assert cli.output_dir(None, False, full="out") == Path("out")
    assert capsys.readouterr().out == ""
    assert "build/" in Path(__file__).resolve().parent.parent.joinpath(".gitignore").read_text().split()


@pytest.mark.parametrize("v2,v1,limit", [
    ("max 100000\n", None, None),                   # cgroup v2, no limit
    ("150000 100000\n", None, 2),                   # 1.5 CPUs: two workers
    ("50000 100000\n", None, 1),                    # half a CPU: still one
    ("100000 100000\n", None, 1),
    (None, ("-1", "100000"), None),                  # cgroup v1, no limit
    (None, ("300000", "100000"), 3),
    ("garbage\n", None, None), (None, None, None)])  # unreadable or missing: no limit
def test_usable_cores_keeps_to_the_container_quota(tmp_path, monkeypatch, v2, v1, limit):
    import os
    v2_path, v1_paths = tmp_path / "cpu.max", (tmp_path / "quota", tmp_path / "period")
    if v2 is not None:
        v2_path.write_text(v2)
    if v1 is not None:
        for f, text in zip(v1_paths, v1, strict=True):
            f.write_text(text + "\n")
    monkeypatch.setattr(cli, "CGROUP_V2_MAX", v2_path)
    monkeypatch.setattr(cli, "CGROUP_V1", v1_paths)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    assert cli.usable_cores() == (8 if limit is None else limit)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert cli.usable_cores() == 1  # never more than the CPUs it may run on

