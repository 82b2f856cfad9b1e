#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "ipfix/msg.h"

static void encode_exact_bytes(void **state)
{
    uint8_t buf[256];
    struct ns_msg_enc e;
    assert_int_equal(ns_msg_enc_begin(&e, buf, sizeof buf, 7, 42, NULL), 0);
    struct ns_field_spec f[2] = {{0, 8, 4}, {32473, 1, 8}};
    assert_int_equal(ns_msg_enc_set_open(&e, NS_SET_TEMPLATE, 0), 0);
    assert_int_equal(ns_msg_enc_template(&e, 256, f, 2, 0), 0);
    assert_int_equal(ns_msg_enc_set_open(&e, 256, 12), 0);
    uint8_t *p = ns_msg_enc_reserve(&e, 12);
    assert_non_null(p);
    memcpy(p, "\x0a\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x05", 12);
    size_t n = ns_msg_enc_finish(&e, 1000);
    static const uint8_t want[] = {
        0x00, 0x0a, 0x00, 0x34, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x2a,
        0x00, 0x00, 0x00, 0x07,                         /* header: len 52, t 1000, seq 42, od 7 */
        0x00, 0x02, 0x00, 0x14, 0x01, 0x00, 0x00, 0x02, /* template set, len 20, tid 256, 2 f */
        0x00, 0x08, 0x00, 0x04,                         /* sourceIPv4Address/4 */
        0x80, 0x01, 0x00, 0x08, 0x00, 0x00, 0x7e, 0xd9, /* E|1/8, PEN 32473 */
        0x01, 0x00, 0x00, 0x10,                         /* data set 256, len 16 */
        0x0a, 0x00, 0x00, 0x01, 0,    0,    0,    0,    0,    0,    0,    5};
    assert_int_equal(n, sizeof want);
    assert_memory_equal(buf, want, sizeof want);

    /* and decode it back */
    struct ns_msg_hdr h;
    struct ns_set_iter it;
    struct ns_set s;
    struct ns_error err;
    assert_int_equal(ns_msg_parse(buf, n, &h, &it, &err), 0);
    assert_int_equal(h.length, 52);
    assert_int_equal(h.export_time, 1000);
    assert_int_equal(h.seq, 42);
    assert_int_equal(h.obs_domain, 7);
    assert_int_equal(ns_set_next(&it, &s, &err), 1);
    assert_int_equal(s.id, 2);
    struct ns_tmpl_iter ti;
    struct ns_tmpl_rec tr;
    struct ns_field_spec got[4];
    ns_tmpl_iter_init(&ti, &s);
    assert_int_equal(ns_tmpl_next(&ti, &tr, got, 4, &err), 1);
    assert_int_equal(tr.tid, 256);
    assert_int_equal(tr.nfields, 2);
    assert_int_equal(got[1].pen, 32473);
    assert_int_equal(got[1].id, 1);
    assert_int_equal(got[1].len, 8);
    assert_int_equal(ns_tmpl_next(&ti, &tr, got, 4, &err), 0);
    assert_int_equal(ns_set_next(&it, &s, &err), 1);
    assert_int_equal(s.id, 256);
    assert_int_equal(s.len, 12);
    assert_int_equal(s.offset, 36);
    assert_int_equal(ns_set_next(&it, &s, &err), 0);
}

