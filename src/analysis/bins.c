/* Time bins with proportional splitting (bins.h). */
#include "analysis/bins.h"

#include <stdlib.h>
#include <string.h>

#include "record/merge.h"

struct ns_bins {
    struct ns_bins_opts o;
    struct ns_agg *agg;
    const struct ns_record **sorted;
    uint64_t *starts;
};

/* floor(x · num / den) without overflow (x < 2^64, num ≤ den < 2^64). */
static uint64_t prop(uint64_t x, uint64_t num, uint64_t den)
{
    return (uint64_t)((unsigned __int128)x * num / den);
}

static uint64_t share_u(uint64_t x, uint64_t lo, uint64_t hi, uint64_t span)
{
    return prop(x, hi, span) - prop(x, lo, span);
}

static int64_t share_i(int64_t x, uint64_t lo, uint64_t hi, uint64_t span)
{
    uint64_t mag = x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
    uint64_t s = share_u(mag, lo, hi, span);
    return x < 0 ? -(int64_t)s : (int64_t)s;
}

static void clip_dir(struct ns_record_dir *d, uint64_t rec_pkts, uint64_t from, uint64_t to,
                     uint64_t piece_lo, uint64_t piece_hi)
{
    /* Whether the direction has times follows the record, not the piece's
     * share: a piece whose packets round to 0 still carries octets and
     * counts as a record of its bin, and without times it would name no
     * bin at all in the output. */
    if (!rec_pkts) {
        d->first_ns = d->last_ns = 0;
        return;
    }
    /* The direction's own span clipped to the bin; when it does not meet
     * the bin (the split is by the record's span), the piece's span. */
    uint64_t f = d->first_ns > from ? d->first_ns : from;
    uint64_t l = d->last_ns < to ? d->last_ns : to;
    if (!d->first_ns || f > l) {
        f = piece_lo;
        l = piece_hi;
    }
    d->first_ns = f;
    d->last_ns = l;
}

int ns_bins_split(const struct ns_record *r, uint64_t w, int hard,
                  int (*fn)(void *, const struct ns_record *, uint64_t, struct ns_error *),
                  void *ctx, struct ns_error *err)
{
    if (!(r->present & NS_RG_TIME) || !ns_record_start_ns(r)) {
        /* A flow's final record after a status record took every packet
         * (meter.h) has no times and nothing to split: no bin to put in. */
        if ((r->present & NS_RG_COUNT) && !r->dir[0].pkts && !r->dir[1].pkts && !r->dir[0].octets &&
            !r->dir[1].octets && !r->dir[0].loss_pkts && !r->dir[1].loss_pkts)
            return NS_OK;
        return ns_error_set(err, NS_EINVAL, "record of flow %llu has no times: it fits no bin",
                            (unsigned long long)r->flow_id);
    }
    uint64_t s = ns_record_start_ns(r), e = ns_record_end_ns(r);
    uint64_t b0 = s / w * w;
    if (e <= s) {
        struct ns_record p = *r;
        ns_record_agg_init(&p);
        if (hard)
            for (int d = 0; d < 2; d++)
                if (p.dir[d].pkts || p.dir[d].first_ns)
                    p.dir[d].first_ns = b0, p.dir[d].last_ns = b0 + w - 1;
        return fn(ctx, &p, b0, err);
    }
    uint64_t span = e - s;
    uint64_t nbins = (e - 1) / w - s / w + 1;
    if (nbins > NS_BINS_MAX_SPAN)
        return ns_error_set(
            err, NS_EINVAL, "record of flow %llu spans %llu bins (limit %u): use wider bins",
            (unsigned long long)r->flow_id, (unsigned long long)nbins, NS_BINS_MAX_SPAN);
    struct ns_record base = *r;
    ns_record_agg_init(&base);
    for (uint64_t b = b0; b < e; b += w) {
        uint64_t lo = (b > s ? b : s) - s, hi = (b + w < e ? b + w : e) - s;
        struct ns_record p = base;
        int last = b + w >= e;
        for (int d = 0; d < 2; d++) {
            struct ns_record_dir *pd = &p.dir[d];
            const struct ns_record_dir *rd = &r->dir[d];
            pd->pkts = share_u(rd->pkts, lo, hi, span);
            pd->octets = share_u(rd->octets, lo, hi, span);
            pd->l2_octets = share_u(rd->l2_octets, lo, hi, span);
            pd->loss_pkts = share_i(rd->loss_pkts, lo, hi, span);
            pd->gap_octets = share_i(rd->gap_octets, lo, hi, span);
            pd->retrans_pkts = share_u(rd->retrans_pkts, lo, hi, span);
            pd->retrans_octets = share_u(rd->retrans_octets, lo, hi, span);
            pd->ooo_pkts = share_u(rd->ooo_pkts, lo, hi, span);
            pd->dup_pkts = share_u(rd->dup_pkts, lo, hi, span);
            pd->jit_n = share_u(rd->jit_n, lo, hi, span);
            if (hard) {
                if (rd->pkts) {
                    pd->first_ns = b;
                    pd->last_ns = b + w - 1;
                } else {
                    pd->first_ns = pd->last_ns = 0;
                }
            } else {
                clip_dir(pd, rd->pkts, b, b + w - 1, s + lo, s + hi - (hi > lo && !last ? 1 : 0));
            }
        }
        if (!last)
            p.agg_flows = 0; /* the flow completes in its last bin only */
        p.agg_records = base.agg_records;
        int rc = fn(ctx, &p, b, err);
        if (rc < 0)
            return rc;
        if (b > UINT64_MAX - w)
            break;
    }
    return NS_OK;
}

