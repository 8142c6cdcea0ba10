"""Red-team attacks on the hardened fleet (issue 10, docs/threat_model.md),
each through what an attacker really has: frames as bytes on the air, an
enrolled node's own key and certificate (insider), a revoked node, a
compromised member, or nothing at all (outsider). Each test asserts that the
defence holds; the ones that first failed are listed in the threat model
with the fix.

The attacker's EDHOC (:class:`Eve`) is written here from the primitives
(RFC 9528 §5: HKDF of ``crypto.kdf``, ``edhoc.ecdh``, ``edhoc.sign``, CCM of
``crypto.modes``), not with the responder and initiator under attack; a
control test shows it completes a genuine handshake when it holds a genuine
key, so every refusal below is the defence's doing.

"Refused" means: a :class:`protocol.errors.FrameError` subclass was raised
and the node's state (:func:`snapshot`: keys, counters, replay windows,
sessions, ephemeral-key cache, trust state, delivered frames) is exactly what
it was. Run with ``-s`` for the tally and the measured figures.
"""

import collections
import gc
import random
import sys
import time
import tracemalloc
import types

import cbor2
import pytest
import test_link_security
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst
from test_fleet_attacks import (  # the fleet plumbing and the tally table (printed with -s) of the attack suite
    COMBOS,
    G1,
    G2,
    GS,
    N1,
    N2,
    N3,
    Clock,
    _print_tally,  # noqa: F401 - an autouse fixture: prints this module's tally too
    data,
    delivered,
    handshake,
    make_fleet,
    refix_fcs,
    run,
    tally,
)

from crypto import edhoc, kdf, modes
from crypto.aead import CCMStar
from crypto.errors import AuthenticationError
from mesh_phy.coding.crc import crc32
from protocol import FrameError, decode, encode, fleet
from protocol import security as S
from protocol.fleet import statements as ST

FAST = [pytest.param(edhoc.SUITE_2, m, id=f"suite2-method{m}") for m in edhoc.METHODS]
R, M = 0x0013, 0x0066
NET = 0x4D53
OTHER_SUITE = {edhoc.SUITE_2: edhoc.SUITE_SM, edhoc.SUITE_SM: edhoc.SUITE_2}
OTHER_METHOD = {edhoc.METHOD_SIG_SIG: edhoc.METHOD_STAT_STAT, edhoc.METHOD_STAT_STAT: edhoc.METHOD_SIG_SIG}
FIGURES: dict = {}  # measured figures, printed at the end of the module (the tally: test_fleet_attacks' table)


@pytest.fixture(scope="module", autouse=True)
def _print_figures():
    yield
    for k, v in FIGURES.items():
        print(f"{k}: {v}")


def hs(src: int, dst: int, no: int, session: int, message: bytes, net: int = NET) -> bytes:
    """An unsecured handshake frame, as anyone on the air can send it."""
    return encode({"type": "handshake", "version": 0, "seq": 0, "net": net, "dst": dst, "src": src,
                   "ack_req": False, "mesh": None, "options": None, "security": None,
                   "body": {"session": session, "message_no": no, "message": message}})


def refix(frame) -> bytes:
    return refix_fcs(bytes(frame))


def body(frame: bytes) -> dict:
    return decode(frame)["body"]


def snapshot(node) -> dict:
    """Everything of a node that decides what it accepts or sends later."""
    link, keys, hsk = node.link, node.keys, node.handshakes
    return {
        "pairwise": dict(link.pairwise), "group": dict(link.group), "tx": dict(link.tx_counter),
        "windows": {k: (w.highest, w.bitmap) for k, w in link.windows.items()}, "senders": dict(link._senders),
        "aead": set(link._aead), "peers": dict(keys.peers), "groups": dict(keys.groups),
        "revoked": keys.revoked, "crl": keys.crl_serial,
        "sessions": {k: (id(s.party), s.party._state, s.started) for k, s in hsk._sessions.items()},
        "seen_g_x": set(hsk.seen_g_x._keys), "delivered": len(node.delivered), "seq": node.seq,
    }


def tamper(frame: bytes, pos: int, mask: int = 0x01) -> bytes:
    """``frame`` with byte ``pos`` (negative: from the end of the frame,
    FCS excluded) XORed with ``mask``, FCS recomputed."""
    f = bytearray(frame)
    f[pos if pos >= 0 else len(f) - 4 + pos] ^= mask
    return refix(f)


def refused_or_ignored(node, frame: bytes) -> bool:
    """True if ``node`` refuses ``frame`` (FrameError) or ignores it (no
    longer for this node), its state unchanged either way."""
    before = snapshot(node)
    try:
        node.receive(frame)
    except FrameError:
        pass
    return snapshot(node) == before


def refuses(node, frame: bytes, *, authenticated: bool = False) -> bool:
    """True if ``node`` refuses ``frame`` with a FrameError and changes
    nothing; False if it accepts it. Any other exception fails the test.
    ``authenticated``: the frame's MIC verifies (an insider's frame refused
    for what it carries), so its sender's replay window may have moved —
    that window only."""
    before = snapshot(node)
    try:
        node.receive(frame)
    except FrameError:
        after = snapshot(node)
        if authenticated:
            moved = {k for k in before["windows"].keys() | after["windows"].keys()
                     if before["windows"].get(k) != after["windows"].get(k)}
            assert len(moved) <= 1
            for k in ("windows", "senders"):
                del before[k], after[k]
        assert after == before, {k: (before[k], after[k]) for k in before if before[k] != after[k]}
        return True
    return False


# ----------------------------------------------------------- the attacker's EDHOC

def seq(*items) -> bytes:
    return b"".join(cbor2.dumps(i) for i in items)


def xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


CYCLIC = bytes.fromhex("d81c81d81d00")  # CBOR: shareable([sharedref(0)]) — a list that holds itself
NASTY_CBOR = [CYCLIC, bytes.fromhex("d81ca1d81d00d81d00"),  # a map that holds itself
              b"\x81" * 300 + b"\x00",  # deep nesting
              bytes.fromhex("c24f") + b"\xff" * 15,  # a bignum
              bytes.fromhex("d823") + cbor2.dumps("(a+)+$"),  # a regular expression (tag 35)
              bytes.fromhex("c11bffffffffffffffff"),  # an epoch date out of range
              bytes.fromhex("d9010281d81c80"),  # a set holding a shared list
              bytes.fromhex("5b7fffffffffffffff"),  # a byte string of 2^63 bytes (truncated)
              bytes.fromhex("f7"), bytes.fromhex("f93c00")]  # undefined, a half float


