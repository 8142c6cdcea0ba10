"""Link-layer AEAD, replay windows, counter exhaustion, keys bound to the
address they serve, and the fleet: handshakes in frames, pairwise and group
keys, revocation and rekey, typed errors on every public input. (The attacks
on the fleet are in test_fleet_attacks.py.)"""

import numbers
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import edhoc, modes
from crypto.aes import AES
from crypto.sm4 import SM4
from mesh_phy.coding.crc import crc32
from protocol import FrameError, decode, encode, fleet
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
    # the golden CCM* (crypto.modes, checked against its standards' vectors) over the same nonce and header
    block = {"sm4": SM4, "aes": AES}[cipher](key.key)
    body = data[len(data) - 4 - len(f["ciphertext"]) - mic:len(data) - 4 - mic]
    header = data[:len(data) - 4 - len(body) - mic]
    ct, tag = modes.ccm_star_encrypt(block, S.nonce(7, 0x4D53, 5, 0, mic), b"\x01" + b"telemetry", header, mic)
    assert (ct, tag) == (f["ciphertext"], f["mic"])
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
    a.tx_counter[9] = S.MAX_COUNTER
    last = a.protect(_frame(), key, 9)
    assert decode(last)["security"]["counter"] == S.MAX_COUNTER
    with pytest.raises(S.RekeyRequired):
        a.protect(_frame(), key, 9)
    b.unprotect(last)
    a.install(S.LinkKey(6, bytes(16), "sm4", 8), 9)  # a new key: a new counter space
    assert decode(a.protect(_frame(), a.pairwise[9], 9))["security"]["counter"] == 0
    with pytest.raises(S.SecurityError, match="already installed"):  # the same key again would restart its counters
        a.install(S.LinkKey(7, bytes(16), "sm4", 8), 9)


def test_windows_only_after_the_mic_and_at_most_max_senders_per_key():
    """2,000 forged group frames from 2,000 sources leave no window; verified
    frames from more senders than the cap are refused, not let in by evicting
    a window (which would reopen that sender's replays)."""
    group, key = 0xFE07, S.LinkKey(130, bytes(range(16, 32)), "aes", 8)
    rx = S.SecureLink(9, max_senders=50)
    rx.install(key, group)
    senders = []
    for src in range(100, 160):
        tx = S.SecureLink(src)
        tx.install(key, group)
        senders.append(tx.protect(_frame(src=src, dst=group), key))
    rng = random.Random(21)
    template = decode(senders[0])
    for src in rng.sample(range(0x0200, 0xFE00), 2000):
        forged = encode(dict(template, src=src, mic=rng.randbytes(8)))
        with pytest.raises(S.SecurityError, match="MIC"):
            rx.unprotect(forged)
    assert rx.windows == {}
    accepted = refused = 0
    for f in senders:
        try:
            rx.unprotect(f)
            accepted += 1
        except S.SecurityError as exc:
            assert "senders" in str(exc)
            refused += 1
    assert (accepted, refused, len(rx.windows)) == (50, 10, 50)
    with pytest.raises(S.SecurityError, match="replayed"):
        rx.unprotect(senders[0])
    rx.install(S.LinkKey(131, bytes(16), "aes", 8), group)  # a rekey drops the old key's windows
    assert rx.windows == {}


def test_keys_are_bound_to_their_address():
    """A group key opens only its group's frames; a frame moved to another
    group or node (destination rewritten, FCS fixed) does not verify."""
    k1, k2 = S.LinkKey(130, bytes(16), "sm4", 8), S.LinkKey(130, bytes(range(16)), "sm4", 8)
    tx, rx = S.SecureLink(7), S.SecureLink(9)
    for link in (tx, rx):
        link.install(k1, 0xFE01)
        link.install(k2, 0xFE02)
    f = tx.protect(_frame(dst=0xFE01), k1)
    assert rx.unprotect(f)["dst"] == 0xFE01
    for dst in (0xFE02, 9):
        moved = bytearray(f)
        moved[5:7] = dst.to_bytes(2, "little")
        with pytest.raises(S.SecurityError):
            rx.unprotect(bytes(moved[:-4]) + crc32(bytes(moved[:-4])).to_bytes(4, "little"))
    with pytest.raises(S.SecurityError, match="not installed"):
        tx.protect(_frame(dst=0xFE02), k1)  # k1 is not the key of 0xFE02


