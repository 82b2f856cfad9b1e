/*
 * reader.h — reading PSAMP packet reports and their interpretation back
 * from an IPFIX file or stream (netsift's own, softflowd's `-v psamp`,
 * any exporter's), and the RFC 5474 §5.3 estimate built on them.
 *
 * Design
 * ------
 * The reader walks whole messages (msg.h) and keeps templates in a
 * bounded store (tmpl.h) scoped by observation domain, like the flow
 * reader; it then sorts data records by their template:
 *   - a template (not options) with selectionSequenceId, a packet section
 *     or digestHashValue is a packet report;
 *   - an options template scoped by selectionSequenceId is the Selection
 *     Sequence Report Interpretation, or the Selection Sequence Statistics
 *     when it carries selectorIdTotalPktsObserved;
 *   - one scoped by selectorId is a Selector Report Interpretation;
 *   - everything else (flow records, type records) is skipped, counted.
 * PSAMP templates repeat elements (a selectorId and its input sequence
 * number per selector, one hashSelectedRange pair per range), which a
 * compiled plan would merge, so records are decoded by walking the
 * template's fields in order: a selectorId opens a selector's slot and
 * the selectorIdTotalPkts* that follow belong to it.  Every length is
 * checked against the set; a packet section points into the message
 * buffer and is valid until the next call.
 *
 * Estimation (ns_psamp_est): per selection sequence, reports carrying the
 * first selector's input sequence number s (its packets-observed count)
 * give the attained selection fraction R = (n-1)/(s_n - s_1) (RFC 5474
 * §5.3), and the totals it stands for: n/R packets and B/R octets (B: the
 * reports' ipTotalLength, else dataLinkFrameSize, else the section
 * length), each with the standard error of independent sampling at rate
 * R: sqrt((1-R) Σx²)/R.  Reports without input sequence numbers (softflowd
 * numbers its reports in selectionSequenceId, one per packet, and sends
 * none) are pooled per observation domain: they are counted, not scaled.
 *
 * Ownership: open allocates, close frees; nothing allocates per record.
 */
#ifndef NS_REPORT_READER_H
#define NS_REPORT_READER_H

#include <stddef.h>
#include <stdint.h>

#include "ipfix/tmpl.h"
#include "select/select.h"
#include "util/err.h"

enum ns_psamp_kind {
    NS_PSAMP_REPORT = 1, /* packet report */
    NS_PSAMP_SEQ,        /* Selection Sequence Report Interpretation */
    NS_PSAMP_SELECTOR,   /* Selector Report Interpretation */
    NS_PSAMP_STATS       /* Selection Sequence Statistics */
};

/* Fields present (ns_psamp_item.has) */
#define NS_PH_SSID      0x000001u
#define NS_PH_SEQ       0x000002u /* input sequence numbers (observed[]) */
#define NS_PH_SELECTED  0x000004u
#define NS_PH_TIME      0x000008u
#define NS_PH_DIGEST    0x000010u
#define NS_PH_ADDR      0x000020u
#define NS_PH_PORTS     0x000040u
#define NS_PH_PROTO     0x000080u
#define NS_PH_IPLEN     0x000100u
#define NS_PH_TTL       0x000200u
#define NS_PH_IPID      0x000400u
#define NS_PH_TOS       0x000800u
#define NS_PH_TCPFLAGS  0x001000u
#define NS_PH_FRAMESIZE 0x002000u
#define NS_PH_IFACE     0x004000u
#define NS_PH_SECTION   0x008000u
#define NS_PH_SELID     0x010000u /* selector_id (a single selectorId) */
#define NS_PH_ALG       0x020000u
#define NS_PH_COUNT     0x040000u /* pkt_interval, pkt_space */
#define NS_PH_TIMESAMP  0x080000u /* time_interval, time_space */
#define NS_PH_NOFN      0x100000u /* size, population */
#define NS_PH_PROB      0x200000u
#define NS_PH_HASH      0x400000u /* hash parameters */
#define NS_PH_NAME      0x800000u
#define NS_PH_DROPPED   0x1000000u /* statistics: reports dropped under contention */

#define NS_PSAMP_MAX_RANGES 8

