/*
 * workers.c — `netsift probe --workers N`: N flow caches on N threads.
 *
 *   files:  dispatcher thread ─┬─ batches ─▶ worker 0: meter ─┐
 *           (read, decode,     └─ batches ─▶ worker 1: meter ─┤ record chunks
 *            hash, choose)                                    ▼ (recq.h)
 *   live:   kernel PACKET_FANOUT ─▶ socket i ─▶ reader i ─▶ worker i: meter ─▶ writer
 *                                                          (this thread: IPFIX
 *                                                           file, exporters)
 *
 * Every packet of a flow reaches the same worker (dispatch.h for files,
 * the fan-out group for live capture, capture/live.h), so each worker's
 * meter is an ordinary single-threaded meter (meter.h) and the packet path
 * takes no lock: a worker meets the others only at a batch of packets
 * (batch.h) and at a chunk of records (recq.h).
 *
 * What changes against one worker, and why nothing else does:
 *  - Flow ids: each meter numbers its flows 1, 2, 3...; worker i of N
 *    turns its k into (k-1)*N + i + 1, so ids stay unique in the output
 *    (and equal to the meter's own with one worker).
 *  - The meter clock: a worker's clock moves with its own packets, and for
 *    files every batch also carries the dispatcher's clock (the largest
 *    timestamp read so far), so flows time out at the same packet times
 *    as with one cache: idle expiry, status intervals and the final
 *    end reasons come out the same.
 *  - --max-flows is shared evenly (rounded up): the same memory as one
 *    cache; with an uneven spread one worker may fill before the whole
 *    budget is used.
 *  - Progress and damaged-file warnings come from the dispatcher thread,
 *    not in packet order through the meter.
 *  - Operations (probe.h `pub`, `between`, `meter_between`): each worker
 *    publishes its own counters (pub.h per_worker) and applies reloaded
 *    timeouts between two of its batches; the writer thread runs `between`
 *    (exporter timers, a reloaded exporter) after each chunk of records
 *    and at least every 100 ms.
 *  - Flow selection (cache policies, multistage admission) works per
 *    cache; the statistics options records are written once, at the end,
 *    as the sum over the workers' meters (every counter is a count of
 *    disjoint packets or flows, so the sums keep the conservation
 *    identities of fsel/optrec.h), times as the earliest first and the
 *    latest last.  An interval (--process-stats SEC) is not followed: a
 *    periodic sum would need every worker to stop at one moment.
 *    Export policies (fsel/xsel.h) act in the one writer, as with one
 *    worker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "fsel/optrec.h"
#include "probe/batch.h"
#include "probe/dispatch.h"
#include "probe/live_reader.h"
#include "probe/probe_int.h"
#include "probe/recq.h"

struct worker {
    unsigned id, n;
    const struct ns_probe_config *c;
    struct ns_probe_pub *pub; /* this worker's counters, or NULL */
    uint64_t first_ns;        /* first packet metered (statistics records) */
    struct ns_meter *m;
    struct ns_batch_ring ring;
    int ring_ok;
    struct ns_recq *q;
    struct ns_rec_chunk *chunk; /* being filled */
    uint64_t records;
    uint64_t malformed[NS_MAL__COUNT];
    uint64_t cpu_meter_ns;
    int rc;
    struct ns_error err;
    /* live capture */
    struct ns_live_reader lr;
    pthread_t meter_th, read_th;
    int meter_started, read_started;
};

/* ---- worker: meter batches, copy records into chunks ---- */

static void hand_over(struct worker *w, int last)
{
    if (!w->chunk && last)
        w->chunk = ns_recq_take_free(w->q); /* NULL: the writer gave up */
    if (!w->chunk)
        return;
    w->chunk->worker = w->id;
    w->chunk->last = last;
    ns_recq_put_full(w->q, w->chunk);
    w->chunk = NULL;
}

static int worker_sink(void *ctx, const struct ns_record *rec, struct ns_error *err)
{
    struct worker *w = ctx;
    if (!w->chunk && !(w->chunk = ns_recq_take_free(w->q)))
        return ns_error_set(err, NS_EIO, "the record writer stopped");
    struct ns_record *r = &w->chunk->recs[w->chunk->n++];
    *r = *rec;
    r->flow_id = (rec->flow_id - 1) * w->n + w->id + 1; /* unique across workers */
    w->records++;
    if (w->chunk->n == NS_RECQ_CHUNK)
        hand_over(w, 0);
    return NS_OK;
}

