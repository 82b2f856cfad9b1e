/*
 * stats.h — the few interval estimates netsift states next to its numbers.
 *
 * A sampled measurement is only as good as the interval printed with it,
 * so these are the textbook ones, chosen for small samples too:
 *
 *   ns_norm_quantile   the standard normal quantile z_p (Acklam's rational
 *                      approximation refined by one Halley step: relative
 *                      error below 1e-12, far beyond what any interval here
 *                      needs);
 *   ns_wilson          the Wilson score interval for a binomial proportion
 *                      k/n (Wilson 1927).  Unlike the Wald interval
 *                      p ± z·sqrt(p(1-p)/n) it stays inside [0, 1] and does
 *                      not collapse to a point when k is 0 or n — and a
 *                      path that lost nothing in the sample is exactly
 *                      where an operator needs an upper bound;
 *   ns_quantile_ci     a distribution-free interval for the q-quantile of a
 *                      sample of n values: order statistics X(l) and X(u)
 *                      with B(n, q) in [l, u-1] with the given confidence
 *                      (normal approximation to the binomial, widened to
 *                      whole ranks).  It needs no assumption on the shape of
 *                      the distribution, which for queueing delays is
 *                      anything but normal.
 *
 * All are pure functions of their arguments.
 */
#ifndef NS_UTIL_STATS_H
#define NS_UTIL_STATS_H

#include <stddef.h>
#include <stdint.h>

/* z with P(Z <= z) = p, 0 < p < 1 (p outside: ±INFINITY). */
double ns_norm_quantile(double p);

/* Two-sided Wilson interval of k successes in n trials at confidence
 * `conf` (e.g. 0.95).  n = 0 gives [0, 1]. */
void ns_wilson(uint64_t k, uint64_t n, double conf, double *lo, double *hi);

/* Ranks (0-based indices into the sorted sample of n values) bounding the
 * q-quantile at confidence `conf`: *lo <= *hi, both < n.  n must be > 0. */
void ns_quantile_ci(size_t n, double q, double conf, size_t *lo, size_t *hi);

#endif
