"""The packet link of the PER sweeps: one whole PPDU per batch through
:func:`mesh_phy.tx.ppdu` → channel → :func:`mesh_phy.rx.receive`.

**Transmit**: a PSDU of ``psdu_bytes`` random bytes, random scrambler seed
(1..127), at ``rate_mbps``; its measured mean sample power ``P_s`` is the
signal power of every SNR and SIR below.

**Channel**, in this order, on a buffer of ``lead`` (uniform 200..599)
noise-only samples, the PPDU, and 100 more:

1. the propagation channel (:class:`mesh_phy.channel.tdl.TDL`, unit mean
   power, LOS delay 0 so the packet starts at sample ``lead``): ``awgn`` a
   single tap of random phase; ``multipath`` a static Rayleigh draw of the
   exponential profile (:mod:`mesh_phy.channel.multipath`, RMS
   ``rms_delay_s``); ``a2g2``/``a2g3`` a draw of
   :data:`mesh_phy.channel.a2g.TWO_RAY` / :data:`~mesh_phy.channel.a2g.THREE_RAY`
   (time-varying within the packet); the jammer channels use the ``awgn`` tap;
2. a carrier frequency offset uniform in ±``cfo_max_hz`` (phase 0 at buffer
   sample 0, the receiver's convention); with ``sco`` also the sampling-clock
   offset of the same reference (ppm = CFO / 5.8 GHz, 17.3.9.4 ties carrier
   and clock to one oscillator), and with ``phase_noise_dbc_hz`` Wiener phase
   noise of that level (dBc/Hz) at 1 MHz offset;
3. for ``tone``/``partial``/``ofdm``: the jammer at ``sir_db``
   (:mod:`mesh_phy.channel.interference`; the co-channel packet has the wanted
   packet's rate and length, a random payload, its own CFO within
   ±``cfo_max_hz`` and a random overlap);
4. AWGN at ``snr_db`` over the whole buffer (SNR = P_s / noise in 20 MHz).

**Receive** with the genie of ``genie``: ``full`` (the receiver estimates
everything), ``timing`` (told the start), ``timing+cfo`` (and the CFO),
``ideal`` (and the channel: the 64-bin frequency response at the middle of
the packet). A packet is lost when the receiver raises a
:class:`~mesh_phy.errors.PhyError` or returns a PSDU other than the one sent;
the tally counts outcomes by cause (``ok``, ``wrong_psdu`` or the error's class).
"""

from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

import argcheck
from mesh_phy import rx, tx
from mesh_phy.channel import a2g, awgn, interference, multipath, oscillator, signal, tdl
from mesh_phy.errors import PhyError
from mesh_phy.link.runner import Batch, Link
from mesh_phy.rates import RATES

GENIE_MODES = ("full", "timing", "timing+cfo", "ideal")
FADING = ("awgn", "multipath", "a2g2", "a2g3")
JAMMERS = ("tone", "partial", "ofdm")
CHANNELS = FADING + JAMMERS
LEAD = (200, 600)
TAIL = 100
CARRIER_HZ = 5.8e9
BINS_HZ = np.fft.fftfreq(64, 1 / signal.FS_HZ)  # subcarrier frequencies in numpy FFT order


@dataclass(frozen=True)
class LinkConfig:
    """One PER operating point (see module docstring); ``sir_db`` only for jammers."""

    rate_mbps: int
    psdu_bytes: int = 1000
    channel: str = "awgn"
    genie: str = "full"
    snr_db: float = 30.0
    sir_db: float = 10.0
    cfo_max_hz: float = 100e3
    rms_delay_s: float = 50e-9
    partial_fraction: float = 0.25
    sco: bool = False
    phase_noise_dbc_hz: float | None = None

    def checked(self) -> "LinkConfig":
        return LinkConfig(
            rate_mbps=argcheck.one_of(self.rate_mbps, "rate_mbps", PhyError, sorted(RATES)),
            psdu_bytes=argcheck.integer(self.psdu_bytes, "psdu_bytes", PhyError, lo=1, hi=4095),
            channel=argcheck.one_of(self.channel, "channel", PhyError, CHANNELS),
            genie=argcheck.one_of(self.genie, "genie", PhyError, GENIE_MODES),
            snr_db=argcheck.real(self.snr_db, "snr_db", PhyError, lo=-50.0, hi=100.0),
            sir_db=argcheck.real(self.sir_db, "sir_db", PhyError, lo=-50.0, hi=100.0),
            cfo_max_hz=argcheck.real(self.cfo_max_hz, "cfo_max_hz", PhyError, lo=0.0, hi=1e6),
            rms_delay_s=argcheck.real(self.rms_delay_s, "rms_delay_s", PhyError, lo=0.0, hi=1e-6),
            partial_fraction=argcheck.real(self.partial_fraction, "partial_fraction", PhyError,
                                           lo=0.0, lo_open=True, hi=1.0),
            sco=argcheck.flag(self.sco, "sco", PhyError),
            phase_noise_dbc_hz=None if self.phase_noise_dbc_hz is None else
            argcheck.real(self.phase_noise_dbc_hz, "phase_noise_dbc_hz", PhyError, lo=-200.0, hi=-40.0),
        )


