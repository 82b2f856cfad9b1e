/*
 * aggregate.h — merging records that share a key (Argus racluster).
 *
 * Design
 * ------
 * An aggregator is a hash table from key bytes (aggkey.h) to one merged
 * record (merge.h).  Each input record is copied, prefix-cut and
 * wildcarded to the key, then merged into its entry, or starts one (when
 * the key makes that copy change nothing the merge looks at, a record
 * merges as it comes: aggregate.c merge_direct).  The
 * entries live in one array in order of creation, which is the order
 * ns_agg_flush() hands them out: output is deterministic and follows the
 * input.
 *
 * Idle splitting (racluster -i): with idle_ns set, a record that starts more
 * than idle_ns after its entry's last packet closes that entry first — it is
 * handed to the emit callback at once — and starts a new one in its place.
 * This assumes input in roughly time order, as a probe writes it.
 *
 * Flushing a large table (65536 entries or more) unpacks entries on a
 * second thread a few chunks ahead of the emit callback, which is still
 * called from the caller's thread, in order; the callback need not be
 * thread-safe.
 *
 * Memory: an entry is its key bytes, its record packed, 12 octets of index
 * and 16-32 of hash slots.  A packed record is a bitmap of the record's
 * non-zero 4-octet words followed by those words: a metered record is
 * mostly zeros (absent groups, IPv4 in 16-octet address fields, small
 * counters), so it packs to about 160 octets instead of 376.  Merging needs
 * the record whole, so the last CACHE (256) entries touched stay unpacked
 * in a direct-mapped cache by entry index; a few hot keys (by protocol, by
 * port) never leave it, and new entries are packed once when they do.  A
 * record that no longer fits its place after a merge moves to the end of
 * the arena; the abandoned places are compacted away when they reach half.
 * The hash slots keep 32 bits of the hash next to the entry index, so
 * probing does not touch entries.  Arrays double as they fill; nothing is
 * allocated per record otherwise.
 *
 * Errors: NS_ENOMEM when the table cannot grow (the aggregator stays
 * usable with what it has); the emit callback's negative return is passed
 * up unchanged.
 */
#ifndef NS_ANALYSIS_AGGREGATE_H
#define NS_ANALYSIS_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/aggkey.h"
#include "record/record.h"
#include "util/err.h"

struct ns_agg;

/* Receives aggregates; a negative return stops the caller. */
typedef int (*ns_agg_emit_fn)(void *ctx, const struct ns_record *r, struct ns_error *err);

struct ns_agg_opts {
    struct ns_aggkey key;
    uint64_t idle_ns; /* 0: never split */
};

int ns_agg_create(struct ns_agg **a, const struct ns_agg_opts *o, struct ns_error *err);
int ns_agg_add(struct ns_agg *a, const struct ns_record *r, ns_agg_emit_fn emit, void *ctx,
               struct ns_error *err);
/* The same with a tag that is part of the key (bins: the bin's start), so
 * equal keys with different tags stay apart. */
int ns_agg_add_tagged(struct ns_agg *a, const struct ns_record *r, uint64_t tag,
                      ns_agg_emit_fn emit, void *ctx, struct ns_error *err);
/* Every entry, in order of creation; the aggregator is empty afterwards. */
int ns_agg_flush(struct ns_agg *a, ns_agg_emit_fn emit, void *ctx, struct ns_error *err);
size_t ns_agg_count(const struct ns_agg *a);
/* For callers that sort: unpack every entry into one array, after which
 * ns_agg_at(i) is the i-th entry (order of creation).  The pointers stay
 * valid until the next add, flush or destroy; before ns_agg_expand, and
 * after an add, ns_agg_at returns NULL. */
int ns_agg_expand(struct ns_agg *a, struct ns_error *err);
const struct ns_record *ns_agg_at(const struct ns_agg *a, size_t i);
uint64_t ns_agg_tag_at(const struct ns_agg *a, size_t i);
void ns_agg_destroy(struct ns_agg *a);

#endif
