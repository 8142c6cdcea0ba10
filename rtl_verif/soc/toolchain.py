"""The RISC-V toolchain of the SoC firmware: Debian's ``gcc-riscv64-unknown-elf``
(GCC, binutils) and ``picolibc-riscv64-unknown-elf`` (the C library, with its
``picolibc.specs``), building rv32imc / ilp32.

``python -m rtl_verif.soc.toolchain`` says whether they are installed; when
they are not it prints the one command to run and exits 1 (``make setup``
runs it for you as root).
"""

import shutil
import sys
from pathlib import Path
from typing import NamedTuple

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


def main() -> int:
    try:
        tc = find()
    except ToolchainError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"ok: {tc.gcc} with {tc.specs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
