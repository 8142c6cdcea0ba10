import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mesh_phy import PhyError, rx, tx
from mesh_phy.coding import conv, viterbi
from mesh_phy.modulation import demapper, mapper
from mesh_phy.rates import RATES


def _cost(msg, soft):
    """The decoder's path metric up to a constant: sum over coded bits of +s
    where the bit is 1 and -s where it is 0 (soft > 0 means "0 likely")."""
    c = conv.encode(msg, "1/2")
    return int(np.sum(np.where(c == 1, soft, -soft)))


def test_decoder_is_maximum_likelihood(rng):
    """With traceback longer than the frame the Viterbi is exact ML: its
    output's metric equals the exhaustive minimum over all 2^8 terminated
    14-bit messages (40 noisy frames)."""
    n = 14
    candidates = [np.array(h + (0,) * 6, np.uint8) for h in itertools.product((0, 1), repeat=n - 6)]
    for _ in range(40):
        msg = rng.integers(0, 2, n, dtype=np.uint8)
        msg[-6:] = 0
        c = conv.encode(msg, "1/2")
        soft = np.clip(np.rint((1 - 2.0 * c) * 4 + rng.normal(0, 5, c.size)), -15, 15).astype(np.int64)
        dec = viterbi.decode(soft.astype(np.int8), soft_bits=5, traceback=64)
        best = min(_cost(m, soft) for m in candidates)
        assert not dec[-6:].any()
        assert _cost(dec, soft) == best


@pytest.mark.parametrize("rate", sorted(RATES))
def test_tx_awgn_rx_round_trip(rate, rng):
    # High SNR (Es/N0 = 25 dB): every rate returns the PSDU exactly.
    for _ in range(6):
        psdu = rng.bytes(int(rng.integers(0, 600)))
        seed = int(rng.integers(1, 128))
        d = tx.data_field(psdu, rate, seed)
        n0 = 10 ** (-25 / 10)
        shape = d.symbols.shape
        noise = np.sqrt(n0 / 2) * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape))
        assert rx.data_field(d.symbols + noise, rate, n0) == psdu
        assert rx.data_field(d.symbols + noise, rate, n0, length=len(psdu)) == psdu


@pytest.mark.parametrize("mod", list(mapper.MODULATIONS))
def test_max_log_llr_matches_exact_llr_sign_and_scale(mod, rng):
    n = mapper.MODULATIONS[mod][0]
    bits = rng.integers(0, 2, n * 300, dtype=np.uint8)
    n0 = 0.05
    y = mapper.map_bits(bits, mod)
    y = y + np.sqrt(n0 / 2) * (rng.standard_normal(y.shape) + 1j * rng.standard_normal(y.shape))
    approx = demapper.llr(y, mod, n0)
    # exact log-likelihood ratio by summing over all constellation points
    pts = np.array([mapper.map_bits([(p >> (n - 1 - k)) & 1 for k in range(n)], mod)[0]
                    for p in range(1 << n)])
    labels = np.array([[(p >> (n - 1 - k)) & 1 for k in range(n)] for p in range(1 << n)])
    metric = -np.abs(y[:, None] - pts[None, :]) ** 2 / n0
    exact = np.empty((y.size, n))
    for k in range(n):
        m0 = np.where(labels[:, k] == 0, metric, -np.inf)
        m1 = np.where(labels[:, k] == 1, metric, -np.inf)
        exact[:, k] = np.logaddexp.reduce(m0, axis=1) - np.logaddexp.reduce(m1, axis=1)
    exact = exact.reshape(-1)
    strong = np.abs(exact) > 2
    assert np.all(np.sign(approx[strong]) == np.sign(exact[strong]))
    assert np.max(np.abs(approx - exact)) < np.log(1 << n) + 1e-9  # max-log gap ≤ ln(M)


def test_depuncture_inserts_erasures():
    soft = np.arange(1, 9)
    out = conv.depuncture(soft, "3/4")
    assert list(out) == [1, 2, 3, 0, 0, 4, 5, 6, 7, 0, 0, 8]
    assert list(conv.depuncture([1, 2, 3], "2/3")) == [1, 2, 3, 0]


@pytest.mark.parametrize("bad", [
    dict(soft=np.zeros(7), rate="1/2"),          # odd length at rate 1/2
    dict(soft=np.zeros(5), rate="3/4"),          # not whole periods
    dict(soft=np.array([0.0, np.nan]), rate="1/2"),
    dict(soft=np.array([40, 0], np.int16), rate="1/2"),  # out of range for 6 bits
    dict(soft=np.array([1.0, 1.0]), rate="5/6"),
    dict(soft=np.array([1.0, 1.0]), rate="1/2", traceback=0),
    dict(soft=np.array([1.0, 1.0]), rate="1/2", soft_bits=12),
    dict(soft=np.array(["a", "b"]), rate="1/2"),
    dict(soft=np.zeros((2, 2, 2)), rate="1/2"),
    dict(soft=np.array([]), rate="1/2"),
])
def test_bad_decoder_input(bad):
    with pytest.raises(PhyError):
        viterbi.decode(**bad)


def test_bad_rx_input():
    with pytest.raises(PhyError):
        rx.data_field(np.zeros(47, complex), 6, 0.1)
    with pytest.raises(PhyError):
        rx.data_field(np.full(48, np.nan, complex), 6, 0.1)
    with pytest.raises(PhyError):
        rx.data_field(np.ones(48, complex), 6, 0.0)
    with pytest.raises(PhyError):
        rx.data_field(np.ones(48, complex), 7, 0.1)


@settings(max_examples=300, deadline=None)
@given(hnp.arrays(np.float64, st.integers(0, 64), elements=st.floats(allow_nan=True, allow_infinity=True)),
       st.sampled_from(["1/2", "2/3", "3/4"]))
def test_decoder_never_crashes_on_garbage(soft, rate):
    try:
        out = viterbi.decode(soft, rate)
    except PhyError:
        return
    assert out.dtype == np.uint8 and set(np.unique(out)) <= {0, 1}


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.complex128, st.integers(0, 200), elements=st.complex_numbers(allow_nan=True)))
def test_rx_never_crashes_on_garbage(symbols):
    try:
        rx.data_field(symbols, 6, 0.1)
    except PhyError:
        pass
