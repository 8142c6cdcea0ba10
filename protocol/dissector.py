"""Generate the Wireshark Lua dissector from the construct declarations of
:mod:`protocol.frames`, so the two cannot drift apart.

Every field becomes a flat ``meshlink.<part>.<field>`` ProtoField; the
dissector walks the frame exactly as :func:`protocol.codec.decode` does (the
optional parts from the frame-control bits, the body from the frame type)
and refuses what it refuses (expert info "malformed": a reserved or version
bit, an unknown frame type, data protocol, route message or MIC length, a
truncated part, bytes after the body). What it shows, as the CLI does
(``python -m protocol decode``):

* names for codes (value strings): ``fc.type``, ``data.proto``,
  ``route.kind``, ``options.type``, ``security.mic_code`` — the names of
  :mod:`protocol.frames` and :data:`protocol.codec.ENUM_FIELDS`;
* addresses (:data:`ADDRESSES`) in hex with their kind: node, multicast
  group N, broadcast (the address plan of :mod:`protocol.frames`); the
  network id in hex;
* the Info column: ``<type> frame, seq N, src <addr> -> dst <addr>``, then
  the route message, ``secured`` and ``bad FCS`` / ``malformed`` when they
  apply;
* the FCS with ``fcs.status`` (1 good, 0 bad: CRC-32 of IEEE 802.3 over the
  frame, computed here) and expert info on a bad one (group checksum,
  severity error).

``python -m protocol dissector`` writes it; Wireshark/tshark load it with
``-X lua_script:meshlink.lua``.
"""

from construct import Array, FocusedSeq, FormatField, GreedyBytes, Renamed, Struct

from protocol import codec
from protocol import frames as F

GreedyBytesType = type(GreedyBytes)  # construct exposes the instance under the class's name

LUA_TYPES = {"B": ("uint8", 1), "b": ("int8", 1), "H": ("uint16", 2), "I": ("uint32", 4), "L": ("uint32", 4)}

PARTS = [("mac", F.MacHeader), ("mesh", F.MeshHeader), ("security", F.SecurityHeader),
         ("data", F.DataBody), ("ack", F.AckBody), ("beacon", F.BeaconBody), ("rreq", F.RouteRequest),
         ("rrep", F.RouteReply), ("rerr", F.RouteError), ("handshake", F.HandshakeBody),
         ("group_key", F.GroupKeyBody), ("telemetry", F.TelemetryBody)]

# Fields that hold an address of the plan in protocol.frames (shown in hex with their kind).
ADDRESSES = ("mac.dst", "mac.src", "mesh.originator", "mesh.final_dst", "beacon.neighbours.addr", "rreq.origin",
             "rreq.target", "rrep.origin", "rrep.target", "rerr.unreachable.addr", "group_key.group",
             "telemetry.neighbours.addr")
HEX_FIELDS = (*ADDRESSES, "mac.fc", "mac.net")
# Codes shown by name; the dissector refuses a code without one, as the decoder does (options: kept, skipped).
VALUE_STRINGS = {"fc.type": F.FRAME_TYPES, "route.kind": F.ROUTE_KINDS, "options.type": F.OPTION_TYPES,
                 "security.mic_code": {c: f"{n}-byte MIC" for c, n in F.MIC_LENGTHS.items()},
                 **{f"{part}.{field}": names for part, fields in codec.ENUM_FIELDS.items()
                    for field, names in fields.items()}}
CHECKED_CODES = tuple(k for k in VALUE_STRINGS if k not in ("fc.type", "options.type"))


def _fields(struct: Struct):
    """(name, kind, detail) per subcon: kind 'int' (lua type, size), 'bytes'
    (greedy), 'bytes8' (u8-prefixed bytes) or 'array' (u8-prefixed Struct)."""
    out = []
    for sc in struct.subcons:
        inner = sc.subcon if isinstance(sc, Renamed) else sc
        if isinstance(inner, FormatField):
            out.append((sc.name, "int", LUA_TYPES[inner.fmtstr[-1]]))
        elif isinstance(inner, GreedyBytesType):
            out.append((sc.name, "bytes", None))
        elif isinstance(inner, FocusedSeq) and [c.name for c in inner.subcons] == ["count", "items"] \
                and isinstance(inner.subcons[1].subcon, Array):  # construct's PrefixedArray
            elem = inner.subcons[1].subcon.subcon
            if isinstance(elem, FormatField):
                out.append((sc.name, "bytes8", None))
            else:
                out.append((sc.name, "array", elem))
        else:
            raise TypeError(f"dissector generator: unsupported field {sc.name}: {inner!r}")
    return out


