/* filter.c — RFC 8327 involuntary-teardown filters, one writer per platform. */
#include "cull/filter.h"

#include <stdbool.h>
#include <string.h>

static const char *const platform_names[] = {
    [NS_CULL_IOS] = "ios",   [NS_CULL_IOSXR] = "iosxr", [NS_CULL_EOS] = "eos",
    [NS_CULL_SROS] = "sros", [NS_CULL_JUNOS] = "junos", [NS_CULL_NFTABLES] = "nftables",
};
#define NPLATFORMS (sizeof platform_names / sizeof platform_names[0])

/* RFC 8327 Appendix A.1 and A.2 wording, kept so the defaults reproduce it. */
#define RFC_DESCRIPTION "IXP Participant Affected by Maintenance"
#define RFC_ACL_V4      "acl-ipv4-permit-all-except-bgp"
#define RFC_ACL_V6      "acl-ipv6-permit-all-except-bgp"
#define RFC_SROS_V4     "ACL IPv4 Permit All Except BGP"
#define RFC_SROS_V6     "ACL IPv6 Permit All Except BGP"
#define RFC_SROS_ID     10u
#define JUNOS_FILTER    "cull"
#define BGP_PORT        179

int ns_cull_platform_parse(const char *s, enum ns_cull_platform *p, struct ns_error *e)
{
    for (size_t i = 0; i < NPLATFORMS; i++)
        if (s && !strcmp(s, platform_names[i])) {
            *p = (enum ns_cull_platform)i;
            return 0;
        }
    return ns_error_set(e, NS_EINVAL, "unknown platform '%s' (one of %s)", s ? s : "",
                        ns_cull_platform_list());
}

const char *ns_cull_platform_name(enum ns_cull_platform p)
{
    return (size_t)p < NPLATFORMS ? platform_names[p] : "?";
}

const char *ns_cull_platform_list(void)
{
    return "ios, iosxr, eos, sros, junos, nftables";
}

const char *ns_cull_nft_table(const struct ns_cull_spec *s)
{
    return s->name ? s->name : NS_CULL_NFT_TABLE;
}

/* ---- checks ---------------------------------------------------------- */

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int ns_cull_name_check(enum ns_cull_platform p, const char *n, struct ns_error *e)
{
    if (!n)
        return 0;
    size_t len = strlen(n);
    bool nft = p == NS_CULL_NFTABLES;
    /* nft identifiers start with a letter and take no '-'; switch ACL and
     * filter names take letters, digits, '-', '_' and '.' unquoted. */
    bool ok = len > 0 && len <= 63 && (is_alpha(n[0]) || (!nft && is_digit(n[0])));
    for (size_t i = 0; ok && i < len; i++)
        ok = is_alpha(n[i]) || is_digit(n[i]) || n[i] == '_' ||
             (!nft && (n[i] == '-' || n[i] == '.'));
    if (!ok)
        return ns_error_set(e, NS_EINVAL,
                            "--name '%s': %s names are 1-63 characters: a letter%s, then "
                            "letters, digits, '_'%s",
                            n, ns_cull_platform_name(p), nft ? "" : " or digit",
                            nft ? "" : ", '-' or '.'");
    return 0;
}

static int check_port(const struct ns_cull_spec *s, const char *p, struct ns_error *e)
{
    size_t len = strlen(p);
    if (!len)
        return ns_error_set(e, NS_EINVAL, "--port '': empty port name");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c <= ' ' || c >= 0x7f || strchr("\"'\\;{}#!", c))
            return ns_error_set(e, NS_EINVAL,
                                "--port '%s': character '%c' cannot appear in a port name "
                                "in %s configuration",
                                p, c >= ' ' && c < 0x7f ? c : '?',
                                ns_cull_platform_name(s->platform));
    }
    if (s->platform == NS_CULL_NFTABLES && len > 15)
        return ns_error_set(e, NS_EINVAL,
                            "--port '%s': Linux interface names are at most 15 characters", p);
    if (len > 64)
        return ns_error_set(e, NS_EINVAL, "--port '%s': longer than 64 characters", p);
    return 0;
}

