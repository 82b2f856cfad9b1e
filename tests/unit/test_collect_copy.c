/* Copy-through (collect/collect.h): the builder writes records copied as
 * they are into the same messages as record by record; a session that
 * takes whole data sets counts exactly what one decoding every record
 * counts, on good and on malformed input (padding, a set overrunning its
 * message, withdrawn and redefined templates); the copy plan accepts only
 * templates and records that the encoder would write the same way; a
 * collector fed records that its encoder would put under another template
 * (an ICMP protocol in a ports template, VLAN 0 in a VLAN template) stores
 * what the re-encoding collector stores. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/rand_record.h"
#include "collect/collect.h"
#include "collect/session.h"
#include "ipfix/file.h"
#include "ipfix/be.h"
#include "ipfix/flowrec.h"
#include "ipfix/msgbuild.h"

#define MAXM 4096

struct msgs {
    int n;
    size_t len[MAXM];
    uint8_t *m[MAXM];
};

static int keep(void *ctx, uint8_t *msg, size_t len, uint32_t nrec, uint32_t nflow,
                struct ns_error *err)
{
    (void)nrec;
    (void)nflow;
    (void)err;
    struct msgs *x = ctx;
    assert_true(x->n < MAXM);
    x->m[x->n] = malloc(len + 64); /* room to grow a set (padding tests) */
    memcpy(x->m[x->n], msg, len);
    x->len[x->n++] = len;
    return NS_OK;
}

static void free_msgs(struct msgs *x)
{
    for (int i = 0; i < x->n; i++)
        free(x->m[i]);
    x->n = 0;
}

/* A record of a random shape: groups, IPv4/IPv6, ICMP or not, VLAN or not. */
static void shape(uint64_t *seed, struct ns_record *r)
{
    static const uint32_t groups[] = {
        NS_RG_KEY | NS_RG_COUNT | NS_RG_TIME,
        NS_RG_KEY | NS_RG_COUNT | NS_RG_TIME | NS_RG_IP | NS_RG_TCP,
        NS_RG_KEY | NS_RG_COUNT | NS_RG_TIME | NS_RG_LOSS | NS_RG_RTT | NS_RG_JIT | NS_RG_MAC,
        NS_RG_KEY | NS_RG_COUNT,
        NS_RG_COUNT | NS_RG_TIME,
    };
    rr_record(seed, r, groups[rr_below(seed, 5)]);
}

/* Emit the same records twice: record by record into x, and encoded
 * beforehand then added with ns_msgb_add_encoded (runs of one template
 * together) into y. */
static void both_ways(struct msgs *x, struct msgs *y, int nrec, uint64_t seed, size_t max_msg,
                      int one)
{
    struct ns_msgb *a, *b;
    struct ns_error err;
    struct ns_msgb_opts o = {.obs_domain = 7, .max_msg = max_msg, .one_per_msg = one};
    assert_int_equal(ns_msgb_new(&a, &o, keep, x, &err), 0);
    assert_int_equal(ns_msgb_new(&b, &o, keep, y, &err), 0);
    static uint8_t buf[64 * 1024];
    size_t nbuf = 0;
    struct ns_flowrec_tmpl *run = NULL;
    struct ns_record r;
    for (int i = 0; i < nrec; i++) {
        if (i == 0 || rr_below(&seed, 3) == 0)
            shape(&seed, &r);
        r.dir[0].pkts = (uint64_t)i + 1;
        if (r.present & NS_RG_TIME) /* export times from end times that vary */
            r.dir[0].last_ns = 1700000000000000000ull + rr_below(&seed, 5000000000ull);
        assert_int_equal(ns_msgb_add(a, &r, &err), 0);
        struct ns_flowrec_tmpl *t;
        assert_int_equal(ns_flowrec_enc_template(ns_msgb_encoder(b), &r, &t, &err), 0);
        if (t != run || nbuf + t->rec_len > sizeof buf) {
            if (run)
                assert_int_equal(ns_msgb_add_encoded(b, run, buf, nbuf / run->rec_len, &err), 0);
            run = t;
            nbuf = 0;
        }
        ns_flowrec_encode(t, &r, buf + nbuf);
        nbuf += t->rec_len;
    }
    if (run)
        assert_int_equal(ns_msgb_add_encoded(b, run, buf, nbuf / run->rec_len, &err), 0);
    assert_int_equal(ns_msgb_flush(a, &err), 0);
    assert_int_equal(ns_msgb_flush(b, &err), 0);
    ns_msgb_free(a);
    ns_msgb_free(b);
}

