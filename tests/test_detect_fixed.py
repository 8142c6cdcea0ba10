"""mesh_phy.ofdm.detect_fixed: the fixed-point short-preamble detector finds
real 802.11a short preambles in noise, estimates the carrier offset, and
stays quiet on noise alone; its arithmetic matches the definitions.

The short training sequence is built here from its definition, IEEE
802.11a-1999 eq. (17.3.3) (S_-26..26) and numpy's IFFT, independently of the
transmitter; a second test runs whole PPDUs of mesh_phy.tx.ppdu.
"""

import numpy as np
import pytest

from mesh_phy import PhyError, tx
from mesh_phy.ofdm import detect_fixed as D

FS = 20e6
# IEEE 802.11a-1999 (17.3.3): S_-26..26 = sqrt(13/6) × this list
S_26_26 = [0, 0, 1 + 1j, 0, 0, 0, -1 - 1j, 0, 0, 0, 1 + 1j, 0, 0, 0, -1 - 1j, 0, 0, 0, -1 - 1j, 0, 0, 0, 1 + 1j,
           0, 0, 0, 0, 0, 0, 0, -1 - 1j, 0, 0, 0, -1 - 1j, 0, 0, 0, 1 + 1j, 0, 0, 0, 1 + 1j, 0, 0, 0, 1 + 1j, 0, 0,
           0, 1 + 1j, 0, 0]


def short_training() -> np.ndarray:
    """The 160-sample short training field (ten 16-sample periods), RMS 1."""
    bins = np.zeros(64, complex)
    for k, v in zip(range(-26, 27), S_26_26, strict=True):
        bins[k % 64] = np.sqrt(13 / 6) * v
    sym = np.fft.ifft(bins)
    sts = np.tile(sym, 3)[:160]
    return sts / np.sqrt(np.mean(np.abs(sts) ** 2))


def quantise(z, w=12):
    lo, hi = -(1 << (w - 1)), (1 << (w - 1)) - 1
    return (np.clip(np.rint(z.real), lo, hi).astype(np.int64), np.clip(np.rint(z.imag), lo, hi).astype(np.int64))


def packet_in_noise(rng, sig, snr_db, cfo, pre, post, level=0.25 * 2047):
    """``sig`` (RMS 1) after ``pre`` noise samples, then ``post`` more, with a
    carrier offset ``cfo`` (Hz), complex AWGN at ``snr_db`` (signal power over
    noise power in the 20 MHz band), scaled to RMS ``level`` LSB."""
    x = np.concatenate([np.zeros(pre, complex), sig, np.zeros(post, complex)])
    n = np.arange(x.size)
    x = x * np.exp(2j * np.pi * (cfo * n / FS + rng.uniform()))
    sigma = np.sqrt(10 ** (-snr_db / 10) / 2)
    x = x + sigma * (rng.standard_normal(x.size) + 1j * rng.standard_normal(x.size))
    return quantise(x * level)


def test_short_training_is_16_periodic():
    sts = short_training()
    assert np.allclose(sts[16:], sts[:-16])  # only every 4th subcarrier is used (17.3.3)
    assert not np.allclose(sts[8:24], sts[:16])


def test_moving_sums_match_the_definition(rng):
    """C[m] = c[n], P[m] = p[n] with n = m - L - 15, computed here directly
    from c[n] = Σ r[n+k]·conj(r[n+k+16]) and p[n] = Σ |r[n+k+16]|²."""
    p = D.params()
    re, im = rng.integers(-2048, 2048, 300), rng.integers(-2048, 2048, 300)
    mt = D.metric(re, im, p)
    # Exact integer reference (Python ints): a float |r|² can land a hair
    # below the integer and truncate to the wrong value.
    pad = [0] * (p.window + 15)  # samples before the frame are zero
    xr, xi = pad + [int(v) for v in re], pad + [int(v) for v in im]
    for m in (0, 5, 16, 40, 47, 48, 100, 299):
        n = m  # index n in the zero-padded r corresponds to m - L - 15 in the frame
        ks = range(n, n + p.window)
        # r[k]·conj(r[k+16]) = (a + jb)(c - jd) = (ac + bd) + j(bc - ad)
        c_re = sum(xr[k] * xr[k + 16] + xi[k] * xi[k + 16] for k in ks)
        c_im = sum(xi[k] * xr[k + 16] - xr[k] * xi[k + 16] for k in ks)
        pw = sum(xr[k + 16] ** 2 + xi[k + 16] ** 2 for k in ks)
        assert (int(mt.c_re[m]), int(mt.c_im[m]), int(mt.p[m])) == (c_re, c_im, pw)


