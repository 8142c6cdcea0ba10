"""``python -m protocol``: decode, encode, golden vectors, pcap, dissector.

    python -m protocol decode HEX [--json]
    python -m protocol encode --json FILE          (FILE may be - for stdin)
    python -m protocol vectors -n N --seed S [--out FILE]
    python -m protocol pcap --out FILE [--hex HEX ...] [-n N --seed S]
    python -m protocol dissector [--out FILE]
    python -m protocol handshake-sizes

Any error prints one line on stderr and exits with status 1.
"""

import argparse
import json
import sys

from protocol import dissector, pcap, vectors
from protocol import frames as F
from protocol.codec import decode, encode, from_dict, to_dict
from protocol.errors import FrameError


def _addr(a: int) -> str:
    if a == F.BROADCAST:
        return f"0x{a:04x} (broadcast)"
    if F.MULTICAST_FIRST <= a <= F.MULTICAST_LAST:
        return f"0x{a:04x} (multicast group {a - F.MULTICAST_FIRST})"
    return f"0x{a:04x}"


def describe(frame: dict) -> str:
    """Field-by-field, human-readable text of a decoded frame."""
    d = to_dict(frame)
    lines = [f"{d['type']} frame, seq {d['seq']}, network 0x{d['net']:04x}",
             f"  src {_addr(d['src'])} -> dst {_addr(d['dst'])}, ack request {'yes' if d['ack_req'] else 'no'}"]
    if d["mesh"]:
        m = d["mesh"]
        lines.append(f"  mesh: hop limit {m['hop_limit']}, originator {_addr(m['originator'])}, "
                     f"final dst {_addr(m['final_dst'])}, mesh seq {m['mesh_seq']}")
    for o in d["options"] or []:
        name = F.OPTION_TYPES.get(o["type"], "unknown, skipped")
        lines.append(f"  option {o['type']} ({name}): {o['value'] or '-'}")
    if d["security"]:
        s = d["security"]
        lines.append(f"  security: key id {s['key_id']}, frame counter {s['counter']}, MIC {s['mic_len']} bytes")
        lines.append(f"  ciphertext ({len(d['ciphertext']) // 2} bytes): {d['ciphertext'] or '-'}")
        lines.append(f"  MIC: {d['mic']}")
    else:
        for k, v in d["body"].items():
            if isinstance(v, list):
                lines.append(f"  {k}: {len(v)}")
                lines += [f"    - {', '.join(f'{a}={b}' for a, b in item.items())}" for item in v]
            else:
                lines.append(f"  {k}: {v if v != '' else '-'}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m protocol", description="mesh link frames")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("decode", help="decode a frame given as hex")
    p.add_argument("hex")
    p.add_argument("--json", action="store_true", help="print the dict form as JSON")
    p = sub.add_parser("encode", help="encode a frame from its JSON dict form")
    p.add_argument("--json", required=True, metavar="FILE", help="JSON file, or - for stdin")
    p = sub.add_parser("vectors", help="golden vectors for firmware teams")
    p.add_argument("-n", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="-")
    p = sub.add_parser("pcap", help="write frames to a pcap file (DLT_USER0)")
    p.add_argument("--out", required=True)
    p.add_argument("--hex", nargs="*", default=None, help="frames as hex (default: generated vectors)")
    p.add_argument("-n", type=int, default=48)
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("dissector", help="write the Wireshark Lua dissector")
    p.add_argument("--out", default="-")
    sub.add_parser("handshake-sizes", help="EDHOC message sizes and air time per method and suite")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "decode":
            frame = decode(_unhex(a.hex))
            print(json.dumps(to_dict(frame), indent=2) if a.json else describe(frame))
        elif a.cmd == "encode":
            text = sys.stdin.read() if a.json == "-" else open(a.json).read()
            try:
                d = json.loads(text)
            except json.JSONDecodeError as exc:
                raise FrameError(f"not JSON: {exc.msg} (line {exc.lineno})") from None
            print(encode(from_dict(d)).hex())
        elif a.cmd == "vectors":
            if a.n < 0:
                raise FrameError("-n must be >= 0")
            _write(a.out, json.dumps([{"dict": d, "hex": b.hex()} for d, b in vectors.generate(a.n, a.seed)],
                                     indent=1) + "\n")
        elif a.cmd == "pcap":
            frames = [_unhex(h) for h in a.hex] if a.hex else [b for _, b in vectors.generate(a.n, a.seed)]
            for fr in frames:
                decode(fr)  # only valid frames go into a capture
            print(f"wrote {pcap.write(a.out, frames)} frames to {a.out}")
        elif a.cmd == "dissector":
            _write(a.out, dissector.generate())
        elif a.cmd == "handshake-sizes":
            from protocol import airtime

            print(airtime.table())
    except (FrameError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _unhex(text: str) -> bytes:
    try:
        return bytes.fromhex(text.replace(":", "").replace(" ", ""))
    except ValueError:
        raise FrameError("not a hex string") from None


def _write(path: str, text: str) -> None:
    if path == "-":
        sys.stdout.write(text)
    else:
        with open(path, "w") as f:
            f.write(text)
