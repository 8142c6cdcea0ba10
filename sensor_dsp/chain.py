"""The angle chain of the inductive position sensor, bit-exact and vectorised
where the algorithm allows (one compiled pass over the samples).

Per sample, in this order (integer arithmetic, widths from :class:`ChainConfig`):

1. ADC: ``sin``/``cos`` (floats, full scale ±1) → signed ``adc_bits`` ints,
   rounded to nearest (ties to even) and clipped. NaN or ±inf → the sample is
   flagged INVALID_INPUT and the observer coasts on its prediction.
2. Skew compensation (if ``skew_s`` > 0): the sine sample is delayed by the
   skew with linear interpolation (Q16 fraction), so both channels see the
   same instant.
3. Calibration: ``s' = (s·16 - off_s)·g_s >> 18``,
   ``c' = (c·16 - off_c)·g_c >> 18`` (offsets in 1/16 ADC LSB, gains Q14 to a
   target amplitude of 3/4 of the CORDIC range), then the phase correction
   ``c'' = (c'·sec φ + s'·tan φ) >> 14``. Coefficients are fixed, or adaptive:
   first and second moments of the raw samples are summed over each tracked
   revolution (from the first wrap after the observer has settled), each
   sample weighted by the rotor speed so that the sums are
   integrals over the *angle* (a uniform weight over-counts the slow part of
   an accelerating turn and biases the offsets). The speed is taken linear in
   time, its mean and slope from the durations of this revolution and the
   previous one (wrap instants interpolated to a fraction of a sample with
   θ̂/ω̂; a duration does not carry the noise of ω̂, nor the ripple that the
   uncorrected errors put on it); sums of x and of j·x (j = sample index in
   the revolution) give the weighted sums at the revolution's end. The
   first revolution, with no previous one, is weighted uniformly. Each sample
   stands for its sample period; the part of the period that lies past the
   wrap instant goes to the next revolution, so that the sums cover exactly
   one turn even when a turn is not a whole number of samples. Offset = mean,
   amplitude = √(2·variance), sin φ = -2·covariance / (A_s A_c). The partial
   turn before the first wrap is not used. The first whole revolution's
   estimates are taken as they are, later revolutions move them a quarter of
   the way (so drift with temperature is followed). Converged = 3 whole
   revolutions and no CALIBRATION_DRIFT: the estimates agree with the
   coefficients in use to within the healthy allocation of the angle budget.
   3rd harmonic (adaptive only): 4th-order moments of the calibrated vector
   give the complex coefficients a, b of z = e^{iθ} + a·e^{3iθ} + b·e^{-3iθ}
   (derivation in :func:`_estimates`); from the third whole revolution on,
   the CORDIC angle is corrected by Im(a·e^{2iθ} + b·e^{-4iθ}) (Q14 products
   of cos 2θ, sin 2θ, cos 4θ, sin 4θ formed from the calibrated vector,
   coefficients in 2^-32 turn) and the radial residual by the real part.
4. CORDIC atan2 (:mod:`sensor_dsp.cordic`, same core as the RTL): angle in
   2^-``angle_bits`` turn and magnitude.
5. Type-II tracking observer in 2^-32 turn: prediction θp = θ + ω, error
   e = wrap(θm - θp), θ = θp + Kp·e, ω += Ki·e (ω kept with 16 extra
   fraction bits). Kp = 2ζωnT, Ki = (ωnT)², ζ = 1/√2. The first two valid
   samples set θ and ω directly (fast acquisition).
6. Delay compensation: output θ + ω·(group delay + skew)·fs, so the output
   estimates the angle at the instant of the newest sample.
7. Diagnostics (:mod:`sensor_dsp.diagnostics`, floating point — they decide
   flags, never the angle): vector residual against the prediction (DOS),
   angle steps and ramps (speed steps) against a 32-sample-old reference,
   a slow radial mean whose memory is a rotor angle (adaptive calibration),
   stuck channels, tracking loss, loss of signal, ADC rail; latched once the
   chain has converged. ``ChainResult.valid`` is False where any flag of
   ``INVALID_MASK`` is set; advisory flags (``ADVISORY_MASK``) never are.
"""

import math
from typing import NamedTuple

import numpy as np
from numba import njit

import argcheck
from sensor_dsp import cordic
from sensor_dsp import diagnostics as dg
from sensor_dsp.errors import SensorError

# flag bits (sensor_dsp.diagnostics says what each check does and how its threshold is derived)
INVALID_INPUT = 1
LOSS_OF_SIGNAL = 2
COIL_FAULT = 4
MISMATCH = 8
TRACKING_LOSS = 16
UNCALIBRATED = 32
SETTLING = 64
SIGNAL_DEGRADED = 128
STUCK = 256
FAULT_LATCHED = 512
CALIBRATION_DRIFT = 1024
FLAG_NAMES = {INVALID_INPUT: "invalid input sample", LOSS_OF_SIGNAL: "loss of signal", COIL_FAULT: "coil fault",
              MISMATCH: "channel mismatch > 0.5 % (advisory)", TRACKING_LOSS: "tracking loss",
              UNCALIBRATED: "calibration not converged", SETTLING: "observer settling",
              SIGNAL_DEGRADED: "signal degraded (vector residual beyond budget)", STUCK: "channel stuck",
              FAULT_LATCHED: "fault detected earlier (latched)",
              CALIBRATION_DRIFT: "calibration drifting (advisory)"}
ADVISORY_MASK = MISMATCH | CALIBRATION_DRIFT  # the angle is usable; something to look at
INVALID_MASK = sum(FLAG_NAMES) & ~ADVISORY_MASK  # the angle is not usable
DETECT_MASK = LOSS_OF_SIGNAL | COIL_FAULT | TRACKING_LOSS | SIGNAL_DEGRADED | STUCK  # latch once converged

