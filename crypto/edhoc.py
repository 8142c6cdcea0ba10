"""EDHOC, Ephemeral Diffie-Hellman Over COSE (RFC 9528): initiator and
responder for methods 0 (signature both sides) and 3 (static DH both sides),
cipher suite 2 (AES-CCM-16-64-128, SHA-256, P-256, ES256) and a private-use
ShangMi suite -24 (SM4-CCM-16-64-128, SM3, SM2-curve ECDH, SM2 signatures).

Credentials are CWT claims sets (CCS, RFC 8392) holding a COSE_Key and are
identified by key id (ID_CRED_x = {4: kid}); a peer's credential is looked
up by kid in a :class:`CredentialStore`. Ephemeral and static public keys go
on the wire as x-coordinates (RFC 9528 compact representation).

Every failure — parse error, unknown credential, MAC, signature or AEAD
failure, replay, state misuse, suite mismatch — raises :class:`EdhocError`
(a ``CryptoError``) and releases no key: ``prk_out`` and the exporter exist
only after the last message verified.
"""

import io
import secrets
from typing import NamedTuple

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from crypto import kdf, modes, sm2
from crypto.aes import AES
from crypto.errors import AuthenticationError, CryptoError
from crypto.sm4 import SM4

METHOD_SIG_SIG = 0
METHOD_STAT_STAT = 3
METHODS = (METHOD_SIG_SIG, METHOD_STAT_STAT)
SUITE_2 = 2
SUITE_SM = -24  # private use (RFC 9528 §10.2): SM4-CCM-16-64-128, SM3, SM2 curve, SM2 signatures
LABEL_KEYSTREAM_2, LABEL_SALT_3E2M, LABEL_MAC_2, LABEL_K_3, LABEL_IV_3 = 0, 1, 2, 3, 4
LABEL_SALT_4E3M, LABEL_MAC_3, LABEL_PRK_OUT, LABEL_PRK_EXPORTER = 5, 6, 7, 10
ERR_UNSPECIFIED, ERR_WRONG_SUITE = 1, 2


class EdhocError(CryptoError):
    """A handshake that cannot go on; the message says why. No key is released."""


class Suite(NamedTuple):
    id: int
    hash_name: str
    hash_len: int
    key_len: int
    iv_len: int
    mac_len: int  # EDHOC MAC length (static DH methods)
    tag_len: int  # AEAD tag length
    cipher: type
    curve: str  # "p256" | "sm2"


SUITES = {
    SUITE_2: Suite(SUITE_2, "sha256", 32, 16, 13, 8, 8, AES, "p256"),
    SUITE_SM: Suite(SUITE_SM, "sm3", 32, 16, 13, 8, 8, SM4, "sm2"),
}
COSE_CRV = {"p256": 1, "sm2": -24}  # -24: private use for the SM2 curve


# ------------------------------------------------------------------ curves

class KeyPair(NamedTuple):
    """A private scalar and its public point (x, y), on ``curve``."""

    curve: str
    private: int
    x: int
    y: int

    def x_bytes(self) -> bytes:
        return self.x.to_bytes(32, "big")


def generate_keypair(curve: str) -> KeyPair:
    if curve == "p256":
        k = ec.generate_private_key(ec.SECP256R1())
        n = k.public_key().public_numbers()
        return KeyPair("p256", k.private_numbers().private_value, n.x, n.y)
    d, (x, y) = sm2.generate_keypair(sm2.SM2P256V1)
    return KeyPair("sm2", d, x, y)


def keypair_from_private(curve: str, private: bytes) -> KeyPair:
    d = int.from_bytes(private, "big")
    if curve == "p256":
        n = ec.derive_private_key(d, ec.SECP256R1()).public_key().public_numbers()
        return KeyPair("p256", d, n.x, n.y)
    x, y = sm2.multiply(sm2.SM2P256V1, d, sm2.generator(sm2.SM2P256V1))
    return KeyPair("sm2", d, x, y)


