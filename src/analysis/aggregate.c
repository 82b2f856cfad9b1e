/* The aggregator: open addressing over creation-ordered entries whose
 * records are stored packed, with a small cache of unpacked ones. */
#include "analysis/aggregate.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "record/merge.h"

/* A record as 4-octet words; a packed record is a bitmap of its non-zero
 * words followed by those words. */
#define WORDS      (sizeof(struct ns_record) / 4)
#define MASK_WORDS ((WORDS + 31) / 32)
#define PACK_MAX   (4 * (MASK_WORDS + WORDS))
_Static_assert(sizeof(struct ns_record) % 4 == 0, "a record is whole words");
_Static_assert(PACK_MAX <= 0xFFFF, "packed lengths fit uint16_t");

/* Unpacked records held at once: direct-mapped by entry index. */
#define CACHE 256u

#define MAX_ENTRIES (1u << 31) /* slots hold 32-bit hashes: ≤ 2^32 slots */

struct ns_agg_entry {
    uint32_t key_off;  /* into keys[] */
    uint32_t blob_off; /* into blobs[] */
    uint16_t key_len;
    uint16_t blob_cap; /* 0: never packed yet (the record is in the cache) */
};

struct slot {
    uint32_t idx; /* entry index + 1; 0 = empty */
    uint32_t h;   /* low 32 bits of the key's hash */
};

struct cached {
    uint32_t idx; /* entry index + 1; 0 = empty */
    int dirty;    /* differs from the packed copy */
    struct ns_record rec;
};

struct ns_agg {
    struct ns_agg_opts o;
    int direct; /* a record merges into its entry as it comes: see merge_direct() */
    struct ns_agg_entry *e;
    size_t n, cap;
    uint8_t *keys;
    size_t keys_len, keys_cap;
    uint8_t *blobs;
    size_t blobs_len, blobs_cap, garbage; /* garbage: octets of abandoned blobs */
    struct slot *slot;
    size_t nslots;          /* power of two */
    struct ns_record *flat; /* ns_agg_expand */
    struct cached cache[CACHE];
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

/* Equal key bytes.  Keys are short (10 octets by protocol, 47 by IPv6
 * 5-tuple): 8 octets at a time beats the call to memcmp, which was ~35
 * instructions a record of `aggregate -m proto`. */
static int key_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (; n >= 8; a += 8, b += 8, n -= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y)
            return 0;
    }
    while (n--)
        if (*a++ != *b++)
            return 0;
    return 1;
}

/* ---- packed records ---- */

static size_t pack(const struct ns_record *r, uint8_t out[PACK_MAX])
{
    /* Four words at a time: which of them are non-zero is one compare and
     * one movemask with SSE2 (baseline on x86-64), then only those words
     * are copied.  A plain word-by-word loop over the 100 words of a record
     * cost ~1300 instructions per store, the aggregator's largest cost. */
    _Static_assert(WORDS % 4 == 0, "records are whole groups of four words");
    const uint8_t *src = (const uint8_t *)r;
    uint32_t mask[MASK_WORDS] = {0};
    uint8_t *p = out + sizeof mask;
    for (size_t g = 0; g < WORDS; g += 4) {
#ifdef __SSE2__
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(src + 4 * g));
        uint32_t nz =
            ~(uint32_t)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(v, _mm_setzero_si128()))) &
            0xfu;
#else
        uint32_t nz = 0;
        for (size_t i = 0; i < 4; i++) {
            uint32_t w;
            memcpy(&w, src + 4 * (g + i), 4);
            nz |= (uint32_t)(w != 0) << i;
        }
#endif
        if (!nz)
            continue;
        mask[g / 32] |= nz << (g % 32);
        for (uint32_t b = nz; b; b &= b - 1) {
            memcpy(p, src + 4 * (g + (size_t)__builtin_ctz(b)), 4);
            p += 4;
        }
    }
    memcpy(out, mask, sizeof mask);
    return (size_t)(p - out);
}

