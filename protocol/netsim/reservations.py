"""Reserved windows for periodic flows: each hop of a periodic flow sends
its first attempt at contention position 0 in a slot no conflicting
neighbour uses, so periodic frames that meet on one channel no longer tie.

Why: a flow's frames arrive every P µs, and P is not a whole number of
slots, so two flows whose phases lie within a slot of each other meet in
the same slot period after period, and with two contention positions they
tie (a collision carrier sense cannot prevent) half the time — the cause
of most late hops at 51 and 101 nodes (:mod:`tools.hop_failures`). This
is semi-persistent scheduling as LTE-V2X sidelink keeps a resource for a
periodic flow (3GPP TS 36.213 §14.1.1.6), with the resource chosen from
what the neighbours announce rather than sensed.

**Windows.** A window is a phase ψ of a period P (whole µs of the
network's slot clock): the span [ψ + kP, ψ + kP + T) for every k, T the
slot (a whole number of µs). Exactly one slot starts in each span; the
hop's first attempt goes in that slot, at position 0 (a control slot: the
next slot, unless a window uses it; :mod:`protocol.netsim.mac`). The
spans of two windows of periods P1 and P2 overlap in some period iff their
phases are within T of each other modulo gcd(P1, P2) (:func:`overlap`);
overlapping windows are treated as sharing a slot.

* **A source** (a node whose application registered a periodic flow with
  the MAC) takes, at the flow's first frame and whenever its next hop
  changes, the earliest window from the frame's arrival on that conflicts
  with no window it knows, waiting at most :data:`MAX_WAIT_SLOTS` slots.
* **A relay** recognises a frame that arrived in the slot of a window its
  sender announced towards it, and forwards the flow in a window of its own
  starting a slot after its sender's or later (the frame arrives within the
  sender's slot, so the next slot is the first it can go in); frames that
  came late (a retransmission) contend.
* **Conflicts** (:meth:`Reservations.conflict`): a window of this node to
  receiver R conflicts with a window of sender S2 to R2 if S2 is this node
  (one radio), R2 is this node or S2 is R (a one-chain node sending is deaf,
  half duplex), R2 is R (a one-chain receiver hears one frame at a time), or
  the two use the same channel class — R's receive offset, or for a
  multi-chain ground station the chain the sender reaches it on — since
  neighbours that hear each other interfere on a shared channel.
* **Announcements.** Every HELLO carries the sender's windows (option
  :data:`OPTION`): groups of (receiver address: 16 bits, P: 24 bits, count:
  8 bits), each followed by ``count`` phases ψ (24 bits), little-endian; at
  most :data:`MAX_OPTION_BYTES` bytes, so a node holds no window it cannot
  announce. Taking a window brings the node's next HELLO forward. Two
  neighbours that took overlapping windows before hearing each other
  resolve it at the next HELLO as slot claims do: the lower address keeps
  its window, the higher contends for :data:`CONTESTED_PERIODS` periods
  (doubling at each loss in a row) and then takes another. A window unused
  for :data:`IDLE_PERIODS` periods is dropped at the node's next HELLO.
* **Limit.** A receiver does not re-announce the windows aimed at it, so
  two senders hidden from each other could hold the same window towards
  one receiver and meet at position 0 every period (not seen in the
  swarms measured, where every node hears every other).

Retransmissions and frames without a window contend as before
(:mod:`protocol.netsim.mac`), but not in the slot of a window of a
neighbour too weak here for carrier sense (:meth:`held_by_others`); a
slot's owner (:mod:`protocol.netsim.slots`) takes position 0 only if no
window it knows of uses that slot.

What an insider (holding the network key) can do with it, and what bounds
it (docs/threat_model.md): announce windows that conflict with every
window, or win every contest under the lowest address; its neighbours then
hold no window and contend, with latency close to the MAC without windows
(a flow that keeps losing contests stays contending for up to 2^6 × 3
periods instead of taking and announcing a new window at every frame).
Announced periods under :data:`MIN_PERIOD_SLOTS` slots, which would cover
every slot, are not heeded; a frame without a window passes over at most
two slots of hidden neighbours' windows (:mod:`protocol.netsim.mac`); a
neighbour's announcement is at most one options block (82 windows),
replaced at each HELLO; HELLOs that do not verify change nothing, and with
``mac.reservations`` 0 announcements are not read at all.
"""

