/*
 * filter_parse.h — parser state shared by the two halves of the filter
 * parser: filter_parse.c (tokens, messages, and/or/not/parentheses, code
 * generation) and filter_prim.c (primitives: qualifiers, values, fields).
 * Internal to src/record/filter*.c.
 *
 * Errors: the fl_* functions that can fail return a negative NS_E* code
 * after filling p->err ("filter: ... (column N)"); functions returning a
 * node or leaf index return it (>= 0) on success.
 */
#ifndef NS_RECORD_FILTER_PARSE_H
#define NS_RECORD_FILTER_PARSE_H

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

void fl_advance(struct parser *p);
/* The token after the current one, without consuming anything. */
struct fl_token fl_peek2(const struct parser *p);
/* Re-read the current token as a raw word (text values). */
void fl_relex_raw(struct parser *p);
int fl_tok_is(const struct parser *p, const struct fl_token *t, const char *kw);
int fl_fail_at(struct parser *p, const struct fl_token *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "expected WHAT, got 'token' (column N)" at the current token. */
int fl_expected(struct parser *p, const char *what);
/* The same, "expected WHAT after 'qualifier'". */
int fl_expected_after(struct parser *p, const char *what, const struct qual *q);
/* Add a leaf holding `in`; returns its node index. */
int fl_add_leaf(struct parser *p, const struct fl_insn *in);
/* One primitive at the current token (filter_prim.c); returns its node. */
int fl_parse_primitive(struct parser *p);

#endif
