"""Argument checks shared by the golden-model packages.

Each package raises its own typed error (``mesh_phy.errors.PhyError``,
``crypto.errors.CryptoError``, ``protocol.errors.FrameError``,
``sensor_dsp.errors.SensorError``, all ``ValueError`` subclasses). These checks
take that class as ``error`` and raise it with a message that names the
argument and the reason, so no ``TypeError``, ``OverflowError`` or silent
coercion leaks out of a public function.

The rules are strict on purpose:

* ``bool`` is not a number (``length=True`` is refused);
* an integer argument takes ``int`` or a numpy integer, never a float
  (``4.0`` is not a tag length);
* a real argument takes ``int``/``float``/numpy reals, never ``bool``,
  complex, strings or NaN, and infinity only when asked for;
* byte strings are ``bytes``, ``bytearray`` or ``memoryview`` (returned as
  ``bytes``), never ``str`` or lists of ints.

This package depends on numpy only; it is the lowest layer of the project.
"""

import math
import numbers

import numpy as np

__all__ = ["integer", "real", "flag", "one_of", "byteslike", "text", "array", "seed_list"]


_INFINITIES = (math.inf, -math.inf)


def _type(value) -> str:
    return type(value).__name__


def integer(value, name: str, error: type, *, lo: int | None = None, hi: int | None = None) -> int:
    """``value`` as a Python ``int`` in ``[lo, hi]`` (either bound optional)."""
    if type(value) is int:  # the common case, without the ABC checks (bool is a subclass, not int itself)
        v = value
    elif isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        raise error(f"{name} must be an integer, got {_type(value)}")
    else:
        v = int(value)
    if lo is not None and v < lo:
        raise error(f"{name} must be >= {lo}{_shown(v)}")
    if hi is not None and v > hi:
        raise error(f"{name} must be <= {hi}{_shown(v)}")
    return v


def _shown(v: int) -> str:
    """``, got v`` for an error message; nothing for a huge int (its str() is itself an error)."""
    return f", got {v}" if v.bit_length() < 128 else ""


def real(value, name: str, error: type, *, lo: float | None = None, hi: float | None = None,
         lo_open: bool = False, hi_open: bool = False, allow_inf: bool = False) -> float:
    """``value`` as a finite ``float`` (NaN never; ±inf only with ``allow_inf``)
    in the interval given by ``lo``/``hi`` (closed unless ``*_open``)."""
    if type(value) is float:  # the common case, without the ABC checks
        v = value
    elif isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise error(f"{name} must be a real number, got {_type(value)}")
    else:
        try:
            v = float(value)
        except OverflowError:
            raise error(f"{name} is too large for a float") from None
    if v != v:
        raise error(f"{name} must not be NaN")
    if not allow_inf and v in _INFINITIES:
        raise error(f"{name} must be finite, got {v}")
    if lo is not None and (v <= lo if lo_open else v < lo):
        raise error(f"{name} must be {'>' if lo_open else '>='} {lo}, got {v}")
    if hi is not None and (v >= hi if hi_open else v > hi):
        raise error(f"{name} must be {'<' if hi_open else '<='} {hi}, got {v}")
    return v


def flag(value, name: str, error: type) -> bool:
    """``value`` must be a ``bool`` (not 0/1, not a string)."""
    if not isinstance(value, (bool, np.bool_)):
        raise error(f"{name} must be True or False, got {_type(value)}")
    return bool(value)


def one_of(value, name: str, error: type, options):
    """``value`` must be one of ``options`` (compared with ``==``, bools and
    floats never stand in for ints or strings)."""
    for option in options:
        if type(option) is type(value) and option == value:
            return option
        if (isinstance(option, int) and not isinstance(option, bool) and isinstance(value, np.integer)
                and int(value) == option):
            return option
    shown = ", ".join(repr(o) for o in options)
    small = isinstance(value, (str, float)) or (isinstance(value, int) and value.bit_length() < 128)
    text_value = repr(value) if small and len(repr(value)) < 40 else _type(value)
    raise error(f"{name} must be one of {shown}, got {text_value}")


def byteslike(value, name: str, error: type, *, length: int | None = None, min_len: int = 0,
              max_len: int | None = None) -> bytes:
    """``value`` (bytes, bytearray or memoryview) as ``bytes``, with its length checked."""
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise error(f"{name} must be bytes, got {_type(value)}")
    b = bytes(value)
    if length is not None and len(b) != length:
        raise error(f"{name} must be {length} bytes, got {len(b)}")
    if len(b) < min_len:
        raise error(f"{name} must be at least {min_len} bytes, got {len(b)}")
    if max_len is not None and len(b) > max_len:
        raise error(f"{name} must be at most {max_len} bytes, got {len(b)}")
    return b


