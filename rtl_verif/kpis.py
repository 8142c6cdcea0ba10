"""RTL throughput and latency for the KPI report (:mod:`kpi`), measured by
the blocks' own cocotb testbenches, the encryption throughput of chip A (A7)
that follows from the SM4 core's, and chip A's RISC-V core (A1): the SoC
testbench's firmware angle update on the simulated PicoRV32.

:func:`testbench` runs one testbench test through ``python -m rtl_verif``
(Icarus: it builds in seconds) and reads the figures the test logs (the test
asserts them too): clocks from input to output, and bits, blocks or samples
per clock. The rows turn clocks into time at the SoC's 100 MHz core clock
(:data:`CLOCK_HZ`, the clock the SoC testbench reports its CPU load at) and
compare with what the chip needs: the 802.11a top rate (54 Mbit/s), its
20 Msample/s OFDM rate, and the 0.375 µs of uncompensated delay the angle
budget allows at 200,000 rpm (docs/spec.md). Each row's plot
(:func:`clock_plot`) draws its figure against the core clock, with the limit
and the 100 MHz SoC clock marked: the measured clocks fix the whole line, so
the plot shows the slowest clock that still meets the limit.
"""

import math
import os
import re
import shutil
import subprocess
import sys

from kpi.cache import ROOT
from kpi.errors import KpiError
from kpi.registry import kpi, measured, not_measured, xy_plot
from kpi.sweep import Series

SIM = "icarus"
CLOCK_HZ = 100e6
LINE_RATE_MBPS = 54.0  # IEEE 802.11a top data rate
OFDM_MSPS = 20.0  # 802.11a sample rate
PSDU_1000_BITS = 16 + 8 * 1000 + 6  # SERVICE + PSDU + tail of a 1000-byte PSDU (IEEE 802.11a-1999 17.3.5)
DELAY_BUDGET_US = 0.375  # ±0.45° at 200,000 rpm (1.2°/µs), docs/spec.md
SOURCES = ("rtl_verif/**/*.py", "rtl_verif/**/*.sv", "firmware_models/**/*.py", "mesh_phy/**/*.py", "crypto/*.py",
           "sensor_dsp/*.py", "argcheck/*.py")
# block: (test, the figure line it logs, the names of its numbers)
TESTS = {
    "viterbi_dec": ("test_latency_throughput",
                    r"latency (\d+) clocks .*?; (\d+) bits in (\d+) clocks for one (\d+)-step frame = "
                    r"([\d.]+) bits/clock",
                    ("latency", "bits", "clocks", "steps", "bits_per_clock")),
    "sm4_core": ("test_throughput", r"sm4_core: (\d+) clocks from load to result; ([\d.]+) clocks per block",
                 ("latency", "clocks_per_block")),
    "cordic_atan2": ("test_latency", r"latency (\d+) clocks, 1 sample per clock", ("latency",)),
    "fft64": ("test_latency_throughput", r"fft64: latency (\d+) clocks .*?: ([\d.]+) samples/clock",
              ("latency", "samples_per_clock")),
    "soc": ("test_sensor", r"sensor: (\d+) samples compared[^;\n]*; (\d+) clocks per update = [\d.]+ % of a 100 MHz "
            r"core at ([\d.]+) Hz", ("samples", "clocks_per_update", "host_hz")),
}
BLOCKS = ("viterbi_dec", "sm4_core", "cordic_atan2", "fft64")  # the RTL rows' blocks: one sweep
KNOBS = ("SIM", "BLOCK", "TESTCASE", "SEED", "WAVES")  # make sim's environment knobs: not ours


def testbench(params: dict, rng) -> dict:
    """Run the figure test of ``params["block"]`` on ``params["sim"]`` with a
    seed from ``rng``; the logged figures, pass/fail counts, the command. A
    testbench that logs no figures (its build failed, say) gives
    ``figures`` None and the ``error``: that block's rows say "not
    measured" with it, the other blocks' rows are still measured."""
    block = params["block"]
    if block not in TESTS:
        raise KpiError(f"no figure test for block {block!r}")
    test, pattern, names = TESTS[block]
    seed = int(rng.integers(2**32))
    cmd = [sys.executable, "-m", "rtl_verif", "--sim", params["sim"], "--block", block, "--testcase", test,
           "--seed", str(seed)]
    env = {k: v for k, v in os.environ.items() if k not in KNOBS}
    env["VERBOSE"] = "1"  # the figures are in the test log, which the runner keeps off the console by default
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=3600, env=env)
    text = out.stdout + out.stderr
    found = re.search(pattern, text)
    counts = re.search(r"(\d+) passed, (\d+) failed", text)
    command = f"python -m rtl_verif --sim {params['sim']} --block {block} --testcase {test} --seed {seed}"
    if found is None or counts is None:
        tail = " | ".join(text.strip().splitlines()[-3:])[:400]
        return {"figures": None, "passed": 0, "failed": 1, "command": command,
                "error": f"{block}: no figures in the testbench output (exit {out.returncode}): {tail}"}
    return {"figures": dict(zip(names, (float(v) for v in found.groups()), strict=True)),
            "passed": int(counts.group(1)), "failed": int(counts.group(2)), "command": command}


