/*
 * analysis/plot: the axis numbers (nice ticks, SI labels, time steps, UTC
 * dates) on tables of exact values and against naive references; XML
 * escaping byte for byte; folding into "other" (totals kept, the largest
 * series kept in stacking order) against a naive reference on random input;
 * and properties of the SVG text itself (stacking, counts, edge cases,
 * rejected input writes nothing, write errors are reported).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/plot.h"

static uint64_t rnd_state = 88172645463325252ull;

static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

/* ---- nice ticks ---- */

static void nice_ticks_table(void **state)
{
    static const struct {
        double max;
        int maxn;
        double step;
        int n;
    } t[] = {
        {0, 8, 1, 1},
        {1e-201, 8, 1, 1},
        {1, 8, 0.2, 5},
        {7, 8, 1, 7},
        {8, 8, 1, 8},
        {9, 8, 2, 5},
        {0.3, 8, 0.05, 6},
        {0.7, 8, 0.1, 7},
        {999, 8, 200, 5},
        {1000, 8, 200, 5},
        {1001, 8, 200, 6},
        {1600, 8, 200, 8},
        {1601, 8, 500, 4},
        {1234, 5, 500, 3},
        {1e18, 8, 2e17, 5},
        {12, 1, 20, 1},
        {5, 2, 5, 1},
        {0.003, 6, 5e-4, 6},
        {123456789, 10, 2e7, 7},
        {0.1 * 6, 9, 0.1, 6}, /* 0.6000000000000001: a hair above 6 steps */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        double step = -1;
        int n = -1;
        assert_int_equal(ns_plot_nice_ticks(t[i].max, t[i].maxn, &step, &n), NS_OK);
        if (step != t[i].step || n != t[i].n)
            fail_msg("max %g: step %.17g n %d, want %g %d", t[i].max, step, n, t[i].step, t[i].n);
    }
}

static void nice_ticks_reject(void **state)
{
    double step;
    int n;
    assert_int_equal(ns_plot_nice_ticks(NAN, 8, &step, &n), NS_EINVAL);
    assert_int_equal(ns_plot_nice_ticks(-1, 8, &step, &n), NS_EINVAL);
    assert_int_equal(ns_plot_nice_ticks(INFINITY, 8, &step, &n), NS_EINVAL);
    assert_int_equal(ns_plot_nice_ticks(1.1e300, 8, &step, &n), NS_EINVAL);
    assert_int_equal(ns_plot_nice_ticks(5, 0, &step, &n), NS_EINVAL);
    assert_int_equal(ns_plot_nice_ticks(1e300, 8, &step, &n), NS_OK);
    assert_true(isfinite(step * n) && step * n >= 1e300);
}

/* Reference: try every {1,2,5} x 10^k from small to large; the first that
 * covers max in at most maxn intervals (with the fast one's tolerance for a
 * quotient a hair above a whole number). */
static void ref_ticks(double max, int maxn, double *step, int *n)
{
    for (int k = -40; k < 40; k++)
        for (int m = 1; m <= 5; m += m == 1 ? 1 : 3) {
            double s = k < 0 ? m / pow(10, -k) : m * pow(10, k);
            double q = max / s, c = ceil(q);
            if (c - q > 1 - 1e-9)
                c--;
            if (c < 1)
                c = 1;
            if (c <= maxn) {
                *step = s;
                *n = (int)c;
                return;
            }
        }
}

static void nice_ticks_vs_reference(void **state)
{
    for (int i = 0; i < 20000; i++) {
        /* mantissa x 10^e for e in -20..20, often a round number */
        double max = (double)(rnd() % 100000) / (rnd() % 2 ? 1000 : 1);
        max *= pow(10, (double)(rnd() % 41) - 20);
        int maxn = 1 + (int)(rnd() % 12);
        double step, rstep = 0;
        int n, rn = 0;
        assert_int_equal(ns_plot_nice_ticks(max, maxn, &step, &n), NS_OK);
        if (max < 1e-200)
            continue;
        ref_ticks(max, maxn, &rstep, &rn);
        if (n != rn || fabs(step - rstep) > 1e-9 * rstep)
            fail_msg("max %.17g maxn %d: %.17g x %d, reference %.17g x %d", max, maxn, step, n,
                     rstep, rn);
        /* the axis covers max and no interval is wasted */
        assert_true(n >= 1 && n <= maxn);
        assert_true(step * n >= max * (1 - 1e-9));
        assert_true(step * (n - 1) < max || n == 1);
    }
}

