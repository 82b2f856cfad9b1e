/*
 * netsift cull filter|apply|remove — the RFC 8327 involuntary-teardown
 * filter: printed for a switch platform, or installed on Linux bridge ports
 * with nft.  Option parsing and printing only; cull/filter.h writes the
 * filters, cull/nft.h runs nft.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cull/filter.h"
#include "cull/nft.h"

static void help_filter(FILE *out)
{
    fprintf(out,
            "usage: netsift cull filter --platform P --lan PREFIX [--lan PREFIX...]\n"
            "                           [--port IFACE...] [--name NAME] [options]\n"
            "\n"
            "Prints the RFC 8327 involuntary BGP session teardown filter: drop TCP with\n"
            "source or destination port 179 (BGP, either direction) when source and\n"
            "destination are both peering-LAN addresses of the same family; permit all\n"
            "else.  Multihop BGP that merely transits the fabric is untouched.\n"
            "\n"
            "  --platform P     %s\n"
            "  --lan PREFIX     a peering LAN prefix, e.g. 192.0.2.0/24 or 2001:db8:2::/64\n"
            "                   (repeat for every prefix and family on the fabric)\n"
            "  --port IFACE     a member port to apply it on, ingress (repeatable); nftables\n"
            "                   without ports filters every bridge port\n"
            "  --name NAME      filter name (default: the RFC's ACL names, 'cull' for junos,\n"
            "                   '" NS_CULL_NFT_TABLE "' for the nftables table)\n"
            "  --filter-id N    SR OS filter number (default 10)\n"
            "  --no-description do not set the ports' description\n"
            "  -h, --help       this text\n"
            "\n"
            "example: netsift cull filter --platform eos --lan 192.0.2.0/24 --lan "
            "2001:db8:2::/64 --port Ethernet33\n",
            ns_cull_platform_list());
}

static void help_apply(FILE *out, const char *sub)
{
    if (!strcmp(sub, "apply"))
        fprintf(out,
                "usage: netsift cull apply --lan PREFIX [--lan PREFIX...] --port IFACE "
                "[--port IFACE...]\n"
                "                          [--name TABLE] [--dry-run] [--nft PATH]\n"
                "\n"
                "Installs the nftables culling filter (table bridge %s, prerouting hook,\n"
                "iifname on the given bridge ports) with one nft transaction that replaces\n"
                "any previous one: applying twice leaves exactly one filter.\n",
                NS_CULL_NFT_TABLE);
    else
        fprintf(out, "usage: netsift cull remove [--name TABLE] [--dry-run] [--nft PATH]\n"
                     "\n"
                     "Removes the nftables culling filter; removing an absent filter is not "
                     "an error.\n");
    fprintf(out, "\n"
                 "  --lan PREFIX   a peering LAN prefix (repeatable)\n"
                 "  --port IFACE   a bridge port of a member under maintenance (repeatable)\n"
                 "  --name TABLE   nft table name (default " NS_CULL_NFT_TABLE ")\n"
                 "  --dry-run      print the nft script, change nothing\n"
                 "  --nft PATH     the nft program (default: nft from PATH or /usr/sbin)\n"
                 "  -h, --help     this text\n");
}

struct opts {
    struct ns_lan lan;
    const char *ports[NS_CULL_MAX_PORTS];
    size_t nports;
    const char *platform, *name, *nft;
    unsigned filter_id;
    int no_description, dry_run;
};

enum { O_PLATFORM = 256, O_LAN, O_PORT, O_NAME, O_ID, O_NODESC, O_DRY, O_NFT };

/* Parse the options of `sub`; `allowed` lists the long options it takes. */
static void parse(const char *sub, int argc, char **argv, struct opts *o, const char *allowed)
{
    static const struct option lo[] = {{"platform", 1, 0, O_PLATFORM},
                                       {"lan", 1, 0, O_LAN},
                                       {"port", 1, 0, O_PORT},
                                       {"name", 1, 0, O_NAME},
                                       {"filter-id", 1, 0, O_ID},
                                       {"no-description", 0, 0, O_NODESC},
                                       {"dry-run", 0, 0, O_DRY},
                                       {"nft", 1, 0, O_NFT},
                                       {"help", 0, 0, 'h'},
                                       {0, 0, 0, 0}};
    char what[40];
    snprintf(what, sizeof what, "cull %s", sub);
    memset(o, 0, sizeof *o);
    o->nft = "nft";
    int c, idx = -1;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", lo, &idx)) != -1) {
        if (c == '?' || c == ':')
            cmd_die(what, "unknown or incomplete option '%s'; see --help", argv[optind - 1]);
        if (c != 'h' && idx >= 0 && !strstr(allowed, lo[idx].name))
            cmd_die(what, "--%s does not apply to '%s'; see --help", lo[idx].name, sub);
        idx = -1;
        struct ns_error err = {0};
        switch (c) {
        case O_PLATFORM:
            o->platform = optarg;
            break;
        case O_LAN:
            if (ns_lan_add(&o->lan, optarg, &err) < 0)
                cmd_die(what, "--lan %s", err.msg);
            break;
        case O_PORT:
            if (o->nports == NS_CULL_MAX_PORTS)
                cmd_die(what, "--port: more than %d ports", NS_CULL_MAX_PORTS);
            o->ports[o->nports++] = optarg;
            break;
        case O_NAME:
            o->name = optarg;
            break;
        case O_ID: {
            uint64_t v;
            if (cmd_parse_u64(optarg, &v) < 0 || !v || v > 65535)
                cmd_die(what, "--filter-id wants a filter number 1..65535, not '%s'", optarg);
            o->filter_id = (unsigned)v;
            break;
        }
        case O_NODESC:
            o->no_description = 1;
            break;
        case O_DRY:
            o->dry_run = 1;
            break;
        case O_NFT:
            o->nft = optarg;
            break;
        case 'h':
            if (!strcmp(sub, "filter"))
                help_filter(stdout);
            else
                help_apply(stdout, sub);
            exit(0);
        }
    }
    if (optind < argc)
        cmd_die(what, "unexpected argument '%s'; see --help", argv[optind]);
}

