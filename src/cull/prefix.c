/* prefix.c — peering-LAN prefixes: strict parsing, containment, overlap. */
#include "cull/prefix.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static size_t addr_size(int family)
{
    return family == 4 ? 4 : 16;
}

/* Clear every bit past `len`; returns whether any was set. */
static bool mask_host_bits(uint8_t *a, size_t size, unsigned len)
{
    bool had = false;
    for (size_t i = 0; i < size; i++) {
        unsigned keep = len >= 8 * (i + 1) ? 8 : (len > 8 * i ? len - 8 * (unsigned)i : 0);
        uint8_t m = keep ? (uint8_t)(0xff << (8 - keep)) : 0;
        if (a[i] & (uint8_t)~m)
            had = true;
        a[i] &= m;
    }
    return had;
}

static bool is_v4_mapped(const uint8_t *a)
{
    static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return !memcmp(a, pre, sizeof pre);
}

int ns_prefix_parse(const char *s, struct ns_prefix *p, struct ns_error *e)
{
    memset(p, 0, sizeof *p);
    if (!s || !*s)
        return ns_error_set(e, NS_EINVAL, "empty prefix");
    const char *slash = strchr(s, '/');
    if (!slash)
        return ns_error_set(e, NS_EINVAL,
                            "'%s': no prefix length (write the LAN as ADDRESS/LENGTH, "
                            "e.g. 192.0.2.0/24 or 2001:db8:2::/64)",
                            s);
    char a[INET6_ADDRSTRLEN + 1];
    size_t alen = (size_t)(slash - s);
    if (!alen || alen >= sizeof a)
        return ns_error_set(e, NS_EINVAL, "'%s': not an IPv4 or IPv6 prefix", s);
    memcpy(a, s, alen);
    a[alen] = 0;
    int family = strchr(a, ':') ? 6 : 4;
    if (inet_pton(family == 4 ? AF_INET : AF_INET6, a, p->addr) != 1)
        return ns_error_set(e, NS_EINVAL, "'%s': '%s' is not an %s address", s, a,
                            family == 4 ? "IPv4" : "IPv6");
    const char *l = slash + 1;
    size_t nd = strspn(l, "0123456789");
    if (!nd || l[nd] || nd > 3)
        return ns_error_set(e, NS_EINVAL, "'%s': prefix length '%s' is not a number", s, l);
    unsigned len = 0;
    for (size_t i = 0; i < nd; i++)
        len = len * 10 + (unsigned)(l[i] - '0');
    unsigned max = family == 4 ? 32 : 128;
    if (len > max) {
        if (family == 4 && len <= 128)
            return ns_error_set(e, NS_EINVAL,
                                "'%s': mixed families: an IPv4 address with a prefix length "
                                "of %u, longer than IPv4's 32 bits",
                                s, len);
        return ns_error_set(e, NS_EINVAL, "'%s': prefix length %u is longer than %u", s, len, max);
    }
    if (!len)
        /* RFC 8327 §3.2.1: the filter must leave multihop BGP that merely
         * transits the fabric alone; a /0 "LAN" is every address. */
        return ns_error_set(e, NS_EINVAL,
                            "'%s': a /0 is not a peering LAN (the filter would cut multihop "
                            "BGP that merely transits the fabric, RFC 8327 section 3.2.1)",
                            s);
    if (family == 6 && is_v4_mapped(p->addr)) {
        char v4[INET_ADDRSTRLEN] = "";
        inet_ntop(AF_INET, p->addr + 12, v4, sizeof v4);
        if (len >= 96)
            return ns_error_set(e, NS_EINVAL,
                                "'%s': mixed families: an IPv4-mapped IPv6 prefix never matches "
                                "IPv4 BGP on the wire; give the IPv4 prefix %s/%u",
                                s, v4, len - 96);
        return ns_error_set(e, NS_EINVAL,
                            "'%s': mixed families: an IPv4-mapped IPv6 prefix never matches "
                            "IPv4 BGP on the wire; give the IPv4 prefix",
                            s);
    }
    p->family = (uint8_t)family;
    p->len = (uint8_t)len;
    uint8_t net[16];
    memcpy(net, p->addr, sizeof net);
    if (mask_host_bits(net, addr_size(family), len)) {
        struct ns_prefix n = *p;
        memcpy(n.addr, net, sizeof net);
        char t[NS_PREFIX_STRLEN];
        ns_prefix_format(&n, t, sizeof t);
        memset(p, 0, sizeof *p);
        return ns_error_set(e, NS_EINVAL,
                            "'%s': host bits set after the first %u bits (the network is %s)", s,
                            len, t);
    }
    return 0;
}

int ns_prefix_format(const struct ns_prefix *p, char *buf, size_t cap)
{
    char a[INET6_ADDRSTRLEN] = "";
    inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, a, sizeof a);
    return snprintf(buf, cap, "%s/%u", a, (unsigned)p->len);
}

bool ns_prefix_contains(const struct ns_prefix *p, int family, const uint8_t *addr)
{
    if (p->family != family || !addr)
        return false;
    unsigned full = p->len / 8, rest = p->len % 8;
    if (memcmp(p->addr, addr, full) != 0)
        return false;
    if (!rest)
        return true;
    uint8_t m = (uint8_t)(0xff << (8 - rest));
    return (addr[full] & m) == p->addr[full];
}

bool ns_prefix_overlaps(const struct ns_prefix *a, const struct ns_prefix *b)
{
    if (a->family != b->family)
        return false;
    /* Two aligned prefixes overlap only if the shorter contains the other. */
    return a->len <= b->len ? ns_prefix_contains(a, b->family, b->addr)
                            : ns_prefix_contains(b, a->family, a->addr);
}

int ns_lan_add(struct ns_lan *lan, const char *s, struct ns_error *e)
{
    struct ns_prefix p;
    int rc = ns_prefix_parse(s, &p, e);
    if (rc < 0)
        return rc;
    char t[NS_PREFIX_STRLEN], u[NS_PREFIX_STRLEN];
    ns_prefix_format(&p, t, sizeof t);
    for (size_t i = 0; i < lan->n; i++) {
        if (!ns_prefix_overlaps(&lan->p[i], &p))
            continue;
        ns_prefix_format(&lan->p[i], u, sizeof u);
        if (lan->p[i].len == p.len)
            return ns_error_set(e, NS_EINVAL, "'%s': duplicate LAN prefix (%s given twice)", s, t);
        return ns_error_set(e, NS_EINVAL,
                            "'%s': overlapping LAN prefixes %s and %s (give the covering one "
                            "only)",
                            s, u, t);
    }
    if (lan->n >= NS_LAN_MAX)
        return ns_error_set(e, NS_EFULL, "'%s': more than %d LAN prefixes", s, NS_LAN_MAX);
    lan->p[lan->n++] = p;
    return 0;
}

size_t ns_lan_count(const struct ns_lan *lan, int family)
{
    size_t n = 0;
    for (size_t i = 0; i < lan->n; i++)
        n += lan->p[i].family == family;
    return n;
}

bool ns_lan_contains(const struct ns_lan *lan, int family, const uint8_t *addr)
{
    for (size_t i = 0; i < lan->n; i++)
        if (ns_prefix_contains(&lan->p[i], family, addr))
            return true;
    return false;
}

bool ns_lan_pair(const struct ns_lan *lan, int family, const uint8_t *src, const uint8_t *dst)
{
    return ns_lan_contains(lan, family, src) && ns_lan_contains(lan, family, dst);
}
