#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "select/select.h"

#define NS_PER_S 1000000000ull

struct ctx {
    const char *name;
    yaml_document_t *doc;
    struct ns_error *err;
    struct ns_conf *c;
};

static int fail(struct ctx *x, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct ctx *x, const yaml_node_t *n, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
    va_end(ap);
    return ns_error_set(x->err, NS_EINVAL, "%s:%zu:%zu: %s", x->name,
                        n ? n->start_mark.line + 1 : 0, n ? n->start_mark.column + 1 : 0, msg);
}

static yaml_node_t *node(struct ctx *x, int id)
{
    return yaml_document_get_node(x->doc, id);
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static const char *kind_name(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE:
        return "a scalar";
    case YAML_SEQUENCE_NODE:
        return "a list";
    case YAML_MAPPING_NODE:
        return "a mapping";
    default:
        return "nothing";
    }
}

/* Every key of mapping n must be in `allowed` (NULL-terminated), once. */
static int check_keys(struct ctx *x, const yaml_node_t *n, const char *where,
                      const char *const *allowed)
{
    if (n->type != YAML_MAPPING_NODE)
        return fail(x, n, "%s wants a mapping (KEY: VALUE lines), not %s", where, kind_name(n));
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = node(x, p->key);
        const char *ks = scalar(k);
        if (!ks)
            return fail(x, k, "keys of %s are names, not %s", where, kind_name(k));
        int ok = 0;
        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = strcmp(ks, allowed[i]) == 0;
        if (!ok) {
            char list[300] = "";
            size_t used = 0;
            for (size_t i = 0; allowed[i] && used < sizeof list; i++)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                                         allowed[i]);
            return fail(x, k, "unknown key '%s' in %s (known: %s)", ks, where, list);
        }
        for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++)
            if (strcmp(scalar(node(x, q->key)), ks) == 0)
                return fail(x, k, "'%s' given twice in %s", ks, where);
    }
    return 0;
}

static yaml_node_t *find(struct ctx *x, const yaml_node_t *n, const char *key)
{
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++)
        if (strcmp(scalar(node(x, p->key)), key) == 0)
            return node(x, p->value);
    return NULL;
}

static int get_str(struct ctx *x, const yaml_node_t *n, const char *what, char **out)
{
    const char *s = scalar(n);
    if (!s)
        return fail(x, n, "%s wants a string, not %s", what, kind_name(n));
    if (!*s)
        return fail(x, n, "%s is empty", what);
    char *d = strdup(s);
    if (!d)
        return ns_error_set(x->err, NS_ENOMEM, "out of memory");
    free(*out);
    *out = d;
    return 0;
}

static int get_name(struct ctx *x, const yaml_node_t *n, const char *what, char *out)
{
    const char *s = scalar(n);
    if (!s || !*s)
        return fail(x, n, "%s wants a name", what);
    if (strlen(s) >= NS_CONF_NAME_MAX)
        return fail(x, n, "%s is longer than %d characters", what, NS_CONF_NAME_MAX - 1);
    strcpy(out, s);
    return 0;
}

static int get_u64(struct ctx *x, const yaml_node_t *n, const char *what, uint64_t lo, uint64_t hi,
                   uint64_t *out)
{
    const char *s = scalar(n);
    if (!s)
        return fail(x, n, "%s wants a number, not %s", what, kind_name(n));
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!isdigit((unsigned char)*s) || *end || errno)
        return fail(x, n, "%s wants a whole number, not '%s'", what, s);
    if (v < lo || v > hi)
        return fail(x, n, "%s wants %llu..%llu, not %llu", what, (unsigned long long)lo,
                    (unsigned long long)hi, v);
    *out = v;
    return 0;
}

static int get_u32(struct ctx *x, const yaml_node_t *n, const char *what, uint64_t lo, uint64_t hi,
                   uint32_t *out)
{
    uint64_t v = 0;
    int rc = get_u64(x, n, what, lo, hi, &v);
    if (rc == 0)
        *out = (uint32_t)v;
    return rc;
}

static int get_bool(struct ctx *x, const yaml_node_t *n, const char *what, int *out)
{
    const char *s = scalar(n);
    static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no", "off"};
    for (size_t i = 0; s && i < 3; i++) {
        if (strcmp(s, yes[i]) == 0)
            return *out = 1, 0;
        if (strcmp(s, no[i]) == 0)
            return *out = 0, 0;
    }
    return fail(x, n, "%s wants true or false, not %s%s%s", what, s ? "'" : "",
                s ? s : kind_name(n), s ? "'" : "");
}