class Eve:
    """The attacker's own EDHOC computations (RFC 9528 §4.1, §5.3, §5.4) from
    the primitives: she can build any message an initiator or responder with
    her ephemeral keys could, and put any bytes in PLAINTEXT_2/3."""

    def __init__(self, suite: int, method: int):
        self.suite, self.method = edhoc.SUITES[suite], method
        self.suite_id = suite

    def H(self, b: bytes) -> bytes:
        return kdf.digest(self.suite.hash_name, b)

    def extract(self, salt: bytes, ikm: bytes) -> bytes:
        return kdf.hmac(self.suite.hash_name, salt, ikm)

    def expand(self, prk: bytes, label: int, ctx: bytes, n: int) -> bytes:
        return kdf.hkdf_expand(self.suite.hash_name, prk, seq(label, ctx, n), n)

    @property
    def mac_len(self) -> int:
        return self.suite.hash_len if self.method == edhoc.METHOD_SIG_SIG else self.suite.mac_len

    @staticmethod
    def sig_structure(id_cred, th: bytes, cred: bytes, mac: bytes) -> bytes:
        return cbor2.dumps(["Signature1", cbor2.dumps(id_cred), cbor2.dumps(th) + cred, mac])

    # ---- as responder: answer a node's message_1
    def message_2(self, m1: bytes, pt2_of) -> bytes:
        """message_2 to ``m1`` with PLAINTEXT_2 = ``pt2_of(th2, prk_2e, y)``."""
        g_x = edhoc.read_sequence(m1)[2]
        y = edhoc.generate_keypair(self.suite.curve)
        th2 = self.H(seq(y.x_bytes(), self.H(m1)))
        prk_2e = self.extract(th2, edhoc.ecdh(y, g_x))
        pt2 = pt2_of(th2, prk_2e, y, g_x)
        return cbor2.dumps(y.x_bytes() + xor(pt2, self.expand(prk_2e, 0, th2, len(pt2))))

    def genuine_pt2(self, cred: edhoc.Credential, key: edhoc.KeyPair):
        """PLAINTEXT_2 of a genuine responder holding ``cred`` and ``key``."""
        def pt2_of(th2, prk_2e, y, g_x):
            prk = self._prk_3e2m(prk_2e, th2, lambda: edhoc.ecdh(key, g_x))
            ctx = seq(-8, cred.id_cred, th2) + cred.raw
            mac = self.expand(prk, 2, ctx, self.mac_len)
            sig = edhoc.sign(key, self.sig_structure(cred.id_cred, th2, cred.raw, mac)) \
                if self.method == edhoc.METHOD_SIG_SIG else mac
            return seq(-8, cred.id_cred, sig)
        return pt2_of

    def _prk_3e2m(self, prk_2e, th2, static_dh):
        if self.method == edhoc.METHOD_SIG_SIG:
            return prk_2e
        return self.extract(self.expand(prk_2e, 1, th2, self.suite.hash_len), static_dh())

    # ---- as initiator: open a session at a node, then send it a message_3
    def message_1(self) -> bytes:
        self.x = edhoc.generate_keypair(self.suite.curve)
        self.m1 = seq(self.method, self.suite_id, self.x.x_bytes(), -24)
        return self.m1

    def read_message_2(self, m2: bytes):
        """Decrypt the node's message_2: (th3, prk_3e2m, g_y, responder credential raw bytes)."""
        blob = edhoc.read_sequence(m2)[0]
        g_y, ct2 = blob[:32], blob[32:]
        th2 = self.H(seq(g_y, self.H(self.m1)))
        prk_2e = self.extract(th2, edhoc.ecdh(self.x, g_y))
        pt2 = xor(ct2, self.expand(prk_2e, 0, th2, len(ct2)))
        id_cred = edhoc.read_sequence(pt2)[1]
        cred_raw = cbor2.dumps(id_cred[edhoc.ID_CRED_KCWT])
        g_r = edhoc.parse_cose_key(cbor2.loads(cbor2.loads(cred_raw)[2])[8][1])[2]
        prk = self._prk_3e2m(prk_2e, th2, lambda: edhoc.ecdh(self.x, g_r.to_bytes(32, "big")))
        th3 = self.H(cbor2.dumps(th2) + pt2 + cred_raw)
        return th3, prk, g_y

    def message_3(self, session, pt3: bytes) -> bytes:
        th3, prk, _ = session
        k3 = self.expand(prk, 3, th3, self.suite.key_len)
        iv3 = self.expand(prk, 4, th3, self.suite.iv_len)
        ct, tag = modes.ccm_encrypt(self.suite.cipher(k3), iv3, pt3, cbor2.dumps(["Encrypt0", b"", th3]),
                                    self.suite.tag_len)
        return cbor2.dumps(ct + tag)

    def genuine_pt3(self, session, cred: edhoc.Credential, key: edhoc.KeyPair) -> bytes:
        th3, prk, g_y = session
        if self.method == edhoc.METHOD_STAT_STAT:
            prk = self.extract(self.expand(prk, 5, th3, self.suite.hash_len), edhoc.ecdh(key, g_y))
        mac = self.expand(prk, 6, seq(cred.id_cred, th3) + cred.raw, self.mac_len)
        sig = edhoc.sign(key, self.sig_structure(cred.id_cred, th3, cred.raw, mac)) \
            if self.method == edhoc.METHOD_SIG_SIG else mac
        return seq(cred.id_cred, sig)


def pt_with(fields_cbor: list[bytes]) -> bytes:
    return b"".join(fields_cbor)


@pytest.mark.parametrize("suite,method", COMBOS)
def test_control_eve_completes_a_genuine_handshake_with_a_genuine_key(suite, method):
    """Control: with Mallory's own key and certificate, Eve's messages are
    accepted as Mallory's in both roles — so the refusals in the other tests
    come from the defences, not from a broken attacker."""
    a, (n1, mallory) = make_fleet(suite, method, N1, M)
    eve = Eve(suite, method)
    m1 = body(n1.start_handshake(M))["message"]
    (m3,) = n1.receive(hs(M, N1, 2, N1, eve.message_2(m1, eve.genuine_pt2(mallory.cred, mallory.key))))
    assert M in n1.link.pairwise and decode(m3)["body"]["message_no"] == 3
    a2, (n2, mallory2) = make_fleet(suite, method, N2, M)
    eve2 = Eve(suite, method)
    (m2,) = n2.receive(hs(M, N2, 1, M, eve2.message_1()))
    session = eve2.read_message_2(body(m2)["message"])
    n2.receive(hs(M, N2, 3, M, eve2.message_3(session, eve2.genuine_pt3(session, mallory2.cred, mallory2.key))))
    assert M in n2.link.pairwise


# ------------------------------------------------------------- identity binding

@pytest.mark.parametrize("suite,method", COMBOS)
def test_reflection_never_keys_a_node_with_itself(suite, method):
    """Every frame a node sends, mirrored back to it — as its own source, or
    as coming from the peer under every (message_no, session) — never gives
    it a key (not with itself, not with the peer); the genuine handshake
    still completes afterwards and leaves no session behind."""
    a, (n1, n2) = make_fleet(suite, method, N1, N2)
    with pytest.raises(S.SecurityError):
        n1.start_handshake(N1)
    m1 = n1.start_handshake(N2)
    own = [m1]
    tried = refused = 0
    while own:
        f = own.pop(0)
        assert n1.receive(f) == []  # heard back under its own source: ignored
        msg = body(f)["message"]
        for no in (1, 2, 3):
            for session in (N1, N2):
                tried += 1
                pw = dict(n1.link.pairwise)
                try:
                    replies = n1.receive(hs(N2, N1, no, session, msg))
                except FrameError:
                    refused += 1
                    replies = []
                assert n1.link.pairwise == pw and N1 not in n1.link.pairwise
                own += replies  # a reflected message_1 is answered (it is a valid message_1): reflect that too
    assert N2 not in n1.link.pairwise
    run([n1, n2], n2.receive(m1))
    assert n1.link.pairwise[N2].key == n2.link.pairwise[N1].key
    assert len(n1.sessions) == len(n2.sessions) == 0
    tally("reflection of a node's own handshake frames", tried, tried)  # none gave a key
    FIGURES.setdefault("reflection: rewrites answered with a message_2 (no key)", 0)
    FIGURES["reflection: rewrites answered with a message_2 (no key)"] += tried - refused


@pytest.mark.parametrize("suite,method", COMBOS)
def test_unknown_key_share_by_relaying_under_another_identity(suite, method):
    """Insider Mallory relays A's handshake with B under her own address
    (and the reverse: A talks to Mallory, she relays to B as A). No node
    ever holds a key it binds to the wrong identity, and Mallory holds none
    of the keys made."""
    a, (na, nb, mallory) = make_fleet(suite, method, N1, N2, M)
    # 1. A -> B, relayed to B as if Mallory started it
    m1 = na.start_handshake(N2)
    (m2,) = nb.receive(hs(M, N2, 1, M, body(m1)["message"]))
    (m3,) = na.receive(hs(N2, N1, 2, N1, body(m2)["message"]))  # A: a valid message_2 from B
    assert refuses(nb, hs(M, N2, 3, M, body(m3)["message"]))  # B: "Mallory" proved to be A: refused
    assert M not in nb.link.pairwise and N1 not in nb.link.pairwise and not mallory.link.pairwise
    # A's one-sided key (B never completed) is known to no one else
    assert na.link.pairwise[N2].key not in {k.key for n in (nb, mallory) for k in n.link.pairwise.values()}
    assert refuses(nb, na.send(N2, "data", data(b"under a key B never made")))
    # 2. A -> Mallory (A's choice), Mallory relays A's message_1 to B as A
    a2, (na2, nb2, mallory2) = make_fleet(suite, method, N1, N2, M)
    m1 = na2.start_handshake(M)
    (m2,) = nb2.receive(hs(N1, N2, 1, N1, body(m1)["message"]))
    assert refuses(na2, hs(M, N1, 2, N1, body(m2)["message"]))  # B's certificate is not Mallory's
    assert not na2.link.pairwise and not nb2.link.pairwise
    tally("unknown key share by relaying (insider)", 2, 2)


