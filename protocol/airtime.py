"""Sizes of the fleet's EDHOC handshake messages (certificates by value) and
the air time they cost, carried in handshake frames over the 802.11a-style PHY.

Air time of one frame (IEEE 802.11a-1999, 17.3.2.4 and Table 78): 16 µs
preamble + 4 µs SIGNAL + N_SYM · 4 µs, N_SYM = ceil((16 + 8·bytes + 6) /
N_DBPS), where bytes is the whole frame (MAC header, handshake body header,
the EDHOC message, FCS).
"""

import argcheck
from crypto import edhoc
from mesh_phy.rates import RATES
from mesh_phy.tx import n_symbols
from protocol import frames as F
from protocol.codec import encode
from protocol.errors import FrameError

PREAMBLE_US = 16.0
SIGNAL_US = 4.0
SYMBOL_US = 4.0


MAX_PSDU = 4095  # bytes: the 12-bit LENGTH field of the SIGNAL symbol (17.3.4)


def _rate(rate_mbps, name: str) -> int:
    return argcheck.one_of(rate_mbps, name, FrameError, tuple(sorted(RATES)))


def airtime_us(frame_bytes: int, rate_mbps: int) -> float:
    """Air time in µs of a ``frame_bytes`` (1..4095) byte frame at
    ``rate_mbps`` (6, 9, 12, 18, 24, 36, 48 or 54 Mbit/s)."""
    frame_bytes = argcheck.integer(frame_bytes, "frame_bytes", FrameError, lo=1, hi=MAX_PSDU)
    return PREAMBLE_US + SIGNAL_US + SYMBOL_US * n_symbols(frame_bytes, _rate(rate_mbps, "rate_mbps"))


def handshake_frame_len(message: bytes) -> int:
    """Bytes of the handshake frame that carries EDHOC ``message`` (bytes)."""
    message = argcheck.byteslike(message, "message", FrameError)
    f = {"type": "handshake", "version": 0, "seq": 0, "net": 0, "dst": 1, "src": 2, "ack_req": False, "mesh": None,
         "options": None, "security": None, "body": {"session": 2, "message_no": 1, "message": message}}
    try:
        return len(encode(f))
    except FrameError:
        raise FrameError(f"message of {len(message)} bytes does not fit in one frame ({F.MAX_FRAME} bytes)") from None


def measure(method: int, suite: int) -> list:
    """[(name, EDHOC message bytes, frame bytes)] of one real fleet handshake
    (two nodes enrolled by a :class:`protocol.fleet.FleetAuthority`, the
    frames they exchange, certificates carried by value) with EDHOC
    ``method`` (edhoc.METHODS) and cipher ``suite`` (edhoc.SUITES)."""
    from protocol.codec import decode
    from protocol.fleet import FleetAuthority

    method = argcheck.one_of(method, "method", FrameError, edhoc.METHODS)
    suite = argcheck.one_of(suite, "suite", FrameError, tuple(edhoc.SUITES))
    authority = FleetAuthority(suite, method)
    uav, station = authority.enrol(0x0007), authority.enrol(0x0001)
    f1 = uav.start_handshake(station.address)
    (f2,) = station.receive(f1)
    (f3,) = uav.receive(f2)
    if station.receive(f3) or station.address not in uav.link.pairwise or uav.address not in station.link.pairwise:
        raise FrameError("the measured handshake did not complete")  # a bug, not user input
    return [(name, len(decode(f)["body"]["message"]), len(f))
            for name, f in (("message_1", f1), ("message_2", f2), ("message_3", f3))]


def table(rates=(6, 12, 24, 54)) -> str:
    """Markdown table of message sizes and air times at each of ``rates``
    (a list or tuple of 1..8 data rates in Mbit/s)."""
    if not isinstance(rates, (list, tuple)) or not 1 <= len(rates) <= len(RATES):
        raise FrameError(f"rates must be a list or tuple of 1..{len(RATES)} data rates")
    rates = [_rate(r, f"rates[{k}]") for k, r in enumerate(rates)]
    head = "| method | suite | message | EDHOC bytes | frame bytes | " + " | ".join(
        f"air time at {r} Mbit/s (µs)" for r in rates) + " |"
    lines = [head, "|" + "---|" * (5 + len(rates))]
    for suite in (edhoc.SUITE_2, edhoc.SUITE_SM):
        for method in edhoc.METHODS:
            rows = measure(method, suite)
            totals = [0.0] * len(rates)
            for name, mlen, flen in rows:
                at = [airtime_us(flen, r) for r in rates]
                totals = [t + a for t, a in zip(totals, at, strict=True)]
                lines.append(f"| {method} | {suite} | {name} | {mlen} | {flen} | "
                             + " | ".join(f"{a:.0f}" for a in at) + " |")
            lines.append(f"| {method} | {suite} | **total** | {sum(r[1] for r in rows)} | "
                         f"{sum(r[2] for r in rows)} | " + " | ".join(f"**{t:.0f}**" for t in totals) + " |")
    return "\n".join(lines)

