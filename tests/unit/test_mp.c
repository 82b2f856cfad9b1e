/*
 * Parallel measurement processes (src/mp): the --mp syntax — items
 * separated by ';', selector specs keeping their commas and colons, the
 * defaults, and bad inputs refused with the item's column and a message
 * that names what is wrong; the rules between processes (distinct ids and
 * names, at most one metering process); the --mp-budget syntax.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "mp/mp.h"

static void test_parse_good(void **state)
{
    (void)state;
    struct ns_mp_spec s;
    struct ns_error err = {0};
    assert_int_equal(ns_mp_parse(" name=traj ; prio=1; id=42 ;select=hash:bob,frac=0.01,init=7;"
                                 "report=seq,time,digest",
                                 1, &s, &err),
                     0);
    assert_string_equal(s.name, "traj");
    assert_int_equal(s.prio, 1);
    assert_int_equal(s.ssid, 42);
    assert_int_equal(s.flows, 0);
    assert_int_equal(s.nsel, 1);
    assert_string_equal(s.sel[0], "hash:bob,frac=0.01,init=7");
    assert_int_equal(s.report.fields, NS_RF_SEQ | NS_RF_TIME_US | NS_RF_DIGEST);

    /* a filter expression with spaces, a chain of two, flows */
    assert_int_equal(
        ns_mp_parse("select=match:tcp and port 80;select=count:1/100,offset=3;flows", 2, &s, &err),
        0);
    assert_int_equal(s.nsel, 2);
    assert_string_equal(s.sel[0], "match:tcp and port 80");
    assert_string_equal(s.sel[1], "count:1/100,offset=3");
    assert_int_equal(s.flows, 1);
    assert_int_equal(s.report.fields, 0);
    assert_int_equal(s.prio, 0); /* defaults come with ns_mp_check */
    assert_int_equal(s.ssid, 0);

    /* bare `report`: the default fields; an empty item is fine */
    assert_int_equal(ns_mp_parse("select=count:1/2;;report;", 3, &s, &err), 0);
    struct ns_report_config d;
    ns_report_config_default(&d);
    assert_int_equal(s.report.fields, d.fields);
    assert_int_equal(s.report.section_bytes, d.section_bytes);
}

/* The spec must fail, and the message must contain every `want`. */
static void refused(const char *spec, const char *want1, const char *want2)
{
    struct ns_mp_spec s;
    struct ns_error err = {0};
    assert_int_equal(ns_mp_parse(spec, 2, &s, &err), NS_EINVAL);
    if (!strstr(err.msg, want1) || (want2 && !strstr(err.msg, want2)))
        fail_msg("'%s': message '%s' lacks '%s' / '%s'", spec, err.msg, want1, want2 ? want2 : "");
}

static void test_parse_bad(void **state)
{
    (void)state;
    refused("select=count:1/2; selct=x;report", "--mp 2, column 19", "unknown key 'selct'");
    refused("select=count:1/2;report;prio=0", "column 25", "prio wants 1..1000");
    refused("select=count:1/2;report;prio=1001", "column 25", "prio wants");
    refused("select=count:1/2;report;prio=x", "prio wants", NULL);
    refused("select=count:1/2;report;id=-3", "column 25", "id (selectionSequenceId)");
    refused("select=count:1/2;report;name=a b", "name 'a b'", "letters");
    refused("select=count:1/2;report;name=", "name wants 1 to 31", NULL);
    refused("select=count:1/2;report;name=abcdefghijabcdefghijabcdefghijxyz", "name wants", NULL);
    refused("select=cont:1/2;report", "column 1", "select:");
    refused("name=x;select=count:0/2;report", "column 8", "select:");
    refused("select=count:1/2;report=seq,bogus", "column 18", "report:");
    refused("select=count:1/2;report;report=seq", "a second report", NULL);
    refused("select=count:1/2;flows=yes", "'flows' takes no value", NULL);
    refused("select=count:1/2;junk", "'junk' is not KEY=VALUE", NULL);
    refused("name=x;report", "--mp 2: no select=SPEC", NULL);
    refused("select=count:1/2", "report[=FIELDS]", "or flows");
    refused("select=count:1/2;report;flows", "one of them", NULL);
    refused("", "no select", NULL);
    /* 17 selectors */
    char big[1024] = "report";
    for (int i = 0; i < 17; i++)
        strcat(big, ";select=count:1/2");
    refused(big, "more than 16 selectors", NULL);
}

