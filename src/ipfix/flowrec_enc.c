#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ipfix/be.h"
#include "ipfix/flowrec.h"
#include "ipfix/flowrec_map.h"
#include "ipfix/ntp.h"

/* Combination key: present groups (12 bits), IPv6, ICMP, VLAN, and for
 * aggregates the wildcarded key components and which addresses are
 * prefixes. */
#define K_GROUPS     0xFFFu
#define K_V6         (1u << 12)
#define K_ICMP       (1u << 13)
#define K_VLAN       (1u << 14)
#define K_SPFX       (1u << 15)
#define K_DPFX       (1u << 16)
#define K_WILD_SHIFT 17     /* NS_RK_* << 17 */
#define SLOTS        16384u /* 2 × the template limit: probes stay short */
#define MAX_TMPL     8192u  /* as many as a reader accepts (file.h) */

struct ns_flowrec_enc {
    /* open addressing: combination key → template index + 1 */
    uint32_t slot_key[SLOTS];
    uint16_t slot_idx[SLOTS];
    struct ns_flowrec_tmpl **t;
    size_t n, cap;
};

int ns_flowrec_enc_new(struct ns_flowrec_enc **e, struct ns_error *err)
{
    *e = calloc(1, sizeof **e);
    if (!*e)
        return ns_error_set(err, NS_ENOMEM, "flow record encoder: out of memory");
    return NS_OK;
}

void ns_flowrec_enc_free(struct ns_flowrec_enc *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->n; i++)
        free(e->t[i]);
    free(e->t);
    free(e);
}

size_t ns_flowrec_enc_count(const struct ns_flowrec_enc *e)
{
    return e->n;
}

struct ns_flowrec_tmpl *ns_flowrec_enc_at(struct ns_flowrec_enc *e, size_t i)
{
    return i < e->n ? e->t[i] : NULL;
}

static int is_icmp(const struct ns_record *r)
{
    if (r->key_wild & NS_RK_PROTO)
        return 0;
    if (r->key_wild & NS_RK_IPVER)
        return r->proto == 1 || r->proto == 58;
    return (r->ip_version == 4 && r->proto == 1) || (r->ip_version == 6 && r->proto == 58);
}

static uint32_t combo_key(const struct ns_record *r)
{
    uint32_t k = r->present & K_GROUPS;
    if (r->present & NS_RG_KEY) {
        uint8_t w = r->key_wild & NS_RK_ALL;
        if ((w & NS_RK_IPVER) ? r->proto == 58 : r->ip_version == 6)
            k |= K_V6;
        if (is_icmp(r))
            k |= K_ICMP;
        /* Untagged is VLAN 0, which a flow record leaves out; an aggregate
         * says it, since there a missing vlanId means "any VLAN". */
        if (r->vlan || ((r->present & NS_RG_AGG) && !(w & NS_RK_VLAN)))
            k |= K_VLAN;
        if (r->sprefix && !(w & NS_RK_SADDR))
            k |= K_SPFX;
        if (r->dprefix && !(w & NS_RK_DADDR))
            k |= K_DPFX;
        k |= (uint32_t)w << K_WILD_SHIFT;
    }
    return k;
}

/* The key component a key-group field carries (0: none). */
static uint8_t key_comp(const struct ns_fr_desc *d)
{
    switch (d->off) {
    case offsetof(struct ns_record, saddr):
    case offsetof(struct ns_record, sprefix):
        return NS_RK_SADDR;
    case offsetof(struct ns_record, daddr):
    case offsetof(struct ns_record, dprefix):
        return NS_RK_DADDR;
    case offsetof(struct ns_record, proto):
        return NS_RK_PROTO;
    case offsetof(struct ns_record, sport):
        return NS_RK_SPORT;
    case offsetof(struct ns_record, dport):
        return NS_RK_DPORT;
    case offsetof(struct ns_record, icmp_type):
        return d->op == NS_FR_ICMP ? NS_RK_SPORT | NS_RK_DPORT : NS_RK_SPORT;
    case offsetof(struct ns_record, icmp_code):
        return NS_RK_DPORT;
    case offsetof(struct ns_record, vlan):
        return NS_RK_VLAN;
    case offsetof(struct ns_record, ip_version):
        return NS_RK_IPVER;
    default:
        return 0;
    }
}

uint8_t ns_fr_key_comp(uint16_t off, uint8_t op)
{
    struct ns_fr_desc d = {0};
    d.off = off;
    d.op = op;
    return key_comp(&d);
}

