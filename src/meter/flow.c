#include "meter/flow.h"

#include <math.h>
#include <string.h>

void ns_flow_init(struct ns_flow *f, struct ns_flow_ident *id, const struct ns_flow_key *k,
                  uint32_t hash, int init_side, uint64_t flow_id, uint64_t now)
{
    memset(f, 0, sizeof *f);
    memset(id, 0, sizeof *id);
    f->key = *k;
    f->hash = hash;
    f->hnext = f->sprev = f->snext = NS_FLOW_NIL;
    f->tcp = f->seq = NS_FLOW_NIL;
    id->flow_id = flow_id;
    f->touch_ns = now;
    f->init_side = (uint8_t)init_side;
    f->in_use = 1;
    for (int i = 0; i < 2; i++)
        f->d[i].ttl_min = 0xff;
}

int ns_flow_initiator(const struct ns_pkt *p, const struct ns_flow_key *k, int tcp_hdr,
                      int pkt_side, uint8_t *syn_seen)
{
    *syn_seen = 0;
    if (tcp_hdr && (p->tcp_flags & (NS_TCP_SYN | NS_TCP_ACK)) == NS_TCP_SYN) {
        *syn_seen = 1;
        return pkt_side;
    }
    if (ns_proto_is_icmp(k->ip_version, k->proto) && k->icmp_type != 0) {
        uint8_t req;
        int reply;
        /* key types are request types (0 = unknown ICMP, never a pair) */
        if (ns_icmp_pair(k->ip_version, k->icmp_type, &req, &reply))
            return 0; /* key side a is the requester */
    }
    return pkt_side;
}

static void span(struct ns_flow_dir *d, uint64_t first, uint64_t last)
{
    if (!d->first_ns || first < d->first_ns)
        d->first_ns = first;
    if (last > d->last_ns)
        d->last_ns = last;
}

void ns_flow_count(struct ns_flow *f, struct ns_flow_ident *id, int dir, const struct ns_pkt *p)
{
    struct ns_flow_dir *d = &f->d[dir];
    uint64_t ts = p->ts_ns;
    d->pkts++;
    d->octets += p->ip_len;
    d->l2_octets += p->wirelen;
    span(d, ts, ts);
    if (p->ttl < d->ttl_min)
        d->ttl_min = p->ttl;
    if (p->ttl > d->ttl_max)
        d->ttl_max = p->ttl;
    if (!d->seen) {
        d->tos = p->tos;
        if (dir == 0) {
            static const uint8_t zero[6];
            if (memcmp(p->src_mac, zero, 6) != 0 || memcmp(p->dst_mac, zero, 6) != 0) {
                memcpy(id->smac, p->src_mac, 6);
                memcpy(id->dmac, p->dst_mac, 6);
                f->has_mac = 1;
            }
        }
    } else {
        /* inter-arrival time, ns; sums around the period's first sample */
        int64_t x = ts > d->prev_ns ? (int64_t)(ts - d->prev_ns) : 0;
        if (!d->jit_n++)
            d->jit_shift = x;
        double dx = (double)(x - d->jit_shift);
        d->jit_sum += dx;
        d->jit_sumsq += dx * dx;
    }
    d->prev_ns = ts > d->prev_ns ? ts : d->prev_ns;
    d->seen = 1;
    f->activity = 1;
}

void ns_flow_add_bulk(struct ns_flow *f, int dir, const struct ns_flow_bulk *b)
{
    struct ns_flow_dir *d = &f->d[dir];
    if (!b->pkts)
        return;
    d->pkts += b->pkts;
    d->octets += b->octets;
    d->l2_octets += b->l2_octets;
    span(d, b->first_ns, b->last_ns);
    if (b->ttl_min < d->ttl_min)
        d->ttl_min = b->ttl_min;
    if (b->ttl_max > d->ttl_max)
        d->ttl_max = b->ttl_max;
    if (!d->seen) {
        d->tos = b->tos;
        d->seen = 1;
    }
    f->activity = 1;
}

void ns_flow_record(const struct ns_flow *f, const struct ns_flow_ident *id,
                    const struct ns_tcp_state *t, const struct ns_seq_state *s,
                    enum ns_end_reason reason, struct ns_record *r)
{
    memset(r, 0, sizeof *r);
    const struct ns_flow_key *k = &f->key;
    int ini = f->init_side;
    r->present = NS_RG_KEY | NS_RG_COUNT | NS_RG_TIME | NS_RG_IP;
    r->ip_version = k->ip_version;
    r->proto = k->proto;
    memcpy(r->saddr, ini ? k->b : k->a, 16);
    memcpy(r->daddr, ini ? k->a : k->b, 16);
    r->sport = ini ? k->bport : k->aport;
    r->dport = ini ? k->aport : k->bport;
    r->icmp_type = k->icmp_type;
    r->icmp_code = k->icmp_code;
    r->vlan = k->vlan;
    r->flow_id = id->flow_id;
    r->end_reason = (uint8_t)reason;
    r->syn_seen = f->syn_seen;
    int jit = 0;
    for (int i = 0; i < 2; i++) {
        const struct ns_flow_dir *d = &f->d[i];
        struct ns_record_dir *o = &r->dir[i];
        o->pkts = d->pkts;
        o->octets = d->octets;
        o->l2_octets = d->l2_octets;
        o->first_ns = d->first_ns;
        o->last_ns = d->last_ns;
        o->ttl_min = d->pkts ? d->ttl_min : 0;
        o->ttl_max = d->ttl_max;
        o->tos = d->tos;
        if (d->jit_n) {
            jit = 1;
            o->jit_n = d->jit_n;
            double m = d->jit_sum / d->jit_n, var = d->jit_sumsq / d->jit_n - m * m;
            o->jit_mean_us = ((double)d->jit_shift + m) / 1000.0;
            o->jit_stddev_us = var > 0 ? sqrt(var) / 1000.0 : 0.0; /* population */
        }
    }
    if (jit)
        r->present |= NS_RG_JIT;
    if (f->has_mac) {
        r->present |= NS_RG_MAC;
        memcpy(r->smac, id->smac, 6);
        memcpy(r->dmac, id->dmac, 6);
    }
    if (t)
        ns_tcp_fill(t, r);
    if (s)
        ns_seq_fill(s, r);
}

void ns_flow_reset_deltas(struct ns_flow *f, struct ns_tcp_state *t, struct ns_seq_state *s)
{
    for (int i = 0; i < 2; i++) {
        struct ns_flow_dir *d = &f->d[i];
        d->pkts = d->octets = d->l2_octets = 0;
        d->first_ns = d->last_ns = 0;
        d->jit_sum = d->jit_sumsq = 0;
        d->jit_shift = 0;
        d->jit_n = 0;
        d->ttl_min = 0xff;
        d->ttl_max = 0;
    }
    f->activity = 0;
    if (t)
        ns_tcp_reset_deltas(t);
    if (s)
        ns_seq_reset_deltas(s);
}
