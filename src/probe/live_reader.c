#include "probe/live_reader.h"

#include <string.h>
#include <time.h>

#include "fsel/optrec.h"
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
    uint64_t seen = 0, now = clock_ns(CLOCK_REALTIME);
    for (uint32_t i = 0; i < ls.nifaces && i < NS_LIVE_MAX_IFACES; i++) {
        const struct ns_live_if_stats *f = &ls.ifs[i];
        struct ns_live_kcount *k = &rd->k[i];
        seen += f->kernel_seen;
        if (f->drops > ns_pub_load(&k->dropped)) { /* new drops since the last read */
            if (!ns_pub_load(&k->first_ns))
                ns_pub_store(&k->first_ns, now);
            ns_pub_store(&k->last_ns, now);
        }
        ns_pub_store(&k->ifindex, f->ifindex);
        ns_pub_store(&k->seen, f->kernel_seen);
        ns_pub_store(&k->dropped, f->drops);
        ns_pub_store(&k->captured, f->packets);
    }
    atomic_store_explicit(&rd->nk, ls.nifaces, memory_order_release);
    if (!rd->pub)
        return;
    ns_pub_store(&rd->pub->kernel_seen, seen);
    ns_pub_store(&rd->pub->kernel_drops, ls.drops);
    ns_pub_store(&rd->pub->captured, packets);
}

uint32_t ns_live_reader_kernel(struct ns_live_reader *const *rd, size_t n,
                               struct ns_fsel_iface_report *out)
{
    uint32_t ni = 0;
    for (size_t r = 0; r < n; r++) {
        uint32_t nk = atomic_load_explicit(&rd[r]->nk, memory_order_acquire);
        for (uint32_t i = 0; i < nk; i++) {
            const struct ns_live_kcount *k = &rd[r]->k[i];
            struct ns_fsel_iface_report *o = &out[i];
            if (i >= ni) {
                memset(o, 0, sizeof *o);
                o->process_id = 1;
                o->ifindex = (uint32_t)ns_pub_load(&k->ifindex);
                ni = i + 1;
            }
            o->seen += ns_pub_load(&k->seen);
            o->dropped += ns_pub_load(&k->dropped);
            o->captured += ns_pub_load(&k->captured);
            uint64_t f = ns_pub_load(&k->first_ns), l = ns_pub_load(&k->last_ns);
            if (f && (!o->first_ns || f < o->first_ns))
                o->first_ns = f;
            if (l > o->last_ns)
                o->last_ns = l;
        }
    }
    return ni;
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
    int rc = 0, closed = 0;
    for (;;) {
        if (!drain_until && rd->stop && atomic_load_explicit(rd->stop, memory_order_relaxed))
            drain_until = clock_ns(CLOCK_MONOTONIC) + 2 * block_ns;
        if (drain_until && !closed) {
            /* Stopping: no new frames from here on, so that what is in the
             * ring is all there is and the kernel's counters, read after
             * it is drained, add up with what was read (0xFF14). */
            closed = ns_live_quiesce(rd->live) ? 1 : -1;
        }
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
            /* closed: the ring holds a bounded rest, read all of it */
            if (drain_until && closed != 1 && clock_ns(CLOCK_MONOTONIC) >= drain_until)
                break;
            if ((packets & 63u) != 0)
                continue;
        }
        uint64_t now = clock_ns(CLOCK_MONOTONIC);
        if (now - published >= PUBLISH_NS) {
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
    publish(rd, packets); /* the final counters, before the meter sees the end */
    b->end = 1;
    b->rc = rc < 0 ? rc : 0;
    rd->cpu_ns = ns_batch_thread_cpu_ns(); /* read by the meter after the join */
    ns_batch_put_full(rd->ring, b);
    return NULL;
}
