/* netsift collect — IPFIX collecting process: UDP/TCP/TLS/DTLS in, rotated IPFIX files out. */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "cmd/ops.h"
#include "collect/collect.h"
#include "export/endpoint.h"

static void help(FILE *out)
{
    fputs("usage: netsift collect --listen URL[,URL...] [-w PATTERN] [options]\n"
          "\n"
          "Receives IPFIX (RFC 7011) from any number of exporters over UDP, TCP, TLS,\n"
          "DTLS and SCTP and stores the flow records as IPFIX files (RFC 5655), rotated\n"
          "by time.\n"
          "\n"
          "  --listen URL     udp://HOST:PORT, tcp://, tls:// (TLS over TCP), dtls://\n"
          "                   (DTLS over UDP), sctp:// (kernel SCTP) or\n"
          "                   sctp+udp://HOST:PORT[?udp=U] (userspace SCTP over UDP port\n"
          "                   PORT, or U; for kernels without SCTP) ([::] for every IPv6\n"
          "                   and IPv4 address, port 0 for any); comma-separated or\n"
          "                   repeated\n"
          "  --tls-cert FILE  tls://, dtls://: our PEM certificate (chain)\n"
          "  --tls-key FILE   its PEM private key (unencrypted)\n"
          "  --tls-ca FILE    PEM CA certificate(s): exporters must present a\n"
          "                   certificate from it\n"
          "  --tls-peer NAME  accept only exporters whose certificate carries NAME\n"
          "                   (DNS name or CN); repeatable (default: any from the CA)\n"
          "  -w PATTERN       output path, strftime-expanded at the start of each\n"
          "                   interval (local time), e.g. DIR/%Y/%m/%d/netsift-%H%M.ipfix;\n"
          "                   the file being written is PATTERN.part until it is complete;\n"
          "                   without -w nothing is stored (statistics only)\n"
          "  --rotate SEC     start a new file every SEC (default 300; 0 = one file)\n"
          "  --zstd[=LEVEL]   compress the files with zstd\n"
          "  --stats[=SEC]    print per-exporter statistics every SEC (default 10);\n"
          "                   SIGUSR1 prints them at once\n"
          "  --max-exporters N  sessions at once (default 256); more are refused\n"
          "  --max-templates N  templates per exporter session (default 256)\n"
          "  --max-fields N   template fields per exporter session (default 16384)\n"
          "  --max-domains N  observation domains per session (default 16)\n"
          "  --template-lifetime SEC  UDP templates not refreshed within SEC are no\n"
          "                   longer used (default 1800; 0 = forever)\n"
          "  --udp-idle SEC   forget a silent UDP exporter after SEC (default 3600)\n"
          "  --reencode       decode and encode every flow record, even where its\n"
          "                   bytes could be stored as they came (for comparisons)\n"
          "  -q               no log lines (gaps, sessions, files) on stderr\n" CMD_OPS_HELP
          "  -h, --help       this text\n"
          "\n"
          "SIGUSR2 pauses reading input and resumes it (the exporters see back-pressure:\n"
          "TCP and SCTP windows close, UDP datagrams overflow the socket buffer).\n"
          "SIGINT or SIGTERM stop in order: TCP exporters are read to their end, the\n"
          "current file is completed.  Each exporter's records are written under an\n"
          "observation domain of their own, announced by an options record with the\n"
          "exporter's address, port and original domain (RFC 7119 elements).\n"
          "Example: netsift collect --listen udp://[::]:4739,tcp://[::]:4739 -w "
          "flows/%Y%m%d-%H%M.ipfix\n",
          out);
}

/* The handler may run on any thread of the process: lock-free C11 atomics
 * (async-signal-safe when lock-free), not volatile sig_atomic_t, which
 * is only safe within one thread. */
static atomic_int stop_flag, stats_flag, pause_flag;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "signal flags must be lock-free atomics");

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        atomic_store_explicit(&stats_flag, 1, memory_order_relaxed);
    else if (sig == SIGUSR2)
        atomic_fetch_xor_explicit(&pause_flag, 1, memory_order_relaxed);
    else
        atomic_store_explicit(&stop_flag, 1, memory_order_relaxed);
}

