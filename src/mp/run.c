/*
 * run.c — the driver of parallel measurement processes (mp.h): one
 * thread, capture → every process's chain → its reporting process (behind
 * the budget gate) or its flow meter, into one set of outputs.
 *
 * The gate: each reporting process writes to one ns_report_out of its own
 * that registers its templates on the real outputs (the IPFIX file, the
 * exporter) and passes options records straight on; packet reports go on
 * at once without a budget, else into the period's slots (mp.h says which
 * are kept).  The slots and their bytes are allocated at start: nothing
 * per packet.
 */
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "export/export.h"
#include "ipfix/file.h"
#include "mp/mp.h"

#define GATE_MAX_TMPL 64
#define SLOT_FIXED    512 /* a report without its section: at most ~370 octets */

struct run;

struct gate {
    struct run *run;
    size_t k;      /* process index */
    uint32_t rank; /* 0: the most important */
    uint16_t tid_base;
    int ntmpl;
    int map[GATE_MAX_TMPL][NS_REPORT_MAX_OUTS];
    uint8_t is_report[GATE_MAX_TMPL];
    int32_t head; /* latest kept slot of this period, -1: none */
    uint64_t reported, dropped;
};

struct slot {
    uint64_t order;
    uint32_t k, len, time_s;
    int idx;
    int32_t prev; /* the same process's previous kept slot */
};

struct order {
    uint64_t order;
    uint32_t slot;
};

struct run {
    const struct ns_mp_config *c;
    struct ns_report_out real[2];
    size_t nreal;
    struct ns_sel_chain *chain[NS_MP_MAX];
    struct ns_report *rep[NS_MP_MAX];
    struct gate gate[NS_MP_MAX];
    /* the budget */
    uint64_t cap, period_ns, cur, next_order;
    int have_period;
    size_t used, slot_bytes;
    struct slot *slots;
    uint8_t *bytes;
    struct order *ord;
    /* the metering process */
    struct ns_meter *m;
    double samp_frac;
    int sampled;
    uint64_t last_ns, records;
};

/* ---- the gate ---- */

static int real_add(struct run *r, const struct gate *g, int idx, const uint8_t *rec, size_t len,
                    uint32_t time_s, struct ns_error *err)
{
    for (size_t o = 0; o < r->nreal; o++) {
        int rc = r->real[o].add(r->real[o].ctx, g->map[idx][o], rec, len, time_s, err);
        if (rc < 0)
            return rc;
    }
    return NS_OK;
}

static int gate_reg(void *ctx, uint16_t tid, uint16_t scope_count, const struct ns_field_spec *f,
                    uint16_t n, struct ns_error *err)
{
    struct gate *g = ctx;
    struct run *r = g->run;
    if (g->ntmpl == GATE_MAX_TMPL)
        return ns_error_set(err, NS_EINVAL, "mp: too many templates");
    int k = g->ntmpl;
    for (size_t o = 0; o < r->nreal; o++) {
        int rc = r->real[o].reg(r->real[o].ctx, tid, scope_count, f, n, err);
        if (rc < 0)
            return rc;
        g->map[k][o] = rc;
    }
    uint16_t off = (uint16_t)(tid - g->tid_base);
    g->is_report[k] =
        off == NS_REPORT_TID_V4 || off == NS_REPORT_TID_V6 || off == NS_REPORT_TID_NOIP;
    return g->ntmpl++;
}

/* A report into the period's slots: a free one, else the latest of the
 * least important process below this one, else none (dropped). */
static int offer(struct run *r, struct gate *g, int idx, const uint8_t *rec, size_t len,
                 uint32_t time_s, struct ns_error *err)
{
    if (len > r->slot_bytes)
        return ns_error_set(err, NS_EINVAL, "mp: a report of %zu octets exceeds its slot", len);
    int32_t s;
    if (r->used < r->cap) {
        s = (int32_t)r->used++;
    } else {
        struct gate *v = NULL;
        for (size_t k = 0; k < r->c->n; k++) {
            struct gate *h = &r->gate[k];
            if (h->head >= 0 && h->rank > g->rank && (!v || h->rank > v->rank))
                v = h;
        }
        if (!v) {
            g->dropped++;
            return NS_OK;
        }
        s = v->head;
        v->head = r->slots[s].prev;
        v->dropped++;
    }
    struct slot *sl = &r->slots[s];
    sl->order = r->next_order++;
    sl->k = (uint32_t)g->k;
    sl->len = (uint32_t)len;
    sl->time_s = time_s;
    sl->idx = idx;
    sl->prev = g->head;
    g->head = s;
    memcpy(r->bytes + (size_t)s * r->slot_bytes, rec, len);
    return NS_OK;
}

