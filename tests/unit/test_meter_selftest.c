/*
 * Selftest of the flow cache (WireGuard style): random packet streams go
 * through the real meter and through a naive reference that keeps flows in a
 * linear array, matches packets by trying both orientations, and finds
 * expiring and evicted flows by scanning.  Per-flow accounting (counters,
 * TCP/ESP/RTP state) is shared: what is checked is the cache — lookup,
 * canonical keys, initiator, idle/status/linger/fragment expiry, LRU
 * eviction, pools — record by record.
 *
 * The same reference implements the flow selection policies of a full
 * cache (meter.h: drop-new, evict-lru/smallest/oldest, sample-and-hold,
 * the multistage filter) by scanning, draws its random admissions from the
 * same generator in the same order, and counts what it leaves out: the
 * meter's counters (struct ns_meter_fsel) must equal the reference's
 * exactly, times included, and every IP packet must be either in a record
 * or counted as left out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>

#include "meter/flow.h"
#include "meter/frag.h"
#include "meter_helpers.h"
#include "util/rng.h"
#include <math.h>

#define RMAX 64

struct rflow {
    int used;
    struct ns_flow f;
    struct ns_flow_ident id;
    struct ns_tcp_state t;
    struct ns_seq_state s;
    int has_tcp, has_seq;
    /* initiator-oriented key for matching */
    uint8_t src[16], dst[16];
    uint16_t sp, dp, vlan;
    uint8_t ver, proto, type, code;
    uint64_t touch_seq, status_seq, close_seq;
};

struct rfrag {
    int used;
    struct ns_frag_key k;
    struct ns_frag_entry e; /* fields only; not in any table */
    uint64_t seq;
};

struct ref {
    struct ns_meter_config cfg;
    struct rflow fl[RMAX];
    struct rfrag fr[RMAX];
    uint64_t now, next_id, ctr;
    struct collector *out;
    struct ns_meter_stats st;
    struct ns_meter_fsel fs;
    struct ns_rng rng;
    uint64_t ms[8 * 64], ms_epoch;
};

static void r_first_last(uint64_t *first, uint64_t *last, uint64_t a, uint64_t b)
{
    if (!a)
        return;
    if (!*first || a < *first)
        *first = a;
    if (b > *last)
        *last = b;
}

static void r_ignore(struct ref *r, uint64_t pkts, uint64_t octets, uint64_t first, uint64_t last)
{
    r->fs.ign_pkts += pkts;
    r->fs.ign_octets += octets;
    r_first_last(&r->fs.ign_first_ns, &r->fs.ign_last_ns, first, last);
}

static void r_emit(struct ref *r, struct rflow *x, enum ns_end_reason why)
{
    struct ns_record rec;
    ns_flow_record(&x->f, &x->id, x->has_tcp ? &x->t : NULL, x->has_seq ? &x->s : NULL, why, &rec);
    ns_flow_reset_deltas(&x->f, x->has_tcp ? &x->t : NULL, x->has_seq ? &x->s : NULL);
    struct ns_error e;
    collect(r->out, &rec, &e);
    r->fs.out_records++;
    r->fs.out_flows += why != NS_END_ACTIVE;
    r->fs.out_pkts += rec.dir[0].pkts + rec.dir[1].pkts;
    r->fs.out_octets += rec.dir[0].octets + rec.dir[1].octets;
}

/* removed without a record, counted */
static void r_evict(struct ref *r, struct rflow *x)
{
    r->fs.ev_flows++;
    for (int d = 0; d < 2; d++) {
        r->fs.ev_pkts += x->f.d[d].pkts;
        r->fs.ev_octets += x->f.d[d].octets;
        if (x->f.d[d].pkts)
            r_first_last(&r->fs.ev_first_ns, &r->fs.ev_last_ns, x->f.d[d].first_ns,
                         x->f.d[d].last_ns);
    }
    r_first_last(&r->fs.ev_first_event_ns, &r->fs.ev_last_event_ns, r->now, r->now);
    x->used = 0;
}

