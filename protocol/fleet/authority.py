"""The fleet authority: the ground station's key-management role. It holds
the only private key nodes trust (their :class:`TrustAnchor` is its public
half), issues each node its certificate at enrolment, writes the charter of
each group epoch, draws group keys, and issues revocation lists. Its
decisions reach nodes only as frames its station node sends (the station is
the node that :meth:`group_frames` and :meth:`revoke` are given: the
authority's own radio, which applies each statement through the same checks
as any node).

Key ids of group keys (128..255) are allotted so that no two current group
epochs share one, and a group's next epoch never reuses its current id.
An address once revoked stays revoked: it cannot be enrolled again.

At enrolment a node is also given its **delivery key** (16 random bytes
that only it and the authority hold) and the current **network key** (the
key of broadcast frames: the mesh's HELLO and TC). Whatever the authority
must tell a node that is not the station's neighbour goes **end to end**,
sealed under that node's delivery key by :meth:`FleetAuthority.seal` (key
id 0, a counter per node kept by the authority), and is carried by the
mesh: ``relayed=True`` in :meth:`group_frames`, :meth:`remove_member` and
:meth:`revoke`. Each node answers a sealed frame with a sealed ack
(:meth:`FleetAuthority.open_ack`). Every revocation also moves the network
key to a new epoch (:meth:`rekey_network`), sealed to every node but the
revoked one, so the revoked node's copy stops opening HELLO and TC. The
new key is distributed before anyone sends under it: the station holds it
pending and switches to it once every enrolled node acknowledged it
(:meth:`open_ack`), or when its user calls :meth:`switch_network` (the
deadline for nodes out of reach); each node switches on the first frame
that verifies under it (:mod:`protocol.fleet.keys`). Until the switch the
revoked node's copy of the old key still opens HELLO and TC: the deadline
bounds that window.
"""

import secrets
from typing import NamedTuple

import argcheck
from crypto import edhoc
from protocol import frames as F
from protocol.codec import decode
from protocol.fleet import statements as st
from protocol.fleet.handshake import DEFAULT_LIMITS, Limits
from protocol.fleet.keys import DELIVERY_KEY_ID, LINK_MIC, SUITE_CIPHER
from protocol.fleet.node import MSG_REJOIN, MSG_STATEMENT, Node
from protocol.security import LinkKey, SecureLink, SecurityError, is_group, is_unicast

GROUP_KEY_IDS = range(128, 256)
REJOIN_INTERVAL_S = 1.0  # a node's rejoin requests are answered at most once per interval (station clock)


class _GroupRecord(NamedTuple):
    charter: st.Charter
    body: dict  # the group_key body of the epoch (its key inside)
    signed: bytes  # the charter as the authority signed it


class Rejoin(NamedTuple):
    """A verified rejoin request (:meth:`FleetAuthority.rejoin`): the node
    that asked, the neighbour it named to relay for it, and the frames the
    station sends it (each sealed under the node's delivery key)."""

    node: int
    parent: int
    frames: list


