"""Why unicast attempts fail in a swarm, and what the slowest hops went through.

    python tools/hop_failures.py N DURATION_S SEED [--late US]

runs ``protocol.netsim.swarms.swarm(N, duration_s=DURATION_S, seed=SEED)``
with the MAC and the medium observed (not changed: the trace hash is the
plain run's) and prints

* the cause of every failed unicast attempt (data, handshake and key
  frames, warm-up included): ``away`` (the receiver, one radio, was tuned
  to another node's channel for the slot), ``receiving`` (it was locked on
  a frame on another channel), ``chain busy`` (a ground station's chain was
  receiving another frame), ``not listening`` (any other reason, e.g. off),
  ``half duplex`` (the receiver transmitted during the frame),
  ``collision, same receiver`` / ``collision, ACK`` / ``collision, other
  receiver`` (an overlapping transmission above the noise floor at the
  receiver: to the same receiver, an ACK, or to another one), ``fading``
  (none of these: the PER draw);
* why carrier sense let each data-frame collision happen, judged on the
  strongest overlapping frame at the receiver: ``tie`` (the two senders
  started within ``cca_us`` plus their flight time of each other: the same
  contention position, which no sensing can part), ``hidden`` (the later
  sender was too far from the earlier one to sense it: below
  ``medium.CCA_DBM`` there), ``not sensing`` (it was sensed: a frame whose
  sender does not sense, such as an ACK SIFS after its frame), ``jammer``;
* the attempts that found a relay tuned away, by (receiver, sender);
* every data hop slower than ``--late`` µs (default 1000): its latency and,
  for each attempt, the time (µs), cause (``ok`` if received), sender,
  receiver and channel.

The per-hop tail analysis at 51 nodes (docs/mesh_latency.md) comes from
``python tools/hop_failures.py 50 15 1`` and ``... 50 15 3``.
"""

import collections
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from argcheck.cli import Parser, guard  # noqa: E402
from protocol.netsim import swarms  # noqa: E402
from protocol.netsim.medium import CCA_DBM  # noqa: E402
from protocol.netsim.run import World  # noqa: E402
from protocol.netsim.scenario import validate  # noqa: E402


