/* Sorting records by fields (sort.h). */
#include "analysis/sort.h"

#include <stdlib.h>
#include <string.h>

static int ascending_by_default(const struct ns_field *f, enum ns_value_kind kind)
{
    if (kind != NS_V_U64 && kind != NS_V_I64 && kind != NS_V_F64)
        return 1; /* times, addresses, MACs, names */
    if (f->group == NS_RG_KEY)
        return 1; /* ports, protocol number, VLAN, IP version */
    static const char *const ids[] = {"flowid", "endreason", "bidir", "lsrc"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (!strcmp(f->name, ids[i]))
            return 1;
    return 0;
}

int ns_sort_parse(struct ns_sort_spec *s, const char *list, struct ns_error *err)
{
    memset(s, 0, sizeof *s);
    if (!list || !*list)
        return ns_error_set(err, NS_EINVAL, "sort: no fields given");
    const char *p = list;
    for (;;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        char name[64];
        if (!len || len >= sizeof name)
            return ns_error_set(err, NS_EINVAL, "sort: empty or overlong field in '%s'", list);
        memcpy(name, p, len);
        name[len] = 0;
        int dir = -1; /* default */
        char *colon = strchr(name, ':');
        if (colon) {
            *colon = 0;
            if (!strcmp(colon + 1, "asc") || !strcmp(colon + 1, "a"))
                dir = 0;
            else if (!strcmp(colon + 1, "desc") || !strcmp(colon + 1, "d"))
                dir = 1;
            else
                return ns_error_set(err, NS_EINVAL, "sort: '%s': order is :asc or :desc",
                                    colon + 1);
        }
        const struct ns_field *f = ns_field_find(name);
        if (!f)
            return ns_error_set(err, NS_EINVAL,
                                "sort: unknown field '%s' (see 'netsift read --help')", name);
        if (s->n == NS_SORT_MAX_KEYS)
            return ns_error_set(err, NS_EINVAL, "sort: more than %d fields", NS_SORT_MAX_KEYS);
        s->f[s->n] = f;
        s->desc[s->n] = dir >= 0 ? dir : !ascending_by_default(f, ns_field_kind(f));
        s->n++;
        if (!c)
            break;
        p = c + 1;
    }
    return NS_OK;
}

static int cmp_values(const struct ns_value *a, const struct ns_value *b)
{
    switch (a->kind) {
    case NS_V_U64:
    case NS_V_TIME:
        return (a->u > b->u) - (a->u < b->u);
    case NS_V_I64:
        return (a->i > b->i) - (a->i < b->i);
    case NS_V_F64:
        return (a->f > b->f) - (a->f < b->f);
    case NS_V_ADDR:
        if (a->addr_len != b->addr_len)
            return a->addr_len < b->addr_len ? -1 : 1; /* IPv4 before IPv6 */
        {
            int c = memcmp(a->addr, b->addr, a->addr_len);
            if (c)
                return c;
            return (a->prefix > b->prefix) - (a->prefix < b->prefix);
        }
    case NS_V_MAC:
        return memcmp(a->addr, b->addr, 6);
    case NS_V_STR:
        return strcmp(a->s, b->s);
    }
    return 0;
}

int ns_sort_cmp(const struct ns_sort_spec *s, const struct ns_record *a, const struct ns_record *b)
{
    for (size_t i = 0; i < s->n; i++) {
        struct ns_value va, vb;
        int ha = ns_field_get(s->f[i], a, &va), hb = ns_field_get(s->f[i], b, &vb);
        if (!ha || !hb) {
            if (ha != hb)
                return ha ? -1 : 1; /* absent last */
            continue;
        }
        if (va.kind != vb.kind) { /* a field that is a name or a number (proto) */
            int c = (int)va.kind - (int)vb.kind;
            return s->desc[i] ? -c : c;
        }
        int c = cmp_values(&va, &vb);
        if (c)
            return s->desc[i] ? -c : c;
    }
    return 0;
}

/* Merge sort on an index array keeps the sort stable without qsort's
 * unspecified order of equals. */
static void msort(const struct ns_sort_spec *s, const struct ns_record *r, uint32_t *idx,
                  uint32_t *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    msort(s, r, idx, tmp, h);
    msort(s, r, idx + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = ns_sort_cmp(s, &r[idx[j]], &r[idx[i]]) < 0 ? idx[j++] : idx[i++];
    while (i < h)
        tmp[k++] = idx[i++];
    while (j < n)
        tmp[k++] = idx[j++];
    memcpy(idx, tmp, n * sizeof *idx);
}

int ns_sort_records(const struct ns_sort_spec *s, struct ns_record *r, size_t n,
                    struct ns_error *err)
{
    if (n < 2)
        return NS_OK;
    if (n > UINT32_MAX)
        return ns_error_set(err, NS_EINVAL, "sort: more than %u records", UINT32_MAX);
    uint32_t *idx = malloc(n * sizeof *idx), *tmp = malloc(n * sizeof *tmp);
    struct ns_record *out = malloc(n * sizeof *out);
    if (!idx || !tmp || !out) {
        free(idx);
        free(tmp);
        free(out);
        return ns_error_set(err, NS_ENOMEM, "sort: out of memory for %zu records", n);
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = (uint32_t)i;
    msort(s, r, idx, tmp, n);
    for (size_t i = 0; i < n; i++)
        out[i] = r[idx[i]];
    memcpy(r, out, n * sizeof *r);
    free(idx);
    free(tmp);
    free(out);
    return NS_OK;
}

/* ---- top N: a heap whose root is the worst record kept ---- */

struct ns_sort_top {
    struct ns_sort_spec spec;
    size_t cap, n;
    uint64_t seq; /* input order, to break ties like the stable sort */
    struct ns_record *r;
    uint64_t *order;
};

/* Is record i worse (later in the output) than record j? */
static int worse(const struct ns_sort_top *t, size_t i, size_t j)
{
    int c = ns_sort_cmp(&t->spec, &t->r[i], &t->r[j]);
    return c > 0 || (c == 0 && t->order[i] > t->order[j]);
}

static void swap(struct ns_sort_top *t, size_t i, size_t j)
{
    struct ns_record x = t->r[i];
    t->r[i] = t->r[j];
    t->r[j] = x;
    uint64_t o = t->order[i];
    t->order[i] = t->order[j];
    t->order[j] = o;
}

static void sift_down(struct ns_sort_top *t, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, w = i;
        if (l < t->n && worse(t, l, w))
            w = l;
        if (l + 1 < t->n && worse(t, l + 1, w))
            w = l + 1;
        if (w == i)
            return;
        swap(t, i, w);
        i = w;
    }
}

int ns_sort_top_create(struct ns_sort_top **out, const struct ns_sort_spec *s, size_t n,
                       struct ns_error *err)
{
    struct ns_sort_top *t = calloc(1, sizeof *t);
    if (!t || !n)
        goto fail;
    t->spec = *s;
    t->cap = n;
    t->r = malloc(n * sizeof *t->r);
    t->order = malloc(n * sizeof *t->order);
    if (!t->r || !t->order)
        goto fail;
    *out = t;
    return NS_OK;
fail:
    if (t) {
        free(t->r);
        free(t->order);
    }
    free(t);
    return n ? ns_error_set(err, NS_ENOMEM, "sort: out of memory for the top %zu", n)
             : ns_error_set(err, NS_EINVAL, "sort: --top needs N > 0");
}

void ns_sort_top_add(struct ns_sort_top *t, const struct ns_record *r)
{
    uint64_t seq = t->seq++;
    if (t->n < t->cap) {
        size_t i = t->n++;
        t->r[i] = *r;
        t->order[i] = seq;
        while (i && worse(t, i, (i - 1) / 2)) {
            swap(t, i, (i - 1) / 2);
            i = (i - 1) / 2;
        }
        return;
    }
    /* Better than the worst kept?  Equal ones lose: they came later. */
    if (ns_sort_cmp(&t->spec, r, &t->r[0]) >= 0)
        return;
    t->r[0] = *r;
    t->order[0] = seq;
    sift_down(t, 0);
}

const struct ns_record *ns_sort_top_result(struct ns_sort_top *t, size_t *n)
{
    /* Heap-sort in place: repeatedly move the worst to the end. */
    size_t total = t->n;
    while (t->n > 1) {
        swap(t, 0, t->n - 1);
        t->n--;
        sift_down(t, 0);
    }
    t->n = total;
    *n = total;
    return t->r;
}

void ns_sort_top_free(struct ns_sort_top *t)
{
    if (!t)
        return;
    free(t->r);
    free(t->order);
    free(t);
}
