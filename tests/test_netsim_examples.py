"""The scenarios in examples/ are valid and run, in a quick form (the first
15 drones, a few simulated seconds, EDHOC suite 2 for speed); the full runs
are the README's commands."""

import json
from pathlib import Path

import pytest

from protocol.netsim import run, validate

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def quick(sc: dict, *, drones: int = 15, duration_s: float = 4.0) -> dict:
    """``sc`` cut to its ground stations and first ``drones`` drones, their
    flows and group members, ``duration_s`` long, events moved inside it."""
    keep = [n for n in sc["nodes"] if n.get("role") == "ground"]
    keep += [n for n in sc["nodes"] if n.get("role", "drone") == "drone"][:drones]
    addrs = {n["address"] for n in keep}
    out = dict(sc, nodes=keep, duration_s=duration_s, warmup_s=min(sc.get("warmup_s", 2.0), 1.5))
    out["security"] = dict(sc.get("security", {}), suite=2)
    groups = {g: [m for m in ms if m in addrs] for g, ms in sc.get("groups", {}).items()}
    out["groups"] = {g: ms for g, ms in groups.items() if ms}
    out["traffic"] = [dict(f, stop_s=duration_s - 0.1) for f in sc.get("traffic", [])
                      if f["src"] in addrs and (f["dst"] in addrs or str(f["dst"]) in out["groups"])]
    scale = (duration_s - 1.8) / sc["duration_s"]
    out["failures"] = [dict(f, at_s=1.6 + f["at_s"] * scale) for f in sc.get("failures", [])
                       if f.get("node", 0) in addrs | {0} and all(a in addrs for a in f.get("link", []))]
    out["jammers"] = [{k: v for k, v in j.items() if k not in ("start_s", "stop_s")} for j in sc.get("jammers", [])]
    for n in keep:
        if "waypoints" in n:
            n["waypoints"] = [w for w in n["waypoints"] if w[0] <= duration_s] or n["waypoints"][:1]
    return out


@pytest.mark.parametrize("name", ["small", "swarm", "failure", "jammer"])
def test_example_is_valid_in_full(name):
    sc = json.loads((EXAMPLES / f"{name}.json").read_text())
    v = validate(sc)
    assert v.duration_s >= 10 and v.traffic


@pytest.mark.parametrize("name", ["small", "swarm", "failure", "jammer"])
def test_example_runs_in_quick_form(name):
    sc = quick(json.loads((EXAMPLES / f"{name}.json").read_text()))
    r = run(sc)
    assert r["loops"] == 0
    assert r["delivery_ratio"]["overall"] >= 0.9, r["delivery_ratio"]
    assert r["hop_latency_us"]["p50"] < 1000
    assert len(r["convergence_ms"]) == len(sc["failures"])
    if name == "failure":
        assert len(sc["failures"]) == 2 and all(c is not None for c in r["convergence_ms"])
    if name == "jammer":
        assert sc["jammers"] and r["mac"]["retx"] > 0
