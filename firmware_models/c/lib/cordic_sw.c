#include "cordic_sw.h"

uint32_t cordic_sw(const cordic_cfg_t *cfg, int32_t x, int32_t y, uint32_t *mag)
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
