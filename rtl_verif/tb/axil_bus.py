"""The register-bus side of the shared testbench environment (the sibling of
:mod:`rtl_verif.tb.axis_tb` for blocks with an AXI4-Lite register slave).

* ``AxilBus`` — the driver: the firmware drivers' bus interface (``await
  read32(addr)``, ``await write32(addr, value)``, byte addresses, 32-bit
  words), the CSR test's raw transactions (``read_resp``/``write_resp``, see
  rtl_verif/regs/csr_check.py) on cocotbext-axi's AxiLiteMaster, and with a
  register model registers by name. A response other than OKAY to
  read32/write32 raises RegsError naming the address.
* ``AxilMonitor`` — a passive monitor of an AXI4-Lite slave port (a block's
  ``s_axil_*`` or, in the SoC, a device's port deep in the hierarchy): one
  :class:`AxilTxn` per completed read (AR + R) or write (AW + W + B). It
  waits on ``valid`` edges and only clocks through a handshake, so an idle
  port costs nothing (the SoC's CPU runs millions of clocks).
* ``RegScoreboard`` — the register model's prediction from the monitor:
  every write (with its strobes, when answered OKAY) updates a shadow of the
  read/write fields, every read of such a field is compared with it; a
  failure names the register, the bits that differ in hex and the seed.
* ``RegCoverage`` — functional coverage of the register map sampled from the
  monitor: every register read and written (``cg_regs``), access types
  (full word, half word, byte and its lane, responses, unmapped addresses:
  ``cg_access``), which kinds of fields a write acted on (``cg_fields``),
  each interrupt source set while enabled / masked and cleared by writing 1,
  with the ``irq`` pin checked against IRQ_STATUS & IRQ_ENABLE (``cg_irq``),
  and every status field seen 0 and non-zero (``cg_status``).
* ``RegStreamEnv`` — :class:`~rtl_verif.tb.axis_tb.StreamEnv` plus all of
  the above, for blocks with both a stream and a register port.

Bit order: registers are 32-bit little-endian words on the bus, field bits
as in :mod:`rtl_verif.regs.regmap` (bit 0 least significant).
"""

import logging
from typing import NamedTuple

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiLiteBus, AxiLiteMaster

from rtl_verif.regs.csr_check import check_csr
from rtl_verif.regs.errors import RegsError
from rtl_verif.tb import fcov
from rtl_verif.tb.axis_tb import CLK_NS, StreamEnv, export_coverage, seed

OKAY, SLVERR, DECERR = 0, 2, 3
RESP = {0: "OKAY", 1: "EXOKAY", 2: "SLVERR", 3: "DECERR"}
MASK32 = 0xFFFFFFFF


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
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MASK32:
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

    async def poll(self, reg: str, field: str, want: int = 1, tries: int = 1000) -> int:
        """Read ``reg`` until ``field`` equals ``want``; the number of reads (AssertionError after ``tries``)."""
        for k in range(1, tries + 1):
            if await self.field(reg, field) == want:
                return k
        raise AssertionError(f"{self.regmap.name}: {reg}.{field} never became {want} in {tries} reads "
                             f"(SEED={seed()})")

    async def csr_test(self, rng, settle_clocks: int, no_pulse=()):
        """The generated CSR test of the register model on this block; waits
        settle_clocks after the writes that can start the block."""
        async def settle():
            await ClockCycles(self.dut.clk, settle_clocks)

        report = await check_csr(self, self.regmap, rng, settle=settle, no_pulse=no_pulse)
        self.dut._log.info(report.summary())
        report.assert_ok()
        return report


# --------------------------------------------------------------------------- monitor

class AxilTxn(NamedTuple):
    """One completed AXI4-Lite transaction as the monitor saw it on the bus."""
    write: bool
    addr: int  # AWADDR / ARADDR as on the bus (a byte address; low bits as the master drove them)
    data: int  # WDATA or RDATA
    strb: int  # WSTRB (0xF for reads)
    resp: int  # BRESP / RRESP: 0 OKAY, 2 SLVERR, 3 DECERR
    irq: int | None  # the block's irq pin at the response handshake (None: no pin)

    @property
    def word(self) -> int:
        return self.addr & ~3


def _high(sig) -> bool:
    v = sig.value
    try:
        return bool(int(v))
    except ValueError:  # X/Z before reset
        return False


