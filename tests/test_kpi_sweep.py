"""The sweep runner (kpi.sweep): per-point seeds, error-count stops over
chunks, the same numbers on every backend, the disk cache keyed by code and
parameters, shared in-flight chunks, and the refusal of a worker running
other code."""

import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from functools import partial

import numpy as np
import pytest

from kpi import backends
from kpi import cache as kcache
from kpi.errors import KpiError
from kpi.sweep import Runner, Series, run_chunk
from mesh_phy import ber
from mesh_phy.kpis import SOURCES
from mesh_phy.link import runner as link_runner
from mesh_phy.link import seeds

FN = "mesh_phy.kpis:ber_chunk"


def uncoded(name="t/uncoded", xs=(0.0, 2.0, 4.0), *, target=40, cap=600_000, chunk=None, end_below=None):
    return Series(name, FN, tuple({"curve": "uncoded", "rate_mbps": 6, "ebn0_db": x} for x in xs), SOURCES,
                  target_errors=target, max_trials=cap, chunk_trials=chunk, end_below=end_below)


def results(points):
    return [(p.index, p.result["errors"], p.result["trials"], p.chunks) for p in points]


def test_chunked_point_follows_the_prefix_rule():
    """A point is chunks 0..K-1, K the first count reaching the error target
    or the trial cap; recomputed here chunk by chunk with the documented
    seeds (SeedSequence(point seed entropy, spawn_key=(chunk,)))."""
    s = uncoded(xs=(3.0, 10.0), target=30, cap=2_000_000, chunk=262_144)
    with backends.Serial() as b:
        (pts,) = Runner(b, None, base_seed=7, progress=False).run([s])
    for p in pts:
        entropy = list(seeds.point_seed(7, s.name, p.index).entropy)
        errors = trials = used = 0
        while errors < 30 and trials < 2_000_000:
            cap = min(262_144, 2_000_000 - used * 262_144)
            rec = run_chunk(FN, {**s.points[p.index], "target_errors": 30, "max_trials": cap}, entropy, [used],
                            list(SOURCES))
            errors += rec["result"]["errors"]
            trials += rec["result"]["trials"]
            used += 1
        assert (p.result["errors"], p.result["trials"], p.chunks) == (errors, trials, used)
    assert pts[0].result["errors"] >= 30 and pts[0].chunks == 1  # Q(2) = 2.3e-2 at 3 dB: 30 errors in one chunk
    assert pts[1].result["errors"] < 30 and pts[1].result["trials"] >= 2_000_000  # Q(4.47) = 3.9e-6 at 10 dB: cap


def test_unsplit_point_equals_the_link_runner():
    """Without chunks a point draws exactly what mesh_phy.link.runner.measure
    draws for the same curve name, index and base seed."""
    xs = (1.0, 3.0)
    s = uncoded(name=ber.curve_name("uncoded", 6), xs=xs, target=25, cap=400_000)
    with backends.Serial() as b:
        (pts,) = Runner(b, None, base_seed=11, progress=False).run([s])
    curve = link_runner.Curve(s.name, xs, partial(ber.BerLink, "uncoded", 6))
    for i in range(len(xs)):
        ref = link_runner.measure(curve, i, 11, target_errors=25, max_trials=400_000)
        assert (pts[i].result["errors"], pts[i].result["trials"]) == (ref.errors, ref.trials)


def test_serial_and_dask_give_the_same_numbers():
    """The issue's check: one small sweep (a chunked curve that ends early and
    an unsplit one) on the serial backend and on a Dask LocalCluster of two
    in-process workers."""
    sweep = [uncoded("t/a", xs=(2.0, 5.0, 13.0, 14.0), target=60, cap=3_000_000, chunk=262_144, end_below=0.0),
             uncoded("t/b", xs=(0.0, 5.0), target=20, cap=300_000)]
    with backends.Serial() as b:
        ref = Runner(b, None, base_seed=3, progress=False).run(sweep)
    with backends.Dask(2, processes=False) as b:
        got = Runner(b, None, base_seed=3, progress=False).run(sweep)
    assert [results(c) for c in got] == [results(c) for c in ref]
    assert len(ref[0]) < 4  # the curve ended at its first point without an error (end_below=0)
    assert ref[0][-1].result["errors"] == 0


