"""The SoC control block alone (rtl_verif/soc/rtl/soc_ctrl.sv around the
registers generated from rtl_verif/regs/soc_ctrl.rdl): its cocotb testbench
rtl_verif/soc/tb_soc_ctrl.py — the generated CSR test and the directed
console/exit, cycle-counter and bus-error-latch tests — on both simulators.
The block is not an rtl_verif.blocks entry (the SoC builds it); the runner
gets it for the test's duration."""

import asyncio
import random

import pytest

from rtl_verif import blocks, runner, soc
from rtl_verif.devices.regfile import RegisterFile
from rtl_verif.regs.csr_check import check_csr
from rtl_verif.regs.errors import RegsError
from rtl_verif.regs.models.soc_ctrl import REGMAP
from rtl_verif.soc import memory_map

SOURCES = (str(soc.BLOCK_RTL / "soc_ctrl_regs.sv"), str(soc.RTL / "soc_ctrl.sv"))
TESTS = {"test_csr", "test_console_and_exit", "test_cycle_counter", "test_bus_error_latch"}


def test_the_soc_builds_the_control_block_from_its_description():
    srcs = soc.sources()
    assert all(s in srcs for s in SOURCES)
    assert memory_map.window("CTRL").size == memory_map.CTRL_REGMAP.span == 32  # 0x00..0x1c: no alias
    assert memory_map.CTRL_UNMAPPED == 0x1C
    assert "#define SOC_CTRL_UNMAPPED 0x1cu" in memory_map.c_header()


class _Ctrl(RegisterFile):
    """The control block's registers without clocks: the cycle counter
    advances 3 clocks per access (time passes between bus transactions),
    a CYCLE_LO read copies the high word."""

    def __init__(self, start: int = 0):
        super().__init__(REGMAP)
        self.cycles, self.cycle_hi = start, 0

    def hw(self, reg, field):
        return {"CYCLE_LO": self.cycles & 0xFFFFFFFF, "CYCLE_HI": self.cycle_hi}.get(reg, 0)

    def on_read(self, reg):
        if reg == "CYCLE_LO":
            self.cycle_hi = self.cycles >> 32

    def read(self, offset):
        self.cycles += 3
        return super().read(offset)

    def write(self, offset, data):
        self.cycles += 3
        return super().write(offset, data)


@pytest.fixture
def prng(rng):
    return random.Random(int(rng.integers(2**63)))


def test_csr_check_with_the_counter_volatile_passes_on_a_model(prng):
    report = asyncio.run(check_csr(_Ctrl(), REGMAP, prng, volatile=("CYCLE_LO",)))
    report.assert_ok()
    assert report.counts["reset value"] == 4  # CYCLE_HI, BUSERR, BUSERR_ADDR, ID (CONSOLE, EXIT: write-only)
    assert report.counts["unmapped read"] == 1  # 0x1c


def test_csr_check_sees_the_counter_move_unless_told(prng):
    report = asyncio.run(check_csr(_Ctrl(), REGMAP, prng))
    assert report.failed_kinds == {"read-only", "no aliasing"}, report.summary()
    assert all("CYCLE_LO" in f for f in report.failures), report.failures


def test_csr_check_refuses_an_unknown_volatile_register(prng):
    with pytest.raises(RegsError, match="CYCLE"):
        asyncio.run(check_csr(_Ctrl(), REGMAP, prng, volatile=("CYCLES",)))


@pytest.mark.rtl
@pytest.mark.parametrize("sim", runner.SIMULATORS)
def test_soc_ctrl_rtl(sim, monkeypatch):
    monkeypatch.setitem(blocks.BLOCKS, "soc_ctrl", blocks.Block("soc_ctrl", SOURCES, "rtl_verif.soc.tb_soc_ctrl",
                                                                ({},)))
    try:
        r = runner.run("soc_ctrl", sim, progress=False, coverage=False)
    except runner.RunnerError as exc:
        pytest.skip(str(exc))
    names = {t.name.rsplit(".", 1)[-1] for t in r.tests}
    assert names == TESTS, names
    assert r.failed == 0 and r.passed == len(TESTS), f"see {r.log} (seed {r.seed})"
