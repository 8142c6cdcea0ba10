"""EDHOC handshakes of one node with its neighbours (no frames here: the
node carries the messages), keeping what an unauthenticated sender can do
small and unable to harm what is already authenticated.

* **Identity binding.** The peer's credential must come by value as a
  certificate the authority signed (ID_CRED_x = {13: CWT}, see
  :mod:`protocol.fleet.statements`), issued for the address the session is
  with — the frame's source for a responder, the address it chose for an
  initiator — and not revoked. Otherwise the handshake fails inside EDHOC
  (before any MAC or signature check) and no key comes out. The address and
  revocation are checked before the authority's signature, and a session
  checks a certificate's signature once: a forged message costs at most one
  signature check more than the EDHOC step itself.
* **Sessions** are keyed by (peer, initiator address), the initiator's
  address being the handshake frame's ``session`` field. A message_1 opens a
  responder session only if none with that peer is in progress (a spoofed
  message_1 cannot replace one) and fewer than ``limits.sessions`` responder
  sessions are (a flood is refused, never let in by evicting a session);
  sessions older than ``limits.handshake_timeout_s`` are dropped first.
  Initiator sessions, opened only by this node, have the same cap.
* **Forged messages end nothing.** message_2 and message_3 are tried on a
  fork of their session (:meth:`crypto.edhoc._Party.fork`): a garbled or
  forged one is refused and the session waits for the genuine one.
* **Both ends starting at once.** The two sessions (one per initiator) run
  side by side. The one started by the lower address has precedence: when it
  completes it cancels the other; if the other completes first, its key is
  replaced when the precedence session completes. Both ends end with the
  key of the lower address's session.
* **Replayed message_1**: the responder remembers the last
  ``limits.seen_ephemeral`` G_X (an LRU :class:`crypto.edhoc.ReplayCache`).

A completed handshake yields the pairwise link key: the EDHOC exporter,
label 0, context "mesh-link" ‖ lower address ‖ higher address (2 bytes each,
big-endian), 16 bytes.
"""

import types
from typing import NamedTuple

import cbor2

import argcheck
from crypto import edhoc
from protocol.fleet import statements as st
from protocol.security import SecurityError, is_unicast

EXPORT_LABEL_LINK = 0


class HandshakeError(SecurityError):
    """A handshake message refused: forged, replayed, out of place, or an
    authentication that failed. No key is installed and no key is touched."""


class Limits(NamedTuple):
    """State a node keeps for senders it has not authenticated."""

    sessions: int = 16  # responder sessions in progress (and, separately, initiator sessions)
    seen_ephemeral: int = 256  # G_X remembered to refuse a replayed message_1
    handshake_timeout_s: float = 10.0  # a session older than this is dropped
    senders_per_key: int = 256  # replay windows per link key
    beacon_window_s: float = 1.0  # a broadcast frame's timestamp must be this close to the node's clock
    network_overlap_s: float = 1.0  # the previous network key is accepted this long after the switch to the next
    network_switch_s: float = 3.0  # a rekey's deadline: the station switches then if not every node acknowledged


DEFAULT_LIMITS = Limits()


def check_limits(limits) -> Limits:
    if not isinstance(limits, Limits):
        raise SecurityError(f"limits must be a Limits, got {type(limits).__name__}")
    for name in ("sessions", "seen_ephemeral", "senders_per_key"):
        argcheck.integer(getattr(limits, name), name, SecurityError, lo=1)
    for name in ("handshake_timeout_s", "beacon_window_s"):
        argcheck.real(getattr(limits, name), name, SecurityError, lo=0, lo_open=True)
    argcheck.real(limits.network_overlap_s, "network_overlap_s", SecurityError, lo=0)
    argcheck.real(limits.network_switch_s, "network_switch_s", SecurityError, lo=0)
    return limits


class Established(NamedTuple):
    """A completed handshake: the peer, its authenticated certificate and
    the pairwise key (16 bytes)."""

    peer: int
    cert: st.Certificate
    key: bytes


class _PeerCheck:
    """The EDHOC resolver of one handshake: accepts only an authority
    certificate issued for ``expected`` and not revoked."""

    def __init__(self, anchor: st.TrustAnchor, expected: int, is_revoked):
        self.anchor, self.expected, self.is_revoked = anchor, expected, is_revoked
        self.verified: dict = {}  # credential bytes -> Certificate (signature checked; for ``expected`` only)

    def _for_expected(self, address: int) -> None:
        """Cheap refusals, before the signature is checked."""
        if address != self.expected:
            raise SecurityError(f"credential issued for {address:#06x}, not for {self.expected:#06x}")
        if self.is_revoked(address):
            raise SecurityError(f"credential of revoked node {address:#06x}")

    def resolve(self, id_cred: dict) -> edhoc.Credential:
        if set(id_cred) != {edhoc.ID_CRED_KCWT}:
            raise edhoc.EdhocError("the peer must send its authority certificate by value (kcwt)")
        raw = cbor2.dumps(id_cred[edhoc.ID_CRED_KCWT])
        try:
            cert = self.verified.get(raw) or st.open_certificate(raw, self.anchor, self._for_expected)
            self._for_expected(cert.address)  # again for a cached one: the revocation list may have grown
        except SecurityError as exc:
            raise edhoc.EdhocError(str(exc)) from None
        self.verified[cert.credential.raw] = cert
        return cert.credential


