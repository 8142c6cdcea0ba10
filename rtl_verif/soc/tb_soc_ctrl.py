"""cocotb testbench of the SoC control block alone (``rtl/soc_ctrl.sv``
around the generated ``soc_ctrl_regs``): run by tests/test_soc_ctrl.py on
Icarus and Verilator.

Testplan:
* test_csr — the CSR test generated from rtl_verif/regs/soc_ctrl.rdl
  (rtl_verif/regs/csr_check.py: reset values, read-only registers, the
  unmapped offset answering SLVERR with data 0, write-only and w1c bits);
  CYCLE_LO counts by itself, so its value is not compared there.
* test_console_and_exit — a CONSOLE write with byte lane 0 gives one
  console_valid clock with the byte, one without lane 0 none; an EXIT write
  gives one exit_valid clock with the whole word (0 included).
* test_cycle_counter — CYCLE_LO advances by the clocks between two reads;
  CYCLE_LO then CYCLE_HI is one 64-bit count when the low word wraps at the
  clock of the read (the counter set near 2^33 by a deposit).
* test_bus_error_latch — the first error report is latched (ERR, WRITE, RESP,
  BUSERR_ADDR), a second one while ERR is set is not, writing 0 keeps ERR,
  writing 1 clears it, and an error in the clock of the clear is not lost.

Expected values are the register description's (soc_ctrl.rdl: ID
0x534F4301, offsets) written out here, not read back from the RTL.
"""

import random

import cocotb
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge

from rtl_verif.regs.csr_check import check_csr
from rtl_verif.regs.models.soc_ctrl import REGMAP
from rtl_verif.tb.axil_bus import AxilBus
from rtl_verif.tb.axis_tb import seed, start_in_reset

OKAY, SLVERR = 0, 2
CONSOLE, EXIT, CYCLE_LO, CYCLE_HI, BUSERR, BUSERR_ADDR, ID = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18


async def setup(dut) -> AxilBus:
    for s in ("err_valid", "err_write", "err_addr", "err_resp"):
        getattr(dut, s).value = 0
    bus = AxilBus(dut, "s", regmap=REGMAP)
    start_in_reset(dut)
    await ClockCycles(dut.clk, 4)
    dut.rst.value = 0
    await ClockCycles(dut.clk, 2)
    return bus


async def pulses(dut, signal: str, sink: list, value: str | None = None):
    """Record (clock, value) of every clock ``signal`` is high."""
    clock = 0
    while True:
        await RisingEdge(dut.clk)
        await ReadOnly()
        clock += 1
        if int(getattr(dut, signal).value):
            sink.append((clock, int(getattr(dut, value).value) if value else None))


@cocotb.test()
async def test_csr(dut):
    bus = await setup(dut)
    rng = random.Random(seed())
    consoles, exits = [], []
    cocotb.start_soon(pulses(dut, "console_valid", consoles))
    cocotb.start_soon(pulses(dut, "exit_valid", exits))
    report = await check_csr(bus, REGMAP, rng, volatile=("CYCLE_LO",))
    dut._log.info(report.summary())
    report.assert_ok()
    # the description's own figures, independent of the model: 7 registers, one unmapped word
    assert [r.offset for r in REGMAP.regs] == [CONSOLE, EXIT, CYCLE_LO, CYCLE_HI, BUSERR, BUSERR_ADDR, ID]
    assert REGMAP.unmapped() == [0x1C]
    value, resp = await bus.read_resp(ID)
    assert (value, resp) == (0x534F4301, OKAY)
    # the CSR test wrote all-ones to CONSOLE and EXIT once each (step 5)
    assert len(consoles) == 1 and len(exits) == 1, (consoles, exits)
    assert int(dut.bus_error.value) == 0


