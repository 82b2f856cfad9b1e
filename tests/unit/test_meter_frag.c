/* IP fragments: in order, reversed, orphans (first never seen), table full. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "meter_helpers.h"

/* A fragment of a UDP datagram 10.0.0.1:5000 -> 10.0.0.2:6000 carrying `bytes` IP payload. */
static struct ns_pkt frag(uint64_t ts, uint32_t id, uint32_t off, int more, uint32_t bytes)
{
    struct ns_pkt p = mk_ip(ts, "10.0.0.1", "10.0.0.2", 17, 0, bytes);
    p.flags |= NS_PKT_F_FRAG;
    if (more)
        p.flags |= NS_PKT_F_FRAG_MORE;
    p.frag_id = id;
    p.frag_off = off;
    if (off == 0) {
        p.flags |= NS_PKT_F_FRAG_FIRST | NS_PKT_F_L4;
        p.sport = 5000;
        p.dport = 6000;
    }
    return p;
}

static void check_one_udp_flow(const struct collector *c, uint64_t pkts, uint64_t first)
{
    assert_int_equal(c->n, 1);
    assert_int_equal(c->r[0].sport, 5000);
    assert_int_equal(c->r[0].dport, 6000);
    assert_int_equal(c->r[0].dir[0].pkts, pkts);
    assert_int_equal(c->r[0].dir[0].octets, 3 * 20 + 3008);
    assert_int_equal(c->r[0].dir[0].first_ns, first);
}

static void in_order(void **state)
{
    struct collector c;
    struct ns_meter *m = mk_meter(NULL, &c);
    FEED(m, frag(T0, 77, 0, 1, 1480));
    FEED(m, frag(T0 + 1, 77, 1480, 1, 1480));
    FEED(m, frag(T0 + 2, 77, 2960, 0, 48));
    struct ns_meter_stats st;
    ns_meter_get_stats(m, &st);
    assert_int_equal(st.frag_hits, 2);
    assert_int_equal(st.frag_misses, 0);
    /* the datagram completed: its entry is gone, a stray copy is an orphan */
    FEED(m, frag(T0 + 3, 77, 1480, 1, 1480));
    ns_meter_get_stats(m, &st);
    assert_int_equal(st.frag_misses, 1);
    FLUSH(m);
    ns_meter_get_stats(m, &st);
    assert_int_equal(st.frag_orphans, 1);
    assert_int_equal(c.n, 2);
    assert_int_equal(sum_pkts(&c), 4);
    ns_meter_destroy(m);
    collector_free(&c);
}

static void reversed_order(void **state)
{
    struct collector c;
    struct ns_meter *m = mk_meter(NULL, &c);
    FEED(m, frag(T0, 9, 2960, 0, 48));
    FEED(m, frag(T0 + 1, 9, 1480, 1, 1480));
    struct ns_meter_stats st;
    ns_meter_get_stats(m, &st);
    assert_int_equal(st.frag_misses, 2);
    assert_int_equal(st.flows_created, 0);
    FEED(m, frag(T0 + 2, 9, 0, 1, 1480));
    FLUSH(m);
    check_one_udp_flow(&c, 3, T0);
    assert_int_equal(c.r[0].dir[0].last_ns, T0 + 2);
    ns_meter_get_stats(m, &st);
    assert_int_equal(st.frag_orphans, 0);
    ns_meter_destroy(m);
    collector_free(&c);
}

static void first_never_arrives(void **state)
{
    struct collector c;
    struct ns_meter *m = mk_meter(NULL, &c);
    FEED(m, frag(T0, 5, 1480, 1, 1480));
    FEED(m, frag(T0 + MS, 5, 2960, 0, 48));
    struct ns_error e = {0};
    assert_int_equal(ns_meter_advance(m, T0 + 15 * SEC - 1, &e), 0);
    struct ns_meter_stats st;
    ns_meter_get_stats(m, &st);
    assert_int_equal(st.frag_orphans, 0);
    assert_int_equal(ns_meter_advance(m, T0 + 15 * SEC, &e), 0);
    ns_meter_get_stats(m, &st);
    assert_int_equal(st.frag_orphans, 1);
    assert_int_equal(st.frag_orphan_pkts, 2);
    FLUSH(m);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.r[0].proto, 17);
    assert_int_equal(c.r[0].sport, 0);
    assert_int_equal(c.r[0].dport, 0);
    assert_int_equal(c.r[0].dir[0].pkts, 2);
    assert_int_equal(c.r[0].dir[0].octets, 1500 + 68);
    assert_int_equal(c.r[0].dir[0].first_ns, T0);
    assert_int_equal(c.r[0].dir[0].last_ns, T0 + MS);
    ns_meter_destroy(m);
    collector_free(&c);
}

static void table_full_evicts_oldest(void **state)
{
    struct ns_meter_config cfg;
    ns_meter_config_default(&cfg);
    cfg.max_frags = 2;
    struct collector c;
    struct ns_meter *m = mk_meter(&cfg, &c);
    FEED(m, frag(T0, 1, 1480, 1, 1480));
    FEED(m, frag(T0 + 1, 2, 1480, 1, 1480));
    FEED(m, frag(T0 + 2, 3, 1480, 1, 1480)); /* evicts datagram 1 */
    FEED(m, frag(T0 + 3, 1, 0, 1, 1480));    /* its first: a new entry, evicts 2 */
    FEED(m, frag(T0 + 4, 2, 0, 1, 1480));    /* too late for 2's pending: evicts 3 */
    struct ns_meter_stats st;
    ns_meter_get_stats(m, &st);
    assert_int_equal(st.frag_evictions, 3);
    FLUSH(m);
    assert_int_equal(sum_pkts(&c), 5);
    ns_meter_get_stats(m, &st);
    assert_int_equal(st.frag_orphan_pkts, 3); /* the pending fragments of 1, 2, 3 */
    assert_int_equal(c.n, 2);                 /* the ports-0 flow and the 5000->6000 flow */
    ns_meter_destroy(m);
    collector_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(in_order),
        cmocka_unit_test(reversed_order),
        cmocka_unit_test(first_never_arrives),
        cmocka_unit_test(table_full_evicts_oldest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
