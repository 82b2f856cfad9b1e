/*
 * Decode IPFIX exported by independent implementations (Cisco, Huawei and
 * ipfixprobe via pmacct's and akvorado's test captures): UDP payloads are
 * pulled out with libpcap (Ethernet / Linux SLL, IPv4 / IPv6, UDP) and fed
 * to the message decoder + template store + flowrec decoder.  Expected
 * values were cross-checked with
 *   tshark -r F -d udp.port==P,cflow -T fields -e cflow.packets -e cflow.octets ...
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipfix/be.h"
#include "ipfix/decode.h"

#define MAXREC 256

struct result {
    struct ns_record rec[MAXREC];
    int n;
    int errors;
    struct ns_ipfix_stats st;
};

/* UDP payload of a frame, or NULL. */
static const uint8_t *udp_payload(int dlt, const uint8_t *p, size_t caplen, size_t *len)
{
    size_t off;
    uint16_t et;
    if (dlt == DLT_EN10MB) {
        if (caplen < 14)
            return NULL;
        et = ns_be16(p + 12);
        off = 14;
        while ((et == 0x8100 || et == 0x88a8) && caplen >= off + 4) {
            et = ns_be16(p + off + 2);
            off += 4;
        }
    } else if (dlt == DLT_LINUX_SLL) {
        if (caplen < 16)
            return NULL;
        et = ns_be16(p + 14);
        off = 16;
    } else {
        return NULL;
    }
    if (et == 0x0800) {
        if (caplen < off + 20 || (p[off] >> 4) != 4)
            return NULL;
        size_t ihl = (size_t)(p[off] & 15) * 4;
        if (p[off + 9] != 17 || (ns_be16(p + off + 6) & 0x3FFF) || ihl < 20)
            return NULL; /* not UDP, or a fragment */
        off += ihl;
    } else if (et == 0x86DD) {
        if (caplen < off + 40 || p[off + 6] != 17)
            return NULL;
        off += 40;
    } else {
        return NULL;
    }
    if (caplen < off + 8)
        return NULL;
    size_t ulen = ns_be16(p + off + 4);
    if (ulen < 8 || caplen < off + ulen)
        return NULL;
    *len = ulen - 8;
    return p + off + 8;
}

static void run(const char *const *names, int nfiles, struct result *res)
{
    const char *shared = getenv("NS_SHARED");
    if (!shared)
        shared = "/work/shared";
    struct ns_ipfix_dec dec;
    struct ns_error err;
    memset(res, 0, sizeof *res);
    assert_int_equal(ns_ipfix_dec_init(&dec, 0, 0, &err), 0);
    for (int i = 0; i < nfiles; i++) {
        char path[512], ebuf[PCAP_ERRBUF_SIZE];
        snprintf(path, sizeof path, "%s/pcaps/%s", shared, names[i]);
        pcap_t *pc = pcap_open_offline(path, ebuf);
        if (!pc)
            fail_msg("%s", ebuf);
        int dlt = pcap_datalink(pc);
        struct pcap_pkthdr *h;
        const u_char *data;
        while (pcap_next_ex(pc, &h, &data) == 1) {
            size_t len;
            const uint8_t *pl = udp_payload(dlt, data, h->caplen, &len);
            if (!pl)
                continue;
            if (ns_ipfix_dec_message(&dec, pl, len, &err) < 0) {
                print_message("%s: %s\n", names[i], err.msg);
                res->errors++;
                continue;
            }
            int rc;
            struct ns_record r;
            while ((rc = ns_ipfix_dec_next(&dec, &r, &err)) == 1)
                if (res->n < MAXREC)
                    res->rec[res->n++] = r;
            if (rc < 0) {
                print_message("%s: %s\n", names[i], err.msg);
                res->errors++;
            }
        }
        pcap_close(pc);
    }
    res->st = dec.st;
    ns_ipfix_dec_fini(&dec);
}

static struct result res;

static void ipfixprobe(void **state)
{
    static const char *const f[] = {"akvorado-ipfixprobe-templates.pcap",
                                    "akvorado-ipfixprobe-data.pcap"};
    run(f, 2, &res);
    assert_int_equal(res.errors, 0);
    assert_int_equal(res.n, 4);
    const struct ns_record *r = &res.rec[0];
    assert_int_equal(r->present & (NS_RG_KEY | NS_RG_COUNT | NS_RG_TIME | NS_RG_TCP | NS_RG_MAC),
                     NS_RG_KEY | NS_RG_COUNT | NS_RG_TIME | NS_RG_TCP | NS_RG_MAC);
    assert_int_equal(r->ip_version, 4);
    assert_memory_equal(r->saddr, "\x0a\x0a\x01\x04", 4);
    assert_memory_equal(r->daddr, "\x0a\x0a\x01\x01", 4);
    assert_int_equal(r->sport, 56166);
    assert_int_equal(r->dport, 53);
    assert_int_equal(r->proto, 17);
    assert_int_equal(r->end_reason, res.rec[0].end_reason);
    assert_int_equal(r->dir[0].pkts, 1);
    assert_int_equal(r->dir[1].pkts, 1);
    assert_int_equal(r->dir[0].octets, 62);
    assert_int_equal(r->dir[1].octets, 128);
    /* flowStartMicroseconds: tshark shows 06:06:07.492059999 (truncating) */
    assert_int_equal(r->dir[0].first_ns, 1254722767492060000ull);
    assert_int_equal(r->dir[0].last_ns, 1254722767526085000ull);
    assert_memory_equal(r->smac, "\x00\xe0\x1c\x3c\x17\xc2", 6);
    r = &res.rec[2];
    assert_int_equal(r->proto, 6);
    assert_int_equal(r->sport, 1470);
    assert_int_equal(r->dport, 25);
    assert_int_equal(r->dir[0].pkts, 28);
    assert_int_equal(r->dir[1].pkts, 25);
    assert_int_equal(r->dir[0].octets, 21673);
    assert_int_equal(r->dir[1].octets, 1546);
    assert_int_equal(r->dir[0].tcp_flags, 0x1b);
    assert_int_equal(r->dir[1].tcp_flags, 0x1b);
    r = &res.rec[3];
    assert_int_equal(r->proto, 1);
    assert_memory_equal(r->saddr, "\xc0\xa8\x01\x01", 4);
    assert_true(res.st.unknown_ies > 0); /* ingressInterface at least */
}

