"""The 802.11a DATA field transmit bit chain (IEEE 802.11a-1999, 17.3.5).

PSDU → SERVICE + PSDU + tail + pad (17.3.5.2-3) → scramble (17.3.5.4), tail
bits reset to zero after scrambling → convolutional code and puncture
(17.3.5.5) → interleave per OFDM symbol (17.3.5.6) → map, 48 subcarriers per
symbol (17.3.5.7).

:func:`ppdu` wraps it in the whole PPDU (17.3.2-17.3.4): preamble, SIGNAL,
pilots, IFFT, cyclic prefix and windowing, from :mod:`mesh_phy.ofdm`.
"""

from typing import NamedTuple

import numpy as np

import argcheck
from mesh_phy.bits import bytes_to_bits
from mesh_phy.coding import conv, interleaver, scrambler
from mesh_phy.errors import PhyError
from mesh_phy.modulation import mapper
from mesh_phy.ofdm import signal_field, symbols, training
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


def assemble(signal_bits, data_symbols) -> np.ndarray:
    """PPDU samples from the SIGNAL field's 24 bits and the DATA symbols
    (n, 48): preamble, SIGNAL (pilot polarity p_0), DATA (p_1, p_2, ...),
    overlap-added (see :mod:`mesh_phy.ofdm.symbols`). Any 24 bits are taken,
    so tests can build invalid SIGNAL fields; :func:`ppdu` is the normal entry."""
    sig = symbols.modulate(symbols.to_bins(signal_field.symbols(signal_bits)[None, :], 0))
    data = symbols.modulate(symbols.to_bins(data_symbols, 1))
    return symbols.overlap_add([training.short_training(), training.long_training(), sig, data])


def ppdu(psdu: bytes, rate_mbps: int, *, seed: int = 0x5D) -> np.ndarray:
    """The whole PPDU of ``psdu`` (1..4095 bytes) at ``rate_mbps``, complex128
    at 20 Msample/s: 320 preamble samples, 80 SIGNAL, 80 per DATA symbol and
    the last symbol's half-weight tail sample (881 samples for Annex G's
    100-byte 36 Mbit/s packet). ``seed``: scrambler initial state 1..127 (bit
    order in :mod:`mesh_phy.coding.scrambler`; Annex G uses 1011101 = 0x5D).
    Scaling as IEEE 802.11a-1999 Table G.24 (constellation RMS 1 per
    subcarrier, samples = ``numpy.fft.ifft`` of the bins)."""
    psdu = argcheck.byteslike(psdu, "psdu", PhyError, min_len=1, max_len=signal_field.MAX_LENGTH)
    d = data_field(psdu, rate_mbps, seed)
    return assemble(signal_field.bits(rate_mbps, len(psdu)), d.symbols)