static void unpack(const uint8_t *in, struct ns_record *r)
{
    uint32_t mask[MASK_WORDS];
    memcpy(mask, in, sizeof mask);
    const uint8_t *p = in + sizeof mask;
    uint8_t *dst = (uint8_t *)r;
    memset(r, 0, sizeof *r);
    for (size_t m = 0; m < MASK_WORDS; m++)
        for (uint32_t bits = mask[m]; bits; bits &= bits - 1) {
            memcpy(dst + 4 * (32 * m + (size_t)__builtin_ctz(bits)), p, 4);
            p += 4;
        }
}

/* Grow buf (doubling) to hold need octets. */
static int grow(uint8_t **buf, size_t *cap, size_t need, size_t first, struct ns_error *err)
{
    if (need <= *cap)
        return NS_OK;
    if (need > UINT32_MAX)
        return ns_error_set(err, NS_EFULL, "aggregate: more than 4 GiB of aggregates");
    size_t c = *cap ? *cap : first;
    while (c < need)
        c *= 2;
    if (c > UINT32_MAX)
        c = UINT32_MAX;
    uint8_t *b = realloc(*buf, c);
    if (!b)
        return ns_error_set(err, NS_ENOMEM, "aggregate: out of memory");
    *buf = b;
    *cap = c;
    return NS_OK;
}

/* Copy the live blobs into a fresh arena, in entry order. */
static int compact(struct ns_agg *a, struct ns_error *err)
{
    size_t live = a->blobs_len - a->garbage, cap = 65536;
    while (cap < live)
        cap *= 2;
    uint8_t *b = malloc(cap);
    if (!b)
        return ns_error_set(err, NS_ENOMEM, "aggregate: out of memory");
    size_t len = 0;
    for (size_t i = 0; i < a->n; i++) {
        struct ns_agg_entry *e = &a->e[i];
        if (!e->blob_cap)
            continue;
        memcpy(b + len, a->blobs + e->blob_off, e->blob_cap);
        e->blob_off = (uint32_t)len;
        len += e->blob_cap;
    }
    free(a->blobs);
    a->blobs = b;
    a->blobs_len = len;
    a->blobs_cap = cap;
    a->garbage = 0;
    return NS_OK;
}

/* Write entry i's record back into the arena: in place when it fits, else
 * at the end (the old place becomes garbage, compacted when it is half). */
static int store(struct ns_agg *a, size_t i, const struct ns_record *r, struct ns_error *err)
{
    uint8_t buf[PACK_MAX];
    size_t len = pack(r, buf);
    struct ns_agg_entry *e = &a->e[i];
    if (len > e->blob_cap) {
        size_t cap = (len + 7) & ~(size_t)7; /* slack for a word or two more later */
        int rc = grow(&a->blobs, &a->blobs_cap, a->blobs_len + cap, 1u << 20, err);
        if (rc < 0)
            return rc;
        a->garbage += e->blob_cap;
        e->blob_off = (uint32_t)a->blobs_len;
        e->blob_cap = (uint16_t)cap;
        a->blobs_len += cap;
    }
    memcpy(a->blobs + e->blob_off, buf, len);
    if (a->garbage > (1u << 16) && a->garbage > a->blobs_len / 2)
        return compact(a, err);
    return NS_OK;
}

/* The cache slot of entry i, its previous occupant written back. */
static int take_slot(struct ns_agg *a, size_t i, struct cached **out, struct ns_error *err)
{
    struct cached *c = &a->cache[i % CACHE];
    if (c->idx && c->idx != i + 1 && c->dirty) {
        int rc = store(a, c->idx - 1, &c->rec, err);
        if (rc < 0)
            return rc;
    }
    *out = c;
    return NS_OK;
}

/* Entry i's record, unpacked in the cache. */
static int entry_rec(struct ns_agg *a, size_t i, struct ns_record **out, struct ns_error *err)
{
    struct cached *c;
    int rc = take_slot(a, i, &c, err);
    if (rc < 0)
        return rc;
    if (c->idx != i + 1) {
        unpack(a->blobs + a->e[i].blob_off, &c->rec);
        c->idx = (uint32_t)(i + 1);
        c->dirty = 0;
    }
    *out = &c->rec;
    return NS_OK;
}