int ns_bins_create(struct ns_bins **out, const struct ns_bins_opts *o, struct ns_error *err)
{
    if (!o->width_ns)
        return ns_error_set(err, NS_EINVAL, "bins: width must be positive");
    struct ns_bins *b = calloc(1, sizeof *b);
    if (!b)
        return ns_error_set(err, NS_ENOMEM, "bins: out of memory");
    b->o = *o;
    struct ns_agg_opts ao = {.key = o->key};
    int rc = ns_agg_create(&b->agg, &ao, err);
    if (rc < 0) {
        free(b);
        return rc;
    }
    *out = b;
    return NS_OK;
}

static int no_emit(void *ctx, const struct ns_record *r, struct ns_error *err)
{
    return NS_OK; /* bins never split by idle time */
}

static int add_piece(void *ctx, const struct ns_record *p, uint64_t bin, struct ns_error *err)
{
    struct ns_bins *b = ctx;
    return ns_agg_add_tagged(b->agg, p, bin, no_emit, NULL, err);
}

int ns_bins_add(struct ns_bins *b, const struct ns_record *r, struct ns_error *err)
{
    return ns_bins_split(r, b->o.width_ns, b->o.hard, add_piece, b, err);
}

struct bin_ix {
    uint64_t start;
    size_t i; /* creation order: the tie-break keeps first appearance */
};

static int by_bin(const void *x, const void *y)
{
    const struct bin_ix *a = x, *b = y;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

int ns_bins_result(struct ns_bins *b, const struct ns_record ***out, const uint64_t **starts,
                   size_t *n, struct ns_error *err)
{
    size_t cnt = ns_agg_count(b->agg);
    int rc = ns_agg_expand(b->agg, err);
    if (rc < 0)
        return rc;
    free(b->sorted);
    free(b->starts);
    b->sorted = calloc(cnt ? cnt : 1, sizeof(const struct ns_record *));
    b->starts = malloc((cnt ? cnt : 1) * sizeof *b->starts);
    struct bin_ix *ix = malloc((cnt ? cnt : 1) * sizeof *ix);
    if (!b->sorted || !b->starts || !ix) {
        free(ix);
        return ns_error_set(err, NS_ENOMEM, "bins: out of memory for %zu results", cnt);
    }
    for (size_t i = 0; i < cnt; i++)
        ix[i] = (struct bin_ix){ns_agg_tag_at(b->agg, i), i};
    qsort(ix, cnt, sizeof *ix, by_bin);
    for (size_t i = 0; i < cnt; i++) {
        b->sorted[i] = ns_agg_at(b->agg, ix[i].i);
        b->starts[i] = ix[i].start;
    }
    free(ix);
    *out = b->sorted;
    *starts = b->starts;
    *n = cnt;
    return NS_OK;
}

void ns_bins_destroy(struct ns_bins *b)
{
    if (!b)
        return;
    ns_agg_destroy(b->agg);
    free(b->sorted);
    free(b->starts);
    free(b);
}
