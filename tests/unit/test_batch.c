/* The batch ring between the probe's reading and metering threads
 * (probe/batch.h): both queues hand batches out oldest first (a refilled
 * batch is the one given back longest ago, whose lines have left the
 * metering core's cache), try_take_full never waits, a producer out of
 * empty batches sleeps until half the ring is back, and a stop ends both
 * sides' waits with the filled batches still delivered. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "probe/batch.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int ring_up(void **state)
{
    static struct ns_batch_ring r;
    struct ns_error err;
    *state = &r;
    return ns_batch_ring_init(&r, &err) == NS_OK ? 0 : -1;
}

static int ring_down(void **state)
{
    ns_batch_ring_fini(*state);
    return 0;
}

static void free_queue_is_fifo(void **state)
{
    struct ns_batch_ring *r = *state;
    struct ns_batch *b[NS_BATCH_COUNT];
    for (int i = 0; i < NS_BATCH_COUNT; i++)
        assert_non_null(b[i] = ns_batch_take_free(r));
    /* given back in an order of our own: handed out again in that order
     * (a stack would give the last one back first) */
    for (int i = NS_BATCH_COUNT - 1; i >= 0; i -= 2)
        ns_batch_put_free(r, b[i]);
    for (int i = NS_BATCH_COUNT - 2; i >= 0; i -= 2)
        ns_batch_put_free(r, b[i]);
    for (int i = NS_BATCH_COUNT - 1; i >= 0; i -= 2)
        assert_ptr_equal(ns_batch_take_free(r), b[i]);
    for (int i = NS_BATCH_COUNT - 2; i >= 0; i -= 2)
        assert_ptr_equal(ns_batch_take_free(r), b[i]);
}

static void try_take_full_never_waits(void **state)
{
    struct ns_batch_ring *r = *state;
    assert_null(ns_batch_try_take_full(r));
    struct ns_batch *a = ns_batch_take_free(r), *b = ns_batch_take_free(r);
    ns_batch_put_full(r, a);
    ns_batch_put_full(r, b);
    assert_ptr_equal(ns_batch_try_take_full(r), a);
    assert_ptr_equal(ns_batch_take_full(r), b);
    assert_null(ns_batch_try_take_full(r));
    ns_batch_put_free(r, a);
    ns_batch_put_free(r, b);
}

struct producer {
    struct ns_batch_ring *r;
    struct ns_batch *got;
    atomic_int done;
};

static void *take_one(void *arg)
{
    struct producer *p = arg;
    p->got = ns_batch_take_free(p->r);
    atomic_store(&p->done, 1);
    return NULL;
}

static void producer_sleeps_until_half_is_back(void **state)
{
    struct ns_batch_ring *r = *state;
    struct ns_batch *b[NS_BATCH_COUNT];
    for (int i = 0; i < NS_BATCH_COUNT; i++)
        b[i] = ns_batch_take_free(r);
    struct producer p = {.r = r};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, take_one, &p), 0);
    for (int waiting = 0; !waiting; sleep_ms(1)) { /* it found none, and sleeps */
        pthread_mutex_lock(&r->mu);
        waiting = r->free_waiting;
        pthread_mutex_unlock(&r->mu);
    }
    for (int i = 0; i < NS_BATCH_COUNT / 2 - 1; i++)
        ns_batch_put_free(r, b[i]);
    sleep_ms(50);
    assert_int_equal(atomic_load(&p.done), 0); /* fewer than half back: still asleep */
    ns_batch_put_free(r, b[NS_BATCH_COUNT / 2 - 1]);
    pthread_join(th, NULL);
    assert_ptr_equal(p.got, b[0]); /* and then the oldest */
}

static void stop_ends_waits_after_the_filled(void **state)
{
    struct ns_batch_ring *r = *state;
    struct ns_batch *a = ns_batch_take_free(r);
    ns_batch_put_full(r, a);
    ns_batch_stop(r);
    assert_ptr_equal(ns_batch_take_full(r), a); /* what was filled is still metered */
    assert_null(ns_batch_take_full(r));
    assert_null(ns_batch_take_free(r));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(free_queue_is_fifo, ring_up, ring_down),
        cmocka_unit_test_setup_teardown(try_take_full_never_waits, ring_up, ring_down),
        cmocka_unit_test_setup_teardown(producer_sleeps_until_half_is_back, ring_up, ring_down),
        cmocka_unit_test_setup_teardown(stop_ends_waits_after_the_filled, ring_up, ring_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
