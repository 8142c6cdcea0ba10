"""A simulated node: the fleet node (:class:`protocol.fleet.Node`: keys,
EDHOC, per-hop protection) composed with the MAC, routing and slot
assignment, forwarding, and its timers.

Frames it sends (all through :mod:`protocol.codec`):

* HELLO / TC (``beacon`` to broadcast, control slots) — built here from
  :mod:`protocol.netsim.routing`'s bodies and secured by the fleet node
  under the fleet's **network key** with a timestamp option
  (:meth:`Node.protect_broadcast`); a relayed TC is secured again by each
  relay. Nothing of a beacon counts before its MIC and timestamp verified;
  the neighbour it speaks for is its (authenticated) MAC source, the radio
  that sent it serves only to measure its RSSI;
* EDHOC messages — the fleet node's ``handshake`` frames
  (:meth:`Node.start_handshake`, :meth:`Node.accept` replies), with the
  ack-request bit set (the MAC acknowledges and retransmits every unicast
  frame);
* data — a frame with a mesh header (originator, final destination,
  mesh_seq, hop limit) and, for paths of 3 hops or more, the
  :data:`~protocol.netsim.routing.VISITED` option, protected for the next
  hop by the fleet node's :class:`protocol.security.SecureLink` (CCM* on
  OpenSSL, :class:`crypto.aead.CCMStar`) and checked by
  :meth:`Node.accept` at the next hop only;
* **carried frames** — a data frame with option
  :data:`~protocol.netsim.routing.CARRIED` whose payload is a whole frame
  for the fleet node at the final destination, protected end to end:
  multicast commands (a ``data`` frame to the group under the group key:
  only members holding the current epoch's key can read them) and the
  authority's deliveries (charters, group keys, revocation lists, network
  keys, sealed under the destination's delivery key) with their acks.

Every frame received goes through :meth:`Node.accept` once (one decode);
only what it returns verified is acted on.

**Key deliveries.** The station (the authority's radio: the first ground
station) hands each delivery to the mesh, addressed to its node, once a
route to it exists, and sends it again (sealed anew) after
``DELIVERY_RETRY_US`` doubling up to ``DELIVERY_RETRY_MAX_US`` until the
node's ack comes back, at most ``DELIVERY_TRIES`` times.

**Rejoin.** A node that missed a network rekey (off, or out of reach, when
it was distributed and switched) cannot verify any HELLO or TC, nor can its
neighbours verify its own: without help it stays cut off (a revoked node
still on the old key may even be the only neighbour it verifies). When it
hears a broadcast under a network key id newer than any it holds (the
authority hands ids out in cyclic order), it takes a source of such frames
as its **rejoin parent** (:mod:`protocol.netsim.rejoin`: which one, and
when to try another): it runs EDHOC with it (unsecured handshake frames
need no network key; the parent's certificate is checked as always) and
sends the authority a rejoin request (:meth:`protocol.fleet.Node.rejoin_request`,
sealed under its delivery key, naming the parent and the network epoch and
revocation-list serial it holds) through it. The station answers with
:meth:`protocol.fleet.FleetAuthority.rejoin`'s frames, each carried to the
parent with the sealed frame for the node inside; the parent, holding a
pairwise key with the node, hands it over; the node's acks go back through
the parent. Once it holds the key the station sends under, the next
broadcast it verifies switches it, and it is an ordinary neighbour again
(``keying.rejoins_ms``). A broadcast that does not verify changes only the
bounded rejoin state of :mod:`protocol.netsim.rejoin`.

Keying: a node sets up pairwise keys (EDHOC initiated by the lower address,
or by the higher one if the lower has not started within
``KEYING_PATIENCE_US``) with every ground station it hears and with its best
neighbours up to ``max_peers``; ground stations take every usable neighbour.
It chooses at its own HELLOs during start-up (every ``hello_fast_us``, so it
hears more neighbours before it spends ``max_peers``) and, once settled, at
the HELLO that makes a new neighbour a candidate (a joiner does not wait up
to ``hello_us`` for it). A new neighbour, a link newly keyed and a TC naming
nodes whose TCs it lacks each bring a HELLO forward (at most one every
``hello_fast_us``), so symmetry, the keyed bit and the node's wants (TC
repair, :mod:`protocol.netsim.routing`) travel at once.
A link is keyed at the initiator when the ACK of message_3 comes back and at
the responder when message_3 verifies. Each EDHOC step costs
``EDHOC_STEP_US`` of processing before its reply leaves (an assumption for
an SM2/P-256 accelerator class).
"""

from protocol import codec
from protocol import frames as F
from protocol.errors import FrameError
from protocol.netsim import hopping as H
from protocol.netsim import rejoin as RJ
from protocol.netsim import reservations as RS
from protocol.netsim import routing as R
from protocol.netsim import slots as S
from protocol.netsim.mac import Mac
from protocol.netsim.medium import CCA_DBM
from protocol.netsim.routing import LinkState
from protocol.security import is_unicast

DELIVERY_RETRY_US = 200_000.0
DELIVERY_RETRY_MAX_US = 1_600_000.0
DELIVERY_TRIES = 12
EDHOC_STEP_US = 2000.0
KEYING_PATIENCE_US = 400_000.0
PC_MARGIN_DB = 10.0  # power control: margin above the SINR of 1 % PER
MIN_POWER_DBM = 0.0
HIDDEN_MARGIN_DB = 6.0  # a neighbour heard less than this above the CCA threshold may be missed by carrier sense
ACK_OR_REJOIN = (F.FRAME_TYPE_CODES["ack"], F.FRAME_TYPE_CODES["handshake"])  # a node's frames to the authority
HELLO_MAX_WAIT_US = 500_000.0  # a HELLO queued this long leaves ahead of the TCs (Mac.broadcast max_wait_us)
AGE_MIN_US = 50_000.0  # a held TC leaving this long after its entry's date carries its age (beyond a flood's jitter)
TC_AGE = F.OPTION_CODES["tc_age_ms"]  # TC option (u32 LE, ms): the age of the sender's entry (Beacon)
TX_POWER_OPTION = F.OPTION_CODES["tx_power_dbm"]
LINK_DOWN_AFTER = 2  # frames in a row lost after every retransmission take the link down
WANT = F.OPTION_CODES["want_tc"]  # HELLO option: u16 addresses of originators whose TC the sender lacks
MAX_WANTS = 4
REPAIR_US = 1_000_000.0  # a held TC is re-sent for neighbours' wants at most this often


