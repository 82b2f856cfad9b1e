#include "util/stats.h"

#include <math.h>

double ns_norm_quantile(double p)
{
    if (!(p > 0.0))
        return -INFINITY;
    if (!(p < 1.0))
        return INFINITY;
    /* P. J. Acklam's rational approximation of the inverse normal CDF. */
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    const double plow = 0.02425;
    double x;
    if (p < plow) {
        double q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p <= 1 - plow) {
        double q = p - 0.5, r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        double q = sqrt(-2 * log1p(-p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    /* One Halley step against the exact CDF. */
    double e = 0.5 * erfc(-x / sqrt(2.0)) - p;
    double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

void ns_wilson(uint64_t k, uint64_t n, double conf, double *lo, double *hi)
{
    if (n == 0) {
        *lo = 0.0;
        *hi = 1.0;
        return;
    }
    double z = ns_norm_quantile(0.5 + conf / 2);
    double nn = (double)n, ph = (double)k / nn, z2 = z * z;
    double centre = (ph + z2 / (2 * nn)) / (1 + z2 / nn);
    double half = z / (1 + z2 / nn) * sqrt(ph * (1 - ph) / nn + z2 / (4 * nn * nn));
    *lo = centre - half < 0 ? 0 : centre - half;
    *hi = centre + half > 1 ? 1 : centre + half;
    /* Exact at the edges: none seen means the lower bound is 0, all seen
     * that the upper one is 1 (rounding could leave 1e-17 there). */
    if (k == 0)
        *lo = 0.0;
    if (k == n)
        *hi = 1.0;
}

void ns_quantile_ci(size_t n, double q, double conf, size_t *lo, size_t *hi)
{
    double z = ns_norm_quantile(0.5 + conf / 2);
    double nq = (double)n * q, sd = sqrt((double)n * q * (1 - q));
    /* 1-based ranks r (down) and s (up), then one rank of slack on the
     * upper side for the discreteness of the binomial. */
    double r = floor(nq - z * sd), s = ceil(nq + z * sd) + 1;
    if (r < 1)
        r = 1;
    if (s > (double)n)
        s = (double)n;
    if (r > (double)n)
        r = (double)n;
    *lo = (size_t)r - 1;
    *hi = (size_t)s - 1;
}
