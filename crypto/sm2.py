"""SM2 elliptic-curve signatures and ECDH, GB/T 32918-2016 (parts 1, 2 and 5).

Curves are data (:class:`Curve`): :data:`SM2P256V1` is the recommended curve
of part 5; :data:`TEST_FP256` is the 256-bit prime-field example curve of
part 2's annex, on which the standard works its signature example.

Signature (part 2, 6.1): ``Z_A = SM3(ENTL_A || ID_A || a || b || x_G || y_G
|| x_A || y_A)``, ``e = SM3(Z_A || M)``, ``(x1, y1) = kG``, ``r = (e + x1) mod
n`` (retry if r = 0 or r + k = n), ``s = (1 + d)^-1 (k - r d) mod n`` (retry
if s = 0). Verification (7.1) recomputes ``R = (e + x1') mod n`` from
``(x1', y1') = sG + (r + s mod n) P_A``.

Arithmetic is plain Python integers in Jacobian coordinates — a golden model,
not side-channel hardened.

Every argument is checked before use and a bad one raises
:class:`crypto.errors.CryptoError` naming it: curves must be consistent
(:class:`Curve` checks p and n prime, G on the curve and of order n, cofactor
1), points must be pairs of integers on the curve (the point at infinity only
where a function says so), scalars must be ``int`` in their range (``k`` in
[1, n-1], private keys in [1, n-2]), byte strings ``bytes``/``bytearray``/
``memoryview`` (a ``user_id`` of None is refused, not hashed).
"""

import secrets
from typing import NamedTuple

import argcheck
from crypto.errors import AuthenticationError, CryptoError
from crypto.sm3 import sm3

DEFAULT_ID = b"1234567812345678"  # GB/T 35276 default user identity
MAX_BITS = 1024  # largest field and order accepted for a curve
MAX_ID = (1 << 16) // 8 - 1  # ENTL is 16 bits: at most 8191 bytes of identity
INFINITY = None


class _CurveFields(NamedTuple):
    name: str
    p: int
    a: int
    b: int
    gx: int
    gy: int
    n: int


class Curve(_CurveFields):
    """Short-Weierstrass curve y² = x³ + ax + b over GF(p) with base point
    G = (gx, gy) of prime order n (cofactor 1). Construction checks it."""

    __slots__ = ()

    def __new__(cls, name: str, p: int, a: int, b: int, gx: int, gy: int, n: int):
        return _check_curve(super().__new__(cls, name, p, a, b, gx, gy, n))

    @property
    def size(self) -> int:
        return (self.p.bit_length() + 7) // 8


def _probably_prime(v: int) -> bool:
    """Miller-Rabin with 32 random bases: a composite passes with probability
    below 4^-32, even one built to fool fixed bases."""
    if v < 2:
        return False
    for q in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if v % q == 0:
            return v == q
    d, r = v - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(32):
        x = pow(2 + secrets.randbelow(v - 3), d, v)
        if x in (1, v - 1):
            continue
        for _ in range(r - 1):
            x = x * x % v
            if x == v - 1:
                break
        else:
            return False
    return True


_CHECKED: set = set()  # curves (as plain tuples) whose arithmetic has been checked


def _check_curve(c):
    """``c`` if it is a consistent :class:`Curve`, else CryptoError."""
    if not isinstance(c, Curve):
        raise CryptoError(f"c must be a crypto.sm2.Curve, got {type(c).__name__}")
    argcheck.text(c.name, "c.name", CryptoError, max_len=100)
    p = argcheck.integer(c.p, "c.p", CryptoError, lo=5, hi=(1 << MAX_BITS) - 1)
    for f in ("a", "b", "gx", "gy"):
        argcheck.integer(getattr(c, f), f"c.{f}", CryptoError, lo=0, hi=p - 1)
    n = argcheck.integer(c.n, "c.n", CryptoError, lo=5, hi=(1 << MAX_BITS) - 1)
    key = (int(p), int(c.a), int(c.b), int(c.gx), int(c.gy), int(n))
    if key in _CHECKED:
        return c
    if not _probably_prime(p):
        raise CryptoError("c.p must be a prime")
    if (4 * c.a ** 3 + 27 * c.b ** 2) % p == 0:
        raise CryptoError("c.a and c.b give a singular curve (4a^3 + 27b^2 = 0 mod p)")
    if not _on(c, c.gx, c.gy):
        raise CryptoError("c.gx, c.gy is not a point of the curve")
    if not _probably_prime(n) or (p + 1 - n) ** 2 > 4 * p:  # Hasse bound: cofactor 1
        raise CryptoError("c.n must be a prime order of the curve (cofactor 1)")
    if _mul(c, n - 1, (c.gx, c.gy)) != (c.gx, (-c.gy) % p):
        raise CryptoError("c.n is not the order of G")
    if len(_CHECKED) >= 64:
        _CHECKED.clear()
    _CHECKED.add(key)
    return c


