/*
 * decode.h — the stages of the packet decoder (private to src/pkt).
 *
 * Design
 * ------
 * ns_pkt_decode() (pkt.c) clears the results and hands a cursor over the
 * frame to one link-layer function (link.c), which consumes its framing and
 * returns the network protocol as an ethertype: 0x0800 (IPv4), 0x86dd (IPv6),
 * or 0 when the frame carries no IP we decode.  Ethernet-family framings
 * share ns_pkt_l2_walk() (l2.c: 802.1Q/802.1ad tags, LLC/SNAP, MPLS, PPPoE).
 * IPv4 and IPv6 (ip4.c, ip6.c) validate the header and the extension chain
 * and pass a cursor clipped to the IP payload to ns_pkt_l4() (l4.c, tcp.c).
 *
 * Every stage reads packet bytes only through struct ns_cur, records the
 * first fault in p->malformed and returns; fields decoded before the fault
 * stay.  Nothing here allocates or keeps state outside *p.
 */
#ifndef NS_PKT_DECODE_H
#define NS_PKT_DECODE_H

#include "pkt/cursor.h"
#include "pkt/pkt.h"

#define NS_ETH_IP4  0x0800u
#define NS_ETH_IP6  0x86ddu
#define NS_ETH_MPLS 0x8847u

/* Consume the link header of `linktype`; returns NS_ETH_IP4/NS_ETH_IP6 or 0. */
uint16_t ns_pkt_link(struct ns_pkt *p, int linktype, struct ns_cur *c);

/* Walk Ethernet-family headers starting at ethertype (or 802.3 length)
 * `type`, the cursor just past that field. */
uint16_t ns_pkt_l2_walk(struct ns_pkt *p, struct ns_cur *c, uint16_t type);

/* LLC (+SNAP) header at the cursor; returns the SNAP ethertype or 0. */
uint16_t ns_pkt_llc(struct ns_pkt *p, struct ns_cur *c);

/* PPP protocol field (RFC 1661 §2, possibly compressed) mapped to an
 * ethertype (IPv4, IPv6, MPLS) or 0; 0 also when the field is missing. */
uint16_t ns_pkt_ppp_proto(struct ns_cur *c);

void ns_pkt_ip4(struct ns_pkt *p, struct ns_cur c);
void ns_pkt_ip6(struct ns_pkt *p, struct ns_cur c);

/* IPsec AH (RFC 4302 §2) at the cursor: skip it, lower *claimed, report the
 * next header.  Returns 0, or -1 after setting NS_MAL_AH_TRUNC. */
int ns_pkt_ah(struct ns_pkt *p, struct ns_cur *c, uint32_t *claimed, uint8_t *next);

/* Transport header of p->proto.  `c` covers the captured part of the IP
 * payload, `claimed` is its length per the IP header(s); `len_guessed` is set
 * when that length came from the capture (IPv4 total length 0, IPv6 payload
 * length 0) or a jumbo option, where a zero UDP length is legal. */
void ns_pkt_l4(struct ns_pkt *p, struct ns_cur c, uint32_t claimed, int len_guessed);
void ns_pkt_tcp(struct ns_pkt *p, struct ns_cur c, uint32_t claimed);

/* TCP options of a header of `hlen` bytes (> 20), all captured in `c`.
 * Returns 0, or -1 at the first malformed option (earlier ones are kept). */
int ns_pkt_tcp_options(struct ns_pkt *p, const struct ns_cur *c, uint32_t hlen);

/* The fast path (fast.c): Ethernet II without tags carrying IPv4 without
 * options or fragmentation, or IPv6 without extension headers, then a
 * complete TCP or UDP header.  Fills *p (cleared by the caller) exactly as
 * the general path would and returns 1, or touches nothing and returns 0. */
int ns_pkt_fast_eth(struct ns_pkt *p, const uint8_t *d);

/* Bytes of the frame that the snaplen cut off (wire length beyond caplen). */
static inline uint32_t ns_pkt_lost(const struct ns_pkt *p)
{
    return p->wirelen > p->caplen ? p->wirelen - p->caplen : 0;
}

static inline void ns_pkt_fail(struct ns_pkt *p, enum ns_malformed m)
{
    p->malformed = m;
}

#endif