int ns_cull_spec_check(const struct ns_cull_spec *s, struct ns_error *e)
{
    if ((size_t)s->platform >= NPLATFORMS)
        return ns_error_set(e, NS_EINVAL, "unknown platform %d", (int)s->platform);
    if (!s->lan || !s->lan->n)
        return ns_error_set(e, NS_EINVAL,
                            "no peering LAN prefix: give --lan PREFIX for every family on the "
                            "fabric (RFC 8327 section 3.2.1: the filter must affect all "
                            "address families)");
    int rc = ns_cull_name_check(s->platform, s->name, e);
    if (rc < 0)
        return rc;
    if (s->nports > NS_CULL_MAX_PORTS)
        return ns_error_set(e, NS_EINVAL, "more than %d ports", NS_CULL_MAX_PORTS);
    for (size_t i = 0; i < s->nports; i++) {
        if ((rc = check_port(s, s->ports[i], e)) < 0)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(s->ports[i], s->ports[j]))
                return ns_error_set(e, NS_EINVAL, "--port '%s' given twice", s->ports[i]);
    }
    return 0;
}

size_t ns_cull_filter_rules(const struct ns_cull_spec *s)
{
    size_t n4 = ns_lan_count(s->lan, 4), n6 = ns_lan_count(s->lan, 6);
    switch (s->platform) {
    case NS_CULL_IOS:
    case NS_CULL_IOSXR:
    case NS_CULL_EOS:
        return 2 * (n4 * n4 + n6 * n6); /* sport and dport entries per pair */
    case NS_CULL_SROS:
        return n4 * n4 + n6 * n6; /* "port eq 179" matches either port */
    case NS_CULL_JUNOS:
    case NS_CULL_NFTABLES:
        return (size_t)2 * ((n4 > 0 ? 1u : 0u) + (n6 > 0 ? 1u : 0u)); /* one per port side */
    }
    return 0;
}

/* ---- helpers ----------------------------------------------------------- */

static void fmt(const struct ns_prefix *p, char *buf)
{
    ns_prefix_format(p, buf, NS_PREFIX_STRLEN);
}

/* Cisco IOS IPv4 ACL address: "host A" or "NETWORK WILDCARD". */
static void fmt_ios4(const struct ns_prefix *p, char *buf)
{
    if (p->len == 32) {
        snprintf(buf, NS_PREFIX_STRLEN, "host %u.%u.%u.%u", p->addr[0], p->addr[1], p->addr[2],
                 p->addr[3]);
        return;
    }
    uint32_t wild = p->len ? 0xffffffffu >> p->len : 0xffffffffu;
    snprintf(buf, NS_PREFIX_STRLEN, "%u.%u.%u.%u %u.%u.%u.%u", p->addr[0], p->addr[1], p->addr[2],
             p->addr[3], wild >> 24, (wild >> 16) & 0xff, (wild >> 8) & 0xff, wild & 0xff);
}

static const char *acl_name(const struct ns_cull_spec *s, int family, char *buf, size_t cap)
{
    if (!s->name)
        return family == 4 ? RFC_ACL_V4 : RFC_ACL_V6;
    snprintf(buf, cap, "%s-ipv%d", s->name, family);
    return buf;
}

/* ---- Cisco IOS, IOS XR, Arista EOS (RFC 8327 A.1) ---------------------- */

