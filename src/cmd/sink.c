#include "cmd/sink.h"

#include "analysis/estimate.h"
#include "fsel/optrec.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_sink_option(const char *cmd, int o, const char *arg, struct cmd_sink_opts *so)
{
    uint64_t v;
    switch (o) {
    case 's': /* '+f,...' is joined to the defaults in cmd_sink_open */
        so->fields = arg;
        return 1;
    case 'F':
        so->fmt = arg;
        return 1;
    case 'w':
        so->out = arg;
        return 1;
    case CMD_O_EPOCH:
        so->epoch = 1;
        return 1;
    case CMD_O_ZSTD:
        so->zstd = 3;
        if (arg) {
            if (cmd_parse_u64(arg, &v) < 0 || v < 1 || v > 19)
                cmd_die(cmd, "--zstd level is 1..19, not '%s'", arg);
            so->zstd = (int)v;
        }
        return 1;
    default:
        return 0;
    }
}

void cmd_sink_open(struct cmd_sink *s, const char *cmd, struct cmd_sink_opts *so,
                   const char *default_fields)
{
    struct ns_error err = {0};
    memset(s, 0, sizeof *s);
    s->cmd = cmd;
    if (so->out) {
        size_t ol = strlen(so->out);
        struct ns_ipfix_writer_opts wo = {0};
        wo.zstd = so->zstd || (ol > 4 && !strcmp(so->out + ol - 4, ".zst"));
        wo.zstd_level = so->zstd;
        if (ns_ipfix_writer_open(&s->w, so->out, &wo, &err) < 0)
            cmd_die(cmd, "%s", err.msg);
        return;
    }
    const char *fields = so->fields ? so->fields : default_fields;
    char *joined = NULL;
    if (fields[0] == '+') {
        joined = malloc(strlen(default_fields) + strlen(fields) + 1);
        if (!joined)
            cmd_die(cmd, "out of memory");
        sprintf(joined, "%s,%s", default_fields, fields + 1);
        fields = joined;
    }
    enum ns_format fmt;
    if (ns_format_parse(so->fmt ? so->fmt : "table", &fmt, &err) < 0 ||
        ns_printer_init(&s->pr, stdout, fmt, fields, &err) < 0)
        cmd_die(cmd, "%s", err.msg);
    s->pr.epoch_times = so->epoch;
    free(joined);
}

int cmd_sink_emit(void *sink, const struct ns_record *r, struct ns_error *err)
{
    struct cmd_sink *s = sink;
    s->records++;
    if (s->w)
        return ns_ipfix_writer_add(s->w, r, err);
    return ns_printer_record(&s->pr, r);
}

int cmd_sink_close(struct cmd_sink *s)
{
    struct ns_error err = {0};
    int rc = s->w ? ns_ipfix_writer_close(s->w, &err) : ns_printer_finish(&s->pr, &err);
    s->w = NULL;
    if (rc < 0) {
        fprintf(stderr, "netsift %s: %s\n", s->cmd, err.msg);
        return 1;
    }
    return 0;
}

const struct ns_record *cmd_estimate(struct cmd_estimate *e, const struct ns_record *r,
                                     struct ns_record *tmp)
{
    if (!e->on || !(r->present & NS_RG_SAMP))
        return r;
    *tmp = *r;
    if (ns_estimate_record(tmp) == NS_EST_SCALED) {
        e->scaled++;
        return tmp;
    }
    e->unknown++;
    return r;
}

void cmd_estimate_report(const char *cmd, const struct cmd_estimate *e)
{
    if (!e->on)
        return;
    fprintf(stderr, "netsift %s: --estimate: %" PRIu64 " sampled records renormalised", cmd,
            e->scaled);
    if (e->unknown)
        fprintf(stderr,
                "; %" PRIu64
                " aggregates of mixed sampling rates left as counted (aggregate them with "
                "--estimate from the original records)",
                e->unknown);
    fputc('\n', stderr);
}

void cmd_fsel_report_opt(void *ctx, const struct ns_tmpl *t, const uint8_t *rec, size_t len,
                         uint32_t domain)
{
    ns_fsel_report_add(ctx, t, rec, len, domain);
}
