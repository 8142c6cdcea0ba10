"""Testplan status: each block's plan (``rtl_verif/plans/<block>.yaml``, format
in docs/adding_a_block.md) checked against the JUnit results of a run.

A testpoint is *closed* when every test it names passed in this run, *failed*
when one of them failed, *not run* when none ran (e.g. ``TESTCASE=``
selected others), and *empty* when it names no test. Covergroup closure is
read by the functional-coverage layer, not here.
"""

from pathlib import Path

import yaml

PLANS_DIR = Path(__file__).resolve().parent / "plans"


class PlanError(ValueError):
    """A testplan file is malformed."""


def load_plan(block: str) -> dict | None:
    """The block's plan as a dict, or None when it has none yet."""
    path = PLANS_DIR / f"{block}.yaml"
    if not path.exists():
        return None
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise PlanError(f"{path}: not valid YAML: {' '.join(str(exc).split())[:200]}") from None
    if not isinstance(data, dict) or not isinstance(data.get("testpoints", []), list):
        raise PlanError(f"{path}: expected a mapping with a 'testpoints' list")
    return data


def testpoint_status(testpoint: dict, outcomes: dict) -> str:
    """``outcomes``: test name -> passed (bool), over every run of the block."""
    tests = testpoint.get("tests") or []
    if not tests:
        return "empty"
    seen = [outcomes[t] for t in tests if t in outcomes]
    if not seen:
        return "not run"
    if not all(seen):
        return "failed"
    return "closed" if len(seen) == len(tests) else "partial"


def status_table(results) -> str:
    """One line per block with a plan: testpoints closed / total and the open ones."""
    outcomes: dict = {}
    for r in results:
        per = outcomes.setdefault(r.block, {})
        for t in r.tests:
            name = t.name.split("/")[0]  # the variants of a parametrised test count under its name
            per[name] = per.get(name, True) and t.passed
    lines = []
    for block, per in outcomes.items():
        plan = load_plan(block)
        if plan is None:
            lines.append(f"{block:<16} testplan: none (rtl_verif/plans/{block}.yaml)")
            continue
        points = plan.get("testpoints") or []
        states = {tp.get("name", "?"): testpoint_status(tp, per) for tp in points if isinstance(tp, dict)}
        from rtl_verif.tb import fcov  # covergroups, merged over every stored run of the block
        states = fcov.close_states(block, plan, states)
        closed = sum(s == "closed" for s in states.values())
        open_ = ", ".join(f"{n} ({s})" for n, s in states.items() if s != "closed")
        tail = f"; open: {open_}" if open_ else ""
        func = fcov.summary(block, plan)
        lines.append(f"{block:<16} testplan: {closed}/{len(states)} testpoints closed{tail}"
                     + (f"; {func}" if func else ""))
    return "\n".join(lines)