/* the multistage filter, written again from its description (meter.h) */
static int r_multistage(struct ref *r, uint32_t h, uint64_t octets)
{
    const struct ns_meter_config *c = &r->cfg;
    if (c->ms_interval_ns && r->now - r->ms_epoch >= c->ms_interval_ns) {
        memset(r->ms, 0, sizeof r->ms);
        r->ms_epoch = r->now;
    }
    uint64_t lo = UINT64_MAX;
    size_t idx[8];
    for (uint32_t s = 0; s < c->ms_stages; s++) {
        uint64_t x = ((uint64_t)s << 32 | h) ^ c->hash_seed;
        uint64_t y = ns_splitmix64(&x);
        idx[s] = s * c->ms_buckets + (size_t)((y >> 32) * c->ms_buckets >> 32);
        lo = r->ms[idx[s]] < lo ? r->ms[idx[s]] : lo;
    }
    for (uint32_t s = 0; s < c->ms_stages; s++)
        if (r->ms[idx[s]] < lo + octets)
            r->ms[idx[s]] = lo + octets;
    return lo + octets >= c->ms_threshold;
}

static void r_end(struct ref *r, struct rflow *x, enum ns_end_reason why)
{
    r_emit(r, x, why);
    x->used = 0;
}

static int r_count(struct ref *r, int tcp_only)
{
    int n = 0;
    for (int i = 0; i < RMAX; i++)
        n += r->fl[i].used && (!tcp_only || r->fl[i].has_tcp);
    return n;
}

static struct rflow *r_victim(struct ref *r, int tcp_only, enum ns_end_reason *why)
{
    struct rflow *v = NULL;
    for (int i = 0; i < RMAX; i++) {
        struct rflow *x = &r->fl[i];
        if (x->used && x->f.closing && (!v || x->close_seq < v->close_seq))
            v = x;
    }
    *why = NS_END_EOF;
    if (v)
        return v;
    *why = NS_END_RESOURCE;
    for (int i = 0; i < RMAX; i++) {
        struct rflow *x = &r->fl[i];
        if (!x->used || (tcp_only && !x->has_tcp))
            continue;
        if (!v || x->f.touch_ns < v->f.touch_ns ||
            (x->f.touch_ns == v->f.touch_ns &&
             (x->f.cls < v->f.cls || (x->f.cls == v->f.cls && x->touch_seq < v->touch_seq))))
            v = x;
    }
    return v;
}

static void r_touch(struct ref *r, struct rflow *x)
{
    x->f.touch_ns = r->now;
    if (!x->f.closing)
        x->touch_seq = ++r->ctr;
}

static void r_orphan(struct ref *r, struct rfrag *q);

static void r_expire(struct ref *r)
{
    for (int c = 0; c < 2; c++) {
        uint64_t to = c ? r->cfg.tcp_idle_ns : r->cfg.idle_ns;
        for (;;) {
            struct rflow *v = NULL;
            for (int i = 0; i < RMAX; i++) {
                struct rflow *x = &r->fl[i];
                if (x->used && !x->f.closing && x->f.cls == c && r->now - x->f.touch_ns >= to &&
                    (!v || x->touch_seq < v->touch_seq))
                    v = x;
            }
            if (!v)
                break;
            /* FINs both ways (one unacknowledged): the flow did end */
            r_end(r, v, v->has_tcp && v->t.d[0].fin && v->t.d[1].fin ? NS_END_EOF : NS_END_IDLE);
        }
    }
    for (;;) {
        struct rflow *v = NULL;
        for (int i = 0; i < RMAX; i++) {
            struct rflow *x = &r->fl[i];
            if (x->used && x->f.closing && x->f.due_ns <= r->now &&
                (!v || x->close_seq < v->close_seq))
                v = x;
        }
        if (!v)
            break;
        r_end(r, v, NS_END_EOF);
    }
    uint64_t st = r->cfg.status_ns;
    while (st) {
        struct rflow *v = NULL;
        for (int i = 0; i < RMAX; i++) {
            struct rflow *x = &r->fl[i];
            if (x->used && !x->f.closing && x->f.due_ns <= r->now &&
                (!v || x->f.due_ns < v->f.due_ns ||
                 (x->f.due_ns == v->f.due_ns && x->status_seq < v->status_seq)))
                v = x;
        }
        if (!v)
            break;
        uint64_t next = v->f.due_ns + st;
        next = next > r->now ? next : r->now + st;
        struct rflow *tail = NULL; /* the last one (re)scheduled */
        for (int i = 0; i < RMAX; i++) {
            struct rflow *x = &r->fl[i];
            if (x->used && !x->f.closing && (!tail || x->status_seq > tail->status_seq))
                tail = x;
        }
        v->f.due_ns = next > tail->f.due_ns ? next : tail->f.due_ns;
        v->status_seq = ++r->ctr;
        if (v->f.activity)
            r_emit(r, v, NS_END_ACTIVE);
    }
    for (;;) {
        struct rfrag *v = NULL;
        for (int i = 0; i < RMAX; i++)
            if (r->fr[i].used && r->now - r->fr[i].e.created_ns >= r->cfg.frag_ns &&
                (!v || r->fr[i].seq < v->seq))
                v = &r->fr[i];
        if (!v)
            break;
        r_orphan(r, v);
    }
}

