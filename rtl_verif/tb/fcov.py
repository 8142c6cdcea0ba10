"""Functional coverage of the streaming testbenches (cocotb-coverage).

Covergroups are sampled from the AXI-Stream *monitors* (what was on the bus),
never from the stimulus generator. A block declares its coverpoints as
``Point(name, fn, bins)``: ``fn(txn)`` maps a monitored transaction to one of
the bin labels (strings), so bins are readable in the YAML and the same across
parameter sets and simulators. Crosses name two or more points of one group.

Database: every test writes the simulator's cumulative database (cocotb's
``coverage_db``) to ``build/fcov/<block>/run-<id>/<sim>-<params-tag>-<which>-s<seed>.yml``
(cocotb-coverage's YAML export). ``<id>`` is the *run*: one invocation of
``make sim`` / ``python -m rtl_verif`` / a pytest session (:func:`run_id`, set
once in the process that starts the simulators and inherited by them through
``RTL_FCOV_RUN``). :func:`block_files` takes this run's files only (the newest
run's when no run is active), so databases of earlier runs — other seeds, an
older testbench whose bins have changed — never skew the merge; :func:`merge`
sums the hits of those files (all tests, both simulators, every seed and
parameter set of the run), :func:`groups` reduces that to per-covergroup
percentages and holes. The goal is the plan's
``functional_coverage: {goal: <percent>}`` (rtl_verif/plans/<block>.yaml).
"""

import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import yaml

FCOV_DIR = Path(__file__).resolve().parents[2] / "build" / "fcov"
DEFAULT_GOAL = 100.0
RUN_ENV = "RTL_FCOV_RUN"  # the run id, exported to the simulators the run starts
KEEP_RUNS = 20  # run folders kept per block (older ones are deleted when a run exports)
_RUN_ID = re.compile(r"^[\w.-]{1,64}$")


class Point(NamedTuple):
    """A coverpoint: ``fn(txn)`` returns one of ``bins`` (labels), or None to skip."""
    name: str  # "<group>.<point>", e.g. "cg_frame.len"
    fn: Callable
    bins: tuple


def len_bins(edges) -> tuple:
    """Labels of length ranges ``[e0, e1-1], [e1, e2-1], ...``; the last edge is open ("≥")."""
    out = []
    for lo, hi in zip(edges, list(edges[1:]) + [None], strict=True):
        out.append(f">={lo}" if hi is None else (str(lo) if hi == lo + 1 else f"{lo}-{hi - 1}"))
    return tuple(out)


def len_bin(n: int, edges) -> str:
    """The :func:`len_bins` label of ``n`` (None below the first edge)."""
    labels = len_bins(edges)
    for k in range(len(edges) - 1, -1, -1):
        if n >= edges[k]:
            return labels[k]
    return None


class FcovError(ValueError):
    """A coverpoint is redefined with other bins, or a database is unusable."""


def _label_of(name: str):
    """The transformation every cocotb-coverage item of ``name`` keeps for the
    whole simulation: it reads the label the *current* :class:`Sampler`
    computed (a dict name -> label is what each sampler passes down)."""
    def label(labels):
        return labels.get(name)
    return label


