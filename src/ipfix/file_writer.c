#include <stdlib.h>

#include "ipfix/file.h"
#include "ipfix/msgbuild.h"
#include "ipfix/zio.h"

/* A file is the message builder's stream (msgbuild.h) written to a zio
 * output one whole message at a time. */
struct ns_ipfix_writer {
    struct ns_zout *out;
    struct ns_msgb *b;
    int failed; /* sticky error code */
    struct ns_error ferr;
};

static int emit(void *ctx, uint8_t *msg, size_t len, uint32_t nrec, uint32_t nflow,
                struct ns_error *err)
{
    struct ns_ipfix_writer *w = ctx;
    return ns_zout_write(w->out, msg, len, err);
}

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
    struct ns_msgb_opts bo = {.obs_domain = o->obs_domain, .max_msg = o->max_msg};
    int rc = ns_msgb_new(&w->b, &bo, emit, w, err);
    if (rc == NS_OK)
        rc = ns_zout_open(&w->out, path, o->zstd, o->zstd_level ? o->zstd_level : 3, err);
    if (rc < 0) {
        ns_msgb_free(w->b);
        free(w);
        return rc;
    }
    if ((rc = ns_msgb_typeinfo(w->b, err)) < 0) {
        ns_ipfix_writer_close(w, NULL);
        return rc;
    }
    *out = w;
    return NS_OK;
}

static int sticky(struct ns_ipfix_writer *w, int rc, struct ns_error *err)
{
    if (rc < 0 && !w->failed) {
        w->failed = rc;
        if (err)
            w->ferr = *err;
    }
    return rc;
}

int ns_ipfix_writer_flush(struct ns_ipfix_writer *w, struct ns_error *err)
{
    if (w->failed) {
        if (err)
            *err = w->ferr;
        return w->failed;
    }
    return sticky(w, ns_msgb_flush(w->b, err), err);
}

int ns_ipfix_writer_add(struct ns_ipfix_writer *w, const struct ns_record *r, struct ns_error *err)
{
    if (w->failed) {
        if (err)
            *err = w->ferr;
        return w->failed;
    }
    int rc = ns_msgb_add(w->b, r, err);
    /* an unencodable record is the caller's error; a failed write is sticky */
    return rc == NS_EIO ? sticky(w, rc, err) : rc;
}

int ns_ipfix_writer_register(struct ns_ipfix_writer *w, uint16_t tid, uint16_t scope_count,
                             const struct ns_field_spec *f, uint16_t n, struct ns_error *err)
{
    return ns_msgb_raw_register(w->b, tid, scope_count, f, n, err);
}

int ns_ipfix_writer_add_raw(struct ns_ipfix_writer *w, int idx, const uint8_t *rec, size_t len,
                            uint32_t time_s, struct ns_error *err)
{
    if (w->failed) {
        if (err)
            *err = w->ferr;
        return w->failed;
    }
    int rc = ns_msgb_raw_add(w->b, idx, rec, len, time_s, err);
    return rc == NS_EIO ? sticky(w, rc, err) : rc;
}

int ns_ipfix_writer_opt(struct ns_ipfix_writer *w, uint16_t tid, uint16_t scope_count,
                        const struct ns_field_spec *f, uint16_t n, const uint8_t *rec,
                        struct ns_error *err)
{
    if (w->failed) {
        if (err)
            *err = w->ferr;
        return w->failed;
    }
    int rc = ns_msgb_opt(w->b, tid, scope_count, f, n, rec, err);
    return rc == NS_EIO ? sticky(w, rc, err) : rc;
}

int ns_ipfix_writer_close(struct ns_ipfix_writer *w, struct ns_error *err)
{
    if (!w)
        return NS_OK;
    int rc = ns_ipfix_writer_flush(w, err);
    int rc2 = ns_zout_close(w->out, rc < 0 ? NULL : err);
    ns_msgb_free(w->b);
    free(w);
    return rc < 0 ? rc : rc2;
}
