/*
 * sink.h — what the analysis commands (aggregate, sort, bins) share: reading
 * every record of the inputs, and writing records either as text (table,
 * CSV, JSON lines, like `read`) or as an IPFIX file/stream (-w), so the
 * commands pipe into each other.
 */
#ifndef NS_CMD_SINK_H
#define NS_CMD_SINK_H

#include "analysis/output.h"
#include "cmd/cmd.h"
#include "ipfix/file.h"
#include "record/filter.h"

struct cmd_sink {
    const char *cmd;
    struct ns_printer pr;
    struct ns_ipfix_writer *w; /* NULL: print */
    uint64_t records;
};

/* Options every analysis command takes; parse with cmd_sink_option(). */
struct cmd_sink_opts {
    const char *fields; /* -s */
    const char *fmt;    /* -F */
    const char *out;    /* -w */
    int epoch, zstd;
};

/* Long options shared by the analysis commands (append to your own). */
#define CMD_SINK_LONGOPTS                                                                          \
    {"epoch", 0, 0, CMD_O_EPOCH},                                                                  \
    {                                                                                              \
        "zstd", 2, 0, CMD_O_ZSTD                                                                   \
    }
enum { CMD_O_EPOCH = 1000, CMD_O_ZSTD };
#define CMD_SINK_SHORTOPTS "s:F:w:"
#define CMD_SINK_HELP                                                                              \
    "  -s FIELDS      fields to print; '+f,...' adds to the defaults (see 'netsift read "          \
    "--help')\n"                                                                                   \
    "  -F FORMAT      table (default), csv or json (lines)\n"                                      \
    "  --epoch        times as seconds.nanoseconds since 1970\n"                                   \
    "  -w FILE        write IPFIX instead of text ('-' = stdout, '.zst' suffix or --zstd\n"        \
    "                 compresses), so commands pipe: ... -w - | netsift aggregate -r - ...\n"      \
    "  --zstd[=LEVEL] compress the IPFIX output with zstd\n"

/* 1 when `o` was one of the sink options (consumed), 0 otherwise. */
int cmd_sink_option(const char *cmd, int o, const char *arg, struct cmd_sink_opts *so);
/* Open the sink; default_fields when no -s was given. */
void cmd_sink_open(struct cmd_sink *s, const char *cmd, struct cmd_sink_opts *so,
                   const char *default_fields);
int cmd_sink_emit(void *sink, const struct ns_record *r, struct ns_error *err);
/* Finish; returns 0, or 1 after printing a write error. */
int cmd_sink_close(struct cmd_sink *s);

/* Call fn on every record of every input that passes the filter, in order; read errors are printed
 * and make the return 1 (records before the damage are still used); fn's
 * negative return stops everything with cmd_die.  The files are read and
 * decoded on a thread of their own, a batch of records ahead (each.c). */
struct ns_filter;
int cmd_each_record(const char *cmd, const struct cmd_inputs *in, const struct ns_filter *filter,
                    int (*fn)(void *ctx, const struct ns_record *r, struct ns_error *err),
                    void *ctx);

/* The same, also passing every options record to opt_fn (on the reading
 * thread; what it fills may be read once this returns). */
int cmd_each_record_opts(const char *cmd, const struct cmd_inputs *in,
                         const struct ns_filter *filter,
                         int (*fn)(void *ctx, const struct ns_record *r, struct ns_error *err),
                         void *ctx, ns_ipfix_opt_fn opt_fn, void *opt_ctx);

/* opt_fn for cmd_each_record_opts: ctx is a struct ns_fsel_report. */
void cmd_fsel_report_opt(void *ctx, const struct ns_tmpl *t, const uint8_t *rec, size_t len,
                         uint32_t domain);

/* --estimate: renormalise sampled records before they merge. */
struct cmd_estimate {
    int on;
    uint64_t scaled, unknown;
};
/* r, or its estimate in *tmp when estimation is on and r was sampled. */
const struct ns_record *cmd_estimate(struct cmd_estimate *e, const struct ns_record *r,
                                     struct ns_record *tmp);
/* One line on stderr about what was (not) renormalised. */
void cmd_estimate_report(const char *cmd, const struct cmd_estimate *e);

/* bins --plot (cmd_plot.c): draw field `field` of the results, stacked by
 * the key; returns 0, or 1 after printing an error. */
struct ns_bins_opts;
int cmd_bins_plot(const char *path, const char *field, const struct ns_bins_opts *bo,
                  const struct ns_record *const *res, const uint64_t *starts, size_t n);

#endif
