/*
 * l2.c — Ethernet-family headers between the link header and IP:
 * 802.1Q / 802.1ad / QinQ tags, 802.1ah provider backbone (PBB), 802.2
 * LLC + SNAP, MPLS label stacks and PPPoE sessions, in any nesting the frame
 * uses.
 *
 * p->ethertype ends as the last ethertype field present in the frame
 * (0x0800 for plain IPv4, 0x8847 for MPLS, 0x8864 for PPPoE), which is what
 * IPFIX ethernetType means; the return value says which IP follows.
 * Every loop consumes at least 4 bytes per round, so caplen bounds it.
 */
#include "pkt/decode.h"

uint16_t ns_pkt_ppp_proto(struct ns_cur *c)
{
    /* RFC 1661 §2: protocol numbers are odd in the low byte and even in
     * the high byte, so an odd first byte is a compressed 1-byte field. */
    uint16_t proto;
    if (!ns_cur_has(c, 0, 1))
        return 0;
    if (ns_cur_u8(c, 0) & 1) {
        proto = ns_cur_u8(c, 0);
        ns_cur_advance(c, 1);
    } else {
        if (!ns_cur_has(c, 0, 2))
            return 0;
        proto = ns_cur_be16(c, 0);
        ns_cur_advance(c, 2);
    }
    switch (proto) {
    case 0x0021:
        return NS_ETH_IP4;
    case 0x0057:
        return NS_ETH_IP6;
    case 0x0281: /* MPLS unicast (RFC 3032 §4.3) */
    case 0x0283: /* MPLS multicast */
        return NS_ETH_MPLS;
    default:
        return 0;
    }
}

uint16_t ns_pkt_llc(struct ns_pkt *p, struct ns_cur *c)
{
    /* IEEE 802.2: DSAP, SSAP, control (1 byte for U-format, else 2).
     * SNAP (RFC 1042): DSAP = SSAP = 0xaa, UI, then OUI(3) + ethertype. */
    if (!ns_cur_has(c, 0, 3)) {
        ns_pkt_fail(p, NS_MAL_L2_TRUNC);
        return 0;
    }
    uint8_t dsap = ns_cur_u8(c, 0), ssap = ns_cur_u8(c, 1), ctl = ns_cur_u8(c, 2);
    if (dsap != 0xaa || (ssap & 0xfe) != 0xaa || ctl != 0x03)
        return 0; /* STP, NetBIOS, IPX, ...: not IP */
    if (!ns_cur_has(c, 0, 8)) {
        ns_pkt_fail(p, NS_MAL_L2_TRUNC);
        return 0;
    }
    uint32_t oui = (uint32_t)ns_cur_u8(c, 3) << 16 | ns_cur_be16(c, 4);
    uint16_t type = ns_cur_be16(c, 6);
    ns_cur_advance(c, 8);
    /* OUI 0: RFC 1042 encapsulated ethertype; 0x0000f8: 802.1H bridge
     * tunnel, the same ethertype semantics.  Other OUIs are vendor PIDs. */
    if (oui != 0 && oui != 0xf8)
        return 0;
    return type >= 0x0600 ? type : 0;
}

static uint16_t mpls_stack(struct ns_pkt *p, struct ns_cur *c)
{
    /* RFC 3032 §2.1: label(20) TC(3) S(1) TTL(8); S marks the bottom. */
    for (;;) {
        if (!ns_cur_has(c, 0, 4)) {
            ns_pkt_fail(p, NS_MAL_MPLS_TRUNC);
            return 0;
        }
        uint32_t e = ns_cur_be32(c, 0);
        if (p->mpls_count == 0)
            p->mpls_top = e;
        if (p->mpls_count < UINT8_MAX)
            p->mpls_count++;
        ns_cur_advance(c, 4);
        if (e & 0x100u)
            break;
    }
    /* No payload type in MPLS: guess from the first nibble like every
     * LSR does for explicit null (RFC 4182); a pseudowire control word
     * (nibble 0) or anything else is not IP. */
    if (!ns_cur_has(c, 0, 1))
        return 0;
    switch (ns_cur_u8(c, 0) >> 4) {
    case 4:
        return NS_ETH_IP4;
    case 6:
        return NS_ETH_IP6;
    default:
        return 0;
    }
}

static uint16_t pppoe_session(struct ns_pkt *p, struct ns_cur *c)
{
    /* RFC 2516 §4: ver(4)=1 type(4)=1 code(8)=0 session(16) length(16),
     * then the PPP protocol field and the PPP payload. */
    if (!ns_cur_has(c, 0, 6)) {
        ns_pkt_fail(p, NS_MAL_PPPOE);
        return 0;
    }
    p->pppoe_session = ns_cur_be16(c, 2);
    uint16_t len = ns_cur_be16(c, 4);
    if (ns_cur_u8(c, 0) != 0x11 || ns_cur_u8(c, 1) != 0 || len < 1) {
        ns_pkt_fail(p, NS_MAL_PPPOE);
        return 0;
    }
    ns_cur_advance(c, 6);
    ns_cur_clip(c, len); /* drop Ethernet padding */
    if (!ns_cur_has(c, 0, (ns_cur_u8(c, 0) & 1) ? 1 : 2)) {
        ns_pkt_fail(p, NS_MAL_PPPOE);
        return 0;
    }
    return ns_pkt_ppp_proto(c);
}

uint16_t ns_pkt_l2_walk(struct ns_pkt *p, struct ns_cur *c, uint16_t type)
{
    for (;;) {
        if (type < 0x0600) { /* IEEE 802.3 length: LLC follows */
            p->ethertype = 0;
            type = ns_pkt_llc(p, c);
            if (!type)
                return 0;
        }
        p->ethertype = type;
        switch (type) {
        case 0x8100: /* 802.1Q */
        case 0x88a8: /* 802.1ad S-tag */
        case 0x9100: /* pre-standard QinQ */
        case 0x9200:
            if (!ns_cur_has(c, 0, 4)) {
                ns_pkt_fail(p, NS_MAL_VLAN_TRUNC);
                return 0;
            }
            if (p->vlan_count < NS_PKT_MAX_VLANS)
                p->vlan[p->vlan_count] = ns_cur_be16(c, 0) & 0x0fffu;
            if (p->vlan_count < UINT8_MAX)
                p->vlan_count++;
            type = ns_cur_be16(c, 2);
            ns_cur_advance(c, 4);
            continue;
        case 0x88e7: /* 802.1ah PBB: I-TAG(4), customer dst+src MAC(12),
                        then the customer ethertype.  The backbone MACs
                        stay in src_mac/dst_mac. */
            if (!ns_cur_has(c, 0, 18)) {
                ns_pkt_fail(p, NS_MAL_L2_TRUNC);
                return 0;
            }
            type = ns_cur_be16(c, 16);
            ns_cur_advance(c, 18);
            continue;
        case 0x8847: /* MPLS unicast */
        case 0x8848: /* MPLS multicast */
            return mpls_stack(p, c);
        case 0x8864: /* PPPoE session stage */
            type = pppoe_session(p, c);
            return type == NS_ETH_MPLS ? mpls_stack(p, c) : type;
        default:
            return type;
        }
    }
}
