/*
 * PSAMP reporting (src/report): the byte layout of a packet report and of
 * the interpretation records (RFC 5476 §6.4/§6.5, RFC 5477), checked field
 * by field against a hand-made IPv4/TCP frame; a round trip through an
 * IPFIX file and the PSAMP reader; a keyed hash's key never written; the
 * estimator's R = (n-1)/(s_n-s_1); the field syntax; the message
 * builder's raw templates (variable-length records, one_per_msg); and the
 * IPFIX decoder handing PSAMP records over whole (raw_want).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipfix/be.h"
#include "ipfix/decode.h"
#include "ipfix/file.h"
#include "ipfix/msgbuild.h"
#include "ipfix/ntp.h"
#include "report/reader.h"
#include "report/report.h"
#include "select/select.h"

/* ---- an output that keeps what it is given ---- */

struct mem_out {
    int ntmpl;
    struct {
        uint16_t tid, scope, n;
        struct ns_field_spec f[64];
    } t[32];
    int nrec;
    struct {
        int idx;
        size_t len;
        uint8_t b[2048];
    } r[64];
};

static int mem_reg(void *ctx, uint16_t tid, uint16_t scope, const struct ns_field_spec *f,
                   uint16_t n, struct ns_error *err)
{
    (void)err;
    struct mem_out *m = ctx;
    m->t[m->ntmpl].tid = tid;
    m->t[m->ntmpl].scope = scope;
    m->t[m->ntmpl].n = n;
    memcpy(m->t[m->ntmpl].f, f, n * sizeof *f);
    return m->ntmpl++;
}

static int mem_add(void *ctx, int idx, const uint8_t *rec, size_t len, uint32_t t,
                   struct ns_error *err)
{
    (void)t;
    (void)err;
    struct mem_out *m = ctx;
    if (m->nrec < 64 && len <= sizeof m->r[0].b) {
        m->r[m->nrec].idx = idx;
        m->r[m->nrec].len = len;
        memcpy(m->r[m->nrec].b, rec, len);
        m->nrec++;
    }
    return NS_OK;
}

/* Ethernet + IPv4 (ttl 57, id 0x1234, 10.0.0.1 > 192.0.2.7) + TCP 40000 > 443 SYN */
static size_t tcp_frame(uint8_t *f)
{
    static const uint8_t fr[] =
        {
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99,
            0xaa, 0xbb, 0x08, 0x00, /* eth */
            0x45, 0x00, 0x00, 0x28, 0x12, 0x34, 0x40, 0x00, 0x39, 0x06,
            0x00, 0x00, 10,   0,    0,    1,    192,  0,    2,    7, /* ip */
            0x9c, 0x40, 0x01, 0xbb, 0,    0,    0,    1,    0,    0,
            0,    0,    0x50, 0x02, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00 /* tcp */
        };
    memcpy(f, fr, sizeof fr);
    return sizeof fr;
}

static struct ns_sel_chain *chain_of(const char *a, const char *b)
{
    struct ns_sel_chain *c;
    struct ns_error err;
    assert_int_equal(ns_sel_chain_create(&c, &err), 0);
    assert_int_equal(ns_sel_chain_add_spec(c, a, &err), 0);
    if (b)
        assert_int_equal(ns_sel_chain_add_spec(c, b, &err), 0);
    return c;
}

/* Run n copies of the frame through chain and report, times 1 ms apart. */
static int feed(struct ns_sel_chain *c, struct ns_report *r, int n, uint64_t t0)
{
    uint8_t f[128];
    size_t len = tcp_frame(f);
    int sel = 0;
    for (int i = 0; i < n; i++) {
        struct ns_pkt p;
        memset(&p, 0, sizeof p);
        p.ts_ns = t0 + (uint64_t)i * 1000000u;
        p.caplen = p.wirelen = (uint32_t)len;
        int decoded = 0;
        struct ns_sel_verdict v;
        if (!ns_sel_chain_run(c, &p, f, 1 /* DLT_EN10MB */, &decoded, &v))
            continue;
        struct ns_error err;
        assert_int_equal(ns_report_packet(r, &p, f, 1, &decoded, &v, &err), 0);
        sel++;
    }
    return sel;
}

