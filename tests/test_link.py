"""The link runner shared by the BER and PER sweeps (per-point seeds,
stopping rules, workers, Wilson intervals) and the BER runner on it: the BER
tests moved here from test_viterbi.py keep their assertions (uncoded BPSK now
within 8 % of the Q function with 4,000 errors a point)."""

import numpy as np
import pytest
from scipy.stats import binomtest

from mesh_phy import ber, rx
from mesh_phy.errors import PhyError
from mesh_phy.link import runner, seeds, stats


# ---------------------------------------------------------------- statistics
def test_wilson_interval_hand_computed():
    # k = 5, n = 100, z = 1.96: p = 0.05, centre = (0.05 + 1.96²/200) / (1 + 1.96²/100)
    # = 0.066647, half = 1.96 / 1.038415 · √(0.05·0.95/100 + 1.96²/40000) = 0.045103
    lo, hi = stats.wilson(5, 100)
    assert lo == pytest.approx(0.021544, abs=2e-6) and hi == pytest.approx(0.111750, abs=2e-6)
    # and against scipy's implementation on other cases
    for k, n in [(0, 20), (1, 7), (37, 400), (400, 400)]:
        ref = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert stats.wilson(k, n) == pytest.approx((ref.low, ref.high), abs=1e-9)
    # no errors: upper bound z²/(n + z²)
    assert stats.wilson(0, 100)[1] == pytest.approx(1.959964**2 / (100 + 1.959964**2))
    assert stats.wilson(0, 0) == (0.0, 1.0)
    with pytest.raises(PhyError):
        stats.wilson(5, 4)
    with pytest.raises(PhyError):
        stats.wilson(True, 4)


def test_poisson_upper_bound():
    # no event: P(0 | rate r, time T) = exp(-r T) = 0.05 at r = -ln(0.05) / T
    assert stats.poisson_upper(0, 10.0) == pytest.approx(-np.log(0.05) / 10, rel=1e-9)
    assert stats.poisson_upper(0, 10.0) < 0.3
    # k events: the bound r has P(X <= k | r T) = 0.05 (Poisson tail, scipy as the independent check)
    from scipy.stats import poisson
    for k, t in ((1, 2.0), (5, 10.0), (40, 3.0)):
        r = stats.poisson_upper(k, t)
        assert poisson.cdf(k, r * t) == pytest.approx(0.05, rel=1e-6)
    for bad in (dict(events=-1, exposure=1.0), dict(events=1.5, exposure=1.0), dict(events=True, exposure=1.0),
                dict(events=0, exposure=0.0), dict(events=0, exposure=float("nan")),
                dict(events=0, exposure=1.0, confidence=1.0)):
        with pytest.raises(PhyError):
            stats.poisson_upper(**bad)


def test_crossing_interpolation():
    pts = [ber.Point("soft", 4.0, 1000, 10**7), ber.Point("soft", 4.5, 10, 10**7)]
    assert ber.crossing(pts) == pytest.approx(4.25)
    # PER 0.5 at 1 dB and 0.005 at 2 dB: 0.1 is at 1 + log10(5)/2 dB
    assert stats.crossing([1.0, 2.0], [0.5, 0.005], 0.1) == pytest.approx(1 + np.log10(5) / 2)
    assert stats.crossing([1.0, 2.0], [0.05, 0.005], 0.1) is None


# ---------------------------------------------------------------- the runner
class _Fake(runner.Link):
    """A link whose batches are Bernoulli(p) trials, ``size`` per batch."""

    def __init__(self, p, size=10):
        self.p, self.size = p, size

    def transmit(self, rng):
        return rng.random(self.size)

    def channel(self, sent, rng):
        return sent

    def receive(self, received):
        return received < self.p

    def count(self, sent, got):
        return runner.Batch(int(got.sum()), self.size, {"lost": int(got.sum())})


def _fake_curve(name="c", ps=(0.9, 0.5, 0.1, 0.0, 0.3)):
    return runner.Curve(name, tuple(ps), _Fake)


