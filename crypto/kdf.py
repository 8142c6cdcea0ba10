"""HMAC (RFC 2104) and HKDF (RFC 5869), generic over the hash: ``"sm3"``
(:class:`crypto.sm3.SM3`) or ``"sha256"`` (``hashlib``)."""

import hashlib

from crypto.errors import CryptoError
from crypto.sm3 import SM3

HASHES = {"sm3": SM3, "sha256": hashlib.sha256}


def hash_factory(name: str):
    try:
        return HASHES[name]
    except (KeyError, TypeError):
        raise CryptoError(f"unknown hash {name!r}; choose from {sorted(HASHES)}") from None


def digest(name: str, data: bytes) -> bytes:
    return hash_factory(name)(bytes(data)).digest()


def hmac(name: str, key: bytes, msg: bytes) -> bytes:
    """HMAC(key, msg) with hash ``name``: H((K ^ opad) || H((K ^ ipad) || msg))."""
    h = hash_factory(name)
    if not isinstance(key, (bytes, bytearray)) or not isinstance(msg, (bytes, bytearray)):
        raise CryptoError("HMAC key and message must be bytes")
    key = bytes(key)
    block = h().block_size
    if len(key) > block:
        key = h(key).digest()
    key = key.ljust(block, b"\x00")
    inner = h(bytes(k ^ 0x36 for k in key))
    inner.update(bytes(msg))
    outer = h(bytes(k ^ 0x5C for k in key))
    outer.update(inner.digest())
    return outer.digest()


def hkdf_extract(name: str, salt: bytes, ikm: bytes) -> bytes:
    """PRK = HMAC(salt, IKM); an empty salt means HashLen zero bytes."""
    if not salt:
        salt = bytes(hash_factory(name)().digest_size)
    return hmac(name, salt, ikm)


def hkdf_expand(name: str, prk: bytes, info: bytes, length: int) -> bytes:
    """OKM = T(1) || T(2) || ... truncated to ``length`` (≤ 255 · HashLen)."""
    hlen = hash_factory(name)().digest_size
    if not isinstance(length, int) or not 0 < length <= 255 * hlen:
        raise CryptoError(f"HKDF length must be 1..{255 * hlen}, got {length!r}")
    out, t = b"", b""
    for i in range(1, -(-length // hlen) + 1):
        t = hmac(name, prk, t + bytes(info) + bytes([i]))
        out += t
    return out[:length]


def hkdf(name: str, ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    return hkdf_expand(name, hkdf_extract(name, salt, ikm), info, length)