@pytest.mark.parametrize("suite,method", COMBOS)
def test_session_and_peer_confusion(suite, method):
    """A runs handshakes with B and C at once; each message_2 delivered under
    the other's address (and under every session value) is refused without
    ending either session; both then complete with the right peers."""
    a, (na, nb, nc) = make_fleet(suite, method, N1, N2, N3)
    m2b = body(nb.receive(na.start_handshake(N2))[0])["message"]
    m2c = body(nc.receive(na.start_handshake(N3))[0])["message"]
    tried = 0
    for src, msg in ((N3, m2b), (N2, m2c)):
        for session in (N1, N2, N3):
            assert refuses(na, hs(src, N1, 2, session, msg))
            tried += 1
    run([na, nb], [hs(N2, N1, 2, N1, m2b)])
    run([na, nc], [hs(N3, N1, 2, N1, m2c)])
    assert na.link.pairwise[N2].key == nb.link.pairwise[N1].key != na.link.pairwise[N3].key
    assert na.link.pairwise[N3].key == nc.link.pairwise[N1].key
    tally("message_2 under another peer's address or session", tried, tried)


@pytest.mark.parametrize("suite,method", COMBOS)
def test_role_confusion_during_concurrent_handshakes(suite, method):
    """Both ends start at once; before each genuine frame is delivered, the
    attacker delivers it rewritten under every other (message_no, session)
    and mirrored to its sender. Only typed refusals; both end with one key
    and no session left."""
    a, (n1, n2) = make_fleet(suite, method, N1, N2)
    nodes = {N1: n1, N2: n2}
    flight = [n1.start_handshake(N2), n2.start_handshake(N1)]
    tried = refused = 0
    while flight:
        f = flight.pop(0)
        d = decode(f)
        for no in (1, 2, 3):
            for session in (N1, N2):
                for src, dst in ((d["src"], d["dst"]), (d["dst"], d["src"])):
                    if (no, session, src) == (d["body"]["message_no"], d["body"]["session"], d["src"]):
                        continue
                    tried += 1
                    pw = {k: dict(n.link.pairwise) for k, n in nodes.items()}
                    try:
                        flight += nodes[dst].receive(hs(src, dst, no, session, d["body"]["message"]))
                    except FrameError:
                        refused += 1
                    assert {k: dict(n.link.pairwise) for k, n in nodes.items()} == pw
        try:
            flight += nodes[d["dst"]].receive(f)
        except FrameError:
            pass  # the session the precedence rule cancelled
    assert n1.link.pairwise[N2].key == n2.link.pairwise[N1].key
    assert len(n1.sessions) == len(n2.sessions) == 0
    tally("role/session rewrites during concurrent handshakes", tried, tried)


@pytest.mark.parametrize("suite,method", COMBOS)
def test_handshake_messages_replayed_into_a_later_session(suite, method):
    """A completed handshake's message_1, _2 and _3, replayed while the next
    handshake of the same pair is in progress and after it completed: all
    refused (the transcript binds each message to its own message_1); the
    new handshake completes with a new key."""
    a, (n1, n2) = make_fleet(suite, method, N1, N2)
    m1 = n1.start_handshake(N2)
    (m2,) = n2.receive(m1)
    (m3,) = n1.receive(m2)
    n2.receive(m3)
    old = n1.link.pairwise[N2].key
    m1b = n1.start_handshake(N2)
    (m2b,) = n2.receive(m1b)
    replays = [(n2, m1), (n1, m2), (n2, m3)]
    for node, f in replays:
        assert refuses(node, f)
    (m3b,) = n1.receive(m2b)
    n2.receive(m3b)
    assert n1.link.pairwise[N2].key == n2.link.pairwise[N1].key != old
    replays += [(n2, m1b), (n1, m2b), (n2, m3b)]
    for node, f in replays[3:]:
        assert refuses(node, f)
    tally("handshake messages replayed into a later session", len(replays), len(replays))


# ------------------------------------------------------------------ downgrade

@pytest.mark.parametrize("suite,method", COMBOS)
def test_no_downgrade_of_suite_or_method(suite, method):
    """message_1 with the other method, or selecting the other suite, opens
    nothing; a spoofed 'wrong suite' error does not end the initiator's
    session; the key that comes out is the fleet suite's."""
    a, (n1, n2) = make_fleet(suite, method, N1, N2)
    other_curve = edhoc.SUITES[OTHER_SUITE[suite]].curve
    g_x = edhoc.generate_keypair(edhoc.SUITES[suite].curve).x_bytes()
    g_x_other = edhoc.generate_keypair(other_curve).x_bytes()
    assert refuses(n2, hs(M, N2, 1, M, seq(OTHER_METHOD[method], suite, g_x, -24)))
    tried = 1
    for suites, gx in ((OTHER_SUITE[suite], g_x_other), ([suite, OTHER_SUITE[suite]], g_x_other)):
        before = snapshot(n2)
        (err,) = n2.receive(hs(M, N2, 1, M, seq(method, suites, gx, -24)))
        assert edhoc.read_sequence(body(err)["message"])[0] == edhoc.ERR_WRONG_SUITE
        after = snapshot(n2)
        assert {k: v for k, v in after.items() if k != "seq"} == {k: v for k, v in before.items() if k != "seq"}
        tried += 1
    m1 = n1.start_handshake(N2)
    assert edhoc.read_sequence(body(m1)["message"])[1] == suite  # the initiator offers the fleet suite only
    for err in (seq(edhoc.ERR_WRONG_SUITE, OTHER_SUITE[suite]), seq(edhoc.ERR_UNSPECIFIED, "downgrade")):
        assert refuses(n1, hs(N2, N1, 2, N1, err))
        tried += 1
    run([n1, n2], [m1])
    assert n1.link.pairwise[N2].cipher == fleet.SUITE_CIPHER[suite] == n2.link.pairwise[N1].cipher
    tally("suite/method downgrade", tried, tried)


# ------------------------------------------------------------------ statements

@pytest.mark.parametrize("suite,method", FAST + [COMBOS[3]])
def test_statement_replays_across_kinds_networks_and_authorities(suite, method):
    """Old charters and revocation lists, lists signed by the controller's own
    node key (not the authority), statements of another network or another
    authority of the same network, a certificate offered as a statement, a
    list whose protected header names another kind, a genuine-signed list
    that drops an address: all refused, nothing changes."""
    a, (gs, n1, n2, n3, r) = make_fleet(suite, method, GS, N1, N2, N3, R)
    for n in (n1, n2, n3, r):
        handshake(gs, n)
    run([gs, n1, n2, n3], a.group_frames(gs, G1, [N1, N2, N3]))
    charter_1 = gs_statements(a, G1)  # epoch 1
    run([gs, n1, n2], a.remove_member(gs, G1, N3))  # epoch 2
    first = a.revoke(gs, R)
    crl_1 = a.crl  # serial 1
    second = a.revoke(gs, N3)  # serial 2
    run([gs, n1], [f for f in first + second if decode(f)["dst"] == N1])
    assert n1.crl_serial == 2
    other_net = fleet.FleetAuthority(suite=suite, method=method, net=0x1234)
    same_net = fleet.FleetAuthority(suite=suite, method=method, net=NET)
    bad = {
        "older list": crl_1,
        "older charter": charter_1,
        "list signed by the controller's node key": ST.issue_crl(gs.key, NET, ST.RevocationList(9, frozenset({N2}))),
        "charter signed by the controller's node key": ST.issue_charter(
            gs.key, NET, ST.Charter(G2, 1, 200, M, frozenset({N1}))),
        "list of another network": ST.issue_crl(other_net.signing_key, 0x1234, ST.RevocationList(9, frozenset({N2}))),
        "list of another authority, same network": ST.issue_crl(same_net.signing_key, NET,
                                                              ST.RevocationList(9, frozenset({N2}))),
        "charter of another authority, same network": ST.issue_charter(
            same_net.signing_key, NET, ST.Charter(G2, 1, 200, M, frozenset({N1}))),
        "authority's key, claims of another network": ST.issue_crl(a.signing_key, 0x1234,
                                                                  ST.RevocationList(9, frozenset({N2}))),
        "a certificate as a statement": n2.cred.raw,
        "genuine list that drops a revoked address": ST.issue_crl(a.signing_key, NET,
                                                                 ST.RevocationList(3, frozenset({N3}))),
        "list with its kind relabelled": relabel(ST.issue_crl(a.signing_key, NET,
                                                              ST.RevocationList(3, frozenset({R, N3, N2}))),
                                                 ST.GROUP),
    }
    for name, stmt in bad.items():
        assert refuses(n1, hs(GS, N1, fleet.MSG_STATEMENT, 0, stmt)), name
        assert refuses(n1, gs.send_statement(N1, stmt), authenticated=True), name
    with pytest.raises(S.SecurityError):  # handed over directly: same checks
        n1.accept_statement(bad["older list"])
    assert n1.crl_serial == 2 and N2 not in n1.revoked
    stranger = other_net.enrol(M)  # a node of another network (its own authority) asks for a link
    with pytest.raises(S.SecurityError):
        run([n1, stranger], [stranger.start_handshake(N1)])
    assert M not in n1.link.pairwise
    tally("statement replayed or forged (kind, network, authority, signer, age)", 2 * len(bad), 2 * len(bad))
    tally("handshake from a node of another network", 1, 1)


