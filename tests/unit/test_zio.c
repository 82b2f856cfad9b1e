/* test_zio.c — the byte streams under IPFIX files: a large plain file is
 * read through a mapping (given back behind the reader every 8 MiB), a
 * small one through the buffer, a zstd one through the decompressor; all
 * three must give back exactly the bytes written, by read and by
 * peek/consume in uneven steps, and end short at the end of the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ipfix/zio.h"

static uint8_t pattern(size_t i)
{
    return (uint8_t)((i * 2654435761u) >> 13);
}

static void write_file(const char *path, size_t n, int zstd)
{
    struct ns_zout *o;
    struct ns_error e;
    assert_int_equal(ns_zout_open(&o, path, zstd, zstd ? 3 : 0, &e), 0);
    uint8_t buf[65536];
    for (size_t at = 0; at < n;) {
        size_t k = n - at < sizeof buf ? n - at : sizeof buf;
        for (size_t i = 0; i < k; i++)
            buf[i] = pattern(at + i);
        assert_int_equal(ns_zout_write(o, buf, k, &e), 0);
        at += k;
    }
    assert_int_equal(ns_zout_close(o, &e), 0);
}

/* read in steps of 1..70000 octets */
static void check_read(const char *path, size_t n)
{
    struct ns_zin *in;
    struct ns_error e;
    assert_int_equal(ns_zin_open(&in, path, &e), 0);
    static uint8_t buf[70000];
    size_t at = 0, step = 1;
    for (;;) {
        size_t got;
        assert_int_equal(ns_zin_read(in, buf, step, &got, &e), 0);
        for (size_t i = 0; i < got; i++)
            if (buf[i] != pattern(at + i))
                fail_msg("%s: octet %zu differs", path, at + i);
        at += got;
        if (got < step)
            break;
        step = step * 7 % 70000 + 1;
    }
    assert_int_equal(at, n);
    ns_zin_close(in);
}

/* peek up to 64 KiB, consume part of it */
static void check_peek(const char *path, size_t n)
{
    struct ns_zin *in;
    struct ns_error e;
    assert_int_equal(ns_zin_open(&in, path, &e), 0);
    size_t at = 0, want = 100;
    for (;;) {
        const uint8_t *p;
        size_t got;
        assert_int_equal(ns_zin_peek(in, want, &p, &got, &e), 0);
        if (!got)
            break;
        size_t take = got / 2 + 1;
        for (size_t i = 0; i < take; i++)
            if (p[i] != pattern(at + i))
                fail_msg("%s: peeked octet %zu differs", path, at + i);
        ns_zin_consume(in, take);
        at += take;
        want = want * 3 % 65536 + 1;
    }
    assert_int_equal(at, n);
    ns_zin_close(in);
}

static void test_plain_large_mapped(void **state)
{
    (void)state;
    char path[] = "/tmp/test_zio_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    size_t n = (20u << 20) + 12345; /* past several 8 MiB give-backs */
    write_file(path, n, 0);
    check_read(path, n);
    check_peek(path, n);
    unlink(path);
}

static void test_plain_small_and_zstd(void **state)
{
    (void)state;
    char path[] = "/tmp/test_zio_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_file(path, 300000, 0);
    check_read(path, 300000);
    check_peek(path, 300000);
    write_file(path, (3u << 20) + 7, 1);
    check_read(path, (3u << 20) + 7);
    struct ns_zin *in;
    struct ns_error e;
    assert_int_equal(ns_zin_open(&in, path, &e), 0);
    assert_true(ns_zin_is_zstd(in));
    ns_zin_close(in);
    unlink(path);
}

/* A buffered writer (ns_zout_buffer) writes what it was given, messages
 * larger than the buffer included, by flush and by close. */
static void test_buffered_writer(void **state)
{
    (void)state;
    char path[] = "/tmp/test_zio_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct ns_zout *o;
    struct ns_error e;
    assert_int_equal(ns_zout_open(&o, path, 0, 0, &e), 0);
    assert_int_equal(ns_zout_buffer(o, 4096, &e), 0);
    static uint8_t buf[10000];
    size_t at = 0;
    for (int m = 0; m < 300; m++) {
        size_t k = (size_t)(m * 37 % 5000) + 1; /* some over the 4096 buffer */
        for (size_t i = 0; i < k; i++)
            buf[i] = pattern(at + i);
        assert_int_equal(ns_zout_write(o, buf, k, &e), 0);
        at += k;
        if (m == 150)
            assert_int_equal(ns_zout_flush(o, &e), 0);
    }
    assert_int_equal(ns_zout_close(o, &e), 0);
    check_read(path, at);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_large_mapped),
        cmocka_unit_test(test_plain_small_and_zstd),
        cmocka_unit_test(test_buffered_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