struct ns_psamp_item {
    enum ns_psamp_kind kind;
    uint32_t has;
    uint32_t obs_domain;
    uint16_t tid;
    uint64_t ssid;
    /* per selector, in template order (reports, statistics, sequence) */
    uint32_t nsel;
    uint64_t sel_id[NS_SEL_MAX_CHAIN];
    uint64_t observed[NS_SEL_MAX_CHAIN];
    uint64_t selected[NS_SEL_MAX_CHAIN];
    uint64_t selector_id; /* selector interpretation scope, or a report's lone selectorId */
    uint64_t time_ns;     /* observation time (reports), or statistics time */
    uint64_t digest;
    uint8_t ip_version, proto, ttl, tos;
    uint8_t src[16], dst[16];
    uint16_t sport, dport, tcpflags, frame_size;
    uint32_t ip_len, ipid, iface;
    uint16_t sect_offset, sect_exported;
    uint8_t sect_l2; /* dataLinkFrameSection (else ipHeaderPacketSection) */
    const uint8_t *sect;
    uint32_t sect_len;
    /* selector interpretation */
    uint16_t algorithm;
    uint32_t pkt_interval, pkt_space, time_interval, time_space, size, population;
    double prob;
    uint64_t hash_offset, hash_size, hash_init, out_min, out_max;
    uint32_t nranges;
    uint64_t range_min[NS_PSAMP_MAX_RANGES], range_max[NS_PSAMP_MAX_RANGES];
    uint8_t digest_output;
    char name[256];
    /* statistics of a parallel measurement process (mp/mp.h): reports
     * selected but left out under the report budget (netsift PEN) */
    uint64_t dropped;
};

/* What a template's records are (enum ns_psamp_kind), 0 when not PSAMP:
 * the rule above, shared with the collector (which keeps PSAMP whole). */
int ns_psamp_template_kind(const struct ns_tmpl *t);

struct ns_psamp_reader_stats {
    uint64_t messages, reports, options, skipped_records, skipped_sets;
};

struct ns_psamp_reader;

int ns_psamp_reader_open(struct ns_psamp_reader **r, const char *path /* "-": stdin */,
                         struct ns_error *err);
/* A reader fed whole messages (a collector, the fuzz target): new, then
 * ns_psamp_reader_message per message and ns_psamp_reader_next until it
 * returns 0 (the message is done). */
int ns_psamp_reader_new(struct ns_psamp_reader **r, struct ns_error *err);
int ns_psamp_reader_message(struct ns_psamp_reader *r, const uint8_t *msg, size_t len,
                            struct ns_error *err);
/* 1: *it is the next item; 0: end; <0: error (after every complete one). */
int ns_psamp_reader_next(struct ns_psamp_reader *r, struct ns_psamp_item *it, struct ns_error *err);
void ns_psamp_reader_stats(const struct ns_psamp_reader *r, struct ns_psamp_reader_stats *st);
void ns_psamp_reader_close(struct ns_psamp_reader *r);

/* ---- estimation ---- */

#define NS_PSAMP_EST_MAX 64

struct ns_psamp_seq_est {
    uint32_t obs_domain;
    uint64_t ssid;
    int sequenced; /* reports carry input sequence numbers */
    uint64_t n;    /* reports */
    uint64_t s_first, s_last;
    double bytes, bytes_sq; /* B and Σx² */
    /* from the last statistics record, when one was seen */
    int has_stats;
    uint64_t stat_observed, stat_selected;
    int has_dropped; /* ... and it said how many reports were left out (mp/mp.h) */
    uint64_t stat_dropped;
    /* results (ns_psamp_est_finish) */
    double R, packets, packets_se, octets, octets_se;
};

struct ns_psamp_est {
    size_t n;
    struct ns_psamp_seq_est s[NS_PSAMP_EST_MAX];
    uint64_t overflow; /* reports of sequences beyond the table */
};

void ns_psamp_est_init(struct ns_psamp_est *e);
void ns_psamp_est_add(struct ns_psamp_est *e, const struct ns_psamp_item *it);
void ns_psamp_est_finish(struct ns_psamp_est *e);

#endif
