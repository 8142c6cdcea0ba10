"""Build a simulated network from a scenario, run it, and report.

:func:`run` is the public entry (``protocol.netsim.run``); :class:`World`
holds the parts and the callbacks between them (MAC → node, node →
metrics) and the checks the simulator makes on its own: a loop check at
every forwarding step (a frame's path, kept by the simulator, may never
hold a node twice) and route convergence after each failure.

Result keys (JSON-shaped: string keys, numbers, lists, None):

* ``delivery_ratio`` {overall, flows[]} (flows in traffic order; a
  multicast flow counts each member's copy);
* ``hop_latency_us`` and ``e2e_latency_us`` {p50, p99, p99999, max}: per-hop
  air-interface latency of data frames (MAC queue → first correct reception
  at the next hop, retransmissions included) and application end to end;
* ``routes``: for each unicast flow (traffic order), the path (addresses)
  of its last delivered packet ([] if none arrived);
* ``links``: usable links at the end, [a, b] with a < b, both ends agreeing;
* ``loops``: frames that reached a node already on their path (0 by design);
* ``convergence_ms``: per failure, the time until every unicast flow
  between live nodes has a working path again (None: not within the run);
  flows to or from the failed node do not count, so a failed destination
  converges at the first check (1 ms); ``purge_ms`` says how long the others
  went on routing to it;
* ``purge_ms``: per node failure, the time until no live node has a route
  to the failed node any more (frames for it are then dropped at their
  source instead of wandering); None for a link failure, or not within the run;
* ``overhead_bytes_per_node_s``: bytes of control frames (HELLO, TC, EDHOC,
  ACK) on the air per powered node per second;
* ``current_ma``: per node address (string), {mean, peak} supply current.

``keying``: ``connected_ms`` — first time the links keyed at both ends
connect every powered node (the fleet can carry protected traffic end to
end); ``complete_ms`` — the last pairwise key set up before ``warmup_s``;
``joins_ms`` — per node with a later ``join_s``, from its power-on to its
first keyed link; ``groups_ms`` — per group, when the last member
acknowledged the key of the group's first epoch (None: not all did);
``deliveries`` — sealed frames the station sent end to end (charters,
group keys, revocation lists, network keys), acknowledged, sent again;
``network_switch_ms`` — per revocation, when the station switched to the
next network key after it (``after_ms``) and why (``by``: ``"acks"``, every
node had acknowledged the key; ``"deadline"``, ``network_switch_s`` of
:class:`protocol.fleet.Limits` had passed; ``"frame"``, a frame under the
new key from a node that had switched first — only an insider's or a
node's own deadline can do that), or None if it had not; ``rejoins_ms`` —
per rejoin of a node that had missed a network rekey (``node``, the
``parent`` that relayed it), the time from its first attempt (the first
handshake or request towards a parent: earlier candidates may have failed)
to the first broadcast it verified again (``after_ms``).

**Security of the simulated fleet.** Every node is enrolled by one
:class:`~protocol.fleet.FleetAuthority` (its certificate, delivery key and
the network key that secures HELLO and TC). The first ground station
(else the first node) is the authority's station: the controller of every
scenario group, whose members (the scenario's, and the sources of flows to
the group) get their charter and key end to end from t = 0, and the node
through which each ``revocations`` entry of the scenario reaches the fleet
(:meth:`FleetAuthority.revoke` with ``relayed=True``: the list, the
groups' next epochs and the next network key, sealed to every node).

and more: ``latency_budget_us`` (slot budget and the measured split of
per-hop latency), ``keying`` (time to a fully keyed fleet), ``multicast``,
``drops``, ``delivery_over_time``, ``mac``, ``events``, ``events_per_s``,
``trace_sha256``, ``per_table``.
"""

import functools
import time

