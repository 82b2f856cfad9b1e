/* plot_axis.c — the numbers and times on a plot's axes (see plot.h). */
#include "analysis/plot.h"

#include <math.h>
#include <stdlib.h>

#define NS_PER_S   1000000000ull
#define NS_PER_DAY (86400ull * NS_PER_S)

/* m x 10^k.  Dividing by 10^-k rather than multiplying by 10^k for k < 0
 * gives the double nearest to the decimal step (0.1, not 0.1000...02). */
static double decimal(int m, int k)
{
    double p = 1;
    for (int i = 0; i < abs(k); i++)
        p *= 10;
    return k >= 0 ? m * p : m / p;
}

int ns_plot_nice_ticks(double max, int max_intervals, double *step, int *nticks)
{
    if (!(max >= 0) || max > NS_PLOT_VALUE_MAX || max_intervals < 1)
        return NS_EINVAL; /* !(max >= 0) also catches NaN */
    /* Below this the decimal step would underflow; such a plot is all zero. */
    if (max < 1e-200) {
        *step = 1;
        *nticks = 1;
        return NS_OK;
    }
    static const int mant[] = {1, 2, 5};
    /* One decade below the first candidate, so the search starts too small;
     * it then ends within two decades. */
    int k0 = (int)floor(log10(max / max_intervals)) - 1;
    for (int k = k0; k < k0 + 4; k++) {
        for (size_t i = 0; i < sizeof mant / sizeof mant[0]; i++) {
            double s = decimal(mant[i], k);
            double q = max / s;
            double n = ceil(q);
            /* 0.3 / 0.1 is 3.0000000000000004 in binary: a quotient a hair
             * above a whole number is that number. */
            if (n - q > 1 - 1e-9)
                n -= 1;
            if (n < 1)
                n = 1;
            if (n <= max_intervals) {
                *step = s;
                *nticks = (int)n;
                return NS_OK;
            }
        }
    }
    return NS_EINVAL; /* not reached: 10^(k0 + 3) >= 100 * max / max_intervals */
}

void ns_plot_si(char *buf, size_t cap, double v)
{
    static const char suffix[] = "kMGTPE";
    if (!cap)
        return;
    const char *sign = v < 0 ? "-" : "";
    double a = fabs(v);
    if (!isfinite(a)) {
        snprintf(buf, cap, "%g", v);
        return;
    }
    double scale = 1;
    /* Take the smallest power of 1000 at which the value, rounded to three
     * digits, is below 1000: 999.7 rounds to "1e+03" and becomes "1k". */
    for (int k = 0; k <= 6; k++, scale *= 1000) {
        char tmp[NS_PLOT_SI_LEN];
        snprintf(tmp, sizeof tmp, "%.3g", a / scale);
        if (strtod(tmp, NULL) < 1000) {
            if (k == 0)
                snprintf(buf, cap, "%s%s", sign, tmp);
            else
                snprintf(buf, cap, "%s%s%c", sign, tmp, suffix[k - 1]);
            return;
        }
    }
    snprintf(buf, cap, "%s%.3g", sign, a);
}

uint64_t ns_plot_time_step(uint64_t span_ns, unsigned max_labels)
{
    static const uint64_t secs[] = {1,   2,   5,    10,   15,   30,    60,    120,  300,
                                    600, 900, 1800, 3600, 7200, 10800, 21600, 43200};
    static const uint64_t mant[] = {1, 2, 5};
    if (!max_labels)
        max_labels = 1;
    uint64_t need = span_ns / max_labels + (span_ns % max_labels != 0);
    for (uint64_t p = 1; p < NS_PER_S; p *= 10)
        for (size_t i = 0; i < 3; i++)
            if (mant[i] * p >= need && mant[i] * p < NS_PER_S)
                return mant[i] * p;
    for (size_t i = 0; i < sizeof secs / sizeof secs[0]; i++)
        if (secs[i] * NS_PER_S >= need)
            return secs[i] * NS_PER_S;
    for (uint64_t p = 1;; p *= 10)
        for (size_t i = 0; i < 3; i++) {
            if (mant[i] * p > UINT64_MAX / NS_PER_DAY)
                return UINT64_MAX; /* one label for the whole of 2^64 ns */
            if (mant[i] * p * NS_PER_DAY >= need)
                return mant[i] * p * NS_PER_DAY;
        }
}

/* Days since 1970-01-01 to a proleptic Gregorian date: count 400-year eras
 * of 146097 days from 0000-03-01, so the leap day ends each counted year. */
static void civil(uint64_t days, unsigned *y, unsigned *m, unsigned *d)
{
    uint64_t z = days + 719468; /* days from 0000-03-01 */
    uint64_t era = z / 146097;
    uint64_t doe = z - era * 146097;
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = (unsigned)(yoe + era * 400 + (*m <= 2));
}

void ns_plot_time(char *buf, size_t cap, uint64_t ns, char what, int frac)
{
    if (!cap)
        return;
    uint64_t s = ns / NS_PER_S, sub = ns % NS_PER_S;
    unsigned y, mo, d;
    civil(s / 86400, &y, &mo, &d);
    unsigned hh = (unsigned)(s % 86400 / 3600), mm = (unsigned)(s % 3600 / 60);
    unsigned ss = (unsigned)(s % 60);
    int n;
    if (what == 'D')
        n = snprintf(buf, cap, "%04u-%02u-%02u %02u:%02u", y, mo, d, hh, mm);
    else if (what == 'T')
        n = snprintf(buf, cap, "%02u:%02u:%02u", hh, mm, ss);
    else
        n = snprintf(buf, cap, "%04u-%02u-%02u %02u:%02u:%02u", y, mo, d, hh, mm, ss);
    if (what == 'D' || n < 0 || (size_t)n >= cap)
        return;
    if (frac == 3)
        snprintf(buf + n, cap - (size_t)n, ".%03u", (unsigned)(sub / 1000000));
    else if (frac == 6)
        snprintf(buf + n, cap - (size_t)n, ".%06u", (unsigned)(sub / 1000));
    else if (frac == 9)
        snprintf(buf + n, cap - (size_t)n, ".%09u", (unsigned)sub);
}
