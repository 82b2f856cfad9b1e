/*
 * report.h — the PSAMP reporting process (RFC 5474 §5.4, RFC 5476 §6):
 * packets a selection chain selected in, packet reports and the options
 * records that say how to read them out, as IPFIX.
 *
 * Design
 * ------
 * One reporting process (struct ns_report) serves one selection sequence:
 * one chain (select/select.h) at one observation point, named by its
 * selectionSequenceId.  It writes to any number of outputs — an IPFIX file
 * (ipfix/file.h) and/or an exporter (export/export.h) — through a small
 * vtable (struct ns_report_out) over the message builder's "raw
 * templates" (ipfix/msgbuild.h): the reporting process encodes its
 * records itself, the builder packs them into messages, announces and
 * refreshes the templates and numbers the messages.
 *
 * Several chains (`probe --mp`, mp/mp.h): each chain gets a reporting
 * process of its own with its own selectionSequenceId and its own template
 * id block (tid_base), all writing into the same outputs; nothing here is
 * global, and the outputs only ever see whole records (which is what lets
 * mp.h hold a period's reports behind a budget).
 *
 * Packet reports (RFC 5476 §6.4): one data record per selected packet,
 * with the fields the operator chose (ns_report_parse_fields):
 *   selectionSequenceId                            always
 *   seq       per selector in chain order: selectorId and its input
 *             sequence number (selectorIdTotalPktsObserved, counting the
 *             packet: RFC 5476 §6.5.1, select.h), then the last selector's
 *             selectorIdTotalPktsSelected — what R = (n-1)/(s_n - s_1)
 *             (RFC 5474 §5.3) is computed from
 *   selector  the selectorId of the last selector (the one that selected)
 *   time      observationTimeMicroseconds;  timens: ...Nanoseconds
 *   digest    digestHashValue: the last hash selector's value, so reports
 *             of the same packet at several points can be matched
 *             (trajectory sampling, RFC 5474 §11.2); needs a hash selector
 *   addr ports proto len ttl ipid tos tcpflags framelen iface: header
 *             fields (source/destinationIPv4|6Address, source/
 *             destinationTransportPort, protocolIdentifier, ipTotalLength,
 *             ipTTL, fragmentIdentification, ipClassOfService,
 *             tcpControlBits, dataLinkFrameSize, ingressInterface)
 *   ipsection=N / l2section=N   ipHeaderPacketSection / dataLinkFrameSection:
 *             the first N captured octets from the IP header / the frame
 *             (fewer when fewer were captured), variable length (RFC 7011
 *             §7), with sectionOffset (0) and sectionExportedOctets
 * Because address fields differ between IPv4 and IPv6, there are three
 * report templates: IPv4, IPv6 and "no IP" (header fields left out).
 *
 * Report interpretation (RFC 5476 §6.5, RFC 5477 §8), options records:
 *   Selection Sequence Report Interpretation: scope selectionSequenceId;
 *     the selectorIds in chain order.
 *   Selector Report Interpretation, one per selector: scope selectorId;
 *     selectorAlgorithm (IANA registry; 0 where it has none: size and
 *     keyed-hash selection), the algorithm's parameters —
 *     samplingPacketInterval/Space (count), samplingTimeInterval/Space
 *     (time, µs), samplingSize/Population (n-of-N), samplingProbability
 *     (random), hashIPPayloadOffset/Size, hashInitialiserValue,
 *     hashOutputRangeMin/Max, hashSelectedRangeMin/Max (one pair per
 *     range), hashDigestOutput (hash), ingressInterface (iface) — and
 *     selectorName, the selector in --select syntax.  A keyed hash's key
 *     is NEVER exported: it is what keeps the selection robust (RFC 5474
 *     §5.2, §12.2); its name says "key=(given)" or "(random)".
 *     (hashFlowDomain, IE 400, belongs to flow selection, RFC 7014, and
 *     is not used here.)
 *   Selection Sequence Statistics Report Interpretation: scope
 *     selectionSequenceId; per selector selectorId,
 *     selectorIdTotalPktsObserved, selectorIdTotalPktsSelected; and
 *     observationTimeMilliseconds (packet time).
 * They are written before the first report, every interp_ns of
 * packet time, and at the end (ns_report_finish), so a stream read from
 * any point, or a file cut anywhere, says how its reports were made.
 * Packet time, not the wall clock, so a file from a capture is the same
 * every run.
 *
 * Sampled flows: when the flow meter consumes the selected stream instead
 * (probe --select without --report), a report with fields 0 writes only
 * the interpretation into the flow stream — the configuration at the
 * start, configuration and statistics at the end — in the observation
 * domain of the flow records, which carry samplingProbability
 * (ns_sel_chain_fraction) for renormalisation (analysis/estimate.h).
 *
 * Hot path: ns_report_packet() encodes into a buffer inside the struct and
 * hands it to the outputs; nothing is allocated per packet.
 *
 * Errors: build-time problems (unknown field, digest without a hash
 * selector, too many templates) are NS_EINVAL with a message; per packet
 * only the outputs' errors (a failed write) are returned.  Ownership: new
 * allocates, free releases; the chain and outputs are the caller's and
 * must outlive the report.  Not thread-safe: one report per chain.
 */
#ifndef NS_REPORT_REPORT_H
#define NS_REPORT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ipfix/msg.h"
#include "pkt/pkt.h"
#include "select/select.h"
#include "util/err.h"

struct ns_ipfix_writer;
struct ns_exporter;

