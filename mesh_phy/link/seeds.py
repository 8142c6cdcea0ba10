"""Per-point deterministic seeds.

Every point of a sweep draws its randomness from its own
``numpy.random.SeedSequence`` built from (base seed, curve name, point
index): the result of a point does not depend on which other points ran,
in what order, or on how many workers ran them. The curve name enters as
the four 32-bit words of its SHA-256, so it is stable across processes and
Python versions (unlike ``hash()``).

Paired curves: only the part of a curve name before its first ``#``
(:data:`PAIR_MARK`) seeds it, so curves whose names differ only after it —
e.g. the genie modes of one PER curve, ``per/awgn/6/1000#full`` and
``per/awgn/6/1000#ideal`` — draw the same numbers at the same point index:
the same packets, noise, channel and CFO, a paired comparison whose
differences are the receivers' and not the draws'. Names without ``#`` seed
as before.
"""

import hashlib

import numpy as np

import argcheck
from mesh_phy.errors import PhyError

MAX_SEED = 2**128 - 1
PAIR_MARK = "#"


def seed_key(curve: str) -> str:
    """The part of ``curve`` that seeds it: up to its first ``#`` (the whole
    name when it has none)."""
    name = argcheck.text(curve, "curve", PhyError, max_len=1000)
    return name.split(PAIR_MARK, 1)[0]


def curve_words(curve: str) -> list[int]:
    """Four 32-bit words from the SHA-256 of the curve name (UTF-8)."""
    name = argcheck.text(curve, "curve", PhyError, max_len=1000)
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).digest()
    return [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4)]


def point_seed(base_seed, curve: str, index) -> np.random.SeedSequence:
    """The seed sequence of point ``index`` of ``curve`` under ``base_seed``
    (an int in 0 .. 2^128 − 1); curves with the same :func:`seed_key` get
    the same sequence."""
    base = argcheck.integer(base_seed, "base_seed", PhyError, lo=0, hi=MAX_SEED)
    i = argcheck.integer(index, "index", PhyError, lo=0, hi=2**32 - 1)
    words = [(base >> (32 * k)) & 0xFFFFFFFF for k in range(4)]
    return np.random.SeedSequence([*words, *curve_words(seed_key(curve)), i])


def point_rng(base_seed, curve: str, index) -> np.random.Generator:
    """A PCG64 generator on :func:`point_seed`."""
    return np.random.default_rng(point_seed(base_seed, curve, index))


def fresh_base_seed() -> int:
    """A random base seed (from OS entropy) for runs without ``--seed``; print
    it so the run can be reproduced."""
    return int(np.random.SeedSequence().entropy) & MAX_SEED