static int gate_add(void *ctx, int idx, const uint8_t *rec, size_t len, uint32_t time_s,
                    struct ns_error *err)
{
    struct gate *g = ctx;
    struct run *r = g->run;
    if (!g->is_report[idx])
        return real_add(r, g, idx, rec, len, time_s, err);
    if (!r->cap) {
        g->reported++;
        return real_add(r, g, idx, rec, len, time_s, err);
    }
    return offer(r, g, idx, rec, len, time_s, err);
}

static int cmp_order(const void *a, const void *b)
{
    const struct order *x = a, *y = b;
    return (x->order > y->order) - (x->order < y->order);
}

/* The period is over: its kept reports out, in the order they were made. */
static int flush(struct run *r, struct ns_error *err)
{
    for (size_t i = 0; i < r->used; i++)
        r->ord[i] = (struct order){r->slots[i].order, (uint32_t)i};
    qsort(r->ord, r->used, sizeof *r->ord, cmp_order);
    int rc = NS_OK;
    for (size_t i = 0; i < r->used && rc >= 0; i++) {
        const struct slot *sl = &r->slots[r->ord[i].slot];
        struct gate *g = &r->gate[sl->k];
        rc = real_add(r, g, sl->idx, r->bytes + (size_t)r->ord[i].slot * r->slot_bytes, sl->len,
                      sl->time_s, err);
        if (rc >= 0)
            g->reported++;
    }
    r->used = 0;
    for (size_t k = 0; k < r->c->n; k++)
        r->gate[k].head = -1;
    return rc;
}

/* ---- the metering process's records ---- */

static int flow_sink(void *ctx, const struct ns_record *rec, struct ns_error *err)
{
    struct run *r = ctx;
    struct ns_record sr;
    if (r->sampled) { /* as probe --select does (probe.c): samplingProbability */
        sr = *rec;
        sr.present |= NS_RG_SAMP;
        sr.samp_frac = r->samp_frac;
        rec = &sr;
    }
    uint64_t end = ns_record_end_ns(rec);
    if (end > r->last_ns)
        r->last_ns = end;
    int rc = r->c->w ? ns_ipfix_writer_add(r->c->w, rec, err) : NS_OK;
    if (rc >= 0 && r->c->x)
        rc = ns_exporter_add(r->c->x, rec, err);
    if (rc >= 0)
        r->records++;
    return rc;
}

/* ---- set-up ---- */