class Beacon:
    """A HELLO or TC queued unsealed (:meth:`SimNode._queue_beacon`); the MAC
    calls it as the frame leaves, which seals it — each call takes a frame
    counter, so only the MAC calls it; read ``body``, ``mesh`` and
    ``options`` to see what it will carry. ``dated``: for a TC this node
    holds (forwarded, or re-sent for wants), the date of its entry; a TC that
    leaves :data:`AGE_MIN_US` or more after it carries its age (option
    :data:`TC_AGE`), so receivers date it as this node did (a forward that
    waited in a backed-up control channel is not taken as fresh — the error
    of dating it at arrival grew with the queue; one sent within a flood's
    jitter and a short wait carries none)."""

    __slots__ = ("node", "body", "mesh", "options", "dated")

    def __init__(self, node, body: dict, mesh, options, dated):
        self.node, self.body, self.mesh, self.options, self.dated = node, body, mesh, options, dated

    def __call__(self) -> bytes:
        nd, opts = self.node, self.options
        if self.dated is not None:
            age_us = nd.w.engine.now - self.dated
            if age_us >= AGE_MIN_US:
                age_ms = min(int(age_us // 1000), 0xFFFFFFFF)
                opts = [*(opts or ()), {"type": TC_AGE, "value": age_ms.to_bytes(4, "little")}]
        return nd._protect_broadcast(nd._frame("beacon", F.BROADCAST, self.body, mesh=self.mesh, options=opts))


class Meta:
    """What the simulator (not the air) knows about one frame in flight."""

    __slots__ = ("kind", "key", "flow", "t0", "path", "final", "payload", "hop_limit", "visited", "prev",
                 "reroutes", "peer", "copy", "carried")

    def __init__(self, kind, key=None, flow=-1, t0=0.0, path=None, final=None, payload=b"", hop_limit=0,
                 visited=(), prev=None, peer=None, copy=0, carried=None):
        self.kind, self.key, self.flow, self.t0 = kind, key, flow, t0
        self.path = path if path is not None else []
        self.final, self.payload, self.hop_limit = final, payload, hop_limit
        self.visited, self.prev, self.reroutes, self.peer, self.copy = visited, prev, 0, peer, copy
        self.carried = carried  # the end-to-end protected frame a data frame carries (None: payload is plain)


class Delivery:
    """One sealed frame the station must get to node ``dst`` (until its ack)."""

    __slots__ = ("dst", "data", "tries", "next_us", "done", "via")

    def __init__(self, dst: int, data: bytes, now: float, via: int | None = None):
        self.dst, self.data, self.tries, self.next_us, self.done = dst, data, 0, now, False
        self.via = via  # a rejoining node's parent: the frame goes to it while dst has no route


class SimNode:
    def __init__(self, world, index: int, spec, fleet_node, max_peers: int):
        self.w = world
        self.i = index
        self.address = spec.address
        self.spec = spec
        self.ground = spec.role == "ground"
        self.fleet = fleet_node
        self.max_peers = max_peers
        self.power = spec.tx_power_dbm
        self.slots = S.SlotAssignment(self.address)
        self.keyed_peers: set = set()
        self.pending: dict = {}  # peer -> time the handshake started
        self.wanted_since: dict = {}  # peer -> time it became a keying candidate
        self.routing = LinkState(self.address, world.index, world.rparams, self._keyed, world.snr_min_db,
                                 world.medium.noise_dbm, self.ground)
        self.windows = RS.Reservations(self.address, world.timing.slot, world.channel_class, world.multi_chain,
                                       self._hello_soon, self._hidden)
        self.mac = Mac(world, index, self.address, world.mac_params, world.timing, self.slots, self.windows)
        self.alive = False
        self.on_since = None
        self.on_us = 0.0
        self.mesh_seq = 0
        self.seen: dict = {}  # (originator, mesh_seq) -> time
        self.tc_next_allowed = 0.0
        self.tc_pending = False
        self.jitter = world.engine.rng(f"jitter/{self.address}")
        self.grant_list: list = []  # a ground station's slot grants, as its last HELLO announced them
        self.hello_soon = False
        self.last_hello = -1e18
        self.last_tc = -1e18
        self.resent: dict = {}  # originator held -> the last time this node re-sent its TC for a want
        self.answered: dict = {}  # keyed neighbour -> [start of its hello_fast_us window, wants answered in it]
        self.want_turn = 0  # rotation of the wants when more than MAX_WANTS are missing
        self.missing_seen: set = set()  # what was missing at the last check (a new entry brings a HELLO forward)
        self.keyed_at_once = -1e18  # the last time a HELLO made this settled node start keying
        self.lost_in_row: dict = {}  # neighbour -> frames in a row that exhausted their retransmissions
        self.deliveries: list = []  # the station's sealed frames not yet acknowledged
        self.opened = 0  # multicast commands this node opened (group key verified)
        self.failed = False  # a scenario failure switched it off for good
        self.network_key = fleet_node.link.network_tx  # the network key id it sends under, as last seen
        self.rejoin = RJ.RejoinState(world.engine.rng(f"rejoin/{self.address}"))

    def _hidden(self, addr: int) -> bool:
        """Is neighbour ``addr`` too weak here for carrier sense to hear it (its HELLOs' level, less a margin)?"""
        nb = self.routing.nbs.get(addr)
        return nb is None or nb.rssi is None or nb.rssi < CCA_DBM + HIDDEN_MARGIN_DB

    # ------------------------------------------------------------ life cycle
    def _keyed(self, addr: int) -> bool:
        """Keyed by a completed handshake, and the key still held (a revocation drops it)."""
        return addr in self.keyed_peers and addr in self.fleet.link.pairwise

    def power_on(self) -> None:
        w, now = self.w, self.w.engine.now
        self.alive = True
        self.on_since = now
        rng = w.engine.rng(f"timers/{self.address}")
        p = w.rparams
        first = now + float(rng.uniform(0, p.hello_fast_us))
        w.engine.every(first, p.hello_fast_us, self._hello_fast)
        w.engine.at(now + p.fast_for_us + float(rng.uniform(0, p.hello_us)), self._hello_slow)
        w.engine.at(now + p.fast_for_us + float(rng.uniform(0, p.tc_us)), self._tc_periodic)
        w.engine.log("on", self.address)

    def power_off(self) -> None:
        if not self.alive:
            return
        self.alive = False
        self.on_us += self.w.engine.now - self.on_since
        self.mac.power_off()
        self.w.medium.off[self.i] = True
        self.w.engine.log("off", self.address)

    def _hello_fast(self):
        if not self.alive or self.w.engine.now - self.on_since >= self.w.rparams.fast_for_us:
            return False
        self.send_hello()

    def _hello_slow(self):
        if not self.alive:
            return
        self.send_hello()
        self.w.engine.at(self.w.engine.now + self.w.rparams.hello_us, self._hello_slow)

    def _tc_periodic(self):
        if not self.alive:
            return
        self.send_tc()
        self.w.engine.at(self.w.engine.now + self.w.rparams.tc_us, self._tc_periodic)

    # ------------------------------------------------------------ control frames
    def _frame(self, ftype: str, dst: int, body: dict, mesh=None, options=None) -> dict:
        self.fleet.seq = (self.fleet.seq + 1) & 0xFF  # one MAC sequence space with the fleet node's own frames
        return {"type": ftype, "version": 0, "seq": self.fleet.seq, "net": self.w.net, "dst": dst,
                "src": self.address, "ack_req": dst != F.BROADCAST, "mesh": mesh, "options": options,
                "security": None, "body": body}

    def _hello_soon(self) -> None:
        """A new neighbour, or a link newly keyed: a HELLO, so the neighbour
        learns the link is symmetric (keyed) without waiting a HELLO period
        (a HELLO also carries this node's wants, :meth:`_wants`): within U(0, jitter), or, if
        this node sent one less than ``hello_fast_us`` ago, that long after it
        (at most one pending; none if another HELLO went out meanwhile)."""
        fast = self.w.rparams.hello_fast_us
        self.hello_after_jitter(max(0.0, self.last_hello + fast - self.w.engine.now), fast)

    def hello_after_jitter(self, delay_us: float = 0.0, unless_within_us: float = 0.0) -> None:
        """A HELLO after ``delay_us`` and a jitter of U(0, jitter_us) (one at a
        time), skipped if another HELLO went out less than ``unless_within_us`` before."""
        now = self.w.engine.now
        if self.hello_soon:
            return
        self.hello_soon = True

        def go():
            self.hello_soon = False
            if self.alive and self.w.engine.now - self.last_hello >= unless_within_us:
                self.send_hello()
        self.w.engine.at(now + delay_us + float(self.jitter.uniform(0, self.w.rparams.jitter_us)), go)

    def _protect_broadcast(self, frame: dict) -> bytes:
        """``frame`` secured under the network key (which may be the next one
        from now: a pending key past its deadline is switched to first)."""
        data = self.fleet.protect_broadcast(frame)
        self.w.network_switched(self)
        return data

    def send_hello(self) -> None:
        now = self.w.engine.now
        self.last_hello = now
        self._expire_neighbours(now)
        body = self.routing.hello_body(now)
        listed = [e["addr"] for e in body["neighbours"]]
        if self.ground:  # the grant order of its channel (mac._priority): keyed neighbours first, as listed
            self.grant_list = [e["addr"] for e in body["neighbours"] if e["link_quality"] & R.KEYED]
        opts = [{"type": TX_POWER_OPTION, "value": bytes([int(round(self.power)) & 0xFF])},
                {"type": S.OPTION, "value": self.slots.option(listed)}]
        self.windows.expire(now)
        held = self.windows.option()
        if held:
            opts.append({"type": RS.OPTION, "value": held})
        bad = self.w.medium.jammed_channels(self.i, H.BAD_FLOOR_DB)
        if bad:
            opts.append({"type": H.BAD_CHANNELS, "value": H.bad_bitmap(bad)})
        wants = self._wants(now, advance=not self.mac.queued("hello"))
        if wants:
            opts.append({"type": WANT, "value": b"".join(o.to_bytes(2, "little") for o in wants)})
        self._queue_beacon("hello", body, "hello", options=opts)
        self._maybe_tc()
        self._keying(now)

    def _expire_neighbours(self, now: float) -> None:
        """Drop neighbours not heard for the hold time, and what this node kept of them."""
        for gone in self.routing.expire(now):
            self.slots.forget(gone)
            self.windows.forget(gone)
            self.fleet.forget_neighbour(gone)  # its old beacons are refused by their timestamps
            self.w.engine.log("nb-lost", self.address, gone)

    def send_tc(self) -> None:
        now = self.w.engine.now
        self._expire_neighbours(now)
        if not self.routing.usable_links(now) and not self.routing.advertised:
            return
        body = self.routing.tc_body(now)
        mesh = {"hop_limit": self.w.rparams.hop_limit, "originator": self.address, "final_dst": F.BROADCAST,
                "mesh_seq": self.routing.tc_seq}
        self._broadcast_tc(body, mesh)
        self.tc_next_allowed = now + self.w.rparams.tc_min_us
        self.last_tc = now
        self.w.engine.log("tc", self.address, self.routing.tc_seq, len(body["neighbours"]))

    def _broadcast_tc(self, body: dict, mesh: dict, dated: float | None = None) -> None:
        """Queue a TC beacon: this node's own, or one it holds — forwarded or re-sent for wants —
        with ``dated``, the date of its entry, which the TC carries as an age (:class:`Beacon`)."""
        self._queue_beacon("tc", body, mesh["originator"], mesh=mesh, dated=dated)

    def _queue_beacon(self, kind: str, body: dict, key, mesh=None, options=None, dated=None) -> None:
        """Queue a HELLO or TC under supersede key ``key`` (:meth:`Mac.broadcast`: a newer one
        replaces a queued one). It is sealed under the network key when the MAC sends it, as a
        radio's firmware seals a frame as it hands it to the modem: its timestamp and frame
        counter are those of the moment it leaves, so a beacon that waited in a backed-up
        control channel is not refused as old (sealed when queued, 926 were dropped as older
        than the 1 s beacon window in a 101-drone swarm's first 8 s), and beacons leave in
        frame-counter order whatever the queue did (the receivers' replay windows refuse a
        counter 64 below the newest)."""
        self.mac.broadcast(Beacon(self, body, mesh, options, dated), Meta(kind), power_dbm=self.power, kind=kind,
                           supersedes=key, max_wait_us=HELLO_MAX_WAIT_US if kind == "hello" else None)

    # ------------------------------------------------------------ TC repair
    def _wants(self, now: float, advance: bool = True) -> list:
        """The originators whose TC this node asks its neighbours for (HELLO
        option :data:`WANT`): those it lacks (:meth:`LinkState.missing`: a TC
        flooded while the two were not yet connected, or lost on the way —
        broadcasts have no ACK — reaches nobody until the originator's next
        periodic TC, up to ``tc_us`` later), :data:`MAX_WANTS` at a time:
        usable neighbours first, then the others in turn (so no entry, made
        up by an insider or real, keeps the rest from being asked for). The
        turn moves on only if the last HELLO left (``advance``): a HELLO that
        replaces a queued one (:meth:`Mac.broadcast` supersedes) asks for what
        that one would have."""
        nbs, others = self.routing.missing(now)
        room = MAX_WANTS - len(nbs)
        if room > 0 and len(others) > room:
            if advance:
                self.want_turn = (self.want_turn + room) % len(others)
            others = others[self.want_turn:] + others[:self.want_turn]
        return (nbs + others)[:MAX_WANTS]

    def _on_wants(self, src: int, value: bytes | None) -> None:
        """A verified HELLO from ``src``, a keyed neighbour, that wants TCs.
        This node's own TC is sent again (flooded, as a triggered TC) if its
        last one left at least ``REPAIR_US`` ago (lost, not still on its
        way); a held TC of an originator this node reaches is re-sent with
        hop limit 1 after a jitter, unless a copy arrives meanwhile (another
        neighbour answered), at most every ``REPAIR_US``; a usable neighbour
        whose TC this node lacks too is in its own wants, and its next HELLO
        comes forward. At most :data:`MAX_WANTS` answers per requester per
        ``hello_fast_us`` (one HELLO's worth): an insider cycling its wants
        through many originators gets at most 16 TCs a second re-sent by each
        neighbour, each at most once a second, and TCs it forged for made-up
        originators (unreachable) none. State: a time per originator held and
        per keyed neighbour."""
        if not value or not self._keyed(src):
            return
        now, this = self.w.engine.now, self.address
        window = self.answered.get(src)
        if window is None or now - window[0] >= self.w.rparams.hello_fast_us:
            window = self.answered[src] = [now, 0]
        for k in range(0, min(len(value) - len(value) % 2, 2 * MAX_WANTS), 2):
            if window[1] >= MAX_WANTS:
                break
            o = int.from_bytes(value[k:k + 2], "little")
            if o == this:  # a flood to the whole network: only if its last TC is REPAIR_US old (lost, not late)
                if not self.tc_pending and now - self.last_tc >= REPAIR_US and self.routing.usable_links(now):
                    window[1] += 1
                    self.w.count("own TCs sent again for wants")
                    self.routing.changed = True
                    self._maybe_tc()
            elif o in self.routing.tc_bodies and self.routing.reaches(o):
                if now - self.resent.get(o, -1e18) >= REPAIR_US:
                    window[1] += 1
                    self.resent[o] = now
                    self.w.engine.at(now + float(self.jitter.uniform(0, self.w.rparams.jitter_us)), self._resend_tc, o,
                                     now)
            elif o in self.routing.nbs and self.routing.usable(o, now):
                self._hello_soon()
        if len(self.resent) > R.MAX_ORIGINATORS:
            self.resent = {o: t for o, t in self.resent.items() if now - t < REPAIR_US}
        if len(self.answered) > R.MAX_NEIGHBOURS:
            self.answered = {a: w for a, w in self.answered.items() if now - w[0] < self.w.rparams.hello_fast_us}

    def _resend_tc(self, orig: int, asked: float) -> None:
        held = self.routing.lsdb.get(orig)
        if not self.alive or held is None or self.routing.tc_heard[orig] > asked:  # gone, or a copy came: answered
            return
        if self.mac.queued(orig):  # a copy is queued here (a forward: it must not become a hop-limit-1 copy)
            return
        self.w.count("TCs re-sent for wants")
        mesh = {"hop_limit": 1, "originator": orig, "final_dst": F.BROADCAST, "mesh_seq": held[0]}
        self._broadcast_tc(self.routing.tc_bodies[orig], mesh, dated=held[1])

    def _maybe_tc(self) -> None:
        """A triggered TC when this node's usable links changed: after a jitter
        of U(0, jitter_us) (RFC 5148: neighbours that notice the same change
        must not send at once), and at most every tc_min_us."""
        if not self.routing.changed or self.tc_pending or not self.alive:
            return
        now = self.w.engine.now
        self.tc_pending = True

        def later():
            self.tc_pending = False
            if self.alive and self.routing.changed:
                self.send_tc()
        at = max(now, self.tc_next_allowed) + float(self.jitter.uniform(0, self.w.rparams.jitter_us))
        self.w.engine.at(at, later)

    def routing_changed(self) -> None:
        self._maybe_tc()
        self.w.route_event()

    # ------------------------------------------------------------ keying
    def _keying(self, now: float) -> None:
        """Start handshakes with the neighbours this node wants keys with."""
        nbs = self.routing.nbs
        cands = [a for a, nb in nbs.items() if nb.q >= 0 and nb.their_q >= 0 and a not in self.keyed_peers
                 and a not in self.pending and a in self.w.index]
        ground = [a for a in cands if self.w.is_ground(a)]
        others = sorted((a for a in cands if not self.w.is_ground(a)), key=lambda a: (-nbs[a].rssi, a))
        budget = len(others) if self.ground else self._drone_budget()
        for a in ground + others[:budget]:
            since = self.wanted_since.setdefault(a, now)
            if self.address < a or now - since >= KEYING_PATIENCE_US:
                self._start_handshake(a)

    def _drone_budget(self) -> int:
        """Drone peers this drone may still start keying (``max_peers``; ground stations do not count)."""
        return max(0, self.max_peers - len(self.keyed_peers) - len(self.pending)
                   + sum(1 for a in self.keyed_peers if self.w.is_ground(a)))

    def _start_handshake(self, peer: int) -> None:
        try:
            msg = self.fleet.start_handshake(peer)
        except FrameError as exc:
            self.w.engine.log("hs-refused", self.address, peer, type(exc).__name__)
            return
        self.pending[peer] = self.w.engine.now
        self.w.keying_started(self, peer)
        self._send_handshake(msg, peer, 1)

    def _send_handshake(self, msg: bytes, peer: int, no: int) -> None:
        if peer not in self.w.index:  # an answer to a source no radio has (a forged message_1)
            self.w.count("handshake reply to no node")
            return
        f = codec.decode(msg)
        f["ack_req"] = True
        data = codec.encode(f)
        self.mac.send(data, self.w.index[peer], Meta(f"hs{no}", peer=peer), power_dbm=self.power, kind="hs")

    def _key_done(self, peer: int) -> None:
        if peer in self.keyed_peers:
            return
        self.keyed_peers.add(peer)
        self.pending.pop(peer, None)
        self._expire_neighbours(self.w.engine.now)
        self.w.engine.log("keyed", self.address, peer)
        self.w.keyed(self, peer)
        self.routing_changed()
        self._hello_soon()  # the peer learns the link is keyed (usable) now, not at the next HELLO
        if peer == self.rejoin.parent:
            self._send_rejoin()

    # ------------------------------------------------------------ rejoin (protocol.netsim.rejoin)
    def _unknown_network_key(self, data: bytes, src: int) -> None:
        """A broadcast from ``src`` refused: if it is under a network key
        newer than any this node holds, this node missed a rekey and ``src``
        is a candidate to relay its rejoin."""
        try:
            sec = self.w.decode_broadcast(data)["security"]
        except FrameError:
            return
        newest = self.fleet.keys.pending_network or self.fleet.link.network_tx
        if sec is None or sec["key_id"] in self.fleet.link.network or not RJ.newer(sec["key_id"], newest):
            return
        if src in self.w.index and src != self.address:  # (no radio at an address: no EDHOC could answer)
            self.rejoin.heard(src)
        self._rejoin_try()

    def _rejoin_try(self) -> None:
        """Start a rejoin attempt if one may start now."""
        now = self.w.engine.now
        parent = self.rejoin.start(now, self.fleet.keys.network_epoch, self.keyed_peers)
        if parent is None:
            return
        self.w.count("rejoin attempts")
        self.w.engine.log("rejoin", self.address, parent)
        self.w.engine.at(now + RJ.RETRY_US, self._rejoin_expire, now)
        if self._keyed(parent):
            self._send_rejoin()
        elif parent not in self.pending:
            self._start_handshake(parent)

    def _send_rejoin(self) -> None:
        try:
            req = self.fleet.rejoin_request(self.w.station.address, self.rejoin.parent)
        except FrameError as exc:
            self.w.count(f"rejoin request: {type(exc).__name__}")
            return
        self.carry(self.w.station.address, req)

    def _rejoin_expire(self, since: float) -> None:
        if self.rejoin.since == since and self.rejoin.expire(self.w.engine.now, self.fleet.keys.network_epoch):
            self.w.count("rejoin attempts abandoned")
            self._rejoin_try()

    def _rejoined(self) -> None:
        """A broadcast verified: the end of a rejoin that brought a newer key."""
        parent, first = self.rejoin.parent, self.rejoin.first
        if self.rejoin.done(self.fleet.keys.network_epoch):
            self.w.rejoined(self, parent, first)

    # ------------------------------------------------------------ receiving
    def on_frame(self, data: bytes, radio: int, meta, t: float) -> None:
        """A frame received correctly at ``t`` from the radio of node
        ``radio`` (address; the simulator's truth, used only to measure the
        RSSI). Everything else comes from the frame, once the fleet node
        verified it (:meth:`Node.accept`, one decode)."""
        if not self.alive:
            return
        broadcast = data[5:7] == b"\xff\xff"  # protocol.frames.MacHeader: fc, seq, net, dst
        # a broadcast (secured under the network key, or refused) never changes pairwise keys: no copy for it
        keys_before = None if broadcast else dict(self.fleet.link.pairwise)
        try:
            f, replies = self.fleet.accept(data, self.w.decode_broadcast(data) if broadcast else None)
        except FrameError as exc:
            self.w.engine.log("sec-drop", self.address, radio, type(exc).__name__)
            self.w.count(f"security: {type(exc).__name__}")
            if broadcast:
                self._unknown_network_key(data, self.w.frame_src(data))
            return
        if broadcast:  # verified under the next network key: switched to it (protocol.fleet.keys)
            self.w.network_switched(self)
            self._rejoined()
        if f is None:  # a handshake (or statement) the fleet node consumed
            if keys_before is not None:
                self._after_handshake(keys_before, replies)
        elif f["dst"] == F.BROADCAST:
            if f["type"] == "beacon":
                self._on_beacon(f, radio, data)
        elif f["type"] == "data":
            self._on_data(f, meta, t)
        else:
            self.w.count(f"{f['type']} frame ignored")

    def _after_handshake(self, keys_before: dict, replies: list) -> None:
        """A key new or changed without a reply: message_3 verified (responder
        done); with a reply: message_2 verified (message_3 goes back) or
        message_1 (message_2 goes back)."""
        keys = self.fleet.link.pairwise
        changed = [p for p, k in keys.items() if keys_before.get(p) is not k]
        if not replies:
            for p in changed:
                self._key_done(p)
            return
        for r in replies:
            peer = int.from_bytes(r[5:7], "little")  # protocol.frames.MacHeader: fc, seq, net, dst
            self.pending.setdefault(peer, self.w.engine.now)
            self.w.engine.at(self.w.engine.now + EDHOC_STEP_US, self._send_handshake, r, peer,
                             3 if peer in changed else 2)

    def _on_beacon(self, f: dict, radio: int, data: bytes) -> None:
        now = self.w.engine.now
        src = f["src"]
        if f["mesh"] is None:  # HELLO
            opts = {o["type"]: o["value"] for o in f["options"] or ()}
            view = self.w.hello_view(data, f["body"])
            p = opts.get(TX_POWER_OPTION)
            tx_power = float(int.from_bytes(p, "little", signed=True)) if p else self.power
            rssi = self.w.medium.rx_power_dbm(self.w.index[radio], self.i, tx_power)
            before = self.routing.version
            if src not in self.routing.nbs:
                self._hello_soon()
            if not self.routing.on_hello(src, view, tx_power, rssi, now):
                self.w.count("neighbour table full")
                return
            self.slots.on_hello(src, opts.get(S.OPTION), view.order)
            if self.w.mac_params.reservations:
                self.windows.on_hello(src, opts.get(RS.OPTION), now)
            self._on_wants(src, opts.get(WANT))
            bad = opts.get(H.BAD_CHANNELS)
            src_i = self.w.index.get(src)
            if src_i is not None:
                self.mac.blacklist.set_advertised(src_i, H.parse_bad(bad) if bad else frozenset())
            if self.routing.version != before:
                self.routing_changed()
            nb = self.routing.nbs.get(src)
            if (nb is not None and nb.q >= 0 and nb.their_q >= 0 and src not in self.keyed_peers
                    and now - self.on_since >= self.w.rparams.fast_for_us
                    and now - self.keyed_at_once >= self.w.rparams.hello_fast_us
                    and (self.ground or self.w.is_ground(src) or self._drone_budget() > 0)):
                # a new candidate once this node has settled (a joiner): key now, not at this node's next
                # HELLO, up to hello_us away; during start-up the next HELLO is at most hello_fast_us away,
                # and choosing at HELLOs lets a node hear more neighbours before it spends its max_peers; at
                # most every hello_fast_us (an insider's HELLOs in other nodes' names would restart handshakes)
                self.keyed_at_once = now
                self._keying(now)
            return
        m = f["mesh"]
        before = self.routing.version
        age = next((o["value"] for o in f["options"] or () if o["type"] == TC_AGE), None)
        age_us = 1000.0 * int.from_bytes(age[:4], "little") if age else 0.0
        fwd = self.routing.on_tc(m["originator"], m["mesh_seq"], f["body"], src, now, age_us)
        if self.routing.version != before:
            self.w.route_event()
            if not self.hello_soon:  # a TC that names nodes whose TCs this node lacks: ask soon
                missing = set().union(*self.routing.missing(now))
                if missing - self.missing_seen:
                    self._hello_soon()
                self.missing_seen = missing
        if self.routing.changed:  # e.g. a TC in this node's name with a number ahead of its own
            self._maybe_tc()
        if fwd and m["hop_limit"] > 1:
            mesh = dict(m, hop_limit=m["hop_limit"] - 1)
            self.w.engine.at(now + float(self.jitter.uniform(0, self.w.rparams.jitter_us)), self._forward_tc, f, mesh)

    def _forward_tc(self, f: dict, mesh: dict) -> None:
        """Forward a TC after its jitter, unless a newer one of its originator came meanwhile (its own
        forward is due; queued later, this one would supersede it in the MAC's queue)."""
        held = self.routing.lsdb.get(mesh["originator"])
        if self.alive and held is not None and held[0] == mesh["mesh_seq"]:
            self._broadcast_tc(f["body"], mesh, dated=held[1])

    def handshake_sent(self, meta, ok: bool) -> None:
        if meta.kind == "hs3" and ok:
            self._key_done(meta.peer)
        elif not ok:
            self.pending.pop(meta.peer, None)
            self.wanted_since.pop(meta.peer, None)
            if meta.peer == self.rejoin.parent and self.rejoin.abandon():
                self.w.count("rejoin attempts abandoned")  # nobody answered the handshake: the next candidate
                self._rejoin_try()

    # ------------------------------------------------------------ data
    def tx_power_to(self, addr: int) -> float:
        """Power control: the power that gives the link ``PC_MARGIN_DB`` over the SINR of 1 % PER."""
        if not self.w.power_control:
            return self.power
        nb = self.routing.nbs.get(addr)
        if nb is None or nb.rssi is None:
            return self.power
        gain = nb.rssi - nb.tx_power
        need = self.w.medium.noise_dbm + self.w.snr_1pct_db + PC_MARGIN_DB - gain
        return round(min(self.power, max(MIN_POWER_DBM, need)), 1)

    def originate(self, flow: int, final: int, payload: bytes, key_cb) -> None:
        """A new application packet of flow ``flow`` to ``final`` (a node or a
        group). A packet to a group is a frame under the group's key, carried
        end to end (dropped if this node holds no key of the group yet)."""
        carried = None
        if F.MULTICAST_FIRST <= final <= F.MULTICAST_LAST:
            try:
                carried = self.fleet.send(final, "data", {"proto": "raw", "payload": payload})
            except FrameError:
                carried = b""
        self.mesh_seq = (self.mesh_seq + 1) & 0xFFFF
        key = (self.address, self.mesh_seq)
        meta = Meta("data", key=key, flow=flow, t0=self.w.engine.now, path=[self.address], final=final,
                    payload=payload, hop_limit=self.w.rparams.hop_limit, visited=(), prev=None, carried=carried)
        key_cb(key, meta)
        if carried == b"":
            self.w.dropped(meta, "no group key", self.address)
            return
        self.seen[key] = self.w.engine.now
        self._route(meta)

    # ------------------------------------------------------------ frames carried end to end
    def carry(self, dst: int, frame: bytes, kind: str = "key") -> None:
        """Hand a fleet frame for node ``dst`` to the mesh (an ack, a delivery)."""
        self.mesh_seq = (self.mesh_seq + 1) & 0xFFFF
        key = (self.address, self.mesh_seq)
        meta = Meta(kind, key=key, t0=self.w.engine.now, path=[self.address], final=dst,
                    hop_limit=self.w.rparams.hop_limit, carried=frame)
        self.seen[key] = self.w.engine.now
        self._route(meta)

    def deliver_later(self, frames: list, via: int | None = None) -> None:
        """The station: sealed frames (each to the node its destination
        names) to get through, sent again until acknowledged; ``via``: the
        rejoin parent to carry them to while their node has no route."""
        now = self.w.engine.now
        for fr in frames:
            self.deliveries.append(Delivery(int.from_bytes(fr[5:7], "little"), fr, now, via))
        if frames:
            self.w.engine.at(now, self._deliveries_tick)

    def _deliveries_tick(self) -> None:
        if not self.alive:
            return
        now, nxt = self.w.engine.now, None
        for d in self.deliveries:
            if d.done or d.next_us > now:
                nxt = d.next_us if not d.done and (nxt is None or d.next_us < nxt) else nxt
                continue
            if d.tries >= DELIVERY_TRIES:
                d.done = True
                self.w.count("delivery abandoned")
                continue
            to = self._delivery_hop(d, now)
            if to is not None:
                if d.tries:
                    again = self.w.authority.resend(self.fleet, d.data)
                    if again is None:  # acknowledged meanwhile
                        d.done = True
                        continue
                    self.w.resealed(d.data, again)
                    d.data = again
                    self.w.count("delivery retries")
                self.carry(to, d.data)
                d.tries += 1
            d.next_us = now + min(DELIVERY_RETRY_MAX_US, DELIVERY_RETRY_US * 2 ** max(0, d.tries - 1))
            nxt = d.next_us if nxt is None else min(nxt, d.next_us)
        self.deliveries = [d for d in self.deliveries if not d.done]
        if nxt is not None:
            self.w.engine.at(nxt, self._deliveries_tick)

    def _delivery_hop(self, d: Delivery, now: float):
        """Where the station hands delivery ``d`` to the mesh now: its node if
        routed, else its rejoin parent (routed, or the node itself if the
        station is the parent), else nowhere yet (None)."""
        if d.dst not in self.w.index:
            return None
        if self.routing.forward_to(d.dst, {self.address}, now) is not None:
            return d.dst
        if d.via == self.address and self._keyed(d.dst):
            return d.dst  # carried to the node directly (_route: a keyed peer)
        if d.via is not None and self.routing.forward_to(d.via, {self.address}, now) is not None:
            return d.via
        return None

    def _open_carried(self, meta, frame: bytes, t: float, origin: int | None = None) -> None:
        """A carried frame has reached this node: its destination (``origin``:
        the mesh originator), or a member of its group (``origin`` None)."""
        if len(frame) < 9:  # not even a MAC header (protocol.frames.MacHeader: fc, seq, net, dst, src)
            self.w.count("carried frame too short")
            return
        inner = int.from_bytes(frame[5:7], "little")
        if inner != self.address and is_unicast(inner):
            # a frame for another node: the station's answer to a rejoin this node relays, handed on only if
            # the station sent it here (not a group's copy: k members would make k) and to a node it holds a
            # pairwise key with
            if origin == self.w.station.address and self._keyed(inner):
                self.w.count("rejoin frames relayed")
                self.carry(inner, frame)
            else:
                self.w.count("carried frame for another node refused")
            return
        if self.w.station is self and frame[0] >> 2 & 0xF in ACK_OR_REJOIN:
            self._authority_frame(frame)
            return
        offered = self.fleet.network_deliveries
        try:
            f, replies = self.fleet.accept(frame)
        except FrameError as exc:
            self.w.engine.log("e2e-drop", self.address, *meta.key, type(exc).__name__)
            self.w.count(f"end to end: {type(exc).__name__}")
            return
        if self.rejoin.parent is not None and self.fleet.network_deliveries > offered:
            self.rejoin.answered = True  # the station's network key opened (its answer's last frame): answered
        for r in replies:
            self.carry(int.from_bytes(r[5:7], "little"), r)
        if f is not None and meta.kind == "data" and f["type"] == "data":
            self.opened += 1
            self.w.delivered(meta, self.address, t)

    def _authority_frame(self, frame: bytes) -> None:
        """The station: a node's ack or rejoin request for the authority."""
        try:
            if frame[0] >> 2 & 0xF == F.FRAME_TYPE_CODES["ack"]:
                ack = self.w.authority.open_ack(self.fleet, frame)
                self.w.acked(ack["src"], ack["body"]["acked_seq"])
                self.w.network_switched(self)  # the last ack of a network key switches the station
                return
            rejoin = self.w.authority.rejoin(self.fleet, frame)
        except FrameError as exc:
            self.w.count(f"authority: {type(exc).__name__}")
            return
        # one rejoin at a time per node: an earlier one's frames are superseded
        self.deliveries = [d for d in self.deliveries if d.via is None or d.dst != rejoin.node]
        self.w.count("rejoins answered")
        self.w.send_sealed(rejoin.frames, via=rejoin.parent)

    def _route(self, meta) -> None:
        now = self.w.engine.now
        visited = set(meta.visited) | {meta.key[0], self.address}
        if meta.prev is not None:
            visited.add(meta.prev)
        if F.MULTICAST_FIRST <= meta.final <= F.MULTICAST_LAST:
            members = self.w.groups[meta.final]
            kids = [k for k in self.routing.tree_children(meta.key[0], members, now)
                    if k not in visited and self.routing.usable(k, now)]
            for c, kid in enumerate(kids):
                self._send_data(meta if c == len(kids) - 1 else self.w.copy_meta(meta), kid)
            return
        nh = self.routing.forward_to(meta.final, visited, now)
        if nh is None and meta.kind == "key":  # rejoin: the node and its parent are keyed, not neighbours
            if self._keyed(meta.final) and meta.final not in self.routing.nbs and meta.final not in visited:
                nh = meta.final
            elif self.rejoin.parent is not None and self._keyed(self.rejoin.parent) \
                    and self.rejoin.parent not in visited:
                nh = self.rejoin.parent
            if nh is not None:
                self.w.count("rejoin hops off the routes")
        if nh is None:
            self.w.dropped(meta, "no loop-free route", self.address)
            return
        self._send_data(meta, nh)

    def _send_data(self, meta, nh: int) -> None:
        if meta.hop_limit <= 0:
            self.w.dropped(meta, "hop limit", self.address)
            return
        orig = meta.key[0]
        fwd = list(meta.visited) + ([meta.prev] if meta.prev is not None and meta.prev != orig else [])
        opts = [{"type": R.VISITED, "value": b"".join(a.to_bytes(2, "little") for a in fwd)}] if fwd else None
        mesh = {"hop_limit": meta.hop_limit, "originator": orig, "final_dst": meta.final, "mesh_seq": meta.key[1]}
        if meta.carried is not None:
            opts = (opts or []) + [{"type": R.CARRIED, "value": b""}]
        payload = meta.payload if meta.carried is None else meta.carried
        frame = self._frame("data", nh, {"proto": "raw", "payload": payload}, mesh=mesh, options=opts)
        try:
            data = self.fleet.link.protect(frame)
        except FrameError as exc:
            self.w.dropped(meta, f"protect: {type(exc).__name__}", self.address)
            return
        meta.peer = nh
        if not self.mac.send(data, self.w.index[nh], meta, power_dbm=self.tx_power_to(nh), kind=meta.kind):
            self.w.dropped(meta, "queue full", self.address)

    def data_sent(self, meta, ok: bool, why: str) -> None:
        if ok:
            self.lost_in_row[meta.peer] = 0
            return
        nh = meta.peer
        if why == "retry limit":
            self.lost_in_row[nh] = self.lost_in_row.get(nh, 0) + 1
            if self.lost_in_row[nh] >= LINK_DOWN_AFTER:
                self.lost_in_row[nh] = 0
                self.routing.link_down(nh, self.w.engine.now)
                self.w.engine.log("link-down", self.address, nh)
                self.routing_changed()
            if meta.reroutes < 2:  # local repair: a new copy to another loop-free neighbour, the failed one excluded
                copy = self.w.copy_meta(meta)
                copy.path = meta.path[:meta.path.index(self.address) + 1]  # the copy's path ends at this node
                copy.reroutes = meta.reroutes + 1
                copy.visited = tuple(meta.visited) + ((nh,) if nh != meta.key[0] else ())
                self._route(copy)
                return
        self.w.dropped(meta, why, self.address)

    def _on_data(self, f: dict, meta, t: float) -> None:
        """A data frame for this node, verified by the fleet node (sender not
        revoked, key, replay window, MIC): delivery and forwarding."""
        before = self.routing.version
        self.routing.sign_of_life(f["src"], self.w.engine.now)  # the previous hop, bound to its key
        if self.routing.version != before:
            self.routing_changed()
        if f["mesh"] is None:
            self.w.count("not a mesh data frame")
            return
        m = f["mesh"]
        key = (m["originator"], m["mesh_seq"])
        if not self.w.visit(meta, self.address):  # the simulator's own loop check, every step
            return
        if key in self.seen:
            self.w.duplicate(meta, self.address)
            return
        self.seen[key] = t
        if len(self.seen) > 4096:
            for k in list(self.seen)[:1024]:
                del self.seen[k]
        visited, carried = (), False
        for o in f["options"] or ():
            if o["type"] == R.VISITED:
                v = o["value"]
                visited = tuple(int.from_bytes(v[k:k + 2], "little") for k in range(0, len(v) - 1, 2))
            elif o["type"] == R.CARRIED:
                carried = True
        final = m["final_dst"]
        group = F.MULTICAST_FIRST <= final <= F.MULTICAST_LAST
        if final == self.address or (group and self.address in self.w.groups.get(final, ())):
            if carried:
                self._open_carried(meta, f["body"]["payload"], t, None if group else m["originator"])
            elif group:
                self.w.count("multicast not under the group key")
            else:
                self.w.delivered(meta, self.address, t)
            if not group:
                return
        meta.hop_limit = m["hop_limit"] - 1
        meta.visited = visited
        meta.prev = f["src"]
        meta.reroutes = 0
        self._route(meta)
