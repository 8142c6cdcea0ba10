"""Cyclic redundancy checks used by the mesh frames.

* :func:`crc32` — IEEE 802.3 CRC-32 (reflected polynomial 0xEDB88320, init and
  final XOR 0xFFFFFFFF), the frame check sequence. Equal to ``zlib.crc32``.
* :func:`crc16` — CRC-16/CCITT-FALSE (polynomial 0x1021, MSB first, init
  0xFFFF, no final XOR) for headers; check value of b"123456789" is 0x29B1.

Both are table-driven; the tables are built here from the polynomials. Data
is ``bytes``, ``bytearray`` or ``memoryview`` (never ``str`` or a list of
ints); anything else raises :class:`mesh_phy.errors.PhyError`.
"""

import argcheck
from mesh_phy.errors import PhyError

CRC32_POLY_REFLECTED = 0xEDB88320
CRC16_POLY = 0x1021


def _table32():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ CRC32_POLY_REFLECTED if c & 1 else c >> 1
        table.append(c)
    return tuple(table)


def _table16():
    table = []
    for n in range(256):
        c = n << 8
        for _ in range(8):
            c = ((c << 1) ^ CRC16_POLY) if c & 0x8000 else (c << 1)
        table.append(c & 0xFFFF)
    return tuple(table)


_T32 = _table32()
_T16 = _table16()


def _as_bytes(data) -> bytes:
    return argcheck.byteslike(data, "data", PhyError)


def crc32_update(crc: int, data: bytes) -> int:
    """Continue a CRC-32 over more bytes; ``crc`` (0 .. 2^32 - 1) is a previous :func:`crc32`."""
    c = argcheck.integer(crc, "crc", PhyError, lo=0, hi=0xFFFFFFFF) ^ 0xFFFFFFFF
    for b in _as_bytes(data):
        c = _T32[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def crc32(data: bytes) -> int:
    """IEEE 802.3 CRC-32 of ``data`` (same value as ``zlib.crc32``)."""
    return crc32_update(0, data)


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE of ``data``."""
    c = 0xFFFF
    for b in _as_bytes(data):
        c = ((c << 8) & 0xFFFF) ^ _T16[((c >> 8) ^ b) & 0xFF]
    return c
