"""The package PER table and its lookup: what a network simulator needs of
:mod:`mesh_phy.per` without the link-level simulation behind the sweeps.

``mesh_phy/data/per_awgn.csv`` (AWGN, full synchronisation, CFO within
±100 kHz; written by ``python -m mesh_phy.per --table``) holds, per rate
(Mbit/s) and PSDU length (bytes), the measured PER at each SNR (dB, burst
power over the noise in 20 MHz). :func:`load_table` reads it,
:func:`interpolate` looks a PER up. Importing this module costs numpy alone;
:mod:`mesh_phy.per` (the sweeps, their CLI and plots) re-exports both names.
"""

import csv
import io
import math
from importlib import resources

import numpy as np

import argcheck
from mesh_phy.errors import PhyError
from mesh_phy.rates import RATES

# SNR (dB) near which each rate's AWGN curve crosses 10 % PER (a coarse first sweep), to centre the default grids
CENTRE_DB = {6: 0.8, 9: 2.6, 12: 3.4, 18: 5.8, 24: 8.0, 36: 12.0, 48: 16.3, 54: 17.3}
TABLE = "per_awgn.csv"
TABLE_COLUMNS = ["rate_mbps", "psdu_bytes", "snr_db", "packets", "errors", "per", "per_low", "per_high"]


def load_table(text: str | None = None) -> dict:
    """The PER table as ``{(rate_mbps, psdu_bytes): (snr_db array, per array)}``,
    from ``text`` (CSV with :data:`TABLE_COLUMNS`) or the package data. Each
    curve is sorted by SNR. A table with no rows, a rate the PHY does not have,
    a length outside 1..4095 bytes, a non-finite SNR or PER, a PER outside
    [0, 1] or one SNR given twice on a curve is refused (PhyError), so a
    damaged file fails where it is read, not in a lookup later."""
    if text is None:
        text = resources.files("mesh_phy.data").joinpath(TABLE).read_text()
    text = argcheck.text(text, "text", PhyError, max_len=10_000_000)
    if not text.isascii():  # int() and float() would read "６" or "١" as digits
        raise PhyError("PER table is malformed: it must be ASCII text")
    out: dict = {}
    try:
        for r in csv.DictReader(io.StringIO(text)):
            rate, nbytes, snr, per = (_field(r, k) for k in ("rate_mbps", "psdu_bytes", "snr_db", "per"))
            out.setdefault((int(rate), int(nbytes)), []).append((float(snr), float(per)))
    except (KeyError, ValueError, TypeError) as exc:
        raise PhyError(f"PER table is malformed: {exc}") from None
    if not out:
        raise PhyError(f"PER table has no rows (a header with {', '.join(TABLE_COLUMNS[:3])}, per, then rows)")
    table = {}
    for key, points in out.items():
        points.sort()
        table[key] = _curve(key, np.array([s for s, _ in points]), np.array([p for _, p in points]))
    return table


def _field(row: dict, column: str) -> str:
    """``row[column]`` of a CSV row, a plain number: no digit separators ("1_000") or padding."""
    v = row[column]
    if not isinstance(v, str) or "_" in v or v != v.strip():
        raise ValueError(f"{column} must be a plain number, got {str(v)[:20]!r}")
    return v


def _curve(key, snr: np.ndarray, per: np.ndarray) -> tuple:
    """``(snr, per)`` of table row ``key`` = (rate_mbps, psdu_bytes) if it is a
    curve :func:`interpolate` can read: float arrays of one length, SNR finite
    and strictly increasing, PER finite in [0, 1]."""
    rate = argcheck.one_of(key[0], "PER table row rate_mbps", PhyError, sorted(RATES))
    nbytes = argcheck.integer(key[1], "PER table row length psdu_bytes", PhyError, lo=1, hi=4095)
    where = f"PER table row ({rate} Mbit/s, {nbytes} bytes)"
    snr, per = (argcheck.array(v, f"{where} {n}", PhyError, kind="f", ndim=1, min_size=1)
                for v, n in ((snr, "snr_db"), (per, "per")))
    if snr.shape != per.shape:
        raise PhyError(f"{where}: snr_db and per must have one length, got {snr.size} and {per.size}")
    if np.any(np.diff(snr) <= 0):
        raise PhyError(f"{where}: snr_db must be strictly increasing (each SNR once)")
    if np.any((per < 0) | (per > 1)):
        raise PhyError(f"{where}: per must lie in [0, 1]")
    return snr, per


def _checked_table(table) -> dict:
    """``table`` as :func:`load_table` returns it (curves as float arrays) if
    it has that shape; an empty table is one (it has no rows for any rate)."""
    bad = PhyError("table must be a dict {(rate_mbps, psdu_bytes): (snr_db array, per array)} from load_table")
    if not isinstance(table, dict):
        raise bad
    out = {}
    for key, value in table.items():
        if not (isinstance(key, tuple) and len(key) == 2 and all(type(k) is int for k in key)):
            raise bad
        if not (isinstance(value, tuple) and len(value) == 2):
            raise bad
        out[key] = _curve(key, *value)
    return out


def interpolate(snr_db, rate_mbps, psdu_bytes=1000, table: dict | None = None) -> float:
    """PER at ``snr_db`` for ``rate_mbps`` and ``psdu_bytes`` from the table:
    log10(PER) linear in SNR between measured points, made non-increasing in
    SNR, PER 1 below the first point, and beyond the last point with errors the
    value there (a point with no error bounds nothing: it is not extrapolated).
    A PSDU length without its own table row uses the nearest tabulated length
    L with independent errors per byte: 1 − (1 − PER_L)^(psdu_bytes / L)."""
    snr = argcheck.real(snr_db, "snr_db", PhyError, allow_inf=True)
    return interpolate_many([snr], rate_mbps, psdu_bytes, table)[0]


def interpolate_many(snrs_db, rate_mbps, psdu_bytes=1000, table: dict | None = None) -> list:
    """:func:`interpolate` at each SNR (dB) of ``snrs_db`` (a 1-D sequence;
    ±inf allowed), as a list of floats: the same values, with the table read
    or checked once for the whole list."""
    snrs = argcheck.array(snrs_db, "snrs_db", PhyError, kind="f", ndim=1, finite=False)
    if np.isnan(snrs).any():
        raise PhyError("snrs_db must not hold NaN")
    rate = argcheck.one_of(rate_mbps, "rate_mbps", PhyError, sorted(RATES))
    nbytes = argcheck.integer(psdu_bytes, "psdu_bytes", PhyError, lo=1, hi=4095)
    tab = load_table() if table is None else _checked_table(table)
    lengths = sorted(nb for r, nb in tab if r == rate)
    if not lengths:
        raise PhyError(f"the PER table has no rows for {rate} Mbit/s")
    ref = min(lengths, key=lambda nb: (abs(math.log(nb / nbytes)), nb))
    s, p = tab[(rate, ref)]
    p = np.minimum.accumulate(p)
    keep = p > 0
    ls, lp = s[keep], np.log10(p[keep])
    no_errors = not keep.any()
    out = []
    for snr in snrs.tolist():
        if no_errors:
            per = 0.0
        elif snr <= s[0]:
            per = 1.0 if snr < s[0] else float(p[0])
        else:
            per = float(10 ** np.interp(snr, ls, lp)) if snr <= ls[-1] else float(10 ** lp[-1])
        out.append(per if ref == nbytes else 1 - (1 - per) ** (nbytes / ref))
    return out
