#include "sm4_drv.h"

#include <stddef.h>

#include "sm4_core_regs.h"
#include "soc.h"

#define REG(dev, name) ((dev)->base + offsetof(sm4_core_t, name))

/* Bytes <-> register words. SOC_BROKEN_SM4_BYTE_ORDER builds a deliberately
 * wrong driver (little-endian words) that the tests must catch. */
static inline uint32_t load_word(const uint8_t *p)
{
#ifdef SOC_BROKEN_SM4_BYTE_ORDER
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
#else
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
#endif
}

static inline void store_word(uint8_t *p, uint32_t w)
{
#ifdef SOC_BROKEN_SM4_BYTE_ORDER
    p[0] = (uint8_t)w;
    p[1] = (uint8_t)(w >> 8);
    p[2] = (uint8_t)(w >> 16);
    p[3] = (uint8_t)(w >> 24);
#else
    p[0] = (uint8_t)(w >> 24);
    p[1] = (uint8_t)(w >> 16);
    p[2] = (uint8_t)(w >> 8);
    p[3] = (uint8_t)w;
#endif
}

int sm4_init(sm4_dev_t *dev, uintptr_t base)
{
    dev->base = base;
    dev->ctrl = 0;
    return mmio_read(REG(dev, ID)) == SM4_CORE__ID__VALUE_reset ? 0 : -1;
}

void sm4_set_key(sm4_dev_t *dev, const uint8_t key[16])
{
    mmio_write(REG(dev, KEY0), load_word(key));
    mmio_write(REG(dev, KEY1), load_word(key + 4));
    mmio_write(REG(dev, KEY2), load_word(key + 8));
    mmio_write(REG(dev, KEY3), load_word(key + 12));
    mmio_write(REG(dev, CTRL), dev->ctrl | SM4_CORE__CTRL__KEY_LOAD_bm);
    while ((mmio_read(REG(dev, STATUS)) & (SM4_CORE__STATUS__KEY_READY_bm | SM4_CORE__STATUS__KEY_BUSY_bm))
           != SM4_CORE__STATUS__KEY_READY_bm)
        ;
}

/* DIN0..3, START, wait, then DOUT0..3 read into out (the bus part). */
static inline void run_block(sm4_dev_t *dev, int decrypt, uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3,
                             uint32_t out[4])
{
    dev->ctrl = decrypt ? SM4_CORE__CTRL__DECRYPT_bm : 0;
    mmio_write(REG(dev, DIN0), w0);
    mmio_write(REG(dev, DIN1), w1);
    mmio_write(REG(dev, DIN2), w2);
    mmio_write(REG(dev, DIN3), w3);
    mmio_write(REG(dev, CTRL), dev->ctrl | SM4_CORE__CTRL__START_bm);
    while (!(mmio_read(REG(dev, STATUS)) & SM4_CORE__STATUS__DOUT_VALID_bm))
        ;
    out[0] = mmio_read(REG(dev, DOUT0));
    out[1] = mmio_read(REG(dev, DOUT1));
    out[2] = mmio_read(REG(dev, DOUT2));
    out[3] = mmio_read(REG(dev, DOUT3));
}

void sm4_crypt_words(sm4_dev_t *dev, int decrypt, const uint32_t in[4], uint32_t out[4])
{
    run_block(dev, decrypt, in[0], in[1], in[2], in[3], out);
}

void sm4_crypt_block(sm4_dev_t *dev, int decrypt, const uint8_t in[16], uint8_t out[16])
{
    uint32_t w[4];
    run_block(dev, decrypt, load_word(in), load_word(in + 4), load_word(in + 8), load_word(in + 12), w);
    store_word(out, w[0]);
    store_word(out + 4, w[1]);
    store_word(out + 8, w[2]);
    store_word(out + 12, w[3]);
}

void sm4_encrypt_cb(void *ctx, const uint8_t in[16], uint8_t out[16])
{
    sm4_crypt_block((sm4_dev_t *)ctx, 0, in, out);
}
