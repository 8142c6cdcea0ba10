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
when absent. Every bad input raises :class:`protocol.errors.FrameError`.
"""

import io

import construct

from mesh_phy.coding.crc import crc32
from protocol import frames as F
from protocol.errors import FrameError

TOP_KEYS = ("type", "version", "seq", "net", "dst", "src", "ack_req", "mesh", "options", "security", "body")
MESH_KEYS = ("hop_limit", "originator", "final_dst", "mesh_seq")
SECURITY_KEYS = ("key_id", "counter", "mic_len")
BODY_KEYS = {
    "data": ("proto", "payload"),
    "ack": ("acked_seq",),
    "beacon": ("capabilities", "neighbours"),
    "handshake": ("session", "message_no", "message"),
    "group_key": ("group", "epoch", "key_id", "wrapped_key"),
}
ROUTE_KEYS = {"rreq": ("kind", "rreq_id", "origin", "target", "hop_count", "metric"),
              "rrep": ("kind", "rreq_id", "origin", "target", "hop_count", "metric", "lifetime_s"),
              "rerr": ("kind", "unreachable")}
BYTES_FIELDS = ("payload", "message", "wrapped_key", "value", "ciphertext", "mic")


# ---------------------------------------------------------------- decoding

def _parse(con, stream, what):
    start = stream.tell()
    try:
        return con.parse_stream(stream)
    except construct.ConstructError:
        raise FrameError(f"truncated {what}", start) from None


def _plain(obj):
    """construct containers → plain dicts/lists (without construct's _io)."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items() if not k.startswith("_")}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    return obj


def decode(data: bytes) -> dict:
    """Decode one frame (FCS included). Raises FrameError with the reason and offset."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise FrameError(f"frame must be bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) < F.MacHeader.sizeof() + 4:
        raise FrameError("frame too short", len(data))
    if len(data) > F.MAX_FRAME:
        raise FrameError("frame too long", F.MAX_FRAME)
    body_end = len(data) - 4
    if crc32(data[:body_end]) != int.from_bytes(data[body_end:], "little"):
        raise FrameError("bad FCS", body_end)
    s = io.BytesIO(data[:body_end])
    mac = _parse(F.MacHeader, s, "MAC header")
    fc = {k: (mac.fc & m) >> sh for k, (m, sh) in F.FC_FIELDS.items()}
    if fc["version"] != 0:
        raise FrameError(f"unsupported version {fc['version']}", 0)
    if fc["reserved"]:
        raise FrameError("reserved frame-control bits set", 0)
    if fc["frame_type"] not in F.FRAME_TYPES:
        raise FrameError(f"unknown frame type {fc['frame_type']}", 0)
    ftype = F.FRAME_TYPES[fc["frame_type"]]
    frame = {"type": ftype, "version": 0, "seq": mac.seq, "net": mac.net, "dst": mac.dst, "src": mac.src,
             "ack_req": bool(fc["ack_req"]), "mesh": None, "options": None, "security": None, "body": None}
    if fc["mesh"]:
        frame["mesh"] = _plain(_parse(F.MeshHeader, s, "mesh header"))
    if fc["options"]:
        start = s.tell()
        total = s.read(1)
        if not total:
            raise FrameError("truncated options", start)
        block = s.read(total[0])
        if len(block) != total[0]:
            raise FrameError("truncated options", start)
        opts, bs = [], io.BytesIO(block)
        while bs.tell() < len(block):
            at = start + 1 + bs.tell()
            o = _parse(F.Option, bs, "option")
            opts.append({"type": o.type, "value": bytes(o.value)})
            if bs.tell() > len(block):
                raise FrameError("malformed options", at)
        frame["options"] = opts
    if fc["security"]:
        at = s.tell()
        sec = _parse(F.SecurityHeader, s, "security header")
        if sec.mic_code not in F.MIC_LENGTHS:
            raise FrameError(f"unknown MIC length code {sec.mic_code}", at)
        mic_len = F.MIC_LENGTHS[sec.mic_code]
        frame["security"] = {"key_id": sec.key_id, "counter": sec.counter, "mic_len": mic_len}
        rest = s.read()
        if len(rest) < mic_len:
            raise FrameError("truncated MIC", body_end)
        frame["ciphertext"] = rest[:len(rest) - mic_len]
        frame["mic"] = rest[len(rest) - mic_len:]
        return frame
    frame["body"] = _decode_body(ftype, s, body_end)
    return frame


def _decode_body(ftype, s, end):
    at = s.tell()
    if ftype == "route":
        kind = _parse(F.RouteKind, s, "route body").kind
        if kind not in F.ROUTE_KINDS:
            raise FrameError(f"unknown route message {kind}", at)
        name = F.ROUTE_KINDS[kind]
        body = {"kind": name, **_plain(_parse(F.ROUTE_BODIES[name], s, f"{name} body"))}
    else:
        body = _plain(_parse(F.BODIES[ftype], s, f"{ftype} body"))
        if ftype == "data":
            if body["proto"] not in F.DATA_PROTOCOLS:
                raise FrameError(f"unknown data protocol {body['proto']}", at)
            body["proto"] = F.DATA_PROTOCOLS[body["proto"]]
        for k in ("payload", "message", "wrapped_key"):
            if k in body:
                body[k] = bytes(body[k])
    if s.tell() != end:
        raise FrameError("trailing bytes after the body", s.tell())
    return body


# ---------------------------------------------------------------- encoding

def _need(d, keys, where):
    if not isinstance(d, dict):
        raise FrameError(f"{where} must be a dict")
    extra = set(d) - set(keys)
    missing = [k for k in keys if k not in d]
    if missing or extra:
        raise FrameError(f"{where}: missing {missing} / unknown {sorted(extra)} keys")


def _uint(d, key, bits, where):
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 1 << bits:
        raise FrameError(f"{where}.{key} must be an integer in 0..{(1 << bits) - 1}, got {v!r}")
    return v


def _bytes(d, key, where, maxlen=None):
    v = d[key]
    if not isinstance(v, (bytes, bytearray)):
        raise FrameError(f"{where}.{key} must be bytes")
    if maxlen is not None and len(v) > maxlen:
        raise FrameError(f"{where}.{key} longer than {maxlen} bytes")
    return bytes(v)


def _build(con, obj, where):
    try:
        return con.build(obj)
    except construct.ConstructError as exc:
        raise FrameError(f"{where}: {exc}") from None


def encode(frame: dict) -> bytes:
    """Encode a frame (bytes fields as bytes) to its bytes, FCS included."""
    secured = isinstance(frame, dict) and frame.get("security") is not None
    _need(frame, TOP_KEYS + (("ciphertext", "mic") if secured else ()), "frame")
    ftype = frame["type"]
    if ftype not in F.FRAME_TYPE_CODES:
        raise FrameError(f"unknown frame type {ftype!r}")
    if frame["version"] != 0 or isinstance(frame["version"], bool):
        raise FrameError("version must be 0")
    if not isinstance(frame["ack_req"], bool):
        raise FrameError("ack_req must be a bool")
    fc = (F.FRAME_TYPE_CODES[ftype] << 2) | (secured << 6) | (frame["ack_req"] << 7) \
        | ((frame["mesh"] is not None) << 8) | ((frame["options"] is not None) << 9)
    out = _build(F.MacHeader, {"fc": fc, "seq": _uint(frame, "seq", 8, "frame"),
                               "net": _uint(frame, "net", 16, "frame"), "dst": _uint(frame, "dst", 16, "frame"),
                               "src": _uint(frame, "src", 16, "frame")}, "MAC header")
    if frame["mesh"] is not None:
        m = frame["mesh"]
        _need(m, MESH_KEYS, "mesh")
        out += _build(F.MeshHeader, {"hop_limit": _uint(m, "hop_limit", 8, "mesh"),
                                     **{k: _uint(m, k, 16, "mesh") for k in MESH_KEYS[1:]}}, "mesh header")
    if frame["options"] is not None:
        if not isinstance(frame["options"], list):
            raise FrameError("options must be a list or None")
        block = b""
        for o in frame["options"]:
            _need(o, ("type", "value"), "option")
            block += _build(F.Option, {"type": _uint(o, "type", 8, "option"),
                                       "value": list(_bytes(o, "value", "option", 255))}, "option")
        if len(block) > 255:
            raise FrameError("options longer than 255 bytes")
        out += bytes([len(block)]) + block
    if secured:
        sec = frame["security"]
        _need(sec, SECURITY_KEYS, "security")
        if sec["mic_len"] not in F.MIC_CODES or isinstance(sec["mic_len"], bool):
            raise FrameError(f"security.mic_len must be 4, 8 or 16, got {sec['mic_len']!r}")
        if frame["body"] is not None:
            raise FrameError("a secured frame carries ciphertext, not a body")
        mic = _bytes(frame, "mic", "frame")
        if len(mic) != sec["mic_len"]:
            raise FrameError(f"MIC is {len(mic)} bytes, security.mic_len says {sec['mic_len']}")
        out += _build(F.SecurityHeader, {"mic_code": F.MIC_CODES[sec["mic_len"]],
                                         "key_id": _uint(sec, "key_id", 8, "security"),
                                         "counter": _uint(sec, "counter", 32, "security")}, "security header")
        out += _bytes(frame, "ciphertext", "frame") + mic
    else:
        out += _encode_body(ftype, frame["body"])
    if len(out) + 4 > F.MAX_FRAME:
        raise FrameError(f"frame of {len(out) + 4} bytes exceeds {F.MAX_FRAME}")
    return out + crc32(out).to_bytes(4, "little")


def _encode_body(ftype, body):
    if ftype == "route":
        if not isinstance(body, dict) or body.get("kind") not in ROUTE_KEYS:
            raise FrameError("route body needs kind rreq, rrep or rerr")
        _need(body, ROUTE_KEYS[body["kind"]], "body")
        kind = body["kind"]
        if kind == "rerr":
            items = body["unreachable"]
            if not isinstance(items, list) or len(items) > 255:
                raise FrameError("body.unreachable must be a list of at most 255")
            for u in items:
                _need(u, ("addr", "seq"), "unreachable")
                _uint(u, "addr", 16, "unreachable")
                _uint(u, "seq", 16, "unreachable")
            fields = {"unreachable": items}
        else:
            fields = {k: _uint(body, k, 8 if k == "hop_count" else 16, "body") for k in ROUTE_KEYS[kind][1:]}
        code = {v: k for k, v in F.ROUTE_KINDS.items()}[kind]
        return bytes([code]) + _build(F.ROUTE_BODIES[kind], fields, "route body")
    _need(body, BODY_KEYS[ftype], "body")
    b = dict(body)
    if ftype == "data":
        codes = {v: k for k, v in F.DATA_PROTOCOLS.items()}
        if b["proto"] not in codes:
            raise FrameError(f"body.proto must be one of {sorted(codes)}")
        b = {"proto": codes[b["proto"]], "payload": _bytes(b, "payload", "body")}
    elif ftype == "ack":
        _uint(b, "acked_seq", 8, "body")
    elif ftype == "beacon":
        _uint(b, "capabilities", 8, "body")
        if not isinstance(b["neighbours"], list) or len(b["neighbours"]) > 255:
            raise FrameError("body.neighbours must be a list of at most 255")
        for nb in b["neighbours"]:
            _need(nb, ("addr", "link_quality", "rssi_dbm"), "neighbour")
            _uint(nb, "addr", 16, "neighbour")
            _uint(nb, "link_quality", 8, "neighbour")
            r = nb["rssi_dbm"]
            if isinstance(r, bool) or not isinstance(r, int) or not -128 <= r <= 127:
                raise FrameError("neighbour.rssi_dbm must be an integer in -128..127")
    elif ftype == "handshake":
        _uint(b, "session", 16, "body")
        _uint(b, "message_no", 8, "body")
        b["message"] = _bytes(b, "message", "body")
    elif ftype == "group_key":
        _uint(b, "group", 16, "body")
        _uint(b, "epoch", 32, "body")
        _uint(b, "key_id", 8, "body")
        b["wrapped_key"] = list(_bytes(b, "wrapped_key", "body", 255))
    return _build(F.BODIES[ftype], b, f"{ftype} body")


def encode_body(ftype: str, body: dict) -> bytes:
    """The body bytes a frame of type ``ftype`` carries (the plaintext that
    link-layer security encrypts)."""
    if ftype not in F.FRAME_TYPE_CODES:
        raise FrameError(f"unknown frame type {ftype!r}")
    return _encode_body(ftype, body)


def decode_body(ftype: str, data: bytes) -> dict:
    """Inverse of :func:`encode_body` (FrameError on anything malformed)."""
    if ftype not in F.FRAME_TYPE_CODES:
        raise FrameError(f"unknown frame type {ftype!r}")
    return _decode_body(ftype, io.BytesIO(bytes(data)), len(data))


# ---------------------------------------------------------------- dict form

def _convert(obj, to_hex: bool, key=None):
    if isinstance(obj, dict):
        return {k: _convert(v, to_hex, k) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_convert(v, to_hex) for v in obj]
    if key in BYTES_FIELDS:
        if to_hex:
            return bytes(obj).hex() if isinstance(obj, (bytes, bytearray)) else obj
        if isinstance(obj, str):
            if obj != obj.lower():
                raise FrameError(f"{key}: hex must be lowercase")
            try:
                return bytes.fromhex(obj)
            except ValueError:
                raise FrameError(f"{key}: not a hex string") from None
        raise FrameError(f"{key} must be a lowercase hex string")
    return obj


def to_dict(frame: dict) -> dict:
    """The JSON-able dict form: byte fields as lowercase hex strings."""
    return _convert(frame, True)


def from_dict(d: dict) -> dict:
    """The frame of a dict form (validated when encoded)."""
    if not isinstance(d, dict):
        raise FrameError("frame dict must be a dict")
    return _convert(d, False)
