/* Program 1: blocks and CCM* frames on the SM4 engine, through the driver.
 *
 * Records (hex bytes in order):
 *   blk <key> <e|d> <in> <out>           one block through the engine
 *   ccm <tag_len> <key> <nonce> <aad> <pt> <ct> <tag>
 *   ccm_dec <ok|fail> <pt>              decryption of that frame (must be ok)
 *   ccm_forged <ok|fail> <pt>           with one ciphertext (or tag) bit flipped
 *                                       (must be fail, pt all zero)
 *   sm4_key_cycles <clocks>             one key load through the driver
 *   sm4_cycles <n> <clocks>             n blocks back to back through the driver
 *   sm4_bus_cycles <n> <clocks>         the same on register words (no byte packing)
 * Inputs: GB/T 32907-2016 Annex A example 1, then pseudo-random keys, blocks
 * and frames from fw_seed; fw_count = random blocks per key (default 4).
 * FW_QUICK: one random key, the first frame only, no throughput loops.
 */
#include <stdint.h>
#include <string.h>

#include "ccm_star.h"
#include "console.h"
#include "rng.h"
#include "sm4_drv.h"
#include "soc.h"

static sm4_dev_t dev;

static void block(const uint8_t key[16], int decrypt, const uint8_t in[16])
{
    uint8_t out[16];
    sm4_crypt_block(&dev, decrypt, in, out);
    con_puts("blk ");
    con_bytes(key, 16);
    con_puts(decrypt ? " d " : " e ");
    con_bytes(in, 16);
    con_putc(' ');
    con_bytes(out, 16);
    con_nl();
}

static void frame(rng_t *r, unsigned tag_len, unsigned aad_len, unsigned len)
{
    uint8_t key[16], nonce[CCM_STAR_NONCE], aad[32], pt[48], ct[48], tag[16], back[48];
    rng_bytes(r, key, 16);
    rng_bytes(r, nonce, CCM_STAR_NONCE);
    rng_bytes(r, aad, aad_len);
    rng_bytes(r, pt, len);
    sm4_set_key(&dev, key);
    if (ccm_star_encrypt(sm4_encrypt_cb, &dev, nonce, aad, aad_len, pt, len, ct, tag, tag_len))
        fail("ccm_star_encrypt refused its arguments");
    con_puts("ccm ");
    con_dec(tag_len);
    con_putc(' ');
    con_bytes(key, 16);
    con_putc(' ');
    con_bytes(nonce, CCM_STAR_NONCE);
    con_putc(' ');
    con_bytes(aad, aad_len);
    con_putc(' ');
    con_bytes(pt, len);
    con_putc(' ');
    con_bytes(ct, len);
    con_putc(' ');
    con_bytes(tag, tag_len);
    con_nl();

    int rc = ccm_star_decrypt(sm4_encrypt_cb, &dev, nonce, aad, aad_len, ct, len, tag, tag_len, back);
    con_puts(rc ? "ccm_dec fail " : "ccm_dec ok ");
    con_bytes(back, len);
    con_nl();

    /* forge: flip one bit of the ciphertext, or of the tag when there is no payload */
    uint32_t pick = rng_next(r);
    if (len)
        ct[pick % len] ^= (uint8_t)(1u << (pick >> 8 & 7u));
    else
        tag[pick % tag_len] ^= (uint8_t)(1u << (pick >> 8 & 7u));
    rc = ccm_star_decrypt(sm4_encrypt_cb, &dev, nonce, aad, aad_len, ct, len, tag, tag_len, back);
    con_puts(rc ? "ccm_forged fail " : "ccm_forged ok ");
    con_bytes(back, len);
    con_nl();
}

int main(void)
{
    static const uint8_t example_1[16] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
                                          0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
    uint8_t key[16], in[16];
    rng_t r;
    rng_init(&r, fw_seed);
    unsigned per_key = fw_count ? fw_count : 4;

    if (sm4_init(&dev, SOC_SM4_BASE))
        fail("SM4 engine ID");
    con_puts("sm4 start\n");

    /* GB/T 32907-2016 Annex A example 1: key = plaintext */
    sm4_set_key(&dev, example_1);
    block(example_1, 0, example_1);
    static const uint8_t cipher_1[16] = {0x68, 0x1e, 0xdf, 0x34, 0xd2, 0x06, 0x96, 0x5e,
                                         0x86, 0xb3, 0xe9, 0x4f, 0x53, 0x6e, 0x42, 0x46};
    block(example_1, 1, cipher_1);

    const int quick = (fw_flags & FW_QUICK) != 0;
    for (int k = 0; k < (quick ? 1 : 2); k++) {
        rng_bytes(&r, key, 16);
        uint32_t t0 = soc_cycles32();
        sm4_set_key(&dev, key);
        uint32_t t1 = soc_cycles32();
        if (k == 0) {
            con_puts("sm4_key_cycles ");
            con_dec(t1 - t0);
            con_nl();
        }
        for (unsigned i = 0; i < per_key; i++) {
            rng_bytes(&r, in, 16);
            block(key, (int)(rng_next(&r) & 1u), in);
        }
    }

    /* frames: a data frame with a MAC header as AAD, a header-only frame, a frame without AAD */
    frame(&r, 8, 21, 37);
    if (quick)
        return 0;
    frame(&r, 4, 9, 0);
    frame(&r, 16, 0, 16);

    /* throughput through the driver (bus accesses and byte packing included) */
    enum { N = 16 };
    uint8_t buf[16] = {0};
    uint32_t t0 = soc_cycles32();
    for (int i = 0; i < N; i++)
        sm4_crypt_block(&dev, 0, buf, buf);
    uint32_t t1 = soc_cycles32();
    con_puts("sm4_cycles ");
    con_dec(N);
    con_putc(' ');
    con_dec(t1 - t0);
    con_nl();
    uint32_t w[4] = {0, 0, 0, 0};
    t0 = soc_cycles32();
    for (int i = 0; i < N; i++)
        sm4_crypt_words(&dev, 0, w, w);
    t1 = soc_cycles32();
    con_puts("sm4_bus_cycles ");
    con_dec(N);
    con_putc(' ');
    con_dec(t1 - t0);
    con_nl();
    return 0;
}
