#include "ipfix/msgbuild.h"

#include <stdlib.h>
#include <string.h>

#include "ipfix/be.h"
#include "ipfix/flowrec.h"
#include "ipfix/typeinfo.h"

#define OPT_MAX_FIELDS 64

struct opt_tmpl {
    uint16_t tid, n, scope_count, rec_len; /* rec_len: fixed part (the whole record
                                              when no field is variable-length) */
    uint8_t announced, varlen;
    struct ns_field_spec f[OPT_MAX_FIELDS];
};

struct ns_msgb {
    struct ns_flowrec_enc *enc;
    struct ns_msg_enc m;
    ns_msgb_emit_fn emit;
    void *ctx;
    uint32_t obs_domain;
    size_t max_msg;
    int one_per_msg;
    uint32_t seq;         /* data records emitted before the current message */
    uint32_t nrec;        /* data records in the current message */
    uint32_t nflow;       /* of them, flow records */
    uint32_t export_time; /* newest record end (s) in the current message */
    int open;             /* a message is being built */
    uint16_t data_tid;    /* template of the open data set, 0 when none */
    int nopt;
    struct opt_tmpl opt[NS_MSGB_MAX_OPTS];
    uint8_t *buf; /* max_msg octets */
};

int ns_msgb_new(struct ns_msgb **out, const struct ns_msgb_opts *o, ns_msgb_emit_fn emit, void *ctx,
                struct ns_error *err)
{
    *out = NULL;
    size_t max = o->max_msg ? o->max_msg : NS_MSG_MAX;
    if (max < NS_MSGB_MIN_MSG || max > NS_MSG_MAX)
        return ns_error_set(err, NS_EINVAL, "IPFIX message size %zu outside [%d, %d]", max,
                            NS_MSGB_MIN_MSG, NS_MSG_MAX);
    struct ns_msgb *b = calloc(1, sizeof *b);
    if (!b || !(b->buf = malloc(max))) {
        free(b);
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    }
    b->emit = emit;
    b->ctx = ctx;
    b->obs_domain = o->obs_domain;
    b->max_msg = max;
    b->one_per_msg = o->one_per_msg;
    int rc = ns_flowrec_enc_new(&b->enc, err);
    if (rc < 0) {
        free(b->buf);
        free(b);
        return rc;
    }
    *out = b;
    return NS_OK;
}

void ns_msgb_free(struct ns_msgb *b)
{
    if (!b)
        return;
    ns_flowrec_enc_free(b->enc);
    free(b->buf);
    free(b);
}

void ns_msgb_put_export_time(uint8_t *msg, uint32_t export_time)
{
    ns_put32(msg + 4, export_time);
}

uint32_t ns_msgb_pending(const struct ns_msgb *b)
{
    return b->open ? b->nrec : 0;
}

uint32_t ns_msgb_seq(const struct ns_msgb *b)
{
    return b->seq;
}

size_t ns_msgb_template_count(const struct ns_msgb *b)
{
    return ns_flowrec_enc_count(b->enc);
}

int ns_msgb_flush(struct ns_msgb *b, struct ns_error *err)
{
    if (!b->open)
        return NS_OK;
    size_t n = ns_msg_enc_finish(&b->m, b->export_time);
    uint32_t nrec = b->nrec, nflow = b->nflow;
    b->open = 0;
    b->data_tid = 0;
    b->seq += nrec; /* RFC 7011 §3.1: mod 2^32 by unsigned wrap */
    b->nrec = b->nflow = 0;
    b->export_time = 0;
    return b->emit(b->ctx, b->buf, n, nrec, nflow, err);
}

static int begin(struct ns_msgb *b, struct ns_error *err)
{
    int rc = ns_msg_enc_begin(&b->m, b->buf, b->max_msg, b->obs_domain, b->seq, err);
    if (rc == NS_OK)
        b->open = 1;
    return rc;
}

