"""Scenario files of the network simulator: validation and defaults.

A scenario is a JSON object (keys and units below; ``*`` = required). Every
key is checked; an unknown key or a bad value raises :class:`ScenarioError`
naming its path (``scenario.nodes[3].position_m[2]``) and the reason.

``seed`` (int ≥ 0, default 0) · ``duration_s``\\* (s, 0 < d ≤ 3600) ·
``nodes``\\* (1..1024 objects):

* ``address``\\* unicast address 1..0xFDFF, unique; ``role`` ``"drone"``
  (default) or ``"ground"``; ``position_m``\\* ``[x, y, z]`` (m, z ≥ 0 above
  ground); ``waypoints`` ``[[t_s, x, y, z], ...]`` with t strictly increasing
  (linear between waypoints, held before the first and after the last);
  ``join_s`` (s, default 0: power-on time; a later join runs its handshakes
  then); ``tx_power_dbm`` (overrides ``radio.tx_power_dbm`` for this node).

``radio``: ``band_ghz`` (1..10, default 5.8), ``tx_power_dbm`` (maximum
output power, −10..33, default 20), ``rate_mbps`` (an 802.11a rate, default
24), ``channels`` (20 MHz channels in the band, 1..16, default 6:
5725–5845 MHz), ``noise_figure_db`` (0..20, default 10, as in the PER
table), ``antenna_gain_dbi`` (−10..15, default 2, each end),
``power_control`` (bool, default true: unicast frames at the power a link
needs, see :mod:`protocol.netsim.energy`, except a first attempt in its
reserved window, at full power: :mod:`protocol.netsim.mac`).

``groups``: ``{"65025": [16, 17, 18]}`` — a multicast address
(0xFE00..0xFEFF, decimal string or int) to its members (node addresses).

``traffic``: ``src``\\*, ``dst``\\* (a node or a group), ``size_bytes``\\*
(application payload, 0..1024), ``interval_ms``\\* (period, 0.1..60000),
``start_s`` (first packet; default a phase drawn from the seed in
[``warmup_s``, ``warmup_s`` + interval); before ``stop_s``), ``stop_s`` (no packet at or after it;
default ``duration_s`` − 0.1). ``warmup_s`` (top level, default 2.0 s) is
the default start of every flow: the time a fleet needs to key itself.

``failures``: ``{"at_s", "node"}`` (the node powers off for good, also
before its ``join_s``) or ``{"at_s", "link": [a, b]}`` (the link between a
and b stops carrying anything).

``revocations``: ``{"at_s", "node"}`` — the authority revokes the node
(a drone, not a ground station): its revocation list, its groups' next
epochs and the next network key go from the station to every node, end
to end. Nodes send under the next network key only once the station has
switched to it: when every node acknowledged it, or ``network_switch_s``
(3 s) after the revocation (``keying.network_switch_ms`` says when and
why); a node that hears no frame under the new key switches 3 s after it
got it. Known limit: a node the key has not reached by then (out of range,
powered off) can no longer verify HELLOs or be verified, and stays cut off.

Every time (``join_s``, ``at_s``, ``start_s``, ``stop_s``) lies in
[0, ``duration_s``]; an event at ``duration_s`` has no effect.

``jammers``: ``channels``\\* (channel indices), ``power_dbm``\\* (−30..60, EIRP
per jammed 20 MHz channel), ``position_m``\\*, ``kind`` ``"partial_band"``
(default: always on, on all its channels) or ``"follower"`` (senses a
transmission on one of its channels and jams that channel after
``reaction_us`` for ``dwell_us``), ``start_s``, ``stop_s``.

``propagation``: ``environment`` (``suburban`` default, ``urban``,
``dense_urban``, ``highrise_urban``), ``shadowing`` (bool, default true),
``fading`` (bool, default true).

``security``: ``suite`` (EDHOC cipher suite: −24 the ShangMi suite, default,
or 2), ``method`` (EDHOC method 0 or 3, default 3), ``max_peers`` (pairwise
keys a node sets up with its best neighbours, 1..1024, default 8; ground
stations key every usable neighbour).

``mac``: the MAC parameters of :class:`protocol.netsim.mac.MacParams`
(integers in µs or counts), each optional.
"""

