"""Link statistics of a mesh node: the golden model of
``firmware_models/analytics/link_stats.py``, bit-exact with it, and the
bridge from the security layer (:meth:`LinkStats.receive`).

What is counted (the firmware file's header is the reference for the
arithmetic; this model keeps its neighbours in a dict and picks evictions
with ``max`` instead of the firmware's fixed slots and scans):

* per neighbour: reception from the gaps of its MAC sequence numbers (u8;
  a gap of 0 is a duplicate, 1..127 means gap - 1 frames lost, 128..255 a
  late frame that was counted lost), the counts halved whenever they sum to
  :data:`RATE_WINDOW`; exponential means of RSSI and SNR in Q4 (weight
  2^-:data:`EMA_SHIFT`), the window's RSSI min/max and SNR min; frames heard
  in the window; duplicates and replays; the age of the last frame;
* latency: counters of fixed bins, edges :data:`LATENCY_EDGES_US` (the A3
  target of 1 ms is an edge);
* security: replays and forgeries refused by :class:`protocol.security.SecureLink`,
  evictions from the bounded table (:data:`MAX_NEIGHBOURS` entries; a new
  neighbour evicts the one heard longest ago, ties to the lowest address;
  only accepted frames make entries, so refused frames evict nobody).

:meth:`LinkStats.telemetry` returns the body of a ``telemetry`` frame (the
dict form of :mod:`protocol.codec`) and starts a new report window.
Times are milliseconds on a clock that wraps at 2^30 (MicroPython's
``time.ticks_ms()``); counters that count since start saturate at 2^30 - 1,
per-window and per-neighbour ones at 65535.
"""

import argcheck
from protocol import codec
from protocol.errors import FrameError
from protocol.security import ForgeryError, ReplayError, SecureLink, is_unicast

MAX_NEIGHBOURS = 8
RATE_WINDOW = 256
EMA_SHIFT = 3
Q = 4  # fraction bits of the RSSI/SNR means (1/16 dB)
LATENCY_EDGES_US = (125, 250, 500, 1000, 2000, 4000, 8000)
NO_UPPER = 0xFFFFFFFF  # the last bin's upper_us: unbounded
CLOCK = 1 << 30
SAT16 = 0xFFFF
SAT30 = CLOCK - 1


class _Neighbour:
    def __init__(self, seq: int, rssi: int, snr: int):
        self.seq = seq
        self.received, self.lost, self.dups, self.replays, self.heard = 1, 0, 0, 0, 0
        self.rssi_q, self.snr_q = rssi << Q, snr << Q
        self.rssi_min = self.rssi_max = self.snr_min = 0
        self.last_ms = 0


def _clamp8(v: int) -> int:
    return max(-128, min(127, v))


