/* netsift — git-style front end; each subcommand lives in its own file. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"probe", cmd_probe, "meter packets from capture files into IPFIX flow records"},
    {"read", cmd_read, "print IPFIX flow records as a table, CSV or JSON"},
    {"aggregate", cmd_aggregate, "merge records that share a key (Argus racluster)"},
    {"sort", cmd_sort, "order records by fields; --top N for top talkers (Argus rasort)"},
    {"bins", cmd_bins, "records in time bins, split in proportion (Argus rabins)"},
    {"collect", cmd_collect, "receive IPFIX over UDP/TCP from exporters into rotated files"},
    {"trajectory", cmd_trajectory, "loss and delay of hash-sampled packets between points"},
    {"cull", cmd_cull, "BGP session culling (RFC 8327): filters, plan, monitor"},
    {"gen", cmd_gen, "write a deterministic synthetic capture (and its ground truth)"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: netsift <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(out,
            "\n'netsift <command> --help' describes each; man netsift-<command> too.\n"
            "example: netsift probe -r trace.pcap -w flows.ipfix && netsift read -r flows.ipfix\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("netsift 0.1.0\n");
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "netsift: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
