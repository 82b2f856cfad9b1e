/*
 * msgbuild.h — the IPFIX message builder: ns_records in, whole IPFIX
 * messages out, for every producer of IPFIX (files, network export,
 * the collector's storage).
 *
 * Design
 * ------
 * One builder is one IPFIX stream of one observation domain: it owns a
 * record encoder (flowrec.h, templates created on first use), the message
 * in formation (at most max_msg octets: 65535 for files, the path MTU less
 * the IP and UDP headers for UDP export) and the sequence number (RFC 7011
 * §3.1: data records, options records included, sent before the message,
 * mod 2^32).  Each finished message is handed to the caller's emit
 * callback, which writes it to a file, a socket or a buffer; the bytes may
 * be patched there (export time) and are not kept after emit returns.
 *
 * A template is written in the message that first uses it, before its data
 * set (RFC 7011 §8); when template and first record do not fit one empty
 * message (small MTU), the template goes alone first.  ns_msgb_forget()
 * marks every template unannounced (new transport session, lost message)
 * so each is written again before its next use; ns_msgb_templates() writes
 * them all now (UDP template refresh, RFC 7011 §8.4 / §10.3.6).  Options
 * templates registered with ns_msgb_opt_register() (statistics, exporter
 * identity) follow the same rules.
 *
 * Export time: by default the end time in seconds of the newest record in
 * the message (0 if none), which keeps files reproducible (file.h);
 * network exporters overwrite it with the wall clock in their emit
 * callback (ns_msgb_put_export_time).
 *
 * Errors: emit errors are returned as they are; nothing is retried here.
 * Ownership: new allocates (the message buffer of max_msg octets and the
 * encoder), free releases; nothing allocates per record.
 */
#ifndef NS_IPFIX_MSGBUILD_H
#define NS_IPFIX_MSGBUILD_H

#include <stddef.h>
#include <stdint.h>

#include "ipfix/msg.h"
#include "record/record.h"
#include "util/err.h"

struct ns_flowrec_enc;
struct ns_flowrec_tmpl;

#define NS_MSGB_MIN_MSG  512
#define NS_MSGB_MAX_OPTS 32

/* A finished message of len octets holding nrec data records (options
 * records included), nflow of them flow records.  msg may be modified by
 * the callee. */
typedef int (*ns_msgb_emit_fn)(void *ctx, uint8_t *msg, size_t len, uint32_t nrec, uint32_t nflow,
                               struct ns_error *err);

struct ns_msgb_opts {
    uint32_t obs_domain;
    size_t max_msg;  /* 0: 65535; at least NS_MSGB_MIN_MSG */
    int one_per_msg; /* every data record in a message of its own */
};

struct ns_msgb;

int ns_msgb_new(struct ns_msgb **b, const struct ns_msgb_opts *o, ns_msgb_emit_fn emit, void *ctx,
                struct ns_error *err);
void ns_msgb_free(struct ns_msgb *b);

/* Write the RFC 5610 type records (typeinfo.h) in messages of their own
 * (the open message is finished first). */
int ns_msgb_typeinfo(struct ns_msgb *b, struct ns_error *err);
/* Add one flow record (may emit the previous message when full). */
int ns_msgb_add(struct ns_msgb *b, const struct ns_record *r, struct ns_error *err);
/* Add n flow records of the builder's encoder template t that are
 * already encoded (t->rec_len octets each, back to back at recs, as
 * ns_flowrec_encode writes them: a collector copying an exporter's
 * records through, flowrec.h ns_flowrec_copy_plan).  The messages are
 * the ones ns_msgb_add would make record by record: the same template
 * announcements, set boundaries, export times and sequence numbers. */
int ns_msgb_add_encoded(struct ns_msgb *b, struct ns_flowrec_tmpl *t, const uint8_t *recs, size_t n,
                        struct ns_error *err);
/* The builder's record encoder (for ns_flowrec_copy_plan). */
struct ns_flowrec_enc *ns_msgb_encoder(struct ns_msgb *b);
/* Finish and emit the message in formation, if any. */
int ns_msgb_flush(struct ns_msgb *b, struct ns_error *err);
/* Every template unannounced: each is written again before its next use. */
void ns_msgb_forget(struct ns_msgb *b);
/* Finish the open message, then write every template created so far (flow
 * and registered options templates) in template-only messages. */
int ns_msgb_templates(struct ns_msgb *b, struct ns_error *err);

/* Register an options template (tid ≥ 256 outside the flow record range,
 * e.g. 0xFF01..) whose records are `rec_len` octets of fixed fields.
 * Returns its index for ns_msgb_opt_add, or NS_EFULL / NS_EINVAL. */
int ns_msgb_opt_register(struct ns_msgb *b, uint16_t tid, uint16_t scope_count,
                         const struct ns_field_spec *f, uint16_t n, struct ns_error *err);
/* Add one options record of the registered template `idx` (rec: its
 * rec_len octets, already encoded). */
int ns_msgb_opt_add(struct ns_msgb *b, int idx, const uint8_t *rec, struct ns_error *err);

/* Raw templates: a template (scope_count 0) or an options template whose
 * records the caller encodes itself — PSAMP packet reports and their
 * interpretation (report/report.h), records passed through by a collector.
 * Variable-length fields are allowed (at most 64 fields).  Registered
 * templates are announced, forgotten and refreshed like the flow templates
 * above.  Returns the index for ns_msgb_raw_add, NS_EFULL or NS_EINVAL. */
int ns_msgb_raw_register(struct ns_msgb *b, uint16_t tid, uint16_t scope_count,
                         const struct ns_field_spec *f, uint16_t n, struct ns_error *err);
/* Add one record of `len` encoded octets (variable-length fields with
 * their length headers, RFC 7011 §7) of the registered template `idx`;
 * time_s (seconds, 0: none) moves the message's export time forward as a
 * flow record's end does.  With one_per_msg a (non-options) record goes
 * in a message of its own. */
int ns_msgb_raw_add(struct ns_msgb *b, int idx, const uint8_t *rec, size_t len, uint32_t time_s,
                    struct ns_error *err);

/* 1 when the registered template idx is an options template. */
int ns_msgb_raw_options(const struct ns_msgb *b, int idx);
/* Index of the registered options template `tid`, or -1. */
int ns_msgb_opt_find(const struct ns_msgb *b, uint16_t tid);
/* Register `tid` on first use (f, n, scope_count; at most 32 fields),
 * then add the options record `rec`: for producers that send a few
 * records of several templates (flow selection counters, fsel/). */
int ns_msgb_opt(struct ns_msgb *b, uint16_t tid, uint16_t scope_count,
                const struct ns_field_spec *f, uint16_t n, const uint8_t *rec,
                struct ns_error *err);

/* Data records in the message in formation (0: none open). */
uint32_t ns_msgb_pending(const struct ns_msgb *b);
/* Sequence number of the next message. */
uint32_t ns_msgb_seq(const struct ns_msgb *b);
/* Templates (flow) created so far. */
size_t ns_msgb_template_count(const struct ns_msgb *b);

/* Overwrite the export time of a finished message (for emit callbacks). */
void ns_msgb_put_export_time(uint8_t *msg, uint32_t export_time);

#endif
