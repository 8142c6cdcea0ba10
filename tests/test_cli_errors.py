"""Every command line of the project answers a bad argument with one line on
stderr and a non-zero exit status: no usage block, no traceback."""

import subprocess
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent.parent / "tools"

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


TOOL_CASES = [
    ("hop_failures.py", ["-3", "1", "1"], "n must be >= 1, got -3"),
    ("hop_failures.py", ["5", "1"], "required: seed"),
    ("hop_failures.py", ["5", "x", "1"], "invalid float value: 'x'"),
    ("coverage_screenshot.py", ["--width", "wide"], "invalid int value: 'wide'"),
    ("hop_tail.py", ["4", "1", "x"], "SEEDS must be like 1-12 or 1,3,5, got 'x'"),
    ("hop_tail.py", ["4", "0", "1"], "DURATION_S must be > 0 for a swarm"),
    ("hop_tail.py", ["4", "1", "1", "--jobs", "0"], "--jobs must be >= 1"),
    ("hop_tail.py", ["nofile", "1", "1"], "neither a drone count nor a scenario file"),
    ("hop_tail.py", ["4", "1"], "required: seeds"),
]


@pytest.mark.parametrize("tool,args,reason", TOOL_CASES, ids=[f"{t}-{' '.join(a)}" for t, a, _ in TOOL_CASES])
def test_tools_bad_argument_is_one_line_and_nonzero(tool, args, reason):
    p = subprocess.run([sys.executable, str(TOOLS / tool), *args], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2  # the usage status of argcheck.cli (Parser and guard)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert reason in lines[0], lines[0]
    assert "Traceback" not in p.stderr and p.stdout == ""
