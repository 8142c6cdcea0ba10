"""Per-sample golden of the angle chain's fixed-point update, as the SoC
firmware runs it on the CPU (``firmware_models/c/lib/angle_update.c``).

The update is the integer path of :mod:`sensor_dsp.chain` for one ADC sample
pair, with fixed calibration coefficients (the firmware rewrites them when
the adaptive calibration, a floating-point task per revolution, has new
ones; the floating-point diagnostics are not part of it):

1. rail check (COIL_FAULT when a sample reaches ±(2^(adc_bits-1) - 1));
2. skew compensation of the sine sample, Q16 fraction of a sample;
3. calibration: ``s' = ((s·16 - off_s)·g_s + 2^17) >> 18``, the same for c,
   ``c'' = (c'·sec φ + s'·tan φ + 2^13) >> 14``; gains, sec and tan Q14,
   offsets in 1/16 LSB; both clamped to the signed ``cordic_bits`` range;
4. CORDIC atan2 (:mod:`sensor_dsp.cordic`): angle in 2^-angle_bits turn,
   magnitude; LOSS_OF_SIGNAL below target/4, COIL_FAULT above 3/2·target,
   and then the observer coasts on its prediction;
5. type-II observer in 2^-32 turn, ω in 2^-48 turn per sample:
   θp = θ + (ω >> 16), e = wrap32(θm - θp), θ = θp + (e·Kp >> 24),
   ω += e·Ki >> 24; the first two valid samples set θ and ω (TRACKING_LOSS
   when |e| exceeds 5°);
6. delay compensation: out = θ + (ω·D >> 32), D = delay in Q16 samples.

Every product is 64-bit two's complement that wraps, as on the CPU; shifts of
negative values are arithmetic (floor). The constants follow the chain's
formulas for its configuration (:func:`make_chain`: ``calibration="fixed"``,
the coil's own coefficients), the observer gains are the chain's, and
tests/test_soc.py holds this model to ``AngleChain.run`` sample by sample
(public API only: a change of the chain's integer path shows there).
"""

import math
from typing import NamedTuple

import numpy as np

from sensor_dsp import chain, cordic, signals

HOST_RATE_HZ = 20_000.0  # the sensor's output (host) rate: the CPU updates at this rate
FLAGS = chain.LOSS_OF_SIGNAL | chain.COIL_FAULT | chain.TRACKING_LOSS  # the flags this update decides
M32 = 0xFFFFFFFF

TRACKING_LOSS_DEG = 5  # the chain's TRACKING_LOSS threshold on |e|
GROUP_DELAY_S = 30e-6
SKEW_S = 10e-6
# the recorded coil: 0.5 % gain mismatch, offsets +1.0 / -0.8 % FS, 0.3° orthogonality error, noise σ 0.2 % FS
COIL = signals.Impairments(mismatch=0.005, offset_sin=0.010, offset_cos=-0.008, phase_deg=0.3, noise=0.002,
                           group_delay_s=GROUP_DELAY_S, skew_s=SKEW_S)
# the firmware's fixed calibration: that coil's own coefficients (off_s, off_c, amp_s, amp_c, phase_deg), full scale
COEFFICIENTS = (COIL.offset_sin, COIL.offset_cos, COIL.amplitude * (1 + COIL.mismatch / 2),
                COIL.amplitude * (1 - COIL.mismatch / 2), COIL.phase_deg)


class UpdateParams(NamedTuple):
    adc_bits: int
    cordic_bits: int
    cordic: cordic.CordicParams  # in_width = cordic_bits, out_width = angle_bits
    gs: int  # Q14 gains
    gc: int
    ksec: int  # Q14 sec φ, tan φ
    ktan: int
    os_q: int  # offsets, 1/16 LSB
    oc_q: int
    kp: int  # observer gains, Q24 (Ki with 16 more fraction bits)
    ki: int
    skew_q16: int  # cos-behind-sin skew, Q16 samples
    comp_q16: int  # delay compensation, Q16 samples
    lot: int  # tracking-loss threshold, 2^-32 turn

    @property
    def target(self) -> int:
        return 3 * (1 << (self.cordic_bits - 1)) // 4


def make_chain(fs_hz: float = HOST_RATE_HZ) -> chain.AngleChain:
    """The angle chain the firmware mirrors: fixed calibration, defaults otherwise."""
    return chain.AngleChain(fs_hz, calibration="fixed", coefficients=COEFFICIENTS,
                            group_delay_s=GROUP_DELAY_S, skew_s=SKEW_S)


