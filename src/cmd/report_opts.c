#include "cmd/report_opts.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "cmd/cmd.h"
#include "ipfix/file.h"

void cmd_report_init(struct cmd_report *r)
{
    r->on = 0;
    ns_report_config_default(&r->c);
}

int cmd_report_option(struct cmd_report *r, const char *cmd, int opt, const char *arg)
{
    struct ns_error err = {0};
    uint64_t v;
    switch (opt) {
    case CMD_O_REPORT:
        if (ns_report_parse_fields(arg, &r->c, &err) < 0)
            cmd_die(cmd, "%s", err.msg);
        r->on = 1;
        return 1;
    case CMD_O_REPORT_INTERVAL:
        if (cmd_parse_seconds(arg, &r->c.interp_ns))
            cmd_die(cmd, "--report-interval wants a time such as 60 or 5s, not '%s'", arg);
        return 1;
    case CMD_O_REPORT_ID:
        if (cmd_parse_u64(arg, &v) || v == 0)
            cmd_die(cmd, "--report-id wants a positive number, not '%s'", arg);
        r->c.ssid = v;
        return 1;
    default:
        return 0;
    }
}

static void warn(void *ctx, const char *msg)
{
    fprintf(stderr, "netsift %s: warning: %s\n", (const char *)ctx, msg);
}

int cmd_report_run(struct cmd_report *r, const char *cmd, const char *const *inputs, size_t ninputs,
                   const char *bpf, struct ns_sel_chain *sel, const char *out, int zstd,
                   uint32_t obs_domain, struct cmd_export *ex, int quiet)
{
    if (!sel)
        cmd_die(cmd, "--report reports the packets a selection selects: give --select");
    struct ns_error err = {0};
    struct ns_ipfix_writer *w = NULL;
    struct ns_report_out outs[2];
    size_t nouts = 0;
    if (out) {
        struct ns_ipfix_writer_opts wo = {
            .obs_domain = obs_domain, .zstd = zstd > 0, .zstd_level = zstd};
        if (ns_ipfix_writer_open(&w, out, &wo, &err) < 0)
            cmd_die(cmd, "%s", err.msg);
        ns_report_out_writer(&outs[nouts++], w);
    }
    if (cmd_export_start(ex, cmd, obs_domain))
        ns_report_out_exporter(&outs[nouts++], ex->x);
    struct ns_report *rep;
    if (ns_report_new(&rep, &r->c, sel, outs, nouts, &err) < 0)
        cmd_die(cmd, "%s", err.msg);
    struct ns_report_run_config rc = {.inputs = inputs,
                                      .ninputs = ninputs,
                                      .bpf = bpf,
                                      .chain = sel,
                                      .report = rep,
                                      .warn = warn,
                                      .ctx = (void *)cmd};
    struct ns_report_run_stats st;
    int rv = ns_report_run(&rc, &st, &err);
    struct ns_error e2 = {0};
    int wc = ns_ipfix_writer_close(w, &e2);
    cmd_export_finish(ex, cmd, quiet);
    struct ns_report_stats rs;
    ns_report_get_stats(rep, &rs);
    ns_report_free(rep);
    if (!quiet) {
        fprintf(stderr,
                "netsift %s: %" PRIu64 " packets (%" PRIu64 " filtered out), %" PRIu64
                " selected, %" PRIu64 " packet reports, %" PRIu64
                " interpretation/statistics records\n",
                cmd, st.packets, st.filtered, st.selected, rs.reports, rs.options);
        for (size_t i = 0; i < ns_sel_chain_len(sel); i++) {
            struct ns_sel_info in;
            ns_sel_chain_info(sel, i, &in);
            fprintf(stderr,
                    "  selector %" PRIu64 " %s: observed %" PRIu64 ", selected %" PRIu64 "\n",
                    in.id, in.desc, in.observed, in.selected);
        }
    }
    return cmd_run_status(cmd, rv, &err, wc, &e2);
}

struct ns_report *cmd_report_flows_start(const char *cmd, struct ns_sel_chain *sel,
                                         struct cmd_export *ex)
{
    if (!sel || !ex->x)
        return NULL;
    struct ns_report_config c;
    ns_report_config_default(&c);
    c.fields = 0; /* interpretation only */
    struct ns_report_out o;
    ns_report_out_exporter(&o, ex->x);
    struct ns_report *r;
    struct ns_error err = {0};
    if (ns_report_new(&r, &c, sel, &o, 1, &err) < 0 ||
        ns_report_configuration(r, (uint32_t)time(NULL), &err) < 0)
        cmd_die(cmd, "%s", err.msg);
    return r;
}

void cmd_report_flows_end(const char *cmd, struct ns_report *r)
{
    if (!r)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct ns_error err = {0};
    if (ns_report_interpretation(r, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec,
                                 &err) < 0)
        fprintf(stderr, "netsift %s: export: %s\n", cmd, err.msg);
    ns_report_free(r);
}
