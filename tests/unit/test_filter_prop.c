/*
 * record/filter against a naive evaluator, on random expressions.
 *
 * Records: every record the probe makes of several real captures (IPv4,
 * IPv6, ICMP, ICMPv6, SCTP, ESP, VLAN, TCP with loss; 1 s status records),
 * plus random records (tests/common/rand_record.h) for negative loss and
 * odd group combinations.
 *
 * Expressions: a random tree of atoms whose parameters are taken from the
 * records (so that they match some), joined by and/or in unparenthesised
 * chains (equal precedence, left to right), with random `not`s and
 * parentheses.  The reference evaluates each atom straight from the record
 * struct (its own implementation of the atom's meaning) and folds the
 * chains left to right.  The compiled filter must agree on every record,
 * and so must `not (E)`, `(A) and (B)` and `(A) or (B)` with !E, A && B,
 * A || B.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/rand_record.h"
#include "ipfix/file.h"
#include "probe/probe.h"
#include "record/fields.h"
#include "record/filter.h"

/* ---- records ---- */

static struct ns_record *recs;
static size_t nrecs, caprecs;

static void add_rec(const struct ns_record *r)
{
    if (nrecs == caprecs) {
        caprecs = caprecs ? 2 * caprecs : 1024;
        recs = realloc(recs, caprecs * sizeof *recs);
        assert_non_null(recs);
    }
    recs[nrecs++] = *r;
}

static size_t load_capture(const char *name)
{
    const char *shared = getenv("NS_SHARED");
    char in[512], out[] = "/tmp/ns_filter_prop_XXXXXX";
    snprintf(in, sizeof in, "%s/pcaps/%s", shared ? shared : "/work/shared", name);
    if (access(in, R_OK) != 0)
        return 0;
    int fd = mkstemp(out);
    assert_true(fd >= 0);
    close(fd);
    struct ns_probe_config c;
    ns_probe_config_default(&c);
    const char *inputs[] = {in};
    c.inputs = inputs;
    c.ninputs = 1;
    c.output = out;
    c.meter.status_ns = 1000000000ull; /* status records: deltas, some negative loss */
    struct ns_probe_stats st;
    struct ns_error err = {0};
    assert_int_equal(ns_probe_run(&c, &st, &err), 0);
    struct ns_ipfix_reader *rd;
    assert_int_equal(ns_ipfix_reader_open(&rd, out, &err), 0);
    struct ns_record r;
    size_t n = 0;
    while (ns_ipfix_reader_next(rd, &r, &err) == 1) {
        add_rec(&r);
        n++;
    }
    ns_ipfix_reader_close(rd);
    unlink(out);
    return n;
}

/* ---- atoms and their reference meaning ---- */

enum atom_kind {
    A_PROTO,
    A_IPVER,
    A_HOST,
    A_NET,
    A_PORT,
    A_PORTRANGE,
    A_VLAN,
    A_PKTS,
    A_BYTES,
    A_LOSS,
    A_SLOSS,
    A_DUR,
    A_STIME,
    A_STATE,
    A__COUNT
};

struct atom {
    enum atom_kind kind;
    int side; /* 0 any, 1 src, 2 dst */
    int rel;  /* 0 == 1 != 2 < 3 <= 4 > 5 >= */
    uint64_t u, u2;
    int half;
    int64_t i;
    double d;
    uint8_t addr[16], alen, plen;
    char s[8];
    char text[128]; /* as written into the expression */
};

static const char *const rel_text[] = {"==", "!=", "<", "<=", ">", ">="};
static const char *const rel_word[] = {"eq", "ne", "lt", "le", "gt", "ge"};

static int rel_ok(int cmp, int rel)
{
    switch (rel) {
    case 0:
        return cmp == 0;
    case 1:
        return cmp != 0;
    case 2:
        return cmp < 0;
    case 3:
        return cmp <= 0;
    case 4:
        return cmp > 0;
    default:
        return cmp >= 0;
    }
}

