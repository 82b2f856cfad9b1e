/* record/fields and analysis/output: names, units, absence, formats. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/output.h"
#include "record/fields.h"

static void full_record(struct ns_record *r)
{
    ns_record_clear(r);
    r->present = NS_RG_KEY | NS_RG_COUNT | NS_RG_TIME | NS_RG_IP | NS_RG_TCP | NS_RG_LOSS |
                 NS_RG_RTT | NS_RG_JIT | NS_RG_MAC;
    r->ip_version = 4;
    r->proto = 6;
    r->sport = 40000;
    r->dport = 443;
    const uint8_t s[4] = {192, 0, 2, 1}, d[4] = {198, 51, 100, 7};
    memcpy(r->saddr, s, 4);
    memcpy(r->daddr, d, 4);
    r->flow_id = 42;
    r->end_reason = 3;
    r->syn_seen = 1;
    r->synack_us = 1500;
    r->ackdat_us = 250;
    r->loss_source = 1;
    r->dir[0] = (struct ns_record_dir){.pkts = 10,
                                       .octets = 1000,
                                       .l2_octets = 1140,
                                       .first_ns = 1700000000123456789ull,
                                       .last_ns = 1700000002123456789ull,
                                       .ttl_min = 60,
                                       .ttl_max = 64,
                                       .tcp_flags = 0x1b,
                                       .tcp_init_flags = 0x02,
                                       .tcp_mss = 1460,
                                       .loss_pkts = -1,
                                       .retrans_pkts = 2,
                                       .jit_n = 9,
                                       .jit_mean_us = 2500.0,
                                       .jit_stddev_us = 500.0};
    r->dir[1] = (struct ns_record_dir){.pkts = 20,
                                       .octets = 30000,
                                       .l2_octets = 30280,
                                       .first_ns = 1700000000124956789ull,
                                       .last_ns = 1700000003000000000ull,
                                       .tcp_flags = 0x12,
                                       .loss_pkts = 3,
                                       .ooo_pkts = 1};
}

static const char *fmt(const char *field, const struct ns_record *r, int epoch, char *buf)
{
    const struct ns_field *f = ns_field_find(field);
    assert_non_null(f);
    struct ns_value v;
    if (!ns_field_get(f, r, &v))
        return NULL;
    ns_value_format(&v, epoch, buf, 128);
    return buf;
}

static void values_and_units(void **state)
{
    struct ns_record r;
    full_record(&r);
    char b[128];
    assert_string_equal(fmt("saddr", &r, 0, b), "192.0.2.1");
    assert_string_equal(fmt("sourceIPv4Address", &r, 0, b), "192.0.2.1");
    assert_null(fmt("sourceIPv6Address", &r, 0, b)); /* an IPv4 flow has none */
    assert_string_equal(fmt("proto", &r, 0, b), "tcp");
    assert_string_equal(fmt("protocolIdentifier", &r, 0, b), "6");
    assert_string_equal(fmt("pkts", &r, 0, b), "30");
    assert_string_equal(fmt("packetDeltaCount", &r, 0, b), "10");
    assert_string_equal(fmt("reverseOctetDeltaCount", &r, 0, b), "30000");
    assert_string_equal(fmt("loss", &r, 0, b), "2"); /* -1 + 3: signed sums */
    assert_string_equal(fmt("sloss", &r, 0, b), "-1");
    assert_string_equal(fmt("stime", &r, 0, b), "2023-11-14 22:13:20.123456789");
    assert_string_equal(fmt("stime", &r, 1, b), "1700000000.123456789");
    assert_string_equal(fmt("ltime", &r, 1, b), "1700000003.000000000");
    assert_string_equal(fmt("dur", &r, 0, b), "2.876543");
    assert_string_equal(fmt("synack", &r, 0, b), "0.001500"); /* seconds, as Argus */
    assert_string_equal(fmt("synAckMicroseconds", &r, 0, b), "1500");
    assert_string_equal(fmt("tcprtt", &r, 0, b), "0.001750");
    assert_string_equal(fmt("sjit", &r, 0, b), "0.500000"); /* ms, as Argus */
    assert_string_equal(fmt("sintpkt", &r, 0, b), "2.500000");
    assert_null(fmt("djit", &r, 0, b)); /* no samples in that direction */
    assert_string_equal(fmt("sflags", &r, 0, b), "FS.PA...");
    assert_string_equal(fmt("dir", &r, 0, b), "<->");
    assert_string_equal(fmt("state", &r, 0, b), "FIN");
    assert_string_equal(fmt("reason", &r, 0, b), "end");
    assert_string_equal(fmt("flowEndReason", &r, 0, b), "3");
    /* percent loss: lost / (seen + lost) */
    assert_string_equal(fmt("ploss", &r, 0, b), "6.250000");
    assert_string_equal(fmt("sport", &r, 0, b), "40000");
    r.present &= ~NS_RG_LOSS;
    assert_null(fmt("loss", &r, 0, b));
}

