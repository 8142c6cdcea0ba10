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
* every other secured frame, once verified, goes to :attr:`Node.delivered`.

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
from protocol.fleet.keys import KeyManager
from protocol.security import SecureLink, SecurityError

MSG_STATEMENT = 16  # handshake message_no of an authority statement


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
        self.delivered: list = []  # verified frames handed to the application
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
        frame = decode(data)
        dst, src = frame["dst"], frame["src"]
        if src == self.address or (dst not in (self.address, F.BROADCAST) and dst not in self.keys.groups):
            return []  # not for this node, or its own frame heard back (or a spoof of it): nothing to do
        self.keys.check_sender(src, dst)
        if frame["security"] is None:
            if frame["type"] != "handshake" or dst != self.address:
                raise SecurityError(f"unsecured {frame['type']} frame to {dst:#06x} refused")
            return self._on_handshake(src, frame["body"])
        f = self.link.unprotect(data)
        if f["type"] == "group_key":
            if dst != self.address:
                raise SecurityError("a group key must come under a pairwise key")
            self.keys.install_group_key(src, f["body"])
        elif f["type"] == "handshake":
            if f["body"]["message_no"] != MSG_STATEMENT:
                raise HandshakeError("EDHOC messages travel unsecured")
            self.keys.accept_statement(f["body"]["message"])
        else:
            self.delivered.append(f)
        return []

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