static void test_report_layout(void **state)
{
    (void)state;
    struct ns_sel_chain *c = chain_of("count:1/2", NULL);
    struct ns_report_config cfg;
    ns_report_config_default(&cfg);
    struct ns_error err;
    assert_int_equal(ns_report_parse_fields("seq,timens,addr,ports,proto,len,ttl,ipid,tcpflags,"
                                            "ipsection=30",
                                            &cfg, &err),
                     0);
    cfg.ssid = 7;
    struct mem_out m = {0};
    struct ns_report_out o = {mem_reg, mem_add, &m};
    struct ns_report *r;
    assert_int_equal(ns_report_new(&r, &cfg, c, &o, 1, &err), 0);
    /* v4, v6, no-IP reports, sequence, statistics, one selector */
    assert_int_equal(m.ntmpl, 6);
    assert_int_equal(m.t[0].tid, NS_REPORT_TID_BASE + NS_REPORT_TID_V4);
    assert_int_equal(m.t[0].scope, 0);
    assert_int_equal(m.t[3].scope, 1);
    static const uint16_t v4ids[] = {301, 302, 318, 319, 325, 8,   12,  7,  11,
                                     4,   224, 192, 54,  6,   409, 410, 313};
    assert_int_equal(m.t[0].n, sizeof v4ids / sizeof v4ids[0]);
    for (size_t i = 0; i < sizeof v4ids / sizeof v4ids[0]; i++)
        assert_int_equal(m.t[0].f[i].id, v4ids[i]);
    assert_int_equal(m.t[0].f[16].len, NS_VARLEN);

    uint64_t t0 = 1700000000ull * 1000000000u + 123456789u;
    assert_int_equal(feed(c, r, 3, t0), 2); /* packets 1 and 3 */
    /* records: configuration + statistics before the first report */
    int first = -1;
    for (int i = 0; i < m.nrec; i++)
        if (m.r[i].idx == 0 && first < 0)
            first = i;
    assert_true(first >= 0);
    const uint8_t *b = m.r[first].b;
    assert_int_equal(ns_be64(b), 7);                     /* selectionSequenceId */
    assert_int_equal(ns_be64(b + 8), 1);                 /* selectorId */
    assert_int_equal(ns_be64(b + 16), 1);                /* input sequence number */
    assert_int_equal(ns_be64(b + 24), 1);                /* selected so far */
    assert_int_equal(ns_ntp_to_ns(ns_be64(b + 32)), t0); /* observationTimeNanoseconds */
    assert_memory_equal(b + 40, "\x0a\x00\x00\x01", 4);  /* sourceIPv4Address */
    assert_memory_equal(b + 44, "\xc0\x00\x02\x07", 4);  /* destinationIPv4Address */
    assert_int_equal(ns_be16(b + 48), 40000);            /* sourceTransportPort */
    assert_int_equal(ns_be16(b + 50), 443);              /* destinationTransportPort */
    assert_int_equal(b[52], 6);                          /* protocolIdentifier */
    assert_int_equal(ns_be32(b + 53), 40);               /* ipTotalLength */
    assert_int_equal(b[57], 57);                         /* ipTTL */
    assert_int_equal(ns_be32(b + 58), 0x1234);           /* fragmentIdentification */
    assert_int_equal(ns_be16(b + 62), 0x02);             /* tcpControlBits: SYN */
    assert_int_equal(ns_be16(b + 64), 0);                /* sectionOffset */
    assert_int_equal(ns_be16(b + 66), 30);               /* sectionExportedOctets */
    assert_int_equal(b[68], 30);                         /* varlen header */
    assert_int_equal(b[69], 0x45);                       /* the IP header */
    assert_int_equal(m.r[first].len, 69 + 30);
    /* the second report: input sequence number 3, selected 2 */
    int second = -1;
    for (int i = first + 1; i < m.nrec; i++)
        if (m.r[i].idx == 0 && second < 0)
            second = i;
    assert_true(second > 0);
    assert_int_equal(ns_be64(m.r[second].b + 16), 3);
    assert_int_equal(ns_be64(m.r[second].b + 24), 2);

    /* the selector interpretation: count 1/2 → interval 1, space 1 */
    int sel = -1;
    for (int i = 0; i < m.nrec; i++)
        if (m.r[i].idx == 5 && sel < 0)
            sel = i;
    assert_true(sel >= 0);
    b = m.r[sel].b;
    assert_int_equal(ns_be64(b), 1);     /* selectorId */
    assert_int_equal(ns_be16(b + 8), 1); /* selectorAlgorithm: systematic count-based */
    assert_int_equal(ns_be32(b + 10), 1);
    assert_int_equal(ns_be32(b + 14), 1);
    assert_int_equal(b[18], strlen("count:1/2"));
    assert_memory_equal(b + 19, "count:1/2", 9);

    struct ns_report_stats st;
    ns_report_get_stats(r, &st);
    assert_int_equal(st.reports, 2);
    ns_report_free(r);
    ns_sel_chain_free(c);
}

