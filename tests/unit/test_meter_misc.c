/* Jitter, IP/MAC groups, malformed and non-IP packets, stats. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "meter_helpers.h"

static void jitter_values(void **state)
{
    struct ns_meter_config cfg;
    ns_meter_config_default(&cfg);
    cfg.status_ns = 1 * SEC;
    struct collector c;
    struct ns_meter *m = mk_meter(&cfg, &c);
    /* gaps 10, 20, 30 ms: mean 20000 µs, population stddev sqrt(200/3)*1000 µs */
    static const uint64_t at[] = {0, 10, 30, 60};
    for (int i = 0; i < 4; i++)
        FEED(m, mk_udp(T0 + at[i] * MS, "10.0.0.1", 1000, "10.0.0.2", 2000, 10));
    /* next record: one sample, the gap from the previous record's last packet */
    FEED(m, mk_udp(T0 + 1060 * MS, "10.0.0.1", 1000, "10.0.0.2", 2000, 10));
    FLUSH(m);
    assert_int_equal(c.n, 2);
    struct ns_record *r = &c.r[0];
    assert_true(r->present & NS_RG_JIT);
    assert_int_equal(r->dir[0].jit_n, 3);
    assert_float_equal(r->dir[0].jit_mean_us, 20000.0, 1e-6);
    assert_float_equal(r->dir[0].jit_stddev_us, 8164.96580927726, 1e-6);
    assert_int_equal(r->dir[1].jit_n, 0);
    assert_int_equal(c.r[1].dir[0].jit_n, 1);
    assert_float_equal(c.r[1].dir[0].jit_mean_us, 1000000.0, 1e-6);
    assert_float_equal(c.r[1].dir[0].jit_stddev_us, 0.0, 1e-9);
    ns_meter_destroy(m);
    collector_free(&c);
    /* a single packet: no jitter group */
    m = mk_meter(NULL, &c);
    FEED(m, mk_udp(T0, "10.0.0.1", 1000, "10.0.0.2", 2000, 10));
    FLUSH(m);
    assert_int_equal(c.r[0].present & NS_RG_JIT, 0);
    ns_meter_destroy(m);
    collector_free(&c);
}

static void ip_and_mac_groups(void **state)
{
    struct collector c;
    struct ns_meter *m = mk_meter(NULL, &c);
    /* responder speaks first (no SYN): it is the initiator; MACs of its first packet */
    struct ns_pkt a = mk_udp(T0, "10.0.0.1", 1000, "10.0.0.2", 2000, 10);
    memcpy(a.src_mac, "\x02\x00\x00\x00\x00\x01", 6);
    memcpy(a.dst_mac, "\x02\x00\x00\x00\x00\x02", 6);
    a.ttl = 60;
    a.tos = 0x10;
    struct ns_pkt b = a;
    b.ts_ns += MS;
    b.ttl = 50;
    b.tos = 0x20;
    memcpy(b.src_mac, "\x02\x00\x00\x00\x00\x09", 6);
    struct ns_pkt r = mk_udp(T0 + 2 * MS, "10.0.0.2", 2000, "10.0.0.1", 1000, 10);
    r.ttl = 255;
    FEED(m, a);
    FEED(m, b);
    FEED(m, r);
    /* a link without MACs */
    FEED(m, mk_udp(T0, "10.0.0.3", 1, "10.0.0.4", 2, 1));
    FLUSH(m);
    assert_int_equal(c.n, 2);
    for (size_t i = 0; i < c.n; i++) {
        struct ns_record *x = &c.r[i];
        if (x->sport == 1000) {
            assert_true(x->present & NS_RG_MAC);
            assert_memory_equal(x->smac, "\x02\x00\x00\x00\x00\x01", 6);
            assert_memory_equal(x->dmac, "\x02\x00\x00\x00\x00\x02", 6);
            assert_int_equal(x->dir[0].ttl_min, 50);
            assert_int_equal(x->dir[0].ttl_max, 60);
            assert_int_equal(x->dir[0].tos, 0x10);
            assert_int_equal(x->dir[1].ttl_min, 255);
        } else {
            assert_int_equal(x->present & NS_RG_MAC, 0);
        }
        assert_true(x->present & NS_RG_IP);
    }
    ns_meter_destroy(m);
    collector_free(&c);
}

static void malformed_and_non_ip(void **state)
{
    struct collector c;
    struct ns_meter *m = mk_meter(NULL, &c);
    struct ns_pkt arp;
    memset(&arp, 0, sizeof arp);
    arp.ts_ns = T0;
    arp.ethertype = 0x0806;
    arp.wirelen = 60;
    FEED(m, arp);
    /* broken TCP header: IP known, no transport: ports-0 flow, no TCP group */
    struct ns_pkt bad = mk_ip(T0, "10.0.0.1", "10.0.0.2", 6, 0, 3);
    bad.malformed = NS_MAL_TCP_TRUNC;
    FEED(m, bad);
    bad.ts_ns += MS;
    FEED(m, bad);
    /* ICMP with a cut header: type unknown (0), no echo pairing */
    struct ns_pkt bi = mk_ip(T0, "10.0.0.2", "10.0.0.1", 1, 0, 2);
    FEED(m, bi);
    FLUSH(m);
    struct ns_meter_stats st;
    ns_meter_get_stats(m, &st);
    assert_int_equal(st.packets, 4);
    assert_int_equal(st.non_ip, 1);
    assert_int_equal(st.no_l4, 3);
    assert_int_equal(c.n, 2);
    for (size_t i = 0; i < c.n; i++) {
        assert_int_equal(c.r[i].sport, 0);
        assert_int_equal(c.r[i].dport, 0);
        assert_int_equal(c.r[i].present & (NS_RG_TCP | NS_RG_LOSS), 0);
        if (c.r[i].proto == 6)
            assert_int_equal(c.r[i].dir[0].pkts, 2);
        else
            assert_int_equal(c.r[i].icmp_type, 0);
    }
    assert_true(st.memory_bytes > 0);
    assert_true(st.flow_bytes < st.flow_bytes + st.tcp_bytes);
    ns_meter_destroy(m);
    collector_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jitter_values),
        cmocka_unit_test(ip_and_mac_groups),
        cmocka_unit_test(malformed_and_non_ip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
