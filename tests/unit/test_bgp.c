/* BGP message parser (bgp/bgp.h): hand-built messages for every type and
 * every length claim that can lie, checked field by field. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bgp/bgp.h"

/* A message under construction: header written by finish(). */
struct mb {
    uint8_t b[5000];
    size_t n;
};

static void start(struct mb *m, uint8_t type)
{
    memset(m->b, 0xff, 16);
    m->b[16] = m->b[17] = 0;
    m->b[18] = type;
    m->n = 19;
}

static void put(struct mb *m, const void *p, size_t n)
{
    memcpy(m->b + m->n, p, n);
    m->n += n;
}

static void u8(struct mb *m, unsigned v)
{
    m->b[m->n++] = (uint8_t)v;
}

static void be16(struct mb *m, unsigned v)
{
    u8(m, v >> 8);
    u8(m, v & 0xff);
}

static void be32(struct mb *m, uint32_t v)
{
    be16(m, v >> 16);
    be16(m, v & 0xffff);
}

static void finish(struct mb *m)
{
    m->b[16] = (uint8_t)(m->n >> 8);
    m->b[17] = (uint8_t)m->n;
}

/* OPEN with AS 23456 (AS_TRANS), hold 9, caps: MP ipv4/unicast, MP
 * ipv6/unicast, route refresh, AS4 4200000001. */
static void build_open(struct mb *m, unsigned hold)
{
    start(m, NS_BGP_OPEN);
    u8(m, 4);
    be16(m, 23456);
    be16(m, hold);
    be32(m, 0xc0000201);
    uint8_t caps[] = {1, 4, 0, 1, 0, 1, 1, 4, 0, 2, 0, 1, 2, 0, 65, 4, 0xfa, 0x56, 0xea, 0x01};
    u8(m, 2 + sizeof caps); /* opt param len */
    u8(m, 2);               /* capabilities */
    u8(m, sizeof caps);
    put(m, caps, sizeof caps);
    finish(m);
}

static void test_open(void **state)
{
    (void)state;
    struct mb m;
    build_open(&m, 9);
    struct ns_bgp_msg msg;
    struct ns_error err;
    assert_int_equal(ns_bgp_parse(m.b, m.n, NS_BGP_MAX_LEN, &msg, &err), 0);
    assert_int_equal(msg.type, NS_BGP_OPEN);
    assert_int_equal(msg.len, m.n);
    assert_int_equal(msg.malformed, NS_BGP_MAL_NONE);
    assert_int_equal(msg.u.open.version, 4);
    assert_int_equal(msg.u.open.my_as, 23456);
    assert_int_equal(msg.u.open.asn, 4200000001u);
    assert_int_equal(msg.u.open.hold_time, 9);
    assert_int_equal(msg.u.open.bgp_id, 0xc0000201);
    assert_int_equal(msg.u.open.n_afisafi, 2);
    assert_int_equal(msg.u.open.afisafi[0].afi, 1);
    assert_int_equal(msg.u.open.afisafi[1].afi, 2);
    assert_int_equal(msg.u.open.afisafi[1].safi, 1);
    assert_true(msg.u.open.caps & NS_BGP_CAP_AS4);
    assert_true(msg.u.open.caps & NS_BGP_CAP_ROUTE_REFRESH);
    char nb[64];
    assert_string_equal(ns_bgp_afisafi_name(msg.u.open.afisafi[1], nb, sizeof nb), "ipv6-unicast");

    /* hold time 1 or 2 is an error (RFC 4271 §6.2); 0 is allowed */
    build_open(&m, 2);
    ns_bgp_parse(m.b, m.n, NS_BGP_MAX_LEN, &msg, &err);
    assert_int_equal(msg.malformed, NS_BGP_MAL_HOLD_TIME);
    build_open(&m, 0);
    ns_bgp_parse(m.b, m.n, NS_BGP_MAX_LEN, &msg, &err);
    assert_int_equal(msg.malformed, NS_BGP_MAL_NONE);

    /* every shortening of the capabilities parameter that leaves a
     * capability overrunning it is caught (caps end at 6, 12, 14, 20) */
    build_open(&m, 9);
    for (unsigned cut = 1; cut < 20; cut++) {
        uint8_t *copy = malloc(m.n);
        memcpy(copy, m.b, m.n);
        copy[30] = (uint8_t)(copy[30] - cut); /* capability parameter length */
        ns_bgp_parse(copy, m.n, NS_BGP_MAX_LEN, &msg, &err);
        unsigned left = 20 - cut;
        if (left != 6 && left != 12 && left != 14)
            assert_int_equal(msg.malformed, NS_BGP_MAL_OPEN_CAP);
        free(copy);
    }
    /* opt param len claims more than the message holds */
    m.b[28] = 200;
    ns_bgp_parse(m.b, m.n, NS_BGP_MAX_LEN, &msg, &err);
    assert_int_equal(msg.malformed, NS_BGP_MAL_OPEN_PARAMS);
}

