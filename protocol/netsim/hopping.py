"""Frequency hopping and adaptive channel blacklisting.

**Hopping.** Every mini-slot n the whole network changes channel. Slot n
belongs to hop cycle m = n // C (C channels); cycle m uses the permutation
P[m mod 64] of the channels, drawn once from the network id (a protocol
constant every node derives, not the simulation seed).

* In a data slot node Y *listens* on ``P[m][(n + o_Y) mod C]``, its
  receive offset ``o_Y`` (:func:`rx_offset`: 0 for ground stations, a hash
  of the address over 1..C−1 for drones): nodes with different offsets are
  on different channels in every slot, so transmissions to them never
  contend with each other; a transmitter to Y tunes to Y's channel. A
  ground station with one chain per channel listens on all of them and a
  drone reaches it on the drone's own channel of the slot
  (:mod:`protocol.netsim.mac`); with one chain, traffic to it contends
  only with other traffic to ground stations on offset 0.
* In a control slot (every ``control_every``-th slot) every node listens on
  the common channel ``P[m'][k mod C]``, k the control-slot number and
  m' = k // C.

Each node visits every channel once per cycle (C slots), so a partial-band
jammer on a third of the channels hits a third of the slots, and a follower
jammer has to react within one slot (data, SIFS and ACK: 92 µs at 24 Mbit/s)
to hit anything.

**Blacklisting** (:class:`Blacklist`): a transmitter keeps, per neighbour
and channel, an exponentially weighted reception rate of its unicast
attempts (ACK received = 1, not = 0, weight ``alpha`` = 0.2). A channel whose
rate drops below ``threshold`` (0.4) after at least ``min_samples`` (4)
attempts — five losses in a row from a clean record — is skipped for that
neighbour — the transmitter waits for the neighbour's next slot on a good
channel — and probed once again after ``probe_us`` (200 ms), its rate reset
to the threshold. Measurement and decision are the transmitter's own.

Losses take a channel out of use for a neighbour only while fewer than half
the channels (``channels // 2``) are out for it, the channels it reported
jammed (below) and blacklisted channels whose probe is due but not yet made
included; a report that takes the count over half puts the newest
blacklisted channels back in use (as a probe would), and reported channels
are always skipped. Losses on more than half the channels are not a
narrowband interferer that another channel avoids but a broken link, a
wideband or follower jammer, or congestion, and skipping channels then only
makes frames wait for the few left (Bluetooth's AFH likewise keeps at least
N_min = 20 of its 79 channels in use). Without
the cap, in ``examples/failure.json`` (the link from the ground station to
drone 17 fails at 7 s) the station blacklisted all six channels to 17 within
100 ms and probed them every 200 ms from then on: seeds 1–4 had
74 hops over 1 ms, 15 with the cap (16 with window frames at full power,
:mod:`protocol.netsim.mac`); under the follower jammer of
``examples/jammer.json`` drone 18 was left one channel of six to 17 and
waited for it (seed 4: worst hop 4.92 ms, 2.89 with the cap, 2.73 with
full-power window frames too).

A receiver also tells its neighbours which channels are jammed where it
is: it measures each channel's interference-plus-noise floor (energy
detection in slots it is not receiving) and lists in its HELLO (option
:data:`BAD_CHANNELS`, a bitmap, bit c = channel c) the channels more than
``BAD_FLOOR_DB`` (6 dB) above its thermal floor; a transmitter skips them for
that receiver from the next HELLO on, before losing a frame there.
"""

import numpy as np

from protocol.frames import OPTION_CODES

N_PERMUTATIONS = 64
BAD_CHANNELS = OPTION_CODES["bad_channels"]  # HELLO option: bitmap of channels jammed at the sender
BAD_FLOOR_DB = 6.0


def bad_bitmap(channels: list) -> bytes:
    """The BAD_CHANNELS option value of a list of channel indices (0..15)."""
    v = sum(1 << c for c in channels)
    return v.to_bytes(2, "little")


def parse_bad(value: bytes) -> frozenset:
    v = int.from_bytes(value[:2], "little")
    return frozenset(c for c in range(16) if v >> c & 1)


def rx_offset(address: int, channels: int, ground: bool = False) -> int:
    """Receive-channel offset of a node: 0 for a ground station (the sink
    every drone reports to has its channel to itself), for a drone 1..C−1 by
    Knuth's multiplicative hash of its address (0 too if C = 1)."""
    if ground or channels == 1:
        return 0
    return 1 + (((address * 2654435761) & 0xFFFFFFFF) >> 16) % (channels - 1)


