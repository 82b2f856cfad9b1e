/*
 * rand_record.h — deterministic random ns_records for tests and test tools
 * (header-only so every test executable can include it).  Records respect
 * the record.h invariants: absent groups are zero, ICMP flows carry type and
 * code and no ports, IPv4 addresses use the first 4 octets, times fit the
 * IPFIX range (< 2^32 s).
 */
#ifndef NS_TESTS_RAND_RECORD_H
#define NS_TESTS_RAND_RECORD_H

#include <stdint.h>
#include <string.h>

#include "ipfix/ntp.h"
#include "record/record.h"

static inline uint64_t rr_next(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint64_t rr_below(uint64_t *s, uint64_t n)
{
    return n ? rr_next(s) % n : 0;
}

static inline double rr_double(uint64_t *s)
{
    return (double)(rr_next(s) >> 11) / 9007199254740992.0 * 1e6;
}

/* A record with exactly the groups in `present` (NS_RG_*). */
static inline void rr_record(uint64_t *s, struct ns_record *r, uint32_t present)
{
    ns_record_clear(r);
    r->present = present;
    r->flow_id = rr_next(s);
    r->end_reason = (uint8_t)(1 + rr_below(s, 5));
    r->syn_seen = (uint8_t)rr_below(s, 2);
    if (present & NS_RG_KEY) {
        r->ip_version = rr_below(s, 2) ? 6 : 4;
        static const uint8_t protos[] = {6, 17, 1, 58, 47, 50, 132};
        r->proto = protos[rr_below(s, sizeof protos)];
        int icmp = (r->ip_version == 4 && r->proto == 1) || (r->ip_version == 6 && r->proto == 58);
        if (icmp) {
            r->icmp_type = (uint8_t)rr_next(s);
            r->icmp_code = (uint8_t)rr_next(s);
        } else {
            r->sport = (uint16_t)rr_next(s);
            r->dport = (uint16_t)rr_next(s);
        }
        if (rr_below(s, 2))
            r->vlan = (uint16_t)(1 + rr_below(s, 4094));
        size_t alen = r->ip_version == 4 ? 4 : 16;
        for (size_t i = 0; i < alen; i++) {
            r->saddr[i] = (uint8_t)rr_next(s);
            r->daddr[i] = (uint8_t)rr_next(s);
        }
    }
    if (present & NS_RG_RTT) {
        r->synack_us = (uint32_t)rr_next(s);
        r->ackdat_us = (uint32_t)rr_next(s);
    }
    if (present & NS_RG_MAC) {
        for (int i = 0; i < 6; i++) {
            r->smac[i] = (uint8_t)rr_next(s);
            r->dmac[i] = (uint8_t)rr_next(s);
        }
    }
    if (present & NS_RG_LOSS)
        r->loss_source = (uint8_t)(1 + rr_below(s, 3));
    for (int d = 0; d < 2; d++) {
        struct ns_record_dir *x = &r->dir[d];
        int empty = d == 1 && rr_below(s, 4) == 0; /* a direction that saw nothing */
        if (present & NS_RG_COUNT && !empty) {
            x->pkts = rr_next(s) >> rr_below(s, 64);
            x->octets = rr_next(s) >> rr_below(s, 64);
            x->l2_octets = rr_next(s) >> rr_below(s, 64);
        }
        if (present & NS_RG_TIME && !empty) {
            x->first_ns = rr_below(s, NS_NTP_MAX_NS / 2);
            x->last_ns = x->first_ns + rr_below(s, NS_NTP_MAX_NS / 2);
        }
        if (present & NS_RG_IP) {
            x->ttl_min = (uint8_t)rr_next(s);
            x->ttl_max = (uint8_t)rr_next(s);
            x->tos = (uint8_t)rr_next(s);
        }
        if (present & NS_RG_TCP) {
            x->tcp_flags = (uint8_t)rr_next(s);
            x->tcp_init_flags = (uint8_t)rr_next(s);
            x->tcp_wscale = rr_below(s, 4) ? (uint8_t)rr_below(s, 15) : 0xff;
            x->tcp_mss = (uint16_t)rr_next(s);
            x->tcp_win_min = (uint16_t)rr_next(s);
            x->tcp_win_max = (uint16_t)rr_next(s);
        }
        if (present & NS_RG_LOSS) {
            x->loss_pkts = (int64_t)rr_next(s) >> rr_below(s, 64);
            x->gap_octets = (int64_t)rr_next(s) >> rr_below(s, 64);
            x->retrans_pkts = rr_next(s) >> rr_below(s, 64);
            x->retrans_octets = rr_next(s);
            x->ooo_pkts = rr_next(s) >> rr_below(s, 64);
            x->dup_pkts = rr_next(s) >> rr_below(s, 64);
        }
        if (present & NS_RG_JIT) {
            x->jit_n = rr_next(s) >> rr_below(s, 64);
            x->jit_mean_us = rr_double(s);
            x->jit_stddev_us = rr_double(s);
        }
        if (present & NS_RG_ESP)
            x->esp_spi = (uint32_t)rr_next(s);
    }
}

#endif
