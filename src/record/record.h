/*
 * record.h — the one normalized flow record.
 *
 * Design
 * ------
 * Everything that measures flows produces a struct ns_record, and everything
 * that analyses flows consumes one: the meter fills it, the IPFIX codec turns
 * it into data records (one template per combination of present groups) and
 * back, `netsift read` prints it.  The record is a fixed struct (no pointers,
 * no allocation) split into field groups; `present` says which groups hold
 * meaning.  A group that is absent is all zeros and must not be read.
 *
 * A record is a biflow (RFC 5103): direction 0 is the initiator → responder
 * ("forward", Argus "src"), direction 1 the responder → initiator ("reverse",
 * Argus "dst").  The key is stored from the initiator's point of view.
 *
 * Counters are deltas: a flow reported in several status records (active
 * timeout) carries in each record only what happened since the previous one,
 * so the sum over a flow's records equals the flow.  This holds for loss too,
 * which is why loss fields are signed: a sequence gap reported as loss in one
 * record and filled by a reordered packet later makes the later record carry
 * negative loss (see meter/tcp.h).
 *
 * Merge rules per group live in record/merge.c (analysis issue): counters
 * add, times take min/max, flags OR, loss adds (negative included), jitter
 * pools means and variances.
 */
#ifndef NS_RECORD_RECORD_H
#define NS_RECORD_RECORD_H

#include <stdint.h>

/* Field groups (bits in ns_record.present). */
#define NS_RG_KEY   0x0001u /* ip_version, proto, addresses, ports, icmp, vlan */
#define NS_RG_COUNT 0x0002u /* per-direction pkts, octets, l2_octets */
#define NS_RG_TIME  0x0004u /* per-direction first/last timestamps */
#define NS_RG_IP    0x0008u /* per-direction TTL min/max, TOS */
#define NS_RG_TCP   0x0010u /* per-direction flags, initial flags, MSS, wscale, window min/max */
#define NS_RG_LOSS  0x0020u /* per-direction loss, retransmissions, reordering */
#define NS_RG_RTT   0x0040u /* handshake RTT at the observation point */
#define NS_RG_JIT   0x0080u /* per-direction inter-arrival mean/stddev */
#define NS_RG_MAC   0x0100u /* initiator's source/destination MAC */
#define NS_RG_ESP   0x0200u /* ESP SPI per direction */
#define NS_RG_AGG   0x0400u /* aggregation: how many records and flows were merged */
#define NS_RG_SAMP  0x0800u /* packet sampling: the fraction of packets behind the record */

/*
 * Key components (ns_record.key_wild).  A set bit says the component is
 * wildcarded: the record aggregates several values, so it has none (RFC
 * 7015 §5.1: key fields of the original flows that are not keys of the
 * aggregation are removed).  Records from the meter have key_wild == 0.
 * An address may instead be cut to a prefix (sprefix/dprefix, RFC 7015
 * §5.1.1 "prefix key"), with the host bits zero.
 */
#define NS_RK_IPVER 0x01u
#define NS_RK_PROTO 0x02u
#define NS_RK_SADDR 0x04u
#define NS_RK_DADDR 0x08u
#define NS_RK_SPORT 0x10u /* sport, and the ICMP type */
#define NS_RK_DPORT 0x20u /* dport, and the ICMP code */
#define NS_RK_VLAN  0x40u
#define NS_RK_ALL   0x7Fu

/* flowEndReason values (IANA IPFIX registry, IE 136). */
enum ns_end_reason {
    NS_END_IDLE = 1,    /* idle timeout */
    NS_END_ACTIVE = 2,  /* active timeout: a status record, the flow goes on */
    NS_END_EOF = 3,     /* end of flow detected (TCP FIN/FIN, RST) */
    NS_END_FORCED = 4,  /* forced end (end of input, shutdown) */
    NS_END_RESOURCE = 5 /* lack of resources (cache full, emergency expiry) */
};

/* Which sequence numbers the loss group was computed from. */
enum ns_loss_source {
    NS_LOSS_NONE = 0,
    NS_LOSS_TCP = 1,
    NS_LOSS_ESP = 2,  /* RFC 4303 sequence number */
    NS_LOSS_RTP = 3,  /* RTP sequence number (RFC 3550) */
    NS_LOSS_MIXED = 4 /* an aggregate of records with different sources */
};