/* Entry i's record into *tmp, or a pointer to its cached copy. */
static const struct ns_record *peek(const struct ns_agg *a, size_t i, struct ns_record *tmp)
{
    const struct cached *c = &a->cache[i % CACHE];
    if (c->idx == i + 1)
        return &c->rec;
    unpack(a->blobs + a->e[i].blob_off, tmp);
    return tmp;
}

/* Entry i's record into *dst, wherever it is kept. */
static void copy_out(const struct ns_agg *a, size_t i, struct ns_record *dst)
{
    const struct ns_record *r = peek(a, i, dst);
    if (r != dst)
        *dst = *r;
}

/* ---- the table ---- */

/*
 * Can a record merge into its entry as it comes, not cut and wildcarded?
 * Copying, cutting and wildcarding each record was a fifth of the aggregating thread's
 * work on `aggregate -m proto`, where nearly every record merges.  The
 * merge (merge.c merge_key) compares key components only where the entry
 * has no wildcard, and an entry made by this aggregator has a wildcard for
 * every component the key does not keep: what wildcarding would do to
 * those components is masked away.  Two things are not: a prefix cut
 * changes kept addresses, and with the protocol not kept an ICMP record's
 * type and code move into the ports (aggkey.c ns_aggkey_wildcard), which
 * matters when a port is kept.  Either way the copy is still made.  New
 * entries and idle splits always take the cut, wildcarded copy.
 */
static int merge_direct(const struct ns_aggkey *k)
{
    for (size_t i = 0; i < k->n; i++)
        if (k->part[i].p4 || k->part[i].p6)
            return 0;
    return (k->keep & NS_RK_PROTO) || !(k->keep & (NS_RK_SPORT | NS_RK_DPORT));
}

int ns_agg_create(struct ns_agg **out, const struct ns_agg_opts *o, struct ns_error *err)
{
    struct ns_agg *a = calloc(1, sizeof *a);
    if (!a)
        return ns_error_set(err, NS_ENOMEM, "aggregate: out of memory");
    a->o = *o;
    a->direct = merge_direct(&o->key);
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
    free(a->blobs);
    free(a->slot);
    free(a->flat);
    free(a);
}

size_t ns_agg_count(const struct ns_agg *a)
{
    return a->n;
}

int ns_agg_expand(struct ns_agg *a, struct ns_error *err)
{
    free(a->flat);
    a->flat = malloc((a->n ? a->n : 1) * sizeof *a->flat);
    if (!a->flat)
        return ns_error_set(err, NS_ENOMEM, "aggregate: out of memory for %zu aggregates", a->n);
    for (size_t i = 0; i < a->n; i++)
        copy_out(a, i, &a->flat[i]);
    return NS_OK;
}

const struct ns_record *ns_agg_at(const struct ns_agg *a, size_t i)
{
    return a->flat && i < a->n ? &a->flat[i] : NULL;
}

uint64_t ns_agg_tag_at(const struct ns_agg *a, size_t i)
{
    uint64_t tag = 0;
    if (i < a->n)
        memcpy(&tag, a->keys + a->e[i].key_off, 8); /* the key starts with it */
    return tag;
}

static int grow_slots(struct ns_agg *a, struct ns_error *err)
{
    size_t n = a->nslots * 2;
    struct slot *s = calloc(n, sizeof *s);
    if (!s)
        return ns_error_set(err, NS_ENOMEM, "aggregate: out of memory at %zu entries", a->n);
    for (size_t i = 0; i < a->nslots; i++) {
        if (!a->slot[i].idx)
            continue;
        size_t j = a->slot[i].h & (n - 1);
        while (s[j].idx)
            j = (j + 1) & (n - 1);
        s[j] = a->slot[i];
    }
    free(a->slot);
    a->slot = s;
    a->nslots = n;
    return NS_OK;
}

