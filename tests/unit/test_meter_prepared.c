/* ns_meter_packet_prepared (key, hash and RTP header made ahead, as the
 * probe's reading thread does) must give exactly the records
 * ns_meter_packet gives, on real captures with fragments, ICMP, tunnels,
 * RTP, ESP and malformed packets; and so must a meter that maps its pools
 * ahead (ns_meter_prefault) between every two packets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "meter/meter.h"

struct sink {
    struct ns_record *r;
    size_t n, cap;
};

static int collect(void *ctx, const struct ns_record *rec, struct ns_error *err)
{
    struct sink *s = ctx;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->r = realloc(s->r, s->cap * sizeof *s->r);
        assert_non_null(s->r);
    }
    s->r[s->n++] = *rec;
    return 0;
}

enum { PLAIN, PREPARED, PREFAULTED };

static void run(const char *path, int mode, uint32_t max_flows, struct sink *out)
{
    char eb[PCAP_ERRBUF_SIZE];
    pcap_t *h = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, eb);
    assert_non_null(h);
    struct ns_meter_config c;
    ns_meter_config_default(&c);
    c.max_flows = max_flows;
    c.status_ns = 1000000000ull;
    struct ns_meter *m;
    struct ns_error err;
    assert_int_equal(ns_meter_create(&m, &c, collect, out, &err), 0);
    struct pcap_pkthdr *hdr;
    const u_char *data;
    while (pcap_next_ex(h, &hdr, &data) == 1) {
        struct ns_pkt p;
        p.ts_ns = (uint64_t)(uint32_t)hdr->ts.tv_sec * 1000000000u + (uint64_t)hdr->ts.tv_usec;
        p.caplen = hdr->caplen;
        p.wirelen = hdr->len;
        p.ifindex = 0;
        ns_pkt_decode(&p, pcap_datalink(h), data);
        if (mode == PREFAULTED)
            while (ns_meter_prefault(m))
                ;
        if (mode != PLAIN) {
            struct ns_meter_prep pr;
            ns_meter_prepare(&p, ns_meter_hash_seed(m), &pr);
            assert_int_equal(ns_meter_packet_prepared(m, &p, &pr, &err), 0);
        } else {
            assert_int_equal(ns_meter_packet(m, &p, &err), 0);
        }
    }
    assert_int_equal(ns_meter_flush(m, &err), 0);
    ns_meter_destroy(m);
    pcap_close(h);
}

static void same_records(void **state)
{
    const char *shared = getenv("NS_SHARED"), *src = getenv("NS_SRC");
    static const char *const names[] = {"zeek-ipv4-fragmented-3.pcap",
                                        "ndpi-dns-fragmented.pcap",
                                        "ndpi-ip-fragmented-garbage.pcap",
                                        "ndpi-icmp-tunnel.pcap",
                                        "zeek-gre-within-gre.pcap",
                                        "ndpi-fuzz-2006.pcap",
                                        "ndpi-rtp.pcapng",
                                        "ndpi-ipsec-isakmp-esp.pcap",
                                        NULL};
    char path[1024];
    int done = 0;
    for (int i = -1; i < 0 || names[i]; i++) {
        if (i < 0)
            snprintf(path, sizeof path, "%s/samples/sample.pcap", src ? src : ".");
        else
            snprintf(path, sizeof path, "%s/pcaps/%s", shared ? shared : "../shared", names[i]);
        if (access(path, R_OK) != 0)
            continue;
        for (uint32_t mf = 16; mf <= 65536; mf *= 4096) { /* tiny cache too: evictions */
            struct sink a = {0}, b = {0}, c = {0};
            run(path, PLAIN, mf, &a);
            run(path, PREPARED, mf, &b);
            run(path, PREFAULTED, mf, &c);
            assert_int_equal(a.n, b.n);
            assert_int_equal(a.n, c.n);
            for (size_t k = 0; k < a.n; k++) {
                assert_memory_equal(&a.r[k], &b.r[k], sizeof a.r[k]);
                assert_memory_equal(&a.r[k], &c.r[k], sizeof a.r[k]);
            }
            free(a.r);
            free(b.r);
            free(c.r);
        }
        done++;
    }
    assert_true(done >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(same_records)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
