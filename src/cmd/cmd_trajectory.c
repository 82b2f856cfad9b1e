/* netsift trajectory — follow hash-sampled packets across observation
 * points (RFC 5474 §11.2): loss and one-way delay per path segment. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "traj/input.h"
#include "traj/traj.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: netsift trajectory [options] POINT POINT [POINT...]\n"
            "\n"
            "Matches the packet reports of observation points along a path by their digest\n"
            "(digestHashValue) and prints, for each segment (and end to end), how many\n"
            "sampled packets crossed it, how many were lost — told apart from lost reports\n"
            "by the holes in each point's selection numbers (selectorIdTotalPktsSelected) —\n"
            "and the one-way delay distribution, each with its confidence interval.  Every\n"
            "point must select with the same hash selector over an invariant hash domain\n"
            "(netsift-select(7)), and the clocks must be in sync.\n"
            "\n"
            "POINT is an IPFIX file of packet reports, in path order, written as\n"
            "  FILE             every report in the file\n"
            "  FILE@DOMAIN      only those of observation domain DOMAIN (one collector file\n"
            "                   holding several points)\n"
            "  NAME=FILE[@DOMAIN]  the same, named NAME in the output\n"
            "\n"
            "  --max-delay T    longest transit that still matches (default 1s; units\n"
            "                   ns us ms s)\n"
            "  --skew T         how early a match may be, for clock error (default 0)\n"
            "  --confidence P   of every interval (default 0.95)\n"
            "  --json           one JSON object per segment\n"
            "  -h, --help       this text\n"
            "\n"
            "example: netsift trajectory in=ingress.ipfix out=egress.ipfix --max-delay 100ms\n");
}

struct point {
    const char *name;
    char *path;
    long domain;
    struct ns_traj_point p;
    struct ns_traj_read_stats st;
};

static void parse_point(const char *arg, struct point *pt)
{
    const char *eq = strchr(arg, '=');
    const char *file = arg;
    pt->name = arg;
    if (eq && eq != arg) {
        char *name = strndup(arg, (size_t)(eq - arg));
        if (!name)
            cmd_die("trajectory", "out of memory");
        pt->name = name;
        file = eq + 1;
    }
    pt->path = strdup(file);
    if (!pt->path)
        cmd_die("trajectory", "out of memory");
    pt->domain = -1;
    char *at = strrchr(pt->path, '@');
    if (at && at[1]) {
        char *end;
        unsigned long d = strtoul(at + 1, &end, 10);
        if (*end || d > 0xffffffffu)
            cmd_die("trajectory", "'%s': observation domain after @ must be 0..4294967295", arg);
        *at = 0;
        pt->domain = (long)d;
    }
    if (!eq || eq == arg)
        pt->name = pt->path;
}

static void fmt_ns(char *buf, size_t n, double v)
{
    double a = v < 0 ? -v : v;
    if (a >= 1e9)
        snprintf(buf, n, "%.3f s", v / 1e9);
    else if (a >= 1e6)
        snprintf(buf, n, "%.3f ms", v / 1e6);
    else if (a >= 1e3)
        snprintf(buf, n, "%.3f us", v / 1e3);
    else
        snprintf(buf, n, "%.0f ns", v);
}

static void print_text(const struct point *a, const struct point *b, const struct ns_traj_result *r,
                       double conf)
{
    char x[32], y[32], z[32];
    printf("path %s -> %s\n", a->name, b->name);
    printf("  reports         %s %llu (%llu lost)   %s %llu (%llu lost)\n", a->name,
           (unsigned long long)r->in_reports, (unsigned long long)r->in_lost_reports, b->name,
           (unsigned long long)r->out_reports, (unsigned long long)r->out_lost_reports);
    if (!r->out_has_seq)
        printf("  note            %s's reports carry no selection numbers: a lost report "
               "cannot be told from a lost packet\n",
               b->name);
    printf("  judged          %llu packets of %s (%llu outside %s's window)\n",
           (unsigned long long)r->considered, a->name, (unsigned long long)r->outside, b->name);
    printf("  delivered       %llu\n", (unsigned long long)r->delivered);
    printf("  report lost     %llu (delivered; their report from %s is missing)\n",
           (unsigned long long)r->explained, b->name);
    printf("  lost            %llu   loss %.4f %% [%.4f %%, %.4f %%] at %.1f %%\n",
           (unsigned long long)r->lost, 100 * r->loss, 100 * r->loss_lo, 100 * r->loss_hi,
           100 * conf);
    if (r->ambiguous >= 0.5)
        printf("  ambiguous       ~%.0f (reports lost at both points: a lost packet may pass "
               "for a lost report; the upper bound allows for it)\n",
               r->ambiguous);
    printf("  unmatched at %s %llu, repeated digests %llu\n", b->name,
           (unsigned long long)r->out_only, (unsigned long long)r->collisions);
    if (!r->matched) {
        printf("  delay           no matched packets\n\n");
        return;
    }
    fmt_ns(x, sizeof x, (double)r->d_min);
    fmt_ns(y, sizeof y, r->d_mean);
    fmt_ns(z, sizeof z, (double)r->d_max);
    printf("  delay           %llu matched: min %s  mean %s  max %s\n",
           (unsigned long long)r->matched, x, y, z);
    fmt_ns(x, sizeof x, r->d_mean_lo);
    fmt_ns(y, sizeof y, r->d_mean_hi);
    printf("  mean interval   [%s, %s]\n", x, y);
    for (int k = 0; k < NS_TRAJ_NQ; k++) {
        fmt_ns(x, sizeof x, (double)r->q[k]);
        fmt_ns(y, sizeof y, (double)r->q_lo[k]);
        fmt_ns(z, sizeof z, (double)r->q_hi[k]);
        printf("  p%-14g %s [%s, %s]\n", 100 * ns_traj_quantiles[k], x, y, z);
    }
    printf("\n");
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", (unsigned char)*s);
        else
            putchar(*s);
    }
    putchar('"');
}

static void print_json(const struct point *a, const struct point *b, const struct ns_traj_result *r,
                       double conf)
{
    printf("{\"from\":");
    json_str(a->name);
    printf(",\"to\":");
    json_str(b->name);
    printf(",\"confidence\":%g,\"in_reports\":%llu,\"in_lost_reports\":%llu,"
           "\"out_reports\":%llu,\"out_lost_reports\":%llu,\"out_numbered\":%s,"
           "\"considered\":%llu,\"outside\":%llu,\"delivered\":%llu,\"report_lost\":%llu,"
           "\"lost\":%llu,\"loss\":%.9g,\"loss_lo\":%.9g,\"loss_hi\":%.9g,\"ambiguous\":%.3f,"
           "\"out_only\":%llu,\"collisions\":%llu,\"matched\":%llu",
           conf, (unsigned long long)r->in_reports, (unsigned long long)r->in_lost_reports,
           (unsigned long long)r->out_reports, (unsigned long long)r->out_lost_reports,
           r->out_has_seq ? "true" : "false", (unsigned long long)r->considered,
           (unsigned long long)r->outside, (unsigned long long)r->delivered,
           (unsigned long long)r->explained, (unsigned long long)r->lost, r->loss, r->loss_lo,
           r->loss_hi, r->ambiguous, (unsigned long long)r->out_only,
           (unsigned long long)r->collisions, (unsigned long long)r->matched);
    if (r->matched) {
        printf(",\"delay_ns\":{\"min\":%lld,\"max\":%lld,\"mean\":%.1f,\"mean_lo\":%.1f,"
               "\"mean_hi\":%.1f,\"quantiles\":[",
               (long long)r->d_min, (long long)r->d_max, r->d_mean, r->d_mean_lo, r->d_mean_hi);
        for (int k = 0; k < NS_TRAJ_NQ; k++)
            printf("%s{\"q\":%g,\"value\":%lld,\"lo\":%lld,\"hi\":%lld}", k ? "," : "",
                   ns_traj_quantiles[k], (long long)r->q[k], (long long)r->q_lo[k],
                   (long long)r->q_hi[k]);
        printf("]}");
    }
    printf("}\n");
}

int cmd_trajectory(int argc, char **argv)
{
    struct ns_traj_opts o = {1000000000ull, 0, 0.95};
    int json = 0;
    enum { O_MAXD = 256, O_SKEW, O_CONF, O_JSON };
    static const struct option opts[] = {{"max-delay", 1, 0, O_MAXD},  {"skew", 1, 0, O_SKEW},
                                         {"confidence", 1, 0, O_CONF}, {"json", 0, 0, O_JSON},
                                         {"help", 0, 0, 'h'},          {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_MAXD:
            if (cmd_parse_seconds(optarg, &o.max_delay_ns) < 0 || !o.max_delay_ns)
                cmd_die("trajectory", "--max-delay wants a positive time (e.g. 100ms), not '%s'",
                        optarg);
            break;
        case O_SKEW:
            if (cmd_parse_seconds(optarg, &o.skew_ns) < 0)
                cmd_die("trajectory", "--skew wants a time (e.g. 1ms), not '%s'", optarg);
            break;
        case O_CONF: {
            char *end;
            o.conf = strtod(optarg, &end);
            if (*end || !(o.conf > 0.5 && o.conf < 1))
                cmd_die("trajectory", "--confidence wants a probability in (0.5, 1), not '%s'",
                        optarg);
            break;
        }
        case O_JSON:
            json = 1;
            break;
        case 'h':
            help(stdout);
            return 0;
        default:
            help(stderr);
            return 2;
        }
    }
    int npts = argc - optind;
    if (npts < 2) {
        fprintf(stderr, "netsift trajectory: give at least two observation points, in path "
                        "order (see --help)\n");
        return 2;
    }
    struct point *pts = calloc((size_t)npts, sizeof *pts);
    if (!pts)
        cmd_die("trajectory", "out of memory");
    int status = 0;
    struct ns_error err = {0};
    for (int i = 0; i < npts; i++) {
        parse_point(argv[optind + i], &pts[i]);
        if (ns_traj_read_file(pts[i].path, pts[i].domain, &pts[i].p, &pts[i].st, &err) < 0) {
            if (pts[i].st.reports)
                fprintf(stderr, "netsift trajectory: %s (the %llu reports before it are used)\n",
                        err.msg, (unsigned long long)pts[i].st.reports);
            else
                fprintf(stderr, "netsift trajectory: %s\n", err.msg);
            status = 1;
        } else if (!pts[i].st.reports) {
            fprintf(stderr,
                    "netsift trajectory: %s: no packet reports (records with digestHashValue "
                    "and an observation time)%s\n",
                    pts[i].path,
                    pts[i].st.other_domains ? "; they are in other observation domains" : "");
            status = 1;
        }
    }
    if (!status) {
        /* consecutive segments, then end to end when there are more than two */
        for (int i = 0; i + 1 < npts || (npts > 2 && i + 1 == npts); i++) {
            const struct point *a = &pts[i + 1 < npts ? i : 0];
            const struct point *b = &pts[i + 1 < npts ? i + 1 : npts - 1];
            struct ns_traj_result r;
            if (ns_traj_compare(&a->p, &b->p, &o, &r, &err) < 0) {
                fprintf(stderr, "netsift trajectory: %s\n", err.msg);
                status = 1;
                break;
            }
            if (json)
                print_json(a, b, &r, o.conf);
            else
                print_text(a, b, &r, o.conf);
        }
    }
    for (int i = 0; i < npts; i++) {
        ns_traj_point_free(&pts[i].p);
        if (pts[i].name != pts[i].path && pts[i].name != argv[optind + i])
            free((char *)pts[i].name);
        free(pts[i].path);
    }
    free(pts);
    return status;
}
