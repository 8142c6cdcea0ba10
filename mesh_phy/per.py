"""Packet error rate versus SNR (or SIR) for every 802.11a rate and channel.

Each point sends whole PPDUs through :class:`mesh_phy.link.packet.PacketLink`
(the transmitter, the channel chain and the receiver, with the channel and
genie modes described there) with the shared link runner
(:mod:`mesh_phy.link.runner`): a point stops after ``--errors`` lost packets
or ``--max-packets`` packets, a curve after its first point with a PER below
``--floor`` (or none lost); every point has its own seed from (``--seed``,
curve name without the genie mode, point index), so results do not depend on
order or ``--jobs``, and the genie modes of a curve are measured on the same
packets, noise and CFO at each point (paired: the implementation loss of each
step is the receivers' difference, not the draws').

SNR is the transmitted burst's measured mean power over the noise power in
20 MHz (per-sample noise variance at 20 Msample/s); SIR likewise over the
jammer's power (:mod:`mesh_phy.channel.awgn`, :mod:`mesh_phy.channel.interference`).
Jammer channels (``tone``, ``partial``, ``ofdm``) sweep the SIR at a fixed
SNR (``--jam-snr``, 30 dB); the others sweep the SNR.

The 802.11a sensitivity test (IEEE 802.11a-1999, 17.3.10.1) uses 1000-byte
PSDUs and asks for PER ≤ 10 % at the minimum input levels of its table. With
thermal noise of −101 dBm in 20 MHz and a 10 dB noise figure, those levels
imply the SNRs in :data:`REQUIRED_SNR_DB` (sensitivity + 91 dB): a receiver
meets them with a margin of ``required − measured`` SNR at 10 % PER.

CLI (writes ``<out>/per_<channel>[_<n>B].csv`` and ``.png``, prints the SNR
at 10 % PER of each curve, the margins and the implementation losses;
``<out>`` is ``docs`` by default, ``build`` with ``--quick`` so a smoke run
never replaces the committed curves)::

    python -m mesh_phy.per --channel awgn --genie all --seed 1
    python -m mesh_phy.per --channel a2g2,a2g3 --rates 6,12,24
    python -m mesh_phy.per --channel tone,partial,ofdm --rates 6,12,24
    python -m mesh_phy.per --table --psdu-bytes 1000,100   # the package-data table
    python -m mesh_phy.per --quick --rates 6               # seconds: a smoke run, into build/

The default PER table (AWGN, full synchronisation, CFO within ±100 kHz) is
package data, ``mesh_phy/data/per_awgn.csv``: read it with :func:`load_table`
and :func:`interpolate`.
"""

import csv
import math
import sys
from importlib import resources
from pathlib import Path

import numpy as np

import argcheck
from argcheck import cli
from mesh_phy.errors import PhyError
from mesh_phy.link import grid, runner, seeds, stats
from mesh_phy.link.packet import CHANNELS, GENIE_MODES, JAMMERS, Along, LinkConfig
from mesh_phy.per_table import CENTRE_DB, TABLE, TABLE_COLUMNS, interpolate, load_table  # noqa: F401 (the last two: public here too)
from mesh_phy.rates import RATES

# 17.3.10.1, Table 91: minimum sensitivity (dBm) for PER ≤ 10 % with 1000-byte PSDUs
SENSITIVITY_DBM = {6: -82, 9: -81, 12: -79, 18: -77, 24: -74, 36: -70, 48: -66, 54: -65}
NOISE_DBM = -101 + 10  # kT·20 MHz at 290 K plus a 10 dB noise figure
REQUIRED_SNR_DB = {r: s - NOISE_DBM for r, s in SENSITIVITY_DBM.items()}  # 9, 10, 12, 14, 17, 21, 25, 26
REQUIRED_MARGIN_DB = 3.0
PER_TARGET = 0.1