def _var(key: str) -> str:
    return key.replace(".", "_")


def _lua_table(mapping: dict) -> str:
    return "{" + ", ".join(f'[{code}] = "{name}"' for code, name in mapping.items()) + "}"


def _int_field(key: str, lua_type: str, mask: int | None = None) -> str:
    base = "base.HEX" if key in HEX_FIELDS else "base.DEC"
    vs = f"vs_{_var(key)}" if key in VALUE_STRINGS else "nil"
    tail = f", {mask:#06x}" if mask is not None else ""
    return f'f.{_var(key)} = ProtoField.{lua_type}("meshlink.{key}", "{key}", {base}, {vs}{tail})'


def _declare(prefix, struct, lines, names):
    for name, kind, detail in _fields(struct):
        key = f"{prefix}.{name}"
        names.append(key)
        if kind == "int":
            lines.append(_int_field(key, detail[0]))
        elif kind in ("bytes", "bytes8"):
            lines.append(f'f.{_var(key)} = ProtoField.bytes("meshlink.{key}", "{key}")')
        else:
            if any(n == "count" for n, _, _ in _fields(detail)):  # would share meshlink.<key>.count
                raise TypeError(f"dissector generator: {key} items may not have a field named count")
            lines.append(f'f.{_var(key)}_count = ProtoField.uint8("meshlink.{key}.count", "{key} count")')
            names.append(f"{key}.count")
            _declare(key, detail, lines, names)


def _walk(prefix, struct, lines, indent):
    pad = "  " * indent
    for name, kind, detail in _fields(struct):
        key = f"{prefix}.{name}"
        var = _var(key)
        if kind == "int":
            size = detail[1]
            add = f"t:add_le(f.{var}, buf(off, {size}))"
            if key in ADDRESSES:
                add = f"addr_item({add}, buf(off, {size}):le_uint())"
            elif key in CHECKED_CODES:
                add = f"code_item({add}, vs_{var}, buf(off, {size}):le_uint(), \"{key}\")"
            lines.append(f"{pad}need({size}); {add}; off = off + {size}")
        elif kind == "bytes":
            lines.append(f"{pad}if stop > off then t:add(f.{var}, buf(off, stop - off)) end; off = stop")
        elif kind == "bytes8":
            lines.append(f"{pad}need(1); local n_{var} = buf(off, 1):uint(); off = off + 1")
            lines.append(f"{pad}need(n_{var}); if n_{var} > 0 then t:add(f.{var}, buf(off, n_{var})) end;"
                         f" off = off + n_{var}")
        else:
            lines.append(f"{pad}need(1); local n_{var} = buf(off, 1):uint(); t:add(f.{var}_count, buf(off, 1));"
                         f" off = off + 1")
            lines.append(f"{pad}for _ = 1, n_{var} do")
            _walk(key, detail, lines, indent + 1)
            lines.append(f"{pad}end")


def field_names() -> list:
    """Every field name the dissector declares (without the ``meshlink.`` prefix)."""
    names = ["fc.version", "fc.type", "fc.security", "fc.ack_req", "fc.mesh", "fc.options",
             "options.type", "options.value", "route.kind", "ciphertext", "mic", "fcs", "fcs.status"]
    lines: list = []
    for prefix, struct in PARTS:
        _declare(prefix, struct, lines, names)
    return names


