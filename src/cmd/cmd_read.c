/* netsift read — print IPFIX flow records (Argus `ra`). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/output.h"
#include "cmd/cmd.h"
#include "ipfix/file.h"

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
    const char *fields = ns_default_fields, *fmt_s = "table";
    char *fields_buf = NULL;
    int epoch = 0;
    enum { O_EPOCH = 256 };
    static const struct option opts[] = {
        {"epoch", 0, 0, O_EPOCH}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    int o;
    while ((o = cmd_getopt(argc, argv, "+r:s:F:h", opts, &in)) != -1) {
        switch (o) {
        case 's':
            if (optarg[0] == '+') {
                free(fields_buf);
                fields_buf = malloc(strlen(ns_default_fields) + strlen(optarg) + 1);
                if (!fields_buf)
                    cmd_die("read", "out of memory");
                sprintf(fields_buf, "%s,%s", ns_default_fields, optarg + 1);
                fields = fields_buf;
            } else {
                fields = optarg;
            }
            break;
        case 'F':
            fmt_s = optarg;
            break;
        case O_EPOCH:
            epoch = 1;
            break;
        case 'h':
            free(fields_buf);
            help(stdout);
            return 0;
        default:
            free(fields_buf);
            help(stderr);
            return 2;
        }
    }
    cmd_need_inputs("read", &in);
    struct ns_filter *filter = cmd_filter("read", argc, argv, optind);

    struct ns_error err = {0};
    enum ns_format fmt;
    struct ns_printer pr;
    if (ns_format_parse(fmt_s, &fmt, &err) < 0 ||
        ns_printer_init(&pr, stdout, fmt, fields, &err) < 0)
        cmd_die("read", "%s", err.msg);
    pr.epoch_times = epoch;

    int status = 0;
    for (size_t i = 0; i < in.n; i++) {
        struct ns_ipfix_reader *r;
        if (ns_ipfix_reader_open(&r, in.paths[i], &err) < 0) {
            fprintf(stderr, "netsift read: %s\n", err.msg);
            status = 1;
            continue;
        }
        struct ns_record rec;
        int rc;
        while ((rc = ns_ipfix_reader_next(r, &rec, &err)) == 1)
            if (ns_filter_match(filter, &rec))
                ns_printer_record(&pr, &rec);
        if (rc < 0) {
            fprintf(stderr, "netsift read: %s\n", err.msg);
            status = 1;
        }
        const struct ns_ipfix_stats *rs = ns_ipfix_reader_stats(r);
        if (rs->skipped_sets)
            fprintf(stderr,
                    "netsift read: %s: skipped %" PRIu64
                    " data sets of templates never defined in the stream\n",
                    in.paths[i], rs->skipped_sets);
        ns_ipfix_reader_close(r);
    }
    if (ns_printer_finish(&pr, &err) < 0) {
        fprintf(stderr, "netsift read: %s\n", err.msg);
        status = 1;
    }
    ns_filter_free(filter);
    free(fields_buf);
    free(in.paths);
    return status;
}
