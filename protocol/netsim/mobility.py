"""Node positions over time: each node starts at ``position_m`` (at t = 0)
and, if it has waypoints ``(t_s, x, y, z)``, moves linearly from one to the
next, holding the last one (a waypoint at t = 0 replaces ``position_m``).
Positions are metres, z the height above flat ground."""

import numpy as np


class Mobility:
    def __init__(self, nodes):
        self.n = len(nodes)
        self._static = np.array([n.position_m for n in nodes], dtype=float)
        self._tracks = {}
        for i, n in enumerate(nodes):
            if n.waypoints:
                wps = list(n.waypoints) if n.waypoints[0][0] == 0 else [(0.0, *n.position_m), *n.waypoints]
                self._tracks[i] = (np.array([w[0] for w in wps]), np.array([w[1:] for w in wps]))

    @property
    def moving(self) -> bool:
        return bool(self._tracks)

    def positions(self, t_s: float) -> np.ndarray:
        """(n, 3) positions in m at time ``t_s``."""
        pos = self._static.copy()
        for i, (ts, ps) in self._tracks.items():
            pos[i] = [np.interp(t_s, ts, ps[:, k]) for k in range(3)]
        return pos
