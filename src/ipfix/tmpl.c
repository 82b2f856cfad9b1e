#include "ipfix/tmpl.h"

#include <stdlib.h>
#include <string.h>

/* Open addressing with linear probing; TOMB marks a removed entry so probe
 * chains stay intact.  The table is rebuilt when used + tombstones would
 * pass 3/4 of the slots. */
#define TOMB ((struct ns_tmpl *)&tomb_marker)
static const int tomb_marker;

struct ns_tmpl_store {
    struct ns_tmpl **slot;
    size_t nslots; /* power of two, ≥ 2 × max */
    size_t count, tombs, max;
    size_t fields; /* total over live templates, bounded by max_fields */
    size_t max_fields;
    uint64_t now;
    uint64_t serial; /* of the last template defined */
    ns_tmpl_resolve_fn resolve;
    void *ctx;
    ns_tmpl_extra_fn extra_size; /* ns_tmpl_store_set_prepare */
    ns_tmpl_prepare_fn prepare;
};

static size_t hash(const struct ns_tmpl_scope *sc, uint16_t tid)
{
    uint64_t h = ((uint64_t)sc->session << 32 | sc->obs_domain) * 0x9E3779B97F4A7C15ull;
    h ^= (h >> 29) + tid * 0xBF58476D1CE4E5B9ull;
    h *= 0x94D049BB133111EBull;
    return (size_t)(h ^ (h >> 31));
}

static int same(const struct ns_tmpl *t, const struct ns_tmpl_scope *sc, uint16_t tid)
{
    return t->tid == tid && t->scope.session == sc->session &&
           t->scope.obs_domain == sc->obs_domain;
}

int ns_tmpl_store_new(struct ns_tmpl_store **out, size_t max_templates, ns_tmpl_resolve_fn resolve,
                      void *ctx, struct ns_error *err)
{
    *out = NULL;
    if (max_templates == 0)
        max_templates = NS_TMPL_DEFAULT_MAX;
    if (max_templates > (1u << 20) || !resolve)
        return ns_error_set(err, NS_EINVAL, "template store: bad limit %zu", max_templates);
    struct ns_tmpl_store *s = calloc(1, sizeof *s);
    if (!s)
        return ns_error_set(err, NS_ENOMEM, "template store: out of memory");
    s->nslots = 16;
    while (s->nslots < 2 * max_templates)
        s->nslots *= 2;
    s->slot = calloc(s->nslots, sizeof *s->slot); // NOLINT(bugprone-sizeof-expression)
    if (!s->slot) {
        free(s);
        return ns_error_set(err, NS_ENOMEM, "template store: out of memory");
    }
    s->max = max_templates;
    s->max_fields = NS_TMPL_MAX_TOTAL_FIELDS;
    s->resolve = resolve;
    s->ctx = ctx;
    *out = s;
    return NS_OK;
}

void ns_tmpl_store_free(struct ns_tmpl_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nslots; i++)
        if (s->slot[i] && s->slot[i] != TOMB)
            free(s->slot[i]);
    free(s->slot);
    free(s);
}

static size_t find_slot(const struct ns_tmpl_store *s, const struct ns_tmpl_scope *sc, uint16_t tid,
                        int *found)
{
    size_t mask = s->nslots - 1, i = hash(sc, tid) & mask, first_tomb = (size_t)-1;
    /* Bounded: the table always has a free slot or a tombstone because
     * count ≤ max ≤ nslots / 2. */
    for (size_t probes = 0; probes < s->nslots; probes++) {
        struct ns_tmpl *t = s->slot[i];
        if (!t) {
            *found = 0;
            return first_tomb != (size_t)-1 ? first_tomb : i;
        }
        if (t == TOMB) {
            if (first_tomb == (size_t)-1)
                first_tomb = i;
        } else if (same(t, sc, tid)) {
            *found = 1;
            return i;
        }
        i = (i + 1) & mask;
    }
    *found = 0;
    return first_tomb;
}

