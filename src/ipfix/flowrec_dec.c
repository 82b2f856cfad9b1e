#include <stddef.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "ipfix/be.h"
#include "ipfix/flowrec.h"
#include "ipfix/flowrec_map.h"
#include "ipfix/ntp.h"

/* Action flag beside the NS_RK_* key components: samplingProbability. */
#define FLAG_SAMP_PROB 0x80u

_Static_assert(sizeof(struct ns_record) < 0xFFFF, "record offsets must fit the plan's uint16");

/* Does a wire length fit the conversion?  Variable length never does. */
static int len_ok(const struct ns_fr_desc *d, uint16_t len)
{
    switch (d->op) {
    case NS_FR_UINT:
    case NS_FR_SINT:
        return len >= 1 && len <= 8; /* reduced size, RFC 7011 §6.2 */
    case NS_FR_FLOAT:
        return len == 4 || len == 8;
    case NS_FR_BYTES:
    case NS_FR_ADDR4:
    case NS_FR_ADDR6:
        return len == d->len;
    case NS_FR_NTP:
    case NS_FR_NTP_US:
    case NS_FR_MS:
        return len == 8;
    case NS_FR_SEC:
    case NS_FR_DELTA_US:
        return len == 4;
    case NS_FR_ICMP:
        return len == 2;
    case NS_FR_BIDIR:
        return len == 1;
    default:
        return 0;
    }
}

/* The conversion the decoder runs: the full-size integer cases get an op of
 * their own (flowrec_map.h NS_FR_U8..U64). */
static uint8_t specialise(const struct ns_fr_desc *d, uint16_t len)
{
    if ((d->op == NS_FR_UINT || d->op == NS_FR_SINT) && len == d->width) {
        switch (len) {
        case 1:
            return NS_FR_U8;
        case 2:
            return d->op == NS_FR_UINT ? NS_FR_U16 : d->op;
        case 4:
            return d->op == NS_FR_UINT ? NS_FR_U32 : d->op;
        case 8:
            return NS_FR_U64;
        default:
            break;
        }
    }
    return d->op;
}

struct ns_tmpl_action ns_flowrec_resolve(void *ctx, const struct ns_field_spec *f)
{
    (void)ctx;
    struct ns_tmpl_action a = {0};
    for (size_t i = 0; i < ns_fr_table_len; i++) {
        const struct ns_fr_desc *d = &ns_fr_table[i];
        uint16_t dst;
        if (d->pen == f->pen && d->id == f->id) {
            dst = d->off;
        } else if (d->dir) {
            uint32_t pen;
            uint16_t id;
            ns_fr_reverse(d, &pen, &id);
            if (pen != f->pen || id != f->id)
                continue;
            dst = (uint16_t)(d->off + sizeof(struct ns_record_dir));
        } else {
            continue;
        }
        if (!len_ok(d, f->len))
            return a; /* known element, unusable length: skipped */
        a.op = specialise(d, f->len);
        a.width = d->width;
        a.prio = d->prio;
        a.dst = dst;
        a.group = d->group;
        /* The key component it carries, found once here rather than per
         * record (the decoder ORs these to tell wildcards from zeros). */
        a.flags = d->group == NS_RG_KEY ? ns_fr_key_comp(dst, d->op) : 0;
        if (dst == offsetof(struct ns_record, samp_frac))
            a.flags = FLAG_SAMP_PROB; /* NS_RK_* use the low 7 bits */
        return a;
    }
    return a;
}

/* Big-endian unsigned of len octets: the full-size lengths without a loop. */
static inline uint64_t load_be(const uint8_t *q, size_t len)
{
    switch (len) {
    case 1:
        return q[0];
    case 2:
        return ns_be16(q);
    case 4:
        return ns_be32(q);
    case 8:
        return ns_be64(q);
    default:
        return ns_beN(q, len);
    }
}

