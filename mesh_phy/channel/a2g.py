"""Air-to-ground (drone ↔ ground station) channel: two- and three-ray Rician
links whose delays, ray amplitudes and Doppler shifts come from the geometry
and the drone's velocity, time-varying within a packet.

Rays (flat earth, positions in metres, ``z`` = height above the ground):

1. **Line of sight**, length ``d0 = |D − G|`` (drone ``D``, ground station
   ``G``), the reference: delay 0, amplitude 1, random carrier phase.
2. **Ground reflection** (specular, from the image ``G' = (Gx, Gy, −Gz)``),
   length ``d1 = |D − G'|``: delay ``(d1 − d0)/c``, amplitude
   ``Γ(ψ) · ρ(ψ) · d0/d1`` and carrier phase ``−2π (d1 − d0)/λ`` relative to
   the LOS. ``Γ`` is the Fresnel coefficient of the surface (relative
   permittivity ``ε = ε_r − j 60 σ λ``) at grazing angle ``ψ = atan((Dz + Gz)/r)``
   for vertical or horizontal polarisation; ``ρ = exp(−8 (π h_rms sin ψ / λ)²)``
   is Ament's roughness factor for surface height deviation ``h_rms``.
3. (three-ray) a **point scatterer** ``S`` (a building, a hillside): length
   ``|G − S| + |S − D|``, amplitude ``third_ray_db`` relative to the LOS, random
   phase. Matolak & Sun (Part I) report such an intermittent third component
   over water a non-negligible fraction of the time, and Lei & Rice's
   over-water model is three-ray; its relative level here is a parameter
   (default −15 dB: our assumption, not a measured figure).
4. **Diffuse scattering**: Rayleigh taps with an exponential power-delay
   profile (RMS ``diffuse_rms_s``) starting at the LOS delay, total power
   ``1/K`` of the LOS power, each tap a Clarke process at the drone's maximum
   Doppler ``f_d = v/λ`` (isotropic scattering around the moving end: a
   conservative choice, the diffuse Doppler spread of a real A2G link is
   narrower).

Doppler of ray ``i``: ``−(v · u_i)/λ`` with ``u_i`` the unit vector from the
ray's last bounce (``G``, ``G'`` or ``S``) to the drone (moving away lowers the
frequency). Drone at 100 km/h, 5.8 GHz: ``f_d = 537 Hz``. Delays are frozen over
a burst (the drone moves 4 cm in a 1.4 ms packet); the phases turn.

**K-factor**: LOS power over diffuse power. Specular reflection and the third
ray are deterministic and not part of the diffuse power. **Normalisation**: the
sum of all ray and tap powers is 1 (unit mean power gain; path loss is
outside this model).

Parameters taken from measurements:

* K-factor: Matolak & Sun, "Air–Ground Channel Characterization for Unmanned
  Aircraft Systems", IEEE Trans. Veh. Technol. 66, 2017, Parts I (over water),
  II (hilly and mountainous), III (suburban and near-urban); as tabulated by
  Khawaja et al., "A Survey of Air-to-Ground Propagation Channel Modeling for
  Unmanned Aerial Vehicles", IEEE Commun. Surveys Tuts. 21(3), 2019: C-band
  (5 GHz) K ≈ 20–27 dB over water, 29.4 dB hilly, 28.5 dB suburban (L-band
  12–14 dB). We use 20 dB over water (low end) and 28.5 dB suburban.
* Delay spread: Part I's over-water RMS delay spreads are dominated by the
  two rays, typically ~10 ns, occasionally > 350 ns; the diffuse component's
  RMS of 25 ns follows Lei & Rice, "Multipath Channel Model for Over-Water
  Aeronautical Telemetry", IEEE Trans. Aerosp. Electron. Syst. 45(2), 2009
  (diffuse third path: mean excess delay 57 ns, RMS delay spread 25 ns).
* Surfaces (our assumed values at 5.8 GHz, of the order of ITU-R P.527's
  curves; pass your own): sea water ε_r 70, σ 5 S/m; average ground ε_r 15,
  σ 0.1 S/m.
"""

from dataclasses import dataclass

import numpy as np

import argcheck
from mesh_phy.channel import fading, multipath, signal, tdl
from mesh_phy.errors import PhyError

KMH = 1 / 3.6


@dataclass(frozen=True)
class Surface:
    """Ground (or sea) under the link: relative permittivity ``eps_r``,
    conductivity ``sigma_s_m`` (S/m) and RMS height deviation ``roughness_m`` (m)."""

    name: str
    eps_r: float
    sigma_s_m: float
    roughness_m: float = 0.0


