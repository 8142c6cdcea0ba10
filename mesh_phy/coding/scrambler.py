"""Frame-synchronous scrambler of IEEE 802.11a-1999, 17.3.5.4.

Generator polynomial S(x) = x^7 + x^4 + 1. The state is seven bits
x1..x7; the seed integer holds them as bit k-1 = x_k (so x7 is the MSB,
``seed = 0b x7 x6 x5 x4 x3 x2 x1``). Each step the scrambling bit is
``x7 XOR x4``; it is XORed onto the data bit and shifted in as the new x1.
With the all-ones seed the sequence is the one printed in 17.3.5.4
(``00001110 11110010 ...``), period 127.
"""

from functools import lru_cache

import numpy as np

import argcheck
from mesh_phy.bits import as_bits
from mesh_phy.errors import PhyError

PERIOD = 127
MAX_SEQUENCE = 1 << 24  # longest sequence() (16 Mi bits); scramble() takes any length


def check_seed(seed) -> int:
    """Return ``seed`` as an int in 1..127 (7 bits, non-zero) or raise :class:`PhyError`."""
    return argcheck.integer(seed, "seed", PhyError, lo=1, hi=127)


@lru_cache(maxsize=128)
def _one_period(seed: int) -> np.ndarray:
    """One period of the scrambling sequence from ``seed`` (read-only, cached)."""
    state = seed
    out = np.empty(PERIOD, dtype=np.uint8)
    for n in range(PERIOD):
        fb = ((state >> 6) ^ (state >> 3)) & 1
        out[n] = fb
        state = ((state << 1) | fb) & 0x7F
    out.flags.writeable = False
    return out


def _sequence(seed: int, n: int) -> np.ndarray:
    return np.resize(_one_period(seed), n).astype(np.uint8)


def sequence(seed: int, n: int) -> np.ndarray:
    """The first ``n`` (0 .. :data:`MAX_SEQUENCE`) scrambling bits produced from ``seed``."""
    seed = check_seed(seed)
    return _sequence(seed, argcheck.integer(n, "n", PhyError, lo=0, hi=MAX_SEQUENCE))


def scramble(bits, seed: int) -> np.ndarray:
    """Scramble (or descramble: the operation is its own inverse) ``bits``.

    ``bits``: 1-D 0/1 array in transmission order. ``seed``: 1..127, see the
    module docstring for the bit order. Returns a new uint8 array.
    """
    seed = check_seed(seed)
    arr = as_bits(bits)
    if arr.ndim != 1:
        raise PhyError(f"bits must be 1-D, got shape {arr.shape}")
    return arr ^ _sequence(seed, arr.size)


def seed_from_sequence(first7) -> int:
    """Recover the seed from the first seven scrambling bits it produced.

    The receiver uses this on the seven zero bits that open the SERVICE field
    (17.3.5.1): the received bits there are the scrambling sequence itself.
    Raises :class:`PhyError` if the bits match no seed (all zeros).
    """
    s = as_bits(first7, "first7")
    if s.shape != (7,):
        raise PhyError(f"first7 must be exactly 7 bits, got shape {s.shape}")
    # The first 7 outputs are a linear bijection of the 7-bit seed, so the
    # seed is looked up in a table of all 127 prefixes (built once at import).
    key = int(np.packbits(s, bitorder="little")[0])
    seed = _SEED_OF_PREFIX.get(key)
    if seed is None:
        raise PhyError("first 7 descrambled bits are all zero: no valid seed")
    return seed


_SEED_OF_PREFIX = {
    int(np.packbits(_one_period(s)[:7], bitorder="little")[0]): s for s in range(1, 128)
}
