"""EDHOC, Ephemeral Diffie-Hellman Over COSE (RFC 9528): initiator and
responder for methods 0 (signature both sides) and 3 (static DH both sides),
cipher suite 2 (AES-CCM-16-64-128, SHA-256, P-256, ES256) and a private-use
ShangMi suite -24 (SM4-CCM-16-64-128, SM3, SM2-curve ECDH, SM2 signatures).

Credentials are CWT claims sets (CCS, RFC 8392) holding a COSE_Key,
identified by key id (ID_CRED_x = {4: kid}, sent in the compact form of RFC
9528 §3.5.3.2) or sent by value (ID_CRED_x = {13: CWT} or {14: CCS}, RFC 9528
§3.5.2: then CRED_x is that CWT or CCS). The peer's ID_CRED_x is turned into
a credential by the party's *resolver* (``resolve(id_cred) -> Credential``):
a :class:`CredentialStore` looks kids up among the credentials it trusts; a
caller that verifies credentials sent by value (an authority's signed CWT)
gives its own resolver, which refuses by raising :class:`EdhocError`.
Ephemeral and static public keys go on the wire as x-coordinates (RFC 9528
compact representation).

Every failure — parse error, unknown credential, MAC, signature or AEAD
failure, replay, state misuse, suite mismatch — raises :class:`EdhocError`
(a ``CryptoError``) and releases no key: ``prk_out`` and the exporter exist
only after the last message verified. A failed party stays failed: every
later step raises (a new handshake needs a new party). Every argument of the
public API is checked and a bad one raises :class:`EdhocError` naming it.

The responder remembers the G_X of the message_1 it answered (a replayed
message_1 is refused) in a :class:`ReplayCache` of bounded size (least
recently seen key forgotten first), so a flood of message_1 cannot grow it.
:meth:`_Party.fork` copies a party in progress so that a caller on an
unauthenticated medium can try a message that may be forged without letting
its failure end the genuine session.
"""

import collections
import copy
import io
import secrets
from typing import NamedTuple

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

import argcheck
from crypto import kdf, sm2
from crypto.aead import CCMStar
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
ID_CRED_KID, ID_CRED_KCWT, ID_CRED_KCCS = 4, 13, 14  # COSE header labels (RFC 9052 §3.1, RFC 9528 §10.6)
BY_VALUE = (ID_CRED_KCWT, ID_CRED_KCCS)
CURVES = ("p256", "sm2")
MAX_CONN_ID = 64  # bytes of a connection identifier we accept
REPLAY_CACHE_SIZE = 1024  # G_X a responder remembers by default


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
_CCM_CIPHER = {AES: "aes", SM4: "sm4"}  # Suite.cipher -> crypto.aead.CCMStar cipher name


# ------------------------------------------------------------------ curves

class KeyPair(NamedTuple):
    """A private scalar and its public point (x, y), on ``curve``."""

    curve: str
    private: int
    x: int
    y: int

    def x_bytes(self) -> bytes:
        return self.x.to_bytes(32, "big")


_P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # SEC 2 v2, 2.4.2


def _curve(curve) -> str:
    return argcheck.one_of(curve, "curve", EdhocError, CURVES)


def check_keypair(key, name: str = "key", curve: str | None = None) -> KeyPair:
    """``key`` if it is a KeyPair of well-formed fields (on ``curve`` if
    given), else EdhocError naming ``name``."""
    if not isinstance(key, KeyPair) or key.curve not in CURVES:
        raise EdhocError(f"{name} must be a KeyPair on p256 or sm2, got {type(key).__name__}")
    top = _P256_N - 1 if key.curve == "p256" else sm2.SM2P256V1.n - 2
    argcheck.integer(key.private, f"{name}.private", EdhocError, lo=1, hi=top)
    for v, n in ((key.x, "x"), (key.y, "y")):
        argcheck.integer(v, f"{name}.{n}", EdhocError, lo=0, hi=2**256 - 1)
    if curve is not None and key.curve != _curve(curve):
        raise EdhocError(f"{name} is on curve {key.curve!r}, {curve!r} is needed")
    return key


