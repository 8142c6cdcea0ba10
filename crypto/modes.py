"""Block-cipher modes written once, for any cipher object with a 16-byte
``encrypt_block`` and a batch ``encrypt_blocks`` (:class:`crypto.sm4.SM4`,
:class:`crypto.aes.AES`).

* CTR — NIST SP 800-38A 6.5; the whole 128-bit counter block increments.
* GCM — NIST SP 800-38D: GHASH in GF(2^128) with x^128 + x^7 + x^2 + x + 1,
  inc32 counters, 96-bit IVs directly and other lengths through GHASH; tags of
  4, 8 and 12..16 bytes.
* CCM — NIST SP 800-38C / RFC 3610: nonce 7..13 bytes (L = 15 - nonce
  length), tags 4, 6, ..., 16 bytes.
* CCM* — IEEE 802.15.4's profile of CCM for link-layer frames: 13-byte nonce,
  tags of 4, 8 or 16 bytes. (Its encryption-only level, M = 0, is
  deliberately not offered: every frame here is authenticated.)

Decryption checks the tag first (constant-time comparison) and raises
:class:`crypto.errors.AuthenticationError` without releasing any plaintext.

Every public function checks its arguments once, before any block is
processed: byte strings are ``bytes``, ``bytearray`` or ``memoryview`` (never
``str`` or ``int``), tag lengths are ``int`` from the mode's list (``4.0``
and ``True`` are refused), ``cipher`` is a block-cipher object; anything else
raises :class:`crypto.errors.CryptoError` naming the argument.
"""

import hmac as _hmac

import argcheck
from crypto.errors import AuthenticationError, CryptoError

BLOCK = 16
GCM_TAGS = (4, 8, 12, 13, 14, 15, 16)
CCM_TAGS = (4, 6, 8, 10, 12, 14, 16)


def _bytes(name, v) -> bytes:
    return argcheck.byteslike(v, name, CryptoError)


def _cipher(cipher):
    """``cipher`` must be a block-cipher object with 16-byte blocks (an
    instance, not a class) offering ``encrypt_block`` and ``encrypt_blocks``."""
    if (isinstance(cipher, type) or getattr(cipher, "block_size", None) != BLOCK
            or not callable(getattr(cipher, "encrypt_block", None))
            or not callable(getattr(cipher, "encrypt_blocks", None))):
        raise CryptoError("cipher must be a 16-byte block cipher object (crypto.sm4.SM4, crypto.aes.AES), "
                          f"got {type(cipher).__name__}")
    return cipher


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b[:len(a)], "big")).to_bytes(len(a), "big")


def _keystream(cipher, counter: int, nblocks: int, inc_bits: int) -> bytes:
    """Encrypt counter blocks counter, counter+1, ... (the low ``inc_bits``
    bits wrap, the rest stay)."""
    if nblocks == 0:
        return b""
    mod = 1 << inc_bits
    high = counter - counter % mod
    low = counter % mod
    blocks = b"".join((high | ((low + i) % mod)).to_bytes(BLOCK, "big") for i in range(nblocks))
    return cipher.encrypt_blocks(blocks)


