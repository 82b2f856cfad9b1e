#include "meter/key.h"

#include <string.h>

int ns_proto_has_ports(uint8_t proto)
{
    return proto == 6 || proto == 17 || proto == 33 || proto == 132 || proto == 136;
}

int ns_proto_is_icmp(uint8_t ip_version, uint8_t proto)
{
    return (ip_version == 4 && proto == 1) || (ip_version == 6 && proto == 58);
}

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

static uint64_t load_be64(const uint8_t *b)
{
    uint64_t v;
    memcpy(&v, b, 8);
    return __builtin_bswap64(v); /* x86/arm little-endian hosts */
}

/* Byte-wise (memcmp) order of the addresses, then ports, without a call:
 * big-endian 64-bit words compare exactly as their bytes do. */
static int endpoint_cmp(const uint8_t *x, uint16_t xp, const uint8_t *y, uint16_t yp)
{
    uint64_t x0 = load_be64(x), y0 = load_be64(y);
    if (x0 != y0)
        return x0 < y0 ? -1 : 1;
    uint64_t x1 = load_be64(x + 8), y1 = load_be64(y + 8);
    if (x1 != y1)
        return x1 < y1 ? -1 : 1;
    return (int)xp - (int)yp;
}

int ns_flow_key_make(struct ns_flow_key *k, const struct ns_pkt *p, const struct ns_key_l4 *l4)
{
    memset(k, 0, sizeof *k);
    k->ip_version = p->ip_version;
    k->proto = p->proto;
    k->vlan = p->vlan_count ? (uint16_t)(p->vlan[0] & 0x0fff) : 0;
    size_t alen = p->ip_version == 6 ? 16 : 4;
    uint8_t src[16] = {0}, dst[16] = {0};
    memcpy(src, p->src, alen);
    memcpy(dst, p->dst, alen);

    if (ns_proto_is_icmp(p->ip_version, p->proto)) {
        uint8_t req;
        int reply;
        k->icmp_code = l4->known ? l4->icmp_code : 0;
        if (l4->known && ns_icmp_pair(p->ip_version, l4->icmp_type, &req, &reply)) {
            /* side a = the requester, whichever message this is */
            k->icmp_type = req;
            memcpy(k->a, reply ? dst : src, 16);
            memcpy(k->b, reply ? src : dst, 16);
            return reply ? 1 : 0;
        }
        k->icmp_type = l4->known ? l4->icmp_type : 0;
        if (endpoint_cmp(src, 0, dst, 0) <= 0) {
            memcpy(k->a, src, 16);
            memcpy(k->b, dst, 16);
            return 0;
        }
        memcpy(k->a, dst, 16);
        memcpy(k->b, src, 16);
        return 1;
    }
    uint16_t sp = l4->known ? l4->sport : 0, dp = l4->known ? l4->dport : 0;
    if (endpoint_cmp(src, sp, dst, dp) <= 0) {
        memcpy(k->a, src, 16);
        memcpy(k->b, dst, 16);
        k->aport = sp;
        k->bport = dp;
        return 0;
    }
    memcpy(k->a, dst, 16);
    memcpy(k->b, src, 16);
    k->aport = dp;
    k->bport = sp;
    return 1;
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
    return ns_hash_words(k, sizeof *k, seed);
}

int ns_flow_key_equal(const struct ns_flow_key *x, const struct ns_flow_key *y)
{
    return memcmp(x, y, sizeof *x) == 0;
}
