/*
 * match.h — property match filtering (RFC 5475 §6.1): a tcpdump-like
 * expression compiled to mask/match rules over one decoded packet.
 *
 * Design
 * ------
 * RFC 5475 §6.1 defines property match filtering as "mask/match" on
 * packet fields: a field value AND a mask, compared with a value.  The
 * operator does not want to write masks, so an expression in the
 * vocabulary of pcap-filter(7) —
 *
 *     tcp and port 179 and net 192.0.2.0/24
 *     vlan 10 and not esp
 *     mpls label 100 or (ip6 and udp dst port 53)
 *     len > 1000 and tcp[13] & 0x12 == 0x12
 *
 * — is compiled once into a flat branch program (like BPF and the record
 * filter, record/filter.h): each instruction is one mask/match rule
 * `(field & mask) REL value` with a jump for true and one for false; jumps
 * only go to instructions emitted earlier, so a match visits each at most
 * once, with no recursion and no allocation.
 *
 * Fields come from two places: the decoded view (struct ns_pkt: addresses,
 * protocol after IPv6 extension headers, ports, outer VLAN id, top MPLS
 * label, TCP flags, ICMP type/code, the pcapng interface for router-state
 * filtering, RFC 5475 §6.1 "router state") and raw header bytes
 * (`ether[o:n]`, `ip[o:n]`, `ip6[o:n]`, `tcp[o:n]`, `udp[o:n]`, `l4[o:n]`,
 * n = 1, 2 or 4, big-endian, bounds-checked against the captured bytes).
 * A rule on a field the packet lacks (a port of an ICMP packet, `ip[..]` of
 * an IPv6 packet, bytes past the capture) is false, for every relation, so
 * `not port 53` holds for ICMP — as in BPF.
 *
 * Grammar (pcap-filter(7)'s precedence: `not` binds tightest, `and` and
 * `or` are equal and associate left to right):
 *
 *   expr  := term { (and|&&|or|'||') term }
 *   term  := { not | ! } ( '(' expr ')' | prim )
 *   prim  := ip | ip6 | tcp | udp | icmp | icmp6 | sctp | esp | ah | gre | igmp
 *          | encrypted | frag | vlan [N] | mpls [label] [N]
 *          | [ip|ip6] proto N
 *          | [proto] [src|dst] (host ADDR | net PREFIX | port N | portrange A-B)
 *          | ether [src|dst] host MAC
 *          | iface N | greater N | less N
 *          | FIELD [& MASK] REL VALUE        len ttl tos iplen proto sport dport
 *                                            vlan mpls tcpflags icmptype icmpcode
 *                                            iface ethertype
 *          | RAW[OFF[:SIZE]] [& MASK] REL VALUE
 *          | VALUE                           repeats the previous qualifiers
 *
 * `encrypted` is ESP (IP protocol 50) and UDP-encapsulated ESP (RFC 3948:
 * UDP port 4500 with a non-zero first payload word); `not encrypted` skips
 * what a selector cannot look into.
 *
 * Ownership and errors: ns_match_compile allocates (ns_match_free); on a
 * syntax error it returns NS_EINVAL and err->msg quotes the offending token
 * and gives its 1-based column.  A compiled match is read-only.
 */
#ifndef NS_SELECT_MATCH_H
#define NS_SELECT_MATCH_H

#include <stdint.h>

#include "pkt/pkt.h"
#include "util/err.h"

#define NS_MATCH_MAX_DEPTH 64 /* parentheses */
#define NS_MATCH_MAX_RULES 4096

struct ns_match;

int ns_match_compile(struct ns_match **out, const char *expr, struct ns_error *err);

/* 1 when the decoded packet `p` (frame bytes `frame`, p->caplen of them)
 * matches, else 0.  Allocates nothing. */
int ns_match_eval(const struct ns_match *m, const struct ns_pkt *p, const uint8_t *frame);

/* Number of mask/match rules (for tests and messages). */
int ns_match_size(const struct ns_match *m);

void ns_match_free(struct ns_match *m);

#endif
