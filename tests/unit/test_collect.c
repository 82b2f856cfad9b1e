/* Collecting process session logic: templates scoped per session and
 * domain, withdrawal, UDP template lifetime, sequence gaps, late datagrams
 * and restarts, limits, malformed input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../common/rand_record.h"
#include "collect/session.h"
#include "ipfix/be.h"
#include "ipfix/msgbuild.h"

#define MAXM 512

struct msgs {
    int n;
    size_t len[MAXM];
    uint32_t nrec[MAXM];
    uint8_t *m[MAXM];
};

static int keep(void *ctx, uint8_t *msg, size_t len, uint32_t nrec, uint32_t nflow,
                struct ns_error *err)
{
    struct msgs *x = ctx;
    assert_true(x->n < MAXM);
    x->m[x->n] = malloc(len);
    memcpy(x->m[x->n], msg, len);
    x->len[x->n] = len;
    x->nrec[x->n++] = nrec;
    return NS_OK;
}

static void free_msgs(struct msgs *x)
{
    for (int i = 0; i < x->n; i++)
        free(x->m[i]);
    x->n = 0;
}

/* An exporter's stream of `nrec` records in small messages, one domain;
 * `same`: records of one shape, so one template, in the first message. */
static void make_stream_(struct msgs *x, uint32_t domain, int nrec, uint64_t seed, int same)
{
    struct ns_msgb *b;
    struct ns_error err;
    struct ns_msgb_opts o = {.obs_domain = domain, .max_msg = 600};
    assert_int_equal(ns_msgb_new(&b, &o, keep, x, &err), 0);
    struct ns_record r;
    for (int i = 0; i < nrec; i++) {
        if (!same || i == 0)
            rr_record(&seed, &r, NS_RG_KEY | NS_RG_COUNT | NS_RG_TIME);
        r.dir[0].pkts = (uint64_t)i + 1;
        assert_int_equal(ns_msgb_add(b, &r, &err), 0);
    }
    assert_int_equal(ns_msgb_flush(b, &err), 0);
    ns_msgb_free(b);
}

static void make_stream(struct msgs *x, uint32_t domain, int nrec, uint64_t seed)
{
    make_stream_(x, domain, nrec, seed, 0);
}

static void make_uniform(struct msgs *x, uint32_t domain, int nrec, uint64_t seed)
{
    make_stream_(x, domain, nrec, seed, 1);
}

struct logbook {
    int lines;
    char last[600];
};

static void log_it(void *ctx, struct ns_coll_session *s, const char *msg)
{
    struct logbook *l = ctx;
    l->lines++;
    strncpy(l->last, msg, sizeof l->last - 1);
}

static int feed(struct ns_coll_session *s, const struct msgs *x, int i, uint64_t now,
                struct logbook *lb)
{
    struct ns_coll_handler h = {NULL, log_it, lb, NULL, NULL};
    struct ns_error err;
    return ns_coll_session_message(s, x->m[i], x->len[i], now, &h, &err);
}

static void test_all_records_in_order(void **state)
{
    struct msgs x = {0};
    make_stream(&x, 7, 300, 1);
    struct ns_coll_session s;
    struct ns_coll_limits l;
    struct ns_error err;
    ns_coll_limits_default(&l);
    assert_int_equal(ns_coll_session_init(&s, 1, 1, &l, &err), 0);
    struct logbook lb = {0};
    int total = 0;
    for (int i = 0; i < x.n; i++)
        total += feed(&s, &x, i, 0, &lb);
    assert_int_equal(total, 300);
    assert_int_equal(s.st.records, 300);
    assert_int_equal(s.st.gaps, 0);
    assert_int_equal(s.st.lost_records, 0);
    assert_int_equal(lb.lines, 0);
    ns_coll_session_fini(&s);
    free_msgs(&x);
}

static void test_gap_counts_lost_records(void **state)
{
    struct msgs x = {0};
    make_stream(&x, 7, 300, 2);
    assert_true(x.n > 10);
    struct ns_coll_session s;
    struct ns_coll_limits l;
    struct ns_error err;
    ns_coll_limits_default(&l);
    assert_int_equal(ns_coll_session_init(&s, 1, 1, &l, &err), 0);
    struct logbook lb = {0};
    uint64_t lost = 0;
    for (int i = 0; i < x.n; i++) {
        if (i == 4 || i == 5 || i == 9) { /* lost datagrams (after the first: templates) */
            lost += x.nrec[i];
            continue;
        }
        feed(&s, &x, i, 0, &lb);
    }
    assert_int_equal(s.st.lost_records, lost);
    assert_int_equal(s.st.gaps, 2);
    assert_int_equal(lb.lines, 2);
    assert_non_null(strstr(lb.last, "records lost"));
    ns_coll_session_fini(&s);
    free_msgs(&x);
}

