#include "probe/probe.h"

#include <stdio.h>
#include <string.h>

#include "capture/capture.h"
#include "ipfix/file.h"
#include "probe/batch.h"
#include "probe/live_reader.h"
#include "report/report.h"

struct sink_ctx {
    struct ns_ipfix_writer *w; /* NULL: no file */
    const struct ns_probe_config *c;
    uint64_t records;
    int sampled;      /* packets were sampled in front of the meter */
    double samp_frac; /* ... keeping this fraction (0: varies by packet) */
    uint64_t last_ns; /* newest record end (the interpretation's statistics time) */
};

static int write_record(void *ctx, const struct ns_record *rec, struct ns_error *err)
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

static void *reader_main(void *arg)
{
    struct reader *rd = arg;
    struct ns_batch *b = ns_batch_take_free(&rd->ring);
    uint64_t packets = 0;
    if (!b)
        return NULL;
    for (;;) {
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

int ns_probe_run(const struct ns_probe_config *c, struct ns_probe_stats *st, struct ns_error *err)
{
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
        (rc = ns_meter_create(&m, &c->meter, write_record, &sink, err)) < 0 ||
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
    rd.hash_seed = ns_meter_hash_seed(m);
    rd.sel = c->select;
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

    for (;;) {
        struct ns_batch *b = ns_batch_take_full(&rd.ring);
        /* Cache hints run ahead of metering: bucket HINT_B packets ahead,
         * flow entry HINT_F ahead (meter.h). */
        enum { HINT_B = 12, HINT_F = 6 };
        for (uint32_t i = 0; i < HINT_B && i < b->n; i++)
            ns_meter_hint_bucket(m, &b->prep[i]);
        for (uint32_t i = 0; i < HINT_F && i < b->n; i++)
            ns_meter_hint_flow(m, &b->prep[i]);
        for (uint32_t i = 0; i < b->n && rc >= 0; i++) {
            if (i + HINT_B < b->n)
                ns_meter_hint_bucket(m, &b->prep[i + HINT_B]);
            if (i + HINT_F < b->n)
                ns_meter_hint_flow(m, &b->prep[i + HINT_F]);
            rc = ns_meter_packet_prepared(m, &b->pkts[i], &b->prep[i], err);
        }
        if (b->clock_ns && rc >= 0)
            rc = ns_meter_advance(m, b->clock_ns, err);
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
    rc = ns_ipfix_writer_close(sink.w, err);
    sink.w = NULL;
    if (rc < 0)
        goto out;
    if (damaged)
        rc = ns_error_set(err, NS_ETRUNC,
                          "some input was damaged; every complete packet was measured");
out:
    st->cpu_meter_ns = ns_batch_thread_cpu_ns();
    if (started)
        pthread_join(th, NULL);
    st->cpu_read_ns = live ? lr.cpu_ns : rd.cpu_ns;
    ns_batch_ring_fini(&rd.ring);
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
