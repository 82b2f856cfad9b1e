#include "probe/live_reader.h"

#include <string.h>
#include <time.h>

#include "meter/meter.h"

/* Wait per poll: bounds how long a stop request goes unnoticed. */
#define POLL_MS 50
/* A batch waiting for more packets leaves after this long (ns). */
#define BATCH_AGE_NS (100ull * 1000000u)

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Kernel counters for the operations thread (pub.h). */
#define PUBLISH_NS (500ull * 1000000u)

static void publish(struct ns_live_reader *rd, uint64_t packets)
{
    struct ns_live_stats ls;
    ns_live_get_stats(rd->live, &ls);
    uint64_t seen = 0;
    for (uint32_t i = 0; i < ls.nifaces; i++)
        seen += ls.ifs[i].kernel_seen;
    ns_pub_store(&rd->pub->kernel_seen, seen);
    ns_pub_store(&rd->pub->kernel_drops, ls.drops);
    ns_pub_store(&rd->pub->captured, packets);
}

void *ns_live_reader_main(void *arg)
{
    struct ns_live_reader *rd = arg;
    const size_t maxf = (ns_live_max_frame(rd->live) + 7u) & ~(size_t)7u;
    struct ns_batch *b = ns_batch_take_free(rd->ring);
    if (!b)
        return NULL;
    uint64_t start = clock_ns(CLOCK_MONOTONIC), born = start, packets = 0, published = 0;
    uint64_t drain_until = 0; /* stopping: take what the kernel already has until then */
    uint64_t block_ns = (uint64_t)rd->block_timeout_ms * 1000000u;
    int rc = 0;
    for (;;) {
        if (!drain_until && rd->stop && *rd->stop)
            drain_until = clock_ns(CLOCK_MONOTONIC) + 2 * block_ns;
        if (rd->max_packets && packets >= rd->max_packets)
            break;
        if (b->n == NS_BATCH_PKTS || NS_BATCH_ARENA - b->used < maxf) {
            ns_batch_put_full(rd->ring, b);
            if (!(b = ns_batch_take_free(rd->ring)))
                return NULL; /* the metering side stopped */
            born = clock_ns(CLOCK_MONOTONIC);
        }
        struct ns_pkt *q = &b->pkts[b->n];
        int linktype;
        /* Stopping: the packets already in the ring (and the block the
         * kernel is filling, handed over within one block timeout) are
         * still metered, for at most two block timeouts, so that a stop
         * right after traffic loses none of it. */
        int wait = drain_until ? (int)(block_ns / 1000000u) + 10 : POLL_MS;
        rc = ns_live_next(rd->live, q, b->arena + b->used, &linktype, wait, &b->err);
        if (rc < 0)
            break;
        if (rc == 0 && drain_until)
            break;
        if (rc == 1) {
            const uint8_t *bytes = b->arena + b->used;
            int decoded = 0; /* unselected packets stay out of the batch */
            packets++;
            if (!rd->sel || ns_sel_chain_run(rd->sel, q, bytes, linktype, &decoded, NULL)) {
                b->used += (q->caplen + 7u) & ~7u;
                ns_batch_push(b, bytes, linktype, decoded, rd->hash_seed);
            }
            if (drain_until && clock_ns(CLOCK_MONOTONIC) >= drain_until)
                break;
            if ((packets & 63u) != 0)
                continue;
        }
        uint64_t now = clock_ns(CLOCK_MONOTONIC);
        if (rd->pub && now - published >= PUBLISH_NS) {
            publish(rd, packets);
            published = now;
        }
        if (!drain_until && rd->duration_ns && now - start >= rd->duration_ns)
            drain_until = now + 2 * block_ns;
        if (rc == 0 || now - born >= BATCH_AGE_NS) {
            /* Nothing waiting, or a batch old enough: hand it over, and on
             * an idle link let the meter's clock follow the wall clock,
             * minus the longest a packet can sit in a ring block (the
             * kernel's timestamps are CLOCK_REALTIME too). */
            if (rc == 0) {
                uint64_t wall = clock_ns(CLOCK_REALTIME);
                b->clock_ns = wall > block_ns ? wall - block_ns : 0;
            }
            if (b->n || b->clock_ns) {
                ns_batch_put_full(rd->ring, b);
                if (!(b = ns_batch_take_free(rd->ring)))
                    return NULL;
            }
            born = now;
        }
    }
    if (rd->pub)
        publish(rd, packets);
    b->end = 1;
    b->rc = rc < 0 ? rc : 0;
    rd->cpu_ns = ns_batch_thread_cpu_ns(); /* read by the meter after the join */
    ns_batch_put_full(rd->ring, b);
    return NULL;
}
