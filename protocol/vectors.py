"""Golden test vectors: ``generate(n, seed) -> [(dict_form, bytes)]``, and
``document(n, seed)``, the golden vector file (what ``python -m protocol
vectors`` writes): the generator's name, :data:`GENERATOR_VERSION` and seed
with the vectors, so a firmware team can tell which generator made a file.

Vector k has frame type k mod 7, and its optional parts (mesh header,
options, security) follow the bits of k // 7, so any 56 consecutive vectors
cover every frame type with every combination; route frames also cycle
through RREQ, RREP and RERR, data frames through raw and MAVLink 2 payloads,
secured frames through MIC lengths 4, 8 and 16. Field values are random
(seeded), addresses include broadcast and multicast groups, and options
include types no decoder knows.

Values are physically plausible: a beacon neighbour's RSSI is -100..-20 dBm,
hop counts and hop limits 0..15, the timestamp option 8 bytes (µs, little-
endian, under 10^12 µs of uptime), the transmit-power option one signed byte
of -10..+30 dBm, only frames to a single node request an ack, and sources,
neighbours and route origins and targets are node addresses (never a group);
telemetry frames carry link statistics as protocol.linkstats reports them.
"""

import random

import argcheck
from protocol import frames as F
from protocol.codec import encode, to_dict
from protocol.errors import FrameError

TYPES = ["data", "ack", "beacon", "route", "handshake", "group_key", "telemetry"]
# 3: telemetry frames; 2: plausible RSSI, option values, hop counts and ack requests; 1: uniform random
GENERATOR_VERSION = 3
MAX_VECTORS = 100_000
MAX_SEED = 2**64 - 1


def _addr(rng):
    r = rng.random()
    if r < 0.15:
        return F.BROADCAST
    if r < 0.3:
        return rng.randint(F.MULTICAST_FIRST, F.MULTICAST_LAST)
    return _node(rng)


def _node(rng):
    return rng.randint(0, F.MULTICAST_FIRST - 1)


