"""Encode and decode mesh frames (layout in :mod:`protocol.frames`).

Two forms of a frame, with the same keys:

* the *frame* (what :func:`decode` returns, :func:`encode` takes): byte
  fields are ``bytes``;
* the *dict form* (:func:`to_dict` / :func:`from_dict`): byte fields are
  lowercase hex strings, so it is JSON and means the same in CPython and in
  the MicroPython firmware codec.

Keys: ``type, version, seq, net, dst, src, ack_req, mesh, options,
security, body`` and, for a secured frame, ``ciphertext, mic`` (its ``body``
is None: the body is encrypted). ``mesh``/``options``/``security`` are None
when absent. The fields of the mesh header, the options and every body are
those declared in :mod:`protocol.frames` (integer ranges from their
``construct`` formats), so a body declared there needs no code here.

Hex grammar of the dict form, the same in the firmware codec
(``firmware_models/mesh_codec.py``): a byte field is a ``str`` of lowercase
hex digits ``0-9a-f``, two per byte (high nibble first), and nothing else:
no ``0x`` prefix, no separators or whitespace, no uppercase, an even number
of digits; ``""`` is zero bytes.

Input rules (every public function): integers are ``int`` (or numpy
integers), never ``bool``, ``float`` or ``complex`` (``version`` 0.0 or 0j,
``mic_len`` 4.0 are refused, not coerced); flags are ``bool``; byte fields of
a frame and the frame bytes are ``bytes``, ``bytearray`` or ``memoryview``.
Any bad input raises :class:`protocol.errors.FrameError` (a ``ValueError``)
naming the argument and the field (``frame.body.neighbours[2].rssi_dbm``) and
the reason; no other exception escapes, whatever the nesting or size of the
input (the checks walk the declared layout, never the caller's data).
"""

import functools
import re
import struct as pystruct
import zlib

import construct

import argcheck
from protocol import frames as F
from protocol.errors import FrameError

TOP_KEYS = ("type", "version", "seq", "net", "dst", "src", "ack_req", "mesh", "options", "security", "body")
SECURITY_KEYS = ("key_id", "counter", "mic_len")
# Body fields the frame and dict forms carry as names, not codes: {frame type: {field: {code: name}}}.
ENUM_FIELDS = {"data": {"proto": F.DATA_PROTOCOLS}}
MAX_OPTIONS = 127  # the options block is at most 255 bytes, each option at least 2
_HEX = re.compile("(?:[0-9a-f]{2})*")
_ENUM_CODES = {t: {field: {v: k for k, v in names.items()} for field, names in fields.items()}
               for t, fields in ENUM_FIELDS.items()}  # {frame type: {field: {name: code}}}
_TYPE_NAMES = tuple(F.FRAME_TYPE_CODES)
_MIC_LENS = tuple(F.MIC_CODES)
crc32 = zlib.crc32  # IEEE 802.3 CRC-32, the same value as mesh_phy.coding.crc.crc32 (the golden one), in C
_INT_FORMATS = "bBhHiIlLqQ"


def _int_range(con) -> tuple | None:
    """(lo, hi) of an integer FormatField, else None."""
    if not isinstance(con, construct.FormatField) or con.fmtstr[-1] not in _INT_FORMATS:
        return None
    bits = 8 * con.sizeof()
    return (-(1 << bits - 1), (1 << bits - 1) - 1) if con.fmtstr[-1].islower() else (0, (1 << bits) - 1)


