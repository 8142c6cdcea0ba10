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


def _noisy_frame(rng, n: int, rate: str, ebn0_db: float):
    """A terminated n-bit frame coded at ``rate``, BPSK over AWGN at Eb/N0:
    (info bits, received y with +1 for bit 0, LLRs as demapper.llr gives them)."""
    info = rng.integers(0, 2, n, dtype=np.uint8)
    info[-6:] = 0
    coded = conv.encode(info, rate)
    code_rate = {"1/2": 1 / 2, "2/3": 2 / 3, "3/4": 3 / 4}[rate]
    sigma = np.sqrt(1 / (2 * code_rate * 10 ** (ebn0_db / 10)))
    y = (1 - 2.0 * coded) + sigma * rng.standard_normal(coded.size)
    return info, y, 2 * y / sigma**2  # positive LLR = "0 likely"


def run_viterbi() -> list:
    """Viterbi throughput (decoded bits per second, quantiser included) on one
    core: the DATA field of a 1000-byte PSDU (SERVICE + PSDU + tail = 8022
    bits) at rates 1/2 and 3/4, a long frame, the same frame as integer soft
    values (no quantiser); then a batch over the cores. scikit-commpy's
    viterbi_decode decodes the same noisy frame in the same process."""
    import time

    import commpy.channelcoding.convcode as cc
    import numba

    from mesh_phy.coding import viterbi

    out = [f"mesh_phy (Viterbi, {viterbi.DEFAULT_SOFT_BITS}-bit soft, traceback {viterbi.DEFAULT_TRACEBACK}, "
           "Eb/N0 2 dB, one core unless stated)"]
    rng = np.random.default_rng(2)
    n = 16 + 8 * 1000 + 6
    info, y, llr = _noisy_frame(rng, n, "1/2", 2.0)
    trellis = cc.Trellis(np.array([6]), np.array([[0o155, 0o117]]))  # 133/171, bit-reversed
    ours_bits = viterbi.decode(llr)
    ours = best_time(lambda: viterbi.decode(llr))
    t0 = time.perf_counter()
    peer_bits = cc.viterbi_decode(-y, trellis, tb_depth=64, decoding_type="unquantized")[:n]
    peer = time.perf_counter() - t0
    e_ours = int(np.count_nonzero(ours_bits != info))
    e_peer = int(np.count_nonzero(peer_bits != info))
    out.append(row(f"viterbi.decode, one {n}-bit frame, rate 1/2", n / ours / 1e6, "Mbit/s",
                   "scikit-commpy viterbi_decode", peer / ours))
    out.append(row("  (scikit-commpy viterbi_decode, same input)", n / peer / 1e3, "kbit/s"))
    out.append(f"  bit errors on that frame: ours {e_ours}, scikit-commpy {e_peer} (same noisy input)")
    soft = viterbi.to_soft(llr, viterbi.DEFAULT_SOFT_BITS)
    t = best_time(lambda: viterbi.decode(soft))
    out.append(row("  same frame as 6-bit integers (no quantiser)", n / t / 1e6, "Mbit/s"))
    _, _, llr34 = _noisy_frame(rng, n, "3/4", 4.0)
    t = best_time(lambda: viterbi.decode(llr34, "3/4"))
    out.append(row("viterbi.decode, same size, rate 3/4, 4 dB", n / t / 1e6, "Mbit/s"))
    long_n = 120_000
    _, _, llr_long = _noisy_frame(rng, long_n, "1/2", 2.0)
    t = best_time(lambda: viterbi.decode(llr_long), repeat=3)
    out.append(row(f"viterbi.decode, one {long_n // 1000}k-bit frame, rate 1/2", long_n / t / 1e6, "Mbit/s"))
    batch = np.stack([_noisy_frame(rng, n, "1/2", 2.0)[2] for _ in range(64)])
    t = best_time(lambda: viterbi.decode(batch), repeat=3)
    out.append(row(f"viterbi.decode, 64 such frames, {numba.get_num_threads()} cores", batch.shape[0] * n / t / 1e6,
                   "Mbit/s", "scikit-commpy viterbi_decode", (batch.shape[0] * n / t) / (n / peer)))
    return out