static int cond_holds(uint8_t cond, uint32_t k)
{
    switch (cond) {
    case NS_FC_ALL:
        return 1;
    case NS_FC_V4:
        return !(k & K_V6);
    case NS_FC_V6:
        return (k & K_V6) != 0;
    case NS_FC_PORTS:
        return !(k & K_ICMP);
    case NS_FC_ICMP4:
        return (k & K_ICMP) && !(k & K_V6);
    case NS_FC_ICMP6:
        return (k & K_ICMP) && (k & K_V6);
    case NS_FC_VLAN:
        return (k & K_VLAN) != 0;
    case NS_FC_SPFX4:
        return (k & K_SPFX) && !(k & K_V6);
    case NS_FC_DPFX4:
        return (k & K_DPFX) && !(k & K_V6);
    case NS_FC_SPFX6:
        return (k & K_SPFX) && (k & K_V6);
    case NS_FC_DPFX6:
        return (k & K_DPFX) && (k & K_V6);
    case NS_FC_IPVER: {
        uint32_t w = k >> K_WILD_SHIFT;
        return (w & (NS_RK_SADDR | NS_RK_DADDR)) == (NS_RK_SADDR | NS_RK_DADDR) &&
               !(w & NS_RK_IPVER);
    }
    default:
        return 0; /* NS_FC_INPUT */
    }
}

/* Encoding steps, specialised once per template so that the per-record
 * loop reads one small step and does one store: the common cases are a
 * full-width integer (record width == wire length) and a byte copy. */
enum { E_GENERIC = 0, E_W1, E_W2, E_W4, E_W8, E_COPY, E_NTP };

static uint8_t enc_op(const struct ns_fr_desc *d)
{
    switch (d->op) {
    case NS_FR_UINT:
        if (d->width != d->len)
            return E_GENERIC;
        return d->len == 1   ? E_W1
               : d->len == 2 ? E_W2
               : d->len == 4 ? E_W4
               : d->len == 8 ? E_W8
                             : E_GENERIC;
    case NS_FR_SINT:
    case NS_FR_FLOAT: /* the double's bits, big-endian */
        return d->len == 8 ? E_W8 : E_GENERIC;
    case NS_FR_BYTES:
    case NS_FR_ADDR4:
    case NS_FR_ADDR6:
        return E_COPY;
    case NS_FR_NTP:
        return E_NTP;
    default:
        return E_GENERIC;
    }
}

static void add_field(struct ns_flowrec_tmpl *t, const struct ns_fr_desc *d, uint32_t pen,
                      uint16_t id, uint16_t off)
{
    if (off == offsetof(struct ns_record, dir[0].last_ns))
        t->end_off[0] = (int16_t)t->rec_len;
    else if (off == offsetof(struct ns_record, dir[1].last_ns))
        t->end_off[1] = (int16_t)t->rec_len;
    t->fields[t->nfields] = (struct ns_field_spec){pen, id, d->len};
    t->steps[t->nfields] = (struct ns_fr_step){d, off, enc_op(d), (uint8_t)d->len};
    t->nfields++;
    t->rec_len = (uint16_t)(t->rec_len + d->len);
}

static int build(struct ns_flowrec_tmpl *t, uint32_t k, struct ns_error *err)
{
    t->end_off[0] = t->end_off[1] = -1;
    for (size_t i = 0; i < ns_fr_table_len; i++) {
        const struct ns_fr_desc *d = &ns_fr_table[i];
        if ((d->group && !(k & d->group)) || !cond_holds(d->cond, k))
            continue;
        if (d->group == NS_RG_KEY && (key_comp(d) & (k >> K_WILD_SHIFT)))
            continue; /* a wildcard: the aggregate has no value (RFC 7015 §5.1) */
        if (t->nfields + 2 > NS_FR_MAX_FIELDS)
            return ns_error_set(err, NS_EFULL, "flow template exceeds %d fields", NS_FR_MAX_FIELDS);
        add_field(t, d, d->pen, d->id, d->off);
        if (d->dir) {
            uint32_t pen;
            uint16_t id;
            ns_fr_reverse(d, &pen, &id);
            add_field(t, d, pen, id, (uint16_t)(d->off + sizeof(struct ns_record_dir)));
        }
    }
    return NS_OK;
}

