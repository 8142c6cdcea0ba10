"""The KPI registry: every KPI of the chip spec, contributed by the
packages that measure it.

A package contributes KPIs in its own ``kpis.py`` (``mesh_phy/kpis.py``,
``protocol/kpis.py``, ...): one function per KPI, decorated with
:func:`kpi`, that takes a :class:`Context` and returns a :class:`Result`
(:func:`measured` or :func:`not_measured`)::

    @kpi("B4", title="angle error at > 200,000 rpm", spec="within ±0.45°",
         command="python -m kpi --only B4", order=40)
    def angle_error(ctx):
        (points,) = ctx.sweep([Series(...)])
        worst = max(p.result["max_err_deg"] for p in points)
        return measured(worst, "°", limit=0.45, detail="...", plot=xy_plot(...))

:func:`discover` imports every top-level package's ``kpis`` module, so a new
capability adds its KPI in one place. Heavy work goes through
``ctx.sweep`` (the one sweep runner: any backend, cached, seeded per point).

A :class:`Result` carries the value, unit, limit and its sense (``better``:
"lower" — the value must stay below the limit; "higher" — above it), whether
the limit itself fails (``strict``: "< 1 ms"), a one-line detail, plot data
(:func:`xy_plot`), or the reason it was not measured. The margin is
``limit − value`` for "lower" and ``value − limit`` for "higher", in the
value's unit: positive passes.
"""

import importlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import argcheck
from kpi import cache as _cache
from kpi.errors import KpiError

ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9.\-]{0,23}$")
BETTER = ("lower", "higher")


class Result(NamedTuple):
    value: float | None
    unit: str
    shown: str  # the value as printed
    limit: float | None
    better: str | None
    strict: bool
    detail: str
    plot: dict | None
    reason: str | None  # why not measured

    @property
    def margin(self) -> float | None:
        if self.value is None or self.limit is None:
            return None
        return self.limit - self.value if self.better == "lower" else self.value - self.limit

    @property
    def verdict(self) -> str:
        if self.value is None:
            return "not measured"
        if self.limit is None:
            return "no limit"
        m = self.margin
        return "pass" if (m > 0 if self.strict else m >= 0) else "FAIL"


def _fmt(v: float, digits: int) -> str:
    if v == 0 or not math.isfinite(v):
        return f"{v:g}"
    if abs(v) >= 10 ** digits:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}" if abs(v) >= 1e-3 else f"{v:.{digits}e}"


def measured(value, unit: str, *, limit=None, better: str = "lower", strict: bool = False, detail: str = "",
             plot: dict | None = None, digits: int = 3, shown: str | None = None) -> Result:
    """A measured KPI: ``value`` (a finite number) in ``unit`` against
    ``limit`` (None: the spec gives no figure)."""
    v = argcheck.real(value, "value", KpiError)
    unit = argcheck.text(unit, "unit", KpiError, max_len=40)
    lim = None if limit is None else argcheck.real(limit, "limit", KpiError)
    better = argcheck.one_of(better, "better", KpiError, BETTER)
    digits = argcheck.integer(digits, "digits", KpiError, lo=1, hi=12)
    text = shown if shown is not None else _fmt(v, digits) + (f" {unit}" if unit and unit not in "°%" else unit)
    return Result(v, unit, argcheck.text(text, "shown", KpiError, max_len=200), lim, better,
                  argcheck.flag(strict, "strict", KpiError), argcheck.text(detail, "detail", KpiError, max_len=4000),
                  _check_plot(plot), None)


def not_measured(reason: str, *, detail: str = "", plot: dict | None = None) -> Result:
    """A KPI that could not be measured, and why."""
    reason = argcheck.text(reason, "reason", KpiError, max_len=1000)
    if not reason.strip():
        raise KpiError("a KPI that is not measured needs a reason")
    return Result(None, "", f"not measured: {reason}", None, None, False,
                  argcheck.text(detail, "detail", KpiError, max_len=4000), _check_plot(plot), reason)


