# Sensor health monitor for the position sensor's host MCU, written for MicroPython.
#
# The host reads the sensor chip's output registers at its own rate (<= 20 kHz)
# and calls SensorHealth.update(angle, flags, amplitude, mismatch) once per read.
# Integer-only and fixed memory: every update works on small ints held in a
# fixed set of attributes (no list grows, nothing is kept per sample), so the
# monitor's RAM is the same after 100,000 updates as after one. Bit-exact with
# the golden model sensor_dsp/health.py (which documents the same arithmetic).
#
# Inputs, one host read (raw register values, masked to their widths):
#   angle      u16, 2^-16 turn
#   flags      u16, the chip's flag word (bits: sensor_dsp/diagnostics.py)
#   amplitude  u16, UQ4.12: 4096 = the calibrated amplitude
#   mismatch   i16, 2^-16: the learned gain mismatch A_s/A_c - 1
#
# Per read, the fault codes (one byte, bit = code):
#   0 CHIP_FAULT     flags & fault_mask (a chip detection, or its latched safe state)
#   1 CHIP_INVALID   flags & invalid_mask (the angle is not usable)
#   2 CHIP_ADVISORY  flags & advisory_mask
#   3 AMP_LOW        amplitude < amp_low
#   4 AMP_HIGH       amplitude > amp_high
#   5 MISMATCH       |mismatch| > mismatch_limit
#   6 SPEED          |step| > max_step: step = angle - previous angle, wrapped
#                    to [-2^15, 2^15) (2^-16 turn per read)
#   7 ACCEL          |step - previous step| > max_accel (2^-16 turn per read^2)
# SPEED and ACCEL are checked on valid reads only (CHIP_INVALID clear): a step
# needs this read and the one before valid, an acceleration three in a row.
#
# Statistics (F = 8 fraction bits; k = ema_shift, ks = speed_shift):
#   mean: first value x0 << F, then d = (x << F) - mean; mean += d >> k
#   dev:  0, then dev += (|d| - dev) >> k (the d before the mean moved)
#   the speed mean likewise over valid steps with ks (first step: step << F)
#   reported values: (v + 2^(F-1)) >> F. ">>" is an arithmetic shift (floor).
# Amplitude and mismatch statistics take every read, valid or not.
#
# Counters: rising edges of each code (0 -> 1 from one read to the next; the
# code word before the first read is 0), saturating at 65535. Latched: the OR
# of all code words, and of all chip flag words, since clear(); the first read
# with a code of FAULT_CODES: its index and its code word.
# Window (since the last record): reads, invalid reads, amplitude and mismatch
# min/max, max |step|, max |acceleration|.
#
# Health record (56 bytes, little-endian, RECORD_FORMAT): record_into(buf)
# writes it into a buffer without allocating, record() returns it as bytes;
# either restarts the window.
#   off size
#    0  u8   version (1)
#    1  u8   codes of the last read
#    2  u8   latched codes
#    3  u8   codes of the first faulty read (0: none yet)
#    4  u32  reads since reset (wraps at 2^30)
#    8  i32  index of the first faulty read (-1: none)
#   12  u16  latched chip flags
#   14  u16  reads in the window (saturating)
#   16  u16  invalid reads in the window (saturating)
#   18  u16  amplitude mean, UQ4.12
#   20  u16  amplitude min in the window (0xFFFF if the window is empty)
#   22  u16  amplitude max in the window (0 if empty)
#   24  u16  amplitude mean absolute deviation, UQ4.12
#   26  i16  mismatch mean, 2^-16
#   28  i16  mismatch min in the window (32767 if empty)
#   30  i16  mismatch max in the window (-32768 if empty)
#   32  u16  mismatch mean absolute deviation, 2^-16
#   34  i16  speed mean, 2^-16 turn per read
#   36  u16  max |step| in the window
#   38  u16  max |acceleration| in the window
#   40  8 x u16 rising-edge counters of codes 0..7
import struct

VERSION = 1
RECORD_FORMAT = "<BBBBIiHHHHHHHhhhHhHH8H"
RECORD_SIZE = 56

