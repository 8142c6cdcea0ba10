"""The RISC-V toolchain of the SoC firmware: Debian's ``gcc-riscv64-unknown-elf``
(GCC, binutils) and ``picolibc-riscv64-unknown-elf`` (the C library, with its
``picolibc.specs``), building rv32imc / ilp32.

``python -m rtl_verif.soc.toolchain`` says whether they are installed; when
they are not it prints the one command to run and exits 1. With ``--install``
it runs that command itself when it is root (``make setup`` does this), and
otherwise prints it and exits 1.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

from argcheck.cli import Parser

PREFIX = "riscv64-unknown-elf-"
PACKAGES = ("gcc-riscv64-unknown-elf", "picolibc-riscv64-unknown-elf")
SPECS = Path("/usr/lib/picolibc/riscv64-unknown-elf/picolibc.specs")
INSTALL = "apt-get install -y " + " ".join(PACKAGES)
ARCH = ("-march=rv32imc", "-mabi=ilp32")


class ToolchainError(RuntimeError):
    """The cross compiler or the C library is missing; the message says the command."""


class Toolchain(NamedTuple):
    gcc: str
    objcopy: str
    size: str
    specs: Path


def find() -> Toolchain:
    """The installed toolchain, or :class:`ToolchainError` naming the install command."""
    tools = {t: shutil.which(PREFIX + t) for t in ("gcc", "objcopy", "size")}
    missing = [PACKAGES[0]] if not all(tools.values()) else []
    if not SPECS.exists():
        missing.append(PACKAGES[1])
    if missing:
        raise ToolchainError(f"RISC-V toolchain missing ({', '.join(missing)}): run  apt-get install -y "
                             + " ".join(missing))
    return Toolchain(tools["gcc"], tools["objcopy"], tools["size"], SPECS)


def install() -> None:
    """apt-get install the packages (as root); ToolchainError if that fails."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print("installing Debian packages: " + " ".join(PACKAGES))
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *PACKAGES]):
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if r.returncode:
            raise ToolchainError(f"{' '.join(cmd)} failed: {' '.join(r.stderr.split())[:300]}")


def main(argv=None) -> int:
    ap = Parser(prog="python -m rtl_verif.soc.toolchain", description=__doc__.splitlines()[0])
    ap.add_argument("--install", action="store_true", help="install the packages when missing (needs root)")
    a = ap.parse_args(argv)
    try:
        tc = find()
    except ToolchainError as exc:
        if not (a.install and os.geteuid() == 0):
            print(exc, file=sys.stderr)
            return 1
        try:
            install()
            tc = find()
        except ToolchainError as exc2:
            print(exc2, file=sys.stderr)
            return 1
    print(f"RISC-V toolchain: {tc.gcc} with {tc.specs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
