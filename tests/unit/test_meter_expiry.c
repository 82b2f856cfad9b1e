/* Idle, active (status), linger and forced expiry; cache-full policy; sink errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "meter_helpers.h"

static struct ns_meter_config cfg_default(void)
{
    struct ns_meter_config c;
    ns_meter_config_default(&c);
    return c;
}

static void advance(struct ns_meter *m, uint64_t t)
{
    struct ns_error e = {0};
    assert_int_equal(ns_meter_advance(m, t, &e), 0);
}

static void idle_timeouts(void **state)
{
    struct ns_meter_config cfg = cfg_default();
    struct collector c;
    struct ns_meter *m = mk_meter(&cfg, &c);
    FEED(m, mk_udp(T0, "10.0.0.1", 1000, "10.0.0.2", 2000, 10));
    FEED(m, mk_udp(T0 + 5 * SEC, "10.0.0.2", 2000, "10.0.0.1", 1000, 10));
    FEED(m, mk_tcp(T0 + 5 * SEC, "10.0.0.1", 1000, "10.0.0.2", 80, F_ACK, 1, 1, 10));
    advance(m, T0 + 35 * SEC - 1);
    assert_int_equal(c.n, 0);
    advance(m, T0 + 35 * SEC); /* 30 s after the UDP flow's last packet */
    assert_int_equal(c.n, 1);
    assert_int_equal(c.r[0].proto, 17);
    assert_int_equal(c.r[0].end_reason, NS_END_IDLE);
    assert_int_equal(c.r[0].dir[1].pkts, 1);
    advance(m, T0 + 65 * SEC - 1);
    assert_int_equal(c.n, 1);
    advance(m, T0 + 65 * SEC); /* TCP idle timeout is 60 s */
    assert_int_equal(c.n, 2);
    assert_int_equal(c.r[1].proto, 6);
    assert_int_equal(c.r[1].end_reason, NS_END_IDLE);
    struct ns_meter_stats st;
    ns_meter_get_stats(m, &st);
    assert_int_equal(st.records[NS_END_IDLE], 2);
    assert_int_equal(st.flows_active, 0);
    ns_meter_destroy(m);
    collector_free(&c);
}

static void status_records_carry_deltas(void **state)
{
    struct ns_meter_config cfg = cfg_default();
    cfg.status_ns = 1 * SEC;
    struct collector c;
    struct ns_meter *m = mk_meter(&cfg, &c);
    for (int i = 0; i < 35; i++) /* every 100 ms for 3.5 s */
        FEED(m, mk_udp(T0 + (uint64_t)i * 100 * MS, "10.0.0.1", 1000, "10.0.0.2", 2000, 10));
    FLUSH(m);
    assert_int_equal(c.n, 4);
    static const uint64_t want[4] = {10, 10, 10, 5};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(c.r[i].end_reason, i < 3 ? NS_END_ACTIVE : NS_END_FORCED);
        assert_int_equal(c.r[i].flow_id, c.r[0].flow_id);
        assert_int_equal(c.r[i].dir[0].pkts, want[i]);
        assert_int_equal(c.r[i].dir[0].octets, want[i] * 38);
        assert_int_equal(c.r[i].dir[0].first_ns, T0 + (uint64_t)i * SEC);
        assert_int_equal(c.r[i].dir[1].first_ns, 0);
    }
    assert_int_equal(c.r[3].dir[0].last_ns, T0 + 3400 * MS);
    ns_meter_destroy(m);
    collector_free(&c);
}

