"""``python -m rtl_verif``: run testbenches and print one summary table.

Knobs (also read from the environment, as ``make sim`` passes them):

* ``SIM`` — verilator (default) | icarus
* ``BLOCK`` — one block (default: all); ``LIST=1`` lists the blocks and their tests
* ``TESTCASE`` — one test (or a comma-separated list); a name the block does not have is an error
* ``SEED`` — 0 .. 2**32-1; reproduces a run (the summary prints the seed of every run)
* ``PARAMS`` — index of the parameter set (default 0; see ``LIST=1``); ``ALL_PARAMS=1`` runs every set
* ``TB_FRAMES`` — frame count of the random tests (e.g. 20 for a smoke run, 20000 for a soak);
  functional-coverage goals may then be missed on purpose (a smoke run) or take longer (a soak)
* ``WAVES`` — 1: record waves for every test; fail: run, then re-run each failing test alone, with
  waves and the same seed. Waves have their own build folder (``+waves``), so switching them on and
  off never rebuilds the plain build; files are ``build/waves/<block>/<sim>-<params>-<tests>-s<seed>.fst``
* ``COVERAGE`` — 0: no line/toggle coverage on Verilator (default on)
* ``VERBOSE`` — 1: the full simulator log on the console (default: one line per build and test); serial
* ``JOBS`` — configurations (block x parameter set) run at once (default 2: the two cores); the longest
  of the previous run starts first

``python -m rtl_verif new NAME`` scaffolds a block (see docs/adding_a_block.md).
"""

import concurrent.futures
import json
import multiprocessing
import os
import sys
import time

from argcheck.cli import Parser, guard
from rtl_verif.blocks import BLOCKS
from rtl_verif.runner import (
    BUILD,
    SIMULATORS,
    Result,
    RunnerError,
    check_testcase,
    list_tests,
    list_variants,
    params_tag,
    run,
    say,
    verbose,
)

MAX_WAVE_RERUNS = 8  # WAVES=fail: at most this many failing tests are re-run with waves
TIMES = BUILD / "sim_times.json"  # wall time per configuration of the last runs: the longest starts first

_HIDDEN = ("ANGLES", "KINV", "G", "ZW", "TW")


def _short_params(params: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in params.items()
                    if not k.startswith("SCALE") and k not in _HIDDEN and len(str(v)) <= 12) or "-"


def format_table(results, coverage: dict | None = None) -> str:
    """The summary: one row per run, totals, then what failed and how to rerun it.

    ``coverage`` maps block -> (line %, toggle %) (Verilator; see rtl_verif.coverage).
    """
    coverage = coverage or {}
    head = (f"{'block':<15} {'params':<24} {'sim':<9} {'pass':>4} {'fail':>4} {'clocks':>9} "
            f"{'kclk/s':>7} {'kclk/cpu-s':>10} {'wall':>7} {'line%':>6} {'togl%':>6} {'seed':>10}")
    lines = [head, "-" * len(head)]
    for r in results:
        cov = coverage.get(r.block)
        lcov = f"{cov[0]:6.1f} {cov[1]:6.1f}" if cov and r.sim == "verilator" else f"{'-':>6} {'-':>6}"
        lines.append(f"{r.block:<15} {_short_params(r.params)[:24]:<24} {r.sim:<9} {r.passed:>4} {r.failed:>4} "
                     f"{r.clocks:>9.0f} {r.clocks_per_s / 1e3:>7.1f} {r.clocks_per_cpu_s / 1e3:>10.1f} "
                     f"{r.wall_s:>6.1f}s {lcov} "
                     f"{r.seed:>10}")
    tot_p = sum(r.passed for r in results)
    tot_f = sum(r.failed for r in results)
    lines.append("-" * len(head))
    lines.append(f"{tot_p} passed, {tot_f} failed")
    lines += format_failures(results)
    return "\n".join(lines)