from protocol import codec
from protocol import frames as F
from protocol.fleet import FleetAuthority
from protocol.netsim.energy import Currents, EnergyMeter
from protocol.netsim.engine import Engine
from protocol.netsim.hopping import HoppingPlan, rx_offset
from protocol.netsim.linkmodel import LinkModel
from protocol.netsim.mac import MacParams, timing
from protocol.netsim.medium import Medium
from protocol.netsim.metrics import Metrics, percentiles
from protocol.netsim.mobility import Mobility
from protocol.netsim.node import Meta, SimNode
from protocol.netsim.propagation import Fading, Propagation
from protocol.netsim.routing import HelloView, RoutingParams
from protocol.netsim.scenario import validate

NET_ID = 0x4D53
MOBILITY_STEP_US = 100_000.0
CONVERGENCE_CHECK_US = 1_000.0
CONTROL_KINDS = ("hello", "tc", "hs", "ack", "key")


@functools.lru_cache(maxsize=4096)
def _decode_broadcast(data: bytes) -> dict:
    """codec.decode of a broadcast frame, once per distinct frame (every
    receiver decodes the same bytes to the same frame; treat as read-only)."""
    return codec.decode(data)


class World:
    def __init__(self, sc, *, keep_trace: bool = False, progress=None):
        self.sc = sc
        self.engine = Engine(sc.seed, keep_trace=keep_trace)
        self.progress = progress
        self.addrs = [n.address for n in sc.nodes]
        self.index = {a: i for i, a in enumerate(self.addrs)}
        self.net = NET_ID
        radio = sc.radio
        self.power_control = radio.power_control
        self.mac_params = MacParams.from_scenario(sc.mac)
        self.timing = timing(self.mac_params, radio.rate_mbps)
        self.plan = HoppingPlan(radio.channels, self.net, self.mac_params.control_every)
        self.offsets = [rx_offset(n.address, radio.channels, n.role == "ground") for n in sc.nodes]
        self.link = LinkModel()
        self.snr_1pct_db = self.link.snr_for(radio.rate_mbps, self.timing.data_bytes, 0.01)
        self.snr_min_db = self.snr_1pct_db + 3.0
        n = len(self.addrs)
        prop = Propagation(n, len(sc.jammers), sc.propagation.environment, radio.band_ghz,
                           sc.propagation.shadowing, self.engine.rng("shadowing"))
        self.mobility = Mobility(sc.nodes)
        self.medium = Medium(self.engine, n, sc.jammers, radio.channels, radio.rate_mbps, radio.noise_figure_db,
                             radio.antenna_gain_dbi, self.link, Fading(self.engine.rng("fading"),
                                                                        sc.propagation.fading),
                             prop, self.mobility)
        self.medium.off[:] = [True] * n
        self.medium.two_radios[:] = [spec.role == "ground" for spec in sc.nodes]
        self.energy = EnergyMeter(n, self.mac_params.turnaround_us, Currents())
        self.rparams = RoutingParams()
        self.groups = dict(sc.groups)
        self.metrics = Metrics(len(sc.traffic))
        self.authority = FleetAuthority(suite=sc.security.suite, method=sc.security.method, net=self.net)
        clock = lambda: self.engine.now * 1e-6  # noqa: E731 - the fleet nodes' clock is the simulation's
        self.nodes = [SimNode(self, i, spec, self.authority.enrol(spec.address, clock=clock), sc.security.max_peers)
                      for i, spec in enumerate(sc.nodes)]
        self.macs = [nd.mac for nd in self.nodes]
        self.ground = {nd.address for nd in self.nodes if nd.ground}
        self.station = next((nd for nd in self.nodes if nd.ground), self.nodes[0])
        self.group_acks: dict = {}  # group -> (members, {member: time of its key's ack})
        self.deliveries = {"sent": 0, "acked": 0}
        self.failures = [{"at": f.at_s * 1e6, "spec": f, "converged": None, "purged": None} for f in sc.failures]
        self.keying = {"started": 0, "done": 0, "connected_us": None, "complete_us": None, "joins": {},
                       "rejoins": []}
        self.network_switches: list = []  # per revocation: when the station switched to the next network key
        self.control_bytes = 0
        self._check_scheduled = False
        self._copies = 0
        self._pending_acks: dict = {}  # (node, acked_seq) -> group whose key the ack confirms
        self._hello_views: dict = {}  # HELLO frame bytes -> HelloView

    # ------------------------------------------------------------ lookups for the parts
    def is_ground(self, addr: int) -> bool:
        return addr in self.ground

    def decode_broadcast(self, data: bytes) -> dict:
        return _decode_broadcast(data)

    def hello_view(self, data: bytes, body: dict) -> HelloView:
        """The HelloView of a verified HELLO's ``body``, built once per frame
        (``data``, its bytes: every receiver reads the same list; read-only)."""
        view = self._hello_views.get(data)
        if view is None:
            if len(self._hello_views) >= 1024:
                self._hello_views.clear()
            view = self._hello_views[data] = HelloView.of(body)
        return view

    # ------------------------------------------------------------ the authority's station
    def _open_groups(self) -> None:
        """Every scenario group's first epoch, controlled by the station,
        delivered end to end to its members."""
        st = self.station
        for g, members in sorted(self.groups.items()):
            senders = {f.src for f in self.sc.traffic if f.dst == g}
            # a sender revoked before the station came up is not given the key (members were removed then)
            charter = sorted((set(members) | senders) - {st.address} - self.authority.revoked)
            if not charter:
                continue
            frames = self.authority.group_frames(st.fleet, g, charter, relayed=True)
            self.group_acks[g] = (set(charter), {})
            for fr in frames[1::2]:  # the key frames: their acks say the member holds the key
                f = codec.decode(fr)
                self._pending_acks[(f["dst"], f["security"]["counter"] & 0xFF)] = g
            self.send_sealed(frames)

    def send_sealed(self, frames: list, via: int | None = None) -> None:
        """The station's sealed frames to get through (counted in ``keying.deliveries``; ``via``: a rejoin parent)."""
        self.deliveries["sent"] += len(frames)
        self.station.deliver_later(frames, via)

    def resealed(self, old: bytes, new: bytes) -> None:
        """The station sealed a delivery again (a new counter): its ack will name the new one."""
        a, b = codec.decode(old), codec.decode(new)
        g = self._pending_acks.pop((a["dst"], a["security"]["counter"] & 0xFF), None)
        if g is not None:
            self._pending_acks[(b["dst"], b["security"]["counter"] & 0xFF)] = g

    def acked(self, node: int, acked_seq: int) -> None:
        """The station verified ``node``'s ack of the sealed frame whose counter's low byte is ``acked_seq``."""
        self.deliveries["acked"] += 1
        g = self._pending_acks.pop((node, acked_seq), None)
        if g is not None and node not in self.group_acks[g][1]:
            self.group_acks[g][1][node] = self.engine.now

    def _revoke(self, address: int) -> None:
        nd = self.nodes[self.index[address]]
        self.engine.log("revoke", address)
        self.groups = {g: tuple(m for m in ms if m != address) for g, ms in self.groups.items()}  # trees skip it
        self.send_sealed(self.authority.revoke(self.station.fleet, nd.address, relayed=True))
        epoch = self.authority.network["epoch"]
        self.network_switches.append({"revoked": address, "at_us": self.engine.now, "switch_us": None, "by": None})
        self.network_switched(self.station)  # no other node: switched at once
        deadline = self.engine.now + self.station.fleet.limits.network_switch_s * 1e6
        self.engine.at(deadline, self._network_deadline, epoch)

    def _network_deadline(self, epoch: int) -> None:
        """A rekey's deadline: if the station still sends under a key older
        than ``epoch``'s, it switches to the newest though some node did not
        acknowledge it (a later revocation does not push the deadline of an
        earlier one back; the station's key manager keeps the same deadline,
        this makes it happen on time rather than at its next frame)."""
        if self.authority.network_sent["epoch"] < epoch:
            self.authority.switch_network(self.station.fleet)
        self.network_switched(self.station)

    def network_switched(self, nd) -> None:
        """``nd`` may have switched to the next network key: if so, logged,
        the station's switch timed (why: every node's ack, the deadline,
        or a frame under the new key from a node that switched first), and
        a HELLO soon."""
        key = nd.fleet.link.network_tx
        if key == nd.network_key:
            return
        nd.network_key = key
        self.engine.log("net-key", nd.address, key)
        if nd is self.station:  # it sends under the newest key: every revocation before is served
            now, open_ = self.engine.now, [v for v in self.network_switches if v["switch_us"] is None]
            late = any(now - v["at_us"] >= self.station.fleet.limits.network_switch_s * 1e6 for v in open_)
            by = "acks" if not self.authority.network_waiting else "deadline" if late else "frame"
            for v in open_:
                v.update(switch_us=now, by=by)
        nd.hello_after_jitter()

    def frame_src(self, data: bytes) -> int:
        return int.from_bytes(data[7:9], "little")  # protocol.frames.MacHeader: fc, seq, net, dst, src

    def channel_class(self, sender: int, receiver: int):
        """The channel class of a hop (addresses): the receiver's offset for the sender
        (:meth:`protocol.netsim.mac.Mac.offset_for`); a hop to an address not in the scenario has
        a class of its own."""
        r, s = self.index.get(receiver), self.index.get(sender)
        if r is None or s is None:
            return -1 - receiver
        return self.macs[r].offset_for(s)

    def multi_chain(self, address: int) -> bool:
        i = self.index.get(address)
        return i is not None and self.macs[i].chains > 1

    def grants(self, dst: int):
        """The round-robin grant list of ground station ``dst`` (node index) as
        its neighbours last heard it in a HELLO; None for a drone."""
        nd = self.nodes[dst]
        return nd.grant_list if nd.ground else None

    def count(self, what: str) -> None:
        self.metrics.count(what)

    # ------------------------------------------------------------ MAC callbacks
    def deliver(self, rx: int, data: bytes, src: int, meta, t: float) -> None:
        self.nodes[rx].on_frame(data, self.addrs[src], meta, t)

    def sent(self, i: int, meta, ok: bool, t: float, why: str) -> None:
        if meta.kind == "data":
            self.nodes[i].data_sent(meta, ok, why)
        elif meta.kind.startswith("hs"):
            self.nodes[i].handshake_sent(meta, ok)

    def hop(self, meta, latency: float, wait: float, retrans: float, air: float) -> None:
        if meta.kind == "data":
            self.metrics.hop(latency, wait, retrans, air, len(meta.payload))

    # ------------------------------------------------------------ node callbacks
    def visit(self, meta, node: int) -> bool:
        """The loop check of every forwarding step: False (and a loop counted) if ``node`` is already on the path."""
        if node in meta.path:
            self.metrics.loops += 1
            self.engine.log("loop", node, *meta.key)
            return False
        meta.path.append(node)
        return True

    def copy_meta(self, meta) -> Meta:
        self._copies += 1
        m = Meta(meta.kind, key=meta.key, flow=meta.flow, t0=meta.t0, path=list(meta.path), final=meta.final,
                 payload=meta.payload, hop_limit=meta.hop_limit, visited=meta.visited, prev=meta.prev,
                 copy=self._copies, carried=meta.carried)
        return m

    def delivered(self, meta, node: int, t: float) -> None:
        if self.metrics.delivered(meta.key, node, t, meta.path):
            self.engine.log("deliver", node, *meta.key, f"{t - meta.t0:.3f}")

    def duplicate(self, meta, node: int) -> None:
        self.metrics.count("duplicates")
        if meta.flow >= 0:
            self.metrics.duplicates[meta.flow] += 1

    def dropped(self, meta, why: str, node: int) -> None:
        self.metrics.drop(why)
        self.engine.log("drop", node, *meta.key, why)

    def keying_started(self, node, peer: int) -> None:
        self.keying["started"] += 1

    def keyed(self, node, peer: int) -> None:
        self.keying["done"] += 1
        now = self.engine.now
        if node.spec.join_s > 0 and node.address not in self.keying["joins"]:
            self.keying["joins"][node.address] = now - node.spec.join_s * 1e6
        if self.keying["connected_us"] is None and self._keyed_connected():
            self.keying["connected_us"] = now
        if now <= self.sc.warmup_s * 1e6:
            self.keying["complete_us"] = now  # the last key set up before traffic starts

    def rejoined(self, node, parent: int, since: float) -> None:
        """``node`` verified a broadcast again after a rejoin through ``parent``, attempts begun at ``since`` (µs)."""
        self.keying["rejoins"].append({"node": node.address, "parent": parent,
                                       "after_ms": round((self.engine.now - since) / 1e3, 3)})
        self.engine.log("rejoined", node.address, parent)

    def _keyed_connected(self) -> bool:
        alive = [nd for nd in self.nodes if nd.alive]
        if not alive:
            return False
        seen, stack = {alive[0].address}, [alive[0]]
        while stack:
            nd = stack.pop()
            for p in nd.keyed_peers:
                other = self.nodes[self.index[p]]
                if other.alive and p not in seen and nd.address in other.keyed_peers:
                    seen.add(p)
                    stack.append(other)
        return len(seen) == len(alive)

    # ------------------------------------------------------------ convergence
    def route_event(self) -> None:
        if self._check_scheduled or not any(self._pending(f) for f in self.failures):
            return
        self._check_scheduled = True
        t = (int(self.engine.now // CONVERGENCE_CHECK_US) + 1) * CONVERGENCE_CHECK_US
        self.engine.at(t, self._check_convergence)

    def _pending(self, f) -> bool:
        """Has failure ``f`` happened, and is its convergence or (a node's) purge still to be seen?"""
        return f["at"] <= self.engine.now and (f["converged"] is None or
                                               (f["spec"].node is not None and f["purged"] is None))

    def _path_ok(self, src: int, dst: int, now: float) -> bool:
        node, seen = self.nodes[self.index[src]], {src}
        for _ in range(64):
            nh = node.routing.next_hop(dst, now)
            if nh is None or nh in seen:
                return False
            nxt = self.nodes[self.index[nh]]
            i, j = node.i, nxt.i
            if not nxt.alive or (min(i, j), max(i, j)) in self.medium.blocked or (j, i) in self.medium.blocked:
                return False
            if nh == dst:
                return True
            seen.add(nh)
            node = nxt
        return False

    def _check_convergence(self) -> None:
        self._check_scheduled = False
        now = self.engine.now
        flows = [(f.src, f.dst) for f in self.sc.traffic if f.dst in self.index]
        for f in self.failures:
            if f["at"] > now or f["converged"] is not None:
                continue
            live = [(s, d) for s, d in flows if self.nodes[self.index[s]].alive and self.nodes[self.index[d]].alive]
            if all(self._path_ok(s, d, now) for s, d in live):
                f["converged"] = now
                self.engine.log("converged", f"{(now - f['at']) / 1000:.3f}")
        for f in self.failures:
            gone = f["spec"].node
            if f["at"] > now or gone is None or f["purged"] is not None:
                continue
            if all(nd.routing.next_hop(gone, now) is None for nd in self.nodes if nd.alive):
                f["purged"] = now
                self.engine.log("purged", gone, f"{(now - f['at']) / 1000:.3f}")
        for f in self.failures:
            if self._pending(f):
                self.engine.at(now + 20 * CONVERGENCE_CHECK_US, self.route_event)
                break

    # ------------------------------------------------------------ scenario events
    def _fail(self, f) -> None:
        spec = f["spec"]
        if spec.node is not None:
            nd = self.nodes[self.index[spec.node]]
            nd.failed = True
            nd.power_off()
        else:
            a, b = (self.index[x] for x in spec.link)
            self.medium.block_link(min(a, b), max(a, b))
            self.engine.log("link-fail", *spec.link)
        self.route_event()

    def _traffic(self, k: int, flow, first_us: float) -> None:
        period = flow.interval_ms * 1000.0
        stop = flow.stop_s * 1e6
        size = flow.size_bytes
        group = F.MULTICAST_FIRST <= flow.dst <= F.MULTICAST_LAST
        src = self.nodes[self.index[flow.src]]
        if not group and self.mac_params.reservations:  # the application tells its MAC the flow is periodic
            src.mac.periods[k] = period

        def tick():
            now = self.engine.now
            if now >= stop:
                return False
            payload = (k.to_bytes(2, "little") + int(now).to_bytes(6, "little") + bytes(max(0, size - 8)))[:size]
            if not src.alive:  # a powered-off node generates nothing
                self.metrics.count("not generated: source off")
                return None
            copies = len([m for m in self.groups[flow.dst] if m != flow.src]) if group else 1  # members now
            src.originate(k, flow.dst, payload, lambda key, meta: self.metrics.generated(k, key, now, copies))
            return None
        if first_us < stop:
            self.engine.every(first_us, period, tick)

    def _progress_tick(self, step_us: float) -> None:
        if self.progress is not None:
            self.progress(self.engine.now * 1e-6)
            self.engine.at(self.engine.now + step_us, self._progress_tick, step_us)

    def run(self) -> dict:
        sc, eng = self.sc, self.engine
        for nd in self.nodes:
            eng.at(nd.spec.join_s * 1e6, self._power_on, nd)
        for f in self.failures:
            eng.at(f["at"], self._fail, f)
        for rv in sc.revocations:
            eng.at(rv.at_s * 1e6, self._revoke, rv.node)
        eng.at(self.station.spec.join_s * 1e6, self._open_groups)
        for j, jam in enumerate(sc.jammers):
            eng.at(jam.start_s * 1e6, self.medium.set_jammer, j, True)
            eng.at(jam.stop_s * 1e6, self.medium.set_jammer, j, False)
        if self.mobility.moving:
            eng.every(MOBILITY_STEP_US, MOBILITY_STEP_US, self.medium.update_geometry)
        phase = eng.rng("traffic")
        for k, flow in enumerate(sc.traffic):
            start = flow.start_s if flow.start_s is not None \
                else sc.warmup_s + float(phase.uniform(0, flow.interval_ms * 1e-3))
            self._traffic(k, flow, start * 1e6)
        if self.progress is not None:
            self._progress_tick(sc.duration_s * 1e6 / 100)
        t0 = time.perf_counter()
        eng.env.run(until=sc.duration_s * 1e6)
        wall = time.perf_counter() - t0
        return self._result(wall)

    def _power_on(self, nd) -> None:
        if nd.failed:  # a failure before its join: it stays off
            return
        self.medium.off[nd.i] = False
        nd.power_on()

    # ------------------------------------------------------------ the result
    def _result(self, wall_s: float) -> dict:
        sc, m, now = self.sc, self.metrics, self.engine.now
        for nd in self.nodes:
            if nd.alive:
                nd.on_us += now - nd.on_since
                nd.on_since = now
        links = set()
        for nd in self.nodes:
            if not nd.alive:
                continue
            for a in nd.routing.usable_links(now):
                other = self.nodes[self.index[a]]
                if other.alive and other.routing.usable(nd.address, now):
                    links.add((min(a, nd.address), max(a, nd.address)))
        unicast = [k for k, f in enumerate(sc.traffic) if f.dst in self.index]
        multicast = [k for k, f in enumerate(sc.traffic) if f.dst not in self.index]
        on_s = sum(nd.on_us for nd in self.nodes) * 1e-6
        overhead = sum(self.medium_bytes(k) for k in CONTROL_KINDS)
        mac_stats: dict = {}
        for nd in self.nodes:
            for k, v in nd.mac.stats.items():
                mac_stats[k] = mac_stats.get(k, 0) + v
        hop = [h[0] for h in m.hops]
        budget = m.hop_budget()
        mcast_expected = sum(m.expected[k] for k in multicast)
        keyed = self.keying
        result = {
            "seed": sc.seed,
            "duration_s": sc.duration_s,
            "nodes": len(self.nodes),
            "delivery_ratio": m.delivery(),
            "hop_latency_us": percentiles(hop),
            "hop_latency_by_payload_us": {str(k): percentiles(v) | {"samples": len(v)}
                                          for k, v in sorted(m.hops_by_size.items())},
            "e2e_latency_us": percentiles(m.e2e),
            "routes": [m.last_path.get(k, []) for k in unicast],
            "links": [list(p) for p in sorted(links)],
            "loops": m.loops,
            "failure_times_s": [f.at_s for f in sc.failures],
            "convergence_ms": [None if f["converged"] is None else round((f["converged"] - f["at"]) / 1000, 3)
                               for f in self.failures],
            "purge_ms": [None if f["purged"] is None else round((f["purged"] - f["at"]) / 1000, 3)
                         for f in self.failures],
            "overhead_bytes_per_node_s": round(overhead / on_s, 3) if on_s else None,
            "current_ma": {str(nd.address): {k: v for k, v in self.energy.summary(nd.i, nd.on_us).items()
                                              if k in ("mean", "peak")} for nd in self.nodes},
            "latency_budget_us": {"slot": self.timing.budget(self.mac_params), "measured": budget,
                                  "hop_samples": len(hop)},
            "keying": {"handshakes_started": keyed["started"], "links_keyed": keyed["done"],
                       "connected_ms": None if keyed["connected_us"] is None else round(keyed["connected_us"] / 1e3, 3),
                       "complete_ms": None if keyed["complete_us"] is None else round(keyed["complete_us"] / 1e3, 3),
                       "joins_ms": {str(a): round(v / 1e3, 3) for a, v in sorted(keyed["joins"].items())},
                       "groups_ms": {str(g): round(max(t.values()) / 1e3, 3) if set(t) >= ms else None
                                     for g, (ms, t) in sorted(self.group_acks.items())},
                       "deliveries": dict(self.deliveries, resent=m.counts.get("delivery retries", 0)),
                       "network_switch_ms": [None if v["switch_us"] is None else
                                             {"after_ms": round((v["switch_us"] - v["at_us"]) / 1e3, 3), "by": v["by"]}
                                             for v in self.network_switches],
                       "rejoins_ms": list(keyed["rejoins"])},
            "multicast": {"delivery": round(sum(m.got[k] for k in multicast) / mcast_expected, 6)
                          if mcast_expected else None,
                          "duplicates": sum(m.duplicates[k] for k in multicast)},
            "duplicates": m.counts.get("duplicates", 0),
            "drops": dict(sorted(m.drops.items())),
            "counts": dict(sorted(m.counts.items())),
            "delivery_over_time": m.over_time(),
            "mac": dict(sorted(mac_stats.items())),
            "tx_duty": {str(nd.address): self.energy.summary(nd.i, nd.on_us)["tx_duty"] for nd in self.nodes},
            "blacklisted": sum(len(nd.mac.blacklist.blacklisted(now)) for nd in self.nodes),
            "air_bytes": dict(sorted(self.medium.air_bytes.items())),
            "per_table": self.link.source,
            "events": self.engine.events,
            "events_per_s": round(self.engine.events / wall_s, 1) if wall_s > 0 else None,
            "wall_s": round(wall_s, 3),
            "trace_sha256": self.engine.trace_sha256,
        }
        self.samples = {"hop": hop, "e2e": list(m.e2e)}
        return result

    def medium_bytes(self, kind: str) -> int:
        return self.medium.air_bytes.get(kind, 0)


def run(scenario: dict, seed: int | None = None, *, progress=None, keep_trace: bool = False) -> dict:
    """Run ``scenario`` (a dict as in :mod:`protocol.netsim.scenario`) with
    ``seed`` (overrides the scenario's; None keeps it) and return the result
    dict. Raises :class:`~protocol.netsim.scenario.ScenarioError` for a bad
    scenario. ``progress(t_s)`` is called every 1 % of simulated time."""
    return World(validate(scenario, seed), keep_trace=keep_trace, progress=progress).run()


def run_world(scenario: dict, seed: int | None = None, *, progress=None, keep_trace: bool = False):
    """(result, world) — the world keeps the raw samples (``world.samples``) for plots and tests."""
    w = World(validate(scenario, seed), keep_trace=keep_trace, progress=progress)
    return w.run(), w

