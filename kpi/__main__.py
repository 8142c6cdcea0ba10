"""``python -m kpi``: measure every KPI of the chip spec and write the report.

::

    python -m kpi                    # quick mode (minutes on 2 cores)
    python -m kpi --full             # the statistically solid version
    python -m kpi --only B4,A3       # some KPIs; their rows replace those in the results file
    python -m kpi --backend processes --workers 2
    python -m kpi --scheduler tcp://host:8786          # a Dask cluster
    python -m kpi render             # no measurement: page, summary, README table from the results file
    python -m kpi list               # the registered KPIs and their commands
    python -m kpi scaling            # speed-up on 1 and 2 workers, cluster estimate (docs/kpi_scaling.md)

Writes ``<out>/kpi_results.json`` (the data), ``<out>/kpi.html`` (every KPI
with spec, value, margin, verdict, command, revision, date and plot) and
``<out>/kpi_summary.md``, and rewrites the README's table between its
``<!-- kpi-table:begin -->`` / ``<!-- kpi-table:end -->`` markers. Sweeps run
on Dask (a ``LocalCluster`` of ``--workers`` processes unless
``--scheduler`` names a cluster), ``processes`` or ``serial``; chunks are
cached under ``build/kpi_cache`` by (code hash, parameters), so a second run
computes only what changed. Exit status 1 when a KPI function failed (its
row says so), 2 for a bad argument.
"""

import json
import os
import sys
import time
from pathlib import Path

import argcheck
from argcheck.cli import Parser, guard
from kpi import backends, collect, readme, report
from kpi.cache import DEFAULT_DIR, ROOT, Cache
from kpi.errors import KpiError
from kpi.registry import discover
from kpi.sweep import Runner

PROG = "python -m kpi"
ACTIONS = ("report", "render", "list", "scaling")


def _select(only: str | None):
    kpis = discover()
    if not only:
        return kpis
    wanted = [w.strip() for w in argcheck.text(only, "--only", KpiError, max_len=2000).split(",") if w.strip()]
    ids = {k.id for k in kpis}
    unknown = [w for w in wanted if w not in ids]
    if unknown:
        raise KpiError(f"unknown KPI id(s) {', '.join(unknown)[:200]}; known: {', '.join(sorted(ids))}")
    return [k for k in kpis if k.id in wanted]


def write_outputs(doc: dict, out: Path, readme_path: Path | None) -> list[Path]:
    """Results JSON, HTML page, Markdown summary, and the README table when
    the README has the markers. Returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    res = out / "kpi_results.json"
    res.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    written.append(res)
    scaling_path = out / "kpi_scaling.json"
    scaling = json.loads(scaling_path.read_text()) if scaling_path.exists() else None
    (out / "kpi.html").write_text(report.html_page(doc, scaling), encoding="utf-8")
    (out / "kpi_summary.md").write_text(report.summary_markdown(doc), encoding="utf-8")
    written += [out / "kpi.html", out / "kpi_summary.md"]
    if readme_path is not None:
        text = readme_path.read_text(encoding="utf-8")
        if readme.has_markers(text):
            new = readme.replace(text, report.markdown_table(doc))
            if new != text:
                readme_path.write_text(new, encoding="utf-8")
                written.append(readme_path)
        else:
            print(f"{readme_path} has no {readme.BEGIN} / {readme.END} markers: table not written", file=sys.stderr)
    return written


def _order(rows):
    rank = {k.id: i for i, k in enumerate(discover())}
    return sorted(rows, key=lambda r: rank.get(r["id"], len(rank)))


def _report(a) -> int:
    kpis = _select(a.only)
    workers = None if a.workers is None else argcheck.integer(a.workers, "--workers", KpiError, lo=1, hi=4096)
    seed = argcheck.integer(a.seed, "--seed", KpiError, lo=0, hi=2**128 - 1)
    out = Path(a.out)
    results_path = out / "kpi_results.json"
    previous = report.load(results_path) if a.only and results_path.exists() else None
    cache = Cache(None if a.no_cache else Path(a.cache))
    t0 = time.monotonic()
    backend = backends.make(a.backend, 1 if a.backend == "serial" and workers is None else workers, a.scheduler)
    print(f"{PROG}: {len(kpis)} KPIs, {'full' if a.full else 'quick'} mode, {backend.describe()}",
          file=sys.stderr, flush=True)
    runner = Runner(backend, cache, base_seed=seed, progress=not a.quiet)
    try:
        threads = a.threads if a.threads is not None else (1 if backend.workers == 1 else min(8, len(kpis)))
        rows, ok = collect.collect(kpis, runner, quick=not a.full, threads=threads)
    finally:
        runner.close()
        backend.close()
    wall = time.monotonic() - t0
    doc = collect.document(rows, backend=backend.describe(), base_seed=seed, wall_s=wall, previous=previous)
    doc["rows"] = _order(doc["rows"])
    files = write_outputs(doc, out, None if a.no_readme else Path(a.readme))
    for r in rows:
        print(f"  {r['id']:<10} {r['verdict']:<13} {r['shown']}")
    print(f"{runner.computed} chunks computed, {runner.cached} from the cache, {wall:.0f} s; wrote "
          + ", ".join(str(f) for f in files))
    return 0 if ok else 1


def _render(a) -> int:
    doc = report.load(Path(a.out) / "kpi_results.json")
    files = write_outputs(doc, Path(a.out), None if a.no_readme else Path(a.readme))
    print("wrote " + ", ".join(str(f) for f in files))
    return 0


def _list(a) -> int:
    for k in _select(a.only):
        print(f"{k.id:<10} {k.title:<40} {k.spec[:60]:<60} {k.command}")
    return 0


def _main(argv) -> int:
    if argv and argv[0] == "scaling":
        from kpi import scaling

        return scaling.main(argv[1:])
    ap = Parser(prog=PROG, description="Measure every KPI of the chip spec and write docs/kpi.html.")
    ap.add_argument("action", nargs="?", default="report", choices=[a for a in ACTIONS if a != "scaling"] + ["scaling"])
    ap.add_argument("--full", action="store_true", help="full statistics (default: quick mode)")
    ap.add_argument("--only", default=None, help="comma-separated KPI ids (see `list`)")
    ap.add_argument("--backend", default="dask", choices=backends.NAMES, help="where sweeps run (default dask)")
    ap.add_argument("--workers", type=int, default=None, help="local workers (default: the CPU count)")
    ap.add_argument("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://host:8786")
    ap.add_argument("--threads", type=int, default=None, help="KPI functions run at once (default: up to 8)")
    ap.add_argument("--seed", type=int, default=1, help="base seed of every sweep (default 1)")
    ap.add_argument("--cache", default=str(DEFAULT_DIR), help="chunk cache folder")
    ap.add_argument("--no-cache", action="store_true", help="compute everything, store nothing")
    ap.add_argument("--out", default=str(ROOT / "docs"), help="folder for the results, page and summary")
    ap.add_argument("--readme", default=str(ROOT / "README.md"), help="README whose table is rewritten")
    ap.add_argument("--no-readme", action="store_true", help="leave the README alone")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    a = ap.parse_args(argv)
    if a.scheduler is not None and a.backend != "dask":
        raise KpiError("--scheduler needs --backend dask")
    if a.threads is not None:
        argcheck.integer(a.threads, "--threads", KpiError, lo=1, hi=64)
    return {"report": _report, "render": _render, "list": _list}[a.action](a)


def main(argv=None) -> int:
    return guard(_main, sys.argv[1:] if argv is None else argv, prog=PROG)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    sys.exit(main())
