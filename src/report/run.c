/*
 * run.c — the offline driver of a reporting process (report.h): one
 * thread, capture → selection chain → packet reports.  Unselected packets
 * are neither copied nor decoded (the chain decodes lazily); a selected
 * one is encoded from where it lies.  Mapped files are read and selected
 * in bursts (ns_capture_burst, ns_sel_chain_run_burst: a leading BOB hash
 * selector hashes four packets at once); the rest one packet at a time.
 */
#include <stdlib.h>
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
    enum { BURST = 256 };
    struct burst {
        struct ns_pkt p[BURST];
        const uint8_t *frames[BURST];
        int decoded[BURST];
        struct ns_sel_ahead a[BURST];
    } *bu = malloc(sizeof *bu);
    if (!bu) {
        ns_capture_close(cap);
        return ns_error_set(err, NS_ENOMEM, "report: out of memory");
    }
    for (;;) {
        int lt;
        size_t n = ns_capture_burst(cap, bu->p, bu->frames, BURST, &lt);
        if (n) {
            /* hashes ahead, then packet by packet: a report's statistics
             * read the chain's counters as of its packet */
            memset(bu->decoded, 0, n * sizeof bu->decoded[0]);
            size_t k =
                ns_sel_chain_hash_ahead(c->chain, bu->p, bu->frames, n, lt, bu->decoded, bu->a);
            st->packets += n;
            rc = NS_OK;
            for (size_t i = 0; i < n && rc >= 0; i++) {
                struct ns_sel_verdict v;
                if (!ns_sel_chain_run_ahead(c->chain, &bu->p[i], bu->frames[i], lt, &bu->decoded[i],
                                            &v, k ? &bu->a[i] : NULL))
                    continue;
                st->selected++;
                rc = ns_report_packet(c->report, &bu->p[i], bu->frames[i], lt, &bu->decoded[i], &v,
                                      err);
            }
            if (rc < 0)
                break;
            continue;
        }
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
    free(bu);
    if (rc < 0)
        return rc;
    if ((rc = ns_report_finish(c->report, err)) < 0)
        return rc;
    if (damaged)
        return ns_error_set(err, NS_ETRUNC,
                            "some input was damaged; every complete packet was reported");
    return NS_OK;
}
