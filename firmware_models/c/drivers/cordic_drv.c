#include "cordic_drv.h"

#include <stddef.h>

#include "cordic_csr_regs.h"
#include "soc.h"

#define REG(dev, name) ((dev)->base + offsetof(cordic_csr_t, name))

/* SOC_BROKEN_CORDIC_OFFSET builds a deliberately wrong driver that reads the
 * result from an offset no register occupies (the block answers SLVERR):
 * the tests must catch the bus error. */
#ifdef SOC_BROKEN_CORDIC_OFFSET
#define RESULT_ADDR(dev) ((dev)->base + sizeof(cordic_csr_t))
#else
#define RESULT_ADDR(dev) REG(dev, RESULT)
#endif

int cordic_init(cordic_dev_t *dev, uintptr_t base)
{
    dev->base = base;
    if (mmio_read(REG(dev, ID)) != CORDIC_CSR__ID__VALUE_reset)
        return -1;
    uint32_t p = mmio_read(REG(dev, PARAMS));
    dev->in_w = (int)((p & CORDIC_CSR__PARAMS__IN_W_bm) >> CORDIC_CSR__PARAMS__IN_W_bp);
    dev->out_w = (int)((p & CORDIC_CSR__PARAMS__OUT_W_bm) >> CORDIC_CSR__PARAMS__OUT_W_bp);
    dev->iter = (int)((p & CORDIC_CSR__PARAMS__ITER_bm) >> CORDIC_CSR__PARAMS__ITER_bp);
    mmio_write(REG(dev, CTRL), CORDIC_CSR__CTRL__BUS_MODE_bm);
    return 0;
}

uint32_t cordic_hw(cordic_dev_t *dev, int32_t x, int32_t y, uint32_t *mag)
{
    mmio_write(REG(dev, SAMPLE), ((uint32_t)y << CORDIC_CSR__SAMPLE__Y_bp & CORDIC_CSR__SAMPLE__Y_bm)
                                     | ((uint32_t)x & CORDIC_CSR__SAMPLE__X_bm));
    while (!(mmio_read(REG(dev, STATUS)) & CORDIC_CSR__STATUS__RESULT_VALID_bm))
        ;
    uint32_t r = mmio_read(RESULT_ADDR(dev));
    *mag = (r & CORDIC_CSR__RESULT__MAG_bm) >> CORDIC_CSR__RESULT__MAG_bp;
    return (r & CORDIC_CSR__RESULT__ANGLE_bm) >> CORDIC_CSR__RESULT__ANGLE_bp;
}