static int addr_eq(const uint8_t *a, const uint8_t *b)
{
    return memcmp(a, b, 16) == 0;
}

/* Find or create the flow; transport view in l4 (known=0: ports 0). */
static struct rflow *r_flow(struct ref *r, const struct ns_pkt *p, const struct ns_key_l4 *l4,
                            int tcp_hdr, uint64_t octets, int *dir)
{
    uint8_t src[16] = {0}, dst[16] = {0};
    size_t al = p->ip_version == 6 ? 16 : 4;
    memcpy(src, p->src, al);
    memcpy(dst, p->dst, al);
    uint16_t sp = l4->known ? l4->sport : 0, dp = l4->known ? l4->dport : 0;
    uint8_t type = l4->known ? l4->icmp_type : 0, code = l4->known ? l4->icmp_code : 0;
    uint16_t vlan = p->vlan_count ? (p->vlan[0] & 0xfff) : 0;
    int icmp = ns_proto_is_icmp(p->ip_version, p->proto), reply = 0, paired = 0;
    uint8_t req;
    if (icmp && l4->known && ns_icmp_pair(p->ip_version, type, &req, &reply)) {
        paired = 1;
        type = req;
    }
    struct rflow *x = NULL;
    for (int i = 0; i < RMAX && !x; i++) {
        struct rflow *y = &r->fl[i];
        if (!y->used || y->ver != p->ip_version || y->proto != p->proto || y->vlan != vlan ||
            y->type != type || y->code != code)
            continue;
        if (addr_eq(y->src, src) && addr_eq(y->dst, dst) && y->sp == sp && y->dp == dp &&
            !(paired && reply)) {
            x = y;
            *dir = 0;
        } else if (addr_eq(y->src, dst) && addr_eq(y->dst, src) && y->sp == dp && y->dp == sp &&
                   !(paired && !reply)) {
            x = y;
            *dir = 1;
        }
    }
    if (x && tcp_hdr && x->f.closing && ns_tcp_is_new_syn(&x->t, *dir, p)) {
        r_end(r, x, NS_END_EOF);
        x = NULL;
    }
    if (x)
        return x;
    if (r->cfg.ms_stages) {
        struct ns_flow_key k;
        ns_flow_key_make(&k, p, l4);
        if (!r_multistage(r, ns_flow_key_hash(&k, r->cfg.hash_seed), octets))
            return NULL;
    }
    if (r->cfg.cache_policy == NS_CACHE_SAMPLE_HOLD &&
        !(ns_rng_unit(&r->rng) < -expm1(-(double)octets / r->cfg.sh_octets)))
        return NULL;
    if (r_count(r, 0) == (int)r->cfg.max_flows) {
        enum ns_end_reason why;
        struct rflow *v = r_victim(r, 0, &why);
        r->st.cache_full++;
        if (why == NS_END_EOF || r->cfg.cache_policy == NS_CACHE_EXPORT) {
            r_end(r, v, why);
        } else if (r->cfg.cache_policy == NS_CACHE_EVICT_LRU) {
            r_evict(r, v);
        } else if (r->cfg.cache_policy == NS_CACHE_EVICT_OLDEST) {
            v = NULL;
            for (int i = 0; i < RMAX; i++)
                if (r->fl[i].used && (!v || r->fl[i].id.flow_id < v->id.flow_id))
                    v = &r->fl[i];
            r_evict(r, v);
        } else if (r->cfg.cache_policy == NS_CACHE_EVICT_SMALLEST) {
            /* the fewest octets among the 8 least recently used per class */
            v = NULL;
            uint64_t bo = UINT64_MAX;
            for (int c = 0; c < 2; c++) {
                uint64_t after = 0;
                for (int n = 0; n < 8; n++) {
                    struct rflow *y = NULL;
                    for (int i = 0; i < RMAX; i++) {
                        struct rflow *z = &r->fl[i];
                        if (z->used && !z->f.closing && z->f.cls == c && z->touch_seq > after &&
                            (!y || z->touch_seq < y->touch_seq))
                            y = z;
                    }
                    if (!y)
                        break;
                    after = y->touch_seq;
                    uint64_t o = y->f.d[0].octets + y->f.d[1].octets;
                    if (o < bo || (o == bo && y->f.touch_ns < v->f.touch_ns)) {
                        bo = o;
                        v = y;
                    }
                }
            }
            r_evict(r, v);
        } else {
            return NULL; /* drop-new, sample-and-hold: refused */
        }
    }
    for (int i = 0; i < RMAX && !x; i++)
        if (!r->fl[i].used)
            x = &r->fl[i];
    memset(x, 0, sizeof *x);
    x->used = 1;
    /* initiator: SYN sender, ICMP requester, else the source */
    int from_src = !(paired && reply);
    x->f.syn_seen = tcp_hdr && (p->tcp_flags & (F_SYN | F_ACK)) == F_SYN;
    memcpy(x->src, from_src ? src : dst, 16);
    memcpy(x->dst, from_src ? dst : src, 16);
    x->sp = from_src ? sp : dp;
    x->dp = from_src ? dp : sp;
    x->ver = p->ip_version;
    x->proto = p->proto;
    x->type = type;
    x->code = code;
    x->vlan = vlan;
    struct ns_flow_key k;
    int side = ns_flow_key_make(&k, p, l4);
    uint8_t syn = x->f.syn_seen;
    ns_flow_init(&x->f, &x->id, &k, 0, from_src ? side : !side, r->next_id++, r->now);
    x->f.syn_seen = syn;
    x->f.due_ns = r->now + r->cfg.status_ns;
    x->status_seq = ++r->ctr;
    x->touch_seq = ++r->ctr;
    *dir = from_src ? 0 : 1;
    return x;
}