def gs_statements(a, group) -> bytes:
    """The signed charter of ``group``'s current epoch, as the authority issued it."""
    return ST.issue_charter(a.signing_key, a.net, a.groups[group].charter)


def relabel(statement: bytes, kind: str) -> bytes:
    """``statement`` with its protected header's typ changed (signature kept)."""
    protected, unprotected, payload, sig = cbor2.loads(statement)
    header = cbor2.loads(protected)
    header[ST.HDR_TYP] = kind
    return cbor2.dumps([cbor2.dumps(header), unprotected, payload, sig])


# ------------------------------------------------------------------ revocation

def protect_as(holder, dst: int, src: int, payload: bytes, counter: int | None = None) -> bytes:
    """A data frame under the key ``holder`` (a node or a SecureLink) has for
    ``dst``, claiming source ``src`` (what a holder of that key can always
    make), at frame counter ``counter`` if given."""
    link = getattr(holder, "link", holder)
    if counter is not None:
        link.tx_counter[dst] = counter
    return link.protect({"type": "data", "version": 0, "seq": 0, "net": NET, "dst": dst,
                              "src": src, "ack_req": False, "mesh": None, "options": None, "security": None,
                              "body": data(payload)})


@pytest.mark.parametrize("suite,method", COMBOS)
def test_revocation_bypass_attempts(suite, method):
    """(1) N1 missed the group key of the epoch that names R; Eve recorded it
    and replays it after the revocation list: refused (it would reopen the
    group at N1 to R, who holds that key). (2) R handshakes with N2 before
    N2 has the list: it works (residual: revocation is as fast as its
    frames), and the list then drops R's key at once. (3) Handshakes with R
    in progress when the list arrives, in either role, never complete."""
    a, (gs, n1, n2, n3, r) = make_fleet(suite, method, GS, N1, N2, N3, R)
    for n in (n1, n2, r):
        handshake(gs, n)
    frames = a.group_frames(gs, G1, [N1, N2, R])
    to_n1 = [f for f in frames if decode(f)["dst"] == N1]
    run([gs, n2, r], [f for f in frames if decode(f)["dst"] != N1])
    run([n1], to_n1[:1])  # the charter arrives; the group key frame is lost (and recorded by Eve)
    # handshakes with R in progress at N3, both roles, before the list
    (m2_from_n3,) = n3.receive(r.start_handshake(N3))  # N3 responder
    m1_from_n3 = n3.start_handshake(R)  # N3 initiator
    (m2_to_n3,) = r.receive(m1_from_n3)
    revocation = a.revoke(gs, R)
    for node in (n1, n3):
        run([node], [f for f in revocation if decode(f)["dst"] == node.address][:1])  # the list only
    refused = 0
    assert refuses(n1, to_n1[1], authenticated=True)  # (1) the recorded key of R's epoch (the controller's frame)
    refused += 1
    assert G1 not in n1.link.group
    spoof = protect_as(r, G1, N2, b"R as N2")
    assert refuses(n1, spoof) and not delivered(n1, b"R as N2")
    refused += 1
    (m3_to_n3,) = r.receive(m2_from_n3)  # (3) R completes its side; N3 refuses both
    assert refuses(n3, m3_to_n3) and refuses(n3, m2_to_n3) and R not in n3.link.pairwise
    refused += 2
    run([n1], [f for f in revocation if decode(f)["dst"] == N1][1:])  # the new epoch
    assert G1 in n1.link.group and refuses(n1, spoof)
    refused += 1
    handshake(r, n2)  # (2) N2 has not heard of the revocation yet
    n2.receive(r.send(N2, "data", data(b"before the list")))
    run([n2], [f for f in revocation if decode(f)["dst"] == N2])
    assert R not in n2.link.pairwise and R in n2.revoked
    for f in (r.send(N2, "data", data(b"after the list")), r.start_handshake(N2)):
        assert refuses(n2, f)
        refused += 1
    assert not delivered(n2, b"after the list")
    tally("revocation bypass (late group key, handshakes around the list)", refused, refused)
    FIGURES.setdefault("revoked node's frames delivered before the list reached the receiver (residual)", 0)
    FIGURES["revoked node's frames delivered before the list reached the receiver (residual)"] += 1


# ------------------------------------------------------------------ group keys

def group_fleet(suite=edhoc.SUITE_2, method=edhoc.METHOD_STAT_STAT, members=(N1, N2, N3)):
    a, nodes = make_fleet(suite, method, GS, *members)
    gs, rest = nodes[0], nodes[1:]
    for n in rest:
        handshake(gs, n)
    run(nodes, a.group_frames(gs, G1, list(members)))
    return a, nodes


def test_group_keys_only_for_multicast_addresses():
    """Broadcast, unicast, the node's own address: no charter can name them,
    the controller itself cannot key them, no SecureLink takes a group key
    for broadcast, and a group frame readdressed to broadcast is refused."""
    a, (gs, n1, n2, n3) = group_fleet()
    tried = 0
    for group in (0xFFFF, 0x0000, N1, N2, GS, 0xFDFF, 0xFF00):
        with pytest.raises(S.SecurityError):
            a.group_frames(gs, group, [N1, N2])
        with pytest.raises(S.SecurityError):
            ST.issue_charter(a.signing_key, NET, ST.Charter(group, 1, 200, GS, frozenset({N1})))
        assert refuses(n1, gs.send(N1, "group_key", {"group": group, "epoch": 1, "key_id": 200,
                                                      "wrapped_key": bytes(16)}), authenticated=True)
        tried += 3
    for address in (0xFFFF, N1):
        with pytest.raises(S.SecurityError):
            n1.link.install(S.LinkKey(200, bytes(16), "aes"), address)
        tried += 1
    moved = bytearray(n2.send(G1, "data", data(b"to everyone?")))
    moved[5:7] = (0xFFFF).to_bytes(2, "little")
    assert refuses(n1, refix(moved)) and not delivered(n1, b"to everyone?")
    tally("group key or group frame for a non-multicast address", tried + 1, tried + 1)


def test_key_id_collisions_between_pairwise_and_group_keys():
    """Pairwise ids are 1..127 and group ids 128..255, but a key is found by
    address, never by id: a frame under the group key sent to a node, under
    a pairwise key sent to a group, each with either key id, is refused; and
    two keys with one id at one SecureLink stay apart."""
    assert {fleet.pairwise_key_id(x, y) for x in range(0, 0xFE00, 331) for y in range(1, 0xFE00, 317)} \
        <= set(range(1, 128))
    a, (gs, n1, n2, n3) = group_fleet()
    handshake(n1, n2)
    pk, gk = n2.link.pairwise[N1], n2.link.group[G1]
    assert 128 <= gk.key_id <= 255
    tried = 0
    for key, dst in ((gk, N1), (pk, G1)):
        for kid in (pk.key_id, gk.key_id):
            eve = S.SecureLink(N2)
            eve.install(key._replace(key_id=kid), dst)
            assert refuses(n1, protect_as(eve, dst, N2, b"cross"))
            tried += 1
    x, y = S.SecureLink(7), S.SecureLink(9)
    same_id = [S.LinkKey(200, bytes([1]) * 16), S.LinkKey(200, bytes([2]) * 16)]
    x.install(same_id[0], 9)
    x.install(same_id[1], G1)
    y.install(same_id[0], 7)
    y.install(same_id[1], G1)
    for dst, wrong in ((9, G1), (G1, 9)):
        f = protect_as(x, dst, 7, b"one id, two keys")
        assert y.unprotect(f)["body"]["payload"] == b"one id, two keys"
        d = decode(f)
        moved = refix(encode({**d, "dst": wrong}))
        with pytest.raises(S.SecurityError):
            y.unprotect(moved)
        tried += 1
    assert not delivered(n1, b"cross")
    tally("key-id collision between pairwise and group keys", tried, tried)