static void write_acl(FILE *out, const struct ns_cull_spec *s, int family)
{
    enum ns_cull_platform pl = s->platform;
    char name[80], a[NS_PREFIX_STRLEN], b[NS_PREFIX_STRLEN];
    const char *head = family == 6           ? "ipv6 access-list"
                       : pl == NS_CULL_IOS   ? "ip access-list extended"
                       : pl == NS_CULL_IOSXR ? "ipv4 access-list"
                                             : "ip access-list";
    /* IOS IPv6 ACLs number their entries with the "sequence" keyword. */
    const char *seq = pl == NS_CULL_IOS && family == 6 ? "sequence " : "";
    fprintf(out, "%s %s\n", head, acl_name(s, family, name, sizeof name));
    unsigned n = 10;
    for (size_t i = 0; i < s->lan->n; i++) {
        const struct ns_prefix *src = &s->lan->p[i];
        if (src->family != family)
            continue;
        for (size_t j = 0; j < s->lan->n; j++) {
            const struct ns_prefix *dst = &s->lan->p[j];
            if (dst->family != family)
                continue;
            if (pl == NS_CULL_IOS && family == 4) {
                fmt_ios4(src, a);
                fmt_ios4(dst, b);
            } else {
                fmt(src, a);
                fmt(dst, b);
            }
            /* Both directions: BGP from port 179, then BGP to port 179. */
            fprintf(out, "   %s%u deny tcp %s eq bgp %s\n", seq, n, a, b);
            fprintf(out, "   %s%u deny tcp %s %s eq bgp\n", seq, n + 10, a, b);
            n += 20;
        }
    }
    const char *any = family == 6 ? "ipv6" : pl == NS_CULL_IOSXR ? "ipv4" : "ip";
    fprintf(out, "   %s%u permit %s any any\n!\n", seq, n, any);
}

static void write_cisco(FILE *out, const struct ns_cull_spec *s)
{
    /* IPv6 first, as in A.1. */
    bool v6 = ns_lan_count(s->lan, 6) > 0, v4 = ns_lan_count(s->lan, 4) > 0;
    if (v6)
        write_acl(out, s, 6);
    if (v4)
        write_acl(out, s, 4);
    char name[80];
    for (size_t i = 0; i < s->nports; i++) {
        fprintf(out, "interface %s\n", s->ports[i]);
        if (!s->no_description)
            fprintf(out, "   description %s\n", RFC_DESCRIPTION);
        switch (s->platform) {
        case NS_CULL_IOS:
            if (v4)
                fprintf(out, "   ip access-group %s in\n", acl_name(s, 4, name, sizeof name));
            if (v6)
                fprintf(out, "   ipv6 traffic-filter %s in\n", acl_name(s, 6, name, sizeof name));
            break;
        case NS_CULL_IOSXR:
            if (v4)
                fprintf(out, "   ipv4 access-group %s ingress\n",
                        acl_name(s, 4, name, sizeof name));
            if (v6)
                fprintf(out, "   ipv6 access-group %s ingress\n",
                        acl_name(s, 6, name, sizeof name));
            break;
        default:
            if (v4)
                fprintf(out, "   ip access-group %s in\n", acl_name(s, 4, name, sizeof name));
            if (v6)
                fprintf(out, "   ipv6 access-group %s in\n", acl_name(s, 6, name, sizeof name));
            break;
        }
        fprintf(out, "!\n");
    }
}

/* ---- Nokia SR OS (RFC 8327 A.2) ------------------------------------------ */

static void write_sros_filter(FILE *out, const struct ns_cull_spec *s, int family, unsigned id)
{
    char a[NS_PREFIX_STRLEN], b[NS_PREFIX_STRLEN];
    fprintf(out, "%s %u create\n", family == 4 ? "ip-filter" : "ipv6-filter", id);
    if (s->name)
        fprintf(out, "    filter-name \"%s-ipv%d\"\n", s->name, family);
    else
        fprintf(out, "    filter-name \"%s\"\n", family == 4 ? RFC_SROS_V4 : RFC_SROS_V6);
    fprintf(out, "    default-action forward\n");
    unsigned n = 10;
    for (size_t i = 0; i < s->lan->n; i++) {
        const struct ns_prefix *src = &s->lan->p[i];
        if (src->family != family)
            continue;
        for (size_t j = 0; j < s->lan->n; j++) {
            const struct ns_prefix *dst = &s->lan->p[j];
            if (dst->family != family)
                continue;
            fmt(src, a);
            fmt(dst, b);
            /* "port eq 179" matches the source or the destination port:
             * both directions in one entry. */
            fprintf(out,
                    "    entry %u create\n"
                    "        match %s tcp\n"
                    "            dst-ip %s\n"
                    "            src-ip %s\n"
                    "            port eq %d\n"
                    "        exit\n"
                    "        action\n"
                    "            drop\n"
                    "        exit\n"
                    "    exit\n",
                    n, family == 4 ? "protocol" : "next-header", b, a, BGP_PORT);
            n += 10;
        }
    }
    fprintf(out, "exit\n");
}

