"""A fleet node: the glue between frames and its security parts.

A node holds its address, key pair and certificate, and — from the
authority — only the public :class:`~protocol.fleet.statements.TrustAnchor`.
Everything else it learns from frames that verified:

* ``handshake`` frames, unsecured, carry EDHOC (``message_no`` 1, 2, 3;
  ``session`` = the initiator's address) to :class:`Handshakes`;
* ``handshake`` frames with ``message_no`` :data:`MSG_STATEMENT` carry an
  authority statement (revocation list, group charter) in ``message``,
  unsecured or under a pairwise key: its signature is what makes it count;
* ``group_key`` frames, under the pairwise key of the group's controller,
  carry a group key to :class:`KeyManager`;
* frames under this node's **delivery key** (key id
  :data:`~protocol.fleet.keys.DELIVERY_KEY_ID`, shared with the authority
  alone) come from the authority end to end, relayed by any number of
  nodes: charters, revocation lists, group keys and network keys. Each is
  answered with an ``ack`` frame under the same key (``acked_seq`` = the low
  byte of the frame counter), so the station can send it again until it
  arrives; a delivery whose content is refused (stale, sent again) is
  acknowledged too and changes nothing but the window. An ``ack`` under a
  delivery key is for the authority (:meth:`FleetAuthority.open_ack`): a
  node cannot check it and ignores it (``(None, [])``). A node that lost
  the network key (it missed a rekey: off, or out of reach) asks the
  authority for the current keys with a **rejoin request**
  (:meth:`Node.rejoin_request`: a ``handshake`` frame, ``message_no``
  :data:`MSG_REJOIN`, under its delivery key, naming the neighbour that
  relays for it; :meth:`FleetAuthority.rejoin` answers it);
* **broadcast** frames (the mesh's HELLO and TC) are secured under the
  network key and carry the sender's clock (option ``timestamp_us``,
  :data:`TIMESTAMP_OPTION`: 4 bytes, little-endian, µs modulo 2^32); one
  whose timestamp is more than ``limits.beacon_window_s`` from this node's
  clock is refused before its MIC is checked. With the per-sender replay
  window this refuses every replay, even at a node that holds no window for
  the sender (it never heard it, or forgot it: :meth:`Node.forget_neighbour`);
* every other secured frame, once verified, goes to :attr:`Node.delivered`.

:meth:`Node.accept` does all of this for one frame, decoded once, and
returns the verified frame instead of keeping it (for a simulator that
forwards it); :meth:`Node.receive` is :meth:`Node.accept` keeping it in
:attr:`Node.delivered`.

Refused frames raise :class:`protocol.security.SecurityError` (a
``FrameError``; :class:`HandshakeError` for handshakes) and change nothing.
Frames for other nodes or groups, and frames bearing this node's own source
address (its own transmissions heard back), are ignored (``[]``). The node's clock
(seconds, ``time.monotonic`` unless given) times handshakes out; a
simulator passes its own.
"""

import time

import argcheck
from crypto import edhoc
from protocol import frames as F
from protocol.codec import decode, encode
from protocol.fleet import statements as st
from protocol.fleet.handshake import DEFAULT_LIMITS, HandshakeError, Handshakes, Limits, check_limits
from protocol.fleet.keys import DELIVERY_KEY_ID, KeyManager
from protocol.security import SecureLink, SecurityError, is_unicast

MSG_STATEMENT = 16  # handshake message_no of an authority statement
MSG_REJOIN = 17  # handshake message_no of a rejoin request (a node to the authority, under its delivery key)
TIMESTAMP_OPTION = F.OPTION_CODES["timestamp_us"]
AUTHORITY_SOURCES = 4  # stations whose delivery-key frames a node keeps a window for


