"""Routing: proactive link state after OLSRv2 (RFC 7181), with MPR flooding,
loop-free forwarding and multicast trees.

Why link state (OLSRv2) rather than Babel or B.A.T.M.A.N.: every node holds
the whole usable topology, so (1) point-to-multipoint trees come from the
same database with no extra signalling (each node computes the source's
shortest-path tree, as MOSPF does), (2) a forwarder can pick a loop-free
alternate (RFC 5286 condition) at once when its next hop fails, and (3)
routes are optimal for the link cost. Its weakness — transient micro-loops
while databases disagree — is removed by the forwarding rule below, which
is where we beat it; and failure detection comes from the MAC (a frame
that exhausts its retransmissions takes the link down at once and triggers
a TC), not from OLSR's 6 s HELLO hold time.

**Messages** (real frames, :mod:`protocol.codec`): a HELLO is a ``beacon``
to broadcast without a mesh header, body ``capabilities`` (bit 0: ground
station) and ``neighbours`` (up to :data:`HELLO_LIST` heard neighbours,
keyed ones first, then by RSSI); a TC is a ``beacon`` with a mesh header
(originator, final dst broadcast, mesh_seq = the originator's TC message
number, new for every TC — periodic ones included, so MPRs forward the
refreshes that keep remote databases alive) listing the originator's usable links. Each
listed neighbour's ``link_quality`` byte: bits 0–5 quality q (0.5 dB steps of
estimated SNR above the usable minimum, 0..63), bit 6 keyed (the lister holds
a pairwise key with it), bit 7 MPR (the lister chose it as MPR); ``rssi_dbm``
the lister's smoothed RSSI of it. HELLOs also carry the sender's maximum
power (option ``tx_power_dbm``) and its slot claims (:mod:`protocol.netsim.slots`).

**Links.** A neighbour's link is *usable* when it is heard (a HELLO within
``nb_hold_us``), symmetric (it lists this node), keyed at both ends, its
estimated SNR (the smaller of the two directions' smoothed HELLO RSSI
over the noise floor, HELLOs going at each end's maximum power) is at least ``snr_min_db`` (the SINR for 1 %
PER of a data frame, plus 3 dB), and the MAC has not taken it down. Cost
= 16 + 2·max(0, 20 − q): 16 for a link with ≥ 10 dB of margin, up to 56 at
the minimum. q changes only by ≥ 2 steps (1 dB hysteresis), so steady links
send no updates.

**Authentication** is not this module's: it sees only HELLOs and TCs that
the fleet node verified (network key, per-sender replay window,
timestamp; :mod:`protocol.netsim.node`), and the neighbour a HELLO speaks
for is its authenticated MAC source. What is left to it is bounding the
state an insider (a holder of the network key) can make it keep:
:data:`MAX_NEIGHBOURS` and :data:`MAX_ORIGINATORS`, refusing new entries
beyond them, and **reclaiming its own sequence number**: a TC in this
node's name with a number ahead of its own (a forgery, or its own from
before a restart) makes it jump past that number and send a TC at once,
so a forged number locks its real TCs out for one flood, not for 32,768
TCs.

**TC repair** (where we beat OLSRv2, which waits for the next periodic
TC): a TC flooded before two parts of the network were connected, or lost
on the way (broadcasts have no ACK), reaches nobody until its originator's
next periodic TC, up to ``tc_us`` later — a drone powered on at the end of
a settled chain waited 3.5 s for its route. A node that lacks the TC of a
node a held TC lists, or of a usable neighbour (:meth:`LinkState.missing`),
names it in its HELLO (option ``WANT`` of :mod:`protocol.netsim.node`); a
neighbour holding it re-sends it with hop limit 1, the originator sends
its own again, and a neighbour of the originator that lacks it too passes
the want on in its own HELLO.

**MPR** (RFC 7181 §18, greedy): the fewest symmetric neighbours covering
every strict two-hop neighbour. A TC is forwarded by a node only if it came
first (new sequence number) from a neighbour that selected it as MPR.

**Forwarding without loops.** A data frame carries, besides its
originator (mesh header) and the previous hop (MAC source), the list of
earlier forwarders in option :data:`VISITED` (u16 addresses, only when
the path has 3 hops or more). A node never forwards to a node already
visited: the SPF next hop if it is not, else the cheapest loop-free
alternate (a usable neighbour N, not visited, whose distance to the
destination is below this node's), else the frame is dropped ("no loop-free
route"). So no frame can visit a node twice, whatever the databases say;
the simulator checks every step independently.

**Multicast** (P2MP): the tree is the originator's shortest-path tree
pruned to the group's members, computed by every node from the TC
database alone (its own links as it advertised them), so nodes with the
same database compute the same tree; a forwarder sends one unicast copy (ACKed,
per-hop protected) to each child that leads to members; duplicates are
suppressed by (originator, mesh_seq) at every node.
"""

