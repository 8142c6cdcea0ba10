"""The README's RTL block table and test counts, generated, never edited by hand.

Rows come from the block registry (:mod:`rtl_verif.blocks`: the blocks and
their parameter sets), the testbenches' sources (:func:`rtl_verif.runner.count_tests`:
cocotb tests, a ``cocotb.parametrize`` test counted once per variant) and the
testplans (``rtl_verif/plans/<block>.yaml``: testpoints, coverage goals, and
the ``summary`` the prose columns come from)::

    summary:
      job: appends the IEEE 802.3 FCS (LSB first)
      interface: AXI-S bytes
      throughput: 1 byte/clock + 4 clocks/frame

A block without a plan or a ``summary`` gets the first sentence of its top
RTL file's header comment as its job and ``—`` elsewhere. The section lives
between ``<!-- rtl-blocks:begin -->`` and ``<!-- rtl-blocks:end -->`` (the one
marker mechanism, :mod:`kpi.readme`)::

    python -m rtl_verif.readme_tables            # print the section
    python -m rtl_verif.readme_tables --write    # put it into README.md
    python -m rtl_verif.readme_tables --check    # exit 1 when README.md's section is stale
"""

import re
import sys
from pathlib import Path

from argcheck.cli import Parser, guard
from kpi import readme
from kpi.errors import KpiError
from rtl_verif import plan_status
from rtl_verif.blocks import BLOCKS, RTL_DIR, Block
from rtl_verif.runner import ROOT, SIMULATORS, RunnerError, count_tests

NAME = "rtl-blocks"
README = ROOT / "README.md"
GENERATOR = "python -m rtl_verif.readme_tables --write"
SUMMARY_KEYS = ("job", "interface", "throughput")


def _cell(text) -> str:
    """One Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|") or "—"


def header_sentence(block: Block) -> str:
    """The first sentence of the block's top RTL file's leading ``//`` comment ("" if none)."""
    top = next((s for s in block.sources if Path(s).name == f"{block.name}.sv"), None)
    if top is None:
        return ""
    path = Path(top) if Path(top).is_absolute() else RTL_DIR / top
    lines = []
    for line in path.read_text().splitlines():
        if not line.startswith("//"):
            break
        text = line[2:].strip()
        if not text:
            break
        lines.append(text)
    m = re.match(r"(.+?\.)(\s|$)", " ".join(lines))
    return m.group(1) if m else " ".join(lines)


def summary(block: Block, plan: dict | None) -> dict:
    """job / interface / throughput of a block: its plan's ``summary``, else the RTL header."""
    given = (plan or {}).get("summary") or {}
    if not isinstance(given, dict):
        raise plan_status.PlanError(f"{block.name}: the plan's summary must be a mapping of {SUMMARY_KEYS}")
    out = {k: given.get(k) or "" for k in SUMMARY_KEYS}
    if not out["job"]:
        out["job"] = header_sentence(block)
    return out


def block_row(block: Block) -> dict:
    """The figures of one row: summary, parameter sets, tests, testpoints and goals."""
    plan = plan_status.load_plan(block.name)
    counts = count_tests(block.test_module)
    row = {"block": block.name, **summary(block, plan), "param_sets": len(block.param_sets),
           "functions": len(counts), "tests": sum(counts.values()), "testpoints": None, "goals": ""}
    if plan is not None:
        row["testpoints"] = len(plan.get("testpoints") or [])
        goals = []
        fc = (plan.get("functional_coverage") or {}).get("goal")
        cc = plan.get("code_coverage") or {}
        if fc is not None:
            goals.append(f"functional {fc} %")
        goals += [f"{k} {cc[k]} %" for k in ("line", "toggle") if k in cc]
        row["goals"] = ", ".join(goals)
    return row


def table(rows=None) -> str:
    """The Markdown section: the block table, then one line of totals."""
    rows = [block_row(b) for b in BLOCKS.values()] if rows is None else rows
    out = ["| block | job | interface | throughput | parameter sets | cocotb tests | testpoints | coverage goals |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        tests = f"{r['tests']}" + (f" ({r['functions']} functions)" if r["tests"] != r["functions"] else "")
        points = "no plan" if r["testpoints"] is None else str(r["testpoints"])
        out.append(f"| `{r['block']}` | {_cell(r['job'])} | {_cell(r['interface'])} | {_cell(r['throughput'])} | "
                   f"{r['param_sets']} | {tests} | {points} | {_cell(r['goals'])} |")
    per_sim = sum(r["tests"] for r in rows)
    every = sum(r["tests"] * r["param_sets"] for r in rows)
    plans = [r for r in rows if r["testpoints"] is not None]
    out += ["", f"{len(rows)} blocks, {sum(r['param_sets'] for r in rows)} parameter sets; {per_sim} cocotb tests "
            f"per simulator on the default parameter sets (`make sim`), {every} on every set (`ALL_PARAMS=1`, "
            f"`make regress`), each on {' and '.join(s.capitalize() for s in SIMULATORS)}; "
            f"{sum(r['testpoints'] for r in plans)} testpoints in {len(plans)} testplans. "
            f"Generated by `{GENERATOR}`."]
    return "\n".join(out) + "\n"


def missing_markers_message(path: Path = README) -> str:
    begin, end = readme.markers(NAME)
    return (f"{path.name} has no {begin} / {end} markers: put the two lines where the RTL block table goes, "
            f"then run `{GENERATOR}`")


def stale(text: str, generated: str) -> str | None:
    """Why the README ``text``'s section differs from ``generated`` (None: it is current)."""
    if not readme.has_markers(text, NAME):
        return missing_markers_message()
    try:
        current = readme.section(text, NAME)
    except KpiError as exc:
        return str(exc)
    if current != generated:
        return f"README.md's RTL block table is stale: run `{GENERATOR}`"
    return None


def main(argv=None) -> int:
    return guard(_main, argv, errors=(RunnerError, KpiError, plan_status.PlanError),
                 prog="python -m rtl_verif.readme_tables")


def _main(argv=None) -> int:
    ap = Parser(prog="python -m rtl_verif.readme_tables", description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="put the section between the README's markers")
    mode.add_argument("--check", action="store_true", help="exit 1 when the README's section is stale")
    ap.add_argument("--readme", default=str(README), help="the README to check or write (default: the repo's)")
    a = ap.parse_args(argv)
    generated = table()
    if not (a.write or a.check):
        sys.stdout.write(generated)
        return 0
    path = Path(a.readme)
    text = path.read_text()
    if a.check:
        why = stale(text, generated)
        if why:
            print(why, file=sys.stderr)
            return 1
        print(f"{path.name}: RTL block table is current")
        return 0
    if not readme.has_markers(text, NAME):
        raise RunnerError(missing_markers_message(path))
    new = readme.replace(text, generated, NAME)
    if new != text:
        path.write_text(new)
    print(f"{path.name}: RTL block table {'written' if new != text else 'already current'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