static void options_and_withdrawal(void **state)
{
    uint8_t buf[128];
    struct ns_msg_enc e;
    struct ns_field_spec f[2] = {{0, 149, 4}, {0, 41, 8}};
    ns_msg_enc_begin(&e, buf, sizeof buf, 1, 0, NULL);
    assert_int_equal(ns_msg_enc_set_open(&e, NS_SET_OPTIONS_TEMPLATE, 0), 0);
    assert_int_equal(ns_msg_enc_template(&e, 300, f, 2, 1), 0);
    assert_int_equal(ns_msg_enc_withdraw(&e, 301), 0);
    assert_int_equal(ns_msg_enc_set_open(&e, NS_SET_TEMPLATE, 0), 0);
    assert_int_equal(ns_msg_enc_withdraw(&e, NS_SET_TEMPLATE), 0); /* withdraw all */
    size_t n = ns_msg_enc_finish(&e, 0);
    struct ns_msg_hdr h;
    struct ns_set_iter it;
    struct ns_set s;
    struct ns_tmpl_iter ti;
    struct ns_tmpl_rec tr;
    struct ns_field_spec got[4];
    assert_int_equal(ns_msg_parse(buf, n, &h, &it, NULL), 0);
    assert_int_equal(ns_set_next(&it, &s, NULL), 1);
    ns_tmpl_iter_init(&ti, &s);
    assert_int_equal(ns_tmpl_next(&ti, &tr, got, 4, NULL), 1);
    assert_int_equal(tr.scope_count, 1);
    assert_int_equal(tr.options, 1);
    assert_int_equal(got[0].id, 149);
    assert_int_equal(ns_tmpl_next(&ti, &tr, got, 4, NULL), 1);
    assert_int_equal(tr.withdraw, 1);
    assert_int_equal(tr.tid, 301);
    assert_int_equal(ns_tmpl_next(&ti, &tr, got, 4, NULL), 0);
    assert_int_equal(ns_set_next(&it, &s, NULL), 1);
    ns_tmpl_iter_init(&ti, &s);
    assert_int_equal(ns_tmpl_next(&ti, &tr, got, 4, NULL), 1);
    assert_int_equal(tr.withdraw, 1);
    assert_int_equal(tr.tid, 2);
    /* too many fields for the caller's array: skipped, iteration goes on */
    ns_msg_enc_begin(&e, buf, sizeof buf, 1, 0, NULL);
    ns_msg_enc_set_open(&e, NS_SET_TEMPLATE, 0);
    ns_msg_enc_template(&e, 400, f, 2, 0);
    ns_msg_enc_template(&e, 401, f, 1, 0);
    n = ns_msg_enc_finish(&e, 0);
    ns_msg_parse(buf, n, &h, &it, NULL);
    ns_set_next(&it, &s, NULL);
    ns_tmpl_iter_init(&ti, &s);
    assert_int_equal(ns_tmpl_next(&ti, &tr, got, 1, NULL), NS_EFULL);
    assert_int_equal(ns_tmpl_next(&ti, &tr, got, 1, NULL), 1);
    assert_int_equal(tr.tid, 401);
}

static void encoder_full(void **state)
{
    uint8_t buf[40];
    struct ns_msg_enc e;
    assert_int_equal(ns_msg_enc_begin(&e, buf, 19, 0, 0, NULL), NS_EINVAL);
    assert_int_equal(ns_msg_enc_begin(&e, buf, sizeof buf, 0, 0, NULL), 0);
    assert_int_equal(ns_msg_enc_set_open(&e, 256, 20), 0);
    assert_non_null(ns_msg_enc_reserve(&e, 20));
    assert_null(ns_msg_enc_reserve(&e, 1));
    assert_int_equal(ns_msg_enc_set_open(&e, 257, 0), NS_EFULL);
    assert_int_equal(ns_msg_enc_finish(&e, 0), 40);
    /* empty sets are dropped */
    ns_msg_enc_begin(&e, buf, sizeof buf, 0, 0, NULL);
    ns_msg_enc_set_open(&e, 256, 0);
    assert_int_equal(ns_msg_enc_finish(&e, 0), 16);
}