def generate_keypair(curve: str) -> KeyPair:
    """A fresh key pair on ``curve`` ("p256" or "sm2")."""
    if _curve(curve) == "p256":
        k = ec.generate_private_key(ec.SECP256R1())
        n = k.public_key().public_numbers()
        return KeyPair("p256", k.private_numbers().private_value, n.x, n.y)
    d, (x, y) = sm2.generate_keypair(sm2.SM2P256V1)
    return KeyPair("sm2", d, x, y)


def keypair_from_private(curve: str, private: bytes) -> KeyPair:
    """The key pair of a 32-byte big-endian private scalar (in [1, n-1] for
    P-256, [1, n-2] for SM2: GB/T 32918.1 6.1)."""
    curve = _curve(curve)
    d = int.from_bytes(argcheck.byteslike(private, "private", EdhocError, length=32), "big")
    top = _P256_N - 1 if curve == "p256" else sm2.SM2P256V1.n - 2
    if not 1 <= d <= top:
        raise EdhocError(f"private key out of range [1, {'n-1' if curve == 'p256' else 'n-2'}]")
    if curve == "p256":
        n = ec.derive_private_key(d, ec.SECP256R1()).public_key().public_numbers()
        return KeyPair("p256", d, n.x, n.y)
    x, y = sm2.multiply(sm2.SM2P256V1, d, sm2.generator(sm2.SM2P256V1))
    return KeyPair("sm2", d, x, y)


def _point_of_x(curve: str, x: bytes):
    """The public key (a ``cryptography`` key for P-256, a point for SM2)
    whose x-coordinate is ``x``; EdhocError if no point of ``curve`` has it."""
    try:
        if curve == "p256":
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x02" + x)
        return sm2.decompress(sm2.SM2P256V1, int.from_bytes(x, "big"))
    except (ValueError, CryptoError) as exc:
        raise EdhocError(f"invalid public key: {exc}") from None


def ecdh(own: KeyPair, peer_x: bytes) -> bytes:
    """x-coordinate of own·P, with P recovered from its x-coordinate (either y
    gives the same shared x)."""
    own = check_keypair(own, "own")
    peer = _point_of_x(own.curve, argcheck.byteslike(peer_x, "public key", EdhocError, length=32))
    try:
        if own.curve == "p256":
            return ec.derive_private_key(own.private, ec.SECP256R1()).exchange(ec.ECDH(), peer)
        return sm2.ecdh(sm2.SM2P256V1, own.private, peer)
    except (ValueError, CryptoError) as exc:
        raise EdhocError(f"invalid public key: {exc}") from None


def sign(key: KeyPair, data: bytes) -> bytes:
    """The 64-byte signature r ‖ s of ``data`` by ``key``: ECDSA with SHA-256
    on P-256 (ES256), SM2 with SM3 and the default user id on the SM2 curve."""
    key = check_keypair(key, "key")
    data = argcheck.byteslike(data, "data", EdhocError)
    if key.curve == "p256":
        der = ec.derive_private_key(key.private, ec.SECP256R1()).sign(data, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return sm2.signature_bytes(sm2.SM2P256V1, sm2.sign(sm2.SM2P256V1, key.private, data))


def verify(curve: str, public: tuple, data: bytes, sig: bytes) -> None:
    """Check a :func:`sign` signature of ``data`` under the public point
    ``public`` = (x, y); raises :class:`EdhocError` if it does not verify."""
    curve = _curve(curve)
    data = argcheck.byteslike(data, "data", EdhocError)
    sig = argcheck.byteslike(sig, "signature", EdhocError, length=64)
    try:
        x, y = public
        if curve == "p256":
            pub = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
            pub.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")),
                       data, ec.ECDSA(hashes.SHA256()))
        else:
            sm2.verify(sm2.SM2P256V1, (x, y), data, sm2.signature_from_bytes(sm2.SM2P256V1, sig))
    except Exception:
        raise EdhocError("signature does not verify") from None


def on_curve(curve: str, x: int, y: int) -> bool:
    """True if (x, y) is a point of ``curve`` (not the point at infinity)."""
    curve = _curve(curve)
    x, y = (argcheck.integer(v, n, EdhocError) for v, n in ((x, "x"), (y, "y")))
    if curve == "p256":
        try:
            ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
            return True
        except (ValueError, TypeError):
            return False
    return sm2.on_curve(sm2.SM2P256V1, (x, y))


