/*
 * tcp.h — per-flow TCP tracking: flags, options, handshake RTT and loss.
 *
 * Design
 * ------
 * Only TCP flows carry this state: it lives in its own pool (meter.c), so a
 * UDP or ICMP flow does not pay for it (the Argus lesson).  Per direction we
 * keep the highest sequence number seen (`nxt`, Wireshark's nextseq), a few
 * holes below it, the last ACK/window (for duplicate ACKs and zero-window
 * probes) and the record counters.  All sequence comparisons are modulo 2^32
 * (RFC 9293 §3.4).
 *
 * Classification of a segment that carries sequence space (data, SYN, FIN)
 * in one direction, in this order:
 *
 *   - zero-window probe: 1 byte at nxt while the peer advertises window 0
 *     (RFC 9293 §3.8.6.1): ignored, nxt does not move (as Wireshark);
 *   - keep-alive: <= 1 byte at nxt-1, no SYN/FIN/RST (RFC 9293 §3.8.4):
 *     ignored;
 *   - beyond nxt after a segment that came as a first IP fragment (MF
 *     set): no hole.  Only the first fragment carries the TCP header, and
 *     it holds part of the segment, so its end is a lower bound of nxt;
 *     the rest of the segment follows in fragments we cannot place;
 *   - beyond nxt: a hole [nxt, seq) is recorded and counted at once as
 *     sequence-gap loss: gap_octets += size, loss_pkts += ceil(size / the
 *     largest payload seen in this direction) (1 when none seen yet);
 *   - below nxt and filling (part of) a hole:
 *       * fast retransmission (peer sent >= 2 duplicate ACKs for exactly this
 *         seq, the last within 20 ms — Wireshark's rule) -> retransmission;
 *       * else within the out-of-order threshold of the time the hole was
 *         seen -> out-of-order (reordering, not loss): the hole's estimate is
 *         credited back (loss_pkts -1 per filling segment, the rest when the
 *         hole closes; gap_octets -= filled octets).  If the gap was reported
 *         in an earlier record, this record carries negative loss, so the sum
 *         over a flow's records is exact;
 *       * else -> retransmission: the resend of data lost upstream (the gap
 *         loss already counted it, loss_pkts does not change);
 *     The threshold is the handshake RTT (SYN -> ACK, as Wireshark's first
 *     RTT) when measured, else 3 ms (Wireshark's default).
 *   - below nxt and touching no hole: data already seen -> retransmission
 *     (also spurious and SYN/FIN retransmissions) and loss_pkts += 1 (lost
 *     downstream of the observation point, or spurious).
 *
 * So loss_pkts = gap estimate net of reordering fills + resends of data
 * already seen; retrans_pkts matches Wireshark's tcp.analysis.retransmission
 * (which includes fast and spurious retransmissions); differences are listed
 * in docs/meter.md.
 *
 * At most NS_TCP_MAX_HOLES holes per direction; on overflow the oldest hole is
 * forgotten (its loss stands; a later fill of it counts as a retransmission
 * of data seen) and the caller counts NS_TCP_R_HOLE_OVERFLOW.
 *
 * Handshake RTT: synack = first SYN/ACK acknowledging the initiator's ISN
 * minus the *last* SYN before it (a retransmitted SYN replaces the earlier
 * one: the SYN/ACK most likely answers the latest SYN); ackdat = the first
 * ACK of the initiator acknowledging the responder's ISN minus the last
 * SYN/ACK before it.  Timing uses packet timestamps.
 *
 * No allocation, no errors.
 */
#ifndef NS_METER_TCP_H
#define NS_METER_TCP_H

#include <stddef.h>
#include <stdint.h>

#include "pkt/pkt.h"
#include "record/record.h"

#define NS_TCP_MAX_HOLES      4
#define NS_TCP_OOO_DEFAULT_NS 3000000ULL  /* 3 ms, Wireshark's default */
#define NS_TCP_FASTRT_NS      20000000ULL /* 20 ms after the last dup ACK */

#define NS_TCP_FIN 0x01
#define NS_TCP_SYN 0x02
#define NS_TCP_RST 0x04
#define NS_TCP_ACK 0x10

