"""Chip A's network and security KPIs for the KPI report (:mod:`kpi`):
air-interface latency (A3), transmit current (A4), point-to-point and
point-to-multipoint delivery (A5), delivery under a jammer
(anti-interference), handshake time (A7) — docs/spec.md — and the software
link-encryption measurement (:func:`link_point`) that the encryption
throughput KPI of :mod:`rtl_verif.kpis` sets beside the SM4 core's.

The network KPIs come from the mesh network simulator
:func:`protocol.netsim.run` over several seeds (one sweep point each, run by
:func:`netsim_point`): a swarm of drones (:func:`protocol.netsim.swarms.swarm`)
beside a ground station, each drone sending 32 bytes to the ground every
50 ms and the ground sending 64-byte commands to a multicast group of
drones, keyed by the fleet's EDHOC handshakes; radios at +16 dBm maximum
output. While the simulator is not in the tree the rows say "not measured".

Timing rows (throughput, handshake compute time) are measured on one core
of the machine that runs the report, with the load average beside them.
"""

import importlib.util
import os
import time

from kpi.registry import kpi, measured, not_measured, xy_plot
from kpi.sweep import Series
from protocol import airtime
from protocol import frames as F

NETSIM_SOURCES = ("protocol/**/*.py", "mesh_phy/**/*.py", "mesh_phy/data/*", "crypto/*.py", "argcheck/*.py")
LINK_SOURCES = ("protocol/*.py", "protocol/fleet/*.py", "crypto/*.py", "mesh_phy/coding/*.py", "mesh_phy/tx.py",
                "argcheck/*.py", "benchmarks/timing.py")
TX_POWER_DBM = 16.0  # the swarm's maximum output power (see A4)
LATENCY_LIMIT_US = 1000.0  # SPEC A3: < 1 ms
CURRENT_LIMIT_MA = 200.0  # SPEC A4: < 200 mA
DELIVERY_TARGET = 0.99  # project target (the spec asks for P2P/P2MP without a figure)
HANDSHAKE_RATE = 24  # Mbit/s: the simulator's default data rate
JAMMER = {"channels": [0, 1, 2], "power_dbm": 30.0, "kind": "partial_band"}


def _netsim_missing() -> str | None:
    """Why the simulator cannot run here (None: it can)."""
    try:
        found = importlib.util.find_spec("protocol.netsim") is not None
    except (ImportError, ValueError):
        found = False
    return None if found else "the network simulator (protocol.netsim) is not in this tree yet"


def scenario(params: dict) -> dict:
    """The scenario dict of a sweep point: ``drones``, ``duration_s``,
    ``group`` (members of the command group), ``jammer`` (bool: a
    partial-band jammer on 3 of the 6 channels, 30 dBm EIRP, 50 m above the
    swarm, from the end of the warm-up)."""
    from protocol.netsim.swarms import swarm

    sc = swarm(int(params["drones"]), duration_s=float(params["duration_s"]), group=int(params["group"]))
    sc["radio"]["tx_power_dbm"] = float(params.get("tx_power_dbm", TX_POWER_DBM))
    if params.get("jammer"):
        spacing = 60.0
        sc["jammers"] = [{**JAMMER, "position_m": [spacing, spacing, 150.0], "start_s": sc.get("warmup_s", 2.0)}]
    return sc


def netsim_point(params: dict, rng) -> dict:
    """One simulator run on a seed from ``rng``: latency percentiles, delivery
    of the unicast flows and of the multicast group, supply current."""
    from protocol.netsim import run

    n = int(params["drones"])
    r = run(scenario(params), seed=int(rng.integers(2**31 - 1)))
    from protocol.netsim.swarms import GROUND

    flows = r["delivery_ratio"]["flows"]
    current = [c for a, c in r["current_ma"].items() if int(a) != GROUND]  # the drones: the chip of the spec
    return {"hop_us": r["hop_latency_us"], "e2e_us": r["e2e_latency_us"],
            "hop_samples": r["latency_budget_us"]["hop_samples"], "unicast": flows[:n],
            "multicast": r["multicast"]["delivery"] if params["group"] else None,
            "peak_ma": max(c["peak"] for c in current), "mean_ma": max(c["mean"] for c in current),
            "ground_peak_ma": r["current_ma"][str(GROUND)]["peak"],
            "keyed_ms": r["keying"].get("complete_ms"), "sim_s": r["duration_s"]}


