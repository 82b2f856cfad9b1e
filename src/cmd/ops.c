/* Operations glue for probe and collect (ops.h). */
#include "cmd/ops.h"

#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"

/* Set by the handler, taken by the operations thread (another thread than
 * the one the signal may land on): lock-free C11 atomics, not volatile
 * sig_atomic_t, which would be a data race between threads. */
static atomic_int hup_flag, usr1_flag;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "signal flags must be lock-free atomics");

static void on_ops_signal(int sig)
{
    atomic_store_explicit(sig == SIGHUP ? &hup_flag : &usr1_flag, 1, memory_order_relaxed);
}

void cmd_ops_signals(int usr1)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_ops_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, NULL);
    if (usr1)
        sigaction(SIGUSR1, &sa, NULL);
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void cmd_ops_log(const struct cmd_ops *o, const char *fmt, ...)
{
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
    va_end(ap);
    fprintf(stderr, "netsift %s: %s\n", o->cmd, msg);
}

void cmd_ops_init(struct cmd_ops *o, const char *cmd)
{
    memset(o, 0, sizeof *o);
    o->cmd = cmd;
    o->dmn.ready_fd = -1;
    o->wake_fd = -1;
    ns_conf_init(&o->conf);
    pthread_mutex_init(&o->mu, NULL);
    o->started_ns = mono_ns();
}

const char *cmd_ops_prescan(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc)
            path = argv[++i];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            path = argv[i] + 9;
        else if (strncmp(argv[i], "-c", 2) == 0 && argv[i][2])
            path = argv[i] + 2;
    }
    return path;
}

void cmd_ops_load(struct cmd_ops *o, const char *path)
{
    struct ns_error err = {0};
    if (ns_conf_parse_file(&o->conf, path, &err) < 0)
        cmd_die(o->cmd, "%s", err.msg);
    o->conf_path = path;
    o->have_conf = 1;
    if (o->conf.user)
        o->user = o->conf.user;
    if (o->conf.pidfile)
        o->pidfile = o->conf.pidfile;
    if (o->conf.metrics)
        o->metrics = o->conf.metrics;
    if (o->conf.stats_ns)
        o->stats_ns = o->conf.stats_ns;
    if (o->conf.daemon)
        o->daemon = 1;
}

int cmd_ops_option(struct cmd_ops *o, int opt, const char *arg)
{
    switch (opt) {
    case 'c':
        return 1; /* read by cmd_ops_prescan */
    case CMD_O_CHECKCONF:
        o->check_config = 1;
        return 1;
    case CMD_O_DAEMON:
        o->daemon = 1;
        return 1;
    case CMD_O_PIDFILE:
        o->pidfile = arg;
        return 1;
    case CMD_O_USER:
        o->user = arg;
        return 1;
    case CMD_O_METRICS:
        if (!strrchr(arg, ':'))
            cmd_die(o->cmd, "--metrics wants HOST:PORT, such as 127.0.0.1:9100, not '%s'", arg);
        o->metrics = arg;
        return 1;
    case CMD_O_PSTATS:
        if (cmd_parse_seconds(arg, &o->stats_ns) || !o->stats_ns)
            cmd_die(o->cmd, "--stats wants a positive time such as 10 or 1m, not '%s'", arg);
        return 1;
    default:
        return 0;
    }
}

void cmd_ops_prepare(struct cmd_ops *o)
{
    struct ns_error err = {0};
    if (o->user) {
        if (ns_priv_lookup(o->user, &o->uid, &o->gid, &err) < 0)
            cmd_die(o->cmd, "--user: %s", err.msg);
        if (geteuid() != 0)
            cmd_die(o->cmd, "--user needs to start as root (running as uid %u)",
                    (unsigned)geteuid());
        o->drop = 1;
    }
    if (o->daemon) {
        int status = 0;
        int rc = ns_daemon_start(&o->dmn, &status, &err);
        if (rc < 0)
            cmd_die(o->cmd, "--daemon: %s", err.msg);
        if (rc == 1)
            exit(status); /* the original process: the daemon's verdict */
        o->is_daemon = 1;
    }
    if (o->pidfile) {
        if (ns_pidfile_claim(o->pidfile, &err) < 0)
            cmd_die(o->cmd, "%s", err.msg);
        o->pid_claimed = 1;
    }
    if (o->metrics) {
        if (ns_http_listen(&o->http, o->metrics, &err) < 0)
            cmd_die(o->cmd, "%s", err.msg);
        cmd_ops_log(o, "metrics on http://%s/metrics (port %d)", o->metrics, ns_http_port(o->http));
    }
}