/* softflowd-style numbering: each message counts its own records too */
static void test_inclusive_sequence(void **state)
{
    struct msgs x = {0};
    make_stream(&x, 7, 300, 12);
    uint32_t seq = 0;
    for (int i = 0; i < x.n; i++) {
        seq += x.nrec[i];
        ns_put32(x.m[i] + 8, seq);
    }
    struct ns_coll_session s;
    struct ns_coll_limits l;
    struct ns_error err;
    ns_coll_limits_default(&l);
    assert_int_equal(ns_coll_session_init(&s, 1, 1, &l, &err), 0);
    struct logbook lb = {0};
    uint64_t lost = 0;
    for (int i = 0; i < x.n; i++) {
        if (i == 7) {
            lost = x.nrec[i];
            continue;
        }
        feed(&s, &x, i, 0, &lb);
    }
    assert_int_equal(s.st.lost_records, lost);
    assert_int_equal(s.st.gaps, 1);
    assert_int_equal(s.st.late, 0);
    assert_int_equal(lb.lines, 2); /* the numbering rule, once; the gap */
    ns_coll_session_fini(&s);
    free_msgs(&x);
}

static void test_late_and_restart(void **state)
{
    struct msgs x = {0};
    make_stream(&x, 7, 200, 3);
    struct ns_coll_session s;
    struct ns_coll_limits l;
    struct ns_error err;
    ns_coll_limits_default(&l);
    assert_int_equal(ns_coll_session_init(&s, 1, 1, &l, &err), 0);
    struct logbook lb = {0};
    for (int i = 0; i < 6; i++)
        feed(&s, &x, i, 0, &lb);
    feed(&s, &x, 3, 0, &lb); /* a late duplicate on UDP */
    assert_int_equal(s.st.late, 1);
    assert_int_equal(s.st.resets, 0);
    ns_coll_session_fini(&s);

    /* the same on TCP is a restart (sequence numbers went back) */
    assert_int_equal(ns_coll_session_init(&s, 2, 0, &l, &err), 0);
    for (int i = 0; i < 6; i++)
        feed(&s, &x, i, 0, &lb);
    /* an exporter restart: the stream starts over at sequence 0 */
    for (int i = 0; i < 3; i++)
        feed(&s, &x, i, 0, &lb);
    assert_int_equal(s.st.resets, 1);
    assert_int_equal(s.st.gaps, 0);
    assert_non_null(strstr(lb.last, "restarted"));
    ns_coll_session_fini(&s);
    free_msgs(&x);
}

static void test_templates_scoped(void **state)
{
    /* Two exporters, same template ids: each session decodes only with
     * its own templates; another domain of the same session neither. */
    struct msgs a = {0}, b = {0}, c = {0};
    make_uniform(&a, 1, 50, 4);
    make_uniform(&b, 1, 50, 5);
    make_uniform(&c, 2, 50, 6);
    struct ns_coll_session s1, s2;
    struct ns_coll_limits l;
    struct ns_error err;
    ns_coll_limits_default(&l);
    assert_int_equal(ns_coll_session_init(&s1, 1, 1, &l, &err), 0);
    assert_int_equal(ns_coll_session_init(&s2, 2, 1, &l, &err), 0);
    struct logbook lb = {0};
    for (int i = 0; i < a.n; i++)
        feed(&s1, &a, i, 0, &lb);
    assert_int_equal(s1.st.records, 50);
    /* session 2 gets b without its first message (the templates) */
    for (int i = 1; i < b.n; i++)
        feed(&s2, &b, i, 0, &lb);
    assert_int_equal(s2.st.records, 0);
    assert_int_equal(s2.st.unknown_sets, (uint64_t)(b.n - 1));
    /* domain 2 on session 1, without its templates */
    for (int i = 1; i < c.n; i++)
        feed(&s1, &c, i, 0, &lb);
    assert_int_equal(s1.st.records, 50);
    assert_true(s1.st.unknown_sets > 0);
    ns_coll_session_fini(&s1);
    ns_coll_session_fini(&s2);
    free_msgs(&a);
    free_msgs(&b);
    free_msgs(&c);
}