def _int(sig) -> int:
    try:
        return int(sig.value)
    except ValueError:
        return -1


class AxilMonitor:
    """Passive monitor of the AXI4-Lite port ``<prefix>_*`` of ``parent``
    (signals ``awaddr awvalid awready wdata wstrb wvalid wready bresp bvalid
    bready araddr arvalid arready rdata rresp rvalid rready``).

    Each channel waits for its ``valid`` to rise, then samples at rising
    clock edges until ``valid && ready``; AW and W are paired with the next B,
    AR with the next R. Subscribers (``subscribe(fn)``) get every
    :class:`AxilTxn` at the response handshake, in bus order.
    """

    def __init__(self, parent, prefix: str, clk, irq=None):
        self.clk = clk
        self.irq = irq
        self._sig = {n: getattr(parent, f"{prefix}_{n}") for n in (
            "awaddr", "awvalid", "awready", "wdata", "wstrb", "wvalid", "wready", "bresp", "bvalid", "bready",
            "araddr", "arvalid", "arready", "rdata", "rresp", "rvalid", "rready")}
        self._subs = []
        self.count = 0
        self._aw, self._w, self._ar = [], [], []
        self._tasks = [cocotb.start_soon(self._channel(ch, fields, q)) for ch, fields, q in (
            ("aw", ("awaddr",), self._aw), ("w", ("wdata", "wstrb"), self._w), ("ar", ("araddr",), self._ar))]
        self._tasks += [cocotb.start_soon(self._response("b")), cocotb.start_soon(self._response("r"))]

    def subscribe(self, fn) -> None:
        self._subs.append(fn)

    def clear(self) -> None:
        """Forget half-seen transactions (after a reset)."""
        for q in (self._aw, self._w, self._ar):
            q.clear()

    def stop(self) -> None:
        for t in self._tasks:
            t.cancel()

    async def _handshake(self, ch: str):
        valid, ready = self._sig[f"{ch}valid"], self._sig[f"{ch}ready"]
        while True:
            if not _high(valid):
                await RisingEdge(valid)
            await RisingEdge(self.clk)
            if _high(valid) and _high(ready):
                return

    async def _channel(self, ch, fields, queue):
        while True:
            await self._handshake(ch)
            queue.append(tuple(_int(self._sig[f]) for f in fields))

    async def _response(self, ch):
        while True:
            await self._handshake(ch)
            irq = None if self.irq is None else int(_high(self.irq))
            if ch == "b":
                if not (self._aw and self._w):
                    continue  # a response of a transaction begun before a reset
                (addr,), (data, strb) = self._aw.pop(0), self._w.pop(0)
                txn = AxilTxn(True, addr, data, strb, _int(self._sig["bresp"]), irq)
            else:
                if not self._ar:
                    continue
                (addr,) = self._ar.pop(0)
                txn = AxilTxn(False, addr, _int(self._sig["rdata"]), 0xF, _int(self._sig["rresp"]), irq)
            self.count += 1
            for fn in self._subs:
                fn(txn)


# --------------------------------------------------------------------------- prediction

def strobe_mask(strb: int) -> int:
    """WSTRB (4 bits, bit k = byte lane k) as a 32-bit mask of the bytes it writes."""
    return sum(0xFF << 8 * k for k in range(4) if strb >> k & 1)


class RegShadow:
    """What software last wrote to each register (all writable bits, under the
    strobes, answered OKAY), from reset values; ``known`` masks the bits with
    a defined value."""

    def __init__(self, regmap):
        self.regmap = regmap
        self.reset()

    def reset(self):
        self.value, self.known = {}, {}
        for r in self.regmap.regs:
            v = k = 0
            for f in r.fields:
                if f.reset is not None:
                    v |= f.reset << f.lsb
                    k |= f.mask
            self.value[r.name], self.known[r.name] = v, k

    def apply(self, txn: AxilTxn) -> None:
        r = self.regmap.at(txn.word)
        if not txn.write or txn.resp != OKAY or r is None:
            return
        m = strobe_mask(txn.strb) & r.write_mask
        self.value[r.name] = (self.value[r.name] & ~m) | (txn.data & m)
        self.known[r.name] |= m

    def field(self, reg: str, field: str) -> int:
        f = self.regmap.reg(reg).field(field)
        return (self.value[reg] >> f.lsb) & ((1 << f.width) - 1)


