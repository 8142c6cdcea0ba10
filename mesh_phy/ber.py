"""Monte Carlo bit error rate over Eb/N0 (AWGN), with the theory beside it.

Curves:

* ``uncoded`` — BPSK, hard decision; theory Q(√(2 Eb/N0)).
* ``soft`` / ``hard`` — the 802.11a chain at ``rate_mbps`` (mapping,
  interleaving, puncturing, the fixed-point Viterbi of :mod:`mesh_phy.coding.viterbi`)
  with soft or hard decisions. For the rate-1/2 code the union bound is drawn:
  P_b ≤ Σ_d c_d P_d with the (133, 171) distance spectrum d_free = 10,
  c_d = 36, 0, 211, 0, 1404, 0, 11633 for d = 10 … 16 (Proakis, Table 8.2-1
  lists the code's weight structure; the c_d values are the issue's), where
  P_d = Q(√(2 d R Eb/N0)) for soft decisions and the binomial probability of
  more than d/2 channel errors (ties halved) for hard decisions.

Eb/N0 counts information bits: N0 = 1 / (Eb/N0 · N_BPSC · R) with unit
symbol energy. Each point runs batches until ``target_errors`` bit errors or
``max_bits`` bits, whichever comes first; a curve stops at its first point
with no error.

CLI: ``python -m mesh_phy.ber --rate 6 --ebn0 0:0.5:8`` writes
``docs/ber_rate6.csv`` and ``docs/ber_rate6.png`` and prints a table and the
Eb/N0 at which each curve crosses BER 1e-5.
"""

import argparse
import csv
import math
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np
from scipy.special import comb, erfc

from mesh_phy.coding import conv, interleaver, viterbi
from mesh_phy.errors import PhyError
from mesh_phy.modulation import demapper, mapper
from mesh_phy.rates import rate_params

# Information-bit error weights c_d of the K=7 (133,171) code, d = 10..16.
SPECTRUM = {10: 36, 12: 211, 14: 1404, 16: 11633}
CODE_RATE = {"1/2": 0.5, "2/3": 2 / 3, "3/4": 0.75}


def qfunc(x):
    return 0.5 * erfc(np.asarray(x, dtype=float) / math.sqrt(2))


def theory_uncoded_bpsk(ebn0_db):
    """Q(√(2 Eb/N0)): BPSK (and Gray QPSK) bit error rate in AWGN."""
    return qfunc(np.sqrt(2 * 10 ** (np.asarray(ebn0_db, float) / 10)))


def union_bound(ebn0_db, decision: str = "soft", rate: float = 0.5):
    """Union bound on the decoded BER of the K=7 rate-1/2 code with BPSK."""
    g = 10 ** (np.asarray(ebn0_db, float) / 10)
    total = np.zeros_like(g)
    p = qfunc(np.sqrt(2 * rate * g))
    for d, c in SPECTRUM.items():
        if decision == "soft":
            pd = qfunc(np.sqrt(2 * d * rate * g))
        else:
            pd = 0.5 * comb(d, d // 2) * p ** (d // 2) * (1 - p) ** (d // 2)
            for k in range(d // 2 + 1, d + 1):
                pd = pd + comb(d, k) * p**k * (1 - p) ** (d - k)
        total = total + c * pd
    return total


class Point(NamedTuple):
    curve: str
    ebn0_db: float
    errors: int
    bits: int

    @property
    def ber(self) -> float:
        return self.errors / self.bits if self.bits else float("nan")


def _awgn(rng, shape, n0):
    return np.sqrt(n0 / 2) * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape))