class LinkStats:
    """One node's link statistics (see the module doc)."""

    def __init__(self, max_neighbours: int = MAX_NEIGHBOURS):
        self.max_neighbours = argcheck.integer(max_neighbours, "max_neighbours", FrameError, lo=1, hi=255)
        self.table: dict = {}  # address -> _Neighbour
        self.bins = [0] * (len(LATENCY_EDGES_US) + 1)
        self.replays = self.forgeries = self.evictions = 0

    def on_frame(self, src: int, seq: int, rssi_dbm: int, snr_db: int, now_ms: int) -> None:
        """An accepted frame from ``src`` with MAC sequence number ``seq``,
        radio readings in dBm / dB (clamped to -128..127) at ``now_ms``."""
        src = argcheck.integer(src, "src", FrameError, lo=0, hi=0xFFFF)
        seq = argcheck.integer(seq, "seq", FrameError, lo=0, hi=255)
        rssi = _clamp8(argcheck.integer(rssi_dbm, "rssi_dbm", FrameError))
        snr = _clamp8(argcheck.integer(snr_db, "snr_db", FrameError))
        now = argcheck.integer(now_ms, "now_ms", FrameError, lo=0) % CLOCK
        if not is_unicast(src):
            return
        nb = self.table.get(src)
        if nb is None:
            if len(self.table) >= self.max_neighbours:
                oldest = max(self.table, key=lambda a: ((now - self.table[a].last_ms) % CLOCK, -a))
                del self.table[oldest]
                self.evictions = min(self.evictions + 1, SAT30)
            nb = self.table[src] = _Neighbour(seq, rssi, snr)
        else:
            gap = (seq - nb.seq) % 256
            if gap == 0:
                nb.dups = min(nb.dups + 1, SAT16)
            elif gap < 128:
                nb.received += 1
                nb.lost += gap - 1
                nb.seq = seq
            else:
                nb.received += 1
                nb.lost = max(nb.lost - 1, 0)
            if nb.received + nb.lost >= RATE_WINDOW:
                nb.received //= 2
                nb.lost //= 2
            nb.rssi_q += ((rssi << Q) - nb.rssi_q) >> EMA_SHIFT
            nb.snr_q += ((snr << Q) - nb.snr_q) >> EMA_SHIFT
        if nb.heard:
            nb.rssi_min, nb.rssi_max, nb.snr_min = min(nb.rssi_min, rssi), max(nb.rssi_max, rssi), min(nb.snr_min, snr)
        else:
            nb.rssi_min = nb.rssi_max = rssi
            nb.snr_min = snr
        nb.heard = min(nb.heard + 1, SAT16)
        nb.last_ms = now

    def on_replay(self, src: int) -> None:
        """The security layer refused a replayed frame from ``src``."""
        src = argcheck.integer(src, "src", FrameError, lo=0, hi=0xFFFF)
        self.replays = min(self.replays + 1, SAT30)
        if src in self.table:
            self.table[src].replays = min(self.table[src].replays + 1, SAT16)

    def on_forgery(self) -> None:
        """The security layer refused a frame whose MIC does not verify."""
        self.forgeries = min(self.forgeries + 1, SAT30)

    def on_latency(self, us: int) -> None:
        """One latency measurement, microseconds (>= 0)."""
        us = argcheck.integer(us, "us", FrameError, lo=0)
        k = sum(us >= e for e in LATENCY_EDGES_US)
        self.bins[k] = min(self.bins[k] + 1, SAT16)

    def telemetry(self, now_ms: int) -> dict:
        """The telemetry frame body (dict form); a new report window starts."""
        now = argcheck.integer(now_ms, "now_ms", FrameError, lo=0) % CLOCK
        uppers = (*LATENCY_EDGES_US, NO_UPPER)
        body = {"time_ms": now, "forgeries": self.forgeries, "replays": self.replays, "evictions": self.evictions,
                "latency": [{"upper_us": u, "samples": c} for u, c in zip(uppers, self.bins, strict=True)],
                "neighbours": []}
        self.bins = [0] * len(self.bins)
        for addr in sorted(self.table):
            nb = self.table[addr]
            heard = nb.heard
            body["neighbours"].append({
                "addr": addr, "heard": heard, "received": nb.received, "lost": nb.lost, "duplicates": nb.dups,
                "replays": nb.replays, "rssi_avg_dbm": (nb.rssi_q + 8) >> Q,
                "rssi_min_dbm": nb.rssi_min if heard else 127, "rssi_max_dbm": nb.rssi_max if heard else -128,
                "snr_avg_db": (nb.snr_q + 8) >> Q, "snr_min_db": nb.snr_min if heard else 127,
                "age_ms": min((now - nb.last_ms) % CLOCK, SAT16)})
            nb.heard = 0
        return body

    def receive(self, link: SecureLink, data: bytes, rssi_dbm: int, snr_db: int, now_ms: int):
        """Pass a received secured frame through ``link`` and count what
        happens: the unsecured frame when it is accepted (and counted), None
        when it is refused as a replay or a forgery (counted); any other
        refusal (bad FCS, no key for it) raises as :meth:`SecureLink.unprotect` does."""
        if not isinstance(link, SecureLink):
            raise FrameError(f"link must be a SecureLink, got {type(link).__name__}")
        # the readings are checked first: a bad one must not leave the frame accepted by the link but uncounted
        argcheck.integer(rssi_dbm, "rssi_dbm", FrameError)
        argcheck.integer(snr_db, "snr_db", FrameError)
        argcheck.integer(now_ms, "now_ms", FrameError, lo=0)
        try:
            frame = link.unprotect(data)
        except ReplayError:
            self.on_replay(codec.decode(data)["src"])
            return None
        except ForgeryError:
            self.on_forgery()
            return None
        self.on_frame(frame["src"], frame["seq"], rssi_dbm, snr_db, now_ms)
        return frame


def reception_rate(neighbour: dict) -> float:
    """received / (received + lost) of a telemetry neighbour entry (1.0 with nothing counted)."""
    if not isinstance(neighbour, dict) or not {"received", "lost"} <= set(neighbour):
        raise FrameError("neighbour must be a telemetry neighbour dict (with received and lost)")
    r = argcheck.integer(neighbour["received"], "neighbour.received", FrameError, lo=0)
    n = r + argcheck.integer(neighbour["lost"], "neighbour.lost", FrameError, lo=0)
    return r / n if n else 1.0

