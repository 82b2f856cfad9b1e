/*
 * netsift cull — BGP session culling at IXPs (RFC 8327).
 *
 * One front end for five subcommands.  `filter`, `apply` and `remove` (the
 * filters themselves) live in cmd_cull_filter.c; `plan` and `monitor` (what
 * the filters will cut, and watching them do it) in cmd_cull_monitor.c.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} subs[] = {
    {"filter", cmd_cull_filter, "print the involuntary-teardown filter for a platform"},
    {"apply", cmd_cull_apply, "install the nftables filter on Linux bridge ports"},
    {"remove", cmd_cull_remove, "remove the nftables filter again"},
    {"plan", cmd_cull_plan, "list the BGP sessions the filter will cull"},
    {"monitor", cmd_cull_monitor, "watch culling until sessions and traffic are gone"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: netsift cull <subcommand> [options]\n\n"
                 "BGP session culling (RFC 8327): filters that cut BGP on a peering LAN\n"
                 "before maintenance, and a monitor that says when culling is complete.\n\n"
                 "subcommands:\n");
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        fprintf(out, "  %-8s %s\n", subs[i].name, subs[i].help);
    fprintf(out, "\n'netsift cull <subcommand> --help' describes each; man netsift-cull.\n");
}

int cmd_cull(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (!strcmp(argv[1], subs[i].name))
            return subs[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "netsift cull: unknown subcommand '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
