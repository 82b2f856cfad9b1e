/*
 * seqloss.h — loss from per-packet sequence numbers: ESP and RTP.
 *
 * Design
 * ------
 * Argus measures loss beyond TCP wherever a protocol numbers its packets.
 * We do it for IPsec ESP (RFC 4303 §2.2: 32-bit sequence number per SA,
 * incremented by one per packet) and RTP over UDP (RFC 3550 §5.1: 16-bit
 * sequence number per SSRC).  Per direction we keep the highest sequence
 * number and a 64-packet history bitmap (as an anti-replay window, RFC 4303
 * §3.4.3):
 *
 *   - seq = max + n (n >= 1): n - 1 packets lost, counted at once;
 *   - seq = max or a bit already set: duplicate (dup_pkts);
 *   - seq in the window and its bit clear: out of order (ooo_pkts) and
 *     loss_pkts -1, so a gap counted in an earlier record and filled later
 *     makes the later record carry negative loss (23, 25 -> +1; then 24 ->
 *     -1 in whichever record it falls);
 *   - older than the window or before tracking started: out of order, no
 *     credit (we cannot tell whether it was counted).
 *   - A forward jump larger than the dropout limit (RTP: 3000, RFC 3550
 *     A.1 MAX_DROPOUT; ESP: 65536) restarts tracking without counting loss.
 *   - A new SPI (ESP) or SSRC (RTP) in a direction restarts tracking.
 *
 * RTP recognition (payloads are untrusted; every byte read is bounds
 * checked): UDP, both ports >= 1024, at least 12 payload bytes captured,
 * version 2, payload type not 72-76 (RTCP when multiplexed, RFC 5761 §4).
 * A direction is RTP once NS_RTP_PROBATION consecutive packets (seq + 1 each)
 * carried the same SSRC (RFC 3550 A.1 probation); packets in probation count
 * no loss.  After NS_RTP_MAX_FAILS failed probations with no direction
 * validated the flow is declared not RTP and the state returns to its pool.
 *
 * No allocation, no errors.
 */
#ifndef NS_METER_SEQLOSS_H
#define NS_METER_SEQLOSS_H

#include <stdint.h>

#include "pkt/pkt.h"
#include "record/record.h"

#define NS_RTP_PROBATION   3
#define NS_RTP_MAX_FAILS   2
#define NS_RTP_MAX_DROPOUT 3000u
#define NS_ESP_MAX_DROPOUT 65536u

enum ns_seq_kind { NS_SEQ_ESP = 1, NS_SEQ_RTP = 2 };

struct ns_seq_dir {
    uint64_t window; /* bit i: packet max - i received */
    int64_t loss;    /* record deltas */
    uint64_t ooo, dup;
    uint32_t max;  /* highest sequence number (16 bits used for RTP) */
    uint32_t id;   /* SPI or SSRC */
    uint8_t span;  /* valid history bits (<= 64) */
    uint8_t state; /* 0 none, 1 probation, 2 tracking */
    uint8_t probation;
};

struct ns_seq_state {
    struct ns_seq_dir d[2];
    uint32_t next_free; /* pool link (meter.c) */
    uint8_t kind;       /* enum ns_seq_kind */
    uint8_t fails;      /* failed RTP probations */
};

void ns_seq_init(struct ns_seq_state *s, enum ns_seq_kind kind);

/* ESP packet (proto 50 with NS_PKT_F_L4) in direction `dir`. */
void ns_seq_esp(struct ns_seq_state *s, int dir, uint32_t spi, uint32_t seq);

/*
 * The RTP header fields the tracker reads, from a UDP packet that could be
 * RTP (the recognition rule above, minus probation); ok = 0 when it could
 * not.  A function of the packet alone: the probe's reading thread takes
 * it ahead (ns_meter_prepare), so the meter never reads payload bytes,
 * which sit in the other core's cache.
 */
struct ns_rtp_hdr {
    uint32_t ssrc;
    uint16_t seq;
    uint8_t ok;
};
void ns_rtp_peek(const struct ns_pkt *p, struct ns_rtp_hdr *h);

/*
 * RTP candidate packet (h from ns_rtp_peek) in direction `dir`.  Returns
 * -1 when the flow has failed recognition (the caller frees the state and
 * stops trying), else 0.
 */
int ns_seq_rtp(struct ns_seq_state *s, int dir, const struct ns_rtp_hdr *h);

/* Whether any direction is tracked (ESP: always after one packet; RTP: validated). */
int ns_seq_active(const struct ns_seq_state *s);

/* Fill NS_RG_LOSS (and NS_RG_ESP for ESP) when active. */
void ns_seq_fill(const struct ns_seq_state *s, struct ns_record *r);

void ns_seq_reset_deltas(struct ns_seq_state *s);

#endif
