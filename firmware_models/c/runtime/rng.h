/* xorshift32 (Marsaglia 2003): the programs' pseudo-random inputs, from the
 * seed the testbench patches into the image. The inputs are printed, so the
 * testbench checks results against what was actually used. */
#ifndef RNG_H
#define RNG_H

#include <stdint.h>

typedef struct {
    uint32_t s;
} rng_t;

static inline void rng_init(rng_t *r, uint32_t seed)
{
    r->s = seed ? seed : 0x9E3779B9u; /* the state must not be 0 */
}

static inline uint32_t rng_next(rng_t *r)
{
    uint32_t x = r->s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    r->s = x;
    return x;
}

static inline void rng_bytes(rng_t *r, uint8_t *p, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(rng_next(r) >> 24);
}

#endif