@pytest.mark.parametrize("key,why", [
    (S.LinkKey(5, bytes(16), "des", 8), "cipher"),
    (S.LinkKey(5, bytes(16), None, 8), "cipher"),
    (S.LinkKey(256, bytes(16), "sm4", 8), "key_id"),
    (S.LinkKey(True, bytes(16), "sm4", 8), "key_id"),
    (S.LinkKey(5, bytes(15), "sm4", 8), "key"),
    (S.LinkKey(5, "0" * 16, "sm4", 8), "key"),
    (S.LinkKey(5, bytes(16), "sm4", 4.0), "mic_len"),
    (S.LinkKey(5, bytes(16), "sm4", 6), "mic_len"),
    ((5, bytes(16), "sm4", 8), "LinkKey"),
])
def test_bad_keys_raise_security_error(key, why):
    """Unknown cipher names and every other malformed key: SecurityError
    naming the field, never KeyError — at install and at protect."""
    a, b, good = _pair()
    with pytest.raises(S.SecurityError, match=why):
        S.SecureLink(7).install(key, 9)
    with pytest.raises(S.SecurityError, match=why):
        a.protect(_frame(), key, 9)


@pytest.mark.parametrize("call", [
    lambda: S.SecureLink(True), lambda: S.SecureLink(0xFFFF), lambda: S.SecureLink(0xFE01),
    lambda: S.SecureLink("7"), lambda: S.SecureLink(7, max_senders=0),
    lambda: S.SecureLink(7).install(S.LinkKey(5, bytes(16)), 0xFFFF),
    lambda: S.SecureLink(7).install(S.LinkKey(5, bytes(16)), 7),
    lambda: S.SecureLink(7).install(S.LinkKey(5, bytes(16)), 9.0),
    lambda: S.SecureLink(7).protect("frame"), lambda: S.SecureLink(7).protect(_frame()),
    lambda: S.SecureLink(7).unprotect("00"), lambda: S.SecureLink(7).remove(None),
])
def test_secure_link_arguments_are_checked(call):
    with pytest.raises(FrameError):
        call()


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
    assert n1.keys.peers[0x0011].address == 0x0011  # the key is bound to the certificate issued for 0x0011
    n2.receive(n1.send(0x0011, "data", {"proto": "raw", "payload": b"p2p"}))
    assert n2.delivered[-1]["body"]["payload"] == b"p2p"
    group = 0xFE01
    frames = a.group_frames(gs, group, [0x10, 0x11, 0x12])
    assert [decode(f)["dst"] for f in frames] == [0x10, 0x10, 0x11, 0x11, 0x12, 0x12]  # charter, then key
    for fr in frames:
        {0x10: n1, 0x11: n2, 0x12: n3}[decode(fr)["dst"]].receive(fr)
    assert n1.groups[group].epoch == 1 and n1.groups[group].charter.controller == 0x0001
    g = n3.send(group, "data", {"proto": "raw", "payload": b"p2mp"})
    assert n3.receive(g) == [] and not n3.delivered  # its own frame heard back: ignored
    for m in (n1, n2):
        m.receive(g)
        assert m.delivered[-1]["body"]["payload"] == b"p2mp"
    old_key = n3.link.group[group]
    for fr in a.remove_member(gs, group, 0x12):
        {0x10: n1, 0x11: n2}[decode(fr)["dst"]].receive(fr)
    assert n1.link.group[group].key != old_key.key and n1.groups[group].epoch == 2
    with pytest.raises(S.SecurityError):  # the removed member's frames, old epoch key
        n1.receive(n3.send(group, "data", {"proto": "raw", "payload": b"x"}))
    n2.receive(n1.send(group, "data", {"proto": "raw", "payload": b"epoch 2"}))
    assert n2.delivered[-1]["body"]["payload"] == b"epoch 2"


