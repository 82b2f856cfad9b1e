/*
 * spec.c — the --select spec syntax (see select.h) into ns_sel_config.
 *
 * A spec is KIND:BODY; BODY is a comma-separated list whose first item may
 * be positional (count:1/100, hash:bob) and whose others are NAME=VALUE.
 * For match the body is the expression, which never contains a comma; an
 * `,id=N` at its end is still taken as the selectorId.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "select/select.h"

struct item {
    const char *name; /* NULL for the positional item */
    size_t nlen;
    const char *val;
    size_t vlen;
};

static int eq(const char *s, size_t n, const char *w)
{
    return strlen(w) == n && strncmp(s, w, n) == 0;
}

static int bad(struct ns_error *err, const char *spec, const char *what, const char *v, size_t vlen)
{
    return ns_error_set(err, NS_EINVAL, "select '%s': %s, not '%.*s'", spec, what, (int)vlen, v);
}

static int num_u64(const char *s, size_t n, uint64_t *out)
{
    char buf[40];
    if (n == 0 || n >= sizeof buf || !isdigit((unsigned char)s[0]))
        return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 0);
    if (*end || errno)
        return -1;
    *out = v;
    return 0;
}

static int num_double(const char *s, size_t n, double *out)
{
    char buf[40];
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (*end || errno || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* A duration in µs: a number with an optional unit us, ms, s (default µs). */
static int num_us(const char *s, size_t n, uint64_t *out)
{
    uint64_t mul = 1;
    if (n > 2 && eq(s + n - 2, 2, "us"))
        n -= 2;
    else if (n > 2 && eq(s + n - 2, 2, "ms")) {
        n -= 2;
        mul = 1000;
    } else if (n > 1 && s[n - 1] == 's') {
        n -= 1;
        mul = 1000000;
    }
    uint64_t v;
    if (num_u64(s, n, &v) < 0 || v > UINT64_MAX / 4000 / mul)
        return -1;
    *out = v * mul;
    return 0;
}

/* "a/b" into two numbers (b required), or "b" alone with a = 1. */
static int ratio(const char *s, size_t n, uint64_t *a, uint64_t *b)
{
    const char *slash = memchr(s, '/', n);
    if (!slash) {
        *a = 1;
        return num_u64(s, n, b);
    }
    return num_u64(s, (size_t)(slash - s), a) < 0 ||
                   num_u64(slash + 1, n - (size_t)(slash - s) - 1, b) < 0
               ? -1
               : 0;
}

static int hexkey(const char *s, size_t n, uint8_t key[16])
{
    if (n != 32)
        return -1;
    for (int i = 0; i < 16; i++) {
        unsigned v;
        char b[3] = {s[2 * (size_t)i], s[2 * (size_t)i + 1], 0};
        if (!isxdigit((unsigned char)b[0]) || !isxdigit((unsigned char)b[1]) ||
            sscanf(b, "%2x", &v) != 1)
            return -1;
        key[i] = (uint8_t)v;
    }
    return 0;
}

static int parse_ranges(const char *s, size_t n, struct ns_sel_config *c)
{
    c->nranges = 0;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != ':')
            j++;
        const char *dash = memchr(s + i, '-', j - i);
        uint64_t lo, hi;
        if (!dash || c->nranges == NS_SEL_MAX_RANGES ||
            num_u64(s + i, (size_t)(dash - (s + i)), &lo) < 0 ||
            num_u64(dash + 1, (size_t)(s + j - dash - 1), &hi) < 0 || lo > hi || hi > 0xffffffffu)
            return -1;
        c->range[c->nranges].lo = (uint32_t)lo;
        c->range[c->nranges].hi = (uint32_t)hi;
        c->nranges++;
        i = j + 1;
    }
    return c->nranges ? 0 : -1;
}