def xy_plot(series, *, title: str, xlabel: str, ylabel: str, logy: bool = False, logx: bool = False,
            hlines=(), vlines=()) -> dict:
    """Plot data for the report: ``series`` is a list of dicts with ``x``,
    ``y`` (equal-length number lists), ``label`` and optionally ``style``
    (a matplotlib format such as "o-"), ``low``/``high`` (error bars);
    ``hlines``/``vlines`` lists of ``(position, label)``."""
    out = {"kind": "xy", "title": title, "xlabel": xlabel, "ylabel": ylabel, "logy": bool(logy), "logx": bool(logx),
           "series": [], "hlines": [[float(p), str(t)] for p, t in hlines],
           "vlines": [[float(p), str(t)] for p, t in vlines]}
    for s in series:
        item = {"label": str(s["label"]), "x": [float(v) for v in s["x"]], "y": [float(v) for v in s["y"]],
                "style": str(s.get("style", "o-"))}
        for k in ("low", "high"):
            if k in s:
                item[k] = [float(v) for v in s[k]]
        out["series"].append(item)
    return _check_plot(out)


def _check_plot(plot):
    if plot is None:
        return None
    if not isinstance(plot, dict) or plot.get("kind") != "xy" or not isinstance(plot.get("series"), list):
        raise KpiError("plot must come from kpi.registry.xy_plot")
    for s in plot["series"]:
        n = len(s["x"])
        if len(s["y"]) != n or any(len(s[k]) != n for k in ("low", "high") if k in s):
            raise KpiError(f"plot series {s.get('label')!r}: x, y (and low/high) must have equal lengths")
    return plot


@dataclass(frozen=True)
class Kpi:
    id: str
    title: str
    spec: str
    command: str
    measure: Callable
    order: float
    chip: str  # "A", "B", "RTL" or "PHY": the report's section

    def __post_init__(self):
        if not isinstance(self.id, str) or not ID_RE.match(self.id):
            raise KpiError(f"KPI id must be 1-24 letters, digits, '.' or '-', starting with a letter, got {self.id!r}")
        for name in ("title", "spec", "command"):
            if not argcheck.text(getattr(self, name), name, KpiError, max_len=400).strip():
                raise KpiError(f"KPI {self.id}: {name} must not be empty")
        argcheck.one_of(self.chip, "chip", KpiError, ("A", "B", "RTL", "PHY"))
        argcheck.real(self.order, "order", KpiError)
        if not callable(self.measure):
            raise KpiError(f"KPI {self.id}: measure must be callable")


REGISTRY: dict[str, Kpi] = {}


def kpi(kpi_id: str, *, title: str, spec: str, command: str, order: float, chip: str):
    """Register the decorated function ``f(ctx) -> Result`` as KPI ``kpi_id``."""

    def register(fn):
        k = Kpi(kpi_id, title, spec, command, fn, order, chip)
        old = REGISTRY.get(kpi_id)
        if old is not None and (old.measure.__module__, old.measure.__qualname__) != (fn.__module__, fn.__qualname__):
            raise KpiError(f"KPI {kpi_id} is registered twice ({old.measure.__module__} and {fn.__module__})")
        REGISTRY[kpi_id] = k
        return fn

    return register


def contributors() -> list[str]:
    """The ``<package>.kpis`` modules of the repository's top-level packages."""
    root = _cache.ROOT
    return sorted(f"{p.parent.name}.kpis" for p in root.glob("*/kpis.py") if (p.parent / "__init__.py").exists())


def discover() -> list[Kpi]:
    """Every registered KPI, in report order (imports every contributor)."""
    for mod in contributors():
        importlib.import_module(mod)
    return sorted(REGISTRY.values(), key=lambda k: (k.order, k.id))


class Context:
    """What a KPI function gets: the mode (``quick``), and :meth:`sweep`,
    which runs series on the report's runner and records what the KPI's
    figures depend on (sources, when they were computed)."""

    def __init__(self, runner, quick: bool):
        self.runner = runner
        self.quick = argcheck.flag(quick, "quick", KpiError)
        self.sources: set[str] = set()
        self.dates: list[str] = []
        self.computed = self.cached = 0
        self.seconds = 0.0

    @property
    def full(self) -> bool:
        return not self.quick

    def pick(self, quick, full):
        """``quick`` in quick mode, else ``full``."""
        return quick if self.quick else full

    def sweep(self, series) -> list:
        """``runner.run(series)`` (see :class:`kpi.sweep.Runner`)."""
        out = self.runner.run(series)
        for s in series:
            self.sources.update(s.sources)
        for pts in out:
            for p in pts:
                self.dates.append(p.utc)
                self.computed += p.computed
                self.cached += p.chunks - p.computed
                self.seconds += p.seconds
        return out
