/*
 * bins.h — records cut into time bins (Argus rabins -M time SEC).
 *
 * Design
 * ------
 * Bins are [k·w, (k+1)·w) for integer k, aligned on the epoch, so that bins
 * of different runs and different inputs line up.  A record whose packets
 * span several bins is split in proportion to time overlap: with the
 * record's span [s, e) (first to last packet, both directions), bin b gets
 * of an integer counter X the share
 *
 *     floor(X · (min(e, b_end) − s) / (e − s)) − floor(X · (max(s, b_start) − s) / (e − s))
 *
 * — differences of one cumulative floor, so the shares sum to X exactly and
 * each is within 1 of the exact proportion.  Signed counters (loss) are split
 * by magnitude and keep their sign.  A record with e == s (one packet, or
 * all in one instant) falls wholly into the bin holding s.  Packets, octets,
 * layer-2 octets, loss, gap octets, retransmissions, reordering, duplicates
 * and jitter sample counts are split; a piece's times are the record's
 * clipped to the bin — also when its share of packets rounds to 0, so that
 * every piece names its bin (a direction's times are 0 only when the record
 * has no packet that way); every other group rides along whole, and a piece
 * counts as one record of its bin (trans) while only the last piece carries
 * the flow's completion (flows).
 *
 * Within a bin, pieces merge by an aggregation key (aggkey.h; "none" for
 * one total per bin), with the merge rules of merge.h.  Output is by bin,
 * then in the order keys first appeared.
 *
 * A record without packets and without times — a flow's final record when
 * the status record before took every packet (meter/meter.h) — has nothing
 * to split and no bin: it is skipped (so its flow's completion is counted
 * in no bin).  A record with packets, octets or loss but no times is
 * refused (NS_EINVAL).
 *
 * A record spanning more than NS_BINS_MAX_SPAN bins is refused with
 * NS_EINVAL (a damaged or hostile timestamp would otherwise make billions
 * of pieces); the message names the record and suggests a wider bin.
 *
 * Ownership: create allocates, destroy frees.
 */
#ifndef NS_ANALYSIS_BINS_H
#define NS_ANALYSIS_BINS_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/aggregate.h"

#define NS_BINS_MAX_SPAN 1000000u

struct ns_bins;

struct ns_bins_opts {
    uint64_t width_ns;
    struct ns_aggkey key;
    int hard; /* piece times are the bin's bounds, not the packets' */
};

int ns_bins_create(struct ns_bins **b, const struct ns_bins_opts *o, struct ns_error *err);
int ns_bins_add(struct ns_bins *b, const struct ns_record *r, struct ns_error *err);
/* Sorted by bin, then first appearance; valid until the next add/destroy.
 * starts[i] is the bin start (ns) of out[i]. */
int ns_bins_result(struct ns_bins *b, const struct ns_record ***out, const uint64_t **starts,
                   size_t *n, struct ns_error *err);
void ns_bins_destroy(struct ns_bins *b);

/* Split r into its pieces, calling fn for each (exposed for tests). */
int ns_bins_split(const struct ns_record *r, uint64_t width_ns, int hard,
                  int (*fn)(void *ctx, const struct ns_record *piece, uint64_t bin_start,
                            struct ns_error *err),
                  void *ctx, struct ns_error *err);

#endif
