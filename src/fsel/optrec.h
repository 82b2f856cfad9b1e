/*
 * optrec.h — the statistics of the metering and exporting processes as
 * IPFIX options records, and the collector-side check of what they say.
 *
 * Design
 * ------
 * Four options templates, all of fixed-length fields (RFC 7011 §3.4.2.2),
 * sent together at the end of a run and every so often before
 * (probe/probe.c):
 *
 *  0xFF10  Metering Process Statistics (RFC 7011 §4.1): scope
 *          meteringProcessId; observedFlowTotalCount, ignoredPacketTotal-
 *          Count, ignoredOctetTotalCount, and the window they cover as two
 *          observationTimeNanoseconds (first, then last packet observed).
 *  0xFF11  Metering Process Reliability Statistics (RFC 7011 §4.2): scope
 *          meteringProcessId; ignoredPacketTotalCount, ignoredOctetTotal-
 *          Count, the time of the first and of the last packet ignored (two
 *          observationTimeNanoseconds, in that order).
 *  0xFF12  Flow selection at the metering process, the counters of
 *          draft-molina-flow-selection-00 §3: flowSelectorAlgorithm, the
 *          cache policy and size, observedFlowTotalCount (flows created),
 *          observed packets/octets, ignoredPacket/OctetTotalCount (IANA
 *          164/165: unmeasured) with first/last, records removed without
 *          export with their packets/octets, first/last packet and first/
 *          last eviction, what the cache holds unexported, and what left in
 *          records.  IANA has no elements for most of these: enterprise
 *          elements (ipfix/ns_ie.h) carry them.
 *  0xFF13  Flow selection at the exporting process (RFC 7014 §8.1): scope
 *          exportingProcessId; flowSelectorAlgorithm, selectorIDTotalFlows-
 *          Observed/Selected (records offered/sent), flowSelectedPacket/
 *          OctetDeltaCount (what was sent, as counted, since the start),
 *          notSentFlow/Packet/OctetTotalCount (IANA 166–168) and the first/
 *          last packet time of what was not sent.
 *  0xFF14  Kernel drops of live capture, one record per observation point
 *          (RFC 7011 §4.2 with a finer scope): scope meteringProcessId and
 *          ingressInterface; ignoredPacketTotalCount (164) = the frames the
 *          kernel dropped for the capture (PACKET_STATISTICS tp_drops, ring
 *          full): §4.2 defines it as packets observed but not processed by
 *          the metering process, which is exactly what a drop before the
 *          ring is; observedPacketTotalCount (enterprise) = tp_packets, the
 *          frames the kernel handled for the capture, drops included;
 *          capturedPacketTotalCount (enterprise) = frames read from the
 *          ring; then the times of the first and the last statistics read
 *          that found new drops (two observationTimeNanoseconds: the drops
 *          happened before, after the read preceding it, at most about half
 *          a second).  No ignoredOctetTotalCount: the kernel counts no
 *          octets for dropped frames.  Kept apart from 0xFF11/0xFF12, whose
 *          ignored counts are the flow selection's (packets the cache
 *          policy did not measure) and whose identities include octets.
 *
 * Reading: ns_fsel_report_add() takes any options record (template and
 * bytes, as the decoder walks it) and keeps the newest values of those it
 * knows, per observation domain and process; counters are totals since
 * the start, so the newest record is the whole story.  ns_fsel_check()
 * then verifies the conservation identities against what the collector
 * counted in the flow records themselves (struct ns_fsel_tally):
 *
 *   observed packets = ignored + evicted + metered + cached   (octets too)
 *   flows created    = evicted + final records metered + cached
 *   metered records  = offered to the exporting process = sent + not sent
 *   sent             = the flow records read (records, packets, octets)
 *   kernel observed  = kernel dropped + captured      (per interface)
 *
 * No allocation; errors only for a record that does not fit.
 */
#ifndef NS_FSEL_OPTREC_H
#define NS_FSEL_OPTREC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fsel/xsel.h"
#include "ipfix/msg.h"
#include "ipfix/tmpl.h"
#include "meter/meter.h"
#include "util/err.h"

