/*
 * ns_record_merge_fast (merge.h): ns_record_merge's rules with the
 * aggregator's hot path in mind.
 *
 * `aggregate -m proto` merges about a million records into a handful of
 * entries, and the general merge cost ~400 instructions a record there,
 * half of the aggregating thread.  Most of that was control, not rules:
 * each group asked again which side has which group, IP and TCP each
 * worked out per direction which side saw packets and which saw them
 * first, the key compared addresses the entry had long made wildcards,
 * and the groups to zero were walked when none was dropped.  Here the
 * presence masks are read once, the per-direction questions are answered
 * once for IP and TCP together, one pass per direction does every group
 * (each direction's rules read and write only that direction),
 * key components that are already wildcards in `d` are not compared (the
 * general merge masks their result away), and the zeroing runs only when
 * a group goes.
 *
 * Every rule is the one of merge.c, computed with the same operations in
 * the same order (the pooled jitter is floating point: the order is part
 * of the result).  What this file does not speed up it hands to
 * ns_record_merge: a destination without the aggregation group (its first
 * merge) and sampled records.  tests/unit/test_merge_fast.c checks the two
 * byte for byte on random records over all group combinations.
 */
#include "record/merge.h"

#include "record/jit_pool.h"

#include <math.h>
#include <string.h>

/* Helpers are forced inline: called once per direction, GCC kept them as
 * calls, and the calls and the facts passed through memory cost as much as
 * the rules. */
#define INLINE static inline __attribute__((always_inline))

/* merge.c merge_key, comparing only what d still keeps. */
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

/* merge.c merge_ip, one direction: d_pkts, s_pkts and s_first are
 * merge.c's dir_pkts(d), dir_pkts(s) and earlier(). */
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

/* merge.c merge_tcp, one direction. */
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

/* merge.c merge_jit, one direction: the same operations in the same order. */
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
    ns_record_jit_pool(a, b);
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

/* merge.c merge_rtt. */
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

void ns_record_merge_fast(struct ns_record *d, const struct ns_record *s)
{
    uint32_t dp = d->present, sp = s->present, both = dp & sp;
    if (!(dp & NS_RG_AGG) || ((dp | sp) & NS_RG_SAMP)) {
        ns_record_merge(d, s);
        return;
    }
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
    dir(&d->dir[0], &s->dir[0], dp, sp);
    dir(&d->dir[1], &s->dir[1], dp, sp);

    if (sp & NS_RG_AGG) {
        d->agg_records += s->agg_records;
        d->agg_flows += s->agg_flows;
    } else {
        d->agg_records += 1;
        d->agg_flows += s->end_reason != NS_END_ACTIVE;
    }
    uint32_t gone = (dp | sp) & ~out;
    if (gone)
        ns_record_zero_gone(d, gone);
    d->present = out;
}