static void varlen(void **state)
{
    uint8_t src[70000], dst[70010];
    size_t n;
    memset(src, 0xab, sizeof src);
    assert_int_equal(ns_varlen_put(dst, sizeof dst, src, 0), 1);
    assert_int_equal(ns_varlen_get(dst, 1, &n), 1);
    assert_int_equal(n, 0);
    assert_int_equal(ns_varlen_put(dst, sizeof dst, src, 254), 255);
    assert_int_equal(dst[0], 254);
    assert_int_equal(ns_varlen_put(dst, sizeof dst, src, 255), 258);
    assert_int_equal(dst[0], 255);
    assert_int_equal(ns_varlen_get(dst, 3, &n), 3);
    assert_int_equal(n, 255);
    assert_int_equal(ns_varlen_put(dst, sizeof dst, src, 65535), 65538);
    assert_int_equal(ns_varlen_get(dst, 3, &n), 3);
    assert_int_equal(n, 65535);
    assert_int_equal(ns_varlen_put(dst, sizeof dst, src, 65536), 0);
    assert_int_equal(ns_varlen_put(dst, 10, src, 10), 0);
    assert_int_equal(ns_varlen_get(dst, 2, &n), 0); /* 255 + truncated length */
    assert_int_equal(ns_varlen_get(dst, 0, &n), 0);
}

/* Build a message from raw set bytes (header length = 16 + n unless lied). */
static size_t mk(uint8_t *buf, const uint8_t *sets, size_t n, int len_delta)
{
    buf[0] = 0;
    buf[1] = 10;
    size_t len = 16 + n + len_delta;
    buf[2] = (uint8_t)(len >> 8);
    buf[3] = (uint8_t)len;
    memset(buf + 4, 0, 12);
    memcpy(buf + 16, sets, n);
    return 16 + n;
}

/* Parse all sets and templates; return the first error (or 0). */
static int parse_all(const uint8_t *buf, size_t n, struct ns_error *err)
{
    struct ns_msg_hdr h;
    struct ns_set_iter it;
    struct ns_set s;
    int rc = ns_msg_parse(buf, n, &h, &it, err);
    if (rc < 0)
        return rc;
    while ((rc = ns_set_next(&it, &s, err)) > 0) {
        if (s.id != 2 && s.id != 3)
            continue;
        struct ns_tmpl_iter ti;
        struct ns_tmpl_rec tr;
        struct ns_field_spec f[8];
        ns_tmpl_iter_init(&ti, &s);
        while ((rc = ns_tmpl_next(&ti, &tr, f, 8, err)) > 0)
            ;
        if (rc < 0)
            return rc;
    }
    return rc;
}