import functools
import math

from protocol.frames import OPTION_CODES

OPTION = OPTION_CODES["reservations"]
MAX_PERIOD_US = 0xFFFFFF  # phases and periods are whole µs in 24-bit fields (periods up to 16.7 s)
MAX_OPTION_BYTES = 120  # a HELLO also carries slot claims (a byte per neighbour) in its 255-byte options block
MAX_WAIT_SLOTS = 6  # a window starting later than this after the frame is not worth waiting for: contend
IDLE_PERIODS = 3
CONTESTED_PERIODS = 3  # a flow that lost a window to a lower address contends this long before taking another,
MAX_CONTESTED_DOUBLINGS = 6  # doubled at each loss in a row (a window held QUIET_PERIODS unchallenged resets it)
QUIET_PERIODS = 16
MIN_PERIOD_SLOTS = 4  # shorter periods are neither taken nor heeded in announcements
_GROUP = 6  # receiver (2), period (3), count (1)


class Window:
    __slots__ = ("rx", "psi", "period", "used", "taken")

    def __init__(self, rx: int, psi: int, period: int, used: float):
        self.rx, self.psi, self.period, self.used, self.taken = rx, psi, period, used, used


def overlap(psi1: float, p1: int, psi2: float, p2: int, slot_us: float) -> float | None:
    """How far window 1 must move later to clear window 2 (µs), or None if they never share a slot."""
    g = math.gcd(p1, p2)
    d = (psi1 - psi2) % g
    if d < slot_us:
        return slot_us - d
    if g - d < slot_us:
        return g - d + slot_us
    return None