#define CMP(a, b) (((a) > (b)) - ((a) < (b)))

static int prefix_has(const uint8_t *a, const struct atom *t)
{
    for (int b = 0; b < t->plen; b++) {
        uint8_t m = (uint8_t)(0x80u >> (b % 8));
        if ((a[b / 8] & m) != (t->addr[b / 8] & m))
            return 0;
    }
    return 1;
}

static int ref_atom(const struct atom *t, const struct ns_record *r)
{
    int key = (r->present & NS_RG_KEY) != 0;
    int ports = key && (r->proto == 6 || r->proto == 17 || r->proto == 33 || r->proto == 132 ||
                        r->proto == 136);
    const struct ns_record_dir *f = &r->dir[0], *b = &r->dir[1];
    switch (t->kind) {
    case A_PROTO:
        return key && r->proto == t->u;
    case A_IPVER:
        return key && r->ip_version == t->u;
    case A_HOST:
    case A_NET: {
        if (!key || (r->ip_version == 4 ? 4 : 16) != t->alen)
            return 0;
        int s = prefix_has(r->saddr, t), d = prefix_has(r->daddr, t);
        return t->side == 1 ? s : t->side == 2 ? d : s || d;
    }
    case A_PORT: {
        if (!ports)
            return 0;
        int s = rel_ok(CMP(r->sport, t->u), t->rel), d = rel_ok(CMP(r->dport, t->u), t->rel);
        return t->side == 1 ? s : t->side == 2 ? d : s || d;
    }
    case A_PORTRANGE: {
        if (!ports)
            return 0;
        int s = r->sport >= t->u && r->sport <= t->u2;
        int d = r->dport >= t->u && r->dport <= t->u2;
        return t->side == 1 ? s : t->side == 2 ? d : s || d;
    }
    case A_VLAN:
        return key && r->vlan == t->u;
    case A_PKTS:
        return (r->present & NS_RG_COUNT) && rel_ok(CMP(f->pkts + b->pkts, t->u), t->rel);
    case A_BYTES: {
        /* the constant is u, or u + 0.5 when `half` */
        uint64_t v = f->octets + b->octets;
        int cmp = t->half ? (v > t->u ? 1 : -1) : CMP(v, t->u);
        return (r->present & NS_RG_COUNT) && rel_ok(cmp, t->rel);
    }
    case A_LOSS:
        return (r->present & NS_RG_LOSS) &&
               rel_ok(CMP((int64_t)((uint64_t)f->loss_pkts + (uint64_t)b->loss_pkts), t->i),
                      t->rel);
    case A_SLOSS:
        return (r->present & NS_RG_LOSS) && rel_ok(CMP(f->loss_pkts, t->i), t->rel);
    case A_DUR: {
        if (!(r->present & NS_RG_TIME))
            return 0;
        double dur = (double)(ns_record_end_ns(r) - ns_record_start_ns(r)) / 1e9;
        return rel_ok(CMP(dur, t->d), t->rel);
    }
    case A_STIME: {
        uint64_t st = ns_record_start_ns(r);
        return (r->present & NS_RG_TIME) && st && rel_ok(CMP(st, t->u), t->rel);
    }
    case A_STATE:
        return (strcmp(ns_record_state(r), t->s) == 0) == (t->rel == 0);
    case A__COUNT:
        break;
    }
    return 0;
}

static const struct ns_record *pick(uint64_t *s)
{
    return &recs[rr_below(s, nrecs)];
}