/* RFC 9072: extended optional parameters length. */
static void test_open_extended_params(void **state)
{
    (void)state;
    struct mb m;
    start(&m, NS_BGP_OPEN);
    u8(&m, 4);
    be16(&m, 64501);
    be16(&m, 90);
    be32(&m, 1);
    u8(&m, 255); /* Non-Ext OP Len */
    u8(&m, 255); /* Non-Ext OP Type */
    be16(&m, 3 + 6);
    u8(&m, 2); /* capabilities, 2-octet length */
    be16(&m, 6);
    uint8_t cap[] = {65, 4, 0, 0, 0xfb, 0xf5}; /* AS4 64501 */
    put(&m, cap, sizeof cap);
    finish(&m);
    struct ns_bgp_msg msg;
    assert_int_equal(ns_bgp_parse(m.b, m.n, NS_BGP_MAX_LEN, &msg, NULL), 0);
    assert_int_equal(msg.malformed, NS_BGP_MAL_NONE);
    assert_int_equal(msg.u.open.extended_params, 1);
    assert_int_equal(msg.u.open.asn, 64501);
    assert_int_equal(msg.u.open.hold_time, 90);
}

static void test_header(void **state)
{
    (void)state;
    struct mb m;
    start(&m, NS_BGP_KEEPALIVE);
    finish(&m);
    uint16_t l;
    uint8_t t;
    struct ns_error err;
    assert_int_equal(ns_bgp_header(m.b, m.n, NS_BGP_MAX_LEN, &l, &t, &err), 1);
    assert_int_equal(l, 19);
    assert_int_equal(t, NS_BGP_KEEPALIVE);
    assert_int_equal(ns_bgp_header(m.b, 18, NS_BGP_MAX_LEN, &l, &t, &err), 0);
    /* marker */
    m.b[3] = 0xfe;
    assert_int_equal(ns_bgp_header(m.b, m.n, NS_BGP_MAX_LEN, &l, &t, &err), NS_EFORMAT);
    m.b[3] = 0xff;
    /* KEEPALIVE must be exactly 19 */
    m.b[17] = 20;
    assert_int_equal(ns_bgp_header(m.b, 20, NS_BGP_MAX_LEN, &l, &t, &err), NS_EFORMAT);
    /* below the UPDATE minimum of 23 */
    m.b[18] = NS_BGP_UPDATE;
    m.b[17] = 22;
    assert_int_equal(ns_bgp_header(m.b, 22, NS_BGP_MAX_LEN, &l, &t, &err), NS_EFORMAT);
    /* above 4096 without extended messages, fine with them; never OPEN */
    m.b[16] = 0x20;
    m.b[17] = 0;
    assert_int_equal(ns_bgp_header(m.b, m.n, NS_BGP_MAX_LEN, &l, &t, &err), NS_EFORMAT);
    assert_int_equal(ns_bgp_header(m.b, m.n, NS_BGP_EXT_MAX_LEN, &l, &t, &err), 1);
    assert_int_equal(l, 0x2000);
    m.b[18] = NS_BGP_OPEN;
    assert_int_equal(ns_bgp_header(m.b, m.n, NS_BGP_EXT_MAX_LEN, &l, &t, &err), NS_EFORMAT);
    /* parse says truncated when the buffer is shorter than the length */
    struct ns_bgp_msg msg;
    build_open(&m, 9);
    assert_int_equal(ns_bgp_parse(m.b, m.n - 1, NS_BGP_MAX_LEN, &msg, &err), NS_ETRUNC);
}

