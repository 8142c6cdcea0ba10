"""Key management of one node: what it knows and which keys it holds,
learned only from what verified.

* the trust anchor (the authority's public key), given at enrolment;
* the revocation list: its serial and every revoked address, from
  ``meshlink-crl`` statements — a list whose serial is not above the one held
  changes nothing, nor does one that drops an address already revoked;
* per neighbour, the certificate a completed handshake authenticated for it
  and the pairwise key bound to it;
* per group, the charter of its current epoch (``meshlink-group``) and, once
  the group's controller has sent it over its pairwise link, that epoch's
  key.

A group key is accepted only from the charter's controller (the source of a
frame verified under the pairwise key bound to the controller's
certificate), only for the charter's group (a multicast address), epoch and
key id, only when 16 bytes long and only once per epoch. A new charter drops
the previous epoch's key at once; a revocation drops the revoked node's
pairwise key and the key of every group it was in (their next epoch comes
from the controller), and a key of an epoch whose charter names a revoked
node is never installed again: a group_key frame of that epoch that this
node missed, replayed after the revocation, would reopen the group to the
revoked node, which holds that key (and reinstalling a key restarts its
frame counter). Group frames are refused from any source that is not a
member or the controller of the group's current epoch.

Two keys come from the authority itself rather than from a neighbour:

* the **delivery key** (16 bytes, key id :data:`DELIVERY_KEY_ID`), given at
  enrolment and shared with the authority alone: what the authority sends
  to this node end to end — over any number of hops, relayed by nodes that
  cannot read or alter it — is sealed under it (charters, group keys,
  revocation lists and network keys for nodes that are not the station's
  neighbours). A frame that verifies under it came from the authority,
  whichever station sent it; such a group key needs no pairwise link with
  the controller.
* the **network key** (frames to the broadcast address: HELLO, TC), one
  per network epoch: the first at enrolment, each later one under the
  delivery key. Epochs only grow. A later key is distributed first and
  switched to after (as Zigbee's trust centre distributes a network key
  and then tells the network to switch): it is *pending* — accepted at
  once, not yet sent under — until this node verifies a frame under it
  (whoever sent that frame holds the key from the authority and has
  switched: the authority's station switches once every node acknowledged
  the key, or at its deadline), or :meth:`KeyManager.switch_network` is
  called, or its own deadline passes (``switch_after_s`` after it came:
  a node kept from every frame under the new key must not accept the old
  one for ever). From the switch the key sent under before is accepted
  ``overlap_s`` longer, then goes. A node the new key reaches late thus
  keeps its links until the switch, where switching at once would cut it
  off from every node that had switched (a frame under a key it does not
  hold does not verify).
"""

from typing import NamedTuple

import argcheck
from crypto import edhoc
from protocol import frames as F
from protocol.fleet import statements as st
from protocol.security import NETWORK_KEYS, LinkKey, SecureLink, SecurityError, is_group

SUITE_CIPHER = {edhoc.SUITE_2: "aes", edhoc.SUITE_SM: "sm4"}  # the link cipher of each EDHOC suite
LINK_MIC = 8
GROUP_KEY_BYTES = 16
DELIVERY_KEY_ID = 0  # key id of the delivery key (pairwise keys are 1..127, group and network keys 128..255)


def _address(v, name: str) -> int:
    return argcheck.integer(v, name, SecurityError, lo=0, hi=0xFFFF)


def pairwise_key_id(a: int, b: int) -> int:
    """Key id of the pair's link key: 1..127 (0 and ≥ 128 are group keys)."""
    lo, hi = sorted((_address(a, "a"), _address(b, "b")))
    return 1 + (lo * 31 + hi) % 127


class Group(NamedTuple):
    """A group as this node knows it: the current epoch's charter and
    whether its key is installed."""

    charter: st.Charter
    keyed: bool

    @property
    def epoch(self) -> int:
        return self.charter.epoch

    @property
    def senders(self) -> frozenset:
        return self.charter.members | {self.charter.controller}


