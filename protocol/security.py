"""Link-layer protection of mesh frames: AEAD over header and body, replay
windows, and frame-counter exhaustion.

A secured frame carries its security header (MIC length, key id, 32-bit
frame counter) after the other headers; the body is encrypted with CCM*
(13-byte nonce, MIC of 4, 8 or 16 bytes) under SM4 or AES
(:class:`crypto.aead.CCMStar`, byte-identical with the golden
:func:`crypto.modes.ccm_star_encrypt`):

* nonce = src (2) ‖ network id (2) ‖ key id (1) ‖ frame counter (4) ‖
  security level (1: the MIC length code) ‖ 00 00 00, all big-endian — unique
  per sender, key and counter;
* associated data = every header byte before the ciphertext (MAC, mesh,
  options and security headers), so none of them — destination included —
  can be altered;
* plaintext = the body's bytes (:func:`protocol.codec.encode_body`).

Every key is bound to the one address it serves: a pairwise key to the
neighbour it is shared with, a group key to its multicast group address
(``frames.MULTICAST_FIRST..LAST``). A frame to group G is checked under G's
key only; a frame to this node under the pairwise key of its source only.

Receiving checks, in order: a key for (group | source), its key id and MIC
length, the sender's replay window if it has one (sliding 64-frame bitmap
per sender and key: a late frame inside the window is accepted once,
anything older or repeated is refused), the sender cap, the MIC. Only a
verified frame creates or moves a window, so forged frames leave no state
behind; a key takes at most ``max_senders`` windows (a verified frame from
one sender more is refused: evicting a window would reopen its replays).
A sender's counter never wraps: at 2^32 - 1 it raises :class:`RekeyRequired`.
Installing a key starts a new counter space and drops the old key's windows.

**The network key** protects frames to the broadcast address (the mesh's
HELLO and TC): one key the whole fleet holds, installed with
:meth:`SecureLink.install_network` (never with :meth:`SecureLink.install`,
which serves one address), found by its key id — at most
:data:`NETWORK_KEYS` at once, so a rekey can overlap the old key and the new
ones — and sent under the one chosen (the last one installed, unless it was
installed with ``send=False`` to be switched to later with
:meth:`SecureLink.send_network`). Its windows are per sender, as
every key's; :meth:`SecureLink.forget_sender` drops one (safe only when the
caller refuses that sender's older frames by other means, e.g. a
timestamp).
"""

import functools
import struct
from typing import NamedTuple

import argcheck
from crypto.aead import CCMStar
from crypto.errors import AuthenticationError
from protocol import codec
from protocol import frames as F
from protocol.errors import FrameError

CIPHER_NAMES = ("sm4", "aes")
MIC_LENS = (4, 8, 16)
MAX_COUNTER = 2**32 - 1
WINDOW = 64
MAX_SENDERS = 256  # replay windows per key
NETWORK_KEYS = 3  # network keys held at once: the one sent under and, during rekeys, the previous and the next
_NONCE = struct.Struct(">HHBIB3x")  # src, net, key id, counter, MIC length code, 3 zero bytes


class SecurityError(FrameError):
    """A secured frame that must not be delivered (forged, replayed, unknown key)."""


class RekeyRequired(SecurityError):
    """The frame counter of this key is exhausted: derive a new key first."""


class ReplayError(SecurityError):
    """A frame counter already accepted, or older than the replay window."""


class ForgeryError(SecurityError):
    """A MIC that does not verify: the frame is forged or corrupted."""


class LinkKey(NamedTuple):
    key_id: int  # 0..255, carried in the frame
    key: bytes  # 16 bytes
    cipher: str = "sm4"  # "sm4" | "aes"
    mic_len: int = 8


def check_key(key) -> LinkKey:
    """``key`` if it is a usable :class:`LinkKey`, else SecurityError saying why."""
    if not isinstance(key, LinkKey):
        raise SecurityError(f"key must be a LinkKey, got {type(key).__name__}")
    argcheck.integer(key.key_id, "key_id", SecurityError, lo=0, hi=255)
    argcheck.byteslike(key.key, "key", SecurityError, length=16)
    argcheck.one_of(key.cipher, "cipher", SecurityError, CIPHER_NAMES)
    argcheck.one_of(key.mic_len, "mic_len", SecurityError, MIC_LENS)
    return key


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def is_group(address) -> bool:
    """True for a multicast group address (anything else, any type: False)."""
    return _is_int(address) and F.MULTICAST_FIRST <= address <= F.MULTICAST_LAST


def is_unicast(address) -> bool:
    """True for a node's address: not multicast, not broadcast."""
    return _is_int(address) and (0 <= address < F.MULTICAST_FIRST or F.MULTICAST_LAST < address < F.BROADCAST)


