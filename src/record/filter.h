/*
 * filter.h — the record filter language of the analysis commands
 * (`netsift read -r f.ipfix - tcp and dst port 443`, as Argus `ra`).
 *
 * Design
 * ------
 * The language is tcpdump's pcap-filter(7) vocabulary applied to flow
 * records (protocol words, [src|dst] host/net/port/portrange, vlan,
 * qualifier inheritance, `and`/`or` of equal precedence left to right as in
 * tcpdump and Argus), plus comparisons on every field of record/fields.h by
 * its short or IPFIX name (`bytes > 1M`, `sloss < 0`, `state == CON`).
 * docs/man/netsift-filter.7 is the user's reference.
 *
 * An expression is compiled once into a flat branch program, like BPF: each
 * instruction is one test on the record with a jump for true and one for
 * false, and every jump goes to an instruction emitted earlier (lower
 * index) or to accept/reject.  Matching is therefore a loop that visits
 * each instruction at most once: no recursion, no allocation, short-circuit
 * evaluation for free.  Compiling recurses only into parentheses, whose
 * nesting is limited (NS_FILTER_MAX_DEPTH).
 *
 * Records are biflows: "src" is the initiator, "dst" the responder (Argus),
 * not the sender of a packet as in tcpdump; an unqualified term matches
 * either side.  A comparison on a field the record lacks (its group is
 * absent, or it does not apply, as a port of an ICMP flow) is false, for
 * every operator, so `not loss > 0` holds for a flow without a loss group.
 *
 * Ownership and errors: ns_filter_compile allocates the filter (free with
 * ns_filter_free); on a syntax error it returns NS_EINVAL and err->msg says
 * what was expected, quotes the offending token and gives its 1-based
 * column in `expr`.  A compiled filter is read-only: several threads may
 * match with one filter.
 */
#ifndef NS_RECORD_FILTER_H
#define NS_RECORD_FILTER_H

#include "record/record.h"
#include "util/err.h"

/* Deepest nesting of parentheses an expression may use. */
#define NS_FILTER_MAX_DEPTH 64

struct ns_filter;

/*
 * Compile `expr` (the command's trailing arguments joined with spaces).  A
 * leading lone "-" (Argus's separator between options and filter) is
 * skipped.  NULL, empty or blank matches every record.  Returns 0 and sets
 * *out, or a negative NS_E* code with err filled and *out NULL.
 */
int ns_filter_compile(struct ns_filter **out, const char *expr, struct ns_error *err);

/* 1 when `r` matches, else 0.  f == NULL matches everything.  Allocates
 * nothing. */
int ns_filter_match(const struct ns_filter *f, const struct ns_record *r);

/* Number of test instructions (0 for match-all); for tests and -v output. */
int ns_filter_size(const struct ns_filter *f);

void ns_filter_free(struct ns_filter *f);

#endif
