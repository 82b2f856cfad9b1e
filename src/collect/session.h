/*
 * session.h — the collecting process's protocol state for one transport
 * session (a TCP connection, or the datagrams of one UDP exporter
 * address:port): templates, sequence numbers, counters.  No sockets here,
 * so unit tests and the fuzz target drive it with bytes.
 *
 * Design
 * ------
 * Templates are scoped per transport session and observation domain
 * (RFC 7011 §8): each session owns an IPFIX decoder (ipfix/decode.h) whose
 * template store is bounded by max_templates and max_fields, so a
 * template flood from one exporter costs at most that exporter's budget.
 * Withdrawals (§8.1) and options templates are handled by the decoder;
 * options records are validated and counted, not stored — except PSAMP
 * packet reports and their interpretation (report/reader.h), which are
 * not flows and go whole to the handler's raw callback.  On UDP a
 * template not refreshed within tmpl_lifetime is no longer used (§8.4):
 * its data sets are skipped and counted as expired.
 *
 * Sequence numbers (§3.1) are tracked per (session, domain): the next
 * message should carry the previous one's number plus its data records.
 * A forward jump is a gap: its size is added to lost_records and logged
 * (up to 2^28 records; a larger jump is taken as a restart).
 * A backward jump within 64 Ki records on UDP is a late (reordered or
 * duplicated) datagram; any other backward jump is an exporter restart
 * (reset): logged, counted, and the new number taken as the base.  When a
 * message holds data sets that cannot be decoded (unknown template) its
 * record count is unknown, and the next message sets a new base.
 * Some exporters (softflowd 1.x) put in each message the count of records
 * sent *including* that message's own; the first messages whose record
 * counts differ tell the two rules apart, the domain is checked by the
 * rule its exporter follows, and the non-standard one is logged once.
 *
 * Bad input — wrong version, a length beyond the bytes held, a set or
 * template that overruns its container — drops the rest of that message
 * and is counted as malformed; records decoded before the fault stand.
 * Domains per session are bounded (max_domains); messages of further
 * domains are dropped and counted.
 *
 * Ownership: init allocates the store and the domain table, fini frees;
 * processing a message allocates only when a template is defined.
 */
#ifndef NS_COLLECT_SESSION_H
#define NS_COLLECT_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "ipfix/decode.h"
#include "record/record.h"
#include "util/err.h"

struct ns_coll_limits {
    size_t max_templates;      /* per session (0: 256) */
    size_t max_fields;         /* over all templates of a session (0: 16384) */
    size_t max_domains;        /* per session (0: 16) */
    uint64_t tmpl_lifetime_ns; /* UDP sessions (0: templates never expire) */
};

struct ns_coll_stats {
    uint64_t messages, octets;
    uint64_t records;         /* flow records delivered */
    uint64_t options_records; /* options records (validated, not stored) */
    uint64_t psamp_records;   /* PSAMP reports and options records, passed through */
    uint64_t malformed;       /* messages (or their rest) dropped as malformed */
    uint64_t tmpl_refused;    /* template definitions over the limits */
    uint64_t domain_refused;  /* messages of domains over max_domains */
    uint64_t unknown_sets;    /* data sets of templates not (or no longer) known */
    uint64_t expired_sets;    /* of them, templates past their UDP lifetime */
    uint64_t templates, withdrawals;
    uint64_t lost_records; /* sum of the sequence gaps */
    uint64_t gaps, resets, late;
    uint64_t copied; /* of records, those stored as they came (handler set) */
};

struct ns_coll_domain {
    uint32_t id;
    uint32_t prev_seq; /* of the last message */
    uint32_t prev_n;   /* data records in it */
    int valid;         /* prev_* known and countable */
    int mode;          /* 0 unknown, 1 RFC 7011, 2 counts its own message too */
    uint64_t stream;   /* the owner's: e.g. an output stream id (0: none yet) */
    void *user;        /* the owner's */
};

struct ns_coll_session {
    uint32_t id;
    int datagram;
    struct ns_coll_limits lim;
    struct ns_ipfix_dec dec;
    struct ns_coll_domain *dom;
    size_t ndom;
    struct ns_coll_stats st;
};

struct ns_coll_handler {
    /* One flow record of domain d; an error stops the message (counted
     * by the caller, not as malformed). */
    int (*record)(void *ctx, struct ns_coll_session *s, struct ns_coll_domain *d,
                  const struct ns_record *r, struct ns_error *err);
    /* A line worth logging (gap, reset, malformed input). */
    void (*log)(void *ctx, struct ns_coll_session *s, const char *msg);
    void *ctx;
    /* One PSAMP record (packet report or report interpretation, see
     * report/reader.h) of template t, len octets at rec, to be kept whole;
     * NULL: not kept (counted all the same). */
    int (*raw)(void *ctx, struct ns_coll_session *s, struct ns_coll_domain *d,
               const struct ns_tmpl *t, const uint8_t *rec, size_t len, struct ns_error *err);
    /* A whole data set of the fixed-length flow template t: n records of
     * t->min_len octets at recs (its padding left out), offered before
     * any of them is decoded so that a store can copy them as they are.
     * Returns 1 when it took them all (they count as delivered records,
     * exactly as if record had taken them one by one), 0 to have them
     * decoded and handed to record one by one, <0 an error as record's.
     * NULL: every record decoded. */
    int (*set)(void *ctx, struct ns_coll_session *s, struct ns_coll_domain *d,
               const struct ns_tmpl *t, const uint8_t *recs, size_t n, struct ns_error *err);
};

void ns_coll_limits_default(struct ns_coll_limits *l);
int ns_coll_session_init(struct ns_coll_session *s, uint32_t id, int datagram,
                         const struct ns_coll_limits *l, struct ns_error *err);
void ns_coll_session_fini(struct ns_coll_session *s);
/* Process one whole message of len octets (for TCP: the framed message;
 * for UDP: the datagram) at time now (ns, monotonic).  Returns the flow
 * records delivered, NS_EFORMAT/NS_ETRUNC when the message (or its rest)
 * was dropped as malformed (err says why), or the handler's error. */
int ns_coll_session_message(struct ns_coll_session *s, const uint8_t *msg, size_t len, uint64_t now,
                            const struct ns_coll_handler *h, struct ns_error *err);
size_t ns_coll_session_templates(const struct ns_coll_session *s);

#endif
