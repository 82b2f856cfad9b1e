/* The aggregator: open-addressing table over creation-ordered entries. */
#include "analysis/aggregate.h"

#include <stdlib.h>
#include <string.h>

#include "record/merge.h"

struct ns_agg_entry {
    struct ns_record rec;
    uint64_t hash;
    uint64_t tag;
    uint32_t key_off; /* into keys[] */
    uint16_t key_len;
};

struct ns_agg {
    struct ns_agg_opts o;
    struct ns_agg_entry *e;
    size_t n, cap;
    uint8_t *keys;
    size_t keys_len, keys_cap;
    uint32_t *slot; /* entry index + 1; 0 = empty */
    size_t nslots;  /* power of two */
};

/* 64-bit hash of the key bytes, a word at a time (multiply-xorshift). */
static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    return h;
}

int ns_agg_create(struct ns_agg **out, const struct ns_agg_opts *o, struct ns_error *err)
{
    struct ns_agg *a = calloc(1, sizeof *a);
    if (!a)
        return ns_error_set(err, NS_ENOMEM, "aggregate: out of memory");
    a->o = *o;
    a->nslots = 1024;
    a->slot = calloc(a->nslots, sizeof *a->slot);
    if (!a->slot) {
        free(a);
        return ns_error_set(err, NS_ENOMEM, "aggregate: out of memory");
    }
    *out = a;
    return NS_OK;
}

void ns_agg_destroy(struct ns_agg *a)
{
    if (!a)
        return;
    free(a->e);
    free(a->keys);
    free(a->slot);
    free(a);
}

size_t ns_agg_count(const struct ns_agg *a)
{
    return a->n;
}

const struct ns_record *ns_agg_at(const struct ns_agg *a, size_t i)
{
    return i < a->n ? &a->e[i].rec : NULL;
}

static int grow_slots(struct ns_agg *a, struct ns_error *err)
{
    size_t n = a->nslots * 2;
    uint32_t *s = calloc(n, sizeof *s);
    if (!s)
        return ns_error_set(err, NS_ENOMEM, "aggregate: out of memory at %zu entries", a->n);
    for (size_t i = 0; i < a->n; i++) {
        size_t j = a->e[i].hash & (n - 1);
        while (s[j])
            j = (j + 1) & (n - 1);
        s[j] = (uint32_t)(i + 1);
    }
    free(a->slot);
    a->slot = s;
    a->nslots = n;
    return NS_OK;
}

static int reserve(struct ns_agg *a, size_t key_len, struct ns_error *err)
{
    if (a->n == UINT32_MAX - 1)
        return ns_error_set(err, NS_EFULL, "aggregate: more than %u aggregates", UINT32_MAX - 1);
    if ((a->n + 1) * 2 > a->nslots && grow_slots(a, err) < 0)
        return err ? err->code : NS_ENOMEM;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 256;
        struct ns_agg_entry *e = realloc(a->e, cap * sizeof *e);
        if (!e)
            return ns_error_set(err, NS_ENOMEM, "aggregate: out of memory at %zu entries", a->n);
        a->e = e;
        a->cap = cap;
    }
    if (a->keys_len + key_len > a->keys_cap) {
        size_t cap = a->keys_cap ? a->keys_cap * 2 : 16384;
        while (cap < a->keys_len + key_len)
            cap *= 2;
        if (cap > UINT32_MAX)
            return ns_error_set(err, NS_EFULL, "aggregate: key space exhausted");
        uint8_t *k = realloc(a->keys, cap);
        if (!k)
            return ns_error_set(err, NS_ENOMEM, "aggregate: out of memory at %zu entries", a->n);
        a->keys = k;
        a->keys_cap = cap;
    }
    return NS_OK;
}

uint64_t ns_agg_tag_at(const struct ns_agg *a, size_t i)
{
    return i < a->n ? a->e[i].tag : 0;
}

int ns_agg_add(struct ns_agg *a, const struct ns_record *in, ns_agg_emit_fn emit, void *ctx,
               struct ns_error *err)
{
    return ns_agg_add_tagged(a, in, 0, emit, ctx, err);
}

int ns_agg_add_tagged(struct ns_agg *a, const struct ns_record *in, uint64_t tag,
                      ns_agg_emit_fn emit, void *ctx, struct ns_error *err)
{
    struct ns_record r = *in;
    uint8_t key[8 + NS_AGGKEY_MAX_BYTES];
    ns_aggkey_prefix(&a->o.key, &r);
    memcpy(key, &tag, 8);
    size_t klen = 8 + ns_aggkey_bytes(&a->o.key, &r, key + 8);
    ns_aggkey_wildcard(&a->o.key, &r);
    uint64_t h = hash_bytes(key, klen);

    size_t j = h & (a->nslots - 1);
    for (; a->slot[j]; j = (j + 1) & (a->nslots - 1)) {
        struct ns_agg_entry *e = &a->e[a->slot[j] - 1];
        if (e->hash != h || e->key_len != klen || memcmp(a->keys + e->key_off, key, klen) != 0)
            continue;
        if (a->o.idle_ns && (r.present & NS_RG_TIME) && (e->rec.present & NS_RG_TIME) &&
            ns_record_start_ns(&r) > ns_record_end_ns(&e->rec) + a->o.idle_ns) {
            int rc = emit(ctx, &e->rec, err);
            if (rc < 0)
                return rc;
            e->rec = r;
            ns_record_agg_init(&e->rec);
            return NS_OK;
        }
        ns_record_merge(&e->rec, &r);
        return NS_OK;
    }
    int rc = reserve(a, klen, err);
    if (rc < 0)
        return rc;
    /* The table may have grown: probe again. */
    j = h & (a->nslots - 1);
    while (a->slot[j])
        j = (j + 1) & (a->nslots - 1);
    struct ns_agg_entry *e = &a->e[a->n];
    e->rec = r;
    ns_record_agg_init(&e->rec);
    e->hash = h;
    e->tag = tag;
    e->key_off = (uint32_t)a->keys_len;
    e->key_len = (uint16_t)klen;
    memcpy(a->keys + a->keys_len, key, klen);
    a->keys_len += klen;
    a->slot[j] = (uint32_t)(++a->n);
    return NS_OK;
}

int ns_agg_flush(struct ns_agg *a, ns_agg_emit_fn emit, void *ctx, struct ns_error *err)
{
    int rc = NS_OK;
    for (size_t i = 0; i < a->n && rc >= 0; i++)
        rc = emit(ctx, &a->e[i].rec, err);
    a->n = 0;
    a->keys_len = 0;
    memset(a->slot, 0, a->nslots * sizeof *a->slot);
    return rc;
}