/* A random atom with parameters from a random record; appends its text. */
static void make_atom(uint64_t *s, struct atom *t, char *out, size_t len)
{
    memset(t, 0, sizeof *t);
    t->kind = (enum atom_kind)rr_below(s, A__COUNT);
    t->side = (int)rr_below(s, 3);
    t->rel = (int)rr_below(s, 6);
    const struct ns_record *r = pick(s);
    static const char *const side_text[] = {"", "src ", "dst "};
    const char *rel = rr_below(s, 2) ? rel_text[t->rel] : rel_word[t->rel];
    char a[INET6_ADDRSTRLEN];
    switch (t->kind) {
    case A_PROTO: {
        static const struct {
            const char *w;
            int n;
        } p[] = {{"tcp", 6},  {"udp", 17}, {"icmp", 1}, {"icmp6", 58},  {"sctp", 132},
                 {"esp", 50}, {"gre", 47}, {"ah", 51},  {"proto 2", 2}, {"proto dccp", 33}};
        size_t k = rr_below(s, sizeof p / sizeof p[0]);
        t->u = (uint64_t)p[k].n;
        snprintf(out, len, "%s", p[k].w);
        break;
    }
    case A_IPVER:
        t->u = rr_below(s, 2) ? 4 : 6;
        snprintf(out, len, "%s", t->u == 4 ? "ip" : "ip6");
        break;
    case A_HOST:
    case A_NET: {
        t->alen = r->ip_version == 4 ? 4 : 16;
        memcpy(t->addr, rr_below(s, 2) ? r->saddr : r->daddr, t->alen);
        t->plen = (uint8_t)(8 * t->alen);
        if (t->kind == A_NET) {
            t->plen = (uint8_t)rr_below(s, 8u * t->alen + 1);
            for (int bit = t->plen; bit < 8 * t->alen; bit++)
                t->addr[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
        }
        inet_ntop(t->alen == 4 ? AF_INET : AF_INET6, t->addr, a, sizeof a);
        if (t->kind == A_HOST)
            snprintf(out, len, "%shost %s", side_text[t->side], a);
        else
            snprintf(out, len, "%snet %s/%u", side_text[t->side], a, t->plen);
        break;
    }
    case A_PORT:
        t->u = rr_below(s, 2) ? r->sport : r->dport;
        if (rr_below(s, 3) == 0) {
            t->rel = 0;
            rel = "==";
        }
        if (t->rel == 0 && rr_below(s, 2))
            snprintf(out, len, "%sport %" PRIu64, side_text[t->side], t->u);
        else
            snprintf(out, len, "%sport %s %" PRIu64, side_text[t->side], rel, t->u);
        break;
    case A_PORTRANGE:
        t->u = r->sport;
        t->u2 = r->dport;
        if (t->u > t->u2) {
            uint64_t x = t->u;
            t->u = t->u2;
            t->u2 = x;
        }
        snprintf(out, len, "%sportrange %" PRIu64 "-%" PRIu64, side_text[t->side], t->u, t->u2);
        break;
    case A_VLAN:
        t->u = rr_below(s, 2) ? r->vlan : rr_below(s, 4096);
        snprintf(out, len, "vlan %" PRIu64, t->u);
        break;
    case A_PKTS:
        t->u = r->dir[0].pkts + r->dir[1].pkts + rr_below(s, 3) - 1;
        snprintf(out, len, "pkts %s %" PRIu64, rel, t->u);
        break;
    case A_BYTES: {
        uint64_t v = r->dir[0].octets + r->dir[1].octets;
        if (rr_below(s, 2) && v < (1ull << 50)) { /* v + 0.5 is exact in a double */
            t->u = v;
            t->half = 1;
            snprintf(out, len, "bytes %s %" PRIu64 ".5", rel, v);
        } else if (rr_below(s, 2)) {
            t->u = 1000 * rr_below(s, 3000); /* k suffix */
            snprintf(out, len, "bytes %s %" PRIu64 "k", rel, t->u / 1000);
        } else {
            t->u = v;
            snprintf(out, len, "bytes %s %" PRIu64, rel, v);
        }
        break;
    }
    case A_LOSS:
    case A_SLOSS:
        t->i = t->kind == A_SLOSS
                   ? r->dir[0].loss_pkts
                   : (int64_t)((uint64_t)r->dir[0].loss_pkts + (uint64_t)r->dir[1].loss_pkts);
        if (rr_below(s, 3) == 0)
            t->i = (int64_t)rr_below(s, 7) - 3;
        snprintf(out, len, "%s %s %" PRId64, t->kind == A_SLOSS ? "sloss" : "loss", rel, t->i);
        break;
    case A_DUR:
        t->d = (double)rr_below(s, 20000) / 1000.0;
        snprintf(out, len, "dur %s %.17g", rel, t->d);
        break;
    case A_STIME:
        t->u = ns_record_start_ns(r) + rr_below(s, 3) - 1;
        snprintf(out, len, "stime %s %" PRIu64 ".%09" PRIu64, rel, t->u / 1000000000u,
                 t->u % 1000000000u);
        break;
    case A_STATE:
        t->rel = (int)rr_below(s, 2);
        snprintf(t->s, sizeof t->s, "%s", ns_record_state(r));
        snprintf(out, len, "state %s %s", t->rel ? "!=" : "==", t->s);
        break;
    case A__COUNT:
        break;
    }
}

/* ---- expressions ---- */

#define MAXN 64

/* A chain of terms; a term is an atom or a sub-chain, with a not-count. */
struct term {
    int sub; /* index of a sub-chain, or -1 for an atom */
    struct atom atom;
    int nots;
    int op; /* 0 and, 1 or: joins it to the previous term */
};

struct chain {
    struct term t[4];
    int n;
};

struct expr {
    struct chain c[MAXN];
    int n;
};

static int gen_chain(uint64_t *s, struct expr *e, int depth, char *out, size_t len)
{
    int ci = e->n++;
    struct chain *c = &e->c[ci];
    c->n = 1 + (int)rr_below(s, 4);
    size_t o = 0;
    for (int k = 0; k < c->n; k++) {
        struct term *t = &c->t[k];
        t->op = (int)rr_below(s, 2);
        t->nots = rr_below(s, 3) == 0 ? (int)rr_below(s, 3) : 0;
        if (k)
            o += (size_t)snprintf(out + o, len - o, " %s ",
                                  t->op ? (rr_below(s, 2) ? "or" : "||")
                                        : (rr_below(s, 2) ? "and" : "&&"));
        for (int j = 0; j < t->nots; j++)
            o += (size_t)snprintf(out + o, len - o, "%s", rr_below(s, 2) ? "not " : "!");
        if (depth > 0 && e->n < MAXN - 4 && rr_below(s, 3) == 0) {
            o += (size_t)snprintf(out + o, len - o, "(");
            t->sub = gen_chain(s, e, depth - 1, out + o, len - o);
            o += strlen(out + o);
            o += (size_t)snprintf(out + o, len - o, ")");
        } else {
            t->sub = -1;
            make_atom(s, &t->atom, out + o, len - o);
            snprintf(t->atom.text, sizeof t->atom.text, "%s", out + o);
            o += strlen(out + o);
        }
    }
    return ci;
}

static int ref_chain(const struct expr *e, int ci, const struct ns_record *r)
{
    const struct chain *c = &e->c[ci];
    int v = 0;
    for (int k = 0; k < c->n; k++) {
        const struct term *t = &c->t[k];
        int x = t->sub >= 0 ? ref_chain(e, t->sub, r) : ref_atom(&t->atom, r);
        if (t->nots & 1)
            x = !x;
        v = k == 0 ? x : t->op ? (v || x) : (v && x); /* left to right, equal precedence */
    }
    return v;
}

/* On a disagreement: which atoms differ. */
static void explain(const struct expr *e, const struct ns_record *r)
{
    for (int ci = 0; ci < e->n; ci++) {
        for (int k = 0; k < e->c[ci].n; k++) {
            const struct term *t = &e->c[ci].t[k];
            if (t->sub >= 0)
                continue;
            struct ns_filter *f = NULL;
            struct ns_error err = {0};
            if (ns_filter_compile(&f, t->atom.text, &err) < 0)
                continue;
            int a = ns_filter_match(f, r), ra = ref_atom(&t->atom, r);
            if (a != ra)
                print_error("atom '%s': filter %d, reference %d\n", t->atom.text, a, ra);
            ns_filter_free(f);
        }
    }
}

static struct ns_filter *compile(const char *text)
{
    struct ns_filter *f = NULL;
    struct ns_error err = {0};
    if (ns_filter_compile(&f, text, &err) < 0)
        fail_msg("'%s' does not compile: %s", text, err.msg);
    return f;
}

static void test_against_reference(void **state)
{
    static const char *const caps[] = {
        "ndpi-1kxun.pcap",         "ndpi-http-ipv6.pcap", "zeek-icmp6-ping.pcap",
        "zeek-icmp-5-pings.pcap",  "ndpi-sctp.cap",       "zeek-vlan-http.pcap",
        "ndpi-esp.pcapng",         "zeek-ssh-long.pcap",  "zeek-http-content-range-gap.pcap",
        "zeek-tcp-reassembly.pcap"};
    size_t real = 0;
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
        real += load_capture(caps[i]);
    if (!real)
        skip();
    assert_true(real > 500);
    uint64_t seed = 0x5eed;
    static const uint32_t groups[] = {
        NS_RG_KEY | NS_RG_COUNT | NS_RG_TIME | NS_RG_LOSS | NS_RG_TCP,
        NS_RG_KEY | NS_RG_COUNT,
        NS_RG_COUNT | NS_RG_LOSS,
        NS_RG_KEY | NS_RG_LOSS | NS_RG_TIME,
    };
    for (int i = 0; i < 400; i++) {
        struct ns_record r;
        rr_record(&seed, &r, groups[i % 4]);
        add_rec(&r);
    }

    static struct expr e1, e2;
    char t1[8192], t2[8192], both[16600];
    long matched = 0, checks = 0;
    for (int it = 0; it < 1500; it++) {
        memset(&e1, 0, sizeof e1);
        memset(&e2, 0, sizeof e2);
        gen_chain(&seed, &e1, 3, t1, sizeof t1);
        gen_chain(&seed, &e2, 3, t2, sizeof t2);
        struct ns_filter *f1 = compile(t1), *f2 = compile(t2);
        snprintf(both, sizeof both, "not (%s)", t1);
        struct ns_filter *fn = compile(both);
        snprintf(both, sizeof both, "(%s) and (%s)", t1, t2);
        struct ns_filter *fa = compile(both);
        snprintf(both, sizeof both, "(%s) or (%s)", t1, t2);
        struct ns_filter *fo = compile(both);
        for (size_t k = 0; k < nrecs; k++) {
            const struct ns_record *r = &recs[k];
            int a = ns_filter_match(f1, r), b = ns_filter_match(f2, r);
            int ra = ref_chain(&e1, 0, r), rb = ref_chain(&e2, 0, r);
            if (a != ra || b != rb) {
                explain(&e1, r);
                explain(&e2, r);
            }
            if (a != ra || b != rb)
                fail_msg("record %zu: '%s' gives %d (reference %d), '%s' gives %d (reference %d)",
                         k, t1, a, ra, t2, b, rb);
            assert_int_equal(ns_filter_match(fn, r), !a);
            assert_int_equal(ns_filter_match(fa, r), a && b);
            assert_int_equal(ns_filter_match(fo, r), a || b);
            matched += a;
            checks++;
        }
        ns_filter_free(f1);
        ns_filter_free(f2);
        ns_filter_free(fn);
        ns_filter_free(fa);
        ns_filter_free(fo);
    }
    /* the atoms come from the records: a fair share must match */
    print_message("%zu records (%zu from captures), %ld checks, %ld matches\n", nrecs, real, checks,
                  matched);
    assert_true(matched > checks / 20 && matched < checks - checks / 20);
    free(recs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_against_reference)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
