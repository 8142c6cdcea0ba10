"""Subcarrier modulation mapping of IEEE 802.11a-1999, 17.3.5.7 (Tables 81-85).

Each symbol's bits b0 b1 ... (transmission order) split into an I half and a
Q half (BPSK: I only). On each axis the bits, read MSB first (b0 first), are
the Gray code of the level index m = 0 .. M-1, and the level is 2m - (M - 1),
e.g. 64-QAM I: 000→-7, 001→-5, 011→-3, 010→-1, 110→+1, 111→+3, 101→+5, 100→+7.
Levels are scaled by K_MOD = 1, 1/√2, 1/√10, 1/√42 (Table 81).

Fixed point (shared with the RTL ``qam_mapper``): each axis is a signed
``width``-bit integer in Q2.(width-2), equal to ``level * scale`` with
``scale = round(K_MOD * 2**(width-2))`` (:func:`fixed_scale`) — an exact
integer product, so hardware and model agree bit for bit.
"""

import numpy as np

import argcheck
from mesh_phy.bits import as_bits
from mesh_phy.errors import PhyError

# modulation -> (bits per subcarrier, bits per axis, K_MOD)
MODULATIONS = {
    "bpsk": (1, 1, 1.0),
    "qpsk": (2, 1, 1 / np.sqrt(2)),
    "16qam": (4, 2, 1 / np.sqrt(10)),
    "64qam": (6, 3, 1 / np.sqrt(42)),
}
# Index used on the RTL's 2-bit modulation select (tuser).
MOD_CODE = {"bpsk": 0, "qpsk": 1, "16qam": 2, "64qam": 3}
DEFAULT_WIDTH = 16


def modulation_params(modulation):
    """(n_bpsc, bits_per_axis, k_mod) of a modulation name (a key of
    :data:`MODULATIONS`), or :class:`PhyError`."""
    return MODULATIONS[argcheck.one_of(modulation, "modulation", PhyError, tuple(MODULATIONS))]


def _axis_level(bits: np.ndarray) -> np.ndarray:
    """Gray-coded bits (last axis, MSB first) to the odd integer level."""
    nb = bits.shape[-1]
    index = np.zeros(bits.shape[:-1], dtype=np.int64)
    acc = np.zeros(bits.shape[:-1], dtype=np.int64)
    for n in range(nb):  # Gray to binary: m_n = m_{n-1} XOR g_n
        acc ^= bits[..., n]
        index = (index << 1) | acc
    return 2 * index - ((1 << nb) - 1)


def levels(bits, modulation: str):
    """Integer levels (I, Q) per subcarrier; the bit count must fill whole symbols."""
    n_bpsc, per_axis, _ = modulation_params(modulation)
    arr = as_bits(bits)
    if arr.ndim != 1 or arr.size % n_bpsc:
        raise PhyError(f"bits must be 1-D and a multiple of N_BPSC={n_bpsc} for {modulation}, "
                       f"got shape {arr.shape}")
    groups = arr.reshape(-1, n_bpsc).astype(np.int64)
    i = _axis_level(groups[:, :per_axis])
    q = _axis_level(groups[:, per_axis:]) if n_bpsc > 1 else np.zeros_like(i)
    return i, q


def map_bits(bits, modulation: str) -> np.ndarray:
    """Map bits to normalised complex constellation points (average power 1)."""
    _, _, k_mod = modulation_params(modulation)
    i, q = levels(bits, modulation)
    return (i + 1j * q) * k_mod


def fixed_scale(modulation: str, width: int = DEFAULT_WIDTH) -> int:
    """The integer K_MOD in Q2.(width-2): ``round(K_MOD * 2**(width-2))``."""
    _, _, k_mod = modulation_params(modulation)
    width = argcheck.integer(width, "width", PhyError, lo=4, hi=32)
    return int(np.floor(k_mod * (1 << (width - 2)) + 0.5))


def map_bits_fixed(bits, modulation: str, width: int = DEFAULT_WIDTH):
    """Fixed-point mapping: (I, Q) int64 arrays in Q2.(width-2), see module doc."""
    scale = fixed_scale(modulation, width)
    i, q = levels(bits, modulation)
    return i * scale, q * scale
