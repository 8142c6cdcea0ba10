"""The RISC-V SoC in simulation: PicoRV32 (the PyPI package
``pythondata-cpu-picorv32``) on an AXI4-Lite interconnect with RAM, a control
block and the project's blocks; C firmware from ``firmware_models/c``.

:func:`sources` and :func:`prepare` are the runner's hooks (the ``soc`` entry
of :mod:`rtl_verif.blocks`): the RTL files, and the firmware build that has
to happen before a simulation.
"""

import importlib.util
from pathlib import Path

RTL = Path(__file__).resolve().parent / "rtl"
FILES = ("soc_axil_xbar.sv", "soc_ram.sv", "soc_ctrl.sv", "soc.sv")
BLOCK_RTL = Path(__file__).resolve().parent.parent / "rtl"
# the blocks' files (as their rtl_verif.blocks entries list them; tests/test_soc.py checks they agree)
BLOCK_FILES = ("sm4_sbox.sv", "sm4_t.sv", "sm4_key.sv", "sm4_round.sv", "sm4_core_regs.sv", "sm4_core.sv",
               "cordic_atan2.sv", "cordic_csr_regs.sv", "cordic_csr.sv",
               "viterbi_dec.sv", "viterbi_csr_regs.sv", "viterbi_csr.sv",
               "soc_ctrl_regs.sv")  # the control block's registers (rtl_verif/regs/soc_ctrl.rdl)


def picorv32_path() -> Path:
    """picorv32.v of the installed ``pythondata-cpu-picorv32`` (a path that does
    not exist when the package is missing: :func:`prepare` says what to do)."""
    spec = importlib.util.find_spec("pythondata_cpu_picorv32")
    if spec is None or spec.origin is None:
        return Path("pythondata-cpu-picorv32-not-installed") / "picorv32.v"
    return Path(spec.origin).resolve().parent / "verilog" / "picorv32.v"


def sources() -> tuple:
    """Absolute paths of the SoC's RTL, the core first."""
    return (str(picorv32_path()), *(str(BLOCK_RTL / f) for f in BLOCK_FILES), *(str(RTL / f) for f in FILES))


def prepare() -> None:
    """Check the core package and build the firmware images (skipped when current)."""
    from rtl_verif.runner import RunnerError
    from rtl_verif.soc import firmware, toolchain

    if not picorv32_path().exists():
        raise RunnerError("the PicoRV32 core is missing: pip install pythondata-cpu-picorv32 (make setup)")
    try:
        firmware.build()
    except (toolchain.ToolchainError, firmware.BuildError) as exc:
        raise RunnerError(str(exc)) from None
