/*
 * Aggregation (analysis/aggregate.h, aggkey.h), as properties over records
 * of real captures (metered with 50 ms status records, so flows come in
 * pieces with loss and its later corrections) and over random records:
 *   - conservation: for any key, the sums of packets, octets, loss,
 *     retransmissions and records after aggregation equal the input's;
 *   - two steps (5-tuple, then proto) equal one step (proto);
 *   - the hash table equals a naive quadratic grouping, record for record
 *     (the WireGuard-style check of the fast structure), also with more
 *     keys than the cache of unpacked entries holds;
 *   - the fast key bytes group exactly as the getter-based reference;
 *   - key parsing: prefixes, errors.
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

#include "analysis/aggregate.h"
#include "ipfix/file.h"
#include "probe/probe.h"
#include "record/merge.h"

struct recs {
    struct ns_record *r;
    size_t n, cap;
};

static int push(void *ctx, const struct ns_record *rec, struct ns_error *err)
{
    struct recs *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 256;
        c->r = realloc(c->r, c->cap * sizeof *c->r);
        assert_non_null(c->r);
    }
    c->r[c->n++] = *rec;
    return 0;
}

static const char *const captures[] = {
    "pcaps/ndpi-netflix.pcap",    "pcaps/ndpi-bittorrent.pcap", "pcaps/ndpi-rtp.pcapng",
    "pcaps/ndpi-http-ipv6.pcap",  "pcaps/ndpi-esp.pcapng",      "pcaps/ndpi-dns-fragmented.pcap",
    "pcaps/ndpi-google-ssl.pcap", "pcaps/ndpi-synscan.pcap",    "pcaps/ndpi-tor.pcap",
};

/* Records of the real captures, metered with 1 s status records. */
static struct recs real_records(void)
{
    struct recs out = {0};
    const char *shared = getenv("NS_SHARED");
    char tmp[] = "/tmp/ns_agg_XXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    close(fd);
    for (size_t i = 0; i < sizeof captures / sizeof captures[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", shared ? shared : "../shared", captures[i]);
        if (access(path, R_OK))
            continue;
        struct ns_probe_config c;
        ns_probe_config_default(&c);
        const char *in[1] = {path};
        c.inputs = in;
        c.ninputs = 1;
        c.output = tmp;
        c.meter.status_ns = 50000000ull; /* 50 ms: ndpi-tor then has a gap and its
                                            negative correction in two records */
        struct ns_probe_stats st;
        struct ns_error err = {0};
        assert_int_equal(ns_probe_run(&c, &st, &err), 0);
        struct ns_ipfix_reader *r;
        assert_int_equal(ns_ipfix_reader_open(&r, tmp, &err), 0);
        struct ns_record rec;
        while (ns_ipfix_reader_next(r, &rec, &err) == 1)
            push(&out, &rec, NULL);
        ns_ipfix_reader_close(r);
    }
    unlink(tmp);
    return out;
}

/* Random records: small pools of keys so that keys collide, signed loss,
 * some records without groups, v4 and v6. */
static struct recs random_records(unsigned seed, size_t n)
{
    struct recs out = {0};
    srand(seed);
    static const uint8_t protos[] = {6, 17, 1, 58, 50};
    for (size_t i = 0; i < n; i++) {
        struct ns_record r;
        ns_record_clear(&r);
        r.present = NS_RG_KEY | NS_RG_COUNT | NS_RG_TIME;
        r.ip_version = rand() % 4 ? 4 : 6;
        r.proto = protos[rand() % 5];
        if (r.ip_version == 4 && r.proto == 58)
            r.proto = 1;
        if (r.ip_version == 6 && r.proto == 1)
            r.proto = 58;
        r.saddr[0] = 10;
        r.saddr[1] = (uint8_t)(rand() % 3);
        r.saddr[2] = (uint8_t)(rand() % 4);
        r.saddr[3] = (uint8_t)(rand() % 5);
        r.daddr[0] = 192;
        r.daddr[3] = (uint8_t)(rand() % 3);
        if (r.proto == 1 || r.proto == 58) {
            r.icmp_type = (uint8_t)(rand() % 2 ? 8 : 0);
        } else {
            r.sport = (uint16_t)(1024 + rand() % 4);
            r.dport = (uint16_t)(rand() % 2 ? 80 : 443);
        }
        r.vlan = (uint16_t)(rand() % 5 == 0 ? 10 : 0);
        r.flow_id = (uint64_t)(rand() % 50);
        r.end_reason = rand() % 3 ? NS_END_IDLE : NS_END_ACTIVE;
        uint64_t t = 1700000000000000000ull + (uint64_t)(rand() % 100000) * 1000000ull;
        for (int d = 0; d < 2; d++) {
            r.dir[d].pkts = (uint64_t)(rand() % 100);
            r.dir[d].octets = r.dir[d].pkts * (uint64_t)(40 + rand() % 1400);
            if (r.dir[d].pkts) {
                r.dir[d].first_ns = t + (uint64_t)d;
                r.dir[d].last_ns = t + (uint64_t)(rand() % 1000000000);
            }
        }
        if (!r.dir[0].pkts && !r.dir[1].pkts)
            r.dir[0].pkts = 1, r.dir[0].first_ns = r.dir[0].last_ns = t;
        if (r.proto == 6 && rand() % 2) {
            r.present |= NS_RG_LOSS | NS_RG_TCP;
            r.loss_source = NS_LOSS_TCP;
            r.dir[0].loss_pkts = rand() % 7 - 2; /* negative: corrections */
            r.dir[1].retrans_pkts = (uint64_t)(rand() % 4);
            r.dir[0].tcp_flags = (uint8_t)rand();
        }
        if (rand() % 4 == 0) {
            r.present |= NS_RG_JIT;
            r.dir[0].jit_n = (uint64_t)(1 + rand() % 10);
            r.dir[0].jit_mean_us = rand() % 1000;
            r.dir[0].jit_stddev_us = rand() % 100;
        }
        push(&out, &r, NULL);
    }
    return out;
}

struct totals {
    uint64_t pkts, octets, retrans, records, flows;
    int64_t loss;
};

static struct totals sum(const struct ns_record *r, size_t n)
{
    struct totals t = {0};
    for (size_t i = 0; i < n; i++) {
        for (int d = 0; d < 2; d++) {
            t.pkts += r[i].dir[d].pkts;
            t.octets += r[i].dir[d].octets;
            t.retrans += r[i].dir[d].retrans_pkts;
            t.loss += r[i].dir[d].loss_pkts;
        }
        t.records += (r[i].present & NS_RG_AGG) ? r[i].agg_records : 1;
        t.flows += (r[i].present & NS_RG_AGG) ? r[i].agg_flows : r[i].end_reason != NS_END_ACTIVE;
    }
    return t;
}

static struct recs aggregate(const struct recs *in, const char *key, uint64_t idle)
{
    struct recs out = {0};
    struct ns_agg_opts o = {.idle_ns = idle};
    struct ns_error err = {0};
    assert_int_equal(ns_aggkey_parse(&o.key, key, &err), 0);
    struct ns_agg *a;
    assert_int_equal(ns_agg_create(&a, &o, &err), 0);
    for (size_t i = 0; i < in->n; i++)
        assert_int_equal(ns_agg_add(a, &in->r[i], push, &out, &err), 0);
    assert_int_equal(ns_agg_flush(a, push, &out, &err), 0);
    ns_agg_destroy(a);
    return out;
}

static const char *const keys[] = {
    "proto",
    "none",
    "flow",
    "saddr,daddr,proto,sport,dport",
    "saddr/24",
    "saddr/8/48",
    "dport,vlan",
    "sttl",
    "state",
    "daddr/0",
    "ipver",
    "srcv4/16,dstport",
    "lsrc,dflags",
    "icmptc",
    /* ports kept with and without the protocol: whether records merge as
     * they come or as cut, wildcarded copies (aggregate.c merge_direct) */
    "sport",
    "proto,dport",
    "saddr,dport",
};

static void check_conservation(const struct recs *in)
{
    struct totals t0 = sum(in->r, in->n);
    assert_true(in->n > 0);
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        for (int split = 0; split < 2; split++) {
            struct recs out = aggregate(in, keys[k], split ? 2000000000ull : 0);
            struct totals t1 = sum(out.r, out.n);
            assert_int_equal(t1.pkts, t0.pkts);
            assert_int_equal(t1.octets, t0.octets);
            assert_int_equal(t1.retrans, t0.retrans);
            assert_int_equal(t1.loss, t0.loss);
            assert_int_equal(t1.records, in->n);
            assert_int_equal(t1.flows, t0.flows);
            assert_true(out.n <= in->n);
            if (!strcmp(keys[k], "none") && !split)
                assert_int_equal(out.n, 1);
            free(out.r);
        }
    }
}

