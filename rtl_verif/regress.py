"""``python -m rtl_verif.regress`` (``make regress``): block x simulator x
parameter set x seed, in parallel with pytest-xdist.

Knobs (environment, as ``make regress`` passes them; flags override):

* ``JOBS`` — xdist workers (default 2); ``JOBS=0`` runs serially in-process;
* ``SIM`` — one simulator (default: both); ``BLOCK`` — one block (default: all);
* ``CHANGED=<git revision>`` — only the blocks whose RTL, testbench, golden
  model or register description changed since that revision (:mod:`rtl_verif.changed`);
* ``SEEDS`` — a comma-separated seed list (``SEEDS=1,2,3``, ranges ``SEEDS=1-20``) or a count of
  random seeds (``SEEDS=x20``, nightly); default: one random seed per case;
* ``ALL_PARAMS=0`` — default parameter sets only (default: every set);
* ``TB_FRAMES``, ``COVERAGE``, ``VERBOSE`` — as for ``make sim``.

Every configuration (block, simulator, parameter set) has its own build
directory, and the cases of one configuration share an xdist group, so two
workers never build the same directory. Outputs under ``build/regress/``:
``junit.xml`` (pytest, one test case per run), ``cocotb.xml`` (every cocotb
test of every run, merged), ``summary.txt``; code coverage is merged and
reported as by ``make cov``. The summary ends with the wall time, the sum of
the case times (the serial time) and their ratio (the speed-up).
"""

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import argcheck
from argcheck.cli import Parser, guard
from rtl_verif.blocks import BLOCKS
from rtl_verif.runner import BUILD, SIMULATORS, Result, RunnerError, TestOutcome, run

OUT = BUILD / "regress"
CASES_ENV = "RTL_REGRESS_CASES"


def cases(blocks, sims, seeds, all_params=True) -> list:
    """One dict per run: block, sim, params index, seed."""
    out = []
    for b in blocks:
        n = len(BLOCKS[b].param_sets) if all_params else 1
        for sim in sims:
            for i in range(n):
                for s in seeds:
                    out.append({"block": b, "sim": sim, "params": i, "seed": s})
    return out


def case_id(c: dict) -> str:
    return f"{c['block']}-{c['sim']}-p{c['params']}-s{c['seed']}"


def parse_seeds(text: str | None) -> list:
    """The seeds ``SEEDS`` names: none -> one random seed; ``x<count>`` -> that many random
    seeds; otherwise :func:`argcheck.seed_list`'s grammar (``1,2,3``, ``1-20``)."""
    if not text:
        return [int.from_bytes(os.urandom(4), "little")]
    if text.startswith("x"):
        n = text[1:]
        if not (n.isascii() and n.isdigit()) or not 1 <= int(n) <= 1000:
            raise RunnerError(f"SEEDS=x<count> takes a count 1..1000, got {text[:20]!r}")
        return [int.from_bytes(os.urandom(4), "little") for _ in range(int(n))]
    return argcheck.seed_list(text, "SEEDS", RunnerError)


# ---- the pytest side: collected only when this file is given to pytest ----

def pytest_generate_tests(metafunc):
    if "case" in metafunc.fixturenames:
        import pytest
        todo = json.loads(os.environ.get(CASES_ENV, "[]"))
        params = [pytest.param(c, id=case_id(c), marks=pytest.mark.xdist_group(
            f"{c['block']}-{c['sim']}-{c['params']}")) for c in todo]
        metafunc.parametrize("case", params)


def test_regress_case(case):
    block = BLOCKS[case["block"]]
    params = block.param_sets[case["params"]]
    t0 = time.monotonic()
    r = run(case["block"], case["sim"], params, seed=case["seed"], progress=False)
    (OUT / "cases").mkdir(parents=True, exist_ok=True)
    record = {**case, "passed": r.passed, "failed": r.failed, "sim_time_ns": r.sim_time_ns, "wall_s": r.wall_s,
              "case_s": time.monotonic() - t0, "test_s": r.test_s, "build_s": r.build_s,
              "cpu_s": r.cpu_s, "build_cpu_s": r.build_cpu_s, "frames": r.frames,
              "results_xml": str(r.results_xml), "log": str(r.log) if r.log else None,
              "tests": [t._asdict() for t in r.tests]}
    (OUT / "cases" / f"{case_id(case)}.json").write_text(json.dumps(record))
    bad = [t for t in r.tests if not t.passed]
    assert r.failed == 0 and r.passed > 0, "; ".join(
        f"{t.name}: {t.message[:200]} — rerun: {r.rerun_command(t.name)}" for t in bad) or f"no results: {r.log}"


# ---- the driver ----