struct ns_tcp_hole {
    uint32_t start, end; /* missing [start, end) */
    uint32_t est;        /* packets of this hole still counted as lost */
    uint64_t seen_ns;    /* when the hole was seen */
};

/* Per direction, what every segment reads or writes (56 bytes). */
struct ns_tcp_dir {
    uint64_t nxt_ns; /* when nxt last advanced */
    uint64_t ack_ns; /* time of the last ACK sent in this direction */
    uint32_t isn, nxt, lastack, max_seg;
    uint32_t fin_seq; /* sequence number the FIN occupies */
    /* NS_RG_TCP */
    uint16_t win_last, win_min, win_max, mss, dupacks;
    uint8_t wscale, flags, init_flags, nholes;
    uint8_t have_seq : 1, have_syn : 1, have_ack : 1, have_win : 1, fin : 1, seen : 1, rec_win : 1;
    uint8_t nxt_open : 1;  /* nxt came from a first fragment: only a lower bound */
    uint8_t fin_acked : 1; /* the peer acknowledged this direction's FIN */
};

/* Per direction, what only a SYN, a gap, a resend or a record touches. */
struct ns_tcp_dir_rare {
    uint64_t syn_ns; /* time of the last SYN (or SYN/ACK) sent */
    /* record deltas (NS_RG_LOSS) */
    int64_t loss_pkts, gap_octets;
    uint64_t retrans_pkts, retrans_octets, ooo_pkts;
    struct ns_tcp_hole hole[NS_TCP_MAX_HOLES]; /* d.nholes of them */
};

/* Laid out for the packet path: both directions' common fields and the
 * connection's flags fill the first two cache lines, which is all the
 * meter fetches ahead of a segment (NS_TCP_HOT_BYTES); what a handshake,
 * a gap or a record touches follows.  The size is a whole number of
 * lines, so a pool entry starts on one. */
struct ns_tcp_state {
    struct ns_tcp_dir d[2];
    uint8_t syn_dir;    /* direction of the initiating SYN, 2 = none */
    uint8_t rtt_done;   /* bit 0 synack measured, bit 1 ackdat measured */
    uint8_t closed;     /* RST, or FIN both ways and both acknowledged */
    uint32_t next_free; /* pool link (meter.c) */
    uint64_t synack_ns; /* last SYN/ACK before the handshake ACK */
    uint32_t synack_us, ackdat_us;
    struct ns_tcp_dir_rare r[2];
} __attribute__((aligned(64)));

#define NS_TCP_HOT_BYTES offsetof(struct ns_tcp_state, synack_us)

/* Results of ns_tcp_packet (bit mask). */
/* A connection is closed by RST, or when both FINs were sent and both were
 * acknowledged (RFC 9293 §3.6): a FIN that is never acknowledged may be
 * resent, and those resends belong to the same flow (as Argus and
 * Wireshark see it). */
#define NS_TCP_R_CLOSED        0x1u /* flow just closed */
#define NS_TCP_R_HOLE_OVERFLOW 0x2u /* a hole was forgotten */

void ns_tcp_init(struct ns_tcp_state *t);

/* Account one TCP packet (NS_PKT_F_L4) sent in direction `dir`. */
unsigned ns_tcp_packet(struct ns_tcp_state *t, int dir, const struct ns_pkt *p);

/* A SYN without ACK that starts a new connection (not a resend of the SYN seen). */
int ns_tcp_is_new_syn(const struct ns_tcp_state *t, int dir, const struct ns_pkt *p);

/* Out-of-order threshold in ns for this flow. */
uint64_t ns_tcp_ooo_threshold(const struct ns_tcp_state *t);

/* Fill NS_RG_TCP, NS_RG_LOSS (and NS_RG_RTT when measured) into `r`. */
void ns_tcp_fill(const struct ns_tcp_state *t, struct ns_record *r);

/* Start a new record period: zero the deltas, keep the tracking state. */
void ns_tcp_reset_deltas(struct ns_tcp_state *t);

#endif
