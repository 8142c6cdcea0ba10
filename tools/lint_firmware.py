"""Type-check firmware_models/ against MicroPython's own API (the PyPI stubs
``micropython-stdlib-stubs`` as the standard library and
``micropython-unix-stubs`` for the port's modules), so a call MicroPython
lacks is caught before it reaches a device. Exit status is mypy's."""

import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def port_stubs(site: Path, dest: Path) -> int:
    """Copy the unix-port stub files (listed in the wheel's RECORD) into dest."""
    records = list(site.glob("micropython_unix_stubs-*.dist-info/RECORD"))
    if not records or not (site / "stdlib" / "VERSIONS").exists():
        raise SystemExit("MicroPython stubs missing: pip install micropython-stdlib-stubs micropython-unix-stubs")
    n = 0
    for line in records[0].read_text().splitlines():
        name = line.split(",")[0]
        if name.endswith(".pyi") and "/" not in name:
            (dest / name).write_bytes((site / name).read_bytes())
            n += 1
    return n


def check(paths) -> int:
    site = Path(sysconfig.get_paths()["purelib"])
    with tempfile.TemporaryDirectory() as d:
        port_stubs(site, Path(d))
        cmd = [sys.executable, "-m", "mypy", "--custom-typeshed-dir", str(site), "--python-version", "3.11",
               "--no-site-packages", "--follow-imports=silent", *map(str, paths)]
        return subprocess.run(cmd, env={"MYPYPATH": d, "PATH": "/usr/bin:/bin"}).returncode


if __name__ == "__main__":
    from firmware_models.__main__ import firmware_sources  # every MicroPython file, subfolders too (not host tools)

    targets = sys.argv[1:] or firmware_sources()
    sys.exit(check(targets))
