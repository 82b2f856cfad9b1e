#include "probe/probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "fsel/optrec.h"
#include "ipfix/file.h"
#include "probe/batch.h"
#include "probe/live_reader.h"
#include "probe/probe_int.h"
#include "report/report.h"

int ns_probe_write_record(void *ctx, const struct ns_record *rec, struct ns_error *err)
{
    struct sink_ctx *s = ctx;
    struct ns_record sr;
    if (s->sampled) { /* say how the packets were sampled (RFC 5477, samplingProbability) */
        sr = *rec;
        sr.present |= NS_RG_SAMP;
        sr.samp_frac = s->samp_frac;
        rec = &sr;
    }
    if (s->c->select) {
        uint64_t end = ns_record_end_ns(rec);
        if (end > s->last_ns)
            s->last_ns = end;
    }
    struct ns_record xr;
    if (s->c->xsel && !ns_xsel_offer(s->c->xsel, rec, &xr, &rec))
        return 0; /* not sent: counted by the selector (RFC 7014 §8.1) */
    int rc = s->w ? ns_ipfix_writer_add(s->w, rec, err) : NS_OK;
    for (size_t i = 0; i < s->c->nsinks && rc >= 0; i++)
        rc = s->c->sinks[i].add(s->c->sinks[i].ctx, rec, err);
    if (rc >= 0)
        s->records++;
    return rc;
}

void ns_probe_config_default(struct ns_probe_config *c)
{
    memset(c, 0, sizeof *c);
    c->output = "-";
    ns_meter_config_default(&c->meter);
    ns_live_config_default(&c->live);
}

/* ---- the reading thread: capture, decode (copying only libpcap's frames) ---- */

struct reader {
    struct ns_capture *cap;
    struct ns_sel_chain *sel; /* packet selection before copying, or NULL */
    /* with selection: a burst of packets selected before they are batched */
    struct ns_pkt *sel_pkts; /* NS_BATCH_PKTS */
    int *sel_decoded;
    uint8_t *sel_taken;
    uint64_t hash_seed;
    struct ns_batch_ring ring;
    uint64_t cpu_ns; /* of the reading thread, when it ends */
};

static void note_capture_state(struct ns_capture *cap, struct ns_batch *b, uint64_t packets)
{
    const char *w = ns_capture_warning(cap);
    if (w) {
        b->has_warning = 1;
        snprintf(b->warning, sizeof b->warning, "%s", w);
        ns_capture_take_warning(cap);
    }
    if ((packets & 0xffff) == 0) {
        const char *f = ns_capture_current_file(cap);
        b->has_progress = 1;
        snprintf(b->file, sizeof b->file, "%s", f ? f : "");
        ns_capture_progress(cap, &b->done, &b->total);
        b->packets = packets;
    }
}

/* After a burst of n packets: the progress snapshot when the count passed
 * a multiple of 65536, as one packet at a time would have taken it (a
 * burst holds only clean records: no warning to pass on). */
static uint64_t note_burst(struct ns_capture *cap, struct ns_batch *b, uint64_t packets, size_t n)
{
    uint64_t after = packets + n;
    if ((packets >> 16) != (after >> 16))
        note_capture_state(cap, b, after & ~(uint64_t)0xffff);
    return after;
}