static void r_orphan(struct ref *r, struct rfrag *q)
{
    q->used = 0;
    if (q->e.has_first || !q->e.pend_pkts)
        return;
    struct ns_pkt p;
    memset(&p, 0, sizeof p);
    p.flags = NS_PKT_F_IP;
    p.ip_version = q->k.ip_version;
    p.proto = q->k.proto;
    memcpy(p.src, q->k.src, 16);
    memcpy(p.dst, q->k.dst, 16);
    p.vlan_count = q->k.vlan ? 1 : 0;
    p.vlan[0] = q->k.vlan;
    struct ns_key_l4 l4 = {0};
    int dir;
    struct rflow *x = r_flow(r, &p, &l4, 0, q->e.pend_octets, &dir);
    struct ns_flow_bulk b = {q->e.pend_pkts, q->e.pend_octets,  q->e.pend_l2,      q->e.pend_first,
                             q->e.pend_last, q->e.pend_ttl_min, q->e.pend_ttl_max, q->e.pend_tos};
    if (!x) {
        r_ignore(r, b.pkts, b.octets, b.first_ns, b.last_ns);
        return;
    }
    ns_flow_add_bulk(&x->f, dir, &b);
    r_touch(r, x);
}

static struct rfrag *r_frag(struct ref *r, const struct ns_pkt *p)
{
    struct ns_frag_key k;
    ns_frag_key_make(&k, p);
    int n = 0;
    for (int i = 0; i < RMAX; i++) {
        if (r->fr[i].used && memcmp(&r->fr[i].k, &k, sizeof k) == 0)
            return &r->fr[i];
        n += r->fr[i].used;
    }
    if (n == (int)r->cfg.max_frags) {
        struct rfrag *v = NULL;
        for (int i = 0; i < RMAX; i++)
            if (r->fr[i].used && (!v || r->fr[i].seq < v->seq))
                v = &r->fr[i];
        r_orphan(r, v);
    }
    for (int i = 0; i < RMAX; i++)
        if (!r->fr[i].used) {
            struct rfrag *q = &r->fr[i];
            memset(q, 0, sizeof *q);
            q->used = 1;
            q->k = k;
            q->seq = ++r->ctr;
            q->e.created_ns = r->now;
            q->e.pend_ttl_min = 0xff;
            return q;
        }
    return NULL;
}

