/*
 * mp_opts.h — `netsift probe --mp SPEC` (repeatable) and `--mp-budget
 * N/PERIOD`: parallel measurement processes (mp/mp.h).  Kept out of
 * cmd_probe.c so that file only gains a few lines: the long options, one
 * call in its option switch, one call to run.
 */
#ifndef NS_CMD_MP_OPTS_H
#define NS_CMD_MP_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "cmd/export_opts.h"
#include "meter/meter.h"
#include "mp/mp.h"

enum { CMD_O_MP = 2300, CMD_O_MP_BUDGET };

#define CMD_MP_LONGOPTS                                                                            \
    {"mp", 1, 0, CMD_O_MP},                                                                        \
    {                                                                                              \
        "mp-budget", 1, 0, CMD_O_MP_BUDGET                                                         \
    }

#define CMD_MP_HELP                                                                                \
    "parallel measurement processes (PSAMP, RFC 5474 §7; netsift-select(7)):\n"                   \
    "  --mp SPEC        one process on every packet, its own chain: items separated\n"             \
    "                   by ';': name=NAME; prio=N (1 first); id=N\n"                               \
    "                   (selectionSequenceId); select=SPEC (repeat to chain);\n"                   \
    "                   report[=FIELDS] or flows.  Repeat --mp for more processes:\n"              \
    "                   --mp 'name=traj;select=hash:bob,frac=0.01;report=seq,digest'\n"            \
    "                   --mp 'name=web;select=match:tcp port 80;select=count:1/10;flows'\n"        \
    "  --mp-budget N/PERIOD  at most N packet reports per PERIOD (s, 100ms...) of\n"               \
    "                   packet time; the lowest priority loses reports first, each\n"              \
    "                   process counts what it left out (selected = sent + dropped)\n"

struct cmd_mp {
    size_t n;
    struct ns_mp_spec *spec; /* NS_MP_MAX, allocated at the first --mp */
    uint64_t budget, period_ns;
};

/* 1 when `opt` was an --mp option (dies on a bad value), else 0. */
int cmd_mp_option(struct cmd_mp *m, const char *cmd, int opt, const char *arg);
/* Run the processes over the inputs into `out` (may be NULL) and the
 * exporter; prints the summary unless quiet; returns the exit status. */
int cmd_mp_run(struct cmd_mp *m, const char *cmd, const char *const *inputs, size_t ninputs,
               const char *bpf, const char *out, int zstd, uint32_t obs_domain,
               struct cmd_export *ex, uint64_t interp_ns, const struct ns_meter_config *meter,
               int quiet);
void cmd_mp_free(struct cmd_mp *m);

#endif