def test_dc_fires_once_at_the_predicted_sample():
    """A constant A from sample 0: P[m] = A²·min(m+1, L), C[m] = A²·(m-15) for
    16 ≤ m < 48, so |C|/P > 1/2 first at m = 32 and the M-th sample of the
    plateau is 32 + M - 1 = 55; angle 0; one detection for the whole plateau."""
    p = D.params()
    re = np.full(300, 1000)
    dets = D.detect(re, np.zeros(300, np.int64), p)
    assert dets == [D.Detection(32 + p.plateau - 1, 0)]


def test_holdoff_suppresses_the_second_burst():
    p0 = D.params()
    burst = np.full(100, 700)
    re = np.r_[burst, np.zeros(60, np.int64), burst]
    im = np.zeros(re.size, np.int64)
    assert len(D.detect(re, im, p0)) == 2
    assert len(D.detect(re, im, D.params(holdoff=200))) == 1


def test_pure_tone_gives_its_frequency():
    """A noise-free complex exponential at f is 16-periodic up to the phase
    2π·16·f/fs: the estimate is f within the angle quantisation (fs/16/2^16 =
    19 Hz) and the CORDIC's atan(2^-15)."""
    p = D.params()
    for f in (-600e3, -123.4e3, 0.0, 55e3, 310e3, 600e3):
        z = 1500 * np.exp(2j * np.pi * f * np.arange(200) / FS)
        dets = D.detect(*quantise(z), p)
        assert len(dets) == 1
        assert abs(D.cfo_hz(dets[0].angle, p) - f) < 100


# Bounds measured over 100 packets per SNR (seed 1) with the default
# parameters: CFO error RMS 16 / 8.5 / 2.7 kHz at 5 / 10 / 20 dB (the estimate
# uses the L = 32 products at the detection sample only), no miss down to 3 dB.
@pytest.mark.parametrize("snr_db,rms_khz,max_khz", [(5, 25, None), (10, 12, 45), (20, 4, 15)])
def test_finds_short_preambles_in_noise(rng, snr_db, rms_khz, max_khz):
    p = D.params()
    sts = short_training()
    errs, float_errs = [], []
    for _ in range(100):
        cfo = rng.uniform(-200e3, 200e3)  # beyond ±20 ppm per side at 5.8 GHz (±232 kHz in all)
        pre = int(rng.integers(50, 300))
        data = (rng.standard_normal(320) + 1j * rng.standard_normal(320)) / np.sqrt(2)  # the rest of the packet
        re, im = packet_in_noise(rng, np.r_[sts, data], snr_db, cfo, pre, 50)
        dets = D.detect(re, im, p)
        assert len(dets) >= 1, f"missed at {snr_db} dB"
        first = dets[0]
        expect = pre + p.window + p.plateau - 1  # plateau from ~L samples into the STS, then M samples
        assert expect - 20 <= first.index <= expect + 20
        est = D.cfo_hz(first.angle, p)
        errs.append(est - cfo)
        # the same estimate in floating point (numpy), at the same sample
        m = first.index
        r = re + 1j * im
        j = np.arange(m - p.window + 1, m + 1)
        c = np.sum(r[j - 16] * np.conj(r[j]))
        float_errs.append(-np.angle(c) / (2 * np.pi) * FS / 16 - est)
    errs = np.array(errs)
    rms = np.sqrt(np.mean(errs**2))
    print(f"SNR {snr_db} dB: CFO error RMS {rms / 1e3:.2f} kHz, max {np.max(np.abs(errs)) / 1e3:.2f} kHz, "
          f"fixed vs float {np.max(np.abs(float_errs)):.1f} Hz")
    assert rms <= rms_khz * 1e3
    if max_khz is not None:
        assert np.max(np.abs(errs)) <= max_khz * 1e3
    assert np.max(np.abs(float_errs)) <= 100  # 16-bit normalised correlation, 16-bit angle


