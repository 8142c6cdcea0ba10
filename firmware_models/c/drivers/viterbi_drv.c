#include "viterbi_drv.h"

#include <stddef.h>

#include "soc.h"
#include "viterbi_csr_regs.h"

#define REG(dev, name) ((dev)->base + offsetof(viterbi_csr_t, name))
#define DRAIN_EVERY 16 /* steps between DOUT reads: the 64-bit FIFO never fills */

int viterbi_init(viterbi_dev_t *dev, uintptr_t base)
{
    dev->base = base;
    if (mmio_read(REG(dev, ID)) != VITERBI_CSR__ID__VALUE_reset)
        return -1;
    uint32_t p = mmio_read(REG(dev, PARAMS));
    dev->soft_w = (int)((p & VITERBI_CSR__PARAMS__SOFT_W_bm) >> VITERBI_CSR__PARAMS__SOFT_W_bp);
    dev->tb_len = (int)((p & VITERBI_CSR__PARAMS__TB_LEN_bm) >> VITERBI_CSR__PARAMS__TB_LEN_bp);
    mmio_write(REG(dev, CTRL), VITERBI_CSR__CTRL__BUS_MODE_bm);
    return 0;
}

/* Read DOUT once: append its bits; 1 when they end the frame. */
static int drain(viterbi_dev_t *dev, uint8_t *bits, int *got, int n)
{
    uint32_t d = mmio_read(REG(dev, DOUT));
    int cnt = (int)((d & VITERBI_CSR__DOUT__COUNT_bm) >> VITERBI_CSR__DOUT__COUNT_bp);
    for (int i = 0; i < cnt && *got < n; i++)
        bits[(*got)++] = (uint8_t)(d >> i & 1u);
    return (d & VITERBI_CSR__DOUT__LAST_bm) != 0;
}

int viterbi_decode(viterbi_dev_t *dev, const int8_t *soft, int n, int terminated, uint8_t *bits)
{
    int got = 0;
    for (int k = 0; k < n; k++) {
        uint32_t w = ((uint32_t)(uint8_t)soft[2 * k] << VITERBI_CSR__DIN__SA_bp)
                     | ((uint32_t)(uint8_t)soft[2 * k + 1] << VITERBI_CSR__DIN__SB_bp);
        if (k == n - 1)
            w |= VITERBI_CSR__DIN__LAST_bm | (terminated ? VITERBI_CSR__DIN__TERMINATED_bm : 0u);
        mmio_write(REG(dev, DIN), w);
        if (k % DRAIN_EVERY == DRAIN_EVERY - 1 && drain(dev, bits, &got, n))
            return -1; /* the frame cannot end before its last step */
    }
    while (!drain(dev, bits, &got, n))
        ;
    return got == n ? got : -1;
}
