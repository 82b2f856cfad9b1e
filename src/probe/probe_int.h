/*
 * probe_int.h — what probe.c (one flow cache) and workers.c (several)
 * share; private to probe/.
 *
 * The record sink: every record of a run passes through
 * ns_probe_write_record() on one thread, which adds samplingProbability
 * when packets were selected, writes the IPFIX file and calls the further
 * sinks (exporters) in order.  One writer means one IPFIX message stream
 * and one sequence number space per observation domain, however many
 * workers metered the flows.
 */
#ifndef NS_PROBE_PROBE_INT_H
#define NS_PROBE_PROBE_INT_H

#include "ipfix/file.h"
#include "probe/probe.h"

struct sink_ctx {
    struct ns_ipfix_writer *w; /* NULL: no file */
    const struct ns_probe_config *c;
    uint64_t records;
    int sampled;      /* packets were sampled in front of the meter */
    double samp_frac; /* ... keeping this fraction (0: varies by packet) */
    uint64_t last_ns; /* newest record end (the interpretation's statistics time) */
};

int ns_probe_write_record(void *ctx, const struct ns_record *rec, struct ns_error *err);

/* The statistics options records (stats_rec.c): the metering report mr,
 * the export selection's counters (c->xsel) and the kernel counters of the
 * nrd live readers (per interface, summed over readers). */
struct ns_fsel_meter_report;
struct ns_live_reader;
int ns_probe_write_opts(struct sink_ctx *s, const struct ns_fsel_meter_report *mr,
                        struct ns_live_reader *const *rd, size_t nrd, struct ns_error *err);

/* Live counters of one metering thread (pub.h), once per batch. */
struct ns_batch;
void ns_probe_publish(struct ns_probe_pub *pub, const struct ns_meter *m, const struct ns_batch *b);

/* ns_probe_run() with c->workers > 1 (workers.c). */
int ns_probe_run_workers(const struct ns_probe_config *c, struct ns_probe_stats *st,
                         struct ns_error *err);

#endif
