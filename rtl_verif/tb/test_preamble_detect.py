"""Testbench of rtl/preamble_detect.sv against
mesh_phy.ofdm.detect_fixed.stream_beats (bit-exact: every detection's index
and angle, and each frame's closing beat).

Stimulus: the 802.11a preamble and SIGNAL of a real PPDU (mesh_phy.tx.ppdu),
with carrier offset, noise, amplitude and clipping, quantised to IN_W bits.

Testplan: rtl_verif/plans/preamble_detect.yaml. Expectations are predicted
from the input monitor; coverage (detections per frame, CFO sign/size from the
output angle, detection on the closing beat, reset point) from the monitors.
* test_directed — a clean packet at +100 kHz and at -300 kHz; all-zero and
  1- and 2-sample frames (closing beat only); a DC frame (the detector fires
  on any 16-periodic signal: it must, bit for bit); full-scale extremes; a
  burst decaying 4× every 16 samples (|C| > 2P: the normalised correlation
  saturates), turned by 1, -1, -j and j every 16 samples (each part to each
  rail); a frame cut right after its detection sample (detection and
  closing beat in one); two packets in one frame (hold-off); for IDX_W ≤ 12 a
  frame longer than 2^IDX_W (the index wraps).
* test_random_frames — noise only, one or two packets at random offset, SNR
  (0 … 40 dB), CFO (±300 kHz), level (-50 … 0 dBFS, clipping) and
  truncation, parametrised over source idle x sink stall, opening with a
  burst of 32 frames of 1-2 samples (a closing beat nearly every clock: a
  sink stall then holds the whole pipeline); requires that many frames had detections.
* test_reset_points — reset inside a frame, with output pending, idle.
* test_latency — clocks from the detection sample's input to its output beat.
"""

from functools import lru_cache

import cocotb
import numpy as np

from mesh_phy import tx
from mesh_phy.ofdm import detect_fixed
from rtl_verif.tb import fcov
from rtl_verif.tb.axis_tb import (
    IDLE,
    STALL,
    AxisTB,
    HandshakeLog,
    Stimulus,
    coverage_closure,
    make_frame,
    n_frames,
    reset_points,
    run_stream,
    tb_param,
    unpack,
)

FS = 20e6
SHORT_BURST = 32  # test_random_frames opens with this many frames of 1-2 samples (DetectStimulus.frame)


def model_params() -> detect_fixed.DetectParams:
    """The golden model's parameters of this build (the registry's parameter set, no defaults here)."""
    t = tb_param
    return detect_fixed.params(
        in_width=t("IN_W"), window=t("L"), plateau=t("M"), thr=t("THR"), thr_frac=t("TF"), p_min=t("PMIN"),
        holdoff=t("HOLD"), metric_width=t("MW"), index_width=t("IDX_W"), angle_width=t("AW"),
        cordic_iterations=t("ITER"))


@lru_cache(maxsize=1)
def packet() -> np.ndarray:
    """Preamble and SIGNAL (400 samples) of a 54 Mbit/s PPDU, RMS 1."""
    s = tx.ppdu(b"\x5a" * 20, 54, seed=0x5D)[:400]
    return s / np.sqrt(np.mean(np.abs(s) ** 2))


