"""The SIGNAL field of IEEE 802.11a-1999, 17.3.4: 24 bits in one BPSK,
rate-1/2 OFDM symbol, not scrambled.

Bit order (transmission order, Table G.7): R1 R2 R3 R4 (RATE, Table 80), a
reserved 0, LENGTH in 12 bits LSB first, an even parity bit over bits 0-16,
six zero tail bits. The coding is the 6 Mbit/s mode's (BPSK, rate 1/2,
N_CBPS 48), so the receiver decodes it with the DATA decoder at rate 6.
"""

import numpy as np

import argcheck
from mesh_phy.coding import conv, interleaver
from mesh_phy.errors import SignalError
from mesh_phy.modulation import mapper
from mesh_phy.rates import RATES

BITS = 24
MAX_LENGTH = 4095
# Table 80: R1..R4 per rate.
RATE_BITS = {6: "1101", 9: "1111", 12: "0101", 18: "0111", 24: "1001", 36: "1011", 48: "0001", 54: "0011"}
_RATE_OF = {v: k for k, v in RATE_BITS.items()}


def bits(rate_mbps: int, length: int) -> np.ndarray:
    """The 24 SIGNAL bits (uint8) for ``rate_mbps`` and a LENGTH of 1..4095 octets."""
    rate_mbps = argcheck.one_of(rate_mbps, "rate_mbps", SignalError, sorted(RATES))
    length = argcheck.integer(length, "LENGTH", SignalError, lo=1, hi=MAX_LENGTH)
    out = np.zeros(BITS, dtype=np.uint8)
    out[:4] = [int(c) for c in RATE_BITS[rate_mbps]]
    out[5:17] = (length >> np.arange(12)) & 1
    out[17] = out[:17].sum() & 1
    return out


def symbols(signal_bits) -> np.ndarray:
    """The 48 BPSK subcarrier values of a SIGNAL field's 24 bits: encode at
    rate 1/2, interleave (N_CBPS 48, N_BPSC 1), map. Any 24 bits are
    accepted, so tests can build invalid fields."""
    b = np.asarray(signal_bits, dtype=np.uint8)
    if b.shape != (BITS,):
        raise SignalError(f"SIGNAL has {BITS} bits, got shape {b.shape}")
    coded = conv.encode(b, "1/2")
    return mapper.map_bits(interleaver.interleave(coded, 48, 1), "bpsk")


def parse(signal_bits) -> tuple:
    """(rate_mbps, length) of 24 decoded SIGNAL bits, or :class:`SignalError`
    for a parity failure, a set reserved bit, a RATE code not in Table 80, a
    non-zero tail or LENGTH 0."""
    b = np.asarray(signal_bits, dtype=np.uint8)
    if b.shape != (BITS,):
        raise SignalError(f"SIGNAL has {BITS} bits, got shape {b.shape}")
    if b[:18].sum() & 1:
        raise SignalError("SIGNAL parity check failed")
    if b[4]:
        raise SignalError("SIGNAL reserved bit is set")
    if b[18:].any():
        raise SignalError("SIGNAL tail bits are not zero")
    code = "".join(str(int(v)) for v in b[:4])
    if code not in _RATE_OF:
        raise SignalError(f"SIGNAL RATE code {code} is not in Table 80")
    length = int((b[5:17].astype(int) << np.arange(12)).sum())
    if length == 0:
        raise SignalError("SIGNAL LENGTH is 0")
    return _RATE_OF[code], length
