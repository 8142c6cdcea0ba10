"""The fleet: a ground station that issues credentials and group keys, and
nodes that authenticate each other with EDHOC carried in handshake frames.

* :class:`FleetAuthority` (the ground station) enrols nodes: it makes each a
  key pair and a CCS credential (kid = the node's address), and keeps the
  trusted store every node is given. Revoking a node removes it from the store
  and from its groups.
* :class:`Node` runs EDHOC (crypto.edhoc) with a neighbour inside handshake
  frames (session = the initiator's address, message_no 1, 2, 3). When the
  handshake completes both ends derive the same pairwise link key with the
  EDHOC exporter (label 0, context "mesh-link" ‖ the two addresses) and
  install it in their :class:`protocol.security.SecureLink`.
* Group keys (point to multipoint): the authority draws a key per group and
  epoch and sends it to each member in a group_key frame protected with that
  member's pairwise key. When a member leaves, the authority moves the group
  to the next epoch and the remaining members replace the key: frames under
  the old epoch's key, including anything the removed member sends, are
  refused.
"""

import secrets

from crypto import edhoc
from protocol.codec import decode, encode
from protocol.errors import FrameError
from protocol.security import LinkKey, SecureLink, SecurityError

SUITE_CIPHER = {edhoc.SUITE_2: "aes", edhoc.SUITE_SM: "sm4"}
EXPORT_LABEL_LINK = 0


def _kid(address: int) -> bytes:
    return address.to_bytes(2, "big")


def pairwise_key_id(a: int, b: int) -> int:
    """Key id of the pair's link key: 1..127 (0 and ≥ 128 are group keys)."""
    lo, hi = sorted((a, b))
    return 1 + (lo * 31 + hi) % 127


def group_key_id(epoch: int) -> int:
    return 128 + epoch % 128


class FleetAuthority:
    def __init__(self, suite: int = edhoc.SUITE_SM, method: int = edhoc.METHOD_STAT_STAT, net: int = 0x4D53):
        self.suite, self.method, self.net = suite, method, net
        self.store = edhoc.CredentialStore()
        self.groups: dict = {}  # group address -> (epoch, key, members)

    def enrol(self, address: int) -> "Node":
        key = edhoc.generate_keypair(edhoc.SUITES[self.suite].curve)
        cred = edhoc.make_credential(f"node-{address:04x}", _kid(address), key)
        self.store.add(cred)
        return Node(address, key, cred, self)

    def revoke(self, address: int) -> None:
        self.store.remove(_kid(address))

    def group_frames(self, station: "Node", group: int, members) -> list:
        """Open a new epoch of ``group`` for ``members``: a fresh key, sent to
        each member in a group_key frame under its pairwise link key."""
        epoch = self.groups[group][0] + 1 if group in self.groups else 1
        key = secrets.token_bytes(16)
        self.groups[group] = (epoch, key, sorted(members))
        station.install_group(group, epoch, key)
        frames = []
        for m in sorted(members):
            body = {"group": group, "epoch": epoch, "key_id": group_key_id(epoch), "wrapped_key": key}
            frames.append(station.send(m, "group_key", body))
        return frames

    def remove_member(self, station: "Node", group: int, address: int) -> list:
        members = self.groups[group][2]
        return self.group_frames(station, group, [m for m in members if m != address])


