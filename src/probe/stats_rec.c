/*
 * stats_rec.c — the statistics options records of a run (fsel/optrec.h)
 * to the IPFIX file and to every sink that takes options records.
 *
 * Shared by the one-cache path (probe.c, a report of its meter) and the
 * several-cache path (workers.c, the reports of every worker's meter
 * added up), so both write the same records: metering process statistics,
 * flow selection counters, and for live capture the kernel's drops per
 * observation point (0xFF14), read from the capture readers.
 */
#include "fsel/optrec.h"
#include "probe/live_reader.h"
#include "probe/probe_int.h"

int ns_probe_write_opts(struct sink_ctx *s, const struct ns_fsel_meter_report *mr,
                        struct ns_live_reader *const *rd, size_t nrd, struct ns_error *err)
{
    const struct ns_probe_config *c = s->c;
    struct ns_fsel_export_report xr;
    if (c->xsel)
        ns_fsel_export_report_fill(&xr, c->xsel);
    struct ns_fsel_opt o[4 + NS_LIVE_MAX_IFACES];
    struct ns_fsel_iface_report k[NS_LIVE_MAX_IFACES];
    int n, rc = 0;
    ns_fsel_opts_build(mr, c->xsel ? &xr : NULL, o, &n);
    uint32_t nk = nrd ? ns_live_reader_kernel(rd, nrd, k) : 0;
    for (uint32_t i = 0; i < nk; i++)
        ns_fsel_iface_opt_build(&k[i], &o[n++]);
    for (int j = 0; j < n && rc >= 0; j++) {
        if (s->w)
            rc = ns_ipfix_writer_opt(s->w, o[j].tid, o[j].scope_count, o[j].f, o[j].n, o[j].rec,
                                     err);
        for (size_t i = 0; i < c->nsinks && rc >= 0 && !c->stats_file_only; i++)
            if (c->sinks[i].opt)
                rc = c->sinks[i].opt(c->sinks[i].ctx, o[j].tid, o[j].scope_count, o[j].f, o[j].n,
                                     o[j].rec, err);
    }
    return rc;
}