# ------------------------------------------------------------- credentials

class Credential(NamedTuple):
    """A credential: ``raw`` is its CBOR encoding (CRED_x, used as is).
    ``by_value`` is None when it is identified by kid (ID_CRED_x = {4: kid}),
    or the label (13 kcwt, 14 kccs) under which it travels by value."""

    raw: bytes
    kid: bytes
    curve: str
    x: int
    y: int
    subject: str
    by_value: int | None = None

    @property
    def id_cred(self) -> dict:
        if self.by_value is None:
            return {ID_CRED_KID: self.kid}
        return {self.by_value: cbor2.loads(self.raw)}


def _credential(cred, name: str) -> Credential:
    """``cred`` if it is a Credential of well-formed fields."""
    if not isinstance(cred, Credential):
        raise EdhocError(f"{name} must be a Credential, got {type(cred).__name__}")
    argcheck.byteslike(cred.raw, f"{name}.raw", EdhocError)
    argcheck.byteslike(cred.kid, f"{name}.kid", EdhocError, min_len=1, max_len=MAX_CONN_ID)
    argcheck.one_of(cred.curve, f"{name}.curve", EdhocError, CURVES)
    for v, n in ((cred.x, "x"), (cred.y, "y")):
        argcheck.integer(v, f"{name}.{n}", EdhocError, lo=0, hi=2**256 - 1)
    argcheck.text(cred.subject, f"{name}.subject", EdhocError)
    argcheck.one_of(cred.by_value, f"{name}.by_value", EdhocError, (None,) + BY_VALUE)
    return cred


def make_credential(subject: str, kid: bytes, key: KeyPair) -> Credential:
    """CCS {2: subject, 8: {1: COSE_Key{1: EC2, 2: kid, -1: crv, -2: x, -3: y}}}."""
    subject = _text(subject, "subject")
    kid = argcheck.byteslike(kid, "kid", EdhocError, min_len=1, max_len=MAX_CONN_ID)
    key = check_keypair(key, "key")
    raw = cbor2.dumps({2: subject, 8: {1: cose_key(kid, key.curve, key.x, key.y)}})
    return Credential(raw, kid, key.curve, key.x, key.y, subject)


def cose_key(kid: bytes, curve: str, x: int, y: int) -> dict:
    """The COSE_Key (RFC 9053 §7.1.1, EC2) of a public point."""
    kid = argcheck.byteslike(kid, "kid", EdhocError, min_len=1, max_len=MAX_CONN_ID)
    curve = _curve(curve)
    x, y = (argcheck.integer(v, n, EdhocError, lo=0, hi=2**256 - 1) for v, n in ((x, "x"), (y, "y")))
    return {1: 2, 2: kid, -1: COSE_CRV[curve], -2: x.to_bytes(32, "big"), -3: y.to_bytes(32, "big")}


def _text(value, name: str) -> str:
    """A short str that CBOR can carry (UTF-8: no lone surrogates)."""
    value = argcheck.text(value, name, EdhocError, max_len=255)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise EdhocError(f"{name} is not encodable as UTF-8") from None
    return value


def parse_cose_key(key) -> tuple:
    """(kid, curve, x, y) of an EC2 COSE_Key whose point is on its curve."""
    if not isinstance(key, dict):
        raise EdhocError("COSE_Key must be a map")
    try:
        crv = {v: k for k, v in COSE_CRV.items()}[key[-1]]
        kid, xb, yb = key[2], key[-2], key[-3]
        if key[1] != 2 or not all(isinstance(v, bytes) for v in (kid, xb, yb)) or len(xb) != 32 or len(yb) != 32:
            raise EdhocError("COSE_Key fields")
    except (KeyError, TypeError, EdhocError):
        raise EdhocError("not an EC2 COSE_Key with kid, crv, x and y") from None
    x, y = int.from_bytes(xb, "big"), int.from_bytes(yb, "big")
    if not on_curve(crv, x, y):
        raise EdhocError("COSE_Key point is not on its curve")
    return kid, crv, x, y