import math
from typing import NamedTuple

import argcheck
from mesh_phy.rates import RATES
from protocol import frames as F
from protocol.errors import FrameError


class ScenarioError(FrameError):
    """A scenario (or simulator argument) refused; the message names the key path."""


ROLES = ("drone", "ground")
ENVIRONMENTS = ("suburban", "urban", "dense_urban", "highrise_urban")
JAMMER_KINDS = ("partial_band", "follower")
SUITES = (-24, 2)
METHODS = (0, 3)
MAX_NODES = 1024
MAX_COORD = 1e6  # m
MAX_PAYLOAD = 1024  # bytes of application payload per packet


class NodeSpec(NamedTuple):
    address: int
    role: str
    position_m: tuple
    waypoints: tuple  # ((t_s, x, y, z), ...), may be empty
    join_s: float
    tx_power_dbm: float


class Radio(NamedTuple):
    band_ghz: float = 5.8
    tx_power_dbm: float = 20.0
    rate_mbps: int = 24
    channels: int = 6
    noise_figure_db: float = 10.0
    antenna_gain_dbi: float = 2.0
    power_control: bool = True


class Flow(NamedTuple):
    src: int
    dst: int
    size_bytes: int
    interval_ms: float
    start_s: float | None
    stop_s: float


class Failure(NamedTuple):
    at_s: float
    node: int | None
    link: tuple | None


class Revocation(NamedTuple):
    at_s: float
    node: int


class Jammer(NamedTuple):
    channels: tuple
    power_dbm: float
    position_m: tuple
    kind: str
    start_s: float
    stop_s: float
    reaction_us: float
    dwell_us: float


class Propagation(NamedTuple):
    environment: str = "suburban"
    shadowing: bool = True
    fading: bool = True


class Security(NamedTuple):
    suite: int = -24
    method: int = 3
    max_peers: int = 8


class Scenario(NamedTuple):
    seed: int
    duration_s: float
    warmup_s: float
    nodes: tuple
    radio: Radio
    groups: dict  # group address -> tuple of member addresses
    traffic: tuple
    failures: tuple
    jammers: tuple
    propagation: Propagation
    security: Security
    mac: dict  # MacParams field -> value (validated by mac.MacParams)
    revocations: tuple = ()

    def node(self, address: int) -> NodeSpec:
        return next(n for n in self.nodes if n.address == address)


TOP = {"seed", "duration_s", "warmup_s", "nodes", "radio", "groups", "traffic", "failures", "jammers",
       "propagation", "security", "mac", "revocations"}
NODE = {"address", "role", "position_m", "waypoints", "join_s", "tx_power_dbm"}
FLOW = {"src", "dst", "size_bytes", "interval_ms", "start_s", "stop_s"}
JAMMER = {"channels", "power_dbm", "position_m", "kind", "start_s", "stop_s", "reaction_us", "dwell_us"}


def _obj(value, path: str, allowed, required=()) -> dict:
    if not isinstance(value, dict):
        raise ScenarioError(f"{path} must be an object, got {type(value).__name__}")
    for k in value:
        if not isinstance(k, str) or k not in allowed:
            shown = repr(k) if isinstance(k, str) and len(k) < 40 else type(k).__name__
            raise ScenarioError(f"{path} has an unknown key {shown} (allowed: {', '.join(sorted(allowed))})")
    for k in required:
        if k not in value:
            raise ScenarioError(f"{path}.{k} is missing")
    return value


def _list(value, path: str, lo: int = 0, hi: int = 1 << 20) -> list:
    if not isinstance(value, list):
        raise ScenarioError(f"{path} must be a list, got {type(value).__name__}")
    if not lo <= len(value) <= hi:
        raise ScenarioError(f"{path} must have {lo}..{hi} items, got {len(value)}")
    return value


def _real(value, path: str, lo=None, hi=None, lo_open=False) -> float:
    return argcheck.real(value, path, ScenarioError, lo=lo, hi=hi, lo_open=lo_open)


