/*
 * libFuzzer target: the record filter compiler.  The input is an
 * expression (cut at the first NUL); when it compiles, the program runs on
 * a few fixed records (IPv4 TCP with every group, IPv6 UDP, ICMP, a record
 * without key) so the evaluator's reads and the jump invariant (backwards
 * only, filter_int.h) are checked by ASan/UBSan and the step bound below.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void records(struct ns_record r[4])
{
    for (int i = 0; i < 4; i++)
        ns_record_clear(&r[i]);
    r[0].present = 0x3ff;
    r[0].ip_version = 4;
    r[0].proto = 6;
    r[0].sport = 40000;
    r[0].dport = 443;
    memcpy(r[0].saddr, "\xc0\x00\x02\x01", 4);
    memcpy(r[0].daddr, "\x0a\x00\x00\x01", 4);
    r[0].end_reason = 2;
    r[0].synack_us = 1000;
    r[0].ackdat_us = 200;
    for (int d = 0; d < 2; d++) {
        r[0].dir[d].pkts = 10u + (unsigned)d;
        r[0].dir[d].octets = 1000000;
        r[0].dir[d].first_ns = 1700000000000000000ull;
        r[0].dir[d].last_ns = 1700000001000000000ull;
        r[0].dir[d].loss_pkts = d ? -2 : 3;
        r[0].dir[d].jit_n = 4;
        r[0].dir[d].jit_mean_us = 12.5;
        r[0].dir[d].tcp_flags = 0x1b;
    }
    r[1].present = 0x0f;
    r[1].ip_version = 6;
    r[1].proto = 17;
    r[1].sport = 53;
    r[1].dport = 5353;
    r[1].vlan = 7;
    r[1].saddr[0] = 0x20;
    r[1].saddr[1] = 0x01;
    r[1].daddr[15] = 1;
    r[1].dir[0].pkts = 1;
    r[2].present = 0x03;
    r[2].ip_version = 4;
    r[2].proto = 1;
    r[2].icmp_type = 8;
    r[2].dir[0].pkts = 2;
    r[2].dir[1].pkts = 2;
    r[3].present = 0x02;
    r[3].dir[0].pkts = 5;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ns_record r[4];
    static int ready;
    if (!ready) {
        records(r);
        ready = 1;
    }
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    struct ns_filter *f = NULL;
    struct ns_error err;
    int rc = ns_filter_compile(&f, s, &err);
    if (rc == 0) {
        int n = 0;
        for (int i = 0; i < 4; i++)
            n += ns_filter_match(f, &r[i]);
        if (n < 0 || n > 4)
            abort();
        ns_filter_free(f);
    } else if (f || !strstr(err.msg, "filter: ")) {
        abort(); /* a failed compile leaves nothing behind and says why */
    }
    free(s);
    return 0;
}
