"""Strong continuous-wave lines (a CW jammer, a DC offset) found and removed
before packet detection.

A tone ``A e^{j(2 pi f n / fs + phi)}`` (a DC offset is f = 0) repeats itself
at every lag up to a phase, so wherever it dominates the noise the
delay-and-correlate metric of :mod:`mesh_phy.ofdm.sync` sits near 1: one that
is on before the packet opens the detection plateau there, and the packet's
own short training is then inside a plateau that began too early. It also
lands on one or two subcarriers at a power the noise estimate (an average
over all subcarriers) does not see. Removing it first answers both.

Method, on the whole buffer of N samples: the periodogram zero-padded to a
power of two >= N; its strongest bin is a candidate when it stands
:data:`LINE_RATIO` above the median bin (measured on 300 noisy packets, 1 to
1000 bytes: at most 49 times, from the short training's lines in short
buffers and the pilots' 127-symbol polarity period in long ones). Its
frequency is refined to the maximum of |X(f)|^2 (golden-section search over
±1 bin, 26 steps), its complex amplitude fitted by least squares, and it counts
as a line only if it carries at least :data:`LINE_FRACTION` of the buffer's
mean power and is steady: the least-squares amplitudes of :data:`BLOCKS`
equal blocks add coherently (:func:`coherence` >= :data:`COHERENCE`). An
OFDM packet has lines of its own at its subcarrier frequencies (the cyclic
prefix keeps each subcarrier's phase continuous): up to 4 % of a short
buffer's power, but they change from symbol to symbol (coherence <= 0.88 over
360 clean packets, 6-54 Mbit/s, 20-1000 bytes, AWGN and multipath); the
pilots' lines are steady but carry ~1/(52 * 127) of the power. A wrongly
removed data line would take each symbol's mean off one subcarrier, so both
tests must pass: no line was removed from 720 clean packets (1-1000 bytes,
6-54 Mbit/s, AWGN, multipath and two-ray, 5 and 40 dB). A packet whose
signal repeats (the same frame back to back, DATA constant after
scrambling) has steady lines too, but only where the packet is: a line must
also carry :data:`QUIET_SHARE` of the energy of the buffer's
:data:`QUIET_BLOCKS` quietest blocks, as a jammer that is on before the
packet does (:func:`quiet_share`).
It is then subtracted from every sample. At most :data:`MAX_LINES` lines (a
tone and a DC offset). Measured suppression (tone alone in the buffer with a
packet and 30 dB noise): 40-52 dB for SIR -10 .. 8 dB in a 1000-byte 6
Mbit/s buffer, 19-38 dB in a 100-byte 54 Mbit/s one. A weaker tone (from
SIR ~10 dB in short buffers, ~20 dB in long ones) stays; the detector copes
with it (:func:`mesh_phy.ofdm.sync.fine_timing`
searches the whole plateau).
"""

import numpy as np

LINE_RATIO = 100.0  # peak bin / median bin (20 dB) for a candidate line
LINE_FRACTION = 0.01  # line power / mean buffer power (-20 dB) for a line
BLOCKS = 8  # the buffer's blocks for the steadiness test
COHERENCE = 0.95  # coherence() a line needs (1 = the same amplitude and phase in every block)
MAX_LINES = 2
QUIET_BLOCK = 80  # samples (one OFDM symbol) of the quiet-block test
QUIET_BLOCKS = 2  # the quietest blocks a line must dominate
QUIET_SHARE = 0.5  # share of those blocks' energy the line must carry
MIN_SAMPLES = 256  # below this no line is looked for (too few bins for a median)
_GOLDEN = (np.sqrt(5) - 1) / 2
_ITERATIONS = 26  # golden-section steps: 0.618^26 of 2 bins is ~8e-6 of a bin
CHUNK = 1 << 18  # longer buffers are cleaned in chunks of this many samples (13 ms), each on its own


def _dtft_power(x: np.ndarray, n: np.ndarray, f: float) -> float:
    """|sum x[n] e^{-j 2 pi f n}|^2, f in cycles per sample."""
    return float(np.abs(np.dot(x, np.exp(-2j * np.pi * f * n))) ** 2)


def find_line(x: np.ndarray) -> float | None:
    """Frequency (cycles per sample, -0.5 .. 0.5) of the strongest line in
    ``x`` if it stands :data:`LINE_RATIO` above the median periodogram bin,
    else None."""
    size = x.size
    if size < MIN_SAMPLES:
        return None
    nfft = 1 << int(np.ceil(np.log2(size)))
    spec = np.fft.fft(x, nfft)
    p = spec.real ** 2 + spec.imag ** 2
    med = float(np.median(p))
    k = int(np.argmax(p))
    if not p[k] > LINE_RATIO * med:  # also refuses med = 0 with p = 0 and NaN
        return None
    n = np.arange(size)
    lo, hi = (k - 1) / nfft, (k + 1) / nfft
    a, b = hi - _GOLDEN * (hi - lo), lo + _GOLDEN * (hi - lo)
    pa, pb = _dtft_power(x, n, a), _dtft_power(x, n, b)
    for _ in range(_ITERATIONS):
        if pa > pb:
            hi, b, pb = b, a, pa
            a = hi - _GOLDEN * (hi - lo)
            pa = _dtft_power(x, n, a)
        else:
            lo, a, pa = a, b, pb
            b = lo + _GOLDEN * (hi - lo)
            pb = _dtft_power(x, n, b)
    f = (lo + hi) / 2
    return float((f + 0.5) % 1.0 - 0.5)


