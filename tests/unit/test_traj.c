/*
 * Trajectory sampling analysis against a simulated path whose truth is
 * known packet by packet: a stream of sampled packets crosses A→B, the
 * network drops some (probability p_net), delays the rest (uniform in a
 * range, so packets reorder), and each point loses some of its reports
 * (p_rep).  ns_traj_compare() must
 *   - count lost packets and lost reports as the simulation made them,
 *     never a lost report as a lost packet;
 *   - put the true loss rate inside its interval, and the true delay
 *     quantiles of the reported packets inside theirs, at the stated
 *     confidence (checked over many seeds: coverage, not one lucky run);
 *   - and the interval helpers agree with known values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipfix/be.h"
#include "ipfix/msg.h"
#include "ipfix/ntp.h"
#include "traj/input.h"
#include "traj/traj.h"
#include "util/rng.h"
#include "util/stats.h"

struct sim {
    struct ns_traj_point a, b;
    uint64_t truth_lost, truth_rep_lost_b; /* among A's reported packets in the window */
    uint64_t considered_truth;
    int64_t *delays; /* of the packets delivered with both reports */
    size_t nd;
};

static int cmp_i64(const void *x, const void *y)
{
    int64_t p = *(const int64_t *)x, q = *(const int64_t *)y;
    return (p > q) - (p < q);
}

/* n packets, 1 ms apart plus jitter; B numbers the packets it sees in its
 * own time order.  Delays uniform in [dlo, dhi] ns. */
static void simulate(struct sim *s, uint64_t seed, size_t n, double p_net, double p_rep_a,
                     double p_rep_b, int64_t dlo, int64_t dhi, uint64_t max_delay)
{
    memset(s, 0, sizeof *s);
    struct ns_rng r;
    ns_rng_seed(&r, seed);
    struct ns_error err;
    struct pk {
        uint64_t digest, ta, tb;
        int dropped, rep_a, rep_b;
    } *p = calloc(n, sizeof *p);
    uint64_t t = 1000000000000ull;
    for (size_t i = 0; i < n; i++) {
        t += 500000 + ns_rng_next(&r) % 1000000;
        p[i].digest = ns_rng_next(&r);
        p[i].ta = t;
        p[i].dropped = ns_rng_unit(&r) < p_net;
        p[i].tb = t + (uint64_t)(dlo + (int64_t)(ns_rng_next(&r) % (uint64_t)(dhi - dlo + 1)));
        p[i].rep_a = ns_rng_unit(&r) >= p_rep_a;
        p[i].rep_b = ns_rng_unit(&r) >= p_rep_b;
    }
    /* A numbers in its time order (= index order). */
    for (size_t i = 0; i < n; i++)
        if (p[i].rep_a)
            assert_int_equal(
                ns_traj_point_add(
                    &s->a, &(struct ns_traj_obs){p[i].digest, p[i].ta, (uint64_t)i + 1}, &err),
                0);
    /* B numbers the delivered packets in the order they arrive. */
    size_t nb = 0;
    struct pk **arr = calloc(n, sizeof *arr);
    for (size_t i = 0; i < n; i++)
        if (!p[i].dropped)
            arr[nb++] = &p[i];
    for (size_t i = 1; i < nb; i++) /* insertion sort by tb: nearly sorted */
        for (size_t j = i; j > 0 && arr[j - 1]->tb > arr[j]->tb; j--) {
            struct pk *x = arr[j];
            arr[j] = arr[j - 1];
            arr[j - 1] = x;
        }
    uint64_t b_first = 0, b_last = 0;
    for (size_t k = 0; k < nb; k++) {
        if (!arr[k]->rep_b)
            continue;
        if (!b_first)
            b_first = arr[k]->tb;
        b_last = arr[k]->tb;
        assert_int_equal(
            ns_traj_point_add(
                &s->b, &(struct ns_traj_obs){arr[k]->digest, arr[k]->tb, (uint64_t)k + 1}, &err),
            0);
    }
    s->b.seq_total = nb;
    s->delays = calloc(n, sizeof *s->delays);
    for (size_t i = 0; i < n; i++) {
        if (!p[i].rep_a || p[i].ta < b_first || p[i].ta > b_last - max_delay)
            continue;
        s->considered_truth++;
        if (p[i].dropped)
            s->truth_lost++;
        else if (!p[i].rep_b)
            s->truth_rep_lost_b++;
        else
            s->delays[s->nd++] = (int64_t)(p[i].tb - p[i].ta);
    }
    qsort(s->delays, s->nd, sizeof *s->delays, cmp_i64);
    free(arr);
    free(p);
}

