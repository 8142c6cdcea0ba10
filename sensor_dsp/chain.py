"""The angle chain of the inductive position sensor, bit-exact and vectorised
where the algorithm allows (one compiled pass over the samples).

Per sample, in this order (integer arithmetic, widths from :class:`ChainConfig`):

1. ADC: ``sin``/``cos`` (floats, full scale ±1) → signed ``adc_bits`` ints,
   rounded and clipped. NaN or ±inf → the sample is flagged INVALID and the
   observer coasts on its prediction.
2. Skew compensation (if ``skew_s`` > 0): the sine sample is delayed by the
   skew with linear interpolation (Q16 fraction), so both channels see the
   same instant.
3. Calibration: ``s' = (s·16 - off_s)·g_s >> 18``,
   ``c' = (c·16 - off_c)·g_c >> 18`` (offsets in 1/16 ADC LSB, gains Q14 to a
   target amplitude of 3/4 of the CORDIC range), then the phase correction
   ``c'' = (c'·sec φ + s'·tan φ) >> 14``. Coefficients are fixed, or adaptive:
   first and second moments of the raw samples are summed over each tracked
   revolution (offset = mean, amplitude = √(2·variance), sin φ =
   -2·covariance / (A_s A_c)); the partial turn before the first wrap is
   not used. The first whole revolution's estimates are taken as they are,
   later revolutions move them a quarter of the way (so drift with
   temperature is followed). Converged = 3 whole revolutions.
4. CORDIC atan2 (:mod:`sensor_dsp.cordic`, same core as the RTL): angle in
   2^-``angle_bits`` turn and magnitude.
5. Type-II tracking observer in 2^-32 turn: prediction θp = θ + ω, error
   e = wrap(θm - θp), θ = θp + Kp·e, ω += Ki·e (ω kept with 16 extra
   fraction bits). Kp = 2ζωnT, Ki = (ωnT)², ζ = 1/√2. The first two valid
   samples set θ and ω directly (fast acquisition).
6. Delay compensation: output θ + ω·(group delay + skew)·fs, so the output
   estimates the angle at the instant of the newest sample.

Flags per sample (bit mask): INVALID, LOSS_OF_SIGNAL (amplitude < 25 % of
target), COIL_FAULT (> 150 % or ADC clipping), MISMATCH (estimated channel
gain mismatch beyond ±0.5 %), TRACKING_LOSS (|e| > 5°), UNCALIBRATED.
"""

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from sensor_dsp import cordic
from sensor_dsp.errors import SensorError

INVALID = 1
LOSS_OF_SIGNAL = 2
COIL_FAULT = 4
MISMATCH = 8
TRACKING_LOSS = 16
UNCALIBRATED = 32
FLAG_NAMES = {INVALID: "invalid input", LOSS_OF_SIGNAL: "loss of signal", COIL_FAULT: "coil fault",
              MISMATCH: "channel mismatch > 0.5 %", TRACKING_LOSS: "tracking loss",
              UNCALIBRATED: "calibration not converged"}

MISMATCH_LIMIT = 0.005
CONVERGED_REVS = 3


class ChainConfig(NamedTuple):
    fs_hz: float
    adc_bits: int = 14
    cordic_bits: int = 16  # CORDIC input width (signed)
    angle_bits: int = 18  # CORDIC output width, turns
    iterations: int = 18
    calibration: str = "adaptive"  # "adaptive" | "fixed" | "off"
    coefficients: tuple | None = None  # fixed: (off_s, off_c, amp_s, amp_c, phase_deg), full scale
    bandwidth_hz: float | None = None  # observer natural frequency; default min(2 kHz, fs/50)
    group_delay_s: float = 0.0  # front-end delay to compensate
    skew_s: float = 0.0  # cos sampled this much after sin
    delay_compensation: bool = True


class ChainResult(NamedTuple):
    angle_deg: np.ndarray  # [0, 360)
    speed_rpm: np.ndarray
    flags: np.ndarray  # uint8 bit mask, see module constants
    amplitude: np.ndarray  # CORDIC magnitude / target (1.0 = calibrated amplitude)
    mismatch: np.ndarray  # estimated A_s / A_c - 1
    offset_sin: np.ndarray  # estimated offsets, full scale
    offset_cos: np.ndarray
    phase_deg: np.ndarray  # estimated orthogonality error


