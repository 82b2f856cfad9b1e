/*
 * test_pkt.c — packet decoder: hand-built frames for every encapsulation
 * with exact field values, truncation at every byte offset (each cut copied
 * into a heap buffer of exactly caplen bytes, so ASan catches any read past
 * it), determinism of every result field, the malformed-reason table, and
 * a few real captures from $NS_SHARED/pcaps whose values tshark confirms.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkt/pkt.h"

/* ---------- frame builder ---------- */

struct fb {
    uint8_t b[4096];
    uint32_t n;
};

static void put(struct fb *f, const void *d, uint32_t n)
{
    assert_true(f->n + n <= sizeof f->b);
    memcpy(f->b + f->n, d, n);
    f->n += n;
}
static void u8(struct fb *f, uint8_t v)
{
    put(f, &v, 1);
}
static void be16(struct fb *f, uint16_t v)
{
    u8(f, (uint8_t)(v >> 8));
    u8(f, (uint8_t)v);
}
static void be32(struct fb *f, uint32_t v)
{
    be16(f, (uint16_t)(v >> 16));
    be16(f, (uint16_t)v);
}
static void zeros(struct fb *f, uint32_t n)
{
    while (n--)
        u8(f, 0);
}
static void patch16(struct fb *f, uint32_t at, uint16_t v)
{
    f->b[at] = (uint8_t)(v >> 8);
    f->b[at + 1] = (uint8_t)v;
}

static const uint8_t MAC_D[6] = {0x02, 0, 0, 0, 0, 0xdd};
static const uint8_t MAC_S[6] = {0x02, 0, 0, 0, 0, 0x55};
static const uint8_t A4[4] = {192, 0, 2, 1}, B4[4] = {198, 51, 100, 7};
static const uint8_t A6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t B6[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, [15] = 2};

static void eth(struct fb *f, uint16_t type)
{
    put(f, MAC_D, 6);
    put(f, MAC_S, 6);
    be16(f, type);
}

/* IPv4 header with `optlen` option bytes taken from opt; total length is
 * patched by ip4_end(). Returns the header offset. */
static uint32_t ip4_begin(struct fb *f, uint8_t proto, const uint8_t *opt, uint8_t optlen,
                          uint16_t frag)
{
    uint32_t at = f->n;
    u8(f, (uint8_t)(0x40 | (5 + optlen / 4)));
    u8(f, 0x28); /* tos */
    be16(f, 0);  /* total length, patched */
    be16(f, 0x1234);
    be16(f, frag);
    u8(f, 61); /* ttl */
    u8(f, proto);
    be16(f, 0);
    put(f, A4, 4);
    put(f, B4, 4);
    if (optlen)
        put(f, opt, optlen);
    return at;
}
static void ip4_end(struct fb *f, uint32_t at)
{
    patch16(f, at + 2, (uint16_t)(f->n - at));
}

static uint32_t ip6_begin(struct fb *f, uint8_t nxt)
{
    uint32_t at = f->n;
    be32(f, 0x6ab12345u); /* tc 0xab, flow label 0x12345 */
    be16(f, 0);           /* payload length, patched */
    u8(f, nxt);
    u8(f, 64);
    put(f, A6, 16);
    put(f, B6, 16);
    return at;
}
static void ip6_end(struct fb *f, uint32_t at)
{
    patch16(f, at + 4, (uint16_t)(f->n - at - 40));
}

/* TCP with MSS, SACK-permitted, timestamps, NOP, window scale, SACK. */
static void tcp_full(struct fb *f, uint32_t payload)
{
    be16(f, 40000);
    be16(f, 443);
    be32(f, 0x01020304);
    be32(f, 0xa0b0c0d0);
    u8(f, (uint8_t)(((20 + 32) / 4) << 4 | 1)); /* doff 13, AE */
    u8(f, 0x12);                                /* SYN ACK */
    be16(f, 29200);
    be16(f, 0);
    be16(f, 0);
    static const uint8_t opts[32] = {2, 4,  0x05, 0xb4,                    /* MSS 1460 */
                                     4, 2,                                 /* SACKOK */
                                     8, 10, 0,    0,    0, 1, 0, 0, 0, 2,  /* TS 1, 2 */
                                     1, 3,  3,    7,                       /* NOP WS 7 */
                                     5, 10, 0,    0,    0, 9, 0, 0, 0, 10, /* SACK */
                                     1, 0};
    put(f, opts, 32);
    for (uint32_t i = 0; i < payload; i++)
        u8(f, (uint8_t)(0xc0 + i));
}

static void tcp_plain(struct fb *f, uint32_t payload)
{
    be16(f, 1234);
    be16(f, 80);
    be32(f, 7);
    be32(f, 9);
    u8(f, 5 << 4);
    u8(f, 0x18);
    be16(f, 1000);
    be32(f, 0);
    for (uint32_t i = 0; i < payload; i++)
        u8(f, (uint8_t)i);
}

static void udp(struct fb *f, uint32_t payload)
{
    be16(f, 5353);
    be16(f, 53);
    be16(f, (uint16_t)(8 + payload));
    be16(f, 0);
    for (uint32_t i = 0; i < payload; i++)
        u8(f, (uint8_t)i);
}

static int decode(struct ns_pkt *p, int lt, const struct fb *f)
{
    memset(p, 0xa5, sizeof *p); /* garbage: decode must reset what it needs */
    p->ts_ns = 1;
    p->caplen = f->n;
    p->wirelen = f->n;
    p->ifindex = 0;
    return ns_pkt_decode(p, lt, f->b);
}

static void expect_v4_addrs(const struct ns_pkt *p)
{
    uint8_t s[16] = {0}, d[16] = {0};
    memcpy(s, A4, 4);
    memcpy(d, B4, 4);
    assert_int_equal(p->ip_version, 4);
    assert_memory_equal(p->src, s, 16);
    assert_memory_equal(p->dst, d, 16);
}

static void expect_v6_addrs(const struct ns_pkt *p)
{
    assert_int_equal(p->ip_version, 6);
    assert_memory_equal(p->src, A6, 16);
    assert_memory_equal(p->dst, B6, 16);
}

/* ---------- Ethernet, IPv4, TCP ---------- */

static void eth_ipv4_tcp_options(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    eth(&f, 0x0800);
    uint32_t ip = ip4_begin(&f, 6, NULL, 0, 0x4000 /* DF */);
    tcp_full(&f, 10);
    ip4_end(&f, ip);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.malformed, NS_MAL_NONE);
    assert_memory_equal(p.dst_mac, MAC_D, 6);
    assert_memory_equal(p.src_mac, MAC_S, 6);
    assert_int_equal(p.ethertype, 0x0800);
    assert_int_equal(p.vlan_count, 0);
    assert_int_equal(p.mpls_count, 0);
    expect_v4_addrs(&p);
    assert_int_equal(p.proto, 6);
    assert_int_equal(p.ttl, 61);
    assert_int_equal(p.tos, 0x28);
    assert_int_equal(p.ip_len, 20 + 52 + 10);
    assert_int_equal(p.ip_hdr_len, 20);
    assert_int_equal(p.sport, 40000);
    assert_int_equal(p.dport, 443);
    assert_int_equal(p.tcp_seq, 0x01020304);
    assert_int_equal(p.tcp_ack, 0xa0b0c0d0);
    assert_int_equal(p.tcp_flags, 0x12);
    assert_int_equal(p.tcp_ae, 1);
    assert_int_equal(p.tcp_win, 29200);
    assert_int_equal(p.tcp_mss, 1460);
    assert_int_equal(p.tcp_wscale, 7);
    assert_int_equal(p.tcp_tsval, 1);
    assert_int_equal(p.tcp_tsecr, 2);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_L4 | NS_PKT_F_TCP_OPT_MSS |
                                  NS_PKT_F_TCP_OPT_WS | NS_PKT_F_TCP_OPT_SACKOK |
                                  NS_PKT_F_TCP_OPT_TS | NS_PKT_F_TCP_OPT_SACK);
    assert_int_equal(p.l4_payload_len, 10);
    assert_int_equal(p.payload_caplen, 10);
    assert_ptr_equal(p.payload, f.b + 14 + 20 + 52);
    assert_int_equal(p.payload[0], 0xc0);
    /* fields of other protocols are reset */
    assert_int_equal(p.esp_spi, 0);
    assert_int_equal(p.gre_key, 0);
    assert_int_equal(p.sctp_vtag, 0);
    assert_int_equal(p.frag_id, 0);
    assert_int_equal(p.icmp_type, 0);
    assert_int_equal(p.pppoe_session, 0);
    assert_int_equal(p.flow_label, 0);
    /* metadata untouched */
    assert_int_equal(p.ts_ns, 1);
    assert_int_equal(p.caplen, f.n);
}

