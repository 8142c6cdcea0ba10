"""Command-line front ends that fail in one line.

Every CLI of the project must, for any bad argument or input file, print one
line to stderr and exit non-zero — no usage block, no traceback.
:class:`Parser` is ``argparse.ArgumentParser`` with that behaviour for
argument errors; :func:`guard` runs a ``main`` and turns the typed errors it
lets out (the package's ``ValueError`` subclass, a file that cannot be read,
input that is not valid UTF-8) into that one line.

:func:`output_dir` is where a CLI with a ``--quick`` mode writes: a quick run
never replaces the committed full results in ``docs/`` unless told to.
:func:`usable_cores` is how many worker processes a CLI starts by default.
"""

import argparse
import math
import os
import sys
from pathlib import Path

EXIT_USAGE = 2
QUICK_DIR = "build"  # gitignored: a quick (smoke) run's files go here by default


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line: ``prog: error: reason``."""

    def error(self, message):  # argparse's hook for every argument error
        print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def guard(main, argv=None, *, errors=(ValueError,), prog: str | None = None) -> int:
    """Run ``main(argv)``; a ``ValueError`` (the packages' typed errors are
    subclasses), ``OSError`` or ``RecursionError`` becomes one line on stderr
    and exit status 2. Anything else is a bug and keeps its traceback."""
    name = prog or "error"
    try:
        return main(argv)
    except (*errors, OSError, UnicodeError, RecursionError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        print(f"{name}: error: {reason[:300]}", file=sys.stderr)
        return EXIT_USAGE


# the container's CPU limit: cgroup v2, then v1 (quota and period in µs; "max" or -1: none)
CGROUP_V2_MAX = Path("/sys/fs/cgroup/cpu.max")
CGROUP_V1 = (Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"), Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us"))


def usable_cores() -> int:
    """The CPUs this process may keep busy: the ones it may run on
    (``os.sched_getaffinity``, where the OS has it; else ``os.cpu_count``),
    at most the container's CPU quota rounded up (a 1.5-CPU limit gives 2),
    at least 1. A quota file that is missing or unreadable sets no limit."""
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = _cgroup_quota()
    return max(1, min(n, math.ceil(quota)) if quota is not None else n)


def _cgroup_quota() -> float | None:
    """The container's CPU limit in CPUs, or None for no limit."""
    try:
        if CGROUP_V2_MAX.is_file():
            q, p = CGROUP_V2_MAX.read_text().split()[:2]
        else:
            q, p = (f.read_text().strip() for f in CGROUP_V1)
        quota, period = int(q), int(p)  # "max" (v2) raises: no limit
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None


def output_dir(out: str | None, quick: bool, full: str = "docs") -> Path:
    """The folder a CLI writes into: ``out`` when given, else ``full`` (the
    committed results) for a full run and :data:`QUICK_DIR` (gitignored) for a
    ``--quick`` one, so a smoke run never overwrites the committed full
    results. Says so on stdout when it chose the quick folder."""
    if out is not None:
        return Path(out)
    if not quick:
        return Path(full)
    print(f"--quick without --out: writing to {QUICK_DIR}/, not {full}/ (the committed full results); "
          f"--out {full} replaces them")
    return Path(QUICK_DIR)