/* A message of one template set withdrawing `tid`, then data of it. */
static void test_withdrawal_and_lifetime(void **state)
{
    struct msgs x = {0};
    make_uniform(&x, 3, 100, 7);
    struct ns_coll_session s;
    struct ns_coll_limits l;
    struct ns_error err;
    ns_coll_limits_default(&l);
    l.tmpl_lifetime_ns = 10ull * 1000000000u;
    assert_int_equal(ns_coll_session_init(&s, 1, 1, &l, &err), 0);
    struct logbook lb = {0};
    feed(&s, &x, 0, 0, &lb);
    feed(&s, &x, 1, 5ull * 1000000000u, &lb);
    assert_int_equal(s.st.expired_sets, 0);
    /* past the lifetime with no refresh: data sets are no longer decoded */
    int before = (int)s.st.records;
    feed(&s, &x, 2, 11ull * 1000000000u, &lb);
    assert_int_equal((int)s.st.records, before);
    assert_true(s.st.expired_sets > 0);
    ns_coll_session_fini(&s);

    /* withdrawal (RFC 7011 §8.1): all templates of the domain */
    assert_int_equal(ns_coll_session_init(&s, 1, 0, &l, &err), 0);
    feed(&s, &x, 0, 0, &lb);
    uint8_t w[16 + 8];
    struct ns_msg_enc e;
    assert_int_equal(ns_msg_enc_begin(&e, w, sizeof w, 3, ns_be32(x.m[1] + 8), &err), 0);
    ns_msg_enc_set_open(&e, NS_SET_TEMPLATE, 4);
    uint8_t *p = ns_msg_enc_reserve(&e, 4);
    ns_put16(p, NS_SET_TEMPLATE);
    ns_put16(p + 2, 0);
    size_t wl = ns_msg_enc_finish(&e, 0);
    struct ns_coll_handler h = {NULL, log_it, &lb, NULL, NULL};
    assert_int_equal(ns_coll_session_message(&s, w, wl, 0, &h, &err), 0);
    assert_int_equal(s.st.withdrawals, 1);
    assert_int_equal(ns_coll_session_templates(&s), 0);
    before = (int)s.st.records;
    feed(&s, &x, 1, 0, &lb);
    assert_int_equal((int)s.st.records, before);
    ns_coll_session_fini(&s);
    free_msgs(&x);
}

static void test_limits(void **state)
{
    struct ns_coll_session s;
    struct ns_coll_limits l;
    struct ns_error err;
    ns_coll_limits_default(&l);
    l.max_templates = 4;
    l.max_domains = 2;
    assert_int_equal(ns_coll_session_init(&s, 1, 1, &l, &err), 0);
    struct logbook lb = {0};
    struct ns_coll_handler h = {NULL, log_it, &lb, NULL, NULL};
    /* a template flood: 10 templates in one message */
    uint8_t m[2048];
    struct ns_msg_enc e;
    assert_int_equal(ns_msg_enc_begin(&e, m, sizeof m, 1, 0, &err), 0);
    ns_msg_enc_set_open(&e, NS_SET_TEMPLATE, 8);
    struct ns_field_spec f[2] = {{0, 8, 4}, {0, 12, 4}};
    for (int i = 0; i < 10; i++)
        assert_int_equal(ns_msg_enc_template(&e, (uint16_t)(256 + i), f, 2, 0), 0);
    size_t ml = ns_msg_enc_finish(&e, 0);
    assert_true(ns_coll_session_message(&s, m, ml, 0, &h, &err) < 0);
    assert_int_equal(ns_coll_session_templates(&s), 4);
    assert_int_equal(s.st.tmpl_refused, 1);
    /* domains beyond the limit */
    for (uint32_t d = 10; d < 14; d++) {
        assert_int_equal(ns_msg_enc_begin(&e, m, sizeof m, d, 0, &err), 0);
        ml = ns_msg_enc_finish(&e, 0);
        ns_coll_session_message(&s, m, ml, 0, &h, &err);
    }
    assert_int_equal(s.st.domain_refused, 3); /* domain 1 took one of the two */
    ns_coll_session_fini(&s);
}

static void test_malformed(void **state)
{
    struct msgs x = {0};
    make_stream(&x, 3, 30, 9);
    struct ns_coll_session s;
    struct ns_coll_limits l;
    struct ns_error err;
    ns_coll_limits_default(&l);
    assert_int_equal(ns_coll_session_init(&s, 1, 1, &l, &err), 0);
    struct logbook lb = {0};
    struct ns_coll_handler h = {NULL, log_it, &lb, NULL, NULL};
    uint8_t m[2048];
    memcpy(m, x.m[0], x.len[0]);
    /* truncated */
    assert_true(ns_coll_session_message(&s, m, x.len[0] - 5, 0, &h, &err) < 0);
    /* NetFlow v9 */
    ns_put16(m, 9);
    assert_true(ns_coll_session_message(&s, m, x.len[0], 0, &h, &err) < 0);
    ns_put16(m, 10);
    /* a set length that lies */
    ns_put16(m + 18, 0xFFF0);
    assert_true(ns_coll_session_message(&s, m, x.len[0], 0, &h, &err) < 0);
    assert_int_equal(s.st.malformed, 3);
    assert_int_equal(lb.lines, 3);
    /* the session still works */
    int n = 0;
    for (int i = 0; i < x.n; i++)
        n += feed(&s, &x, i, 0, &lb);
    assert_int_equal(n, 30);
    ns_coll_session_fini(&s);
    free_msgs(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_records_in_order),
        cmocka_unit_test(test_gap_counts_lost_records),
        cmocka_unit_test(test_late_and_restart),
        cmocka_unit_test(test_inclusive_sequence),
        cmocka_unit_test(test_templates_scoped),
        cmocka_unit_test(test_withdrawal_and_lifetime),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
