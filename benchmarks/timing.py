"""Best-of-N wall-clock timing shared by every benchmark section."""

import time


def best_time(fn, *, repeat: int = 5, min_time: float = 0.2) -> float:
    """Seconds per call of ``fn()``: calls are batched until one batch lasts
    ``min_time``, and the best of ``repeat`` batches is returned."""
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_time or n >= 1 << 20:
            break
        n *= 2
    best = dt / n
    for _ in range(repeat - 1):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def row(name: str, value: float, unit: str, peer: str = "", ratio: float | None = None) -> str:
    r = f"{ratio:8.3g}x vs {peer}" if ratio is not None else ""
    return f"  {name:<44} {value:>12.2f} {unit:<8} {r}"
