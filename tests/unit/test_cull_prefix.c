/*
 * Peering-LAN prefixes (cull/prefix.h): strict parsing (length required,
 * host bits, ranges, mixed families, /0), canonical text, containment at
 * the edges of byte and non-byte lengths, overlap, the LAN set's duplicate
 * and overlap refusals, and containment against a bit-by-bit reference on
 * random prefixes and addresses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cull/prefix.h"

static struct ns_prefix P(const char *s) {
    struct ns_prefix p;
    struct ns_error e = {0};
    int rc = ns_prefix_parse(s, &p, &e);
    if (rc < 0)
        fail_msg("%s: %s", s, e.msg);
    return p;
}

static void
parse_ok(void **state)
{
    static const struct {
        const char *in, *canon;
        int family, len;
    } t[] = {{"192.0.2.0/24", "192.0.2.0/24", 4, 24},
             {"10.0.0.0/8", "10.0.0.0/8", 4, 8},
             {"192.0.2.7/32", "192.0.2.7/32", 4, 32},
             {"198.51.100.128/25", "198.51.100.128/25", 4, 25},
             {"2001:db8:2::/64", "2001:db8:2::/64", 6, 64},
             {"2001:DB8:0002:0000::/64", "2001:db8:2::/64", 6, 64},
             {"2001:db8::1/128", "2001:db8::1/128", 6, 128},
             {"fe80::/10", "fe80::/10", 6, 10},
             {"128.0.0.0/1", "128.0.0.0/1", 4, 1}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct ns_prefix p = P(t[i].in);
        char buf[NS_PREFIX_STRLEN];
        ns_prefix_format(&p, buf, sizeof buf);
        assert_string_equal(buf, t[i].canon);
        assert_int_equal(p.family, t[i].family);
        assert_int_equal(p.len, t[i].len);
    }
}

static void parse_errors(void **state)
{
    static const struct {
        const char *in, *msg;
    } t[] = {
        {"192.0.2.1/24", "host bits set after the first 24 bits (the network is 192.0.2.0/24)"},
        {"192.0.2.129/25", "(the network is 192.0.2.128/25)"},
        {"2001:db8:2::1/64", "(the network is 2001:db8:2::/64)"},
        {"2001:db8:2:8000::/48", "(the network is 2001:db8:2::/48)"},
        {"192.0.2.0", "no prefix length"},
        {"192.0.2.0/", "is not a number"},
        {"192.0.2.0/+8", "is not a number"},
        {"192.0.2.0/0024", "is not a number"},
        {"192.0.2.0/24 ", "is not a number"},
        {"/24", "not an IPv4 or IPv6 prefix"},
        {"192.0.2/24", "is not an IPv4 address"},
        {"192.0.2.256/24", "is not an IPv4 address"},
        {"2001:db8:::/64", "is not an IPv6 address"},
        {"fe80::1%eth0/64", "is not an IPv6 address"},
        {"192.0.2.0/33", "mixed families"},
        {"192.0.2.0/128", "mixed families"},
        {"192.0.2.0/129", "prefix length 129 is longer than 32"},
        {"2001:db8::/129", "prefix length 129 is longer than 128"},
        {"0.0.0.0/0", "a /0 is not a peering LAN"},
        {"::/0", "a /0 is not a peering LAN"},
        {"::ffff:192.0.2.0/120", "give the IPv4 prefix 192.0.2.0/24"},
        {"::ffff:0:0/96", "give the IPv4 prefix 0.0.0.0/0"},
        {"::ffff:0:0/80", "IPv4-mapped"},
        {"", "empty prefix"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct ns_prefix p;
        struct ns_error e = {0};
        assert_int_equal(ns_prefix_parse(t[i].in, &p, &e), NS_EINVAL);
        if (!strstr(e.msg, t[i].msg))
            fail_msg("'%s': message '%s' lacks '%s'", t[i].in, e.msg, t[i].msg);
    }
}

static void contains_edges(void **state)
{
    struct ns_prefix p = P("198.51.100.128/25");
    uint8_t a[4] = {198, 51, 100, 128};
    assert_true(ns_prefix_contains(&p, 4, a));
    a[3] = 255;
    assert_true(ns_prefix_contains(&p, 4, a));
    a[3] = 127;
    assert_false(ns_prefix_contains(&p, 4, a));
    a[2] = 101;
    a[3] = 200;
    assert_false(ns_prefix_contains(&p, 4, a));
    assert_false(ns_prefix_contains(&p, 6, a)); /* other family */

    struct ns_prefix q = P("2001:db8:2::/127");
    uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 2};
    assert_true(ns_prefix_contains(&q, 6, b));
    b[15] = 1;
    assert_true(ns_prefix_contains(&q, 6, b));
    b[15] = 2;
    assert_false(ns_prefix_contains(&q, 6, b));
    assert_false(ns_prefix_contains(&q, 4, b));

    struct ns_prefix h = P("192.0.2.7/32");
    uint8_t c[4] = {192, 0, 2, 7};
    assert_true(ns_prefix_contains(&h, 4, c));
    c[3] = 6;
    assert_false(ns_prefix_contains(&h, 4, c));
}