/* Aggregate by 5-tuple, then by proto == by proto once. */
static void check_two_steps(const struct recs *in)
{
    struct recs once = aggregate(in, "proto", 0);
    struct recs step = aggregate(in, "saddr,daddr,proto,sport,dport", 0);
    struct recs twice = aggregate(&step, "proto", 0);
    assert_int_equal(once.n, twice.n);
    for (size_t i = 0; i < once.n; i++) {
        const struct ns_record *a = &once.r[i], *b = NULL;
        for (size_t j = 0; j < twice.n; j++)
            if (twice.r[j].proto == a->proto && twice.r[j].key_wild == a->key_wild)
                b = &twice.r[j];
        assert_non_null(b);
        assert_int_equal(a->present, b->present);
        assert_int_equal(a->agg_records, b->agg_records);
        assert_int_equal(a->agg_flows, b->agg_flows);
        for (int d = 0; d < 2; d++) {
            const struct ns_record_dir *x = &a->dir[d], *y = &b->dir[d];
            assert_int_equal(x->pkts, y->pkts);
            assert_int_equal(x->octets, y->octets);
            assert_int_equal(x->l2_octets, y->l2_octets);
            assert_int_equal(x->first_ns, y->first_ns);
            assert_int_equal(x->last_ns, y->last_ns);
            assert_int_equal(x->loss_pkts, y->loss_pkts);
            assert_int_equal(x->gap_octets, y->gap_octets);
            assert_int_equal(x->retrans_pkts, y->retrans_pkts);
            assert_int_equal(x->ooo_pkts, y->ooo_pkts);
            assert_int_equal(x->tcp_flags, y->tcp_flags);
            assert_int_equal(x->ttl_min, y->ttl_min);
            assert_int_equal(x->ttl_max, y->ttl_max);
            assert_int_equal(x->jit_n, y->jit_n);
            assert_true(fabs(x->jit_mean_us - y->jit_mean_us) <= 1e-6 * (1 + x->jit_mean_us));
            assert_true(fabs(x->jit_stddev_us - y->jit_stddev_us) <= 1e-4 * (1 + x->jit_stddev_us));
        }
        assert_int_equal(a->synack_us, b->synack_us);
    }
    free(once.r);
    free(step.r);
    free(twice.r);
}

