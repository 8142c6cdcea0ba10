"""SM3 hash function, GB/T 32905-2016 (256-bit digest, 512-bit blocks).

Big-endian words. Padding as clause 5.2 (a 1 bit, zeros, 64-bit length).
Expansion (5.3.2): W[j] = P1(W[j-16] ^ W[j-9] ^ W[j-3]<<<15) ^ W[j-13]<<<7 ^
W[j-6] for j = 16..67, W'[j] = W[j] ^ W[j+4]. Compression (5.3.3) with
T = 79cc4519 (j < 16) / 7a879d8a, FF/GG = XOR for j < 16 and majority /
choice after, P0(x) = x ^ x<<<9 ^ x<<<17, P1(x) = x ^ x<<<15 ^ x<<<23.

:class:`SM3` is incremental (``update`` / ``digest`` / ``hexdigest`` /
``copy``, like ``hashlib``); :func:`sm3_batch` hashes many equal-length
messages at once with numpy. :class:`SM3` and :func:`sm3` are the golden model.

:func:`new` is the fast path: OpenSSL's SM3 through ``hashlib`` when this
Python's OpenSSL provides it (:data:`OPENSSL`), else the golden :class:`SM3`;
the same digests byte for byte (tests/test_crypto_fastpaths.py checks them
against the golden model and GB/T 32905-2016 Appendix A).

Inputs are ``bytes``, ``bytearray`` or ``memoryview``; anything else (a
``str``, an ``int``, a list of ints) raises :class:`crypto.errors.CryptoError`
naming the argument.
"""

import hashlib
import struct

import numpy as np

import argcheck
from crypto.errors import CryptoError

IV = (0x7380166F, 0x4914B2B9, 0x172442D7, 0xDA8A0600, 0xA96F30BC, 0x163138AA, 0xE38DEE4D, 0xB0FB0E4E)
DIGEST_SIZE = 32
BLOCK_SIZE = 64
M32 = 0xFFFFFFFF


def _rotl(x, n):
    n %= 32
    return ((x << n) | (x >> (32 - n))) & M32


# T_j <<< (j mod 32), precomputed for the 64 rounds
_TJ = tuple(_rotl(0x79CC4519 if j < 16 else 0x7A879D8A, j) for j in range(64))


def _compress_words(v, w, rotl, m32):
    """One compression: state words ``v`` and the block's 16 words ``w``.
    Written once for Python ints (``m32`` = 0xFFFFFFFF masks the sums) and for
    numpy uint32 vectors, one lane per message (the sums wrap by themselves)."""
    w = list(w)
    for j in range(16, 68):
        t = w[j - 16] ^ w[j - 9] ^ rotl(w[j - 3], 15)
        w.append(t ^ rotl(t, 15) ^ rotl(t, 23) ^ rotl(w[j - 13], 7) ^ w[j - 6])  # P1(t) ^ ...
    a, b, c, d, e, f, g, h = v
    for j in range(64):
        a12 = rotl(a, 12)
        ss1 = rotl((a12 + e + _TJ[j]) & m32, 7)
        ss2 = ss1 ^ a12
        if j < 16:
            ff = a ^ b ^ c
            gg = e ^ f ^ g
        else:
            ff = (a & b) | (a & c) | (b & c)
            gg = (e & f) | (~e & m32 & g)
        tt1 = (ff + d + ss2 + (w[j] ^ w[j + 4])) & m32
        tt2 = (gg + h + ss1 + w[j]) & m32
        d, c, b, a = c, rotl(b, 9), a, tt1
        h, g, f, e = g, rotl(f, 19), e, tt2 ^ rotl(tt2, 9) ^ rotl(tt2, 17)  # P0(tt2)
    return tuple(x ^ y for x, y in zip(v, (a, b, c, d, e, f, g, h), strict=True))


def _compress(v, block: bytes):
    return _compress_words(v, struct.unpack(">16I", block), _rotl, M32)


