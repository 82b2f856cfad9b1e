/*
 * filter_int.h — internals of the record filter shared by its lexer
 * (filter_lex.c), constant parsers (filter_value.c), parser and code
 * generator (filter_parse.c) and evaluator (filter_eval.c).  Not for use
 * outside src/record/filter*.c.
 *
 * The compiled form is an array of fl_insn.  Each holds one test and two
 * jump targets: an index of an earlier instruction, FL_ACCEPT or
 * FL_REJECT.  The code generator only ever jumps backwards, so evaluation
 * from `entry` ends after at most `n` steps.
 */
#ifndef NS_RECORD_FILTER_INT_H
#define NS_RECORD_FILTER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "record/fields.h"
#include "record/filter.h"
#include "util/err.h"

#define FL_ACCEPT (-1)
#define FL_REJECT (-2)

enum fl_test {
    FT_PROTO,     /* protocol number `rel` n */
    FT_IPVER,     /* ip_version == n */
    FT_NET,       /* address on `side` inside addr/plen */
    FT_PORT,      /* port on `side` `rel` n; only protocols with ports */
    FT_PORTRANGE, /* port on `side` within [n, n2] */
    FT_VLAN,      /* vlan `rel` n */
    FT_VLAN_ANY,  /* tagged: vlan != 0 */
    FT_FIELD      /* field `rel` constant */
};

enum fl_side { FS_ANY, FS_SRC, FS_DST };

enum fl_rel { FR_EQ, FR_NE, FR_LT, FR_LE, FR_GT, FR_GE };

/* What a qualifier-constrained primitive (`tcp port 80`, `ip6 host X`)
 * requires besides its own test. */
enum fl_need { FN_NONE, FN_PROTO, FN_IPVER };

/* A constant of a field comparison, parsed for the field's value kind. */
struct fl_const {
    /* numbers (NS_V_U64, NS_V_I64, NS_V_F64) */
    int has_num;  /* the text is a number (for text fields that fall back to numbers) */
    int is_int;   /* integral and within ±2^64: compare exactly via neg/mag */
    int neg;      /* sign of an integral constant (mag > 0) */
    uint64_t mag; /* magnitude of an integral constant */
    double d;     /* the value as a double (always set for numbers) */
    /* times (NS_V_TIME): ns since the epoch, exact from decimal text */
    uint64_t ns;
    int ns_range; /* -1 before the epoch, 1 beyond 2^64 ns, 0 ns is valid */
    /* NS_V_ADDR (plen = prefix length; 32/128 for one address), NS_V_MAC */
    uint8_t addr[16];
    uint8_t alen, plen;
    /* NS_V_STR */
    char s[24];
};

struct fl_insn {
    uint8_t test; /* enum fl_test */
    uint8_t side; /* enum fl_side */
    uint8_t rel;  /* enum fl_rel */
    uint8_t need; /* enum fl_need */
    uint8_t need_val;
    uint8_t kind; /* enum ns_value_kind of `field` (FT_FIELD) */
    uint8_t alen, plen;
    uint8_t addr[16]; /* FT_NET */
    uint64_t n, n2;
    const struct ns_field *field;
    struct fl_const c;
    int32_t jt, jf;
};

struct ns_filter {
    int32_t n;
    int32_t entry; /* first instruction, or FL_ACCEPT when the program is empty */
    struct fl_insn prog[];
};

/* One test, without jumps: 1 true, 0 false. */
int fl_test(const struct fl_insn *in, const struct ns_record *r);

/* ---- lexer (filter_lex.c) ---- */

enum fl_tok {
    TK_END,
    TK_LP,
    TK_RP,
    TK_NOT,
    TK_AND,
    TK_OR,
    TK_REL, /* rel holds which */
    TK_WORD,
    TK_BAD /* a character that starts no token ('&', '|' alone) */
};

struct fl_token {
    enum fl_tok type;
    enum fl_rel rel;
    size_t start, len; /* in the expression (inside the quotes for quoted words) */
    size_t col;        /* 1-based column of the token's first character */
};

/* The token starting at or after `pos` in `s`; *next is where the one after
 * begins.  `raw`: a word runs to the next blank or parenthesis, operator
 * characters included (values such as `<->` of the dir field). */
struct fl_token fl_lex(const char *s, size_t pos, int raw, size_t *next);

/* ---- constants (filter_value.c) ---- */

/* Parse a number: decimal with optional sign, fraction, exponent and one of
 * the suffixes k K M G T (powers of 1000).  0 ok, -1 not a number, -2 out of
 * range. */
int fl_parse_number(const char *s, size_t len, struct fl_const *c);

/* Parse an epoch time in seconds (fraction exact to the ns) into c->ns. */
int fl_parse_time(const char *s, size_t len, struct fl_const *c);

/* An IPv4 or IPv6 address, optionally /len.  `partial_v4` accepts tcpdump's
 * short network numbers (10, 172.16, 192.168.1: /8, /16, /24).  Returns 0,
 * -1 not an address or prefix, -2 host bits set beyond the prefix. */
int fl_parse_prefix(const char *s, size_t len, int partial_v4, uint8_t addr[16], uint8_t *alen,
                    uint8_t *plen);

/* aa:bb:cc:dd:ee:ff. */
int fl_parse_mac(const char *s, size_t len, uint8_t mac[6]);

/* Protocol number from a name (tcp, udp, icmp, icmp6, ...) or a number
 * 0..255; -1 if neither. */
int fl_proto_number(const char *s, size_t len);

/* Whether a keyword word equals `kw`. */
int fl_word_is(const char *s, size_t len, const char *kw);

#endif