def netsim_series(ctx, jammer: bool = False) -> Series:
    p = {"drones": ctx.pick(4, 9), "duration_s": ctx.pick(4.0, 12.0), "group": ctx.pick(3, 6), "jammer": jammer}
    return Series("netsim/swarm" + ("/jammed" if jammer else ""), "protocol.kpis:netsim_point",
                  tuple({**p, "replica": k} for k in range(ctx.pick(2, 8))), NETSIM_SOURCES)


def _runs(ctx, jammer: bool = False):
    """(simulator runs of the swarm, None) or (None, why they cannot run)."""
    why = _netsim_missing()
    return (None, why) if why else (ctx.sweep([netsim_series(ctx, jammer)])[0], None)


def _scene(ctx) -> str:
    return (f"{ctx.pick(4, 9)} drones and a ground station, {ctx.pick(4, 12)} s simulated (2 s of keying), "
            f"{ctx.pick(2, 8)} seeds, +{TX_POWER_DBM:g} dBm")


@kpi("A3", title="air-interface latency", spec="below 1 ms", command="python -m kpi --only A3", order=10, chip="A")
def latency(ctx):
    pts, why = _runs(ctx)
    if why:
        return not_measured(why)
    worst = max(p.result["hop_us"]["p99999"] for p in pts)
    hops = sum(p.result["hop_samples"] for p in pts)
    seeds = list(range(len(pts)))
    plot = xy_plot([{"label": q, "x": seeds, "y": [p.result["hop_us"][k] for p in pts], "style": s}
                    for q, k, s in (("p50", "p50", "o-"), ("p99", "p99", "s-"), ("p99.999", "p99999", "^-"))],
                   title="per-hop air-interface latency of data frames, per seed", xlabel="seed (point index)",
                   ylabel="latency (µs)", hlines=[(LATENCY_LIMIT_US, "1 ms")])
    e2e = max(p.result["e2e_us"]["p99999"] for p in pts)
    return measured(worst, "µs", limit=LATENCY_LIMIT_US, strict=True, plot=plot, shown=f"{worst:.0f} µs (p99.999)",
                    detail=f"99.999th percentile (nearest rank; the maximum with fewer than 100,000 samples) of the "
                           f"per-hop latency of data frames — MAC queue to first correct reception at the next hop, "
                           f"retransmissions included — worst over the seeds; {hops} hops; {_scene(ctx)}. End to end "
                           f"p99.999: {e2e:.0f} µs.")


@kpi("A4", title="transmit current", spec="below 200 mA", command="python -m kpi --only A4", order=20, chip="A")
def current(ctx):
    pts, why = _runs(ctx)
    if why:
        return not_measured(why)
    from protocol.netsim.energy import Currents

    peak = max(p.result["peak_ma"] for p in pts)
    mean = max(p.result["mean_ma"] for p in pts)
    gpeak = max(p.result.get("ground_peak_ma", 0.0) for p in pts)
    c = Currents()
    powers = [x / 2 for x in range(0, 53)]
    plot = xy_plot([{"label": "I_TX(P) of the radio model", "x": powers, "y": [c.tx_ma(p) for p in powers],
                     "style": "-"},
                    {"label": "measured peak", "x": [TX_POWER_DBM], "y": [peak], "style": "o"}],
                   title="supply current while transmitting (protocol.netsim.energy)", xlabel="output power (dBm)",
                   ylabel="current (mA)", hlines=[(CURRENT_LIMIT_MA, "200 mA")],
                   vlines=[(c.max_power_for(CURRENT_LIMIT_MA), "highest power within 200 mA")])
    return measured(peak, "mA", limit=CURRENT_LIMIT_MA, strict=True, plot=plot, shown=f"{peak:.1f} mA (peak)",
                    detail=f"highest supply current any drone (the chip of the spec) drew (transmitting at up "
                           f"to +{TX_POWER_DBM:g} dBm; unicast frames at the power the link needs) over "
                           f"{_scene(ctx)}; the highest mean current of a drone was {mean:.1f} mA. The ground "
                           f"station, mains powered, drew up to {gpeak:.0f} mA with its chains sending at once. "
                           f"The radio model (protocol.netsim.energy) stays "
                           f"within 200 mA up to +{c.max_power_for(CURRENT_LIMIT_MA):.1f} dBm; at +20 dBm it draws "
                           f"{c.tx_ma(20.0):.0f} mA.")


