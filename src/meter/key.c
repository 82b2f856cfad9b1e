#include "meter/key.h"

#include <string.h>

int ns_icmp_pair(uint8_t ip_version, uint8_t type, uint8_t *request, int *is_reply)
{
    if (ip_version == 6) {
        /* RFC 4443 §4.1/4.2: echo request 128, echo reply 129 */
        if (type == 128 || type == 129) {
            *request = 128;
            *is_reply = type == 129;
            return 1;
        }
        return 0;
    }
    switch (type) {
    case 8: /* echo request; reply 0 (RFC 792) */
    case 13:
    case 15:
    case 17: /* timestamp, information, mask requests (RFC 792, RFC 950) */
        *request = type;
        *is_reply = 0;
        return 1;
    case 0:
        *request = 8;
        *is_reply = 1;
        return 1;
    case 14:
    case 16:
    case 18:
        *request = (uint8_t)(type - 1);
        *is_reply = 1;
        return 1;
    default:
        return 0;
    }
}

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "key.c assembles key words for a little-endian host"
#endif

/* An address as two 64-bit words in memory order (IPv4: 4 bytes, then 0). */
static void addr_words(const uint8_t *a, int v6, uint64_t w[2])
{
    if (v6) {
        memcpy(&w[0], a, 8);
        memcpy(&w[1], a + 8, 8);
    } else {
        uint32_t x;
        memcpy(&x, a, 4);
        w[0] = x;
        w[1] = 0;
    }
}

/* Byte-wise order of two addresses, then ports. */
static int words_cmp(const uint64_t x[2], uint16_t xp, const uint64_t y[2], uint16_t yp)
{
    uint64_t x0 = __builtin_bswap64(x[0]), y0 = __builtin_bswap64(y[0]);
    if (x0 != y0)
        return x0 < y0 ? -1 : 1;
    uint64_t x1 = __builtin_bswap64(x[1]), y1 = __builtin_bswap64(y[1]);
    if (x1 != y1)
        return x1 < y1 ? -1 : 1;
    return (int)xp - (int)yp;
}

/*
 * Write the whole key with word-sized stores in the layout of struct
 * ns_flow_key.  The hash reads it back a word at a time right away; built
 * field by field, those loads would each wait for several small stores to
 * retire (a failed store-to-load forward), which cost more than the hash.
 */
static void put_key(struct ns_flow_key *k, const uint64_t a[2], const uint64_t b[2], uint16_t ap,
                    uint16_t bp, const struct ns_pkt *p, uint8_t it, uint8_t ic)
{
    uint64_t w[4] = {a[0], a[1], b[0], b[1]};
    memcpy(k->a, w, 32);
    uint16_t vlan = p->vlan_count ? (uint16_t)(p->vlan[0] & 0x0fff) : 0;
    uint64_t m = (uint64_t)ap | (uint64_t)bp << 16 | (uint64_t)vlan << 32 |
                 (uint64_t)p->ip_version << 48 | (uint64_t)p->proto << 56;
    memcpy(&k->aport, &m, 8);
    uint32_t t = (uint32_t)it | (uint32_t)ic << 8; /* pad stays zero */
    memcpy(&k->icmp_type, &t, 4);
}

