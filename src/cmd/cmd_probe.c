/* netsift probe — capture files → flow meter → IPFIX. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/export_opts.h"
#include "probe/probe.h"

static void help(FILE *out)
{
    fputs("usage: netsift probe -r FILE [FILE...] [-w OUT] [options] [--] [capture filter]\n"
          "\n"
          "Meters the packets of pcap/pcapng files into biflow records (RFC 5103) and\n"
          "writes them as an IPFIX file (RFC 5655). Files are read in the order given;\n"
          "'-r -' reads a capture from standard input. A tcpdump-style capture filter may\n"
          "follow the options (put '--' before it when a word could be a file name).\n"
          "\n"
          "  -r FILE          input capture (repeatable; further file names may follow)\n"
          "  -w OUT           IPFIX output file, '-' for stdout (the default when stdout\n"
          "                   is not a terminal); '.zst' suffix or --zstd compresses\n"
          "  --zstd[=LEVEL]   compress the output with zstd (level 1-19, default 3)\n"
          "  --status SEC     status interval (active timeout): a flow alive longer is\n"
          "                   reported every SEC seconds, counters as deltas (default 60,\n"
          "                   like argus -S; 0 = off)\n"
          "  --idle SEC       idle timeout for non-TCP flows (default 30, like argus)\n"
          "  --tcp-idle SEC   idle timeout for TCP flows (default 60); a TCP flow that\n"
          "                   ended (FIN both ways, or RST) is reported 3 s later\n"
          "  --max-flows N    flow cache budget (default 65536), reserved at start and\n"
          "                   used as flows arrive (about 0.3 KB per flow, 0.7 KB for\n"
          "                   TCP); when full, a closed TCP flow or else the least recently\n"
          "                   used flow is exported early (flowEndReason 5,\n"
          "                   lackOfResources) and counted; nothing is lost\n"
          "  --domain N       IPFIX observation domain id (default 0)\n" CMD_EXPORT_HELP
          "  -q               no summary on stderr\n"
          "  -h, --help       this text\n"
          "\n"
          "Times take a unit: 500ms, 5s, 2m, 1h. The summary on stderr counts packets,\n"
          "flows, records by end reason and malformed packets by reason.\n"
          "Example: netsift probe -r trace.pcap -w flows.ipfix -- tcp port 443\n",
          out);
}

struct ui {
    int tty;
    int shown;
};

static void progress(void *ctx, const char *file, uint64_t done, uint64_t total, uint64_t packets)
{
    struct ui *u = ctx;
    if (!u->tty || total < (64u << 20))
        return;
    fprintf(stderr, "\r%s: %3.0f%% %" PRIu64 " packets", file, 100.0 * (double)done / (double)total,
            packets);
    u->shown = 1;
}

static void warn(void *ctx, const char *msg)
{
    struct ui *u = ctx;
    if (u->shown) {
        fputc('\n', stderr);
        u->shown = 0;
    }
    fprintf(stderr, "netsift probe: warning: %s\n", msg);
}

static void summary(const struct ns_probe_stats *st)
{
    const struct ns_meter_stats *m = &st->meter;
    fprintf(stderr,
            "netsift probe: %" PRIu64 " packets (%" PRIu64 " IP, %" PRIu64 " non-IP, %" PRIu64
            " filtered out), %" PRIu64 " flows, %" PRIu64 " records\n",
            st->packets, st->ip, st->non_ip, st->filtered, m->flows_created, st->records);
    fprintf(stderr,
            "  records by end: idle %" PRIu64 ", status %" PRIu64 ", end of flow %" PRIu64
            ", end of input %" PRIu64 ", cache full %" PRIu64 "\n",
            m->records[NS_END_IDLE], m->records[NS_END_ACTIVE], m->records[NS_END_EOF],
            m->records[NS_END_FORCED], m->records[NS_END_RESOURCE]);
    fprintf(stderr, "  cpu: reading %.2f s, metering %.2f s\n", (double)st->cpu_read_ns / 1e9,
            (double)st->cpu_meter_ns / 1e9);
    if (m->frag_hits || m->frag_misses || m->frag_orphans)
        fprintf(stderr,
                "  fragments: %" PRIu64 " matched their datagram, %" PRIu64
                " arrived before it, %" PRIu64 " datagrams never saw their first fragment (%" PRIu64
                " fragments counted in port-0 flows)\n",
                m->frag_hits, m->frag_misses, m->frag_orphans, m->frag_orphan_pkts);
    int any = 0;
    for (int i = 1; i < NS_MAL__COUNT; i++) {
        if (!st->malformed[i])
            continue;
        fprintf(stderr, "%s%s %" PRIu64,
                any ? ", " : "  malformed: ", ns_pkt_malformed_name((enum ns_malformed)i),
                st->malformed[i]);
        any = 1;
    }
    if (any)
        fputc('\n', stderr);
}

int cmd_probe(int argc, char **argv)
{
    struct ns_probe_config c;
    ns_probe_config_default(&c);
    struct cmd_inputs in = {0};
    const char *out = NULL;
    int quiet = 0, zstd = -1;
    uint64_t v;
    enum { O_STATUS = 256, O_IDLE, O_TCPIDLE, O_MAXFLOWS, O_DOMAIN, O_ZSTD };
    static const struct option opts[] = {
        {"status", 1, 0, O_STATUS},    {"idle", 1, 0, O_IDLE},
        {"tcp-idle", 1, 0, O_TCPIDLE}, {"max-flows", 1, 0, O_MAXFLOWS},
        {"domain", 1, 0, O_DOMAIN},    {"zstd", 2, 0, O_ZSTD},
        {"help", 0, 0, 'h'},           {0, 0, 0, 0}};
    struct cmd_export ex;
    cmd_export_init(&ex);
    int o;
    while ((o = cmd_getopt(argc, argv, "+r:w:qh", cmd_export_longopts(opts), &in)) != -1) {
        switch (o) {
        case 'w':
            out = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            help(stdout);
            return 0;
        case O_STATUS:
            if (cmd_parse_seconds(optarg, &c.meter.status_ns))
                cmd_die("probe", "--status wants a time such as 60 or 5s, not '%s'", optarg);
            break;
        case O_IDLE:
            if (cmd_parse_seconds(optarg, &c.meter.idle_ns) || !c.meter.idle_ns)
                cmd_die("probe", "--idle wants a positive time such as 30 or 500ms, not '%s'",
                        optarg);
            break;
        case O_TCPIDLE:
            if (cmd_parse_seconds(optarg, &c.meter.tcp_idle_ns) || !c.meter.tcp_idle_ns)
                cmd_die("probe", "--tcp-idle wants a positive time such as 60 or 2m, not '%s'",
                        optarg);
            break;
        case O_MAXFLOWS:
            if (cmd_parse_u64(optarg, &v) || v < 1 || v > 100000000)
                cmd_die("probe", "--max-flows wants 1..100000000, not '%s'", optarg);
            c.meter.max_flows = (uint32_t)v;
            break;
        case O_DOMAIN:
            if (cmd_parse_u64(optarg, &v) || v > UINT32_MAX)
                cmd_die("probe", "--domain wants 0..4294967295, not '%s'", optarg);
            c.observation_domain = (uint32_t)v;
            break;
        case O_ZSTD:
            zstd = 3;
            if (optarg && (cmd_parse_u64(optarg, &v) || v < 1 || v > 19))
                cmd_die("probe", "--zstd level is 1..19, not '%s'", optarg);
            if (optarg)
                zstd = (int)v;
            break;
        default:
            if (cmd_export_option(&ex, "probe", o, optarg))
                break;
            help(stderr);
            return 2;
        }
    }
    cmd_need_inputs("probe", &in);
    char *bpf = cmd_join(argc, argv, optind);
    if (!out && !ex.c.ndests) {
        if (isatty(STDOUT_FILENO))
            cmd_die("probe", "IPFIX is binary: give -w FILE, or pipe into 'netsift read -r -'");
        out = "-";
    }
    size_t ol = out ? strlen(out) : 0;
    if (zstd < 0)
        zstd = ol > 4 && !strcmp(out + ol - 4, ".zst") ? 3 : 0;

    struct ui u = {.tty = isatty(STDERR_FILENO)};
    c.inputs = in.paths;
    c.ninputs = in.n;
    c.bpf = bpf;
    c.output = out;
    c.zstd_level = zstd;
    c.progress = progress;
    c.warn = warn;
    c.ctx = &u;

    struct ns_probe_sink xs = {ns_exporter_sink, NULL};
    if (cmd_export_start(&ex, "probe", c.observation_domain)) {
        xs.ctx = ex.x;
        c.sinks = &xs;
        c.nsinks = 1;
    }

    struct ns_probe_stats st;
    struct ns_error err = {0};
    int rc = ns_probe_run(&c, &st, &err);
    cmd_export_finish(&ex, "probe", quiet);
    if (u.shown)
        fputc('\n', stderr);
    /* the summary tells what was measured; after a failure to start there is none */
    if (!quiet && (rc >= 0 || st.packets))
        summary(&st);
    if (rc < 0)
        fprintf(stderr, "netsift probe: %s\n", err.msg);
    free(bpf);
    free(in.paths);
    return rc < 0 ? 1 : 0;
}