static void write_sros(FILE *out, const struct ns_cull_spec *s)
{
    unsigned id = s->filter_id ? s->filter_id : RFC_SROS_ID;
    bool v4 = ns_lan_count(s->lan, 4) > 0, v6 = ns_lan_count(s->lan, 6) > 0;
    const char *sep = "";
    if (v4) {
        write_sros_filter(out, s, 4, id);
        sep = "\n";
    }
    if (v6) {
        fputs(sep, out);
        write_sros_filter(out, s, 6, id);
        sep = "\n";
    }
    for (size_t i = 0; i < s->nports; i++) {
        fprintf(out, "%sinterface \"%s\"\n", sep, s->ports[i]);
        if (!s->no_description)
            fprintf(out, "    description \"%s\"\n", RFC_DESCRIPTION);
        fprintf(out, "    ingress\n");
        if (v4)
            fprintf(out, "        filter ip %u\n", id);
        if (v6)
            fprintf(out, "        filter ipv6 %u\n", id);
        fprintf(out, "    exit\nexit\n");
        sep = "\n";
    }
}

/* ---- Juniper Junos (QFX, family ethernet-switching) ----------------------- */

static void junos_addr_list(FILE *out, const struct ns_cull_spec *s, int family, const char *what)
{
    char a[NS_PREFIX_STRLEN];
    fprintf(out, "                            %s {\n", what);
    for (size_t i = 0; i < s->lan->n; i++) {
        if (s->lan->p[i].family != family)
            continue;
        fmt(&s->lan->p[i], a);
        fprintf(out, "                                %s;\n", a);
    }
    fprintf(out, "                            }\n");
}

static void junos_term(FILE *out, const struct ns_cull_spec *s, int family, const char *side)
{
    /* Listing every LAN prefix of the family as source and as destination
     * matches every pair of them, as the ACL platforms' cross product. */
    fprintf(out,
            "            term cull-v%d-%s-bgp {\n"
            "                from {\n"
            "                    ip-version {\n"
            "                        ipv%d {\n",
            family, side, family);
    if (family == 6)
        fprintf(out, "                            next-header tcp;\n");
    fprintf(out, "                            %s-port %d;\n",
            !strcmp(side, "from") ? "source" : "destination", BGP_PORT);
    junos_addr_list(out, s, family, family == 4 ? "ip-source-address" : "ip6-source-address");
    junos_addr_list(out, s, family,
                    family == 4 ? "ip-destination-address" : "ip6-destination-address");
    if (family == 4)
        fprintf(out, "                            ip-protocol tcp;\n");
    fprintf(out, "                        }\n"
                 "                    }\n"
                 "                }\n"
                 "                then discard;\n"
                 "            }\n");
}

static void write_junos(FILE *out, const struct ns_cull_spec *s)
{
    const char *name = s->name ? s->name : JUNOS_FILTER;
    fprintf(out, "firewall {\n"
                 "    family ethernet-switching {\n");
    fprintf(out, "        filter %s {\n", name);
    for (int f = 4; f <= 6; f += 2) {
        if (!ns_lan_count(s->lan, f))
            continue;
        junos_term(out, s, f, "from");
        junos_term(out, s, f, "to");
    }
    fprintf(out, "            term rest {\n"
                 "                then accept;\n"
                 "            }\n"
                 "        }\n"
                 "    }\n"
                 "}\n");
    if (!s->nports)
        return;
    fprintf(out, "interfaces {\n");
    for (size_t i = 0; i < s->nports; i++) {
        /* "xe-0/0/46.5" is unit 5 of xe-0/0/46; no unit means unit 0. */
        const char *p = s->ports[i], *dot = strrchr(p, '.');
        int ilen = dot ? (int)(dot - p) : (int)strlen(p);
        fprintf(out,
                "    %.*s {\n"
                "        unit %s {\n"
                "            family ethernet-switching {\n"
                "                filter {\n"
                "                    input %s;\n"
                "                }\n"
                "            }\n"
                "        }\n"
                "    }\n",
                ilen, p, dot && dot[1] ? dot + 1 : "0", name);
    }
    fprintf(out, "}\n");
}