def speed_line(results, wall: float, jobs: int) -> str:
    """Wall time, load, and the CPU seconds behind it: on a shared machine the
    wall time says little, the CPU seconds give the floor on ``jobs`` idle cores."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    per = [r.cpu_s + r.build_cpu_s for r in results]
    cpu = sum(per)
    floor = max(cpu / max(jobs, 1), max(per, default=0.0))
    return (f"wall {wall:.1f} s for {len(results)} configurations on {jobs} worker(s), 1-min load average "
            f"{load:.1f}; simulators and builds used {cpu:.0f} CPU s (longest configuration {max(per, default=0):.0f} "
            f"s): {floor:.0f} s on {jobs} idle cores")


def format_failures(results) -> list:
    """For each failing run: the failed tests, their message, seed and rerun command."""
    out = []
    for r in results:
        if not r.failed:
            continue
        bad = [t for t in r.tests if not t.passed]
        if not bad:  # no results: the simulator or the testbench module died
            out.append(f"FAILED {r.block} on {r.sim} (seed {r.seed}): no test results — see {r.log or 'the log'}")
            out.append(f"  rerun: {r.rerun_command()} VERBOSE=1")
            continue
        for t in bad:
            out.append(f"FAILED {r.block}.{t.name} on {r.sim} params {_short_params(r.params)} seed {r.seed}")
            if t.message:
                out.append(f"  {t.message}")
            out.append(f"  rerun: {r.rerun_command(t.name)}")
        if r.log:
            out.append(f"  log: {r.log}")
    if out:
        out.insert(0, "")
    return out


def _seed(text: str) -> int:
    shown = text if len(text) <= 24 else text[:20] + "..."
    if not (text.isascii() and text.lstrip("-").isdigit()):
        raise RunnerError(f"SEED must be a decimal integer, got {shown!r}")
    if text.startswith("-") or len(text) > 10 or int(text) >= 2**32:
        raise RunnerError(f"SEED must be in 0 .. 2**32-1, got {shown}")
    return int(text)


def _flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


def list_blocks(names) -> str:
    lines = []
    for name in names:
        b = BLOCKS[name]
        lines.append(f"{name}  ({b.test_module})")
        for i, p in enumerate(b.param_sets):
            lines.append(f"  PARAMS={i}: {_short_params(p)}  [{params_tag(p)}]")
        variants = list_variants(b.test_module)
        for t in list_tests(name):
            lines.append(f"  TESTCASE={t}")
            more = variants.get(t, [t])
            lines += [f"    TESTCASE={v}" for v in more if len(more) > 1]
    return "\n".join(lines)


def main(argv=None) -> int:
    """The command line; one line on stderr and status 2 for any bad argument."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["new"]:
        from rtl_verif.scaffold import main as new_main
        return new_main(argv[1:])
    return guard(_main, argv, errors=(RunnerError,), prog="python -m rtl_verif")


