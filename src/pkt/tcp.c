/*
 * tcp.c — TCP header (RFC 9293 §3.1) and the options a meter uses:
 * MSS (kind 2), window scale (3, RFC 7323 §2), SACK-permitted (4) and SACK
 * (5, RFC 2018), timestamps (8, RFC 7323 §3).
 *
 * A data offset below 5 words or beyond the IP payload makes the header
 * untrustworthy (NS_MAL_TCP_HLEN, no NS_PKT_F_L4).  A broken option list
 * only loses the options: the fixed header stays valid, NS_PKT_F_L4 is set
 * and malformed says NS_MAL_TCP_OPTIONS.  Options cut off by the snaplen
 * give NS_MAL_TCP_TRUNC with the fixed header kept.
 */
#include "pkt/decode.h"

int ns_pkt_tcp_options(struct ns_pkt *p, const struct ns_cur *c, uint32_t hlen)
{
    uint32_t i = 20;
    while (i < hlen) {
        uint8_t kind = ns_cur_u8(c, i);
        if (kind == 0) /* end of option list */
            return 0;
        if (kind == 1) { /* NOP */
            i++;
            continue;
        }
        if (i + 2 > hlen)
            return -1;
        uint32_t olen = ns_cur_u8(c, i + 1);
        if (olen < 2 || olen > hlen - i)
            return -1;
        switch (kind) {
        case 2:
            if (olen != 4)
                return -1;
            p->tcp_mss = ns_cur_be16(c, i + 2);
            p->flags |= NS_PKT_F_TCP_OPT_MSS;
            break;
        case 3:
            if (olen != 3)
                return -1;
            p->tcp_wscale = ns_cur_u8(c, i + 2);
            p->flags |= NS_PKT_F_TCP_OPT_WS;
            break;
        case 4:
            if (olen != 2)
                return -1;
            p->flags |= NS_PKT_F_TCP_OPT_SACKOK;
            break;
        case 5:
            if (olen < 10 || (olen - 2) % 8)
                return -1;
            p->flags |= NS_PKT_F_TCP_OPT_SACK;
            break;
        case 8:
            if (olen != 10)
                return -1;
            p->tcp_tsval = ns_cur_be32(c, i + 2);
            p->tcp_tsecr = ns_cur_be32(c, i + 6);
            p->flags |= NS_PKT_F_TCP_OPT_TS;
            break;
        default:
            break;
        }
        i += olen;
    }
    return 0;
}

void ns_pkt_tcp(struct ns_pkt *p, struct ns_cur c, uint32_t claimed)
{
    if (!ns_cur_has(&c, 0, 20)) {
        ns_pkt_fail(p, NS_MAL_TCP_TRUNC);
        return;
    }
    uint32_t hlen = (uint32_t)(ns_cur_u8(&c, 12) >> 4) * 4;
    if (hlen < 20 || hlen > claimed) {
        ns_pkt_fail(p, NS_MAL_TCP_HLEN);
        return;
    }
    p->sport = ns_cur_be16(&c, 0);
    p->dport = ns_cur_be16(&c, 2);
    p->tcp_seq = ns_cur_be32(&c, 4);
    p->tcp_ack = ns_cur_be32(&c, 8);
    p->tcp_ae = ns_cur_u8(&c, 12) & 1;
    p->tcp_flags = ns_cur_u8(&c, 13);
    p->tcp_win = ns_cur_be16(&c, 14);
    p->flags |= NS_PKT_F_L4;
    p->l4_payload_len = claimed - hlen;
    if (!ns_cur_has(&c, 0, hlen)) {
        ns_pkt_fail(p, NS_MAL_TCP_TRUNC);
        return;
    }
    if (hlen > 20 && ns_pkt_tcp_options(p, &c, hlen) < 0)
        ns_pkt_fail(p, NS_MAL_TCP_OPTIONS);
    ns_cur_advance(&c, hlen);
    p->payload = ns_cur_ptr(&c);
    p->payload_caplen = (uint32_t)c.len;
}
