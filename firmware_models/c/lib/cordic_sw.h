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
 * x, y: signed values of the configured input width (at most 16 bits).
 * Inline: with a constant configuration the compiler unrolls the
 * micro-rotations with constant shifts (the CPU's sensor update needs it). */
static inline uint32_t cordic_sw(const cordic_cfg_t *cfg, int32_t x, int32_t y, uint32_t *mag)
{
    if (x == 0 && y == 0) {
        *mag = 0;
        return 0;
    }
    const int zw = cfg->out_width + cfg->zguard;
    int32_t z = 0;
    if (x < 0) {
        x = -x;
        y = -y;
        z = (int32_t)(1u << (zw - 1));
    }
    x *= 1 << cfg->guard; /* << on a negative value is undefined in C */
    y *= 1 << cfg->guard;
#pragma GCC unroll 32
    for (int i = 0; i < cfg->iterations; i++) {
        int32_t xs = x >> i, ys = y >> i; /* arithmetic: GCC defines >> of negatives so */
        if (y >= 0) {
            x += ys;
            y -= xs;
            z += cfg->angles[i];
        } else {
            x -= ys;
            y += xs;
            z -= cfg->angles[i];
        }
    }
    const int kf = 16;
    *mag = (uint32_t)(((int64_t)x * cfg->kinv + ((int64_t)1 << (kf - 1 + cfg->guard))) >> (kf + cfg->guard));
    return (uint32_t)((z + (1 << (cfg->zguard - 1))) >> cfg->zguard) & ((1u << cfg->out_width) - 1u);
}

#endif
