"""The PLCP preamble of IEEE 802.11a-1999, 17.3.3: ten short training
symbols (8 µs) and a 1.6 µs guard plus two long training symbols (8 µs).

Frequency values are per subcarrier k = -26..26 (17.3.3); the arrays below
hold them in numpy bin order (bin ``k mod 64``). Time samples use the scaling
of :mod:`mesh_phy.ofdm.symbols` (``numpy.fft.ifft``, as Annex G prints them).
"""

import numpy as np

from mesh_phy.ofdm.symbols import N_FFT, cyclic_field

SHORT_LEN = 160  # 10 × 16 samples
LONG_LEN = 160  # 32-sample guard + 2 × 64
LONG_GUARD = 32
PREAMBLE_LEN = SHORT_LEN + LONG_LEN
LT1_OFFSET = SHORT_LEN + LONG_GUARD  # first long symbol, from the packet start
SHORT_PERIOD = 16

# S_{-26..26} / sqrt(13/6) (17.3.3): ±(1+j) on every fourth subcarrier.
_SHORT = {-24: 1, -20: -1, -16: 1, -12: -1, -8: -1, -4: 1, 4: -1, 8: -1, 12: 1, 16: 1, 20: 1, 24: 1}
# L_{-26..26} (17.3.3), k = 0 is 0.
_LONG = [1, 1, -1, -1, 1, 1, -1, 1, -1, 1, 1, 1, 1, 1, 1, -1, -1, 1, 1, -1, 1, -1, 1, 1, 1, 1, 0,
         1, -1, -1, 1, 1, -1, 1, -1, 1, -1, -1, -1, -1, -1, 1, 1, -1, -1, 1, -1, 1, -1, 1, 1, 1, 1]


def _bins(values: dict) -> np.ndarray:
    out = np.zeros(N_FFT, dtype=complex)
    for k, v in values.items():
        out[k % N_FFT] = v
    out.flags.writeable = False
    return out


SHORT_BINS = _bins({k: np.sqrt(13 / 6) * s * (1 + 1j) for k, s in _SHORT.items()})
LONG_BINS = _bins(dict(zip(range(-26, 27), _LONG, strict=True)))
LONG_SYMBOL = np.fft.ifft(LONG_BINS)  # 64 samples, one long training symbol
LONG_SYMBOL.flags.writeable = False


def short_training() -> np.ndarray:
    """The short training field, 161 windowed samples (the last overlaps the
    long training field; Annex G Table G.4)."""
    return cyclic_field(np.fft.ifft(SHORT_BINS), 0, SHORT_LEN)


def long_training() -> np.ndarray:
    """The long training field, 161 windowed samples: the 32-sample guard is
    the end of the long symbol (Annex G Table G.6)."""
    return cyclic_field(LONG_SYMBOL, LONG_GUARD, LONG_LEN)
