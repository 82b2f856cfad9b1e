#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/rand_record.h"
#include "ipfix/be.h"
#include "ipfix/file.h"
#include "ipfix/typeinfo.h"

#define N 5000

static char dir[] = "/tmp/ns_ipfix_test_XXXXXX";

static void path(char *buf, const char *name)
{
    snprintf(buf, 256, "%s/%s", dir, name);
}

static void gen(struct ns_record *r, int i, uint64_t *seed)
{
    rr_record(seed, r, (uint32_t)rr_below(seed, 1024));
    (void)i;
}

static void write_file(const char *p, int zstd, uint16_t max_msg, int n)
{
    struct ns_ipfix_writer *w;
    struct ns_error err;
    struct ns_ipfix_writer_opts o = {.obs_domain = 77, .zstd = zstd, .max_msg = max_msg};
    assert_int_equal(ns_ipfix_writer_open(&w, p, &o, &err), 0);
    uint64_t seed = 7;
    struct ns_record r;
    for (int i = 0; i < n; i++) {
        gen(&r, i, &seed);
        assert_int_equal(ns_ipfix_writer_add(w, &r, &err), 0);
    }
    assert_int_equal(ns_ipfix_writer_close(w, &err), 0);
}

/* Read back; returns records read, *rc the final return code. */
static int read_file(const char *p, int *rc_out, struct ns_error *err, int check)
{
    struct ns_ipfix_reader *rd;
    assert_int_equal(ns_ipfix_reader_open(&rd, p, err), 0);
    uint64_t seed = 7;
    struct ns_record want, got;
    int n = 0, rc;
    uint32_t last_seq = 0;
    while ((rc = ns_ipfix_reader_next(rd, &got, err)) == 1) {
        gen(&want, n, &seed);
        if (check)
            assert_memory_equal(&want, &got, sizeof want);
        const struct ns_msg_hdr *h = ns_ipfix_reader_header(rd);
        assert_int_equal(h->obs_domain, 77);
        /* the stream starts with the RFC 5610 type records (typeinfo.h) */
        assert_true(h->seq <= (uint32_t)(n + ns_typeinfo_count()));
        assert_true(h->seq >= last_seq);
        last_seq = h->seq;
        assert_true(h->export_time >= ns_record_end_ns(&got) / 1000000000u);
        n++;
    }
    *rc_out = rc;
    const struct ns_ipfix_stats *st = ns_ipfix_reader_stats(rd);
    assert_int_equal(st->records, (uint64_t)n);
    assert_int_equal(st->unknown_ies, 0);
    assert_int_equal(st->skipped_sets, 0);
    ns_ipfix_reader_close(rd);
    return n;
}

static void plain_and_zstd(void **state)
{
    char p[256], pz[256];
    struct ns_error err;
    int rc;
    path(p, "a.ipfix");
    path(pz, "a.ipfix.zst");
    write_file(p, 0, 0, N);
    write_file(pz, 1, 0, N);
    assert_int_equal(read_file(p, &rc, &err, 1), N);
    assert_int_equal(rc, 0);
    assert_int_equal(read_file(pz, &rc, &err, 1), N);
    assert_int_equal(rc, 0);
    struct stat a, b;
    stat(p, &a);
    stat(pz, &b);
    assert_true(b.st_size < a.st_size);
    /* small messages: many of them, sequence numbers checked in read_file */
    write_file(p, 0, 1024, N);
    assert_int_equal(read_file(p, &rc, &err, 1), N);
    assert_int_equal(rc, 0);
    /* reproducible: same records, same bytes */
    char p2[256];
    path(p2, "b.ipfix");
    write_file(p2, 0, 1024, N);
    FILE *f1 = fopen(p, "rb"), *f2 = fopen(p2, "rb");
    int c1, c2;
    do {
        c1 = fgetc(f1);
        c2 = fgetc(f2);
        assert_int_equal(c1, c2);
    } while (c1 != EOF);
    fclose(f1);
    fclose(f2);
}

static void header_fields(void **state)
{
    char p[256];
    path(p, "h.ipfix");
    struct ns_ipfix_writer *w;
    struct ns_error err;
    struct ns_ipfix_writer_opts o = {.obs_domain = 3, .max_msg = 1024};
    assert_int_equal(ns_ipfix_writer_open(&w, p, &o, &err), 0);
    struct ns_record r;
    ns_record_clear(&r);
    r.present = NS_RG_TIME;
    for (int i = 0; i < 100; i++) {
        r.flow_id = (uint64_t)i;
        r.dir[0].first_ns = 1000000000ull * (uint64_t)i;
        r.dir[0].last_ns = 1000000000ull * (uint64_t)i + 999999999u;
        assert_int_equal(ns_ipfix_writer_add(w, &r, &err), 0);
    }
    assert_int_equal(ns_ipfix_writer_close(w, &err), 0);
    /* walk the raw messages: seq = records before, exportTime = newest end */
    FILE *f = fopen(p, "rb");
    uint8_t buf[NS_MSG_MAX];
    uint32_t seen = 0, flows = 0;
    int msgs = 0;
    while (fread(buf, 1, 16, f) == 16) {
        uint16_t len = ns_be16(buf + 2);
        assert_int_equal(ns_be32(buf + 8), seen);
        assert_int_equal(ns_be32(buf + 12), 3);
        assert_int_equal(fread(buf + 16, 1, len - 16u, f), len - 16u);
        msgs++;
        /* records are 10 + 32 octets; the first message also carries the template */
        uint32_t k = 0, ti = 0;
        size_t off = 16;
        while (off < len) {
            uint16_t sid = ns_be16(buf + off), sl = ns_be16(buf + off + 2);
            if (sid == NS_TYPEINFO_TID) { /* options records count too */
                for (size_t q = off + 4; q + 28 <= off + sl; q += 28u + buf[q + 26])
                    ti++; /* fixed 26 octets, name (1-octet length), empty description */
            } else if (sid >= 256)
                k += (sl - 4u) / 42u;
            off += sl;
        }
        if (k) /* end of the newest: i + 0.99 s */
            assert_int_equal(ns_be32(buf + 4), flows + k - 1);
        seen += k + ti;
        flows += k;
    }
    fclose(f);
    assert_int_equal(flows, 100);
    assert_int_equal(seen, 100 + ns_typeinfo_count());
    assert_true(msgs > 2);
}

