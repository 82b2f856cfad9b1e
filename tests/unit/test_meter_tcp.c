/*
 * TCP loss, retransmission and RTT.  Each situation mirrors a case of
 * tests/wireshark/tcp_cases.py; the comment gives what Wireshark 4.0.17 says
 * about the same packets (tshark -Y tcp.analysis.retransmission).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "meter_helpers.h"

#define CI 1000u
#define SI 5000u
#define C1 (CI + 1)

struct tc {
    struct ns_meter *m;
    struct collector c;
};

static void pk(struct tc *t, double ms, int c2s, uint8_t fl, uint32_t seq, uint32_t ack,
               uint32_t len, uint16_t win)
{
    uint64_t ts = T0 + (uint64_t)(ms * 1e6 + 0.5);
    struct ns_pkt p = c2s ? mk_tcp(ts, "10.0.0.1", 40000, "10.0.0.2", 80, fl, seq, ack, len)
                          : mk_tcp(ts, "10.0.0.2", 80, "10.0.0.1", 40000, fl, seq, ack, len);
    p.tcp_win = win;
    FEED(t->m, p);
}

static void hs(struct tc *t, double rtt_ms)
{
    pk(t, 0, 1, F_SYN, CI, 0, 0, 65535);
    pk(t, rtt_ms, 0, F_SYN | F_ACK, SI, CI + 1, 0, 65535);
    pk(t, 2 * rtt_ms, 1, F_ACK, CI + 1, SI + 1, 0, 65535);
}

static void start(struct tc *t, const struct ns_meter_config *cfg)
{
    t->m = mk_meter(cfg, &t->c);
    assert_non_null(t->m);
}

/* Flush and return the one record of the flow. */
static struct ns_record *finish(struct tc *t)
{
    FLUSH(t->m);
    assert_int_equal(t->c.n, 1);
    assert_true(t->c.r[0].present & NS_RG_LOSS);
    assert_int_equal(t->c.r[0].loss_source, NS_LOSS_TCP);
    return &t->c.r[0];
}

static void done(struct tc *t)
{
    ns_meter_destroy(t->m);
    collector_free(&t->c);
}

static void expect(const struct ns_record_dir *d, int64_t loss, int64_t gap, uint64_t rtx,
                   uint64_t rtx_oct, uint64_t ooo)
{
    assert_int_equal(d->loss_pkts, loss);
    assert_int_equal(d->gap_octets, gap);
    assert_int_equal(d->retrans_pkts, rtx);
    assert_int_equal(d->retrans_octets, rtx_oct);
    assert_int_equal(d->ooo_pkts, ooo);
}

/* Wireshark: frame 5 retransmission (1) */
static void retrans_of_data_seen(void **state)
{
    struct tc t;
    start(&t, NULL);
    hs(&t, 10);
    pk(&t, 30, 1, F_PSH | F_ACK, C1, SI + 1, 100, 65535);
    pk(&t, 300, 1, F_PSH | F_ACK, C1, SI + 1, 100, 65535);
    struct ns_record *r = finish(&t);
    expect(&r->dir[0], 1, 0, 1, 100, 0);
    expect(&r->dir[1], 0, 0, 0, 0, 0);
    done(&t);
}

/* Wireshark: previous segment not captured, then out-of-order (0 retransmissions) */
static void ooo_fill_within_rtt(void **state)
{
    struct tc t;
    start(&t, NULL);
    hs(&t, 10);
    pk(&t, 30, 1, F_ACK, C1, SI + 1, 100, 65535);
    pk(&t, 31, 1, F_ACK, C1 + 200, SI + 1, 100, 65535);
    pk(&t, 32, 1, F_ACK, C1 + 100, SI + 1, 100, 65535);
    expect(&finish(&t)->dir[0], 0, 0, 0, 0, 1);
    done(&t);
}