class Reservations:
    """The windows node ``address`` holds and the ones its neighbours announced.
    ``slot_us``: the slot T; ``channel_class(sender, receiver)``: the channel
    class of a hop (addresses); ``multi(address)``: has several receive chains."""

    def __init__(self, address: int, slot_us: float, channel_class, multi, announce=None, hidden=None):
        self.address = address
        self.hidden = hidden  # neighbour address -> is it too weak here for carrier sense to hear it?
        self.announce = announce  # called when this node takes a window (its neighbours should hear soon)
        self.T = slot_us
        self.cls = channel_class
        self.multi = multi
        self.own: dict = {}  # key -> Window
        self.heard: dict = {}  # neighbour address -> [(receiver, psi, period), ...]
        self._cache: dict = {}  # (what, receiver) -> blocking windows; cleared whenever a window or a neighbour changes
        self._hidden_seen: dict = {}  # neighbour -> hidden from carrier sense at its last HELLO
        self._contested: dict = {}  # key -> (no window for it before then (µs), losses in a row)

    # ------------------------------------------------------------ conflicts
    def conflict(self, rx: int, s2: int, r2: int) -> bool:
        """Does a window of this node to ``rx`` conflict with one of ``s2`` to ``r2``?"""
        me = self.address
        if s2 == me:
            return True
        if (r2 == me and not self.multi(me)) or (s2 == rx and not self.multi(rx)):
            return True
        if r2 == rx and not self.multi(rx):
            return True
        return self.cls(me, rx) == self.cls(s2, r2)

    def _heard_blocking(self, rx: int, hidden_only: bool) -> list:
        """(psi, period) of the neighbours' windows that conflict with one of this node to ``rx``
        (``hidden_only``: of the neighbours too weak here for carrier sense), cached."""
        key = (hidden_only, rx)
        out = self._cache.get(key)
        if out is None:
            out = [(psi, p) for nb, windows in self.heard.items()
                   if not hidden_only or self.hidden is None or self.hidden(nb)
                   for r2, psi, p in windows if self.conflict(rx, nb, r2)]
            self._cache[key] = out
        return out

    def _blocking(self, rx: int, skip=None) -> list:
        return [(w.psi, w.period) for k, w in self.own.items() if k != skip] + self._heard_blocking(rx, False)

    def _changed(self) -> None:
        self._cache.clear()

    def _covers(self, windows, slot_start: float) -> bool:
        """Is the slot starting at ``slot_start`` (µs) in the span of any of ``windows`` ((psi, period), ...)?"""
        T = self.T
        return any((slot_start - psi) % p < T for psi, p in windows)

    def held_by_others(self, rx: int, slot_start: float) -> bool:
        """Is the slot starting at ``slot_start`` in the window of a neighbour too weak here for
        carrier sense, conflicting with sending to ``rx``?"""
        return self._covers(self._heard_blocking(rx, True), slot_start)

    def occupied(self, rx: int, slot_start: float) -> bool:
        """Is the slot starting at ``slot_start`` (µs) in a window that conflicts with sending to ``rx``?"""
        return self._covers(self._blocking(rx), slot_start)

    # ------------------------------------------------------------ taking windows
    def _pick(self, key, rx: int, earliest: float, period: int, now: float) -> Window | None:
        psi = math.ceil(earliest)
        limit = psi + MAX_WAIT_SLOTS * self.T
        blocking = self._blocking(rx, skip=key)
        moved = True
        while moved and psi <= limit:
            moved = False
            for psi2, p2 in blocking:
                step = overlap(psi, period, psi2, p2, self.T)
                if step is not None:
                    psi = math.ceil(psi + step)
                    moved = True
                    break
        if psi > limit:
            return None
        w = Window(rx, int(psi % period), period, now)
        self.own.pop(key, None)
        if len(self.option() or b"") + (3 if any(o.rx == rx and o.period == period for o in self.own.values())
                                        else _GROUP + 3) > MAX_OPTION_BYTES:
            return None
        self.own[key] = w
        if self.announce is not None:
            self.announce()
        return w

    def reserve(self, key, rx: int, period_us: float, earliest: float, now: float) -> float | None:
        """The start (µs) of the slot in which a frame of flow ``key`` that
        arrived ``now`` goes to ``rx`` at position 0, taking a window whose
        span starts at ``earliest`` or later (a phase, modulo the period) if
        the flow holds none to ``rx``; None: no window, contend. The slot is
        the one in the window's span that starts a slot or less before
        ``now`` or later (a relay's window starts a slot after its sender's:
        the frame arrives within that slot), at most :data:`MAX_WAIT_SLOTS`
        slots on; it may have begun up to the MAC's transmit offset ago."""
        period = int(period_us)
        if period != period_us or not MIN_PERIOD_SLOTS * self.T <= period <= MAX_PERIOD_US:
            return None
        w = self.own.get(key)
        new = w is None or w.rx != rx or w.period != period
        if new:
            if self._contested.get(key, (-1.0, 0))[0] > now:
                return None
            w = self._pick(key, rx, earliest, period, now)
            if w is None:
                return None
        start = now - self.T + (w.psi - now + self.T) % period
        slot = math.ceil(start / self.T) * self.T
        if slot - now > MAX_WAIT_SLOTS * self.T:
            if new:  # a window its frames could never use (a relay's sender came late): do not hold it
                del self.own[key]
            return None
        w.used = now
        return slot

    def arrived_in(self, sender: int, slot_start: float):
        """(phase, period) of the window ``sender`` announced towards this node whose slot is the one
        starting at ``slot_start``, or None (the frame came outside its sender's windows)."""
        for r2, psi, p in self.heard.get(sender, ()):
            if r2 == self.address and (slot_start - psi) % p < self.T:
                return psi, p
        return None

    # ------------------------------------------------------------ announcements
    def option(self) -> bytes | None:
        """This node's windows as the HELLO option (None: none held)."""
        groups: dict = {}
        for w in self.own.values():
            groups.setdefault((w.rx, w.period), []).append(w.psi)
        out = bytearray()
        for (rx, period), phases in sorted(groups.items()):
            out += rx.to_bytes(2, "little") + period.to_bytes(3, "little") + bytes([len(phases)])
            for psi in sorted(phases):
                out += psi.to_bytes(3, "little")
        return bytes(out) or None

    @staticmethod
    @functools.lru_cache(maxsize=4096)  # every neighbour of a node parses its HELLO's same bytes
    def parse(value: bytes) -> tuple:
        """((receiver, psi, period), ...) of an announcement; a truncated group ends it."""
        out, k = [], 0
        while k + _GROUP <= len(value):
            rx = int.from_bytes(value[k:k + 2], "little")
            period = int.from_bytes(value[k + 2:k + 5], "little")
            count = value[k + 5]
            k += _GROUP
            if period == 0 or k + 3 * count > len(value):
                break
            out += [(rx, int.from_bytes(value[j:j + 3], "little") % period, period)
                    for j in range(k, k + 3 * count, 3)]
            k += 3 * count
        return tuple(out)

    def on_hello(self, src: int, value: bytes | None, now: float = 0.0) -> None:
        """A HELLO from neighbour ``src`` with its announcement (None: it holds no window), heard at
        ``now`` (µs). Windows of periods under :data:`MIN_PERIOD_SLOTS` slots are not heeded (they
        would cover every slot). A window of this node that conflicts with one of a lower address is
        given up, and its flow contends for :data:`CONTESTED_PERIODS` periods before taking another,
        twice as long after each loss in a row (up to 2^:data:`MAX_CONTESTED_DOUBLINGS`): a stream of
        contests, as an insider's HELLOs under lower addresses make, leaves the flow contending as
        without windows, instead of waiting for a new window, and announcing it, again and again."""
        windows = self.parse(value) if value else ()
        if any(p < MIN_PERIOD_SLOTS * self.T for _, _, p in windows):
            windows = tuple(w for w in windows if w[2] >= MIN_PERIOD_SLOTS * self.T)
        hidden = self.hidden is not None and self.hidden(src)
        if windows is not self.heard.get(src, ()) or hidden != self._hidden_seen.get(src):
            self._changed()  # its windows, or whether carrier sense hears it here, changed
        self._hidden_seen[src] = hidden
        if windows:
            self.heard[src] = windows  # parse is cached: the same bytes give the same tuple
        else:
            self.heard.pop(src, None)
        if src < self.address and windows:
            for key, w in list(self.own.items()):
                if any(overlap(w.psi, w.period, psi, p, self.T) is not None and self.conflict(w.rx, src, r2)
                       for r2, psi, p in windows):
                    del self.own[key]
                    losses = self._contested.get(key, (0.0, 0))[1]
                    if now - w.taken > QUIET_PERIODS * w.period:
                        losses = 0  # the last contest is long past: a first loss again
                    bar = CONTESTED_PERIODS * w.period * 2 ** min(losses, MAX_CONTESTED_DOUBLINGS)
                    self._contested[key] = (now + bar, losses + 1)

    def forget(self, nb: int) -> None:
        self.heard.pop(nb, None)
        self._hidden_seen.pop(nb, None)
        self._changed()

    def expire(self, now: float) -> None:
        for key, w in list(self.own.items()):
            if now - w.used > IDLE_PERIODS * w.period:
                del self.own[key]
        for key, (until, _) in list(self._contested.items()):
            if until + QUIET_PERIODS * MAX_PERIOD_US <= now:  # long past: its count of losses too
                del self._contested[key]
