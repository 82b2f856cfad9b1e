/*
 * Flow selection (fsel/): the export selectors keep offered = sent + not
 * sent exactly and choose what their definitions say (threshold, smart
 * sampling with its inclusion probability, property match, hash: the same
 * flows for the same key whatever the other fields); bad specs are refused
 * with a message; the statistics options records survive an IPFIX file
 * round trip value for value (times to the nanosecond) and ns_fsel_check
 * says OK on consistent counts and finds every single broken identity.
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

#include "fsel/optrec.h"
#include "fsel/xsel.h"
#include "ipfix/file.h"

static struct ns_record rec_of(uint64_t octets, uint16_t sport)
{
    struct ns_record r;
    memset(&r, 0, sizeof r);
    r.present = NS_RG_KEY | NS_RG_COUNT | NS_RG_TIME;
    r.ip_version = 4;
    r.proto = 6;
    r.saddr[0] = 10;
    r.saddr[3] = (uint8_t)sport;
    r.daddr[0] = 192;
    r.sport = sport;
    r.dport = 443;
    r.dir[0].pkts = 1 + octets / 1000;
    r.dir[0].octets = octets;
    r.dir[0].first_ns = 1000000000ull * (100 + sport);
    r.dir[0].last_ns = r.dir[0].first_ns + 5;
    r.end_reason = NS_END_IDLE;
    return r;
}

static void bad_specs_refused(void **state)
{
    (void)state;
    static const char *bad[] = {
        "threshold",         "threshold:x", "smart:0",         "smart:",   "match:tcp and",
        "hash:md5,frac=0.1", "hash:bob",    "hash:bob,frac=2", "sample:1", "threshold:1,2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ns_xsel *x = NULL;
        struct ns_error err = {0};
        assert_int_equal(ns_xsel_new(&x, bad[i], 1, &err), NS_EINVAL);
        assert_null(x);
        assert_true(err.msg[0] != 0);
    }
}

static void threshold_and_match(void **state)
{
    (void)state;
    struct ns_xsel *t, *m;
    struct ns_error err;
    assert_int_equal(ns_xsel_new(&t, "threshold:10k", 1, &err), 0);
    assert_int_equal(ns_xsel_new(&m, "match:sport == 7", 1, &err), 0);
    uint64_t want_t = 0, want_m = 0, sum = 0;
    for (uint16_t i = 0; i < 200; i++) {
        struct ns_record r = rec_of(100u * i * i, i), tmp;
        const struct ns_record *out;
        int k = ns_xsel_offer(t, &r, &tmp, &out);
        assert_int_equal(k, r.dir[0].octets >= 10000);
        want_t += k;
        assert_ptr_equal(out, &r); /* nothing to renormalise */
        k = ns_xsel_offer(m, &r, &tmp, &out);
        assert_int_equal(k, i == 7);
        want_m += k;
        sum += r.dir[0].octets;
    }
    struct ns_xsel_counters c;
    ns_xsel_get_counters(t, &c);
    assert_int_equal(c.sent, want_t);
    assert_int_equal(c.offered, 200);
    assert_int_equal(c.sent + c.not_sent, c.offered);
    assert_int_equal(c.sent_octets + c.not_sent_octets, sum);
    assert_int_equal(c.ns_first_ns, 100 * 1000000000ull); /* record 0: 0 octets, not sent */
    assert_int_equal(ns_xsel_algorithm(t), 5);
    ns_xsel_get_counters(m, &c);
    assert_int_equal(c.sent, want_m);
    ns_xsel_free(t);
    ns_xsel_free(m);
}

