/*
 * ip6.c — IPv6 header and extension-header chain (RFC 8200 §4).
 *
 * We descend through hop-by-hop (0), routing (43), fragment (44),
 * destination options (60) and AH (51); anything else (ESP 50, no next
 * header 59, mobility 135, upper layers) is the final `proto`.  Each
 * extension header must fit inside both the payload length and the capture,
 * else NS_MAL_IP6_EXT.  Every header is at least 8 bytes, so the loop is
 * bounded by caplen.
 *
 * Payload length 0 means one of two things: a jumbogram (RFC 2675: the
 * hop-by-hop header carries a Jumbo Payload option with the real length),
 * or a GSO/BIG TCP super-packet captured on Linux without that option; for
 * the latter (only when TCP or UDP follows the fixed header directly, the
 * only GSO shapes) we take the length from the capture, as for IPv4 total
 * length 0 (see ip4.c).  Otherwise the payload is empty, as the header says.
 */
#include "pkt/decode.h"

/* RFC 2675 §2: option type 0xc2, length 4, value > 65535, only in a
 * hop-by-hop header that follows the IPv6 header.  Returns the jumbo
 * length, 0 when absent, -1 when the header or the option is broken. */
static int64_t hbh_jumbo(const struct ns_cur *c)
{
    if (!ns_cur_has(c, 0, 2))
        return -1;
    uint32_t hlen = ((uint32_t)ns_cur_u8(c, 1) + 1) * 8;
    if (!ns_cur_has(c, 0, hlen))
        return -1;
    uint32_t i = 2;
    while (i < hlen) {
        uint8_t t = ns_cur_u8(c, i);
        if (t == 0) { /* Pad1 */
            i++;
            continue;
        }
        if (i + 2 > hlen)
            return -1;
        uint32_t olen = ns_cur_u8(c, i + 1);
        if (olen > hlen - i - 2)
            return -1;
        if (t == 0xc2) {
            uint32_t j = ns_cur_be32(c, i + 2);
            if (olen != 4 || j <= 0xffffu)
                return -1;
            return j;
        }
        i += 2 + olen;
    }
    return 0;
}

void ns_pkt_ip6(struct ns_pkt *p, struct ns_cur c)
{
    if (ns_cur_has(&c, 0, 1) && (ns_cur_u8(&c, 0) >> 4) != 6) {
        ns_pkt_fail(p, NS_MAL_IP_VERSION);
        return;
    }
    if (!ns_cur_has(&c, 0, 40)) {
        ns_pkt_fail(p, NS_MAL_IP6_TRUNC);
        return;
    }
    uint32_t vtf = ns_cur_be32(&c, 0);
    uint32_t claimed = ns_cur_be16(&c, 4);
    uint8_t nxt = ns_cur_u8(&c, 6);
    p->ip_version = 6;
    p->tos = (uint8_t)(vtf >> 20);
    p->flow_label = vtf & 0xfffffu;
    p->proto = nxt;
    p->ttl = ns_cur_u8(&c, 7);
    ns_cur_copy(&c, 8, p->src, 16);
    ns_cur_copy(&c, 24, p->dst, 16);
    p->ip_hdr_len = 40;
    p->flags |= NS_PKT_F_IP;
    ns_cur_advance(&c, 40);

    int guessed = 0;
    if (claimed == 0) {
        int64_t j = nxt == 0 ? hbh_jumbo(&c) : 0;
        if (j < 0) {
            p->ip_len = 40;
            ns_pkt_fail(p, NS_MAL_IP6_EXT);
            return;
        }
        if (j) {
            claimed = (uint32_t)j;
            guessed = 1;
        } else if ((nxt == 6 || nxt == 17) && c.len) {
            /* GSO super-packets are TCP or UDP right after the header. */
            claimed = (uint32_t)c.len + ns_pkt_lost(p);
            guessed = 1;
        }
    }
    p->ip_len = claimed <= UINT32_MAX - 40 ? claimed + 40 : UINT32_MAX;
    if (claimed > c.len)
        p->flags |= NS_PKT_F_IP_TRUNC;
    ns_cur_clip(&c, claimed);

    for (;;) {
        uint32_t elen;
        switch (nxt) {
        case 0:  /* hop-by-hop options */
        case 43: /* routing */
        case 60: /* destination options */
            if (!ns_cur_has(&c, 0, 2)) {
                ns_pkt_fail(p, NS_MAL_IP6_EXT);
                return;
            }
            elen = ((uint32_t)ns_cur_u8(&c, 1) + 1) * 8;
            break;
        case 44: /* fragment (RFC 8200 §4.5) */
            elen = 8;
            break;
        case 51: /* AH */
            if (ns_pkt_ah(p, &c, &claimed, &nxt) < 0)
                return;
            p->proto = nxt;
            continue;
        default:
            goto upper;
        }
        if (elen > claimed || !ns_cur_has(&c, 0, elen)) {
            ns_pkt_fail(p, NS_MAL_IP6_EXT);
            return;
        }
        uint8_t next = ns_cur_u8(&c, 0);
        if (nxt == 44) {
            uint16_t fo = ns_cur_be16(&c, 2);
            uint32_t off = fo & 0xfff8u;
            /* An atomic fragment (offset 0, M 0) is a whole packet
             * (RFC 6946 §4): not flagged as a fragment. */
            if (off || (fo & 1)) {
                p->flags |= NS_PKT_F_FRAG | (off ? 0 : NS_PKT_F_FRAG_FIRST) |
                            ((fo & 1) ? NS_PKT_F_FRAG_MORE : 0);
                p->frag_id = ns_cur_be32(&c, 4);
                p->frag_off = off;
            }
            if (off) {
                ns_cur_advance(&c, elen);
                claimed -= elen;
                p->ip_hdr_len += elen;
                p->proto = next;
                p->l4_payload_len = claimed;
                p->payload = ns_cur_ptr(&c);
                p->payload_caplen = (uint32_t)c.len;
                return;
            }
        }
        ns_cur_advance(&c, elen);
        claimed -= elen;
        p->ip_hdr_len += elen;
        nxt = next;
        p->proto = nxt;
    }
upper:
    ns_pkt_l4(p, c, claimed, guessed);
}
