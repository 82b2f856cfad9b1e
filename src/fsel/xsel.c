#include "fsel/xsel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/filter.h"
#include "select/hash.h"
#include "util/rng.h"

enum hash_fn { H_BOB, H_IPSX, H_CRC };

struct ns_xsel {
    enum ns_xsel_kind kind;
    uint64_t threshold; /* threshold: octets; smart: z */
    struct ns_filter *filter;
    enum hash_fn fn;
    uint32_t init;
    uint64_t range; /* hash < range is selected (range <= 2^32) */
    uint32_t (*crc)[256];
    struct ns_rng rng;
    struct ns_xsel_counters c;
    char spec[256];
};

/* A number with an optional k/M/G suffix (powers of 1000). */
static int parse_num(const char *s, double *v)
{
    char *end;
    double x = strtod(s, &end);
    if (end == s)
        return -1;
    if (*end == 'k' || *end == 'K')
        x *= 1e3, end++;
    else if (*end == 'M')
        x *= 1e6, end++;
    else if (*end == 'G')
        x *= 1e9, end++;
    if (*end && *end != ',')
        return -1;
    *v = x;
    return 0;
}

static int parse_hash(struct ns_xsel *x, const char *a, struct ns_error *err)
{
    size_t n = strcspn(a, ",");
    if (n == 3 && !strncmp(a, "bob", 3))
        x->fn = H_BOB;
    else if (n == 4 && !strncmp(a, "ipsx", 4))
        x->fn = H_IPSX;
    else if (n == 3 && !strncmp(a, "crc", 3))
        x->fn = H_CRC;
    else
        return ns_error_set(err, NS_EINVAL, "export policy hash: function bob, ipsx or crc");
    double frac = -1;
    for (const char *p = a + n; *p == ',';) {
        p++;
        double v;
        if (!strncmp(p, "frac=", 5) && parse_num(p + 5, &v) == 0)
            frac = v;
        else if (!strncmp(p, "init=", 5) && parse_num(p + 5, &v) == 0 && v >= 0 &&
                 v <= 4294967295.0)
            x->init = (uint32_t)v;
        else
            return ns_error_set(err, NS_EINVAL, "export policy hash: bad parameter '%s'", p);
        p += strcspn(p, ",");
    }
    if (!(frac > 0 && frac <= 1))
        return ns_error_set(err, NS_EINVAL, "export policy hash: give frac= in (0, 1]");
    x->range = (uint64_t)llround(frac * 4294967296.0);
    if (x->fn == H_CRC) {
        if (!(x->crc = malloc(8 * sizeof *x->crc)))
            return ns_error_set(err, NS_ENOMEM, "out of memory");
        ns_crc32_table(x->crc);
    }
    return 0;
}

int ns_xsel_new(struct ns_xsel **out, const char *spec, uint64_t seed, struct ns_error *err)
{
    *out = NULL;
    struct ns_xsel *x = calloc(1, sizeof *x);
    if (!x)
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    snprintf(x->spec, sizeof x->spec, "%s", spec);
    ns_rng_seed(&x->rng, seed);
    const char *colon = strchr(spec, ':');
    size_t kl = colon ? (size_t)(colon - spec) : strlen(spec);
    const char *a = colon ? colon + 1 : "";
    int rc = 0;
    double v = 0;
    if (kl == 9 && !strncmp(spec, "threshold", 9)) {
        x->kind = NS_XSEL_THRESHOLD;
        if (parse_num(a, &v) < 0 || v < 0 || strchr(a, ','))
            rc = ns_error_set(err, NS_EINVAL, "export policy threshold:OCTETS, not '%s'", spec);
        x->threshold = (uint64_t)v;
    } else if (kl == 5 && !strncmp(spec, "smart", 5)) {
        x->kind = NS_XSEL_SMART;
        if (parse_num(a, &v) < 0 || !(v >= 1) || strchr(a, ','))
            rc =
                ns_error_set(err, NS_EINVAL, "export policy smart:Z (octets >= 1), not '%s'", spec);
        x->threshold = (uint64_t)v;
    } else if (kl == 5 && !strncmp(spec, "match", 5)) {
        x->kind = NS_XSEL_MATCH;
        if ((rc = ns_filter_compile(&x->filter, a, err)) < 0)
            ns_error_prefix(err, "export policy match: ");
    } else if (kl == 4 && !strncmp(spec, "hash", 4)) {
        x->kind = NS_XSEL_HASH;
        rc = parse_hash(x, a, err);
    } else {
        rc = ns_error_set(err, NS_EINVAL,
                          "export policy '%s': threshold:OCTETS, smart:Z, match:FILTER or "
                          "hash:bob|ipsx|crc,frac=F",
                          spec);
    }
    if (rc < 0) {
        ns_xsel_free(x);
        return rc;
    }
    *out = x;
    return NS_OK;
}

