# Link statistics of a mesh node, written for MicroPython.
#
# The radio and security layers report events; telemetry() returns the body
# of a telemetry frame (the dict form of mesh_codec / protocol.codec, type
# "telemetry"). Integer-only and fixed memory: a table of max_neighbours
# entries held in lists allocated once, eight latency counters and three
# security counters; the event methods allocate nothing. Bit-exact with the
# golden model protocol/linkstats.py.
#
# Events (times are a millisecond clock that wraps at 2^30, as time.ticks_ms()):
#   on_frame(src, seq, rssi_dbm, snr_db, now_ms)  a frame from src was received
#       and accepted (its link-layer security verified, where the link has it):
#       seq is its MAC sequence number (u8), rssi_dbm and snr_db the radio's
#       readings (ints, clamped to -128..127). A src that is not a node's
#       address (broadcast 0xFFFF, groups 0xFE00-0xFEFF) is ignored.
#   on_replay(src)   the security layer refused a replayed or too old counter
#   on_forgery()     the security layer refused a MIC that does not verify (the
#       claimed source is not counted: anyone can claim it)
#   on_latency(us)   one latency measurement in microseconds (e.g. an ack's
#       round trip or a timestamp option's age)
#
# Per neighbour (a table entry):
#   reception: the MAC sequence gap g = (seq - last seq) mod 256 of each frame:
#     g = 0 a duplicate (counted apart), 1 <= g < 128 received += 1 and
#     lost += g - 1, g >= 128 a late frame: received += 1 and lost -= 1 (not
#     below 0). When received + lost reaches RATE_WINDOW both halve (>> 1), so
#     received / (received + lost) is the rate over the last 128..256 frames.
#     A first frame starts the entry with received 1, lost 0.
#   RSSI and SNR: exponential means in Q4 (1/16 dB): the first frame sets
#     x << 4, then mean += ((x << 4) - mean) >> EMA_SHIFT; reported (mean + 8)
#     >> 4; min and max of RSSI, min of SNR over the report window.
#   heard: frames in the report window; replays, duplicates: since the entry
#     was made (saturating at 65535); age: ms since the last frame (<= 65535).
# Bounded table: a frame from an unknown node takes a free entry, or, when all
# max_neighbours are taken, the entry heard longest ago (ties: the lowest
# address) is evicted and counted. Only on_frame makes entries: refused frames
# (replays, forgeries) never evict a neighbour.
# Latency: counters of the fixed bins [0, 125), [125, 250), [250, 500),
# [500, 1000), [1000, 2000), [2000, 4000), [4000, 8000), [8000, inf) us, over
# the report window (the first four: within the 1 ms air-interface target).
# Security counters (replays, forgeries, evictions) count since start,
# saturating at 2^30 - 1 (a small int on a 32-bit port).
# telemetry(now_ms): the body dict, neighbours in address order; it starts a
# new report window (heard, RSSI/SNR extremes, latency counters).

MAX_NEIGHBOURS = 8
RATE_WINDOW = 256
EMA_SHIFT = 3
EDGES_US = (125, 250, 500, 1000, 2000, 4000, 8000)
NO_UPPER = 0xFFFFFFFF  # upper_us of the last bin: no bound
TICKS = 1 << 30
_SAT16 = 0xFFFF
_SAT30 = TICKS - 1


class LinkStatsError(ValueError):
    pass


def _node(a):
    return 0 <= a < 0xFE00 or 0xFF00 <= a < 0xFFFF


