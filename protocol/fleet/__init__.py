"""The fleet: a ground station that issues credentials, group keys and
revocation lists, and nodes that authenticate each other with EDHOC carried
in handshake frames. One job per module:

* :mod:`~protocol.fleet.statements` — what the authority signs (certificates,
  group charters, revocation lists as COSE_Sign1) and how a node checks it
  with only the authority's public key, the :class:`TrustAnchor`;
* :mod:`~protocol.fleet.handshake` — EDHOC sessions with neighbours: identity
  binding, bounded state for unauthenticated senders, forged messages that
  end nothing, concurrent handshakes;
* :mod:`~protocol.fleet.keys` — a node's key management: pairwise keys bound
  to certificates, group keys only from the group's controller, revocation;
* :mod:`~protocol.fleet.node` — the node: frames in and out;
* :mod:`~protocol.fleet.authority` — the authority (:class:`FleetAuthority`).

The threat model these defend against is docs/threat_model.md.
"""

from protocol.fleet.authority import FleetAuthority, Rejoin
from protocol.fleet.handshake import EXPORT_LABEL_LINK, HandshakeError, Limits
from protocol.fleet.keys import SUITE_CIPHER, KeyManager, pairwise_key_id
from protocol.fleet.node import MSG_REJOIN, MSG_STATEMENT, Node
from protocol.fleet.statements import Certificate, Charter, RevocationList, TrustAnchor

__all__ = ["EXPORT_LABEL_LINK", "MSG_REJOIN", "MSG_STATEMENT", "SUITE_CIPHER", "Certificate", "Charter",
           "FleetAuthority", "HandshakeError", "KeyManager", "Limits", "Node", "Rejoin", "RevocationList",
           "TrustAnchor", "pairwise_key_id"]
