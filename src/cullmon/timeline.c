/* timeline.c — see timeline.h. */
#include "cullmon/timeline.h"

#include <stdlib.h>
#include <string.h>

#include "analysis/plot.h"

#define W  960
#define H  480
#define ML 80
#define MR 170
#define MT 60
#define MB 50

static double xpos(uint64_t t, uint64_t t0, uint64_t span)
{
    double f = span ? (double)(t > t0 ? t - t0 : 0) / (double)span : 0;
    if (f > 1)
        f = 1;
    return ML + f * (W - ML - MR);
}

static double ypos(double v, double ymax)
{
    return MT + (H - MT - MB) * (1 - (ymax > 0 ? v / ymax : 0));
}

/* Which members to draw: culled first, then by transit volume. */
static size_t pick(const struct ns_cm *m, size_t *idx, size_t max)
{
    size_t n = 0, nm = ns_cm_n_members(m);
    for (int pass = 0; pass < 2; pass++)
        for (;;) {
            size_t best = SIZE_MAX;
            uint64_t bv = 0;
            for (size_t k = 0; k < nm; k++) {
                const struct ns_cm_member *x = ns_cm_member(m, k);
                int taken = 0;
                for (size_t j = 0; j < n; j++)
                    taken |= idx[j] == k;
                if (taken || (pass == 0 && !x->culled))
                    continue;
                uint64_t v = x->bytes[NS_CM_KIND_TRANSIT] + x->bytes[NS_CM_KIND_LOCAL] + 1;
                if (best == SIZE_MAX || v > bv) {
                    best = k;
                    bv = v;
                }
            }
            if (best == SIZE_MAX || n == max)
                break;
            idx[n++] = best;
        }
    return n;
}

static const char *event_colour(enum ns_cm_event_type t)
{
    switch (t) {
    case NS_CM_EV_APPLIED:
        return "#d00000";
    case NS_CM_EV_COMPLETE:
        return "#008000";
    case NS_CM_EV_LEAK:
        return "#c000c0";
    case NS_CM_EV_RESUMED:
    case NS_CM_EV_RESTORED:
        return "#0050d0";
    default:
        return "#999999";
    }
}

