"""The discrete-event engine: a ``simpy`` environment whose clock counts
microseconds, named random streams drawn from one seed, and the event trace.

Time is a float in µs (``env.now``); slot boundaries are integer multiples
of the slot length, exact in binary floating point.

Randomness: every consumer asks :meth:`Engine.rng` for its own stream by a
stable name (``"shadowing"``, ``"backoff/17"``, ...). A stream is
``numpy.random.default_rng([seed, H(name)])`` with H the first 8 bytes of
SHA-256 of the name, so adding a consumer never shifts another one's draws
and the same scenario and seed give the same run, event for event.

The trace is every event the simulator logs (transmissions, receptions,
drops, routing changes, handshakes), each as one line ``time kind fields``;
only the SHA-256 of the lines is kept (:attr:`Engine.trace_sha256`; the
lines are fed to it in batches: the same hash), and with ``keep_trace`` the
lines themselves, for debugging.
"""

import hashlib

import numpy as np
import simpy


class Engine:
    def __init__(self, seed: int, *, keep_trace: bool = False):
        self.env = simpy.Environment()
        self.seed = seed
        self._hash = hashlib.sha256()
        self._unhashed: list = []  # lines not yet fed to the hash (fed in batches: the same SHA-256)
        self.events = 0
        self.lines: list | None = [] if keep_trace else None

    @property
    def now(self) -> float:
        return self.env.now

    def rng(self, name: str) -> np.random.Generator:
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")
        return np.random.default_rng([self.seed, key])

    def log(self, kind: str, *fields) -> None:
        """Append one event to the trace (time, kind, fields: ints, floats, strings)."""
        self.events += 1
        line = f"{self.env.now:.4f} {kind} {' '.join(map(str, fields))}\n"
        self._unhashed.append(line)
        if len(self._unhashed) >= 512:
            self._feed()
        if self.lines is not None:
            self.lines.append(line)

    def _feed(self) -> None:
        self._hash.update("".join(self._unhashed).encode())
        self._unhashed.clear()

    @property
    def trace_sha256(self) -> str:
        self._feed()
        return self._hash.hexdigest()

    def at(self, t_us: float, fn, *args) -> None:
        """Call ``fn(*args)`` at time ``t_us`` (µs, not before now)."""
        ev = self.env.timeout(max(0.0, t_us - self.env.now))
        ev.callbacks.append(lambda _ev: fn(*args))

    def every(self, first_us: float, period_us: float, fn, *, until_us: float | None = None) -> None:
        """Call ``fn()`` at ``first_us`` and every ``period_us`` after (while ``fn`` returns not False)."""
        def tick():
            if fn() is False:
                return
            nxt = self.env.now + period_us
            if until_us is None or nxt <= until_us:
                self.at(nxt, tick)
        self.at(first_us, tick)
