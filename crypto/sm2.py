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
"""

import secrets
from typing import NamedTuple

from crypto.errors import AuthenticationError, CryptoError
from crypto.sm3 import sm3

DEFAULT_ID = b"1234567812345678"  # GB/T 35276 default user identity


class Curve(NamedTuple):
    name: str
    p: int
    a: int
    b: int
    gx: int
    gy: int
    n: int

    @property
    def size(self) -> int:
        return (self.p.bit_length() + 7) // 8


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

INFINITY = None


def on_curve(c: Curve, pt) -> bool:
    if pt is INFINITY:
        return False
    x, y = pt
    return 0 <= x < c.p and 0 <= y < c.p and (y * y - (x * x * x + c.a * x + c.b)) % c.p == 0


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


def multiply(c: Curve, k: int, pt) -> tuple | None:
    """k·pt (None is the point at infinity)."""
    if pt is INFINITY or k % c.n == 0:
        return INFINITY
    acc = (1, 1, 0)
    base = _to_jac(pt)
    for bit in bin(k % c.n)[2:]:
        acc = _jdouble(c, acc)
        if bit == "1":
            acc = _jadd(c, acc, base)
    return _from_jac(c, acc)


def add(c: Curve, p1, p2):
    if p1 is INFINITY:
        return p2
    if p2 is INFINITY:
        return p1
    return _from_jac(c, _jadd(c, _to_jac(p1), _to_jac(p2)))


def generator(c: Curve):
    return (c.gx, c.gy)


def _int_bytes(c: Curve, v: int) -> bytes:
    return v.to_bytes(c.size, "big")


def encode_point(c: Curve, pt) -> bytes:
    """Uncompressed encoding 04 || x || y (GB/T 32918.1, 4.2.9)."""
    return b"\x04" + _int_bytes(c, pt[0]) + _int_bytes(c, pt[1])


def decode_point(c: Curve, data: bytes):
    """Decode and validate an uncompressed point (on the curve, not infinity)."""
    if not isinstance(data, (bytes, bytearray)) or len(data) != 1 + 2 * c.size or data[0] != 4:
        raise CryptoError(f"public key must be 04 || x || y, {1 + 2 * c.size} bytes")
    pt = (int.from_bytes(data[1:1 + c.size], "big"), int.from_bytes(data[1 + c.size:], "big"))
    if not on_curve(c, pt):
        raise CryptoError("public key is not a point of the curve")
    return pt


def decompress(c: Curve, x: int):
    """The point with x-coordinate ``x`` and even y (y² = x³ + ax + b; p ≡ 3 mod 4)."""
    if not 0 <= x < c.p or c.p % 4 != 3:
        raise CryptoError("x-coordinate out of range")
    rhs = (x * x * x + c.a * x + c.b) % c.p
    y = pow(rhs, (c.p + 1) // 4, c.p)
    if y * y % c.p != rhs:
        raise CryptoError("x-coordinate is not on the curve")
    return (x, y if y % 2 == 0 else c.p - y)


def generate_keypair(c: Curve = SM2P256V1, *, rand=secrets.randbelow):
    """(d, P): d uniform in [1, n-2], P = dG."""
    d = 1 + rand(c.n - 2)
    return d, multiply(c, d, generator(c))


def z_a(c: Curve, user_id: bytes, public):
    """Z_A = SM3(ENTL || ID || a || b || x_G || y_G || x_A || y_A)."""
    uid = bytes(user_id)
    if len(uid) * 8 >= 1 << 16:
        raise CryptoError("user identity too long (ENTL is 16 bits)")
    data = ((8 * len(uid)).to_bytes(2, "big") + uid + _int_bytes(c, c.a) + _int_bytes(c, c.b)
            + _int_bytes(c, c.gx) + _int_bytes(c, c.gy) + _int_bytes(c, public[0]) + _int_bytes(c, public[1]))
    return sm3(data)


def _e(c, msg, user_id, public) -> int:
    if not isinstance(msg, (bytes, bytearray)):
        raise CryptoError("message must be bytes")
    return int.from_bytes(sm3(z_a(c, user_id, public) + bytes(msg)), "big")


def sign(c: Curve, d: int, msg: bytes, user_id: bytes = DEFAULT_ID, *, k: int | None = None,
         rand=secrets.randbelow) -> tuple:
    """Signature (r, s) of ``msg`` by private key ``d``. ``k`` fixes the nonce
    (known-answer tests only); by default a fresh one is drawn per attempt."""
    if not isinstance(d, int) or not 1 <= d <= c.n - 2:
        raise CryptoError("private key must be an integer in [1, n-2]")
    public = multiply(c, d, generator(c))
    e = _e(c, msg, user_id, public)
    while True:
        kk = k if k is not None else 1 + rand(c.n - 1)
        x1, _ = multiply(c, kk, generator(c))
        r = (e + x1) % c.n
        if r != 0 and r + kk != c.n:
            s = pow(1 + d, -1, c.n) * (kk - r * d) % c.n
            if s != 0:
                return r, s
        if k is not None:
            raise CryptoError("the given k yields a degenerate signature")


def verify(c: Curve, public, msg: bytes, signature, user_id: bytes = DEFAULT_ID) -> None:
    """Return None if (r, s) is valid for ``msg``; raise AuthenticationError otherwise."""
    if isinstance(public, (bytes, bytearray)):
        public = decode_point(c, public)
    elif not on_curve(c, public):
        raise CryptoError("public key is not a point of the curve")
    try:
        r, s = signature
    except (TypeError, ValueError):
        raise CryptoError("signature must be a pair (r, s)") from None
    if not (isinstance(r, int) and isinstance(s, int) and 1 <= r < c.n and 1 <= s < c.n):
        raise AuthenticationError("signature values out of range")
    t = (r + s) % c.n
    if t == 0:
        raise AuthenticationError("signature does not verify")
    pt = add(c, multiply(c, s, generator(c)), multiply(c, t, public))
    if pt is INFINITY or (_e(c, msg, user_id, public) + pt[0]) % c.n != r:
        raise AuthenticationError("signature does not verify")


def ecdh(c: Curve, d: int, peer_public) -> bytes:
    """Shared secret: the x-coordinate of d·Q (Q validated on the curve)."""
    if isinstance(peer_public, (bytes, bytearray)):
        peer_public = decode_point(c, peer_public)
    elif not on_curve(c, peer_public):
        raise CryptoError("peer public key is not a point of the curve")
    if not isinstance(d, int) or not 1 <= d < c.n:
        raise CryptoError("private key out of range")
    shared = multiply(c, d, peer_public)
    if shared is INFINITY:
        raise CryptoError("shared point is the point at infinity")
    return _int_bytes(c, shared[0])


def signature_bytes(c: Curve, sig) -> bytes:
    """r || s, each ``c.size`` bytes."""
    return _int_bytes(c, sig[0]) + _int_bytes(c, sig[1])


def signature_from_bytes(c: Curve, data: bytes) -> tuple:
    if not isinstance(data, (bytes, bytearray)) or len(data) != 2 * c.size:
        raise CryptoError(f"signature must be {2 * c.size} bytes (r || s)")
    return int.from_bytes(data[:c.size], "big"), int.from_bytes(data[c.size:], "big")