static inline void store_uint(uint8_t *p, uint8_t width, uint64_t v)
{
    switch (width) {
    case 1:
        *p = (uint8_t)v;
        break;
    case 2: {
        uint16_t x = (uint16_t)v;
        memcpy(p, &x, 2);
        break;
    }
    case 4: {
        uint32_t x = (uint32_t)v;
        memcpy(p, &x, 4);
        break;
    }
    default:
        memcpy(p, &v, 8);
        break;
    }
}

/* One field of `len` octets at q into the record (d = its destination). */
static inline void convert(const struct ns_plan_step *st, const uint8_t *q, size_t len, uint8_t *d,
                           uint32_t export_time, struct ns_record *out)
{
    switch (st->act.op) {
    case NS_FR_SKIP:
        break;
    case NS_FR_U64: {
        uint64_t v = ns_be64(q);
        memcpy(d, &v, 8);
        break;
    }
    case NS_FR_U32: {
        uint32_t v = ns_be32(q);
        memcpy(d, &v, 4);
        break;
    }
    case NS_FR_U16: {
        uint16_t v = ns_be16(q);
        memcpy(d, &v, 2);
        break;
    }
    case NS_FR_U8:
        *d = q[0];
        break;
    case NS_FR_UINT:
        store_uint(d, st->act.width, load_be(q, len));
        break;
    case NS_FR_SINT: {
        uint64_t v = load_be(q, len);
        if (len > 0 && len < 8 && (v >> (8 * len - 1)) & 1)
            v |= ~(uint64_t)0 << (8 * len); /* sign-extend reduced size */
        memcpy(d, &v, 8);
        break;
    }
    case NS_FR_FLOAT: {
        double x;
        if (len == 8) {
            uint64_t bits = ns_be64(q);
            memcpy(&x, &bits, 8);
        } else {
            uint32_t bits = ns_be32(q);
            float f;
            memcpy(&f, &bits, 4);
            x = f;
        }
        memcpy(d, &x, 8);
        break;
    }
    case NS_FR_ADDR4:
        out->ip_version = 4;
        memcpy(d, q, 4);
        break;
    case NS_FR_ADDR6:
        out->ip_version = 6;
        memcpy(d, q, 16);
        break;
    case NS_FR_BYTES:
        memcpy(d, q, len);
        break;
    case NS_FR_NTP:
        store_uint(d, 8, ns_ntp_to_ns(ns_be64(q)));
        break;
    case NS_FR_NTP_US:
        store_uint(d, 8, ns_ntp_us_to_ns(ns_be64(q)));
        break;
    case NS_FR_SEC:
        store_uint(d, 8, (uint64_t)ns_be32(q) * 1000000000u);
        break;
    case NS_FR_MS:
        store_uint(d, 8, ns_be64(q) * 1000000u);
        break;
    case NS_FR_DELTA_US: {
        uint64_t at = (uint64_t)export_time * 1000000000u, delta = ns_be32(q) * 1000ull;
        store_uint(d, 8, delta < at ? at - delta : 0);
        break;
    }
    case NS_FR_ICMP:
        out->icmp_type = q[0];
        out->icmp_code = q[1];
        break;
    case NS_FR_BIDIR:
        out->syn_seen = q[0] == 1;
        break;
    default:
        break;
    }
}

/*
 * The grouped program of a fixed template (ns_flowrec_prepare).
 *
 * Walking the plan costs a switch per field (an indirect jump the CPU
 * mispredicts whenever the next field converts differently): ~20
 * instructions a field, 40 fields a netsift record.  When no two steps of
 * a fixed template write the same record bytes, their order does not
 * matter, so the template is compiled once more into runs of one
 * conversion each — all the 8-octet integers and float64s, then the 4-,
 * 2- and 1-octet integers, the addresses, MACs, nanosecond times, then the
 * rest through convert() — and a
 * record is a few straight loops of loads and stores.  Where steps
 * overlap (a hostile or odd template: ipVersion beside an address,
 * icmpTypeCode beside icmpCode) the order is the meaning, and the
 * template keeps the plan walk.
 *
 * The two things the walk computes on the way are constants of the
 * template: the key components it carries (`seen`) and the ip_version the
 * last address sets.
 */
