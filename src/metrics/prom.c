#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics.h"

void ns_prom_init(struct ns_prom *p)
{
    memset(p, 0, sizeof *p);
}

void ns_prom_free(struct ns_prom *p)
{
    free(p->buf);
    ns_prom_init(p);
}

void ns_prom_reset(struct ns_prom *p)
{
    p->len = 0;
    p->oom = 0;
    if (p->buf)
        p->buf[0] = 0;
}

static void put(struct ns_prom *p, const char *s, size_t n)
{
    if (p->oom)
        return;
    if (p->cap - p->len < n + 1) {
        size_t nc = p->cap ? p->cap : 4096;
        while (nc - p->len < n + 1)
            nc *= 2;
        char *nb = realloc(p->buf, nc);
        if (!nb) {
            p->oom = 1;
            return;
        }
        p->buf = nb;
        p->cap = nc;
    }
    memcpy(p->buf + p->len, s, n);
    p->len += n;
    p->buf[p->len] = 0;
}

static void puts_(struct ns_prom *p, const char *s)
{
    put(p, s, strlen(s));
}

/* Escapes of the text format: label values \\ \" \n; help text \\ \n. */
static void put_escaped(struct ns_prom *p, const char *s, int quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            puts_(p, "\\\\");
        else if (*s == '\n')
            puts_(p, "\\n");
        else if (quote && *s == '"')
            puts_(p, "\\\"");
        else
            put(p, s, 1);
    }
}

void ns_prom_family(struct ns_prom *p, const char *name, const char *type, const char *help)
{
    puts_(p, "# HELP ");
    puts_(p, name);
    puts_(p, " ");
    put_escaped(p, help, 0);
    puts_(p, "\n# TYPE ");
    puts_(p, name);
    puts_(p, " ");
    puts_(p, type);
    puts_(p, "\n");
}

void ns_prom_sample(struct ns_prom *p, const char *name, const char *const *labels, size_t nlabels,
                    double value)
{
    puts_(p, name);
    for (size_t i = 0; i < nlabels; i++) {
        puts_(p, i ? "," : "{");
        puts_(p, labels[2 * i]);
        puts_(p, "=\"");
        put_escaped(p, labels[2 * i + 1], 1);
        puts_(p, "\"");
    }
    if (nlabels)
        puts_(p, "}");
    char v[64];
    /* integers print exactly up to 2^53; counters beyond that lose digits
     * only in the float the format carries anyway */
    if (value == (double)(long long)value && value < 9007199254740992.0 &&
        value > -9007199254740992.0)
        snprintf(v, sizeof v, " %lld\n", (long long)value);
    else
        snprintf(v, sizeof v, " %.17g\n", value);
    puts_(p, v);
}

void ns_prom_one(struct ns_prom *p, const char *name, const char *type, const char *help,
                 double value)
{
    ns_prom_family(p, name, type, help);
    ns_prom_sample(p, name, NULL, 0, value);
}