class Census:
    """The observed run: ``attempts`` [(start µs, cause, sender, receiver, channel)]
    per frame, ``hops`` [(latency µs, attempts)] of the data hops recorded."""

    def __init__(self, world: World):
        self.w = world
        self.attempts: dict = {}  # id(frame item) -> (the item, [attempt, ...])
        self.hops: list = []
        self._why: dict = {}  # Tx uid -> cause
        self.collisions: collections.Counter = collections.Counter()  # (cause, why carrier sense missed it)
        self._item = None
        self._last_deaf = None  # why the receiver of the attempt being made was not listening (None: it was)
        for m in world.macs:
            m._send_unicast = self._wrap_send(m, m._send_unicast)
            m.listening = self._wrap_listening(m, m.listening)
        med = world.medium
        med.received = self._wrap_received(med, med.received)
        world.hop = self._wrap_hop(world.hop)

    def _wrap_listening(self, m, listening):
        def wrapped(channel, start):
            ok = listening(channel, start)
            if not ok:
                n = int(start // m.tm.slot)
                self._last_deaf = ("away" if m.chains == 1 and n == m.away_slot and not m.two_radios
                                   else "receiving" if m.chains == 1 and m.lock_until > start
                                   else "chain busy" if m.chains > 1 and m.locks.get(channel, -1.0) > start
                                   else "not listening")
            return ok
        return wrapped

    def _wrap_received(self, med, received):
        def wrapped(tx, rx):
            ok = received(tx, rx)
            if tx.dst == rx and tx.kind != "ack":
                cause = self._why[tx.uid] = "ok" if ok else self._cause(med, tx, rx)
                if cause.startswith("collision"):
                    self.collisions[cause, self._unsensed(med, tx, rx)] += 1
            return ok
        return wrapped

    @staticmethod
    def _cause(med, tx, rx) -> str:
        for t in tx.overlaps:
            if t.src == rx and not (med.two_radios[rx] and t.channel != tx.channel):
                return "half duplex"
        hits = [t for t in tx.overlaps if med._power_at(t, rx) > med.noise_dbm]
        if not hits:
            return "fading"
        if any(t.dst == tx.dst for t in hits):
            return "collision, same receiver"
        return "collision, ACK" if any(t.kind == "ack" for t in hits) else "collision, other receiver"

    def _unsensed(self, med, tx, rx) -> str:
        """Why the strongest frame overlapping ``tx`` at ``rx`` was not kept apart from it by carrier sense."""
        t = max(tx.overlaps, key=lambda o: med._power_at(o, rx))
        if t.src >= med.n:
            return "jammer"
        if t.kind == "ack":
            return "not sensing"
        first, later = (t, tx) if t.start <= tx.start else (tx, t)
        flight = med.delay_list[first.src][later.src]
        if later.start - first.start < self.w.mac_params.cca_us + flight:
            return "tie"
        return "hidden" if med._power_at(first, later.src) < CCA_DBM else "not sensing"

    def _wrap_send(self, m, send):
        def wrapped(c, dst, ch):
            item = m.queues[dst][0]
            start = m.env.now
            self._last_deaf = None
            uid = m.w.medium._uid + 1  # the uid of the transmission this attempt registers
            gen = send(c, dst, ch)
            self._item = item
            ev = next(gen)
            deaf = self._last_deaf
            try:
                while True:
                    val = yield ev
                    self._item = item
                    ev = gen.send(val)
            except StopIteration:
                pass
            cause = deaf or self._why.pop(uid, "not listening")
            self.attempts.setdefault(id(item), (item, []))[1].append(  # the item held: its id is not reused
                (round(start), cause, m.address, self.w.macs[dst].address, ch))
        return wrapped

    def _wrap_hop(self, hop):
        def wrapped(meta, latency, wait, retrans, air):
            before = len(self.w.metrics.hops)
            hop(meta, latency, wait, retrans, air)
            if len(self.w.metrics.hops) > before:
                self.hops.append((latency, self._item))
        return wrapped

    def causes(self) -> collections.Counter:
        return collections.Counter(a[1] for _, lst in self.attempts.values() for a in lst if a[1] != "ok")

    def away_by_pair(self) -> collections.Counter:
        return collections.Counter((a[3], a[2]) for _, lst in self.attempts.values() for a in lst if a[1] == "away")

    def late(self, over_us: float) -> list:
        slowest = sorted(self.hops, key=lambda h: -h[0])
        return [(lat, self.attempts.get(id(item), (None, []))[1]) for lat, item in slowest if lat > over_us]


def _main(argv=None) -> int:
    ap = Parser(prog="tools/hop_failures.py", description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, help="drones")
    ap.add_argument("duration_s", type=float)
    ap.add_argument("seed", type=int)
    ap.add_argument("--late", type=float, default=1000.0, help="list data hops slower than this (µs)")
    a = ap.parse_args(argv)
    w = World(validate(swarms.swarm(a.n, duration_s=a.duration_s, seed=a.seed)))
    census = Census(w)
    r = w.run()
    print("per-hop latency (us):", r["hop_latency_us"])
    print("failed attempts by cause:", dict(census.causes().most_common()))
    print("collisions by why carrier sense missed them:",
          {f"{c} / {why}": k for (c, why), k in census.collisions.most_common()})
    print("attempts that found a relay away, by (receiver, sender):", dict(census.away_by_pair().most_common(8)))
    for lat, attempts in census.late(a.late):
        print(f"hop of {lat:.0f} us:")
        for t, cause, src, dst, ch in attempts:
            print(f"    {t} us  {cause:26s} {src} -> {dst} on channel {ch}")
    return 0


def main(argv=None) -> int:
    """A bad argument or scenario (e.g. a negative drone count) prints one line and exits 2."""
    return guard(_main, argv, prog="tools/hop_failures.py")


if __name__ == "__main__":
    sys.exit(main())