static void *reader_main(void *arg)
{
    struct reader *rd = arg;
    struct ns_batch *b = ns_batch_take_free(&rd->ring);
    uint64_t packets = 0;
    if (!b)
        return NULL;
    const uint8_t *frames[NS_BATCH_PKTS];
    for (;;) {
        /* The fast path: whole runs of clean records of a mapped file go
         * straight into the batch, decoded where they lie. */
        if (!rd->sel) {
            if (b->n == NS_BATCH_PKTS) {
                ns_batch_put_full(&rd->ring, b);
                if (!(b = ns_batch_take_free(&rd->ring)))
                    return NULL;
            }
            int lt;
            size_t n = ns_capture_burst(rd->cap, &b->pkts[b->n], frames, NS_BATCH_PKTS - b->n, &lt);
            if (n) {
                for (size_t i = 0; i < n; i++)
                    ns_batch_push(b, frames[i], lt, 0, rd->hash_seed);
                packets = note_burst(rd->cap, b, packets, n);
                continue;
            }
        }
        /* With selection, bursts are selected first (ns_sel_chain_run_burst:
         * a leading hash selector hashes four packets at once), and only
         * what it keeps enters the batch. */
        if (rd->sel && rd->sel_pkts) {
            int lt;
            size_t n = ns_capture_burst(rd->cap, rd->sel_pkts, frames, NS_BATCH_PKTS, &lt);
            if (n) {
                memset(rd->sel_decoded, 0, n * sizeof *rd->sel_decoded);
                ns_sel_chain_run_burst(rd->sel, rd->sel_pkts, frames, n, lt, rd->sel_decoded,
                                       rd->sel_taken, NULL);
                for (size_t i = 0; i < n; i++) {
                    if (!rd->sel_taken[i])
                        continue;
                    if (b->n == NS_BATCH_PKTS) {
                        ns_batch_put_full(&rd->ring, b);
                        if (!(b = ns_batch_take_free(&rd->ring)))
                            return NULL;
                    }
                    b->pkts[b->n] = rd->sel_pkts[i]; /* metadata, and decoded if it was */
                    ns_batch_push(b, frames[i], lt, rd->sel_decoded[i], rd->hash_seed);
                }
                packets = note_burst(rd->cap, b, packets, n);
                continue;
            }
        }
        struct ns_pkt p;
        const uint8_t *frame;
        int linktype;
        int rc = ns_capture_next(rd->cap, &p, &frame, &linktype, &b->err);
        if (rc != 1) {
            note_capture_state(rd->cap, b, 1); /* a damaged last file */
            b->end = 1;
            b->rc = rc;
            rd->cpu_ns = ns_batch_thread_cpu_ns(); /* read by the meter after the join */
            ns_batch_put_full(&rd->ring, b);
            return NULL;
        }
        int decoded = 0; /* unselected packets are neither copied nor metered */
        if (rd->sel && !ns_sel_chain_run(rd->sel, &p, frame, linktype, &decoded, NULL)) {
            note_capture_state(rd->cap, b, ++packets);
            continue;
        }
        if (b->n == NS_BATCH_PKTS || b->used + p.caplen > NS_BATCH_ARENA) {
            ns_batch_put_full(&rd->ring, b);
            if (!(b = ns_batch_take_free(&rd->ring)))
                return NULL; /* the metering side stopped */
        }
        /* A mapped file's frames stay valid until the capture is closed,
         * after the meter is done: decode them in place.  libpcap's are
         * overwritten by the next read: copy them into the arena. */
        const uint8_t *bytes = frame;
        if (!ns_capture_frames_stable(rd->cap)) {
            uint8_t *copy = b->arena + b->used;
            memcpy(copy, frame, p.caplen);
            b->used += (p.caplen + 7u) & ~7u;
            bytes = copy;
        }
        struct ns_pkt *q = &b->pkts[b->n];
        int reuse = decoded && bytes == frame; /* a selector decoded it where it lies */
        if (reuse) {
            *q = p;
        } else {
            q->ts_ns = p.ts_ns;
            q->caplen = p.caplen;
            q->wirelen = p.wirelen;
            q->ifindex = p.ifindex;
        }
        ns_batch_push(b, bytes, linktype, reuse, rd->hash_seed);
        note_capture_state(rd->cap, b, ++packets);
    }
    return NULL;
}

/* ---- the metering side ---- */

/* The statistics options records (fsel/optrec.h), to the file and to
 * every sink that takes them. */
__attribute__((noinline, cold)) static int write_stats(struct sink_ctx *s, const struct ns_meter *m,
                                                       uint64_t first_ns, struct ns_live_reader *lr,
                                                       struct ns_error *err)
{
    struct ns_fsel_meter_report mr;
    ns_fsel_meter_report_fill(&mr, m, &s->c->meter, first_ns, ns_meter_now(m));
    return ns_probe_write_opts(s, &mr, &lr, lr->live ? 1 : 0, err);
}

/* Counters for other threads (pub.h): this thread's exact counts, stored
 * once per batch. */
