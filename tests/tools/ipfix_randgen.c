/*
 * ipfix_randgen — test tool: write N deterministic random records to an
 * IPFIX file.  Usage: ipfix_randgen OUT N [SEED] [zstd]
 * Prints, for checks by tests/regress scripts, the number of records and
 * the flowId, packetDeltaCount and octetDeltaCount of the first record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/rand_record.h"
#include "ipfix/file.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s OUT N [SEED] [zstd]\n", argv[0]);
        return 2;
    }
    long n = strtol(argv[2], NULL, 10);
    uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    struct ns_ipfix_writer_opts o = {.obs_domain = 1, .zstd = argc > 4 && !strcmp(argv[4], "zstd")};
    struct ns_ipfix_writer *w;
    struct ns_error err;
    if (ns_ipfix_writer_open(&w, argv[1], &o, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    struct ns_record r;
    for (long i = 0; i < n; i++) {
        /* every record has counters so the first one can be checked */
        rr_record(&seed, &r, (uint32_t)rr_below(&seed, 1024) | NS_RG_COUNT);
        if (i == 0)
            printf("records=%ld flowId=%llu packetDeltaCount=%llu octetDeltaCount=%llu\n", n,
                   (unsigned long long)r.flow_id, (unsigned long long)r.dir[0].pkts,
                   (unsigned long long)r.dir[0].octets);
        if (ns_ipfix_writer_add(w, &r, &err) < 0) {
            fprintf(stderr, "%s\n", err.msg);
            ns_ipfix_writer_close(w, NULL);
            return 1;
        }
    }
    if (ns_ipfix_writer_close(w, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    return 0;
}
