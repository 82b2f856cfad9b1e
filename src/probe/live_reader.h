/*
 * live_reader.h — the reading thread of `netsift probe -i`: packets from
 * capture/live.h, decoded and keyed into batches (batch.h) exactly as the
 * file reader does, plus what only a live source needs: an end set from
 * outside (signal flag, --duration, --count) and batches that leave on
 * time on a slow link, with a clock tick when nothing arrives so idle
 * flows expire.
 *
 * Private to probe/.  The reader owns nothing: probe.c opens and closes
 * the capture and the ring.
 */
#ifndef NS_PROBE_LIVE_READER_H
#define NS_PROBE_LIVE_READER_H

#include <stdatomic.h>
#include <stdint.h>

#include "capture/live.h"
#include "probe/batch.h"
#include "probe/pub.h"
#include "select/select.h"

/* One interface's kernel counters as the reader last read them, for the
 * metering thread's statistics records (fsel/optrec.h 0xFF14): written by
 * the reader only, relaxed atomics (a periodic record may mix two reads;
 * the final one, taken after the ring was closed and drained, is exact). */
struct ns_live_kcount {
    _Atomic uint64_t ifindex, seen, dropped, captured;
    _Atomic uint64_t first_ns, last_ns; /* reads that found the first/last new drops */
};

struct ns_live_reader {
    struct ns_live *live;
    struct ns_batch_ring *ring;
    uint64_t hash_seed;
    struct ns_sel_chain *sel;  /* PSAMP selection, may be NULL */
    const atomic_int *stop;    /* set by a signal handler; may be NULL */
    uint64_t duration_ns;      /* 0 = no limit */
    uint64_t max_packets;      /* 0 = no limit */
    uint32_t block_timeout_ms; /* how late a packet can reach us */
    uint64_t cpu_ns;           /* of the thread, when it ends */
    struct ns_probe_pub *pub;  /* kernel counters published here, may be NULL */
    _Atomic uint32_t nk;       /* interfaces in k[] */
    struct ns_live_kcount k[NS_LIVE_MAX_IFACES];
};

struct ns_fsel_iface_report;
/* The kernel counters of n readers (workers share interfaces: summed per
 * interface) as 0xFF14 reports; returns how many interfaces. */
uint32_t ns_live_reader_kernel(struct ns_live_reader *const *rd, size_t n,
                               struct ns_fsel_iface_report *out);

/* pthread entry; arg is a struct ns_live_reader. */
void *ns_live_reader_main(void *arg);

#endif
