/* Driver of the SM4 engine (sm4_core) through its generated register block
 * (sm4_core_regs.h, from rtl_verif/regs/sm4_core.rdl): key load, one block
 * per START through DIN0..3 / DOUT0..3, polling STATUS (no interrupts).
 *
 * Byte order: the engine's words are big-endian — DIN0 holds bytes 0..3 of
 * the block, byte 0 in bits 31:24 — as GB/T 32907 writes blocks and keys. */
#ifndef SM4_DRV_H
#define SM4_DRV_H

#include <stdint.h>

typedef struct {
    uintptr_t base;
    uint32_t ctrl;   /* CTRL value last written (DECRYPT) */
} sm4_dev_t;

/* 0 when the block at `base` answers with the expected ID, -1 otherwise. */
int sm4_init(sm4_dev_t *dev, uintptr_t base);

/* Load a 16-byte key and wait for the round keys (32 clocks). */
void sm4_set_key(sm4_dev_t *dev, const uint8_t key[16]);

/* One block: decrypt = 0 encrypts, 1 decrypts. in and out may alias. */
void sm4_crypt_block(sm4_dev_t *dev, int decrypt, const uint8_t in[16], uint8_t out[16]);

/* The same on register words (word 0 = X0, the first four bytes, big-endian):
 * the bus part of sm4_crypt_block, without the byte packing. */
void sm4_crypt_words(sm4_dev_t *dev, int decrypt, const uint32_t in[4], uint32_t out[4]);

/* Encrypt callback for the modes (ccm_star.h); ctx is the sm4_dev_t. */
void sm4_encrypt_cb(void *ctx, const uint8_t in[16], uint8_t out[16]);

#endif
