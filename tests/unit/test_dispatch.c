/* The worker dispatch hash (probe/dispatch.h): both directions of a flow,
 * every fragment of a datagram (IPv4 and IPv6, first and later, with and
 * without ports), unfragmented packets of the same flow and the packets of
 * one tunnel all get one hash, so they meet on one worker for any number of
 * workers; non-IP goes to worker 0; the spread over two workers is even.
 * The classic BPF version (the kernel's fan-out program, here built for
 * plain Ethernet frames and run by libpcap's interpreter) returns exactly
 * the C function's value on the same frames. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <stdint.h>
#include <string.h>

#include "pkt/pkt.h"
#include "probe/dispatch.h"

struct frame {
    uint8_t b[256];
    uint32_t len;
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint32_t eth(struct frame *f, uint16_t type)
{
    memset(f->b, 0, sizeof f->b);
    for (int i = 0; i < 6; i++) {
        f->b[i] = (uint8_t)(0x02 + i);
        f->b[6 + i] = (uint8_t)(0x12 + i);
    }
    put16(f->b + 12, type);
    return 14;
}

/* IPv4 (RFC 791) carrying `proto`; frag_off in 8-byte units, mf flag;
 * ports written only when the fragment offset is 0 */
static void ip4(struct frame *f, const uint8_t s[4], const uint8_t d[4], uint8_t proto,
                uint16_t sport, uint16_t dport, uint16_t frag8, int mf)
{
    uint32_t o = eth(f, 0x0800);
    uint8_t *h = f->b + o;
    uint16_t plen = 16;
    h[0] = 0x45;
    put16(h + 2, (uint16_t)(20 + plen));
    put16(h + 4, 0x1234);
    put16(h + 6, (uint16_t)((mf ? 0x2000 : 0) | frag8));
    h[8] = 64;
    h[9] = proto;
    memcpy(h + 12, s, 4);
    memcpy(h + 16, d, 4);
    if (frag8 == 0) {
        put16(h + 20, sport);
        put16(h + 22, dport);
        put16(h + 24, plen);
    }
    f->len = o + 20 + plen;
}

/* IPv6 (RFC 8200) with a fragment header when frag >= 0 (offset in 8-byte units) */
static void ip6(struct frame *f, const uint8_t s[16], const uint8_t d[16], uint16_t sport,
                uint16_t dport, int frag8, int mf)
{
    uint32_t o = eth(f, 0x86dd);
    uint8_t *h = f->b + o;
    uint32_t l4 = 40;
    h[0] = 0x60;
    h[1] = 0x01; /* a flow label: the hash must not care */
    h[7] = 64;
    memcpy(h + 8, s, 16);
    memcpy(h + 24, d, 16);
    if (frag8 >= 0) {
        h[6] = 44;
        h[40] = 17;
        put16(h + 42, (uint16_t)((frag8 << 3) | (mf ? 1 : 0)));
        h[47] = 7; /* identification */
        l4 += 8;
    } else {
        h[6] = 17;
    }
    if (frag8 <= 0) {
        put16(h + l4, sport);
        put16(h + l4 + 2, dport);
        put16(h + l4 + 4, 16);
    }
    put16(h + 4, (uint16_t)(l4 - 40 + 16));
    f->len = o + l4 + 16;
}

