import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from typed_inputs import ARRAY, FLAG, INT, TEXT, check_entry

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


PERIOD = {"1/2": 1, "2/3": 2, "3/4": 3}  # input bits per puncturing period


def _noisy_soft(rng, msg, rate, soft_bits, noise):
    """Integer soft values of ``msg`` coded at ``rate`` (punctured stream):
    ±Q/2 plus Gaussian noise of ``noise`` * Q, rounded and saturated to ±Q."""
    q = (1 << (soft_bits - 1)) - 1
    c = conv.encode(msg, rate)
    x = (1 - 2.0 * c) * q / 2 + rng.normal(0, noise * q, c.size)
    return np.clip(np.rint(x), -q, q).astype(np.int64)


def _costs(msgs, mother):
    """:func:`_cost` of each row of ``msgs`` against the rate-1/2 stream
    ``mother`` (stolen positions are 0, so they cost nothing either way)."""
    c = conv.encode(np.atleast_2d(msgs), "1/2")
    return np.where(c == 1, mother, -mother).sum(axis=1)


@pytest.mark.parametrize("rate", sorted(PERIOD))
@pytest.mark.parametrize("terminated", [True, False])
def test_decoder_is_maximum_likelihood_at_every_rate_width_and_ending(rate, terminated, rng):
    """Exhaustive ML over all 12-bit messages (2^12, or the 2^6 that end in the
    six tail zeros when ``terminated``): the decoder's output reaches the
    minimum metric for punctured rates (stolen bits are erasures), every soft
    width 2..8 and hard decisions (Hamming metric on the LLR signs)."""
    n = 12
    heads = np.array(list(itertools.product((0, 1), repeat=n - 6 if terminated else n)), np.uint8)
    candidates = np.concatenate([heads, np.zeros((len(heads), n - heads.shape[1]), np.uint8)], axis=1)
    wrong = 0
    for frame in range(16):
        msg = rng.integers(0, 2, n, dtype=np.uint8)
        if terminated:
            msg[-6:] = 0
        if frame % 4 == 3:  # hard decisions on float LLRs
            llr = (1 - 2.0 * conv.encode(msg, rate)) + rng.normal(0, 1.2, conv.encode(msg, rate).size)
            dec = viterbi.decode(llr, rate, hard=True, terminated=terminated)
            mother = conv.depuncture(np.sign(llr).astype(np.int64), rate)
        else:
            soft_bits = int(rng.integers(2, 9))
            soft = _noisy_soft(rng, msg, rate, soft_bits, noise=1.3)
            dec = viterbi.decode(soft, rate, soft_bits=soft_bits, traceback=64, terminated=terminated)
            mother = conv.depuncture(soft, rate)
        assert dec.shape == (n,) and dec.dtype == np.uint8
        assert _costs(dec, mother)[0] == _costs(candidates, mother).min()
        if terminated:
            assert not dec[-6:].any()
        wrong += not np.array_equal(dec, msg)
    assert wrong > 0  # the noise made decoding errors: the check had something to find


def _expected_pair(ps: int, x: int):
    """Coded bits (A, B) for input x from state ps, by running the encoder of
    mesh_phy.coding.conv over the state's six bits (bit 0 = oldest) then x."""
    window = np.array([(ps >> k) & 1 for k in range(6)] + [x], np.uint8)
    a, b = conv.encode(window, "1/2")[-2:]
    return int(a), int(b)


EXPECTED = [[_expected_pair(ps, x) for x in (0, 1)] for ps in range(64)]


def _textbook_decode(mother, qmax: int, tb: int, terminated: bool) -> np.ndarray:
    """The decoder of the module doc written the plain way: unbounded integer
    metrics (no modulo), stored decisions and a traceback of tb - 1 steps from
    the best state for every output (no register exchange)."""
    n = len(mother) // 2
    pm = [0] + [32 * qmax] * 63
    pred = []  # pred[t][ns]: the state before ns on its survivor
    out = np.zeros(n, np.uint8)

    def input_bit(state, t, u):  # the survivor of `state` at time t, input at time u ≤ t
        for v in range(t, u, -1):
            state = pred[v][state]
        return state >> 5

    for t in range(n):
        sa, sb = int(mother[2 * t]), int(mother[2 * t + 1])
        new, choice = [0] * 64, [0] * 64
        for ns in range(64):
            x = ns >> 5
            cands = []
            for ps in ((ns & 31) << 1, ((ns & 31) << 1) | 1):
                a, b = EXPECTED[ps][x]
                cands.append(pm[ps] + (qmax + (sa if a else -sa)) + (qmax + (sb if b else -sb)))
            take1 = cands[1] < cands[0]
            new[ns], choice[ns] = cands[take1], ((ns & 31) << 1) | take1
        pm = new
        pred.append(choice)
        if tb - 1 <= t < n - 1:
            best = min(range(64), key=lambda s: (pm[s], s))
            out[t - tb + 1] = input_bit(best, t, t - tb + 1)
    state = 0 if terminated else min(range(64), key=lambda s: (pm[s], s))
    for u in range(n - 1, max(n - tb, 0) - 1, -1):
        out[u] = state >> 5
        state = pred[u][state]
    return out


