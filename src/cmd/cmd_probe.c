/* netsift probe — capture files → flow meter → IPFIX. */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/export_opts.h"
#include "cmd/fsel_opts.h"
#include "cmd/mp_opts.h"
#include "cmd/report_opts.h"
#include "cmd/ops.h"
#include "probe/probe.h"

static void help(FILE *out)
{
    fputs(
        "usage: netsift probe -r FILE [FILE...] [-w OUT] [options] [--] [capture filter]\n"
        "       netsift probe -i IFACE [-i IFACE...] [-w OUT] [options] [--] [capture filter]\n"
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
        "  --domain N       IPFIX observation domain id (default 0)\n"
        "  --select SPEC    packet selection (PSAMP, RFC 5475) in front of the meter;\n"
        "                   repeat to chain selectors, each seeing what the one before\n"
        "                   selected: count:1/100, time:1ms/100ms, nofn:10/1000,\n"
        "                   random:p=0.01, size:z=1500, hash:bob,frac=0.01,\n"
        "                   match:'tcp and port 179', iface:1 (netsift-select(7));\n"
        "                   records then carry samplingProbability\n" CMD_REPORT_HELP CMD_FSEL_HELP
            CMD_EXPORT_HELP "live capture (runs until SIGINT/SIGTERM, then flushes every flow):\n"
        "  -i IFACE         capture on IFACE, promiscuous (repeatable)\n"
        "  --capture tpacket|pcap  AF_PACKET TPACKET_V3 ring (default) or libpcap\n"
        "  --ring-blocks N  ring blocks per interface (default 64)\n"
        "  --block-size KIB ring block size in KiB, a power of two (default 1024)\n"
        "  --block-timeout MS  hand over a partly filled block after MS (default 100)\n"
        "  --snaplen N      bytes kept of each frame (default 65535)\n"
        "  --duration SEC   stop after SEC;  --count N  stop after N packets\n"
        "  --stats SEC      print live counters every SEC (SIGUSR1: at once)\n" CMD_OPS_HELP
        "multi-core (files and live capture):\n"
        "  --workers N      N flow caches metered on N threads (default 1); each packet\n"
        "                   goes to one by a symmetric hash, so both directions and all\n"
        "                   fragments of a flow meet; records leave through one writer\n"
        "  --fanout addr|hash  live: a classic BPF hash of the outer addresses\n"
        "                   (default; fragments and tunnels stay whole), or the kernel's\n"
        "                   PACKET_FANOUT_HASH (5-tuple, spreads one host pair; IPv4\n"
        "                   fragments reassembled, tunnels split by inner headers)\n"
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

/* Per-selector counts (RFC 5477 selectorIdTotalPktsObserved/Selected) and
 * the Horvitz-Thompson estimate of what entered the chain. */
static void select_summary(const struct ns_sel_chain *sel)
{
    for (size_t i = 0; i < ns_sel_chain_len(sel); i++) {
        struct ns_sel_info in;
        ns_sel_chain_info(sel, i, &in);
        fprintf(stderr,
                "  selector %" PRIu64 " %s: observed %" PRIu64 ", selected %" PRIu64 " (%.4g%%)\n",
                in.id, in.desc, in.observed, in.selected,
                in.observed ? 100.0 * (double)in.selected / (double)in.observed : 0.0);
    }
    struct ns_sel_estimate e;
    ns_sel_chain_estimate(sel, &e);
    if (ns_sel_chain_fraction(sel) < 1)
        fprintf(stderr,
                "  estimated from %" PRIu64
                " selected: %.0f packets +- %.0f, %.0f layer-2 octets +- %.0f"
                " (99%% intervals, 2.576 standard errors)\n",
                e.selected, e.packets, 2.576 * e.packets_se, e.octets, 2.576 * e.octets_se);
}

/* --workers: what each worker metered and, live, what its sockets lost */
static void workers_summary(const struct ns_probe_stats *st)
{
    for (uint32_t i = 0; i < st->nworkers; i++) {
        const struct ns_probe_worker_stats *w = &st->worker[i];
        fprintf(stderr,
                "  worker %" PRIu32 ": %" PRIu64 " packets, %" PRIu64 " flows, %" PRIu64
                " records, cpu %.2f s",
                i, w->packets, w->flows, w->records,
                (double)(w->cpu_read_ns + w->cpu_meter_ns) / 1e9);
        if (st->live.nifaces)
            fprintf(stderr, "; kernel %" PRIu64 " received, %" PRIu64 " dropped", w->kernel_seen,
                    w->kernel_drops);
        fputc('\n', stderr);
    }
    if (st->nworkers && st->live.nifaces)
        fprintf(stderr, "  kernel total: %" PRIu64 " dropped over %" PRIu32 " workers\n",
                st->live.drops, st->nworkers);
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
    for (uint32_t i = 0; i < st->live.nifaces; i++) {
        const struct ns_live_if_stats *f = &st->live.ifs[i];
        fprintf(stderr,
                "  kernel %s (ifindex %" PRIu32 "): %" PRIu64 " received, %" PRIu64
                " dropped (ring full %" PRIu64 " times, interface drops %" PRIu64 ")\n",
                f->name, f->ifindex, f->kernel_seen, f->drops, f->freeze_q, f->if_drops);
    }
    fprintf(stderr, "  cpu: reading %.2f s, metering %.2f s\n", (double)st->cpu_read_ns / 1e9,
            (double)st->cpu_meter_ns / 1e9);
    workers_summary(st);
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

/* ---- live capture options (-i and friends) ---- */

enum {
    O_CAPTURE = 512,
    O_RINGBLOCKS,
    O_BLOCKSIZE,
    O_BLOCKTMO,
    O_SNAPLEN,
    O_DURATION,
    O_COUNT,
    O_WORKERS,
    O_FANOUT
};
#define LIVE_OPTIONS                                                                               \
    {"capture", 1, 0, O_CAPTURE}, {"ring-blocks", 1, 0, O_RINGBLOCKS},                             \
        {"block-size", 1, 0, O_BLOCKSIZE}, {"block-timeout", 1, 0, O_BLOCKTMO},                    \
        {"snaplen", 1, 0, O_SNAPLEN}, {"duration", 1, 0, O_DURATION},                              \
        {"workers", 1, 0, O_WORKERS}, {"fanout", 1, 0, O_FANOUT},                                  \
    {                                                                                              \
        "count", 1, 0, O_COUNT                                                                     \
    }

/* Read by the live reader threads: a lock-free C11 atomic (probe.h). */
static atomic_int stop_flag;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the stop flag must be lock-free to be set by a signal");

static void on_signal(int sig)
{
    (void)sig;
    atomic_store_explicit(&stop_flag, 1, memory_order_relaxed);
}

/* 1 when `o` was a live capture option (applied to c), 0 otherwise. */
static int live_option(int o, struct ns_probe_config *c, struct cmd_inputs *ifs)
{
    uint64_t v = 0;
    switch (o) {
    case 'i':
        cmd_inputs_add(ifs, optarg);
        return 1;
    case O_CAPTURE:
        if (optarg && strcmp(optarg, "pcap") == 0)
            c->live.backend = NS_LIVE_PCAP;
        else if (optarg && strcmp(optarg, "tpacket") == 0)
            c->live.backend = NS_LIVE_TPACKET;
        else
            cmd_die("probe", "--capture is tpacket or pcap, not '%s'", optarg ? optarg : "");
        return 1;
    case O_RINGBLOCKS:
        if (cmd_parse_u64(optarg, &v) || v < 2 || v > 65536)
            cmd_die("probe", "--ring-blocks wants 2..65536, not '%s'", optarg);
        c->live.ring_blocks = (uint32_t)v;
        return 1;
    case O_BLOCKSIZE:
        if (cmd_parse_u64(optarg, &v) || v < 4 || v > (1u << 20) || (v & (v - 1)))
            cmd_die("probe", "--block-size wants KiB, a power of two 4..1048576, not '%s'", optarg);
        c->live.block_kib = (uint32_t)v;
        return 1;
    case O_BLOCKTMO:
        if (cmd_parse_u64(optarg, &v) || v < 1 || v > 60000)
            cmd_die("probe", "--block-timeout wants milliseconds 1..60000, not '%s'", optarg);
        c->live.block_timeout_ms = (uint32_t)v;
        return 1;
    case O_SNAPLEN:
        if (cmd_parse_u64(optarg, &v) || v < 64 || v > 262144)
            cmd_die("probe", "--snaplen wants 64..262144, not '%s'", optarg);
        c->live.snaplen = (uint32_t)v;
        return 1;
    case O_DURATION:
        if (cmd_parse_seconds(optarg, &c->duration_ns) || !c->duration_ns)
            cmd_die("probe", "--duration wants a positive time such as 10 or 2m, not '%s'", optarg);
        return 1;
    case O_COUNT:
        if (cmd_parse_u64(optarg, &c->max_packets) || !c->max_packets)
            cmd_die("probe", "--count wants a positive number, not '%s'", optarg);
        return 1;
    case O_WORKERS:
        if (cmd_parse_u64(optarg, &v) || v < 1 || v > NS_PROBE_MAX_WORKERS)
            cmd_die("probe", "--workers wants 1..%d, not '%s'", NS_PROBE_MAX_WORKERS, optarg);
        c->workers = (uint32_t)v;
        return 1;
    case O_FANOUT:
        if (optarg && strcmp(optarg, "hash") == 0)
            c->live.fanout = NS_FANOUT_HASH;
        else if (optarg && strcmp(optarg, "addr") == 0)
            c->live.fanout = NS_FANOUT_CBPF;
        else
            cmd_die("probe", "--fanout is hash or addr, not '%s'", optarg ? optarg : "");
        return 1;
    default:
        return 0;
    }
}

/* Live capture ends on SIGINT/SIGTERM: the reader sees the flag within
 * 50 ms and everything is flushed; a second signal kills as usual. */
static void live_setup(struct ns_probe_config *c, const struct cmd_inputs *ifs)
{
    c->live.ifaces = ifs->paths;
    c->live.nifaces = ifs->n;
    c->stop = &stop_flag;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = (int)SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int cmd_probe(int argc, char **argv)
{
    struct ns_probe_config c;
    ns_probe_config_default(&c);
    struct cmd_inputs in = {0}, ifs = {0};
    const char *out = NULL;
    int quiet = 0, zstd = -1;
    uint64_t v;
    struct ns_sel_chain *sel = NULL;
    struct ns_error serr;
    enum { O_STATUS = 256, O_IDLE, O_TCPIDLE, O_MAXFLOWS, O_DOMAIN, O_ZSTD, O_SELECT };
    static const struct option opts[] = {{"status", 1, 0, O_STATUS},
                                         {"idle", 1, 0, O_IDLE},
                                         {"tcp-idle", 1, 0, O_TCPIDLE},
                                         {"max-flows", 1, 0, O_MAXFLOWS},
                                         {"domain", 1, 0, O_DOMAIN},
                                         {"zstd", 2, 0, O_ZSTD},
                                         {"select", 1, 0, O_SELECT},
                                         {"help", 0, 0, 'h'},
                                         LIVE_OPTIONS,
                                         CMD_REPORT_LONGOPTS,
                                         CMD_MP_LONGOPTS,
                                         CMD_FSEL_LONGOPTS,
                                         CMD_OPS_LONGOPTS,
                                         {"stats", 1, 0, CMD_O_PSTATS},
                                         {0, 0, 0, 0}};
    struct cmd_fsel fsel = {0};
    struct cmd_export ex;
    cmd_export_init(&ex);
    struct cmd_report rep;
    cmd_report_init(&rep);
    struct cmd_mp mp = {0};
    /* the configuration file first (-c): the command line overrides it,
     * a list given on the command line (-i, --select, --export) replaces
     * the file's */
    static struct cmd_ops ops;
    cmd_ops_init(&ops, "probe");
    char *file_bpf = NULL;
    const char *conf = cmd_ops_prescan(argc, argv);
    if (conf) {
        cmd_ops_load(&ops, conf);
        probe_conf_apply(&ops, &c, &ex, &ifs, &sel, &out, &zstd, &file_bpf);
    }
    int file_ifs = ifs.n > 0, file_sel = sel != NULL, file_dests = ex.c.ndests > 0;
    int o;
    while ((o = cmd_getopt(argc, argv, "+r:w:i:c:qh", cmd_export_longopts(opts), &in)) != -1) {
        if (o == 'i' && file_ifs)
            ifs.n = file_ifs = 0;
        if (o == O_SELECT && file_sel) {
            ns_sel_chain_free(sel);
            sel = NULL;
            file_sel = 0;
        }
        if (o == CMD_O_EXPORT) {
            ops.cli_export = 1;
            if (file_dests)
                ex.c.ndests = file_dests = 0;
        }
        ops.cli_status |= o == O_STATUS;
        ops.cli_idle |= o == O_IDLE;
        ops.cli_tcp_idle |= o == O_TCPIDLE;
        if (cmd_ops_option(&ops, o, optarg))
            continue;
        if (live_option(o, &c, &ifs))
            continue;
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
        case O_SELECT:
            if ((!sel && ns_sel_chain_create(&sel, &serr) < 0) ||
                ns_sel_chain_add_spec(sel, optarg, &serr) < 0)
                cmd_die("probe", "%s", serr.msg);
            break;
        default:
            if (cmd_export_option(&ex, "probe", o, optarg) ||
                cmd_report_option(&rep, "probe", o, optarg) ||
                cmd_mp_option(&mp, "probe", o, optarg) || cmd_fsel_option(&fsel, &c, o, optarg))
                break;
            help(stderr);
            return 2;
        }
    }
    if (ifs.n && in.n)
        cmd_die("probe", "give -r FILE or -i IFACE, not both");
    if (ifs.n)
        live_setup(&c, &ifs);
    else
        cmd_need_inputs("probe", &in);
    char *bpf = cmd_join(argc, argv, optind);
    if (!bpf)
        bpf = file_bpf;
    else
        free(file_bpf);
    if (ops.check_config) {
        probe_conf_print(stdout, &ops, &c, &ex, sel, out, zstd < 0 ? 0 : zstd);
        ns_sel_chain_free(sel);
        cmd_ops_finish(&ops);
        free(bpf);
        free(in.paths);
        free(ifs.paths);
        return 0;
    }
    if (ops.daemon && (!out || strcmp(out, "-") == 0) && !ex.c.ndests)
        cmd_die("probe", "--daemon has no standard output: give -w FILE or --export");
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
    c.select = sel;

    if (mp.budget && !mp.n)
        cmd_die("probe", "--mp-budget shares the report capacity among --mp processes: give --mp");
    if (mp.n) { /* parallel measurement processes (mp/mp.h) */
        if (sel || rep.on || fsel.any)
            cmd_die("probe", "with --mp each process has its own select=/report=/flows: leave "
                             "out --select, --report and the flow export policies");
        if (ifs.n || c.workers > 1 || ops.daemon || ops.metrics || ops.stats_ns || ops.conf_path)
            cmd_die("probe", "--mp reads capture files (-r) on one thread: leave out -i, "
                             "--workers, --daemon, --metrics, --stats and -c");
        int status = cmd_mp_run(&mp, "probe", in.paths, in.n, bpf, out, zstd, c.observation_domain,
                                &ex, rep.c.interp_ns, &c.meter, quiet);
        cmd_mp_free(&mp);
        cmd_ops_finish(&ops);
        free(bpf);
        free(in.paths);
        free(ifs.paths);
        return status;
    }
    if (rep.on) { /* PSAMP packet reports instead of flows */
        if (fsel.any)
            cmd_die("probe", "flow cache and export policies apply to flow records, not to "
                             "packet reports (--report)");
        if (ifs.n)
            cmd_die("probe", "--report reads capture files (-r); live capture is not done yet");
        if (c.workers > 1)
            cmd_die("probe", "--report runs on one thread: leave out --workers");
        if (ops.daemon || ops.metrics || ops.stats_ns || ops.conf_path)
            cmd_die("probe", "--report reads files once: --daemon, --metrics, --stats and -c "
                             "are for metering");
        int status = cmd_report_run(&rep, "probe", in.paths, in.n, bpf, sel, out, zstd,
                                    c.observation_domain, &ex, quiet);
        ns_sel_chain_free(sel);
        cmd_ops_finish(&ops);
        free(bpf);
        free(in.paths);
        free(ifs.paths);
        return status;
    }
    cmd_fsel_apply(&fsel, &c);
    /* several caches: a consistent periodic total would stop every worker
     * at one moment, so the statistics are written once, at the end */
    if (c.workers > 1 && c.stats_records && !quiet)
        fprintf(stderr,
                "netsift probe: with --workers %u the statistics options records are "
                "written at the end only, not every --process-stats interval\n",
                c.workers);
    /* live: the kernel's drops go into the statistics options records
     * (0xFF14, fsel/optrec.h), at the end at least; to the exporters only
     * when asked for (--process-stats, a flow selection option), as for files */
    if (ifs.n && !c.stats_records)
        c.stats_records = c.stats_file_only = 1;
    cmd_ops_prepare(&ops); /* --daemon: the original process ends here */
    /* records go to the exporter through ops, which a reload can swap */
    struct ns_probe_sink xs = {cmd_ops_sink, &ops, cmd_ops_opt};
    cmd_export_start(&ex, "probe", c.observation_domain);
    c.sinks = &xs;
    c.nsinks = 1;
    /* sampled flows: the selection's interpretation to the collectors; it
     * holds the exporter, so a reload may not replace that one */
    struct ns_report *interp = cmd_report_flows_start("probe", sel, &ex);
    ops.pinned_exporter = interp != NULL;
    cmd_ops_probe_start(&ops, &c, &ex);

    struct ns_probe_stats st;
    struct ns_error err = {0};
    int rc = ns_probe_run(&c, &st, &err);
    cmd_report_flows_end("probe", interp);
    cmd_ops_probe_stop(&ops);
    cmd_export_finish(&ex, "probe", quiet);
    if (u.shown)
        fputc('\n', stderr);
    /* the summary tells what was measured; after a failure to start there is none */
    if (!quiet && (rc >= 0 || st.packets)) {
        summary(&st);
        if (sel)
            select_summary(sel);
        cmd_fsel_summary(&fsel, &c, &st);
    }
    cmd_fsel_free(&fsel);
    if (rc < 0)
        fprintf(stderr, "netsift probe: %s\n", err.msg);
    ns_sel_chain_free(sel);
    cmd_ops_finish(&ops);
    free(bpf);
    free(in.paths);
    free(ifs.paths);
    return rc < 0 ? 1 : 0;
}