def test_unenrolled_or_revoked_node_cannot_join():
    a = fleet.FleetAuthority(suite=edhoc.SUITE_2)
    gs, n1 = a.enrol(1), a.enrol(0x20)
    other = fleet.FleetAuthority(suite=edhoc.SUITE_2).enrol(0x30)  # enrolled elsewhere
    with pytest.raises(fleet.HandshakeError):
        _handshake(other, gs)
    assert 0x30 not in gs.link.pairwise
    assert a.revoke(gs, 0x20) == []  # no other node to tell
    with pytest.raises(S.SecurityError, match="revoked"):
        _handshake(n1, gs)
    assert 0x20 not in gs.link.pairwise
    with pytest.raises(S.SecurityError, match="revoked"):
        a.enrol(0x20)  # an address once revoked stays revoked


def test_unsecured_data_frames_are_refused_by_nodes():
    a = fleet.FleetAuthority(suite=edhoc.SUITE_2)
    n = a.enrol(0x10)
    with pytest.raises(S.SecurityError, match="unsecured"):
        n.receive(encode(_frame(src=0x11, dst=0x10)))


def test_group_key_ids_are_unique_across_groups_and_epochs():
    """The authority allots group key ids so that no two current group
    epochs share one and a group's next epoch never reuses its id."""
    a = fleet.FleetAuthority(suite=edhoc.SUITE_2)
    gs, n1 = a.enrol(1), a.enrol(0x10)
    _handshake(gs, n1)
    ids = {}
    for rnd in range(3):
        for group in range(0xFE00, 0xFE00 + 40):
            for fr in a.group_frames(gs, group, [0x10]):
                n1.receive(fr)
            new = n1.link.group[group].key_id
            assert new != ids.get(group)
            ids[group] = new
            assert len(set(ids.values())) == len(ids), f"round {rnd}"
    assert sorted({k.key_id for k in n1.link.group.values()}) == sorted(ids.values())


def _bad_fleet_calls():
    a = fleet.FleetAuthority(suite=edhoc.SUITE_2)
    gs, n1 = a.enrol(1), a.enrol(0x10)
    stranger = fleet.FleetAuthority(suite=edhoc.SUITE_2).enrol(2)
    return {
        "FleetAuthority(suite=5)": lambda: fleet.FleetAuthority(suite=5),
        "FleetAuthority(method=True)": lambda: fleet.FleetAuthority(method=True),
        "FleetAuthority(net=-1)": lambda: fleet.FleetAuthority(net=-1),
        "enrol(True)": lambda: a.enrol(True),
        "enrol('x')": lambda: a.enrol("x"),
        "enrol(broadcast)": lambda: a.enrol(0xFFFF),
        "enrol(group)": lambda: a.enrol(0xFE01),
        "enrol(again)": lambda: a.enrol(0x10),
        "Node(authority=None)": lambda: fleet.Node(3, n1.key, n1.cred, None),
        "Node(key=bytes)": lambda: fleet.Node(3, b"k", n1.cred, a),
        "Node(address=1.0)": lambda: fleet.Node(1.0, n1.key, n1.cred, a),
        "Node(clock=5)": lambda: fleet.Node(3, n1.key, n1.cred, a, clock=5),
        "Node(limits=dict)": lambda: fleet.Node(3, n1.key, n1.cred, a, limits={}),
        "start_handshake(self)": lambda: n1.start_handshake(0x10),
        "start_handshake(broadcast)": lambda: n1.start_handshake(0xFFFF),
        "start_handshake(group)": lambda: n1.start_handshake(0xFE01),
        "start_handshake('1')": lambda: n1.start_handshake("1"),
        "receive(str)": lambda: n1.receive("00"),
        "receive(junk)": lambda: n1.receive(b"\x00" * 20),
        "send(no key)": lambda: n1.send(0x11, "data", {"proto": "raw", "payload": b""}),
        "send(dst=None)": lambda: n1.send(None, "data", {}),
        "group_frames(unicast group)": lambda: a.group_frames(gs, 0x11, [0x10]),
        "group_frames(members=5)": lambda: a.group_frames(gs, 0xFE01, 5),
        "group_frames(unknown member)": lambda: a.group_frames(gs, 0xFE01, [0x77]),
        "group_frames(no pairwise key)": lambda: a.group_frames(gs, 0xFE01, [0x10]),
        "group_frames(foreign station)": lambda: a.group_frames(stranger, 0xFE01, [0x10]),
        "remove_member(unknown group)": lambda: a.remove_member(gs, 0xFE09, 0x10),
        "remove_member(address=[])": lambda: a.remove_member(gs, 0xFE09, []),
        "revoke(station itself)": lambda: a.revoke(gs, 1),
        "revoke(unknown)": lambda: a.revoke(gs, 0x99),
        "revoke(station=None)": lambda: a.revoke(None, 0x10),
    }


