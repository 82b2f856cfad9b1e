/* TCP stream reassembly into BGP messages (cullmon/stream.h): the same
 * message sequence must come out whatever segmentation, retransmission,
 * reordering or capture start the wire shows, and holes must not stall it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cullmon/stream.h"

#define SEC 1000000000ull

/* A stream of n messages: KEEPALIVEs and UPDATEs of varying size. */
static size_t make_stream(uint8_t *b, size_t cap, int n, uint16_t *lens)
{
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        uint16_t l = (i % 3 == 0) ? 19 : (uint16_t)(23 + (i * 37) % 300);
        if (off + l > cap)
            break;
        memset(b + off, 0xff, 16);
        b[off + 16] = (uint8_t)(l >> 8);
        b[off + 17] = (uint8_t)l;
        b[off + 18] = l == 19 ? 4 : 2;
        if (l > 19) {
            memset(b + off + 19, 0, l - 19u);
            /* withdrawn 0, attrs 0, then NLRI of /0 prefixes (1 octet each) */
        }
        lens[i] = l;
        off += l;
    }
    return off;
}

static int drain(struct ns_stream *s, uint64_t now, uint16_t *got, int max)
{
    int n = 0;
    struct ns_bgp_msg m;
    while (n < max && ns_stream_next(s, now, &m) == 1)
        got[n++] = m.len;
    return n;
}

static void test_segmentation_and_retransmission(void **state)
{
    (void)state;
    static uint8_t b[20000];
    uint16_t lens[200], got[200];
    size_t total = make_stream(b, sizeof b, 100, lens);
    uint32_t isn = 0xfffff000u; /* wraps inside the stream */
    for (unsigned seg = 1; seg <= 1500; seg = seg * 3 + 1) {
        struct ns_stream s;
        assert_int_equal(ns_stream_init(&s, 4096, SEC, NULL), 0);
        ns_stream_syn(&s, isn);
        int n = 0;
        uint64_t fresh = 0;
        for (size_t off = 0; off < total; off += seg) {
            uint32_t l = (uint32_t)(total - off < seg ? total - off : seg);
            fresh += ns_stream_segment(&s, 1, isn + 1 + (uint32_t)off, b + off, l);
            /* every segment twice, and the one before once more */
            assert_int_equal(ns_stream_segment(&s, 1, isn + 1 + (uint32_t)off, b + off, l), 0);
            if (off >= seg)
                ns_stream_segment(&s, 1, isn + 1 + (uint32_t)(off - seg), b + off - seg, seg);
            n += drain(&s, 1, got + n, 200 - n);
        }
        assert_int_equal(fresh, total);
        assert_int_equal(n, 100);
        assert_memory_equal(got, lens, 100 * sizeof lens[0]);
        assert_int_equal(s.st.gaps, 0);
        ns_stream_free(&s);
    }
}

static void test_reordering(void **state)
{
    (void)state;
    static uint8_t b[20000];
    uint16_t lens[200], got[200];
    size_t total = make_stream(b, sizeof b, 60, lens);
    struct ns_stream s;
    assert_int_equal(ns_stream_init(&s, 8192, SEC, NULL), 0);
    ns_stream_syn(&s, 1000);
    /* segments of 100 octets, each pair swapped */
    size_t nseg = (total + 99) / 100;
    int n = 0;
    for (size_t i = 0; i < nseg; i += 2) {
        for (int k = 1; k >= 0; k--) {
            size_t j = i + (size_t)k;
            if (j >= nseg)
                continue;
            size_t off = j * 100;
            uint32_t l = (uint32_t)(total - off < 100 ? total - off : 100);
            ns_stream_segment(&s, 1, 1001 + (uint32_t)off, b + off, l);
            n += drain(&s, 1, got + n, 200 - n);
        }
    }
    assert_int_equal(n, 60);
    assert_memory_equal(got, lens, 60 * sizeof lens[0]);
    assert_true(s.st.segs_ooo > 0);
    ns_stream_free(&s);
}