def ecdh(own: KeyPair, peer_x: bytes) -> bytes:
    """x-coordinate of own·P, with P recovered from its x-coordinate (either y
    gives the same shared x)."""
    if not isinstance(peer_x, bytes) or len(peer_x) != 32:
        raise EdhocError("public key must be a 32-byte x-coordinate")
    try:
        if own.curve == "p256":
            peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x02" + peer_x)
            priv = ec.derive_private_key(own.private, ec.SECP256R1())
            return priv.exchange(ec.ECDH(), peer)
        pt = sm2.decompress(sm2.SM2P256V1, int.from_bytes(peer_x, "big"))
        return sm2.ecdh(sm2.SM2P256V1, own.private, pt)
    except (ValueError, CryptoError) as exc:
        raise EdhocError(f"invalid public key: {exc}") from None


def _sign(suite: Suite, key: KeyPair, data: bytes) -> bytes:
    if suite.curve == "p256":
        der = ec.derive_private_key(key.private, ec.SECP256R1()).sign(data, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return sm2.signature_bytes(sm2.SM2P256V1, sm2.sign(sm2.SM2P256V1, key.private, data))


def _verify(suite: Suite, cred: "Credential", data: bytes, sig: bytes) -> None:
    if len(sig) != 64:
        raise EdhocError("signature must be 64 bytes")
    try:
        if suite.curve == "p256":
            pub = ec.EllipticCurvePublicNumbers(cred.x, cred.y, ec.SECP256R1()).public_key()
            pub.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")),
                       data, ec.ECDSA(hashes.SHA256()))
        else:
            sm2.verify(sm2.SM2P256V1, (cred.x, cred.y), data, sm2.signature_from_bytes(sm2.SM2P256V1, sig))
    except Exception:
        raise EdhocError("signature does not verify") from None


# ------------------------------------------------------------- credentials

class Credential(NamedTuple):
    """A CCS credential: ``raw`` is its CBOR encoding (CRED_x, used as is)."""

    raw: bytes
    kid: bytes
    curve: str
    x: int
    y: int
    subject: str

    @property
    def id_cred(self) -> dict:
        return {4: self.kid}


def make_credential(subject: str, kid: bytes, key: KeyPair) -> Credential:
    """CCS {2: subject, 8: {1: COSE_Key{1: EC2, 2: kid, -1: crv, -2: x, -3: y}}}."""
    cose_key = {1: 2, 2: kid, -1: COSE_CRV[key.curve], -2: key.x.to_bytes(32, "big"),
                -3: key.y.to_bytes(32, "big")}
    raw = cbor2.dumps({2: subject, 8: {1: cose_key}})
    return Credential(raw, kid, key.curve, key.x, key.y, subject)


def parse_credential(raw: bytes) -> Credential:
    try:
        ccs = cbor2.loads(raw)
        key = ccs[8][1]
        crv = {v: k for k, v in COSE_CRV.items()}[key[-1]]
        return Credential(raw, bytes(key[2]), crv, int.from_bytes(key[-2], "big"),
                          int.from_bytes(key[-3], "big"), str(ccs.get(2, "")))
    except Exception as exc:
        raise EdhocError(f"not a CCS credential with an EC2 COSE_Key: {exc}") from None


class CredentialStore:
    """Trusted credentials by kid (what the fleet authority issued)."""

    def __init__(self, creds=()):
        self._by_kid = {}
        for c in creds:
            self.add(c)

    def add(self, cred: Credential) -> None:
        self._by_kid[cred.kid] = cred

    def remove(self, kid: bytes) -> None:
        self._by_kid.pop(kid, None)

    def lookup(self, kid: bytes) -> Credential:
        try:
            return self._by_kid[kid]
        except KeyError:
            raise EdhocError(f"unknown credential kid {kid.hex()}") from None

    def __contains__(self, kid) -> bool:
        return kid in self._by_kid


# ------------------------------------------------------------------- CBOR

def _seq(*items) -> bytes:
    """A CBOR sequence: the items' encodings one after another."""
    return b"".join(cbor2.dumps(i) for i in items)


