"""Receive side of the 802.11a DATA field with ideal timing and channel:
the inverse of :func:`mesh_phy.tx.data_field` (IEEE 802.11a-1999, 17.3.5).

symbols → max-log LLRs → deinterleave → depuncture → Viterbi → recover the
scrambler seed from the seven zero bits that open SERVICE (17.3.5.4) →
descramble → PSDU.
"""

import numpy as np

from mesh_phy.bits import bits_to_bytes
from mesh_phy.coding import interleaver, scrambler, viterbi
from mesh_phy.errors import PhyError
from mesh_phy.modulation import demapper
from mesh_phy.rates import SUBCARRIERS, rate_params
from mesh_phy.tx import SERVICE_BITS, TAIL_BITS


def decode_bits(symbols, rate_mbps: int, noise_var, **viterbi_options) -> np.ndarray:
    """Decoded (still scrambled) DATA bits, N_SYM * N_DBPS of them."""
    p = rate_params(rate_mbps)
    y = np.asarray(symbols)
    if y.size == 0 or y.size % SUBCARRIERS:
        raise PhyError(f"{y.size} symbols is not a whole number of OFDM symbols (48 each)")
    llrs = demapper.llr(y.reshape(-1), p.modulation, noise_var)
    deint = interleaver.deinterleave(llrs, p.n_cbps, p.n_bpsc)
    # The pad bits follow the tail (17.3.5.3), so the trellis does not end in
    # state 0: decode the end from the best state.
    viterbi_options.setdefault("terminated", False)
    return viterbi.decode(deint, p.coding_rate, **viterbi_options)


def _frame_length(descrambled, decoded, n_sym, n_dbps) -> int:
    """PSDU length in bytes, found from the frame's end: the six tail bits are
    zero in the *scrambled* stream and the pad bits are zero after
    descrambling. The smallest length consistent with N_SYM whose tail and pad
    fit is taken (the SIGNAL field's LENGTH would give it directly)."""
    total = n_sym * n_dbps
    lo = max(0, -(-((n_sym - 1) * n_dbps + 1 - SERVICE_BITS - TAIL_BITS) // 8))
    hi = (total - SERVICE_BITS - TAIL_BITS) // 8
    for length in range(lo, hi + 1):
        tail = SERVICE_BITS + 8 * length
        if not decoded[tail:tail + TAIL_BITS].any() and not descrambled[tail + TAIL_BITS:].any():
            return length
    raise PhyError("no PSDU length fits the decoded tail and pad bits; pass length= (from SIGNAL)")


def data_field(symbols, rate_mbps: int, noise_var, *, length: int | None = None,
               **viterbi_options) -> bytes:
    """Recover the PSDU from the DATA field's mapped symbols (shape (N_SYM, 48)
    or flat). ``noise_var``: complex noise variance N0 per subcarrier.
    ``length``: PSDU bytes if known (SIGNAL's LENGTH); otherwise found from the
    tail and pad. Extra keywords go to :func:`mesh_phy.coding.viterbi.decode`."""
    p = rate_params(rate_mbps)
    decoded = decode_bits(symbols, rate_mbps, noise_var, **viterbi_options)
    try:
        seed = scrambler.seed_from_sequence(decoded[:7])
    except PhyError:
        raise PhyError("SERVICE field decodes to all zeros: no scrambler seed (frame lost)") from None
    descrambled = scrambler.scramble(decoded, seed)
    n_sym = decoded.size // p.n_dbps
    if length is None:
        length = _frame_length(descrambled, decoded, n_sym, p.n_dbps)
    elif not isinstance(length, int) or not 0 <= length <= (decoded.size - SERVICE_BITS - TAIL_BITS) // 8:
        raise PhyError(f"length {length!r} does not fit {n_sym} OFDM symbols at {rate_mbps} Mbit/s")
    return bits_to_bytes(descrambled[SERVICE_BITS:SERVICE_BITS + 8 * length])