/* Make sure `need` more octets fit the message (flushing it if not). */
static int room(struct ns_msgb *b, size_t need, struct ns_error *err)
{
    if (b->open && ns_msg_enc_room(&b->m) >= need)
        return NS_OK;
    int rc = ns_msgb_flush(b, err);
    if (rc == NS_OK)
        rc = begin(b, err);
    if (rc == NS_OK && ns_msg_enc_room(&b->m) < need)
        rc = ns_error_set(err, NS_EINVAL, "%zu octets do not fit an IPFIX message of %zu", need,
                          b->max_msg);
    return rc;
}

int ns_msgb_typeinfo(struct ns_msgb *b, struct ns_error *err)
{
    /* RFC 5610 type records in messages of their own, so that a collector
     * can decode netsift's enterprise elements by name and type before it
     * meets a template that uses them (typeinfo.h). */
    int rc = ns_msgb_flush(b, err);
    /* `next` walks the table's slots (reverse slots without a name
     * included), not the records: run until the encoder has seen them all */
    int next = 0, total = ns_typeinfo_slots();
    while (rc == NS_OK && next < total) {
        rc = begin(b, err);
        int n = rc < 0 ? rc : ns_typeinfo_encode(&b->m, &next);
        if (n < 0 || (n == 0 && next > 0)) {
            b->open = 0;
            return rc < 0 ? rc : ns_error_set(err, NS_EINVAL, "type records do not fit a message");
        }
        b->nrec = (uint32_t)n; /* options records are data records too (RFC 7011 §3.1) */
        rc = ns_msgb_flush(b, err);
    }
    return rc;
}

static size_t tmpl_len(const struct ns_field_spec *f, uint16_t n, uint16_t scope_count)
{
    size_t tl = scope_count ? 6 : 4;
    for (uint16_t i = 0; i < n; i++)
        tl += f[i].pen ? 8 : 4;
    return tl;
}

/* Write a template record in its own set; `with` more octets (the first
 * data record and its set header) should follow in the same message. */
static int put_template(struct ns_msgb *b, uint16_t tid, const struct ns_field_spec *f, uint16_t n,
                        uint16_t scope_count, size_t with, struct ns_error *err)
{
    size_t tl = tmpl_len(f, n, scope_count);
    size_t need = NS_SET_HDR_LEN + tl + with;
    int rc;
    if (need > b->max_msg - NS_MSG_HDR_LEN) /* too big together: the template alone first */
        need = NS_SET_HDR_LEN + tl;
    if ((rc = room(b, need, err)) < 0)
        return rc;
    ns_msg_enc_set_open(&b->m, scope_count ? NS_SET_OPTIONS_TEMPLATE : NS_SET_TEMPLATE, tl);
    ns_msg_enc_template(&b->m, tid, f, n, scope_count);
    ns_msg_enc_set_close(&b->m);
    b->data_tid = 0;
    return NS_OK;
}

/* Room for one data record of template tid (rec_len octets) at *p. */
static int data_slot(struct ns_msgb *b, uint16_t tid, size_t rec_len, uint8_t **p,
                     struct ns_error *err)
{
    int rc;
    if (b->data_tid != tid) {
        if ((rc = room(b, NS_SET_HDR_LEN + rec_len, err)) < 0)
            return rc;
        ns_msg_enc_set_open(&b->m, tid, rec_len);
        b->data_tid = tid;
    }
    *p = ns_msg_enc_reserve(&b->m, rec_len);
    if (!*p) {
        if ((rc = room(b, NS_SET_HDR_LEN + rec_len, err)) < 0)
            return rc;
        ns_msg_enc_set_open(&b->m, tid, rec_len);
        b->data_tid = tid;
        *p = ns_msg_enc_reserve(&b->m, rec_len);
    }
    return NS_OK;
}

