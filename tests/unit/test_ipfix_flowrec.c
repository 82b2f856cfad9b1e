#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "../common/rand_record.h"
#include "ipfix/be.h"
#include "ipfix/decode.h"
#include "ipfix/flowrec.h"
#include "ipfix/ns_ie.h"
#include "ipfix/ntp.h"

/* ---- NTP ---- */

/* Naive reference: exact rational arithmetic with 128-bit integers. */
static uint64_t ref_ns_from_ntp(uint64_t ntp)
{
    unsigned __int128 frac = ntp & 0xFFFFFFFFu;
    uint64_t sec = ntp >> 32;
    sec = sec >= 2208988800u ? sec - 2208988800u : sec + 4294967296u - 2208988800u;
    return sec * 1000000000u + (uint64_t)((frac * 1000000000u) >> 32);
}

static void ntp_exact(void **state)
{
    static const uint64_t edge[] = {0,
                                    1,
                                    2,
                                    999999999,
                                    1000000000,
                                    1000000001,
                                    1500000000,
                                    1700000000123456789ull,
                                    2085978495999999999ull, /* last ns of NTP era 0 */
                                    2085978496000000000ull, /* era 1 starts */
                                    2085978496000000001ull,
                                    NS_NTP_MAX_NS - 1,
                                    NS_NTP_MAX_NS};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        uint64_t ntp = ns_ntp_from_ns(edge[i]);
        assert_int_equal(ns_ntp_to_ns(ntp), edge[i]);
        assert_int_equal(ref_ns_from_ntp(ntp), edge[i]);
    }
    /* known encodings */
    assert_int_equal(ns_ntp_from_ns(0), (uint64_t)2208988800u << 32);
    assert_int_equal(ns_ntp_from_ns(1500000000), ((uint64_t)2208988801u << 32) | 0x80000000u);
    assert_int_equal(ns_ntp_from_ns(2085978496000000000ull), 0); /* era 1, second 0 */
    assert_int_equal(ns_ntp_to_ns(((uint64_t)2208988800u << 32) | 0xFFFFFFFFu), 999999999);
    /* clamp beyond the range */
    assert_int_equal(ns_ntp_to_ns(ns_ntp_from_ns(UINT64_MAX)), NS_NTP_MAX_NS);
    /* random values over the whole range, and every sub-second offset
     * pattern near second boundaries */
    uint64_t seed = 99;
    for (int i = 0; i < 2000000; i++) {
        uint64_t ns = rr_below(&seed, NS_NTP_MAX_NS + 1);
        uint64_t ntp = ns_ntp_from_ns(ns);
        assert_int_equal(ns_ntp_to_ns(ntp), ns);
        if (i % 16 == 0)
            assert_int_equal(ref_ns_from_ntp(ntp), ns);
    }
    for (uint64_t sub = 0; sub < 1000000000u; sub += 997) {
        uint64_t ns = 1700000000000000000ull + sub;
        assert_int_equal(ns_ntp_to_ns(ns_ntp_from_ns(ns)), ns);
    }
    /* microseconds NTP (low 11 bits ignored) */
    uint64_t us_ntp = ((uint64_t)(2208988800u + 10) << 32) | (uint64_t)(0.25 * 4294967296.0);
    assert_int_equal(ns_ntp_us_to_ns(us_ntp | 0x7FF), 10250000000ull);
}

/* ---- round trips ---- */