def _read_seq(data: bytes) -> list:
    """Decode a CBOR sequence (EdhocError on anything malformed)."""
    if not isinstance(data, (bytes, bytearray)):
        raise EdhocError("message must be bytes")
    s = io.BytesIO(bytes(data))
    out = []
    try:
        while s.tell() < len(data):
            out.append(cbor2.CBORDecoder(s).decode())
    except Exception as exc:
        raise EdhocError(f"malformed CBOR: {exc}") from None
    return out


def _conn_id_encode(cid: bytes):
    """A 1-byte identifier that is itself a CBOR int encoding goes as that int."""
    if len(cid) == 1 and (cid[0] <= 0x17 or 0x20 <= cid[0] <= 0x37):
        return cbor2.loads(cid)
    return cid


def _conn_id_decode(v) -> bytes:
    if isinstance(v, int) and -24 <= v <= 23:
        return cbor2.dumps(v)
    if isinstance(v, bytes):
        return v
    raise EdhocError("connection identifier must be a bstr or a one-byte int")


def _id_cred_compact(kid: bytes):
    return _conn_id_encode(kid)  # RFC 9528 §3.5.3.2: only kid → the kid itself


def _kid_from_compact(v) -> bytes:
    if isinstance(v, dict):
        if 4 not in v or not isinstance(v[4], bytes):
            raise EdhocError("ID_CRED without a kid is not supported")
        return v[4]
    return _conn_id_decode(v)


# ---------------------------------------------------------------- key schedule

class _Schedule:
    def __init__(self, suite: Suite):
        self.suite = suite

    def hash(self, data: bytes) -> bytes:
        return kdf.digest(self.suite.hash_name, data)

    def extract(self, salt: bytes, ikm: bytes) -> bytes:
        return kdf.hmac(self.suite.hash_name, salt, ikm)

    def kdf(self, prk: bytes, label: int, context: bytes, length: int) -> bytes:
        return kdf.hkdf_expand(self.suite.hash_name, prk, _seq(label, context, length), length)


def _sig_structure(id_cred: dict, th: bytes, cred: bytes, ead, mac: bytes) -> bytes:
    ext = cbor2.dumps(th) + cred + (_seq(*ead) if ead else b"")
    return cbor2.dumps(["Signature1", cbor2.dumps(id_cred), ext, mac])


def _enc_aad(th: bytes) -> bytes:
    return cbor2.dumps(["Encrypt0", b"", th])


class _Party:
    """State shared by both roles."""

    def __init__(self, method: int, suites, own_cred: Credential, own_key: KeyPair, store: CredentialStore):
        if method not in METHODS:
            raise EdhocError(f"method {method} not supported (0 and 3 are)")
        for s in suites:
            if s not in SUITES:
                raise EdhocError(f"cipher suite {s} not supported")
        self.method = method
        self.suites = list(suites)
        self.own_cred = own_cred
        self.own_key = own_key
        self.store = store
        self._prk_out = None
        self._state = "start"
        self.peer_cred = None

    def _expect(self, state):
        if self._state != state:
            raise EdhocError(f"message out of order (state {self._state}, expected {state})")

    def _fail(self, why: str):
        self._state = "failed"
        self._prk_out = None
        raise EdhocError(why)

    def _step(self, state: str, fn, message: bytes):
        """Run one protocol step from ``state``; any failure ends the
        handshake for good (state failed, no key)."""
        self._expect(state)
        try:
            return fn(message)
        except EdhocError as exc:
            self._fail(str(exc))

    @property
    def failed(self) -> bool:
        return self._state == "failed"

    @property
    def prk_out(self) -> bytes:
        if self._prk_out is None:
            raise EdhocError("handshake not complete: no key")
        return self._prk_out

    def exporter(self, label: int, context: bytes, length: int) -> bytes:
        """EDHOC_Exporter (RFC 9528 §4.2.1)."""
        sch = _Schedule(self.suite)
        prk_exporter = sch.kdf(self.prk_out, LABEL_PRK_EXPORTER, b"", self.suite.hash_len)
        return sch.kdf(prk_exporter, label, context, length)

    def _mac_len(self, signs: bool) -> int:
        return self.suite.hash_len if signs else self.suite.mac_len