class Node:
    def __init__(self, address: int, key, cred, authority: FleetAuthority):
        self.address = address
        self.key, self.cred, self.authority = key, cred, authority
        self.link = SecureLink(address)
        self.sessions: dict = {}  # peer -> Initiator/Responder in progress
        self.group_epochs: dict = {}  # group -> epoch
        self.delivered: list = []  # verified frames handed to the application
        self.seq = 0
        self.seen_g_x: set = set()

    # ---- sending
    def _frame(self, dst: int, ftype: str, body: dict) -> dict:
        self.seq = (self.seq + 1) & 0xFF
        return {"type": ftype, "version": 0, "seq": self.seq, "net": self.authority.net, "dst": dst,
                "src": self.address, "ack_req": False, "mesh": None, "options": None, "security": None,
                "body": body}

    def send(self, dst: int, ftype: str, body: dict, *, key: LinkKey | None = None) -> bytes:
        """A secured frame to a neighbour (pairwise key) or a group (group key)."""
        peer = None
        if key is None:
            if dst in self.group_epochs:
                key = self.link.group[group_key_id(self.group_epochs[dst])]
            elif dst in self.link.pairwise:
                key, peer = self.link.pairwise[dst], dst
            else:
                raise SecurityError(f"no key for destination {dst:#06x}: run a handshake first")
        elif dst in self.link.pairwise and self.link.pairwise[dst] is key:
            peer = dst
        return self.link.protect(self._frame(dst, ftype, body), key, peer)

    def start_handshake(self, peer: int) -> bytes:
        a = self.authority
        ini = edhoc.Initiator(a.method, [a.suite], self.cred, self.key, a.store)
        self.sessions[peer] = ini
        m1 = ini.message_1()
        return self._handshake(peer, 1, m1)

    def _handshake(self, peer, no, message) -> bytes:
        session = self.address if no != 2 else peer
        return encode(self._frame(peer, "handshake", {"session": session, "message_no": no, "message": message}))

    def install_group(self, group: int, epoch: int, key: bytes) -> None:
        old = self.group_epochs.get(group)
        if old is not None:
            self.link.remove_group(group_key_id(old))  # the old epoch's key is gone: its frames are refused
        self.group_epochs[group] = epoch
        self.link.install(LinkKey(group_key_id(epoch), key, SUITE_CIPHER[self.authority.suite], 8))

    # ---- receiving
    def receive(self, data: bytes) -> list:
        """Process one frame; returns the frames to send in reply."""
        frame = decode(data)
        if frame["dst"] not in (self.address, 0xFFFF) and frame["dst"] not in self.group_epochs:
            return []
        if frame["security"] is not None:
            f = self.link.unprotect(data)
            if f["type"] == "group_key":
                self._group_key(f)
            else:
                self.delivered.append(f)
            return []
        if frame["type"] != "handshake":
            raise SecurityError(f"unsecured {frame['type']} frame refused")
        return self._on_handshake(frame)

    def _on_handshake(self, frame) -> list:
        a = self.authority
        peer, body = frame["src"], frame["body"]
        no = body["message_no"]
        try:
            if no == 1:
                resp = edhoc.Responder(a.method, [a.suite], self.cred, self.key, a.store, seen_g_x=self.seen_g_x)
                m2 = resp.message_2(body["message"])
                if not resp.failed:  # else m2 is an EDHOC error message for the initiator
                    self.sessions[peer] = resp
                return [self._handshake(peer, 2, m2)]
            session = self.sessions.get(peer)
            if no == 2 and isinstance(session, edhoc.Initiator):
                m3 = session.message_3(body["message"])
                self._established(peer, session)
                return [self._handshake(peer, 3, m3)]
            if no == 3 and isinstance(session, edhoc.Responder):
                session.finish(body["message"])
                self._established(peer, session)
                return []
        except edhoc.EdhocError:
            self.sessions.pop(peer, None)
            raise
        raise FrameError(f"unexpected handshake message {no} from {peer:#06x}")

    def _established(self, peer, session) -> None:
        lo, hi = sorted((self.address, peer))
        key = session.exporter(EXPORT_LABEL_LINK, b"mesh-link" + lo.to_bytes(2, "big") + hi.to_bytes(2, "big"), 16)
        self.link.install(LinkKey(pairwise_key_id(self.address, peer), key, SUITE_CIPHER[self.authority.suite], 8),
                          peer)
        self.sessions.pop(peer, None)

    def _group_key(self, f) -> None:
        link = self.link.pairwise.get(f["src"])
        if link is None or f["key_id"] != link.key_id or f["dst"] != self.address:
            raise SecurityError("group key not received over a pairwise link")
        b = f["body"]
        if b["group"] in self.group_epochs and b["epoch"] <= self.group_epochs[b["group"]]:
            raise SecurityError("stale group-key epoch")
        self.install_group(b["group"], b["epoch"], b["wrapped_key"])
