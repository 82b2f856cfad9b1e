/*
 * recq.h — records from N metering workers to the one exporting process.
 *
 * With `--workers N` every worker meters its own share of the flows, but
 * the records must leave through one exporting process (RFC 7011 §1.1: one
 * sequence number space per observation domain, one template set per
 * stream), so they meet in a single writer: the thread that owns the IPFIX
 * file writer and the exporters.
 *
 * The handover is lightly locked, never per record: a worker copies its
 * records into a chunk of its own (NS_RECQ_CHUNK records, no lock) and
 * hands the whole chunk over when it is full, when it finished a batch of
 * packets (so a quiet live link does not hold records back), and at its
 * end; the writer takes chunks in whatever order they come (record order
 * across flows carries no meaning) and gives them back.  The pool of
 * chunks is allocated once; when it is empty a worker waits for the writer
 * (backpressure, nothing is dropped).  If the writer fails it aborts the
 * queue: waiting workers wake up and get NULL, so they can stop.
 *
 * Ownership: the queue owns the chunks; a chunk belongs to whoever took it
 * until it is put back.
 */
#ifndef NS_PROBE_RECQ_H
#define NS_PROBE_RECQ_H

#include <pthread.h>
#include <stdint.h>

#include "record/record.h"
#include "util/err.h"

#define NS_RECQ_CHUNK 128

struct ns_rec_chunk {
    uint32_t n;
    uint32_t worker;
    int last; /* the worker's final chunk: it has ended */
    struct ns_rec_chunk *next;
    struct ns_record recs[NS_RECQ_CHUNK];
};

struct ns_recq {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct ns_rec_chunk *pool; /* all chunks, one allocation */
    struct ns_rec_chunk *free_head, *full_head, *full_tail;
    int aborted;
};

/* `nchunks` chunks in all (a few per worker). */
int ns_recq_init(struct ns_recq *q, unsigned nchunks, struct ns_error *err);
void ns_recq_fini(struct ns_recq *q);

/* Worker: an empty chunk (waits); NULL when the queue was aborted. */
struct ns_rec_chunk *ns_recq_take_free(struct ns_recq *q);
/* Worker: hand a chunk to the writer. */
void ns_recq_put_full(struct ns_recq *q, struct ns_rec_chunk *c);
/* Writer: the next chunk (waits). */
struct ns_rec_chunk *ns_recq_take_full(struct ns_recq *q);
/* Writer: the next chunk, waiting at most wait_ms; NULL when none came
 * (the writer's timers and reloads run on a quiet link too). */
struct ns_rec_chunk *ns_recq_take_full_timed(struct ns_recq *q, unsigned wait_ms);
/* Writer: give a chunk back. */
void ns_recq_put_free(struct ns_recq *q, struct ns_rec_chunk *c);
/* Writer: give up; workers waiting for a chunk get NULL from now on. */
void ns_recq_abort(struct ns_recq *q);

#endif
