/* Biflow keys: matching of both directions, initiator rules, ICMP pairing, VLAN. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "meter/key.h"
#include "meter_helpers.h"

static const uint8_t *v4(const char *s)
{
    static uint8_t b[4][16];
    static int k;
    uint8_t *o = b[k++ & 3];
    memset(o, 0, 16);
    inet_pton(AF_INET, s, o);
    return o;
}

static void both_directions_one_flow(void **state)
{
    struct collector c;
    struct ns_meter *m = mk_meter(NULL, &c);
    /* first packet from the higher address: it is still the initiator */
    FEED(m, mk_udp(T0, "10.0.0.9", 5000, "10.0.0.1", 53, 40));
    FEED(m, mk_udp(T0 + 1 * MS, "10.0.0.1", 53, "10.0.0.9", 5000, 100));
    FEED(m, mk_udp(T0 + 2 * MS, "10.0.0.9", 5000, "10.0.0.1", 53, 40));
    FLUSH(m);
    assert_int_equal(c.n, 1);
    struct ns_record *r = &c.r[0];
    assert_memory_equal(r->saddr, v4("10.0.0.9"), 16);
    assert_memory_equal(r->daddr, v4("10.0.0.1"), 16);
    assert_int_equal(r->sport, 5000);
    assert_int_equal(r->dport, 53);
    assert_int_equal(r->dir[0].pkts, 2);
    assert_int_equal(r->dir[1].pkts, 1);
    assert_int_equal(r->dir[0].octets, 2 * (20 + 8 + 40));
    assert_int_equal(r->dir[1].octets, 20 + 8 + 100);
    assert_int_equal(r->dir[1].l2_octets, 14 + 20 + 8 + 100);
    assert_int_equal(r->dir[0].first_ns, T0);
    assert_int_equal(r->dir[0].last_ns, T0 + 2 * MS);
    assert_int_equal(r->dir[1].first_ns, T0 + 1 * MS);
    assert_int_equal(r->syn_seen, 0);
    assert_int_equal(r->end_reason, NS_END_FORCED);
    assert_int_equal(r->present & (NS_RG_TCP | NS_RG_LOSS | NS_RG_RTT), 0);
    assert_true(r->present & NS_RG_KEY);
    ns_meter_destroy(m);
    collector_free(&c);
}

static void different_ports_are_different_flows(void **state)
{
    struct collector c;
    struct ns_meter *m = mk_meter(NULL, &c);
    FEED(m, mk_udp(T0, "10.0.0.1", 1000, "10.0.0.2", 2000, 10));
    FEED(m, mk_udp(T0, "10.0.0.1", 1001, "10.0.0.2", 2000, 10));
    FEED(m, mk_udp(T0, "10.0.0.2", 2000, "10.0.0.1", 1001, 10));
    /* same ports swapped is not the reverse direction of the first flow */
    FEED(m, mk_udp(T0, "10.0.0.1", 2000, "10.0.0.2", 1000, 10));
    FLUSH(m);
    assert_int_equal(c.n, 3);
    ns_meter_destroy(m);
    collector_free(&c);
}

