/*
 * l4.c — transport and tunnel headers after IP: UDP, ICMP/ICMPv6, SCTP,
 * DCCP, ESP, GRE, IP-in-IP (TCP is in tcp.c).
 *
 * `c` covers the captured bytes of the IP payload and `claimed` is the
 * payload length per the IP header.  l4_payload_len is what the headers
 * claim (independent of caplen); payload/payload_caplen is what was
 * captured.  For protocols without a decoded header, the whole IP payload
 * is the payload.  NS_PKT_F_L4 means the transport header was complete and
 * consistent; its protocol-specific fields are then valid.
 *
 * Tunnels (GRE, IPv4/IPv6-in-IP, EtherIP, MPLS-in-IP): the outer header is
 * the flow; we record NS_PKT_F_TUNNEL (and the GRE header) and stop.
 */
#include "pkt/decode.h"

static void set_payload(struct ns_pkt *p, struct ns_cur c, uint32_t hlen, uint32_t claimed)
{
    p->l4_payload_len = claimed > hlen ? claimed - hlen : 0;
    ns_cur_advance(&c, hlen);
    ns_cur_clip(&c, p->l4_payload_len);
    p->payload = ns_cur_ptr(&c);
    p->payload_caplen = (uint32_t)c.len;
}

static void udp(struct ns_pkt *p, struct ns_cur c, uint32_t claimed, int len_guessed)
{
    /* RFC 768: sport dport length checksum; length counts the header. */
    if (!ns_cur_has(&c, 0, 8)) {
        ns_pkt_fail(p, NS_MAL_UDP_TRUNC);
        return;
    }
    uint32_t ulen = ns_cur_be16(&c, 4);
    if (ulen == 0 && len_guessed)
        ulen = claimed; /* RFC 2675 §4 jumbograms; GSO super-packets */
    /* The length covers the whole datagram, so in a first fragment with
     * more to follow (RFC 791 §2.3, RFC 8200 §4.5) it exceeds what this
     * packet carries; the payload is clipped to the capture below. */
    int partial = (p->flags & NS_PKT_F_FRAG_MORE) != 0;
    if (ulen < 8 || (ulen > claimed && !partial)) {
        ns_pkt_fail(p, NS_MAL_UDP_LEN);
        return;
    }
    p->sport = ns_cur_be16(&c, 0);
    p->dport = ns_cur_be16(&c, 2);
    p->flags |= NS_PKT_F_L4;
    set_payload(p, c, 8, ulen);
}

static void icmp(struct ns_pkt *p, struct ns_cur c, uint32_t claimed)
{
    /* RFC 792 / RFC 4443 §2.1: type code checksum, then 4 bytes of
     * message body that every type has; the payload starts after them. */
    if (!ns_cur_has(&c, 0, 4)) {
        ns_pkt_fail(p, NS_MAL_ICMP_TRUNC);
        return;
    }
    p->icmp_type = ns_cur_u8(&c, 0);
    p->icmp_code = ns_cur_u8(&c, 1);
    p->flags |= NS_PKT_F_L4;
    set_payload(p, c, 8, claimed);
}

static void sctp(struct ns_pkt *p, struct ns_cur c, uint32_t claimed)
{
    /* RFC 9260 §3.1: sport dport verification tag checksum. */
    if (!ns_cur_has(&c, 0, 12)) {
        ns_pkt_fail(p, NS_MAL_SCTP_TRUNC);
        return;
    }
    p->sport = ns_cur_be16(&c, 0);
    p->dport = ns_cur_be16(&c, 2);
    p->sctp_vtag = ns_cur_be32(&c, 4);
    p->flags |= NS_PKT_F_L4;
    set_payload(p, c, 12, claimed);
}

