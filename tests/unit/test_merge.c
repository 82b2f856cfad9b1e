/*
 * Merge rules (record/merge.h), one test per rule, plus the pooled-jitter
 * check against a naive computation over the raw samples.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "record/merge.h"

static struct ns_record mk(uint8_t proto, uint16_t sport, uint64_t t0, uint64_t t1)
{
    struct ns_record r;
    ns_record_clear(&r);
    r.present = NS_RG_KEY | NS_RG_COUNT | NS_RG_TIME | NS_RG_IP;
    r.ip_version = 4;
    r.proto = proto;
    r.sport = sport;
    r.dport = 80;
    memcpy(r.saddr, "\x0a\x00\x00\x01", 4);
    memcpy(r.daddr, "\xc0\x00\x02\x01", 4);
    r.dir[0].pkts = 10;
    r.dir[0].octets = 1000;
    r.dir[1].pkts = 5;
    r.dir[1].octets = 500;
    r.dir[0].first_ns = t0;
    r.dir[0].last_ns = t1;
    r.dir[1].first_ns = t0 + 1;
    r.dir[1].last_ns = t1 - 1;
    r.dir[0].ttl_min = r.dir[0].ttl_max = 64;
    r.dir[1].ttl_min = r.dir[1].ttl_max = 60;
    r.end_reason = NS_END_IDLE;
    r.flow_id = 1;
    return r;
}

static void add_tcp(struct ns_record *r, uint8_t init, int64_t loss)
{
    r->present |= NS_RG_TCP | NS_RG_LOSS;
    r->dir[0].tcp_flags = r->dir[0].tcp_init_flags = init;
    r->dir[0].tcp_wscale = r->dir[1].tcp_wscale = 0xff;
    r->dir[0].tcp_win_min = 100;
    r->dir[0].tcp_win_max = 200;
    r->loss_source = NS_LOSS_TCP;
    r->dir[0].loss_pkts = loss;
    r->dir[0].retrans_pkts = 2;
}

static void test_counters_times(void **state)
{
    struct ns_record a = mk(17, 1000, 100, 200), b = mk(17, 1000, 50, 150);
    b.dir[1].pkts = 0;
    b.dir[1].first_ns = b.dir[1].last_ns = 0;
    ns_record_merge(&a, &b);
    assert_int_equal(a.dir[0].pkts, 20);
    assert_int_equal(a.dir[1].pkts, 5);
    assert_int_equal(a.dir[0].octets, 2000);
    assert_int_equal(a.dir[0].first_ns, 50);
    assert_int_equal(a.dir[0].last_ns, 200);
    assert_int_equal(a.dir[1].first_ns, 101); /* b's direction had no packet */
    assert_int_equal(a.key_wild, 0);
    assert_int_equal(a.flow_id, 1);
    assert_true(a.present & NS_RG_AGG);
    assert_int_equal(a.agg_records, 2);
    assert_int_equal(a.agg_flows, 2);
}

static void test_key_wildcards(void **state)
{
    struct ns_record a = mk(17, 1000, 100, 200), b = mk(17, 2000, 100, 200);
    b.flow_id = 2;
    ns_record_merge(&a, &b);
    assert_int_equal(a.key_wild, NS_RK_SPORT);
    assert_int_equal(a.sport, 0);
    assert_int_equal(a.dport, 80);
    assert_int_equal(a.flow_id, 0);
    struct ns_record c = mk(6, 1000, 100, 200);
    c.ip_version = 6;
    ns_record_merge(&a, &c);
    assert_int_equal(a.key_wild,
                     NS_RK_SPORT | NS_RK_PROTO | NS_RK_IPVER | NS_RK_SADDR | NS_RK_DADDR);
    /* A wildcard stays one, whatever merges later. */
    struct ns_record d = mk(17, 0, 100, 200);
    ns_record_merge(&a, &d);
    assert_true(a.key_wild & NS_RK_SPORT);
}

/* The seed problem: loss in a record merged with one that lacks the loss
 * group (Argus dropped it), in both orders; negative corrections add. */