/* Wireshark: retransmission (1): the hole filled after the RTT */
static void late_fill_is_retransmission(void **state)
{
    struct tc t;
    start(&t, NULL);
    hs(&t, 10);
    pk(&t, 30, 1, F_ACK, C1, SI + 1, 100, 65535);
    pk(&t, 31, 1, F_ACK, C1 + 200, SI + 1, 100, 65535);
    pk(&t, 531, 1, F_ACK, C1 + 100, SI + 1, 100, 65535);
    /* the gap loss stays; the resend does not add to it */
    expect(&finish(&t)->dir[0], 1, 100, 1, 100, 0);
    done(&t);
}

/* A segment that arrives as IP fragments: only the first fragment has the
 * TCP header and it carries 4 of the 69 data bytes (zeek-ipv4-fragmented-4
 * frame 5); the next segment at seq + 69 leaves no gap. */
static void fragmented_segment_leaves_no_gap(void **state)
{
    struct tc t;
    start(&t, NULL);
    hs(&t, 10);
    uint64_t ts = T0 + 30 * MS;
    struct ns_pkt p = mk_tcp(ts, "10.0.0.1", 40000, "10.0.0.2", 80, F_ACK, C1, SI + 1, 4);
    p.tcp_win = 65535;
    p.flags |= NS_PKT_F_FRAG | NS_PKT_F_FRAG_FIRST | NS_PKT_F_FRAG_MORE;
    p.frag_id = 9;
    FEED(t.m, p);
    pk(&t, 31, 1, F_ACK, C1 + 69, SI + 1, 100, 65535);
    /* a real gap after that is still one */
    pk(&t, 32, 1, F_ACK, C1 + 269, SI + 1, 100, 65535);
    expect(&finish(&t)->dir[0], 1, 100, 0, 0, 0);
    done(&t);
}

static void fast_case(struct tc *t, int dupacks)
{
    hs(t, 50); /* RTT 100 ms: the refill below is well within it */
    pk(t, 200, 1, F_ACK, C1, SI + 1, 100, 65535);
    pk(t, 200.5, 1, F_ACK, C1 + 200, SI + 1, 100, 65535);
    pk(t, 200.7, 1, F_ACK, C1 + 300, SI + 1, 100, 65535);
    for (int i = 0; i < dupacks; i++)
        pk(t, 201 + i, 0, F_ACK, SI + 1, C1 + 100, 0, 65535);
    pk(t, 205, 1, F_ACK, C1 + 100, SI + 1, 100, 65535);
}

/* Wireshark: duplicate ACK #1, #2, fast retransmission + retransmission (1) */
static void fast_retransmission(void **state)
{
    struct tc t;
    start(&t, NULL);
    fast_case(&t, 3);
    struct ns_record *r = finish(&t);
    expect(&r->dir[0], 1, 100, 1, 100, 0);
    done(&t);
    /* the same refill without duplicate ACKs is reordering */
    start(&t, NULL);
    fast_case(&t, 0);
    expect(&finish(&t)->dir[0], 0, 0, 0, 0, 1);
    done(&t);
    /* two ACKs only make one duplicate: not fast retransmission */
    start(&t, NULL);
    fast_case(&t, 2);
    expect(&finish(&t)->dir[0], 0, 0, 0, 0, 1);
    done(&t);
}

/* Wireshark: two keep-alives (0 retransmissions) */
static void keepalive_is_not_retransmission(void **state)
{
    struct tc t;
    start(&t, NULL);
    hs(&t, 10);
    pk(&t, 30, 1, F_ACK, C1, SI + 1, 100, 65535);
    pk(&t, 40, 0, F_ACK, SI + 1, C1 + 100, 0, 65535);
    pk(&t, 5000, 1, F_ACK, C1 + 99, SI + 1, 0, 65535);
    pk(&t, 10000, 1, F_ACK, C1 + 99, SI + 1, 1, 65535);
    expect(&finish(&t)->dir[0], 0, 0, 0, 0, 0);
    done(&t);
}

