"""Conversions between bytes and bit arrays, and validation of bit arrays.

Bit order: LSB of each byte first (IEEE 802.11a-1999, 17.3.2 "transmitted
bit order"), which is also the order ``numpy.unpackbits(..., bitorder="little")``
gives.
"""

import numpy as np

from mesh_phy.errors import PhyError


def as_bits(bits, name: str = "bits") -> np.ndarray:
    """Return ``bits`` as a uint8 array of 0/1, or raise :class:`PhyError`.

    Accepts any integer/bool array-like (any shape). Values other than 0 and 1,
    non-integer dtypes and non-numeric input are refused.
    """
    try:
        arr = np.asarray(bits)
    except Exception as exc:  # pragma: no cover - numpy refuses very little
        raise PhyError(f"{name}: not an array ({exc})") from exc
    if arr.dtype == bool:
        return arr.astype(np.uint8)
    if arr.size == 0:
        return arr.astype(np.uint8)
    if not np.issubdtype(arr.dtype, np.integer):
        raise PhyError(f"{name}: expected integer 0/1 values, got dtype {arr.dtype}")
    if arr.min() < 0 or arr.max() > 1:
        raise PhyError(f"{name}: values must be 0 or 1 (found {arr.min()}..{arr.max()})")
    return arr.astype(np.uint8, copy=False)


def bytes_to_bits(data: bytes) -> np.ndarray:
    """Bytes to bits, LSB of each byte first."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise PhyError(f"expected bytes, got {type(data).__name__}")
    return np.unpackbits(np.frombuffer(bytes(data), dtype=np.uint8), bitorder="little")


def bits_to_bytes(bits) -> bytes:
    """Bits (LSB of each byte first) to bytes; the length must be a multiple of 8."""
    arr = as_bits(bits)
    if arr.ndim != 1 or arr.size % 8:
        raise PhyError(f"bit count {arr.size} is not a whole number of bytes")
    return np.packbits(arr, bitorder="little").tobytes()
