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

import csv
import math
import sys
from functools import partial
from pathlib import Path
from typing import NamedTuple

import numpy as np
from scipy.special import comb, erfc

import argcheck
from argcheck import cli
from mesh_phy import rx
from mesh_phy.channel import awgn
from mesh_phy.coding import conv, interleaver, viterbi
from mesh_phy.errors import PhyError
from mesh_phy.link import grid, runner, stats
from mesh_phy.link.runner import Batch, Link, run_point
from mesh_phy.link.seeds import fresh_base_seed
from mesh_phy.link.stats import wilson
from mesh_phy.modulation import mapper
from mesh_phy.rates import rate_params

# Information-bit error weights c_d of the K=7 (133,171) code, d = 10..16.
SPECTRUM = {10: 36, 12: 211, 14: 1404, 16: 11633}
CODE_RATE = {"1/2": 0.5, "2/3": 2 / 3, "3/4": 0.75}
CURVES = ("uncoded", "soft", "hard")


def _reals(x, name: str) -> np.ndarray:
    return argcheck.array(x, name, PhyError, kind="f").astype(float)


def qfunc(x):
    """Q(x) = ½ erfc(x/√2), the Gaussian tail probability (real x, any shape)."""
    return 0.5 * erfc(_reals(x, "x") / math.sqrt(2))


def theory_uncoded_bpsk(ebn0_db):
    """Q(√(2 Eb/N0)): BPSK (and Gray QPSK) bit error rate in AWGN."""
    e = _reals(ebn0_db, "ebn0_db")
    with np.errstate(over="ignore"):
        return qfunc(np.sqrt(2 * 10 ** (e / 10)))


def union_bound(ebn0_db, decision: str = "soft", rate: float = 0.5):
    """Union bound on the decoded BER of the K=7 rate-1/2 code with BPSK."""
    decision = argcheck.one_of(decision, "decision", PhyError, ("soft", "hard"))
    rate = argcheck.real(rate, "rate", PhyError, lo=0.0, lo_open=True, hi=1.0)
    with np.errstate(over="ignore"):
        g = 10 ** (_reals(ebn0_db, "ebn0_db") / 10)
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

    @property
    def ci(self) -> tuple[float, float]:
        """95 % Wilson interval of the BER."""
        return wilson(self.errors, self.bits)


class BerLink(Link):
    """One Eb/N0 point of a BER curve as a :class:`mesh_phy.link.runner.Link`:
    transmit random bits (``uncoded``: BPSK; ``soft``/``hard``: the DATA
    chain of ``rate_mbps`` on mapped symbols, ``frames`` frames of ``n_sym``
    OFDM symbols with a terminating tail), add AWGN with
    :func:`mesh_phy.channel.awgn.awgn` at Es/N0 = Eb/N0 · N_BPSC · R on unit
    symbol energy, demap, deinterleave, decode, count bit errors."""

    def __init__(self, curve: str, rate_mbps, ebn0_db, *, frames: int = 256, n_sym: int = 20,
                 soft_bits: int = viterbi.DEFAULT_SOFT_BITS, traceback: int = viterbi.DEFAULT_TRACEBACK):
        self.curve = argcheck.one_of(curve, "curve", PhyError, CURVES)
        self.ebn0_db = argcheck.real(ebn0_db, "ebn0_db", PhyError, lo=-50.0, hi=100.0)
        self.frames = argcheck.integer(frames, "frames", PhyError, lo=1, hi=1 << 16)
        self.n_sym = argcheck.integer(n_sym, "n_sym", PhyError, lo=1, hi=1 << 12)
        self.soft_bits, self.traceback = soft_bits, traceback
        if self.curve == "uncoded":
            self.params = None
            self.esn0_db = self.ebn0_db
        else:
            self.params = rate_params(rate_mbps)
            bits_per_symbol = self.params.n_bpsc * CODE_RATE[self.params.coding_rate]
            self.esn0_db = self.ebn0_db + 10 * math.log10(bits_per_symbol)
        self.n0 = float(awgn.noise_variance(1.0, self.esn0_db))

    def transmit(self, rng):
        if self.params is None:
            bits = rng.integers(0, 2, self.frames * 1024, dtype=np.uint8)
            return bits, (2.0 * bits - 1).astype(complex)
        p = self.params
        info = rng.integers(0, 2, (self.frames, self.n_sym * p.n_dbps), dtype=np.uint8)
        info[:, -6:] = 0  # tail: terminate the trellis
        coded = interleaver.interleave(conv.encode(info, p.coding_rate), p.n_cbps, p.n_bpsc)
        return info, mapper.map_bits(coded.reshape(-1), p.modulation)

    def channel(self, sent, rng):
        return awgn.awgn(sent[1], self.esn0_db, rng, signal_power=1.0)

    def receive(self, received):
        if self.params is None:
            return (received.real > 0).astype(np.uint8)
        got = rx.decode_bits(received, self.params.mbps, self.n0, frames=self.frames, terminated=True,
                             hard=(self.curve == "hard"), soft_bits=self.soft_bits, traceback=self.traceback)
        return got.reshape(self.frames, -1)

    def count(self, sent, got) -> Batch:
        bits = sent[0]
        if self.params is None:
            return Batch(int(np.count_nonzero(got != bits)), bits.size)
        payload = slice(0, bits.shape[1] - 6)
        return Batch(int(np.count_nonzero(got[:, payload] != bits[:, payload])), self.frames * (bits.shape[1] - 6))


def run_batch(curve: str, rate_mbps: int, ebn0_db: float, rng, **batch_options):
    """One batch of frames through the chain; returns (bit errors, bits)."""
    b = BerLink(curve, rate_mbps, ebn0_db, **batch_options).batch(rng)
    return b.errors, b.trials


