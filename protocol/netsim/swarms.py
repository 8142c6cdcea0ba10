"""Scenario builders: the swarms the examples, tests and benchmarks use
(plain scenario dicts, which :func:`protocol.netsim.scenario.validate`
accepts: :func:`swarm` checks its arguments and the scenario it builds)."""

import math

from argcheck import integer, real
from protocol.netsim.scenario import MAX_NODES, ScenarioError, validate

GROUND = 1
FIRST_DRONE = 16
COMMAND_GROUP = 65025  # 0xFE01


def swarm(n: int, *, spacing_m: float = 60.0, altitude_m: float = 100.0, duration_s: float = 10.0,
          interval_ms: float = 50.0, size_bytes: int = 32, seed: int = 1, warmup_s: float = 2.0,
          group: int = 0, command_ms: float = 50.0, suite: int = -24, max_peers: int = 8) -> dict:
    """``n`` drones on a square grid (``spacing_m`` apart, heights alternating
    ±10 m around ``altitude_m``) beside one ground station, every drone
    sending ``size_bytes`` to the ground station every ``interval_ms``; with
    ``group`` > 0, the ground station also sends 64-byte commands every
    ``command_ms`` to a multicast group of the first ``group`` drones.
    Bad arguments raise :class:`ScenarioError` naming them (the grid's own;
    the others as the scenario key they become, e.g. ``scenario.duration_s``)."""
    n = integer(n, "n", ScenarioError, lo=1, hi=MAX_NODES - 1)
    group = integer(group, "group", ScenarioError, lo=0, hi=n)
    spacing_m = real(spacing_m, "spacing_m", ScenarioError, lo=0.0, lo_open=True, hi=1e4)
    altitude_m = real(altitude_m, "altitude_m", ScenarioError, lo=10.0, hi=1e4)  # heights ±10 m around it
    side = math.ceil(math.sqrt(n))
    nodes = [{"address": GROUND, "role": "ground", "position_m": [-spacing_m, (side - 1) * spacing_m / 2, 2.0]}]
    for k in range(n):
        x, y = (k // side) * spacing_m, (k % side) * spacing_m
        nodes.append({"address": FIRST_DRONE + k, "position_m": [x, y, altitude_m + (10.0 if k % 2 else -10.0)]})
    traffic = [{"src": FIRST_DRONE + k, "dst": GROUND, "size_bytes": size_bytes, "interval_ms": interval_ms}
               for k in range(n)]
    sc = {"seed": seed, "duration_s": duration_s, "warmup_s": warmup_s, "nodes": nodes,
          "radio": {"band_ghz": 5.8, "tx_power_dbm": 20, "rate_mbps": 24}, "traffic": traffic,
          "security": {"suite": suite, "max_peers": max_peers}}
    if group:
        members = [FIRST_DRONE + k for k in range(group)]  # group <= n (checked above)
        sc["groups"] = {str(COMMAND_GROUP): members}
        traffic.append({"src": GROUND, "dst": COMMAND_GROUP, "size_bytes": 64, "interval_ms": command_ms})
    validate(sc)
    return sc
