#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "record/record.h"

static void start_end_ignore_empty_direction(void **state)
{
    struct ns_record r;
    ns_record_clear(&r);
    r.dir[0].first_ns = 100;
    r.dir[0].last_ns = 300;
    assert_int_equal(ns_record_start_ns(&r), 100);
    assert_int_equal(ns_record_end_ns(&r), 300);
    r.dir[1].first_ns = 50;
    r.dir[1].last_ns = 400;
    assert_int_equal(ns_record_start_ns(&r), 50);
    assert_int_equal(ns_record_end_ns(&r), 400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(start_end_ignore_empty_direction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
