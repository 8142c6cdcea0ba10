"""What the fleet authority signs, and how a node checks it with nothing but
the authority's public key (the :class:`TrustAnchor`).

Every statement is a COSE_Sign1 (RFC 9052 §4.2), untagged::

    [protected: bstr .cbor {1: alg, 16: typ}, unprotected: {}, payload: bstr .cbor claims, signature: bstr]

signed over Sig_structure ["Signature1", protected, h'', payload] (RFC 9052
§4.4) with the suite's signature algorithm: ES256 (alg -7, ECDSA P-256 with
SHA-256) for cipher suite 2, SM2 with SM3 (alg :data:`ALG_SM2_SM3`, private
use) for the ShangMi suite; the signature is r ‖ s, 32 bytes each. ``typ``
(the COSE "typ" header parameter, RFC 9596) names the kind, so a statement of
one kind never passes for another; every payload names the network id, so a
statement of one fleet never passes in another.

Kinds and their claims (all integers are checked: ``int``, not ``bool``, in
range; no claim more or less than listed):

* ``meshlink-cert`` — a credential, a CWT (RFC 8392) that EDHOC carries by
  value (ID_CRED_x = {13: CWT}, RFC 9528 §3.5.2): {2 sub: "node-xxxx",
  8 cnf: {1: COSE_Key (kid = the address, 2 bytes big-endian)}, "net",
  "address", "serial"}. It binds the key to the address.
* ``meshlink-group`` — a group charter: for group address ``group``
  (multicast) at ``epoch`` (≥ 1), the key id of that epoch's key, the
  ``controller`` (the only node that may hand out the key) and the
  ``members`` (sorted, unique unicast addresses).
* ``meshlink-crl`` — a revocation list: ``serial`` (≥ 1, grows by one per
  list) and every address ever ``revoked`` (sorted, unique): a later list
  carries all of an earlier one.
"""

from typing import NamedTuple

import cbor2

import argcheck
from crypto import edhoc
from protocol.security import SecurityError, is_group, is_unicast

ALG_ES256 = -7  # RFC 9053 §2.1
ALG_SM2_SM3 = -65537  # COSE private use (< -65536): SM2 signature with SM3, GB/T 32918.2
ALGS = {"p256": ALG_ES256, "sm2": ALG_SM2_SM3}
HDR_ALG, HDR_TYP = 1, 16
CERT, GROUP, CRL = "meshlink-cert", "meshlink-group", "meshlink-crl"
MAX_STATEMENT = 1400  # bytes: what fits a frame


class TrustAnchor(NamedTuple):
    """The fleet's public parameters: network id, EDHOC suite and method, and
    the authority's public key (x, y) on the suite's curve."""

    net: int
    suite: int
    method: int
    x: int
    y: int

    @property
    def curve(self) -> str:
        return edhoc.SUITES[self.suite].curve


def check_anchor(anchor) -> TrustAnchor:
    if not isinstance(anchor, TrustAnchor):
        raise SecurityError(f"authority must be a FleetAuthority or a TrustAnchor, got {type(anchor).__name__}")
    argcheck.integer(anchor.net, "net", SecurityError, lo=0, hi=0xFFFF)
    argcheck.one_of(anchor.suite, "suite", SecurityError, tuple(edhoc.SUITES))
    argcheck.one_of(anchor.method, "method", SecurityError, edhoc.METHODS)
    if not edhoc.on_curve(anchor.curve, anchor.x, anchor.y):
        raise SecurityError("trust anchor key is not a point of the suite's curve")
    return anchor


class Certificate(NamedTuple):
    """A verified ``meshlink-cert``: the address it was issued for, its
    serial, and the EDHOC credential (CRED_x = the CWT's bytes)."""

    address: int
    serial: int
    credential: edhoc.Credential


class Charter(NamedTuple):
    """A verified ``meshlink-group``."""

    group: int
    epoch: int
    key_id: int
    controller: int
    members: frozenset


class RevocationList(NamedTuple):
    """A verified ``meshlink-crl``."""

    serial: int
    revoked: frozenset


# ------------------------------------------------------------------ issuing

def _key(key, name: str) -> edhoc.KeyPair:
    try:
        return edhoc.check_keypair(key, name)
    except edhoc.EdhocError as exc:
        raise SecurityError(str(exc)) from None