static void test_report_roundtrip(void **state)
{
    (void)state;
    char path[] = "/tmp/ns_test_report_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct ns_error err;
    struct ns_ipfix_writer *w;
    assert_int_equal(ns_ipfix_writer_open(&w, path, NULL, &err), 0);
    struct ns_sel_chain *c =
        chain_of("count:1/1", "hash:sip,range=0-4294967295,key=0123456789abcdeffedcba9876543210");
    struct ns_report_config cfg;
    ns_report_config_default(&cfg);
    assert_int_equal(ns_report_parse_fields("default,digest,l2section=20", &cfg, &err), 0);
    struct ns_report_out o;
    ns_report_out_writer(&o, w);
    struct ns_report *r;
    assert_int_equal(ns_report_new(&r, &cfg, c, &o, 1, &err), 0);
    assert_int_equal(feed(c, r, 5, 1700000000ull * 1000000000u), 5);
    assert_int_equal(ns_report_finish(r, &err), 0);
    ns_report_free(r);
    assert_int_equal(ns_ipfix_writer_close(w, &err), 0);

    /* the key is nowhere in the file */
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static uint8_t buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    static const uint8_t key[] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
    for (size_t i = 0; i + sizeof key <= n; i++)
        assert_false(memcmp(buf + i, key, sizeof key) == 0);

    struct ns_psamp_reader *rd;
    assert_int_equal(ns_psamp_reader_open(&rd, path, &err), 0);
    struct ns_psamp_item it;
    int reports = 0, sels = 0, stats = 0, seqs = 0, rc;
    struct ns_psamp_est est;
    ns_psamp_est_init(&est);
    while ((rc = ns_psamp_reader_next(rd, &it, &err)) > 0) {
        ns_psamp_est_add(&est, &it);
        switch (it.kind) {
        case NS_PSAMP_REPORT:
            reports++;
            assert_int_equal(it.ssid, 1);
            assert_int_equal(it.nsel, 2);
            assert_int_equal(it.observed[0], (uint64_t)reports);
            assert_true(it.has & NS_PH_DIGEST);
            assert_int_equal(it.ip_version, 4);
            assert_int_equal(it.sport, 40000);
            assert_true(it.sect_l2);
            assert_int_equal(it.sect_len, 20);
            assert_int_equal(it.sect[12], 0x08); /* the ethertype: a frame section */
            break;
        case NS_PSAMP_SELECTOR:
            sels++;
            if (it.selector_id == 2) {
                assert_int_equal(it.algorithm, 0); /* keyed hash: no IANA code */
                assert_int_equal(it.hash_init, 0);
                assert_int_equal(it.nranges, 1);
                assert_int_equal(it.range_max[0], 4294967295u);
                assert_int_equal(it.digest_output, 1);
                assert_non_null(strstr(it.name, "key=(given)"));
            }
            break;
        case NS_PSAMP_STATS:
            stats++;
            assert_int_equal(it.nsel, 2);
            break;
        case NS_PSAMP_SEQ:
            seqs++;
            assert_int_equal(it.nsel, 2);
            assert_int_equal(it.sel_id[1], 2);
            break;
        }
    }
    assert_int_equal(rc, 0);
    assert_int_equal(reports, 5);
    assert_int_equal(sels, 4); /* two selectors, at the start and at the end */
    assert_int_equal(stats, 2);
    assert_int_equal(seqs, 2);
    ns_psamp_est_finish(&est);
    assert_int_equal(est.n, 1);
    assert_true(fabs(est.s[0].R - 1.0) < 1e-12);
    assert_int_equal(est.s[0].stat_observed, 5);
    ns_psamp_reader_close(rd);
    ns_sel_chain_free(c);
    unlink(path);
}

