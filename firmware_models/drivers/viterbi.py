# Driver of the Viterbi decoder unit (rtl_verif/rtl/viterbi_csr.sv; registers:
# docs/registers/viterbi_csr.md), for MicroPython and CPython.
#
#   v = Viterbi(bus, base)
#   await v.probe()                         # checks ID, reads SOFT_W / TB_LEN
#   await v.decode(soft, terminated=True) -> bytearray of decoded bits (0/1)
#   await v.abort()                         # drop a frame in progress
#   await v.counters() -> (frames, bits, steps)
#
# soft: the rate-1/2 soft values a0 b0 a1 b1 ... (punctured positions as 0,
# erasures), ints in +-(2^(SOFT_W-1) - 1), positive = "bit 0 more likely"; one
# trellis step per (a, b) pair, one decoded bit per step (tail included), as
# mesh_phy.coding.viterbi.decode. The decoder is put in BUS_MODE; DOUT is read
# every 24 steps, so its FIFO never fills and no DIN write waits (the protocol
# in viterbi_csr.sv).

from firmware_models.drivers.bus import DriverError, check_id, flag, integer
from firmware_models.regs import viterbi_csr as R

POP = 24  # bits per DOUT read


class Viterbi:
    def __init__(self, bus, base=0):
        self.bus = bus
        self.base = base = integer(base, "base", 0, 0xFFFFFF00)
        self.soft_w = 0
        self.tb_len = 0
        self._din = base + R.DIN  # computed once (a long int on MicroPython at high bases)
        self._dout = base + R.DOUT

    async def probe(self):
        await check_id(self.bus, self.base + R.ID, R.ID_RESET, "viterbi_csr")
        p = await self.bus.read32(self.base + R.PARAMS)
        self.soft_w = (p & R.PARAMS_SOFT_W) >> R.PARAMS_SOFT_W_POS
        self.tb_len = (p & R.PARAMS_TB_LEN) >> R.PARAMS_TB_LEN_POS

    async def _pop(self, out, at):
        # one DOUT read into out[at:]; returns how many bits it gave, with LAST in bit 8
        d = await self.bus.read32(self._dout)
        n = (d & R.DOUT_COUNT) >> R.DOUT_COUNT_POS
        if at + n > len(out):
            raise DriverError("the decoder gave more bits than the frame has steps")
        for i in range(n):
            out[at + i] = (d >> (R.DOUT_BITS_POS + i)) & 1
        return n | (0x100 if d & R.DOUT_LAST else 0)

    async def decode(self, soft, terminated=True):
        terminated = flag(terminated, "terminated")
        if not self.soft_w:
            raise DriverError("probe the Viterbi decoder first")
        if not isinstance(soft, (list, tuple)):
            raise DriverError("soft must be a list or tuple of ints")
        q = (1 << (self.soft_w - 1)) - 1
        n = len(soft)
        if n < 2 or n % 2:
            raise DriverError("soft must hold a whole number of (a, b) pairs, at least one")
        for v in soft:
            if isinstance(v, bool) or not isinstance(v, int) or not -q <= v <= q:
                raise DriverError("soft values must be ints in -" + str(q) + ".." + str(q))
        bus, base = self.bus, self.base
        await bus.write32(base + R.CTRL, R.CTRL_BUS_MODE)
        steps = n // 2
        out = bytearray(steps)  # one decoded bit per step
        got = 0
        for k in range(steps):
            w = ((soft[2 * k] & 0xFF) << R.DIN_SA_POS) | ((soft[2 * k + 1] & 0xFF) << R.DIN_SB_POS)
            if k == steps - 1:
                w |= R.DIN_LAST | (R.DIN_TERMINATED if terminated else 0)
            await bus.write32(self._din, w)
            if (k + 1) % POP == 0 and k != steps - 1:
                while True:  # read until a DOUT read comes back short
                    r = await self._pop(out, got)
                    got += r & 0xFF
                    if r & 0xFF < POP:
                        break
        for _ in range(steps + 100):
            r = await self._pop(out, got)
            got += r & 0xFF
            if r & 0x100:
                if got != steps:
                    raise DriverError("the decoder gave " + str(got) + " bits for " + str(steps) + " steps")
                return out
        raise DriverError("the decoder did not finish the frame")

    async def abort(self):
        v = await self.bus.read32(self.base + R.CTRL)
        await self.bus.write32(self.base + R.CTRL, (v & R.CTRL_BUS_MODE) | R.CTRL_ABORT)

    async def counters(self):
        return (await self.bus.read32(self.base + R.FRAMES), await self.bus.read32(self.base + R.BITS),
                await self.bus.read32(self.base + R.STEPS))
