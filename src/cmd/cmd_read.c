/* netsift read — print IPFIX flow records (Argus `ra`). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "cmd/read_reports.h"
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
            "  --reports      print PSAMP packet reports and their interpretation (netsift\n"
            "                 probe --report, softflowd -v psamp) instead of flows\n"
            "  --selection-summary  per selection sequence: the attained selection\n"
            "                 fraction R = (n-1)/(s_n-s_1) from the reports' input sequence\n"
            "                 numbers (RFC 5474 5.3) and the totals n/R, B/R with standard errors\n"
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
    enum { O_REPORTS = 600, O_SELSUM };
    static const struct option opts[] = {{"epoch", 0, 0, CMD_O_EPOCH},
                                         {"reports", 0, 0, O_REPORTS},
                                         {"selection-summary", 0, 0, O_SELSUM},
                                         {"help", 0, 0, 'h'},
                                         {0, 0, 0, 0}};
    int o, reports = 0, selsum = 0;
    while ((o = cmd_getopt(argc, argv, "+r:s:F:h", opts, &in)) != -1) {
        if (cmd_sink_option("read", o, optarg, &so))
            continue;
        if (o == O_REPORTS || o == O_SELSUM) {
            reports |= o == O_REPORTS;
            selsum |= o == O_SELSUM;
            continue;
        }
        if (o == 'h') {
            help(stdout);
            return 0;
        }
        help(stderr);
        return 2;
    }
    cmd_need_inputs("read", &in);
    if (reports || selsum) { /* PSAMP packet reports, not flows */
        int st = cmd_read_reports("read", (const char *const *)in.paths, in.n, reports, selsum);
        free(in.paths);
        return st;
    }
    struct ns_filter *filter = cmd_filter("read", argc, argv, optind);
    struct cmd_sink sink;
    cmd_sink_open(&sink, "read", &so, ns_default_fields);
    int status = cmd_each_record("read", &in, filter, cmd_sink_emit, &sink);
    status |= cmd_sink_close(&sink);
    ns_filter_free(filter);
    free(in.paths);
    return status;
}