import heapq
from typing import NamedTuple

from protocol.frames import OPTION_CODES

VISITED = OPTION_CODES["visited"]  # earlier forwarders (u16 little-endian each)
CARRIED = OPTION_CODES["carried"]  # (empty) the payload is a frame for the destination's fleet node
HELLO_LIST = 32
MAX_NEIGHBOURS = 256  # neighbour entries a node keeps (beyond: new neighbours refused, never evicted)
MAX_ORIGINATORS = 1024  # TC originators a node keeps (the largest scenario)
Q_MAX = 63
KEYED = 0x40
MPR = 0x80
INF = float("inf")


class RoutingParams(NamedTuple):
    hello_us: float = 2_000_000.0
    hello_fast_us: float = 250_000.0  # HELLO period for the first fast_for_us after power-on
    fast_for_us: float = 1_500_000.0
    tc_us: float = 5_000_000.0  # OLSR's TC_INTERVAL; the hold time is three of them
    jitter_us: float = 20_000.0  # triggered and forwarded TCs wait U(0, jitter) (RFC 5148)
    tc_min_us: float = 200_000.0  # triggered TCs at most this often
    nb_hold_us: float = 6_000_000.0
    tc_hold_us: float = 15_000_000.0
    down_hold_us: float = 500_000.0  # a link the MAC took down needs a HELLO at least this much later
    hop_limit: int = 16
    spf_hold_us: float = 250_000.0  # routes follow remote changes at most this often (own changes: at once)


def cost_of(q: int) -> int:
    return 16 + 2 * max(0, 20 - q)


class HelloView(NamedTuple):
    """A HELLO's neighbour list, parsed once per frame (every receiver reads the same)."""

    listed: dict  # addr -> link_quality byte
    rssi: dict  # addr -> rssi_dbm
    order: list  # addresses in list order

    @classmethod
    def of(cls, body: dict) -> "HelloView":
        nbs = body["neighbours"]
        return cls({e["addr"]: e["link_quality"] for e in nbs}, {e["addr"]: e["rssi_dbm"] for e in nbs},
                   [e["addr"] for e in nbs])


class Neighbour:
    __slots__ = ("rssi", "tx_power", "heard", "listed", "q", "their_q", "they_keyed", "selects_me", "down_until",
                 "down_at", "their_rssi")

    def __init__(self):
        self.rssi = None  # smoothed RSSI (dBm) of its HELLOs here
        self.tx_power = 20.0
        self.heard = -INF
        self.listed: dict = {}  # its list: addr -> link_quality byte
        self.q = -1  # quality this node assigns the link (hysteresis)
        self.their_q = -1
        self.their_rssi = None
        self.they_keyed = False
        self.selects_me = False
        self.down_until = -INF
        self.down_at = -INF