static int meter_batch(struct ns_meter *m, const struct ns_batch *b, struct ns_error *err)
{
    /* the probe's metering loop, with the clock steps of the other workers */
    struct ns_meter_ticks t = {b->tick_at, b->tick, b->nticks};
    int rc = ns_meter_batch(m, b->pkts, b->prep, b->n, &t, err);
    if (b->clock_ns && rc >= 0)
        rc = ns_meter_advance(m, b->clock_ns, err);
    return rc;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    int rc = NS_OK;
    for (;;) {
        struct ns_batch *b = ns_batch_take_full(&w->ring);
        if (!b) { /* the run is being torn down (the writer failed) */
            rc = ns_error_set(&w->err, NS_EIO, "worker %u stopped", w->id);
            break;
        }
        rc = meter_batch(w->m, b, &w->err);
        if (!w->first_ns && b->n)
            w->first_ns = b->pkts[0].ts_ns;
        if (w->pub)
            ns_probe_publish(w->pub, w->m, b);
        if (rc >= 0 && w->c->meter_between)
            rc = w->c->meter_between(w->c->ops_ctx, w->id, w->m, &w->err);
        for (int i = 0; i < NS_MAL__COUNT; i++)
            w->malformed[i] += b->malformed[i];
        int end = b->end;
        if (end && b->rc < 0 && rc >= 0) {
            rc = b->rc;
            w->err = b->err;
        }
        ns_batch_put_free(&w->ring, b);
        if (rc < 0) {
            ns_batch_stop(&w->ring); /* the producer stops at its next batch */
            break;
        }
        if (w->chunk && w->chunk->n)
            hand_over(w, 0); /* records of this batch leave now, not when a chunk fills */
        if (end)
            break;
    }
    if (rc >= 0)
        rc = ns_meter_flush(w->m, &w->err);
    w->rc = rc;
    w->cpu_meter_ns = ns_batch_thread_cpu_ns();
    hand_over(w, 1);
    return NULL;
}

/* ---- files: the dispatcher ---- */

struct dispatcher {
    const struct ns_probe_config *c;
    struct ns_capture *cap;
    struct worker *w;
    unsigned n;
    uint64_t hash_seed;
    int damaged;
    uint64_t cpu_ns;
};

static void note_capture(struct dispatcher *d, uint64_t packets)
{
    const char *msg = ns_capture_warning(d->cap);
    if (msg) {
        d->damaged = 1;
        if (d->c->warn)
            d->c->warn(d->c->ctx, msg);
        ns_capture_take_warning(d->cap);
    }
    if ((packets & 0xffff) == 0 && d->c->progress) {
        uint64_t done, total;
        const char *f = ns_capture_current_file(d->cap);
        ns_capture_progress(d->cap, &done, &total);
        d->c->progress(d->c->ctx, f ? f : "", done, total, packets);
    }
}

/* Hand worker v's batch over; its next one (NULL: the worker stopped). */
static struct ns_batch *hand(struct dispatcher *d, unsigned v, struct ns_batch *b, uint64_t clock)
{
    b->clock_ns = clock;
    ns_batch_put_full(&d->w[v].ring, b);
    return ns_batch_take_free(&d->w[v].ring);
}

