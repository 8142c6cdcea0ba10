"""HMAC (RFC 2104) and HKDF (RFC 5869), generic over the hash: ``"sm3"``
(:func:`crypto.sm3.new`: OpenSSL's SM3 when available, else the golden
:class:`crypto.sm3.SM3`, the same bytes either way) or ``"sha256"``
(``hashlib``).

Keys, messages, salts and info are ``bytes``, ``bytearray`` or
``memoryview`` — never ``str`` and never a bare ``int`` (``bytes(5)`` would
silently hash five zero bytes); lengths are ``int`` (not ``bool`` or
``float``). Anything else raises :class:`crypto.errors.CryptoError` naming the
argument.
"""

import hashlib

import argcheck
from crypto import sm3
from crypto.errors import CryptoError

HASHES = {"sm3": sm3.new, "sha256": hashlib.sha256}


def hash_factory(name: str):
    """The hash constructor of ``name`` (a key of :data:`HASHES`)."""
    return HASHES[argcheck.one_of(name, "name", CryptoError, tuple(HASHES))]


def digest(name: str, data: bytes) -> bytes:
    """The digest of ``data`` with hash ``name``."""
    h = hash_factory(name)
    return h(argcheck.byteslike(data, "data", CryptoError)).digest()


def _hmac(h, key: bytes, msg: bytes) -> bytes:
    block = h().block_size
    if len(key) > block:
        key = h(key).digest()
    key = key.ljust(block, b"\x00")
    inner = h(bytes(k ^ 0x36 for k in key))
    inner.update(msg)
    outer = h(bytes(k ^ 0x5C for k in key))
    outer.update(inner.digest())
    return outer.digest()


def hmac(name: str, key: bytes, msg: bytes) -> bytes:
    """HMAC(key, msg) with hash ``name``: H((K ^ opad) || H((K ^ ipad) || msg))."""
    h = hash_factory(name)
    key = argcheck.byteslike(key, "key", CryptoError)
    return _hmac(h, key, argcheck.byteslike(msg, "msg", CryptoError))


def hkdf_extract(name: str, salt: bytes, ikm: bytes) -> bytes:
    """PRK = HMAC(salt, IKM); an empty salt means HashLen zero bytes."""
    h = hash_factory(name)
    salt = argcheck.byteslike(salt, "salt", CryptoError)
    ikm = argcheck.byteslike(ikm, "ikm", CryptoError)
    return _hmac(h, salt or bytes(h().digest_size), ikm)


def hkdf_expand(name: str, prk: bytes, info: bytes, length: int) -> bytes:
    """OKM = T(1) || T(2) || ... truncated to ``length`` bytes (1 ≤ length ≤
    255 · HashLen); ``prk`` is at least HashLen bytes (RFC 5869, 2.3)."""
    h = hash_factory(name)
    hlen = h().digest_size
    prk = argcheck.byteslike(prk, "prk", CryptoError, min_len=hlen)
    info = argcheck.byteslike(info, "info", CryptoError)
    length = argcheck.integer(length, "length", CryptoError, lo=1, hi=255 * hlen)
    out, t = b"", b""
    for i in range(1, -(-length // hlen) + 1):
        t = _hmac(h, prk, t + info + bytes([i]))
        out += t
    return out[:length]


def hkdf(name: str, ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    """HKDF-Expand(HKDF-Extract(salt, ikm), info, length) with hash ``name``."""
    return hkdf_expand(name, hkdf_extract(name, salt, ikm), info, length)