def test_link_runner_takes_a_backend():
    """mesh_phy.link.runner.sweep with a Dask backend: the same points as
    its own serial loop (two curves, one ending early)."""
    curves = [link_runner.Curve(ber.curve_name("uncoded", 6), (0.0, 12.0, 13.0), partial(ber.BerLink, "uncoded", 6)),
              link_runner.Curve("t/other", (2.0, 4.0), partial(ber.BerLink, "uncoded", 6))]
    kw = dict(base_seed=5, target_errors=30, max_trials=600_000, progress=False)
    ref = link_runner.sweep(curves, **kw)
    with backends.Dask(2, processes=False) as b:
        got = link_runner.sweep(curves, backend=b, **kw)
    assert got == ref
    assert [p.x for p in ref if p.curve == curves[0].name] == [0.0, 12.0]  # ended at 12 dB: no error
    with pytest.raises(ValueError, match="backend"):
        link_runner.sweep(curves, backend=object(), **kw)


def test_end_below_ends_a_curve_and_the_rest_is_not_run():
    s = uncoded(xs=(0.0, 1.0, 2.0), target=50, cap=200_000, end_below=0.05)
    with backends.Serial() as b:
        r = Runner(b, None, progress=False)
        (pts,) = r.run([s])
    # uncoded BPSK: BER 7.9e-2 at 0 dB, 5.6e-2 at 1 dB, 3.8e-2 at 2 dB: the 1 dB point may end it
    assert all(p.rate >= 0.05 for p in pts[:-1])
    assert pts[-1].rate < 0.05 or len(pts) == 3
    assert r.computed == len(pts)


def test_cache_recomputes_only_what_changed(tmp_path):
    c = kcache.Cache(tmp_path)
    s = uncoded(xs=(0.0, 2.0), target=20, cap=300_000)
    with backends.Serial() as b:
        r1 = Runner(b, c, progress=False)
        first = r1.run([s])
        r2 = Runner(b, c, progress=False)
        again = r2.run([s])
        r3 = Runner(b, c, progress=False)
        moved = r3.run([uncoded(xs=(0.0, 2.5), target=20, cap=300_000)])
    assert r1.computed == 2 and r2.computed == 0 and r2.cached == 2
    assert results(again[0]) == results(first[0])
    assert all(p.computed == 0 for p in again[0])
    assert r3.computed == 1 and r3.cached == 1  # only the changed point
    assert results(moved[0])[0] == results(first[0])[0]


def test_cache_key_follows_the_source_files(tmp_path):
    src = kcache.ROOT / "build" / "kpi_test_sources"
    src.mkdir(parents=True, exist_ok=True)
    f = src / f"model_{time.time_ns()}.py"
    f.write_text("A = 1\n")
    try:
        s = Series("t/src", FN, ({"curve": "uncoded", "rate_mbps": 6, "ebn0_db": 0.0},),
                   (f"build/kpi_test_sources/{f.name}",), target_errors=5, max_trials=100_000)
        c = kcache.Cache(tmp_path)
        with backends.Serial() as b:
            Runner(b, c, progress=False).run([s])
            r = Runner(b, c, progress=False)
            r.run([s])
            assert r.computed == 0
            f.write_text("A = 2\n")
            kcache.forget()
            r = Runner(b, c, progress=False)
            r.run([s])
            assert r.computed == 1
    finally:
        f.unlink()
        kcache.forget()


class Delayed(backends.Backend):
    """Chunks finish 0.3 s after submission, on two threads; counts submits."""

    name = "delayed"
    workers = 2

    def __init__(self):
        self.submits = 0
        self._pool = ThreadPoolExecutor(2)

    def submit(self, fn, *args, **kwargs):
        self.submits += 1
        return self._pool.submit(lambda: (time.sleep(0.3), fn(*args, **kwargs))[1])

    def wait_first(self, futures):
        return wait(futures, return_when=FIRST_COMPLETED).done

    def close(self):
        self._pool.shutdown()


