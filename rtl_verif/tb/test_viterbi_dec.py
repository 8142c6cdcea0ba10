"""Testbench of rtl/viterbi_dec.sv against mesh_phy.coding.viterbi.decode.

Testplan: rtl_verif/plans/viterbi_dec.yaml. One trellis step per beat,
tdata = {sb, sa} (signed SOFT_W-bit soft values, 0 = erasure), tuser = 1 when
the encoder was terminated. Expectations are predicted from the *input
monitor* (the golden decoder on the soft values it saw accepted); coverage is
sampled from both monitors: the rate is recognised from the erasure pattern
on the bus, the length is counted against TB_LEN.

Speed (Icarus): the simulator spends its time in the RTL's 64-state
add-compare-select and best-state search, re-evaluated for every trellis step
(tens to a few hundred clocks per second under load), not in Python: the
frame set is therefore chosen for coverage — every rate x length class in
the directed test, a few random frames per flow setting, short frames for the
reset points — rather than hundreds of random frames.
"""

import cocotb
import numpy as np

from mesh_phy.coding import conv, viterbi
from rtl_verif.tb import fcov
from rtl_verif.tb.axis_tb import (
    CLK_NS,
    IDLE,
    STALL,
    Stimulus,
    StreamEnv,
    coverage_closure,
    export_coverage,
    make_frame,
    n_frames,
    pack,
    reset_points,
    run_stream,
    tb_param,
    unpack,
)

PERIOD = {"1/2": 1, "2/3": 2, "3/4": 3}
R = {"1/2": 0.5, "2/3": 2 / 3, "3/4": 0.75}
LENS = ("shorter", "equal", "longer")  # trellis steps (beats) against TB_LEN
CHANNEL = ("clean", "corrected", "errors")  # noiseless / noisy, decoded right / noisy with decoding errors
# input tdata tuple -> (info bits, noisy) of every frame generated in this simulation. Module level: the
# covergroups are created once per simulation (by the first test) and must see later tests' frames too.
SENT: dict = {}


def _last_user(rx):
    tu = rx.tuser
    return (tu[-1] if tu else 0) if isinstance(tu, list) else (tu or 0)


def rate_of_soft(soft: np.ndarray) -> str:
    """The puncturing rate recognised from where the erasures (0) sit in a
    depunctured A0 B0 A1 B1 ... stream: 3/4 steals positions 3, 4 of every 6,
    2/3 position 3 of every 4; anything else reads as 1/2."""
    for rate in ("3/4", "2/3"):
        mask = np.resize(conv.puncture_mask(rate), soft.size)
        if (~mask).any() and not soft[~mask].any():
            return rate
    return "1/2"