static struct ns_cull_spec spec_of(const struct opts *o, enum ns_cull_platform pl)
{
    struct ns_cull_spec s = {.platform = pl,
                             .lan = &o->lan,
                             .ports = o->ports,
                             .nports = o->nports,
                             .name = o->name,
                             .filter_id = o->filter_id,
                             .no_description = o->no_description};
    return s;
}

int cmd_cull_filter(int argc, char **argv)
{
    struct opts *o = calloc(1, sizeof *o);
    if (!o)
        cmd_die("cull filter", "out of memory");
    parse("filter", argc, argv, o, "platform lan port name filter-id no-description");
    enum ns_cull_platform pl;
    struct ns_error err = {0};
    if (!o->platform)
        cmd_die("cull filter", "no --platform (one of %s)", ns_cull_platform_list());
    if (ns_cull_platform_parse(o->platform, &pl, &err) < 0)
        cmd_die("cull filter", "--platform: %s", err.msg);
    if (o->filter_id && pl != NS_CULL_SROS)
        cmd_die("cull filter", "--filter-id is for --platform sros only");
    struct ns_cull_spec s = spec_of(o, pl);
    if (ns_cull_spec_check(&s, &err) < 0)
        cmd_die("cull filter", "%s", err.msg);
    int rc = ns_cull_filter_write(stdout, &s, &err);
    free(o);
    if (rc < 0) {
        fprintf(stderr, "netsift cull filter: %s\n", err.msg);
        return 1;
    }
    return 0;
}

/* Print a list of the spec's prefixes of one family: "IPv4 192.0.2.0/24". */
static void print_lan(FILE *out, const struct ns_lan *lan)
{
    const char *sep = "";
    for (int f = 4; f <= 6; f += 2) {
        if (!ns_lan_count(lan, f))
            continue;
        fprintf(out, "%sIPv%d", sep, f);
        for (size_t i = 0; i < lan->n; i++) {
            char t[NS_PREFIX_STRLEN];
            if (lan->p[i].family != f)
                continue;
            ns_prefix_format(&lan->p[i], t, sizeof t);
            fprintf(out, " %s", t);
        }
        sep = ", ";
    }
}

static int table_exists(const char *what, const char *nft, const char *table)
{
    struct ns_error err = {0};
    int rc = ns_cull_nft_table_exists(nft, table, &err);
    if (rc < 0) {
        fprintf(stderr, "netsift %s: %s\n", what, err.msg);
        exit(1);
    }
    return rc;
}

