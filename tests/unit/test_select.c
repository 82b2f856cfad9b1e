/*
 * Selection primitives (src/select): golden tests for the deterministic
 * samplers, statistical tests on 10^6 synthetic packets for every sampler
 * (the attained fraction within a 99.9 % interval of its target), exact
 * n-out-of-N per block, hash vectors, a WireGuard-style selftest of each
 * selector against a naive reference on random packets, and the spec
 * syntax with its error messages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "select/hash.h"
#include "select/match.h"
#include "select/select.h"

/* 99.9 % two-sided normal quantile */
#define Z999 3.2905

/* ---- synthetic packets: Ethernet [+ VLAN] + IPv4/IPv6 + UDP/TCP ---- */

struct synth {
    uint8_t frame[256];
    uint32_t len;
    uint32_t l3; /* where IP starts */
    int v6;
    uint8_t proto;
    struct ns_pkt p;
};

static uint64_t xs_state = 0x1234567;
static uint64_t xs(void)
{
    xs_state ^= xs_state << 13;
    xs_state ^= xs_state >> 7;
    xs_state ^= xs_state << 17;
    return xs_state;
}

static void put16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

static void make_packet(struct synth *s, uint64_t ts_ns)
{
    memset(s, 0, sizeof *s);
    uint8_t *f = s->frame;
    for (int i = 0; i < 12; i++)
        f[i] = (uint8_t)xs();
    uint32_t o = 12;
    if (xs() % 4 == 0) { /* a VLAN tag */
        put16(f + o, 0x8100);
        put16(f + o + 2, (uint16_t)(xs() % 4095 + 1));
        o += 4;
    }
    s->v6 = xs() % 3 == 0;
    s->proto = xs() % 2 ? 17 : 6;
    uint32_t l4len = (s->proto == 6 ? 20 : 8) + (uint32_t)(xs() % 120);
    put16(f + o, s->v6 ? 0x86dd : 0x0800);
    o += 2;
    s->l3 = o;
    uint8_t *h = f + o;
    if (!s->v6) {
        h[0] = 0x45;
        h[1] = (uint8_t)xs();
        put16(h + 2, (uint16_t)(20 + l4len));
        put16(h + 4, (uint16_t)xs());
        put16(h + 6, 0x4000);
        h[8] = (uint8_t)(xs() % 200 + 2);
        h[9] = s->proto;
        for (int i = 12; i < 20; i++)
            h[i] = (uint8_t)xs();
        o += 20;
    } else {
        h[0] = 0x60 | (uint8_t)(xs() & 0x0f);
        h[1] = (uint8_t)xs();
        put16(h + 2, (uint16_t)xs());
        put16(h + 4, (uint16_t)l4len);
        h[6] = s->proto;
        h[7] = (uint8_t)(xs() % 200 + 2);
        for (int i = 8; i < 40; i++)
            h[i] = (uint8_t)xs();
        o += 40;
    }
    uint8_t *t = f + o;
    for (uint32_t i = 0; i < l4len; i++)
        t[i] = (uint8_t)xs();
    if (s->proto == 6)
        t[12] = 0x50; /* data offset 5 */
    else
        put16(t + 4, (uint16_t)l4len);
    o += l4len;
    s->len = o;
    s->p.ts_ns = ts_ns;
    s->p.caplen = s->len;
    s->p.wirelen = s->len;
}

/* Run one packet; decoded lazily by the chain. */
static int run(struct ns_sel_chain *c, struct synth *s, struct ns_sel_verdict *v)
{
    int decoded = 0;
    return ns_sel_chain_run(c, &s->p, s->frame, NS_LINK_ETHERNET, &decoded, v);
}

static struct ns_sel_chain *chain_of(const char *spec1, const char *spec2)
{
    struct ns_sel_chain *c;
    struct ns_error e;
    assert_int_equal(ns_sel_chain_create(&c, &e), 0);
    if (ns_sel_chain_add_spec(c, spec1, &e) < 0)
        fail_msg("%s: %s", spec1, e.msg);
    if (spec2 && ns_sel_chain_add_spec(c, spec2, &e) < 0)
        fail_msg("%s: %s", spec2, e.msg);
    return c;
}

/* ---- hash functions ---- */