SEA = Surface("sea water", 70.0, 5.0, 0.0)
AVERAGE_GROUND = Surface("average ground", 15.0, 0.1, 0.0)


@dataclass(frozen=True)
class Ray:
    """One discrete ray: delay after the LOS (s), complex amplitude relative
    to the LOS (before normalisation) and Doppler shift (Hz)."""

    delay_s: float
    amplitude: complex
    doppler_hz: float


def _vec(v, name: str) -> np.ndarray:
    a = argcheck.array(v, name, PhyError, kind="f", ndim=1).astype(float)
    if a.size != 3 or np.any(np.abs(a) > 1e6):
        raise PhyError(f"{name} must be 3 coordinates (x, y, z) within ±1e6, got {a.size}")
    return a


def reflection_coefficient(grazing_rad, surface: Surface, carrier_hz=5.8e9, polarization: str = "vertical") -> complex:
    """Fresnel reflection coefficient of ``surface`` at grazing angle
    ``grazing_rad`` times Ament's roughness factor (see module docstring)."""
    psi = argcheck.real(grazing_rad, "grazing_rad", PhyError, lo=0.0, hi=np.pi / 2)
    fc = argcheck.real(carrier_hz, "carrier_hz", PhyError, lo=1e6, hi=1e12)
    pol = argcheck.one_of(polarization, "polarization", PhyError, ("vertical", "horizontal"))
    if not isinstance(surface, Surface):
        raise PhyError(f"surface must be a Surface, got {type(surface).__name__}")
    lam = signal.C_MPS / fc
    eps = surface.eps_r - 1j * 60.0 * surface.sigma_s_m * lam
    root = np.sqrt(eps - np.cos(psi) ** 2)
    s = np.sin(psi)
    gamma = (eps * s - root) / (eps * s + root) if pol == "vertical" else (s - root) / (s + root)
    rough = np.exp(-8 * (np.pi * surface.roughness_m * s / lam) ** 2)
    return complex(gamma * rough)


def rays(drone_m, velocity_mps, *, ground_station_m=(0.0, 0.0, 2.0), carrier_hz=5.8e9,
         surface: Surface | None = SEA, polarization: str = "vertical", scatterer_m=None,
         third_ray_db: float = -15.0) -> list[Ray]:
    """The discrete rays of the geometry (LOS first; the ground reflection
    unless ``surface`` is None; the scatterer ray when ``scatterer_m`` is given)."""
    d = _vec(drone_m, "drone_m")
    g = _vec(ground_station_m, "ground_station_m")
    v = _vec(velocity_mps, "velocity_mps")
    fc = argcheck.real(carrier_hz, "carrier_hz", PhyError, lo=1e6, hi=1e12)
    if d[2] <= 0 or g[2] < 0:
        raise PhyError("the drone must be above the ground (z > 0) and the ground station not below it")
    lam = signal.C_MPS / fc
    d0 = float(np.linalg.norm(d - g))
    if d0 < lam:
        raise PhyError("drone and ground station are closer than one wavelength")

    def doppler(src):
        u = (d - src) / np.linalg.norm(d - src)
        return float(-np.dot(v, u) / lam)

    out = [Ray(0.0, 1.0 + 0j, doppler(g))]
    if surface is not None:
        image = g * np.array([1.0, 1.0, -1.0])
        d1 = float(np.linalg.norm(d - image))
        r = float(np.hypot(*(d - g)[:2]))
        psi = float(np.arctan2(d[2] + g[2], r))
        gamma = reflection_coefficient(psi, surface, fc, polarization)
        amp = gamma * d0 / d1 * np.exp(-2j * np.pi * (d1 - d0) / lam)
        out.append(Ray((d1 - d0) / signal.C_MPS, complex(amp), doppler(image)))
    if scatterer_m is not None:
        s = _vec(scatterer_m, "scatterer_m")
        lvl = argcheck.real(third_ray_db, "third_ray_db", PhyError, lo=-60.0, hi=0.0)
        extra = float(np.linalg.norm(g - s) + np.linalg.norm(d - s) - d0)
        out.append(Ray(extra / signal.C_MPS, complex(10 ** (lvl / 20)), doppler(s)))
    return out


