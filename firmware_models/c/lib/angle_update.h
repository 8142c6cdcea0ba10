/* The angle chain's per-sample update in fixed point, run by the CPU at the
 * host rate: rail check, skew compensation, calibration with fixed
 * coefficients, CORDIC (in software), type-II tracking observer, delay
 * compensation. Bit-exact with rtl_verif/soc/golden_sensor.py (which the
 * tests hold to sensor_dsp.chain.AngleChain); formats there. Constants from
 * the generated angle_params.h. */
#ifndef ANGLE_UPDATE_H
#define ANGLE_UPDATE_H

#include <stdint.h>

typedef struct {
    uint32_t theta;      /* 2^-32 turn */
    int64_t omega;       /* 2^-48 turn per sample */
    int have;            /* valid measurements so far (0, 1, 2 = tracking) */
    int seen;            /* a sample arrived (skew interpolation) */
    int32_t prev_s;
    uint32_t prev_theta;
} angle_state_t;

typedef struct {
    uint32_t angle;      /* delay-compensated, 2^-32 turn */
    int64_t omega;
    uint32_t mag;        /* CORDIC magnitude */
    uint32_t flags;      /* ANGLE_F_LOS | ANGLE_F_COIL | ANGLE_F_TRACK */
} angle_out_t;

void angle_reset(angle_state_t *st);
void angle_update(angle_state_t *st, int32_t s, int32_t c, angle_out_t *out);

#endif
