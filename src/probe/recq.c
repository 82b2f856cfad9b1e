#include "probe/recq.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int ns_recq_init(struct ns_recq *q, unsigned nchunks, struct ns_error *err)
{
    memset(q, 0, sizeof *q);
    q->pool = calloc(nchunks, sizeof *q->pool);
    if (!q->pool)
        return ns_error_set(err, NS_ENOMEM, "out of memory for the record queue");
    for (unsigned i = 0; i < nchunks; i++) {
        q->pool[i].next = q->free_head;
        q->free_head = &q->pool[i];
    }
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    return NS_OK;
}

void ns_recq_fini(struct ns_recq *q)
{
    if (!q->pool)
        return;
    free(q->pool);
    q->pool = NULL;
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
}

struct ns_rec_chunk *ns_recq_take_free(struct ns_recq *q)
{
    pthread_mutex_lock(&q->mu);
    while (!q->free_head && !q->aborted)
        pthread_cond_wait(&q->cv, &q->mu);
    struct ns_rec_chunk *c = q->aborted ? NULL : q->free_head;
    if (c)
        q->free_head = c->next;
    pthread_mutex_unlock(&q->mu);
    if (c) {
        c->n = 0;
        c->last = 0;
        c->next = NULL;
    }
    return c;
}

void ns_recq_put_full(struct ns_recq *q, struct ns_rec_chunk *c)
{
    c->next = NULL;
    pthread_mutex_lock(&q->mu);
    if (q->full_tail)
        q->full_tail->next = c;
    else
        q->full_head = c;
    q->full_tail = c;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

struct ns_rec_chunk *ns_recq_take_full(struct ns_recq *q)
{
    pthread_mutex_lock(&q->mu);
    while (!q->full_head)
        pthread_cond_wait(&q->cv, &q->mu);
    struct ns_rec_chunk *c = q->full_head;
    q->full_head = c->next;
    if (!q->full_head)
        q->full_tail = NULL;
    pthread_mutex_unlock(&q->mu);
    return c;
}

struct ns_rec_chunk *ns_recq_take_full_timed(struct ns_recq *q, unsigned wait_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until); /* the condition variable's clock */
    until.tv_sec += wait_ms / 1000u;
    until.tv_nsec += (long)(wait_ms % 1000u) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&q->mu);
    while (!q->full_head)
        if (pthread_cond_timedwait(&q->cv, &q->mu, &until) != 0)
            break;
    struct ns_rec_chunk *c = q->full_head;
    if (c) {
        q->full_head = c->next;
        if (!q->full_head)
            q->full_tail = NULL;
    }
    pthread_mutex_unlock(&q->mu);
    return c;
}

void ns_recq_put_free(struct ns_recq *q, struct ns_rec_chunk *c)
{
    pthread_mutex_lock(&q->mu);
    c->next = q->free_head;
    q->free_head = c;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

void ns_recq_abort(struct ns_recq *q)
{
    pthread_mutex_lock(&q->mu);
    q->aborted = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}
