"""The error type of ``protocol``."""


class FrameError(ValueError):
    """A frame (bytes or dict) that cannot be encoded or decoded. ``reason``
    says why and ``offset`` is the byte offset where decoding stopped (None
    when encoding a dict)."""

    def __init__(self, reason: str, offset: int | None = None):
        self.reason = reason
        self.offset = offset
        super().__init__(reason if offset is None else f"{reason} (at byte {offset})")
