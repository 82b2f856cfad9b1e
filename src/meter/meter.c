#include "meter/meter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "meter/flow.h"
#include "meter/frag.h"
#include "meter/key.h"
#include "meter/seqloss.h"
#include "meter/tcp.h"
#include "util/bigmem.h"
#include "util/prefetch.h"
#include "util/rng.h"

#define NIL NS_FLOW_NIL

struct ns_list {
    uint32_t head, tail;
};

/* Links of the idle and closing lists, kept apart from the flow entries:
 * every packet moves its flow to the tail of its idle list, which writes
 * the links of its two neighbours, flows touched at unrelated times.  In
 * an array of 8 bytes a flow those writes stay in cache; inside the flow
 * entries (hundreds of bytes each) they were two cache misses a packet. */
struct ns_link {
    uint32_t prev, next;
};

struct ns_meter {
    struct ns_meter_config cfg;
    ns_record_sink sink;
    void *ctx;
    struct ns_flow *flows;
    struct ns_flow_ident *ident; /* per flow: what only its records read */
    struct ns_link *links;       /* per flow: idle or closing list */
    uint32_t *bucket;
    uint32_t mask, flow_free;
    struct ns_tcp_state *tcp;
    uint32_t tcp_free;
    struct ns_seq_state *seq;
    uint32_t seq_free;
    /* Slots at and above the high-water marks were never used: pools are
     * handed out from their free lists first, then by raising the mark, so
     * memory a run never needs is never touched (calloc'd pages stay
     * unmapped) and a small capture does not pay for a large budget. */
    uint32_t flow_hwm, tcp_hwm, seq_hwm;
    size_t flow_ahead, tcp_ahead; /* pools mapped below these (ns_meter_prefault) */
    struct ns_frag_table frag;
    struct ns_list idle[2], closing, status;
    uint64_t now, next_id;
    /* No list head is due before this time, so the packet path skips
     * expire() until then.  Every list is in deadline order (appends carry
     * the latest deadline), so heads only move later between expire()
     * runs; an append to an empty list lowers it (due_at()). */
    uint64_t next_due;
    struct ns_meter_stats st;
    struct ns_record rec; /* scratch for the sink */
    /* flow selection (meter.h): only touched when a packet misses */
    struct ns_rng rng;
    struct ns_link *age; /* evict-oldest: creation order, else NULL */
    struct ns_list agel;
    uint64_t *ms;      /* multistage counters, stages × buckets */
    uint64_t ms_epoch; /* start of the current counter interval */
    /* ns_meter_flush() emptied the hash table in one sweep: flow_free()
     * leaves the chains alone */
    int unhashed;
};

static const char *const policy_names[NS_CACHE__COUNT] = {
    "emergency-expire", "drop-new", "evict-lru", "evict-smallest", "evict-oldest", "sample-hold"};

const char *ns_cache_policy_name(enum ns_cache_policy p)
{
    return (unsigned)p < NS_CACHE__COUNT ? policy_names[p] : "?";
}

int ns_cache_policy_parse(const char *s, enum ns_cache_policy *p)
{
    for (int i = 0; i < NS_CACHE__COUNT; i++)
        if (strcmp(s, policy_names[i]) == 0) {
            *p = (enum ns_cache_policy)i;
            return 0;
        }
    return -1;
}

void ns_meter_config_default(struct ns_meter_config *c)
{
    memset(c, 0, sizeof *c);
    c->idle_ns = 30ULL * 1000000000ULL;
    c->tcp_idle_ns = 60ULL * 1000000000ULL;
    c->status_ns = 60ULL * 1000000000ULL;
    c->tcp_linger_ns = 3ULL * 1000000000ULL;
    c->frag_ns = 15ULL * 1000000000ULL;
    c->max_flows = 65536;
    c->max_frags = 1024;
    c->hash_seed = 0x6e65747369667421ULL;
}

/* ---- intrusive index lists: `s` selects the status links ---- */

static uint32_t *lprev(struct ns_meter *m, uint32_t i, int s)
{
    return s ? &m->flows[i].sprev : &m->links[i].prev;
}

static uint32_t *lnext(struct ns_meter *m, uint32_t i, int s)
{
    return s ? &m->flows[i].snext : &m->links[i].next;
}

static void list_append(struct ns_meter *m, struct ns_list *l, uint32_t i, int s)
{
    *lprev(m, i, s) = l->tail;
    *lnext(m, i, s) = NIL;
    if (l->tail != NIL)
        *lnext(m, l->tail, s) = i;
    else
        l->head = i;
    l->tail = i;
}

static void list_remove(struct ns_meter *m, struct ns_list *l, uint32_t i, int s)
{
    uint32_t p = *lprev(m, i, s), n = *lnext(m, i, s);
    if (p != NIL)
        *lnext(m, p, s) = n;
    else
        l->head = n;
    if (n != NIL)
        *lprev(m, n, s) = p;
    else
        l->tail = p;
    *lprev(m, i, s) = *lnext(m, i, s) = NIL;
}

static void due_at(struct ns_meter *m, uint64_t t)
{
    if (t < m->next_due)
        m->next_due = t;
}

static uint64_t idle_timeout(const struct ns_meter *m, int cls)
{
    return cls ? m->cfg.tcp_idle_ns : m->cfg.idle_ns;
}

static struct ns_list *flow_list(struct ns_meter *m, const struct ns_flow *f)
{
    return f->closing ? &m->closing : &m->idle[f->cls];
}

/* ---- create / destroy ---- */