def test_finds_whole_ppdus(rng):
    """Twenty PPDUs of mesh_phy.tx.ppdu (100 bytes, 24 Mbit/s) in one stream
    with noise between them, 15 dB SNR, random CFO: one detection per packet,
    inside its short training field, none in LONG/SIGNAL/DATA."""
    p = D.params()
    pk = tx.ppdu(bytes(range(100)), 24, seed=0x5D)
    pk = pk / np.sqrt(np.mean(np.abs(pk) ** 2))
    starts, parts, pos, cfos = [], [], 0, []
    for _ in range(20):
        gap = int(rng.integers(100, 400))
        cfo = rng.uniform(-200e3, 200e3)
        seg = np.r_[np.zeros(gap), pk * np.exp(2j * np.pi * (cfo * np.arange(pk.size) / FS + rng.uniform()))]
        starts.append(pos + gap)
        cfos.append(cfo)
        parts.append(seg)
        pos += seg.size
    x = np.concatenate(parts)
    sigma = np.sqrt(10 ** (-15 / 10) / 2)
    x = x + sigma * (rng.standard_normal(x.size) + 1j * rng.standard_normal(x.size))
    re, im = quantise(x * 0.25 * 2047)
    dets = D.detect(re, im, D.params(index_width=20))
    assert len(dets) == 20
    for d, s0, cfo in zip(dets, starts, cfos, strict=True):
        assert s0 + p.window <= d.index < s0 + 160 + 16
        assert abs(D.cfo_hz(d.angle, p) - cfo) <= 30e3


@pytest.mark.parametrize("rms_lsb", [20, 400, 1500])
def test_no_false_alarm_on_noise(rng, rms_lsb):
    """One million complex Gaussian noise samples (50 ms at 20 MHz) per level,
    the loudest clipping at 12 bits: no detection. Measured once over 10^8
    samples (5 s at 20 MHz, 400 LSB RMS): 1 false alarm with M = 24 (0.2 per
    second; below 0.95 per second at 95 % confidence), 47 with M = 16."""
    p = D.params()
    n = 1_000_000
    z = rms_lsb / np.sqrt(2) * (rng.standard_normal(n) + 1j * rng.standard_normal(n))
    mt = D.metric(*quantise(z), p)
    print(f"noise at {rms_lsb} LSB RMS: cond on {mt.cond.mean():.2e} of samples, {mt.fire.sum()} detections")
    assert mt.fire.sum() == 0


def test_stream_beats_close_every_frame():
    p = D.params()
    z = np.zeros(10, np.int64)
    assert D.stream_beats(z, z, p) == [(9, 0, 0, 1)]
    re = np.full(56, 1000)  # DC: the detection is at sample 55, the last one
    beats = D.stream_beats(re, np.zeros(56, np.int64), p)
    assert beats == [(55, 0, 1, 1)]
    beats = D.stream_beats(np.full(80, 1000), np.zeros(80, np.int64), p)
    assert beats == [(55, 0, 1, 0), (79, 0, 0, 1)]


@pytest.mark.parametrize("bad", [
    dict(re=np.zeros(10), im=np.zeros(10, np.int64)),
    dict(re=np.zeros(10, np.int64), im=np.zeros(9, np.int64)),
    dict(re=np.zeros(0, np.int64), im=np.zeros(0, np.int64)),
    dict(re=np.full(4, 2048), im=np.zeros(4, np.int64)),
    dict(re=np.zeros((2, 2), np.int64), im=np.zeros((2, 2), np.int64)),
    dict(re="abc", im=np.zeros(3, np.int64)),
    dict(re=np.zeros(4, np.int64), im=np.zeros(4, np.int64), p=(12, 32)),
])
def test_bad_input(bad):
    with pytest.raises(PhyError):
        D.detect(**bad)


@pytest.mark.parametrize("kw", [dict(window=1), dict(plateau=0), dict(thr=1 << 10), dict(in_width=12.0),
                                dict(holdoff=True), dict(metric_width=24, thr_frac=12), dict(p_min=-1)])
def test_bad_params(kw):
    with pytest.raises(PhyError):
        D.params(**kw)


def test_cfo_hz_units_and_errors():
    p = D.params()
    assert D.cfo_hz(0, p) == 0
    assert D.cfo_hz(1 << 14, p) == pytest.approx(-FS / 16 / 4)  # +1/4 turn → -312.5 kHz
    assert D.cfo_hz((1 << 16) - (1 << 14), p) == pytest.approx(FS / 16 / 4)
    for bad in (-1, 1 << 16, 1.0, True):
        with pytest.raises(PhyError):
            D.cfo_hz(bad, p)
    with pytest.raises(PhyError):
        D.cfo_hz(0, p, fs_hz=float("nan"))
