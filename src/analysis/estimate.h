/*
 * estimate.h — renormalising the counters of sampled records.
 *
 * A record of sampled traffic (NS_RG_SAMP, samp_frac = the fraction of
 * packets the selection process kept) counts only what was selected.  The
 * Horvitz–Thompson estimate of the traffic it stands for is each counter
 * divided by that fraction (RFC 5474 §5.3 / RFC 7014 §7: with 1-in-N
 * sampling, N × the count).  ns_estimate_record() does that to a record
 * before it is merged, so that aggregates of records sampled at different
 * rates still add up to an unbiased total.  Integer counters are rounded
 * to the nearest integer (loss keeps its sign).  The result no longer
 * carries the sampling group: it describes the whole traffic.
 *
 * Records of mixed rates (samp_frac 0, from an earlier aggregation without
 * estimation) cannot be scaled: the function leaves them and says so.
 */
#ifndef NS_ANALYSIS_ESTIMATE_H
#define NS_ANALYSIS_ESTIMATE_H

#include "record/record.h"

enum ns_estimate_result {
    NS_EST_UNSAMPLED = 0, /* no sampling group: nothing to do */
    NS_EST_SCALED = 1,
    NS_EST_UNKNOWN = 2 /* mixed rates: left as it is */
};

enum ns_estimate_result ns_estimate_record(struct ns_record *r);

#endif
