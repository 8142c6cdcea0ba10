"""Rejoin after a missed network rekey: which neighbour a node asks
through, and when — the state machine of one node (the frames are
:meth:`protocol.fleet.Node.rejoin_request` and
:meth:`protocol.fleet.FleetAuthority.rejoin`; :mod:`protocol.netsim.node`
sends them).

A node that missed a rekey hears broadcasts it cannot verify. Their
sources are not authenticated, so the choice of parent must survive an
attacker on the air that sends frames under made-up key ids from made-up
or absent sources, or a revoked node that lures the node (its certificate
still passes at a node that missed the revocation list, and it drops the
request):

* **Which.** The candidates are the distinct sources heard under a newer
  key id since the last attempt, at most :data:`CANDIDATES`, kept as a
  uniform sample over distinct arrivals (reservoir sampling, Vitter's
  algorithm R): a source counts once however many frames it sends, and no
  order of arrival (or address) decides. Each attempt picks one at random
  — among those the node already holds a pairwise key with and has not
  seen fail, if any — and removes it. A parent whose attempt failed is
  remembered (the last :data:`CANDIDATES`) and loses that preference: an
  insider that keys itself with the node, then drops the station's
  answer, is not picked first again.
* **When.** An attempt not answered within :data:`RETRY_US` (no network
  key from the station opened — its answer always ends with one: the
  parent was absent, a liar that dropped some of it, or out of range) is
  abandoned, and so is one whose handshake nobody answered (the MAC gave
  up on the parent: a made-up or absent source costs milliseconds). The
  next may start :data:`GAP_US` after the abandoned one began, the gap
  doubling with each abandoned attempt in a row up to :data:`RETRY_US`: an
  attacker's made-up sources cost a victim that missed a rekey a few
  hundred milliseconds each, and cannot make any node send more than one
  handshake per :data:`RETRY_US` for long. An attempt the station answered that
  brought no newer network key (a made-up key id started it) doubles the
  back-off before the next one (from :data:`RETRY_US` up to
  :data:`BACKOFF_MAX_US`; back to the start after a quiet
  :data:`BACKOFF_MAX_US`). One that brought a newer key ends, and resets
  everything, at the first broadcast the node verifies.

Times in µs (the simulator's clock).
"""

import math

RETRY_US = 2_000_000.0  # an attempt not answered by then is abandoned
GAP_US = 250_000.0  # after an abandoned attempt, the next no sooner than this after it began (doubling)
BACKOFF_MAX_US = 64_000_000.0  # answered attempts that brought no newer key back off, doubling up to this
CANDIDATES = 8  # distinct sources of broadcasts under newer key ids a node remembers


def newer(key_id: int, newest: int | None) -> bool:
    """Is network key id ``key_id`` (one the node does not hold) newer than
    ``newest``, the newest it holds? The authority hands network key ids out
    in cyclic order over 128..255 (``FleetAuthority._network_key_id``), so
    an id 1..63 steps ahead is newer; one behind is a key the node dropped
    (its sender missed a rekey, not this node)."""
    return newest is None or 1 <= (key_id - newest) % 128 <= 63


class RejoinState:
    """One node's rejoin: candidates, the attempt under way, the back-off.
    ``rng`` is a numpy Generator (the simulator's, per node: runs repeat)."""

    def __init__(self, rng):
        self.rng = rng
        self.candidates: list = []
        self.arrivals = 0  # distinct sources offered since the last attempt (the reservoir's count)
        self.parent = None  # the neighbour relaying the attempt under way
        self.since = -math.inf  # when it began
        self.first = None  # when the first attempt since the last rejoin that brought a newer key began
        self.failed: list = []  # parents of the last attempts that failed (at most CANDIDATES)
        self.epoch = 0  # the network key epoch the node held then
        self.answered = False  # a frame from the station was opened since
        self.backoff = RETRY_US
        self.gap = GAP_US
        self.next_at = -math.inf  # no attempt before this

    def heard(self, src: int) -> None:
        """A broadcast from ``src`` under a newer network key id."""
        if src in self.candidates or src == self.parent:
            return
        self.arrivals += 1
        if len(self.candidates) < CANDIDATES:
            self.candidates.append(src)
        else:
            j = int(self.rng.integers(0, self.arrivals))
            if j < CANDIDATES:
                self.candidates[j] = src

    def start(self, now: float, epoch: int, keyed=frozenset()):
        """The parent of a new attempt at ``now`` (the node holding network
        key epoch ``epoch`` and pairwise keys with the addresses in
        ``keyed``), or None if none may start."""
        if self.parent is not None or now < self.next_at or not self.candidates:
            return None
        if now - self.next_at > BACKOFF_MAX_US:  # quiet for long: back to the first back-off
            self.backoff, self.gap = RETRY_US, GAP_US
        pool = [k for k, a in enumerate(self.candidates) if a in keyed and a not in self.failed] \
            or range(len(self.candidates))
        parent = self.candidates.pop(pool[int(self.rng.integers(0, len(pool)))])
        self.arrivals = len(self.candidates)
        self.parent, self.since, self.epoch, self.answered = parent, now, epoch, False
        if self.first is None:
            self.first = now
        return parent

    def expire(self, now: float, epoch: int) -> bool:
        """:data:`RETRY_US` after the attempt began: abandon it unless it
        brought a newer key (then :meth:`done` ends it). True if it was
        abandoned."""
        if self.parent is None or epoch > self.epoch:
            return False
        if not self.answered:
            return self.abandon()
        self.next_at = now + self.backoff  # the station answered and nothing was newer: back off
        self.backoff = min(BACKOFF_MAX_US, 2 * self.backoff)
        self.gap = GAP_US
        self.parent = None
        return True

    def abandon(self) -> bool:
        """The parent never answered the handshake: the attempt is dropped,
        with no back-off (the next candidate may be tried at once). True if
        there was one."""
        if self.parent is None or self.answered:
            return False
        self.next_at = self.since + self.gap
        self.gap = min(RETRY_US, 2 * self.gap)
        self.failed = [*self.failed, self.parent][-CANDIDATES:]
        self.parent = None
        return True

    def done(self, epoch: int) -> bool:
        """A broadcast verified: True, and everything reset, if the attempt
        under way brought a newer network key."""
        if self.parent is None or epoch <= self.epoch:
            return False
        self.parent, self.candidates, self.arrivals, self.first, self.failed = None, [], 0, None, []
        self.backoff, self.gap, self.next_at = RETRY_US, GAP_US, -math.inf
        return True