class Initiator(_Party):
    def __init__(self, method, suites, cred: Credential, key: KeyPair, store: CredentialStore, *,
                 c_i: bytes = b"\x37", ead_1=None):
        super().__init__(method, suites, cred, key, store)
        self.suite = SUITES[self.suites[-1]]
        self.c_i = c_i
        self.ead_1 = ead_1

    def message_1(self, *, ephemeral: KeyPair | None = None) -> bytes:
        self._expect("start")
        self.x = ephemeral or generate_keypair(self.suite.curve)
        suites = self.suites[0] if len(self.suites) == 1 else self.suites
        self.m1 = _seq(self.method, suites, self.x.x_bytes(), _conn_id_encode(self.c_i),
                       *([self.ead_1] if self.ead_1 is not None else []))
        self._state = "wait_2"
        return self.m1

    def message_3(self, message_2: bytes) -> bytes:
        """Process message_2 and produce message_3; after it the key is ready."""
        return self._step("wait_2", self._message_3, message_2)

    def _message_3(self, message_2: bytes) -> bytes:
        sch = _Schedule(self.suite)
        items = _read_seq(message_2)
        if len(items) == 2 and items[0] in (ERR_UNSPECIFIED, ERR_WRONG_SUITE):
            raise EdhocError(f"responder error {items[0]}: {items[1]!r}")
        if len(items) != 1 or not isinstance(items[0], bytes) or len(items[0]) <= 32:
            raise EdhocError("message_2 must be one bstr G_Y || CIPHERTEXT_2")
        g_y, ct2 = items[0][:32], items[0][32:]
        th2 = sch.hash(_seq(g_y, sch.hash(self.m1)))
        g_xy = ecdh(self.x, g_y)
        prk_2e = sch.extract(th2, g_xy)
        pt2 = bytes(a ^ b for a, b in zip(ct2, sch.kdf(prk_2e, LABEL_KEYSTREAM_2, th2, len(ct2)), strict=True))
        fields = _read_seq(pt2)
        if len(fields) not in (3, 4):
            raise EdhocError("PLAINTEXT_2 must hold C_R, ID_CRED_R, Signature_or_MAC_2")
        c_r = _conn_id_decode(fields[0])
        cred_r = self.store.lookup(_kid_from_compact(fields[1]))
        sig_or_mac_2 = fields[2]
        ead_2 = fields[3:] or None
        if not isinstance(sig_or_mac_2, bytes) or cred_r.curve != self.suite.curve:
            raise EdhocError("bad Signature_or_MAC_2 or credential curve")
        if self.method == METHOD_STAT_STAT:
            salt = sch.kdf(prk_2e, LABEL_SALT_3E2M, th2, self.suite.hash_len)
            prk_3e2m = sch.extract(salt, ecdh(self.x, cred_r.x.to_bytes(32, "big")))
        else:
            prk_3e2m = prk_2e
        ctx2 = _seq(fields[0], cred_r.id_cred, th2) + cred_r.raw + (_seq(*ead_2) if ead_2 else b"")
        signs = self.method == METHOD_SIG_SIG
        mac_2 = sch.kdf(prk_3e2m, LABEL_MAC_2, ctx2, self._mac_len(signs))
        if signs:
            _verify(self.suite, cred_r, _sig_structure(cred_r.id_cred, th2, cred_r.raw, ead_2, mac_2),
                    sig_or_mac_2)
        elif not secrets.compare_digest(mac_2, sig_or_mac_2):
            raise EdhocError("MAC_2 does not verify")
        self.peer_cred, self.c_r = cred_r, c_r
        th3 = sch.hash(cbor2.dumps(th2) + pt2 + cred_r.raw)
        if self.method == METHOD_STAT_STAT:
            salt4 = sch.kdf(prk_3e2m, LABEL_SALT_4E3M, th3, self.suite.hash_len)
            prk_4e3m = sch.extract(salt4, ecdh(self.own_key, g_y))
        else:
            prk_4e3m = prk_3e2m
        ctx3 = _seq(self.own_cred.id_cred, th3) + self.own_cred.raw
        mac_3 = sch.kdf(prk_4e3m, LABEL_MAC_3, ctx3, self._mac_len(signs))
        sig_or_mac_3 = _sign(self.suite, self.own_key, _sig_structure(self.own_cred.id_cred, th3,
                                                                      self.own_cred.raw, None, mac_3)) \
            if signs else mac_3
        pt3 = _seq(_id_cred_compact(self.own_cred.kid), sig_or_mac_3)
        k3 = sch.kdf(prk_3e2m, LABEL_K_3, th3, self.suite.key_len)
        iv3 = sch.kdf(prk_3e2m, LABEL_IV_3, th3, self.suite.iv_len)
        ct3, tag = modes.ccm_encrypt(self.suite.cipher(k3), iv3, pt3, _enc_aad(th3), self.suite.tag_len)
        th4 = sch.hash(cbor2.dumps(th3) + pt3 + self.own_cred.raw)
        self._prk_out = sch.kdf(prk_4e3m, LABEL_PRK_OUT, th4, self.suite.hash_len)
        self._state = "done"
        return cbor2.dumps(ct3 + tag)


