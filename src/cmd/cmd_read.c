/* netsift read — print IPFIX flow records (Argus `ra`). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "cmd/sink.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: netsift read -r FILE [FILE...] [-s FIELDS] [-F table|csv|json]\n"
            "                    [-] [FILTER]\n"
            "\n"
            "Prints the flow records of IPFIX files (RFC 5655; zstd-compressed too),\n"
            "'-r -' reads standard input, so 'netsift probe ... | netsift read -r -' works.\n"
            "\n"
            "FILTER selects records, tcpdump/Argus style (netsift-filter(7)); a lone '-'\n"
            "or '--' may separate it from the inputs:\n"
            "  netsift read -r f.ipfix - tcp and dst port 443\n"
            "  netsift read -r f.ipfix - 'host 10.0.0.1 and (udp or icmp)'\n"
            "  netsift read -r f.ipfix - 'bytes > 1M and dur >= 5 and not state == CON'\n"
            "Terms: tcp udp icmp icmp6 sctp esp gre ah ip ip6, proto N, [src|dst] host A,\n"
            "[src|dst] net P/LEN, [src|dst] port [OP] N, portrange A-B, vlan N, and FIELD OP\n"
            "VALUE for any field below (OP: == != < <= > >= eq ne lt le gt ge; numbers take\n"
            "1e6, 10k, 2M, 1G).  'and' and 'or' have EQUAL precedence, left to right: use\n"
            "parentheses.  A field the record lacks compares false.\n"
            "\n"
            "  -r FILE        input (repeatable; further file names may follow)\n"
            "  -s FIELDS      comma-separated fields; '+f,...' adds to the defaults\n"
            "                 (default %s)\n"
            "  -F FORMAT      table (default), csv (header row of field names), json (lines)\n"
            "  --epoch        times as seconds.nanoseconds since 1970 in tables too\n"
            "  -h, --help     this text and the list of fields\n"
            "\n"
            "Records of templates or IEs netsift does not know are skipped and counted\n"
            "(the count is printed on stderr).  Fields (Argus short name, IPFIX IE name):\n",
            ns_default_fields);
    size_t n;
    const struct ns_field *t = ns_field_table(&n);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %-13s %-30s %s\n", t[i].name, t[i].ie_name ? t[i].ie_name : "", t[i].help);
}

int cmd_read(int argc, char **argv)
{
    struct cmd_inputs in = {0};
    struct cmd_sink_opts so = {0};
    static const struct option opts[] = {
        {"epoch", 0, 0, CMD_O_EPOCH}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    int o;
    while ((o = cmd_getopt(argc, argv, "+r:s:F:h", opts, &in)) != -1) {
        if (cmd_sink_option("read", o, optarg, &so))
            continue;
        if (o == 'h') {
            help(stdout);
            return 0;
        }
        help(stderr);
        return 2;
    }
    cmd_need_inputs("read", &in);
    struct ns_filter *filter = cmd_filter("read", argc, argv, optind);
    struct cmd_sink sink;
    cmd_sink_open(&sink, "read", &so, ns_default_fields);
    int status = cmd_each_record("read", &in, filter, cmd_sink_emit, &sink);
    status |= cmd_sink_close(&sink);
    ns_filter_free(filter);
    free(in.paths);
    return status;
}
