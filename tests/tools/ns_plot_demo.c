/*
 * ns_plot_demo — test tool: write a set of deterministic plots, edge cases
 * included, as OUTDIR/<name>.svg.  Usage: ns_plot_demo OUTDIR
 * Prints one line per file, "<name> total=<sum of every input value>", for
 * tests/regress/plot_xml.sh, which knows the element counts to expect.
 * example.svg is docs/plot-example.svg.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/plot.h"

#define MAXS 12

static uint64_t rng = 0x9E3779B97F4A7C15ull;

/* xorshift64: the same numbers on every platform. */
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

struct demo {
    struct ns_plot p;
    struct ns_plot_series s[MAXS];
    double *v[MAXS];
};

/* Series s of `n` bins: a level that falls with s, a slow swell and noise,
 * in whole units, at least `min`. */
static void fill(struct demo *d, const char *const *labels, size_t ns, size_t n, double scale,
                 double min)
{
    d->p.n_bins = n;
    d->p.n_series = ns;
    d->p.series = d->s;
    for (size_t s = 0; s < ns; s++) {
        d->v[s] = malloc((n ? n : 1) * sizeof(double));
        for (size_t i = 0; i < n; i++) {
            double swell = 1 + 0.6 * (double)((i / 7 + s) % 5) / 4;
            double noise = (double)(next() % 1000) / 1000;
            double v = scale / (double)(s + 1) * swell * (0.5 + noise);
            d->v[s][i] = (double)(uint64_t)v + min;
        }
        d->s[s] = (struct ns_plot_series){labels[s], d->v[s]};
    }
}

static int write(const char *dir, const char *name, struct demo *d)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.svg", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    struct ns_error err = {0};
    int rc = ns_plot_svg(f, &d->p, &err);
    fclose(f);
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", name, err.msg);
        return 1;
    }
    double total = 0;
    for (size_t s = 0; s < d->p.n_series; s++) {
        for (size_t i = 0; i < d->p.n_bins; i++)
            total += d->v[s][i];
        free(d->v[s]);
    }
    printf("%s total=%.0f\n", name, total);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    static const char *const protos[] = {"tcp",  "udp",  "icmp", "ipv6-icmp", "esp",  "gre",
                                         "sctp", "igmp", "pim",  "ospf",      "l2tp", "vrrp"};
    static const char *const hosts[] = {"10.0.0.1", "2001:db8::8a2e:370:7334", "192.168.1.20",
                                        "198.51.100.7"};
    static const char *const weird[] = {
        "<script>alert('x & \"y\"')</script>",
        "bad \xff\xfe bytes \x01\x1f ctl \xed\xa0\x80 surrogate",
        "\xc3\xbcn\xc3\xaf"
        "c\xc3\xb8"
        "d\xc3\xa9 \xe2\x86\x92 ok",
        "a-very-long-label-that-will-not-fit-into-the-legend-column-at-all-0123456789",
    };
    const uint64_t t0 = 1709625600ull * 1000000000ull; /* 2024-03-05 08:00:00 UTC */
    const uint64_t min = 60ull * 1000000000ull;
    int bad = 0;

    /* The docs example: an hour of one-minute bars, ten protocols, the
     * three smallest folded into "other". */
    struct demo d = {.p = {.title = "octets per 60 s bin, by proto",
                           .y_label = "bytes",
                           .start_ns = t0,
                           .bin_ns = min}};
    fill(&d, protos, 10, 60, 4e6, 1);
    bad |= write(dir, "example", &d);

    /* A day of minutes: areas, with per-bin tooltip columns. */
    d = (struct demo){.p = {.title = "packets per minute, top hosts",
                            .y_label = "packets",
                            .start_ns = t0,
                            .bin_ns = min}};
    fill(&d, hosts, 4, 1440, 5000, 1);
    bad |= write(dir, "areas", &d);

    /* 5000 minutes, 12 series folded to 5 layers: areas, no columns. */
    d = (struct demo){.p = {.title = "octets, long span",
                            .y_label = "bytes",
                            .start_ns = t0,
                            .bin_ns = min,
                            .max_series = 5,
                            .width = 1200,
                            .height = 500}};
    fill(&d, protos, 12, 5000, 2e9, 1);
    bad |= write(dir, "long", &d);

    d = (struct demo){.p = {.title = "no bins", .y_label = "bytes", .start_ns = t0, .bin_ns = min}};
    fill(&d, protos, 2, 0, 1, 0);
    bad |= write(dir, "empty", &d);

    d = (struct demo){.p = {.title = "no series", .start_ns = t0, .bin_ns = min}};
    fill(&d, protos, 0, 5, 1, 0);
    bad |= write(dir, "noseries", &d);

    d = (struct demo){
        .p = {.title = "all zero", .y_label = "bytes", .start_ns = t0, .bin_ns = min}};
    fill(&d, protos, 3, 10, 0, 0);
    bad |= write(dir, "zeros", &d);

    d = (struct demo){.p = {.title = "one bin",
                            .y_label = "bytes",
                            .start_ns = t0,
                            .bin_ns = 3600ull * 1000000000ull}};
    fill(&d, protos, 2, 1, 1000, 1);
    bad |= write(dir, "one", &d);

    d = (struct demo){.p = {.title = "huge", .y_label = "bytes", .start_ns = t0, .bin_ns = min}};
    fill(&d, protos, 2, 5, 0, 0);
    for (size_t s = 0; s < 2; s++)
        for (size_t i = 0; i < 5; i++)
            d.v[s][i] = 1e18;
    bad |= write(dir, "huge", &d);

    d = (struct demo){.p = {.title = "escapes: <&> \"'\" \xff",
                            .y_label = "<bytes>",
                            .start_ns = t0,
                            .bin_ns = min,
                            .width = 320,
                            .height = 200}};
    fill(&d, weird, 4, 4, 100, 1);
    bad |= write(dir, "escape", &d);

    /* Half a second of 10 ms bins: sub-second tick labels. */
    d = (struct demo){.p = {.title = "10 ms bins",
                            .y_label = "packets",
                            .start_ns = t0 + 250000000,
                            .bin_ns = 10000000}};
    fill(&d, hosts, 2, 50, 30, 1);
    bad |= write(dir, "subsec", &d);
    return bad;
}
