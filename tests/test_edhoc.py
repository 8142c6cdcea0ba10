"""EDHOC (RFC 9528): interoperability with lakers-python, every method and
suite, and the attacks that must fail cleanly (typed error, no key)."""

import copy

import cbor2
import lakers
import pytest

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
    items = E._read_seq(ini.message_1())
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
    assert E._read_seq(err)[0] == E.ERR_WRONG_SUITE
    with pytest.raises(E.EdhocError, match="responder error 2"):
        ini.message_3(err)
    _no_keys(ini, resp)
    # an attacker rewriting SUITES_I in flight changes the transcript: MAC fails
    ini, resp = _parties(E.METHOD_STAT_STAT, E.SUITE_2, resp_suites=[E.SUITE_2])
    items = E._read_seq(ini.message_1())
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
