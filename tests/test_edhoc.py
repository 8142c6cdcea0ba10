"""EDHOC (RFC 9528): interoperability with lakers-python, every method and
suite, and the attacks that must fail cleanly (typed error, no key)."""

import copy

import cbor2
import lakers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import edhoc as E
from crypto.errors import CryptoError

# RFC 9529 (traces for EDHOC), trace 2: credentials CRED_I / CRED_R and the
# static private keys I / R (method 3, cipher suite 2).
CRED_I = bytes.fromhex(
    "A2027734322D35302D33312D46462D45462D33372D33322D333908A101A5010202412B2001215820AC75E9ECE3E50BFC8ED6039988"
    "9522405C47BF16DF96660A41298CB4307F7EB62258206E5DE611388A4B8A8211334AC7D37ECB52A387D257E6DB3C2A93DF21FF3AFFC8")
I_KEY = bytes.fromhex("fb13adeb6518cee5f88417660841142e830a81fe334380a953406a1305e8706b")
R_KEY = bytes.fromhex("72cc4761dbd4c78f758931aa589d348d1ef874a7e303ede2f140dcf3e6aa4aac")
CRED_R = bytes.fromhex(
    "A2026008A101A5010202410A2001215820BBC34960526EA4D32E940CAD2A234148DDC21791A12AFBCBAC93622046DD44F022582045"
    "19E257236B2A0CE2023F0931F1F386CA7AFDA64FCDE0108C224C51EABF6072")


def _trace_parties():
    ci, cr = E.parse_credential(CRED_I), E.parse_credential(CRED_R)
    store = E.CredentialStore([ci, cr])
    return ci, cr, E.keypair_from_private("p256", I_KEY), E.keypair_from_private("p256", R_KEY), store


def test_trace_credentials_hold_the_trace_keys():
    ci, cr, ki, kr, _ = _trace_parties()
    assert (ki.x, ki.y) == (ci.x, ci.y) and (kr.x, kr.y) == (cr.x, cr.y)
    assert ci.kid == b"\x2b" and cr.kid == b"\x0a"


def test_interop_ours_initiator_lakers_responder():
    ci, cr, ki, kr, store = _trace_parties()
    ours = E.Initiator(E.METHOD_STAT_STAT, [E.SUITE_2], ci, ki, store)
    resp = lakers.EdhocResponder(R_KEY, CRED_R)
    c_i, ead_1 = resp.process_message_1(ours.message_1())
    assert bytes(c_i) == ours.c_i and not ead_1  # lakers read our C_I (h'37', sent as the int -24)
    m2 = resp.prepare_message_2(lakers.CredentialTransfer.ByReference, None, None)
    m3 = ours.message_3(bytes(m2))
    id_cred_i, _ = resp.parse_message_3(m3)
    prk = resp.verify_message_3(lakers.credential_check_or_fetch(id_cred_i, CRED_I))
    resp.completed_without_message_4()
    assert bytes(prk) == ours.prk_out
    assert bytes(resp.edhoc_exporter(0, [], 16)) == ours.exporter(0, b"", 16)
    assert bytes(resp.edhoc_exporter(1, [], 8)) == ours.exporter(1, b"", 8)


def test_interop_lakers_initiator_ours_responder():
    ci, cr, ki, kr, store = _trace_parties()
    init = lakers.EdhocInitiator()
    ours = E.Responder(E.METHOD_STAT_STAT, [E.SUITE_2], cr, kr, store)
    m2 = ours.message_2(bytes(init.prepare_message_1(c_i=None, ead_1=None)))
    _, id_cred_r, _ = init.parse_message_2(m2)
    init.verify_message_2(I_KEY, CRED_I, lakers.credential_check_or_fetch(id_cred_r, CRED_R))
    m3, prk_i = init.prepare_message_3(lakers.CredentialTransfer.ByReference, None)
    assert ours.finish(bytes(m3)) == bytes(prk_i)
    init.completed_without_message_4()
    assert bytes(init.edhoc_exporter(0, [], 16)) == ours.exporter(0, b"", 16)


def _parties(method, suite, *, resp_suites=None):
    curve = E.SUITES[suite].curve
    ki, kr = E.generate_keypair(curve), E.generate_keypair(curve)
    ci, cr = E.make_credential("uav-7", b"\x07", ki), E.make_credential("ground", b"\x01", kr)
    store = E.CredentialStore([ci, cr])
    ini = E.Initiator(method, [suite], ci, ki, store)
    resp = E.Responder(method, resp_suites or [suite], cr, kr, store)
    return ini, resp


