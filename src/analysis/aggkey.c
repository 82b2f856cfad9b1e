/* Aggregation keys: parsing, prefix cuts, wildcards, key bytes (aggkey.h). */
#include "analysis/aggkey.h"

#include "record/merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The default key: the flow key plus flowId. */
static const char flow_key[] = "flowid,ipver,proto,saddr,sport,daddr,dport,vlan";

/* Fast-path kinds of key parts (ns_aggkey_part.kind). */
enum part_kind { PK_FIELD = 0, PK_PROTO, PK_IPVER, PK_VLAN, PK_ADDR, PK_PORT };

/* The fields that are key components: which components they keep when
 * part of the key, and their fast path (read straight from the record,
 * with the absent/present rules of the getters in record/fields.c).  Any
 * other field (sttl, state, ...) keeps none, so an aggregate by TTL has
 * wildcard addresses and ports, and is read through its getter. */
static const struct key_field {
    const char *name;
    uint8_t comps;
    uint8_t kind, dir, want; /* want: IP version (addresses) or 1 = IPFIX port IE */
} key_fields[] = {
    {"ipver", NS_RK_IPVER, PK_IPVER, 0, 0},
    {"proto", NS_RK_PROTO, PK_PROTO, 0, 0},
    {"protonum", NS_RK_PROTO, PK_PROTO, 0, 0},
    {"saddr", NS_RK_SADDR | NS_RK_IPVER, PK_ADDR, 0, 0},
    {"srcv4", NS_RK_SADDR | NS_RK_IPVER, PK_ADDR, 0, 4},
    {"srcv6", NS_RK_SADDR | NS_RK_IPVER, PK_ADDR, 0, 6},
    {"daddr", NS_RK_DADDR | NS_RK_IPVER, PK_ADDR, 1, 0},
    {"dstv4", NS_RK_DADDR | NS_RK_IPVER, PK_ADDR, 1, 4},
    {"dstv6", NS_RK_DADDR | NS_RK_IPVER, PK_ADDR, 1, 6},
    {"sport", NS_RK_SPORT, PK_PORT, 0, 0},
    {"srcport", NS_RK_SPORT, PK_PORT, 0, 1},
    {"dport", NS_RK_DPORT, PK_PORT, 1, 0},
    {"dstport", NS_RK_DPORT, PK_PORT, 1, 1},
    {"icmptc", NS_RK_SPORT | NS_RK_DPORT | NS_RK_PROTO, PK_FIELD, 0, 0},
    {"icmp6tc", NS_RK_SPORT | NS_RK_DPORT | NS_RK_PROTO, PK_FIELD, 0, 0},
    {"vlan", NS_RK_VLAN, PK_VLAN, 0, 0},
};

static const struct key_field *key_field(const struct ns_field *f)
{
    for (size_t i = 0; i < sizeof key_fields / sizeof key_fields[0]; i++)
        if (!strcmp(f->name, key_fields[i].name))
            return &key_fields[i];
    return NULL;
}

static uint8_t comps_of(const struct ns_field *f)
{
    const struct key_field *k = key_field(f);
    return k ? k->comps : 0;
}

static void classify(struct ns_aggkey_part *p)
{
    const struct key_field *k = key_field(p->f);
    if (k) {
        p->kind = k->kind;
        p->dir = k->dir;
        p->want = k->want;
    }
}

static int is_addr_field(const struct ns_field *f)
{
    return comps_of(f) & (NS_RK_SADDR | NS_RK_DADDR);
}

/* Prefix length text → stored form: 0 = whole address (no cut), 0xff = /0
 * (the address becomes a wildcard), else the length. */
