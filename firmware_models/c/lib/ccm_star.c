#include "ccm_star.h"

#include <string.h>

static int tag_ok(unsigned tag_len)
{
    return tag_len == 4 || tag_len == 8 || tag_len == 16;
}

/* Counter block A_i: flags q - 1 = 1, the nonce, i in two bytes. */
static void ctr_block(const uint8_t nonce[CCM_STAR_NONCE], unsigned i, uint8_t a[16])
{
    a[0] = 1;
    memcpy(a + 1, nonce, CCM_STAR_NONCE);
    a[14] = (uint8_t)(i >> 8);
    a[15] = (uint8_t)i;
}

/* CBC-MAC over B0, the encoded AAD and the payload (each zero-padded). */
static void cbc_mac(block_encrypt_fn enc, void *ctx, const uint8_t nonce[CCM_STAR_NONCE],
                    const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t len,
                    unsigned tag_len, uint8_t x[16])
{
    uint8_t b[16];
    b[0] = (uint8_t)((aad_len ? 0x40 : 0) | (((tag_len - 2) / 2) << 3) | 1);
    memcpy(b + 1, nonce, CCM_STAR_NONCE);
    b[14] = (uint8_t)(len >> 8);
    b[15] = (uint8_t)len;
    enc(ctx, b, x);
    if (aad_len) {
        /* the first block carries the two length bytes and up to 14 AAD bytes */
        size_t k = 2;
        x[0] ^= (uint8_t)(aad_len >> 8);
        x[1] ^= (uint8_t)aad_len;
        for (size_t i = 0; i < aad_len; i++) {
            x[k++] ^= aad[i];
            if (k == 16) {
                enc(ctx, x, x);
                k = 0;
            }
        }
        if (k)
            enc(ctx, x, x);
    }
    for (size_t off = 0; off < len; off += 16) {
        size_t n = len - off < 16 ? len - off : 16;
        for (size_t i = 0; i < n; i++)
            x[i] ^= pt[off + i];
        enc(ctx, x, x);
    }
}

/* out = in XOR keystream blocks A_1, A_2, ... */
static void ctr_crypt(block_encrypt_fn enc, void *ctx, const uint8_t nonce[CCM_STAR_NONCE],
                      const uint8_t *in, size_t len, uint8_t *out)
{
    uint8_t a[16], s[16];
    for (size_t off = 0, i = 1; off < len; off += 16, i++) {
        size_t n = len - off < 16 ? len - off : 16;
        ctr_block(nonce, (unsigned)i, a);
        enc(ctx, a, s);
        for (size_t j = 0; j < n; j++)
            out[off + j] = in[off + j] ^ s[j];
    }
}

int ccm_star_encrypt(block_encrypt_fn enc, void *ctx, const uint8_t nonce[CCM_STAR_NONCE],
                     const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t len,
                     uint8_t *ct, uint8_t *tag, unsigned tag_len)
{
    uint8_t x[16], a[16], s0[16];
    if (!tag_ok(tag_len) || aad_len >= 0xFF00u || len > 0xFFFFu)
        return -1;
    cbc_mac(enc, ctx, nonce, aad, aad_len, pt, len, tag_len, x);
    ctr_block(nonce, 0, a);
    enc(ctx, a, s0);
    for (unsigned i = 0; i < tag_len; i++)
        tag[i] = x[i] ^ s0[i];
    ctr_crypt(enc, ctx, nonce, pt, len, ct);
    return 0;
}

int ccm_star_decrypt(block_encrypt_fn enc, void *ctx, const uint8_t nonce[CCM_STAR_NONCE],
                     const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t len,
                     const uint8_t *tag, unsigned tag_len, uint8_t *pt)
{
    uint8_t x[16], a[16], s0[16];
    if (!tag_ok(tag_len) || aad_len >= 0xFF00u || len > 0xFFFFu)
        return -1;
    ctr_crypt(enc, ctx, nonce, ct, len, pt);
    cbc_mac(enc, ctx, nonce, aad, aad_len, pt, len, tag_len, x);
    ctr_block(nonce, 0, a);
    enc(ctx, a, s0);
    uint8_t diff = 0; /* constant time over the tag */
    for (unsigned i = 0; i < tag_len; i++)
        diff |= (uint8_t)(x[i] ^ s0[i] ^ tag[i]);
    if (diff) {
        memset(pt, 0, len);
        return -1;
    }
    return 0;
}
