"""Packet error rate of one reception from its rate, SINR and length.

The PER tables are those of :mod:`mesh_phy.per` (measured by sending whole
PPDUs through the golden transmitter, channel and receiver): the package
data ``mesh_phy/data/per_awgn.csv`` read with :func:`mesh_phy.per_table.load_table`
and interpolated by :func:`mesh_phy.per_table.interpolate` (log-PER linear in
SNR, lengths without their own row scaled as independent byte errors).
Interference is treated as Gaussian noise: the table's SNR axis is used at
the reception's SINR (signal over noise plus interference plus jamming in
the 20 MHz channel), with the frame's block-fading gain applied to the
signal.

**Provisional table.** Until ``per_awgn.csv`` is in the package, a
stand-in is used and :data:`TABLE_SOURCE` says so: for each rate, 1000-byte
PSDUs with PER = 0.1 · 10^(−(SNR − c)/0.75) (capped at 1) around the SNR c
at which the first coarse AWGN sweep of :mod:`mesh_phy.per` crossed 10 %
PER (``mesh_phy.per_table.CENTRE_DB``), i.e. a waterfall of one decade per
0.75 dB. It is not a measurement; switch by adding the CSV.

**Beyond the table.** :func:`mesh_phy.per_table.interpolate` holds the last
measured PER above the table's highest SNR with errors (a table of a few
hundred packets per point ends near PER 5·10⁻³): used as is, every frame
would be lost with that probability at any SNR, an artefact of the
measurement's depth that would dominate a p99.999 latency. The AWGN
waterfall keeps falling, so past that point we continue it log-linearly at
the slope of the grid's own last decade (dB per decade between the SNR where
PER is ten times the held value and the SNR where it is reached, clipped to
0.25–3 dB per decade) — our extrapolation, stated, not a measurement.

Lookups are fast: for each (rate, length bucket) a PER grid over SINR
−10…45 dB in 0.1 dB steps is built once from the table; a lookup rounds
the SINR down to the grid and the length up to its bucket (a multiple of
8 bytes up to 128, of 32 beyond): both pessimistic, by < 0.1 dB and
< 32 bytes.
"""

from importlib import resources

import numpy as np

from mesh_phy import per_table

GRID_LO_DB = -10.0
GRID_HI_DB = 45.0
GRID_STEP_DB = 0.1
_PROVISIONAL_SLOPE_DB = 0.75


def _provisional_csv() -> str:
    rows = ["rate_mbps,psdu_bytes,snr_db,packets,errors,per,per_low,per_high"]
    for rate, c in sorted(per_table.CENTRE_DB.items()):
        for k in range(-20, 61):
            snr = c + k * 0.25
            p = min(1.0, 0.1 * 10 ** (-(snr - c) / _PROVISIONAL_SLOPE_DB))
            if p < 1e-9:
                break
            rows.append(f"{rate},1000,{snr:.2f},0,0,{p:.6g},0,0")
    return "\n".join(rows) + "\n"


def _load():
    if resources.files("mesh_phy.data").joinpath(per_table.TABLE).is_file():
        return per_table.load_table(), f"mesh_phy/data/{per_table.TABLE}"
    return per_table.load_table(_provisional_csv()), "PROVISIONAL (per_awgn.csv not yet in mesh_phy/data)"


class LinkModel:
    """PER lookups for one simulation (the table is read once)."""

    def __init__(self):
        self.table, self.source = _load()
        self._grids: dict = {}
        self._lookups: dict = {}  # rate -> per(sinr_db, nbytes)
        self._snrs = np.arange(GRID_LO_DB, GRID_HI_DB + GRID_STEP_DB / 2, GRID_STEP_DB)

    def _grid(self, rate: int, nbytes: int) -> np.ndarray:
        g = self._grids.get((rate, nbytes))
        if g is None:
            rows = {k: v for k, v in self.table.items() if k[0] == rate}  # the rate's rows, checked once
            g = np.array(per_table.interpolate_many(self._snrs, rate, nbytes, rows))
            g = self._continue_waterfall(g)
            self._grids[(rate, nbytes)] = g
        return g

    def _continue_waterfall(self, g: np.ndarray) -> np.ndarray:
        """The grid with its high-SNR plateau (a held last value) replaced by the waterfall continued."""
        floor = g[-1]
        if floor <= 0 or floor >= 0.1:
            return g
        flat = np.nonzero(g > floor)[0]
        if not len(flat):
            return g
        i_b = flat[-1] + 1  # first grid point of the plateau
        above = np.nonzero(g >= 10 * floor)[0]
        i_a = above[-1] if len(above) else 0
        slope = float(np.clip((self._snrs[i_b] - self._snrs[i_a]), 0.25, 3.0))  # dB per decade
        out = g.copy()
        out[i_b:] = floor * 10.0 ** (-(self._snrs[i_b:] - self._snrs[i_b]) / slope)
        return out

    def per(self, rate: int, sinr_db: float, nbytes: int) -> float:
        """PER of an ``nbytes`` PSDU at ``rate`` Mbit/s and ``sinr_db``."""
        return self.lookup(rate)(sinr_db, nbytes)

    def lookup(self, rate: int):
        """``per`` at ``rate`` as a function of (sinr_db, nbytes), the grids as
        Python lists by length bucket (the same values, no numpy per call)."""
        fn = self._lookups.get(rate)
        if fn is not None:
            return fn
        rows: dict = {}  # length bucket -> grid as a list

        def per(sinr_db: float, nbytes: int) -> float:
            nb = -(-nbytes // 8) * 8 if nbytes <= 128 else -(-nbytes // 32) * 32
            if sinr_db >= GRID_HI_DB:
                sinr_db = GRID_HI_DB
            if sinr_db < GRID_LO_DB:
                return 1.0
            row = rows.get(nb)
            if row is None:
                row = rows[nb] = self._grid(rate, nb).tolist()
            return row[int((sinr_db - GRID_LO_DB) / GRID_STEP_DB)]
        self._lookups[rate] = per
        return per

    def snr_for(self, rate: int, nbytes: int, target: float) -> float:
        """The lowest grid SINR (dB) whose PER is ≤ ``target``."""
        g = self._grid(rate, nbytes)
        ok = np.nonzero(g <= target)[0]
        return float(self._snrs[ok[0]]) if len(ok) else GRID_HI_DB