def nonce(src: int, net: int, key_id: int, counter: int, mic_len: int) -> bytes:
    """The 13-byte CCM* nonce (layout in the module docstring)."""
    if type(src) is int and type(net) is int and type(key_id) is int and type(counter) is int \
            and type(mic_len) is int and 0 <= src <= 0xFFFF and 0 <= net <= 0xFFFF and 0 <= key_id <= 255 \
            and 0 <= counter <= MAX_COUNTER and mic_len in MIC_LENS:
        return _NONCE.pack(src, net, key_id, counter, F.MIC_CODES[mic_len])  # the common case, checked here
    for v, name, hi in ((src, "src", 0xFFFF), (net, "net", 0xFFFF), (key_id, "key_id", 255),
                        (counter, "counter", MAX_COUNTER)):
        argcheck.integer(v, name, SecurityError, lo=0, hi=hi)
    mic_len = argcheck.one_of(mic_len, "mic_len", SecurityError, MIC_LENS)
    return (int(src).to_bytes(2, "big") + int(net).to_bytes(2, "big") + bytes([int(key_id)])
            + int(counter).to_bytes(4, "big") + bytes([F.MIC_CODES[mic_len]]) + bytes(3))


class ReplayWindow:
    """Sliding window of the last ``size`` counters of one sender and key."""

    def __init__(self, size: int = WINDOW):
        self.size = argcheck.integer(size, "size", SecurityError, lo=1, hi=4096)
        self.highest = -1
        self.bitmap = 0  # bit k set: counter highest - k already accepted

    def fresh(self, counter: int) -> bool:
        """True if ``counter`` (0..2^32-1) was never accepted and is not
        ``size`` or more behind the highest accepted."""
        if type(counter) is not int or not 0 <= counter <= MAX_COUNTER:
            counter = argcheck.integer(counter, "counter", SecurityError, lo=0, hi=MAX_COUNTER)
        if counter > self.highest:
            return True
        age = self.highest - counter
        return age < self.size and not (self.bitmap >> age) & 1

    def accept(self, counter: int) -> None:
        """Record ``counter`` as accepted (call only after :meth:`fresh`)."""
        if type(counter) is not int or not 0 <= counter <= MAX_COUNTER:
            counter = argcheck.integer(counter, "counter", SecurityError, lo=0, hi=MAX_COUNTER)
        if counter > self.highest:
            shift = counter - self.highest
            # a jump of size or more forgets every earlier bit: never build a 2^32-bit integer to mask it off
            # (a verified frame 2^32-1 ahead cost 1.1 GB and 1.2 s per window before this guard)
            self.bitmap = 1 if shift >= self.size else ((self.bitmap << shift) | 1) & ((1 << self.size) - 1)
            self.highest = counter
        else:
            self.bitmap |= 1 << (self.highest - counter)


_OPENED: dict = {}  # (network LinkKey, a broadcast frame's bytes) -> its plaintext body: opened once, not per receiver
_OPENED_MAX = 4096


@functools.lru_cache(maxsize=4096)
def _parsed_body(ftype: str, body: bytes) -> dict:
    return codec.decode_body(ftype, body)


def _broadcast_body(ftype: str, body: bytes) -> dict:
    """codec.decode_body of a broadcast frame's plaintext, parsed once per
    distinct plaintext (every neighbour of the sender decrypts the same
    bytes); each caller gets its own copy (bodies are flat fields and lists
    of flat records)."""
    parsed = _parsed_body(ftype, bytes(body))
    return {k: list(map(dict, v)) if type(v) is list else v for k, v in parsed.items()}  # lists hold records