@pytest.mark.parametrize("case", list(_bad_fleet_calls()))
def test_fleet_arguments_raise_frame_errors(case):
    with pytest.raises(FrameError):
        _bad_fleet_calls()[case]()


# ------------------------------------- hostile values in every public input

def _sweep_entries():
    """(label, callable, good arguments, kinds) for every public function and
    method of protocol.security and protocol.fleet (tests/typed_inputs.py)."""
    from typed_inputs import BYTES, FLAG, INT, NONE, TEXT

    from protocol.fleet import authority, handshake, keys, node, statements

    REAL = ("real", lambda v: isinstance(v, (numbers.Real, np.integer, np.floating))
            and not isinstance(v, (bool, np.bool_)))

    a = fleet.FleetAuthority(suite=edhoc.SUITE_2)
    gs, n1 = a.enrol(1), a.enrol(0x10)
    _handshake(gs, n1)
    frames = a.group_frames(gs, 0xFE01, [0x10])
    charter_bytes = n1.link.unprotect(frames[0])["body"]["message"]
    crl = fleet.RevocationList(1, frozenset({0x20}))
    crl_bytes = statements.issue_crl(a.signing_key, a.net, crl)
    cert = statements.open_certificate(gs.cred.raw, a.anchor)
    key = S.LinkKey(5, bytes(16), "sm4", 8)
    seven = S.SecureLink(7)
    seven.install(key, 9)
    good_frame = seven.protect(_frame(), key, 9)
    anchor_kind = ("TrustAnchor", lambda v: False)
    fresh = fleet.FleetAuthority(suite=edhoc.SUITE_2)
    fresh_gs = fresh.enrol(1)
    _handshake(fresh_gs, fresh.enrol(2))
    m1 = fleet.FleetAuthority(suite=edhoc.SUITE_2).enrol(3)
    [ack] = n1.receive(a.seal(gs, 0x10, "group_key", a.network))  # the current network key again: acked

    def fresh_link():
        link = S.SecureLink(9)
        link.install(key, 7)
        return link

    def net_link():
        link = S.SecureLink(9)
        link.install_network(S.LinkKey(130, bytes(16), "sm4", 8))
        return link

    def hs():
        return a.enrol(0x40 + len(a.enrolled)).handshakes

    def rejoin_request():
        return a.enrol(0x7B0 + len(a.enrolled)).rejoin_request(1, 0x10)

    return [
        ("check_key", S.check_key, {"key": key}, {"key": ("LinkKey", lambda v: False)}),
        ("nonce", S.nonce, {"src": 1, "net": 2, "key_id": 3, "counter": 4, "mic_len": 8},
         {"src": INT, "net": INT, "key_id": INT, "counter": INT, "mic_len": INT}),
        ("ReplayWindow", S.ReplayWindow, {"size": 64}, {"size": INT}),
        ("ReplayWindow.fresh", S.ReplayWindow().fresh, {"counter": 3}, {"counter": INT}),
        ("ReplayWindow.accept", S.ReplayWindow().accept, {"counter": 3}, {"counter": INT}),
        ("SecureLink", S.SecureLink, {"address": 7, "max_senders": 4}, {"address": INT, "max_senders": INT}),
        ("SecureLink.key_for", seven.key_for, {"address": 9}, {"address": INT}),
        ("SecureLink.install", lambda key, address: S.SecureLink(7).install(key, address),
         {"key": key, "address": 9}, {"key": ("LinkKey", lambda v: False), "address": INT}),
        ("SecureLink.remove", S.SecureLink(7).remove, {"address": 9}, {"address": INT}),
        ("SecureLink.protect", lambda frame, key, peer: seven.protect(frame, key, peer),
         {"frame": _frame(), "key": key, "peer": 9},
         {"frame": ("dict", lambda v: isinstance(v, dict)), "key": ("LinkKey or None", lambda v: v is None),
          "peer": ("int or None", lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)))}),
        ("SecureLink.unprotect", lambda data: fresh_link().unprotect(data), {"data": good_frame}, {"data": BYTES}),
        ("SecureLink.install_network", lambda key: S.SecureLink(7).install_network(key), {"key": S.LinkKey(
            130, bytes(16), "sm4", 8)}, {"key": ("LinkKey", lambda v: False)}),
        ("SecureLink.install_network(send)", lambda send: S.SecureLink(7).install_network(
            S.LinkKey(130, bytes(16), "sm4", 8), send=send), {"send": False}, {"send": FLAG}),
        ("SecureLink.send_network", lambda key_id: net_link().send_network(key_id), {"key_id": 130},
         {"key_id": INT}),
        ("SecureLink.remove_network", S.SecureLink(7).remove_network, {"key_id": 130}, {"key_id": INT}),
        ("SecureLink.forget_sender", S.SecureLink(7).forget_sender, {"src": 9}, {"src": INT}),
        # protocol.fleet.statements
        ("check_anchor", statements.check_anchor, {"anchor": a.anchor}, {"anchor": anchor_kind}),
        ("issue_certificate", statements.issue_certificate,
         {"key": a.signing_key, "net": 1, "address": 2, "serial": 3, "subject_key": n1.key},
         {"key": NONE, "net": INT, "address": INT, "serial": INT, "subject_key": NONE}),
        ("issue_charter", statements.issue_charter,
         {"key": a.signing_key, "net": 1, "charter": fleet.Charter(0xFE01, 1, 130, 1, frozenset({2}))},
         {"key": NONE, "net": INT, "charter": NONE}),
        ("issue_crl", statements.issue_crl, {"key": a.signing_key, "net": 1, "crl": crl},
         {"key": NONE, "net": INT, "crl": NONE}),
        ("open_certificate", statements.open_certificate, {"data": gs.cred.raw, "anchor": a.anchor},
         {"data": BYTES, "anchor": anchor_kind}),
        ("open_charter", statements.open_charter, {"data": charter_bytes, "anchor": a.anchor, "precheck": None},
         {"data": BYTES, "anchor": anchor_kind, "precheck": ("callable or None", lambda v: v is None)}),
        ("open_crl", statements.open_crl, {"data": crl_bytes, "anchor": a.anchor, "precheck": None},
         {"data": BYTES, "anchor": anchor_kind, "precheck": ("callable or None", lambda v: v is None)}),
        # protocol.fleet.keys
        ("pairwise_key_id", fleet.pairwise_key_id, {"a": 1, "b": 2}, {"a": INT, "b": INT}),
        ("KeyManager", lambda address, anchor, link: keys.KeyManager(address, anchor, link),
         {"address": 9, "anchor": a.anchor, "link": S.SecureLink(9)},
         {"address": INT, "anchor": anchor_kind, "link": ("SecureLink", lambda v: False)}),
        ("KeyManager.accept_statement", lambda data: a.enrol(0x80 + len(a.enrolled)).keys.accept_statement(data),
         {"data": crl_bytes}, {"data": BYTES}),
        ("KeyManager.is_revoked", n1.keys.is_revoked, {"address": 5}, {"address": INT}),
        ("KeyManager.bind_peer", lambda peer, cert, key: a.enrol(0x100 + len(a.enrolled)).keys.bind_peer(
            peer, cert, key), {"peer": 1, "cert": cert, "key": bytes(range(16))},
         {"peer": INT, "cert": NONE, "key": BYTES}),
        ("KeyManager.drop_peer", n1.keys.drop_peer, {"address": 0x99}, {"address": INT}),
        ("KeyManager.install_group_key", lambda source, body: n1.keys.install_group_key(source, body),
         {"source": 1, "body": {"group": 0xFE01, "epoch": 1, "key_id": 0, "wrapped_key": bytes(16)}},
         {"source": INT, "body": NONE}),
        ("KeyManager.check_sender", n1.keys.check_sender, {"src": 1, "dst": 0x10}, {"src": INT, "dst": INT}),
        ("KeyManager.set_delivery_key", lambda key: keys.KeyManager(9, a.anchor, S.SecureLink(9)).set_delivery_key(
            key), {"key": bytes(16)}, {"key": BYTES}),
        ("KeyManager.install_network_key", lambda body, now, overlap_s: a.enrol(
            0x600 + len(a.enrolled)).keys.install_network_key(body, now, overlap_s),
         {"body": {"group": 0xFFFF, "epoch": 9, "key_id": 140, "wrapped_key": bytes(16)}, "now": 1.0,
          "overlap_s": 0.5}, {"body": NONE, "now": REAL, "overlap_s": REAL}),
        ("KeyManager.install_network_key(switch_after_s)", lambda switch_after_s: a.enrol(
            0x680 + len(a.enrolled)).keys.install_network_key(
                {"group": 0xFFFF, "epoch": 9, "key_id": 141, "wrapped_key": bytes(16)}, 1.0, 0.5,
                switch_after_s=switch_after_s), {"switch_after_s": 3.0},
         {"switch_after_s": ("real or None", lambda v: v is None or REAL[1](v))}),
        ("KeyManager.expire_network", n1.keys.expire_network, {"now": 1.0}, {"now": REAL}),
        ("KeyManager.switch_network", n1.keys.switch_network, {"now": 1.0}, {"now": REAL}),
        ("KeyManager.network_heard", n1.keys.network_heard, {"key_id": 200, "now": 1.0},
         {"key_id": INT, "now": REAL}),
        # protocol.fleet.handshake
        ("check_limits", handshake.check_limits, {"limits": fleet.Limits()}, {"limits": NONE}),
        ("Handshakes", handshake.Handshakes,
         {"address": 5, "cred": n1.cred, "key": n1.key, "anchor": a.anchor, "is_revoked": lambda x: False,
          "limits": fleet.Limits(), "clock": lambda: 0.0},
         {"address": INT, "cred": NONE, "key": NONE, "anchor": anchor_kind, "is_revoked": NONE, "limits": NONE,
          "clock": NONE}),
        ("Handshakes.start", lambda peer: hs().start(peer), {"peer": 1}, {"peer": INT}),
        ("Handshakes.message_1", lambda peer, message: hs().message_1(peer, message),
         {"peer": 3, "message": m1.handshakes.start(0x50)}, {"peer": INT, "message": BYTES}),
        ("Handshakes.message_2", lambda peer, message: hs().message_2(peer, message),
         {"peer": 1, "message": b"\x40"}, {"peer": INT, "message": BYTES}),
        ("Handshakes.message_3", lambda peer, message: hs().message_3(peer, message),
         {"peer": 1, "message": b"\x40"}, {"peer": INT, "message": BYTES}),
        # protocol.fleet.node
        ("Node", lambda address, key, cred, authority, clock, limits: node.Node(
            address, key, cred, authority, clock=clock, limits=limits),
         {"address": 0x10, "key": n1.key, "cred": n1.cred, "authority": a, "clock": lambda: 0.0,
          "limits": fleet.Limits()},
         {"address": INT, "key": NONE, "cred": NONE, "authority": anchor_kind, "clock": NONE, "limits": NONE}),
        ("Node.send", lambda dst, ftype, body, key: n1.send(dst, ftype, body, key=key),
         {"dst": 1, "ftype": "data", "body": {"proto": "raw", "payload": b""}, "key": None},
         {"dst": INT, "ftype": ("str", lambda v: isinstance(v, str)), "body": ("dict", lambda v: isinstance(v, dict)),
          "key": ("LinkKey or None", lambda v: v is None)}),
        ("Node.send_statement", n1.send_statement, {"dst": 1, "statement": crl_bytes},
         {"dst": INT, "statement": BYTES}),
        ("Node.start_handshake", lambda peer: a.enrol(0x200 + len(a.enrolled)).start_handshake(peer),
         {"peer": 1}, {"peer": INT}),
        ("Node.accept_statement", lambda statement: a.enrol(0x300 + len(a.enrolled)).accept_statement(statement),
         {"statement": crl_bytes}, {"statement": BYTES}),
        ("Node.receive", lambda data: a.enrol(0x400 + len(a.enrolled)).receive(data),
         {"data": encode(_frame(src=0x20, dst=0x21))}, {"data": BYTES}),
        ("Node.accept", lambda data: a.enrol(0x700 + len(a.enrolled)).accept(data),
         {"data": encode(_frame(src=0x20, dst=0x21))}, {"data": BYTES}),
        ("Node.protect_broadcast", n1.protect_broadcast, {"frame": _frame(dst=0xFFFF)},
         {"frame": ("dict", lambda v: isinstance(v, dict))}),
        ("Node.forget_neighbour", n1.forget_neighbour, {"address": 5}, {"address": INT}),
        ("Node.install_network_key", lambda body: a.enrol(0x780 + len(a.enrolled)).install_network_key(body),
         {"body": {"group": 0xFFFF, "epoch": 9, "key_id": 142, "wrapped_key": bytes(16)}}, {"body": NONE}),
        # protocol.fleet.authority
        ("FleetAuthority", authority.FleetAuthority, {"suite": 2, "method": 3, "net": 5},
         {"suite": INT, "method": INT, "net": INT}),
        ("FleetAuthority.enrol", lambda address, clock, limits: a.enrol(address, clock=clock, limits=limits),
         {"address": 0x500, "clock": None, "limits": fleet.Limits()},
         {"address": INT, "clock": ("callable or None", lambda v: v is None), "limits": NONE}),
        ("FleetAuthority.group_frames", fresh.group_frames, {"station": fresh_gs, "group": 0xFE01, "members": [2]},
         {"station": NONE, "group": INT, "members": ("list or set", lambda v: isinstance(v, (list, tuple, set)))}),
        ("FleetAuthority.remove_member", a.remove_member, {"station": gs, "group": 0xFE02, "address": 0x10},
         {"station": NONE, "group": INT, "address": INT}),
        ("FleetAuthority.revoke", fresh.revoke, {"station": fresh_gs, "address": 2},
         {"station": NONE, "address": INT}),
        ("FleetAuthority.seal", a.seal, {"station": gs, "dst": 0x10, "ftype": "ack", "body": {"acked_seq": 1}},
         {"station": NONE, "dst": INT, "ftype": TEXT, "body": ("dict", lambda v: isinstance(v, dict))}),
        ("FleetAuthority.open_ack", a.open_ack, {"station": gs, "data": ack}, {"station": NONE, "data": BYTES}),
        ("FleetAuthority.rekey_network", a.rekey_network, {"station": gs}, {"station": NONE}),
        ("FleetAuthority.switch_network", a.switch_network, {"station": gs}, {"station": NONE}),
        ("FleetAuthority.rejoin", a.rejoin, {"station": gs, "data": rejoin_request()},
         {"station": NONE, "data": BYTES}),
        ("Node.rejoin_request",
         lambda station, parent: a.enrol(0x7C0 + len(a.enrolled)).rejoin_request(station, parent),
         {"station": 1, "parent": 0x10}, {"station": INT, "parent": INT}),
        ("FleetAuthority.resend", a.resend, {"station": gs, "data": a.seal(gs, 0x10, "ack", {"acked_seq": 1})},
         {"station": NONE, "data": BYTES}),
    ]