def run_batch(curve: str, rate_mbps: int, ebn0_db: float, rng, *, frames: int = 256,
              n_sym: int = 20, soft_bits: int = viterbi.DEFAULT_SOFT_BITS,
              traceback: int = viterbi.DEFAULT_TRACEBACK):
    """One batch of frames through the chain; returns (bit errors, bits)."""
    g = 10 ** (ebn0_db / 10)
    if curve == "uncoded":
        n = frames * 1024
        bits = rng.integers(0, 2, n, dtype=np.uint8)
        y = (2.0 * bits - 1) + _awgn(rng, n, 1 / g)
        return int(np.count_nonzero((y.real > 0) != bits)), n
    if curve not in ("soft", "hard"):
        raise PhyError(f"unknown curve {curve!r}; use uncoded, soft or hard")
    p = rate_params(rate_mbps)
    n0 = 1 / (g * p.n_bpsc * CODE_RATE[p.coding_rate])
    info = rng.integers(0, 2, (frames, n_sym * p.n_dbps), dtype=np.uint8)
    info[:, -6:] = 0  # tail: terminate the trellis
    coded = interleaver.interleave(conv.encode(info, p.coding_rate), p.n_cbps, p.n_bpsc)
    sym = mapper.map_bits(coded.reshape(-1), p.modulation)
    llr = demapper.llr(sym + _awgn(rng, sym.shape, n0), p.modulation, n0).reshape(frames, -1)
    soft = interleaver.deinterleave(llr, p.n_cbps, p.n_bpsc)
    dec = viterbi.decode(soft, p.coding_rate, hard=(curve == "hard"), soft_bits=soft_bits,
                         traceback=traceback)
    payload = slice(0, info.shape[1] - 6)
    return int(np.count_nonzero(dec[:, payload] != info[:, payload])), frames * (info.shape[1] - 6)


def simulate_point(curve, rate_mbps, ebn0_db, rng, *, target_errors=100, max_bits=10_000_000,
                   **batch_options) -> Point:
    errors = bits = 0
    while errors < target_errors and bits < max_bits:
        e, n = run_batch(curve, rate_mbps, ebn0_db, rng, **batch_options)
        errors += e
        bits += n
    return Point(curve, float(ebn0_db), errors, bits)


def theory(curve: str, ebn0_db, rate_mbps: int):
    if curve == "uncoded":
        return theory_uncoded_bpsk(ebn0_db)
    if rate_params(rate_mbps).coding_rate == "1/2":
        return union_bound(ebn0_db, curve)
    return np.full(np.shape(ebn0_db), np.nan)


def crossing(points, level: float = 1e-5):
    """Eb/N0 (dB) where a measured curve crosses ``level``, by log-linear
    interpolation between the points around it; None when not bracketed."""
    pts = [p for p in points if p.errors > 0]
    for a, b in zip(pts, pts[1:], strict=False):
        if a.ber >= level >= b.ber:
            la, lb = math.log10(a.ber), math.log10(b.ber)
            if la == lb:
                return a.ebn0_db
            return a.ebn0_db + (la - math.log10(level)) / (la - lb) * (b.ebn0_db - a.ebn0_db)
    return None


def sweep(curves, rate_mbps, ebn0_list, *, seed=None, progress=True, **options) -> list:
    rng = np.random.default_rng(seed)
    results = []
    from tqdm import tqdm

    jobs = [(c, e) for c in curves for e in ebn0_list]
    bar = tqdm(total=len(jobs), disable=not progress, file=sys.stderr, unit="pt")
    done = set()
    for curve, e in jobs:
        if curve not in done:
            pt = simulate_point(curve, rate_mbps, e, rng, **options)
            results.append(pt)
            bar.set_postfix_str(f"{curve} {e:.1f} dB BER {pt.ber:.2e}")
            if pt.errors == 0:
                done.add(curve)  # lower BER than we can resolve from here on
        bar.update()
    bar.close()
    return results


def write_csv(points, rate_mbps, path: Path):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["curve", "ebn0_db", "errors", "bits", "ber", "theory"])
        for p in points:
            w.writerow([p.curve, f"{p.ebn0_db:.2f}", p.errors, p.bits, f"{p.ber:.4e}",
                        f"{float(theory(p.curve, p.ebn0_db, rate_mbps)):.4e}"])


