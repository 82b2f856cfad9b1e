/*
 * xsel.h — flow selection at export (RFC 7014 Intermediate Flow Selection
 * Process in the exporting process): which flow records leave, and an
 * exact account of those that do not.
 *
 * Design
 * ------
 * One selector per exporting process, given every record the meter emits
 * (status records too: each record is a unit of selection).  x below is
 * the record's octets, both directions (octetDeltaCount + reverse).
 *
 *  - threshold:OCTETS  — only records with x >= OCTETS leave ("property
 *    match" on the volume, RFC 7014 §6.1; nothing to renormalise);
 *  - smart:Z           — smart (threshold) sampling, Duffield, Lund &
 *    Thorup, "Learn more, sample less" (2001): a record leaves with
 *    probability p = min(1, x/Z).  It then carries p as its sampling
 *    probability (NS_RG_SAMP, IE samplingProbability, multiplied into a
 *    packet-sampling fraction already there), so the Horvitz–Thompson
 *    estimate x/p = max(x, Z) of `aggregate --estimate` is unbiased, with
 *    variance estimated by the sum of Z·(Z − x) over the records with
 *    x < Z (fsel/optrec.h does not need it; tests compute it);
 *  - match:FILTER      — RFC 7014 §6.1 property match filtering with a
 *    netsift-filter(7) expression over the record;
 *  - hash:FN,frac=F[,init=N] — RFC 7014 §6.2.2 hash-based flow filtering:
 *    FN (bob, ipsx, crc, select/hash.h) over the flow key (IP version,
 *    protocol, initiator and responder address, ports) keeps the records
 *    whose hash falls in the lowest F of the range: the same flows at
 *    every observation point using the same function and init.
 *
 * Counters (RFC 7014 §8.1 / draft-molina-flow-selection-00 §3.3): records
 * offered and sent with their packets and octets as counted, records not
 * sent with their packets, octets and first/last packet time.  offered =
 * sent + not sent holds exactly for records, packets and octets.
 *
 * The per-record work is the decision only; nothing is allocated after
 * new().  Errors: new returns NS_EINVAL with a message on a bad spec,
 * NS_ENOMEM.  Not thread-safe.
 */
#ifndef NS_FSEL_XSEL_H
#define NS_FSEL_XSEL_H

#include <stdint.h>

#include "record/record.h"
#include "util/err.h"

enum ns_xsel_kind { NS_XSEL_THRESHOLD = 1, NS_XSEL_SMART, NS_XSEL_MATCH, NS_XSEL_HASH };

struct ns_xsel_counters {
    uint64_t offered, offered_pkts, offered_octets;
    uint64_t sent, sent_pkts, sent_octets;
    uint64_t not_sent, not_sent_pkts, not_sent_octets;
    uint64_t ns_first_ns, ns_last_ns; /* first/last packet of a record not sent */
};

struct ns_xsel;

int ns_xsel_new(struct ns_xsel **x, const char *spec, uint64_t seed, struct ns_error *err);
void ns_xsel_free(struct ns_xsel *x);

/* 1: send *out (rec itself, or tmp holding rec with its inclusion
 * probability); 0: not sent (counted). */
int ns_xsel_offer(struct ns_xsel *x, const struct ns_record *rec, struct ns_record *tmp,
                  const struct ns_record **out);

void ns_xsel_get_counters(const struct ns_xsel *x, struct ns_xsel_counters *c);
enum ns_xsel_kind ns_xsel_kind(const struct ns_xsel *x);
/* IANA flowSelectorAlgorithm (IE 390, RFC 7014 §10.1 registry). */
uint16_t ns_xsel_algorithm(const struct ns_xsel *x);
/* The spec as given, for reports. */
const char *ns_xsel_spec(const struct ns_xsel *x);

#endif
