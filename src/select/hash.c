/* hash.c — see hash.h. */
#include "select/hash.h"

static inline uint32_t le32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* The reversible mix of lookup2: every input bit reaches every bit of c. */
#define BOB_MIX(a, b, c)                                                                           \
    do {                                                                                           \
        a -= b + c;                                                                                \
        a ^= c >> 13;                                                                              \
        b -= c + a;                                                                                \
        b ^= a << 8;                                                                               \
        c -= a + b;                                                                                \
        c ^= b >> 13;                                                                              \
        a -= b + c;                                                                                \
        a ^= c >> 12;                                                                              \
        b -= c + a;                                                                                \
        b ^= a << 16;                                                                              \
        c -= a + b;                                                                                \
        c ^= b >> 5;                                                                               \
        a -= b + c;                                                                                \
        a ^= c >> 3;                                                                               \
        b -= c + a;                                                                                \
        b ^= a << 10;                                                                              \
        c -= a + b;                                                                                \
        c ^= b >> 15;                                                                              \
    } while (0)

uint32_t ns_hash_bob(const uint8_t *k, size_t len, uint32_t init)
{
    uint32_t a = 0x9e3779b9u, b = 0x9e3779b9u, c = init;
    size_t left = len;
    while (left >= 12) {
        a += le32(k);
        b += le32(k + 4);
        c += le32(k + 8);
        BOB_MIX(a, b, c);
        k += 12;
        left -= 12;
    }
    /* The tail: bytes 0-3 into a, 4-7 into b, 8-10 into the upper three
     * bytes of c (its low byte holds the length). */
    c += (uint32_t)len;
    switch (left) {
    case 11:
        c += (uint32_t)k[10] << 24;
        __attribute__((fallthrough));
    case 10:
        c += (uint32_t)k[9] << 16;
        __attribute__((fallthrough));
    case 9:
        c += (uint32_t)k[8] << 8;
        __attribute__((fallthrough));
    case 8:
        b += (uint32_t)k[7] << 24;
        __attribute__((fallthrough));
    case 7:
        b += (uint32_t)k[6] << 16;
        __attribute__((fallthrough));
    case 6:
        b += (uint32_t)k[5] << 8;
        __attribute__((fallthrough));
    case 5:
        b += k[4];
        __attribute__((fallthrough));
    case 4:
        a += (uint32_t)k[3] << 24;
        __attribute__((fallthrough));
    case 3:
        a += (uint32_t)k[2] << 16;
        __attribute__((fallthrough));
    case 2:
        a += (uint32_t)k[1] << 8;
        __attribute__((fallthrough));
    case 1:
        a += k[0];
        break;
    default:
        break;
    }
    BOB_MIX(a, b, c);
    return c;
}

static inline uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline uint32_t ipsx_step(uint32_t h, uint32_t w)
{
    h ^= w;
    h ^= h << 13;
    h ^= h >> 17;
    h ^= h << 5;
    return h;
}

uint32_t ns_hash_ipsx(const uint8_t *k, size_t len, uint32_t init)
{
    uint32_t h = init ^ (uint32_t)len;
    size_t i = 0;
    for (; i + 4 <= len; i += 4)
        h = ipsx_step(h, be32(k + i));
    if (i < len) { /* the last word, zero-padded */
        uint32_t w = 0;
        for (size_t j = 0; j < 4; j++)
            w = w << 8 | (i + j < len ? k[i + j] : 0);
        h = ipsx_step(h, w);
    }
    return h;
}

void ns_crc32_table(uint32_t t[8][256])
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int j = 0; j < 8; j++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int k = 1; k < 8; k++)
            t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
}

uint32_t ns_crc32(const uint32_t t[8][256], uint32_t init, const uint8_t *p, size_t n)
{
    uint32_t c = ~init;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint32_t a = c ^ le32(p + i), b = le32(p + i + 4);
        c = t[7][a & 0xff] ^ t[6][(a >> 8) & 0xff] ^ t[5][(a >> 16) & 0xff] ^ t[4][a >> 24] ^
            t[3][b & 0xff] ^ t[2][(b >> 8) & 0xff] ^ t[1][(b >> 16) & 0xff] ^ t[0][b >> 24];
    }
    for (; i < n; i++)
        c = t[0][(c ^ p[i]) & 0xff] ^ (c >> 8);
    return ~c;
}

static inline uint64_t rotl64(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

static inline uint64_t le64(const uint8_t *b)
{
    return (uint64_t)le32(b) | (uint64_t)le32(b + 4) << 32;
}

#define SIPROUND(v0, v1, v2, v3)                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = rotl64(v1, 13) ^ v0;                                                                  \
        v0 = rotl64(v0, 32);                                                                       \
        v2 += v3;                                                                                  \
        v3 = rotl64(v3, 16) ^ v2;                                                                  \
        v0 += v3;                                                                                  \
        v3 = rotl64(v3, 21) ^ v0;                                                                  \
        v2 += v1;                                                                                  \
        v1 = rotl64(v1, 17) ^ v2;                                                                  \
        v2 = rotl64(v2, 32);                                                                       \
    } while (0)

uint64_t ns_siphash24(const uint8_t key[16], const uint8_t *m, size_t len)
{
    uint64_t k0 = le64(key), k1 = le64(key + 8);
    uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w = le64(m + i);
        v3 ^= w;
        SIPROUND(v0, v1, v2, v3);
        SIPROUND(v0, v1, v2, v3);
        v0 ^= w;
    }
    /* last block: the remaining bytes, the length in the top byte */
    uint64_t w = (uint64_t)(len & 0xff) << 56;
    for (size_t j = 0; i + j < len; j++)
        w |= (uint64_t)m[i + j] << (8 * j);
    v3 ^= w;
    SIPROUND(v0, v1, v2, v3);
    SIPROUND(v0, v1, v2, v3);
    v0 ^= w;
    v2 ^= 0xff;
    for (int r = 0; r < 4; r++)
        SIPROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}