static uint32_t hash_of(const struct frame *f, struct ns_pkt *p)
{
    memset(p, 0, sizeof *p);
    p->caplen = p->wirelen = f->len;
    ns_pkt_decode(p, NS_LINK_ETHERNET, f->b);
    uint32_t h = ns_dispatch_hash(p);
    /* the cBPF program says the same on the same bytes */
    struct sock_filter prog[NS_DISPATCH_CBPF_MAX];
    size_t n = ns_dispatch_cbpf(prog, 0);
    assert_true(n > 0 && n <= NS_DISPATCH_CBPF_MAX);
    u_int got = bpf_filter((const struct bpf_insn *)(const void *)prog, f->b, f->len, f->len);
    assert_int_equal(got, h);
    return h;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next32(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static void both_directions_meet(void **state)
{
    (void)state;
    struct frame f;
    struct ns_pkt p;
    for (int i = 0; i < 2000; i++) {
        uint8_t a[16], b[16];
        for (int k = 0; k < 16; k++) {
            a[k] = (uint8_t)next32();
            b[k] = (uint8_t)next32();
        }
        uint16_t x = (uint16_t)next32(), y = (uint16_t)next32();
        ip4(&f, a, b, 6, x, y, 0, 0);
        uint32_t h = hash_of(&f, &p);
        assert_true(p.flags & NS_PKT_F_IP);
        ip4(&f, b, a, 6, y, x, 0, 0);
        assert_int_equal(hash_of(&f, &p), h);
        ip6(&f, a, b, x, y, -1, 0);
        uint32_t h6 = hash_of(&f, &p);
        assert_int_equal(p.ip_version, 6);
        ip6(&f, b, a, y, x, -1, 0);
        assert_int_equal(hash_of(&f, &p), h6);
        for (unsigned n = 1; n <= 8; n++) {
            assert_true(ns_dispatch_worker(h, n) < n);
            assert_int_equal(ns_dispatch_worker(hash_of(&f, &p), n), ns_dispatch_worker(h6, n));
        }
    }
}

static void fragments_meet_their_flow(void **state)
{
    (void)state;
    static const uint8_t a[4] = {192, 0, 2, 1}, b[4] = {198, 51, 100, 7};
    static const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    static const uint8_t b6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 9};
    struct frame f;
    struct ns_pkt p;
    ip4(&f, a, b, 17, 5353, 53, 0, 0); /* unfragmented packet of the flow */
    uint32_t h = hash_of(&f, &p);
    ip4(&f, b, a, 17, 53, 5353, 0, 1); /* first fragment of the answer */
    assert_int_equal(hash_of(&f, &p), h);
    assert_true(p.flags & NS_PKT_F_FRAG_FIRST);
    ip4(&f, b, a, 17, 0, 0, 185, 1); /* a middle one, no ports */
    assert_int_equal(hash_of(&f, &p), h);
    assert_true((p.flags & NS_PKT_F_FRAG) && !(p.flags & NS_PKT_F_FRAG_FIRST));
    ip4(&f, b, a, 17, 0, 0, 370, 0); /* the last */
    assert_int_equal(hash_of(&f, &p), h);

    ip6(&f, a6, b6, 5353, 53, -1, 0);
    uint32_t h6 = hash_of(&f, &p);
    ip6(&f, b6, a6, 53, 5353, 0, 1);
    assert_int_equal(hash_of(&f, &p), h6);
    assert_true(p.flags & NS_PKT_F_FRAG_FIRST);
    ip6(&f, b6, a6, 0, 0, 181, 0);
    assert_int_equal(hash_of(&f, &p), h6);
    assert_true((p.flags & NS_PKT_F_FRAG) && !(p.flags & NS_PKT_F_FRAG_FIRST));
}

static void tunnels_and_non_ip(void **state)
{
    (void)state;
    static const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
    struct frame f;
    struct ns_pkt p;
    /* IP-in-IP (proto 4) and GRE (47): the outer pair is the flow, whatever
     * rides inside (the inner bytes here differ per packet) */
    ip4(&f, a, b, 4, 0x4500, 0x0030, 0, 0);
    uint32_t h = hash_of(&f, &p);
    ip4(&f, b, a, 4, 0x4500, 0x0099, 0, 0);
    assert_int_equal(hash_of(&f, &p), h);
    ip4(&f, a, b, 47, 0, 0x0800, 0, 0);
    assert_int_equal(hash_of(&f, &p), h);
    /* ARP: worker 0 */
    eth(&f, 0x0806);
    f.len = 60;
    assert_int_equal(hash_of(&f, &p), 0);
    assert_false(p.flags & NS_PKT_F_IP);
}

static void spreads_evenly(void **state)
{
    (void)state;
    unsigned cnt[3] = {0};
    for (int i = 0; i < 30000; i++) {
        uint8_t s[4], d[4];
        uint32_t x = next32(), y = next32();
        memcpy(s, &x, 4);
        memcpy(d, &y, 4);
        cnt[ns_dispatch_worker(ns_dispatch_hash_addrs(s, d, 4), 3)]++;
    }
    for (int i = 0; i < 3; i++)
        assert_true(cnt[i] > 9000 && cnt[i] < 11000);
    /* hosts of one /24 talking to one server: still spread */
    unsigned two[2] = {0};
    for (int i = 1; i < 255; i++) {
        uint8_t s[4] = {192, 0, 2, (uint8_t)i}, d[4] = {203, 0, 113, 10};
        two[ns_dispatch_worker(ns_dispatch_hash_addrs(s, d, 4), 2)]++;
    }
    assert_true(two[0] > 90 && two[1] > 90);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(both_directions_meet),
        cmocka_unit_test(fragments_meet_their_flow),
        cmocka_unit_test(tunnels_and_non_ip),
        cmocka_unit_test(spreads_evenly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
