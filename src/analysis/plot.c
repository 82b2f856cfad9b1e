/* plot.c — lay out and write the SVG of a time-bin plot (see plot.h). */
#include "analysis/plot.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define NS_PER_S   1000000000ull
#define NS_PER_DAY (86400ull * NS_PER_S)
#define CHAR_W     6.5 /* average advance of an 11 px sans-serif character */

struct frame {
    double w, h;         /* image */
    double x0, x1;       /* plot area, left and right */
    double y0, y1;       /* plot area, top and bottom (the value 0) */
    double top;          /* value at y0 */
    size_t legend_chars; /* longest legend label shown */
    int tfrac;           /* digits of the second in bin start times */
};

/* A coordinate in hundredths of a pixel, as digits: no locale's decimal
 * comma, and equal numbers print equal. */
static long hund(double v)
{
    return lround(v * 100);
}

static void num(FILE *o, long h)
{
    long a = h < 0 ? -h : h;
    fprintf(o, "%s%ld", h < 0 ? "-" : "", a / 100);
    if (a % 10)
        fprintf(o, ".%02ld", a % 100);
    else if (a % 100)
        fprintf(o, ".%ld", a % 100 / 10);
}

static void coord(FILE *o, const char *name, double v)
{
    fprintf(o, " %s=\"", name);
    num(o, hund(v));
    fputc('"', o);
}

static double yv(const struct frame *f, double v)
{
    return f->y1 - v / f->top * (f->y1 - f->y0);
}

/* A value as exact as the number allows, then its SI form past 1000. */
static void value(FILE *o, double v, const char *unit)
{
    if (v == floor(v) && v < 1e21)
        fprintf(o, "%.0f", v);
    else
        fprintf(o, "%.6g", v);
    if (unit) {
        fputc(' ', o);
        ns_plot_xml_text(o, unit, SIZE_MAX);
    }
    if (v >= 1000) {
        char si[NS_PLOT_SI_LEN];
        ns_plot_si(si, sizeof si, v);
        fprintf(o, " (%s)", si);
    }
}

static void bin_time(FILE *o, const struct ns_plot *p, const struct frame *f, size_t i)
{
    char t[NS_PLOT_TIME_LEN];
    ns_plot_time(t, sizeof t, p->start_ns + (uint64_t)i * p->bin_ns, 'F', f->tfrac);
    fprintf(o, "%s UTC", t);
}

/* Fewest digits of the second that show every bin start exactly. */
static int frac_digits(uint64_t a, uint64_t b)
{
    if (a % NS_PER_S == 0 && b % NS_PER_S == 0)
        return 0;
    if (a % 1000000 == 0 && b % 1000000 == 0)
        return 3;
    if (a % 1000 == 0 && b % 1000 == 0)
        return 6;
    return 9;
}

static void header(FILE *o, const struct ns_plot *p, const struct frame *f)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", o);
    fprintf(o,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" "
            "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" "
            "font-size=\"11\">\n",
            f->w, f->h, f->w, f->h);
    if (p->title) {
        fputs("<title>", o);
        ns_plot_xml_text(o, p->title, SIZE_MAX);
        fputs("</title>\n", o);
    }
    fprintf(o, "<rect class=\"bg\" width=\"%.0f\" height=\"%.0f\" fill=\"#FFFFFF\"/>\n", f->w,
            f->h);
    if (p->title) {
        fputs("<text class=\"title\"", o);
        coord(o, "x", f->w / 2);
        fputs(" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">", o);
        ns_plot_xml_text(o, p->title, (size_t)(f->w / 8.5));
        fputs("</text>\n", o);
    }
}

static void no_data(FILE *o, const struct frame *f)
{
    fputs("<text class=\"nodata\"", o);
    coord(o, "x", f->w / 2);
    coord(o, "y", f->h / 2);
    fputs(" text-anchor=\"middle\" font-size=\"16\" fill=\"#555555\">no data</text>\n", o);
}

