"""The register-bus environment's host-side logic (rtl_verif/tb/axil_bus.py)
without a simulator: strobes, the register shadow and scoreboard, write
classification, the bus-operation scoreboard, the irq check; and the
testplans of the register blocks and the SoC against their testbenches.

Expectations come from the AXI4-Lite rule (AMBA AXI and ACE spec, IHI 0022,
A3.4.3: WSTRB[n] marks byte lane n = WDATA[8n+7:8n] valid) and from the
register models' field kinds (rtl_verif/regs/regmap.py), not from the code
under test.
"""

import logging

import pytest

from rtl_verif.plan_status import load_plan
from rtl_verif.regs.models.cordic_csr import REGMAP as CORDIC
from rtl_verif.regs.models.sm4_core import REGMAP as SM4
from rtl_verif.runner import list_tests
from rtl_verif.tb.axil_bus import (
    OKAY,
    SLVERR,
    AxilTxn,
    BusOpScoreboard,
    RegCoverage,
    RegScoreboard,
    RegShadow,
    status_bins,
    strobe_kind,
    strobe_mask,
    write_kinds,
)

LOG = logging.getLogger("test_reg_env")


@pytest.fixture(autouse=True)
def _seed(monkeypatch):
    monkeypatch.setenv("COCOTB_RANDOM_SEED", "1")  # what failure messages print, outside a simulation


def w(addr, data, strb=0xF, resp=OKAY):
    return AxilTxn(True, addr, data, strb, resp, None)


def r(addr, data, resp=OKAY, irq=None):
    return AxilTxn(False, addr, data, 0xF, resp, irq)


def test_strobes_follow_the_byte_lanes():
    assert strobe_mask(0b0001) == 0x000000FF
    assert strobe_mask(0b1000) == 0xFF000000
    assert strobe_mask(0b0110) == 0x00FFFF00
    assert strobe_mask(0) == 0
    assert [strobe_kind(s) for s in (0xF, 0b1100, 0b0010, 0b0111, 0)] == ["full", "half", "byte", None, None]


def test_shadow_takes_only_the_strobed_okay_writable_bits():
    sh = RegShadow(CORDIC)
    a = CORDIC.addr("AMP_MIN")  # VALUE: rw [15:0]
    sh.apply(w(a, 0xFFFF_1234))
    assert sh.value["AMP_MIN"] == 0x1234  # bits 31:16 are no field
    sh.apply(w(a + 1, 0xAB00, strb=0b0010))
    assert sh.value["AMP_MIN"] == 0xAB34
    sh.apply(w(a, 0x5555, resp=SLVERR))
    assert sh.value["AMP_MIN"] == 0xAB34, "a refused write changed the shadow"
    sh.apply(w(0x3C, 0xFFFF_FFFF))  # unmapped: nothing
    assert sh.field("AMP_MIN", "VALUE") == 0xAB34
    sh.reset()
    assert sh.value["AMP_MIN"] == 0


def test_register_scoreboard_names_register_and_bits():
    sb = RegScoreboard(CORDIC, LOG)
    a = CORDIC.addr("IRQ_ENABLE")  # RESULT [0], LOW_AMP [1], both rw
    sb.observe(r(a, 0))  # reset value 0: compared
    sb.observe(w(a, 0b10))
    sb.observe(r(a, 0b10 | 0xFFFF_0000))  # bits outside the read-back mask are not compared
    assert sb.compared == 2 and not sb.mismatches
    sb.observe(r(a, 0b11))
    assert len(sb.mismatches) == 1
    msg = sb.mismatches[0]
    assert "IRQ_ENABLE" in msg and "xor 0x00000001" in msg and "bit 0" in msg
    with pytest.raises(AssertionError, match="IRQ_ENABLE"):
        sb.report()


def test_write_only_and_status_fields_are_not_compared():
    sb = RegScoreboard(SM4, LOG)
    sb.observe(w(SM4.addr("KEY0"), 0x1234_5678))
    sb.observe(r(SM4.addr("KEY0"), 0))  # write-only: reads 0, nothing to compare
    sb.observe(r(SM4.addr("STATUS"), 0xF))  # hardware status
    assert sb.compared == 0 and not sb.mismatches
    assert sb.shadow.value["KEY0"] == 0x1234_5678  # but the key words are remembered (the SM4 predictor uses them)