static int reserve(struct ns_agg *a, size_t key_len, struct ns_error *err)
{
    if (a->n == MAX_ENTRIES)
        return ns_error_set(err, NS_EFULL, "aggregate: more than %u aggregates", MAX_ENTRIES);
    if ((a->n + 1) * 2 > a->nslots) {
        int rc = grow_slots(a, err);
        if (rc < 0)
            return rc;
    }
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 256;
        struct ns_agg_entry *e = realloc(a->e, cap * sizeof *e);
        if (!e)
            return ns_error_set(err, NS_ENOMEM, "aggregate: out of memory at %zu entries", a->n);
        a->e = e;
        a->cap = cap;
    }
    return grow(&a->keys, &a->keys_cap, a->keys_len + key_len, 16384, err);
}

int ns_agg_add(struct ns_agg *a, const struct ns_record *in, ns_agg_emit_fn emit, void *ctx,
               struct ns_error *err)
{
    return ns_agg_add_tagged(a, in, 0, emit, ctx, err);
}

int ns_agg_add_tagged(struct ns_agg *a, const struct ns_record *in, uint64_t tag,
                      ns_agg_emit_fn emit, void *ctx, struct ns_error *err)
{
    struct ns_record r;               /* the cut, wildcarded copy, when one is made */
    const struct ns_record *src = in; /* the record as cut */
    uint8_t key[8 + NS_AGGKEY_MAX_BYTES];
    if (a->flat) { /* ns_agg_at's pointers end here */
        free(a->flat);
        a->flat = NULL;
    }
    if (!a->direct) {
        r = *in;
        ns_aggkey_prefix(&a->o.key, &r);
        src = &r;
    }
    memcpy(key, &tag, 8);
    size_t klen = 8 + ns_aggkey_bytes(&a->o.key, src, key + 8);
    uint64_t h = hash_bytes(key, klen);
    uint32_t h32 = (uint32_t)h;

    size_t j = h32 & (a->nslots - 1);
    for (; a->slot[j].idx; j = (j + 1) & (a->nslots - 1)) {
        if (a->slot[j].h != h32)
            continue;
        size_t i = a->slot[j].idx - 1;
        const struct ns_agg_entry *e = &a->e[i];
        if (e->key_len != klen || !key_eq(a->keys + e->key_off, key, klen))
            continue;
        struct ns_record *er;
        int rc = entry_rec(a, i, &er, err);
        if (rc < 0)
            return rc;
        a->cache[i % CACHE].dirty = 1;
        if (a->o.idle_ns && (src->present & NS_RG_TIME) && (er->present & NS_RG_TIME) &&
            ns_record_start_ns(src) > ns_record_end_ns(er) + a->o.idle_ns) {
            rc = emit(ctx, er, err);
            if (rc < 0)
                return rc;
            *er = *src;
            ns_aggkey_wildcard(&a->o.key, er);
            ns_record_agg_init(er);
            return NS_OK;
        }
        if (!a->direct) {
            ns_aggkey_wildcard(&a->o.key, &r);
            src = &r;
        }
        ns_record_merge(er, src);
        return NS_OK;
    }
    int rc = reserve(a, klen, err);
    if (rc < 0)
        return rc;
    /* The slot table may have grown: probe again. */
    j = h32 & (a->nslots - 1);
    while (a->slot[j].idx)
        j = (j + 1) & (a->nslots - 1);
    size_t i = a->n;
    struct cached *c;
    rc = take_slot(a, i, &c, err);
    if (rc < 0)
        return rc;
    struct ns_agg_entry *e = &a->e[i];
    e->key_off = (uint32_t)a->keys_len;
    e->key_len = (uint16_t)klen;
    e->blob_off = 0;
    e->blob_cap = 0;
    memcpy(a->keys + a->keys_len, key, klen);
    a->keys_len += klen;
    c->idx = (uint32_t)(i + 1);
    c->dirty = 1;
    c->rec = *src;
    ns_aggkey_wildcard(&a->o.key, &c->rec);
    ns_record_agg_init(&c->rec);
    a->slot[j] = (struct slot){(uint32_t)(i + 1), h32};
    a->n++;
    return NS_OK;
}

/* Flushing a large table: a second thread unpacks the entries a few
 * chunks ahead while this one emits (encodes, writes) them, so the two
 * halves of the per-aggregate work overlap.  peek() only reads the table. */
#define FL_CHUNK  256
#define FL_CHUNKS 4
#define FL_MIN    65536 /* below this, a thread costs more than it saves */