def _curve(c) -> Curve:
    return c if c is SM2P256V1 or c is TEST_FP256 else _check_curve(c)


def _on(c, x: int, y: int) -> bool:
    return (y * y - (x * x * x + c.a * x + c.b)) % c.p == 0


def _pair(v, name: str) -> tuple:
    """``v`` as a pair of Python ints (a tuple or list of two integers)."""
    if not isinstance(v, (tuple, list)) or len(v) != 2:
        raise CryptoError(f"{name} must be a pair of integers, got {type(v).__name__}")
    return (argcheck.integer(v[0], f"{name}[0]", CryptoError), argcheck.integer(v[1], f"{name}[1]", CryptoError))


def _point(c, pt, name: str, *, infinity: bool = False):
    """``pt`` as a point (x, y) of ``c``; None (the point at infinity) only
    when ``infinity``."""
    if pt is INFINITY:
        if infinity:
            return INFINITY
        raise CryptoError(f"{name} is the point at infinity")
    x, y = _pair(pt, name)
    if not (0 <= x < c.p and 0 <= y < c.p and _on(c, x, y)):
        raise CryptoError(f"{name} is not a point of the curve {c.name}")
    return (x, y)


def _public(c, pub, name: str):
    """A public key: an encoded point (bytes) or a pair, never infinity."""
    if isinstance(pub, (bytes, bytearray, memoryview)):
        return _decode(c, pub, name)
    return _point(c, pub, name)


def on_curve(c: Curve, pt) -> bool:
    """True if ``pt`` (a pair of integers) is a point of ``c``; False for
    the point at infinity (None) and for coordinates outside [0, p)."""
    c = _curve(c)
    if pt is INFINITY:
        return False
    x, y = _pair(pt, "pt")
    return 0 <= x < c.p and 0 <= y < c.p and _on(c, x, y)


def _to_jac(pt):
    return (pt[0], pt[1], 1)


def _from_jac(c, j):
    x, y, z = j
    if z == 0:
        return INFINITY
    zi = pow(z, -1, c.p)
    zi2 = zi * zi % c.p
    return (x * zi2 % c.p, y * zi2 * zi % c.p)


def _jdouble(c, j):
    x, y, z = j
    p = c.p
    if z == 0 or y == 0:
        return (1, 1, 0)
    ysq = y * y % p
    s = 4 * x * ysq % p
    m = (3 * x * x + c.a * pow(z, 4, p)) % p
    nx = (m * m - 2 * s) % p
    ny = (m * (s - nx) - 8 * ysq * ysq) % p
    nz = 2 * y * z % p
    return (nx, ny, nz)


def _jadd(c, j1, j2):
    if j1[2] == 0:
        return j2
    if j2[2] == 0:
        return j1
    p = c.p
    x1, y1, z1 = j1
    x2, y2, z2 = j2
    z1s, z2s = z1 * z1 % p, z2 * z2 % p
    u1, u2 = x1 * z2s % p, x2 * z1s % p
    s1, s2 = y1 * z2s * z2 % p, y2 * z1s * z1 % p
    if u1 == u2:
        return _jdouble(c, j1) if s1 == s2 else (1, 1, 0)
    h, r = (u2 - u1) % p, (s2 - s1) % p
    h2 = h * h % p
    h3 = h * h2 % p
    nx = (r * r - h3 - 2 * u1 * h2) % p
    ny = (r * (u1 * h2 - nx) - s1 * h3) % p
    return (nx, ny, h * z1 * z2 % p)


def _mul(c, k: int, pt):
    """k·pt of checked arguments (k reduced mod n)."""
    if pt is INFINITY or k % c.n == 0:
        return INFINITY
    acc = (1, 1, 0)
    base = _to_jac(pt)
    for bit in bin(k % c.n)[2:]:
        acc = _jdouble(c, acc)
        if bit == "1":
            acc = _jadd(c, acc, base)
    return _from_jac(c, acc)


def _add(c, p1, p2):
    if p1 is INFINITY:
        return p2
    if p2 is INFINITY:
        return p1
    return _from_jac(c, _jadd(c, _to_jac(p1), _to_jac(p2)))