@njit(cache=True)
def _coefficients(off_s, off_c, amp_s, amp_c, phi, target):
    """Q14 gains to the target amplitude, Q14 sec/tan of the phase error, and
    the offsets in 1/16 LSB, as the correction path uses them."""
    gs = int(round(target * 16384.0 / amp_s)) if amp_s > 1 else 0
    gc = int(round(target * 16384.0 / amp_c)) if amp_c > 1 else 0
    return (gs, gc, int(round(16384.0 / math.cos(phi))), int(round(16384.0 * math.tan(phi))),
            int(round(off_s)), int(round(off_c)))


@njit(cache=True)
def _kernel(s_in, c_in, valid, adc_bits, cbits, abits, iters, guard, zguard, angles, kinv,
            mode, coef, kp, ki, skew_q16, comp_q16, out_ang, out_w, out_flags, out_mag, out_diag):
    n = s_in.size
    adc_max = (1 << (adc_bits - 1)) - 1
    cmax = (1 << (cbits - 1)) - 1
    target = 3 * (1 << (cbits - 1)) // 4
    shift = 32 - abits
    # calibration state: offsets (1/16 LSB), amplitudes (LSB), phase (rad)
    off_s, off_c, amp_s, amp_c, phi = coef[0], coef[1], coef[2], coef[3], coef[4]
    revs = 0
    acc_n = 0
    acc = np.zeros(5)  # Σs, Σc, Σs², Σc², Σsc
    theta = np.uint32(0)
    omega = np.int64(0)  # 2^-48 turn per sample
    have = 0
    prev_s = 0
    seen_valid = False
    prev_theta = np.uint32(0)
    last_theta = np.uint32(0)
    started = False  # moments count from the first wrap: a partial turn would bias them
    armed = False
    # the correction path's integer coefficients (firmware rewrites them at revolution ends)
    gs, gc, ksec, ktan, os_q, oc_q = _coefficients(off_s, off_c, amp_s, amp_c, phi, target)
    for k in range(n):
        flags = 0
        if mode != 2 and revs < CONVERGED_REVS:
            flags |= UNCALIBRATED
        theta_p = np.uint32((np.int64(theta) + (omega >> 16)) & 0xFFFFFFFF)
        coast = True
        mag = 0
        if valid[k]:
            s = s_in[k]
            c = c_in[k]
            if s >= adc_max or s <= -adc_max or c >= adc_max or c <= -adc_max:
                flags |= COIL_FAULT
            if not seen_valid:  # no earlier sample to interpolate from
                prev_s = s
                seen_valid = True
            s_al = s
            if skew_q16 > 0:
                s_al = s - (((s - prev_s) * skew_q16 + 32768) >> 16)
            prev_s = s
            s1 = (((s_al << 4) - os_q) * gs + (1 << 17)) >> 18
            c1 = (((c << 4) - oc_q) * gc + (1 << 17)) >> 18
            c2 = (c1 * ksec + s1 * ktan + 8192) >> 14
            s1 = min(max(s1, -cmax - 1), cmax)
            c2 = min(max(c2, -cmax - 1), cmax)
            ang, mag = cordic.cordic_core(c2, s1, iters, guard, zguard, abits, angles, kinv)
            if mag < target // 4:
                flags |= LOSS_OF_SIGNAL
            elif mag > 3 * target // 2:
                flags |= COIL_FAULT
            else:
                coast = False
                meas = np.uint32(ang << shift)
                if have == 0:
                    theta = meas
                    have = 1
                elif have == 1:
                    omega = np.int64(np.int32(meas - prev_theta)) << 16
                    theta = meas
                    have = 2
                else:
                    e = np.int64(np.int32(meas - theta_p))
                    if abs(e) > (5 << 32) // 360:
                        flags |= TRACKING_LOSS
                    theta = np.uint32((np.int64(theta_p) + ((e * kp) >> 24)) & 0xFFFFFFFF)
                    omega += (e * ki) >> 24
                prev_theta = meas
            # moments for the adaptive calibration (raw samples, this revolution)
            if mode == 0:
                acc_n += 1
                acc[0] += s_al
                acc[1] += c
                acc[2] += float(s_al) * s_al
                acc[3] += float(c) * c
                acc[4] += float(s_al) * c
        else:
            flags |= INVALID
        if coast:
            theta = theta_p
        # revolution end: the tracked angle wrapped (either direction)
        q_new = theta >> 30
        q_old = last_theta >> 30
        # a wrap through 0 counts once the angle has been half a turn away
        # since the last one (noise at low speed crosses 0 back and forth)
        if q_new == 2:
            armed = True
        wrapped = armed and ((q_old == 3 and q_new == 0) or (q_old == 0 and q_new == 3))
        if wrapped:
            armed = False
        last_theta = theta
        if mode == 0 and have == 2 and wrapped and not started:
            started = True  # the first wrap opens the first whole revolution
            acc_n = 0
            acc[:] = 0.0
        elif mode == 0 and have == 2 and acc_n >= 3 and wrapped:
            m_s = acc[0] / acc_n
            m_c = acc[1] / acc_n
            v_s = acc[2] / acc_n - m_s * m_s
            v_c = acc[3] / acc_n - m_c * m_c
            cv = acc[4] / acc_n - m_s * m_c
            if v_s > 0 and v_c > 0:
                e_amp_s = math.sqrt(2 * v_s)
                e_amp_c = math.sqrt(2 * v_c)
                e_phi = math.asin(max(-0.5, min(0.5, -2 * cv / (e_amp_s * e_amp_c))))
                w = 1.0 if revs == 0 else 0.25
                off_s += w * (16 * m_s - off_s)
                off_c += w * (16 * m_c - off_c)
                amp_s += w * (e_amp_s - amp_s)
                amp_c += w * (e_amp_c - amp_c)
                phi += w * (e_phi - phi)
                revs += 1
                gs, gc, ksec, ktan, os_q, oc_q = _coefficients(off_s, off_c, amp_s, amp_c, phi, target)
            acc_n = 0
            acc[:] = 0.0
        if mode != 2 and amp_c > 0 and abs(amp_s / amp_c - 1) > MISMATCH_LIMIT and revs > 0:
            flags |= MISMATCH
        comp = (omega * comp_q16) >> 32  # ω (2^-48 turn) · delay (Q16 samples) → 2^-32 turn
        out_ang[k] = (np.int64(theta) + comp) & 0xFFFFFFFF
        out_w[k] = omega
        out_flags[k] = flags
        out_mag[k] = mag
        out_diag[k, 0] = amp_s / amp_c - 1 if amp_c > 0 else 0.0
        out_diag[k, 1] = off_s / 16
        out_diag[k, 2] = off_c / 16
        out_diag[k, 3] = phi


