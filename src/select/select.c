/*
 * select.c — the selection primitives and the chain (see select.h).
 */
#include "select/select.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "util/rng.h"
#include "select/hash.h"
#include "select/match.h"

struct prim {
    struct ns_sel_config cfg;
    enum ns_sel_algorithm alg;
    uint64_t id;
    uint64_t observed, selected;
    double fraction; /* nominal; 0 = per packet (size) */
    int needs_decode;
    /* state */
    struct ns_rng rng;
    uint64_t skip;       /* count: packets still to skip (offset) */
    uint32_t pos, taken; /* count, nofn: position in the block, taken in it */
    int started;         /* time */
    uint64_t t0, interval_ns, period_ns;
    uint64_t p_thresh; /* random: select when the 64-bit draw is below */
    int p_all;         /* random: p >= 1 */
    struct ns_match *match;
    uint32_t (*crc)[256]; /* CRC-32 tables (hash crc32) */
};

struct ns_sel_chain {
    size_t n;
    int needs_decode;
    struct prim prim[NS_SEL_MAX_CHAIN];
    /* Horvitz–Thompson sums over selected packets */
    uint64_t est_n;
    double est_pk, est_pk_var, est_oct, est_oct_var;
};

/* ---- random numbers (util/rng.h) ---- */

/* Uniform in [0, k) for k <= 2^32 (multiply-shift: bias below 2^-32). */
static inline uint64_t rng_below(struct ns_rng *r, uint64_t k)
{
    return ((ns_rng_next(r) >> 32) * k) >> 32;
}

/* ---- building ---- */

int ns_sel_chain_create(struct ns_sel_chain **out, struct ns_error *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return ns_error_set(err, NS_ENOMEM, "select: out of memory");
    return NS_OK;
}

void ns_sel_chain_free(struct ns_sel_chain *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        ns_match_free(c->prim[i].match);
        free(c->prim[i].crc);
    }
    free(c);
}

static double range_fraction(const struct ns_sel_config *cfg)
{
    double f = 0;
    for (uint32_t i = 0; i < cfg->nranges; i++)
        f += ((double)cfg->range[i].hi - (double)cfg->range[i].lo + 1) / 4294967296.0;
    return f > 1 ? 1 : f;
}

