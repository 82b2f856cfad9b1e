/* Merge rules per record group; see merge.h for the table and the why. */
#include "record/merge.h"

#include "record/jit_pool.h"

#include <math.h>
#include <string.h>

static int both(const struct ns_record *a, const struct ns_record *b, uint32_t g)
{
    return (a->present & g) && (b->present & g);
}

/* Equal addresses of r's family.  Two fixed-size compares rather than one
 * of variable size: the compiler makes each a load and a compare instead
 * of a library call (once per merged record, twice). */
static int addr_eq(const struct ns_record *r, const uint8_t *a, const uint8_t *b)
{
    return r->ip_version == 6 ? !memcmp(a, b, 16) : !memcmp(a, b, 4);
}

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

static void merge_key(struct ns_record *d, const struct ns_record *s)
{
    uint8_t w = s->key_wild;
    if (d->ip_version != s->ip_version)
        w |= NS_RK_IPVER | NS_RK_SADDR | NS_RK_DADDR;
    if (d->sprefix != s->sprefix || !addr_eq(d, d->saddr, s->saddr))
        w |= NS_RK_SADDR;
    if (d->dprefix != s->dprefix || !addr_eq(d, d->daddr, s->daddr))
        w |= NS_RK_DADDR;
    if (d->proto != s->proto)
        w |= NS_RK_PROTO;
    if (d->sport != s->sport || d->icmp_type != s->icmp_type)
        w |= NS_RK_SPORT;
    if (d->dport != s->dport || d->icmp_code != s->icmp_code)
        w |= NS_RK_DPORT;
    if (d->vlan != s->vlan)
        w |= NS_RK_VLAN;
    w &= (uint8_t)~d->key_wild;
    if (w)
        ns_record_wildcard(d, w);
}

/* Does direction `i` of s start before that of d?  Decides the values "of
 * the first packet". */
static int earlier(const struct ns_record *d, const struct ns_record *s, int i)
{
    uint64_t a = d->dir[i].first_ns, b = s->dir[i].first_ns;
    if (!(s->present & NS_RG_TIME) || !(d->present & NS_RG_TIME))
        return 0;
    return b && (!a || b < a);
}

static uint64_t dir_pkts(const struct ns_record *r, int i)
{
    return (r->present & NS_RG_COUNT) ? r->dir[i].pkts : 1; /* unknown: assume some */
}

static void merge_ip(struct ns_record *d, const struct ns_record *s)
{
    for (int i = 0; i < 2; i++) {
        struct ns_record_dir *a = &d->dir[i];
        const struct ns_record_dir *b = &s->dir[i];
        if (!dir_pkts(s, i))
            continue;
        if (!dir_pkts(d, i)) {
            a->ttl_min = b->ttl_min;
            a->ttl_max = b->ttl_max;
            a->tos = b->tos;
            continue;
        }
        if (b->ttl_min < a->ttl_min)
            a->ttl_min = b->ttl_min;
        if (b->ttl_max > a->ttl_max)
            a->ttl_max = b->ttl_max;
        if (earlier(d, s, i))
            a->tos = b->tos;
    }
}

static void merge_tcp(struct ns_record *d, const struct ns_record *s)
{
    for (int i = 0; i < 2; i++) {
        struct ns_record_dir *a = &d->dir[i];
        const struct ns_record_dir *b = &s->dir[i];
        if (!dir_pkts(s, i))
            continue;
        a->tcp_flags |= b->tcp_flags;
        if (!dir_pkts(d, i)) {
            a->tcp_init_flags = b->tcp_init_flags;
            a->tcp_mss = b->tcp_mss;
            a->tcp_wscale = b->tcp_wscale;
            a->tcp_win_min = b->tcp_win_min;
            a->tcp_win_max = b->tcp_win_max;
            continue;
        }
        int first = earlier(d, s, i);
        if (first)
            a->tcp_init_flags = b->tcp_init_flags;
        /* Options come from a SYN: take the earlier record's, or the
         * other's when the earlier saw none. */
        if ((first && b->tcp_mss) || !a->tcp_mss)
            a->tcp_mss = b->tcp_mss;
        if ((first && b->tcp_wscale != 0xff) || a->tcp_wscale == 0xff)
            a->tcp_wscale = b->tcp_wscale;
        if (b->tcp_win_min < a->tcp_win_min)
            a->tcp_win_min = b->tcp_win_min;
        if (b->tcp_win_max > a->tcp_win_max)
            a->tcp_win_max = b->tcp_win_max;
    }
}

/* An absent group is all zeros (record.h), so adding works whether or
 * not d had loss; only the source needs the presence. */
static void merge_loss(struct ns_record *d, const struct ns_record *s)
{
    if (!(d->present & NS_RG_LOSS))
        d->loss_source = s->loss_source;
    else if (d->loss_source != s->loss_source)
        d->loss_source = NS_LOSS_MIXED;
    for (int i = 0; i < 2; i++) {
        struct ns_record_dir *a = &d->dir[i];
        const struct ns_record_dir *b = &s->dir[i];
        a->loss_pkts += b->loss_pkts;
        a->gap_octets += b->gap_octets;
        a->retrans_pkts += b->retrans_pkts;
        a->retrans_octets += b->retrans_octets;
        a->ooo_pkts += b->ooo_pkts;
        a->dup_pkts += b->dup_pkts;
    }
}