class Sampler:
    """One sampling function over several coverpoints and crosses of a block.

    A cross is ``(name, items)`` or ``(name, items, ignore)``, ``ignore`` a list
    of bin tuples (None matches any bin) that cannot occur.

    ``Sampler("crc32", [Point("cg_frame.len", f, bins)], crosses=[("cg_frame.len_x_gaps", ("cg_frame.len",
    "cg_flow.in_gaps"))])``; call it with a transaction.

    cocotb-coverage keeps one item per name for the whole simulation and
    ignores the arguments of a second ``CoverPoint(name, xf=...)``: the item
    keeps the *first* test's ``xf``. So the items never see the points'
    functions: this sampler evaluates its own ``Point.fn`` of every point and
    passes the labels down, and every item's transformation only reads its
    label (:func:`_label_of`). A later test's sampler with new functions (over
    another stimulus object, e.g. other parameters) therefore samples with its
    own functions into the shared bins. A name defined again with other bins
    is an error (the bins could not be both).
    """

    def __init__(self, block: str, points, crosses=()):
        from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_db

        def sample(labels):
            return None

        self._fns = tuple((f"{block}.{p.name}", p.fn) for p in points)
        cps = []
        for p in points:
            name = f"{block}.{p.name}"
            old = coverage_db.get(name)
            if old is not None and list(old.detailed_coverage) != list(p.bins):
                raise FcovError(f"coverpoint {name} redefined with bins {list(p.bins)}; "
                                f"it has {list(old.detailed_coverage)}")
            cps.append(CoverPoint(name, xf=_label_of(name), bins=list(p.bins)))
        # crosses need their points to exist, and must run after them (innermost)
        crs = [CoverCross(f"{block}.{c[0]}", items=[f"{block}.{i}" for i in c[1]], ign_bins=list(c[2:3] and c[2]))
               for c in crosses]
        f = sample
        for c in crs:
            f = c(f)
        for c in reversed(cps):
            f = c(f)
        self._f = f

    def labels(self, txn) -> dict:
        """name -> bin label (or None) of every point of this sampler for ``txn``."""
        return {name: fn(txn) for name, fn in self._fns}

    def __call__(self, txn) -> None:
        self._f(self.labels(txn))


def run_id() -> str:
    """This run's id: ``RTL_FCOV_RUN`` when set (a simulator inherits its
    runner's), else a new ``<date>T<time>-<pid>`` stored in ``os.environ`` so
    every simulator this process starts afterwards writes into the same run."""
    rid = os.environ.get(RUN_ENV, "")
    if not _RUN_ID.match(rid):
        rid = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"
        os.environ[RUN_ENV] = rid
    return rid


def run_file(block: str, sim: str, tag: str, which: str, seed: int) -> Path:
    which = re.sub(r"[^\w.+-]", "_", which)
    return FCOV_DIR / block / f"run-{run_id()}" / f"{sim}-{tag}-{which}-s{seed}.yml"


def export(path: Path) -> None:
    """Write the simulation's whole coverage database (YAML) to ``path``; keep
    the :data:`KEEP_RUNS` newest run folders of the block."""
    from cocotb_coverage.coverage import coverage_db
    path.parent.mkdir(parents=True, exist_ok=True)
    coverage_db.export_to_yaml(str(path))
    _prune(path.parent.parent)


def _runs(block_dir: Path) -> list:
    """Run folders of a block, oldest first."""
    dirs = [d for d in block_dir.glob("run-*") if d.is_dir()]
    return sorted(dirs, key=lambda d: d.stat().st_mtime)


def _prune(block_dir: Path) -> None:
    for old in _runs(block_dir)[:-KEEP_RUNS]:
        shutil.rmtree(old, ignore_errors=True)


def _bins(db: dict) -> dict:
    """name -> {bin label: hits} for every item of a YAML database that has bins."""
    out = {}
    for name, item in (db or {}).items():
        hits = item.get("bins:_hits") if isinstance(item, dict) else None
        if isinstance(hits, dict):
            out[name] = {str(k): int(v) for k, v in hits.items()}
    return out


def merge(paths) -> dict:
    """Sum the bin hits of several YAML database files: name -> {bin: hits}."""
    return merge_dicts(yaml.safe_load(Path(p).read_text()) for p in paths)


def merge_dicts(dbs) -> dict:
    """Sum the bin hits of databases in cocotb-coverage's YAML layout.

    A bin present in one database only (a coverpoint whose bins changed with
    the testbench) is kept with its hits; the union is what was defined.
    """
    merged: dict = {}
    for db in dbs:
        for name, bins in _bins(db).items():
            tgt = merged.setdefault(name, {})
            for b, h in bins.items():
                tgt[b] = tgt.get(b, 0) + h
    return merged