static void test_loss_never_lost(void **state)
{
    struct ns_record single = mk(6, 1000, 100, 100), lossy = mk(6, 1000, 100, 300);
    single.dir[0].pkts = 1;
    single.dir[1].pkts = 0;
    add_tcp(&lossy, 0x02, 7);
    lossy.present &= ~NS_RG_TCP; /* only LOSS differs */
    struct ns_record a = single, b = lossy;
    ns_record_merge(&a, &b);
    assert_true(a.present & NS_RG_LOSS);
    assert_int_equal(a.dir[0].loss_pkts, 7);
    assert_int_equal(a.dir[0].retrans_pkts, 2);
    assert_int_equal(a.dir[0].pkts, 11);
    a = lossy;
    b = single;
    ns_record_merge(&a, &b);
    assert_int_equal(a.dir[0].loss_pkts, 7);
    struct ns_record corr = lossy;
    corr.dir[0].loss_pkts = -3;
    ns_record_merge(&a, &corr);
    assert_int_equal(a.dir[0].loss_pkts, 4);
    assert_int_equal(a.dir[0].retrans_pkts, 4);
    assert_int_equal(a.loss_source, NS_LOSS_TCP);
    struct ns_record rtp = lossy;
    rtp.loss_source = NS_LOSS_RTP;
    ns_record_merge(&a, &rtp);
    assert_int_equal(a.loss_source, NS_LOSS_MIXED);
    assert_int_equal(a.dir[0].loss_pkts, 11);
}

/* TCP metrics merged with ICMP: the TCP and RTT groups go, counters and
 * times stay; TCP with TCP keeps them. */
static void test_tcp_vs_icmp(void **state)
{
    struct ns_record t = mk(6, 1000, 100, 200), t2 = mk(6, 1001, 90, 250), i = mk(1, 0, 50, 60);
    add_tcp(&t, 0x02, 1);
    add_tcp(&t2, 0x10, 0);
    t2.dir[0].tcp_flags = 0x11;
    t2.dir[0].tcp_win_min = 50;
    t.present |= NS_RG_RTT;
    t.synack_us = 300;
    t.ackdat_us = 20;
    t2.present |= NS_RG_RTT;
    t2.synack_us = 100;
    t2.ackdat_us = 10;
    t2.flow_id = 2;
    struct ns_record a = t;
    ns_record_merge(&a, &t2);
    assert_true(a.present & NS_RG_TCP);
    assert_int_equal(a.dir[0].tcp_flags, 0x13);
    assert_int_equal(a.dir[0].tcp_init_flags, 0x10); /* t2 started earlier */
    assert_int_equal(a.dir[0].tcp_win_min, 50);
    assert_int_equal(a.synack_us, 100); /* minimum RTT over flows */
    assert_int_equal(a.ackdat_us, 10);
    ns_record_merge(&a, &i);
    assert_false(a.present & NS_RG_TCP);
    assert_false(a.present & NS_RG_RTT);
    assert_int_equal(a.synack_us, 0);
    assert_int_equal(a.dir[0].tcp_flags, 0);
    assert_true(a.present & NS_RG_LOSS);
    assert_int_equal(a.dir[0].loss_pkts, 1);
    assert_int_equal(a.dir[0].pkts, 30);
    assert_int_equal(a.dir[0].first_ns, 50);
    assert_int_equal(a.dir[0].last_ns, 250);
    assert_true(a.key_wild & NS_RK_PROTO);
}

/* Status records of one flow: the handshake RTT of the first stays, flows
 * count once, the end reason is the final record's. */
static void test_status_records(void **state)
{
    struct ns_record s1 = mk(6, 1000, 100, 200), s2 = mk(6, 1000, 201, 300);
    add_tcp(&s1, 0x02, 3);
    add_tcp(&s2, 0x10, -3);
    s1.present |= NS_RG_RTT;
    s1.synack_us = 500;
    s1.ackdat_us = 5;
    s2.present |= NS_RG_RTT;
    s2.synack_us = 100; /* not a handshake of this flow: must not win */
    s2.ackdat_us = 1;
    s1.end_reason = NS_END_ACTIVE;
    s2.end_reason = NS_END_EOF;
    ns_record_merge(&s1, &s2);
    assert_int_equal(s1.synack_us, 500);
    assert_int_equal(s1.end_reason, NS_END_EOF);
    assert_int_equal(s1.agg_records, 2);
    assert_int_equal(s1.agg_flows, 1);
    assert_int_equal(s1.dir[0].loss_pkts, 0);
    assert_int_equal(s1.flow_id, 1);
}

