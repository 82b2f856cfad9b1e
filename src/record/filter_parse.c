/*
 * filter_parse.c — parser and code generator of the record filter.
 *
 * Grammar (tcpdump's, and Argus's, which follows it):
 *
 *   expr      := term { ('and' | '&&' | 'or' | '||') term }
 *   term      := { 'not' | '!' } ( '(' expr ')' | primitive )
 *   primitive := protoword                       tcp udp icmp ... ip ip6
 *              | [protoword] [src|dst] type value    host net port portrange
 *              | proto [rel] value | vlan [[rel] value]
 *              | field rel value                 bytes > 1M, state == CON
 *              | [rel] value                     inherits the last qualifiers
 *
 * `and` and `or` have the same precedence and group left to right, as in
 * tcpdump (pcap-filter(7): "... and and or have equal precedence and
 * associate left to right") and Argus: `a or b and c` is `(a or b) and c`.
 * A bare value or relation takes the qualifiers of the previous primitive:
 * `host a and b` is `host a and host b`, `dst port gt 1024 and lt 2048` is
 * `dst port gt 1024 and dst port lt 2048`; a lone protocol word ends the
 * inheritance (tcpdump gives such a term no qualifiers).
 *
 * The parser builds a small tree (chains of terms joined by and/or, leaves
 * holding one instruction each); the generator then walks each chain from
 * its last term to its first, so that every jump target already exists,
 * and emits a branch program (filter_int.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/filter_int.h"

enum qtype { Q_HOST, Q_NET, Q_HOSTNET, Q_PORT, Q_PORTRANGE, Q_PROTO, Q_VLAN, Q_FIELD };

/* The qualifiers of a primitive; kept for the next bare value. */
struct qual {
    enum qtype type;
    enum fl_side side;
    enum fl_need need;
    uint8_t need_val;
    const struct ns_field *field;
    enum ns_value_kind kind;
    const char *name; /* keyword or field as typed, for messages */
    size_t name_len;
};

struct node {
    uint8_t leaf; /* 1: idx is a leaf; 0: a chain, idx its last term */
    uint8_t neg;
    uint8_t op; /* TK_AND or TK_OR before this term in its chain */
    int32_t idx;
    int32_t prev; /* previous term in the chain, -1 for the first */
};

struct parser {
    const char *s;
    struct fl_token tok; /* current token */
    size_t next;         /* where the token after it starts */
    struct ns_error *err;
    struct node *nodes;
    int32_t nn, ncap;
    struct fl_insn *leaves;
    int32_t nl, lcap;
    struct qual last;
    int have_last;
    int depth;
    struct ns_filter *f;
};

/* ---- tokens and messages ---- */

static void advance(struct parser *p)
{
    p->tok = fl_lex(p->s, p->next, 0, &p->next);
}

static struct fl_token peek2(const struct parser *p)
{
    size_t after;
    return fl_lex(p->s, p->next, 0, &after);
}

/* Re-read the current token as a raw word (text values). */
static void relex_raw(struct parser *p)
{
    p->tok = fl_lex(p->s, p->tok.col - 1, 1, &p->next);
}

static int tok_is(const struct parser *p, const struct fl_token *t, const char *kw)
{
    return t->type == TK_WORD && fl_word_is(p->s + t->start, t->len, kw);
}

/* "'text'" or "end of expression", for messages. */
static void describe(const struct parser *p, const struct fl_token *t, char *buf, size_t len)
{
    if (t->type == TK_END) {
        snprintf(buf, len, "end of expression");
        return;
    }
    int n = t->len > 40 ? 40 : (int)t->len;
    snprintf(buf, len, "'%.*s%s'", n, p->s + t->start, t->len > 40 ? "..." : "");
}

__attribute__((format(printf, 3, 4))) static int fail_at(struct parser *p, const struct fl_token *t,
                                                         const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ns_error_set(p->err, NS_EINVAL, "filter: %s (column %zu)", msg, t->col);
}