static uint32_t pow2_at_least(uint32_t n)
{
    uint32_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

int ns_meter_create(struct ns_meter **out, const struct ns_meter_config *c, ns_record_sink sink,
                    void *ctx, struct ns_error *err)
{
    *out = NULL;
    struct ns_meter_config cfg;
    if (c)
        cfg = *c;
    else
        ns_meter_config_default(&cfg);
    if (!sink)
        return ns_error_set(err, NS_EINVAL, "meter: no record sink");
    if (cfg.max_flows == 0 || cfg.max_flows > (1u << 30))
        return ns_error_set(err, NS_EINVAL, "meter: max_flows %u out of range (1..2^30)",
                            cfg.max_flows);
    if (cfg.max_tcp == 0 || cfg.max_tcp > cfg.max_flows)
        cfg.max_tcp = cfg.max_flows;
    if (cfg.max_seq == 0)
        cfg.max_seq = cfg.max_flows / 4 ? cfg.max_flows / 4 : 1;
    if (cfg.max_seq > cfg.max_flows)
        cfg.max_seq = cfg.max_flows;
    if (cfg.max_frags == 0)
        cfg.max_frags = 1;
    if (cfg.idle_ns == 0 || cfg.tcp_idle_ns == 0)
        return ns_error_set(err, NS_EINVAL, "meter: idle timeouts must be > 0");
    if (cfg.cache_policy >= NS_CACHE__COUNT)
        return ns_error_set(err, NS_EINVAL, "meter: unknown cache policy %u", cfg.cache_policy);
    if (cfg.cache_policy == NS_CACHE_SAMPLE_HOLD && !(cfg.sh_octets >= 1))
        return ns_error_set(err, NS_EINVAL, "meter: sample and hold needs octets >= 1");
    if (cfg.ms_stages > 8 ||
        (cfg.ms_stages && (cfg.ms_buckets == 0 || cfg.ms_buckets > (1u << 26))))
        return ns_error_set(err, NS_EINVAL,
                            "meter: multistage filter wants 1..8 stages of 1..2^26 counters");

    struct ns_meter *m = calloc(1, sizeof *m);
    if (!m)
        return ns_error_set(err, NS_ENOMEM, "meter: allocating the meter");
    m->cfg = cfg;
    m->sink = sink;
    m->ctx = ctx;
    uint32_t nb = pow2_at_least(cfg.max_flows);
    m->flows = ns_bigmem_calloc(cfg.max_flows, sizeof *m->flows);
    m->ident = ns_bigmem_calloc(cfg.max_flows, sizeof *m->ident);
    m->links = ns_bigmem_calloc(cfg.max_flows, sizeof *m->links);
    m->bucket = ns_bigmem_calloc(nb, sizeof *m->bucket);
    m->mask = nb - 1; /* also the bucket table's size for ns_meter_destroy() */
    m->tcp = ns_bigmem_calloc(cfg.max_tcp, sizeof *m->tcp);
    m->seq = ns_bigmem_calloc(cfg.max_seq, sizeof *m->seq);
    if (!m->flows || !m->ident || !m->links || !m->bucket || !m->tcp || !m->seq) {
        ns_meter_destroy(m);
        return ns_error_set(err, NS_ENOMEM, "meter: allocating a cache of %u flows", cfg.max_flows);
    }
    if (cfg.cache_policy == NS_CACHE_EVICT_OLDEST &&
        // NOLINTNEXTLINE(clang-analyzer-optin.portability.UnixAPI): max_flows >= 1
        !(m->age = calloc(cfg.max_flows, sizeof *m->age))) {
        ns_meter_destroy(m);
        return ns_error_set(err, NS_ENOMEM, "meter: allocating the age list");
    }
    if (cfg.ms_stages && !(m->ms = calloc((size_t)cfg.ms_stages * cfg.ms_buckets, sizeof *m->ms))) {
        ns_meter_destroy(m);
        return ns_error_set(err, NS_ENOMEM, "meter: allocating %u x %u multistage counters",
                            cfg.ms_stages, cfg.ms_buckets);
    }
    ns_rng_seed(&m->rng, cfg.fsel_seed);
    m->agel.head = m->agel.tail = NIL;
    int rc = ns_frag_table_init(&m->frag, cfg.max_frags, cfg.hash_seed ^ 0xf7a9ULL, err);
    if (rc < 0) {
        ns_meter_destroy(m);
        return ns_error_prefix(err, "meter: ");
    }
    for (uint32_t i = 0; i < nb; i++)
        m->bucket[i] = NIL;
    m->flow_free = m->tcp_free = m->seq_free = NIL;
    m->idle[0].head = m->idle[0].tail = m->idle[1].head = m->idle[1].tail = NIL;
    m->closing.head = m->closing.tail = m->status.head = m->status.tail = NIL;
    m->next_id = 1;
    m->st.flow_bytes = (uint32_t)(sizeof(struct ns_flow) + sizeof(struct ns_flow_ident) +
                                  sizeof(struct ns_link) + sizeof(uint32_t));
    m->st.tcp_bytes = (uint32_t)sizeof(struct ns_tcp_state);
    m->st.seq_bytes = (uint32_t)sizeof(struct ns_seq_state);
    m->st.memory_bytes =
        sizeof *m +
        (uint64_t)cfg.max_flows * (sizeof *m->flows + sizeof *m->ident + sizeof *m->links) +
        (uint64_t)nb * sizeof *m->bucket + (uint64_t)cfg.max_tcp * sizeof *m->tcp +
        (uint64_t)cfg.max_seq * sizeof *m->seq + ns_frag_table_bytes(&m->frag) +
        (m->age ? (uint64_t)cfg.max_flows * sizeof *m->age : 0) +
        (uint64_t)cfg.ms_stages * cfg.ms_buckets * sizeof *m->ms;
    *out = m;
    return NS_OK;
}

void ns_meter_destroy(struct ns_meter *m)
{
    if (!m)
        return;
    ns_bigmem_free(m->flows, m->cfg.max_flows, sizeof *m->flows);
    ns_bigmem_free(m->ident, m->cfg.max_flows, sizeof *m->ident);
    ns_bigmem_free(m->links, m->cfg.max_flows, sizeof *m->links);
    ns_bigmem_free(m->bucket, (size_t)m->mask + 1, sizeof *m->bucket);
    ns_bigmem_free(m->tcp, m->cfg.max_tcp, sizeof *m->tcp);
    ns_bigmem_free(m->seq, m->cfg.max_seq, sizeof *m->seq);
    free(m->age);
    free(m->ms);
    ns_frag_table_free(&m->frag);
    free(m);
}

void ns_meter_get_stats(const struct ns_meter *m, struct ns_meter_stats *s)
{
    *s = m->st;
}

/* ---- records and flow removal ---- */

static struct ns_tcp_state *tcp_of(struct ns_meter *m, const struct ns_flow *f)
{
    return f->tcp == NIL ? NULL : &m->tcp[f->tcp];
}

static struct ns_seq_state *seq_of(struct ns_meter *m, const struct ns_flow *f)
{
    return f->seq == NIL ? NULL : &m->seq[f->seq];
}

static int emit(struct ns_meter *m, struct ns_flow *f, enum ns_end_reason why, struct ns_error *err)
{
    struct ns_tcp_state *t = tcp_of(m, f);
    struct ns_seq_state *s = seq_of(m, f);
    ns_flow_record(f, &m->ident[f - m->flows], t, s, why, &m->rec);
    ns_flow_reset_deltas(f, t, s);
    m->st.records[why]++;
    struct ns_meter_fsel *fs = &m->st.fs; /* per record, not per packet */
    fs->out_records++;
    fs->out_flows += why != NS_END_ACTIVE;
    fs->out_pkts += m->rec.dir[0].pkts + m->rec.dir[1].pkts;
    fs->out_octets += m->rec.dir[0].octets + m->rec.dir[1].octets;
    int rc = m->sink(m->ctx, &m->rec, err);
    return rc < 0 ? rc : 0;
}

static void seq_release(struct ns_meter *m, struct ns_flow *f)
{
    if (f->seq == NIL)
        return;
    m->seq[f->seq].next_free = m->seq_free;
    m->seq_free = f->seq;
    f->seq = NIL;
}

/* Free flow `i` and its state (after its final record, or evicted). */
static void flow_free(struct ns_meter *m, uint32_t i)
{
    struct ns_flow *f = &m->flows[i];
    if (!m->unhashed) {
        uint32_t *pp = &m->bucket[f->hash & m->mask];
        while (*pp != i)
            pp = &m->flows[*pp].hnext;
        *pp = f->hnext;
    }
    list_remove(m, flow_list(m, f), i, 0);
    if (m->cfg.status_ns && !f->closing)
        list_remove(m, &m->status, i, 1);
    if (f->tcp != NIL) {
        m->tcp[f->tcp].next_free = m->tcp_free;
        m->tcp_free = f->tcp;
    }
    seq_release(m, f);
    if (m->age) {
        uint32_t p = m->age[i].prev, n = m->age[i].next;
        *(p != NIL ? &m->age[p].next : &m->agel.head) = n;
        *(n != NIL ? &m->age[n].prev : &m->agel.tail) = p;
    }
    f->in_use = 0;
    f->hnext = m->flow_free;
    m->flow_free = i;
    m->st.flows_active--;
}

/* Export the final record of flow `i` and free it and its state. */
static int flow_end(struct ns_meter *m, uint32_t i, enum ns_end_reason why, struct ns_error *err)
{
    int rc = emit(m, &m->flows[i], why, err);
    flow_free(m, i);
    return rc;
}

static void first_last(uint64_t *first, uint64_t *last, uint64_t a, uint64_t b)
{
    if (!a)
        return;
    if (!*first || a < *first)
        *first = a;
    if (b > *last)
        *last = b;
}

/* Remove flow `i` without a record: its packets are left out, counted
 * (draft-molina-flow-selection-00 §3.2: records dropped, with the
 * packets/octets in them and the first/last packet and event times). */
__attribute__((noinline)) static void flow_evict(struct ns_meter *m, uint32_t i)
{
    struct ns_flow *f = &m->flows[i];
    struct ns_meter_fsel *fs = &m->st.fs;
    fs->ev_flows++;
    for (int d = 0; d < 2; d++) {
        fs->ev_pkts += f->d[d].pkts;
        fs->ev_octets += f->d[d].octets;
        if (f->d[d].pkts)
            first_last(&fs->ev_first_ns, &fs->ev_last_ns, f->d[d].first_ns, f->d[d].last_ns);
    }
    first_last(&fs->ev_first_event_ns, &fs->ev_last_event_ns, m->now, m->now);
    flow_free(m, i);
}

/* Packets left out before any flow (refused admission). */
__attribute__((noinline, cold)) static void ignore(struct ns_meter *m, uint64_t pkts,
                                                   uint64_t octets, uint64_t first, uint64_t last)
{
    struct ns_meter_fsel *fs = &m->st.fs;
    fs->ign_pkts += pkts;
    fs->ign_octets += octets;
    first_last(&fs->ign_first_ns, &fs->ign_last_ns, first, last);
}

uint64_t ns_meter_now(const struct ns_meter *m)
{
    return m->now;
}

void ns_meter_cached(const struct ns_meter *m, uint64_t *flows, uint64_t *pkts, uint64_t *octets)
{
    uint64_t n = 0, p = 0, o = 0;
    for (uint32_t i = 0; i < m->flow_hwm; i++) {
        const struct ns_flow *f = &m->flows[i];
        if (!f->in_use)
            continue;
        n++;
        p += f->d[0].pkts + f->d[1].pkts;
        o += f->d[0].octets + f->d[1].octets;
    }
    for (uint32_t i = 0; i < m->frag.cap; i++)
        if (m->frag.e[i].in_use && !m->frag.e[i].has_first) {
            p += m->frag.e[i].pend_pkts;
            o += m->frag.e[i].pend_octets;
        }
    *flows = n;
    *pkts = p;
    *octets = o;
}

/* Least recently used flow of the cache (lingering flows first), or NIL. */
static uint32_t victim(struct ns_meter *m, int tcp_only, enum ns_end_reason *why)
{
    *why = NS_END_EOF;
    if (m->closing.head != NIL)
        return m->closing.head;
    *why = NS_END_RESOURCE;
    uint32_t a = tcp_only ? NIL : m->idle[0].head, b = m->idle[1].head;
    if (a == NIL)
        return b;
    if (b == NIL)
        return a;
    return m->flows[b].touch_ns < m->flows[a].touch_ns ? b : a;
}

/* ---- expiry ---- */

static int frag_orphan(struct ns_meter *m, struct ns_frag_entry *e, struct ns_error *err);

/* A TCP flow that went idle after FINs both ways, one never acknowledged
 * (or its ACK not captured), did end: flowEndReason says so (RFC 5102,
 * endOfFlowDetected: "for example, the TCP FIN flag"). */
static enum ns_end_reason idle_reason(struct ns_meter *m, uint32_t i)
{
    const struct ns_flow *f = &m->flows[i];
    if (f->tcp != NIL && m->tcp[f->tcp].d[0].fin && m->tcp[f->tcp].d[1].fin)
        return NS_END_EOF;
    return NS_END_IDLE;
}

static int expire(struct ns_meter *m, struct ns_error *err)
{
    int rc;
    uint64_t now = m->now;
    for (int c = 0; c < 2; c++) {
        uint64_t to = idle_timeout(m, c);
        while (m->idle[c].head != NIL && now - m->flows[m->idle[c].head].touch_ns >= to)
            if ((rc = flow_end(m, m->idle[c].head, idle_reason(m, m->idle[c].head), err)) < 0)
                return rc;
    }
    while (m->closing.head != NIL && m->flows[m->closing.head].due_ns <= now)
        if ((rc = flow_end(m, m->closing.head, NS_END_EOF, err)) < 0)
            return rc;
    uint64_t st = m->cfg.status_ns;
    while (st && m->status.head != NIL && m->flows[m->status.head].due_ns <= now) {
        uint32_t i = m->status.head;
        struct ns_flow *f = &m->flows[i];
        /* Next report: keep the flow's phase (due + interval) unless the
         * clock jumped past it (then now + interval).  Never before the
         * tail's report: the list stays in report order without a scan
         * (every due is <= the time it was set + interval <= now +
         * interval, so the clamp moves a report by less than one interval). */
        uint64_t next = f->due_ns + st;
        next = next > now ? next : now + st;
        uint64_t tail = m->flows[m->status.tail].due_ns;
        f->due_ns = next > tail ? next : tail;
        list_remove(m, &m->status, i, 1);
        list_append(m, &m->status, i, 1);
        if (f->activity && (rc = emit(m, f, NS_END_ACTIVE, err)) < 0)
            return rc;
    }
    struct ns_frag_entry *e;
    while ((e = ns_frag_oldest(&m->frag)) && now - e->created_ns >= m->cfg.frag_ns)
        if ((rc = frag_orphan(m, e, err)) < 0)
            return rc;
    /* the earliest deadline left, so that packets before it skip all this */
    m->next_due = UINT64_MAX;
    for (int c = 0; c < 2; c++)
        if (m->idle[c].head != NIL)
            due_at(m, m->flows[m->idle[c].head].touch_ns + idle_timeout(m, c));
    if (m->closing.head != NIL)
        due_at(m, m->flows[m->closing.head].due_ns);
    if (st && m->status.head != NIL)
        due_at(m, m->flows[m->status.head].due_ns);
    if ((e = ns_frag_oldest(&m->frag)))
        due_at(m, e->created_ns + m->cfg.frag_ns);
    return 0;
}

/* ---- flow lookup ---- */

static uint32_t lookup(struct ns_meter *m, const struct ns_flow_key *k, uint32_t h)
{
    for (uint32_t i = m->bucket[h & m->mask]; i != NIL; i = m->flows[i].hnext)
        if (m->flows[i].hash == h && ns_flow_key_equal(&m->flows[i].key, k))
            return i;
    return NIL;
}

/* Multistage filter (Estan & Varghese, "New directions in traffic
 * measurement and accounting", 2002, §3.2): one counter per stage, chosen
 * by independent hashes of the flow; conservative update raises only the
 * counters below the new minimum.  1: the flow passes. */
static int multistage(struct ns_meter *m, uint32_t h, uint64_t octets)
{
    const struct ns_meter_config *c = &m->cfg;
    if (c->ms_interval_ns && m->now - m->ms_epoch >= c->ms_interval_ns) {
        memset(m->ms, 0, (size_t)c->ms_stages * c->ms_buckets * sizeof *m->ms);
        m->ms_epoch = m->now;
    }
    uint64_t *ctr[8], lo = UINT64_MAX;
    for (uint32_t s = 0; s < c->ms_stages; s++) {
        uint64_t x = ((uint64_t)s << 32 | h) ^ c->hash_seed;
        uint64_t y = ns_splitmix64(&x);
        ctr[s] = &m->ms[(size_t)s * c->ms_buckets + (uint32_t)((y >> 32) * c->ms_buckets >> 32)];
        if (*ctr[s] < lo)
            lo = *ctr[s];
    }
    uint64_t v = lo + octets;
    for (uint32_t s = 0; s < c->ms_stages; s++)
        if (*ctr[s] < v)
            *ctr[s] = v;
    return v >= c->ms_threshold;
}

/* Smallest of the first (least recently used) 8 of each idle list. */
static uint32_t smallest(struct ns_meter *m)
{
    uint32_t best = NIL;
    uint64_t bo = UINT64_MAX;
    for (int c = 0; c < 2; c++) {
        uint32_t i = m->idle[c].head;
        for (int n = 0; n < 8 && i != NIL; n++, i = m->links[i].next) {
            const struct ns_flow *f = &m->flows[i];
            uint64_t o = f->d[0].octets + f->d[1].octets;
            if (o < bo || (o == bo && f->touch_ns < m->flows[best].touch_ns)) {
                bo = o;
                best = i;
            }
        }
    }
    return best;
}

/* No free entry: make room as the policy says.  1: room made, 0: refused. */
static int make_room(struct ns_meter *m, struct ns_error *err)
{
    enum ns_end_reason why;
    uint32_t v = victim(m, 0, &why);
    int rc;
    m->st.cache_full++;
    if (why == NS_END_EOF || m->cfg.cache_policy == NS_CACHE_EXPORT) {
        if ((rc = flow_end(m, v, why, err)) < 0)
            return rc;
        return 1;
    }
    switch (m->cfg.cache_policy) {
    case NS_CACHE_EVICT_LRU:
        break;
    case NS_CACHE_EVICT_SMALLEST:
        v = smallest(m);
        break;
    case NS_CACHE_EVICT_OLDEST:
        v = m->agel.head;
        break;
    default: /* drop-new, sample-and-hold */
        m->st.fs.full_refused++;
        return 0;
    }
    m->st.fs.full_evicted++;
    flow_evict(m, v);
    return 1;
}

/* Create the flow of a packet (or bulk of fragments) of `octets` octets;
 * *out = NIL when the selection refuses it (the caller counts it). */
static int create(struct ns_meter *m, const struct ns_flow_key *k, uint32_t h, int init_side,
                  uint8_t syn_seen, uint64_t octets, uint32_t *out, struct ns_error *err)
{
    int rc = 0;
    *out = NIL;
    if (m->ms && !multistage(m, h, octets)) {
        m->st.fs.ms_refused++;
        return 0;
    }
    if (m->cfg.cache_policy == NS_CACHE_SAMPLE_HOLD &&
        !(ns_rng_unit(&m->rng) < -expm1(-(double)octets / m->cfg.sh_octets))) {
        m->st.fs.sh_refused++;
        return 0;
    }
    if (m->flow_free == NIL && m->flow_hwm < m->cfg.max_flows) {
        m->flows[m->flow_hwm].hnext = NIL;
        m->flow_free = m->flow_hwm++;
    }
    if (m->flow_free == NIL && (rc = make_room(m, err)) <= 0)
        return rc;
    uint32_t i = m->flow_free;
    struct ns_flow *f = &m->flows[i];
    m->flow_free = f->hnext;
    ns_flow_init(f, &m->ident[i], k, h, init_side, m->next_id++, m->now);
    f->syn_seen = syn_seen;
    f->hnext = m->bucket[h & m->mask];
    m->bucket[h & m->mask] = i;
    list_append(m, &m->idle[0], i, 0);
    if (m->age) { /* creation order: evict-oldest */
        m->age[i].prev = m->agel.tail;
        m->age[i].next = NIL;
        *(m->agel.tail != NIL ? &m->age[m->agel.tail].next : &m->agel.head) = i;
        m->agel.tail = i;
    }
    due_at(m, m->now + idle_timeout(m, 0));
    if (m->cfg.status_ns) {
        f->due_ns = m->now + m->cfg.status_ns;
        list_append(m, &m->status, i, 1);
        due_at(m, f->due_ns);
    }
    m->st.flows_created++;
    m->st.flows_active++;
    *out = i;
    return 0;
}

/* Give flow `i` TCP state, evicting a TCP flow when the pool is empty. */
__attribute__((noinline)) static int attach_tcp(struct ns_meter *m, uint32_t i,
                                                struct ns_error *err)
{
    if (m->tcp_free == NIL && m->tcp_hwm < m->cfg.max_tcp) {
        m->tcp[m->tcp_hwm].next_free = NIL;
        m->tcp_free = m->tcp_hwm++;
    }
    if (m->tcp_free == NIL) {
        enum ns_end_reason why;
        uint32_t v = victim(m, 1, &why);
        m->st.tcp_full++;
        if (v == NIL)
            return 0; /* unreachable: an empty pool means TCP flows exist */
        int rc = flow_end(m, v, why, err);
        if (rc < 0)
            return rc;
    }
    struct ns_flow *f = &m->flows[i];
    f->tcp = m->tcp_free;
    m->tcp_free = m->tcp[f->tcp].next_free;
    ns_tcp_init(&m->tcp[f->tcp]);
    list_remove(m, &m->idle[f->cls], i, 0);
    f->cls = 1;
    list_append(m, &m->idle[1], i, 0);
    due_at(m, f->touch_ns + idle_timeout(m, 1));
    return 0;
}

__attribute__((noinline)) static int attach_seq(struct ns_meter *m, struct ns_flow *f,
                                                enum ns_seq_kind kind)
{
    if (m->seq_free == NIL && m->seq_hwm < m->cfg.max_seq) {
        m->seq[m->seq_hwm].next_free = NIL;
        m->seq_free = m->seq_hwm++;
    }
    if (m->seq_free == NIL) {
        m->st.seq_full++;
        f->no_seq = 1;
        return 0;
    }
    f->seq = m->seq_free;
    m->seq_free = m->seq[f->seq].next_free;
    ns_seq_init(&m->seq[f->seq], kind);
    return 1;
}

/* Refresh the flow's place in its idle list (not while lingering). */
static void touch(struct ns_meter *m, uint32_t i)
{
    struct ns_flow *f = &m->flows[i];
    f->touch_ns = m->now;
    if (f->closing)
        return;
    struct ns_list *l = &m->idle[f->cls];
    uint32_t t = l->tail;
    if (t == i) /* already last: a burst of one flow's packets */
        return;
    /* Move to the tail, written out: the flow is in this list and is not
     * its tail, so it has a successor and the list stays non-empty.  No
     * deadline moves earlier (the new head was touched no sooner than this
     * flow), so next_due stays a valid bound.  Every packet comes here:
     * the general remove + append cost four times as many instructions. */
    struct ns_link *lk = m->links, *me = &lk[i];
    uint32_t p = me->prev, n = me->next;
    if (p != NIL)
        lk[p].next = n;
    else
        l->head = n;
    lk[n].prev = p;
    lk[t].next = i;
    me->prev = t;
    me->next = NIL;
    l->tail = i;
}

__attribute__((noinline)) static void start_linger(struct ns_meter *m, uint32_t i)
{
    struct ns_flow *f = &m->flows[i];
    list_remove(m, &m->idle[f->cls], i, 0);
    if (m->cfg.status_ns)
        list_remove(m, &m->status, i, 1);
    f->closing = 1;
    f->due_ns = m->now + m->cfg.tcp_linger_ns;
    list_append(m, &m->closing, i, 0);
    due_at(m, f->due_ns);
}

/* Find or create the flow for key `k`; *dir = the packet's direction.
 * *out = NIL when the flow selection did not admit a new flow. */
static int get_flow(struct ns_meter *m, const struct ns_pkt *p, const struct ns_flow_key *k,
                    uint32_t h, int side, int tcp_hdr, uint64_t octets, uint32_t *out, int *dir,
                    struct ns_error *err)
{
    uint32_t i = lookup(m, k, h);
    int rc;
    if (i != NIL && tcp_hdr && m->flows[i].closing) {
        struct ns_flow *f = &m->flows[i];
        int d = side == f->init_side ? 0 : 1;
        if (ns_tcp_is_new_syn(&m->tcp[f->tcp], d, p)) {
            if ((rc = flow_end(m, i, NS_END_EOF, err)) < 0)
                return rc;
            i = NIL;
        }
    }
    if (i == NIL) {
        uint8_t syn;
        int ini = ns_flow_initiator(p, k, tcp_hdr, side, &syn);
        if ((rc = create(m, k, h, ini, syn, octets, &i, err)) < 0)
            return rc;
        if (i == NIL) {
            *out = NIL;
            return 0;
        }
    }
    *out = i;
    *dir = side == m->flows[i].init_side ? 0 : 1;
    return 0;
}

/* ---- fragments ---- */

static void bulk_from_entry(const struct ns_frag_entry *e, struct ns_flow_bulk *b)
{
    b->pkts = e->pend_pkts;
    b->octets = e->pend_octets;
    b->l2_octets = e->pend_l2;
    b->first_ns = e->pend_first;
    b->last_ns = e->pend_last;
    b->ttl_min = e->pend_ttl_min;
    b->ttl_max = e->pend_ttl_max;
    b->tos = e->pend_tos;
}

/* An entry leaves the table; pending fragments go to the ports-0 flow. */
static int frag_orphan(struct ns_meter *m, struct ns_frag_entry *e, struct ns_error *err)
{
    if (e->has_first || !e->pend_pkts) {
        ns_frag_remove(&m->frag, e);
        return 0;
    }
    struct ns_pkt p;
    memset(&p, 0, sizeof p);
    p.flags = NS_PKT_F_IP;
    p.ip_version = e->key.ip_version;
    p.proto = e->key.proto;
    memcpy(p.src, e->key.src, 16);
    memcpy(p.dst, e->key.dst, 16);
    p.vlan_count = e->key.vlan ? 1 : 0;
    p.vlan[0] = e->key.vlan;
    struct ns_flow_bulk b;
    bulk_from_entry(e, &b);
    m->st.frag_orphans++;
    m->st.frag_orphan_pkts += e->pend_pkts;
    ns_frag_remove(&m->frag, e);

    struct ns_key_l4 l4 = {0};
    struct ns_flow_key k;
    int side = ns_flow_key_make(&k, &p, &l4);
    uint32_t h = ns_flow_key_hash(&k, m->cfg.hash_seed);
    uint32_t i;
    int dir, rc;
    if ((rc = get_flow(m, &p, &k, h, side, 0, b.octets, &i, &dir, err)) < 0)
        return rc;
    if (i == NIL) {
        ignore(m, b.pkts, b.octets, b.first_ns, b.last_ns);
        return 0;
    }
    ns_flow_add_bulk(&m->flows[i], dir, &b);
    touch(m, i);
    return 0;
}

static int frag_entry(struct ns_meter *m, const struct ns_pkt *p, struct ns_frag_entry **out,
                      struct ns_error *err)
{
    struct ns_frag_key fk;
    ns_frag_key_make(&fk, p);
    uint32_t h = ns_frag_key_hash(&m->frag, &fk);
    struct ns_frag_entry *e = ns_frag_find(&m->frag, &fk, h);
    if (!e) {
        if (m->frag.used == m->frag.cap) {
            m->st.frag_evictions++;
            int rc = frag_orphan(m, ns_frag_oldest(&m->frag), err);
            if (rc < 0)
                return rc;
        }
        e = ns_frag_insert(&m->frag, &fk, h, m->now);
        due_at(m, m->now + m->cfg.frag_ns);
    }
    *out = e;
    return 0;
}

/* ---- the packet path ---- */

int ns_meter_advance(struct ns_meter *m, uint64_t now_ns, struct ns_error *err)
{
    if (now_ns > m->now)
        m->now = now_ns;
    if (m->now < m->next_due)
        return 0;
    return expire(m, err);
}

int ns_meter_set_timeouts(struct ns_meter *m, uint64_t idle_ns, uint64_t tcp_idle_ns,
                          uint64_t status_ns, struct ns_error *err)
{
    if (!idle_ns || !tcp_idle_ns)
        return ns_error_set(err, NS_EINVAL, "idle timeouts must be more than 0");
    if (!status_ns != !m->cfg.status_ns)
        return ns_error_set(err, NS_EUNSUP,
                            "turning status reports (active timeout) %s needs a restart",
                            status_ns ? "on" : "off");
    m->cfg.idle_ns = idle_ns;
    m->cfg.tcp_idle_ns = tcp_idle_ns;
    if (status_ns < m->cfg.status_ns) {
        uint64_t prev = 0, limit = m->now + status_ns;
        for (uint32_t i = m->status.head; i != NIL; i = m->flows[i].snext) {
            struct ns_flow *f = &m->flows[i];
            if (f->due_ns > limit)
                f->due_ns = limit;
            if (f->due_ns < prev)
                f->due_ns = prev; /* keep report order */
            prev = f->due_ns;
        }
    }
    m->cfg.status_ns = status_ns;
    m->next_due = 0; /* deadlines moved: the next packet or tick re-examines */
    return 0;
}

uint64_t ns_meter_hash_seed(const struct ns_meter *m)
{
    return m->cfg.hash_seed;
}

static int prefault_pool(void *base, size_t n, size_t size, uint32_t hwm, size_t *ahead)
{
    const size_t chunk = (size_t)2 << 20, most = (size_t)4 << 20;
    size_t used = (size_t)hwm * size;
    size_t want = used + (used < most ? used : most);
    if (*ahead >= want || *ahead >= n * size)
        return 0;
    ns_bigmem_populate(base, n, size, *ahead, *ahead + chunk);
    *ahead += chunk;
    return 1;
}

int ns_meter_prefault(struct ns_meter *m)
{
    return prefault_pool(m->flows, m->cfg.max_flows, sizeof *m->flows, m->flow_hwm,
                         &m->flow_ahead) ||
           prefault_pool(m->tcp, m->cfg.max_tcp, sizeof *m->tcp, m->tcp_hwm, &m->tcp_ahead);
}

void ns_meter_prepare(const struct ns_pkt *p, uint64_t hash_seed, struct ns_meter_prep *out)
{
    /* Only the common case: a full transport header, no fragment. */
    if ((p->flags & (NS_PKT_F_IP | NS_PKT_F_L4 | NS_PKT_F_FRAG)) != (NS_PKT_F_IP | NS_PKT_F_L4)) {
        out->valid = 0;
        return;
    }
    struct ns_key_l4 l4 = {.known = 1};
    if (ns_proto_has_ports(p->proto)) {
        l4.sport = p->sport;
        l4.dport = p->dport;
    }
    if (ns_proto_is_icmp(p->ip_version, p->proto)) {
        l4.icmp_type = p->icmp_type;
        l4.icmp_code = p->icmp_code;
    }
    out->side = (uint8_t)ns_flow_key_make(&out->key, p, &l4);
    out->hash = ns_flow_key_hash(&out->key, hash_seed);
    out->valid = 1;
    if (p->proto == 17)
        ns_rtp_peek(p, &out->rtp);
    else
        out->rtp.ok = 0;
}

/* Every cache line of the n bytes at p (n > 0). */
static void hint_lines(const void *p, size_t n)
{
    ns_prefetch(p);
    for (size_t off = 64 - ((uintptr_t)p & 63); off < n; off += 64)
        ns_prefetch((const char *)p + off);
}

static void hint_bucket(const struct ns_meter *m, const struct ns_meter_prep *pr)
{
    if (pr->valid)
        ns_prefetch(&m->bucket[pr->hash & m->mask]);
}

static void hint_flow(const struct ns_meter *m, const struct ns_meter_prep *pr)
{
    if (!pr->valid)
        return;
    /* a hint, not a lookup: the first entry of the chain is the likely one */
    uint32_t i = m->bucket[pr->hash & m->mask];
    if (i != NIL) {
        /* the whole entry: the key and links lead, the per-direction
         * counters ns_flow_count() updates follow */
        hint_lines(&m->flows[i], sizeof m->flows[0]);
        ns_prefetch(&m->links[i]); /* touch() moves it in its idle list */
    }
}

static void hint_state(const struct ns_meter *m, const struct ns_meter_prep *pr)
{
    if (!pr->valid)
        return;
    uint32_t i = m->bucket[pr->hash & m->mask];
    if (i == NIL)
        return;
    const struct ns_flow *f = &m->flows[i];
    if (f->hash != pr->hash)
        return; /* not the first of its chain: not worth a walk */
    /* its neighbours in the idle list, whose links touch() rewrites */
    const struct ns_link *lk = &m->links[i];
    if (lk->prev != NIL)
        ns_prefetch(&m->links[lk->prev]);
    if (lk->next != NIL)
        ns_prefetch(&m->links[lk->next]);
    if (f->tcp != NIL) {
        /* what every segment touches (tcp.h); holes and loss counters
         * are fetched when a segment needs them, seldom */
        hint_lines(&m->tcp[f->tcp], NS_TCP_HOT_BYTES);
    } else if (f->seq != NIL) {
        ns_prefetch(&m->seq[f->seq]);
    }
}

/* Out of line and cold: the packet path of a meter without a policy
 * stays as it was (and inlinable) with this exit. */
__attribute__((noinline, cold)) static int not_admitted(struct ns_meter *m, const struct ns_pkt *p,
                                                        const struct ns_flow_bulk *pending)
{
    uint64_t t = p->ts_ns, n = pending->pkts;
    ignore(m, 1 + n, p->ip_len + pending->octets,
           n && pending->first_ns < t ? pending->first_ns : t,
           n && pending->last_ns > t ? pending->last_ns : t);
    return 0;
}

int ns_meter_packet(struct ns_meter *m, const struct ns_pkt *p, struct ns_error *err)
{
    return ns_meter_packet_prepared(m, p, NULL, err);
}

static int packet_prepared(struct ns_meter *m, const struct ns_pkt *p,
                           const struct ns_meter_prep *pr, struct ns_error *err);

int ns_meter_packet_prepared(struct ns_meter *m, const struct ns_pkt *p,
                             const struct ns_meter_prep *pr, struct ns_error *err)
{
    return packet_prepared(m, p, pr, err);
}

/* The packet path, inlined into both entry points below: a batch loop in
 * this file keeps it in one piece, whatever the compiler decides about
 * inlining across files. */
__attribute__((always_inline)) static inline int packet_prepared(struct ns_meter *m,
                                                                 const struct ns_pkt *p,
                                                                 const struct ns_meter_prep *pr,
                                                                 struct ns_error *err)
{
    int rc;
    m->st.packets++;
    if ((rc = ns_meter_advance(m, p->ts_ns, err)) < 0)
        return rc;
    if (!(p->flags & NS_PKT_F_IP)) {
        m->st.non_ip++;
        return 0;
    }
    m->st.fs.obs_octets += p->ip_len;
    struct ns_key_l4 l4 = {0};
    struct ns_flow_bulk pending = {0};
    int tcp_hdr = 0, l4_hdr = 0;
    if ((p->flags & NS_PKT_F_FRAG) && !(p->flags & NS_PKT_F_FRAG_FIRST)) {
        struct ns_frag_entry *e;
        if ((rc = frag_entry(m, p, &e, err)) < 0)
            return rc;
        int complete = ns_frag_account(e, p);
        if (!e->has_first) { /* hold until the first fragment (or expiry) */
            m->st.frag_misses++;
            if (!e->pend_pkts || p->ts_ns < e->pend_first)
                e->pend_first = p->ts_ns;
            if (p->ts_ns > e->pend_last)
                e->pend_last = p->ts_ns;
            if (!e->pend_pkts)
                e->pend_tos = p->tos;
            e->pend_pkts++;
            e->pend_octets += p->ip_len;
            e->pend_l2 += p->wirelen;
            if (p->ttl < e->pend_ttl_min)
                e->pend_ttl_min = p->ttl;
            if (p->ttl > e->pend_ttl_max)
                e->pend_ttl_max = p->ttl;
            return 0;
        }
        m->st.frag_hits++;
        l4.known = 1;
        l4.sport = e->sport;
        l4.dport = e->dport;
        l4.icmp_type = e->icmp_type;
        l4.icmp_code = e->icmp_code;
        if (complete)
            ns_frag_remove(&m->frag, e);
    } else if (p->flags & NS_PKT_F_L4) {
        l4_hdr = 1;
        l4.known = 1;
        if (ns_proto_has_ports(p->proto)) {
            l4.sport = p->sport;
            l4.dport = p->dport;
        }
        if (ns_proto_is_icmp(p->ip_version, p->proto)) {
            l4.icmp_type = p->icmp_type;
            l4.icmp_code = p->icmp_code;
        }
        tcp_hdr = p->proto == 6;
        if ((p->flags & NS_PKT_F_FRAG) && (p->flags & NS_PKT_F_FRAG_MORE)) {
            struct ns_frag_entry *e;
            if ((rc = frag_entry(m, p, &e, err)) < 0)
                return rc;
            e->has_first = 1;
            e->sport = l4.sport;
            e->dport = l4.dport;
            e->icmp_type = l4.icmp_type;
            e->icmp_code = l4.icmp_code;
            bulk_from_entry(e, &pending);
            e->pend_pkts = 0;
            if (ns_frag_account(e, p))
                ns_frag_remove(&m->frag, e);
        }
    } else {
        m->st.no_l4++;
    }

    struct ns_flow_key kbuf;
    const struct ns_flow_key *k = &kbuf;
    int side;
    uint32_t h;
    int ahead = pr && pr->valid && l4_hdr && !(p->flags & NS_PKT_F_FRAG);
    if (ahead) {
        k = &pr->key; /* computed ahead, the same way (ns_meter_prepare) */
        side = pr->side;
        h = pr->hash;
    } else {
        side = ns_flow_key_make(&kbuf, p, &l4);
        h = ns_flow_key_hash(&kbuf, m->cfg.hash_seed);
    }
    uint32_t i;
    int dir;
    if ((rc = get_flow(m, p, k, h, side, tcp_hdr, p->ip_len + pending.octets, &i, &dir, err)) < 0)
        return rc;
    if (i == NIL) /* not admitted: the packet and what it brought are left out */
        return not_admitted(m, p, &pending);
    if (tcp_hdr && m->flows[i].tcp == NIL && (rc = attach_tcp(m, i, err)) < 0)
        return rc;
    struct ns_flow *f = &m->flows[i];
    ns_flow_count(f, &m->ident[i], dir, p);
    if (pending.pkts) /* fragments that came before their first */
        ns_flow_add_bulk(f, dir, &pending);
    touch(m, i);
    if (tcp_hdr && f->tcp != NIL) {
        unsigned r = ns_tcp_packet(&m->tcp[f->tcp], dir, p);
        if (r & NS_TCP_R_HOLE_OVERFLOW)
            m->st.tcp_hole_overflow++;
        if ((r & NS_TCP_R_CLOSED) && !f->closing)
            start_linger(m, i);
    } else if (l4_hdr && !f->no_seq) {
        if (p->proto == 50) {
            if (f->seq != NIL || attach_seq(m, f, NS_SEQ_ESP))
                ns_seq_esp(&m->seq[f->seq], dir, p->esp_spi, p->esp_seq);
        } else if (p->proto == 17) {
            struct ns_rtp_hdr rh;
            if (ahead)
                rh = pr->rtp;
            else
                ns_rtp_peek(p, &rh);
            if ((f->seq != NIL || rh.ok) && (f->seq != NIL || attach_seq(m, f, NS_SEQ_RTP))) {
                if (ns_seq_rtp(&m->seq[f->seq], dir, &rh) < 0) {
                    seq_release(m, f);
                    f->no_seq = 1;
                }
            }
        }
    }
    return 0;
}

int ns_meter_batch(struct ns_meter *m, const struct ns_pkt *pkts, const struct ns_meter_prep *prep,
                   uint32_t n, const struct ns_meter_ticks *ticks, struct ns_error *err)
{
    /* Cache hints run ahead of metering: bucket HINT_B packets ahead,
     * flow entry HINT_F ahead, its TCP/sequence state HINT_S (meter.h). */
    enum { HINT_B = 16, HINT_F = 8, HINT_S = 4 };
    uint32_t k = 0, nt = ticks ? ticks->n : 0; /* next clock tick */
    int rc;
    for (uint32_t i = 0; i < HINT_B && i < n; i++)
        hint_bucket(m, &prep[i]);
    for (uint32_t i = 0; i < HINT_F && i < n; i++)
        hint_flow(m, &prep[i]);
    for (uint32_t i = 0; i < HINT_S && i < n; i++)
        hint_state(m, &prep[i]);
    for (uint32_t i = 0; i < n; i++) {
        if (i + HINT_B < n)
            hint_bucket(m, &prep[i + HINT_B]);
        if (i + HINT_F < n)
            hint_flow(m, &prep[i + HINT_F]);
        if (i + HINT_S < n)
            hint_state(m, &prep[i + HINT_S]);
        for (; k < nt && ticks->at[k] == i; k++)
            if ((rc = ns_meter_advance(m, ticks->ns[k], err)) < 0)
                return rc;
        if ((rc = packet_prepared(m, &pkts[i], &prep[i], err)) < 0)
            return rc;
    }
    for (; k < nt; k++)
        if ((rc = ns_meter_advance(m, ticks->ns[k], err)) < 0)
            return rc;
    return 0;
}

/* Put every flow still in the cache back into the emptied hash table. */
static void rehash(struct ns_meter *m)
{
    const struct ns_list *lists[] = {&m->closing, &m->idle[0], &m->idle[1]};
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++)
        for (uint32_t i = lists[l]->head; i != NIL; i = m->links[i].next) {
            struct ns_flow *f = &m->flows[i];
            f->hnext = m->bucket[f->hash & m->mask];
            m->bucket[f->hash & m->mask] = i;
        }
}

