"""Channel models on complex baseband samples (20 Msample/s by default):
AWGN at a stated SNR, carrier and sampling-clock offset, phase noise,
multipath, the air-to-ground drone channel, and interference at a stated SIR.

Conventions (burst shape, power measurement, the explicit ``rng``) are in
:mod:`mesh_phy.channel.signal`; the SNR definition is in
:mod:`mesh_phy.channel.awgn`, the SIR definition in
:mod:`mesh_phy.channel.interference`. Every random function takes a
``numpy.random.Generator`` and never the global RNG.

Modules: ``awgn``, ``oscillator`` (CFO, SCO, phase noise), ``tdl`` (the
time-varying tapped delay line every fading channel is), ``multipath``
(exponential power-delay profile), ``fading`` (Clarke Doppler, K-factor
estimate), ``a2g`` (two- and three-ray air-to-ground), ``interference``
(tone, partial-band, co-channel OFDM), ``interp`` (band-limited interpolation).
"""

from mesh_phy.channel import a2g, awgn, fading, interference, interp, multipath, oscillator, signal, tdl

__all__ = ["a2g", "awgn", "fading", "interference", "interp", "multipath", "oscillator", "signal", "tdl"]