def simulate_point(curve, rate_mbps, ebn0_db, rng, *, target_errors=100, max_bits=10_000_000,
                   **batch_options) -> Point:
    """Batches on ``rng`` until ``target_errors`` bit errors or ``max_bits`` bits."""
    link = BerLink(curve, rate_mbps, ebn0_db, **batch_options)
    errors, bits, _ = run_point(link, rng, target_errors=target_errors, max_trials=max_bits)
    return Point(curve, float(ebn0_db), errors, bits)


def theory(curve: str, ebn0_db, rate_mbps: int):
    """The theory line drawn beside a measured curve (NaN where there is none)."""
    curve = argcheck.one_of(curve, "curve", PhyError, CURVES)
    if curve == "uncoded":
        return theory_uncoded_bpsk(ebn0_db)
    if rate_params(rate_mbps).coding_rate == "1/2":
        return union_bound(ebn0_db, curve)
    return np.full(np.shape(_reals(ebn0_db, "ebn0_db")), np.nan)


def crossing(points, level: float = 1e-5):
    """Eb/N0 (dB) where a measured curve crosses ``level``, by log-linear
    interpolation between the points around it; None when not bracketed."""
    if not isinstance(points, (list, tuple)) or not all(isinstance(p, Point) for p in points):
        raise PhyError("points must be a list of ber.Point")
    return stats.crossing([p.ebn0_db for p in points], [p.ber for p in points], level)


def curve_name(curve: str, rate_mbps) -> str:
    """The name (and seed) of a BER curve in the link runner."""
    curve = argcheck.one_of(curve, "curve", PhyError, CURVES)
    if curve != "uncoded":
        rate_mbps = rate_params(rate_mbps).mbps
    return f"ber/{curve}" if curve == "uncoded" else f"ber/{curve}/{rate_mbps}"


def sweep(curves, rate_mbps, ebn0_list, *, seed=None, progress=True, target_errors=100, max_bits=10_000_000,
          jobs=1, backend=None, scheduler=None, **batch_options) -> list:
    """Every curve over ``ebn0_list`` with the shared link runner (per-point
    seeds from ``seed``; a curve stops at its first point with no error;
    ``backend``/``scheduler`` as :func:`mesh_phy.link.runner.sweep`)."""
    base = fresh_base_seed() if seed is None else seed
    rate = rate_params(rate_mbps).mbps
    if not isinstance(curves, (list, tuple)):
        raise PhyError("curves must be a list of curve names")
    xs = tuple(argcheck.array(ebn0_list, "ebn0_list", PhyError, kind="f", ndim=1).astype(float))
    spec = [runner.Curve(curve_name(c, rate), xs, partial(BerLink, c, rate, **batch_options)) for c in curves]
    pts = runner.sweep(spec, base_seed=base, target_errors=target_errors, max_trials=max_bits,
                       progress=progress, jobs=jobs, backend=backend, scheduler=scheduler)
    by_name = {curve_name(c, rate): c for c in curves}
    return [Point(by_name[p.curve], float(p.x), p.errors, p.trials) for p in pts]


def write_csv(points, rate_mbps, path: Path):
    """One row per point; the columns of the first BER runner, then the 95 %
    Wilson interval of the BER (``ber_low``, ``ber_high``)."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["curve", "ebn0_db", "errors", "bits", "ber", "theory", "ber_low", "ber_high"])
        for p in points:
            lo, hi = p.ci
            w.writerow([p.curve, f"{p.ebn0_db:.2f}", p.errors, p.bits, f"{p.ber:.4e}",
                        f"{float(theory(p.curve, p.ebn0_db, rate_mbps)):.4e}", f"{lo:.4e}", f"{hi:.4e}"])


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
    return grid.parse_range(text, "Eb/N0")


def main(argv=None) -> int:
    ap = cli.Parser(prog="python -m mesh_phy.ber", description="BER against theory")
    ap.add_argument("--rate", type=int, default=6, help="802.11a rate in Mbit/s (default 6)")
    ap.add_argument("--ebn0", default="0:0.5:8", help="start:step:stop in dB")
    ap.add_argument("--curves", default="uncoded,soft,hard")
    ap.add_argument("--errors", type=int, default=100, help="stop a point after this many errors")
    ap.add_argument("--max-bits", type=float, default=2e7)
    ap.add_argument("--seed", type=int, default=None, help="base seed (default: random, printed)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (results do not depend on it)")
    runner.add_backend_arguments(ap)
    ap.add_argument("--out", default="docs", help="folder for the CSV and PNG")
    ap.add_argument("--quiet", "--no-progress", dest="quiet", action="store_true", help="no progress bar")
    a = ap.parse_args(argv)
    rate_params(a.rate)
    ebn0 = parse_range(a.ebn0)
    curves = [c.strip() for c in a.curves.split(",") if c.strip()]
    for c in curves:
        argcheck.one_of(c, "curve", PhyError, CURVES)
    errors = argcheck.integer(a.errors, "--errors", PhyError, lo=1)
    max_bits = argcheck.real(a.max_bits, "--max-bits", PhyError, lo=1.0, hi=1e13)
    seed = fresh_base_seed() if a.seed is None else argcheck.integer(a.seed, "--seed", PhyError, lo=0)
    pts = sweep(curves, a.rate, ebn0, seed=seed, progress=not a.quiet, target_errors=errors,
                max_bits=int(max_bits), jobs=a.jobs, backend=a.backend, scheduler=a.scheduler)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(pts, a.rate, out / f"ber_rate{a.rate}.csv")
    plot(pts, a.rate, out / f"ber_rate{a.rate}.png")
    print(f"seed {seed}")
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
    sys.exit(cli.guard(main, prog="python -m mesh_phy.ber"))
