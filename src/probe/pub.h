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
 * Ownership: the caller allocates it (zeroed) and passes it in
 * ns_probe_config.pub; it must outlive ns_probe_run().
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
};

static inline void ns_pub_store(_Atomic uint64_t *a, uint64_t v)
{
    atomic_store_explicit(a, v, memory_order_relaxed);
}

static inline uint64_t ns_pub_load(const _Atomic uint64_t *a)
{
    return atomic_load_explicit(a, memory_order_relaxed);
}

#endif