CHIP_FAULT = 1
CHIP_INVALID = 2
CHIP_ADVISORY = 4
AMP_LOW = 8
AMP_HIGH = 16
MISMATCH = 32
SPEED = 64
ACCEL = 128
# faults: what makes the first-fault entry (a mismatch is advisory, as the
# chip's own MISMATCH flag: the calibration corrects it)
FAULT_CODES = CHIP_FAULT | AMP_LOW | AMP_HIGH | SPEED | ACCEL

# Defaults (sensor_dsp/health.py derives each and a test holds these equal):
# chip flag masks of sensor_dsp/diagnostics.py; amplitude band 0.70 .. 1.30;
# mismatch 0.5 % (SPEC B5); steps of 0.25 turn (300,000 rpm at 20 kHz);
# accelerations of 64 / 65536 turn per read^2 (2.3e7 rpm/s at 20 kHz).
FAULT_MASK = 0x397
INVALID_MASK = 0x3F7
ADVISORY_MASK = 0x408
AMP_LOW_Q12 = 2867
AMP_HIGH_Q12 = 5325
MISMATCH_LIMIT = 328
MAX_STEP = 16384
MAX_ACCEL = 64
EMA_SHIFT = 8
SPEED_SHIFT = 4

_F = 8
_HALF = 1 << (_F - 1)
_WRAP = 0x3FFFFFFF


class HealthError(ValueError):
    pass


def _check(name, v, lo, hi):
    if isinstance(v, bool) or not isinstance(v, int) or v < lo or v > hi:
        raise HealthError(name + " must be an int in " + str(lo) + ".." + str(hi))
    return v