int ns_meter_flush(struct ns_meter *m, struct ns_error *err)
{
    int rc;
    struct ns_frag_entry *e;
    while ((e = ns_frag_oldest(&m->frag)))
        if ((rc = frag_orphan(m, e, err)) < 0)
            return rc;
    /* Every flow ends now, in list order: closing first, then idle.  The
     * hash table is emptied rather than each flow unlinked from its chain
     * (a cache miss or two a flow: 23 % of the samples of a large run's
     * final flush), and serves meanwhile to hold that order: the lists are
     * walked once, then the entries are ended from the array, which can
     * be read ahead.  Walked and ended together, every flow waited on a
     * miss for its link, then for its entry, then for its TCP state: half
     * of the flush. */
    uint32_t *order = m->bucket, n = 0, nclosing = 0;
    const struct ns_list *lists[] = {&m->closing, &m->idle[0], &m->idle[1]};
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        for (uint32_t i = lists[l]->head; i != NIL; i = m->links[i].next)
            order[n++] = i; /* n <= flows in the cache <= max_flows <= buckets */
        if (l == 0)
            nclosing = n;
    }
    m->unhashed = 1;
    enum { FAR = 8, NEAR = 4 };
    rc = 0;
    for (uint32_t k = 0; k < FAR && k < n; k++) {
        hint_lines(&m->flows[order[k]], sizeof m->flows[0]);
        hint_lines(&m->ident[order[k]], sizeof m->ident[0]);
    }
    for (uint32_t k = 0; k < n && rc >= 0; k++) {
        if (k + FAR < n) {
            hint_lines(&m->flows[order[k + FAR]], sizeof m->flows[0]);
            hint_lines(&m->ident[order[k + FAR]], sizeof m->ident[0]);
        }
        if (k + NEAR < n) { /* its entry has arrived: what it points to */
            const struct ns_flow *f = &m->flows[order[k + NEAR]];
            if (f->tcp != NIL)
                hint_lines(&m->tcp[f->tcp], sizeof m->tcp[0]);
            if (f->sprev != NIL)
                ns_prefetch(&m->flows[f->sprev].snext);
            if (f->snext != NIL)
                ns_prefetch(&m->flows[f->snext].sprev);
        }
        rc = flow_end(m, order[k], k < nclosing ? NS_END_EOF : NS_END_FORCED, err);
    }
    for (uint32_t b = 0; b <= m->mask; b++)
        m->bucket[b] = NIL;
    m->unhashed = 0;
    if (rc < 0) /* the sink failed: the flows left stay findable */
        rehash(m);
    return rc < 0 ? rc : 0;
}
