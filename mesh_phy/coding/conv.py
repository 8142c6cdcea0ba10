"""Convolutional encoder and puncturing of IEEE 802.11a-1999, 17.3.5.5.

K = 7, generator polynomials g0 = 133 (octal) for output A and g1 = 171
(octal) for output B; the encoder starts in the all-zero state. The rate-1/2
output is interleaved A0 B0 A1 B1 ... Higher rates drop ("steal") bits with
the patterns of 17.3.5.5 Figure 115:

* 2/3: period 2 input bits, keep A0 B0 A1 (B1 stolen)
* 3/4: period 3 input bits, keep A0 B0 A1 B2 (B1, A2 stolen)

:func:`encode` works on a 1-D frame or on a 2-D batch (one frame per row).
"""

import numpy as np

import argcheck
from mesh_phy.bits import as_bits, as_soft
from mesh_phy.errors import PhyError

K = 7
G0 = 0o133
G1 = 0o171

# Puncturing masks over the rate-1/2 stream, one period at a time: order
# A0 B0 A1 B1 ...; 1 = transmitted.
PUNCTURE = {
    "1/2": np.array([1, 1], dtype=bool),
    "2/3": np.array([1, 1, 1, 0], dtype=bool),
    "3/4": np.array([1, 1, 1, 0, 0, 1], dtype=bool),
}
for _mask in PUNCTURE.values():
    _mask.flags.writeable = False  # puncture_mask() hands them out: no caller may change them


def _taps(g: int) -> np.ndarray:
    """Delays (0 = current input) at which generator ``g`` taps the input.

    The MSB of the 7-bit octal generator multiplies the current input bit.
    """
    return np.array([d for d in range(K) if (g >> (K - 1 - d)) & 1])


TAPS_A = _taps(G0)
TAPS_B = _taps(G1)


def puncture_mask(rate: str) -> np.ndarray:
    """The keep mask (read-only) of one puncturing period for ``rate``, one of
    "1/2", "2/3", "3/4" (see module doc)."""
    return PUNCTURE[argcheck.one_of(rate, "rate", PhyError, tuple(PUNCTURE))]


def encode(bits, rate: str = "1/2") -> np.ndarray:
    """Encode ``bits`` (1-D frame or 2-D batch of frames, one per row).

    Returns the punctured coded bits (uint8). The input length must be a
    multiple of the puncturing period (1, 2 or 3 bits for 1/2, 2/3, 3/4); the
    caller adds the tail bits that return the encoder to state 0.
    """
    mask = puncture_mask(rate)
    arr = as_bits(bits)
    if arr.ndim not in (1, 2):
        raise PhyError(f"bits must be 1-D or 2-D, got shape {arr.shape}")
    batch = np.atleast_2d(arr)
    n = batch.shape[1]
    period = mask.size // 2
    if n % period:
        raise PhyError(f"bits: {n} input bits is not a multiple of {period} for rate {rate}")
    padded = np.concatenate([np.zeros((batch.shape[0], K - 1), np.uint8), batch], axis=1)
    a = np.zeros_like(batch)
    b = np.zeros_like(batch)
    for d in TAPS_A:
        a ^= padded[:, K - 1 - d : K - 1 - d + n]
    for d in TAPS_B:
        b ^= padded[:, K - 1 - d : K - 1 - d + n]
    mother = np.stack([a, b], axis=2).reshape(batch.shape[0], 2 * n)
    keep = np.tile(mask, n // period)
    out = mother[:, keep]
    return out[0] if arr.ndim == 1 else out


def depuncture(soft, rate: str) -> np.ndarray:
    """Re-insert the stolen positions of ``rate`` as erasures (value 0).

    ``soft``: soft values (integer or float, NaN refused) of the punctured
    stream, last axis in transmission order; its length must be whole
    puncturing periods. Returns the rate-1/2 stream A0 B0 A1 B1 ... with zeros
    where bits were stolen, same dtype.
    """
    mask = puncture_mask(rate)
    arr = as_soft(soft, "soft")
    kept = int(mask.sum())
    n = arr.shape[-1]
    if n % kept:
        raise PhyError(f"soft: {n} soft values is not a multiple of {kept} for rate {rate}")
    periods = n // kept
    out = np.zeros(arr.shape[:-1] + (periods * mask.size,), dtype=arr.dtype)
    out[..., np.tile(mask, periods)] = arr
    return out
