/* The interconnect's error path: a read and a write to an address no window
 * claims must be answered (DECERR) without hanging the core and recorded in
 * the control block's bus-error latch. Prints
 *   buserr <status> <address>   after the read (latch, then cleared)
 *   buserr <status> <address>   after the write
 *   buserr <status> <address>   after a read of the control block's unmapped
 *                               offset SOC_CTRL_UNMAPPED (SLVERR)
 *   buserr <status> <address>   after a write to it (SLVERR)
 * and exits 0 (writing 0 to the latch keeps it; a console store without byte
 * lane 0 prints nothing; the cycle counter's high word reads 0); the testbench expects exactly these and fails if the core
 * hangs. */
#include <stdint.h>

#include "console.h"
#include "soc.h"

#define UNMAPPED 0x30000000u

static void report(void)
{
    con_puts("buserr ");
    con_hex32(mmio_read(SOC_CTRL_REG(BUSERR)));
    con_putc(' ');
    con_hex32(mmio_read(SOC_CTRL_REG(BUSERR_ADDR)));
    con_nl();
    mmio_write(SOC_CTRL_REG(BUSERR), 0u); /* only a 1 clears */
    if (!soc_bus_error())
        fail("writing 0 cleared the latch");
    mmio_write(SOC_CTRL_REG(BUSERR), 1u); /* clear */
}

int main(void)
{
    if (mmio_read(SOC_CTRL_REG(ID)) != SOC_CTRL__ID__VALUE_reset)
        fail("control block ID");
    if (soc_bus_error())
        fail("bus error before the test");
    volatile uint32_t v = mmio_read(UNMAPPED);
    (void)v;
    report();
    mmio_write(UNMAPPED + 4u, 0x12345678u);
    report();
    v = mmio_read(SOC_CTRL_BASE + SOC_CTRL_UNMAPPED);
    report();
    mmio_write(SOC_CTRL_BASE + SOC_CTRL_UNMAPPED, 0u);
    report();
    *(volatile uint8_t *)(SOC_CTRL_REG(CONSOLE) + 1u) = '!'; /* lane 1 only: no console byte */
    if ((uint32_t)(soc_cycles() >> 32) != 0u)
        fail("cycle counter high word");
    if (soc_bus_error())
        fail("latch not cleared");
#ifdef SOC_BROKEN_HANG
    /* a deliberately wrong program (the broken_hang variant): it waits for a bus error that never comes, so it
     * never exits; the testbench must end it at its clock budget and fail with this output */
    con_puts("waiting for a bus error");
    con_nl();
    while (!soc_bus_error())
        ;
#endif
    return 0;
}