static void test_hash_vectors(void **state)
{
    (void)state;
    /* SipHash-2-4, the paper's Appendix A: key 00..0f, message 00..0e */
    uint8_t key[16], msg[15];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 15; i++)
        msg[i] = (uint8_t)i;
    assert_true(ns_siphash24(key, msg, 15) == 0xa129ca6149be45e5ull);
    /* CRC-32 check value (IEEE 802.3 / zlib): "123456789" -> cbf43926 */
    uint32_t t[8][256];
    ns_crc32_table(t);
    assert_int_equal(ns_crc32((const uint32_t(*)[256])t, 0, (const uint8_t *)"123456789", 9),
                     0xcbf43926u);
    /* the initializer continues a CRC: crc(ab) == crc(b, init=crc(a)) */
    uint32_t a = ns_crc32((const uint32_t(*)[256])t, 0, (const uint8_t *)"1234", 4);
    assert_int_equal(ns_crc32((const uint32_t(*)[256])t, a, (const uint8_t *)"56789", 5),
                     0xcbf43926u);
    /* BOB: different initializers and lengths give different values, and
     * every tail length takes its own path (values cross-checked against
     * an independent implementation in tests/regress/select_hash.sh) */
    uint8_t buf[40];
    for (int i = 0; i < 40; i++)
        buf[i] = (uint8_t)(i * 7 + 1);
    uint32_t seen[40];
    for (int n = 0; n < 40; n++) {
        seen[n] = ns_hash_bob(buf, (size_t)n, 0);
        for (int k = 0; k < n; k++)
            assert_int_not_equal(seen[k], seen[n]);
    }
    assert_int_not_equal(ns_hash_bob(buf, 20, 0), ns_hash_bob(buf, 20, 1));
    assert_int_not_equal(ns_hash_ipsx(buf, 20, 0), ns_hash_ipsx(buf, 20, 1));
    /* IPSX is netsift's own function (hash.h): pinned values, so that two
     * versions of netsift at two observation points keep agreeing */
    uint8_t seq[16];
    for (int i = 0; i < 16; i++)
        seq[i] = (uint8_t)i;
    assert_int_equal(ns_hash_ipsx(seq, 16, 0), 0x39d65f90u);
    assert_int_equal(ns_hash_ipsx(seq, 13, 0xdeadbeefu), 0x17eede81u);
}

/* The four-lane BOB is the scalar one, lane by lane, for every length and
 * for lanes that differ anywhere. */
static void test_bob_x4(void **state)
{
    (void)state;
    xs_state = 99;
    uint8_t keys[4][128];
    for (size_t len = 0; len <= 100; len++)
        for (int round = 0; round < 20; round++) {
            for (int j = 0; j < 4; j++)
                for (size_t i = 0; i < len; i++)
                    keys[j][i] = (uint8_t)xs();
            if (round & 1 && len) /* lanes equal but for one byte */
                for (int j = 1; j < 4; j++) {
                    memcpy(keys[j], keys[0], len);
                    keys[j][xs() % len] ^= (uint8_t)(1u << (xs() % 8));
                }
            uint32_t init = (uint32_t)xs(), out[4];
            const uint8_t *const k[4] = {keys[0], keys[1], keys[2], keys[3]};
            ns_hash_bob_x4(k, len, init, out);
            for (int j = 0; j < 4; j++)
                assert_int_equal(out[j], ns_hash_bob(keys[j], len, init));
        }
}

/* The padded four-lane BOB is the scalar one for lanes of different
 * lengths with the same number of whole blocks (every remainder 0-11 in
 * one call), keys zero-padded as the contract says. */
static void test_bob_x4_padded(void **state)
{
    (void)state;
    xs_state = 7;
    uint8_t keys[4][128];
    for (uint32_t blocks = 0; blocks <= 8; blocks++)
        for (int round = 0; round < 200; round++) {
            uint32_t len[4], out[4], init = (uint32_t)xs();
            memset(keys, 0, sizeof keys);
            for (int j = 0; j < 4; j++) {
                len[j] = blocks * 12u + (uint32_t)(xs() % 12);
                for (uint32_t i = 0; i < len[j]; i++)
                    keys[j][i] = (uint8_t)xs();
            }
            const uint8_t *const k[4] = {keys[0], keys[1], keys[2], keys[3]};
            ns_hash_bob_x4_padded(k, len, init, out);
            for (int j = 0; j < 4; j++)
                assert_int_equal(out[j], ns_hash_bob(keys[j], len[j], init));
        }
}

/* A burst (ns_sel_chain_run_burst) is exactly as many single runs: two
 * chains of one spec, one fed packet by packet and one in bursts of
 * random sizes, give the same selections, verdicts and counters — for
 * every hash function and domain first in the chain (the precomputed
 * path), mixed IPv4/IPv6/VLAN packets and packets without a domain, and
 * chains where the hash is not first. */