static void compare(const struct ns_record *a, const struct ns_record *b)
{
    assert_int_equal(a->present, b->present);
    assert_int_equal(a->ip_version, b->ip_version);
    assert_int_equal(a->proto, b->proto);
    assert_int_equal(a->sport, b->sport);
    assert_int_equal(a->dport, b->dport);
    assert_int_equal(a->icmp_type, b->icmp_type);
    assert_int_equal(a->icmp_code, b->icmp_code);
    assert_int_equal(a->vlan, b->vlan);
    assert_memory_equal(a->saddr, b->saddr, 16);
    assert_memory_equal(a->daddr, b->daddr, 16);
    assert_int_equal(a->flow_id, b->flow_id);
    assert_int_equal(a->end_reason, b->end_reason);
    assert_int_equal(a->loss_source, b->loss_source);
    assert_int_equal(a->syn_seen, b->syn_seen);
    assert_int_equal(a->synack_us, b->synack_us);
    assert_int_equal(a->ackdat_us, b->ackdat_us);
    assert_memory_equal(a->smac, b->smac, 6);
    assert_memory_equal(a->dmac, b->dmac, 6);
    for (int d = 0; d < 2; d++) {
        const struct ns_record_dir *x = &a->dir[d], *y = &b->dir[d];
        assert_int_equal(x->pkts, y->pkts);
        assert_int_equal(x->octets, y->octets);
        assert_int_equal(x->l2_octets, y->l2_octets);
        assert_int_equal(x->first_ns, y->first_ns);
        assert_int_equal(x->last_ns, y->last_ns);
        assert_int_equal(x->ttl_min, y->ttl_min);
        assert_int_equal(x->ttl_max, y->ttl_max);
        assert_int_equal(x->tos, y->tos);
        assert_int_equal(x->tcp_flags, y->tcp_flags);
        assert_int_equal(x->tcp_init_flags, y->tcp_init_flags);
        assert_int_equal(x->tcp_wscale, y->tcp_wscale);
        assert_int_equal(x->tcp_mss, y->tcp_mss);
        assert_int_equal(x->tcp_win_min, y->tcp_win_min);
        assert_int_equal(x->tcp_win_max, y->tcp_win_max);
        assert_int_equal(x->loss_pkts, y->loss_pkts);
        assert_int_equal(x->gap_octets, y->gap_octets);
        assert_int_equal(x->retrans_pkts, y->retrans_pkts);
        assert_int_equal(x->retrans_octets, y->retrans_octets);
        assert_int_equal(x->ooo_pkts, y->ooo_pkts);
        assert_int_equal(x->dup_pkts, y->dup_pkts);
        assert_int_equal(x->jit_n, y->jit_n);
        assert_memory_equal(&x->jit_mean_us, &y->jit_mean_us, sizeof(double));
        assert_memory_equal(&x->jit_stddev_us, &y->jit_stddev_us, sizeof(double));
        assert_int_equal(x->esp_spi, y->esp_spi);
    }
    assert_memory_equal(a, b, sizeof *a); /* padding included: both zeroed */
}

/* Encode r (with its template when new) as one message, decode it. */
static void round_trip(struct ns_flowrec_enc *enc, struct ns_ipfix_dec *dec,
                       const struct ns_record *r, uint8_t *buf)
{
    struct ns_error err;
    struct ns_flowrec_tmpl *t;
    assert_int_equal(ns_flowrec_enc_template(enc, r, &t, &err), 0);
    struct ns_msg_enc m;
    ns_msg_enc_begin(&m, buf, NS_MSG_MAX, 5, 0, NULL);
    if (!t->announced) {
        assert_int_equal(ns_msg_enc_set_open(&m, NS_SET_TEMPLATE, 0), 0);
        assert_int_equal(ns_msg_enc_template(&m, t->tid, t->fields, t->nfields, 0), 0);
        t->announced = 1;
    }
    assert_int_equal(ns_msg_enc_set_open(&m, t->tid, t->rec_len), 0);
    uint8_t *p = ns_msg_enc_reserve(&m, t->rec_len);
    ns_flowrec_encode(t, r, p);
    size_t n = ns_msg_enc_finish(&m, 0);
    struct ns_record out;
    assert_int_equal(ns_ipfix_dec_message(dec, buf, n, &err), 0);
    int rc = ns_ipfix_dec_next(dec, &out, &err);
    if (rc != 1)
        fail_msg("decode: %d %s", rc, err.msg);
    compare(r, &out);
    assert_int_equal(ns_ipfix_dec_next(dec, &out, &err), 0);
}