def block_files(block: str, run: str | None = None) -> list:
    """The databases of one run of a block: ``run``, else the active run
    (``RTL_FCOV_RUN``), else the newest run folder. Files of other runs and
    files outside run folders (older layouts) are never merged."""
    base = FCOV_DIR / block
    run = run or os.environ.get(RUN_ENV)
    if run:
        folder = base / f"run-{run}"
    else:
        runs = _runs(base)
        if not runs:
            return []
        folder = runs[-1]
    return sorted(folder.glob("*.yml"))


class GroupCoverage(NamedTuple):
    name: str  # covergroup, e.g. "cg_frame"
    covered: int
    total: int
    holes: tuple  # "point: bin" strings

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / self.total if self.total else 0.0


def groups(merged: dict, block: str) -> dict:
    """covergroup name (without the block prefix) -> :class:`GroupCoverage`."""
    acc: dict = {}
    for name, bins in merged.items():
        parts = name.split(".")
        if len(parts) != 3 or parts[0] != block:
            continue
        g = acc.setdefault(parts[1], [0, 0, []])
        for b, h in bins.items():
            g[1] += 1
            if h > 0:
                g[0] += 1
            else:
                g[2].append(f"{parts[2]}: {b}")
    return {g: GroupCoverage(g, c, t, tuple(h)) for g, (c, t, h) in sorted(acc.items())}


def goal(plan: dict | None) -> float:
    fc = (plan or {}).get("functional_coverage") or {}
    return float(fc.get("goal", DEFAULT_GOAL))


def plan_covergroups(plan: dict | None) -> list:
    names = []
    for tp in (plan or {}).get("testpoints") or []:
        for cg in (tp.get("covergroups") or []) if isinstance(tp, dict) else []:
            if cg not in names:
                names.append(cg)
    return names


def shortfalls(cov: dict, names, target: float) -> list:
    """Lines naming each covergroup of ``names`` below ``target`` % and its holes."""
    out = []
    for cg in names:
        g = cov.get(cg)
        if g is None:
            out.append(f"{cg}: never sampled")
        elif g.percent + 1e-9 < target:
            holes = ", ".join(g.holes[:12]) + (f", ... ({len(g.holes)} holes)" if len(g.holes) > 12 else "")
            out.append(f"{cg}: {g.percent:.1f}% < goal {target:g}% — holes: {holes}")
    return out


def summary(block: str, plan: dict | None) -> str:
    """``functional 97.5% (goal 100%, n runs merged)`` over this run's databases of the block, or '' without data."""
    files = block_files(block)
    if not files:
        return ""
    cov = groups(merge(files), block)
    names = plan_covergroups(plan) or list(cov)
    tot = sum(cov[n].total for n in names if n in cov)
    hit = sum(cov[n].covered for n in names if n in cov)
    pct = 100.0 * hit / tot if tot else 0.0
    return f"functional {pct:.1f}% (goal {goal(plan):g}%, {len(files)} runs merged)"


def close_states(block: str, plan: dict, states: dict) -> dict:
    """Testpoint states (rtl_verif.plan_status) with covergroup closure: a
    *closed* testpoint whose covergroups are below the plan's goal over this
    run's databases of the block (:func:`block_files`) becomes ``coverage <cg> <pct>%``."""
    cov = groups(merge(block_files(block)), block)
    target = goal(plan)
    out = dict(states)
    for tp in plan.get("testpoints") or []:
        if not isinstance(tp, dict) or out.get(tp.get("name", "?")) != "closed":
            continue
        low = [f"{cg} {cov[cg].percent:.0f}%" if cg in cov else f"{cg} unsampled"
               for cg in tp.get("covergroups") or [] if cg not in cov or cov[cg].percent + 1e-9 < target]
        if low:
            out[tp["name"]] = "coverage " + ", ".join(low)
    return out


def current_which() -> str:
    """The test selection of this simulation (TESTCASE) as a file-name part."""
    flt = os.environ.get("COCOTB_TEST_FILTER", "")
    m = re.findall(r"\.\*([\w]+)", flt)
    return "+".join(m) if m else "all"