static void test_builder_same_messages(void **state)
{
    (void)state;
    static const size_t sizes[] = {512, 600, 1400, 9000, 32768, 65535};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        for (int one = 0; one <= 1; one++) {
            struct msgs x = {0}, y = {0};
            both_ways(&x, &y, one ? 300 : 3000, 42 + k, sizes[k], one);
            assert_true(x.n > 1);
            assert_int_equal(x.n, y.n);
            for (int i = 0; i < x.n; i++) {
                assert_int_equal(x.len[i], y.len[i]);
                assert_memory_equal(x.m[i], y.m[i], x.len[i]);
            }
            free_msgs(&x);
            free_msgs(&y);
        }
    }
}

/* ---- sessions: whole sets taken vs every record decoded ---- */

struct taker {
    size_t sets, records;
    const uint8_t *msg;
    size_t len;
};

static int take(void *ctx, struct ns_coll_session *s, struct ns_coll_domain *d,
                const struct ns_tmpl *t, const uint8_t *recs, size_t n, struct ns_error *err)
{
    (void)s;
    (void)d;
    (void)err;
    struct taker *k = ctx;
    /* the records handed over lie within the message */
    assert_true(recs >= k->msg && recs + n * t->min_len <= k->msg + k->len);
    assert_true(n > 0);
    k->sets++;
    k->records += n;
    return 1;
}

static int count_rec(void *ctx, struct ns_coll_session *s, struct ns_coll_domain *d,
                     const struct ns_record *r, struct ns_error *err)
{
    (void)s;
    (void)d;
    (void)r;
    (void)err;
    ((struct taker *)ctx)->records++;
    return NS_OK;
}

/* Feed x to a session taking whole sets and to one decoding every record:
 * the same return codes and counters (bar `copied`), the same records. */
static void same_counts(const struct msgs *x, int datagram)
{
    struct ns_coll_session a, b;
    struct ns_coll_limits l;
    struct ns_error err;
    ns_coll_limits_default(&l);
    assert_int_equal(ns_coll_session_init(&a, 1, datagram, &l, &err), 0);
    assert_int_equal(ns_coll_session_init(&b, 1, datagram, &l, &err), 0);
    struct taker ka = {0}, kb = {0};
    struct ns_coll_handler ha = {NULL, NULL, &ka, NULL, take};
    struct ns_coll_handler hb = {count_rec, NULL, &kb, NULL, NULL};
    for (int i = 0; i < x->n; i++) {
        ka.msg = x->m[i];
        ka.len = x->len[i];
        int ra = ns_coll_session_message(&a, x->m[i], x->len[i], 1000 + (uint64_t)i, &ha, &err);
        int rb = ns_coll_session_message(&b, x->m[i], x->len[i], 1000 + (uint64_t)i, &hb, &err);
        assert_int_equal(ra, rb);
    }
    assert_int_equal(ka.records, kb.records);
    assert_int_equal(a.st.copied, ka.records);
    assert_int_equal(b.st.copied, 0);
    a.st.copied = 0;
    assert_memory_equal(&a.st, &b.st, sizeof a.st);
    assert_true(ka.sets > 0);
    ns_coll_session_fini(&a);
    ns_coll_session_fini(&b);
}

static void exporter(struct msgs *x, int nrec, uint64_t seed, size_t max_msg)
{
    struct msgs y = {0};
    both_ways(x, &y, nrec, seed, max_msg, 0);
    free_msgs(&y);
}