def _params_index(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 3:
        raise RunnerError(f"PARAMS must be a parameter-set index 0, 1, ..., got {text[:20]!r}")
    return int(text)


def _count(name: str, text: str, top: int) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 7 or not 1 <= int(text) <= top:
        raise RunnerError(f"{name} must be a count 1 .. {top}, got {text[:20]!r}")
    return int(text)


def run_config(name: str, sim: str, params: dict, *, seed, testcase, waves: str) -> tuple:
    """One configuration (block, simulator, parameter set): its :class:`Result`
    and the wave files written. ``waves``: ``"0"``, ``"1"`` (record every test)
    or ``"fail"`` (plain run, then :func:`wave_reruns` of the failing tests)."""
    r = run(name, sim, params, seed=seed, testcase=testcase, waves=waves == "1")
    files = [r.waves] if r.waves else []
    if waves == "fail" and r.failed:
        files += wave_reruns(r, testcase)
    return r, files


def wave_reruns(r: Result, testcase=None) -> list:
    """Re-run each failing test of ``r`` alone, with waves and the same seed
    (cocotb derives a test's seed from the run's and the test's name, so it sees
    the same stimulus); a run that died without results is re-run whole."""
    names = [t.name for t in r.tests if not t.passed] or [testcase]
    files = []
    for i, name in enumerate(names):
        if i == MAX_WAVE_RERUNS:
            say(f"  {len(names) - i} more failing tests of {r.block} not re-run: "
                f"{r.rerun_command()} WAVES=1 records them all")
            break
        w = run(r.block, r.sim, r.params, seed=r.seed, testcase=name, waves=True)
        what = f"{r.block}.{name or 'all'}"
        where = w.waves or "no wave file (the test simulated no clock)"
        if w.failed:
            say(f"  waves of failing {what}: {where}")
        else:  # e.g. a closure check that needs the tests before it
            say(f"  {what} passed when re-run alone ({where}); the whole run with waves: "
                f"{r.rerun_command(testcase)} WAVES=1")
        if w.waves:
            files.append(w.waves)
    return files


def _job(args) -> tuple:
    """A worker process's share of :func:`run_all` (picklable arguments in, result out)."""
    name, sim, params, kw = args
    return run_config(name, sim, params, **kw)


def _config_key(name: str, sim: str, params: dict) -> str:
    return f"{name}/{sim}/{params_tag(params)}"


def _load_times() -> dict:
    try:
        data = json.loads(TIMES.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def run_all(configs, sim: str, *, jobs: int, **kw) -> list:
    """:func:`run_config` for each ``(block, params)``, ``jobs`` at a time in
    worker processes (each build and simulation is one process, so two use two
    cores); results in the order of ``configs``. The configurations that took
    longest last time start first, so the run ends with the short ones."""
    from rtl_verif.tb import fcov
    fcov.run_id()  # before forking: every worker's simulators write into this one functional-coverage run
    times = _load_times()
    keys = [_config_key(n, sim, p) for n, p in configs]
    out = [None] * len(configs)
    if jobs <= 1 or len(configs) <= 1:
        for i, (name, params) in enumerate(configs):
            out[i] = run_config(name, sim, params, **kw)
    else:
        order = sorted(range(len(configs)), key=lambda i: -float(times.get(keys[i], 0.0) or 0.0))
        say(f"{len(configs)} configurations on {jobs} workers")
        ctx = multiprocessing.get_context("fork")
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            futs = {pool.submit(_job, (configs[i][0], sim, configs[i][1], kw)): i for i in order}
            try:
                for fut in concurrent.futures.as_completed(futs):
                    out[futs[fut]] = fut.result()
            except BaseException:
                for f in futs:
                    f.cancel()
                raise
    times.update({k: round(r.wall_s, 1) for k, (r, _) in zip(keys, out, strict=True)})
    try:
        TIMES.parent.mkdir(parents=True, exist_ok=True)
        TIMES.write_text(json.dumps(times, indent=0, sort_keys=True))
    except OSError:
        pass  # only an ordering hint
    return out


def _main(argv=None) -> int:
    ap = Parser(prog="python -m rtl_verif", description=__doc__.splitlines()[0])
    ap.add_argument("--sim", default=os.environ.get("SIM") or "verilator", choices=SIMULATORS)
    ap.add_argument("--block", default=os.environ.get("BLOCK") or None,
                    help=f"one of {', '.join(BLOCKS)} (default: all)")
    ap.add_argument("--testcase", default=os.environ.get("TESTCASE") or None)
    ap.add_argument("--seed", default=os.environ.get("SEED") or None)
    ap.add_argument("--params", default=os.environ.get("PARAMS") or None,
                    help="index of the parameter set (LIST=1 shows them)")
    ap.add_argument("--waves", default=os.environ.get("WAVES") or "0", choices=("0", "1", "fail"))
    ap.add_argument("--all-params", action="store_true", default=_flag("ALL_PARAMS"),
                    help="run every parameter set of each block, not just the default")
    ap.add_argument("--list", action="store_true", default=_flag("LIST"), help="list blocks, parameter sets, tests")
    ap.add_argument("--jobs", default=os.environ.get("JOBS") or "2",
                    help="configurations run at once (default 2; VERBOSE=1 runs serially)")
    ap.add_argument("--frames", default=os.environ.get("TB_FRAMES") or None,
                    help="random frames per test (TB_FRAMES)")
    a = ap.parse_args(argv)
    names = [a.block] if a.block else list(BLOCKS)
    for name in names:
        if name not in BLOCKS:
            raise RunnerError(f"unknown block {name!r}; choose from {', '.join(BLOCKS)}")
    if a.list:
        print(list_blocks(names))
        return 0
    if a.testcase and not a.block:
        raise RunnerError("TESTCASE needs BLOCK= (test names belong to one block; LIST=1 shows them)")
    seed = None if a.seed is None else _seed(a.seed)
    index = None if a.params is None else _params_index(a.params)
    jobs = 1 if verbose() else _count("JOBS", a.jobs, 64)
    if a.frames is not None:
        os.environ["TB_FRAMES"] = str(_count("TB_FRAMES", a.frames, 1_000_000))  # the runs read it
    if index is not None and a.all_params:
        raise RunnerError("give PARAMS= or ALL_PARAMS=1, not both")
    if a.testcase:
        check_testcase(names[0], a.testcase)  # before any build
    configs = []
    for name in names:
        sets = BLOCKS[name].param_sets
        if index is not None:
            if index >= len(sets):
                raise RunnerError(f"{name} has parameter sets 0 .. {len(sets) - 1}, not PARAMS={index}")
            sets = sets[index:index + 1]
        elif not a.all_params:
            sets = sets[:1]
        configs += [(name, params) for params in sets]
    t0 = time.monotonic()
    done = run_all(configs, a.sim, jobs=jobs, seed=seed, testcase=a.testcase, waves=a.waves)
    wall = time.monotonic() - t0
    results = [r for r, _ in done]
    cov = {}
    if any(r.coverage for r in results):
        from rtl_verif import coverage
        cov = coverage.block_summary(sorted({r.block for r in results if r.coverage}))
    print()
    print(format_table(results, cov))
    for f in (f for _, files in done for f in files):
        print(f"waves: {f}")
    print(speed_line(results, wall, jobs))
    print("JUnit XML: build/results/   logs: build/logs/" + ("   coverage: make cov" if cov else ""))
    plans = _plan_status(results)
    if plans:
        print()
        print(plans)
    return 1 if any(r.failed or not r.passed for r in results) else 0


def _plan_status(results) -> str:
    from rtl_verif import plan_status
    return plan_status.status_table(results)