@pytest.mark.parametrize("suite,method", [COMBOS[1], COMBOS[3]])
def test_member_spoofing_another_member_is_only_that(suite, method):
    """Documented residual: a member (N3, compromised) can send group frames
    under another member's address. Checked that it is no more: no
    non-member or non-unicast source, no other group, no pairwise frame, no
    group key or EDHOC message through the group, nothing after the
    controller's next epoch; its one extra power — advancing the victim's
    replay window to 2^32-1 — costs the receiver bounded memory, leaves the
    victim's pairwise traffic alone and ends with the next epoch."""
    a, (gs, n1, n2, n3) = group_fleet(suite, method)
    handshake(n1, n2)
    n1.receive(protect_as(n3, G1, N2, b"N3 as N2"))
    assert delivered(n1, b"N3 as N2")  # the residual itself
    refused = 0
    for src in (M, 0xFFFF, G1, G2, 0x0000):
        assert refuses(n1, protect_as(n3, G1, src, b"non-member"))
        refused += 1
    as_pairwise = decode(protect_as(n3, G1, N2, b"as pairwise"))
    assert refuses(n1, refix(encode({**as_pairwise, "dst": N1})))
    refused += 1
    for ftype, b in (("group_key", {"group": G1, "epoch": 9, "key_id": 250, "wrapped_key": bytes(16)}),
                     ("handshake", {"session": N2, "message_no": 2, "message": b"\x40"}),
                     ("handshake", {"session": 0, "message_no": fleet.MSG_STATEMENT,
                                    "message": ST.issue_crl(n3.key, NET, ST.RevocationList(5, frozenset({N2})))})):
        f = n3.link.protect({"type": ftype, "version": 0, "seq": 0, "net": NET, "dst": G1, "src": N2,
                             "ack_req": False, "mesh": None, "options": None, "security": None, "body": b})
        with pytest.raises(S.SecurityError):
            n1.receive(f)
        refused += 1
    assert n1.link.group[G1] == n2.link.group[G1] and N2 not in n1.revoked
    # the lock-out: N2's window at N1 pushed to the last counter
    tracemalloc.start()
    n1.receive(protect_as(n3, G1, N2, b"last counter", counter=S.MAX_COUNTER))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    FIGURES["peak memory to accept a frame 2^32-1 counters ahead (bytes)"] = peak
    assert peak < 256 * 1024
    assert refuses(n1, n2.send(G1, "data", data(b"victim's group frame")))
    refused += 1
    n1.receive(n2.send(N1, "data", data(b"victim's pairwise frame")))
    assert delivered(n1, b"victim's pairwise frame")
    run([gs, n1, n2], a.remove_member(gs, G1, N3))
    n1.receive(n2.send(G1, "data", data(b"new epoch")))
    assert delivered(n1, b"new epoch")
    assert refuses(n1, protect_as(n3, G1, N2, b"after removal", counter=0))
    refused += 1
    tally("compromised member beyond spoofing another member", refused, refused)


# ------------------------------------------------------------------ nonces

def nonce_of(frame: bytes) -> bytes:
    """The CCM* nonce a secured frame was sealed with, from its header
    (layout of protocol/security.py: src, net, key id, counter big-endian,
    MIC length code, three zero bytes) — computed here, not by the link."""
    d = decode(frame)
    s = d["security"]
    return (d["src"].to_bytes(2, "big") + d["net"].to_bytes(2, "big") + bytes([s["key_id"]])
            + s["counter"].to_bytes(4, "big") + bytes([{4: 1, 8: 2, 16: 3}[s["mic_len"]]]) + bytes(3))


def test_nonces_never_repeat_under_one_key():
    """Both ends of a pairwise key, every member and the controller of a
    group, across a pairwise rekey, a new group epoch and a node reset
    (same key pair and certificate, fresh state): no (key, nonce) pair is
    used twice. Same plaintext, same counter, two directions: different
    ciphertexts. A reset node cannot get the old epoch's key back (replayed
    charter and key frames): it would restart that key's counter."""
    a, (gs, n1, n2, n3) = group_fleet()
    handshake(n1, n2)
    used: dict = {}

    def send(node, dst, payload):
        key = node.link.key_for(dst).key
        f = node.send(dst, "data", data(payload))
        assert (key, nonce_of(f)) not in used, f"nonce reuse by {node.address:#x}"
        used[key, nonce_of(f)] = f
        return f

    f12, f21 = send(n1, N2, b"same"), send(n2, N1, b"same")
    assert decode(f12)["security"]["counter"] == decode(f21)["security"]["counter"] == 0
    assert decode(f12)["ciphertext"] != decode(f21)["ciphertext"]
    for n in (gs, n1, n2, n3):
        send(n, G1, b"group")
    old_group_frames = a.group_frames(gs, G1, [N1, N2, N3])
    old_to_n1 = [f for f in old_group_frames if decode(f)["dst"] == N1]
    run([gs, n1, n2, n3], old_group_frames)
    for n in (gs, n1, n2, n3):
        send(n, G1, b"epoch 2")
    handshake(n2, n1)  # rekey the pair
    send(n1, N2, b"after rekey")
    send(n2, N1, b"after rekey")
    reset = fleet.Node(N1, n1.key, n1.cred, a.anchor)  # N1 reboots: same identity, no state
    handshake(reset, gs)
    for f in old_to_n1:  # the epoch-2 charter and key, recorded and replayed
        try:
            reset.receive(f)
        except FrameError:
            pass
    assert G1 not in reset.link.group
    send(reset, GS, b"after reset")
    assert len(used) == 13
    tally("nonce reuse (directions, members, rekey, epoch, reset)", len(used) + 1, len(used) + 1)


# ------------------------------------------------------------------ replay windows

def link_pair(cipher="sm4"):
    key = S.LinkKey(5, bytes(range(16)), cipher, 8)
    x, y = S.SecureLink(7), S.SecureLink(9)
    x.install(key, 9)
    y.install(key, 7)
    return x, y


def test_replay_window_edges():
    """Counter 2^32-1 accepted once (and the sender must rekey after it);
    the 2^32-1 jump costs bounded memory; inside the window below it, late
    frames once each, the 64th behind refused; the same counter under two
    keys (pairwise and group) accepted once under each; after a rekey the
    old key's frames are refused."""
    x, y = link_pair()
    y.unprotect(protect_as(x, 9, 7, b"first"))
    late = {c: protect_as(x, 9, 7, bytes([c & 0xFF]), counter=c)
            for c in (S.MAX_COUNTER - 1, S.MAX_COUNTER - 63, S.MAX_COUNTER - 64)}
    top = protect_as(x, 9, 7, b"top", counter=S.MAX_COUNTER)
    tracemalloc.start()
    y.unprotect(top)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 256 * 1024
    assert y.windows[(7, 7)].highest == S.MAX_COUNTER
    with pytest.raises(S.RekeyRequired):
        protect_as(x, 9, 7, b"beyond")
    refused = 0
    for f in (top, late[S.MAX_COUNTER - 64]):
        with pytest.raises(S.ReplayError):
            y.unprotect(f)
        refused += 1
    for c in (S.MAX_COUNTER - 1, S.MAX_COUNTER - 63):
        y.unprotect(late[c])
        with pytest.raises(S.ReplayError):
            y.unprotect(late[c])
        refused += 1
    gk = S.LinkKey(200, bytes([9]) * 16)
    x.install(gk, G1)
    y.install(gk, G1)
    x2, y2 = link_pair()
    y2.unprotect(protect_as(x2, 9, 7, b"pairwise 0", counter=0))
    y2.install(gk, G1)
    x2.install(gk, G1)
    assert y2.unprotect(protect_as(x2, G1, 7, b"group 0", counter=0))["counter"] == 0
    old = protect_as(x2, 9, 7, b"old key", counter=5)
    new = S.LinkKey(6, bytes([3]) * 16)
    x2.install(new, 9)
    y2.install(new, 7)
    with pytest.raises(S.SecurityError):
        y2.unprotect(old)
    assert y2.unprotect(protect_as(x2, 9, 7, b"new key 0", counter=0))["counter"] == 0
    tally("replay window edges (2^32-1, window end, two keys, rekey)", refused + 1, refused + 1)


@settings(max_examples=150, deadline=None)
@given(hst.lists(hst.one_of(hst.integers(0, 200), hst.integers(S.MAX_COUNTER - 200, S.MAX_COUNTER),
                            hst.integers(0, S.MAX_COUNTER)), min_size=1, max_size=60))
def test_replay_window_with_huge_jumps_matches_its_definition(counters):
    """The set model of test_link_security (fresh iff never accepted and
    fewer than 64 behind the highest), for counters anywhere in 0..2^32-1
    (jumps of up to 2^32-1); the bitmap never holds more than 64 bits."""
    test_link_security.test_replay_window_matches_its_definition.hypothesis.inner_test(counters)
    w = S.ReplayWindow()
    for c in counters:
        if w.fresh(c):
            w.accept(c)
        assert w.bitmap.bit_length() <= S.WINDOW


# ------------------------------------------------------------------ state exhaustion

