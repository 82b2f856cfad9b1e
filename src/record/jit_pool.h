/*
 * jit_pool.h — pooling the inter-arrival statistics of two records, the
 * one rule merge.c and merge_fast.c share (private to src/record).
 *
 * Each side is n samples with mean μ and population standard deviation σ;
 * E[x²] of each is σ² + μ², so the pooled variance is the count-weighted
 * E[x²] less the pooled mean's square (population variance, as the meter
 * reports).  Averaging the two σ instead would be wrong whenever the means
 * differ.  Both sides must hold samples (n > 0).
 */
#ifndef NS_RECORD_JIT_POOL_H
#define NS_RECORD_JIT_POOL_H

#include <math.h>

#include "record/record.h"

static inline void ns_record_jit_pool(struct ns_record_dir *a, const struct ns_record_dir *b)
{
    double na = (double)a->jit_n, nb = (double)b->jit_n, n = na + nb;
    double mean = (na * a->jit_mean_us + nb * b->jit_mean_us) / n;
    double ex2 = (na * (a->jit_stddev_us * a->jit_stddev_us + a->jit_mean_us * a->jit_mean_us) +
                  nb * (b->jit_stddev_us * b->jit_stddev_us + b->jit_mean_us * b->jit_mean_us)) /
                 n;
    double var = ex2 - mean * mean;
    a->jit_n += b->jit_n;
    a->jit_mean_us = mean;
    a->jit_stddev_us = var > 0 ? sqrt(var) : 0;
}

#endif