def plot(points, rate_mbps, path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5))
    grid = np.linspace(0, max(p.ebn0_db for p in points) + 0.5, 200)
    colors = {"uncoded": "tab:gray", "soft": "tab:blue", "hard": "tab:red"}
    for curve in dict.fromkeys(p.curve for p in points):
        pts = [p for p in points if p.curve == curve and p.errors > 0]
        ax.semilogy([p.ebn0_db for p in pts], [p.ber for p in pts], "o-", color=colors.get(curve),
                    label=f"{curve} (measured)")
        th = theory(curve, grid, rate_mbps)
        if np.isfinite(th).any():
            name = "Q(√(2Eb/N0))" if curve == "uncoded" else f"union bound ({curve})"
            ax.semilogy(grid, th, "--", color=colors.get(curve), alpha=0.7, label=name)
    p = rate_params(rate_mbps)
    ax.set_title(f"{rate_mbps} Mbit/s: {p.modulation.upper()}, rate {p.coding_rate}, K=7 Viterbi "
                 f"({viterbi.DEFAULT_SOFT_BITS}-bit soft, traceback {viterbi.DEFAULT_TRACEBACK})")
    ax.set_xlabel("Eb/N0 (dB)")
    ax.set_ylabel("bit error rate")
    ax.set_ylim(1e-7, 0.5)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parse_range(text: str) -> list:
    """"0:0.5:8" → [0, 0.5, ..., 8]; "4.5" → [4.5]; "1,2,3" → [1, 2, 3]."""
    try:
        if ":" in text:
            a, step, b = (float(v) for v in text.split(":"))
            if step <= 0:
                raise ValueError
            return [round(a + k * step, 6) for k in range(int(math.floor((b - a) / step + 1e-9)) + 1)]
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise PhyError(f"bad Eb/N0 range {text!r}; use start:step:stop, e.g. 0:0.5:8") from None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mesh_phy.ber", description="BER against theory")
    ap.add_argument("--rate", type=int, default=6, help="802.11a rate in Mbit/s (default 6)")
    ap.add_argument("--ebn0", default="0:0.5:8", help="start:step:stop in dB")
    ap.add_argument("--curves", default="uncoded,soft,hard")
    ap.add_argument("--errors", type=int, default=100, help="stop a point after this many errors")
    ap.add_argument("--max-bits", type=float, default=2e7)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--out", default="docs", help="folder for the CSV and PNG")
    ap.add_argument("--no-progress", action="store_true")
    a = ap.parse_args(argv)
    try:
        rate_params(a.rate)
        ebn0 = parse_range(a.ebn0)
        curves = [c.strip() for c in a.curves.split(",") if c.strip()]
        for c in curves:
            if c not in ("uncoded", "soft", "hard"):
                raise PhyError(f"unknown curve {c!r}; use uncoded, soft, hard")
    except PhyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    pts = sweep(curves, a.rate, ebn0, seed=a.seed, progress=not a.no_progress,
                target_errors=a.errors, max_bits=int(a.max_bits))
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(pts, a.rate, out / f"ber_rate{a.rate}.csv")
    plot(pts, a.rate, out / f"ber_rate{a.rate}.png")
    print(f"{'curve':<8} {'Eb/N0':>6} {'errors':>7} {'bits':>10} {'BER':>10} {'theory':>10}")
    for p in pts:
        print(f"{p.curve:<8} {p.ebn0_db:>6.2f} {p.errors:>7} {p.bits:>10} {p.ber:>10.3e} "
              f"{float(theory(p.curve, p.ebn0_db, a.rate)):>10.3e}")
    for c in curves:
        x = crossing([p for p in pts if p.curve == c])
        print(f"{c}: BER 1e-5 crossed at Eb/N0 = {x:.2f} dB" if x is not None
              else f"{c}: BER 1e-5 not bracketed by the sweep")
    if "soft" in curves and rate_params(a.rate).coding_rate == "1/2":
        print("union bound (soft) at 1e-5: 4.16 dB")
    print(f"wrote {out / f'ber_rate{a.rate}.csv'} and {out / f'ber_rate{a.rate}.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
