/* netsift sort — order records by fields (Argus rasort); --top N. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/sort.h"
#include "cmd/cmd.h"
#include "cmd/sink.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: netsift sort -r FILE... -m FIELD[:asc|:desc],... [--top N] [options]\n"
            "                    [- FILTER]\n"
            "\n"
            "Prints (or writes, -w) the flow records of IPFIX files in the order of the given\n"
            "fields (Argus rasort).  Quantities (bytes, pkts, loss, dur, ...) sort largest\n"
            "first, identities (addresses, ports, proto) and times smallest first, unless\n"
            ":asc or :desc says otherwise; records without a field come last; ties keep\n"
            "input order.\n"
            "\n"
            "  -r FILE        input (repeatable; '-' is stdin)\n"
            "  -m FIELDS      sort key (any field of 'netsift read --help')\n"
            "  --top N        only the first N records (top talkers), in memory for N "
            "only\n" CMD_SINK_HELP "  -h, --help     this text\n"
            "\n"
            "example: netsift aggregate -r f.ipfix -m saddr -w - | netsift sort -r - -m bytes "
            "--top 10\n");
}

struct all {
    struct ns_record *r;
    size_t n, cap;
    struct ns_sort_top *top;
};

static int keep(void *p, const struct ns_record *r, struct ns_error *err)
{
    struct all *a = p;
    if (a->top) {
        ns_sort_top_add(a->top, r);
        return 0;
    }
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 4096;
        struct ns_record *nr = realloc(a->r, cap * sizeof *nr);
        if (!nr)
            return ns_error_set(err, NS_ENOMEM, "out of memory after %zu records", a->n);
        a->r = nr;
        a->cap = cap;
    }
    a->r[a->n++] = *r;
    return 0;
}

int cmd_sort(int argc, char **argv)
{
    struct cmd_inputs in = {0};
    struct cmd_sink_opts so = {0};
    const char *keys = NULL;
    uint64_t top = 0;
    enum { O_TOP = 256 };
    static const struct option opts[] = {
        {"top", 1, 0, O_TOP}, {"help", 0, 0, 'h'}, CMD_SINK_LONGOPTS, {0, 0, 0, 0}};
    int o;
    while ((o = cmd_getopt(argc, argv, "+r:m:h" CMD_SINK_SHORTOPTS, opts, &in)) != -1) {
        if (cmd_sink_option("sort", o, optarg, &so))
            continue;
        switch (o) {
        case 'm':
            keys = optarg;
            break;
        case O_TOP:
            if (cmd_parse_u64(optarg, &top) < 0 || !top || top > 100000000)
                cmd_die("sort", "--top wants a count 1..100000000, not '%s'", optarg);
            break;
        case 'h':
            help(stdout);
            return 0;
        default:
            help(stderr);
            return 2;
        }
    }
    cmd_need_inputs("sort", &in);
    if (!keys)
        cmd_die("sort", "no sort key: give -m FIELD,... (e.g. -m bytes); see --help");
    struct ns_filter *filter = cmd_filter("sort", argc, argv, optind);
    struct ns_error err = {0};
    struct ns_sort_spec spec;
    if (ns_sort_parse(&spec, keys, &err) < 0)
        cmd_die("sort", "%s", err.msg);
    struct all a = {0};
    if (top && ns_sort_top_create(&a.top, &spec, (size_t)top, &err) < 0)
        cmd_die("sort", "%s", err.msg);
    int status = cmd_each_record("sort", &in, filter, keep, &a);
    const struct ns_record *out = a.r;
    size_t n = a.n;
    if (a.top)
        out = ns_sort_top_result(a.top, &n);
    else if (ns_sort_records(&spec, a.r, a.n, &err) < 0)
        cmd_die("sort", "%s", err.msg);
    struct cmd_sink sink;
    cmd_sink_open(&sink, "sort", &so, ns_default_fields);
    for (size_t i = 0; i < n; i++)
        if (cmd_sink_emit(&sink, &out[i], &err) < 0)
            break;
    status |= cmd_sink_close(&sink);
    ns_sort_top_free(a.top);
    ns_filter_free(filter);
    free(a.r);
    free(in.paths);
    return status;
}
