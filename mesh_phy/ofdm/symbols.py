"""OFDM symbols of IEEE 802.11a-1999 (17.3.2.4, 17.3.5.9): subcarrier map,
pilots and their polarity, 64-point IFFT, cyclic prefix and the symbol-edge
window.

Frequency bins are in numpy FFT order: subcarrier k (-32..31) is bin
``k mod 64``. The 48 data subcarriers are k = -26..26 without 0 and the pilots
±7, ±21, filled in increasing k (17.3.5.9: data symbol d_i goes to the i-th
of them). Scaling: time samples are ``numpy.fft.ifft`` of the bins (the 1/64
of the inverse DFT, no other factor), which is the scaling of Annex G
(Table G.24): a unit-power constellation gives samples of RMS sqrt(52)/64.

Windowing (17.3.2.4) as Annex G applies it: every field is its 64-sample IFFT
period extended cyclically (prefix in front, one extra sample behind), and
the first and that extra sample get weight 0.5; consecutive fields overlap by
that one sample, which holds the sum of both half-weight samples.
"""

import numpy as np

from mesh_phy.coding import scrambler
from mesh_phy.errors import PhyError

N_FFT = 64
CP = 16
SYMBOL = N_FFT + CP  # 80 samples = 4 µs at 20 Msample/s

DATA_SUBCARRIERS = np.array([k for k in range(-26, 27) if k not in (0, -21, -7, 7, 21)])
PILOT_SUBCARRIERS = np.array([-21, -7, 7, 21])
USED_SUBCARRIERS = np.array([k for k in range(-26, 27) if k != 0])
DATA_BINS = DATA_SUBCARRIERS % N_FFT
PILOT_BINS = PILOT_SUBCARRIERS % N_FFT
USED_BINS = USED_SUBCARRIERS % N_FFT
# Pilot values P_{-21,-7,7,21} before the polarity p_n (17.3.5.9).
PILOT_VALUES = np.array([1.0, 1.0, 1.0, -1.0])


def _polarity() -> np.ndarray:
    """p_0..p_126: the scrambler's sequence from the all-ones state with
    0 → +1 and 1 → -1 (17.3.5.9); it starts 1, 1, 1, 1, -1, -1, -1, 1."""
    p = 1.0 - 2.0 * scrambler.sequence(0b1111111, scrambler.PERIOD)
    p.flags.writeable = False
    return p


POLARITY = _polarity()


def pilots(first: int, n: int) -> np.ndarray:
    """Pilot values (n, 4) of OFDM symbols ``first``..``first+n-1``, symbol 0
    being SIGNAL (the DATA symbols are 1, 2, ...)."""
    idx = (first + np.arange(n)) % POLARITY.size
    return POLARITY[idx, None] * PILOT_VALUES


def to_bins(data, first: int) -> np.ndarray:
    """Fill the 64 bins of each symbol: ``data`` (n, 48) complex on the data
    subcarriers, pilots of symbols ``first``.. (see :func:`pilots`), zeros
    elsewhere. Returns (n, 64) complex."""
    d = np.asarray(data, dtype=complex)
    if d.ndim != 2 or d.shape[1] != DATA_BINS.size:
        raise PhyError(f"data symbols must have shape (n, 48), got {d.shape}")
    bins = np.zeros((d.shape[0], N_FFT), dtype=complex)
    bins[:, DATA_BINS] = d
    bins[:, PILOT_BINS] = pilots(first, d.shape[0])
    return bins


def cyclic_field(period, prefix: int, length: int) -> np.ndarray:
    """One windowed field from its IFFT period(s): ``period`` (..., 64) time
    samples; output (..., length + 1) where sample p is ``period[(p - prefix)
    mod 64]`` and samples 0 and ``length`` carry weight 0.5 (the last one
    overlaps the next field, see :func:`overlap_add`)."""
    x = np.asarray(period)
    idx = (np.arange(length + 1) - prefix) % N_FFT
    out = x[..., idx].astype(complex)
    out[..., 0] *= 0.5
    out[..., -1] *= 0.5
    return out


def modulate(bins) -> np.ndarray:
    """OFDM symbols from their bins (n, 64): IFFT, 16-sample cyclic prefix,
    window; returns (n, 81) (see :func:`cyclic_field`)."""
    return cyclic_field(np.fft.ifft(bins, axis=-1), CP, SYMBOL)


def overlap_add(fields) -> np.ndarray:
    """Concatenate windowed fields, each one sample longer than its slot: the
    last sample of each is added to the first of the next. A 2-D array counts
    as one field per row."""
    parts = [row for f in fields for row in (f if np.ndim(f) == 2 else [f])]
    total = sum(len(p) - 1 for p in parts) + 1
    out = np.zeros(total, dtype=complex)
    pos = 0
    for p in parts:
        out[pos:pos + len(p)] += p
        pos += len(p) - 1
    return out
