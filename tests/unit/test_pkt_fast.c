/* The decoder's fast path (src/pkt/fast.c) against the general decoder,
 * WireGuard-selftest style: every packet of every capture in
 * ../shared/pcaps, then a few hundred thousand mutated headers.  Where the
 * fast path accepts a packet, the whole struct ns_pkt must equal the
 * general path's, byte for byte; where it declines, it must have written
 * nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkt/decode.h"
#include "pkt/pkt.h"

struct tally {
    unsigned long pkts, fast, declined;
};

static void meta(struct ns_pkt *p, uint32_t caplen, uint32_t wirelen)
{
    memset(p, 0, sizeof *p);
    p->ts_ns = 1;
    p->caplen = caplen;
    p->wirelen = wirelen;
}

/* One frame through both paths; fails the test on any difference. */
static void check_frame(const uint8_t *d, uint32_t caplen, uint32_t wirelen, struct tally *t,
                        const char *where, unsigned long idx)
{
    struct ns_pkt gen, fast, untouched;
    meta(&gen, caplen, wirelen);
    meta(&fast, caplen, wirelen);
    meta(&untouched, caplen, wirelen);
    int rg = ns_pkt_decode_general(&gen, NS_LINK_ETHERNET, d);
    t->pkts++;
    if (ns_pkt_fast_eth(&fast, d)) {
        t->fast++;
        if (memcmp(&gen, &fast, sizeof gen) != 0) {
            fprintf(stderr, "%s: packet %lu: fast path differs from the general decoder\n", where,
                    idx);
            fail();
        }
    } else {
        t->declined++;
        if (memcmp(&fast, &untouched, sizeof fast) != 0) {
            fprintf(stderr, "%s: packet %lu: fast path wrote before declining\n", where, idx);
            fail();
        }
    }
    /* and the public entry point agrees with the general one */
    struct ns_pkt pub;
    meta(&pub, caplen, wirelen);
    int rp = ns_pkt_decode(&pub, NS_LINK_ETHERNET, d);
    assert_int_equal(rp, rg);
    assert_memory_equal(&pub, &gen, sizeof gen);
}

static const char *shared_dir(void)
{
    const char *s = getenv("NS_SHARED");
    return s ? s : "../shared";
}

static void test_every_capture(void **state)
{
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/pcaps", shared_dir());
    DIR *dh = opendir(dir);
    if (!dh)
        skip();
    struct tally all = {0};
    unsigned files = 0;
    struct dirent *de;
    while ((de = readdir(dh))) {
        if (de->d_name[0] == '.')
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        char eb[PCAP_ERRBUF_SIZE];
        pcap_t *h = pcap_open_offline(path, eb);
        if (!h)
            continue; /* SOURCES.md and friends */
        if (pcap_datalink(h) == DLT_EN10MB) {
            files++;
            struct pcap_pkthdr *hdr;
            const u_char *data;
            unsigned long i = 0;
            int rc;
            while ((rc = pcap_next_ex(h, &hdr, &data)) == 1)
                check_frame(data, hdr->caplen, hdr->len, &all, de->d_name, i++);
        }
        pcap_close(h);
    }
    closedir(dh);
    fprintf(stderr, "%u Ethernet captures, %lu packets: %lu fast, %lu general\n", files, all.pkts,
            all.fast, all.declined);
    assert_true(files >= 10);
    /* both roads are taken, and the fast one by most packets */
    assert_true(all.fast > all.pkts / 2);
    assert_true(all.declined > 1000);
}

/* splitmix64: deterministic, so a failure names a reproducible case */
static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t put16(uint8_t *b, size_t at, uint16_t v)
{
    b[at] = (uint8_t)(v >> 8);
    b[at + 1] = (uint8_t)v;
    return at + 2;
}

/* A well-formed frame the fast path takes: maybe one VLAN tag, IPv4 or
 * IPv6, TCP (with options), UDP or ICMP, some payload, maybe Ethernet
 * padding. */
