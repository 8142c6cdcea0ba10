"""``python -m rtl_verif``: run testbenches and print one summary table.

Knobs (also read from the environment, as ``make sim`` passes them):
SIM (verilator | icarus), BLOCK, TESTCASE, SEED, WAVES=1.
"""

import os

from argcheck.cli import Parser, guard
from rtl_verif.blocks import BLOCKS
from rtl_verif.runner import SIMULATORS, RunnerError, run


def format_table(results) -> str:
    head = f"{'block':<14} {'params':<28} {'sim':<10} {'pass':>5} {'fail':>5} {'sim time':>12} {'wall':>8}"
    lines = [head, "-" * len(head)]
    for r in results:
        p = ",".join(f"{k}={v}" for k, v in r.params.items()
                     if not k.startswith("SCALE") and k not in ("ANGLES", "KINV", "G", "ZW")
                     and len(str(v)) <= 12) or "-"
        lines.append(f"{r.block:<14} {p:<28} {r.sim:<10} {r.passed:>5} {r.failed:>5} "
                     f"{r.sim_time_ns / 1e6:>9.3f} ms {r.wall_s:>7.1f}s")
    tot_p = sum(r.passed for r in results)
    tot_f = sum(r.failed for r in results)
    lines.append("-" * len(head))
    lines.append(f"{tot_p} passed, {tot_f} failed")
    return "\n".join(lines)


def _seed(text: str) -> int:
    shown = text if len(text) <= 24 else text[:20] + "..."
    if not (text.isascii() and text.lstrip("-").isdigit()):
        raise RunnerError(f"SEED must be a decimal integer, got {shown!r}")
    if text.startswith("-") or len(text) > 10 or int(text) >= 2**32:
        raise RunnerError(f"SEED must be in 0 .. 2**32-1, got {shown}")
    return int(text)


def main(argv=None) -> int:
    """The command line; one line on stderr and status 2 for any bad argument."""
    return guard(_main, argv, errors=(RunnerError,), prog="python -m rtl_verif")


def _main(argv=None) -> int:
    ap = Parser(prog="python -m rtl_verif", description=__doc__.splitlines()[0])
    ap.add_argument("--sim", default=os.environ.get("SIM") or "verilator", choices=SIMULATORS)
    ap.add_argument("--block", default=os.environ.get("BLOCK") or None,
                    help=f"one of {', '.join(BLOCKS)} (default: all)")
    ap.add_argument("--testcase", default=os.environ.get("TESTCASE") or None)
    ap.add_argument("--seed", default=os.environ.get("SEED") or None)
    ap.add_argument("--waves", action="store_true", default=os.environ.get("WAVES") == "1")
    ap.add_argument("--all-params", action="store_true",
                    help="run every parameter set of each block, not just the default")
    a = ap.parse_args(argv)
    names = [a.block] if a.block else list(BLOCKS)
    for name in names:
        if name not in BLOCKS:
            raise RunnerError(f"unknown block {name!r}; choose from {', '.join(BLOCKS)}")
    seed = None if a.seed is None else _seed(a.seed)
    results = []
    for name in names:
        sets = BLOCKS[name].param_sets if a.all_params else BLOCKS[name].param_sets[:1]
        for params in sets:
            r = run(name, a.sim, params, seed=seed, testcase=a.testcase, waves=a.waves)
            results.append(r)
            if r.waves:
                print(f"waves: {r.waves}")
    print()
    print(format_table(results))
    print("JUnit XML: build/results/")
    return 1 if any(r.failed or not r.passed for r in results) else 0