static void merge_rtt(struct ns_record *d, const struct ns_record *s, int same_flow)
{
    int dh = (d->present & NS_RG_RTT) != 0, sh = (s->present & NS_RG_RTT) != 0;
    if (!sh)
        return;
    uint64_t dt = (uint64_t)d->synack_us + d->ackdat_us, st = (uint64_t)s->synack_us + s->ackdat_us;
    int take;
    if (!dh || !dt)
        take = 1;
    else if (same_flow)
        take = 0; /* one handshake per flow: the first record that has it */
    else
        take = st && st < dt;
    if (take) {
        d->synack_us = s->synack_us;
        d->ackdat_us = s->ackdat_us;
    }
}

static void merge_jit(struct ns_record *d, const struct ns_record *s)
{
    for (int i = 0; i < 2; i++) {
        struct ns_record_dir *a = &d->dir[i];
        const struct ns_record_dir *b = &s->dir[i];
        if (!(s->present & NS_RG_JIT) || !b->jit_n)
            continue;
        if (!(d->present & NS_RG_JIT) || !a->jit_n) {
            a->jit_n = b->jit_n;
            a->jit_mean_us = b->jit_mean_us;
            a->jit_stddev_us = b->jit_stddev_us;
            continue;
        }
        ns_record_jit_pool(a, b);
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
 * absent group reads as zeros (record.h).  Shared with merge_fast.c. */
void ns_record_zero_gone(struct ns_record *d, uint32_t gone)
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
    uint32_t dp = d->present, sp = s->present;
    int same_flow = d->flow_id && d->flow_id == s->flow_id;
    uint32_t out = 0;

    /* Always-present fields. */
    if (ns_record_end_ns(s) > ns_record_end_ns(d) ||
        (!(dp & NS_RG_TIME) && d->end_reason == NS_END_ACTIVE))
        d->end_reason = s->end_reason;
    if (!same_flow)
        d->flow_id = 0;
    d->syn_seen = d->syn_seen && s->syn_seen;

    /* Groups that keep only what both sides agree on. */
    if (both(d, s, NS_RG_KEY)) {
        merge_key(d, s);
        if (d->key_wild != NS_RK_ALL) /* all wildcards: no key at all */
            out |= NS_RG_KEY;
    }
    if (both(d, s, NS_RG_IP)) {
        merge_ip(d, s);
        out |= NS_RG_IP;
    }
    int all_tcp = both(d, s, NS_RG_TCP);
    if (all_tcp) {
        merge_tcp(d, s);
        out |= NS_RG_TCP;
    }
    if (all_tcp && ((dp | sp) & NS_RG_RTT)) {
        merge_rtt(d, s, same_flow);
        out |= NS_RG_RTT;
    }
    if (both(d, s, NS_RG_MAC) && !memcmp(d->smac, s->smac, 6) && !memcmp(d->dmac, s->dmac, 6))
        out |= NS_RG_MAC;
    if (both(d, s, NS_RG_ESP) && d->dir[0].esp_spi == s->dir[0].esp_spi &&
        d->dir[1].esp_spi == s->dir[1].esp_spi)
        out |= NS_RG_ESP;

    /* Groups that add: present when either side has them.  The order
     * matters: the per-direction packet counts must still be d's own while
     * IP and TCP above decide which side saw packets. */
    if (sp & NS_RG_LOSS)
        merge_loss(d, s);
    merge_jit(d, s);
    for (int i = 0; i < 2; i++) {
        struct ns_record_dir *a = &d->dir[i];
        const struct ns_record_dir *b = &s->dir[i];
        /* absent groups are zeros in d (record.h): plain adds and min/max */
        if (sp & NS_RG_COUNT) {
            a->pkts += b->pkts;
            a->octets += b->octets;
            a->l2_octets += b->l2_octets;
        }
        if (sp & NS_RG_TIME) {
            if (b->first_ns && (!a->first_ns || b->first_ns < a->first_ns))
                a->first_ns = b->first_ns;
            if (b->last_ns > a->last_ns)
                a->last_ns = b->last_ns;
        }
    }
    if (sp & NS_RG_AGG) {
        d->agg_records += s->agg_records;
        d->agg_flows += s->agg_flows;
    } else {
        d->agg_records += 1;
        d->agg_flows += s->end_reason != NS_END_ACTIVE;
    }
    out |= ((dp | sp) & (NS_RG_COUNT | NS_RG_TIME | NS_RG_LOSS | NS_RG_JIT)) | NS_RG_AGG;
    if ((dp | sp) & NS_RG_SAMP) {
        /* An unsampled record counts as sampled at 1; different rates make
         * a mixed aggregate (0), which estimation cannot scale. */
        double a = (dp & NS_RG_SAMP) ? d->samp_frac : 1, b = (sp & NS_RG_SAMP) ? s->samp_frac : 1;
        d->samp_frac = a == b ? a : 0;
        d->samp_n = d->samp_space = d->samp_pop = 0;
        out |= NS_RG_SAMP;
    }

    /* Zero what was dropped, so an absent group reads as zeros (record.h). */
    ns_record_zero_gone(d, (dp | sp) & ~out);
    d->present = out;
}