def parse_credential(raw: bytes) -> Credential:
    """The credential of a CCS encoding (as :func:`make_credential` makes)."""
    raw = argcheck.byteslike(raw, "raw", EdhocError)
    items = read_sequence(raw)
    if len(items) != 1 or not isinstance(items[0], dict) or not isinstance(items[0].get(8), dict):
        raise EdhocError("not a CCS credential with a cnf claim")
    kid, crv, x, y = parse_cose_key(items[0][8].get(1))
    subject = items[0].get(2, "")
    if not isinstance(subject, str):
        raise EdhocError("CCS subject must be a text string")
    return Credential(raw, kid, crv, x, y, subject)


class CredentialStore:
    """Trusted credentials by kid (what the fleet authority issued). As a
    resolver it accepts only references by kid, never a credential by value."""

    def __init__(self, creds=()):
        self._by_kid = {}
        if not isinstance(creds, (list, tuple, set, frozenset)):
            raise EdhocError(f"creds must be a list of Credential, got {type(creds).__name__}")
        for c in creds:
            self.add(c)

    def add(self, cred: Credential) -> None:
        cred = _credential(cred, "cred")
        self._by_kid[cred.kid] = cred

    def remove(self, kid: bytes) -> None:
        self._by_kid.pop(argcheck.byteslike(kid, "kid", EdhocError), None)

    def lookup(self, kid: bytes) -> Credential:
        kid = argcheck.byteslike(kid, "kid", EdhocError)
        try:
            return self._by_kid[kid]
        except KeyError:
            raise EdhocError(f"unknown credential kid {kid.hex()}") from None

    def resolve(self, id_cred: dict) -> Credential:
        """The credential an ID_CRED_x map names: {4: kid} only."""
        if not isinstance(id_cred, dict) or set(id_cred) != {ID_CRED_KID}:
            raise EdhocError("this store resolves only a kid, not a credential by value")
        return self.lookup(id_cred[ID_CRED_KID])

    def __contains__(self, kid) -> bool:
        return kid in self._by_kid


class ReplayCache:
    """The G_X values a responder has seen, at most ``capacity`` of them: the
    least recently seen is forgotten first (a bounded LRU set)."""

    def __init__(self, capacity: int = REPLAY_CACHE_SIZE):
        self.capacity = argcheck.integer(capacity, "capacity", EdhocError, lo=1)
        self._keys: collections.OrderedDict = collections.OrderedDict()

    def __contains__(self, key) -> bool:
        key = argcheck.byteslike(key, "key", EdhocError)
        if key in self._keys:
            self._keys.move_to_end(key)
            return True
        return False

    def add(self, key: bytes) -> None:
        key = argcheck.byteslike(key, "key", EdhocError)
        self._keys[key] = None
        self._keys.move_to_end(key)
        while len(self._keys) > self.capacity:
            self._keys.popitem(last=False)

    def __len__(self) -> int:
        return len(self._keys)


# ------------------------------------------------------------------- CBOR

def _seq(*items) -> bytes:
    """A CBOR sequence: the items' encodings one after another."""
    return b"".join(cbor2.dumps(i) for i in items)


def read_sequence(data: bytes) -> list:
    """Decode a CBOR sequence (EdhocError on anything malformed)."""
    data = argcheck.byteslike(data, "message", EdhocError)
    s = io.BytesIO(data)
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
    if isinstance(v, int) and not isinstance(v, bool) and -24 <= v <= 23:
        return cbor2.dumps(v)
    if isinstance(v, bytes) and len(v) <= MAX_CONN_ID:
        return v
    raise EdhocError("connection identifier must be a bstr or a one-byte int")


def _id_cred_plaintext(cred: Credential):
    """ID_CRED_x as it goes in a PLAINTEXT: only a kid → the kid itself (RFC
    9528 §3.5.3.2); a credential by value → the whole map."""
    return _conn_id_encode(cred.kid) if cred.by_value is None else cred.id_cred