/* Remove tombstones by reinserting every live entry (same table size). */
static void rebuild(struct ns_tmpl_store *s)
{
    size_t n = s->nslots;
    struct ns_tmpl **old = s->slot;
    struct ns_tmpl **fresh = calloc(n, sizeof *fresh); // NOLINT(bugprone-sizeof-expression)
    if (!fresh)
        return; /* keep the tombstones; lookups stay correct */
    s->slot = fresh;
    for (size_t i = 0; i < n; i++) {
        struct ns_tmpl *t = old[i];
        if (t && t != TOMB) {
            int found;
            s->slot[find_slot(s, &t->scope, t->tid, &found)] = t;
        }
    }
    s->tombs = 0;
    free(old);
}

const struct ns_tmpl *ns_tmpl_store_get(const struct ns_tmpl_store *s,
                                        const struct ns_tmpl_scope *sc, uint16_t tid)
{
    int found;
    size_t i = find_slot(s, sc, tid, &found);
    return found ? s->slot[i] : NULL;
}

size_t ns_tmpl_store_count(const struct ns_tmpl_store *s)
{
    return s->count;
}

/* Compile the plan.  Returns the template (one allocation) or NULL with
 * err set. */
static struct ns_tmpl *compile(struct ns_tmpl_store *s, const struct ns_tmpl_scope *sc,
                               uint16_t tid, uint16_t scope_count, const struct ns_field_spec *f,
                               uint16_t n, struct ns_error *err)
{
    size_t sz =
        sizeof(struct ns_tmpl) + n * sizeof(struct ns_field_spec) + n * sizeof(struct ns_plan_step);
    size_t extra_off = (sz + 7) & ~(size_t)7; /* steps are fewer than fields: n bounds them */
    if (s->prepare)
        sz = extra_off + s->extra_size(n);
    struct ns_tmpl *t = calloc(1, sz);
    if (!t) {
        ns_error_set(err, NS_ENOMEM, "template %u: out of memory", tid);
        return NULL;
    }
    struct ns_field_spec *fields = (struct ns_field_spec *)(t + 1);
    struct ns_plan_step *steps = (struct ns_plan_step *)(fields + n);
    memcpy(fields, f, n * sizeof *f);
    t->scope = *sc;
    t->tid = tid;
    t->nfields = n;
    t->scope_count = scope_count;
    t->options = scope_count > 0;
    t->fields = fields;
    t->steps = steps;

    /* Resolve every field into steps[i] first (one step per field). */
    for (uint16_t i = 0; i < n; i++) {
        steps[i].len = f[i].len;
        steps[i].act = s->resolve(s->ctx, &f[i]);
        if (steps[i].act.op == 0)
            t->unknown++;
    }
    /* Two fields for one destination: keep the higher priority (the first
     * on a tie), e.g. octetDeltaCount over octetTotalCount. */
    for (uint16_t i = 0; i < n; i++) {
        if (!steps[i].act.op)
            continue;
        for (uint16_t j = i + 1; j < n; j++) {
            if (!steps[j].act.op || steps[j].act.dst != steps[i].act.dst)
                continue;
            if (steps[j].act.prio > steps[i].act.prio) {
                steps[i].act.op = 0;
                break;
            }
            steps[j].act.op = 0;
        }
    }
    /* Merge runs of fixed-length skips, compute offsets and lengths. */
    uint32_t min_len = 0;
    uint16_t k = 0;
    int fixed = 1;
    for (uint16_t i = 0; i < n; i++) {
        struct ns_plan_step st = steps[i];
        if (st.len == NS_VARLEN) {
            fixed = 0;
            min_len += 1;
        } else {
            if (!st.act.op) {
                memset(&st.act, 0, sizeof st.act);
                if (k > 0 && steps[k - 1].act.op == 0 && steps[k - 1].len != NS_VARLEN &&
                    (uint32_t)steps[k - 1].len + st.len < NS_VARLEN) {
                    steps[k - 1].len = (uint16_t)(steps[k - 1].len + st.len);
                    min_len += st.len;
                    continue;
                }
            }
            st.off = fixed && min_len <= 0xFFFF ? (uint16_t)min_len : 0;
            min_len += st.len;
        }
        t->present |= st.act.op ? st.act.group : 0;
        steps[k++] = st;
    }
    t->nsteps = k;
    t->fixed = (uint8_t)fixed;
    t->min_len = min_len;
    if (min_len == 0) {
        free(t);
        ns_error_set(err, NS_EFORMAT, "template %u describes empty records", tid);
        return NULL;
    }
    if (s->prepare) {
        t->extra = (uint8_t *)t + extra_off;
        s->prepare(s->ctx, t);
    }
    return t;
}