def _missing(block: str) -> str | None:
    if SIM == "icarus" and shutil.which("iverilog") is None:
        return "Icarus Verilog (iverilog) is not installed: run make setup"
    if block == "soc":
        from rtl_verif.soc import toolchain

        try:
            toolchain.find()
        except toolchain.ToolchainError as exc:
            return f"the SoC firmware cannot be built: {exc}"
    return None


def _figures(ctx, block: str):
    """(figures, result) of ``block``'s test, or (None, reason)."""
    why = _missing(block)
    if why:
        return None, why
    if block in BLOCKS:
        s = Series("rtl/testbench", "rtl_verif.kpis:testbench", tuple({"block": b, "sim": SIM} for b in BLOCKS),
                   SOURCES)
    else:
        s = Series(f"rtl/{block}", "rtl_verif.kpis:testbench", ({"block": block, "sim": SIM},), SOURCES)
    (pts,) = ctx.sweep([s])
    r = next(p.result for p in pts if p.params["block"] == block)
    if r.get("figures") is None:
        return None, f"the {block} testbench gave no figures: {r.get('error', '?')}"
    if r["failed"] or not r["passed"]:
        return None, f"the {block} testbench failed ({r['failed']} failed): {r['command']}"
    return r["figures"], r


def _us(clocks: float) -> float:
    return clocks / CLOCK_HZ * 1e6


CLOCKS_MHZ = tuple(range(10, 201, 10))  # the plots' core-clock axis


def clock_plot(curves, *, title: str, ylabel: str, limit: float, limit_label: str) -> dict:
    """Plot data: each ``(label, f)`` of ``curves`` drawn as ``f(clock_hz)``
    over :data:`CLOCKS_MHZ`, the limit as a horizontal line and the SoC clock
    as a vertical one."""
    return xy_plot([{"label": label, "x": list(CLOCKS_MHZ), "y": [f(mhz * 1e6) for mhz in CLOCKS_MHZ],
                     "style": style} for (label, f), style in zip(curves, ("o-", "s--", "^:"), strict=False)],
                   title=title, xlabel="core clock (MHz)", ylabel=ylabel,
                   hlines=[(limit, limit_label)], vlines=[(CLOCK_HZ / 1e6, "SoC clock")])


@kpi("RTL-vit", title="Viterbi decoder throughput (viterbi_dec)", spec="≥ 54 Mbit/s (the 802.11a top rate) at the "
     "100 MHz SoC clock", command="python -m kpi --only RTL-vit", order=300, chip="RTL")
def viterbi(ctx):
    f, r = _figures(ctx, "viterbi_dec")
    if f is None:
        return not_measured(r)
    extra = f["clocks"] - f["steps"]  # clocks a frame costs beyond one per step: the traceback flush
    n = PSDU_1000_BITS
    mbps = n / (n + extra) * CLOCK_HZ / 1e6
    short = 16 + 8 * 100 + 6  # a 100-byte PSDU's DATA field
    plot = clock_plot([("1000-byte PSDU", lambda hz: n / (n + extra) * hz / 1e6),
                       ("100-byte PSDU", lambda hz: short / (short + extra) * hz / 1e6)],
                      title=f"viterbi_dec decoded bits per second (1 bit/clock, {extra:.0f} clocks of flush a frame)",
                      ylabel="Mbit/s", limit=LINE_RATE_MBPS, limit_label="54 Mbit/s (802.11a top rate)")
    return measured(mbps, "Mbit/s", limit=LINE_RATE_MBPS, better="higher", shown=f"{mbps:.1f} Mbit/s", plot=plot,
                    detail=f"measured: {f['bits']:.0f} bits in {f['clocks']:.0f} clocks for one {f['steps']:.0f}-step "
                           f"frame ({f['bits_per_clock']:.3f} bits/clock: 1 bit/clock plus {extra:.0f} clocks of "
                           f"traceback flush), latency {f['latency']:.0f} clocks = {_us(f['latency']):.2f} µs at "
                           f"100 MHz (SOFT_W 6, TB_LEN 64). The value is for the DATA field of a 1000-byte PSDU "
                           f"({n} bits: {n / (n + extra):.3f} bits/clock) at 100 MHz. Testbench: {r['command']}")