static void r_packet(struct ref *r, const struct ns_pkt *p)
{
    if (p->ts_ns > r->now)
        r->now = p->ts_ns;
    r_expire(r);
    if (!(p->flags & NS_PKT_F_IP))
        return;
    struct ns_key_l4 l4 = {0};
    struct ns_flow_bulk pending = {0};
    int tcp_hdr = 0, l4_hdr = 0;
    if ((p->flags & NS_PKT_F_FRAG) && !(p->flags & NS_PKT_F_FRAG_FIRST)) {
        struct rfrag *q = r_frag(r, p);
        int complete = ns_frag_account(&q->e, p);
        if (!q->e.has_first) {
            struct ns_frag_entry *e = &q->e;
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
            return;
        }
        l4 = (struct ns_key_l4){q->e.sport, q->e.dport, q->e.icmp_type, q->e.icmp_code, 1};
        if (complete)
            q->used = 0;
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
            struct rfrag *q = r_frag(r, p);
            struct ns_frag_entry *e = &q->e;
            e->has_first = 1;
            e->sport = l4.sport;
            e->dport = l4.dport;
            e->icmp_type = l4.icmp_type;
            e->icmp_code = l4.icmp_code;
            pending =
                (struct ns_flow_bulk){e->pend_pkts, e->pend_octets,  e->pend_l2,      e->pend_first,
                                      e->pend_last, e->pend_ttl_min, e->pend_ttl_max, e->pend_tos};
            e->pend_pkts = 0;
            if (ns_frag_account(e, p))
                q->used = 0;
        }
    }
    int dir;
    struct rflow *x = r_flow(r, p, &l4, tcp_hdr, p->ip_len + pending.octets, &dir);
    if (!x) {
        uint64_t first = p->ts_ns, last = p->ts_ns;
        if (pending.pkts) {
            first = pending.first_ns < first ? pending.first_ns : first;
            last = pending.last_ns > last ? pending.last_ns : last;
        }
        r_ignore(r, 1 + pending.pkts, p->ip_len + pending.octets, first, last);
        return;
    }
    if (tcp_hdr && !x->has_tcp) {
        if (r_count(r, 1) == (int)r->cfg.max_tcp) {
            enum ns_end_reason why;
            struct rflow *v = r_victim(r, 1, &why);
            r_end(r, v, why);
        }
        x->has_tcp = 1;
        ns_tcp_init(&x->t);
        x->f.cls = 1;
    }
    ns_flow_count(&x->f, &x->id, dir, p);
    ns_flow_add_bulk(&x->f, dir, &pending);
    r_touch(r, x);
    if (tcp_hdr && x->has_tcp) {
        unsigned res = ns_tcp_packet(&x->t, dir, p);
        if ((res & NS_TCP_R_CLOSED) && !x->f.closing) {
            x->f.closing = 1;
            x->f.due_ns = r->now + r->cfg.tcp_linger_ns;
            x->close_seq = ++r->ctr;
        }
    } else if (l4_hdr && !x->f.no_seq) {
        int nseq = 0;
        for (int i = 0; i < RMAX; i++)
            nseq += r->fl[i].used && r->fl[i].has_seq;
        if (p->proto == 50) {
            if (!x->has_seq) {
                if (nseq == (int)r->cfg.max_seq) {
                    x->f.no_seq = 1;
                    return;
                }
                x->has_seq = 1;
                ns_seq_init(&x->s, NS_SEQ_ESP);
            }
            ns_seq_esp(&x->s, dir, p->esp_spi, p->esp_seq);
        } else if (p->proto == 17) {
            struct ns_rtp_hdr rh;
            ns_rtp_peek(p, &rh);
            if (!x->has_seq && !rh.ok)
                return;
            if (!x->has_seq) {
                if (nseq == (int)r->cfg.max_seq) {
                    x->f.no_seq = 1;
                    return;
                }
                x->has_seq = 1;
                ns_seq_init(&x->s, NS_SEQ_RTP);
            }
            if (ns_seq_rtp(&x->s, dir, &rh) < 0) {
                x->has_seq = 0;
                x->f.no_seq = 1;
            }
        }
    }
}

static void r_flush(struct ref *r)
{
    for (;;) {
        struct rfrag *v = NULL;
        for (int i = 0; i < RMAX; i++)
            if (r->fr[i].used && (!v || r->fr[i].seq < v->seq))
                v = &r->fr[i];
        if (!v)
            break;
        r_orphan(r, v);
    }
    for (int i = 0; i < RMAX; i++)
        if (r->fl[i].used)
            r_end(r, &r->fl[i], r->fl[i].f.closing ? NS_END_EOF : NS_END_FORCED);
}