MISMATCH_LIMIT = 0.005
CONVERGED_REVS = 3
HARMONIC_REVS = 16  # memory of the 3rd-harmonic estimates, revolutions
HARMONIC_START_REVS = 2  # whole revolutions estimated before the 3rd harmonic is
N_MOMENTS = 10  # per-revolution moments of the adaptive calibration (see _estimates)
MAX_DELAY_SAMPLES = 64  # delay compensation beyond this is extrapolation, and ω·delay must fit 63 bits
NOMINAL_AMPLITUDE = 0.8  # full scale: the signal model's nominal amplitude, the adaptive calibration's start
# Q14 gains below this round by more than 1/(2·1146) = 0.044 %, an angle error of 1/4 of the healthy allocation
MIN_GAIN_Q14 = 1146
_TURN = 2.0 * math.pi / 2.0**32  # rad per 2^-32 turn


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
    flags: np.ndarray  # uint16 bit mask, see sensor_dsp.diagnostics
    valid: np.ndarray  # bool: no flag of INVALID_MASK (the angle is usable)
    amplitude: np.ndarray  # CORDIC magnitude / target (1.0 = calibrated amplitude)
    mismatch: np.ndarray  # estimated A_s / A_c - 1
    offset_sin: np.ndarray  # estimated offsets, full scale
    offset_cos: np.ndarray
    phase_deg: np.ndarray  # estimated orthogonality error
    residual_ratio: np.ndarray  # the DOS check's statistic over its threshold (> 1: SIGNAL_DEGRADED once armed)
    harmonic_a: np.ndarray  # estimated 3rd-harmonic coefficients (complex, relative; angle error ≈
    harmonic_b: np.ndarray  # Im(a·e^{2iθ} + b·e^{-4iθ}), see _estimates); 0 unless the calibration is adaptive


@njit(cache=True)
def _coefficients(off_s, off_c, amp_s, amp_c, phi, target):
    """Q14 gains to the target amplitude, Q14 sec/tan of the phase error, and
    the offsets in 1/16 LSB, as the correction path uses them."""
    gs = int(round(target * 16384.0 / amp_s)) if amp_s > 1 else 0
    gc = int(round(target * 16384.0 / amp_c)) if amp_c > 1 else 0
    return (gs, gc, int(round(16384.0 / math.cos(phi))), int(round(16384.0 * math.tan(phi))),
            int(round(off_s)), int(round(off_c)))


@njit(cache=True)
def _estimates(acc, beta, n, cal, diff):
    """One revolution's estimates ``est`` (offsets in 1/16 LSB, amplitudes,
    phase, then the 3rd-harmonic coefficients a_re, a_im, b_re, b_im), and
    in ``diff`` their differences from the coefficients in use ``cal`` (same
    order) as angle errors (rad): offsets / A, relative gain mismatch, phase,
    harmonic coefficients. ``acc`` holds the sums of x for the ``N_MOMENTS``
    moments (1, s, c, s², c², sc of the raw samples, then q·C, q·S, C² - S²,
    C·S of the calibrated vector, see :func:`_multiple_angles`) and then of
    j·x; the weights are the relative speed 1 + beta·(j - n/2) over the
    revolution's n samples. ok = False when the moments cannot give estimates.

    3rd harmonic: the calibrated vector z = x + iy (relative to the target
    amplitude) of coil signals with a 3rd harmonic is
    z = e^{iθ} + a·e^{3iθ} + b·e^{-3iθ} (a = (h_c + h_s)/2, b = (h_c - h_s)/2
    for harmonics h_s sin 3θ, h_c cos 3θ), and its angle error is
    arg(1 + a·e^{2iθ} + b·e^{-4iθ}) ≈ Im(a·e^{2iθ} + b·e^{-4iθ}): a ripple at
    twice the angle (``signals``' model, h_c = h_s) or four times (a coil
    pattern shifted by 90°, h_c = -h_s: h3·sin 4θ). Over a revolution
    <z·z̄³> = a and <z⁴> = 4b to first order, except for what the
    calibration in use has left: a gain mismatch d and phase error p add
    -1.5d + 1.5ip to <z·z̄³>, an offset δ = δc + iδs adds 3δ̄² (derived
    from the expansions; ``diff`` holds d, p and δ of this revolution), which
    are taken off."""
    m = np.empty(N_MOMENTS)
    for i in range(N_MOMENTS):
        m[i] = (1.0 - 0.5 * beta * n) * acc[i] + beta * acc[N_MOMENTS + i]
    est = np.zeros(9)
    if m[0] == 0.0:
        return False, est
    for i in range(1, N_MOMENTS):
        m[i] /= m[0]
    m_s = m[1]
    m_c = m[2]
    v_s = m[3] - m_s * m_s
    v_c = m[4] - m_c * m_c
    cv = m[5] - m_s * m_c
    if not (v_s > 0 and v_c > 0):
        return False, est
    off_s, off_c, amp_s, amp_c, phi = cal[0], cal[1], cal[2], cal[3], cal[4]
    e_amp_s = math.sqrt(2 * v_s)
    e_amp_c = math.sqrt(2 * v_c)
    e_phi = math.asin(max(-0.5, min(0.5, -2 * cv / (e_amp_s * e_amp_c))))
    a = 0.5 * (amp_s + amp_c)
    diff[0] = (16 * m_s - off_s) / 16 / a
    diff[1] = (16 * m_c - off_c) / 16 / a
    diff[2] = e_amp_s / amp_s - e_amp_c / amp_c
    diff[3] = e_phi - phi
    diff[8] = 0.5 * (e_amp_s / amp_s + e_amp_c / amp_c) - 1
    d_s, d_c = diff[0], diff[1]
    est[5] = m[6] + 1.5 * diff[2] - 3.0 * (d_c * d_c - d_s * d_s)
    est[6] = -m[7] - 1.5 * diff[3] + 6.0 * d_c * d_s
    est[7] = 0.25 * m[8]
    est[8] = 0.5 * m[9]
    for i in range(4):
        diff[4 + i] = est[5 + i] - cal[5 + i]
    est[0], est[1], est[2], est[3], est[4] = 16 * m_s, 16 * m_c, e_amp_s, e_amp_c, e_phi
    return True, est


