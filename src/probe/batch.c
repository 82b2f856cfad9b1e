#include "probe/batch.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

void ns_batch_clear(struct ns_batch *b)
{
    b->n = 0;
    b->used = 0;
    b->has_progress = 0;
    b->has_warning = 0;
    b->end = 0;
    b->clock_ns = 0;
    b->nticks = 0;
    b->rc = 0;
    memset(b->malformed, 0, sizeof b->malformed);
}

int ns_batch_ring_init(struct ns_batch_ring *r, struct ns_error *err)
{
    memset(r, 0, sizeof *r);
    /* aligned_alloc: a batch's arrays are cache-line aligned (batch.h).
     * Not cleared here (2 MiB, before the reader may start): a batch is
     * reset when taken (ns_batch_clear) and its arrays are written before
     * they are read. */
    r->slots = aligned_alloc(64, NS_BATCH_COUNT * sizeof *r->slots);
    if (!r->slots)
        return ns_error_set(err, NS_ENOMEM, "out of memory for packet batches");
    for (unsigned i = 0; i < NS_BATCH_COUNT; i++)
        r->slots[i].arena = NULL; /* for ns_batch_ring_fini() on failure */
    for (unsigned i = 0; i < NS_BATCH_COUNT; i++) {
        r->slots[i].arena = malloc(NS_BATCH_ARENA);
        if (!r->slots[i].arena) {
            ns_batch_ring_fini(r);
            return ns_error_set(err, NS_ENOMEM, "out of memory for packet batches");
        }
        r->freeq[r->nfree++] = &r->slots[i];
    }
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->free_cv, NULL);
    pthread_cond_init(&r->full_cv, NULL);
    return NS_OK;
}

void ns_batch_ring_fini(struct ns_batch_ring *r)
{
    if (!r->slots)
        return;
    for (unsigned i = 0; i < NS_BATCH_COUNT; i++)
        free(r->slots[i].arena);
    free(r->slots);
    r->slots = NULL;
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->free_cv);
    pthread_cond_destroy(&r->full_cv);
}

struct ns_batch *ns_batch_take_free(struct ns_batch_ring *r)
{
    pthread_mutex_lock(&r->mu);
    if (!r->nfree) {
        /* the consumer holds at most one batch while it waits for a full
         * one, so half the ring comes back before both could sleep */
        r->free_waiting = 1;
        while (r->nfree < NS_BATCH_COUNT / 2 && !r->stop)
            pthread_cond_wait(&r->free_cv, &r->mu);
        r->free_waiting = 0;
    }
    struct ns_batch *b = NULL;
    if (!r->stop) { /* the batch given back longest ago: its lines have
                       had the most time to leave the metering core's cache */
        b = r->freeq[r->freehead];
        r->freehead = (r->freehead + 1) % NS_BATCH_COUNT;
        r->nfree--;
    }
    pthread_mutex_unlock(&r->mu);
    if (b)
        ns_batch_clear(b);
    return b;
}

void ns_batch_put_full(struct ns_batch_ring *r, struct ns_batch *b)
{
    pthread_mutex_lock(&r->mu);
    r->fullq[(r->fullhead + r->nfull++) % NS_BATCH_COUNT] = b;
    if (r->full_waiting)
        pthread_cond_signal(&r->full_cv);
    pthread_mutex_unlock(&r->mu);
}

/* The oldest filled batch, or NULL when none; with the lock held. */
static struct ns_batch *pop_full(struct ns_batch_ring *r)
{
    if (!r->nfull)
        return NULL;
    struct ns_batch *b = r->fullq[r->fullhead];
    r->fullhead = (r->fullhead + 1) % NS_BATCH_COUNT;
    r->nfull--;
    return b;
}

struct ns_batch *ns_batch_take_full(struct ns_batch_ring *r)
{
    pthread_mutex_lock(&r->mu);
    r->full_waiting = 1;
    while (!r->nfull && !r->stop)
        pthread_cond_wait(&r->full_cv, &r->mu);
    r->full_waiting = 0;
    struct ns_batch *b = pop_full(r); /* NULL: stopped, and nothing left to meter */
    pthread_mutex_unlock(&r->mu);
    return b;
}

struct ns_batch *ns_batch_try_take_full(struct ns_batch_ring *r)
{
    pthread_mutex_lock(&r->mu);
    struct ns_batch *b = pop_full(r);
    pthread_mutex_unlock(&r->mu);
    return b;
}

void ns_batch_put_free(struct ns_batch_ring *r, struct ns_batch *b)
{
    pthread_mutex_lock(&r->mu);
    r->freeq[(r->freehead + r->nfree++) % NS_BATCH_COUNT] = b;
    if (r->free_waiting && r->nfree >= NS_BATCH_COUNT / 2)
        pthread_cond_signal(&r->free_cv);
    pthread_mutex_unlock(&r->mu);
}

void ns_batch_stop(struct ns_batch_ring *r)
{
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_cond_broadcast(&r->free_cv);
    pthread_cond_broadcast(&r->full_cv);
    pthread_mutex_unlock(&r->mu);
}

uint64_t ns_batch_thread_cpu_ns(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru) != 0)
        return 0;
    return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
           ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}
