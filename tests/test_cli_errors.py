"""Every command line of the project answers a bad argument with one line on
stderr and a non-zero exit status: no usage block, no traceback."""

import subprocess
import sys

import pytest

CASES = [
    ("rtl_verif", ["--sim", "modelsim"], "invalid choice"),
    ("rtl_verif", ["--block", "nope"], "unknown block 'nope'"),
    ("rtl_verif", ["--seed", "12x"], "SEED must be a decimal integer"),
    ("rtl_verif", ["--seed", "-1"], "SEED must be in"),
    ("rtl_verif", ["--seed", "9" * 5000], "SEED must be in"),
    ("rtl_verif", ["--bogus"], "unrecognized arguments"),
    ("benchmarks", ["nosuch"], "no bench section matches 'nosuch'"),
    ("benchmarks", ["--bogus"], "unrecognized arguments"),
    ("protocol.firmware_tables", ["--bogus"], "unrecognized arguments: --bogus"),
    ("protocol.firmware_tables", ["--check", "x"], "unrecognized arguments: x"),
    ("rtl_verif.soc.docs", ["--bogus"], "unrecognized arguments: --bogus"),
    ("rtl_verif.soc.docs", ["--check", "--write"], "not allowed with argument --check"),
    ("rtl_verif.soc.firmware", ["--variant", "nope"], "invalid choice: 'nope'"),
    ("rtl_verif.soc.toolchain", ["--bogus"], "unrecognized arguments: --bogus"),
    ("rtl_verif.mutations", ["--sim", "modelsim"], "invalid choice: 'modelsim'"),
]


@pytest.mark.parametrize("module,args,reason", CASES, ids=[f"{m}-{' '.join(a)[:20]}" for m, a, _ in CASES])
def test_bad_argument_is_one_line_and_nonzero(module, args, reason):
    p = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=120)
    assert p.returncode != 0
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert reason in lines[0]
    assert "Traceback" not in p.stderr and p.stdout == ""