static void eth_padding_not_payload(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    eth(&f, 0x0800);
    uint32_t ip = ip4_begin(&f, 17, NULL, 0, 0);
    udp(&f, 2);
    ip4_end(&f, ip);
    zeros(&f, 60 - f.n); /* Ethernet minimum frame padding */
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.ip_len, 30);
    assert_int_equal(p.sport, 5353);
    assert_int_equal(p.dport, 53);
    assert_int_equal(p.l4_payload_len, 2);
    assert_int_equal(p.payload_caplen, 2);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_L4);
}

static void ip4_snaplen_is_not_malformed(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    eth(&f, 0x0800);
    uint32_t ip = ip4_begin(&f, 6, NULL, 0, 0);
    tcp_plain(&f, 1000);
    ip4_end(&f, ip);
    memset(&p, 0, sizeof p);
    p.caplen = 14 + 20 + 20 + 6;
    p.wirelen = f.n;
    assert_int_equal(ns_pkt_decode(&p, NS_LINK_ETHERNET, f.b), 0);
    assert_int_equal(p.malformed, NS_MAL_NONE);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_L4 | NS_PKT_F_IP_TRUNC);
    assert_int_equal(p.ip_len, 1040);
    assert_int_equal(p.l4_payload_len, 1000);
    assert_int_equal(p.payload_caplen, 6);
}

static void ip4_total_length_zero_tso(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    eth(&f, 0x0800);
    uint32_t ip = ip4_begin(&f, 6, NULL, 0, 0);
    tcp_plain(&f, 100);
    (void)ip; /* total length stays 0 */
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.ip_len, 140);
    assert_int_equal(p.l4_payload_len, 100);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_L4);
    /* cut by the snaplen: the wire length tells the rest */
    memset(&p, 0, sizeof p);
    p.caplen = 14 + 40 + 10;
    p.wirelen = 14 + 70000;
    assert_int_equal(ns_pkt_decode(&p, NS_LINK_ETHERNET, f.b), 0);
    assert_int_equal(p.ip_len, 70000);
    assert_int_equal(p.l4_payload_len, 70000 - 40);
    assert_int_equal(p.payload_caplen, 10);
    assert_true(p.flags & NS_PKT_F_IP_TRUNC);
}

static void ip4_options(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    /* NOP, record route (len 7, pointer 4, one slot), EOL */
    static const uint8_t rr[8] = {1, 7, 7, 4, 10, 0, 0, 1};
    static const uint8_t ok[8] = {1, 1, 0x44, 4, 5, 0, 0, 0};
    eth(&f, 0x0800);
    uint32_t ip = ip4_begin(&f, 17, rr, 8, 0);
    udp(&f, 0);
    ip4_end(&f, ip);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.ip_hdr_len, 28);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_L4 | NS_PKT_F_IP4_OPTIONS);
    assert_int_equal(p.dport, 53);
    /* timestamp option claiming 4 bytes is fine ... */
    f.n = 0;
    eth(&f, 0x0800);
    ip = ip4_begin(&f, 17, ok, 8, 0);
    udp(&f, 0);
    ip4_end(&f, ip);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    /* ... one claiming more than the header is not: addresses stay */
    f.b[14 + 20 + 3] = 9;
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_IP4_OPTIONS);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_IP4_OPTIONS);
    expect_v4_addrs(&p);
    /* length byte 1 */
    f.b[14 + 20 + 3] = 1;
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_IP4_OPTIONS);
}

static void ip4_header_checks(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    eth(&f, 0x0800);
    uint32_t ip = ip4_begin(&f, 6, NULL, 0, 0);
    tcp_plain(&f, 0);
    ip4_end(&f, ip);
    f.b[14] = 0x44; /* IHL 4 */
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_IP4_HLEN);
    assert_int_equal(p.flags, 0);
    f.b[14] = 0x45;
    patch16(&f, 16, 19);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_IP4_TOTLEN);
    f.b[14] = 0x47; /* 28-byte header, total length 24 */
    patch16(&f, 16, 24);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_IP4_HLEN);
    f.b[14] = 0x65; /* version 6 behind ethertype 0x0800 */
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_IP_VERSION);
}

static void ip4_fragments(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    eth(&f, 0x0800);
    uint32_t ip = ip4_begin(&f, 17, NULL, 0, 0x2000); /* MF, offset 0 */
    udp(&f, 100);
    ip4_end(&f, ip);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_L4 | NS_PKT_F_FRAG | NS_PKT_F_FRAG_FIRST |
                                  NS_PKT_F_FRAG_MORE);
    assert_int_equal(p.frag_id, 0x1234);
    assert_int_equal(p.frag_off, 0);
    assert_int_equal(p.dport, 53);
    /* the UDP length covers the whole datagram, beyond this fragment: still
     * a transport header (ndpi-badpackets.pcap, ndpi-dns-fragmented.pcap) */
    patch16(&f, 34 + 4, 1700);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.malformed, NS_MAL_NONE);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_L4 | NS_PKT_F_FRAG | NS_PKT_F_FRAG_FIRST |
                                  NS_PKT_F_FRAG_MORE);
    assert_int_equal(p.dport, 53);
    assert_int_equal(p.l4_payload_len, 1692);
    assert_int_equal(p.payload_caplen, 100);
    /* ... but not below the header, nor beyond the packet when unfragmented */
    patch16(&f, 34 + 4, 7);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_UDP_LEN);
    patch16(&f, 34 + 4, 1700);
    patch16(&f, 14 + 6, 0);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_UDP_LEN);
    patch16(&f, 14 + 6, 0x2000);
    patch16(&f, 34 + 4, 108);
    /* middle fragment at 1480: no transport header, payload is IP payload */
    patch16(&f, 14 + 6, 0x2000 | 185);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_FRAG | NS_PKT_F_FRAG_MORE);
    assert_int_equal(p.frag_off, 1480);
    assert_int_equal(p.sport, 0);
    assert_int_equal(p.l4_payload_len, 108);
    assert_int_equal(p.payload_caplen, 108);
    assert_ptr_equal(p.payload, f.b + 34);
    /* last fragment */
    patch16(&f, 14 + 6, 185);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_FRAG);
    /* DF alone is not a fragment */
    patch16(&f, 14 + 6, 0x4000);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_L4);
}