def test_point_stops_on_errors_or_cap(rng):
    e, n, tally = runner.run_point(_Fake(0.5), rng, target_errors=30, max_trials=10_000)
    assert e >= 30 and e - 30 < 10 and n % 10 == 0 and tally["lost"] == e
    e, n, _ = runner.run_point(_Fake(0.0), rng, target_errors=30, max_trials=95)
    assert e == 0 and n == 100  # a batch is never cut


def test_points_do_not_depend_on_order_or_workers():
    curve = _fake_curve()
    alone = runner.measure(curve, 2, 7, target_errors=20, max_trials=500)
    after = [runner.measure(curve, i, 7, target_errors=20, max_trials=500) for i in range(3)][2]
    assert alone == after
    assert runner.measure(curve, 2, 8, target_errors=20, max_trials=500) != alone  # the seed matters
    other = runner.measure(_fake_curve("d"), 2, 7, target_errors=20, max_trials=500)
    assert other != alone  # and so does the curve name
    # stable across processes: the SHA-256 of the name, not hash()
    assert seeds.curve_words("per/awgn/6/1000/full") == seeds.curve_words("per/awgn/6/1000/full")
    assert seeds.point_seed(1, "x", 0).entropy != seeds.point_seed(1, "x", 1).entropy


def test_curves_named_alike_up_to_the_pair_mark_draw_the_same_numbers():
    def draws(name, index=2, base=3):
        return seeds.point_rng(base, name, index).integers(0, 2**62, 4).tolist()

    full = draws("per/awgn/6/1000#full")
    assert draws("per/awgn/6/1000#ideal") == full  # paired: only the label after '#' differs
    assert draws("per/awgn/6/1000") == full  # the label does not seed at all
    assert draws("per/awgn/12/1000#full") != full and draws("per/awgn/6/1000#full", index=3) != full
    assert seeds.seed_key("a#b#c") == "a" and seeds.seed_key("ab") == "ab"
    paired = [_fake_curve("c#x"), _fake_curve("c#y")]
    a, b = (runner.measure(c, 1, 7, target_errors=20, max_trials=500) for c in paired)
    assert (a.errors, a.trials) == (b.errors, b.trials) and a.curve != b.curve


def test_sweep_ends_a_curve_at_no_errors_or_below_the_floor():
    pts = runner.sweep([_fake_curve()], base_seed=1, target_errors=20, max_trials=400, progress=False)
    assert [p.x for p in pts] == [0.9, 0.5, 0.1, 0.0]  # stops at the point with no error
    pts = runner.sweep([_fake_curve()], base_seed=1, target_errors=20, max_trials=400, floor=0.2,
                       progress=False)
    assert [p.x for p in pts] == [0.9, 0.5, 0.1]
    with pytest.raises(PhyError):
        runner.sweep([_fake_curve(), _fake_curve()], base_seed=1, target_errors=1, max_trials=1)


def test_ber_sweep_same_with_two_workers():
    kw = dict(seed=5, progress=False, target_errors=200, max_bits=300_000)
    one = ber.sweep(["uncoded"], 6, [0.0, 2.0, 4.0], **kw)
    two = ber.sweep(["uncoded"], 6, [0.0, 2.0, 4.0], jobs=2, **kw)
    assert one == two and len(one) == 3


# ---------------------------------------------------------------- BER (moved from test_viterbi.py)
def test_uncoded_bpsk_within_eight_percent_of_q_function(rng):
    # 4,000 errors a point: relative σ 1.6 %, so 8 % is a 5σ bound
    for e in range(0, 9):
        p = ber.simulate_point("uncoded", None, e, rng, target_errors=4000, max_bits=10**8)
        th = float(ber.theory_uncoded_bpsk(e))
        assert abs(p.ber / th - 1) < 0.08, (e, p, th)