static void y_axis(FILE *o, const struct ns_plot *p, const struct frame *f, double step, int nticks)
{
    fputs("<g class=\"yaxis\">\n", o);
    for (int i = 0; i <= nticks; i++) {
        double y = yv(f, i * step);
        char si[NS_PLOT_SI_LEN];
        ns_plot_si(si, sizeof si, i * step);
        fputs("<line", o);
        coord(o, "x1", f->x0);
        coord(o, "x2", f->x1);
        coord(o, "y1", y);
        coord(o, "y2", y);
        fputs(" stroke=\"#DDDDDD\"/>\n<text", o);
        coord(o, "x", f->x0 - 6);
        coord(o, "y", y + 4);
        fprintf(o, " text-anchor=\"end\">%s</text>\n", si);
    }
    if (p->y_label) {
        double x = 14, y = (f->y0 + f->y1) / 2;
        fputs("<text class=\"ylabel\"", o);
        coord(o, "x", x);
        coord(o, "y", y);
        fputs(" text-anchor=\"middle\" transform=\"rotate(-90 ", o);
        num(o, hund(x));
        fputc(' ', o);
        num(o, hund(y));
        fputs(")\">", o);
        ns_plot_xml_text(o, p->y_label, (size_t)((f->y1 - f->y0) / CHAR_W));
        fputs("</text>\n", o);
    }
    fputs("</g>\n", o);
}

static void x_axis(FILE *o, const struct ns_plot *p, const struct frame *f)
{
    uint64_t span = (uint64_t)p->n_bins * p->bin_ns, end = p->start_ns + span;
    char what = span >= NS_PER_DAY ? 'D' : 'T';
    int frac = 0;
    double label_w = what == 'D' ? 16 * CHAR_W : 8 * CHAR_W;
    uint64_t step = ns_plot_time_step(span, (unsigned)fmax(1, (f->x1 - f->x0) / (label_w + 24)));
    if (what == 'T' && step < NS_PER_S) {
        /* Sub-second ticks: wider labels, so fewer of them. */
        frac = frac_digits(step, 0);
        label_w += (frac + 1) * CHAR_W;
        step = ns_plot_time_step(span, (unsigned)fmax(1, (f->x1 - f->x0) / (label_w + 24)));
        frac = step < NS_PER_S ? frac_digits(step, 0) : 0;
    }
    fputs("<g class=\"xaxis\">\n<line", o);
    coord(o, "x1", f->x0);
    coord(o, "x2", f->x1);
    coord(o, "y1", f->y1);
    coord(o, "y2", f->y1);
    fputs(" stroke=\"#333333\"/>\n<line", o);
    coord(o, "x1", f->x0);
    coord(o, "x2", f->x0);
    coord(o, "y1", f->y0);
    coord(o, "y2", f->y1);
    fputs(" stroke=\"#333333\"/>\n", o);
    /* Ticks at whole multiples of the step since the epoch, inside the span. */
    uint64_t q = p->start_ns / step + (p->start_ns % step != 0);
    for (int n = 0; n < 1000 && q <= end / step; n++, q++) {
        uint64_t t = q * step;
        double x = f->x0 + (double)(t - p->start_ns) / (double)span * (f->x1 - f->x0);
        fputs("<line", o);
        coord(o, "x1", x);
        coord(o, "x2", x);
        coord(o, "y1", f->y1);
        coord(o, "y2", f->y1 + 4);
        fputs(" stroke=\"#333333\"/>\n", o);
        if (x - label_w / 2 < 2 || x + label_w / 2 > f->w - 2)
            continue; /* a label cut by the image edge helps nobody */
        char s[NS_PLOT_TIME_LEN];
        ns_plot_time(s, sizeof s, t, what, frac);
        fputs("<text", o);
        coord(o, "x", x);
        coord(o, "y", f->y1 + 16);
        fprintf(o, " text-anchor=\"middle\">%s</text>\n", s);
    }
    char from[NS_PLOT_TIME_LEN];
    ns_plot_time(from, sizeof from, p->start_ns, 'F', f->tfrac);
    fputs("<text class=\"xlabel\"", o);
    coord(o, "x", (f->x0 + f->x1) / 2);
    coord(o, "y", f->y1 + 34);
    fprintf(o, " text-anchor=\"middle\">time (UTC) from %s, %zu bins of ", from, p->n_bins);
    if (p->bin_ns % NS_PER_S == 0)
        fprintf(o, "%llu s</text>\n</g>\n", (unsigned long long)(p->bin_ns / NS_PER_S));
    else
        fprintf(o, "%.9g s</text>\n</g>\n", (double)p->bin_ns / 1e9);
}

