/* Driver of the CORDIC unit (cordic_csr, register block generated from
 * rtl_verif/regs/cordic_csr.rdl) on its bus path: one (x, y) per SAMPLE
 * write, the result read from RESULT once STATUS.RESULT_VALID is set. */
#ifndef CORDIC_DRV_H
#define CORDIC_DRV_H

#include <stdint.h>

typedef struct {
    uintptr_t base;
    int in_w, out_w, iter;   /* the unit's build parameters (PARAMS) */
} cordic_dev_t;

/* Check the ID, read PARAMS, give the bus the core (BUS_MODE). 0 or -1. */
int cordic_init(cordic_dev_t *dev, uintptr_t base);

/* atan2(y, x) in 2^-out_w turn; *mag gets the magnitude. x, y: signed in_w bits. */
uint32_t cordic_hw(cordic_dev_t *dev, int32_t x, int32_t y, uint32_t *mag);

#endif