/* Offsets of the sets of message m: ids and offsets in out (max n). */
static int sets_of(const uint8_t *m, size_t len, uint16_t *id, size_t *off, int n)
{
    int k = 0;
    for (size_t p = 16; p + 4 <= len && k < n;) {
        id[k] = ns_be16(m + p);
        off[k++] = p;
        uint16_t sl = ns_be16(m + p + 2);
        if (sl < 4)
            break;
        p += sl;
    }
    return k;
}

static void test_session_counts_good(void **state)
{
    (void)state;
    struct msgs x = {0};
    exporter(&x, 2000, 7, 1400);
    same_counts(&x, 1);
    same_counts(&x, 0);
    free_msgs(&x);
}

/* Padding after the last record of a set (RFC 7011 §3.3.1): the set's
 * length is no multiple of the record length. */
static void test_session_counts_padding(void **state)
{
    (void)state;
    struct msgs x = {0};
    exporter(&x, 500, 8, 1400);
    int padded = 0;
    for (int i = 0; i < x.n; i++) {
        uint16_t id[64];
        size_t off[64];
        int k = sets_of(x.m[i], x.len[i], id, off, 64);
        if (k == 0 || id[k - 1] < 256 || i % 2)
            continue;
        uint8_t *s = x.m[i] + off[k - 1];
        size_t pad = 1 + (size_t)i % 3; /* shorter than any record */
        memset(x.m[i] + x.len[i], 0, pad);
        ns_put16(s + 2, (uint16_t)(ns_be16(s + 2) + pad));
        x.len[i] += pad;
        ns_put16(x.m[i] + 2, (uint16_t)x.len[i]);
        padded++;
    }
    assert_true(padded > 10);
    same_counts(&x, 1);
    free_msgs(&x);
}

/* A data set whose length runs past its message: the sets before it
 * stand, the rest is dropped as malformed. */
static void test_session_counts_overrun(void **state)
{
    (void)state;
    struct msgs x = {0};
    exporter(&x, 500, 9, 1400);
    for (int i = 3; i < x.n; i += 4) {
        uint16_t id[64];
        size_t off[64];
        int k = sets_of(x.m[i], x.len[i], id, off, 64);
        if (k < 2 || id[k - 1] < 256)
            continue;
        uint8_t *s = x.m[i] + off[k - 1];
        ns_put16(s + 2, (uint16_t)(ns_be16(s + 2) + 40));
    }
    same_counts(&x, 1);
    free_msgs(&x);
}

/* Templates withdrawn (RFC 7011 §8.1) and redefined with other fields
 * under the same id mid-stream: data sets of a withdrawn template are
 * unknown, those of a redefined one are read with the new definition. */
static void test_session_counts_withdrawn(void **state)
{
    (void)state;
    struct msgs x = {0}, y = {0};
    exporter(&x, 300, 10, 1400);
    exporter(&y, 300, 11, 1400); /* other shapes, the same template ids */
    /* withdraw every template (set 2, template id 2, RFC 7011 §8.1) */
    uint8_t *w = malloc(64);
    memcpy(w, x.m[0], 16);
    ns_put16(w + 2, 24);
    ns_put16(w + 16, 2);
    ns_put16(w + 18, 8);
    ns_put16(w + 20, 2);
    ns_put16(w + 22, 0);
    struct msgs z = {0};
    /* x, the withdrawal, x's data again (its templates gone), then y */
    for (int i = 0; i < x.n; i++)
        keep(&z, x.m[i], x.len[i], 0, 0, NULL);
    keep(&z, w, 24, 0, 0, NULL);
    for (int i = 0; i < x.n; i++) {
        uint16_t id[64];
        size_t off[64];
        int k = sets_of(x.m[i], x.len[i], id, off, 64);
        if (k > 0 && id[0] >= 256) /* messages without a template set */
            keep(&z, x.m[i], x.len[i], 0, 0, NULL);
    }
    for (int i = 0; i < y.n; i++)
        keep(&z, y.m[i], y.len[i], 0, 0, NULL);
    same_counts(&z, 1);
    same_counts(&z, 0);
    free(w);
    free_msgs(&x);
    free_msgs(&y);
    free_msgs(&z);
}

