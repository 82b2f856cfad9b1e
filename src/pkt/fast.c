/*
 * fast.c — the decoder's fast path for the packets most links carry:
 * Ethernet II with at most one 802.1Q tag, IPv4 with a 20-byte header and
 * no fragmentation or IPv6 with no extension header, then a whole TCP, UDP
 * or ICMP/ICMPv6 header.
 *
 * Why: the general decoder walks link, tags, IP, extension headers and
 * transport through one function per layer, each re-checking its cursor;
 * for these packets that was ~230 instructions, a third of the probe's
 * reading thread.  Here the layout is known after a few compares, so every
 * bounds check is done once, up front, against the captured length.
 *
 * The contract is exactness, not approximation: when it accepts a packet,
 * the result is the one the general path (link.c, l2.c, ip4.c, ip6.c,
 * l4.c, tcp.c) gives, field for field and byte for byte; every packet it is
 * not sure of it leaves untouched for the general path, so anything odd —
 * a tag, options, a fragment, a length of 0, a header cut short, a UDP
 * length that disagrees — takes the careful road with its malformed
 * reasons.  test_pkt_fast checks the two paths against each other on every
 * packet of every capture in ../shared/pcaps and on mutated headers.
 *
 * Bounds: every byte read below lies before `cap`, the captured length;
 * the checks that guarantee it are the first thing each branch does.
 */
#include "pkt/decode.h"

#include <stddef.h>
#include <string.h>

static inline uint16_t be16(const uint8_t *b)
{
    return (uint16_t)((uint16_t)b[0] << 8 | b[1]);
}

static inline uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

int ns_pkt_fast_eth(struct ns_pkt *p, const uint8_t *d)
{
    uint32_t cap = p->caplen;
    if (cap < 14 + 20)
        return 0;
    uint16_t et = be16(d + 12);
    uint32_t l2 = 14;
    uint16_t vid = 0;
    if (et == 0x8100) { /* one 802.1Q tag (l2.c: the ethertype is the inner one) */
        if (cap < 18 + 20)
            return 0;
        vid = be16(d + 14) & 0x0fffu;
        et = be16(d + 16);
        l2 = 18;
    }
    const uint8_t *ip = d + l2;
    uint32_t avail = cap - l2; /* captured bytes from the IP header on */
    uint32_t hl, claimed, ipcap, trunc;
    uint8_t proto;
    if (et == NS_ETH_IP4) {
        /* RFC 791 §3.1: version 4, IHL 5; no MF, offset 0 (DF may be set) */
        if (ip[0] != 0x45)
            return 0;
        uint32_t tot = be16(ip + 2);
        if (tot < 20 || (be16(ip + 6) & 0x3fffu))
            return 0; /* 0: TSO length, guessed by ip4.c */
        proto = ip[9];
        hl = 20;
        claimed = tot - 20;
        ipcap = avail < tot ? avail : tot; /* Ethernet padding trimmed */
        trunc = tot > avail;
    } else if (et == NS_ETH_IP6) {
        if (avail < 40 || (ip[0] >> 4) != 6)
            return 0;
        claimed = be16(ip + 4);
        if (!claimed)
            return 0; /* jumbogram or GSO: ip6.c */
        proto = ip[6];
        hl = 40;
        ipcap = 40 + (avail - 40 < claimed ? avail - 40 : claimed);
        trunc = claimed > avail - 40;
    } else {
        return 0;
    }
    const uint8_t *l4 = ip + hl;
    uint32_t l4cap = ipcap - hl; /* captured bytes of the IP payload */
    uint32_t th = 0, ulen = 0;
    if (proto == 6) {
        if (l4cap < 20)
            return 0;
        th = (uint32_t)(l4[12] >> 4) * 4;
        if (th < 20 || th > claimed || th > l4cap)
            return 0;
    } else if (proto == 17) {
        if (l4cap < 8)
            return 0;
        ulen = be16(l4 + 4);
        if (ulen < 8 || ulen > claimed)
            return 0;
    } else if (proto == 1 || proto == 58) {
        if (l4cap < 4)
            return 0; /* l4.c: ICMP cut short */
    } else {
        return 0;
    }

    /* accepted: from here on only writes, in the general path's terms */
    memcpy(p->dst_mac, d, 6);
    memcpy(p->src_mac, d + 6, 6);
    p->ethertype = et;
    p->l3_off = (uint16_t)l2;
    if (l2 == 18) {
        p->vlan[0] = vid;
        p->vlan_count = 1;
    }
    p->proto = proto;
    p->ip_hdr_len = hl;
    p->flags = NS_PKT_F_IP | NS_PKT_F_L4 | (trunc ? NS_PKT_F_IP_TRUNC : 0);
    if (hl == 20) {
        p->ip_version = 4;
        p->tos = ip[1];
        p->ttl = ip[8];
        memcpy(p->src, ip + 12, 4);
        memcpy(p->dst, ip + 16, 4);
        p->ip_len = claimed + 20;
    } else {
        uint32_t vtf = be32(ip);
        p->ip_version = 6;
        p->tos = (uint8_t)(vtf >> 20);
        p->flow_label = vtf & 0xfffffu;
        p->ttl = ip[7];
        memcpy(p->src, ip + 8, 16);
        memcpy(p->dst, ip + 24, 16);
        p->ip_len = claimed + 40;
    }
    uint32_t pl;
    if (proto == 1 || proto == 58) {
        /* type, code, checksum and 4 bytes every type has (l4.c icmp()):
         * the payload starts after 8, the view clipped to the IP length */
        p->icmp_type = l4[0];
        p->icmp_code = l4[1];
        p->l4_payload_len = claimed > 8 ? claimed - 8 : 0;
        th = l4cap < 8 ? l4cap : 8;
        pl = l4cap - th < p->l4_payload_len ? l4cap - th : p->l4_payload_len;
        p->payload = pl ? l4 + th : NULL;
        p->payload_caplen = pl;
        return 1;
    }
    /* Both ports in one store: the flow key reads them back at once, right
     * away, and a load that spans two smaller stores cannot take its value
     * from the store buffer; it waited for both to reach the cache, which
     * for a batch line last held by the metering core is a transfer from
     * that core (three quarters of the reading loop's own time). */
    _Static_assert(offsetof(struct ns_pkt, dport) == offsetof(struct ns_pkt, sport) + 2,
                   "ports adjacent");
    uint32_t ports = (uint32_t)be16(l4) | (uint32_t)be16(l4 + 2) << 16;
    memcpy(&p->sport, &ports, 4);
    if (proto == 6) {
        p->tcp_seq = be32(l4 + 4);
        p->tcp_ack = be32(l4 + 8);
        p->tcp_ae = l4[12] & 1;
        p->tcp_flags = l4[13];
        p->tcp_win = be16(l4 + 14);
        p->l4_payload_len = claimed - th;
        if (th > 20) {
            struct ns_cur c = ns_cur_make(l4, l4cap);
            if (ns_pkt_tcp_options(p, &c, th) < 0)
                ns_pkt_fail(p, NS_MAL_TCP_OPTIONS);
        }
        pl = l4cap - th;
    } else {
        /* the UDP length bounds the payload view (l4.c set_payload) */
        th = 8;
        p->l4_payload_len = ulen - 8;
        pl = l4cap - 8 < ulen - 8 ? l4cap - 8 : ulen - 8;
    }
    p->payload = pl ? l4 + th : NULL;
    p->payload_caplen = pl;
    return 1;
}