static void bars(FILE *o, const struct ns_plot *p, const struct ns_plot_layers *l,
                 const struct frame *f)
{
    double bw = (f->x1 - f->x0) / (double)p->n_bins, gap = bw >= 4 ? bw * 0.15 : 0;
    fputs("<g class=\"bars\" stroke=\"#FFFFFF\" stroke-width=\"0.5\">\n", o);
    for (size_t i = 0; i < p->n_bins; i++) {
        double cum = 0;
        for (size_t j = 0; j < l->n; j++) {
            double v = l->layer[j].values[i];
            if (v <= 0)
                continue;
            double ytop = yv(f, cum + v), ybot = yv(f, cum);
            cum += v;
            fputs("<rect class=\"bar\"", o);
            coord(o, "x", f->x0 + (double)i * bw + gap / 2);
            coord(o, "y", ytop);
            coord(o, "width", bw - gap);
            coord(o, "height", ybot - ytop);
            fprintf(o, " fill=\"%s\"><title>", ns_plot_colour(l->layer[j].colour));
            ns_plot_xml_text(o, l->layer[j].label, SIZE_MAX);
            fputc('\n', o);
            bin_time(o, p, f, i);
            fputc('\n', o);
            value(o, v, p->y_label);
            fputs("</title></rect>\n", o);
        }
    }
    fputs("</g>\n", o);
}

/* Layer j's area is everything under the stack's top edge at layer j; the
 * top layer is painted first and each lower one over it, so every band shows
 * in its own colour and each outline is drawn once, not twice. */
static void area(FILE *o, const struct ns_plot *p, const struct ns_plot_layers *l,
                 const struct frame *f, size_t j)
{
    const struct ns_plot_layer *L = &l->layer[j];
    double bw = (f->x1 - f->x0) / (double)p->n_bins;
    fprintf(o, "<path class=\"area\" fill=\"%s\" d=\"M", ns_plot_colour(L->colour));
    long base = hund(f->y1), prev_y = base, prev_x = hund(f->x0);
    num(o, prev_x);
    fputc(',', o);
    num(o, base);
    size_t peak = 0;
    for (size_t i = 0; i < p->n_bins; i++) {
        double cum = 0;
        for (size_t k = 0; k <= j; k++)
            cum += l->layer[k].values[i];
        if (L->values[i] > L->values[peak])
            peak = i;
        long y = hund(yv(f, cum)), x = hund(f->x0 + (double)i * bw);
        if (y == prev_y)
            continue; /* the flat run goes on */
        if (x != prev_x) {
            fputc('H', o);
            num(o, x);
            prev_x = x;
        }
        fputc('V', o);
        num(o, y);
        prev_y = y;
    }
    fputc('H', o);
    num(o, hund(f->x1));
    fputc('V', o);
    num(o, base);
    fputs("Z\"><title>", o);
    ns_plot_xml_text(o, L->label, SIZE_MAX);
    fputc('\n', o);
    bin_time(o, p, f, 0);
    fputs(" to ", o);
    bin_time(o, p, f, p->n_bins);
    fputs("\ntotal ", o);
    value(o, L->total, p->y_label);
    fputs("\npeak ", o);
    value(o, L->values[peak], p->y_label);
    fputs(" in the bin of ", o);
    bin_time(o, p, f, peak);
    fputs("</title></path>\n", o);
}

/* Invisible full-height columns, one per bin, whose tooltips list every
 * layer's value in that bin (an area's own tooltip can only summarise). */
static void columns(FILE *o, const struct ns_plot *p, const struct ns_plot_layers *l,
                    const struct frame *f)
{
    double bw = (f->x1 - f->x0) / (double)p->n_bins;
    fputs("<g class=\"columns\" fill=\"#000000\" fill-opacity=\"0\">\n", o);
    for (size_t i = 0; i < p->n_bins; i++) {
        fputs("<rect class=\"col\"", o);
        coord(o, "x", f->x0 + (double)i * bw);
        coord(o, "y", f->y0);
        coord(o, "width", bw);
        coord(o, "height", f->y1 - f->y0);
        fputs("><title>", o);
        bin_time(o, p, f, i);
        for (size_t j = l->n; j-- > 0;) {
            fputc('\n', o);
            ns_plot_xml_text(o, l->layer[j].label, SIZE_MAX);
            fputs(": ", o);
            value(o, l->layer[j].values[i], p->y_label);
        }
        fputs("</title></rect>\n", o);
    }
    fputs("</g>\n", o);
}

