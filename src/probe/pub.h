/*
 * pub.h — the probe's live counters, published for other threads (the
 * operations thread: SIGUSR1 / --stats lines, the metrics endpoint).
 *
 * Why this shape: the packet path must not take a lock or bounce a cache
 * line per packet for the sake of a scrape every few seconds.  Each
 * counter has exactly one writer thread, which keeps its own exact count
 * and stores it here once per batch (metering thread) or about every half
 * second (reading thread: kernel counters) with a relaxed atomic store; a
 * reader loads with relaxed atomics.  A reader may see one counter a
 * batch ahead of another — fine for monitoring — but never a torn value,
 * and every counter only grows (except the gauges).
 *
 * Several workers (--workers N): each worker's metering and reading
 * threads publish into a counter set of their own, per_worker[i] (still
 * one writer per counter); the totals of the top-level set stay 0 then and
 * a reader adds the per-worker sets up (ns_pub_snapshot), so the totals
 * are exact sums of what each worker published.
 *
 * Ownership: the caller allocates it (zeroed) and passes it in
 * ns_probe_config.pub; it must outlive ns_probe_run().  per_worker, when
 * set, points to the caller's NS_PUB_MAX_WORKERS zeroed sets.
 */
#ifndef NS_PROBE_PUB_H
#define NS_PROBE_PUB_H

#include <stdatomic.h>
#include <stdint.h>

struct ns_probe_pub {
    /* metering thread, once per batch */
    _Atomic uint64_t packets;       /* frames metered */
    _Atomic uint64_t bytes;         /* their wire lengths */
    _Atomic uint64_t non_ip;        /* of them, without IP */
    _Atomic uint64_t flows_created; /* counter */
    _Atomic uint64_t flows_active;  /* gauge: in the cache now */
    _Atomic uint64_t max_flows;     /* gauge: cache budget */
    _Atomic uint64_t records;       /* records emitted by the meter (all end reasons) */
    _Atomic uint64_t cache_full;    /* flows exported early: cache full */
    /* reading thread (live capture), about every half second */
    _Atomic uint64_t kernel_seen;  /* frames the kernel handled for our sockets */
    _Atomic uint64_t kernel_drops; /* could not be put in the ring */
    _Atomic uint64_t captured;     /* frames read from the capture (before selection) */
    _Atomic int running;           /* 1 while ns_probe_run() meters */
    /* workers > 1: how many, and their counter sets (see above) */
    _Atomic uint32_t nworkers;
    struct ns_probe_pub *per_worker;
};

#define NS_PUB_MAX_WORKERS 64

/* A plain copy of the counters (a reader's view). */
struct ns_pub_snapshot {
    uint64_t packets, bytes, non_ip, flows_created, flows_active, max_flows, records, cache_full;
    uint64_t kernel_seen, kernel_drops, captured;
};

static inline void ns_pub_store(_Atomic uint64_t *a, uint64_t v)
{
    atomic_store_explicit(a, v, memory_order_relaxed);
}

static inline uint64_t ns_pub_load(const _Atomic uint64_t *a)
{
    return atomic_load_explicit(a, memory_order_relaxed);
}

static inline void ns_pub_read(const struct ns_probe_pub *p, struct ns_pub_snapshot *s)
{
    s->packets = ns_pub_load(&p->packets);
    s->bytes = ns_pub_load(&p->bytes);
    s->non_ip = ns_pub_load(&p->non_ip);
    s->flows_created = ns_pub_load(&p->flows_created);
    s->flows_active = ns_pub_load(&p->flows_active);
    s->max_flows = ns_pub_load(&p->max_flows);
    s->records = ns_pub_load(&p->records);
    s->cache_full = ns_pub_load(&p->cache_full);
    s->kernel_seen = ns_pub_load(&p->kernel_seen);
    s->kernel_drops = ns_pub_load(&p->kernel_drops);
    s->captured = ns_pub_load(&p->captured);
}

/* The totals: the top-level set, or the sum of the workers' sets. */
static inline void ns_pub_snapshot(const struct ns_probe_pub *p, struct ns_pub_snapshot *s)
{
    uint32_t n = atomic_load_explicit(&p->nworkers, memory_order_acquire);
    if (!n || !p->per_worker) {
        ns_pub_read(p, s);
        return;
    }
    *s = (struct ns_pub_snapshot){0};
    for (uint32_t i = 0; i < n && i < NS_PUB_MAX_WORKERS; i++) {
        struct ns_pub_snapshot w;
        ns_pub_read(&p->per_worker[i], &w);
        s->packets += w.packets;
        s->bytes += w.bytes;
        s->non_ip += w.non_ip;
        s->flows_created += w.flows_created;
        s->flows_active += w.flows_active;
        s->max_flows += w.max_flows;
        s->records += w.records;
        s->cache_full += w.cache_full;
        s->kernel_seen += w.kernel_seen;
        s->kernel_drops += w.kernel_drops;
        s->captured += w.captured;
    }
}

#endif
