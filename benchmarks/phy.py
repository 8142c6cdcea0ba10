"""PHY transmit chain: data_field throughput, and conv.encode against
scikit-commpy's conv_encode on the same input."""

import numpy as np

from benchmarks.timing import best_time, row
from mesh_phy import conv, tx


def run() -> list:
    out = ["mesh_phy (transmit chain)"]
    rng = np.random.default_rng(1)
    psdu = rng.bytes(1500)
    for rate in (6, 54):
        t = best_time(lambda r=rate: tx.data_field(psdu, r, 0x5D))
        out.append(row(f"tx.data_field, 1500-byte PSDU at {rate} Mbit/s", 8 * len(psdu) / t / 1e6, "Mbit/s"))

    import commpy.channelcoding.convcode as cc

    bits = rng.integers(0, 2, 100_000, dtype=np.uint8)
    # commpy's notation is bit-reversed (see tests/test_conv.py): 133/171 → 155/117
    trellis = cc.Trellis(np.array([6]), np.array([[0o155, 0o117]]))
    ours = best_time(lambda: conv.encode(bits, "1/2"))
    peer = best_time(lambda: cc.conv_encode(bits, trellis, termination="cont"), repeat=2)
    assert np.array_equal(conv.encode(bits, "1/2"), cc.conv_encode(bits, trellis, "cont").astype(np.uint8))
    out.append(row("conv.encode rate 1/2, 100k bits", bits.size / ours / 1e6, "Mbit/s",
                   "scikit-commpy conv_encode", peer / ours))
    out.append(row("  (scikit-commpy conv_encode, same input)", bits.size / peer / 1e6, "Mbit/s"))
    return out
