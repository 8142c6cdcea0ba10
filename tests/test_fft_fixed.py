"""mesh_phy.ofdm.fft_fixed against numpy.fft (an independent implementation)
and against theory: SQNR per width, exact cases, worst-case inputs, errors."""

import numpy as np
import pytest

from mesh_phy import PhyError
from mesh_phy.ofdm import fft_fixed as F


def _full_scale(rng, w, frames):
    lo, hi = -(1 << (w - 1)), 1 << (w - 1)
    return rng.integers(lo, hi, (frames, 64)), rng.integers(lo, hi, (frames, 64))


# SQNR for full-scale uniform random input with scale 0b111111 (output =
# FFT/64): the signal at the output has power 2^(2W)/384 per bin (components
# uniform over 2^W levels, ×64 by the sum, /64² by the scaling) and the
# rounding noise is about 0.6 LSB² (each halving adds 1/8 LSB² per part, halved
# again by every later stage; the products add 1/12), so SQNR ≈ 6.02·W - 23.6
# dB. The bound allows 1.5 dB more.
@pytest.mark.parametrize("w", [8, 10, 12, 14, 16, 18])
@pytest.mark.parametrize("inverse", [False, True])
def test_sqnr_full_scale_random(rng, w, inverse):
    p = F.params(w, w + 1, w)
    xr, xi = _full_scale(rng, w, 400)
    r, i = F.fft64(xr, xi, p, inverse=inverse)
    sqnr = F.sqnr_db(r, i, F.reference(xr, xi, p, inverse=inverse))
    print(f"W={w} {'IFFT' if inverse else 'FFT'}: SQNR {sqnr:.2f} dB")
    assert sqnr >= 6.02 * w - 25.1
    if w == 16:
        assert sqnr >= 60


def test_sqnr_unscaled_is_twiddle_limited(rng):
    """No scaling, wide output: only the two twiddle roundings remain (1/12
    LSB² each, grown ×2 per later stage: ~ (16 + 4)/12·2 LSB² against a signal
    of 64·2^(2W)/6): far above the scaled case."""
    p = F.params(12, 19, 16, scale=0)
    xr, xi = _full_scale(rng, 12, 200)
    r, i = F.fft64(xr, xi, p)
    assert p.stage_widths[-1] == 19
    sqnr = F.sqnr_db(r, i, F.reference(xr, xi, p))
    print(f"W=12 unscaled, 16-bit twiddles: SQNR {sqnr:.2f} dB")
    assert sqnr >= 10 * np.log10(64 * 2**24 / 6 / (20 / 12 * 2)) - 3


