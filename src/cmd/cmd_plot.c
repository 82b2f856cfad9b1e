/* netsift bins --plot: the bins of one numeric field, stacked by key. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/bins.h"
#include "analysis/plot.h"
#include "cmd/sink.h"

#define MAX_PLOT_BINS 100000u

/* The key of a result as text: its key fields' values, space-separated. */
static void label_of(const struct ns_aggkey *k, const struct ns_record *r, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = 0;
    if (!k->n) {
        snprintf(buf, len, "all");
        return;
    }
    for (size_t i = 0; i < k->n && n + 1 < len; i++) {
        struct ns_value v;
        char tmp[64] = "-";
        if (ns_field_get(k->part[i].f, r, &v))
            ns_value_format(&v, 1, tmp, sizeof tmp);
        int w = snprintf(buf + n, len - n, "%s%s", i ? " " : "", tmp);
        if (w < 0)
            break;
        n += (size_t)w;
    }
}

static double value_of(const struct ns_field *f, const struct ns_record *r, int *neg)
{
    struct ns_value v;
    if (!ns_field_get(f, r, &v))
        return 0;
    double x = v.kind == NS_V_I64 ? (double)v.i : v.kind == NS_V_F64 ? v.f : (double)v.u;
    if (x < 0) { /* a net correction in this bin (loss): drawn as 0 */
        *neg = 1;
        return 0;
    }
    return x;
}

struct series {
    char label[160];
    double total;
    size_t slot; /* layer index once chosen, or SIZE_MAX */
};

static int by_total(const void *a, const void *b)
{
    const struct series *x = *(const struct series *const *)a,
                        *y = *(const struct series *const *)b;
    return (x->total < y->total) - (x->total > y->total);
}

int cmd_bins_plot(const char *path, const char *field, const struct ns_bins_opts *bo,
                  const struct ns_record *const *res, const uint64_t *starts, size_t n)
{
    const struct ns_field *f = ns_field_find(field);
    if (!f) {
        fprintf(stderr, "netsift bins: --plot-field: unknown field '%s'\n", field);
        return 1;
    }
    uint64_t w = bo->width_ns, first = n ? starts[0] : 0, last = n ? starts[n - 1] : 0;
    size_t nbins = n ? (size_t)((last - first) / w + 1) : 0;
    if (nbins > MAX_PLOT_BINS) {
        fprintf(stderr,
                "netsift bins: --plot: %zu bins is more than a chart can show (%u); use "
                "wider bins\n",
                nbins, MAX_PLOT_BINS);
        return 1;
    }
    /* Series by key label, in order of first appearance; labels are found
     * through an open-addressing index (there are at most n of them). */
    size_t ns = 0, cap = 64, nidx = 1;
    while (nidx < 2 * n + 2)
        nidx *= 2;
    struct series *s = calloc(cap, sizeof *s);
    size_t *sid = malloc((n ? n : 1) * sizeof *sid);
    size_t *idx = calloc(nidx, sizeof *idx); /* series index + 1 */
    if (!s || !sid || !idx) {
        free(s);
        free(sid);
        free(idx);
        fprintf(stderr, "netsift bins: --plot: out of memory\n");
        return 1;
    }
    int neg = 0;
    for (size_t i = 0; i < n; i++) {
        char lab[160];
        label_of(&bo->key, res[i], lab, sizeof lab);
        uint64_t h = 1469598103934665603ull;
        for (const char *c = lab; *c; c++)
            h = (h ^ (uint8_t)*c) * 1099511628211ull;
        size_t at = h & (nidx - 1);
        while (idx[at] && strcmp(s[idx[at] - 1].label, lab) != 0)
            at = (at + 1) & (nidx - 1);
        size_t j = idx[at] ? idx[at] - 1 : ns;
        if (j == ns) {
            idx[at] = ns + 1;
            if (ns == cap) {
                struct series *t = realloc(s, 2 * cap * sizeof *s);
                if (!t) {
                    free(s);
                    free(sid);
                    free(idx);
                    fprintf(stderr, "netsift bins: --plot: out of memory\n");
                    return 1;
                }
                memset(t + cap, 0, cap * sizeof *t);
                s = t;
                cap *= 2;
            }
            snprintf(s[ns].label, sizeof s[ns].label, "%s", lab);
            s[ns].total = 0;
            s[ns].slot = SIZE_MAX;
            ns++;
        }
        sid[i] = j;
        s[j].total += value_of(f, res[i], &neg);
    }
    /* The largest seven keep their own layer, in order of appearance; the
     * rest are summed into "other" (as the plot itself would fold). */
    size_t keep = ns <= NS_PLOT_MAX_SERIES ? ns : NS_PLOT_MAX_SERIES - 1;
    struct series **order = malloc((ns ? ns : 1) * sizeof(struct series *));
    double *vals = calloc((keep + 1) * (nbins ? nbins : 1), sizeof *vals);
    int status = 0;
    if (!order || !vals) {
        fprintf(stderr, "netsift bins: --plot: out of memory\n");
        status = 1;
        goto out;
    }
    for (size_t j = 0; j < ns; j++)
        order[j] = &s[j];
    qsort(order, ns, sizeof(struct series *), by_total);
    for (size_t j = 0; j < keep; j++)
        order[j]->slot = 0; /* chosen; numbered in appearance order below */
    size_t nl = 0;
    struct ns_plot_series layers[NS_PLOT_MAX_SERIES];
    for (size_t j = 0; j < ns; j++)
        if (s[j].slot == 0) {
            s[j].slot = nl;
            layers[nl] = (struct ns_plot_series){s[j].label, vals + nl * nbins};
            nl++;
        }
    char other[48];
    size_t nother = ns - keep;
    if (nother) {
        snprintf(other, sizeof other, "other (%zu keys)", nother);
        layers[nl] = (struct ns_plot_series){other, vals + nl * nbins};
    }
    for (size_t i = 0; i < n; i++) {
        size_t slot = s[sid[i]].slot == SIZE_MAX ? nl : s[sid[i]].slot;
        vals[slot * nbins + (starts[i] - first) / w] += value_of(f, res[i], &neg);
    }
    char title[200], keys[160] = "";
    ns_aggkey_fields(&bo->key, keys, sizeof keys);
    snprintf(title, sizeof title, "%s per %g s bin%s%s", f->name, (double)w / 1e9,
             bo->key.n ? ", by " : "", keys);
    struct ns_plot p = {.title = title,
                        .y_label = f->name,
                        .start_ns = first,
                        .bin_ns = w,
                        .n_bins = nbins,
                        .series = layers,
                        .n_series = nl + (nother ? 1 : 0)};
    FILE *out = fopen(path, "w");
    if (!out) {
        fprintf(stderr, "netsift bins: --plot: %s: %s\n", path, strerror(errno));
        status = 1;
        goto out;
    }
    struct ns_error err = {0};
    int rc = ns_plot_svg(out, &p, &err);
    if (fclose(out) != 0 && rc >= 0)
        rc = ns_error_set(&err, NS_EIO, "%s", strerror(errno));
    if (rc < 0) {
        fprintf(stderr, "netsift bins: --plot: %s: %s\n", path, err.msg);
        status = 1;
    }
    if (neg)
        fprintf(stderr,
                "netsift bins: --plot: bins with a negative %s (net corrections) are "
                "drawn as 0\n",
                f->name);
out:
    free(idx);
    free(order);
    free(vals);
    free(s);
    free(sid);
    return status;
}