static void test_update(void **state)
{
    (void)state;
    struct mb m;
    start(&m, NS_BGP_UPDATE);
    /* withdrawn: 10.0.0.0/8, 192.0.2.0/24 */
    uint8_t wd[] = {8, 10, 24, 192, 0, 2};
    be16(&m, sizeof wd);
    put(&m, wd, sizeof wd);
    /* attributes: ORIGIN, COMMUNITIES {64500:1, 65535:0}, MP_REACH ipv6
     * unicast with one /48, MP_UNREACH ipv6 unicast with one /32 */
    uint8_t attrs[] = {
        0x40, 1,    1,    0,                                        /* ORIGIN IGP */
        0xc0, 8,    8,    0xfb, 0xf4, 0,    1,    0xff, 0xff, 0, 0, /* COMMUNITIES */
        0x90, 14,   0,    22,   0,    2,    1,    16,               /* MP_REACH, ext length */
        0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,    0,    0,    0, 0,
        0,    0,    0,    0,    1,    0, /* nh, res */
        48,   0x20, 0x01, 0x0d, 0xb8, 0xa1, 0x00, 0x80, 15,   8, 0,
        2,    1,    32,   0x20, 0x01, 0x0d, 0xb8, /* MP_UNREACH */
    };
    /* fix the MP_REACH length: everything from AFI to the end of its NLRI */
    attrs[18] = 2 + 1 + 1 + 16 + 1 + 7;
    be16(&m, sizeof attrs);
    put(&m, attrs, sizeof attrs);
    uint8_t nlri[] = {32, 198, 51, 100, 1};
    put(&m, nlri, sizeof nlri);
    finish(&m);

    struct ns_bgp_msg msg;
    assert_int_equal(ns_bgp_parse(m.b, m.n, NS_BGP_MAX_LEN, &msg, NULL), 0);
    assert_int_equal(msg.malformed, NS_BGP_MAL_NONE);
    const struct ns_bgp_update *u = &msg.u.update;
    assert_int_equal(u->v4_withdrawn, 2);
    assert_int_equal(u->v4_announced, 1);
    assert_int_equal(u->n_attrs, 4);
    assert_int_equal(u->n_communities, 2);
    assert_true(u->graceful_shutdown);
    assert_int_equal(u->mp_reach_afi, 2);
    assert_int_equal(u->mp_reach_safi, 1);
    assert_int_equal(u->mp_announced, 1);
    assert_int_equal(u->mp_unreach_afi, 2);
    assert_int_equal(u->mp_withdrawn, 1);
    assert_false(u->end_of_rib);

    /* no GRACEFUL_SHUTDOWN when 65535:0 is not there (65535:1 is not it) */
    size_t gs = 19 + 2 + sizeof wd + 2 + 4 + 3 + 4 + 3;
    assert_int_equal(m.b[gs], 0);
    m.b[gs] = 1;
    ns_bgp_parse(m.b, m.n, NS_BGP_MAX_LEN, &msg, NULL);
    assert_false(msg.u.update.graceful_shutdown);

    /* an attribute length that overruns the attributes */
    m.b[19 + 2 + sizeof wd + 2 + 2] = 200;
    ns_bgp_parse(m.b, m.n, NS_BGP_MAX_LEN, &msg, NULL);
    assert_int_equal(msg.malformed, NS_BGP_MAL_UPD_ATTR);
    /* withdrawn length that overruns the message */
    m.b[20] = 200;
    ns_bgp_parse(m.b, m.n, NS_BGP_MAX_LEN, &msg, NULL);
    assert_int_equal(msg.malformed, NS_BGP_MAL_UPD_WITHDRAWN);

    /* End-of-RIB, IPv4 and MP (RFC 4724 §2) */
    start(&m, NS_BGP_UPDATE);
    be16(&m, 0);
    be16(&m, 0);
    finish(&m);
    ns_bgp_parse(m.b, m.n, NS_BGP_MAX_LEN, &msg, NULL);
    assert_true(msg.u.update.end_of_rib);
    start(&m, NS_BGP_UPDATE);
    be16(&m, 0);
    be16(&m, 6);
    uint8_t eor6[] = {0x80, 15, 3, 0, 2, 1};
    put(&m, eor6, sizeof eor6);
    finish(&m);
    ns_bgp_parse(m.b, m.n, NS_BGP_MAX_LEN, &msg, NULL);
    assert_int_equal(msg.malformed, NS_BGP_MAL_NONE);
    assert_true(msg.u.update.end_of_rib);
    assert_int_equal(msg.u.update.mp_unreach_afi, 2);
}

