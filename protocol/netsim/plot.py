"""Plots of a run: latency CDFs (per hop and end to end, log-scaled tail
probability so the p99.999 region is visible) and delivery over time."""

import numpy as np


def plots(result: dict, samples: dict, prefix: str, *, title: str = "") -> list:
    """Write ``prefix_latency.png`` and ``prefix_delivery.png``; returns the paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = []
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for name, key in (("per hop", "hop"), ("end to end", "e2e")):
        v = np.sort(np.asarray(samples.get(key, []), dtype=float))
        if len(v):
            ccdf = 1.0 - np.arange(len(v)) / len(v)
            ax.step(v, ccdf, where="post", label=f"{name} ({len(v)} samples)")
    ax.axvline(1000, color="r", ls="--", lw=1, label="1 ms (spec A3)")
    ax.axvline(250, color="g", ls=":", lw=1, label="0.25 ms (goal)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("latency (µs)")
    ax.set_ylabel("P(latency ≥ x)")
    ax.set_title(f"latency, {title}" if title else "latency")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = f"{prefix}_latency.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    out.append(path)

    fig, ax = plt.subplots(figsize=(7, 3.6))
    pts = result.get("delivery_over_time", [])
    if pts:
        t, d = zip(*pts, strict=True)
        ax.step(t, d, where="post", label="delivered / generated (by generation time)")
    for f in result.get("failure_times_s", []):
        ax.axvline(f, color="r", ls="--", lw=1)
    ax.set_ylim(min([0.9, *[p[1] for p in pts]]) - 0.01 if pts else 0, 1.005)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("delivery ratio")
    ax.set_title(f"delivery over time, {title}" if title else "delivery over time")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    path = f"{prefix}_delivery.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    out.append(path)
    return out