/* No SYN, capture starts inside a message: the first whole message after a
 * marker comes out, everything after it too. */
static void test_midstream_resync(void **state)
{
    (void)state;
    static uint8_t b[20000];
    uint16_t lens[200], got[200];
    size_t total = make_stream(b, sizeof b, 50, lens);
    struct ns_stream s;
    assert_int_equal(ns_stream_init(&s, 16384, SEC, NULL), 0);
    size_t start = (size_t)lens[0] + lens[1] + 7; /* inside message 2 */
    ns_stream_segment(&s, 1, 5000 + (uint32_t)start, b + start, (uint32_t)(total - start));
    int n = drain(&s, 1, got, 200);
    assert_int_equal(n, 47);
    assert_memory_equal(got, lens + 3, 47 * sizeof lens[0]);
    ns_stream_free(&s);
}

/* A segment lost by the capture: the messages behind it wait for the
 * retransmission, then after hole_ns the stream gives up and resyncs. */
static void test_hole(void **state)
{
    (void)state;
    static uint8_t b[20000];
    uint16_t lens[200], got[200];
    size_t total = make_stream(b, sizeof b, 30, lens);
    struct ns_stream s;
    assert_int_equal(ns_stream_init(&s, 16384, SEC, NULL), 0);
    ns_stream_syn(&s, 0);
    size_t cut1 = 300, cut2 = 400; /* octets [300, 400) never arrive */
    ns_stream_segment(&s, 1 * SEC, 1, b, (uint32_t)cut1);
    int n = drain(&s, 1 * SEC, got, 200);
    ns_stream_segment(&s, 1 * SEC, 1 + (uint32_t)cut2, b + cut2, (uint32_t)(total - cut2));
    int before = n;
    n += drain(&s, 1 * SEC + SEC / 2, got + n, 200 - n);
    assert_int_equal(n, before); /* still waiting */
    n += drain(&s, 2 * SEC + 1, got + n, 200 - n);
    assert_true(n > before);
    assert_int_equal(s.st.gaps, 1);
    /* whatever came out after the hole is the tail of the real sequence */
    assert_memory_equal(got + before, lens + (30 - (n - before)),
                        (size_t)(n - before) * sizeof lens[0]);
    /* the messages lost are those touching the hole, no more */
    size_t off = 0;
    int lost = 0;
    for (int i = 0; i < 30; i++) {
        if (off < cut2 && off + lens[i] > cut1)
            lost++;
        off += lens[i];
    }
    assert_int_equal(n, 30 - lost);
    ns_stream_free(&s);
}

/* A message longer than the window is reported by its header and skipped. */
static void test_oversize(void **state)
{
    (void)state;
    size_t big = 9000;
    uint8_t *b = calloc(1, big + 19);
    memset(b, 0xff, 16);
    b[16] = (uint8_t)(big >> 8);
    b[17] = (uint8_t)big;
    b[18] = 2;
    memset(b + big, 0xff, 16); /* a KEEPALIVE after it */
    b[big + 17] = 19;
    b[big + 18] = 4;
    struct ns_stream s;
    assert_int_equal(ns_stream_init(&s, 4096, SEC, NULL), 0);
    ns_stream_syn(&s, 77);
    struct ns_bgp_msg m;
    int n = 0;
    for (size_t off = 0; off < big + 19; off += 1000) {
        size_t l = big + 19 - off < 1000 ? big + 19 - off : 1000;
        ns_stream_segment(&s, 1, 78 + (uint32_t)off, b + off, (uint32_t)l);
        while (ns_stream_next(&s, 1, &m) == 1) {
            assert_int_equal(m.len, n == 0 ? big : 19);
            n++;
        }
    }
    assert_int_equal(n, 2);
    assert_int_equal(s.st.msgs_oversize, 1);
    ns_stream_free(&s);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_segmentation_and_retransmission),
        cmocka_unit_test(test_reordering),
        cmocka_unit_test(test_midstream_resync),
        cmocka_unit_test(test_hole),
        cmocka_unit_test(test_oversize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