static void syn_decides_initiator(void **state)
{
    struct collector c;
    struct ns_meter *m = mk_meter(NULL, &c);
    /* first packet is a SYN from the higher address/port */
    FEED(m, mk_tcp(T0, "10.0.0.2", 80, "10.0.0.1", 4000, F_SYN, 100, 0, 0));
    FEED(m, mk_tcp(T0 + MS, "10.0.0.1", 4000, "10.0.0.2", 80, F_SYN | F_ACK, 900, 101, 0));
    /* first packet a SYN/ACK: its sender is the initiator, syn_seen 0 */
    FEED(m, mk_tcp(T0, "10.0.0.3", 80, "10.0.0.4", 4000, F_SYN | F_ACK, 900, 101, 0));
    FEED(m, mk_tcp(T0 + MS, "10.0.0.4", 4000, "10.0.0.3", 80, F_ACK, 101, 901, 0));
    /* mid-stream data */
    FEED(m, mk_tcp(T0, "10.0.0.6", 443, "10.0.0.5", 5555, F_ACK, 7, 9, 100));
    FLUSH(m);
    assert_int_equal(c.n, 3);
    for (size_t i = 0; i < c.n; i++) {
        struct ns_record *r = &c.r[i];
        assert_true(r->present & NS_RG_TCP);
        assert_true(r->present & NS_RG_LOSS);
        assert_int_equal(r->loss_source, NS_LOSS_TCP);
        if (r->saddr[3] == 2 || r->daddr[3] == 2) {
            assert_memory_equal(r->saddr, v4("10.0.0.2"), 16);
            assert_int_equal(r->sport, 80);
            assert_int_equal(r->syn_seen, 1);
            assert_int_equal(r->dir[0].tcp_init_flags, F_SYN);
            assert_int_equal(r->dir[1].tcp_init_flags, F_SYN | F_ACK);
        } else if (r->saddr[3] == 3 || r->daddr[3] == 3) {
            assert_memory_equal(r->saddr, v4("10.0.0.3"), 16);
            assert_int_equal(r->syn_seen, 0);
        } else {
            assert_memory_equal(r->saddr, v4("10.0.0.6"), 16);
            assert_int_equal(r->sport, 443);
            assert_int_equal(r->syn_seen, 0);
        }
    }
    ns_meter_destroy(m);
    collector_free(&c);
}

static void icmp_echo_pairs(void **state)
{
    struct collector c;
    struct ns_meter *m = mk_meter(NULL, &c);
    FEED(m, mk_icmp(T0, "10.0.0.1", "10.0.0.2", 8, 0, 56));
    FEED(m, mk_icmp(T0 + MS, "10.0.0.2", "10.0.0.1", 0, 0, 56));
    /* reply seen first: still one flow keyed on the request, requester initiator */
    FEED(m, mk_icmp(T0, "10.0.0.7", "10.0.0.5", 14, 0, 12)); /* timestamp reply */
    FEED(m, mk_icmp(T0 + MS, "10.0.0.5", "10.0.0.7", 13, 0, 12));
    /* unpaired type: both directions canonical, type in the key */
    FEED(m, mk_icmp(T0, "10.0.0.9", "10.0.0.8", 3, 3, 28));
    FEED(m, mk_icmp(T0, "10.0.0.8", "10.0.0.9", 3, 3, 28));
    FEED(m, mk_icmp(T0, "10.0.0.8", "10.0.0.9", 3, 1, 28));
    /* ICMPv6 echo */
    FEED(m, mk_icmp(T0, "2001:db8::1", "2001:db8::2", 128, 0, 16));
    FEED(m, mk_icmp(T0 + MS, "2001:db8::2", "2001:db8::1", 129, 0, 16));
    FLUSH(m);
    assert_int_equal(c.n, 5);
    int seen = 0;
    for (size_t i = 0; i < c.n; i++) {
        struct ns_record *r = &c.r[i];
        assert_int_equal(r->sport, 0);
        assert_int_equal(r->dport, 0);
        if (r->icmp_type == 8) {
            assert_memory_equal(r->saddr, v4("10.0.0.1"), 16);
            assert_int_equal(r->dir[0].pkts, 1);
            assert_int_equal(r->dir[1].pkts, 1);
            seen |= 1;
        } else if (r->icmp_type == 13) {
            assert_memory_equal(r->saddr, v4("10.0.0.5"), 16);
            assert_int_equal(r->dir[0].pkts, 1); /* the request */
            assert_int_equal(r->dir[1].pkts, 1);
            assert_int_equal(r->dir[1].first_ns, T0); /* the reply came first */
            seen |= 2;
        } else if (r->icmp_type == 3 && r->icmp_code == 3) {
            assert_memory_equal(r->saddr, v4("10.0.0.9"), 16);
            assert_int_equal(r->dir[0].pkts, 1);
            assert_int_equal(r->dir[1].pkts, 1);
            seen |= 4;
        } else if (r->icmp_type == 3) {
            assert_int_equal(r->icmp_code, 1);
            seen |= 8;
        } else {
            assert_int_equal(r->icmp_type, 128);
            assert_int_equal(r->ip_version, 6);
            assert_int_equal(r->dir[0].pkts, 1);
            assert_int_equal(r->dir[1].pkts, 1);
            seen |= 16;
        }
    }
    assert_int_equal(seen, 31);
    ns_meter_destroy(m);
    collector_free(&c);
}