static void *dispatch_main(void *arg)
{
    struct dispatcher *d = arg;
    struct ns_batch *cur[NS_PROBE_MAX_WORKERS] = {0};
    struct ns_error err = {0};
    uint64_t clock = 0, packets = 0;
    int rc = 0;
    for (unsigned v = 0; v < d->n; v++)
        if (!(cur[v] = ns_batch_take_free(&d->w[v].ring)))
            goto end;
    for (;;) {
        struct ns_pkt p;
        const uint8_t *frame;
        int lt;
        rc = ns_capture_next(d->cap, &p, &frame, &lt, &err);
        if (rc != 1)
            break;
        note_capture(d, ++packets);
        int decoded = 0;
        if (d->c->select && !ns_sel_chain_run(d->c->select, &p, frame, lt, &decoded, NULL))
            continue;
        if (!decoded)
            ns_pkt_decode(&p, lt, frame);
        unsigned v = ns_dispatch_worker(ns_dispatch_hash(&p), d->n);
        if (p.ts_ns > clock) {
            /* A single meter's clock would step to p's time here (every
             * packet moves it, meter.h): so do the other workers'. */
            clock = p.ts_ns;
            for (unsigned u = 0; u < d->n; u++) {
                if (u == v)
                    continue;
                if (cur[u]->nticks == NS_BATCH_PKTS && !(cur[u] = hand(d, u, cur[u], clock)))
                    goto end;
                struct ns_batch *t = cur[u];
                t->tick_at[t->nticks] = t->n;
                t->tick[t->nticks++] = clock;
            }
        }
        struct ns_batch *b = cur[v];
        if (!b)
            goto end; /* not reached: every worker holds a batch here */
        if (b->n == NS_BATCH_PKTS || b->used + p.caplen > NS_BATCH_ARENA) {
            if (!(b = cur[v] = hand(d, v, b, clock)))
                goto end; /* that worker stopped */
        }
        struct ns_pkt *q = &b->pkts[b->n];
        *q = p;
        const uint8_t *bytes = frame;
        if (!ns_capture_frames_stable(d->cap)) {
            /* libpcap reuses its buffer: the frame moves into the arena,
             * and the one pointer of the decoded view with it (pkt.h) */
            uint8_t *copy = b->arena + b->used;
            memcpy(copy, frame, p.caplen);
            b->used += (p.caplen + 7u) & ~7u;
            if (p.payload)
                q->payload = copy + (p.payload - frame);
            bytes = copy;
        }
        ns_batch_push(b, bytes, lt, 1, d->hash_seed);
    }
    if (rc == 0)
        note_capture(d, 1); /* a damaged last file */
end:
    d->cpu_ns = ns_batch_thread_cpu_ns();
    /* every worker still holding a batch gets the end; the first also the
     * reason reading failed */
    for (unsigned v = 0, told = 0; v < d->n; v++) {
        if (!cur[v])
            continue;
        cur[v]->end = 1;
        cur[v]->clock_ns = clock;
        if (rc < 0 && !told++) {
            cur[v]->rc = rc;
            cur[v]->err = err;
        }
        ns_batch_put_full(&d->w[v].ring, cur[v]);
    }
    return NULL;
}

/* ---- the run ---- */

static void sum_meter_stats(struct ns_meter_stats *t, const struct ns_meter_stats *s)
{
    t->packets += s->packets;
    t->non_ip += s->non_ip;
    t->no_l4 += s->no_l4;
    t->flows_created += s->flows_created;
    t->flows_active += s->flows_active;
    for (int i = 0; i < 6; i++)
        t->records[i] += s->records[i];
    t->cache_full += s->cache_full;
    t->tcp_full += s->tcp_full;
    t->seq_full += s->seq_full;
    t->frag_hits += s->frag_hits;
    t->frag_misses += s->frag_misses;
    t->frag_evictions += s->frag_evictions;
    t->frag_orphans += s->frag_orphans;
    t->frag_orphan_pkts += s->frag_orphan_pkts;
    t->tcp_hole_overflow += s->tcp_hole_overflow;
    t->memory_bytes += s->memory_bytes;
    t->flow_bytes = s->flow_bytes;
    t->tcp_bytes = s->tcp_bytes;
    t->seq_bytes = s->seq_bytes;
    /* flow selection (meter.h ns_meter_fsel): counts add up, times span */
    struct ns_meter_fsel *a = &t->fs;
    const struct ns_meter_fsel *b = &s->fs;
    a->obs_octets += b->obs_octets;
    a->ign_pkts += b->ign_pkts;
    a->ign_octets += b->ign_octets;
    a->ev_flows += b->ev_flows;
    a->ev_pkts += b->ev_pkts;
    a->ev_octets += b->ev_octets;
    a->out_records += b->out_records;
    a->out_flows += b->out_flows;
    a->out_pkts += b->out_pkts;
    a->out_octets += b->out_octets;
    a->ms_refused += b->ms_refused;
    a->sh_refused += b->sh_refused;
    a->full_refused += b->full_refused;
    a->full_evicted += b->full_evicted;
}

