/* The SoC as firmware sees it: register access, the control block (console,
 * exit, cycle counter, bus-error latch) and the arguments the testbench
 * patches into the image (crt0.S).
 *
 * Window bases come from soc_map.h, generated from rtl_verif/soc/memory_map.py
 * at build time; the control block's offsets and fields from soc_ctrl_regs.h,
 * generated from rtl_verif/regs/soc_ctrl.rdl. */
#ifndef SOC_H
#define SOC_H

#include <stddef.h>
#include <stdint.h>

#include "soc_ctrl_regs.h"
#include "soc_map.h"

/* Address of a control-block register by its name in soc_ctrl_regs.h. */
#define SOC_CTRL_REG(name) (SOC_CTRL_BASE + offsetof(soc_ctrl_t, name))

static inline void mmio_write(uintptr_t addr, uint32_t value)
{
    *(volatile uint32_t *)addr = value;
}

static inline uint32_t mmio_read(uintptr_t addr)
{
    return *(volatile uint32_t *)addr;
}

/* Arguments patched into the image by the testbench (0 when not patched). */
extern volatile uint32_t fw_seed;
extern volatile uint32_t fw_count;
extern volatile uint32_t fw_flags;
#define FW_QUICK 1u /* fw_flags: skip timing loops and extra cases */

/* Clocks since reset (the control block's 64-bit counter). */
uint64_t soc_cycles(void);

/* Low word of the counter only: enough for intervals below 2^32 clocks. */
static inline uint32_t soc_cycles32(void)
{
    return mmio_read(SOC_CTRL_REG(CYCLE_LO));
}

/* Write the exit code (0 = success) and stop. */
void soc_exit(int code) __attribute__((noreturn));

/* The bus-error latch: nonzero when a transaction got an error response. */
static inline uint32_t soc_bus_error(void)
{
    return mmio_read(SOC_CTRL_REG(BUSERR)) & SOC_CTRL__BUSERR__ERR_bm;
}

#endif