static void overlaps(void **state)
{
    struct ns_prefix a = P("192.0.2.0/24"), b = P("192.0.2.128/25"), c = P("192.0.3.0/24"),
                     d = P("2001:db8::/32"), e = P("2001:db8:2::/64"), f = P("2001:db9::/32");
    assert_true(ns_prefix_overlaps(&a, &b));
    assert_true(ns_prefix_overlaps(&b, &a));
    assert_true(ns_prefix_overlaps(&a, &a));
    assert_false(ns_prefix_overlaps(&a, &c));
    assert_true(ns_prefix_overlaps(&d, &e));
    assert_false(ns_prefix_overlaps(&d, &f));
    assert_false(ns_prefix_overlaps(&a, &d));
}

static void lan_set(void **state)
{
    struct ns_lan lan = {0};
    struct ns_error e = {0};
    assert_int_equal(ns_lan_add(&lan, "192.0.2.0/24", &e), 0);
    assert_int_equal(ns_lan_add(&lan, "2001:db8:2::/64", &e), 0);
    assert_int_equal(ns_lan_add(&lan, "198.51.100.0/25", &e), 0);
    assert_int_equal(ns_lan_count(&lan, 4), 2);
    assert_int_equal(ns_lan_count(&lan, 6), 1);

    assert_int_equal(ns_lan_add(&lan, "192.0.2.0/24", &e), NS_EINVAL);
    assert_non_null(strstr(e.msg, "duplicate LAN prefix (192.0.2.0/24 given twice)"));
    assert_int_equal(ns_lan_add(&lan, "2001:DB8:2:0::/64", &e), NS_EINVAL);
    assert_non_null(strstr(e.msg, "duplicate"));
    assert_int_equal(ns_lan_add(&lan, "192.0.2.64/26", &e), NS_EINVAL);
    assert_non_null(strstr(e.msg, "overlapping LAN prefixes 192.0.2.0/24 and 192.0.2.64/26"));
    assert_int_equal(ns_lan_add(&lan, "198.51.0.0/16", &e), NS_EINVAL);
    assert_non_null(strstr(e.msg, "overlapping"));
    assert_int_equal(ns_lan_add(&lan, "192.0.2.1/24", &e), NS_EINVAL);
    assert_non_null(strstr(e.msg, "host bits"));
    assert_int_equal(lan.n, 3); /* failures leave it unchanged */

    uint8_t in1[4] = {192, 0, 2, 1}, in2[4] = {198, 51, 100, 127}, out[4] = {198, 51, 100, 128};
    uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
    assert_true(ns_lan_pair(&lan, 4, in1, in2)); /* two prefixes of one family */
    assert_false(ns_lan_pair(&lan, 4, in1, out));
    assert_false(ns_lan_pair(&lan, 4, out, in1));
    assert_true(ns_lan_pair(&lan, 6, v6, v6));
    assert_true(ns_lan_contains(&lan, 6, v6));

    struct ns_lan full = {0};
    char buf[32];
    for (int i = 0; i < NS_LAN_MAX; i++) {
        snprintf(buf, sizeof buf, "10.%d.0.0/16", i);
        assert_int_equal(ns_lan_add(&full, buf, &e), 0);
    }
    assert_int_equal(ns_lan_add(&full, "192.0.2.0/24", &e), NS_EFULL);
}

/* Reference: compare bit by bit. */
static int ref_contains(const uint8_t *net, unsigned len, const uint8_t *a)
{
    for (unsigned i = 0; i < len; i++)
        if (((net[i / 8] >> (7 - i % 8)) & 1) != ((a[i / 8] >> (7 - i % 8)) & 1))
            return 0;
    return 1;
}

static void contains_random(void **state)
{
    srand(8327);
    for (int iter = 0; iter < 20000; iter++) {
        int fam = rand() % 2 ? 4 : 6;
        unsigned bits = fam == 4 ? 32 : 128, len = 1 + (unsigned)rand() % bits;
        struct ns_prefix p = {.family = (uint8_t)fam, .len = (uint8_t)len};
        uint8_t a[16] = {0};
        for (unsigned i = 0; i < bits / 8; i++)
            p.addr[i] = (uint8_t)rand();
        for (unsigned i = len; i < bits; i++) /* clear host bits */
            p.addr[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
        /* an address near the prefix: flip one random bit of its network */
        memcpy(a, p.addr, sizeof a);
        unsigned flip = (unsigned)rand() % bits;
        a[flip / 8] ^= (uint8_t)(0x80u >> (flip % 8));
        assert_int_equal(ns_prefix_contains(&p, fam, a), ref_contains(p.addr, len, a));
        assert_int_equal(ns_prefix_contains(&p, fam, a), flip >= len);
        /* text round trip */
        char buf[NS_PREFIX_STRLEN];
        ns_prefix_format(&p, buf, sizeof buf);
        struct ns_prefix q = P(buf);
        assert_memory_equal(&p, &q, sizeof p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_ok),       cmocka_unit_test(parse_errors),
        cmocka_unit_test(contains_edges), cmocka_unit_test(overlaps),
        cmocka_unit_test(lan_set),        cmocka_unit_test(contains_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
