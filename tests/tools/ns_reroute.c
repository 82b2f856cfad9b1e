/*
 * ns_reroute — the same traffic as seen one router further on: rewrites
 * an Ethernet capture as a router forwarding it would.  Test tool only.
 *
 *   ns_reroute [--drop F] [--delay MIN:MAX] [--seed S] [--truth FILE] IN.pcap OUT.pcap
 *
 * For every Ethernet frame: new source and destination MACs; a VLAN tag
 * removed when there is one, else one added (VID 42), padding the frame to
 * the Ethernet minimum of 60 bytes when it shrinks below; IPv4 TTL and
 * IPv6 hop limit decremented (not below 0), the IPv4 header checksum
 * recomputed; the DSCP re-marked (ECN bits kept), as a DiffServ boundary
 * may.  Anything else (other link types, non-IP) is copied unchanged.
 *
 * As a network between two observation points (trajectory sampling
 * tests): --drop F loses each packet with probability F, --delay MIN:MAX
 * (ns) delays each kept one by a uniform amount, so packets may reorder
 * (the output is sorted by the new times, as the downstream point would
 * see them), --seed S makes it repeatable, and --truth FILE writes one
 * line per input packet: "IP DROPPED DELAY_NS OUTPOS" (IP 1 for IPv4/IPv6;
 * OUTPOS the packet's 1-based position in OUT, 0 when dropped).
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/rng.h"

struct held {
    uint64_t t;
    size_t in; /* index of the input packet */
    struct pcap_pkthdr h;
    uint8_t *data;
};

static int by_time(const void *a, const void *b)
{
    const struct held *x = a, *y = b;
    if (x->t != y->t)
        return (x->t > y->t) - (x->t < y->t);
    return (x->in > y->in) - (x->in < y->in); /* equal times: sending order */
}

static void ip4_checksum(uint8_t *h, unsigned hl)
{
    h[10] = h[11] = 0;
    uint32_t s = 0;
    for (unsigned i = 0; i < hl; i += 2)
        s += (uint32_t)h[i] << 8 | h[i + 1];
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    s = ~s & 0xffff;
    h[10] = (uint8_t)(s >> 8);
    h[11] = (uint8_t)s;
}

