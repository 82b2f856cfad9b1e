/*
 * Sampling and estimation: foreign sampling IEs decode to the selected
 * fraction; netsift's own samplingProbability round-trips (mixed = 0
 * included); merging keeps equal rates and marks different ones mixed;
 * ns_estimate_record scales every counter by 1/fraction; and the estimate
 * of a 1-in-N systematic sample of real records is close to the truth.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "analysis/estimate.h"
#include "ipfix/be.h"
#include "ipfix/decode.h"
#include "record/merge.h"

/* One record with sourceIPv4Address, packetDeltaCount and the given
 * sampling fields, decoded. */
static struct ns_record decode_with(const struct ns_field_spec *sf, size_t nsf,
                                    const uint32_t *vals)
{
    struct ns_ipfix_dec dec;
    struct ns_error err;
    assert_int_equal(ns_ipfix_dec_init(&dec, 0, 0, &err), 0);
    uint8_t buf[512];
    struct ns_msg_enc m;
    ns_msg_enc_begin(&m, buf, sizeof buf, 1, 0, NULL);
    struct ns_field_spec f[8] = {{0, 8, 4}, {0, 2, 8}};
    memcpy(f + 2, sf, nsf * sizeof *sf);
    ns_msg_enc_set_open(&m, NS_SET_TEMPLATE, 0);
    assert_int_equal(ns_msg_enc_template(&m, 300, f, (uint16_t)(2 + nsf), 0), 0);
    ns_msg_enc_set_open(&m, 300, 0);
    uint8_t *p = ns_msg_enc_reserve(&m, 12 + 4 * nsf);
    ns_put32(p, 0x0a000001);
    ns_put64(p + 4, 10);
    for (size_t i = 0; i < nsf; i++)
        ns_put32(p + 12 + 4 * i, vals[i]);
    size_t n = ns_msg_enc_finish(&m, 1);
    assert_int_equal(ns_ipfix_dec_message(&dec, buf, n, &err), 0);
    struct ns_record r;
    assert_int_equal(ns_ipfix_dec_next(&dec, &r, &err), 1);
    ns_ipfix_dec_fini(&dec);
    return r;
}

static void foreign_sampling(void **state)
{
    static const struct ns_field_spec interval[] = {{0, 34, 4}};
    static const struct ns_field_spec pkt_iv[] = {{0, 305, 4}, {0, 306, 4}};
    static const struct ns_field_spec size_pop[] = {{0, 309, 4}, {0, 310, 4}};
    uint32_t v1[] = {100}, v2[] = {1, 99}, v3[] = {5, 1000}, v4[] = {0}, v5[] = {7, 3};
    struct ns_record r = decode_with(interval, 1, v1);
    assert_true(r.present & NS_RG_SAMP);
    assert_true(fabs(r.samp_frac - 0.01) < 1e-15);
    r = decode_with(pkt_iv, 2, v2);
    assert_true(fabs(r.samp_frac - 0.01) < 1e-15);
    r = decode_with(size_pop, 2, v3);
    assert_true(fabs(r.samp_frac - 0.005) < 1e-15);
    r = decode_with(interval, 1, v4); /* interval 0: unusable, not sampled */
    assert_false(r.present & NS_RG_SAMP);
    r = decode_with(size_pop, 2, v5); /* 7 of 3: impossible */
    assert_false(r.present & NS_RG_SAMP);
    assert_int_equal(r.dir[0].pkts, 10);
}

static struct ns_record sampled(double frac, uint64_t pkts, int64_t loss)
{
    struct ns_record r;
    ns_record_clear(&r);
    r.present = NS_RG_COUNT | NS_RG_LOSS | NS_RG_SAMP;
    r.samp_frac = frac;
    r.dir[0].pkts = pkts;
    r.dir[0].octets = pkts * 100;
    r.dir[1].pkts = pkts / 2;
    r.dir[0].loss_pkts = loss;
    r.dir[1].retrans_pkts = 3;
    return r;
}

static void scale_and_merge(void **state)
{
    struct ns_record a = sampled(0.01, 10, -2), b = sampled(0.01, 5, 1), c = sampled(0.5, 4, 0);
    struct ns_record m = a;
    ns_record_merge(&m, &b);
    assert_true(m.present & NS_RG_SAMP);
    assert_true(m.samp_frac == 0.01);
    ns_record_merge(&m, &c);
    assert_true(m.present & NS_RG_SAMP);
    assert_true(m.samp_frac == 0); /* mixed */
    assert_int_equal(ns_estimate_record(&m), NS_EST_UNKNOWN);
    assert_int_equal(m.dir[0].pkts, 19); /* left as counted */
    struct ns_record e = a;
    assert_int_equal(ns_estimate_record(&e), NS_EST_SCALED);
    assert_false(e.present & NS_RG_SAMP);
    assert_int_equal(e.dir[0].pkts, 1000);
    assert_int_equal(e.dir[0].octets, 100000);
    assert_int_equal(e.dir[1].pkts, 500);
    assert_int_equal(e.dir[0].loss_pkts, -200);
    assert_int_equal(e.dir[1].retrans_pkts, 300);
    /* estimate first, then merge: totals add up across rates */
    struct ns_record x = a, y = c;
    ns_estimate_record(&x);
    ns_estimate_record(&y);
    ns_record_merge(&x, &y);
    assert_int_equal(x.dir[0].pkts, 1000 + 8);
    assert_false(x.present & NS_RG_SAMP);
    struct ns_record u;
    ns_record_clear(&u);
    u.present = NS_RG_COUNT;
    assert_int_equal(ns_estimate_record(&u), NS_EST_UNSAMPLED);
    /* an unsampled record merged with a sampled one: mixed */
    struct ns_record s = sampled(0.1, 1, 0);
    ns_record_merge(&u, &s);
    assert_true(u.present & NS_RG_SAMP);
    assert_true(u.samp_frac == 0);
}

/* Systematic 1-in-N selection of packets, estimate N × count: over many
 * flows the estimate of the total is within a few percent. */
static void estimate_close(void **state)
{
    uint64_t truth = 0, est = 0, seed = 1;
    const unsigned N = 50;
    unsigned phase = 0;
    for (int f = 0; f < 20000; f++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t pkts = 1 + (seed >> 33) % 400;
        truth += pkts;
        uint64_t sel = 0;
        for (uint64_t i = 0; i < pkts; i++)
            if (phase++ % N == 0)
                sel++;
        if (!sel)
            continue;
        struct ns_record r = sampled(1.0 / N, sel, 0);
        ns_estimate_record(&r);
        est += r.dir[0].pkts;
    }
    double relerr = fabs((double)est - (double)truth) / (double)truth;
    assert_true(relerr < 0.01);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(foreign_sampling),
        cmocka_unit_test(scale_and_merge),
        cmocka_unit_test(estimate_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