static int expected(struct parser *p, const char *what)
{
    char got[64];
    describe(p, &p->tok, got, sizeof got);
    if (p->tok.type == TK_BAD) {
        if (p->s[p->tok.start] == '"' || p->s[p->tok.start] == '\'')
            return fail_at(p, &p->tok, "unterminated quote");
        return fail_at(p, &p->tok, "expected %s, got %s (write 'and'/'&&', 'or'/'||')", what, got);
    }
    return fail_at(p, &p->tok, "expected %s, got %s", what, got);
}

static int expected_after(struct parser *p, const char *what, const struct qual *q)
{
    char buf[160];
    snprintf(buf, sizeof buf, "%s after '%.*s'", what, (int)q->name_len, q->name);
    return expected(p, buf);
}

/* ---- tree ---- */

static int add_node(struct parser *p, struct node n)
{
    if (p->nn == p->ncap) {
        int32_t cap = p->ncap ? 2 * p->ncap : 16;
        struct node *nn = realloc(p->nodes, (size_t)cap * sizeof *nn);
        if (!nn)
            return ns_error_set(p->err, NS_ENOMEM, "filter: out of memory");
        p->nodes = nn;
        p->ncap = cap;
    }
    p->nodes[p->nn] = n;
    return p->nn++;
}

static int add_leaf(struct parser *p, const struct fl_insn *in)
{
    if (p->nl == p->lcap) {
        int32_t cap = p->lcap ? 2 * p->lcap : 16;
        struct fl_insn *nl = realloc(p->leaves, (size_t)cap * sizeof *nl);
        if (!nl)
            return ns_error_set(p->err, NS_ENOMEM, "filter: out of memory");
        p->leaves = nl;
        p->lcap = cap;
    }
    p->leaves[p->nl] = *in;
    return add_node(p, (struct node){1, 0, 0, p->nl++, -1});
}

/* ---- fields ---- */

/* The kind a field's values have: its getter is asked on records that
 * hold every group (IPv4 TCP, IPv6 ICMPv6, IPv4 ICMP, so that fields which
 * apply to one of them answer). */
static enum ns_value_kind field_kind(const struct ns_field *f)
{
    static const uint8_t kinds[3][2] = {{4, 6}, {6, 58}, {4, 1}};
    for (int k = 0; k < 3; k++) {
        struct ns_record r;
        memset(&r, 0, sizeof r);
        r.present = 0xffffffffu;
        r.ip_version = kinds[k][0];
        r.proto = kinds[k][1];
        r.end_reason = 1;
        r.loss_source = 1;
        r.synack_us = r.ackdat_us = 1;
        for (int d = 0; d < 2; d++) {
            r.dir[d].pkts = 1;
            r.dir[d].first_ns = r.dir[d].last_ns = 1;
            r.dir[d].jit_n = 1;
        }
        struct ns_value v;
        if (ns_field_get(f, &r, &v))
            return v.kind;
    }
    return NS_V_U64;
}

/* What the value of a primitive must be, for messages. */
static const char *value_noun(const struct qual *q)
{
    switch (q->type) {
    case Q_HOST:
    case Q_HOSTNET:
        return "an IPv4 or IPv6 address";
    case Q_NET:
        return "a network (10.0.0.0/8, 2001:db8::/32)";
    case Q_PORT:
        return "a port number";
    case Q_PORTRANGE:
        return "a port range (1024-2047)";
    case Q_PROTO:
        return "a protocol number or name";
    case Q_VLAN:
        return "a VLAN id (0-4095)";
    case Q_FIELD:
        switch (q->kind) {
        case NS_V_TIME:
            return "a time in seconds since 1970 (e.g. 1700000000.5)";
        case NS_V_ADDR:
            return "an IPv4 or IPv6 address (or prefix)";
        case NS_V_MAC:
            return "a MAC address (aa:bb:cc:dd:ee:ff)";
        case NS_V_STR:
            return "a value";
        default:
            return "a number";
        }
    }
    return "a value";
}