static void sim_free(struct sim *s)
{
    ns_traj_point_free(&s->a);
    ns_traj_point_free(&s->b);
    free(s->delays);
}

static void stats_helpers(void **state)
{
    (void)state;
    assert_true(fabs(ns_norm_quantile(0.975) - 1.959963984540054) < 1e-9);
    assert_true(fabs(ns_norm_quantile(0.9995) - 3.290526731491926) < 1e-9);
    assert_true(fabs(ns_norm_quantile(0.5)) < 1e-12);
    assert_true(fabs(ns_norm_quantile(1e-6) + 4.753424308822899) < 1e-8);
    double lo, hi;
    /* Wilson, 95 %: 0 of 100 -> [0, 0.0370]; 50 of 100 -> [0.4038, 0.5962] */
    ns_wilson(0, 100, 0.95, &lo, &hi);
    assert_true(lo == 0.0 && fabs(hi - 0.036995) < 1e-5);
    ns_wilson(50, 100, 0.95, &lo, &hi);
    assert_true(fabs(lo - 0.403832) < 1e-5 && fabs(hi - 0.596168) < 1e-5);
    ns_wilson(3, 0, 0.95, &lo, &hi);
    assert_true(lo == 0.0 && hi == 1.0);
    size_t l, h;
    ns_quantile_ci(1000, 0.5, 0.95, &l, &h);
    assert_true(l < 500 && h >= 500 && l > 460 && h < 540);
    ns_quantile_ci(5, 0.99, 0.95, &l, &h);
    assert_true(l <= h && h == 4);
}

/* Counts: with report loss at B only, every unmatched packet of A is
 * either lost in the network or behind a hole; the split must be the
 * simulation's.  Delays here are short next to the spacing of packets,
 * so no window covers two holes' packets: exact. */
static void counts_exact(void **state)
{
    (void)state;
    const uint64_t maxd = 50000000; /* 50 ms */
    for (uint64_t seed = 1; seed <= 20; seed++) {
        struct sim s;
        simulate(&s, seed, 20000, 0.03, 0.0, 0.05, 100000, 400000, maxd);
        struct ns_traj_result r;
        struct ns_error err;
        struct ns_traj_opts o = {maxd, 0, 0.95};
        assert_int_equal(ns_traj_compare(&s.a, &s.b, &o, &r, &err), 0);
        assert_int_equal(r.considered, s.considered_truth);
        assert_int_equal(r.lost, s.truth_lost);
        assert_int_equal(r.explained, s.truth_rep_lost_b);
        assert_int_equal(r.delivered, s.nd);
        assert_true(r.out_lost_reports >= r.explained);
        assert_int_equal(r.in_lost_reports, 0);
        sim_free(&s);
    }
}

/* Reordering and report loss at both points: a hole at B may be a packet
 * A never reported, and then it "explains" a lost packet instead, so the
 * count may fall short of the truth by about the `ambiguous` the result
 * states; it never overshoots (a lost report is not counted as loss). */
