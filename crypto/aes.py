"""AES block cipher, FIPS-197 (128-bit block; 128-, 192- and 256-bit keys).

The S-box is computed here from its definition (FIPS-197 5.1.1): the
multiplicative inverse in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 followed by
the affine map b_i ^ b_{i+4} ^ b_{i+5} ^ b_{i+6} ^ b_{i+7} ^ c_i, c = 0x63.
Rounds use the usual T-tables (SubBytes, ShiftRows and MixColumns fused);
:meth:`AES.encrypt_blocks` runs many blocks in parallel with numpy.

Keys, blocks and data are ``bytes``, ``bytearray`` or ``memoryview``; a wrong
type or length raises :class:`crypto.errors.CryptoError` naming the argument.
"""

import numpy as np

import argcheck
from crypto.errors import CryptoError

BLOCK = 16


def _xtime(a: int) -> int:
    a <<= 1
    return (a ^ 0x11B) if a & 0x100 else a


def _gmul(a: int, b: int) -> int:
    r = 0
    while b:
        if b & 1:
            r ^= a
        a = _xtime(a)
        b >>= 1
    return r


def _sbox():
    inv = [0] * 256
    for a in range(1, 256):
        for b in range(1, 256):
            if _gmul(a, b) == 1:
                inv[a] = b
                break
    box = []
    for a in range(256):
        x = inv[a]
        y = x
        for k in range(1, 5):
            y ^= ((x << k) | (x >> (8 - k))) & 0xFF
        box.append(y ^ 0x63)
    return bytes(box)


SBOX = _sbox()
INV_SBOX = bytes(SBOX.index(i) for i in range(256))
RCON = (0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1B, 0x36)


def _tables(box, coeffs):
    t0 = [(_gmul(box[x], coeffs[0]) << 24) | (_gmul(box[x], coeffs[1]) << 16)
          | (_gmul(box[x], coeffs[2]) << 8) | _gmul(box[x], coeffs[3]) for x in range(256)]
    return [t0] + [[((v >> (8 * k)) | (v << (32 - 8 * k))) & 0xFFFFFFFF for v in t0] for k in (1, 2, 3)]


TE = _tables(SBOX, (2, 1, 1, 3))
TD = _tables(INV_SBOX, (14, 9, 13, 11))
_TE_NP = np.array(TE, dtype=np.uint32)
_SBOX_NP = np.frombuffer(SBOX, dtype=np.uint8).astype(np.uint32)


def _sub_word(w):
    return int.from_bytes(bytes(SBOX[b] for b in w.to_bytes(4, "big")), "big")


class AES:
    """An AES key schedule; ``encrypt_block``/``decrypt_block`` take 16 bytes."""

    block_size = BLOCK
    name = "AES"

    def __init__(self, key: bytes):
        key = argcheck.byteslike(key, "key", CryptoError)
        if len(key) not in (16, 24, 32):
            raise CryptoError(f"key must be 16, 24 or 32 bytes (AES-128/192/256), got {len(key)}")
        nk = len(key) // 4
        self.rounds = nk + 6
        w = [int.from_bytes(key[4 * i:4 * i + 4], "big") for i in range(nk)]
        for i in range(nk, 4 * (self.rounds + 1)):
            t = w[i - 1]
            if i % nk == 0:
                t = _sub_word(((t << 8) | (t >> 24)) & 0xFFFFFFFF) ^ (RCON[i // nk - 1] << 24)
            elif nk > 6 and i % nk == 4:
                t = _sub_word(t)
            w.append(w[i - nk] ^ t)
        self._ek = w
        # decryption keys for the equivalent inverse cipher (FIPS-197 5.3.5)
        dk = []
        for r in range(self.rounds, -1, -1):
            rk = w[4 * r:4 * r + 4]
            if 0 < r < self.rounds:
                rk = [TD[0][SBOX[(x >> 24) & 0xFF]] ^ TD[1][SBOX[(x >> 16) & 0xFF]]
                      ^ TD[2][SBOX[(x >> 8) & 0xFF]] ^ TD[3][SBOX[x & 0xFF]] for x in rk]
            dk.extend(rk)
        self._dk = dk

    @staticmethod
    def _check(block):
        return argcheck.byteslike(block, "block", CryptoError, length=BLOCK)

    def _rounds(self, block, k, t, box, shifts):
        s = [int.from_bytes(block[4 * i:4 * i + 4], "big") ^ k[i] for i in range(4)]
        for r in range(1, self.rounds):
            s = [t[0][s[i] >> 24] ^ t[1][(s[(i + shifts[0]) % 4] >> 16) & 0xFF]
                 ^ t[2][(s[(i + shifts[1]) % 4] >> 8) & 0xFF] ^ t[3][s[(i + shifts[2]) % 4] & 0xFF]
                 ^ k[4 * r + i] for i in range(4)]
        r = self.rounds
        out = b""
        for i in range(4):
            v = ((box[s[i] >> 24] << 24) | (box[(s[(i + shifts[0]) % 4] >> 16) & 0xFF] << 16)
                 | (box[(s[(i + shifts[1]) % 4] >> 8) & 0xFF] << 8) | box[s[(i + shifts[2]) % 4] & 0xFF])
            out += (v ^ k[4 * r + i]).to_bytes(4, "big")
        return out

    def encrypt_block(self, block: bytes) -> bytes:
        return self._rounds(self._check(block), self._ek, TE, SBOX, (1, 2, 3))

    def decrypt_block(self, block: bytes) -> bytes:
        return self._rounds(self._check(block), self._dk, TD, INV_SBOX, (3, 2, 1))

    def encrypt_blocks(self, data: bytes) -> bytes:
        """ECB-encrypt whole blocks in parallel (numpy)."""
        data = argcheck.byteslike(data, "data", CryptoError)
        if len(data) % BLOCK:
            raise CryptoError(f"data must be whole 16-byte blocks, got {len(data)} bytes")
        s = np.frombuffer(data, dtype=">u4").astype(np.uint32).reshape(-1, 4)
        k = np.array(self._ek, dtype=np.uint32).reshape(-1, 4)
        s = s ^ k[0]
        t0, t1, t2, t3 = _TE_NP
        for r in range(1, self.rounds):
            s = np.stack([t0[s[:, i] >> 24] ^ t1[(s[:, (i + 1) % 4] >> 16) & 0xFF]
                          ^ t2[(s[:, (i + 2) % 4] >> 8) & 0xFF] ^ t3[s[:, (i + 3) % 4] & 0xFF]
                          for i in range(4)], axis=1) ^ k[r]
        b = _SBOX_NP
        s = np.stack([(b[s[:, i] >> 24] << 24) | (b[(s[:, (i + 1) % 4] >> 16) & 0xFF] << 16)
                      | (b[(s[:, (i + 2) % 4] >> 8) & 0xFF] << 8) | b[s[:, (i + 3) % 4] & 0xFF]
                      for i in range(4)], axis=1) ^ k[self.rounds]
        return s.astype(">u4").tobytes()