/* The constant of `field rel value`; the current token is the value. */
static int field_const(struct parser *p, const struct qual *q, struct fl_insn *in)
{
    const char *w = p->s + p->tok.start;
    size_t n = p->tok.len;
    struct fl_const *c = &in->c;
    in->field = q->field;
    in->kind = (uint8_t)q->kind;
    if (p->tok.type != TK_WORD)
        return expected_after(p, value_noun(q), q);
    int rc;
    switch (q->kind) {
    case NS_V_TIME:
        rc = fl_parse_time(w, n, c);
        if (rc == -1)
            return expected_after(p, value_noun(q), q);
        break;
    case NS_V_ADDR:
        rc = fl_parse_prefix(w, n, 0, c->addr, &c->alen, &c->plen);
        if (rc == -2)
            return fail_at(p, &p->tok, "non-network bits set in '%.*s'", (int)n, w);
        if (rc < 0)
            return expected_after(p, value_noun(q), q);
        break;
    case NS_V_MAC:
        rc = fl_parse_mac(w, n, c->addr);
        if (rc < 0)
            return expected_after(p, value_noun(q), q);
        break;
    case NS_V_STR:
        if (fl_parse_number(w, n, c) == 0)
            c->has_num = 1;
        if (n >= sizeof c->s)
            return fail_at(p, &p->tok, "value '%.*s' too long for '%.*s'", (int)n, w,
                           (int)q->name_len, q->name);
        memcpy(c->s, w, n);
        c->s[n] = 0;
        rc = 0;
        break;
    default:
        rc = fl_parse_number(w, n, c);
        if (rc == -1)
            return expected_after(p, value_noun(q), q);
        break;
    }
    if (rc == -2)
        return fail_at(p, &p->tok, "number '%.*s' out of range", (int)n, w);
    in->test = FT_FIELD;
    return 0;
}

/* ---- primitives ---- */

static int takes_rel(enum qtype t)
{
    return t == Q_PORT || t == Q_PROTO || t == Q_VLAN || t == Q_FIELD;
}

/* Number 0..max from the current token, or -1. */
static long small_number(const struct parser *p, long max)
{
    const char *w = p->s + p->tok.start;
    if (p->tok.type != TK_WORD || !p->tok.len || p->tok.len > 10)
        return -1;
    long v = 0;
    for (size_t i = 0; i < p->tok.len; i++) {
        if (w[i] < '0' || w[i] > '9')
            return -1;
        v = v * 10 + (w[i] - '0');
    }
    return v <= max ? v : -1;
}

static int end_of_term(const struct fl_token *t)
{
    return t->type == TK_END || t->type == TK_AND || t->type == TK_OR || t->type == TK_RP;
}

/* The value (and optional relation) of a primitive with qualifiers q; the
 * current token is the relation or the value (`value_only`: the value, even
 * if it starts like an operator). */
