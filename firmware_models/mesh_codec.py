# Mesh frame codec for the SoC firmware, written for MicroPython.
#
# encode(d) -> bytes and decode(b) -> d on the dict form of protocol.codec
# (byte fields as lowercase hex strings), byte for byte the same as the golden
# model and with the same accept/reject decisions. Only what MicroPython has:
# struct, binascii; no construct, no dataclasses, no bytes.hex().
# Hex grammar (the same as protocol.codec): a str of lowercase hex digits
# 0-9a-f, two per byte, nothing else (no prefix, separator, whitespace or
# uppercase); "" is zero bytes. Integers are int, never bool or float;
# decode takes bytes, bytearray or memoryview. Bad input raises CodecError.
# Layout: see protocol/frames.py (little-endian, CRC-32 FCS).
import binascii
import struct


class CodecError(ValueError):
    pass


TYPES = ("data", "ack", "beacon", "route", "handshake", "group_key", "telemetry")
TELEMETRY_KEYS = ("time_ms", "forgeries", "replays", "evictions", "latency", "neighbours")
BIN_KEYS = ("upper_us", "samples")
STATS_KEYS = ("addr", "heard", "received", "lost", "duplicates", "replays", "rssi_avg_dbm", "rssi_min_dbm",
              "rssi_max_dbm", "snr_avg_db", "snr_min_db", "age_ms")
STATS_FORMAT = "<HHHHHHbbbbbH"  # STATS_KEYS in order, 19 bytes
MIC_LEN = {1: 4, 2: 8, 3: 16}
MIC_CODE = {4: 1, 8: 2, 16: 3}
PROTOS = ("raw", "mavlink2")
ROUTE = {1: "rreq", 2: "rrep", 3: "rerr"}
ROUTE_CODE = {"rreq": 1, "rrep": 2, "rerr": 3}
MAX_FRAME = 1500


def _crc_table():
    t = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        t.append(c)
    return t


_T = _crc_table()