static void truncated(void **state)
{
    char p[256], pt[256];
    struct ns_error err;
    int rc;
    path(p, "t.ipfix");
    path(pt, "t_cut.ipfix");
    write_file(p, 0, 2048, 500);
    /* copy all but the last 10 octets */
    FILE *f = fopen(p, "rb");
    static uint8_t data[1 << 22];
    size_t n = fread(data, 1, sizeof data, f);
    fclose(f);
    /* offset of the last message */
    size_t off = 0, last = 0;
    while (off < n) {
        last = off;
        off += ns_be16(data + off + 2);
    }
    f = fopen(pt, "wb");
    fwrite(data, 1, n - 10, f);
    fclose(f);
    int got = read_file(pt, &rc, &err, 1);
    assert_int_equal(rc, NS_ETRUNC);
    char want[64];
    snprintf(want, sizeof want, "offset %zu", last);
    assert_non_null(strstr(err.msg, want));
    assert_true(got > 0 && got < 500);
    /* cut inside a header */
    f = fopen(pt, "wb");
    fwrite(data, 1, last + 5, f);
    fclose(f);
    int got2 = read_file(pt, &rc, &err, 1);
    assert_int_equal(rc, NS_ETRUNC);
    assert_int_equal(got2, got);
    assert_non_null(strstr(err.msg, "header"));
    /* garbage instead of a message */
    f = fopen(pt, "wb");
    fwrite(data, 1, last, f);
    static const uint8_t garbage[32] = {0, 9, 0, 32, 'g', 'a', 'r', 'b', 'a', 'g', 'e'};
    fwrite(garbage, 1, sizeof garbage, f);
    fclose(f);
    read_file(pt, &rc, &err, 1);
    assert_int_equal(rc, NS_EFORMAT);
}

static void zstd_truncated(void **state)
{
    char p[256], pt[256];
    struct ns_error err;
    int rc;
    path(p, "z.ipfix.zst");
    path(pt, "z_cut.ipfix.zst");
    write_file(p, 1, 2048, 3000);
    FILE *f = fopen(p, "rb");
    static uint8_t data[1 << 22];
    size_t n = fread(data, 1, sizeof data, f);
    fclose(f);
    f = fopen(pt, "wb");
    fwrite(data, 1, n / 2, f);
    fclose(f);
    int got = read_file(pt, &rc, &err, 1);
    assert_true(rc == NS_ETRUNC);
    assert_true(got > 0 && got < 3000);
}

static void full_disk(void **state)
{
    struct ns_ipfix_writer *w;
    struct ns_error err;
    if (access("/dev/full", W_OK) != 0)
        skip();
    /* a plain file writes its first message (the RFC 5610 type records)
     * at open, so a full disk is reported before any record is accepted */
    assert_int_equal(ns_ipfix_writer_open(&w, "/dev/full", NULL, &err), NS_EIO);
    assert_non_null(strstr(err.msg, "No space left on device"));
    assert_non_null(strstr(err.msg, "/dev/full"));
    struct ns_record r;
    uint64_t seed = 1;
    /* zstd too: each message is flushed through the compressor */
    struct ns_ipfix_writer_opts o = {.zstd = 1};
    assert_int_equal(ns_ipfix_writer_open(&w, "/dev/full", &o, &err), NS_EIO);
    assert_non_null(strstr(err.msg, "No space left on device"));
    (void)r;
    (void)seed;
}

static void open_errors(void **state)
{
    struct ns_ipfix_reader *rd;
    struct ns_ipfix_writer *w;
    struct ns_error err;
    assert_int_equal(ns_ipfix_reader_open(&rd, "/nonexistent/x.ipfix", &err), NS_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent/x.ipfix"));
    assert_int_equal(ns_ipfix_writer_open(&w, "/nonexistent/x.ipfix", NULL, &err), NS_EIO);
    struct ns_ipfix_writer_opts o = {.max_msg = 100};
    assert_int_equal(ns_ipfix_writer_open(&w, "/tmp/x", &o, &err), NS_EINVAL);
    /* empty file: clean EOF */
    char p[256];
    path(p, "empty.ipfix");
    fclose(fopen(p, "wb"));
    assert_int_equal(ns_ipfix_reader_open(&rd, p, &err), 0);
    struct ns_record r;
    assert_int_equal(ns_ipfix_reader_next(rd, &r, &err), 0);
    ns_ipfix_reader_close(rd);
}

static int setup(void **state)
{
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_and_zstd), cmocka_unit_test(header_fields),
        cmocka_unit_test(truncated),      cmocka_unit_test(zstd_truncated),
        cmocka_unit_test(full_disk),      cmocka_unit_test(open_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
