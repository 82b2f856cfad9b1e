/*
 * key.h — the canonical biflow key (RFC 5103) and its hash.
 *
 * Design
 * ------
 * Both directions of a conversation must find the same cache entry with one
 * hash lookup, so the key is stored in a canonical orientation: side "a" is
 * the lower (address, port) endpoint, side "b" the higher one, and the
 * builder reports which side the packet's source is.  The flow remembers
 * which side is the initiator; the record is written from its view.
 *
 * Key fields: IP version, protocol, both addresses, both ports, ICMP
 * type/code, outermost VLAN id.  ICMP and ICMPv6 carry type/code in the key
 * and ports 0, as IPFIX icmpTypeCode does (RFC 7012 IEs 32/139).  The four
 * ICMP request/reply pairs (echo 8/0, timestamp 13/14, information 15/16,
 * address mask 17/18; RFC 792, RFC 950) and ICMPv6 echo 128/129 (RFC 4443
 * §4) are the two directions of one biflow: the key holds the request type
 * and side a is always the requester, whichever message is seen.
 *
 * No allocation, no errors: all functions are total.
 */
#ifndef NS_METER_KEY_H
#define NS_METER_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "pkt/pkt.h"

struct ns_flow_key {
    uint8_t a[16], b[16]; /* addresses of side a / side b (IPv4: first 4 bytes) */
    uint16_t aport, bport;
    uint16_t vlan;
    uint8_t ip_version, proto;
    uint8_t icmp_type, icmp_code;
    uint8_t pad[2]; /* always zero: keys are compared and hashed as bytes */
};

/* Transport view of a packet used to build its key. */
struct ns_key_l4 {
    uint16_t sport, dport;
    uint8_t icmp_type, icmp_code;
    uint8_t known; /* transport header (or the first fragment's) was decoded */
};

/* Whether `proto` carries 16-bit ports we key on (TCP, UDP, DCCP, SCTP, UDP-Lite).
 * Inline: both threads of the probe ask for every packet. */
static inline int ns_proto_has_ports(uint8_t proto)
{
    return proto == 6 || proto == 17 || proto == 33 || proto == 132 || proto == 136;
}

/* Whether `proto` is ICMP for this IP version (1 with v4, 58 with v6). */
static inline int ns_proto_is_icmp(uint8_t ip_version, uint8_t proto)
{
    return (ip_version == 4 && proto == 1) || (ip_version == 6 && proto == 58);
}

/*
 * For ICMP request/reply pairs: returns 1 and sets *request to the request
 * type and *is_reply when `type` belongs to a pair; 0 otherwise.
 */
int ns_icmp_pair(uint8_t ip_version, uint8_t type, uint8_t *request, int *is_reply);

/*
 * Build the canonical key for packet `p` (which must have NS_PKT_F_IP) with
 * transport fields `l4`.  When `l4->known` is 0 the ports and ICMP type/code
 * are 0 and no request/reply pairing applies (an ICMP flow of unknown type).  Returns the side of
 * the packet's source: 0 = side a, 1 = side b.
 */
int ns_flow_key_make(struct ns_flow_key *k, const struct ns_pkt *p, const struct ns_key_l4 *l4);

/* Seeded hash of `n` bytes (`n` a multiple of 4). */
uint32_t ns_hash_words(const void *data, size_t n, uint64_t seed);

/* Seeded hash of a key (computed once per packet). */
uint32_t ns_flow_key_hash(const struct ns_flow_key *k, uint64_t seed);

int ns_flow_key_equal(const struct ns_flow_key *x, const struct ns_flow_key *y);

#endif
