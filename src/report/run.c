/*
 * run.c — the offline driver of a reporting process (report.h): one
 * thread, capture → selection chain → packet reports.  Unselected packets
 * are neither copied nor decoded (the chain decodes lazily); a selected
 * one is encoded from where it lies.
 */
#include <string.h>

#include "capture/capture.h"
#include "report/report.h"

int ns_report_run(const struct ns_report_run_config *c, struct ns_report_run_stats *st,
                  struct ns_error *err)
{
    memset(st, 0, sizeof *st);
    if (!c->chain || !c->report)
        return ns_error_set(err, NS_EINVAL, "report: a chain and a report are required");
    struct ns_capture *cap;
    int rc = ns_capture_open_files(&cap, c->inputs, c->ninputs, c->bpf, err);
    if (rc < 0)
        return rc;
    int damaged = 0;
    for (;;) {
        struct ns_pkt p;
        const uint8_t *frame;
        int linktype;
        rc = ns_capture_next(cap, &p, &frame, &linktype, err);
        const char *w = ns_capture_warning(cap);
        if (w) {
            damaged = 1;
            if (c->warn)
                c->warn(c->ctx, w);
            ns_capture_take_warning(cap);
        }
        if (rc != 1)
            break;
        st->packets++;
        int decoded = 0;
        struct ns_sel_verdict v;
        if (!ns_sel_chain_run(c->chain, &p, frame, linktype, &decoded, &v))
            continue;
        st->selected++;
        if ((rc = ns_report_packet(c->report, &p, frame, linktype, &decoded, &v, err)) < 0)
            break;
    }
    struct ns_capture_stats cs;
    ns_capture_get_stats(cap, &cs);
    st->filtered = cs.filtered;
    ns_capture_close(cap);
    if (rc < 0)
        return rc;
    if ((rc = ns_report_finish(c->report, err)) < 0)
        return rc;
    if (damaged)
        return ns_error_set(err, NS_ETRUNC,
                            "some input was damaged; every complete packet was reported");
    return NS_OK;
}
