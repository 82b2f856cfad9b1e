#include "traj/traj.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/stats.h"

const double ns_traj_quantiles[NS_TRAJ_NQ] = {0.05, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99};

int ns_traj_point_add(struct ns_traj_point *p, const struct ns_traj_obs *o, struct ns_error *err)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 4096;
        struct ns_traj_obs *v = realloc(p->obs, cap * sizeof *v);
        if (!v)
            return ns_error_set(err, NS_ENOMEM, "out of memory for %zu packet reports", cap);
        p->obs = v;
        p->cap = cap;
    }
    p->obs[p->n++] = *o;
    return NS_OK;
}

void ns_traj_point_free(struct ns_traj_point *p)
{
    free(p->obs);
    memset(p, 0, sizeof *p);
}

/* qsort has no context argument: the comparators work on copies. */
static int cmp_time(const void *a, const void *b)
{
    const struct ns_traj_obs *x = a, *y = b;
    if (x->t_ns != y->t_ns)
        return x->t_ns < y->t_ns ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static int cmp_digest_time(const void *a, const void *b)
{
    const struct ns_traj_obs *x = a, *y = b;
    if (x->digest != y->digest)
        return x->digest < y->digest ? -1 : 1;
    return cmp_time(a, b);
}

static int cmp_seq(const void *a, const void *b)
{
    const struct ns_traj_obs *x = a, *y = b;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static struct ns_traj_obs *sorted_copy(const struct ns_traj_point *p,
                                       int (*cmp)(const void *, const void *))
{
    struct ns_traj_obs *v = malloc((p->n ? p->n : 1) * sizeof *v);
    if (!v)
        return NULL;
    if (p->n)
        memcpy(v, p->obs, p->n * sizeof *v);
    qsort(v, p->n, sizeof *v, cmp);
    return v;
}

static int has_seq(const struct ns_traj_point *p)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->obs[i].seq)
            return 1;
    return 0;
}

/* Holes in a point's numbering.  Each hole is a time interval of the
 * point's clock and a number of packets that crossed it unreported. */
struct hole {
    uint64_t t_lo, t_hi; /* the reports either side (0 / UINT64_MAX: open) */
    uint64_t room;
};

/* h NULL: only count the packets the holes stand for. */
static size_t holes_of(const struct ns_traj_obs *byseq, size_t n, uint64_t total, struct hole *h,
                       uint64_t *lost)
{
    size_t nh = 0;
    uint64_t prev = 0, t_prev = 0;
    *lost = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t s = byseq[i].seq;
        if (!s || s == prev) /* unnumbered or repeated: no information */
            continue;
        if (s > prev + 1) {
            if (h)
                h[nh] = (struct hole){prev ? t_prev : 0, byseq[i].t_ns, s - prev - 1};
            nh++;
            *lost += s - prev - 1;
        }
        prev = s;
        t_prev = byseq[i].t_ns;
    }
    if (prev && total > prev) {
        if (h)
            h[nh] = (struct hole){t_prev, UINT64_MAX, total - prev};
        nh++;
        *lost += total - prev;
    }
    return nh;
}

static uint64_t collisions_of(const struct ns_traj_obs *bydig, size_t n, uint64_t window)
{
    uint64_t c = 0;
    for (size_t i = 1; i < n; i++)
        if (bydig[i].digest == bydig[i - 1].digest && bydig[i].t_ns - bydig[i - 1].t_ns <= window)
            c++;
    return c;
}

/* First index in bydig (sorted by digest, time) with (digest, t) >= key. */
static size_t lower_bound(const struct ns_traj_obs *v, size_t n, uint64_t digest, uint64_t t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].digest < digest || (v[mid].digest == digest && v[mid].t_ns < t))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void delay_stats(int64_t *d, size_t n, double conf, struct ns_traj_result *r)
{
    if (!n)
        return;
    qsort(d, n, sizeof *d, cmp_i64);
    r->d_min = d[0];
    r->d_max = d[n - 1];
    double sum = 0, sq = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)d[i];
    double mean = sum / (double)n;
    for (size_t i = 0; i < n; i++)
        sq += ((double)d[i] - mean) * ((double)d[i] - mean);
    double se = n > 1 ? sqrt(sq / (double)(n - 1) / (double)n) : 0;
    double z = ns_norm_quantile(0.5 + conf / 2);
    r->d_mean = mean;
    r->d_mean_lo = mean - z * se;
    r->d_mean_hi = mean + z * se;
    for (int k = 0; k < NS_TRAJ_NQ; k++) {
        double q = ns_traj_quantiles[k];
        /* the sample quantile: the value at rank ceil(nq) (1-based) */
        size_t rank = (size_t)ceil(q * (double)n);
        if (rank < 1)
            rank = 1;
        size_t lo, hi;
        ns_quantile_ci(n, q, conf, &lo, &hi);
        r->q[k] = d[rank - 1];
        r->q_lo[k] = d[lo];
        r->q_hi[k] = d[hi];
    }
}

