"""Misuse is refused with a typed error, and a forged message never yields plaintext."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import AuthenticationError, CryptoError, kdf, modes, sm2, sm3, sm4
from crypto.aes import AES

KEY = bytes(range(16))


@pytest.mark.parametrize("call", [
    lambda: sm4.encrypt_block(bytes(15), bytes(16)),
    lambda: sm4.encrypt_block(bytes(16), bytes(17)),
    lambda: sm4.encrypt_block("k" * 16, bytes(16)),
    lambda: sm4.encrypt_blocks(KEY, bytes(20)),
    lambda: AES(bytes(20)),
    lambda: AES(KEY).encrypt_block(bytes(3)),
    lambda: modes.ctr(sm4.SM4(KEY), bytes(8), b"x"),
    lambda: modes.gcm_encrypt(sm4.SM4(KEY), b"", b"x"),
    lambda: modes.gcm_encrypt(sm4.SM4(KEY), bytes(12), b"x", tag_len=3),
    lambda: modes.ccm_encrypt(sm4.SM4(KEY), bytes(6), b"x"),        # nonce too short
    lambda: modes.ccm_encrypt(sm4.SM4(KEY), bytes(14), b"x"),       # nonce too long
    lambda: modes.ccm_encrypt(sm4.SM4(KEY), bytes(13), b"x", tag_len=5),
    lambda: modes.ccm_encrypt(sm4.SM4(KEY), bytes(13), bytes(70000)),  # L=2: < 65536 bytes
    lambda: modes.ccm_star_encrypt(sm4.SM4(KEY), bytes(12), b"x"),
    lambda: modes.ccm_star_encrypt(sm4.SM4(KEY), bytes(13), b"x", tag_len=6),
    lambda: modes.ccm_star_encrypt(sm4.SM4(KEY), bytes(13), b"x", tag_len=0),
    lambda: kdf.hmac("md5", b"k", b"m"),
    lambda: kdf.hkdf("sha256", b"k", b"", b"", 255 * 32 + 1),
    lambda: sm3.SM3().update("text"),
    lambda: sm3.sm3_batch([b"a", b"bb"]),
    lambda: sm2.decode_point(sm2.SM2P256V1, b"\x04" + bytes(64)),   # (0, 0) is not on the curve
    lambda: sm2.ecdh(sm2.SM2P256V1, 5, (1, 2)),
    lambda: sm2.sign(sm2.SM2P256V1, 0, b"m"),
])
def test_misuse_is_refused(call):
    with pytest.raises(CryptoError):
        call()


def _aeads():
    c = sm4.SM4(KEY)
    a = AES(KEY)
    return [
        ("sm4-gcm", lambda m, ad: modes.gcm_encrypt(c, bytes(12), m, ad),
         lambda ct, t, ad: modes.gcm_decrypt(c, bytes(12), ct, t, ad)),
        ("sm4-ccm*", lambda m, ad: modes.ccm_star_encrypt(c, bytes(13), m, ad, 4),
         lambda ct, t, ad: modes.ccm_star_decrypt(c, bytes(13), ct, t, ad)),
        ("aes-ccm", lambda m, ad: modes.ccm_encrypt(a, bytes(13), m, ad, 16),
         lambda ct, t, ad: modes.ccm_decrypt(a, bytes(13), ct, t, ad)),
    ]


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=60), st.binary(max_size=20), st.integers(0, 10**6), st.integers(1, 255),
       st.sampled_from(range(3)))
def test_any_single_byte_change_is_rejected(msg, aad, pos, flip, which):
    """Flip one byte anywhere in ciphertext, tag or AAD: decryption must fail
    with AuthenticationError and return nothing."""
    _, enc, dec = _aeads()[which]
    ct, tag = enc(msg, aad)
    parts = [bytearray(ct), bytearray(tag), bytearray(aad)]
    sizes = [len(p) for p in parts]
    pos %= sum(sizes)
    for p, n in zip(parts, sizes, strict=True):
        if pos < n:
            p[pos] ^= flip
            break
        pos -= n
    with pytest.raises(AuthenticationError):
        dec(bytes(parts[0]), bytes(parts[1]), bytes(parts[2]))
    assert dec(ct, tag, aad) == msg


def test_truncated_tag_is_rejected():
    ct, tag = modes.gcm_encrypt(sm4.SM4(KEY), bytes(12), b"payload")
    with pytest.raises(AuthenticationError):
        modes.gcm_decrypt(sm4.SM4(KEY), bytes(12), ct, tag[:12])


def test_sm2_bad_signatures():
    c = sm2.SM2P256V1
    d, pub = sm2.generate_keypair(c)
    r, s = sm2.sign(c, d, b"msg")
    for bad in [(r, s + 1), (r + 1, s), (0, s), (r, c.n), (c.n - s, s)]:
        with pytest.raises(AuthenticationError):
            sm2.verify(c, pub, b"msg", bad)
    with pytest.raises(AuthenticationError):
        sm2.verify(c, pub, b"msh", (r, s))
    with pytest.raises(AuthenticationError):
        sm2.verify(c, pub, b"msg", (r, s), user_id=b"other")
    with pytest.raises(CryptoError):
        sm2.verify(c, pub, b"msg", "not a pair")