def _id_cred_from_plaintext(v) -> dict:
    """The ID_CRED_x map of a PLAINTEXT field: {4: kid} or {13|14: value}."""
    if isinstance(v, dict):
        if len(v) != 1:
            raise EdhocError("ID_CRED must hold exactly one of kid, kcwt or kccs")
        (label, value), = v.items()
        if label == ID_CRED_KID and isinstance(value, bytes):
            return {ID_CRED_KID: value}
        if label in BY_VALUE and not isinstance(label, bool):
            return {label: value}
        raise EdhocError("ID_CRED must be a kid (bstr), a kcwt or a kccs")
    return {ID_CRED_KID: _conn_id_decode(v)}


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

    def aead(self, key: bytes) -> CCMStar:
        """The suite's AEAD under ``key``: CCM with a 13-byte nonce (L = 2) and
        ``tag_len``-byte tag, i.e. CCM* (crypto.aead, OpenSSL; byte for byte the
        golden crypto.modes.ccm_*)."""
        return CCMStar(key, _CCM_CIPHER[self.suite.cipher], self.suite.tag_len)


def _sig_structure(id_cred: dict, th: bytes, cred: bytes, ead, mac: bytes) -> bytes:
    ext = cbor2.dumps(th) + cred + (_seq(*ead) if ead else b"")
    return cbor2.dumps(["Signature1", cbor2.dumps(id_cred), ext, mac])


def _enc_aad(th: bytes) -> bytes:
    return cbor2.dumps(["Encrypt0", b"", th])


def _suites(suites) -> list:
    if isinstance(suites, (str, bytes, dict)) or not hasattr(suites, "__iter__"):
        raise EdhocError("suites must be a list of cipher suite numbers")
    out = [argcheck.one_of(s, "suite", EdhocError, tuple(SUITES)) for s in suites]
    if not out:
        raise EdhocError("suites must not be empty")
    return out


class _Party:
    """State shared by both roles. ``store`` is the resolver of the peer's
    ID_CRED_x (a :class:`CredentialStore` or any object with ``resolve``)."""

    def __init__(self, method: int, suites, own_cred: Credential, own_key: KeyPair, store):
        self.method = argcheck.one_of(method, "method", EdhocError, METHODS)
        self.suites = _suites(suites)
        self.own_cred = _credential(own_cred, "cred")
        self.own_key = check_keypair(own_key, "key")
        if not callable(getattr(store, "resolve", None)):
            raise EdhocError("store must resolve ID_CRED (a CredentialStore or an object with resolve())")
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

    def _step(self, state: str, fn, *args):
        """Run one protocol step from ``state``; any failure ends the
        handshake for good (state failed, no key). The EdhocError is raised
        after the handler, chained to nothing: the failed step's frames (its
        keys, the decrypted PLAINTEXT_3 of a forged message_3) do not live on
        in the traceback of an exception the caller may log."""
        self._expect(state)
        try:
            return fn(*args)
        except CryptoError as exc:
            why = str(exc)
        except Exception as exc:  # the peer's bytes reached a parser in a way none foresaw
            # e.g. a self-referencing CBOR value (shared-value tags 28/29) that cbor2 decodes but cannot
            # re-encode for the transcript: PLAINTEXT_2/3 are the attacker's choice (she can compute the
            # keystream of message_2 and the key of message_3), so this is a failed handshake, not a crash
            why = f"malformed message ({type(exc).__name__})"
        self._fail(why)

    def fork(self) -> "_Party":
        """An independent copy of this party, to process a message that may
        be forged: if the copy fails, this party is unchanged and can still
        take the genuine message (keep the copy if it succeeds). The
        responder's replay cache and the resolver stay shared."""
        return copy.copy(self)

    @property
    def failed(self) -> bool:
        return self._state == "failed"

    @property
    def prk_out(self) -> bytes:
        if self._prk_out is None:
            raise EdhocError("handshake not complete: no key")
        return self._prk_out

    def exporter(self, label: int, context: bytes, length: int) -> bytes:
        """EDHOC_Exporter (RFC 9528 §4.2.1): ``length`` bytes (1 ≤ length ≤
        255 · hash length) for ``label`` (0..65535) and ``context``."""
        label = argcheck.integer(label, "label", EdhocError, lo=0, hi=0xFFFF)
        context = argcheck.byteslike(context, "context", EdhocError)
        length = argcheck.integer(length, "length", EdhocError, lo=1, hi=255 * 32)
        sch = _Schedule(self.suite)
        prk_exporter = sch.kdf(self.prk_out, LABEL_PRK_EXPORTER, b"", self.suite.hash_len)
        return sch.kdf(prk_exporter, label, context, length)

    def _mac_len(self, signs: bool) -> int:
        return self.suite.hash_len if signs else self.suite.mac_len

    def _peer_credential(self, field) -> Credential:
        cred = self.store.resolve(_id_cred_from_plaintext(field))
        if not isinstance(cred, Credential) or cred.curve != self.suite.curve:
            raise EdhocError("peer credential missing or not on the suite's curve")
        return cred


