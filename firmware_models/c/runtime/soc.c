#include "soc.h"

uint64_t soc_cycles(void)
{
    uint32_t lo = mmio_read(SOC_CTRL_REG(CYCLE_LO)); /* copies the high word */
    uint32_t hi = mmio_read(SOC_CTRL_REG(CYCLE_HI));
    return ((uint64_t)hi << 32) | lo;
}

void soc_exit(int code)
{
    mmio_write(SOC_CTRL_REG(EXIT), (uint32_t)code);
    for (;;)
        __asm__ volatile("ebreak");
}
