"""Rate-dependent parameters of IEEE 802.11a-1999, Table 78 (17.3.2.2).

``RATES[mbps]`` gives the modulation, the coding rate and the per-OFDM-symbol
bit counts N_BPSC (coded bits per subcarrier), N_CBPS (coded bits per symbol)
and N_DBPS (data bits per symbol). Each OFDM symbol carries 48 data
subcarriers and lasts 4 µs.
"""

from typing import NamedTuple

import argcheck
from mesh_phy.errors import PhyError


class RateParams(NamedTuple):
    mbps: int
    modulation: str
    coding_rate: str
    n_bpsc: int
    n_cbps: int
    n_dbps: int


RATES = {
    6: RateParams(6, "bpsk", "1/2", 1, 48, 24),
    9: RateParams(9, "bpsk", "3/4", 1, 48, 36),
    12: RateParams(12, "qpsk", "1/2", 2, 96, 48),
    18: RateParams(18, "qpsk", "3/4", 2, 96, 72),
    24: RateParams(24, "16qam", "1/2", 4, 192, 96),
    36: RateParams(36, "16qam", "3/4", 4, 192, 144),
    48: RateParams(48, "64qam", "2/3", 6, 288, 192),
    54: RateParams(54, "64qam", "3/4", 6, 288, 216),
}

SUBCARRIERS = 48
SYMBOL_US = 4.0


def rate_params(rate_mbps) -> RateParams:
    """Look up an 802.11a data rate in Mbit/s (an int key of :data:`RATES`;
    6.0 and True are refused), or raise :class:`PhyError`."""
    return RATES[argcheck.one_of(rate_mbps, "rate_mbps", PhyError, tuple(RATES))]