/* Jitter: pool per-part (n, mean, population stddev) and compare with the
 * statistics of all samples at once. */
static void part_stats(const double *x, size_t n, struct ns_record *r)
{
    double m = 0, v = 0;
    for (size_t i = 0; i < n; i++)
        m += x[i];
    m /= (double)n;
    for (size_t i = 0; i < n; i++)
        v += (x[i] - m) * (x[i] - m);
    r->present |= NS_RG_JIT;
    r->dir[1].jit_n = n;
    r->dir[1].jit_mean_us = m;
    r->dir[1].jit_stddev_us = sqrt(v / (double)n);
}

static void test_jitter_pooled(void **state)
{
    srand(42);
    for (int round = 0; round < 200; round++) {
        double x[400];
        size_t n = 2 + (size_t)(rand() % 398);
        for (size_t i = 0; i < n; i++)
            x[i] = (rand() % 100000) / 7.0 + (round % 3) * 1000;
        struct ns_record all = mk(17, 1, 1, 2), acc = mk(17, 1, 1, 2);
        part_stats(x, n, &all);
        size_t at = 0;
        int first = 1;
        while (at < n) {
            size_t k = 1 + (size_t)(rand() % (int)(n - at));
            struct ns_record p = mk(17, 1, 1, 2);
            part_stats(x + at, k, &p);
            if (first)
                acc = p;
            else
                ns_record_merge(&acc, &p);
            first = 0;
            at += k;
        }
        assert_int_equal(acc.dir[1].jit_n, n);
        assert_true(fabs(acc.dir[1].jit_mean_us - all.dir[1].jit_mean_us) <
                    1e-9 * (1 + all.dir[1].jit_mean_us));
        assert_true(fabs(acc.dir[1].jit_stddev_us - all.dir[1].jit_stddev_us) <
                    1e-6 * (1 + all.dir[1].jit_stddev_us));
    }
    /* A record without samples leaves the statistics alone. */
    struct ns_record a = mk(17, 1, 1, 2), b = mk(17, 1, 1, 2);
    double x[3] = {1, 2, 3};
    part_stats(x, 3, &a);
    ns_record_merge(&a, &b);
    assert_int_equal(a.dir[1].jit_n, 3);
    assert_true(fabs(a.dir[1].jit_mean_us - 2) < 1e-12);
}

static void test_mac_esp_ip(void **state)
{
    struct ns_record a = mk(50, 0, 100, 200), b = mk(50, 0, 100, 200);
    a.present |= NS_RG_MAC | NS_RG_ESP;
    b.present |= NS_RG_MAC | NS_RG_ESP;
    memcpy(a.smac, "\x02\x00\x00\x00\x00\x01", 6);
    memcpy(b.smac, "\x02\x00\x00\x00\x00\x02", 6);
    a.dir[0].esp_spi = b.dir[0].esp_spi = 77;
    b.dir[0].ttl_min = 30;
    b.dir[1].ttl_max = 250;
    ns_record_merge(&a, &b);
    assert_false(a.present & NS_RG_MAC);
    assert_int_equal(a.smac[5], 0);
    assert_true(a.present & NS_RG_ESP);
    assert_int_equal(a.dir[0].esp_spi, 77);
    assert_int_equal(a.dir[0].ttl_min, 30);
    assert_int_equal(a.dir[0].ttl_max, 64);
    assert_int_equal(a.dir[1].ttl_max, 250);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counters_times),  cmocka_unit_test(test_key_wildcards),
        cmocka_unit_test(test_loss_never_lost), cmocka_unit_test(test_tcp_vs_icmp),
        cmocka_unit_test(test_status_records),  cmocka_unit_test(test_jitter_pooled),
        cmocka_unit_test(test_mac_esp_ip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
