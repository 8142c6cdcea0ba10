"""SystemRDL → :class:`rtl_verif.regs.regmap.RegisterMap`, with
``systemrdl-compiler`` doing the parsing and elaboration.

Only the subset the generated RTL implements is accepted; anything else
raises :class:`RegsError` naming the register, the field and the property,
rather than producing hardware that quietly differs from the description:

* one flat ``addrmap`` of 32-bit registers (``regwidth = accesswidth = 32``),
  no arrays, regfiles or nested maps;
* fields: ``sw = rw`` storage; ``sw = w`` storage (reads 0), ``singlepulse``
  with ``sw = w``; ``onwrite = woclr`` with ``hwset``; ``counter`` with
  ``sw = r`` (optional ``hwclr``, ``incrsaturate``); ``sw = r`` driven by the
  hardware (``hw = w``) or constant (``hw = na``/``r`` with a reset value);
  ``swmod`` on writable fields and ``swacc`` on readable ones;
* ``external`` registers whose fields are all ``sw = r`` or all ``sw = w``.
"""

from pathlib import Path

from rtl_verif.regs.errors import RegsError
from rtl_verif.regs.regmap import REG_BITS, Field, Register, RegisterMap

ROOT = Path(__file__).resolve().parent.parent.parent

# Field properties the generators do not implement: any value but None/False is refused.
_UNSUPPORTED = (
    "onread", "rclr", "rset", "we", "wel", "swwe", "swwel", "anded", "ored", "xored", "paritycheck",
    "decr", "incr", "incrwidth", "decrvalue", "decrwidth", "overflow", "underflow", "decrsaturate",
    "incrthreshold", "decrthreshold", "intr", "stickybit", "sticky", "next", "resetsignal",
)


def _text(node, prop: str) -> str:
    v = node.get_property(prop)
    return " ".join(str(v).split()) if v else ""


def _kind(reg, f) -> str:
    from systemrdl.rdltypes import AccessType, OnWriteType, PrecedenceType

    where = f"{reg.inst_name}.{f.inst_name}"
    for prop in _UNSUPPORTED:
        v = f.get_property(prop)
        if v is None or v is False:
            continue
        raise RegsError(f"{where}: property {prop} = {v!r} is not supported by rtl_verif.regs")
    sw, hw = f.get_property("sw"), f.get_property("hw")
    onwrite = f.get_property("onwrite")
    pulse, counter, hwset = f.get_property("singlepulse"), f.get_property("counter"), f.get_property("hwset")
    if f.get_property("incrvalue") not in (None, 1):
        raise RegsError(f"{where}: counters count by 1")
    if f.get_property("hwclr") and not counter:
        raise RegsError(f"{where}: hwclr is supported on counters only")
    if hwset and onwrite != OnWriteType.woclr:
        raise RegsError(f"{where}: hwset is supported on woclr (write-1-to-clear) flags only")
    if onwrite not in (None, OnWriteType.woclr):
        raise RegsError(f"{where}: onwrite = {onwrite.name} is not supported")
    if counter:
        if sw != AccessType.r:
            raise RegsError(f"{where}: counters must be sw = r")
        return "counter"
    if onwrite == OnWriteType.woclr:
        if sw != AccessType.rw or not hwset:
            raise RegsError(f"{where}: woclr needs sw = rw and hwset (a flag the hardware sets)")
        if f.get_property("precedence") != PrecedenceType.hw:
            raise RegsError(f"{where}: set precedence = hw (an event in the clock of a clear must not be lost)")
        return "w1c"
    if pulse:
        if sw != AccessType.w:
            raise RegsError(f"{where}: singlepulse needs sw = w (it reads 0)")
        return "pulse"
    if sw == AccessType.rw:
        return "rw"
    if sw == AccessType.w:
        return "wo"
    if sw == AccessType.r:
        if hw in (AccessType.w, AccessType.rw):
            return "hw"
        if f.get_property("reset") is None:
            raise RegsError(f"{where}: a constant field (sw = r, hw = {hw.name}) needs a reset value")
        return "const"
    raise RegsError(f"{where}: sw = {sw.name} is not supported")


def _field(reg, f) -> Field:
    kind = _kind(reg, f)
    where = f"{reg.inst_name}.{f.inst_name}"
    swmod, swacc = f.get_property("swmod"), f.get_property("swacc")
    if swmod and kind not in ("rw", "wo"):
        raise RegsError(f"{where}: swmod is supported on rw/wo storage only")
    if swacc and kind not in ("hw", "rw", "counter", "const"):
        raise RegsError(f"{where}: swacc is supported on readable fields only")
    reset = f.get_property("reset")
    if reset is not None and not isinstance(reset, int):
        raise RegsError(f"{where}: reset must be a constant")
    title = _text(f, "name")
    return Field(f.inst_name, f.lsb, f.width, kind, reset, "" if title == f.inst_name else title,
                 _text(f, "desc"), hwset=bool(f.get_property("hwset")), hwclr=bool(f.get_property("hwclr")),
                 saturate=bool(f.get_property("incrsaturate")), swmod=bool(swmod), swacc=bool(swacc))


def _register(reg) -> Register:
    if reg.is_array:
        raise RegsError(f"{reg.inst_name}: register arrays are not supported; name each register")
    if reg.get_property("regwidth") != REG_BITS or reg.get_property("accesswidth") != REG_BITS:
        raise RegsError(f"{reg.inst_name}: registers must be 32 bits (regwidth = accesswidth = 32)")
    fields = tuple(_field(reg, f) for f in reg.fields())
    kinds = {f.kind for f in fields}
    if reg.external:
        if kinds not in ({"hw"}, {"wo"}):
            raise RegsError(f"{reg.inst_name}: an external register's fields must all be sw = r (hw = w) "
                            "or all sw = w")
        if any(f.swmod or f.swacc for f in fields):
            raise RegsError(f"{reg.inst_name}: external fields take no swmod/swacc (the block sees every access)")
    title = _text(reg, "name")
    return Register(reg.inst_name, reg.address_offset, fields, "" if title == reg.inst_name else title,
                    _text(reg, "desc"), external=bool(reg.external))


def elaborate(path) -> RegisterMap:
    """Compile one SystemRDL file holding one top addrmap."""
    from systemrdl import RDLCompileError, RDLCompiler
    from systemrdl.node import RegNode

    path = Path(path).resolve()
    compiler = RDLCompiler()
    try:
        compiler.compile_file(str(path))
        top = compiler.elaborate().top
    except RDLCompileError as exc:
        raise RegsError(f"{path.name}: SystemRDL errors (printed above)") from exc
    regs = []
    for child in top.children():
        if not isinstance(child, RegNode):
            raise RegsError(f"{path.name}: {child.inst_name} is not a register; the map must be flat")
        regs.append(_register(child))
    offsets = [r.offset for r in regs]
    if any(o % 4 for o in offsets):
        raise RegsError(f"{path.name}: registers must be at multiples of 4")
    addr_width = max(3, (top.size - 1).bit_length())
    title = _text(top, "name")
    try:
        source = str(path.relative_to(ROOT))
    except ValueError:
        source = path.name
    return RegisterMap(top.inst_name, "" if title == top.inst_name else title, _text(top, "desc"),
                       tuple(regs), addr_width, source)


def compile_root(path):
    """The systemrdl-compiler root node of a file (for the PeakRDL exporters)."""
    from systemrdl import RDLCompiler

    compiler = RDLCompiler()
    compiler.compile_file(str(path))
    return compiler.elaborate()