/* ---- random streams ---- */

static uint64_t rng;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static uint8_t payload[16][12];

static struct ns_pkt random_packet(uint64_t *t, int i)
{
    static const char *hosts[] = {"10.0.0.1", "10.0.0.2", "10.0.0.3", "2001:db8::1", "2001:db8::2"};
    uint32_t jump = rnd(100);
    *t += jump < 70 ? rnd(200) * MS : jump < 95 ? rnd(3000) * MS : rnd(20) * SEC;
    int v6 = rnd(5) == 0;
    const char *a = hosts[v6 ? 3 + rnd(2) : rnd(3)], *b = hosts[v6 ? 3 + rnd(2) : rnd(3)];
    uint16_t pa = (uint16_t)(2000 + rnd(2)), pb = (uint16_t)(rnd(2) ? 5004 : 80);
    if (rnd(2)) {
        const char *x = a;
        a = b;
        b = x;
        uint16_t y = pa;
        pa = pb;
        pb = y;
    }
    struct ns_pkt p;
    uint32_t kind = rnd(100);
    if (kind < 45) {
        static const uint8_t fl[] = {F_SYN,         F_SYN | F_ACK, F_ACK, F_ACK,
                                     F_ACK | F_PSH, F_FIN | F_ACK, F_RST, F_ACK};
        uint32_t len = rnd(3) ? 100 * rnd(3) : 1;
        p = mk_tcp(*t, a, pa, b, pb, fl[rnd(8)], 1000 + 100 * rnd(8), 1000 + 100 * rnd(8), len);
        p.tcp_win = (uint16_t)(rnd(4) ? 65535 : 0);
    } else if (kind < 70) {
        p = mk_udp(*t, a, pa, b, pb, 160);
        uint8_t *pl = payload[i & 15];
        memset(pl, 0, 12);
        pl[0] = rnd(4) ? 0x80 : 0x40;
        pl[3] = (uint8_t)(i / 2 + rnd(3));
        pl[11] = (uint8_t)rnd(2);
        p.payload = pl;
        p.payload_caplen = 12;
    } else if (kind < 80) {
        static const uint8_t types[] = {8, 0, 13, 14, 3, 11};
        p = mk_icmp(*t, a, b, types[rnd(6)], (uint8_t)rnd(2), 56);
        if (v6)
            p.icmp_type = (uint8_t)(128 + rnd(3));
    } else if (kind < 88) {
        p = mk_ip(*t, a, b, 50, 8, 100);
        p.flags |= NS_PKT_F_L4;
        p.esp_spi = 7 + rnd(2);
        p.esp_seq = (uint32_t)(i / 2 + rnd(4));
    } else if (kind < 96) { /* fragments of UDP datagrams */
        p = mk_ip(*t, a, b, 17, 0, 0);
        p.flags |= NS_PKT_F_FRAG;
        p.frag_id = rnd(3);
        uint32_t part = rnd(3);
        p.frag_off = part * 1000;
        p.ip_len = p.ip_hdr_len + (part == 2 ? 8 : 1000);
        if (part < 2)
            p.flags |= NS_PKT_F_FRAG_MORE;
        if (part == 0) {
            p.flags |= NS_PKT_F_FRAG_FIRST | NS_PKT_F_L4;
            p.sport = pa;
            p.dport = pb;
        }
    } else if (kind < 98) { /* IP without transport */
        p = mk_ip(*t, a, b, (uint8_t)(rnd(2) ? 6 : 1), 0, 4);
    } else {
        memset(&p, 0, sizeof p);
        p.ts_ns = *t;
        p.wirelen = 60;
    }
    if (rnd(8) == 0) {
        p.vlan_count = 1;
        p.vlan[0] = 10;
    }
    p.ttl = (uint8_t)(32 + rnd(4));
    if (rnd(30) == 0 && *t > 5 * MS)
        p.ts_ns -= 5 * MS; /* slightly out-of-order capture timestamps */
    return p;
}

static int by_flow(const void *x, const void *y)
{
    const struct ns_record *a = x, *b = y;
    if (a->flow_id != b->flow_id)
        return a->flow_id < b->flow_id ? -1 : 1;
    return 0;
}

