/*
 * flowrec.h — mapping between struct ns_record and IPFIX data records.
 *
 * Design
 * ------
 * One table (flowrec_map.c) lists every IPFIX field netsift writes, with its
 * record group, the condition under which it appears (IPv4 vs IPv6, ports
 * vs ICMP type/code, VLAN), its wire length and the record field it comes
 * from.  Per-direction fields appear twice: direction 0 with the forward
 * element, direction 1 with its RFC 5103 reverse (IANA → PEN 29305 same id,
 * netsift enterprise → id | 0x4000).  IANA elements are used wherever they
 * exist; the rest are netsift's enterprise elements (ns_ie.h).
 *
 * Encoding: a record's combination of (present groups, IPv4/IPv6,
 * ICMP/ports, VLAN) selects a template, created on first use with the next
 * id from 256 upward, so records carry only the groups they have.  A
 * template is an array of prepared steps; encoding a record walks it into a
 * caller buffer without allocating.
 *
 * Decoding: ns_flowrec_resolve() is the resolver of the template store
 * (tmpl.h): it maps a field to an action (store N big-endian octets into
 * that record field, convert that timestamp, ...).  It accepts any
 * exporter's template: the table above plus decode-only elements with the
 * same meaning (packetTotalCount, octetTotalCount, flowStart/End Seconds,
 * Milliseconds, Microseconds and DeltaMicroseconds, icmpType/Code, ipVersion,
 * dot1qVlanId), reduced-size unsigned and signed integers (RFC 7011 §6.2)
 * and float32 for float64.  Fields with no mapping, or with a length that
 * does not fit their meaning, are skipped and counted (ns_tmpl.unknown).
 * When a template has both a delta and a total counter, or two time
 * resolutions, the delta counter and the finer time win.
 *
 * Errors: ns_flowrec_enc_template fails with NS_EINVAL on a record whose
 * key group has no valid ip_version, NS_ENOMEM/NS_EFULL when templates
 * cannot be allocated.  ns_flowrec_decode fails with NS_EFORMAT when a
 * variable-length field overruns the data.
 */
#ifndef NS_IPFIX_FLOWREC_H
#define NS_IPFIX_FLOWREC_H

#include <stddef.h>
#include <stdint.h>

#include "ipfix/msg.h"
#include "ipfix/tmpl.h"
#include "record/record.h"
#include "util/err.h"

#define NS_FR_MAX_FIELDS 96

struct ns_fr_desc; /* flowrec_map.h */

struct ns_fr_step {
    const struct ns_fr_desc *d;
    uint16_t off; /* record field offset (dir[1] applied) */
    uint8_t eop;  /* encoding, specialised at template build (flowrec_enc.c) */
    uint8_t len;  /* wire length (fixed: ≤ 16) */
};

/* One encoding template, owned by the encoder. */
struct ns_flowrec_tmpl {
    uint16_t tid;
    uint16_t nfields;
    uint16_t rec_len;   /* octets of every data record (all fields fixed) */
    uint8_t announced;  /* free for the exporter: template already sent */
    uint32_t key;       /* combination key */
    int16_t end_off[2]; /* wire offsets of the flow end times (flowEndNanoseconds,
                           forward and reverse), -1: absent */
    struct ns_field_spec fields[NS_FR_MAX_FIELDS];
    struct ns_fr_step steps[NS_FR_MAX_FIELDS];
};

struct ns_flowrec_enc;

int ns_flowrec_enc_new(struct ns_flowrec_enc **e, struct ns_error *err);
void ns_flowrec_enc_free(struct ns_flowrec_enc *e);
/* The template for r (created on first use of its combination). */
int ns_flowrec_enc_template(struct ns_flowrec_enc *e, const struct ns_record *r,
                            struct ns_flowrec_tmpl **t, struct ns_error *err);
/* Number of templates created so far and the i-th (tid 256 + i). */
size_t ns_flowrec_enc_count(const struct ns_flowrec_enc *e);
struct ns_flowrec_tmpl *ns_flowrec_enc_at(struct ns_flowrec_enc *e, size_t i);
/* Write r with t (from ns_flowrec_enc_template(r)): exactly t->rec_len
 * octets at dst. */
void ns_flowrec_encode(const struct ns_flowrec_tmpl *t, const struct ns_record *r, uint8_t *dst);

/* Copy-through (a collector storing another exporter's records as they
 * are, collect/collect.c).  A record of exporter template t can be copied
 * into a data set of encoder template e when decoding it and encoding the
 * result again would give the same record back: t's fields are e's
 * exactly (same elements, lengths and order: every conversion netsift
 * writes round-trips, ns → NTP → ns included), and the record selects e,
 * i.e. its combination is e's.  The combination of a record of such a t
 * depends on its bytes only through the protocol (ICMP or ports) and the
 * VLAN id (0: untagged, no vlanId field); those are checked per record.
 * Templates of aggregates and sampled records (wildcards, prefixes,
 * sampling fractions that decide the groups) are not planned. */
struct ns_flowrec_copy {
    struct ns_flowrec_tmpl *e;
    int proto_off;      /* wire offset of protocolIdentifier, -1: no key group */
    int vlan_off;       /* of vlanId, -1: none (then every record is untagged) */
    uint8_t icmp_proto; /* 1 or 58 (IPv6) */
    uint8_t want_icmp;  /* e carries icmpTypeCode: every record must be ICMP */
};
/* Plan copying the records of t, whose first record decoded is r.
 * 1: *plan is ready; 0: no copy (decode and encode instead); <0: the
 * encoder's error for r (as ns_flowrec_enc_template). */
int ns_flowrec_copy_plan(struct ns_flowrec_enc *e, const struct ns_tmpl *t,
                         const struct ns_record *r, struct ns_flowrec_copy *plan,
                         struct ns_error *err);
/* 1 when each of the n records of plan's t at recs (t->min_len octets
 * each) selects plan->e, 0 when one does not. */
int ns_flowrec_copy_check(const struct ns_flowrec_copy *plan, const uint8_t *recs, size_t n,
                          size_t rec_len);
/* End time (s) of an encoded record of t, as ns_record_end_ns of it decoded. */
uint64_t ns_flowrec_end_s(const struct ns_flowrec_tmpl *t, const uint8_t *rec);

/* Template-store resolver (ctx unused). */
struct ns_tmpl_action ns_flowrec_resolve(void *ctx, const struct ns_field_spec *f);
/* The template store's prepare hook (tmpl.h ns_tmpl_store_set_prepare):
 * each fixed template also compiled into runs of one conversion each, used
 * by ns_flowrec_decode when that gives the plan walk's result (see
 * flowrec_dec.c).  ns_flowrec_prog_size: the room it needs. */
size_t ns_flowrec_prog_size(uint16_t nfields);
void ns_flowrec_prepare(void *ctx, const struct ns_tmpl *t);
/* Does t decode by its program (tests, statistics)? */
int ns_flowrec_prog_ok(const struct ns_tmpl *t);
/* Decode one data record at p (avail octets) with the compiled template t
 * into *out; *used gets its length.  export_time (message header) anchors
 * flowStart/EndDeltaMicroseconds. */
int ns_flowrec_decode(const struct ns_tmpl *t, const uint8_t *p, size_t avail, uint32_t export_time,
                      struct ns_record *out, size_t *used, struct ns_error *err);

#endif
