"""Receive side of 802.11a (IEEE 802.11a-1999, 17.3).

:func:`data_field` inverts :func:`mesh_phy.tx.data_field` on ideal, timed
48-subcarrier symbols: symbols → max-log LLRs → deinterleave → depuncture →
Viterbi → recover the scrambler seed from the seven zero bits that open
SERVICE (17.3.5.4) → descramble → PSDU.

:func:`receive` takes raw samples of a PPDU (:func:`mesh_phy.tx.ppdu`) at
20 Msample/s: strong CW lines and DC removed (:mod:`mesh_phy.ofdm.tones`),
detection, CFO, timing (:mod:`mesh_phy.ofdm.sync`), channel
estimate and pilot tracking (:mod:`mesh_phy.ofdm.equalizer`), SIGNAL
(:mod:`mesh_phy.ofdm.signal_field`), then the DATA through
:func:`data_field` with per-subcarrier noise variances N0/|H_k|^2 (LLRs
weighted by the channel gain), quantised to 6 soft bits on a fixed LLR
scale (:data:`mesh_phy.modulation.demapper.LLR_FULL_SCALE`). Where the first
decode, re-encoded, shows subcarriers whose error power stands far above the
long training's N0 (a CW line too weak to remove), the DATA is decoded again
with each subcarrier's own N0 (:func:`_narrowband_noise`).
"""

from typing import NamedTuple

import numpy as np

import argcheck
from mesh_phy.bits import bits_to_bytes
from mesh_phy.coding import conv, interleaver, scrambler, viterbi
from mesh_phy.errors import DataError, NoPacket, PhyError, SignalError, Truncated
from mesh_phy.modulation import demapper, mapper
from mesh_phy.ofdm import equalizer, signal_field, symbols, sync, tones
from mesh_phy.ofdm.symbols import CP, DATA_BINS, DATA_SUBCARRIERS, N_FFT, SYMBOL, USED_BINS
from mesh_phy.ofdm.training import LT1_OFFSET
from mesh_phy.rates import SUBCARRIERS, rate_params
from mesh_phy.tx import SERVICE_BITS, TAIL_BITS, n_symbols

__all__ = ["DataError", "Genie", "NoPacket", "Reception", "SignalError", "Truncated",
           "data_field", "decode_bits", "receive"]


def decode_bits(symbols, rate_mbps: int, noise_var, *, frames: int = 1, **viterbi_options) -> np.ndarray:
    """Decoded (still scrambled) DATA bits, N_SYM * N_DBPS of them: shape
    (N_SYM * N_DBPS,) for one frame, (frames, N_SYM * N_DBPS) for several.

    ``symbols``: the equalised data points, any shape holding ``frames``
    frames of whole OFDM symbols (48 points each) back to back.
    ``noise_var``: N0 of each point (a scalar or an array of the same size,
    e.g. N0/|H_k|^2 per subcarrier). Max-log LLRs are quantised to
    ``soft_bits`` (default :data:`mesh_phy.coding.viterbi.DEFAULT_SOFT_BITS`)
    with a fixed step, full scale at
    :data:`mesh_phy.modulation.demapper.LLR_FULL_SCALE` nats,
    not per frame, so a strong subcarrier does not coarsen a weak one.
    ``terminated`` defaults to False (the pad bits follow the tail, 17.3.5.3,
    so the trellis does not end in state 0); other keywords go to
    :func:`mesh_phy.coding.viterbi.decode` (``hard=True`` decodes the signs)."""
    p = rate_params(rate_mbps)
    n_frames = argcheck.integer(frames, "frames", PhyError, lo=1, hi=1 << 20)
    y = np.asarray(symbols)
    if y.size == 0 or y.size % (SUBCARRIERS * n_frames):
        raise PhyError(f"{y.size} symbols is not {n_frames} frame(s) of whole OFDM symbols (48 each)")
    nv = np.asarray(noise_var)
    if nv.size not in (1, y.size):
        raise PhyError(f"noise_var must be a scalar or hold one value per symbol ({y.size}), got {nv.size}")
    shape = (n_frames, -1) if n_frames > 1 else (-1,)
    llrs = demapper.llr(y.reshape(shape), p.modulation, nv.reshape(shape) if nv.size > 1 else noise_var)
    deint = interleaver.deinterleave(llrs, p.n_cbps, p.n_bpsc)
    soft_bits = viterbi_options.pop("soft_bits", viterbi.DEFAULT_SOFT_BITS)
    if viterbi_options.get("hard") is not True:
        deint = demapper.quantize(deint, soft_bits, scale=demapper.soft_max(soft_bits) / demapper.LLR_FULL_SCALE)
    viterbi_options.setdefault("terminated", False)
    return viterbi.decode(deint, p.coding_rate, soft_bits=soft_bits, **viterbi_options)


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
    return _psdu(decode_bits(symbols, rate_mbps, noise_var, **viterbi_options), rate_mbps, length)