/* A first fragment's UDP length is the whole datagram's (RFC 768), larger
 * than the fragment: ports are valid (found on ndpi-dns-fragmented.pcap,
 * where every fragmented DNS response lost its ports). */
static void udp_first_fragment(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    eth(&f, 0x0800);
    uint32_t ip = ip4_begin(&f, 17, NULL, 0, 0x2000); /* MF, offset 0 */
    udp(&f, 100);
    ip4_end(&f, ip);
    patch16(&f, 34 + 4, 1730); /* datagram of 1722 payload octets */
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_L4 | NS_PKT_F_FRAG | NS_PKT_F_FRAG_FIRST |
                                  NS_PKT_F_FRAG_MORE);
    assert_int_equal(p.sport, 5353);
    assert_int_equal(p.dport, 53);
    assert_int_equal(p.l4_payload_len, 1722);
    assert_int_equal(p.payload_caplen, 100);
    assert_ptr_equal(p.payload, f.b + 42);
    /* the same length in a whole (unfragmented) datagram is a lie */
    patch16(&f, 14 + 6, 0);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_UDP_LEN);
    /* and so is a length below the header, fragment or not */
    patch16(&f, 14 + 6, 0x2000);
    patch16(&f, 34 + 4, 7);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_UDP_LEN);

    /* IPv6: fragment header, offset 0, M set */
    struct fb g = {0};
    eth(&g, 0x86dd);
    ip = ip6_begin(&g, 44);
    u8(&g, 17);
    u8(&g, 0);
    be16(&g, 1);
    be32(&g, 0x28403c0b);
    udp(&g, 100);
    ip6_end(&g, ip);
    patch16(&g, 14 + 48 + 4, 1496);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &g), 0);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_L4 | NS_PKT_F_FRAG | NS_PKT_F_FRAG_FIRST |
                                  NS_PKT_F_FRAG_MORE);
    assert_int_equal(p.dport, 53);
    assert_int_equal(p.l4_payload_len, 1488);
    assert_int_equal(p.payload_caplen, 100);
}

static void ip4_ah(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    eth(&f, 0x0800);
    uint32_t ip = ip4_begin(&f, 51, NULL, 0, 0);
    u8(&f, 6); /* next: TCP */
    u8(&f, 4); /* (4 + 2) * 4 = 24 bytes */
    be16(&f, 0);
    be32(&f, 0x1000); /* SPI */
    be32(&f, 1);      /* seq */
    zeros(&f, 12);    /* ICV */
    tcp_plain(&f, 4);
    ip4_end(&f, ip);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.proto, 6);
    assert_int_equal(p.ip_hdr_len, 44);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_L4 | NS_PKT_F_AH);
    assert_int_equal(p.dport, 80);
    assert_int_equal(p.l4_payload_len, 4);
    /* AH longer than the packet */
    f.b[14 + 21] = 40;
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_AH_TRUNC);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_AH);
}

/* ---------- L2 encapsulations ---------- */

static void llc_snap(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    put(&f, MAC_D, 6);
    put(&f, MAC_S, 6);
    be16(&f, 0); /* 802.3 length, patched */
    static const uint8_t snap[8] = {0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00};
    put(&f, snap, 8);
    uint32_t ip = ip4_begin(&f, 17, NULL, 0, 0);
    udp(&f, 3);
    ip4_end(&f, ip);
    patch16(&f, 12, (uint16_t)(f.n - 14));
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.ethertype, 0x0800);
    assert_int_equal(p.ip_len, 31);
    assert_int_equal(p.dport, 53);
    /* vendor OUI: not an ethertype */
    f.b[17] = 0x0c;
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_NONE);
    assert_int_equal(p.flags, 0);
    /* spanning tree LLC (0x42): counted, not IP */
    f.b[14] = f.b[15] = 0x42;
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_NONE);
    assert_int_equal(p.ethertype, 0);
}

static void vlan_stacks(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    static const uint16_t tpid[6] = {0x88a8, 0x8100, 0x9100, 0x8100, 0x8100, 0x8100};
    put(&f, MAC_D, 6);
    put(&f, MAC_S, 6);
    for (int i = 0; i < 6; i++) {
        be16(&f, tpid[i]);
        be16(&f, (uint16_t)(0xe000 | (100 + i))); /* PCP 7 must be masked */
    }
    be16(&f, 0x86dd);
    uint32_t ip = ip6_begin(&f, 17);
    udp(&f, 0);
    ip6_end(&f, ip);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.vlan_count, 6);
    for (int i = 0; i < NS_PKT_MAX_VLANS; i++)
        assert_int_equal(p.vlan[i], 100 + i);
    assert_int_equal(p.ethertype, 0x86dd);
    expect_v6_addrs(&p);
    assert_int_equal(p.ip_len, 48);
    /* QinQ with two tags */
    f.n = 0;
    eth(&f, 0x88a8);
    be16(&f, 10);
    be16(&f, 0x8100);
    be16(&f, 20);
    be16(&f, 0x0800);
    ip = ip4_begin(&f, 1, NULL, 0, 0);
    be32(&f, 0x08000000);
    be32(&f, 0);
    ip4_end(&f, ip);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.vlan_count, 2);
    assert_int_equal(p.vlan[0], 10);
    assert_int_equal(p.vlan[1], 20);
    assert_int_equal(p.vlan[2], 0);
    assert_int_equal(p.icmp_type, 8);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_L4);
    f.n = 16;
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_VLAN_TRUNC);
}

static void mpls_stack(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    eth(&f, 0x8847);
    be32(&f, 16000u << 12 | 0x40 | 255); /* tc 0, ttl 255... exp bits */
    be32(&f, 17u << 12 | 0);
    be32(&f, 2u << 12 | 0x100 | 64); /* IPv6 explicit null, bottom */
    uint32_t ip = ip6_begin(&f, 6);
    tcp_plain(&f, 0);
    ip6_end(&f, ip);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.mpls_count, 3);
    assert_int_equal(p.mpls_top, 16000u << 12 | 0x40 | 255);
    assert_int_equal(p.ethertype, 0x8847);
    expect_v6_addrs(&p);
    assert_int_equal(p.dport, 80);
    /* pseudowire control word after the stack: not IP */
    f.b[14 + 12] = 0x00;
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_NONE);
    assert_int_equal(p.flags, 0);
    assert_int_equal(p.mpls_count, 3);
    /* no bottom of stack before the end */
    f.n = 0;
    eth(&f, 0x8847);
    be32(&f, 1u << 12);
    be32(&f, 2u << 12);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_MPLS_TRUNC);
    assert_int_equal(p.mpls_count, 2);
}

static void pppoe_session(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    eth(&f, 0x8100);
    be16(&f, 7);
    be16(&f, 0x8864);
    u8(&f, 0x11);
    u8(&f, 0);
    be16(&f, 0xbeef);
    be16(&f, 0); /* length, patched */
    be16(&f, 0x0021);
    uint32_t ip = ip4_begin(&f, 17, NULL, 0, 0);
    udp(&f, 1);
    ip4_end(&f, ip);
    patch16(&f, 18 + 4, (uint16_t)(f.n - 24));
    zeros(&f, 8); /* padding after the PPPoE payload */
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.pppoe_session, 0xbeef);
    assert_int_equal(p.ethertype, 0x8864);
    assert_int_equal(p.vlan_count, 1);
    assert_int_equal(p.ip_len, 29);
    assert_int_equal(p.payload_caplen, 1);
    /* IPv6 with a compressed (1-byte) PPP protocol field */
    f.n = 0;
    eth(&f, 0x8864);
    u8(&f, 0x11);
    u8(&f, 0);
    be16(&f, 1);
    be16(&f, 0);
    u8(&f, 0x57);
    ip = ip6_begin(&f, 59);
    ip6_end(&f, ip);
    patch16(&f, 18, (uint16_t)(f.n - 20));
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    expect_v6_addrs(&p);
    assert_int_equal(p.proto, 59);
    /* bad version/type */
    f.b[14] = 0x12;
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_PPPOE);
    /* LCP: not IP, not malformed */
    f.b[14] = 0x11;
    f.b[20] = 0xc0;
    f.b[21] = 0x21;
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_NONE);
    assert_int_equal(p.flags, 0);
}