static void icmp_and_states(void **state)
{
    struct ns_record r;
    full_record(&r);
    r.present &= ~(NS_RG_TCP | NS_RG_LOSS);
    r.proto = 1;
    r.sport = r.dport = 0;
    r.icmp_type = 8;
    char b[128];
    assert_string_equal(fmt("sport", &r, 0, b), "8"); /* Argus: type in sport */
    assert_null(fmt("sourceTransportPort", &r, 0, b));
    assert_string_equal(fmt("icmpTypeCodeIPv4", &r, 0, b), "2048");
    assert_string_equal(fmt("state", &r, 0, b), "ECR");
    r.dir[1].pkts = 0;
    assert_string_equal(fmt("state", &r, 0, b), "ECO");
    assert_string_equal(fmt("dir", &r, 0, b), "->");
    r.proto = 17;
    assert_string_equal(fmt("state", &r, 0, b), "INT");
    r.proto = 6;
    r.present |= NS_RG_TCP;
    r.syn_seen = 0;
    r.dir[1].pkts = 5;
    r.dir[0].tcp_flags = 0x10;
    r.dir[1].tcp_flags = 0x10;
    assert_string_equal(fmt("dir", &r, 0, b), "<?>");
    assert_string_equal(fmt("state", &r, 0, b), "CON");
}

static void table_is_consistent(void **state)
{
    size_t n;
    const struct ns_field *t = ns_field_table(&n);
    struct ns_record r;
    full_record(&r);
    for (size_t i = 0; i < n; i++) {
        /* names unique across short and IE names */
        for (size_t j = i + 1; j < n; j++) {
            assert_string_not_equal(t[i].name, t[j].name);
            if (t[i].ie_name && t[j].ie_name)
                assert_string_not_equal(t[i].ie_name, t[j].ie_name);
        }
        assert_ptr_equal(ns_field_find(t[i].name), &t[i]);
        assert_true(t[i].width > 0 && t[i].help && *t[i].help);
        struct ns_value v;
        char b[128];
        if (ns_field_get(&t[i], &r, &v))
            assert_true(ns_value_format(&v, 0, b, sizeof b) > 0);
        /* an empty record has nothing but the always-present fields */
        struct ns_record e;
        ns_record_clear(&e);
        ns_field_get(&t[i], &e, &v);
    }
    assert_null(ns_field_find("nosuchfield"));
}

static char *print(enum ns_format f, const char *fields, const struct ns_record *r, int nrec)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    struct ns_printer p;
    struct ns_error err;
    assert_int_equal(ns_printer_init(&p, out, f, fields, &err), 0);
    for (int i = 0; i < nrec; i++)
        ns_printer_record(&p, r);
    assert_int_equal(ns_printer_finish(&p, &err), 0);
    fclose(out);
    return buf;
}

static void formats(void **state)
{
    struct ns_record r;
    full_record(&r);
    char *s = print(NS_FMT_CSV, "saddr,sport,sloss,djit,stime", &r, 2);
    assert_string_equal(s, "saddr,sport,sloss,djit,stime\n"
                           "192.0.2.1,40000,-1,,1700000000.123456789\n"
                           "192.0.2.1,40000,-1,,1700000000.123456789\n");
    free(s);
    s = print(NS_FMT_JSON, "saddr,pkts,djit,proto,dur", &r, 1);
    assert_string_equal(
        s, "{\"saddr\":\"192.0.2.1\",\"pkts\":30,\"proto\":\"tcp\",\"dur\":2.876543}\n");
    free(s);
    s = print(NS_FMT_TABLE, "proto,pkts", &r, 1);
    assert_string_equal(s, "proto  pkts\ntcp    30\n");
    free(s);
    struct ns_printer p;
    struct ns_error err;
    assert_int_equal(ns_printer_init(&p, stdout, NS_FMT_CSV, "pkts,bogus", &err), NS_EINVAL);
    assert_non_null(strstr(err.msg, "'bogus'"));
    enum ns_format f;
    assert_int_equal(ns_format_parse("xml", &f, &err), NS_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(values_and_units),
        cmocka_unit_test(icmp_and_states),
        cmocka_unit_test(table_is_consistent),
        cmocka_unit_test(formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