def _psdu(decoded, rate_mbps: int, length: int | None) -> bytes:
    """The PSDU from the decoded, still scrambled DATA bits (see :func:`data_field`)."""
    p = rate_params(rate_mbps)
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


# ----------------------------------------------------------------------------
# Whole-PPDU receiver

FS_HZ = 20e6
# The FFT window starts this many samples before the symbol's end of cyclic
# prefix as timed on the strongest path: margin for earlier paths and for a
# sampling-clock drift, paid for by nothing but a phase ramp the channel
# estimate absorbs.
BACKOFF = 3
SIGNAL_WINDOW = 2 * N_FFT + CP  # SIGNAL's FFT window, from the first long symbol
DATA_WINDOW = SIGNAL_WINDOW + SYMBOL  # first DATA symbol's FFT window


class Genie(NamedTuple):
    """Known truths for genie-aided reception (None = estimate it).

    ``start``: index of the packet's first short-training sample.
    ``cfo_hz``: carrier frequency offset (received = sent · e^{j 2 pi f t}).
    ``channel``: 64 complex bins, numpy FFT order (bin k mod 64 for subcarrier
    k): ``numpy.fft.fft(h, 64)`` for a sample-spaced impulse response h whose
    tap 0 arrives at ``start``; gain included."""

    start: int | None = None
    cfo_hz: float | None = None
    channel: np.ndarray | None = None


class Reception(NamedTuple):
    """A decoded PPDU."""

    psdu: bytes
    rate_mbps: int
    length: int  # SIGNAL LENGTH, octets
    start: int  # index of the first short-training sample (estimated or genie)
    cfo_hz: float  # carrier frequency offset removed
    snr_db: float  # in-band SNR: signal power / noise power in 20 MHz, from the long training
    evm_db: float  # RMS error of the equalised DATA symbols against the nearest points
    n_sym: int  # DATA OFDM symbols
    channel: np.ndarray  # 64-bin channel estimate, same convention as Genie.channel


def _check_samples(samples) -> np.ndarray:
    x = argcheck.array(samples, "samples", PhyError, kind="c", ndim=1)
    return x.astype(np.complex128, copy=False)


def _check_genie(genie, n: int) -> Genie:
    if genie is None:
        return Genie()
    if not isinstance(genie, Genie):
        raise PhyError(f"genie must be a mesh_phy.rx.Genie or None, got {type(genie).__name__}")
    start, cfo, ch = genie
    if start is not None:
        start = argcheck.integer(start, "genie.start", PhyError, lo=0, hi=n - 1)
    if cfo is not None:
        cfo = argcheck.real(cfo, "genie.cfo_hz", PhyError, lo=-FS_HZ / 2, hi=FS_HZ / 2, lo_open=True, hi_open=True)
    if ch is not None:
        ch = argcheck.array(ch, "genie.channel", PhyError, kind="c", ndim=1).astype(np.complex128)
        if ch.shape != (N_FFT,):
            raise PhyError(f"genie.channel must hold 64 bins, got {ch.size}")
        if np.any(ch[USED_BINS] == 0):
            raise PhyError("genie.channel must be non-zero on the 52 used subcarriers")
    return Genie(start, cfo, ch)