enum { K_U64, K_U32, K_U16, K_U8, K_A4, K_A16, K_MAC, K_NTP, K_CONV, K_N };

struct fr_op {
    uint16_t off; /* wire offset; K_CONV: the plan step's index */
    uint16_t dst; /* record offset */
};

struct fr_prog {
    uint8_t ok;    /* the program stands for the plan */
    uint8_t seen;  /* OR of the steps' action flags */
    uint8_t ipver; /* ip_version the last address sets; 0: no address */
    uint16_t n[K_N];
    struct fr_op op[]; /* K_U64 ones first, then K_U32, ... */
};

size_t ns_flowrec_prog_size(uint16_t nfields)
{
    return sizeof(struct fr_prog) + (size_t)nfields * sizeof(struct fr_op);
}

static int kind_of(const struct ns_plan_step *st)
{
    switch (st->act.op) {
    case NS_FR_UINT: /* into one octet: the last octet on the wire (tcpControlBits) */
        return st->act.width == 1 && st->len <= 8 ? K_U8 : K_CONV;
    case NS_FR_U64:
        return K_U64;
    case NS_FR_FLOAT: /* float64: its bits stored as they are, like a uint64 */
        return st->len == 8 ? K_U64 : K_CONV;
    case NS_FR_BYTES:
        return st->len == 6 ? K_MAC : K_CONV;
    case NS_FR_NTP:
        return K_NTP;
    case NS_FR_U32:
        return K_U32;
    case NS_FR_U16:
        return K_U16;
    case NS_FR_U8:
        return K_U8;
    case NS_FR_ADDR4:
        return K_A4;
    case NS_FR_ADDR6:
        return K_A16;
    default:
        return K_CONV;
    }
}

/* The record bytes convert() writes for a step, besides ip_version. */
static void span_of(const struct ns_plan_step *st, size_t *at, size_t *n)
{
    *at = st->act.dst;
    switch (st->act.op) {
    case NS_FR_U8:
        *n = 1;
        break;
    case NS_FR_U16:
        *n = 2;
        break;
    case NS_FR_U32:
    case NS_FR_ADDR4:
        *n = 4;
        break;
    case NS_FR_ADDR6:
        *n = 16;
        break;
    case NS_FR_UINT:
        *n = st->act.width == 1 || st->act.width == 2 || st->act.width == 4 ? st->act.width : 8;
        break;
    case NS_FR_BYTES:
        *n = st->len;
        break;
    case NS_FR_ICMP:
        *at = offsetof(struct ns_record, icmp_type);
        *n = 2; /* icmp_type, icmp_code */
        break;
    case NS_FR_BIDIR:
        *at = offsetof(struct ns_record, syn_seen);
        *n = 1;
        break;
    case NS_FR_SKIP:
        *n = 0;
        break;
    default: /* SINT, FLOAT and the times: 8 octets */
        *n = 8;
        break;
    }
}

void ns_flowrec_prepare(void *ctx, const struct ns_tmpl *t)
{
    (void)ctx;
    struct fr_prog *pg = t->extra;
    pg->ok = 0;
    if (!t->fixed || t->min_len > 0xFFFF)
        return;
    uint8_t written[sizeof(struct ns_record)] = {0};
    uint16_t start[K_N + 1] = {0};
    int addr = 0;
    pg->seen = 0;
    pg->ipver = 0;
    memset(pg->n, 0, sizeof pg->n);
    for (uint16_t i = 0; i < t->nsteps; i++) {
        const struct ns_plan_step *st = &t->steps[i];
        pg->seen |= st->act.flags;
        if (st->act.op == NS_FR_SKIP)
            continue;
        size_t at, n;
        span_of(st, &at, &n);
        if (at + n > sizeof written)
            return;
        for (size_t b = at; b < at + n; b++) {
            if (written[b])
                return; /* overlapping steps: their order matters */
            written[b] = 1;
        }
        if (st->act.op == NS_FR_ADDR4 || st->act.op == NS_FR_ADDR6) {
            addr = 1;
            pg->ipver = st->act.op == NS_FR_ADDR4 ? 4 : 6;
        }
        pg->n[kind_of(st)]++;
    }
    if (addr && written[offsetof(struct ns_record, ip_version)])
        return; /* ipVersion beside an address: the later one wins */
    for (int k = 0; k < K_N; k++)
        start[k + 1] = (uint16_t)(start[k] + pg->n[k]);
    for (uint16_t i = 0; i < t->nsteps; i++) {
        const struct ns_plan_step *st = &t->steps[i];
        if (st->act.op == NS_FR_SKIP)
            continue;
        int k = kind_of(st);
        uint16_t off = k == K_CONV ? i : st->off;
        if (k == K_U8)
            off = (uint16_t)(off + st->len - 1); /* NS_FR_UINT of 2..8 octets into 1 */
        pg->op[start[k]++] = (struct fr_op){off, st->act.dst};
    }
    pg->ok = 1;
}

