"""Channel models (mesh_phy.channel) against their definitions and theory:
measured SNR/SIR against the configured value, CFO/SCO against the exact
rotation and resampling formulas, Wiener phase noise against its Lorentzian
spectrum, multipath power and RMS delay spread, fractional delays against the
ideal frequency response, the Rician K-factor by moments, the Clarke Doppler
spectrum and J0 autocorrelation, the two-ray geometry against the Fresnel
and path-length formulas, determinism per seed, and typed errors for
hostile arguments."""

import hostile
import numpy as np
import pytest
from scipy.special import j0

from mesh_phy import tx
from mesh_phy.channel import a2g, awgn, fading, interference, multipath, oscillator, signal, tdl
from mesh_phy.errors import PhyError

FS = 20e6


def _burst(rng, n=4000):
    """A unit-power random QPSK burst."""
    return (rng.choice([-1.0, 1.0], n) + 1j * rng.choice([-1.0, 1.0], n)) / np.sqrt(2)


def _bandlimited(rng, n, max_hz=8.3e6):
    """A periodic complex Gaussian signal with no energy beyond ±max_hz (unit power)."""
    spec = np.where(np.abs(np.fft.fftfreq(n, 1 / FS)) <= max_hz, 1.0, 0.0)
    spec = spec * (rng.standard_normal(n) + 1j * rng.standard_normal(n))
    x = np.fft.ifft(spec)
    return x / np.sqrt(np.mean(np.abs(x) ** 2))


# ---------------------------------------------------------------- AWGN
@pytest.mark.parametrize("snr_db", [-5.0, 0.0, 10.0, 30.0])
def test_awgn_measured_snr_matches(snr_db, rng):
    x = tx.ppdu(rng.bytes(500), 6)  # real 802.11a burst, power 52/64² per sample
    y = awgn.awgn(x, snr_db, rng)
    n = y - x
    measured = 10 * np.log10(np.mean(np.abs(x) ** 2) / np.mean(np.abs(n) ** 2))
    # 14,000 complex samples: the noise power estimate has σ ≈ 0.04 dB
    assert abs(measured - snr_db) < 0.2
    # circular: equal power on I and Q, uncorrelated
    assert abs(np.mean(n.real**2) / np.mean(n.imag**2) - 1) < 0.1
    assert abs(np.mean(n.real * n.imag)) < 0.1 * np.mean(np.abs(n) ** 2)


def test_awgn_each_burst_of_a_batch_at_its_own_power(rng):
    x = np.stack([_burst(rng, 20000), 10 * _burst(rng, 20000)])
    n = awgn.awgn(x, 6.0, rng) - x
    p_n = np.mean(np.abs(n) ** 2, axis=1)
    np.testing.assert_allclose(p_n, [10 ** -0.6, 100 * 10 ** -0.6], rtol=0.05)
    # a stated signal power overrides the measurement (e.g. the power ahead of a fading channel)
    n2 = awgn.awgn(x, 6.0, rng, signal_power=1.0) - x
    np.testing.assert_allclose(np.mean(np.abs(n2) ** 2, axis=1), 10 ** -0.6, rtol=0.05)


def test_awgn_does_not_modify_input(rng):
    x = _burst(rng)
    keep = x.copy()
    awgn.awgn(x, 3.0, rng)
    assert np.array_equal(x, keep)


# ---------------------------------------------------------------- oscillator
def test_cfo_rotation_is_exact(rng):
    x = _burst(rng, 5000)
    f = 123_456.7
    y = oscillator.cfo(x, f, phase_rad=0.3)
    n = np.arange(x.size)
    np.testing.assert_allclose(y, x * np.exp(1j * (2 * np.pi * f / FS * n + 0.3)), rtol=0, atol=1e-12)
    # the phase step per sample is 2π f / fs exactly
    step = np.angle(y[1:] / x[1:] * np.conj(y[:-1] / x[:-1]))
    np.testing.assert_allclose(step, 2 * np.pi * f / FS, atol=1e-9)
    # undoing it returns the burst; a later slice continues the same rotation
    np.testing.assert_allclose(oscillator.cfo(y, -f, phase_rad=-0.3), x, atol=1e-12)
    np.testing.assert_allclose(oscillator.cfo(x[700:], f, phase_rad=0.3, start=700), y[700:], atol=1e-12)


