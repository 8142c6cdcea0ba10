"""Properties of the rejoin state machine (protocol/netsim/rejoin.py): what
any sequence of unauthenticated frames, answers and failures can make one
node do. The end-to-end behaviour and the attacks on it are in
tests/test_netsim_security.py."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.netsim import rejoin as RJ

IDS = st.integers(128, 255)


@given(IDS, IDS)
def test_newer_orders_ids_around_the_pool(a, b):
    """Of two different ids fewer than 64 steps apart round the pool
    (128..255, as the authority hands them out), exactly one is newer than
    the other; an id is never newer than itself; anything is newer than
    no key at all."""
    assert RJ.newer(a, None)
    d = (a - b) % 128
    if a == b:
        assert not RJ.newer(a, b)
    elif d != 64:
        assert RJ.newer(a, b) != RJ.newer(b, a)


EVENTS = st.lists(st.tuples(st.sampled_from(["heard", "start", "answer", "expire", "abandon", "done"]),
                            st.integers(1, 40), st.integers(0, 3_000_000)), max_size=200)


@settings(max_examples=300, deadline=None)
@given(EVENTS, st.integers(0, 2**32 - 1))
def test_no_sequence_of_events_grows_state_or_outpaces_the_back_off(events, seed):
    """Any sequence of frames from up to 40 sources, attempts, answers,
    expiries, failed handshakes and newer keys, at any times: at most
    CANDIDATES candidates, each once, never the parent under way; an
    attempt starts only from a candidate, never while one is under way,
    never before the gap after an abandoned one or the back-off after an
    answered one that brought nothing newer; the back-off stays within
    [RETRY_US, BACKOFF_MAX_US] and the gap within [GAP_US, RETRY_US]."""
    s = RJ.RejoinState(np.random.default_rng(seed))
    now, epoch = 0.0, 1
    earliest = -np.inf  # no attempt may start before this
    for kind, src, dt in events:
        now += dt
        if kind == "heard":
            s.heard(src)
        elif kind == "start":
            under_way, before = s.parent is not None, list(s.candidates)
            p = s.start(now, epoch)
            if p is not None:
                assert not under_way and p in before and now >= earliest
                assert s.first is not None and s.first <= now
        elif kind == "answer" and s.parent is not None:
            s.answered = True
        elif kind == "expire":
            backoff, gap, since, answered = s.backoff, s.gap, s.since, s.answered
            if s.expire(now, epoch):
                earliest = now + backoff if answered else since + gap
        elif kind == "abandon":
            gap, since = s.gap, s.since
            if s.abandon():
                earliest = since + gap
        elif kind == "done":
            epoch += src % 2  # sometimes a newer key came
            if s.done(epoch):
                earliest = -np.inf
        assert len(s.candidates) <= RJ.CANDIDATES and len(set(s.candidates)) == len(s.candidates)
        assert s.parent is None or s.parent not in s.candidates
        assert RJ.RETRY_US <= s.backoff <= RJ.BACKOFF_MAX_US and RJ.GAP_US <= s.gap <= RJ.RETRY_US


def test_candidates_are_a_uniform_sample_of_distinct_sources():
    """A source counts once however many frames it sends: 20 sources, one
    of them sending 100 frames for every frame of the others, are each
    kept with probability about CANDIDATES / 20 (reservoir sampling) —
    the loud source no more than the others. 4,000 trials; the binomial
    standard deviation of each share is under 0.008."""
    kept = np.zeros(20)
    trials = 4000
    for t in range(trials):
        s = RJ.RejoinState(np.random.default_rng(t))
        for src in range(20):
            for _ in range(100 if src == 0 else 1):
                s.heard(src)
        kept[s.candidates] += 1
    share = kept / trials
    assert np.all(np.abs(share - RJ.CANDIDATES / 20) < 0.04), share