class DetectStimulus(Stimulus):
    def __init__(self, short_burst: int = 0):
        self.short_burst = short_burst  # the first random frames: 1-2 samples each
        self.p = model_params()
        self.w = self.p.in_width
        self.fs = (1 << (self.w - 1)) - 1
        self.detections = 0
        self.n_random = 0  # random frames drawn so far
        self.short = 0  # of which the opening burst of short frames

    def item(self, z):
        """Frame of complex samples already in LSB units (rounded and clipped here)."""
        lo = -(1 << (self.w - 1))
        re = np.clip(np.rint(np.real(z)), lo, self.fs).astype(np.int64)
        im = np.clip(np.rint(np.imag(z)), lo, self.fs).astype(np.int64)
        m = (1 << self.w) - 1
        beats = [((int(i) & m) << self.w) | (int(r) & m) for r, i in zip(re, im, strict=True)]
        exp = detect_fixed.stream_beats(re, im, self.p)
        self.detections += sum(b[2] for b in exp)
        tdata = [(a << self.p.index_width) | i for i, a, _, _ in exp]
        return make_frame(beats), (tdata, [d for _, _, d, _ in exp])

    def received(self, rx):
        tu = rx.tuser if isinstance(rx.tuser, list) else [rx.tuser] * len(rx.tdata)
        return list(rx.tdata), [int(u) for u in tu]

    def predict(self, rx):
        """The golden model's beats for the samples the input monitor saw."""
        v = [unpack(d, self.w, 2) for d in rx.tdata]
        re, im = np.array([a for a, _ in v], np.int64), np.array([b for _, b in v], np.int64)
        exp = detect_fixed.stream_beats(re, im, self.p)
        return [(a << self.p.index_width) | i for i, a, _, _ in exp], [d for _, _, d, _ in exp]

    def cfo_bins(self, rx):
        """CFO class of every detection beat from its angle (AW-bit two's complement, full scale +-pi, the
        phase over 16 samples): sign and |CFO| below / above 50 kHz."""
        tdata, flags = self.received(rx)
        out = []
        for d, f in zip(tdata, flags, strict=True):
            if f:
                a = unpack(d >> self.p.index_width, self.p.angle_width, 1)[0]
                cfo = a / (1 << (self.p.angle_width - 1)) / 2 / 16 * FS
                out.append(("neg" if a < 0 else "pos") + ("_small" if abs(cfo) < 50e3 else "_large"))
        return out

    def cover_points(self):
        def on_out(fn):
            return lambda t: fn(t.frame) if t.side == "out" else None

        def count(rx):
            n = sum(self.received(rx)[1])
            return "0" if n == 0 else ("1" if n == 1 else "several")
        return (
            fcov.Point("cg_frame.detections", on_out(count), ("0", "1", "several")),
            fcov.Point("cg_frame.closing", on_out(lambda rx: "detection" if self.received(rx)[1][-1] else "plain"),
                       ("plain", "detection")),
            fcov.Point("cg_frame.cfo", on_out(lambda rx: (self.cfo_bins(rx) or [None])[0]),
                       ("neg_large", "neg_small", "pos_small", "pos_large")),
        )

    def scene(self, nprng, *, snr_db, cfo_hz, level_db, pre, length, post, packets=1, gap=0):
        """Noise, then ``packets`` packets (``length`` samples each, ``gap``
        noise samples apart), then noise; packet RMS at ``level_db`` dBFS."""
        pk = packet()[:length]
        parts = [np.zeros(pre, complex)]
        for k in range(packets):
            parts.append(pk)
            if k < packets - 1:
                parts.append(np.zeros(gap, complex))
        parts.append(np.zeros(post, complex))
        x = np.concatenate(parts)
        n = np.arange(x.size)
        x = x * np.exp(2j * np.pi * (cfo_hz * n / FS + nprng.uniform()))
        if snr_db is not None:
            sigma = np.sqrt(10 ** (-snr_db / 10) / 2)
            x = x + sigma * (nprng.standard_normal(x.size) + 1j * nprng.standard_normal(x.size))
        return x * self.fs * 10 ** (level_db / 20)

    def directed(self):
        nprng = np.random.default_rng(7)
        out = []
        for cfo in (100e3, -300e3):
            out.append(self.item(self.scene(nprng, snr_db=None, cfo_hz=cfo, level_db=-6, pre=100, length=400,
                                            post=20)))
        out += [self.item(np.zeros(64)), self.item(np.zeros(1)), self.item(np.array([self.fs + 1j * 5, -3]))]
        out.append(self.item(np.full(120, 900 - 700j)))                                  # DC fires
        sq = np.where((np.arange(160) // 8) % 2 == 0, -self.fs - 1, self.fs)             # period 16, extremes
        out.append(self.item(sq + 1j * sq[::-1]))
        k = np.arange(160)
        burst = packet()[:160] * self.fs * 0.9 * 0.25 ** (k / 16)
        # |C| > 2P: the normalised correlation saturates, and on each rail once: turning the burst by 1, -1,
        # -j, j every 16 samples makes C about 4P times 1, -1, j, -j (re to the top, re to the bottom
        # (sat's v < CMIN), im to the top, im to the bottom)
        for turn in (1, -1, -1j, 1j):
            out.append(self.item(np.r_[np.zeros(20), burst * turn ** (k // 16)]))
        z = self.scene(nprng, snr_db=20, cfo_hz=50e3, level_db=-10, pre=60, length=400, post=0)
        frame, exp = self.item(z)
        if exp[1][0]:  # cut right after the first detection: detection and closing beat merge
            first = exp[0][0] & ((1 << self.p.index_width) - 1)
            out.append(self.item(z[: first + 1]))
        out.append((frame, exp))
        out.append(self.item(self.scene(nprng, snr_db=15, cfo_hz=-120e3, level_db=-12, pre=30, length=200, post=10,
                                        packets=2, gap=40)))
        if self.p.index_width <= 12:
            n = (1 << self.p.index_width) + 40
            out.append(self.item(self.scene(nprng, snr_db=25, cfo_hz=10e3, level_db=-8, pre=n - 250, length=200,
                                            post=50)))
        return out

    def frame(self, rng):
        nprng = np.random.default_rng(rng.getrandbits(64))
        self.n_random += 1
        if self.n_random <= self.short_burst:
            # back-to-back frames of 1-2 noise samples, longer in all than the CORDIC's latency: a closing
            # beat nearly every clock keeps the event register and the CORDIC's output busy, so a sink
            # stall holds the whole pipeline (ce low)
            self.short += 1
            return self.item(self.scene(nprng, snr_db=0, cfo_hz=0, level_db=-20, pre=rng.randint(1, 2), length=0,
                                        post=0))
        level = nprng.uniform(-50, 0)
        snr = rng.choice([0, 3, 5, 10, 20, 40])
        cfo = nprng.uniform(-300e3, 300e3)
        kind = rng.random()
        if kind < 0.2:  # noise only
            z = self.scene(nprng, snr_db=0, cfo_hz=0, level_db=level, pre=rng.randint(1, 300), length=0, post=0)
        elif kind < 0.85:
            z = self.scene(nprng, snr_db=snr, cfo_hz=cfo, level_db=level, pre=rng.randint(0, 120),
                           length=rng.randint(60, 400), post=rng.randint(0, 40))
        else:
            z = self.scene(nprng, snr_db=snr, cfo_hz=cfo, level_db=level, pre=rng.randint(0, 40),
                           length=rng.randint(100, 180), post=rng.randint(0, 20), packets=2, gap=rng.randint(0, 60))
        return self.item(z)


@cocotb.test()
async def test_directed(dut):
    stim = DetectStimulus()
    await run_stream(dut, stim, n_random=0, backpressure=False, directed=True)
    assert stim.detections >= 6


@cocotb.test()
@cocotb.parametrize(src_idle=IDLE, sink_stall=STALL)
async def test_random_frames(dut, src_idle, sink_stall):
    stim = DetectStimulus(short_burst=SHORT_BURST)
    sb = await run_stream(dut, stim, n_random=SHORT_BURST + n_frames(20), src_idle=src_idle, sink_stall=sink_stall)
    dut._log.info("preamble_detect: %d frames, %d detections compared bit for bit", sb.compared, stim.detections)
    assert stim.detections >= (sb.compared - stim.short) // 4, "too few detections to test them"


@cocotb.test()
async def test_reset_points(dut):
    await reset_points(dut, DetectStimulus(), n_random=3)


@cocotb.test()
async def test_latency(dut):
    tb = AxisTB(dut)
    await tb.reset()
    stim = DetectStimulus()
    z = stim.scene(np.random.default_rng(3), snr_db=None, cfo_hz=80e3, level_db=-6, pre=50, length=300, post=0)
    frame, exp = stim.item(z)
    assert exp[1][0] == 1, "the clean packet must be detected"
    det_index = exp[0][0] & ((1 << stim.p.index_width) - 1)
    log = HandshakeLog(dut)
    await tb.source.send(frame)
    rx = await tb.sink.recv()
    log.stop()
    assert stim.received(rx) == exp
    latency = log.outs[0] - log.loads[det_index]
    dut._log.info("preamble_detect: latency %d clocks from the detection sample's input to its output beat "
                  "(S0-S2, event register, CORDIC %d stages); one sample per clock in", latency,
                  stim.p.cordic.latency)
    assert log.loads[-1] - log.loads[0] + 1 == len(frame.tdata), "input must run at one sample per clock"
    assert latency == 3 + stim.p.cordic.latency  # S0, S1, event register, then the CORDIC


@cocotb.test()
async def test_coverage_closure(dut):
    coverage_closure(dut)
