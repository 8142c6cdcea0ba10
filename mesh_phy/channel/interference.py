"""Interference at a stated signal-to-interference ratio.

SIR definition: ``SIR = P_s / P_i`` where ``P_s`` is the signal power (the
measured mean ``|x|²`` of the burst, or ``signal_power`` when given — e.g. the
transmitted burst's power ahead of a fading channel, as for the SNR in
:mod:`mesh_phy.channel.awgn`) and ``P_i`` is the interferer's mean power over
the time it is on: the whole burst for the tone and the partial-band jammer,
the interfering packet's own samples for the co-channel OFDM interferer
(which may overlap the wanted burst only in part, so the SIR holds while both
are on).

* :func:`tone` — a continuous-wave (narrowband) jammer at ``freq_hz``
  (default: uniform within the occupied band ±8.125 MHz) with a random phase.
* :func:`partial_band` — Gaussian noise with a flat spectrum over a fraction
  ``fraction`` of the 20 MHz band (``fraction · 20 MHz`` wide, centred at
  ``center_hz``, default uniform such that the band stays inside ±10 MHz),
  nothing outside it; its power ``P_i`` is spread over that band only.
* :func:`ofdm` — another 802.11a packet (:func:`mesh_phy.tx.ppdu`, random
  payload and scrambler seed) starting ``offset`` samples after the wanted
  burst's first sample (default uniform so that at least one sample overlaps;
  negative: it started earlier), with its own carrier offset ``cfo_hz``
  (default 0).
"""

import numpy as np

import argcheck
from mesh_phy.channel import signal
from mesh_phy.errors import PhyError
from mesh_phy.rates import RATES

OCCUPIED_HZ = 26 * 312.5e3  # outermost 802.11a subcarrier (17.3.2.3)


def _interference_power(a: np.ndarray, sir_db, signal_power) -> np.ndarray:
    return signal.power_or_measured(a, signal_power) / signal.db_to_linear(sir_db, "sir_db")


def tone(x, sir_db, rng, *, freq_hz=None, fs_hz=signal.FS_HZ, signal_power=None) -> np.ndarray:
    """``x`` plus a CW tone ``√P_i · exp(j(2π f n / fs + φ))`` (φ uniform)."""
    a = signal.burst(x)
    rng = signal.generator(rng)
    fs = signal.sample_rate(fs_hz)
    p_i = _interference_power(a, sir_db, signal_power)
    f = rng.uniform(-OCCUPIED_HZ, OCCUPIED_HZ) if freq_hz is None else \
        argcheck.real(freq_hz, "freq_hz", PhyError, lo=-fs / 2, hi=fs / 2)
    n = np.arange(a.shape[-1])
    return a + np.sqrt(p_i) * np.exp(1j * (2 * np.pi * f / fs * n + rng.uniform(0, 2 * np.pi)))


def partial_band(x, sir_db, rng, *, fraction=0.25, center_hz=None, fs_hz=signal.FS_HZ,
                 signal_power=None) -> np.ndarray:
    """``x`` plus band-limited Gaussian noise of power ``P_i`` occupying
    ``fraction`` (0 < fraction ≤ 1) of the band around ``center_hz``. Made in
    the frequency domain over the burst (FFT bins inside the band get
    independent complex Gaussian values, the others zero), so it is periodic
    over the burst length."""
    a = signal.burst(x)
    rng = signal.generator(rng)
    fs = signal.sample_rate(fs_hz)
    frac = argcheck.real(fraction, "fraction", PhyError, lo=0.0, lo_open=True, hi=1.0)
    p_i = _interference_power(a, sir_db, signal_power)
    width = frac * fs
    if center_hz is None:
        fc = rng.uniform(-(fs - width) / 2, (fs - width) / 2)
    else:
        fc = argcheck.real(center_hz, "center_hz", PhyError, lo=-(fs - width) / 2, hi=(fs - width) / 2)
    n = a.shape[-1]
    freqs = np.fft.fftfreq(n, 1 / fs)
    band = np.abs(freqs - fc) <= width / 2
    if not band.any():
        band[np.argmin(np.abs(freqs - fc))] = True
    spec = np.zeros(a.shape, complex)
    spec[..., band] = signal.complex_gaussian(rng, a.shape[:-1] + (int(band.sum()),), 1.0)
    noise = np.fft.ifft(spec, axis=-1) * (n / np.sqrt(band.sum()))  # unit mean power per sample
    return a + np.sqrt(p_i) * noise


def ofdm(x, sir_db, rng, *, burst=None, rate_mbps=6, psdu_bytes=100, offset=None, cfo_hz=0.0,
         fs_hz=signal.FS_HZ, signal_power=None) -> np.ndarray:
    """``x`` plus a co-channel 802.11a packet at ``P_i`` (its mean power over
    its own samples), starting ``offset`` samples into the burst. ``burst``
    gives the interfering samples directly; otherwise a packet of
    ``psdu_bytes`` random bytes at ``rate_mbps`` is made with
    :func:`mesh_phy.tx.ppdu`."""
    a = signal.burst(x)
    rng = signal.generator(rng)
    p_i = _interference_power(a, sir_db, signal_power)
    if burst is None:
        from mesh_phy import tx

        rate = argcheck.one_of(rate_mbps, "rate_mbps", PhyError, sorted(RATES))
        nbytes = argcheck.integer(psdu_bytes, "psdu_bytes", PhyError, lo=1, hi=4095)
        intf = tx.ppdu(rng.bytes(nbytes), rate, seed=int(rng.integers(1, 128)))
    else:
        intf = signal.burst(burst, "burst")
        if intf.ndim != 1:
            raise PhyError(f"burst must be 1-D, got shape {intf.shape}")
    n, m = a.shape[-1], intf.size
    if offset is None:
        off = int(rng.integers(-(m - 1), n))
    else:
        off = argcheck.integer(offset, "offset", PhyError, lo=-(m - 1), hi=n - 1)
    f = argcheck.real(cfo_hz, "cfo_hz", PhyError, lo=-5e6, hi=5e6)
    fs = signal.sample_rate(fs_hz)
    p_burst = np.mean(np.abs(intf) ** 2)
    if not p_burst > 0:
        raise PhyError("the interfering burst has zero power")
    intf = intf * np.sqrt(1.0 / p_burst) * np.exp(2j * np.pi * f / fs * np.arange(m))
    out = a.copy()
    lo, hi = max(0, off), min(n, off + m)
    out[..., lo:hi] += np.sqrt(p_i) * intf[lo - off:hi - off]
    return out