class ViterbiStimulus(Stimulus):
    def __init__(self, ebn0_choices=(None, 0.0, 1.0, 2.0, 3.0, 4.0, 6.0), lens=LENS):
        self.w = tb_param("SOFT_W")
        self.tb = tb_param("TB_LEN")
        self.ebn0_choices = ebn0_choices
        self.lens = lens
        self._k = 0
        self.frames_with_errors = 0
        self.frames_noisy = 0
        self.seen_in, self.seen_out = [], []  # monitored frames' time stamps (sim_time_start, sim_time_end)

    # ------------------------------------------------------------ generation
    def item(self, n, rate, ebn0_db, terminated, nprng):
        """A frame of ``n`` trellis steps: random info bits (the last 6 zero
        when terminated) coded at ``rate``, optionally through AWGN at
        ``ebn0_db``, quantised, depunctured and cut to ``n`` steps (a punctured
        rate's frame may end inside a puncturing period)."""
        p = PERIOD[rate]
        info = nprng.integers(0, 2, -(-n // p) * p, dtype=np.uint8)
        if terminated:
            info[n - 6:n] = 0
        coded = conv.encode(info, rate)
        llr = 4.0 * (1 - 2.0 * coded)
        if ebn0_db is not None:
            sigma = np.sqrt(1 / (2 * R[rate] * 10 ** (ebn0_db / 10)))
            y = (1 - 2.0 * coded) + sigma * nprng.standard_normal(coded.size)
            llr = 2 * y / sigma**2
        soft = conv.depuncture(viterbi.to_soft(llr, self.w), rate)[:2 * n]
        beats = [pack(pair, self.w) for pair in zip(soft[0::2], soft[1::2], strict=True)]
        SENT[tuple(beats)] = (info[:n], ebn0_db is not None)
        return make_frame(beats, tuser=int(terminated))

    def length(self, cls, rng):
        return {"shorter": lambda: rng.randint(7, self.tb - 1), "equal": lambda: self.tb,
                "longer": lambda: rng.randint(self.tb + 1, 2 * self.tb)}[cls]()

    def directed(self):
        """Every rate at lengths 12, TB_LEN, TB_LEN+1 (and TB_LEN-1 at 1/2),
        terminated and not, noiseless."""
        nprng = np.random.default_rng(1)
        out, k = [], 0
        for rate in PERIOD:
            for n in (12, self.tb, self.tb + 1) + ((self.tb - 1,) if rate == "1/2" else ()):
                out.append(self.item(n, rate, None, k % 2 == 0, nprng))
                k += 1
        return out

    def frame(self, rng):
        nprng = np.random.default_rng(rng.getrandbits(64))
        rate = rng.choice(list(PERIOD))
        n = self.length(self.lens[self._k % len(self.lens)], rng)  # classes in turn: each in any len(lens) frames
        self._k += 1
        return self.item(n, rate, rng.choice(self.ebn0_choices), rng.random() < 0.7, nprng)

    # ------------------------------------------------------------ prediction
    def soft(self, rx) -> np.ndarray:
        return np.array([v for word in rx.tdata for v in unpack(word, self.w, 2)], dtype=np.int64)

    def received(self, rx):
        self.seen_out.append((rx.sim_time_start, rx.sim_time_end))
        return list(rx.tdata)

    def predict(self, rx):
        self.seen_in.append((rx.sim_time_start, rx.sim_time_end))
        expected = [int(b) for b in viterbi.decode(self.soft(rx), "1/2", traceback=self.tb, soft_bits=self.w,
                                                   terminated=bool(_last_user(rx)))]
        info, noisy = SENT.get(tuple(rx.tdata), (None, False))
        if info is not None and noisy:
            self.frames_noisy += 1
            self.frames_with_errors += expected != [int(b) for b in info]
        return expected

    # ------------------------------------------------------------ coverage
    def channel(self, frame):
        info, noisy = SENT.get(tuple(frame.tdata), (None, False))
        if info is None:
            return None
        if not noisy:
            return "clean"
        dec = viterbi.decode(self.soft(frame), "1/2", traceback=self.tb, soft_bits=self.w,
                             terminated=bool(_last_user(frame)))
        return "corrected" if np.array_equal(dec, info) else "errors"

    def len_class(self, beats):
        return "shorter" if beats < self.tb else ("equal" if beats == self.tb else "longer")

    def cover_points(self):
        def on_in(fn):
            return lambda t: fn(t) if t.side == "in" else None
        return (
            fcov.Point("cg_frame.rate", on_in(lambda t: rate_of_soft(self.soft(t.frame))), tuple(PERIOD)),
            fcov.Point("cg_frame.len", on_in(lambda t: self.len_class(t.beats)), LENS),
            fcov.Point("cg_frame.erasures", on_in(lambda t: "some" if (self.soft(t.frame) == 0).any() else "none"),
                       ("none", "some")),
            fcov.Point("cg_frame.terminated", on_in(lambda t: "yes" if _last_user(t.frame) else "no"),
                       ("no", "yes")),
            fcov.Point("cg_frame.channel", on_in(lambda t: self.channel(t.frame)), CHANNEL),
        )

    def cover_crosses(self):
        return (("cg_frame.rate_x_len", ("cg_frame.rate", "cg_frame.len")),
                ("cg_frame.len_x_in_gaps", ("cg_frame.len", "cg_flow.in_gaps")))


@cocotb.test()
async def test_noiseless(dut):
    await run_stream(dut, ViterbiStimulus(), n_random=0, directed=True)


@cocotb.test()
@cocotb.parametrize(src_idle=IDLE, sink_stall=STALL)
async def test_random_frames(dut, src_idle, sink_stall):
    await run_stream(dut, ViterbiStimulus(), n_random=n_frames(6), src_idle=src_idle, sink_stall=sink_stall)


@cocotb.test()
async def test_noisy_frames(dut):
    """Eb/N0 -2 ... 0 dB: most frames carry decoding errors (golden-model
    frame error rate 0.5-0.8 also for TB_LEN=24's 24-48-step frames), and the
    RTL must make exactly the golden model's decisions, errors included."""
    stim = ViterbiStimulus(ebn0_choices=(-2.0, -1.0, 0.0), lens=("equal", "longer"))
    sb = await run_stream(dut, stim, n_random=n_frames(12))
    dut._log.info("frames with decoding errors (matched bit for bit): %d of %d noisy (%d compared)",
                  stim.frames_with_errors, stim.frames_noisy, sb.compared)
    assert stim.frames_with_errors >= max(2, stim.frames_noisy // 6), \
        f"too few error-making frames ({stim.frames_with_errors} of {stim.frames_noisy}) to test error equality"


@cocotb.test()
async def test_reset_points(dut):
    await reset_points(dut, ViterbiStimulus(lens=("shorter",)), n_random=2)


@cocotb.test()
async def test_latency_throughput(dut):
    """One 4*TB_LEN-step frame without stalls; latency and throughput from the
    monitors' time stamps (first accepted input beat to first output beat)."""
    env = StreamEnv(dut)
    await env.reset()
    stim = ViterbiStimulus()
    sb = env.attach(stim)
    n = 4 * stim.tb
    frame = stim.item(n, "1/2", 3.0, True, np.random.default_rng(5))
    try:
        await env.source.send(frame)
        await env.drain(4 * n + 2000)
        env.stop_checking()
        sb.report(min_compared=1)
    finally:
        export_coverage()
    (t_in, _), (t_out, t_end) = stim.seen_in[-1], stim.seen_out[-1]
    from cocotb.utils import get_sim_steps
    clk = get_sim_steps(CLK_NS, "ns")
    latency = round((t_out - t_in) / clk)
    span = round((t_end - t_in) / clk) + 1
    dut._log.info("viterbi_dec SOFT_W=%d TB_LEN=%d: latency %d clocks (first step in to first bit out); "
                  "%d bits in %d clocks for one %d-step frame = %.3f bits/clock; steady state 1 bit/clock",
                  stim.w, stim.tb, latency, n, span, n, n / span)
    assert latency == stim.tb, f"latency {latency} clocks, expected TB_LEN = {stim.tb}"  # TB_LEN-1 steps + register
    assert n + stim.tb - 1 <= span <= n + stim.tb + 1, f"{n} steps took {span} clocks, expected N + TB_LEN"


@cocotb.test()
async def test_coverage_closure(dut):
    coverage_closure(dut)