static uint32_t share(uint32_t v, unsigned n)
{
    return v ? (v + n - 1) / n : 0;
}

/* Open every worker's capture: the first creates the fan-out groups, the
 * others join them (capture/live.h). */
static int open_live(const struct ns_probe_config *c, struct worker *w, unsigned n,
                     struct sock_filter *prog, struct ns_error *err)
{
    struct ns_live_config lc = c->live;
    uint16_t ids[NS_LIVE_MAX_IFACES];
    lc.bpf = c->bpf;
    if (!lc.fanout) /* the default: exact, see capture/live.h */
        lc.fanout = NS_FANOUT_CBPF;
    if (lc.fanout == NS_FANOUT_CBPF) {
        lc.fanout_prog = prog;
        lc.fanout_prog_len = ns_dispatch_cbpf(prog, 1);
    }
    lc.fanout_ids = NULL;
    for (unsigned i = 0; i < n; i++) {
        int rc = ns_live_open(&w[i].lr.live, &lc, err);
        if (rc < 0)
            return rc;
        if (i == 0) {
            for (size_t k = 0; k < lc.nifaces; k++)
                ids[k] = ns_live_fanout_id(w[0].lr.live, k);
            lc.fanout_ids = ids;
        }
        w[i].lr.duration_ns = c->duration_ns;
        w[i].lr.max_packets = c->max_packets;
        w[i].lr.block_timeout_ms = lc.block_timeout_ms;
        w[i].lr.stop = c->stop;
        w[i].lr.pub = c->pub && c->pub->per_worker ? &c->pub->per_worker[i] : NULL;
        w[i].lr.sel = NULL; /* refused with workers (selection state is not shared) */
    }
    return NS_OK;
}

int ns_probe_run_workers(const struct ns_probe_config *c, struct ns_probe_stats *st,
                         struct ns_error *err)
{
    memset(st, 0, sizeof *st);
    unsigned n = c->workers;
    int live = c->live.nifaces > 0;
    if (n > NS_PROBE_MAX_WORKERS)
        return ns_error_set(err, NS_EINVAL, "at most %d workers", NS_PROBE_MAX_WORKERS);
    if (live && c->select)
        return ns_error_set(err, NS_EUNSUP,
                            "packet selection with several live workers is not supported");
    if (live && c->max_packets)
        return ns_error_set(err, NS_EUNSUP, "--count with several workers is not supported");

    struct worker *w = calloc(n, sizeof *w);
    struct ns_recq q;
    struct dispatcher d = {.c = c, .n = n};
    struct sink_ctx sink = {.c = c};
    struct sock_filter prog[NS_DISPATCH_CBPF_MAX];
    pthread_t dth;
    int dstarted = 0, rc;
    memset(&q, 0, sizeof q);
    if (!w)
        return ns_error_set(err, NS_ENOMEM, "out of memory for workers");
    if ((rc = ns_recq_init(&q, 4 * n, err)) < 0)
        goto out;
    rc = live ? open_live(c, w, n, prog, err)
              : ns_capture_open_files(&d.cap, c->inputs, c->ninputs, c->bpf, err);
    if (rc < 0)
        goto out;

    struct ns_ipfix_writer_opts wo;
    memset(&wo, 0, sizeof wo);
    wo.obs_domain = c->observation_domain;
    wo.zstd = c->zstd_level > 0;
    wo.zstd_level = c->zstd_level;
    if (c->output && (rc = ns_ipfix_writer_open(&sink.w, c->output, &wo, err)) < 0)
        goto out;
    /* capture and output open: drop privileges now (probe.h `opened`) */
    if (c->opened && (rc = c->opened(c->ops_ctx, err)) < 0)
        goto out;
    sink.samp_frac = ns_sel_chain_fraction(c->select);
    sink.sampled = c->select && sink.samp_frac < 1;

