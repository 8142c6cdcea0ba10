"""``python -m kpi scaling``: how the sweep runner scales, and the cluster a
BER point at 1e-8 needs.

1. Per-core throughput of the BER Monte Carlo (:class:`mesh_phy.ber.BerLink`,
   6 Mbit/s soft decision: random bits, encoder, interleaver, mapper, AWGN,
   demapper, deinterleaver, fixed-point Viterbi), in this process after a
   warm-up: information bits per second on one core.
   The same for the packet link (the whole OFDM transmitter and receiver).
2. One fixed sweep — a single BER point split into ``--chunks`` chunks of
   ``--bits`` bits, no error stop — on the serial backend and on Dask
   ``LocalCluster``s of each ``--workers`` count (worker processes, warmed up
   first, no cache): wall time, speed-up over one Dask worker, and the check
   that every backend returned the same errors and bits.
3. The estimate: ~100 errors at BER 1e-8 need 1e10 bits (the 95 % Wilson
   interval of 100 errors is about ±20 % of the rate); at the measured
   per-core rate, the cores that finish that in an hour, times a stated
   safety factor (:data:`SAFETY`), and at the parallel efficiency the two
   local workers reached.

The machine is shared: the load average is recorded before and after every
configuration, and the written report says when other users' load makes
the speed-up a measure of the machine's free capacity rather than of the
runner.

Writes ``<out>/kpi_scaling.md`` (the written estimate) and
``<out>/kpi_scaling.json`` (read by the KPI page).
"""

import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

import argcheck
from argcheck.cli import Parser
from kpi import backends
from kpi.cache import ROOT
from kpi.errors import KpiError
from kpi.registry import xy_plot
from kpi.sweep import Runner, Series, one_thread
from mesh_phy import ber
from mesh_phy.link import stats
from mesh_phy.link.runner import run_point

EBN0_DB = 4.0
TARGET_BER = 1e-8
TARGET_ERRORS = 100
HOUR_S = 3600.0
# The cluster estimate's safety factor: GAMMA_97 (below) for the bits the 100-error stop may need, and the rest
# for what this machine does not show: cluster cores slower than these, Dask's per-chunk overhead and network,
# speculative chunks past the stop, stragglers in the last wave of chunks.
SAFETY = 2.0
FAIR_SHARE = 0.8  # a worker that got less CPU than this (cores per worker) was sharing its core with other users


def per_core_rate(bits: int, ebn0_db: float = EBN0_DB) -> float:
    """Information bits per CPU-second of the 6 Mbit/s soft-decision BER link
    on this core (numba on one thread; best of three runs of ``bits`` bits
    after a warm-up; CPU time, so other users' load on a shared machine does
    not count)."""
    one_thread()
    link = ber.BerLink("soft", 6, ebn0_db)
    rng = np.random.default_rng(0)
    run_point(link, rng, target_errors=2**62, max_trials=1)  # warm-up: JIT, caches
    best = math.inf
    n = 0
    for _ in range(3):
        t0 = time.process_time()
        _, n, _ = run_point(link, rng, target_errors=2**62, max_trials=bits)
        best = min(best, time.process_time() - t0)
    return n / best


def packet_rate(packets: int) -> float:
    """PSDU bits per second through the whole 802.11a transmitter, AWGN and
    receiver (:class:`mesh_phy.link.packet.PacketLink`, 6 Mbit/s,
    1000-byte PSDUs, 20 dB SNR) per CPU-second, after a warm-up packet."""
    one_thread()
    from mesh_phy.link.packet import LinkConfig, PacketLink

    link = PacketLink(LinkConfig(rate_mbps=6, psdu_bytes=1000, channel="awgn", snr_db=20.0))
    rng = np.random.default_rng(0)
    run_point(link, rng, target_errors=2**62, max_trials=1)
    t0 = time.process_time()
    _, n, _ = run_point(link, rng, target_errors=2**62, max_trials=packets)
    return n * 8000 / (time.process_time() - t0)