def _load_results(todo) -> list:
    out = []
    for c in todo:
        f = OUT / "cases" / f"{case_id(c)}.json"
        if not f.exists():
            continue
        d = json.loads(f.read_text())
        params = BLOCKS[d["block"]].param_sets[d["params"]]
        tests = tuple(TestOutcome(**t) for t in d["tests"])
        out.append((d, Result(d["block"], d["sim"], params, d["passed"], d["failed"], d["sim_time_ns"], d["wall_s"],
                              Path(d["results_xml"]), None, d["seed"], tests, d["build_s"], d["test_s"], None,
                              Path(d["log"]) if d["log"] else None, d["params"], d.get("frames", ""),
                              d.get("cpu_s", 0.0), d.get("build_cpu_s", 0.0))))
    return out


def merge_junit(paths, dest: Path) -> int:
    """Concatenate the cocotb JUnit files' test suites into one file; return the count of test cases."""
    root = ET.Element("testsuites", name="rtl regression")
    n = 0
    for p in paths:
        if not Path(p).exists():
            continue
        for suite in ET.parse(p).getroot().iter("testsuite"):
            suite.set("name", f"{suite.get('name')}[{Path(p).stem}]")
            n += len(suite.findall("testcase"))
            root.append(suite)
    ET.ElementTree(root).write(dest, encoding="utf-8", xml_declaration=True)
    return n


def main(argv=None) -> int:
    return guard(_main, argv, errors=(RunnerError,), prog="python -m rtl_verif.regress")


def _main(argv=None) -> int:
    ap = Parser(prog="python -m rtl_verif.regress", description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", default=os.environ.get("JOBS") or "2")
    ap.add_argument("--sim", default=os.environ.get("SIM") or None, choices=SIMULATORS)
    ap.add_argument("--block", default=os.environ.get("BLOCK") or None)
    ap.add_argument("--changed", default=os.environ.get("CHANGED") or None)
    ap.add_argument("--seeds", default=os.environ.get("SEEDS") or None)
    ap.add_argument("--default-params", action="store_true", default=os.environ.get("ALL_PARAMS") == "0")
    a = ap.parse_args(argv)
    if not (a.jobs.isascii() and a.jobs.isdigit()) or int(a.jobs) > 64:
        raise RunnerError(f"JOBS must be a worker count 0..64, got {a.jobs[:20]!r}")
    blocks = list(BLOCKS)
    if a.block:
        if a.block not in BLOCKS:
            raise RunnerError(f"unknown block {a.block!r}; choose from {', '.join(BLOCKS)}")
        blocks = [a.block]
    if a.changed:
        from rtl_verif.changed import ChangedError, changed_blocks
        try:
            touched = changed_blocks(a.changed)
        except ChangedError as exc:
            raise RunnerError(str(exc)) from None
        blocks = [b for b in blocks if b in touched]
        print(f"changed since {a.changed}: {' '.join(blocks) or 'no block'}", flush=True)
        if not blocks:
            return 0
    sims = [a.sim] if a.sim else list(SIMULATORS)
    todo = cases(blocks, sims, parse_seeds(a.seeds), all_params=not a.default_params)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in (OUT / "cases").glob("*.json"):
        old.unlink()
    print(f"regression: {len(todo)} runs ({len(blocks)} blocks x {len(sims)} simulators x parameter sets x "
          f"seeds) on {a.jobs} workers", flush=True)
    env = dict(os.environ, **{CASES_ENV: json.dumps(todo)})
    jobs = int(a.jobs)
    cmd = [sys.executable, "-m", "pytest", __file__, "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
           "--rootdir", str(OUT), "-o", "addopts=", f"--junitxml={OUT / 'junit.xml'}", "-rf"]
    if jobs:
        cmd += ["-n", str(jobs), "--dist", "loadgroup"]
    t0 = time.monotonic()
    rc = subprocess.run(cmd, env=env).returncode
    wall = time.monotonic() - t0
    done = _load_results(todo)
    results = [r for _, r in done]
    n = merge_junit([r.results_xml for r in results], OUT / "cocotb.xml")
    from rtl_verif import coverage
    from rtl_verif.cli import format_table, speed_line
    cov = coverage.block_summary(blocks)
    serial = sum(d["case_s"] for d, _ in done)
    lines = [format_table(results, cov), "",
             f"{len(results)} of {len(todo)} runs reported, {n} cocotb tests: {OUT / 'cocotb.xml'}",
             f"wall {wall:.0f} s on {jobs or 1} worker(s); serial (sum of runs) {serial:.0f} s; "
             f"speed-up {serial / wall if wall else 0:.2f}x", speed_line(results, wall, jobs or 1)]
    try:
        text, _ = coverage.report(blocks)
        lines += ["", text]
    except coverage.CoverageError as exc:
        lines += ["", str(exc)]
    summary = "\n".join(lines)
    (OUT / "summary.txt").write_text(summary + "\n")
    print(summary)
    return 0 if rc == 0 and len(results) == len(todo) else 1


if __name__ == "__main__":
    sys.exit(main())
