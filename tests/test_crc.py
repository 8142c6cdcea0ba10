import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesh_phy import PhyError
from mesh_phy.coding import crc


@given(st.binary(max_size=2000))
def test_crc32_equals_zlib(data):
    assert crc.crc32(data) == zlib.crc32(data)


@given(st.binary(max_size=300), st.binary(max_size=300))
def test_crc32_update_continues(a, b):
    assert crc.crc32_update(crc.crc32(a), b) == zlib.crc32(a + b)


def test_catalogue_check_values():
    # Check values of the CRC catalogue for the input "123456789":
    # CRC-32/ISO-HDLC 0xCBF43926, CRC-16/IBM-3740 (CCITT-FALSE) 0x29B1.
    assert crc.crc32(b"123456789") == 0xCBF43926
    assert crc.crc16(b"123456789") == 0x29B1


@given(st.binary(max_size=500))
def test_crc16_against_bitwise_definition(data):
    # Independent, bit-serial statement of CRC-16/CCITT-FALSE (poly 0x1021,
    # MSB first, init 0xFFFF, no reflection, no final XOR).
    c = 0xFFFF
    for byte in data:
        for k in range(7, -1, -1):
            top = ((c >> 15) & 1) ^ ((byte >> k) & 1)
            c = ((c << 1) & 0xFFFF) ^ (0x1021 if top else 0)
    assert crc.crc16(data) == c


@pytest.mark.parametrize("bad", ["abc", [1, 2], None, 5])
def test_non_bytes_refused(bad):
    with pytest.raises(PhyError):
        crc.crc32(bad)
    with pytest.raises(PhyError):
        crc.crc16(bad)
