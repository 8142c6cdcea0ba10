#include "angle_update.h"

#include "angle_params.h"
#include "cordic_sw.h"

static const int32_t ANGLES[ANGLE_ITER] = ANGLE_TABLE;
static const cordic_cfg_t CFG = {
    .iterations = ANGLE_ITER,
    .guard = ANGLE_GUARD,
    .zguard = ANGLE_ZGUARD,
    .out_width = ANGLE_BITS,
    .kinv = ANGLE_KINV,
    .angles = ANGLES,
};

/* Products wrap as 64-bit two's complement (as the golden model's do):
 * multiply unsigned, then read back signed. */
static inline int64_t mul64(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a * (uint64_t)b);
}

void angle_reset(angle_state_t *st)
{
    st->theta = 0;
    st->omega = 0;
    st->have = 0;
    st->seen = 0;
    st->prev_s = 0;
    st->prev_theta = 0;
}

void angle_update(angle_state_t *st, int32_t s, int32_t c, angle_out_t *out)
{
    const int32_t adc_max = (1 << (ANGLE_ADC_BITS - 1)) - 1;
    const int32_t cmax = (1 << (ANGLE_CORDIC_BITS - 1)) - 1;
    const int32_t target = 3 * (1 << (ANGLE_CORDIC_BITS - 1)) / 4;
    uint32_t flags = 0;
    uint32_t theta_p = st->theta + (uint32_t)(st->omega >> 16);

    if (s >= adc_max || s <= -adc_max || c >= adc_max || c <= -adc_max)
        flags |= ANGLE_F_COIL;
    if (!st->seen) {
        st->prev_s = s;
        st->seen = 1;
    }
    int32_t s_al = s;
    if (ANGLE_SKEW_Q16 > 0)
        s_al = s - (int32_t)(((int64_t)(s - st->prev_s) * ANGLE_SKEW_Q16 + 32768) >> 16);
    st->prev_s = s;

    int64_t s1 = mul64((int64_t)s_al * 16 - ANGLE_OS_Q, ANGLE_GS) + (1 << 17);
    int64_t c1 = mul64((int64_t)c * 16 - ANGLE_OC_Q, ANGLE_GC) + (1 << 17);
    s1 >>= 18;
    c1 >>= 18;
    int64_t c2 = (mul64(c1, ANGLE_KSEC) + mul64(s1, ANGLE_KTAN) + 8192) >> 14;
    if (s1 > cmax)
        s1 = cmax;
    if (s1 < -cmax - 1)
        s1 = -cmax - 1;
    if (c2 > cmax)
        c2 = cmax;
    if (c2 < -cmax - 1)
        c2 = -cmax - 1;

    uint32_t mag;
    uint32_t ang = cordic_sw(&CFG, (int32_t)c2, (int32_t)s1, &mag);
    int coast = 1;
    if (mag < (uint32_t)(target / 4)) {
        flags |= ANGLE_F_LOS;
    } else if (mag > (uint32_t)(3 * target / 2)) {
        flags |= ANGLE_F_COIL;
    } else {
        coast = 0;
        uint32_t meas = ang << (32 - ANGLE_BITS);
        if (st->have == 0) {
            st->theta = meas;
            st->have = 1;
        } else if (st->have == 1) {
            st->omega = (int64_t)(int32_t)(meas - st->prev_theta) * 65536;
            st->theta = meas;
            st->have = 2;
        } else {
            int32_t e = (int32_t)(meas - theta_p);
            if (e > ANGLE_LOT || e < -ANGLE_LOT)
                flags |= ANGLE_F_TRACK;
            st->theta = theta_p + (uint32_t)(mul64(e, ANGLE_KP) >> 24);
            st->omega = (int64_t)((uint64_t)st->omega + (uint64_t)(mul64(e, ANGLE_KI) >> 24));
        }
        st->prev_theta = meas;
    }
    if (coast)
        st->theta = theta_p;
    out->angle = st->theta + (uint32_t)(mul64(st->omega, ANGLE_COMP_Q16) >> 32);
    out->omega = st->omega;
    out->mag = mag;
    out->flags = flags;
}
