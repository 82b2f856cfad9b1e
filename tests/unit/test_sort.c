/*
 * Sorting (analysis/sort.h): default directions by field kind, absent
 * values last in either direction, stability, and the top-N heap against
 * the full stable sort on random records; ns_field_kind on a table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/sort.h"

static struct ns_record rec(uint64_t bytes, uint8_t last_octet, int with_loss, int64_t loss)
{
    struct ns_record r;
    ns_record_clear(&r);
    r.present = NS_RG_KEY | NS_RG_COUNT | (with_loss ? NS_RG_LOSS : 0);
    r.ip_version = 4;
    r.proto = 6;
    r.saddr[0] = 10;
    r.saddr[3] = last_octet;
    r.dir[0].octets = bytes;
    r.dir[0].pkts = 1;
    r.dir[0].loss_pkts = loss;
    r.flow_id = last_octet; /* identifies the record in the checks */
    return r;
}

static void kinds(void **state)
{
    static const struct {
        const char *name;
        enum ns_value_kind kind;
    } t[] = {{"pkts", NS_V_U64},   {"loss", NS_V_I64},   {"dur", NS_V_F64},
             {"stime", NS_V_TIME}, {"saddr", NS_V_ADDR}, {"smac", NS_V_MAC},
             {"proto", NS_V_STR},  {"icmptc", NS_V_U64}, {"srcv6", NS_V_ADDR}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        assert_int_equal(ns_field_kind(ns_field_find(t[i].name)), t[i].kind);
}

static void defaults_and_absent(void **state)
{
    struct ns_sort_spec s;
    struct ns_error err = {0};
    assert_int_equal(ns_sort_parse(&s, "bytes,saddr,loss,stime,sport:desc", &err), 0);
    assert_int_equal(s.desc[0], 1); /* quantities: largest first */
    assert_int_equal(s.desc[1], 0); /* identities ascending */
    assert_int_equal(s.desc[2], 1);
    assert_int_equal(s.desc[3], 0); /* times ascending */
    assert_int_equal(s.desc[4], 1); /* explicit */
    assert_true(ns_sort_parse(&s, "bogus", &err) < 0);
    assert_true(ns_sort_parse(&s, "bytes:up", &err) < 0);
    /* loss descending; records without loss after all that have it, and
     * ties (equal bytes) keep input order */
    struct ns_record r[6] = {rec(5, 1, 0, 0), rec(5, 2, 1, -3), rec(9, 3, 1, 4),
                             rec(5, 4, 0, 0), rec(1, 5, 1, 4),  rec(5, 6, 1, 0)};
    assert_int_equal(ns_sort_parse(&s, "loss", &err), 0);
    assert_int_equal(ns_sort_records(&s, r, 6, &err), 0);
    static const uint64_t want[] = {3, 5, 6, 2, 1, 4};
    for (int i = 0; i < 6; i++)
        assert_int_equal(r[i].flow_id, want[i]);
    assert_int_equal(ns_sort_parse(&s, "loss:asc", &err), 0);
    assert_int_equal(ns_sort_records(&s, r, 6, &err), 0);
    static const uint64_t want_asc[] = {2, 6, 3, 5, 1, 4}; /* absent still last */
    for (int i = 0; i < 6; i++)
        assert_int_equal(r[i].flow_id, want_asc[i]);
}

static void top_equals_sort(void **state)
{
    srand(5);
    static const char *const specs[] = {"bytes", "loss,saddr", "saddr:desc,bytes", "dur"};
    for (int round = 0; round < 40; round++) {
        size_t n = 1 + (size_t)(rand() % 600), k = 1 + (size_t)(rand() % 50);
        struct ns_record *r = calloc(n, sizeof *r);
        for (size_t i = 0; i < n; i++) {
            r[i] = rec((uint64_t)(rand() % 20), (uint8_t)(rand() % 7), rand() % 3 != 0,
                       rand() % 5 - 2);
            r[i].flow_id = i;
        }
        struct ns_sort_spec s;
        struct ns_error err = {0};
        assert_int_equal(ns_sort_parse(&s, specs[round % 4], &err), 0);
        struct ns_sort_top *t;
        assert_int_equal(ns_sort_top_create(&t, &s, k, &err), 0);
        for (size_t i = 0; i < n; i++)
            ns_sort_top_add(t, &r[i]);
        size_t got;
        const struct ns_record *top = ns_sort_top_result(t, &got);
        assert_int_equal(ns_sort_records(&s, r, n, &err), 0);
        assert_int_equal(got, n < k ? n : k);
        for (size_t i = 0; i < got; i++)
            assert_int_equal(top[i].flow_id, r[i].flow_id);
        for (size_t i = 1; i < n; i++) /* stable: ties in input order */
            if (!ns_sort_cmp(&s, &r[i - 1], &r[i]))
                assert_true(r[i - 1].flow_id < r[i].flow_id);
        ns_sort_top_free(t);
        free(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kinds),
        cmocka_unit_test(defaults_and_absent),
        cmocka_unit_test(top_equals_sort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