static void status_only_with_activity(void **state)
{
    struct ns_meter_config cfg = cfg_default();
    cfg.status_ns = 1 * SEC;
    struct collector c;
    struct ns_meter *m = mk_meter(&cfg, &c);
    FEED(m, mk_udp(T0, "10.0.0.1", 1000, "10.0.0.2", 2000, 10));
    FEED(m, mk_udp(T0 + 500 * MS, "10.0.0.1", 1000, "10.0.0.2", 2000, 10));
    advance(m, T0 + 5 * SEC); /* one report, then the clock jumped */
    assert_int_equal(c.n, 1);
    assert_int_equal(c.r[0].end_reason, NS_END_ACTIVE);
    assert_int_equal(c.r[0].dir[0].pkts, 2);
    advance(m, T0 + 10 * SEC); /* nothing happened: no record */
    assert_int_equal(c.n, 1);
    /* after the jump the next report is status_ns after it (6 s), then 7 s ... */
    FEED(m, mk_udp(T0 + 10 * SEC + 1, "10.0.0.1", 1000, "10.0.0.2", 2000, 10));
    advance(m, T0 + 11 * SEC);
    assert_int_equal(c.n, 2);
    FLUSH(m);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.r[2].end_reason, NS_END_FORCED);
    assert_int_equal(c.r[2].dir[0].pkts, 0); /* the end marker */
    assert_int_equal(c.r[2].dir[0].first_ns, 0);
    ns_meter_destroy(m);
    collector_free(&c);
}

static void tcp_close(struct ns_meter *m, uint64_t t, const char *cli, uint16_t cp)
{
    FEED(m, mk_tcp(t, cli, cp, "10.0.0.2", 80, F_SYN, 100, 0, 0));
    FEED(m, mk_tcp(t + MS, "10.0.0.2", 80, cli, cp, F_SYN | F_ACK, 500, 101, 0));
    FEED(m, mk_tcp(t + 2 * MS, cli, cp, "10.0.0.2", 80, F_ACK, 101, 501, 0));
    FEED(m, mk_tcp(t + 3 * MS, cli, cp, "10.0.0.2", 80, F_FIN | F_ACK, 101, 501, 0));
    FEED(m, mk_tcp(t + 4 * MS, "10.0.0.2", 80, cli, cp, F_FIN | F_ACK, 501, 102, 0));
    /* the last ACK acknowledges the second FIN: closed (tcp.h) */
    FEED(m, mk_tcp(t + 5 * MS, cli, cp, "10.0.0.2", 80, F_ACK, 102, 502, 0));
}

static void linger_then_eof(void **state)
{
    struct ns_meter_config cfg = cfg_default();
    struct collector c;
    struct ns_meter *m = mk_meter(&cfg, &c);
    uint64_t t = T0;
    tcp_close(m, t, "10.0.0.1", 4000);
    /* a retransmitted FIN is absorbed by the linger */
    FEED(m, mk_tcp(t + 1 * SEC, "10.0.0.2", 80, "10.0.0.1", 4000, F_FIN | F_ACK, 501, 102, 0));
    advance(m, t + 5 * MS + 3 * SEC - 1);
    assert_int_equal(c.n, 0);
    advance(m, t + 5 * MS + 3 * SEC); /* linger counts from the closing packet */
    assert_int_equal(c.n, 1);
    struct ns_record *r = &c.r[0];
    assert_int_equal(r->end_reason, NS_END_EOF);
    assert_int_equal(r->dir[0].pkts, 4);
    assert_int_equal(r->dir[1].pkts, 3);
    assert_int_equal(r->dir[1].retrans_pkts, 1);
    assert_int_equal(r->syn_seen, 1);
    /* RST closes too */
    FEED(m, mk_tcp(t + 10 * SEC, "10.0.0.1", 4001, "10.0.0.2", 80, F_SYN, 7, 0, 0));
    FEED(m, mk_tcp(t + 10 * SEC + MS, "10.0.0.2", 80, "10.0.0.1", 4001, F_RST | F_ACK, 0, 8, 0));
    advance(m, t + 14 * SEC);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.r[1].end_reason, NS_END_EOF);
    assert_int_equal(c.r[1].dir[1].tcp_flags, F_RST | F_ACK);
    ns_meter_destroy(m);
    collector_free(&c);
}

