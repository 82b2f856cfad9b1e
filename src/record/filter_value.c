/*
 * filter_value.c — the constants of filter expressions: numbers (with
 * exponent and k/M/G/T suffixes), epoch times, addresses and prefixes, MAC
 * addresses and protocol names.  Each parser takes a (pointer, length)
 * slice of the expression and validates the whole slice: no trailing
 * garbage, no locale-dependent or special forms (strtod's "inf", "nan" and
 * hex floats are refused before strtod sees the text).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "record/filter_int.h"

#define MAXTEXT 64

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int copy_text(char *buf, const char *s, size_t len)
{
    if (len == 0 || len >= MAXTEXT)
        return -1;
    memcpy(buf, s, len);
    buf[len] = 0;
    return 0;
}

/* Digits of s[*i..]: how many. */
static size_t digits(const char *s, size_t *i)
{
    size_t n = 0;
    while (is_digit(s[*i])) {
        (*i)++;
        n++;
    }
    return n;
}

int fl_parse_number(const char *s, size_t len, struct fl_const *c)
{
    char buf[MAXTEXT];
    if (copy_text(buf, s, len) < 0)
        return -1;
    /* [+-] digits [. digits] [e [+-] digits] [kKMGT], at least one digit */
    size_t i = 0;
    int neg = 0;
    if (buf[i] == '+' || buf[i] == '-')
        neg = buf[i++] == '-';
    size_t start = i, nd = digits(buf, &i);
    int plain = 1; /* no fraction, no exponent: parse exactly as an integer */
    if (buf[i] == '.') {
        i++;
        nd += digits(buf, &i);
        plain = 0;
    }
    if (!nd)
        return -1;
    if (buf[i] == 'e' || buf[i] == 'E') {
        i++;
        if (buf[i] == '+' || buf[i] == '-')
            i++;
        if (!digits(buf, &i))
            return -1;
        plain = 0;
    }
    size_t end = i;
    uint64_t mult = 1;
    switch (buf[i]) {
    case 0:
        break;
    case 'k':
    case 'K':
        mult = 1000;
        break;
    case 'M':
        mult = 1000000;
        break;
    case 'G':
        mult = 1000000000;
        break;
    case 'T':
        mult = 1000000000000ull;
        break;
    default:
        return -1;
    }
    if (buf[i] && buf[i + 1])
        return -1;
    buf[end] = 0;
    memset(c, 0, sizeof *c);
    if (plain) {
        errno = 0;
        unsigned long long m = strtoull(buf + start, NULL, 10);
        if (errno == ERANGE || m > UINT64_MAX / mult)
            return -2;
        c->is_int = 1;
        c->mag = (uint64_t)m * mult;
        c->neg = neg && c->mag;
        c->d = c->neg ? -(double)c->mag : (double)c->mag;
        return 0;
    }
    double d = strtod(buf, NULL) * (double)mult;
    if (!isfinite(d))
        return -2;
    c->d = d;
    double a = fabs(d);
    if (a == floor(a) && a < 18446744073709551616.0) {
        c->is_int = 1;
        c->mag = (uint64_t)a;
        c->neg = d < 0 && c->mag;
    }
    return 0;
}

int fl_parse_time(const char *s, size_t len, struct fl_const *c)
{
    /* Plain "seconds[.fraction]": exact to the nanosecond (a double would
     * round today's epoch times to ~256 ns). */
    size_t i = 0;
    while (i < len && is_digit(s[i]))
        i++;
    size_t ni = i, nf = 0;
    if (i < len && s[i] == '.') {
        i++;
        while (i + nf < len && is_digit(s[i + nf]))
            nf++;
    }
    if (ni && i + nf == len) {
        char buf[MAXTEXT];
        if (copy_text(buf, s, ni) < 0)
            return -2;
        memset(c, 0, sizeof *c);
        errno = 0;
        unsigned long long sec = strtoull(buf, NULL, 10);
        uint64_t frac = 0;
        for (size_t k = 0; k < 9; k++)
            frac = frac * 10 + (k < nf ? (uint64_t)(s[i + k] - '0') : 0);
        if (errno == ERANGE || sec > (UINT64_MAX - frac) / 1000000000u)
            c->ns_range = 1;
        else
            c->ns = (uint64_t)sec * 1000000000u + frac;
        return 0;
    }
    int rc = fl_parse_number(s, len, c);
    if (rc < 0)
        return rc;
    if (c->d < 0)
        c->ns_range = -1;
    else if (c->d * 1e9 >= 18446744073709551616.0)
        c->ns_range = 1;
    else if (c->is_int)
        c->ns = c->mag * 1000000000u;
    else
        c->ns = (uint64_t)(c->d * 1e9 + 0.5);
    return 0;
}

