/* CCM* (IEEE 802.15.4 profile of CCM, NIST SP 800-38C): 13-byte nonce
 * (length field q = 2 bytes), tags of 4, 8 or 16 bytes, on any 128-bit block
 * cipher given as an encrypt callback (the SM4 engine through its driver).
 * Bit-exact with crypto.modes.ccm_star_encrypt / ccm_star_decrypt.
 * Limits: AAD below 0xFF00 bytes (two-byte length encoding), payload below
 * 2^16 bytes. */
#ifndef CCM_STAR_H
#define CCM_STAR_H

#include <stddef.h>
#include <stdint.h>

#define CCM_STAR_NONCE 13

typedef void (*block_encrypt_fn)(void *ctx, const uint8_t in[16], uint8_t out[16]);

/* 0 on success, -1 on an argument outside the limits. */
int ccm_star_encrypt(block_encrypt_fn enc, void *ctx, const uint8_t nonce[CCM_STAR_NONCE],
                     const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t len,
                     uint8_t *ct, uint8_t *tag, unsigned tag_len);

/* Verifies before releasing: 0 and the plaintext in pt when the tag matches,
 * -1 and pt zeroed otherwise. */
int ccm_star_decrypt(block_encrypt_fn enc, void *ctx, const uint8_t nonce[CCM_STAR_NONCE],
                     const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t len,
                     const uint8_t *tag, unsigned tag_len, uint8_t *pt);

#endif
