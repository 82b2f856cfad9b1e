/*
 * prefix.h — peering-LAN prefixes for BGP session culling (RFC 8327).
 *
 * Design
 * ------
 * RFC 8327 §3.2.1: "The peering LAN prefixes used by the IXP form the
 * control plane", and the culling filter "MUST only affect BGP traffic
 * specific to the layer-2 fabric ... rather than multihop BGP traffic which
 * merely transits".  Everything in `netsift cull` therefore starts from the
 * set of LAN prefixes: the filter generators drop tcp/179 only when both
 * endpoints lie inside LAN prefixes of the same family, and the monitor
 * asks "is this address on the peering LAN?" with the same code.
 *
 * Parsing is strict because a wrong prefix silently culls too much or too
 * little: a prefix must carry an explicit length, must not have host bits
 * set (the message names the network address meant), must not be /0 (that
 * would cut multihop BGP), and IPv4-mapped IPv6 (::ffff:0:0/96) is refused
 * because IPv4 BGP never appears on the wire in that form — a filter
 * written with it would leave IPv4 sessions untouched, the RFC 8327 §3.2.2
 * "filter applied to one family only" failure.  An IPv4 address with an
 * IPv6-sized length (192.0.2.0/64) is the "mixed families" error.
 * A set rejects duplicates and overlapping prefixes (the operator probably
 * typed one of them wrong); both families together are normal.
 *
 * Families are IP versions (4 or 6), the same numbers as ns_pkt.ip_version,
 * and addresses are network-order bytes (4 or 16), so a decoded packet's
 * addresses can be tested directly.  No allocation; a set is a fixed table
 * of NS_LAN_MAX prefixes.  Errors follow util/err.h.
 */
#ifndef NS_CULL_PREFIX_H
#define NS_CULL_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct ns_prefix {
    uint8_t family;   /* 4 or 6 */
    uint8_t len;      /* 1..32 or 1..128 */
    uint8_t addr[16]; /* network order; bytes past the family's size are 0 */
};

/* Long enough for any IPv6 prefix in text ("xxxx:...:xxxx/128"). */
#define NS_PREFIX_STRLEN 48

/* Parse "192.0.2.0/24" or "2001:db8:2::/64" (see the rules above).
 * NS_EINVAL with a message naming the text and the reason. */
int ns_prefix_parse(const char *s, struct ns_prefix *p, struct ns_error *e);

/* Canonical text (inet_ntop form, "/len").  Returns the length written. */
int ns_prefix_format(const struct ns_prefix *p, char *buf, size_t cap);

/* Whether `addr` (4 or 16 bytes as `family` says) lies inside `p`; false
 * when the families differ. */
bool ns_prefix_contains(const struct ns_prefix *p, int family, const uint8_t *addr);

/* Whether two prefixes share any address (same family, and one contains the
 * other's network). */
bool ns_prefix_overlaps(const struct ns_prefix *a, const struct ns_prefix *b);

#define NS_LAN_MAX 64

/* The peering LAN: prefixes in the order given. */
struct ns_lan {
    struct ns_prefix p[NS_LAN_MAX];
    size_t n;
};

/* Parse `s` and add it; NS_EINVAL for a bad prefix, a duplicate or an
 * overlap (naming both), NS_EFULL past NS_LAN_MAX.  `lan` is unchanged on
 * failure. */
int ns_lan_add(struct ns_lan *lan, const char *s, struct ns_error *e);

/* Number of prefixes of one family (4 or 6). */
size_t ns_lan_count(const struct ns_lan *lan, int family);

/* Whether `addr` is inside any LAN prefix of its family. */
bool ns_lan_contains(const struct ns_lan *lan, int family, const uint8_t *addr);

/* What the culling filter matches on addresses: both ends on the peering
 * LAN (any of its prefixes of that family). */
bool ns_lan_pair(const struct ns_lan *lan, int family, const uint8_t *src, const uint8_t *dst);

#endif