static void pbb(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    eth(&f, 0x88e7);
    be32(&f, 0x00012345); /* I-TAG */
    put(&f, MAC_S, 6);
    put(&f, MAC_D, 6);
    be16(&f, 0x0800);
    uint32_t ip = ip4_begin(&f, 17, NULL, 0, 0);
    udp(&f, 0);
    ip4_end(&f, ip);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.ethertype, 0x0800);
    assert_memory_equal(p.dst_mac, MAC_D, 6);
    assert_int_equal(p.ip_len, 28);
}

/* ---------- other link types ---------- */

static void linux_sll_and_sll2(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    be16(&f, 0); /* to us */
    be16(&f, 1); /* ARPHRD_ETHER */
    be16(&f, 6);
    put(&f, MAC_S, 6);
    zeros(&f, 2);
    be16(&f, 0x86dd);
    uint32_t ip = ip6_begin(&f, 58);
    u8(&f, 128);
    u8(&f, 0);
    be16(&f, 0);
    be32(&f, 0x00010002);
    ip6_end(&f, ip);
    assert_int_equal(decode(&p, NS_LINK_LINUX_SLL, &f), 0);
    assert_memory_equal(p.src_mac, MAC_S, 6);
    expect_v6_addrs(&p);
    assert_int_equal(p.icmp_type, 128);
    assert_int_equal(p.tos, 0xab);
    assert_int_equal(p.flow_label, 0x12345);
    assert_int_equal(p.ttl, 64);
    assert_int_equal(p.ip_len, 48);

    f.n = 0;
    be16(&f, 0x0800);
    be16(&f, 0);
    be32(&f, 3); /* ifindex */
    be16(&f, 1);
    u8(&f, 4); /* outgoing */
    u8(&f, 6);
    put(&f, MAC_S, 6);
    zeros(&f, 2);
    ip = ip4_begin(&f, 132, NULL, 0, 0);
    be16(&f, 2905);
    be16(&f, 2906);
    be32(&f, 0xcafef00d);
    be32(&f, 0);
    ip4_end(&f, ip);
    assert_int_equal(decode(&p, NS_LINK_LINUX_SLL2, &f), 0);
    assert_memory_equal(p.src_mac, MAC_S, 6);
    assert_int_equal(p.sport, 2905);
    assert_int_equal(p.dport, 2906);
    assert_int_equal(p.sctp_vtag, 0xcafef00d);
    assert_int_equal(p.l4_payload_len, 0);
    f.n = 19;
    assert_int_equal(decode(&p, NS_LINK_LINUX_SLL2, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_L2_TRUNC);
}

static void raw_links(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    uint32_t ip = ip4_begin(&f, 17, NULL, 0, 0);
    udp(&f, 0);
    ip4_end(&f, ip);
    static const int v4ok[] = {NS_LINK_RAW, NS_LINK_DLT_RAW_BSD, NS_LINK_DLT_RAW_OBSD,
                               NS_LINK_IPV4};
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(decode(&p, v4ok[i], &f), 0);
        assert_int_equal(p.ethertype, 0x0800);
        expect_v4_addrs(&p);
        assert_int_equal(p.ip_len, 28);
        assert_int_equal(p.src_mac[0], 0);
    }
    assert_int_equal(decode(&p, NS_LINK_IPV6, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_IP_VERSION);
    f.n = 0;
    ip = ip6_begin(&f, 17);
    udp(&f, 0);
    ip6_end(&f, ip);
    assert_int_equal(decode(&p, NS_LINK_RAW, &f), 0);
    expect_v6_addrs(&p);
    assert_int_equal(decode(&p, NS_LINK_IPV6, &f), 0);
    assert_int_equal(p.ethertype, 0x86dd);
    assert_int_equal(decode(&p, NS_LINK_IPV4, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_IP_VERSION);
    f.b[0] = 0x50;
    assert_int_equal(decode(&p, NS_LINK_RAW, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_IP_VERSION);
    f.n = 0;
    assert_int_equal(decode(&p, NS_LINK_RAW, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_L2_TRUNC);
}

static void null_and_loop(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    static const struct {
        uint8_t hdr[4];
        int link;
        int ver;
    } cases[] = {
        {{2, 0, 0, 0}, NS_LINK_NULL, 4},  /* little-endian writer */
        {{0, 0, 0, 2}, NS_LINK_NULL, 4},  /* big-endian writer */
        {{10, 0, 0, 0}, NS_LINK_NULL, 6}, /* Linux */
        {{24, 0, 0, 0}, NS_LINK_NULL, 6}, /* NetBSD/OpenBSD */
        {{0, 0, 0, 28}, NS_LINK_NULL, 6}, /* FreeBSD, big-endian */
        {{30, 0, 0, 0}, NS_LINK_NULL, 6}, /* Darwin */
        {{0, 0, 0, 2}, NS_LINK_LOOP, 4},  {{0, 0, 0, 24}, NS_LINK_LOOP, 6},
        {{7, 0, 0, 0}, NS_LINK_NULL, 0}, /* not IP */
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        f.n = 0;
        put(&f, cases[i].hdr, 4);
        uint32_t ip = cases[i].ver == 6 ? ip6_begin(&f, 17) : ip4_begin(&f, 17, NULL, 0, 0);
        udp(&f, 0);
        if (cases[i].ver == 6)
            ip6_end(&f, ip);
        else
            ip4_end(&f, ip);
        int rc = decode(&p, cases[i].link, &f);
        if (cases[i].ver) {
            assert_int_equal(rc, 0);
            assert_int_equal(p.ip_version, cases[i].ver);
            assert_int_equal(p.ethertype, cases[i].ver == 4 ? 0x0800 : 0x86dd);
            assert_int_equal(p.dport, 53);
        } else {
            assert_int_equal(rc, 1);
            assert_int_equal(p.malformed, NS_MAL_NONE);
            assert_int_equal(p.flags, 0);
        }
    }
}

static void ppp_links(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    static const uint8_t hdrs[][4] = {
        {0xff, 0x03, 0x00, 0x21}, /* HDLC-like framing */
        {0x00, 0x21},             /* bare protocol */
        {0x21},                   /* compressed protocol */
        {0x0f, 0x00, 0x08, 0x00}, /* Cisco HDLC on a PPP link */
    };
    static const uint32_t lens[] = {4, 2, 1, 4};
    for (unsigned i = 0; i < 4; i++) {
        f.n = 0;
        put(&f, hdrs[i], lens[i]);
        uint32_t ip = ip4_begin(&f, 6, NULL, 0, 0);
        tcp_plain(&f, 1);
        ip4_end(&f, ip);
        assert_int_equal(decode(&p, NS_LINK_PPP, &f), 0);
        expect_v4_addrs(&p);
        assert_int_equal(p.l4_payload_len, 1);
    }
    /* MPLS over PPP, then IPv6 */
    f.n = 0;
    static const uint8_t mh[4] = {0xff, 0x03, 0x02, 0x81};
    put(&f, mh, 4);
    be32(&f, 100u << 12 | 0x100 | 1);
    uint32_t ip = ip6_begin(&f, 17);
    udp(&f, 0);
    ip6_end(&f, ip);
    assert_int_equal(decode(&p, NS_LINK_PPP, &f), 0);
    assert_int_equal(p.mpls_count, 1);
    assert_int_equal(p.mpls_top >> 12, 100);
    expect_v6_addrs(&p);
    /* LINKTYPE_C_HDLC */
    f.n = 0;
    static const uint8_t ch[4] = {0x8f, 0x00, 0x86, 0xdd};
    put(&f, ch, 4);
    ip = ip6_begin(&f, 17);
    udp(&f, 0);
    ip6_end(&f, ip);
    assert_true(ns_pkt_linktype_supported(104));
    assert_int_equal(decode(&p, 104, &f), 0);
    expect_v6_addrs(&p);
}

static void tlv(struct fb *f, uint16_t type, const void *v, uint16_t len)
{
    uint16_t l = (uint16_t)(4 + len);
    put(f, &l, 2); /* host order, as libpcap hands NFLOG TLVs over */
    put(f, &type, 2);
    if (len)
        put(f, v, len);
    while (f->n % 4)
        u8(f, 0);
}

static void nflog(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    u8(&f, 2); /* AF_INET */
    u8(&f, 0);
    be16(&f, 1);
    tlv(&f, 10, "prefix\0", 7); /* NFULA_PREFIX, padded */
    struct fb ipf = {0};
    uint32_t ip = ip4_begin(&ipf, 6, NULL, 0, 0);
    tcp_plain(&ipf, 3);
    ip4_end(&ipf, ip);
    tlv(&f, 9, ipf.b, (uint16_t)ipf.n);
    tlv(&f, 11, "\0\0\0\1", 4); /* NFULA_UID after the payload */
    assert_int_equal(decode(&p, NS_LINK_NFLOG, &f), 0);
    expect_v4_addrs(&p);
    assert_int_equal(p.ethertype, 0x0800);
    assert_int_equal(p.ip_len, 43);
    assert_int_equal(p.l4_payload_len, 3);
    assert_int_equal(p.payload_caplen, 3);
    /* no payload TLV: not IP */
    f.n = 4;
    tlv(&f, 10, "x", 1);
    assert_int_equal(decode(&p, NS_LINK_NFLOG, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_NONE);
    /* TLV length below its own header */
    f.n = 4;
    uint16_t bad[2] = {2, 9};
    put(&f, bad, 4);
    assert_int_equal(decode(&p, NS_LINK_NFLOG, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_L2_TRUNC);
    /* IPv6 family */
    f.n = 0;
    u8(&f, 10);
    u8(&f, 0);
    be16(&f, 0);
    ipf.n = 0;
    ip = ip6_begin(&ipf, 17);
    udp(&ipf, 0);
    ip6_end(&ipf, ip);
    tlv(&f, 9, ipf.b, (uint16_t)ipf.n);
    assert_int_equal(decode(&p, NS_LINK_NFLOG, &f), 0);
    expect_v6_addrs(&p);
}

static void unsupported_linktype(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    eth(&f, 0x0800);
    assert_int_equal(decode(&p, 160, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_LINKTYPE);
    assert_false(ns_pkt_linktype_supported(160));
    assert_false(ns_pkt_linktype_supported(-1));
    static const int ok[] = {0, 1, 9, 12, 14, 101, 108, 113, 228, 229, 239, 276};
    for (unsigned i = 0; i < sizeof ok / sizeof ok[0]; i++)
        assert_true(ns_pkt_linktype_supported(ok[i]));
}

/* ---------- IPv6 ---------- */

static void ip6_extension_chain(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    eth(&f, 0x86dd);
    uint32_t ip = ip6_begin(&f, 0);
    u8(&f, 43); /* HBH -> routing, 8 bytes: PadN */
    u8(&f, 0);
    u8(&f, 1);
    u8(&f, 4);
    zeros(&f, 4);
    u8(&f, 60); /* routing -> dstopts, 24 bytes */
    u8(&f, 2);
    u8(&f, 0);
    u8(&f, 0);
    zeros(&f, 20);
    u8(&f, 44); /* dstopts -> fragment */
    u8(&f, 0);
    zeros(&f, 6);
    u8(&f, 6); /* fragment -> TCP, offset 0, M */
    u8(&f, 0);
    be16(&f, 1);
    be32(&f, 0xdeadbeef);
    tcp_plain(&f, 5);
    ip6_end(&f, ip);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.proto, 6);
    assert_int_equal(p.ip_hdr_len, 40 + 8 + 24 + 8 + 8);
    assert_int_equal(p.ip_len, 40 + 48 + 25);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_L4 | NS_PKT_F_FRAG | NS_PKT_F_FRAG_FIRST |
                                  NS_PKT_F_FRAG_MORE);
    assert_int_equal(p.frag_id, 0xdeadbeef);
    assert_int_equal(p.dport, 80);
    assert_int_equal(p.l4_payload_len, 5);
    /* non-first fragment: no transport header */
    patch16(&f, 14 + 40 + 40 + 2, 1448 | 1);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_FRAG | NS_PKT_F_FRAG_MORE);
    assert_int_equal(p.frag_off, 1448);
    assert_int_equal(p.proto, 6);
    assert_int_equal(p.sport, 0);
    assert_int_equal(p.l4_payload_len, 25);
    /* atomic fragment: a whole packet */
    patch16(&f, 14 + 40 + 40 + 2, 0);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_L4);
    /* routing header claiming more than the payload */
    f.b[14 + 40 + 9] = 200;
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_IP6_EXT);
    assert_int_equal(p.flags, NS_PKT_F_IP);
    assert_int_equal(p.proto, 43);
    expect_v6_addrs(&p);
}

static void ip6_ah_udp(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    eth(&f, 0x86dd);
    uint32_t ip = ip6_begin(&f, 51);
    u8(&f, 17);
    u8(&f, 4);
    be16(&f, 0);
    be32(&f, 0x500);
    be32(&f, 9);
    zeros(&f, 12);
    udp(&f, 6);
    ip6_end(&f, ip);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.proto, 17);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_L4 | NS_PKT_F_AH);
    assert_int_equal(p.ip_hdr_len, 64);
    assert_int_equal(p.l4_payload_len, 6);
}