@functools.cache
def _layout(struct) -> tuple:
    """The fields of a ``construct`` Struct of :mod:`protocol.frames` as
    ``(name, kind, detail)``: kind "int" with detail ``(lo, hi)``; "bytes"
    with detail ``(min_len, max_len)`` (GreedyBytes: the rest of the frame,
    ``Bytes(n)``: exactly n, a count-prefixed byte array: up to the count's
    maximum); "list" with detail ``(item Struct, max items)``. A declaration
    of any other shape is a programming error (TypeError on first use)."""
    out = []
    for sc in struct.subcons:
        inner = sc.subcon if isinstance(sc, construct.Renamed) else sc
        if _int_range(inner):
            out.append((sc.name, "int", _int_range(inner)))
        elif inner is construct.GreedyBytes:
            out.append((sc.name, "bytes", (0, F.MAX_FRAME)))
        elif isinstance(inner, construct.Bytes) and isinstance(inner.length, int):
            out.append((sc.name, "bytes", (inner.length, inner.length)))
        elif isinstance(inner, construct.FocusedSeq) and [c.name for c in inner.subcons] == ["count", "items"] \
                and _int_range(inner.subcons[0].subcon.subcon):  # PrefixedArray: count / Rebuild(int), items
            most = min(_int_range(inner.subcons[0].subcon.subcon)[1], F.MAX_FRAME)
            item = inner.subcons[1].subcon.subcon
            if isinstance(item, construct.FormatField) and item.fmtstr[-1] == "B":
                out.append((sc.name, "bytes", (0, most)))
            elif isinstance(item, construct.Struct):
                out.append((sc.name, "list", (item, most)))
            else:
                raise TypeError(f"protocol.codec: unsupported array {sc.name} in {struct!r}")
        else:
            raise TypeError(f"protocol.codec: unsupported field {sc.name} in {struct!r}")
    return tuple(out)


_INTS, _GREEDY, _FIXED, _PBYTES, _PLIST = range(5)


@functools.cache
def _steps(struct) -> tuple:
    """How to read and write a Struct of :mod:`protocol.frames` with Python's
    ``struct`` module instead of ``construct`` (the same bytes, ~20 times
    faster): its fields of :func:`_layout` in order, runs of integers merged
    into one ``struct.Struct`` of their formats, as ``(_INTS, Struct, names)``,
    ``(_GREEDY, name)``, ``(_FIXED, name, n)``, ``(_PBYTES, name, count
    Struct)`` or ``(_PLIST, name, count Struct, item Struct)``. Only
    little-endian fields (all of :mod:`protocol.frames`'s) are merged."""
    out, fmt, names = [], "", []
    for (name, kind, detail), sc in zip(_layout(struct), struct.subcons, strict=True):
        inner = sc.subcon if isinstance(sc, construct.Renamed) else sc
        if kind == "int" and inner.fmtstr[0] == "<":
            fmt += inner.fmtstr[1:]
            names.append(name)
            continue
        if names:
            out.append((_INTS, pystruct.Struct("<" + fmt), tuple(names)))
            fmt, names = "", []
        if kind == "int":
            out.append((_INTS, pystruct.Struct(inner.fmtstr), (name,)))
        elif inner is construct.GreedyBytes:
            out.append((_GREEDY, name))
        elif kind == "bytes" and isinstance(inner, construct.Bytes):
            out.append((_FIXED, name, inner.length))
        else:
            count = pystruct.Struct(inner.subcons[0].subcon.subcon.fmtstr)
            out.append((_PBYTES, name, count) if kind == "bytes" else (_PLIST, name, count, detail[0]))
    if names:
        out.append((_INTS, pystruct.Struct("<" + fmt), tuple(names)))
    return tuple(out)


class _Short(Exception):
    """A read past the end of the bytes a Struct is read from."""


def _read(struct, data: bytes, pos: int, end: int) -> tuple:
    """(the fields of ``struct`` read from ``data[pos:end]`` as a plain dict:
    integers, bytes, lists of plain dicts; the position after them); raises
    :class:`_Short` where ``construct`` would raise a stream error."""
    out = {}
    for step in _steps(struct):
        op = step[0]
        if op == _INTS:
            st = step[1]
            nxt = pos + st.size
            if nxt > end:
                raise _Short
            out.update(zip(step[2], st.unpack_from(data, pos), strict=True))
            pos = nxt
        elif op == _GREEDY:
            out[step[1]] = data[pos:end]
            pos = end
        elif op == _FIXED:
            nxt = pos + step[2]
            if nxt > end:
                raise _Short
            out[step[1]] = data[pos:nxt]
            pos = nxt
        else:
            st = step[2]
            if pos + st.size > end:
                raise _Short
            (n,) = st.unpack_from(data, pos)
            pos += st.size
            if op == _PBYTES:
                if pos + n > end:
                    raise _Short
                out[step[1]] = data[pos:pos + n]
                pos += n
            else:
                items = []
                for _ in range(n):
                    item, pos = _read(step[3], data, pos, end)
                    items.append(item)
                out[step[1]] = items
    return out, pos