static void smart_marks_probability(void **state)
{
    (void)state;
    struct ns_xsel *x;
    struct ns_error err;
    const double z = 50000;
    assert_int_equal(ns_xsel_new(&x, "smart:50k", 42, &err), 0);
    double est = 0, truth = 0;
    int big_sent = 0, big = 0;
    for (int i = 0; i < 20000; i++) {
        uint64_t o = (uint64_t)(1 + (i * 7919) % 100000);
        struct ns_record r = rec_of(o, (uint16_t)i), tmp;
        const struct ns_record *out;
        truth += (double)o;
        big += o >= 50000;
        if (!ns_xsel_offer(x, &r, &tmp, &out))
            continue;
        big_sent += o >= 50000;
        if (o < 50000) {
            assert_ptr_equal(out, &tmp);
            assert_true(out->present & NS_RG_SAMP);
            assert_true(fabs(out->samp_frac - (double)o / z) < 1e-12);
        }
        est += o < 50000 ? z : (double)o; /* max(x, z) */
    }
    assert_int_equal(big_sent, big); /* above z: always sent */
    /* variance sum x(z - x) over x < z: about 20000/2 * z^2/6; SE ~ 1.6e6 */
    assert_true(fabs(est - truth) < 4 * sqrt(10000.0 * z * z / 6));
    ns_xsel_free(x);
}

static void hash_is_per_flow(void **state)
{
    (void)state;
    struct ns_xsel *x, *y;
    struct ns_error err;
    assert_int_equal(ns_xsel_new(&x, "hash:crc,frac=0.25,init=7", 1, &err), 0);
    assert_int_equal(ns_xsel_new(&y, "hash:crc,frac=0.25,init=7", 99, &err), 0);
    int sent = 0;
    for (uint16_t i = 0; i < 4000; i++) {
        struct ns_record a = rec_of(10, i), b = rec_of(99999, i), tmp;
        b.end_reason = NS_END_ACTIVE;
        const struct ns_record *out;
        int k = ns_xsel_offer(x, &a, &tmp, &out);
        assert_int_equal(ns_xsel_offer(y, &b, &tmp, &out), k); /* key decides, nothing else */
        sent += k;
    }
    assert_true(sent > 800 && sent < 1200);
    assert_int_equal(ns_xsel_algorithm(x), 8);
    ns_xsel_free(x);
    ns_xsel_free(y);
}

static void report_add(void *ctx, const struct ns_tmpl *t, const uint8_t *rec, size_t len,
                       uint32_t domain)
{
    ns_fsel_report_add(ctx, t, rec, len, domain);
}

/* 0xFF14: one record per interface, read back per (domain, process,
 * interface), checked: observed = dropped + captured. */
static void kernel_drops_round_trip(void **state)
{
    (void)state;
    char path[] = "/tmp/ns_fsel_kd_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct ns_fsel_iface_report k[2] = {
        {.process_id = 1,
         .ifindex = 7,
         .seen = 1000,
         .dropped = 40,
         .captured = 960,
         .first_ns = 1700000000123456789ull,
         .last_ns = 1700000005987654321ull},
        {.process_id = 1, .ifindex = 9, .seen = 5, .dropped = 0, .captured = 5},
    };
    struct ns_ipfix_writer *w;
    struct ns_error err;
    assert_int_equal(ns_ipfix_writer_open(&w, path, NULL, &err), 0);
    for (int round = 0; round < 2; round++) /* the newest record counts */
        for (int i = 0; i < 2; i++) {
            struct ns_fsel_opt o;
            struct ns_fsel_iface_report r = k[i];
            if (!round)
                r.dropped = r.seen = 1;
            ns_fsel_iface_opt_build(&r, &o);
            assert_int_equal(o.tid, NS_FSEL_TID_KDROPS);
            assert_int_equal(o.scope_count, 2);
            assert_int_equal(ns_ipfix_writer_opt(w, o.tid, o.scope_count, o.f, o.n, o.rec, &err),
                             0);
        }
    assert_int_equal(ns_ipfix_writer_close(w, &err), 0);
    struct ns_fsel_report *rep = calloc(1, sizeof *rep);
    struct ns_ipfix_reader *r;
    assert_int_equal(ns_ipfix_reader_open(&r, path, &err), 0);
    ns_ipfix_reader_on_options(r, report_add, rep);
    struct ns_record rec;
    assert_int_equal(ns_ipfix_reader_next(r, &rec, &err), 0);
    ns_ipfix_reader_close(r);
    unlink(path);
    assert_int_equal(rep->nifs, 2);
    assert_int_equal(rep->n, 0);
    assert_memory_equal(&rep->ifs[0].k, &k[0], sizeof k[0]);
    assert_memory_equal(&rep->ifs[1].k, &k[1], sizeof k[1]);
    struct ns_fsel_tally t = {0};
    FILE *dev = fopen("/dev/null", "w");
    assert_int_equal(ns_fsel_check(rep, &t, dev), 0);
    rep->ifs[0].k.captured++; /* one frame counted twice */
    assert_int_equal(ns_fsel_check(rep, &t, dev), 1);
    fclose(dev);
    free(rep);
}

