/*
 * cmd.h — the subcommands of the netsift binary and their shared helpers.
 * Everything here parses options, calls the library and prints; logic a
 * test would want to call lives in the library.
 */
#ifndef NS_CMD_CMD_H
#define NS_CMD_CMD_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "record/filter.h"
#include "util/err.h"

int cmd_probe(int argc, char **argv);
int cmd_read(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_aggregate(int argc, char **argv);
int cmd_sort(int argc, char **argv);
int cmd_bins(int argc, char **argv);
int cmd_cull(int argc, char **argv);
int cmd_collect(int argc, char **argv);
int cmd_trajectory(int argc, char **argv);
/* cull subcommands: filter/apply/remove in cmd_cull_filter.c, plan/monitor in
 * cmd_cull_monitor.c */
int cmd_cull_filter(int argc, char **argv);
int cmd_cull_apply(int argc, char **argv);
int cmd_cull_remove(int argc, char **argv);
int cmd_cull_plan(int argc, char **argv);
int cmd_cull_monitor(int argc, char **argv);

/* Input list built from -r options and the existing files that follow. */
struct cmd_inputs {
    const char **paths;
    size_t n, cap;
};

void cmd_inputs_add(struct cmd_inputs *in, const char *path);
/* After getopt stopped at argv[optind]: if it names an input (an existing
 * file, or "-"), take it and return 1 so option parsing can go on. */
int cmd_inputs_take_file(struct cmd_inputs *in, int argc, char **argv, int *optind_p);
/*
 * getopt_long() for commands that read inputs: '-r FILE' adds an input, and
 * file names that follow it (before the next option) are inputs too.
 * Returns the next option other than 'r', or -1 at the end of the options
 * (optind then points at what follows: a filter expression, or nothing).
 */
int cmd_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
               struct cmd_inputs *in);

/* Die with a usage hint when no -r input was given. */
void cmd_need_inputs(const char *cmd, const struct cmd_inputs *in);

/* Join argv[from..argc) with spaces (filter expressions); NULL when empty.
 * The result is malloc'd. */
char *cmd_join(int argc, char **argv, int from);

/* Compile the record filter in argv[from..argc) (joined with spaces; a
 * leading lone "-" is Argus's separator and skipped).  NULL when there is
 * none, which ns_filter_match() takes as match-all.  A bad expression ends
 * the command with exit 2, the message and the expression with a caret
 * under the offending column.  Free with ns_filter_free(). */
struct ns_filter *cmd_filter(const char *cmd, int argc, char **argv, int from);

/* Parse a non-negative number with an optional unit suffix. */
int cmd_parse_seconds(const char *s, uint64_t *ns);
int cmd_parse_u64(const char *s, uint64_t *v);

/* The exit status of a run that ended with rv and then closed its output
 * with wc: each failure printed with its message, 1 if either failed. */
int cmd_run_status(const char *cmd, int rv, const struct ns_error *run, int wc,
                   const struct ns_error *close);
void cmd_die(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

#endif