/* zeek-tcp-reassembly.pcap, frames 110-116: the client's FIN is never
 * acknowledged, so the connection is not closed; the client's resends
 * seconds later are retransmissions of the same flow, not a new flow. */
static void unacked_fin_keeps_the_flow_open(void **state)
{
    struct ns_meter_config cfg = cfg_default();
    struct collector c;
    struct ns_meter *m = mk_meter(&cfg, &c);
    uint64_t t = T0;
    FEED(m, mk_tcp(t, "10.0.0.1", 4000, "10.0.0.2", 80, F_SYN, 100, 0, 0));
    FEED(m, mk_tcp(t + MS, "10.0.0.2", 80, "10.0.0.1", 4000, F_SYN | F_ACK, 500, 101, 0));
    FEED(m, mk_tcp(t + 2 * MS, "10.0.0.1", 4000, "10.0.0.2", 80, F_ACK, 101, 501, 0));
    /* server closes its side; client acks it */
    FEED(m, mk_tcp(t + 3 * MS, "10.0.0.2", 80, "10.0.0.1", 4000, F_FIN | F_ACK, 501, 101, 0));
    FEED(m, mk_tcp(t + 4 * MS, "10.0.0.1", 4000, "10.0.0.2", 80, F_ACK, 101, 502, 0));
    /* client sends data and its FIN: never acknowledged */
    FEED(m, mk_tcp(t + 5 * MS, "10.0.0.1", 4000, "10.0.0.2", 80, F_FIN | F_ACK | F_PSH, 101, 502,
                   100));
    advance(m, t + 5 * SEC); /* past the 3 s linger */
    assert_int_equal(c.n, 0);
    for (int k = 0; k < 3; k++) /* the client resends */
        FEED(m, mk_tcp(t + (6 + k) * SEC, "10.0.0.1", 4000, "10.0.0.2", 80, F_FIN | F_ACK | F_PSH,
                       101, 502, 100));
    assert_int_equal(c.n, 0);
    advance(m, t + 8 * SEC + cfg.tcp_idle_ns);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.r[0].dir[0].retrans_pkts, 3);
    assert_int_equal(c.r[0].dir[0].pkts, 7);
    assert_int_equal(c.r[0].end_reason, NS_END_EOF); /* FINs both ways, then idle */
    ns_meter_destroy(m);
    collector_free(&c);
}

static void new_syn_during_linger_starts_new_flow(void **state)
{
    struct collector c;
    struct ns_meter *m = mk_meter(NULL, &c);
    tcp_close(m, T0, "10.0.0.1", 4000);
    /* resent SYN of the old connection (same ISN): absorbed */
    FEED(m, mk_tcp(T0 + 100 * MS, "10.0.0.1", 4000, "10.0.0.2", 80, F_SYN, 100, 0, 0));
    assert_int_equal(c.n, 0);
    /* port reuse: a SYN with a new ISN */
    FEED(m, mk_tcp(T0 + 200 * MS, "10.0.0.1", 4000, "10.0.0.2", 80, F_SYN, 90000, 0, 0));
    assert_int_equal(c.n, 1);
    assert_int_equal(c.r[0].end_reason, NS_END_EOF);
    assert_int_equal(c.r[0].dir[0].pkts, 5); /* SYN, ACK, FIN, last ACK, resent SYN */
    FLUSH(m);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.r[1].end_reason, NS_END_FORCED);
    assert_int_equal(c.r[1].dir[0].pkts, 1);
    assert_true(c.r[1].flow_id > c.r[0].flow_id);
    ns_meter_destroy(m);
    collector_free(&c);
}