static int primitive_value(struct parser *p, const struct qual *q, int value_only)
{
    struct fl_insn in;
    memset(&in, 0, sizeof in);
    in.side = (uint8_t)q->side;
    in.need = (uint8_t)q->need;
    in.need_val = q->need_val;
    enum fl_rel rel = FR_EQ;
    int has_rel = 0;
    int text = q->type == Q_FIELD && q->kind == NS_V_STR;
    if (p->tok.type == TK_REL && takes_rel(q->type) && !value_only) {
        rel = p->tok.rel;
        if (q->type == Q_FIELD && rel != FR_EQ && rel != FR_NE &&
            (q->kind == NS_V_ADDR || q->kind == NS_V_MAC || q->kind == NS_V_STR))
            return fail_at(p, &p->tok, "'%.*s' holds %s: compare it with == or != only",
                           (int)q->name_len, q->name, q->kind == NS_V_STR ? "text" : "addresses");
        has_rel = 1;
        advance(p);
    }
    in.rel = (uint8_t)rel;
    if (text)
        relex_raw(p);
    const char *w = p->s + p->tok.start;
    size_t n = p->tok.len;
    long v;
    int rc;
    switch (q->type) {
    case Q_HOST:
    case Q_NET:
    case Q_HOSTNET:
        if (p->tok.type != TK_WORD)
            return expected_after(p, value_noun(q), q);
        if (q->type == Q_HOST && memchr(w, '/', n))
            return expected_after(p, "an address (a prefix needs 'net')", q);
        rc = fl_parse_prefix(w, n, q->type == Q_NET, in.addr, &in.alen, &in.plen);
        if (rc == -2)
            return fail_at(p, &p->tok, "non-network bits set in '%.*s'", (int)n, w);
        if (rc < 0)
            return expected_after(p, value_noun(q), q);
        in.test = FT_NET;
        break;
    case Q_PORT:
        v = small_number(p, 65535);
        if (v < 0)
            return expected_after(p, value_noun(q), q);
        in.test = FT_PORT;
        in.n = (uint64_t)v;
        break;
    case Q_PORTRANGE: {
        const char *dash = p->tok.type == TK_WORD ? memchr(w, '-', n) : NULL;
        long a = -1, b = -1;
        if (dash) {
            struct parser sub = *p;
            sub.tok.len = (size_t)(dash - w);
            a = small_number(&sub, 65535);
            sub.tok.start += (size_t)(dash - w) + 1;
            sub.tok.len = n - (size_t)(dash - w) - 1;
            b = small_number(&sub, 65535);
        }
        if (a < 0 || b < 0)
            return expected_after(p, value_noun(q), q);
        in.test = FT_PORTRANGE;
        in.n = (uint64_t)(a < b ? a : b); /* tcpdump accepts a reversed range */
        in.n2 = (uint64_t)(a < b ? b : a);
        break;
    }
    case Q_PROTO:
        v = p->tok.type == TK_WORD ? fl_proto_number(w, n) : -1;
        if (v < 0)
            return expected_after(p, value_noun(q), q);
        in.test = FT_PROTO;
        in.n = (uint64_t)v;
        break;
    case Q_VLAN:
        if (!has_rel && end_of_term(&p->tok)) {
            in.test = FT_VLAN_ANY; /* `vlan` alone: tagged */
            return add_leaf(p, &in);
        }
        v = small_number(p, 4095);
        if (v < 0)
            return expected_after(p, value_noun(q), q);
        in.test = FT_VLAN;
        in.n = (uint64_t)v;
        break;
    case Q_FIELD:
        if (field_const(p, q, &in) < 0)
            return -1;
        break;
    }
    advance(p);
    return add_leaf(p, &in);
}

/* A bare value taking the previous qualifiers.  When it does not fit them
 * and looks like a word, the user more likely misspelled a keyword or a
 * field than meant a value: say so. */
static int inherited_value(struct parser *p)
{
    struct fl_token t = p->tok;
    char c = p->s[t.start];
    int word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    int rc = primitive_value(p, &p->last, 0);
    if (rc < 0 && rc != NS_ENOMEM && word && !(p->last.type == Q_FIELD && p->last.kind == NS_V_STR))
        return fail_at(p, &t,
                       "unknown word '%.*s': not a keyword or a field name (misspelled?), nor %s "
                       "for the previous '%.*s'",
                       (int)t.len, p->s + t.start, value_noun(&p->last), (int)p->last.name_len,
                       p->last.name);
    return rc;
}

/* tcp udp ... ip ip6: the constraint they stand for. */
static int proto_word(const struct parser *p, const struct fl_token *t, struct qual *q)
{
    static const struct {
        const char *w;
        enum fl_need need;
        uint8_t val;
    } words[] = {{"tcp", FN_PROTO, 6},    {"udp", FN_PROTO, 17},   {"icmp", FN_PROTO, 1},
                 {"icmp6", FN_PROTO, 58}, {"sctp", FN_PROTO, 132}, {"esp", FN_PROTO, 50},
                 {"gre", FN_PROTO, 47},   {"ah", FN_PROTO, 51},    {"ip", FN_IPVER, 4},
                 {"ip6", FN_IPVER, 6}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (tok_is(p, t, words[i].w)) {
            q->need = words[i].need;
            q->need_val = words[i].val;
            return 1;
        }
    }
    return 0;
}

static int type_word(const struct parser *p, const struct fl_token *t, enum qtype *type)
{
    static const struct {
        const char *w;
        enum qtype type;
    } words[] = {{"host", Q_HOST},           {"net", Q_NET},     {"port", Q_PORT},
                 {"portrange", Q_PORTRANGE}, {"proto", Q_PROTO}, {"vlan", Q_VLAN}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (tok_is(p, t, words[i].w)) {
            *type = words[i].type;
            return 1;
        }
    }
    return 0;
}