def _sign(kind: str, claims: dict, key: edhoc.KeyPair) -> bytes:
    """The COSE_Sign1 of ``claims`` as a statement of ``kind``, by ``key``."""
    protected = cbor2.dumps({HDR_ALG: ALGS[key.curve], HDR_TYP: kind})
    payload = cbor2.dumps(claims)
    return cbor2.dumps([protected, {}, payload, edhoc.sign(key, _sig_structure(protected, payload))])


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def issue_certificate(key: edhoc.KeyPair, net: int, address: int, serial: int, subject_key: edhoc.KeyPair) -> bytes:
    """The authority's (``key``) certificate binding ``subject_key``'s public
    half to unicast ``address`` in network ``net``."""
    net = argcheck.integer(net, "net", SecurityError, lo=0, hi=0xFFFF)
    address = argcheck.integer(address, "address", SecurityError, lo=0, hi=0xFFFF)
    serial = argcheck.integer(serial, "serial", SecurityError, lo=1, hi=2**63)
    if not is_unicast(address):
        raise SecurityError(f"a certificate is for a unicast address, not {address:#06x}")
    _key(subject_key, "subject_key")
    kid = address.to_bytes(2, "big")
    claims = {2: f"node-{address:04x}", 8: {1: edhoc.cose_key(kid, subject_key.curve, subject_key.x, subject_key.y)},
              "net": net, "address": address, "serial": serial}
    return _sign(CERT, claims, _key(key, "key"))


def issue_charter(key: edhoc.KeyPair, net: int, charter: Charter) -> bytes:
    """The authority's (``key``) signed charter of a group epoch."""
    net = argcheck.integer(net, "net", SecurityError, lo=0, hi=0xFFFF)
    if not isinstance(charter, Charter):
        raise SecurityError("charter must be a Charter")
    claims = {"net": net, "group": charter.group, "epoch": charter.epoch, "key_id": charter.key_id,
              "controller": charter.controller, "members": sorted(charter.members)}
    _check_charter(claims)
    return _sign(GROUP, claims, _key(key, "key"))


def issue_crl(key: edhoc.KeyPair, net: int, crl: RevocationList) -> bytes:
    """The authority's (``key``) signed revocation list."""
    net = argcheck.integer(net, "net", SecurityError, lo=0, hi=0xFFFF)
    if not isinstance(crl, RevocationList):
        raise SecurityError("crl must be a RevocationList")
    claims = {"net": net, "serial": crl.serial, "revoked": sorted(crl.revoked)}
    _check_crl(claims)
    return _sign(CRL, claims, _key(key, "key"))


# ---------------------------------------------------------------- checking

def _uint(claims: dict, name: str, lo: int, hi: int) -> int:
    return argcheck.integer(claims[name], name, SecurityError, lo=lo, hi=hi)


def _addresses(claims: dict, name: str) -> frozenset:
    v = claims[name]
    if not isinstance(v, list) or len(v) > 512:
        raise SecurityError(f"{name} must be a list of at most 512 addresses")
    out = [argcheck.integer(a, name, SecurityError, lo=0, hi=0xFFFF) for a in v]
    if out != sorted(set(out)) or not all(is_unicast(a) for a in out):
        raise SecurityError(f"{name} must be sorted, unique unicast addresses")
    return frozenset(out)


def _keys(claims, expected: set) -> dict:
    if not isinstance(claims, dict) or set(claims) != expected:
        raise SecurityError("statement claims are not those of its kind")
    return claims


def _parse(data: bytes, anchor: TrustAnchor, kind: str) -> tuple:
    """(claims, signed bytes, signature) of a statement of ``kind`` — parsed,
    NOT verified."""
    data = argcheck.byteslike(data, "statement", SecurityError, max_len=MAX_STATEMENT)
    try:
        items = edhoc.read_sequence(data)
    except edhoc.EdhocError as exc:
        raise SecurityError(f"statement: {exc}") from None
    if len(items) != 1 or not isinstance(items[0], list) or len(items[0]) != 4:
        raise SecurityError("statement must be one COSE_Sign1 array")
    protected, unprotected, payload, signature = items[0]
    if not all(isinstance(v, bytes) for v in (protected, payload, signature)) or unprotected != {}:
        raise SecurityError("statement: malformed COSE_Sign1")
    try:
        header, claims = cbor2.loads(protected), cbor2.loads(payload)
    except Exception:
        raise SecurityError("statement: malformed protected header or payload") from None
    if header != {HDR_ALG: ALGS[anchor.curve], HDR_TYP: kind}:
        raise SecurityError(f"statement is not a {kind} signed with the fleet's algorithm")
    if not isinstance(claims, dict) or claims.get("net") != anchor.net or isinstance(claims.get("net"), bool):
        raise SecurityError("statement is for another network")
    return claims, _sig_structure(protected, payload), signature


