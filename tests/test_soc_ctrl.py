"""The SoC control block alone (rtl_verif/soc/rtl/soc_ctrl.sv around the
registers generated from rtl_verif/regs/soc_ctrl.rdl): its cocotb testbench
rtl_verif/soc/tb_soc_ctrl.py — the generated CSR test and the directed
console/exit, cycle-counter and bus-error-latch tests — on both simulators.
The block is not an rtl_verif.blocks entry (the SoC builds it); the runner
gets it for the test's duration."""

import pytest

from rtl_verif import blocks, runner, soc
from rtl_verif.soc import memory_map

SOURCES = (str(soc.BLOCK_RTL / "soc_ctrl_regs.sv"), str(soc.RTL / "soc_ctrl.sv"))
TESTS = {"test_csr", "test_console_and_exit", "test_cycle_counter", "test_bus_error_latch"}


def test_the_soc_builds_the_control_block_from_its_description():
    srcs = soc.sources()
    assert all(s in srcs for s in SOURCES)
    assert memory_map.window("CTRL").size == memory_map.CTRL_REGMAP.span == 32  # 0x00..0x1c: no alias
    assert memory_map.CTRL_UNMAPPED == 0x1C
    assert "#define SOC_CTRL_UNMAPPED 0x1cu" in memory_map.c_header()


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
