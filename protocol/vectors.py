"""Golden test vectors: ``generate(n, seed) -> [(dict_form, bytes)]``.

Vector k has frame type k mod 6, and its optional parts (mesh header,
options, security) follow the bits of k // 6, so any 48 consecutive vectors
cover every frame type with every combination; route frames also cycle
through RREQ, RREP and RERR, data frames through raw and MAVLink 2 payloads,
secured frames through MIC lengths 4, 8 and 16. Field values are random
(seeded), addresses include broadcast and multicast groups, and options
include types no decoder knows.
"""

import random

from protocol import frames as F
from protocol.codec import encode, to_dict

TYPES = ["data", "ack", "beacon", "route", "handshake", "group_key"]


def _addr(rng):
    r = rng.random()
    if r < 0.15:
        return F.BROADCAST
    if r < 0.3:
        return rng.randint(F.MULTICAST_FIRST, F.MULTICAST_LAST)
    return rng.randint(0, F.MULTICAST_FIRST - 1)


def _body(ftype, k, rng):
    if ftype == "data":
        return {"proto": ("raw", "mavlink2")[k % 2], "payload": rng.randbytes(rng.randint(0, 80))}
    if ftype == "ack":
        return {"acked_seq": rng.randint(0, 255)}
    if ftype == "beacon":
        return {"capabilities": rng.randint(0, 255),
                "neighbours": [{"addr": _addr(rng), "link_quality": rng.randint(0, 255),
                                "rssi_dbm": rng.randint(-128, 127)} for _ in range(rng.randint(0, 6))]}
    if ftype == "route":
        kind = ("rreq", "rrep", "rerr")[(k // 6) % 3]
        if kind == "rerr":
            return {"kind": kind, "unreachable": [{"addr": _addr(rng), "seq": rng.randint(0, 65535)}
                                                  for _ in range(rng.randint(0, 5))]}
        body = {"kind": kind, "rreq_id": rng.randint(0, 65535), "origin": _addr(rng), "target": _addr(rng),
                "hop_count": rng.randint(0, 255), "metric": rng.randint(0, 65535)}
        if kind == "rrep":
            body["lifetime_s"] = rng.randint(0, 65535)
        return body
    if ftype == "handshake":
        return {"session": rng.randint(0, 65535), "message_no": rng.randint(1, 4),
                "message": rng.randbytes(rng.randint(0, 120))}
    return {"group": rng.randint(F.MULTICAST_FIRST, F.MULTICAST_LAST), "epoch": rng.getrandbits(32),
            "key_id": rng.randint(0, 255), "wrapped_key": rng.randbytes(rng.choice((0, 24, 40)))}


def frame(k: int, rng: random.Random) -> dict:
    ftype = TYPES[k % 6]
    combo = (k // 6) % 8
    f = {"type": ftype, "version": 0, "seq": rng.randint(0, 255), "net": rng.randint(0, 65535),
         "dst": _addr(rng), "src": rng.randint(0, F.MULTICAST_FIRST - 1), "ack_req": rng.random() < 0.5,
         "mesh": None, "options": None, "security": None, "body": None}
    if combo & 1:
        f["mesh"] = {"hop_limit": rng.randint(0, 15), "originator": f["src"], "final_dst": _addr(rng),
                     "mesh_seq": rng.randint(0, 65535)}
    if combo & 2:
        f["options"] = [{"type": rng.choice((1, 2, 77, 200)), "value": rng.randbytes(rng.choice((0, 1, 4, 9)))}
                        for _ in range(rng.randint(0, 3))]
    if combo & 4:
        mic = (4, 8, 16)[(k // 48) % 3]
        f["security"] = {"key_id": rng.randint(0, 255), "counter": rng.getrandbits(32), "mic_len": mic}
        f["ciphertext"] = rng.randbytes(rng.randint(0, 100))
        f["mic"] = rng.randbytes(mic)
    else:
        f["body"] = _body(ftype, k, rng)
    return f


def generate(n: int, seed: int = 0) -> list:
    """n vectors as (dict form, encoded bytes)."""
    rng = random.Random(seed)
    out = []
    for k in range(n):
        f = frame(k, rng)
        out.append((to_dict(f), encode(f)))
    return out
