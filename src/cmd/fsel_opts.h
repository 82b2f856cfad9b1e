/*
 * fsel_opts.h — probe's flow selection options (--cache-size,
 * --cache-policy, --multistage, --export-policy, --process-stats): the
 * long options, one call in the option switch, one to apply them to the
 * probe configuration, one for the summary (meter/meter.h, fsel/).
 */
#ifndef NS_CMD_FSEL_OPTS_H
#define NS_CMD_FSEL_OPTS_H

#include <getopt.h>
#include <stdint.h>

#include "fsel/xsel.h"
#include "probe/probe.h"

enum {
    CMD_O_CACHE_SIZE = 2200, /* ranges: export 2000, report 2100, fsel 2200 */
    CMD_O_CACHE_POLICY,
    CMD_O_MULTISTAGE,
    CMD_O_EXPORT_POLICY,
    CMD_O_FSEL_SEED,
    CMD_O_PROC_STATS
};

#define CMD_FSEL_LONGOPTS                                                                          \
    {"cache-size", 1, 0, CMD_O_CACHE_SIZE}, {"cache-policy", 1, 0, CMD_O_CACHE_POLICY},            \
        {"multistage", 1, 0, CMD_O_MULTISTAGE}, {"export-policy", 1, 0, CMD_O_EXPORT_POLICY},      \
        {"selection-seed", 1, 0, CMD_O_FSEL_SEED},                                                 \
    {                                                                                              \
        "process-stats", 2, 0, CMD_O_PROC_STATS                                                    \
    }

#define CMD_FSEL_HELP                                                                              \
    "flow selection under resource limits (RFC 7014; netsift-probe(1)):\n"                         \
    "  --cache-size N   flow cache of N flows (as --max-flows)\n"                                  \
    "  --cache-policy P when the cache is full: emergency-expire (default: export\n"               \
    "                   the LRU flow early), drop-new, evict-lru, evict-smallest,\n"               \
    "                   evict-oldest (remove a flow unexported), sample-hold:OCTETS\n"             \
    "                   (admit a new flow with p = 1-exp(-size/OCTETS), then hold)\n"              \
    "  --multistage D,B,T[,SEC]  multistage filter: D stages of B counters; a new\n"               \
    "                   flow needs T octets in every stage (restart every SEC)\n"                  \
    "  --export-policy P  records leaving: threshold:OCTETS, smart:Z (probability\n"               \
    "                   min(1,x/Z), estimates max(x,Z)), match:FILTER,\n"                          \
    "                   hash:bob|ipsx|crc,frac=F[,init=N]\n"                                       \
    "  --selection-seed N  seed of the random choices (default 1)\n"                               \
    "  --process-stats[=SEC]  write the metering/selection statistics options\n"                   \
    "                   records at the end and every SEC of packet time (default\n"                \
    "                   60; on whenever a policy above is given)\n"

struct cmd_fsel {
    const char *export_policy;
    uint64_t seed;
    int any;
    struct ns_xsel *x;
};

/* 1 when `o` was a flow selection option (applied to c; dies on a bad value). */
int cmd_fsel_option(struct cmd_fsel *f, struct ns_probe_config *c, int o, const char *arg);
/* After parsing: build the export selector. */
void cmd_fsel_apply(struct cmd_fsel *f, struct ns_probe_config *c);
/* Summary lines on stderr (nothing when no policy was on). */
void cmd_fsel_summary(const struct cmd_fsel *f, const struct ns_probe_config *c,
                      const struct ns_probe_stats *st);
void cmd_fsel_free(struct cmd_fsel *f);

#endif