static void flush_reasons(void **state)
{
    struct collector c;
    struct ns_meter *m = mk_meter(NULL, &c);
    tcp_close(m, T0, "10.0.0.1", 4000); /* lingering at flush */
    FEED(m, mk_udp(T0, "10.0.0.1", 1000, "10.0.0.2", 2000, 10));
    FLUSH(m);
    assert_int_equal(c.n, 2);
    int eof = 0, forced = 0;
    for (size_t i = 0; i < c.n; i++) {
        eof += c.r[i].end_reason == NS_END_EOF && c.r[i].proto == 6;
        forced += c.r[i].end_reason == NS_END_FORCED && c.r[i].proto == 17;
    }
    assert_int_equal(eof, 1);
    assert_int_equal(forced, 1);
    /* the meter is empty and usable afterwards */
    FEED(m, mk_udp(T0 + SEC, "10.0.0.1", 1000, "10.0.0.2", 2000, 10));
    FLUSH(m);
    assert_int_equal(c.n, 3);
    ns_meter_destroy(m);
    collector_free(&c);
}

static void cache_full_evicts_lru(void **state)
{
    struct ns_meter_config cfg = cfg_default();
    cfg.max_flows = 4;
    struct collector c;
    struct ns_meter *m = mk_meter(&cfg, &c);
    uint64_t pkts = 0;
    for (int i = 0; i < 4; i++, pkts++)
        FEED(m,
             mk_udp(T0 + (uint64_t)i * MS, "10.0.0.1", (uint16_t)(1000 + i), "10.0.0.2", 53, 10));
    FEED(m, mk_udp(T0 + 10 * MS, "10.0.0.2", 53, "10.0.0.1", 1000, 10)); /* flow 0 used again */
    pkts++;
    FEED(m, mk_udp(T0 + 11 * MS, "10.0.0.1", 2000, "10.0.0.2", 53, 10)); /* 5th flow */
    pkts++;
    assert_int_equal(c.n, 1);
    assert_int_equal(c.r[0].end_reason, NS_END_RESOURCE);
    assert_int_equal(c.r[0].sport, 1001); /* least recently used */
    FEED(m, mk_udp(T0 + 12 * MS, "10.0.0.1", 2001, "10.0.0.2", 53, 10));
    pkts++;
    assert_int_equal(c.n, 2);
    assert_int_equal(c.r[1].sport, 1002);
    struct ns_meter_stats st;
    ns_meter_get_stats(m, &st);
    assert_int_equal(st.cache_full, 2);
    assert_int_equal(st.records[NS_END_RESOURCE], 2);
    assert_int_equal(st.flows_active, 4);
    FLUSH(m);
    assert_int_equal(sum_pkts(&c), pkts); /* nothing lost */
    ns_meter_destroy(m);
    collector_free(&c);
}

static void cache_full_takes_lingering_first(void **state)
{
    struct ns_meter_config cfg = cfg_default();
    cfg.max_flows = 2;
    struct collector c;
    struct ns_meter *m = mk_meter(&cfg, &c);
    FEED(m, mk_udp(T0, "10.0.0.1", 1000, "10.0.0.2", 53, 10)); /* the LRU */
    tcp_close(m, T0 + MS, "10.0.0.1", 4000);
    FEED(m, mk_udp(T0 + 10 * MS, "10.0.0.1", 1001, "10.0.0.2", 53, 10));
    assert_int_equal(c.n, 1);
    assert_int_equal(c.r[0].proto, 6);
    assert_int_equal(c.r[0].end_reason, NS_END_EOF);
    ns_meter_destroy(m);
    collector_free(&c);
}