class SensorHealth:
    def __init__(self, fault_mask=FAULT_MASK, invalid_mask=INVALID_MASK, advisory_mask=ADVISORY_MASK,
                 amp_low=AMP_LOW_Q12, amp_high=AMP_HIGH_Q12, mismatch_limit=MISMATCH_LIMIT,
                 max_step=MAX_STEP, max_accel=MAX_ACCEL, ema_shift=EMA_SHIFT, speed_shift=SPEED_SHIFT):
        self.fault_mask = _check("fault_mask", fault_mask, 0, 0xFFFF)
        self.invalid_mask = _check("invalid_mask", invalid_mask, 0, 0xFFFF)
        self.advisory_mask = _check("advisory_mask", advisory_mask, 0, 0xFFFF)
        self.amp_low = _check("amp_low", amp_low, 0, 0xFFFF)
        self.amp_high = _check("amp_high", amp_high, amp_low, 0xFFFF)
        self.mismatch_limit = _check("mismatch_limit", mismatch_limit, 0, 0x7FFF)
        self.max_step = _check("max_step", max_step, 0, 0x8000)
        self.max_accel = _check("max_accel", max_accel, 0, 0xFFFF)
        self.k = _check("ema_shift", ema_shift, 0, 15)
        self.ks = _check("speed_shift", speed_shift, 0, 15)
        self.counts = [0] * 8
        self.n = 0
        self.started = False
        self.codes = 0
        self.amp_mean = 0
        self.amp_dev = 0
        self.mis_mean = 0
        self.mis_dev = 0
        self.speed = 0
        self.have_speed = False
        self.have = 0  # valid reads in a row, up to 2
        self.prev_angle = 0
        self.prev_step = 0
        self.clear()
        self._new_window()

    def clear(self):
        """Forget the latched codes, the first fault and the counters."""
        self.latched = 0
        self.chip_latched = 0
        self.first_codes = 0
        self.first_at = -1
        c = self.counts
        for i in range(8):
            c[i] = 0

    def _new_window(self):
        self.w_reads = 0
        self.w_invalid = 0
        self.amp_min = 0xFFFF
        self.amp_max = 0
        self.mis_min = 0x7FFF
        self.mis_max = -0x8000
        self.step_max = 0
        self.accel_max = 0

    def update(self, angle, flags, amplitude, mismatch):
        angle &= 0xFFFF
        flags &= 0xFFFF
        amplitude &= 0xFFFF
        mismatch = ((mismatch + 0x8000) & 0xFFFF) - 0x8000
        n = self.n
        codes = CHIP_FAULT if flags & self.fault_mask else 0
        if flags & self.invalid_mask:
            codes |= CHIP_INVALID
        if flags & self.advisory_mask:
            codes |= CHIP_ADVISORY
        if amplitude < self.amp_low:
            codes |= AMP_LOW
        elif amplitude > self.amp_high:
            codes |= AMP_HIGH
        if mismatch > self.mismatch_limit or mismatch < -self.mismatch_limit:
            codes |= MISMATCH
        # running statistics of amplitude and mismatch
        k = self.k
        x = amplitude << _F
        if self.started:
            d = x - self.amp_mean
            self.amp_mean += d >> k
            self.amp_dev += ((d if d >= 0 else -d) - self.amp_dev) >> k
            d = (mismatch << _F) - self.mis_mean
            self.mis_mean += d >> k
            self.mis_dev += ((d if d >= 0 else -d) - self.mis_dev) >> k
        else:
            self.amp_mean = x
            self.mis_mean = mismatch << _F
            self.started = True
        if amplitude < self.amp_min:
            self.amp_min = amplitude
        if amplitude > self.amp_max:
            self.amp_max = amplitude
        if mismatch < self.mis_min:
            self.mis_min = mismatch
        if mismatch > self.mis_max:
            self.mis_max = mismatch
        # speed and acceleration plausibility, on valid reads
        if codes & CHIP_INVALID:
            self.have = 0
            if self.w_invalid < 0xFFFF:
                self.w_invalid += 1
        else:
            if self.have:
                step = (angle - self.prev_angle) & 0xFFFF
                if step >= 0x8000:
                    step -= 0x10000
                a = step if step >= 0 else -step
                if a > self.step_max:
                    self.step_max = a
                if a > self.max_step:
                    codes |= SPEED
                if self.have > 1:
                    a = step - self.prev_step
                    if a < 0:
                        a = -a
                    if a > self.accel_max:
                        self.accel_max = a
                    if a > self.max_accel:
                        codes |= ACCEL
                else:
                    self.have = 2
                if self.have_speed:
                    self.speed += ((step << _F) - self.speed) >> self.ks
                else:
                    self.speed = step << _F
                    self.have_speed = True
                self.prev_step = step
            else:
                self.have = 1
            self.prev_angle = angle
        # events, latches, first fault
        rise = codes & ~self.codes
        if rise:
            c = self.counts
            i = 0
            while rise:
                if rise & 1 and c[i] < 0xFFFF:
                    c[i] += 1
                rise >>= 1
                i += 1
        self.codes = codes
        self.latched |= codes
        self.chip_latched |= flags
        if codes & FAULT_CODES and self.first_at < 0:
            self.first_at = n
            self.first_codes = codes
        if self.w_reads < 0xFFFF:
            self.w_reads += 1
        self.n = (n + 1) & _WRAP
        return codes

    def record(self):
        """The health record as bytes (layout above); the window restarts."""
        b = bytearray(RECORD_SIZE)
        self.record_into(b)
        return bytes(b)

    def record_into(self, buf, offset=0):
        """Write the health record into ``buf`` at ``offset`` (nothing is
        allocated); the window restarts."""
        c = self.counts
        struct.pack_into(RECORD_FORMAT, buf, offset, VERSION, self.codes, self.latched, self.first_codes, self.n,
                         self.first_at, self.chip_latched, self.w_reads, self.w_invalid,
                         (self.amp_mean + _HALF) >> _F, self.amp_min, self.amp_max, (self.amp_dev + _HALF) >> _F,
                         (self.mis_mean + _HALF) >> _F, self.mis_min, self.mis_max, (self.mis_dev + _HALF) >> _F,
                         (self.speed + _HALF) >> _F, self.step_max, self.accel_max,
                         c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7])
        self._new_window()
