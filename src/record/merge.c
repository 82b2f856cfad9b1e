/*
 * Merge rules per record group; see merge.h for the table and the why.
 *
 * One pass: the presence masks are read once, the per-direction questions
 * (which side saw packets, which first) are answered once for IP and TCP
 * together, one pass per direction does every group, and the zeroing of
 * dropped groups runs only when a group goes.  The general merge this
 * replaced asked each of those again per group and was ~400 instructions
 * a record of `aggregate -m proto`; tests/unit/test_merge_reference.c
 * keeps it as the reference and checks this one against it byte for byte
 * on random records over all group combinations.
 */
#include "record/merge.h"

#include <math.h>
#include <string.h>

void ns_record_wildcard(struct ns_record *d, uint8_t comp)
{
    d->key_wild |= comp;
    if (comp & NS_RK_IPVER)
        d->ip_version = 0;
    if (comp & NS_RK_PROTO)
        d->proto = 0;
    if (comp & NS_RK_SADDR) {
        memset(d->saddr, 0, sizeof d->saddr);
        d->sprefix = 0;
    }
    if (comp & NS_RK_DADDR) {
        memset(d->daddr, 0, sizeof d->daddr);
        d->dprefix = 0;
    }
    if (comp & NS_RK_SPORT) {
        d->sport = 0;
        d->icmp_type = 0;
    }
    if (comp & NS_RK_DPORT) {
        d->dport = 0;
        d->icmp_code = 0;
    }
    if (comp & NS_RK_VLAN)
        d->vlan = 0;
}

/* Helpers are forced inline: called once per direction, GCC kept them as
 * calls, and the calls and the facts passed through memory cost as much as
 * the rules on the aggregator's hot path (`aggregate -m proto` merges a
 * million records into a handful of entries). */
#define INLINE static inline __attribute__((always_inline))

/* KEY: components that differ become wildcards.  Only what d still keeps
 * is compared: a component d has made a wildcard stays one whatever s
 * holds (and the merge of a growing aggregate skips most compares). */
INLINE void key(struct ns_record *d, const struct ns_record *s)
{
    uint8_t keep = (uint8_t)~d->key_wild, w = s->key_wild;
    if ((keep & (NS_RK_IPVER | NS_RK_SADDR | NS_RK_DADDR)) && d->ip_version != s->ip_version)
        w |= NS_RK_IPVER | NS_RK_SADDR | NS_RK_DADDR;
    if ((keep & NS_RK_SADDR) &&
        (d->sprefix != s->sprefix || (d->ip_version == 6 ? memcmp(d->saddr, s->saddr, 16) != 0
                                                         : memcmp(d->saddr, s->saddr, 4) != 0)))
        w |= NS_RK_SADDR;
    if ((keep & NS_RK_DADDR) &&
        (d->dprefix != s->dprefix || (d->ip_version == 6 ? memcmp(d->daddr, s->daddr, 16) != 0
                                                         : memcmp(d->daddr, s->daddr, 4) != 0)))
        w |= NS_RK_DADDR;
    if ((keep & NS_RK_PROTO) && d->proto != s->proto)
        w |= NS_RK_PROTO;
    if ((keep & NS_RK_SPORT) && (d->sport != s->sport || d->icmp_type != s->icmp_type))
        w |= NS_RK_SPORT;
    if ((keep & NS_RK_DPORT) && (d->dport != s->dport || d->icmp_code != s->icmp_code))
        w |= NS_RK_DPORT;
    if ((keep & NS_RK_VLAN) && d->vlan != s->vlan)
        w |= NS_RK_VLAN;
    w &= keep;
    if (w)
        ns_record_wildcard(d, w);
}

/* The earlier of two first-packet times, 0 meaning "none": b - 1 < a - 1
 * is "b && (!a || b < a)" (0 - 1 is the largest value). */
INLINE int earlier_ns(uint64_t b, uint64_t a)
{
    return b - 1 < a - 1;
}

/* IP, one direction that s saw packets in: d_pkts, whether d did (no
 * counters: assume so); s_first, whether s's first packet came first. */
INLINE void ip(struct ns_record_dir *a, const struct ns_record_dir *b, int d_pkts, int s_first)
{
    if (!d_pkts) {
        a->ttl_min = b->ttl_min;
        a->ttl_max = b->ttl_max;
        a->tos = b->tos;
        return;
    }
    a->ttl_min = b->ttl_min < a->ttl_min ? b->ttl_min : a->ttl_min;
    a->ttl_max = b->ttl_max > a->ttl_max ? b->ttl_max : a->ttl_max;
    a->tos = s_first ? b->tos : a->tos;
}

/* TCP, one direction, as IP.  Options come from a SYN: take the earlier
 * record's, or the other's when the earlier saw none. */