int ns_msgb_add(struct ns_msgb *b, const struct ns_record *r, struct ns_error *err)
{
    struct ns_flowrec_tmpl *t;
    int rc = ns_flowrec_enc_template(b->enc, r, &t, err);
    if (rc < 0)
        return rc;
    if (!t->announced) {
        /* Template set + template record + data set header + one record,
         * all in one message so the template precedes its first use. */
        rc = put_template(b, t->tid, t->fields, t->nfields, 0, NS_SET_HDR_LEN + t->rec_len, err);
        if (rc < 0)
            return rc;
        t->announced = 1;
    }
    uint8_t *p;
    if ((rc = data_slot(b, t->tid, t->rec_len, &p, err)) < 0)
        return rc;
    ns_flowrec_encode(t, r, p);
    b->nrec++;
    b->nflow++;
    uint64_t end_s = ns_record_end_ns(r) / 1000000000u;
    if (end_s > b->export_time)
        b->export_time = end_s > UINT32_MAX ? UINT32_MAX : (uint32_t)end_s;
    return b->one_per_msg ? ns_msgb_flush(b, err) : NS_OK;
}

struct ns_flowrec_enc *ns_msgb_encoder(struct ns_msgb *b)
{
    return b->enc;
}

int ns_msgb_add_encoded(struct ns_msgb *b, struct ns_flowrec_tmpl *t, const uint8_t *recs, size_t n,
                        struct ns_error *err)
{
    size_t rl = t->rec_len;
    int rc;
    while (n > 0) {
        if (!t->announced) { /* as ns_msgb_add: with room for the first record */
            rc = put_template(b, t->tid, t->fields, t->nfields, 0, NS_SET_HDR_LEN + rl, err);
            if (rc < 0)
                return rc;
            t->announced = 1;
        }
        uint8_t *p;
        if ((rc = data_slot(b, t->tid, rl, &p, err)) < 0)
            return rc;
        /* the first record has its slot; as many more as the message holds
         * go in the same data set, just as record by record */
        size_t k = 1;
        if (!b->one_per_msg) {
            size_t more = ns_msg_enc_room(&b->m) / rl;
            if (more > n - 1)
                more = n - 1;
            if (more && ns_msg_enc_reserve(&b->m, more * rl))
                k += more;
        }
        memcpy(p, recs, k * rl);
        uint64_t end = b->export_time;
        for (size_t i = 0; i < k; i++) {
            uint64_t e = ns_flowrec_end_s(t, recs + i * rl);
            if (e > end)
                end = e;
        }
        b->export_time = end > UINT32_MAX ? UINT32_MAX : (uint32_t)end;
        b->nrec += (uint32_t)k;
        b->nflow += (uint32_t)k;
        recs += k * rl;
        n -= k;
        if (b->one_per_msg && (rc = ns_msgb_flush(b, err)) < 0)
            return rc;
    }
    return NS_OK;
}

void ns_msgb_forget(struct ns_msgb *b)
{
    size_t n = ns_flowrec_enc_count(b->enc);
    for (size_t i = 0; i < n; i++)
        ns_flowrec_enc_at(b->enc, i)->announced = 0;
    for (int i = 0; i < b->nopt; i++)
        b->opt[i].announced = 0;
}

int ns_msgb_templates(struct ns_msgb *b, struct ns_error *err)
{
    int rc = ns_msgb_flush(b, err);
    for (int i = 0; rc == NS_OK && i < b->nopt; i++) {
        struct opt_tmpl *o = &b->opt[i];
        rc = put_template(b, o->tid, o->f, o->n, o->scope_count, 0, err);
        o->announced = rc == NS_OK;
    }
    size_t n = ns_flowrec_enc_count(b->enc);
    for (size_t i = 0; rc == NS_OK && i < n; i++) {
        struct ns_flowrec_tmpl *t = ns_flowrec_enc_at(b->enc, i);
        rc = put_template(b, t->tid, t->fields, t->nfields, 0, 0, err);
        t->announced = rc == NS_OK;
    }
    return rc == NS_OK ? ns_msgb_flush(b, err) : rc;
}