# GB/T 32918.5-2017, clause 5: recommended curve parameters.
SM2P256V1 = Curve(
    "sm2p256v1",
    p=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF,
    a=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC,
    b=0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93,
    gx=0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    gy=0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
    n=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123,
)

# GB/T 32918.2-2016 annex A.1 (and GB/T 32918.5 annex): the Fp-256 example curve.
TEST_FP256 = Curve(
    "gbt32918-annex-fp256",
    p=0x8542D69E4C044F18E8B92435BF6FF7DE457283915C45517D722EDB8B08F1DFC3,
    a=0x787968B4FA32C3FD2417842E73BBFEFF2F3C848B6831D7E0EC65228B3937E498,
    b=0x63E4C6D3B23B0C849CF84241484BFE48F61D59A5B16BA06E6E12D1DA27C5249A,
    gx=0x421DEBD61B62EAB6746434EBC3CC315E32220B3BADD50BDC4C4E6C147FEDD43D,
    gy=0x0680512BCBB42C07D47349D2153B70C4E5D7FDFCBFA36EA1A85841B9E46E09A2,
    n=0x8542D69E4C044F18E8B92435BF6FF7DD297720630485628D5AE74EE7C32E79B7,
)

def multiply(c: Curve, k: int, pt) -> tuple | None:
    """k·pt for any integer k (None is the point at infinity); ``pt`` must be
    a point of ``c`` or None."""
    c = _curve(c)
    k = argcheck.integer(k, "k", CryptoError)
    return _mul(c, k, _point(c, pt, "pt", infinity=True))


def add(c: Curve, p1, p2):
    """p1 + p2 (either may be None, the point at infinity)."""
    c = _curve(c)
    return _add(c, _point(c, p1, "p1", infinity=True), _point(c, p2, "p2", infinity=True))


def generator(c: Curve):
    """The base point G = (gx, gy) of ``c``."""
    c = _curve(c)
    return (c.gx, c.gy)


def _int_bytes(c: Curve, v: int) -> bytes:
    return v.to_bytes(c.size, "big")


def encode_point(c: Curve, pt) -> bytes:
    """Uncompressed encoding 04 || x || y (GB/T 32918.1, 4.2.9)."""
    c = _curve(c)
    x, y = _point(c, pt, "pt")
    return b"\x04" + _int_bytes(c, x) + _int_bytes(c, y)


def _decode(c, data, name: str):
    data = argcheck.byteslike(data, name, CryptoError)
    if data == b"\x00":
        raise CryptoError(f"{name} encodes the point at infinity")
    if len(data) != 1 + 2 * c.size or data[0] != 4:
        raise CryptoError(f"{name} must be 04 || x || y, {1 + 2 * c.size} bytes (got {len(data)} bytes)")
    return _point(c, (int.from_bytes(data[1:1 + c.size], "big"), int.from_bytes(data[1 + c.size:], "big")), name)


def decode_point(c: Curve, data: bytes):
    """Decode and validate an uncompressed point (on the curve, not infinity)."""
    return _decode(_curve(c), data, "data")


