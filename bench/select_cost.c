/*
 * select_cost — cost of one selector per packet, decode excluded:
 *
 *   select_cost FILE [SPEC...]   →   one line per spec: "SPEC ns/pkt Mpkt/s selected"
 *
 * Loads up to 4 M packets of FILE into memory and decodes them once, then
 * times ns_sel_chain_run() over all of them for each spec (best of 5
 * passes; packets are marked decoded, so what is timed is the selector:
 * the hash domain, the hash, the range test, the counters).  As in
 * `netsift probe`, where a packet is selected right after it was read,
 * each chunk of 256 packets is touched (decoded again) untimed before its
 * selection is timed: the cost measured is the selector's, not that of
 * fetching 470 MB of packets from memory.
 *
 * Each spec is timed twice: packet by packet (ns_sel_chain_run, the live
 * reader's way) and in bursts of 256 (ns_sel_chain_run_burst, how `netsift
 * probe` selects packets of a file: a leading BOB hash selector then
 * hashes four packets at once).
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "select/select.h"

#define MAXP (4u << 20)

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: select_cost FILE [SPEC...]\n");
        return 2;
    }
    char eb[PCAP_ERRBUF_SIZE];
    pcap_t *h = pcap_open_offline(argv[1], eb);
    if (!h) {
        fprintf(stderr, "select_cost: %s\n", eb);
        return 2;
    }
    int lt = pcap_datalink(h);
    struct ns_pkt *pk = calloc(MAXP, sizeof *pk);
    uint8_t **fr = calloc(MAXP, sizeof *fr);
    if (!pk || !fr)
        return 2;
    uint32_t n = 0;
    struct pcap_pkthdr *ph;
    const u_char *d;
    while (n < MAXP && pcap_next_ex(h, &ph, &d) == 1) {
        fr[n] = malloc(ph->caplen ? ph->caplen : 1);
        if (!fr[n])
            return 2;
        memcpy(fr[n], d, ph->caplen);
        pk[n].ts_ns = (uint64_t)ph->ts.tv_sec * 1000000000u + (uint64_t)ph->ts.tv_usec * 1000u;
        pk[n].caplen = ph->caplen;
        pk[n].wirelen = ph->len;
        ns_pkt_decode(&pk[n], lt, fr[n]);
        n++;
    }
    pcap_close(h);
    static const char *const dflt[] = {"count:1/1000",          "random:1/1000,seed=1",
                                       "hash:bob,frac=0.001",   "hash:ipsx,frac=0.001",
                                       "hash:crc32,frac=0.001", "hash:sip,frac=0.001",
                                       "match:tcp and port 80"};
    const char *const *specs = argc > 2 ? (const char *const *)argv + 2 : dflt;
    int ns = argc > 2 ? argc - 2 : (int)(sizeof dflt / sizeof dflt[0]);
    printf("%u packets in memory\n%-28s %8s %8s %10s\n", n, "selector", "ns/pkt", "Mpkt/s",
           "selected");
    static int dec[256];
    static uint8_t taken[256];
    for (int s2 = 0; s2 < 2 * ns; s2++) {
        int s = s2 / 2, burst = s2 % 2;
        double best = 1e9;
        uint64_t sel = 0;
        for (int pass = 0; pass < 5; pass++) {
            struct ns_sel_chain *c;
            struct ns_error e;
            if (ns_sel_chain_create(&c, &e) < 0 || ns_sel_chain_add_spec(c, specs[s], &e) < 0) {
                fprintf(stderr, "select_cost: %s\n", e.msg);
                return 2;
            }
            uint64_t k = 0;
            double t = 0;
            for (uint32_t b = 0; b < n; b += 256) {
                uint32_t e2 = b + 256 < n ? b + 256 : n;
                for (uint32_t i = b; i < e2; i++)
                    ns_pkt_decode(&pk[i], lt, fr[i]);
                double t0 = now();
                if (burst) {
                    for (uint32_t i = b; i < e2; i++)
                        dec[i - b] = 1;
                    ns_sel_chain_run_burst(c, &pk[b], (const uint8_t *const *)&fr[b], e2 - b, lt,
                                           dec, taken, NULL);
                    for (uint32_t i = b; i < e2; i++)
                        k += taken[i - b];
                } else {
                    for (uint32_t i = b; i < e2; i++) {
                        int decoded = 1;
                        k += (uint64_t)ns_sel_chain_run(c, &pk[i], fr[i], lt, &decoded, NULL);
                    }
                }
                t += now() - t0;
            }
            if (t < best)
                best = t;
            sel = k;
            ns_sel_chain_free(c);
        }
        char label[64];
        snprintf(label, sizeof label, "%.20s%s", specs[s], burst ? " (burst)" : "");
        printf("%-28s %8.1f %8.1f %10llu\n", label, best * 1e9 / n, n / best / 1e6,
               (unsigned long long)sel);
    }
    for (uint32_t i = 0; i < n; i++)
        free(fr[i]);
    free(fr);
    free(pk);
    return 0;
}