def default_grid(channel: str, rate_mbps: int, *, psdu_bytes: int = 1000, quick: bool = False) -> list[float]:
    """The default x values (dB): SNR for the propagation channels, SIR for jammers; shorter PSDUs start lower
    (one dB per decade of length below 1000 bytes)."""
    channel = argcheck.one_of(channel, "channel", PhyError, CHANNELS)
    c = CENTRE_DB[argcheck.one_of(rate_mbps, "rate_mbps", PhyError, sorted(RATES))]
    quick = argcheck.flag(quick, "quick", PhyError)
    c -= max(0.0, math.log10(1000 / argcheck.integer(psdu_bytes, "psdu_bytes", PhyError, lo=1, hi=4095)))
    if channel == "awgn":
        lo, hi, step = c - 1.5, c + 3.0, 0.25
    elif channel in JAMMERS:
        lo, hi, step = c - 12, c + 24, 2.0
    else:
        lo, hi, step = c - 2, c + 24, 2.0
    if quick:
        step *= 4 if channel == "awgn" else 2
    return [round(lo + k * step, 6) for k in range(int(round((hi - lo) / step)) + 1)]


def curve_name(cfg: LinkConfig, jam_snr_db: float) -> str:
    """Stable curve name (it seeds the points). The genie mode follows a
    ``#`` (:data:`mesh_phy.link.seeds.PAIR_MARK`), so it does not seed: every
    genie mode of a curve sees the same packets, noise and CFO at each point
    (a paired comparison)."""
    name = f"per/{cfg.channel}/{cfg.rate_mbps}/{cfg.psdu_bytes}"
    if cfg.sco:
        name += "/sco"
    if cfg.phase_noise_dbc_hz is not None:
        name += f"/pn{cfg.phase_noise_dbc_hz:g}"
    if cfg.channel in JAMMERS:
        name += f"/snr{jam_snr_db:g}"
    return f"{name}{seeds.PAIR_MARK}{cfg.genie}"


def make_curves(channel: str, rates, genies, psdu_bytes: int, xs_for, *, jam_snr_db: float = 30.0,
                cfo_max_hz: float = 100e3, sco: bool = False, phase_noise_dbc_hz=None) -> list[runner.Curve]:
    """One curve per (rate, genie mode) on ``channel``; ``xs_for(rate)`` gives its grid."""
    if not isinstance(rates, (list, tuple)) or not isinstance(genies, (list, tuple)) or not callable(xs_for):
        raise PhyError("rates and genies must be lists and xs_for a function of the rate")
    curves = []
    for rate in rates:
        for g in genies:
            cfg = LinkConfig(rate_mbps=rate, psdu_bytes=psdu_bytes, channel=channel, genie=g, snr_db=jam_snr_db,
                             cfo_max_hz=cfo_max_hz, sco=sco, phase_noise_dbc_hz=phase_noise_dbc_hz).checked()
            axis = "sir_db" if channel in JAMMERS else "snr_db"
            curves.append(runner.Curve(curve_name(cfg, jam_snr_db), tuple(xs_for(rate)), Along(cfg, axis)))
    return curves


def _rows(points, curves) -> list[dict]:
    """CSV rows of measured points (with the curve's channel, rate, genie, PSDU length)."""
    by_name = {c.name: c.make_link.config for c in curves}
    out = []
    for p in points:
        cfg = by_name[p.curve]
        jam = cfg.channel in JAMMERS
        lo, hi = p.ci
        causes = ";".join(f"{k}:{v}" for k, v in sorted(p.tally.items()))
        out.append(dict(channel=cfg.channel, rate_mbps=cfg.rate_mbps, psdu_bytes=cfg.psdu_bytes, genie=cfg.genie,
                        snr_db=cfg.snr_db if jam else p.x, sir_db=p.x if jam else "", packets=p.trials,
                        errors=p.errors, per=p.rate, per_low=lo, per_high=hi, causes=causes))
    return out


COLUMNS = ["channel", "rate_mbps", "psdu_bytes", "genie", "snr_db", "sir_db", "packets", "errors", "per",
           "per_low", "per_high", "causes"]


def _write_csv(table: list[dict], path: Path, columns=COLUMNS):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        for r in table:
            w.writerow({k: (f"{v:.4e}" if isinstance(v, float) and k.startswith("per") else
                            f"{v:.2f}" if isinstance(v, float) else v) for k, v in r.items()})


def _x(r: dict) -> float:
    return float(r["sir_db"]) if r["channel"] in JAMMERS else float(r["snr_db"])


def _snr_at_target(table: list[dict], level: float = PER_TARGET) -> dict:
    """{(channel, rate, psdu_bytes, genie): x at PER = level (None if not bracketed)}."""
    groups: dict = {}
    for r in table:
        groups.setdefault((r["channel"], r["rate_mbps"], r["psdu_bytes"], r["genie"]), []).append(r)
    return {k: stats.crossing([_x(r) for r in v], [r["per"] for r in v], level) for k, v in groups.items()}


