/*
 * Time bins (analysis/bins.h): for random records and bin widths, the
 * pieces of a record sum exactly to it (packets, octets, loss with its
 * sign, retransmissions), each piece is within 1 of its exact proportional
 * share, pieces tile the record's span, and the binned totals equal the
 * input totals for any width and key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/bins.h"

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static struct ns_record random_record(uint64_t *s)
{
    struct ns_record r;
    ns_record_clear(&r);
    r.present = NS_RG_KEY | NS_RG_COUNT | NS_RG_TIME | NS_RG_LOSS;
    r.ip_version = 4;
    r.proto = (uint8_t)(rnd(s) % 2 ? 6 : 17);
    r.saddr[3] = (uint8_t)(rnd(s) % 4);
    r.end_reason = NS_END_IDLE;
    uint64_t t0 = 1700000000000000000ull + rnd(s) % 100000000000ull;
    uint64_t len = rnd(s) % 4 == 0 ? 0 : rnd(s) % 30000000000ull;
    for (int d = 0; d < 2; d++) {
        r.dir[d].pkts = rnd(s) % 3 == 0 ? rnd(s) % 5 : rnd(s) % 1000000;
        r.dir[d].octets = r.dir[d].pkts * (40 + rnd(s) % 1460);
        r.dir[d].loss_pkts = (int64_t)(rnd(s) % 200) - 100;
        r.dir[d].retrans_pkts = rnd(s) % 50;
        if (r.dir[d].pkts) {
            r.dir[d].first_ns = t0 + (d ? rnd(s) % (len + 1) : 0);
            r.dir[d].last_ns = d ? r.dir[d].first_ns : t0 + len;
        }
    }
    if (!r.dir[0].pkts) {
        r.dir[0].pkts = 1;
        r.dir[0].first_ns = t0;
        r.dir[0].last_ns = t0 + len;
    }
    return r;
}

struct pieces {
    struct ns_record p[4096];
    uint64_t bin[4096];
    size_t n;
};

static int collect(void *ctx, const struct ns_record *p, uint64_t bin, struct ns_error *err)
{
    struct pieces *c = ctx;
    assert_true(c->n < 4096);
    c->p[c->n] = *p;
    c->bin[c->n++] = bin;
    return 0;
}

static void test_split(void **state)
{
    uint64_t s = 88172645463325252ull;
    static const uint64_t widths[] = {1000000ull, 7000000ull, 1000000000ull, 60000000000ull,
                                      3600000000000ull};
    for (int i = 0; i < 3000; i++) {
        struct ns_record r = random_record(&s);
        uint64_t w = widths[i % 5];
        static struct pieces c;
        c.n = 0;
        struct ns_error err = {0};
        if ((ns_record_end_ns(&r) - ns_record_start_ns(&r)) / w > 4000)
            continue;
        assert_int_equal(ns_bins_split(&r, w, 0, collect, &c, &err), 0);
        uint64_t st = ns_record_start_ns(&r), en = ns_record_end_ns(&r), span = en - st;
        assert_int_equal(c.bin[0], st / w * w);
        for (int d = 0; d < 2; d++) {
            uint64_t pk = 0, oc = 0, rt = 0;
            int64_t lo = 0;
            for (size_t k = 0; k < c.n; k++) {
                const struct ns_record_dir *pd = &c.p[k].dir[d];
                pk += pd->pkts;
                oc += pd->octets;
                rt += pd->retrans_pkts;
                lo += pd->loss_pkts;
                /* within 1 of the exact share */
                if (span) {
                    uint64_t b = c.bin[k], a0 = b > st ? b : st, a1 = b + w < en ? b + w : en;
                    double exact = (double)r.dir[d].pkts * (double)(a1 - a0) / (double)span;
                    assert_true(fabs((double)pd->pkts - exact) <= 1.0 + 1e-6 * exact);
                    assert_true(!pd->first_ns || pd->first_ns >= b);
                    assert_true(!pd->last_ns || pd->last_ns < b + w);
                }
                /* times follow the record's direction, whatever the share */
                if (r.dir[d].pkts) {
                    assert_true(pd->first_ns >= c.bin[k] && pd->first_ns <= pd->last_ns);
                    assert_true(pd->last_ns < c.bin[k] + w);
                } else {
                    assert_true(!pd->first_ns && !pd->last_ns);
                }
                if (k)
                    assert_int_equal(c.bin[k], c.bin[k - 1] + w);
            }
            assert_int_equal(pk, r.dir[d].pkts);
            assert_int_equal(oc, r.dir[d].octets);
            assert_int_equal(rt, r.dir[d].retrans_pkts);
            assert_int_equal(lo, r.dir[d].loss_pkts);
        }
        if (!span)
            assert_int_equal(c.n, 1);
        else
            assert_int_equal(c.n, (en - 1) / w - st / w + 1);
        /* only the last piece completes the flow */
        for (size_t k = 0; k < c.n; k++)
            assert_int_equal(c.p[k].agg_flows, k + 1 == c.n);
    }
}

