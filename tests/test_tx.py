import numpy as np
import pytest

from mesh_phy import PhyError, tx
from mesh_phy.annex_g import (
    G1_MESSAGE,
    G16_SCRAMBLED_144,
    G18_CODED_192,
    G21_INTERLEAVED_192,
    RATE_MBPS,
    SEED,
)
from mesh_phy.bits import bytes_to_bits
from mesh_phy.rates import RATES


def s(a) -> str:
    return "".join(map(str, a))


def test_annex_g_first_symbol_every_stage():
    # IEEE 802.11a-1999 Annex G: 100-byte message, 36 Mbit/s, seed 1011101.
    d = tx.data_field(G1_MESSAGE, RATE_MBPS, SEED)
    assert d.n_sym == 6  # ceil((16 + 800 + 6) / 144), 17.3.5.3
    assert s(d.scrambled[:144]) == G16_SCRAMBLED_144  # Table G.16
    assert s(d.coded[:192]) == G18_CODED_192  # Table G.18
    assert s(d.interleaved[:192]) == G21_INTERLEAVED_192  # Table G.21
    # 16-QAM, Table 84: the first subcarrier's bits are 0111 (G.21): b0b1 = 01
    # gives I = -1 and b2b3 = 11 gives Q = +1, scaled by 1/sqrt(10).
    first = d.symbols[0, 0] * np.sqrt(10)
    assert first == pytest.approx(-1 + 1j)


@pytest.mark.parametrize("rate", sorted(RATES))
def test_structure_at_every_rate(rate, rng):
    p = RATES[rate]
    psdu = rng.bytes(int(rng.integers(0, 300)))
    seed = int(rng.integers(1, 128))
    d = tx.data_field(psdu, rate, seed)
    n_sym = -(-(16 + 8 * len(psdu) + 6) // p.n_dbps)
    assert d.n_sym == n_sym and d.symbols.shape == (n_sym, 48)
    assert d.data_bits.size == n_sym * p.n_dbps and d.coded.size == n_sym * p.n_cbps
    assert not d.data_bits[:16].any()  # SERVICE
    assert np.array_equal(d.data_bits[16:16 + 8 * len(psdu)], bytes_to_bits(psdu))
    tail = 16 + 8 * len(psdu)
    assert not d.scrambled[tail:tail + 6].any()  # tail zeroed after scrambling
    assert np.mean(np.abs(d.symbols) ** 2) == pytest.approx(1.0, rel=0.35)


@pytest.mark.parametrize("args", [(b"x", 7, 1), (b"x", 6, 0), (b"x", 6, 128), ("text", 6, 1),
                                  (bytes(4096), 6, 1), (b"x", "6", 1)])
def test_bad_arguments(args):
    with pytest.raises(PhyError):
        tx.data_field(*args)