def _scale(x) -> float:
    """A power of two that brings the samples' peak near 1 when it is so large
    or small that squares would overflow or underflow (1.0 otherwise)."""
    peak = max(float(np.max(np.abs(x.real))), float(np.max(np.abs(x.imag)))) if x.size else 0.0
    if peak == 0.0 or 1e-100 < peak < 1e100:
        return 1.0
    return float(2.0 ** -np.round(np.log2(peak)))


class _NotAPreamble(Exception):
    """A plateau whose long-training confirmation failed (keep searching)."""


def _evm_db(z, modulation: str) -> float:
    """RMS error (dB) of equalised points ``z`` against the nearest
    constellation point (decision-directed; unit average power)."""
    _, per_axis, k_mod = mapper.modulation_params(modulation)
    m = 1 << per_axis
    def nearest(v):
        return (2 * np.clip(np.rint((v / k_mod + m - 1) / 2), 0, m - 1) - (m - 1)) * k_mod
    ref = nearest(z.real) + (1j * nearest(z.imag) if modulation != "bpsk" else 0)
    err = np.mean(np.abs(z - ref) ** 2)
    return float(10 * np.log10(max(err, 1e-30)))


def _decode_at(x, det, genie: Genie) -> Reception:
    n = x.size
    # --- timing and CFO
    if genie.cfo_hz is not None:
        cfo = genie.cfo_hz
    else:
        cfo = det.cfo_hz
    if genie.start is not None:
        lt1 = genie.start + LT1_OFFSET
    else:
        lt1, cfo = _timing(x, det, cfo, genie.cfo_hz is None)
    if lt1 + DATA_WINDOW > n:
        raise Truncated(f"the samples end at {n}, inside the preamble or SIGNAL of the packet at {lt1 - LT1_OFFSET}")
    if genie.cfo_hz is None:
        cfo += sync.fine_cfo(x, lt1, cfo)
    win = lt1 - BACKOFF
    # --- channel and noise from the two long symbols, then SIGNAL
    lts = np.fft.fft(sync.windows(x, win, 2, N_FFT, cfo), axis=1)
    sig = np.fft.fft(sync.windows(x, win + SIGNAL_WINDOW, 1, SYMBOL, cfo), axis=1)
    h, n0 = equalizer.ls_estimate(lts[0], lts[1])
    if genie.channel is not None:
        h = equalizer.delay(genie.channel, BACKOFF)
    else:
        h = equalizer.smooth(h, n0 / 2)  # each LS bin averages two long symbols: error variance N0/2
    # a noiseless input: cap the SNR at 200 dB relative to the channel gain (the LLRs are in nats, so an
    # absolute floor would shrink them to nothing for a tiny input)
    n0 = max(n0, 1e-20 * float(np.mean(np.abs(h[USED_BINS]) ** 2)), 1e-300)
    z, nv = _equalise(sig, h, n0, 0)
    bits = decode_bits(z, 6, nv, terminated=True)  # SIGNAL: BPSK rate 1/2, the 6 Mbit/s coding
    rate, length = signal_field.parse(bits[:signal_field.BITS])
    n_sym = n_symbols(length, rate)
    first = win + DATA_WINDOW
    if first + SYMBOL * (n_sym - 1) + N_FFT > n:
        raise Truncated(f"SIGNAL says {length} octets at {rate} Mbit/s ({n_sym} symbols): the samples end "
                        f"{first + SYMBOL * (n_sym - 1) + N_FFT - n} samples too early")
    # --- DATA
    y = np.fft.fft(sync.windows(x, first, n_sym, SYMBOL, cfo), axis=1)
    z, nv = _equalise(y, h, n0, 1)
    try:
        decoded = decode_bits(z, rate, nv)
        hd2 = np.abs(h[DATA_BINS]) ** 2
        n0_k = _narrowband_noise(z, decoded, rate, hd2, n0)
        if n0_k is not None:  # a weak line on a few subcarriers: decode again with their own N0
            decoded = decode_bits(z, rate, np.tile(n0_k / hd2, n_sym))
        psdu = _psdu(decoded, rate, length)
    except PhyError as exc:
        raise DataError(f"DATA field lost: {exc}") from None
    gain = float(np.mean(np.abs(h[USED_BINS]) ** 2))
    snr_db = 10 * np.log10(max(gain * USED_BINS.size / N_FFT / n0, 1e-30))
    return Reception(psdu, rate, length, lt1 - LT1_OFFSET, float(cfo), float(snr_db),
                     _evm_db(z, rate_params(rate).modulation), n_sym, equalizer.delay(h, -BACKOFF))


