/*
 * filter.h — the involuntary BGP session teardown filter (RFC 8327 §3.2)
 * as configuration text for a switch platform or Linux nftables.
 *
 * Design
 * ------
 * One description (the peering LAN, the ports, a name) and one writer per
 * platform.  Every platform's text enforces the same rules, those of
 * RFC 8327 §3.2.1:
 *   - only BGP: TCP with port 179 — as source port and, in a second rule,
 *     as destination port, so sessions opened in either direction are cut;
 *   - only between peering-LAN addresses: source and destination both
 *     inside LAN prefixes of the same family (every pair of prefixes when
 *     a family has several), so multihop BGP that merely transits the
 *     fabric is untouched;
 *   - every address family given on the LAN gets its rules;
 *   - everything else is permitted (explicit permit-all entries, or a
 *     default action of forward/accept).
 * The filter goes on the ingress of the affected member ports, as in the
 * RFC's Appendix A; dropping one direction of every BGP segment is enough
 * to cut the session.
 *
 * Output is byte-for-byte the RFC's Appendix A for its example prefixes
 * (192.0.2.0/24, 2001:db8:2::/64): A.1 with --platform eos and port
 * Ethernet33, A.2 with --platform sros and port port-1/1/1.  A.1 is written
 * in EOS syntax although the RFC titles it "Cisco IOS, IOS XR & Arista
 * EOS"; ios and iosxr get the same entries in their own dialects (IOS:
 * "ip access-list extended", wildcard masks, "sequence N" for IPv6 and
 * "ipv6 traffic-filter"; IOS XR: "ipv4 access-list", "permit ipv4",
 * "access-group ... ingress").  Junos is not in the RFC; its filter
 * follows the QFX example of the repository the RFC points to
 * (family ethernet-switching, ip-version terms), with all LAN prefixes of
 * a family listed in one term.  nftables writes a `table bridge` with a
 * prerouting hook: L3/L4 matches on bridged frames without br_netfilter,
 * `iifname` selecting the member ports (no ports: every bridge port).
 *
 * Ownership: the writer only reads the spec; text goes to a caller FILE.
 * Errors follow util/err.h (NS_EINVAL naming the bad name or port, NS_EIO
 * when the FILE fails).
 */
#ifndef NS_CULL_FILTER_H
#define NS_CULL_FILTER_H

#include <stdio.h>

#include "cull/prefix.h"
#include "util/err.h"

enum ns_cull_platform {
    NS_CULL_IOS,
    NS_CULL_IOSXR,
    NS_CULL_EOS,
    NS_CULL_SROS,
    NS_CULL_JUNOS,
    NS_CULL_NFTABLES,
};

/* "ios", "iosxr", "eos", "sros", "junos", "nftables". */
int ns_cull_platform_parse(const char *s, enum ns_cull_platform *p, struct ns_error *e);
const char *ns_cull_platform_name(enum ns_cull_platform p);
/* The names above, comma separated, for messages and help. */
const char *ns_cull_platform_list(void);

#define NS_CULL_MAX_PORTS 256
/* Default nftables table (also what apply/remove use). */
#define NS_CULL_NFT_TABLE "netsift_cull"

struct ns_cull_spec {
    enum ns_cull_platform platform;
    const struct ns_lan *lan; /* at least one prefix */
    const char *const *ports; /* member ports to apply it on; may be 0 */
    size_t nports;
    const char *name;   /* NULL: the platform's default (the RFC's) */
    unsigned filter_id; /* SR OS filter number; 0: 10 as in A.2 */
    int no_description; /* leave the ports' descriptions alone */
};

/* Check names and ports for the platform (characters a config line can
 * carry, interface name length for Linux, ...). */
int ns_cull_spec_check(const struct ns_cull_spec *s, struct ns_error *e);

/* Check a --name for a platform (also what ns_cull_spec_check does). */
int ns_cull_name_check(enum ns_cull_platform p, const char *name, struct ns_error *e);

/* Write the filter (checks the spec first). */
int ns_cull_filter_write(FILE *out, const struct ns_cull_spec *s, struct ns_error *e);

/* Number of drop rules/entries the filter holds (for "installed N rules"). */
size_t ns_cull_filter_rules(const struct ns_cull_spec *s);

/* The nft table name the spec uses (spec name or NS_CULL_NFT_TABLE). */
const char *ns_cull_nft_table(const struct ns_cull_spec *s);

/* The nft script `apply` feeds to `nft -f -`: creates-then-deletes the
 * table and writes it again, in one transaction, so applying twice leaves
 * exactly one filter and a failure leaves the previous state. */
int ns_cull_nft_apply_script(FILE *out, const struct ns_cull_spec *s, struct ns_error *e);

#endif