static void test_estimate(void **state)
{
    (void)state;
    struct ns_psamp_est e;
    ns_psamp_est_init(&e);
    struct ns_psamp_item it;
    memset(&it, 0, sizeof it);
    it.kind = NS_PSAMP_REPORT;
    it.has = NS_PH_SEQ | NS_PH_IPLEN | NS_PH_SSID;
    it.nsel = 1;
    it.ssid = 3;
    for (int i = 0; i < 101; i++) { /* 1 in 20: s = 5, 25, ..., 2005 */
        it.observed[0] = 5 + 20u * (uint64_t)i;
        it.ip_len = 100;
        ns_psamp_est_add(&e, &it);
    }
    /* a report without input sequence numbers goes to its own pool */
    it.has = NS_PH_SSID;
    it.ssid = 99;
    ns_psamp_est_add(&e, &it);
    ns_psamp_est_finish(&e);
    assert_int_equal(e.n, 2);
    assert_true(fabs(e.s[0].R - 0.05) < 1e-12); /* (101-1)/(2005-5) */
    assert_true(fabs(e.s[0].packets - 2020) < 1e-6);
    assert_true(fabs(e.s[0].octets - 202000) < 1e-6);
    /* sqrt((1-R) n)/R */
    assert_true(fabs(e.s[0].packets_se - sqrt(0.95 * 101) / 0.05) < 1e-6);
    assert_false(e.s[1].sequenced);
    assert_int_equal(e.s[1].n, 1);
}

static void test_fields_syntax(void **state)
{
    (void)state;
    struct ns_report_config c;
    struct ns_error err;
    ns_report_config_default(&c);
    assert_int_equal(c.fields & NS_RF_IPSECTION, NS_RF_IPSECTION);
    assert_int_equal(c.section_bytes, 64);
    assert_int_equal(ns_report_parse_fields("seq,l2section=128", &c, &err), 0);
    assert_int_equal(c.fields, NS_RF_SEQ | NS_RF_L2SECTION);
    assert_int_equal(c.section_bytes, 128);
    assert_int_equal(ns_report_parse_fields("seq,bogus", &c, &err), NS_EINVAL);
    assert_non_null(strstr(err.msg, "bogus"));
    assert_int_equal(ns_report_parse_fields("ipsection=0", &c, &err), NS_EINVAL);
    assert_int_equal(ns_report_parse_fields("ipsection=5000", &c, &err), NS_EINVAL);
    /* digest without a hash selector is refused */
    struct ns_sel_chain *ch = chain_of("count:1/2", NULL);
    assert_int_equal(ns_report_parse_fields("digest", &c, &err), 0);
    struct mem_out m = {0};
    struct ns_report_out o = {mem_reg, mem_add, &m};
    struct ns_report *r;
    assert_int_equal(ns_report_new(&r, &c, ch, &o, 1, &err), NS_EINVAL);
    assert_non_null(strstr(err.msg, "hash"));
    ns_sel_chain_free(ch);
}