static void counts_reordered(void **state)
{
    (void)state;
    const uint64_t maxd = 100000000;
    uint64_t worst = 0;
    for (uint64_t seed = 100; seed < 120; seed++) {
        struct sim s;
        simulate(&s, seed, 20000, 0.02, 0.03, 0.05, 1000000, 20000000, maxd);
        struct ns_traj_result r;
        struct ns_error err;
        struct ns_traj_opts o = {maxd, 0, 0.95};
        assert_int_equal(ns_traj_compare(&s.a, &s.b, &o, &r, &err), 0);
        assert_int_equal(r.considered, s.considered_truth);
        assert_int_equal(r.lost + r.explained + r.delivered, r.considered);
        uint64_t diff = r.lost > s.truth_lost ? r.lost - s.truth_lost : s.truth_lost - r.lost;
        worst = diff > worst ? diff : worst;
        print_message("seed %llu: lost %llu truth %llu ambiguous %.1f\n", (unsigned long long)seed,
                      (unsigned long long)r.lost, (unsigned long long)s.truth_lost, r.ambiguous);
        /* one-sided: a doubly unreported packet only hides a loss */
        assert_true(r.lost <= s.truth_lost + 2);
        assert_true((double)diff <= 2 * r.ambiguous + 3);
        assert_true(r.in_lost_reports > 0);
        sim_free(&s);
    }
    print_message("worst lost-count error %llu\n", (unsigned long long)worst);
}

/* Coverage: the loss interval holds the path's true loss probability,
 * and each delay quantile interval the true quantile (uniform delays:
 * q-quantile = dlo + q (dhi - dlo)), in at least ~the stated share of
 * 200 seeds (95 % intervals: at least 90 % allowing for the binomial
 * spread of 200 trials). */
static void coverage(void **state)
{
    (void)state;
    const uint64_t maxd = 100000000;
    const int64_t dlo = 1000000, dhi = 9000000;
    const double p_net = 0.04;
    int loss_in = 0, q_in[NS_TRAJ_NQ] = {0}, mean_in = 0, runs = 200;
    for (int seed = 0; seed < runs; seed++) {
        struct sim s;
        simulate(&s, 1000 + (uint64_t)seed, 3000, p_net, 0.01, 0.02, dlo, dhi, maxd);
        struct ns_traj_result r;
        struct ns_error err;
        struct ns_traj_opts o = {maxd, 0, 0.95};
        assert_int_equal(ns_traj_compare(&s.a, &s.b, &o, &r, &err), 0);
        loss_in += r.loss_lo <= p_net && p_net <= r.loss_hi;
        mean_in += r.d_mean_lo <= (dlo + dhi) / 2.0 && (dlo + dhi) / 2.0 <= r.d_mean_hi;
        for (int k = 0; k < NS_TRAJ_NQ; k++) {
            double tq = (double)dlo + ns_traj_quantiles[k] * (double)(dhi - dlo);
            q_in[k] += (double)r.q_lo[k] <= tq && tq <= (double)r.q_hi[k];
        }
        sim_free(&s);
    }
    print_message("loss covered %d/%d, mean %d/%d\n", loss_in, runs, mean_in, runs);
    assert_true(loss_in >= 180);
    assert_true(mean_in >= 180);
    for (int k = 0; k < NS_TRAJ_NQ; k++) {
        print_message("q%.2f covered %d/%d\n", ns_traj_quantiles[k], q_in[k], runs);
        assert_true(q_in[k] >= 180);
    }
}

/* Edges: no reports at B at all judges nothing; identical digests are
 * matched in time order and counted as collisions. */
static void edges(void **state)
{
    (void)state;
    struct ns_traj_point a = {0}, b = {0};
    struct ns_error err;
    struct ns_traj_result r;
    struct ns_traj_opts o = {1000000, 0, 0.95};
    for (uint64_t i = 0; i < 10; i++)
        assert_int_equal(
            ns_traj_point_add(&a, &(struct ns_traj_obs){7, 1000000000 + i, i + 1}, &err), 0);
    assert_int_equal(ns_traj_compare(&a, &b, &o, &r, &err), 0);
    assert_int_equal(r.considered, 0);
    assert_int_equal(r.outside, 10);
    for (uint64_t i = 0; i < 10; i++)
        assert_int_equal(
            ns_traj_point_add(&b, &(struct ns_traj_obs){7, 1000000100 + i * 10, i + 1}, &err), 0);
    assert_int_equal(ns_traj_compare(&a, &b, &o, &r, &err), 0);
    assert_int_equal(r.matched, 10);
    assert_true(r.collisions >= 9);
    assert_int_equal(r.d_min, 100);
    ns_traj_point_free(&a);
    ns_traj_point_free(&b);
}