def fixed_series(chunks: int, bits: int, ebn0_db: float = EBN0_DB) -> Series:
    """One BER point of ``chunks`` × ``bits`` bits that never stops early."""
    from mesh_phy.kpis import SOURCES

    return Series("scaling/ber/soft/6", "mesh_phy.kpis:ber_chunk",
                  ({"curve": "soft", "rate_mbps": 6, "ebn0_db": ebn0_db},), SOURCES,
                  target_errors=2**62, max_trials=chunks * bits, chunk_trials=bits)


def timed_run(backend, series: Series, repeat: int = 2) -> tuple[float, object]:
    """(best wall seconds of ``repeat`` runs, its point) of ``series`` on
    ``backend``, after a one-chunk warm-up on every worker (best of several:
    the machine is shared)."""
    warm = Series("scaling/warmup", series.fn, series.points, series.sources, target_errors=2**62,
                  max_trials=backend.workers * 20_000, chunk_trials=20_000)
    Runner(backend, None, progress=False).run([warm])
    best, point = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        ((p,),) = Runner(backend, None, progress=False).run([series])
        wall = time.perf_counter() - t0
        if wall < best:
            best, point = wall, p
    return best, point


def cluster_cores(rate_bps: float, efficiency: float, ber_target: float = TARGET_BER,
                  errors: int = TARGET_ERRORS, hours: float = 1.0, safety: float = 1.0) -> int:
    """Cores that collect ``errors`` errors at ``ber_target`` in ``hours``
    with ``rate_bps`` bits/s per core at parallel ``efficiency``, with
    ``safety`` times the core-hours of the mean."""
    rate = argcheck.real(rate_bps, "rate_bps", KpiError, lo=0.0, lo_open=True)
    eff = argcheck.real(efficiency, "efficiency", KpiError, lo=0.0, lo_open=True, hi=1.0)
    p = argcheck.real(ber_target, "ber_target", KpiError, lo=0.0, lo_open=True, hi=0.5)
    n = argcheck.integer(errors, "errors", KpiError, lo=1) / p
    k = argcheck.real(safety, "safety", KpiError, lo=1.0, hi=100.0)
    return math.ceil(k * n / (rate * eff * argcheck.real(hours, "hours", KpiError, lo=0.0, lo_open=True) * HOUR_S))


def gamma_quantile(k: int, z: float = 1.96) -> float:
    """The bits (in units of 1/BER) a point needs to reach ``k`` errors, at
    the quantile ``z`` standard deviations up: the k-th arrival of a Poisson
    process is Gamma(k, 1) distributed; Wilson–Hilferty's cube-root normal
    approximation of its quantile (good to < 0.1 % at k = 100)."""
    k = argcheck.integer(k, "k", KpiError, lo=1)
    return k * (1 - 1 / (9 * k) + z * math.sqrt(1 / (9 * k))) ** 3


GAMMA_97 = gamma_quantile(TARGET_ERRORS) / TARGET_ERRORS  # 1.205: 97.5 % of 100-error runs need fewer bits


def _ebn0_for(ber_target: float) -> float:
    grid = np.linspace(2.0, 10.0, 8001)
    return float(grid[np.argmax(ber.union_bound(grid, "soft") <= ber_target)])