static void log_line(void *ctx, const char *msg)
{
    if (*(const int *)ctx)
        return;
    fprintf(stderr, "netsift collect: %s\n", msg);
}

struct seen {
    uint32_t id;
    uint64_t records;
};

/* Per-exporter lines; records/s over the time since the last print (or
 * since the session began), matched by session id. */
static void print_stats(struct ns_collector *c, double interval_s, struct seen *last, size_t *nlast)
{
    struct ns_collect_exporter ex[64];
    struct seen now[64] = {{0, 0}};
    size_t n = ns_collector_exporters(c, ex, 64);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t mono = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    for (size_t i = 0; i < n; i++) {
        const struct ns_coll_stats *s = &ex[i].st;
        uint64_t prev = 0;
        double dt = interval_s, age = (double)(mono - ex[i].since_ns) / 1e9;
        int found = 0;
        for (size_t k = 0; k < *nlast && !found; k++)
            if (last[k].id == ex[i].id) {
                prev = last[k].records;
                found = 1;
            }
        if (!found && age < dt)
            dt = age;
        double rate = dt > 0 ? (double)(s->records - prev) / dt : 0;
        fprintf(stderr,
                "netsift collect: %s: %" PRIu64 " records (%.1f/s), %" PRIu64
                " options records, %" PRIu64 " messages, lost %" PRIu64 " (%" PRIu64
                " gaps), %" PRIu64 " resets, %" PRIu64 " late, %zu templates, %zu domains, %" PRIu64
                " malformed, %" PRIu64 " unknown sets (%" PRIu64 " expired)\n",
                ex[i].name, s->records, rate, s->options_records, s->messages, s->lost_records,
                s->gaps, s->resets, s->late, ex[i].templates, ex[i].domains, s->malformed,
                s->unknown_sets, s->expired_sets);
        now[i] = (struct seen){ex[i].id, s->records};
    }
    memcpy(last, now, n * sizeof *now);
    *nlast = n;
}

static void print_totals(const struct ns_collect_totals *t)
{
    const struct ns_coll_stats *s = &t->st;
    fprintf(stderr,
            "netsift collect: total: %" PRIu64 " records, %" PRIu64 " options records, %" PRIu64
            " PSAMP records, %" PRIu64 " messages, %" PRIu64 " octets from %" PRIu64
            " sessions (%" PRIu64 " refused); lost %" PRIu64 " in %" PRIu64 " gaps, %" PRIu64
            " resets, %" PRIu64 " late; malformed %" PRIu64 ", not IPFIX %" PRIu64
            ", templates %" PRIu64 " (refused %" PRIu64 "), withdrawals %" PRIu64
            ", unknown sets %" PRIu64 " (expired %" PRIu64 "), domains refused %" PRIu64
            "; %" PRIu64 " files; %" PRIu64 " records copied as they came\n",
            s->records, s->options_records, s->psamp_records, s->messages, s->octets, t->sessions,
            t->refused_sessions, s->lost_records, s->gaps, s->resets, s->late, s->malformed,
            t->framing_errors, s->templates, s->tmpl_refused, s->withdrawals, s->unknown_sets,
            s->expired_sets, s->domain_refused, t->files, s->copied);
}

static size_t split_listen(char *arg, const char **urls, size_t n)
{
    for (char *tok = strtok(arg, ","); tok; tok = strtok(NULL, ",")) {
        if (n == NS_COLLECT_MAX_LISTEN)
            cmd_die("collect", "at most %d --listen endpoints", NS_COLLECT_MAX_LISTEN);
        urls[n++] = tok;
    }
    return n;
}