    struct ns_meter_config mc = c->meter;
    mc.max_flows = share(mc.max_flows, n);
    mc.max_tcp = share(mc.max_tcp, n);
    mc.max_seq = share(mc.max_seq, n);
    if (c->pub && c->pub->per_worker) {
        for (unsigned i = 0; i < n; i++)
            ns_pub_store(&c->pub->per_worker[i].max_flows, mc.max_flows);
        atomic_store_explicit(&c->pub->nworkers, n, memory_order_release);
        atomic_store_explicit(&c->pub->running, 1, memory_order_relaxed);
    }
    for (unsigned i = 0; i < n; i++) {
        w[i].id = i;
        w[i].n = n;
        w[i].c = c;
        w[i].pub = c->pub && c->pub->per_worker ? &c->pub->per_worker[i] : NULL;
        w[i].q = &q;
        if ((rc = ns_meter_create(&w[i].m, &mc, worker_sink, &w[i], err)) < 0 ||
            (rc = ns_batch_ring_init(&w[i].ring, err)) < 0)
            goto out;
        w[i].ring_ok = 1;
        w[i].lr.ring = &w[i].ring;
        w[i].lr.hash_seed = ns_meter_hash_seed(w[i].m);
    }
    d.w = w;
    d.hash_seed = ns_meter_hash_seed(w[0].m);

