/*
 * plot.h — time-bin plots of flow traffic as plain SVG 1.1 text.
 *
 * `netsift bins` (Argus `rabins`) cuts traffic into fixed-width time bins;
 * this module draws those bins so that a person can read them in any browser
 * with no script, stylesheet or font download: one self-contained SVG file of
 * presentation attributes that any XML parser accepts.
 *
 * Picture: the series are stacked, series[0] at the bottom.  With few bins
 * (<= NS_PLOT_BAR_BINS) each bin is a stacked bar of one <rect> per non-zero
 * (bin, series) cell; with more bins each series is a step-shaped area (a
 * value is the amount of its whole bin, so the outline is flat over the bin
 * and jumps at its edges, never a line interpolated between bin centres).
 * The y axis starts at 0 and has "nice" ticks (1, 2 or 5 x 10^k, see
 * ns_plot_nice_ticks) labelled with SI suffixes (k M G T P E, powers of 1000:
 * the quantities are counts, not memory sizes).  The x axis is labelled in
 * UTC, HH:MM:SS under a day of span and date + HH:MM beyond, at ticks aligned
 * to whole multiples of a round step since the epoch.  The legend lists the
 * series top of the stack first, so it reads in the same order as the bars.
 * Every bar (and in area mode every bin column, up to NS_PLOT_MAX_COLUMNS
 * bins, and every area) carries a <title> tooltip: label, bin start, value.
 *
 * Colours: the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal
 * Design") without its black, which stays distinguishable under the common
 * colour-vision deficiencies; "other" is grey.  Since only seven hues can be
 * told apart, at most NS_PLOT_MAX_SERIES series are drawn: when there are
 * more than max_series, the max_series - 1 largest (by total over all bins,
 * ties to the earlier series) keep their colour and stacking order and the
 * rest are summed bin by bin into one "other (N series)" layer on top.
 *
 * Labels and titles come from user data (addresses, protocol names) and are
 * written as escaped XML text: & < > " ' become entities, bytes that are not
 * well-formed UTF-8 and characters XML 1.0 forbids (C0 controls other than
 * tab, LF, CR; U+FFFE, U+FFFF) become U+FFFD, so the file always parses.
 *
 * Errors: ns_plot_svg() checks the whole input before it writes a byte, and
 * rejects with NS_EINVAL a NaN, infinite or negative value, a bin total above
 * NS_PLOT_VALUE_MAX, a zero bin width, a time range past 2^64 ns, a size
 * below NS_PLOT_MIN_WIDTH x NS_PLOT_MIN_HEIGHT or max_series above
 * NS_PLOT_MAX_SERIES.  n_bins == 0 (or no series) is not an error: the file
 * says "no data".  Write errors (EPIPE, full disk) give NS_EIO after the
 * final fflush.  Numbers are printed with printf in the C locale (netsift
 * never calls setlocale); coordinates are printed without printf's
 * locale-dependent decimal point.
 *
 * Ownership: the caller owns every array and string; ns_plot_svg() writes to
 * `out` and never closes it.  Only folding allocates (n_bins sums for
 * "other", n_series ranks), freed before it returns.  No state is kept.
 */
#ifndef NS_ANALYSIS_PLOT_H
#define NS_ANALYSIS_PLOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/err.h"

#define NS_PLOT_DEFAULT_WIDTH  960
#define NS_PLOT_DEFAULT_HEIGHT 480
#define NS_PLOT_MIN_WIDTH      320
#define NS_PLOT_MIN_HEIGHT     200
#define NS_PLOT_MAX_DIM        20000
#define NS_PLOT_MAX_SERIES     8    /* seven palette colours + grey "other" */
#define NS_PLOT_BAR_BINS       120  /* more bins than this: stacked areas */
#define NS_PLOT_MAX_COLUMNS    2000 /* area mode: per-bin tooltip columns up to this */
#define NS_PLOT_VALUE_MAX      1e300
#define NS_PLOT_SI_LEN         24 /* buffer for ns_plot_si() */
#define NS_PLOT_TIME_LEN       40 /* buffer for ns_plot_time() */

struct ns_plot_series {
    const char *label;
    const double *values; /* n_bins values, finite and >= 0 */
};

