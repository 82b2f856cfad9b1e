/*
 * ops.h — running probe and collect as a service: the configuration file
 * (-c, --check-config), --daemon/--pidfile, --user, signals (SIGHUP
 * reload, SIGUSR1 and --stats counters), and the --metrics endpoint.
 *
 * The library parts live in config/, daemon/ and metrics/; this is the
 * command-side glue (option parsing, printing, the operations thread of
 * the probe).  The probe meters on its main thread, so a second thread
 * here serves the metrics endpoint, notices the signal flags, prints
 * counters and prepares reloads; what a reload changes in the metering
 * pipeline is applied by the metering thread itself between two batches
 * (ns_probe_config.between), so nothing on the packet path takes a lock.
 */
#ifndef NS_CMD_OPS_H
#define NS_CMD_OPS_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/types.h>

#include "cmd/export_opts.h"
#include "collect/collect.h"
#include "config/config.h"
#include "daemon/daemon.h"
#include "metrics/metrics.h"
#include "probe/probe.h"

enum {
    CMD_O_CONFIG = 3000,
    CMD_O_CHECKCONF,
    CMD_O_DAEMON,
    CMD_O_PIDFILE,
    CMD_O_USER,
    CMD_O_METRICS,
    CMD_O_PSTATS
};

#define CMD_OPS_LONGOPTS                                                                           \
    {"config", 1, 0, 'c'}, {"check-config", 0, 0, CMD_O_CHECKCONF},                                \
        {"daemon", 0, 0, CMD_O_DAEMON}, {"pidfile", 1, 0, CMD_O_PIDFILE},                          \
        {"user", 1, 0, CMD_O_USER},                                                                \
    {                                                                                              \
        "metrics", 1, 0, CMD_O_METRICS                                                             \
    }

#define CMD_OPS_HELP                                                                               \
    "running as a service (netsift.conf(5)):\n"                                                    \
    "  -c, --config FILE  read the configuration (RFC 6728 structure, YAML); options\n"            \
    "                   given on the command line override it; SIGHUP reads it again\n"            \
    "  --check-config   print the effective configuration (or the error) and exit\n"               \
    "  --daemon         detach (double fork, setsid); the default is the foreground\n"             \
    "  --pidfile FILE   write the pid there (refused while another live process owns it)\n"        \
    "  --user NAME[:GROUP]  drop root for NAME once the capture/sockets are open\n"                \
    "  --metrics HOST:PORT  Prometheus text-format endpoint (GET /metrics)\n"

/* One destination's counters as last published by the metering thread. */
struct cmd_ops_dest {
    char url[300];
    int up;
    uint64_t flows, dropped, messages, octets, queued, templates;
};

struct cmd_ops {
    const char *cmd;
    /* options */
    const char *conf_path;
    int check_config, daemon;
    const char *pidfile, *user, *metrics;
    uint64_t stats_ns;
    /* what the command line set (a reload leaves it alone) */
    int cli_status, cli_idle, cli_tcp_idle, cli_export;
    int pinned_exporter; /* something else holds the exporter: a reload keeps it */
    struct ns_conf conf; /* the file as last read (and applied) */
    int have_conf;
    /* set up by cmd_ops_prepare */
    uid_t uid;
    gid_t gid;
    int drop;
    struct ns_daemon dmn;
    int is_daemon, pid_claimed;
    struct ns_http *http;
    /* the probe at run time */
    struct ns_probe_pub pub;
    struct ns_probe_pub wpub[NS_PUB_MAX_WORKERS]; /* --workers: each worker's counters */
    struct cmd_export *ex;
    struct ns_exporter *x; /* current exporter: the metering thread's while it runs */
    int live;
    int wake_fd; /* eventfd: cmd_ops_probe_stop() ends the ops thread's wait at once */
    pthread_t th;
    int th_started;
    atomic_int quit;
    pthread_mutex_t mu; /* guards everything below */
    atomic_int pending; /* a reload waits for the metering thread */
    int m_timeouts, m_exporter;
    uint64_t m_idle, m_tcp_idle, m_status;
    /* --workers: reloaded timeouts, taken by each worker at its next batch
     * when t_gen moved past the generation it applied (w_gen, its own) */
    atomic_uint t_gen;
    unsigned w_gen[NS_PUB_MAX_WORKERS];
    uint64_t t_idle, t_tcp_idle, t_status;
    int status_on; /* status reports (active timeout) on: a reload cannot switch them */
    struct ns_exporter *m_x_new;
    struct ns_exporter *retired; /* replaced by a reload: closed by the ops thread */
    char *urls_new[NS_EXPORT_MAX_DESTS], *urls[NS_EXPORT_MAX_DESTS];
    size_t nurls_new, nurls;
    char applied[600]; /* what the last reload did, for the log */
    int applied_ready;
    struct cmd_ops_dest dests[NS_EXPORT_MAX_DESTS];
    size_t ndests;
    uint64_t dest_pub_ns;
    uint64_t reloads_ok, reloads_failed;
    uint64_t started_ns;
};