int ns_tmpl_store_add(struct ns_tmpl_store *s, const struct ns_tmpl_scope *sc, uint16_t tid,
                      uint16_t scope_count, const struct ns_field_spec *f, uint16_t n,
                      const struct ns_tmpl **out, struct ns_error *err)
{
    if (out)
        *out = NULL;
    if (tid < NS_SET_DATA_MIN || n == 0)
        return ns_error_set(err, NS_EINVAL, "template id %u with %u fields", tid, n);
    if (n > NS_TMPL_MAX_FIELDS)
        return ns_error_set(err, NS_EFULL, "template %u has %u fields (limit %d)", tid, n,
                            NS_TMPL_MAX_FIELDS);
    int found;
    size_t i = find_slot(s, sc, tid, &found);
    if (!found && s->count >= s->max)
        return ns_error_set(err, NS_EFULL, "template store full (%zu templates)", s->max);
    if (found) {
        struct ns_tmpl *o = s->slot[i];
        if (o->nfields == n && o->scope_count == scope_count &&
            memcmp(o->fields, f, n * sizeof *f) == 0) {
            /* a refresh (UDP exporters resend templates, §8.4): the same
             * plan; compiling it again cost ~35 000 instructions */
            o->stamp = s->now;
            if (out)
                *out = o;
            return NS_OK;
        }
    }
    size_t old_n = found ? s->slot[i]->nfields : 0;
    if (s->fields - old_n + n > s->max_fields)
        return ns_error_set(err, NS_EFULL, "template store full (%zu fields in all)",
                            s->max_fields);
    struct ns_tmpl *t = compile(s, sc, tid, scope_count, f, n, err);
    if (!t)
        return err ? err->code : NS_EFORMAT;
    s->fields = s->fields - old_n + n;
    t->stamp = s->now;
    t->serial = ++s->serial;
    if (found) {
        free(s->slot[i]); /* §8.1: a new definition replaces the old one */
    } else {
        if (s->slot[i] == TOMB)
            s->tombs--;
        s->count++;
    }
    s->slot[i] = t;
    if (out)
        *out = t;
    if ((s->count + s->tombs) * 4 > s->nslots * 3)
        rebuild(s);
    return NS_OK;
}

int ns_tmpl_store_withdraw(struct ns_tmpl_store *s, const struct ns_tmpl_scope *sc, uint16_t tid)
{
    int removed = 0;
    if (tid == NS_SET_TEMPLATE || tid == NS_SET_OPTIONS_TEMPLATE) {
        int options = tid == NS_SET_OPTIONS_TEMPLATE;
        for (size_t i = 0; i < s->nslots; i++) {
            struct ns_tmpl *t = s->slot[i];
            if (!t || t == TOMB || t->options != options || t->scope.session != sc->session ||
                t->scope.obs_domain != sc->obs_domain)
                continue;
            s->fields -= t->nfields;
            free(t);
            s->slot[i] = TOMB;
            s->count--;
            s->tombs++;
            removed++;
        }
        return removed;
    }
    int found;
    size_t i = find_slot(s, sc, tid, &found);
    if (!found)
        return 0;
    s->fields -= s->slot[i]->nfields;
    free(s->slot[i]);
    s->slot[i] = TOMB;
    s->count--;
    s->tombs++;
    return 1;
}

void ns_tmpl_store_set_now(struct ns_tmpl_store *s, uint64_t now)
{
    s->now = now;
}

void ns_tmpl_store_set_prepare(struct ns_tmpl_store *s, ns_tmpl_extra_fn extra_size,
                               ns_tmpl_prepare_fn prepare)
{
    s->extra_size = extra_size;
    s->prepare = extra_size ? prepare : NULL;
}

void ns_tmpl_store_set_max_fields(struct ns_tmpl_store *s, size_t max_fields)
{
    s->max_fields =
        max_fields && max_fields < NS_TMPL_MAX_TOTAL_FIELDS ? max_fields : NS_TMPL_MAX_TOTAL_FIELDS;
}
