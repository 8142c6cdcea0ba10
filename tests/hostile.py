"""Hostile-input harness shared by the typed-error property tests.

``assert_typed(call, error)`` runs ``call()`` and fails if it raises anything
but ``error`` (the package's typed error): a ``TypeError``, ``KeyError``,
``OverflowError``, ``RecursionError`` … from user input is a bug.

``sweep(func, good, error)`` takes one good set of keyword arguments, then
replaces each argument in turn by every value of :data:`HOSTILE` (wrong
types, NaN/inf, bools, huge and nested values, wrong shapes) and requires
each call to either succeed or raise ``error``. It returns how many calls
raised the typed error, so a test can also assert that the hostile values
were really refused (``refused > 0``) and did not slip through.

``public_callables(module)`` lists a module's public functions and classes
defined in it, so a test can check that every one of them is covered.
"""

import inspect
import math

import numpy as np


def _deep_list(depth: int):
    v: list = []
    for _ in range(depth):
        v = [v]
    return v


def _deep_dict(depth: int):
    v: dict = {}
    for _ in range(depth):
        v = {"a": v}
    return v


HOSTILE = (
    None, True, False, 0, -1, 1.5, 4.0, -0.0, math.nan, math.inf, -math.inf, 1j, 2**80, -(2**80), 10**5000,
    "", "x", "1", "\udcff", b"", b"\x00" * 3, bytearray(b"ab"), memoryview(b"abc"), [], [1, 2], [[1], [1, 2]],
    (), {}, {"a": 1}, {1, 2}, object(), np.float64("nan"), np.int64(-5), np.bool_(True),
    np.zeros(0), np.zeros((2, 3)), np.array([np.nan, 1.0]), np.array(["a", "b"]), np.array([1 + 1j]),
    _deep_list(5000), _deep_dict(5000),
)


def assert_typed(call, error, what: str = "call"):
    """Run ``call()``; return True if it raised ``error``, False if it
    returned; fail the test on any other exception."""
    try:
        call()
    except error:
        return True
    except Exception as exc:  # noqa: BLE001 - the point is to catch what leaks
        raise AssertionError(f"{what} raised {type(exc).__name__}: {exc!s:.200} (expected {error.__name__})") from exc
    return False


def sweep(func, good: dict, error, *, skip: dict | None = None, values=HOSTILE) -> int:
    """Call ``func(**good)`` with each argument replaced by each hostile value;
    every call must return or raise ``error``. ``skip`` maps an argument name
    to values not to try for it (e.g. values that are legitimately valid).
    Returns the number of calls that raised ``error``."""
    assert_typed(lambda: func(**good), error, f"{func.__qualname__}(good arguments)")
    refused = 0
    for name in good:
        for v in values:
            if skip and any(v is s for s in skip.get(name, ())):
                continue
            args = {**good, name: v}
            refused += assert_typed(lambda args=args: func(**args), error,
                                    f"{func.__qualname__}({name}={type(v).__name__})")
    return refused


def public_callables(module) -> set:
    """Names of the public functions and classes defined in ``module``."""
    return {n for n, obj in vars(module).items()
            if not n.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
            and getattr(obj, "__module__", None) == module.__name__}