def bits_text(x: int) -> str:
    bits = [b for b in range(max(x.bit_length(), 1)) if x >> b & 1]
    return f"bit{'s' if len(bits) > 1 else ''} {','.join(map(str, bits[:8]))}{'...' if len(bits) > 8 else ''}"


class RegScoreboard:
    """Every read of a register's read/write (storage) fields against the
    shadow of what software wrote; counts what it compared."""

    def __init__(self, regmap, log):
        self.regmap, self.log = regmap, log
        self.shadow = RegShadow(regmap)
        self.compared = 0
        self.mismatches = []
        self.n = 0  # transactions seen

    def reset(self):
        self.shadow.reset()

    def observe(self, txn: AxilTxn) -> None:
        self.n += 1
        r = self.regmap.at(txn.word)
        if r is None or txn.resp != OKAY:
            return
        if txn.write:
            self.shadow.apply(txn)
            return
        m = r.readback_mask & self.shadow.known[r.name]
        if not m:
            return
        self.compared += 1
        exp = self.shadow.value[r.name] & m
        if txn.data & m != exp:
            x = (txn.data & m) ^ exp
            msg = (f"{self.regmap.name} {r.name} (0x{r.offset:02x}) read #{self.n}: got 0x{txn.data & m:08x}, "
                   f"expected 0x{exp:08x} under read-back mask 0x{m:08x}, xor 0x{x:08x} ({bits_text(x)})")
            self.mismatches.append(msg)
            if len(self.mismatches) <= 5:
                self.log.error("%s", msg)

    def report(self):
        msg = (f"{self.regmap.name} registers: {self.n} bus transactions, {self.compared} reads compared with the "
               f"written values, {len(self.mismatches)} mismatching (SEED={seed()})")
        self.log.info(msg)
        if self.mismatches:
            raise AssertionError(f"{self.mismatches[0]} — {msg}")


# --------------------------------------------------------------------------- coverage

STROBES = ("full", "half", "byte")  # write strobes: 4 lanes, two adjacent lanes, one lane
LANES = ("0", "1", "2", "3")
RESPONSES = ("OKAY", "SLVERR")
FIELD_KINDS = ("rw", "wo", "pulse", "w1c", "read-only")  # what a write's ones landed on
UNMAPPED = "unmapped"


def strobe_kind(strb: int) -> str | None:
    n = bin(strb & 0xF).count("1")
    return {4: "full", 2: "half", 1: "byte"}.get(n)


def write_kinds(regmap, txn: AxilTxn) -> list:
    """Kinds of the fields whose bits a write (OKAY) set to one under its strobes; RO fields as 'read-only'."""
    r = regmap.at(txn.word)
    if r is None or not txn.write or txn.resp != OKAY:
        return []
    m = strobe_mask(txn.strb)
    out = []
    for f in r.fields:
        if txn.data & m & f.mask:
            k = f.kind if f.writable else "read-only"
            if k not in out:
                out.append(k)
    return out


def _irq_fields(regmap) -> list:
    try:
        return [f.name for f in regmap.reg("IRQ_STATUS").fields]
    except RegsError:
        return []


def status_bins(regmap) -> tuple:
    """'FIELD=0' / 'FIELD=1' of every 1-bit STATUS field, 'FIELD=0' / 'FIELD>0' of wider ones."""
    try:
        fields = regmap.reg("STATUS").fields
    except RegsError:
        return ()
    return tuple(b for f in fields for b in (f"{f.name}=0", f"{f.name}=1" if f.width == 1 else f"{f.name}>0"))