static void legend(FILE *o, const struct ns_plot_layers *l, const struct frame *f)
{
    fputs("<g class=\"legend\">\n", o);
    double x = f->x1 + 14, y = f->y0;
    for (size_t j = l->n; j-- > 0; y += 18) {
        const struct ns_plot_layer *L = &l->layer[j];
        fputs("<g class=\"legend-entry\"><title>", o);
        ns_plot_xml_text(o, L->label, SIZE_MAX);
        fputs("</title><rect", o);
        coord(o, "x", x);
        coord(o, "y", y);
        fprintf(o, " width=\"12\" height=\"12\" fill=\"%s\"/><text", ns_plot_colour(L->colour));
        coord(o, "x", x + 18);
        coord(o, "y", y + 10);
        fputc('>', o);
        ns_plot_xml_text(o, L->label, f->legend_chars);
        fputs("</text></g>\n", o);
    }
    fputs("</g>\n", o);
}

static void layout(const struct ns_plot *p, const struct ns_plot_layers *l, struct frame *f)
{
    f->w = p->width ? p->width : NS_PLOT_DEFAULT_WIDTH;
    f->h = p->height ? p->height : NS_PLOT_DEFAULT_HEIGHT;
    size_t longest = 0;
    for (size_t j = 0; j < l->n; j++) {
        size_t n = ns_plot_text_chars(l->layer[j].label);
        longest = n > longest ? n : longest;
    }
    /* The legend may take a quarter of the width; longer labels are cut
     * (the entry's tooltip keeps the whole label). */
    size_t room = (size_t)((f->w / 4 - 32) / CHAR_W);
    f->legend_chars = longest < room ? longest : room;
    f->x0 = 64;
    f->x1 = f->w - (l->n ? 32 + (double)f->legend_chars * CHAR_W + 14 : 20);
    f->y0 = p->title ? 34 : 14;
    f->y1 = f->h - 46;
    f->top = 1;
    f->tfrac = frac_digits(p->start_ns, p->bin_ns);
}

int ns_plot_svg(FILE *out, const struct ns_plot *p, struct ns_error *err)
{
    struct ns_plot_layers l;
    int rc = ns_plot_layers(p, &l, err);
    if (rc < 0)
        return rc;
    struct frame f;
    layout(p, &l, &f);
    header(out, p, &f);
    if (!l.n) {
        no_data(out, &f);
    } else {
        double max = 0, step;
        for (size_t i = 0; i < p->n_bins; i++) {
            double col = 0;
            for (size_t j = 0; j < l.n; j++)
                col += l.layer[j].values[i];
            max = col > max ? col : max;
        }
        int nticks, want = (int)((f.y1 - f.y0) / 40);
        /* cannot fail: ns_plot_layers() bounded every bin total */
        ns_plot_nice_ticks(max, want < 2 ? 2 : want > 10 ? 10 : want, &step, &nticks);
        f.top = step * nticks;
        y_axis(out, p, &f, step, nticks);
        if (p->n_bins <= NS_PLOT_BAR_BINS) {
            bars(out, p, &l, &f);
        } else {
            fputs("<g class=\"areas\">\n", out);
            for (size_t j = l.n; j-- > 0;)
                area(out, p, &l, &f, j);
            fputs("</g>\n", out);
            if (p->n_bins <= NS_PLOT_MAX_COLUMNS)
                columns(out, p, &l, &f);
        }
        x_axis(out, p, &f);
        legend(out, &l, &f);
    }
    fputs("</svg>\n", out);
    ns_plot_layers_free(&l);
    if (fflush(out) != 0 || ferror(out))
        return ns_error_set(err, NS_EIO, "writing the plot: %s", strerror(errno));
    return NS_OK;
}