@kpi("RTL-sm4", title="SM4 core throughput and latency (sm4_core)", spec="≥ 54 Mbit/s at the 100 MHz SoC clock",
     command="python -m kpi --only RTL-sm4", order=310, chip="RTL")
def sm4(ctx):
    f, r = _figures(ctx, "sm4_core")
    if f is None:
        return not_measured(r)
    mbps = 128 / f["clocks_per_block"] * CLOCK_HZ / 1e6
    plot = clock_plot([("back to back (CTR)", lambda hz: 128 / f["clocks_per_block"] * hz / 1e6),
                       ("chained: each block waits for the last (CBC-MAC)", lambda hz: 128 / f["latency"] * hz / 1e6)],
                      title=f"sm4_core throughput ({f['clocks_per_block']:.0f} clocks per block, {f['latency']:.0f} "
                            "load to result)", ylabel="Mbit/s", limit=LINE_RATE_MBPS,
                      limit_label="54 Mbit/s (802.11a top rate)")
    return measured(mbps, "Mbit/s", limit=LINE_RATE_MBPS, better="higher", shown=f"{mbps:.0f} Mbit/s", plot=plot,
                    detail=f"{f['clocks_per_block']:.2f} clocks per 128-bit block back to back, {f['latency']:.0f} "
                           f"clocks ({_us(f['latency']):.2f} µs) from load to result, at 100 MHz. Testbench: "
                           f"{r['command']}")


@kpi("RTL-cordic", title="CORDIC atan2 latency (cordic_atan2)", spec="≤ 0.375 µs (the whole angle budget at 200,000 "
     "rpm if left uncompensated) at 100 MHz; 1 sample/clock", command="python -m kpi --only RTL-cordic", order=320,
     chip="RTL")
def cordic(ctx):
    f, r = _figures(ctx, "cordic_atan2")
    if f is None:
        return not_measured(r)
    us = _us(f["latency"])
    plot = clock_plot([("input to output", lambda hz: f["latency"] / hz * 1e6)],
                      title=f"cordic_atan2 latency ({f['latency']:.0f} clocks)", ylabel="µs", limit=DELAY_BUDGET_US,
                      limit_label="0.375 µs (±0.45° at 200,000 rpm)")
    return measured(us, "µs", limit=DELAY_BUDGET_US, shown=f"{us:.2f} µs ({f['latency']:.0f} clocks)", plot=plot,
                    detail=f"{f['latency']:.0f} clocks from input to output (ITER + 2, 16 iterations), one sample "
                           "per clock (1 MHz ADC rate: 1 % of the block's capacity at 100 MHz); the chain "
                           f"compensates its delay anyway (θ + ω̂·τ). Testbench: {r['command']}")


@kpi("RTL-fft", title="FFT throughput and latency (fft64)", spec="≥ 20 Msample/s (802.11a) at 100 MHz",
     command="python -m kpi --only RTL-fft", order=330, chip="RTL")
def fft(ctx):
    f, r = _figures(ctx, "fft64")
    if f is None:
        return not_measured(r)
    msps = f["samples_per_clock"] * CLOCK_HZ / 1e6
    plot = clock_plot([("back-to-back 64-point frames", lambda hz: f["samples_per_clock"] * hz / 1e6)],
                      title=f"fft64 throughput ({f['samples_per_clock']:.3f} samples per clock, latency "
                            f"{f['latency']:.0f} clocks)", ylabel="Msample/s", limit=OFDM_MSPS,
                      limit_label="20 Msample/s (802.11a)")
    return measured(msps, "Msample/s", limit=OFDM_MSPS, better="higher", shown=f"{msps:.0f} Msample/s", plot=plot,
                    detail=f"{f['samples_per_clock']:.3f} samples per clock over eight back-to-back 64-point frames, "
                           f"latency {f['latency']:.0f} clocks ({_us(f['latency']):.2f} µs) first input to first "
                           f"output, at 100 MHz. Testbench: {r['command']}")


@kpi("A1", title="RISC-V CPU core (PicoRV32 SoC in simulation)", spec="RISC-V, under the team's own control (no "
     "figure); here: the firmware's per-sample angle update must fit the 20 kHz host rate on the 100 MHz core",
     command="python -m kpi --only A1", order=1, chip="A")
