/* ESP and RTP sequence-number loss, out-of-order, duplicates, negative loss. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "meter_helpers.h"

static struct ns_pkt esp(uint64_t ts, int fwd, uint32_t seq)
{
    struct ns_pkt p = fwd ? mk_ip(ts, "10.0.0.1", "10.0.0.2", 50, 8, 100)
                          : mk_ip(ts, "10.0.0.2", "10.0.0.1", 50, 8, 100);
    p.flags |= NS_PKT_F_L4;
    p.esp_spi = fwd ? 0x1111 : 0x2222;
    p.esp_seq = seq;
    return p;
}

/* RTP packet; `buf` must outlive the feed. */
static struct ns_pkt rtp(uint8_t *buf, uint64_t ts, uint16_t seq, uint32_t ssrc)
{
    struct ns_pkt p = mk_udp(ts, "10.0.0.1", 30000, "10.0.0.2", 40000, 172);
    memset(buf, 0, 12);
    buf[0] = 0x80;
    buf[1] = 0; /* PCMU */
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    buf[8] = (uint8_t)(ssrc >> 24);
    buf[9] = (uint8_t)(ssrc >> 16);
    buf[10] = (uint8_t)(ssrc >> 8);
    buf[11] = (uint8_t)ssrc;
    p.payload = buf;
    p.payload_caplen = 12;
    return p;
}

static void esp_loss_reorder_dup(void **state)
{
    struct ns_meter_config cfg;
    ns_meter_config_default(&cfg);
    cfg.status_ns = 1 * SEC;
    struct collector c;
    struct ns_meter *m = mk_meter(&cfg, &c);
    uint64_t t = T0 - MS; /* flow starts at T0: status due at T0 + 1 s */
    for (uint32_t s = 20; s <= 23; s++)
        FEED(m, esp(t += MS, 1, s));
    FEED(m, esp(t += MS, 1, 25));       /* 24 missing: +1 */
    FEED(m, esp(t += MS, 0, 7));        /* reverse SA */
    FEED(m, esp(T0 + SEC, 1, 24));      /* next record: -1 */
    FEED(m, esp(T0 + SEC + MS, 1, 24)); /* duplicate */
    FEED(m, esp(T0 + SEC + 2 * MS, 1, 26));
    FEED(m, esp(T0 + SEC + 3 * MS, 0, 9)); /* reverse: 8 lost */
    FLUSH(m);
    assert_int_equal(c.n, 2);
    struct ns_record *a = &c.r[0], *b = &c.r[1];
    assert_true(a->present & NS_RG_LOSS);
    assert_true(a->present & NS_RG_ESP);
    assert_int_equal(a->present & NS_RG_TCP, 0);
    assert_int_equal(a->loss_source, NS_LOSS_ESP);
    assert_int_equal(a->dir[0].esp_spi, 0x1111);
    assert_int_equal(a->dir[1].esp_spi, 0x2222);
    assert_int_equal(a->dir[0].loss_pkts, 1);
    assert_int_equal(a->dir[0].ooo_pkts, 0);
    assert_int_equal(b->dir[0].loss_pkts, -1);
    assert_int_equal(b->dir[0].ooo_pkts, 1);
    assert_int_equal(b->dir[0].dup_pkts, 1);
    assert_int_equal(b->dir[1].loss_pkts, 1);
    assert_int_equal(a->dir[0].loss_pkts + b->dir[0].loss_pkts, 0);
    ns_meter_destroy(m);
    collector_free(&c);
}

static void esp_new_spi_restarts(void **state)
{
    struct collector c;
    struct ns_meter *m = mk_meter(NULL, &c);
    FEED(m, esp(T0, 1, 100));
    struct ns_pkt p = esp(T0 + MS, 1, 1); /* rekeyed SA starts at 1 */
    p.esp_spi = 0x3333;
    FEED(m, p);
    FEED(m, esp(T0 + 2 * MS, 1, 1));      /* back to the first SPI: restart again */
    FEED(m, esp(T0 + 3 * MS, 1, 200000)); /* jump > 65536: restart, not loss */
    FEED(m, esp(T0 + 4 * MS, 1, 200002));
    FLUSH(m);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.r[0].dir[0].loss_pkts, 1);
    assert_int_equal(c.r[0].dir[0].esp_spi, 0x1111);
    ns_meter_destroy(m);
    collector_free(&c);
}

