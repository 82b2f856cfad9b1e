/*
 * ns_record_merge (record/merge.h) against a naive reference, WireGuard
 * style: the reference is the general merge the one-pass merge replaced
 * (each group on its own, asking per group and per direction which side
 * has what); both get the same random records and must leave the same
 * bytes, over every combination of present groups on
 * either side and over chains of merges (an aggregate that keeps growing,
 * its key turning into wildcards, groups dropping out).  Values come from
 * small pools so that equal and different keys, MACs, flowIds, first-packet
 * times (ties included) and missing directions all occur.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "record/merge.h"

#include <math.h>

/* ---- the reference ---- */

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
        {
            double na = (double)a->jit_n, nb = (double)b->jit_n, n = na + nb;
            double mean = (na * a->jit_mean_us + nb * b->jit_mean_us) / n;
            double ex2 =
                (na * (a->jit_stddev_us * a->jit_stddev_us + a->jit_mean_us * a->jit_mean_us) +
                 nb * (b->jit_stddev_us * b->jit_stddev_us + b->jit_mean_us * b->jit_mean_us)) /
                n;
            double var = ex2 - mean * mean;
            a->jit_n += b->jit_n;
            a->jit_mean_us = mean;
            a->jit_stddev_us = var > 0 ? sqrt(var) : 0;
        }
    }
}

/* Zero the groups in `gone`, so an absent group reads as zeros. */
static void ref_zero_gone(struct ns_record *d, uint32_t gone)
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

static void ref_merge(struct ns_record *d, const struct ns_record *s)
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
    ref_zero_gone(d, (dp | sp) & ~out);
    d->present = out;
}

/* ---- random records ---- */

static unsigned rnd(unsigned n)
{
    return (unsigned)rand() % n;
}

/* A record with groups `present` filled at random; absent groups stay zero
 * (record.h), wildcarded key components too. */
static struct ns_record random_record(uint32_t present)
{
    static const uint8_t protos[] = {6, 17, 1, 58};
    static const uint64_t times[] = {0, 100, 200, 300};
    struct ns_record r;
    ns_record_clear(&r);
    r.present = present;
    r.flow_id = rnd(3);
    r.end_reason = (uint8_t)(1 + rnd(5));
    r.syn_seen = (uint8_t)rnd(2);
    if (present & NS_RG_KEY) {
        r.ip_version = rnd(3) ? 4 : 6;
        r.proto = protos[rnd(4)];
        if (r.proto == 1 || r.proto == 58) {
            r.icmp_type = (uint8_t)(rnd(2) ? 8 : 0);
            r.icmp_code = (uint8_t)rnd(2);
        } else {
            r.sport = (uint16_t)(1000 + rnd(2));
            r.dport = (uint16_t)(rnd(2) ? 80 : 443);
        }
        r.vlan = (uint16_t)(rnd(4) ? 0 : 10);
        r.saddr[0] = 10;
        r.saddr[3] = (uint8_t)rnd(2);
        r.daddr[0] = 192;
        r.daddr[15] = (uint8_t)rnd(2); /* beyond IPv4's 4 octets: must not count */
        if (r.ip_version == 4)
            r.daddr[15] = 0;
        if (!rnd(4)) {
            r.sprefix = 24;
            r.saddr[3] = 0;
        }
        if (!rnd(3)) {
            ns_record_wildcard(&r, (uint8_t)(rnd(NS_RK_ALL + 1)));
            if (r.key_wild == NS_RK_ALL) { /* no key left: no key group */
                r.key_wild = 0;
                r.present &= ~NS_RG_KEY;
            }
        }
    }
    if (present & NS_RG_LOSS)
        r.loss_source = (uint8_t)(1 + rnd(3));
    if (present & NS_RG_RTT) {
        r.synack_us = 10 * rnd(3);
        r.ackdat_us = 5 * rnd(2);
    }
    if (present & NS_RG_MAC) {
        r.smac[5] = (uint8_t)rnd(2);
        r.dmac[0] = (uint8_t)(2 + rnd(2));
    }
    if (present & NS_RG_AGG) {
        r.agg_records = 1 + rnd(4);
        r.agg_flows = rnd((unsigned)r.agg_records + 1);
    }
    if (present & NS_RG_SAMP)
        r.samp_frac = rnd(2) ? 0.5 : 0.01;
    for (int i = 0; i < 2; i++) {
        struct ns_record_dir *d = &r.dir[i];
        if (present & NS_RG_COUNT) {
            d->pkts = rnd(3);
            d->octets = d->pkts * (40 + rnd(1000));
            d->l2_octets = d->octets + 14 * d->pkts;
        }
        if (present & NS_RG_TIME) {
            d->first_ns = times[rnd(4)];
            d->last_ns = d->first_ns ? d->first_ns + rnd(300) : 0;
        }
        if (present & NS_RG_IP) {
            d->ttl_min = (uint8_t)(50 + rnd(20));
            d->ttl_max = (uint8_t)(d->ttl_min + rnd(5));
            d->tos = (uint8_t)rnd(4);
        }
        if (present & NS_RG_TCP) {
            d->tcp_flags = (uint8_t)rnd(64);
            d->tcp_init_flags = (uint8_t)rnd(64);
            d->tcp_wscale = rnd(2) ? 0xff : 7;
            d->tcp_mss = rnd(2) ? 0 : 1460;
            d->tcp_win_min = (uint16_t)rnd(1000);
            d->tcp_win_max = (uint16_t)(d->tcp_win_min + rnd(1000));
        }
        if (present & NS_RG_LOSS) {
            d->loss_pkts = (int64_t)rnd(5) - 2;
            d->gap_octets = (int64_t)rnd(3000) - 1000;
            d->retrans_pkts = rnd(3);
            d->retrans_octets = 100 * d->retrans_pkts;
            d->ooo_pkts = rnd(2);
            d->dup_pkts = rnd(2);
        }
        if (present & NS_RG_JIT) {
            d->jit_n = rnd(4);
            if (d->jit_n) {
                d->jit_mean_us = rnd(100000) / 7.0;
                d->jit_stddev_us = rnd(50000) / 3.0;
            }
        }
        if (present & NS_RG_ESP)
            d->esp_spi = 0x1000 + rnd(2);
    }
    return r;
}