def _pad(length: int) -> bytes:
    return b"\x80" + b"\x00" * ((55 - length) % 64) + struct.pack(">Q", (8 * length) & (2**64 - 1))


class SM3:
    """Incremental SM3 with the ``hashlib`` interface."""

    name = "sm3"
    digest_size = DIGEST_SIZE
    block_size = BLOCK_SIZE

    def __init__(self, data: bytes = b""):
        self._v = IV
        self._buf = b""
        self._len = 0
        self.update(data)

    def update(self, data: bytes) -> None:
        """Hash ``data`` (bytes-like) after what came before."""
        data = argcheck.byteslike(data, "data", CryptoError)
        self._len += len(data)
        buf = self._buf + data
        full = len(buf) - len(buf) % 64
        v = self._v
        for i in range(0, full, 64):
            v = _compress(v, buf[i:i + 64])
        self._v = v
        self._buf = buf[full:]

    def digest(self) -> bytes:
        tail = self._buf + _pad(self._len)
        v = self._v
        for i in range(0, len(tail), 64):
            v = _compress(v, tail[i:i + 64])
        return struct.pack(">8I", *v)

    def hexdigest(self) -> str:
        return self.digest().hex()

    def copy(self) -> "SM3":
        c = SM3.__new__(SM3)
        c._v, c._buf, c._len = self._v, self._buf, self._len
        return c


def sm3(data: bytes) -> bytes:
    """The 32-byte SM3 digest of ``data``."""
    return SM3(data).digest()


def _openssl_has_sm3() -> bool:
    """True when ``hashlib`` (this Python's OpenSSL) provides SM3; a build
    without it, or a FIPS-mode OpenSSL that refuses it, raises ValueError."""
    try:
        hashlib.new("sm3")
    except ValueError:
        return False
    return True


OPENSSL = _openssl_has_sm3()


def new(data: bytes = b""):
    """A new SM3 hash object (``update`` / ``digest`` / ``copy``, ``block_size``
    64, ``digest_size`` 32) holding ``data``: OpenSSL's when :data:`OPENSSL`,
    else the golden :class:`SM3`. Like ``hashlib.sha256``, OpenSSL's object
    checks nothing in ``update``: give it bytes-like data only."""
    data = argcheck.byteslike(data, "data", CryptoError)
    return hashlib.new("sm3", data) if OPENSSL else SM3(data)


# ---- batch: many messages of one length, hashed in parallel with numpy ----

def _nrotl(x, n):
    """Rotate every uint32 lane left by n."""
    n %= 32
    return (x << np.uint32(n)) | (x >> np.uint32(32 - n)) if n else x


def sm3_batch(messages) -> list:
    """SM3 of each message; ``messages`` is a list or tuple of bytes-like
    messages, all of the same length (one numpy pass per block over all
    messages). Returns a list of 32-byte digests."""
    if not isinstance(messages, (list, tuple)):
        raise CryptoError(f"messages must be a list or tuple of bytes, got {type(messages).__name__}")
    msgs = [argcheck.byteslike(m, f"messages[{i}]", CryptoError) for i, m in enumerate(messages)]
    if not msgs:
        return []
    n = len(msgs[0])
    if any(len(m) != n for m in msgs):
        raise CryptoError("messages must all have the same length")
    pad = _pad(n)
    data = np.frombuffer(b"".join(m + pad for m in msgs), dtype=">u4").astype(np.uint32)
    words = data.reshape(len(msgs), -1, 16)
    v = tuple(np.full(len(msgs), x, np.uint32) for x in IV)
    m32 = np.uint32(0xFFFFFFFF)
    with np.errstate(over="ignore"):
        for blk in range(words.shape[1]):
            v = _compress_words(v, (words[:, blk, j] for j in range(16)), _nrotl, m32)
    out = np.stack(v, axis=1).astype(">u4")
    return [row.tobytes() for row in out]