int ns_conf_duration(const char *s, uint64_t unit_ns, uint64_t *ns)
{
    if (!s || !isdigit((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || v < 0)
        return -1;
    double mul = (double)unit_ns;
    if (*end) {
        static const struct {
            const char *u;
            double mul;
        } units[] = {{"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
        size_t i = 0;
        while (i < 5 && strcmp(end, units[i].u) != 0)
            i++;
        if (i == 5)
            return -1;
        mul = units[i].mul;
    }
    double r = v * mul;
    if (r > 1e18)
        return -1;
    *ns = (uint64_t)(r + 0.5);
    return 0;
}

static int get_dur(struct ctx *x, const yaml_node_t *n, const char *what, uint64_t unit_ns,
                   int positive, uint64_t *out)
{
    const char *s = scalar(n);
    if (!s)
        return fail(x, n, "%s wants a time, not %s", what, kind_name(n));
    uint64_t v = 0;
    if (ns_conf_duration(s, unit_ns, &v))
        return fail(x, n, "%s wants a time such as %s or 500ms, not '%s'", what,
                    unit_ns == NS_PER_S ? "60 (seconds)" : "100 (microseconds)", s);
    if (positive && !v)
        return fail(x, n, "%s must be more than 0", what);
    *out = v;
    return 0;
}

/* A part of which netsift runs one: a mapping, or a list holding one. */
static int one_part(struct ctx *x, yaml_node_t **n, const char *what)
{
    if ((*n)->type == YAML_SEQUENCE_NODE) {
        yaml_node_item_t *it = (*n)->data.sequence.items.start;
        size_t len = (size_t)((*n)->data.sequence.items.top - it);
        if (len != 1)
            return fail(x, *n, "netsift runs one %s per process; this list has %zu", what, len);
        *n = node(x, *it);
    }
    if ((*n)->type != YAML_MAPPING_NODE)
        return fail(x, *n, "%s wants a mapping, not %s", what, kind_name(*n));
    return 0;
}

/* A list of strings, or one string; appended to out (at most NS_CONF_MAX). */
static int get_strs(struct ctx *x, const yaml_node_t *n, const char *what, char **out, size_t *nout)
{
    size_t cnt = 1;
    const yaml_node_item_t *it = NULL;
    if (n->type == YAML_SEQUENCE_NODE) {
        it = n->data.sequence.items.start;
        cnt = (size_t)(n->data.sequence.items.top - it);
        if (!cnt)
            return fail(x, n, "%s is an empty list", what);
    }
    for (size_t i = 0; i < cnt; i++) {
        const yaml_node_t *e = it ? node(x, it[i]) : n;
        if (*nout == NS_CONF_MAX)
            return fail(x, e, "at most %d entries in %s", NS_CONF_MAX, what);
        out[*nout] = NULL;
        if (get_str(x, e, what, &out[*nout]) < 0)
            return NS_EINVAL;
        (*nout)++;
    }
    return 0;
}

/* A reference to another part by name: checked when both have names. */
static int check_ref(struct ctx *x, const yaml_node_t *n, const char *what, const char *target)
{
    const char *s = scalar(n);
    if (n->type == YAML_SEQUENCE_NODE) {
        yaml_node_item_t *it = n->data.sequence.items.start;
        if (n->data.sequence.items.top - it != 1)
            return fail(x, n, "%s: netsift feeds one part into the next; name one", what);
        s = scalar(node(x, *it));
    }
    if (!s)
        return fail(x, n, "%s wants a name", what);
    if (*target && strcmp(s, target) != 0)
        return fail(x, n, "%s names '%s', but the one defined is '%s'", what, s, target);
    return 0;
}

/* ---- observationPoint ---- */

static int parse_op(struct ctx *x, yaml_node_t *n)
{
    static const char *const keys[] = {"name",         "observationDomainId", "ifName",
                                       "capture",      "ringBlocks",          "blockSize",
                                       "blockTimeout", "snapLength",          "promiscuous",
                                       "filter",       "selectionProcess",    NULL};
    struct ns_conf *c = x->c;
    yaml_node_t *v;
    if (one_part(x, &n, "observationPoint") || check_keys(x, n, "observationPoint", keys))
        return NS_EINVAL;
    c->have |= NS_CONF_OP;
    if ((v = find(x, n, "name")) && get_name(x, v, "observationPoint name", c->op_name))
        return NS_EINVAL;
    if ((v = find(x, n, "observationDomainId")) &&
        get_u32(x, v, "observationDomainId", 0, UINT32_MAX, &c->obs_domain))
        return NS_EINVAL;
    if ((v = find(x, n, "ifName")) && get_strs(x, v, "ifName", c->ifaces, &c->nifaces))
        return NS_EINVAL;
    if ((v = find(x, n, "capture"))) {
        const char *s = scalar(v);
        if (s && strcmp(s, "tpacket") == 0)
            c->live.backend = NS_LIVE_TPACKET;
        else if (s && strcmp(s, "pcap") == 0)
            c->live.backend = NS_LIVE_PCAP;
        else
            return fail(x, v, "capture is tpacket or pcap");
    }
    if ((v = find(x, n, "ringBlocks")) &&
        get_u32(x, v, "ringBlocks", 2, 65536, &c->live.ring_blocks))
        return NS_EINVAL;
    if ((v = find(x, n, "blockSize"))) {
        if (get_u32(x, v, "blockSize (KiB)", 4, 1u << 20, &c->live.block_kib))
            return NS_EINVAL;
        if (c->live.block_kib & (c->live.block_kib - 1))
            return fail(x, v, "blockSize (KiB) must be a power of two");
    }
    if ((v = find(x, n, "blockTimeout")) &&
        get_u32(x, v, "blockTimeout (ms)", 1, 60000, &c->live.block_timeout_ms))
        return NS_EINVAL;
    if ((v = find(x, n, "snapLength")) && get_u32(x, v, "snapLength", 64, 262144, &c->live.snaplen))
        return NS_EINVAL;
    if ((v = find(x, n, "promiscuous")) && get_bool(x, v, "promiscuous", &c->live.promisc))
        return NS_EINVAL;
    if ((v = find(x, n, "filter")) && get_str(x, v, "filter", &c->filter))
        return NS_EINVAL;
    return 0;
}

/* ---- selectionProcess: RFC 6728 §4.4 selector methods → --select specs ---- */

static int parse_selector(struct ctx *x, yaml_node_t *n)
{
    static const char *const keys[] = {"name",           "selectorId",    "selectAll",
                                       "sampCountBased", "sampTimeBased", "sampRandOutOfN",
                                       "sampUniProb",    "netsiftSpec",   NULL};
    static const char *const methods[] = {"selectAll",      "sampCountBased", "sampTimeBased",
                                          "sampRandOutOfN", "sampUniProb",    "netsiftSpec"};
    struct ns_conf *c = x->c;
    if (check_keys(x, n, "selector", keys))
        return NS_EINVAL;
    yaml_node_t *m = NULL, *v;
    const char *method = NULL;
    for (size_t i = 0; i < 6; i++) {
        if (!(v = find(x, n, methods[i])))
            continue;
        if (m)
            return fail(x, v, "a selector has one method, and this one has %s already", method);
        m = v;
        method = methods[i];
    }
    if (!m)
        return fail(x, n,
                    "selector without a method (selectAll, sampCountBased, sampTimeBased, "
                    "sampRandOutOfN, sampUniProb or netsiftSpec)");
    char spec[600];
    if (strcmp(method, "selectAll") == 0) {
        return 0; /* selects every packet: nothing to run */
    } else if (strcmp(method, "sampCountBased") == 0) {
        static const char *const k[] = {"packetInterval", "packetSpace", NULL};
        uint64_t iv = 0, sp = 0;
        if (check_keys(x, m, method, k))
            return NS_EINVAL;
        if (!(v = find(x, m, "packetInterval")) ||
            get_u64(x, v, "packetInterval", 1, UINT32_MAX, &iv))
            return v ? NS_EINVAL : fail(x, m, "sampCountBased needs packetInterval");
        if (!(v = find(x, m, "packetSpace")) || get_u64(x, v, "packetSpace", 0, UINT32_MAX, &sp))
            return v ? NS_EINVAL : fail(x, m, "sampCountBased needs packetSpace");
        if (iv + sp > UINT32_MAX)
            return fail(x, m, "packetInterval + packetSpace is too large");
        snprintf(spec, sizeof spec, "count:%llu/%llu", (unsigned long long)iv,
                 (unsigned long long)iv + sp);
    } else if (strcmp(method, "sampTimeBased") == 0) {
        static const char *const k[] = {"timeInterval", "timeSpace", NULL};
        uint64_t iv = 0, sp = 0;
        if (check_keys(x, m, method, k))
            return NS_EINVAL;
        if (!(v = find(x, m, "timeInterval")) || get_dur(x, v, "timeInterval", 1000, 1, &iv))
            return v ? NS_EINVAL : fail(x, m, "sampTimeBased needs timeInterval");
        if (!(v = find(x, m, "timeSpace")) || get_dur(x, v, "timeSpace", 1000, 0, &sp))
            return v ? NS_EINVAL : fail(x, m, "sampTimeBased needs timeSpace");
        snprintf(spec, sizeof spec, "time:interval=%lluus,spacing=%lluus",
                 (unsigned long long)iv / 1000, (unsigned long long)sp / 1000);
    } else if (strcmp(method, "sampRandOutOfN") == 0) {
        static const char *const k[] = {"size", "population", NULL};
        uint64_t sz = 0, pop = 0;
        if (check_keys(x, m, method, k))
            return NS_EINVAL;
        if (!(v = find(x, m, "size")) || get_u64(x, v, "size", 1, UINT32_MAX, &sz))
            return v ? NS_EINVAL : fail(x, m, "sampRandOutOfN needs size");
        if (!(v = find(x, m, "population")) || get_u64(x, v, "population", 1, UINT32_MAX, &pop))
            return v ? NS_EINVAL : fail(x, m, "sampRandOutOfN needs population");
        if (sz > pop)
            return fail(x, m, "size (%llu) is larger than population (%llu)",
                        (unsigned long long)sz, (unsigned long long)pop);
        snprintf(spec, sizeof spec, "nofn:%llu/%llu", (unsigned long long)sz,
                 (unsigned long long)pop);
    } else if (strcmp(method, "sampUniProb") == 0) {
        static const char *const k[] = {"probability", NULL};
        if (check_keys(x, m, method, k))
            return NS_EINVAL;
        const char *s = (v = find(x, m, "probability")) ? scalar(v) : NULL;
        char *end = NULL;
        double p = s ? strtod(s, &end) : -1;
        if (!v)
            return fail(x, m, "sampUniProb needs probability");
        if (!s || !*s || *end || !(p > 0 && p <= 1))
            return fail(x, v, "probability wants a number in (0, 1], not '%s'", s ? s : "");
        snprintf(spec, sizeof spec, "random:p=%s", s);
    } else {
        char *s = NULL;
        if (get_str(x, m, "netsiftSpec", &s))
            return NS_EINVAL;
        snprintf(spec, sizeof spec, "%s", s);
        free(s);
    }
    if ((v = find(x, n, "selectorId"))) {
        uint64_t id = 0;
        if (get_u64(x, v, "selectorId", 1, UINT64_MAX, &id))
            return NS_EINVAL;
        size_t l = strlen(spec);
        snprintf(spec + l, sizeof spec - l, ",id=%llu", (unsigned long long)id);
    }
    /* the spec must build: an error points at the selector */
    struct ns_sel_config sc;
    struct ns_error e2;
    if (ns_sel_parse_spec(spec, &sc, &e2) < 0)
        return fail(x, m, "%s", e2.msg);
    if (c->nselectors == NS_CONF_MAX)
        return fail(x, n, "at most %d selectors", NS_CONF_MAX);
    if (!(c->selectors[c->nselectors] = strdup(spec)))
        return ns_error_set(x->err, NS_ENOMEM, "out of memory");
    c->nselectors++;
    return 0;
}

static int parse_sp(struct ctx *x, yaml_node_t *n)
{
    static const char *const keys[] = {"name", "selector", "cache", NULL};
    struct ns_conf *c = x->c;
    yaml_node_t *v;
    if (one_part(x, &n, "selectionProcess") || check_keys(x, n, "selectionProcess", keys))
        return NS_EINVAL;
    c->have |= NS_CONF_SEL;
    if ((v = find(x, n, "name")) && get_name(x, v, "selectionProcess name", c->sp_name))
        return NS_EINVAL;
    if (!(v = find(x, n, "selector")))
        return fail(x, n, "selectionProcess without selector (use selectAll to select all)");
    if (v->type == YAML_MAPPING_NODE)
        return parse_selector(x, v);
    if (v->type != YAML_SEQUENCE_NODE)
        return fail(x, v, "selector wants a list of selectors");
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
        if (parse_selector(x, node(x, *it)) < 0)
            return NS_EINVAL;
    return 0;
}

/* ---- cache (RFC 6728 §4.5: timeoutCache only) ---- */

static int parse_cache(struct ctx *x, yaml_node_t *n)
{
    static const char *const keys[] = {"name",
                                       "timeoutCache",
                                       "immediateCache",
                                       "naturalCache",
                                       "permanentCache",
                                       "exportingProcess",
                                       NULL};
    static const char *const tkeys[] = {"maxFlows",       "activeTimeout",    "idleTimeout",
                                        "tcpIdleTimeout", "tcpLingerTimeout", NULL};
    struct ns_conf *c = x->c;
    yaml_node_t *v, *t;
    if (one_part(x, &n, "cache") || check_keys(x, n, "cache", keys))
        return NS_EINVAL;
    c->have |= NS_CONF_CACHE;
    if ((v = find(x, n, "name")) && get_name(x, v, "cache name", c->cache_name))
        return NS_EINVAL;
    static const char *const other[] = {"immediateCache", "naturalCache", "permanentCache"};
    for (size_t i = 0; i < 3; i++)
        if ((v = find(x, n, other[i])))
            return fail(x, v, "%s is not supported by netsift; use timeoutCache", other[i]);
    if (!(t = find(x, n, "timeoutCache")))
        return 0;
    if (check_keys(x, t, "timeoutCache", tkeys))
        return NS_EINVAL;
    struct ns_meter_config *m = &c->meter;
    if ((v = find(x, t, "maxFlows")) && get_u32(x, v, "maxFlows", 1, 100000000, &m->max_flows))
        return NS_EINVAL;
    if ((v = find(x, t, "activeTimeout")) &&
        get_dur(x, v, "activeTimeout", NS_PER_S, 0, &m->status_ns))
        return NS_EINVAL;
    if ((v = find(x, t, "idleTimeout")) && get_dur(x, v, "idleTimeout", NS_PER_S, 1, &m->idle_ns))
        return NS_EINVAL;
    if ((v = find(x, t, "tcpIdleTimeout")) &&
        get_dur(x, v, "tcpIdleTimeout", NS_PER_S, 1, &m->tcp_idle_ns))
        return NS_EINVAL;
    if ((v = find(x, t, "tcpLingerTimeout")) &&
        get_dur(x, v, "tcpLingerTimeout", NS_PER_S, 0, &m->tcp_linger_ns))
        return NS_EINVAL;
    return 0;
}

/* ---- exportingProcess and its destinations (RFC 6728 §4.6) ---- */

static int host_port(struct ctx *x, const yaml_node_t *m, const char *scheme, const char *addr_key,
                     const char *port_key, char *url, size_t cap)
{
    yaml_node_t *a = find(x, m, addr_key), *p = find(x, m, port_key);
    uint64_t port = 4739; /* RFC 7011 §10.3.1 / §10.4.1 */
    const char *s = a ? scalar(a) : NULL;
    if (!a)
        return fail(x, m, "%s needs %s", scheme, addr_key);
    if (!s || !*s)
        return fail(x, a, "%s wants an address or host name", addr_key);
    if (p && get_u64(x, p, port_key, 0, 65535, &port))
        return NS_EINVAL;
    int v6 = strchr(s, ':') != NULL && s[0] != '[';
    snprintf(url, cap, "%s://%s%s%s:%llu", scheme, v6 ? "[" : "", s, v6 ? "]" : "",
             (unsigned long long)port);
    return 0;
}

static int parse_dest(struct ctx *x, yaml_node_t *n)
{
    static const char *const keys[] = {"name",       "udpExporter",  "tcpExporter",
                                       "fileWriter", "sctpExporter", NULL};
    static const char *const ukeys[] = {"destinationIPAddress",
                                        "destinationPort",
                                        "maxPacketSize",
                                        "templateRefreshTimeout",
                                        "templateRefreshPacket",
                                        "rateLimit",
                                        NULL};
    static const char *const tkeys[] = {"destinationIPAddress", "destinationPort", "sendBufferSize",
                                        "rateLimit", NULL};
    static const char *const fkeys[] = {"file", "zstd", NULL};
    struct ns_conf *c = x->c;
    struct ns_export_config *e = &c->export;
    if (check_keys(x, n, "destination", keys))
        return NS_EINVAL;
    yaml_node_t *v, *u = find(x, n, "udpExporter"), *t = find(x, n, "tcpExporter"),
                    *f = find(x, n, "fileWriter");
    if ((v = find(x, n, "sctpExporter")))
        return fail(x, v, "sctpExporter is not supported by netsift yet (udp and tcp are)");
    if (!!u + !!t + !!f != 1)
        return fail(x, n, "a destination is one of udpExporter, tcpExporter or fileWriter");
    char name[NS_CONF_NAME_MAX] = "";
    if ((v = find(x, n, "name")) && get_name(x, v, "destination name", name))
        return NS_EINVAL;
    if (f) {
        if (check_keys(x, f, "fileWriter", fkeys))
            return NS_EINVAL;
        if (c->file)
            return fail(x, f, "netsift writes one file; a fileWriter is defined already");
        if (!(v = find(x, f, "file")))
            return fail(x, f, "fileWriter needs file");
        if (get_str(x, v, "file", &c->file))
            return NS_EINVAL;
        uint64_t z = 0;
        if ((v = find(x, f, "zstd"))) {
            if (get_u64(x, v, "zstd (level)", 0, 19, &z))
                return NS_EINVAL;
            c->file_zstd = (int)z;
            c->file_zstd_set = 1;
        }
        return 0;
    }
    yaml_node_t *m = u ? u : t;
    if (check_keys(x, m, u ? "udpExporter" : "tcpExporter", u ? ukeys : tkeys))
        return NS_EINVAL;
    if (c->ndests == NS_CONF_MAX)
        return fail(x, n, "at most %d destinations", NS_CONF_MAX);
    char url[300];
    if (host_port(x, m, u ? "udp" : "tcp", "destinationIPAddress", "destinationPort", url,
                  sizeof url))
        return NS_EINVAL;
    uint64_t val = 0;
    /* netsift applies these to every destination of the exporting process */
    if ((v = find(x, m, "maxPacketSize"))) {
        if (get_u64(x, v, "maxPacketSize", 576, 65535, &val))
            return NS_EINVAL;
        e->mtu = (unsigned)val;
    }
    if ((v = find(x, m, "templateRefreshTimeout")) &&
        get_dur(x, v, "templateRefreshTimeout", NS_PER_S, 0, &e->refresh_ns))
        return NS_EINVAL;
    if ((v = find(x, m, "templateRefreshPacket")) &&
        get_u32(x, v, "templateRefreshPacket", 0, UINT32_MAX, &e->refresh_msgs))
        return NS_EINVAL;
    if ((v = find(x, m, "sendBufferSize"))) {
        if (get_u64(x, v, "sendBufferSize", 64u << 10, 1u << 30, &val))
            return NS_EINVAL;
        e->xport.buffer = (size_t)val;
    }
    if ((v = find(x, m, "rateLimit"))) {
        if (get_u64(x, v, "rateLimit (records/s)", 0, 1000000000, &val))
            return NS_EINVAL;
        e->rate = (double)val;
    }
    if (!(c->dests[c->ndests] = strdup(url)))
        return ns_error_set(x->err, NS_ENOMEM, "out of memory");
    strcpy(c->dest_names[c->ndests], name);
    c->ndests++;
    return 0;
}

static int parse_ep(struct ctx *x, yaml_node_t *n)
{
    static const char *const keys[] = {
        "name", "destination", "exportDelay", "statisticsInterval", "lingerTime", NULL};
    struct ns_conf *c = x->c;
    yaml_node_t *v;
    if (one_part(x, &n, "exportingProcess") || check_keys(x, n, "exportingProcess", keys))
        return NS_EINVAL;
    c->have |= NS_CONF_EXPORT;
    if ((v = find(x, n, "name")) && get_name(x, v, "exportingProcess name", c->ep_name))
        return NS_EINVAL;
    if ((v = find(x, n, "exportDelay")) &&
        get_dur(x, v, "exportDelay", NS_PER_S, 0, &c->export.delay_ns))
        return NS_EINVAL;
    if ((v = find(x, n, "statisticsInterval")) &&
        get_dur(x, v, "statisticsInterval", NS_PER_S, 0, &c->export.stats_ns))
        return NS_EINVAL;
    if ((v = find(x, n, "lingerTime")) &&
        get_dur(x, v, "lingerTime", NS_PER_S, 0, &c->export.linger_ns))
        return NS_EINVAL;
    if (!(v = find(x, n, "destination")))
        return 0;
    if (v->type == YAML_MAPPING_NODE)
        return parse_dest(x, v);
    if (v->type != YAML_SEQUENCE_NODE)
        return fail(x, v, "destination wants a list of destinations");
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
        if (parse_dest(x, node(x, *it)) < 0)
            return NS_EINVAL;
    return 0;
}

/* ---- collectingProcess (RFC 6728 §4.7) ---- */

static int parse_listener(struct ctx *x, yaml_node_t *n, const char *what, const char *scheme)
{
    static const char *const keys[] = {"name", "localIPAddress", "localPort", NULL};
    struct ns_conf *c = x->c;
    if (n->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
             it++)
            if (parse_listener(x, node(x, *it), what, scheme) < 0)
                return NS_EINVAL;
        return 0;
    }
    if (check_keys(x, n, what, keys))
        return NS_EINVAL;
    yaml_node_t *a = find(x, n, "localIPAddress"), *p = find(x, n, "localPort");
    uint64_t port = 4739;
    if (p && get_u64(x, p, "localPort", 0, 65535, &port))
        return NS_EINVAL;
    char *addrs[NS_CONF_MAX];
    size_t na = 0;
    if (a && get_strs(x, a, "localIPAddress", addrs, &na))
        return NS_EINVAL;
    if (!na)
        addrs[na++] = strdup("::"); /* every address, IPv4 too (RFC 6728: all) */
    int rc = 0;
    for (size_t i = 0; i < na; i++) {
        if (!addrs[i] || rc) {
            rc = rc ? rc : ns_error_set(x->err, NS_ENOMEM, "out of memory");
            free(addrs[i]);
            continue;
        }
        char url[300];
        int v6 = strchr(addrs[i], ':') != NULL && addrs[i][0] != '[';
        snprintf(url, sizeof url, "%s://%s%s%s:%llu", scheme, v6 ? "[" : "", addrs[i],
                 v6 ? "]" : "", (unsigned long long)port);
        free(addrs[i]);
        if (c->nlisten == NS_CONF_MAX)
            rc = fail(x, n, "at most %d listeners", NS_CONF_MAX);
        else if (!(c->listen[c->nlisten++] = strdup(url)))
            rc = ns_error_set(x->err, NS_ENOMEM, "out of memory");
    }
    return rc;
}

static int parse_cp(struct ctx *x, yaml_node_t *n)
{
    static const char *const keys[] = {"name",       "udpCollector",  "tcpCollector",
                                       "fileWriter", "sctpCollector", NULL};
    static const char *const fkeys[] = {"file", "rotate", "zstd", NULL};
    struct ns_conf *c = x->c;
    yaml_node_t *v;
    if (one_part(x, &n, "collectingProcess") || check_keys(x, n, "collectingProcess", keys))
        return NS_EINVAL;
    c->have |= NS_CONF_COLLECT;
    if ((v = find(x, n, "name")) && get_name(x, v, "collectingProcess name", c->cp_name))
        return NS_EINVAL;
    if ((v = find(x, n, "sctpCollector")))
        return fail(x, v, "sctpCollector is not supported by netsift yet (udp and tcp are)");
    if ((v = find(x, n, "udpCollector")) && parse_listener(x, v, "udpCollector", "udp"))
        return NS_EINVAL;
    if ((v = find(x, n, "tcpCollector")) && parse_listener(x, v, "tcpCollector", "tcp"))
        return NS_EINVAL;
    if ((v = find(x, n, "fileWriter"))) {
        yaml_node_t *f = v;
        if (check_keys(x, f, "fileWriter", fkeys))
            return NS_EINVAL;
        if (!(v = find(x, f, "file")))
            return fail(x, f, "fileWriter needs file");
        if (get_str(x, v, "file", &c->store))
            return NS_EINVAL;
        if ((v = find(x, f, "rotate"))) {
            if (get_dur(x, v, "rotate", NS_PER_S, 0, &c->rotate_ns))
                return NS_EINVAL;
            if (c->rotate_ns && c->rotate_ns < NS_PER_S)
                return fail(x, v, "rotate wants 0 or at least 1s");
        }
        uint64_t z = 0;
        if ((v = find(x, f, "zstd"))) {
            if (get_u64(x, v, "zstd (level)", 0, 19, &z))
                return NS_EINVAL;
            c->store_zstd = (int)z;
        }
    }
    return 0;
}

/* ---- operation (netsift): running as a service ---- */

static int parse_oper(struct ctx *x, yaml_node_t *n)
{
    static const char *const keys[] = {"user",          "pidFile", "metrics",
                                       "statsInterval", "daemon",  NULL};
    struct ns_conf *c = x->c;
    yaml_node_t *v;
    if (check_keys(x, n, "operation", keys))
        return NS_EINVAL;
    c->have |= NS_CONF_OPER;
    if ((v = find(x, n, "user")) && get_str(x, v, "user", &c->user))
        return NS_EINVAL;
    if ((v = find(x, n, "pidFile")) && get_str(x, v, "pidFile", &c->pidfile))
        return NS_EINVAL;
    if ((v = find(x, n, "metrics"))) {
        if (get_str(x, v, "metrics", &c->metrics))
            return NS_EINVAL;
        if (!strrchr(c->metrics, ':'))
            return fail(x, v, "metrics wants HOST:PORT, such as 127.0.0.1:9100");
    }
    if ((v = find(x, n, "statsInterval")) &&
        get_dur(x, v, "statsInterval", NS_PER_S, 0, &c->stats_ns))
        return NS_EINVAL;
    if ((v = find(x, n, "daemon")) && get_bool(x, v, "daemon", &c->daemon))
        return NS_EINVAL;
    return 0;
}

/* ---- the document ---- */

static int parse_root(struct ctx *x, yaml_node_t *root)
{
    static const char *const keys[] = {
        "observationPoint",  "selectionProcess", "cache", "exportingProcess",
        "collectingProcess", "operation",        NULL};
    if (!root)
        return 0; /* an empty file: every default */
    if (check_keys(x, root, "the configuration", keys))
        return NS_EINVAL;
    yaml_node_t *v;
    if ((v = find(x, root, "observationPoint")) && parse_op(x, v))
        return NS_EINVAL;
    if ((v = find(x, root, "selectionProcess")) && parse_sp(x, v))
        return NS_EINVAL;
    if ((v = find(x, root, "cache")) && parse_cache(x, v))
        return NS_EINVAL;
    if ((v = find(x, root, "exportingProcess")) && parse_ep(x, v))
        return NS_EINVAL;
    if ((v = find(x, root, "collectingProcess")) && parse_cp(x, v))
        return NS_EINVAL;
    if ((v = find(x, root, "operation")) && parse_oper(x, v))
        return NS_EINVAL;
    /* references between the parts, now that every name is known */
    struct {
        const char *part, *key, *target;
    } refs[] = {{"observationPoint", "selectionProcess", x->c->sp_name},
                {"selectionProcess", "cache", x->c->cache_name},
                {"cache", "exportingProcess", x->c->ep_name}};
    for (size_t i = 0; i < 3; i++) {
        yaml_node_t *p = find(x, root, refs[i].part), *r;
        if (p && p->type == YAML_SEQUENCE_NODE)
            p = node(x, *p->data.sequence.items.start);
        if (p && (r = find(x, p, refs[i].key)) && check_ref(x, r, refs[i].key, refs[i].target) < 0)
            return NS_EINVAL;
    }
    return 0;
}

void ns_conf_init(struct ns_conf *c)
{
    memset(c, 0, sizeof *c);
    ns_live_config_default(&c->live);
    ns_meter_config_default(&c->meter);
    ns_export_config_default(&c->export);
    c->rotate_ns = 300 * NS_PER_S;
}

void ns_conf_free(struct ns_conf *c)
{
    for (size_t i = 0; i < c->nifaces; i++)
        free(c->ifaces[i]);
    for (size_t i = 0; i < c->nselectors; i++)
        free(c->selectors[i]);
    for (size_t i = 0; i < c->ndests; i++)
        free(c->dests[i]);
    for (size_t i = 0; i < c->nlisten; i++)
        free(c->listen[i]);
    free(c->filter);
    free(c->file);
    free(c->store);
    free(c->user);
    free(c->pidfile);
    free(c->metrics);
    ns_conf_init(c);
}

int ns_conf_parse_string(struct ns_conf *out, const char *name, const char *text, size_t len,
                         struct ns_error *err)
{
    ns_conf_init(out);
    snprintf(out->path, sizeof out->path, "%s", name);
    yaml_parser_t p;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&p))
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    if (!yaml_parser_load(&p, &doc)) {
        int rc =
            ns_error_set(err, NS_EINVAL, "%s:%zu:%zu: %s%s%s", name, p.problem_mark.line + 1,
                         p.problem_mark.column + 1, p.problem ? p.problem : "YAML syntax error",
                         p.context ? " " : "", p.context ? p.context : "");
        yaml_parser_delete(&p);
        return rc;
    }
    struct ctx x = {name, &doc, err, out};
    int rc = parse_root(&x, yaml_document_get_root_node(&doc));
    /* one document per file: a second one would be silently ignored */
    yaml_document_t more;
    if (rc == 0 && yaml_parser_load(&p, &more)) {
        yaml_node_t *r2 = yaml_document_get_root_node(&more);
        if (r2) {
            struct ctx x2 = {name, &more, err, out};
            rc = fail(&x2, r2, "a second YAML document; netsift reads one");
        }
        yaml_document_delete(&more);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&p);
    if (rc < 0)
        ns_conf_free(out);
    return rc;
}

int ns_conf_parse_file(struct ns_conf *out, const char *path, struct ns_error *err)
{
    ns_conf_init(out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return ns_error_set(err, NS_EIO, "%s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 4096) {
            if (cap >= (4u << 20)) {
                free(buf);
                fclose(f);
                return ns_error_set(err, NS_EINVAL, "%s: larger than 4 MiB", path);
            }
            char *nb = realloc(buf, cap + 65536);
            if (!nb) {
                free(buf);
                fclose(f);
                return ns_error_set(err, NS_ENOMEM, "out of memory");
            }
            buf = nb;
            cap += 65536;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return ns_error_set(err, NS_EIO, "%s: read error", path);
    }
    int rc = ns_conf_parse_string(out, path, buf ? buf : "", len, err);
    free(buf);
    return rc;
}

void ns_conf_write_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\x%02x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

void ns_conf_write_duration(FILE *f, uint64_t ns)
{
    if (ns % NS_PER_S == 0)
        fprintf(f, "%llus", (unsigned long long)(ns / NS_PER_S));
    else if (ns % 1000000u == 0)
        fprintf(f, "%llums", (unsigned long long)(ns / 1000000u));
    else
        fprintf(f, "%lluus", (unsigned long long)(ns / 1000u));
}
