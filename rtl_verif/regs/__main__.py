"""``python -m rtl_verif.regs``: regenerate every file made from the SystemRDL
register descriptions and the golden models' constants (see
rtl_verif/regs/generate.py); ``--check`` changes nothing and exits 1 when a
committed copy is stale."""

import sys

from argcheck.cli import Parser, guard
from rtl_verif.regs.errors import RegsError
from rtl_verif.regs.generate import ROOT, stale, write


def _main(argv=None) -> int:
    ap = Parser(prog="python -m rtl_verif.regs", description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only report stale generated files (exit 1 if any)")
    a = ap.parse_args(argv)
    paths = stale() if a.check else write()
    for p in paths:
        print(f"{'stale' if a.check else 'wrote'} {p.relative_to(ROOT)}")
    if a.check and paths:
        print("run `python -m rtl_verif.regs` (make regs) and commit the result", file=sys.stderr)
        return 1
    print(f"{len(paths)} file(s) {'stale' if a.check else 'regenerated'}")
    return 0


def main(argv=None) -> int:
    return guard(_main, argv, errors=(RegsError,), prog="python -m rtl_verif.regs")


if __name__ == "__main__":
    sys.exit(main())
