#include "cmd/mp_opts.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "ipfix/file.h"

int cmd_mp_option(struct cmd_mp *m, const char *cmd, int opt, const char *arg)
{
    struct ns_error err = {0};
    switch (opt) {
    case CMD_O_MP:
        if (m->n == NS_MP_MAX)
            cmd_die(cmd, "--mp: at most %d processes", NS_MP_MAX);
        if (!m->spec && !(m->spec = calloc(NS_MP_MAX, sizeof *m->spec)))
            cmd_die(cmd, "out of memory");
        if (ns_mp_parse(arg, m->n + 1, &m->spec[m->n], &err) < 0)
            cmd_die(cmd, "%s", err.msg);
        m->n++;
        return 1;
    case CMD_O_MP_BUDGET:
        if (ns_mp_parse_budget(arg, &m->budget, &m->period_ns, &err) < 0)
            cmd_die(cmd, "%s", err.msg);
        return 1;
    default:
        return 0;
    }
}

void cmd_mp_free(struct cmd_mp *m)
{
    free(m->spec);
    m->spec = NULL;
    m->n = 0;
}

static void warn(void *ctx, const char *msg)
{
    fprintf(stderr, "netsift %s: warning: %s\n", (const char *)ctx, msg);
}

static void summary(const char *cmd, const struct ns_mp_stats *st, uint64_t budget,
                    uint64_t period_ns)
{
    fprintf(stderr,
            "netsift %s: %" PRIu64 " packets (%" PRIu64 " filtered out), %zu processes, %" PRIu64
            " interpretation/statistics records",
            cmd, st->packets, st->filtered, st->n, st->options);
    if (budget)
        fprintf(stderr, ", budget %" PRIu64 " reports per %.6g s", budget, (double)period_ns / 1e9);
    fputc('\n', stderr);
    for (size_t k = 0; k < st->n; k++) {
        const struct ns_mp_proc_stats *p = &st->p[k];
        fprintf(stderr, "  process %s (id %" PRIu64 ", prio %" PRIu32 "): selected %" PRIu64,
                p->name, p->ssid, p->prio, p->selected);
        if (p->flows)
            fprintf(stderr, ", %" PRIu64 " flow records\n", p->records);
        else
            fprintf(stderr, ", reported %" PRIu64 ", dropped %" PRIu64 "\n", p->reported,
                    p->dropped);
        for (size_t i = 0; i < p->nsel; i++)
            fprintf(stderr,
                    "    selector %" PRIu64 " %s: observed %" PRIu64 ", selected %" PRIu64 "\n",
                    p->sel[i].id, p->sel[i].desc, p->sel[i].observed, p->sel[i].selected);
    }
}

int cmd_mp_run(struct cmd_mp *m, const char *cmd, const char *const *inputs, size_t ninputs,
               const char *bpf, const char *out, int zstd, uint32_t obs_domain,
               struct cmd_export *ex, uint64_t interp_ns, const struct ns_meter_config *meter,
               int quiet)
{
    struct ns_error err = {0};
    if (ns_mp_check(m->spec, m->n, &err) < 0)
        cmd_die(cmd, "%s", err.msg);
    struct ns_ipfix_writer *w = NULL;
    if (out) {
        struct ns_ipfix_writer_opts wo = {
            .obs_domain = obs_domain, .zstd = zstd > 0, .zstd_level = zstd};
        if (ns_ipfix_writer_open(&w, out, &wo, &err) < 0)
            cmd_die(cmd, "%s", err.msg);
    }
    cmd_export_start(ex, cmd, obs_domain);
    struct ns_mp_config c = {.inputs = inputs,
                             .ninputs = ninputs,
                             .bpf = bpf,
                             .spec = m->spec,
                             .n = m->n,
                             .interp_ns = interp_ns,
                             .budget = m->budget,
                             .period_ns = m->period_ns,
                             .meter = *meter,
                             .w = w,
                             .x = ex->x,
                             .warn = warn,
                             .ctx = (void *)cmd};
    struct ns_mp_stats *st = calloc(1, sizeof *st);
    if (!st)
        cmd_die(cmd, "out of memory");
    int rv = ns_mp_run(&c, st, &err);
    struct ns_error e2 = {0};
    int wc = ns_ipfix_writer_close(w, &e2);
    cmd_export_finish(ex, cmd, quiet);
    if (!quiet)
        summary(cmd, st, m->budget, m->period_ns);
    free(st);
    return cmd_run_status(cmd, rv, &err, wc, &e2);
}