def test_ppm_of_cfo():
    # 20 ppm at 5.8 GHz is 116 kHz (17.3.9.4 allows ±20 ppm)
    assert oscillator.ppm_for_cfo(116e3, 5.8e9) == pytest.approx(20.0)


@pytest.mark.parametrize("ppm", [-40.0, 20.0, 100.0])
def test_sco_resamples_a_tone_exactly(ppm):
    # y[n] = x(n (1 + ε)): a tone at f becomes exp(j2π f n (1 + ε)/fs), up to
    # the interpolator's error; 7.5 MHz is inside the 802.11a occupied band
    n = np.arange(6000)
    f = 7.5e6
    y = oscillator.sco(np.exp(2j * np.pi * f / FS * n), ppm)
    ref = np.exp(2j * np.pi * f / FS * n * (1 + ppm * 1e-6))
    err = np.abs(y - ref)[40:-40]
    assert 20 * np.log10(err.max()) < -60
    assert np.array_equal(oscillator.sco(ref, 0.0), ref)


def test_phase_noise_linewidth_from_dbc_hz():
    # β = 2π f² 10^(L/10): -100 dBc/Hz at 1 MHz ↔ 628.3 Hz (hand-computed)
    assert oscillator.linewidth_for_dbc_hz(-100.0, 1e6) == pytest.approx(628.3185, rel=1e-6)


def test_phase_noise_is_a_wiener_process_with_the_lorentzian_spectrum(rng):
    beta = 20e3  # Hz, 3-dB linewidth
    x = np.ones((40, 1 << 14), complex)
    y = oscillator.phase_noise(x, rng, linewidth_hz=beta)
    assert np.allclose(np.abs(y), 1.0)
    phi = np.unwrap(np.angle(y), axis=1)
    # increments: variance 2π β / fs per sample, and over m samples m times that
    for m in (1, 10, 100):
        d = phi[:, m:] - phi[:, :-m]
        assert np.var(d) == pytest.approx(2 * np.pi * beta / FS * m, rel=0.05)
    # single-sideband level L(f) = β / (2π f²) (Lorentzian far from the carrier)
    spec = np.mean(np.abs(np.fft.fft(y * np.hanning(y.shape[1]), axis=1)) ** 2, axis=0)
    spec /= np.sum(spec) * (FS / y.shape[1])  # per Hz, total power 1
    freqs = np.fft.fftfreq(y.shape[1], 1 / FS)
    for f in (300e3, 1e6):
        near = (np.abs(freqs - f) < 0.05 * f)
        measured = 10 * np.log10(np.mean(spec[near]))
        assert measured == pytest.approx(10 * np.log10(beta / (2 * np.pi * f**2)), abs=1.0)


# ---------------------------------------------------------------- multipath
@pytest.mark.parametrize("rms", [10e-9, 50e-9, 150e-9])
@pytest.mark.parametrize("spacing", [None, 12.5e-9])
def test_exponential_profile_power_and_rms(rms, spacing):
    d, p = multipath.exponential_pdp(rms, spacing_s=spacing)
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(np.diff(p) < 0)  # decaying
    step = 1 / FS if spacing is None else spacing
    assert np.log(1e4) * rms <= d[-1] < np.log(1e4) * rms + step  # out to where a continuous one is 40 dB down
    np.testing.assert_allclose(d, np.arange(d.size) * step)
    # RMS delay spread from the formula, written out here
    mean = np.sum(p * d)
    assert np.sqrt(np.sum(p * d**2) - mean**2) == pytest.approx(rms, rel=1e-6)


def test_multipath_realisations_have_unit_mean_power_and_the_rms_delay_spread(rng):
    rms = 100e-9
    n = 3000
    imp = np.zeros(64, complex)
    imp[0] = 1.0
    profiles = np.zeros(64)
    total = []
    for _ in range(n):
        h = multipath.multipath(imp, rng, rms)  # impulse response through apply()
        profiles += np.abs(h) ** 2
        total.append(np.sum(np.abs(h) ** 2))
    assert np.mean(total) == pytest.approx(1.0, abs=0.05)  # σ of the mean ≈ 0.01
    profiles /= n
    delays = np.arange(64) / FS
    mean = np.sum(profiles * delays) / profiles.sum()
    measured = np.sqrt(np.sum(profiles * delays**2) / profiles.sum() - mean**2)
    assert measured == pytest.approx(rms, rel=0.05)
    # per-realisation normalisation: exactly unit power every time
    h = multipath.realise(rng, rms, normalize="realisation")
    assert h.mean_power() == pytest.approx(1.0, abs=1e-12)


