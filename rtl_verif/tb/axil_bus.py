"""The RTL bus backend: the firmware drivers' bus interface (``await
read32(addr)``, ``await write32(addr, value)``, byte addresses, 32-bit words)
and the CSR test's raw transactions (``read_resp``/``write_resp``, see
rtl_verif/regs/csr_check.py) on cocotbext-axi's AxiLiteMaster driving a
block's ``s_axil`` port; with a register model, registers by name for the
testbenches. A response other than OKAY to read32/write32 raises RegsError
naming the address."""

import logging

from cocotb.triggers import ClockCycles
from cocotbext.axi import AxiLiteBus, AxiLiteMaster

from rtl_verif.regs.csr_check import check_csr
from rtl_verif.regs.errors import RegsError

OKAY = 0


class AxilBus:
    def __init__(self, dut, prefix: str = "s_axil", base: int = 0, regmap=None):
        self.dut = dut
        self.master = AxiLiteMaster(AxiLiteBus.from_prefix(dut, prefix), dut.clk, dut.rst)
        for side in (self.master.write_if, self.master.read_if):
            side.log.setLevel(logging.WARNING)
        self.base = base
        self.regmap = regmap
        self.reads = 0
        self.writes = 0

    async def read_resp(self, addr: int):
        r = await self.master.read(addr, 4)
        self.reads += 1
        return int.from_bytes(r.data, "little"), int(r.resp)

    async def write_resp(self, addr: int, data: bytes) -> int:
        r = await self.master.write(addr, data)
        self.writes += 1
        return int(r.resp)

    async def read32(self, addr: int) -> int:
        value, resp = await self.read_resp(addr - self.base)
        if resp != OKAY:
            raise RegsError(f"read of 0x{addr:08x} answered {resp} (2 SLVERR, 3 DECERR)")
        return value

    async def write32(self, addr: int, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
            raise RegsError(f"write32 takes a 32-bit unsigned int, got {value!r}")
        resp = await self.write_resp(addr - self.base, value.to_bytes(4, "little"))
        if resp != OKAY:
            raise RegsError(f"write of 0x{addr:08x} answered {resp} (2 SLVERR, 3 DECERR)")

    # ---- registers by name (needs the register model) ----

    async def read(self, name: str) -> int:
        return await self.read32(self.base + self.regmap.addr(name))

    async def write(self, name: str, value: int) -> None:
        await self.write32(self.base + self.regmap.addr(name), value)

    async def field(self, reg: str, field: str) -> int:
        return self.regmap.reg(reg).decode(await self.read(reg))[field]

    async def csr_test(self, rng, settle_clocks: int):
        """The generated CSR test of the register model on this block; waits
        settle_clocks after the writes that can start the block."""
        async def settle():
            await ClockCycles(self.dut.clk, settle_clocks)

        report = await check_csr(self, self.regmap, rng, settle=settle)
        self.dut._log.info(report.summary())
        report.assert_ok()
        return report