static void tcp_pool_full_evicts_lru_tcp(void **state)
{
    struct ns_meter_config cfg = cfg_default();
    cfg.max_flows = 8;
    cfg.max_tcp = 2;
    struct collector c;
    struct ns_meter *m = mk_meter(&cfg, &c);
    FEED(m, mk_udp(T0, "10.0.0.1", 1000, "10.0.0.2", 53, 10));
    FEED(m, mk_tcp(T0 + 1 * MS, "10.0.0.1", 4000, "10.0.0.2", 80, F_SYN, 1, 0, 0));
    FEED(m, mk_tcp(T0 + 2 * MS, "10.0.0.1", 4001, "10.0.0.2", 80, F_SYN, 1, 0, 0));
    FEED(m, mk_tcp(T0 + 3 * MS, "10.0.0.1", 4002, "10.0.0.2", 80, F_SYN, 1, 0, 0));
    assert_int_equal(c.n, 1);
    assert_int_equal(c.r[0].sport, 4000);
    assert_int_equal(c.r[0].end_reason, NS_END_RESOURCE);
    struct ns_meter_stats st;
    ns_meter_get_stats(m, &st);
    assert_int_equal(st.tcp_full, 1);
    assert_int_equal(st.cache_full, 0);
    assert_true(st.tcp_bytes > 0 && st.flow_bytes > 0);
    FLUSH(m);
    assert_int_equal(sum_pkts(&c), 4);
    ns_meter_destroy(m);
    collector_free(&c);
}

static void sink_error_propagates(void **state)
{
    struct collector c;
    struct ns_meter *m = mk_meter(NULL, &c);
    c.fail_at = 1;
    FEED(m, mk_udp(T0, "10.0.0.1", 1000, "10.0.0.2", 53, 10));
    FEED(m, mk_udp(T0, "10.0.0.1", 1001, "10.0.0.2", 53, 10));
    struct ns_error e = {0};
    assert_int_equal(ns_meter_flush(m, &e), NS_EIO);
    assert_string_equal(e.msg, "sink refused record 1");
    c.fail_at = 0;
    /* the other flow is still there, and still found by its key (the
     * flush had emptied the hash table): this packet joins it */
    FEED(m, mk_udp(T0 + 1, "10.0.0.1", 1001, "10.0.0.2", 53, 10));
    FLUSH(m);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.r[0].dir[0].pkts, 2);
    ns_meter_destroy(m);
    collector_free(&c);
}

static void bad_config_rejected(void **state)
{
    struct ns_meter_config cfg = cfg_default();
    struct ns_meter *m = (struct ns_meter *)1;
    struct ns_error e = {0};
    cfg.max_flows = 0;
    assert_int_equal(ns_meter_create(&m, &cfg, collect, NULL, &e), NS_EINVAL);
    assert_null(m);
    assert_true(strlen(e.msg) > 0);
    cfg = cfg_default();
    assert_int_equal(ns_meter_create(&m, &cfg, NULL, NULL, &e), NS_EINVAL);
}

static void flow_ids_unique_increasing(void **state)
{
    struct collector c;
    struct ns_meter *m = mk_meter(NULL, &c);
    for (int i = 0; i < 10; i++)
        FEED(m, mk_udp(T0 + (uint64_t)i, "10.0.0.1", (uint16_t)(1000 + i), "10.0.0.2", 53, 1));
    FLUSH(m);
    assert_int_equal(c.n, 10);
    for (size_t i = 0; i < c.n; i++)
        for (size_t j = 0; j < c.n; j++)
            if (c.r[i].sport < c.r[j].sport)
                assert_true(c.r[i].flow_id < c.r[j].flow_id);
    ns_meter_destroy(m);
    collector_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(idle_timeouts),
        cmocka_unit_test(status_records_carry_deltas),
        cmocka_unit_test(status_only_with_activity),
        cmocka_unit_test(linger_then_eof),
        cmocka_unit_test(unacked_fin_keeps_the_flow_open),
        cmocka_unit_test(new_syn_during_linger_starts_new_flow),
        cmocka_unit_test(flush_reasons),
        cmocka_unit_test(cache_full_evicts_lru),
        cmocka_unit_test(cache_full_takes_lingering_first),
        cmocka_unit_test(tcp_pool_full_evicts_lru_tcp),
        cmocka_unit_test(sink_error_propagates),
        cmocka_unit_test(bad_config_rejected),
        cmocka_unit_test(flow_ids_unique_increasing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