/* ---- the copy plan ---- */

static const struct ns_tmpl *define(struct ns_tmpl_store *st, const struct ns_field_spec *f,
                                    uint16_t n, uint16_t tid)
{
    const struct ns_tmpl *t;
    struct ns_error err;
    struct ns_tmpl_scope sc = {1, 1};
    assert_int_equal(ns_tmpl_store_add(st, &sc, tid, 0, f, n, &t, &err), 0);
    return t;
}

static void test_copy_plan(void **state)
{
    (void)state;
    struct ns_error err;
    struct ns_flowrec_enc *e;
    struct ns_tmpl_store *st;
    assert_int_equal(ns_flowrec_enc_new(&e, &err), 0);
    assert_true(ns_tmpl_store_new(&st, 64, ns_flowrec_resolve, NULL, &err) >= 0);
    uint64_t seed = 5;
    struct ns_record r;
    rr_record(&seed, &r, NS_RG_KEY | NS_RG_COUNT | NS_RG_TIME);
    r.ip_version = 4;
    r.proto = 6;
    r.icmp_type = r.icmp_code = 0;
    r.vlan = 12;
    struct ns_flowrec_tmpl *et;
    assert_int_equal(ns_flowrec_enc_template(e, &r, &et, &err), 0);
    const struct ns_tmpl *t = define(st, et->fields, et->nfields, 300);
    uint8_t rec[3][512];
    for (int i = 0; i < 3; i++)
        ns_flowrec_encode(et, &r, rec[i]);
    struct ns_record d;
    size_t used;
    assert_int_equal(ns_flowrec_decode(t, rec[0], t->min_len, 0, &d, &used, &err), 0);
    struct ns_flowrec_copy plan;
    assert_int_equal(ns_flowrec_copy_plan(e, t, &d, &plan, &err), 1);
    assert_ptr_equal(plan.e, et);
    assert_true(plan.proto_off >= 0 && plan.vlan_off >= 0);
    uint8_t recs[3 * 512];
    size_t rl = t->min_len;
    for (int i = 0; i < 3; i++)
        memcpy(recs + i * rl, rec[i], rl);
    assert_int_equal(ns_flowrec_copy_check(&plan, recs, 3, rl), 1);
    /* an ICMP record in a ports template: the encoder would choose another */
    recs[rl + (size_t)plan.proto_off] = 1;
    assert_int_equal(ns_flowrec_copy_check(&plan, recs, 3, rl), 0);
    recs[rl + (size_t)plan.proto_off] = 17;
    assert_int_equal(ns_flowrec_copy_check(&plan, recs, 3, rl), 1);
    /* VLAN 0 in a template with vlanId: an untagged flow, another template */
    recs[2 * rl + (size_t)plan.vlan_off] = 0;
    recs[2 * rl + (size_t)plan.vlan_off + 1] = 0;
    assert_int_equal(ns_flowrec_copy_check(&plan, recs, 3, rl), 0);

    /* fields in another order, or one more: no plan */
    struct ns_field_spec f[NS_FR_MAX_FIELDS + 1];
    memcpy(f, et->fields, et->nfields * sizeof *f);
    struct ns_field_spec tmp = f[0];
    f[0] = f[1];
    f[1] = tmp;
    const struct ns_tmpl *t2 = define(st, f, et->nfields, 301);
    assert_int_equal(ns_flowrec_decode(t2, rec[0], t2->min_len, 0, &d, &used, &err), 0);
    assert_int_equal(ns_flowrec_copy_plan(e, t2, &d, &plan, &err), 0);
    memcpy(f, et->fields, et->nfields * sizeof *f);
    f[et->nfields] = (struct ns_field_spec){0, 210, 4}; /* paddingOctets */
    const struct ns_tmpl *t3 = define(st, f, (uint16_t)(et->nfields + 1), 302);
    assert_int_equal(ns_flowrec_copy_plan(e, t3, &d, &plan, &err), 0);
    /* other exporters' elements (octetTotalCount for octetDeltaCount) */
    memcpy(f, et->fields, et->nfields * sizeof *f);
    for (uint16_t i = 0; i < et->nfields; i++)
        if (f[i].pen == 0 && f[i].id == 1)
            f[i].id = 85;
    const struct ns_tmpl *t4 = define(st, f, et->nfields, 303);
    assert_int_equal(ns_flowrec_decode(t4, rec[0], t4->min_len, 0, &d, &used, &err), 0);
    assert_int_equal(ns_flowrec_copy_plan(e, t4, &d, &plan, &err), 0);
    /* sampled records: the fraction decides the groups, no plan */
    rr_record(&seed, &r, NS_RG_KEY | NS_RG_COUNT | NS_RG_SAMP);
    assert_int_equal(ns_flowrec_enc_template(e, &r, &et, &err), 0);
    const struct ns_tmpl *t5 = define(st, et->fields, et->nfields, 304);
    ns_flowrec_encode(et, &r, rec[0]);
    assert_int_equal(ns_flowrec_decode(t5, rec[0], t5->min_len, 0, &d, &used, &err), 0);
    assert_int_equal(ns_flowrec_copy_plan(e, t5, &d, &plan, &err), 0);
    ns_tmpl_store_free(st);
    ns_flowrec_enc_free(e);
}