class _Session(NamedTuple):
    party: edhoc.Initiator | edhoc.Responder
    check: _PeerCheck
    started: float


class Handshakes:
    """The handshakes in progress of the node at ``address`` (its
    certificate ``cred`` and key pair ``key``)."""

    def __init__(self, address: int, cred: edhoc.Credential, key: edhoc.KeyPair, anchor: st.TrustAnchor,
                 is_revoked, limits: Limits, clock):
        self.address = argcheck.integer(address, "address", SecurityError, lo=0, hi=0xFFFF)
        if not isinstance(key, edhoc.KeyPair) or not isinstance(cred, edhoc.Credential):
            raise SecurityError("key must be an edhoc.KeyPair and cred an edhoc.Credential")
        if not callable(is_revoked) or not callable(clock):
            raise SecurityError("is_revoked and clock must be callables")
        self.cred, self.key, self.anchor = cred, key, st.check_anchor(anchor)
        self.is_revoked, self.limits, self.clock = is_revoked, check_limits(limits), clock
        self.seen_g_x = edhoc.ReplayCache(limits.seen_ephemeral)
        self._sessions: dict = {}  # (peer, initiator) -> _Session

    @property
    def sessions(self) -> types.MappingProxyType:
        """The sessions in progress (expired ones dropped), by (peer, initiator)."""
        self._expire()
        return types.MappingProxyType(self._sessions)

    def _expire(self) -> None:
        limit = self.clock() - self.limits.handshake_timeout_s
        for k in [k for k, s in self._sessions.items() if s.started < limit]:
            del self._sessions[k]

    def _admit(self, slot: tuple) -> None:
        self._expire()
        if slot in self._sessions:
            raise HandshakeError(f"a handshake with {slot[0]:#06x} is already in progress")
        role = [k for k in self._sessions if (k[1] == self.address) == (slot[1] == self.address)]
        if len(role) >= self.limits.sessions:
            raise HandshakeError(f"{len(role)} handshakes in progress: no more until one ends or times out")

    def _peer(self, peer: int) -> int:
        peer = argcheck.integer(peer, "peer", SecurityError, lo=0, hi=0xFFFF)
        if not is_unicast(peer) or peer == self.address:
            raise HandshakeError(f"cannot hold a handshake with {peer:#06x}")
        if self.is_revoked(peer):
            raise HandshakeError(f"{peer:#06x} is revoked")
        return peer

    def _refused(self, peer: int, exc: Exception) -> HandshakeError:
        return HandshakeError(f"handshake with {peer:#06x} refused: {exc}")

    def start(self, peer: int) -> bytes:
        """Open an initiator session with ``peer`` (replacing this node's own
        earlier one with it, if any); returns message_1."""
        peer = self._peer(peer)
        slot = (peer, self.address)
        self._sessions.pop(slot, None)
        self._admit(slot)
        check = _PeerCheck(self.anchor, peer, self.is_revoked)
        ini = edhoc.Initiator(self.anchor.method, [self.anchor.suite], self.cred, self.key, check)
        m1 = ini.message_1()
        self._sessions[slot] = _Session(ini, check, self.clock())
        return m1

    def message_1(self, peer: int, message: bytes) -> bytes | None:
        """A message_1 from ``peer``: returns message_2 (or an EDHOC error
        message for a suite this fleet does not use, with no session kept)."""
        peer = self._peer(peer)
        slot = (peer, peer)
        self._admit(slot)
        check = _PeerCheck(self.anchor, peer, self.is_revoked)
        try:
            resp = edhoc.Responder(self.anchor.method, [self.anchor.suite], self.cred, self.key, check,
                                   seen_g_x=self.seen_g_x)
            m2 = resp.message_2(message)
        except edhoc.EdhocError as exc:
            raise self._refused(peer, exc) from None
        if not resp.failed:
            self._sessions[slot] = _Session(resp, check, self.clock())
        return m2

    def _continue(self, peer: int, initiator: int, step, message: bytes):
        peer = self._peer(peer)
        self._expire()
        session = self._sessions.get((peer, initiator))
        if session is None:
            raise HandshakeError(f"no handshake with {peer:#06x} in progress for this message")
        trial = session.party.fork()
        try:
            out = step(trial, message)
        except edhoc.EdhocError as exc:
            raise self._refused(peer, exc) from None  # the session itself goes on
        cert = session.check.verified[trial.peer_cred.raw]
        if cert.address != peer:  # _PeerCheck already refused this; kept as the invariant of binding
            raise HandshakeError(f"credential issued for {cert.address:#06x}, not for {peer:#06x}")
        del self._sessions[(peer, initiator)]
        if initiator == min(self.address, peer):  # the precedence session cancels the other one
            self._sessions.pop((peer, max(self.address, peer)), None)
        lo, hi = sorted((self.address, peer))
        key = trial.exporter(EXPORT_LABEL_LINK, b"mesh-link" + lo.to_bytes(2, "big") + hi.to_bytes(2, "big"), 16)
        return out, Established(peer, cert, key)

    def message_2(self, peer: int, message: bytes) -> tuple:
        """message_2 of this node's session with ``peer``: (message_3, Established)."""
        return self._continue(peer, self.address, edhoc.Initiator.message_3, message)

    def message_3(self, peer: int, message: bytes) -> Established:
        """message_3 of ``peer``'s session with this node."""
        return self._continue(peer, peer, edhoc.Responder.finish, message)[1]