def cpu_core(ctx):
    f, r = _figures(ctx, "soc")
    if f is None:
        return not_measured(r)
    load = f["clocks_per_update"] * f["host_hz"] / CLOCK_HZ * 100
    plot = clock_plot([(f"angle update at {f['host_hz'] / 1e3:g} kHz", lambda hz: f["clocks_per_update"]
                        * f["host_hz"] / hz * 100)],
                      title=f"PicoRV32 load of the firmware angle update ({f['clocks_per_update']:.0f} clocks a "
                            "sample)", ylabel="% of the core", limit=100.0, limit_label="the whole core")
    return measured(load, "%", limit=100.0, strict=True, plot=plot, shown=f"{load:.1f} % of the core",
                    detail=f"A RISC-V core under the project's control: PicoRV32 (rv32imc) in the SoC testbench, "
                           f"running the C firmware's per-sample angle update (calibration, 18-iteration software "
                           f"CORDIC, type-II observer, delay compensation) on {f['samples']:.0f} recorded samples, "
                           f"every output checked against the golden model; {f['clocks_per_update']:.0f} clocks per "
                           f"sample = {load:.1f} % of a 100 MHz core at the {f['host_hz'] / 1e3:g} kHz host rate. "
                           f"Icarus runs the short program, the first {f['samples']:.0f} samples (the Verilator run "
                           f"over all 400 recorded samples, the loss of signal included, averages a little more per "
                           f"sample: docs/soc.md). Testbench: {r['command']}")


def ccm_clocks(payload: int, header: int, latency: float, per_block: float) -> float:
    """Clocks of CCM* on one iterative SM4 core for one frame: the CBC-MAC
    chain (B0, the 2-byte length and ``header`` bytes of associated data, the
    payload; each block waits for the previous result: ``latency`` clocks),
    then CTR (A0 for the MIC mask, the payload; independent blocks back to
    back: ``per_block`` clocks)."""
    mac = 1 + math.ceil((2 + header) / 16) + math.ceil(payload / 16)
    ctr = 1 + math.ceil(payload / 16)
    return mac * latency + ctr * per_block + (latency - per_block)


@kpi("A7-enc", title="link encryption throughput", spec="measured encryption performance (no figure; must keep up "
     "with back-to-back frames at 54 Mbit/s)", command="python -m kpi --only A7-enc", order=70, chip="A")
def encryption(ctx):
    from protocol import airtime

    payloads = [16, 100, 400, 1000]
    soft = Series("link/protect", "protocol.kpis:link_point",
                  tuple({"cipher": c, "payloads": payloads, "repeat": ctx.pick(3, 7), "host": os.uname().nodename,
                         "cpus": os.cpu_count()} for c in ("sm4", "aes")), ("protocol/*.py", "crypto/*.py",
                                                                              "mesh_phy/coding/*.py", "argcheck/*.py",
                                                                              "benchmarks/timing.py"))
    (pts,) = ctx.sweep([soft])
    sw = {p.params["cipher"]: p.result for p in pts}["sm4"]
    frame = {n: sw["rates"][str(n)]["frame_bytes"] for n in payloads}
    air = {n: 1e6 / airtime.airtime_us(frame[n], int(LINE_RATE_MBPS)) for n in payloads}
    series = [{"label": "frames on the air at 54 Mbit/s (back to back)", "x": payloads, "y": [air[n] for n in payloads],
               "style": "k--"},
              {"label": "golden model, one core (SecureLink.protect)", "x": payloads,
               "y": [sw["rates"][str(n)]["fps"] for n in payloads], "style": "s-"}]
    f, r = _figures(ctx, "sm4_core")
    soft_text = (f"The Python golden model seals {sw['rates']['100']['fps']:,.0f} such frames/s on one core (load "
                 f"average {sw['loadavg']}): a reference, not the chip's data path.")
    if f is None:
        return not_measured(r, detail=soft_text, plot=xy_plot(series, title="SM4-CCM* frames per second",
                                                              xlabel="payload (bytes)", ylabel="frames/s", logy=True))
    hw = {n: CLOCK_HZ / ccm_clocks(n, frame[n] - n - 8 - 4, f["latency"], f["clocks_per_block"]) for n in payloads}
    series.insert(1, {"label": "sm4_core CCM* at 100 MHz", "x": payloads, "y": [hw[n] for n in payloads]})
    plot = xy_plot(series, title="SM4-CCM* (MIC 8) frames per second against the air", xlabel="payload (bytes)",
                   ylabel="frames/s", logy=True)
    return measured(hw[100], "frames/s", limit=air[100], better="higher", plot=plot,
                    shown=f"{hw[100]:,.0f} frames/s ({hw[100] * 800 / 1e6:.0f} Mbit/s of payload)",
                    detail=f"SM4-CCM* with an 8-byte MIC (the ShangMi suite the fleet uses) on one sm4_core at 100 MHz "
                           f"for {frame[100]}-byte data frames with 100-byte payloads: CBC-MAC blocks at the measured "
                           f"{f['latency']:.0f}-clock latency (each waits for the previous), CTR blocks at "
                           f"{f['clocks_per_block']:.0f} clocks back to back; the limit is the rate of such frames "
                           f"sent back to back at 54 Mbit/s ({air[100]:,.0f}/s, IEEE 802.11a-1999 17.3.2.4). "
                           + soft_text)