int ns_flowrec_enc_template(struct ns_flowrec_enc *e, const struct ns_record *r,
                            struct ns_flowrec_tmpl **out, struct ns_error *err)
{
    *out = NULL;
    if ((r->present & NS_RG_KEY) && r->ip_version != 4 && r->ip_version != 6 &&
        !(r->key_wild & NS_RK_IPVER))
        return ns_error_set(err, NS_EINVAL, "flow %llu: key group with ip_version %u",
                            (unsigned long long)r->flow_id, r->ip_version);
    uint32_t k = combo_key(r);
    size_t j = (k * 0x9e3779b1u) >> 18; /* 14 bits */
    for (; e->slot_idx[j]; j = (j + 1) & (SLOTS - 1)) {
        if (e->slot_key[j] == k) {
            *out = e->t[e->slot_idx[j] - 1];
            return NS_OK;
        }
    }
    if (e->n >= MAX_TMPL)
        return ns_error_set(err, NS_EFULL, "flow record encoder: more than %u templates", MAX_TMPL);
    /* First use of this combination: the only allocation of the encoder. */
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 16;
        struct ns_flowrec_tmpl **nt =
            realloc(e->t, cap * sizeof *nt); // NOLINT(bugprone-sizeof-expression)
        if (!nt)
            return ns_error_set(err, NS_ENOMEM, "flow record encoder: out of memory");
        e->t = nt;
        e->cap = cap;
    }
    struct ns_flowrec_tmpl *t = calloc(1, sizeof *t);
    if (!t)
        return ns_error_set(err, NS_ENOMEM, "flow record encoder: out of memory");
    int rc = build(t, k, err);
    if (rc < 0) {
        free(t);
        return rc;
    }
    t->tid = (uint16_t)(NS_SET_DATA_MIN + e->n); /* ≤ 256 + 8192: fits */
    t->key = k;
    e->t[e->n++] = t;
    e->slot_key[j] = k;
    e->slot_idx[j] = (uint16_t)e->n;
    *out = t;
    return NS_OK;
}

static uint64_t load_uint(const uint8_t *src, uint8_t width)
{
    switch (width) {
    case 1:
        return *src;
    case 2: {
        uint16_t v;
        memcpy(&v, src, 2);
        return v;
    }
    case 4: {
        uint32_t v;
        memcpy(&v, src, 4);
        return v;
    }
    default: {
        uint64_t v;
        memcpy(&v, src, 8);
        return v;
    }
    }
}

/* Big-endian store of the low len octets: the full sizes without a loop. */
static inline void put_be(uint8_t *dst, uint64_t v, uint16_t len)
{
    switch (len) {
    case 1:
        dst[0] = (uint8_t)v;
        break;
    case 2:
        ns_put16(dst, (uint16_t)v);
        break;
    case 4:
        ns_put32(dst, (uint32_t)v);
        break;
    case 8:
        ns_put64(dst, v);
        break;
    default:
        ns_putN(dst, v, len);
        break;
    }
}

/* The fields the specialised steps do not cover (reduced sizes, ICMP,
 * biflowDirection). */
static void encode_generic(const struct ns_fr_desc *d, const uint8_t *src,
                           const struct ns_record *r, uint8_t *dst)
{
    {
        switch (d->op) {
        case NS_FR_UINT:
            put_be(dst, load_uint(src, d->width), d->len);
            break;
        case NS_FR_SINT: {
            int64_t v;
            memcpy(&v, src, 8);
            put_be(dst, (uint64_t)v, d->len);
            break;
        }
        case NS_FR_FLOAT: {
            double v;
            uint64_t bits;
            memcpy(&v, src, 8);
            memcpy(&bits, &v, 8);
            ns_put64(dst, bits);
            break;
        }
        case NS_FR_BYTES:
        case NS_FR_ADDR4:
        case NS_FR_ADDR6:
            memcpy(dst, src, d->len);
            break;
        case NS_FR_NTP:
            ns_put64(dst, ns_ntp_from_ns(load_uint(src, 8)));
            break;
        case NS_FR_ICMP:
            dst[0] = r->icmp_type;
            dst[1] = r->icmp_code;
            break;
        case NS_FR_BIDIR:
            dst[0] = r->syn_seen ? 1 : 0;
            break; /* 1 initiator, 0 arbitrary */
        default:
            memset(dst, 0, d->len);
            break;
        }
    }
}

