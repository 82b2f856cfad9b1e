/*
 * flow.h — one flow cache entry and its per-direction accounting.
 *
 * Design
 * ------
 * struct ns_flow is what every flow costs, whatever its protocol: the
 * canonical key, cache links, counters, times, TTL/TOS, jitter and MAC.
 * Protocol state that only some flows need (TCP tracking, ESP/RTP sequence
 * tracking) lives in separate pools and is referenced by index, so a lone
 * UDP or ICMP flow stays small.
 *
 * The accounting here knows nothing of the cache (hashing, lists, expiry):
 * meter.c drives it, and the unit tests drive the same functions from a
 * naive reference cache to check the fast one record by record.
 *
 * Per record period (reset when a record is emitted): counters, first/last
 * time, TTL min/max, jitter (shifted sums for the mean/variance of inter-arrival times;
 * the previous arrival carries over so the first sample of a period is the
 * gap from the previous period's last packet).  Per flow: TOS of the first
 * packet of each direction, MACs of the initiator's first packet.
 *
 * No allocation, no errors.
 */
#ifndef NS_METER_FLOW_H
#define NS_METER_FLOW_H

#include <stdint.h>

#include "meter/key.h"
#include "meter/seqloss.h"
#include "meter/tcp.h"
#include "pkt/pkt.h"
#include "record/record.h"

#define NS_FLOW_NIL UINT32_MAX

struct ns_flow_dir {
    uint64_t pkts, octets, l2_octets; /* record deltas */
    uint64_t first_ns, last_ns;       /* this record period, 0 = none */
    uint64_t prev_ns;                 /* last arrival (jitter), persists */
    /* Inter-arrival sums around a shift (the period's first sample), in
     * ns: mean = shift + sum/n, variance = sumsq/n - (sum/n)^2.  Shifting
     * keeps the subtraction stable (samples sit near the shift), and the
     * packet path has no division, unlike Welford's update. */
    double jit_sum, jit_sumsq;
    int64_t jit_shift;
    uint32_t jit_n;
    uint8_t ttl_min, ttl_max, tos;
    uint8_t seen; /* any packet ever in this direction */
};

/* Pending counts added in bulk (fragments that preceded their first). */
struct ns_flow_bulk {
    uint64_t pkts, octets, l2_octets, first_ns, last_ns;
    uint8_t ttl_min, ttl_max, tos;
};

/*
 * One cache entry, laid out for the packet path: four cache lines (the
 * pool is line-aligned), the first holding what a lookup compares and
 * follows, the next what every packet updates.  What only records read
 * (the flow id, MACs) lives in a side array (struct ns_flow_ident), so a
 * packet fetches four lines at most, not the six a 280-byte entry
 * straddled.
 */
struct ns_flow {
    struct ns_flow_key key;
    uint32_t hash, hnext;
    uint32_t tcp, seq;     /* pool indexes or NS_FLOW_NIL */
    uint8_t init_side;     /* canonical side (0 a, 1 b) of the initiator */
    uint8_t cls;           /* idle class: 0 other, 1 TCP */
    uint8_t closing;       /* TCP ended; lingering */
    uint8_t no_seq;        /* ESP/RTP tracking given up or refused */
    uint64_t touch_ns;     /* meter clock at the last packet: idle order */
    uint64_t due_ns;       /* next status report, or end of linger when closing */
    uint32_t sprev, snext; /* status list (idle/closing links: meter.c) */
    uint8_t syn_seen;
    uint8_t activity; /* something counted since the last record */
    uint8_t has_mac, in_use;
    struct ns_flow_dir d[2];
} __attribute__((aligned(64)));

/* What a flow's records carry and its packets never read. */
struct ns_flow_ident {
    uint64_t flow_id;
    uint8_t smac[6], dmac[6]; /* the initiator's first packet, when has_mac */
};

void ns_flow_init(struct ns_flow *f, struct ns_flow_ident *id, const struct ns_flow_key *k,
                  uint32_t hash, int init_side, uint64_t flow_id, uint64_t now);

/* Count packet `p` in direction `dir` (counters, times, TTL, TOS, jitter;
 * the MACs into `id` from the initiator's first packet). */
void ns_flow_count(struct ns_flow *f, struct ns_flow_ident *id, int dir, const struct ns_pkt *p);

/* Add bulk counts to direction `dir` (no jitter samples). */
void ns_flow_add_bulk(struct ns_flow *f, int dir, const struct ns_flow_bulk *b);

/* Write the record for the current period (t, s may be NULL). */
void ns_flow_record(const struct ns_flow *f, const struct ns_flow_ident *id,
                    const struct ns_tcp_state *t, const struct ns_seq_state *s,
                    enum ns_end_reason reason, struct ns_record *r);

/* Start a new record period. */
void ns_flow_reset_deltas(struct ns_flow *f, struct ns_tcp_state *t, struct ns_seq_state *s);

/*
 * Decide the initiator side for a new flow (key `k`) from its first packet:
 * the side that sent a SYN without ACK (`tcp_hdr`: the packet's TCP header
 * was decoded), the requester of an ICMP request/reply pair (always side a),
 * else the packet's source side `pkt_side`.  *syn_seen is set when a SYN
 * decided.
 */
int ns_flow_initiator(const struct ns_pkt *p, const struct ns_flow_key *k, int tcp_hdr,
                      int pkt_side, uint8_t *syn_seen);

#endif