int ns_flow_key_make(struct ns_flow_key *k, const struct ns_pkt *p, const struct ns_key_l4 *l4)
{
    _Static_assert(offsetof(struct ns_flow_key, aport) == 32 &&
                       offsetof(struct ns_flow_key, vlan) == 36 &&
                       offsetof(struct ns_flow_key, ip_version) == 38 &&
                       offsetof(struct ns_flow_key, icmp_type) == 40,
                   "put_key() writes this layout");
    if (p->ip_version != 6 && !ns_proto_is_icmp(p->ip_version, p->proto)) {
        /* IPv4 with ports (or none), nearly every packet: the order of
         * (address, port) pairs is one compare of two 48-bit numbers, and
         * the key is written as the six words ns_flow_key_hash() reads,
         * here rather than through put_key(), which stays out of line
         * (measured: 21 more instructions a packet). */
        uint32_t s, d;
        memcpy(&s, p->src, 4);
        memcpy(&d, p->dst, 4);
        uint16_t sp = l4->known ? l4->sport : 0, dp = l4->known ? l4->dport : 0;
        uint64_t xs = (uint64_t)__builtin_bswap32(s) << 16 | sp;
        uint64_t xd = (uint64_t)__builtin_bswap32(d) << 16 | dp;
        int swap = xs > xd;
        uint64_t lo = swap ? d : s, hi = swap ? s : d, zero = 0;
        uint16_t vlan = p->vlan_count ? (uint16_t)(p->vlan[0] & 0x0fff) : 0;
        uint64_t m = (uint64_t)(swap ? dp : sp) | (uint64_t)(swap ? sp : dp) << 16 |
                     (uint64_t)vlan << 32 | (uint64_t)p->ip_version << 48 |
                     (uint64_t)p->proto << 56;
        uint8_t *w = (uint8_t *)k;
        memcpy(w, &lo, 8);
        memcpy(w + 8, &zero, 8);
        memcpy(w + 16, &hi, 8);
        memcpy(w + 24, &zero, 8);
        memcpy(w + 32, &m, 8);
        memcpy(w + 40, &zero, 4);
        return swap;
    }
    int v6 = p->ip_version == 6;
    uint64_t src[2], dst[2];
    addr_words(p->src, v6, src);
    addr_words(p->dst, v6, dst);

    if (ns_proto_is_icmp(p->ip_version, p->proto)) {
        uint8_t req;
        int reply;
        uint8_t code = l4->known ? l4->icmp_code : 0;
        if (l4->known && ns_icmp_pair(p->ip_version, l4->icmp_type, &req, &reply)) {
            /* side a = the requester, whichever message this is */
            put_key(k, reply ? dst : src, reply ? src : dst, 0, 0, p, req, code);
            return reply ? 1 : 0;
        }
        uint8_t type = l4->known ? l4->icmp_type : 0;
        int swap = words_cmp(src, 0, dst, 0) > 0;
        put_key(k, swap ? dst : src, swap ? src : dst, 0, 0, p, type, code);
        return swap;
    }
    uint16_t sp = l4->known ? l4->sport : 0, dp = l4->known ? l4->dport : 0;
    int swap = words_cmp(src, sp, dst, dp) > 0;
    put_key(k, swap ? dst : src, swap ? src : dst, swap ? dp : sp, swap ? sp : dp, p, 0, 0);
    return swap;
}

static uint64_t load64(const uint8_t *b)
{
    uint64_t v;
    memcpy(&v, b, 8);
    return v;
}

static uint64_t mix64(uint64_t x)
{
    /* murmur3 fmix64 finaliser: full avalanche of the accumulated state */
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

uint32_t ns_hash_words(const void *data, size_t n, uint64_t seed)
{
    const uint8_t *b = data;
    /* Two independent lanes halve the chain of dependent multiplies; the
     * finaliser mixes them fully. */
    uint64_t h0 = seed ^ 0x9e3779b97f4a7c15ULL ^ n, h1 = seed ^ 0xc2b2ae3d27d4eb4fULL;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        h0 ^= load64(b + i) * 0x87c37b91114253d5ULL;
        h1 ^= load64(b + i + 8) * 0x4cf5ad432745937fULL;
        h0 = (h0 << 31 | h0 >> 33) * 0x4cf5ad432745937fULL;
        h1 = (h1 << 29 | h1 >> 35) * 0x87c37b91114253d5ULL;
    }
    if (i + 8 <= n) {
        h0 ^= load64(b + i) * 0x87c37b91114253d5ULL;
        i += 8;
    }
    if (i + 4 <= n) {
        uint32_t tail;
        memcpy(&tail, b + i, 4);
        h1 ^= tail;
    }
    return (uint32_t)mix64(h0 ^ (h1 << 32 | h1 >> 32));
}

uint32_t ns_flow_key_hash(const struct ns_flow_key *k, uint64_t seed)
{
    _Static_assert(sizeof(struct ns_flow_key) == 44, "key layout");
    /* The key has a fixed size: six independent multiplies (no chain of
     * dependent ones, as a generic loop has) folded by rotations, then the
     * full-avalanche finaliser.  The seed enters every lane. */
    const uint8_t *b = (const uint8_t *)k;
    uint32_t tail;
    memcpy(&tail, b + 40, 4);
    uint64_t a0 = (load64(b) ^ seed) * 0x87c37b91114253d5ULL;
    uint64_t a1 = (load64(b + 8) + seed) * 0x4cf5ad432745937fULL;
    uint64_t a2 = (load64(b + 16) ^ seed) * 0x9e3779b97f4a7c15ULL;
    uint64_t a3 = (load64(b + 24) + seed) * 0xc2b2ae3d27d4eb4fULL;
    uint64_t a4 = (load64(b + 32) ^ seed) * 0x165667b19e3779f9ULL;
    uint64_t a5 = ((uint64_t)tail + seed) * 0xff51afd7ed558ccdULL;
    uint64_t h = a0 ^ (a1 << 13 | a1 >> 51) ^ (a2 << 26 | a2 >> 38) ^ (a3 << 39 | a3 >> 25) ^
                 (a4 << 52 | a4 >> 12) ^ (a5 << 7 | a5 >> 57);
    return (uint32_t)mix64(h);
}

int ns_flow_key_equal(const struct ns_flow_key *x, const struct ns_flow_key *y)
{
    return memcmp(x, y, sizeof *x) == 0;
}
