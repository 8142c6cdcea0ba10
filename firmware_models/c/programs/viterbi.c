/* Program 4: decode frames on the Viterbi unit.
 *
 * Each frame: pseudo-random information bits (from fw_seed) ending in six
 * zeros (terminated), the K = 7 (133, 171) rate-1/2 code, soft values of
 * amplitude 12 plus pseudo-random noise in -s..s (s = 14 in the first
 * frame, 26 in the second, where some decisions are wrong), clipped to the unit's
 * SOFT_W range, with some erasures (0) — then decoded through the driver.
 * Records:
 *   vit <n> <info> <soft> <decoded>
 *     n steps; info and decoded as '0'/'1' strings; soft as 2 hex digits per
 *     value (two's complement byte), SA then SB for each step
 *   vit_cycles <bits> <clocks>       one frame through the driver
 * fw_count = steps per frame (default 96).
 */
#include <stdint.h>

#include "console.h"
#include "rng.h"
#include "soc.h"
#include "viterbi_drv.h"

#define MAX_STEPS 256
#define G0 0133u
#define G1 0171u

static viterbi_dev_t dev;
static uint8_t info[MAX_STEPS], dec[MAX_STEPS];
static int8_t soft[2 * MAX_STEPS];

static unsigned parity7(unsigned v)
{
    v ^= v >> 4;
    v ^= v >> 2;
    v ^= v >> 1;
    return v & 1u;
}

/* the coded bit c as a soft value: +amp for 0, -amp for 1, plus noise, clipped */
static int8_t softval(rng_t *r, unsigned c, int q, int spread)
{
    uint32_t u = rng_next(r);
    if ((u & 31u) == 0)
        return 0; /* erasure, 1 in 32 */
    int v = (c ? -12 : 12) + (int)((u >> 8) % (uint32_t)(2 * spread + 1)) - spread;
    if (v > q)
        v = q;
    if (v < -q)
        v = -q;
    return (int8_t)v;
}

static void bits_out(const uint8_t *b, int n)
{
    for (int i = 0; i < n; i++)
        con_putc((char)('0' + b[i]));
}

static void frame(rng_t *r, int n, int spread)
{
    const int q = (1 << (dev.soft_w - 1)) - 1;
    unsigned st = 0;
    for (int k = 0; k < n; k++) {
        info[k] = k >= n - 6 ? 0 : (uint8_t)(rng_next(r) >> 31);
        unsigned w = (unsigned)info[k] << 6 | st; /* bit 6: this input, bit 5: the previous one */
        soft[2 * k] = softval(r, parity7(w & G0), q, spread);
        soft[2 * k + 1] = softval(r, parity7(w & G1), q, spread);
        st = w >> 1;
    }
    uint32_t t0 = soc_cycles32();
    int got = viterbi_decode(&dev, soft, n, 1, dec);
    uint32_t t1 = soc_cycles32();
    if (got != n)
        fail("the unit returned a different number of bits");
    con_puts("vit ");
    con_dec((uint32_t)n);
    con_putc(' ');
    bits_out(info, n);
    con_putc(' ');
    con_bytes((const uint8_t *)soft, 2u * (unsigned)n);
    con_putc(' ');
    bits_out(dec, n);
    con_nl();
    con_puts("vit_cycles ");
    con_dec((uint32_t)n);
    con_putc(' ');
    con_dec(t1 - t0);
    con_nl();
}

int main(void)
{
    rng_t r;
    rng_init(&r, fw_seed);
    int n = fw_count ? (int)fw_count : 96;
    if (n < 8 || n > MAX_STEPS)
        fail("frame length outside 8..256 steps");
    if (viterbi_init(&dev, SOC_VITERBI_BASE))
        fail("Viterbi unit ID");
    con_puts("viterbi start\n");
    frame(&r, n, 14);
    frame(&r, n / 2 + 3, 26);
    return 0;
}