#define NS_FSEL_TID_MSTATS 0xFF10u
#define NS_FSEL_TID_MREL   0xFF11u
#define NS_FSEL_TID_METER  0xFF12u
#define NS_FSEL_TID_EXPORT 0xFF13u
#define NS_FSEL_TID_KDROPS 0xFF14u

struct ns_fsel_meter_report {
    uint32_t process_id, cache_size;
    uint16_t algorithm;
    uint8_t policy;
    uint64_t created, obs_pkts, obs_octets;
    uint64_t ign_pkts, ign_octets, ign_first_ns, ign_last_ns;
    uint64_t ev_flows, ev_pkts, ev_octets, ev_first_ns, ev_last_ns, ev_first_event_ns,
        ev_last_event_ns;
    uint64_t cached_flows, cached_pkts, cached_octets;
    uint64_t out_records, out_flows, out_pkts, out_octets;
    uint64_t first_ns, last_ns; /* observation window (§4.1) */
};

struct ns_fsel_export_report {
    uint32_t process_id;
    uint16_t algorithm;
    uint64_t offered, sent, sent_pkts, sent_octets;
    uint64_t not_sent, not_sent_pkts, not_sent_octets, ns_first_ns, ns_last_ns;
};

/* Kernel counters of one observation point (0xFF14). */
struct ns_fsel_iface_report {
    uint32_t process_id, ifindex;
    uint64_t seen, dropped, captured;
    uint64_t first_ns, last_ns; /* statistics reads that found the first/last new drops */
};

/* One options template as a field list, and one of its records. */
struct ns_fsel_opt {
    uint16_t tid, scope_count, n;
    struct ns_field_spec f[32];
    uint8_t rec[256];
};

/* Fill the four options records (ms: with the cache counts filled in;
 * xr NULL when the exporting process selects nothing: no 0xFF13 then,
 * *nout tells how many were filled). */
void ns_fsel_opts_build(const struct ns_fsel_meter_report *ms,
                        const struct ns_fsel_export_report *xr, struct ns_fsel_opt out[4],
                        int *nout);

/* The 0xFF14 record of one interface. */
void ns_fsel_iface_opt_build(const struct ns_fsel_iface_report *r, struct ns_fsel_opt *out);

/* Several workers' metering reports as one: counts added, the earliest
 * first and the latest last time (a zero time is "none"). */
void ns_fsel_meter_report_add(struct ns_fsel_meter_report *t, const struct ns_fsel_meter_report *s);

/* The metering report of a meter now (scans the cache: ns_meter_cached). */
void ns_fsel_meter_report_fill(struct ns_fsel_meter_report *r, const struct ns_meter *m,
                               const struct ns_meter_config *cfg, uint64_t first_ns,
                               uint64_t last_ns);
void ns_fsel_export_report_fill(struct ns_fsel_export_report *r, const struct ns_xsel *x);

/* ---- collector side ---- */

#define NS_FSEL_MAX_PROCS  16
#define NS_FSEL_MAX_IFACES 64

struct ns_fsel_report {
    struct {
        uint32_t domain;
        int have_meter, have_export, have_mrel;
        struct ns_fsel_meter_report m;
        struct ns_fsel_export_report x;
    } p[NS_FSEL_MAX_PROCS];
    int n;
    struct {
        uint32_t domain;
        struct ns_fsel_iface_report k;
    } ifs[NS_FSEL_MAX_IFACES]; /* kernel drops per observation point (0xFF14) */
    int nifs;
    uint64_t unknown; /* options records of other templates */
};

/* What the collector counted in the flow records. */
struct ns_fsel_tally {
    uint64_t records, final_records, pkts, octets;
};

/* Take one options record (decoder callback). */
void ns_fsel_report_add(struct ns_fsel_report *r, const struct ns_tmpl *t, const uint8_t *rec,
                        size_t len, uint32_t domain);

/* Count one flow record in the tally. */
void ns_fsel_tally_add(struct ns_fsel_tally *t, const struct ns_record *r);

/* Print every identity with both sides to `out`; returns the number that
 * do not hold (0: OK), or -1 when there was no report to check. */
int ns_fsel_check(const struct ns_fsel_report *r, const struct ns_fsel_tally *t, FILE *out);

/* One line per process: what was left out, next to the totals. */
void ns_fsel_print_left_out(const struct ns_fsel_report *r, FILE *out);

#endif