@njit(cache=True)
def _harmonic_q(cal):
    """The 3rd-harmonic correction's integer coefficients (2^-32 turn per
    unit of the Q14 sin 2θ, cos 2θ, cos 4θ, sin 4θ they multiply) from
    a_re, a_im, b_re, b_im in ``cal[5:9]``."""
    k = 2.0**32 / (2 * math.pi)
    return (int(round(cal[5] * k)), int(round(cal[6] * k)), int(round(cal[8] * k)), int(round(-cal[7] * k)))


@njit(cache=True)
def _moments(s, c, xq, yq, c2, s2, c4, s4):
    """One sample's terms of the calibration's moments (:func:`_estimates`):
    1, s, c, s², c², sc of the raw samples (ADC LSB), then q·C, q·S,
    C² - S², C·S of the calibrated vector (``xq``, ``yq`` in Q14 of the
    target amplitude; q = |z|², C + iS = z²; ``c2``.. ``s4`` from
    :func:`_multiple_angles`)."""
    fs_, fc = float(s), float(c)
    fx, fy = xq * (1.0 / 16384), yq * (1.0 / 16384)
    q = fx * fx + fy * fy
    return (1.0, fs_, fc, fs_ * fs_, fc * fc, fs_ * fc, q * c2 * (1.0 / 16384), q * s2 * (1.0 / 16384),
            c4 * (1.0 / 16384), s4 * (0.5 / 16384))


@njit(cache=True)
def _accumulate(acc, j, m):
    """acc[i] += m[i] and acc[N_MOMENTS + i] += j·m[i] (unrolled)."""
    acc[0] += 1.0
    acc[1] += m[1]
    acc[2] += m[2]
    acc[3] += m[3]
    acc[4] += m[4]
    acc[5] += m[5]
    acc[6] += m[6]
    acc[7] += m[7]
    acc[8] += m[8]
    acc[9] += m[9]
    acc[10] += j
    acc[11] += j * m[1]
    acc[12] += j * m[2]
    acc[13] += j * m[3]
    acc[14] += j * m[4]
    acc[15] += j * m[5]
    acc[16] += j * m[6]
    acc[17] += j * m[7]
    acc[18] += j * m[8]
    acc[19] += j * m[9]


@njit(cache=True)
def _multiple_angles(xq, yq):
    """(C, S, cos 4θ, sin 4θ) in Q14 from the calibrated vector in Q14 of
    the target amplitude (C = x² - y², S = 2xy: cos 2θ, sin 2θ times |z|²),
    rounded to nearest."""
    c2 = (xq * xq - yq * yq + 8192) >> 14
    s2 = (xq * yq + 4096) >> 13
    return c2, s2, (c2 * c2 - s2 * s2 + 8192) >> 14, (c2 * s2 + 4096) >> 13


@njit(cache=True)
def _limit(budget, z, k, sigma):
    """A threshold max(B - z·σ, K·σ) for a statistic of noise σ: the
    budget-derived B less a miss margin, or the false-alarm floor (see
    :mod:`sensor_dsp.diagnostics`)."""
    return max(budget - z * sigma, k * sigma)


@njit(cache=True)
def _slide(step_buf, long_buf, k, x_d, x_l, w1, w2, r1, b1, r2, b2, step_sum, r3, b3):
    """Sample ``k``'s residuals into the step and ramp checks' sliding sums
    (0 where there was no measurement): ``step_buf`` holds the step check's
    residuals x_d over the last REFERENCE_LAG samples, ``long_buf`` the long
    ramp check's x_l over the last LONG_LAG (both powers of two); r = Σ m·x
    and b = Σ x over the last w1 / w2 (r3, b3: LONG_LAG) residuals, m = 1 for
    the oldest; ``step_sum`` = Σ x_d over the buffer. Returns the new sums."""
    mask = step_buf.size - 1
    j = k & mask
    r1 += w1 * x_d - b1
    b1 += x_d - step_buf[(k - w1) & mask]
    r2 += w2 * x_d - b2
    b2 += x_d - step_buf[(k - w2) & mask]
    step_sum += x_d - step_buf[j]
    step_buf[j] = x_d
    j = k & (long_buf.size - 1)
    r3 += long_buf.size * x_l - b3
    b3 += x_l - long_buf[j]
    long_buf[j] = x_l
    return r1, b1, r2, b2, step_sum, r3, b3