void cmd_ops_init(struct cmd_ops *o, const char *cmd);
/* The -c/--config argument, looked up before the options are parsed (so
 * the rest of the command line overrides the file); NULL when absent. */
const char *cmd_ops_prescan(int argc, char **argv);
/* Load the file (dies with FILE:LINE:COL: message). */
void cmd_ops_load(struct cmd_ops *o, const char *path);
/* 1 when `opt` was an operations option. */
int cmd_ops_option(struct cmd_ops *o, int opt, const char *arg);
/* Before the work starts: resolve --user, detach (the original process
 * exits here with the daemon's verdict), claim the pid file, open the
 * metrics listener.  Dies on failure. */
void cmd_ops_prepare(struct cmd_ops *o);
/* After the capture / sockets are open: drop privileges, report ready. */
int cmd_ops_opened(void *ctx, struct ns_error *err);
/* At the end: pid file, listener. */
void cmd_ops_finish(struct cmd_ops *o);
/* Signal handlers for SIGHUP and (usr1) SIGUSR1: flags. */
void cmd_ops_signals(int usr1);
void cmd_ops_log(const struct cmd_ops *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* probe: the record sink that follows reloads, the between-batches hook,
 * the operations thread. */
int cmd_ops_sink(void *ctx, const struct ns_record *r, struct ns_error *err);
/* Options records (flow selection statistics) to the current exporter. */
int cmd_ops_opt(void *ctx, uint16_t tid, uint16_t scope_count, const struct ns_field_spec *f,
                uint16_t n, const uint8_t *rec, struct ns_error *err);
int cmd_ops_between(void *ctx, struct ns_meter *m, struct ns_error *err);
/* --workers: worker `worker`'s thread between two batches (timeouts). */
int cmd_ops_meter_between(void *ctx, unsigned worker, struct ns_meter *m, struct ns_error *err);
void cmd_ops_probe_start(struct cmd_ops *o, struct ns_probe_config *c, struct cmd_export *ex);
/* Stop the thread; ex->x and ex->urls then describe the current exporter. */
void cmd_ops_probe_stop(struct cmd_ops *o);

/* collect: one step of the main loop (metrics, SIGHUP). */
void cmd_ops_collect_tick(struct cmd_ops *o, struct ns_collector *col);

/* probe_conf.c: the file's settings into the probe's, and the effective
 * configuration as YAML. */
struct cmd_inputs;
void probe_conf_apply(struct cmd_ops *o, struct ns_probe_config *c, struct cmd_export *ex,
                      struct cmd_inputs *ifs, struct ns_sel_chain **sel, const char **out,
                      int *zstd, char **bpf);
void probe_conf_print(FILE *f, const struct cmd_ops *o, const struct ns_probe_config *c,
                      const struct cmd_export *ex, const struct ns_sel_chain *sel, const char *out,
                      int zstd);
void collect_conf_apply(struct cmd_ops *o, struct ns_collect_config *c, const char **urls,
                        size_t *nurls);

#endif
