"""Testbench of rtl/viterbi_dec.sv against mesh_phy.coding.viterbi.decode.

Testplan:
* test_noiseless — directed: clean frames at rates 1/2, 2/3, 3/4 (punctured
  positions arrive as erasures), terminated and not, lengths around TB_LEN.
* test_noisy_frames — frames at Eb/N0 0 … 6 dB, so that many frames carry
  decoding errors: the RTL must make exactly the golden model's decisions,
  errors included. The test requires that some frames had errors.
* test_backpressure — the same with random stalls on both sides.
* test_reset_mid_traffic — reset inside a frame, then exact output.
* test_latency_throughput — one long frame without stalls: measures clocks
  from the first input to the first output, and decoded bits per clock.
"""

import cocotb
import numpy as np

from mesh_phy.coding import conv, viterbi
from rtl_verif.tb.axis_tb import AxisTB, HandshakeLog, Stimulus, make_frame, n_frames, run_stream, tb_params

PERIOD = {"1/2": 1, "2/3": 2, "3/4": 3}
R = {"1/2": 0.5, "2/3": 2 / 3, "3/4": 0.75}


class ViterbiStimulus(Stimulus):
    def __init__(self, ebn0_choices=(0.0, 1.0, 2.0, 3.0, 4.0, 6.0)):
        p = tb_params()
        self.w = p.get("SOFT_W", 6)
        self.tb = p.get("TB_LEN", 64)
        self.ebn0_choices = ebn0_choices
        self.frames_with_errors = 0

    def item(self, info, rate, ebn0_db, terminated, nprng):
        coded = conv.encode(info, rate)
        llr = 4.0 * (1 - 2.0 * coded)  # noiseless scale; noise added below
        if ebn0_db is not None:
            g = 10 ** (ebn0_db / 10)
            sigma = np.sqrt(1 / (2 * R[rate] * g))
            y = (1 - 2.0 * coded) + sigma * nprng.standard_normal(coded.size)
            llr = 2 * y / sigma**2
        soft = conv.depuncture(viterbi.to_soft(llr, self.w), rate)
        expected = viterbi.decode(soft, "1/2", traceback=self.tb, soft_bits=self.w,
                                  terminated=terminated)
        if np.any(expected != info):
            self.frames_with_errors += 1
        mask = (1 << self.w) - 1
        beats = [((int(b) & mask) << self.w) | (int(a) & mask) for a, b in zip(soft[0::2], soft[1::2],
                                                                                 strict=True)]
        return make_frame(beats, tuser=int(terminated)), [int(b) for b in expected]

    def _info(self, n, rate, terminated, nprng):
        n -= n % PERIOD[rate]
        info = nprng.integers(0, 2, max(n, PERIOD[rate] * 3), dtype=np.uint8)
        if terminated:
            info[-6:] = 0
        return info

    def directed(self):
        nprng = np.random.default_rng(1)
        out = []
        for rate in PERIOD:
            for n in (12, self.tb - 1, self.tb, self.tb + 1, 3 * self.tb):
                for term in (True, False):
                    out.append(self.item(self._info(n, rate, term, nprng), rate, None, term, nprng))
        return out

    def frame(self, rng):
        nprng = np.random.default_rng(rng.getrandbits(64))
        rate = rng.choice(list(PERIOD))
        term = rng.random() < 0.7
        info = self._info(rng.randint(8, 3 * self.tb), rate, term, nprng)
        return self.item(info, rate, rng.choice(self.ebn0_choices), term, nprng)


@cocotb.test()
async def test_noiseless(dut):
    await run_stream(dut, ViterbiStimulus(), n_random=0, backpressure=False, directed=True)


@cocotb.test()
async def test_noisy_frames(dut):
    stim = ViterbiStimulus()
    sb = await run_stream(dut, stim, n_random=n_frames(300), backpressure=False)
    dut._log.info("frames with decoding errors (matched bit for bit): %d of %d",
                  stim.frames_with_errors, sb.compared)
    assert stim.frames_with_errors >= 10, "too few error-making frames to test error equality"


@cocotb.test()
async def test_backpressure(dut):
    await run_stream(dut, ViterbiStimulus(), n_random=n_frames(150), backpressure=True)


@cocotb.test()
async def test_reset_mid_traffic(dut):
    await run_stream(dut, ViterbiStimulus(), n_random=40, backpressure=True, reset_midway=True)


@cocotb.test()
async def test_latency_throughput(dut):
    tb = AxisTB(dut)
    await tb.reset()
    stim = ViterbiStimulus()
    n = 20 * stim.tb
    frame, expected = stim.item(stim._info(n, "1/2", True, np.random.default_rng(5)), "1/2",
                                3.0, True, np.random.default_rng(6))
    log = HandshakeLog(dut)
    await tb.source.send(frame)
    rx = await tb.sink.recv()
    log.stop()
    first_in, first_out, last_out = log.loads[0], log.outs[0], log.outs[-1]
    assert list(rx.tdata) == expected
    latency = first_out - first_in
    stream_bits = n - stim.tb  # bits leaving while the input still flows
    dut._log.info("viterbi_dec SOFT_W=%d TB_LEN=%d: latency %d clocks (first step in to first bit out); "
                  "%d bits in %d clocks for one %d-step frame = %.3f bits/clock; steady state 1 bit/clock",
                  stim.w, stim.tb, latency, len(expected), last_out - first_in + 1, n,
                  len(expected) / (last_out - first_in + 1))
    assert latency == stim.tb  # TB_LEN-1 steps of delay plus the output register
    assert stream_bits > 0
