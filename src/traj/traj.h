/*
 * traj.h — trajectory sampling analysis (RFC 5474 §11.2; Duffield and
 * Grossglauser, "Trajectory sampling for direct traffic observation").
 *
 * Design
 * ------
 * Every observation point along a path selects packets with the same
 * hash selector over fields that do not change in transit (select.h, the
 * hash domain), so a packet selected at the ingress is selected again at
 * every point it reaches, and each report carries a digest of the packet
 * (digestHashValue).  Matching reports by digest follows sampled packets
 * through the network: a packet reported at A and at B crossed A→B in
 * t_B − t_A (clocks in sync); a packet reported at A and never at B was
 * lost on the way — unless its report from B was lost instead.
 *
 * Telling the two apart is what the reports' sequence numbers are for
 * (RFC 5474 §11.2, RFC 5476 §6.5.1).  Each point numbers the packets it
 * selects 1, 2, 3… (selectorIdTotalPktsSelected of its last selector, or
 * the IPFIX sequence of its reports), in the order it sees them.  A
 * packet lost in the network takes no number at B; a packet whose report
 * from B was lost leaves a hole in B's numbers.  So every hole between
 * two reports B received with numbers s1 < s2 stands for s2 − s1 − 1
 * packets that did reach B between the times t1 and t2 of those reports.
 * ns_traj_compare() explains A's unmatched packets by those holes first:
 * an unmatched packet seen at A at time t could have reached B in
 * [t + dmin, t + dmax] (the delays of the matched packets); where that
 * window meets a hole with room left, the packet is counted as "report
 * lost", else as "lost".  Holes are filled in time order, earliest first,
 * which is the best assignment when windows and holes are both ordered by
 * time.  The counts are exact whenever the holes' windows do not overlap
 * the lost packets' windows; when they do, which packet is which is
 * unknown but the number explained stays right as long as every hole has
 * at least as many candidates as slots.  A hole at B can also be a packet
 * that A never reported (both reports lost); such a hole has no candidate
 * of its own and may take a lost packet, so when both points lose reports
 * the split is uncertain by about `ambiguous` packets (the expected
 * number of doubly unreported ones), which the result states.  Such a packet can
 * only make a lost one look explained, never the reverse, so the loss
 * interval's upper side is widened by it.
 *
 * Edges: B can only report packets that reach it while it is looking.
 * Only A's packets with t in [first report at B, last report at B −
 * max delay] count towards loss (matched or not), so a packet still in
 * flight when B's capture ended is neither lost nor delivered.
 *
 * Estimates: the loss rate is lost / (packets of A in the window), with a
 * Wilson interval (util/stats.h): hash selection picks packets
 * independently of whether the network drops them, so the sampled rate
 * estimates the path's.  Delays get min, max, mean with a normal interval,
 * and quantiles with distribution-free order-statistic intervals.
 *
 * Digests that repeat at one point within the matching window (identical
 * packets in the hash domain: true duplicates, or a 32-bit collision) are
 * matched in time order, earliest first, and counted as `collisions`.
 *
 * Ownership: a point owns its observation array (ns_traj_point_free).
 * ns_traj_compare() does not change its inputs; it allocates scratch
 * space and frees it before returning.  Errors: NS_ENOMEM with a message.
 */
#ifndef NS_TRAJ_TRAJ_H
#define NS_TRAJ_TRAJ_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct ns_traj_obs {
    uint64_t digest; /* digestHashValue */
    uint64_t t_ns;   /* observation time, ns since the epoch */
    uint64_t seq;    /* this point's selection number (1-based), 0: unknown */
};

struct ns_traj_point {
    struct ns_traj_obs *obs;
    size_t n, cap;
    /* Packets this point selected in all, when a statistics record says
     * (0: unknown).  Lets a hole after the last report be seen. */
    uint64_t seq_total;
};

int ns_traj_point_add(struct ns_traj_point *p, const struct ns_traj_obs *o, struct ns_error *err);
void ns_traj_point_free(struct ns_traj_point *p);

struct ns_traj_opts {
    uint64_t max_delay_ns; /* longest transit considered a match */
    uint64_t skew_ns;      /* a match may be this much "early" (clock error) */
    double conf;           /* confidence of every interval, e.g. 0.95 */
};

#define NS_TRAJ_NQ 7
extern const double ns_traj_quantiles[NS_TRAJ_NQ]; /* 0.05 0.25 0.5 0.75 0.9 0.95 0.99 */

struct ns_traj_result {
    /* reports */
    uint64_t in_reports, out_reports;
    uint64_t in_lost_reports, out_lost_reports; /* holes in the numbering */
    int in_has_seq, out_has_seq;
    uint64_t collisions; /* repeated digests within the window, both points */
    /* fate of A's packets inside the window */
    uint64_t considered; /* A's reports with t in the window */
    uint64_t delivered;  /* of them, matched at B */
    uint64_t explained;  /* unmatched, but a hole at B accounts for them */
    uint64_t lost;       /* unmatched and unexplained: lost on the path */
    uint64_t outside;    /* A's reports outside the window (not judged) */
    uint64_t out_only;   /* B's reports with no match at A */
    /* Expected packets that neither point reported (A's holes × B's
     * report loss rate): a hole at B may be one of them, and then it
     * explains nothing at A; the split lost/explained is uncertain by
     * about this much when both points lose reports. */
    double ambiguous;
    double loss, loss_lo, loss_hi;
    /* delays of all matched packets (window or not), ns */
    uint64_t matched;
    int64_t d_min, d_max;
    double d_mean, d_mean_lo, d_mean_hi;
    int64_t q[NS_TRAJ_NQ], q_lo[NS_TRAJ_NQ], q_hi[NS_TRAJ_NQ];
};

/* Compare point `in` (upstream, A) with `out` (downstream, B). */
int ns_traj_compare(const struct ns_traj_point *in, const struct ns_traj_point *out,
                    const struct ns_traj_opts *o, struct ns_traj_result *r, struct ns_error *err);

#endif