def _crc32_table(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _T[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


# IEEE 802.3 CRC-32: the port's C implementation when it has one, else the table
crc32 = getattr(binascii, "crc32", _crc32_table)


_HEXDIGITS = "0123456789abcdef"


def _hex(b):
    return binascii.hexlify(bytes(b)).decode()


def _unhex(s, key):
    if not isinstance(s, str) or len(s) % 2:
        raise CodecError(key + " must be a hex string of even length")
    for ch in s:
        if ch not in _HEXDIGITS:
            raise CodecError(key + " must be lowercase hex digits only")
    return binascii.unhexlify(s)


class _Reader:
    def __init__(self, data, end):
        self.d = data
        self.p = 0
        self.end = end

    def take(self, n, what):
        if self.p + n > self.end:
            raise CodecError("truncated " + what)
        v = self.d[self.p:self.p + n]
        self.p += n
        return v

    def u8(self, what):
        return self.take(1, what)[0]

    def u16(self, what):
        return struct.unpack("<H", self.take(2, what))[0]

    def u32(self, what):
        return struct.unpack("<I", self.take(4, what))[0]

    def rest(self):
        v = self.d[self.p:self.end]
        self.p = self.end
        return v


def decode(b):
    if not isinstance(b, (bytes, bytearray, memoryview)):
        raise CodecError("frame must be bytes")
    b = bytes(b)
    n = len(b)
    if n < 13:
        raise CodecError("frame too short")
    if n > MAX_FRAME:
        raise CodecError("frame too long")
    end = n - 4
    if crc32(b[:end]) != struct.unpack("<I", b[end:])[0]:
        raise CodecError("bad FCS")
    r = _Reader(b, end)
    fc = r.u16("MAC header")
    seq = r.u8("MAC header")
    net = r.u16("MAC header")
    dst = r.u16("MAC header")
    src = r.u16("MAC header")
    if fc & 0x3:
        raise CodecError("unsupported version")
    if fc & 0xFC00:
        raise CodecError("reserved frame-control bits set")
    code = (fc >> 2) & 0xF
    if code >= len(TYPES):
        raise CodecError("unknown frame type")
    ftype = TYPES[code]
    d = {"type": ftype, "version": 0, "seq": seq, "net": net, "dst": dst, "src": src,
         "ack_req": bool(fc & 0x80), "mesh": None, "options": None, "security": None, "body": None}
    if fc & 0x100:
        d["mesh"] = {"hop_limit": r.u8("mesh header"), "originator": r.u16("mesh header"),
                     "final_dst": r.u16("mesh header"), "mesh_seq": r.u16("mesh header")}
    if fc & 0x200:
        total = r.u8("options")
        stop = r.p + total
        if stop > end:
            raise CodecError("truncated options")
        opts = []
        while r.p < stop:
            if r.p + 2 > stop:
                raise CodecError("truncated option")
            t = b[r.p]
            ln = b[r.p + 1]
            if r.p + 2 + ln > stop:
                raise CodecError("truncated option")
            opts.append({"type": t, "value": _hex(b[r.p + 2:r.p + 2 + ln])})
            r.p += 2 + ln
        d["options"] = opts
    if fc & 0x40:
        mc = r.u8("security header")
        kid = r.u8("security header")
        ctr = r.u32("security header")
        if mc not in MIC_LEN:
            raise CodecError("unknown MIC length code")
        ml = MIC_LEN[mc]
        rest = r.rest()
        if len(rest) < ml:
            raise CodecError("truncated MIC")
        d["security"] = {"key_id": kid, "counter": ctr, "mic_len": ml}
        d["ciphertext"] = _hex(rest[:len(rest) - ml])
        d["mic"] = _hex(rest[len(rest) - ml:])
        return d
    d["body"] = _decode_body(ftype, r)
    if r.p != end:
        raise CodecError("trailing bytes after the body")
    return d


def _decode_body(ftype, r):
    if ftype == "data":
        p = r.u8("data body")
        if p >= len(PROTOS):
            raise CodecError("unknown data protocol")
        return {"proto": PROTOS[p], "payload": _hex(r.rest())}
    if ftype == "ack":
        return {"acked_seq": r.u8("ack body")}
    if ftype == "beacon":
        cap = r.u8("beacon body")
        cnt = r.u8("beacon body")
        nbs = []
        for _ in range(cnt):
            addr = r.u16("beacon body")
            lq = r.u8("beacon body")
            rssi = r.u8("beacon body")
            nbs.append({"addr": addr, "link_quality": lq, "rssi_dbm": rssi - 256 if rssi > 127 else rssi})
        return {"capabilities": cap, "neighbours": nbs}
    if ftype == "route":
        k = r.u8("route body")
        if k not in ROUTE:
            raise CodecError("unknown route message")
        kind = ROUTE[k]
        if kind == "rerr":
            cnt = r.u8("rerr body")
            items = []
            for _ in range(cnt):
                items.append({"addr": r.u16("rerr body"), "seq": r.u16("rerr body")})
            return {"kind": kind, "unreachable": items}
        body = {"kind": kind, "rreq_id": r.u16(kind), "origin": r.u16(kind), "target": r.u16(kind),
                "hop_count": r.u8(kind), "metric": r.u16(kind)}
        if kind == "rrep":
            body["lifetime_s"] = r.u16(kind)
        return body
    if ftype == "handshake":
        return {"session": r.u16("handshake body"), "message_no": r.u8("handshake body"),
                "message": _hex(r.rest())}
    if ftype == "telemetry":
        t = struct.unpack("<IIII", r.take(16, "telemetry body"))
        bins = []
        for _ in range(r.u8("telemetry body")):
            bins.append({"upper_us": r.u32("telemetry body"), "samples": r.u16("telemetry body")})
        nbs = []
        for _ in range(r.u8("telemetry body")):
            v = struct.unpack(STATS_FORMAT, r.take(19, "telemetry body"))
            nbs.append({k: v[i] for i, k in enumerate(STATS_KEYS)})
        return {"time_ms": t[0], "forgeries": t[1], "replays": t[2], "evictions": t[3], "latency": bins,
                "neighbours": nbs}
    grp = r.u16("group_key body")
    ep = r.u32("group_key body")
    kid = r.u8("group_key body")
    ln = r.u8("group_key body")
    return {"group": grp, "epoch": ep, "key_id": kid, "wrapped_key": _hex(r.take(ln, "group_key body"))}


# ---- encoding ----

def _keys(d, keys, where):
    if not isinstance(d, dict):
        raise CodecError(where + " must be a dict")
    if len(d) != len(keys):
        raise CodecError(where + ": wrong keys")
    for k in keys:
        if k not in d:
            raise CodecError(where + ": missing " + k)


def _u(d, k, bits):
    v = d[k]
    if isinstance(v, bool) or not isinstance(v, int) or v < 0 or v >= (1 << bits):
        raise CodecError(k + " out of range")
    return v


def _s8(d, k):
    v = d[k]
    if isinstance(v, bool) or not isinstance(v, int) or v < -128 or v > 127:
        raise CodecError(k + " out of range")
    return v


def encode(d):
    sec = d.get("security") if isinstance(d, dict) else None
    top = ["type", "version", "seq", "net", "dst", "src", "ack_req", "mesh", "options", "security", "body"]
    if sec is not None:
        top += ["ciphertext", "mic"]
    _keys(d, top, "frame")
    if d["type"] not in TYPES:
        raise CodecError("unknown frame type")
    if _u(d, "version", 1):
        raise CodecError("version must be 0")
    if not isinstance(d["ack_req"], bool):
        raise CodecError("ack_req must be a bool")
    fc = TYPES.index(d["type"]) << 2
    if sec is not None:
        fc |= 0x40
    if d["ack_req"]:
        fc |= 0x80
    if d["mesh"] is not None:
        fc |= 0x100
    if d["options"] is not None:
        fc |= 0x200
    out = struct.pack("<HBHHH", fc, _u(d, "seq", 8), _u(d, "net", 16), _u(d, "dst", 16), _u(d, "src", 16))
    m = d["mesh"]
    if m is not None:
        _keys(m, ("hop_limit", "originator", "final_dst", "mesh_seq"), "mesh")
        out += struct.pack("<BHHH", _u(m, "hop_limit", 8), _u(m, "originator", 16), _u(m, "final_dst", 16),
                           _u(m, "mesh_seq", 16))
    if d["options"] is not None:
        if not isinstance(d["options"], list):
            raise CodecError("options must be a list")
        block = b""
        for o in d["options"]:
            _keys(o, ("type", "value"), "option")
            v = _unhex(o["value"], "value")
            if len(v) > 255:
                raise CodecError("option value too long")
            block += bytes([_u(o, "type", 8), len(v)]) + v
            if len(block) > 255:
                raise CodecError("options too long")
        out += bytes([len(block)]) + block
    if sec is not None:
        _keys(sec, ("key_id", "counter", "mic_len"), "security")
        ml = sec["mic_len"]
        if isinstance(ml, bool) or not isinstance(ml, int) or ml not in MIC_CODE:
            raise CodecError("mic_len must be 4, 8 or 16")
        if d["body"] is not None:
            raise CodecError("secured frame has no body")
        mic = _unhex(d["mic"], "mic")
        if len(mic) != ml:
            raise CodecError("MIC length differs from mic_len")
        out += struct.pack("<BBI", MIC_CODE[ml], _u(sec, "key_id", 8), _u(sec, "counter", 32))
        out += _unhex(d["ciphertext"], "ciphertext") + mic
    else:
        out += _encode_body(d["type"], d["body"])
    if len(out) + 4 > MAX_FRAME:
        raise CodecError("frame too long")
    return out + struct.pack("<I", crc32(out))


def _encode_body(ftype, b):
    if ftype == "data":
        _keys(b, ("proto", "payload"), "body")
        if b["proto"] not in PROTOS:
            raise CodecError("unknown data protocol")
        return bytes([PROTOS.index(b["proto"])]) + _unhex(b["payload"], "payload")
    if ftype == "ack":
        _keys(b, ("acked_seq",), "body")
        return bytes([_u(b, "acked_seq", 8)])
    if ftype == "beacon":
        _keys(b, ("capabilities", "neighbours"), "body")
        nbs = b["neighbours"]
        if not isinstance(nbs, list) or len(nbs) > 255:
            raise CodecError("neighbours must be a list of at most 255")
        out = bytes([_u(b, "capabilities", 8), len(nbs)])
        for nb in nbs:
            _keys(nb, ("addr", "link_quality", "rssi_dbm"), "neighbour")
            r = nb["rssi_dbm"]
            if isinstance(r, bool) or not isinstance(r, int) or r < -128 or r > 127:
                raise CodecError("rssi_dbm out of range")
            out += struct.pack("<HBb", _u(nb, "addr", 16), _u(nb, "link_quality", 8), r)
        return out
    if ftype == "route":
        if not isinstance(b, dict) or not isinstance(b.get("kind"), str) or b["kind"] not in ROUTE_CODE:
            raise CodecError("route body needs kind rreq, rrep or rerr")
        kind = b["kind"]
        if kind == "rerr":
            _keys(b, ("kind", "unreachable"), "body")
            items = b["unreachable"]
            if not isinstance(items, list) or len(items) > 255:
                raise CodecError("unreachable must be a list of at most 255")
            out = bytes([3, len(items)])
            for u in items:
                _keys(u, ("addr", "seq"), "unreachable")
                out += struct.pack("<HH", _u(u, "addr", 16), _u(u, "seq", 16))
            return out
        keys = ["kind", "rreq_id", "origin", "target", "hop_count", "metric"]
        if kind == "rrep":
            keys.append("lifetime_s")
        _keys(b, keys, "body")
        out = struct.pack("<BHHHBH", ROUTE_CODE[kind], _u(b, "rreq_id", 16), _u(b, "origin", 16),
                          _u(b, "target", 16), _u(b, "hop_count", 8), _u(b, "metric", 16))
        if kind == "rrep":
            out += struct.pack("<H", _u(b, "lifetime_s", 16))
        return out
    if ftype == "handshake":
        _keys(b, ("session", "message_no", "message"), "body")
        return struct.pack("<HB", _u(b, "session", 16), _u(b, "message_no", 8)) + _unhex(b["message"], "message")
    if ftype == "telemetry":
        _keys(b, TELEMETRY_KEYS, "body")
        out = struct.pack("<IIII", _u(b, "time_ms", 32), _u(b, "forgeries", 32), _u(b, "replays", 32),
                          _u(b, "evictions", 32))
        for key, keys in (("latency", BIN_KEYS), ("neighbours", STATS_KEYS)):
            items = b[key]
            if not isinstance(items, list) or len(items) > 255:
                raise CodecError(key + " must be a list of at most 255")
            out += bytes([len(items)])
            for x in items:
                _keys(x, keys, key)
                if key == "latency":
                    out += struct.pack("<IH", _u(x, "upper_us", 32), _u(x, "samples", 16))
                else:  # STATS_FORMAT: six u16, five i8, one u16
                    out += struct.pack(STATS_FORMAT, *[_s8(x, k) if 6 <= i < 11 else _u(x, k, 16)
                                                       for i, k in enumerate(keys)])
        return out
    _keys(b, ("group", "epoch", "key_id", "wrapped_key"), "body")
    wk = _unhex(b["wrapped_key"], "wrapped_key")
    if len(wk) > 255:
        raise CodecError("wrapped_key too long")
    return struct.pack("<HIBB", _u(b, "group", 16), _u(b, "epoch", 32), _u(b, "key_id", 8), len(wk)) + wk