void ns_xsel_free(struct ns_xsel *x)
{
    if (!x)
        return;
    ns_filter_free(x->filter);
    free(x->crc);
    free(x);
}

static uint32_t key_hash(const struct ns_xsel *x, const struct ns_record *r)
{
    uint8_t k[38];
    k[0] = r->ip_version;
    k[1] = r->proto;
    memcpy(k + 2, r->saddr, 16);
    memcpy(k + 18, r->daddr, 16);
    k[34] = (uint8_t)(r->sport >> 8);
    k[35] = (uint8_t)r->sport;
    k[36] = (uint8_t)(r->dport >> 8);
    k[37] = (uint8_t)r->dport;
    switch (x->fn) {
    case H_IPSX:
        return ns_hash_ipsx(k, sizeof k, x->init);
    case H_CRC:
        return ns_crc32((const uint32_t(*)[256])x->crc, x->init, k, sizeof k);
    default:
        return ns_hash_bob(k, sizeof k, x->init);
    }
}

int ns_xsel_offer(struct ns_xsel *x, const struct ns_record *rec, struct ns_record *tmp,
                  const struct ns_record **out)
{
    uint64_t pk = rec->dir[0].pkts + rec->dir[1].pkts;
    uint64_t oc = rec->dir[0].octets + rec->dir[1].octets;
    x->c.offered++;
    x->c.offered_pkts += pk;
    x->c.offered_octets += oc;
    int keep = 1;
    double p = 1;
    *out = rec;
    switch (x->kind) {
    case NS_XSEL_THRESHOLD:
        keep = oc >= x->threshold;
        break;
    case NS_XSEL_SMART:
        if (oc < x->threshold) {
            p = (double)oc / (double)x->threshold;
            keep = ns_rng_unit(&x->rng) < p;
        }
        break;
    case NS_XSEL_MATCH:
        keep = ns_filter_match(x->filter, rec);
        break;
    case NS_XSEL_HASH:
        keep = key_hash(x, rec) < x->range;
        break;
    }
    if (!keep) {
        x->c.not_sent++;
        x->c.not_sent_pkts += pk;
        x->c.not_sent_octets += oc;
        uint64_t a = ns_record_start_ns(rec), b = ns_record_end_ns(rec);
        if (a && (!x->c.ns_first_ns || a < x->c.ns_first_ns))
            x->c.ns_first_ns = a;
        if (b > x->c.ns_last_ns)
            x->c.ns_last_ns = b;
        return 0;
    }
    x->c.sent++;
    x->c.sent_pkts += pk;
    x->c.sent_octets += oc;
    if (p < 1) { /* Horvitz–Thompson: the record says how likely it was sent */
        *tmp = *rec;
        if (tmp->present & NS_RG_SAMP)
            tmp->samp_frac *= p; /* 0 (mixed rates) stays unknown */
        else
            tmp->samp_frac = p;
        tmp->present |= NS_RG_SAMP;
        *out = tmp;
    }
    return 1;
}

void ns_xsel_get_counters(const struct ns_xsel *x, struct ns_xsel_counters *c)
{
    *c = x->c;
}

enum ns_xsel_kind ns_xsel_kind(const struct ns_xsel *x)
{
    return x->kind;
}

uint16_t ns_xsel_algorithm(const struct ns_xsel *x)
{
    /* IANA "IPFIX Flow Selection Algorithm" registry (RFC 7014 §10.1):
     * 5 property match filtering, 6/7/8 hash-based filtering with BOB,
     * IPSX, CRC, 9 flow-state dependent intermediate flow selection.
     * Smart sampling has no value of its own: 9 (it depends on the flow's
     * own state, its volume). */
    switch (x->kind) {
    case NS_XSEL_THRESHOLD:
    case NS_XSEL_MATCH:
        return 5;
    case NS_XSEL_HASH:
        return x->fn == H_BOB ? 6 : x->fn == H_IPSX ? 7 : 8;
    default:
        return 9;
    }
}

const char *ns_xsel_spec(const struct ns_xsel *x)
{
    return x->spec;
}
