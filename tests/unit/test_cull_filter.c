/*
 * Culling filters (cull/filter.h): platform names round-trip; the rule
 * count ns_cull_filter_rules() reports equals the drop entries each
 * platform writes, for LANs of one or both families and several prefixes;
 * spec checks (names, ports) per platform; the nft apply script replaces
 * the table in one transaction and refuses to run without ports.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cull/filter.h"

static char *render(const struct ns_cull_spec *s, int *rc, struct ns_error *e)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    *rc = ns_cull_filter_write(m, s, e);
    fclose(m);
    /* a copy: gcc 12 takes pointers into an open_memstream buffer for
     * pointers to the local that held its address (-Wdangling-pointer) */
    char *copy = strdup(buf);
    free(buf);
    return copy;
}

static size_t count(const char *text, const char *needle)
{
    size_t n = 0, off = 0, nl = strlen(needle);
    const char *hit;
    while ((hit = strstr(text + off, needle)) != NULL) {
        n++;
        off = (size_t)(hit - text) + nl;
    }
    return n;
}

static void platforms(void **state)
{
    for (int i = NS_CULL_IOS; i <= NS_CULL_NFTABLES; i++) {
        enum ns_cull_platform p;
        assert_int_equal(ns_cull_platform_parse(ns_cull_platform_name(i), &p, NULL), 0);
        assert_int_equal(p, i);
    }
    enum ns_cull_platform p;
    struct ns_error e = {0};
    assert_int_equal(ns_cull_platform_parse("EOS", &p, &e), NS_EINVAL);
    assert_non_null(strstr(e.msg, "unknown platform 'EOS'"));
}

static void rule_counts(void **state)
{
    static const char *lans[][4] = {{"192.0.2.0/24"},
                                    {"2001:db8:2::/64"},
                                    {"192.0.2.0/24", "2001:db8:2::/64"},
                                    {"192.0.2.0/24", "198.51.100.0/24", "2001:db8:2::/64"},
                                    {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}};
    /* the text one drop entry has, per platform */
    static const char *drop[] = {
        [NS_CULL_IOS] = " deny tcp ",      [NS_CULL_IOSXR] = " deny tcp ",
        [NS_CULL_EOS] = " deny tcp ",      [NS_CULL_SROS] = "            drop\n",
        [NS_CULL_JUNOS] = "then discard;", [NS_CULL_NFTABLES] = " drop\n"};
    const char *ports[] = {"p1", "p2"};
    for (size_t l = 0; l < sizeof lans / sizeof lans[0]; l++) {
        struct ns_lan lan = {0};
        for (int i = 0; i < 4 && lans[l][i]; i++)
            assert_int_equal(ns_lan_add(&lan, lans[l][i], NULL), 0);
        for (int p = NS_CULL_IOS; p <= NS_CULL_NFTABLES; p++) {
            struct ns_cull_spec s = {.platform = p, .lan = &lan, .ports = ports, .nports = 2};
            int rc;
            struct ns_error e = {0};
            char *t = render(&s, &rc, &e);
            assert_int_equal(rc, 0);
            assert_int_equal(count(t, drop[p]), ns_cull_filter_rules(&s));
            /* every platform permits the rest */
            assert_true(strstr(t, "permit") || strstr(t, "default-action forward") ||
                        strstr(t, "then accept") || strstr(t, "policy accept"));
            free(t);
        }
    }
}

static void checks(void **state)
{
    struct ns_lan lan = {0};
    assert_int_equal(ns_lan_add(&lan, "192.0.2.0/24", NULL), 0);
    struct ns_error e = {0};
    struct ns_cull_spec s = {.platform = NS_CULL_EOS, .lan = &lan};
    assert_int_equal(ns_cull_spec_check(&s, &e), 0);
    s.name = "cull-2024.1";
    assert_int_equal(ns_cull_spec_check(&s, &e), 0);
    s.platform = NS_CULL_NFTABLES;
    assert_int_equal(ns_cull_spec_check(&s, &e), NS_EINVAL); /* '-' is not nft */
    s.name = "cull_2024";
    assert_int_equal(ns_cull_spec_check(&s, &e), 0);
    const char *longport[] = {"abcdefghijklmnop"}; /* 16 > IFNAMSIZ-1 */
    s.ports = longport;
    s.nports = 1;
    assert_int_equal(ns_cull_spec_check(&s, &e), NS_EINVAL);
    s.platform = NS_CULL_JUNOS;
    assert_int_equal(ns_cull_spec_check(&s, &e), 0);
    const char *bad[] = {"e1", "e{1"};
    s.ports = bad;
    s.nports = 2;
    assert_int_equal(ns_cull_spec_check(&s, &e), NS_EINVAL);
    assert_non_null(strstr(e.msg, "'e{1'"));
    struct ns_lan none = {0};
    s.lan = &none;
    s.nports = 0;
    assert_int_equal(ns_cull_spec_check(&s, &e), NS_EINVAL);
    assert_non_null(strstr(e.msg, "no peering LAN prefix"));
}

static void nft_script(void **state)
{
    struct ns_lan lan = {0};
    assert_int_equal(ns_lan_add(&lan, "2001:db8:2::/64", NULL), 0);
    const char *ports[] = {"va"};
    struct ns_cull_spec s = {.platform = NS_CULL_NFTABLES, .lan = &lan, .name = "t9"};
    char *buf = NULL;
    size_t len = 0;
    struct ns_error e = {0};
    FILE *m = open_memstream(&buf, &len);
    assert_int_equal(ns_cull_nft_apply_script(m, &s, &e), NS_EINVAL);
    assert_non_null(strstr(e.msg, "apply needs --port"));
    s.ports = ports;
    s.nports = 1;
    assert_int_equal(ns_cull_nft_apply_script(m, &s, &e), 0);
    fclose(m);
    /* create-if-absent, delete, define: one transaction, idempotent */
    assert_non_null(strstr(buf, "table bridge t9\ndelete table bridge t9\n"));
    assert_non_null(strstr(buf, "table bridge t9 {"));
    assert_int_equal(count(buf, "iifname { \"va\" } ip6 saddr { 2001:db8:2::/64 }"), 2);
    assert_null(strstr(buf, " ip saddr"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(platforms),
        cmocka_unit_test(rule_counts),
        cmocka_unit_test(checks),
        cmocka_unit_test(nft_script),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
