"""The shared radio medium: who transmits on which channel when, the
power each receiver gets, interference and jamming, and whether one
reception succeeds.

A transmission (:class:`Tx`) occupies one 20 MHz channel from ``start`` to
``end`` (µs, at the transmitter; it reaches a node ``delay_us`` later).
When it is registered every registered transmission on the same channel
whose interval meets it is recorded in both ``overlaps`` lists, so the
interference a reception saw is known when it ends (transmissions
registered ahead of time, such as an ACK after SIFS, take part too).

SINR of a reception at node r (all powers in the 20 MHz channel)::

    S = P_tx + G(tx → r) + fading
    I = Σ overlapping transmissions on the channel  P + G(· → r)
        + partial-band jammers on the channel          P_j + G(j → r)
        + follower-jammer bursts overlapping it (as transmissions)
    SINR = S − 10·log10(10^(I/10) + 10^(N/10)),  N = −101 dBm + noise figure

(−101 dBm = kT·20 MHz at 290 K, the convention of :mod:`mesh_phy.per`).
G includes both antenna gains (a jammer's power is its EIRP). A reception
fails if the receiver transmitted during it (half duplex; a node with two
radios — ground stations — only if it transmitted on the same channel); otherwise it
succeeds with probability 1 − PER(rate, SINR, bytes) from
:class:`~protocol.netsim.linkmodel.LinkModel`, drawn from the ``reception``
stream. Adjacent-channel leakage is not modelled.

Carrier sense (:meth:`Medium.busy`): a transmission is sensed by a node
once its preamble has arrived plus ``cca_us`` and while it lasts, if its
power there is at least ``cca_dbm`` (preamble detection, −82 dBm as in
802.11a 17.3.10.5); energy of jammers at least ``ed_dbm`` (−62 dBm) also
reads busy.

Follower jammer: listens on its channels; the first transmission it
receives at ≥ ``follower_sense_dbm`` (−90 dBm) while idle makes it jam that
channel from ``reaction_us`` after the transmission reaches it, for
``dwell_us``; then it listens again.
"""

import math

import numpy as np

from protocol.netsim.propagation import BLOCKED_DB

CCA_DBM = -82.0
ED_DBM = -62.0
FOLLOWER_SENSE_DBM = -90.0
KEEP_US = 5000.0  # finished transmissions kept this long for overlap bookkeeping


class Tx:
    __slots__ = ("src", "dst", "channel", "start", "end", "power_dbm", "nbytes", "overlaps", "kind", "uid")

    def __init__(self, src, dst, channel, start, end, power_dbm, nbytes, kind, uid):
        self.src, self.dst, self.channel = src, dst, channel
        self.start, self.end = start, end
        self.power_dbm, self.nbytes, self.kind, self.uid = power_dbm, nbytes, kind, uid
        self.overlaps = []