def _delivery(pts, key: str) -> list:
    """Delivery ratio per run: mean over the unicast flows, or the multicast group's."""
    if key == "unicast":
        return [sum(p.result["unicast"]) / len(p.result["unicast"]) for p in pts]
    return [p.result["multicast"] for p in pts]


def _delivery_plot(title, series):
    return xy_plot([{"label": label, "x": list(range(len(ys))), "y": [100 * y for y in ys]} for label, ys in series],
                   title=title, xlabel="seed (point index)", ylabel="delivered (%)",
                   hlines=[(100 * DELIVERY_TARGET, "99 % (project target)")])


@kpi("A5-P2P", title="point-to-point delivery", spec="point-to-point ad-hoc networking (no figure; project "
     "target ≥ 99 % delivered)", command="python -m kpi --only A5-P2P", order=30, chip="A")
def p2p(ctx):
    pts, why = _runs(ctx)
    if why:
        return not_measured(why)
    per_seed = _delivery(pts, "unicast")
    value = sum(per_seed) / len(per_seed)
    worst = min(min(p.result["unicast"]) for p in pts)
    return measured(100 * value, "%", limit=100 * DELIVERY_TARGET, better="higher", shown=f"{100 * value:.2f} %",
                    plot=_delivery_plot("unicast delivery to the ground station, per seed", [("unicast", per_seed)]),
                    detail=f"packets delivered end to end (drone → ground station, multi-hop where needed, "
                           f"authenticated and encrypted) over packets sent, mean over flows and seeds; worst flow "
                           f"{100 * worst:.2f} %; {_scene(ctx)}.")


@kpi("A5-P2MP", title="point-to-multipoint delivery", spec="point-to-multipoint ad-hoc networking (no figure; "
     "project target ≥ 99 % delivered)", command="python -m kpi --only A5-P2MP", order=31, chip="A")
def p2mp(ctx):
    pts, why = _runs(ctx)
    if why:
        return not_measured(why)
    per_seed = _delivery(pts, "multicast")
    value = sum(per_seed) / len(per_seed)
    return measured(100 * value, "%", limit=100 * DELIVERY_TARGET, better="higher", shown=f"{100 * value:.2f} %",
                    plot=_delivery_plot("multicast delivery (each member's copy), per seed",
                                        [("multicast", per_seed)]),
                    detail=f"copies of the ground station's group commands delivered to the {ctx.pick(3, 6)} group "
                           f"members (group key per epoch) over copies due, mean over seeds; {_scene(ctx)}.")


@kpi("AI", title="anti-interference delivery", spec="anti-interference (research content, no figure; project "
     "target ≥ 99 % delivered under a jammer)", command="python -m kpi --only AI", order=50, chip="A")
def jammed(ctx):
    pts, why = _runs(ctx, jammer=True)
    if why:
        return not_measured(why)
    jam = _delivery(pts, "unicast")
    clean = _delivery(_runs(ctx)[0], "unicast")
    value = sum(jam) / len(jam)
    lat = max(p.result["hop_us"]["p99999"] for p in pts)
    return measured(100 * value, "%", limit=100 * DELIVERY_TARGET, better="higher", shown=f"{100 * value:.2f} %",
                    plot=_delivery_plot("unicast delivery with and without the jammer, per seed",
                                        [("jammed", jam), ("clean", clean)]),
                    detail=f"unicast delivery with a partial-band jammer ({JAMMER['power_dbm']:g} dBm EIRP on "
                           f"{len(JAMMER['channels'])} of the 6 hopping channels, 50 m above the swarm, on after the "
                           f"keying) — the MAC hops and blacklists; without the jammer "
                           f"{100 * sum(clean) / len(clean):.2f} %; per-hop p99.999 latency under the jammer "
                           f"{lat:.0f} µs; {_scene(ctx)}.")


