#include "probe/dispatch.h"

#include <string.h>

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* x ^= x >> 16; x *= 0x45d9f3b; x ^= x >> 16: a bijection on 32 bits whose
 * every output bit depends on every input bit; three cBPF ALU steps. */
#define MIX_MUL 0x45d9f3bu

static uint32_t mix(uint32_t x)
{
    x ^= x >> 16;
    x *= MIX_MUL;
    x ^= x >> 16;
    return x;
}

uint32_t ns_dispatch_hash_addrs(const uint8_t *src, const uint8_t *dst, int ip_version)
{
    size_t words = ip_version == 6 ? 4 : 1;
    uint32_t x = 0;
    for (size_t i = 0; i < words; i++)
        x ^= be32(src + 4 * i) ^ be32(dst + 4 * i);
    return mix(x);
}

uint32_t ns_dispatch_hash(const struct ns_pkt *p)
{
    if (!(p->flags & NS_PKT_F_IP))
        return 0;
    return ns_dispatch_hash_addrs(p->src, p->dst, p->ip_version);
}

size_t ns_dispatch_cbpf(struct sock_filter *prog, int kernel)
{
    /* where the ethertype and the IP header are (see dispatch.h) */
    const uint32_t net = kernel ? (uint32_t)SKF_NET_OFF : 14u;
    size_t n = 0;
#define I(code, jt, jf, k) (prog[n++] = (struct sock_filter){(code), (jt), (jf), (uint32_t)(k)})
    if (kernel)
        I(BPF_LD | BPF_H | BPF_ABS, 0, 0, (uint32_t)SKF_AD_OFF + SKF_AD_PROTOCOL);
    else
        I(BPF_LD | BPF_H | BPF_ABS, 0, 0, 12);
    /* 1 */ I(BPF_JMP | BPF_JEQ | BPF_K, 0, 6, 0x0800); /* IPv4: next; else +6 */
    /* IPv4: source ^ destination (RFC 791 §3.1: at 12 and 16) */
    /* 2 */ I(BPF_LD | BPF_W | BPF_ABS, 0, 0, net + 12);
    /* 3 */ I(BPF_MISC | BPF_TAX, 0, 0, 0);
    /* 4 */ I(BPF_LD | BPF_W | BPF_ABS, 0, 0, net + 16);
    /* 5 */ I(BPF_ALU | BPF_XOR | BPF_X, 0, 0, 0);
    /* 6 */ I(BPF_MISC | BPF_TAX, 0, 0, 0);
    /* 7 */ I(BPF_JMP | BPF_JA, 0, 0, 24);               /* to the mix, past the IPv6 words */
    /* 8 */ I(BPF_JMP | BPF_JEQ | BPF_K, 0, 31, 0x86dd); /* IPv6: next; else ret 0 */
    /* IPv6: the eight words of source and destination (RFC 8200 §3: 8..39),
     * XOR-ed into X */
    /* 9 */ I(BPF_LD | BPF_W | BPF_ABS, 0, 0, net + 8);
    /* 10 */ I(BPF_MISC | BPF_TAX, 0, 0, 0);
    for (uint32_t off = 12; off < 40; off += 4) { /* 7 words, 3 instructions each: 11..31 */
        I(BPF_LD | BPF_W | BPF_ABS, 0, 0, net + off);
        I(BPF_ALU | BPF_XOR | BPF_X, 0, 0, 0);
        I(BPF_MISC | BPF_TAX, 0, 0, 0);
    }
    /* 32: the mix, with the XOR of the words in X */
    I(BPF_MISC | BPF_TXA, 0, 0, 0);
    I(BPF_ALU | BPF_RSH | BPF_K, 0, 0, 16);
    I(BPF_ALU | BPF_XOR | BPF_X, 0, 0, 0);
    I(BPF_ALU | BPF_MUL | BPF_K, 0, 0, MIX_MUL);
    I(BPF_MISC | BPF_TAX, 0, 0, 0);
    I(BPF_ALU | BPF_RSH | BPF_K, 0, 0, 16);
    I(BPF_ALU | BPF_XOR | BPF_X, 0, 0, 0);
    I(BPF_RET | BPF_A, 0, 0, 0);
    /* 40 */ I(BPF_RET | BPF_K, 0, 0, 0);
#undef I
    return n;
}