@njit(cache=True)
def _kernel(s_in, c_in, adc_bits, cbits, abits, iters, guard, zguard, angles, kinv,
            mode, coef, kp, ki, skew_q16, comp_q16, settle, dth, dti, out_ang, out_w, out_flags, out_mag, out_diag,
            out_harm):
    """``dth`` = (T_v², (K·√(α/(2-α)))², α, output-noise limit², drift limit,
    (K·√(α_f/(2-α_f)))², α_f, σ_q², stuck LSB, noise α, noise clamp,
    B_f/p, step σ gain, z, B_f, ramp scale and σ gain for each of the two
    fits, slow radial weight per 2^-48 turn/sample of speed, its least weight,
    lag mean's weight, c_d/c_e, K₁ of the step check, of each ramp fit, of
    the slow radial mean);
    ``dti`` = (stuck run, reference lag (a power of two), tracking-loss
    limit in 2^-32 turn, the two ramp fits' lengths): see
    :func:`_detection_parameters` and :mod:`sensor_dsp.diagnostics`."""
    n = s_in.size
    adc_max = (1 << (adc_bits - 1)) - 1
    full = float(1 << (adc_bits - 1))
    inv_off = 1.0 / (16 * full)  # offsets: 1/16 LSB → full scale
    cmax = (1 << (cbits - 1)) - 1
    target = 3 * (1 << (cbits - 1)) // 4
    shift = 32 - abits
    tv2, kg2, alpha, noise_lim2, drift_lim, kg2_fast, alpha_fast, q2 = (dth[0], dth[1], dth[2], dth[3], dth[4],
                                                                        dth[5], dth[6], dth[7])
    stuck_lsb, noise_alpha, noise_clamp, ts, kg_step, z_miss = dth[8], dth[9], dth[10], dth[11], dth[12], dth[13]
    b_f, c_r1, g_r1, c_r2, g_r2 = dth[14], dth[15], dth[16], dth[17], dth[18]
    radial_rate, alpha_rmin, alpha_lag, k_lag = dth[19], dth[20], dth[21], dth[22]
    k_step, k_r1, k_r2, k_rad = dth[23], dth[24], dth[25], dth[26]
    c_r3, g_r3, k_r3, k_lag3 = dth[27], dth[28], dth[29], dth[30]
    stuck_run, ref_lag, lot, w_r1, w_r2, long_lag = dti[0], dti[1], dti[2], dti[3], dti[4], dti[5]
    # calibration state: offsets (1/16 LSB), amplitudes (LSB), phase (rad), 3rd harmonic a, b (relative)
    cal = coef.copy()
    revs = 0
    acc = np.zeros(2 * N_MOMENTS)  # Σx and Σj·x for the moments of _estimates (j: sample index in the revolution)
    rev_j = 0
    t_wrap = 0.0  # instant of the last wrap, samples (fractional)
    last_len = 0.0  # duration of the previous revolution, samples (0: none yet)
    converged = mode != 0
    drifting = False
    diff = np.zeros(9)  # this revolution's estimates minus the coefficients in use (angle errors, rad; gain)
    lag = np.zeros(9)  # the same, averaged like the coefficients: what the calibration still has to follow
    theta = np.uint32(0)
    omega = np.int64(0)  # 2^-48 turn per sample
    have = 0
    prev_s = 0
    seen_valid = False
    prev_theta = np.uint32(0)
    last_theta = np.uint32(0)
    started = False  # moments count from the first wrap: a partial turn would bias them
    armed_wrap = False
    armed = False  # the diagnostics latch (converged and settled)
    # diagnostics state
    settle_until = n + 1  # set at acquisition
    acquired = n + 1
    m_r = 0.0  # exponential mean of the radial residual
    m_e = 0.0  # ... and of the innovation (rad)
    f_r = 0.0  # the fast means
    f_e = 0.0
    p_noise = 0.0  # per-component noise power of the residual
    x_r_prev = 0.0
    have_x = False
    latched = False
    ref_theta = np.zeros(long_lag, np.uint32)  # the observer's state over the last long_lag samples
    ref_omega = np.zeros(long_lag, np.int64)
    long_mask = long_lag - 1
    long_buf = np.zeros(long_lag)  # the long ramp check's residuals over the last long_lag samples
    r3 = b3 = 0.0
    step_buf = np.zeros(ref_lag)  # the step check's residuals over the last ref_lag samples, and their sum
    step_sum = 0.0
    r1 = b1 = r2 = b2 = 0.0  # ramp check: Σ m·d and Σ d over the last w_r1 (w_r2) residuals (m = 1 oldest)
    m_rs = 0.0  # slow radial mean (memory: a rotor angle)
    e_lag = 0.0  # slow mean of the innovation: the observer's tracking lag
    rip = 0.0  # radial residual the calibration has left (its last revolution's estimate)
    code = np.zeros(3, np.int64)  # raw sin, cos, sin - cos
    runs = np.zeros(3, np.int64)  # samples the code has repeated
    run_theta = np.zeros(3, np.uint32)  # tracked angle when the code last changed
    run_c = np.zeros(3, np.int64)  # the calibrated vector there (target·(cos θ0, sin θ0))
    run_s = np.zeros(3, np.int64)
    inv_target = 1.0 / target
    # the correction path's integer coefficients (firmware rewrites them at revolution ends)
    gs, gc, ksec, ktan, os_q, oc_q = _coefficients(cal[0], cal[1], cal[2], cal[3], cal[4], target)
    qa_s, qa_c, qb_c, qb_s = _harmonic_q(cal)
    harmonic = mode == 0  # the 3rd-harmonic correction: adaptive calibration only
    kq = int(round(2.0**44 / target))  # calibrated vector → Q14 of the target amplitude: (v·kq) >> 30
    cur_ok = last_ok = False  # this sample's and the previous one's moments were summed (and their inputs)
    cur_s = cur_c = cur_x = cur_y = last_s = last_c = last_x = last_y = 0
    carry = np.zeros(N_MOMENTS)
    for k in range(n):
        flags = 0
        x_d = x_l = 0.0
        last_ok, last_s, last_c, last_x, last_y = cur_ok, cur_s, cur_c, cur_x, cur_y
        cur_ok = False
        theta_p = np.uint32((np.int64(theta) + (omega >> 16)) & 0xFFFFFFFF)
        coast = True
        mag = 0
        fs_in, fc_in = s_in[k], c_in[k]
        if math.isfinite(fs_in) and math.isfinite(fc_in):  # ADC: rounded to nearest (even), clipped
            s = np.int64(min(max(np.rint(fs_in * full), -full), full - 1))
            c = np.int64(min(max(np.rint(fc_in * full), -full), full - 1))
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
            ang, mag = cordic._core(c2, s1, iters, guard, zguard, abits, angles, kinv)
            x_r = mag * inv_target - 1.0
            corr = 0
            xq = yq = hc2 = hs2 = hc4 = hs4 = 0
            if harmonic:  # 3rd harmonic: angle -= Im(a·e^{2iθ} + b·e^{-4iθ}), radial -= Re(...) (see _estimates)
                xq = (c2 * kq + (1 << 29)) >> 30
                yq = (s1 * kq + (1 << 29)) >> 30
                hc2, hs2, hc4, hs4 = _multiple_angles(xq, yq)
                corr = (qa_s * hs2 + qa_c * hc2 + qb_c * hc4 + qb_s * hs4 + 8192) >> 14
                x_r -= (cal[5] * hc2 - cal[6] * hs2 + cal[7] * hc4 + cal[8] * hs4) * (1.0 / 16384)
            x_e = 0.0
            if mag < target // 4:
                flags |= LOSS_OF_SIGNAL
            elif mag > 3 * target // 2:
                flags |= COIL_FAULT
            else:
                coast = False
                meas = np.uint32(((ang << shift) - corr) & 0xFFFFFFFF)
                if have == 0:
                    theta = meas
                    have = 1
                elif have == 1:
                    omega = np.int64(np.int32(meas - prev_theta)) << 16
                    theta = meas
                    have = 2
                    settle_until = k + settle
                    acquired = k
                else:
                    e = np.int64(np.int32(meas - theta_p))
                    x_e = e * _TURN
                    # step check: the angle against the state ref_lag samples ago, extrapolated; a step in
                    # the measured angle shows there in full until the reference has seen it (the innovation
                    # loses it as the observer follows), averaged over the last ref_lag samples
                    if k - acquired > ref_lag:
                        j = (k - ref_lag) & long_mask
                        ref = np.int64(ref_theta[j]) + ((ref_omega[j] * ref_lag) >> 16)
                        # less what the observer's own lag puts there under a steady acceleration
                        x_d = np.int64(np.int32((np.int64(meas) - ref) & 0xFFFFFFFF)) * _TURN - k_lag * e_lag
                    if k - acquired > long_lag:  # the long ramp check's residual, the same way
                        j = k & long_mask
                        ref = np.int64(ref_theta[j]) + ((ref_omega[j] * long_lag) >> 16)
                        x_l = np.int64(np.int32((np.int64(meas) - ref) & 0xFFFFFFFF)) * _TURN - k_lag3 * e_lag
                    # before the checks arm, a 4× shorter memory lets the acquisition transient out of it
                    e_lag += (alpha_lag if armed else 4 * alpha_lag) * (x_e - e_lag)
                    if abs(e) > lot:
                        flags |= TRACKING_LOSS
                    theta = np.uint32((np.int64(theta_p) + ((e * kp) >> 24)) & 0xFFFFFFFF)
                    omega += (e * ki) >> 24
                prev_theta = meas
            # DOS: exponential mean of the residual vector, and its noise power
            if have_x:  # noise power from the radial part: white (the innovation is shaped by the loop)
                d2 = 0.5 * (x_r - x_r_prev) ** 2
                if armed:
                    p_noise += noise_alpha * (min(d2, noise_clamp * p_noise) - p_noise)
                else:  # settling: a shorter memory, ~4.4 of them in the settling time
                    p_noise += (d2 - p_noise) / 256
            have_x = True
            x_r_prev = x_r
            alpha_r = min(max(abs(omega) * radial_rate, alpha_rmin), alpha)
            m_rs += alpha_r * (x_r - m_rs)
            m_r += alpha * (x_r - m_r)
            m_e += alpha * (x_e - m_e)
            f_r += alpha_fast * (x_r - f_r)
            f_e += alpha_fast * (x_e - f_e)
            # stuck codes: count repeats; remember the tracked angle θ0 (and its direction) at each change
            for j in range(3):
                v = s if j == 0 else (c if j == 1 else s - c)
                if v == code[j]:
                    runs[j] += 1
                else:
                    runs[j] = 0
                    code[j] = v
                    run_theta[j] = theta
                    run_c[j] = c2
                    run_s[j] = s1
            # this sample's residuals into the step and ramp checks' sums before they are checked (a sum that
            # lags by one sample flags a speed step one sample late)
            r1, b1, r2, b2, step_sum, r3, b3 = _slide(step_buf, long_buf, k, x_d, x_l, w_r1, w_r2, r1, b1, r2, b2,
                                                      step_sum, r3, b3)
            if armed:
                pq = p_noise + q2
                sd = math.sqrt(pq)
                if (m_r * m_r + m_e * m_e > max(tv2, kg2 * pq) or f_r * f_r + f_e * f_e > max(tv2, kg2_fast * pq)
                        or abs(step_sum) * (1.0 / ref_lag) > _limit(ts, z_miss, k_step, kg_step * sd)
                        or abs(r1) * c_r1 > _limit(b_f, z_miss, k_r1, g_r1 * sd)
                        or abs(r2) * c_r2 > _limit(b_f, z_miss, k_r2, g_r2 * sd)
                        or abs(r3) * c_r3 > _limit(b_f, z_miss, k_r3, g_r3 * sd) or pq > noise_lim2
                        or mode == 0 and abs(m_rs) > k_rad * math.sqrt(p_noise * alpha_r / (2 - alpha_r)) + rip):
                    flags |= SIGNAL_DEGRADED
                for j in range(3):
                    if runs[j] >= stuck_run:  # rare unless stuck: the trigonometry is affordable here
                        # the tracked angle moved by Δ since the change: the sin code should have moved by
                        # A_s·|sin(θ0 + Δ) - sin θ0|, the cos code by A_c·|cos(θ0 + Δ) - cos θ0|
                        d = np.int32(theta - run_theta[j]) * _TURN
                        cd, sd = math.cos(d) - 1.0, math.sin(d)
                        cs0, sn0 = run_c[j] * inv_target, run_s[j] * inv_target
                        ds = cal[2] * (sn0 * cd + cs0 * sd)
                        dc = cal[3] * (cs0 * cd - sn0 * sd)
                        if abs(ds if j == 0 else (dc if j == 1 else ds - dc)) >= stuck_lsb:
                            flags |= STUCK
            # moments for the adaptive calibration (this revolution): raw samples, and the calibrated vector's
            # 4th-order ones for the 3rd harmonic (see _estimates)
            if mode == 0 and not latched:
                cur_ok, cur_s, cur_c, cur_x, cur_y = True, s_al, c, xq, yq
                _accumulate(acc, float(rev_j), _moments(s_al, c, xq, yq, hc2, hs2, hc4, hs4))
        else:
            flags |= INVALID_INPUT
            r1, b1, r2, b2, step_sum, r3, b3 = _slide(step_buf, long_buf, k, 0.0, 0.0, w_r1, w_r2, r1, b1, r2, b2,
                                                      step_sum, r3, b3)
        rev_j += 1
        if coast:
            theta = theta_p
        # revolution end: the tracked angle wrapped (either direction)
        q_new = theta >> 30
        q_old = last_theta >> 30
        # a wrap through 0 counts once the angle has been half a turn away
        # since the last one (noise at low speed crosses 0 back and forth)
        if q_new == 2:
            armed_wrap = True
        wrapped = armed_wrap and ((q_old == 3 and q_new == 0) or (q_old == 0 and q_new == 3))
        if wrapped:
            armed_wrap = False
        last_theta = theta
        t_now = float(k)
        if wrapped and omega != 0:  # the wrap instant: θ̂ has gone θ̂/ω̂ samples past 0
            t_now = k - min(max(np.int32(theta) * 65536.0 / omega, 0.0), 1.0)
        if mode == 0 and have == 2 and wrapped:
            # the sums cover whole sample periods around each sample: the part of them after the wrap instant
            # (of sample k, or of k - 1 when the wrap came before k's period) belongs to the next revolution
            frac = k - t_now
            w_k = min(0.5 + frac, 1.0) if cur_ok else 0.0
            w_p = max(frac - 0.5, 0.0) if last_ok else 0.0
            mk = _moments(cur_s, cur_c, cur_x, cur_y, *_multiple_angles(cur_x, cur_y))
            mp = _moments(last_s, last_c, last_x, last_y, *_multiple_angles(last_x, last_y))
            for i in range(N_MOMENTS):
                carry[i] = w_k * mk[i] + w_p * mp[i]
                acc[i] -= carry[i]
                acc[N_MOMENTS + i] -= w_k * mk[i] * (rev_j - 1) + w_p * mp[i] * (rev_j - 2)
        if mode == 0 and have == 2 and wrapped and not started and k >= settle_until:
            # the first wrap after the observer has settled opens the first whole revolution (during
            # acquisition the loop can slip, and a false wrap would spoil the one-shot first estimate)
            started = True
            acc[:] = 0.0
            acc[:N_MOMENTS] = carry
            rev_j = 1
            t_wrap = t_now
        elif mode == 0 and have == 2 and wrapped and started and not latched and acc[0] > 0:
            length = t_now - t_wrap
            beta = 0.0
            if last_len > 0:  # relative speed slope from the two mean speeds 1/length and 1/last_len
                beta = (1.0 / length - 1.0 / last_len) / (0.5 * (length + last_len)) * length
            last_len = length
            t_wrap = t_now
            ok, est = _estimates(acc, beta, rev_j, cal, diff)
            if ok:
                if revs == 0:  # first whole revolution: taken as it is; the observer settles again
                    cal[:5] = est[:5]
                    settle_until = max(settle_until, k + settle)
                else:
                    cal[:5] += 0.25 * (est[:5] - cal[:5])
                # the harmonic needs whole revolutions between the wraps of a settled observer, and the offsets
                # and gains right (their residuals bias it): from the third revolution on, and the observer settles
                # again once it is first corrected. It is the coil's geometry (nothing to follow): a running mean,
                # then a memory of HARMONIC_REVS revolutions
                h = revs - HARMONIC_START_REVS
                if h >= 0:
                    cal[5:] += max(1.0 / (h + 1), 1.0 / HARMONIC_REVS) * (est[5:] - cal[5:])
                if h == 0:
                    settle_until = max(settle_until, k + settle)
                if h <= 0:
                    diff[4:8] = 0.0
                # what is left after this update (3/4 of the difference) bounds the radial residual's ripple and
                # mean, with the ADC's rounding (half an LSB per channel: a mean, when the record repeats itself)
                rip = 0.75 * (math.hypot(diff[0], diff[1]) + 0.5 * abs(diff[2]) + 0.5 * abs(diff[3])
                              + math.hypot(diff[4], diff[5]) + math.hypot(diff[6], diff[7]) + abs(diff[8])) \
                    + 1.0 / (cal[2] + cal[3])
                if revs > 0:
                    # signed differences averaged: the estimates' noise cancels, a drift adds up; worst-case
                    # angle error of what is left: offset vector / A + half the mismatch + half the phase + the
                    # harmonic coefficients' moduli
                    lag += 0.25 * (diff - lag)
                    drifting = (math.hypot(lag[0], lag[1]) + 0.5 * abs(lag[2]) + 0.5 * abs(lag[3])
                                + math.hypot(lag[4], lag[5]) + math.hypot(lag[6], lag[7]) > drift_lim)
                revs += 1
                if revs >= CONVERGED_REVS and not drifting:
                    converged = True
                gs, gc, ksec, ktan, os_q, oc_q = _coefficients(cal[0], cal[1], cal[2], cal[3], cal[4], target)
                qa_s, qa_c, qb_c, qb_s = _harmonic_q(cal)
            acc[:] = 0.0
            acc[:N_MOMENTS] = carry
            rev_j = 1
        if not converged:
            flags |= UNCALIBRATED
        elif drifting:
            flags |= CALIBRATION_DRIFT
        if k < settle_until:
            flags |= SETTLING
        armed = converged and k >= settle_until
        if mode != 2 and cal[3] > 0 and abs(cal[2] / cal[3] - 1) > MISMATCH_LIMIT and revs > 0:
            flags |= MISMATCH
        if armed and flags & DETECT_MASK:
            latched = True
        if latched:
            flags |= FAULT_LATCHED
        j = k & long_mask
        ref_theta[j] = theta
        ref_omega[j] = omega
        comp = (omega * comp_q16) >> 32  # ω (2^-48 turn) · delay (Q16 samples) → 2^-32 turn
        out_ang[k] = (np.int64(theta) + comp) & 0xFFFFFFFF
        out_w[k] = omega
        out_flags[k] = flags
        out_mag[k] = mag
        out_diag[0, k] = cal[2] / cal[3] - 1 if cal[3] > 0 else 0.0
        out_diag[1, k] = cal[0] * inv_off
        out_diag[2, k] = cal[1] * inv_off
        out_diag[3, k] = cal[4] * (180 / math.pi)
        out_harm[0, k] = complex(cal[5], cal[6])
        out_harm[1, k] = complex(cal[7], cal[8])
        pq = p_noise + q2
        sd = math.sqrt(pq)
        ratio = max((m_r * m_r + m_e * m_e) / max(tv2, kg2 * pq), (f_r * f_r + f_e * f_e) / max(tv2, kg2_fast * pq),
                    (step_sum / ref_lag / _limit(ts, z_miss, k_step, kg_step * sd)) ** 2,
                    (r1 * c_r1 / _limit(b_f, z_miss, k_r1, g_r1 * sd)) ** 2,
                    (r2 * c_r2 / _limit(b_f, z_miss, k_r2, g_r2 * sd)) ** 2,
                    (r3 * c_r3 / _limit(b_f, z_miss, k_r3, g_r3 * sd)) ** 2, pq / noise_lim2)
        if mode == 0 and p_noise > 0:
            alpha_r = min(max(abs(omega) * radial_rate, alpha_rmin), alpha)
            ratio = max(ratio, (m_rs / (k_rad * math.sqrt(p_noise * alpha_r / (2 - alpha_r)) + rip)) ** 2)
        out_diag[4, k] = ratio