def test_fractional_delays_match_the_ideal_frequency_response(rng):
    # A TDL with delays that are not multiples of 50 ns, applied to a
    # band-limited periodic signal, equals IFFT(H(f) X(f)) with
    # H(f) = Σ g_k exp(-j2π f τ_k), the exact continuous-delay response.
    ch = tdl.make([0.0, 13e-9, 61.7e-9, 240.2e-9], [1.0, 0.5j, -0.3, 0.1 + 0.1j])
    n = 2048
    x = _bandlimited(rng, n)
    y = ch.apply(np.tile(x, 3))[n:2 * n]
    ideal = np.fft.ifft(np.fft.fft(x) * ch.frequency_response(np.fft.fftfreq(n, 1 / FS)))
    err = np.sqrt(np.mean(np.abs(y - ideal) ** 2) / np.mean(np.abs(ideal) ** 2))
    assert 20 * np.log10(err) < -50
    # sample-spaced taps are exact
    ch2 = tdl.make([0.0, 50e-9, 150e-9], [1.0, 0.5, 0.25j])
    y2 = ch2.apply(x)
    ref = x.copy()
    ref[1:] += 0.5 * x[:-1]
    ref[3:] += 0.25j * x[:-3]
    np.testing.assert_allclose(y2, ref, atol=1e-12)


def test_time_varying_taps_follow_their_gains():
    # a constant input through a time-varying channel comes out as Σ_k g_k(t)
    ch = tdl.make([0.0, 100e-9], [[0.8, 0.1], [0.3j, 0.0]], [[500.0, -200.0], [250.0, 0.0]])
    n = 20000
    y = ch.apply(np.ones(n, complex))
    g = ch.gains(np.arange(n) / FS).sum(axis=0)
    np.testing.assert_allclose(y[40:], g[40:], atol=1e-4)  # the interpolated gains: error < 1e-5
    assert not ch.static
    h, first = ch.impulse_response(t_s=0.0)
    assert first == 0 and h[0] == pytest.approx(0.9) and h[2] == pytest.approx(0.3j)


# ---------------------------------------------------------------- fading
def test_max_doppler_at_100_kmh_5_8_ghz():
    # 27.78 m/s × 5.8e9 / 299,792,458 m/s = 537.4 Hz
    assert fading.max_doppler_hz(100 / 3.6, 5.8e9) == pytest.approx(537.4, abs=0.1)


def test_clarke_doppler_spectrum_and_autocorrelation(rng):
    fd = 537.0
    fs = 8000.0
    t = np.arange(1 << 13) / fs
    runs = 300
    spec = np.zeros(t.size)
    lag = int(round(2.405 / (2 * np.pi * fd) * fs))  # first zero of J0
    acf0 = acf1 = 0j
    for _ in range(runs):
        c, v = fading.clarke(rng, 1.0, fd)
        assert np.all(np.abs(v) <= fd)
        g = tdl.make([0.0], c[None, :], v[None, :]).gains(t)[0]
        spec += np.abs(np.fft.fft(g * np.hanning(t.size))) ** 2
        acf0 += np.mean(np.abs(g) ** 2)
        acf1 += np.mean(g[lag:] * np.conj(g[:-lag]))
    freqs = np.fft.fftfreq(t.size, 1 / fs)
    spec /= spec.sum()
    # RMS Doppler spread of Clarke's spectrum: f_d/√2
    assert np.sqrt(np.sum(spec * freqs**2)) == pytest.approx(fd / np.sqrt(2), rel=0.03)
    assert spec[np.abs(freqs) > 1.02 * fd].sum() < 0.005
    # autocorrelation J0(2π f_d τ): near its first zero, and at τ = 1 ms J0(3.37) = -0.33
    assert (acf1 / acf0).real == pytest.approx(j0(2 * np.pi * fd * lag / fs), abs=0.05)
    lag2 = int(1e-3 * fs)
    acf2 = 0j
    for _ in range(runs):
        c, v = fading.clarke(rng, 1.0, fd)
        g = tdl.make([0.0], c[None, :], v[None, :]).gains(t)[0]
        acf2 += np.mean(g[lag2:] * np.conj(g[:-lag2])) / runs
    assert acf2.real == pytest.approx(j0(2 * np.pi * fd * 1e-3), abs=0.06)