/* Force key variant v: bit 0 IPv6, bit 1 ICMP, bit 2 VLAN. */
static void set_variant(uint64_t *seed, struct ns_record *r, int v)
{
    r->ip_version = v & 1 ? 6 : 4;
    memset(r->saddr, 0, 16);
    memset(r->daddr, 0, 16);
    for (int i = 0; i < (v & 1 ? 16 : 4); i++) {
        r->saddr[i] = (uint8_t)rr_next(seed);
        r->daddr[i] = (uint8_t)rr_next(seed);
    }
    if (v & 2) {
        r->proto = v & 1 ? 58 : 1;
        r->icmp_type = (uint8_t)rr_next(seed);
        r->icmp_code = (uint8_t)rr_next(seed);
        r->sport = r->dport = 0;
    } else {
        r->proto = rr_below(seed, 2) ? 6 : 17;
        r->icmp_type = r->icmp_code = 0;
        r->sport = (uint16_t)rr_next(seed);
        r->dport = (uint16_t)rr_next(seed);
    }
    r->vlan = v & 4 ? (uint16_t)(1 + rr_below(seed, 4094)) : 0;
}

static void every_combination(void **state)
{
    static uint8_t buf[NS_MSG_MAX];
    struct ns_flowrec_enc *enc;
    struct ns_ipfix_dec dec;
    struct ns_error err;
    assert_int_equal(ns_flowrec_enc_new(&enc, &err), 0);
    assert_int_equal(ns_ipfix_dec_init(&dec, 0, 8192, &err), 0);
    uint64_t seed = 2024;
    struct ns_record r;
    for (uint32_t mask = 0; mask < 1024; mask++) {
        for (int k = 0; k < 24; k++) {
            rr_record(&seed, &r, mask);
            if (mask & NS_RG_KEY)
                set_variant(&seed, &r, k % 8);
            round_trip(enc, &dec, &r, buf);
        }
    }
    assert_int_equal(dec.st.unknown_ies, 0);
    assert_int_equal(dec.st.records, 1024 * 24);
    assert_int_equal(dec.st.templates, ns_flowrec_enc_count(enc));
    /* 512 masks without KEY, 512 with KEY × (v4/v6 × icmp/ports × vlan) */
    assert_int_equal(ns_flowrec_enc_count(enc), 512 + 512 * 8);
    ns_ipfix_dec_fini(&dec);
    ns_flowrec_enc_free(enc);
}

/* Aggregates (RFC 7015): wildcarded key components are left out of the
 * template and come back as wildcards; prefixes and VLAN 0 survive. */
static void aggregates(void **state)
{
    static uint8_t buf[NS_MSG_MAX];
    struct ns_flowrec_enc *enc;
    struct ns_ipfix_dec dec;
    struct ns_error err;
    assert_int_equal(ns_flowrec_enc_new(&enc, &err), 0);
    assert_int_equal(ns_ipfix_dec_init(&dec, 0, 8192, &err), 0);
    uint64_t seed = 7;
    struct ns_record r;
    for (int i = 0; i < 4000; i++) {
        uint32_t mask = (uint32_t)rr_below(&seed, 1024) | NS_RG_KEY | NS_RG_AGG;
        rr_record(&seed, &r, mask);
        set_variant(&seed, &r, (int)rr_below(&seed, 8));
        r.agg_records = rr_next(&seed);
        r.agg_flows = rr_next(&seed);
        uint8_t w = (uint8_t)rr_below(&seed, 128);
        if (w & NS_RK_IPVER)
            w |= NS_RK_SADDR | NS_RK_DADDR;
        r.key_wild = w;
        if (w & NS_RK_IPVER)
            r.ip_version = 0;
        if (w & NS_RK_PROTO) { /* aggkey.h: ICMP type/code folded into the ports */
            r.proto = 0;
            r.sport = r.icmp_type;
            r.dport = r.icmp_code;
            r.icmp_type = r.icmp_code = 0;
        }
        if (w & NS_RK_SADDR)
            memset(r.saddr, 0, 16);
        else if (rr_below(&seed, 2))
            r.sprefix = (uint8_t)(1 + rr_below(&seed, r.ip_version == 6 ? 127 : 31));
        if (w & NS_RK_DADDR)
            memset(r.daddr, 0, 16);
        else if (rr_below(&seed, 2))
            r.dprefix = (uint8_t)(1 + rr_below(&seed, r.ip_version == 6 ? 127 : 31));
        if (w & NS_RK_SPORT)
            r.sport = r.icmp_type = 0;
        if (w & NS_RK_DPORT)
            r.dport = r.icmp_code = 0;
        if (w & NS_RK_VLAN)
            r.vlan = 0;
        /* icmpTypeCode carries both halves: a wildcard in one is both */
        if ((r.proto == 1 || r.proto == 58) && !(w & NS_RK_PROTO) &&
            (w & (NS_RK_SPORT | NS_RK_DPORT))) {
            r.key_wild |= NS_RK_SPORT | NS_RK_DPORT;
            r.icmp_type = r.icmp_code = 0;
        }
        if (r.key_wild == NS_RK_ALL) { /* merge.h: then there is no key group */
            r.key_wild = 0;
            r.present &= ~NS_RG_KEY;
        }
        round_trip(enc, &dec, &r, buf);
    }
    assert_int_equal(dec.st.unknown_ies, 0);
    ns_ipfix_dec_fini(&dec);
    ns_flowrec_enc_free(enc);
}