int main(int argc, char **argv)
{
    double drop = 0;
    uint64_t dmin = 0, dmax = 0, seed = 1;
    const char *truth_path = NULL;
    int ai = 1;
    for (; ai + 1 < argc && argv[ai][0] == '-' && argv[ai][1] == '-'; ai += 2) {
        if (!strcmp(argv[ai], "--drop"))
            drop = atof(argv[ai + 1]);
        else if (!strcmp(argv[ai], "--delay") &&
                 sscanf(argv[ai + 1], "%lu:%lu", &dmin, &dmax) == 2 && dmin <= dmax)
            ;
        else if (!strcmp(argv[ai], "--seed"))
            seed = strtoull(argv[ai + 1], NULL, 10);
        else if (!strcmp(argv[ai], "--truth"))
            truth_path = argv[ai + 1];
        else
            ai = argc; /* usage */
    }
    if (argc - ai != 2) {
        fprintf(stderr, "usage: ns_reroute [--drop F] [--delay MIN:MAX] [--seed S] "
                        "[--truth FILE] IN.pcap OUT.pcap\n");
        return 2;
    }
    argv += ai - 1;
    struct ns_rng rng;
    ns_rng_seed(&rng, seed);
    FILE *truth = truth_path ? fopen(truth_path, "w") : NULL;
    if (truth_path && !truth) {
        fprintf(stderr, "ns_reroute: cannot write %s\n", truth_path);
        return 2;
    }
    int network = drop > 0 || dmax > 0;
    struct held *hold = NULL;
    size_t nheld = 0, capheld = 0;
    struct fate {
        uint8_t ip, dropped;
        uint64_t delay, outpos;
    } *fate = NULL;
    size_t nin = 0, capin = 0;
    char eb[PCAP_ERRBUF_SIZE];
    pcap_t *in = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, eb);
    if (!in) {
        fprintf(stderr, "ns_reroute: %s\n", eb);
        return 2;
    }
    int lt = pcap_datalink(in);
    pcap_t *dead = pcap_open_dead_with_tstamp_precision(lt, 262144, PCAP_TSTAMP_PRECISION_NANO);
    pcap_dumper_t *out = dead ? pcap_dump_open(dead, argv[2]) : NULL;
    if (!out) {
        fprintf(stderr, "ns_reroute: cannot write %s\n", argv[2]);
        return 2;
    }
    static uint8_t buf[262144 + 64];
    struct pcap_pkthdr *ph;
    const u_char *d;
    int r;
    while ((r = pcap_next_ex(in, &ph, &d)) == 1) {
        struct pcap_pkthdr oh = *ph;
        uint32_t n = ph->caplen;
        memcpy(buf, d, n);
        if (lt == DLT_EN10MB && n >= 14) {
            static const uint8_t mac_d[6] = {0x02, 0, 0, 0, 0, 0x2d},
                                 mac_s[6] = {0x02, 0, 0, 0, 0, 0x5e};
            memcpy(buf, mac_d, 6);
            memcpy(buf + 6, mac_s, 6);
            uint16_t et = (uint16_t)(buf[12] << 8 | buf[13]);
            if (et == 0x8100 && n >= 18) { /* remove the outer tag */
                memmove(buf + 12, buf + 16, n - 16);
                n -= 4;
                oh.len -= 4;
                if (n < 60 && oh.len == n + 0 && oh.len < 60) {
                    memset(buf + n, 0, 60 - n);
                    oh.len = 60;
                    n = 60;
                }
            } else { /* add one */
                memmove(buf + 16, buf + 12, n - 12);
                buf[12] = 0x81;
                buf[13] = 0x00;
                buf[14] = 0x00;
                buf[15] = 42;
                n += 4;
                oh.len += 4;
            }
            uint32_t o = 12;
            et = (uint16_t)(buf[o] << 8 | buf[o + 1]);
            while ((et == 0x8100 || et == 0x88a8) && o + 6 <= n) {
                o += 4;
                et = (uint16_t)(buf[o] << 8 | buf[o + 1]);
            }
            o += 2;
            if (et == 0x0800 && o + 20 <= n && (buf[o] >> 4) == 4) {
                uint8_t *h = buf + o;
                unsigned hl = (h[0] & 0x0f) * 4u;
                if (hl >= 20 && o + hl <= n) {
                    if (h[8])
                        h[8]--;
                    h[1] = (uint8_t)((h[1] & 0x03) | 0x28); /* DSCP AF11 */
                    ip4_checksum(h, hl);
                }
            } else if (et == 0x86dd && o + 40 <= n && (buf[o] >> 4) == 6) {
                uint8_t *h = buf + o;
                if (h[7])
                    h[7]--;
                /* traffic class: DSCP in bits 4..9 of the first word */
                h[0] = (uint8_t)((h[0] & 0xf0) | 0x0a);
                h[1] = (uint8_t)((h[1] & 0x3f) | 0x00);
            }
        }
        oh.caplen = n;
        if (oh.len < n)
            oh.len = n;
        if (!network) {
            pcap_dump((u_char *)out, &oh, buf);
            continue;
        }
        int is_ip = 0;
        if (lt == DLT_EN10MB && n >= 14) {
            uint32_t o = 12;
            uint16_t et = (uint16_t)(buf[o] << 8 | buf[o + 1]);
            while ((et == 0x8100 || et == 0x88a8) && o + 6 <= n) {
                o += 4;
                et = (uint16_t)(buf[o] << 8 | buf[o + 1]);
            }
            is_ip = et == 0x0800 || et == 0x86dd;
        }
        int dropped = ns_rng_unit(&rng) < drop;
        uint64_t delay = dmin + (dmax > dmin ? ns_rng_next(&rng) % (dmax - dmin + 1) : 0);
        if (nin == capin) {
            capin = capin ? capin * 2 : 4096;
            fate = realloc(fate, capin * sizeof *fate);
            if (!fate) {
                fprintf(stderr, "ns_reroute: out of memory\n");
                return 2;
            }
        }
        fate[nin] = (struct fate){(uint8_t)is_ip, (uint8_t)dropped, dropped ? 0 : delay, 0};
        nin++;
        if (dropped)
            continue;
        if (nheld == capheld) {
            capheld = capheld ? capheld * 2 : 4096;
            hold = realloc(hold, capheld * sizeof *hold);
            if (!hold) {
                fprintf(stderr, "ns_reroute: out of memory\n");
                return 2;
            }
        }
        uint64_t t = (uint64_t)oh.ts.tv_sec * 1000000000ull + (uint64_t)oh.ts.tv_usec + delay;
        oh.ts.tv_sec = (time_t)(t / 1000000000ull);
        oh.ts.tv_usec = (suseconds_t)(t % 1000000000ull); /* nanosecond precision */
        hold[nheld].t = t;
        hold[nheld].in = nin - 1;
        hold[nheld].h = oh;
        hold[nheld].data = malloc(n ? n : 1);
        if (!hold[nheld].data) {
            fprintf(stderr, "ns_reroute: out of memory\n");
            return 2;
        }
        memcpy(hold[nheld].data, buf, n);
        nheld++;
    }
    if (network) {
        qsort(hold, nheld, sizeof *hold, by_time); /* what the next point sees, in order */
        for (size_t i = 0; i < nheld; i++) {
            pcap_dump((u_char *)out, &hold[i].h, hold[i].data);
            fate[hold[i].in].outpos = i + 1;
            free(hold[i].data);
        }
        free(hold);
    }
    if (truth) {
        for (size_t i = 0; i < nin; i++)
            fprintf(truth, "%d %d %lu %lu\n", fate[i].ip, fate[i].dropped, fate[i].delay,
                    fate[i].outpos);
        fclose(truth);
    }
    free(fate);
    pcap_dump_close(out);
    pcap_close(dead);
    pcap_close(in);
    return r == -2 ? 0 : 1;
}