def deep_size(root) -> int:
    """Bytes of every object reachable from ``root``'s data (code, classes and
    modules not followed)."""
    skip = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.CodeType)
    seen, stack, total = set(), [root], 0
    while stack:
        o = stack.pop()
        if id(o) in seen or isinstance(o, skip):
            continue
        seen.add(id(o))
        total += sys.getsizeof(o)
        stack.extend(gc.get_referents(o))
    return total


def forged_frames(rng: random.Random, n: int, a, gs, n2, n1):
    """``n`` frames from ``n`` distinct forged sources, of six kinds in turn:
    secured pairwise frame, group frame from a non-member, message_1 (a
    valid G_X), message_2 and message_3 with no session, a revocation list
    with a fresh serial and a forged signature."""
    pw = decode(gs.send(N1, "data", data(b"z" * 20)))
    gr = decode(n2.send(G1, "data", data(b"z" * 20)))
    crl = ST.issue_crl(fleet.FleetAuthority(suite=a.suite, method=a.method).signing_key, NET,
                       ST.RevocationList(n1.crl_serial + 1, frozenset({N2})))
    srcs = rng.sample([s for s in range(0x0100, 0xFE00) if s not in (GS, N1, N2)], n)
    for i, src in enumerate(srcs):
        kind = i % 6
        if kind in (0, 1):
            t = (pw, gr)[kind]
            yield encode(dict(t, src=src, security={**t["security"], "counter": rng.randrange(2**32)},
                              ciphertext=rng.randbytes(len(t["ciphertext"])), mic=rng.randbytes(len(t["mic"]))))
        elif kind == 2:
            yield hs(src, N1, 1, src, seq(a.method, a.suite, edhoc.generate_keypair(a.anchor.curve).x_bytes(), -24))
        elif kind in (3, 4):
            yield hs(src, N1, kind - 1, N1 if kind == 3 else src, cbor2.dumps(rng.randbytes(100)))
        else:
            yield hs(src, N1, fleet.MSG_STATEMENT, 0, crl)


def test_state_stays_bounded_under_12000_forged_senders(rng):
    """12,000 frames from 12,000 forged sources (six kinds, the clock moving
    1 s per 50 frames so sessions expire and new ones get in): sessions, the
    G_X cache and the replay windows stay within their caps, nothing is
    delivered, and the node's memory after 12,000 senders is within 4 KB of
    what it was after 4,000 (once the caps are reached, state does not grow
    with the number of senders)."""
    clock = Clock()
    limits = fleet.Limits(seen_ephemeral=64)  # a smaller G_X cache, so that it fills within the first 4,000
    a = fleet.FleetAuthority(suite=edhoc.SUITE_2, method=edhoc.METHOD_STAT_STAT)
    gs, n1, n2 = (a.enrol(x, clock=clock, limits=limits) for x in (GS, N1, N2))
    handshake(gs, n1)
    handshake(gs, n2)
    run([gs, n1, n2], a.group_frames(gs, G1, [N1, N2]))
    n1.receive(gs.send(N1, "data", data(b"x")))
    n1.receive(n2.send(G1, "data", data(b"y")))
    before = snapshot(n1)
    gc.collect()
    base = deep_size(n1)
    sizes, refused, answered = [], 0, 0
    seed = int(rng.integers(2**32))
    for i, f in enumerate(forged_frames(random.Random(seed), 12_000, a, gs, n2, n1)):
        try:
            answered += len(n1.receive(f))
        except FrameError:
            refused += 1
        if i % 50 == 49:
            clock.t += 1.0
        if i in (3_999, 11_999):
            clock.t += limits.handshake_timeout_s + 1  # compare with no session in progress
            n1.handshakes._expire()
            gc.collect()
            sizes.append(deep_size(n1))
    after = snapshot(n1)
    kept = ("pairwise", "group", "tx", "windows", "senders", "peers", "groups", "revoked", "crl", "delivered")
    assert {k: after[k] for k in kept} == {k: before[k] for k in kept} and after["sessions"] == {}
    assert len(n1.seen_g_x) <= limits.seen_ephemeral
    assert refused + answered == 12_000
    assert answered <= limits.sessions * (clock.t / limits.handshake_timeout_s + 2)
    FIGURES["12,000 forged senders: node bytes at start / after 4,000 / after 12,000"] = (base, *sizes)
    FIGURES["12,000 forged senders: refused / answered with message_2"] = (refused, answered)
    assert len(n1.seen_g_x) == limits.seen_ephemeral  # the cap was reached ...
    assert abs(sizes[1] - sizes[0]) <= 4 * 1024  # ... and nothing else grows
    assert sizes[1] - base <= 64 * 1024
    tally("frames from 12,000 forged senders (state bounded)", 12_000, refused)


# ------------------------------------------------------------------ CPU per forged frame

class Costs:
    """Counts of the expensive public-key operations (signature checks,
    ECDH, signatures) while installed with monkeypatch."""

    def __init__(self, monkeypatch):
        self.n = collections.Counter()
        for name in ("verify", "ecdh", "sign"):
            real = getattr(edhoc, name)
            monkeypatch.setattr(edhoc, name, self._counting(name, real))

    def _counting(self, name, real):
        def op(*args, **kw):
            self.n[name] += 1
            return real(*args, **kw)
        return op

    def of(self, node, frame) -> collections.Counter:
        """The operations ``node`` spends on ``frame`` (which it must refuse)."""
        self.n.clear()
        assert refuses(node, frame)
        return collections.Counter(self.n)


@pytest.mark.parametrize("suite,method", COMBOS)
def test_public_key_work_an_unauthenticated_frame_can_force(suite, method, monkeypatch):
    """Per forged frame, what an outsider makes a node spend: a statement
    with a fresh serial, one signature check; a message_2 crafted for the
    node's session (Eve computes its keystream) carrying the real peer's
    certificate, at most two; the same again in that session, at most one
    (the certificate was already checked); a certificate for another
    address, none; a crafted message_3, at most two. Secured frames: none."""
    a, (n1, n2, n3) = make_fleet(suite, method, N1, N2, N3)
    handshake(n1, n3)
    costs = Costs(monkeypatch)
    cert_n2, cert_n3 = n2.cred.id_cred, n3.cred.id_cred
    mac = b"\0" * (32 if method == edhoc.METHOD_SIG_SIG else 8)
    out = {}
    forged_list = hs(GS, N1, fleet.MSG_STATEMENT, 0, ST.issue_crl(
        fleet.FleetAuthority(suite=suite, method=method).signing_key, NET, ST.RevocationList(7, frozenset({N2}))))
    t = time.perf_counter()
    out["forged list (fresh serial)"] = costs.of(n1, forged_list)
    FIGURES.setdefault("time to refuse a forged list, one signature check (ms)", {})[f"suite {suite}"] = \
        round(1e3 * (time.perf_counter() - t), 2)
    m1 = body(n1.start_handshake(N2))["message"]
    eve = Eve(suite, method)
    for name, pt in (("message_2, real certificate", seq(-8, cert_n2, mac)),
                     ("message_2, real certificate again", seq(-8, cert_n2, mac)),
                     ("message_2, certificate of another address", seq(-8, cert_n3, mac))):
        f = hs(N2, N1, 2, N1, eve.message_2(m1, lambda *args, pt=pt: pt))
        out[name] = costs.of(n1, f)
    eve3 = Eve(suite, method)
    (m2,) = n1.receive(hs(N2, N1, 1, N2, eve3.message_1()))  # Eve opens a session as N2 (first message is free)
    session = eve3.read_message_2(body(m2)["message"])
    out["message_3, real certificate"] = costs.of(n1, hs(N2, N1, 3, N2, eve3.message_3(session, seq(cert_n2, mac))))
    out["secured frame, forged"] = costs.of(n1, tamper(n3.send(N1, "data", data(b"x")), -1))
    FIGURES[f"public-key operations per forged frame, suite {suite} method {method}"] = \
        {k: dict(v) for k, v in out.items()}
    assert out["forged list (fresh serial)"]["verify"] == 1
    assert out["message_2, real certificate"]["verify"] <= 2
    assert out["message_2, real certificate again"]["verify"] <= 1
    assert out["message_2, certificate of another address"]["verify"] == 0
    assert out["message_3, real certificate"]["verify"] <= 2
    assert sum(out["secured frame, forged"].values()) == 0
    assert all(v["sign"] == 0 and v["ecdh"] <= 2 for v in out.values())
    tally("forged frames costing public-key work (counted)", len(out), len(out))


# --------------------------------------------------- crafted EDHOC plaintexts

