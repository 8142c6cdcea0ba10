"""Path loss, shadowing, fading and propagation delay between nodes (and
from jammers to nodes).

**Air-to-ground** (a pair with one end below ``air_min_height_m``): the
line-of-sight probability of Al-Hourani, Kandeepan and Lardner, "Optimal
LAP Altitude for Maximum Coverage", IEEE Wireless Commun. Lett. 3(6),
569–572, 2014 (doi:10.1109/LWC.2014.2342736), eq. (1)–(5)::

    P_LoS(θ) = 1 / (1 + a · exp(−b (θ − a)))        θ = elevation angle in degrees
    PL = FSPL(d, f) + η_LoS   (LoS)   or   FSPL(d, f) + η_NLoS   (NLoS)

with the environment parameters (a, b, η_LoS dB, η_NLoS dB) of its Table I
(fitted at 2 GHz; we use them at 5.8 GHz, an assumption): suburban (4.88,
0.43, 0.1, 21), urban (9.61, 0.16, 1.0, 20), dense urban (12.08, 0.11, 1.6,
23), high-rise urban (27.23, 0.08, 2.3, 34).

**Air-to-air** (both ends at or above ``air_min_height_m``, default 30 m):
line of sight, FSPL + η_LoS.

Each link draws, once, a uniform u and a standard normal z (symmetric in
the pair, from the ``shadowing`` stream): the link is LoS while
u < P_LoS(θ), so its state changes consistently as the geometry does; the
log-normal shadowing is z·σ with σ_LoS = 4.64·exp(−0.0066·h) dB (h the
higher end's height in m) and σ_NLoS = 6 dB, after 3GPP TR 36.777 Annex B
(UMa-AV shadow-fading formulas; our choice, not a fit of Al-Hourani's data).

**Fast fading** per reception (block fading over a frame): Rician with
K = 15 dB on LoS links (below the 20–29 dB that Matolak & Sun measured at
C band, see :mod:`mesh_phy.channel.a2g`: conservative) and Rayleigh on NLoS
links.

FSPL(d, f) = 20·log10(4π d f / c) with d ≥ 1 m. Delay = d / c.
"""

import math

import numpy as np

C_M_S = 299_792_458.0
ENVIRONMENTS = {"suburban": (4.88, 0.43, 0.1, 21.0), "urban": (9.61, 0.16, 1.0, 20.0),
                "dense_urban": (12.08, 0.11, 1.6, 23.0), "highrise_urban": (27.23, 0.08, 2.3, 34.0)}
SIGMA_NLOS_DB = 6.0
K_LOS_DB = 15.0
AIR_MIN_HEIGHT_M = 30.0
BLOCKED_DB = 400.0  # path loss of a failed link


def fspl_db(d_m, f_hz):
    """Free-space path loss in dB (d clipped to ≥ 1 m)."""
    return 20 * np.log10(4 * math.pi * np.maximum(d_m, 1.0) * f_hz / C_M_S)


def p_los(theta_deg, environment: str):
    """Al-Hourani et al. 2014 line-of-sight probability at elevation ``theta_deg``."""
    a, b, _, _ = ENVIRONMENTS[environment]
    return 1.0 / (1.0 + a * np.exp(-b * (np.asarray(theta_deg) - a)))


def _symmetric(m: np.ndarray) -> np.ndarray:
    return np.triu(m, 1) + np.triu(m, 1).T


class Propagation:
    """Path loss between ``n`` nodes and from ``n_jammers`` jammers to the
    nodes, for the given environment, carrier and shadowing switch."""

    def __init__(self, n: int, n_jammers: int, environment: str, band_ghz: float, shadowing: bool, rng):
        self.env_name = environment
        self.f_hz = band_ghz * 1e9
        self.shadowing = shadowing
        m = n + n_jammers
        self._u = _symmetric(rng.random((m, m)))
        self._z = _symmetric(rng.standard_normal((m, m))) if shadowing else np.zeros((m, m))
        self.n = n

    def loss(self, pos_a: np.ndarray, pos_b: np.ndarray, ia, ib):
        """(path loss dB, LoS bool, delay µs) matrices between points
        ``pos_a`` (p, 3) and ``pos_b`` (q, 3), whose link draws are rows
        ``ia`` and columns ``ib`` of the stored draws."""
        d3 = pos_a[:, None, :] - pos_b[None, :, :]
        horiz = np.hypot(d3[..., 0], d3[..., 1])
        d = np.sqrt(horiz ** 2 + d3[..., 2] ** 2)
        theta = np.degrees(np.arctan2(np.abs(d3[..., 2]), horiz))
        low = np.minimum(pos_a[:, None, 2], pos_b[None, :, 2])
        high = np.maximum(pos_a[:, None, 2], pos_b[None, :, 2])
        _, _, eta_los, eta_nlos = ENVIRONMENTS[self.env_name]
        u = self._u[np.ix_(ia, ib)]
        los = (low >= AIR_MIN_HEIGHT_M) | (u < p_los(theta, self.env_name))
        sigma = np.where(los, 4.64 * np.exp(-0.0066 * high), SIGMA_NLOS_DB)
        pl = fspl_db(d, self.f_hz) + np.where(los, eta_los, eta_nlos) + self._z[np.ix_(ia, ib)] * sigma
        return pl, los, d / C_M_S * 1e6


class Fading:
    """Power gains |h|² of block-fading receptions, Rician (K) on LoS and
    Rayleigh on NLoS, drawn in batches from one stream; ``enabled=False``
    gives 1 (0 dB) always."""

    BATCH = 4096

    def __init__(self, rng, enabled: bool, k_los_db: float = K_LOS_DB):
        self.rng = rng
        self.enabled = enabled
        k = 10 ** (k_los_db / 10)
        self._los_mean = math.sqrt(k / (k + 1))
        self._los_scatter = math.sqrt(1 / (k + 1))
        self._buf: list = []  # Python complex values (the same as numpy's, cheaper one at a time)
        self._i = 0

    def _normal(self) -> complex:
        if self._i >= len(self._buf):
            g = self.rng.standard_normal((self.BATCH, 2)) * math.sqrt(0.5)
            self._buf = (g[:, 0] + 1j * g[:, 1]).tolist()
            self._i = 0
        v = self._buf[self._i]
        self._i += 1
        return v

    def gain_db(self, los: bool) -> float:
        """10·log10 |h|² of one reception (mean power gain 1)."""
        if not self.enabled:
            return 0.0
        w = self._normal()
        h = self._los_mean + self._los_scatter * w if los else w
        p = h.real * h.real + h.imag * h.imag
        return 10 * math.log10(max(p, 1e-12))
