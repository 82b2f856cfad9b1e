/*
 * lan.h — the peering-LAN prefixes the monitor classifies addresses by.
 *
 * TEMPORARY: a minimal private parser until src/cull/prefix.h (the filter
 * generator's strict prefix parser, with overlap and host-bit checks) is on
 * main; then struct ns_cm_lan becomes struct ns_lan and these three
 * functions go.  Same shape on purpose: family is the IP version (4 or 6)
 * as in ns_pkt.ip_version, addresses are network-order bytes.
 *
 * No allocation; a fixed table of NS_CM_LAN_MAX prefixes.  Errors follow
 * util/err.h (NS_EINVAL naming the text, NS_EFULL past the table).
 */
#ifndef NS_CULLMON_LAN_H
#define NS_CULLMON_LAN_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define NS_CM_LAN_MAX 64

struct ns_cm_prefix {
    uint8_t family; /* 4 or 6 */
    uint8_t len;
    uint8_t addr[16];
};

struct ns_cm_lan {
    struct ns_cm_prefix p[NS_CM_LAN_MAX];
    size_t n;
};

int ns_cm_lan_add(struct ns_cm_lan *lan, const char *s, struct ns_error *e);
int ns_cm_lan_contains(const struct ns_cm_lan *lan, int family, const uint8_t *addr);

#endif