/* qsort is not stable: sort (flow_id, arrival index) pairs instead */
struct keyed {
    struct ns_record r;
    size_t idx;
};

static int by_flow_idx(const void *x, const void *y)
{
    const struct keyed *a = x, *b = y;
    int c = by_flow(&a->r, &b->r);
    if (c)
        return c;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static struct keyed *sorted(const struct collector *c)
{
    struct keyed *k = calloc(c->n ? c->n : 1, sizeof *k);
    for (size_t i = 0; i < c->n; i++) {
        k[i].r = c->r[i];
        k[i].idx = i;
    }
    qsort(k, c->n, sizeof *k, by_flow_idx);
    return k;
}

static void run_one(uint64_t seed, int npkts, struct ns_meter_config *cfg)
{
    struct collector real, naive = {0};
    struct ns_meter *m = mk_meter(cfg, &real);
    assert_non_null(m);
    static struct ref r;
    memset(&r, 0, sizeof r);
    r.cfg = *cfg;
    r.next_id = 1;
    r.out = &naive;
    ns_rng_seed(&r.rng, cfg->fsel_seed);
    rng = seed * 0x9e3779b97f4a7c15ULL + 1;
    uint64_t t = T0;
    uint64_t ip_pkts = 0;
    for (int i = 0; i < npkts; i++) {
        struct ns_pkt p = random_packet(&t, i);
        ip_pkts += (p.flags & NS_PKT_F_IP) != 0;
        struct ns_error e = {0};
        assert_int_equal(ns_meter_packet(m, &p, &e), 0);
        r_packet(&r, &p);
    }
    FLUSH(m);
    r_flush(&r);
    struct ns_meter_stats st;
    ns_meter_get_stats(m, &st);
    assert_int_equal(st.flows_active, 0);
    if (real.n != naive.n && getenv("NS_SELFTEST_DEBUG")) {
        struct keyed *x = sorted(&real), *y = sorted(&naive);
        for (size_t i = 0; i < real.n && i < naive.n; i++)
            fprintf(stderr, "%zu: %llu r%u p%llu | %llu r%u p%llu\n", i,
                    (unsigned long long)x[i].r.flow_id, x[i].r.end_reason,
                    (unsigned long long)(x[i].r.dir[0].pkts + x[i].r.dir[1].pkts),
                    (unsigned long long)y[i].r.flow_id, y[i].r.end_reason,
                    (unsigned long long)(y[i].r.dir[0].pkts + y[i].r.dir[1].pkts));
        free(x);
        free(y);
    }
    if (real.n != naive.n)
        fail_msg("seed %llu: %zu records vs %zu in the reference", (unsigned long long)seed, real.n,
                 naive.n);
    struct keyed *a = sorted(&real), *b = sorted(&naive);
    for (size_t i = 0; i < real.n; i++)
        if (memcmp(&a[i].r, &b[i].r, sizeof a[i].r) != 0)
            fail_msg("seed %llu: record %zu (flow %llu, reason %u/%u, pkts %llu/%llu) differs",
                     (unsigned long long)seed, i, (unsigned long long)a[i].r.flow_id,
                     a[i].r.end_reason, b[i].r.end_reason,
                     (unsigned long long)(a[i].r.dir[0].pkts + a[i].r.dir[1].pkts),
                     (unsigned long long)(b[i].r.dir[0].pkts + b[i].r.dir[1].pkts));
    /* the counters of what was left out, exactly as the reference counts */
    const struct ns_meter_fsel *a_ = &st.fs, *b_ = &r.fs;
#define SAME(f)                                                                                    \
    if (a_->f != b_->f)                                                                            \
    fail_msg("seed %llu: " #f " %llu, reference %llu", (unsigned long long)seed,                   \
             (unsigned long long)a_->f, (unsigned long long)b_->f)
    SAME(ign_pkts);
    SAME(ign_octets);
    SAME(ign_first_ns);
    SAME(ign_last_ns);
    SAME(ev_flows);
    SAME(ev_pkts);
    SAME(ev_octets);
    SAME(ev_first_ns);
    SAME(ev_last_ns);
    SAME(ev_first_event_ns);
    SAME(ev_last_event_ns);
    SAME(out_records);
    SAME(out_flows);
    SAME(out_pkts);
    SAME(out_octets);
#undef SAME
    /* conservation: every IP packet is in exactly one record or left out */
    assert_int_equal(sum_pkts(&real) + st.fs.ign_pkts + st.fs.ev_pkts, ip_pkts);
    assert_int_equal(st.packets - st.non_ip, ip_pkts);
    assert_int_equal(st.fs.out_octets + st.fs.ign_octets + st.fs.ev_octets, st.fs.obs_octets);
    assert_int_equal(st.flows_created, st.fs.out_flows + st.fs.ev_flows);
    free(a);
    free(b);
    ns_meter_destroy(m);
    collector_free(&real);
    collector_free(&naive);
}

static void random_streams_match_reference(void **state)
{
    struct ns_meter_config cfg;
    ns_meter_config_default(&cfg);
    cfg.idle_ns = 5 * SEC;
    cfg.tcp_idle_ns = 8 * SEC;
    cfg.status_ns = 2 * SEC;
    cfg.tcp_linger_ns = 1 * SEC;
    cfg.frag_ns = 3 * SEC;
    uint64_t first =
        getenv("NS_SELFTEST_SEED") ? strtoull(getenv("NS_SELFTEST_SEED"), NULL, 10) : 1;
    for (uint64_t seed = first; seed <= 300; seed++) {
        cfg.max_flows = 2 + (uint32_t)(seed % 12);
        cfg.max_tcp = 1 + (uint32_t)(seed % 5);
        cfg.max_seq = 1 + (uint32_t)(seed % 3);
        cfg.max_frags = 1 + (uint32_t)(seed % 4);
        if (cfg.max_tcp > cfg.max_flows)
            cfg.max_tcp = cfg.max_flows;
        if (cfg.max_seq > cfg.max_flows)
            cfg.max_seq = cfg.max_flows;
        cfg.status_ns = seed % 7 == 0 ? 0 : 2 * SEC;
        cfg.hash_seed = seed;
        run_one(seed, 400, &cfg);
    }
}

static void large_cache_matches_reference(void **state)
{
    struct ns_meter_config cfg;
    ns_meter_config_default(&cfg);
    cfg.max_flows = RMAX;
    cfg.max_tcp = RMAX;
    cfg.max_seq = RMAX / 4;
    cfg.max_frags = 8;
    for (uint64_t seed = 1000; seed < 1020; seed++)
        run_one(seed, 3000, &cfg);
}

/* Every flow selection policy, small caches, random streams. */
static void policies_match_reference(void **state)
{
    struct ns_meter_config cfg;
    uint64_t seeds = 0, left_out = 0;
    for (uint64_t seed = 2000; seed < 2000 + 6 * 60; seed++) {
        ns_meter_config_default(&cfg);
        cfg.idle_ns = 5 * SEC;
        cfg.tcp_idle_ns = 8 * SEC;
        cfg.status_ns = seed % 5 == 0 ? 0 : 2 * SEC;
        cfg.tcp_linger_ns = 1 * SEC;
        cfg.frag_ns = 3 * SEC;
        cfg.max_flows = 2 + (uint32_t)(seed % 10);
        cfg.max_tcp = seed % 3 ? cfg.max_flows : 1 + (uint32_t)(seed % cfg.max_flows);
        cfg.max_seq = 1 + (uint32_t)(seed % 3);
        cfg.max_frags = 1 + (uint32_t)(seed % 4);
        cfg.hash_seed = seed;
        cfg.fsel_seed = seed * 7;
        cfg.cache_policy = (uint8_t)(seed % NS_CACHE__COUNT);
        cfg.sh_octets = 300 + (double)(seed % 700);
        if (seed % 4 == 1) {
            cfg.ms_stages = 1 + (uint32_t)(seed % 4);
            cfg.ms_buckets = 1 + (uint32_t)(seed % 64);
            cfg.ms_threshold = 100 + 50 * (seed % 20);
            cfg.ms_interval_ns = seed % 8 == 1 ? 4 * SEC : 0;
        }
        if (cfg.max_seq > cfg.max_flows)
            cfg.max_seq = cfg.max_flows;
        run_one(seed, 500, &cfg);
        seeds++;
        left_out += cfg.cache_policy != NS_CACHE_EXPORT;
    }
    assert_true(seeds == 360 && left_out > 250);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_streams_match_reference),
        cmocka_unit_test(large_cache_matches_reference),
        cmocka_unit_test(policies_match_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
