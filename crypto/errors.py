"""The error types of ``crypto``: one base (a ``ValueError``) and the
authentication failure that must never come with plaintext."""


class CryptoError(ValueError):
    """Misuse: wrong key, nonce, tag or block length, bad parameters."""


class AuthenticationError(CryptoError):
    """A tag or signature did not verify. No plaintext or key is released."""