static void icmp_pair_table(void **state)
{
    static const struct {
        uint8_t v, t, req;
        int reply, paired;
    } cases[] = {
        {4, 8, 8, 0, 1},     {4, 0, 8, 1, 1},     {4, 13, 13, 0, 1}, {4, 14, 13, 1, 1},
        {4, 15, 15, 0, 1},   {4, 16, 15, 1, 1},   {4, 17, 17, 0, 1}, {4, 18, 17, 1, 1},
        {6, 128, 128, 0, 1}, {6, 129, 128, 1, 1}, {4, 3, 0, 0, 0},   {4, 11, 0, 0, 0},
        {6, 1, 0, 0, 0},     {6, 135, 0, 0, 0},   {4, 128, 0, 0, 0}, {6, 8, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t req = 0;
        int reply = 0;
        assert_int_equal(ns_icmp_pair(cases[i].v, cases[i].t, &req, &reply), cases[i].paired);
        if (cases[i].paired) {
            assert_int_equal(req, cases[i].req);
            assert_int_equal(reply, cases[i].reply);
        }
    }
}

static void vlan_and_version_in_key(void **state)
{
    struct collector c;
    struct ns_meter *m = mk_meter(NULL, &c);
    struct ns_pkt a = mk_udp(T0, "10.0.0.1", 1000, "10.0.0.2", 2000, 10);
    struct ns_pkt b = a, d = a;
    b.vlan_count = 2;
    b.vlan[0] = 100;
    b.vlan[1] = 7;
    d.vlan_count = 1;
    d.vlan[0] = 100;
    FEED(m, a);
    FEED(m, b);
    FEED(m, d); /* same outer VLAN as b: same flow */
    FEED(m, mk_udp(T0, "::a00:1", 1000, "::a00:2", 2000, 10));
    FLUSH(m);
    assert_int_equal(c.n, 3);
    int vl = 0;
    for (size_t i = 0; i < c.n; i++)
        if (c.r[i].vlan == 100) {
            vl = 1;
            assert_int_equal(c.r[i].dir[0].pkts, 2);
        }
    assert_true(vl);
    ns_meter_destroy(m);
    collector_free(&c);
}

static void key_canonical_and_hash(void **state)
{
    struct ns_pkt a = mk_udp(T0, "10.0.0.1", 1000, "10.0.0.2", 2000, 10);
    struct ns_pkt b = mk_udp(T0, "10.0.0.2", 2000, "10.0.0.1", 1000, 10);
    struct ns_key_l4 la = {.sport = 1000, .dport = 2000, .known = 1};
    struct ns_key_l4 lb = {.sport = 2000, .dport = 1000, .known = 1};
    struct ns_flow_key ka, kb;
    assert_int_equal(ns_flow_key_make(&ka, &a, &la), 0);
    assert_int_equal(ns_flow_key_make(&kb, &b, &lb), 1);
    assert_true(ns_flow_key_equal(&ka, &kb));
    assert_int_equal(ns_flow_key_hash(&ka, 1), ns_flow_key_hash(&kb, 1));
    assert_int_not_equal(ns_flow_key_hash(&ka, 1), ns_flow_key_hash(&ka, 2));
    /* same address both ends: ports decide */
    struct ns_pkt s = mk_udp(T0, "10.0.0.1", 9, "10.0.0.1", 7, 1);
    struct ns_key_l4 ls = {.sport = 9, .dport = 7, .known = 1};
    assert_int_equal(ns_flow_key_make(&ka, &s, &ls), 1);
    assert_int_equal(ka.aport, 7);
}

/* The key the RFC 5103 rules ask for, built the slow, obvious way: side a
 * is the lower (address bytes, then port) endpoint, except ICMP request/
 * reply pairs where side a is the requester. */
static int naive_key(struct ns_flow_key *k, const struct ns_pkt *p, const struct ns_key_l4 *l4)
{
    memset(k, 0, sizeof *k);
    size_t alen = p->ip_version == 6 ? 16 : 4;
    int icmp = ns_proto_is_icmp(p->ip_version, p->proto);
    uint16_t sp = l4->known && !icmp ? l4->sport : 0, dp = l4->known && !icmp ? l4->dport : 0;
    uint8_t type = l4->known && icmp ? l4->icmp_type : 0,
            code = l4->known && icmp ? l4->icmp_code : 0;
    int swap;
    uint8_t req;
    int reply;
    if (icmp && l4->known && ns_icmp_pair(p->ip_version, l4->icmp_type, &req, &reply)) {
        swap = reply;
        type = req;
    } else {
        int c = memcmp(p->src, p->dst, alen);
        swap = c > 0 || (c == 0 && sp > dp);
    }
    memcpy(k->a, swap ? p->dst : p->src, alen);
    memcpy(k->b, swap ? p->src : p->dst, alen);
    k->aport = swap ? dp : sp;
    k->bport = swap ? sp : dp;
    k->vlan = p->vlan_count ? (uint16_t)(p->vlan[0] & 0x0fff) : 0;
    k->ip_version = p->ip_version;
    k->proto = p->proto;
    k->icmp_type = type;
    k->icmp_code = code;
    return swap;
}

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ns_flow_key_make (with its IPv4 shortcut) against the naive builder on
 * random packets: near-equal addresses and ports so that every tie-break
 * is reached, every protocol class, VLANs, unknown transport. */
static void key_matches_naive_reference(void **state)
{
    (void)state;
    static const uint8_t protos[] = {6, 17, 1, 58, 132, 33, 47, 50, 136, 0};
    uint64_t s = 42;
    for (int it = 0; it < 200000; it++) {
        struct ns_pkt p;
        memset(&p, 0, sizeof p);
        p.flags = NS_PKT_F_IP;
        p.ip_version = (rnd(&s) & 1) ? 6 : 4;
        p.proto = protos[rnd(&s) % sizeof protos];
        size_t alen = p.ip_version == 6 ? 16 : 4;
        uint64_t r = rnd(&s);
        for (size_t i = 0; i < alen; i++) {
            /* few distinct bytes: equal prefixes and equal addresses are common */
            p.src[i] = (uint8_t)(rnd(&s) % 3);
            p.dst[i] = (r & 1) ? p.src[i] : (uint8_t)(rnd(&s) % 3);
        }
        if (r & 2) {
            p.vlan_count = (uint8_t)(1 + rnd(&s) % 3);
            p.vlan[0] = (uint16_t)rnd(&s);
        }
        struct ns_key_l4 l4 = {0};
        l4.known = (r & 12) != 0;
        l4.sport = (uint16_t)(rnd(&s) % 4);
        l4.dport = (r & 16) ? l4.sport : (uint16_t)(rnd(&s) % 4);
        l4.icmp_type = (uint8_t)(rnd(&s) % 20 + ((r & 32) ? 120 : 0));
        l4.icmp_code = (uint8_t)rnd(&s);
        struct ns_flow_key got, want;
        memset(&got, 0xa5, sizeof got); /* every byte must be written */
        int gs = ns_flow_key_make(&got, &p, &l4);
        int ws = naive_key(&want, &p, &l4);
        assert_int_equal(gs, ws);
        assert_memory_equal(&got, &want, sizeof got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(both_directions_one_flow),
        cmocka_unit_test(different_ports_are_different_flows),
        cmocka_unit_test(syn_decides_initiator),
        cmocka_unit_test(icmp_echo_pairs),
        cmocka_unit_test(icmp_pair_table),
        cmocka_unit_test(vlan_and_version_in_key),
        cmocka_unit_test(key_canonical_and_hash),
        cmocka_unit_test(key_matches_naive_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
