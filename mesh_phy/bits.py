"""Conversions between bytes and bit arrays, and validation of the arrays the
coding chain passes along: hard bits and soft values.

Bit order: LSB of each byte first (IEEE 802.11a-1999, 17.3.2 "transmitted
bit order"), which is also the order ``numpy.unpackbits(..., bitorder="little")``
gives.

* Hard bits (:func:`as_bits`): integer 0/1 or bool, any shape; floats, other
  values, strings and ragged or nested junk raise :class:`PhyError`.
* Soft values (:func:`as_soft`): LLRs or quantised soft bits, integer or float
  arrays of at least one dimension; ±inf (certainty) is allowed, NaN is not.
"""

import numpy as np

import argcheck
from mesh_phy.errors import PhyError


def as_bits(bits, name: str = "bits") -> np.ndarray:
    """Return ``bits`` as a uint8 array of 0/1 (same shape), or raise
    :class:`PhyError` naming ``name``. An empty list or tuple is an empty
    bit array."""
    argcheck.text(name, "name", PhyError)
    if isinstance(bits, (list, tuple)) and not bits:
        return np.zeros(0, np.uint8)
    return argcheck.array(bits, name, PhyError, kind="b").astype(np.uint8, copy=False)


def as_soft(values, name: str = "soft") -> np.ndarray:
    """Return ``values`` as a real numpy array (integer or float dtype, not
    copied) of at least one dimension with no NaN, or raise :class:`PhyError`
    naming ``name``."""
    argcheck.text(name, "name", PhyError)
    arr = argcheck.array(values, name, PhyError, kind="f", finite=False)
    if arr.ndim == 0:
        raise PhyError(f"{name} must be an array, got a scalar")
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        raise PhyError(f"{name} must not contain NaN")
    return arr


def bytes_to_bits(data: bytes) -> np.ndarray:
    """Bytes (bytes, bytearray or memoryview) to bits, LSB of each byte first."""
    data = argcheck.byteslike(data, "data", PhyError)
    return np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")


def bits_to_bytes(bits) -> bytes:
    """Bits (1-D, LSB of each byte first) to bytes; the length must be a multiple of 8."""
    arr = as_bits(bits)
    if arr.ndim != 1 or arr.size % 8:
        raise PhyError(f"bits must be 1-D and a whole number of bytes, got shape {arr.shape}")
    return np.packbits(arr, bitorder="little").tobytes()