int cmd_ops_opened(void *ctx, struct ns_error *err)
{
    struct cmd_ops *o = ctx;
    if (o->drop) {
        if (o->pid_claimed && ns_pidfile_chown(o->pidfile, o->uid, o->gid, err) < 0)
            return NS_EIO;
        if (ns_priv_drop(o->uid, o->gid, err) < 0)
            return NS_EIO;
        cmd_ops_log(o, "running as %s (uid %u, gid %u), no capabilities", o->user, (unsigned)o->uid,
                    (unsigned)o->gid);
    }
    if (o->is_daemon)
        ns_daemon_ready(&o->dmn, 0);
    return 0;
}

void cmd_ops_finish(struct cmd_ops *o)
{
    if (o->pid_claimed)
        ns_pidfile_remove(o->pidfile);
    ns_http_close(o->http);
    o->http = NULL;
    for (size_t i = 0; i < o->nurls; i++)
        free(o->urls[i]);
    o->nurls = 0;
    ns_conf_free(&o->conf);
}

/* ---- probe: the sink that follows reloads, and the between-batches hook ---- */

int cmd_ops_sink(void *ctx, const struct ns_record *r, struct ns_error *err)
{
    struct cmd_ops *o = ctx;
    return o->x ? ns_exporter_add(o->x, r, err) : 0;
}

int cmd_ops_opt(void *ctx, uint16_t tid, uint16_t scope_count, const struct ns_field_spec *f,
                uint16_t n, const uint8_t *rec, struct ns_error *err)
{
    struct cmd_ops *o = ctx;
    return o->x ? ns_exporter_opt(o->x, tid, scope_count, f, n, rec, err) : 0;
}

static void publish_dests(struct cmd_ops *o)
{
    size_t n = o->x ? ns_exporter_ndests(o->x) : 0;
    pthread_mutex_lock(&o->mu);
    o->ndests = n;
    for (size_t i = 0; i < n; i++) {
        struct ns_export_dest_stats st;
        ns_exporter_stats(o->x, i, &st);
        struct cmd_ops_dest *d = &o->dests[i];
        snprintf(d->url, sizeof d->url, "%s", st.url ? st.url : "");
        d->up = st.up;
        d->flows = st.c.flows;
        d->dropped = st.c.dropped_flows + st.rate_dropped;
        d->messages = st.c.messages;
        d->octets = st.c.octets;
        d->queued = st.c.queued_octets;
        d->templates = st.templates;
    }
    pthread_mutex_unlock(&o->mu);
}

static void fmt_dur(char *buf, size_t cap, uint64_t ns)
{
    FILE *f = fmemopen(buf, cap, "w");
    if (!f) {
        snprintf(buf, cap, "?");
        return;
    }
    ns_conf_write_duration(f, ns);
    fclose(f);
}