@pytest.mark.parametrize("inverse", [False, True])
@pytest.mark.parametrize("k0", [0, 16, 32, 48])
def test_tones_on_multiples_of_16_are_exact(k0, inverse):
    """x[n] = A·j^(k0 n / 16) has parts in {0, ±A}: every butterfly pairs equal
    values (sum 2x, halved back to x exactly, or difference 0) and only twiddle
    index 0 (exact +1.0) ever meets a non-zero value, so the output equals the
    ideal transform exactly: A at one bin (k0, or -k0 for the IFFT), 0 elsewhere."""
    p = F.params()
    a = 12345
    z = a * (1j ** ((k0 // 16) * np.arange(64)))
    zr, zi = np.rint(z.real).astype(np.int64), np.rint(z.imag).astype(np.int64)
    r, i = F.fft64(zr, zi, p, inverse=inverse)
    ref = F.reference(zr, zi, p, inverse=inverse)
    assert np.array_equal(r + 1j * i, ref)
    k = (-k0 if inverse else k0) % 64
    assert r[k] == a and np.count_nonzero(r) + np.count_nonzero(i) == 1


@pytest.mark.parametrize("inverse", [False, True])
def test_scaled_impulse_is_exact(inverse):
    """An impulse of 64·B at n = 0 is halved exactly at every stage and meets
    twiddle index 0 only: every bin is B."""
    p = F.params()
    x = np.zeros(64, np.int64)
    x[0] = 64 * -511
    r, i = F.fft64(x, -x, p, inverse=inverse)
    assert np.all(r == -511) and np.all(i == 511)


def test_worst_case_inputs_never_overflow_inside(rng):
    """For every bin k, the input whose parts are ±A (A = full scale) nearest in
    angle to the phase that maximises X[k]'s real or imaginary part: the
    model's internal range checks must hold (they raise if a stage overflows),
    and the output is the ideal one saturated to out_width bits."""
    w = 12
    p = F.params(w, w, w)
    amax = (1 << (w - 1)) - 1
    n = np.arange(64)
    frames = []
    for k in range(64):
        for rot in (1, 1j, np.exp(1j * np.pi / 4), np.exp(-1j * np.pi / 4)):
            target = rot * np.exp(2j * np.pi * k * n / 64)  # X[k] = Σ x·e^{-j..}: align x with e^{+j..}
            xr = np.where(target.real >= 0, amax, -amax - 1)
            xi = np.where(target.imag >= 0, amax, -amax - 1)
            frames.append((xr, xi))
    # and random extreme parts (max, min): a stage-0 difference max - min = 2^W - 1
    # rounds to 2^(W-1), the case the guard bit is there for
    frames += [tuple(rng.choice([amax, -amax - 1], (2, 64))) for _ in range(2000)]
    frames.append((np.r_[[amax] * 32, [-amax - 1] * 32], np.r_[[-amax - 1] * 32, [amax] * 32]))
    xr = np.array([f[0] for f in frames])
    xi = np.array([f[1] for f in frames])
    for inverse in (False, True):
        r, i = F.fft64(xr, xi, p, inverse=inverse)
        ref = F.reference(xr, xi, p, inverse=inverse)
        lim = (1 << (w - 1))
        ideal_r = np.clip(ref.real, -lim, lim - 1)
        ideal_i = np.clip(ref.imag, -lim, lim - 1)
        assert np.max(np.abs(r - ideal_r)) <= 3 and np.max(np.abs(i - ideal_i)) <= 3
        assert np.max(np.abs(ref.real)) > 1.2 * lim  # these inputs do need the output saturation
        assert r.max() == lim - 1 or i.max() == lim - 1


def test_round_trip_fft_then_ifft(rng):
    """Unscaled FFT into a wide word, then the scaled IFFT (÷64) of it: the
    input comes back within the rounding noise (this checks the two directions
    against each other through the definition IDFT(DFT(x)) = 64·x)."""
    pf = F.params(12, 19, 18, scale=0)
    pi = F.params(19, 19, 18, scale=0b111111)
    xr, xi = _full_scale(rng, 12, 50)
    yr, yi = F.fft64(xr, xi, pf)
    zr, zi = F.fft64(yr, yi, pi, inverse=True)
    # each of the inverse's six stages rounds once (<= 1/2 LSB at its own scale, halved by every later stage:
    # < 1 LSB in all) and both directions' 18-bit twiddles err by <= 2^-17 of values < 2^17 (< 1 LSB after the
    # /64): the error stays below 2 LSB; its RMS is mostly the last stage's uniform rounding (0.29 LSB)
    e = np.concatenate([(zr - xr).ravel(), (zi - xi).ravel()])
    assert np.max(np.abs(e)) <= 2
    assert np.sqrt(np.mean(e.astype(float) ** 2)) < 0.5


def test_direction_per_frame():
    rng = np.random.default_rng(3)
    p = F.params()
    xr, xi = _full_scale(rng, 16, 4)
    inv = np.array([False, True, True, False])
    r, i = F.fft64(xr, xi, p, inverse=inv)
    for f in range(4):
        rf, i_f = F.fft64(xr[f], xi[f], p, inverse=bool(inv[f]))
        assert np.array_equal(r[f], rf) and np.array_equal(i[f], i_f)


def test_twiddle_table():
    p = F.params(tw_width=16)
    assert p.twiddles[0] == (1 << 14, 0)  # +1.0 exact
    assert p.twiddles[16] == (0, -(1 << 14))  # W^16 = -j
    w = np.array(p.twiddles) / 2**14
    ideal = np.exp(-2j * np.pi * np.arange(64) / 64)
    assert np.max(np.abs(w[:, 0] + 1j * w[:, 1] - ideal)) <= 2**-15 * np.sqrt(2)


def test_bit_reversal_and_exponents():
    assert list(F.bitrev6(np.array([0, 1, 2, 3, 32, 63]))) == [0, 32, 16, 48, 1, 63]
    # after stage 1, position 16·q + i takes W64^(r(q)·i), r = (0, 2, 1, 3) (radix-2² DIF)
    assert list(F.twiddle_exponent(1, np.array([5, 21, 37, 53]))) == [0, 10, 5, 15]
    assert list(F.twiddle_exponent(3, np.array([3, 7, 11, 15, 16 + 15]))) == [0, 24, 12, 36, 36]


@pytest.mark.parametrize("bad", [
    dict(re=np.zeros(64), im=np.zeros(64, int)),                       # floats
    dict(re=np.zeros(63, int), im=np.zeros(63, int)),                  # not 64
    dict(re=np.zeros(64, int), im=np.zeros((1, 64), int)),             # shapes differ
    dict(re=np.full(64, 1 << 15), im=np.zeros(64, int)),               # out of 16-bit range
    dict(re=np.zeros(64, int), im=np.zeros(64, int), inverse=1),        # not a bool
    dict(re=np.zeros((2, 64), int), im=np.zeros((2, 64), int), inverse=np.array([True])),
    dict(re="abc", im=np.zeros(64, int)),
    dict(re=np.zeros(64, int), im=np.zeros(64, int), p=(16, 16, 16, 63, ())),
])
def test_bad_input(bad):
    with pytest.raises(PhyError):
        F.fft64(**bad)


@pytest.mark.parametrize("kw", [dict(in_width=5), dict(in_width=16.0), dict(tw_width=True),
                                dict(scale=64), dict(scale=-1), dict(out_width=40)])
def test_bad_params(kw):
    with pytest.raises(PhyError):
        F.params(**kw)