FLEET_SWEEP_EXCLUDED = {
    "SecurityError": "an error type: any message is a valid argument",
    "RekeyRequired": "an error type: any message is a valid argument",
    "ReplayError": "an error type: any message is a valid argument",
    "ForgeryError": "an error type: any message is a valid argument",
    "HandshakeError": "an error type: any message is a valid argument",
    "LinkKey": "a record (NamedTuple); check_key checks it wherever one is taken",
    "TrustAnchor": "a record; check_anchor checks it wherever one is taken",
    "Certificate": "a record made by open_certificate only",
    "Charter": "a record; issue_charter checks its fields",
    "RevocationList": "a record; issue_crl checks its fields",
    "Group": "a record of a node's group state, made by KeyManager only",
    "Limits": "a record; check_limits checks it wherever one is taken",
    "Established": "a record returned by Handshakes, never taken",
    "Rejoin": "a record returned by FleetAuthority.rejoin, never taken",
}


TOTAL = {"is_group": (S.is_group, False), "is_unicast": (S.is_unicast, False),
         "statement_kind": (lambda v: __import__("protocol.fleet.statements").fleet.statements.statement_kind(v),
                            None)}


@pytest.mark.parametrize("name", list(TOTAL))
def test_predicates_answer_every_hostile_value(name):
    """is_group, is_unicast and statement_kind are total: any value at all
    gets an answer (False / None for every hostile one), never an exception."""
    from hostile import HOSTILE

    func, nothing = TOTAL[name]
    for v in HOSTILE:
        got = func(v)
        if type(v) is int and name == "is_unicast":  # 0 is a unicast address, -1 and 2**80 are none
            assert got is (0 <= v < 0xFE00), v
        else:
            assert got is nothing, v


