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
workers (``jobs``), and a scheduler such as Dask can run :func:`measure`
calls anywhere. :func:`sweep` runs the curves' points in order, ends a curve
after its first point with no error or with an error rate below ``floor``
(nothing more to resolve), and shows a progress bar on stderr when stderr
is a terminal.
"""

import abc
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass
from multiprocessing import get_context
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
    For ``jobs > 1``, ``make_link`` must be picklable (a module-level class or
    ``functools.partial``)."""

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


def _ends_curve(p: Point, floor: float) -> bool:
    return p.errors == 0 or p.rate < floor


def progress_bar(total: int, enabled: bool, desc: str = ""):
    """A tqdm bar on stderr, shown only when ``enabled`` and stderr is a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="pt", file=sys.stderr,
                disable=not (enabled and sys.stderr.isatty()), leave=False)


def sweep(curves: Sequence[Curve], *, base_seed: int, target_errors: int, max_trials: int,
          floor: float = 0.0, progress: bool = True, jobs: int = 1, backend=None) -> list[Point]:
    """Every curve's points in order, each curve ended early by its first
    point with no error or with a rate below ``floor``. ``jobs`` > 1 runs
    different curves' points in that many processes; the points (and so the
    results) are the same as with one. ``backend`` — any object with
    ``submit(fn, *args, **kwargs) -> future``, ``wait_first(futures) -> done
    set`` and ``workers`` (a :mod:`kpi.backends` backend: serial, local
    processes, Dask) — runs the points there instead of ``jobs``; the results
    are again the same."""
    if not isinstance(curves, (list, tuple)) or not all(isinstance(c, Curve) for c in curves):
        raise PhyError("curves must be a list of mesh_phy.link.runner.Curve")
    names = [c.name for c in curves]
    if len(set(names)) != len(names):
        raise PhyError("curve names must be distinct (they seed the points)")
    base_seed = argcheck.integer(base_seed, "base_seed", PhyError, lo=0, hi=seeds.MAX_SEED)
    fl = argcheck.real(floor, "floor", PhyError, lo=0.0, hi=1.0)
    jobs = argcheck.integer(jobs, "jobs", PhyError, lo=1, hi=256)
    if backend is not None and not all(callable(getattr(backend, f, None)) for f in ("submit", "wait_first")):
        raise PhyError("backend must have submit(fn, *args) and wait_first(futures), e.g. a kpi.backends backend")
    limits = dict(target_errors=target_errors, max_trials=max_trials)
    results: dict[int, list[Point]] = {i: [] for i in range(len(curves))}
    bar = progress_bar(sum(len(c.xs) for c in curves), progress)

    def record(ci: int, p: Point) -> bool:
        """Store ``p``; True when the curve goes on."""
        results[ci].append(p)
        bar.update()
        bar.set_postfix_str(f"{p.curve} {p.x:g}: {p.errors}/{p.trials}")
        go_on = not _ends_curve(p, fl) and len(results[ci]) < len(curves[ci].xs)
        if not go_on:
            bar.update(len(curves[ci].xs) - len(results[ci]))
        return go_on

    try:
        if jobs == 1 and backend is None:
            for ci, c in enumerate(curves):
                for i in range(len(c.xs)):
                    if not record(ci, measure(c, i, base_seed, **limits)):
                        break
        else:
            slots = jobs if backend is None else max(1, int(getattr(backend, "workers", 1)))
            with (ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) if backend is None
                  else nullcontext(backend)) as pool:
                pending = {}
                waiting = list(range(len(curves)))[::-1]  # curves not yet started, next one last
                while waiting or pending:
                    while waiting and len(pending) < slots:
                        ci = waiting.pop()
                        if curves[ci].xs:
                            pending[pool.submit(measure, curves[ci], 0, base_seed, **limits)] = ci
                    done = wait(pending, return_when=FIRST_COMPLETED)[0] if backend is None else \
                        backend.wait_first(list(pending))
                    for fut in done:
                        ci = pending.pop(fut)
                        if record(ci, fut.result()):
                            nxt = len(results[ci])
                            pending[pool.submit(measure, curves[ci], nxt, base_seed, **limits)] = ci
    finally:
        bar.close()
    return [p for ci in range(len(curves)) for p in results[ci]]