class Initiator(_Party):
    def __init__(self, method, suites, cred: Credential, key: KeyPair, store, *,
                 c_i: bytes = b"\x37", ead_1=None):
        super().__init__(method, suites, cred, key, store)
        self.suite = SUITES[self.suites[-1]]
        if self.own_key.curve != self.suite.curve:
            raise EdhocError(f"key is on curve {self.own_key.curve!r}, suite {self.suite.id} needs "
                             f"{self.suite.curve!r}")
        self.c_i = argcheck.byteslike(c_i, "c_i", EdhocError, min_len=1, max_len=MAX_CONN_ID)
        if ead_1 is not None:
            try:
                cbor2.dumps(ead_1)
            except Exception:
                raise EdhocError("ead_1 must be CBOR-encodable") from None
        self.ead_1 = ead_1

    def message_1(self, *, ephemeral: KeyPair | None = None) -> bytes:
        self._expect("start")
        self.x = generate_keypair(self.suite.curve) if ephemeral is None \
            else check_keypair(ephemeral, "ephemeral", self.suite.curve)
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
        items = read_sequence(message_2)
        if len(items) == 2 and items[0] in (ERR_UNSPECIFIED, ERR_WRONG_SUITE):
            raise EdhocError(f"responder error {items[0]}: {items[1]!r}")
        if len(items) != 1 or not isinstance(items[0], bytes) or len(items[0]) <= 32:
            raise EdhocError("message_2 must be one bstr G_Y || CIPHERTEXT_2")
        g_y, ct2 = items[0][:32], items[0][32:]
        th2 = sch.hash(_seq(g_y, sch.hash(self.m1)))
        g_xy = ecdh(self.x, g_y)
        prk_2e = sch.extract(th2, g_xy)
        pt2 = bytes(a ^ b for a, b in zip(ct2, sch.kdf(prk_2e, LABEL_KEYSTREAM_2, th2, len(ct2)), strict=True))
        fields = read_sequence(pt2)
        if len(fields) not in (3, 4):
            raise EdhocError("PLAINTEXT_2 must hold C_R, ID_CRED_R, Signature_or_MAC_2")
        c_r = _conn_id_decode(fields[0])
        cred_r = self._peer_credential(fields[1])
        sig_or_mac_2 = fields[2]
        ead_2 = fields[3:] or None
        if not isinstance(sig_or_mac_2, bytes):
            raise EdhocError("Signature_or_MAC_2 must be a bstr")
        if self.method == METHOD_STAT_STAT:
            salt = sch.kdf(prk_2e, LABEL_SALT_3E2M, th2, self.suite.hash_len)
            prk_3e2m = sch.extract(salt, ecdh(self.x, cred_r.x.to_bytes(32, "big")))
        else:
            prk_3e2m = prk_2e
        ctx2 = _seq(fields[0], cred_r.id_cred, th2) + cred_r.raw + (_seq(*ead_2) if ead_2 else b"")
        signs = self.method == METHOD_SIG_SIG
        mac_2 = sch.kdf(prk_3e2m, LABEL_MAC_2, ctx2, self._mac_len(signs))
        if signs:
            verify(cred_r.curve, (cred_r.x, cred_r.y),
                   _sig_structure(cred_r.id_cred, th2, cred_r.raw, ead_2, mac_2), sig_or_mac_2)
        elif not secrets.compare_digest(mac_2, sig_or_mac_2):
            raise EdhocError("MAC_2 does not verify")
        self.peer_cred, self.c_r = cred_r, c_r
        th3 = sch.hash(cbor2.dumps(th2) + pt2 + cred_r.raw)
        if self.method == METHOD_STAT_STAT:
            salt4 = sch.kdf(prk_3e2m, LABEL_SALT_4E3M, th3, self.suite.hash_len)
            prk_4e3m = sch.extract(salt4, ecdh(self.own_key, g_y))
        else:
            prk_4e3m = prk_3e2m
        own = self.own_cred
        ctx3 = _seq(own.id_cred, th3) + own.raw
        mac_3 = sch.kdf(prk_4e3m, LABEL_MAC_3, ctx3, self._mac_len(signs))
        sig_or_mac_3 = sign(self.own_key, _sig_structure(own.id_cred, th3, own.raw, None, mac_3)) if signs else mac_3
        pt3 = _seq(_id_cred_plaintext(own), sig_or_mac_3)
        k3 = sch.kdf(prk_3e2m, LABEL_K_3, th3, self.suite.key_len)
        iv3 = sch.kdf(prk_3e2m, LABEL_IV_3, th3, self.suite.iv_len)
        ct3_tag = sch.aead(k3).encrypt(iv3, pt3, _enc_aad(th3))
        th4 = sch.hash(cbor2.dumps(th3) + pt3 + own.raw)
        self._prk_out = sch.kdf(prk_4e3m, LABEL_PRK_OUT, th4, self.suite.hash_len)
        self._state = "done"
        return cbor2.dumps(ct3_tag)