int ns_sel_parse_spec(const char *spec, struct ns_sel_config *c, struct ns_error *err)
{
    memset(c, 0, sizeof *c);
    const char *colon = strchr(spec, ':');
    if (!colon)
        return ns_error_set(err, NS_EINVAL,
                            "select '%s': expected KIND:PARAMETERS (count, time, nofn, random, "
                            "size, match, hash, iface)",
                            spec);
    size_t klen = (size_t)(colon - spec);
    const char *body = colon + 1;
    size_t blen = strlen(body);

    static const struct {
        const char *name;
        enum ns_sel_kind kind;
    } kinds[] = {{"count", NS_SEL_COUNT},   {"time", NS_SEL_TIME},  {"nofn", NS_SEL_NOFN},
                 {"random", NS_SEL_RANDOM}, {"size", NS_SEL_SIZE},  {"match", NS_SEL_MATCH},
                 {"hash", NS_SEL_HASH},     {"iface", NS_SEL_IFACE}};
    int found = 0;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (eq(spec, klen, kinds[i].name)) {
            c->kind = kinds[i].kind;
            found = 1;
        }
    if (!found)
        return bad(err, spec,
                   "the kind is one of count, time, nofn, random, size, match, hash, iface", spec,
                   klen);

    if (c->kind == NS_SEL_MATCH) {
        const char *id = NULL;
        for (const char *q = body; (q = strstr(q, ",id=")) != NULL; q++)
            id = q;
        size_t elen = id ? (size_t)(id - body) : blen;
        if (id && num_u64(id + 4, strlen(id + 4), &c->id) < 0)
            return bad(err, spec, "id wants a number", id + 4, strlen(id + 4));
        if (elen >= sizeof c->expr)
            return ns_error_set(err, NS_EINVAL, "select '%s': expression longer than %zu bytes",
                                spec, sizeof c->expr - 1);
        memcpy(c->expr, body, elen);
        c->expr[elen] = 0;
        return NS_OK;
    }

    /* defaults */
    c->fn = NS_SEL_BOB;
    c->domain = NS_SEL_DOM_IP;
    c->payload_bytes = 16;
    int have_pos = 0, have_range = 0;
    uint64_t a, b;

    size_t i = 0;
    while (i <= blen) {
        size_t j = i;
        while (j < blen && body[j] != ',')
            j++;
        struct item it = {NULL, 0, body + i, j - i};
        const char *eqs = memchr(body + i, '=', j - i);
        if (eqs) {
            it.name = body + i;
            it.nlen = (size_t)(eqs - (body + i));
            it.val = eqs + 1;
            it.vlen = (size_t)(body + j - eqs - 1);
        }
        i = j + 1;
        if (!it.name && it.vlen == 0) {
            if (j >= blen && i > blen)
                break;
            return ns_error_set(err, NS_EINVAL, "select '%s': empty parameter", spec);
        }
        const char *v = it.val;
        size_t vl = it.vlen;

        if (!it.name) {
            if (have_pos)
                return bad(err, spec, "parameters are NAME=VALUE", v, vl);
            have_pos = 1;
            switch (c->kind) {
            case NS_SEL_COUNT:
            case NS_SEL_NOFN:
                if (ratio(v, vl, &a, &b) < 0 || b == 0 || a > b || b > 0xffffffffu ||
                    (c->kind == NS_SEL_COUNT && a == 0))
                    return bad(err, spec, "expected n/N (or N for 1/N) with n <= N", v, vl);
                c->n = (uint32_t)a;
                c->N = (uint32_t)b;
                break;
            case NS_SEL_TIME: {
                const char *slash = memchr(v, '/', vl);
                uint64_t iv, per;
                if (!slash || num_us(v, (size_t)(slash - v), &iv) < 0 ||
                    num_us(slash + 1, vl - (size_t)(slash - v) - 1, &per) < 0 || iv == 0 ||
                    per < iv)
                    return bad(err, spec, "expected INTERVAL/PERIOD such as 1ms/10ms", v, vl);
                c->interval_us = iv;
                c->spacing_us = per - iv;
                break;
            }
            case NS_SEL_RANDOM:
                if (memchr(v, '/', vl)) {
                    if (ratio(v, vl, &a, &b) < 0 || b == 0 || a > b)
                        return bad(err, spec, "expected a probability or 1/N", v, vl);
                    c->p = (double)a / (double)b;
                } else if (num_double(v, vl, &c->p) < 0 || c->p < 0 || c->p > 1)
                    return bad(err, spec, "expected a probability 0..1 or 1/N", v, vl);
                break;
            case NS_SEL_SIZE:
                if (num_double(v, vl, &c->z) < 0 || !(c->z > 0))
                    return bad(err, spec, "expected a size threshold z > 0 (octets)", v, vl);
                break;
            case NS_SEL_HASH:
                if (eq(v, vl, "bob"))
                    c->fn = NS_SEL_BOB;
                else if (eq(v, vl, "ipsx"))
                    c->fn = NS_SEL_IPSX;
                else if (eq(v, vl, "crc32") || eq(v, vl, "crc"))
                    c->fn = NS_SEL_CRC32;
                else if (eq(v, vl, "sip") || eq(v, vl, "siphash"))
                    c->fn = NS_SEL_SIP;
                else
                    return bad(err, spec, "the hash function is bob, ipsx, crc32 or sip", v, vl);
                break;
            case NS_SEL_IFACE: {
                size_t k = 0;
                while (k < vl) {
                    size_t e = k;
                    while (e < vl && v[e] != ':')
                        e++;
                    if (c->nifaces == NS_SEL_MAX_IFACES || num_u64(v + k, e - k, &a) < 0 ||
                        a > 0xffffffffu)
                        return bad(err, spec, "expected interface ids I[:I...]", v, vl);
                    c->ifaces[c->nifaces++] = (uint32_t)a;
                    k = e + 1;
                }
                break;
            }
            default:
                return bad(err, spec, "unexpected parameter", v, vl);
            }
            continue;
        }

        const char *nm = it.name;
        size_t nl = it.nlen;
        if (eq(nm, nl, "id")) {
            if (num_u64(v, vl, &c->id) < 0)
                return bad(err, spec, "id wants a number", v, vl);
        } else if (eq(nm, nl, "seed") &&
                   (c->kind == NS_SEL_NOFN || c->kind == NS_SEL_RANDOM || c->kind == NS_SEL_SIZE)) {
            if (num_u64(v, vl, &c->seed) < 0)
                return bad(err, spec, "seed wants a number", v, vl);
            c->has_seed = 1;
        } else if (eq(nm, nl, "offset") && c->kind == NS_SEL_COUNT) {
            if (num_u64(v, vl, &c->offset) < 0)
                return bad(err, spec, "offset wants a packet count", v, vl);
        } else if (c->kind == NS_SEL_TIME &&
                   (eq(nm, nl, "offset") || eq(nm, nl, "interval") || eq(nm, nl, "spacing"))) {
            uint64_t us;
            if (num_us(v, vl, &us) < 0)
                return bad(err, spec, "a time such as 500us, 2ms or 1s", v, vl);
            if (eq(nm, nl, "offset"))
                c->offset = us;
            else if (eq(nm, nl, "interval"))
                c->interval_us = us;
            else
                c->spacing_us = us;
        } else if (eq(nm, nl, "p") && c->kind == NS_SEL_RANDOM) {
            if (num_double(v, vl, &c->p) < 0 || c->p < 0 || c->p > 1)
                return bad(err, spec, "p wants a probability 0..1", v, vl);
        } else if (eq(nm, nl, "z") && c->kind == NS_SEL_SIZE) {
            if (num_double(v, vl, &c->z) < 0 || !(c->z > 0))
                return bad(err, spec, "z wants a size > 0", v, vl);
        } else if (c->kind == NS_SEL_HASH && eq(nm, nl, "init")) {
            if (num_u64(v, vl, &a) < 0 || a > 0xffffffffu)
                return bad(err, spec, "init wants a 32-bit number", v, vl);
            c->init = (uint32_t)a;
        } else if (c->kind == NS_SEL_HASH && eq(nm, nl, "range")) {
            if (parse_ranges(v, vl, c) < 0)
                return bad(err, spec, "range wants LO-HI[:LO-HI...] (32-bit, at most 8)", v, vl);
            have_range = 1;
        } else if (c->kind == NS_SEL_HASH && eq(nm, nl, "frac")) {
            double f;
            if (num_double(v, vl, &f) < 0 || !(f > 0) || f > 1)
                return bad(err, spec, "frac wants a fraction in (0, 1]", v, vl);
            double hi = floor(ldexp(f, 32)) - 1;
            c->nranges = 1;
            c->range[0].lo = 0;
            c->range[0].hi = hi < 0 ? 0 : hi > 4294967295.0 ? 0xffffffffu : (uint32_t)hi;
            have_range = 1;
        } else if (c->kind == NS_SEL_HASH && eq(nm, nl, "domain")) {
            if (eq(v, vl, "5tuple"))
                c->domain = NS_SEL_DOM_5TUPLE;
            else if (eq(v, vl, "ip"))
                c->payload_bytes = 0;
            else if (vl > 10 && strncmp(v, "ip+payload", 10) == 0 &&
                     num_u64(v + 10, vl - 10, &a) == 0 && a <= NS_SEL_MAX_PAYLOAD)
                c->payload_bytes = (uint32_t)a;
            else
                return bad(err, spec, "domain is ip, ip+payloadN (N <= 64) or 5tuple", v, vl);
        } else if (c->kind == NS_SEL_HASH && eq(nm, nl, "key")) {
            if (hexkey(v, vl, c->key) < 0)
                return bad(err, spec, "key wants 32 hex digits (128 bits)", v, vl);
            c->has_key = 1;
        } else {
            return bad(err, spec, "unknown parameter", nm, nl);
        }
    }

    switch (c->kind) {
    case NS_SEL_COUNT:
    case NS_SEL_NOFN:
        if (!c->N)
            return ns_error_set(err, NS_EINVAL, "select '%s': expected n/N", spec);
        break;
    case NS_SEL_TIME:
        if (!c->interval_us)
            return ns_error_set(err, NS_EINVAL, "select '%s': expected INTERVAL/PERIOD", spec);
        break;
    case NS_SEL_RANDOM:
        if (!have_pos && c->p == 0)
            return ns_error_set(err, NS_EINVAL, "select '%s': expected p=P or 1/N", spec);
        break;
    case NS_SEL_SIZE:
        if (!(c->z > 0))
            return ns_error_set(err, NS_EINVAL, "select '%s': expected z=SIZE", spec);
        break;
    case NS_SEL_HASH:
        if (c->has_key && c->fn != NS_SEL_SIP)
            return ns_error_set(err, NS_EINVAL, "select '%s': a key needs hash:sip", spec);
        if (!have_range)
            return ns_error_set(err, NS_EINVAL,
                                "select '%s': a hash selector needs range=LO-HI or frac=F", spec);
        break;
    case NS_SEL_IFACE:
        if (!c->nifaces)
            return ns_error_set(err, NS_EINVAL, "select '%s': expected interface ids", spec);
        break;
    default:
        break;
    }
    return NS_OK;
}
