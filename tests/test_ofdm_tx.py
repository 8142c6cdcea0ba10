"""The PPDU transmitter against IEEE 802.11a-1999 Annex G, sample by sample.

Annex G prints samples to three decimals, so a sample matches when both its
real and imaginary parts are within 0.0015 of the table (half a printed digit
plus rounding slack)."""

import numpy as np
import pytest

from mesh_phy import PhyError, tx
from mesh_phy.annex_g import (
    G1_MESSAGE,
    G4_SHORT,
    G6_LONG,
    G7_SIGNAL_BITS,
    G8_SIGNAL_CODED,
    G9_SIGNAL_INTERLEAVED,
    G12_SIGNAL,
    G24_PACKET,
    RATE_MBPS,
    SEED,
)
from mesh_phy.coding import conv, interleaver
from mesh_phy.errors import SignalError
from mesh_phy.ofdm import signal_field, symbols, training
from mesh_phy.rates import RATES

TOL = 0.0015  # tables printed to 3 decimals


def max_dev(x, table) -> float:
    t = np.asarray(table)
    assert x.shape == t.shape
    return float(max(np.abs(x.real - t.real).max(), np.abs(x.imag - t.imag).max()))


def s(a) -> str:
    return "".join(str(int(v)) for v in a)


def test_short_training_table_g4():
    assert max_dev(training.short_training(), G4_SHORT) <= TOL  # Table G.4


def test_long_training_table_g6():
    assert max_dev(training.long_training(), G6_LONG) <= TOL  # Table G.6


def test_signal_field_bits_tables_g7_g8_g9():
    b = signal_field.bits(RATE_MBPS, len(G1_MESSAGE))
    assert s(b) == G7_SIGNAL_BITS  # Table G.7
    coded = conv.encode(b, "1/2")
    assert s(coded) == G8_SIGNAL_CODED  # Table G.8
    assert s(interleaver.interleave(coded, 48, 1)) == G9_SIGNAL_INTERLEAVED  # Table G.9
    assert signal_field.parse(b) == (RATE_MBPS, len(G1_MESSAGE))


def test_signal_symbol_table_g12():
    sig = signal_field.symbols(signal_field.bits(RATE_MBPS, len(G1_MESSAGE)))
    x = symbols.modulate(symbols.to_bins(sig[None, :], 0))[0]
    assert max_dev(x, G12_SIGNAL) <= TOL  # Table G.12


def test_whole_packet_table_g24():
    x = tx.ppdu(G1_MESSAGE, RATE_MBPS, seed=SEED)
    assert x.dtype == np.complex128 and x.shape == (881,)
    assert max_dev(x, G24_PACKET) <= TOL  # Table G.24, all 881 samples
    # the default seed is Annex G's 1011101
    assert np.array_equal(tx.ppdu(G1_MESSAGE, RATE_MBPS), x)


def test_pilot_polarity_start_17_3_5_9():
    # 17.3.5.9 prints p_0..p_126; its first 16 values:
    first = [1, 1, 1, 1, -1, -1, -1, 1, -1, -1, -1, -1, 1, 1, -1, 1]
    assert symbols.POLARITY[:16].tolist() == first
    assert symbols.POLARITY.size == 127 and symbols.POLARITY.sum() == -1  # m-sequence balance


@pytest.mark.parametrize("rate", sorted(RATES))
def test_length_and_power_every_rate(rate, rng):
    psdu = rng.bytes(int(rng.integers(1, 400)))
    x = tx.ppdu(psdu, rate, seed=int(rng.integers(1, 128)))
    n_sym = tx.n_symbols(len(psdu), rate)
    assert x.shape == (320 + 80 + 80 * n_sym + 1,)
    # DATA samples (windowed edges excluded): 52 unit-power subcarriers / 64²
    data = x[401:-1]
    assert np.mean(np.abs(data) ** 2) == pytest.approx(52 / 64**2, rel=0.1)
    # the cyclic prefix of every DATA symbol repeats the symbol's end
    body = x[400:400 + 80 * n_sym].reshape(n_sym, 80)
    assert np.allclose(body[:, 1:16], body[:, 65:80])


def test_signal_rejects_bad_values():
    with pytest.raises(SignalError):
        signal_field.bits(36, 0)
    with pytest.raises(SignalError):
        signal_field.bits(36, 4096)
    with pytest.raises(SignalError):
        signal_field.bits(7, 10)
    with pytest.raises(SignalError):
        signal_field.bits(36, True)
    b = signal_field.bits(6, 1)
    for flip, why in [(17, "parity"), (4, "reserved")]:
        bad = b.copy()
        bad[flip] ^= 1
        if why == "reserved":
            bad[17] ^= 1  # keep parity even so the reserved bit is what fails
        with pytest.raises(SignalError, match=why):
            signal_field.parse(bad)
    unknown = b.copy()
    unknown[:4] = [0, 0, 0, 0]  # RATE 0000 is not in Table 80
    unknown[17] = unknown[:17].sum() & 1  # parity made even again
    with pytest.raises(SignalError, match="RATE"):
        signal_field.parse(unknown)


@pytest.mark.parametrize("args,kw", [((b"", 6), {}), ((b"x", 7), {}), (("text", 6), {}),
                                     ((b"x", 6), {"seed": 0}), ((bytes(4096), 6), {}),
                                     ((b"x", True), {}), ((b"x", 6.0), {}),
                                     ((b"x", 6), {"seed": 1.0})])
def test_ppdu_bad_arguments(args, kw):
    with pytest.raises(PhyError):
        tx.ppdu(*args, **kw)