/* Workers' reports summed: counts add, times span, zero times are none. */
static void worker_reports_add_up(void **state)
{
    (void)state;
    struct ns_fsel_meter_report a = {.process_id = 1,
                                     .cache_size = 50,
                                     .policy = 2,
                                     .created = 10,
                                     .obs_pkts = 100,
                                     .ign_pkts = 3,
                                     .ign_first_ns = 0,
                                     .ign_last_ns = 0,
                                     .ev_first_ns = 500,
                                     .ev_last_ns = 900,
                                     .first_ns = 100,
                                     .last_ns = 1000};
    struct ns_fsel_meter_report b = {.process_id = 1,
                                     .cache_size = 50,
                                     .policy = 2,
                                     .created = 7,
                                     .obs_pkts = 60,
                                     .ign_pkts = 2,
                                     .ign_first_ns = 300,
                                     .ign_last_ns = 400,
                                     .ev_first_ns = 200,
                                     .ev_last_ns = 800,
                                     .first_ns = 50,
                                     .last_ns = 2000};
    struct ns_fsel_meter_report t;
    memset(&t, 0, sizeof t);
    ns_fsel_meter_report_add(&t, &a);
    ns_fsel_meter_report_add(&t, &b);
    assert_int_equal(t.cache_size, 100);
    assert_int_equal(t.created, 17);
    assert_int_equal(t.obs_pkts, 160);
    assert_int_equal(t.ign_pkts, 5);
    assert_int_equal(t.ign_first_ns, 300);
    assert_int_equal(t.ign_last_ns, 400);
    assert_int_equal(t.ev_first_ns, 200);
    assert_int_equal(t.ev_last_ns, 900);
    assert_int_equal(t.first_ns, 50);
    assert_int_equal(t.last_ns, 2000);
    assert_int_equal(t.policy, 2);
}