int ns_msgb_raw_register(struct ns_msgb *b, uint16_t tid, uint16_t scope_count,
                         const struct ns_field_spec *f, uint16_t n, struct ns_error *err)
{
    if (b->nopt == NS_MSGB_MAX_OPTS)
        return ns_error_set(err, NS_EFULL, "too many options and raw templates");
    if (n == 0 || n > OPT_MAX_FIELDS || scope_count > n || tid < NS_SET_DATA_MIN)
        return ns_error_set(err, NS_EINVAL, "bad template %u", tid);
    for (int i = 0; i < b->nopt; i++)
        if (b->opt[i].tid == tid)
            return ns_error_set(err, NS_EINVAL, "template %u registered twice", tid);
    struct opt_tmpl *o = &b->opt[b->nopt];
    memset(o, 0, sizeof *o);
    o->tid = tid;
    o->n = n;
    o->scope_count = scope_count;
    for (uint16_t i = 0; i < n; i++) {
        o->f[i] = f[i];
        if (f[i].len == NS_VARLEN) {
            o->varlen = 1;
            o->rec_len = (uint16_t)(o->rec_len + 1); /* the shortest length header */
        } else {
            o->rec_len = (uint16_t)(o->rec_len + f[i].len);
        }
    }
    return b->nopt++;
}

int ns_msgb_opt_register(struct ns_msgb *b, uint16_t tid, uint16_t scope_count,
                         const struct ns_field_spec *f, uint16_t n, struct ns_error *err)
{
    if (scope_count == 0)
        return ns_error_set(err, NS_EINVAL, "bad options template %u", tid);
    for (uint16_t i = 0; i < n; i++)
        if (f[i].len == NS_VARLEN)
            return ns_error_set(err, NS_EINVAL, "options template %u: variable-length field", tid);
    return ns_msgb_raw_register(b, tid, scope_count, f, n, err);
}

int ns_msgb_raw_add(struct ns_msgb *b, int idx, const uint8_t *rec, size_t len, uint32_t time_s,
                    struct ns_error *err)
{
    if (idx < 0 || idx >= b->nopt)
        return ns_error_set(err, NS_EINVAL, "no registered template %d", idx);
    struct opt_tmpl *o = &b->opt[idx];
    if (len < o->rec_len || (!o->varlen && len != o->rec_len) || len > NS_MSG_MAX)
        return ns_error_set(err, NS_EINVAL, "record of %zu octets for template %u", len, o->tid);
    int rc;
    if (!o->announced) {
        rc = put_template(b, o->tid, o->f, o->n, o->scope_count, NS_SET_HDR_LEN + len, err);
        if (rc < 0)
            return rc;
        o->announced = 1;
    }
    uint8_t *p;
    rc = data_slot(b, o->tid, len, &p, err);
    if (rc < 0)
        return rc;
    memcpy(p, rec, len);
    b->nrec++;
    if (time_s > b->export_time)
        b->export_time = time_s;
    return b->one_per_msg && o->scope_count == 0 ? ns_msgb_flush(b, err) : NS_OK;
}

int ns_msgb_opt_find(const struct ns_msgb *b, uint16_t tid)
{
    for (int i = 0; i < b->nopt; i++)
        if (b->opt[i].tid == tid)
            return i;
    return -1;
}

int ns_msgb_opt(struct ns_msgb *b, uint16_t tid, uint16_t scope_count,
                const struct ns_field_spec *f, uint16_t n, const uint8_t *rec, struct ns_error *err)
{
    int idx = ns_msgb_opt_find(b, tid);
    if (idx < 0 && (idx = ns_msgb_opt_register(b, tid, scope_count, f, n, err)) < 0)
        return idx;
    return ns_msgb_opt_add(b, idx, rec, err);
}

int ns_msgb_opt_add(struct ns_msgb *b, int idx, const uint8_t *rec, struct ns_error *err)
{
    if (idx < 0 || idx >= b->nopt)
        return ns_error_set(err, NS_EINVAL, "no options template %d", idx);
    return ns_msgb_raw_add(b, idx, rec, b->opt[idx].rec_len, 0, err);
}

int ns_msgb_raw_options(const struct ns_msgb *b, int idx)
{
    return idx >= 0 && idx < b->nopt && b->opt[idx].scope_count > 0;
}