INLINE void tcp(struct ns_record_dir *a, const struct ns_record_dir *b, int d_pkts, int first)
{
    a->tcp_flags |= b->tcp_flags;
    if (!d_pkts) {
        a->tcp_init_flags = b->tcp_init_flags;
        a->tcp_mss = b->tcp_mss;
        a->tcp_wscale = b->tcp_wscale;
        a->tcp_win_min = b->tcp_win_min;
        a->tcp_win_max = b->tcp_win_max;
        return;
    }
    if (first)
        a->tcp_init_flags = b->tcp_init_flags;
    if ((first && b->tcp_mss) || !a->tcp_mss)
        a->tcp_mss = b->tcp_mss;
    if ((first && b->tcp_wscale != 0xff) || a->tcp_wscale == 0xff)
        a->tcp_wscale = b->tcp_wscale;
    a->tcp_win_min = b->tcp_win_min < a->tcp_win_min ? b->tcp_win_min : a->tcp_win_min;
    a->tcp_win_max = b->tcp_win_max > a->tcp_win_max ? b->tcp_win_max : a->tcp_win_max;
}

/* Pooling two sides' inter-arrival statistics: each side is n samples
 * with mean μ and population standard deviation σ; E[x²] of each is
 * σ² + μ², so the pooled variance is the count-weighted E[x²] less the
 * pooled mean's square (population variance, as the meter reports).
 * Averaging the two σ instead would be wrong whenever the means differ.
 * Both sides hold samples (n > 0). */
INLINE void jit_pool(struct ns_record_dir *a, const struct ns_record_dir *b)
{
    double na = (double)a->jit_n, nb = (double)b->jit_n, n = na + nb;
    double mean = (na * a->jit_mean_us + nb * b->jit_mean_us) / n;
    double ex2 = (na * (a->jit_stddev_us * a->jit_stddev_us + a->jit_mean_us * a->jit_mean_us) +
                  nb * (b->jit_stddev_us * b->jit_stddev_us + b->jit_mean_us * b->jit_mean_us)) /
                 n;
    double var = ex2 - mean * mean;
    a->jit_n += b->jit_n;
    a->jit_mean_us = mean;
    a->jit_stddev_us = var > 0 ? sqrt(var) : 0;
}

/* JIT, one direction. */
INLINE void jit(struct ns_record_dir *a, const struct ns_record_dir *b, int d_jit)
{
    if (!b->jit_n)
        return;
    if (!d_jit || !a->jit_n) {
        a->jit_n = b->jit_n;
        a->jit_mean_us = b->jit_mean_us;
        a->jit_stddev_us = b->jit_stddev_us;
        return;
    }
    jit_pool(a, b);
}

/* Everything of one direction.  IP and TCP ask which side saw packets and
 * which first before the counters and times of d change. */
INLINE void dir(struct ns_record_dir *a, const struct ns_record_dir *b, uint32_t dp, uint32_t sp)
{
    uint32_t both = dp & sp;
    int s_pkts = (sp & NS_RG_COUNT) ? b->pkts != 0 : 1; /* no counters: assume some */
    if ((both & (NS_RG_IP | NS_RG_TCP)) && s_pkts) {
        int d_pkts = (dp & NS_RG_COUNT) ? a->pkts != 0 : 1;
        int s_first = (both & NS_RG_TIME) && earlier_ns(b->first_ns, a->first_ns);
        if (both & NS_RG_IP)
            ip(a, b, d_pkts, s_first);
        if (both & NS_RG_TCP)
            tcp(a, b, d_pkts, s_first);
    }
    if (sp & NS_RG_LOSS) {
        a->loss_pkts += b->loss_pkts;
        a->gap_octets += b->gap_octets;
        a->retrans_pkts += b->retrans_pkts;
        a->retrans_octets += b->retrans_octets;
        a->ooo_pkts += b->ooo_pkts;
        a->dup_pkts += b->dup_pkts;
    }
    if (sp & NS_RG_JIT)
        jit(a, b, (dp & NS_RG_JIT) != 0);
    if (sp & NS_RG_COUNT) {
        a->pkts += b->pkts;
        a->octets += b->octets;
        a->l2_octets += b->l2_octets;
    }
    if (sp & NS_RG_TIME) {
        a->first_ns = earlier_ns(b->first_ns, a->first_ns) ? b->first_ns : a->first_ns;
        a->last_ns = b->last_ns > a->last_ns ? b->last_ns : a->last_ns;
    }
}

/* RTT: one handshake per flow (the first record that has it), else the
 * minimum synack + ackdat. */
