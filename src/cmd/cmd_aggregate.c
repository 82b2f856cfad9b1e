/* netsift aggregate — merge records by key (Argus racluster). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/aggregate.h"
#include "analysis/estimate.h"
#include "fsel/optrec.h"
#include "cmd/cmd.h"
#include "cmd/sink.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: netsift aggregate -r FILE... [-m KEY,...] [--idle SEC] [options] [- FILTER]\n"
            "\n"
            "Merges the flow records of IPFIX files that share a key (Argus racluster), with\n"
            "per-field rules that never lose a count: packets, octets, loss (negative\n"
            "corrections included) and retransmissions add; times take min/max; TCP flags\n"
            "OR; jitter pools means and variances (man netsift-aggregate).\n"
            "\n"
            "  -r FILE        input (repeatable; '-' is stdin)\n"
            "  -m KEY,...     fields that make the key (any field of 'netsift read --help');\n"
            "                 saddr/24 cuts addresses to a prefix (saddr/24/64: IPv4/IPv6);\n"
            "                 'none' is one grand total; default 'flow' (the flow key and\n"
            "                 flowId: status records merge back into their flow)\n"
            "  --idle SEC     start a new aggregate when a record starts SEC after the\n"
            "                 key's last packet (units s, ms, m, h)\n"
            "  --estimate     renormalise sampled records (counters / sampled fraction)\n"
            "                 before merging, so totals estimate the whole traffic\n" CMD_SINK_HELP
            "  -h, --help     this text\n"
            "\n"
            "A record filter may follow the inputs (man netsift-filter): the records that\n"
            "match are aggregated.\n");
}

static const char *default_fields(const struct ns_aggkey *k, const char *m, char *buf, size_t len)
{
    if (!m || !*m || !strcmp(m, "flow"))
        return "stime,dur,proto,saddr,sport,dir,daddr,dport,trans,spkts,dpkts,sbytes,dbytes,loss,"
               "retrans,state";
    char keys[512];
    ns_aggkey_fields(k, keys, sizeof keys);
    snprintf(buf, len, "stime,dur,%s%strans,flows,pkts,bytes,loss,retrans", keys, k->n ? "," : "");
    return buf;
}

struct ctx {
    struct ns_agg *agg;
    struct cmd_sink *sink;
    struct cmd_estimate est;
};

static int add(void *p, const struct ns_record *r, struct ns_error *err)
{
    struct ctx *c = p;
    struct ns_record e;
    return ns_agg_add(c->agg, cmd_estimate(&c->est, r, &e), cmd_sink_emit, c->sink, err);
}

int cmd_aggregate(int argc, char **argv)
{
    struct cmd_inputs in = {0};
    struct cmd_sink_opts so = {0};
    const char *keys = NULL;
    uint64_t idle = 0;
    int estimate = 0;
    enum { O_IDLE = 256, O_ESTIMATE };
    static const struct option opts[] = {{"idle", 1, 0, O_IDLE},
                                         {"estimate", 0, 0, O_ESTIMATE},
                                         {"help", 0, 0, 'h'},
                                         CMD_SINK_LONGOPTS,
                                         {0, 0, 0, 0}};
    int o;
    while ((o = cmd_getopt(argc, argv, "+r:m:h" CMD_SINK_SHORTOPTS, opts, &in)) != -1) {
        if (cmd_sink_option("aggregate", o, optarg, &so))
            continue;
        switch (o) {
        case 'm':
            keys = optarg;
            break;
        case O_IDLE:
            if (cmd_parse_seconds(optarg, &idle) < 0 || !idle)
                cmd_die("aggregate", "--idle wants a positive duration, not '%s'", optarg);
            break;
        case O_ESTIMATE:
            estimate = 1;
            break;
        case 'h':
            help(stdout);
            return 0;
        default:
            help(stderr);
            return 2;
        }
    }
    cmd_need_inputs("aggregate", &in);
    struct ns_filter *filter = cmd_filter("aggregate", argc, argv, optind);

    struct ns_error err = {0};
    struct ns_agg_opts ao = {.idle_ns = idle};
    if (ns_aggkey_parse(&ao.key, keys, &err) < 0)
        cmd_die("aggregate", "%s", err.msg);
    struct ns_agg *agg;
    if (ns_agg_create(&agg, &ao, &err) < 0)
        cmd_die("aggregate", "%s", err.msg);
    struct cmd_sink sink;
    char fbuf[600];
    cmd_sink_open(&sink, "aggregate", &so, default_fields(&ao.key, keys, fbuf, sizeof fbuf));
    struct ctx c = {agg, &sink, {.on = estimate}};
    /* what the flow selection left out (fsel/optrec.h), told with the totals */
    struct ns_fsel_report *rep = calloc(1, sizeof *rep);
    if (!rep)
        cmd_die("aggregate", "out of memory");
    int status = cmd_each_record_opts("aggregate", &in, filter, add, &c, cmd_fsel_report_opt, rep);
    if (ns_agg_flush(agg, cmd_sink_emit, &sink, &err) < 0)
        cmd_die("aggregate", "%s", err.msg);
    status |= cmd_sink_close(&sink);
    cmd_estimate_report("aggregate", &c.est);
    ns_fsel_print_left_out(rep, stderr);
    free(rep);
    ns_agg_destroy(agg);
    ns_filter_free(filter);
    free(in.paths);
    return status;
}