/* The hash table against a naive grouping: same groups in the same order,
 * byte-identical records. */
static void check_naive(const struct recs *in, const char *key)
{
    struct recs fast = aggregate(in, key, 0);
    struct ns_aggkey k;
    struct ns_error err = {0};
    assert_int_equal(ns_aggkey_parse(&k, key, &err), 0);
    struct ns_record *grp = calloc(in->n, sizeof *grp);
    uint8_t(*kb)[NS_AGGKEY_MAX_BYTES] = calloc(in->n, NS_AGGKEY_MAX_BYTES);
    size_t *kl = calloc(in->n, sizeof *kl), ng = 0;
    for (size_t i = 0; i < in->n; i++) {
        struct ns_record r = in->r[i];
        uint8_t b[NS_AGGKEY_MAX_BYTES];
        ns_aggkey_prefix(&k, &r);
        size_t l = ns_aggkey_bytes(&k, &r, b);
        ns_aggkey_wildcard(&k, &r);
        size_t g = 0;
        while (g < ng && !(kl[g] == l && !memcmp(kb[g], b, l)))
            g++;
        if (g == ng) {
            grp[ng] = r;
            ns_record_agg_init(&grp[ng]);
            memcpy(kb[ng], b, l);
            kl[ng++] = l;
        } else {
            ns_record_merge(&grp[g], &r);
        }
    }
    assert_int_equal(fast.n, ng);
    for (size_t g = 0; g < ng; g++)
        assert_memory_equal(&fast.r[g], &grp[g], sizeof grp[g]);
    free(grp);
    free(kb);
    free(kl);
    free(fast.r);
}