static void test_check(void **state)
{
    (void)state;
    struct ns_mp_spec s[3];
    struct ns_error err = {0};
    assert_int_equal(ns_mp_parse("select=count:1/2;report", 1, &s[0], &err), 0);
    assert_int_equal(ns_mp_parse("select=count:1/3;report;id=1", 2, &s[1], &err), 0);
    assert_int_equal(ns_mp_parse("select=count:1/4;flows;prio=1", 3, &s[2], &err), 0);
    assert_int_equal(ns_mp_check(s, 3, &err), 0);
    /* given ids keep theirs; the others take the first free from their position */
    assert_int_equal(s[1].ssid, 1);
    assert_int_equal(s[0].ssid, 2);
    assert_int_equal(s[2].ssid, 3);
    assert_string_equal(s[0].name, "p1");
    assert_int_equal(s[0].prio, 1);
    assert_int_equal(s[1].prio, 2);
    assert_int_equal(s[2].prio, 1);

    assert_int_equal(ns_mp_parse("select=count:1/2;report;id=5", 1, &s[0], &err), 0);
    assert_int_equal(ns_mp_parse("select=count:1/3;report;id=5", 2, &s[1], &err), 0);
    assert_int_equal(ns_mp_check(s, 2, &err), NS_EINVAL);
    assert_non_null(strstr(err.msg, "both have id 5"));

    assert_int_equal(ns_mp_parse("select=count:1/2;report;name=a", 1, &s[0], &err), 0);
    assert_int_equal(ns_mp_parse("select=count:1/3;report;name=a", 2, &s[1], &err), 0);
    assert_int_equal(ns_mp_check(s, 2, &err), NS_EINVAL);
    assert_non_null(strstr(err.msg, "both are named 'a'"));

    assert_int_equal(ns_mp_parse("select=count:1/2;flows", 1, &s[0], &err), 0);
    assert_int_equal(ns_mp_parse("select=count:1/3;flows", 2, &s[1], &err), 0);
    assert_int_equal(ns_mp_check(s, 2, &err), NS_EINVAL);
    assert_non_null(strstr(err.msg, "at most one metering process"));
    assert_int_equal(ns_mp_check(s, 0, &err), NS_EINVAL);
}

static void test_budget(void **state)
{
    (void)state;
    uint64_t b, p;
    struct ns_error err = {0};
    assert_int_equal(ns_mp_parse_budget("500/s", &b, &p, &err), 0);
    assert_int_equal(b, 500);
    assert_int_equal(p, 1000000000u);
    assert_int_equal(ns_mp_parse_budget("7", &b, &p, &err), 0);
    assert_int_equal(p, 1000000000u);
    assert_int_equal(ns_mp_parse_budget("50/100ms", &b, &p, &err), 0);
    assert_int_equal(b, 50);
    assert_int_equal(p, 100000000u);
    assert_int_equal(ns_mp_parse_budget("1/2m", &b, &p, &err), 0);
    assert_int_equal(p, 120000000000u);
    const char *bad[] = {"0/s", "x/s", "/s", "100001/s", "5/", "5/0s", "5/10us", "5/2h", "5/s2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (ns_mp_parse_budget(bad[i], &b, &p, &err) != NS_EINVAL)
            fail_msg("'%s' accepted", bad[i]);
        assert_non_null(strstr(err.msg, "--mp-budget"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