class Sent(NamedTuple):
    psdu: bytes
    samples: np.ndarray
    power: float


class Received(NamedTuple):
    """Buffer samples and the truths a genie may pass on."""

    samples: np.ndarray
    start: int
    cfo_hz: float
    channel: np.ndarray  # 64 bins, numpy FFT order


class PacketLink(Link):
    """One packet per batch (see module docstring)."""

    def __init__(self, config: LinkConfig):
        if not isinstance(config, LinkConfig):
            raise PhyError(f"config must be a LinkConfig, got {type(config).__name__}")
        self.cfg = config.checked()

    def transmit(self, rng) -> Sent:
        psdu = rng.bytes(self.cfg.psdu_bytes)
        x = tx.ppdu(psdu, self.cfg.rate_mbps, seed=int(rng.integers(1, 128)))
        return Sent(psdu, x, float(np.mean(np.abs(x) ** 2)))

    def propagation(self, rng) -> tdl.TDL:
        """This packet's propagation channel (unit mean power, LOS at delay 0)."""
        c = self.cfg
        if c.channel == "multipath":
            return multipath.realise(rng, c.rms_delay_s)
        if c.channel == "a2g2":
            return a2g.TWO_RAY.draw(rng)
        if c.channel == "a2g3":
            return a2g.THREE_RAY.draw(rng)
        return tdl.make([0.0], [np.exp(1j * rng.uniform(0, 2 * np.pi))])

    def channel(self, sent: Sent, rng) -> Received:
        c = self.cfg
        lead = int(rng.integers(*LEAD))
        n = sent.samples.size
        buf = np.zeros(lead + n + TAIL, complex)
        buf[lead:lead + n] = sent.samples
        ch = self.propagation(rng)
        y = ch.apply(buf)
        cfo = float(rng.uniform(-c.cfo_max_hz, c.cfo_max_hz))
        if c.sco:
            y = oscillator.sco(y, oscillator.ppm_for_cfo(cfo, CARRIER_HZ))
        y = oscillator.cfo(y, cfo)
        if c.phase_noise_dbc_hz is not None:
            beta = oscillator.linewidth_for_dbc_hz(c.phase_noise_dbc_hz, 1e6)
            y = oscillator.phase_noise(y, rng, linewidth_hz=beta, phase_rad=0.0)
        if c.channel == "tone":
            y = interference.tone(y, c.sir_db, rng, signal_power=sent.power)
        elif c.channel == "partial":
            y = interference.partial_band(y, c.sir_db, rng, fraction=c.partial_fraction, signal_power=sent.power)
        elif c.channel == "ofdm":
            y = interference.ofdm(y, c.sir_db, rng, rate_mbps=c.rate_mbps, psdu_bytes=c.psdu_bytes,
                                  cfo_hz=float(rng.uniform(-c.cfo_max_hz, c.cfo_max_hz)), signal_power=sent.power)
        y = awgn.awgn(y, c.snr_db, rng, signal_power=sent.power)
        h = ch.frequency_response(BINS_HZ, t_s=(lead + n / 2) / signal.FS_HZ)
        return Received(y, lead, cfo, h)

    def genie(self, received: Received) -> rx.Genie:
        mode = self.cfg.genie
        return rx.Genie(
            start=None if mode == "full" else received.start,
            cfo_hz=received.cfo_hz if mode in ("timing+cfo", "ideal") else None,
            channel=received.channel if mode == "ideal" else None,
        )

    def receive(self, received: Received):
        try:
            return rx.receive(received.samples, genie=self.genie(received))
        except PhyError as exc:
            return exc

    def count(self, sent: Sent, got) -> Batch:
        if isinstance(got, PhyError):
            return Batch(1, 1, {type(got).__name__: 1})
        if got.psdu != sent.psdu:
            return Batch(1, 1, {"wrong_psdu": 1})
        return Batch(0, 1, {"ok": 1})


@dataclass(frozen=True)
class Along:
    """``make_link`` for a :class:`mesh_phy.link.runner.Curve`: the config
    with ``axis`` ("snr_db" or "sir_db") set to the point's x (picklable)."""

    config: LinkConfig
    axis: str = "snr_db"

    def __call__(self, x) -> PacketLink:
        return PacketLink(replace(self.config, **{self.axis: x}))
