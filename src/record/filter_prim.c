/*
 * filter_prim.c — the primitives of the filter language: protocol words,
 * [proto] [src|dst] host/net/port/portrange, proto, vlan, comparisons on
 * record fields, and bare values that inherit the previous primitive's
 * qualifiers (tcpdump: `host a or b`, `port 80 or 443`; Argus: `dst port
 * gt 1024 and lt 2048`).  Each primitive becomes one instruction.
 */
#include <stdio.h>
#include <string.h>

#include "record/filter_parse.h"

/* ---- fields ---- */

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
        return fl_expected_after(p, value_noun(q), q);
    int rc;
    switch (q->kind) {
    case NS_V_TIME:
        rc = fl_parse_time(w, n, c);
        if (rc == -1)
            return fl_expected_after(p, value_noun(q), q);
        break;
    case NS_V_ADDR:
        rc = fl_parse_prefix(w, n, 0, c->addr, &c->alen, &c->plen);
        if (rc == -2)
            return fl_fail_at(p, &p->tok, "non-network bits set in '%.*s'", (int)n, w);
        if (rc < 0)
            return fl_expected_after(p, value_noun(q), q);
        break;
    case NS_V_MAC:
        rc = fl_parse_mac(w, n, c->addr);
        if (rc < 0)
            return fl_expected_after(p, value_noun(q), q);
        break;
    case NS_V_STR:
        if (fl_parse_number(w, n, c) == 0)
            c->has_num = 1;
        if (n >= sizeof c->s)
            return fl_fail_at(p, &p->tok, "value '%.*s' too long for '%.*s'", (int)n, w,
                              (int)q->name_len, q->name);
        memcpy(c->s, w, n);
        c->s[n] = 0;
        rc = 0;
        break;
    default:
        rc = fl_parse_number(w, n, c);
        if (rc == -1)
            return fl_expected_after(p, value_noun(q), q);
        break;
    }
    if (rc == -2)
        return fl_fail_at(p, &p->tok, "number '%.*s' out of range", (int)n, w);
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
            return fl_fail_at(p, &p->tok, "'%.*s' holds %s: compare it with == or != only",
                              (int)q->name_len, q->name,
                              q->kind == NS_V_STR ? "text" : "addresses");
        has_rel = 1;
        fl_advance(p);
    }
    in.rel = (uint8_t)rel;
    if (text)
        fl_relex_raw(p);
    const char *w = p->s + p->tok.start;
    size_t n = p->tok.len;
    long v;
    int rc;
    switch (q->type) {
    case Q_HOST:
    case Q_NET:
    case Q_HOSTNET:
        if (p->tok.type != TK_WORD)
            return fl_expected_after(p, value_noun(q), q);
        if (q->type == Q_HOST && memchr(w, '/', n))
            return fl_expected_after(p, "an address (a prefix needs 'net')", q);
        rc = fl_parse_prefix(w, n, q->type == Q_NET, in.addr, &in.alen, &in.plen);
        if (rc == -2)
            return fl_fail_at(p, &p->tok, "non-network bits set in '%.*s'", (int)n, w);
        if (rc < 0)
            return fl_expected_after(p, value_noun(q), q);
        in.test = FT_NET;
        break;
    case Q_PORT:
        v = small_number(p, 65535);
        if (v < 0)
            return fl_expected_after(p, value_noun(q), q);
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
            return fl_expected_after(p, value_noun(q), q);
        in.test = FT_PORTRANGE;
        in.n = (uint64_t)(a < b ? a : b); /* tcpdump accepts a reversed range */
        in.n2 = (uint64_t)(a < b ? b : a);
        break;
    }
    case Q_PROTO:
        v = p->tok.type == TK_WORD ? fl_proto_number(w, n) : -1;
        if (v < 0)
            return fl_expected_after(p, value_noun(q), q);
        in.test = FT_PROTO;
        in.n = (uint64_t)v;
        break;
    case Q_VLAN:
        if (!has_rel && end_of_term(&p->tok)) {
            in.test = FT_VLAN_ANY; /* `vlan` alone: tagged */
            return fl_add_leaf(p, &in);
        }
        v = small_number(p, 4095);
        if (v < 0)
            return fl_expected_after(p, value_noun(q), q);
        in.test = FT_VLAN;
        in.n = (uint64_t)v;
        break;
    case Q_FIELD:
        if (field_const(p, q, &in) < 0)
            return -1;
        break;
    }
    fl_advance(p);
    return fl_add_leaf(p, &in);
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
        return fl_fail_at(
            p, &t,
            "unknown word '%.*s': not a keyword or a field name (misspelled?), nor %s "
            "for the previous '%.*s'",
            (int)t.len, p->s + t.start, value_noun(&p->last), (int)p->last.name_len, p->last.name);
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
        if (fl_tok_is(p, t, words[i].w)) {
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
        if (fl_tok_is(p, t, words[i].w)) {
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

int fl_parse_primitive(struct parser *p)
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
            return fl_expected(p, "a field, 'port', 'proto' or 'vlan' before a comparison");
        return primitive_value(p, &p->last, 0);
    }
    if (p->tok.type != TK_WORD)
        return fl_expected(p, "a filter term");
    set_name(&q, p);
    enum qtype type;
    if (proto_word(p, &p->tok, &q)) {
        struct fl_token nx = fl_peek2(p);
        if (!fl_tok_is(p, &nx, "src") && !fl_tok_is(p, &nx, "dst") && !type_word(p, &nx, &type)) {
            /* a protocol term on its own */
            struct fl_insn in;
            memset(&in, 0, sizeof in);
            in.test = q.need == FN_PROTO ? FT_PROTO : FT_IPVER;
            in.rel = FR_EQ;
            in.n = q.need_val;
            p->have_last = 0;
            fl_advance(p);
            return fl_add_leaf(p, &in);
        }
        fl_advance(p); /* `tcp port 80`: the word qualifies what follows */
        set_name(&q, p);
    }
    if (fl_tok_is(p, &p->tok, "src") || fl_tok_is(p, &p->tok, "dst")) {
        q.side = fl_tok_is(p, &p->tok, "src") ? FS_SRC : FS_DST;
        q.type = Q_HOSTNET; /* `src 10.0.0.1`: tcpdump's default type is host */
        fl_advance(p);
    }
    if (type_word(p, &p->tok, &type)) {
        if (q.side != FS_ANY && (type == Q_PROTO || type == Q_VLAN))
            return fl_fail_at(p, &p->tok, "'%.*s' takes no src or dst", (int)p->tok.len,
                              p->s + p->tok.start);
        q.type = type;
        set_name(&q, p);
        fl_advance(p);
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
            q.kind = ns_field_kind(f);
            fl_advance(p);
            if (p->tok.type != TK_REL)
                return fl_expected_after(p, "a comparison (== != < <= > >= or eq ne lt le gt ge)",
                                         &q);
        } else if (p->have_last) {
            return inherited_value(p); /* `host a or b` */
        } else {
            uint8_t a[16], al, pl;
            int rc = fl_parse_prefix(w, p->tok.len, 0, a, &al, &pl);
            if (rc == -2)
                return fl_fail_at(p, &p->tok, "non-network bits set in '%.*s'", (int)p->tok.len, w);
            if (rc < 0) {
                struct fl_token nx = fl_peek2(p);
                if (nx.type == TK_REL)
                    return fl_fail_at(p, &p->tok,
                                      "unknown field '%.*s' (netsift read --help lists the fields)",
                                      (int)p->tok.len, w);
                return fl_fail_at(p, &p->tok,
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