class RegCoverage:
    """The register map's covergroups (module docstring), sampled from an
    :class:`AxilMonitor`'s transactions; IRQ_ENABLE from a :class:`RegShadow`.

    ``check_irq`` (default on when the block has an irq pin): a read of
    IRQ_STATUS showing a source set while enabled must see the pin high.
    """

    def __init__(self, block: str, regmap, shadow: RegShadow, log, has_irq: bool):
        self.block, self.regmap, self.shadow, self.log = block, regmap, shadow, log
        self.has_irq = has_irq
        self.irq_errors = []
        names = tuple(r.name for r in regmap.regs) + (UNMAPPED,)
        self._txn = fcov.Sampler(block, (
            fcov.Point("cg_regs.reg", lambda t: self._name(t), names),
            fcov.Point("cg_regs.dir", lambda t: "write" if t.write else "read", ("read", "write")),
            fcov.Point("cg_access.strobe", lambda t: strobe_kind(t.strb) if t.write else None, STROBES),
            fcov.Point("cg_access.byte_lane",
                       lambda t: str((t.strb & -t.strb).bit_length() - 1) if t.write and strobe_kind(t.strb) == "byte"
                       else None, LANES),
            fcov.Point("cg_access.resp", lambda t: RESP.get(t.resp, "?"), RESPONSES),
            fcov.Point("cg_access.dir", lambda t: "write" if t.write else "read", ("read", "write")),
        ), (("cg_regs.reg_x_dir", ("cg_regs.reg", "cg_regs.dir")),
            ("cg_access.resp_x_dir", ("cg_access.resp", "cg_access.dir"))))
        self._kind = fcov.Sampler(block, (fcov.Point("cg_fields.written", lambda k: k, self._kinds()),))
        self.irq_fields = _irq_fields(regmap) if has_irq else []
        irq_bins = tuple(f"{f}:{s}" for f in self.irq_fields for s in ("set_enabled", "set_masked", "cleared"))
        self._irq = fcov.Sampler(block, (fcov.Point("cg_irq.source", lambda b: b, irq_bins),)) if irq_bins else None
        sb = status_bins(regmap)
        self._status = fcov.Sampler(block, (fcov.Point("cg_status.field", lambda b: b, sb),)) if sb else None

    def _kinds(self) -> tuple:
        present = {f.kind if f.writable else "read-only" for r in self.regmap.regs for f in r.fields}
        return tuple(k for k in FIELD_KINDS if k in present)

    def _name(self, t: AxilTxn) -> str:
        r = self.regmap.at(t.word)
        return UNMAPPED if r is None else r.name

    def sample(self, t: AxilTxn) -> None:
        self._txn(t)
        for k in write_kinds(self.regmap, t):
            self._kind(k)
        r = self.regmap.at(t.word)
        if r is None or t.resp != OKAY:
            return
        if r.name == "IRQ_STATUS" and self._irq is not None:
            self._sample_irq(r, t)
        if r.name == "STATUS" and not t.write and self._status is not None:
            for f in r.fields:
                v = (t.data >> f.lsb) & ((1 << f.width) - 1)
                self._status(f"{f.name}={v}" if f.width == 1 or v == 0 else f"{f.name}>0")

    def _sample_irq(self, r, t: AxilTxn) -> None:
        if t.write:
            for f in r.fields:
                if t.data & strobe_mask(t.strb) & f.mask:
                    self._irq(f"{f.name}:cleared")
            return
        pending = False
        for f in r.fields:
            if t.data & f.mask:
                enabled = bool(self.shadow.field("IRQ_ENABLE", f.name))
                pending |= enabled
                self._irq(f"{f.name}:{'set_enabled' if enabled else 'set_masked'}")
        if pending and t.irq == 0:
            msg = (f"{self.block}: IRQ_STATUS read 0x{t.data:08x} with IRQ_ENABLE "
                   f"0x{self.shadow.value['IRQ_ENABLE']:08x}, but the irq pin is low (SEED={seed()})")
            self.irq_errors.append(msg)
            self.log.error("%s", msg)

    def report(self):
        if self.irq_errors:
            raise AssertionError(f"{self.irq_errors[0]} ({len(self.irq_errors)} such reads)")


