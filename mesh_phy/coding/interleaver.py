"""Block interleaver of IEEE 802.11a-1999, 17.3.5.6 (two permutations).

For coded bit index k (0 .. N_CBPS-1) within one OFDM symbol:

* first permutation  i = (N_CBPS/16)(k mod 16) + floor(k/16)
* second permutation j = s·floor(i/s) + (i + N_CBPS - floor(16·i/N_CBPS)) mod s,
  with s = max(N_BPSC/2, 1)

Bit k of the input goes to position j of the output. The functions work one
OFDM symbol at a time and are vectorised over any number of symbols (and over
a leading batch dimension).
"""

from functools import cache

import numpy as np

import argcheck
from mesh_phy.bits import as_bits, as_soft
from mesh_phy.errors import PhyError

VALID = {(48, 1), (96, 2), (192, 4), (288, 6)}


def permutation(n_cbps: int, n_bpsc: int) -> np.ndarray:
    """``perm[k] = j`` (read-only): the output position of input bit ``k``;
    (n_cbps, n_bpsc) is one of the 802.11a pairs in :data:`VALID`."""
    n_cbps = argcheck.integer(n_cbps, "n_cbps", PhyError, lo=48, hi=288)
    n_bpsc = argcheck.integer(n_bpsc, "n_bpsc", PhyError, lo=1, hi=6)
    if (n_cbps, n_bpsc) not in VALID:
        raise PhyError(f"(n_cbps, n_bpsc) = ({n_cbps}, {n_bpsc}) is not an 802.11a pair; valid: {sorted(VALID)}")
    return _permutation(n_cbps, n_bpsc)


@cache
def _permutation(n_cbps: int, n_bpsc: int) -> np.ndarray:
    s = max(n_bpsc // 2, 1)
    k = np.arange(n_cbps)
    i = (n_cbps // 16) * (k % 16) + k // 16
    j = s * (i // s) + (i + n_cbps - (16 * i // n_cbps)) % s
    j.flags.writeable = False
    return j


def _blocks(arr, name, n_cbps):
    if arr.ndim == 0 or arr.shape[-1] % n_cbps:
        raise PhyError(f"{name}: last axis of {arr.shape[-1] if arr.ndim else 0} is not a multiple of "
                       f"N_CBPS={n_cbps}")
    return arr.reshape(arr.shape[:-1] + (-1, n_cbps))


def interleave(bits, n_cbps: int, n_bpsc: int) -> np.ndarray:
    """Interleave whole OFDM symbols; the last axis length is a multiple of n_cbps."""
    perm = permutation(n_cbps, n_bpsc)
    arr = as_bits(bits)
    blocks = _blocks(arr, "bits", perm.size)
    out = np.empty_like(blocks)
    out[..., perm] = blocks
    return out.reshape(arr.shape)


def deinterleave(values, n_cbps: int, n_bpsc: int) -> np.ndarray:
    """Inverse of :func:`interleave`. Accepts bits or soft values (integer or
    float, NaN refused)."""
    perm = permutation(n_cbps, n_bpsc)
    arr = as_soft(values, "values")
    blocks = _blocks(arr, "values", perm.size)
    return blocks[..., perm].reshape(arr.shape)
