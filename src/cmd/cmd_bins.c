/* netsift bins — records in time bins, split in proportion (Argus rabins). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/bins.h"
#include "analysis/estimate.h"
#include "cmd/cmd.h"
#include "cmd/sink.h"

static void help(FILE *out)
{
    fprintf(
        out,
        "usage: netsift bins -r FILE... -M time SEC [-m KEY,...] [--hard] [options]\n"
        "                    [--plot OUT.svg [--plot-field FIELD]] [- FILTER]\n"
        "\n"
        "Cuts flow records into time bins aligned on the epoch (Argus rabins).  A record\n"
        "spanning several bins is split in proportion to its time in each: packets,\n"
        "octets, loss and retransmissions are divided so that the parts sum exactly to\n"
        "the record.  Within a bin, records merge by key like 'netsift aggregate'.\n"
        "\n"
        "  -r FILE        input (repeatable; '-' is stdin)\n"
        "  -M time SEC    bin width (units s, ms, m, h; '-M 60' works too)\n"
        "  -m KEY,...     key within each bin (default none: one total per bin)\n"
        "  --hard         times of each result are its bin's bounds, not its packets'\n"
        "  --estimate     renormalise sampled records (counters / sampled fraction)\n"
        "  --plot FILE    also draw the bins as an SVG chart, stacked by key\n"
        "  --plot-field F the quantity to draw (default bytes; any numeric field)\n" CMD_SINK_HELP
        "  -h, --help     this text\n");
}

struct ctx {
    struct ns_bins *b;
    struct cmd_estimate est;
};

static int add(void *p, const struct ns_record *r, struct ns_error *err)
{
    struct ctx *c = p;
    struct ns_record e;
    return ns_bins_add(c->b, cmd_estimate(&c->est, r, &e), err);
}

int cmd_bins(int argc, char **argv)
{
    struct cmd_inputs in = {0};
    struct cmd_sink_opts so = {0};
    const char *keys = "none", *plot = NULL, *plot_field = "bytes";
    uint64_t width = 0;
    int hard = 0, estimate = 0;
    enum { O_HARD = 256, O_PLOT, O_PLOT_FIELD, O_ESTIMATE };
    static const struct option opts[] = {{"hard", 0, 0, O_HARD},
                                         {"plot", 1, 0, O_PLOT},
                                         {"plot-field", 1, 0, O_PLOT_FIELD},
                                         {"estimate", 0, 0, O_ESTIMATE},
                                         {"help", 0, 0, 'h'},
                                         CMD_SINK_LONGOPTS,
                                         {0, 0, 0, 0}};
    int o;
    while ((o = cmd_getopt(argc, argv, "+r:m:M:h" CMD_SINK_SHORTOPTS, opts, &in)) != -1) {
        if (cmd_sink_option("bins", o, optarg, &so))
            continue;
        switch (o) {
        case 'M': {
            const char *w = optarg;
            if (!strcmp(w, "time")) { /* rabins style: -M time 60 */
                if (optind >= argc)
                    cmd_die("bins", "-M time needs a width, e.g. -M time 60");
                w = argv[optind++];
            }
            if (cmd_parse_seconds(w, &width) < 0 || !width)
                cmd_die("bins", "bin width must be a positive duration, not '%s'", w);
            break;
        }
        case 'm':
            keys = optarg;
            break;
        case O_HARD:
            hard = 1;
            break;
        case O_ESTIMATE:
            estimate = 1;
            break;
        case O_PLOT:
            plot = optarg;
            break;
        case O_PLOT_FIELD:
            plot_field = optarg;
            break;
        case 'h':
            help(stdout);
            return 0;
        default:
            help(stderr);
            return 2;
        }
    }
    cmd_need_inputs("bins", &in);
    if (!width)
        cmd_die("bins", "no bin width: give -M time SEC; see --help");
    struct ns_filter *filter = cmd_filter("bins", argc, argv, optind);
    struct ns_error err = {0};
    struct ns_bins_opts bo = {.width_ns = width, .hard = hard};
    if (ns_aggkey_parse(&bo.key, keys, &err) < 0)
        cmd_die("bins", "%s", err.msg);
    struct ns_bins *b;
    if (ns_bins_create(&b, &bo, &err) < 0)
        cmd_die("bins", "%s", err.msg);
    struct ctx c = {b, {.on = estimate}};
    int status = cmd_each_record("bins", &in, filter, add, &c);
    cmd_estimate_report("bins", &c.est);
    const struct ns_record **res;
    const uint64_t *starts;
    size_t n;
    if (ns_bins_result(b, &res, &starts, &n, &err) < 0)
        cmd_die("bins", "%s", err.msg);
    char kf[512], deflt[700];
    ns_aggkey_fields(&bo.key, kf, sizeof kf);
    snprintf(deflt, sizeof deflt, "stime,dur,%s%strans,pkts,bytes,loss,retrans", kf,
             bo.key.n ? "," : "");
    struct cmd_sink sink;
    cmd_sink_open(&sink, "bins", &so, deflt);
    for (size_t i = 0; i < n; i++)
        if (cmd_sink_emit(&sink, res[i], &err) < 0)
            break;
    status |= cmd_sink_close(&sink);
    if (plot)
        status |= cmd_bins_plot(plot, plot_field, &bo, res, starts, n);
    ns_bins_destroy(b);
    ns_filter_free(filter);
    free(in.paths);
    return status;
}