/* Many keys (beyond the cache of unpacked entries), visited in random
 * order, whose records gain non-zero words as they merge (a second
 * direction, loss, jitter), so packed entries are written back, moved and
 * compacted: still equal to the naive grouping. */
static void test_many_keys(void **state)
{
    struct recs in = {0};
    srand(99);
    for (size_t i = 0; i < 16000; i++) {
        struct ns_record r;
        ns_record_clear(&r);
        r.present = NS_RG_KEY | NS_RG_COUNT | NS_RG_TIME;
        r.ip_version = 4;
        r.proto = 17;
        uint32_t host = (uint32_t)(rand() % 1000);
        r.saddr[0] = 10;
        r.saddr[2] = (uint8_t)(host >> 8);
        r.saddr[3] = (uint8_t)host;
        r.daddr[0] = 192;
        r.sport = (uint16_t)(1000 + rand() % 2);
        r.dport = 53;
        r.end_reason = NS_END_IDLE;
        int d = rand() % 2;
        uint64_t t = 1700000000000000000ull + (uint64_t)i * 1000000ull;
        r.dir[d].pkts = (uint64_t)(1 + rand() % 3);
        r.dir[d].octets = r.dir[d].pkts * 100u;
        r.dir[d].first_ns = r.dir[d].last_ns = t;
        if (rand() % 2) { /* one loss counter: entries grow a word at a time */
            struct ns_record_dir *x = &r.dir[d];
            r.present |= NS_RG_LOSS;
            r.loss_source = NS_LOSS_RTP;
            switch (rand() % 6) {
            case 0:
                x->loss_pkts = rand() % 5 - 1;
                break;
            case 1:
                x->gap_octets = rand() % 900 - 100;
                break;
            case 2:
                x->retrans_pkts = (uint64_t)(1 + rand() % 3);
                break;
            case 3:
                x->retrans_octets = (uint64_t)(1 + rand() % 3000);
                break;
            case 4:
                x->ooo_pkts = (uint64_t)(1 + rand() % 3);
                break;
            default:
                x->dup_pkts = (uint64_t)(1 + rand() % 3);
                break;
            }
        }
        if (rand() % 3 == 0) {
            r.present |= NS_RG_JIT;
            r.dir[d].jit_n = (uint64_t)(1 + rand() % 9);
            r.dir[d].jit_mean_us = 20000.0 + rand() % 100;
            r.dir[d].jit_stddev_us = rand() % 50;
        }
        push(&in, &r, NULL);
    }
    check_naive(&in, "saddr,sport");
    check_naive(&in, "saddr/24,sport");
    check_conservation(&in);
    free(in.r);
}

/* The fast key bytes (fields read straight from the record) group exactly
 * as the reference bytes (every field through its getter), over real and
 * random records and over aggregates, which carry wildcards and prefixes. */