def _write(struct, obj: dict) -> bytes:
    """The bytes of ``obj`` (checked: every field in range) as ``struct``; the inverse of :func:`_read`."""
    parts = []
    for step in _steps(struct):
        op = step[0]
        if op == _INTS:
            parts.append(step[1].pack(*[obj[n] for n in step[2]]))
        elif op == _GREEDY or op == _FIXED:
            parts.append(bytes(obj[step[1]]))
        else:
            v = obj[step[1]]
            parts.append(step[2].pack(len(v)))
            if op == _PBYTES:
                parts.append(bytes(v))
            else:
                parts.extend(_write(step[3], x) for x in v)
    return b"".join(parts)


# ---------------------------------------------------------------- decoding

_MAC_SIZE = F.MacHeader.sizeof()
_FC_VERSION, _FC_VERSION_SHIFT = F.FC_FIELDS["version"]
_FC_TYPE, _FC_TYPE_SHIFT = F.FC_FIELDS["frame_type"]
_FC_SECURITY = F.FC_FIELDS["security"][0]
_FC_ACK = F.FC_FIELDS["ack_req"][0]
_FC_MESH = F.FC_FIELDS["mesh"][0]
_FC_OPTIONS = F.FC_FIELDS["options"][0]
_FC_RESERVED = F.FC_FIELDS["reserved"][0]


def _parse(con, data: bytes, pos: int, end: int, what: str) -> tuple:
    """(fields as a plain dict, position after them) of ``con`` read from ``data[pos:end]``."""
    try:
        return _read(con, data, pos, end)
    except _Short:
        raise FrameError(f"truncated {what}", pos) from None


def decode(data: bytes) -> dict:
    """Decode one frame (FCS included; ``data`` is bytes, bytearray or
    memoryview). Raises FrameError with the reason and offset."""
    data = data if type(data) is bytes else argcheck.byteslike(data, "data", FrameError)
    if len(data) < _MAC_SIZE + 4:
        raise FrameError("frame too short", len(data))
    if len(data) > F.MAX_FRAME:
        raise FrameError("frame too long", F.MAX_FRAME)
    body_end = len(data) - 4
    if crc32(data[:body_end]) != int.from_bytes(data[body_end:], "little"):
        raise FrameError("bad FCS", body_end)
    mac, pos = _parse(F.MacHeader, data, 0, body_end, "MAC header")
    fc = mac["fc"]
    if fc & _FC_VERSION:
        raise FrameError(f"unsupported version {(fc & _FC_VERSION) >> _FC_VERSION_SHIFT}", 0)
    if fc & _FC_RESERVED:
        raise FrameError("reserved frame-control bits set", 0)
    code = (fc & _FC_TYPE) >> _FC_TYPE_SHIFT
    if code not in F.FRAME_TYPES:
        raise FrameError(f"unknown frame type {code}", 0)
    ftype = F.FRAME_TYPES[code]
    frame = {"type": ftype, "version": 0, "seq": mac["seq"], "net": mac["net"], "dst": mac["dst"],
             "src": mac["src"], "ack_req": bool(fc & _FC_ACK), "mesh": None, "options": None, "security": None,
             "body": None}
    if fc & _FC_MESH:
        frame["mesh"], pos = _parse(F.MeshHeader, data, pos, body_end, "mesh header")
    if fc & _FC_OPTIONS:
        start = pos
        if pos >= body_end:
            raise FrameError("truncated options", start)
        total = data[pos]
        block_end = pos + 1 + total
        if block_end > body_end:
            raise FrameError("truncated options", start)
        opts, pos = [], pos + 1
        while pos < block_end:
            try:
                opt, pos = _read(F.Option, data, pos, block_end)
            except _Short:
                raise FrameError("truncated option", pos - start - 1) from None  # offset in the options block
            opts.append(opt)
        frame["options"] = opts
    if fc & _FC_SECURITY:
        at = pos
        sec, pos = _parse(F.SecurityHeader, data, pos, body_end, "security header")
        if sec["mic_code"] not in F.MIC_LENGTHS:
            raise FrameError(f"unknown MIC length code {sec['mic_code']}", at)
        mic_len = F.MIC_LENGTHS[sec["mic_code"]]
        frame["security"] = {"key_id": sec["key_id"], "counter": sec["counter"], "mic_len": mic_len}
        if body_end - pos < mic_len:
            raise FrameError("truncated MIC", body_end)
        frame["ciphertext"] = data[pos:body_end - mic_len]
        frame["mic"] = data[body_end - mic_len:body_end]
        return frame
    frame["body"] = _decode_body(ftype, data, pos, body_end)
    return frame


