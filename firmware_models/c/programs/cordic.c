/* Program 2: angles on the CORDIC unit and the same angles in software.
 *
 * Records:
 *   cor <x> <y> <hw_angle> <hw_mag> <sw_angle> <sw_mag>
 *     4 hex digits each (x, y: 16-bit two's complement)
 *   cordic_cycles <n> <hw_clocks> <sw_clocks>              n angles each way
 * Vectors: the axes, diagonals and corners of the input range, the zero
 * vector, then pseudo-random ones from fw_seed (fw_count of them, default 48).
 * FW_QUICK: no timing loop (no cordic_cycles record).
 * The software CORDIC uses the unit's constants (cordic_hw.h, generated from
 * sensor_dsp.cordic for the SoC's instance); the program also checks that the
 * unit's PARAMS register reports that instance.
 */
#include <stdint.h>

#include "console.h"
#include "cordic_drv.h"
#include "cordic_hw.h"
#include "cordic_sw.h"
#include "rng.h"
#include "soc.h"

static const int32_t ANGLES[CORDIC_HW_ITER] = CORDIC_HW_TABLE;
static const cordic_cfg_t SW = {
    .iterations = CORDIC_HW_ITER,
    .guard = CORDIC_HW_GUARD,
    .zguard = CORDIC_HW_ZGUARD,
    .out_width = CORDIC_HW_OUT_W,
    .kinv = CORDIC_HW_KINV,
    .angles = ANGLES,
};

#define MAXV ((1 << (CORDIC_HW_IN_W - 1)) - 1)
#define MINV (-(1 << (CORDIC_HW_IN_W - 1)))

static const int32_t DIRECTED[][2] = {
    {MAXV, 0}, {0, MAXV}, {MINV, 0}, {0, MINV}, {MAXV, MAXV}, {MINV, MAXV}, {MINV, MINV}, {MAXV, MINV},
    {MINV, -1}, {MINV, 1}, {1, 0}, {-1, 0}, {0, 1}, {0, -1}, {0, 0}, {1000, -1},
};
#define N_DIRECTED (sizeof DIRECTED / sizeof DIRECTED[0])

static cordic_dev_t dev;

static int32_t random_in(rng_t *r)
{
    return (int32_t)(rng_next(r) >> (32 - CORDIC_HW_IN_W)) + MINV;
}

static void one(int32_t x, int32_t y)
{
    uint32_t hm, sm;
    uint32_t ha = cordic_hw(&dev, x, y, &hm);
    uint32_t sa = cordic_sw(&SW, x, y, &sm);
    con_puts("cor ");
    con_hex((uint32_t)x, 4);
    con_putc(' ');
    con_hex((uint32_t)y, 4);
    con_putc(' ');
    con_hex(ha, 4);
    con_putc(' ');
    con_hex(hm, 4);
    con_putc(' ');
    con_hex(sa, 4);
    con_putc(' ');
    con_hex(sm, 4);
    con_nl();
}

int main(void)
{
    rng_t r;
    rng_init(&r, fw_seed);
    uint32_t n = fw_count ? fw_count : 48;

    if (cordic_init(&dev, SOC_CORDIC_BASE))
        fail("CORDIC unit ID");
    if (dev.in_w != CORDIC_HW_IN_W || dev.out_w != CORDIC_HW_OUT_W || dev.iter != CORDIC_HW_ITER)
        fail("CORDIC unit PARAMS differ from the firmware's constants");
    con_puts("cordic start\n");
    for (unsigned i = 0; i < N_DIRECTED; i++)
        one(DIRECTED[i][0], DIRECTED[i][1]);
    for (uint32_t i = 0; i < n; i++) {
        int32_t x = random_in(&r);
        one(x, random_in(&r));
    }

    if (fw_flags & FW_QUICK)
        return 0;
    /* clocks per angle: the unit through the driver, and the software CORDIC */
    enum { T = 16 };
    uint32_t acc = 0, m;
    uint32_t t0 = soc_cycles32();
    for (int i = 0; i < T; i++)
        acc += cordic_hw(&dev, 12345 - 1000 * i, -777 + 900 * i, &m);
    uint32_t t1 = soc_cycles32();
    for (int i = 0; i < T; i++)
        acc -= cordic_sw(&SW, 12345 - 1000 * i, -777 + 900 * i, &m);
    uint32_t t2 = soc_cycles32();
    if (acc != 0)
        fail("timed angles differ between the unit and the software");
    con_puts("cordic_cycles ");
    con_dec(T);
    con_putc(' ');
    con_dec(t1 - t0);
    con_putc(' ');
    con_dec(t2 - t1);
    con_nl();
    return 0;
}