static void ip6_jumbogram(void **state)
{
    static uint8_t big[14 + 40 + 8 + 8 + 70000];
    struct fb f = {0};
    struct ns_pkt p;
    eth(&f, 0x86dd);
    uint32_t ip = ip6_begin(&f, 0); /* payload length stays 0 */
    (void)ip;
    u8(&f, 17);
    u8(&f, 0);
    u8(&f, 0xc2);
    u8(&f, 4);
    be32(&f, 8 + 8 + 70000 - 8); /* jumbo: everything after the IPv6 header */
    be16(&f, 1);
    be16(&f, 2);
    be16(&f, 0); /* UDP length 0 (RFC 2675 §4) */
    be16(&f, 0);
    memcpy(big, f.b, f.n);
    memset(&p, 0, sizeof p);
    p.caplen = p.wirelen = (uint32_t)sizeof big - 8;
    assert_int_equal(ns_pkt_decode(&p, NS_LINK_ETHERNET, big), 0);
    assert_int_equal(p.ip_len, 40 + 70008);
    assert_int_equal(p.l4_payload_len, 70008 - 16);
    assert_int_equal(p.payload_caplen, 70008 - 16);
    assert_int_equal(p.sport, 1);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_L4);
    /* jumbo length below 65536 is invalid */
    big[14 + 40 + 4] = 0;
    big[14 + 40 + 5] = 0;
    big[14 + 40 + 6] = 0xff;
    assert_int_equal(ns_pkt_decode(&p, NS_LINK_ETHERNET, big), 1);
    assert_int_equal(p.malformed, NS_MAL_IP6_EXT);
    assert_int_equal(p.ip_len, 40);
}

