/*
 * filter_lex.c — tokens of the filter language.
 *
 * Operators are recognised anywhere (`bytes>1e6` needs no blanks); a word
 * is any other run of characters, so addresses (10.0.0.1, 2001:db8::1,
 * 10.0.0.0/8), port ranges (1024-2048), negative numbers and flag strings
 * (FS.PA...) are single words that the parser interprets by context.
 * Quotes ('...' or "...") make a word of anything, for text values holding
 * operator characters.
 */
#include <string.h>

#include "record/filter_int.h"

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Characters that end a word (besides blanks). */
static int is_op_char(char c)
{
    return c == '(' || c == ')' || c == '<' || c == '>' || c == '=' || c == '!' || c == '&' ||
           c == '|' || c == '"' || c == '\'';
}

struct fl_token fl_lex(const char *s, size_t pos, int raw, size_t *next)
{
    struct fl_token t = {TK_END, FR_EQ, 0, 0, 0};
    while (s[pos] && is_blank(s[pos]))
        pos++;
    t.start = pos;
    t.col = pos + 1;
    char c = s[pos], c1 = c ? s[pos + 1] : 0;
    size_t len = 1;
    if (!c) {
        len = 0;
    } else if (c == '"' || c == '\'') {
        const char *q = strchr(s + pos + 1, c);
        if (!q) {
            t.type = TK_BAD;
        } else {
            t.type = TK_WORD;
            t.start = pos + 1;
            t.len = (size_t)(q - (s + pos + 1));
            *next = (size_t)(q - s) + 1;
            return t;
        }
    } else if (c == '(') {
        t.type = TK_LP;
    } else if (c == ')') {
        t.type = TK_RP;
    } else if (!raw && c == '&' && c1 == '&') {
        t.type = TK_AND;
        len = 2;
    } else if (!raw && c == '|' && c1 == '|') {
        t.type = TK_OR;
        len = 2;
    } else if (!raw && c == '!' && c1 == '=') {
        t.type = TK_REL;
        t.rel = FR_NE;
        len = 2;
    } else if (!raw && c == '!') {
        t.type = TK_NOT;
    } else if (!raw && (c == '<' || c == '>')) {
        t.type = TK_REL;
        len = c1 == '=' ? 2 : 1;
        t.rel = c == '<' ? (len == 2 ? FR_LE : FR_LT) : (len == 2 ? FR_GE : FR_GT);
    } else if (!raw && c == '=') {
        t.type = TK_REL;
        t.rel = FR_EQ;
        len = c1 == '=' ? 2 : 1;
    } else if (!raw && (c == '&' || c == '|')) {
        t.type = TK_BAD;
    } else {
        /* a word: in raw mode only blanks and parentheses end it */
        len = 0;
        while (s[pos + len] && !is_blank(s[pos + len]) &&
               (raw ? s[pos + len] != '(' && s[pos + len] != ')' : !is_op_char(s[pos + len])))
            len++;
        t.type = TK_WORD;
        static const struct {
            const char *w;
            enum fl_tok type;
            enum fl_rel rel;
        } kw[] = {{"and", TK_AND, FR_EQ}, {"or", TK_OR, FR_EQ},  {"not", TK_NOT, FR_EQ},
                  {"gt", TK_REL, FR_GT},  {"ge", TK_REL, FR_GE}, {"lt", TK_REL, FR_LT},
                  {"le", TK_REL, FR_LE},  {"eq", TK_REL, FR_EQ}, {"ne", TK_REL, FR_NE}};
        for (size_t i = 0; !raw && i < sizeof kw / sizeof kw[0]; i++) {
            if (fl_word_is(s + pos, len, kw[i].w)) {
                t.type = kw[i].type;
                t.rel = kw[i].rel;
            }
        }
    }
    t.len = len;
    *next = pos + len;
    return t;
}

int fl_word_is(const char *s, size_t len, const char *kw)
{
    return strlen(kw) == len && !memcmp(s, kw, len);
}