static void set_name(struct qual *q, const struct parser *p)
{
    q->name = p->s + p->tok.start;
    q->name_len = p->tok.len;
}

static int parse_primitive(struct parser *p)
{
    struct qual q;
    memset(&q, 0, sizeof q);
    q.side = FS_ANY;
    if (p->tok.type == TK_REL) { /* `... and lt 2048` */
        if (p->have_last && p->last.type == Q_FIELD && p->last.kind == NS_V_STR) {
            /* `dir == -> or <->`: a text value that starts like an operator */
            size_t after;
            struct fl_token raw = fl_lex(p->s, p->tok.col - 1, 1, &after);
            if (raw.len > p->tok.len)
                return primitive_value(p, &p->last, 1);
        }
        if (!p->have_last || !takes_rel(p->last.type))
            return expected(p, "a field, 'port', 'proto' or 'vlan' before a comparison");
        return primitive_value(p, &p->last, 0);
    }
    if (p->tok.type != TK_WORD)
        return expected(p, "a filter term");
    set_name(&q, p);
    enum qtype type;
    if (proto_word(p, &p->tok, &q)) {
        struct fl_token nx = peek2(p);
        if (!tok_is(p, &nx, "src") && !tok_is(p, &nx, "dst") && !type_word(p, &nx, &type)) {
            /* a protocol term on its own */
            struct fl_insn in;
            memset(&in, 0, sizeof in);
            in.test = q.need == FN_PROTO ? FT_PROTO : FT_IPVER;
            in.rel = FR_EQ;
            in.n = q.need_val;
            p->have_last = 0;
            advance(p);
            return add_leaf(p, &in);
        }
        advance(p); /* `tcp port 80`: the word qualifies what follows */
        set_name(&q, p);
    }
    if (tok_is(p, &p->tok, "src") || tok_is(p, &p->tok, "dst")) {
        q.side = tok_is(p, &p->tok, "src") ? FS_SRC : FS_DST;
        q.type = Q_HOSTNET; /* `src 10.0.0.1`: tcpdump's default type is host */
        advance(p);
    }
    if (type_word(p, &p->tok, &type)) {
        if (q.side != FS_ANY && (type == Q_PROTO || type == Q_VLAN))
            return fail_at(p, &p->tok, "'%.*s' takes no src or dst", (int)p->tok.len,
                           p->s + p->tok.start);
        q.type = type;
        set_name(&q, p);
        advance(p);
    } else if (q.side == FS_ANY && q.need == FN_NONE) {
        /* a field, or a bare value */
        const char *w = p->s + p->tok.start;
        char name[64];
        int n = p->tok.len < sizeof name ? (int)p->tok.len : (int)sizeof name - 1;
        memcpy(name, w, (size_t)n);
        name[n] = 0;
        const struct ns_field *f = ns_field_find(name);
        if (f) {
            q.type = Q_FIELD;
            q.field = f;
            q.kind = field_kind(f);
            advance(p);
            if (p->tok.type != TK_REL)
                return expected_after(p, "a comparison (== != < <= > >= or eq ne lt le gt ge)", &q);
        } else if (p->have_last) {
            return inherited_value(p); /* `host a or b` */
        } else {
            uint8_t a[16], al, pl;
            int rc = fl_parse_prefix(w, p->tok.len, 0, a, &al, &pl);
            if (rc == -2)
                return fail_at(p, &p->tok, "non-network bits set in '%.*s'", (int)p->tok.len, w);
            if (rc < 0) {
                struct fl_token nx = peek2(p);
                if (nx.type == TK_REL)
                    return fail_at(p, &p->tok,
                                   "unknown field '%.*s' (netsift read --help lists the fields)",
                                   (int)p->tok.len, w);
                return fail_at(p, &p->tok,
                               "unknown word '%.*s': not a keyword, a field name (misspelled?) "
                               "or an address",
                               (int)p->tok.len, w);
            }
            q.type = Q_HOSTNET; /* a lone address: host, a lone prefix: net */
        }
    }
    p->last = q;
    p->have_last = 1;
    return primitive_value(p, &q, 0);
}

static int parse_chain(struct parser *p);

