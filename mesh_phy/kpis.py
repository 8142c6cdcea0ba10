"""Physical-layer KPIs for the KPI report (:mod:`kpi`): anti-interference
(PER under jammers), sensitivity against IEEE 802.11a-1999 17.3.10.1, and
the coded BER of the 6 Mbit/s chain.

The PER points are the link runner's (:mod:`mesh_phy.link`): the series
carry :func:`mesh_phy.per.curve_name` names and unsplit points, so each point
draws exactly the numbers ``python -m mesh_phy.per`` draws with the same
``--seed`` (the row's command reproduces it). The BER points are split into
chunks of ``chunk_trials`` bits (each on its own seed, ``spawn_key`` =
chunk) so one point spreads over every worker; a point stops at 100 bit
errors or its bit cap.
"""

from functools import lru_cache

import numpy as np

from kpi.registry import kpi, measured, not_measured, xy_plot
from kpi.sweep import Series
from mesh_phy import ber, per
from mesh_phy.link import stats
from mesh_phy.link.packet import JAMMERS, LinkConfig, PacketLink
from mesh_phy.link.runner import run_point

SOURCES = ("mesh_phy/**/*.py", "argcheck/*.py")
JAM_SNR_DB = 30.0
RATE = 6  # Mbit/s: the mesh's most robust rate


def per_chunk(params: dict, rng) -> dict:
    """PER point: ``params`` are :class:`mesh_phy.link.packet.LinkConfig`
    fields plus the runner's ``target_errors``/``max_trials`` (packets)."""
    cfg = {k: v for k, v in params.items() if k not in ("target_errors", "max_trials")}
    e, n, tally = run_point(PacketLink(LinkConfig(**cfg)), rng, target_errors=params["target_errors"],
                            max_trials=params["max_trials"])
    return {"errors": e, "trials": n, "tally": tally}


def ber_chunk(params: dict, rng) -> dict:
    """BER chunk: :class:`mesh_phy.ber.BerLink` (``curve``, ``rate_mbps``,
    ``ebn0_db``) until ``target_errors`` bit errors or ``max_trials`` bits."""
    link = ber.BerLink(params["curve"], params["rate_mbps"], params["ebn0_db"])
    e, n, _ = run_point(link, rng, target_errors=params["target_errors"], max_trials=params["max_trials"])
    return {"errors": e, "trials": n}


def per_series(ctx, channel: str, rate: int) -> Series:
    """One PER curve with the settings of ``python -m mesh_phy.per [--quick]``."""
    cfg = LinkConfig(rate_mbps=rate, psdu_bytes=1000, channel=channel, genie="full", snr_db=JAM_SNR_DB).checked()
    axis = "sir_db" if channel in JAMMERS else "snr_db"
    xs = per.default_grid(channel, rate, quick=ctx.quick)
    base = {"rate_mbps": rate, "psdu_bytes": 1000, "channel": channel, "genie": "full"}
    if channel in JAMMERS:
        base["snr_db"] = JAM_SNR_DB
    return Series(per.curve_name(cfg, JAM_SNR_DB), "mesh_phy.kpis:per_chunk", tuple({**base, axis: x} for x in xs),
                  SOURCES, target_errors=ctx.pick(10, 50), max_trials=ctx.pick(60, 1000), end_below=0.01)


def _per_at_target(pts, axis) -> tuple[float | None, str]:
    """(x where the PER falls to 10 %, how it was found): interpolated
    between measured points, or — when the next point lost no packet — that
    point's x, an upper bound ("≤")."""
    xs = [p.params[axis] for p in pts]
    x10 = stats.crossing(xs, [p.rate for p in pts], per.PER_TARGET)
    if x10 is not None:
        return x10, ""
    below = [p for p in pts if p.rate <= per.PER_TARGET]
    return (below[0].params[axis], "≤ ") if below else (None, "")


def _per_plot_series(label, pts, axis, style):
    seen = [p for p in pts if p.result["errors"] > 0]
    return {"label": label, "x": [p.params[axis] for p in seen], "y": [p.rate for p in seen],
            "low": [p.ci[0] for p in seen], "high": [p.ci[1] for p in seen], "style": style}


def _cli(ctx, channels: str, rates: str) -> str:
    return f"python -m mesh_phy.per --channel {channels} --rates {rates} --genie full --seed 1" + \
        (" --quick" if ctx.quick else "")


@kpi("AI-PHY", title="anti-interference at the PHY: SIR for 10 % PER", spec="anti-interference is research "
     "content (no figure); measured under tone, partial-band and co-channel OFDM jammers",
     command="python -m mesh_phy.per --channel tone,partial,ofdm --rates 6 --genie full --seed 1 [--quick]",
     order=60, chip="A")
def phy_jammers(ctx):
    curves = ctx.sweep([per_series(ctx, ch, RATE) for ch in JAMMERS])
    at = {}
    series = []
    for ch, pts, style in zip(JAMMERS, curves, ("o-", "s-", "^-"), strict=True):
        at[ch] = _per_at_target(pts, "sir_db")
        series.append(_per_plot_series(ch, pts, "sir_db", style))
    plot = xy_plot(series, title=f"PER of 1000-byte PSDUs at {RATE} Mbit/s under jammers (SNR {JAM_SNR_DB:g} dB, "
                   "95 % Wilson bars)", xlabel="SIR (dB)", ylabel="PER", logy=True,
                   hlines=[(per.PER_TARGET, "10 % PER")])
    missing = [k for k, (v, _) in at.items() if v is None]
    if missing:
        return not_measured(f"the PER under {', '.join(missing)} did not fall to 10 % within the SIR grid", plot=plot)
    worst = max(at, key=lambda k: at[k][0])
    text = "; ".join(f"{k} {how}{v:.1f} dB" for k, (v, how) in at.items())
    return measured(at[worst][0], "dB", better="lower", plot=plot, digits=3,
                    shown=f"{at[worst][1]}{at[worst][0]:.1f} dB SIR ({worst})",
                    detail=f"SIR at which the PER of 1000-byte PSDUs at {RATE} Mbit/s reaches 10 %, full "
                           f"synchronisation, CFO ±100 kHz, SNR {JAM_SNR_DB:g} dB: {text}; the value is the worst "
                           "jammer (≤: the next point lost no packet, an upper bound). Points stop at "
                           f"{ctx.pick(10, 50)} lost packets or {ctx.pick(60, 1000)} packets. "
                           f"Reproduce: {_cli(ctx, 'tone,partial,ofdm', str(RATE))}")


