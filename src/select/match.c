/*
 * match.c — see match.h.  Lexer, parser (a small tree: chains of terms
 * joined by and/or, leaves holding one mask/match rule), code generator
 * (each chain walked from its last term to its first, so every jump
 * target already exists) and the evaluator.
 */
#include "select/match.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define M_ACCEPT (-1)
#define M_REJECT (-2)

/* Fields a rule reads.  Numeric ones are compared as (v & mask) REL val;
 * wide ones (addresses, MACs) as a masked byte string, == only. */
enum mfield {
    MF_TRUE,
    MF_IPVER,
    MF_PROTO,
    MF_SPORT,
    MF_DPORT,
    MF_LEN,
    MF_IPLEN,
    MF_TTL,
    MF_TOS,
    MF_VLAN,
    MF_VLAN_ANY,
    MF_MPLS,
    MF_MPLS_ANY,
    MF_TCPFLAGS,
    MF_ICMPTYPE,
    MF_ICMPCODE,
    MF_IFACE,
    MF_ETHERTYPE,
    MF_AH,
    MF_FRAG,
    MF_ENCRYPTED,
    MF_RAW,
    /* wide */
    MF_SRC,
    MF_DST,
    MF_ESRC,
    MF_EDST
};

enum mrel { MR_EQ, MR_NE, MR_LT, MR_LE, MR_GT, MR_GE };

enum mbase { MB_ETHER, MB_IP, MB_IP6, MB_TCP, MB_UDP, MB_L4 };

struct rule {
    uint8_t field, rel, base, size;
    uint8_t wlen; /* wide: bytes compared (4 or 16 for addresses, 6 for MACs) */
    uint32_t off;
    uint64_t mask, val;
    uint8_t wmask[16], wval[16];
    int32_t jt, jf;
};

struct ns_match {
    int32_t n, entry;
    struct rule prog[];
};

/* ------------------------------------------------------------------ */
/* evaluation                                                          */

static int has_ports(const struct ns_pkt *p)
{
    return (p->flags & NS_PKT_F_L4) && (p->proto == 6 || p->proto == 17 || p->proto == 132);
}

/* Raw bytes: the start of `base` in the frame, or -1 when the packet has
 * no such header. */
static int64_t base_off(uint8_t base, const struct ns_pkt *p)
{
    if (base == MB_ETHER)
        return 0;
    if (!(p->flags & NS_PKT_F_IP) || p->l3_off == 0xffff)
        return -1;
    switch (base) {
    case MB_IP:
        return p->ip_version == 4 ? p->l3_off : -1;
    case MB_IP6:
        return p->ip_version == 6 ? p->l3_off : -1;
    case MB_TCP:
    case MB_UDP:
    case MB_L4:
        /* a non-first fragment carries no transport header */
        if ((p->flags & NS_PKT_F_FRAG) && p->frag_off)
            return -1;
        if (base == MB_TCP && p->proto != 6)
            return -1;
        if (base == MB_UDP && p->proto != 17)
            return -1;
        return (int64_t)p->l3_off + p->ip_hdr_len;
    default:
        return -1;
    }
}

static int get_num(const struct rule *r, const struct ns_pkt *p, const uint8_t *frame, uint64_t *v)
{
    const int ip = (p->flags & NS_PKT_F_IP) != 0;
    switch (r->field) {
    case MF_TRUE:
        *v = 1;
        return 1;
    case MF_IPVER:
        *v = p->ip_version;
        return ip;
    case MF_PROTO:
        *v = p->proto;
        return ip;
    case MF_SPORT:
        *v = p->sport;
        return ip && has_ports(p);
    case MF_DPORT:
        *v = p->dport;
        return ip && has_ports(p);
    case MF_LEN:
        *v = p->wirelen;
        return 1;
    case MF_IPLEN:
        *v = p->ip_len;
        return ip;
    case MF_TTL:
        *v = p->ttl;
        return ip;
    case MF_TOS:
        *v = p->tos;
        return ip;
    case MF_VLAN:
        *v = p->vlan[0];
        return p->vlan_count > 0;
    case MF_VLAN_ANY:
        *v = p->vlan_count > 0;
        return 1;
    case MF_MPLS:
        *v = p->mpls_top >> 12;
        return p->mpls_count > 0;
    case MF_MPLS_ANY:
        *v = p->mpls_count > 0;
        return 1;
    case MF_TCPFLAGS:
        *v = p->tcp_flags;
        return ip && p->proto == 6 && (p->flags & NS_PKT_F_L4);
    case MF_ICMPTYPE:
        *v = p->icmp_type;
        return ip && (p->proto == 1 || p->proto == 58) && (p->flags & NS_PKT_F_L4);
    case MF_ICMPCODE:
        *v = p->icmp_code;
        return ip && (p->proto == 1 || p->proto == 58) && (p->flags & NS_PKT_F_L4);
    case MF_IFACE:
        *v = p->ifindex;
        return 1;
    case MF_ETHERTYPE:
        *v = p->ethertype;
        return 1;
    case MF_AH:
        *v = (p->flags & NS_PKT_F_AH) != 0;
        return 1;
    case MF_FRAG:
        *v = (p->flags & NS_PKT_F_FRAG) != 0;
        return 1;
    case MF_ENCRYPTED: {
        /* ESP, or UDP-encapsulated ESP: RFC 3948 §2.2, a zero first word
         * is the non-ESP marker (IKE) */
        int natt = ip && p->proto == 17 && (p->flags & NS_PKT_F_L4) &&
                   (p->sport == 4500 || p->dport == 4500) && p->payload && p->payload_caplen >= 4 &&
                   (p->payload[0] | p->payload[1] | p->payload[2] | p->payload[3]);
        *v = (ip && p->proto == 50) || natt;
        return 1;
    }
    case MF_RAW: {
        int64_t b = base_off(r->base, p);
        if (b < 0 || !frame)
            return 0;
        uint64_t at = (uint64_t)b + r->off;
        if (at + r->size > p->caplen)
            return 0;
        uint64_t x = 0;
        for (unsigned i = 0; i < r->size; i++)
            x = x << 8 | frame[at + i];
        *v = x;
        return 1;
    }
    default:
        return 0;
    }
}