int ns_sel_chain_add(struct ns_sel_chain *c, const struct ns_sel_config *cfg, struct ns_error *err)
{
    if (c->n >= NS_SEL_MAX_CHAIN)
        return ns_error_set(err, NS_EINVAL, "select: at most %d selectors in a chain",
                            NS_SEL_MAX_CHAIN);
    struct prim *pr = &c->prim[c->n];
    memset(pr, 0, sizeof *pr);
    pr->cfg = *cfg;
    pr->id = cfg->id ? cfg->id : c->n + 1;
    pr->fraction = 1;
    uint64_t seed = cfg->seed;
    if (!cfg->has_seed && getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
        return ns_error_set(err, NS_EIO, "select: no random seed from the kernel");
    ns_rng_seed(&pr->rng, seed);

    switch (cfg->kind) {
    case NS_SEL_COUNT:
        if (cfg->N == 0 || cfg->n == 0 || cfg->n > cfg->N)
            return ns_error_set(err, NS_EINVAL, "select: count wants 1 <= n <= N");
        pr->alg = NS_SEL_ALG_COUNT;
        pr->fraction = (double)cfg->n / cfg->N;
        pr->skip = cfg->offset;
        break;
    case NS_SEL_TIME:
        if (cfg->interval_us == 0)
            return ns_error_set(err, NS_EINVAL, "select: time wants an interval > 0");
        if (cfg->interval_us > UINT64_MAX / 2000 || cfg->spacing_us > UINT64_MAX / 2000 ||
            cfg->offset > UINT64_MAX / 2000)
            return ns_error_set(err, NS_EINVAL, "select: time interval too long");
        pr->alg = NS_SEL_ALG_TIME;
        pr->interval_ns = cfg->interval_us * 1000;
        pr->period_ns = (cfg->interval_us + cfg->spacing_us) * 1000;
        pr->fraction = (double)cfg->interval_us / (double)(cfg->interval_us + cfg->spacing_us);
        break;
    case NS_SEL_NOFN:
        if (cfg->N == 0 || cfg->n > cfg->N || cfg->N > 0xffffffffu)
            return ns_error_set(err, NS_EINVAL, "select: nofn wants 0 <= n <= N, N >= 1");
        pr->alg = NS_SEL_ALG_NOFN;
        pr->fraction = (double)cfg->n / cfg->N;
        break;
    case NS_SEL_RANDOM:
        if (!(cfg->p >= 0 && cfg->p <= 1))
            return ns_error_set(err, NS_EINVAL, "select: random wants 0 <= p <= 1");
        pr->alg = NS_SEL_ALG_UNIFORM;
        pr->fraction = cfg->p;
        pr->p_all = cfg->p >= 1;
        pr->p_thresh = pr->p_all ? UINT64_MAX : (uint64_t)ldexp(cfg->p, 64);
        break;
    case NS_SEL_SIZE:
        if (!(cfg->z > 0) || isinf(cfg->z))
            return ns_error_set(err, NS_EINVAL, "select: size wants z > 0");
        pr->alg = NS_SEL_ALG_NONE;
        pr->fraction = 0;
        pr->needs_decode = 1;
        break;
    case NS_SEL_MATCH: {
        int rc = ns_match_compile(&pr->match, cfg->expr, err);
        if (rc < 0)
            return rc;
        pr->alg = NS_SEL_ALG_MATCH;
        pr->needs_decode = 1;
        break;
    }
    case NS_SEL_HASH:
        if (cfg->nranges == 0 || cfg->nranges > NS_SEL_MAX_RANGES)
            return ns_error_set(err, NS_EINVAL, "select: hash wants 1 to %d selection ranges",
                                NS_SEL_MAX_RANGES);
        for (uint32_t i = 0; i < cfg->nranges; i++)
            if (cfg->range[i].lo > cfg->range[i].hi)
                return ns_error_set(err, NS_EINVAL, "select: hash range %u-%u is empty",
                                    cfg->range[i].lo, cfg->range[i].hi);
        if (cfg->payload_bytes > NS_SEL_MAX_PAYLOAD)
            return ns_error_set(err, NS_EINVAL,
                                "select: hash domain takes at most %d payload bytes",
                                NS_SEL_MAX_PAYLOAD);
        pr->alg = cfg->fn == NS_SEL_BOB     ? NS_SEL_ALG_BOB
                  : cfg->fn == NS_SEL_IPSX  ? NS_SEL_ALG_IPSX
                  : cfg->fn == NS_SEL_CRC32 ? NS_SEL_ALG_CRC
                                            : NS_SEL_ALG_NONE;
        pr->fraction = range_fraction(cfg);
        pr->needs_decode = 1;
        if (cfg->fn == NS_SEL_CRC32) {
            pr->crc = malloc(8 * sizeof *pr->crc);
            if (!pr->crc)
                return ns_error_set(err, NS_ENOMEM, "select: out of memory");
            ns_crc32_table(pr->crc);
        }
        if (cfg->fn == NS_SEL_SIP && !cfg->has_key &&
            getrandom(pr->cfg.key, sizeof pr->cfg.key, 0) != (ssize_t)sizeof pr->cfg.key) {
            free(pr->crc);
            return ns_error_set(err, NS_EIO, "select: no random key from the kernel");
        }
        break;
    case NS_SEL_IFACE:
        if (cfg->nifaces == 0 || cfg->nifaces > NS_SEL_MAX_IFACES)
            return ns_error_set(err, NS_EINVAL, "select: iface wants 1 to %d interfaces",
                                NS_SEL_MAX_IFACES);
        pr->alg = NS_SEL_ALG_MATCH; /* router state is property match (RFC 5475 §6.1) */
        break;
    default:
        return ns_error_set(err, NS_EINVAL, "select: unknown selector kind");
    }
    c->needs_decode |= pr->needs_decode;
    c->n++;
    return NS_OK;
}

int ns_sel_chain_add_spec(struct ns_sel_chain *c, const char *spec, struct ns_error *err)
{
    struct ns_sel_config cfg;
    int rc = ns_sel_parse_spec(spec, &cfg, err);
    if (rc < 0)
        return rc;
    rc = ns_sel_chain_add(c, &cfg, err);
    if (rc < 0)
        ns_error_prefix(err, "'%s': ", spec);
    return rc;
}

/* ---- the hash domain ---- */

enum { DOMAIN_MAX = 40 + NS_SEL_MAX_PAYLOAD };

/* Bytes of the hash domain of `p` into buf; returns their number, or -1
 * when the packet has none (not IP, header not captured). */
static int hash_domain(const struct ns_sel_config *cfg, const struct ns_pkt *p,
                       const uint8_t *frame, uint8_t *buf)
{
    if (!(p->flags & NS_PKT_F_IP))
        return -1;
    int n = 0;
    if (cfg->domain == NS_SEL_DOM_5TUPLE) {
        int alen = p->ip_version == 4 ? 4 : 16;
        buf[n++] = p->proto;
        memcpy(buf + n, p->src, (size_t)alen);
        n += alen;
        memcpy(buf + n, p->dst, (size_t)alen);
        n += alen;
        if (p->flags & NS_PKT_F_L4) {
            buf[n++] = (uint8_t)(p->sport >> 8);
            buf[n++] = (uint8_t)p->sport;
            buf[n++] = (uint8_t)(p->dport >> 8);
            buf[n++] = (uint8_t)p->dport;
        }
        return n;
    }
    if (!frame || p->l3_off == 0xffff)
        return -1;
    const uint8_t *h = frame + p->l3_off;
    uint64_t end = (uint64_t)p->l3_off + p->ip_len; /* not the link's padding */
    if (end > p->caplen)
        end = p->caplen;
    if (p->ip_version == 4) {
        if ((uint64_t)p->l3_off + 20 > end)
            return -1;
        buf[n++] = h[0];           /* version, IHL */
        memcpy(buf + n, h + 2, 6); /* total length, identification, flags, offset */
        n += 6;
        buf[n++] = h[9];            /* protocol */
        memcpy(buf + n, h + 12, 8); /* source, destination */
        n += 8;
    } else {
        if ((uint64_t)p->l3_off + 40 > end)
            return -1;
        buf[n++] = h[0] & 0xf0; /* version (traffic class left out) */
        buf[n++] = h[1] & 0x0f; /* flow label */
        buf[n++] = h[2];
        buf[n++] = h[3];
        memcpy(buf + n, h + 4, 3); /* payload length, next header */
        n += 3;
        memcpy(buf + n, h + 8, 32); /* source, destination */
        n += 32;
    }
    uint64_t l4 = (uint64_t)p->l3_off + p->ip_hdr_len;
    if (cfg->payload_bytes && l4 < end) {
        uint64_t k = end - l4;
        if (k > cfg->payload_bytes)
            k = cfg->payload_bytes;
        /* constant-size copies stay inline (a variable memcpy is a libc
         * call, a third of the cost of a small domain) */
        const uint8_t *src = frame + l4;
        if (k == 16) {
            memcpy(buf + n, src, 16);
        } else {
            for (uint64_t j = 0; j < k; j++)
                buf[n + j] = src[j];
        }
        n += (int)k;
    }
    return n;
}

static uint32_t hash_value(const struct prim *pr, const uint8_t *buf, int len)
{
    switch (pr->cfg.fn) {
    case NS_SEL_BOB:
        return ns_hash_bob(buf, (size_t)len, pr->cfg.init);
    case NS_SEL_IPSX:
        return ns_hash_ipsx(buf, (size_t)len, pr->cfg.init);
    case NS_SEL_CRC32:
        return ns_crc32((const uint32_t(*)[256])pr->crc, pr->cfg.init, buf, (size_t)len);
    default:
        return (uint32_t)ns_siphash24(pr->cfg.key, buf, (size_t)len);
    }
}

/* ---- one packet ---- */

static inline uint32_t size_of(const struct ns_pkt *p)
{
    return (p->flags & NS_PKT_F_IP) ? p->ip_len : p->wirelen;
}

/* Whether a hash value falls in one of the selection ranges. */
static inline int in_ranges(const struct ns_sel_config *cfg, uint32_t h)
{
    for (uint32_t i = 0; i < cfg->nranges; i++)
        if (h >= cfg->range[i].lo && h <= cfg->range[i].hi)
            return 1;
    return 0;
}

/* A hash value computed ahead for the first primitive (ns_sel_chain_run_burst). */
enum { PRE_NONE = 0, PRE_HASH = 1, PRE_NO_DOMAIN = 2 };

/* 1 selected, 0 not; *pi multiplied by the packet's inclusion probability.
 * pre/pre_h: the hash primitive's value when it was computed ahead. */
static int prim_run(struct prim *pr, const struct ns_pkt *p, const uint8_t *frame, double *pi,
                    struct ns_sel_verdict *v, int pre, uint32_t pre_h)
{
    const struct ns_sel_config *cfg = &pr->cfg;
    switch (cfg->kind) {
    case NS_SEL_COUNT: {
        if (pr->skip) {
            pr->skip--;
            return 0;
        }
        uint32_t k = pr->pos++;
        if (pr->pos == cfg->N)
            pr->pos = 0;
        *pi *= pr->fraction;
        return k < cfg->n;
    }
    case NS_SEL_TIME: {
        if (!pr->started) {
            pr->started = 1;
            pr->t0 = p->ts_ns + cfg->offset * 1000;
        }
        *pi *= pr->fraction;
        if (p->ts_ns < pr->t0)
            return 0;
        return (p->ts_ns - pr->t0) % pr->period_ns < pr->interval_ns;
    }
    case NS_SEL_NOFN: {
        uint32_t t = pr->pos++;
        int take = pr->taken < cfg->n && rng_below(&pr->rng, cfg->N - t) < cfg->n - pr->taken;
        pr->taken += (uint32_t)take;
        if (pr->pos == cfg->N)
            pr->pos = pr->taken = 0;
        *pi *= pr->fraction;
        return take;
    }
    case NS_SEL_RANDOM:
        *pi *= pr->fraction;
        return pr->p_all || ns_rng_next(&pr->rng) < pr->p_thresh;
    case NS_SEL_SIZE: {
        double q = (double)size_of(p) / cfg->z;
        if (q >= 1)
            return 1;
        *pi *= q;
        return ns_rng_unit(&pr->rng) < q;
    }
    case NS_SEL_MATCH:
        return ns_match_eval(pr->match, p, frame);
    case NS_SEL_HASH: {
        uint32_t h = pre_h;
        if (pre == PRE_NO_DOMAIN)
            return 0;
        if (pre == PRE_NONE) {
            uint8_t buf[DOMAIN_MAX];
            int len = hash_domain(cfg, p, frame, buf);
            if (len < 0)
                return 0;
            h = hash_value(pr, buf, len);
        }
        if (v) {
            v->digest = h;
            v->has_digest = 1;
        }
        *pi *= pr->fraction;
        return in_ranges(cfg, h);
    }
    case NS_SEL_IFACE:
        for (uint32_t i = 0; i < cfg->nifaces; i++)
            if (p->ifindex == cfg->ifaces[i])
                return 1;
        return 0;
    default:
        return 0;
    }
}

static int chain_run(struct ns_sel_chain *c, struct ns_pkt *p, const uint8_t *frame, int linktype,
                     int *decoded, struct ns_sel_verdict *v, int pre, uint32_t pre_h);
static int chain_from(struct ns_sel_chain *c, size_t from, double pi, struct ns_pkt *p,
                      const uint8_t *frame, int linktype, int *decoded, struct ns_sel_verdict *v,
                      int pre, uint32_t pre_h);

int ns_sel_chain_run(struct ns_sel_chain *c, struct ns_pkt *p, const uint8_t *frame, int linktype,
                     int *decoded, struct ns_sel_verdict *v)
{
    return chain_run(c, p, frame, linktype, decoded, v, PRE_NONE, 0);
}

size_t ns_sel_chain_hash_ahead(const struct ns_sel_chain *c, struct ns_pkt *p,
                               const uint8_t *const *frames, size_t n, int linktype, int *decoded,
                               struct ns_sel_ahead *a)
{
    const struct prim *h0 = c->n ? &c->prim[0] : NULL;
    /* Only BOB gains: its four lanes overlap; the other functions would
     * just extract every domain into a buffer first (measured: CRC-32
     * 33.6 ns/pkt one by one, 38.9 ahead) */
    if (!h0 || h0->cfg.kind != NS_SEL_HASH || h0->cfg.fn != NS_SEL_BOB)
        return 0;
    /* The first selector sees every packet and keeps no state but its
     * counters: its hash values can be computed for a run of packets
     * first, four at a time (ns_hash_bob_x4_padded) among the packets
     * whose domains hold the same number of whole 12-byte blocks.  Grouping
     * by that number rather than by length lets nearly every packet into a
     * lane: domains differ in length with the payload bytes there are
     * (short UDP, ICMP) and IPv4 and IPv6 interleave. */
    enum { RUN = 64, ROW = (DOMAIN_MAX + 12 + 7) & ~7, NCLASS = DOMAIN_MAX / 12 + 1 };
    uint8_t buf[RUN][ROW];
    int len[RUN];
    uint32_t h[RUN];
    uint8_t cls[NCLASS][RUN] = {{0}}; /* read only below ncls; zeroed for the analyser */
    for (size_t base = 0; base < n; base += RUN) {
        size_t m = n - base < RUN ? n - base : RUN;
        size_t ncls[NCLASS] = {0};
        for (size_t j = 0; j < m; j++) {
            size_t i = base + j;
            if (!decoded[i]) {
                ns_pkt_decode(&p[i], linktype, frames[i]);
                decoded[i] = 1;
            }
            len[j] = hash_domain(&h0->cfg, &p[i], frames[i], buf[j]);
            h[j] = 0;
            if (len[j] < 0)
                continue;
            memset(buf[j] + len[j], 0, 12); /* the padding the lanes read */
            size_t cl = (size_t)len[j] / 12u;
            cls[cl][ncls[cl]++] = (uint8_t)j;
        }
        for (size_t cl = 0; cl < NCLASS; cl++) {
            size_t q = 0;
            for (; q + 4 <= ncls[cl]; q += 4) {
                const uint8_t *r = cls[cl] + q;
                const uint8_t *const k[4] = {buf[r[0]], buf[r[1]], buf[r[2]], buf[r[3]]};
                const uint32_t l[4] = {(uint32_t)len[r[0]], (uint32_t)len[r[1]],
                                       (uint32_t)len[r[2]], (uint32_t)len[r[3]]};
                uint32_t out[4];
                ns_hash_bob_x4_padded(k, l, h0->cfg.init, out);
                for (int x = 0; x < 4; x++)
                    h[r[x]] = out[x];
            }
            for (; q < ncls[cl]; q++) {
                size_t j = cls[cl][q];
                h[j] = hash_value(h0, buf[j], len[j]);
            }
        }
        for (size_t j = 0; j < m; j++) {
            a[base + j].hash = h[j];
            a[base + j].state = len[j] < 0 ? PRE_NO_DOMAIN : PRE_HASH;
        }
    }
    return n;
}

int ns_sel_chain_run_ahead(struct ns_sel_chain *c, struct ns_pkt *p, const uint8_t *frame,
                           int linktype, int *decoded, struct ns_sel_verdict *v,
                           const struct ns_sel_ahead *a)
{
    return chain_run(c, p, frame, linktype, decoded, v, a ? a->state : PRE_NONE, a ? a->hash : 0);
}

/* A run whose leading hash values were computed ahead: the first
 * primitive's work inline, packet after packet (most are rejected there
 * at a selective fraction), the rest of the chain only for the packets
 * it passes.  The same counters, verdicts and estimates as chain_run. */
static void lead_hash_run(struct ns_sel_chain *c, struct ns_pkt *p, const uint8_t *const *frames,
                          size_t m, int linktype, int *decoded, uint8_t *sel,
                          struct ns_sel_verdict *v, const struct ns_sel_ahead *a)
{
    struct prim *h0 = &c->prim[0];
    for (size_t i = 0; i < m; i++) {
        uint64_t seq = ++h0->observed;
        if (v) {
            v[i].reached = 1;
            v[i].seq[0] = seq;
            v[i].has_digest = a[i].state == PRE_HASH;
            v[i].digest = a[i].hash;
        }
        if (a[i].state != PRE_HASH || !in_ranges(&h0->cfg, a[i].hash)) {
            sel[i] = 0;
            continue;
        }
        h0->selected++;
        sel[i] = (uint8_t)chain_from(c, 1, h0->fraction, &p[i], frames[i], linktype, &decoded[i],
                                     v ? &v[i] : NULL, PRE_NONE, 0);
    }
}

void ns_sel_chain_run_burst(struct ns_sel_chain *c, struct ns_pkt *p, const uint8_t *const *frames,
                            size_t n, int linktype, int *decoded, uint8_t *sel,
                            struct ns_sel_verdict *v)
{
    enum { RUN = 256 };
    struct ns_sel_ahead a[RUN];
    for (size_t base = 0; base < n; base += RUN) {
        size_t m = n - base < RUN ? n - base : RUN;
        size_t k =
            ns_sel_chain_hash_ahead(c, p + base, frames + base, m, linktype, decoded + base, a);
        if (k) {
            lead_hash_run(c, p + base, frames + base, m, linktype, decoded + base, sel + base,
                          v ? v + base : NULL, a);
            continue;
        }
        for (size_t i = 0; i < m; i++)
            sel[base + i] = (uint8_t)ns_sel_chain_run_ahead(
                c, &p[base + i], frames[base + i], linktype, &decoded[base + i],
                v ? &v[base + i] : NULL, k ? &a[i] : NULL);
    }
}

static int chain_run(struct ns_sel_chain *c, struct ns_pkt *p, const uint8_t *frame, int linktype,
                     int *decoded, struct ns_sel_verdict *v, int pre, uint32_t pre_h)
{
    if (v) {
        v->reached = 0;
        v->has_digest = 0;
    }
    return chain_from(c, 0, 1, p, frame, linktype, decoded, v, pre, pre_h);
}

/* The chain from primitive `from` on, the packet having passed the ones
 * before with inclusion probability pi so far. */
static int chain_from(struct ns_sel_chain *c, size_t from, double pi, struct ns_pkt *p,
                      const uint8_t *frame, int linktype, int *decoded, struct ns_sel_verdict *v,
                      int pre, uint32_t pre_h)
{
    for (size_t i = from; i < c->n; i++) {
        struct prim *pr = &c->prim[i];
        if (pr->needs_decode && !*decoded) {
            ns_pkt_decode(p, linktype, frame);
            *decoded = 1;
        }
        pr->observed++;
        if (v) {
            v->seq[i] = pr->observed;
            v->reached = (uint32_t)i + 1;
        }
        if (!prim_run(pr, p, frame, &pi, v, i == 0 ? pre : PRE_NONE, pre_h))
            return 0;
        pr->selected++;
    }
    /* Horvitz–Thompson: each selected packet stands for 1/π packets */
    double x = p->wirelen, w = 1 / pi, var = (1 - pi) / (pi * pi);
    c->est_n++;
    c->est_pk += w;
    c->est_pk_var += var;
    c->est_oct += x * w;
    c->est_oct_var += x * x * var;
    if (v)
        v->prob = pi;
    return 1;
}

/* ---- reading back ---- */

size_t ns_sel_chain_len(const struct ns_sel_chain *c)
{
    return c ? c->n : 0;
}

const struct ns_sel_config *ns_sel_chain_config(const struct ns_sel_chain *c, size_t i)
{
    return c && i < c->n ? &c->prim[i].cfg : NULL;
}

uint64_t ns_sel_chain_id(const struct ns_sel_chain *c, size_t i)
{
    return c && i < c->n ? c->prim[i].id : 0;
}

void ns_sel_chain_counts(const struct ns_sel_chain *c, size_t i, uint64_t *observed,
                         uint64_t *selected)
{
    *observed = c && i < c->n ? c->prim[i].observed : 0;
    *selected = c && i < c->n ? c->prim[i].selected : 0;
}

int ns_sel_chain_needs_decode(const struct ns_sel_chain *c)
{
    return c && c->needs_decode;
}

double ns_sel_chain_fraction(const struct ns_sel_chain *c)
{
    double f = 1;
    for (size_t i = 0; c && i < c->n; i++)
        f *= c->prim[i].fraction;
    return f;
}

void ns_sel_chain_estimate(const struct ns_sel_chain *c, struct ns_sel_estimate *e)
{
    e->selected = c->est_n;
    e->packets = c->est_pk;
    e->packets_se = sqrt(c->est_pk_var);
    e->octets = c->est_oct;
    e->octets_se = sqrt(c->est_oct_var);
}

static const char *hash_name(enum ns_sel_hashfn fn)
{
    return fn == NS_SEL_BOB     ? "bob"
           : fn == NS_SEL_IPSX  ? "ipsx"
           : fn == NS_SEL_CRC32 ? "crc32"
                                : "sip";
}

static void describe(const struct prim *pr, char *buf, size_t len)
{
    const struct ns_sel_config *c = &pr->cfg;
    size_t k = 0;
#define PUT(...)                                                                                   \
    do {                                                                                           \
        int w_ = snprintf(buf + k, k < len ? len - k : 0, __VA_ARGS__);                            \
        if (w_ > 0)                                                                                \
            k += (size_t)w_;                                                                       \
    } while (0)
    switch (c->kind) {
    case NS_SEL_COUNT:
        PUT("count:%u/%u", c->n, c->N);
        if (c->offset)
            PUT(",offset=%llu", (unsigned long long)c->offset);
        break;
    case NS_SEL_TIME:
        PUT("time:interval=%lluus,spacing=%lluus", (unsigned long long)c->interval_us,
            (unsigned long long)c->spacing_us);
        if (c->offset)
            PUT(",offset=%lluus", (unsigned long long)c->offset);
        break;
    case NS_SEL_NOFN:
        PUT("nofn:%u/%u", c->n, c->N);
        break;
    case NS_SEL_RANDOM:
        PUT("random:p=%g", c->p);
        break;
    case NS_SEL_SIZE:
        PUT("size:z=%g", c->z);
        break;
    case NS_SEL_MATCH:
        PUT("match:%s", c->expr);
        break;
    case NS_SEL_HASH:
        PUT("hash:%s", hash_name(c->fn));
        if (c->fn != NS_SEL_SIP)
            PUT(",init=%u", c->init);
        PUT(",range=");
        for (uint32_t i = 0; i < c->nranges; i++)
            PUT("%s%u-%u", i ? ":" : "", c->range[i].lo, c->range[i].hi);
        if (c->domain == NS_SEL_DOM_5TUPLE)
            PUT(",domain=5tuple");
        else if (c->payload_bytes)
            PUT(",domain=ip+payload%u", c->payload_bytes);
        else
            PUT(",domain=ip");
        if (c->fn == NS_SEL_SIP)
            PUT(",key=%s", c->has_key ? "(given)" : "(random)");
        break;
    case NS_SEL_IFACE:
        PUT("iface:");
        for (uint32_t i = 0; i < c->nifaces; i++)
            PUT("%s%u", i ? ":" : "", c->ifaces[i]);
        break;
    }
    if (c->id)
        PUT(",id=%llu", (unsigned long long)c->id);
#undef PUT
}

void ns_sel_chain_info(const struct ns_sel_chain *c, size_t i, struct ns_sel_info *out)
{
    memset(out, 0, sizeof *out);
    if (!c || i >= c->n)
        return;
    const struct prim *pr = &c->prim[i];
    out->id = pr->id;
    out->kind = pr->cfg.kind;
    out->algorithm = pr->alg;
    out->observed = pr->observed;
    out->selected = pr->selected;
    out->fraction = pr->fraction;
    describe(pr, out->desc, sizeof out->desc);
}