static void cisco(void **state)
{
    static const char *const f[] = {"pmacct-ipfix-cisco.pcap"};
    run(f, 1, &res);
    assert_int_equal(res.errors, 0);
    assert_int_equal(res.n, 12);
    const struct ns_record *r = &res.rec[0];
    assert_int_equal(r->ip_version, 4);
    assert_memory_equal(r->saddr, "\x0a\xe7\x41\x38", 4); /* 10.231.65.56 */
    assert_int_equal(r->sport, 17000);
    assert_int_equal(r->proto, 17);
    assert_int_equal(r->dir[0].pkts, 2);
    assert_int_equal(r->dir[0].octets, 220);
    assert_int_equal(r->dir[0].first_ns, 1677577561088000000ull);
    /* frame 4, observation domain 917504: IPv6 */
    r = &res.rec[4];
    assert_int_equal(r->ip_version, 6);
    assert_memory_equal(r->saddr, "\x20\x01\x17\x00\xf1\x01\x20\x00\0\0\0\0\0\0\0\x01", 16);
    assert_int_equal(r->dir[0].pkts, 4);
    assert_int_equal(r->dir[0].octets, 5512);
    assert_int_equal(r->sport, 1024);
    uint64_t pk = 0, oc = 0;
    for (int i = 0; i < res.n; i++) {
        pk += res.rec[i].dir[0].pkts;
        oc += res.rec[i].dir[0].octets;
    }
    /* sums of tshark's cflow.packets / cflow.octets over the capture */
    assert_int_equal(pk, 2 + 3 + 1 + 1 + 4 + 6 + 3 + 2 + 5 + 2 + 2 + 3);
    assert_int_equal(oc,
                     220 + 330 + 110 + 110 + 5512 + 8268 + 330 + 2756 + 6890 + 2756 + 2756 + 4134);
}

static void ipv6_sampling(void **state)
{
    static const char *const f[] = {"pmacct-ipfix-ipv6-sampling.pcap"};
    run(f, 1, &res);
    assert_int_equal(res.errors, 0);
    assert_int_equal(res.n, 3);
    assert_int_equal(res.rec[0].ip_version, 6);
    assert_int_equal(res.rec[0].proto, 58);
    assert_int_equal(res.rec[0].dir[0].pkts, 1);
    assert_int_equal(res.rec[0].dir[0].octets, 72);
    assert_int_equal(res.rec[1].proto, 112);
    assert_int_equal(res.rec[1].dir[0].pkts, 60);
    assert_int_equal(res.rec[2].dir[0].octets, 4800);
    assert_true(res.st.skipped_records > 0); /* the sampling options record */
}

/* The others must decode without a single error. */
static void all_clean(void **state)
{
    static const char *const f[] = {"pmacct-ipfix-huawei-vrf.pcap"};
    run(f, 1, &res);
    assert_int_equal(res.errors, 0);
    assert_int_equal(res.n, 3);
    assert_int_equal(res.rec[0].dir[0].pkts, 613);
    assert_int_equal(res.rec[0].dir[0].octets, 142216);
    assert_int_equal(res.rec[2].dir[0].pkts, 1);
    assert_int_equal(res.rec[2].dir[0].octets, 125);
    assert_int_equal(res.rec[2].proto, 6);
    static const char *const g[] = {"pmacct-ipfix-options-map.pcap"};
    run(g, 1, &res);
    assert_int_equal(res.errors, 0);
    assert_true(res.st.skipped_records > 0);
    static const char *const h[] = {"pmacct-ipfix-bgp-mpls.pcap"};
    run(h, 1, &res);
    assert_int_equal(res.errors, 0);
    assert_true(res.n > 0);
    static const char *const k[] = {"pmacct-ipfix-bgp-srv6.pcap"};
    run(k, 1, &res);
    assert_int_equal(res.errors, 0);
    assert_true(res.n > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ipfixprobe),
        cmocka_unit_test(cisco),
        cmocka_unit_test(ipv6_sampling),
        cmocka_unit_test(all_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
