#include "meter/frag.h"

#include <stdlib.h>
#include <string.h>

#include "meter/key.h"

int ns_frag_table_init(struct ns_frag_table *t, uint32_t cap, uint64_t seed, struct ns_error *err)
{
    memset(t, 0, sizeof *t);
    if (cap == 0 || cap > (1u << 28))
        return ns_error_set(err, NS_EINVAL, "fragment table size %u out of range", cap);
    uint32_t nb = 1;
    while (nb < cap)
        nb <<= 1;
    t->e = calloc(cap, sizeof *t->e);
    t->bucket = malloc((size_t)nb * sizeof *t->bucket);
    if (!t->e || !t->bucket) {
        ns_frag_table_free(t);
        return ns_error_set(err, NS_ENOMEM, "fragment table of %u entries", cap);
    }
    for (uint32_t i = 0; i < nb; i++)
        t->bucket[i] = NS_FRAG_NIL;
    for (uint32_t i = 0; i < cap; i++)
        t->e[i].hnext = i + 1 < cap ? i + 1 : NS_FRAG_NIL;
    t->mask = nb - 1;
    t->cap = cap;
    t->free_head = 0;
    t->head = t->tail = NS_FRAG_NIL;
    t->seed = seed;
    return NS_OK;
}

void ns_frag_table_free(struct ns_frag_table *t)
{
    free(t->e);
    free(t->bucket);
    t->e = NULL;
    t->bucket = NULL;
}

size_t ns_frag_table_bytes(const struct ns_frag_table *t)
{
    return (size_t)t->cap * sizeof *t->e + (size_t)(t->mask + 1) * sizeof *t->bucket;
}

void ns_frag_key_make(struct ns_frag_key *k, const struct ns_pkt *p)
{
    memset(k, 0, sizeof *k);
    size_t alen = p->ip_version == 6 ? 16 : 4;
    memcpy(k->src, p->src, alen);
    memcpy(k->dst, p->dst, alen);
    k->id = p->frag_id;
    k->vlan = p->vlan_count ? (uint16_t)(p->vlan[0] & 0x0fff) : 0;
    k->ip_version = p->ip_version;
    k->proto = p->proto;
}

uint32_t ns_frag_key_hash(const struct ns_frag_table *t, const struct ns_frag_key *k)
{
    _Static_assert(sizeof(struct ns_frag_key) == 40, "frag key layout");
    return ns_hash_words(k, sizeof *k, t->seed);
}

struct ns_frag_entry *ns_frag_find(struct ns_frag_table *t, const struct ns_frag_key *k, uint32_t h)
{
    for (uint32_t i = t->bucket[h & t->mask]; i != NS_FRAG_NIL; i = t->e[i].hnext) {
        struct ns_frag_entry *e = &t->e[i];
        if (e->hash == h && memcmp(&e->key, k, sizeof *k) == 0)
            return e;
    }
    return NULL;
}

struct ns_frag_entry *ns_frag_insert(struct ns_frag_table *t, const struct ns_frag_key *k,
                                     uint32_t h, uint64_t now)
{
    uint32_t i = t->free_head;
    if (i == NS_FRAG_NIL)
        return NULL;
    struct ns_frag_entry *e = &t->e[i];
    t->free_head = e->hnext;
    memset(e, 0, sizeof *e);
    e->key = *k;
    e->hash = h;
    e->created_ns = now;
    e->in_use = 1;
    e->pend_ttl_min = 0xff;
    e->hnext = t->bucket[h & t->mask];
    t->bucket[h & t->mask] = i;
    e->prev = t->tail;
    e->next = NS_FRAG_NIL;
    if (t->tail != NS_FRAG_NIL)
        t->e[t->tail].next = i;
    else
        t->head = i;
    t->tail = i;
    t->used++;
    return e;
}

struct ns_frag_entry *ns_frag_oldest(struct ns_frag_table *t)
{
    return t->head == NS_FRAG_NIL ? NULL : &t->e[t->head];
}

void ns_frag_remove(struct ns_frag_table *t, struct ns_frag_entry *e)
{
    uint32_t i = (uint32_t)(e - t->e);
    uint32_t *pp = &t->bucket[e->hash & t->mask];
    while (*pp != i)
        pp = &t->e[*pp].hnext;
    *pp = e->hnext;
    if (e->prev != NS_FRAG_NIL)
        t->e[e->prev].next = e->next;
    else
        t->head = e->next;
    if (e->next != NS_FRAG_NIL)
        t->e[e->next].prev = e->prev;
    else
        t->tail = e->prev;
    e->in_use = 0;
    e->hnext = t->free_head;
    t->free_head = i;
    t->used--;
}

int ns_frag_account(struct ns_frag_entry *e, const struct ns_pkt *p)
{
    uint32_t plen = p->ip_len > p->ip_hdr_len ? p->ip_len - p->ip_hdr_len : 0;
    e->got += plen;
    if (!(p->flags & NS_PKT_F_FRAG_MORE))
        e->total = p->frag_off + plen;
    return e->has_first && e->total && e->got >= e->total;
}
