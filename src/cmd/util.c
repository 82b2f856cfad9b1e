#include "cmd/cmd.h"

#include "record/filter.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void cmd_die(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "netsift %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

void cmd_inputs_add(struct cmd_inputs *in, const char *path)
{
    if (in->n == in->cap) {
        in->cap = in->cap ? 2 * in->cap : 8;
        in->paths = realloc(in->paths, in->cap * sizeof *in->paths);
        if (!in->paths) {
            fputs("netsift: out of memory\n", stderr);
            exit(1);
        }
    }
    in->paths[in->n++] = path;
}

int cmd_inputs_take_file(struct cmd_inputs *in, int argc, char **argv, int *optind_p)
{
    int i = *optind_p;
    if (i >= argc || in->n == 0)
        return 0;
    if (i > 0 && !strcmp(argv[i - 1], "--"))
        return 0; /* explicit end of options: the rest is a filter */
    struct stat sb;
    if (stat(argv[i], &sb) != 0 || S_ISDIR(sb.st_mode))
        return 0;
    cmd_inputs_add(in, argv[i]);
    *optind_p = i + 1;
    return 1;
}

int cmd_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
               struct cmd_inputs *in)
{
    for (;;) {
        int o = getopt_long(argc, argv, shortopts, longopts, NULL);
        if (o == 'r') {
            cmd_inputs_add(in, optarg);
            continue;
        }
        if (o == -1 && cmd_inputs_take_file(in, argc, argv, &optind))
            continue;
        return o;
    }
}

void cmd_need_inputs(const char *cmd, const struct cmd_inputs *in)
{
    if (!in->n)
        cmd_die(cmd, "no input: give -r FILE (or -r - for stdin); see --help");
}

char *cmd_join(int argc, char **argv, int from)
{
    size_t len = 0;
    for (int i = from; i < argc; i++)
        len += strlen(argv[i]) + 1;
    if (!len)
        return NULL;
    char *s = malloc(len);
    if (!s)
        return NULL;
    s[0] = 0;
    for (int i = from; i < argc; i++) {
        if (i > from)
            strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

struct ns_filter *cmd_filter(const char *cmd, int argc, char **argv, int from)
{
    if (from >= argc)
        return NULL;
    char *expr = cmd_join(argc, argv, from);
    if (!expr)
        cmd_die(cmd, "out of memory");
    struct ns_filter *f;
    struct ns_error err = {0};
    if (ns_filter_compile(&f, expr, &err) < 0) {
        /* show where: the expression, and a caret under the column */
        const char *c = NULL;
        for (const char *x = err.msg; (x = strstr(x, "(column ")) != NULL; x++)
            c = x; /* the last one is the error's own */
        size_t col = c ? strtoul(c + 8, NULL, 10) : 0;
        fprintf(stderr, "netsift %s: %s\n", cmd, err.msg);
        if (col)
            fprintf(stderr, "  %s\n  %*s^\n", expr, (int)(col - 1), "");
        free(expr);
        exit(2);
    }
    free(expr);
    return f;
}

int cmd_parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-')
        return -1;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *v = x;
    return 0;
}

/* "60", "60s", "500ms", "2m", "1h", "0.5" */
int cmd_parse_seconds(const char *s, uint64_t *ns)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (errno || end == s || x < 0)
        return -1;
    double mul = 1e9;
    if (!strcmp(end, "") || !strcmp(end, "s"))
        mul = 1e9;
    else if (!strcmp(end, "ms"))
        mul = 1e6;
    else if (!strcmp(end, "us"))
        mul = 1e3;
    else if (!strcmp(end, "m"))
        mul = 60e9;
    else if (!strcmp(end, "h"))
        mul = 3600e9;
    else
        return -1;
    if (x * mul > 1e18)
        return -1;
    *ns = (uint64_t)(x * mul + 0.5);
    return 0;
}

int cmd_run_status(const char *cmd, int rv, const struct ns_error *run, int wc,
                   const struct ns_error *close)
{
    if (rv < 0)
        fprintf(stderr, "netsift %s: %s\n", cmd, run->msg);
    if (wc < 0)
        fprintf(stderr, "netsift %s: %s\n", cmd, close->msg);
    return rv < 0 || wc < 0 ? 1 : 0;
}