# A CW line too weak for mesh_phy.ofdm.tones to remove (from SIR ~12 dB in a long buffer) still lands
# on one to a few subcarriers at many times their noise: the long training's N0, an average over all 52,
# does not show it, and 64-QAM's LLRs there stay confident and wrong. The DATA symbols re-encoded from
# the first decode give each subcarrier's own error power; where it stands above what noise alone
# reaches (chi-square with 2·N_SYM degrees of freedom, at NARROWBAND_FALSE_RATE per subcarrier, by the
# Wilson-Hilferty approximation) the subcarrier is decoded again with that power as its N0. Its leakage
# (the FFT window's sinc sidelobes) reaches tens of subcarriers above the noise, so no count is capped:
# when the first decode was right the error powers are honest estimates, and when it was wrong the
# packet was lost anyway.
NARROWBAND_Z = 4.753  # one-sided normal quantile of NARROWBAND_FALSE_RATE
NARROWBAND_FALSE_RATE = 1e-6
# The error power also holds what the long training's N0 leaves out (the channel estimate's own error
# |dH_k|^2 |x|^2, residual CFO and phase): clean 54 Mbit/s packets at 26-35 dB, flat and multipath,
# reached up to 5.3 N0 on their worst subcarrier (160 packets). Below 8 N0 nothing is changed: paired
# over 2,800 packets at the waterfall (AWGN, multipath, two-ray; 6-54 Mbit/s) the outcomes are those
# of one decode, and the tone cases keep the gain.
NARROWBAND_MIN_RATIO = 8.0
# From fewer symbols a subcarrier's error power is too loose an estimate to weight it by: in the AWGN
# table's 100-byte PSDUs at 48/54 Mbit/s (3-4 symbols) the second decode moved points both ways by up to
# 1.7 % PER; the narrowband gain is in long packets (the 54 Mbit/s tone figures are 1000-byte PSDUs).
NARROWBAND_MIN_SYMBOLS = 8


def _narrowband_noise(z, decoded, rate_mbps: int, hd2, n0: float):
    """Per-data-subcarrier N0 (48,) in received units (before equalisation), or None when no
    subcarrier's error power shows interference. ``z``: equalised DATA points (N_SYM, 48);
    ``decoded``: the first decode's scrambled bits; ``hd2``: |H_k|^2 of the data subcarriers."""
    p = rate_params(rate_mbps)
    n_sym = z.shape[0]
    if n_sym < NARROWBAND_MIN_SYMBOLS:
        return None
    coded = interleaver.interleave(conv.encode(decoded, p.coding_rate), p.n_cbps, p.n_bpsc)
    ref = mapper.map_bits(coded, p.modulation).reshape(n_sym, SUBCARRIERS)
    err = np.mean((z.real - ref.real) ** 2 + (z.imag - ref.imag) ** 2, axis=0) * hd2
    dof = 2 * n_sym  # |noise|^2 summed over N_SYM complex points: (N0/2) chi-square(2 N_SYM)
    a = 2 / (9 * dof)
    hit = err > n0 * max((1 - a + NARROWBAND_Z * np.sqrt(a)) ** 3, NARROWBAND_MIN_RATIO)
    if not hit.any():
        return None
    return np.where(hit, err, n0)


