"""CCM* on OpenSSL: the fast path of the link AEAD, in pyca's AEAD shape.

:class:`CCMStar` computes exactly what :func:`crypto.modes.ccm_star_encrypt`
computes (IEEE 802.15.4 CCM*: 13-byte nonce, 4/8/16-byte MIC, AES or SM4),
byte for byte — the tests compare the two on random inputs — but with the
block cipher in OpenSSL through ``cryptography``:

* AES: OpenSSL's own CCM (``cryptography``'s ``AESCCM``);
* SM4: OpenSSL has no SM4-CCM, so CCM is assembled from two OpenSSL
  calls: the CBC-MAC is the last block of an SM4-CBC encryption (zero IV) of
  the CCM MAC input (:func:`crypto.modes.ccm_mac_input`, SP 800-38C A.2), and
  one SM4-CTR pass from counter block A0 gives S0 (the tag mask) followed by
  the keystream of the payload (A1, A2, …).

``encrypt(nonce, data, associated_data)`` returns ciphertext ‖ MIC;
``decrypt`` checks the MIC in constant time and raises
:class:`crypto.errors.AuthenticationError` without releasing plaintext.
The golden model stays :mod:`crypto.modes`; this is its accelerator.
"""

import hmac

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.ciphers import modes as ossl_modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM

import argcheck
from crypto.errors import AuthenticationError, CryptoError
from crypto.modes import BLOCK, CCM_STAR_NONCE, CCM_STAR_TAGS, ccm_mac_input

CIPHERS = ("sm4", "aes")
MAX_MESSAGE = (1 << 16) - 1  # a 13-byte nonce leaves a 2-byte length field (q = 2)
_ZERO_IV = bytes(BLOCK)


class CCMStar:
    """CCM* under a 16-byte key (AES also 24 or 32 bytes) with a fixed MIC length."""

    def __init__(self, key: bytes, cipher: str = "sm4", tag_len: int = 8):
        self.cipher = argcheck.one_of(cipher, "cipher", CryptoError, CIPHERS)
        self.tag_len = argcheck.one_of(tag_len, "tag_len", CryptoError, CCM_STAR_TAGS)
        key = argcheck.byteslike(key, "key", CryptoError)
        if len(key) not in ((16,) if cipher == "sm4" else (16, 24, 32)):
            raise CryptoError(f"{cipher} key must be {'16' if cipher == 'sm4' else '16, 24 or 32'} bytes, "
                              f"got {len(key)}")
        if cipher == "aes":
            self._aesccm = AESCCM(key, tag_length=self.tag_len)
        else:
            self._sm4 = algorithms.SM4(key)

    def _check(self, nonce, data, associated_data, tag_bytes: int):
        nonce = argcheck.byteslike(nonce, "nonce", CryptoError, length=CCM_STAR_NONCE)
        data = argcheck.byteslike(data, "data", CryptoError)
        aad = argcheck.byteslike(associated_data, "associated_data", CryptoError)
        if len(data) > MAX_MESSAGE + tag_bytes:
            raise CryptoError(f"data of {len(data)} bytes does not fit a 13-byte CCM* nonce")
        return nonce, data, aad

    def _sm4_stream(self, nonce: bytes, n: int) -> bytes:
        """S0 (the MIC mask, from counter block A0) followed by n keystream
        bytes (A1, A2, …): one SM4-CTR pass."""
        a0 = bytes([15 - CCM_STAR_NONCE - 1]) + nonce + bytes(15 - CCM_STAR_NONCE)
        return Cipher(self._sm4, ossl_modes.CTR(a0)).encryptor().update(bytes(BLOCK + n))

    def _sm4_tag(self, nonce: bytes, aad: bytes, pt: bytes, s0: bytes) -> bytes:
        """CBC-MAC (last block of SM4-CBC with a zero IV) masked with S0."""
        cbc = Cipher(self._sm4, ossl_modes.CBC(_ZERO_IV)).encryptor()
        mac = cbc.update(ccm_mac_input(nonce, aad, pt, self.tag_len))[-BLOCK:]
        return _xor(mac[:self.tag_len], s0[:self.tag_len])

    def encrypt(self, nonce: bytes, data: bytes, associated_data: bytes = b"") -> bytes:
        """Ciphertext ‖ MIC (``tag_len`` bytes) of ``data`` under ``nonce``,
        authenticating ``associated_data`` too."""
        nonce, pt, aad = self._check(nonce, data, associated_data, 0)
        if self.cipher == "aes":
            return self._aesccm.encrypt(nonce, pt, aad)
        stream = self._sm4_stream(nonce, len(pt))
        return _xor(pt, stream[BLOCK:]) + self._sm4_tag(nonce, aad, pt, stream)

    def decrypt(self, nonce: bytes, data: bytes, associated_data: bytes = b"") -> bytes:
        """Plaintext of ``data`` (ciphertext ‖ MIC) if the MIC verifies; else
        :class:`AuthenticationError` and nothing else."""
        nonce, data, aad = self._check(nonce, data, associated_data, self.tag_len)
        if len(data) < self.tag_len:
            raise AuthenticationError(f"data of {len(data)} bytes is shorter than the {self.tag_len}-byte MIC")
        if self.cipher == "aes":
            try:
                return self._aesccm.decrypt(nonce, data, aad)
            except InvalidTag:
                raise AuthenticationError("CCM* MIC does not verify") from None
        ct, tag = data[:-self.tag_len], data[-self.tag_len:]
        stream = self._sm4_stream(nonce, len(ct))  # the keystream does not depend on the plaintext
        pt = _xor(ct, stream[BLOCK:])
        if not hmac.compare_digest(self._sm4_tag(nonce, aad, pt, stream), tag):
            del pt, stream  # the exception's traceback keeps this frame's locals: leave no plaintext, no keystream
            raise AuthenticationError("CCM* MIC does not verify")
        return pt


def _xor(a: bytes, b: bytes) -> bytes:
    """a XOR the first len(a) bytes of b."""
    return (int.from_bytes(a, "big") ^ int.from_bytes(b[:len(a)], "big")).to_bytes(len(a), "big") if a else b""
