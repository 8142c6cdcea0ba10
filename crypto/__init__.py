"""Cryptographic golden models: SM4, SM3, SM2 (ShangMi) and AES, the AEAD modes
(CTR, GCM, CCM, CCM*) generic over the block cipher, HMAC and HKDF.

Every misuse raises :class:`crypto.errors.CryptoError`; a tag or signature
that fails raises :class:`crypto.errors.AuthenticationError` and releases
nothing.
"""

from crypto.errors import AuthenticationError, CryptoError

__all__ = ["AuthenticationError", "CryptoError"]