def _summary(table: list[dict]) -> str:
    """Text: x at 10 % PER per curve; for AWGN the margins against the
    sensitivity-implied SNR and the implementation loss of each genie step."""
    at = _snr_at_target(table)
    lines = [f"{'channel':<9} {'rate':>4} {'bytes':>5} {'genie':<11} {'x@10%PER':>9}"]
    for (ch, rate, nb, g), x in sorted(at.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2],
                                                                   GENIE_MODES.index(kv[0][3]))):
        lines.append(f"{ch:<9} {rate:>4} {nb:>5} {g:<11} {'n/a' if x is None else f'{x:9.2f}':>9}")
    awgn_full = {(r, nb): x for (ch, r, nb, g), x in at.items() if ch == "awgn" and g == "full"}
    if any(nb == 1000 for _, nb in awgn_full):
        lines.append("")
        lines.append("AWGN, 1000-byte PSDU, full sync, CFO ±100 kHz: SNR at 10 % PER against 17.3.10.1")
        lines.append(f"{'rate':>4} {'sens dBm':>8} {'required':>8} {'measured':>8} {'margin':>7} {'>=3 dB':>6} "
                     f"{'ideal':>6} {'loss':>5} {'<=1.5':>5}")
        for rate in sorted(RATES):
            x = awgn_full.get((rate, 1000))
            if x is None and (rate, 1000) not in awgn_full:
                continue
            req = REQUIRED_SNR_DB[rate]
            ideal = at.get(("awgn", rate, 1000, "ideal"))
            m = None if x is None else req - x
            loss = None if x is None or ideal is None else x - ideal

            def f(v, w=8):
                return f"{'n/a':>{w}}" if v is None else f"{v:{w}.2f}"

            ok = "n/a" if m is None else ("yes" if m >= REQUIRED_MARGIN_DB else "NO")
            ok2 = "n/a" if loss is None else ("yes" if loss <= 1.5 else "NO")
            lines.append(f"{rate:>4} {SENSITIVITY_DBM[rate]:>8} {req:>8.1f} {f(x)} {f(m, 7)} {ok:>6} "
                         f"{f(ideal, 6)} {f(loss, 5)} {ok2:>5}")
        steps = [("timing", "full"), ("timing+cfo", "timing"), ("ideal", "timing+cfo")]
        names = {"full": "timing (sync) loss", "timing": "CFO loss", "timing+cfo": "channel-estimate loss"}
        if any(("awgn", r, 1000, "ideal") in at for r in RATES):
            lines.append("")
            lines.append("implementation loss of each step (dB at 10 % PER, 1000-byte, AWGN)")
            lines.append(f"{'rate':>4} " + " ".join(f"{names[b]:>22}" for _, b in steps) + f" {'total':>6}")
            for rate in sorted(RATES):
                vals = [at.get(("awgn", rate, 1000, g)) for g in GENIE_MODES]
                if all(v is None for v in vals):
                    continue
                diffs = [None if at.get(("awgn", rate, 1000, b)) is None or at.get(("awgn", rate, 1000, a)) is None
                         else at[("awgn", rate, 1000, b)] - at[("awgn", rate, 1000, a)] for a, b in steps]
                tot = None if vals[0] is None or vals[3] is None else vals[0] - vals[3]
                lines.append(f"{rate:>4} " + " ".join(f"{'n/a':>22}" if d is None else f"{d:>22.2f}" for d in diffs)
                             + (f" {'n/a':>6}" if tot is None else f" {tot:>6.2f}"))
    return "\n".join(lines)


