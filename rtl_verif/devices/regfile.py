"""Cycle-free register behaviour of a block, from its RegisterMap: what
software sees of the generated register block, without clocks.

Reads and writes follow rtl_verif/regs/verilog.py: byte strobes, write-only
and pulse fields read 0, write 1 clears a w1c flag, read-only bits ignore
writes (OKAY), an address no register occupies answers SLVERR (reads 0).
A device model subclasses :class:`RegisterFile` and supplies the hardware
side: :meth:`hw` (values of hardware-driven fields), :meth:`on_write`
(pulses and written fields), :meth:`on_read` (swacc), :meth:`ext_read` /
:meth:`ext_write` (external registers); it changes storage with
:meth:`set_flag` (hwset), :meth:`count` and :meth:`clear` (counters).
"""

from rtl_verif.regs.errors import RegsError
from rtl_verif.regs.regmap import Register, RegisterMap

OKAY, SLVERR = 0, 2
_STORED = ("rw", "wo", "w1c", "counter")


def signed(v: int, width: int) -> int:
    """The low ``width`` bits of v as a two's complement integer."""
    v &= (1 << width) - 1
    return v - (1 << width) if v >> (width - 1) else v


class RegisterFile:
    def __init__(self, regmap: RegisterMap):
        self.map = regmap
        self._store: dict = {}
        self.reset()

    # ---- state ----

    def reset(self):
        """Every stored field to its reset value."""
        self._store = {(r.name, f.name): f.reset or 0 for r in self.map.regs for f in r.fields
                       if f.kind in _STORED and not r.external}

    def get(self, reg: str, field: str) -> int:
        """A stored field's value (what the hardware sees)."""
        return self._store[(reg, field)]

    def set_flag(self, reg: str, field: str):
        """The hardware sets a w1c flag."""
        f = self.map.reg(reg).field(field)
        self._store[(reg, field)] = (1 << f.width) - 1

    def count(self, reg: str, field: str, n: int = 1):
        """A counter counts n events (wrapping, or stopping at its maximum)."""
        f = self.map.reg(reg).field(field)
        top = (1 << f.width) - 1
        v = self._store[(reg, field)] + n
        self._store[(reg, field)] = min(v, top) if f.saturate else v & top

    def clear(self, reg: str, field: str):
        self._store[(reg, field)] = 0

    @property
    def irq(self) -> bool:
        """OR of IRQ_STATUS bits enabled in IRQ_ENABLE (the blocks' irq pin)."""
        st, en = self.map.reg("IRQ_STATUS"), self.map.reg("IRQ_ENABLE")
        return any(self.get(st.name, f.name) and self.get(en.name, f.name) for f in st.fields)

    # ---- the hardware side (subclasses) ----

    def hw(self, reg: str, field: str) -> int:
        """Value of a hardware-driven field; by default its reset value."""
        return self.map.reg(reg).field(field).reset or 0

    def on_write(self, reg: str, pulses: dict, written: set):
        """After a write: ``pulses`` {pulse field: bits written as 1} (nonzero
        only), ``written`` the names of fields whose bytes were written."""

    def on_read(self, reg: str):
        """After a read of a register with swacc fields."""

    def ext_read(self, reg: str) -> int:
        raise RegsError(f"{self.map.name}: external register {reg} has no model")

    def ext_write(self, reg: str, word: int, biten: int):
        raise RegsError(f"{self.map.name}: external register {reg} has no model")

    # ---- the bus side ----

    def _value(self, r: Register) -> int:
        v = 0
        for f in r.fields:
            if f.kind in ("rw", "w1c", "counter"):
                v |= self._store[(r.name, f.name)] << f.lsb
            elif f.kind == "hw":
                v |= (self.hw(r.name, f.name) & ((1 << f.width) - 1)) << f.lsb
            elif f.kind == "const":
                v |= f.reset << f.lsb
        return v

    def read(self, offset: int):
        """(value, response) of a 32-bit read at a byte offset."""
        r = self.map.at(offset)
        if r is None:
            return 0, SLVERR
        if r.external:
            return (self.ext_read(r.name) if r.readable else 0), OKAY
        v = self._value(r)
        if any(f.swacc for f in r.fields):
            self.on_read(r.name)
        return v, OKAY

    def write(self, offset: int, data: bytes) -> int:
        """Response of a write of ``data`` (1..4 bytes) at byte ``offset``,
        within one word (the strobes are the bytes given)."""
        lane = offset & 3
        if not 1 <= len(data) <= 4 - lane:
            raise RegsError(f"a write of {len(data)} bytes at offset {offset:#x} crosses a word")
        r = self.map.at(offset)
        if r is None:
            return SLVERR
        biten = ((1 << 8 * len(data)) - 1) << 8 * lane
        word = int.from_bytes(data, "little") << 8 * lane
        if r.external:
            if r.writable:
                self.ext_write(r.name, word & biten, biten)
            return OKAY
        pulses, written = {}, set()
        for f in r.fields:
            m, key = f.mask, (r.name, f.name)
            if not biten & m:
                continue
            written.add(f.name)
            bits = (word & biten & m) >> f.lsb
            en = (biten & m) >> f.lsb
            if f.kind in ("rw", "wo"):
                self._store[key] = (self._store[key] & ~en) | bits
            elif f.kind == "w1c":
                self._store[key] &= ~bits
            elif f.kind == "pulse" and bits:
                pulses[f.name] = bits
        self.on_write(r.name, pulses, written)
        return OKAY

    # the CSR check's bus (rtl_verif/regs/csr_check.py), base 0
    async def read_resp(self, addr: int):
        return self.read(addr)

    async def write_resp(self, addr: int, data: bytes) -> int:
        return self.write(addr, data)