INLINE void rtt(struct ns_record *d, const struct ns_record *s, int dh, int same_flow)
{
    uint64_t dt = (uint64_t)d->synack_us + d->ackdat_us, st = (uint64_t)s->synack_us + s->ackdat_us;
    int take;
    if (!dh || !dt)
        take = 1;
    else if (same_flow)
        take = 0;
    else
        take = st && st < dt;
    if (take) {
        d->synack_us = s->synack_us;
        d->ackdat_us = s->ackdat_us;
    }
}

void ns_record_agg_init(struct ns_record *r)
{
    if (r->present & NS_RG_AGG)
        return;
    r->present |= NS_RG_AGG;
    r->agg_records = 1;
    r->agg_flows = r->end_reason != NS_END_ACTIVE;
}

/* Zero the groups in `gone` (present before, dropped by the merge), so an
 * absent group reads as zeros (record.h). */
static void zero_gone(struct ns_record *d, uint32_t gone)
{
    if (gone & NS_RG_KEY) {
        ns_record_wildcard(d, NS_RK_ALL);
        d->key_wild = 0;
    }
    if (gone & NS_RG_RTT)
        d->synack_us = d->ackdat_us = 0;
    if (gone & NS_RG_MAC) {
        memset(d->smac, 0, 6);
        memset(d->dmac, 0, 6);
    }
    for (int i = 0; i < 2; i++) {
        struct ns_record_dir *a = &d->dir[i];
        if (gone & NS_RG_IP)
            a->ttl_min = a->ttl_max = a->tos = 0;
        if (gone & NS_RG_TCP) {
            a->tcp_flags = a->tcp_init_flags = 0;
            a->tcp_wscale = 0;
            a->tcp_mss = a->tcp_win_min = a->tcp_win_max = 0;
        }
        if (gone & NS_RG_ESP)
            a->esp_spi = 0;
    }
}

void ns_record_merge(struct ns_record *d, const struct ns_record *s)
{
    ns_record_agg_init(d); /* before end_reason changes: d's own flow count */
    uint32_t dp = d->present, sp = s->present, both = dp & sp;
    int same_flow = d->flow_id && d->flow_id == s->flow_id;
    uint32_t out = NS_RG_AGG | ((dp | sp) & (NS_RG_COUNT | NS_RG_TIME | NS_RG_LOSS | NS_RG_JIT));

    if (ns_record_end_ns(s) > ns_record_end_ns(d) ||
        (!(dp & NS_RG_TIME) && d->end_reason == NS_END_ACTIVE))
        d->end_reason = s->end_reason;
    if (!same_flow)
        d->flow_id = 0;
    d->syn_seen = d->syn_seen && s->syn_seen;

    if (both & NS_RG_KEY) {
        key(d, s);
        if (d->key_wild != NS_RK_ALL)
            out |= NS_RG_KEY;
    }
    out |= both & (NS_RG_IP | NS_RG_TCP);
    if ((both & NS_RG_TCP) && ((dp | sp) & NS_RG_RTT)) {
        if (sp & NS_RG_RTT)
            rtt(d, s, (dp & NS_RG_RTT) != 0, same_flow);
        out |= NS_RG_RTT;
    }
    if ((both & NS_RG_MAC) && !memcmp(d->smac, s->smac, 6) && !memcmp(d->dmac, s->dmac, 6))
        out |= NS_RG_MAC;
    if ((both & NS_RG_ESP) && d->dir[0].esp_spi == s->dir[0].esp_spi &&
        d->dir[1].esp_spi == s->dir[1].esp_spi)
        out |= NS_RG_ESP;

    if (sp & NS_RG_LOSS) {
        if (!(dp & NS_RG_LOSS))
            d->loss_source = s->loss_source;
        else if (d->loss_source != s->loss_source)
            d->loss_source = NS_LOSS_MIXED;
    }
    /* each direction's rules read and write only that direction; IP and
     * TCP decide which side saw packets before the counters change */
    dir(&d->dir[0], &s->dir[0], dp, sp);
    dir(&d->dir[1], &s->dir[1], dp, sp);

    if (sp & NS_RG_AGG) {
        d->agg_records += s->agg_records;
        d->agg_flows += s->agg_flows;
    } else {
        d->agg_records += 1;
        d->agg_flows += s->end_reason != NS_END_ACTIVE;
    }
    if ((dp | sp) & NS_RG_SAMP) {
        /* An unsampled record counts as sampled at 1; different rates make
         * a mixed aggregate (0), which estimation cannot scale. */
        double a = (dp & NS_RG_SAMP) ? d->samp_frac : 1, b = (sp & NS_RG_SAMP) ? s->samp_frac : 1;
        d->samp_frac = a == b ? a : 0;
        d->samp_n = d->samp_space = d->samp_pop = 0;
        out |= NS_RG_SAMP;
    }
    uint32_t gone = (dp | sp) & ~out; /* zero what was dropped (record.h) */
    if (gone)
        zero_gone(d, gone);
    d->present = out;
}