/* ---- Linux nftables (bridge family) ---------------------------------------- */

static void nft_set(FILE *out, const struct ns_cull_spec *s, int family)
{
    char a[NS_PREFIX_STRLEN];
    const char *sep = "{ ";
    for (size_t i = 0; i < s->lan->n; i++) {
        if (s->lan->p[i].family != family)
            continue;
        fmt(&s->lan->p[i], a);
        fprintf(out, "%s%s", sep, a);
        sep = ", ";
    }
    fprintf(out, " }");
}

static void write_nft(FILE *out, const struct ns_cull_spec *s)
{
    fprintf(out,
            "# RFC 8327 involuntary BGP session teardown: tcp/179 either way between\n"
            "# peering-LAN addresses, dropped as it enters the bridge from %s.\n",
            s->nports ? "the ports below" : "any port");
    fprintf(out,
            "table bridge %s {\n"
            "\tchain prerouting {\n"
            "\t\ttype filter hook prerouting priority filter; policy accept;\n",
            ns_cull_nft_table(s));
    for (int f = 4; f <= 6; f += 2) {
        if (!ns_lan_count(s->lan, f))
            continue;
        for (int dir = 0; dir < 2; dir++) {
            fprintf(out, "\t\t");
            if (s->nports) {
                fprintf(out, "iifname ");
                const char *sep = "{ ";
                for (size_t i = 0; i < s->nports; i++) {
                    fprintf(out, "%s\"%s\"", sep, s->ports[i]);
                    sep = ", ";
                }
                fprintf(out, " } ");
            }
            const char *ip = f == 4 ? "ip" : "ip6";
            fprintf(out, "%s saddr ", ip);
            nft_set(out, s, f);
            fprintf(out, " %s daddr ", ip);
            nft_set(out, s, f);
            fprintf(out, " tcp %s %d counter drop\n", dir ? "dport" : "sport", BGP_PORT);
        }
    }
    fprintf(out, "\t}\n}\n");
}

int ns_cull_filter_write(FILE *out, const struct ns_cull_spec *s, struct ns_error *e)
{
    int rc = ns_cull_spec_check(s, e);
    if (rc < 0)
        return rc;
    switch (s->platform) {
    case NS_CULL_IOS:
    case NS_CULL_IOSXR:
    case NS_CULL_EOS:
        write_cisco(out, s);
        break;
    case NS_CULL_SROS:
        write_sros(out, s);
        break;
    case NS_CULL_JUNOS:
        write_junos(out, s);
        break;
    case NS_CULL_NFTABLES:
        write_nft(out, s);
        break;
    }
    if (fflush(out) != 0 || ferror(out))
        return ns_error_set(e, NS_EIO, "writing the filter failed");
    return 0;
}

int ns_cull_nft_apply_script(FILE *out, const struct ns_cull_spec *s, struct ns_error *e)
{
    if (s->platform != NS_CULL_NFTABLES)
        return ns_error_set(e, NS_EINVAL, "only the nftables filter can be applied here");
    if (!s->nports)
        return ns_error_set(e, NS_EINVAL,
                            "apply needs --port IFACE: the bridge ports of the members under "
                            "maintenance (without ports every BGP session across every bridge "
                            "on this host would be cut)");
    /* "table" creates it when absent, so the "delete" always succeeds and
     * the new table replaces the old one in the same transaction. */
    fprintf(out, "table bridge %s\ndelete table bridge %s\n", ns_cull_nft_table(s),
            ns_cull_nft_table(s));
    return ns_cull_filter_write(out, s, e);
}