/* ---- the collector: copying and re-encoding store the same records ---- */

/* Run a collector on loopback (reencode or not), send it x's messages as
 * datagrams, stop it; the records of its file into out (max), the count
 * returned; copied records in *copied. */
static size_t collect_file(const struct msgs *x, int reencode, const char *path,
                           struct ns_record *out, size_t max, uint64_t *copied)
{
    struct ns_collect_config cfg;
    ns_collect_config_default(&cfg);
    const char *listen[] = {"udp://127.0.0.1:0"};
    cfg.listen = listen;
    cfg.nlisten = 1;
    cfg.pattern = path;
    cfg.rotate_ns = 0;
    cfg.reencode = reencode;
    struct ns_collector *c;
    struct ns_error err;
    assert_int_equal(ns_collector_new(&c, &cfg, &err), 0);
    struct sockaddr_storage ss;
    assert_int_equal(ns_collector_local(c, 0, &ss), 0);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    for (int i = 0; i < x->n; i++) {
        assert_int_equal(
            sendto(fd, x->m[i], x->len[i], 0, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)),
            (ssize_t)x->len[i]);
        if (i % 16 == 15)
            assert_int_equal(ns_collector_run(c, 0, &err), 0);
    }
    for (int k = 0; k < 200; k++) {
        assert_int_equal(ns_collector_run(c, 10, &err), 0);
        struct ns_collect_exporter ex[4];
        size_t n = ns_collector_exporters(c, ex, 4);
        if (n == 1 && ex[0].st.messages == (uint64_t)x->n)
            break;
    }
    struct ns_collect_exporter ex[4];
    assert_int_equal(ns_collector_exporters(c, ex, 4), 1);
    assert_int_equal(ex[0].st.messages, x->n);
    assert_int_equal(ex[0].st.malformed, 0);
    *copied = ex[0].st.copied;
    assert_int_equal(ns_collector_stop(c, &err), 0);
    ns_collector_free(c);
    close(fd);
    struct ns_ipfix_reader *r;
    assert_int_equal(ns_ipfix_reader_open(&r, path, &err), 0);
    size_t n = 0;
    int rc;
    while (n < max && (rc = ns_ipfix_reader_next(r, &out[n], &err)) > 0)
        n++;
    ns_ipfix_reader_close(r);
    return n;
}