static void test_burst_equals_single(void **state)
{
    (void)state;
    static const char *specs[][2] = {
        {"hash:bob,frac=0.3", NULL},
        {"hash:bob,frac=0.5,domain=ip", "count:1/3"},
        {"hash:bob,frac=0.5,domain=5tuple", NULL},
        {"hash:bob,frac=0.4,domain=ip+payload3", "match:udp"},
        {"hash:crc32,frac=0.25", NULL},
        {"hash:ipsx,frac=0.25,init=7", NULL},
        {"hash:sip,frac=0.25,key=000102030405060708090a0b0c0d0e0f", NULL},
        {"match:tcp", "hash:bob,frac=0.5"},
        {"count:2/5", "hash:bob,frac=0.5"},
    };
    xs_state = 31337;
    enum { N = 3000 };
    static struct synth pk[N], pk2[N];
    static struct ns_pkt pp[N]; /* the burst takes an array of packets */
    static const uint8_t *frames[N];
    static int dec[N];
    static uint8_t sel[N];
    static struct ns_sel_verdict vb[N];
    for (size_t si = 0; si < sizeof specs / sizeof specs[0]; si++) {
        struct ns_sel_chain *a = chain_of(specs[si][0], specs[si][1]);
        struct ns_sel_chain *b = chain_of(specs[si][0], specs[si][1]);
        for (int i = 0; i < N; i++) {
            make_packet(&pk[i], 1000000000ull + (uint64_t)i * 1000);
            if (i % 97 == 0) /* no IP header captured: no hash domain */
                pk[i].p.caplen = 20;
            pk2[i] = pk[i];
        }
        for (int i = 0; i < N;) {
            int m = 1 + (int)(xs() % 200);
            if (i + m > N)
                m = N - i;
            for (int j = 0; j < m; j++) {
                frames[i + j] = pk2[i + j].frame;
                pp[i + j] = pk2[i + j].p;
                dec[i + j] = 0;
            }
            ns_sel_chain_run_burst(b, &pp[i], frames + i, (size_t)m, NS_LINK_ETHERNET, dec + i,
                                   sel + i, vb + i);
            i += m;
        }
        for (int i = 0; i < N; i++) {
            struct ns_sel_verdict va;
            int ra = run(a, &pk[i], &va);
            if (ra != sel[i])
                fail_msg("%s %s: packet %d: single %d, burst %d", specs[si][0],
                         specs[si][1] ? specs[si][1] : "", i, ra, sel[i]);
            assert_int_equal(va.reached, vb[i].reached);
            assert_int_equal(va.has_digest, vb[i].has_digest);
            if (va.has_digest && va.digest != vb[i].digest)
                fail_msg("%s: packet %d (caplen %u, v6 %d): digest %08x single, %08x burst",
                         specs[si][0], i, pk[i].p.caplen, pk[i].v6, va.digest, vb[i].digest);
            for (uint32_t k = 0; k < va.reached; k++)
                assert_int_equal(va.seq[k], vb[i].seq[k]);
        }
        for (size_t k = 0; k < ns_sel_chain_len(a); k++) {
            struct ns_sel_info ia, ib;
            ns_sel_chain_info(a, k, &ia);
            ns_sel_chain_info(b, k, &ib);
            assert_int_equal(ia.observed, ib.observed);
            assert_int_equal(ia.selected, ib.selected);
        }
        ns_sel_chain_free(a);
        ns_sel_chain_free(b);
    }
}

/* ---- golden tests: exactly the specified packets ---- */

static void test_count_golden(void **state)
{
    (void)state;
    struct ns_sel_chain *c = chain_of("count:2/5,offset=3", NULL);
    /* packets 0-2 skipped, then 3,4 of every 5 from 3 on: 3 4 8 9 13 14 */
    char got[64] = "";
    for (int i = 0; i < 16; i++) {
        struct synth s;
        make_packet(&s, (uint64_t)i * 1000);
        if (run(c, &s, NULL))
            snprintf(got + strlen(got), sizeof got - strlen(got), "%d ", i);
    }
    assert_string_equal(got, "3 4 8 9 13 14 ");
    struct ns_sel_info in;
    ns_sel_chain_info(c, 0, &in);
    assert_int_equal(in.observed, 16);
    assert_int_equal(in.selected, 6);
    assert_int_equal(in.algorithm, NS_SEL_ALG_COUNT);
    ns_sel_chain_free(c);
}

static void test_time_golden(void **state)
{
    (void)state;
    /* interval 2 ms every 10 ms, starting 1 ms after the first packet;
     * packets every 500 µs from t = 100 s */
    struct ns_sel_chain *c = chain_of("time:interval=2ms,spacing=8ms,offset=1ms", NULL);
    char got[256] = "";
    uint64_t t0 = 100000000000ull;
    for (int i = 0; i < 45; i++) {
        struct synth s;
        make_packet(&s, t0 + (uint64_t)i * 500000);
        if (run(c, &s, NULL))
            snprintf(got + strlen(got), sizeof got - strlen(got), "%d ", i);
    }
    /* windows [1,3) [11,13) [21,23) ms -> packets at 1.0,1.5,2.0,2.5 ms ... */
    assert_string_equal(got, "2 3 4 5 22 23 24 25 42 43 44 ");
    ns_sel_chain_free(c);
}

