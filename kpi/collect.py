"""Run the registered KPIs and gather their rows (the results document).

Each KPI function runs with its own :class:`kpi.registry.Context` on the
shared sweep runner; with ``threads`` > 1 several KPI functions run at once
(their sweeps share the backend's workers). A KPI function that raises is a
bug: its traceback goes to stderr and its row says "not measured" with the
error, so one broken KPI does not hide the others (the CLI then exits 1).

A row (JSON) holds the KPI's id, title, chip, spec and command; the value,
unit, shown text, limit, sense, margin and verdict; the detail, the plot
data or the reason it was not measured; and its provenance: the git HEAD,
whether the KPI's source files differ from HEAD (``dirty``), the code hash
that keys its cached chunks, when its newest chunk was computed, and how
many chunks were computed or taken from the cache.
"""

import datetime as _dt
import subprocess
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor

from kpi import cache as _cache
from kpi.errors import KpiError
from kpi.registry import Context, Kpi, Result, _fmt, not_measured

SCHEMA = 1


def now_utc() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def git(*args) -> str | None:
    """Output of ``git args`` in the repository (None when git fails)."""
    try:
        out = subprocess.run(["git", *args], cwd=_cache.ROOT, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def revision() -> str:
    return git("rev-parse", "--short=12", "HEAD") or "unknown"


def dirty(globs) -> bool | None:
    """True when a file of ``globs`` differs from HEAD or is not committed."""
    if not globs:
        return None
    files = [str(p.relative_to(_cache.ROOT)) for p in _cache.source_files(sorted(globs))]
    out = git("status", "--porcelain", "--", *files)
    return None if out is None else bool(out)


def margin_text(r: Result) -> str:
    m = r.margin
    if m is None:
        return "—"
    if r.unit == "%":  # a margin between percentages is in percentage points
        return f"{m:+.2f} pp"
    unit = r.unit if r.unit in ("°", "%") else (f" {r.unit}" if r.unit else "")
    text = f"{'+' if m > 0 else ''}{_fmt(m, 3)}{unit}"
    if r.limit:
        text += f" ({100 * m / abs(r.limit):+.0f} %)"
    return text


def make_row(k: Kpi, r: Result, ctx: Context, head: str, mode: str) -> dict:
    srcs = sorted(ctx.sources)
    return {
        "id": k.id, "title": k.title, "chip": k.chip, "spec": k.spec, "command": k.command,
        "value": r.value, "unit": r.unit, "shown": r.shown, "limit": r.limit, "better": r.better,
        "strict": r.strict, "margin": r.margin, "margin_shown": margin_text(r), "verdict": r.verdict,
        "detail": r.detail, "reason": r.reason, "plot": r.plot, "mode": mode,
        "revision": head, "dirty": dirty(srcs), "code_hash": _cache.code_hash(srcs)[:12] if srcs else None,
        "measured_utc": max(ctx.dates) if ctx.dates else now_utc(),
        "chunks_computed": ctx.computed, "chunks_cached": ctx.cached, "compute_s": round(ctx.seconds, 3),
    }


def run_kpi(k: Kpi, runner, quick: bool, head: str) -> tuple[dict, bool]:
    """(row, ok) of one KPI."""
    ctx = Context(runner, quick)
    ok = True
    try:
        r = k.measure(ctx)
        if not isinstance(r, Result):
            raise KpiError(f"KPI {k.id} returned {type(r).__name__}, not a kpi.registry.Result")
    except Exception as exc:  # noqa: BLE001 - reported on its row and in the exit status
        traceback.print_exc(file=sys.stderr)
        r = not_measured(f"the measurement failed ({type(exc).__name__}: {' '.join(str(exc).split())[:300]})")
        ok = False
    return make_row(k, r, ctx, head, "quick" if quick else "full"), ok


def collect(kpis, runner, *, quick: bool, threads: int = 1) -> tuple[list[dict], bool]:
    """Rows of ``kpis`` in order, and whether every KPI function ran."""
    head = revision()
    if threads > 1 and len(kpis) > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            out = list(pool.map(lambda k: run_kpi(k, runner, quick, head), kpis))
    else:
        out = [run_kpi(k, runner, quick, head) for k in kpis]
    return [r for r, _ in out], all(ok for _, ok in out)


def document(rows, *, backend: str, base_seed: int, wall_s: float, previous: dict | None = None) -> dict:
    """The results document; rows of ``previous`` that were not re-measured stay (in order of ``ids``)."""
    merged = {r["id"]: r for r in (previous or {}).get("rows", [])}
    merged.update({r["id"]: r for r in rows})
    return {"schema": SCHEMA, "generated_utc": now_utc(), "revision": revision(), "backend": backend,
            "base_seed": base_seed, "wall_s": round(wall_s, 1), "rows": list(merged.values())}