static void options_round_trip_and_check(void **state)
{
    (void)state;
    char path[] = "/tmp/ns_fsel_test_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct ns_fsel_meter_report m = {.process_id = 1,
                                     .cache_size = 100,
                                     .algorithm = 9,
                                     .policy = 2,
                                     .created = 50,
                                     .obs_pkts = 1000,
                                     .obs_octets = 500000,
                                     .ign_pkts = 10,
                                     .ign_octets = 5000,
                                     .ign_first_ns = 1700000000123456789ull,
                                     .ign_last_ns = 1700000001987654321ull,
                                     .ev_flows = 5,
                                     .ev_pkts = 90,
                                     .ev_octets = 45000,
                                     .ev_first_ns = 1700000000000000001ull,
                                     .ev_last_ns = 1700000002000000002ull,
                                     .ev_first_event_ns = 1700000000500000000ull,
                                     .ev_last_event_ns = 1700000003000000003ull,
                                     .cached_flows = 0,
                                     .cached_pkts = 0,
                                     .cached_octets = 0,
                                     .out_records = 47,
                                     .out_flows = 45,
                                     .out_pkts = 900,
                                     .out_octets = 450000,
                                     .first_ns = 1700000000000000000ull,
                                     .last_ns = 1700000009000000000ull};
    struct ns_fsel_export_report xr = {.process_id = 1,
                                       .algorithm = 9,
                                       .offered = 47,
                                       .sent = 20,
                                       .sent_pkts = 700,
                                       .sent_octets = 400000,
                                       .not_sent = 27,
                                       .not_sent_pkts = 200,
                                       .not_sent_octets = 50000,
                                       .ns_first_ns = 1700000000000000007ull,
                                       .ns_last_ns = 1700000008999999999ull};
    struct ns_fsel_opt o[4];
    int n;
    ns_fsel_opts_build(&m, &xr, o, &n);
    assert_int_equal(n, 4);
    struct ns_ipfix_writer *w;
    struct ns_error err;
    assert_int_equal(ns_ipfix_writer_open(&w, path, NULL, &err), 0);
    for (int k = 0; k < n; k++)
        assert_int_equal(
            ns_ipfix_writer_opt(w, o[k].tid, o[k].scope_count, o[k].f, o[k].n, o[k].rec, &err), 0);
    assert_int_equal(ns_ipfix_writer_close(w, &err), 0);

    struct ns_fsel_report *rep = calloc(1, sizeof *rep);
    struct ns_ipfix_reader *r;
    assert_int_equal(ns_ipfix_reader_open(&r, path, &err), 0);
    ns_ipfix_reader_on_options(r, report_add, rep);
    struct ns_record rec;
    assert_int_equal(ns_ipfix_reader_next(r, &rec, &err), 0);
    ns_ipfix_reader_close(r);
    unlink(path);
    assert_int_equal(rep->n, 1);
    assert_true(rep->p[0].have_meter && rep->p[0].have_export && rep->p[0].have_mrel);
    /* every value back, times to the nanosecond (first/last window of
     * §4.1 is not read back: the 0xFF12 record has it all but that) */
    struct ns_fsel_meter_report got = rep->p[0].m;
    got.first_ns = m.first_ns;
    got.last_ns = m.last_ns;
    struct ns_fsel_opt o2[4]; /* compared field by field: encoded again */
    ns_fsel_opts_build(&got, &rep->p[0].x, o2, &n);
    assert_int_equal(n, 4);
    for (int k = 0; k < 4; k++) {
        size_t len = 0;
        for (int i = 0; i < o[k].n; i++)
            len += o[k].f[i].len;
        assert_memory_equal(o2[k].rec, o[k].rec, len);
    }
    assert_int_equal(got.ign_last_ns, 1700000001987654321ull);
    assert_int_equal(rep->p[0].x.ns_last_ns, 1700000008999999999ull);

    /* consistent: OK.  The collector read exactly what was sent. */
    struct ns_fsel_tally t = {.records = 20, .final_records = 18, .pkts = 700, .octets = 400000};
    FILE *dev = fopen("/dev/null", "w");
    assert_int_equal(ns_fsel_check(rep, &t, dev), 0);
    /* each identity broken on its own is found */
    uint64_t *fields[] = {&rep->p[0].m.obs_pkts,
                          &rep->p[0].m.obs_octets,
                          &rep->p[0].m.created,
                          &rep->p[0].m.out_records,
                          &rep->p[0].x.not_sent,
                          &rep->p[0].x.sent_pkts,
                          &rep->p[0].x.not_sent_octets,
                          &t.records,
                          &t.pkts,
                          &t.octets};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        (*fields[i])++;
        assert_true(ns_fsel_check(rep, &t, dev) >= 1);
        (*fields[i])--;
    }
    assert_int_equal(ns_fsel_check(rep, &t, dev), 0);
    memset(rep, 0, sizeof *rep);
    assert_int_equal(ns_fsel_check(rep, &t, dev), -1); /* nothing to check */
    fclose(dev);
    free(rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_specs_refused),
        cmocka_unit_test(threshold_and_match),
        cmocka_unit_test(smart_marks_probability),
        cmocka_unit_test(hash_is_per_flow),
        cmocka_unit_test(options_round_trip_and_check),
        cmocka_unit_test(kernel_drops_round_trip),
        cmocka_unit_test(worker_reports_add_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