def loadavg() -> list[float] | None:
    """The 1, 5 and 15 minute load averages (None where the OS has none)."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def measure(workers: list[int], chunks: int, bits: int, packets: int, repeat: int = 1) -> dict:
    """Per-core rates, the fixed sweep on every backend (wall, CPU, load
    average before and after each), and the cluster estimate."""
    load_start = loadavg()
    rate = per_core_rate(min(bits, 5_000_000))
    prate = packet_rate(packets)
    runs = []
    for name, w in [("serial", 1)] + [("dask", w) for w in workers]:
        before = loadavg()
        with (backends.Serial() if name == "serial" else backends.Dask(w)) as b:
            wall, p = timed_run(b, fixed_series(chunks, bits), repeat)
        runs.append({"backend": name, "workers": w, "wall_s": wall, "errors": p.result["errors"],
                     "bits": p.result["trials"], "cpu_s": p.cpu_s, "busy": p.cpu_s / wall,
                     "load_before": before, "load_after": loadavg()})
    same = len({(r["errors"], r["bits"]) for r in runs}) == 1
    base = next(r["wall_s"] for r in runs if r["backend"] == "dask" and r["workers"] == min(workers))
    for r in runs:
        r["speedup"] = base / r["wall_s"] * (min(workers) if r["backend"] == "dask" else 1)
    top = max(workers)
    top_run = next(r for r in runs if r["backend"] == "dask" and r["workers"] == top)
    eff = min(1.0, top_run["speedup"] / top) if top > 1 else 1.0  # parallel efficiency from the wall times
    share = min(1.0, top_run["busy"] / top)  # the CPU share each worker got
    n_bits = TARGET_ERRORS / TARGET_BER
    lo, hi = stats.wilson(TARGET_ERRORS, int(n_bits))
    return {"rate_bps": rate, "runs": runs, "identical": same, "efficiency": eff, "cpu_share": share,
            "chunks": chunks, "bits_per_chunk": bits, "repeat": repeat, "cpus": os.cpu_count(),
            "loadavg": load_start, "loadavg_end": loadavg(), "bits_needed": n_bits, "wilson": [lo, hi],
            "ebn0_1e8_db": _ebn0_for(TARGET_BER), "safety": SAFETY, "gamma97": GAMMA_97,
            "cores_ideal": cluster_cores(rate, 1.0), "cores_safe": cluster_cores(rate, 1.0, safety=SAFETY),
            "cores_measured": cluster_cores(rate, max(eff, 1e-3), safety=SAFETY),
            "packet_rate_bps": prate, "packet_cores": cluster_cores(prate, 1.0, safety=SAFETY)}


def loaded(m: dict) -> bool:
    """Whether other users' load spoilt the speed-up: a configuration whose
    workers got less than :data:`FAIR_SHARE` of a core each (CPU seconds in
    the chunks per wall second per worker). The load averages are recorded
    too, but they count this measurement's own workers."""
    return any(r["busy"] / r["workers"] < FAIR_SHARE for r in m["runs"])