def test_soft_decision_reaches_1e5_within_half_a_db_of_the_union_bound():
    # Union bound: 4.16 dB at 1e-5 (d_free 10, c_d 36, 0, 211, 0, 1404).
    assert float(ber.union_bound(4.16)) == pytest.approx(1e-5, rel=0.02)
    p = ber.simulate_point("soft", 6, 4.16 + 0.5, np.random.default_rng(12), target_errors=10**9,
                           max_bits=5_000_000)
    assert p.ber <= 1e-5, p


def test_hard_decision_about_two_db_worse():
    rng = np.random.default_rng(13)
    # soft crosses 1e-5 near 4.1-4.2 dB: hard must still be above 1e-5 1.5 dB
    # later, and below it 3 dB later.
    above = ber.simulate_point("hard", 6, 4.16 + 1.5, rng, target_errors=200, max_bits=5_000_000)
    below = ber.simulate_point("hard", 6, 4.16 + 3.0, rng, target_errors=10**9, max_bits=5_000_000)
    assert above.ber > 1e-5 and below.ber < 1e-5, (above, below)


def test_ber_link_decodes_a_batch_like_each_frame_alone(rng):
    # BerLink.receive goes through rx.decode_bits (frames=): rows are independent frames
    link = ber.BerLink("soft", 24, 3.0, frames=3, n_sym=4)
    sent = link.transmit(rng)
    y = link.channel(sent, rng)
    alone = [rx.decode_bits(row, 24, link.n0, terminated=True) for row in y.reshape(3, -1)]
    assert np.array_equal(link.receive(y), np.stack(alone))
    with pytest.raises(PhyError, match="frame"):
        rx.decode_bits(y[:-48], 24, link.n0, frames=3)


def test_ber_csv_keeps_its_columns(tmp_path):
    pts = [ber.Point("uncoded", 0.0, 100, 1000)]
    ber.write_csv(pts, 6, tmp_path / "b.csv")
    header, row = (tmp_path / "b.csv").read_text().splitlines()
    assert header.split(",")[:6] == ["curve", "ebn0_db", "errors", "bits", "ber", "theory"]
    lo, hi = stats.wilson(100, 1000)
    assert row.split(",")[-2:] == [f"{lo:.4e}", f"{hi:.4e}"]


# ---------------------------------------------------------------- typed errors
_GOOD_POINTS = [ber.Point("soft", 4.0, 1000, 10**7), ber.Point("soft", 4.5, 10, 10**7)]
HOSTILE_CASES = [
    (ber.qfunc, dict(x=1.0)),
    (ber.theory_uncoded_bpsk, dict(ebn0_db=1.0)),
    (ber.union_bound, dict(ebn0_db=1.0, decision="soft", rate=0.5)),
    (ber.theory, dict(curve="soft", ebn0_db=1.0, rate_mbps=6)),
    (ber.crossing, dict(points=_GOOD_POINTS, level=1e-5)),
    (ber.curve_name, dict(curve="soft", rate_mbps=6)),
    (ber.parse_range, dict(text="0:1:3")),
    (ber.simulate_point, dict(curve="uncoded", rate_mbps=6, ebn0_db=3.0, rng=np.random.default_rng(1),
                              target_errors=10, max_bits=1000)),
    (stats.wilson, dict(errors=1, trials=10)),
    (stats.crossing, dict(xs=[1.0, 2.0], rates=[0.5, 0.01], level=0.1)),
    (stats.poisson_upper, dict(events=0, exposure=10.0)),
    (seeds.point_seed, dict(base_seed=1, curve="a", index=0)),
    (seeds.seed_key, dict(curve="a#b")),
    (runner.measure, dict(curve=_fake_curve(), index=0, base_seed=1, target_errors=5, max_trials=20)),
]


@pytest.mark.parametrize("func,good", HOSTILE_CASES, ids=[f.__qualname__ for f, _ in HOSTILE_CASES])
def test_hostile_arguments_raise_phy_error(func, good):
    import hostile

    assert hostile.sweep(func, good, PhyError) > 0