def _int(value, path: str, lo=None, hi=None) -> int:
    return argcheck.integer(value, path, ScenarioError, lo=lo, hi=hi)


def _point(value, path: str) -> tuple:
    xs = _list(value, path, 3, 3)
    x, y, z = (_real(v, f"{path}[{i}]", -MAX_COORD, MAX_COORD) for i, v in enumerate(xs))
    if z < 0:
        raise ScenarioError(f"{path}[2] (height) must be >= 0, got {z}")
    return (x, y, z)


def _address(value, path: str, nodes) -> int:
    a = _int(value, path, 0, 0xFFFF)
    if a not in nodes:
        raise ScenarioError(f"{path} = {a} is not the address of a node")
    return a


def _nodes(value, radio: Radio, duration: float) -> tuple:
    out, seen = [], set()
    for i, n in enumerate(_list(value, "scenario.nodes", 1, MAX_NODES)):
        p = f"scenario.nodes[{i}]"
        _obj(n, p, NODE, ("address", "position_m"))
        a = _int(n["address"], f"{p}.address", 1, F.MULTICAST_FIRST - 1)
        if a in seen:
            raise ScenarioError(f"{p}.address {a} is used twice")
        seen.add(a)
        role = argcheck.one_of(n.get("role", "drone"), f"{p}.role", ScenarioError, ROLES)
        pos = _point(n["position_m"], f"{p}.position_m")
        wps, last = [], -1.0
        for j, w in enumerate(_list(n.get("waypoints", []), f"{p}.waypoints", 0, 100_000)):
            wl = _list(w, f"{p}.waypoints[{j}]", 4, 4)
            t = _real(wl[0], f"{p}.waypoints[{j}][0]", 0, 1e6)
            if t <= last:
                raise ScenarioError(f"{p}.waypoints[{j}][0] must be after the previous waypoint's time")
            last = t
            wps.append((t, *_point(wl[1:], f"{p}.waypoints[{j}][1:]")))
        join = _real(n.get("join_s", 0.0), f"{p}.join_s", 0, duration)
        txp = _real(n.get("tx_power_dbm", radio.tx_power_dbm), f"{p}.tx_power_dbm", -10, 33)
        out.append(NodeSpec(a, role, pos, tuple(wps), join, txp))
    return tuple(out)


def _radio(value) -> Radio:
    r = _obj(value, "scenario.radio", set(Radio._fields))
    d = Radio()
    p = "scenario.radio"
    return Radio(
        band_ghz=_real(r.get("band_ghz", d.band_ghz), f"{p}.band_ghz", 1, 10),
        tx_power_dbm=_real(r.get("tx_power_dbm", d.tx_power_dbm), f"{p}.tx_power_dbm", -10, 33),
        rate_mbps=argcheck.one_of(r.get("rate_mbps", d.rate_mbps), f"{p}.rate_mbps", ScenarioError,
                                  tuple(sorted(RATES))),
        channels=_int(r.get("channels", d.channels), f"{p}.channels", 1, 16),
        noise_figure_db=_real(r.get("noise_figure_db", d.noise_figure_db), f"{p}.noise_figure_db", 0, 20),
        antenna_gain_dbi=_real(r.get("antenna_gain_dbi", d.antenna_gain_dbi), f"{p}.antenna_gain_dbi", -10, 15),
        power_control=argcheck.flag(r.get("power_control", d.power_control), f"{p}.power_control", ScenarioError))


def _group_address(key, path: str) -> int:
    if isinstance(key, str):
        if not (key.isascii() and key.isdigit() and len(key) <= 5):
            raise ScenarioError(f"{path}: group key {key[:20]!r} must be a decimal multicast address")
        key = int(key)
    g = _int(key, f"{path} key", 0, 0xFFFF)
    if not F.MULTICAST_FIRST <= g <= F.MULTICAST_LAST:
        raise ScenarioError(f"{path}: group {g} is not a multicast address "
                            f"({F.MULTICAST_FIRST}..{F.MULTICAST_LAST})")
    return g


