"""crypto.aead.CCMStar (OpenSSL) is byte-identical with the golden CCM*
(crypto.modes, itself checked against RFC 3610 / RFC 8998 vectors) and never
releases plaintext of a forged frame."""

import pytest
from hostile import sweep
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import modes
from crypto.aead import CCMStar
from crypto.aes import AES
from crypto.errors import AuthenticationError, CryptoError
from crypto.sm4 import SM4

GOLDEN = {"sm4": SM4, "aes": AES}


@settings(max_examples=150, deadline=None)
@given(cipher=st.sampled_from(["sm4", "aes"]), tag_len=st.sampled_from([4, 8, 16]),
       key=st.binary(min_size=16, max_size=16),
       nonce=st.binary(min_size=13, max_size=13), data=st.binary(max_size=300), aad=st.binary(max_size=80))
def test_same_bytes_as_golden_model(cipher, tag_len, key, nonce, data, aad):
    fast = CCMStar(key, cipher, tag_len)
    ct, mic = modes.ccm_star_encrypt(GOLDEN[cipher](key), nonce, data, aad, tag_len)
    out = fast.encrypt(nonce, data, aad)
    assert out == ct + mic
    assert fast.decrypt(nonce, out, aad) == data
    assert modes.ccm_star_decrypt(GOLDEN[cipher](key), nonce, out[:len(data)], out[len(data):], aad) == data


@pytest.mark.parametrize("cipher", ["sm4", "aes"])
@pytest.mark.parametrize("tag_len", [4, 8, 16])
def test_every_tampered_byte_is_refused_without_plaintext(cipher, tag_len):
    key, nonce, aad, data = bytes(range(16)), bytes(range(13)), b"header bytes", b"payload " * 5
    fast = CCMStar(key, cipher, tag_len)
    frame = fast.encrypt(nonce, data, aad)
    refused = 0
    for i in range(len(frame)):
        forged = bytearray(frame)
        forged[i] ^= 0x01
        with pytest.raises(AuthenticationError):
            fast.decrypt(nonce, bytes(forged), aad)
        refused += 1
    for i in range(len(aad)):
        bad = bytearray(aad)
        bad[i] ^= 0x80
        with pytest.raises(AuthenticationError):
            fast.decrypt(nonce, frame, bytes(bad))
        refused += 1
    with pytest.raises(AuthenticationError):
        fast.decrypt(bytes(13), frame, aad)
    with pytest.raises(AuthenticationError):
        CCMStar(bytes(16), cipher, tag_len).decrypt(nonce, frame, aad)
    with pytest.raises(AuthenticationError):
        fast.decrypt(nonce, frame[:tag_len - 1], aad)
    assert refused == len(frame) + len(aad)


def test_hostile_arguments_raise_crypto_error():
    assert sweep(CCMStar, {"key": bytes(16), "cipher": "sm4", "tag_len": 8}, CryptoError) > 0
    for cipher in ("sm4", "aes"):
        c = CCMStar(bytes(16), cipher, 8)
        frame = c.encrypt(bytes(13), b"x")
        assert sweep(c.encrypt, {"nonce": bytes(13), "data": b"abc", "associated_data": b""}, CryptoError) > 0
        assert sweep(c.decrypt, {"nonce": bytes(13), "data": frame, "associated_data": b""}, CryptoError) > 0
    for bad in (4.0, True, 6, "8"):
        with pytest.raises(CryptoError, match="tag_len"):
            CCMStar(bytes(16), "sm4", bad)
    with pytest.raises(CryptoError, match="cipher"):
        CCMStar(bytes(16), "des", 8)
    with pytest.raises(CryptoError, match="sm4 key must be 16"):
        CCMStar(bytes(32), "sm4", 8)
    with pytest.raises(CryptoError, match="does not fit"):
        CCMStar(bytes(16), "sm4", 8).encrypt(bytes(13), bytes(1 << 16))


@pytest.mark.parametrize("cipher", ["sm4", "aes"])
def test_refused_frame_leaves_no_plaintext_in_the_traceback(cipher):
    """A logger that records local variables must not find the forged frame's
    plaintext: neither the golden CCM* nor the fast path keeps it in a frame."""
    key, nonce, secret = bytes(range(16)), bytes(13), b"the secret plaintext, 32 bytes.."
    fast = CCMStar(key, cipher, 8)
    frame = bytearray(fast.encrypt(nonce, secret))
    frame[-1] ^= 1
    for decrypt in (lambda: fast.decrypt(nonce, bytes(frame)),
                    lambda: modes.ccm_star_decrypt(GOLDEN[cipher](key), nonce, bytes(frame[:-8]), bytes(frame[-8:]))):
        try:
            decrypt()
        except AuthenticationError as exc:
            tb = exc.__traceback__.tb_next  # the first frame is this test's own, which holds the secret
            while tb is not None:
                for value in tb.tb_frame.f_locals.values():
                    assert not (isinstance(value, (bytes, bytearray)) and secret[:16] in bytes(value))
                tb = tb.tb_next
        else:
            raise AssertionError("forged frame accepted")