static void template_layout(void **state)
{
    struct ns_flowrec_enc *enc;
    struct ns_flowrec_tmpl *t, *t2;
    struct ns_error err;
    ns_flowrec_enc_new(&enc, &err);
    struct ns_record r;
    ns_record_clear(&r);
    r.present = NS_RG_KEY | NS_RG_COUNT;
    r.ip_version = 4;
    r.proto = 6;
    assert_int_equal(ns_flowrec_enc_template(enc, &r, &t, &err), 0);
    assert_int_equal(t->tid, 256);
    static const struct ns_field_spec want[] = {
        {0, 148, 8}, {0, 136, 1},   {0, 239, 1}, {0, 8, 4},       {0, 12, 4},
        {0, 4, 1},   {0, 7, 2},     {0, 11, 2},  {0, 2, 8},       {29305, 2, 8},
        {0, 1, 8},   {29305, 1, 8}, {0, 352, 8}, {29305, 352, 8},
    };
    assert_int_equal(t->nfields, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_int_equal(t->fields[i].pen, want[i].pen);
        assert_int_equal(t->fields[i].id, want[i].id);
        assert_int_equal(t->fields[i].len, want[i].len);
    }
    assert_int_equal(t->rec_len, 8 + 1 + 1 + 4 + 4 + 1 + 2 + 2 + 6 * 8);
    /* same combination → same template; other variants → new ids */
    r.sport = 80;
    assert_int_equal(ns_flowrec_enc_template(enc, &r, &t2, &err), 0);
    assert_ptr_equal(t, t2);
    r.proto = 1;
    assert_int_equal(ns_flowrec_enc_template(enc, &r, &t2, &err), 0);
    assert_int_equal(t2->tid, 257);
    assert_int_equal(t2->fields[6].id, 32); /* icmpTypeCodeIPv4 instead of ports */
    r.ip_version = 6;
    r.proto = 58;
    r.vlan = 7;
    assert_int_equal(ns_flowrec_enc_template(enc, &r, &t2, &err), 0);
    assert_int_equal(t2->tid, 258);
    assert_int_equal(t2->fields[3].id, 27);
    assert_int_equal(t2->fields[6].id, 139);
    assert_int_equal(t2->fields[7].id, 58);
    /* enterprise reverse ids */
    r.present = NS_RG_LOSS;
    assert_int_equal(ns_flowrec_enc_template(enc, &r, &t2, &err), 0);
    assert_int_equal(t2->fields[3].pen, NS_PEN);
    assert_int_equal(t2->fields[3].id, NS_IE_LOSS_SOURCE);
    assert_int_equal(t2->fields[5].id, NS_IE_LOSS_PACKETS | 0x4000);
    /* invalid record */
    r.present = NS_RG_KEY;
    r.ip_version = 5;
    assert_int_equal(ns_flowrec_enc_template(enc, &r, &t2, &err), NS_EINVAL);
    ns_flowrec_enc_free(enc);
}

