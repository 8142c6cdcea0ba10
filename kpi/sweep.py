"""The one sweep runner: BER/PER curves, network-simulator seeds and sensor
conditions, on any backend (:mod:`kpi.backends`), cached on disk
(:mod:`kpi.cache`), with a progress bar.

A :class:`Series` is a named list of points (JSON parameter dicts) and a
function ``"package.module:function"`` called as ``fn(params, rng) -> dict``
in a worker. Each point runs as one or more **chunks**; every chunk has its
own generator, from ``numpy.random.SeedSequence`` on (base seed, SHA-256 of
the series name, point index) — :func:`mesh_phy.link.seeds.point_seed`, the
link runner's seeds — with ``spawn_key=(chunk,)`` when a point is split.
So a chunk's result depends only on what it is, never on which worker ran it,
when, or next to what.

* **Plain** series (netsim seeds, sensor conditions): one chunk per point,
  its dict is the point's result; all points run at once.
* **Counted** series (``target_errors`` set: BER/PER): the function gets
  ``params["target_errors"]`` and ``params["max_trials"]`` and returns
  ``{"errors": int, "trials": int, ...}`` (other numbers and dicts of numbers
  are summed over chunks). A point stops on an error count: its result is the
  sum over chunks 0..K-1, K the first count at which the errors reach
  ``target_errors`` or the trials ``max_trials`` (a chunk runs at most
  ``chunk_trials`` trials). Chunks beyond K may run in parallel
  (speculatively) and are cached but not used, so the result is the same on
  one worker or a thousand. With ``end_below`` set, the points run in order
  and the series ends after its first point with no error or an error rate
  below ``end_below`` (nothing left to resolve): :func:`mesh_phy.link.runner.sweep`
  runs its curves this way; an unsplit counted point (no
  ``chunk_trials``) draws exactly the numbers of
  :func:`mesh_phy.link.runner.measure` for the same seed.

Chunks are cached by (code hash of ``sources``, function, parameters, seed):
:class:`Runner` looks each one up before it submits it, so a second run
computes only what changed. A chunk already in flight for another sweep
(another KPI of the same report, in another thread) is shared, not run twice.
"""

import datetime as _dt
import importlib
import json
import math
import platform
import sys
import threading
import time
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

import argcheck
from kpi import cache as _cache
from kpi.backends import Backend
from kpi.errors import KpiError
from mesh_phy.link import seeds, stats

MAX_POINTS = 100_000


def _fn_path(text) -> str:
    text = argcheck.text(text, "fn", KpiError, max_len=300)
    mod, _, name = text.partition(":")
    if not mod or not name or not all(p.isidentifier() for p in mod.split(".") + [name]):
        raise KpiError(f"fn must be 'package.module:function', got {text[:60]!r}")
    return text


def resolve(path: str):
    """The function named ``"package.module:function"``."""
    mod, _, name = _fn_path(path).partition(":")
    try:
        fn = getattr(importlib.import_module(mod), name)
    except (ImportError, AttributeError) as exc:
        raise KpiError(f"cannot import {path}: {exc}") from None
    if not callable(fn):
        raise KpiError(f"{path} is not callable")
    return fn