@pytest.mark.parametrize("k_db", [3.0, 10.0, 15.0])
def test_rician_k_factor_by_moments(k_db, rng):
    # line of sight + diffuse only (no ground reflection): the moment
    # estimator over many realisations recovers the configured K
    gains = []
    for _ in range(4000):
        ch = a2g.channel(rng, (600.0, 0.0, 100.0), (27.78, 0.0, 0.0), k_factor_db=k_db, surface=None)
        gains.append(ch.gains([0.0])[:, 0].sum())
        assert ch.mean_power() == pytest.approx(1.0)
    k_est = 10 * np.log10(fading.k_factor_moments(np.array(gains)))
    assert k_est == pytest.approx(k_db, abs=1.0)


def test_k_factor_estimator_on_hand_made_samples(rng):
    # Rician samples made here (not by the channel code): LOS 1, diffuse power 0.1 → K = 10 dB
    h = 1.0 + np.sqrt(0.05) * (rng.standard_normal(200000) + 1j * rng.standard_normal(200000))
    assert 10 * np.log10(fading.k_factor_moments(h)) == pytest.approx(10.0, abs=0.2)
    assert fading.k_factor_moments(np.full(10, 1 + 1j)) == float("inf")


# ---------------------------------------------------------------- air to ground
def test_a2g_ray_geometry():
    drone = np.array([1000.0, 0.0, 100.0])
    gs = np.array([0.0, 0.0, 2.0])
    v = np.array([100 / 3.6, 0.0, 0.0])  # flying straight away
    lam = signal.C_MPS / 5.8e9
    los, refl = a2g.rays(drone, v, ground_station_m=gs, surface=a2g.SEA)
    d0 = np.hypot(1000.0, 98.0)
    d1 = np.hypot(1000.0, 102.0)
    assert los.delay_s == 0 and los.amplitude == 1
    assert refl.delay_s == pytest.approx((d1 - d0) / signal.C_MPS, rel=1e-9)
    # Doppler −v·u/λ: away from the station lowers the frequency by v cos(elevation)/λ
    assert los.doppler_hz == pytest.approx(-v[0] * 1000.0 / d0 / lam, rel=1e-9)
    assert refl.doppler_hz == pytest.approx(-v[0] * 1000.0 / d1 / lam, rel=1e-9)
    gamma = a2g.reflection_coefficient(np.arctan2(102.0, 1000.0), a2g.SEA)
    assert abs(refl.amplitude) == pytest.approx(abs(gamma) * d0 / d1, rel=1e-9)
    # a third ray from a scatterer: path via the scatterer
    s = np.array([-50.0, 20.0, 10.0])
    third = a2g.rays(drone, v, ground_station_m=gs, scatterer_m=s, third_ray_db=-12.0)[-1]
    extra = np.linalg.norm(gs - s) + np.linalg.norm(drone - s) - d0
    assert third.delay_s == pytest.approx(extra / signal.C_MPS)
    assert abs(third.amplitude) == pytest.approx(10 ** (-12 / 20))


def test_fresnel_reflection_limits():
    # grazing incidence: Γ → −1 for both polarisations; normal incidence:
    # both equal (1 − √ε)/(1 + √ε) up to the sign convention
    lam = signal.C_MPS / 5.8e9
    eps = 70.0 - 1j * 60 * 5.0 * lam
    for pol in ("vertical", "horizontal"):
        assert a2g.reflection_coefficient(0.0, a2g.SEA, polarization=pol) == pytest.approx(-1.0)
    normal = abs((1 - np.sqrt(eps)) / (1 + np.sqrt(eps)))
    for pol in ("vertical", "horizontal"):
        assert abs(a2g.reflection_coefficient(np.pi / 2, a2g.SEA, polarization=pol)) == pytest.approx(normal)
    # roughness only lowers it
    rough = a2g.Surface("rough sea", 70.0, 5.0, 0.1)
    assert abs(a2g.reflection_coefficient(0.2, rough)) < abs(a2g.reflection_coefficient(0.2, a2g.SEA))


