"""Additive white Gaussian noise at a stated SNR.

SNR definition (used by every sweep in :mod:`mesh_phy.link` and
:mod:`mesh_phy.per`)::

    SNR = P_s / N

* ``P_s``: the signal power over the 20 MHz band: by default the measured mean
  ``|x|²`` of the burst samples passed in (see
  :mod:`mesh_phy.channel.signal`); a caller that adds noise after a fading
  channel passes the *transmitted* burst's power as ``signal_power`` so that
  the SNR is the average SNR (the channels are normalised to unit mean power
  gain) and fades are not undone by the noise scaling.
* ``N``: the complex noise variance per sample, ``E|n|²``. At fs = 20 MHz one
  sample's noise is the noise power in the 20 MHz band, so this is the usual
  "signal power over noise power in 20 MHz": the figure that the
  802.11a sensitivity test relates to (−101 dBm thermal noise in 20 MHz, plus
  the noise figure).

Zero-padding before or after a burst is not part of the burst: measure the
power on the burst alone and pass it as ``signal_power``.
"""

import numpy as np

from mesh_phy.channel import signal


def noise_variance(signal_power, snr_db) -> np.ndarray:
    """Complex per-sample noise variance ``N = P_s / 10^(SNR/10)``."""
    p = np.asarray(signal_power, float)
    return p / signal.db_to_linear(snr_db, "snr_db")


def awgn(x, snr_db, rng, *, signal_power=None) -> np.ndarray:
    """``x`` plus circular complex white Gaussian noise at ``snr_db`` (dB, as
    defined in the module docstring), each burst of a batch at its own measured
    power unless ``signal_power`` (linear, per complex sample) is given.
    Returns a new array; ``x`` is not modified."""
    a = signal.burst(x)
    rng = signal.generator(rng)
    n0 = noise_variance(signal.power_or_measured(a, signal_power), snr_db)
    return a + signal.complex_gaussian(rng, a.shape, n0)
