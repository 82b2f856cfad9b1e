/* netsift read — print IPFIX flow records (Argus `ra`). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "cmd/read_reports.h"
#include "cmd/sink.h"
#include "fsel/optrec.h"

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
            "  --check        print no records: verify the conservation identities of\n"
            "                 the metering/flow selection statistics options records\n"
            "                 against the records read (OK, or the differences)\n"
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

struct emit_ctx {
    struct cmd_sink *sink; /* NULL: --check, tally only */
    struct ns_fsel_tally tally;
};

static int emit(void *ctx, const struct ns_record *r, struct ns_error *err)
{
    struct emit_ctx *e = ctx;
    ns_fsel_tally_add(&e->tally, r);
    return e->sink ? cmd_sink_emit(e->sink, r, err) : 0;
}

int cmd_read(int argc, char **argv)
{
    enum { O_CHECK = 300 };
    int check = 0;
    struct cmd_inputs in = {0};
    struct cmd_sink_opts so = {0};
    enum { O_REPORTS = 600, O_SELSUM };
    static const struct option opts[] = {{"epoch", 0, 0, CMD_O_EPOCH},
                                         {"reports", 0, 0, O_REPORTS},
                                         {"selection-summary", 0, 0, O_SELSUM},
                                         {"check", 0, 0, O_CHECK},
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
        if (o == O_CHECK) {
            check = 1;
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
    if (check && (reports || selsum))
        cmd_die("read", "--check is for flow records; --reports/--selection-summary for packet "
                        "reports: give one");
    if (reports || selsum) { /* PSAMP packet reports, not flows */
        int st = cmd_read_reports("read", (const char *const *)in.paths, in.n, reports, selsum);
        free(in.paths);
        return st;
    }
    struct ns_filter *filter = cmd_filter("read", argc, argv, optind);
    if (check && filter)
        cmd_die("read", "--check counts every record: give no filter");
    struct ns_fsel_report *rep = calloc(1, sizeof *rep);
    if (!rep)
        cmd_die("read", "out of memory");
    struct cmd_sink sink;
    struct emit_ctx ec = {check ? NULL : &sink, {0}};
    if (!check)
        cmd_sink_open(&sink, "read", &so, ns_default_fields);
    int status = cmd_each_record_opts("read", &in, filter, emit, &ec, cmd_fsel_report_opt, rep);
    if (!check) {
        status |= cmd_sink_close(&sink);
        ns_fsel_print_left_out(rep, stderr);
    } else {
        int bad = ns_fsel_check(rep, &ec.tally, stdout);
        if (bad < 0) {
            fprintf(stderr, "netsift read: --check: no metering statistics options records in "
                            "the input (netsift probe --process-stats writes them)\n");
            status = 1;
        } else {
            printf(bad ? "DIFFERS: %d identities do not hold\n" : "OK\n", bad);
            status |= bad != 0;
        }
    }
    free(rep);
    ns_filter_free(filter);
    free(in.paths);
    return status;
}