class LinkStats:
    def __init__(self, max_neighbours=MAX_NEIGHBOURS):
        n = max_neighbours
        if isinstance(n, bool) or not isinstance(n, int) or n < 1 or n > 255:
            raise LinkStatsError("max_neighbours must be an int in 1..255")
        self.size = n
        self.addr = [-1] * n
        self.seq = [0] * n
        self.received = [0] * n
        self.lost = [0] * n
        self.dups = [0] * n
        self.replays_of = [0] * n
        self.heard = [0] * n
        self.rssi = [0] * n
        self.rssi_min = [0] * n
        self.rssi_max = [0] * n
        self.snr = [0] * n
        self.snr_min = [0] * n
        self.last_ms = [0] * n
        self.bins = [0] * 8
        self.replays = 0
        self.forgeries = 0
        self.evictions = 0

    def _find(self, src):
        a = self.addr
        i = 0
        while i < self.size:
            if a[i] == src:
                return i
            i += 1
        return -1

    def _admit(self, src, now_ms):
        """The entry for a new neighbour: a free one, else the one heard longest ago."""
        a = self.addr
        i = self._find(-1)
        if i < 0:
            i = 0
            best = -1
            j = 0
            while j < self.size:
                age = (now_ms - self.last_ms[j]) & _SAT30
                if age > best or (age == best and a[j] < a[i]):
                    best = age
                    i = j
                j += 1
            if self.evictions < _SAT30:
                self.evictions += 1
        a[i] = src
        self.received[i] = 0
        self.lost[i] = 0
        self.dups[i] = 0
        self.replays_of[i] = 0
        self.heard[i] = 0
        return i

    def on_frame(self, src, seq, rssi_dbm, snr_db, now_ms):
        if not _node(src):
            return
        seq &= 0xFF
        now_ms &= _SAT30
        rssi = -128 if rssi_dbm < -128 else 127 if rssi_dbm > 127 else rssi_dbm
        snr = -128 if snr_db < -128 else 127 if snr_db > 127 else snr_db
        i = self._find(src)
        if i < 0:
            i = self._admit(src, now_ms)
            self.seq[i] = seq
            self.received[i] = 1
            self.rssi[i] = rssi << 4
            self.snr[i] = snr << 4
        else:
            g = (seq - self.seq[i]) & 0xFF
            if g == 0:
                if self.dups[i] < _SAT16:
                    self.dups[i] += 1
            elif g < 128:
                self.received[i] += 1
                self.lost[i] += g - 1
                self.seq[i] = seq
            else:
                self.received[i] += 1
                if self.lost[i]:
                    self.lost[i] -= 1
            if self.received[i] + self.lost[i] >= RATE_WINDOW:
                self.received[i] >>= 1
                self.lost[i] >>= 1
            self.rssi[i] += ((rssi << 4) - self.rssi[i]) >> EMA_SHIFT
            self.snr[i] += ((snr << 4) - self.snr[i]) >> EMA_SHIFT
        if self.heard[i] == 0:
            self.rssi_min[i] = rssi
            self.rssi_max[i] = rssi
            self.snr_min[i] = snr
        else:
            if rssi < self.rssi_min[i]:
                self.rssi_min[i] = rssi
            if rssi > self.rssi_max[i]:
                self.rssi_max[i] = rssi
            if snr < self.snr_min[i]:
                self.snr_min[i] = snr
        if self.heard[i] < _SAT16:
            self.heard[i] += 1
        self.last_ms[i] = now_ms

    def on_replay(self, src):
        if self.replays < _SAT30:
            self.replays += 1
        i = self._find(src)
        if i >= 0 and self.replays_of[i] < _SAT16:
            self.replays_of[i] += 1

    def on_forgery(self):
        if self.forgeries < _SAT30:
            self.forgeries += 1

    def on_latency(self, us):
        i = 0
        while i < 7 and us >= EDGES_US[i]:
            i += 1
        if self.bins[i] < _SAT16:
            self.bins[i] += 1

    def telemetry(self, now_ms):
        """The telemetry body (dict form); a new report window starts."""
        now_ms &= _SAT30
        bins = []
        for i in range(8):
            bins.append({"upper_us": EDGES_US[i] if i < 7 else NO_UPPER, "samples": self.bins[i]})
            self.bins[i] = 0
        nbs = []
        for _, i in sorted((self.addr[i], i) for i in range(self.size) if self.addr[i] >= 0):
            h = self.heard[i]
            age = (now_ms - self.last_ms[i]) & _SAT30
            nbs.append({"addr": self.addr[i], "heard": h, "received": self.received[i], "lost": self.lost[i],
                        "duplicates": self.dups[i], "replays": self.replays_of[i],
                        "rssi_avg_dbm": (self.rssi[i] + 8) >> 4,
                        "rssi_min_dbm": self.rssi_min[i] if h else 127, "rssi_max_dbm": self.rssi_max[i] if h else -128,
                        "snr_avg_db": (self.snr[i] + 8) >> 4, "snr_min_db": self.snr_min[i] if h else 127,
                        "age_ms": age if age < _SAT16 else _SAT16})
            self.heard[i] = 0
        return {"time_ms": now_ms, "forgeries": self.forgeries, "replays": self.replays,
                "evictions": self.evictions, "latency": bins, "neighbours": nbs}