static void test_notification(void **state)
{
    (void)state;
    const char *text = "maintenance, back at 14:00 UTC \xe2\x9c\x93";
    struct mb m;
    start(&m, NS_BGP_NOTIFICATION);
    u8(&m, 6);
    u8(&m, 2);
    u8(&m, (unsigned)strlen(text));
    put(&m, text, strlen(text));
    finish(&m);
    struct ns_bgp_msg msg;
    assert_int_equal(ns_bgp_parse(m.b, m.n, NS_BGP_MAX_LEN, &msg, NULL), 0);
    assert_int_equal(msg.malformed, NS_BGP_MAL_NONE);
    assert_int_equal(msg.u.notif.code, 6);
    assert_int_equal(msg.u.notif.subcode, 2);
    assert_true(msg.u.notif.has_text);
    assert_string_equal(msg.u.notif.text, text);
    char nb[96];
    assert_string_equal(ns_bgp_notification_name(6, 2, nb, sizeof nb),
                        "Cease/Administrative Shutdown");
    assert_string_equal(ns_bgp_notification_name(4, 0, nb, sizeof nb), "Hold Timer Expired");
    assert_string_equal(ns_bgp_notification_name(99, 1, nb, sizeof nb), "error 99/1");

    /* the length octet claims more than the message carries */
    m.b[21] = (uint8_t)(strlen(text) + 1);
    ns_bgp_parse(m.b, m.n, NS_BGP_MAX_LEN, &msg, NULL);
    assert_int_equal(msg.malformed, NS_BGP_MAL_SHUTDOWN_TEXT);
    assert_false(msg.u.notif.has_text);

    /* RFC 9003: up to 255 octets */
    start(&m, NS_BGP_NOTIFICATION);
    u8(&m, 6);
    u8(&m, 4);
    u8(&m, 255);
    for (int i = 0; i < 255; i++)
        u8(&m, 'a' + i % 26);
    finish(&m);
    ns_bgp_parse(m.b, m.n, NS_BGP_MAX_LEN, &msg, NULL);
    assert_int_equal(msg.u.notif.text_len, 255);
    assert_int_equal(strlen(msg.u.notif.text), 255);

    /* Hold Timer Expired carries no text */
    start(&m, NS_BGP_NOTIFICATION);
    u8(&m, 4);
    u8(&m, 0);
    finish(&m);
    ns_bgp_parse(m.b, m.n, NS_BGP_MAX_LEN, &msg, NULL);
    assert_int_equal(msg.u.notif.code, NS_BGP_ERR_HOLD_EXPIRED);
    assert_false(msg.u.notif.has_text);
}

/* Random bytes behind a valid header never read outside the message (run
 * under ASan: each message is copied into a block of exactly its size). */
static void test_random_bodies(void **state)
{
    (void)state;
    srand(7);
    for (int i = 0; i < 20000; i++) {
        size_t n = 19 + (size_t)(rand() % 200);
        uint8_t *b = malloc(n);
        memset(b, 0xff, 16);
        b[16] = (uint8_t)(n >> 8);
        b[17] = (uint8_t)n;
        b[18] = (uint8_t)(1 + rand() % 5);
        for (size_t k = 19; k < n; k++)
            b[k] = (uint8_t)(rand() % 4 ? rand() : (rand() % 8));
        struct ns_bgp_msg msg;
        int rc = ns_bgp_parse(b, n, NS_BGP_MAX_LEN, &msg, NULL);
        assert_true(rc == 0 || rc == NS_EFORMAT);
        assert_true((unsigned)msg.malformed < NS_BGP_MAL__COUNT);
        free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open),         cmocka_unit_test(test_open_extended_params),
        cmocka_unit_test(test_header),       cmocka_unit_test(test_update),
        cmocka_unit_test(test_notification), cmocka_unit_test(test_random_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