/* ---------- transport ---------- */

static void tcp_malformed(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    eth(&f, 0x0800);
    uint32_t ip = ip4_begin(&f, 6, NULL, 0, 0);
    tcp_full(&f, 0);
    ip4_end(&f, ip);
    const uint32_t t = 34;
    f.b[t + 12] = 4 << 4; /* data offset 4 */
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_TCP_HLEN);
    assert_int_equal(p.flags, NS_PKT_F_IP);
    assert_int_equal(p.sport, 0);
    expect_v4_addrs(&p);
    f.b[t + 12] = 15 << 4; /* 60 bytes, beyond the 52-byte segment */
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_TCP_HLEN);
    f.b[t + 12] = 13 << 4;
    f.b[t + 21] = 5; /* MSS with length 5 */
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_TCP_OPTIONS);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_L4);
    assert_int_equal(p.sport, 40000);
    assert_int_equal(p.tcp_seq, 0x01020304);
    f.b[t + 21] = 4;
    f.b[t + 41] = 9; /* SACK length 9 (after MSS, SACKOK, TS, NOP, WS) */
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_TCP_OPTIONS);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_L4 | NS_PKT_F_TCP_OPT_MSS |
                                  NS_PKT_F_TCP_OPT_SACKOK | NS_PKT_F_TCP_OPT_TS |
                                  NS_PKT_F_TCP_OPT_WS);
    assert_int_equal(p.tcp_mss, 1460);
    f.b[t + 41] = 10;
    f.b[t + 20] = 0; /* EOL first: no options at all */
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_L4);
    assert_int_equal(p.tcp_mss, 0);
    f.b[t + 20] = 2;
    f.b[t + 50] = 2; /* MSS at the last 2 bytes: runs past the header */
    f.b[t + 51] = 4;
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_TCP_OPTIONS);
}

static void udp_lengths(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    eth(&f, 0x0800);
    uint32_t ip = ip4_begin(&f, 17, NULL, 0, 0);
    udp(&f, 10);
    ip4_end(&f, ip);
    patch16(&f, 34 + 4, 7);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_UDP_LEN);
    assert_int_equal(p.flags, NS_PKT_F_IP);
    patch16(&f, 34 + 4, 19);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_UDP_LEN);
    patch16(&f, 34 + 4, 0); /* zero length outside jumbograms */
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_UDP_LEN);
    patch16(&f, 34 + 4, 12); /* shorter than the IP payload: fine */
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.l4_payload_len, 4);
    assert_int_equal(p.payload_caplen, 4);
    patch16(&f, 16, 20 + 7); /* IP payload of 7 bytes */
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_UDP_TRUNC);
}

static void other_transports(void **state)
{
    struct fb f = {0};
    struct ns_pkt p;
    uint32_t ip;
    /* ESP */
    eth(&f, 0x0800);
    ip = ip4_begin(&f, 50, NULL, 0, 0);
    be32(&f, 0x11223344);
    be32(&f, 77);
    zeros(&f, 16);
    ip4_end(&f, ip);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.esp_spi, 0x11223344);
    assert_int_equal(p.esp_seq, 77);
    assert_int_equal(p.l4_payload_len, 16);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_L4);
    patch16(&f, 16, 27);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_ESP_TRUNC);
    /* GRE with checksum, key and sequence number */
    f.n = 0;
    eth(&f, 0x0800);
    ip = ip4_begin(&f, 47, NULL, 0, 0);
    be16(&f, 0xb000);
    be16(&f, 0x6558);
    be32(&f, 0);
    be32(&f, 0xabcdef01);
    be32(&f, 5);
    zeros(&f, 14);
    ip4_end(&f, ip);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.gre_proto, 0x6558);
    assert_int_equal(p.gre_key, 0xabcdef01);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_L4 | NS_PKT_F_TUNNEL);
    assert_int_equal(p.l4_payload_len, 14);
    patch16(&f, 16, 20 + 12);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_GRE_TRUNC);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_TUNNEL);
    /* IPv6 in IPv4 (6in4): outer header only */
    f.n = 0;
    eth(&f, 0x0800);
    ip = ip4_begin(&f, 41, NULL, 0, 0);
    uint32_t in = ip6_begin(&f, 59);
    ip6_end(&f, in);
    ip4_end(&f, ip);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    expect_v4_addrs(&p);
    assert_int_equal(p.proto, 41);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_TUNNEL);
    assert_int_equal(p.l4_payload_len, 40);
    /* IPv4 in IPv6 */
    f.n = 0;
    eth(&f, 0x86dd);
    ip = ip6_begin(&f, 4);
    in = ip4_begin(&f, 17, NULL, 0, 0);
    udp(&f, 0);
    ip4_end(&f, in);
    ip6_end(&f, ip);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    expect_v6_addrs(&p);
    assert_int_equal(p.flags, NS_PKT_F_IP | NS_PKT_F_TUNNEL);
    /* DCCP */
    f.n = 0;
    eth(&f, 0x0800);
    ip = ip4_begin(&f, 33, NULL, 0, 0);
    be16(&f, 5001);
    be16(&f, 5002);
    u8(&f, 4); /* data offset 16 bytes */
    u8(&f, 0);
    be16(&f, 0);
    u8(&f, 0x01); /* type 0, X=1 */
    zeros(&f, 7);
    zeros(&f, 3);
    ip4_end(&f, ip);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.sport, 5001);
    assert_int_equal(p.dport, 5002);
    assert_int_equal(p.l4_payload_len, 3);
    f.b[34 + 4] = 2;
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_L4_TRUNC);
    /* ICMP cut short; SCTP cut short */
    f.n = 0;
    eth(&f, 0x0800);
    ip = ip4_begin(&f, 1, NULL, 0, 0);
    u8(&f, 3);
    u8(&f, 3);
    ip4_end(&f, ip);
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_ICMP_TRUNC);
    f.b[23] = 132;
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 1);
    assert_int_equal(p.malformed, NS_MAL_SCTP_TRUNC);
    /* unknown protocol: payload is the IP payload */
    f.b[23] = 103;
    assert_int_equal(decode(&p, NS_LINK_ETHERNET, &f), 0);
    assert_int_equal(p.flags, NS_PKT_F_IP);
    assert_int_equal(p.l4_payload_len, 2);
    assert_ptr_equal(p.payload, f.b + 34);
}

/* ---------- malformed names ---------- */

