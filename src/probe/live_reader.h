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

#include <signal.h>
#include <stdint.h>

#include "capture/live.h"
#include "probe/batch.h"
#include "probe/pub.h"
#include "select/select.h"

struct ns_live_reader {
    struct ns_live *live;
    struct ns_batch_ring *ring;
    uint64_t hash_seed;
    struct ns_sel_chain *sel;          /* PSAMP selection, may be NULL */
    const volatile sig_atomic_t *stop; /* may be NULL */
    uint64_t duration_ns;              /* 0 = no limit */
    uint64_t max_packets;              /* 0 = no limit */
    uint32_t block_timeout_ms;         /* how late a packet can reach us */
    uint64_t cpu_ns;                   /* of the thread, when it ends */
    struct ns_probe_pub *pub;          /* kernel counters published here, may be NULL */
};

/* pthread entry; arg is a struct ns_live_reader. */
void *ns_live_reader_main(void *arg);

#endif