class HoppingPlan:
    """The network's channel sequences (``channels`` channels, network id ``net``)."""

    def __init__(self, channels: int, net: int, control_every: int):
        rng = np.random.default_rng([net, 0x484F50])
        self.channels = channels
        self.control_every = control_every
        self.perms = [rng.permutation(channels).tolist() for _ in range(N_PERMUTATIONS)]

    def is_control(self, n: int) -> bool:
        return n % self.control_every == 0

    def rx_channel(self, offset: int, n: int) -> int:
        """Channel node with receive offset ``offset`` listens on in data slot ``n``."""
        c = self.channels
        return self.perms[(n // c) % N_PERMUTATIONS][(n + offset) % c]

    def control_channel(self, n: int) -> int:
        """Common channel of control slot ``n``."""
        k = n // self.control_every
        c = self.channels
        return self.perms[(k // c) % N_PERMUTATIONS][k % c]


class Blacklist:
    """One transmitter's per-(neighbour, channel) reception rates."""

    def __init__(self, channels: int, *, alpha: float = 0.2, threshold: float = 0.4, min_samples: int = 4,
                 probe_us: float = 200_000.0):
        self.channels = channels
        self.alpha, self.threshold, self.min_samples, self.probe_us = alpha, threshold, min_samples, probe_us
        self.max_out = channels // 2  # losses take no channel out beyond this many (reported jammed included)
        self._rate: dict = {}  # (nb, ch) -> [ewma, samples, blacklisted_since or None]
        self.advertised: dict = {}  # nb -> frozenset of channels it reported jammed (set_advertised only)
        self._reported: frozenset | None = frozenset()  # union of advertised, None when to be recomputed

    def _passes(self, nb: int, ch: int, now: float) -> bool:
        """Is ``ch`` usable for ``nb`` at ``now``: not reported jammed, and not
        blacklisted or its probe due? (No state changes.)"""
        bad = self.advertised.get(nb)
        if bad and ch in bad:
            return False
        st = self._rate.get((nb, ch))
        return st is None or st[2] is None or now - st[2] >= self.probe_us

    def usable(self, nb: int, ch: int, now: float) -> bool:
        if not self._passes(nb, ch, now):
            return False
        st = self._rate.get((nb, ch))
        if st is not None and st[2] is not None:  # probe once
            st[0], st[1], st[2] = self.threshold, self.min_samples - 1, None
        return True

    def any_usable(self, nb: int, now: float) -> bool:
        """Would :meth:`usable` pass some channel for ``nb`` at ``now``? (No probe is started.)"""
        return any(self._passes(nb, ch, now) for ch in range(self.channels))

    def record(self, nb: int, ch: int, ok: bool, now: float) -> bool:
        """Record one attempt; True if it newly blacklists the channel (only a loss does: a channel
        kept in use with a low rate, for want of room, is not taken out by a success)."""
        st = self._rate.setdefault((nb, ch), [1.0, 0, None])
        st[0] += self.alpha * ((1.0 if ok else 0.0) - st[0])
        st[1] += 1
        if (not ok and st[2] is None and st[1] >= self.min_samples and st[0] < self.threshold
                and (ch in self.advertised.get(nb, ()) or self.out_of_use(nb) < self.max_out)):
            st[2] = now
            return True
        return False

    def _since(self, nb: int) -> dict:
        """{channel: time it was blacklisted} of ``nb``'s blacklisted channels, probe due or not."""
        return {ch: st[2] for ch in range(self.channels)
                if (st := self._rate.get((nb, ch))) is not None and st[2] is not None}

    def out_of_use(self, nb: int) -> int:
        """How many channels count as out of use for ``nb`` against the half: reported jammed, or
        blacklisted (its probe due or not: a due probe not yet made has not shown the channel good)."""
        return len(self.advertised.get(nb, frozenset()).union(self._since(nb)))

    def set_advertised(self, nb: int, bad: frozenset) -> None:
        """Neighbour ``nb`` reported channels ``bad`` jammed where it is. Blacklisted channels beyond
        ``max(max_out, len(bad))`` out of use go back in use, the newest first, as a probe would.
        Bits of channels the plan does not have are dropped: they would count against the half."""
        bad = frozenset(ch for ch in bad if 0 <= ch < self.channels)
        if self.advertised.get(nb) != bad:
            self._reported = None
        self.advertised[nb] = bad
        since = self._since(nb)
        over = len(bad.union(since)) - max(self.max_out, len(bad))
        for _, ch in sorted(((t, ch) for ch, t in since.items() if ch not in bad), reverse=True)[:max(0, over)]:
            st = self._rate[(nb, ch)]
            st[0], st[1], st[2] = self.threshold, self.min_samples - 1, None

    def reported(self) -> frozenset:
        """The channels any neighbour reported jammed (the union of :attr:`advertised`),
        recomputed only after a report changed: the broadcast scheduler asks at every slot."""
        if self._reported is None:
            self._reported = frozenset().union(*self.advertised.values())
        return self._reported

    def blacklisted(self, now: float) -> list:
        """[(neighbour, channel)] currently skipped."""
        return sorted(k for k, st in self._rate.items() if st[2] is not None and now - st[2] < self.probe_us)