def _verify(signed: bytes, signature: bytes, anchor: TrustAnchor) -> None:
    try:
        edhoc.verify(anchor.curve, (anchor.x, anchor.y), signed, signature)
    except edhoc.EdhocError:
        raise SecurityError("statement signature does not verify under the fleet's trust anchor") from None


def _open(data, anchor, kind: str, check, precheck):
    """Parse, check the claims, run ``precheck`` (cheap refusals: no
    signature check yet), then verify the signature."""
    anchor = check_anchor(anchor)
    if precheck is not None and not callable(precheck):
        raise SecurityError("precheck must be callable or None")
    claims, signed, signature = _parse(data, anchor, kind)
    value = check(claims)
    if precheck is not None:
        precheck(value)
    _verify(signed, signature, anchor)
    return value


def _check_certificate(claims) -> tuple:
    _keys(claims, {2, 8, "net", "address", "serial"})
    address = _uint(claims, "address", 0, 0xFFFF)
    serial = _uint(claims, "serial", 1, 2**63)
    if not is_unicast(address) or not isinstance(claims[2], str) or not isinstance(claims[8], dict):
        raise SecurityError("certificate subject, address or cnf malformed")
    try:
        kid, curve, x, y = edhoc.parse_cose_key(claims[8].get(1))
    except edhoc.EdhocError as exc:
        raise SecurityError(f"certificate key: {exc}") from None
    if kid != address.to_bytes(2, "big"):
        raise SecurityError("certificate kid is not its address")
    return address, serial, claims[2], curve, x, y


def open_certificate(data: bytes, anchor: TrustAnchor, precheck=None) -> Certificate:
    """The certificate in ``data`` if the authority signed it for this fleet;
    ``precheck(address)`` may refuse it before the signature check."""
    if precheck is not None and not callable(precheck):
        raise SecurityError("precheck must be callable or None")
    address, serial, subject, curve, x, y = _open(data, anchor, CERT, _check_certificate,
                                                  None if precheck is None else lambda value: precheck(value[0]))
    if curve != anchor.curve:
        raise SecurityError("certificate key is not on the fleet's curve")
    cred = edhoc.Credential(bytes(data), address.to_bytes(2, "big"), curve, x, y, subject,
                            by_value=edhoc.ID_CRED_KCWT)
    return Certificate(address, serial, cred)


def _check_charter(claims) -> Charter:
    _keys(claims, {"net", "group", "epoch", "key_id", "controller", "members"})
    c = Charter(_uint(claims, "group", 0, 0xFFFF), _uint(claims, "epoch", 1, 2**32 - 1),
                _uint(claims, "key_id", 0, 255), _uint(claims, "controller", 0, 0xFFFF),
                _addresses(claims, "members"))
    if not is_group(c.group) or not is_unicast(c.controller) or c.controller in c.members or not c.members:
        raise SecurityError("charter: group must be multicast, controller unicast, members some others")
    return c


def open_charter(data: bytes, anchor: TrustAnchor, precheck=None) -> Charter:
    """The group charter in ``data`` if the authority signed it for this
    fleet; ``precheck(charter)`` may refuse it before the signature check."""
    return _open(data, anchor, GROUP, _check_charter, precheck)


def _check_crl(claims) -> RevocationList:
    _keys(claims, {"net", "serial", "revoked"})
    return RevocationList(_uint(claims, "serial", 1, 2**63), _addresses(claims, "revoked"))


def open_crl(data: bytes, anchor: TrustAnchor, precheck=None) -> RevocationList:
    """The revocation list in ``data`` if the authority signed it for this
    fleet; ``precheck(crl)`` may refuse it before the signature check."""
    return _open(data, anchor, CRL, _check_crl, precheck)


def statement_kind(data) -> str | None:
    """The ``typ`` a statement claims (unverified), or None if it has none."""
    try:
        protected = cbor2.loads(bytes(data))[0]
        kind = cbor2.loads(protected).get(HDR_TYP)
    except Exception:
        return None
    return kind if kind in (CERT, GROUP, CRL) else None