static void test_nofn_exact(void **state)
{
    (void)state;
    enum { N = 37, n = 5, BLOCKS = 40000 };
    struct ns_sel_chain *c = chain_of("nofn:5/37,seed=11", NULL);
    uint64_t pos[N] = {0};
    for (int b = 0; b < BLOCKS; b++) {
        int k = 0;
        for (int i = 0; i < N; i++) {
            struct synth s;
            make_packet(&s, 0);
            if (run(c, &s, NULL)) {
                k++;
                pos[i]++;
            }
        }
        assert_int_equal(k, n); /* exactly n in every block */
    }
    /* every position equally likely: n/N each, within 99.9 % */
    double pr = (double)n / N, mean = BLOCKS * pr, sd = sqrt(BLOCKS * pr * (1 - pr));
    /* Bonferroni over N positions: z for 0.001/N */
    for (int i = 0; i < N; i++)
        if (fabs((double)pos[i] - mean) > 4.3 * sd)
            fail_msg("position %d taken %llu times, expected %.0f", i, (unsigned long long)pos[i],
                     mean);
    ns_sel_chain_free(c);
}

/* ---- statistics: every sampler attains its fraction on 10^6 packets ---- */

#define NPKT 1000000

static void fraction_check(const char *spec, double target, int exact)
{
    struct ns_sel_chain *c = chain_of(spec, NULL);
    uint64_t k = 0;
    for (int i = 0; i < NPKT; i++) {
        struct synth s;
        make_packet(&s, 1000000000ull + (uint64_t)i * 7919);
        k += (uint64_t)run(c, &s, NULL);
    }
    double mean = NPKT * target, sd = sqrt(NPKT * target * (1 - target));
    double tol = exact ? 1.0 + 1e-9 * NPKT : Z999 * sd;
    if (fabs((double)k - mean) > tol)
        fail_msg("%s: selected %llu of %d, expected %.1f +- %.1f", spec, (unsigned long long)k,
                 NPKT, mean, tol);
    assert_true(fabs(ns_sel_chain_fraction(c) - target) < 1e-9);
    ns_sel_chain_free(c);
}

static void test_fractions(void **state)
{
    (void)state;
    xs_state = 99;
    fraction_check("count:1/100", 0.01, 1);
    fraction_check("count:3/7,offset=2", 3.0 / 7, 1);
    fraction_check("nofn:3/50,seed=1", 0.06, 1);
    fraction_check("random:p=0.01,seed=5", 0.01, 0);
    fraction_check("random:1/3,seed=6", 1.0 / 3, 0);
    /* packets every 7.919 µs; 100 µs out of every 1000 µs */
    fraction_check("time:100us/1000us", 0.1, 0);
    fraction_check("hash:bob,frac=0.01", 0.01, 0);
    fraction_check("hash:bob,init=77,range=0-42949672:2147483648-2190433320", 0.02, 0);
    fraction_check("hash:ipsx,frac=0.05", 0.05, 0);
    fraction_check("hash:crc32,frac=0.01", 0.01, 0);
    fraction_check("hash:crc32,init=12345,frac=0.2", 0.2, 0);
    fraction_check("hash:sip,frac=0.01", 0.01, 0);
    fraction_check("hash:sip,frac=0.01,domain=ip", 0.01, 0);
    fraction_check("hash:bob,frac=0.03,domain=5tuple", 0.03, 0);
}

/* Time-based with a continuous-ish stream: the fraction of time is exact up
 * to one packet per window. */