@kpi("PHY-sens", title="receiver sensitivity (SNR for 10 % PER)", spec="IEEE 802.11a-1999 17.3.10.1: PER ≤ 10 % "
     "at −82 dBm (6 Mbit/s, 1000-byte PSDU) = 9 dB SNR with a 10 dB noise figure",
     command="python -m mesh_phy.per --channel awgn --rates 6 --genie full --seed 1 [--quick]", order=200, chip="PHY")
def sensitivity(ctx):
    rates = ctx.pick([RATE], [6, 24, 54])
    curves = ctx.sweep([per_series(ctx, "awgn", r) for r in rates])
    lines, series, value = [], [], None
    for r, pts, style in zip(rates, curves, ("o-", "s-", "^-"), strict=False):
        x10, how = _per_at_target(pts, "snr_db")
        series.append(_per_plot_series(f"{r} Mbit/s", pts, "snr_db", style))
        req = per.REQUIRED_SNR_DB[r]
        lines.append(f"{r} Mbit/s: {'not reached' if x10 is None else f'{how}{x10:.2f} dB'} (required {req:g} dB)")
        if r == RATE:
            value = x10
    plot = xy_plot(series, title="PER of 1000-byte PSDUs in AWGN (full sync, CFO ±100 kHz)", xlabel="SNR (dB)",
                   ylabel="PER", logy=True, hlines=[(per.PER_TARGET, "10 % PER")],
                   vlines=[(per.REQUIRED_SNR_DB[r], f"required, {r} Mbit/s") for r in rates])
    if value is None:
        return not_measured(f"the {RATE} Mbit/s AWGN curve did not cross 10 % PER within its grid", plot=plot)
    return measured(value, "dB", limit=per.REQUIRED_SNR_DB[RATE], better="lower", plot=plot, shown=f"{value:.2f} dB",
                    detail="SNR (signal over noise in 20 MHz) at which 10 % of 1000-byte PSDUs are lost, interpolated "
                           "between the measured points; " + "; ".join(lines) + f". The project's design margin is "
                           f"{per.REQUIRED_MARGIN_DB:g} dB. Reproduce: {_cli(ctx, 'awgn', ','.join(map(str, rates)))}")


@lru_cache(maxsize=1)
def _union_at_1e5() -> float:
    grid = np.linspace(2.0, 7.0, 5001)
    return float(grid[np.argmax(ber.union_bound(grid, "soft") <= 1e-5)])


@kpi("PHY-BER", title="coded BER 1e-5 (6 Mbit/s, soft decision)", spec="no figure; theory: the union bound of "
     "the K=7 rate-1/2 code", command="python -m kpi --only PHY-BER", order=210, chip="PHY")
def coded_ber(ctx):
    ebn0 = ctx.pick([2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0], [1.0 + 0.25 * k for k in range(21)])
    s = Series(ber.curve_name("soft", RATE), "mesh_phy.kpis:ber_chunk",
               tuple({"curve": "soft", "rate_mbps": RATE, "ebn0_db": x} for x in ebn0), SOURCES,
               target_errors=100, max_trials=ctx.pick(4_000_000, 200_000_000),
               chunk_trials=ctx.pick(500_000, 4_000_000), end_below=0.0)
    (pts,) = ctx.sweep([s])
    xs = [p.params["ebn0_db"] for p in pts]
    x5 = stats.crossing(xs, [p.rate for p in pts], 1e-5)
    seen = [p for p in pts if p.result["errors"] > 0]
    grid = np.linspace(min(ebn0), max(ebn0), 60)
    plot = xy_plot([{"label": "measured (95 % Wilson)", "x": [p.params["ebn0_db"] for p in seen],
                     "y": [p.rate for p in seen], "low": [p.ci[0] for p in seen], "high": [p.ci[1] for p in seen]},
                    {"label": "union bound", "x": list(grid), "y": list(ber.union_bound(grid, "soft")),
                     "style": "--"}],
                   title=f"BER at {RATE} Mbit/s (BPSK, rate 1/2, 6-bit soft Viterbi), AWGN", xlabel="Eb/N0 (dB)",
                   ylabel="BER", logy=True, hlines=[(1e-5, "1e-5")])
    bits = sum(p.result["trials"] for p in pts)
    detail = (f"{len(pts)} points, {bits:,} bits in chunks of {s.chunk_trials:,} (each on its own seed); a point "
              f"stops at 100 bit errors or {s.max_trials:,} bits; union bound crosses 1e-5 at "
              f"{_union_at_1e5():.2f} dB.")
    if x5 is None:
        return not_measured("BER 1e-5 not bracketed by the measured points (raise the bit cap: --full)", plot=plot,
                            detail=detail)
    return measured(x5, "dB", limit=None, plot=plot, shown=f"{x5:.2f} dB Eb/N0", detail=detail)