def _decode_body(ftype, data: bytes, at: int, end: int) -> dict:
    if ftype == "route":
        kind = _parse(F.RouteKind, data, at, end, "route body")[0]["kind"]
        if kind not in F.ROUTE_KINDS:
            raise FrameError(f"unknown route message {kind}", at)
        name = F.ROUTE_KINDS[kind]
        fields, pos = _parse(F.ROUTE_BODIES[name], data, at + 1, end, f"{name} body")
        body = {"kind": name, **fields}
    else:
        body, pos = _parse(F.BODIES[ftype], data, at, end, f"{ftype} body")
        for field, names in ENUM_FIELDS.get(ftype, {}).items():
            if body[field] not in names:
                raise FrameError(f"unknown {ftype} {field} {body[field]}", at)
            body[field] = names[body[field]]
    if pos != end:
        raise FrameError("trailing bytes after the body", pos)
    return body


# ---------------------------------------------------------------- checking

def _show(key) -> str:
    return repr(key) if isinstance(key, str) and len(key) <= 40 else type(key).__name__


_ONLY_STR = {str}
_KEY_SETS: dict = {}  # key tuple -> its frozenset


def _keys(obj, keys, name: str) -> None:
    """``obj`` must be a dict with exactly ``keys`` (distinct strings)."""
    if type(obj) is dict and set(map(type, obj)) == _ONLY_STR:
        ks = _KEY_SETS.get(keys)
        if ks is None:
            ks = _KEY_SETS[keys] = frozenset(keys)
        if obj.keys() == ks:
            return  # the common case: string keys, exactly those
    if not isinstance(obj, dict):
        raise FrameError(f"{name} must be a dict, got {type(obj).__name__}")
    missing = [k for k in keys if k not in obj]
    unknown = [_show(k) for k in obj if not (isinstance(k, str) and k in keys)]
    if missing or unknown:
        more = ", ..." if len(unknown) > 4 else ""
        raise FrameError(f"{name} has missing keys {missing}, unknown keys [{', '.join(unknown[:4])}{more}]")


def _one_of(v, name: str, options: tuple, kind: type):
    """argcheck.one_of, its common case (a ``kind`` among ``options``) without the call."""
    return v if type(v) is kind and v in options else argcheck.one_of(v, name, FrameError, options)


def _uint(obj, key, bits, name):
    v = obj[key]
    if type(v) is int and 0 <= v < 1 << bits:
        return v
    return argcheck.integer(v, f"{name}.{key}", FrameError, lo=0, hi=(1 << bits) - 1)


def _raw(value, name: str, max_len: int) -> bytes:
    """A byte field of a frame: bytes, bytearray or memoryview."""
    if type(value) is bytes and len(value) <= max_len:
        return value
    return argcheck.byteslike(value, name, FrameError, max_len=max_len)


def _unhex(value, name: str, max_len: int) -> bytes:
    """A byte field of the dict form (grammar in the module docstring)."""
    if not isinstance(value, str):
        raise FrameError(f"{name} must be a hex string, got {type(value).__name__}")
    if len(value) > 2 * max_len:
        raise FrameError(f"{name} must be at most {max_len} bytes ({2 * max_len} hex digits), "
                         f"got {len(value)} characters")
    if len(value) % 2:
        raise FrameError(f"{name} must have an even number of hex digits, got {len(value)}")
    if not _HEX.fullmatch(value):
        raise FrameError(f"{name} must be lowercase hex digits 0-9a-f only (no prefix, separator or whitespace)")
    return bytes.fromhex(value)


@functools.cache
def _field_names(struct) -> tuple:
    return tuple(field for field, _, _ in _layout(struct))


