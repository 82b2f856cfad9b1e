/*
 * gen.h — a deterministic traffic generator that knows the truth.
 *
 * It writes a pcap (Ethernet, nanosecond timestamps) of interleaved flows
 * with a realistic mix — TCP bulk transfers with MSS-sized segments and
 * pure ACKs, short request/response TCP exchanges, DNS-like UDP pairs, RTP
 * voice streams at 50 packets/s, ICMP echo pairs, over IPv4 and IPv6, some
 * VLAN-tagged — and it injects impairments whose effect it records exactly:
 *
 *  - upstream loss: a TCP data segment (or RTP packet) is never seen at the
 *    observation point; the TCP sender resends it after an RTO well above
 *    the RTT, so the meter must see one sequence-gap loss and one
 *    retransmission (RTP just loses it, never among a stream's first 8
 *    packets, before a meter can have recognised it as RTP);
 *  - downstream loss: a TCP segment is seen and later resent (one
 *    retransmission of data already seen);
 *  - reordering: two adjacent data segments swap places within far less
 *    than the RTT (one out-of-order packet, no loss).
 *
 * The same seed gives the same bytes on every machine (own PRNG, no libc
 * rand, no wall clock), so captures need not be checked in: the bench and
 * the bundled sample are made with it.
 *
 * Memory: one slot per concurrently active flow (bounded by `max_active`),
 * allocated up front; packets are built in one reused buffer.
 */
#ifndef NS_GEN_GEN_H
#define NS_GEN_GEN_H

#include <stdint.h>

#include "util/err.h"

struct ns_gen_config {
    uint64_t seed;
    uint64_t flows;         /* flows to generate in all */
    uint32_t max_active;    /* flows in progress at once */
    uint64_t start_ns;      /* timestamp of the first flow start */
    uint64_t flow_gap_ns;   /* mean gap between flow starts */
    uint32_t snaplen;       /* bytes captured per packet (>= 128 recommended) */
    double upstream_loss;   /* probability per TCP data segment / RTP packet */
    double downstream_loss; /* probability per TCP data segment */
    double reorder;         /* probability per pair of TCP data segments */
    /* Heavy-tailed volumes: > 0 draws the data segments of a bulk TCP
     * transfer from a Pareto law of this shape (xmin 20, at most 200000)
     * instead of 20..400 uniformly; with a shape near 1 a few flows carry
     * a large share of the volume (elephants for flow selection tests). */
    double pareto_alpha;
};

/* What was written, for tests to check the meter against. */
struct ns_gen_truth {
    uint64_t packets;   /* frames written */
    uint64_t ip_octets; /* sum of IP total lengths */
    uint64_t l2_octets; /* sum of frame lengths on the wire */
    uint64_t flows;     /* biflows started */
    uint64_t tcp_flows, udp_flows, icmp_flows, rtp_flows;
    uint64_t tcp_upstream_lost; /* segments never seen (one gap each) */
    uint64_t tcp_retrans;       /* resends seen: upstream + downstream */
    uint64_t tcp_reordered;     /* segments seen out of order */
    uint64_t rtp_lost;          /* RTP packets never seen */
};

void ns_gen_config_default(struct ns_gen_config *c);

/* Write the capture to `path` ("-" for stdout). */
int ns_gen_write_pcap(const char *path, const struct ns_gen_config *c, struct ns_gen_truth *truth,
                      struct ns_error *err);

#endif
