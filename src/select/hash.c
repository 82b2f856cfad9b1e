/* hash.c — see hash.h. */
#include "select/hash.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

/* lookup2's tail: bytes 0-3 into a, 4-7 into b, 8-10 into the upper three
 * bytes of c (its low byte holds the length, added by the caller). */
static inline void bob_tail(const uint8_t *k, size_t left, uint32_t *a, uint32_t *b, uint32_t *c)
{
    switch (left) {
    case 11:
        *c += (uint32_t)k[10] << 24;
        __attribute__((fallthrough));
    case 10:
        *c += (uint32_t)k[9] << 16;
        __attribute__((fallthrough));
    case 9:
        *c += (uint32_t)k[8] << 8;
        __attribute__((fallthrough));
    case 8:
        *b += (uint32_t)k[7] << 24;
        __attribute__((fallthrough));
    case 7:
        *b += (uint32_t)k[6] << 16;
        __attribute__((fallthrough));
    case 6:
        *b += (uint32_t)k[5] << 8;
        __attribute__((fallthrough));
    case 5:
        *b += k[4];
        __attribute__((fallthrough));
    case 4:
        *a += (uint32_t)k[3] << 24;
        __attribute__((fallthrough));
    case 3:
        *a += (uint32_t)k[2] << 16;
        __attribute__((fallthrough));
    case 2:
        *a += (uint32_t)k[1] << 8;
        __attribute__((fallthrough));
    case 1:
        *a += k[0];
        break;
    default:
        break;
    }
}

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
    c += (uint32_t)len;
    bob_tail(k, left, &a, &b, &c);
    BOB_MIX(a, b, c);
    return c;
}

#ifdef __SSE2__
/* BOB_MIX on four lanes: the same operations, lane by lane. */
#define V_SUB(x, y) _mm_sub_epi32(x, y)
#define V_ADD(x, y) _mm_add_epi32(x, y)
#define V_XOR(x, y) _mm_xor_si128(x, y)
#define V_MIXSTEP(x, y, z, sh, left)                                                               \
    do {                                                                                           \
        x = V_SUB(x, V_ADD(y, z));                                                                 \
        x = V_XOR(x, (left) ? _mm_slli_epi32(z, sh) : _mm_srli_epi32(z, sh));                      \
    } while (0)
#define BOB_MIX4(a, b, c)                                                                          \
    do {                                                                                           \
        V_MIXSTEP(a, b, c, 13, 0);                                                                 \
        V_MIXSTEP(b, c, a, 8, 1);                                                                  \
        V_MIXSTEP(c, a, b, 13, 0);                                                                 \
        V_MIXSTEP(a, b, c, 12, 0);                                                                 \
        V_MIXSTEP(b, c, a, 16, 1);                                                                 \
        V_MIXSTEP(c, a, b, 5, 0);                                                                  \
        V_MIXSTEP(a, b, c, 3, 0);                                                                  \
        V_MIXSTEP(b, c, a, 10, 1);                                                                 \
        V_MIXSTEP(c, a, b, 15, 0);                                                                 \
    } while (0)

static inline __m128i lanes(const uint8_t *const k[4], size_t off)
{
    return _mm_set_epi32((int)le32(k[3] + off), (int)le32(k[2] + off), (int)le32(k[1] + off),
                         (int)le32(k[0] + off));
}

void ns_hash_bob_x4(const uint8_t *const k[4], size_t len, uint32_t init, uint32_t out[4])
{
    __m128i a = _mm_set1_epi32((int)0x9e3779b9u), b = a, c = _mm_set1_epi32((int)init);
    size_t off = 0;
    for (; len - off >= 12; off += 12) {
        a = V_ADD(a, lanes(k, off));
        b = V_ADD(b, lanes(k, off + 4));
        c = V_ADD(c, lanes(k, off + 8));
        BOB_MIX4(a, b, c);
    }
    uint32_t ta[4] = {0}, tb[4] = {0}, tc[4];
    for (int j = 0; j < 4; j++) {
        tc[j] = (uint32_t)len;
        bob_tail(k[j] + off, len - off, &ta[j], &tb[j], &tc[j]);
    }
    a = V_ADD(a, _mm_loadu_si128((const __m128i *)(const void *)ta));
    b = V_ADD(b, _mm_loadu_si128((const __m128i *)(const void *)tb));
    c = V_ADD(c, _mm_loadu_si128((const __m128i *)(const void *)tc));
    BOB_MIX4(a, b, c);
    _mm_storeu_si128((__m128i *)(void *)out, c);
}

void ns_hash_bob_x4_padded(const uint8_t *const k[4], const uint32_t len[4], uint32_t init,
                           uint32_t out[4])
{
    __m128i a = _mm_set1_epi32((int)0x9e3779b9u), b = a, c = _mm_set1_epi32((int)init);
    size_t end = (size_t)(len[0] / 12u) * 12u, off = 0;
    for (; off < end; off += 12) {
        a = V_ADD(a, lanes(k, off));
        b = V_ADD(b, lanes(k, off + 4));
        c = V_ADD(c, lanes(k, off + 8));
        BOB_MIX4(a, b, c);
    }
    /* the tail: bytes 8-10 go to the upper three bytes of c, its low byte
     * takes the length (byte 11 of the block is padding, shifted out) */
    a = V_ADD(a, lanes(k, off));
    b = V_ADD(b, lanes(k, off + 4));
    c = V_ADD(c, _mm_slli_epi32(lanes(k, off + 8), 8));
    c = V_ADD(c, _mm_set_epi32((int)len[3], (int)len[2], (int)len[1], (int)len[0]));
    BOB_MIX4(a, b, c);
    _mm_storeu_si128((__m128i *)(void *)out, c);
}
#else
void ns_hash_bob_x4(const uint8_t *const k[4], size_t len, uint32_t init, uint32_t out[4])
{
    for (int j = 0; j < 4; j++)
        out[j] = ns_hash_bob(k[j], len, init);
}

void ns_hash_bob_x4_padded(const uint8_t *const k[4], const uint32_t len[4], uint32_t init,
                           uint32_t out[4])
{
    for (int j = 0; j < 4; j++)
        out[j] = ns_hash_bob(k[j], len[j], init);
}
#endif

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