static int test_rule(const struct rule *r, const struct ns_pkt *p, const uint8_t *frame)
{
    if (r->field >= MF_SRC) {
        const uint8_t *x;
        switch (r->field) {
        case MF_SRC:
        case MF_DST:
            if (!(p->flags & NS_PKT_F_IP) || (r->wlen == 4) != (p->ip_version == 4))
                return 0;
            x = r->field == MF_SRC ? p->src : p->dst;
            break;
        case MF_ESRC:
            x = p->src_mac;
            break;
        default:
            x = p->dst_mac;
            break;
        }
        int eq = 1;
        for (unsigned i = 0; i < r->wlen; i++)
            eq &= (x[i] & r->wmask[i]) == r->wval[i];
        return r->rel == MR_NE ? !eq : eq;
    }
    uint64_t v;
    if (!get_num(r, p, frame, &v))
        return 0;
    v &= r->mask;
    switch (r->rel) {
    case MR_EQ:
        return v == r->val;
    case MR_NE:
        return v != r->val;
    case MR_LT:
        return v < r->val;
    case MR_LE:
        return v <= r->val;
    case MR_GT:
        return v > r->val;
    default:
        return v >= r->val;
    }
}

int ns_match_eval(const struct ns_match *m, const struct ns_pkt *p, const uint8_t *frame)
{
    if (!m)
        return 1;
    int32_t pc = m->entry;
    while (pc >= 0) {
        const struct rule *r = &m->prog[pc];
        pc = test_rule(r, p, frame) ? r->jt : r->jf;
    }
    return pc == M_ACCEPT;
}

int ns_match_size(const struct ns_match *m)
{
    return m ? m->n : 0;
}

void ns_match_free(struct ns_match *m)
{
    free(m);
}

/* ------------------------------------------------------------------ */
/* lexer                                                               */

enum tok { T_END, T_LP, T_RP, T_LB, T_RB, T_NOT, T_AND, T_OR, T_REL, T_AMP, T_WORD, T_BAD };

struct token {
    enum tok type;
    enum mrel rel;
    size_t start, len, col;
};

static int word_char(int c)
{
    return isalnum(c) || c == '_' || c == '.' || c == ':' || c == '/' || c == '-';
}

