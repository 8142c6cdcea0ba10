"""Device model of viterbi_csr's registers on mesh_phy.coding.viterbi
(docs/registers/viterbi_csr.md).

Cycle-free: in BUS_MODE, DIN writes collect a frame's steps and the last
one decodes it with the golden decoder, its bits queueing for DOUT (the
model's queue has no depth limit; STATUS.OUT_LEVEL shows at most 64). DOUT
pops up to 24 bits and never crosses a frame end, as the RTL.
"""

from collections import deque

import numpy as np

from mesh_phy.coding import viterbi
from rtl_verif.devices.regfile import RegisterFile, signed
from rtl_verif.regs.models.viterbi_csr import REGMAP

POP = REGMAP.reg("DOUT").field("BITS").width


class ViterbiDevice(RegisterFile):
    def __init__(self, soft_bits: int = 6, traceback: int = 64):
        self.soft_bits, self.traceback = soft_bits, traceback
        super().__init__(REGMAP)

    def reset(self):
        super().reset()
        self.steps: list = []
        self.fifo: deque = deque()  # (bit, last)

    def hw(self, reg: str, field: str) -> int:
        values = {("PARAMS", "SOFT_W"): self.soft_bits, ("PARAMS", "TB_LEN"): self.traceback,
                  ("STATUS", "BUSY"): bool(self.steps), ("STATUS", "OUT_LEVEL"): min(len(self.fifo), 64)}
        return int(values.get((reg, field), super().hw(reg, field)))

    def on_write(self, reg: str, pulses: dict, written: set):
        if reg != "CTRL":
            return
        if "ABORT" in pulses:
            self.steps, self.fifo = [], deque()
        if "CLR_COUNTERS" in pulses:
            for r in ("FRAMES", "BITS", "STEPS"):
                self.clear(r, "COUNT")

    def ext_write(self, reg: str, word: int, biten: int):
        if reg != "DIN" or not self.get("CTRL", "BUS_MODE"):
            return  # stream mode: answered and ignored
        d = REGMAP.reg("DIN").decode(word)
        self.steps += [signed(d["SA"], self.soft_bits), signed(d["SB"], self.soft_bits)]
        self.count("STEPS", "COUNT")
        if d["LAST"]:
            bits = viterbi.decode(np.array(self.steps, np.int64), "1/2", traceback=self.traceback,
                                  soft_bits=self.soft_bits, terminated=bool(d["TERMINATED"]))
            self.steps = []
            n = len(bits)
            self.fifo.extend((int(b), i == n - 1) for i, b in enumerate(bits))
            self.count("BITS", "COUNT", n)
            self.count("FRAMES", "COUNT")
            self.set_flag("IRQ_STATUS", "FRAME_DONE")

    def ext_read(self, reg: str) -> int:
        bits = n = last = 0
        while self.fifo and n < POP and not last:
            b, last = self.fifo.popleft()
            bits |= b << n
            n += 1
        return REGMAP.reg("DOUT").encode(BITS=bits, COUNT=n, LAST=int(last))