class AngleChain:
    """The sensor's angle chain at sample rate ``fs_hz``; see the module doc.

    ``AngleChain(fs_hz=1e6).run(sin, cos)`` uses the best configuration:
    adaptive calibration, 18-iteration CORDIC, observer at min(2 kHz, fs/50).
    """

    def __init__(self, fs_hz: float, **options):
        try:
            cfg = ChainConfig(fs_hz=float(fs_hz), **options)
        except TypeError as exc:
            raise SensorError(f"unknown option: {exc}") from None
        if not math.isfinite(cfg.fs_hz) or cfg.fs_hz <= 0:
            raise SensorError(f"fs_hz must be a positive number, got {fs_hz!r}")
        if cfg.calibration not in ("adaptive", "fixed", "off"):
            raise SensorError(f"calibration must be adaptive, fixed or off, got {cfg.calibration!r}")
        if cfg.calibration == "fixed" and (cfg.coefficients is None or len(cfg.coefficients) != 5):
            raise SensorError("fixed calibration needs coefficients=(off_s, off_c, amp_s, amp_c, phase_deg)")
        if not 8 <= cfg.adc_bits <= 24 or not 8 <= cfg.cordic_bits <= 24:
            raise SensorError("adc_bits and cordic_bits must be 8..24")
        if cfg.skew_s < 0 or cfg.skew_s * cfg.fs_hz >= 1 or cfg.group_delay_s < 0:
            raise SensorError("skew_s must be in [0, 1/fs) and group_delay_s >= 0")
        self.config = cfg
        self.cordic = cordic.params(cfg.cordic_bits, cfg.angle_bits, cfg.iterations)
        bw = cfg.bandwidth_hz if cfg.bandwidth_hz is not None else min(2000.0, cfg.fs_hz / 50)
        if not 0 < bw < cfg.fs_hz / 10:
            raise SensorError(f"observer bandwidth {bw} Hz must be in (0, fs/10)")
        wnt = 2 * math.pi * bw / cfg.fs_hz
        self.kp = int(round(2 * (1 / math.sqrt(2)) * wnt * 2**24))
        self.ki = int(round(wnt * wnt * 2**24 * 2**16))  # ω carries 16 extra fraction bits
        self.bandwidth_hz = bw

    def _initial_coefficients(self):
        cfg = self.config
        full = float(1 << (cfg.adc_bits - 1))
        if cfg.calibration == "fixed":
            os_, oc, a_s, a_c, ph = cfg.coefficients
            return np.array([16 * os_ * full, 16 * oc * full, a_s * full, a_c * full, math.radians(ph)])
        # nominal: no offset, the signal model's nominal amplitude (0.8 FS), no phase error
        return np.array([0.0, 0.0, 0.8 * full, 0.8 * full, 0.0])

    def run(self, sin, cos) -> ChainResult:
        """Process one record; ``sin`` and ``cos`` are equal-length 1-D float arrays."""
        s = np.asarray(sin, dtype=float) if not isinstance(sin, str) else None
        c = np.asarray(cos, dtype=float) if not isinstance(cos, str) else None
        if s is None or c is None or s.ndim != 1 or c.ndim != 1:
            raise SensorError("sin and cos must be 1-D numeric arrays")
        if s.size != c.size:
            raise SensorError(f"sin and cos lengths differ: {s.size} != {c.size}")
        cfg = self.config
        full = float(1 << (cfg.adc_bits - 1))
        valid = np.isfinite(s) & np.isfinite(c)
        si = np.zeros(s.size, np.int64)
        ci = np.zeros(c.size, np.int64)
        si[valid] = np.clip(np.rint(s[valid] * full), -full, full - 1).astype(np.int64)
        ci[valid] = np.clip(np.rint(c[valid] * full), -full, full - 1).astype(np.int64)
        n = s.size
        out_ang = np.empty(n, np.int64)
        out_w = np.empty(n, np.int64)
        out_flags = np.empty(n, np.uint8)
        out_mag = np.empty(n, np.int64)
        diag = np.empty((n, 4))
        mode = {"adaptive": 0, "fixed": 1, "off": 2}[cfg.calibration]
        skew_q16 = int(round(cfg.skew_s * cfg.fs_hz * 65536))
        delay = (cfg.group_delay_s + cfg.skew_s) * cfg.fs_hz if cfg.delay_compensation else 0.0
        p = self.cordic
        _kernel(si, ci, valid, cfg.adc_bits, cfg.cordic_bits, cfg.angle_bits, p.iterations, p.guard,
                p.zguard, np.array(p.angles, np.int64), p.kinv, mode, self._initial_coefficients(),
                self.kp, self.ki, skew_q16, int(round(delay * 65536)), out_ang, out_w, out_flags,
                out_mag, diag)
        target = 3 * (1 << (cfg.cordic_bits - 1)) // 4
        return ChainResult(
            angle_deg=out_ang * (360.0 / 2**32),
            speed_rpm=out_w * (cfg.fs_hz * 60.0 / 2**48),
            flags=out_flags,
            amplitude=out_mag / target,
            mismatch=diag[:, 0],
            offset_sin=diag[:, 1] / full,
            offset_cos=diag[:, 2] / full,
            phase_deg=np.degrees(diag[:, 3]),
        )


def angle_error_deg(measured_deg, true_rad) -> np.ndarray:
    """Signed error in degrees, wrapped to [-180, 180)."""
    return (np.asarray(measured_deg) - np.degrees(true_rad) + 180.0) % 360.0 - 180.0