def _struct(obj, struct, name: str, as_bytes, enums=None) -> dict:
    """``obj`` checked against a declared Struct: exactly its fields, each
    integer in its format's range, byte fields through ``as_bytes``, lists of
    at most their count's maximum; ``enums`` ({field: {code: name}}) fields hold names."""
    layout = _layout(struct)
    _keys(obj, _field_names(struct), name)
    out = {}
    for field, kind, detail in layout:
        v = obj[field]
        if (kind == "int" and type(v) is int and detail[0] <= v <= detail[1] and not (enums and field in enums)) \
                or (kind == "bytes" and as_bytes is _raw and type(v) is bytes and detail[0] <= len(v) <= detail[1]):
            out[field] = v  # the common cases, without naming the field
            continue
        where = f"{name}.{field}"
        if enums and field in enums:
            out[field] = _one_of(v, where, tuple(enums[field].values()), str)
        elif kind == "int":
            out[field] = argcheck.integer(v, where, FrameError, lo=detail[0], hi=detail[1])
        elif kind == "list":
            if not isinstance(v, list):
                raise FrameError(f"{where} must be a list, got {type(v).__name__}")
            if len(v) > detail[1]:
                raise FrameError(f"{where} must have at most {detail[1]} items, got {len(v)}")
            out[field] = [_struct(x, detail[0], f"{where}[{i}]", as_bytes) for i, x in enumerate(v)]
        else:
            out[field] = as_bytes(v, where, detail[1])
            if len(out[field]) < detail[0]:
                raise FrameError(f"{where} must be {detail[0]} bytes, got {len(out[field])}")
    return out


def _body(ftype: str, body, name: str, as_bytes) -> dict:
    if ftype == "route":
        if not isinstance(body, dict):
            raise FrameError(f"{name} must be a dict, got {type(body).__name__}")
        kind = argcheck.one_of(body.get("kind"), f"{name}.kind", FrameError, tuple(F.ROUTE_BODIES))
        fields = _struct({k: v for k, v in body.items() if k != "kind"}, F.ROUTE_BODIES[kind], name, as_bytes)
        return {"kind": kind, **fields}
    if ftype not in F.BODIES:
        raise FrameError(f"{name}: frame type {ftype} has no body declared in protocol.frames")
    return _struct(body, F.BODIES[ftype], name, as_bytes, ENUM_FIELDS.get(ftype))


def _check(frame, name: str, as_bytes) -> dict:
    """``frame`` (or a dict form, by ``as_bytes``) checked field by field and
    returned normalized: plain ints and bools, bytes, keys in declared order."""
    secured = isinstance(frame, dict) and frame.get("security") is not None
    _keys(frame, TOP_KEYS + (("ciphertext", "mic") if secured else ()), name)
    ftype = _one_of(frame["type"], f"{name}.type", _TYPE_NAMES, str)
    out = {"type": ftype, "version": _one_of(frame["version"], f"{name}.version", (0,), int),
           "seq": _uint(frame, "seq", 8, name), "net": _uint(frame, "net", 16, name),
           "dst": _uint(frame, "dst", 16, name), "src": _uint(frame, "src", 16, name),
           "ack_req": frame["ack_req"] if type(frame["ack_req"]) is bool
           else argcheck.flag(frame["ack_req"], f"{name}.ack_req", FrameError),
           "mesh": None, "options": None, "security": None, "body": None}
    if frame["mesh"] is not None:
        out["mesh"] = _struct(frame["mesh"], F.MeshHeader, f"{name}.mesh", as_bytes)
    if frame["options"] is not None:
        opts = frame["options"]
        if not isinstance(opts, list):
            raise FrameError(f"{name}.options must be a list or None, got {type(opts).__name__}")
        if len(opts) > MAX_OPTIONS:
            raise FrameError(f"{name}.options must have at most {MAX_OPTIONS} options, got {len(opts)}")
        out["options"] = [_struct(o, F.Option, f"{name}.options[{i}]", as_bytes) for i, o in enumerate(opts)]
    if not secured:
        out["body"] = _body(ftype, frame["body"], f"{name}.body", as_bytes)
        return out
    sec, where = frame["security"], f"{name}.security"
    _keys(sec, SECURITY_KEYS, where)
    mic_len = _one_of(sec["mic_len"], f"{where}.mic_len", _MIC_LENS, int)
    out["security"] = {"key_id": _uint(sec, "key_id", 8, where), "counter": _uint(sec, "counter", 32, where),
                       "mic_len": mic_len}
    if frame["body"] is not None:
        raise FrameError(f"{name}.body must be None in a secured frame (the body is the ciphertext)")
    out["ciphertext"] = as_bytes(frame["ciphertext"], f"{name}.ciphertext", F.MAX_FRAME)
    out["mic"] = as_bytes(frame["mic"], f"{name}.mic", mic_len)
    if len(out["mic"]) != mic_len:
        raise FrameError(f"{name}.mic must be {mic_len} bytes (security.mic_len), got {len(out['mic'])}")
    return out