COMBOS = [(m, s) for s in (E.SUITE_2, E.SUITE_SM) for m in E.METHODS]


@pytest.mark.parametrize("method,suite", COMBOS)
def test_handshake_completes_and_keys_agree(method, suite):
    ini, resp = _parties(method, suite)
    prk = resp.finish(ini.message_3(resp.message_2(ini.message_1())))
    assert prk == ini.prk_out and len(prk) == 32
    assert ini.exporter(0, b"ctx", 16) == resp.exporter(0, b"ctx", 16)
    assert ini.exporter(0, b"ctx", 16) != ini.exporter(0, b"other", 16)


def _no_keys(*parties):
    for p in parties:
        with pytest.raises(E.EdhocError):
            _ = p.prk_out


@pytest.mark.parametrize("method,suite", COMBOS)
@pytest.mark.parametrize("which", ["message_1", "message_2", "message_3"])
def test_every_tampered_byte_fails_cleanly(method, suite, which):
    """Flip every byte of one handshake message in turn, within the same
    session (the receiving side's state is copied before each attempt): the
    handshake must end in EdhocError and no side may hold a key."""
    ini, resp = _parties(method, suite)
    m1 = ini.message_1()
    ini_before_2 = copy.deepcopy(ini)
    m2 = resp.message_2(m1)
    resp_before_3 = copy.deepcopy(resp)
    m3 = ini.message_3(m2)
    target = {"message_1": m1, "message_2": m2, "message_3": m3}[which]
    for pos in range(len(target)):
        bad = bytearray(target)
        bad[pos] ^= 0xFF
        bad = bytes(bad)
        if which == "message_1":
            # the responder may not notice; the initiator's check of message_2 must fail
            i2, r2 = copy.deepcopy(ini_before_2), _parties(method, suite)[1]
            r2.store, r2.own_cred, r2.own_key = resp.store, resp.own_cred, resp.own_key
            with pytest.raises(E.EdhocError):
                i2.message_3(r2.message_2(bad))
            _no_keys(i2)
        elif which == "message_2":
            i2 = copy.deepcopy(ini_before_2)
            with pytest.raises(E.EdhocError):
                i2.message_3(bad)
            _no_keys(i2)
        else:
            r2 = copy.deepcopy(resp_before_3)
            with pytest.raises(E.EdhocError):
                r2.finish(bad)
            _no_keys(r2)


def test_replayed_messages_are_refused():
    ini, resp = _parties(E.METHOD_STAT_STAT, E.SUITE_2)
    m1 = ini.message_1()
    m2 = resp.message_2(m1)
    m3 = ini.message_3(m2)
    resp.finish(m3)
    with pytest.raises(E.EdhocError):  # message_3 again, after completion
        resp.finish(m3)
    with pytest.raises(E.EdhocError):  # message_2 again
        ini.message_3(m2)
    # message_1 replayed to a fresh responder sharing the replay cache
    r2 = E.Responder(E.METHOD_STAT_STAT, [E.SUITE_2], resp.own_cred, resp.own_key, resp.store,
                     seen_g_x=resp.seen_g_x)
    with pytest.raises(E.EdhocError, match="replayed"):
        r2.message_2(m1)
    _no_keys(r2)


def test_unknown_and_wrong_credentials():
    ini, resp = _parties(E.METHOD_STAT_STAT, E.SUITE_2)
    ini.store.remove(resp.own_cred.kid)  # the initiator does not trust the responder
    with pytest.raises(E.EdhocError, match="unknown credential"):
        ini.message_3(resp.message_2(ini.message_1()))
    _no_keys(ini)
    # an impostor using the ground station's kid with its own key
    ini, resp = _parties(E.METHOD_STAT_STAT, E.SUITE_2)
    impostor_key = E.generate_keypair("p256")
    impostor = E.Responder(E.METHOD_STAT_STAT, [E.SUITE_2], resp.own_cred, impostor_key, resp.store)
    with pytest.raises(E.EdhocError, match="MAC_2"):
        ini.message_3(impostor.message_2(ini.message_1()))
    _no_keys(ini, impostor)