_RUNTIME = """
-- CRC-32 of IEEE 802.3 (reflected, polynomial 0xEDB88320), as mesh_phy.coding.crc.crc32
local crc_table = {}
for n = 0, 255 do
  local c = n
  for _ = 1, 8 do
    if bit.band(c, 1) ~= 0 then c = bit.bxor(bit.rshift(c, 1), 0xEDB88320) else c = bit.rshift(c, 1) end
  end
  crc_table[n] = c
end
local function crc32(range)
  local c = 0xFFFFFFFF
  local bytes = range:bytes()
  for i = 0, bytes:len() - 1 do
    c = bit.bxor(crc_table[bit.band(bit.bxor(c, bytes:get_index(i)), 0xFF)], bit.rshift(c, 8))
  end
  return bit.bnot(c)
end

-- an address as the CLI prints it: hex and its kind
local function addr_text(a)
  local kind
  if a == BROADCAST then kind = "broadcast"
  elseif a >= MULTICAST_FIRST and a <= MULTICAST_LAST then kind = "multicast group " .. (a - MULTICAST_FIRST)
  else kind = "node" end
  return string.format("0x%04x (%s)", a, kind)
end
local function addr_item(item, a)
  local text = addr_text(a)
  item:append_text(" " .. string.sub(text, 8))
  return item
end
local function code_item(item, names, v, what)
  if names[v] == nil then error("unknown " .. what .. " " .. v) end
  return item
end
"""