class SecureLink:
    """One node's link-layer security state: pairwise keys by neighbour
    address, group keys by group address, a send counter per key, and the
    replay windows of verified senders (``windows[(key address, src)]``)."""

    def __init__(self, address: int, *, max_senders: int = MAX_SENDERS):
        self.address = argcheck.integer(address, "address", SecurityError, lo=0, hi=F.BROADCAST)
        if not is_unicast(self.address):
            raise SecurityError(f"a node's address must be unicast, got {self.address:#06x}")
        self.max_senders = argcheck.integer(max_senders, "max_senders", SecurityError, lo=1)
        self.pairwise: dict = {}  # neighbour address -> LinkKey
        self.group: dict = {}  # group address -> LinkKey
        self.network: dict = {}  # key id -> LinkKey of the network (broadcast) key
        self.network_tx: int | None = None  # key id of the network key frames are sent under
        self.tx_counter: dict = {}  # key slot -> next counter
        self.windows: dict = {}  # (key slot, src) -> ReplayWindow
        self._senders: dict = {}  # key slot -> number of windows
        self._aead: dict = {}  # key slot -> CCMStar
        # a key slot is the address a key serves, or (BROADCAST, key id) for a network key

    def _table(self, address: int) -> dict:
        if type(address) is not int or not 0 <= address <= F.BROADCAST:
            address = argcheck.integer(address, "address", SecurityError, lo=0, hi=F.BROADCAST)
        if is_group(address):
            return self.group
        if is_unicast(address) and address != self.address:
            return self.pairwise
        raise SecurityError(f"no key can serve address {address:#06x} (broadcast or this node)")

    def key_for(self, address: int) -> LinkKey | None:
        """The key installed for a neighbour or a group, or None."""
        return self._table(address).get(address)

    def install(self, key: LinkKey, address: int) -> None:
        """Install ``key`` for ``address``: a neighbour (pairwise key) or a
        multicast group (group key). A new key starts a new counter space and
        drops the replay windows of the key it replaces; installing the same
        key bytes again is refused (its counters would start over)."""
        key = check_key(key)
        table = self._table(address)
        old = table.get(address)
        if old is not None and old.key == key.key:
            raise SecurityError(f"the key for {address:#06x} is already installed: a rekey needs a new key")
        self.remove(address)
        table[address] = key
        self.tx_counter[address] = 0
        self._aead[address] = CCMStar(key.key, key.cipher, key.mic_len)

    def remove(self, address: int) -> None:
        """Forget the key for ``address``, its counter and its windows."""
        self._table(address).pop(address, None)
        self._drop_slot(address)

    def _drop_slot(self, slot) -> None:
        self.tx_counter.pop(slot, None)
        self._aead.pop(slot, None)
        if self._senders.pop(slot, 0):
            for k in [k for k in self.windows if k[0] == slot]:
                del self.windows[k]

    # ---- the network (broadcast) key
    def install_network(self, key: LinkKey, *, send: bool = True) -> None:
        """Install a network key (frames to the broadcast address): accepted
        from now on, and sent under from now on if ``send`` (or if no
        network key is sent under yet). Refused if its key id or its bytes
        are already installed, or if :data:`NETWORK_KEYS` are (remove one
        first)."""
        key = check_key(key)
        send = argcheck.flag(send, "send", SecurityError)
        if key.key_id in self.network or any(k.key == key.key for k in self.network.values()):
            raise SecurityError(f"network key {key.key_id} (or its bytes) already installed: a rekey needs a new key")
        if len(self.network) >= NETWORK_KEYS:
            raise SecurityError(f"{NETWORK_KEYS} network keys installed: remove the oldest first")
        slot = (F.BROADCAST, key.key_id)
        self.network[key.key_id] = key
        if send or self.network_tx is None:
            self.network_tx = key.key_id
        self.tx_counter[slot] = 0
        self._aead[slot] = CCMStar(key.key, key.cipher, key.mic_len)

    def send_network(self, key_id: int) -> None:
        """Send frames to the broadcast address under installed network key
        ``key_id`` from now on (the others stay accepted until removed)."""
        key_id = argcheck.integer(key_id, "key_id", SecurityError, lo=0, hi=255)
        if key_id not in self.network:
            raise SecurityError(f"network key {key_id} is not installed")
        self.network_tx = key_id

    def remove_network(self, key_id: int) -> None:
        """Forget network key ``key_id``, its counter and its windows."""
        key_id = argcheck.integer(key_id, "key_id", SecurityError, lo=0, hi=255)
        if self.network.pop(key_id, None) is not None:
            self._drop_slot((F.BROADCAST, key_id))
            if self.network_tx == key_id:
                self.network_tx = max(self.network) if self.network else None

    def forget_sender(self, src: int) -> None:
        """Drop the network-key windows of sender ``src`` (a neighbour gone).
        Its old frames are then refused only by what the caller checks
        besides (the fleet node's beacon timestamps)."""
        src = argcheck.integer(src, "src", SecurityError, lo=0, hi=0xFFFF)
        for k in [k for k in self.windows if k[1] == src and isinstance(k[0], tuple)]:
            del self.windows[k]
            self._senders[k[0]] -= 1

    def _tx_slot(self, address: int):
        """(installed key, key slot) frames to ``address`` are sent under."""
        if address == F.BROADCAST:
            k = self.network_tx
            return (None, None) if k is None else (self.network[k], (F.BROADCAST, k))
        return self.key_for(address), address

    def protect(self, frame: dict, key: LinkKey | None = None, peer: int | None = None) -> bytes:
        """Encode ``frame`` (unsecured form: its ``body`` set) as a secured
        frame under the key installed for ``peer`` (a neighbour) or, without
        ``peer``, for the frame's destination (a neighbour or a group). A
        ``key`` given must be that installed key."""
        if not isinstance(frame, dict) or "dst" not in frame or "src" not in frame or "net" not in frame:
            raise SecurityError("frame must be a frame dict (with dst, src, net and body)")
        address = frame["dst"] if peer is None else argcheck.integer(peer, "peer", SecurityError, lo=0, hi=0xFFFF)
        if peer is not None and not (_is_int(frame["dst"]) and peer == frame["dst"]):
            raise SecurityError(f"peer {peer:#06x} is not the frame's destination")
        if key is not None:
            check_key(key)
        installed, slot = self._tx_slot(address)
        if installed is None or (key is not None and key != installed):
            raise SecurityError(f"key not installed for {address:#06x}")
        counter = self.tx_counter[slot]
        if counter > MAX_COUNTER:
            raise RekeyRequired(f"frame counter of the key for {address:#06x} exhausted: rekey before sending")
        body = codec.encode_body(frame.get("type"), frame.get("body"))
        k = installed
        sec = {**{n: v for n, v in frame.items() if n != "body"}, "body": None,
               "security": {"key_id": k.key_id, "counter": counter, "mic_len": k.mic_len},
               "ciphertext": bytes(len(body)), "mic": bytes(k.mic_len)}
        header = codec.encode(sec)[:-(4 + len(body) + k.mic_len)]  # the encoder checks every header field
        sealed = self._aead[slot].encrypt(nonce(frame["src"], frame["net"], k.key_id, counter, k.mic_len),
                                          body, header)
        self.tx_counter[slot] = counter + 1
        out = header + sealed  # the same layout the encoder wrote, with the real ciphertext and MIC
        return out + codec.crc32(out).to_bytes(4, "little")

    def unprotect(self, data: bytes, decoded: dict | None = None) -> dict:
        """Verify and decrypt a secured frame; returns it in unsecured form
        with ``key_id`` and ``counter`` added. Raises SecurityError (nothing
        delivered, no state changed) when the key is unknown, the frame
        replayed or forged. ``decoded``, if given, must be
        ``protocol.codec.decode(data)`` (a caller that decoded the frame
        already: it is parsed once, by one parser); it is not modified."""
        frame = codec.decode(data) if decoded is None else decoded
        if not isinstance(frame, dict) or "security" not in frame:
            raise SecurityError("decoded must be the decoded frame of data")
        sec = frame["security"]
        if sec is None:
            raise SecurityError("frame is not secured")
        src, dst = frame["src"], frame["dst"]
        if dst == F.BROADCAST and is_unicast(src) and src != self.address:
            address = (F.BROADCAST, sec["key_id"])
            key = self.network.get(sec["key_id"])
        elif is_group(dst):
            address = dst
            key = self.group.get(dst)
        elif dst == self.address and is_unicast(src) and src != self.address:
            address = src
            key = self.pairwise.get(src)
        else:
            raise SecurityError(f"no key for a secured frame from {src:#06x} to {dst:#06x}")
        if key is None or key.key_id != sec["key_id"] or key.mic_len != sec["mic_len"]:
            raise SecurityError(f"no key {sec['key_id']} ({sec['mic_len']}-byte MIC) for this sender")
        window = self.windows.get((address, src))
        if window is not None and not window.fresh(sec["counter"]):
            raise ReplayError(f"replayed or too old frame counter {sec['counter']} from {src:#06x}")
        if window is None and self._senders.get(address, 0) >= self.max_senders:
            raise SecurityError(f"key for {dst:#06x} from {src:#06x}: already {self.max_senders} senders")
        shared = (key, bytes(data)) if dst == F.BROADCAST else None  # every receiver holds the network key
        body = _OPENED.get(shared) if shared is not None else None
        if body is None:
            ct, mic = frame["ciphertext"], frame["mic"]
            header = bytes(data[:len(data) - 4 - len(ct) - len(mic)])
            try:
                body = self._aead[address].decrypt(nonce(src, frame["net"], key.key_id, sec["counter"], key.mic_len),
                                                   ct + mic, header)
            except AuthenticationError:
                raise ForgeryError("MIC does not verify: frame forged or corrupted") from None
            if shared is not None:  # the same key and bytes decrypt to the same body: keep it for the next receiver
                if len(_OPENED) >= _OPENED_MAX:
                    _OPENED.clear()
                _OPENED[shared] = body
        plain = _broadcast_body(frame["type"], body) if dst == F.BROADCAST else codec.decode_body(frame["type"], body)
        if window is None:
            window = self.windows[(address, src)] = ReplayWindow()
            self._senders[address] = self._senders.get(address, 0) + 1
        window.accept(sec["counter"])
        out = dict(frame)  # its keys in order, less the three below, then security (None), key_id, counter
        del out["ciphertext"], out["mic"], out["security"]
        out["security"] = None
        out["body"] = plain
        out["key_id"] = key.key_id
        out["counter"] = sec["counter"]
        return out