class Responder(_Party):
    def __init__(self, method, suites, cred: Credential, key: KeyPair, store, *,
                 c_r: bytes = b"\x27", seen_g_x: ReplayCache | None = None):
        super().__init__(method, suites, cred, key, store)
        self.c_r = argcheck.byteslike(c_r, "c_r", EdhocError, min_len=1, max_len=MAX_CONN_ID)
        if seen_g_x is not None and not isinstance(seen_g_x, ReplayCache):
            raise EdhocError("seen_g_x must be a ReplayCache (bounded), or None for a new one")
        self.seen_g_x = ReplayCache() if seen_g_x is None else seen_g_x  # replayed message_1 detection

    def message_2(self, message_1: bytes, *, ephemeral: KeyPair | None = None) -> bytes:
        """Process message_1; returns message_2, or an EDHOC error message for
        a suite it will not use (and then raises nothing: send it back). Any
        other failure raises and leaves the responder failed for good."""
        if ephemeral is not None:
            ephemeral = check_keypair(ephemeral, "ephemeral")
        return self._step("start", self._message_2, message_1, ephemeral)

    def _message_2(self, message_1: bytes, ephemeral: KeyPair | None) -> bytes:
        items = read_sequence(message_1)
        if len(items) not in (4, 5):
            raise EdhocError("message_1 must hold METHOD, SUITES_I, G_X, C_I")
        method, suites_i, g_x, c_i = items[:4]
        if method != self.method or isinstance(method, bool):
            raise EdhocError(f"method {method!r} not accepted (expected {self.method})")
        suites_i = suites_i if isinstance(suites_i, list) else [suites_i]
        if not suites_i or not all(isinstance(s, int) and not isinstance(s, bool) for s in suites_i):
            raise EdhocError("SUITES_I malformed")
        if not isinstance(g_x, bytes) or len(g_x) != 32:
            raise EdhocError("G_X must be a 32-byte x-coordinate")
        self.c_i = _conn_id_decode(c_i)
        selected = suites_i[-1]
        earlier_supported = [s for s in suites_i[:-1] if s in self.suites]
        if selected not in self.suites or earlier_supported:
            # RFC 9528 §6.3: wrong selected suite (or a preferred one we support
            # was skipped: a downgrade attempt); answer with our suites.
            self._state = "failed"
            return _seq(ERR_WRONG_SUITE, self.suites if len(self.suites) > 1 else self.suites[0])
        self.suite = SUITES[selected]
        if self.own_key.curve != self.suite.curve:
            raise EdhocError(f"own key is on curve {self.own_key.curve!r}, suite {selected} needs "
                             f"{self.suite.curve!r}")
        if g_x in self.seen_g_x:
            raise EdhocError("replayed message_1 (ephemeral key seen before)")
        _point_of_x(self.suite.curve, g_x)  # refuse a G_X off the curve before any costly step
        self.seen_g_x.add(g_x)  # only a valid G_X: junk must not push remembered keys out of the bounded cache
        sch = _Schedule(self.suite)
        self.y = generate_keypair(self.suite.curve) if ephemeral is None \
            else check_keypair(ephemeral, "ephemeral", self.suite.curve)
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
        own = self.own_cred
        c_r_enc = _conn_id_encode(self.c_r)
        ctx2 = _seq(c_r_enc, own.id_cred, th2) + own.raw
        mac_2 = sch.kdf(prk_3e2m, LABEL_MAC_2, ctx2, self._mac_len(signs))
        sig_or_mac_2 = sign(self.own_key, _sig_structure(own.id_cred, th2, own.raw, None, mac_2)) if signs else mac_2
        pt2 = _seq(c_r_enc, _id_cred_plaintext(own), sig_or_mac_2)
        ct2 = bytes(a ^ b for a, b in zip(pt2, sch.kdf(prk_2e, LABEL_KEYSTREAM_2, th2, len(pt2)), strict=True))
        self._th3 = sch.hash(cbor2.dumps(th2) + pt2 + own.raw)
        self._prk_3e2m = prk_3e2m
        self._state = "wait_3"
        return cbor2.dumps(g_y + ct2)

    def finish(self, message_3: bytes) -> bytes:
        """Process message_3; returns PRK_out (the handshake is then complete)."""
        return self._step("wait_3", self._finish, message_3)

    def _finish(self, message_3: bytes) -> bytes:
        sch = _Schedule(self.suite)
        items = read_sequence(message_3)
        if len(items) != 1 or not isinstance(items[0], bytes):
            raise EdhocError("message_3 must be one bstr CIPHERTEXT_3")
        th3 = self._th3
        k3 = sch.kdf(self._prk_3e2m, LABEL_K_3, th3, self.suite.key_len)
        iv3 = sch.kdf(self._prk_3e2m, LABEL_IV_3, th3, self.suite.iv_len)
        blob = items[0]
        if len(blob) < self.suite.tag_len:
            raise EdhocError("CIPHERTEXT_3 shorter than its tag")
        try:
            pt3 = sch.aead(k3).decrypt(iv3, blob, _enc_aad(th3))
        except AuthenticationError:
            raise EdhocError("message_3 does not decrypt (AEAD tag)") from None
        fields = read_sequence(pt3)
        if len(fields) not in (2, 3):
            raise EdhocError("PLAINTEXT_3 must hold ID_CRED_I, Signature_or_MAC_3")
        cred_i = self._peer_credential(fields[0])
        sig_or_mac_3 = fields[1]
        ead_3 = fields[2:] or None
        if not isinstance(sig_or_mac_3, bytes):
            raise EdhocError("Signature_or_MAC_3 must be a bstr")
        if self.method == METHOD_STAT_STAT:
            salt4 = sch.kdf(self._prk_3e2m, LABEL_SALT_4E3M, th3, self.suite.hash_len)
            prk_4e3m = sch.extract(salt4, ecdh(self.y, cred_i.x.to_bytes(32, "big")))
        else:
            prk_4e3m = self._prk_3e2m
        signs = self.method == METHOD_SIG_SIG
        ctx3 = _seq(cred_i.id_cred, th3) + cred_i.raw + (_seq(*ead_3) if ead_3 else b"")
        mac_3 = sch.kdf(prk_4e3m, LABEL_MAC_3, ctx3, self._mac_len(signs))
        if signs:
            verify(cred_i.curve, (cred_i.x, cred_i.y),
                   _sig_structure(cred_i.id_cred, th3, cred_i.raw, ead_3, mac_3), sig_or_mac_3)
        elif not secrets.compare_digest(mac_3, sig_or_mac_3):
            raise EdhocError("MAC_3 does not verify")
        th4 = sch.hash(cbor2.dumps(th3) + pt3 + cred_i.raw)
        self.peer_cred = cred_i
        self._prk_out = sch.kdf(prk_4e3m, LABEL_PRK_OUT, th4, self.suite.hash_len)
        self._state = "done"
        return self._prk_out
