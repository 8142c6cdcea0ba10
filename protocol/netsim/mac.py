"""The MAC, designed for latency: network-wide mini-slots, receiver-directed
channel hopping, owner priority with short contention, ACK and bounded
retransmission.

**Mini-slot.** Every node shares the slot clock (kept by beacons to within
``sync_us``). A data slot is sized for one secured data frame of
``payload_bytes`` and its ACK (all times in µs, stated parameters)::

    slot = hop_settle + sync                      channel change, clock error
         + (positions − 1) · microslot            contention (position 0: owner)
         + air(data) + prop                       the frame and its flight
         + SIFS + air(ACK) + prop                 the ACK
    microslot = cca + turnaround + prop           sense, switch to TX, flight
    SIFS = turnaround + processing                RX→TX and the FCS/MIC check
    prop = ceil(range_m / c)

air() is :func:`protocol.airtime.airtime_us` of the real frame lengths
(the data frame as :mod:`protocol.codec` encodes it with its mesh and
security headers and MIC). Defaults: cca 4 (802.11a preamble CCA, 17.3.10.5),
turnaround 2 (802.11a aRxTxTurnaroundTime), processing 14 (SIFS = 16 as
802.11a), hop_settle 8 (synthesiser settling), sync 2, range 1000 m (prop
4), 4 positions: at 24 Mbit/s a 32-byte payload makes a 67-byte frame
(44 µs) and a 14-byte ACK (28 µs), so slot = 8+2+30+44+4+16+28+4 = 136 µs.

**Access.** A node with a unicast frame picks the next data slot whose
channel (the *receiver's* channel, :mod:`protocol.netsim.hopping`) is not
blacklisted for that receiver, tunes to it, and transmits at
``slot start + hop_settle + sync + position · microslot`` if carrier sense
finds the channel idle. Position 0 belongs to the first attempt of a
periodic flow's frame in its reserved window's slot
(:mod:`protocol.netsim.reservations`: a window per hop of each periodic
flow, conflict free among the windows its neighbours announce; the frame
waits for that slot, up to six slots, and a window slot that is a control
slot moves the frame to the next slot unless a window uses it) — at the
node's full power, its HELLOs', not the lower power control gives the link:
neighbours judge from its HELLOs' level whether carrier sense hears it
(below), and at the controlled power it did not (101 nodes, seed 3: 200 of
202 window frames lost to a contending neighbour were lost to one that had
judged the sender audible; at full power, 101 nodes, 12 s, seeds 1–12,
retransmissions fell from 7,107 to 5,209 and hops over 1 ms from 803 to
772, and at 51 nodes, seeds 1–8, from 7 to 2, for 0.08 mA more mean drone
current); in a slot no
known window uses, to the slot's owner (:mod:`protocol.netsim.slots`:
two-hop conflict free); on a single-chain ground station's channel, to the
neighbour the station grants it, round robin over the neighbours its HELLO
lists. A frame without a window does not contend in the slot of a window of a
neighbour heard too weakly for carrier sense to stop it (it would collide
with that frame at position 0), for at most two slots in a row; from a
neighbour it hears, it defers. A multi-chain ground station
takes position 1 (its downlinks share the drones' channels with their
uplinks, and a tie between the two is a collision carrier sense cannot
prevent); everybody else uses a backoff counter drawn from
2..positions−1 (1..positions−1 without multi-chain ground stations),
frozen 802.11-style: a node that senses the channel busy subtracts the
idle positions it saw (the station's and the owner's included, so a
waiting node usually comes back at the first contention position, ahead
of new frames) and keeps the rest for its next slot; a counter larger
than the slot's positions waits whole slots, counting down positions − 1
a slot, so a retry that waited a slot may take position 1, ahead of new
frames (the station's position on its downlinks: counting down only the
drones' own positions measured a longer tail, 101 nodes p99 816 against
708 µs). After a lost
frame (no ACK) to a multi-chain station, a *leaf* (a node no drone has
sent a unicast data frame to for ``RELAY_MEMORY_US``) retries in the
next slot with the first attempt's window; a relay (its children must
find it on its channel) and any frame to a one-radio node (which may be
trying to reach this one: two neighbours retrying at each other at once
would each be tuned away from the other) draw the counter from a window
of two slots' positions and listen for a slot first. After
``max_attempts`` the frame is given back to the node as failed. Frames
older than
``max_queue_us`` are dropped unsent. A one-chain radio never starts a
frame while it is receiving one (on any channel) or its own ACK (SIFS
after a frame it received) is due.

**Ground stations: ``sink_chains`` transmit-receive chains** (default 6:
one per channel, as a cellular base station or a multi-channel gateway
receives every channel of its band at once). Chain j listens where receive
offset j does, so with a chain per channel the station hears every channel
in every data slot. A drone sends up on *its own* channel of the slot
(chain = its receive offset): a relay's uplink and its children's frames
to it then share one channel and carrier sense keeps them apart, where on
separate channels the relay would be deaf to its children whenever it
sends. A retransmission moves to another chain, drawn at random
(1..chains−1 further on): two senders that collided on a chain part with
probability 1 − 1/(chains−1) (moving both to the *next* chain kept every
pair together). The chain a frame got through on is kept for the next
frames to that destination, so two drones whose periodic frames keep
meeting in the same slot settle on different chains — resource
reselection after a collision, as sensing-based semi-persistent
scheduling does for periodic traffic (LTE-V2X sidelink mode 4, 3GPP TS
36.213 §14.1.1.6). With the fast leaf retry below, at 50 drones (3 seeds,
15 s, 60,114 hops) retransmissions fell from 2,205 to 847, hops over 1 ms
from 187 to 15 and the worst hop from 2.59 to 1.79 ms; in the KPI's
swarm (9 drones, 24 seeds, 86,130 hops) hops over 1 ms went from 6 to 2.
The station's chains send in parallel — a multicast fan-out reaches
members on different channels in
the same slot — each with its own backoff state, never two frames to one
destination or two on one channel in a slot; chain 0 alone sends
broadcasts. Their supply currents add (:mod:`protocol.netsim.energy`).
``sink_chains`` = 1 is a single-radio station with a channel of its own
(offset 0) and round-robin grants.

Every ``control_every``-th slot is a control slot on the common channel:
broadcasts (HELLO, TC) contend there with a counter from
0..control_positions−1, no ACK, skipping control slots whose channel a
neighbour reported jammed (:mod:`protocol.netsim.hopping`) unless every
channel is. A queued broadcast is replaced in its place by a newer one
under the same key (the node's next HELLO, a newer TC of the same
originator), and a node's beacons are sealed as they leave
(:meth:`Mac.broadcast`): after a 101-drone swarm's power-on the control
channel backed up for 4 s, and 926 beacons sealed when queued were dropped
as older than the 1 s beacon window; now it clears by 2.5 s and no beacon
is refused as old (8 s, seed 1).

The node of a slot's receiver listens on its own channel unless it is
transmitting (half duplex: tuned to another node's channel for the whole
slot) or still receiving a longer frame; a frame that arrives otherwise is
lost. A ground station's chains keep listening on the channels they do not
send on. After a unicast transmission a node listens for at least one slot
before it sends unicast again (a frame in its reserved window excepted:
no neighbour takes a window to this node that overlaps it, though a
contending frame may still come then; broadcasts in control slots too,
which are on the common channel), so a node sending a burst is never deaf for two slots
in a row — except a leaf after a frame to a multi-chain station, sent or
lost (no child waits for it; the station's downlinks to it may then wait
while it sends a burst).

**Per-hop latency** (the spec's air-interface latency): from the frame's
arrival in this MAC's queue to its first correct reception at the next
hop, retransmissions included; split into slot wait (to the first
transmission), retransmission (first to last transmission) and air
(last transmission to its reception: air time and flight).
"""

