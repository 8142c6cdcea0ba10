"""Adaptive channel blacklisting (protocol.netsim.hopping.Blacklist): a
channel is skipped for a neighbour after losses in a row, probed again
later, and never more than half the channels are out of use for one
neighbour (the channels it reported jammed counted)."""

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from protocol.netsim.hopping import Blacklist

PROBE = 200_000.0


def _lose(bl: Blacklist, nb: int, ch: int, n: int, now: float = 0.0) -> list:
    """Record ``n`` losses to ``nb`` on ``ch``; the results of record()."""
    return [bl.record(nb, ch, False, now) for _ in range(n)]


def test_five_losses_in_a_row_blacklist_a_channel_and_it_is_probed_once_after_200_ms():
    bl = Blacklist(6)
    # 1.0 -> 0.8, 0.64, 0.512, 0.41, 0.328: the fifth loss takes the rate under 0.4
    assert _lose(bl, 7, 2, 5) == [False, False, False, False, True]
    assert not bl.usable(7, 2, 1.0) and bl.usable(7, 3, 1.0) and bl.usable(8, 2, 1.0)
    assert bl.blacklisted(1.0) == [(7, 2)]
    assert not bl.usable(7, 2, PROBE - 1.0)
    assert bl.usable(7, 2, PROBE)  # the probe: rate back at the threshold
    assert bl.blacklisted(PROBE) == []
    assert bl.record(7, 2, False, PROBE + 1.0)  # one more loss and it is out again
    assert not bl.usable(7, 2, PROBE + 2.0)


def test_every_other_attempt_lost_keeps_the_channel_two_in_three_do_not():
    # the EWMA (weight 0.2) of alternating losses settles between 0.44 and 0.56, over the 0.4 threshold;
    # of two losses and a success it cycles between 0.26 and 0.41, under it after each second loss
    half, third = Blacklist(6), Blacklist(6)
    for _ in range(30):
        _lose(half, 7, 1, 1)
        half.record(7, 1, True, 0.0)
        _lose(third, 7, 1, 2)
        third.record(7, 1, True, 0.0)
    assert half.usable(7, 1, 0.0) and not third.usable(7, 1, 0.0)