int ns_traj_compare(const struct ns_traj_point *in, const struct ns_traj_point *out,
                    const struct ns_traj_opts *o, struct ns_traj_result *r, struct ns_error *err)
{
    memset(r, 0, sizeof *r);
    r->in_reports = in->n;
    r->out_reports = out->n;
    r->in_has_seq = has_seq(in);
    r->out_has_seq = has_seq(out);

    int rc = NS_OK;
    struct ns_traj_obs *a = sorted_copy(in, cmp_time);
    struct ns_traj_obs *b = sorted_copy(out, cmp_digest_time);
    struct ns_traj_obs *aseq = sorted_copy(in, cmp_seq);
    struct ns_traj_obs *bseq = sorted_copy(out, cmp_seq);
    uint8_t *used = calloc(out->n ? out->n : 1, 1);
    uint8_t *hit = calloc(in->n ? in->n : 1, 1);
    int64_t *delay = malloc((in->n ? in->n : 1) * sizeof *delay);
    struct hole *holes = malloc((out->n + 1) * sizeof *holes);
    if (!a || !b || !aseq || !bseq || !used || !hit || !delay || !holes) {
        rc = ns_error_set(err, NS_ENOMEM, "out of memory comparing %zu and %zu reports", in->n,
                          out->n);
        goto out;
    }

    holes_of(aseq, in->n, in->seq_total, NULL, &r->in_lost_reports);
    qsort(aseq, in->n, sizeof *aseq, cmp_digest_time); /* now by digest, for collisions */
    r->collisions =
        collisions_of(aseq, in->n, o->max_delay_ns) + collisions_of(b, out->n, o->max_delay_ns);
    size_t nh = holes_of(bseq, out->n, out->seq_total, holes, &r->out_lost_reports);

    /* Match each packet of A, in time order, to the earliest unused report
     * of B with the same digest inside [t - skew, t + max_delay]. */
    size_t nd = 0;
    for (size_t i = 0; i < in->n; i++) {
        uint64_t t = a[i].t_ns;
        uint64_t from = t > o->skew_ns ? t - o->skew_ns : 0;
        for (size_t j = lower_bound(b, out->n, a[i].digest, from);
             j < out->n && b[j].digest == a[i].digest && b[j].t_ns <= t + o->max_delay_ns; j++) {
            if (used[j])
                continue;
            used[j] = 1;
            hit[i] = 1;
            delay[nd++] = (int64_t)(b[j].t_ns - t);
            break;
        }
    }
    r->matched = nd;
    r->out_only = out->n - nd;

    /* B's window, and the delays that make a packet a candidate for a hole. */
    uint64_t b_first = UINT64_MAX, b_last = 0;
    for (size_t j = 0; j < out->n; j++) {
        if (b[j].t_ns < b_first)
            b_first = b[j].t_ns;
        if (b[j].t_ns > b_last)
            b_last = b[j].t_ns;
    }
    int64_t dmin = -(int64_t)o->skew_ns, dmax = (int64_t)o->max_delay_ns;
    if (nd) {
        dmin = INT64_MAX;
        dmax = INT64_MIN;
        for (size_t k = 0; k < nd; k++) {
            dmin = delay[k] < dmin ? delay[k] : dmin;
            dmax = delay[k] > dmax ? delay[k] : dmax;
        }
    }
    int judge = out->n > 0 && b_last >= o->max_delay_ns && b_last - o->max_delay_ns >= b_first;
    uint64_t w_lo = b_first, w_hi = judge ? b_last - o->max_delay_ns : 0;

    size_t hstart = 0;
    for (size_t i = 0; i < in->n; i++) {
        uint64_t t = a[i].t_ns;
        if (!judge || t < w_lo || t > w_hi) {
            r->outside++;
            continue;
        }
        r->considered++;
        if (hit[i]) {
            r->delivered++;
            continue;
        }
        /* Could its report from B be in a hole?  Expected at B in
         * [t + dmin, t + dmax]. */
        int64_t elo = (int64_t)t + dmin, ehi = (int64_t)t + dmax;
        while (hstart < nh && holes[hstart].t_hi != UINT64_MAX && (int64_t)holes[hstart].t_hi < elo)
            hstart++;
        int found = 0;
        for (size_t h = hstart; h < nh && (int64_t)holes[h].t_lo <= ehi; h++) {
            if (holes[h].room) {
                holes[h].room--;
                found = 1;
                break;
            }
        }
        if (found)
            r->explained++;
        else
            r->lost++;
    }
    {
        /* A's unreported packets inside the window, times B's report loss rate */
        double b_total = (double)(r->out_reports + r->out_lost_reports);
        double a_share = r->in_reports ? (double)r->considered / (double)r->in_reports : 0;
        r->ambiguous = b_total > 0 ? (double)r->in_lost_reports * a_share *
                                         (double)r->out_lost_reports / b_total
                                   : 0;
    }
    ns_wilson(r->lost, r->considered, o->conf, &r->loss_lo, &r->loss_hi);
    if (r->ambiguous > 0) {
        /* A doubly unreported packet can only make a lost one look
         * explained, never the reverse: widen the upper side. */
        double lo2, hi2;
        uint64_t up = r->lost + (uint64_t)ceil(r->ambiguous);
        ns_wilson(up > r->considered ? r->considered : up, r->considered, o->conf, &lo2, &hi2);
        r->loss_hi = hi2;
    }
    r->loss = r->considered ? (double)r->lost / (double)r->considered : 0.0;
    delay_stats(delay, nd, o->conf, r);

out:
    free(a);
    free(b);
    free(aseq);
    free(bseq);
    free(used);
    free(hit);
    free(delay);
    free(holes);
    return rc;
}