# ---------------------------------------------------------------- encoding

def _build(con, obj, where):
    try:
        return _write(con, obj)
    except (pystruct.error, TypeError, KeyError) as exc:  # not reached after _check: a declaration it misses
        raise FrameError(f"{where}: {exc}") from None


def _body_bytes(ftype: str, body: dict) -> bytes:
    if ftype == "route":
        code = {v: k for k, v in F.ROUTE_KINDS.items()}[body["kind"]]
        return bytes([code]) + _build(F.ROUTE_BODIES[body["kind"]], body, f"{body['kind']} body")
    enums = _ENUM_CODES.get(ftype)
    if enums:
        body = dict(body)
        for field, codes in enums.items():
            body[field] = codes[body[field]]
    return _build(F.BODIES[ftype], body, f"{ftype} body")


def _frame_bytes(f: dict, name: str) -> bytes:
    """The bytes of a checked frame, FCS included."""
    secured = f["security"] is not None
    fc = (F.FRAME_TYPE_CODES[f["type"]] << 2) | (secured << 6) | (f["ack_req"] << 7) \
        | ((f["mesh"] is not None) << 8) | ((f["options"] is not None) << 9)
    out = _build(F.MacHeader, {"fc": fc, "seq": f["seq"], "net": f["net"], "dst": f["dst"], "src": f["src"]},
                 "MAC header")
    if f["mesh"] is not None:
        out += _build(F.MeshHeader, f["mesh"], "mesh header")
    if f["options"] is not None:
        block = b"".join(_build(F.Option, o, "option") for o in f["options"])
        if len(block) > 255:
            raise FrameError(f"{name}.options take {len(block)} bytes, more than 255")
        out += bytes([len(block)]) + block
    if secured:
        s = f["security"]
        out += _build(F.SecurityHeader, {"mic_code": F.MIC_CODES[s["mic_len"]], "key_id": s["key_id"],
                                         "counter": s["counter"]}, "security header")
        out += f["ciphertext"] + f["mic"]
    else:
        out += _body_bytes(f["type"], f["body"])
    if len(out) + 4 > F.MAX_FRAME:
        raise FrameError(f"{name} of {len(out) + 4} bytes exceeds {F.MAX_FRAME}")
    return out + crc32(out).to_bytes(4, "little")


def encode(frame: dict) -> bytes:
    """Encode a frame (byte fields as bytes) to its bytes, FCS included."""
    return _frame_bytes(_check(frame, "frame", _raw), "frame")


def encode_body(ftype: str, body: dict) -> bytes:
    """The body bytes a frame of type ``ftype`` carries (the plaintext that
    link-layer security encrypts)."""
    ftype = argcheck.one_of(ftype, "ftype", FrameError, tuple(F.FRAME_TYPE_CODES))
    return _body_bytes(ftype, _body(ftype, body, "body", _raw))


def decode_body(ftype: str, data: bytes) -> dict:
    """Inverse of :func:`encode_body` (FrameError on anything malformed;
    offsets count from the start of the body)."""
    ftype = argcheck.one_of(ftype, "ftype", FrameError, tuple(F.FRAME_TYPE_CODES))
    data = argcheck.byteslike(data, "data", FrameError, max_len=F.MAX_FRAME)
    return _decode_body(ftype, data, 0, len(data))


# ---------------------------------------------------------------- dict form

def _hexify(obj):
    """A checked frame with its byte fields as lowercase hex (its depth is that of the declarations)."""
    if isinstance(obj, dict):
        return {k: _hexify(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_hexify(v) for v in obj]
    return obj.hex() if isinstance(obj, bytes) else obj


def to_dict(frame: dict) -> dict:
    """The JSON-able dict form of a frame: byte fields as lowercase hex
    strings. The frame is checked as :func:`encode` checks it."""
    f = _check(frame, "frame", _raw)
    _frame_bytes(f, "frame")
    return _hexify(f)


def from_dict(form: dict) -> dict:
    """The frame of a dict form, checked as :func:`encode` checks it (so it
    encodes); byte fields must follow the hex grammar of the module docstring."""
    f = _check(form, "form", _unhex)
    _frame_bytes(f, "form")
    return f