/* ---- SI labels ---- */

static void si_table(void **state)
{
    static const struct {
        double v;
        const char *s;
    } t[] = {
        {0, "0"},         {1, "1"},         {12.34, "12.3"},  {999, "999"},
        {999.4, "999"},   {999.7, "1k"},    {1000, "1k"},     {1500, "1.5k"},
        {12345, "12.3k"}, {999600, "1M"},   {2.5e6, "2.5M"},  {123456789, "123M"},
        {1e9, "1G"},      {3.2e12, "3.2T"}, {4e15, "4P"},     {1e18, "1E"},
        {2e18, "2E"},     {999e18, "999E"}, {1e21, "1e+21"},  {0.5, "0.5"},
        {0.001, "0.001"}, {-1500, "-1.5k"}, {200e15, "200P"}, {-0.0, "0"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char buf[NS_PLOT_SI_LEN];
        ns_plot_si(buf, sizeof buf, t[i].v);
        if (strcmp(buf, t[i].s))
            fail_msg("%.17g: '%s', want '%s'", t[i].v, buf, t[i].s);
    }
    char small[4];
    ns_plot_si(small, sizeof small, 1500);
    assert_string_equal(small, "1.5");
}

/* ---- time ---- */

static void time_table(void **state)
{
    static const struct {
        uint64_t ns;
        char what;
        int frac;
        const char *s;
    } t[] = {
        {0, 'F', 0, "1970-01-01 00:00:00"},
        {951782400ull * 1000000000, 'F', 0, "2000-02-29 00:00:00"},
        {951868799ull * 1000000000, 'F', 0, "2000-02-29 23:59:59"},
        {4107542400ull * 1000000000, 'F', 0, "2100-03-01 00:00:00"},
        {1709625600ull * 1000000000 + 123456789, 'F', 3, "2024-03-05 08:00:00.123"},
        {1709625600ull * 1000000000 + 123456789, 'F', 6, "2024-03-05 08:00:00.123456"},
        {1709625600ull * 1000000000 + 123456789, 'F', 9, "2024-03-05 08:00:00.123456789"},
        {1709631245ull * 1000000000 + 5000000, 'T', 3, "09:34:05.005"},
        {1709631245ull * 1000000000, 'T', 0, "09:34:05"},
        {1709631245ull * 1000000000, 'D', 9, "2024-03-05 09:34"},
        {UINT64_MAX, 'F', 9, "2554-07-21 23:34:33.709551615"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char buf[NS_PLOT_TIME_LEN];
        ns_plot_time(buf, sizeof buf, t[i].ns, t[i].what, t[i].frac);
        assert_string_equal(buf, t[i].s);
    }
}

/* The date arithmetic against the C library's gmtime_r. */
static void time_vs_gmtime(void **state)
{
    for (int i = 0; i < 20000; i++) {
        time_t s = (time_t)(rnd() % (UINT64_MAX / 1000000000));
        struct tm tm;
        if (!gmtime_r(&s, &tm))
            continue;
        char want[64], got[NS_PLOT_TIME_LEN];
        snprintf(want, sizeof want, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        ns_plot_time(got, sizeof got, (uint64_t)s * 1000000000, 'F', 0);
        assert_string_equal(got, want);
    }
}

static void time_step_table(void **state)
{
    const uint64_t S = 1000000000, D = 86400 * S;
    static const struct {
        uint64_t span;
        unsigned maxl;
        uint64_t step;
    } t[] = {
        {3600 * 1000000000ull, 8, 600 * 1000000000ull},
        {60 * 1000000000ull, 8, 10 * 1000000000ull},
        {45 * 1000000000ull, 3, 15 * 1000000000ull},
        {86400 * 1000000000ull, 6, 21600 * 1000000000ull},
        {1000000000, 10, 100000000},
        {1, 1, 1},
        {7, 2, 5},
        {3 * 86400 * 1000000000ull, 2, 2 * 86400 * 1000000000ull},
        {1000 * 86400 * 1000000000ull, 10, 100 * 86400 * 1000000000ull},
        {UINT64_MAX, 1, UINT64_MAX},
        {3600 * 1000000000ull, 0, 3600 * 1000000000ull},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (ns_plot_time_step(t[i].span, t[i].maxl) != t[i].step)
            fail_msg("span %llu: %llu", (unsigned long long)t[i].span,
                     (unsigned long long)ns_plot_time_step(t[i].span, t[i].maxl));
    /* whatever the span: few enough labels, and no step a tenth as large would do */
    for (int i = 0; i < 10000; i++) {
        uint64_t span = 1 + rnd() % (rnd() % 2 ? 1000 * D : 100 * S);
        unsigned maxl = 1 + (unsigned)(rnd() % 15);
        uint64_t st = ns_plot_time_step(span, maxl);
        assert_true(span <= st * maxl);
        assert_true(st < 10 || span > st / 10 * maxl || st / 10 == 0);
    }
}

/* ---- XML text ---- */

static char *xml(const char *s, size_t max, size_t *chars)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    size_t n = ns_plot_xml_text(f, s, max);
    fclose(f);
    if (chars)
        *chars = n;
    return buf;
}

static void xml_escaping(void **state)
{
    static const struct {
        const char *in;
        size_t max;
        const char *out;
        size_t chars;
    } t[] = {
        {"10.0.0.1", SIZE_MAX, "10.0.0.1", 8},
        {"a<b>&\"'", SIZE_MAX, "a&lt;b&gt;&amp;&quot;&apos;", 7},
        {"]]>", SIZE_MAX, "]]&gt;", 3},
        {"\x01x\x7f\t\n", SIZE_MAX, "\xEF\xBF\xBDx\x7f\t\n", 5},
        {"\xff", SIZE_MAX, "\xEF\xBF\xBD", 1},
        {"\xc0\xaf", SIZE_MAX, "\xEF\xBF\xBD\xEF\xBF\xBD", 2},                 /* overlong '/' */
        {"\xed\xa0\x80", SIZE_MAX, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 3}, /* surrogate */
        {"\xf4\x90\x80\x80", SIZE_MAX, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 4},
        {"a\xe2\x82", SIZE_MAX, "a\xEF\xBF\xBD\xEF\xBF\xBD", 3}, /* cut at the end */
        {"\xef\xbf\xbe", SIZE_MAX, "\xEF\xBF\xBD", 1},           /* U+FFFE */
        {"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", SIZE_MAX, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
         3},
        {"abcdef", 4, "abc\xE2\x80\xA6", 4},
        {"abcdef", 6, "abcdef", 6},
        {"abcdef", 0, "", 0},
        {"\xc3\xa9\xc3\xa9\xc3\xa9", 2, "\xc3\xa9\xE2\x80\xA6", 2},
        {"<<<", 2, "&lt;\xE2\x80\xA6", 2},
        {"", SIZE_MAX, "", 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        size_t chars;
        char *out = xml(t[i].in, t[i].max, &chars);
        assert_string_equal(out, t[i].out);
        assert_int_equal(chars, t[i].chars);
        if (t[i].max == SIZE_MAX)
            assert_int_equal(ns_plot_text_chars(t[i].in), t[i].chars);
        free(out);
    }
}

/* Random bytes always come out as text an XML parser takes: no raw markup
 * characters, no forbidden controls, and well-formed UTF-8 throughout. */
static void xml_random_bytes(void **state)
{
    for (int i = 0; i < 5000; i++) {
        char in[24];
        size_t n = rnd() % sizeof in;
        for (size_t k = 0; k < n; k++)
            in[k] = (char)(1 + rnd() % 255);
        in[n] = 0;
        char *out = xml(in, SIZE_MAX, NULL);
        assert_null(strpbrk(out, "<>\"'"));
        for (const unsigned char *u = (const unsigned char *)out; *u;) {
            if (*u == '&') {
                assert_true(!strncmp((const char *)u, "&lt;", 4) ||
                            !strncmp((const char *)u, "&gt;", 4) ||
                            !strncmp((const char *)u, "&amp;", 5) ||
                            !strncmp((const char *)u, "&quot;", 6) ||
                            !strncmp((const char *)u, "&apos;", 6));
                u++;
                continue;
            }
            assert_true(*u >= 0x20 || *u == '\t' || *u == '\n' || *u == '\r');
            if (*u < 0x80) {
                u++;
                continue;
            }
            /* a lead byte and its continuation bytes */
            size_t len = *u >= 0xF0 ? 4 : *u >= 0xE0 ? 3 : 2;
            assert_true(*u >= 0xC2 && *u <= 0xF4);
            for (size_t k = 1; k < len; k++)
                assert_true(u[k] >= 0x80 && u[k] <= 0xBF);
            u += len;
        }
        free(out);
    }
}

/* ---- folding into layers ---- */

#define MAXB 64
#define MAXS 16

struct input {
    struct ns_plot p;
    struct ns_plot_series s[MAXS];
    double v[MAXS][MAXB];
    char label[MAXS][16];
};

static void input_init(struct input *in, size_t nseries, size_t nbins)
{
    memset(in, 0, sizeof *in);
    in->p = (struct ns_plot){.title = "t",
                             .y_label = "bytes",
                             .start_ns = 1709625600ull * 1000000000,
                             .bin_ns = 60ull * 1000000000,
                             .n_bins = nbins,
                             .series = in->s,
                             .n_series = nseries};
    for (size_t s = 0; s < nseries; s++) {
        snprintf(in->label[s], sizeof in->label[s], "s%zu", s);
        in->s[s] = (struct ns_plot_series){in->label[s], in->v[s]};
    }
}

static void fold_none(void **state)
{
    struct input in;
    input_init(&in, 3, 4);
    for (size_t s = 0; s < 3; s++)
        for (size_t i = 0; i < 4; i++)
            in.v[s][i] = (double)(s * 10 + i);
    struct ns_plot_layers l;
    struct ns_error err;
    assert_int_equal(ns_plot_layers(&in.p, &l, &err), NS_OK);
    assert_int_equal(l.n, 3);
    assert_null(l.other);
    for (size_t s = 0; s < 3; s++) {
        assert_string_equal(l.layer[s].label, in.label[s]);
        assert_ptr_equal(l.layer[s].values, in.v[s]);
        assert_int_equal(l.layer[s].colour, (int)s);
        assert_int_equal(l.layer[s].folded, 1);
        assert_true(l.layer[s].total == (double)(s * 40 + 6));
    }
    ns_plot_layers_free(&l);
}

static void fold_other(void **state)
{
    /* totals: s0 10, s1 50, s2 30, s3 50, s4 20, s5 40; keep the three
     * largest (s1, s3, s5; s3 and s1 tie and both fit) in their order */
    static const double tot[] = {10, 50, 30, 50, 20, 40};
    struct input in;
    input_init(&in, 6, 2);
    in.p.max_series = 4;
    for (size_t s = 0; s < 6; s++) {
        in.v[s][0] = tot[s] - 1;
        in.v[s][1] = 1;
    }
    struct ns_plot_layers l;
    struct ns_error err;
    assert_int_equal(ns_plot_layers(&in.p, &l, &err), NS_OK);
    assert_int_equal(l.n, 4);
    assert_string_equal(l.layer[0].label, "s1");
    assert_string_equal(l.layer[1].label, "s3");
    assert_string_equal(l.layer[2].label, "s5");
    assert_string_equal(l.layer[3].label, "other (3 series)");
    assert_int_equal(l.layer[3].colour, -1);
    assert_int_equal(l.layer[3].folded, 3);
    assert_true(l.layer[3].total == 60);
    assert_true(l.other[0] == 9 + 29 + 19 && l.other[1] == 3);
    for (size_t j = 0; j < 3; j++)
        assert_int_equal(l.layer[j].colour, (int)j);
    ns_plot_layers_free(&l);
    assert_null(l.other);

    /* a tie at the cut: the earlier series stays */
    in.p.max_series = 2;
    in.v[3][0] = 49;
    assert_int_equal(ns_plot_layers(&in.p, &l, &err), NS_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.layer[0].label, "s1");
    assert_string_equal(l.layer[1].label, "other (5 series)");
    ns_plot_layers_free(&l);

    /* max_series 1: everything is "other"; n_series == max_series: nothing is */
    in.p.max_series = 1;
    assert_int_equal(ns_plot_layers(&in.p, &l, &err), NS_OK);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.layer[0].label, "other (6 series)");
    ns_plot_layers_free(&l);
    in.p.max_series = 6;
    assert_int_equal(ns_plot_layers(&in.p, &l, &err), NS_OK);
    assert_int_equal(l.n, 6);
    assert_null(l.other);
    ns_plot_layers_free(&l);
}

/* Reference: series s is kept iff fewer than keep series rank before it
 * (larger total, or equal total and earlier). */
static void fold_vs_reference(void **state)
{
    for (int iter = 0; iter < 3000; iter++) {
        struct input in;
        size_t ns = 1 + rnd() % MAXS, nb = 1 + rnd() % MAXB;
        input_init(&in, ns, nb);
        in.p.max_series = rnd() % 9; /* 0 = default 8 */
        for (size_t s = 0; s < ns; s++)
            for (size_t i = 0; i < nb; i++)
                in.v[s][i] = rnd() % 3 ? (double)(rnd() % (rnd() % 2 ? 4 : 100000)) : 0;
        struct ns_plot_layers l;
        struct ns_error err;
        assert_int_equal(ns_plot_layers(&in.p, &l, &err), NS_OK);
        size_t max = in.p.max_series ? in.p.max_series : NS_PLOT_MAX_SERIES;
        size_t keep = ns <= max ? ns : max - 1;
        assert_int_equal(l.n, ns <= max ? ns : max);
        double tot[MAXS];
        for (size_t s = 0; s < ns; s++) {
            tot[s] = 0;
            for (size_t i = 0; i < nb; i++)
                tot[s] += in.v[s][i];
        }
        size_t j = 0;
        for (size_t s = 0; s < ns; s++) {
            size_t before = 0;
            for (size_t r = 0; r < ns; r++)
                before += tot[r] > tot[s] || (tot[r] == tot[s] && r < s);
            if (before < keep) {
                assert_true(j < keep);
                assert_ptr_equal(l.layer[j].values, in.v[s]); /* stacking order kept */
                j++;
            }
        }
        assert_int_equal(j, keep);
        /* the drawn values add up to the input, bin by bin and in all */
        double all_in = 0, all_drawn = 0;
        for (size_t i = 0; i < nb; i++) {
            double a = 0, b = 0;
            for (size_t s = 0; s < ns; s++)
                a += in.v[s][i];
            for (size_t k = 0; k < l.n; k++)
                b += l.layer[k].values[i];
            assert_true(a == b);
            all_in += a;
            all_drawn += b;
        }
        double layer_totals = 0;
        for (size_t k = 0; k < l.n; k++)
            layer_totals += l.layer[k].total;
        assert_true(all_in == all_drawn && all_in == layer_totals);
        ns_plot_layers_free(&l);
    }
}

/* ---- the SVG ---- */

static char *svg(const struct ns_plot *p, int *rc, struct ns_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    *rc = ns_plot_svg(f, p, err);
    fclose(f);
    return buf;
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *q = strstr(s, what); q; q = strstr(q + 1, what))
        n++;
    return n;
}

static double attr(const char *at, const char *name)
{
    char key[16];
    snprintf(key, sizeof key, " %s=\"", name);
    const char *q = strstr(at, key);
    assert_non_null(q);
    return strtod(q + strlen(key), NULL);
}

static void svg_rejects_and_writes_nothing(void **state)
{
    struct input in;
    input_init(&in, 2, 3);
    in.v[1][2] = NAN;
    int rc;
    struct ns_error err = {0};
    char *out = svg(&in.p, &rc, &err);
    assert_int_equal(rc, NS_EINVAL);
    assert_string_equal(out, "");
    assert_non_null(strstr(err.msg, "series 's1' bin 2"));
    free(out);

    struct {
        double bad;
    } vals[] = {{-1}, {INFINITY}, {-INFINITY}, {6e299}};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        input_init(&in, 2, 3);
        in.v[0][1] = vals[i].bad;
        in.v[1][1] = vals[i].bad; /* 6e299 twice: a bin total above the limit */
        out = svg(&in.p, &rc, &err);
        assert_int_equal(rc, NS_EINVAL);
        assert_string_equal(out, "");
        free(out);
    }
    /* shape errors */
    struct ns_plot bad[7];
    for (size_t i = 0; i < 7; i++) {
        input_init(&in, 2, 3);
        bad[i] = in.p;
    }
    bad[0].bin_ns = 0;
    bad[1].start_ns = UINT64_MAX - 100;
    bad[2].bin_ns = UINT64_MAX / 2;
    bad[3].max_series = NS_PLOT_MAX_SERIES + 1;
    bad[4].width = NS_PLOT_MIN_WIDTH - 1;
    bad[5].height = NS_PLOT_MAX_DIM + 1;
    bad[6].series = NULL;
    for (size_t i = 0; i < 7; i++) {
        out = svg(&bad[i], &rc, &err);
        if (rc != NS_EINVAL || *out)
            fail_msg("case %zu: rc %d, %zu bytes", i, rc, strlen(out));
        free(out);
    }
    input_init(&in, 2, 3);
    in.s[1].label = NULL;
    out = svg(&in.p, &rc, &err);
    assert_int_equal(rc, NS_EINVAL);
    free(out);
    input_init(&in, 2, 3);
    in.s[0].values = NULL;
    out = svg(&in.p, &rc, &err);
    assert_int_equal(rc, NS_EINVAL);
    free(out);
}

static void svg_no_data(void **state)
{
    struct input in;
    input_init(&in, 2, 0);
    in.p.title = "a&b";
    in.p.bin_ns = 0; /* not looked at without bins */
    int rc;
    struct ns_error err;
    char *out = svg(&in.p, &rc, &err);
    assert_int_equal(rc, NS_OK);
    assert_true(!strncmp(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 44));
    assert_non_null(strstr(out, ">no data</text>"));
    assert_non_null(strstr(out, "<title>a&amp;b</title>"));
    assert_int_equal(count(out, "<rect class=\"bar\""), 0);
    assert_int_equal(count(out, "legend-entry"), 0);
    assert_string_equal(out + strlen(out) - 7, "</svg>\n");
    free(out);
    input_init(&in, 0, 5); /* bins but no series */
    out = svg(&in.p, &rc, &err);
    assert_int_equal(rc, NS_OK);
    assert_non_null(strstr(out, ">no data</text>"));
    free(out);
}

static void svg_stacking(void **state)
{
    struct input in;
    input_init(&in, 3, 1);
    in.v[0][0] = 100;
    in.v[1][0] = 200;
    in.v[2][0] = 300;
    int rc;
    struct ns_error err;
    char *out = svg(&in.p, &rc, &err);
    assert_int_equal(rc, NS_OK);
    assert_int_equal(count(out, "<rect class=\"bar\""), 3);
    /* y axis 0..600 in steps of 100 (ten intervals allowed at 480 px) */
    assert_non_null(strstr(out, ">600</text>"));
    assert_null(strstr(out, ">700</text>"));
    /* bars in series order, each sitting on the one before, heights 1:2:3 */
    const char *b[3];
    b[0] = strstr(out, "<rect class=\"bar\"");
    b[1] = strstr(b[0] + 1, "<rect class=\"bar\"");
    b[2] = strstr(b[1] + 1, "<rect class=\"bar\"");
    assert_non_null(strstr(b[0], "<title>s0\n2024-03-05 08:00:00 UTC\n100 bytes</title>"));
    assert_true(strstr(b[0], "<title>s0") < b[1]);
    assert_true(strstr(b[1], "<title>s1") < b[2]);
    assert_non_null(strstr(b[2], "<title>s2\n2024-03-05 08:00:00 UTC\n300 bytes</title>"));
    double y0 = attr(b[0], "y"), h0 = attr(b[0], "height");
    double y1 = attr(b[1], "y"), h1 = attr(b[1], "height");
    double y2 = attr(b[2], "y"), h2 = attr(b[2], "height");
    assert_true(y0 > y1 && y1 > y2);
    assert_true(fabs(y1 + h1 - y0) < 0.02 && fabs(y2 + h2 - y1) < 0.02);
    assert_true(fabs(h1 - 2 * h0) < 0.03 && fabs(h2 - 3 * h0) < 0.03);
    assert_true(fabs(y2 - 34) < 0.02); /* the top of the stack is the top of the axis */
    assert_int_equal(strncmp(strstr(b[0], " fill=\"") + 7, "#E69F00", 7), 0); /* palette[0] */
    /* legend: top of the stack first */
    const char *l2 = strstr(out, "<g class=\"legend-entry\"><title>s2</title>");
    const char *l1 = strstr(out, "<g class=\"legend-entry\"><title>s1</title>");
    const char *l0 = strstr(out, "<g class=\"legend-entry\"><title>s0</title>");
    assert_true(l2 && l1 && l0 && l2 < l1 && l1 < l0);
    free(out);
}

static void svg_counts_and_modes(void **state)
{
    struct input in;
    int rc;
    struct ns_error err;
    /* bars: one rect per non-zero cell */
    input_init(&in, 4, 50);
    size_t cells = 0;
    for (size_t s = 0; s < 4; s++)
        for (size_t i = 0; i < 50; i++) {
            in.v[s][i] = rnd() % 3 ? (double)(rnd() % 1000) : 0;
            cells += in.v[s][i] > 0;
        }
    char *out = svg(&in.p, &rc, &err);
    assert_int_equal(rc, NS_OK);
    assert_int_equal(count(out, "<rect class=\"bar\""), cells);
    assert_int_equal(count(out, "<path class=\"area\""), 0);
    assert_int_equal(count(out, "<g class=\"legend-entry\""), 4);
    free(out);

    /* all zero: axis 0..1, no bars, legend still there */
    memset(in.v, 0, sizeof in.v);
    out = svg(&in.p, &rc, &err);
    assert_int_equal(rc, NS_OK);
    assert_int_equal(count(out, "<rect class=\"bar\""), 0);
    assert_non_null(strstr(out, ">1</text>"));
    assert_int_equal(count(out, "<g class=\"legend-entry\""), 4);
    free(out);
}

static void svg_areas(void **state)
{
    static double v[3][NS_PLOT_MAX_COLUMNS + 1];
    static const char *const names[3] = {"a", "b", "c"};
    struct ns_plot_series s[3];
    for (size_t k = 0; k < 3; k++) {
        for (size_t i = 0; i <= NS_PLOT_MAX_COLUMNS; i++)
            v[k][i] = (double)((i * 7 + k * 13) % 50);
        s[k] = (struct ns_plot_series){names[k], v[k]};
    }
    struct ns_plot p = {.title = "areas",
                        .start_ns = 0,
                        .bin_ns = 1000000000,
                        .n_bins = NS_PLOT_BAR_BINS + 1,
                        .series = s,
                        .n_series = 3};
    int rc;
    struct ns_error err;
    char *out = svg(&p, &rc, &err);
    assert_int_equal(rc, NS_OK);
    assert_int_equal(count(out, "<rect class=\"bar\""), 0);
    assert_int_equal(count(out, "<path class=\"area\""), 3);
    assert_int_equal(count(out, "<rect class=\"col\""), NS_PLOT_BAR_BINS + 1);
    /* painted top layer first; the column lists top first too */
    const char *c = strstr(out, "<path class=\"area\"");
    assert_non_null(strstr(c, "<title>c\n"));
    assert_non_null(strstr(out, "<title>1970-01-01 00:00:00 UTC\nc: 26\nb: 13\na: 0</title>"));
    free(out);
    p.n_bins = NS_PLOT_MAX_COLUMNS + 1;
    out = svg(&p, &rc, &err);
    assert_int_equal(rc, NS_OK);
    assert_int_equal(count(out, "<path class=\"area\""), 3);
    assert_int_equal(count(out, "<rect class=\"col\""), 0);
    free(out);
}

static void svg_huge_and_one_bin(void **state)
{
    struct input in;
    input_init(&in, 2, 1);
    in.v[0][0] = 1e18;
    in.v[1][0] = 1e18;
    int rc;
    struct ns_error err;
    char *out = svg(&in.p, &rc, &err);
    assert_int_equal(rc, NS_OK);
    assert_non_null(strstr(out, ">2E</text>"));
    assert_non_null(strstr(out, "\n1000000000000000000 bytes (1E)</title>"));
    assert_int_equal(count(out, "<rect class=\"bar\""), 2);
    free(out);
    /* a tiny value next to a huge one still gets its (flat) bar */
    in.v[1][0] = 1;
    out = svg(&in.p, &rc, &err);
    assert_int_equal(rc, NS_OK);
    assert_int_equal(count(out, "<rect class=\"bar\""), 2);
    assert_non_null(strstr(out, " height=\"0\""));
    free(out);
}

static void svg_deterministic_and_escaped(void **state)
{
    struct input in;
    input_init(&in, 2, 5);
    in.p.title = "<script>&";
    in.p.y_label = "\"q\"";
    snprintf(in.label[0], sizeof in.label[0], "a<b\xff");
    for (size_t i = 0; i < 5; i++)
        in.v[0][i] = in.v[1][i] = (double)i;
    int rc;
    struct ns_error err;
    char *a = svg(&in.p, &rc, &err), *b = svg(&in.p, &rc, &err);
    assert_string_equal(a, b);
    assert_null(strstr(a, "<script"));
    assert_non_null(strstr(a, "&lt;script&gt;&amp;"));
    assert_non_null(strstr(a, "&quot;q&quot;"));
    assert_non_null(strstr(a, "<title>a&lt;b\xEF\xBF\xBD</title>"));
    free(a);
    free(b);
}

static void svg_write_error(void **state)
{
    FILE *f = fopen("/dev/full", "w");
    if (!f)
        skip();
    struct input in;
    input_init(&in, 1, 3);
    struct ns_error err = {0};
    assert_int_equal(ns_plot_svg(f, &in.p, &err), NS_EIO);
    assert_non_null(strstr(err.msg, "writing the plot"));
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nice_ticks_table),
        cmocka_unit_test(nice_ticks_reject),
        cmocka_unit_test(nice_ticks_vs_reference),
        cmocka_unit_test(si_table),
        cmocka_unit_test(time_table),
        cmocka_unit_test(time_vs_gmtime),
        cmocka_unit_test(time_step_table),
        cmocka_unit_test(xml_escaping),
        cmocka_unit_test(xml_random_bytes),
        cmocka_unit_test(fold_none),
        cmocka_unit_test(fold_other),
        cmocka_unit_test(fold_vs_reference),
        cmocka_unit_test(svg_rejects_and_writes_nothing),
        cmocka_unit_test(svg_no_data),
        cmocka_unit_test(svg_stacking),
        cmocka_unit_test(svg_counts_and_modes),
        cmocka_unit_test(svg_areas),
        cmocka_unit_test(svg_huge_and_one_bin),
        cmocka_unit_test(svg_deterministic_and_escaped),
        cmocka_unit_test(svg_write_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
