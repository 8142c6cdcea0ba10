"""One KPI report for both chips, and the sweep runner behind it.

* :mod:`kpi.registry` — the registry each package's ``kpis.py`` adds its KPIs
  to (one function per KPI returning value, unit, limit, plot data), the
  :class:`~kpi.registry.Result` and the context a KPI function gets.
* :mod:`kpi.sweep` — the one sweep runner: series of points, per-point
  seeds, error-count stops, chunks, cache, progress bar.
* :mod:`kpi.backends` — where chunks run: serial, local processes, Dask.
* :mod:`kpi.cache` — the chunk cache keyed by (code hash, parameters).
* :mod:`kpi.collect` — runs the KPIs into rows (with revision and date).
* :mod:`kpi.report`, :mod:`kpi.readme` — ``docs/kpi.html``, the Markdown
  summary and the README table.
* :mod:`kpi.scaling` — speed-up of the runner on 1 and 2 workers and the
  cluster size for BER 1e-8.
* :mod:`kpi.kpis` — the rows of the spec's targets that nothing here can
  measure (silicon, analogue front end, NPU), each saying why.

``python -m kpi`` is the command (see :mod:`kpi.__main__`).
"""
