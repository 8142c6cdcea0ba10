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
"""

import secrets
from typing import NamedTuple

import argcheck
from crypto import edhoc
from protocol.fleet import statements as st
from protocol.fleet.handshake import DEFAULT_LIMITS, Limits
from protocol.fleet.node import Node
from protocol.security import SecurityError, is_group, is_unicast

GROUP_KEY_IDS = range(128, 256)


class _GroupRecord(NamedTuple):
    charter: st.Charter
    key: bytes


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
        return node

    def _station(self, station) -> Node:
        if not isinstance(station, Node) or station.address not in self.enrolled or station.anchor != self.anchor:
            raise SecurityError("station must be a node enrolled by this authority")
        return station

    # ------------------------------------------------------------ groups
    def _key_id(self, group: int) -> int:
        used = {r.charter.key_id for r in self.groups.values()}
        free = [k for k in GROUP_KEY_IDS if k not in used]
        if not free:
            raise SecurityError(f"no free group key id: at most {len(GROUP_KEY_IDS) - 1} groups at once")
        return free[0]

    def group_frames(self, station: Node, group: int, members) -> list:
        """Open the next epoch of ``group`` for ``members``, with ``station``
        as its controller: a fresh key, and per member the charter and the
        key (a group_key frame under the member's pairwise key with the
        station), in that order."""
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
            if m not in station.link.pairwise:
                raise SecurityError(f"station has no pairwise key with member {m:#06x}: run a handshake first")
        station.accept_statement(signed)
        station.keys.install_group_key(station.address, body)
        self.groups[group] = _GroupRecord(charter, key)
        for m in members:
            frames += [station.send_statement(m, signed), station.send(m, "group_key", body)]
        return frames

    def remove_member(self, station: Node, group: int, address: int) -> list:
        """Move ``group`` to a new epoch without ``address``."""
        group = argcheck.integer(group, "group", SecurityError, lo=0, hi=0xFFFF)
        address = argcheck.integer(address, "address", SecurityError, lo=0, hi=0xFFFF)
        record = self.groups.get(group)
        if record is None or address not in record.charter.members:
            raise SecurityError(f"{address!r} is not a member of group {group!r}")
        return self.group_frames(station, group, record.charter.members - {address})

    # ------------------------------------------------------------ revocation
    def revoke(self, station: Node, address: int) -> list:
        """Revoke ``address``: a revocation list (next serial, every revoked
        address) to every enrolled node but the revoked one and the station
        (which applies it at once), then a new epoch of each group it was in."""
        station = self._station(station)
        address = argcheck.integer(address, "address", SecurityError, lo=0, hi=0xFFFF)
        if address not in self.enrolled or address == station.address:
            raise SecurityError(f"cannot revoke {address:#06x}: not an enrolled node other than the station")
        del self.enrolled[address]
        self.revoked.add(address)
        self.crl_serial += 1
        crl = st.RevocationList(self.crl_serial, frozenset(self.revoked))
        self.crl = st.issue_crl(self.signing_key, self.net, crl)
        station.accept_statement(self.crl)
        frames = [station.send_statement(a, self.crl) for a in sorted(self.enrolled) if a != station.address]
        for group, record in sorted(self.groups.items()):
            c = record.charter
            if address in c.members or address == c.controller:
                remaining = c.members - {address}
                if remaining:
                    frames += self.group_frames(station, group, remaining)
                else:
                    del self.groups[group]
        return frames
