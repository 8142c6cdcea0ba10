"""Write frames to a classic pcap file (link type DLT_USER0 = 147, which the
generated Wireshark dissector claims)."""

import struct

LINKTYPE_USER0 = 147


def write(path, frames, *, start_s: float = 0.0, interval_s: float = 0.001) -> int:
    """Write ``frames`` (bytes each, FCS included); returns the count."""
    n = 0
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_USER0))
        for k, fr in enumerate(frames):
            t = start_s + k * interval_s
            sec = int(t)
            usec = int(round((t - sec) * 1e6))
            f.write(struct.pack("<IIII", sec, usec, len(fr), len(fr)))
            f.write(fr)
            n += 1
    return n