@pytest.mark.parametrize("method", E.METHODS)
def test_man_in_the_middle_substituting_an_ephemeral_key(method):
    ini, resp = _parties(method, E.SUITE_2)
    items = E.read_sequence(ini.message_1())
    mallory = E.generate_keypair("p256")
    items[2] = mallory.x_bytes()  # G_X replaced by the attacker's
    forged_m1 = E._seq(*items)
    m2 = resp.message_2(forged_m1)
    with pytest.raises(E.EdhocError):
        ini.message_3(m2)
    _no_keys(ini)
    # and G_Y replaced on the way back
    ini, resp = _parties(method, E.SUITE_2)
    m2 = cbor2.loads(resp.message_2(ini.message_1()))
    forged_m2 = cbor2.dumps(E.generate_keypair("p256").x_bytes() + m2[32:])
    with pytest.raises(E.EdhocError):
        ini.message_3(forged_m2)
    _no_keys(ini)


def test_cipher_suite_downgrade_is_refused():
    # The responder supports both suites; an initiator (or an attacker editing
    # message_1) that lists SM first but selects suite 2 gets an error.
    curve = "p256"
    ki, kr = E.generate_keypair(curve), E.generate_keypair(curve)
    ci, cr = E.make_credential("i", b"\x07", ki), E.make_credential("r", b"\x01", kr)
    store = E.CredentialStore([ci, cr])
    ini = E.Initiator(E.METHOD_STAT_STAT, [E.SUITE_SM, E.SUITE_2], ci, ki, store)
    resp = E.Responder(E.METHOD_STAT_STAT, [E.SUITE_SM, E.SUITE_2], cr, kr, store)
    err = resp.message_2(ini.message_1())
    assert E.read_sequence(err)[0] == E.ERR_WRONG_SUITE
    with pytest.raises(E.EdhocError, match="responder error 2"):
        ini.message_3(err)
    _no_keys(ini, resp)
    # an attacker rewriting SUITES_I in flight changes the transcript: MAC fails
    ini, resp = _parties(E.METHOD_STAT_STAT, E.SUITE_2, resp_suites=[E.SUITE_2])
    items = E.read_sequence(ini.message_1())
    items[1] = [E.SUITE_2]  # was 2; now a list — same selection, different bytes
    with pytest.raises(E.EdhocError):
        ini.message_3(resp.message_2(E._seq(*items)))
    _no_keys(ini)


def test_garbage_never_crashes():
    import random

    rng = random.Random(5)
    for _ in range(300):
        ini, resp = _parties(E.METHOD_STAT_STAT, E.SUITE_2)
        junk = rng.randbytes(rng.randint(0, 120))
        with pytest.raises(CryptoError):
            resp.message_2(junk)
            resp.finish(rng.randbytes(rng.randint(0, 80)))
        ini.message_1()
        with pytest.raises(CryptoError):
            ini.message_3(junk)