class Medium:
    """``n`` nodes (indices 0..n-1) and the scenario's jammers (emitter
    indices n..n+J-1) on ``channels`` channels."""

    def __init__(self, engine, n: int, jammers, channels: int, rate: int, noise_figure_db: float,
                 antenna_gain_dbi: float, link_model, fading, propagation, mobility):
        self.engine = engine
        self.n = n
        self.jammers = jammers
        self.channels = channels
        self.rate = rate
        self.noise_dbm = -101.0 + noise_figure_db
        self._noise_mw = 10 ** (self.noise_dbm / 10)
        self.ant = antenna_gain_dbi
        self.link = link_model
        self.fading = fading
        self.prop = propagation
        self.mobility = mobility
        self._rx_rng = engine.rng("reception")
        self._per = link_model.lookup(rate)  # PER(sinr_db, nbytes) at this rate
        self.active: list = [[] for _ in range(channels)]
        self.blocked: set = set()  # (i, j) index pairs of failed links
        self.off = [False] * n  # powered-off nodes
        self.two_radios = [False] * n  # a separate receiver: its own transmissions (on other channels) do not deafen it
        self._jam_active = [False] * len(jammers)
        self._follower_busy_until = [-1.0] * len(jammers)
        self._uid = 0
        self.air_bytes: dict = {}  # bytes on the air by frame kind
        self.update_geometry()

    # ------------------------------------------------------------ geometry
    def update_geometry(self) -> None:
        """Recompute gains, LoS states and delays at the current time."""
        t_s = self.engine.now * 1e-6
        pos = self.mobility.positions(t_s)
        idx = np.arange(self.n)
        pl, los, delay = self.prop.loss(pos, pos, idx, idx)
        gain = -pl + 2 * self.ant
        np.fill_diagonal(gain, -BLOCKED_DB)
        for i, j in self.blocked:
            gain[i, j] = gain[j, i] = -BLOCKED_DB
        self.gain, self.los, self.delay = gain, los, delay
        self.gain_list = gain.tolist()
        self.delay_list = delay.tolist()
        self.los_list = los.tolist()
        if self.jammers:
            jpos = np.array([j.position_m for j in self.jammers], dtype=float)
            jidx = np.arange(self.n, self.n + len(self.jammers))
            jpl, jlos, jdelay = self.prop.loss(jpos, pos, jidx, idx)
            self.jgain = (-jpl + self.ant).tolist()
            self.jdelay = jdelay.tolist()
        self._update_jamming()

    def set_jammer(self, j: int, on: bool) -> None:
        self._jam_active[j] = on
        self._update_jamming()

    def _update_jamming(self) -> None:
        """Partial-band jamming power (mW) per node and channel."""
        jam = np.zeros((self.n, self.channels))
        for j, spec in enumerate(self.jammers):
            if spec.kind == "partial_band" and self._jam_active[j]:
                p = 10 ** ((spec.power_dbm + np.array(self.jgain[j])) / 10)
                for c in spec.channels:
                    jam[:, c] += p
        self.jam_mw = jam.tolist()

    def jammed_channels(self, node: int, above_db: float) -> list:
        """Channels whose partial-band jamming at ``node`` lifts its floor more
        than ``above_db`` over thermal noise (what the node's energy
        detection measures in idle slots)."""
        limit = self._noise_mw * (10 ** (above_db / 10) - 1)
        return [c for c, p in enumerate(self.jam_mw[node]) if p > limit]

    def block_link(self, i: int, j: int) -> None:
        self.blocked.add((i, j))
        self.update_geometry()

    def rx_power_dbm(self, src: int, dst: int, power_dbm: float) -> float:
        return power_dbm + self.gain_list[src][dst]

    # ------------------------------------------------------------ transmissions
    def transmit(self, src: int, dst: int, channel: int, start: float, airtime: float, power_dbm: float,
                 nbytes: int, kind: str) -> Tx:
        """Register a transmission by node ``src`` (to ``dst``, −1 for broadcast)."""
        self._uid += 1
        tx = Tx(src, dst, channel, start, start + airtime, power_dbm, nbytes, kind, self._uid)
        self._register(tx)
        self.air_bytes[kind] = self.air_bytes.get(kind, 0) + nbytes
        self.engine.log("tx", src, dst, channel, kind, nbytes, f"{start:.3f}", f"{power_dbm:.1f}")
        for j, spec in enumerate(self.jammers):
            if spec.kind == "follower" and self._jam_active[j] and channel in spec.channels:
                self._follow(j, spec, tx)
        return tx

    def _register(self, tx: Tx) -> None:
        lst = self.active[tx.channel]
        horizon = self.engine.now - KEEP_US
        if lst and lst[0].end < horizon:
            lst[:] = [t for t in lst if t.end >= horizon]
        for t in lst:
            if t.end > tx.start and t.start < tx.end:
                t.overlaps.append(tx)
                tx.overlaps.append(t)
        lst.append(tx)

    def _follow(self, j: int, spec, tx: Tx) -> None:
        if tx.start < self._follower_busy_until[j]:
            return
        if tx.power_dbm + self.jgain[j][tx.src] - self.ant < FOLLOWER_SENSE_DBM:
            return
        start = tx.start + self.jdelay[j][tx.src] + spec.reaction_us
        self._follower_busy_until[j] = start + spec.dwell_us
        self._uid += 1
        burst = Tx(self.n + j, -1, tx.channel, start, start + spec.dwell_us, spec.power_dbm, 0, "jam", self._uid)
        self._register(burst)
        self.engine.log("jam", j, tx.channel, f"{start:.3f}")

    def _power_at(self, t: Tx, rx: int) -> float:
        if t.src >= self.n:
            return t.power_dbm + self.jgain[t.src - self.n][rx]
        return t.power_dbm + self.gain_list[t.src][rx]

    def busy(self, node: int, channel: int, now: float, cca_us: float) -> float | None:
        """If ``node`` senses ``channel`` busy at ``now``: the time the
        earliest sensed transmission started; else None."""
        if self.jam_mw[node][channel] >= 10 ** (ED_DBM / 10):
            return -math.inf
        first = None
        for t in self.active[channel]:
            if t.src == node or t.end <= now or t.start >= now:
                continue
            arrive = t.start + (self.delay_list[t.src][node] if t.src < self.n
                                else self.jdelay[t.src - self.n][node])
            if arrive + cca_us <= now < t.end + cca_us and self._power_at(t, node) >= CCA_DBM:
                if first is None or t.start < first:
                    first = t.start
        return first

    # ------------------------------------------------------------ reception
    def sinr_db(self, tx: Tx, rx: int) -> float:
        """SINR (dB) of ``tx`` at node ``rx``, block fading included."""
        if tx.src == rx:
            return -math.inf
        s = tx.power_dbm + self.gain_list[tx.src][rx] + self.fading.gain_db(self.los_list[tx.src][rx])
        i_mw = self._noise_mw + self.jam_mw[rx][tx.channel]
        for t in tx.overlaps:
            if t.src == rx:
                if self.two_radios[rx] and t.channel != tx.channel:
                    continue
                return -math.inf  # half duplex: rx was transmitting
            i_mw += 10 ** (self._power_at(t, rx) / 10)
        return s - 10 * math.log10(i_mw)

    def received(self, tx: Tx, rx: int) -> bool:
        """Draw whether ``rx`` (listening on the channel) decodes ``tx``."""
        if self.off[rx] or tx.power_dbm + self.gain_list[tx.src][rx] < self.noise_dbm - 10:
            return False
        p = self._per(self.sinr_db(tx, rx), tx.nbytes)
        if p <= 0.0:
            return True
        return p < 1.0 and self._rx_rng.random() >= p

    def candidates(self, src: int, power_dbm: float, margin_db: float = 0.0) -> list:
        """Nodes where a transmission of ``src`` at ``power_dbm`` arrives at
        least at the noise floor minus ``margin_db`` (the only ones that may decode it)."""
        floor = self.noise_dbm - margin_db - power_dbm
        off = self.off
        return [r for r, g in enumerate(self.gain_list[src]) if g >= floor and r != src and not off[r]]