@pytest.mark.parametrize("entry", _sweep_entries(), ids=lambda e: e[0])
def test_hostile_values_raise_only_frame_errors(entry):
    """Every hostile value (tests/hostile.py) in every argument of every
    public function and method of protocol.security and protocol.fleet: a
    result or FrameError (SecurityError is one), never another exception;
    each argument refuses every value of a type it does not take."""
    from typed_inputs import check_entry

    tried, refused = check_entry(entry, FrameError)
    print(f"{entry[0]}: tried {tried}, refused {refused}")


def test_every_public_fleet_and_security_callable_is_swept():
    """A new public function, class or method fails here until it has a
    sweep entry (or a justified exclusion)."""
    from typed_inputs import public_api, swept_names

    from protocol.fleet import authority, handshake, keys, node, statements

    swept = swept_names(_sweep_entries()) | set(TOTAL)
    public = set()
    for module in (S, statements, keys, handshake, node, authority):
        public |= public_api(module, FLEET_SWEEP_EXCLUDED)
    assert public == swept, f"not swept {public - swept}, stale {swept - public}"


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_junk_anywhere_raises_only_frame_errors(data):
    """Hypothesis: nested junk (tests/typed_inputs.junk) in one argument of
    one public fleet/security call: a result or FrameError, nothing else."""
    from typed_inputs import junk_call

    junk_call(data, SWEEP, FrameError)


SWEEP = _sweep_entries()


@pytest.mark.parametrize("field", ["group", "epoch", "key_id", "wrapped_key"])
def test_group_key_body_fields_take_hostile_values(field):
    """A group_key body arrives decoded, but install_group_key is public: any
    hostile value in any field is refused with SecurityError."""
    from hostile import HOSTILE, assert_typed

    a = fleet.FleetAuthority(suite=edhoc.SUITE_2)
    gs, n1 = a.enrol(1), a.enrol(0x10)
    _handshake(gs, n1)
    body = {"group": 0xFE01, "epoch": 1, "key_id": 128, "wrapped_key": bytes(16)}
    refused = sum(assert_typed(lambda v=v: n1.keys.install_group_key(1, {**body, field: v}), S.SecurityError)
                  for v in HOSTILE)
    assert refused == len(HOSTILE)  # no charter for 0xFE01 at n1: even well-typed values are refused
