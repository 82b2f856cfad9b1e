/*
 * rng.h — the one pseudo-random generator of netsift: xoshiro256**
 * (Blackman and Vigna), its state seeded through splitmix64.
 *
 * Deterministic for a seed, so generated captures (gen/) and seeded
 * sampling (select/) repeat exactly; fast and statistically sound for
 * simulation and sampling, and NOT for anything an adversary may predict:
 * keyed selection uses SipHash with a secret key instead (select/hash.h).
 *
 * Header-only: the packet path of the random selectors inlines it.  The
 * state belongs to the caller; nothing is shared between generators.
 */
#ifndef NS_UTIL_RNG_H
#define NS_UTIL_RNG_H

#include <stdint.h>

struct ns_rng {
    uint64_t s[4];
};

static inline uint64_t ns_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline void ns_rng_seed(struct ns_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = ns_splitmix64(&seed);
}

static inline uint64_t ns_rng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t ns_rng_next(struct ns_rng *r)
{
    uint64_t *s = r->s;
    uint64_t res = ns_rng_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ns_rng_rotl(s[3], 45);
    return res;
}

/* Uniform in [0, 1), 53 bits. */
static inline double ns_rng_unit(struct ns_rng *r)
{
    return (double)(ns_rng_next(r) >> 11) * 0x1.0p-53;
}

#endif