def write(m: dict, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    runs = m["runs"]
    dask_runs = [r for r in runs if r["backend"] == "dask"]
    top = max(r["workers"] for r in dask_runs)
    busy = loaded(m)
    lines = ["# Sweep scaling and the cluster for BER 1e-8", "",
             "Generated by `python -m kpi scaling` (method in `kpi/scaling.py`), run under `nice`. Machine: "
             f"{m['cpus']} CPUs, shared with other users; load average (1, 5, 15 min) {m['loadavg']} at the start "
             f"and {m['loadavg_end']} at the end of the measurement, and before/after each configuration in the "
             "table.", "",
             "## Speed-up of the sweep runner", "",
             f"One BER point (6 Mbit/s, soft decision, Eb/N0 {EBN0_DB:g} dB) split into {m['chunks']} chunks of "
             f"{m['bits_per_chunk']:,} bits, each on its own seed, no error stop: "
             f"{m['chunks'] * m['bits_per_chunk'] / m['rate_bps']:.0f} CPU-seconds of work per configuration at the "
             f"per-core rate below; workers warmed up, no cache, best of {m['repeat']} run(s).", "",
             "| backend | workers | wall (s) | speed-up over 1 Dask worker | CPU s in chunks | cores busy | "
             "load before | load after | errors | bits |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        lines.append(f"| {r['backend']} | {r['workers']} | {r['wall_s']:.1f} | {r['speedup']:.2f} | "
                     f"{r['cpu_s']:.1f} | {r['busy']:.2f} | {r.get('load_before')} | {r.get('load_after')} | "
                     f"{r['errors']} | {r['bits']:,} |")
    verdict = ("**The machine was loaded by other users during the measurement**: in at least one configuration "
               f"the workers got less than {FAIR_SHARE:g} of a core each (\"cores busy\" / workers), so the "
               "speed-up measures the CPU the others left, not the runner; it is not a clean figure.") if busy else (
               f"Every configuration's workers got at least {FAIR_SHARE:g} of a core each, so the speed-up measures "
               "the runner, not the other users.")
    lines += ["", "Every backend returned the same errors and bits: "
              + ("**yes**" if m["identical"] else "**NO — a bug**") + ". \"Cores busy\" is the CPU time the chunks "
              f"got per second of wall time. Parallel efficiency at {top} workers (speed-up / workers): "
              f"**{100 * m['efficiency']:.0f} %**; CPU share each worker got: {100 * m['cpu_share']:.0f} % of a "
              "core. " + verdict, "",
              "## Cores for a BER point at 1e-8 within an hour", "",
              f"* Per-core throughput of the BER Monte Carlo (bits generated, encoded, interleaved, mapped, sent "
              f"through AWGN, demapped and Viterbi-decoded): **{m['rate_bps'] / 1e6:.2f} Mbit/s** of information "
              "bits per CPU-second on one core of this machine (numba on one thread; CPU time, so other users' load "
              "does not count).",
              f"* ~{TARGET_ERRORS} errors at BER 1e-8 need {m['bits_needed']:.0e} bits on average (95 % Wilson "
              f"interval of {TARGET_ERRORS} errors: {m['wilson'][0]:.2e} … {m['wilson'][1]:.2e}, about ±20 %). The "
              f"soft-decision union bound reaches 1e-8 at Eb/N0 ≈ {m['ebn0_1e8_db']:.2f} dB; the decoder runs at the "
              "same speed there (its work does not depend on the noise).",
              f"* One core would need {m['bits_needed'] / m['rate_bps'] / HOUR_S:,.2f} hours on average.",
              f"* Safety factor **{m['safety']:g}**: ×{m['gamma97']:.2f} because the error-count stop is random (the "
              f"bits to the {TARGET_ERRORS}th error are Gamma({TARGET_ERRORS}) distributed: 97.5 % of runs need "
              f"fewer than {m['gamma97']:.2f}× the mean), and the rest (×{m['safety'] / m['gamma97']:.2f}) for what "
              "this machine does not show: cluster cores slower than these, Dask's per-chunk overhead and network, "
              "speculative chunks past the stop, stragglers in the last wave of chunks.",
              f"* **Estimate: {m['cores_safe']:,} dedicated core(s)** put a BER point at 1e-8 (100 errors) within an "
              f"hour with that safety factor ({m['cores_ideal']:,} at the mean and perfect scaling). At the parallel "
              f"efficiency measured here ({100 * m['efficiency']:.0f} % at {top} workers"
              + (", depressed by the other users' load" if busy else "")
              + f") it would take {m['cores_measured']:,}. A whole curve down to 1e-8 costs little more than its "
              "deepest point: near 1e-8 the BER falls about tenfold per 0.5 dB, so the shallower points add ~11 % "
              "(1 + 0.1 + 0.01 + …).",
              f"* With the whole OFDM transmitter and receiver in the loop (`PacketLink`: preamble detection, "
              f"CFO, channel estimate; 1000-byte PSDUs at 6 Mbit/s, 20 dB SNR) one core moves "
              f"{m['packet_rate_bps'] / 1e3:,.0f} kbit/s of PSDU bits per CPU-second, so 1e10 bits through the "
              f"whole receiver in an hour would take **{m['packet_cores']:,}** core(s) with the same safety factor.",
              "", "How to run it: start a Dask scheduler and workers on the cluster (each with this repository at the "
              "same revision and its virtual environment: the runner refuses chunks from workers whose code hash "
              "differs; unset `MALLOC_TRIM_THRESHOLD_`, which Dask sets to 65536 by default and which costs these "
              "numpy-heavy chunks ~60 % more CPU — the LocalCluster backend unsets it), then "
              "`python -m kpi --full --scheduler tcp://HOST:8786` (or `python -m mesh_phy.ber` / `mesh_phy.per` "
              "through `mesh_phy.link.runner.sweep(..., scheduler=...)`). A point is split into chunks "
              "(`chunk_trials`), each on its own seed, so it spreads over every core; its result is the sum of "
              "chunks 0..K−1, K the first count that reaches the error target, whatever the number of workers. "
              f"Chunks of 1e8 bits (~{1e8 / m['rate_bps'] / 60:.1f} min on one core here) keep Dask's per-task "
              "overhead (milliseconds) negligible; 1e10 bits are then 100 chunks, enough to keep "
              f"{m['cores_safe']:,} cores busy."]
    md = out / "kpi_scaling.md"
    md.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = ("Speed-up of one chunked BER point on Dask: "
               + ", ".join(f"{r['workers']} worker(s) {r['speedup']:.2f}×" for r in dask_runs)
               + f" (identical results on every backend: {'yes' if m['identical'] else 'NO'}; load average "
               f"{m['loadavg']} at the start"
               + ("; the machine was loaded by other users, so this is its free capacity, not a clean figure"
                  if busy else "") + f"); per-core BER throughput {m['rate_bps'] / 1e6:.2f} Mbit/s per CPU-second; "
               f"BER 1e-8 with 100 errors in an hour needs {m['cores_safe']:,} dedicated core(s) with a safety "
               f"factor of {m['safety']:g} ({m['cores_ideal']:,} at the mean).")
    ws = [r["workers"] for r in dask_runs]
    plot = xy_plot([{"label": "measured (Dask LocalCluster)", "x": ws, "y": [r["speedup"] for r in dask_runs]},
                    {"label": "ideal", "x": ws, "y": ws, "style": "k:"}],
                   title="speed-up of one chunked BER point", xlabel="workers", ylabel="speed-up")
    js = out / "kpi_scaling.json"
    js.write_text(json.dumps({**m, "summary": summary, "plot": plot}, indent=1) + "\n", encoding="utf-8")
    return [md, js]


def main(argv=None) -> int:
    ap = Parser(prog="python -m kpi scaling", description="speed-up on local workers and the cluster for BER 1e-8")
    ap.add_argument("--workers", default="1,2", help="Dask worker counts, e.g. 1,2")
    ap.add_argument("--chunks", type=int, default=16, help="chunks of the fixed BER point")
    ap.add_argument("--bits", type=float, default=1.25e7, help="bits per chunk (default: ~60 CPU-s in all)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per configuration (the best counts)")
    ap.add_argument("--packets", type=int, default=20, help="packets for the packet-link rate")
    ap.add_argument("--out", default=str(ROOT / "docs"))
    a = ap.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        workers = sorted({int(w) for w in a.workers.split(",")})
    except ValueError:
        raise KpiError(f"--workers must be a comma list of integers, got {a.workers[:40]!r}") from None
    for w in workers:
        argcheck.integer(w, "--workers", KpiError, lo=1, hi=256)
    chunks = argcheck.integer(a.chunks, "--chunks", KpiError, lo=1, hi=10_000)
    bits = int(argcheck.real(a.bits, "--bits", KpiError, lo=1e3, hi=1e10))
    repeat = argcheck.integer(a.repeat, "--repeat", KpiError, lo=1, hi=20)
    packets = argcheck.integer(a.packets, "--packets", KpiError, lo=1, hi=100_000)
    m = measure(workers, chunks, bits, packets, repeat)
    for f in write(m, Path(a.out)):
        print(f"wrote {f}")
    print(json.loads((Path(a.out) / "kpi_scaling.json").read_text())["summary"])
    return 0