static void dccp(struct ns_pkt *p, struct ns_cur c, uint32_t claimed)
{
    /* RFC 4340 §5.1: data offset (32-bit words) at byte 4, X bit at byte 8
     * selects 48-bit sequence numbers (16-byte generic header) or 24-bit
     * (12 bytes). */
    if (!ns_cur_has(&c, 0, 12)) {
        ns_pkt_fail(p, NS_MAL_L4_TRUNC);
        return;
    }
    uint32_t doff = (uint32_t)ns_cur_u8(&c, 4) * 4;
    uint32_t min = (ns_cur_u8(&c, 8) & 1) ? 16 : 12;
    if (doff < min || doff > claimed || !ns_cur_has(&c, 0, min)) {
        ns_pkt_fail(p, NS_MAL_L4_TRUNC);
        return;
    }
    p->sport = ns_cur_be16(&c, 0);
    p->dport = ns_cur_be16(&c, 2);
    p->flags |= NS_PKT_F_L4;
    set_payload(p, c, doff, claimed);
}

static void esp(struct ns_pkt *p, struct ns_cur c, uint32_t claimed)
{
    /* RFC 4303 §2: SPI, sequence number, then encrypted payload. */
    if (!ns_cur_has(&c, 0, 8)) {
        ns_pkt_fail(p, NS_MAL_ESP_TRUNC);
        return;
    }
    p->esp_spi = ns_cur_be32(&c, 0);
    p->esp_seq = ns_cur_be32(&c, 4);
    p->flags |= NS_PKT_F_L4;
    set_payload(p, c, 8, claimed);
}

static void gre(struct ns_pkt *p, struct ns_cur c, uint32_t claimed)
{
    /* RFC 2784 / RFC 2890 (version 0), RFC 2637 §4.1 (version 1, PPTP):
     * flags+version(2) protocol(2) [checksum+offset(4) if C or R]
     * [key(4) if K] [sequence(4) if S] [ack(4) if v1 and A].  RFC 1701
     * source routes (R) after that are not walked: payload starts after
     * the fixed fields. */
    p->flags |= NS_PKT_F_TUNNEL;
    if (!ns_cur_has(&c, 0, 4)) {
        ns_pkt_fail(p, NS_MAL_GRE_TRUNC);
        return;
    }
    uint16_t fl = ns_cur_be16(&c, 0);
    uint32_t hlen = 4;
    uint32_t key_at = 0;
    if (fl & 0xc000u)
        hlen += 4;
    if (fl & 0x2000u) {
        key_at = hlen;
        hlen += 4;
    }
    if (fl & 0x1000u)
        hlen += 4;
    if ((fl & 7) == 1 && (fl & 0x0080u))
        hlen += 4;
    if (!ns_cur_has(&c, 0, hlen) || hlen > claimed) {
        ns_pkt_fail(p, NS_MAL_GRE_TRUNC);
        return;
    }
    p->gre_proto = ns_cur_be16(&c, 2);
    if (key_at)
        p->gre_key = ns_cur_be32(&c, key_at);
    p->flags |= NS_PKT_F_L4;
    set_payload(p, c, hlen, claimed);
}

void ns_pkt_l4(struct ns_pkt *p, struct ns_cur c, uint32_t claimed, int len_guessed)
{
    switch (p->proto) {
    case 6:
        ns_pkt_tcp(p, c, claimed);
        return;
    case 17:
        udp(p, c, claimed, len_guessed);
        return;
    case 1:
    case 58:
        icmp(p, c, claimed);
        return;
    case 132:
        sctp(p, c, claimed);
        return;
    case 33:
        dccp(p, c, claimed);
        return;
    case 50:
        esp(p, c, claimed);
        return;
    case 47:
        gre(p, c, claimed);
        return;
    case 4:   /* IPv4 in IP (RFC 2003) */
    case 41:  /* IPv6 in IP (RFC 4213 §3.5) */
    case 97:  /* EtherIP (RFC 3378) */
    case 137: /* MPLS in IP (RFC 4023) */
        p->flags |= NS_PKT_F_TUNNEL;
        set_payload(p, c, 0, claimed);
        return;
    default:
        set_payload(p, c, 0, claimed);
        return;
    }
}
