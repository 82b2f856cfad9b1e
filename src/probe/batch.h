/*
 * batch.h — decoded packets handed from the reading thread to the metering
 * thread, a batch at a time.
 *
 * Reading a capture and decoding it costs about as much as metering it,
 * so `netsift probe` runs the two on two cores: the reader fills a batch
 * with decoded packets — frames of a mapped file decoded where they lie
 * (they stay valid until the capture is closed), libpcap's copied into the
 * batch's arena first — and passes it on; the meter empties it and gives
 * it back.  A fixed pool of batches is allocated once; nothing is
 * allocated per packet, and the threads meet once per batch, not once per
 * packet.
 *
 * Anything the reader has to say travels in order with the packets: a
 * warning about a damaged file, a progress snapshot, and, in the last
 * batch, how reading ended.
 *
 * Ownership: the ring owns the batches; a batch belongs to whichever side
 * took it until it is put back.
 */
#ifndef NS_PROBE_BATCH_H
#define NS_PROBE_BATCH_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "meter/meter.h"
#include "pkt/pkt.h"
#include "util/err.h"

#define NS_BATCH_PKTS  1024
#define NS_BATCH_ARENA (1u << 20) /* ≥ the largest frame libpcap delivers (256 KiB) */
#define NS_BATCH_COUNT 8

struct ns_batch {
    /* first and line-aligned: ns_pkt keeps what the meter reads in its
     * first two cache lines (pkt.h), and each prep is one line */
    struct ns_pkt pkts[NS_BATCH_PKTS] __attribute__((aligned(64)));
    struct ns_meter_prep prep[NS_BATCH_PKTS]; /* flow key and hash, made by the reader */
    uint32_t n;
    uint64_t malformed[NS_MAL__COUNT]; /* by reason, for these packets */
    size_t used;                       /* of the arena */
    uint8_t *arena;
    /* progress snapshot, valid when has_progress */
    int has_progress;
    char file[256];
    uint64_t done, total, packets;
    /* a non-fatal problem met while filling this batch */
    int has_warning;
    char warning[512];
    /* live capture with nothing to read: the meter's clock may move to
     * here (0 = no news), so idle flows expire on a quiet link */
    uint64_t clock_ns;
    /* --workers on files (workers.c): the clock steps other workers' packets
     * made, tick[k] to be applied before pkts[tick_at[k]] (tick_at == n:
     * after the last), so that every meter's clock passes the same times
     * a single meter's would */
    uint32_t nticks;
    uint32_t tick_at[NS_BATCH_PKTS];
    uint64_t tick[NS_BATCH_PKTS];
    /* last batch: reading is over; rc < 0 with err when it failed */
    int end;
    int rc;
    struct ns_error err;
};

/* The two sides wake each other only when the other is waiting, and a
 * producer that ran out of empty batches sleeps until half the ring is
 * empty again: the producer is the faster side when metering is the
 * bottleneck, and waking it for every batch the meter gives back cost the
 * metering thread a futex wake a batch (3 % of all of a run's samples). */
struct ns_batch_ring {
    pthread_mutex_t mu;
    pthread_cond_t free_cv, full_cv;
    struct ns_batch *slots; /* NS_BATCH_COUNT */
    struct ns_batch *freeq[NS_BATCH_COUNT], *fullq[NS_BATCH_COUNT];
    unsigned nfree, nfull, freehead, fullhead; /* both queues are FIFO */
    int free_waiting, full_waiting;            /* a side sleeps on its condition */
    int stop;                                  /* the consumer gave up: the producer should end */
};

int ns_batch_ring_init(struct ns_batch_ring *r, struct ns_error *err);
void ns_batch_ring_fini(struct ns_batch_ring *r);

/* Producer: an empty batch (waits); NULL when the consumer asked to stop. */
struct ns_batch *ns_batch_take_free(struct ns_batch_ring *r);
/* Producer: hand a filled batch over. */
void ns_batch_put_full(struct ns_batch_ring *r, struct ns_batch *b);
/* Consumer: the next filled batch in order (waits); NULL once the ring
 * was stopped and no filled batch is left. */
struct ns_batch *ns_batch_take_full(struct ns_batch_ring *r);
/* Consumer: the next filled batch if one is there, else NULL at once. */
struct ns_batch *ns_batch_try_take_full(struct ns_batch_ring *r);
/* Consumer: give a batch back (emptied). */
void ns_batch_put_free(struct ns_batch_ring *r, struct ns_batch *b);
/* Ask the producer to stop at its next batch boundary (the consumer gave
 * up, or the run is ending: then the consumer's waits end too). */
void ns_batch_stop(struct ns_batch_ring *r);

/* Reset a batch for filling. */
void ns_batch_clear(struct ns_batch *b);

/* Reader: take b->pkts[b->n] (capture metadata filled, decoded already when
 * `decoded`, from `bytes` that stay valid until the batch is emptied) into
 * the batch: decode it, build and hash its flow key, count its malformation.
 * The one tail of both readers (file and live); inline, once per packet. */
static inline void ns_batch_push(struct ns_batch *b, const uint8_t *bytes, int linktype,
                                 int decoded, uint64_t hash_seed)
{
    struct ns_pkt *q = &b->pkts[b->n];
    if (!decoded)
        ns_pkt_decode(q, linktype, bytes);
    ns_meter_prepare(q, hash_seed, &b->prep[b->n]);
    b->malformed[q->malformed]++;
    b->n++;
}

/* CPU time (user + system) the calling thread has used so far, in ns. */
uint64_t ns_batch_thread_cpu_ns(void);

#endif