int cmd_cull_apply(int argc, char **argv)
{
    struct opts *o = calloc(1, sizeof *o);
    if (!o)
        cmd_die("cull apply", "out of memory");
    parse("apply", argc, argv, o, "lan port name dry-run nft");
    struct ns_cull_spec s = spec_of(o, NS_CULL_NFTABLES);
    struct ns_error err = {0};
    if (ns_cull_spec_check(&s, &err) < 0)
        cmd_die("cull apply", "%s", err.msg);
    char *script = NULL;
    size_t slen = 0;
    FILE *m = open_memstream(&script, &slen);
    if (!m)
        cmd_die("cull apply", "out of memory");
    int rc = ns_cull_nft_apply_script(m, &s, &err);
    fclose(m);
    if (rc < 0)
        cmd_die("cull apply", "%s", err.msg);
    const char *table = ns_cull_nft_table(&s);
    if (o->dry_run) {
        fputs(script, stdout);
        free(script);
        free(o);
        return 0;
    }
    /* RFC 8327 §3.2.2: a filter that misses a port (a LAG member, a typo)
     * leaves sessions up; say so before installing. */
    for (size_t i = 0; i < o->nports; i++) {
        enum ns_cull_port_state ps = ns_cull_port_state(o->ports[i]);
        if (ps == NS_CULL_PORT_MISSING)
            fprintf(stderr,
                    "netsift cull apply: warning: no interface '%s' here; its rule matches "
                    "nothing until it appears\n",
                    o->ports[i]);
        else if (ps == NS_CULL_PORT_NOT_BRIDGED)
            fprintf(stderr,
                    "netsift cull apply: warning: '%s' is not a bridge port; the bridge "
                    "filter does not see its traffic\n",
                    o->ports[i]);
    }
    int existed = table_exists("cull apply", o->nft, table);
    const char *args[] = {o->nft, "-f", "-", NULL};
    char out[8192];
    rc = ns_cull_nft_run(args, script, out, sizeof out, &err);
    free(script);
    if (rc != 0) {
        fprintf(stderr, "netsift cull apply: nft failed%s%s\n%s", rc < 0 ? ": " : "",
                rc < 0 ? err.msg : "", rc < 0 ? "" : out);
        free(o);
        return 1;
    }
    if (!table_exists("cull apply", o->nft, table)) {
        fprintf(stderr, "netsift cull apply: nft succeeded but table bridge %s is absent\n", table);
        free(o);
        return 1;
    }
    printf("%s table bridge %s: %zu drop rules (tcp/179 either way between ",
           existed ? "replaced" : "installed", table, ns_cull_filter_rules(&s));
    print_lan(stdout, &o->lan);
    printf(") on ingress of port%s", o->nports > 1 ? "s" : "");
    for (size_t i = 0; i < o->nports; i++)
        printf(" %s", o->ports[i]);
    printf("\n");
    free(o);
    return 0;
}

int cmd_cull_remove(int argc, char **argv)
{
    struct opts *o = calloc(1, sizeof *o);
    if (!o)
        cmd_die("cull remove", "out of memory");
    /* --lan and --port are accepted (and checked) so an apply command line
     * can be turned into its remove by changing the verb. */
    parse("remove", argc, argv, o, "lan port name dry-run nft");
    struct ns_cull_spec s = spec_of(o, NS_CULL_NFTABLES);
    struct ns_error err = {0};
    if (ns_cull_name_check(NS_CULL_NFTABLES, o->name, &err) < 0)
        cmd_die("cull remove", "%s", err.msg);
    const char *table = ns_cull_nft_table(&s);
    char script[200];
    /* Idempotent: "table" creates it when absent, so "delete" never fails. */
    snprintf(script, sizeof script, "table bridge %s\ndelete table bridge %s\n", table, table);
    if (o->dry_run) {
        fputs(script, stdout);
        free(o);
        return 0;
    }
    if (!table_exists("cull remove", o->nft, table)) {
        printf("no table bridge %s: nothing to remove\n", table);
        free(o);
        return 0;
    }
    /* The counters tell how much BGP the filter held back. */
    const char *list[] = {o->nft, "list", "table", "bridge", table, NULL};
    char out[8192];
    unsigned long long pkts = 0;
    if (ns_cull_nft_run(list, NULL, out, sizeof out, &err) == 0)
        for (const char *p = strstr(out, "counter packets "); p;
             p = strstr(p + 1, "counter packets "))
            pkts += strtoull(p + strlen("counter packets "), NULL, 10);
    const char *args[] = {o->nft, "-f", "-", NULL};
    int rc = ns_cull_nft_run(args, script, out, sizeof out, &err);
    if (rc != 0) {
        fprintf(stderr, "netsift cull remove: nft failed%s%s\n%s", rc < 0 ? ": " : "",
                rc < 0 ? err.msg : "", rc < 0 ? "" : out);
        free(o);
        return 1;
    }
    printf("removed table bridge %s (it had dropped %llu BGP packets)\n", table, pkts);
    free(o);
    return 0;
}
