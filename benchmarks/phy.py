"""PHY transmit chain: data_field throughput, and conv.encode against
scikit-commpy's conv_encode on the same input."""

import numpy as np

from benchmarks.timing import best_time, row
from mesh_phy import tx
from mesh_phy.coding import conv


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


def run_viterbi() -> list:
    """Our Viterbi vs scikit-commpy's viterbi_decode on the same noisy frame."""
    import commpy.channelcoding.convcode as cc

    from mesh_phy.coding import viterbi

    out = ["mesh_phy (Viterbi, rate 1/2, Eb/N0 2 dB, traceback 64)"]
    rng = np.random.default_rng(2)
    n = 6000
    info = rng.integers(0, 2, n, dtype=np.uint8)
    info[-6:] = 0
    coded = conv.encode(info, "1/2")
    sigma = np.sqrt(1 / (2 * 0.5 * 10 ** 0.2))
    y = (1 - 2.0 * coded) + sigma * rng.standard_normal(coded.size)
    llr = 2 * y / sigma**2  # positive = "0 likely", what demapper.llr returns
    trellis = cc.Trellis(np.array([6]), np.array([[0o155, 0o117]]))  # 133/171, bit-reversed
    ours_bits = viterbi.decode(llr)
    ours = best_time(lambda: viterbi.decode(llr))
    import time

    t0 = time.perf_counter()
    peer_bits = cc.viterbi_decode(-y, trellis, tb_depth=64, decoding_type="unquantized")[:n]
    peer = time.perf_counter() - t0
    e_ours = int(np.count_nonzero(ours_bits != info))
    e_peer = int(np.count_nonzero(peer_bits != info))
    out.append(row(f"viterbi.decode, one {n}-bit frame", n / ours / 1e6, "Mbit/s",
                   "scikit-commpy viterbi_decode", peer / ours))
    out.append(row("  (scikit-commpy viterbi_decode, same input)", n / peer / 1e3, "kbit/s"))
    out.append(f"  bit errors on that frame: ours {e_ours}, scikit-commpy {e_peer} (same noisy input)")
    batch = np.tile(llr, (64, 1))
    tb = best_time(lambda: viterbi.decode(batch), repeat=3)
    out.append(row("viterbi.decode, batch of 64 frames (2 cores)", batch.shape[0] * n / tb / 1e6, "Mbit/s",
                   "scikit-commpy viterbi_decode", (batch.shape[0] * n / tb) / (n / peer)))
    return out