def _timing(x, det, cfo: float, estimate_cfo: bool) -> tuple:
    """(first long symbol's index, coarse CFO) for the plateau ``det``, or
    :class:`Truncated` (a short preamble whose samples end before its long
    training) or :class:`_NotAPreamble` (a plateau that is not a packet's).
    A plateau longer than any packet's was opened early (a tone): its
    start's CFO is the tone's, so the CFO of its end (the packet's short
    training) is tried too; a packet found past the usual window gets the
    coarse CFO of its whole short training."""
    lt1, confidence = sync.fine_timing(x, det.start, cfo, det_end=det.end)
    if estimate_cfo and (lt1 is None or confidence < sync.CONFIRM) and det.end - det.start > sync.LONG_PLATEAU:
        tail = sync.tail_cfo(x, det)
        lt1_t, conf_t = sync.fine_timing(x, det.start, tail, det_end=det.end)
        if lt1_t is not None and conf_t > confidence:
            lt1, confidence, cfo = lt1_t, conf_t, tail
    if lt1 is None or confidence < sync.CONFIRM:
        if sync.search_end(det) + 3 * N_FFT > x.size and sync.short_match(x, det) >= sync.SHORT_CONFIRM:
            raise Truncated(f"the samples end inside the long training after a short preamble at {det.start}")
        raise _NotAPreamble
    if estimate_cfo and lt1 > det.start + sync.TIMING_SEARCH[1] and lt1 >= LT1_OFFSET:
        cfo = sync.short_cfo(x, lt1 - LT1_OFFSET)
    return lt1, cfo


def _equalise(y, h, n0: float, first: int) -> tuple:
    """(equalised data points (n, 48), their noise variances N0/|H|^2 (n*48,))
    for symbols ``y`` (n, 64) whose pilot polarity index starts at ``first``."""
    common, slope = equalizer.pilot_phase(y, h, symbols.pilots(first, y.shape[0]))
    turn = np.exp(-1j * (common[:, None] + slope[:, None] * DATA_SUBCARRIERS[None, :]))
    hd = h[DATA_BINS]
    z = y[:, DATA_BINS] * turn * (1 / hd)
    nv = np.tile(n0 / (hd.real ** 2 + hd.imag ** 2), y.shape[0])
    return z, nv


def receive(samples, *, fs_hz: float = FS_HZ, genie: Genie | None = None) -> Reception:
    """Find and decode the first 802.11a PPDU in ``samples`` (1-D, real or
    complex, 20 Msample/s; never modified). ``genie`` replaces estimates by
    known truths (see :class:`Genie`).

    Raises :class:`NoPacket` (no preamble found, including plateaus that
    neither the long nor the short training confirms, e.g. a tone's),
    :class:`SignalError` (a preamble whose SIGNAL is invalid),
    :class:`Truncated` (the samples end inside the packet: after a plateau
    that matches the short training, or after its SIGNAL),
    :class:`DataError` (SERVICE gives no scrambler seed);
    all are :class:`PhyError`. After a SIGNAL or truncation failure the search
    continues after that preamble; the first such error is raised if nothing
    later decodes."""
    if argcheck.real(fs_hz, "fs_hz", PhyError) != FS_HZ:
        raise PhyError(f"fs_hz must be 20e6 (the 802.11a 20 MHz channel); got {fs_hz!r}")
    x = _check_samples(samples)
    genie = _check_genie(genie, x.size)
    scale = _scale(x)
    if scale != 1.0:  # extreme magnitudes: work on a rescaled copy, report the channel in input units
        x = x * scale
        if genie.channel is not None:
            genie = genie._replace(channel=genie.channel * scale)
        r = _receive(x, genie)
        return r._replace(channel=r.channel / scale)
    return _receive(x, genie)


def _receive(x, genie: Genie) -> Reception:
    x, _ = tones.remove_lines(x)  # a copy when a CW line or DC is removed
    if genie.start is not None:
        if genie.start + LT1_OFFSET > x.size:
            raise Truncated(f"the samples end inside the short preamble at genie.start = {genie.start}")
        return _decode_at(x, sync.Detection(genie.start, genie.start, sync.short_cfo(x, genie.start)), genie)
    first_error = None
    begin = 0
    while (det := sync.detect(x, begin)) is not None:
        try:
            return _decode_at(x, det, genie)
        except _NotAPreamble:
            begin = det.end
        except (SignalError, Truncated) as exc:
            first_error = first_error or exc
            begin = det.start + LT1_OFFSET + 2 * N_FFT
    if first_error is not None:
        raise first_error
    raise NoPacket(f"no 802.11a preamble in {x.size} samples")
