"""Link-level runners: one transmit → channel → receive loop shared by the BER
(:mod:`mesh_phy.ber`) and PER (:mod:`mesh_phy.per`) sweeps.

* :mod:`mesh_phy.link.runner` — the :class:`~mesh_phy.link.runner.Link`
  steps, the per-point loop that stops on an error count or a trial cap, and
  the sweep over curves (progress bar, optional worker processes).
* :mod:`mesh_phy.link.packet` — the PER link: whole PPDUs through
  :func:`mesh_phy.tx.ppdu`, the channel chain and :func:`mesh_phy.rx.receive`
  with genie modes. (The BER link, on mapped symbols, is
  :class:`mesh_phy.ber.BerLink`.)
* :mod:`mesh_phy.link.seeds` — deterministic per-point seeds.
* :mod:`mesh_phy.link.stats` — Wilson confidence intervals.
* :mod:`mesh_phy.link.grid` — the ``start:step:stop`` ranges both CLIs take.
"""