import functools
import math
from collections import deque
from typing import NamedTuple

from protocol import codec
from protocol.airtime import airtime_us
from protocol.netsim import reservations as RS
from protocol.netsim.hopping import Blacklist
from protocol.netsim.propagation import C_M_S
from protocol.netsim.scenario import ScenarioError
from protocol.security import is_unicast

RELAY_MEMORY_US = 200_000.0  # a node that received a drone's unicast data frame this recently counts as a relay
HIDDEN_SKIP_SLOTS = 2  # a frame without a window passes over at most this many slots of hidden neighbours' windows
SEQ_OFFSET = 2  # the MAC header's seq byte (protocol.frames.MacHeader: fc 2 bytes, then seq): read as the radio does


class MacParams(NamedTuple):
    cca_us: int = 4
    turnaround_us: int = 2
    processing_us: int = 14
    hop_settle_us: int = 8
    sync_us: int = 2
    range_m: int = 1000
    positions: int = 4
    control_positions: int = 8
    control_every: int = 8
    max_attempts: int = 7
    max_queue_us: int = 50_000
    queue_limit: int = 256
    payload_bytes: int = 32
    sink_chains: int = 6
    reservations: int = 1

    TUNABLE = ("cca_us", "turnaround_us", "processing_us", "hop_settle_us", "sync_us", "range_m", "positions",
               "control_positions", "control_every", "max_attempts", "max_queue_us", "queue_limit",
               "payload_bytes", "sink_chains", "reservations")
    LIMITS = {"cca_us": (1, 100), "turnaround_us": (0, 100), "processing_us": (0, 1000), "hop_settle_us": (0, 1000),
              "sync_us": (0, 100), "range_m": (10, 100_000), "positions": (1, 64), "control_positions": (1, 64),
              "control_every": (2, 1024), "max_attempts": (1, 64), "max_queue_us": (100, 10_000_000),
              "queue_limit": (1, 100_000), "payload_bytes": (0, 1024),
              "sink_chains": (1, 16), "reservations": (0, 1)}

    @classmethod
    def from_scenario(cls, mac: dict) -> "MacParams":
        from argcheck import integer
        return cls(**{k: integer(v, f"scenario.mac.{k}", ScenarioError, lo=cls.LIMITS[k][0], hi=cls.LIMITS[k][1])
                      for k, v in mac.items()})


