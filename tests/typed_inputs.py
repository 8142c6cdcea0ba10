"""Shared parts of the typed-error property tests (tests/test_crypto_inputs.py,
tests/test_phy_inputs.py), on top of :mod:`hostile`.

A sweep *entry* is ``(label, callable, good keyword arguments, kinds)``:
``kinds`` maps an argument to ``(description, accepts)``, where ``accepts(v)``
says whether a hostile value is of a type the argument takes. Every hostile
value it does not take must be refused; the others may be accepted or refused.
"""

import cmath
import math

import numpy as np
from hostile import HOSTILE, assert_typed, public_callables, sweep
from hypothesis import strategies as st


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _is_small_number(v) -> bool:
    """A finite int/float/complex that numpy holds in a numeric dtype."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, complex, np.number)):
        return False
    return abs(v) < 2**63 and cmath.isfinite(v)


def _is_array(v) -> bool:
    return isinstance(v, (list, tuple, np.ndarray))


BYTES = ("bytes", lambda v: isinstance(v, (bytes, bytearray, memoryview)))
INT = ("int", _is_int)
FLAG = ("bool", lambda v: isinstance(v, (bool, np.bool_)))
TEXT = ("str", lambda v: isinstance(v, str))
NONE = ("nothing in HOSTILE", lambda v: False)
OPT_INT = ("int or None", lambda v: v is None or _is_int(v))
PAIR = ("list or tuple", lambda v: isinstance(v, (list, tuple)))
ARRAY = ("array", _is_array)
BITS = ("0/1, bool or array", lambda v: _is_array(v) or isinstance(v, (bool, np.bool_))
        or (_is_int(v) and v in (0, 1)))
NUMBERS = ("finite number or array", lambda v: _is_array(v) or _is_small_number(v))
POSITIVE = ("real > 0 or array", lambda v: _is_array(v) or (
    _is_small_number(v) and not isinstance(v, (complex, np.complexfloating)) and v > 0))


def check_entry(entry, error) -> tuple:
    """Sweep one entry with every hostile value; require each argument to
    refuse every value of a type it does not take. Returns (tried, refused)."""
    label, func, good, kinds = entry
    assert set(kinds) == set(good), f"{label}: kinds and arguments differ"
    refused = sweep(func, good, error)
    for name, (kind, accepts) in kinds.items():
        wrong = tuple(v for v in HOSTILE if not accepts(v))
        only = {o: HOSTILE for o in good if o != name}
        assert sweep(func, good, error, skip=only, values=wrong) == len(wrong), (
            f"{label}: {name} (takes {kind}) accepted a value of another type")
    if good:
        assert refused > 0, f"{label}: no hostile value was refused"
    return len(good) * len(HOSTILE), refused


def public_api(module, excluded=()) -> set:
    """Public functions and classes of ``module`` (minus ``excluded``), and
    ``Class.method`` for the public methods of its classes (not exceptions)."""
    names = public_callables(module) - set(excluded)
    for name in list(names):
        obj = getattr(module, name)
        if isinstance(obj, type) and not issubclass(obj, BaseException):
            names |= {f"{name}.{m}" for m, v in vars(obj).items() if not m.startswith("_") and callable(v)}
    return names


def swept_names(entries) -> set:
    """The public names a list of entries covers ("f(variant)" counts as f)."""
    return {e[0].split("(")[0] for e in entries}


def junk():
    """Hypothesis strategy of arbitrary values: scalars of every kind (NaN,
    inf, huge ints, complex, text, bytes), arrays, and nested lists, tuples
    and dicts of them."""
    leaves = (st.none() | st.booleans() | st.integers() | st.integers(min_value=2**64) | st.floats()
              | st.complex_numbers() | st.text(max_size=8) | st.binary(max_size=40)
              | st.sampled_from([math.nan, math.inf, np.float64("nan"), np.int64(3), np.zeros((2, 2)),
                                 np.array([1, 0], np.uint8), np.array([np.inf, 1.0]), np.array([1j])]))
    return st.recursive(leaves, lambda kids: st.lists(kids, max_size=3) | st.tuples(kids, kids)
                        | st.dictionaries(st.text(max_size=2), kids, max_size=2), max_leaves=12)


def junk_call(data, entries, error) -> None:
    """Hypothesis step: one entry (with arguments), one of its arguments and a
    :func:`junk` value for it; the call must return or raise ``error``."""
    label, func, good, _ = data.draw(st.sampled_from([e for e in entries if e[2]]))
    name = data.draw(st.sampled_from(sorted(good)))
    value = data.draw(junk())
    assert_typed(lambda: func(**{**good, name: value}), error, f"{label}({name}={value!r:.80})")
