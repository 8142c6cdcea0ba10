"""The CSR test of a block, generated from its register description: every
expectation comes from the RegisterMap (reset values, which bits read back,
which are read-only, write-only or pulses, which addresses are unmapped), so
one routine tests every block, on the RTL through cocotb's AXI4-Lite master
and on the device model.

The bus it takes answers raw transactions with their AXI response:
``await bus.read_resp(addr) -> (value, resp)`` and
``await bus.write_resp(addr, data: bytes) -> resp`` where ``data`` (1..4
bytes) lands at byte address ``addr`` inside one word (the write strobes),
and resp is 0 OKAY, 2 SLVERR, 3 DECERR.

Checks, in order (the block is expected to be idle and just reset):
1. every readable register reads its reset value, OKAY;
2. read/write bits: all-ones, all-zeros and random words read back under the
   read-back mask; single-byte writes change only their byte;
3. read-only registers keep their value when written (OKAY);
4. every unmapped word answers SLVERR or DECERR to a read (data 0) and a
   write, and such writes change no register;
5. write-only and pulse bits read 0 after writing ones; w1c bits stay 0
   when software writes 1 (only the hardware sets them).
Pulse fields named in ``no_pulse`` ("REG.FIELD") are not written with 1 (a
pulse whose side effect would disturb the block). ``settle`` (an async
callable, e.g. "wait 100 clocks") runs after steps 2 and 5, so that what a
write set going (an injected sample, say) has finished before read-only
values are compared. Registers named in ``volatile`` ("REG") change by
themselves (a free-running counter such as soc_ctrl's CYCLE_LO): they are
read and written like the others, responses checked, but their values are
not compared.
"""

from rtl_verif.regs.regmap import RegisterMap

OKAY, SLVERR, DECERR = 0, 2, 3
MASK32 = 0xFFFFFFFF


class CsrReport:
    """What the check did: counts of each kind of check, and the failures."""

    def __init__(self, name: str):
        self.name = name
        self.counts: dict = {}
        self.failures: list = []
        self.failed_kinds: set = set()

    def expect(self, kind: str, ok: bool, what: str):
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if not ok:
            self.failures.append(what)
            self.failed_kinds.add(kind)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        parts = ", ".join(f"{k} {v}" for k, v in self.counts.items())
        return f"{self.name} CSR test: {self.total} checks ({parts}), {len(self.failures)} failed"

    def assert_ok(self):
        msg = self.summary() + "".join(f"\n  {f}" for f in self.failures[:20])
        assert not self.failures and self.total > 0, msg


async def _read(bus, rep, addr, reg_name):
    value, resp = await bus.read_resp(addr)
    rep.expect("response", resp == OKAY, f"read {reg_name} @0x{addr:02x}: response {resp}, expected OKAY")
    return value


async def _write(bus, rep, addr, word, reg_name):
    resp = await bus.write_resp(addr, (word & MASK32).to_bytes(4, "little"))
    rep.expect("response", resp == OKAY, f"write {reg_name} @0x{addr:02x}: response {resp}, expected OKAY")


async def _settle(settle):
    if settle is not None:
        await settle()


async def check_csr(bus, regmap: RegisterMap, rng, *, no_pulse=(), settle=None, volatile=()) -> CsrReport:
    """Run the checks; return the report (call ``assert_ok`` on it)."""
    rep = CsrReport(regmap.name)
    for name in volatile:
        regmap.reg(name)  # RegsError for a name the map does not have
    readable = [r for r in regmap.regs if r.readable and not r.external]
    stable = [r for r in readable if r.name not in volatile]
    # 1. reset values
    for r in stable:
        if r.reset_value is None:
            continue
        got = await _read(bus, rep, r.offset, r.name)
        rep.expect("reset value", got == r.reset_value,
                   f"{r.name} after reset: 0x{got:08x}, expected 0x{r.reset_value:08x}")
    # 2. read/write bits
    for r in regmap.regs:
        m = r.readback_mask
        if not m or r.external:
            continue
        safe = r.readback_mask | sum(f.mask for f in r.fields if f.kind == "wo")
        for pattern in (MASK32, 0, rng.getrandbits(32), rng.getrandbits(32)):
            await _write(bus, rep, r.offset, pattern & safe, r.name)
            got = await _read(bus, rep, r.offset, r.name)
            rep.expect("read/write", got & m == pattern & m,
                       f"{r.name}: wrote 0x{pattern & safe:08x}, read 0x{got:08x} (mask 0x{m:08x})")
        base = rng.getrandbits(32) & safe
        await _write(bus, rep, r.offset, base, r.name)
        for lane in range(4):
            byte = rng.getrandbits(8)
            resp = await bus.write_resp(r.offset + lane, bytes([byte]))
            rep.expect("response", resp == OKAY, f"byte write {r.name}+{lane}: response {resp}")
            base = (base & ~(0xFF << 8 * lane)) | (byte << 8 * lane)
            got = await _read(bus, rep, r.offset, r.name)
            rep.expect("byte strobe", got & m == base & m,
                       f"{r.name}: byte {lane} written 0x{byte:02x}, read 0x{got:08x}, expected 0x{base & m:08x}")
    await _settle(settle)
    # 3. read-only registers
    for r in readable:
        if r.writable:
            continue
        before = await _read(bus, rep, r.offset, r.name)
        await _write(bus, rep, r.offset, ~before, r.name)
        got = await _read(bus, rep, r.offset, r.name)
        if r.name not in volatile:
            rep.expect("read-only", got == before, f"{r.name}: read-only, changed 0x{before:08x} -> 0x{got:08x}")
    # 4. unmapped addresses
    snapshot = {r.name: await _read(bus, rep, r.offset, r.name) for r in readable}
    for addr in regmap.unmapped():
        value, resp = await bus.read_resp(addr)
        rep.expect("unmapped read", resp in (SLVERR, DECERR) and value == 0,
                   f"read of unmapped 0x{addr:02x}: response {resp}, data 0x{value:x}")
        resp = await bus.write_resp(addr, rng.getrandbits(32).to_bytes(4, "little"))
        rep.expect("unmapped write", resp in (SLVERR, DECERR), f"write to unmapped 0x{addr:02x}: response {resp}")
    for r in stable:
        got = await _read(bus, rep, r.offset, r.name)
        rep.expect("no aliasing", got == snapshot[r.name],
                   f"{r.name} changed after writes to unmapped addresses: 0x{snapshot[r.name]:08x} -> 0x{got:08x}")
    # 5. write-only, pulse and w1c bits (last: a pulse may start the block)
    for r in regmap.regs:
        if r.external:
            continue
        for f in r.fields:
            if f.kind not in ("wo", "pulse", "w1c") or f"{r.name}.{f.name}" in no_pulse:
                continue
            before = await _read(bus, rep, r.offset, r.name)
            keep = before & r.readback_mask  # leave the rw bits as they are
            await _write(bus, rep, r.offset, keep | f.mask, r.name)
            got = await _read(bus, rep, r.offset, r.name)
            rep.expect(f"{f.kind} reads 0" if f.kind != "w1c" else "w1c not set by software",
                       got & f.mask == 0,
                       f"{r.name}.{f.name} ({f.kind}): reads 0x{(got & f.mask) >> f.lsb:x} after writing ones")
    await _settle(settle)
    return rep