/* Wireshark: zero window, two zero-window probes, window update (0 retransmissions) */
static void zero_window_probe(void **state)
{
    struct tc t;
    start(&t, NULL);
    hs(&t, 10);
    pk(&t, 30, 1, F_ACK, C1, SI + 1, 100, 65535);
    pk(&t, 40, 0, F_ACK, SI + 1, C1 + 100, 0, 0);
    pk(&t, 500, 1, F_ACK, C1 + 100, SI + 1, 1, 65535);
    pk(&t, 1500, 1, F_ACK, C1 + 100, SI + 1, 1, 65535);
    pk(&t, 1510, 0, F_ACK, SI + 1, C1 + 100, 0, 65535);
    pk(&t, 1520, 1, F_ACK, C1 + 100, SI + 1, 100, 65535);
    struct ns_record *r = finish(&t);
    expect(&r->dir[0], 0, 0, 0, 0, 0);
    assert_int_equal(r->dir[1].tcp_win_min, 0);
    assert_int_equal(r->dir[1].tcp_win_max, 65535);
    done(&t);
}

/* Wireshark: the second SYN is a retransmission (1) */
static void syn_retransmission_and_rtt(void **state)
{
    struct tc t;
    start(&t, NULL);
    pk(&t, 0, 1, F_SYN, CI, 0, 0, 65535);
    pk(&t, 1000, 1, F_SYN, CI, 0, 0, 65535);
    pk(&t, 1010, 0, F_SYN | F_ACK, SI, CI + 1, 0, 65535);
    pk(&t, 1020, 1, F_ACK, CI + 1, SI + 1, 0, 65535);
    struct ns_record *r = finish(&t);
    expect(&r->dir[0], 1, 0, 1, 0, 0);
    assert_true(r->present & NS_RG_RTT);
    assert_int_equal(r->synack_us, 10000); /* from the last SYN */
    assert_int_equal(r->ackdat_us, 10000);
    done(&t);
}

/* Wireshark: retransmitted FIN (1) */
static void fin_retransmission(void **state)
{
    struct tc t;
    start(&t, NULL);
    hs(&t, 10);
    pk(&t, 30, 1, F_FIN | F_ACK, C1, SI + 1, 0, 65535);
    pk(&t, 300, 1, F_FIN | F_ACK, C1, SI + 1, 0, 65535);
    expect(&finish(&t)->dir[0], 1, 0, 1, 0, 0);
    done(&t);
}

/* Wireshark: spurious retransmission + retransmission (1) */
static void spurious_retransmission(void **state)
{
    struct tc t;
    start(&t, NULL);
    hs(&t, 10);
    pk(&t, 30, 1, F_ACK, C1, SI + 1, 100, 65535);
    pk(&t, 40, 0, F_ACK, SI + 1, C1 + 100, 0, 65535);
    pk(&t, 400, 1, F_ACK, C1, SI + 1, 100, 65535);
    expect(&finish(&t)->dir[0], 1, 0, 1, 100, 0);
    done(&t);
}

/*
 * Deliberate difference: Wireshark calls a copy of an earlier segment that
 * arrives within 3 ms of the highest one "out-of-order"; data already seen
 * is a retransmission here whatever the timing (there was no hole).
 */
static void quick_duplicate_differs_from_wireshark(void **state)
{
    struct tc t;
    start(&t, NULL);
    pk(&t, 0, 1, F_ACK, C1, SI + 1, 100, 65535);
    pk(&t, 0.5, 1, F_ACK, C1 + 100, SI + 1, 100, 65535);
    pk(&t, 1.0, 1, F_ACK, C1, SI + 1, 100, 65535);
    expect(&finish(&t)->dir[0], 1, 0, 1, 100, 0);
    done(&t);
}