/* ---- the message builder's raw templates ---- */

struct msgs {
    int n;
    size_t len[16];
    uint8_t b[16][2048];
};

static int keep(void *ctx, uint8_t *msg, size_t len, uint32_t nrec, uint32_t nflow,
                struct ns_error *err)
{
    (void)nrec;
    (void)nflow;
    (void)err;
    struct msgs *m = ctx;
    if (m->n < 16 && len <= sizeof m->b[0]) {
        memcpy(m->b[m->n], msg, len);
        m->len[m->n++] = len;
    }
    return NS_OK;
}

static void test_msgb_raw(void **state)
{
    (void)state;
    struct msgs m = {0};
    struct ns_msgb *b;
    struct ns_error err;
    struct ns_msgb_opts o = {.obs_domain = 3, .max_msg = 1024, .one_per_msg = 1};
    assert_int_equal(ns_msgb_new(&b, &o, keep, &m, &err), 0);
    const struct ns_field_spec f[] = {{0, 301, 8}, {0, 315, NS_VARLEN}};
    int idx = ns_msgb_raw_register(b, 0xF010, 0, f, 2, &err);
    assert_true(idx >= 0);
    assert_int_equal(ns_msgb_raw_register(b, 0xF010, 0, f, 2, &err), NS_EINVAL); /* twice */
    assert_false(ns_msgb_raw_options(b, idx));
    uint8_t rec[8 + 1 + 5] = {0, 0, 0, 0, 0, 0, 0, 9, 5, 'a', 'b', 'c', 'd', 'e'};
    assert_int_equal(ns_msgb_raw_add(b, idx, rec, sizeof rec, 100, &err), 0);
    assert_int_equal(ns_msgb_raw_add(b, idx, rec, 9, 100, &err), 0);         /* empty section */
    assert_int_equal(ns_msgb_raw_add(b, idx, rec, 8, 100, &err), NS_EINVAL); /* too short */
    /* one_per_msg: two messages, the first with the template */
    assert_int_equal(m.n, 2);
    assert_int_equal(ns_be32(m.b[0] + 4), 100);     /* export time from time_s */
    assert_int_equal(ns_be32(m.b[1] + 8), 1);       /* sequence: one record before */
    assert_int_equal(ns_be16(m.b[0] + 16), 2);      /* template set */
    assert_int_equal(ns_be16(m.b[1] + 16), 0xF010); /* data set */
    assert_int_equal(m.len[1], 16 + 4 + 9);
    /* forgotten templates are written again before the next record */
    ns_msgb_forget(b);
    assert_int_equal(ns_msgb_raw_add(b, idx, rec, sizeof rec, 0, &err), 0);
    assert_int_equal(ns_be16(m.b[2] + 16), 2);
    ns_msgb_free(b);
}

/* ---- the decoder hands PSAMP records over whole ---- */

static int want_all_psamp(const struct ns_tmpl *t)
{
    return ns_psamp_template_kind(t);
}