/* A template as another exporter would send it. */
static void foreign_template(void **state)
{
    struct ns_ipfix_dec dec;
    struct ns_error err;
    assert_int_equal(ns_ipfix_dec_init(&dec, 0, 0, &err), 0);
    uint8_t buf[512];
    struct ns_msg_enc m;
    ns_msg_enc_begin(&m, buf, sizeof buf, 9, 0, NULL);
    static const struct ns_field_spec f[] = {
        {0, 8, 4},                         /* sourceIPv4Address */
        {0, 10, 4},                        /* ingressInterface: unmapped */
        {0, 152, 8},                       /* flowStartMilliseconds */
        {0, 150, 4},                       /* flowStartSeconds: loses to ms */
        {0, 153, 8},                       /* flowEndMilliseconds */
        {0, 86, 4},                        /* packetTotalCount, reduced size */
        {0, 85, 8},                        /* octetTotalCount: loses to delta */
        {0, 1, 2},                         /* octetDeltaCount, reduced size */
        {0, 82, NS_VARLEN},                /* interfaceName: unmapped, variable */
        {29305, 2, 2},                     /* reversePacketDeltaCount */
        {NS_PEN, NS_IE_LOSS_PACKETS, 2},   /* signed, reduced */
        {NS_PEN, NS_IE_JITTER_MEAN_US, 4}, /* float32 */
        {0, 176, 1},                       /* icmpTypeIPv4 */
        {0, 177, 1},                       /* icmpCodeIPv4 */
        {0, 6, 1},                         /* tcpControlBits, 1 octet */
        {0, 159, 4},                       /* flowEndDeltaMicroseconds (reverse has none) */
        {0, 8, 16},                        /* sourceIPv4Address with a wrong length: skipped */
    };
    size_t nf = sizeof f / sizeof f[0];
    ns_msg_enc_set_open(&m, NS_SET_TEMPLATE, 0);
    assert_int_equal(ns_msg_enc_template(&m, 999, f, (uint16_t)nf, 0), 0);
    ns_msg_enc_set_open(&m, 999, 0);
    uint8_t *p = ns_msg_enc_reserve(&m, 4 + 4 + 8 + 4 + 8 + 4 + 8 + 2);
    ns_put32(p, 0xC0000201);
    ns_put32(p + 4, 3);
    ns_put64(p + 8, 1700000000123ull);
    ns_put32(p + 16, 1);
    ns_put64(p + 20, 1700000001456ull);
    ns_put32(p + 28, 70000);
    ns_put64(p + 32, 999999);
    ns_put16(p + 40, 1500);
    size_t used = ns_varlen_put(ns_msg_enc_reserve(&m, 4), 4, "eth", 3);
    assert_int_equal(used, 4);
    p = ns_msg_enc_reserve(&m, 2 + 2 + 4 + 1 + 1 + 1 + 4 + 16);
    ns_put16(p, 12);
    ns_put16(p + 2, 0xFFFE); /* −2 */
    float jf = 2.5f;
    uint32_t jb;
    memcpy(&jb, &jf, 4);
    ns_put32(p + 4, jb);
    p[8] = 3;
    p[9] = 1;
    p[10] = 0x12;
    ns_put32(p + 11, 250000); /* 0.25 s before export */
    memset(p + 15, 0xee, 16);
    /* data set padding */
    memset(ns_msg_enc_reserve(&m, 3), 0, 3);
    size_t n = ns_msg_enc_finish(&m, 1700000010);
    assert_int_equal(ns_ipfix_dec_message(&dec, buf, n, &err), 0);
    struct ns_record r;
    assert_int_equal(ns_ipfix_dec_next(&dec, &r, &err), 1);
    assert_int_equal(dec.st.unknown_ies, 3);
    assert_int_equal(r.present,
                     NS_RG_KEY | NS_RG_COUNT | NS_RG_TIME | NS_RG_LOSS | NS_RG_JIT | NS_RG_TCP);
    assert_int_equal(r.ip_version, 4);
    assert_memory_equal(r.saddr, "\xc0\x00\x02\x01", 4);
    assert_int_equal(r.dir[0].first_ns, 1700000000123000000ull);
    assert_int_equal(r.dir[0].last_ns, 1700000001456000000ull);
    assert_int_equal(r.dir[0].pkts, 70000);
    assert_int_equal(r.dir[0].octets, 1500);
    assert_int_equal(r.dir[1].pkts, 12);
    assert_int_equal(r.dir[0].loss_pkts, -2);
    assert_true(r.dir[0].jit_mean_us == 2.5);
    assert_int_equal(r.icmp_type, 3);
    assert_int_equal(r.icmp_code, 1);
    assert_int_equal(r.dir[0].tcp_flags, 0x12);
    assert_int_equal(r.syn_seen, 0);
    assert_int_equal(ns_ipfix_dec_header(&dec)->obs_domain, 9);
    assert_int_equal(ns_ipfix_dec_next(&dec, &r, &err), 0);
    assert_int_equal(dec.st.records, 1);

    /* flowEndDeltaMicroseconds alone sets last_ns = export − delta */
    ns_msg_enc_begin(&m, buf, sizeof buf, 9, 0, NULL);
    ns_msg_enc_set_open(&m, NS_SET_TEMPLATE, 0);
    static const struct ns_field_spec g[] = {{0, 159, 4}};
    ns_msg_enc_template(&m, 1000, g, 1, 0);
    ns_msg_enc_set_open(&m, 1000, 0);
    ns_put32(ns_msg_enc_reserve(&m, 4), 250000);
    n = ns_msg_enc_finish(&m, 1700000010);
    assert_int_equal(ns_ipfix_dec_message(&dec, buf, n, &err), 0);
    assert_int_equal(ns_ipfix_dec_next(&dec, &r, &err), 1);
    assert_int_equal(r.dir[0].last_ns, 1700000009750000000ull);

    /* data set with an unknown template is skipped and counted */
    ns_msg_enc_begin(&m, buf, sizeof buf, 9, 0, NULL);
    ns_msg_enc_set_open(&m, 4242, 0);
    memset(ns_msg_enc_reserve(&m, 8), 1, 8);
    n = ns_msg_enc_finish(&m, 0);
    assert_int_equal(ns_ipfix_dec_message(&dec, buf, n, &err), 0);
    assert_int_equal(ns_ipfix_dec_next(&dec, &r, &err), 0);
    assert_int_equal(dec.st.skipped_sets, 1);
    /* ... and so is one for another observation domain */
    ns_msg_enc_begin(&m, buf, sizeof buf, 10, 0, NULL);
    ns_msg_enc_set_open(&m, 1000, 0);
    memset(ns_msg_enc_reserve(&m, 4), 1, 4);
    n = ns_msg_enc_finish(&m, 0);
    assert_int_equal(ns_ipfix_dec_message(&dec, buf, n, &err), 0);
    assert_int_equal(ns_ipfix_dec_next(&dec, &r, &err), 0);
    assert_int_equal(dec.st.skipped_sets, 2);
    ns_ipfix_dec_fini(&dec);
}