def coherence(y: np.ndarray, e: np.ndarray, blocks: int = BLOCKS) -> float:
    """|sum a_b|^2 / (B sum |a_b|^2) of the least-squares amplitudes a_b of
    the line ``e`` (unit modulus) in ``B`` equal blocks of ``y``: 1 for a
    steady line, ~1/B for a component that changes from block to block."""
    size = y.size // blocks * blocks
    a = np.einsum("ij,ij->i", np.conj(e[:size].reshape(blocks, -1)), y[:size].reshape(blocks, -1))
    total = float(np.sum(np.abs(a) ** 2))
    return float(np.abs(a.sum()) ** 2 / (blocks * total)) if total > 0 else 0.0


def quiet_share(y: np.ndarray, line: np.ndarray) -> float:
    """Share of the energy of the :data:`QUIET_BLOCKS` quietest
    :data:`QUIET_BLOCK`-sample blocks of ``y`` that ``line`` (the fitted line,
    same length) carries: near 1 for a jammer that is on where no packet is
    (it dominates the quiet blocks), near 1/52 or less for a line of an OFDM
    packet (a subcarrier's share of a block the packet fills)."""
    nb = y.size // QUIET_BLOCK
    if nb < QUIET_BLOCKS:
        return 0.0
    size = nb * QUIET_BLOCK
    energy = np.sum(np.abs(y[:size].reshape(nb, QUIET_BLOCK)) ** 2, axis=1)
    quiet = np.argsort(energy, kind="stable")[:QUIET_BLOCKS]
    total = float(energy[quiet].sum())
    carried = float(np.sum(np.abs(line[:size].reshape(nb, QUIET_BLOCK)[quiet]) ** 2))
    return carried / total if total > 0 else 0.0


def _steady_amplitude(y: np.ndarray, e: np.ndarray) -> complex | None:
    """Least-squares amplitude of the line ``e`` (unit modulus) in ``y``, or
    None when it is too weak (:data:`LINE_FRACTION`), not steady
    (:data:`COHERENCE`), or not dominant where the buffer is quietest
    (:data:`QUIET_SHARE`: a packet whose signal repeats — the same frame sent
    back to back, DATA that is constant after scrambling — has steady lines of
    its own, but only where the packet is)."""
    amp = np.vdot(e, y) / y.size
    power = float(np.mean(y.real ** 2 + y.imag ** 2))
    if abs(amp) ** 2 < LINE_FRACTION * power or coherence(y, e) < COHERENCE:
        return None
    if quiet_share(y, amp * e) < QUIET_SHARE:
        return None
    return amp


def remove_lines(x: np.ndarray, max_lines: int = MAX_LINES) -> tuple[np.ndarray, list[float]]:
    """(``x`` with up to ``max_lines`` strong steady lines subtracted, their
    frequencies in cycles per sample). ``x``: 1-D complex128, only read; the
    result is a new array (``x`` itself when no line was found). A buffer
    longer than :data:`CHUNK` is cleaned chunk by chunk (a line's frequency
    estimate is good to ~1/N of a cycle per sample, and the FFT's memory
    grows with N); a last piece shorter than half a chunk joins the one
    before it, so no piece is too short to clean."""
    if x.size <= CHUNK:
        return _remove(x, max_lines)
    starts = list(range(0, x.size, CHUNK))
    if x.size - starts[-1] < CHUNK // 2:
        starts.pop()
    ends = [*starts[1:], x.size]
    parts = [_remove(x[a:b], max_lines) for a, b in zip(starts, ends, strict=True)]
    freqs = [f for _, fs in parts for f in fs]
    return (np.concatenate([p for p, _ in parts]) if freqs else x), freqs


def _remove(x: np.ndarray, max_lines: int) -> tuple[np.ndarray, list[float]]:
    """:func:`remove_lines` on one piece."""
    found = []
    y = x
    n = np.arange(x.size)
    for _ in range(max_lines):
        f = find_line(y)
        if f is None:
            break
        e = np.exp(2j * np.pi * f * n)
        amp = _steady_amplitude(y, e)
        if amp is None:
            break
        y = y - amp * e
        found.append(f)
    return y, found