@pytest.mark.parametrize("suite,method", COMBOS)
def test_crafted_edhoc_plaintexts_raise_only_typed_errors(suite, method):
    """An outsider who saw a message_1 can compute message_2's keystream, and
    one who opened a session can compute message_3's key: so PLAINTEXT_2/3
    hold anything she likes. Self-referencing CBOR (shared-value tags),
    deep nesting, tags the node never expects, in every field — each one
    refused with a FrameError, the session unchanged, both sessions still
    completing with the genuine messages."""
    a, (n1, n2, n3) = make_fleet(suite, method, N1, N2, N3)
    cert = cbor2.dumps(n2.cred.id_cred)
    mac = cbor2.dumps(b"\0" * 8)
    fields = [bytes.fromhex("a10d") + CYCLIC, bytes.fromhex("a10e") + CYCLIC, *NASTY_CBOR]
    pt2s = [seq(-8) + x + mac for x in fields] + [seq(-8) + cert + x for x in NASTY_CBOR] \
        + [seq(-8) + cert + mac + x for x in NASTY_CBOR] + list(NASTY_CBOR)
    m1f = n1.start_handshake(N2)
    m1 = body(m1f)["message"]
    eve = Eve(suite, method)
    for pt in pt2s:
        assert refuses(n1, hs(N2, N1, 2, N1, eve.message_2(m1, lambda *args, pt=pt: pt)))
    eve3 = Eve(suite, method)
    (m2,) = n2.receive(hs(N3, N2, 1, N3, eve3.message_1()))
    session = eve3.read_message_2(body(m2)["message"])
    cert3 = cbor2.dumps(n3.cred.id_cred)
    pt3s = [x + mac for x in fields] + [cert3 + x for x in NASTY_CBOR] + [cert3 + mac + x for x in NASTY_CBOR]
    for pt in pt3s:
        assert refuses(n2, hs(N3, N2, 3, N3, eve3.message_3(session, pt)))
    run([n1, n2], n2.receive(m1f))
    assert n1.link.pairwise[N2].key == n2.link.pairwise[N1].key
    tally("crafted PLAINTEXT_2/3 (cyclic, deep, odd tags)", len(pt2s) + len(pt3s), len(pt2s) + len(pt3s))


# ------------------------------------------------------------------ fuzzing

class Target:
    """One node with every kind of state an attacker could disturb: pairwise
    keys, a group, an initiator session and a responder session in
    progress (suite 2, method 3; the clock never moves)."""

    def __init__(self):
        self.clock = Clock()
        a, (gs, n1, n2, n3) = make_fleet(edhoc.SUITE_2, edhoc.METHOD_STAT_STAT, GS, N1, N2, N3, clock=self.clock)
        handshake(gs, n1)
        handshake(gs, n2)
        run([gs, n1, n2], a.group_frames(gs, G1, [N1, N2]))
        n1.receive(gs.send(N1, "data", data(b"x")))
        self.m2_pending = body(n3.receive(n1.start_handshake(N3))[0])["message"]
        n1.receive(hs(M, N1, 1, M, Eve(edhoc.SUITE_2, edhoc.METHOD_STAT_STAT).message_1()))
        self.node, self.gs, self.n2, self.a = n1, gs, n2, a
        charter = a.group_frames(gs, G2, [N1, N2])[0]  # to N1, never delivered
        self.valid = [gs.send(N1, "data", data(b"pairwise")), n2.send(G1, "data", data(b"group")),
                      hs(N3, N1, 2, N1, self.m2_pending), charter]


_TARGET: list = []


def target() -> Target:
    if not _TARGET:
        _TARGET.append(Target())
    return _TARGET[0]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fc=hst.integers(0, 0xFFFF), seqno=hst.integers(0, 255), net=hst.sampled_from([NET, 0, 0xFFFF]),
       dst=hst.sampled_from([N1, G1, 0xFFFF, N2, G2]), src=hst.sampled_from([GS, N2, N3, M, N1, 0xFFFF, G1]),
       rest=hst.binary(max_size=120))
def test_random_frames_raise_only_frame_errors_and_change_nothing(fc, seqno, net, dst, src, rest):
    """Random frames with a valid FCS (any frame control, addresses that
    matter to the node, any bytes after the MAC header): a FrameError or
    nothing; the node's state unchanged; nothing delivered."""
    t = target()
    frame = fc.to_bytes(2, "little") + bytes([seqno]) + net.to_bytes(2, "little") + dst.to_bytes(2, "little") \
        + src.to_bytes(2, "little") + rest
    before = snapshot(t.node)
    try:
        t.node.receive(frame + crc32(frame).to_bytes(4, "little"))
    except FrameError:
        pass
    after = snapshot(t.node)
    if after != before:  # only an unauthenticated message_1 may open a session (it is one, by chance)
        assert {k: v for k, v in after.items() if k not in ("sessions", "seen_g_x", "seq")} == \
            {k: v for k, v in before.items() if k not in ("sessions", "seen_g_x", "seq")}
    assert after["delivered"] == before["delivered"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hst.data())
def test_mutated_valid_frames_are_refused_without_state_change(d):
    """A genuine frame (secured pairwise, secured group, a message_2 the
    node waits for, a secured statement) with up to four bytes changed
    anywhere but the FCS (then recomputed): refused, or ignored if no
    longer for this node; state unchanged."""
    t = target()
    frame = bytearray(d.draw(hst.sampled_from(t.valid)))
    unsecured = decode(bytes(frame))["security"] is None
    for _ in range(d.draw(hst.integers(1, 4))):
        pos = d.draw(hst.integers(0, len(frame) - 5))
        if pos in (2, 3, 4) and unsecured:
            continue  # seq and net of an unsecured frame are not authenticated: covered below
        frame[pos] ^= d.draw(hst.integers(1, 255)) & (0x7F if pos == 0 else 0xFF)
    if bytes(frame[:-4]) in (bytes(v[:-4]) for v in t.valid):
        return
    before = snapshot(t.node)
    try:
        t.node.receive(refix(frame))
    except FrameError:
        pass
    assert snapshot(t.node) == before


@pytest.mark.parametrize("suite,method,stride", [pytest.param(*c.values, 1, id=c.id) for c in COMBOS[:2]]
                         + [pytest.param(*c.values, 5, id=c.id) for c in COMBOS[2:]])
def test_every_byte_of_valid_frames_mutated(suite, method, stride, rng):
    """message_1, message_2, message_3, a charter and a group key under a
    pairwise key, a revocation list unsecured and secured, a group frame:
    each byte (every ``stride``-th for the slow ShangMi suite) changed in
    turn, FCS recomputed, sent to the node waiting for that frame. Only a
    message_1 may still be accepted (it is unauthenticated: a changed G_X or
    C_I is another valid message_1); everything else is refused or, when
    the change readdresses it, ignored — with the state unchanged."""
    r = random.Random(int(rng.integers(2**32)))
    clock = Clock()
    a, (gs, n1, n2) = make_fleet(suite, method, GS, N1, N2, clock=clock)
    counts = collections.Counter()

    def mutants(frame):
        frame = bytes(frame)
        d = decode(frame)
        skip = set() if d["security"] is not None else {2, 3, 4} if d["body"]["message_no"] != fleet.MSG_STATEMENT \
            else {2, 3, 4, 7, 8, 9, 10}
        for pos in range(0, len(frame) - 4, stride):
            if pos in skip:
                continue  # unauthenticated fields that do not change the message: test_unauthenticated_header_fields
            m = bytearray(frame)
            m[pos] ^= r.randrange(1, 256) & (0x7F if pos == 0 else 0xFF) or 1  # bit 7 of byte 0: ack_req
            yield refix(m)

    def must_refuse(node, frame, kind):
        for m in mutants(frame):
            counts[kind, "tried"] += 1
            assert refused_or_ignored(node, m), f"{kind}: a mutant changed the node's state"
            counts[kind, "refused"] += 1

    m1 = n1.start_handshake(GS)
    for m in mutants(m1):
        counts["message_1", "tried"] += 1
        before = snapshot(gs)
        try:
            gs.receive(m)
        except FrameError:
            pass
        if snapshot(gs) == before:
            counts["message_1", "refused"] += 1  # or ignored: readdressed
        else:
            counts["message_1", "accepted"] += 1
            clock.t += fleet.Limits().handshake_timeout_s + 1
            assert not gs.sessions  # (reading them drops the expired session)
    clock.t += fleet.Limits().handshake_timeout_s + 1
    m1 = n1.start_handshake(GS)
    (m2,) = gs.receive(m1)
    must_refuse(n1, m2, "message_2")
    (m3,) = n1.receive(m2)
    must_refuse(gs, m3, "message_3")
    assert gs.receive(m3) == [] and gs.link.pairwise[N1].key == n1.link.pairwise[GS].key
    charter, group_key = a.group_frames(gs, G1, [N1])
    must_refuse(n1, charter, "charter (secured)")
    n1.receive(charter)
    must_refuse(n1, group_key, "group key")
    n1.receive(group_key)
    must_refuse(n1, gs.send(G1, "data", data(b"group frame")), "group frame")
    revocation = a.revoke(gs, N2)  # to N1 only, under its pairwise key
    unsecured = hs(GS, N1, fleet.MSG_STATEMENT, 0, a.crl)
    must_refuse(n1, revocation[0], "revocation list (secured)")
    must_refuse(n1, unsecured, "revocation list (unsecured)")
    n1.receive(unsecured)
    assert n1.crl_serial == 1
    tried = sum(v for k, v in counts.items() if k[1] == "tried")
    ok = sum(v for k, v in counts.items() if k[1] == "refused")
    FIGURES.setdefault("every-byte mutants: message_1 accepted as another valid message_1", 0)
    FIGURES["every-byte mutants: message_1 accepted as another valid message_1"] += counts["message_1", "accepted"]
    assert ok + counts["message_1", "accepted"] == tried
    tally("every byte of valid frames mutated", tried, ok)