int ns_flowrec_prog_ok(const struct ns_tmpl *t)
{
    const struct fr_prog *pg = t->extra;
    return pg && pg->ok;
}

/* One record of a fixed template by its program (p holds min_len octets). */
static void run_prog(const struct fr_prog *pg, const struct ns_tmpl *t, const uint8_t *p,
                     uint32_t export_time, struct ns_record *out)
{
    uint8_t *base = (uint8_t *)out;
    const struct fr_op *o = pg->op, *e;
    for (e = o + pg->n[K_U64]; o < e; o++) {
        uint64_t v = ns_be64(p + o->off);
        memcpy(base + o->dst, &v, 8);
    }
    for (e = o + pg->n[K_U32]; o < e; o++) {
        uint32_t v = ns_be32(p + o->off);
        memcpy(base + o->dst, &v, 4);
    }
    for (e = o + pg->n[K_U16]; o < e; o++) {
        uint16_t v = ns_be16(p + o->off);
        memcpy(base + o->dst, &v, 2);
    }
    for (e = o + pg->n[K_U8]; o < e; o++)
        base[o->dst] = p[o->off];
    for (e = o + pg->n[K_A4]; o < e; o++)
        memcpy(base + o->dst, p + o->off, 4);
    for (e = o + pg->n[K_A16]; o < e; o++)
        memcpy(base + o->dst, p + o->off, 16);
    for (e = o + pg->n[K_MAC]; o < e; o++)
        memcpy(base + o->dst, p + o->off, 6);
    for (e = o + pg->n[K_NTP]; o < e; o++) {
        uint64_t v = ns_ntp_to_ns(ns_be64(p + o->off));
        memcpy(base + o->dst, &v, 8);
    }
    for (e = o + pg->n[K_CONV]; o < e; o++) {
        const struct ns_plan_step *st = &t->steps[o->off];
        convert(st, p + st->off, st->len, base + o->dst, export_time, out);
    }
    if (pg->ipver)
        out->ip_version = pg->ipver;
}

/* Zero a record before its fields are written.  memset() of this size
 * compiles to `rep stosq`, whose start-up was 18 % of the decoder's samples
 * (perf, `aggregate -m proto`); 16-octet stores do it in ~24 instructions
 * without the microcode.  The empty asm keeps GCC from
 * recognising the loop as a memset and emitting `rep stosq` again. */
static inline void zero_record(struct ns_record *out)
{
#ifdef __SSE2__
    uint8_t *p = (uint8_t *)out;
    size_t i = 0;
#pragma GCC unroll 32
    for (; i + 16 <= sizeof *out; i += 16) {
        _mm_storeu_si128((__m128i *)(void *)(p + i), _mm_setzero_si128());
        __asm__("" : : "r"(p) : "memory");
    }
    if (i < sizeof *out)
        memset(p + i, 0, sizeof *out - i);
#else
    memset(out, 0, sizeof *out);
#endif
}

