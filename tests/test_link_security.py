"""Link-layer AEAD, replay windows, counter exhaustion, and the fleet:
handshakes in frames, pairwise and group keys, revocation and rekey."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import edhoc
from mesh_phy.coding.crc import crc32
from protocol import FrameError, decode, fleet
from protocol import security as S


def _frame(src=7, dst=9, payload=b"telemetry"):
    return {"type": "data", "version": 0, "seq": 1, "net": 0x4D53, "dst": dst, "src": src, "ack_req": False,
            "mesh": {"hop_limit": 3, "originator": src, "final_dst": dst, "mesh_seq": 1}, "options": None,
            "security": None, "body": {"proto": "mavlink2", "payload": payload}}


def _pair(cipher="sm4", mic=8):
    key = S.LinkKey(5, bytes(range(16)), cipher, mic)
    a, b = S.SecureLink(7), S.SecureLink(9)
    a.install(key, 9)
    b.install(key, 7)
    return a, b, key


@pytest.mark.parametrize("cipher", ["sm4", "aes"])
@pytest.mark.parametrize("mic", [4, 8, 16])
def test_protect_and_unprotect(cipher, mic):
    a, b, key = _pair(cipher, mic)
    data = a.protect(_frame(), key, 9)
    f = decode(data)
    assert f["security"]["mic_len"] == mic and len(f["mic"]) == mic
    assert b"telemetry" not in data  # encrypted
    got = b.unprotect(data)
    assert got["body"]["payload"] == b"telemetry" and got["counter"] == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 300), min_size=1, max_size=120))
def test_replay_window_matches_its_definition(counters):
    """Accept a counter iff never accepted before and not 64 or more behind
    the highest accepted; checked against a plain set model."""
    w = S.ReplayWindow()
    seen, highest = set(), -1
    for c in counters:
        expect = c not in seen and c > highest - S.WINDOW
        assert w.fresh(c) == expect
        if expect:
            w.accept(c)
            seen.add(c)
            highest = max(highest, c)


def test_late_frame_accepted_once_old_and_repeated_refused():
    a, b, key = _pair()
    frames = [a.protect(_frame(payload=bytes([i])), key, 9) for i in range(100)]
    b.unprotect(frames[80])
    b.unprotect(frames[50])  # late but inside the window: delivered
    for f in (frames[50], frames[80], frames[10]):  # repeated, repeated, too old
        with pytest.raises(S.SecurityError, match="replayed or too old"):
            b.unprotect(f)
    assert b.unprotect(frames[99])["body"]["payload"] == bytes([99])


def test_forged_frames_are_refused_and_do_not_move_the_window():
    a, b, key = _pair()
    good = a.protect(_frame(), key, 9)
    rng = random.Random(3)
    for pos in range(len(good) - 4):  # every byte but the FCS, FCS then corrected
        bad = bytearray(good)
        bad[pos] ^= rng.randint(1, 255)
        bad = bytes(bad[:-4]) + crc32(bytes(bad[:-4])).to_bytes(4, "little")
        with pytest.raises(FrameError):  # SecurityError is a FrameError
            b.unprotect(bad)
    # a forged frame claiming a huge counter must not lock the sender out
    forged = bytearray(good)
    sec_at = 9 + 7 + 2  # MAC header, mesh header, MIC code + key id
    forged[sec_at:sec_at + 4] = (2**31).to_bytes(4, "little")
    forged = bytes(forged[:-4]) + crc32(bytes(forged[:-4])).to_bytes(4, "little")
    with pytest.raises(S.SecurityError, match="MIC"):
        b.unprotect(forged)
    assert b.unprotect(good)["counter"] == 0


def test_frame_from_an_unknown_sender_or_key_is_refused():
    a, b, key = _pair()
    c = S.SecureLink(8)
    c.install(key, 9)
    with pytest.raises(S.SecurityError, match="no key"):
        b.unprotect(c.protect(_frame(src=8), key, 9))  # b has no pairwise key for node 8
    with pytest.raises(S.SecurityError, match="not secured"):
        from protocol import encode

        b.unprotect(encode(_frame()))


def test_frame_counter_exhaustion_forces_rekey():
    a, b, key = _pair()
    a.tx_counter[(9, key.key_id)] = S.MAX_COUNTER
    last = a.protect(_frame(), key, 9)
    assert decode(last)["security"]["counter"] == S.MAX_COUNTER
    with pytest.raises(S.RekeyRequired):
        a.protect(_frame(), key, 9)
    b.unprotect(last)
    a.install(S.LinkKey(6, bytes(16), "sm4", 8), 9)  # a new key: a new counter space
    assert decode(a.protect(_frame(), a.pairwise[9], 9))["security"]["counter"] == 0


def _handshake(x, y):
    out, turn = [x.start_handshake(y.address)], y
    while out:
        nxt = []
        for f in out:
            nxt += turn.receive(f)
        out, turn = nxt, (x if turn is y else y)


@pytest.mark.parametrize("suite", [edhoc.SUITE_2, edhoc.SUITE_SM])
@pytest.mark.parametrize("method", edhoc.METHODS)
def test_fleet_pairwise_and_group_keys(suite, method):
    a = fleet.FleetAuthority(suite=suite, method=method)
    gs, n1, n2, n3 = a.enrol(0x0001), a.enrol(0x0010), a.enrol(0x0011), a.enrol(0x0012)
    for n in (n1, n2, n3):
        _handshake(gs, n)
    _handshake(n1, n2)
    assert n1.link.pairwise[0x0011].key == n2.link.pairwise[0x0010].key
    assert n1.link.pairwise[0x0001].key != n1.link.pairwise[0x0011].key
    n2.receive(n1.send(0x0011, "data", {"proto": "raw", "payload": b"p2p"}))
    assert n2.delivered[-1]["body"]["payload"] == b"p2p"
    group = 0xFE01
    for fr, m in zip(a.group_frames(gs, group, [0x10, 0x11, 0x12]), (n1, n2, n3), strict=True):
        m.receive(fr)
    g = n3.send(group, "data", {"proto": "raw", "payload": b"p2mp"})
    for m in (n1, n2):
        m.receive(g)
        assert m.delivered[-1]["body"]["payload"] == b"p2mp"
    old_key = n3.link.group[fleet.group_key_id(1)]
    for fr, m in zip(a.remove_member(gs, group, 0x12), (n1, n2), strict=True):
        m.receive(fr)
    with pytest.raises(S.SecurityError):  # the removed member's frames, old epoch key
        n1.receive(n3.send(group, "data", {"proto": "raw", "payload": b"x"}, key=old_key))
    n2.receive(n1.send(group, "data", {"proto": "raw", "payload": b"epoch 2"}))
    assert n2.delivered[-1]["body"]["payload"] == b"epoch 2"


def test_unenrolled_or_revoked_node_cannot_join():
    a = fleet.FleetAuthority(suite=edhoc.SUITE_2)
    gs, n1 = a.enrol(1), a.enrol(0x20)
    other = fleet.FleetAuthority(suite=edhoc.SUITE_2).enrol(0x30)  # enrolled elsewhere
    with pytest.raises(edhoc.EdhocError):
        _handshake(other, gs)
    assert 0x30 not in gs.link.pairwise
    a.revoke(0x20)
    with pytest.raises(edhoc.EdhocError):
        _handshake(n1, gs)
    assert 0x20 not in gs.link.pairwise


def test_unsecured_data_frames_are_refused_by_nodes():
    from protocol import encode

    a = fleet.FleetAuthority(suite=edhoc.SUITE_2)
    n = a.enrol(0x10)
    with pytest.raises(S.SecurityError, match="unsecured"):
        n.receive(encode(_frame(src=0x11, dst=0x10)))