class FleetAuthority:
    def __init__(self, suite: int = edhoc.SUITE_SM, method: int = edhoc.METHOD_STAT_STAT, net: int = 0x4D53):
        suite = argcheck.one_of(suite, "suite", SecurityError, tuple(edhoc.SUITES))
        method = argcheck.one_of(method, "method", SecurityError, edhoc.METHODS)
        net = argcheck.integer(net, "net", SecurityError, lo=0, hi=0xFFFF)
        self.signing_key = edhoc.generate_keypair(edhoc.SUITES[suite].curve)
        self.anchor = st.TrustAnchor(net, suite, method, self.signing_key.x, self.signing_key.y)
        self.enrolled: dict = {}  # address -> certificate serial
        self.revoked: set = set()
        self.crl_serial = 0
        self.crl: bytes | None = None  # the latest signed revocation list
        self.groups: dict = {}  # group address -> _GroupRecord
        self.delivery_keys: dict = {}  # enrolled address -> its delivery key
        self._sealers: dict = {}  # station address -> SecureLink holding the delivery keys it seals under
        self._unacked: dict = {}  # (station, node, counter) -> (frame type, body) sealed and not acknowledged
        self._stations: dict = {}  # address -> the station Node this authority was given
        self._rejoined_at: dict = {}  # enrolled address -> station clock (s) of its last rejoin answered
        self.network: dict | None = None
        self.network = self._network_body(1, self._network_key_id())  # the newest network key (a group_key body)
        self.network_sent = self.network  # the one the station sends under (older than network until the switch)
        self.network_waiting: set = set()  # enrolled nodes that have not acknowledged the newest network key

    @property
    def suite(self) -> int:
        return self.anchor.suite

    @property
    def method(self) -> int:
        return self.anchor.method

    @property
    def net(self) -> int:
        return self.anchor.net

    # ------------------------------------------------------------ enrolment
    def enrol(self, address: int, *, clock=None, limits: Limits = DEFAULT_LIMITS) -> Node:
        """A new node at ``address`` with a fresh key pair and its
        certificate; it is given the trust anchor and the current revocation
        list, nothing else."""
        address = argcheck.integer(address, "address", SecurityError, lo=0, hi=0xFFFF)
        if not is_unicast(address):
            raise SecurityError(f"cannot enrol {address:#06x}: not a unicast address")
        if address in self.revoked or address in self.enrolled:
            raise SecurityError(f"{address:#06x} is {'revoked' if address in self.revoked else 'already enrolled'}")
        key = edhoc.generate_keypair(self.anchor.curve)
        serial = len(self.enrolled) + len(self.revoked) + 1
        raw = st.issue_certificate(self.signing_key, self.net, address, serial, key)
        cert = st.open_certificate(raw, self.anchor)
        self.enrolled[address] = serial
        node = Node(address, key, cert.credential, self, limits=limits,
                    **({} if clock is None else {"clock": clock}))
        if self.crl is not None:
            node.accept_statement(self.crl)
        self.delivery_keys[address] = secrets.token_bytes(16)
        node.keys.set_delivery_key(self.delivery_keys[address])
        for station in self._stations.values():
            self._sync_sent(station)
        node.install_network_key(self.network_sent)
        if self.network is not self.network_sent:  # a rekey in progress: the new key too, pending
            node.install_network_key(self.network)
        return node

    def _station(self, station) -> Node:
        if not isinstance(station, Node) or station.address not in self.enrolled or station.anchor != self.anchor:
            raise SecurityError("station must be a node enrolled by this authority")
        self._stations[station.address] = station
        return station

    # ------------------------------------------------------------ groups
    # ------------------------------------------------------------ end to end
    def seal(self, station: Node, dst: int, ftype: str, body: dict) -> bytes:
        """A ``ftype`` frame from ``station`` to enrolled node ``dst``, sealed
        under ``dst``'s delivery key (end to end: relays can neither read nor
        alter it)."""
        station = self._station(station)
        dst = argcheck.integer(dst, "dst", SecurityError, lo=0, hi=0xFFFF)
        if dst not in self.delivery_keys or dst == station.address:
            raise SecurityError(f"{dst:#06x} is not an enrolled node other than the station")
        self._sync_sent(station)
        link = self._sealer(station, dst)
        # an ack names only the low byte of the counter it acknowledges: no two frames to dst that await their
        # ack share one (else the ack of an old frame, replayed to dst, would count for the newer one)
        waiting = sorted(k[2] for k in self._unacked if k[:2] == (station.address, dst))
        if len(waiting) >= 256:  # the oldest is long given up: forget it
            del self._unacked[(station.address, dst, waiting.pop(0))]
        taken = {c & 0xFF for c in waiting}
        while link.tx_counter[dst] & 0xFF in taken:
            link.tx_counter[dst] += 1  # counters only grow: skipping some keeps every nonce fresh
        counter = link.tx_counter[dst]
        data = link.protect(station._frame(dst, ftype, body))
        self._unacked[(station.address, dst, counter)] = (ftype, body)
        return data

    def resend(self, station: Node, data: bytes) -> bytes | None:
        """A sealed frame of this authority not acknowledged yet, sealed again
        (same content, a new counter: the node's window refuses the old
        bytes); None once it was acknowledged."""
        station = self._station(station)
        f = decode(argcheck.byteslike(data, "data", SecurityError))
        if f["src"] != station.address or f["security"] is None:
            raise SecurityError("not a frame this station sealed")
        item = self._unacked.pop((station.address, f["dst"], f["security"]["counter"]), None)
        if item is None or f["dst"] not in self.delivery_keys:
            return None
        return self.seal(station, f["dst"], *item)

    def _sealer(self, station: Node, node: int | None = None) -> SecureLink:
        """The link ``station`` seals under, with enrolled ``node``'s delivery
        key installed if one is given (the authority's own key: no state an
        outsider makes)."""
        link = self._sealers.get(station.address)
        if link is None:
            link = self._sealers[station.address] = SecureLink(station.address, max_senders=1)
        if node is not None and link.key_for(node) is None:
            link.install(LinkKey(DELIVERY_KEY_ID, self.delivery_keys[node], SUITE_CIPHER[self.suite], LINK_MIC), node)
        return link

    def open_ack(self, station: Node, data: bytes) -> dict:
        """A node's ack of a sealed frame, received by ``station``: the
        verified ack frame (its ``src`` the node, ``body["acked_seq"]`` the low
        byte of the acknowledged frame's counter); SecurityError otherwise."""
        station = self._station(station)
        self._sync_sent(station)
        link = self._sealers.get(station.address)
        if link is None:
            raise SecurityError("this station sealed nothing")
        f = link.unprotect(data)
        if f["type"] != "ack":
            raise SecurityError(f"a {f['type']} frame where an ack was expected")
        for k in [k for k in self._unacked if k[:2] == (station.address, f["src"])
                  and k[2] & 0xFF == f["body"]["acked_seq"]]:
            if self._unacked.pop(k) == ("group_key", self.network):
                self.network_waiting.discard(f["src"])
                if not self.network_waiting:
                    self.switch_network(station)  # every node holds the new key: nobody is cut off
        return f

    def rejoin(self, station: Node, data: bytes) -> Rejoin:
        """A node's rejoin request (:meth:`Node.rejoin_request`), received by
        ``station``: verified under the delivery key of the node it names as
        its source (so only that node, enrolled and not revoked, can have
        sealed it; a replay is refused by the replay window and changes
        nothing), and answered with what the node needs to take part again,
        each sealed under its delivery key: the revocation list (unless the
        node says it holds it), the charter and key of each current group it
        is a member of, the network key the station sends under (always:
        the node learns its request was answered) and the newest one if a
        rekey is under way and the node does not hold it. The parent it
        names must be another enrolled, unrevoked node (the station
        included). At most one answer per node per ``REJOIN_INTERVAL_S`` of
        the station's clock: an insider cannot make the station send more.
        SecurityError otherwise (nothing sealed)."""
        station = self._station(station)
        f = decode(argcheck.byteslike(data, "data", SecurityError))
        src = f["src"]
        if f["dst"] != station.address or f["security"] is None or f["security"]["key_id"] != DELIVERY_KEY_ID:
            raise SecurityError("a rejoin request is sealed under a delivery key, to the station")
        if src not in self.delivery_keys or src == station.address:
            raise SecurityError(f"{src:#06x} is not an enrolled node other than the station")
        self._sync_sent(station)
        req = self._sealer(station, src).unprotect(data, f)
        body = req["body"]
        if req["type"] != "handshake" or body["message_no"] != MSG_REJOIN or len(body["message"]) != 10:
            raise SecurityError(f"a {req['type']} frame where a rejoin request was expected")
        m = body["message"]
        parent, epoch, serial = (int.from_bytes(m[a:b], "little") for a, b in ((0, 2), (2, 6), (6, 10)))
        if parent == src or (parent not in self.enrolled and parent != station.address):
            raise SecurityError(f"rejoin parent {parent:#06x} is not an enrolled, unrevoked node")
        now = station.clock()
        last = self._rejoined_at.get(src)
        if last is not None and now - last < REJOIN_INTERVAL_S:
            raise SecurityError(f"rejoin request from {src:#06x} {now - last:.3f} s after the last answered one "
                                f"(at most one per {REJOIN_INTERVAL_S} s)")
        self._rejoined_at[src] = now
        frames = []
        if self.crl is not None and serial < self.crl_serial:
            frames.append(self._statement_frames(station, src, self.crl, True))
        for _, record in sorted(self.groups.items()):  # in group order
            if src in record.charter.members:
                frames += [self._statement_frames(station, src, record.signed, True),
                           self.seal(station, src, "group_key", record.body)]
        frames.append(self.seal(station, src, "group_key", self.network_sent))
        if self.network is not self.network_sent and epoch < self.network["epoch"]:
            frames.append(self.seal(station, src, "group_key", self.network))
        return Rejoin(src, parent, frames)

    def _statement_frames(self, station: Node, dst: int, statement: bytes, relayed: bool) -> bytes:
        if relayed:
            return self.seal(station, dst, "handshake", {"session": 0, "message_no": MSG_STATEMENT,
                                                         "message": statement})
        return station.send_statement(dst, statement)

    @staticmethod
    def _network_body(epoch: int, key_id: int) -> dict:
        return {"group": F.BROADCAST, "epoch": epoch, "key_id": key_id, "wrapped_key": secrets.token_bytes(16)}

    def rekey_network(self, station: Node) -> list:
        """Move the network key to its next epoch: every enrolled node but
        the station gets it sealed under its delivery key; the station holds
        it pending and switches to it when the last of them acknowledges it
        (:meth:`open_ack`) or at :meth:`switch_network`, whichever comes
        first (at once if there is no other node)."""
        station = self._station(station)
        self.network = self._network_body(self.network["epoch"] + 1, self._network_key_id())
        station.install_network_key(self.network)  # switched to at the last ack, or network_switch_s from now
        self.network_waiting = {a for a in self.enrolled if a != station.address}
        frames = [self.seal(station, a, "group_key", self.network) for a in sorted(self.network_waiting)]
        if not self.network_waiting:
            self.switch_network(station)
        return frames

    def switch_network(self, station: Node) -> bool:
        """The station sends under the newest network key from now on (the
        nodes that hold it switch as its frames reach them), before the
        deadline its key manager keeps (``network_switch_s`` after the
        rekey) — nodes that did not acknowledge the key are cut off until
        they get it. False if the station already does."""
        station = self._station(station)
        self.network_sent = self.network
        return station.keys.switch_network(station.clock())

    def _sync_sent(self, station: Node) -> None:
        """The station may have switched without this authority (its own
        deadline, or a frame under the new key from a node that switched)."""
        if station.link.network_tx == self.network["key_id"]:
            self.network_sent = self.network

    def _used_key_ids(self) -> set:
        used = {r.charter.key_id for r in self.groups.values()}
        if self.network is not None:  # and the network key sent under, which a node that lags still sends under
            used |= {self.network["key_id"], self.network_sent["key_id"]}
        return used

    def _key_id(self, group: int | None) -> int:
        used = self._used_key_ids()
        free = [k for k in GROUP_KEY_IDS if k not in used]
        if not free:
            raise SecurityError(f"no free group key id: at most {len(GROUP_KEY_IDS) - 1} groups at once")
        return free[0]

    def _network_key_id(self) -> int:
        """The first free id after the newest network key's, cyclically over
        the pool: an id comes back only after the whole pool has gone round
        (128 ids less the groups'), so a node fewer epochs behind than that
        never meets the id of the key it still sends under."""
        used = self._used_key_ids()
        last = GROUP_KEY_IDS[-1] if self.network is None else self.network["key_id"]
        n = len(GROUP_KEY_IDS)
        for step in range(1, n + 1):
            k = GROUP_KEY_IDS[(last - GROUP_KEY_IDS[0] + step) % n]
            if k not in used:
                return k
        raise SecurityError(f"no free key id for the network key: {len(used)} of {n} in use")

    def group_frames(self, station: Node, group: int, members, *, relayed: bool = False) -> list:
        """Open the next epoch of ``group`` for ``members``, with ``station``
        as its controller: a fresh key, and per member the charter and the
        key (a group_key frame under the member's pairwise key with the
        station), in that order. ``relayed``: both sealed under the member's
        delivery key instead, for the mesh to carry to members any number of
        hops away (no pairwise key with the station needed)."""
        relayed = argcheck.flag(relayed, "relayed", SecurityError)
        station = self._station(station)
        group = argcheck.integer(group, "group", SecurityError, lo=0, hi=0xFFFF)
        if not is_group(group):
            raise SecurityError(f"group {group:#06x} is not a multicast address")
        if not isinstance(members, (list, tuple, set, frozenset)):
            raise SecurityError(f"members must be a list of addresses, got {type(members).__name__}")
        members = sorted({argcheck.integer(m, "member", SecurityError, lo=0, hi=0xFFFF) for m in members}
                         - {station.address})
        if not members:
            raise SecurityError("a group needs at least one member besides its controller")
        for m in members:
            if m not in self.enrolled or m in self.revoked:
                raise SecurityError(f"member {m:#06x} is not an enrolled, unrevoked node")
        old = self.groups.get(group)
        charter = st.Charter(group, old.charter.epoch + 1 if old else 1, self._key_id(group), station.address,
                             frozenset(members))
        key = secrets.token_bytes(16)
        signed = st.issue_charter(self.signing_key, self.net, charter)
        body = {"group": group, "epoch": charter.epoch, "key_id": charter.key_id, "wrapped_key": key}
        frames = []
        for m in members:  # before anything changes: every member needs a pairwise key with the station
            if m not in station.link.pairwise and not relayed:
                raise SecurityError(f"station has no pairwise key with member {m:#06x}: run a handshake first")
        station.accept_statement(signed)
        station.keys.install_group_key(station.address, body)
        self.groups[group] = _GroupRecord(charter, body, signed)
        for m in members:
            key_frame = self.seal(station, m, "group_key", body) if relayed else station.send(m, "group_key", body)
            frames += [self._statement_frames(station, m, signed, relayed), key_frame]
        return frames

    def remove_member(self, station: Node, group: int, address: int, *, relayed: bool = False) -> list:
        """Move ``group`` to a new epoch without ``address``."""
        group = argcheck.integer(group, "group", SecurityError, lo=0, hi=0xFFFF)
        address = argcheck.integer(address, "address", SecurityError, lo=0, hi=0xFFFF)
        record = self.groups.get(group)
        if record is None or address not in record.charter.members:
            raise SecurityError(f"{address!r} is not a member of group {group!r}")
        return self.group_frames(station, group, record.charter.members - {address}, relayed=relayed)

    # ------------------------------------------------------------ revocation
    def revoke(self, station: Node, address: int, *, relayed: bool = False) -> list:
        """Revoke ``address``: a revocation list (next serial, every revoked
        address) to every enrolled node but the revoked one and the station
        (which applies it at once), a new epoch of each group it was in,
        then a new network key (sealed to every node). ``relayed``: every
        frame sealed under its node's delivery key, for the mesh to carry."""
        station = self._station(station)
        address = argcheck.integer(address, "address", SecurityError, lo=0, hi=0xFFFF)
        relayed = argcheck.flag(relayed, "relayed", SecurityError)
        if address not in self.enrolled or address == station.address:
            raise SecurityError(f"cannot revoke {address:#06x}: not an enrolled node other than the station")
        del self.enrolled[address]
        del self.delivery_keys[address]
        self._rejoined_at.pop(address, None)
        for link in self._sealers.values():
            link.remove(address)
        self._unacked = {k: v for k, v in self._unacked.items() if k[1] != address}
        self.revoked.add(address)
        self.crl_serial += 1
        crl = st.RevocationList(self.crl_serial, frozenset(self.revoked))
        self.crl = st.issue_crl(self.signing_key, self.net, crl)
        station.accept_statement(self.crl)
        frames = [self._statement_frames(station, a, self.crl, relayed)
                  for a in sorted(self.enrolled) if a != station.address]
        for group, record in sorted(self.groups.items()):
            c = record.charter
            if address in c.members or address == c.controller:
                remaining = c.members - {address}
                if remaining:
                    frames += self.group_frames(station, group, remaining, relayed=relayed)
                else:
                    del self.groups[group]
        return frames + self.rekey_network(station)