static struct token lex(const char *s, size_t pos, size_t *next)
{
    while (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n')
        pos++;
    struct token t = {T_END, MR_EQ, pos, 0, pos + 1};
    char c = s[pos], d = c ? s[pos + 1] : 0;
    size_t n = 1;
    switch (c) {
    case 0:
        n = 0;
        break;
    case '(':
        t.type = T_LP;
        break;
    case ')':
        t.type = T_RP;
        break;
    case '[':
        t.type = T_LB;
        break;
    case ']':
        t.type = T_RB;
        break;
    case '&':
        t.type = d == '&' ? T_AND : T_AMP;
        n = d == '&' ? 2 : 1;
        break;
    case '|':
        t.type = d == '|' ? T_OR : T_BAD;
        n = d == '|' ? 2 : 1;
        break;
    case '!':
        t.type = d == '=' ? T_REL : T_NOT;
        t.rel = MR_NE;
        n = d == '=' ? 2 : 1;
        break;
    case '=':
        t.type = T_REL;
        t.rel = MR_EQ;
        n = d == '=' ? 2 : 1;
        break;
    case '<':
        t.type = T_REL;
        t.rel = d == '=' ? MR_LE : MR_LT;
        n = d == '=' ? 2 : 1;
        break;
    case '>':
        t.type = T_REL;
        t.rel = d == '=' ? MR_GE : MR_GT;
        n = d == '=' ? 2 : 1;
        break;
    default:
        if (!word_char((unsigned char)c)) {
            t.type = T_BAD;
            break;
        }
        while (word_char((unsigned char)s[pos + n]))
            n++;
        t.type = T_WORD;
        break;
    }
    t.len = n;
    *next = pos + n;
    if (t.type == T_WORD) {
        /* the words of the grammar */
        static const struct {
            const char *w;
            enum tok t;
        } kw[] = {{"and", T_AND}, {"or", T_OR}, {"not", T_NOT}};
        for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
            if (strlen(kw[i].w) == n && strncmp(s + pos, kw[i].w, n) == 0)
                t.type = kw[i].t;
        static const struct {
            const char *w;
            enum mrel r;
        } rw[] = {{"eq", MR_EQ}, {"ne", MR_NE}, {"lt", MR_LT},
                  {"le", MR_LE}, {"gt", MR_GT}, {"ge", MR_GE}};
        for (size_t i = 0; i < sizeof rw / sizeof rw[0]; i++)
            if (n == 2 && strncmp(s + pos, rw[i].w, 2) == 0) {
                t.type = T_REL;
                t.rel = rw[i].r;
            }
    }
    return t;
}

/* ------------------------------------------------------------------ */
/* parser                                                              */

struct node {
    uint8_t leaf; /* 1: idx is a rule; 0: a chain, idx its last term */
    uint8_t neg;
    uint8_t op; /* T_AND or T_OR before this term in its chain */
    int32_t idx;
    int32_t prev; /* previous term in the chain, -1 for the first */
};

enum qkind { Q_NONE, Q_HOST, Q_NET, Q_PORT, Q_PORTRANGE, Q_PROTO, Q_NUMFIELD };
enum qside { S_ANY, S_SRC, S_DST };

struct qual {
    enum qkind kind;
    enum qside side;
    int need_proto; /* -1 none, else the IP protocol the primitive requires */
    int need_ver;   /* 0 none, 4 or 6 */
    uint8_t field;  /* Q_NUMFIELD */
};

struct parser {
    const char *s;
    struct token tok;
    size_t next;
    struct ns_error *err;
    struct node *nodes;
    int32_t nn, ncap;
    struct rule *rules;
    int32_t nr, rcap;
    struct qual last;
    int depth;
};

static void advance(struct parser *p)
{
    p->tok = lex(p->s, p->next, &p->next);
}

static int is_word(const struct parser *p, const struct token *t, const char *w)
{
    return t->type == T_WORD && strlen(w) == t->len && strncmp(p->s + t->start, w, t->len) == 0;
}

__attribute__((format(printf, 3, 4))) static int fail_at(struct parser *p, const struct token *t,
                                                         const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
    va_end(ap);
    return ns_error_set(p->err, NS_EINVAL, "select match: %s (column %zu)", msg, t->col);
}

static int expected(struct parser *p, const char *what)
{
    if (p->tok.type == T_END)
        return fail_at(p, &p->tok, "expected %s, got end of expression", what);
    int n = p->tok.len > 40 ? 40 : (int)p->tok.len;
    return fail_at(p, &p->tok, "expected %s, got '%.*s'", what, n, p->s + p->tok.start);
}

static int add_node(struct parser *p, struct node n)
{
    if (p->nn == p->ncap) {
        int32_t cap = p->ncap ? 2 * p->ncap : 16;
        struct node *x = realloc(p->nodes, (size_t)cap * sizeof *x);
        if (!x)
            return ns_error_set(p->err, NS_ENOMEM, "select match: out of memory");
        p->nodes = x;
        p->ncap = cap;
    }
    p->nodes[p->nn] = n;
    return p->nn++;
}

static int add_rule(struct parser *p, const struct rule *r)
{
    if (p->nr >= NS_MATCH_MAX_RULES)
        return fail_at(p, &p->tok, "expression too long (more than %d rules)", NS_MATCH_MAX_RULES);
    if (p->nr == p->rcap) {
        int32_t cap = p->rcap ? 2 * p->rcap : 16;
        struct rule *x = realloc(p->rules, (size_t)cap * sizeof *x);
        if (!x)
            return ns_error_set(p->err, NS_ENOMEM, "select match: out of memory");
        p->rules = x;
        p->rcap = cap;
    }
    p->rules[p->nr] = *r;
    struct node n = {1, 0, T_AND, p->nr++, -1};
    return add_node(p, n);
}

static struct rule num_rule(uint8_t field, enum mrel rel, uint64_t val)
{
    struct rule r;
    memset(&r, 0, sizeof r);
    r.field = field;
    r.rel = (uint8_t)rel;
    r.mask = ~0ull;
    r.val = val;
    return r;
}

/* Join node a and node b (both already built) into a two-term chain. */
static int join(struct parser *p, int a, int b, uint8_t op)
{
    p->nodes[a].prev = -1;
    p->nodes[b].prev = a;
    p->nodes[b].op = op;
    struct node c = {0, 0, T_AND, b, -1};
    return add_node(p, c);
}

static int parse_u64(const char *s, size_t len, uint64_t *v)
{
    char buf[32];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = 0;
    if (!isdigit((unsigned char)buf[0]))
        return -1;
    char *end;
    unsigned long long x = strtoull(buf, &end, 0);
    if (*end)
        return -1;
    *v = x;
    return 0;
}

static int tok_u64(struct parser *p, uint64_t max, const char *what, uint64_t *v)
{
    if (p->tok.type != T_WORD || parse_u64(p->s + p->tok.start, p->tok.len, v) < 0 || *v > max)
        return expected(p, what);
    advance(p);
    return 0;
}

/* Port: a number or a few well-known service names. */
static int port_value(const char *s, size_t len, uint64_t *v)
{
    static const struct {
        const char *n;
        uint16_t port;
    } names[] = {{"ftp", 21},    {"ssh", 22},     {"telnet", 23},  {"smtp", 25},
                 {"domain", 53}, {"http", 80},    {"ntp", 123},    {"bgp", 179},
                 {"https", 443}, {"isakmp", 500}, {"syslog", 514}, {"ipfix", 4739}};
    if (parse_u64(s, len, v) == 0)
        return *v <= 65535 ? 0 : -1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].n) == len && strncmp(s, names[i].n, len) == 0) {
            *v = names[i].port;
            return 0;
        }
    return -1;
}

