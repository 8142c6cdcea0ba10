"""tools/hop_failures.py (the per-hop tail analysis docs/mesh_latency.md quotes) observes a run without changing it."""

import collections
import importlib.util
from pathlib import Path

from protocol.netsim import swarms
from protocol.netsim.run import World
from protocol.netsim.scenario import validate

CAUSES = {"away", "receiving", "chain busy", "not listening", "half duplex", "collision, same receiver",
          "collision, ACK", "collision, other receiver", "fading"}
UNSENSED = {"tie", "hidden", "not sensing", "jammer"}


def _tool():
    path = Path(__file__).resolve().parent.parent / "tools" / "hop_failures.py"
    spec = importlib.util.spec_from_file_location("hop_failures", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_census_sees_every_attempt_and_leaves_the_trace_alone():
    sc = swarms.swarm(24, duration_s=3.0, seed=2)
    plain = World(validate(sc))
    plain.run()
    w = World(validate(sc))
    census = _tool().Census(w)
    w.run()
    assert w.engine.trace_sha256 == plain.engine.trace_sha256
    attempts = [a for _, lst in census.attempts.values() for a in lst]
    assert len(attempts) == sum(m.stats["tx"] for m in w.macs) > 0
    causes = census.causes()
    assert set(causes) <= CAUSES and sum(causes.values()) > 0, causes
    assert len(census.hops) == len(w.metrics.hops)
    # every collision of an attempt is judged once for why carrier sense missed it
    judged = collections.Counter()
    for (cause, why), k in census.collisions.items():
        assert why in UNSENSED, why
        judged[cause] += k
    collided = collections.Counter({c: k for c, k in causes.items() if c.startswith("collision")})
    assert sum(judged.values()) > 0 and judged == collided, (judged, collided)
    for lat, tried in census.late(0.0):  # every data hop recorded ends with the attempt that got through
        assert tried and tried[-1][1] == "ok" and all(a[1] != "ok" for a in tried[:-1]), (lat, tried)


def test_cli_prints_the_census(capsys):
    assert _tool().main(["8", "1.5", "1", "--late", "400"]) == 0
    out = capsys.readouterr().out
    assert "failed attempts by cause:" in out and "per-hop latency (us):" in out
    assert "collisions by why carrier sense missed them:" in out