int ns_flowrec_decode(const struct ns_tmpl *t, const uint8_t *p, size_t avail, uint32_t export_time,
                      struct ns_record *out, size_t *used, struct ns_error *err)
{
    if (avail < t->min_len)
        return ns_error_set(err, NS_EFORMAT, "data record of template %u: %zu octets < %u", t->tid,
                            avail, t->min_len);
    zero_record(out);
    out->present = t->present;
    uint8_t *base = (uint8_t *)out;
    uint8_t seen = 0; /* key components the template carries, FLAG_SAMP_PROB */
    size_t pos = 0;
    const struct fr_prog *pg = t->extra;
    if (pg && pg->ok) {
        run_prog(pg, t, p, export_time, out);
        seen = pg->seen;
        pos = t->min_len;
    } else if (t->fixed) {
        /* Every field at its compiled offset, all within min_len (checked
         * above): the hot path, no per-field bounds arithmetic. */
        const struct ns_plan_step *st = t->steps, *end = st + t->nsteps;
        for (; st < end; st++) {
            const uint8_t *q = p + st->off;
            uint8_t *d = base + st->act.dst;
            seen |= st->act.flags;
            /* The three commonest ops are repeated here from convert() on
             * purpose: calling or force-inlining convert() for every field
             * made decoding 1 M records 0.18 -> 0.21 s. */
            switch (st->act.op) {
            case NS_FR_U64: {
                uint64_t v = ns_be64(q);
                memcpy(d, &v, 8);
                break;
            }
            case NS_FR_U16: {
                uint16_t v = ns_be16(q);
                memcpy(d, &v, 2);
                break;
            }
            case NS_FR_U8:
                *d = q[0];
                break;
            default:
                convert(st, q, st->len, d, export_time, out);
                break;
            }
        }
        pos = t->min_len;
    } else {
        for (uint16_t i = 0; i < t->nsteps; i++) {
            const struct ns_plan_step *st = &t->steps[i];
            size_t len = st->len;
            if (len == NS_VARLEN) {
                size_t h = ns_varlen_get(p + pos, avail - pos, &len);
                if (!h || len > avail - pos - h)
                    return ns_error_set(err, NS_EFORMAT,
                                        "data record of template %u: variable-length field "
                                        "overruns the set",
                                        t->tid);
                pos += h;
            } else if (len > avail - pos) {
                return ns_error_set(err, NS_EFORMAT, "data record of template %u: truncated",
                                    t->tid);
            }
            seen |= st->act.flags;
            convert(st, p + pos, len, base + st->act.dst, export_time, out);
            pos += len;
        }
    }
    /* Sampling from other exporters: the selected fraction from count-based
     * (interval n, space s: n / (n + s)), n-of-N and the old 1-in-N
     * samplingInterval (RFC 7012, RFC 5477). */
    if (out->present & NS_RG_SAMP) {
        if (!(seen & FLAG_SAMP_PROB)) {
            double n = out->samp_n ? out->samp_n : 1;
            if (out->samp_space)
                out->samp_frac = n / (n + out->samp_space);
            else if (out->samp_pop && n <= out->samp_pop)
                out->samp_frac = n / out->samp_pop;
            else
                out->samp_frac = -1;
        }
        /* samplingProbability 0 is netsift's "mixed rates"; anything else
         * outside (0, 1] (or NaN) is unusable: not a sampled record. */
        if (!(out->samp_frac >= 0 && out->samp_frac <= 1)) {
            out->present &= ~NS_RG_SAMP;
            out->samp_frac = 0;
        }
    }
    /* An aggregate leaves out the key components it has no value for
     * (RFC 7015 §5.1): those are wildcards, not zeros. */
    if ((out->present & (NS_RG_AGG | NS_RG_KEY)) == (NS_RG_AGG | NS_RG_KEY)) {
        if (out->ip_version)
            seen |= NS_RK_IPVER;
        out->key_wild = (uint8_t)(NS_RK_ALL & ~(seen & NS_RK_ALL));
    }
    *used = pos;
    return NS_OK;
}
