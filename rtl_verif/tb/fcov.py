"""Functional coverage of the streaming testbenches (cocotb-coverage).

Covergroups are sampled from the AXI-Stream *monitors* (what was on the bus),
never from the stimulus generator. A block declares its coverpoints as
``Point(name, fn, bins)``: ``fn(txn)`` maps a monitored transaction to one of
the bin labels (strings), so bins are readable in the YAML and the same across
parameter sets and simulators. Crosses name two or more points of one group.

Database: every test writes the simulator's cumulative database (cocotb's
``coverage_db``) to ``build/fcov/<block>/<sim>-<params-tag>-<which>-s<seed>.yml``
(cocotb-coverage's YAML export); :func:`merge` sums the hits of every file of a
block (all tests, both simulators, every seed), :func:`groups` reduces that to
per-covergroup percentages and holes. The goal is the plan's
``functional_coverage: {goal: <percent>}`` (rtl_verif/plans/<block>.yaml).
"""

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import yaml

FCOV_DIR = Path(__file__).resolve().parents[2] / "build" / "fcov"
DEFAULT_GOAL = 100.0


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


class Sampler:
    """One sampling function over several coverpoints and crosses of a block.

    A cross is ``(name, items)`` or ``(name, items, ignore)``, ``ignore`` a list
    of bin tuples (None matches any bin) that cannot occur.

    ``Sampler("crc32", [Point("cg_frame.len", f, bins)], crosses=[("cg_frame.len_x_gaps", ("cg_frame.len",
    "cg_flow.in_gaps"))])``; call it with a transaction. Creating the same names
    twice (several tests in one simulation) reuses cocotb-coverage's items.
    """

    def __init__(self, block: str, points, crosses=()):
        from cocotb_coverage.coverage import CoverCross, CoverPoint

        def sample(txn):
            return None

        cps = [CoverPoint(f"{block}.{p.name}", xf=p.fn, bins=list(p.bins)) for p in points]
        # crosses need their points to exist, and must run after them (innermost)
        crs = [CoverCross(f"{block}.{c[0]}", items=[f"{block}.{i}" for i in c[1]], ign_bins=list(c[2:3] and c[2]))
               for c in crosses]
        f = sample
        for c in crs:
            f = c(f)
        for c in reversed(cps):
            f = c(f)
        self._f = f

    def __call__(self, txn) -> None:
        self._f(txn)


def run_file(block: str, sim: str, tag: str, which: str, seed: int) -> Path:
    which = re.sub(r"[^\w.+-]", "_", which)
    return FCOV_DIR / block / f"{sim}-{tag}-{which}-s{seed}.yml"


def export(path: Path) -> None:
    """Write the simulation's whole coverage database (YAML) to ``path``."""
    from cocotb_coverage.coverage import coverage_db
    path.parent.mkdir(parents=True, exist_ok=True)
    coverage_db.export_to_yaml(str(path))


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


def block_files(block: str) -> list:
    return sorted((FCOV_DIR / block).glob("*.yml"))


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
    """``functional 97.5% (goal 100%)`` over every stored run of the block, or '' without data."""
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
    *closed* testpoint whose covergroups are below the plan's goal over every
    stored run of the block becomes ``coverage <cg> <pct>%``."""
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
