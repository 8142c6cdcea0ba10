"""``python -m benchmarks [name ...]``: run every section (or those named)."""

import importlib
import sys

# (module, function) per section, in print order
SECTIONS = [("benchmarks.phy", "run"), ("benchmarks.phy", "run_viterbi"), ("benchmarks.crypto", "run"),
            ("benchmarks.sensor", "run"), ("benchmarks.security", "run")]


def main(argv) -> int:
    for mod, fn in SECTIONS:
        if argv and not any(a in f"{mod}.{fn}" for a in argv):
            continue
        for line in getattr(importlib.import_module(mod), fn)():
            print(line, flush=True)
    return 0


raise SystemExit(main(sys.argv[1:]))