static void rtp_23_25_24(void **state)
{
    struct ns_meter_config cfg;
    ns_meter_config_default(&cfg);
    cfg.status_ns = 1 * SEC;
    struct collector c;
    struct ns_meter *m = mk_meter(&cfg, &c);
    uint8_t b[12];
    uint64_t t = T0 - 20 * MS;          /* flow starts at T0: status due at T0 + 1 s */
    for (uint16_t s = 20; s <= 23; s++) /* probation 20,21,22 then tracking */
        FEED(m, rtp(b, t += 20 * MS, s, 0xabcdef01));
    FEED(m, rtp(b, t += 20 * MS, 25, 0xabcdef01));
    FEED(m, rtp(b, T0 + SEC + MS, 24, 0xabcdef01));
    FEED(m, rtp(b, T0 + SEC + 2 * MS, 25, 0xabcdef01)); /* duplicate */
    FEED(m, rtp(b, T0 + SEC + 3 * MS, 26, 0xabcdef01));
    FLUSH(m);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.r[0].loss_source, NS_LOSS_RTP);
    assert_true(c.r[0].present & NS_RG_LOSS);
    assert_int_equal(c.r[0].present & NS_RG_ESP, 0);
    assert_int_equal(c.r[0].dir[0].loss_pkts, 1);
    assert_int_equal(c.r[1].dir[0].loss_pkts, -1);
    assert_int_equal(c.r[1].dir[0].ooo_pkts, 1);
    assert_int_equal(c.r[1].dir[0].dup_pkts, 1);
    ns_meter_destroy(m);
    collector_free(&c);
}

static void rtp_wrap_and_loss(void **state)
{
    struct collector c;
    struct ns_meter *m = mk_meter(NULL, &c);
    uint8_t b[12];
    uint64_t t = T0;
    for (uint16_t s = 65530; s != 2; s++) /* 65530 .. 65535, 0, 1 */
        FEED(m, rtp(b, t += 20 * MS, s, 7));
    FEED(m, rtp(b, t += 20 * MS, 5, 7)); /* 2,3,4 lost across the wrap */
    FLUSH(m);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.r[0].dir[0].loss_pkts, 3);
    assert_int_equal(c.r[0].dir[0].ooo_pkts, 0);
    ns_meter_destroy(m);
    collector_free(&c);
}

static void not_rtp(void **state)
{
    struct collector c;
    struct ns_meter *m = mk_meter(NULL, &c);
    uint8_t b[12];
    /* random SSRCs: never validated, no loss group, state released */
    for (int i = 0; i < 6; i++)
        FEED(m, rtp(b, T0 + (uint64_t)i * MS, (uint16_t)(i * 7), 1000u + (uint32_t)i));
    /* well-known port: never a candidate */
    struct ns_pkt p = rtp(b, T0, 1, 1);
    p.dport = 53;
    FEED(m, p);
    FLUSH(m);
    assert_int_equal(c.n, 2);
    for (size_t i = 0; i < c.n; i++) {
        assert_int_equal(c.r[i].present & NS_RG_LOSS, 0);
        assert_int_equal(c.r[i].loss_source, NS_LOSS_NONE);
    }
    ns_meter_destroy(m);
    collector_free(&c);
}

static void rtp_short_payload_is_safe(void **state)
{
    struct collector c;
    struct ns_meter *m = mk_meter(NULL, &c);
    uint8_t b[12];
    struct ns_pkt p = rtp(b, T0, 1, 1);
    p.payload_caplen = 11; /* one byte short of an RTP header */
    FEED(m, p);
    p.payload = NULL;
    p.payload_caplen = 0;
    FEED(m, p);
    FLUSH(m);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.r[0].present & NS_RG_LOSS, 0);
    ns_meter_destroy(m);
    collector_free(&c);
}

static void seq_pool_full_counted(void **state)
{
    struct ns_meter_config cfg;
    ns_meter_config_default(&cfg);
    cfg.max_flows = 8;
    cfg.max_seq = 1;
    struct collector c;
    struct ns_meter *m = mk_meter(&cfg, &c);
    FEED(m, esp(T0, 1, 1));
    struct ns_pkt p = esp(T0, 1, 1);
    p.dst[3] = 9;
    FEED(m, p);
    struct ns_meter_stats st;
    ns_meter_get_stats(m, &st);
    assert_int_equal(st.seq_full, 1);
    FLUSH(m);
    assert_int_equal(c.n, 2);
    ns_meter_destroy(m);
    collector_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(esp_loss_reorder_dup),
        cmocka_unit_test(esp_new_spi_restarts),
        cmocka_unit_test(rtp_23_25_24),
        cmocka_unit_test(rtp_wrap_and_loss),
        cmocka_unit_test(not_rtp),
        cmocka_unit_test(rtp_short_payload_is_safe),
        cmocka_unit_test(seq_pool_full_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