static int setup(struct run *r, struct ns_error *err)
{
    const struct ns_mp_config *c = r->c;
    if (c->w)
        ns_report_out_writer(&r->real[r->nreal++], c->w);
    if (c->x)
        ns_report_out_exporter(&r->real[r->nreal++], c->x);
    if (!r->nreal)
        return ns_error_set(err, NS_EINVAL, "mp: no output");
    uint32_t max_sect = 0;
    for (size_t k = 0; k < c->n; k++) {
        const struct ns_mp_spec *s = &c->spec[k];
        if (!s->flows && s->report.section_bytes > max_sect)
            max_sect = s->report.section_bytes;
    }
    /* ranks: by prio, ties by position */
    for (size_t k = 0; k < c->n; k++) {
        uint32_t rank = 0;
        for (size_t j = 0; j < c->n; j++) {
            uint32_t pj = c->spec[j].prio, pk = c->spec[k].prio;
            rank += pj < pk || (pj == pk && j < k);
        }
        r->gate[k] = (struct gate){.run = r, .k = k, .rank = rank, .head = -1};
    }
    if (c->budget) {
        r->cap = c->budget;
        r->period_ns = c->period_ns ? c->period_ns : 1000000000u;
        r->slot_bytes = SLOT_FIXED + max_sect + 3;
        r->slots = calloc(r->cap, sizeof *r->slots);
        r->ord = calloc(r->cap, sizeof *r->ord);
        r->bytes = malloc(r->cap * r->slot_bytes);
        if (!r->slots || !r->ord || !r->bytes)
            return ns_error_set(err, NS_ENOMEM, "mp: out of memory for a budget of %llu reports",
                                (unsigned long long)r->cap);
    }
    for (size_t k = 0; k < c->n; k++) {
        const struct ns_mp_spec *s = &c->spec[k];
        int rc = ns_sel_chain_create(&r->chain[k], err);
        for (size_t i = 0; i < s->nsel && rc >= 0; i++)
            rc = ns_sel_chain_add_spec(r->chain[k], s->sel[i], err);
        if (rc < 0)
            return rc;
        struct ns_report_config rc_ = s->report;
        rc_.ssid = s->ssid;
        rc_.interp_ns = c->interp_ns;
        rc_.tid_base = (uint16_t)(NS_REPORT_TID_BASE + 0x100u * k);
        r->gate[k].tid_base = rc_.tid_base;
        if (s->flows) {
            /* sampled flows: the interpretation into the outputs as probe
             * --select writes it (configuration now, statistics at the end) */
            rc_.fields = 0;
            if ((rc = ns_report_new(&r->rep[k], &rc_, r->chain[k], r->real, r->nreal, err)) < 0 ||
                (rc = ns_report_configuration(r->rep[k], 0, err)) < 0)
                return rc;
            struct ns_meter_config mc = c->meter;
            if ((rc = ns_meter_create(&r->m, &mc, flow_sink, r, err)) < 0)
                return rc;
            r->samp_frac = ns_sel_chain_fraction(r->chain[k]);
            r->sampled = r->samp_frac < 1;
            continue;
        }
        rc_.dropped = &r->gate[k].dropped;
        struct ns_report_out o = {gate_reg, gate_add, &r->gate[k]};
        if ((rc = ns_report_new(&r->rep[k], &rc_, r->chain[k], &o, 1, err)) < 0)
            return rc;
    }
    return NS_OK;
}

/* One packet through every process (a[k]: process k's hashes ahead, or
 * NULL).  Inlined into both reading loops: a call per packet and process
 * is most of what --mp adds to one chain's cost. */
static inline __attribute__((always_inline)) int one(struct run *r, struct ns_pkt *p,
                                                     const uint8_t *frame, int lt, int *decoded,
                                                     const struct ns_sel_ahead *const *a, size_t i,
                                                     struct ns_mp_stats *st, struct ns_error *err)
{
    const struct ns_mp_config *c = r->c;
    if (r->cap) {
        uint64_t per = p->ts_ns / r->period_ns;
        if (!r->have_period) {
            r->have_period = 1;
            r->cur = per;
        } else if (per != r->cur) {
            int rc = flush(r, err);
            if (rc < 0)
                return rc;
            r->cur = per;
        }
    }
    st->packets++;
    for (size_t k = 0; k < c->n; k++) {
        struct ns_sel_verdict v;
        const struct ns_sel_ahead *ak = a[k] ? &a[k][i] : NULL;
        if (!ns_sel_chain_run_ahead(r->chain[k], p, frame, lt, decoded, &v, ak))
            continue;
        int rc;
        if (c->spec[k].flows) {
            if (!*decoded) {
                ns_pkt_decode(p, lt, frame);
                *decoded = 1;
            }
            rc = ns_meter_packet(r->m, p, err);
        } else {
            rc = ns_report_packet(r->rep[k], p, frame, lt, decoded, &v, err);
        }
        if (rc < 0)
            return rc;
    }
    return NS_OK;
}

enum { BURST = 256 };

struct burst {
    struct ns_pkt p[BURST];
    const uint8_t *frames[BURST];
    int decoded[BURST];
    struct ns_sel_ahead a[NS_MP_MAX][BURST];
};