class AngleChain:
    """The sensor's angle chain at sample rate ``fs_hz``; see the module doc.

    ``AngleChain(fs_hz=1e6).run(sin, cos)`` uses the best configuration:
    adaptive calibration, 18-iteration CORDIC, observer at min(2 kHz, fs/50).
    Options are the fields of :class:`ChainConfig`; each is checked here
    (:class:`SensorError` names the option and the reason).
    """

    def __init__(self, fs_hz: float, **options):
        unknown = sorted(set(options) - set(ChainConfig._fields[1:]))
        if unknown:
            raise SensorError(f"unknown option(s): {', '.join(unknown)[:200]}")
        cfg = ChainConfig(fs_hz=argcheck.real(fs_hz, "fs_hz", SensorError, lo=0, lo_open=True, hi=1e10), **options)
        integer = argcheck.integer
        adc = integer(cfg.adc_bits, "adc_bits", SensorError, lo=8, hi=24)
        cb = integer(cfg.cordic_bits, "cordic_bits", SensorError, lo=8, hi=24)
        ab = integer(cfg.angle_bits, "angle_bits", SensorError, lo=4, hi=30)
        it = integer(cfg.iterations, "iterations", SensorError, lo=1, hi=30)
        cal = argcheck.one_of(cfg.calibration, "calibration", SensorError, ("adaptive", "fixed", "off"))
        fs = cfg.fs_hz
        skew = argcheck.real(cfg.skew_s, "skew_s", SensorError, lo=0.0, hi=1.0 / fs, hi_open=True)
        gd = argcheck.real(cfg.group_delay_s, "group_delay_s", SensorError, lo=0.0)
        if (gd + skew) * fs > MAX_DELAY_SAMPLES:
            raise SensorError(f"group_delay_s + skew_s must be at most {MAX_DELAY_SAMPLES} samples, "
                              f"got {(gd + skew) * fs:.3g}")
        comp = argcheck.flag(cfg.delay_compensation, "delay_compensation", SensorError)
        bw_default = min(2000.0, fs / 50)
        bw = bw_default if cfg.bandwidth_hz is None else argcheck.real(cfg.bandwidth_hz, "bandwidth_hz", SensorError)
        if not 0 < bw < fs / 10:
            raise SensorError(f"bandwidth_hz must be in (0, fs/10 = {fs / 10:g}), got {bw:g}")
        coefficients = None
        if cal == "fixed":
            coefficients = _check_coefficients(cfg.coefficients)
        elif cfg.coefficients is not None:
            raise SensorError("coefficients are only used with calibration='fixed'")
        self.config = cfg = ChainConfig(fs, adc, cb, ab, it, cal, coefficients, bw, gd, skew, comp)
        target = 3 * (1 << (cb - 1)) // 4
        full = float(1 << (adc - 1))
        for name, amp in (("amp_s", coefficients[2]), ("amp_c", coefficients[3])) if coefficients else (
                ("nominal amplitude", NOMINAL_AMPLITUDE),):
            gain = round(target * 16384.0 / (amp * full))
            if gain < MIN_GAIN_Q14:
                raise SensorError(f"{name}: with adc_bits={adc} and cordic_bits={cb} the Q14 calibration gain "
                                  f"rounds to {gain} (< {MIN_GAIN_Q14}: too coarse to correct the gain)")
        self.cordic = cordic.params(cb, ab, it)
        wnt = 2 * math.pi * bw / fs
        zeta = 1 / math.sqrt(2)
        self.kp = int(round(2 * zeta * wnt * 2**24))
        self.ki = int(round(wnt * wnt * 2**24 * 2**16))  # ω carries 16 extra fraction bits
        if self.kp < 1 or self.ki < 1:
            raise SensorError(f"bandwidth_hz {bw:g} is too small for fs {fs:g}: the loop gains round to zero")
        self.bandwidth_hz = bw
        delay = (gd + skew) * fs if comp else 0.0
        self._comp_q16 = int(round(delay * 65536))
        self.thresholds = dg.thresholds(self.kp / 2**24, self.ki / 2**40, self._comp_q16 / 65536, zeta * wnt, fs, it,
                                        ab)

    def _initial_coefficients(self):
        cfg = self.config
        full = float(1 << (cfg.adc_bits - 1))
        if cfg.calibration == "fixed":
            os_, oc, a_s, a_c, ph = cfg.coefficients
            return np.array([16 * os_ * full, 16 * oc * full, a_s * full, a_c * full, math.radians(ph), 0, 0, 0, 0])
        # nominal: no offset, the signal model's nominal amplitude, no phase error, no harmonic
        return np.array([0.0, 0.0, NOMINAL_AMPLITUDE * full, NOMINAL_AMPLITUDE * full, 0.0, 0, 0, 0, 0])

    def run(self, sin, cos) -> ChainResult:
        """Process one record (a reset: no state is kept between runs);
        ``sin`` and ``cos`` are equal-length 1-D real arrays, full scale ±1.
        NaN / inf samples are not errors: they are flagged INVALID_INPUT."""
        # float64, contiguous (no copy when they are already): the kernel quantises them (step 1)
        s = np.ascontiguousarray(argcheck.array(sin, "sin", SensorError, kind="f", ndim=1, finite=False), np.float64)
        c = np.ascontiguousarray(argcheck.array(cos, "cos", SensorError, kind="f", ndim=1, finite=False), np.float64)
        if s.size != c.size:
            raise SensorError(f"sin and cos lengths differ: {s.size} != {c.size}")
        cfg = self.config
        n = s.size
        out_ang = np.empty(n, np.int64)
        out_w = np.empty(n, np.int64)
        out_flags = np.empty(n, np.uint16)
        out_mag = np.empty(n, np.int64)
        diag = np.empty((5, n))  # per sample: mismatch, offsets (FS), phase (°), residual ratio²
        harm = np.empty((2, n), np.complex128)
        mode = {"adaptive": 0, "fixed": 1, "off": 2}[cfg.calibration]
        skew_q16 = int(round(cfg.skew_s * cfg.fs_hz * 65536))
        dth, dti = _detection_parameters(self.thresholds)
        p = self.cordic
        _kernel(s, c, cfg.adc_bits, cfg.cordic_bits, cfg.angle_bits, p.iterations, p.guard,
                p.zguard, np.array(p.angles, np.int64), p.kinv, mode, self._initial_coefficients(),
                self.kp, self.ki, skew_q16, self._comp_q16, self.thresholds.settle, dth, dti, out_ang, out_w, out_flags,
                out_mag, diag, harm)
        target = 3 * (1 << (cfg.cordic_bits - 1)) // 4
        return ChainResult(
            angle_deg=out_ang * (360.0 / 2**32),
            speed_rpm=out_w * (cfg.fs_hz * 60.0 / 2**48),
            flags=out_flags,
            valid=(out_flags & INVALID_MASK) == 0,
            amplitude=out_mag / target,
            mismatch=diag[0],
            offset_sin=diag[1],
            offset_cos=diag[2],
            phase_deg=diag[3],
            residual_ratio=np.sqrt(diag[4]),
            harmonic_a=harm[0],
            harmonic_b=harm[1],
        )


