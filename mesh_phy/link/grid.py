"""Sweep grids from the command line: ``"0:0.5:8"`` → 0, 0.5, …, 8;
``"4.5"`` → [4.5]; ``"1,2,3"`` → [1, 2, 3] (values in dB)."""

import math

from mesh_phy.errors import PhyError

MAX_POINTS = 10_000


def parse_range(text, what: str = "SNR") -> list[float]:
    """The values of ``text`` (see module docstring), rounded to 1e-6; a bad
    or empty range, a step ≤ 0, non-finite values or more than 10,000 points
    raise :class:`PhyError` naming ``what``."""
    if not isinstance(what, str) or not isinstance(text, str) or len(text) > 10_000:
        raise PhyError(f"a {what if isinstance(what, str) else 'sweep'} range must be a string of at most 10,000 "
                       f"characters")
    bad = PhyError(f"bad {what} range {text[:40]!r}; use start:step:stop (e.g. 0:0.5:8), a value, or a,b,c")
    try:
        if ":" in text:
            a, step, b = (float(v) for v in text.split(":"))
            if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(step)) or step <= 0 or b < a:
                raise ValueError
            count = int(math.floor((b - a) / step + 1e-9)) + 1
            if count > MAX_POINTS:
                raise ValueError
            values = [round(a + k * step, 6) for k in range(count)]
        else:
            values = [float(v) for v in text.split(",")]
    except ValueError:
        raise bad from None
    if not values or len(values) > MAX_POINTS or not all(math.isfinite(v) and abs(v) <= 1000 for v in values):
        raise bad
    return values
