#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "../common/rand_record.h"
#include "ipfix/tmpl.h"

/* Test resolver: ids 1..99 map to op 1 with dst = id / 10 (so 11 and 12
 * collide), prio = id % 10; everything else is unknown. */
static struct ns_tmpl_action resolve(void *ctx, const struct ns_field_spec *f)
{
    struct ns_tmpl_action a = {0};
    (void)ctx;
    if (f->pen == 0 && f->id >= 1 && f->id < 100 && f->len != NS_VARLEN) {
        a.op = 1;
        a.dst = f->id / 10;
        a.prio = f->id % 10;
        a.group = (uint16_t)(1u << (f->id / 10));
    }
    return a;
}

static void plan_compile(void **state)
{
    struct ns_tmpl_store *s;
    struct ns_error err;
    assert_int_equal(ns_tmpl_store_new(&s, 4, resolve, NULL, &err), 0);
    struct ns_tmpl_scope sc = {0, 1};
    /* unknown 200/2, unknown 201/4 (merged), 11/1, 12/2 (wins over 11), 300 var, 21/4 */
    struct ns_field_spec f[] = {{0, 200, 2}, {0, 201, 4},         {0, 11, 1},
                                {0, 12, 2},  {0, 300, NS_VARLEN}, {0, 21, 4}};
    const struct ns_tmpl *t;
    assert_int_equal(ns_tmpl_store_add(s, &sc, 256, 0, f, 6, &t, &err), 0);
    assert_int_equal(t->nfields, 6);
    assert_int_equal(t->unknown, 3);
    assert_int_equal(t->fixed, 0);
    assert_int_equal(t->min_len, 2 + 4 + 1 + 2 + 1 + 4);
    assert_int_equal(t->present, (1u << 1) | (1u << 2));
    /* steps: skip 200+201+11 (11 lost to 12 and merged) | 12 | var | 21 */
    assert_int_equal(t->nsteps, 4);
    assert_int_equal(t->steps[0].len, 7);
    assert_int_equal(t->steps[0].act.op, 0);
    assert_int_equal(t->steps[1].len, 2);
    assert_int_equal(t->steps[1].act.op, 1);
    assert_int_equal(t->steps[1].act.dst, 1);
    assert_int_equal(t->steps[2].len, NS_VARLEN);
    assert_int_equal(t->steps[3].act.dst, 2);
    assert_ptr_equal(ns_tmpl_store_get(s, &sc, 256), t);

    /* fixed template: offsets */
    struct ns_field_spec g[] = {{0, 31, 4}, {0, 500, 8}, {0, 41, 2}};
    assert_int_equal(ns_tmpl_store_add(s, &sc, 257, 0, g, 3, &t, &err), 0);
    assert_int_equal(t->fixed, 1);
    assert_int_equal(t->min_len, 14);
    assert_int_equal(t->steps[2].off, 12);

    /* empty records are rejected */
    struct ns_field_spec z[] = {{0, 31, 0}, {0, 500, 0}};
    assert_int_equal(ns_tmpl_store_add(s, &sc, 258, 0, z, 2, &t, &err), NS_EFORMAT);
    /* bad ids / counts */
    assert_int_equal(ns_tmpl_store_add(s, &sc, 255, 0, g, 3, NULL, &err), NS_EINVAL);
    assert_int_equal(ns_tmpl_store_add(s, &sc, 259, 0, g, 0, NULL, &err), NS_EINVAL);
    ns_tmpl_store_free(s);
}