@dataclass(frozen=True)
class Series:
    """A named list of points (see module docstring). ``sources``: globs of
    the files the function's results depend on (they key the cache)."""

    name: str
    fn: str
    points: tuple
    sources: tuple
    target_errors: int | None = None
    max_trials: int | None = None
    chunk_trials: int | None = None
    end_below: float | None = None

    def __post_init__(self):
        argcheck.text(self.name, "name", KpiError, max_len=1000)
        _fn_path(self.fn)
        if not isinstance(self.points, (list, tuple)) or not 1 <= len(self.points) <= MAX_POINTS \
                or not all(isinstance(p, dict) for p in self.points):
            raise KpiError(f"points of {self.name} must be a list of 1..{MAX_POINTS} parameter dicts")
        object.__setattr__(self, "points", tuple(self.points))
        if not isinstance(self.sources, (list, tuple)) or not self.sources:
            raise KpiError(f"sources of {self.name} must be a non-empty list of globs")
        object.__setattr__(self, "sources", tuple(argcheck.text(s, "source", KpiError, max_len=300)
                                                  for s in self.sources))
        if self.target_errors is None:
            if (self.max_trials, self.chunk_trials, self.end_below) != (None, None, None):
                raise KpiError(f"{self.name}: max_trials, chunk_trials and end_below need target_errors")
            return
        argcheck.integer(self.target_errors, "target_errors", KpiError, lo=1, hi=2**62)
        if self.max_trials is None:
            raise KpiError(f"{self.name}: a counted series needs max_trials")
        cap = argcheck.integer(self.max_trials, "max_trials", KpiError, lo=1, hi=2**62)
        if self.chunk_trials is not None:
            chunk = argcheck.integer(self.chunk_trials, "chunk_trials", KpiError, lo=1, hi=cap)
            if -(-cap // chunk) > 1_000_000:
                raise KpiError(f"{self.name}: max_trials / chunk_trials must be at most 1,000,000 chunks")
        if self.end_below is not None:
            argcheck.real(self.end_below, "end_below", KpiError, lo=0.0, hi=1.0)

    @property
    def counted(self) -> bool:
        return self.target_errors is not None

    @property
    def max_chunks(self) -> int:
        return -(-self.max_trials // self.chunk_trials) if self.counted and self.chunk_trials else 1


class PointResult(NamedTuple):
    """One point's result and where it came from."""

    series: str
    index: int
    params: dict
    result: dict
    chunks: int  # chunks that make the result
    computed: int  # ... of which computed in this run (the others came from the cache)
    seconds: float  # compute time of those chunks, when they ran (wall clock in the worker)
    utc: str  # when the newest of them ran (ISO 8601)
    cpu_s: float = 0.0  # CPU time of those chunks (the worker process's)

    @property
    def rate(self) -> float:
        """Error rate of a counted point."""
        n = self.result.get("trials", 0)
        return self.result["errors"] / n if n else float("nan")

    @property
    def ci(self) -> tuple[float, float]:
        """95 % Wilson interval of :attr:`rate`."""
        return stats.wilson(int(self.result["errors"]), int(self.result["trials"]))


def _jsonable(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.bool_):
        return bool(o)
    raise TypeError(f"{type(o).__name__} is not JSON data")


def one_thread() -> int | None:
    """Run numba's parallel loops on one thread in this thread; returns the
    thread count it had (None without numba), for :func:`threads_back`."""
    try:
        import numba

        before = numba.get_num_threads()
        numba.set_num_threads(1)
        return before
    except (ImportError, ValueError):  # no numba, or no threading layer: nothing runs in parallel anyway
        return None


def threads_back(before: int | None) -> None:
    """Give this thread back the numba thread count :func:`one_thread` returned."""
    if before is not None:
        import numba

        numba.set_num_threads(before)


def run_chunk(fn: str, params: dict, entropy, spawn_key, sources) -> dict:
    """Run one chunk (in a worker): ``fn(params, rng)`` on the chunk's
    generator. The record holds the result, the compute time, when and where
    it ran, and the code hash of ``sources`` as this worker sees them (the
    client checks it against its own: see :meth:`Runner.run`). A worker is
    one core: numba's parallel loops (the batched Viterbi) run on one thread
    here, so N workers use N cores and a worker's throughput is a core's
    (on the serial backend, in the caller's thread, the thread count is given
    back afterwards)."""
    before = one_thread()
    try:
        code = _cache.code_hash(tuple(sources))
        rng = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=tuple(spawn_key)))
        t0, c0 = time.perf_counter(), time.process_time()
        out = resolve(fn)(dict(params), rng)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        threads_back(before)
    if not isinstance(out, dict):
        raise KpiError(f"{fn} must return a dict, got {type(out).__name__}")
    try:
        out = json.loads(json.dumps(out, default=_jsonable, allow_nan=True))
    except (TypeError, ValueError) as exc:
        raise KpiError(f"{fn} returned something that is not JSON data: {exc}") from None
    return {"result": out, "seconds": round(seconds, 6), "cpu_s": round(cpu, 6), "host": platform.node(), "code": code,
            "utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}


def _add(into: dict, more: dict, where: str) -> None:
    for k, v in more.items():
        if isinstance(v, dict):
            _add(into.setdefault(k, {}), v, f"{where}.{k}")
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            into[k] = into.get(k, 0) + v
        else:
            raise KpiError(f"counted chunk results hold numbers and dicts of numbers; {where}.{k} is "
                           f"{type(v).__name__}")


class _Point:
    def __init__(self, series: Series, index: int, base_seed: int, code: str):
        self.s, self.index, self.code = series, index, code
        self.entropy = list(seeds.point_seed(base_seed, series.name, index).entropy)
        self.records: dict[int, tuple[dict, bool]] = {}  # chunk -> (record, computed now)
        self.submitted: set[int] = set()
        self.result: PointResult | None = None

    def chunk_params(self, c: int) -> dict:
        s = self.s
        p = dict(s.points[self.index])
        if s.counted:
            if "target_errors" in p or "max_trials" in p:
                raise KpiError(f"{s.name}: target_errors and max_trials are the runner's parameters")
            cap = s.max_trials if s.chunk_trials is None else min(s.chunk_trials, s.max_trials - c * s.chunk_trials)
            p.update(target_errors=s.target_errors, max_trials=cap)
        return p

    def spawn_key(self, c: int) -> list:
        return [c] if self.s.chunk_trials is not None else []

    def describe(self, c: int) -> dict:
        return {"fn": self.s.fn, "params": self.chunk_params(c), "entropy": self.entropy,
                "spawn_key": self.spawn_key(c), "code": self.code}

    def wanted(self, workers: int) -> int:
        """How many chunks should have been submitted by now."""
        s = self.s
        if s.max_chunks == 1:
            return 1
        prefix = 0
        e_prefix = 0
        while prefix in self.records:
            e_prefix += self.records[prefix][0]["result"]["errors"]
            prefix += 1
        e = sum(r["result"]["errors"] for r, _ in self.records.values())
        n = sum(r["result"]["trials"] for r, _ in self.records.values())
        if e > 0:
            more = math.ceil(max(0, s.target_errors - e_prefix) * n / e / s.chunk_trials)
            want = prefix + max(1, more)
        else:
            want = prefix + workers
        return min(s.max_chunks, want)

    def next_chunk(self) -> int:
        c = 0
        while c in self.submitted:
            c += 1
        return c

    def decide(self) -> bool:
        """Settle the result if the chunks so far decide it (see module docstring)."""
        s = self.s
        if self.result is not None:
            return True
        if not s.counted:
            if 0 not in self.records:
                return False
            used = [0]
            result = self.records[0][0]["result"]
        else:
            errors = trials = 0
            used = []
            for c in range(s.max_chunks):
                if c not in self.records:
                    return False
                r = self.records[c][0]["result"]
                if not isinstance(r.get("errors"), int) or not isinstance(r.get("trials"), int):
                    raise KpiError(f"{s.fn} must return integer 'errors' and 'trials' in a counted series")
                errors += r["errors"]
                trials += r["trials"]
                used.append(c)
                if errors >= s.target_errors or trials >= s.max_trials:
                    break
            result: dict = {}
            for c in used:
                _add(result, self.records[c][0]["result"], s.name)
            result["chunks"] = len(used)
        recs = [self.records[c] for c in used]
        self.result = PointResult(s.name, self.index, dict(s.points[self.index]), result, len(used),
                                  sum(1 for _, now in recs if now), round(sum(r["seconds"] for r, _ in recs), 6),
                                  max(r["utc"] for r, _ in recs), round(sum(r.get("cpu_s", 0.0) for r, _ in recs), 6))
        return True


class _SeriesState:
    def __init__(self, series: Series, points: list):
        self.s, self.points, self.ended = series, points, False

    def active(self) -> list:
        if self.ended:
            return []
        open_ = [p for p in self.points if p.result is None]
        return open_[:1] if self.s.end_below is not None else open_

    def finished(self, point: _Point) -> int:
        """Note a decided point; returns how many points that settles (itself and any it ends)."""
        if self.s.end_below is None:
            return 1
        r = point.result
        if r.result["errors"] == 0 or r.rate < self.s.end_below:
            self.ended = True
            return 1 + sum(1 for p in self.points if p.result is None)
        return 1


class Runner:
    """Runs sweeps on ``backend`` with ``cache`` (a :class:`kpi.cache.Cache`
    or None) from ``base_seed``; ``progress`` shows one bar of points on
    stderr (when it is a terminal), labelled ``desc``. Safe to call
    :meth:`run` from several threads at once."""

    def __init__(self, backend: Backend, cache=None, base_seed: int = 1, progress: bool = True,
                 desc: str = "KPI sweeps"):
        if not isinstance(backend, Backend):
            raise KpiError(f"backend must be a kpi.backends.Backend, got {type(backend).__name__}")
        self.backend = backend
        self.cache = cache if cache is not None else _cache.Cache(None)
        self.base_seed = argcheck.integer(base_seed, "base_seed", KpiError, lo=0, hi=seeds.MAX_SEED)
        self.computed = self.cached = 0
        self._lock = threading.RLock()
        self._inflight: dict = {}
        self._warned: set = set()
        from tqdm import tqdm

        self.bar = tqdm(total=0, unit="pt", desc=argcheck.text(desc, "desc", KpiError, max_len=80), leave=False,
                        disable=None if argcheck.flag(progress, "progress", KpiError) else True)

    def close(self) -> None:
        self.bar.close()

    def _stored(self, k: str, what: dict, fut) -> None:
        """Cache a finished chunk under the code it ran (a worker whose
        sources differ from the client's files its result under its own)."""
        with self._lock:
            self._inflight.pop(k, None)
        if not fut.cancelled() and fut.exception() is None:
            rec = fut.result()
            self.cache.put(k if rec["code"] == what["code"] else _cache.key({**what, "code": rec["code"]}), rec)

    def _submit(self, point: _Point, c: int, k: str):
        with self._lock:
            fut = self._inflight.get(k)
            if fut is None:
                s = point.s
                fut = self.backend.submit(run_chunk, s.fn, point.chunk_params(c), point.entropy,
                                          point.spawn_key(c), list(s.sources))
                self._inflight[k] = fut
                what = point.describe(c)
                fut.add_done_callback(lambda f: self._stored(k, what, f))
        return fut

    def _check_code(self, pt: _Point, rec: dict) -> None:
        """A chunk ran on other sources than the client hashed. If the client
        sees the worker's hash when it looks again, the files changed during
        the run: go on with the new code. Otherwise a remote worker runs
        another revision: refused (its results would be filed wrongly). A
        local worker (same files) that imported them before an edit made
        during the run is kept, filed under the code it ran, and said."""
        if rec["code"] == pt.code:
            return
        _cache.forget()
        now = _cache.code_hash(pt.s.sources)
        if now == rec["code"]:
            pt.code = now
        elif self.backend.remote:
            raise KpiError(f"a worker ran other code than this client has for {pt.s.fn} (sources "
                           f"{', '.join(pt.s.sources)[:120]}): run every worker on the same revision")
        with self._lock:
            if pt.s.name in self._warned:
                return
            self._warned.add(pt.s.name)
        print(f"kpi: the sources of {pt.s.name} changed during the run; its chunks mix the old and the new code",
              file=sys.stderr)

    def run(self, series) -> list[list[PointResult]]:
        """The points of every series of ``series`` (a list), in order; a
        series that ended early (``end_below``) lists only the points it ran."""
        if not isinstance(series, (list, tuple)) or not all(isinstance(s, Series) for s in series):
            raise KpiError("series must be a list of kpi.sweep.Series")
        names = [s.name for s in series]
        if len(set(names)) != len(names):
            raise KpiError("series names must be distinct (they seed the points)")
        states = []
        for s in series:
            code = _cache.code_hash(s.sources)
            states.append(_SeriesState(s, [_Point(s, i, self.base_seed, code) for i in range(len(s.points))]))
        with self._lock:
            self.bar.total += sum(len(st.points) for st in states)
            self.bar.refresh()
        pending: dict = {}
        while True:
            self._fill(states, pending)
            live = [f for f, (_, pt, _) in pending.items() if pt.result is None]
            if not live:
                break
            for f in self.backend.wait_first(live):
                st, pt, c = pending.pop(f)
                try:
                    rec = f.result()
                except Exception as exc:
                    exc.add_note(f"in chunk {c} of point {pt.index} of sweep {pt.s.name!r} ({pt.s.fn})")
                    raise
                with self._lock:
                    self.computed += 1
                self._check_code(pt, rec)
                if pt.result is None:
                    pt.records[c] = (rec, True)
                    if pt.decide():
                        self._tick(st.finished(pt))
        return [[p.result for p in st.points if p.result is not None] for st in states]

    def _tick(self, n: int) -> None:
        with self._lock:
            self.bar.update(n)

    def _fill(self, states, pending) -> None:
        """Submit chunks (or take them from the cache) until the backend has
        ``capacity`` of ours in flight or nothing more is wanted."""
        progress = True
        while progress:
            progress = False
            room = self.backend.capacity - sum(1 for _, pt, _ in pending.values() if pt.result is None)
            for st in states:
                for pt in st.active():
                    while room > 0 and pt.result is None and len(pt.submitted) < pt.wanted(self.backend.workers):
                        c = pt.next_chunk()
                        pt.submitted.add(c)
                        k = _cache.key(pt.describe(c))
                        rec = self.cache.get(k)
                        progress = True
                        if rec is not None:
                            with self._lock:
                                self.cached += 1
                            pt.records[c] = (rec, False)
                            if pt.decide():
                                self._tick(st.finished(pt))
                        else:
                            fut = self._submit(pt, c, k)
                            pending[fut] = (st, pt, c)
                            room -= 1
                    if room <= 0:
                        return