/* A hole of three segments: estimate 3, filled by reordering in any order. */
static void multi_segment_hole(void **state)
{
    struct tc t;
    struct ns_meter_stats st;
    start(&t, NULL);
    pk(&t, 0, 1, F_ACK, C1, SI + 1, 1000, 65535);
    pk(&t, 0.1, 1, F_ACK, C1 + 4000, SI + 1, 1000, 65535); /* hole 1000..4000 */
    pk(&t, 0.2, 1, F_ACK, C1 + 2000, SI + 1, 1000, 65535); /* middle: split */
    pk(&t, 0.3, 1, F_ACK, C1 + 1000, SI + 1, 1000, 65535);
    pk(&t, 0.4, 1, F_ACK, C1 + 3000, SI + 1, 1000, 65535);
    struct ns_record *r = finish(&t);
    expect(&r->dir[0], 0, 0, 0, 0, 3);
    ns_meter_get_stats(t.m, &st);
    assert_int_equal(st.tcp_hole_overflow, 0);
    done(&t);
    /* only two of three come back: one segment lost upstream */
    start(&t, NULL);
    pk(&t, 0, 1, F_ACK, C1, SI + 1, 1000, 65535);
    pk(&t, 0.1, 1, F_ACK, C1 + 4000, SI + 1, 1000, 65535);
    pk(&t, 0.2, 1, F_ACK, C1 + 1000, SI + 1, 1000, 65535);
    pk(&t, 0.3, 1, F_ACK, C1 + 3000, SI + 1, 1000, 65535);
    r = finish(&t);
    expect(&r->dir[0], 1, 1000, 0, 0, 2);
    done(&t);
}

/* Gap in record 1, reordering fill in record 2: record 2 carries -1. */
static void negative_loss_across_records(void **state)
{
    struct ns_meter_config cfg;
    ns_meter_config_default(&cfg);
    cfg.status_ns = 1 * SEC;
    struct tc t;
    start(&t, &cfg);
    pk(&t, 0, 1, F_ACK, C1, SI + 1, 100, 65535);            /* flow start: status due at 1 s */
    pk(&t, 999, 1, F_ACK, C1 + 200, SI + 1, 100, 65535);    /* gap */
    pk(&t, 1000.5, 1, F_ACK, C1 + 100, SI + 1, 100, 65535); /* 1.5 ms later: reorder */
    FLUSH(t.m);
    assert_int_equal(t.c.n, 2);
    struct ns_record *a = &t.c.r[0], *b = &t.c.r[1];
    assert_int_equal(a->end_reason, NS_END_ACTIVE);
    assert_int_equal(b->end_reason, NS_END_FORCED);
    assert_int_equal(a->flow_id, b->flow_id);
    expect(&a->dir[0], 1, 100, 0, 0, 0);
    expect(&b->dir[0], -1, -100, 0, 0, 1);
    assert_int_equal(a->dir[0].pkts, 2);
    assert_int_equal(b->dir[0].pkts, 1);
    done(&t);
}

/* Sequence numbers wrap at 2^32 (RFC 9293 §3.4). */
static void sequence_wraparound(void **state)
{
    struct tc t;
    start(&t, NULL);
    uint32_t isn = 0xffffff00u;
    pk(&t, 0, 1, F_SYN, isn, 0, 0, 65535);
    pk(&t, 1, 0, F_SYN | F_ACK, SI, isn + 1, 0, 65535);
    pk(&t, 2, 1, F_ACK, isn + 1, SI + 1, 0, 65535);
    uint32_t s = isn + 1; /* 0xffffff01: 255 bytes before the wrap */
    pk(&t, 10, 1, F_ACK, s, SI + 1, 200, 65535);
    pk(&t, 10.1, 1, F_ACK, s + 400, SI + 1, 200, 65535); /* hole across 2^32 */
    pk(&t, 10.2, 1, F_ACK, s + 200, SI + 1, 200, 65535); /* reorder fill */
    pk(&t, 10.3, 1, F_ACK, s + 600, SI + 1, 200, 65535); /* in order after wrap */
    pk(&t, 500, 1, F_ACK, s, SI + 1, 200, 65535);        /* pre-wrap data again */
    struct ns_record *r = finish(&t);
    expect(&r->dir[0], 1, 0, 1, 200, 1);
    done(&t);
}