def _detection_parameters(th: dg.Thresholds) -> tuple:
    """The kernel's float and int detection parameters (every one an
    argument: a global would be frozen in numba's on-disk cache)."""
    (w1, w2), (g1, g2) = th.ramp_windows, th.ramp_gains
    c1, c2 = (float(dg.ramp_weights(w)[0]) / w for w in (w1, w2))  # Σ m·d → ρ̂·W
    dth = np.array([th.vector**2, (th.noise_k * th.noise_gain) ** 2, th.alpha, th.output_noise_limit**2, th.drift,
                    (th.noise_k * th.noise_gain_fast) ** 2, th.alpha_fast, th.quantisation, dg.STUCK_LSB,
                    dg.NOISE_ALPHA, dg.NOISE_CLAMP, th.step, th.step_gain, th.step_z, th.ramp_budget,
                    c1, g1, c2, g2, 2 * math.pi / 2.0**48 / th.radial_memory, th.radial_alpha_min,
                    th.lag_alpha, th.lag_ratio, th.step_k, th.ramp_k[0], th.ramp_k[1], th.radial_k,
                    float(dg.ramp_weights(dg.LONG_LAG)[0]) / dg.LONG_LAG, th.long_gain, th.long_k, th.long_lag_ratio])
    dti = np.array([dg.STUCK_RUN, dg.REFERENCE_LAG, (int(dg.TRACKING_LOSS_DEG) << 32) // 360, w1, w2, dg.LONG_LAG],
                   np.int64)
    return dth, dti


def describe(flags: int) -> list:
    """Names of the bits set in one flag word."""
    flags = argcheck.integer(flags, "flags", SensorError, lo=0, hi=0xFFFF)
    return [name for bit, name in FLAG_NAMES.items() if flags & bit]


def _check_coefficients(coefficients) -> tuple:
    """Fixed calibration coefficients (off_s, off_c, amp_s, amp_c, phase_deg):
    offsets within ±0.5 FS, amplitudes in [0.01, 1] FS, |phase| < 90°."""
    if not isinstance(coefficients, (tuple, list)) or len(coefficients) != 5:
        raise SensorError("fixed calibration needs coefficients=(off_s, off_c, amp_s, amp_c, phase_deg)")
    limits = (("off_s", -0.5, 0.5), ("off_c", -0.5, 0.5), ("amp_s", 0.01, 1.0), ("amp_c", 0.01, 1.0))
    v = [argcheck.real(x, f"coefficients[{i}] ({name})", SensorError, lo=lo, hi=hi)
         for i, ((name, lo, hi), x) in enumerate(zip(limits, coefficients[:4], strict=True))]
    v.append(argcheck.real(coefficients[4], "coefficients[4] (phase_deg)", SensorError, lo=-90.0, hi=90.0,
                           lo_open=True, hi_open=True))
    return tuple(v)


def angle_error_deg(measured_deg, true_rad) -> np.ndarray:
    """Signed error in degrees, wrapped to [-180, 180); finite arrays (or
    numbers) that broadcast."""
    m = argcheck.array(measured_deg, "measured_deg", SensorError, kind="f")
    t = argcheck.array(true_rad, "true_rad", SensorError, kind="f")
    try:
        np.broadcast_shapes(m.shape, t.shape)
    except ValueError:
        raise SensorError(f"measured_deg {m.shape} and true_rad {t.shape} do not broadcast") from None
    return (m - np.degrees(t) + 180.0) % 360.0 - 180.0