def test_two_sweeps_share_a_chunk_in_flight():
    s = uncoded(xs=(0.0, 1.0), target=10, cap=100_000)
    with Delayed() as b:
        r = Runner(b, None, progress=False)
        out = [None, None]
        threads = [threading.Thread(target=lambda k=k: out.__setitem__(k, r.run([s]))) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert b.submits == 2  # two points, each run once for both sweeps
    assert results(out[0][0]) == results(out[1][0])


class OtherCode(backends.Serial):
    """A remote worker whose sources differ from the client's (a stale cluster node)."""

    remote = True

    def submit(self, fn, *args, **kwargs):
        f = super().submit(fn, *args, **kwargs)
        rec = f.result()
        g = type(f)()
        g.set_result({**rec, "code": "0" * 64})
        return g


def test_a_worker_on_other_code_is_refused(tmp_path):
    c = kcache.Cache(tmp_path)
    with OtherCode() as b, pytest.raises(KpiError, match="other code"):
        Runner(b, c, progress=False).run([uncoded(xs=(0.0,), target=5, cap=50_000)])
    assert not any(tmp_path.rglob("*.json")) or all("0" * 64 in p.read_text() for p in tmp_path.rglob("*.json"))


class EditedMidRun(backends.Serial):
    """A local worker that imported the sources before someone edited them."""

    def submit(self, fn, *args, **kwargs):
        f = super().submit(fn, *args, **kwargs)
        g = type(f)()
        g.set_result({**f.result(), "code": "1" * 64})
        return g


def test_a_local_worker_on_older_files_is_kept_and_said(tmp_path, capsys):
    c = kcache.Cache(tmp_path)
    with EditedMidRun() as b:
        (pts,) = Runner(b, c, progress=False).run([uncoded(xs=(0.0,), target=5, cap=50_000)])
    assert pts[0].result["errors"] >= 5
    assert "changed during the run" in capsys.readouterr().err
    assert all("1" * 64 in p.read_text() for p in tmp_path.rglob("*.json"))  # filed under the code it ran


@pytest.mark.parametrize("kwargs, what", [
    ({"target_errors": True, "max_trials": 10}, "target_errors"),
    ({"target_errors": 5}, "max_trials"),
    ({"target_errors": 5, "max_trials": 10.0}, "max_trials"),
    ({"target_errors": 5, "max_trials": 10, "chunk_trials": 20}, "chunk_trials"),
    ({"max_trials": 10}, "need target_errors"),
    ({"target_errors": 5, "max_trials": 10, "end_below": float("nan")}, "end_below"),
])
def test_series_refuses_bad_stops(kwargs, what):
    with pytest.raises(KpiError, match=what):
        Series("t", FN, ({},), SOURCES, **kwargs)


@pytest.mark.parametrize("fn", ["nomodule", "a.b:", ":f", "a b:c", 3])
def test_series_refuses_bad_functions(fn):
    with pytest.raises(KpiError):
        Series("t", fn, ({},), SOURCES)


def test_runner_refuses_bad_input():
    s = uncoded()
    with backends.Serial() as b:
        r = Runner(b, None, progress=False)
        with pytest.raises(KpiError, match="distinct"):
            r.run([s, s])
        with pytest.raises(KpiError):
            r.run(s)
        with pytest.raises(KpiError, match="base_seed"):
            Runner(b, None, base_seed=-1)
    with pytest.raises(KpiError, match="backend"):
        Runner("serial")
    with pytest.raises(KpiError, match="glob"):
        kcache.source_files(["no_such_dir/*.py"])
    with pytest.raises(KpiError, match="relative"):
        kcache.source_files(["../etc/*"])
    with pytest.raises(KpiError, match="JSON"):
        kcache.key({"params": {"x": np.arange(3)}})


def test_backend_factory_checks_its_arguments():
    with pytest.raises(KpiError, match="backend"):
        backends.make("cluster")
    with pytest.raises(KpiError, match="dask"):
        backends.make("processes", 2, scheduler="tcp://h:8786")
    with pytest.raises(KpiError, match="one worker"):
        backends.make("serial", 2)
    with pytest.raises(KpiError, match="workers"):
        backends.make("processes", 0)
    with pytest.raises(KpiError, match="scheduler"):
        backends.Dask(scheduler="http://h:8786")


SMALL = [uncoded("t/p", xs=(2.0, 5.0, 13.0), target=40, cap=1_500_000, chunk=262_144, end_below=0.0),
         uncoded("t/q", xs=(0.0, 4.0), target=20, cap=300_000)]


def test_processes_backend_gives_the_serial_numbers():
    """Two spawned worker processes (backend "processes") give the serial
    backend's numbers on a small sweep (a chunked curve that ends early and
    an unsplit one)."""
    with backends.Serial() as b:
        ref = Runner(b, None, base_seed=9, progress=False).run(SMALL)
    with backends.make("processes", 2) as b:
        got = Runner(b, None, base_seed=9, progress=False).run(SMALL)
    assert [results(c) for c in got] == [results(c) for c in ref]
    assert ref[0][-1].result["errors"] == 0 and len(ref[0]) <= 3


def test_dask_backend_on_a_scheduler_address():
    """The --scheduler path: backends.Dask(scheduler=tcp://...) connects to
    a running cluster (here an in-process LocalCluster listening on TCP),
    counts its workers, and gives the serial numbers; so does the link
    runner (python -m mesh_phy.per / ber) given the address."""
    distributed = pytest.importorskip("distributed")
    with backends.Serial() as b:
        ref = Runner(b, None, base_seed=9, progress=False).run(SMALL)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
                                  dashboard_address=":0") as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://")
        with backends.make("dask", scheduler=address) as b:
            assert b.remote and b.workers == 2 and address in b.describe()
            got = Runner(b, None, base_seed=9, progress=False).run(SMALL)
        kw = dict(base_seed=21, target_errors=30, max_trials=400_000, floor=2e-3)
        linked = link_runner.sweep(_link_curves(), progress=False, scheduler=address, **kw)
    assert [results(c) for c in got] == [results(c) for c in ref]
    assert linked == _old_link_sweep(_link_curves(), **kw)