def test_sizes_command():
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "protocol", "handshake-sizes"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    rows = [line.split("|")[1:-1] for line in r.stdout.splitlines() if "| message_" in line]
    assert len(rows) == 12  # 3 messages × 2 methods × 2 suites
    assert "54 Mbit/s" in r.stdout
    for row in rows:
        cells = [c.strip() for c in row]
        edhoc_bytes, frame_bytes, at6 = int(cells[3]), int(cells[4]), int(cells[5])
        assert frame_bytes == edhoc_bytes + 9 + 3 + 4  # MAC header, session + message_no, FCS
        # 802.11a at 6 Mbit/s: 20 µs preamble + SIGNAL, 4 µs per 24 data bits (SERVICE + bits + tail)
        assert at6 == 20 + 4 * -(-(16 + 8 * frame_bytes + 6) // 24)


# ----------------------------------------------- a failed party stays failed

MALFORMED_M1 = {
    "not CBOR": b"\xff\xff",
    "too few items": E._seq(3, 2),
    "wrong method": None,  # built from a genuine message_1 below
    "G_X off the curve": None,
    "G_X wrong length": None,
}


def _malformed_m1(kind, method, suite):
    ini, _ = _parties(method, suite)
    items = E.read_sequence(ini.message_1())
    if kind == "wrong method":
        items[0] = 3 - method
    elif kind == "G_X off the curve":
        items[2] = b"\xff" * 32  # above both fields' primes: no point has it
    elif kind == "G_X wrong length":
        items[2] = items[2][:31]
    else:
        return MALFORMED_M1[kind]
    return E._seq(*items)


@pytest.mark.parametrize("method,suite", COMBOS)
@pytest.mark.parametrize("kind", list(MALFORMED_M1))
def test_failed_responder_refuses_every_later_step(method, suite, kind):
    """RFC 9528 §5: a processing error ends the session. A responder whose
    message_2 failed on a malformed message_1 must not answer a genuine
    message_1 afterwards, nor finish, nor release a key."""
    ini, resp = _parties(method, suite)
    with pytest.raises(E.EdhocError):
        resp.message_2(_malformed_m1(kind, method, suite))
    assert resp.failed
    m1 = ini.message_1()
    with pytest.raises(E.EdhocError, match="out of order"):
        resp.message_2(m1)
    with pytest.raises(E.EdhocError, match="out of order"):
        resp.finish(b"\x40")
    _no_keys(resp)
    # and an initiator that failed on message_2 stays failed
    _, resp2 = _parties(method, suite)
    resp2.own_cred, resp2.own_key, resp2.store = resp.own_cred, resp.own_key, resp.store
    m2 = resp2.message_2(m1)
    with pytest.raises(E.EdhocError):
        ini.message_3(m2[:-1] + bytes([m2[-1] ^ 1]))
    with pytest.raises(E.EdhocError, match="out of order"):
        ini.message_3(m2)
    _no_keys(ini)


def test_fork_lets_a_forged_message_fail_without_ending_the_session():
    ini, resp = _parties(E.METHOD_STAT_STAT, E.SUITE_2)
    m2 = resp.message_2(ini.message_1())
    trial = ini.fork()
    with pytest.raises(E.EdhocError):
        trial.message_3(m2[:-1] + bytes([m2[-1] ^ 1]))
    assert trial.failed and not ini.failed
    m3 = ini.message_3(m2)
    trial3 = resp.fork()
    with pytest.raises(E.EdhocError):
        trial3.finish(m3[:-1] + bytes([m3[-1] ^ 1]))
    assert resp.finish(m3) == ini.prk_out


def test_replay_cache_is_a_bounded_lru():
    cache = E.ReplayCache(100)
    keys = [i.to_bytes(32, "big") for i in range(10_000)]
    for k in keys:
        cache.add(k)
        assert len(cache) <= 100
    assert len(cache) == 100 and keys[-1] in cache and keys[-100] in cache and keys[-101] not in cache
    assert keys[-100] in cache  # a lookup refreshes: keys[-100] is now the most recent
    cache.add(b"new")
    assert keys[-100] in cache and keys[-99] not in cache
    ini, _ = _parties(E.METHOD_STAT_STAT, E.SUITE_2)
    resp = E.Responder(E.METHOD_STAT_STAT, [E.SUITE_2], ini.own_cred, ini.own_key, ini.store)
    assert isinstance(resp.seen_g_x, E.ReplayCache) and resp.seen_g_x.capacity == E.REPLAY_CACHE_SIZE


# ------------------------------------------------ credentials by value

class _OneCredential:
    """A resolver that accepts exactly one credential sent by value."""

    def __init__(self, cred):
        self.cred = cred

    def resolve(self, id_cred):
        if id_cred != self.cred.id_cred:
            raise E.EdhocError("not the expected credential")
        return self.cred


@pytest.mark.parametrize("method,suite", COMBOS)
def test_credentials_by_value(method, suite):
    """ID_CRED_x = {14: CCS} (RFC 9528 §3.5.2): the credential travels in
    message_2 / message_3; each side's resolver decides whether to trust it.
    A CredentialStore trusts kids only, never a credential sent by value."""
    curve = E.SUITES[suite].curve
    ki, kr = E.generate_keypair(curve), E.generate_keypair(curve)
    ci = E.make_credential("i", b"\x07", ki)._replace(by_value=E.ID_CRED_KCCS)
    cr = E.make_credential("r", b"\x01", kr)._replace(by_value=E.ID_CRED_KCCS)
    ini = E.Initiator(method, [suite], ci, ki, _OneCredential(cr))
    resp = E.Responder(method, [suite], cr, kr, _OneCredential(ci))
    m2 = resp.message_2(ini.message_1())
    m3 = ini.message_3(m2)
    assert resp.finish(m3) == ini.prk_out and ini.peer_cred == cr and resp.peer_cred == ci
    assert len(m2) > len(cr.raw) and len(m3) > len(ci.raw)  # each credential rides (encrypted) in its message
    ini2 = E.Initiator(method, [suite], ci, ki, E.CredentialStore([cr._replace(by_value=None)]))
    resp2 = E.Responder(method, [suite], cr, kr, _OneCredential(ci))
    with pytest.raises(E.EdhocError, match="only a kid"):
        ini2.message_3(resp2.message_2(ini2.message_1()))
    _no_keys(ini2)


# ---------------------------------------------- typed errors on every input

def _bad_calls():
    ki = E.generate_keypair("p256")
    ci = E.make_credential("i", b"\x07", ki)
    store = E.CredentialStore([ci])
    good = dict(method=E.METHOD_STAT_STAT, suites=[E.SUITE_2], cred=ci, key=ki, store=store)

    def ini(**kw):
        args = {**good, **kw}
        return lambda: E.Initiator(args["method"], args["suites"], args["cred"], args["key"], args["store"],
                                   **{k: v for k, v in kw.items() if k in ("c_i", "ead_1")})

    done_i = E.Initiator(**{k: v for k, v in good.items() if k != "suites"}, suites=[E.SUITE_2])
    done_i.message_1()
    return {
        "generate_keypair(curve='x')": lambda: E.generate_keypair("x"),
        "generate_keypair(curve=None)": lambda: E.generate_keypair(None),
        "keypair_from_private(zero)": lambda: E.keypair_from_private("p256", bytes(32)),
        "keypair_from_private(n)": lambda: E.keypair_from_private("sm2", (E.sm2.SM2P256V1.n - 1).to_bytes(32, "big")),
        "keypair_from_private(str)": lambda: E.keypair_from_private("p256", "00" * 32),
        "keypair_from_private(31 bytes)": lambda: E.keypair_from_private("p256", b"\x01" * 31),
        "ecdh(own=tuple)": lambda: E.ecdh((1, 2), bytes(32)),
        "ecdh(peer_x=str)": lambda: E.ecdh(ki, "00" * 32),
        "ecdh(off-curve)": lambda: E.ecdh(ki, b"\xff" * 32),
        "make_credential(subject=5)": lambda: E.make_credential(5, b"\x01", ki),
        "make_credential(kid=str)": lambda: E.make_credential("s", "01", ki),
        "make_credential(kid empty)": lambda: E.make_credential("s", b"", ki),
        "make_credential(key=None)": lambda: E.make_credential("s", b"\x01", None),
        "parse_credential(str)": lambda: E.parse_credential("a2"),
        "parse_credential(junk)": lambda: E.parse_credential(b"\xa1\x08\x01"),
        "parse_credential(off-curve key)": lambda: E.parse_credential(
            ci.raw.replace(ki.y.to_bytes(32, "big"), bytes(32))),
        "CredentialStore([5])": lambda: E.CredentialStore([5]),
        "CredentialStore(5)": lambda: E.CredentialStore(5),
        "lookup(str)": lambda: store.lookup("07"),
        "resolve(list)": lambda: store.resolve([4, b"\x07"]),
        "Initiator(method=True)": ini(method=True),
        "Initiator(method=0.0)": ini(method=0.0),
        "Initiator(method=1)": ini(method=1),
        "Initiator(suites=[])": ini(suites=[]),
        "Initiator(suites=2)": ini(suites=2),
        "Initiator(suites=[2.0])": ini(suites=[2.0]),
        "Initiator(suites=[99])": ini(suites=[99]),
        "Initiator(suites='2')": ini(suites="2"),
        "Initiator(SM suite, P-256 key)": ini(suites=[E.SUITE_SM]),
        "Initiator(cred=bytes)": ini(cred=ci.raw),
        "Initiator(key=int)": ini(key=5),
        "Initiator(store=dict)": ini(store={}),
        "Initiator(c_i=str)": ini(c_i="7"),
        "Initiator(c_i=b'')": ini(c_i=b""),
        "Initiator(ead_1=object)": ini(ead_1=object()),
        "Responder(seen_g_x=list)": lambda: E.Responder(0, [2], ci, ki, store, seen_g_x=[]),
        "Responder(c_r=int)": lambda: E.Responder(0, [2], ci, ki, store, c_r=5),
        "ReplayCache(0)": lambda: E.ReplayCache(0),
        "ReplayCache(1.5)": lambda: E.ReplayCache(1.5),
        "message_1(ephemeral=SM2 key)": lambda: E.Initiator(0, [2], ci, ki, store).message_1(
            ephemeral=E.generate_keypair("sm2")),
        "message_3(str)": lambda: done_i.fork().message_3("a"),
        "message_3(None)": lambda: done_i.fork().message_3(None),
        "message_2(int)": lambda: E.Responder(0, [2], ci, ki, store).message_2(5),
        "message_2(ephemeral=str)": lambda: E.Responder(0, [2], ci, ki, store).message_2(b"", ephemeral="k"),
        "exporter before completion": lambda: done_i.exporter(0, b"", 16),
        "sign(key=None)": lambda: E.sign(None, b""),
        "sign(data=str)": lambda: E.sign(ki, "x"),
        "verify(sig 63 bytes)": lambda: E.verify("p256", (ki.x, ki.y), b"", bytes(63)),
        "verify(bad public)": lambda: E.verify("p256", None, b"", bytes(64)),
    }


def _completed():
    ini, resp = _parties(E.METHOD_STAT_STAT, E.SUITE_2)
    resp.finish(ini.message_3(resp.message_2(ini.message_1())))
    return ini


@pytest.mark.parametrize("case", list(_bad_calls()))
def test_every_bad_argument_raises_edhoc_error(case):
    with pytest.raises(E.EdhocError):
        _bad_calls()[case]()


@pytest.mark.parametrize("args", [(-1, b"", 16), (True, b"", 16), (1.0, b"", 16), (0, "ctx", 16), (0, b"", 0),
                                  (0, b"", True), (0, b"", 16.0), (0, b"", 10**6), (2**16, b"", 16)])
def test_exporter_arguments_are_checked(args):
    with pytest.raises(E.EdhocError):
        _completed().exporter(*args)


# ------------------------------------- hostile values in every public input

def _sweep_entries():
    """(label, callable, good arguments, kinds) for every public function and
    method of crypto.edhoc (tests/typed_inputs.py); methods on fresh parties."""
    from typed_inputs import BYTES, INT, NONE, TEXT

    k = E.generate_keypair("p256")
    c = E.make_credential("r", b"\x01", k)
    store = E.CredentialStore([c])
    m1 = E.Initiator(0, [2], c, k, store).message_1()
    sig = E.sign(k, b"m")
    key_like = ("KeyPair", lambda v: False)
    cred_like = ("Credential", lambda v: False)

    def initiator():
        return E.Initiator(0, [2], c, k, store)

    def waiting_initiator():
        i = initiator()
        i.message_1()
        return i

    def waiting_responder():
        r = E.Responder(0, [2], c, k, store)
        r.message_2(E.Initiator(0, [2], c, k, store).message_1())
        return r

    done = _completed()
    party = {"method": 0, "suites": [2], "cred": c, "key": k, "store": store}
    party_kinds = {"method": INT, "suites": NONE, "cred": cred_like, "key": key_like, "store": NONE}
    return [
        ("generate_keypair", E.generate_keypair, {"curve": "p256"}, {"curve": TEXT}),
        ("check_keypair", E.check_keypair, {"key": k, "curve": "p256"},
         {"key": key_like, "curve": ("str or None", lambda v: v is None or isinstance(v, str))}),
        ("keypair_from_private", E.keypair_from_private, {"curve": "sm2", "private": b"\x01" * 32},
         {"curve": TEXT, "private": BYTES}),
        ("ecdh", E.ecdh, {"own": k, "peer_x": c.x.to_bytes(32, "big")}, {"own": key_like, "peer_x": BYTES}),
        ("sign", E.sign, {"key": k, "data": b"m"}, {"key": key_like, "data": BYTES}),
        ("verify", E.verify, {"curve": "p256", "public": (k.x, k.y), "data": b"m", "sig": sig},
         {"curve": TEXT, "public": NONE, "data": BYTES, "sig": BYTES}),
        ("on_curve", E.on_curve, {"curve": "p256", "x": k.x, "y": k.y}, {"curve": TEXT, "x": INT, "y": INT}),
        ("make_credential", E.make_credential, {"subject": "s", "kid": b"\x01", "key": k},
         {"subject": TEXT, "kid": BYTES, "key": key_like}),
        ("cose_key", E.cose_key, {"kid": b"\x01", "curve": "p256", "x": k.x, "y": k.y},
         {"kid": BYTES, "curve": TEXT, "x": INT, "y": INT}),
        ("parse_cose_key", E.parse_cose_key, {"key": E.cose_key(b"\x01", "p256", k.x, k.y)}, {"key": NONE}),
        ("parse_credential", E.parse_credential, {"raw": c.raw}, {"raw": BYTES}),
        ("read_sequence", E.read_sequence, {"data": m1}, {"data": BYTES}),
        ("CredentialStore", E.CredentialStore, {"creds": [c]},
         {"creds": ("list, tuple or set", lambda v: isinstance(v, (list, tuple, set, frozenset)))}),
        ("CredentialStore.add", lambda cred: E.CredentialStore().add(cred), {"cred": c}, {"cred": cred_like}),
        ("CredentialStore.remove", store.remove, {"kid": b"\x09"}, {"kid": BYTES}),
        ("CredentialStore.lookup", store.lookup, {"kid": b"\x01"}, {"kid": BYTES}),
        ("CredentialStore.resolve", store.resolve, {"id_cred": {4: b"\x01"}}, {"id_cred": NONE}),
        ("ReplayCache", E.ReplayCache, {"capacity": 4}, {"capacity": INT}),
        ("ReplayCache.add", E.ReplayCache(4).add, {"key": b"k"}, {"key": BYTES}),
        ("Initiator", E.Initiator, {**party, "c_i": b"\x37", "ead_1": None},
         {**party_kinds, "c_i": BYTES, "ead_1": ("CBOR-encodable", lambda v: True)}),
        ("Initiator.message_1", lambda ephemeral: initiator().message_1(ephemeral=ephemeral),
         {"ephemeral": None}, {"ephemeral": ("KeyPair or None", lambda v: v is None)}),
        ("Initiator.message_3", lambda message_2: waiting_initiator().message_3(message_2),
         {"message_2": b"\x40"}, {"message_2": BYTES}),
        ("Responder", E.Responder, {**party, "c_r": b"\x27", "seen_g_x": None},
         {**party_kinds, "c_r": BYTES, "seen_g_x": ("ReplayCache, set or None", lambda v: v is None)}),
        ("Responder.message_2", lambda message_1, ephemeral: E.Responder(0, [2], c, k, store).message_2(
            message_1, ephemeral=ephemeral), {"message_1": m1, "ephemeral": None},
         {"message_1": BYTES, "ephemeral": ("KeyPair or None", lambda v: v is None)}),
        ("Responder.finish", lambda message_3: waiting_responder().finish(message_3), {"message_3": b"\x40"},
         {"message_3": BYTES}),
        ("exporter", done.exporter, {"label": 0, "context": b"", "length": 16},
         {"label": INT, "context": BYTES, "length": INT}),
    ]


SWEEP_EXCLUDED = {
    "EdhocError": "the error type itself: any message is a valid argument",
    "KeyPair": "a record (NamedTuple); every function taking one checks its fields",
    "Credential": "a record (NamedTuple); every function taking one checks its fields",
    "Suite": "a constant table's record type: nothing takes one from a caller",
}


@pytest.mark.parametrize("entry", _sweep_entries(), ids=lambda e: e[0])
def test_hostile_values_raise_only_edhoc_error(entry):
    """Every hostile value (tests/hostile.py: wrong types, NaN/inf, bools,
    huge and 5,000-deep values) in every argument: a result or EdhocError,
    never another exception; each argument refuses every value of a type it
    does not take."""
    from typed_inputs import check_entry

    tried, refused = check_entry(entry, E.EdhocError)
    print(f"edhoc.{entry[0]}: tried {tried}, refused {refused}")


def test_every_public_function_and_method_is_swept():
    """A new public function, class or method of crypto.edhoc fails here
    until it has a sweep entry (or a justified exclusion). ``exporter`` and
    ``fork`` live on the roles' shared base class; exporter is swept."""
    from typed_inputs import public_api, swept_names

    public = public_api(E, SWEEP_EXCLUDED)
    swept = swept_names(_sweep_entries()) - {"exporter"}
    assert public == swept, f"not swept {public - swept}, stale {swept - public}"


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_junk_anywhere_raises_only_edhoc_error(data):
    """Hypothesis: nested junk (tests/typed_inputs.junk) in one argument of
    one public EDHOC call: a result or EdhocError, nothing else."""
    from typed_inputs import junk_call

    junk_call(data, SWEEP, E.EdhocError)


SWEEP = _sweep_entries()