class LinkState:
    """The routing state of node ``me``. ``index`` maps every address to a
    row of the topology matrix; ``keyed(addr)`` says whether this node holds
    a pairwise key with ``addr``; ``snr_min_db`` is the usable-link threshold;
    ``noise_dbm`` the receiver noise floor."""

    def __init__(self, me: int, index: dict, params: RoutingParams, keyed, snr_min_db: float, noise_dbm: float,
                 ground: bool):
        self.me = me
        self.index = index
        self.addrs = sorted(index, key=index.get)
        self.p = params
        self.keyed = keyed
        self.snr_min = snr_min_db
        self.noise = noise_dbm
        self.ground = ground
        self.nbs: dict = {}
        self.mpr: set = set()
        self.lsdb: dict = {}  # originator -> (seq, t, {addr: cost}); written only through _store / _drop
        self.tc_bodies: dict = {}  # originator -> the body of its newest TC, as received (re-sent for wants)
        self.tc_heard: dict = {}  # originator held -> when a copy of one of its TCs last arrived
        self._remote: dict = {}  # {a: {b: cost}} the links between TC originators that both advertise (see _graph)
        self.tc_seq = 0
        self.version = 0
        self._spf_version = -1
        self._dist: dict = {}
        self._next: dict = {}
        self._g: dict = {}
        self._shared = None
        self._own_version = 0
        self._spf_own_version = -1
        self._spf_time = -INF
        self._tree_cache: dict = {}
        self._to_cache: dict = {}
        self.advertised: dict = {}  # the link set of the last TC
        self._own: dict = {}  # the link set of the last check
        self.changed = False  # own usable links changed since the last TC
        self._mpr_dirty = False

    # ------------------------------------------------------------ neighbours
    def _snr(self, nb: Neighbour) -> float:
        """Estimated SNR of the link, the worse direction, each end sending at
        its maximum power (the power of HELLOs): this node's smoothed RSSI of the
        neighbour's HELLOs and the neighbour's of ours (from its HELLO list)."""
        if nb.rssi is None:
            return -INF
        here = nb.rssi - self.noise
        return here if nb.their_rssi is None else min(here, nb.their_rssi - self.noise)

    def quality(self, addr: int) -> int:
        nb = self.nbs.get(addr)
        return -1 if nb is None else nb.q

    def usable(self, addr: int, now: float) -> bool:
        nb = self.nbs.get(addr)
        return (nb is not None and now - nb.heard <= self.p.nb_hold_us and nb.their_q >= 0 and nb.q >= 0
                and nb.they_keyed and self.keyed(addr) and now >= nb.down_until)

    def usable_links(self, now: float) -> dict:
        """{neighbour: cost} of this node's usable links."""
        return {a: cost_of(nb.q) for a, nb in sorted(self.nbs.items()) if self.usable(a, now)}

    def on_hello(self, src: int, view: HelloView, tx_power: float, rssi_dbm: float, now: float) -> bool:
        """A verified HELLO from ``src``; False (nothing stored) if it is a
        new neighbour and the table is full."""
        nb = self.nbs.get(src)
        if nb is None:
            if len(self.nbs) >= MAX_NEIGHBOURS:
                return False
            nb = self.nbs[src] = Neighbour()
            self._mpr_dirty = True
        was = cost_of(nb.q) if self.usable(src, now) else None
        self._revive(nb, now)
        nb.rssi = rssi_dbm if nb.rssi is None else nb.rssi + 0.3 * (rssi_dbm - nb.rssi)
        nb.tx_power = tx_power
        nb.heard = now
        listed = view.listed
        if listed is not nb.listed and listed.keys() != nb.listed.keys():
            self._mpr_dirty = True
        nb.listed = listed
        mine = listed.get(self.me)
        if (mine is None) != (nb.their_q < 0):
            self._mpr_dirty = True
        nb.their_q = -1 if mine is None else mine & Q_MAX
        nb.their_rssi = None if mine is None else float(view.rssi[self.me])
        nb.they_keyed = mine is not None and bool(mine & KEYED)
        nb.selects_me = mine is not None and bool(mine & MPR)
        snr = self._snr(nb)
        q = -1 if snr < self.snr_min else min(Q_MAX, int((snr - self.snr_min) * 2))
        if nb.q < 0 or q < 0 or abs(q - nb.q) >= 2:
            nb.q = q
        now_cost = cost_of(nb.q) if self.usable(src, now) else None
        if now_cost != was:
            self._links_maybe_changed(now)
        return True

    def _revive(self, nb, now: float) -> bool:
        """End a MAC-down hold on a sign of life at least ``down_hold_us`` after it began."""
        if nb.down_until == INF and now - nb.down_at >= self.p.down_hold_us:
            nb.down_until = now
            return True
        return False

    def sign_of_life(self, addr: int, now: float) -> None:
        """A verified unicast frame from neighbour ``addr`` (its pairwise key): like a
        HELLO, it ends a MAC-down hold at least ``down_hold_us`` old. A node back in
        range that sends data is then reachable again at once, not at its next HELLO
        (up to ``hello_us`` later)."""
        nb = self.nbs.get(addr)
        if nb is not None and self._revive(nb, now):
            self._links_maybe_changed(now)

    def link_down(self, addr: int, now: float) -> None:
        """The MAC lost every attempt to ``addr``: the link is down until a
        HELLO or a verified unicast frame (:meth:`sign_of_life`) from it
        arrives at least ``down_hold_us`` later."""
        nb = self.nbs.get(addr)
        if nb is not None:
            nb.down_until = INF
            nb.down_at = now
            self._links_maybe_changed(now)

    def expire(self, now: float) -> list:
        """Drop silent neighbours and stale TCs, notice links whose MAC hold
        ended; returns the neighbours dropped."""
        gone = [a for a, nb in self.nbs.items() if now - nb.heard > self.p.nb_hold_us]
        for a in gone:
            del self.nbs[a]
        old = [o for o, (_, t, _) in self.lsdb.items() if now - t > self.p.tc_hold_us]
        for o in old:
            self._drop(o)
        if old:
            self.version += 1
        self._links_maybe_changed(now)
        if gone:
            self._mpr_dirty = True
        return gone

    def _links_maybe_changed(self, now: float) -> None:
        """Re-derive this node's usable links (a key installed, a hold ended, ...)."""
        links = self.usable_links(now)
        if links != self._own:
            self._own = links
            self.version += 1
            self._own_version += 1
        if links != self.advertised:
            self.changed = True

    def _select_mpr(self, now: float) -> None:
        sym = [a for a, nb in sorted(self.nbs.items()) if nb.their_q >= 0 and now - nb.heard <= self.p.nb_hold_us]
        symset = set(sym)
        cover = {a: {b for b, lq in self.nbs[a].listed.items() if b != self.me and b not in symset and lq & Q_MAX}
                 for a in sym}
        need = set().union(*cover.values()) if cover else set()
        chosen: set = set()
        while need:
            best = max(sym, key=lambda a: (len(cover[a] & need), -a))
            gain = cover[best] & need
            if not gain:
                break
            chosen.add(best)
            need -= gain
        self.mpr = chosen

    # ------------------------------------------------------------ messages
    def hello_body(self, now: float) -> dict:
        if self._mpr_dirty:
            self._select_mpr(now)
            self._mpr_dirty = False
        heard = [(a, nb) for a, nb in self.nbs.items() if now - nb.heard <= self.p.nb_hold_us]
        heard.sort(key=lambda x: (not self.keyed(x[0]), -(x[1].rssi or -200), x[0]))
        out = []
        for a, nb in heard[:HELLO_LIST]:
            lq = max(0, nb.q) | (KEYED if self.keyed(a) else 0) | (MPR if a in self.mpr else 0)
            out.append({"addr": a, "link_quality": lq, "rssi_dbm": int(max(-128, min(127, round(nb.rssi or -128))))})
        return {"capabilities": 1 if self.ground else 0, "neighbours": out}

    def tc_body(self, now: float) -> dict:
        """The TC of this node's usable links, under a new message number."""
        links = self.usable_links(now)
        self.tc_seq = (self.tc_seq + 1) & 0xFFFF or 1  # every TC is a new message, forwarded network-wide
        if links != self.advertised:
            self.advertised = links
            self.version += 1  # the shared (advertised) topology changed: multicast trees follow it
        self.changed = False
        return {"capabilities": 1 if self.ground else 0,
                "neighbours": [{"addr": a, "link_quality": max(0, self.nbs[a].q) | KEYED, "rssi_dbm": 0}
                               for a in sorted(links)]}

    def on_tc(self, orig: int, seq: int, body: dict, from_nb: int, now: float, age_us: float = 0.0) -> bool:
        """Store a TC; True if this node must forward it (new, from an MPR selector).
        ``age_us``: the age of the sender's entry (a TC re-sent for wants, or
        forwarded late; netsim option ``tc_age_ms``): the entry is dated that much earlier, so it expires
        when the sender's does (OLSR carries the validity time in the message,
        RFC 7181 §12.1), not a full hold time after the re-send — a dead
        originator's TC would otherwise live on while re-sent among holders."""
        t = now - max(0.0, age_us)
        if orig == self.me:
            if 0 < (seq - self.tc_seq) & 0xFFFF < 0x8000:  # ahead of this node's own number: reclaim it
                self.tc_seq = seq
                self.changed = True
            return False
        held = self.lsdb.get(orig)
        if held is None and len(self.lsdb) >= MAX_ORIGINATORS:
            return False
        if held is not None:
            diff = (seq - held[0]) & 0xFFFF
            if diff == 0:
                self.tc_heard[orig] = now
                if t > held[1]:
                    self.lsdb[orig] = (seq, t, held[2])
            if diff == 0 or diff >= 0x8000:
                return False
        self.tc_heard[orig] = now
        links = {e["addr"]: cost_of(e["link_quality"] & Q_MAX) for e in body["neighbours"]}
        self.tc_bodies[orig] = body
        if held is None or held[2] != links:
            self.version += 1
            self._store(orig, (seq, t, links))
        else:
            self.lsdb[orig] = (seq, t, held[2])
        nb = self.nbs.get(from_nb)
        return nb is not None and nb.selects_me

    def missing(self, now: float) -> tuple:
        """Nodes whose TC this node lacks although it should hold one:
        (usable neighbours — either has usable links, so it sends TCs —,
        the other nodes held TCs list), each sorted."""
        held = self.lsdb
        nbs = sorted(a for a in self.nbs if a not in held and self.usable(a, now))
        listed = {b for _, _, links in held.values() for b in links}
        return nbs, sorted(b for b in listed if b not in held and b != self.me and b not in nbs)

    def reaches(self, orig: int) -> bool:
        """Did this node's last route computation reach ``orig``?"""
        return orig in self._dist

    # ------------------------------------------------------------ shortest paths
    def _store(self, orig: int, entry: tuple) -> None:
        """``lsdb[orig] = entry`` (seq, time, links), the links between originators kept up to date."""
        old = self.lsdb.get(orig)
        self.lsdb[orig] = entry
        self._relink(orig, set(old[2]) | set(entry[2]) if old is not None else set(entry[2]))

    def _drop(self, orig: int) -> None:
        old = self.lsdb.pop(orig)
        self.tc_bodies.pop(orig, None)
        self.tc_heard.pop(orig, None)
        self._relink(orig, set(old[2]))

    def _relink(self, o: int, others) -> None:
        """Re-derive the links between originator ``o`` and ``others`` in
        ``_remote``: a link where both ends' TCs list each other, at the larger cost."""
        r, lsdb = self._remote, self.lsdb
        mine = lsdb[o][2] if o in lsdb else None
        for b in others:
            c = mine.get(b) if mine is not None else None
            back = lsdb.get(b)
            cb = back[2].get(o) if back is not None else None
            if c is not None and cb is not None:
                w = c if c >= cb else cb
                r.setdefault(o, {})[b] = w
                r.setdefault(b, {})[o] = w
            else:
                for x, y in ((o, b), (b, o)):
                    row = r.get(x)
                    if row is not None and y in row:
                        del row[y]
                        if not row:
                            del r[x]

    def _graph(self, now: float, shared: bool = False) -> dict:
        """Symmetric adjacency {a: {b: cost}}: this node's own usable links as
        it sees them, every other link only if both ends advertise it (TC, or —
        for a neighbour whose TC is missing — the keyed links its HELLO lists),
        at the larger of the two advertised costs. (The links between TC
        originators are kept in ``_remote`` as TCs arrive and expire; the
        routes do not depend on the order of the adjacency dicts.)"""
        g = {a: dict(row) for a, row in self._remote.items()}
        me = self.me
        if shared:
            extra = {me: dict(self.advertised)}
        else:
            own = self.usable_links(now)
            extra = {a: {b: cost_of(lq & Q_MAX) for b, lq in self.nbs[a].listed.items() if lq & KEYED}
                     for a in own if a not in self.lsdb}
        for a, links in extra.items():
            for b, c in links.items():
                if b == me and not shared:
                    continue
                back = extra[b] if b in extra else self.lsdb[b][2] if b in self.lsdb else None
                cb = back.get(a) if back is not None else None
                if cb is not None:
                    w = c if c >= cb else cb
                    g.setdefault(a, {})[b] = w
                    g.setdefault(b, {})[a] = w
        if not shared:
            for a, c in own.items():
                g.setdefault(me, {})[a] = c
                g.setdefault(a, {})[me] = c
        return g

    @staticmethod
    def _dijkstra(g: dict, src: int) -> tuple:
        """(distance, predecessor) dicts from ``src``; ties broken by the lower address."""
        dist, pred, done = {src: 0}, {}, set()
        heap = [(0, src)]
        pop, push, get, empty = heapq.heappop, heapq.heappush, g.get, {}
        while heap:
            d, u = pop(heap)
            if u in done:
                continue
            done.add(u)
            for v, w in get(u, empty).items():
                nd = d + w
                dv = dist.get(v)
                if dv is None or nd < dv or (nd == dv and u < pred.get(v, u + 1)):
                    dist[v] = nd
                    pred[v] = u
                    push(heap, (nd, v))
        return dist, pred

    def _spf(self, now: float) -> None:
        """Recompute routes if the database changed: at once when this node's
        own links changed, else at most every ``spf_hold_us`` (SPF throttling)."""
        if self._spf_version == self.version:
            return
        if self._own_version == self._spf_own_version and now - self._spf_time < self.p.spf_hold_us:
            return
        self._g = self._graph(now)
        dist, pred = self._dijkstra(self._g, self.me)
        nxt: dict = {}
        for v in dist:
            if v == self.me:
                continue
            path = [v]
            while path[-1] not in nxt and pred.get(path[-1]) not in (self.me, None):
                path.append(pred[path[-1]])
            hop = nxt[path[-1]] if path[-1] in nxt else path[-1]
            for x in path:
                nxt[x] = hop
        self._dist, self._next = dist, nxt
        self._tree_cache.clear()
        self._to_cache.clear()
        self._shared = None
        self._spf_version = self.version
        self._spf_own_version = self._own_version
        self._spf_time = now

    def next_hop(self, dst: int, now: float) -> int | None:
        """SPF next hop (address) toward ``dst`` or None."""
        self._spf(now)
        return self._next.get(dst)

    def distance(self, dst: int, now: float) -> float:
        self._spf(now)
        return self._dist.get(dst, INF)

    def _dist_to(self, dst: int) -> dict:
        d = self._to_cache.get(dst)
        if d is None:
            d = self._to_cache[dst] = self._dijkstra(self._g, dst)[0]
        return d

    def forward_to(self, dst: int, visited, now: float) -> int | None:
        """The neighbour to send a frame for ``dst`` to, never one in ``visited``
        (SPF next hop, else the cheapest loop-free alternate), or None."""
        nh = self.next_hop(dst, now)
        if nh is not None and nh not in visited and self.usable(nh, now):
            return nh
        to = self._dist_to(dst)
        mine = to.get(self.me, INF)
        best, best_cost = None, INF
        for a, c in self.usable_links(now).items():
            da = to.get(a, INF)
            if a not in visited and da < mine and c + da < best_cost:
                best, best_cost = a, c + da
        return best

    def tree_children(self, orig: int, members, now: float) -> list:
        """Children of this node in ``orig``'s shortest-path tree to ``members`` (addresses)."""
        self._spf(now)
        key = (orig, members)
        kids = self._tree_cache.get(key)
        if kids is None:
            if self._shared is None:
                self._shared = self._graph(now, shared=True)
            _, pred = self._dijkstra(self._shared, orig)
            kids_set = set()
            for m in members:
                k, child = m, None
                while k is not None and k != self.me:
                    child, k = k, pred.get(k)
                if k == self.me and child is not None and m != self.me:
                    kids_set.add(child)
            kids = self._tree_cache[key] = sorted(kids_set)
        return kids