def _groups(value, nodes) -> dict:
    if not isinstance(value, dict):
        raise ScenarioError(f"scenario.groups must be an object, got {type(value).__name__}")
    out = {}
    for key, members in value.items():
        p = f"scenario.groups[{key!r}]" if isinstance(key, (str, int)) and len(repr(key)) < 20 \
            else "scenario.groups"
        g = _group_address(key, p)
        if g in out:
            raise ScenarioError(f"{p}: group {g} is given twice")
        ms = [_address(m, f"{p}[{i}]", nodes) for i, m in enumerate(_list(members, p, 1, MAX_NODES))]
        if len(set(ms)) != len(ms):
            raise ScenarioError(f"{p} names a member twice")
        out[g] = tuple(sorted(ms))
    return out


def _traffic(value, nodes, groups, duration: float) -> tuple:
    out = []
    for i, f in enumerate(_list(value, "scenario.traffic", 0, 10_000)):
        p = f"scenario.traffic[{i}]"
        _obj(f, p, FLOW, ("src", "dst", "size_bytes", "interval_ms"))
        src = _address(f["src"], f"{p}.src", nodes)
        dst = _int(f["dst"], f"{p}.dst", 0, 0xFFFF)
        if dst not in nodes and dst not in groups:
            raise ScenarioError(f"{p}.dst = {dst} is neither a node nor a group of scenario.groups")
        if dst == src:
            raise ScenarioError(f"{p}.dst must differ from src")
        size = _int(f["size_bytes"], f"{p}.size_bytes", 0, MAX_PAYLOAD)
        interval = _real(f["interval_ms"], f"{p}.interval_ms", 0.1, 60_000)
        start = None if f.get("start_s") is None else _real(f["start_s"], f"{p}.start_s", 0, duration)
        stop = _real(f.get("stop_s", max(0.0, duration - 0.1)), f"{p}.stop_s", 0, duration)
        if start is not None and start >= stop:
            raise ScenarioError(f"{p}.start_s = {start:g} must be before its stop_s = {stop:g}")
        out.append(Flow(src, dst, size, interval, start, stop))
    return tuple(out)


def _failures(value, nodes, duration: float) -> tuple:
    out = []
    for i, f in enumerate(_list(value, "scenario.failures", 0, 10_000)):
        p = f"scenario.failures[{i}]"
        _obj(f, p, {"at_s", "node", "link"}, ("at_s",))
        at = _real(f["at_s"], f"{p}.at_s", 0, duration)
        if ("node" in f) == ("link" in f):
            raise ScenarioError(f"{p} must name exactly one of node and link")
        if "node" in f:
            out.append(Failure(at, _address(f["node"], f"{p}.node", nodes), None))
        else:
            pair = _list(f["link"], f"{p}.link", 2, 2)
            a, b = (_address(x, f"{p}.link[{k}]", nodes) for k, x in enumerate(pair))
            if a == b:
                raise ScenarioError(f"{p}.link must join two different nodes")
            out.append(Failure(at, None, (min(a, b), max(a, b))))
    return tuple(out)


def _revocations(value, nodes, duration: float) -> tuple:
    out = []
    for i, r in enumerate(_list(value, "scenario.revocations", 0, 1000)):
        p = f"scenario.revocations[{i}]"
        _obj(r, p, {"at_s", "node"}, ("at_s", "node"))
        node = _address(r["node"], f"{p}.node", {n.address for n in nodes})
        if next(n for n in nodes if n.address == node).role == "ground":
            raise ScenarioError(f"{p}.node = {node} is a ground station: only drones can be revoked")
        if any(node == o.node for o in out):
            raise ScenarioError(f"{p}.node = {node} is revoked twice")
        out.append(Revocation(_real(r["at_s"], f"{p}.at_s", 0, duration), node))
    return tuple(out)