int cmd_ops_between(void *ctx, struct ns_meter *m, struct ns_error *err)
{
    struct cmd_ops *o = ctx;
    int rc;
    /* the exporter's timers (delay, template refresh, statistics) also
     * run when no record comes: a quiet link still delivers on time */
    if (o->live && o->x && (rc = ns_exporter_poll(o->x, err)) < 0)
        return rc;
    if (atomic_load_explicit(&o->pending, memory_order_acquire)) {
        pthread_mutex_lock(&o->mu);
        char *p = o->applied;
        size_t cap = sizeof o->applied;
        int k = 0;
        if (o->m_timeouts) {
            struct ns_error e2;
            int bad = 0;
            if (!m && !o->m_status != !o->status_on) /* the check ns_meter_set_timeouts makes */
                bad = ns_error_set(&e2, NS_EUNSUP,
                                   "turning status reports (active timeout) %s needs a restart",
                                   o->m_status ? "on" : "off");
            else if (!m) { /* several workers: each takes them at its next batch */
                o->t_idle = o->m_idle;
                o->t_tcp_idle = o->m_tcp_idle;
                o->t_status = o->m_status;
                atomic_fetch_add_explicit(&o->t_gen, 1, memory_order_release);
            } else
                bad = ns_meter_set_timeouts(m, o->m_idle, o->m_tcp_idle, o->m_status, &e2);
            if (bad < 0) {
                k = snprintf(p, cap, "timeouts not changed: %s; ", e2.msg);
            } else {
                char a[32], b[32], c[32];
                fmt_dur(a, sizeof a, o->m_status);
                fmt_dur(b, sizeof b, o->m_idle);
                fmt_dur(c, sizeof c, o->m_tcp_idle);
                k = snprintf(p, cap, "activeTimeout %s, idleTimeout %s, tcpIdleTimeout %s; ", a, b,
                             c);
            }
            if (k > 0 && (size_t)k < cap)
                p += k, cap -= (size_t)k;
        }
        if (o->m_exporter) {
            o->retired = o->x;
            o->x = o->m_x_new;
            o->m_x_new = NULL;
            for (size_t i = 0; i < o->nurls; i++)
                free(o->urls[i]);
            memcpy(o->urls, o->urls_new, sizeof o->urls);
            o->nurls = o->nurls_new;
            o->nurls_new = 0;
            k = snprintf(p, cap, "export destinations:");
            for (size_t i = 0; i < o->nurls && k > 0 && (size_t)k < cap; i++) {
                p += k, cap -= (size_t)k;
                k = snprintf(p, cap, " %s", o->urls[i]);
            }
            if (!o->nurls && k > 0 && (size_t)k < cap)
                snprintf(p + k, cap - (size_t)k, " none");
        }
        o->m_timeouts = o->m_exporter = 0;
        o->applied_ready = 1;
        atomic_store_explicit(&o->pending, 0, memory_order_release);
        pthread_mutex_unlock(&o->mu);
        o->dest_pub_ns = 0;
    }
    uint64_t now = mono_ns();
    if (now - o->dest_pub_ns >= 250000000u) {
        publish_dests(o);
        o->dest_pub_ns = now;
    }
    return 0;
}

int cmd_ops_meter_between(void *ctx, unsigned worker, struct ns_meter *m, struct ns_error *err)
{
    struct cmd_ops *o = ctx;
    (void)err;
    unsigned g = atomic_load_explicit(&o->t_gen, memory_order_acquire);
    if (worker >= NS_PUB_MAX_WORKERS || g == o->w_gen[worker])
        return 0;
    o->w_gen[worker] = g;
    pthread_mutex_lock(&o->mu);
    uint64_t idle = o->t_idle, tidle = o->t_tcp_idle, status = o->t_status;
    pthread_mutex_unlock(&o->mu);
    struct ns_error e2;
    /* checked by the writer before (cmd_ops_between): cannot fail here */
    if (ns_meter_set_timeouts(m, idle, tidle, status, &e2) < 0)
        cmd_ops_log(o, "reload: worker %u kept its timeouts: %s", worker, e2.msg);
    return 0;
}

/* ---- probe: reload (operations thread) ---- */

static int strs_differ(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (na != nb)
        return 1;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return 1;
    return 0;
}