def test_write_kinds_sees_what_the_ones_land_on():
    ctrl = SM4.addr("CTRL")  # DECRYPT rw [0], KEY_LOAD pulse [1], START pulse [2]
    assert write_kinds(SM4, w(ctrl, 0b011)) == ["rw", "pulse"]
    assert write_kinds(SM4, w(ctrl, 0b110, strb=0b0010)) == []  # the ones are outside the strobed byte
    assert write_kinds(SM4, w(SM4.addr("ID"), 1)) == ["read-only"]
    assert write_kinds(SM4, w(SM4.addr("IRQ_STATUS"), 1)) == ["w1c"]
    assert write_kinds(SM4, w(ctrl, 1, resp=SLVERR)) == []


def test_bus_operation_scoreboard_compares_after_ready():
    sh = RegShadow(CORDIC)
    t = [0.0]
    sb = BusOpScoreboard("op", CORDIC, sh, LOG, start=lambda x: CORDIC.at(x.word).name == "SAMPLE",
                         predict=lambda s: {"RESULT": s.value["SAMPLE"] ^ 0xFFFF_FFFF},
                         ready=("STATUS", "RESULT_VALID"), min_clocks=5)
    sb.now = lambda: t[0]
    status, result = CORDIC.addr("STATUS"), CORDIC.addr("RESULT")
    valid = CORDIC.reg("STATUS").field("RESULT_VALID").mask
    sh.apply(w(CORDIC.addr("SAMPLE"), 0x0001_0002))
    sb.observe(w(CORDIC.addr("SAMPLE"), 0x0001_0002))
    t[0] = 20.0  # 2 clocks later: a RESULT_VALID now may be stale
    sb.observe(r(status, valid))
    sb.observe(r(result, 0x1111))
    assert sb.compared == 0
    t[0] = 100.0
    sb.observe(r(status, valid))
    sb.observe(r(result, 0xFFFE_FFFD))
    assert sb.compared == 1 and not sb.mismatches
    sb.observe(r(result, 0xFFFE_FFFC))
    assert "RESULT read 0xfffefffc, expected 0xfffefffd" in sb.mismatches[0] and "bit 0" in sb.mismatches[0]
    with pytest.raises(AssertionError, match="operation 0"):
        sb.report()


def test_irq_pin_checked_against_status_and_enable():
    sh = RegShadow(SM4)
    cov = RegCoverage("test_reg_env_sm4", SM4, sh, LOG, has_irq=True)
    st = SM4.addr("IRQ_STATUS")
    cov.sample(r(st, 0b01, irq=0))  # set but masked: pin low is right
    assert not cov.irq_errors
    sh.apply(w(SM4.addr("IRQ_ENABLE"), 0b01))
    cov.sample(r(st, 0b01, irq=1))
    assert not cov.irq_errors
    cov.sample(r(st, 0b01, irq=0))
    assert cov.irq_errors and "irq pin is low" in cov.irq_errors[0]
    with pytest.raises(AssertionError):
        cov.report()


def test_status_bins_cover_every_status_field():
    assert status_bins(SM4) == ("KEY_READY=0", "KEY_READY=1", "KEY_BUSY=0", "KEY_BUSY=1", "BLOCK_BUSY=0",
                                "BLOCK_BUSY=1", "DOUT_VALID=0", "DOUT_VALID=1")


@pytest.mark.parametrize("block", ["sm4_core", "cordic_csr", "viterbi_csr", "soc"])
def test_plan_names_every_test_of_the_testbench(block):
    """Each testpoint's tests exist, and every test of the testbench closes some testpoint."""
    plan = load_plan(block)
    assert plan is not None and plan["block"] == block
    tests = set(list_tests(block))
    named = {t for tp in plan["testpoints"] for t in tp.get("tests") or []}
    assert named <= tests, f"plan names tests the testbench lacks: {named - tests}"
    assert tests <= named, f"tests no testpoint names: {tests - named}"
    assert "test_coverage_closure" in named
    assert all(tp.get("desc") for tp in plan["testpoints"])
