"""Link-layer protection of mesh frames: AEAD over header and body, replay
windows, and frame-counter exhaustion.

A secured frame carries its security header (MIC length, key id, 32-bit
frame counter) after the other headers; the body is encrypted with CCM*
(13-byte nonce, MIC of 4, 8 or 16 bytes) under SM4 or AES:

* nonce = src (2) ‖ network id (2) ‖ key id (1) ‖ frame counter (4) ‖
  security level (1: the MIC length code) ‖ 00 00 00, all big-endian — unique
  per sender, key and counter;
* associated data = every header byte before the ciphertext (MAC, mesh,
  options and security headers), so none of them can be altered;
* plaintext = the body's bytes (:func:`protocol.codec.encode_body`).

Receiving checks, in order: known key, replay window (sliding 64-frame bitmap
per sender and key: a late frame inside the window is accepted once, anything
older or repeated is refused), MIC; only a verified frame moves the window.
A sender's counter never wraps: at 2^32 - 1 it raises :class:`RekeyRequired`.
"""

from typing import NamedTuple

from crypto import modes
from crypto.aes import AES
from crypto.errors import AuthenticationError
from crypto.sm4 import SM4
from protocol import codec
from protocol import frames as F
from protocol.errors import FrameError

CIPHERS = {"sm4": SM4, "aes": AES}
MAX_COUNTER = 2**32 - 1
WINDOW = 64


class SecurityError(FrameError):
    """A secured frame that must not be delivered (forged, replayed, unknown key)."""


class RekeyRequired(SecurityError):
    """The frame counter of this key is exhausted: derive a new key first."""


class LinkKey(NamedTuple):
    key_id: int  # 0..255, carried in the frame
    key: bytes  # 16 bytes
    cipher: str = "sm4"  # "sm4" | "aes"
    mic_len: int = 8


def nonce(src: int, net: int, key_id: int, counter: int, mic_len: int) -> bytes:
    return (src.to_bytes(2, "big") + net.to_bytes(2, "big") + bytes([key_id]) + counter.to_bytes(4, "big")
            + bytes([F.MIC_CODES[mic_len]]) + bytes(3))


class ReplayWindow:
    """Sliding window of the last ``size`` counters of one sender and key."""

    def __init__(self, size: int = WINDOW):
        self.size = size
        self.highest = -1
        self.bitmap = 0  # bit k set: counter highest - k already accepted

    def fresh(self, counter: int) -> bool:
        if counter > self.highest:
            return True
        age = self.highest - counter
        return age < self.size and not (self.bitmap >> age) & 1

    def accept(self, counter: int) -> None:
        if counter > self.highest:
            shift = counter - self.highest
            self.bitmap = ((self.bitmap << shift) | 1) & ((1 << self.size) - 1)
            self.highest = counter
        else:
            self.bitmap |= 1 << (self.highest - counter)


class SecureLink:
    """One node's link-layer security state: pairwise keys by neighbour
    address, group keys by key id, send counters per key, and the replay
    windows of everything received."""

    def __init__(self, address: int):
        self.address = address
        self.pairwise: dict = {}  # neighbour address -> LinkKey
        self.group: dict = {}  # key id -> LinkKey
        self.tx_counter: dict = {}  # (peer or None, key id) -> next counter
        self.windows: dict = {}  # (src, key id, key bytes) -> ReplayWindow

    def install(self, key: LinkKey, peer: int | None = None) -> None:
        """Install a pairwise key (``peer`` given) or a group key; a new key
        starts a new counter space."""
        if peer is None:
            self.group[key.key_id] = key
        else:
            self.pairwise[peer] = key
        self.tx_counter[(peer, key.key_id)] = 0

    def remove_group(self, key_id: int) -> None:
        self.group.pop(key_id, None)
        self.tx_counter.pop((None, key_id), None)

    def protect(self, frame: dict, key: LinkKey, peer: int | None = None) -> bytes:
        """Encode ``frame`` (unsecured form: its ``body`` set) as a secured
        frame under ``key`` (the pairwise key of ``peer``, or a group key)."""
        slot = (peer, key.key_id)
        if slot not in self.tx_counter:
            raise SecurityError("key not installed")
        counter = self.tx_counter[slot]
        if counter > MAX_COUNTER:
            raise RekeyRequired(f"frame counter of key {key.key_id} exhausted: rekey before sending")
        self.tx_counter[slot] = counter + 1
        body = codec.encode_body(frame["type"], frame["body"])
        sec = {**{k: v for k, v in frame.items() if k != "body"}, "body": None,
               "security": {"key_id": key.key_id, "counter": counter, "mic_len": key.mic_len},
               "ciphertext": bytes(len(body)), "mic": bytes(key.mic_len)}
        header = codec.encode(sec)[:-(4 + len(body) + key.mic_len)]
        ct, mic = modes.ccm_star_encrypt(CIPHERS[key.cipher](key.key),
                                         nonce(frame["src"], frame["net"], key.key_id, counter, key.mic_len),
                                         body, header, key.mic_len)
        return codec.encode({**sec, "ciphertext": ct, "mic": mic})

    def unprotect(self, data: bytes) -> dict:
        """Verify and decrypt a secured frame; returns it in unsecured form
        with ``key_id`` and ``counter`` added. Raises SecurityError (nothing
        delivered) when the key is unknown, the frame replayed or forged."""
        frame = codec.decode(data)
        sec = frame["security"]
        if sec is None:
            raise SecurityError("frame is not secured")
        dst = frame["dst"]
        if dst == F.BROADCAST or F.MULTICAST_FIRST <= dst <= F.MULTICAST_LAST:
            key = self.group.get(sec["key_id"])
        else:
            key = self.pairwise.get(frame["src"])
        if key is None or key.key_id != sec["key_id"] or key.mic_len != sec["mic_len"]:
            raise SecurityError(f"no key {sec['key_id']} ({sec['mic_len']}-byte MIC) for this sender")
        window = self.windows.setdefault((frame["src"], key.key_id, key.key), ReplayWindow())
        if not window.fresh(sec["counter"]):
            raise SecurityError(f"replayed or too old frame counter {sec['counter']} from {frame['src']:#06x}")
        ct_len = len(frame["ciphertext"])
        header = bytes(data[:len(data) - 4 - ct_len - key.mic_len])
        try:
            body = modes.ccm_star_decrypt(CIPHERS[key.cipher](key.key),
                                          nonce(frame["src"], frame["net"], key.key_id, sec["counter"], key.mic_len),
                                          frame["ciphertext"], frame["mic"], header)
        except AuthenticationError:
            raise SecurityError("MIC does not verify: frame forged or corrupted") from None
        window.accept(sec["counter"])
        out = {k: v for k, v in frame.items() if k not in ("ciphertext", "mic", "security")}
        out["security"] = None
        out["body"] = codec.decode_body(frame["type"], body)
        out["key_id"] = key.key_id
        out["counter"] = sec["counter"]
        return out
