"""``python -m benchmarks [name ...]``: run every section (or those whose
``module.function`` contains one of the names given)."""

import importlib
import sys

from argcheck.cli import Parser, guard

# (module, function) per section, in print order
SECTIONS = [("benchmarks.phy", "run"), ("benchmarks.phy", "run_viterbi"), ("benchmarks.crypto", "run"),
            ("benchmarks.receiver", "run"), ("benchmarks.sensor", "run"), ("benchmarks.security", "run"),
            ("benchmarks.netsim", "run")]


def _main(argv) -> int:
    ap = Parser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="sections to run (substring of module.function)")
    names = ap.parse_args(argv).names
    labels = [f"{mod}.{fn}" for mod, fn in SECTIONS]
    for n in names:
        if not any(n in label for label in labels):
            raise ValueError(f"no bench section matches {n!r}; sections: {', '.join(labels)}")
    for (mod, fn), label in zip(SECTIONS, labels, strict=True):
        if names and not any(n in label for n in names):
            continue
        for line in getattr(importlib.import_module(mod), fn)():
            print(line, flush=True)
    return 0


raise SystemExit(guard(_main, sys.argv[1:], prog="python -m benchmarks"))