class Node:
    """The node at ``address`` with its key pair ``key`` and certificate
    ``cred``; from ``authority`` (a FleetAuthority or its TrustAnchor) it
    keeps only the public trust anchor. ``clock`` gives seconds for handshake
    timeouts; ``limits`` bounds what unauthenticated senders can make it hold."""

    def __init__(self, address: int, key: edhoc.KeyPair, cred: edhoc.Credential, authority, *,
                 clock=time.monotonic, limits: Limits = DEFAULT_LIMITS):
        anchor = getattr(authority, "anchor", authority)  # keep the public anchor, never the authority
        self.address = argcheck.integer(address, "address", SecurityError, lo=0, hi=0xFFFF)
        if not isinstance(key, edhoc.KeyPair) or not isinstance(cred, edhoc.Credential):
            raise SecurityError("key must be an edhoc.KeyPair and cred an edhoc.Credential")
        if not callable(clock):
            raise SecurityError("clock must be callable (returning seconds)")
        limits = check_limits(limits)
        self.key, self.cred = key, cred
        self.anchor = st.check_anchor(anchor)
        self.link = SecureLink(self.address, max_senders=limits.senders_per_key)
        self.keys = KeyManager(self.address, self.anchor, self.link)
        self.handshakes = Handshakes(self.address, cred, key, self.anchor, self.keys.is_revoked, limits, clock)
        self.limits, self.clock = limits, clock
        self.e2e = SecureLink(self.address, max_senders=1)  # the delivery key, per station that sent under it
        self.delivered: list = []  # verified frames handed to the application
        self.refused_deliveries = 0  # authority frames that verified but whose content was refused
        self.network_deliveries = 0  # network keys the authority delivered (verified; installed or stale)
        self.seq = 0

    # ---- what the node knows (read-only views for callers and tests)
    @property
    def sessions(self):
        return self.handshakes.sessions

    @property
    def seen_g_x(self) -> edhoc.ReplayCache:
        return self.handshakes.seen_g_x

    @property
    def revoked(self) -> frozenset:
        return self.keys.revoked

    @property
    def crl_serial(self) -> int:
        return self.keys.crl_serial

    @property
    def groups(self) -> dict:
        return dict(self.keys.groups)

    # ---- sending
    def _frame(self, dst: int, ftype: str, body: dict) -> dict:
        self.seq = (self.seq + 1) & 0xFF
        return {"type": ftype, "version": 0, "seq": self.seq, "net": self.anchor.net, "dst": dst,
                "src": self.address, "ack_req": False, "mesh": None, "options": None, "security": None,
                "body": body}

    def send(self, dst: int, ftype: str, body: dict, *, key=None) -> bytes:
        """A secured frame to a neighbour (its pairwise key) or a group (the
        group's key); SecurityError if there is no such key."""
        dst = argcheck.integer(dst, "dst", SecurityError, lo=0, hi=0xFFFF)
        if self.link.key_for(dst) is None:
            raise SecurityError(f"no key for destination {dst:#06x}: run a handshake first")
        return self.link.protect(self._frame(dst, ftype, body), key)

    def _handshake(self, peer: int, no: int, message: bytes, session: int) -> bytes:
        return encode(self._frame(peer, "handshake", {"session": session, "message_no": no, "message": message}))

    def send_statement(self, dst: int, statement: bytes) -> bytes:
        """An authority statement to ``dst``: under the pairwise key if there
        is one, else unsecured (its signature carries it)."""
        dst = argcheck.integer(dst, "dst", SecurityError, lo=0, hi=0xFFFF)
        body = {"session": 0, "message_no": MSG_STATEMENT, "message": statement}
        if dst in self.link.pairwise:
            return self.link.protect(self._frame(dst, "handshake", body))
        return encode(self._frame(dst, "handshake", body))

    def rejoin_request(self, station: int, parent: int) -> bytes:
        """A rejoin request to the authority behind ``station``, sealed under
        this node's delivery key (so no relay can read, forge or redirect
        it): the current keys, please, sent through neighbour ``parent``
        (which holds a pairwise key with this node; ``station`` itself if it
        is the neighbour). It states what this node holds — its network key
        epoch and revocation-list serial — so the answer leaves out what it
        need not send. :meth:`FleetAuthority.rejoin` answers it. Message
        layout: parent (2 bytes), network epoch (4), CRL serial (4), all
        little-endian."""
        station = argcheck.integer(station, "station", SecurityError, lo=0, hi=0xFFFF)
        parent = argcheck.integer(parent, "parent", SecurityError, lo=0, hi=0xFFFF)
        if self.keys.delivery is None:
            raise SecurityError("no delivery key: this node was not enrolled by an authority")
        if not (is_unicast(station) and is_unicast(parent)) or self.address in (station, parent):
            raise SecurityError(f"station {station:#06x} and parent {parent:#06x} must be other unicast nodes")
        self._e2e_with(station)
        held = self.keys.network_epoch.to_bytes(4, "little") + self.keys.crl_serial.to_bytes(4, "little")
        body = {"session": 0, "message_no": MSG_REJOIN, "message": parent.to_bytes(2, "little") + held}
        return self.e2e.protect(self._frame(station, "handshake", body))

    def _timestamp_us(self) -> int:
        """The clock as a broadcast timestamp: whole µs, modulo 2**32 (rounded: clock() * 1e6 may fall a
        hair short of a whole µs, e.g. 3301022e-6 * 1e6 = 3301021.9999999995)."""
        return round(self.clock() * 1e6) & 0xFFFFFFFF

    def protect_broadcast(self, frame: dict) -> bytes:
        """``frame`` (to the broadcast address, unsecured form) with this
        node's timestamp option added, secured under the network key."""
        if not isinstance(frame, dict) or frame.get("dst") != F.BROADCAST:
            raise SecurityError("frame must be a frame dict to the broadcast address")
        options = frame.get("options")
        if options is not None and (not isinstance(options, list) or not all(isinstance(o, dict) for o in options)):
            raise SecurityError("frame options must be None or a list of option dicts")
        if self.link.network_tx is None:
            raise SecurityError("no network key: this node was not given one")
        self.keys.expire_network(self.clock())  # a pending key past its deadline is sent under from now
        now = self._timestamp_us()
        opts = [o for o in options or () if o.get("type") != TIMESTAMP_OPTION]
        opts.append({"type": TIMESTAMP_OPTION, "value": now.to_bytes(4, "little")})
        return self.link.protect(dict(frame, options=opts))

    def install_network_key(self, body: dict) -> None:
        """A network key (a group_key body for the broadcast address) from
        the authority, now: the first is sent under at once, a later one is
        pending until this node switches to it, within ``network_switch_s``
        at the latest, the key before accepted ``network_overlap_s`` longer
        (:meth:`KeyManager.install_network_key`, with this node's limits)."""
        self.keys.install_network_key(body, self.clock(), self.limits.network_overlap_s,
                                      switch_after_s=self.limits.network_switch_s)

    def forget_neighbour(self, address: int) -> None:
        """A neighbour gone silent: drop its network-key replay windows (its
        old broadcasts are refused by their timestamps)."""
        self.link.forget_sender(address)

    def _check_timestamp(self, frame: dict) -> None:
        ts = [o["value"] for o in frame["options"] or () if o["type"] == TIMESTAMP_OPTION]
        if len(ts) != 1 or len(ts[0]) != 4:
            raise SecurityError("a broadcast frame must carry one 4-byte timestamp option")
        now = self._timestamp_us()
        age = ((now - int.from_bytes(ts[0], "little") + 2**31) & 0xFFFFFFFF) - 2**31
        if abs(age) > self.limits.beacon_window_s * 1e6:
            raise SecurityError(f"broadcast frame timestamp {age / 1e6:+.6f} s from this node's clock")

    def start_handshake(self, peer: int) -> bytes:
        """message_1 to ``peer``, in a handshake frame."""
        return self._handshake(peer, 1, self.handshakes.start(peer), self.address)

    def accept_statement(self, statement: bytes) -> str:
        """Apply an authority statement handed over directly (at enrolment,
        or by the authority to its own station); same checks as by frame."""
        return self.keys.accept_statement(statement)

    # ---- receiving
    def receive(self, data: bytes) -> list:
        """Process one frame; returns the frames to send in reply."""
        f, replies = self.accept(data)
        if f is not None:
            self.delivered.append(f)
        return replies

    def accept(self, data: bytes, decoded: dict | None = None) -> tuple:
        """Process one frame, decoded once: (the verified frame for the
        application or the mesh — None if the node consumed it or it is not
        for this node —, the frames to send in reply). Refused frames raise
        (a FrameError) and change nothing. ``decoded``, if given, must be
        ``protocol.codec.decode(data)`` (a caller that holds it already, e.g.
        one decode of a broadcast shared by every receiver); it is read, never
        modified."""
        frame = decode(data) if decoded is None else decoded
        if not isinstance(frame, dict) or not {"dst", "src", "security", "type"} <= set(frame):
            raise SecurityError("decoded must be the decoded frame of data")
        dst, src = frame["dst"], frame["src"]
        if src == self.address or (dst not in (self.address, F.BROADCAST) and dst not in self.keys.groups):
            return None, []  # not for this node, or its own frame heard back (or a spoof of it): nothing to do
        self.keys.check_sender(src, dst)
        if frame["security"] is None:
            if frame["type"] != "handshake" or dst != self.address:
                raise SecurityError(f"unsecured {frame['type']} frame to {dst:#06x} refused")
            return None, self._on_handshake(src, frame["body"])
        if dst == F.BROADCAST:
            self._check_timestamp(frame)
            self.keys.expire_network(self.clock())
            f = self.link.unprotect(data, frame)
            self.keys.network_heard(frame["security"]["key_id"], self.clock())  # verified: its sender switched
            return f, []
        if dst == self.address and frame["security"]["key_id"] == DELIVERY_KEY_ID:
            if frame["type"] == "ack":
                return None, []  # a node's ack for the authority behind this station (FleetAuthority.open_ack)
            return None, self._on_delivery(src, data, frame)
        f = self.link.unprotect(data, frame)
        if f["type"] == "group_key":
            if dst != self.address:
                raise SecurityError("a group key must come under a pairwise key")
            self.keys.install_group_key(src, f["body"])
        elif f["type"] == "handshake":
            if f["body"]["message_no"] != MSG_STATEMENT:
                raise HandshakeError("EDHOC messages travel unsecured")
            self.keys.accept_statement(f["body"]["message"])
        else:
            return f, []
        return None, []

    def _e2e_with(self, station: int) -> bool:
        """The delivery key installed for ``station`` (at most
        ``AUTHORITY_SOURCES`` stations); True if it was new."""
        if station in self.e2e.pairwise:
            return False
        if len(self.e2e.pairwise) >= AUTHORITY_SOURCES:
            raise SecurityError(f"delivery-key frames from {AUTHORITY_SOURCES} stations already")
        self.e2e.install(self.keys.delivery, station)
        return True

    def _on_delivery(self, src: int, data: bytes, frame: dict) -> list:
        """A frame under this node's delivery key, from the authority's station ``src``."""
        if self.keys.delivery is None:
            raise SecurityError("a frame under a delivery key, and this node holds none")
        new = self._e2e_with(src)
        try:
            f = self.e2e.unprotect(data, frame)
        except SecurityError:
            if new:
                self.e2e.remove(src)  # nothing of a refused frame stays
            raise
        if f["type"] == "group_key" and f["body"]["group"] == F.BROADCAST:
            self.network_deliveries += 1
        try:
            self._apply_delivery(src, f)
        except SecurityError:
            self.refused_deliveries += 1  # verified, so acknowledged: the station need not send it again
        return [self.e2e.protect(self._frame(src, "ack", {"acked_seq": f["counter"] & 0xFF}))]

    def _apply_delivery(self, src: int, f: dict) -> None:
        body = f["body"]
        if f["type"] == "group_key" and body["group"] == F.BROADCAST:
            self.install_network_key(body)
        elif f["type"] == "group_key":
            self.keys.install_group_key(src, body, from_authority=True)
        elif f["type"] == "handshake" and body["message_no"] == MSG_STATEMENT:
            self.keys.accept_statement(body["message"])
        else:
            raise SecurityError(f"a {f['type']} frame under the delivery key")

    def _on_handshake(self, peer: int, body: dict) -> list:
        no, session, message = body["message_no"], body["session"], body["message"]
        if no == MSG_STATEMENT:
            self.keys.accept_statement(message)
            return []
        expected = {1: peer, 2: self.address, 3: peer}.get(no)
        if expected is None:
            raise HandshakeError(f"unknown handshake message {no}")
        if session != expected:
            raise HandshakeError(f"handshake message {no} from {peer:#06x} names session {session:#06x}")
        if no == 1:
            return [self._handshake(peer, 2, self.handshakes.message_1(peer, message), peer)]
        if no == 2:
            m3, done = self.handshakes.message_2(peer, message)
            self.keys.bind_peer(done.peer, done.cert, done.key)
            return [self._handshake(peer, 3, m3, self.address)]
        done = self.handshakes.message_3(peer, message)
        self.keys.bind_peer(done.peer, done.cert, done.key)
        return []
