"""Device model of sm4_core's registers on crypto.sm4 (docs/registers/sm4_core.md).

Cycle-free: a key load finishes at once (KEY_READY, IRQ KEY_DONE); a START
finishes at once when a key is loaded (DOUT, DOUT_VALID, BLOCKS, IRQ
BLOCK_DONE) and otherwise waits for the next key load with BLOCK_BUSY set,
as the RTL does. The key is taken from KEY0..KEY3 when KEY_LOAD is written
(the RTL takes it when its schedule starts, which for a driver is the same).
"""

from crypto import sm4
from rtl_verif.devices.regfile import RegisterFile
from rtl_verif.regs.models.sm4_core import REGMAP


class Sm4Device(RegisterFile):
    def __init__(self):
        super().__init__(REGMAP)

    def reset(self):
        super().reset()
        self.cipher = None
        self.pending = False
        self.dout = bytes(16)
        self.dout_valid = False

    def hw(self, reg: str, field: str) -> int:
        if reg == "STATUS":
            return {"KEY_READY": self.cipher is not None, "KEY_BUSY": 0, "BLOCK_BUSY": self.pending,
                    "DOUT_VALID": self.dout_valid}[field]
        if reg.startswith("DOUT"):
            i = int(reg[4:])
            return int.from_bytes(self.dout[4 * i:4 * i + 4], "big")
        return super().hw(reg, field)

    def on_write(self, reg: str, pulses: dict, written: set):
        if reg != "CTRL":
            return
        if "KEY_LOAD" in pulses:
            key = b"".join(self.get(f"KEY{i}", "WORD").to_bytes(4, "big") for i in range(4))
            self.cipher = sm4.SM4(key)
            self.set_flag("IRQ_STATUS", "KEY_DONE")
        if "START" in pulses:
            self.dout_valid = False
            self.pending = True
        if self.pending and self.cipher is not None:
            self._run()

    def _run(self):
        block = b"".join(self.get(f"DIN{i}", "WORD").to_bytes(4, "big") for i in range(4))
        f = self.cipher.decrypt_block if self.get("CTRL", "DECRYPT") else self.cipher.encrypt_block
        self.dout = f(block)
        self.dout_valid, self.pending = True, False
        self.count("BLOCKS", "COUNT")
        self.set_flag("IRQ_STATUS", "BLOCK_DONE")