@pytest.mark.parametrize("channels", [1, 2, 3, 6, 7, 16])
def test_losses_on_every_channel_take_at_most_half_the_channels_out_of_use(channels):
    # a broken link or a follower jammer loses frames on every channel: skipping channels cannot help
    bl = Blacklist(channels)
    for ch in range(channels):
        _lose(bl, 9, ch, 30)
    out = [ch for ch in range(channels) if not bl.usable(9, ch, 1.0)]
    assert len(out) == channels // 2
    assert out == list(range(channels // 2))  # the first to fail; the others stay in use
    assert bl.out_of_use(9) == channels // 2


def test_channels_a_neighbour_reported_jammed_count_towards_the_half_and_are_always_skipped():
    bl = Blacklist(6)
    bl.set_advertised(9, frozenset({0, 1}))
    for ch in range(2, 6):
        _lose(bl, 9, ch, 30)
    assert [ch for ch in range(6) if not bl.usable(9, ch, 1.0)] == [0, 1, 2]
    # reported channels alone are heeded even beyond the half (the receiver measured them); the
    # channel losses had taken out goes back in use, and losses take none out on top of them
    bl.set_advertised(9, frozenset({0, 1, 3, 4}))
    assert [ch for ch in range(6) if bl.usable(9, ch, 1.0)] == [2, 5]
    assert not _lose(bl, 9, 5, 30)[-1] and not _lose(bl, 9, 2, 30)[-1]


def test_a_report_of_channels_the_plan_does_not_have_takes_no_room():
    # attack: a HELLO (an insider's, or forged in a neighbour's name) reporting channels 6..15 of a
    # 6-channel plan counted 10 channels against the half, and losses could then take none out
    bl = Blacklist(6)
    bl.set_advertised(9, frozenset(range(6, 16)))
    assert bl.advertised[9] == frozenset() and bl.out_of_use(9) == 0
    for ch in range(6):
        _lose(bl, 9, ch, 30)
    assert [ch for ch in range(6) if not bl.usable(9, ch, 1.0)] == [0, 1, 2]


def test_a_report_that_takes_the_count_over_half_puts_the_newest_blacklisted_channels_back():
    # found by a review: losses took 0, 1, 2 out, then a report of 3 left two channels of six
    bl = Blacklist(6)
    for t, ch in enumerate((0, 1, 2)):
        _lose(bl, 9, ch, 5, now=float(t))
    bl.set_advertised(9, frozenset({3}))
    assert bl.out_of_use(9) == 3
    assert [ch for ch in range(6) if bl.usable(9, ch, 10.0)] == [2, 4, 5]  # 2 was the newest
    assert not bl.record(9, 2, False, 11.0)  # back in use as a probe; no room to take it out again


def test_a_due_probe_frees_room_only_once_it_is_made():
    # found by a review: counting channels whose probe was due as in use let a weak channel take the
    # room of jammed ones at every probe time, and the jammed ones then stayed in use
    bl = Blacklist(4)
    _lose(bl, 3, 0, 5)
    _lose(bl, 3, 1, 5)
    assert bl.out_of_use(3) == 2
    assert not _lose(bl, 3, 2, 30)[-1]  # no room: two of four out already
    assert not bl.record(3, 2, False, PROBE)  # both probes due, neither made: still no room
    assert bl.usable(3, 0, PROBE)  # the probe of channel 0 starts: it is in use again
    assert bl.out_of_use(3) == 1
    assert bl.record(3, 0, False, PROBE + 1.0)  # the probe failed: out again, before 2 takes its room
    assert not bl.record(3, 2, False, PROBE + 2.0)


_OPS = st.lists(st.one_of(
    st.tuples(st.just("rec"), st.integers(0, 1), st.integers(0, 15), st.sampled_from([False, False, False, True]),
              st.sampled_from([0.0, 136.0, 10_000.0, 199_999.0, 200_000.0])),
    st.tuples(st.just("use"), st.integers(0, 1), st.integers(0, 15)),
    st.tuples(st.just("adv"), st.integers(0, 1), st.frozensets(st.integers(0, 15), max_size=3))),
    min_size=10, max_size=300)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 8), _OPS)
def test_no_sequence_of_attempts_probes_and_reports_takes_more_than_half_by_losses(channels, ops):
    # mostly losses on few neighbours and channels, probes and reports mixed in: the half is reached
    # often (a review found the first version of this test never reached it)
    bl = Blacklist(channels)
    now = 0.0
    for op in ops:
        if op[0] == "rec":
            _, nb, ch, ok, dt = op
            now += dt
            assert not (bl.record(nb, ch % channels, ok, now) and ok)
        elif op[0] == "use":
            bl.usable(op[1], op[2] % channels, now)
        else:
            bl.set_advertised(op[1], frozenset(c % channels for c in op[2]))
        for n in (0, 1):
            limit = max(bl.max_out, len(bl.advertised.get(n, ())))
            assert bl.out_of_use(n) <= limit
            assert sum(not bl._passes(n, c, now) for c in range(channels)) <= limit
            if bl.out_of_use(n) == bl.max_out > 0:
                event("half reached")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.frozensets(st.integers(-2, 9), max_size=6)), max_size=30))
def test_reported_is_the_union_of_every_neighbours_last_report(reports):
    """Blacklist.reported() (cached for the broadcast scheduler) equals the
    union of each neighbour's last report, clipped to the plan's channels,
    after any sequence of reports, the same, changed or emptied ones."""
    bl = Blacklist(6)
    last = {}
    for nb, bad in reports:
        bl.set_advertised(nb, bad)
        last[nb] = {ch for ch in bad if 0 <= ch < 6}
        assert bl.reported() == frozenset().union(*last.values())
    assert bl.reported() == frozenset().union(*last.values())