def generate() -> str:
    """The dissector's Lua source."""
    lines = ["-- Wireshark dissector for the mesh link frames.",
             "-- GENERATED by `python -m protocol dissector` from protocol/frames.py: do not edit.",
             'local p = Proto("meshlink", "Mesh link frame")', "local f = p.fields",
             f"local BROADCAST, MULTICAST_FIRST, MULTICAST_LAST = {F.BROADCAST:#06x}, {F.MULTICAST_FIRST:#06x}, "
             f"{F.MULTICAST_LAST:#06x}"]
    for key, names in VALUE_STRINGS.items():
        lines.append(f"local vs_{_var(key)} = {_lua_table(names)}")
    lines.append('local vs_fcs_status = {[0] = "bad", [1] = "good"}')
    for key, (mask, _shift) in F.FC_FIELDS.items():
        if key != "reserved":
            lines.append(_int_field(f"fc.{ {'frame_type': 'type'}.get(key, key) }", "uint16", mask))
    lines += [_int_field("options.type", "uint8"),
              'f.options_value = ProtoField.bytes("meshlink.options.value", "options.value")',
              _int_field("route.kind", "uint8"),
              'f.ciphertext = ProtoField.bytes("meshlink.ciphertext", "ciphertext")',
              'f.mic = ProtoField.bytes("meshlink.mic", "mic")',
              'f.fcs = ProtoField.uint32("meshlink.fcs", "fcs", base.HEX)',
              'f.fcs_status = ProtoField.uint8("meshlink.fcs.status", "fcs.status", base.DEC, vs_fcs_status)']
    names: list = []
    for prefix, struct in PARTS:
        _declare(prefix, struct, lines, names)
    lines += [
        'local ef_bad_fcs = ProtoExpert.new("meshlink.fcs.bad", "Bad FCS", expert.group.CHECKSUM, '
        'expert.severity.ERROR)',
        'local ef_malformed = ProtoExpert.new("meshlink.malformed", "Malformed frame", expert.group.MALFORMED, '
        'expert.severity.ERROR)',
        "p.experts = {ef_bad_fcs, ef_malformed}",
        _RUNTIME,
    ]
    mic = ", ".join(f"[{c}] = {n}" for c, n in F.MIC_LENGTHS.items())
    fc = F.FC_FIELDS
    lines += [
        "function p.dissector(buf, pinfo, tree)",
        '  pinfo.cols.protocol = "MESHLINK"',
        "  local t = tree:add(p, buf())",
        "  local len = buf:len()",
        "  if len < 13 then",
        '    t:add_proto_expert_info(ef_malformed, "frame too short")',
        '    pinfo.cols.info = "frame too short"',
        "    return",
        "  end",
        "  local stop = len - 4",
        "  local off = 0",
        "  local function need(n) if off + n > stop then error('truncated') end end",
        "  local fc = buf(0, 2):le_uint()",
        "  local route_kind = nil",
    ]
    for key in F.FC_FIELDS:
        if key != "reserved":
            lines.append(f"  t:add_le(f.fc_{ {'frame_type': 'type'}.get(key, key) }, buf(0, 2))")
    lines += [
        "  local ok, err = pcall(function()",
        f"    if bit.band(fc, {fc['version'][0] | fc['reserved'][0]:#06x}) ~= 0 then "
        "error('unsupported version or reserved frame-control bits set') end",
    ]
    _walk("mac", F.MacHeader, lines, 2)
    lines.append(f"    if bit.band(fc, {fc['mesh'][0]:#06x}) ~= 0 then")
    _walk("mesh", F.MeshHeader, lines, 3)
    lines += [
        "    end",
        f"    if bit.band(fc, {fc['options'][0]:#06x}) ~= 0 then",
        "      need(1); local total = buf(off, 1):uint(); off = off + 1",
        "      local ostop = off + total",
        "      if ostop > stop then error('truncated options') end",
        "      while off < ostop do",
        "        if off + 2 > ostop then error('truncated option') end",
        "        t:add(f.options_type, buf(off, 1)); local l = buf(off + 1, 1):uint()",
        "        if off + 2 + l > ostop then error('truncated option') end",
        "        if l > 0 then t:add(f.options_value, buf(off + 2, l)) end",
        "        off = off + 2 + l",
        "      end",
        "    end",
        f"    local ft = bit.rshift(bit.band(fc, {fc['frame_type'][0]:#06x}), {fc['frame_type'][1]})",
        "    if vs_fc_type[ft] == nil then error('unknown frame type ' .. ft) end",
        f"    if bit.band(fc, {fc['security'][0]:#06x}) ~= 0 then",
    ]
    _walk("security", F.SecurityHeader, lines, 3)
    lines += [
        f"      local mics = {{{mic}}}",
        "      local ml = mics[buf(off - 6, 1):uint()]",
        "      if off + ml > stop then error('truncated MIC') end",
        "      if stop - ml > off then t:add(f.ciphertext, buf(off, stop - ml - off)) end",
        "      t:add(f.mic, buf(stop - ml, ml)); off = stop",
        "    else",
    ]
    for code, name in F.FRAME_TYPES.items():
        lines.append(f"      {'if' if code == 0 else 'elseif'} ft == {code} then")
        if name == "route":
            lines.append("        need(1); local kind = buf(off, 1):uint(); "
                         'code_item(t:add(f.route_kind, buf(off, 1)), vs_route_kind, kind, "route.kind"); '
                         "off = off + 1")
            lines.append("        route_kind = vs_route_kind[kind]")
            for kcode, kname in F.ROUTE_KINDS.items():
                lines.append(f"        {'if' if kcode == 1 else 'elseif'} kind == {kcode} then")
                _walk(kname, F.ROUTE_BODIES[kname], lines, 5)
            lines.append("        end")
        else:
            _walk(name, F.BODIES[name], lines, 4)
    lines += [
        "      end",
        "      if off ~= stop then error('trailing bytes after the body') end",
        "    end",
        "  end)",
        "  local fcs_item = t:add_le(f.fcs, buf(stop, 4))",
        "  local fcs_ok = crc32(buf(0, stop)) == bit.tobit(buf(stop, 4):le_uint())",
        "  t:add(f.fcs_status, buf(stop, 4), fcs_ok and 1 or 0)",
        "  if not fcs_ok then fcs_item:add_proto_expert_info(ef_bad_fcs) end",
        "  if not ok then t:add_proto_expert_info(ef_malformed, (tostring(err):gsub('^.-:%d+: ', ''))) end",
        f"  local ft = bit.rshift(bit.band(fc, {fc['frame_type'][0]:#06x}), {fc['frame_type'][1]})",
        "  local info = string.format('%s frame, seq %d, src %s -> dst %s', vs_fc_type[ft] or ('type ' .. ft),",
        "    buf(2, 1):uint(), addr_text(buf(7, 2):le_uint()), addr_text(buf(5, 2):le_uint()))",
        "  if route_kind then info = info .. ', ' .. route_kind end",
        f"  if bit.band(fc, {fc['security'][0]:#06x}) ~= 0 then info = info .. ', secured' end",
        "  if not fcs_ok then info = info .. ', bad FCS' end",
        "  if not ok then info = info .. ', malformed' end",
        "  pinfo.cols.info = info",
        "end",
        "",
        'DissectorTable.get("wtap_encap"):add(wtap.USER0, p)',
        "",
    ]
    return "\n".join(lines)
