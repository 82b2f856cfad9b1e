/*
 * ns_meter_bench — microbenchmark of the flow meter on synthetic packets.
 *
 *   ns_meter_bench [packets] [flows]
 *
 * Packets are pre-built (a mix of TCP data and UDP over `flows` random
 * 5-tuples, 1 µs apart) so only the meter is timed.  Prints packets/s and
 * the memory cost per flow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meter/meter.h"

static int count_sink(void *ctx, const struct ns_record *rec, struct ns_error *err)
{
    (void)rec;
    (void)err;
    ++*(uint64_t *)ctx;
    return 0;
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(int argc, char **argv)
{
    uint64_t npk = argc > 1 ? strtoull(argv[1], NULL, 10) : 5000000;
    uint32_t nfl = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 100000;
    if (!npk || !nfl) {
        fprintf(stderr, "usage: ns_meter_bench [packets] [flows]\n");
        return 2;
    }
    struct ns_pkt *proto = calloc(nfl, sizeof *proto);
    uint32_t *seq = calloc(nfl, sizeof *seq);
    if (!proto || !seq)
        return 1;
    for (uint32_t i = 0; i < nfl; i++) {
        struct ns_pkt *p = &proto[i];
        uint64_t r = next_rand();
        p->flags = NS_PKT_F_IP | NS_PKT_F_L4;
        p->ip_version = 4;
        p->proto = (r & 3) ? 6 : 17;
        memcpy(p->src, &r, 4);
        uint64_t r2 = next_rand();
        memcpy(p->dst, &r2, 4);
        p->sport = (uint16_t)(r >> 32);
        p->dport = (uint16_t)(r2 >> 32);
        p->ttl = 64;
        p->ip_len = 1500;
        p->wirelen = 1514;
        p->l4_payload_len = 1448;
        p->tcp_flags = 0x10;
        p->tcp_win = 65535;
    }
    struct ns_meter_config cfg;
    ns_meter_config_default(&cfg);
    cfg.max_flows = nfl + nfl / 4;
    uint64_t nrec = 0;
    struct ns_meter *m;
    struct ns_error err = {0};
    if (ns_meter_create(&m, &cfg, count_sink, &nrec, &err) < 0) {
        fprintf(stderr, "ns_meter_bench: %s\n", err.msg);
        return 1;
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    uint64_t ts = 1700000000ULL * 1000000000ULL;
    for (uint64_t i = 0; i < npk; i++) {
        uint32_t f = (uint32_t)(next_rand() % nfl);
        struct ns_pkt p = proto[f];
        p.ts_ns = ts + i * 1000;
        p.tcp_seq = seq[f];
        seq[f] += 1448;
        if (ns_meter_packet(m, &p, &err) < 0) {
            fprintf(stderr, "ns_meter_bench: %s\n", err.msg);
            return 1;
        }
    }
    if (ns_meter_flush(m, &err) < 0)
        return 1;
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    struct ns_meter_stats st;
    ns_meter_get_stats(m, &st);
    printf("packets %llu flows %u records %llu: %.2f s, %.2f Mpackets/s\n", (unsigned long long)npk,
           nfl, (unsigned long long)nrec, s, (double)npk / s / 1e6);
    printf("bytes per flow: %u (+%u with TCP state, +%u with ESP/RTP state); "
           "cache memory %.1f MiB for %u flows\n",
           st.flow_bytes, st.tcp_bytes, st.seq_bytes, (double)st.memory_bytes / 1048576.0,
           cfg.max_flows);
    ns_meter_destroy(m);
    free(proto);
    free(seq);
    return 0;
}