/* Records of netsift's templates, some changed in place so that the
 * encoder would choose another template for them. */
static void test_collector_fallback(void **state)
{
    (void)state;
    struct msgs x = {0};
    struct ns_msgb *b;
    struct ns_error err;
    struct ns_msgb_opts o = {.obs_domain = 3, .max_msg = 1400};
    assert_int_equal(ns_msgb_new(&b, &o, keep, &x, &err), 0);
    uint64_t seed = 99;
    struct ns_record r;
    for (int i = 0; i < 600; i++) {
        shape(&seed, &r);
        r.dir[0].pkts = (uint64_t)i + 1;
        assert_int_equal(ns_msgb_add(b, &r, &err), 0);
    }
    assert_int_equal(ns_msgb_flush(b, &err), 0);
    /* in every third data set, the first record's protocol becomes ICMP
     * (for its IP version) or VLAN 0: the collector must not copy that set */
    struct ns_flowrec_enc *enc = ns_msgb_encoder(b);
    int changed = 0;
    for (int i = 0; i < x.n; i++) {
        uint16_t id[64];
        size_t off[64];
        int k = sets_of(x.m[i], x.len[i], id, off, 64);
        for (int j = 0; j < k; j++) {
            if (id[j] < 256 || (i + j) % 3)
                continue;
            struct ns_flowrec_tmpl *t = ns_flowrec_enc_at(enc, id[j] - 256u);
            assert_non_null(t);
            size_t at = 0;
            int v6 = 0, done = 0;
            for (uint16_t f = 0; f < t->nfields; f++)
                if (t->fields[f].pen == 0 && t->fields[f].id == 27)
                    v6 = 1;
            for (uint16_t f = 0; f < t->nfields && !done; f++) {
                const struct ns_field_spec *fs = &t->fields[f];
                uint8_t *p = x.m[i] + off[j] + 4 + at;
                if (fs->pen == 0 && fs->id == 58) {
                    p[0] = p[1] = 0;
                    done = 1;
                } else if (fs->pen == 0 && fs->id == 4 && *p != (v6 ? 58 : 1)) {
                    int icmp_tmpl = 0;
                    for (uint16_t g = 0; g < t->nfields; g++)
                        icmp_tmpl |= t->fields[g].pen == 0 &&
                                     (t->fields[g].id == 32 || t->fields[g].id == 139);
                    if (!icmp_tmpl) {
                        *p = v6 ? 58 : 1;
                        done = 1;
                    }
                }
                at += fs->len;
            }
            changed += done;
        }
    }
    ns_msgb_free(b);
    assert_true(changed > 20);
    char dir[] = "/tmp/ns_copy_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char pa[64], pb[64];
    snprintf(pa, sizeof pa, "%s/copy.ipfix", dir);
    snprintf(pb, sizeof pb, "%s/reencode.ipfix", dir);
    static struct ns_record ra[1000], rb[1000];
    uint64_t ca, cb;
    size_t na = collect_file(&x, 0, pa, ra, 1000, &ca);
    size_t nb = collect_file(&x, 1, pb, rb, 1000, &cb);
    assert_int_equal(na, 600);
    assert_int_equal(nb, 600);
    assert_int_equal(cb, 0);
    assert_true(ca > 100 && ca < 600); /* most copied, the changed sets not */
    for (size_t i = 0; i < na; i++)
        assert_memory_equal(&ra[i], &rb[i], sizeof ra[i]);
    unlink(pa);
    unlink(pb);
    rmdir(dir);
    free_msgs(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builder_same_messages),
        cmocka_unit_test(test_session_counts_good),
        cmocka_unit_test(test_session_counts_padding),
        cmocka_unit_test(test_session_counts_overrun),
        cmocka_unit_test(test_session_counts_withdrawn),
        cmocka_unit_test(test_copy_plan),
        cmocka_unit_test(test_collector_fallback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