/* Report fields (ns_report_config.fields) */
#define NS_RF_SEQ       0x00001u
#define NS_RF_SELECTOR  0x00002u
#define NS_RF_TIME_US   0x00004u
#define NS_RF_TIME_NS   0x00008u
#define NS_RF_DIGEST    0x00010u
#define NS_RF_ADDR      0x00020u
#define NS_RF_PORTS     0x00040u
#define NS_RF_PROTO     0x00080u
#define NS_RF_LEN       0x00100u
#define NS_RF_TTL       0x00200u
#define NS_RF_IPID      0x00400u
#define NS_RF_TOS       0x00800u
#define NS_RF_TCPFLAGS  0x01000u
#define NS_RF_FRAMELEN  0x02000u
#define NS_RF_IFACE     0x04000u
#define NS_RF_IPSECTION 0x08000u
#define NS_RF_L2SECTION 0x10000u

#define NS_REPORT_DEFAULT_FIELDS "seq,time,addr,ports,proto,len,ipsection=64"
#define NS_REPORT_MAX_SECTION    1024 /* octets of a packet section */
#define NS_REPORT_TID_BASE       0xF000u

/* Template ids, offsets from tid_base */
#define NS_REPORT_TID_V4    0x10u /* packet report, IPv4 */
#define NS_REPORT_TID_V6    0x11u /* packet report, IPv6 */
#define NS_REPORT_TID_NOIP  0x12u /* packet report, no IP header */
#define NS_REPORT_TID_SEQ   0x20u /* Selection Sequence Report Interpretation */
#define NS_REPORT_TID_STATS 0x21u /* Selection Sequence Statistics */
#define NS_REPORT_TID_SEL   0x30u /* + i: Selector Report Interpretation of selector i */

struct ns_report_config {
    uint32_t fields;        /* NS_RF_*; 0: interpretation only (sampled flows, below) */
    uint32_t section_bytes; /* with NS_RF_IPSECTION or NS_RF_L2SECTION */
    uint64_t ssid;          /* selectionSequenceId (0: 1) */
    uint64_t interp_ns;     /* interpretation + statistics every interp_ns of packet
                               time (0: only at start and end) */
    uint16_t tid_base;      /* first template id (0: NS_REPORT_TID_BASE) */
    /* Parallel measurement processes (mp/mp.h): when set, the statistics
     * records also carry *dropped, the reports this sequence selected but
     * left out under contention (droppedPacketReportTotalCount, netsift
     * PEN); the caller owns the counter. */
    const uint64_t *dropped;
};

void ns_report_config_default(struct ns_report_config *c);
/* "seq,time,addr,ipsection=64" (or "default", "default,digest") into c. */
int ns_report_parse_fields(const char *spec, struct ns_report_config *c, struct ns_error *err);

/* Where records go: register a template (tid, scope_count, fields) and
 * get an index; add one encoded record of that template. */
struct ns_report_out {
    int (*reg)(void *ctx, uint16_t tid, uint16_t scope_count, const struct ns_field_spec *f,
               uint16_t n, struct ns_error *err);
    int (*add)(void *ctx, int idx, const uint8_t *rec, size_t len, uint32_t time_s,
               struct ns_error *err);
    void *ctx;
};
void ns_report_out_writer(struct ns_report_out *o, struct ns_ipfix_writer *w);
void ns_report_out_exporter(struct ns_report_out *o, struct ns_exporter *x);

#define NS_REPORT_MAX_OUTS 4

struct ns_report;

/* Register the templates on every output (records follow with the first
 * packet, or at ns_report_finish). */
int ns_report_new(struct ns_report **r, const struct ns_report_config *c,
                  const struct ns_sel_chain *chain, const struct ns_report_out *outs, size_t nouts,
                  struct ns_error *err);
/* One selected packet (v: its verdict from ns_sel_chain_run).  Decodes p
 * when a header field needs it and *decoded is 0. */
int ns_report_packet(struct ns_report *r, struct ns_pkt *p, const uint8_t *frame, int linktype,
                     int *decoded, const struct ns_sel_verdict *v, struct ns_error *err);
/* Interpretation and statistics now (at packet time now_ns). */
int ns_report_interpretation(struct ns_report *r, uint64_t now_ns, struct ns_error *err);
/* The configuration records only (sequence and selector interpretation),
 * e.g. at the start of a stream before any packet was seen. */
int ns_report_configuration(struct ns_report *r, uint32_t time_s, struct ns_error *err);
/* The last statistics (call once at the end). */
int ns_report_finish(struct ns_report *r, struct ns_error *err);
void ns_report_free(struct ns_report *r);

struct ns_report_stats {
    uint64_t reports;        /* packet reports written */
    uint64_t options;        /* interpretation and statistics records written */
    uint64_t truncated_sect; /* reports whose section is shorter than asked */
};
void ns_report_get_stats(const struct ns_report *r, struct ns_report_stats *st);

/* ---- the offline driver: capture files → chain → reporting process ---- */

struct ns_report_run_config {
    const char *const *inputs;
    size_t ninputs;
    const char *bpf;
    struct ns_sel_chain *chain; /* required */
    struct ns_report *report;   /* required */
    void (*warn)(void *ctx, const char *msg);
    void *ctx;
};
struct ns_report_run_stats {
    uint64_t packets;  /* packets read (after the capture filter) */
    uint64_t filtered; /* rejected by the capture filter */
    uint64_t selected;
};
/* Read every input through the chain into the report; ns_report_finish
 * at the end.  NS_ETRUNC when an input was damaged (everything complete
 * was still reported). */
int ns_report_run(const struct ns_report_run_config *c, struct ns_report_run_stats *st,
                  struct ns_error *err);

#endif