    /* threads: meters first, then their producers */
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&w[i].meter_th, NULL, worker_main, &w[i]) != 0) {
            rc = ns_error_set(err, NS_ENOMEM, "cannot start worker %u", i);
            break;
        }
        w[i].meter_started = 1;
        char name[16];
        snprintf(name, sizeof name, "netsift-w%u", i);
        pthread_setname_np(w[i].meter_th, name);
        if (!live)
            continue;
        if (pthread_create(&w[i].read_th, NULL, ns_live_reader_main, &w[i].lr) != 0) {
            rc = ns_error_set(err, NS_ENOMEM, "cannot start reader %u", i);
            break;
        }
        w[i].read_started = 1;
        snprintf(name, sizeof name, "netsift-r%u", i);
        pthread_setname_np(w[i].read_th, name);
    }
    if (rc >= 0 && !live) {
        if (pthread_create(&dth, NULL, dispatch_main, &d) != 0)
            rc = ns_error_set(err, NS_ENOMEM, "cannot start the reading thread");
        else
            dstarted = 1;
        if (dstarted)
            pthread_setname_np(dth, "netsift-read");
    }
    if (rc < 0) {
        /* a worker without a producer: end it here (its ring is idle) */
        for (unsigned i = 0; i < n; i++) {
            if (!w[i].meter_started || (live && w[i].read_started) || (!live && dstarted))
                continue;
            struct ns_batch *b = ns_batch_take_free(&w[i].ring);
            if (b) {
                b->end = 1;
                ns_batch_put_full(&w[i].ring, b);
            }
        }
        if (live) /* readers that did start end with the stop of their ring */
            for (unsigned i = 0; i < n; i++)
                if (w[i].read_started)
                    ns_batch_stop(&w[i].ring);
    }

    /* the writer: every record of every worker, one exporting process */
    unsigned running = 0;
    for (unsigned i = 0; i < n; i++)
        running += (unsigned)w[i].meter_started;
    int wrc = NS_OK;
    struct ns_error werr = {0};
    while (running) {
        /* with operations, wake up now and then on a quiet link too */
        struct ns_rec_chunk *ch =
            c->between ? ns_recq_take_full_timed(&q, 100) : ns_recq_take_full(&q);
        if (ch) {
            for (uint32_t i = 0; i < ch->n && wrc >= 0; i++)
                wrc = ns_probe_write_record(&sink, &ch->recs[i], &werr);
            running -= (unsigned)ch->last;
            ns_recq_put_free(&q, ch);
        }
        if (wrc >= 0 && c->between)
            wrc = c->between(c->ops_ctx, NULL, &werr);
        if (wrc < 0) {
            /* workers' sinks fail from now on, and every reader and worker
             * stops at its next batch, whether it has records or not */
            ns_recq_abort(&q);
            for (unsigned i = 0; i < n; i++)
                ns_batch_stop(&w[i].ring);
            break;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        if (w[i].read_started)
            pthread_join(w[i].read_th, NULL);
        if (w[i].meter_started)
            pthread_join(w[i].meter_th, NULL);
    }
    if (dstarted)
        pthread_join(dth, NULL);
    if (c->pub)
        atomic_store_explicit(&c->pub->running, 0, memory_order_relaxed);
    /* every worker flushed and every record written: the statistics
     * records, summed over the workers (see the top of this file) */
    if (rc >= 0 && wrc >= 0 && c->stats_records) {
        struct ns_fsel_meter_report sum, one;
        struct ns_live_reader *rds[NS_PROBE_MAX_WORKERS];
        memset(&sum, 0, sizeof sum);
        for (unsigned i = 0; i < n; i++) {
            ns_fsel_meter_report_fill(&one, w[i].m, &mc, w[i].first_ns, ns_meter_now(w[i].m));
            ns_fsel_meter_report_add(&sum, &one);
            rds[i] = &w[i].lr;
        }
        wrc = ns_probe_write_opts(&sink, &sum, rds, live ? n : 0, &werr);
    }
    /* the first failure is the one to tell */
    if (rc >= 0 && wrc < 0) {
        rc = wrc;
        *err = werr;
    }
    for (unsigned i = 0; i < n && rc >= 0; i++)
        if (w[i].meter_started && w[i].rc < 0) {
            rc = w[i].rc;
            if (err)
                *err = w[i].err;
        }
    if (sink.w) {
        int crc = ns_ipfix_writer_close(sink.w, rc >= 0 ? err : &werr);
        sink.w = NULL;
        if (rc >= 0)
            rc = crc;
    }
    if (rc >= 0 && d.damaged)
        rc = ns_error_set(err, NS_ETRUNC,
                          "some input was damaged; every complete packet was measured");

out:
    st->nworkers = n;
    for (unsigned i = 0; i < n; i++) {
        struct ns_probe_worker_stats *ws = &st->worker[i];
        if (w[i].m) {
            struct ns_meter_stats ms;
            ns_meter_get_stats(w[i].m, &ms);
            sum_meter_stats(&st->meter, &ms);
            ws->packets = ms.packets;
            ws->flows = ms.flows_created;
            ns_meter_destroy(w[i].m);
        }
        ws->records = w[i].records;
        ws->cpu_meter_ns = w[i].cpu_meter_ns;
        ws->cpu_read_ns = w[i].lr.cpu_ns;
        st->cpu_meter_ns += w[i].cpu_meter_ns;
        st->cpu_read_ns += w[i].lr.cpu_ns;
        for (int k = 0; k < NS_MAL__COUNT; k++)
            st->malformed[k] += w[i].malformed[k];
        if (w[i].lr.live) {
            struct ns_live_stats ls;
            ns_live_get_stats(w[i].lr.live, &ls);
            st->live.nifaces = ls.nifaces;
            st->live.packets += ls.packets;
            st->live.drops += ls.drops;
            for (uint32_t k = 0; k < ls.nifaces; k++) {
                struct ns_live_if_stats *t = &st->live.ifs[k];
                const struct ns_live_if_stats *s = &ls.ifs[k];
                memcpy(t->name, s->name, sizeof t->name);
                t->ifindex = s->ifindex;
                t->packets += s->packets;
                t->kernel_seen += s->kernel_seen;
                t->drops += s->drops;
                t->freeze_q += s->freeze_q;
                t->if_drops += s->if_drops;
                ws->kernel_seen += s->kernel_seen;
                ws->kernel_drops += s->drops;
            }
            ns_live_close(w[i].lr.live);
        }
        if (w[i].ring_ok)
            ns_batch_ring_fini(&w[i].ring);
    }
    if (!live)
        st->cpu_read_ns = d.cpu_ns;
    if (d.cap) {
        struct ns_capture_stats cs;
        ns_capture_get_stats(d.cap, &cs);
        st->filtered = cs.filtered;
        st->damaged_files = cs.files_damaged;
        ns_capture_close(d.cap);
    }
    st->packets = st->meter.packets;
    st->non_ip = st->meter.non_ip;
    st->ip = st->meter.packets - st->meter.non_ip;
    st->records = sink.records;
    st->malformed[NS_MAL_NONE] = 0;
    if (sink.w) {
        struct ns_error e2;
        ns_ipfix_writer_close(sink.w, &e2);
    }
    ns_recq_fini(&q);
    free(w);
    return rc;
}