static int parse_len(const char *s, size_t n, unsigned max, unsigned *out)
{
    unsigned v = 0;
    if (!n || n > 3)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

static uint8_t stored_len(unsigned v, unsigned whole)
{
    if (v == 0)
        return 0xff;
    return v >= whole ? 0 : (uint8_t)v;
}

static int add_part(struct ns_aggkey *k, const char *tok, size_t len, struct ns_error *err)
{
    char name[64];
    size_t nlen = 0;
    while (nlen < len && tok[nlen] != '/')
        nlen++;
    if (!nlen || nlen >= sizeof name)
        return ns_error_set(err, NS_EINVAL, "aggregation key: empty or overlong field in '%.*s'",
                            (int)len, tok);
    memcpy(name, tok, nlen);
    name[nlen] = 0;
    const struct ns_field *f = ns_field_find(name);
    if (!f)
        return ns_error_set(err, NS_EINVAL,
                            "aggregation key: unknown field '%s' (see 'netsift read --help')",
                            name);
    if (k->n == NS_AGGKEY_MAX_PARTS)
        return ns_error_set(err, NS_EINVAL, "aggregation key: more than %d fields",
                            NS_AGGKEY_MAX_PARTS);
    for (size_t i = 0; i < k->n; i++)
        if (k->part[i].f == f)
            return ns_error_set(err, NS_EINVAL, "aggregation key: '%s' given twice", name);
    struct ns_aggkey_part *p = &k->part[k->n];
    *p = (struct ns_aggkey_part){.f = f};
    if (nlen < len) {
        /* saddr/N or saddr/N4/N6 */
        const char *a = tok + nlen + 1, *end = tok + len;
        const char *slash = memchr(a, '/', (size_t)(end - a));
        const char *a_end = slash ? slash : end;
        if (!is_addr_field(f))
            return ns_error_set(err, NS_EINVAL,
                                "aggregation key: '/' prefix on '%s', which is not an address",
                                name);
        unsigned v4, v6;
        if (slash) {
            if (parse_len(a, (size_t)(a_end - a), 32, &v4) < 0)
                return ns_error_set(err, NS_EINVAL,
                                    "aggregation key: bad IPv4 prefix length in '%.*s' (0-32)",
                                    (int)len, tok);
            if (parse_len(slash + 1, (size_t)(end - slash - 1), 128, &v6) < 0)
                return ns_error_set(err, NS_EINVAL,
                                    "aggregation key: bad IPv6 prefix length in '%.*s' (0-128)",
                                    (int)len, tok);
        } else {
            /* One length for both families; above 32 IPv4 stays whole. */
            if (parse_len(a, (size_t)(a_end - a), 128, &v6) < 0)
                return ns_error_set(err, NS_EINVAL,
                                    "aggregation key: bad prefix length in '%.*s' (0-128)",
                                    (int)len, tok);
            v4 = v6;
        }
        p->p4 = stored_len(v4, 32);
        p->p6 = stored_len(v6, 128);
    }
    classify(p);
    k->keep |= comps_of(f);
    k->n++;
    return NS_OK;
}

int ns_aggkey_parse(struct ns_aggkey *k, const char *list, struct ns_error *err)
{
    memset(k, 0, sizeof *k);
    if (!list || !*list || !strcmp(list, "flow"))
        list = flow_key;
    if (!strcmp(list, "none"))
        return NS_OK;
    const char *p = list;
    for (;;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        if (!len)
            return ns_error_set(err, NS_EINVAL, "aggregation key: empty field in '%s'", list);
        if ((len == 4 && !memcmp(p, "none", 4)) || (len == 4 && !memcmp(p, "flow", 4)))
            return ns_error_set(err, NS_EINVAL, "aggregation key: '%.4s' must stand alone", p);
        int rc = add_part(k, p, len, err);
        if (rc < 0)
            return rc;
        if (!c)
            break;
        p = c + 1;
    }
    return NS_OK;
}

static void cut(uint8_t *a, size_t alen, unsigned plen)
{
    for (size_t i = 0; i < alen; i++) {
        size_t bit = i * 8;
        if (bit >= plen)
            a[i] = 0;
        else if (bit + 8 > plen)
            a[i] &= (uint8_t)(0xff00u >> (plen - bit));
    }
}

static void cut_addr(struct ns_record *r, int d, uint8_t plen)
{
    uint8_t *addr = d ? r->daddr : r->saddr, *pfx = d ? &r->dprefix : &r->sprefix;
    uint8_t comp = d ? NS_RK_DADDR : NS_RK_SADDR;
    if (r->key_wild & comp)
        return;
    if (plen == 0xff) { /* /0: the whole address space */
        r->key_wild |= comp;
        memset(addr, 0, 16);
        *pfx = 0;
        return;
    }
    if (*pfx && *pfx <= plen)
        return; /* already cut as short or shorter */
    cut(addr, r->ip_version == 6 ? 16 : 4, plen);
    *pfx = plen;
}

void ns_aggkey_prefix(const struct ns_aggkey *k, struct ns_record *r)
{
    if (!(r->present & NS_RG_KEY))
        return;
    for (size_t i = 0; i < k->n; i++) {
        const struct ns_aggkey_part *p = &k->part[i];
        uint8_t plen = r->ip_version == 6 ? p->p6 : p->p4;
        if (!plen)
            continue;
        uint8_t c = comps_of(p->f);
        if (c & NS_RK_SADDR)
            cut_addr(r, 0, plen);
        if (c & NS_RK_DADDR)
            cut_addr(r, 1, plen);
    }
}

void ns_aggkey_wildcard(const struct ns_aggkey *k, struct ns_record *r)
{
    uint8_t w = (uint8_t)(NS_RK_ALL & ~k->keep & ~r->key_wild);
    if (!(r->present & NS_RG_KEY) || !w)
        return;
    if ((w & NS_RK_PROTO) && (r->proto == 1 || r->proto == 58)) {
        /* Without a protocol there is no "ICMP type": ICMP type and code
         * become the ports they are shown as (Argus: sport, dport), so a
         * key of ports over mixed protocols keeps them. */
        r->sport = r->icmp_type;
        r->dport = r->icmp_code;
        r->icmp_type = r->icmp_code = 0;
    }
    ns_record_wildcard(r, w);
    if (r->key_wild == NS_RK_ALL) { /* no key left: the canonical form is no key group */
        r->key_wild = 0;
        r->present &= ~NS_RG_KEY;
    }
}

/* One part by its getter: kind, then the value. */
static size_t field_bytes(const struct ns_field *f, const struct ns_record *r, uint8_t *buf)
{
    size_t n = 0;
    struct ns_value v;
    if (!ns_field_get(f, r, &v)) {
        buf[n++] = 0xff; /* absent: a value of its own */
        return n;
    }
    buf[n++] = (uint8_t)v.kind;
    switch (v.kind) {
    case NS_V_ADDR:
        buf[n++] = v.addr_len;
        buf[n++] = v.prefix;
        memcpy(buf + n, v.addr, v.addr_len);
        n += v.addr_len;
        break;
    case NS_V_MAC:
        memcpy(buf + n, v.addr, 6);
        n += 6;
        break;
    case NS_V_STR: {
        size_t l = strnlen(v.s, sizeof v.s);
        buf[n++] = (uint8_t)l;
        memcpy(buf + n, v.s, l);
        n += l;
        break;
    }
    default: /* u64, i64, f64, time: the 8 bytes of the union */
        memcpy(buf + n, &v.u, 8);
        n += 8;
        break;
    }
    return n;
}

size_t ns_aggkey_bytes_slow(const struct ns_aggkey *k, const struct ns_record *r, uint8_t *buf)
{
    size_t n = 0;
    for (size_t i = 0; i < k->n; i++)
        n += field_bytes(k->part[i].f, r, buf + n);
    return n;
}

/* A key-group member straight from the record: 0xff when absent (as the
 * getter would say), else 1 and the value; the length follows from the
 * kind (and for addresses from the length octet), so the bytes of a key
 * stay self-delimiting. */
static size_t member_bytes(const struct ns_aggkey_part *p, const struct ns_record *r, uint8_t *buf)
{
    static const uint8_t comp[][2] = {
        [PK_PROTO] = {NS_RK_PROTO, NS_RK_PROTO}, [PK_IPVER] = {NS_RK_IPVER, NS_RK_IPVER},
        [PK_VLAN] = {NS_RK_VLAN, NS_RK_VLAN},    [PK_ADDR] = {NS_RK_SADDR, NS_RK_DADDR},
        [PK_PORT] = {NS_RK_SPORT, NS_RK_DPORT},
    };
    if (!(r->present & NS_RG_KEY) || (r->key_wild & comp[p->kind][p->dir])) {
        buf[0] = 0xff;
        return 1;
    }
    buf[0] = 1;
    switch (p->kind) {
    case PK_PROTO:
        buf[1] = r->proto;
        return 2;
    case PK_IPVER:
        buf[1] = r->ip_version;
        return 2;
    case PK_VLAN:
        memcpy(buf + 1, &r->vlan, 2);
        return 3;
    case PK_ADDR: {
        if (p->want && p->want != r->ip_version) {
            buf[0] = 0xff;
            return 1;
        }
        uint8_t len = r->ip_version == 4 ? 4 : 16;
        buf[1] = len;
        buf[2] = p->dir ? r->dprefix : r->sprefix;
        memcpy(buf + 3, p->dir ? r->daddr : r->saddr, len);
        return 3u + len;
    }
    default: { /* PK_PORT */
        int icmp = !(r->key_wild & NS_RK_PROTO) && (r->proto == 1 || r->proto == 58);
        uint16_t v;
        if (icmp && p->want) { /* an IPFIX port IE: no port for ICMP */
            buf[0] = 0xff;
            return 1;
        }
        if (icmp)
            v = p->dir ? r->icmp_code : r->icmp_type;
        else
            v = p->dir ? r->dport : r->sport;
        memcpy(buf + 1, &v, 2);
        return 3;
    }
    }
}

size_t ns_aggkey_bytes(const struct ns_aggkey *k, const struct ns_record *r, uint8_t *buf)
{
    size_t n = 0;
    for (size_t i = 0; i < k->n; i++) {
        const struct ns_aggkey_part *p = &k->part[i];
        n += p->kind ? member_bytes(p, r, buf + n) : field_bytes(p->f, r, buf + n);
    }
    return n;
}

void ns_aggkey_fields(const struct ns_aggkey *k, char *buf, size_t len)
{
    size_t n = 0;
    if (len)
        buf[0] = 0;
    for (size_t i = 0; i < k->n && n + 1 < len; i++) {
        int w = snprintf(buf + n, len - n, "%s%s", i ? "," : "", k->part[i].f->name);
        if (w < 0)
            break;
        n += (size_t)w;
    }
}