/* tcpdump's short IPv4 network numbers: "10", "172.16", "192.168.1". */
static int parse_partial_v4(const char *s, uint8_t addr[4], uint8_t *plen)
{
    size_t i = 0, parts = 0;
    memset(addr, 0, 4);
    for (;;) {
        size_t st = i, n = digits(s, &i);
        if (!n || n > 3 || parts == 3)
            return -1;
        long v = strtol(s + st, NULL, 10);
        if (v > 255)
            return -1;
        addr[parts++] = (uint8_t)v;
        if (!s[i])
            break;
        if (s[i++] != '.')
            return -1;
    }
    *plen = (uint8_t)(8 * parts);
    return 0;
}

int fl_parse_prefix(const char *s, size_t len, int partial_v4, uint8_t addr[16], uint8_t *alen,
                    uint8_t *plen)
{
    char buf[MAXTEXT];
    if (copy_text(buf, s, len) < 0)
        return -1;
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = 0;
    memset(addr, 0, 16);
    if (strchr(buf, ':')) {
        if (inet_pton(AF_INET6, buf, addr) != 1)
            return -1;
        *alen = 16;
        *plen = 128;
    } else if (inet_pton(AF_INET, buf, addr) == 1) {
        *alen = 4;
        *plen = 32;
    } else if (partial_v4 && parse_partial_v4(buf, addr, plen) == 0) {
        *alen = 4;
    } else {
        return -1;
    }
    if (slash) {
        size_t i = 0;
        const char *p = slash + 1;
        size_t n = digits(p, &i);
        if (!n || n > 3 || p[i])
            return -1;
        long l = strtol(p, NULL, 10);
        if (l > 8L * *alen)
            return -1;
        *plen = (uint8_t)l;
    }
    /* tcpdump refuses "non-network bits set": a typo in the prefix would
     * otherwise silently select another network. */
    for (int b = *plen; b < 8 * *alen; b++)
        if (addr[b / 8] & (0x80u >> (b % 8)))
            return -2;
    return 0;
}

static int hexval(char c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int fl_parse_mac(const char *s, size_t len, uint8_t mac[6])
{
    size_t i = 0;
    for (int k = 0; k < 6; k++) {
        int v = 0, n = 0;
        while (i < len && hexval(s[i]) >= 0 && n < 2) {
            v = v * 16 + hexval(s[i++]);
            n++;
        }
        if (!n)
            return -1;
        mac[k] = (uint8_t)v;
        if (k < 5 && (i >= len || s[i++] != ':'))
            return -1;
    }
    return i == len ? 0 : -1;
}

int fl_proto_number(const char *s, size_t len)
{
    /* IANA protocol numbers; names as record/fields.c prints them, plus
     * tcpdump's icmp6. */
    static const struct {
        const char *name;
        int num;
    } names[] = {{"icmp", 1},   {"igmp", 2},       {"ipip", 4},  {"tcp", 6},   {"udp", 17},
                 {"dccp", 33},  {"ipv6", 41},      {"gre", 47},  {"esp", 50},  {"ah", 51},
                 {"icmp6", 58}, {"ipv6-icmp", 58}, {"ospf", 89}, {"pim", 103}, {"vrrp", 112},
                 {"sctp", 132}, {"udplite", 136}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (fl_word_is(s, len, names[i].name))
            return names[i].num;
    if (!len || len > 3)
        return -1;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v <= 255 ? v : -1;
}