def channel(rng, drone_m, velocity_mps, *, k_factor_db: float = 20.0, diffuse_rms_s: float = 25e-9,
            ground_station_m=(0.0, 0.0, 2.0), carrier_hz=5.8e9, surface: Surface | None = SEA,
            polarization: str = "vertical", scatterer_m=None, third_ray_db: float = -15.0) -> tdl.TDL:
    """One realisation of the A2G channel for this geometry: the rays of
    :func:`rays` with a random common carrier phase (the scatterer ray gets its
    own random phase) plus the diffuse Clarke taps, normalised to unit mean power."""
    rng = signal.generator(rng)
    k = argcheck.real(k_factor_db, "k_factor_db", PhyError, lo=-30.0, hi=60.0)
    rms = argcheck.real(diffuse_rms_s, "diffuse_rms_s", PhyError, lo=0.0, hi=1e-6)
    ray_list = rays(drone_m, velocity_mps, ground_station_m=ground_station_m, carrier_hz=carrier_hz,
                    surface=surface, polarization=polarization, scatterer_m=scatterer_m,
                    third_ray_db=third_ray_db)
    common = np.exp(1j * rng.uniform(0, 2 * np.pi))
    amps = np.array([r.amplitude for r in ray_list]) * common
    if scatterer_m is not None:
        amps[-1] = abs(amps[-1]) * np.exp(1j * rng.uniform(0, 2 * np.pi))
    fd = fading.max_doppler_hz(float(np.linalg.norm(_vec(velocity_mps, "velocity_mps"))), carrier_hz)
    dd, dp = multipath.exponential_pdp(rms, spacing_s=None)
    diffuse = [fading.clarke(rng, p * 10 ** (-k / 10), fd) for p in dp]
    m = max(c.size for c, _ in diffuse)
    coeffs = np.zeros((len(ray_list) + dd.size, m), complex)
    freqs = np.zeros(coeffs.shape)
    for i, (r, a) in enumerate(zip(ray_list, amps, strict=True)):
        coeffs[i, 0], freqs[i, 0] = a, r.doppler_hz
    for j, (c, f) in enumerate(diffuse):
        coeffs[len(ray_list) + j, : c.size], freqs[len(ray_list) + j, : f.size] = c, f
    delays = np.concatenate([[r.delay_s for r in ray_list], dd])
    total = np.sum(np.abs(amps) ** 2) + 10 ** (-k / 10)  # diffuse power: 1/K of the LOS (|LOS| = 1)
    return tdl.make(delays, coeffs / np.sqrt(total), freqs)


@dataclass(frozen=True)
class Scenario:
    """A distribution of drone geometries for link sweeps: each packet draws
    a drone at ground range ``range_m`` and height ``height_m`` (uniform in the
    given intervals), uniform azimuth, flying level at ``speed_mps`` in a
    uniform random heading, and (three-ray) a scatterer at ``scatterer_range_m``
    from the ground station, height ``scatterer_height_m``, uniform azimuth."""

    name: str
    surface: Surface | None = SEA
    k_factor_db: float = 20.0
    three_ray: bool = False
    range_m: tuple[float, float] = (200.0, 1000.0)
    height_m: tuple[float, float] = (50.0, 150.0)
    ground_station_height_m: float = 2.0
    speed_mps: float = 100 * KMH
    carrier_hz: float = 5.8e9
    polarization: str = "vertical"
    diffuse_rms_s: float = 25e-9
    third_ray_db: float = -15.0
    scatterer_range_m: tuple[float, float] = (20.0, 120.0)
    scatterer_height_m: tuple[float, float] = (0.0, 20.0)

    def draw(self, rng) -> tdl.TDL:
        """One channel realisation of this scenario."""
        rng = signal.generator(rng)
        r = rng.uniform(*self.range_m)
        az, heading = rng.uniform(0, 2 * np.pi, 2)
        drone = (r * np.cos(az), r * np.sin(az), rng.uniform(*self.height_m))
        vel = (self.speed_mps * np.cos(heading), self.speed_mps * np.sin(heading), 0.0)
        scat = None
        if self.three_ray:
            rs, azs = rng.uniform(*self.scatterer_range_m), rng.uniform(0, 2 * np.pi)
            scat = (rs * np.cos(azs), rs * np.sin(azs), rng.uniform(*self.scatterer_height_m))
        return channel(rng, drone, vel, k_factor_db=self.k_factor_db, diffuse_rms_s=self.diffuse_rms_s,
                       ground_station_m=(0.0, 0.0, self.ground_station_height_m), carrier_hz=self.carrier_hz,
                       surface=self.surface, polarization=self.polarization, scatterer_m=scat,
                       third_ray_db=self.third_ray_db)


# The two scenarios of the PER sweeps.
TWO_RAY = Scenario("a2g two-ray, over water (K 20 dB)", surface=SEA, k_factor_db=20.0)
THREE_RAY = Scenario("a2g three-ray, suburban (K 28.5 dB, scatterer -15 dB)", surface=AVERAGE_GROUND,
                     k_factor_db=28.5, three_ray=True)
