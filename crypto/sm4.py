"""SM4 block cipher, GB/T 32907-2016 (128-bit block and key, 32 rounds).

Words are big-endian 32-bit. Round function (clause 6.2):
``X[i+4] = X[i] ^ T(X[i+1] ^ X[i+2] ^ X[i+3] ^ rk[i])`` with
``T = L ∘ τ``, τ the byte-wise S-box and ``L(B) = B ^ B<<<2 ^ B<<<10 ^
B<<<18 ^ B<<<24``; output ``(X35, X34, X33, X32)``. Key schedule (clause 7.3):
``K = MK ^ FK``, ``rk[i] = K[i+4] = K[i] ^ T'(K[i+1] ^ K[i+2] ^ K[i+3] ^
CK[i])``, ``L'(B) = B ^ B<<<13 ^ B<<<23``, ``CK[i]`` byte j = (4i+j)·7 mod
256. Decryption uses the round keys in reverse order.

:func:`encrypt_blocks` / :func:`decrypt_blocks` process any number of blocks
at once with numpy (T-tables, all blocks in parallel per round).

Keys, blocks and data are ``bytes``, ``bytearray`` or ``memoryview``; a wrong
type or length raises :class:`crypto.errors.CryptoError` naming the argument.
Arguments are checked once per call, never per block.
"""

import numpy as np

import argcheck
from crypto.errors import CryptoError

# S-box, GB/T 32907-2016 clause 6.2 (table transcribed from the standard).
SBOX = bytes.fromhex("""
    d6 90 e9 fe cc e1 3d b7 16 b6 14 c2 28 fb 2c 05
    2b 67 9a 76 2a be 04 c3 aa 44 13 26 49 86 06 99
    9c 42 50 f4 91 ef 98 7a 33 54 0b 43 ed cf ac 62
    e4 b3 1c a9 c9 08 e8 95 80 df 94 fa 75 8f 3f a6
    47 07 a7 fc f3 73 17 ba 83 59 3c 19 e6 85 4f a8
    68 6b 81 b2 71 64 da 8b f8 eb 0f 4b 70 56 9d 35
    1e 24 0e 5e 63 58 d1 a2 25 22 7c 3b 01 21 78 87
    d4 00 46 57 9f d3 27 52 4c 36 02 e7 a0 c4 c8 9e
    ea bf 8a d2 40 c7 38 b5 a3 f7 f2 ce f9 61 15 a1
    e0 ae 5d a4 9b 34 1a 55 ad 93 32 30 f5 8c b1 e3
    1d f6 e2 2e 82 66 ca 60 c0 29 23 ab 0d 53 4e 6f
    d5 db 37 45 de fd 8e 2f 03 ff 6a 72 6d 6c 5b 51
    8d 1b af 92 bb dd bc 7f 11 d9 5c 41 1f 10 5a d8
    0a c1 31 88 a5 cd 7b bd 2d 74 d0 12 b8 e5 b4 b0
    89 69 97 4a 0c 96 77 7e 65 b9 f1 09 c5 6e c6 84
    18 f0 7d ec 3a dc 4d 20 79 ee 5f 3e d7 cb 39 48
""")
FK = (0xA3B1BAC6, 0x56AA3350, 0x677D9197, 0xB27022DC)
CK = tuple(
    int.from_bytes(bytes(((4 * i + j) * 7) & 0xFF for j in range(4)), "big") for i in range(32)
)
BLOCK = 16
MASK32 = 0xFFFFFFFF


def _rotl(x: int, n: int) -> int:
    return ((x << n) | (x >> (32 - n))) & MASK32


def _tau(x: int) -> int:
    return int.from_bytes(bytes(SBOX[b] for b in x.to_bytes(4, "big")), "big")


def _l(b: int) -> int:
    return b ^ _rotl(b, 2) ^ _rotl(b, 10) ^ _rotl(b, 18) ^ _rotl(b, 24)


def _l_key(b: int) -> int:
    return b ^ _rotl(b, 13) ^ _rotl(b, 23)


# T-tables: T_j[b] = L(S[b] << 8*(3-j)), so T(x) = T_0[x3] ^ T_1[x2] ^ T_2[x1] ^ T_3[x0].
_T_INT = tuple(tuple(_l(SBOX[b] << (8 * (3 - j))) for b in range(256)) for j in range(4))
_T = np.array(_T_INT, dtype=np.uint32)


def _block(block) -> bytes:
    return argcheck.byteslike(block, "block", CryptoError, length=BLOCK)