static void malformed_names(void **state)
{
    static const struct {
        enum ns_malformed m;
        const char *name;
    } t[] = {
        {NS_MAL_NONE, "none"},
        {NS_MAL_LINKTYPE, "linktype"},
        {NS_MAL_L2_TRUNC, "l2_trunc"},
        {NS_MAL_VLAN_TRUNC, "vlan_trunc"},
        {NS_MAL_MPLS_TRUNC, "mpls_trunc"},
        {NS_MAL_PPPOE, "pppoe"},
        {NS_MAL_IP4_TRUNC, "ip4_trunc"},
        {NS_MAL_IP4_HLEN, "ip4_hlen"},
        {NS_MAL_IP4_TOTLEN, "ip4_totlen"},
        {NS_MAL_IP4_OPTIONS, "ip4_options"},
        {NS_MAL_IP6_TRUNC, "ip6_trunc"},
        {NS_MAL_IP6_EXT, "ip6_ext"},
        {NS_MAL_IP_VERSION, "ip_version"},
        {NS_MAL_TCP_TRUNC, "tcp_trunc"},
        {NS_MAL_TCP_HLEN, "tcp_hlen"},
        {NS_MAL_TCP_OPTIONS, "tcp_options"},
        {NS_MAL_UDP_TRUNC, "udp_trunc"},
        {NS_MAL_UDP_LEN, "udp_len"},
        {NS_MAL_ICMP_TRUNC, "icmp_trunc"},
        {NS_MAL_SCTP_TRUNC, "sctp_trunc"},
        {NS_MAL_ESP_TRUNC, "esp_trunc"},
        {NS_MAL_AH_TRUNC, "ah_trunc"},
        {NS_MAL_GRE_TRUNC, "gre_trunc"},
        {NS_MAL_L4_TRUNC, "l4_trunc"},
    };
    assert_int_equal(sizeof t / sizeof t[0], NS_MAL__COUNT);
    for (unsigned i = 0; i < NS_MAL__COUNT; i++) {
        assert_int_equal(t[i].m, i);
        assert_string_equal(ns_pkt_malformed_name(t[i].m), t[i].name);
    }
    assert_string_equal(ns_pkt_malformed_name(NS_MAL__COUNT), "unknown");
    assert_string_equal(ns_pkt_malformed_name((enum ns_malformed) - 1), "unknown");
}

/* ---------- truncation sweep ---------- */

struct cut {
    uint32_t below;      /* cuts shorter than this ... */
    enum ns_malformed m; /* ... give this reason */
};

/* Cut `f` at every length with wirelen = full length; each cut lives in a
 * heap block of exactly caplen bytes.  Also decodes every cut twice over
 * different garbage and demands identical results (determinism). */
static void sweep(const struct fb *f, int lt, const struct cut *cuts, unsigned ncuts)
{
    for (uint32_t len = 0; len <= f->n; len++) {
        uint8_t *buf = malloc(len ? len : 1);
        assert_non_null(buf);
        memcpy(buf, f->b, len);
        struct ns_pkt a, b;
        memset(&a, 0x00, sizeof a);
        memset(&b, 0xff, sizeof b);
        a.ts_ns = b.ts_ns = 0;
        a.caplen = b.caplen = len;
        a.wirelen = b.wirelen = f->n;
        a.ifindex = b.ifindex = 0;
        int ra = ns_pkt_decode(&a, lt, buf);
        int rb = ns_pkt_decode(&b, lt, buf);
        assert_int_equal(ra, rb);
        assert_memory_equal(&a, &b, sizeof a);
        assert_int_equal(ra, a.malformed != NS_MAL_NONE || !(a.flags & NS_PKT_F_IP));
        if (a.payload) {
            assert_true(a.payload >= buf && a.payload + a.payload_caplen <= buf + len);
        } else {
            assert_int_equal(a.payload_caplen, 0);
        }
        assert_true(a.payload_caplen <= a.l4_payload_len || !(a.flags & NS_PKT_F_IP));
        if (cuts) {
            enum ns_malformed want = NS_MAL_NONE;
            for (unsigned i = 0; i < ncuts; i++)
                if (len < cuts[i].below) {
                    want = cuts[i].m;
                    break;
                }
            if (a.malformed != want)
                fail_msg("link %d cut at %u: %s, want %s", lt, len,
                         ns_pkt_malformed_name(a.malformed), ns_pkt_malformed_name(want));
            /* these frames end with their IP packet: a cut that still
             * decodes cleanly must say the IP length claims more */
            if (len < f->n && (a.flags & NS_PKT_F_IP) && want == NS_MAL_NONE)
                assert_true(a.flags & NS_PKT_F_IP_TRUNC);
        }
        free(buf);
    }
}

static void truncation_every_offset(void **state)
{
    struct fb f = {0};
    uint32_t ip;
    /* Ethernet / 802.1Q / IPv4 with options / TCP with options / payload */
    static const uint8_t nop4[4] = {1, 1, 1, 0};
    eth(&f, 0x8100);
    be16(&f, 5);
    be16(&f, 0x0800);
    ip = ip4_begin(&f, 6, nop4, 4, 0);
    tcp_full(&f, 3);
    ip4_end(&f, ip);
    const struct cut c1[] = {
        {14, NS_MAL_L2_TRUNC},
        {18, NS_MAL_VLAN_TRUNC},
        {18 + 24, NS_MAL_IP4_TRUNC},
        {18 + 24 + 52, NS_MAL_TCP_TRUNC}, /* header and options */
    };
    sweep(&f, NS_LINK_ETHERNET, c1, 4);

    /* SLL2 / PPPoE / IPv6 + HBH + fragment / UDP */
    f.n = 0;
    be16(&f, 0x8864);
    be16(&f, 0);
    be32(&f, 1);
    be16(&f, 1);
    u8(&f, 0);
    u8(&f, 6);
    zeros(&f, 8);
    u8(&f, 0x11);
    u8(&f, 0);
    be16(&f, 9);
    be16(&f, 2 + 40 + 16 + 8 + 4);
    be16(&f, 0x0057);
    ip = ip6_begin(&f, 0);
    u8(&f, 44);
    u8(&f, 0);
    zeros(&f, 6);
    u8(&f, 17);
    u8(&f, 0);
    be16(&f, 1);
    be32(&f, 42);
    udp(&f, 4);
    ip6_end(&f, ip);
    const struct cut c2[] = {
        {20, NS_MAL_L2_TRUNC},     {28, NS_MAL_PPPOE},          {28 + 40, NS_MAL_IP6_TRUNC},
        {28 + 56, NS_MAL_IP6_EXT}, {28 + 64, NS_MAL_UDP_TRUNC},
    };
    sweep(&f, NS_LINK_LINUX_SLL2, c2, 5);

    /* Ethernet / MPLS x2 / IPv4 / AH / GRE with key */
    f.n = 0;
    eth(&f, 0x8847);
    be32(&f, 1u << 12);
    be32(&f, 2u << 12 | 0x100);
    ip = ip4_begin(&f, 51, NULL, 0, 0);
    u8(&f, 47);
    u8(&f, 1); /* 12-byte AH */
    be16(&f, 0);
    be32(&f, 1);
    be32(&f, 2);
    be16(&f, 0x2000);
    be16(&f, 0x0800);
    be32(&f, 99);
    zeros(&f, 2);
    ip4_end(&f, ip);
    const struct cut c3[] = {
        {14, NS_MAL_L2_TRUNC},  {22, NS_MAL_MPLS_TRUNC}, {23, NS_MAL_NONE},
        {42, NS_MAL_IP4_TRUNC}, {54, NS_MAL_AH_TRUNC},   {62, NS_MAL_GRE_TRUNC},
    };
    sweep(&f, NS_LINK_ETHERNET, c3, 6);

    /* NFLOG / IPv4 / ICMP */
    f.n = 0;
    u8(&f, 2);
    u8(&f, 0);
    be16(&f, 0);
    struct fb ipf = {0};
    ip = ip4_begin(&ipf, 1, NULL, 0, 0);
    be32(&ipf, 0x08000000);
    be32(&ipf, 0x00010001);
    ip4_end(&ipf, ip);
    tlv(&f, 9, ipf.b, (uint16_t)ipf.n);
    const struct cut c4[] = {
        {4, NS_MAL_L2_TRUNC}, {5, NS_MAL_NONE}, /* header, no TLV: no IP */
        {8, NS_MAL_L2_TRUNC}, {8 + 20, NS_MAL_IP4_TRUNC}, {8 + 24, NS_MAL_ICMP_TRUNC},
    };
    sweep(&f, NS_LINK_NFLOG, c4, 5);
}