class RegStreamEnv(StreamEnv):
    """:class:`StreamEnv` plus the block's register port: ``regs``
    (:class:`AxilBus`, the driver), ``reg_mon`` (:class:`AxilMonitor`),
    ``reg_sb`` (:class:`RegScoreboard`) and ``reg_cov`` (:class:`RegCoverage`).
    A block with a bus-mode operation sets ``bus_sb`` (``observe``, ``reset``,
    ``report(min_compared)``) and subscribes it to ``reg_mon``: the
    environment resets it with the DUT and reports it in :meth:`final_checks`."""

    bus_sb = None

    def __init__(self, dut, regmap):
        self.regmap = regmap
        super().__init__(dut)

    @classmethod
    async def started(cls, dut, *args):
        """The environment on ``dut``, out of its first reset."""
        env = cls(dut, *args)
        await env.reset()
        return env

    def _extra_agents(self):
        super()._extra_agents()
        dut = self.dut
        irq = getattr(dut, "irq", None)
        self.regs = AxilBus(dut, regmap=self.regmap)
        self.reg_mon = AxilMonitor(dut, "s_axil", dut.clk, irq=irq)
        self.reg_sb = RegScoreboard(self.regmap, self.log)
        self.reg_cov = RegCoverage(dut._name, self.regmap, self.reg_sb.shadow, self.log, irq is not None)
        self.reg_mon.subscribe(self.reg_sb.observe)
        self.reg_mon.subscribe(self.reg_cov.sample)

    async def reset(self, cycles: int = 3):
        await super().reset(cycles)
        self.reg_mon.clear()
        self.reg_sb.reset()
        if self.bus_sb is not None:
            self.bus_sb.reset()

    def final_checks(self, min_bus: int = 0):
        """The register scoreboard's, the irq check's and the bus-mode
        scoreboard's verdicts (end of a test; at least ``min_bus`` bus
        operations compared)."""
        self.reg_sb.report()
        self.reg_cov.report()
        if self.bus_sb is not None:
            self.bus_sb.report(min_compared=min_bus)


async def finish(env: RegStreamEnv, min_bus: int = 0):
    """Every verdict of ``env`` (:meth:`RegStreamEnv.final_checks`); the coverage database in any case."""
    try:
        env.final_checks(min_bus)
    finally:
        export_coverage()


def _sim_ns() -> float:
    from cocotb.utils import get_sim_time
    return get_sim_time("ns")


class BusOpScoreboard:
    """A register-driven operation checked from the monitor: a *start* write
    (``start(txn)`` true) makes a prediction from the shadow,
    ``predict(shadow) -> {result register: word}``; a later read of
    ``ready = (register, field)`` showing 1, at least ``min_clocks`` after the
    start, arms it; then every read of a result register is compared with the
    prediction. Counts operations compared; failures name the operation's
    index, the register and the differing bits in hex.
    """

    def __init__(self, name: str, regmap, shadow: RegShadow, log, *, start, predict, ready, min_clocks: int = 0):
        self.name, self.regmap, self.shadow, self.log = name, regmap, shadow, log
        self.start, self.predict, self.ready, self.min_clocks = start, predict, ready, min_clocks
        self.pending = None  # (op index, sim ns of the start, {reg: word})
        self.armed = False
        self.started = self.compared = 0
        self.mismatches = []
        self.now = _sim_ns  # simulated ns (a plain function, so host tests can replace it)

    def reset(self):
        self.pending, self.armed = None, False

    def observe(self, txn: AxilTxn) -> None:
        r = self.regmap.at(txn.word)
        if r is None or txn.resp != OKAY:
            return
        now = self.now()
        if txn.write:
            if self.start(txn):
                self.pending, self.armed = (self.started, now, self.predict(self.shadow)), False
                self.started += 1
            return
        if self.pending is None:
            return
        reg, fld = self.ready
        if r.name == reg and r.decode(txn.data)[fld] and now - self.pending[1] >= self.min_clocks * CLK_NS:
            self.armed = True
        if self.armed and r.name in self.pending[2]:
            exp = self.pending[2][r.name]
            self.compared += 1
            if txn.data != exp:
                x = txn.data ^ exp
                msg = (f"{self.name} operation {self.pending[0]}: {r.name} read 0x{txn.data:08x}, expected "
                       f"0x{exp:08x}, xor 0x{x:08x} ({bits_text(x)})")
                self.mismatches.append(msg)
                if len(self.mismatches) <= 5:
                    self.log.error("%s", msg)

    def report(self, min_compared: int = 0):
        msg = (f"{self.name}: {self.started} operations started, {self.compared} result reads compared, "
               f"{len(self.mismatches)} mismatching (SEED={seed()})")
        self.log.info(msg)
        if self.mismatches:
            raise AssertionError(f"{self.mismatches[0]} — {msg}")
        if self.compared < min_compared:
            raise AssertionError(f"{msg} — expected at least {min_compared} result reads compared")