struct flusher {
    const struct ns_agg *a;
    size_t n, nchunks;
    size_t produced, consumed; /* chunks */
    int stop;
    pthread_mutex_t m;
    pthread_cond_t c;
    struct ns_record buf[FL_CHUNKS][FL_CHUNK];
};

static void *flush_worker(void *arg)
{
    struct flusher *f = arg;
    for (size_t k = 0; k < f->nchunks; k++) {
        pthread_mutex_lock(&f->m);
        while (k - f->consumed >= FL_CHUNKS && !f->stop)
            pthread_cond_wait(&f->c, &f->m);
        int stop = f->stop;
        pthread_mutex_unlock(&f->m);
        if (stop)
            break;
        size_t lo = k * FL_CHUNK, hi = lo + FL_CHUNK < f->n ? lo + FL_CHUNK : f->n;
        struct ns_record *b = f->buf[k % FL_CHUNKS];
        for (size_t i = lo; i < hi; i++)
            copy_out(f->a, i, &b[i - lo]);
        pthread_mutex_lock(&f->m);
        f->produced = k + 1;
        pthread_cond_broadcast(&f->c);
        pthread_mutex_unlock(&f->m);
    }
    return NULL;
}

/* 1 in *done when the threaded flush ran (whatever rc says); 0 when no
 * thread could be had, and the caller flushes in the plain loop. */
static int flush_threaded(struct ns_agg *a, ns_agg_emit_fn emit, void *ctx, struct ns_error *err,
                          int *done)
{
    *done = 0;
    struct flusher *f = malloc(sizeof *f);
    if (!f)
        return NS_OK;
    f->a = a;
    f->n = a->n;
    f->nchunks = (a->n + FL_CHUNK - 1) / FL_CHUNK;
    f->produced = f->consumed = 0;
    f->stop = 0;
    pthread_mutex_init(&f->m, NULL);
    pthread_cond_init(&f->c, NULL);
    pthread_t th;
    if (pthread_create(&th, NULL, flush_worker, f) != 0) {
        pthread_cond_destroy(&f->c);
        pthread_mutex_destroy(&f->m);
        free(f);
        return NS_OK;
    }
    *done = 1;
    int rc = NS_OK;
    for (size_t k = 0; k < f->nchunks && rc >= 0; k++) {
        pthread_mutex_lock(&f->m);
        while (f->produced <= k)
            pthread_cond_wait(&f->c, &f->m);
        pthread_mutex_unlock(&f->m);
        size_t lo = k * FL_CHUNK, hi = lo + FL_CHUNK < f->n ? lo + FL_CHUNK : f->n;
        const struct ns_record *b = f->buf[k % FL_CHUNKS];
        for (size_t i = lo; i < hi && rc >= 0; i++)
            rc = emit(ctx, &b[i - lo], err);
        pthread_mutex_lock(&f->m);
        f->consumed = k + 1;
        pthread_cond_broadcast(&f->c);
        pthread_mutex_unlock(&f->m);
    }
    pthread_mutex_lock(&f->m);
    f->stop = 1;
    pthread_cond_broadcast(&f->c);
    pthread_mutex_unlock(&f->m);
    pthread_join(th, NULL);
    pthread_cond_destroy(&f->c);
    pthread_mutex_destroy(&f->m);
    free(f);
    return rc;
}

int ns_agg_flush(struct ns_agg *a, ns_agg_emit_fn emit, void *ctx, struct ns_error *err)
{
    int rc = NS_OK, done = 0;
    if (a->n >= FL_MIN)
        rc = flush_threaded(a, emit, ctx, err, &done);
    struct ns_record tmp;
    for (size_t i = 0; !done && i < a->n && rc >= 0; i++)
        rc = emit(ctx, peek(a, i, &tmp), err);
    a->n = 0;
    a->keys_len = 0;
    a->blobs_len = 0;
    a->garbage = 0;
    free(a->flat);
    a->flat = NULL;
    memset(a->slot, 0, a->nslots * sizeof *a->slot);
    for (size_t k = 0; k < CACHE; k++)
        a->cache[k].idx = 0;
    return rc;
}
