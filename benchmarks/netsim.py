"""netsim: fixed scenarios on one core — the 50-drone swarm for 8 s
(:func:`protocol.netsim.swarms.swarm`, 20 packets/s per drone) and the
100-node, 60-second swarm (examples/swarm.json: 100 drones and a ground
station, each drone sending 20 packets/s of 32 bytes to the ground, 64-byte
multicast commands to 10 drones every 50 ms; target < 120 s) — with wall
time, CPU time (this process's user + system seconds: the figure that means
something on a shared machine), trace events per CPU second and per wall
second, simulated seconds per CPU second and the load average at the end;
then the per-frame cost of the golden codec and per-hop protection it runs
on. Absolute figures, no peer ratio (no other simulator runs these
scenarios)."""

import functools
import json
import os
import time
from pathlib import Path

from benchmarks.timing import best_time, row

SWARM = Path(__file__).resolve().parent.parent / "examples" / "swarm.json"


def _link_pair(cipher: str):
    from protocol.security import LinkKey, SecureLink
    a, b = SecureLink(1), SecureLink(2)
    key = LinkKey(5, bytes(range(16)), cipher, 8)
    a.install(key, 2)
    b.install(key, 1)
    return a, b


def _frame_costs():
    from protocol import codec
    frame = {"type": "data", "version": 0, "seq": 1, "net": 0x4D53, "dst": 2, "src": 1, "ack_req": True,
             "mesh": {"hop_limit": 16, "originator": 1, "final_dst": 9, "mesh_seq": 1}, "options": None,
             "security": None, "body": {"proto": "raw", "payload": bytes(32)}}
    out = []
    for cipher in ("sm4", "aes"):
        a, b = _link_pair(cipher)
        out.append(row(f"SecureLink.protect, 67-byte hop frame ({cipher})",
                       1 / best_time(functools.partial(a.protect, frame)), "frames/s"))
        out.append(row(f"protect + unprotect, one hop ({cipher})",
                       1 / best_time(lambda a=a, b=b: b.unprotect(a.protect(frame))), "frames/s"))
    plain = codec.encode(frame)
    out.append(row("codec.decode, 53-byte data frame", 1 / best_time(functools.partial(codec.decode, plain)),
                   "frames/s"))
    return out


def _scenario(label: str, scenario: dict):
    from protocol.netsim import run as simulate

    c0, t0 = time.process_time(), time.perf_counter()
    r = simulate(scenario)
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    yield f"  {label}: trace {r['trace_sha256'][:16]}, load average {os.getloadavg()[0]:.2f} at the end"
    yield row("wall time, build + run", wall, "s")
    yield row("CPU time, build + run", cpu, "CPU s")
    yield row("simulated seconds per CPU second", scenario["duration_s"] / cpu, "sim s/s")
    yield row("events per CPU second (trace events)", r["events"] / cpu, "events/s")
    yield row("events per wall second", r["events"] / wall, "events/s")
    yield row("events in the run", r["events"], "events")
    yield row("data hops delivered", r["latency_budget_us"]["hop_samples"], "hops")
    yield row("frames on the air", r["mac"]["tx"] + r["mac"]["bcast"] + r["mac"]["acks"], "frames")
    yield row("delivery ratio", r["delivery_ratio"]["overall"], "")


def run():
    from protocol.netsim.swarms import swarm

    yield "netsim (fixed scenarios, one core)"
    yield from _scenario("50-drone swarm, 8 s simulated", swarm(50, duration_s=8.0))
    yield from _scenario("100-node swarm, 60 s simulated (examples/swarm.json, target < 120 s)",
                         json.loads(SWARM.read_text()))
    yield from _frame_costs()