static void check_key_paths(const struct recs *in)
{
    static const char *const fast_keys[] = {
        "proto",         "protonum,ipver",   "saddr,daddr,proto,sport,dport",
        "sport",         "dport,vlan",       "srcport,dstport",
        "srcv4,dstv6",   "srcv6/48,dstv4",   "saddr/24/64,dport",
        "daddr/0,sport", "ipver,sttl,proto", "icmptc,dport",
    };
    struct recs pool = {0};
    for (size_t i = 0; i < in->n && i < 400; i++)
        push(&pool, &in->r[i], NULL);
    static const char *const mixers[] = {"proto", "sport", "saddr/16", "ipver,dport"};
    for (size_t m = 0; m < sizeof mixers / sizeof mixers[0]; m++) {
        struct recs agg = aggregate(in, mixers[m], 0);
        for (size_t i = 0; i < agg.n && i < 100; i++)
            push(&pool, &agg.r[i], NULL);
        free(agg.r);
    }
    for (size_t k = 0; k < sizeof fast_keys / sizeof fast_keys[0]; k++) {
        struct ns_aggkey key;
        struct ns_error err = {0};
        assert_int_equal(ns_aggkey_parse(&key, fast_keys[k], &err), 0);
        uint8_t(*fb)[NS_AGGKEY_MAX_BYTES] = calloc(pool.n, NS_AGGKEY_MAX_BYTES);
        uint8_t(*sb)[NS_AGGKEY_MAX_BYTES] = calloc(pool.n, NS_AGGKEY_MAX_BYTES);
        size_t *fl = calloc(pool.n, sizeof *fl), *sl = calloc(pool.n, sizeof *sl);
        for (size_t i = 0; i < pool.n; i++) {
            struct ns_record r = pool.r[i];
            ns_aggkey_prefix(&key, &r);
            fl[i] = ns_aggkey_bytes(&key, &r, fb[i]);
            sl[i] = ns_aggkey_bytes_slow(&key, &r, sb[i]);
            assert_true(fl[i] <= NS_AGGKEY_MAX_BYTES && sl[i] <= NS_AGGKEY_MAX_BYTES);
        }
        for (size_t i = 0; i < pool.n; i++)
            for (size_t j = i + 1; j < pool.n; j++) {
                int fast = fl[i] == fl[j] && !memcmp(fb[i], fb[j], fl[i]);
                int slow = sl[i] == sl[j] && !memcmp(sb[i], sb[j], sl[i]);
                if (fast != slow)
                    fail_msg("key '%s', records %zu and %zu: fast says %s, getters say %s",
                             fast_keys[k], i, j, fast ? "equal" : "different",
                             slow ? "equal" : "different");
            }
        free(fb);
        free(sb);
        free(fl);
        free(sl);
    }
    free(pool.r);
}

static void test_key_paths(void **state)
{
    struct recs in = real_records();
    if (in.n)
        check_key_paths(&in);
    free(in.r);
    for (unsigned seed = 1; seed <= 5; seed++) {
        in = random_records(seed, 500);
        check_key_paths(&in);
        free(in.r);
    }
}

static void test_real(void **state)
{
    struct recs in = real_records();
    if (!in.n)
        skip();
    check_conservation(&in);
    check_two_steps(&in);
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        check_naive(&in, keys[k]);
    free(in.r);
}

static void test_random(void **state)
{
    for (unsigned seed = 1; seed <= 20; seed++) {
        struct recs in = random_records(seed, 300 + seed * 50);
        check_conservation(&in);
        check_two_steps(&in);
        check_naive(&in, keys[seed % (sizeof keys / sizeof keys[0])]);
        free(in.r);
    }
}

static void test_prefix_and_wild(void **state)
{
    struct recs in = random_records(7, 200);
    struct recs out = aggregate(&in, "saddr/16/32", 0);
    for (size_t i = 0; i < out.n; i++) {
        const struct ns_record *r = &out.r[i];
        assert_int_equal(r->key_wild, NS_RK_ALL & ~(NS_RK_SADDR | NS_RK_IPVER));
        if (r->ip_version == 4) {
            assert_int_equal(r->sprefix, 16);
            assert_int_equal(r->saddr[2], 0);
            assert_int_equal(r->saddr[3], 0);
        } else {
            assert_int_equal(r->sprefix, 32);
        }
        assert_int_equal(r->sport, 0);
        assert_int_equal(r->proto, 0);
    }
    free(out.r);
    /* Idle splitting: one key, records 10 s apart, idle 5 s → one each. */
    struct recs seq = {0};
    for (int i = 0; i < 4; i++) {
        struct ns_record r = in.r[0];
        r.dir[0].first_ns = r.dir[1].first_ns = 1000000000ull * (uint64_t)(1 + 10 * i);
        r.dir[0].last_ns = r.dir[1].last_ns = r.dir[0].first_ns + 1000;
        r.dir[0].pkts = r.dir[1].pkts = 1;
        push(&seq, &r, NULL);
    }
    out = aggregate(&seq, "proto", 5000000000ull);
    assert_int_equal(out.n, 4);
    free(out.r);
    out = aggregate(&seq, "proto", 20000000000ull);
    assert_int_equal(out.n, 1);
    free(out.r);
    free(seq.r);
    free(in.r);
}