class KeyManager:
    """Keys and trust state of the node at ``address``; the keys themselves
    live in ``link`` (:class:`protocol.security.SecureLink`)."""

    def __init__(self, address: int, anchor: st.TrustAnchor, link: SecureLink):
        self.address = _address(address, "address")
        self.anchor = st.check_anchor(anchor)
        if not isinstance(link, SecureLink) or link.address != self.address:
            raise SecurityError("link must be the SecureLink of this address")
        self.link = link
        self.cipher = SUITE_CIPHER[anchor.suite]
        self.crl_serial = 0
        self.revoked: frozenset = frozenset()
        self.peers: dict = {}  # neighbour -> Certificate bound to its pairwise key
        self.groups: dict = {}  # group address -> Group
        self.delivery: LinkKey | None = None  # shared with the authority alone
        self.network_epoch = 0
        self._retire: dict = {}  # network key id -> time (s) after which it is no longer accepted
        self._pending: dict = {}  # network keys accepted, not yet sent under, oldest first: id -> (overlap_s, deadline)

    # ------------------------------------------------------------ statements
    def accept_statement(self, data: bytes) -> str:
        """Apply an authority statement (a revocation list or a group
        charter); returns its kind. SecurityError, and nothing changed, if it
        is stale, not for this node, malformed or not signed by the authority
        (cheap checks first: a stale statement costs no signature check)."""
        kind = st.statement_kind(data)
        if kind == st.CRL:
            self._apply_crl(st.open_crl(data, self.anchor, self._fresh_crl))
        elif kind == st.GROUP:
            charter = st.open_charter(data, self.anchor, self._fresh_charter)
            self.link.remove(charter.group)  # the old epoch's key goes now, not when the new one comes
            self.groups[charter.group] = Group(charter, False)
        else:
            raise SecurityError("not a revocation list or a group charter")
        return kind

    def _fresh_crl(self, crl: st.RevocationList) -> None:
        if crl.serial <= self.crl_serial:
            raise SecurityError(f"stale revocation list: serial {crl.serial} <= {self.crl_serial}")
        if not crl.revoked >= self.revoked:
            raise SecurityError("revocation list drops revoked addresses")

    def _fresh_charter(self, charter: st.Charter) -> None:
        held = self.groups.get(charter.group)
        if held is not None and charter.epoch <= held.epoch:
            raise SecurityError(f"stale charter of group {charter.group:#06x}: epoch {charter.epoch}")
        if self.address not in charter.members and self.address != charter.controller:
            raise SecurityError(f"charter of group {charter.group:#06x} does not name this node")
        if charter.controller in self.revoked or charter.members & self.revoked:
            raise SecurityError("charter names a revoked node")

    def _apply_crl(self, crl: st.RevocationList) -> None:
        newly = crl.revoked - self.revoked
        self.crl_serial, self.revoked = crl.serial, crl.revoked
        for address in newly:
            self.drop_peer(address)
        for group, g in list(self.groups.items()):
            if g.senders & newly:
                self.link.remove(group)
                self.groups[group] = g._replace(keyed=False)

    # ------------------------------------------------------------ pairwise
    def is_revoked(self, address: int) -> bool:
        return _address(address, "address") in self.revoked

    def bind_peer(self, peer: int, cert: st.Certificate, key: bytes) -> None:
        """Install the pairwise key a handshake derived with ``peer``, whose
        authenticated certificate is ``cert`` (issued for ``peer``)."""
        peer = _address(peer, "peer")
        if not isinstance(cert, st.Certificate):
            raise SecurityError("cert must be a Certificate")
        if cert.address != peer or peer in self.revoked:
            raise SecurityError(f"certificate issued for {cert.address:#06x} cannot key {peer:#06x}")
        self.link.install(LinkKey(pairwise_key_id(self.address, peer), key, self.cipher, LINK_MIC), peer)
        self.peers[peer] = cert

    def drop_peer(self, address: int) -> None:
        """Forget ``address``'s certificate and pairwise key."""
        if _address(address, "address") in self.peers:
            self.link.remove(address)
            del self.peers[address]

    # ------------------------------------------------------------ groups
    def install_group_key(self, source: int, body: dict, *, from_authority: bool = False) -> None:
        """A group_key body (group, epoch, key_id, wrapped_key) received from
        ``source`` over its pairwise link (or this node's own, when it is the
        controller), or — ``from_authority`` — under this node's delivery
        key: installed only if it is exactly what the charter allows."""
        source = _address(source, "source")
        group, epoch, key_id, key = self._key_body(body)
        g = self.groups.get(group) if is_group(group) else None
        if g is None:
            raise SecurityError(f"group key for {group:#06x}: no charter of that multicast group")
        c = g.charter
        trusted = from_authority or source == self.address or self.peers.get(source) is not None
        if source != c.controller or not trusted:
            raise SecurityError(f"group key for {group:#06x} not from its controller {c.controller:#06x}")
        if (epoch, key_id) != (c.epoch, c.key_id) or g.keyed:
            raise SecurityError(f"group key for {group:#06x} is not the one of epoch {c.epoch} (or came twice)")
        if g.senders & self.revoked:
            raise SecurityError(f"epoch {c.epoch} of group {group:#06x} names a revoked node: waiting for the next")
        self.link.install(LinkKey(c.key_id, key, self.cipher, LINK_MIC), group)
        self.groups[group] = g._replace(keyed=True)

    # ------------------------------------------------------------ keys from the authority
    def set_delivery_key(self, key: bytes) -> None:
        """The delivery key, given once, at enrolment."""
        if self.delivery is not None:
            raise SecurityError("the delivery key is given once, at enrolment")
        key = argcheck.byteslike(key, "key", SecurityError, length=GROUP_KEY_BYTES)
        self.delivery = LinkKey(DELIVERY_KEY_ID, bytes(key), self.cipher, LINK_MIC)

    def install_network_key(self, body: dict, now: float, overlap_s: float, *,
                            switch_after_s: float | None = None) -> None:
        """A network key (a group_key body for the broadcast address) from
        the authority, at ``now`` (s): installed if its epoch is above the
        one held. The first one is sent under at once; a later one is
        pending (accepted, not sent under) until this node switches to it
        (:meth:`network_heard`, :meth:`switch_network`) — at the latest
        ``switch_after_s`` after ``now`` (None: no deadline), so a node that
        never hears a frame under it does not accept the old key for ever.
        From a switch the key sent under before, and any older pending one
        (a neighbour may have switched to it), are accepted ``overlap_s``
        longer. At most :data:`~protocol.security.NETWORK_KEYS` are held:
        room is made by dropping the key that retires first, else the
        oldest pending one — never the key sent under."""
        group, epoch, key_id, key = self._key_body(body)
        now = argcheck.real(now, "now", SecurityError)
        overlap_s = argcheck.real(overlap_s, "overlap_s", SecurityError, lo=0)
        if switch_after_s is not None:
            switch_after_s = argcheck.real(switch_after_s, "switch_after_s", SecurityError, lo=0)
        if group != F.BROADCAST:
            raise SecurityError(f"a network key is for the broadcast address, not {group:#06x}")
        if epoch <= self.network_epoch:
            raise SecurityError(f"stale network key: epoch {epoch} <= {self.network_epoch}")
        if not 128 <= key_id <= 255:
            raise SecurityError(f"network key id must be 128..255, got {key_id}")
        self.expire_network(now)
        if key_id in self.link.network:  # an id the authority used before (it rotates them over the pool)
            self._drop_network(key_id)
        while len(self.link.network) >= NETWORK_KEYS:
            self._drop_network(min(self._retire, key=self._retire.get) if self._retire else next(iter(self._pending)))
        send = self.link.network_tx is None
        self.link.install_network(LinkKey(key_id, key, self.cipher, LINK_MIC), send=send)
        self.network_epoch = epoch
        if not send:
            self._pending[key_id] = (overlap_s, None if switch_after_s is None else now + switch_after_s)

    @property
    def pending_network(self) -> int | None:
        """Key id of the newest network key accepted and not yet sent under (None: none)."""
        return next(reversed(self._pending), None)

    def switch_network(self, now: float) -> bool:
        """Send under the newest pending network key from ``now`` (s); the
        key sent under before and older pending ones are accepted
        ``overlap_s`` (given with the new key) longer. False, and nothing
        changes, if no key is pending."""
        now = argcheck.real(now, "now", SecurityError)
        return bool(self._pending) and self._switch(now, next(reversed(self._pending)))

    def _switch(self, now: float, key_id: int) -> bool:
        order = list(self._pending)
        overlap_s, _ = self._pending.pop(key_id)
        previous = self.link.network_tx
        self.link.send_network(key_id)
        for k in [previous, *order[:order.index(key_id)]]:
            self._pending.pop(k, None)
            self._retire[k] = now + overlap_s
        return True

    def network_heard(self, key_id: int, now: float) -> bool:
        """A frame to the broadcast address verified under network key
        ``key_id`` at ``now`` (s): if that is a pending key, its sender
        holds it from the authority and has switched, so this node switches
        to it too. Call only after the frame verified. True if this node
        switched."""
        key_id = argcheck.integer(key_id, "key_id", SecurityError, lo=0, hi=255)
        now = argcheck.real(now, "now", SecurityError)
        return key_id in self._pending and self._switch(now, key_id)

    def expire_network(self, now: float) -> None:
        """What time alone changes (``now`` in s): once a pending key's
        deadline has passed this node sends under the newest pending key,
        as of that deadline; a retiring key goes once its overlap has ended."""
        now = argcheck.real(now, "now", SecurityError)
        due = [t for _, t in self._pending.values() if t is not None and now >= t]
        if due:
            self._switch(min(due), next(reversed(self._pending)))
        for k in [k for k, t in self._retire.items() if now >= t]:
            self._drop_network(k)

    def _drop_network(self, key_id: int) -> None:
        self.link.remove_network(key_id)
        self._retire.pop(key_id, None)
        self._pending.pop(key_id, None)

    @staticmethod
    def _key_body(body) -> tuple:
        if not isinstance(body, dict) or set(body) != {"group", "epoch", "key_id", "wrapped_key"}:
            raise SecurityError("body must be a group_key body (group, epoch, key_id, wrapped_key)")
        group = _address(body["group"], "group")
        epoch = argcheck.integer(body["epoch"], "epoch", SecurityError, lo=0, hi=2**32 - 1)
        key_id = argcheck.integer(body["key_id"], "key_id", SecurityError, lo=0, hi=255)
        key = argcheck.byteslike(body["wrapped_key"], "wrapped_key", SecurityError)
        if len(key) != GROUP_KEY_BYTES:
            raise SecurityError(f"group key must be {GROUP_KEY_BYTES} bytes, got {len(key)}")
        return group, epoch, key_id, bytes(key)

    def check_sender(self, src: int, dst: int) -> None:
        """Refuse, before any MIC is checked, a frame from a revoked source or
        to a group from a source that is not in the group's current epoch."""
        src, dst = _address(src, "src"), _address(dst, "dst")
        if src in self.revoked:
            raise SecurityError(f"frame from revoked node {src:#06x}")
        if is_group(dst):
            g = self.groups.get(dst)
            if g is None or src not in g.senders:
                raise SecurityError(f"{src:#06x} is not a member of group {dst:#06x}")