/* Groups of a random record: each group half the time; sampling rarely. */
static uint32_t random_groups(void)
{
    uint32_t g = rnd(0x800); /* all groups below NS_RG_SAMP */
    if (!rnd(8))
        g |= NS_RG_SAMP;
    return g;
}

/* Merge s into d both ways and compare; d follows the reference.  Returns
 * 1 when d already had its aggregation group (a growing aggregate). */
static int check(struct ns_record *d, const struct ns_record *s)
{
    struct ns_record ref = *d, got = *d;
    int grown = (d->present & NS_RG_AGG) && !((d->present | s->present) & NS_RG_SAMP);
    ref_merge(&ref, s);
    ns_record_merge(&got, s);
    assert_memory_equal(&ref, &got, sizeof ref);
    *d = ref;
    return grown;
}

/* Every combination of groups on each side, against random partners. */
static void test_all_group_combinations(void **state)
{
    (void)state;
    srand(7);
    size_t fast = 0;
    for (int round = 0; round < 8; round++)
        for (uint32_t g = 0; g < 0x1000; g++) {
            struct ns_record d = random_record(g), s = random_record(random_groups());
            if (rnd(4))
                ns_record_agg_init(&d);
            fast += (size_t)check(&d, &s);
            d = random_record(random_groups());
            ns_record_agg_init(&d);
            s = random_record(g);
            fast += (size_t)check(&d, &s);
        }
    assert_true(fast > 20000); /* growing aggregates, not only first merges, were compared */
}

/* Aggregates that keep growing: many records into one entry, as
 * `aggregate -m proto` does, with records alike (one protocol's metered
 * groups) and with records of any groups. */
static void test_chains(void **state)
{
    (void)state;
    srand(11);
    static const uint32_t metered[] = {0x10f, 0x13f, 0x18f, 0x1af, 0x1ff, 0x3ff};
    size_t fast = 0;
    for (int chain = 0; chain < 2000; chain++) {
        int alike = chain % 2;
        uint32_t g = metered[rnd(6)];
        struct ns_record d = random_record(alike ? g : random_groups());
        ns_record_agg_init(&d);
        for (int k = 0; k < 40; k++) {
            struct ns_record s = random_record(alike ? g : random_groups());
            fast += (size_t)check(&d, &s);
        }
    }
    assert_true(fast > 40000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_group_combinations),
        cmocka_unit_test(test_chains),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
