# Driver of the CORDIC atan2 unit (rtl_verif/rtl/cordic_csr.sv; registers:
# docs/registers/cordic_csr.md), for MicroPython and CPython.
#
#   c = Cordic(bus, base)
#   await c.probe()                  # checks ID, reads IN_W / OUT_W / ITER
#   await c.bus_mode(True)           # the bus owns the core (self-test, atan2)
#   await c.atan2(y, x) -> (angle, magnitude)
#   await c.latest() -> (angle, magnitude, fresh)   # the latest result (stream mode)
#   await c.set_amp_min(m); await c.low_amplitude() -> bool
#   await c.counters() -> (results, low_amplitude_results); await c.clear_counters()
#
# x, y: signed IN_W-bit ints. angle: units of 2^-OUT_W turn (0 .. 2^OUT_W - 1);
# magnitude: sqrt(x^2 + y^2), unsigned IN_W bits (the golden model's
# sensor_dsp.cordic.atan2_fixed, bit for bit).

from firmware_models.drivers.bus import DriverError, check_id, flag, integer, wait
from firmware_models.regs import cordic_csr as R


class Cordic:
    def __init__(self, bus, base=0):
        self.bus = bus
        self.base = base = integer(base, "base", 0, 0xFFFFFF00)
        self.in_w = 0
        self.out_w = 0
        self.iterations = 0
        self._sample = base + R.SAMPLE  # computed once (a long int on MicroPython at high bases)
        self._status = base + R.STATUS
        self._result = base + R.RESULT

    async def probe(self):
        await check_id(self.bus, self.base + R.ID, R.ID_RESET, "cordic_csr")
        p = await self.bus.read32(self.base + R.PARAMS)
        self.in_w = (p & R.PARAMS_IN_W) >> R.PARAMS_IN_W_POS
        self.out_w = (p & R.PARAMS_OUT_W) >> R.PARAMS_OUT_W_POS
        self.iterations = (p & R.PARAMS_ITER) >> R.PARAMS_ITER_POS

    async def bus_mode(self, on):
        on = flag(on, "on")
        v = await self.bus.read32(self.base + R.CTRL)
        await self.bus.write32(self.base + R.CTRL, (v | R.CTRL_BUS_MODE) if on else (v & ~R.CTRL_BUS_MODE))

    async def atan2(self, y, x):
        if not self.in_w:
            raise DriverError("probe the CORDIC first")
        lim = 1 << (self.in_w - 1)
        x = integer(x, "x", -lim, lim - 1)
        y = integer(y, "y", -lim, lim - 1)
        word = ((y & 0xFFFF) << R.SAMPLE_Y_POS) | ((x & 0xFFFF) << R.SAMPLE_X_POS)
        await self.bus.write32(self._sample, word)
        await wait(self.bus, self._status, R.STATUS_RESULT_VALID, "a CORDIC result (is BUS_MODE on?)")
        return self._fields(await self.bus.read32(self._result))

    def _fields(self, v):
        return (v & R.RESULT_ANGLE) >> R.RESULT_ANGLE_POS, (v & R.RESULT_MAG) >> R.RESULT_MAG_POS

    async def latest(self):
        fresh = bool(await self.bus.read32(self.base + R.STATUS) & R.STATUS_RESULT_VALID)
        angle, mag = self._fields(await self.bus.read32(self._result))
        return angle, mag, fresh

    async def set_amp_min(self, m):
        await self.bus.write32(self.base + R.AMP_MIN, integer(m, "amp_min", 0, 0xFFFF))

    async def low_amplitude(self):
        return bool(await self.bus.read32(self.base + R.STATUS) & R.STATUS_LOW_AMP)

    async def counters(self):
        return await self.bus.read32(self.base + R.SAMPLES), await self.bus.read32(self.base + R.LOW_AMP_COUNT)

    async def clear_counters(self):
        v = await self.bus.read32(self.base + R.CTRL)
        await self.bus.write32(self.base + R.CTRL, (v & R.CTRL_BUS_MODE) | R.CTRL_CLR_COUNTERS)