def _old_link_sweep(curves, *, base_seed, target_errors, max_trials, floor=0.0):
    """The link runner's sweep as it was before it ran on kpi.sweep: each
    curve's points in order with mesh_phy.link.runner.measure, ending after
    the first point with no error or a rate below ``floor``."""
    out = []
    for c in curves:
        for i in range(len(c.xs)):
            p = link_runner.measure(c, i, base_seed, target_errors=target_errors, max_trials=max_trials)
            out.append(p)
            if p.errors == 0 or p.rate < floor:
                break
    return out


def _link_curves():
    return [link_runner.Curve(ber.curve_name("uncoded", 6), (0.0, 3.0, 12.0, 13.0), partial(ber.BerLink, "uncoded", 6)),
            link_runner.Curve("t/hard", (3.0, 4.0, 5.0), partial(ber.BerLink, "hard", 6))]


@pytest.mark.parametrize("where", [dict(), dict(backend="serial"), dict(backend="processes", jobs=2)])
def test_link_sweep_runs_on_the_kpi_runner_with_the_old_numbers(where):
    """mesh_phy.link.runner.sweep (python -m mesh_phy.per / ber) now runs on
    kpi.sweep's runner and backends: the same points as the old loop, with
    the floor and the no-error stop (Dask: test_link_runner_takes_a_backend
    and test_dask_backend_on_a_scheduler_address)."""
    kw = dict(base_seed=21, target_errors=30, max_trials=400_000)
    ref = _old_link_sweep(_link_curves(), floor=2e-3, **kw)
    got = link_runner.sweep(_link_curves(), floor=2e-3, progress=False, **where, **kw)
    assert got == ref
    assert [p.x for p in ref if p.curve.startswith("ber/")] == [0.0, 3.0, 12.0]  # no error at 12 dB: ended
    assert all(isinstance(p.errors, int) and isinstance(p.x, float) for p in got)


def test_link_sweep_refuses_bad_backends():
    curves = _link_curves()
    kw = dict(base_seed=1, target_errors=5, max_trials=1000, progress=False)
    for bad, what in (("cloud", "backend"), (3, "backend")):
        with pytest.raises(ValueError, match=what):
            link_runner.sweep(curves, backend=bad, **kw)
    with pytest.raises(ValueError, match="dask"):
        link_runner.sweep(curves, backend="processes", scheduler="tcp://h:8786", **kw)
    with pytest.raises(ValueError, match="picklable"):
        link_runner.sweep([link_runner.Curve("t/l", (1.0,), lambda x: ber.BerLink("uncoded", 6, x))], **kw)