def _plot(table: list[dict], path: Path, title: str):
    """PER against SNR (or SIR) with Wilson 95 % bars; one panel per rate
    (genie modes in colours) when several genie modes were run, else one
    panel with a colour per rate. A point with no lost packet is drawn as ▽ at
    its Wilson upper bound. For AWGN with 1000-byte PSDUs the SNR the
    17.3.10.1 sensitivity implies is the dotted vertical line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rates = sorted({r["rate_mbps"] for r in table})
    genies = [g for g in GENIE_MODES if any(r["genie"] == g for r in table)]
    jam = table[0]["channel"] in JAMMERS
    several = len(genies) > 1 and len(rates) > 1
    rate_colors = dict(zip(sorted(RATES), plt.cm.viridis(np.linspace(0, 0.92, len(RATES))), strict=True))
    genie_colors = dict(zip(GENIE_MODES, ["tab:red", "tab:orange", "tab:green", "tab:blue"], strict=True))
    styles = dict(zip(GENIE_MODES, ["o-", "s--", "^-.", "d:"], strict=True))
    sensitivity = table[0]["channel"] == "awgn" and table[0]["psdu_bytes"] == 1000
    if several:
        cols = min(4, len(rates))
        nrows = math.ceil(len(rates) / cols)
        fig, grid_ = plt.subplots(nrows, cols, figsize=(3.4 * cols, 2.9 * nrows + 0.6), sharey=True, squeeze=False)
        axes = list(grid_.ravel())
        for ax in axes[len(rates):]:
            ax.set_visible(False)
    else:
        fig, ax = plt.subplots(figsize=(8, 5.5))
        axes = [ax] * len(rates)
    for i, rate in enumerate(rates):
        ax = axes[i]
        for g in genies:
            pts = [r for r in table if r["rate_mbps"] == rate and r["genie"] == g]
            if not pts:
                continue
            color = genie_colors[g] if several else rate_colors[rate]
            x = np.array([_x(r) for r in pts])
            p = np.array([r["per"] for r in pts])
            lo = np.array([r["per_low"] for r in pts])
            hi = np.array([r["per_high"] for r in pts])
            seen = p > 0
            label = g if several else (f"{rate} Mbit/s" + ("" if len(genies) == 1 else f" {g}"))
            ax.errorbar(x[seen], p[seen], yerr=[p[seen] - lo[seen], hi[seen] - p[seen]], fmt=styles[g],
                        color=color, ms=3, lw=1.1, capsize=1.5, label=label)
            ax.plot(x[~seen], hi[~seen], "v", mfc="none", color=color, ms=5)
        if sensitivity:
            ax.axvline(REQUIRED_SNR_DB[rate], color="k" if several else rate_colors[rate], ls=":", lw=1,
                       label="17.3.10.1 sensitivity + 91 dB" if (several or i == 0) else None)
        if several:
            ax.set_title(f"{rate} Mbit/s", fontsize=9)
            if i == 0:
                ax.legend(fontsize=7, loc="lower left")
    xlabel = "SIR (dB)" if jam else "SNR (dB): signal / noise in 20 MHz"
    for i, ax in enumerate(dict.fromkeys(axes)):
        ax.set_yscale("log")
        ax.set_ylim(1e-3, 1.05)
        ax.axhline(PER_TARGET, color="gray", lw=0.8)
        ax.grid(True, which="both", alpha=0.3)
        ax.tick_params(labelsize=8)
        ax.set_xlabel(xlabel, fontsize=8)
        if not several or i % min(4, len(rates)) == 0:
            ax.set_ylabel("PER (95 % Wilson CI; ▽ none lost)", fontsize=8)
    if not several:
        axes[0].legend(fontsize=8, ncol=2)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_margins(table: list[dict], path: Path):
    """SNR at 10 % PER per rate (each genie mode) against the SNR the
    17.3.10.1 sensitivity implies and that minus the 3 dB margin."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    at = _snr_at_target([r for r in table if r["channel"] == "awgn" and r["psdu_bytes"] == 1000])
    rates = sorted(RATES)
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    req = [REQUIRED_SNR_DB[r] for r in rates]
    ax.plot(rates, req, "k-", marker="_", ms=12, label="required by 17.3.10.1 (sensitivity + 91 dB)")
    ax.plot(rates, [v - REQUIRED_MARGIN_DB for v in req], "k:", label=f"required − {REQUIRED_MARGIN_DB:g} dB")
    colors = dict(zip(GENIE_MODES, ["tab:red", "tab:orange", "tab:green", "tab:blue"], strict=True))
    for g in GENIE_MODES:
        xs = [(r, at.get(("awgn", r, 1000, g))) for r in rates]
        xs = [(r, v) for r, v in xs if v is not None]
        if xs:
            ax.plot([r for r, _ in xs], [v for _, v in xs], "o-", ms=4, color=colors[g], label=f"measured, {g}")
    ax.set_xscale("log")
    ax.set_xticks(rates, [str(r) for r in rates])
    ax.minorticks_off()
    ax.set_xlabel("rate (Mbit/s)")
    ax.set_ylabel("SNR at 10 % PER (dB)")
    ax.set_title("802.11a receiver, AWGN, 1000-byte PSDU, CFO ±100 kHz", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ------------------------------------------------------------------ package-data table
def _table_rows(table: list[dict]) -> list[dict]:
    """The AWGN, full-synchronisation rows in the package table's columns."""
    return [{k: r[k] for k in TABLE_COLUMNS} for r in table if r["channel"] == "awgn" and r["genie"] == "full"]


def _ints(text: str, name: str) -> list[int]:
    """"6,12,24" → [6, 12, 24]."""
    parts = text.split(",")
    if len(text) > 1000 or not all(p.strip().isdigit() and len(p.strip()) <= 6 for p in parts):
        raise PhyError(f"{name} must be a comma list of integers, got {text[:40]!r}")
    return [int(p) for p in parts]


def _read_csv(path: Path) -> list[dict]:
    """Rows of a CSV written by this runner, with their numbers as numbers."""
    try:
        with open(path, newline="") as f:
            table = list(csv.DictReader(f))
        for r in table:
            for k in ("rate_mbps", "psdu_bytes", "packets", "errors"):
                r[k] = int(r[k])
            for k in ("per", "per_low", "per_high"):
                r[k] = float(r[k])
    except (KeyError, ValueError, TypeError) as exc:
        raise PhyError(f"{path} is not a PER CSV of this runner: {exc}") from None
    if not table:
        raise PhyError(f"{path} has no rows")
    return table


def _write_table(rows: list[dict], dest: Path) -> None:
    """Write the package table's ``rows`` to ``dest`` only if :func:`load_table`
    reads them back (the network simulator loads it at every start: e.g.
    ``--snr 1,1,2`` or ``--psdu-bytes 1000,1000`` give one SNR twice on a
    curve); otherwise PhyError, and ``dest`` is left as it was."""
    draft = dest.with_name(dest.name + ".new")
    _write_csv(rows, draft, TABLE_COLUMNS)
    try:
        load_table(draft.read_text())
    except PhyError as exc:
        draft.unlink()
        raise PhyError(f"the new table would not load ({exc}); {dest} left as it was") from None
    draft.replace(dest)


def main(argv=None) -> int:
    ap = cli.Parser(prog="python -m mesh_phy.per", description="PER versus SNR/SIR for 802.11a rates and channels")
    ap.add_argument("--rates", default=",".join(str(r) for r in sorted(RATES)), help="e.g. 6,12,24")
    ap.add_argument("--channel", default="awgn", help=f"comma list of {', '.join(CHANNELS)}")
    ap.add_argument("--genie", default="full", help=f"comma list of {', '.join(GENIE_MODES)}, or all")
    ap.add_argument("--snr", default=None, help="start:step:stop (dB); SIR for jammer channels")
    ap.add_argument("--psdu-bytes", default="1000", help="PSDU length(s), e.g. 1000,100")
    ap.add_argument("--errors", type=int, default=50, help="stop a point after this many lost packets")
    ap.add_argument("--max-packets", type=int, default=1000, help="and after at most this many packets")
    ap.add_argument("--floor", type=float, default=0.01, help="end a curve after a point with PER below this")
    ap.add_argument("--jam-snr", type=float, default=30.0, help="SNR (dB) under the jammer sweeps")
    ap.add_argument("--cfo", type=float, default=100e3, help="CFO uniform within ± this (Hz)")
    ap.add_argument("--sco", action="store_true", help="add the sampling-clock offset of the same oscillator")
    ap.add_argument("--phase-noise", type=float, default=None, help="Wiener phase noise, dBc/Hz at 1 MHz")
    ap.add_argument("--tag", default="", help="suffix for the output file names (e.g. _sco)")
    ap.add_argument("--seed", type=int, default=None, help="base seed (default: random, printed)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (results do not depend on it)")
    runner.add_backend_arguments(ap)
    ap.add_argument("--quick", action="store_true", help="coarse grid, 10 errors / 60 packets: seconds")
    ap.add_argument("--out", default=None, help="folder for the CSV and PNG files (default docs; build with --quick)")
    ap.add_argument("--table", action="store_true", help=f"AWGN full sync: also write mesh_phy/data/{TABLE}"
                    " (not with --quick)")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    ap.add_argument("--replot", action="store_true", help="no simulation: redraw the PNGs and summaries from the CSVs")
    a = ap.parse_args(argv)
    rates = [argcheck.one_of(v, "rate", PhyError, sorted(RATES)) for v in _ints(a.rates, "--rates")]
    channels = [argcheck.one_of(c.strip(), "channel", PhyError, CHANNELS) for c in a.channel.split(",")]
    genies = list(GENIE_MODES) if a.genie == "all" else \
        [argcheck.one_of(g.strip(), "genie", PhyError, GENIE_MODES) for g in a.genie.split(",")]
    lengths = [argcheck.integer(v, "PSDU length", PhyError, lo=1, hi=4095) for v in _ints(a.psdu_bytes, "--psdu-bytes")]
    errors = argcheck.integer(a.errors, "--errors", PhyError, lo=1)
    max_packets = argcheck.integer(a.max_packets, "--max-packets", PhyError, lo=1)
    if a.quick:
        errors, max_packets = min(errors, 10), min(max_packets, 60)
    floor = argcheck.real(a.floor, "--floor", PhyError, lo=0.0, hi=1.0)
    jam_snr = argcheck.real(a.jam_snr, "--jam-snr", PhyError, lo=-50.0, hi=100.0)
    cfo = argcheck.real(a.cfo, "--cfo", PhyError, lo=0.0, hi=1e6)
    seed = seeds.fresh_base_seed() if a.seed is None else argcheck.integer(a.seed, "--seed", PhyError, lo=0,
                                                                           hi=seeds.MAX_SEED)
    fixed = None if a.snr is None else grid.parse_range(a.snr, "SNR")
    tag = a.tag
    if len(tag) > 40 or not all(ch.isalnum() or ch in "_-" for ch in tag):
        raise PhyError("--tag takes at most 40 letters, digits, '_' or '-'")
    if a.table and "awgn" not in channels:
        raise PhyError("--table needs --channel awgn (the table is AWGN, full synchronisation)")
    if a.table and a.quick and not a.replot:
        raise PhyError(f"--table with --quick would replace the committed mesh_phy/data/{TABLE} with a smoke run")
    out = cli.output_dir(a.out, a.quick)
    out.mkdir(parents=True, exist_ok=True)
    print(f"seed {seed}; {errors} errors / {max_packets} packets a point; floor {floor}")
    table_out = []
    for ch in channels:
        for nb in lengths:
            stem = f"per_{ch}" + ("" if nb == 1000 else f"_{nb}B") + tag
            what = f"SIR sweep at SNR {jam_snr:g} dB" if ch in JAMMERS else "SNR sweep"
            extras = (", SCO locked to CFO" if a.sco else "") + \
                ("" if a.phase_noise is None else f", phase noise {a.phase_noise:g} dBc/Hz @ 1 MHz")
            title = f"802.11a PER, {ch}, {nb}-byte PSDU, CFO ±{cfo / 1e3:g} kHz{extras}, {what}"
            if a.replot:
                table = _read_csv(out / f"{stem}.csv")
                _plot(table, out / f"{stem}.png", title)
                if ch == "awgn" and nb == 1000:
                    _plot_margins(table, out / f"{stem}_margin.png")
                print(f"\n== {ch}, {nb}-byte PSDU: redrew {out / stem}.png from the CSV")
                print(_summary(table))
                continue
            curves = make_curves(ch, rates, genies, nb,
                                 (lambda r: fixed) if fixed else
                                 (lambda r, ch=ch, nb=nb: default_grid(ch, r, psdu_bytes=nb, quick=a.quick)),
                                 jam_snr_db=jam_snr, cfo_max_hz=cfo, sco=a.sco, phase_noise_dbc_hz=a.phase_noise)
            pts = runner.sweep(curves, base_seed=seed, target_errors=errors, max_trials=max_packets, floor=floor,
                               progress=not a.quiet, jobs=a.jobs, backend=a.backend, scheduler=a.scheduler)
            table = _rows(pts, curves)
            _write_csv(table, out / f"{stem}.csv")
            _plot(table, out / f"{stem}.png", title)
            if ch == "awgn" and nb == 1000:
                _plot_margins(table, out / f"{stem}_margin.png")
            print(f"\n== {ch}, {nb}-byte PSDU: wrote {out / stem}.csv and .png")
            print(_summary(table))
            table_out += _table_rows(table)
    if a.table and not a.replot:
        dest = Path(str(resources.files("mesh_phy.data").joinpath(TABLE)))
        _write_table(table_out, dest)
        print(f"\nwrote {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.guard(main, prog="python -m mesh_phy.per"))
