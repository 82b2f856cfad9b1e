#include "analysis/estimate.h"

#include <math.h>

static uint64_t scale_u(uint64_t x, double f)
{
    double v = (double)x * f + 0.5;
    return v >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)v;
}

static int64_t scale_i(int64_t x, double f)
{
    double v = (double)x * f;
    if (v >= 9.2e18)
        return INT64_MAX;
    if (v <= -9.2e18)
        return INT64_MIN;
    return (int64_t)llround(v);
}

enum ns_estimate_result ns_estimate_record(struct ns_record *r)
{
    if (!(r->present & NS_RG_SAMP))
        return NS_EST_UNSAMPLED;
    if (!(r->samp_frac > 0 && r->samp_frac <= 1))
        return NS_EST_UNKNOWN;
    double f = 1 / r->samp_frac;
    for (int i = 0; i < 2; i++) {
        struct ns_record_dir *d = &r->dir[i];
        d->pkts = scale_u(d->pkts, f);
        d->octets = scale_u(d->octets, f);
        d->l2_octets = scale_u(d->l2_octets, f);
        d->loss_pkts = scale_i(d->loss_pkts, f);
        d->gap_octets = scale_i(d->gap_octets, f);
        d->retrans_pkts = scale_u(d->retrans_pkts, f);
        d->retrans_octets = scale_u(d->retrans_octets, f);
        d->ooo_pkts = scale_u(d->ooo_pkts, f);
        d->dup_pkts = scale_u(d->dup_pkts, f);
    }
    r->present &= ~NS_RG_SAMP;
    r->samp_frac = 0;
    r->samp_n = r->samp_space = r->samp_pop = 0;
    return NS_EST_SCALED;
}
