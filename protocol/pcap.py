"""Write frames to a classic pcap file (link type DLT_USER0 = 147, which the
generated Wireshark dissector claims).

Timestamps: frame k at ``start_s + k * interval_s`` seconds, rounded to the
microsecond (pcap's seconds + microseconds, both unsigned 32-bit)."""

import os
import struct

import argcheck
from protocol.errors import FrameError

LINKTYPE_USER0 = 147
SNAPLEN = 65535  # bytes: the longest frame a record holds


def write(path, frames, *, start_s: float = 0.0, interval_s: float = 0.001) -> int:
    """Write ``frames`` (a list or tuple of bytes-likes, FCS included, at most
    SNAPLEN bytes each) to the file ``path`` (str, bytes or path-like); returns the
    count. Everything is checked before the file is opened; a file that cannot
    be written raises FrameError too (with the OSError as its cause)."""
    try:
        path = os.fspath(path)
    except TypeError:
        raise FrameError(f"path must be a str, bytes or path-like, got {type(path).__name__}") from None
    if not isinstance(frames, (list, tuple)):
        raise FrameError(f"frames must be a list or tuple of bytes, got {type(frames).__name__}")
    frames = [argcheck.byteslike(fr, f"frames[{k}]", FrameError, max_len=SNAPLEN) for k, fr in enumerate(frames)]
    start_s = argcheck.real(start_s, "start_s", FrameError, lo=0.0)
    interval_s = argcheck.real(interval_s, "interval_s", FrameError, lo=0.0)
    last_us = round((start_s + max(len(frames) - 1, 0) * interval_s) * 1e6)
    if last_us >= 2**32 * 10**6:
        raise FrameError("start_s + (len(frames) - 1) * interval_s must be under 2^32 s (pcap's 32-bit seconds)")
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, LINKTYPE_USER0)]
    for k, fr in enumerate(frames):
        sec, usec = divmod(round((start_s + k * interval_s) * 1e6), 10**6)
        out += [struct.pack("<IIII", sec, usec, len(fr), len(fr)), fr]
    try:
        with open(path, "wb") as f:
            f.write(b"".join(out))
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise FrameError(f"path: cannot write {os.fsdecode(path)!r}: {getattr(exc, 'strerror', None) or exc}") from exc
    return len(frames)
