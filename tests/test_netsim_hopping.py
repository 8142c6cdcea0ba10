"""Adaptive channel blacklisting (protocol.netsim.hopping.Blacklist): a
channel is skipped for a neighbour after losses in a row, probed again
later, and never more than half the channels are out of use for one
neighbour (the channels it reported jammed counted)."""

import pytest
from hypothesis import given, settings
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
    assert bl.out_of_use(9, 1.0) == channels // 2


def test_channels_a_neighbour_reported_jammed_count_towards_the_half():
    bl = Blacklist(6)
    bl.advertised[9] = frozenset({0, 1})
    for ch in range(2, 6):
        _lose(bl, 9, ch, 30)
    assert [ch for ch in range(6) if not bl.usable(9, ch, 1.0)] == [0, 1, 2]
    # reported channels alone are always heeded, even beyond the half (the receiver measured them)
    bl.advertised[9] = frozenset({0, 1, 3, 4})
    assert [ch for ch in range(6) if bl.usable(9, ch, 1.0)] == [5]


def test_a_channel_whose_probe_is_due_is_back_in_use_and_frees_room():
    bl = Blacklist(4)
    _lose(bl, 3, 0, 5)
    _lose(bl, 3, 1, 5)
    assert bl.out_of_use(3, 1.0) == 2
    assert not _lose(bl, 3, 2, 30)[-1]  # no room: two of four out already
    assert bl.out_of_use(3, PROBE) == 0  # both probes due
    assert bl.record(3, 2, False, PROBE)  # its rate is low already: now it goes out
    assert bl.out_of_use(3, PROBE) == 1


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 16), st.lists(st.tuples(st.integers(0, 3), st.integers(0, 15), st.booleans(),
                                              st.floats(0, 1e6)), max_size=300))
def test_no_sequence_of_attempts_takes_more_than_half_the_channels_of_a_neighbour(channels, attempts):
    bl = Blacklist(channels)
    now = 0.0
    for nb, ch, ok, dt in attempts:
        now += dt
        ch %= channels
        newly = bl.record(nb, ch, ok, now)
        assert not newly or not ok
        for n in range(4):
            assert bl.out_of_use(n, now) <= channels // 2
        assert bl.any_usable(nb, now)
        assert all(0 <= c < channels for _, c in bl.blacklisted(now))
