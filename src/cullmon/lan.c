/* lan.c — see lan.h (temporary until src/cull/prefix.h is merged). */
#include "cullmon/lan.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

int ns_cm_lan_add(struct ns_cm_lan *lan, const char *s, struct ns_error *e)
{
    if (lan->n >= NS_CM_LAN_MAX)
        return ns_error_set(e, NS_EFULL, "more than %d LAN prefixes", NS_CM_LAN_MAX);
    const char *slash = strchr(s, '/');
    if (!slash || slash == s || (size_t)(slash - s) >= 64)
        return ns_error_set(e, NS_EINVAL, "'%s': expected ADDRESS/LENGTH", s);
    char a[64];
    memcpy(a, s, (size_t)(slash - s));
    a[slash - s] = '\0';
    struct ns_cm_prefix p = {0};
    p.family = strchr(a, ':') ? 6 : 4;
    if (inet_pton(p.family == 4 ? AF_INET : AF_INET6, a, p.addr) != 1)
        return ns_error_set(e, NS_EINVAL, "'%s': bad address", s);
    char *end;
    long l = strtol(slash + 1, &end, 10);
    if (*end || end == slash + 1 || l < 1 || l > (p.family == 4 ? 32 : 128))
        return ns_error_set(e, NS_EINVAL, "'%s': bad prefix length", s);
    p.len = (uint8_t)l;
    lan->p[lan->n++] = p;
    return NS_OK;
}

static int contains(const struct ns_cm_prefix *p, const uint8_t *addr)
{
    unsigned full = p->len / 8u, rest = p->len % 8u;
    if (memcmp(p->addr, addr, full) != 0)
        return 0;
    if (!rest)
        return 1;
    uint8_t mask = (uint8_t)(0xffu << (8 - rest));
    return (p->addr[full] & mask) == (addr[full] & mask);
}

int ns_cm_lan_contains(const struct ns_cm_lan *lan, int family, const uint8_t *addr)
{
    for (size_t i = 0; i < lan->n; i++)
        if (lan->p[i].family == family && contains(&lan->p[i], addr))
            return 1;
    return 0;
}