static void test_totals(void **state)
{
    uint64_t s = 42;
    struct ns_record in[500];
    uint64_t pk = 0;
    int64_t lo = 0;
    for (int i = 0; i < 500; i++) {
        in[i] = random_record(&s);
        pk += in[i].dir[0].pkts + in[i].dir[1].pkts;
        lo += in[i].dir[0].loss_pkts + in[i].dir[1].loss_pkts;
    }
    static const char *const keys[] = {"none", "proto", "saddr", "saddr/30,proto"};
    static const uint64_t widths[] = {1000000000ull, 13000000000ull, 60000000000ull,
                                      86400000000000ull};
    for (size_t k = 0; k < 4; k++) {
        for (size_t wi = 0; wi < 4; wi++) {
            struct ns_bins_opts o = {.width_ns = widths[wi]};
            struct ns_error err = {0};
            assert_int_equal(ns_aggkey_parse(&o.key, keys[k], &err), 0);
            struct ns_bins *b;
            assert_int_equal(ns_bins_create(&b, &o, &err), 0);
            for (int i = 0; i < 500; i++)
                assert_int_equal(ns_bins_add(b, &in[i], &err), 0);
            const struct ns_record **res;
            const uint64_t *starts;
            size_t n;
            assert_int_equal(ns_bins_result(b, &res, &starts, &n, &err), 0);
            uint64_t pk2 = 0, flows = 0;
            int64_t lo2 = 0;
            for (size_t i = 0; i < n; i++) {
                pk2 += res[i]->dir[0].pkts + res[i]->dir[1].pkts;
                lo2 += res[i]->dir[0].loss_pkts + res[i]->dir[1].loss_pkts;
                flows += res[i]->agg_flows;
                if (i)
                    assert_true(starts[i] >= starts[i - 1]);
                assert_int_equal(starts[i] % widths[wi], 0);
            }
            assert_int_equal(pk2, pk);
            assert_int_equal(lo2, lo);
            assert_int_equal(flows, 500);
            ns_bins_destroy(b);
        }
    }
}

/* Two packets, 90 s and 210 s past a minute: the first bin's share is
 * floor(2 * 10 / 120) = 0 packets, yet its piece keeps the record's first
 * time, so the output row names its bin (found side by side with rabins,
 * tests/argus/clients.md). */
static void test_zero_share_keeps_times(void **state)
{
    const uint64_t s0 = 1700000040000000000ull, w = 60000000000ull;
    struct ns_record r;
    ns_record_clear(&r);
    r.present = NS_RG_COUNT | NS_RG_TIME;
    r.dir[0].pkts = 2;
    r.dir[0].octets = 200;
    r.dir[0].first_ns = s0 + 50000000000ull;
    r.dir[0].last_ns = s0 + 170000000000ull;
    for (int hard = 0; hard < 2; hard++) {
        static struct pieces c;
        c.n = 0;
        struct ns_error err = {0};
        assert_int_equal(ns_bins_split(&r, w, hard, collect, &c, &err), 0);
        assert_int_equal(c.n, 3);
        static const uint64_t pk[3] = {0, 1, 1}, oc[3] = {16, 100, 84};
        for (size_t k = 0; k < 3; k++) {
            assert_int_equal(c.bin[k], s0 + k * w);
            assert_int_equal(c.p[k].dir[0].pkts, pk[k]);
            assert_int_equal(c.p[k].dir[0].octets, oc[k]);
            assert_int_equal(ns_record_start_ns(&c.p[k]),
                             hard ? c.bin[k] : (k ? c.bin[k] : r.dir[0].first_ns));
            assert_int_equal(c.p[k].dir[1].first_ns, 0);
        }
    }
}

/* A flow's final record after a status record took every packet has no
 * times and no counts (meter.h): skipped, not an error (netsift bins used
 * to fail on such probe output, ndpi-tor.pcap).  With loss it is refused:
 * dropping it would lose a count. */
static void test_empty_final_record(void **state)
{
    struct ns_record r;
    ns_record_clear(&r);
    r.present = NS_RG_COUNT | NS_RG_TIME | NS_RG_LOSS;
    r.end_reason = NS_END_IDLE;
    r.flow_id = 2;
    static struct pieces c;
    c.n = 0;
    struct ns_error err = {0};
    assert_int_equal(ns_bins_split(&r, 60000000000ull, 0, collect, &c, &err), 0);
    assert_int_equal(c.n, 0);
    r.dir[1].loss_pkts = -1;
    assert_int_equal(ns_bins_split(&r, 60000000000ull, 0, collect, &c, &err), NS_EINVAL);
    assert_non_null(strstr(err.msg, "no times"));
    assert_int_equal(c.n, 0);
}

static void test_refuses_huge_span(void **state)
{
    struct ns_record r;
    ns_record_clear(&r);
    r.present = NS_RG_COUNT | NS_RG_TIME;
    r.dir[0].pkts = 2;
    r.dir[0].first_ns = 1;
    r.dir[0].last_ns = 4000000000000000000ull;
    struct ns_error err = {0};
    struct pieces *c = calloc(1, sizeof *c);
    assert_int_equal(ns_bins_split(&r, 1000000000ull, 0, collect, c, &err), NS_EINVAL);
    assert_non_null(strstr(err.msg, "wider bins"));
    r.present = NS_RG_COUNT;
    assert_int_equal(ns_bins_split(&r, 1000000000ull, 0, collect, c, &err), NS_EINVAL);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_totals),
        cmocka_unit_test(test_zero_share_keeps_times),
        cmocka_unit_test(test_empty_final_record),
        cmocka_unit_test(test_refuses_huge_span),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