@pytest.mark.parametrize("scenario", [a2g.TWO_RAY, a2g.THREE_RAY], ids=["two-ray", "three-ray"])
def test_a2g_scenarios_are_normalised_rician_and_time_varying(scenario, rng):
    powers, spreads = [], []
    for _ in range(200):
        ch = scenario.draw(rng)
        assert ch.mean_power() == pytest.approx(1.0)
        fd = fading.max_doppler_hz(scenario.speed_mps, scenario.carrier_hz)
        assert np.max(np.abs(ch.dopplers_hz)) <= fd + 1e-9
        powers.append(np.abs(ch.coeffs[0, 0]) ** 2)
        spreads.append(ch.rms_delay_spread())
        k = abs(ch.coeffs[0, 0]) ** 2 / np.sum(np.abs(ch.coeffs[len(ch.delays_s) - 6:]) ** 2)
        assert 10 * np.log10(k) == pytest.approx(scenario.k_factor_db, abs=1e-6)
    # RMS delay spreads of a few to tens of ns (Matolak & Sun Part I: ~10 ns typical over water);
    # the gain changes within a 1.4 ms packet
    assert 1e-9 < np.median(spreads) < 100e-9
    ch = scenario.draw(rng)
    g = ch.gains([0.0, 1.4e-3]).sum(axis=0)
    assert abs(g[0] - g[1]) > 1e-3


# ---------------------------------------------------------------- interference
@pytest.mark.parametrize("sir_db", [-10.0, 0.0, 20.0])
def test_tone_sir_exact(sir_db, rng):
    x = _burst(rng)
    i = interference.tone(x, sir_db, rng, freq_hz=1.25e6) - x
    assert 10 * np.log10(np.mean(np.abs(x) ** 2) / np.mean(np.abs(i) ** 2)) == pytest.approx(sir_db, abs=1e-9)
    assert np.allclose(np.abs(i), np.abs(i[0]))
    spec = np.abs(np.fft.fft(i)) ** 2
    assert np.fft.fftfreq(x.size, 1 / FS)[np.argmax(spec)] == pytest.approx(1.25e6)


@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.5])
def test_partial_band_sir_and_occupancy(fraction, rng):
    x = _burst(rng, 16384)
    i = interference.partial_band(x, 3.0, rng, fraction=fraction, center_hz=-2e6) - x
    # the noise has unit *mean* power: over M = fraction * N independent complex Gaussian bins its measured
    # power has relative spread 1/sqrt(M) (exponential bins), 4.34/sqrt(M) dB; 5 sigma (0.54 dB at 10 %)
    tol = 5 * 10 * np.log10(np.e) / np.sqrt(fraction * x.size)
    assert 10 * np.log10(np.mean(np.abs(x) ** 2) / np.mean(np.abs(i) ** 2)) == pytest.approx(3.0, abs=tol)
    spec = np.abs(np.fft.fft(i)) ** 2
    freqs = np.fft.fftfreq(x.size, 1 / FS)
    inside = np.abs(freqs + 2e6) <= fraction * FS / 2
    assert spec[inside].sum() / spec.sum() > 0.999
    assert inside.mean() == pytest.approx(fraction, abs=0.01)


def test_cochannel_ofdm_sir_and_overlap(rng):
    x = tx.ppdu(rng.bytes(300), 12)
    y = interference.ofdm(x, 5.0, rng, rate_mbps=24, psdu_bytes=60, offset=400)
    i = y - x
    on = np.abs(i) > 0
    first = np.argmax(on)
    assert first == 400
    # the interferer alone, measured over its own samples
    intf = tx.ppdu(b"\0" * 60, 24)
    on_span = i[400:400 + intf.size]
    assert 10 * np.log10(np.mean(np.abs(x) ** 2) / np.mean(np.abs(on_span) ** 2)) == pytest.approx(5.0, abs=1e-6)
    # a given burst starting before the wanted one: only the overlap is added
    b = _burst(rng, 1000)
    y2 = interference.ofdm(x, 0.0, rng, burst=b, offset=-900)
    np.testing.assert_allclose(y2[:100] - x[:100], b[900:] * np.sqrt(np.mean(np.abs(x) ** 2)), atol=1e-12)
    assert np.array_equal(y2[100:], x[100:])