/* size-dependent: the number selected matches sum min(1, x/z). */
static void test_size_fraction(void **state)
{
    (void)state;
    struct ns_sel_chain *c = chain_of("size:z=400,seed=3", NULL);
    double mean = 0, var = 0;
    uint64_t k = 0;
    double oct = 0, oct_true = 0;
    for (int i = 0; i < NPKT; i++) {
        struct synth s;
        make_packet(&s, 0);
        /* the chain decodes; read the IP length back from the frame */
        uint32_t ipl = s.v6 ? 40u + ((uint32_t)s.frame[s.l3 + 4] << 8 | s.frame[s.l3 + 5])
                            : ((uint32_t)s.frame[s.l3 + 2] << 8 | s.frame[s.l3 + 3]);
        double pr = ipl / 400.0 > 1 ? 1 : ipl / 400.0;
        mean += pr;
        var += pr * (1 - pr);
        k += (uint64_t)run(c, &s, NULL);
        oct_true += s.len;
    }
    if (fabs((double)k - mean) > Z999 * sqrt(var))
        fail_msg("size: %llu selected, expected %.1f +- %.1f", (unsigned long long)k, mean,
                 Z999 * sqrt(var));
    assert_true(ns_sel_chain_fraction(c) == 0); /* per packet: records say "mixed" */
    struct ns_sel_estimate e;
    ns_sel_chain_estimate(c, &e);
    oct = e.octets;
    if (fabs(oct - oct_true) > Z999 * e.octets_se)
        fail_msg("size: octets estimate %.0f +- %.0f, true %.0f", oct, e.octets_se, oct_true);
    if (fabs(e.packets - NPKT) > Z999 * e.packets_se)
        fail_msg("size: packets estimate %.0f +- %.0f", e.packets, e.packets_se);
    ns_sel_chain_free(c);
}

/* ---- composite: per-primitive counters and sequence numbers ---- */

static void test_chain_counters(void **state)
{
    (void)state;
    struct ns_sel_chain *c = chain_of("match:udp", "count:1/10");
    uint64_t udp = 0, sel = 0, last_seq1 = 0;
    for (int i = 0; i < 10000; i++) {
        struct synth s;
        make_packet(&s, 0);
        struct ns_sel_verdict v;
        int r = run(c, &s, &v);
        assert_int_equal(v.seq[0], (uint64_t)i + 1);
        if (s.proto == 17) {
            udp++;
            assert_int_equal(v.reached, 2);
            assert_int_equal(v.seq[1], udp);
            assert_int_equal(r, (udp - 1) % 10 == 0);
            if (r)
                last_seq1 = v.seq[1];
        } else {
            assert_int_equal(v.reached, 1);
            assert_int_equal(r, 0);
        }
        sel += (uint64_t)r;
    }
    struct ns_sel_info a, b;
    ns_sel_chain_info(c, 0, &a);
    ns_sel_chain_info(c, 1, &b);
    assert_int_equal(a.observed, 10000);
    assert_int_equal(a.selected, udp);
    assert_int_equal(b.observed, udp);
    assert_int_equal(b.selected, sel);
    assert_int_equal(a.id, 1);
    assert_int_equal(b.id, 2);
    assert_true(last_seq1 > 0);
    assert_true(fabs(ns_sel_chain_fraction(c) - 0.1) < 1e-12);
    ns_sel_chain_free(c);
}

/* ---- selftest: each selector against a naive reference ---- */

/* Naive hash domain, from the synthetic packet's own layout (not from the
 * decoder's offsets). */
static size_t ref_domain(const struct synth *s, uint32_t payload, uint8_t *out)
{
    const uint8_t *h = s->frame + s->l3;
    size_t n = 0;
    uint32_t hl, iplen;
    if (!s->v6) {
        const int keep[] = {0, 2, 3, 4, 5, 6, 7, 9, 12, 13, 14, 15, 16, 17, 18, 19};
        for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
            out[n++] = h[keep[i]];
        hl = 20;
        iplen = (uint32_t)h[2] << 8 | h[3];
    } else {
        out[n++] = h[0] & 0xf0;
        out[n++] = h[1] & 0x0f;
        out[n++] = h[2];
        out[n++] = h[3];
        for (int i = 4; i < 7; i++)
            out[n++] = h[i];
        for (int i = 8; i < 40; i++)
            out[n++] = h[i];
        hl = 40;
        iplen = 40 + ((uint32_t)h[4] << 8 | h[5]);
    }
    for (uint32_t i = 0; i < payload && hl + i < iplen; i++)
        out[n++] = h[hl + i];
    return n;
}