static uint32_t seed_frame(uint8_t *b, size_t cap, uint64_t *s)
{
    memset(b, 0, cap);
    for (int i = 0; i < 12; i++)
        b[i] = (uint8_t)rnd(s);
    int v6 = rnd(s) & 1, kind = (int)(rnd(s) % 4); /* 0,1 TCP  2 UDP  3 ICMP */
    int tcp = kind < 2, icmp = kind == 3;
    uint32_t l2 = (rnd(s) % 4 == 0) ? 18 : 14;
    uint32_t pay = (uint32_t)(rnd(s) % 64);
    uint32_t l4h = tcp ? 20 + 4 * (uint32_t)(rnd(s) % 4) : 8;
    uint32_t ip_h = v6 ? 40 : 20, ip_tot = ip_h + l4h + pay;
    if (l2 == 18) {
        put16(b, 12, 0x8100);
        put16(b, 14, (uint16_t)rnd(s));
    }
    put16(b, l2 - 2, v6 ? 0x86dd : 0x0800);
    uint8_t *ip = b + l2;
    if (v6) {
        ip[0] = 0x60 | (uint8_t)(rnd(s) & 0xf);
        ip[1] = (uint8_t)rnd(s);
        put16(ip, 4, (uint16_t)(l4h + pay));
        ip[6] = tcp ? 6 : icmp ? 58 : 17;
        ip[7] = (uint8_t)rnd(s);
        for (int i = 8; i < 40; i++)
            ip[i] = (uint8_t)rnd(s);
    } else {
        ip[0] = 0x45;
        ip[1] = (uint8_t)rnd(s);
        put16(ip, 2, (uint16_t)ip_tot);
        put16(ip, 6, (rnd(s) & 1) ? 0x4000 : 0);
        ip[8] = (uint8_t)rnd(s);
        ip[9] = tcp ? 6 : icmp ? 1 : 17;
        for (int i = 12; i < 20; i++)
            ip[i] = (uint8_t)rnd(s);
    }
    uint8_t *l4 = ip + ip_h;
    for (int i = 0; i < 4; i++)
        l4[i] = (uint8_t)rnd(s);
    if (tcp) {
        for (int i = 4; i < 20; i++)
            l4[i] = (uint8_t)rnd(s);
        l4[12] = (uint8_t)((l4h / 4) << 4 | (l4[12] & 1));
        static const uint8_t opts[] = {2, 4, 5, 180, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0};
        memcpy(l4 + 20, opts, l4h - 20 < sizeof opts ? l4h - 20 : sizeof opts);
    } else if (icmp) {
        for (int i = 4; i < 8; i++)
            l4[i] = (uint8_t)rnd(s);
    } else {
        put16(l4, 4, (uint16_t)(8 + pay));
    }
    for (uint32_t i = 0; i < pay; i++)
        l4[l4h + i] = (uint8_t)rnd(s);
    uint32_t len = l2 + ip_tot;
    if (len < 60 && (rnd(s) & 1))
        len = 60; /* padded to the Ethernet minimum */
    return len;
}

static void test_mutations(void **state)
{
    (void)state;
    uint64_t s = 0x6e73666173747061ULL;
    struct tally t = {0};
    uint8_t frame[256];
    for (unsigned long it = 0; it < 300000; it++) {
        uint32_t len = seed_frame(frame, sizeof frame, &s);
        /* a few random bytes anywhere in the headers, biased to the
         * fields the fast path judges (type, version, lengths, flags) */
        static const uint8_t hot[] = {12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                      23, 24, 25, 26, 27, 46, 47, 50, 51, 58, 59};
        unsigned nmut = (unsigned)(rnd(&s) % 4);
        for (unsigned k = 0; k < nmut; k++) {
            uint64_t r = rnd(&s);
            size_t at = (r & 1) ? hot[(r >> 1) % sizeof hot] : (size_t)((r >> 8) % 120);
            frame[at] =
                (r >> 16) & 1 ? (uint8_t)(r >> 24) : (uint8_t)(frame[at] ^ (1u << ((r >> 24) & 7)));
        }
        uint32_t cap = len;
        uint64_t r = rnd(&s);
        if (r % 4 == 0) /* cut short, the way a snaplen does */
            cap = (uint32_t)((r >> 8) % (len + 1));
        uint32_t wire = len + ((r >> 32) % 8 == 0 ? (uint32_t)((r >> 40) % 100) : 0);
        if (wire < cap)
            wire = cap;
        check_frame(frame, cap, wire, &t, "mutation", it);
    }
    fprintf(stderr, "mutations: %lu frames, %lu fast, %lu general\n", t.pkts, t.fast, t.declined);
    assert_true(t.fast > t.pkts / 4);
    assert_true(t.declined > t.pkts / 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_capture),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