/* The reader: a report template with a variable-length field before the
 * digest, in two observation domains; an options template whose records
 * are skipped; a data set of an unknown template; then a message cut
 * short, which ends reading with an error while keeping what came before. */
static void read_reports(void **state)
{
    (void)state;
    char path[] = "/tmp/ns_traj_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    struct ns_error err;
    uint8_t m[2048];
    struct ns_msg_enc e;
    static const struct ns_field_spec tf[] = {
        {0, 315, NS_VARLEN}, {0, 326, 8}, {0, 325, 8}, {0, 319, 8}};
    static const struct ns_field_spec of[] = {{0, 301, 8}, {0, 318, 8}};
    for (uint32_t dom = 1; dom <= 2; dom++) {
        assert_int_equal(ns_msg_enc_begin(&e, m, sizeof m, dom, 0, &err), 0);
        assert_int_equal(ns_msg_enc_set_open(&e, 2, 64), 0);
        assert_int_equal(ns_msg_enc_template(&e, 256, tf, 4, 0), 0);
        assert_int_equal(ns_msg_enc_set_open(&e, 3, 64), 0);
        assert_int_equal(ns_msg_enc_template(&e, 257, of, 2, 1), 0);
        assert_int_equal(ns_msg_enc_set_open(&e, 256, 400), 0);
        for (uint64_t i = 1; i <= 5; i++) {
            uint8_t *p = ns_msg_enc_reserve(&e, 1 + i + 24);
            assert_non_null(p);
            p[0] = (uint8_t)i; /* i octets of packet section */
            memset(p + 1, 0xab, i);
            ns_put64(p + 1 + i, 1000 * dom + i);
            ns_put64(p + 9 + i, ns_ntp_from_ns(1700000000000000000ull + i * 1000));
            ns_put64(p + 17 + i, i * 2);
        }
        assert_int_equal(ns_msg_enc_set_open(&e, 257, 16), 0);
        uint8_t *p = ns_msg_enc_reserve(&e, 16);
        ns_put64(p, 1);
        ns_put64(p + 8, 99);
        assert_int_equal(ns_msg_enc_set_open(&e, 300, 4), 0);
        memset(ns_msg_enc_reserve(&e, 4), 0, 4);
        size_t len = ns_msg_enc_finish(&e, 0);
        assert_int_equal(fwrite(m, 1, len, f), len);
    }
    assert_int_equal(fwrite(m, 1, 20, f), 20); /* a third message, cut short */
    fclose(f);

    struct ns_traj_point pt = {0};
    struct ns_traj_read_stats st;
    assert_int_equal(ns_traj_read_file(path, 2, &pt, &st, &err), NS_ETRUNC);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "truncated"));
    assert_int_equal(pt.n, 5);
    assert_int_equal(st.other_domains, 5); /* domain 1's reports, left out */
    assert_int_equal(st.numbered, 5);
    assert_int_equal(st.options_records, 2); /* one per message, whatever the domain */
    assert_int_equal(st.unknown_sets, 2);    /* set 300 in each message */
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(pt.obs[i].digest, 2000 + i + 1);
        assert_int_equal(pt.obs[i].t_ns, 1700000000000000000ull + (i + 1) * 1000);
        assert_int_equal(pt.obs[i].seq, (i + 1) * 2);
    }
    ns_traj_point_free(&pt);
    assert_int_equal(ns_traj_read_file(path, -1, &pt, &st, &err), NS_ETRUNC);
    assert_int_equal(pt.n, 10);
    ns_traj_point_free(&pt);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stats_helpers),
        cmocka_unit_test(counts_exact),
        cmocka_unit_test(counts_reordered),
        cmocka_unit_test(coverage),
        cmocka_unit_test(edges),
        cmocka_unit_test(read_reports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
