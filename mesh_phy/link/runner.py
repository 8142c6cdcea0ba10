"""The link-level loop shared by the BER and PER sweeps.

A :class:`Link` is one operating point (a rate, a channel, an SNR) split into
the four steps every link simulation has::

    sent = transmit(rng) → received = channel(sent, rng) → got = receive(received) → count(sent, got)

:meth:`Link.batch` runs them once (a batch: many frames for the BER link, a
packet for the PER link) and returns a :class:`Batch` of errors and trials.

:func:`run_point` repeats batches until ``target_errors`` errors or
``max_trials`` trials, whichever comes first. :func:`measure` does it for
point ``index`` of a :class:`Curve` with the generator of
:func:`mesh_phy.link.seeds.point_rng`, so a point's result depends only on
(base seed, curve name, index, limits): not on order or on the number of
workers.

:func:`sweep` runs the curves on the project's one sweep runner,
:class:`kpi.sweep.Runner`, on any of its backends (:mod:`kpi.backends`:
serial, local processes, Dask — a ``LocalCluster`` or a cluster at
``tcp://host:8786``): each curve is a counted series named after the curve
whose points run in order and end after the first point with no error or
with an error rate below ``floor`` (nothing more to resolve); a point is one
unsplit chunk (:func:`curve_chunk`), which draws exactly the numbers of
:func:`measure`, so the points are the same on every backend and worker
count. A progress bar shows on stderr when stderr is a terminal.
"""

import abc
import base64
import pickle
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import argcheck
from mesh_phy.channel import signal
from mesh_phy.errors import PhyError
from mesh_phy.link import seeds, stats


class Batch(NamedTuple):
    """Errors and trials of one batch; ``tally`` counts outcomes by cause
    (e.g. which receiver error) for diagnostics."""

    errors: int
    trials: int
    tally: Mapping[str, int] | None = None


class Point(NamedTuple):
    """The measured error rate of one point of a curve."""

    curve: str
    x: float
    errors: int
    trials: int
    tally: Mapping[str, int]

    @property
    def rate(self) -> float:
        return self.errors / self.trials if self.trials else float("nan")

    @property
    def ci(self) -> tuple[float, float]:
        """95 % Wilson interval of :attr:`rate`."""
        return stats.wilson(self.errors, self.trials)


class Link(abc.ABC):
    """One operating point of a link (see module docstring)."""

    @abc.abstractmethod
    def transmit(self, rng):
        """What is sent (bits, symbols, samples: whatever ``count`` needs)."""

    @abc.abstractmethod
    def channel(self, sent, rng):
        """What arrives at the receiver."""

    @abc.abstractmethod
    def receive(self, received):
        """The receiver's output (a raised typed error may be returned as the result)."""

    @abc.abstractmethod
    def count(self, sent, got) -> Batch:
        """Errors and trials of this batch."""

    def batch(self, rng) -> Batch:
        rng = signal.generator(rng)
        sent = self.transmit(rng)
        return self.count(sent, self.receive(self.channel(sent, rng)))


@dataclass(frozen=True)
class Curve:
    """A named curve: operating points ``xs`` (e.g. SNR in dB) and
    ``make_link(x) -> Link``. The name seeds the points, so keep it stable.
    :func:`sweep` needs ``make_link`` picklable (a module-level class or
    ``functools.partial``): it travels to the workers with the points."""

    name: str
    xs: tuple
    make_link: Callable[[float], Link]

    def __post_init__(self):
        argcheck.text(self.name, "name", PhyError, max_len=1000)
        xs = argcheck.array(self.xs, "xs", PhyError, kind="f", ndim=1)
        object.__setattr__(self, "xs", tuple(float(v) for v in xs))
        if not callable(self.make_link):
            raise PhyError("make_link must be callable")


def run_point(link: Link, rng, *, target_errors: int, max_trials: int) -> tuple[int, int, dict]:
    """Batches of ``link`` until ``target_errors`` errors or ``max_trials``
    trials (a batch is never cut): ``(errors, trials, tally)``."""
    if not isinstance(link, Link):
        raise PhyError(f"link must be a mesh_phy.link.runner.Link, got {type(link).__name__}")
    rng = signal.generator(rng)
    target = argcheck.integer(target_errors, "target_errors", PhyError, lo=1, hi=2**62)
    cap = argcheck.integer(max_trials, "max_trials", PhyError, lo=1, hi=2**62)
    errors = trials = 0
    tally: Counter = Counter()
    while errors < target and trials < cap:
        b = link.batch(rng)
        errors += b.errors
        trials += b.trials
        if b.tally:
            tally.update(b.tally)
    return errors, trials, dict(tally)


def measure(curve: Curve, index: int, base_seed: int, *, target_errors: int, max_trials: int) -> Point:
    """Point ``index`` of ``curve``, on its own seed (see module docstring)."""
    if not isinstance(curve, Curve):
        raise PhyError(f"curve must be a mesh_phy.link.runner.Curve, got {type(curve).__name__}")
    x = curve.xs[argcheck.integer(index, "index", PhyError, lo=0, hi=len(curve.xs) - 1)]
    rng = seeds.point_rng(base_seed, curve.name, index)
    e, n, tally = run_point(curve.make_link(x), rng, target_errors=target_errors, max_trials=max_trials)
    return Point(curve.name, x, e, n, tally)


