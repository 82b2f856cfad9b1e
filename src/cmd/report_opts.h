/*
 * report_opts.h — `netsift probe --report FIELDS`: the selected packets go
 * to a PSAMP reporting process (report/report.h) instead of the flow
 * meter.  Kept out of cmd_probe.c so that file only gains a few lines: the
 * long options, one call in its option switch, one call to run.
 */
#ifndef NS_CMD_REPORT_OPTS_H
#define NS_CMD_REPORT_OPTS_H

#include <getopt.h>
#include <stdint.h>

#include "cmd/export_opts.h"
#include "cmd/mp_opts.h"
#include "report/report.h"
#include "select/select.h"

enum { CMD_O_REPORT = 2100, CMD_O_REPORT_INTERVAL, CMD_O_REPORT_ID };

#define CMD_REPORT_LONGOPTS                                                                        \
    {"report", 1, 0, CMD_O_REPORT}, {"report-interval", 1, 0, CMD_O_REPORT_INTERVAL},              \
    {                                                                                              \
        "report-id", 1, 0, CMD_O_REPORT_ID                                                         \
    }

#define CMD_REPORT_HELP                                                                            \
    "  --report FIELDS  PSAMP packet reports (RFC 5476) of the selected packets\n"                 \
    "                   instead of flow records: a comma list of seq selector time\n"              \
    "                   timens digest addr ports proto len ttl ipid tos tcpflags\n"                \
    "                   framelen iface ipsection=N l2section=N, or 'default' "                     \
    "(" NS_REPORT_DEFAULT_FIELDS ");\n"                                                            \
    "                   needs --select; with the report interpretation (options)\n"                \
    "  --report-interval SEC  interpretation and statistics every SEC of packet\n"                 \
    "                   time (default 60s; 0: only at start and end)\n"                            \
    "  --report-id N    selectionSequenceId (default 1)\n" CMD_MP_HELP

struct cmd_report {
    int on;
    struct ns_report_config c;
};

void cmd_report_init(struct cmd_report *r);
/* 1 when `opt` was a report option (dies on a bad value), else 0. */
int cmd_report_option(struct cmd_report *r, const char *cmd, int opt, const char *arg);
/* Run the inputs through the chain into packet reports written to `out`
 * (may be NULL) and the exporter (may be NULL); prints the summary unless
 * quiet.  Returns the exit status. */
int cmd_report_run(struct cmd_report *r, const char *cmd, const char *const *inputs, size_t ninputs,
                   const char *bpf, struct ns_sel_chain *sel, const char *out, int zstd,
                   uint32_t obs_domain, struct cmd_export *ex, int quiet);

/* Sampled flows exported: the selection's interpretation on the exporter
 * (configuration at start, statistics at the end).  NULL when there is
 * no chain or no exporter. */
struct ns_report *cmd_report_flows_start(const char *cmd, struct ns_sel_chain *sel,
                                         struct cmd_export *ex);
void cmd_report_flows_end(const char *cmd, struct ns_report *r);

#endif