def test_unauthenticated_header_fields_of_handshake_frames():
    """seq and net of an unsecured handshake frame are not authenticated (the
    MAC header is not in EDHOC's transcript), nor are the source and session
    of an unsecured statement (its signature alone makes it count): changing
    them yields the same handshake or the same statement — once."""
    a, (gs, n1, n2) = make_fleet(edhoc.SUITE_2, edhoc.METHOD_STAT_STAT, GS, N1, N2)
    m1 = bytearray(n1.start_handshake(N2))
    m1[2] ^= 0x5A
    m1[3:5] = (0x1234).to_bytes(2, "little")
    (m2,) = n2.receive(refix(m1))
    run([n1, n2], [m2])
    assert n1.link.pairwise[N2].key == n2.link.pairwise[N1].key
    a.revoke(gs, N2)
    n1.receive(hs(M, N1, fleet.MSG_STATEMENT, 0x4242, a.crl, net=0x1234))
    assert n1.crl_serial == 1 and N2 in n1.revoked and N2 not in n1.link.pairwise
    assert refuses(n1, hs(GS, N1, fleet.MSG_STATEMENT, 0, a.crl))


@pytest.mark.parametrize("suite,method,stride", [(edhoc.SUITE_2, 3, 1), (edhoc.SUITE_SM, 3, 7)])
def test_truncated_statements_are_refused(suite, method, stride):
    """Every prefix of a charter and of a revocation list, handed over
    directly and in a frame: refused, state unchanged."""
    a, (gs, n1, n2) = make_fleet(suite, method, GS, N1, N2)
    handshake(gs, n1)
    a.revoke(gs, N2)
    charter = ST.issue_charter(a.signing_key, NET, ST.Charter(G1, 1, 130, GS, frozenset({N1})))
    tried = 0
    for stmt in (a.crl, charter):
        for n in range(0, len(stmt), stride):
            before = snapshot(n1)
            with pytest.raises(S.SecurityError):
                n1.accept_statement(stmt[:n])
            assert snapshot(n1) == before
            assert refuses(n1, hs(GS, N1, fleet.MSG_STATEMENT, 0, stmt[:n]))
            tried += 2
    tally("truncated statements", tried, tried)


# ------------------------------------------------------------------ AEAD

def leaks(exc: BaseException, secrets_: list[bytes]) -> list:
    """Where any of ``secrets_`` is reachable from ``exc``: its message and
    arguments, and the local variables of every frame of its traceback, along
    its whole __context__/__cause__ chain."""
    found, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        values = [str(exc).encode(errors="replace"), *[a for a in exc.args if isinstance(a, (bytes, str))]]
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename != __file__:  # the test's own frame holds the secret, of course
                values += [v for v in tb.tb_frame.f_locals.values() if isinstance(v, (bytes, bytearray, memoryview))]
            tb = tb.tb_next
        for v in values:
            v = v.encode(errors="replace") if isinstance(v, str) else bytes(v)
            found += [v[:16].hex() for s in secrets_ if s in v]
        exc = exc.__cause__ or exc.__context__
    return found


@pytest.mark.parametrize("cipher", ["sm4", "aes"])
def test_aead_releases_nothing_of_a_forged_frame(cipher):
    """Every byte of a sealed message, its nonce and its associated data
    tampered: AuthenticationError, no return value, and neither the
    plaintext nor its keystream reachable from the exception (message,
    arguments, traceback locals, chained exceptions). Through SecureLink:
    ForgeryError, the same, and nothing delivered by a node."""
    key, nonce, aad = bytes(range(16)), bytes(range(13)), b"header"
    secret = b"SECRET-PLAINTEXT" * 3
    box = CCMStar(key, cipher, 8)
    sealed = box.encrypt(nonce, secret, aad)
    keystream = xor(sealed[:len(secret)], secret)
    tried = 0
    for which, value in (("data", sealed), ("nonce", nonce), ("aad", aad)):
        for i in range(len(value)):
            bad = bytearray(value)
            bad[i] ^= 0x01
            args = {"data": sealed, "nonce": nonce, "aad": aad, which: bytes(bad)}
            with pytest.raises(AuthenticationError) as info:
                box.decrypt(args["nonce"], args["data"], args["aad"])
            assert leaks(info.value, [secret[:16], secret[16:32], keystream[:16]]) == []
            tried += 1
    x, y = link_pair(cipher)
    f = bytearray(protect_as(x, 9, 7, secret))
    f[-5] ^= 1
    with pytest.raises(S.ForgeryError) as info:
        y.unprotect(refix(f))
    assert leaks(info.value, [secret[:16], secret[16:32]]) == []
    tally("forged AEAD input (plaintext never released)", tried + 1, tried + 1)


@pytest.mark.parametrize("suite,method", [COMBOS[1], COMBOS[2]])
def test_forged_message_3_releases_no_plaintext(suite, method):
    """EDHOC's own AEAD (CCM of message_3): a message_3 with one tag bit
    changed is refused, and neither the PLAINTEXT_3 the responder decrypted
    (the initiator's identity) nor K_3 is reachable from the exception the
    node raises (its chain and traceback locals)."""
    a, (n2, n3) = make_fleet(suite, method, N2, N3)
    eve = Eve(suite, method)
    (m2,) = n2.receive(hs(N3, N2, 1, N3, eve.message_1()))
    session = eve.read_message_2(body(m2)["message"])
    pt3 = eve.genuine_pt3(session, n3.cred, n3.key)
    th3, prk, _ = session
    k3 = eve.expand(prk, 3, th3, eve.suite.key_len)
    blob = bytearray(cbor2.loads(eve.message_3(session, pt3)))
    blob[-1] ^= 1
    with pytest.raises(S.SecurityError) as info:
        n2.receive(hs(N3, N2, 3, N3, cbor2.dumps(bytes(blob))))
    assert leaks(info.value, [pt3[:32], pt3[-32:], k3]) == []
    tally("forged AEAD input (plaintext never released)", 1, 1)


# ------------------------------------------------------------------ availability

def test_spoofed_message_1_blocks_new_handshakes_of_a_pair_only_until_timeout():
    """Residual, measured: one spoofed message_1 per direction (2 frames)
    holds the responder slot of a pair for handshake_timeout_s, so neither
    end can start a new handshake with the other until then. Established
    keys are untouched and traffic flows; after the timeout a handshake
    completes."""
    clock = Clock()
    a, (n1, n2) = make_fleet(edhoc.SUITE_2, edhoc.METHOD_STAT_STAT, N1, N2, clock=clock)
    handshake(n1, n2)
    key = n1.link.pairwise[N2].key
    eve = Eve(edhoc.SUITE_2, edhoc.METHOD_STAT_STAT)
    n2.receive(hs(N1, N2, 1, N1, eve.message_1()))
    n1.receive(hs(N2, N1, 1, N2, eve.message_1()))
    for x, y in ((n1, n2), (n2, n1)):
        with pytest.raises(S.SecurityError, match="in progress"):
            run([x, y], [x.start_handshake(y.address)])
    assert n1.link.pairwise[N2].key == key == n2.link.pairwise[N1].key
    n2.receive(n1.send(N2, "data", data(b"still flowing")))
    assert delivered(n2, b"still flowing")
    clock.t += fleet.Limits().handshake_timeout_s + 1
    handshake(n1, n2)
    assert n1.link.pairwise[N2].key != key
    FIGURES["spoofed frames that block a pair's new handshakes for handshake_timeout_s (residual)"] = 2
