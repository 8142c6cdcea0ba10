"""Where sweep chunks run: the pluggable backends of :mod:`kpi.sweep`.

Every backend has the same four members:

* ``submit(fn, *args, **kwargs) -> future`` — run ``fn(*args, **kwargs)``
  somewhere; the future
  has ``result()``, ``done()`` and ``add_done_callback(cb)``;
* ``wait_first(futures) -> set`` — block until at least one of ``futures``
  is done, return the done ones;
* ``workers`` — how many chunks can run at once (``capacity`` is how many
  the runner keeps in flight: one for :class:`Serial`, two per worker
  otherwise, so a worker never waits for the client);
* ``close()`` (also a context manager).

Backends: :class:`Serial` (in this process, one after the other),
:class:`Processes` (``concurrent.futures`` worker processes, spawned), and
:class:`Dask` (``distributed``: a ``LocalCluster`` of worker processes by
default, ``processes=False`` for threads in this process, or an existing
cluster at ``scheduler="tcp://host:8786"`` — its workers must import this
repository's code at the same revision; the runner checks the code hash on
every chunk). The results never depend on the backend or the number of
workers: every chunk has its own seed (:mod:`kpi.sweep`).
"""

import abc
import logging
import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from multiprocessing import get_context

import argcheck
from argcheck.cli import usable_cores
from kpi.errors import KpiError

NAMES = ("serial", "processes", "dask")
MAX_WORKERS = 4096


class Backend(abc.ABC):
    name = "?"
    workers = 1
    remote = False  # workers on other machines (their files are not this client's)

    @property
    def capacity(self) -> int:
        return 2 * self.workers

    @abc.abstractmethod
    def submit(self, fn, *args, **kwargs): ...

    @abc.abstractmethod
    def wait_first(self, futures) -> set: ...

    def close(self) -> None:  # noqa: B027 - most backends have nothing to release
        """Release the workers (a no-op for :class:`Serial`)."""

    def describe(self) -> str:
        return f"{self.name}, {self.workers} worker{'s' if self.workers != 1 else ''}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Serial(Backend):
    """Runs each chunk at ``submit``, in this process; its futures are done
    when returned (an exception is kept in the future, as elsewhere)."""

    name = "serial"
    capacity = 1

    def submit(self, fn, *args, **kwargs) -> Future:
        f: Future = Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - handed to the caller through the future, as a pool does
            f.set_exception(exc)
        return f

    def wait_first(self, futures) -> set:
        return {f for f in futures if f.done()}


class Processes(Backend):
    """``workers`` spawned processes (``concurrent.futures``)."""

    name = "processes"

    def __init__(self, workers: int):
        self.workers = argcheck.integer(workers, "workers", KpiError, lo=1, hi=MAX_WORKERS)
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=get_context("spawn"))

    def submit(self, fn, *args, **kwargs) -> Future:
        return self._pool.submit(fn, *args, **kwargs)

    def wait_first(self, futures) -> set:
        return wait(futures, return_when=FIRST_COMPLETED).done

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class Dask(Backend):
    """A Dask ``distributed`` client: on the cluster at ``scheduler``
    (``tcp://host:port``), else on a new ``LocalCluster`` of ``workers``
    single-threaded workers (processes, or threads of this process with
    ``processes=False``)."""

    name = "dask"

    def __init__(self, workers: int | None = None, scheduler: str | None = None, processes: bool = True):
        try:
            import distributed
        except ImportError:
            raise KpiError("the dask backend needs the dask and distributed packages "
                           "(pip install dask distributed)") from None
        for noisy in ("distributed", "distributed.worker", "distributed.scheduler", "distributed.nanny"):
            logging.getLogger(noisy).setLevel(logging.ERROR)
        processes = argcheck.flag(processes, "processes", KpiError)
        self._cluster = None
        if scheduler is not None:
            scheduler = argcheck.text(scheduler, "scheduler", KpiError, max_len=300)
            if not scheduler.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
                raise KpiError(f"scheduler must be an address such as tcp://host:8786, got {scheduler[:60]!r}")
            try:
                self._client = distributed.Client(scheduler, timeout="20s")
            except OSError as exc:
                raise KpiError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
            threads = self._client.nthreads()
            self.workers = max(1, sum(threads.values()))
            self.remote = True
        else:
            import dask

            os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")  # the worker processes inherit it
            n = usable_cores() if workers is None else workers
            self.workers = argcheck.integer(n, "workers", KpiError, lo=1, hi=MAX_WORKERS)
            # Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536: glibc then returns every freed numpy buffer
            # to the OS and maps it again, which costs the Monte Carlo chunks ~60 % more CPU (measured): unset it
            with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
                self._cluster = distributed.LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                                         processes=processes, dashboard_address=":0")
            self._client = distributed.Client(self._cluster)
        self.address = scheduler or "LocalCluster" + ("" if processes else " (threads)")

    def submit(self, fn, *args, **kwargs):
        return self._client.submit(fn, *args, pure=False, **kwargs)

    def wait_first(self, futures) -> set:
        from distributed import wait as dwait

        return set(dwait(list(futures), return_when="FIRST_COMPLETED").done)

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def describe(self) -> str:
        return f"dask ({self.address}), {self.workers} worker{'s' if self.workers != 1 else ''}"


def make(name: str, workers: int | None = None, scheduler: str | None = None, processes: bool = True) -> Backend:
    """The backend called ``name`` (one of :data:`NAMES`); ``workers``
    defaults to the CPU count (1 for serial)."""
    name = argcheck.one_of(name, "backend", KpiError, NAMES)
    if scheduler is not None and name != "dask":
        raise KpiError("--scheduler needs the dask backend")
    if name == "serial":
        if workers not in (None, 1):
            raise KpiError("the serial backend has one worker")
        return Serial()
    if name == "processes":
        return Processes(usable_cores() if workers is None else workers)
    return Dask(workers, scheduler, processes)