static int str_differ(const char *a, const char *b)
{
    return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

static int live_differ(const struct ns_live_config *a, const struct ns_live_config *b)
{
    return a->backend != b->backend || a->block_kib != b->block_kib ||
           a->ring_blocks != b->ring_blocks || a->block_timeout_ms != b->block_timeout_ms ||
           a->snaplen != b->snaplen || a->promisc != b->promisc;
}

static int export_differ(const struct ns_export_config *a, const struct ns_export_config *b)
{
    return a->mtu != b->mtu || a->refresh_ns != b->refresh_ns ||
           a->refresh_msgs != b->refresh_msgs || a->delay_ns != b->delay_ns ||
           a->one_per_msg != b->one_per_msg || a->rate < b->rate || a->rate > b->rate ||
           a->rate_drop != b->rate_drop || a->stats_ns != b->stats_ns ||
           a->linger_ns != b->linger_ns || a->xport.buffer != b->xport.buffer;
}

static void reload(struct cmd_ops *o)
{
    struct ns_conf nc;
    struct ns_error err = {0};
    if (!o->conf_path) {
        cmd_ops_log(o, "SIGHUP: no configuration file (-c) to reload");
        return;
    }
    if (atomic_load(&o->pending)) {
        cmd_ops_log(o, "SIGHUP: the previous reload is not applied yet; try again");
        return;
    }
    if (ns_conf_parse_file(&nc, o->conf_path, &err) < 0) {
        o->reloads_failed++;
        cmd_ops_log(o, "reload failed, keeping the running configuration: %s", err.msg);
        return;
    }
    const struct ns_conf *old = &o->conf;
    /* what needs a restart: say so, keep running with the old value */
    struct {
        int changed;
        const char *what;
    } restart[] = {
        {strs_differ(old->ifaces, old->nifaces, nc.ifaces, nc.nifaces) ||
             live_differ(&old->live, &nc.live) || str_differ(old->filter, nc.filter),
         "the observation point (interfaces, capture, filter)"},
        {old->obs_domain != nc.obs_domain, "observationDomainId"},
        {strs_differ(old->selectors, old->nselectors, nc.selectors, nc.nselectors),
         "the selection process"},
        {old->meter.max_flows != nc.meter.max_flows ||
             old->meter.tcp_linger_ns != nc.meter.tcp_linger_ns,
         "the cache size (maxFlows) or tcpLingerTimeout"},
        {str_differ(old->file, nc.file) || old->file_zstd != nc.file_zstd, "the fileWriter"},
        {str_differ(old->user, nc.user) || str_differ(old->pidfile, nc.pidfile) ||
             str_differ(old->metrics, nc.metrics) || old->daemon != nc.daemon,
         "the operation section"},
    };
    for (size_t i = 0; i < sizeof restart / sizeof restart[0]; i++)
        if (restart[i].changed)
            cmd_ops_log(o, "reload: %s changed; that needs a restart, still running the old one",
                        restart[i].what);
    pthread_mutex_lock(&o->mu);
    /* timeouts: a command-line value stays */
    uint64_t idle = o->cli_idle ? old->meter.idle_ns : nc.meter.idle_ns;
    uint64_t tidle = o->cli_tcp_idle ? old->meter.tcp_idle_ns : nc.meter.tcp_idle_ns;
    uint64_t status = o->cli_status ? old->meter.status_ns : nc.meter.status_ns;
    if (nc.meter.idle_ns != old->meter.idle_ns || nc.meter.tcp_idle_ns != old->meter.tcp_idle_ns ||
        nc.meter.status_ns != old->meter.status_ns) {
        o->m_timeouts = 1;
        o->m_idle = idle;
        o->m_tcp_idle = tidle;
        o->m_status = status;
    }
    int export_changed = strs_differ(old->dests, old->ndests, nc.dests, nc.ndests) ||
                         export_differ(&old->export, &nc.export);
    if (export_changed && o->cli_export) {
        cmd_ops_log(o, "reload: export destinations come from --export; not changed");
    } else if (export_changed && o->pinned_exporter) {
        cmd_ops_log(o, "reload: export destinations changed; they carry the selection's "
                       "interpretation, so that needs a restart, still running the old ones");
    } else if (export_changed) {
        struct ns_export_config ec = nc.export;
        ec.dests = (const char *const *)nc.dests;
        ec.ndests = nc.ndests;
        ec.obs_domain = o->ex->c.obs_domain;
        struct ns_exporter *nx = NULL;
        if (nc.ndests && ns_exporter_new(&nx, &ec, &err) < 0) {
            cmd_ops_log(o, "reload: export destinations not changed: %s", err.msg);
        } else {
            o->m_exporter = 1;
            o->m_x_new = nx;
            for (size_t i = 0; i < nc.ndests; i++)
                o->urls_new[i] = strdup(nc.dests[i]);
            o->nurls_new = nc.ndests;
        }
    }
    int any = o->m_timeouts || o->m_exporter;
    pthread_mutex_unlock(&o->mu);
    o->reloads_ok++;
    /* the file as read is the reference for the next reload */
    ns_conf_free(&o->conf);
    o->conf = nc;
    if (any)
        atomic_store_explicit(&o->pending, 1, memory_order_release);
    else
        cmd_ops_log(o, "reload: %s read, nothing to change", o->conf_path);
}

static void close_retired(struct cmd_ops *o)
{
    pthread_mutex_lock(&o->mu);
    struct ns_exporter *x = o->retired;
    o->retired = NULL;
    int ready = o->applied_ready;
    char msg[sizeof o->applied];
    memcpy(msg, o->applied, sizeof msg);
    o->applied_ready = 0;
    pthread_mutex_unlock(&o->mu);
    if (ready)
        cmd_ops_log(o, "reload applied: %s", msg);
    if (x) {
        struct ns_error err = {0};
        if (ns_exporter_close(x, NULL, &err) < 0)
            cmd_ops_log(o, "closing the old exporter: %s", err.msg);
    }
}

/* ---- probe: counters ---- */

static void print_probe_stats(struct cmd_ops *o)
{
    struct ns_pub_snapshot s;
    ns_pub_snapshot(&o->pub, &s); /* with workers: the sums of theirs */
    uint64_t act = s.flows_active, max = s.max_flows;
    double up = (double)(mono_ns() - o->started_ns) / 1e9;
    cmd_ops_log(o,
                "stats: %" PRIu64 " packets, %" PRIu64 " bytes in %.0f s; kernel %" PRIu64
                " received, %" PRIu64 " dropped; flows %" PRIu64 " active (cache %.1f%% of %" PRIu64
                "), %" PRIu64 " created, %" PRIu64 " records",
                s.packets, s.bytes, up, s.kernel_seen, s.kernel_drops, act,
                max ? 100.0 * (double)act / (double)max : 0.0, max, s.flows_created, s.records);
    uint32_t nw = atomic_load(&o->pub.nworkers);
    for (uint32_t i = 0; i < nw && i < NS_PUB_MAX_WORKERS; i++) {
        struct ns_pub_snapshot w;
        ns_pub_read(&o->wpub[i], &w);
        cmd_ops_log(o,
                    "stats: worker %" PRIu32 ": %" PRIu64 " packets; kernel %" PRIu64
                    " received, %" PRIu64 " dropped; flows %" PRIu64
                    " active (cache %.1f%% of %" PRIu64 "), %" PRIu64 " records",
                    i, w.packets, w.kernel_seen, w.kernel_drops, w.flows_active,
                    w.max_flows ? 100.0 * (double)w.flows_active / (double)w.max_flows : 0.0,
                    w.max_flows, w.records);
    }
    pthread_mutex_lock(&o->mu);
    for (size_t i = 0; i < o->ndests; i++) {
        const struct cmd_ops_dest *d = &o->dests[i];
        cmd_ops_log(o,
                    "stats: export %s %s: %" PRIu64 " flow records, %" PRIu64 " dropped, %" PRIu64
                    " octets queued",
                    d->url, d->up ? "up" : "down", d->flows, d->dropped, d->queued);
    }
    pthread_mutex_unlock(&o->mu);
}

/* Per-worker series (--workers N): one sample per worker, label worker. */
static void render_workers(struct cmd_ops *o, struct ns_prom *m)
{
    uint32_t nw = atomic_load(&o->pub.nworkers);
    if (!nw)
        return;
    static const struct {
        const char *name, *type, *help;
    } fam[] = {
        {"netsift_worker_packets_total", "counter", "Packets metered by the worker."},
        {"netsift_worker_kernel_drops_total", "counter",
         "Frames the kernel dropped for the worker's sockets."},
        {"netsift_worker_flows_active", "gauge", "Flows in the worker's cache."},
        {"netsift_worker_cache_fill_ratio", "gauge", "Active flows / the worker's cache budget."},
        {"netsift_worker_flows_exported_total", "counter",
         "Flow records the worker's meter emitted."},
    };
    struct ns_pub_snapshot w[NS_PUB_MAX_WORKERS];
    for (uint32_t i = 0; i < nw && i < NS_PUB_MAX_WORKERS; i++)
        ns_pub_read(&o->wpub[i], &w[i]);
    for (size_t f = 0; f < sizeof fam / sizeof fam[0]; f++) {
        ns_prom_family(m, fam[f].name, fam[f].type, fam[f].help);
        for (uint32_t i = 0; i < nw && i < NS_PUB_MAX_WORKERS; i++) {
            char id[16];
            snprintf(id, sizeof id, "%" PRIu32, i);
            const char *lab[] = {"worker", id};
            double v[] = {(double)w[i].packets, (double)w[i].kernel_drops,
                          (double)w[i].flows_active,
                          w[i].max_flows ? (double)w[i].flows_active / (double)w[i].max_flows : 0.0,
                          (double)w[i].records};
            ns_prom_sample(m, fam[f].name, lab, 1, v[f]);
        }
    }
}

static void render_probe(void *ctx, struct ns_prom *m)
{
    struct cmd_ops *o = ctx;
    struct ns_pub_snapshot s;
    ns_pub_snapshot(&o->pub, &s); /* with workers: the sums of theirs */
    uint64_t act = s.flows_active, max = s.max_flows;
    ns_prom_one(m, "netsift_up", "gauge", "1 while the probe meters", atomic_load(&o->pub.running));
    ns_prom_one(m, "netsift_packets_total", "counter", "Packets metered.", (double)s.packets);
    ns_prom_one(m, "netsift_bytes_total", "counter", "Layer-2 octets of the packets metered.",
                (double)s.bytes);
    ns_prom_one(m, "netsift_non_ip_packets_total", "counter", "Packets without IP (not metered).",
                (double)s.non_ip);
    ns_prom_one(m, "netsift_kernel_packets_total", "counter",
                "Frames the kernel handled for the capture sockets.", (double)s.kernel_seen);
    ns_prom_one(m, "netsift_captured_packets_total", "counter",
                "Frames read from the capture rings (before packet selection).",
                (double)s.captured);
    ns_prom_one(m, "netsift_kernel_drops_total", "counter",
                "Frames the kernel dropped: the capture ring was full.", (double)s.kernel_drops);
    ns_prom_one(m, "netsift_flows_active", "gauge", "Flows in the cache.", (double)act);
    ns_prom_one(m, "netsift_flows_created_total", "counter", "Flows created.",
                (double)s.flows_created);
    ns_prom_one(m, "netsift_flows_exported_total", "counter",
                "Flow records emitted by the meter (every end reason, status records included).",
                (double)s.records);
    ns_prom_one(m, "netsift_cache_size", "gauge", "Flow cache budget (maxFlows).", (double)max);
    ns_prom_one(m, "netsift_cache_fill_ratio", "gauge", "Active flows / cache budget.",
                max ? (double)act / (double)max : 0.0);
    ns_prom_one(m, "netsift_cache_full_total", "counter",
                "Flows exported early because the cache was full (RFC 7014).",
                (double)s.cache_full);
    render_workers(o, m);
    static const struct {
        const char *name, *type, *help;
    } fam[] = {
        {"netsift_export_up", "gauge", "1 while the destination's transport is connected."},
        {"netsift_export_flows_total", "counter", "Flow records delivered to the destination."},
        {"netsift_export_dropped_flows_total", "counter",
         "Flow records not delivered (transport refused, rate limit)."},
        {"netsift_export_messages_total", "counter", "IPFIX messages delivered."},
        {"netsift_export_octets_total", "counter", "IPFIX octets delivered."},
        {"netsift_export_queue_octets", "gauge", "Octets queued, not yet acknowledged (TCP)."},
        {"netsift_export_templates", "gauge", "Templates announced on the destination's stream."},
    };
    pthread_mutex_lock(&o->mu);
    for (size_t f = 0; f < sizeof fam / sizeof fam[0]; f++) {
        ns_prom_family(m, fam[f].name, fam[f].type, fam[f].help);
        for (size_t i = 0; i < o->ndests; i++) {
            const struct cmd_ops_dest *d = &o->dests[i];
            const char *lab[] = {"destination", d->url};
            double v[] = {d->up,
                          (double)d->flows,
                          (double)d->dropped,
                          (double)d->messages,
                          (double)d->octets,
                          (double)d->queued,
                          (double)d->templates};
            ns_prom_sample(m, fam[f].name, lab, 1, v[f]);
        }
    }
    pthread_mutex_unlock(&o->mu);
    ns_prom_family(m, "netsift_config_reloads_total", "counter", "SIGHUP reloads by result.");
    const char *ok[] = {"result", "ok"}, *bad[] = {"result", "error"};
    ns_prom_sample(m, "netsift_config_reloads_total", ok, 1, (double)o->reloads_ok);
    ns_prom_sample(m, "netsift_config_reloads_total", bad, 1, (double)o->reloads_failed);
}

static void *ops_main(void *arg)
{
    struct cmd_ops *o = arg;
    uint64_t next_stats = o->stats_ns ? mono_ns() + o->stats_ns : UINT64_MAX;
    while (!atomic_load(&o->quit)) {
        if (o->http) {
            ns_http_serve(o->http, 100, render_probe, o);
        } else {
            /* a tick of 100 ms, cut short by the stop: the run's end must
             * not wait for the tick (it added up to 0.1 s to every run);
             * without an eventfd (fd -1) poll just sleeps the tick */
            struct pollfd pfd = {.fd = o->wake_fd, .events = POLLIN};
            poll(&pfd, 1, 100);
        }
        if (atomic_exchange_explicit(&hup_flag, 0, memory_order_relaxed))
            reload(o);
        close_retired(o);
        uint64_t now = mono_ns();
        if (atomic_exchange_explicit(&usr1_flag, 0, memory_order_relaxed) || now >= next_stats) {
            if (now >= next_stats)
                next_stats = now + o->stats_ns;
            print_probe_stats(o);
        }
    }
    return NULL;
}

void cmd_ops_probe_start(struct cmd_ops *o, struct ns_probe_config *c, struct cmd_export *ex)
{
    o->ex = ex;
    o->x = ex->x;
    ex->x = NULL; /* ours until cmd_ops_probe_stop */
    for (size_t i = 0; i < ex->c.ndests; i++)
        o->urls[i] = strdup(ex->urls[i]);
    o->nurls = ex->c.ndests;
    o->live = c->live.nifaces > 0;
    c->pub = &o->pub;
    c->opened = cmd_ops_opened;
    c->between = cmd_ops_between;
    c->meter_between = cmd_ops_meter_between;
    o->pub.per_worker = o->wpub;
    o->status_on = c->meter.status_ns != 0;
    c->ops_ctx = o;
    cmd_ops_signals(1);
    o->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (pthread_create(&o->th, NULL, ops_main, o) == 0) {
        o->th_started = 1;
        pthread_setname_np(o->th, "netsift-ops");
    }
}

void cmd_ops_probe_stop(struct cmd_ops *o)
{
    if (o->th_started) {
        atomic_store(&o->quit, 1);
        if (o->wake_fd >= 0) {
            uint64_t one = 1;
            if (write(o->wake_fd, &one, sizeof one) < 0) {
                /* the 100 ms tick ends the wait anyway */
            }
        }
        pthread_join(o->th, NULL);
        o->th_started = 0;
    }
    if (o->wake_fd >= 0) {
        close(o->wake_fd);
        o->wake_fd = -1;
    }
    close_retired(o);
    if (o->m_x_new) { /* a reload nobody applied */
        ns_exporter_close(o->m_x_new, NULL, NULL);
        o->m_x_new = NULL;
    }
    for (size_t i = 0; i < o->nurls_new; i++)
        free(o->urls_new[i]);
    o->nurls_new = 0;
    o->ex->x = o->x;
    o->x = NULL;
    for (size_t i = 0; i < o->nurls; i++)
        o->ex->urls[i] = o->urls[i];
    o->ex->c.ndests = o->nurls;
}

/* ---- collect ---- */

struct collect_view {
    struct cmd_ops *o;
    struct ns_collector *col;
};

static void render_collect(void *ctx, struct ns_prom *m)
{
    const struct collect_view *v = ctx;
    struct ns_collect_totals t;
    ns_collector_totals(v->col, &t);
    ns_prom_one(m, "netsift_up", "gauge", "1 while the collector runs", 1);
    ns_prom_one(m, "netsift_collector_records_total", "counter",
                "Flow data records received (every session, ended ones included).",
                (double)t.st.records);
    ns_prom_one(m, "netsift_collector_messages_total", "counter", "IPFIX messages received.",
                (double)t.st.messages);
    ns_prom_one(m, "netsift_collector_octets_total", "counter", "IPFIX octets received.",
                (double)t.st.octets);
    ns_prom_one(m, "netsift_collector_lost_records_total", "counter",
                "Records missing by the sequence numbers (RFC 7011 §10.3.2).",
                (double)t.st.lost_records);
    ns_prom_one(m, "netsift_collector_malformed_total", "counter", "Malformed messages or sets.",
                (double)t.st.malformed);
    ns_prom_one(m, "netsift_collector_sessions_total", "counter", "Transport sessions accepted.",
                (double)t.sessions);
    ns_prom_one(m, "netsift_collector_refused_sessions_total", "counter",
                "Sessions refused (too many exporters).", (double)t.refused_sessions);
    ns_prom_one(m, "netsift_collector_files_total", "counter", "Files completed.", (double)t.files);
    ns_prom_one(m, "netsift_collector_store_errors_total", "counter", "Storage errors.",
                (double)t.store_errors);
    struct ns_collect_exporter ex[256];
    size_t n = ns_collector_exporters(v->col, ex, 256);
    ns_prom_one(m, "netsift_collector_exporters", "gauge", "Exporter sessions alive.", (double)n);
    static const struct {
        const char *name, *type, *help;
    } fam[] = {
        {"netsift_collector_exporter_records_total", "counter", "Flow records from the exporter."},
        {"netsift_collector_exporter_lost_records_total", "counter",
         "Records from the exporter missing by the sequence numbers."},
        {"netsift_collector_exporter_messages_total", "counter", "Messages from the exporter."},
        {"netsift_collector_exporter_templates", "gauge", "Templates the exporter has defined."},
    };
    for (size_t f = 0; f < sizeof fam / sizeof fam[0]; f++) {
        ns_prom_family(m, fam[f].name, fam[f].type, fam[f].help);
        for (size_t i = 0; i < n; i++) {
            char id[16];
            snprintf(id, sizeof id, "%" PRIu32, ex[i].id);
            const char *lab[] = {"exporter", ex[i].name, "session", id};
            double val[] = {(double)ex[i].st.records, (double)ex[i].st.lost_records,
                            (double)ex[i].st.messages, (double)ex[i].templates};
            ns_prom_sample(m, fam[f].name, lab, 2, val[f]);
        }
    }
}

void cmd_ops_collect_tick(struct cmd_ops *o, struct ns_collector *col)
{
    struct collect_view v = {o, col};
    if (o->http)
        while (ns_http_serve(o->http, 0, render_collect, &v) == 1) {
        }
    if (atomic_exchange_explicit(&hup_flag, 0, memory_order_relaxed))
        cmd_ops_log(o, "SIGHUP: the collector reloads nothing yet; restart to apply a change");
}
