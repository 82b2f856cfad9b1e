/* gen/: same seed, same bytes; the truth it reports matches what it wrote. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen/gen.h"
#include "pkt/pkt.h"

static long slurp(const char *path, unsigned char **out)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    *out = malloc((size_t)n);
    assert_int_equal(fread(*out, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return n;
}

static void write_tmp(char *path, uint64_t seed, struct ns_gen_truth *t)
{
    strcpy(path, "/tmp/ns_gen_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct ns_gen_config c;
    ns_gen_config_default(&c);
    c.seed = seed;
    c.flows = 400;
    c.upstream_loss = c.downstream_loss = c.reorder = 0.02;
    struct ns_error err;
    assert_int_equal(ns_gen_write_pcap(path, &c, t, &err), 0);
}

static void deterministic(void **state)
{
    char a[64], b[64], c[64];
    struct ns_gen_truth ta, tb, tc;
    write_tmp(a, 5, &ta);
    write_tmp(b, 5, &tb);
    write_tmp(c, 6, &tc);
    unsigned char *da, *db, *dc;
    long na = slurp(a, &da), nb = slurp(b, &db), nc = slurp(c, &dc);
    assert_int_equal(na, nb);
    assert_memory_equal(da, db, (size_t)na);
    assert_memory_equal(&ta, &tb, sizeof ta);
    assert_true(nc != na || memcmp(da, dc, (size_t)na) != 0);
    free(da);
    free(db);
    free(dc);
    unlink(a);
    unlink(b);
    unlink(c);
}

static void truth_matches_capture(void **state)
{
    char path[64];
    struct ns_gen_truth t;
    write_tmp(path, 9, &t);
    assert_int_equal(t.flows, 400);
    assert_int_equal(t.tcp_flows + t.udp_flows + t.icmp_flows, t.flows);
    assert_true(t.tcp_upstream_lost > 0 && t.tcp_reordered > 0 && t.rtp_lost > 0);
    assert_true(t.tcp_retrans > t.tcp_upstream_lost); /* plus downstream resends */
    char eb[PCAP_ERRBUF_SIZE];
    pcap_t *h = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, eb);
    assert_non_null(h);
    struct pcap_pkthdr *hdr;
    const u_char *data;
    uint64_t n = 0, ip = 0, l2 = 0, prev = 0;
    while (pcap_next_ex(h, &hdr, &data) == 1) {
        struct ns_pkt p = {0};
        p.ts_ns = (uint64_t)hdr->ts.tv_sec * 1000000000u + (uint64_t)hdr->ts.tv_usec;
        p.caplen = hdr->caplen;
        p.wirelen = hdr->len;
        assert_true(p.ts_ns >= prev); /* written in time order */
        prev = p.ts_ns;
        ns_pkt_decode(&p, pcap_datalink(h), data);
        assert_int_equal(p.malformed, NS_MAL_NONE);
        ip += p.ip_len;
        l2 += p.wirelen;
        n++;
    }
    pcap_close(h);
    assert_int_equal(n, t.packets);
    assert_int_equal(ip, t.ip_octets);
    assert_int_equal(l2, t.l2_octets);
    unlink(path);
}

static void rejects_bad_config(void **state)
{
    struct ns_gen_config c;
    ns_gen_config_default(&c);
    c.snaplen = 10;
    struct ns_gen_truth t;
    struct ns_error err;
    assert_int_equal(ns_gen_write_pcap("/tmp/never.pcap", &c, &t, &err), NS_EINVAL);
    ns_gen_config_default(&c);
    assert_int_equal(ns_gen_write_pcap("/nonexistent/dir/x.pcap", &c, &t, &err), NS_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent/dir/x.pcap"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(deterministic),
        cmocka_unit_test(truth_matches_capture),
        cmocka_unit_test(rejects_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