static void bounds(void **state)
{
    struct ns_tmpl_store *s;
    struct ns_error err;
    assert_int_equal(ns_tmpl_store_new(&s, 3, resolve, NULL, &err), 0);
    struct ns_tmpl_scope sc = {0, 0};
    struct ns_field_spec f = {0, 1, 4};
    for (uint16_t i = 0; i < 3; i++)
        assert_int_equal(ns_tmpl_store_add(s, &sc, 256 + i, 0, &f, 1, NULL, &err), 0);
    assert_int_equal(ns_tmpl_store_add(s, &sc, 300, 0, &f, 1, NULL, &err), NS_EFULL);
    assert_non_null(strstr(err.msg, "full"));
    /* replacing an existing one is fine when full */
    assert_int_equal(ns_tmpl_store_add(s, &sc, 257, 0, &f, 1, NULL, &err), 0);
    assert_int_equal(ns_tmpl_store_count(s), 3);
    /* too many fields */
    static struct ns_field_spec many[NS_TMPL_MAX_FIELDS + 1];
    for (size_t i = 0; i < NS_TMPL_MAX_FIELDS + 1; i++)
        many[i] = (struct ns_field_spec){0, 1, 1};
    assert_int_equal(ns_tmpl_store_add(s, &sc, 257, 0, many, NS_TMPL_MAX_FIELDS + 1, NULL, &err),
                     NS_EFULL);
    assert_int_equal(ns_tmpl_store_add(s, &sc, 257, 0, many, NS_TMPL_MAX_FIELDS, NULL, &err), 0);
    /* withdraw all of the scope frees room; other scopes untouched */
    struct ns_tmpl_scope other = {1, 0};
    assert_int_equal(ns_tmpl_store_withdraw(s, &sc, 258), 1);
    assert_int_equal(ns_tmpl_store_add(s, &other, 256, 0, &f, 1, NULL, &err), 0);
    assert_int_equal(ns_tmpl_store_withdraw(s, &sc, NS_SET_TEMPLATE), 2);
    assert_int_equal(ns_tmpl_store_count(s), 1);
    assert_null(ns_tmpl_store_get(s, &sc, 256));
    assert_non_null(ns_tmpl_store_get(s, &other, 256));
    ns_tmpl_store_free(s);
}

/* Random add / withdraw / withdraw-all against a naive array model. */
struct model {
    int live;
    uint32_t session, od;
    uint16_t tid, nfields;
    uint8_t options;
};

static void against_naive(void **state)
{
    enum { MAX = 40, KEYS = 3 * 3 * 60 };
    static struct model m[KEYS];
    memset(m, 0, sizeof m);
    struct ns_tmpl_store *s;
    struct ns_error err;
    assert_int_equal(ns_tmpl_store_new(&s, MAX, resolve, NULL, &err), 0);
    uint64_t seed = 12345;
    struct ns_field_spec f[8];
    for (int i = 0; i < 8; i++)
        f[i] = (struct ns_field_spec){0, (uint16_t)(i + 1), 2};
    size_t live = 0;
    for (int step = 0; step < 200000; step++) {
        uint32_t session = (uint32_t)rr_below(&seed, 3), od = (uint32_t)rr_below(&seed, 3);
        uint16_t tid = (uint16_t)(256 + rr_below(&seed, 60));
        struct model *e = &m[(session * 3 + od) * 60 + (tid - 256)];
        struct ns_tmpl_scope sc = {session, od};
        uint64_t op = rr_below(&seed, 100);
        if (op < 60) {
            uint16_t n = (uint16_t)(1 + rr_below(&seed, 8));
            uint16_t scope = rr_below(&seed, 4) == 0 ? 1 : 0;
            int rc = ns_tmpl_store_add(s, &sc, tid, scope, f, n, NULL, &err);
            if (!e->live && live >= MAX) {
                assert_int_equal(rc, NS_EFULL);
            } else {
                assert_int_equal(rc, 0);
                if (!e->live)
                    live++;
                *e = (struct model){1, session, od, tid, n, (uint8_t)(scope > 0)};
            }
        } else if (op < 95) {
            int rc = ns_tmpl_store_withdraw(s, &sc, tid);
            assert_int_equal(rc, e->live);
            if (e->live)
                live--;
            e->live = 0;
        } else if (op < 97) {
            int options = op == 96;
            int want = 0;
            for (size_t k = 0; k < KEYS; k++) {
                if (m[k].live && m[k].session == session && m[k].od == od &&
                    m[k].options == options) {
                    m[k].live = 0;
                    want++;
                }
            }
            live -= (size_t)want;
            assert_int_equal(ns_tmpl_store_withdraw(s, &sc, options ? 3 : 2), want);
        } else {
            const struct ns_tmpl *t = ns_tmpl_store_get(s, &sc, tid);
            if (!e->live) {
                assert_null(t);
            } else {
                assert_non_null(t);
                assert_int_equal(t->nfields, e->nfields);
                assert_int_equal(t->options, e->options);
            }
        }
        assert_int_equal(ns_tmpl_store_count(s), live);
    }
    for (size_t k = 0; k < KEYS; k++) {
        struct ns_tmpl_scope sc = {m[k].session, m[k].od};
        if (m[k].live)
            assert_int_equal(ns_tmpl_store_get(s, &sc, m[k].tid)->nfields, m[k].nfields);
    }
    ns_tmpl_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plan_compile),
        cmocka_unit_test(bounds),
        cmocka_unit_test(against_naive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