static void test_decode_raw(void **state)
{
    (void)state;
    struct msgs m = {0};
    struct ns_msgb *b;
    struct ns_error err;
    struct ns_msgb_opts o = {.obs_domain = 1};
    assert_int_equal(ns_msgb_new(&b, &o, keep, &m, &err), 0);
    const struct ns_field_spec f[] = {{0, 301, 8}, {0, 324, 8}, {0, 410, 2}, {0, 315, NS_VARLEN}};
    int idx = ns_msgb_raw_register(b, 3072, 0, f, 4, &err);
    uint8_t rec[8 + 8 + 2 + 1 + 300];
    memset(rec, 0xab, sizeof rec);
    rec[18] = 255; /* a three-octet length header (RFC 7011 §7): 255, then 298 */
    rec[19] = 0x01;
    rec[20] = 0x2a;
    assert_int_equal(ns_msgb_raw_add(b, idx, rec, sizeof rec, 0, &err), NS_OK);
    assert_int_equal(ns_msgb_flush(b, &err), 0);
    ns_msgb_free(b);
    assert_int_equal(m.n, 1);

    struct ns_ipfix_dec d;
    assert_int_equal(ns_ipfix_dec_init(&d, 0, 0, &err), 0);
    d.raw_want = want_all_psamp;
    assert_int_equal(ns_ipfix_dec_message(&d, m.b[0], m.len[0], &err), 0);
    struct ns_record r;
    assert_int_equal(ns_ipfix_dec_next(&d, &r, &err), 2);
    assert_int_equal(d.raw_len, sizeof rec);
    assert_int_equal(d.raw[0], 0xab);
    assert_int_equal(ns_ipfix_dec_next(&d, &r, &err), 0);
    assert_int_equal(d.st.raw_records, 1);
    assert_int_equal(d.st.records, 0);
    ns_ipfix_dec_fini(&d);
}

/* Without raw_want, a flow reader is handed no packet report: a template
 * with selectionSequenceId and no counter is walked and counted as
 * skipped (a stream of probe --mp mixes reports and flows), while a flow
 * template that names its selection sequence still gives flows. */
static void test_decode_skips_reports(void **state)
{
    (void)state;
    struct msgs m = {0};
    struct ns_msgb *b;
    struct ns_error err;
    struct ns_msgb_opts o = {.obs_domain = 1};
    assert_int_equal(ns_msgb_new(&b, &o, keep, &m, &err), 0);
    /* a report: selectionSequenceId, sourceIPv4Address, destinationIPv4Address */
    const struct ns_field_spec fr[] = {{0, 301, 8}, {0, 8, 4}, {0, 12, 4}};
    int ir = ns_msgb_raw_register(b, 3072, 0, fr, 3, &err);
    /* a flow: the same and packetDeltaCount */
    const struct ns_field_spec ff[] = {{0, 301, 8}, {0, 8, 4}, {0, 12, 4}, {0, 2, 8}};
    int iff = ns_msgb_raw_register(b, 3073, 0, ff, 4, &err);
    assert_true(ir >= 0 && iff >= 0);
    uint8_t rec[24] = {0, 0, 0, 0, 0, 0, 0, 7, 192, 0, 2, 1, 192, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 5};
    assert_int_equal(ns_msgb_raw_add(b, ir, rec, 16, 0, &err), NS_OK);
    assert_int_equal(ns_msgb_raw_add(b, ir, rec, 16, 0, &err), NS_OK);
    assert_int_equal(ns_msgb_raw_add(b, iff, rec, 24, 0, &err), NS_OK);
    assert_int_equal(ns_msgb_flush(b, &err), 0);
    ns_msgb_free(b);
    struct ns_ipfix_dec d;
    assert_int_equal(ns_ipfix_dec_init(&d, 0, 0, &err), 0);
    size_t flows = 0;
    for (size_t i = 0; i < (size_t)m.n; i++) {
        assert_int_equal(ns_ipfix_dec_message(&d, m.b[i], m.len[i], &err), 0);
        struct ns_record r;
        int rc;
        while ((rc = ns_ipfix_dec_next(&d, &r, &err)) == 1) {
            flows++;
            assert_int_equal(r.dir[0].pkts, 5);
        }
        assert_int_equal(rc, 0);
    }
    assert_int_equal(flows, 1);
    assert_int_equal(d.st.records, 1);
    assert_int_equal(d.st.skipped_records, 2);
    ns_ipfix_dec_fini(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_layout),
        cmocka_unit_test(test_report_roundtrip),
        cmocka_unit_test(test_estimate),
        cmocka_unit_test(test_fields_syntax),
        cmocka_unit_test(test_msgb_raw),
        cmocka_unit_test(test_decode_raw),
        cmocka_unit_test(test_decode_skips_reports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
