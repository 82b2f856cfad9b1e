/*
 * ip4.c — IPv4 header (RFC 791 §3.1), options, fragments, AH.
 *
 * Order of checks: version, IHL, total length against IHL, then the
 * addresses are taken (NS_PKT_F_IP) before options are checked, so a packet
 * with broken options still counts in its IP flow.  The total length is
 * clipped to what was captured for the payload view; when it claims more,
 * NS_PKT_F_IP_TRUNC says so (snaplen, not malformation).
 *
 * Total length 0 (TSO / GSO / BIG TCP): Linux hands packet sockets
 * super-segments larger than 64 KiB with total length 0 (see
 * tcpdump-bigtcp-ipv4.pcap), and TSO-offloading NICs show 0 as well.  Such
 * a header cannot state its length, so ip_len is the captured length from
 * the IP header on, plus what the snaplen cut off (wire length - caplen).
 */
#include "pkt/decode.h"

/* RFC 791 §3.1: EOL (0) ends the list, NOP (1) is one byte, every other
 * option is type, length (>= 2, counting type and length), data. */
static int ip4_options_ok(const struct ns_cur *c, uint32_t hlen)
{
    uint32_t i = 20;
    while (i < hlen) {
        uint8_t t = ns_cur_u8(c, i);
        if (t == 0)
            return 1;
        if (t == 1) {
            i++;
            continue;
        }
        if (i + 1 >= hlen)
            return 0;
        uint8_t olen = ns_cur_u8(c, i + 1);
        if (olen < 2 || olen > hlen - i)
            return 0;
        i += olen;
    }
    return 1;
}

int ns_pkt_ah(struct ns_pkt *p, struct ns_cur *c, uint32_t *claimed, uint8_t *next)
{
    /* RFC 4302 §2: next(1) payload len(1) reserved(2) SPI(4) seq(4) ICV;
     * payload len is the AH length in 32-bit words minus 2.  A payload
     * len of 0 (8 bytes, no room for the sequence number) is invalid per
     * the RFC, but Wireshark and Zeek walk through it
     * (zeek-ipv6-zero-len-ah.pcap); we do too, so the flow gets its real
     * upper-layer protocol. */
    p->flags |= NS_PKT_F_AH;
    if (!ns_cur_has(c, 0, 8)) {
        ns_pkt_fail(p, NS_MAL_AH_TRUNC);
        return -1;
    }
    uint32_t alen = ((uint32_t)ns_cur_u8(c, 1) + 2) * 4;
    if (alen > *claimed || !ns_cur_has(c, 0, alen)) {
        ns_pkt_fail(p, NS_MAL_AH_TRUNC);
        return -1;
    }
    *next = ns_cur_u8(c, 0);
    ns_cur_advance(c, alen);
    *claimed -= alen;
    p->ip_hdr_len += alen;
    return 0;
}

void ns_pkt_ip4(struct ns_pkt *p, struct ns_cur c)
{
    if (ns_cur_has(&c, 0, 1) && (ns_cur_u8(&c, 0) >> 4) != 4) {
        ns_pkt_fail(p, NS_MAL_IP_VERSION);
        return;
    }
    if (!ns_cur_has(&c, 0, 20)) {
        ns_pkt_fail(p, NS_MAL_IP4_TRUNC);
        return;
    }
    uint32_t hlen = (uint32_t)(ns_cur_u8(&c, 0) & 0x0f) * 4;
    uint32_t tot = ns_cur_be16(&c, 2);
    int guessed = 0;
    if (hlen < 20) {
        ns_pkt_fail(p, NS_MAL_IP4_HLEN);
        return;
    }
    if (tot == 0) {
        tot = (uint32_t)c.len + ns_pkt_lost(p); /* <= wirelen */
        guessed = 1;
    } else if (tot < 20) {
        ns_pkt_fail(p, NS_MAL_IP4_TOTLEN);
        return;
    }
    if (!guessed && tot < hlen) { /* guessed: tot >= captured, checked below */
        ns_pkt_fail(p, NS_MAL_IP4_HLEN);
        return;
    }

    p->ip_version = 4;
    p->tos = ns_cur_u8(&c, 1);
    p->ttl = ns_cur_u8(&c, 8);
    p->proto = ns_cur_u8(&c, 9);
    ns_cur_copy(&c, 12, p->src, 4);
    ns_cur_copy(&c, 16, p->dst, 4);
    p->ip_len = tot;
    p->ip_hdr_len = hlen;
    p->flags |= NS_PKT_F_IP | (tot > c.len ? NS_PKT_F_IP_TRUNC : 0);

    uint16_t fo = ns_cur_be16(&c, 6);
    uint32_t off = (uint32_t)(fo & 0x1fffu) * 8;
    if ((fo & 0x2000u) || off) {
        p->flags |= NS_PKT_F_FRAG | (off ? 0 : NS_PKT_F_FRAG_FIRST) |
                    ((fo & 0x2000u) ? NS_PKT_F_FRAG_MORE : 0);
        p->frag_id = ns_cur_be16(&c, 4);
        p->frag_off = off;
    }

    if (hlen > 20) {
        p->flags |= NS_PKT_F_IP4_OPTIONS;
        if (!ns_cur_has(&c, 0, hlen)) {
            ns_pkt_fail(p, NS_MAL_IP4_TRUNC);
            return;
        }
        if (!ip4_options_ok(&c, hlen)) {
            ns_pkt_fail(p, NS_MAL_IP4_OPTIONS);
            return;
        }
    }

    ns_cur_clip(&c, tot);
    ns_cur_advance(&c, hlen);
    uint32_t claimed = tot - hlen;
    uint8_t proto = p->proto;
    if (!off) {
        /* AH may precede the transport header (RFC 4302 §3.1.1). */
        while (proto == 51) {
            if (ns_pkt_ah(p, &c, &claimed, &proto) < 0)
                return;
        }
        p->proto = proto;
    }
    if (off) {
        /* Non-first fragment: no transport header here. */
        p->l4_payload_len = claimed;
        p->payload = ns_cur_ptr(&c);
        p->payload_caplen = (uint32_t)c.len;
        return;
    }
    ns_pkt_l4(p, c, claimed, guessed);
}