static void varlen_overrun(void **state)
{
    struct ns_ipfix_dec dec;
    struct ns_error err;
    ns_ipfix_dec_init(&dec, 0, 0, &err);
    uint8_t buf[128];
    struct ns_msg_enc m;
    ns_msg_enc_begin(&m, buf, sizeof buf, 0, 0, NULL);
    ns_msg_enc_set_open(&m, NS_SET_TEMPLATE, 0);
    static const struct ns_field_spec f[] = {{0, 4, 1}, {0, 82, NS_VARLEN}};
    ns_msg_enc_template(&m, 300, f, 2, 0);
    ns_msg_enc_set_open(&m, 300, 0);
    uint8_t *p = ns_msg_enc_reserve(&m, 4);
    p[0] = 6;
    p[1] = 200; /* says 200 octets follow, 2 do */
    size_t n = ns_msg_enc_finish(&m, 0);
    struct ns_record r;
    assert_int_equal(ns_ipfix_dec_message(&dec, buf, n, &err), 0);
    assert_int_equal(ns_ipfix_dec_next(&dec, &r, &err), NS_EFORMAT);
    assert_non_null(strstr(err.msg, "overruns"));
    /* 255 + 2-octet length, truncated */
    p[1] = 255;
    p[2] = 0;
    p[3] = 5; /* 5 octets announced, none left */
    assert_int_equal(ns_ipfix_dec_message(&dec, buf, n - 1, &err), NS_ETRUNC);
    n = ns_msg_enc_finish(&m, 0);
    assert_int_equal(ns_ipfix_dec_message(&dec, buf, n, &err), 0);
    assert_int_equal(ns_ipfix_dec_next(&dec, &r, &err), NS_EFORMAT);
    ns_ipfix_dec_fini(&dec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ntp_exact),        cmocka_unit_test(every_combination),
        cmocka_unit_test(template_layout),  cmocka_unit_test(aggregates),
        cmocka_unit_test(foreign_template), cmocka_unit_test(varlen_overrun),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