static int proto_word(const char *s, size_t len)
{
    static const struct {
        const char *n;
        uint8_t proto;
    } names[] = {{"icmp", 1}, {"igmp", 2},   {"tcp", 6},   {"udp", 17},   {"gre", 47},  {"esp", 50},
                 {"ah", 51},  {"icmp6", 58}, {"pim", 103}, {"vrrp", 112}, {"sctp", 132}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].n) == len && strncmp(s, names[i].n, len) == 0)
            return names[i].proto;
    return -1;
}

/* IPv4/IPv6 address with optional /len.  0 ok, -1 not one, -2 host bits. */
static int parse_prefix(const char *s, size_t len, uint8_t addr[16], uint8_t *alen, uint8_t *plen)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = 0;
    char *slash = strchr(buf, '/');
    long pl = -1;
    if (slash) {
        *slash = 0;
        char *end;
        if (!isdigit((unsigned char)slash[1]))
            return -1;
        pl = strtol(slash + 1, &end, 10);
        if (*end)
            return -1;
    }
    memset(addr, 0, 16);
    if (inet_pton(AF_INET, buf, addr) == 1)
        *alen = 4;
    else if (inet_pton(AF_INET6, buf, addr) == 1)
        *alen = 16;
    else
        return -1;
    if (pl < 0)
        pl = (long)*alen * 8;
    if (pl > (long)*alen * 8)
        return -1;
    *plen = (uint8_t)pl;
    for (int i = 0; i < *alen; i++) {
        int bits = (int)pl - 8 * i;
        uint8_t m = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
        if (addr[i] & ~m)
            return -2;
    }
    return 0;
}