def params(ch: chain.AngleChain | None = None) -> UpdateParams:
    """The integer constants of ``ch`` (default :func:`make_chain`; fixed
    calibration): gains ``round(target·2^14 / A)`` with A in ADC LSB, sec φ and
    tan φ in Q14, offsets in 1/16 LSB, delays in Q16 samples."""
    ch = make_chain() if ch is None else ch
    cfg = ch.config
    full = float(1 << (cfg.adc_bits - 1))
    target = 3 * (1 << (cfg.cordic_bits - 1)) // 4
    off_s, off_c, amp_s, amp_c, phase_deg = cfg.coefficients
    phi = math.radians(phase_deg)
    delay = (cfg.group_delay_s + cfg.skew_s) * cfg.fs_hz if cfg.delay_compensation else 0.0
    return UpdateParams(
        cfg.adc_bits, cfg.cordic_bits, cordic.params(cfg.cordic_bits, cfg.angle_bits, cfg.iterations),
        round(target * 16384.0 / (amp_s * full)), round(target * 16384.0 / (amp_c * full)),
        round(16384.0 / math.cos(phi)), round(16384.0 * math.tan(phi)),
        round(16 * off_s * full), round(16 * off_c * full), ch.kp, ch.ki,
        round(cfg.skew_s * cfg.fs_hz * 65536), round(delay * 65536), (TRACKING_LOSS_DEG << 32) // 360)


def _i64(v: int) -> int:
    """v as a wrapping 64-bit two's complement integer."""
    return ((v + (1 << 63)) & ((1 << 64) - 1)) - (1 << 63)


def _i32(v: int) -> int:
    return ((v + (1 << 31)) & M32) - (1 << 31)


class Output(NamedTuple):
    angle: int  # delay-compensated angle, 2^-32 turn
    omega: int  # 2^-48 turn per sample (signed 64-bit)
    mag: int  # CORDIC magnitude (0 when the sample was not used)
    flags: int  # of FLAGS


class AngleUpdate:
    """State of the per-sample update (a fresh object = the chain after reset)."""

    def __init__(self, p: UpdateParams):
        self.p = p
        self.theta = 0
        self.omega = 0
        self.have = 0
        self.prev_s = 0
        self.seen = False
        self.prev_theta = 0

    def step(self, s: int, c: int) -> Output:
        p = self.p
        cp = p.cordic
        adc_max = (1 << (p.adc_bits - 1)) - 1
        cmax = (1 << (p.cordic_bits - 1)) - 1
        flags = 0
        theta_p = (self.theta + (self.omega >> 16)) & M32
        if s >= adc_max or s <= -adc_max or c >= adc_max or c <= -adc_max:
            flags |= chain.COIL_FAULT
        if not self.seen:
            self.prev_s = s
            self.seen = True
        s_al = s
        if p.skew_q16 > 0:
            s_al = s - (((s - self.prev_s) * p.skew_q16 + 32768) >> 16)
        self.prev_s = s
        s1 = _i64(((s_al << 4) - p.os_q) * p.gs + (1 << 17)) >> 18
        c1 = _i64(((c << 4) - p.oc_q) * p.gc + (1 << 17)) >> 18
        c2 = _i64(c1 * p.ksec + s1 * p.ktan + 8192) >> 14
        s1 = min(max(s1, -cmax - 1), cmax)
        c2 = min(max(c2, -cmax - 1), cmax)
        ang, mag = cordic.atan2_fixed(s1, c2, in_width=cp.in_width, out_width=cp.out_width,
                                      iterations=cp.iterations)
        ang, mag = int(ang), int(mag)
        coast = True
        if mag < p.target // 4:
            flags |= chain.LOSS_OF_SIGNAL
        elif mag > 3 * p.target // 2:
            flags |= chain.COIL_FAULT
        else:
            coast = False
            meas = (ang << (32 - cp.out_width)) & M32
            if self.have == 0:
                self.theta = meas
                self.have = 1
            elif self.have == 1:
                self.omega = _i32(meas - self.prev_theta) << 16
                self.theta = meas
                self.have = 2
            else:
                e = _i32(meas - theta_p)
                if abs(e) > p.lot:
                    flags |= chain.TRACKING_LOSS
                self.theta = (theta_p + (_i64(e * p.kp) >> 24)) & M32
                self.omega = _i64(self.omega + (_i64(e * p.ki) >> 24))
            self.prev_theta = meas
        if coast:
            self.theta = theta_p
        comp = _i64(self.omega * p.comp_q16) >> 32
        return Output((self.theta + comp) & M32, self.omega, mag, flags)


def run(p: UpdateParams, s, c) -> list:
    """Outputs of a fresh update over the sample pairs (ints)."""
    u = AngleUpdate(p)
    return [u.step(int(a), int(b)) for a, b in zip(s, c, strict=True)]


def samples(n: int, seed: int, fs_hz: float = HOST_RATE_HZ, rpm: float = 3000.0, adc_bits: int = 14,
            dropout: tuple = (0.6, 0.7)):
    """``n`` ADC sample pairs (signed ``adc_bits`` ints) of :data:`COIL`
    turning at ``rpm``, with a loss of signal (both channels near 0) over the
    ``dropout`` fraction of the record so the coasting path runs too."""
    traj = signals.constant_speed(fs_hz, n / fs_hz, rpm, theta0=0.3)
    s, c = signals.coil_signals(traj, COIL, seed=seed)
    full = float(1 << (adc_bits - 1))
    si = np.clip(np.rint(s * full), -full, full - 1).astype(np.int64)
    ci = np.clip(np.rint(c * full), -full, full - 1).astype(np.int64)
    lo, hi = int(dropout[0] * n), int(dropout[1] * n)
    si[lo:hi] //= 64
    ci[lo:hi] //= 64
    return si, ci


def c_header(p: UpdateParams) -> str:
    """``angle_params.h``: the update's constants for the firmware."""
    cp = p.cordic
    angles = ", ".join(str(a) for a in cp.angles)
    lines = [
        "/* Generated by rtl_verif/soc/golden_sensor.py from sensor_dsp.chain: do not edit. */",
        "#ifndef ANGLE_PARAMS_H", "#define ANGLE_PARAMS_H", "",
        f"#define ANGLE_ADC_BITS {p.adc_bits}",
        f"#define ANGLE_CORDIC_BITS {p.cordic_bits}",
        f"#define ANGLE_BITS {cp.out_width}",
        f"#define ANGLE_ITER {cp.iterations}",
        f"#define ANGLE_GUARD {cp.guard}",
        f"#define ANGLE_ZGUARD {cp.zguard}",
        f"#define ANGLE_KINV {cp.kinv}",
        f"#define ANGLE_TABLE {{{angles}}}",
        f"#define ANGLE_GS {p.gs}", f"#define ANGLE_GC {p.gc}", f"#define ANGLE_KSEC {p.ksec}",
        f"#define ANGLE_KTAN {p.ktan}", f"#define ANGLE_OS_Q {p.os_q}", f"#define ANGLE_OC_Q {p.oc_q}",
        f"#define ANGLE_KP {p.kp}LL", f"#define ANGLE_KI {p.ki}LL",
        f"#define ANGLE_SKEW_Q16 {p.skew_q16}", f"#define ANGLE_COMP_Q16 {p.comp_q16}LL",
        f"#define ANGLE_LOT {p.lot}",
        f"#define ANGLE_F_LOS {chain.LOSS_OF_SIGNAL}", f"#define ANGLE_F_COIL {chain.COIL_FAULT}",
        f"#define ANGLE_F_TRACK {chain.TRACKING_LOSS}",
        "", "#endif", "",
    ]
    return "\n".join(lines)


def samples_header(s, c, head: int = 0) -> str:
    """``angle_samples.h``: the sample pairs the sensor program processes, and
    ``head``, the number of first samples whose update it also times alone."""
    pairs = ",\n    ".join(f"{{{int(a)}, {int(b)}}}" for a, b in zip(s, c, strict=True))
    return ("/* Generated by rtl_verif/soc/golden_sensor.py (its COIL, sensor_dsp.signals): do not edit. */\n"
            "#ifndef ANGLE_SAMPLES_H\n#define ANGLE_SAMPLES_H\n\n"
            f"#define ANGLE_N_SAMPLES {len(s)}\n"
            f"#define ANGLE_N_HEAD {head}\n"
            f"static const int16_t angle_samples[ANGLE_N_SAMPLES][2] = {{\n    {pairs}\n}};\n\n#endif\n")
