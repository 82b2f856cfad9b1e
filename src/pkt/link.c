/*
 * link.c — link-layer framings: one function per pcap LINKTYPE_ value.
 *
 * Each consumes its header from the cursor and says which network protocol
 * follows (an ethertype, 0 when it is not IP).  Framings that carry an
 * ethertype hand it to ns_pkt_l2_walk() so that VLAN tags, MPLS and PPPoE
 * are decoded the same way behind every link.  For links without an
 * ethertype field (NULL, LOOP, raw, PPP, NFLOG) p->ethertype is the one the
 * payload would have had on Ethernet.
 * Header layouts: https://www.tcpdump.org/linktypes.html and the
 * LINKTYPE_* pages it links to.
 */
#include "pkt/decode.h"

/* BSD address-family values for IPv6 differ per OS: Linux 10, NetBSD and
 * OpenBSD 24, FreeBSD 28, Darwin 30; IPv4 is 2 everywhere. */
static uint16_t af_to_ethertype(uint32_t af)
{
    switch (af) {
    case 2:
        return NS_ETH_IP4;
    case 10:
    case 24:
    case 28:
    case 30:
        return NS_ETH_IP6;
    default:
        return 0;
    }
}

static uint16_t version_to_ethertype(struct ns_pkt *p, const struct ns_cur *c)
{
    if (!ns_cur_has(c, 0, 1)) {
        ns_pkt_fail(p, NS_MAL_L2_TRUNC);
        return 0;
    }
    switch (ns_cur_u8(c, 0) >> 4) {
    case 4:
        return NS_ETH_IP4;
    case 6:
        return NS_ETH_IP6;
    default:
        ns_pkt_fail(p, NS_MAL_IP_VERSION);
        return 0;
    }
}

static uint16_t link_ethernet(struct ns_pkt *p, struct ns_cur *c)
{
    if (!ns_cur_has(c, 0, 14)) {
        ns_pkt_fail(p, NS_MAL_L2_TRUNC);
        return 0;
    }
    ns_cur_copy(c, 0, p->dst_mac, 6);
    ns_cur_copy(c, 6, p->src_mac, 6);
    uint16_t type = ns_cur_be16(c, 12);
    ns_cur_advance(c, 14);
    return ns_pkt_l2_walk(p, c, type);
}

/* Linux "cooked" headers: the protocol field is an ethertype, except for
 * small values that name a framing (LINUX_SLL_P_802_2 = 4: LLC follows). */
static uint16_t sll_protocol(struct ns_pkt *p, struct ns_cur *c, uint16_t proto)
{
    if (proto == 0x0004)
        return ns_pkt_l2_walk(p, c, ns_pkt_llc(p, c));
    if (proto < 0x0600)
        return 0;
    return ns_pkt_l2_walk(p, c, proto);
}

static uint16_t link_sll(struct ns_pkt *p, struct ns_cur *c)
{
    /* pkttype(2) hatype(2) halen(2) addr(8) protocol(2) */
    if (!ns_cur_has(c, 0, 16)) {
        ns_pkt_fail(p, NS_MAL_L2_TRUNC);
        return 0;
    }
    if (ns_cur_be16(c, 4) == 6)
        ns_cur_copy(c, 6, p->src_mac, 6);
    uint16_t proto = ns_cur_be16(c, 14);
    ns_cur_advance(c, 16);
    return sll_protocol(p, c, proto);
}

static uint16_t link_sll2(struct ns_pkt *p, struct ns_cur *c)
{
    /* protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8) */
    if (!ns_cur_has(c, 0, 20)) {
        ns_pkt_fail(p, NS_MAL_L2_TRUNC);
        return 0;
    }
    if (ns_cur_u8(c, 11) == 6)
        ns_cur_copy(c, 12, p->src_mac, 6);
    uint16_t proto = ns_cur_be16(c, 0);
    ns_cur_advance(c, 20);
    return sll_protocol(p, c, proto);
}

/* LINKTYPE_NULL: a 4-byte AF_ value in the byte order of the host that
 * captured (LINKTYPE_LOOP: network order).  AF_ values are small, so a
 * read above 0xffff means the other byte order; tolerate it for both. */
static uint16_t link_null(struct ns_pkt *p, struct ns_cur *c, int network_order)
{
    if (!ns_cur_has(c, 0, 4)) {
        ns_pkt_fail(p, NS_MAL_L2_TRUNC);
        return 0;
    }
    uint32_t af = network_order ? ns_cur_be32(c, 0) : ns_cur_le32(c, 0);
    if (af > 0xffffu)
        af = network_order ? ns_cur_le32(c, 0) : ns_cur_be32(c, 0);
    ns_cur_advance(c, 4);
    return p->ethertype = af_to_ethertype(af);
}

