"""Count the data hops over a latency limit, seed by seed: the README's tail figures.

    python tools/hop_tail.py WHAT DURATION_S SEEDS [--over US] [--jobs N]

WHAT is a drone count (``protocol.netsim.swarms.swarm(WHAT, duration_s=DURATION_S,
seed=s)``) or a scenario file (run with ``seed=s``, its ``duration_s`` kept
unless DURATION_S > 0). SEEDS is ``1-12`` or ``1,3,5``. Prints one line per
seed — data hops, hops over ``--over`` µs (default 1000), the worst hop (µs),
retransmissions, delivery — and a total line, e.g. the README's 101-node
figure: ``python tools/hop_tail.py 100 12 1-12 --jobs 2``. Runs seeds in
``--jobs`` processes (default 1); each run is the plain deterministic run
(same trace hash as ``protocol.netsim.run``).
"""

import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argcheck  # noqa: E402
from argcheck.cli import Parser, guard  # noqa: E402
from protocol.netsim import swarms  # noqa: E402
from protocol.netsim.__main__ import load  # noqa: E402
from protocol.netsim.run import run_world  # noqa: E402


def seeds_of(text: str) -> list:
    """``1-12`` or ``1,3,5`` -> a list of seeds (each 0 ..< 2**32); ValueError names what is wrong."""
    return argcheck.seed_list(text, "SEEDS", ValueError)


def scenario_of(what: str, duration_s: float, seed: int) -> dict:
    """The scenario to run for ``seed``: a swarm of ``what`` drones, or the file ``what``."""
    if what.isdigit():
        return swarms.swarm(int(what), duration_s=duration_s, seed=seed)
    sc = load(what)
    if not isinstance(sc, dict):
        raise ValueError(f"{what}: a scenario is a JSON object")
    if duration_s > 0:
        sc["duration_s"] = duration_s
    return sc


def tail(what: str, duration_s: float, seed: int, over_us: float) -> dict:
    """One run's tail: {"seed", "hops", "over", "worst_us", "retx", "delivery"}."""
    r, w = run_world(scenario_of(what, duration_s, seed), seed)
    lat = [h[0] for h in w.metrics.hops]
    return {"seed": seed, "hops": len(lat), "over": sum(x > over_us for x in lat),
            "worst_us": round(max(lat), 1) if lat else None, "retx": r["mac"].get("retx", 0),
            "delivery": r["delivery_ratio"]["overall"]}


def _main(argv=None) -> int:
    ap = Parser(prog="tools/hop_tail.py", description=__doc__.splitlines()[0])
    ap.add_argument("what", help="drone count, or a scenario JSON file")
    ap.add_argument("duration_s", type=float, help="run length (s); 0 keeps a scenario file's")
    ap.add_argument("seeds", help="1-12 or 1,3,5")
    ap.add_argument("--over", type=float, default=1000.0, help="latency limit (µs), default 1000")
    ap.add_argument("--jobs", type=int, default=1, help="processes (default 1)")
    a = ap.parse_args(argv)
    seeds = seeds_of(a.seeds)
    if a.jobs < 1:
        raise ValueError(f"--jobs must be >= 1, got {a.jobs}")
    if not a.what.isdigit() and not Path(a.what).is_file():
        raise ValueError(f"{a.what!r} is neither a drone count nor a scenario file")
    if a.what.isdigit() and a.duration_s <= 0:
        raise ValueError(f"DURATION_S must be > 0 for a swarm, got {a.duration_s}")
    scenario_of(a.what, a.duration_s, seeds[0])  # a bad scenario fails here, once, with its typed error
    args = [(a.what, a.duration_s, s, a.over) for s in seeds]
    if a.jobs == 1:
        rows = [tail(*x) for x in args]
    else:
        with ProcessPoolExecutor(a.jobs) as pool:
            rows = list(pool.map(tail, *zip(*args, strict=True)))
    for row in rows:
        delivery = "none expected" if row["delivery"] is None else f"{row['delivery']:.5f}"
        print(f"seed {row['seed']}: {row['over']} of {row['hops']} hops over {a.over:g} µs, "
              f"worst {row['worst_us']} µs, {row['retx']} retransmissions, delivery {delivery}")
    worst = max((r["worst_us"] for r in rows if r["worst_us"] is not None), default=None)
    print(f"total: {sum(r['over'] for r in rows)} of {sum(r['hops'] for r in rows)} hops over {a.over:g} µs "
          f"in {len(rows)} seeds, worst {worst} µs, {sum(r['retx'] for r in rows)} retransmissions")
    return 0


def main(argv=None) -> int:
    """A bad argument or scenario prints one line and exits 2."""
    return guard(_main, argv, prog="tools/hop_tail.py")


if __name__ == "__main__":
    sys.exit(main())