def text(value, name: str, error: type, *, max_len: int | None = None) -> str:
    """``value`` must be a ``str`` (of at most ``max_len`` characters)."""
    if not isinstance(value, str):
        raise error(f"{name} must be a string, got {_type(value)}")
    if max_len is not None and len(value) > max_len:
        raise error(f"{name} must be at most {max_len} characters, got {len(value)}")
    return value


SEED_LIMIT = 2**32  # seeds are unsigned 32-bit (numpy's and the netsim's seed range)
MAX_SEEDS = 10_001


def seed_list(value, name: str, error: type) -> list:
    """The seeds a command-line list names: ``"1-12"`` or ``"1,3,5"`` or a mix
    (``"1-3,7"``), as a list of ``int`` in the order written. Each item is
    ASCII decimal (spaces around it allowed), each seed in ``0 ..< 2**32``, a
    range ``A-B`` has ``A <= B``, no seed is named twice (a run counted twice
    would count its results twice), and the list names at most 10,001 seeds."""
    text(value, name, error, max_len=10_000)
    out: list = []
    for part in value.split(","):
        item = part.strip(" ")
        lo, sep, hi = item.partition("-")
        if not all(p.isascii() and p.isdigit() and len(p) <= 10 for p in ((lo, hi) if sep else (lo,))):
            raise error(f"{name} must be like 1-12 or 1,3,5, got {item[:20]!r}")
        a = int(lo)
        b = int(hi) if sep else a
        if b >= SEED_LIMIT:
            raise error(f"{name} seeds must be under 2**32, got {item!r}")
        if b < a:
            raise error(f"{name} range {item!r} must be ascending")
        if len(out) + b - a + 1 > MAX_SEEDS:
            raise error(f"{name} names more than {MAX_SEEDS:,} seeds")
        out += range(a, b + 1)
    if len(set(out)) != len(out):
        seen: set = set()
        twice = sorted({s for s in out if s in seen or seen.add(s)})
        raise error(f"{name} names a seed twice: {', '.join(map(str, twice[:5]))}{' ...' if len(twice) > 5 else ''}")
    return out


_KINDS = {"b": "0/1 bits or booleans", "i": "integers", "f": "real numbers", "c": "complex numbers"}


def array(value, name: str, error: type, *, kind: str = "f", ndim: int | None = None, min_size: int = 0,
          finite: bool = True) -> np.ndarray:
    """``value`` as a numpy array of ``kind``: "i" (integers, no bools), "f"
    (reals: ints or floats, no bools), "c" (complex: any of those or complex),
    "b" (bits: integer 0/1 or bool). ``ndim`` fixes the number of dimensions;
    ``finite`` refuses NaN and ±inf. The caller's array is never modified
    (a view may be returned: copy before writing)."""
    if kind not in _KINDS:
        raise ValueError(f"argcheck.array: unknown kind {kind!r}")
    if isinstance(value, (str, bytes, bytearray, memoryview, dict, set)):
        raise error(f"{name} must be an array of {_KINDS[kind]}, got {_type(value)}")
    try:
        a = np.asarray(value)
    except (ValueError, TypeError, OverflowError, RecursionError):
        raise error(f"{name} must be an array of {_KINDS[kind]} (ragged or not numeric)") from None
    allowed = {"b": "biu", "i": "iu", "f": "iuf", "c": "iufc"}[kind]
    if a.dtype.kind not in allowed:
        raise error(f"{name} must be an array of {_KINDS[kind]}, got dtype {a.dtype}")
    if ndim is not None and a.ndim != ndim:
        raise error(f"{name} must have {ndim} dimension(s), got shape {a.shape}")
    if a.size < min_size:
        raise error(f"{name} must have at least {min_size} element(s), got {a.size}")
    if kind == "b" and a.dtype.kind != "b" and a.size and (a.min() < 0 or a.max() > 1):  # 100x faster than isin
        raise error(f"{name} must hold only 0 and 1")
    if finite and a.dtype.kind in "fc" and a.size and not np.isfinite(a).all():
        raise error(f"{name} must be finite (no NaN or infinity)")
    return a