def _loadavg() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def link_point(params: dict, rng) -> dict:
    """Frames per second of :meth:`protocol.security.SecureLink.protect`
    (header, CCM* MIC 8 under ``cipher``, FCS) for data frames carrying
    ``payload`` bytes, on one core, and the secured frame's length."""
    from benchmarks.timing import best_time
    from protocol.security import LinkKey, SecureLink

    link = SecureLink(0x0010)
    link.install(LinkKey(1, rng.bytes(16), params["cipher"], 8), 0x0001)
    out = {}
    for size in params["payloads"]:
        frame = {"type": "data", "version": 0, "seq": 1, "net": 0x4D53, "dst": 0x0001, "src": 0x0010,
                 "ack_req": False, "mesh": {"hop_limit": 3, "originator": 0x0010, "final_dst": 0x0001, "mesh_seq": 1},
                 "options": None, "security": None, "body": {"proto": "mavlink2", "payload": rng.bytes(size)}}
        length = len(link.protect(frame))
        t = best_time(lambda f=frame: link.protect(f), repeat=params["repeat"], min_time=0.1)
        out[str(size)] = {"fps": 1.0 / t, "frame_bytes": length}
    return {"rates": out, "loadavg": _loadavg()}


def handshake_point(params: dict, rng) -> dict:
    """Compute time (both ends, one core) of a real fleet handshake: two
    freshly enrolled nodes exchange message_1..3 in handshake frames
    (certificates by value, as the fleet sends them); median over
    ``repeat`` pairs, and the three frames' lengths."""
    from protocol.fleet import FleetAuthority

    authority = FleetAuthority(params["suite"], params["method"])
    times, sizes = [], None
    for k in range(params["repeat"]):
        uav, station = authority.enrol(0x0100 + 2 * k), authority.enrol(0x0101 + 2 * k)
        t0 = time.perf_counter()
        f1 = uav.start_handshake(station.address)
        (f2,) = station.receive(f1)
        (f3,) = uav.receive(f2)
        station.receive(f3)
        times.append(time.perf_counter() - t0)
        if station.address not in uav.link.pairwise or uav.address not in station.link.pairwise:
            raise RuntimeError("the timed handshake did not key both nodes")
        sizes = [len(f1), len(f2), len(f3)]
    times.sort()
    return {"compute_ms": 1e3 * times[len(times) // 2], "frame_bytes": sizes, "loadavg": _loadavg()}


@kpi("A7-hs", title="handshake time", spec="authenticated links among aircraft and ground stations (no figure)",
     command="python -m kpi --only A7-hs", order=71, chip="A")
def handshake(ctx):
    combos = [(3, -24), (0, -24), (3, 2), (0, 2)]
    s = Series("link/handshake", "protocol.kpis:handshake_point",
               tuple({"method": m, "suite": su, "repeat": ctx.pick(3, 15), "host": os.uname().nodename,
                      "cpus": os.cpu_count()} for m, su in combos), LINK_SOURCES)
    (pts,) = ctx.sweep([s])
    rows = []
    for p in pts:
        air = sum(airtime.airtime_us(b, HANDSHAKE_RATE) for b in p.result["frame_bytes"]) / 1e3
        rows.append((p.params["method"], p.params["suite"], p.result["compute_ms"], air))
    m, su, comp, air = rows[0]
    text = "; ".join(f"method {a}, suite {b}: {c:.1f} ms compute + {d:.2f} ms air" for a, b, c, d in rows)
    plot = xy_plot([{"label": "compute (both ends, one core)", "x": list(range(len(rows))), "y": [r[2] for r in rows],
                     "style": "o"},
                    {"label": f"air time at {HANDSHAKE_RATE} Mbit/s", "x": list(range(len(rows))),
                     "y": [r[3] for r in rows], "style": "s"}],
                   title="fleet handshake: " + ", ".join(f"{i}: m{a}/s{b}" for i, (a, b, _, _) in enumerate(rows)),
                   xlabel="method / suite (index)", ylabel="time (ms)", logy=True)
    return measured(comp + air, "ms", plot=plot, shown=f"{comp + air:.1f} ms (method {m}, suite {su})",
                    detail=f"one EDHOC handshake between two enrolled nodes in handshake frames, certificates by "
                           f"value: compute at both ends (median of {ctx.pick(3, 15)}, one core, load average "
                           f"{pts[0].result['loadavg']}) plus the air time of the three frames at {HANDSHAKE_RATE} "
                           f"Mbit/s (IEEE 802.11a-1999 17.3.2.4, no contention); {text}. Frames: "
                           f"{pts[0].result['frame_bytes']} bytes (≤ {F.MAX_FRAME}).")