void ns_flowrec_encode(const struct ns_flowrec_tmpl *t, const struct ns_record *r, uint8_t *dst)
{
    const uint8_t *base = (const uint8_t *)r;
    const struct ns_fr_step *s = t->steps, *end = s + t->nfields;
    for (; s < end; s++) {
        const uint8_t *src = base + s->off;
        switch (s->eop) {
        case E_W8: {
            uint64_t v;
            memcpy(&v, src, 8);
            ns_put64(dst, v);
            break;
        }
        case E_W4: {
            uint32_t v;
            memcpy(&v, src, 4);
            ns_put32(dst, v);
            break;
        }
        case E_W2: {
            uint16_t v;
            memcpy(&v, src, 2);
            ns_put16(dst, v);
            break;
        }
        case E_W1:
            dst[0] = src[0];
            break;
        case E_COPY:
            memcpy(dst, src, s->len);
            break;
        case E_NTP: {
            uint64_t v;
            memcpy(&v, src, 8);
            ns_put64(dst, ns_ntp_from_ns(v));
            break;
        }
        default:
            encode_generic(s->d, src, r, dst);
            break;
        }
        dst += s->len;
    }
}

int ns_flowrec_copy_plan(struct ns_flowrec_enc *e, const struct ns_tmpl *t,
                         const struct ns_record *r, struct ns_flowrec_copy *plan,
                         struct ns_error *err)
{
    memset(plan, 0, sizeof *plan);
    if (t->options || !t->fixed || (r->present & (NS_RG_AGG | NS_RG_SAMP)))
        return 0;
    struct ns_flowrec_tmpl *et = NULL;
    int rc = ns_flowrec_enc_template(e, r, &et, err);
    if (rc < 0 || !et)
        return rc < 0 ? rc : 0;
    if (et->key & (K_SPFX | K_DPFX | (NS_RK_ALL << K_WILD_SHIFT)) || et->nfields != t->nfields ||
        et->rec_len != t->min_len)
        return 0;
    plan->proto_off = plan->vlan_off = -1;
    size_t off = 0;
    for (uint16_t i = 0; i < t->nfields; i++) {
        const struct ns_field_spec *a = &t->fields[i], *b = &et->fields[i];
        if (a->pen != b->pen || a->id != b->id || a->len != b->len)
            return 0;
        if (a->pen == 0 && a->id == 4)
            plan->proto_off = (int)off;
        else if (a->pen == 0 && a->id == 58)
            plan->vlan_off = (int)off;
        off += a->len;
    }
    if (!(et->key & NS_RG_KEY)) { /* no key group: nothing chosen by value */
        plan->proto_off = plan->vlan_off = -1;
    } else if (plan->proto_off < 0) {
        return 0; /* every netsift key group has the protocol */
    }
    plan->e = et;
    plan->icmp_proto = (et->key & K_V6) ? 58 : 1;
    plan->want_icmp = (et->key & K_ICMP) != 0;
    return 1;
}

int ns_flowrec_copy_check(const struct ns_flowrec_copy *plan, const uint8_t *recs, size_t n,
                          size_t rec_len)
{
    if (plan->proto_off < 0)
        return 1;
    const uint8_t *p = recs + plan->proto_off;
    for (size_t i = 0; i < n; i++, p += rec_len)
        if ((*p == plan->icmp_proto) != plan->want_icmp)
            return 0;
    if (plan->vlan_off >= 0) { /* vlanId 0 would be an untagged flow: no vlanId */
        p = recs + plan->vlan_off;
        for (size_t i = 0; i < n; i++, p += rec_len)
            if (!p[0] && !p[1])
                return 0;
    }
    return 1;
}

/* Whole seconds of an NTP timestamp as ns_ntp_to_ns(x) / 10^9 (its
 * fraction adds less than a second). */
static inline uint64_t ntp_unix_s(const uint8_t *p)
{
    uint64_t s = ns_be32(p);
    return s >= NS_NTP_UNIX_OFFSET ? s - NS_NTP_UNIX_OFFSET : s + (1ull << 32) - NS_NTP_UNIX_OFFSET;
}

uint64_t ns_flowrec_end_s(const struct ns_flowrec_tmpl *t, const uint8_t *rec)
{
    uint64_t a = t->end_off[0] >= 0 ? ntp_unix_s(rec + t->end_off[0]) : 0;
    uint64_t b = t->end_off[1] >= 0 ? ntp_unix_s(rec + t->end_off[1]) : 0;
    return a > b ? a : b;
}
