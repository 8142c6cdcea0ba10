"""``python -m protocol``: decode, encode, golden vectors, pcap, dissector.

    python -m protocol decode HEX [--json]
    python -m protocol encode --json FILE          (FILE may be - for stdin)
    python -m protocol vectors -n N --seed S [--out FILE]
    python -m protocol pcap --out FILE [--hex HEX ...] [-n N --seed S]
    python -m protocol dissector [--out FILE]
    python -m protocol handshake-sizes

HEX is a frame as hex digits (either case), which may be separated by colons
or blanks as Wireshark copies bytes; the JSON FILE is the dict form of
:mod:`protocol.codec`, whose byte fields follow its strict hex grammar
(lowercase, no separators). Any error (bad file, bad JSON, bad frame, bad
argument) prints exactly one line on stderr and exits with status 2
(:func:`argcheck.cli.guard` in ``__main__``); nothing else is printed.
"""

import argparse
import json
import os
import re
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


class _Parser(argparse.ArgumentParser):
    """argparse whose argument errors are FrameError (not a usage block and SystemExit)."""

    def error(self, message):
        raise FrameError(f"{message} (see --help)")


def _bounded_int(lo: int, hi: int):
    def parse(text: str) -> int:
        if not re.fullmatch("-?[0-9]{1,20}", text):
            raise argparse.ArgumentTypeError(f"expected an integer in {lo}..{hi}")
        v = int(text)
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"expected an integer in {lo}..{hi}, got {v}")
        return v
    return parse


def _parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="python -m protocol", description="mesh link frames")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("decode", help="decode a frame given as hex")
    p.add_argument("hex")
    p.add_argument("--json", action="store_true", help="print the dict form as JSON")
    p = sub.add_parser("encode", help="encode a frame from its JSON dict form")
    p.add_argument("--json", required=True, metavar="FILE", help="JSON file, or - for stdin")
    count, seed = _bounded_int(0, vectors.MAX_VECTORS), _bounded_int(0, vectors.MAX_SEED)
    p = sub.add_parser("vectors", help="golden vectors for firmware teams")
    p.add_argument("-n", type=count, default=100)
    p.add_argument("--seed", type=seed, default=0)
    p.add_argument("--out", default="-")
    p = sub.add_parser("pcap", help="write frames to a pcap file (DLT_USER0)")
    p.add_argument("--out", required=True)
    p.add_argument("--hex", nargs="*", default=None, help="frames as hex (default: generated vectors)")
    p.add_argument("-n", type=count, default=48)
    p.add_argument("--seed", type=seed, default=0)
    p = sub.add_parser("dissector", help="write the Wireshark Lua dissector")
    p.add_argument("--out", default="-")
    sub.add_parser("handshake-sizes", help="EDHOC message sizes and air time per method and suite")
    return ap


def main(argv=None) -> int:
    """Run the CLI on ``argv`` (a list of str; None: ``sys.argv[1:]``) and
    return 0. A bad argument, input file or frame raises FrameError (a file
    that cannot be read or written too, with the OSError as its cause);
    ``python -m protocol`` prints it as one line and exits with status 2."""
    if argv is not None and not (isinstance(argv, (list, tuple)) and all(isinstance(a, str) for a in argv)):
        raise FrameError(f"argv must be a list of str or None, got {type(argv).__name__}")
    a = _parser().parse_args(argv)
    try:
        _run(a)
    except OSError as exc:
        where = f"{os.fsdecode(exc.filename)}: " if isinstance(exc.filename, (str, bytes)) else ""
        raise FrameError(f"{where}{exc.strerror or exc}") from exc
    return 0


def _run(a) -> None:
    if a.cmd == "decode":
        frame = decode(_unhex(a.hex, "HEX"))
        print(json.dumps(to_dict(frame), indent=2) if a.json else describe(frame))
    elif a.cmd == "encode":
        print(encode(from_dict(_read_json(a.json))).hex())
    elif a.cmd == "vectors":
        _write(a.out, json.dumps(vectors.document(a.n, a.seed), indent=1) + "\n")
    elif a.cmd == "pcap":
        if a.hex:
            frames = [_unhex(h, f"--hex {k + 1}") for k, h in enumerate(a.hex)]
        else:
            frames = [b for _, b in vectors.generate(a.n, a.seed)]
        for fr in frames:
            decode(fr)  # only valid frames go into a capture
        print(f"wrote {pcap.write(a.out, frames)} frames to {a.out!r}")
    elif a.cmd == "dissector":
        _write(a.out, dissector.generate())
    elif a.cmd == "handshake-sizes":
        from protocol import airtime

        print(airtime.table())


_CLI_HEX = re.compile("[0-9a-fA-F]*")


def _unhex(text: str, what: str) -> bytes:
    """A frame typed on the command line: hex digits of either case, which may
    be separated by colons or blanks (as Wireshark copies bytes)."""
    digits = re.sub(r"[:\s]", "", text)
    if len(digits) > 2 * F.MAX_FRAME:
        raise FrameError(f"{what}: more than {F.MAX_FRAME} bytes of hex")
    if len(digits) % 2 or not _CLI_HEX.fullmatch(digits):
        raise FrameError(f"{what} is not hex: an even number of digits 0-9a-f, optionally separated by ':' or blanks")
    return bytes.fromhex(digits)


MAX_INPUT = 1 << 20  # bytes of JSON that encode reads (a dict form is a few kB)


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > 40:
        raise FrameError(f"JSON number with {len(text)} digits: no field holds more than 40")
    return int(text)


def _json_constant(name: str):
    raise FrameError(f"{name} is not JSON (no field is a float)")


def _read_json(path: str):
    """The JSON value of file ``path`` (- for stdin): UTF-8, at most MAX_INPUT bytes."""
    if path == "-":
        raw = sys.stdin.buffer.read(MAX_INPUT + 1)
    else:
        with open(path, "rb") as f:
            raw = f.read(MAX_INPUT + 1)
    if len(raw) > MAX_INPUT:
        raise FrameError(f"{path}: larger than {MAX_INPUT} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FrameError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text, parse_int=_json_int, parse_constant=_json_constant)
    except json.JSONDecodeError as exc:
        raise FrameError(f"{path}: not JSON: {exc.msg} (line {exc.lineno})") from None
    except RecursionError:
        raise FrameError(f"{path}: JSON nested too deeply") from None


def _write(path: str, text: str) -> None:
    if path == "-":
        sys.stdout.write(text)
    else:
        with open(path, "w") as f:
            f.write(text)
