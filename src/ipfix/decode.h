/*
 * decode.h — message-level IPFIX decoder: messages in, ns_records out.
 *
 * Design
 * ------
 * Glues the message/set codec (msg.h), the template store (tmpl.h) and the
 * record mapping (flowrec.h) for any source of whole messages: the file
 * reader, later the UDP/TCP/SCTP collectors, the fuzz target.  The caller
 * hands in one message at a time (the buffer must stay valid until the
 * next ns_ipfix_dec_message) and pulls records with ns_ipfix_dec_next;
 * template sets are applied to the store as they are met, in message order
 * (RFC 7011 §8: a template precedes the data that uses it).
 *
 * Data sets whose template is unknown are skipped and counted (UDP loses
 * templates; files may start mid-stream), as are data sets of options
 * templates (they describe the exporter, not flows) and reserved set ids
 * 4–255.  Everything else malformed is an error (NS_EFORMAT, NS_ETRUNC)
 * with a message naming the offset in the message; the decoder then drops
 * the rest of that message.
 *
 * Ownership: the decoder owns its template store (ns_ipfix_dec_fini frees
 * it).  No allocation per record; templates allocate when defined.
 */
#ifndef NS_IPFIX_DECODE_H
#define NS_IPFIX_DECODE_H

#include <stdint.h>

#include "ipfix/msg.h"
#include "ipfix/tmpl.h"
#include "record/record.h"
#include "util/err.h"

struct ns_ipfix_stats {
    uint64_t messages;
    uint64_t records;         /* flow records delivered */
    uint64_t skipped_sets;    /* data sets of unknown templates or reserved ids */
    uint64_t skipped_records; /* options records (not flows): walked, validated, counted */
    uint64_t unknown_ies;     /* template fields without a record mapping */
    uint64_t templates;       /* template records applied */
    uint64_t withdrawals;     /* template withdrawal records applied */
    uint64_t expired_sets;    /* data sets whose template outlived tmpl_lifetime */
    uint64_t raw_records;     /* records handed over whole (raw_want) */
};

/* Called with each options record walked (template, its bytes, the
 * message's observation domain): e.g. fsel/optrec.h statistics. */
typedef void (*ns_ipfix_opt_fn)(void *ctx, const struct ns_tmpl *t, const uint8_t *rec, size_t len,
                                uint32_t obs_domain);

struct ns_ipfix_dec {
    struct ns_tmpl_store *store;
    uint32_t session;
    struct ns_msg_hdr hdr; /* of the current message */
    struct ns_set_iter sets;
    struct ns_set set; /* current data set */
    const struct ns_tmpl *t;
    size_t pos; /* in the current data set body */
    int in_set, in_msg;
    uint64_t now;           /* caller's clock (ns_ipfix_dec_set_now) */
    uint64_t tmpl_lifetime; /* UDP template lifetime (RFC 7011 §8.4), 0: none */
    struct ns_ipfix_stats st;
    /* Records the owner wants whole instead of as flow records (a
     * collector passing PSAMP packet reports and their options records
     * through): when raw_want(t) is non-zero for a data set's template,
     * ns_ipfix_dec_next returns 2 for each of its records with t, raw and
     * raw_len set (raw points into the message).  NULL: none.  Asked once
     * per template (cached in it): set it before the first message. */
    int (*raw_want)(const struct ns_tmpl *t);
    int t_raw;   /* raw_want(t) of the current set */
    int t_psamp; /* the current set holds PSAMP packet reports, not flows */
    const uint8_t *raw;
    size_t raw_len;
    /* Whole data sets (a collector copying records through as they are):
     * when set, each data set of a fixed-length flow template (not
     * options, not raw) is first offered as a whole: ns_ipfix_dec_next
     * returns 3 with t and set (body, len) set, before any of its records.
     * The caller then either takes it with ns_ipfix_dec_take_set or calls
     * ns_ipfix_dec_next again to have its records decoded one by one. */
    int whole_sets;
    int offered; /* the current set was offered */
    /* The templates of the last data sets, by id (a netsift file
     * alternates between a few templates, often set by set): emptied
     * whenever a template set adds or withdraws anything, so a pointer here
     * is always one the store still holds. */
    struct {
        const struct ns_tmpl *t;
        uint32_t obs_domain;
    } tcache[16];
    ns_ipfix_opt_fn on_opt; /* NULL: options records are only counted */
    void *opt_ctx;
    struct ns_field_spec fields[NS_TMPL_MAX_FIELDS];
};

/* session: the transport session number of the template scope (0 for a
 * file); max_templates: 0 for NS_TMPL_DEFAULT_MAX. */
int ns_ipfix_dec_init(struct ns_ipfix_dec *d, uint32_t session, size_t max_templates,
                      struct ns_error *err);
void ns_ipfix_dec_fini(struct ns_ipfix_dec *d);
/* Start decoding one message (validated header; len = octets held). */
int ns_ipfix_dec_message(struct ns_ipfix_dec *d, const uint8_t *msg, size_t len,
                         struct ns_error *err);
/* 1: *out holds the next flow record; 2: a raw record (raw_want above);
 * 3: a whole data set offered (whole_sets above); 0: message done; <0: error. */
int ns_ipfix_dec_next(struct ns_ipfix_dec *d, struct ns_record *out, struct ns_error *err);
/* Take the data set just offered (return 3 above) whole: its records are
 * counted as delivered flow records (set length / record length, the
 * rest being padding, RFC 7011 §3.3.1, exactly as record by record) and
 * the decoder moves on to the next set.  Returns the record count. */
size_t ns_ipfix_dec_take_set(struct ns_ipfix_dec *d);
/* Collectors: the clock for template lifetimes.  A data set whose
 * template was last (re)defined more than tmpl_lifetime before `now` is
 * skipped and counted as expired (RFC 7011 §8.4: a UDP template not
 * refreshed within its lifetime is no longer valid). */
void ns_ipfix_dec_set_now(struct ns_ipfix_dec *d, uint64_t now);
/* Header of the current message (observation domain, export time, seq). */
const struct ns_msg_hdr *ns_ipfix_dec_header(const struct ns_ipfix_dec *d);

#endif
