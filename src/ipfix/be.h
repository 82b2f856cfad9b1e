/*
 * be.h — internal big-endian (network order) loads and stores used by the
 * IPFIX codec.  Callers check bounds first; these only move bytes.
 */
#ifndef NS_IPFIX_BE_H
#define NS_IPFIX_BE_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t ns_be16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t ns_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t ns_be64(const uint8_t *p)
{
    return (uint64_t)ns_be32(p) << 32 | ns_be32(p + 4);
}

/* Unsigned big-endian integer of n (1..8) octets: reduced-size encoding
 * (RFC 7011 §6.2) reads the same way as full size. */
static inline uint64_t ns_beN(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static inline void ns_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void ns_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void ns_put64(uint8_t *p, uint64_t v)
{
    ns_put32(p, (uint32_t)(v >> 32));
    ns_put32(p + 4, (uint32_t)v);
}

/* Lowest n octets of v, big-endian (reduced-size encoding). */
static inline void ns_putN(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = n; i-- > 0;) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

#endif