def expand_key(key: bytes) -> tuple:
    """The 32 round keys rk[0..31] (ints) of a 16-byte key."""
    key = argcheck.byteslike(key, "key", CryptoError, length=BLOCK)
    mk = [int.from_bytes(key[4 * i:4 * i + 4], "big") for i in range(4)]
    k = [m ^ f for m, f in zip(mk, FK, strict=True)]
    for i in range(32):
        k.append(k[i] ^ _l_key(_tau(k[i + 1] ^ k[i + 2] ^ k[i + 3] ^ CK[i])))
    return tuple(k[4:])


def _round_keys(round_keys) -> tuple:
    """Caller-given round keys: 32 words in 0 .. 2^32 - 1."""
    if not isinstance(round_keys, (tuple, list)) or len(round_keys) != 32:
        raise CryptoError("round_keys must be a tuple of 32 round keys (as expand_key returns)")
    return tuple(argcheck.integer(v, f"round_keys[{i}]", CryptoError, lo=0, hi=MASK32)
                 for i, v in enumerate(round_keys))


def _states(rk, block: bytes, decrypt: bool) -> list:
    """X[4..35] of a checked 16-byte block under round keys ``rk``."""
    if decrypt:
        rk = rk[::-1]
    x = [int.from_bytes(block[4 * i:4 * i + 4], "big") for i in range(4)]
    t0, t1, t2, t3 = _T_INT
    for i in range(32):
        t = x[i + 1] ^ x[i + 2] ^ x[i + 3] ^ rk[i]
        x.append(x[i] ^ t0[t >> 24] ^ t1[(t >> 16) & 0xFF] ^ t2[(t >> 8) & 0xFF] ^ t3[t & 0xFF])
    return x[4:]


def round_states(key: bytes, block: bytes, decrypt: bool = False, *, round_keys=None) -> list:
    """X[4..35]: the word each round produces (the RTL's per-round value).
    ``round_keys`` (the 32 words :func:`expand_key` returns) may replace
    ``key``, which must then be None."""
    decrypt = argcheck.flag(decrypt, "decrypt", CryptoError)
    if round_keys is None:
        rk = expand_key(key)
    elif key is not None:
        raise CryptoError("key must be None when round_keys are given")
    else:
        rk = _round_keys(round_keys)
    return _states(rk, _block(block), decrypt)


def _crypt(rk, block, decrypt: bool) -> bytes:
    x = _states(rk, _block(block), decrypt)
    return b"".join(w.to_bytes(4, "big") for w in (x[31], x[30], x[29], x[28]))


def encrypt_block(key: bytes, block: bytes) -> bytes:
    """Encrypt one 16-byte block under a 16-byte key."""
    return _crypt(expand_key(key), block, False)


def decrypt_block(key: bytes, block: bytes) -> bytes:
    """Decrypt one 16-byte block under a 16-byte key."""
    return _crypt(expand_key(key), block, True)


def _batch(rk, data, decrypt: bool) -> bytes:
    """ECB over whole blocks with round keys ``rk``; ``data`` is checked here,
    once for all blocks."""
    data = argcheck.byteslike(data, "data", CryptoError)
    if len(data) % BLOCK:
        raise CryptoError(f"data must be whole 16-byte blocks, got {len(data)} bytes")
    if decrypt:
        rk = rk[::-1]
    w = np.frombuffer(data, dtype=">u4").astype(np.uint32).reshape(-1, 4)
    x0, x1, x2, x3 = (w[:, i].copy() for i in range(4))
    t0, t1, t2, t3 = _T
    for r in rk:
        t = x1 ^ x2 ^ x3 ^ np.uint32(r)
        x0 ^= t0[t >> 24] ^ t1[(t >> 16) & 0xFF] ^ t2[(t >> 8) & 0xFF] ^ t3[t & 0xFF]
        x0, x1, x2, x3 = x1, x2, x3, x0
    return np.stack([x3, x2, x1, x0], axis=1).astype(">u4").tobytes()


def encrypt_blocks(key: bytes, data: bytes) -> bytes:
    """ECB-encrypt whole blocks, all in parallel (numpy)."""
    return _batch(expand_key(key), data, False)


def decrypt_blocks(key: bytes, data: bytes) -> bytes:
    """ECB-decrypt whole blocks, all in parallel (numpy)."""
    return _batch(expand_key(key), data, True)


class SM4:
    """An SM4 key schedule with the block-cipher interface the modes use."""

    block_size = BLOCK
    name = "SM4"

    def __init__(self, key: bytes):
        self._rk = expand_key(key)

    def encrypt_block(self, block: bytes) -> bytes:
        return _crypt(self._rk, block, False)

    def decrypt_block(self, block: bytes) -> bytes:
        return _crypt(self._rk, block, True)

    def encrypt_blocks(self, data: bytes) -> bytes:
        return _batch(self._rk, data, False)

    def decrypt_blocks(self, data: bytes) -> bytes:
        return _batch(self._rk, data, True)