def decompress(c: Curve, x: int):
    """The point with x-coordinate ``x`` and even y (y² = x³ + ax + b; p ≡ 3 mod 4)."""
    c = _curve(c)
    x = argcheck.integer(x, "x", CryptoError, lo=0, hi=c.p - 1)
    if c.p % 4 != 3:
        raise CryptoError("c: decompression needs p = 3 mod 4")
    rhs = (x * x * x + c.a * x + c.b) % c.p
    y = pow(rhs, (c.p + 1) // 4, c.p)
    if y * y % c.p != rhs:
        raise CryptoError("x is not the x-coordinate of a point of the curve")
    return (x, y if y % 2 == 0 else c.p - y)


def _rand(rand):
    if not callable(rand):
        raise CryptoError(f"rand must be a function like secrets.randbelow, got {type(rand).__name__}")
    return rand


def _draw(rand, bound: int) -> int:
    """rand(bound), which must be an int in [0, bound)."""
    return argcheck.integer(rand(bound), "rand(bound)", CryptoError, lo=0, hi=bound - 1)


def generate_keypair(c: Curve = SM2P256V1, *, rand=secrets.randbelow):
    """(d, P): d uniform in [1, n-2], P = dG."""
    c = _curve(c)
    d = 1 + _draw(_rand(rand), c.n - 2)
    return d, _mul(c, d, (c.gx, c.gy))


def _za(c, uid: bytes, public) -> bytes:
    data = ((8 * len(uid)).to_bytes(2, "big") + uid + _int_bytes(c, c.a) + _int_bytes(c, c.b)
            + _int_bytes(c, c.gx) + _int_bytes(c, c.gy) + _int_bytes(c, public[0]) + _int_bytes(c, public[1]))
    return sm3(data)


def _user_id(user_id) -> bytes:
    return argcheck.byteslike(user_id, "user_id", CryptoError, max_len=MAX_ID)


def z_a(c: Curve, user_id: bytes, public):
    """Z_A = SM3(ENTL || ID || a || b || x_G || y_G || x_A || y_A)."""
    c = _curve(c)
    return _za(c, _user_id(user_id), _public(c, public, "public"))


def _e(c, msg: bytes, uid: bytes, public) -> int:
    return int.from_bytes(sm3(_za(c, uid, public) + msg), "big")


def sign(c: Curve, d: int, msg: bytes, user_id: bytes = DEFAULT_ID, *, k: int | None = None,
         rand=secrets.randbelow) -> tuple:
    """Signature (r, s) of ``msg`` by private key ``d`` (in [1, n-2]). ``k``
    (in [1, n-1]) fixes the nonce (known-answer tests only); by default a
    fresh one is drawn per attempt with ``rand``."""
    c = _curve(c)
    d = argcheck.integer(d, "d", CryptoError, lo=1, hi=c.n - 2)
    msg = argcheck.byteslike(msg, "msg", CryptoError)
    uid = _user_id(user_id)
    if k is not None:
        k = argcheck.integer(k, "k", CryptoError, lo=1, hi=c.n - 1)
    rand = _rand(rand)
    g = (c.gx, c.gy)
    e = _e(c, msg, uid, _mul(c, d, g))
    while True:
        kk = k if k is not None else 1 + _draw(rand, c.n - 1)
        x1, _ = _mul(c, kk, g)
        r = (e + x1) % c.n
        if r != 0 and r + kk != c.n:
            s = pow(1 + d, -1, c.n) * (kk - r * d) % c.n
            if s != 0:
                return r, s
        if k is not None:
            raise CryptoError("k yields a degenerate signature (r = 0, r + k = n or s = 0)")


def verify(c: Curve, public, msg: bytes, signature, user_id: bytes = DEFAULT_ID) -> None:
    """Return None if (r, s) is valid for ``msg``; raise AuthenticationError otherwise."""
    c = _curve(c)
    public = _public(c, public, "public")
    msg = argcheck.byteslike(msg, "msg", CryptoError)
    uid = _user_id(user_id)
    r, s = _pair(signature, "signature")
    if not (1 <= r < c.n and 1 <= s < c.n):
        raise AuthenticationError("signature values out of range")
    t = (r + s) % c.n
    if t == 0:
        raise AuthenticationError("signature does not verify")
    pt = _add(c, _mul(c, s, (c.gx, c.gy)), _mul(c, t, public))
    if pt is INFINITY or (_e(c, msg, uid, public) + pt[0]) % c.n != r:
        raise AuthenticationError("signature does not verify")


def ecdh(c: Curve, d: int, peer_public) -> bytes:
    """Shared secret: the x-coordinate of d·Q (Q validated on the curve)."""
    c = _curve(c)
    peer_public = _public(c, peer_public, "peer_public")
    d = argcheck.integer(d, "d", CryptoError, lo=1, hi=c.n - 1)
    shared = _mul(c, d, peer_public)
    if shared is INFINITY:  # unreachable on a prime-order curve; kept as a guard
        raise CryptoError("shared point is the point at infinity")
    return _int_bytes(c, shared[0])


def signature_bytes(c: Curve, sig) -> bytes:
    """r || s, each ``c.size`` bytes; r and s in [1, n-1]."""
    c = _curve(c)
    r, s = _pair(sig, "sig")
    for v, name in ((r, "sig[0]"), (s, "sig[1]")):
        argcheck.integer(v, name, CryptoError, lo=1, hi=c.n - 1)
    return _int_bytes(c, r) + _int_bytes(c, s)


def signature_from_bytes(c: Curve, data: bytes) -> tuple:
    """(r, s) from r || s (``2 * c.size`` bytes)."""
    c = _curve(c)
    data = argcheck.byteslike(data, "data", CryptoError, length=2 * c.size)
    return int.from_bytes(data[:c.size], "big"), int.from_bytes(data[c.size:], "big")
