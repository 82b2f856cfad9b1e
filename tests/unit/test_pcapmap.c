/* pcapmap (the mapped reader) against libpcap (the reference) on every
 * shared capture and on damaged copies: same packets, same timestamps,
 * same lengths, same bytes, and the same place where a damaged file ends;
 * and its burst path against its one-record path on the same files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/pcapmap.h"
#include "pkt/pkt.h"

/* A second reader of the same file that takes records by bursts of
 * varying size (ns_pcapmap_burst) and one at a time when a burst gives
 * nothing, as the probe's reader does.  It must deliver exactly what
 * ns_pcapmap_next() alone does. */
struct mixed {
    struct ns_pcapmap m;
    struct ns_pkt p[64];
    const uint8_t *f[64];
    size_t n, i;
    uint64_t x;
};

static int mixed_next(struct mixed *mx, const uint8_t **data, uint32_t *caplen, uint32_t *wirelen,
                      uint64_t *ts, struct ns_error *err)
{
    if (mx->i == mx->n) {
        mx->x ^= mx->x << 13, mx->x ^= mx->x >> 7, mx->x ^= mx->x << 17;
        mx->i = 0;
        mx->n = ns_pcapmap_burst(&mx->m, mx->p, mx->f, 1 + mx->x % 64);
        if (!mx->n) {
            int rc = ns_pcapmap_next(&mx->m, data, caplen, wirelen, ts, err);
            if (rc == 1 && *wirelen < *caplen)
                *wirelen = *caplen; /* as the burst (and ns_capture_next) give it */
            return rc;
        }
    }
    *data = mx->f[mx->i];
    *caplen = mx->p[mx->i].caplen;
    *wirelen = mx->p[mx->i].wirelen;
    *ts = mx->p[mx->i].ts_ns;
    mx->i++;
    return 1;
}

/* Returns records compared; *mapped says whether pcapmap took the file. */
static long compare_file(const char *path, int *mapped, int *damaged)
{
    struct ns_pcapmap m;
    struct ns_error err;
    int rc = ns_pcapmap_open(&m, path, &err);
    assert_true(rc >= 0);
    *mapped = rc;
    *damaged = 0;
    if (!rc)
        return 0;
    char eb[PCAP_ERRBUF_SIZE];
    pcap_t *h = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, eb);
    assert_non_null(h);
    assert_int_equal(pcap_datalink(h), m.linktype);
    static struct mixed mx;
    mx.n = mx.i = 0;
    mx.x = 0x9e3779b97f4a7c15ull;
    assert_int_equal(ns_pcapmap_open(&mx.m, path, &err), 1);
    long n = 0;
    for (;;) {
        struct pcap_pkthdr *hdr;
        const u_char *ref;
        int lr = pcap_next_ex(h, &hdr, &ref);
        const uint8_t *data;
        uint32_t caplen, wirelen;
        uint64_t ts;
        int mr = ns_pcapmap_next(&m, &data, &caplen, &wirelen, &ts, &err);
        const uint8_t *data2 = NULL;
        uint32_t caplen2 = 0, wirelen2 = 0;
        uint64_t ts2 = 0;
        struct ns_error err2;
        int mr2 = mixed_next(&mx, &data2, &caplen2, &wirelen2, &ts2, &err2);
        assert_int_equal(mr2, mr);
        if (mr == 1) {
            assert_int_equal(data2 - mx.m.base, data - m.base);
            assert_int_equal(caplen2, caplen);
            assert_int_equal(wirelen2, wirelen < caplen ? caplen : wirelen);
            assert_int_equal(ts2, ts);
        } else if (mr < 0) {
            assert_string_equal(err2.msg, err.msg);
        }
        if (lr == 1) {
            if (mr != 1)
                fail_msg("%s: record %ld: libpcap has it, pcapmap says %d (%s)", path, n + 1, mr,
                         err.msg);
            assert_int_equal(caplen, hdr->caplen);
            assert_int_equal(wirelen, hdr->len);
            /* A fraction of a second or more is invalid: libpcap scales it
             * in 32-bit arithmetic and overflows (tcpdump-timestamp-invalid-
             * micro.pcap); pcapmap carries it over into seconds.  Both
             * agree on every valid timestamp. */
            /* Seconds are a 32-bit unsigned field; libpcap 1.10 reads them
             * signed (capture.c undoes that for its own path). */
            if (m.last_frac < (m.nano ? 1000000000u : 1000000u))
                assert_int_equal(ts, (uint64_t)(uint32_t)hdr->ts.tv_sec * 1000000000u +
                                         (uint64_t)hdr->ts.tv_usec);
            assert_memory_equal(data, ref, caplen);
            n++;
            continue;
        }
        if (lr == -2) {
            if (mr != 0)
                fail_msg("%s: libpcap ends cleanly after %ld, pcapmap says %d (%s)", path, n, mr,
                         err.msg);
        } else {
            if (mr >= 0)
                fail_msg("%s: libpcap fails after %ld (%s), pcapmap says %d", path, n,
                         pcap_geterr(h), mr);
            *damaged = 1;
        }
        break;
    }
    pcap_close(h);
    ns_pcapmap_close(&m);
    ns_pcapmap_close(&mx.m);
    return n;
}

static void every_shared_capture(void **state)
{
    const char *shared = getenv("NS_SHARED");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/pcaps", shared ? shared : "../shared");
    DIR *d = opendir(dir);
    if (!d)
        skip();
    struct dirent *e;
    int files = 0, mapped_files = 0;
    long records = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || (!strstr(e->d_name, ".pcap") && !strstr(e->d_name, ".cap")))
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        int mapped, damaged;
        records += compare_file(path, &mapped, &damaged);
        files++;
        mapped_files += mapped;
    }
    closedir(d);
    print_message("%d captures, %d read by pcapmap, %ld records identical\n", files, mapped_files,
                  records);
    assert_true(mapped_files > files / 2);
}

static void damaged_copies(void **state)
{
    const char *src = getenv("NS_SRC");
    char path[512];
    snprintf(path, sizeof path, "%s/samples/sample.pcap", src ? src : ".");
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(n > 100000);
    /* cut at many offsets, and corrupt a record length */
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 60; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t cut = 24 + (size_t)(x % (n - 24));
        char tmp[] = "/tmp/ns_pcapmap_XXXXXX";
        int fd = mkstemp(tmp);
        assert_true(fd >= 0);
        if (i % 3 == 0) {
            /* a lying incl_len in some record header near the cut */
            uint8_t *copy = malloc(n);
            memcpy(copy, buf, n);
            size_t off = 24;
            while (off + 16 < cut) {
                uint32_t incl;
                memcpy(&incl, copy + off + 8, 4);
                if (off + 16 + incl >= cut) {
                    uint32_t lie = i % 2 ? 0x7fffffff : incl + 100000;
                    memcpy(copy + off + 8, &lie, 4);
                    break;
                }
                off += 16 + incl;
            }
            assert_int_equal(write(fd, copy, n), (ssize_t)n);
            free(copy);
        } else {
            assert_int_equal(write(fd, buf, cut), (ssize_t)cut);
        }
        close(fd);
        int mapped, damaged;
        compare_file(tmp, &mapped, &damaged);
        assert_true(mapped);
        unlink(tmp);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_shared_capture),
        cmocka_unit_test(damaged_copies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
