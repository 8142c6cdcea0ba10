# The drivers' bus interface and what every driver shares.
#
# A bus is any object with two coroutines:
#   await bus.read32(addr) -> int         32-bit word at byte address addr
#   await bus.write32(addr, value)        value: int in 0 .. 2**32 - 1
# Addresses are word-aligned byte addresses (block base + register offset).
# A failed access (SLVERR/DECERR) raises the bus's own exception. Backends:
# rtl_verif/tb/axil_bus.py (cocotb's AXI4-Lite master on the RTL) and
# rtl_verif/devices/bus.py (the device models; under MicroPython through host
# calls). Drivers never sleep: they poll a status bit a bounded number of
# times (POLL_LIMIT reads), so they run unchanged under asyncio and cocotb.
# Bad arguments raise DriverError (a ValueError).

POLL_LIMIT = 2000


class DriverError(ValueError):
    pass


def byteslike(value, name, length=-1):
    # bytes of a bytes/bytearray/memoryview argument (of `length` bytes if >= 0)
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise DriverError(name + " must be bytes, bytearray or memoryview")
    value = bytes(value)
    if length >= 0 and len(value) != length:
        raise DriverError(name + " must be " + str(length) + " bytes, got " + str(len(value)))
    return value


def integer(value, name, lo, hi):
    # an int (not a bool) in lo..hi
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise DriverError(name + " must be an int in " + str(lo) + ".." + str(hi) + ", got " + repr(value))
    return value


def flag(value, name):
    # a bool (not 0/1)
    if not isinstance(value, bool):
        raise DriverError(name + " must be True or False, got " + repr(value))
    return value


async def wait(bus, addr, mask, what):
    # poll the register at addr until a bit of mask is set; return the word
    for _ in range(POLL_LIMIT):
        v = await bus.read32(addr)
        if v & mask:
            return v
    raise DriverError("timeout waiting for " + what)


async def check_id(bus, addr, expected, name):
    v = await bus.read32(addr)
    if v != expected:
        raise DriverError(name + ": ID reads " + hex(v) + ", expected " + hex(expected))