int cmd_collect(int argc, char **argv)
{
    struct ns_collect_config c;
    ns_collect_config_default(&c);
    c.rotate_ns = 300ull * 1000000000u;
    const char *urls[NS_COLLECT_MAX_LISTEN];
    size_t nurls = 0;
    int quiet = 0;
    uint64_t stats_ns = 0, v;
    enum {
        O_LISTEN = 256,
        O_ROTATE,
        O_ZSTD,
        O_STATS,
        O_MAXEXP,
        O_MAXTMPL,
        O_MAXFIELDS,
        O_MAXDOM,
        O_LIFETIME,
        O_UDPIDLE,
        O_TLS_CERT,
        O_TLS_KEY,
        O_TLS_CA,
        O_TLS_PEER,
        O_REENCODE = 3200
    };
    static const struct option opts[] = {{"listen", 1, 0, O_LISTEN},
                                         {"rotate", 1, 0, O_ROTATE},
                                         {"zstd", 2, 0, O_ZSTD},
                                         {"stats", 2, 0, O_STATS},
                                         {"max-exporters", 1, 0, O_MAXEXP},
                                         {"max-templates", 1, 0, O_MAXTMPL},
                                         {"max-fields", 1, 0, O_MAXFIELDS},
                                         {"max-domains", 1, 0, O_MAXDOM},
                                         {"template-lifetime", 1, 0, O_LIFETIME},
                                         {"udp-idle", 1, 0, O_UDPIDLE},
                                         {"tls-cert", 1, 0, O_TLS_CERT},
                                         {"tls-key", 1, 0, O_TLS_KEY},
                                         {"tls-ca", 1, 0, O_TLS_CA},
                                         {"tls-peer", 1, 0, O_TLS_PEER},
                                         {"reencode", 0, 0, O_REENCODE},
                                         {"help", 0, 0, 'h'},
                                         CMD_OPS_LONGOPTS,
                                         {0, 0, 0, 0}};
    /* the configuration file first (-c): the command line overrides it */
    static struct cmd_ops ops;
    cmd_ops_init(&ops, "collect");
    const char *conf = cmd_ops_prescan(argc, argv);
    if (conf) {
        cmd_ops_load(&ops, conf);
        collect_conf_apply(&ops, &c, urls, &nurls);
    }
    int file_urls = nurls > 0;
    int o;
    while ((o = getopt_long(argc, argv, "w:c:qh", opts, NULL)) != -1) {
        if (o == O_LISTEN && file_urls)
            nurls = file_urls = 0;
        if (cmd_ops_option(&ops, o, optarg))
            continue;
        switch (o) {
        case O_LISTEN:
            nurls = split_listen(optarg, urls, nurls);
            break;
        case 'w':
            c.pattern = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            help(stdout);
            return 0;
        case O_ROTATE:
            if (cmd_parse_seconds(optarg, &c.rotate_ns) ||
                (c.rotate_ns && c.rotate_ns < 1000000000u))
                cmd_die("collect", "--rotate wants 0 or at least 1s, not '%s'", optarg);
            break;
        case O_ZSTD:
            c.zstd_level = 3;
            if (optarg && (cmd_parse_u64(optarg, &v) || v < 1 || v > 19))
                cmd_die("collect", "--zstd level is 1..19, not '%s'", optarg);
            if (optarg)
                c.zstd_level = (int)v;
            break;
        case O_STATS:
            stats_ns = 10ull * 1000000000u;
            if (optarg && (cmd_parse_seconds(optarg, &stats_ns) || !stats_ns))
                cmd_die("collect", "--stats wants a positive time, not '%s'", optarg);
            break;
        case O_MAXEXP:
            if (cmd_parse_u64(optarg, &v) || v < 1 || v > 65536)
                cmd_die("collect", "--max-exporters wants 1..65536, not '%s'", optarg);
            c.max_sessions = (size_t)v;
            break;
        case O_MAXTMPL:
            if (cmd_parse_u64(optarg, &v) || v < 1 || v > 65536)
                cmd_die("collect", "--max-templates wants 1..65536, not '%s'", optarg);
            c.limits.max_templates = (size_t)v;
            break;
        case O_MAXFIELDS:
            if (cmd_parse_u64(optarg, &v) || v < 1 || v > (1u << 20))
                cmd_die("collect", "--max-fields wants 1..1048576, not '%s'", optarg);
            c.limits.max_fields = (size_t)v;
            break;
        case O_MAXDOM:
            if (cmd_parse_u64(optarg, &v) || v < 1 || v > 4096)
                cmd_die("collect", "--max-domains wants 1..4096, not '%s'", optarg);
            c.limits.max_domains = (size_t)v;
            break;
        case O_LIFETIME:
            if (cmd_parse_seconds(optarg, &c.limits.tmpl_lifetime_ns))
                cmd_die("collect", "--template-lifetime wants a time, not '%s'", optarg);
            break;
        case O_TLS_CERT:
            c.tls.cert = optarg;
            break;
        case O_TLS_KEY:
            c.tls.key = optarg;
            break;
        case O_TLS_CA:
            c.tls.ca = optarg;
            break;
        case O_REENCODE:
            c.reencode = 1;
            break;
        case O_TLS_PEER:
            if (c.tls.npeers == NS_TLS_MAX_PEERS)
                cmd_die("collect", "at most %d --tls-peer names", NS_TLS_MAX_PEERS);
            c.tls.peers[c.tls.npeers++] = optarg;
            break;
        case O_UDPIDLE:
            if (cmd_parse_seconds(optarg, &c.udp_idle_ns) || !c.udp_idle_ns)
                cmd_die("collect", "--udp-idle wants a positive time, not '%s'", optarg);
            break;
        default:
            help(stderr);
            return 2;
        }
    }
    if (optind < argc)
        cmd_die("collect", "unexpected argument '%s'", argv[optind]);
    if (!nurls)
        cmd_die("collect", "say where to listen: --listen udp://[::]:4739");
    c.listen = urls;
    c.nlisten = nurls;
    c.log = log_line;
    c.log_ctx = &quiet;

    if (ops.check_config)
        cmd_die("collect", "--check-config is a probe option");
    cmd_ops_prepare(&ops); /* --daemon: the original process ends here */
    struct ns_collector *col;
    struct ns_error err = {0};
    if (ns_collector_new(&col, &c, &err) < 0)
        cmd_die("collect", "%s", err.msg);
    /* the sockets are bound: root is no longer needed */
    if (cmd_ops_opened(&ops, &err) < 0)
        cmd_die("collect", "%s", err.msg);
    for (size_t i = 0; i < nurls; i++) {
        struct sockaddr_storage ss;
        char a[80];
        const char *sch = strstr(urls[i], "://");
        if (ns_collector_local(col, i, &ss) == NS_OK)
            fprintf(stderr, "netsift collect: listening on %.*s://%s\n",
                    sch ? (int)(sch - urls[i]) : 3, urls[i],
                    ns_sockaddr_str((struct sockaddr *)&ss, a, sizeof a));
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    cmd_ops_signals(0);

    struct seen last[64];
    size_t nlast = 0;
    int paused = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = NS_OK;
    while (!atomic_load_explicit(&stop_flag, memory_order_relaxed) && rc == NS_OK) {
        int want = atomic_load_explicit(&pause_flag, memory_order_relaxed);
        if (want != paused) {
            paused = want;
            ns_collector_pause(col, paused);
            if (!quiet)
                fprintf(stderr, "netsift collect: input %s\n", paused ? "paused" : "resumed");
        }
        rc = ns_collector_run(col, ops.http ? 100 : 200, &err);
        cmd_ops_collect_tick(&ops, col);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        if (atomic_exchange_explicit(&stats_flag, 0, memory_order_relaxed) ||
            (stats_ns && dt * 1e9 >= (double)stats_ns)) {
            print_stats(col, dt, last, &nlast);
            t0 = t1;
        }
    }
    if (rc < 0)
        fprintf(stderr, "netsift collect: %s\n", err.msg);
    int rc2 = ns_collector_stop(col, &err);
    if (rc2 < 0 && rc >= 0)
        fprintf(stderr, "netsift collect: %s\n", err.msg);
    struct ns_collect_totals t;
    ns_collector_totals(col, &t);
    print_totals(&t);
    for (size_t i = 0; i < nurls; i++)
        if (strstr(urls[i], "tls://"))
            fprintf(stderr, "netsift collect: %s: %" PRIu64 " failed handshakes\n", urls[i],
                    ns_collector_handshake_failures(col, i));
    ns_collector_free(col);
    cmd_ops_finish(&ops);
    return rc < 0 || rc2 < 0 ? 1 : 0;
}
