/* Generator: every ICMP echo reply mirrors its request's identifier and
 * sequence number (RFC 792, RFC 4443 §4.2).  Peers that key echo flows on
 * (id, seq) — argus does — split a flow in two when a reply carries
 * seq + 1, so the generated truth would no longer be one flow per pair. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen/gen.h"

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

struct echo {
    uint8_t a[16], b[16]; /* requester, responder */
    uint16_t id, seq;
    int v6, answered;
};

#define MAX_ECHO 4096

static int find(struct echo *e, int n, int v6, const uint8_t *req, const uint8_t *rsp, uint16_t id)
{
    size_t al = v6 ? 16 : 4;
    for (int i = n - 1; i >= 0; i--)
        if (e[i].v6 == v6 && e[i].id == id && !memcmp(e[i].a, req, al) && !memcmp(e[i].b, rsp, al))
            return i;
    return -1;
}

static void replies_mirror_requests(void **state)
{
    (void)state;
    char path[] = "/tmp/ns_gen_icmp_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct ns_gen_config c;
    ns_gen_config_default(&c);
    c.seed = 11;
    c.flows = 600;
    struct ns_gen_truth t;
    struct ns_error err = {0};
    assert_int_equal(ns_gen_write_pcap(path, &c, &t, &err), 0);
    assert_true(t.icmp_flows > 10);

    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)size);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    unlink(path);

    struct echo *e = calloc(MAX_ECHO, sizeof *e);
    assert_non_null(e);
    int n = 0, requests = 0, replies = 0;
    size_t off = 24; /* pcap file header */
    while (off + 16 <= (size_t)size) {
        uint32_t caplen = (uint32_t)buf[off + 8] | (uint32_t)buf[off + 9] << 8 |
                          (uint32_t)buf[off + 10] << 16 | (uint32_t)buf[off + 11] << 24;
        const uint8_t *p = buf + off + 16;
        assert_true(off + 16 + caplen <= (size_t)size);
        off += 16 + caplen;
        size_t l = 12;
        if (caplen < l + 2)
            continue;
        uint16_t et = rd16(p + l);
        if (et == 0x8100) {
            l += 4;
            et = rd16(p + l);
        }
        l += 2;
        const uint8_t *ip = p + l, *src, *dst, *icmp;
        int v6;
        if (et == 0x0800 && caplen >= l + 28 && ip[9] == 1) {
            v6 = 0;
            src = ip + 12;
            dst = ip + 16;
            icmp = ip + 20;
        } else if (et == 0x86dd && caplen >= l + 48 && ip[6] == 58) {
            v6 = 1;
            src = ip + 8;
            dst = ip + 24;
            icmp = ip + 40;
        } else {
            continue;
        }
        uint8_t type = icmp[0];
        uint16_t id = rd16(icmp + 4), seq = rd16(icmp + 6);
        int is_req = v6 ? type == 128 : type == 8, is_rep = v6 ? type == 129 : type == 0;
        if (is_req) {
            int i = find(e, n, v6, src, dst, id);
            if (i < 0) {
                assert_true(n < MAX_ECHO);
                i = n++;
                memcpy(e[i].a, src, v6 ? 16 : 4);
                memcpy(e[i].b, dst, v6 ? 16 : 4);
                e[i].id = id;
                e[i].v6 = v6;
            }
            e[i].seq = seq;
            e[i].answered = 0;
            requests++;
        } else if (is_rep) {
            int i = find(e, n, v6, dst, src, id);
            assert_true(i >= 0);             /* a reply follows its request */
            assert_int_equal(seq, e[i].seq); /* ... with the same sequence number */
            assert_false(e[i].answered);
            e[i].answered = 1;
            replies++;
        }
    }
    assert_int_equal((uint64_t)n, t.icmp_flows);
    assert_true(replies > 0 && replies <= requests);
    free(e);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replies_mirror_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