static int parse_term(struct parser *p)
{
    int neg = 0;
    while (p->tok.type == TK_NOT) {
        neg ^= 1;
        advance(p);
    }
    int n;
    if (p->tok.type == TK_LP) {
        struct fl_token lp = p->tok;
        if (++p->depth > NS_FILTER_MAX_DEPTH)
            return fail_at(p, &lp, "parentheses nested deeper than %d", NS_FILTER_MAX_DEPTH);
        advance(p);
        n = parse_chain(p);
        if (n < 0)
            return -1;
        if (p->tok.type != TK_RP) {
            char what[64];
            snprintf(what, sizeof what, "')' to close the '(' of column %zu", lp.col);
            return expected(p, what);
        }
        p->depth--;
        advance(p);
    } else {
        n = parse_primitive(p);
        if (n < 0)
            return -1;
    }
    p->nodes[n].neg ^= (uint8_t)neg;
    return n;
}

static int parse_chain(struct parser *p)
{
    int first = parse_term(p);
    if (first < 0 || (p->tok.type != TK_AND && p->tok.type != TK_OR))
        return first;
    int chain = add_node(p, (struct node){0, 0, 0, first, -1});
    if (chain < 0)
        return -1;
    while (p->tok.type == TK_AND || p->tok.type == TK_OR) {
        uint8_t op = (uint8_t)p->tok.type;
        advance(p);
        int t = parse_term(p);
        if (t < 0)
            return -1;
        p->nodes[t].prev = p->nodes[chain].idx;
        p->nodes[t].op = op;
        p->nodes[chain].idx = t;
    }
    return chain;
}

/* ---- code generation ---- */

/* Emit node `ni` so that it continues at T when true and F when false;
 * returns its entry.  Recursion depth is the parenthesis depth. */
static int32_t gen(struct parser *p, int32_t ni, int32_t t, int32_t f)
{
    const struct node *nd = &p->nodes[ni];
    if (nd->neg) {
        int32_t x = t;
        t = f;
        f = x;
    }
    if (nd->leaf) {
        struct fl_insn *in = &p->f->prog[p->f->n];
        *in = p->leaves[nd->idx];
        in->jt = t;
        in->jf = f;
        return p->f->n++;
    }
    /* ((t1 op1 t2) op2 t3)...: from the last term back, a term joined by
     * `and` to what precedes makes the prefix continue into it when true,
     * one joined by `or` when false. */
    int32_t c = nd->idx;
    while (p->nodes[c].prev >= 0) {
        int32_t e = gen(p, c, t, f);
        if (p->nodes[c].op == TK_AND)
            t = e;
        else
            f = e;
        c = p->nodes[c].prev;
    }
    return gen(p, c, t, f);
}

int ns_filter_compile(struct ns_filter **out, const char *expr, struct ns_error *err)
{
    *out = NULL;
    struct parser p;
    struct ns_error local = {0};
    memset(&p, 0, sizeof p);
    p.s = expr ? expr : "";
    p.err = &local;
    advance(&p);
    if (p.tok.type == TK_WORD && fl_word_is(p.s + p.tok.start, p.tok.len, "-"))
        advance(&p); /* Argus: `ra -r f - filter` */
    int root = -1, rc = 0;
    if (p.tok.type != TK_END) {
        root = parse_chain(&p);
        if (root >= 0 && p.tok.type != TK_END) {
            if (p.tok.type == TK_RP)
                expected(&p, "'and', 'or' or end of expression (unbalanced ')')");
            else
                expected(&p, "'and', 'or' or end of expression");
            root = -1;
        }
        if (root < 0)
            rc = local.code ? local.code : NS_EINVAL;
    }
    if (rc == 0) {
        p.f = malloc(sizeof *p.f + (size_t)p.nl * sizeof p.f->prog[0]);
        if (!p.f) {
            rc = ns_error_set(&local, NS_ENOMEM, "filter: out of memory");
        } else {
            p.f->n = 0;
            p.f->entry = root < 0 ? FL_ACCEPT : gen(&p, root, FL_ACCEPT, FL_REJECT);
            *out = p.f;
        }
    }
    free(p.nodes);
    free(p.leaves);
    if (rc < 0 && err)
        *err = local;
    return rc;
}