int ns_cm_timeline_svg(FILE *out, const struct ns_cm *m, const struct ns_cm_event *ev, size_t n_ev,
                       struct ns_error *err)
{
    uint64_t t0, bin;
    size_t nb;
    ns_cm_bins(m, &t0, &bin, &nb);
    size_t idx[NS_PLOT_MAX_SERIES] = {0};
    size_t ns = pick(m, idx, NS_PLOT_MAX_SERIES - 1);
    size_t group = 1;
    while (group * bin < 1000000000ull || (nb + group - 1) / group > 600)
        group++;
    size_t np = nb ? (nb + group - 1) / group : 0;
    double pbin_s = (double)(group * bin) / 1e9;
    double *v = calloc(ns * np * 2 + 1, sizeof *v);
    if (!v)
        return ns_error_set(err, NS_ENOMEM, "out of memory for the plot");
    double ymax = 0;
    for (size_t s = 0; s < ns; s++) {
        const struct ns_cm_member *x = ns_cm_member(m, idx[s]);
        for (size_t i = 0; i < nb; i++)
            for (int kind = NS_CM_KIND_LOCAL; kind <= NS_CM_KIND_TRANSIT; kind++) {
                double *c = &v[(s * np + i / group) * 2 + (kind == NS_CM_KIND_TRANSIT ? 0 : 1)];
                *c += x->bins[(i * NS_CM_KINDS + (size_t)kind) * 2 + 1] * 8 / pbin_s;
            }
    }
    for (size_t i = 0; i < ns * np * 2; i++)
        if (v[i] > ymax)
            ymax = v[i];
    double step;
    int nt;
    ns_plot_nice_ticks(ymax, 5, &step, &nt);
    double ytop = step * nt;
    uint64_t span = np * group * bin;

    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
            "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
            "font-size=\"12\">\n<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n",
            W, H, W, H, W, H);
    fprintf(out,
            "<text x=\"%d\" y=\"20\" font-size=\"15\">BGP session culling: forwarding-plane "
            "traffic per member (bits/s; solid transit, dashed LAN-local)</text>\n",
            ML);
    /* y axis */
    for (int i = 0; i <= nt; i++) {
        char sb[NS_PLOT_SI_LEN];
        double y = ypos(step * i, ytop);
        ns_plot_si(sb, sizeof sb, step * i);
        fprintf(out,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n"
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                ML, y, W - MR, y, ML - 6, y + 4, sb);
    }
    /* x axis */
    if (span) {
        uint64_t xs = ns_plot_time_step(span, 8);
        for (uint64_t t = (t0 + xs - 1) / xs * xs; t <= t0 + span; t += xs) {
            char tb[NS_PLOT_TIME_LEN];
            ns_plot_time(tb, sizeof tb, t, 'T', 0);
            double x = xpos(t, t0, span);
            fprintf(out,
                    "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e0e0e0\"/>\n"
                    "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                    x, MT, x, H - MB, x, H - MB + 16, tb);
        }
        char tb[NS_PLOT_TIME_LEN];
        ns_plot_time(tb, sizeof tb, t0, 'F', 0);
        fprintf(out, "<text x=\"%d\" y=\"%d\">UTC, from %s</text>\n", ML, H - 10, tb);
    }
    fprintf(out,
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
            "stroke=\"black\"/>\n",
            ML, MT, W - ML - MR, H - MT - MB);
    /* events: session changes thin and grey, the phases bold and labelled */
    int row = 0;
    for (size_t i = 0; i < n_ev && span; i++) {
        enum ns_cm_event_type t = ev[i].type;
        if (t == NS_CM_EV_MEMBER || t == NS_CM_EV_DRAINED || t == NS_CM_EV_ALL_UP)
            continue;
        double x = xpos(ev[i].t_ns, t0, span);
        int major = t == NS_CM_EV_APPLIED || t == NS_CM_EV_COMPLETE || t == NS_CM_EV_LEAK ||
                    t == NS_CM_EV_RESUMED || t == NS_CM_EV_RESTORED;
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" "
                "stroke-width=\"%s\"%s><title>",
                x, MT, x, H - MB, event_colour(t), major ? "2" : "1",
                t == NS_CM_EV_UP ? " stroke-dasharray=\"2,3\""
                : major          ? ""
                                 : " stroke-dasharray=\"5,3\"");
        ns_plot_xml_text(out, ns_cm_event_name(t), 64);
        if (ev[i].text[0]) {
            fputs(": ", out);
            ns_plot_xml_text(out, ev[i].text, 300);
        }
        fputs("</title></line>\n", out);
        if (major) {
            fprintf(out, "<text x=\"%.1f\" y=\"%d\" fill=\"%s\" font-size=\"11\">", x + 2,
                    MT - 24 + 12 * (row++ % 2), event_colour(t));
            ns_plot_xml_text(out, ns_cm_event_name(t), 32);
            fputs("</text>\n", out);
        }
    }
    /* series */
    for (size_t s = 0; s < ns; s++) {
        const char *col = ns_plot_colour((int)s);
        for (int k = 0; k < 2; k++) {
            fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"%s points=\"",
                    col, k ? "1" : "2", k ? " stroke-dasharray=\"4,3\"" : "");
            for (size_t i = 0; i < np; i++) {
                double y = ypos(v[(s * np + i) * 2 + (size_t)k], ytop);
                fprintf(out, "%.1f,%.1f %.1f,%.1f ", xpos(t0 + i * group * bin, t0, span), y,
                        xpos(t0 + (i + 1) * group * bin, t0, span), y);
            }
            fputs("\"/>\n", out);
        }
        const struct ns_cm_member *x = ns_cm_member(m, idx[s]);
        fprintf(out,
                "<line x1=\"%d\" y1=\"%zu\" x2=\"%d\" y2=\"%zu\" stroke=\"%s\" "
                "stroke-width=\"3\"/>\n<text x=\"%d\" y=\"%zu\">",
                W - MR + 10, MT + 10 + s * 18, W - MR + 30, MT + 10 + s * 18, col, W - MR + 36,
                MT + 14 + s * 18);
        ns_plot_xml_text(out, x->name, 18);
        fputs(x->culled ? " (culled)</text>\n" : "</text>\n", out);
    }
    if (ns < ns_cm_n_members(m))
        fprintf(out, "<text x=\"%d\" y=\"%zu\" fill=\"#666666\">+%zu members not drawn</text>\n",
                W - MR + 10, MT + 14 + ns * 18, ns_cm_n_members(m) - ns);
    fputs("</svg>\n", out);
    free(v);
    if (fflush(out) != 0 || ferror(out))
        return ns_error_set(err, NS_EIO, "write failed");
    return NS_OK;
}
