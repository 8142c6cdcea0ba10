/* CORDIC atan2 in software, bit-exact with sensor_dsp.cordic (and so with the
 * CORDIC block): vectoring mode, pre-rotation into the right half-plane,
 * `iterations` micro-rotations with arithmetic shifts, angle rounded half up
 * to `out_width` bits of a turn, magnitude with the gain removed
 * ((x * kinv + 2^(15+guard)) >> (16 + guard)). The zero vector gives 0, 0.
 * The constants (angle table A_i, kinv, guard bits) come from the golden
 * model through generated headers. */
#ifndef CORDIC_SW_H
#define CORDIC_SW_H

#include <stdint.h>

typedef struct {
    int iterations;
    int guard;       /* guard bits on x and y */
    int zguard;      /* guard bits on the angle accumulator */
    int out_width;   /* angle bits (unsigned, 2^-out_width turn) */
    int32_t kinv;    /* round(2^16 / K_n) */
    const int32_t *angles;
} cordic_cfg_t;

/* Angle (2^-out_width turn) of (x, y); *mag gets the magnitude.
 * x, y: signed values of the configured input width (at most 16 bits). */
uint32_t cordic_sw(const cordic_cfg_t *cfg, int32_t x, int32_t y, uint32_t *mag);

#endif
