"""``python -m protocol.netsim SCENARIO.json [--seed N] [--json] [--plot [PREFIX]] [--quiet]``

Runs the scenario with a progress bar on stderr and prints a summary (or,
with ``--json``, the result dict as JSON on stdout). ``--plot PREFIX``
writes ``PREFIX_latency.png`` (per-hop and end-to-end latency CDFs) and
``PREFIX_delivery.png`` (delivery over time), making PREFIX's folder if
needed, and names them on stderr; PREFIX defaults to
``build/netsim_<scenario name>`` (gitignored: the committed figures in
``docs/`` are drawn with an explicit ``--plot docs/netsim_<name>``). A bad
scenario or argument prints one line on stderr and exits with status 2.
"""

import json
import sys
from pathlib import Path

from argcheck.cli import QUICK_DIR, Parser, guard
from protocol.netsim.scenario import ScenarioError

PROG = "python -m protocol.netsim"
PLOT_DIR = Path(QUICK_DIR)  # the default --plot folder (gitignored), relative to the working directory


def _object(pairs: list) -> dict:
    """A JSON object that names no key twice (json's default keeps the last silently)."""
    out = {}
    for k, v in pairs:
        if k in out:
            raise ScenarioError(f"key {k!r} appears twice in one object")
        out[k] = v
    return out


def load(path: str) -> dict:
    """The JSON scenario file at ``path``: a ScenarioError names the file and why it is not one
    (unreadable, not UTF-8, not JSON, a key twice in one object, too deep, a number too long)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path} is not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text, object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{path} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise ScenarioError(f"{path} nests too deeply") from None
    except ScenarioError as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    except ValueError as exc:  # an integer beyond Python's digit limit
        raise ScenarioError(f"{path}: a number is too long ({str(exc).split('(')[0].strip()})") from None


def summary(r: dict) -> str:
    def q(d):
        return " / ".join("-" if d[k] is None else f"{d[k]:.1f}" for k in ("p50", "p99", "p99999", "max"))
    d = r["delivery_ratio"]
    lines = [
        f"nodes {r['nodes']}, {r['duration_s']} s simulated in {r['wall_s']} s ({r['events_per_s']} events/s), "
        f"seed {r['seed']}",
        f"delivery overall {d['overall']}, per flow {d['flows']}",
        f"per-hop latency us p50/p99/p99.999/max: {q(r['hop_latency_us'])} "
        f"({r['latency_budget_us']['hop_samples']} hops)",
        f"end-to-end latency us p50/p99/p99.999/max: {q(r['e2e_latency_us'])}",
        f"loops {r['loops']}, duplicates {r['duplicates']}, multicast {r['multicast']}",
        f"convergence ms {r['convergence_ms']}, purge ms {r['purge_ms']}",
        f"keying {r['keying']}",
        f"overhead {r['overhead_bytes_per_node_s']} bytes/node/s, drops {r['drops']}",
        f"routes {r['routes']}",
        f"slot budget us {r['latency_budget_us']['slot']}",
    ]
    peaks = {}
    for a, c in r["current_ma"].items():
        peaks.setdefault(round(c["peak"], 1), []).append(a)
    mean = sum(c["mean"] for c in r["current_ma"].values()) / max(1, len(r["current_ma"]))
    lines.append(f"current mA: mean over nodes {mean:.1f}; peak -> nodes {peaks}")
    lines.append(f"PER table: {r['per_table']}; trace {r['trace_sha256'][:16]}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = Parser(prog=PROG, description="Discrete-event simulation of the drone mesh network.")
    ap.add_argument("scenario", help="scenario JSON file")
    ap.add_argument("--seed", type=int, default=None, help="seed (overrides the scenario's)")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--plot", nargs="?", const="", default=None, metavar="PREFIX",
                    help="write PREFIX_latency.png and PREFIX_delivery.png "
                         "(default PREFIX: build/netsim_<scenario name>)")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    if args.seed is not None and args.seed < 0:
        raise ScenarioError(f"--seed must be >= 0, got {args.seed}")
    scenario = load(args.scenario)
    from protocol.netsim.run import World
    from protocol.netsim.scenario import validate
    sc = validate(scenario, args.seed)
    bar = None
    if not args.quiet:
        from tqdm import tqdm
        bar = tqdm(total=round(sc.duration_s, 3), unit="sim s", file=sys.stderr, leave=False,
                   bar_format="{l_bar}{bar}| {n:.2f}/{total} sim s [{elapsed}<{remaining}]")

    def progress(t_s):
        if bar is not None:
            bar.update(round(min(t_s, sc.duration_s) - bar.n, 3))  # tqdm redraws at most every mininterval
    world = World(sc, progress=progress)
    result = world.run()
    if bar is not None:
        bar.close()
    if args.plot is not None:
        from protocol.netsim.plot import plots
        prefix = args.plot or str(PLOT_DIR / f"netsim_{Path(args.scenario).stem}")
        Path(prefix).parent.mkdir(parents=True, exist_ok=True)
        for p in plots(result, world.samples, prefix, title=Path(args.scenario).stem):
            print(f"wrote {p}", file=sys.stderr)
    print(json.dumps(result, indent=1) if args.json else summary(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(guard(main, prog=PROG))