static void test_selftest(void **state)
{
    (void)state;
    xs_state = 4242;
    uint32_t crc[8][256];
    ns_crc32_table(crc);
    for (int round = 0; round < 200; round++) {
        /* random configurations */
        uint32_t N = (uint32_t)(xs() % 50 + 1), n = (uint32_t)(xs() % N + 1);
        uint64_t off = xs() % 20;
        uint64_t iv = xs() % 900 + 1, sp = xs() % 3000, toff = xs() % 500;
        uint32_t init = (uint32_t)xs(), lo = (uint32_t)xs(),
                 hi = lo + (uint32_t)(xs() % 0x7fffffff);
        if (hi < lo)
            hi = 0xffffffffu;
        uint32_t pay = (uint32_t)(xs() % 20);
        const char *fns[] = {"bob", "ipsx", "crc32"};
        int fi = (int)(xs() % 3);
        char count[64], tim[96], hash[128];
        snprintf(count, sizeof count, "count:%u/%u,offset=%llu", n, N, (unsigned long long)off);
        snprintf(tim, sizeof tim, "time:interval=%llu,spacing=%llu,offset=%llu",
                 (unsigned long long)iv, (unsigned long long)sp, (unsigned long long)toff);
        snprintf(hash, sizeof hash, "hash:%s,init=%u,range=%u-%u,domain=ip+payload%u", fns[fi],
                 init, lo, hi, pay);
        struct ns_sel_chain *cc = chain_of(count, NULL), *ct = chain_of(tim, NULL),
                            *ch = chain_of(hash, NULL);
        uint64_t t = 5000000000ull + xs() % 1000000, first = 0;
        for (uint64_t i = 0; i < 300; i++) {
            struct synth s;
            t += xs() % 200000; /* 0-200 µs apart */
            if (i == 0)
                first = t; /* windows start at the first packet */
            make_packet(&s, t);
            struct synth s2 = s, s3 = s;
            /* count: the i-th packet (0-based) */
            int want = i >= off && (i - off) % N < n;
            assert_int_equal(run(cc, &s, NULL), want);
            /* time: windows from first + toff */
            double rel = ((double)t - (double)first) / 1000.0 - (double)toff; /* µs */
            int tw = rel >= 0 && fmod(rel, (double)(iv + sp)) < (double)iv;
            /* fmod on doubles is exact here (integers below 2^53) */
            assert_int_equal(run(ct, &s2, NULL), tw);
            /* hash */
            uint8_t dom[128];
            size_t dl = ref_domain(&s3, pay, dom);
            uint32_t hv = fi == 0   ? ns_hash_bob(dom, dl, init)
                          : fi == 1 ? ns_hash_ipsx(dom, dl, init)
                                    : ns_crc32((const uint32_t(*)[256])crc, init, dom, dl);
            struct ns_sel_verdict v;
            assert_int_equal(run(ch, &s3, &v), hv >= lo && hv <= hi);
            assert_true(v.has_digest);
            assert_int_equal(v.digest, hv);
        }
        ns_sel_chain_free(cc);
        ns_sel_chain_free(ct);
        ns_sel_chain_free(ch);
    }
}

/* n-out-of-N and random against the sequential-selection reference run on
 * the same random stream would only repeat the code; instead the
 * reference checks the defining properties on random configurations. */
static void test_selftest_random(void **state)
{
    (void)state;
    xs_state = 777;
    for (int round = 0; round < 300; round++) {
        uint32_t N = (uint32_t)(xs() % 40 + 1), n = (uint32_t)(xs() % (N + 1));
        char spec[64];
        snprintf(spec, sizeof spec, "nofn:%u/%u,seed=%u", n, N, round);
        struct ns_sel_chain *c = chain_of(spec, NULL);
        for (int b = 0; b < 20; b++) {
            uint32_t k = 0;
            for (uint32_t i = 0; i < N; i++) {
                struct synth s;
                make_packet(&s, 0);
                k += (uint32_t)run(c, &s, NULL);
            }
            assert_int_equal(k, n);
        }
        ns_sel_chain_free(c);
        /* same seed, same choices: reproducible */
        struct ns_sel_chain *a = chain_of(spec, NULL), *b2 = chain_of(spec, NULL);
        for (int i = 0; i < 200; i++) {
            struct synth s;
            make_packet(&s, 0);
            struct synth s2 = s;
            assert_int_equal(run(a, &s, NULL), run(b2, &s2, NULL));
        }
        ns_sel_chain_free(a);
        ns_sel_chain_free(b2);
    }
}

/* match: compiled rules against hand-written predicates */
static void test_match_selftest(void **state)
{
    (void)state;
    xs_state = 31337;
    struct {
        const char *expr;
        int (*ref)(const struct synth *s);
    } cases[] = {
        {"udp", NULL},
        {"tcp and not ip6", NULL},
        {"vlan", NULL},
        {"len > 100", NULL},
    };
    struct ns_match *m[4];
    struct ns_error e;
    for (int i = 0; i < 4; i++)
        if (ns_match_compile(&m[i], cases[i].expr, &e) < 0)
            fail_msg("%s: %s", cases[i].expr, e.msg);
    for (int i = 0; i < 20000; i++) {
        struct synth s;
        make_packet(&s, 0);
        ns_pkt_decode(&s.p, NS_LINK_ETHERNET, s.frame);
        int tagged = s.l3 == 18;
        assert_int_equal(ns_match_eval(m[0], &s.p, s.frame), s.proto == 17);
        assert_int_equal(ns_match_eval(m[1], &s.p, s.frame), s.proto == 6 && !s.v6);
        assert_int_equal(ns_match_eval(m[2], &s.p, s.frame), tagged);
        assert_int_equal(ns_match_eval(m[3], &s.p, s.frame), s.len > 100);
    }
    for (int i = 0; i < 4; i++)
        ns_match_free(m[i]);
}