static int read_all(struct run *r, struct ns_capture *cap, struct burst *bu, int *damaged,
                    struct ns_mp_stats *st, struct ns_error *err)
{
    const struct ns_mp_config *c = r->c;
    int rc = NS_OK;
    for (;;) {
        int lt;
        size_t n = ns_capture_burst(cap, bu->p, bu->frames, BURST, &lt);
        if (n) {
            /* each chain's leading hash ahead (no state changes), then
             * packet by packet through every process in order */
            const struct ns_sel_ahead *a[NS_MP_MAX];
            memset(bu->decoded, 0, n * sizeof bu->decoded[0]);
            for (size_t k = 0; k < c->n; k++)
                a[k] = ns_sel_chain_hash_ahead(r->chain[k], bu->p, bu->frames, n, lt, bu->decoded,
                                               bu->a[k])
                           ? bu->a[k]
                           : NULL;
            for (size_t i = 0; i < n && rc >= 0; i++)
                rc = one(r, &bu->p[i], bu->frames[i], lt, &bu->decoded[i], a, i, st, err);
            if (rc < 0)
                return rc;
            continue;
        }
        struct ns_pkt p;
        const uint8_t *frame;
        rc = ns_capture_next(cap, &p, &frame, &lt, err);
        const char *w = ns_capture_warning(cap);
        if (w) {
            *damaged = 1;
            if (c->warn)
                c->warn(c->ctx, w);
            ns_capture_take_warning(cap);
        }
        if (rc != 1)
            return rc;
        int decoded = 0;
        static const struct ns_sel_ahead *const none[NS_MP_MAX];
        if ((rc = one(r, &p, frame, lt, &decoded, none, 0, st, err)) < 0)
            return rc;
    }
}

int ns_mp_run(const struct ns_mp_config *c, struct ns_mp_stats *st, struct ns_error *err)
{
    memset(st, 0, sizeof *st);
    if (!c->n || c->n > NS_MP_MAX)
        return ns_error_set(err, NS_EINVAL, "mp: 1 to %d processes", NS_MP_MAX);
    struct run *r = calloc(1, sizeof *r);
    struct burst *bu = malloc(sizeof *bu);
    struct ns_capture *cap = NULL;
    int damaged = 0;
    int rc;
    if (!r || !bu) {
        rc = ns_error_set(err, NS_ENOMEM, "mp: out of memory");
        goto out;
    }
    r->c = c;
    if ((rc = setup(r, err)) < 0)
        goto out;
    if ((rc = ns_capture_open_files(&cap, c->inputs, c->ninputs, c->bpf, err)) < 0)
        goto out;
    rc = read_all(r, cap, bu, &damaged, st, err);
    if (rc < 0)
        goto out;
    /* the end: the last period's reports, every flow, the final statistics */
    if (r->cap && (rc = flush(r, err)) < 0)
        goto out;
    if (r->m && (rc = ns_meter_flush(r->m, err)) < 0)
        goto out;
    for (size_t k = 0; k < c->n && rc >= 0; k++)
        rc = c->spec[k].flows ? ns_report_interpretation(r->rep[k], r->last_ns, err)
                              : ns_report_finish(r->rep[k], err);
    if (rc >= 0 && damaged)
        rc = ns_error_set(err, NS_ETRUNC,
                          "some input was damaged; every complete packet was measured");
out:
    if (cap) {
        struct ns_capture_stats cs;
        ns_capture_get_stats(cap, &cs);
        st->filtered = cs.filtered;
        ns_capture_close(cap);
    }
    if (r) {
        st->n = c->n;
        for (size_t k = 0; k < c->n; k++) {
            struct ns_mp_proc_stats *ps = &st->p[k];
            const struct ns_mp_spec *s = &c->spec[k];
            memcpy(ps->name, s->name, sizeof ps->name);
            ps->ssid = s->ssid;
            ps->prio = s->prio;
            ps->flows = s->flows;
            ps->reported = r->gate[k].reported;
            ps->dropped = r->gate[k].dropped;
            if (s->flows)
                ps->records = r->records;
            if (r->rep[k]) {
                struct ns_report_stats rs;
                ns_report_get_stats(r->rep[k], &rs);
                st->options += rs.options;
            }
            if (r->chain[k]) {
                ps->nsel = ns_sel_chain_len(r->chain[k]);
                for (size_t i = 0; i < ps->nsel; i++)
                    ns_sel_chain_info(r->chain[k], i, &ps->sel[i]);
                if (ps->nsel)
                    ps->selected = ps->sel[ps->nsel - 1].selected;
            }
            ns_report_free(r->rep[k]);
            ns_sel_chain_free(r->chain[k]);
        }
        if (r->m)
            ns_meter_destroy(r->m);
        free(r->slots);
        free(r->ord);
        free(r->bytes);
        free(r);
    }
    free(bu);
    return rc;
}