class Timing(NamedTuple):
    """The slot budget at one rate (µs), from :class:`MacParams` and real frame lengths."""

    rate: int
    data_bytes: int
    ack_bytes: int
    air_data: float
    air_ack: float
    prop: float
    microslot: float
    sifs: float
    tx_offset: float
    slot: float

    def budget(self, p: MacParams) -> dict:
        return {"hop_settle": p.hop_settle_us, "sync": p.sync_us, "contention": (p.positions - 1) * self.microslot,
                "air_data": self.air_data, "prop": self.prop, "sifs": self.sifs, "air_ack": self.air_ack,
                "prop_ack": self.prop, "slot": self.slot}


def data_frame_len(payload_bytes: int, mic_len: int = 8) -> int:
    """Bytes of a secured, mesh-headed data frame with this payload, as the codec encodes it."""
    body = codec.encode_body("data", {"proto": "raw", "payload": bytes(payload_bytes)})
    f = {"type": "data", "version": 0, "seq": 0, "net": 0, "dst": 1, "src": 2, "ack_req": True,
         "mesh": {"hop_limit": 16, "originator": 2, "final_dst": 3, "mesh_seq": 0}, "options": None,
         "security": {"key_id": 1, "counter": 0, "mic_len": mic_len}, "body": None,
         "ciphertext": bytes(len(body)), "mic": bytes(mic_len)}
    return len(codec.encode(f))


def ack_frame(net: int, dst: int, src: int, seq: int) -> dict:
    return {"type": "ack", "version": 0, "seq": seq, "net": net, "dst": dst, "src": src, "ack_req": False,
            "mesh": None, "options": None, "security": None, "body": {"acked_seq": seq}}


def timing(p: MacParams, rate: int) -> Timing:
    prop = float(math.ceil(p.range_m / C_M_S * 1e6))
    data_bytes = data_frame_len(p.payload_bytes)
    ack_bytes = len(codec.encode(ack_frame(0, 1, 2, 0)))
    air_data, air_ack = airtime_us(data_bytes, rate), airtime_us(ack_bytes, rate)
    micro = p.cca_us + p.turnaround_us + prop
    sifs = float(p.turnaround_us + p.processing_us)
    offset = float(p.hop_settle_us + p.sync_us)
    slot = offset + (p.positions - 1) * micro + air_data + prop + sifs + air_ack + prop
    return Timing(rate, data_bytes, ack_bytes, air_data, air_ack, prop, micro, sifs, offset, float(math.ceil(slot)))


class _Item:
    __slots__ = ("data", "dst", "meta", "t_enq", "attempts", "first_tx", "power", "kind", "nbytes", "shift", "key",
                 "due", "res")

    def __init__(self, data, dst, meta, t_enq, power, kind, shift=0, key=None, due=None):
        self.data, self.dst, self.meta, self.t_enq = data, dst, meta, t_enq
        self.attempts, self.first_tx, self.power, self.kind = 0, None, power, kind
        self.nbytes = len(data) if isinstance(data, bytes) else None  # None: a broadcast sealed as it leaves
        self.shift = shift  # chains beyond the sender's own on a multi-chain receiver
        self.key = key  # a broadcast's supersede key (Mac.broadcast)
        self.due = due  # a broadcast sent ahead of the queue once this time has passed (Mac.broadcast)
        self.res = -1.0  # start of the reserved slot of its first attempt (-1: none; mod reservations)

    def in_window(self, slot_start: float) -> bool:
        """Is the slot starting at ``slot_start`` this frame's reserved one, for its first attempt?"""
        return self.res == slot_start and self.attempts == 0


class _Chain:
    """One transmit chain's state: its backoff counters, what it holds (a
    destination queue's head frame in a data slot on a channel) and its wake-up event."""

    __slots__ = ("k", "bc", "bc_c", "wake", "hold")

    def __init__(self, k: int):
        self.k = k
        self.bc = 0  # unicast backoff counter (0: none drawn)
        self.bc_c = -1  # broadcast backoff counter (-1: none drawn)
        self.wake = None
        self.hold = None  # (data slot, channel, dst) while deciding or sending