static void handshake_rtt_and_options(void **state)
{
    struct tc t;
    start(&t, NULL);
    struct ns_pkt syn = mk_tcp(T0, "10.0.0.1", 40000, "10.0.0.2", 80, F_SYN, CI, 0, 0);
    syn.flags |= NS_PKT_F_TCP_OPT_MSS | NS_PKT_F_TCP_OPT_WS;
    syn.tcp_mss = 1460;
    syn.tcp_wscale = 7;
    syn.tcp_win = 64240;
    FEED(t.m, syn);
    struct ns_pkt sa =
        mk_tcp(T0 + 12345000, "10.0.0.2", 80, "10.0.0.1", 40000, F_SYN | F_ACK, SI, CI + 1, 0);
    sa.flags |= NS_PKT_F_TCP_OPT_MSS;
    sa.tcp_mss = 1400;
    sa.tcp_win = 28960;
    FEED(t.m, sa);
    pk(&t, 20, 1, F_ACK, CI + 1, SI + 1, 0, 502);
    struct ns_record *r = finish(&t);
    assert_true(r->present & NS_RG_RTT);
    assert_int_equal(r->synack_us, 12345);
    assert_int_equal(r->ackdat_us, 7655);
    assert_int_equal(r->dir[0].tcp_mss, 1460);
    assert_int_equal(r->dir[0].tcp_wscale, 7);
    assert_int_equal(r->dir[1].tcp_mss, 1400);
    assert_int_equal(r->dir[1].tcp_wscale, 0xff); /* absent */
    assert_int_equal(r->dir[0].tcp_win_min, 502);
    assert_int_equal(r->dir[0].tcp_win_max, 64240);
    assert_int_equal(r->dir[0].tcp_flags, F_SYN | F_ACK);
    assert_int_equal(r->dir[1].tcp_flags, F_SYN | F_ACK);
    done(&t);
    /* no handshake: no RTT group */
    start(&t, NULL);
    pk(&t, 0, 1, F_ACK, C1, SI + 1, 10, 65535);
    assert_int_equal(finish(&t)->present & NS_RG_RTT, 0);
    done(&t);
    /* SYN/ACK not acknowledging the SYN's ISN: not a measurement */
    start(&t, NULL);
    pk(&t, 0, 1, F_SYN, CI, 0, 0, 65535);
    pk(&t, 5, 0, F_SYN | F_ACK, SI, CI + 77, 0, 65535);
    assert_int_equal(finish(&t)->present & NS_RG_RTT, 0);
    done(&t);
}

static void hole_overflow_counted(void **state)
{
    struct tc t;
    struct ns_meter_stats st;
    start(&t, NULL);
    pk(&t, 0, 1, F_ACK, C1, SI + 1, 100, 65535);
    for (int i = 1; i <= 5; i++) /* five holes, room for four */
        pk(&t, i, 1, F_ACK, C1 + 200 * i, SI + 1, 100, 65535);
    ns_meter_get_stats(t.m, &st);
    assert_int_equal(st.tcp_hole_overflow, 1);
    /* the forgotten (oldest) hole's data now counts as a resend of data seen */
    pk(&t, 1000, 1, F_ACK, C1 + 100, SI + 1, 100, 65535);
    /* a remembered hole filled late: resend of data lost upstream */
    pk(&t, 1001, 1, F_ACK, C1 + 300, SI + 1, 100, 65535);
    struct ns_record *r = finish(&t);
    expect(&r->dir[0], 5 + 1, 500, 2, 200, 0);
    done(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(retrans_of_data_seen),
        cmocka_unit_test(ooo_fill_within_rtt),
        cmocka_unit_test(late_fill_is_retransmission),
        cmocka_unit_test(fast_retransmission),
        cmocka_unit_test(keepalive_is_not_retransmission),
        cmocka_unit_test(zero_window_probe),
        cmocka_unit_test(syn_retransmission_and_rtt),
        cmocka_unit_test(fin_retransmission),
        cmocka_unit_test(spurious_retransmission),
        cmocka_unit_test(quick_duplicate_differs_from_wireshark),
        cmocka_unit_test(multi_segment_hole),
        cmocka_unit_test(negative_loss_across_records),
        cmocka_unit_test(sequence_wraparound),
        cmocka_unit_test(handshake_rtt_and_options),
        cmocka_unit_test(hole_overflow_counted),
        cmocka_unit_test(fragmented_segment_leaves_no_gap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