/* ---- match expressions on hand-made packets ---- */

static void test_match_exprs(void **state)
{
    (void)state;
    /* IPv4 TCP 192.0.2.7:4321 -> 198.51.100.1:179 in VLAN 10, SYN */
    uint8_t f[80] = {0};
    memset(f, 0xaa, 6);
    memset(f + 6, 0xbb, 6);
    put16(f + 12, 0x8100);
    put16(f + 14, 10);
    put16(f + 16, 0x0800);
    uint8_t *h = f + 18;
    h[0] = 0x45;
    put16(h + 2, 40);
    h[8] = 64;
    h[9] = 6;
    const uint8_t sa[4] = {192, 0, 2, 7}, da[4] = {198, 51, 100, 1};
    memcpy(h + 12, sa, 4);
    memcpy(h + 16, da, 4);
    uint8_t *t = h + 20;
    put16(t, 4321);
    put16(t + 2, 179);
    t[12] = 0x50;
    t[13] = 0x02;
    struct ns_pkt p;
    memset(&p, 0, sizeof p);
    p.caplen = p.wirelen = 58;
    p.ifindex = 3;
    ns_pkt_decode(&p, NS_LINK_ETHERNET, f);
    struct {
        const char *e;
        int want;
    } cases[] = {
        {"tcp and port 179 and net 192.0.2.0/24", 1},
        {"tcp and port 179 and net 192.0.3.0/24", 0},
        {"vlan 10", 1},
        {"vlan 11", 0},
        {"vlan", 1},
        {"not esp", 1},
        {"not encrypted", 1},
        {"mpls", 0},
        {"src host 192.0.2.7 and dst port bgp", 1},
        {"dst host 192.0.2.7", 0},
        {"tcp port 80 or 179", 1},
        {"udp port 179", 0},
        {"portrange 170-180", 1},
        {"src portrange 170-180", 0},
        {"ip and not ip6", 1},
        {"ip6", 0},
        {"len >= 58 and len < 59", 1},
        {"greater 59", 0},
        {"less 58", 1},
        {"tcp[13] & 0x12 == 0x02", 1},
        {"tcp[13] & 2 != 0 and tcp[2:2] = 179", 1},
        {"ip[9] = 6 and ip[12:4] == 0xc0000207", 1},
        {"ip6[6] = 6", 0},
        {"udp[0:2] = 4321", 0},
        {"ether[12:2] = 0x8100", 1},
        {"ether src host bb:bb:bb:bb:bb:bb and ether dst host aa:aa:aa:aa:aa:aa", 1},
        {"iface 3", 1},
        {"iface 2", 0},
        {"ttl == 64 and tcpflags & 0x02 != 0", 1},
        {"proto 6 or 17", 1},
        {"ip proto tcp", 1},
        {"not (udp or icmp) and (host 198.51.100.1)", 1},
        {"!tcp || udp", 0},
        {"", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ns_match *m;
        struct ns_error e;
        if (ns_match_compile(&m, cases[i].e, &e) < 0)
            fail_msg("'%s': %s", cases[i].e, e.msg);
        if (ns_match_eval(m, &p, f) != cases[i].want)
            fail_msg("'%s' should be %d", cases[i].e, cases[i].want);
        ns_match_free(m);
    }
}

static void test_match_errors(void **state)
{
    (void)state;
    struct {
        const char *e, *msg;
    } cases[] = {
        {"tcp and", "expected a primitive, got end of expression (column 8)"},
        {"tcp annd udp", "expected 'and', 'or' or the end, got 'annd' (column 5)"},
        {"host 300.1.1.1", "expected an IPv4 or IPv6 address, got '300.1.1.1' (column 6)"},
        {"net 192.0.2.1/24", "'192.0.2.1/24' has bits set beyond its prefix length (column 5)"},
        {"icmp port 3", "'icmp' has no ports (column 1)"},
        {"(tcp", "expected ')', got end of expression (column 5)"},
        {"tcp[13 & 2 = 2", "expected ']', got '&' (column 8)"},
        {"vlan 5000", "vlan wants 0..4095 (column 6)"},
        {"tcp | udp", "expected 'and', 'or' or the end, got '|' (column 5)"},
        {"ip6 host 10.0.0.1", "'10.0.0.1' is not an IPv6 address (column 10)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ns_match *m;
        struct ns_error e;
        assert_int_equal(ns_match_compile(&m, cases[i].e, &e), NS_EINVAL);
        assert_null(m);
        if (!strstr(e.msg, cases[i].msg))
            fail_msg("'%s': got '%s'", cases[i].e, e.msg);
    }
}

static void test_spec_errors(void **state)
{
    (void)state;
    struct {
        const char *spec, *msg;
    } cases[] = {
        {"count", "expected KIND:PARAMETERS"},
        {"cnt:1/100", "the kind is one of"},
        {"count:0/100", "expected n/N"},
        {"count:5/3", "expected n/N"},
        {"random:p=1.5", "p wants a probability"},
        {"hash:md5,frac=0.1", "bob, ipsx, crc32 or sip"},
        {"hash:bob", "needs range=LO-HI or frac=F"},
        {"hash:bob,range=5-3", "range wants"},
        {"hash:bob,frac=0.1,key=00112233445566778899aabbccddeeff", "a key needs hash:sip"},
        {"hash:sip,frac=0.1,key=0011", "key wants 32 hex digits"},
        {"hash:bob,frac=0.1,domain=l2", "domain is ip"},
        {"time:1ms", "expected INTERVAL/PERIOD"},
        {"count:1/10,seed=3", "unknown parameter"},
        {"iface:a", "expected interface ids"},
        {"match:tcp and", "expected a primitive"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ns_sel_chain *c;
        struct ns_error e;
        assert_int_equal(ns_sel_chain_create(&c, &e), 0);
        assert_true(ns_sel_chain_add_spec(c, cases[i].spec, &e) < 0);
        if (!strstr(e.msg, cases[i].msg))
            fail_msg("'%s': got '%s'", cases[i].spec, e.msg);
        ns_sel_chain_free(c);
    }
    /* a description reads back as a spec */
    struct ns_sel_chain *c =
        chain_of("hash:crc32,init=5,range=0-99:200-299,domain=ip+payload4,id=9", "time:1ms/10ms");
    struct ns_sel_info in;
    ns_sel_chain_info(c, 0, &in);
    assert_string_equal(in.desc, "hash:crc32,init=5,range=0-99:200-299,domain=ip+payload4,id=9");
    assert_int_equal(in.id, 9);
    ns_sel_chain_info(c, 1, &in);
    assert_string_equal(in.desc, "time:interval=1000us,spacing=9000us");
    ns_sel_chain_free(c);
}

/* keyed hash: a different key selects a different, equally large set */
static void test_keyed(void **state)
{
    (void)state;
    enum { M = 200000 };
    struct ns_sel_chain *a =
        chain_of("hash:sip,frac=0.1,key=000102030405060708090a0b0c0d0e0f", NULL);
    struct ns_sel_chain *b =
        chain_of("hash:sip,frac=0.1,key=f00102030405060708090a0b0c0d0e0f", NULL);
    struct ns_sel_chain *a2 =
        chain_of("hash:sip,frac=0.1,key=000102030405060708090a0b0c0d0e0f", NULL);
    uint64_t ka = 0, kb = 0, both = 0;
    xs_state = 5;
    for (int i = 0; i < M; i++) {
        struct synth s;
        make_packet(&s, 0);
        struct synth s2 = s, s3 = s;
        int x = run(a, &s, NULL), y = run(b, &s2, NULL);
        assert_int_equal(run(a2, &s3, NULL), x);
        ka += (uint64_t)x;
        kb += (uint64_t)y;
        both += (uint64_t)(x && y);
    }
    double mean = M * 0.1, sd = sqrt(M * 0.1 * 0.9);
    assert_true(fabs((double)ka - mean) < Z999 * sd);
    assert_true(fabs((double)kb - mean) < Z999 * sd);
    /* independent keys: the overlap is that of independent 10 % samples */
    double mo = M * 0.01, so = sqrt(M * 0.01 * 0.99);
    assert_true(fabs((double)both - mo) < Z999 * so);
    ns_sel_chain_free(a);
    ns_sel_chain_free(b);
    ns_sel_chain_free(a2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_vectors),
        cmocka_unit_test(test_count_golden),
        cmocka_unit_test(test_time_golden),
        cmocka_unit_test(test_nofn_exact),
        cmocka_unit_test(test_fractions),
        cmocka_unit_test(test_size_fraction),
        cmocka_unit_test(test_chain_counters),
        cmocka_unit_test(test_selftest),
        cmocka_unit_test(test_selftest_random),
        cmocka_unit_test(test_match_selftest),
        cmocka_unit_test(test_match_exprs),
        cmocka_unit_test(test_match_errors),
        cmocka_unit_test(test_spec_errors),
        cmocka_unit_test(test_keyed),
        cmocka_unit_test(test_bob_x4),
        cmocka_unit_test(test_bob_x4_padded),
        cmocka_unit_test(test_burst_equals_single),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