class Mac:
    """The MAC of node ``index``. ``world`` gives the engine, the medium,
    the hopping plan, every node's MAC (``world.macs``) and receive offset
    (``world.offsets``), the energy recorder and the callbacks
    ``world.deliver(index, data, src, meta, t)`` (a frame for this node or a
    broadcast, received correctly, first copy only), ``world.sent(index,
    meta, ok, t)`` (a unicast frame's outcome) and ``world.hop(meta,
    latency, slot_wait, retrans, air)``."""

    def __init__(self, world, index: int, address: int, params: MacParams, tm: Timing, slots, windows):
        self.w = world
        self.env = world.engine.env
        self.i = index
        self.address = address
        self.p = params
        self.tm = tm
        self.slots = slots
        self.windows = windows  # protocol.netsim.reservations.Reservations
        self.periods: dict = {}  # flow -> period (µs) of a periodic flow this node's application sends
        self.rx_from = None  # (sender address, slot start) of the frame being delivered, while it is
        self.plan = world.plan
        self.blacklist = Blacklist(world.plan.channels)
        self.rng = world.engine.rng(f"backoff/{address}")
        self.queues: dict = {}  # dst index -> deque of _Item
        self.n_queued = 0
        self.bqueue: deque = deque()
        self.bkeys: dict = {}  # supersede key -> the queued broadcast under it
        self.n_due = 0  # queued broadcasts with a due time (Mac.broadcast)
        self.away_slot = -1  # data slot in which this radio is tuned to another node's channel
        self.lock_until = -1.0  # receiving a frame until then, on lock_channel
        self.lock_channel = -1
        self.ack_until = -1.0  # sending an ACK until then (a one-chain radio cannot send anything else)
        self.rest_until = 0.0  # no unicast transmission in a slot starting before this (µs)
        self.last_rx: dict = {}  # src index -> (seq, data) of the last frame delivered
        self.off = False
        self.two_radios = world.medium.two_radios[index]
        # receive chains: a ground station listens on min(sink_chains, C) channels at once, a drone on one
        self.chains = min(params.sink_chains, world.plan.channels) if self.two_radios else 1
        # the first contention position belongs to multi-chain ground stations (their downlinks share
        # the drones' channels with the drones' uplinks: a fixed position breaks the ties CCA cannot)
        self.lo_pos = 2 if params.sink_chains > 1 and world.plan.channels > 1 and params.positions >= 3 else 1
        self.locks: dict = {}  # channel -> receiving a frame on it until then (multi-chain receivers)
        self.max_power = world.sc.nodes[index].tx_power_dbm  # dBm: the node's HELLOs' power
        self.stats = {"tx": 0, "retx": 0, "fail": 0, "stale": 0, "overflow": 0, "deferred": 0, "acks": 0,
                      "bcast": 0, "superseded": 0, "reserved": 0}
        self._ack_cache: dict = {}
        self.chain_shift: dict = {}  # dst index -> the chain shift the last frame to it got through on
        self.relay_until = -1.0  # a drone sent it a unicast data frame recently: a relay until then
        # transmit chains: one per receive chain (a ground station sends a multicast fan-out's copies to
        # members on different channels in the same slot); chain 0 alone sends broadcasts
        self.tx_chains = [_Chain(k) for k in range(self.chains)]
        for c in self.tx_chains:
            self.env.process(self._run(c))

    # ------------------------------------------------------------ interface
    def send(self, data: bytes, dst: int, meta, *, power_dbm: float, kind: str = "data") -> bool:
        """Queue a unicast frame to node index ``dst``; False if the queue is full."""
        if self.off:
            return False
        if self.n_queued >= self.p.queue_limit:
            self.stats["overflow"] += 1
            return False
        item = _Item(data, dst, meta, self.env.now, power_dbm, kind, self.chain_shift.get(dst, 0))
        if kind == "data":
            self._reserve(item, dst, meta)
        self.queues.setdefault(dst, deque()).append(item)
        self.n_queued += 1
        self._kick()
        return True

    def broadcast(self, data, meta, *, power_dbm: float, kind: str, supersedes=None,
                  max_wait_us: float | None = None) -> None:
        """Queue a broadcast for the control slots. ``data``: the frame's
        bytes, or a function that returns them, called when the frame leaves
        (the node seals its beacons then: timestamp and frame counter of the
        moment they go on the air). ``supersedes``: a key (e.g. a TC's
        originator); a queued broadcast under the same key not yet sent is
        replaced by this one, in its place — the newer beacon (this node's
        next HELLO, an originator's newer TC) carries what the older one did,
        and more recent, so sending both would only lengthen the control
        channel's queue (at 101 nodes, start-up backs it up for seconds).
        ``max_wait_us``: once it has waited that long (counted from the
        first of the beacons it replaced), it leaves ahead of the queue (the
        node's HELLO, which keeps its links alive: behind a thousand TC
        forwards an insider made it relay, a HELLO waited 0.9 s and more,
        toward the 6 s after which its neighbours drop the link; always
        first, HELLOs in the 250 ms start-up period held the TCs back, and a
        101-drone swarm delivered 99.17 % instead of 100 % after start-up)."""
        if self.off:
            return
        due = None if max_wait_us is None else self.env.now + max_wait_us
        item = _Item(data, -1, meta, self.env.now, power_dbm, kind, key=supersedes, due=due)
        if supersedes is not None:
            old = self.bkeys.get(supersedes)
            self.bkeys[supersedes] = item
            if old is not None:
                if old.due is not None:
                    self.n_due -= 1
                    if due is None or old.due < due:
                        item.due = old.due
                self.n_due += item.due is not None
                self.bqueue[self.bqueue.index(old)] = item
                self.stats["superseded"] += 1
                return
        self.n_due += item.due is not None
        self.bqueue.append(item)
        self._kick()

    def _reserve(self, item: _Item, dst: int, meta) -> None:
        """A window for a periodic flow's frame (:mod:`protocol.netsim.reservations`): this node's own
        flow, or a frame that arrived in the slot of a window its sender announced towards this node."""
        now = self.env.now
        rx = self.w.macs[dst].address
        if meta.reroutes or not is_unicast(meta.final):
            return  # a local-repair copy (another next hop than the flow's), or a multicast copy
        if meta.path == [self.address]:
            period = self.periods.get(meta.flow)
            if period is None:
                return
            slot = self.windows.reserve(("flow", meta.flow), rx, period, now, now)
        else:
            came = self.rx_from and self.windows.arrived_in(*self.rx_from)
            if not came:
                return
            tm = self.tm
            psi, period = came
            slot = self.windows.reserve(("via", self.rx_from[0], psi, period), rx, period,
                                        psi + tm.slot, now)  # the slot after its sender's
        if slot is not None and slot + self.tm.tx_offset < now:
            slot = None
        if slot is not None and self.plan.is_control(int(round(slot / self.tm.slot))):
            # the window's slot is a control slot this period: the next one, unless a window uses it
            slot += self.tm.slot
            if slot - now > RS.MAX_WAIT_SLOTS * self.tm.slot or self.windows.occupied(rx, slot):
                slot = None  # too late for the latency budget, or a window's slot
        if slot is not None:
            item.res = slot
            item.shift = 0  # to a multi-chain station: the sender's own chain, the class its window is on

    def queued(self, key) -> bool:
        """Is a broadcast under supersede key ``key`` waiting in the queue?"""
        return key in self.bkeys

    def power_off(self) -> None:
        self.off = True
        self.queues.clear()
        self.bqueue.clear()
        self.bkeys.clear()
        self.n_due = 0
        self.n_queued = 0
        self._kick()

    def _kick(self) -> None:
        for c in self.tx_chains:
            if c.wake is not None and not c.wake.triggered:
                c.wake.succeed()

    # ------------------------------------------------------------ listening
    def chain_of(self, sender: int) -> int:
        """The receive chain of this multi-chain node (chain j listens where receive offset j
        does) that node index ``sender`` sends on: the sender's own receive offset when this
        node has a chain there — a relay then sends up on the channel its own children send
        to it on, so carrier sense keeps the two apart instead of the relay being deaf to
        them —, else a hash of its address."""
        if self.chains <= 1:
            return 0
        o = self.w.offsets[sender]
        return o if o < self.chains else (((self.w.macs[sender].address * 2654435761) & 0xFFFFFFFF) >> 16) % self.chains

    def tx_channel(self, dst: int, n: int, shift: int = 0) -> int:
        """The channel on which this node reaches node index ``dst`` in data
        slot ``n``; to a multi-chain node, ``shift`` chains beyond its own
        (a frame's shift: the one that last got through, redrawn after each loss)."""
        rx = self.w.macs[dst]
        o = rx.offset_for(self.i)
        return self.plan.rx_channel((o + shift) % rx.chains if rx.chains > 1 else o, n)

    def offset_for(self, sender: int) -> int:
        """The receive offset on which this node hears node index ``sender``: the chain it hears
        the sender on (:meth:`chain_of`) if it has several, else its own offset — the channel class
        of the sender's hops to it (:mod:`protocol.netsim.reservations`)."""
        return self.chain_of(sender) if self.chains > 1 else self.w.offsets[self.i]

    def channel_at(self, n: int) -> int:
        """The channel this node listens on in slot ``n``."""
        if self.plan.is_control(n):
            return self.plan.control_channel(n)
        return self.plan.rx_channel(self.w.offsets[self.i], n)

    def listening(self, channel: int, start: float) -> bool:
        """Is this radio on ``channel`` and free to receive a frame starting at ``start``?"""
        if self.off:
            return False
        n = int(start // self.tm.slot)
        if self.chains > 1:
            if self.locks.get(channel, -1.0) > start:
                return False
            if self.plan.is_control(n):
                return self.plan.control_channel(n) == channel
            return any(self.plan.rx_channel(j, n) == channel for j in range(self.chains))
        if n == self.away_slot and not self.two_radios:
            return False
        if self.lock_until > start and self.lock_channel != channel:
            return False
        return self.channel_at(n) == channel

    def _lock(self, channel: int, until: float) -> None:
        if self.chains > 1:
            if until > self.locks.get(channel, -1.0):
                self.locks[channel] = until
            return
        if until > self.lock_until:
            self.lock_until, self.lock_channel = until, channel

    # ------------------------------------------------------------ slot choice
    def _held(self, c: _Chain) -> tuple:
        """(slots and channels, destinations) the other transmit chains hold."""
        held = [o.hold for o in self.tx_chains if o is not c and o.hold is not None]
        return {(h[0], h[1]) for h in held}, {h[2] for h in held}

    def _data_slot(self, n: int, held=((), ()), resting: bool = False, skip_hidden: bool = True):
        """(dst index, channel) of the head-of-line frame sendable in data slot n, or None: one
        whose reserved slot it is, else the oldest (none while ``resting``; a reserved frame waits
        for its slot; with ``skip_hidden``, none in the window of a neighbour carrier sense misses)
        (``held``: (slot, channel) pairs and destinations other transmit chains hold)."""
        best = None
        now = self.env.now
        start = n * self.tm.slot
        for dst, q in self.queues.items():
            if not q or dst in held[1]:
                continue
            head = q[0]
            mine = head.in_window(start)
            if (resting or head.res > start) and not mine:
                continue
            if not mine and skip_hidden and self.windows.held_by_others(self.w.macs[dst].address, start):
                continue  # a neighbour's window: its frame goes at position 0 (and may be hidden from this node)
            ch = self.tx_channel(dst, n, head.shift)
            if (n, ch) in held[0] or not self.blacklist.usable(dst, ch, now):
                continue
            if mine:
                return dst, ch, head.t_enq
            if best is None or head.t_enq < best[2]:
                best = (dst, ch, head.t_enq)
        return best

    def _drop_stale(self, c: _Chain) -> None:
        """Drop unicast frames older than ``max_queue_us``, except the head of a queue another transmit
        chain holds (it is being sent: its chain drops it, if stale, when it chooses again)."""
        now = self.env.now
        held = self._held(c)[1] if len(self.tx_chains) > 1 else ()
        for dst, q in self.queues.items():
            keep = 1 if dst in held else 0
            while len(q) > keep and now - q[keep].t_enq > self.p.max_queue_us:
                item = q[keep]
                del q[keep]
                self.n_queued -= 1
                self.stats["stale"] += 1
                self.w.sent(self.i, item.meta, False, now, "stale")

    def _choose(self, c: _Chain):
        """(slot, kind, dst, channel) of chain ``c``'s next transmission opportunity."""
        held = self._held(c) if len(self.tx_chains) > 1 else ((), ())
        bqueue = self.bqueue if c.k == 0 else ()
        T = self.tm.slot
        n = max(0, int(math.ceil((self.env.now - self.tm.tx_offset) / T)))
        rest = int(math.ceil((self.rest_until - self.tm.tx_offset) / T))  # before it, reserved slots only
        fallback = None
        span = 4 * self.plan.channels * self.plan.control_every
        now = self.env.now
        if self.n_queued and not bqueue and not any(q and d not in held[1] and self.blacklist.any_usable(d, now)
                                                    for d, q in self.queues.items()):
            span = 0  # no channel usable for any waiting frame: no slot would do, straight to the fallback
            base = max(n, rest)
            fallback = base + 1 if self.plan.is_control(base) else base
        bad = self.blacklist.reported() if bqueue else frozenset()
        for k in range(span):
            m = n + k
            if self.plan.is_control(m):
                if bqueue:  # the rest after a unicast frame is for unicast frames
                    ch = self.plan.control_channel(m)
                    if ch not in bad or k >= self.plan.channels * self.plan.control_every:
                        return m, "b", -1, ch
                continue
            if self.n_queued:
                pick = self._data_slot(m, held, m < rest, k < HIDDEN_SKIP_SLOTS)
                if pick is not None:
                    return m, "u", pick[0], pick[1]
                if fallback is None and m >= rest:
                    fallback = m
        if fallback is None:
            return None
        free = [(q[0].t_enq, d) for d, q in self.queues.items() if q and d not in held[1]]
        if not free:
            return None
        dst = min(free)[1]  # no usable channel (reported jammed, or blacklisted): use the oldest frame anyway
        return fallback, "u", dst, self.tx_channel(dst, fallback, self.queues[dst][0].shift)

    def _priority(self, dst: int, d: int) -> bool:
        """Position 0 in data slot ``d`` for a frame to node ``dst``: a
        single-chain ground station (a sink on a channel of its own) grants
        it round robin to the neighbours its HELLO lists (slot d to the
        (d mod L)-th of L); on any other channel — a drone's, which a
        multi-chain ground station also listens on — it follows this node's
        own two-hop-conflict-free slot claim, whoever the frame is for."""
        grants = self.w.grants(dst) if self.w.macs[dst].chains == 1 else None
        if grants is not None:
            return bool(grants) and grants[d % len(grants)] == self.address
        return self.slots.owns(d)

    # ------------------------------------------------------------ the process
    def _run(self, c: _Chain):
        env, T, tm, p = self.env, self.tm.slot, self.tm, self.p
        while not self.off:
            c.hold = None
            self._drop_stale(c)
            if not self.n_queued and not (self.bqueue and c.k == 0):
                c.wake = env.event()
                yield c.wake
                c.wake = None
                continue
            choice = self._choose(c)
            if choice is None:
                c.wake = env.event()
                yield c.wake | env.timeout(T)
                c.wake = None
                continue
            n, kind, dst, ch = choice
            c.hold = (n, ch, dst)
            d = n - n // self.plan.control_every - 1  # data-slot number
            if kind == "b":
                if c.bc_c < 0:
                    c.bc_c = int(self.rng.integers(0, p.control_positions))
                pos = c.bc_c
            else:
                if self.queues[dst][0].in_window(n * T):
                    pos = 0  # its reserved slot
                elif self._priority(dst, d) and not self.windows.occupied(self.w.macs[dst].address, n * T):
                    pos = 0
                elif self.chains > 1:  # a multi-chain ground station: the first contention position
                    pos = 1
                else:
                    if c.bc <= 0:
                        c.bc = int(self.rng.integers(self.lo_pos, max(self.lo_pos + 1, p.positions)))
                    pos = c.bc
                    if pos >= p.positions:  # not this slot: count its positions down (see the module docstring)
                        c.bc -= max(1, p.positions - 1)
                        yield env.timeout(max(0.0, (n + 1) * T - env.now))
                        continue
                if ch != self.channel_at(n):  # tuned to another node's channel: deaf on its own for the slot
                    self.away_slot = n
            slot_start = n * T
            t_dec = slot_start + tm.tx_offset + pos * tm.microslot
            if t_dec > env.now:
                c.wake = env.event()
                yield c.wake | env.timeout(t_dec - env.now)
                woken, c.wake = c.wake.triggered, None
                if woken and env.now < slot_start:  # a new frame while waiting for a later slot: choose again
                    if self.away_slot == n:
                        self.away_slot = -1
                    continue
            if self.off:
                return
            busy = self.w.medium.busy(self.i, ch, env.now, p.cca_us)
            if busy is None and self.chains == 1 and (self.ack_until > env.now or self.lock_until > env.now):
                busy = env.now  # receiving a frame (on any channel), or its ACK is due: a one-chain radio defers
            if busy is not None:
                self.stats["deferred"] += 1
                seen = 0 if busy == -math.inf else max(0, int((busy - slot_start - tm.tx_offset) // tm.microslot))
                if kind == "b":
                    c.bc_c = max(0, c.bc_c - seen)
                else:
                    if pos and self.chains == 1:
                        c.bc = max(self.lo_pos, c.bc - seen)
                    if busy == -math.inf:  # jammer energy on the channel: a failed use of it
                        self.blacklist.record(dst, ch, False, env.now)
                yield env.timeout(max(0.0, (n + 1) * T - env.now))
                continue
            if kind == "b":
                yield from self._send_broadcast(c, ch)
            else:
                yield from self._send_unicast(c, dst, ch)

    def _pop_broadcast(self) -> _Item:
        item = None
        if self.n_due:
            now = self.env.now
            for k, it in enumerate(self.bqueue):
                if it.due is not None and it.due <= now:
                    item = it
                    del self.bqueue[k]
                    break
        if item is None:
            item = self.bqueue.popleft()
        if item.due is not None:
            self.n_due -= 1
        if item.key is not None and self.bkeys.get(item.key) is item:
            del self.bkeys[item.key]
        return item

    def _send_broadcast(self, c: _Chain, ch: int):
        item = self._pop_broadcast()
        c.bc_c = -1
        env = self.env
        data = item.data if isinstance(item.data, bytes) else item.data()
        air = airtime_us(len(data), self.tm.rate)
        tx = self.w.medium.transmit(self.i, -1, ch, env.now, air, item.power, len(data), item.kind)
        self.stats["bcast"] += 1
        self.w.energy.tx(self.i, air, item.power, env.now)
        receivers = []
        for r in self.w.medium.candidates(self.i, item.power):
            mac = self.w.macs[r]
            if mac.listening(ch, tx.start):
                delay = self.w.medium.delay_list[self.i][r]
                mac._lock(ch, tx.end + delay)
                receivers.append((r, delay))
        yield env.timeout(air)
        for r, delay in receivers:
            if self.w.medium.received(tx, r):
                self.w.energy.rx(r, air)
                self.w.deliver(r, data, self.i, item.meta, tx.end + delay)

    def _send_unicast(self, c: _Chain, dst: int, ch: int):
        env, tm, med = self.env, self.tm, self.w.medium
        q = self.queues[dst]
        item = q[0]
        now = env.now
        # the transmission starts within its slot (position < positions): the slot is the one now is in
        reserved = item.in_window(int(now // tm.slot) * tm.slot)
        if reserved:
            self.stats["reserved"] += 1  # sent in its window
        power = self.max_power if reserved else item.power  # at full power (see the module docstring)
        if item.first_tx is None:
            item.first_tx = now
        item.attempts += 1
        self.stats["tx"] += 1
        if item.attempts > 1:
            self.stats["retx"] += 1
        air = airtime_us(item.nbytes, tm.rate)
        tx = med.transmit(self.i, dst, ch, now, air, power, item.nbytes, item.kind)
        self.w.energy.tx(self.i, air, power, now)
        rx_mac = self.w.macs[dst]
        delay = med.delay_list[self.i][dst]
        heard = rx_mac.listening(ch, now)
        if heard:
            rx_mac._lock(ch, tx.end + delay)
        yield env.timeout(air + delay)
        t_rx = env.now
        seq = item.data[SEQ_OFFSET]
        ack = None
        if heard:
            self.w.energy.rx(dst, air)
            if med.received(tx, dst):
                last = rx_mac.last_rx.get(self.i)
                if last is None or last[0] != seq or last[1] != item.data:
                    rx_mac.last_rx[self.i] = (seq, item.data)
                    if item.kind == "data" and self.chains == 1:  # a drone sends to it: it has a child
                        rx_mac.relay_until = t_rx + RELAY_MEMORY_US
                    self.w.hop(item.meta, t_rx - item.t_enq, item.first_tx - item.t_enq, now - item.first_tx,
                               t_rx - now)
                    rx_mac.rx_from = (self.address, int(now // tm.slot) * tm.slot)
                    self.w.deliver(dst, item.data, self.i, item.meta, t_rx)
                    rx_mac.rx_from = None
                if not rx_mac.off:  # the ACK, SIFS after the frame, on the same channel, same power (same link)
                    ack = self._ack_bytes(rx_mac, seq)
                    ack_tx = med.transmit(dst, self.i, ch, t_rx + tm.sifs, tm.air_ack, item.power, len(ack), "ack")
                    self.w.energy.tx(dst, tm.air_ack, item.power, t_rx + tm.sifs)
                    rx_mac.ack_until = max(rx_mac.ack_until, t_rx + tm.sifs + tm.air_ack)
                    rx_mac.stats["acks"] += 1
        yield env.timeout(tm.sifs + tm.air_ack + delay)
        ok = False
        if ack is not None and not self.off:
            self.w.energy.rx(self.i, tm.air_ack)
            ok = med.received(ack_tx, self.i) and ack_acknowledges(ack, seq)
        if self.off:
            return
        self.blacklist.record(dst, ch, ok, env.now)
        # after a leaf's frame to a multi-chain station (which listens on every chain, and no child waits
        # for this node), delivered or lost, the leaf may send again in the next slot; a relay listens first
        # (its children must find it on its channel), and so does a frame to a one-radio node (which may be
        # trying to reach this one)
        fast = rx_mac.chains > 1 and self.relay_until <= env.now
        if ok:
            if rx_mac.chains > 1:
                self.chain_shift[dst] = item.shift
            q.popleft()
            self.n_queued -= 1
            c.bc = 0
            self.w.sent(self.i, item.meta, True, env.now, "ok")
        elif item.attempts >= self.p.max_attempts:
            q.popleft()
            self.n_queued -= 1
            c.bc = 0
            self.stats["fail"] += 1
            self.w.sent(self.i, item.meta, False, env.now, "retry limit")
        else:  # losses here are fading, deafness or collisions: no doubling window
            if rx_mac.chains > 1:
                item.shift = (item.shift + int(self.rng.integers(1, rx_mac.chains))) % rx_mac.chains
            hi = self.p.positions if fast else 2 * (self.p.positions - 1) + 1
            c.bc = int(self.rng.integers(self.lo_pos, max(self.lo_pos + 1, hi)))
        self.away_slot = -1
        if not self.two_radios and not fast:  # listen for a slot before sending again
            self.rest_until = (int(now // tm.slot) + 2) * tm.slot

    def _ack_bytes(self, rx_mac, seq: int) -> bytes:
        key = (rx_mac.i, seq)
        b = self._ack_cache.get(key)
        if b is None:
            b = codec.encode(ack_frame(self.w.net, self.address, rx_mac.address, seq))
            self._ack_cache[key] = b
        return b


@functools.lru_cache(maxsize=1 << 16)
def _decode_ack(data: bytes) -> tuple:
    f = codec.decode(data)
    return f["type"], f["body"]["acked_seq"]


def ack_acknowledges(data: bytes, seq: int) -> bool:
    """Decode an ACK frame (the codec, cached by bytes: the same bytes decode the same) and check it
    acknowledges ``seq``."""
    kind, acked = _decode_ack(data)
    return kind == "ack" and acked == seq
