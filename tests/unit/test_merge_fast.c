/*
 * ns_record_merge_fast against ns_record_merge (record/merge.h), WireGuard
 * style: the fast path and the reference get the same random records and
 * must leave the same bytes, over every combination of present groups on
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

/* Groups of a random record: each group half the time; sampling rarely, as
 * it takes the general path. */
static uint32_t random_groups(void)
{
    uint32_t g = rnd(0x800); /* all groups below NS_RG_SAMP */
    if (!rnd(8))
        g |= NS_RG_SAMP;
    return g;
}

/* Merge s into d both ways and compare; d follows the reference.  Returns
 * 1 when the fast path (not its fallback) was taken. */
static int check(struct ns_record *d, const struct ns_record *s)
{
    struct ns_record ref = *d, fast = *d;
    int took_fast = (d->present & NS_RG_AGG) && !((d->present | s->present) & NS_RG_SAMP);
    ns_record_merge(&ref, s);
    ns_record_merge_fast(&fast, s);
    assert_memory_equal(&ref, &fast, sizeof ref);
    *d = ref;
    return took_fast;
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
    assert_true(fast > 20000); /* the fast path, not only its fallback, was compared */
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