def _jammers(value, radio: Radio, duration: float) -> tuple:
    out = []
    for i, j in enumerate(_list(value, "scenario.jammers", 0, 64)):
        p = f"scenario.jammers[{i}]"
        _obj(j, p, JAMMER, ("channels", "power_dbm", "position_m"))
        chans = [_int(c, f"{p}.channels[{k}]", 0, radio.channels - 1)
                 for k, c in enumerate(_list(j["channels"], f"{p}.channels", 1, radio.channels))]
        if len(set(chans)) != len(chans):
            raise ScenarioError(f"{p}.channels names a channel twice")
        start = _real(j.get("start_s", 0.0), f"{p}.start_s", 0, duration)
        stop = _real(j.get("stop_s", duration), f"{p}.stop_s", 0, duration)
        if stop < start:
            raise ScenarioError(f"{p}.stop_s must not be before start_s")
        out.append(Jammer(tuple(sorted(chans)), _real(j["power_dbm"], f"{p}.power_dbm", -30, 60),
                          _point(j["position_m"], f"{p}.position_m"),
                          argcheck.one_of(j.get("kind", "partial_band"), f"{p}.kind", ScenarioError, JAMMER_KINDS),
                          start, stop, _real(j.get("reaction_us", 100.0), f"{p}.reaction_us", 0, 1e6),
                          _real(j.get("dwell_us", 500.0), f"{p}.dwell_us", 1, 1e6)))
    return tuple(out)


def _propagation(value) -> Propagation:
    r = _obj(value, "scenario.propagation", set(Propagation._fields))
    d, p = Propagation(), "scenario.propagation"
    return Propagation(argcheck.one_of(r.get("environment", d.environment), f"{p}.environment", ScenarioError,
                                       ENVIRONMENTS),
                       argcheck.flag(r.get("shadowing", d.shadowing), f"{p}.shadowing", ScenarioError),
                       argcheck.flag(r.get("fading", d.fading), f"{p}.fading", ScenarioError))


def _security(value) -> Security:
    r = _obj(value, "scenario.security", set(Security._fields))
    d, p = Security(), "scenario.security"
    return Security(argcheck.one_of(r.get("suite", d.suite), f"{p}.suite", ScenarioError, SUITES),
                    argcheck.one_of(r.get("method", d.method), f"{p}.method", ScenarioError, METHODS),
                    _int(r.get("max_peers", d.max_peers), f"{p}.max_peers", 1, MAX_NODES))


def validate(scenario, seed=None) -> Scenario:
    """The checked, defaulted :class:`Scenario` of a scenario dict; ``seed``
    (int ≥ 0 or None) overrides the scenario's own."""
    s = _obj(scenario, "scenario", TOP, ("duration_s", "nodes"))
    base_seed = _int(s.get("seed", 0), "scenario.seed", 0, 2**63 - 1)
    seed = base_seed if seed is None else _int(seed, "seed", 0, 2**63 - 1)
    duration = _real(s["duration_s"], "scenario.duration_s", 0, 3600, lo_open=True)
    warmup = _real(s.get("warmup_s", 2.0), "scenario.warmup_s", 0, 3600)
    radio = _radio(s.get("radio", {}))
    nodes = _nodes(s["nodes"], radio, duration)
    addrs = {n.address for n in nodes}
    groups = _groups(s.get("groups", {}), addrs)
    mac = _mac(_obj(s.get("mac", {}), "scenario.mac", _mac_fields()))
    return Scenario(seed, duration, warmup, nodes, radio, groups,
                    _traffic(s.get("traffic", []), addrs, groups, duration),
                    _failures(s.get("failures", []), addrs, duration),
                    _jammers(s.get("jammers", []), radio, duration),
                    _propagation(s.get("propagation", {})), _security(s.get("security", {})), dict(mac),
                    _revocations(s.get("revocations", []), nodes, duration))


def _mac_fields() -> set:
    from protocol.netsim.mac import MacParams  # the MAC owns its parameters
    return set(MacParams.TUNABLE)


def _mac(mac: dict) -> dict:
    from protocol.netsim.mac import MacParams
    MacParams.from_scenario(mac)  # checks every value
    return dict(mac)


def finite_or_none(x: float) -> float | None:
    """A float for JSON: None for NaN or infinity."""
    return None if x is None or not math.isfinite(x) else float(x)