/* A table large enough for the threaded flush (aggregate.c FL_MIN): every
 * aggregate comes out once, in order of creation, with its counts; an emit
 * error stops the flush and is returned (no hang, no leak). */
struct seq_check {
    size_t n, fail_at;
    int bad;
};

static int check_seq(void *ctx, const struct ns_record *r, struct ns_error *err)
{
    struct seq_check *c = ctx;
    uint32_t a;
    memcpy(&a, r->saddr, 4);
    if (a != (uint32_t)c->n || r->dir[0].pkts != 2 * (c->n % 7 + 1) || r->agg_records != 2)
        c->bad++;
    c->n++;
    if (c->fail_at && c->n == c->fail_at)
        return ns_error_set(err, NS_EIO, "sink full");
    return 0;
}

static void test_threaded_flush(void **state)
{
    const size_t n = 150000;
    for (int fail = 0; fail < 2; fail++) {
        struct ns_agg_opts o = {0};
        struct ns_error err = {0};
        assert_int_equal(ns_aggkey_parse(&o.key, "saddr", &err), 0);
        struct ns_agg *a;
        assert_int_equal(ns_agg_create(&a, &o, &err), 0);
        for (int round = 0; round < 2; round++)
            for (size_t i = 0; i < n; i++) {
                struct ns_record r;
                ns_record_clear(&r);
                r.present = NS_RG_KEY | NS_RG_COUNT;
                r.ip_version = 4;
                uint32_t v = (uint32_t)i;
                memcpy(r.saddr, &v, 4);
                r.dir[0].pkts = i % 7 + 1;
                r.end_reason = NS_END_IDLE;
                assert_int_equal(ns_agg_add(a, &r, push, NULL, &err), 0);
            }
        struct seq_check c = {0, fail ? 100000 : 0, 0};
        int rc = ns_agg_flush(a, check_seq, &c, &err);
        if (fail) {
            assert_int_equal(rc, NS_EIO);
            assert_int_equal(c.n, 100000);
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(c.n, n);
        }
        assert_int_equal(c.bad, 0);
        assert_int_equal(ns_agg_count(a), 0);
        ns_agg_destroy(a);
    }
}

static void test_key_parse(void **state)
{
    struct ns_aggkey k;
    struct ns_error err = {0};
    assert_int_equal(ns_aggkey_parse(&k, "saddr/24,proto", &err), 0);
    assert_int_equal(k.n, 2);
    assert_int_equal(k.part[0].p4, 24);
    assert_int_equal(k.part[0].p6, 24);
    assert_int_equal(k.keep, NS_RK_SADDR | NS_RK_IPVER | NS_RK_PROTO);
    assert_int_equal(ns_aggkey_parse(&k, "daddr/32/128", &err), 0);
    assert_int_equal(k.part[0].p4, 0); /* whole address: no cut */
    assert_int_equal(k.part[0].p6, 0);
    assert_int_equal(ns_aggkey_parse(&k, "none", &err), 0);
    assert_int_equal(k.n, 0);
    assert_int_equal(ns_aggkey_parse(&k, NULL, &err), 0);
    assert_int_equal(k.n, 8);
    static const struct {
        const char *key, *msg;
    } bad[] = {
        {"bogus", "unknown field 'bogus'"}, {"proto/24", "not an address"},
        {"saddr/33/0", "IPv4 prefix"},      {"saddr/24/129", "IPv6 prefix"},
        {"saddr/x", "bad prefix"},          {"proto,,dport", "empty field"},
        {"proto,proto", "given twice"},     {"proto,none", "must stand alone"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_true(ns_aggkey_parse(&k, bad[i].key, &err) < 0);
        if (!strstr(err.msg, bad[i].msg))
            fail_msg("'%s': got '%s'", bad[i].key, err.msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_parse),      cmocka_unit_test(test_prefix_and_wild),
        cmocka_unit_test(test_random),         cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_key_paths),      cmocka_unit_test(test_real),
        cmocka_unit_test(test_threaded_flush),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
