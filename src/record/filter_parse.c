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

#include "record/filter_parse.h"

/* ---- tokens and messages ---- */

void fl_advance(struct parser *p)
{
    p->tok = fl_lex(p->s, p->next, 0, &p->next);
}

struct fl_token fl_peek2(const struct parser *p)
{
    size_t after;
    return fl_lex(p->s, p->next, 0, &after);
}

/* Re-read the current token as a raw word (text values). */
void fl_relex_raw(struct parser *p)
{
    p->tok = fl_lex(p->s, p->tok.col - 1, 1, &p->next);
}

int fl_tok_is(const struct parser *p, const struct fl_token *t, const char *kw)
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

__attribute__((format(printf, 3, 4))) int fl_fail_at(struct parser *p, const struct fl_token *t,
                                                     const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
    va_end(ap);
    return ns_error_set(p->err, NS_EINVAL, "filter: %s (column %zu)", msg, t->col);
}

int fl_expected(struct parser *p, const char *what)
{
    char got[64];
    describe(p, &p->tok, got, sizeof got);
    if (p->tok.type == TK_BAD) {
        if (p->s[p->tok.start] == '"' || p->s[p->tok.start] == '\'')
            return fl_fail_at(p, &p->tok, "unterminated quote");
        return fl_fail_at(p, &p->tok, "expected %s, got %s (write 'and'/'&&', 'or'/'||')", what,
                          got);
    }
    return fl_fail_at(p, &p->tok, "expected %s, got %s", what, got);
}

int fl_expected_after(struct parser *p, const char *what, const struct qual *q)
{
    char buf[160];
    snprintf(buf, sizeof buf, "%s after '%.*s'", what, (int)q->name_len, q->name);
    return fl_expected(p, buf);
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

int fl_add_leaf(struct parser *p, const struct fl_insn *in)
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

static int parse_chain(struct parser *p);

static int parse_term(struct parser *p)
{
    int neg = 0;
    while (p->tok.type == TK_NOT) {
        neg ^= 1;
        fl_advance(p);
    }
    int n;
    if (p->tok.type == TK_LP) {
        struct fl_token lp = p->tok;
        if (++p->depth > NS_FILTER_MAX_DEPTH)
            return fl_fail_at(p, &lp, "parentheses nested deeper than %d", NS_FILTER_MAX_DEPTH);
        fl_advance(p);
        n = parse_chain(p);
        if (n < 0)
            return -1;
        if (p->tok.type != TK_RP) {
            char what[64];
            snprintf(what, sizeof what, "')' to close the '(' of column %zu", lp.col);
            return fl_expected(p, what);
        }
        p->depth--;
        fl_advance(p);
    } else {
        n = fl_parse_primitive(p);
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
        fl_advance(p);
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
    fl_advance(&p);
    if (p.tok.type == TK_WORD && fl_word_is(p.s + p.tok.start, p.tok.len, "-"))
        fl_advance(&p); /* Argus: `ra -r f - filter` */
    int root = -1, rc = 0;
    if (p.tok.type != TK_END) {
        root = parse_chain(&p);
        if (root >= 0 && p.tok.type != TK_END) {
            if (p.tok.type == TK_RP)
                fl_expected(&p, "'and', 'or' or end of expression (unbalanced ')')");
            else
                fl_expected(&p, "'and', 'or' or end of expression");
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