struct ns_plot {
    const char *title;   /* e.g. "octets per 60 s bin, by proto"; NULL: none */
    const char *y_label; /* e.g. "bytes" or "packets"; NULL: none */
    uint64_t start_ns;   /* start of bin 0, ns since epoch (UTC) */
    uint64_t bin_ns;     /* bin width, > 0 */
    size_t n_bins;
    const struct ns_plot_series *series; /* stacking order: series[0] at the bottom */
    size_t n_series;
    unsigned width, height; /* pixels; 0 = NS_PLOT_DEFAULT_WIDTH x _HEIGHT */
    size_t max_series;      /* 0 = NS_PLOT_MAX_SERIES; beyond: fold into "other" */
};

/* Write the plot as a complete SVG document.  0 or negative NS_E*. */
int ns_plot_svg(FILE *out, const struct ns_plot *p, struct ns_error *err);

/* ---- The pieces, exposed so that tests can check them one by one. ---- */

/* The layers actually drawn, bottom first, after folding.  `values` point
 * into the caller's series except the "other" layer's, owned by `other`. */
struct ns_plot_layer {
    const char *label;
    const double *values;
    double total;  /* sum over the bins */
    int colour;    /* palette index; -1 for the grey "other" layer */
    size_t folded; /* series summed into this layer (1 unless "other") */
};

struct ns_plot_layers {
    size_t n;
    struct ns_plot_layer layer[NS_PLOT_MAX_SERIES];
    double *other; /* n_bins sums of the folded series, or NULL */
    char other_label[32];
};

/* Check `p` (every rule listed above) and fold its series into at most
 * max_series layers.  Free with ns_plot_layers_free() (also after an error). */
int ns_plot_layers(const struct ns_plot *p, struct ns_plot_layers *l, struct ns_error *err);
void ns_plot_layers_free(struct ns_plot_layers *l);

/* The colour "#rrggbb" of palette index `i` (-1: the "other" grey). */
const char *ns_plot_colour(int i);

/* The smallest step of the form {1,2,5} x 10^k with ceil(max / step) <=
 * max_intervals; *nticks = that number of intervals (>= 1), so the axis runs
 * from 0 to *nticks * step and ticks sit at every multiple of step.  max == 0
 * (or below 1e-200) gives step 1, one interval.  NS_EINVAL for a NaN,
 * infinite, negative or > NS_PLOT_VALUE_MAX max or max_intervals < 1. */
int ns_plot_nice_ticks(double max, int max_intervals, double *step, int *nticks);

/* `v` with three significant digits and an SI suffix: 0, 999, 1.5k, 12.3M,
 * 1E; below 1 as a plain number (0.25); from 1e21 in e-notation.  `buf` has
 * room for NS_PLOT_SI_LEN bytes (`cap` is checked, the text truncated). */
void ns_plot_si(char *buf, size_t cap, double v);

/* The x tick step for `span_ns` of time: the smallest of 1-2-5 x 10^k ns (below
 * 1 s), 1 2 5 10 15 30 s, 1 2 5 10 15 30 min, 1 2 3 6 12 h, 1-2-5 x 10^k days
 * such that span_ns <= step * max_labels.  span_ns > 0, max_labels >= 1. */
uint64_t ns_plot_time_step(uint64_t span_ns, unsigned max_labels);

/* UTC time of `ns` since the epoch as "YYYY-MM-DD HH:MM:SS" (`what` = 'F'),
 * "HH:MM:SS" ('T') or "YYYY-MM-DD HH:MM" ('D'); for 'F' and 'T' followed by
 * `frac` digits (0, 3, 6 or 9) of the second.  Proleptic Gregorian, no leap
 * seconds (POSIX time). */
void ns_plot_time(char *buf, size_t cap, uint64_t ns, char what, int frac);

/* Write `s` as XML character data / attribute text (see the rules above);
 * at most `max_chars` characters, the last one then an ellipsis.  Returns
 * the number of characters written. */
size_t ns_plot_xml_text(FILE *out, const char *s, size_t max_chars);

/* The number of characters `s` would show as (what ns_plot_xml_text writes
 * without a limit); the layout's estimate of text width. */
size_t ns_plot_text_chars(const char *s);

#endif