void ns_probe_publish(struct ns_probe_pub *pub, const struct ns_meter *m, const struct ns_batch *b)
{
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < b->n; i++)
        bytes += b->pkts[i].wirelen;
    struct ns_meter_stats ms;
    ns_meter_get_stats(m, &ms);
    uint64_t recs = 0;
    for (int i = 0; i < 6; i++)
        recs += ms.records[i];
    ns_pub_store(&pub->bytes, ns_pub_load(&pub->bytes) + bytes);
    ns_pub_store(&pub->packets, ms.packets);
    ns_pub_store(&pub->non_ip, ms.non_ip);
    ns_pub_store(&pub->flows_created, ms.flows_created);
    ns_pub_store(&pub->flows_active, ms.flows_active);
    ns_pub_store(&pub->records, recs);
    ns_pub_store(&pub->cache_full, ms.cache_full);
}

int ns_probe_run(const struct ns_probe_config *c, struct ns_probe_stats *st, struct ns_error *err)
{
    if (c->workers > 1)
        return ns_probe_run_workers(c, st, err);
    memset(st, 0, sizeof *st);
    struct reader rd = {0};
    struct ns_meter *m = NULL;
    struct sink_ctx sink = {.c = c};
    struct ns_report *interp = NULL; /* how the flows were sampled (report.h) */
    int started = 0, damaged = 0;
    /* live capture: its own reading thread (live_reader.h), same batches */
    struct ns_live_reader lr = {.ring = &rd.ring, .stop = c->stop};
    int live = c->live.nifaces > 0;
    int rc;
    if (live) {
        struct ns_live_config lc = c->live;
        lc.bpf = c->bpf;
        rc = ns_live_open(&lr.live, &lc, err);
        lr.duration_ns = c->duration_ns;
        lr.max_packets = c->max_packets;
        lr.block_timeout_ms = lc.block_timeout_ms;
    } else {
        rc = ns_capture_open_files(&rd.cap, c->inputs, c->ninputs, c->bpf, err);
    }
    if (rc < 0)
        return rc;

    struct ns_ipfix_writer_opts wo;
    memset(&wo, 0, sizeof wo);
    wo.obs_domain = c->observation_domain;
    wo.zstd = c->zstd_level > 0;
    wo.zstd_level = c->zstd_level;
    if ((c->output && (rc = ns_ipfix_writer_open(&sink.w, c->output, &wo, err)) < 0) ||
        (rc = ns_meter_create(&m, &c->meter, ns_probe_write_record, &sink, err)) < 0 ||
        (rc = ns_batch_ring_init(&rd.ring, err)) < 0)
        goto out;
    if (c->select && sink.w) {
        /* sampled flows: the selection's interpretation in the same file
         * (RFC 5476 §6.5), the configuration now, the statistics at the end */
        struct ns_report_config rcfg;
        ns_report_config_default(&rcfg);
        rcfg.fields = 0;
        struct ns_report_out o;
        ns_report_out_writer(&o, sink.w);
        if ((rc = ns_report_new(&interp, &rcfg, c->select, &o, 1, err)) < 0 ||
            (rc = ns_report_configuration(interp, 0, err)) < 0)
            goto out;
    }
    if (c->opened && (rc = c->opened(c->ops_ctx, err)) < 0)
        goto out;
    lr.pub = c->pub;
    rd.hash_seed = ns_meter_hash_seed(m);
    if (c->pub) {
        ns_pub_store(&c->pub->max_flows, c->meter.max_flows);
        atomic_store_explicit(&c->pub->running, 1, memory_order_relaxed);
    }
    rd.sel = c->select;
    if (rd.sel && !live) {
        rd.sel_pkts = calloc(NS_BATCH_PKTS, sizeof *rd.sel_pkts);
        rd.sel_decoded = calloc(NS_BATCH_PKTS, sizeof *rd.sel_decoded);
        rd.sel_taken = calloc(NS_BATCH_PKTS, 1);
        if (!rd.sel_pkts || !rd.sel_decoded || !rd.sel_taken) {
            rc = ns_error_set(err, NS_ENOMEM, "out of memory for selection");
            goto out;
        }
    }
    sink.samp_frac = ns_sel_chain_fraction(c->select);
    sink.sampled = c->select && sink.samp_frac < 1;
    lr.hash_seed = rd.hash_seed;
    lr.sel = c->select;
    pthread_t th;
    if (pthread_create(&th, NULL, live ? ns_live_reader_main : reader_main,
                       live ? (void *)&lr : (void *)&rd) != 0) {
        rc = ns_error_set(err, NS_ENOMEM, "cannot start the reading thread");
        goto out;
    }
    started = 1;
    pthread_setname_np(th, "netsift-read"); /* for top and perf */
    uint64_t first_ns = 0, next_stats = 0;

    for (;;) {
        /* nothing to meter yet: map pool pages ahead (meter.h) before waiting */
        struct ns_batch *b = ns_batch_try_take_full(&rd.ring);
        while (!b && ns_meter_prefault(m))
            b = ns_batch_try_take_full(&rd.ring);
        if (!b && !(b = ns_batch_take_full(&rd.ring)))
            break; /* not reached: only this thread stops the ring */
        /* the packet loop with its cache hints lives in the meter (meter.h) */
        rc = ns_meter_batch(m, b->pkts, b->prep, b->n, NULL, err);
        if (b->clock_ns && rc >= 0)
            rc = ns_meter_advance(m, b->clock_ns, err);
        if (c->stats_records && b->n) { /* per batch, not per packet */
            if (!first_ns) {
                first_ns = b->pkts[0].ts_ns;
                next_stats = first_ns + c->stats_ns;
            }
            if (c->stats_ns && ns_meter_now(m) >= next_stats && rc >= 0) {
                next_stats = ns_meter_now(m) + c->stats_ns;
                rc = write_stats(&sink, m, first_ns, &lr, err);
            }
        }
        for (int i = 0; i < NS_MAL__COUNT; i++)
            st->malformed[i] += b->malformed[i];
        if (b->has_warning) {
            damaged = 1;
            if (c->warn)
                c->warn(c->ctx, b->warning);
        }
        if (b->has_progress && c->progress)
            c->progress(c->ctx, b->file, b->done, b->total, b->packets);
        int end = b->end;
        if (end && b->rc < 0 && rc >= 0) {
            rc = b->rc;
            if (err)
                *err = b->err;
        }
        if (c->pub)
            ns_probe_publish(c->pub, m, b);
        if (c->between && rc >= 0)
            rc = c->between(c->ops_ctx, m, err);
        ns_batch_put_free(&rd.ring, b);
        if (rc < 0) {
            ns_batch_stop(&rd.ring);
            goto out;
        }
        if (end)
            break;
    }
    if ((rc = ns_meter_flush(m, err)) < 0)
        goto out;
    if (interp && (rc = ns_report_interpretation(interp, sink.last_ns, err)) < 0)
        goto out;
    if (c->stats_records && (rc = write_stats(&sink, m, first_ns, &lr, err)) < 0)
        goto out;
    rc = ns_ipfix_writer_close(sink.w, err);
    sink.w = NULL;
    if (rc < 0)
        goto out;
    if (damaged)
        rc = ns_error_set(err, NS_ETRUNC,
                          "some input was damaged; every complete packet was measured");
out:
    if (c->pub)
        atomic_store_explicit(&c->pub->running, 0, memory_order_relaxed);
    st->cpu_meter_ns = ns_batch_thread_cpu_ns();
    if (started)
        pthread_join(th, NULL);
    st->cpu_read_ns = live ? lr.cpu_ns : rd.cpu_ns;
    ns_batch_ring_fini(&rd.ring);
    free(rd.sel_pkts);
    free(rd.sel_decoded);
    free(rd.sel_taken);
    if (lr.live) {
        ns_live_get_stats(lr.live, &st->live);
        ns_live_close(lr.live);
    }
    if (rd.cap) {
        struct ns_capture_stats cs;
        ns_capture_get_stats(rd.cap, &cs);
        st->filtered = cs.filtered;
        st->damaged_files = cs.files_damaged;
    }
    st->records = sink.records;
    if (m) {
        /* the meter counts what it was given; the summary's packet
         * counts are its counts, not a second tally */
        ns_meter_get_stats(m, &st->meter);
        st->packets = st->meter.packets;
        st->non_ip = st->meter.non_ip;
        st->ip = st->meter.packets - st->meter.non_ip;
        ns_meter_destroy(m);
    }
    if (sink.w) {
        struct ns_error e2;
        ns_ipfix_writer_close(sink.w, &e2);
    }
    ns_report_free(interp);
    ns_capture_close(rd.cap);
    st->malformed[NS_MAL_NONE] = 0;
    return rc;
}
