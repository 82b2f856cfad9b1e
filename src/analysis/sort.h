/*
 * sort.h — ordering records by fields (Argus rasort -m).
 *
 * Design
 * ------
 * A sort key is a list of fields (fields.h names), each ascending or
 * descending.  Without an explicit ":asc"/":desc" suffix, quantities
 * (counters, loss, rates, durations) sort largest first — the top-talker
 * question is the common one — while identities (addresses, ports, protocol,
 * flowId) and times sort ascending.  A record that lacks a field sorts after
 * every record that has it, whatever the direction, so "top loss" is never
 * crowded out by records that measured none.  Ties keep input order (the
 * sort is stable).
 *
 * ns_sort_top keeps only the first N in order using a bounded heap, so top-N
 * over a large input needs memory for N records only.
 *
 * Ownership: a spec is a plain value; ns_sort_top allocates its heap and
 * frees it in ns_sort_top_free.
 */
#ifndef NS_ANALYSIS_SORT_H
#define NS_ANALYSIS_SORT_H

#include <stddef.h>
#include <stdint.h>

#include "record/fields.h"
#include "util/err.h"

#define NS_SORT_MAX_KEYS 16

struct ns_sort_spec {
    size_t n;
    const struct ns_field *f[NS_SORT_MAX_KEYS];
    int desc[NS_SORT_MAX_KEYS];
};

/* "bytes,saddr:asc,dur:desc". */
int ns_sort_parse(struct ns_sort_spec *s, const char *list, struct ns_error *err);
/* <0, 0, >0 as qsort wants: a before b, equal, after. */
int ns_sort_cmp(const struct ns_sort_spec *s, const struct ns_record *a, const struct ns_record *b);
/* Stable in-place sort. Returns NS_ENOMEM when scratch space fails. */
int ns_sort_records(const struct ns_sort_spec *s, struct ns_record *r, size_t n,
                    struct ns_error *err);

/* Top N: feed records, then take them out in order. */
struct ns_sort_top;
int ns_sort_top_create(struct ns_sort_top **t, const struct ns_sort_spec *s, size_t n,
                       struct ns_error *err);
void ns_sort_top_add(struct ns_sort_top *t, const struct ns_record *r);
/* The kept records, sorted; *n gets their number.  Valid until free. */
const struct ns_record *ns_sort_top_result(struct ns_sort_top *t, size_t *n);
void ns_sort_top_free(struct ns_sort_top *t);

#endif
