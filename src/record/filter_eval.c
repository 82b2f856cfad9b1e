/*
 * filter_eval.c — running a compiled filter on a record.  Per record, so it
 * allocates nothing and never recurses: the program is a branch table
 * whose jumps only go backwards (see filter_int.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "record/filter_int.h"

static int has_key(const struct ns_record *r)
{
    return (r->present & NS_RG_KEY) != 0;
}

/* Protocols whose first 4 transport octets are 16-bit ports, the ones the
 * meter keys on (meter/key.c): TCP, UDP, DCCP, SCTP, UDP-Lite.  ICMP
 * type/code are not ports (tcpdump's `port` does not match them either). */
static int has_ports(uint8_t proto)
{
    return proto == 6 || proto == 17 || proto == 33 || proto == 132 || proto == 136;
}

static int rel_of(int cmp, enum fl_rel rel)
{
    switch (rel) {
    case FR_EQ:
        return cmp == 0;
    case FR_NE:
        return cmp != 0;
    case FR_LT:
        return cmp < 0;
    case FR_LE:
        return cmp <= 0;
    case FR_GT:
        return cmp > 0;
    case FR_GE:
        return cmp >= 0;
    }
    return 0;
}

static int cmp_u(uint64_t a, uint64_t b)
{
    return (a > b) - (a < b);
}

static int rel_u(uint64_t a, enum fl_rel rel, uint64_t b)
{
    return rel_of(cmp_u(a, b), rel);
}

static int in_prefix(const uint8_t *a, const uint8_t *p, int plen)
{
    int full = plen / 8, rest = plen % 8;
    if (memcmp(a, p, (size_t)full) != 0)
        return 0;
    if (!rest)
        return 1;
    uint8_t mask = (uint8_t)(0xffu << (8 - rest));
    return (a[full] & mask) == p[full];
}

static int side_net(const struct fl_insn *in, const struct ns_record *r)
{
    if ((r->ip_version == 4 ? 4 : 16) != in->alen)
        return 0;
    int s = in->side != FS_DST && in_prefix(r->saddr, in->addr, in->plen);
    int d = in->side != FS_SRC && in_prefix(r->daddr, in->addr, in->plen);
    return s || d;
}

static int side_port(const struct fl_insn *in, const struct ns_record *r)
{
    if (!has_ports(r->proto))
        return 0;
    for (int k = 0; k < 2; k++) {
        if ((k == 0 && in->side == FS_DST) || (k == 1 && in->side == FS_SRC))
            continue;
        uint16_t p = k == 0 ? r->sport : r->dport;
        if (in->test == FT_PORTRANGE ? p >= in->n && p <= in->n2 : rel_u(p, in->rel, in->n))
            return 1;
    }
    return 0;
}

/* Order of a number value against the constant; 2 when they cannot be
 * ordered (NaN). */
static int cmp_number(const struct ns_value *v, const struct fl_const *c)
{
    switch (v->kind) {
    case NS_V_U64:
        if (c->is_int)
            return c->neg ? 1 : cmp_u(v->u, c->mag);
        return isnan(c->d) ? 2 : ((double)v->u > c->d) - ((double)v->u < c->d);
    case NS_V_I64:
        if (c->is_int) {
            if (v->i < 0 && !c->neg)
                return -1;
            if (v->i >= 0 && c->neg)
                return 1;
            uint64_t m = v->i < 0 ? 0 - (uint64_t)v->i : (uint64_t)v->i;
            return c->neg ? cmp_u(c->mag, m) : cmp_u(m, c->mag);
        }
        return ((double)v->i > c->d) - ((double)v->i < c->d);
    case NS_V_F64:
        if (isnan(v->f))
            return 2;
        return (v->f > c->d) - (v->f < c->d);
    case NS_V_TIME:
        if (c->ns_range)
            return -c->ns_range;
        return cmp_u(v->u, c->ns);
    default:
        return 2;
    }
}

static int test_field(const struct fl_insn *in, const struct ns_record *r)
{
    struct ns_value v;
    if (!ns_field_get(in->field, r, &v))
        return 0; /* absent: false whatever the operator */
    const struct fl_const *c = &in->c;
    int cmp;
    switch (v.kind) {
    case NS_V_ADDR:
        if (in->kind != NS_V_ADDR || v.addr_len != c->alen)
            cmp = 2; /* another family: unequal, unordered */
        else
            cmp = in_prefix(v.addr, c->addr, c->plen) ? 0 : 2;
        break;
    case NS_V_MAC:
        cmp = in->kind == NS_V_MAC && !memcmp(v.addr, c->addr, 6) ? 0 : 2;
        break;
    case NS_V_STR:
        /* the constant's text as typed; fields such as proto and reason
         * fall back to numbers, compared below */
        cmp = strcasecmp(v.s, c->s);
        cmp = (cmp > 0) - (cmp < 0);
        break;
    default:
        /* a text field falling back to a number compares the number
         * the constant spells, if it spells one */
        cmp = in->kind != NS_V_STR || c->has_num ? cmp_number(&v, c) : 2;
        break;
    }
    if (cmp == 2)
        return in->rel == FR_NE;
    return rel_of(cmp, in->rel);
}

int fl_test(const struct fl_insn *in, const struct ns_record *r)
{
    if (in->need != FN_NONE) {
        if (!has_key(r))
            return 0;
        if (in->need == FN_PROTO && r->proto != in->need_val)
            return 0;
        if (in->need == FN_IPVER && r->ip_version != in->need_val)
            return 0;
    }
    switch (in->test) {
    case FT_PROTO:
        return has_key(r) && rel_u(r->proto, in->rel, in->n);
    case FT_IPVER:
        return has_key(r) && r->ip_version == in->n;
    case FT_NET:
        return has_key(r) && side_net(in, r);
    case FT_PORT:
    case FT_PORTRANGE:
        return has_key(r) && side_port(in, r);
    case FT_VLAN:
        return has_key(r) && rel_u(r->vlan, in->rel, in->n);
    case FT_VLAN_ANY:
        return has_key(r) && r->vlan != 0;
    case FT_FIELD:
        return test_field(in, r);
    }
    return 0;
}

int ns_filter_match(const struct ns_filter *f, const struct ns_record *r)
{
    if (!f)
        return 1;
    int32_t pc = f->entry;
    /* jumps go strictly backwards: at most f->n steps */
    while (pc >= 0) {
        const struct fl_insn *in = &f->prog[pc];
        pc = fl_test(in, r) ? in->jt : in->jf;
    }
    return pc == FL_ACCEPT;
}

int ns_filter_size(const struct ns_filter *f)
{
    return f ? f->n : 0;
}

void ns_filter_free(struct ns_filter *f)
{
    free(f);
}