def test_windowed_decisions_match_a_textbook_viterbi(rng):
    """Bit-exact against :func:`_textbook_decode` with traceback shorter than
    the frame (best-state output every step, then the flush), for every rate,
    soft width, traceback 1..64 and ending, on noisy frames, on uniformly
    random soft values (the widest metric spread; the textbook version has no
    modulo arithmetic, so this also checks the path-metric width), on frames
    of one repeated value, and on frames coded from a non-zero start state
    (where the start metrics, 0 and 32Q, decide the early bits)."""
    for frame in range(75):
        rate = str(rng.choice(sorted(PERIOD)))
        soft_bits = int(rng.integers(2, 9))
        tb = int(rng.choice([1, 2, 5, 16, 40, 63, 64, int(rng.integers(1, 65))]))
        n = PERIOD[rate] * int(rng.integers(1, 160 // PERIOD[rate]))
        terminated = bool(rng.integers(0, 2))
        q = (1 << (soft_bits - 1)) - 1
        msg = rng.integers(0, 2, n, dtype=np.uint8)
        size = conv.encode(msg, rate).size
        if frame % 5 == 0:
            soft = rng.integers(-q, q + 1, size)
        elif frame % 5 == 1:  # one value throughout
            soft = np.full(size, int(rng.integers(-q, q + 1)))
        elif frame % 5 == 2:  # noiseless, but coded from a random non-zero start state
            head = rng.integers(0, 2, 6, dtype=np.uint8)
            head[0] = 1
            coded = conv.encode(np.concatenate([head, msg]), rate)[conv.encode(head, rate).size:]
            soft = q * (1 - 2 * coded.astype(np.int64))
        else:
            soft = _noisy_soft(rng, msg, rate, soft_bits, noise=float(rng.uniform(0.2, 1.2)))
        dec = viterbi.decode(soft, rate, traceback=tb, soft_bits=soft_bits, terminated=terminated)
        ref = _textbook_decode(conv.depuncture(soft, rate), q, tb, terminated)
        assert np.array_equal(dec, ref), (frame, rate, soft_bits, tb, n, terminated)


def test_decoder_agrees_with_scikit_commpy(rng):
    """scikit-commpy's viterbi_decode as an independent ML decoder. It ends a
    frame with five steps of received "0" codewords; tb_depth = frame + 6 makes
    its only traceback the one from the best state after the last of them
    (a shorter depth leaves the first bit to an earlier traceback). The same
    five steps are appended to our input (soft +1) and decoded without
    termination. Both must reach the same metric (for commpy's output, whose
    tail it does not return, the minimum over the 2^5 tails): soft at every
    rate (8-bit values; stolen bits are erasures, 0.0 for commpy's squared
    Euclidean metric) and hard (commpy's Hamming metric; ±1 inputs, since its
    hard mode has no erasure). The soft outputs are also identical but on ties."""
    import commpy.channelcoding.convcode as cc

    trellis = cc.Trellis(np.array([6]), np.array([[0o155, 0o117]]))  # 133/171 in commpy's bit order
    pad = 5
    tails = np.array(list(itertools.product((0, 1), repeat=pad)), np.uint8)
    identical = soft_frames = wrong = 0
    for rate, hard in [("1/2", False), ("2/3", False), ("3/4", False), ("1/2", True)]:
        for _ in range(5):
            n = PERIOD[rate] * int(rng.integers(6, 16))
            msg = rng.integers(0, 2, n, dtype=np.uint8)
            if hard:  # commpy takes hard bits: no erasures, rate 1/2 only
                coded = conv.encode(msg, rate)
                mother = np.where(coded ^ (rng.random(coded.size) < 0.12), -1, 1)
                peer = cc.viterbi_decode((mother < 0).astype(int), trellis, tb_depth=n + pad + 1,
                                         decoding_type="hard")
            else:
                mother = conv.depuncture(_noisy_soft(rng, msg, rate, 8, noise=1.1), rate)
                peer = cc.viterbi_decode(-mother.astype(float), trellis, tb_depth=n + pad + 1,
                                         decoding_type="unquantized")
            padded = np.concatenate([mother, np.ones(2 * pad, np.int64)])
            ours = viterbi.decode(padded, "1/2", traceback=64, soft_bits=8, hard=hard, terminated=False)
            peer = np.asarray(peer[:n], np.uint8)
            peer_cost = _costs(np.concatenate([np.tile(peer, (len(tails), 1)), tails], axis=1), padded).min()
            assert _costs(ours, padded)[0] == peer_cost, (rate, hard, n)
            if not hard:
                soft_frames += 1
                identical += np.array_equal(ours[:n], peer)
            wrong += not np.array_equal(ours[:n], msg)
    assert identical >= 0.8 * soft_frames, (identical, soft_frames)
    assert wrong > 0


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


DECODE_GOOD = {"soft": [1.0, -2.0, 0.5, 3.0], "rate": "1/2", "traceback": 64, "soft_bits": 6, "hard": False,
               "terminated": True}


def test_hostile_arguments_raise_only_phy_error():
    """Every argument of decode, to_soft and pm_bits swept with the shared
    hostile values: a result or PhyError, and each argument refuses every
    value of a type it does not take (bools and floats as widths, ints as
    flags, scalars and strings as soft values, ...)."""
    check_entry(("decode", viterbi.decode, DECODE_GOOD,
                 {"soft": ARRAY, "rate": TEXT, "traceback": INT, "soft_bits": INT, "hard": FLAG, "terminated": FLAG}),
                PhyError)
    check_entry(("to_soft", viterbi.to_soft, {"soft": [1.0, -2.0], "soft_bits": 6, "hard": False},
                 {"soft": ARRAY, "soft_bits": INT, "hard": FLAG}), PhyError)
    check_entry(("pm_bits", viterbi.pm_bits, {"soft_bits": 6}, {"soft_bits": INT}), PhyError)


@pytest.mark.parametrize("arg,bad", [
    ("traceback", dict(traceback=True)), ("traceback", dict(traceback=4.0)), ("traceback", dict(traceback="4")),
    ("traceback", dict(traceback=0)), ("traceback", dict(traceback=65)),
    ("soft_bits", dict(soft_bits=True)), ("soft_bits", dict(soft_bits=6.0)), ("soft_bits", dict(soft_bits=1)),
    ("soft_bits", dict(soft_bits=9)), ("soft_bits", dict(soft_bits=12, hard=True)),
    ("hard", dict(hard=1)), ("hard", dict(hard="yes")), ("hard", dict(hard=None)),
    ("terminated", dict(terminated=0)), ("terminated", dict(terminated=None)),
    ("rate", dict(rate="5/6")), ("rate", dict(rate=0.5)), ("rate", dict(rate=None)),
    ("soft", dict(soft=[[1.0, 2.0], [3.0]])), ("soft", dict(soft=np.array([True, False]))),
    ("soft", dict(soft=np.ones(2, complex))), ("soft", dict(soft=np.array([1, 2], "m8[s]"))),
    ("soft", dict(soft=np.array([1, 2], object))), ("soft", dict(soft=1.5)), ("soft", dict(soft="ab")),
    ("soft", dict(soft=np.array([0.0, np.nan]))), ("soft", dict(soft=np.zeros((2, 2, 2)))),
    ("soft", dict(soft=np.zeros((3, 0)))), ("soft", dict(soft=np.zeros(7))),
    ("soft", dict(soft=np.zeros(5), rate="3/4")), ("soft", dict(soft=np.array([32, 0]))),
    ("soft", dict(soft=np.array([2, 0]), hard=True)),
])
def test_bad_arguments_are_refused_naming_the_argument(arg, bad):
    with pytest.raises(PhyError, match=arg):
        viterbi.decode(**{**DECODE_GOOD, **bad})


def test_infinite_llrs_are_certainties(rng):
    """±inf LLRs saturate to ±Q (a certain bit); NaN is refused (above)."""
    msg = rng.integers(0, 2, 201, dtype=np.uint8)
    msg[-6:] = 0
    coded = conv.encode(msg, "3/4")
    assert np.array_equal(viterbi.decode(np.where(coded == 1, -np.inf, np.inf), "3/4"), msg)
    llr = (1 - 2.0 * coded) * 3 + rng.normal(0, 2, coded.size)
    where = rng.random(coded.size) < 0.05
    llr[where] = np.where(coded[where] == 1, -np.inf, np.inf)
    q = viterbi.to_soft(llr, 6)
    assert np.array_equal(q[where], np.where(coded[where] == 1, -31, 31))
    assert np.array_equal(viterbi.decode(llr, "3/4"), viterbi.decode(q, "3/4"))


def test_batch_rows_decode_as_single_frames(rng):
    """A 2-D batch gives each row's own decoding, on one core or spread over
    the cores (from PARALLEL_MIN_STEPS steps), for any memory layout; an empty
    batch gives an empty result, and the input is never modified."""
    for rows, steps in [(1, 60), (3, 45), (8, 3000)]:
        rate = str(rng.choice(sorted(PERIOD)))
        steps -= steps % PERIOD[rate]
        msgs = rng.integers(0, 2, (rows, steps), dtype=np.uint8)
        coded = conv.encode(msgs, rate)
        llr = (1 - 2.0 * coded) + rng.normal(0, 0.8, coded.shape)
        keep = llr.copy()
        options = dict(traceback=int(rng.integers(1, 65)), terminated=False)
        batch = viterbi.decode(llr, rate, **options)
        assert batch.shape == (rows, steps) and np.array_equal(llr, keep)
        for r in range(rows):
            assert np.array_equal(batch[r], viterbi.decode(llr[r], rate, **options))
        assert np.array_equal(viterbi.decode(np.asfortranarray(llr), rate, **options), batch)
        wide = np.zeros((rows, 2 * llr.shape[1]))
        wide[:, ::2] = llr
        assert np.array_equal(viterbi.decode(wide[:, ::2], rate, **options), batch)
    assert rows * steps >= viterbi.PARALLEL_MIN_STEPS
    assert viterbi.decode(np.zeros((0, 8)), "1/2").shape == (0, 4)


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