def _body(ftype, k, rng):
    if ftype == "data":
        return {"proto": ("raw", "mavlink2")[k % 2], "payload": rng.randbytes(rng.randint(0, 80))}
    if ftype == "ack":
        return {"acked_seq": rng.randint(0, 255)}
    if ftype == "beacon":
        return {"capabilities": rng.randint(0, 255),
                "neighbours": [{"addr": _node(rng), "link_quality": rng.randint(0, 255),
                                "rssi_dbm": rng.randint(-100, -20)} for _ in range(rng.randint(0, 6))]}
    if ftype == "route":
        kind = ("rreq", "rrep", "rerr")[(k // len(TYPES)) % 3]
        if kind == "rerr":
            return {"kind": kind, "unreachable": [{"addr": _node(rng), "seq": rng.randint(0, 65535)}
                                                  for _ in range(rng.randint(0, 5))]}
        body = {"kind": kind, "rreq_id": rng.randint(0, 65535), "origin": _node(rng), "target": _node(rng),
                "hop_count": rng.randint(0, 15), "metric": rng.randint(0, 65535)}
        if kind == "rrep":
            body["lifetime_s"] = rng.randint(0, 65535)
        return body
    if ftype == "handshake":
        return {"session": rng.randint(0, 65535), "message_no": rng.randint(1, 4),
                "message": rng.randbytes(rng.randint(0, 120))}
    if ftype == "telemetry":
        return _telemetry(rng)
    return {"group": rng.randint(F.MULTICAST_FIRST, F.MULTICAST_LAST), "epoch": rng.getrandbits(32),
            "key_id": rng.randint(0, 255), "wrapped_key": rng.randbytes(rng.choice((0, 24, 40)))}


def _telemetry(rng):
    """Link statistics as protocol.linkstats reports them: latency bins with
    rising edges (1 ms among them), neighbours with RSSI −100..−20 dBm and
    SNR −5..40 dB (minimum ≤ mean ≤ maximum), received ≤ heard."""
    edges = sorted(rng.sample((50, 100, 250, 500, 1000, 2000, 5000, 10000, 50000), rng.randint(0, 8)))
    neighbours = []
    for _ in range(rng.randint(0, 8)):
        heard = rng.randint(0, 65535)
        rssi = sorted(rng.randint(-100, -20) for _ in range(3))
        snr = sorted(rng.randint(-5, 40) for _ in range(2))
        neighbours.append({"addr": _node(rng), "heard": heard, "received": rng.randint(0, heard),
                           "lost": rng.randint(0, 1000), "duplicates": rng.randint(0, 100),
                           "replays": rng.randint(0, 100), "rssi_avg_dbm": rssi[1], "rssi_min_dbm": rssi[0],
                           "rssi_max_dbm": rssi[2], "snr_avg_db": snr[1], "snr_min_db": snr[0],
                           "age_ms": rng.randint(0, 65535)})
    return {"time_ms": rng.getrandbits(32), "forgeries": rng.randint(0, 10000), "replays": rng.randint(0, 10000),
            "evictions": rng.randint(0, 1000),
            "latency": [{"upper_us": e, "samples": rng.randint(0, 65535)} for e in edges],
            "neighbours": neighbours}


def _option(rng):
    kind = rng.choice((1, 2, 77, 200))
    if kind == 1:
        value = rng.randrange(10**12).to_bytes(8, "little")
    elif kind == 2:
        value = rng.randint(-10, 30).to_bytes(1, "little", signed=True)
    else:
        value = rng.randbytes(rng.choice((0, 1, 4, 9)))
    return {"type": kind, "value": value}


def frame(k: int, rng: random.Random) -> dict:
    """Vector number ``k`` (>= 0) as a frame, its random values drawn from ``rng``."""
    k = argcheck.integer(k, "k", FrameError, lo=0)
    if not isinstance(rng, random.Random):
        raise FrameError(f"rng must be a random.Random, got {type(rng).__name__}")
    ftype = TYPES[k % len(TYPES)]
    combo = (k // len(TYPES)) % 8
    dst = _addr(rng)
    f = {"type": ftype, "version": 0, "seq": rng.randint(0, 255), "net": rng.randint(0, 65535),
         "dst": dst, "src": _node(rng),
         "ack_req": dst < F.MULTICAST_FIRST and rng.random() < 0.5,
         "mesh": None, "options": None, "security": None, "body": None}
    if combo & 1:
        f["mesh"] = {"hop_limit": rng.randint(0, 15), "originator": f["src"], "final_dst": _addr(rng),
                     "mesh_seq": rng.randint(0, 65535)}
    if combo & 2:
        f["options"] = [_option(rng) for _ in range(rng.randint(0, 3))]
    if combo & 4:
        mic = (4, 8, 16)[(k // (8 * len(TYPES))) % 3]
        f["security"] = {"key_id": rng.randint(0, 255), "counter": rng.getrandbits(32), "mic_len": mic}
        f["ciphertext"] = rng.randbytes(rng.randint(0, 100))
        f["mic"] = rng.randbytes(mic)
    else:
        f["body"] = _body(ftype, k, rng)
    return f


def generate(n: int, seed: int = 0) -> list:
    """``n`` (0..MAX_VECTORS) vectors as (dict form, encoded bytes), drawn
    with ``random.Random(seed)``, seed 0..2^64-1."""
    n = argcheck.integer(n, "n", FrameError, lo=0, hi=MAX_VECTORS)
    rng = random.Random(argcheck.integer(seed, "seed", FrameError, lo=0, hi=MAX_SEED))
    out = []
    for k in range(n):
        f = frame(k, rng)
        out.append((to_dict(f), encode(f)))
    return out


def document(n: int, seed: int = 0) -> dict:
    """The golden vector file: ``{"generator", "version", "seed", "count",
    "vectors": [{"dict", "hex"}]}`` (JSON-able)."""
    vecs = generate(n, seed)
    return {"generator": "protocol.vectors", "version": GENERATOR_VERSION, "seed": int(seed), "count": len(vecs),
            "vectors": [{"dict": d, "hex": b.hex()} for d, b in vecs]}