static int parse_mac(const char *s, size_t len, uint8_t mac[6])
{
    unsigned v[6];
    char buf[32];
    char tail;
    if (len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = 0;
    if (sscanf(buf, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) !=
        6)
        return -1;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    return 0;
}

/* A node that requires IP protocol `proto`, ANDed with `n` (n < 0: alone). */
static int with_need(struct parser *p, const struct qual *q, int n)
{
    if (n < 0)
        return n;
    if (q->need_proto >= 0) {
        struct rule r = num_rule(MF_PROTO, MR_EQ, (uint64_t)q->need_proto);
        int a = add_rule(p, &r);
        if (a < 0)
            return a;
        n = join(p, a, n, T_AND);
    }
    if (n >= 0 && q->need_ver) {
        struct rule r = num_rule(MF_IPVER, MR_EQ, (uint64_t)q->need_ver);
        int a = add_rule(p, &r);
        if (a < 0)
            return a;
        n = join(p, a, n, T_AND);
    }
    return n;
}

/* One rule per side: src, dst, or both joined by `or`. */
static int sided(struct parser *p, enum qside side, struct rule *src, struct rule *dst)
{
    if (side == S_SRC)
        return add_rule(p, src);
    if (side == S_DST)
        return add_rule(p, dst);
    int a = add_rule(p, src);
    if (a < 0)
        return a;
    int b = add_rule(p, dst);
    if (b < 0)
        return b;
    return join(p, a, b, T_OR);
}

/* The value of a host/net/port/portrange primitive under qualifiers q. */
static int qual_value(struct parser *p, const struct qual *q)
{
    if (p->tok.type != T_WORD)
        return expected(p, q->kind == Q_PORT        ? "a port"
                           : q->kind == Q_PORTRANGE ? "a port range A-B"
                                                    : "an address");
    const char *s = p->s + p->tok.start;
    size_t len = p->tok.len;
    struct rule a, b;
    int n;
    switch (q->kind) {
    case Q_HOST:
    case Q_NET: {
        uint8_t addr[16], alen, plen;
        int rc = parse_prefix(s, len, addr, &alen, &plen);
        if (rc == -2)
            return fail_at(p, &p->tok, "'%.*s' has bits set beyond its prefix length", (int)len, s);
        if (rc < 0 || (q->kind == Q_HOST && plen != alen * 8))
            return expected(p, q->kind == Q_HOST ? "an IPv4 or IPv6 address"
                                                 : "an IPv4 or IPv6 prefix such as 192.0.2.0/24");
        if ((q->need_ver == 4 && alen != 4) || (q->need_ver == 6 && alen != 16))
            return fail_at(p, &p->tok, "'%.*s' is not an IPv%d address", (int)len, s, q->need_ver);
        memset(&a, 0, sizeof a);
        a.field = MF_SRC;
        a.rel = MR_EQ;
        a.wlen = alen;
        for (int i = 0; i < alen; i++) {
            int bits = (int)plen - 8 * i;
            a.wmask[i] = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
            a.wval[i] = addr[i];
        }
        b = a;
        b.field = MF_DST;
        advance(p);
        struct qual q2 = *q;
        q2.need_ver = 0; /* the address family decides already */
        n = sided(p, q->side, &a, &b);
        return with_need(p, &q2, n);
    }
    case Q_PORT: {
        uint64_t v;
        if (port_value(s, len, &v) < 0)
            return expected(p, "a port number 0-65535");
        a = num_rule(MF_SPORT, MR_EQ, v);
        b = num_rule(MF_DPORT, MR_EQ, v);
        advance(p);
        n = sided(p, q->side, &a, &b);
        return with_need(p, q, n);
    }
    case Q_PORTRANGE: {
        const char *dash = memchr(s, '-', len);
        uint64_t lo, hi;
        if (!dash || port_value(s, (size_t)(dash - s), &lo) < 0 ||
            port_value(dash + 1, len - (size_t)(dash - s) - 1, &hi) < 0)
            return expected(p, "a port range A-B");
        if (lo > hi) {
            uint64_t t = lo;
            lo = hi;
            hi = t;
        }
        advance(p);
        /* (sport >= lo and sport <= hi) per side */
        int side_nodes[2], k = 0;
        for (int sd = 0; sd < 2; sd++) {
            if ((sd == 0 && q->side == S_DST) || (sd == 1 && q->side == S_SRC))
                continue;
            uint8_t f = sd == 0 ? MF_SPORT : MF_DPORT;
            struct rule r1 = num_rule(f, MR_GE, lo), r2 = num_rule(f, MR_LE, hi);
            int x = add_rule(p, &r1);
            if (x < 0)
                return x;
            int y = add_rule(p, &r2);
            if (y < 0)
                return y;
            side_nodes[k] = join(p, x, y, T_AND);
            if (side_nodes[k] < 0)
                return side_nodes[k];
            k++;
        }
        n = k == 2 ? join(p, side_nodes[0], side_nodes[1], T_OR) : side_nodes[0];
        return with_need(p, q, n);
    }
    default:
        return expected(p, "a primitive");
    }
}

/* FIELD / RAW [& MASK] REL VALUE, the field's rule template in r. */
static int comparison(struct parser *p, struct rule *r, uint64_t max)
{
    if (p->tok.type == T_AMP) {
        advance(p);
        uint64_t m = 0;
        int rc = tok_u64(p, max, "a mask", &m);
        if (rc < 0)
            return rc;
        r->mask = m;
    }
    if (p->tok.type != T_REL)
        return expected(p, "a relation (==, !=, <, <=, >, >=)");
    r->rel = (uint8_t)p->tok.rel;
    advance(p);
    uint64_t v = 0;
    int rc = tok_u64(p, max, "a number", &v);
    if (rc < 0)
        return rc;
    r->val = v;
    return add_rule(p, r);
}

static const struct {
    const char *name;
    uint8_t field;
    uint64_t max;
} num_fields[] = {{"len", MF_LEN, 0xffffffffu},   {"iplen", MF_IPLEN, 0xffffffffu},
                  {"ttl", MF_TTL, 255},           {"tos", MF_TOS, 255},
                  {"sport", MF_SPORT, 65535},     {"dport", MF_DPORT, 65535},
                  {"tcpflags", MF_TCPFLAGS, 255}, {"icmptype", MF_ICMPTYPE, 255},
                  {"icmpcode", MF_ICMPCODE, 255}, {"ethertype", MF_ETHERTYPE, 65535}};

static int raw_base(const struct parser *p, const struct token *t)
{
    static const char *const names[] = {"ether", "ip", "ip6", "tcp", "udp", "l4"};
    for (int i = 0; i < 6; i++)
        if (is_word(p, t, names[i]))
            return i;
    return -1;
}

static int parse_primitive(struct parser *p)
{
    struct token t = p->tok;
    const char *s = p->s + t.start;
    struct qual q = {Q_NONE, S_ANY, -1, 0, 0};
    struct rule r;

    if (t.type != T_WORD)
        return expected(p, "a primitive");

    /* raw bytes: BASE[OFF[:SIZE]] */
    int rb = raw_base(p, &t);
    if (rb >= 0) {
        size_t after;
        struct token nt = lex(p->s, p->next, &after);
        if (nt.type == T_LB) {
            advance(p);
            advance(p);
            if (p->tok.type != T_WORD)
                return expected(p, "an offset");
            const char *w = p->s + p->tok.start;
            size_t wl = p->tok.len;
            const char *colon = memchr(w, ':', wl);
            uint64_t off, size = 1;
            if (parse_u64(w, colon ? (size_t)(colon - w) : wl, &off) < 0 || off > 65535 ||
                (colon && (parse_u64(colon + 1, wl - (size_t)(colon - w) - 1, &size) < 0 ||
                           (size != 1 && size != 2 && size != 4))))
                return expected(p, "OFFSET or OFFSET:SIZE (size 1, 2 or 4)");
            advance(p);
            if (p->tok.type != T_RB)
                return expected(p, "']'");
            advance(p);
            r = num_rule(MF_RAW, MR_EQ, 0);
            r.base = (uint8_t)rb;
            r.off = (uint32_t)off;
            r.size = (uint8_t)size;
            p->last.kind = Q_NONE;
            return comparison(p, &r, size == 4 ? 0xffffffffu : size == 2 ? 0xffff : 0xff);
        }
    }

    /* named numeric fields compared with a relation */
    for (size_t i = 0; i < sizeof num_fields / sizeof num_fields[0]; i++)
        if (is_word(p, &t, num_fields[i].name)) {
            advance(p);
            r = num_rule(num_fields[i].field, MR_EQ, 0);
            p->last.kind = Q_NONE;
            return comparison(p, &r, num_fields[i].max);
        }

    if (is_word(p, &t, "greater") || is_word(p, &t, "less")) {
        int greater = is_word(p, &t, "greater");
        advance(p);
        uint64_t v;
        int rc = tok_u64(p, 0xffffffffu, "a length", &v);
        if (rc < 0)
            return rc;
        r = num_rule(MF_LEN, greater ? MR_GE : MR_LE, v);
        p->last.kind = Q_NONE;
        return add_rule(p, &r);
    }
    if (is_word(p, &t, "encrypted") || is_word(p, &t, "frag")) {
        r = num_rule(is_word(p, &t, "frag") ? MF_FRAG : MF_ENCRYPTED, MR_EQ, 1);
        advance(p);
        p->last.kind = Q_NONE;
        return add_rule(p, &r);
    }
    if (is_word(p, &t, "vlan") || is_word(p, &t, "mpls") || is_word(p, &t, "iface")) {
        int vlan = is_word(p, &t, "vlan"), iface = is_word(p, &t, "iface");
        advance(p);
        if (!vlan && !iface && is_word(p, &p->tok, "label"))
            advance(p);
        uint64_t v, max = vlan ? 4095 : iface ? 0xffffffffu : 0xfffff;
        if (p->tok.type == T_REL) { /* vlan > 100 */
            r = num_rule(vlan ? MF_VLAN : iface ? MF_IFACE : MF_MPLS, MR_EQ, 0);
            p->last.kind = Q_NONE;
            return comparison(p, &r, max);
        }
        if (p->tok.type == T_WORD && parse_u64(p->s + p->tok.start, p->tok.len, &v) == 0) {
            if (v > max)
                return fail_at(p, &p->tok, "%s wants 0..%llu",
                               vlan    ? "vlan"
                               : iface ? "iface"
                                       : "mpls",
                               (unsigned long long)max);
            advance(p);
            r = num_rule(vlan ? MF_VLAN : iface ? MF_IFACE : MF_MPLS, MR_EQ, v);
            p->last.kind = Q_NUMFIELD;
            p->last.field = r.field;
            return add_rule(p, &r);
        }
        if (iface)
            return expected(p, "an interface number");
        r = num_rule(vlan ? MF_VLAN_ANY : MF_MPLS_ANY, MR_EQ, 1);
        p->last.kind = Q_NONE;
        return add_rule(p, &r);
    }
    if (is_word(p, &t, "ether")) {
        advance(p);
        enum qside side = S_ANY;
        if (is_word(p, &p->tok, "src") || is_word(p, &p->tok, "dst")) {
            side = is_word(p, &p->tok, "src") ? S_SRC : S_DST;
            advance(p);
        }
        if (!is_word(p, &p->tok, "host"))
            return expected(p, "'host' after 'ether'");
        advance(p);
        uint8_t mac[6];
        if (p->tok.type != T_WORD || parse_mac(p->s + p->tok.start, p->tok.len, mac) < 0)
            return expected(p, "a MAC address aa:bb:cc:dd:ee:ff");
        advance(p);
        struct rule a, b;
        memset(&a, 0, sizeof a);
        a.field = MF_ESRC;
        a.rel = MR_EQ;
        a.wlen = 6;
        memset(a.wmask, 0xff, 6);
        memcpy(a.wval, mac, 6);
        b = a;
        b.field = MF_EDST;
        p->last.kind = Q_NONE;
        return sided(p, side, &a, &b);
    }

    /* [ip|ip6|tcp|udp|...] [src|dst] (host|net|port|portrange) VALUE,
     * proto words alone, [ip|ip6] proto N */
    int ver = is_word(p, &t, "ip") ? 4 : is_word(p, &t, "ip6") ? 6 : 0;
    int proto = ver ? -1 : proto_word(s, t.len);
    if (ver || proto >= 0)
        advance(p);
    q.need_ver = ver;
    q.need_proto = proto;
    if (ver && is_word(p, &p->tok, "proto")) {
        advance(p);
        uint64_t v;
        int pw = p->tok.type == T_WORD ? proto_word(p->s + p->tok.start, p->tok.len) : -1;
        if (pw >= 0) {
            v = (uint64_t)pw;
            advance(p);
        } else {
            int rc = tok_u64(p, 255, "a protocol name or number", &v);
            if (rc < 0)
                return rc;
        }
        r = num_rule(MF_PROTO, MR_EQ, v);
        int n = add_rule(p, &r);
        q.need_proto = -1;
        p->last.kind = Q_NONE;
        return with_need(p, &q, n);
    }
    if (is_word(p, &p->tok, "proto") && !ver && proto < 0) {
        advance(p);
        uint64_t v;
        int pw = p->tok.type == T_WORD ? proto_word(p->s + p->tok.start, p->tok.len) : -1;
        if (pw >= 0) {
            v = (uint64_t)pw;
            advance(p);
        } else {
            int rc = tok_u64(p, 255, "a protocol name or number", &v);
            if (rc < 0)
                return rc;
        }
        r = num_rule(MF_PROTO, MR_EQ, v);
        p->last.kind = Q_NUMFIELD;
        p->last.field = MF_PROTO;
        return add_rule(p, &r);
    }
    if (is_word(p, &p->tok, "src") || is_word(p, &p->tok, "dst")) {
        q.side = is_word(p, &p->tok, "src") ? S_SRC : S_DST;
        advance(p);
    }
    if (is_word(p, &p->tok, "host"))
        q.kind = Q_HOST;
    else if (is_word(p, &p->tok, "net"))
        q.kind = Q_NET;
    else if (is_word(p, &p->tok, "port"))
        q.kind = Q_PORT;
    else if (is_word(p, &p->tok, "portrange"))
        q.kind = Q_PORTRANGE;
    if (q.kind != Q_NONE) {
        if ((q.kind == Q_PORT || q.kind == Q_PORTRANGE) && q.need_proto >= 0 && q.need_proto != 6 &&
            q.need_proto != 17 && q.need_proto != 132)
            return fail_at(p, &t, "'%.*s' has no ports", (int)t.len, s);
        advance(p);
        p->last = q;
        return qual_value(p, &q);
    }
    if (q.side != S_ANY)
        return expected(p, "host, net, port or portrange");
    if (ver) {
        r = num_rule(MF_IPVER, MR_EQ, (uint64_t)ver);
        p->last.kind = Q_NONE;
        return add_rule(p, &r);
    }
    if (proto >= 0) {
        /* AH is skipped by the decoder to reach the transport header: a
         * flag says it was there */
        r = proto == 51 ? num_rule(MF_AH, MR_EQ, 1) : num_rule(MF_PROTO, MR_EQ, (uint64_t)proto);
        p->last.kind = Q_NONE;
        return add_rule(p, &r);
    }
    /* a bare value repeats the previous qualifiers: `port 80 or 443` */
    if (p->last.kind == Q_HOST || p->last.kind == Q_NET || p->last.kind == Q_PORT ||
        p->last.kind == Q_PORTRANGE) {
        struct qual last = p->last;
        return qual_value(p, &last);
    }
    if (p->last.kind == Q_NUMFIELD) {
        uint64_t v;
        if (parse_u64(s, t.len, &v) == 0) {
            advance(p);
            r = num_rule(p->last.field, MR_EQ, v);
            return add_rule(p, &r);
        }
    }
    return expected(p, "a primitive (tcp, host, net, port, vlan, len, ...)");
}

static int parse_expr(struct parser *p);

static int parse_term(struct parser *p)
{
    int neg = 0;
    while (p->tok.type == T_NOT) {
        neg ^= 1;
        advance(p);
    }
    int n;
    if (p->tok.type == T_LP) {
        if (++p->depth > NS_MATCH_MAX_DEPTH)
            return fail_at(p, &p->tok, "parentheses nested deeper than %d", NS_MATCH_MAX_DEPTH);
        advance(p);
        n = parse_expr(p);
        if (n < 0)
            return n;
        if (p->tok.type != T_RP)
            return expected(p, "')'");
        advance(p);
        p->depth--;
    } else {
        n = parse_primitive(p);
        if (n < 0)
            return n;
    }
    p->nodes[n].neg ^= (uint8_t)neg;
    return n;
}

static int parse_expr(struct parser *p)
{
    int first = parse_term(p);
    if (first < 0)
        return first;
    if (p->tok.type != T_AND && p->tok.type != T_OR)
        return first;
    /* a chain: terms linked through prev */
    p->nodes[first].prev = -1;
    int last = first;
    while (p->tok.type == T_AND || p->tok.type == T_OR) {
        uint8_t op = (uint8_t)p->tok.type;
        advance(p);
        int n = parse_term(p);
        if (n < 0)
            return n;
        p->nodes[n].prev = last;
        p->nodes[n].op = op;
        last = n;
    }
    struct node c = {0, 0, T_AND, last, -1};
    return add_node(p, c);
}

/* ------------------------------------------------------------------ */
/* code generation                                                     */

struct gen {
    struct ns_match *m;
    const struct parser *p;
};

static int32_t gen_node(struct gen *g, int idx, int32_t jt, int32_t jf);

static int32_t gen_chain(struct gen *g, int last, int32_t jt, int32_t jf)
{
    /* ((t0 op1 t1) op2 t2) ... : walk from the last term; the left part
     * jumps into the entry of the term after it */
    int cur = last;
    while (g->p->nodes[cur].prev >= 0) {
        const struct node *n = &g->p->nodes[cur];
        int32_t e = gen_node(g, cur, jt, jf);
        if (n->op == T_AND)
            jt = e;
        else
            jf = e;
        cur = n->prev;
    }
    return gen_node(g, cur, jt, jf);
}

static int32_t gen_node(struct gen *g, int idx, int32_t jt, int32_t jf)
{
    const struct node *n = &g->p->nodes[idx];
    if (n->neg) {
        int32_t t = jt;
        jt = jf;
        jf = t;
    }
    if (!n->leaf)
        return gen_chain(g, n->idx, jt, jf);
    struct rule *r = &g->m->prog[g->m->n];
    *r = g->p->rules[n->idx];
    r->jt = jt;
    r->jf = jf;
    return g->m->n++;
}

int ns_match_compile(struct ns_match **out, const char *expr, struct ns_error *err)
{
    *out = NULL;
    struct parser p;
    memset(&p, 0, sizeof p);
    p.s = expr ? expr : "";
    p.err = err;
    advance(&p);
    int rc;
    struct ns_match *m = NULL;
    if (p.tok.type == T_END) {
        m = calloc(1, sizeof *m);
        if (!m) {
            rc = ns_error_set(err, NS_ENOMEM, "select match: out of memory");
            goto out;
        }
        m->entry = M_ACCEPT;
        *out = m;
        rc = NS_OK;
        goto out;
    }
    int root = parse_expr(&p);
    if (root < 0) {
        rc = root;
        goto out;
    }
    if (p.tok.type != T_END) {
        rc = expected(&p,
                      p.tok.type == T_RP ? "an expression before ')'" : "'and', 'or' or the end");
        goto out;
    }
    m = calloc(1, sizeof *m + (size_t)p.nr * sizeof m->prog[0]);
    if (!m) {
        rc = ns_error_set(err, NS_ENOMEM, "select match: out of memory");
        goto out;
    }
    /* Each rule is emitted exactly once (every leaf belongs to one chain
     * position), so p.nr slots suffice.  Recursion depth is bounded by
     * the parenthesis depth: chains are walked in a loop. */
    struct gen g = {m, &p};
    m->entry = gen_node(&g, root, M_ACCEPT, M_REJECT);
    *out = m;
    rc = NS_OK;
out:
    free(p.nodes);
    free(p.rules);
    return rc;
}
