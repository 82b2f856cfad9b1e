/*
 * merge.h — merging two flow records into one, group by group.
 *
 * Design
 * ------
 * Every analysis command that combines records (aggregate, bins, status
 * records folded back into their flow) goes through ns_record_merge(), so
 * the rules live in one place.  They are the Argus lesson, and the fix for
 * what its users tripped over: racluster dropped a record's loss when the
 * other record lacked the group that carries it.  Here a group that adds
 * (counters, loss, jitter samples, the aggregation counts) is present in the
 * result when EITHER input has it, an absent side counting as zero, so sums
 * over any aggregation equal sums over the input — negative loss included.
 *
 *   group     rule
 *   -------   ---------------------------------------------------------------
 *   KEY       per component (NS_RK_*): equal values are kept, different ones
 *             become a wildcard (key_wild).  Present only if both have it,
 *             and dropped once every component is a wildcard.
 *   COUNT     per direction, add.
 *   TIME      per direction, first = min, last = max (0 = no packet).
 *   IP        TTL min of mins / max of maxes over directions with packets;
 *             TOS of the earlier first packet.  Present only if both have it.
 *   TCP       flags OR; initial flags, MSS and window scale of the earlier
 *             first packet; window min/max.  Present only if both have it:
 *             TCP flags merged with a record that has none (ICMP, UDP) would
 *             describe only part of the result.
 *   LOSS      all counters add (loss may be negative: a later correction);
 *             lossSource kept when equal, else NS_LOSS_MIXED.
 *   RTT       handshake RTT.  Same flow (equal non-zero flowId): the one
 *             measured handshake.  Different flows: the pair of the flow with
 *             the smallest synack+ackdat, i.e. the minimum RTT, the usual
 *             estimate of a path's base RTT.  Kept while every input is TCP
 *             (has the TCP group); dropped once a non-TCP record joins.
 *   JIT       per direction, pooled: n adds, the mean is the n-weighted
 *             mean, the variance the pooled population variance
 *             (Σ n_i (σ_i² + μ_i²) / n − μ²) — never an average of stddevs.
 *   MAC, ESP  kept when equal in both, else dropped.
 *   SAMP      the sampled fraction is kept when equal (an unsampled record
 *             counting as 1), else 0: "mixed", which estimation refuses.
 *   AGG       records and completed flows add; a record without the group
 *             counts as one record, and one flow unless it is a status
 *             record (flowEndReason activeTimeout).
 *   always    flowId kept when equal, else 0; flowEndReason of the record
 *             that ends later; biflowDirection (syn_seen) only if both.
 *
 * "Earlier" compares the first-packet times of a direction; with no times the
 * destination's value is kept.  The function cannot fail and allocates
 * nothing.
 */
#ifndef NS_RECORD_MERGE_H
#define NS_RECORD_MERGE_H

#include "record/record.h"

/* Merge `src` into `dst`. */
void ns_record_merge(struct ns_record *dst, const struct ns_record *src);

/* Make key components `comps` (NS_RK_*) of `r` wildcards: set them in
 * key_wild and zero their values (an address also loses its prefix). */
void ns_record_wildcard(struct ns_record *r, uint8_t comps);

/* Give `r` its aggregation group if it has none (1 record; 1 flow unless a
 * status record), so that later merges count it. */
void ns_record_agg_init(struct ns_record *r);

#endif