/* Random frames on every link type: never out of bounds (ASan), always
 * deterministic, and the payload view stays inside the frame. */
static void random_frames(void **state)
{
    static const int links[] = {0, 1, 9, 12, 14, 101, 104, 108, 113, 228, 229, 239, 276};
    uint64_t x = 0x9e3779b97f4a7c15u;
    struct fb f = {0};
    for (int round = 0; round < 3000; round++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int lt = links[x % (sizeof links / sizeof links[0])];
        /* a valid prefix makes deep layers reachable */
        f.n = 0;
        if (lt == 1) {
            eth(&f, (x >> 8) & 1 ? 0x86dd : 0x0800);
        }
        uint32_t len = f.n + (uint32_t)((x >> 16) % 120);
        for (uint32_t i = f.n; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            f.b[i] = (uint8_t)x;
        }
        if (lt == 1 && len > 14)
            f.b[14] = (f.b[12] == 0x86 ? 0x60 : 0x45) | (f.b[14] & 0x0f);
        f.n = len;
        sweep(&f, lt, NULL, 0); /* reasons unchecked */
    }
}

/* ---------- real captures ---------- */

struct cap_expect {
    const char *file;
    unsigned frame;
    enum ns_malformed m;
    unsigned flags;
    const char *src; /* text form; NULL when no IP is expected */
    uint8_t ver, proto;
    uint16_t sport, dport;
    uint32_t ip_len, l4_payload_len;
};

static void real_captures(void **state)
{
    const char *shared = getenv("NS_SHARED");
    if (!shared) {
        skip();
        return;
    }
    /* values confirmed by tshark (see tests/regress/pkt_vs_tshark.sh) */
    static const struct cap_expect e[] = {
        {"tcpdump-bigtcp-ipv4.pcap", 1, NS_MAL_NONE, 0x103, "10.25.132.13", 4, 6, 35871, 36425,
         80052, 80000},
        {"tcpdump-ipv6-jumbogram.pcap", 1, NS_MAL_NONE, 0x3, "2200::244:212:3fff:feae:22f7", 6, 58,
         0, 0, 65576, 65520},
        {"zeek-nflog-http.pcap", 1, NS_MAL_NONE, 0x1e3, "10.0.2.15", 4, 6, 49762, 80, 60, 0},
        {"zeek-linktype-sll2.pcap", 1, NS_MAL_NONE, 0x3, "192.0.2.1", 4, 1, 0, 0, 84, 56},
        {"zeek-pppoe-over-qinq.pcap", 2, NS_MAL_NONE, 0xe3, "2.2.2.2", 4, 6, 443, 20394, 52, 0},
        {"zeek-mpls-in-vlan.pcap", 2, NS_MAL_NONE, 0x103, "65.65.65.65", 4, 6, 80, 32828, 1500,
         1448},
        {"ndpi-dlt-ppp.pcap", 1, NS_MAL_NONE, 0x3, "193.167.0.252", 4, 17, 44083, 443, 1228, 1200},
        {"zeek-ipv6-zero-len-ah.pcap", 5, NS_MAL_NONE, 0x2003, "2000:1300::1", 6, 58, 0, 0, 206,
         150},
        {"tcpdump-linktype-ipv6.pcap", 1, NS_MAL_NONE, 0x3, "2001:db8::1", 6, 17, 12345, 53, 77,
         29},
        {"zeek-trunc-ip6.pcap", 1, NS_MAL_IP6_TRUNC, 0, NULL, 0, 0, 0, 0, 0, 0},
        {"tcpdump-ipv4-invalid-hdr-length.pcap", 1, NS_MAL_IP4_HLEN, 0, NULL, 0, 0, 0, 0, 0, 0},
        {"tcpdump-unsupported-linktype-160.pcap", 1, NS_MAL_LINKTYPE, 0, NULL, 0, 0, 0, 0, 0, 0},
        {"zeek-pbb.pcap", 5, NS_MAL_NONE, 0xe3, "10.199.249.11", 4, 6, 49601, 49416, 52, 0},
    };
    for (unsigned i = 0; i < sizeof e / sizeof e[0]; i++) {
        char path[1024], errbuf[PCAP_ERRBUF_SIZE];
        snprintf(path, sizeof path, "%s/pcaps/%s", shared, e[i].file);
        pcap_t *pc =
            pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
        if (!pc)
            fail_msg("%s: %s", path, errbuf);
        struct pcap_pkthdr *h;
        const u_char *data;
        for (unsigned n = 1; n <= e[i].frame; n++)
            assert_int_equal(pcap_next_ex(pc, &h, &data), 1);
        struct ns_pkt p;
        memset(&p, 0, sizeof p);
        p.caplen = h->caplen;
        p.wirelen = h->len;
        ns_pkt_decode(&p, pcap_datalink(pc), data);
        if (p.malformed != e[i].m || p.flags != e[i].flags)
            fail_msg("%s #%u: %s flags %#x", e[i].file, e[i].frame,
                     ns_pkt_malformed_name(p.malformed), p.flags);
        if (e[i].src) {
            uint8_t want[16] = {0};
            assert_int_equal(inet_pton(e[i].ver == 4 ? AF_INET : AF_INET6, e[i].src, want), 1);
            assert_memory_equal(p.src, want, 16);
            assert_int_equal(p.ip_version, e[i].ver);
            assert_int_equal(p.proto, e[i].proto);
            assert_int_equal(p.sport, e[i].sport);
            assert_int_equal(p.dport, e[i].dport);
            assert_int_equal(p.ip_len, e[i].ip_len);
            assert_int_equal(p.l4_payload_len, e[i].l4_payload_len);
        }
        pcap_close(pc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(eth_ipv4_tcp_options),
        cmocka_unit_test(eth_padding_not_payload),
        cmocka_unit_test(ip4_snaplen_is_not_malformed),
        cmocka_unit_test(ip4_total_length_zero_tso),
        cmocka_unit_test(ip4_options),
        cmocka_unit_test(ip4_header_checks),
        cmocka_unit_test(ip4_fragments),
        cmocka_unit_test(udp_first_fragment),
        cmocka_unit_test(ip4_ah),
        cmocka_unit_test(llc_snap),
        cmocka_unit_test(vlan_stacks),
        cmocka_unit_test(mpls_stack),
        cmocka_unit_test(pppoe_session),
        cmocka_unit_test(pbb),
        cmocka_unit_test(linux_sll_and_sll2),
        cmocka_unit_test(raw_links),
        cmocka_unit_test(null_and_loop),
        cmocka_unit_test(ppp_links),
        cmocka_unit_test(nflog),
        cmocka_unit_test(unsupported_linktype),
        cmocka_unit_test(ip6_extension_chain),
        cmocka_unit_test(ip6_ah_udp),
        cmocka_unit_test(ip6_jumbogram),
        cmocka_unit_test(tcp_malformed),
        cmocka_unit_test(udp_lengths),
        cmocka_unit_test(other_transports),
        cmocka_unit_test(malformed_names),
        cmocka_unit_test(truncation_every_offset),
        cmocka_unit_test(random_frames),
        cmocka_unit_test(real_captures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
