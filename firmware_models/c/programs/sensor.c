/* Program 3: the sensor angle chain's per-sample update on the CPU.
 *
 * Pass 1 runs the update over the first n recorded sample pairs
 * (angle_samples.h, generated from golden_sensor.COIL; n = fw_count or
 * all) and prints one record per sample:
 *   ang <s> <c> <angle> <omega> <mag> <flags>
 * (s, c: 4-digit two's complement hex; angle: 8 digits, 2^-32 turn; omega:
 * 16 digits, 2^-48 turn per sample; mag and flags hex).
 * Pass 2 runs the same n updates again from reset without printing and
 * reports the clocks they took (loop and sample loads included):
 *   sensor_cycles <n> <clocks>
 * and, timed within that pass, the first ANGLE_N_HEAD updates alone (the
 * samples every simulator runs, so their clocks compare across simulators):
 *   sensor_head_cycles <h> <clocks>
 * (also with FW_QUICK: the update's cost is the figure this program exists for).
 */
#include <stdint.h>

#include "angle_samples.h"
#include "angle_update.h"
#include "console.h"
#include "soc.h"

int main(void)
{
    uint32_t n = fw_count ? fw_count : ANGLE_N_SAMPLES;
    if (n > ANGLE_N_SAMPLES)
        n = ANGLE_N_SAMPLES;
    angle_state_t st;
    angle_out_t out;

    con_puts("sensor start\n");
    angle_reset(&st);
    for (uint32_t k = 0; k < n; k++) {
        int32_t s = angle_samples[k][0], c = angle_samples[k][1];
        angle_update(&st, s, c, &out);
        con_puts("ang ");
        con_hex((uint32_t)s, 4);
        con_putc(' ');
        con_hex((uint32_t)c, 4);
        con_putc(' ');
        con_hex32(out.angle);
        con_putc(' ');
        con_hex32((uint32_t)((uint64_t)out.omega >> 32));
        con_hex32((uint32_t)out.omega);
        con_putc(' ');
        con_hex(out.mag, 5);
        con_putc(' ');
        con_hex(out.flags, 2);
        con_nl();
    }

    const uint32_t head = n < ANGLE_N_HEAD ? n : ANGLE_N_HEAD;
    angle_reset(&st);
    uint32_t t0 = soc_cycles32();
    for (uint32_t k = 0; k < head; k++)
        angle_update(&st, angle_samples[k][0], angle_samples[k][1], &out);
    uint32_t th = soc_cycles32();
    for (uint32_t k = head; k < n; k++)
        angle_update(&st, angle_samples[k][0], angle_samples[k][1], &out);
    uint32_t t1 = soc_cycles32();
    con_puts("sensor_head_cycles ");
    con_dec(head);
    con_putc(' ');
    con_dec(th - t0);
    con_nl();
    con_puts("sensor_cycles ");
    con_dec(n);
    con_putc(' ');
    con_dec(t1 - t0);
    con_nl();
    return 0;
}