struct ns_record_dir {
    /* NS_RG_COUNT */
    uint64_t pkts;
    uint64_t octets;    /* IP octets (octetDeltaCount) */
    uint64_t l2_octets; /* layer-2 octets as on the wire (layer2OctetDeltaCount) */
    /* NS_RG_TIME: ns since the epoch; 0 when the direction saw no packet */
    uint64_t first_ns, last_ns;
    /* NS_RG_IP */
    uint8_t ttl_min, ttl_max;
    uint8_t tos; /* of the first packet */
    /* NS_RG_TCP */
    uint8_t tcp_flags;                 /* union of all flags */
    uint8_t tcp_init_flags;            /* flags of the first packet in this direction */
    uint8_t tcp_wscale;                /* window scale from SYN, 0xff when absent */
    uint16_t tcp_mss;                  /* MSS option, 0 when absent */
    uint16_t tcp_win_min, tcp_win_max; /* raw window field */
    /* NS_RG_LOSS */
    int64_t loss_pkts;       /* lost packets: upstream gaps (estimated) net of
                                reordering fills + resends of data already seen */
    int64_t gap_octets;      /* octets missing in sequence gaps, net of fills */
    uint64_t retrans_pkts;   /* retransmitted segments (tcp.analysis.retransmission) */
    uint64_t retrans_octets; /* their payload octets */
    uint64_t ooo_pkts;       /* out of order: filled a hole within the RTT */
    uint64_t dup_pkts;       /* duplicates (RTP/ESP sequence seen twice) */
    /* NS_RG_JIT: inter-arrival times in this record, µs */
    uint64_t jit_n; /* number of inter-arrival samples */
    double jit_mean_us;
    double jit_stddev_us; /* population standard deviation */
    /* NS_RG_ESP */
    uint32_t esp_spi;
};

struct ns_record {
    uint32_t present; /* NS_RG_* */

    /* NS_RG_KEY (initiator's view) */
    uint8_t ip_version; /* 4 or 6 */
    uint8_t proto;
    uint16_t sport, dport;
    uint8_t icmp_type, icmp_code; /* ICMP/ICMPv6, else 0 */
    uint16_t vlan;                /* outermost VLAN id, 0 when untagged */
    uint8_t saddr[16], daddr[16]; /* IPv4 in the first 4 bytes */
    uint8_t key_wild;             /* NS_RK_*: wildcarded components */
    uint8_t sprefix, dprefix;     /* prefix length of saddr/daddr; 0 = whole address */

    /* Always present */
    uint64_t flow_id;    /* unique per flow within one exporter run; status
                            records of one flow share it (IE 148 flowId) */
    uint8_t end_reason;  /* enum ns_end_reason */
    uint8_t loss_source; /* enum ns_loss_source, with NS_RG_LOSS */
    uint8_t syn_seen;    /* initiator decided by a SYN (else: first packet) */

    /* NS_RG_RTT: µs, 0 when not measured */
    uint32_t synack_us; /* SYN → SYN/ACK (Argus synack) */
    uint32_t ackdat_us; /* SYN/ACK → ACK (Argus ackdat) */

    /* NS_RG_MAC */
    uint8_t smac[6], dmac[6];

    /* NS_RG_AGG: absent in a record straight from a meter, which stands for
     * one record of one flow.  agg_records counts the merged records (Argus
     * "trans"); agg_flows the flows among them that ended in this aggregate
     * (records that are not status records: IANA originalFlowsCompleted). */
    uint64_t agg_records;
    uint64_t agg_flows;

    /* NS_RG_SAMP: the fraction of the observed packets that the selection
     * process passed to the meter (1 in 100 → 0.01), so that counters
     * estimate the traffic as counters / samp_frac.  0 means "mixed": an
     * aggregate of records sampled at different rates.  samp_n, samp_space
     * and samp_pop only hold what other exporters send (RFC 7012
     * samplingPacketInterval/Space, samplingSize/Population, the deprecated
     * samplingInterval) until the decoder turns it into samp_frac. */
    double samp_frac;
    uint32_t samp_n, samp_space, samp_pop;

    struct ns_record_dir dir[2]; /* [0] forward, [1] reverse */
};

/* Zero a record (all groups absent). */
void ns_record_clear(struct ns_record *r);

/* Start/end over both directions (0 when no time group). */
uint64_t ns_record_start_ns(const struct ns_record *r);
uint64_t ns_record_end_ns(const struct ns_record *r);

#endif