SOURCES = ("mesh_phy/**/*.py", "argcheck/*.py")  # what a link point's numbers depend on (keys a cache)


def curve_chunk(params: dict, rng) -> dict:
    """One point of a :class:`Curve` as a :mod:`kpi.sweep` chunk:
    ``params["make_link"]`` is the curve's ``make_link`` pickled (base64,
    made by :func:`sweep` in this same program: like every task a scheduler
    ships to its workers, it must come from a trusted client), ``params["x"]``
    the operating point, plus the runner's ``target_errors`` and
    ``max_trials``. Returns the errors, trials and tally."""
    make_link = pickle.loads(base64.b64decode(params["make_link"]))
    e, n, tally = run_point(make_link(params["x"]), rng, target_errors=params["target_errors"],
                            max_trials=params["max_trials"])
    return {"errors": e, "trials": n, "tally": tally}


def _backend(jobs: int, backend, scheduler):
    """(the kpi backend to run on, whether :func:`sweep` made it and must close it)."""
    from kpi import backends
    from kpi.errors import KpiError

    if isinstance(backend, backends.Backend):
        if scheduler is not None:
            raise PhyError("give either a backend object or a scheduler address, not both")
        return backend, False
    if backend is not None and not isinstance(backend, str):
        raise PhyError(f"backend must be one of {', '.join(backends.NAMES)} or a kpi.backends backend, "
                       f"got {type(backend).__name__}")
    name = backend if backend is not None else "dask" if scheduler is not None else \
        "serial" if jobs == 1 else "processes"
    try:
        return backends.make(name, None if name == "dask" and scheduler is not None else jobs, scheduler), True
    except KpiError as exc:
        raise PhyError(str(exc)) from None


def add_backend_arguments(ap) -> None:
    """The ``--backend`` and ``--scheduler`` options of a sweep CLI (``argparse`` parser ``ap``), for :func:`sweep`."""
    ap.add_argument("--backend", default=None, choices=("serial", "processes", "dask"),
                    help="where the points run (default: serial for --jobs 1, else processes; same results on each)")
    ap.add_argument("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://host:8786 (implies dask)")


def sweep(curves: Sequence[Curve], *, base_seed: int, target_errors: int, max_trials: int,
          floor: float = 0.0, progress: bool = True, jobs: int = 1, backend=None, scheduler: str | None = None
          ) -> list[Point]:
    """Every curve's points in order, each curve ended early by its first
    point with no error or with a rate below ``floor``, on the sweep runner
    of :mod:`kpi.sweep` (see module docstring).

    Where the points run: ``backend`` — a name (``"serial"``, ``"processes"``,
    ``"dask"``) with ``jobs`` workers (a Dask ``LocalCluster`` of ``jobs``
    worker processes, or the cluster at ``scheduler``, e.g.
    ``"tcp://host:8786"``), or a :mod:`kpi.backends` backend object, which
    the caller keeps and closes; by default serial for ``jobs`` = 1, else
    ``jobs`` local processes (Dask when ``scheduler`` is given). Different
    curves' points run at once; the results are the same everywhere."""
    if not isinstance(curves, (list, tuple)) or not all(isinstance(c, Curve) for c in curves):
        raise PhyError("curves must be a list of mesh_phy.link.runner.Curve")
    names = [c.name for c in curves]
    if len(set(names)) != len(names):
        raise PhyError("curve names must be distinct (they seed the points)")
    base_seed = argcheck.integer(base_seed, "base_seed", PhyError, lo=0, hi=seeds.MAX_SEED)
    fl = argcheck.real(floor, "floor", PhyError, lo=0.0, hi=1.0)
    jobs = argcheck.integer(jobs, "jobs", PhyError, lo=1, hi=256)
    target = argcheck.integer(target_errors, "target_errors", PhyError, lo=1, hi=2**62)
    cap = argcheck.integer(max_trials, "max_trials", PhyError, lo=1, hi=2**62)
    progress = argcheck.flag(progress, "progress", PhyError)
    from kpi.sweep import Runner, Series

    series = []
    for c in curves:
        if not c.xs:
            continue
        try:
            blob = base64.b64encode(pickle.dumps(c.make_link)).decode("ascii")
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise PhyError(f"make_link of curve {c.name!r} must be picklable (a module-level class or "
                           f"functools.partial): {exc}") from None
        series.append(Series(c.name, "mesh_phy.link.runner:curve_chunk",
                             tuple({"x": x, "make_link": blob} for x in c.xs), SOURCES,
                             target_errors=target, max_trials=cap, end_below=fl))
    if not series:
        return []
    where, owned = _backend(jobs, backend, scheduler)
    runner = Runner(where, None, base_seed=base_seed, progress=progress, desc="link sweep")
    try:
        out = runner.run(series)
    finally:
        runner.close()
        if owned:
            where.close()
    return [Point(s.name, p.params["x"], p.result["errors"], p.result["trials"], p.result.get("tally", {}))
            for s, pts in zip(series, out, strict=True) for p in pts]