static void rejects_malformed(void **state)
{
    uint8_t buf[256];
    struct ns_error err;
    size_t n;
    static const uint8_t ok_tmpl[] = {0, 2, 0, 12, 1, 0, 0, 1, 0, 8, 0, 4};

    n = mk(buf, ok_tmpl, sizeof ok_tmpl, 0);
    assert_int_equal(parse_all(buf, n, &err), 0);
    /* message length lies: longer than the buffer */
    n = mk(buf, ok_tmpl, sizeof ok_tmpl, 1);
    assert_int_equal(parse_all(buf, n, &err), NS_ETRUNC);
    assert_non_null(strstr(err.msg, "exceeds"));
    /* length < 16 */
    n = mk(buf, ok_tmpl, sizeof ok_tmpl, -(int)sizeof ok_tmpl - 1);
    assert_int_equal(parse_all(buf, n, &err), NS_EFORMAT);
    /* NetFlow v9 */
    n = mk(buf, ok_tmpl, sizeof ok_tmpl, 0);
    buf[1] = 9;
    assert_int_equal(parse_all(buf, n, &err), NS_EFORMAT);
    /* header truncated */
    assert_int_equal(parse_all(buf, 10, &err), NS_ETRUNC);
    /* zero set length */
    static const uint8_t zero_len[] = {1, 0, 0, 0, 0, 0, 0, 0};
    n = mk(buf, zero_len, sizeof zero_len, 0);
    assert_int_equal(parse_all(buf, n, &err), NS_EFORMAT);
    assert_non_null(strstr(err.msg, "offset 16"));
    /* set length beyond the message */
    static const uint8_t long_set[] = {1, 0, 0, 40, 0, 0, 0, 0};
    n = mk(buf, long_set, sizeof long_set, 0);
    assert_int_equal(parse_all(buf, n, &err), NS_EFORMAT);
    /* stray octets after the last set */
    static const uint8_t stray[] = {1, 0, 0, 4, 0, 0};
    n = mk(buf, stray, sizeof stray, 0);
    assert_int_equal(parse_all(buf, n, &err), NS_EFORMAT);
    /* set id 1 */
    static const uint8_t id1[] = {0, 1, 0, 4};
    n = mk(buf, id1, sizeof id1, 0);
    assert_int_equal(parse_all(buf, n, &err), NS_EFORMAT);
    /* template field count overflows the set */
    static const uint8_t count_of[] = {0, 2, 0, 12, 1, 0, 0xff, 0xff, 0, 8, 0, 4};
    n = mk(buf, count_of, sizeof count_of, 0);
    assert_int_equal(parse_all(buf, n, &err), NS_EFORMAT);
    assert_non_null(strstr(err.msg, "65535 fields"));
    /* enterprise bit but no room for the PEN */
    static const uint8_t pen_trunc[] = {0, 2, 0, 12, 1, 0, 0, 1, 0x80, 8, 0, 4};
    n = mk(buf, pen_trunc, sizeof pen_trunc, 0);
    assert_int_equal(parse_all(buf, n, &err), NS_EFORMAT);
    /* second field truncated (count 2, 1.5 fields of bytes) */
    static const uint8_t f_trunc[] = {0, 2, 0, 16, 1, 0, 0, 2, 0x80, 8, 0, 4, 0, 0, 0, 9};
    n = mk(buf, f_trunc, sizeof f_trunc, 0);
    assert_int_equal(parse_all(buf, n, &err), NS_EFORMAT);
    /* template id < 256 */
    static const uint8_t low_tid[] = {0, 2, 0, 12, 0, 5, 0, 1, 0, 8, 0, 4};
    n = mk(buf, low_tid, sizeof low_tid, 0);
    assert_int_equal(parse_all(buf, n, &err), NS_EFORMAT);
    /* withdrawal of an invalid id */
    static const uint8_t bad_wd[] = {0, 2, 0, 8, 0, 7, 0, 0};
    n = mk(buf, bad_wd, sizeof bad_wd, 0);
    assert_int_equal(parse_all(buf, n, &err), NS_EFORMAT);
    /* options template with scope count 0, and scope > fields */
    static const uint8_t scope0[] = {0, 3, 0, 14, 1, 0, 0, 1, 0, 0, 0, 8, 0, 4};
    n = mk(buf, scope0, sizeof scope0, 0);
    assert_int_equal(parse_all(buf, n, &err), NS_EFORMAT);
    static const uint8_t scope2[] = {0, 3, 0, 14, 1, 0, 0, 1, 0, 2, 0, 8, 0, 4};
    n = mk(buf, scope2, sizeof scope2, 0);
    assert_int_equal(parse_all(buf, n, &err), NS_EFORMAT);
    /* padding after a template record is accepted (3 octets, and longer zeros) */
    static const uint8_t pad3[] = {0, 2, 0, 15, 1, 0, 0, 1, 0, 8, 0, 4, 0, 0, 0};
    n = mk(buf, pad3, sizeof pad3, 0);
    assert_int_equal(parse_all(buf, n, &err), 0);
    static const uint8_t pad6[] = {0, 2, 0, 18, 1, 0, 0, 1, 0, 8, 0, 4, 0, 0, 0, 0, 0, 0};
    n = mk(buf, pad6, sizeof pad6, 0);
    assert_int_equal(parse_all(buf, n, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encode_exact_bytes), cmocka_unit_test(options_and_withdrawal),
        cmocka_unit_test(encoder_full),       cmocka_unit_test(varlen),
        cmocka_unit_test(rejects_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