@cocotb.test()
async def test_console_and_exit(dut):
    bus = await setup(dut)
    consoles, exits = [], []
    cocotb.start_soon(pulses(dut, "console_valid", consoles, "console_data"))
    cocotb.start_soon(pulses(dut, "exit_valid", exits, "exit_code"))
    assert await bus.write_resp(CONSOLE, b"A\x00\x00\x00") == OKAY
    assert await bus.write_resp(CONSOLE + 1, b"!") == OKAY  # lane 1 only: no byte
    assert await bus.write_resp(CONSOLE, b"\x0a") == OKAY
    await ClockCycles(dut.clk, 3)
    assert [v for _, v in consoles] == [0x41, 0x0A], consoles
    assert await bus.write_resp(EXIT, (0x8000_0003).to_bytes(4, "little")) == OKAY
    assert await bus.write_resp(EXIT, bytes(4)) == OKAY  # 0 = pass is a write like any other
    await ClockCycles(dut.clk, 3)
    assert [v for _, v in exits] == [0x8000_0003, 0], exits
    assert len({c for c, _ in exits}) == 2  # one clock each
    for addr in (CONSOLE, EXIT):  # write-only: read 0
        assert await bus.read_resp(addr) == (0, OKAY)


@cocotb.test()
async def test_cycle_counter(dut):
    bus = await setup(dut)
    lo1, _ = await bus.read_resp(CYCLE_LO)
    await ClockCycles(dut.clk, 100)
    lo2, _ = await bus.read_resp(CYCLE_LO)
    # 100 clocks waited plus the read's own handshake (a few clocks)
    assert 100 < lo2 - lo1 < 110, (lo1, lo2)
    assert await bus.read_resp(CYCLE_HI) == (0, OKAY)
    edge = 0
    for k in range(12):
        start = (2 << 32) - 1 - k  # low word 0xffffffff - k, high word 1
        await FallingEdge(dut.clk)
        dut.cycles.value = start
        lo, r1 = await bus.read_resp(CYCLE_LO)
        hi, r2 = await bus.read_resp(CYCLE_HI)
        assert r1 == r2 == OKAY
        count = hi << 32 | lo
        assert start <= count < start + 12, f"k={k}: CYCLE_HI:CYCLE_LO = 0x{count:016x}, set 0x{start:016x}"
        edge += lo in (0xFFFF_FFFF, 0)
    assert edge, "no read fell on the low word's wrap"


@cocotb.test()
async def test_bus_error_latch(dut):
    bus = await setup(dut)

    async def report(write, addr, resp):
        await FallingEdge(dut.clk)
        dut.err_valid.value, dut.err_write.value, dut.err_addr.value, dut.err_resp.value = 1, write, addr, resp
        await FallingEdge(dut.clk)
        dut.err_valid.value = 0

    assert await bus.read_resp(BUSERR) == (0, OKAY)
    await report(1, 0x3000_0004, 3)
    assert int(dut.bus_error.value) == 1
    await report(0, 0x1000_001C, 2)  # ERR set: not latched
    assert await bus.read_resp(BUSERR) == (1 | 1 << 1 | 3 << 2, OKAY)
    assert await bus.read_resp(BUSERR_ADDR) == (0x3000_0004, OKAY)
    assert await bus.write_resp(BUSERR, bytes(4)) == OKAY  # 0 keeps it
    assert (await bus.read_resp(BUSERR))[0] & 1 == 1
    assert await bus.write_resp(BUSERR, b"\x01") == OKAY
    assert await bus.read_resp(BUSERR) == (0 | 1 << 1 | 3 << 2, OKAY)  # details stay, ERR clear
    assert int(dut.bus_error.value) == 0
    await report(0, 0x1000_001C, 2)  # latched again after the clear
    assert await bus.read_resp(BUSERR) == (1 | 2 << 2, OKAY)
    assert await bus.read_resp(BUSERR_ADDR) == (0x1000_001C, OKAY)
    # an error report in the very clock of a clearing write keeps ERR set
    write = cocotb.start_soon(bus.write_resp(BUSERR, b"\x01"))
    while not (int(dut.s_awvalid.value) and int(dut.s_awready.value)):
        await FallingEdge(dut.clk)
    dut.err_valid.value = 1
    await FallingEdge(dut.clk)
    dut.err_valid.value = 0
    assert await write == OKAY
    assert (await bus.read_resp(BUSERR))[0] & 1 == 1
