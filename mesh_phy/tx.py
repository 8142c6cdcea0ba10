"""The 802.11a DATA field transmit bit chain (IEEE 802.11a-1999, 17.3.5).

PSDU → SERVICE + PSDU + tail + pad (17.3.5.2-3) → scramble (17.3.5.4), tail
bits reset to zero after scrambling → convolutional code and puncture
(17.3.5.5) → interleave per OFDM symbol (17.3.5.6) → map, 48 subcarriers per
symbol (17.3.5.7). Pilots, IFFT and the preamble are not part of this model.
"""

from typing import NamedTuple

import numpy as np

from mesh_phy.bits import bytes_to_bits
from mesh_phy.coding import conv, interleaver, scrambler
from mesh_phy.errors import PhyError
from mesh_phy.modulation import mapper
from mesh_phy.rates import SUBCARRIERS, rate_params

SERVICE_BITS = 16
TAIL_BITS = 6


class DataField(NamedTuple):
    """Every stage of the DATA field; bit arrays are 1-D uint8."""

    data_bits: np.ndarray  # SERVICE + PSDU + tail + pad, N_SYM * N_DBPS bits
    scrambled: np.ndarray  # scrambled, tail zeroed
    coded: np.ndarray  # N_SYM * N_CBPS coded bits
    interleaved: np.ndarray  # N_SYM * N_CBPS bits
    symbols: np.ndarray  # complex, shape (N_SYM, 48)
    n_sym: int


def n_symbols(psdu_len: int, rate_mbps: int) -> int:
    """N_SYM = ceil((16 + 8·LENGTH + 6) / N_DBPS) (17.3.5.3)."""
    p = rate_params(rate_mbps)
    return -(-(SERVICE_BITS + 8 * psdu_len + TAIL_BITS) // p.n_dbps)


def data_field(psdu: bytes, rate_mbps: int, seed: int) -> DataField:
    """Run the transmit chain on ``psdu`` at ``rate_mbps`` with scrambler ``seed``.

    ``seed`` is 1..127 (bit order in :mod:`mesh_phy.coding.scrambler`). The PSDU may
    be 0..4095 bytes (the 12-bit LENGTH field of the SIGNAL symbol).
    """
    p = rate_params(rate_mbps)
    if not isinstance(psdu, (bytes, bytearray)):
        raise PhyError(f"psdu must be bytes, got {type(psdu).__name__}")
    if len(psdu) > 4095:
        raise PhyError(f"PSDU of {len(psdu)} bytes exceeds the 4095-byte LENGTH field")
    seed = scrambler.check_seed(seed)
    n_sym = n_symbols(len(psdu), rate_mbps)
    data = np.zeros(n_sym * p.n_dbps, dtype=np.uint8)
    data[SERVICE_BITS : SERVICE_BITS + 8 * len(psdu)] = bytes_to_bits(psdu)
    scr = scrambler.scramble(data, seed)
    tail = SERVICE_BITS + 8 * len(psdu)
    scr[tail : tail + TAIL_BITS] = 0
    coded = conv.encode(scr, p.coding_rate)
    inter = interleaver.interleave(coded, p.n_cbps, p.n_bpsc)
    symbols = mapper.map_bits(inter, p.modulation).reshape(n_sym, SUBCARRIERS)
    return DataField(data, scr, coded, inter, symbols, n_sym)