# ---------------------------------------------------------------- determinism, errors
CALLS = {
    "awgn": lambda x, r: awgn.awgn(x, 5.0, r),
    "phase_noise": lambda x, r: oscillator.phase_noise(x, r, linewidth_hz=1e3),
    "multipath": lambda x, r: multipath.multipath(x, r, 50e-9, doppler_hz=100.0),
    "a2g two-ray": lambda x, r: a2g.TWO_RAY.draw(r).apply(x),
    "a2g three-ray": lambda x, r: a2g.THREE_RAY.draw(r).apply(x),
    "tone": lambda x, r: interference.tone(x, 0.0, r),
    "partial_band": lambda x, r: interference.partial_band(x, 0.0, r),
    "ofdm": lambda x, r: interference.ofdm(x, 0.0, r),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_same_seed_same_channel(name):
    x = _burst(np.random.default_rng(0), 2000)
    a = CALLS[name](x, np.random.default_rng(77))
    b = CALLS[name](x, np.random.default_rng(77))
    c = CALLS[name](x, np.random.default_rng(78))
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)


def test_global_rng_untouched_and_seed_integers_refused():
    np.random.seed(5)
    before = np.random.random()
    np.random.seed(5)
    awgn.awgn(np.ones(10), 3.0, np.random.default_rng(1))
    assert np.random.random() == before
    with pytest.raises(PhyError, match="Generator"):
        awgn.awgn(np.ones(10), 3.0, 1)


X = np.ones(64, complex)
HOSTILE_CASES = [
    (awgn.awgn, dict(x=X, snr_db=3.0, rng=np.random.default_rng(1))),
    (oscillator.cfo, dict(x=X, cfo_hz=1e3)),
    (oscillator.sco, dict(x=X, ppm=10.0)),
    (oscillator.phase_noise, dict(x=X, rng=np.random.default_rng(1), linewidth_hz=100.0)),
    (oscillator.linewidth_for_dbc_hz, dict(dbc_hz=-90.0, offset_hz=1e6)),
    (multipath.exponential_pdp, dict(rms_delay_s=50e-9)),
    (multipath.multipath, dict(x=X, rng=np.random.default_rng(1), rms_delay_s=50e-9)),
    (fading.clarke, dict(rng=np.random.default_rng(1), power=1.0, doppler_hz=100.0)),
    (fading.k_factor_moments, dict(gains=np.array([1.0, 1.1, 0.9]))),
    (tdl.make, dict(delays_s=[0.0, 5e-8], coeffs=[1.0, 0.5])),
    (a2g.rays, dict(drone_m=(500.0, 0.0, 100.0), velocity_mps=(10.0, 0.0, 0.0))),
    (a2g.channel, dict(rng=np.random.default_rng(1), drone_m=(500.0, 0.0, 100.0), velocity_mps=(10.0, 0.0, 0.0))),
    (interference.tone, dict(x=X, sir_db=0.0, rng=np.random.default_rng(1))),
    (interference.partial_band, dict(x=X, sir_db=0.0, rng=np.random.default_rng(1), fraction=0.5)),
    (interference.ofdm, dict(x=X, sir_db=0.0, rng=np.random.default_rng(1), burst=np.ones(10, complex))),
]


@pytest.mark.parametrize("func,good", HOSTILE_CASES, ids=[f.__qualname__ for f, _ in HOSTILE_CASES])
def test_hostile_arguments_raise_phy_error(func, good):
    skip = {"x": (np.zeros((2, 3)), [1, 2], np.array([1 + 1j])), "burst": (np.array([1 + 1j]), [1, 2]),
            "gains": ([1, 2], np.zeros((2, 3)), np.array([1 + 1j]))}
    refused = hostile.sweep(func, good, PhyError, skip=skip)
    assert refused > 0


def test_zero_power_burst_has_no_snr():
    with pytest.raises(PhyError, match="power"):
        awgn.awgn(np.zeros(10), 3.0, np.random.default_rng(1))
