/* capture/: files in order, filters that count what they reject, damaged
 * files that lose nothing, clear errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/capture.h"

static char sample[512];

static int setup(void **state)
{
    const char *src = getenv("NS_SRC");
    snprintf(sample, sizeof sample, "%s/samples/sample.pcap", src ? src : ".");
    return access(sample, R_OK) == 0 ? 0 : -1;
}

static uint64_t drain(struct ns_capture *c, uint64_t *last_ts, int *monotonic)
{
    struct ns_pkt p;
    const uint8_t *frame;
    int lt;
    struct ns_error err;
    uint64_t n = 0, prev = 0;
    *monotonic = 1;
    while (ns_capture_next(c, &p, &frame, &lt, &err) == 1) {
        assert_int_equal(lt, 1);
        assert_true(p.caplen <= p.wirelen);
        assert_non_null(frame);
        if (p.ts_ns < prev)
            *monotonic = 0;
        prev = p.ts_ns;
        n++;
    }
    *last_ts = prev;
    return n;
}

static void reads_files_in_order(void **state)
{
    struct ns_capture *c;
    struct ns_error err;
    const char *one[] = {sample};
    assert_int_equal(ns_capture_open_files(&c, one, 1, NULL, &err), 0);
    uint64_t ts;
    int mono;
    uint64_t n = drain(c, &ts, &mono);
    assert_true(n > 1000);
    assert_true(mono);
    /* nanosecond timestamps are kept: the generator writes ns resolution */
    assert_true(ts % 1000 != 0 || ts % 1000000 != 0);
    ns_capture_close(c);

    const char *two[] = {sample, sample};
    assert_int_equal(ns_capture_open_files(&c, two, 2, NULL, &err), 0);
    assert_int_equal(drain(c, &ts, &mono), 2 * n);
    assert_false(mono); /* the second file starts over in time */
    struct ns_capture_stats st;
    ns_capture_get_stats(c, &st);
    assert_int_equal(st.packets, 2 * n);
    assert_int_equal(st.files_done, 2);
    assert_int_equal(st.files_damaged, 0);
    ns_capture_close(c);
}

static void filter_counts_rejects(void **state)
{
    struct ns_capture *c;
    struct ns_error err;
    const char *one[] = {sample};
    uint64_t ts;
    int mono;
    assert_int_equal(ns_capture_open_files(&c, one, 1, NULL, &err), 0);
    uint64_t all = drain(c, &ts, &mono);
    ns_capture_close(c);
    uint64_t tcp, udp_or_icmp;
    struct ns_capture_stats st;
    assert_int_equal(ns_capture_open_files(&c, one, 1, "tcp", &err), 0);
    tcp = drain(c, &ts, &mono);
    ns_capture_get_stats(c, &st);
    assert_int_equal(st.filtered, all - tcp);
    ns_capture_close(c);
    assert_int_equal(ns_capture_open_files(&c, one, 1, "not tcp", &err), 0);
    udp_or_icmp = drain(c, &ts, &mono);
    ns_capture_close(c);
    assert_true(tcp > 0 && udp_or_icmp > 0);
    assert_int_equal(tcp + udp_or_icmp, all);
}

static void errors_are_clear(void **state)
{
    struct ns_capture *c;
    struct ns_error err;
    const char *missing[] = {"/nonexistent/x.pcap"};
    assert_int_equal(ns_capture_open_files(&c, missing, 1, NULL, &err), NS_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent/x.pcap"));
    assert_null(strstr(strstr(err.msg, "x.pcap") + 1, "x.pcap")); /* named once */
    const char *one[] = {sample};
    assert_int_equal(ns_capture_open_files(&c, one, 1, "port port", &err), NS_EINVAL);
    assert_non_null(strstr(err.msg, "filter 'port port'"));
    const char *dup[] = {"-", "-"};
    assert_int_equal(ns_capture_open_files(&c, dup, 2, NULL, &err), NS_EINVAL);
    assert_int_equal(ns_capture_open_files(&c, one, 0, NULL, &err), NS_EINVAL);
}

static void damaged_file_keeps_complete_packets(void **state)
{
    /* cut the sample in the middle of a record */
    FILE *in = fopen(sample, "rb");
    assert_non_null(in);
    static uint8_t buf[60000];
    size_t n = fread(buf, 1, sizeof buf, in);
    fclose(in);
    char cut[] = "/tmp/ns_capture_cutXXXXXX";
    int fd = mkstemp(cut);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, n), (ssize_t)n);
    close(fd);

    const char *files[] = {cut, sample};
    struct ns_capture *c;
    struct ns_error err;
    assert_int_equal(ns_capture_open_files(&c, files, 2, NULL, &err), 0);
    struct ns_pkt p;
    const uint8_t *frame;
    int lt, rc, warned = 0;
    uint64_t count = 0;
    while ((rc = ns_capture_next(c, &p, &frame, &lt, &err)) == 1) {
        count++;
        if (ns_capture_warning(c)) {
            assert_non_null(strstr(ns_capture_warning(c), cut));
            warned++;
            ns_capture_take_warning(c);
        }
    }
    assert_int_equal(rc, 0);
    assert_int_equal(warned, 1);
    struct ns_capture_stats st;
    ns_capture_get_stats(c, &st);
    assert_int_equal(st.files_damaged, 1);
    assert_int_equal(st.files_done, 1);
    ns_capture_close(c);
    /* the packets before the cut, then the whole second file */
    uint64_t ts;
    int mono;
    const char *one[] = {sample};
    assert_int_equal(ns_capture_open_files(&c, one, 1, NULL, &err), 0);
    uint64_t whole = drain(c, &ts, &mono);
    ns_capture_close(c);
    assert_true(count > whole && count < 2 * whole);
    unlink(cut);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_files_in_order),
        cmocka_unit_test(filter_counts_rejects),
        cmocka_unit_test(errors_are_clear),
        cmocka_unit_test(damaged_file_keeps_complete_packets),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
