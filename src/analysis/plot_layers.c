/* plot_layers.c — check a plot's input and fold its series into the layers
 * that are drawn (see plot.h). */
#include "analysis/plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Okabe-Ito without black, in their order; "other" is a neutral grey. */
static const char *const palette[NS_PLOT_MAX_SERIES - 1] = {
    "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
};

const char *ns_plot_colour(int i)
{
    if (i < 0 || i >= NS_PLOT_MAX_SERIES - 1)
        return "#999999";
    return palette[i];
}

struct rank {
    double total;
    size_t idx;
};

/* Largest total first; the earlier series wins a tie, so the choice does not
 * depend on qsort's order among equals. */
static int by_total(const void *a, const void *b)
{
    const struct rank *x = a, *y = b;
    if (x->total != y->total)
        return x->total > y->total ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int check(const struct ns_plot *p, struct ns_error *err)
{
    if (!p)
        return ns_error_set(err, NS_EINVAL, "plot: no plot");
    unsigned w = p->width ? p->width : NS_PLOT_DEFAULT_WIDTH;
    unsigned h = p->height ? p->height : NS_PLOT_DEFAULT_HEIGHT;
    if (w < NS_PLOT_MIN_WIDTH || h < NS_PLOT_MIN_HEIGHT || w > NS_PLOT_MAX_DIM ||
        h > NS_PLOT_MAX_DIM)
        return ns_error_set(err, NS_EINVAL, "plot: size %ux%u outside %ux%u..%ux%u", w, h,
                            NS_PLOT_MIN_WIDTH, NS_PLOT_MIN_HEIGHT, NS_PLOT_MAX_DIM,
                            NS_PLOT_MAX_DIM);
    if (p->max_series > NS_PLOT_MAX_SERIES)
        return ns_error_set(err, NS_EINVAL,
                            "plot: at most %d series can be told apart by colour (asked %zu)",
                            NS_PLOT_MAX_SERIES, p->max_series);
    if (!p->n_bins)
        return NS_OK;
    if (!p->bin_ns)
        return ns_error_set(err, NS_EINVAL, "plot: bin width 0");
    if (p->n_bins > UINT64_MAX / p->bin_ns ||
        p->start_ns > UINT64_MAX - (uint64_t)p->n_bins * p->bin_ns)
        return ns_error_set(err, NS_EINVAL, "plot: %zu bins of %llu ns end after 2^64 ns",
                            p->n_bins, (unsigned long long)p->bin_ns);
    if (p->n_series && !p->series)
        return ns_error_set(err, NS_EINVAL, "plot: no series array");
    for (size_t s = 0; s < p->n_series; s++)
        if (!p->series[s].label || !p->series[s].values)
            return ns_error_set(err, NS_EINVAL, "plot: series %zu has no %s", s,
                                p->series[s].label ? "values" : "label");
    /* Bin-major, so that a bin's stacked total is checked while summed. */
    for (size_t i = 0; i < p->n_bins; i++) {
        double col = 0;
        for (size_t s = 0; s < p->n_series; s++) {
            double v = p->series[s].values[i];
            if (!(v >= 0) || !isfinite(v))
                return ns_error_set(err, NS_EINVAL,
                                    "plot: series '%s' bin %zu: %g is not a finite number >= 0",
                                    p->series[s].label, i, v);
            col += v;
        }
        if (col > NS_PLOT_VALUE_MAX)
            return ns_error_set(err, NS_EINVAL, "plot: bin %zu total %g above %g", i, col,
                                NS_PLOT_VALUE_MAX);
    }
    return NS_OK;
}

static double sum(const double *v, size_t n)
{
    double t = 0;
    for (size_t i = 0; i < n; i++)
        t += v[i];
    return t;
}

int ns_plot_layers(const struct ns_plot *p, struct ns_plot_layers *l, struct ns_error *err)
{
    memset(l, 0, sizeof *l);
    int rc = check(p, err);
    if (rc < 0 || !p->n_bins || !p->n_series)
        return rc;
    size_t max = p->max_series ? p->max_series : NS_PLOT_MAX_SERIES;
    if (p->n_series <= max) {
        for (size_t s = 0; s < p->n_series; s++)
            l->layer[s] = (struct ns_plot_layer){p->series[s].label, p->series[s].values,
                                                 sum(p->series[s].values, p->n_bins), (int)s, 1};
        l->n = p->n_series;
        return NS_OK;
    }
    struct rank *r = malloc(p->n_series * sizeof *r);
    l->other = calloc(p->n_bins, sizeof *l->other);
    if (!r || !l->other) {
        free(r);
        ns_plot_layers_free(l);
        return ns_error_set(err, NS_ENOMEM, "plot: folding %zu series of %zu bins", p->n_series,
                            p->n_bins);
    }
    for (size_t s = 0; s < p->n_series; s++)
        r[s] = (struct rank){sum(p->series[s].values, p->n_bins), s};
    qsort(r, p->n_series, sizeof *r, by_total);
    /* The kept ones go back to their stacking order (at most 7: insertion). */
    size_t keep = max - 1;
    for (size_t i = 1; i < keep; i++)
        for (size_t j = i; j > 0 && r[j - 1].idx > r[j].idx; j--) {
            struct rank t = r[j];
            r[j] = r[j - 1];
            r[j - 1] = t;
        }
    for (size_t k = 0; k < keep; k++) {
        const struct ns_plot_series *s = &p->series[r[k].idx];
        l->layer[k] = (struct ns_plot_layer){s->label, s->values, r[k].total, (int)k, 1};
    }
    for (size_t k = keep; k < p->n_series; k++) {
        const double *v = p->series[r[k].idx].values;
        for (size_t i = 0; i < p->n_bins; i++)
            l->other[i] += v[i];
    }
    free(r);
    snprintf(l->other_label, sizeof l->other_label, "other (%zu series)", p->n_series - keep);
    l->layer[keep] = (struct ns_plot_layer){l->other_label, l->other, sum(l->other, p->n_bins), -1,
                                            p->n_series - keep};
    l->n = keep + 1;
    return NS_OK;
}

void ns_plot_layers_free(struct ns_plot_layers *l)
{
    free(l->other);
    l->other = NULL;
    l->n = 0;
}