def ctr(cipher, counter_block: bytes, data: bytes) -> bytes:
    """CTR encryption (and decryption) from a 16-byte initial counter block."""
    _cipher(cipher)
    cb = argcheck.byteslike(counter_block, "counter_block", CryptoError, length=BLOCK)
    data = _bytes("data", data)
    ks = _keystream(cipher, int.from_bytes(cb, "big"), -(-len(data) // BLOCK), 128)
    return _xor(data, ks) if data else b""


# ---- GCM ----

_R = 0xE1 << 120


def _gf_mult(x: int, y: int) -> int:
    """Multiply in GF(2^128), GCM bit order (SP 800-38D 6.3)."""
    z = 0
    v = y
    for i in range(127, -1, -1):
        if (x >> i) & 1:
            z ^= v
        v = (v >> 1) ^ _R if v & 1 else v >> 1
    return z


class _Ghash:
    """GHASH_H with 8-bit tables: 16 table look-ups per block (Shoup)."""

    def __init__(self, h: int):
        # M[i][b] = (b placed at byte i, i = 0 most significant) * H
        self.tables = []
        for i in range(16):
            shift = 8 * (15 - i)
            self.tables.append([_gf_mult(b << shift, h) for b in range(256)])

    def __call__(self, data: bytes) -> int:
        y = 0
        t = self.tables
        for off in range(0, len(data), BLOCK):
            x = y ^ int.from_bytes(data[off:off + BLOCK], "big")
            y = 0
            for i, b in enumerate(x.to_bytes(BLOCK, "big")):
                y ^= t[i][b]
        return y


def _inc32(x: int) -> int:
    """SP 800-38D 6.2: increment the low 32 bits, modulo 2^32."""
    return (x & ~0xFFFFFFFF) | ((x + 1) & 0xFFFFFFFF)


def _pad16(b: bytes) -> bytes:
    return b + b"\x00" * (-len(b) % BLOCK)


def _gcm_setup(cipher, iv, tag_len):
    _cipher(cipher)
    iv = argcheck.byteslike(iv, "iv", CryptoError, min_len=1)
    tag_len = argcheck.one_of(tag_len, "tag_len", CryptoError, GCM_TAGS)
    h = int.from_bytes(cipher.encrypt_block(bytes(BLOCK)), "big")
    ghash = _Ghash(h)
    if len(iv) == 12:
        j0 = int.from_bytes(iv + b"\x00\x00\x00\x01", "big")
    else:
        j0 = ghash(_pad16(iv) + (8 * len(iv)).to_bytes(BLOCK, "big"))
    return ghash, j0, tag_len


def _gcm_tag(cipher, ghash, j0, aad, ct, tag_len):
    s = ghash(_pad16(aad) + _pad16(ct) + (8 * len(aad)).to_bytes(8, "big") + (8 * len(ct)).to_bytes(8, "big"))
    return _xor(s.to_bytes(BLOCK, "big"), cipher.encrypt_block(j0.to_bytes(BLOCK, "big")))[:tag_len]


def gcm_encrypt(cipher, iv: bytes, plaintext: bytes, aad: bytes = b"", tag_len: int = 16):
    """Returns (ciphertext, tag)."""
    pt, aad = _bytes("plaintext", plaintext), _bytes("aad", aad)
    if len(pt) > (2**32 - 2) * BLOCK:
        raise CryptoError("plaintext too long for GCM (at most 2^32 - 2 blocks)")
    ghash, j0, tag_len = _gcm_setup(cipher, iv, tag_len)
    ks = _keystream(cipher, _inc32(j0), -(-len(pt) // BLOCK), 32)
    ct = _xor(pt, ks) if pt else b""
    return ct, _gcm_tag(cipher, ghash, j0, aad, ct, tag_len)


def gcm_decrypt(cipher, iv: bytes, ciphertext: bytes, tag: bytes, aad: bytes = b"",
                tag_len: int = 16) -> bytes:
    """Verify then decrypt; raises AuthenticationError (no plaintext) on a bad tag.

    ``tag_len`` is what the receiver expects: a tag of any other length is a
    forgery (GCM tags do not bind their length, so accepting whatever arrives
    would let an attacker truncate them)."""
    tag = _bytes("tag", tag)
    ct, aad = _bytes("ciphertext", ciphertext), _bytes("aad", aad)
    ghash, j0, tag_len = _gcm_setup(cipher, iv, tag_len)
    if len(tag) != tag_len:
        raise AuthenticationError(f"GCM tag of {len(tag)} bytes, expected {tag_len}")
    if not _hmac.compare_digest(_gcm_tag(cipher, ghash, j0, aad, ct, len(tag)), tag):
        raise AuthenticationError("GCM tag does not verify")
    ks = _keystream(cipher, _inc32(j0), -(-len(ct) // BLOCK), 32)
    return _xor(ct, ks) if ct else b""


# ---- CCM ----

def _ccm_check(nonce, tag_len, msg_len):
    """Checked nonce (7..13 bytes) and q = 15 - its length; ``tag_len`` is a
    CCM tag length and a ``msg_len``-byte message fits the q-byte length field."""
    nonce = argcheck.byteslike(nonce, "nonce", CryptoError, min_len=7, max_len=13)
    argcheck.one_of(tag_len, "tag_len", CryptoError, CCM_TAGS)
    q = 15 - len(nonce)
    if msg_len >= 1 << (8 * q):
        raise CryptoError(f"message of {msg_len} bytes does not fit a {len(nonce)}-byte CCM nonce")
    return nonce, q


def _ccm_tag_len(tag: bytes, allowed) -> int:
    """The length of a received tag, one of ``allowed``."""
    if len(tag) not in allowed:
        raise CryptoError(f"tag must be {', '.join(map(str, allowed))} bytes, got {len(tag)}")
    return len(tag)


def ccm_mac_input(nonce: bytes, aad: bytes, pt: bytes, tag_len: int) -> bytes:
    """The CBC-MAC input of CCM (SP 800-38C A.2): B0 (flags, nonce, message
    length), the encoded AAD length and AAD, the plaintext, each zero-padded to
    whole blocks. Shared by this model and the OpenSSL path in crypto.aead."""
    aad, pt = _bytes("aad", aad), _bytes("pt", pt)
    nonce, _ = _ccm_check(nonce, tag_len, len(pt))
    return _mac_input(nonce, aad, pt, tag_len)


def _mac_input(nonce: bytes, aad: bytes, pt: bytes, tag_len: int) -> bytes:
    """:func:`ccm_mac_input` of checked arguments."""
    q = 15 - len(nonce)
    flags = (0x40 if aad else 0) | (((tag_len - 2) // 2) << 3) | (q - 1)
    b = bytes([flags]) + nonce + len(pt).to_bytes(q, "big")
    if aad:
        la = len(aad)
        if la < 0xFF00:
            enc = la.to_bytes(2, "big")
        elif la < 1 << 32:
            enc = b"\xff\xfe" + la.to_bytes(4, "big")
        else:
            enc = b"\xff\xff" + la.to_bytes(8, "big")
        b += _pad16(enc + aad)
    return b + _pad16(pt)


def _ccm_mac(cipher, nonce, q, aad, pt, tag_len):
    b = _mac_input(nonce, aad, pt, tag_len)
    x = bytes(BLOCK)
    for off in range(0, len(b), BLOCK):
        x = cipher.encrypt_block(_xor(x, b[off:off + BLOCK]))
    return x[:tag_len]


def _ccm_ctr(cipher, nonce, q, n_bytes, start):
    a0 = int.from_bytes(bytes([q - 1]) + nonce + bytes(q), "big")
    return _keystream(cipher, a0 + start, -(-n_bytes // BLOCK), 8 * q)


def ccm_encrypt(cipher, nonce: bytes, plaintext: bytes, aad: bytes = b"", tag_len: int = 16):
    """Returns (ciphertext, tag)."""
    _cipher(cipher)
    pt, aad = _bytes("plaintext", plaintext), _bytes("aad", aad)
    nonce, q = _ccm_check(nonce, tag_len, len(pt))
    t = _ccm_mac(cipher, nonce, q, aad, pt, tag_len)
    s0 = _ccm_ctr(cipher, nonce, q, BLOCK, 0)
    ct = _xor(pt, _ccm_ctr(cipher, nonce, q, len(pt), 1)) if pt else b""
    return ct, _xor(t, s0)


def ccm_decrypt(cipher, nonce: bytes, ciphertext: bytes, tag: bytes, aad: bytes = b"") -> bytes:
    """Decrypt, verify, and release the plaintext only when the tag verifies."""
    _cipher(cipher)
    ct, aad, tag = _bytes("ciphertext", ciphertext), _bytes("aad", aad), _bytes("tag", tag)
    nonce, q = _ccm_check(nonce, _ccm_tag_len(tag, CCM_TAGS), len(ct))
    pt = _xor(ct, _ccm_ctr(cipher, nonce, q, len(ct), 1)) if ct else b""
    expected = _xor(_ccm_mac(cipher, nonce, q, aad, pt, len(tag)), _ccm_ctr(cipher, nonce, q, BLOCK, 0))
    if not _hmac.compare_digest(expected, tag):
        del pt  # CCM decrypts before it can verify: keep the forged frame's plaintext out of the traceback
        raise AuthenticationError("CCM tag does not verify")
    return pt


CCM_STAR_NONCE = 13
CCM_STAR_TAGS = (4, 8, 16)


def ccm_star_encrypt(cipher, nonce: bytes, plaintext: bytes, aad: bytes = b"", tag_len: int = 8):
    """CCM* (13-byte nonce, 4/8/16-byte tag). Returns (ciphertext, tag)."""
    argcheck.byteslike(nonce, "nonce", CryptoError, length=CCM_STAR_NONCE)
    argcheck.one_of(tag_len, "tag_len", CryptoError, CCM_STAR_TAGS)
    return ccm_encrypt(cipher, nonce, plaintext, aad, tag_len)


def ccm_star_decrypt(cipher, nonce: bytes, ciphertext: bytes, tag: bytes, aad: bytes = b"") -> bytes:
    """CCM* decryption: the tag (4, 8 or 16 bytes) is verified before any
    plaintext is released."""
    argcheck.byteslike(nonce, "nonce", CryptoError, length=CCM_STAR_NONCE)
    _ccm_tag_len(_bytes("tag", tag), CCM_STAR_TAGS)
    return ccm_decrypt(cipher, nonce, ciphertext, tag, aad)
