"""The register model every exporter and testbench shares: a block's
registers and fields, their reset values and what software access does.

It is built from SystemRDL by :mod:`rtl_verif.regs.elaborate` and written out
as a committed Python module per block (``rtl_verif/regs/models/<block>.py``)
that testbenches and the device models import without needing the SystemRDL
compiler.

Conventions: registers are 32 bits wide at byte offsets (multiples of 4) from
the block's base; a field is bits ``[lsb + width - 1 : lsb]`` of its register
(bit 0 = least significant). Field kinds (what a software access does):

========  ==============================================================
kind      behaviour
========  ==============================================================
rw        storage; software writes and reads it back
wo        storage; software writes it, reads 0 (keys)
pulse     write 1: a one-clock pulse to the hardware; reads 0
w1c       sticky flag set by the hardware; write 1 clears it; reads it
counter   counts hardware events (optionally saturating); read-only
hw        driven by the hardware (status); read-only
const     a constant (the reset value); read-only
========  ==============================================================

A register marked ``external`` is implemented by the block itself behind a
request/acknowledge interface (a FIFO port, for instance); its fields still
say what software may do.
"""

from typing import NamedTuple

from rtl_verif.regs.errors import RegsError

KINDS = ("rw", "wo", "pulse", "w1c", "counter", "hw", "const")
WRITABLE = ("rw", "wo", "pulse", "w1c")
REG_BITS = 32


class Field(NamedTuple):
    name: str
    lsb: int
    width: int
    kind: str
    reset: int | None  # None: no defined value after reset
    title: str = ""
    desc: str = ""
    hwset: bool = False  # w1c: the hardware sets it
    hwclr: bool = False  # counter: the hardware clears it
    saturate: bool = False  # counter: stops at its maximum instead of wrapping
    swmod: bool = False  # the hardware gets a pulse when software writes the field
    swacc: bool = False  # the hardware gets a pulse when software reads the field

    @property
    def mask(self) -> int:
        """The field's bits in place in its register."""
        return ((1 << self.width) - 1) << self.lsb

    @property
    def msb(self) -> int:
        return self.lsb + self.width - 1

    @property
    def writable(self) -> bool:
        return self.kind in WRITABLE

    @property
    def readback(self) -> bool:
        """Software reads back what it wrote (plain read/write storage)."""
        return self.kind == "rw"


class Register(NamedTuple):
    name: str
    offset: int  # bytes from the block's base
    fields: tuple
    title: str = ""
    desc: str = ""
    external: bool = False

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise RegsError(f"register {self.name} has no field {name!r}; fields: {[f.name for f in self.fields]}")

    def _mask(self, pred) -> int:
        m = 0
        for f in self.fields:
            if pred(f):
                m |= f.mask
        return m

    @property
    def write_mask(self) -> int:
        """Bits a software write can change (or act on)."""
        return self._mask(lambda f: f.writable)

    @property
    def readback_mask(self) -> int:
        """Bits that read back what software wrote."""
        return self._mask(lambda f: f.readback)

    @property
    def readable(self) -> bool:
        return any(f.kind not in ("wo", "pulse") for f in self.fields)

    @property
    def writable(self) -> bool:
        return any(f.writable for f in self.fields)

    @property
    def reset_value(self) -> int | None:
        """What a read returns right after reset (write-only bits read 0), or
        None when some readable field has no defined reset value."""
        v = 0
        for f in self.fields:
            if f.kind in ("wo", "pulse"):
                continue
            if f.reset is None:
                return None
            v |= f.reset << f.lsb
        return v

    def encode(self, **values) -> int:
        """The register word with the named fields set (others 0)."""
        word = 0
        for name, v in values.items():
            f = self.field(name)
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 1 << f.width:
                raise RegsError(f"{self.name}.{name} takes an int in 0..{(1 << f.width) - 1}, got {v!r}")
            word |= v << f.lsb
        return word

    def decode(self, word: int) -> dict:
        """{field name: value} of a register word."""
        return {f.name: (word >> f.lsb) & ((1 << f.width) - 1) for f in self.fields}


class RegisterMap(NamedTuple):
    name: str  # the addrmap's name; the generated RTL module is <name>_regs
    title: str
    desc: str
    regs: tuple
    addr_width: int  # byte-address bits the block decodes
    source: str  # the SystemRDL file, relative to the repository root

    @property
    def span(self) -> int:
        """Bytes of address space the block decodes."""
        return 1 << self.addr_width

    def reg(self, name: str) -> Register:
        for r in self.regs:
            if r.name == name:
                return r
        raise RegsError(f"{self.name} has no register {name!r}; registers: {[r.name for r in self.regs]}")

    def addr(self, name: str) -> int:
        return self.reg(name).offset

    def at(self, offset: int) -> Register | None:
        """The register at a byte offset (any of its four bytes), or None if unmapped."""
        if not 0 <= offset < self.span:
            return None
        for r in self.regs:
            if r.offset == offset & ~3:
                return r
        return None

    def unmapped(self) -> list:
        """Word offsets in the decoded span that no register occupies."""
        used = {r.offset for r in self.regs}
        return [a for a in range(0, self.span, 4) if a not in used]
