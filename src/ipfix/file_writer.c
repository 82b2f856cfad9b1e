#include <stdlib.h>

#include "ipfix/file.h"
#include "ipfix/flowrec.h"
#include "ipfix/typeinfo.h"
#include "ipfix/zio.h"

struct ns_ipfix_writer {
    struct ns_zout *out;
    struct ns_flowrec_enc *enc;
    struct ns_msg_enc m;
    uint32_t obs_domain;
    size_t max_msg;
    uint32_t seq;         /* data records written before the current message */
    uint32_t nrec;        /* data records in the current message */
    uint32_t export_time; /* newest record end (s) in the current message */
    int open;             /* a message is being built */
    uint16_t data_tid;    /* template of the open data set, 0 when none */
    int failed;           /* sticky error code */
    struct ns_error ferr;
    uint8_t buf[NS_MSG_MAX];
};

int ns_ipfix_writer_open(struct ns_ipfix_writer **out, const char *path,
                         const struct ns_ipfix_writer_opts *o, struct ns_error *err)
{
    static const struct ns_ipfix_writer_opts defaults = {0};
    *out = NULL;
    if (!o)
        o = &defaults;
    if (o->max_msg && o->max_msg < 1024)
        return ns_error_set(err, NS_EINVAL, "IPFIX message size %u < 1024", o->max_msg);
    struct ns_ipfix_writer *w = calloc(1, sizeof *w);
    if (!w)
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    w->obs_domain = o->obs_domain;
    w->max_msg = o->max_msg ? o->max_msg : NS_MSG_MAX;
    int rc = ns_flowrec_enc_new(&w->enc, err);
    if (rc == NS_OK)
        rc = ns_zout_open(&w->out, path, o->zstd, o->zstd_level ? o->zstd_level : 3, err);
    if (rc < 0) {
        ns_flowrec_enc_free(w->enc);
        free(w);
        return rc;
    }
    /* RFC 5610 type records first, in messages of their own, so that any
     * collector can decode netsift's enterprise elements by name and type
     * before it meets a template that uses them (typeinfo.h). */
    int next = 0, total = ns_typeinfo_count();
    while (next < total) {
        rc = ns_msg_enc_begin(&w->m, w->buf, w->max_msg, w->obs_domain, w->seq, err);
        int n = rc < 0 ? rc : ns_typeinfo_encode(&w->m, &next);
        if (n < 0 || (n == 0 && next > 0)) {
            ns_ipfix_writer_close(w, NULL);
            return rc < 0 ? rc : ns_error_set(err, NS_EINVAL, "type records do not fit a message");
        }
        w->open = 1;
        w->nrec = (uint32_t)n; /* options records are data records too (RFC 7011 §3.1) */
        rc = ns_ipfix_writer_flush(w, err);
        if (rc < 0) {
            ns_ipfix_writer_close(w, NULL);
            return rc;
        }
    }
    *out = w;
    return NS_OK;
}

static int fail(struct ns_ipfix_writer *w, int rc, struct ns_error *err)
{
    w->failed = rc;
    if (err)
        w->ferr = *err;
    return rc;
}

int ns_ipfix_writer_flush(struct ns_ipfix_writer *w, struct ns_error *err)
{
    if (w->failed) {
        if (err)
            *err = w->ferr;
        return w->failed;
    }
    if (!w->open)
        return NS_OK;
    size_t n = ns_msg_enc_finish(&w->m, w->export_time);
    w->open = 0;
    w->data_tid = 0;
    int rc = ns_zout_write(w->out, w->buf, n, err);
    if (rc < 0)
        return fail(w, rc, err);
    w->seq += w->nrec; /* RFC 7011 §3.1: mod 2^32 by unsigned wrap */
    w->nrec = 0;
    w->export_time = 0;
    return NS_OK;
}

static int begin(struct ns_ipfix_writer *w, struct ns_error *err)
{
    int rc = ns_msg_enc_begin(&w->m, w->buf, w->max_msg, w->obs_domain, w->seq, err);
    if (rc == NS_OK)
        w->open = 1;
    return rc;
}

/* Make sure `need` more octets fit the message (flushing it if not). */
static int room(struct ns_ipfix_writer *w, size_t need, struct ns_error *err)
{
    if (w->open && ns_msg_enc_room(&w->m) >= need)
        return NS_OK;
    int rc = ns_ipfix_writer_flush(w, err);
    if (rc == NS_OK)
        rc = begin(w, err);
    if (rc == NS_OK && ns_msg_enc_room(&w->m) < need)
        rc = ns_error_set(err, NS_EINVAL, "%zu octets do not fit an IPFIX message of %zu", need,
                          w->max_msg);
    return rc;
}

int ns_ipfix_writer_add(struct ns_ipfix_writer *w, const struct ns_record *r, struct ns_error *err)
{
    if (w->failed) {
        if (err)
            *err = w->ferr;
        return w->failed;
    }
    struct ns_flowrec_tmpl *t;
    int rc = ns_flowrec_enc_template(w->enc, r, &t, err);
    if (rc < 0)
        return rc;
    if (!t->announced) {
        /* Template set + template record + data set header + one record,
         * all in one message so the template precedes its first use. */
        size_t tl = 4;
        for (uint16_t i = 0; i < t->nfields; i++)
            tl += t->fields[i].pen ? 8 : 4;
        rc = room(w, NS_SET_HDR_LEN + tl + NS_SET_HDR_LEN + t->rec_len, err);
        if (rc < 0)
            return rc;
        ns_msg_enc_set_open(&w->m, NS_SET_TEMPLATE, tl);
        ns_msg_enc_template(&w->m, t->tid, t->fields, t->nfields, 0);
        ns_msg_enc_set_close(&w->m);
        w->data_tid = 0;
        t->announced = 1;
    }
    if (w->data_tid != t->tid) {
        rc = room(w, NS_SET_HDR_LEN + t->rec_len, err);
        if (rc < 0)
            return rc;
        ns_msg_enc_set_open(&w->m, t->tid, t->rec_len);
        w->data_tid = t->tid;
    }
    uint8_t *p = ns_msg_enc_reserve(&w->m, t->rec_len);
    if (!p) {
        rc = room(w, NS_SET_HDR_LEN + t->rec_len, err);
        if (rc < 0)
            return rc;
        ns_msg_enc_set_open(&w->m, t->tid, t->rec_len);
        w->data_tid = t->tid;
        p = ns_msg_enc_reserve(&w->m, t->rec_len);
    }
    ns_flowrec_encode(t, r, p);
    w->nrec++;
    uint64_t end_s = ns_record_end_ns(r) / 1000000000u;
    if (end_s > w->export_time)
        w->export_time = end_s > UINT32_MAX ? UINT32_MAX : (uint32_t)end_s;
    return NS_OK;
}

int ns_ipfix_writer_close(struct ns_ipfix_writer *w, struct ns_error *err)
{
    if (!w)
        return NS_OK;
    int rc = ns_ipfix_writer_flush(w, err);
    int rc2 = ns_zout_close(w->out, rc < 0 ? NULL : err);
    ns_flowrec_enc_free(w->enc);
    free(w);
    return rc < 0 ? rc : rc2;
}