static uint16_t link_chdlc(struct ns_pkt *p, struct ns_cur *c)
{
    /* address(1) control(1) ethertype(2) */
    if (!ns_cur_has(c, 0, 4)) {
        ns_pkt_fail(p, NS_MAL_L2_TRUNC);
        return 0;
    }
    uint16_t type = ns_cur_be16(c, 2);
    ns_cur_advance(c, 4);
    return ns_pkt_l2_walk(p, c, type);
}

/* LINKTYPE_PPP: the PPP protocol field, optionally behind the RFC 1662
 * HDLC-like address/control bytes 0xff 0x03.  Routers also log Cisco HDLC
 * frames (address 0x0f/0x8f) under this link type; Wireshark accepts both,
 * and so do we. */
static uint16_t link_ppp(struct ns_pkt *p, struct ns_cur *c)
{
    if (!ns_cur_has(c, 0, 2)) {
        ns_pkt_fail(p, NS_MAL_L2_TRUNC);
        return 0;
    }
    uint8_t a = ns_cur_u8(c, 0);
    if (a == 0x0f || a == 0x8f)
        return link_chdlc(p, c);
    if (a == 0xff && ns_cur_u8(c, 1) == 0x03)
        ns_cur_advance(c, 2);
    if (!ns_cur_has(c, 0, 1)) {
        ns_pkt_fail(p, NS_MAL_L2_TRUNC);
        return 0;
    }
    uint16_t type = ns_pkt_ppp_proto(c);
    if (type == NS_ETH_MPLS)
        return ns_pkt_l2_walk(p, c, type);
    return p->ethertype = type;
}

/* LINKTYPE_NFLOG: family(1) version(1) resource id(2), then TLVs whose
 * length and type are in host byte order (libpcap converts them to the
 * reading host's order); length counts the 4-byte TLV header, TLVs are
 * padded to 4 bytes.  NFULA_PAYLOAD (9) holds the IP packet. */
static uint16_t link_nflog(struct ns_pkt *p, struct ns_cur *c)
{
    if (!ns_cur_has(c, 0, 4)) {
        ns_pkt_fail(p, NS_MAL_L2_TRUNC);
        return 0;
    }
    uint8_t family = ns_cur_u8(c, 0);
    ns_cur_advance(c, 4);
    while (c->len) {
        if (!ns_cur_has(c, 0, 4)) {
            ns_pkt_fail(p, NS_MAL_L2_TRUNC);
            return 0;
        }
        uint32_t tlen = ns_cur_he16(c, 0);
        uint16_t ttype = ns_cur_he16(c, 2) & 0x7fffu; /* drop NLA_F_NESTED */
        if (tlen < 4) {
            ns_pkt_fail(p, NS_MAL_L2_TRUNC);
            return 0;
        }
        if (ttype == 9) {
            ns_cur_clip(c, tlen);
            ns_cur_advance(c, 4);
            return p->ethertype = af_to_ethertype(family == 10 ? 10 : family == 2 ? 2 : 0);
        }
        ns_cur_advance(c, (tlen + 3u) & ~3u);
    }
    return 0;
}

uint16_t ns_pkt_link(struct ns_pkt *p, int linktype, struct ns_cur *c)
{
    switch (linktype) {
    case NS_LINK_ETHERNET:
        return link_ethernet(p, c);
    case NS_LINK_LINUX_SLL:
        return link_sll(p, c);
    case NS_LINK_LINUX_SLL2:
        return link_sll2(p, c);
    case NS_LINK_RAW:
    case NS_LINK_DLT_RAW_BSD:
    case NS_LINK_DLT_RAW_OBSD:
        return p->ethertype = version_to_ethertype(p, c);
    case NS_LINK_IPV4:
        return p->ethertype = NS_ETH_IP4;
    case NS_LINK_IPV6:
        return p->ethertype = NS_ETH_IP6;
    case NS_LINK_NULL:
        return link_null(p, c, 0);
    case NS_LINK_LOOP:
        return link_null(p, c, 1);
    case NS_LINK_PPP:
        return link_ppp(p, c);
    case NS_LINK_NFLOG:
        return link_nflog(p, c);
    case 104: /* LINKTYPE_C_HDLC */
        return link_chdlc(p, c);
    default:
        ns_pkt_fail(p, NS_MAL_LINKTYPE);
        return 0;
    }
}