class Responder(_Party):
    def __init__(self, method, suites, cred: Credential, key: KeyPair, store: CredentialStore, *,
                 c_r: bytes = b"\x27", seen_g_x: set | None = None):
        super().__init__(method, suites, cred, key, store)
        self.c_r = c_r
        self.seen_g_x = seen_g_x if seen_g_x is not None else set()  # replayed message_1 detection

    def message_2(self, message_1: bytes, *, ephemeral: KeyPair | None = None) -> bytes:
        """Process message_1; returns message_2, or an EDHOC error message for
        a suite it will not use (and then raises nothing: send it back)."""
        self._expect("start")
        items = _read_seq(message_1)
        try:
            if len(items) not in (4, 5):
                raise EdhocError("message_1 must hold METHOD, SUITES_I, G_X, C_I")
            method, suites_i, g_x, c_i = items[:4]
            if method != self.method:
                raise EdhocError(f"method {method} not accepted (expected {self.method})")
            suites_i = suites_i if isinstance(suites_i, list) else [suites_i]
            if not suites_i or not all(isinstance(s, int) for s in suites_i):
                raise EdhocError("SUITES_I malformed")
            if not isinstance(g_x, bytes) or len(g_x) != 32:
                raise EdhocError("G_X must be a 32-byte x-coordinate")
            self.c_i = _conn_id_decode(c_i)
        except EdhocError as exc:
            self._fail(str(exc))
        selected = suites_i[-1]
        earlier_supported = [s for s in suites_i[:-1] if s in self.suites]
        if selected not in self.suites or earlier_supported:
            # RFC 9528 §6.3: wrong selected suite (or a preferred one we support
            # was skipped: a downgrade attempt); answer with our suites.
            self._state = "failed"
            return _seq(ERR_WRONG_SUITE, self.suites if len(self.suites) > 1 else self.suites[0])
        if g_x in self.seen_g_x:
            self._fail("replayed message_1 (ephemeral key seen before)")
        self.seen_g_x.add(g_x)
        self.suite = SUITES[selected]
        sch = _Schedule(self.suite)
        self.y = ephemeral or generate_keypair(self.suite.curve)
        g_y = self.y.x_bytes()
        th2 = sch.hash(_seq(g_y, sch.hash(message_1)))
        g_xy = ecdh(self.y, g_x)
        prk_2e = sch.extract(th2, g_xy)
        if self.method == METHOD_STAT_STAT:
            salt = sch.kdf(prk_2e, LABEL_SALT_3E2M, th2, self.suite.hash_len)
            prk_3e2m = sch.extract(salt, ecdh(self.own_key, g_x))
        else:
            prk_3e2m = prk_2e
        signs = self.method == METHOD_SIG_SIG
        c_r_enc = _conn_id_encode(self.c_r)
        ctx2 = _seq(c_r_enc, self.own_cred.id_cred, th2) + self.own_cred.raw
        mac_2 = sch.kdf(prk_3e2m, LABEL_MAC_2, ctx2, self._mac_len(signs))
        sig_or_mac_2 = _sign(self.suite, self.own_key, _sig_structure(self.own_cred.id_cred, th2,
                                                                      self.own_cred.raw, None, mac_2)) \
            if signs else mac_2
        pt2 = _seq(c_r_enc, _id_cred_compact(self.own_cred.kid), sig_or_mac_2)
        ct2 = bytes(a ^ b for a, b in zip(pt2, sch.kdf(prk_2e, LABEL_KEYSTREAM_2, th2, len(pt2)), strict=True))
        self._th3 = sch.hash(cbor2.dumps(th2) + pt2 + self.own_cred.raw)
        self._prk_3e2m = prk_3e2m
        self._state = "wait_3"
        return cbor2.dumps(g_y + ct2)

    def finish(self, message_3: bytes) -> bytes:
        """Process message_3; returns PRK_out (the handshake is then complete)."""
        return self._step("wait_3", self._finish, message_3)

    def _finish(self, message_3: bytes) -> bytes:
        sch = _Schedule(self.suite)
        items = _read_seq(message_3)
        if len(items) != 1 or not isinstance(items[0], bytes):
            raise EdhocError("message_3 must be one bstr CIPHERTEXT_3")
        th3 = self._th3
        k3 = sch.kdf(self._prk_3e2m, LABEL_K_3, th3, self.suite.key_len)
        iv3 = sch.kdf(self._prk_3e2m, LABEL_IV_3, th3, self.suite.iv_len)
        blob = items[0]
        if len(blob) < self.suite.tag_len:
            raise EdhocError("CIPHERTEXT_3 shorter than its tag")
        try:
            pt3 = modes.ccm_decrypt(self.suite.cipher(k3), iv3, blob[:-self.suite.tag_len],
                                    blob[-self.suite.tag_len:], _enc_aad(th3))
        except AuthenticationError:
            raise EdhocError("message_3 does not decrypt (AEAD tag)") from None
        fields = _read_seq(pt3)
        if len(fields) not in (2, 3):
            raise EdhocError("PLAINTEXT_3 must hold ID_CRED_I, Signature_or_MAC_3")
        cred_i = self.store.lookup(_kid_from_compact(fields[0]))
        sig_or_mac_3 = fields[1]
        ead_3 = fields[2:] or None
        if not isinstance(sig_or_mac_3, bytes) or cred_i.curve != self.suite.curve:
            raise EdhocError("bad Signature_or_MAC_3 or credential curve")
        if self.method == METHOD_STAT_STAT:
            salt4 = sch.kdf(self._prk_3e2m, LABEL_SALT_4E3M, th3, self.suite.hash_len)
            prk_4e3m = sch.extract(salt4, ecdh(self.y, cred_i.x.to_bytes(32, "big")))
        else:
            prk_4e3m = self._prk_3e2m
        signs = self.method == METHOD_SIG_SIG
        ctx3 = _seq(cred_i.id_cred, th3) + cred_i.raw + (_seq(*ead_3) if ead_3 else b"")
        mac_3 = sch.kdf(prk_4e3m, LABEL_MAC_3, ctx3, self._mac_len(signs))
        if signs:
            _verify(self.suite, cred_i, _sig_structure(cred_i.id_cred, th3, cred_i.raw, ead_3, mac_3), sig_or_mac_3)
        elif not secrets.compare_digest(mac_3, sig_or_mac_3):
            raise EdhocError("MAC_3 does not verify")
        th4 = sch.hash(cbor2.dumps(th3) + pt3 + cred_i.raw)
        self.peer_cred = cred_i
        self._prk_out = sch.kdf(prk_4e3m, LABEL_PRK_OUT, th4, self.suite.hash_len)
        self._state = "done"
        return self._prk_out

