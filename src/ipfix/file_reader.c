#include <stdio.h>
#include <stdlib.h>

#include "ipfix/be.h"
#include "ipfix/file.h"
#include "ipfix/zio.h"

struct ns_ipfix_reader {
    struct ns_zin *in;
    struct ns_ipfix_dec dec;
    uint64_t msg_off;  /* stream offset of the current message */
    uint64_t next_off; /* stream offset of the next message */
    int failed;
    struct ns_error ferr;
    char path[200];
    uint8_t msg[NS_MSG_MAX];
};

int ns_ipfix_reader_open(struct ns_ipfix_reader **out, const char *path, struct ns_error *err)
{
    *out = NULL;
    struct ns_ipfix_reader *r = calloc(1, sizeof *r);
    if (!r)
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    snprintf(r->path, sizeof r->path, "%s", path[0] == '-' && !path[1] ? "(stdin)" : path);
    int rc = ns_ipfix_dec_init(&r->dec, 0, NS_IPFIX_READER_MAX_TEMPLATES, err);
    if (rc == NS_OK)
        rc = ns_zin_open(&r->in, path, err);
    if (rc < 0) {
        ns_ipfix_dec_fini(&r->dec);
        free(r);
        return rc;
    }
    *out = r;
    return NS_OK;
}

static int fail(struct ns_ipfix_reader *r, int rc, struct ns_error *err)
{
    r->failed = rc;
    if (err)
        r->ferr = *err;
    return rc;
}

/* The header of the message at `at` (got octets of it): 0 end of input,
 * 1 ok with *len, <0 error. */
static int check_header(struct ns_ipfix_reader *r, const uint8_t *at, size_t got, uint16_t *len,
                        struct ns_error *err)
{
    if (got == 0) {
        if (ns_zin_truncated(r->in))
            return ns_error_set(err, NS_ETRUNC,
                                "%s: zstd stream ends inside a frame after %llu octets "
                                "(writer killed?); all complete messages were read",
                                r->path, (unsigned long long)r->msg_off);
        return 0;
    }
    if (got < NS_MSG_HDR_LEN)
        return ns_error_set(err, NS_ETRUNC,
                            "%s: truncated IPFIX message header at offset %llu (%zu of 16 octets)",
                            r->path, (unsigned long long)r->msg_off, got);
    uint16_t version = ns_be16(at);
    *len = ns_be16(at + 2);
    if (version != NS_IPFIX_VERSION || *len < NS_MSG_HDR_LEN)
        return ns_error_set(err, NS_EFORMAT,
                            "%s: no IPFIX message at offset %llu (version %u, length %u)", r->path,
                            (unsigned long long)r->msg_off, version, *len);
    return 1;
}

/* Read the next whole message: 1 ok, 0 clean end, <0 error.  A plain file's
 * message is decoded where it lies in the input buffer (ns_zin_peek); a
 * zstd stream's is decompressed into r->msg. */
static int load(struct ns_ipfix_reader *r, struct ns_error *err)
{
    size_t got;
    uint16_t len = 0;
    const uint8_t *msg = r->msg;
    int plain = !ns_zin_is_zstd(r->in);
    int rc = plain ? ns_zin_peek(r->in, NS_MSG_HDR_LEN, &msg, &got, err)
                   : ns_zin_read(r->in, r->msg, NS_MSG_HDR_LEN, &got, err);
    if (rc < 0)
        return rc;
    r->msg_off = r->next_off;
    rc = check_header(r, msg, got, &len, err);
    if (rc <= 0)
        return rc;
    if (plain) {
        rc = ns_zin_peek(r->in, len, &msg, &got, err);
        if (rc == NS_OK)
            ns_zin_consume(r->in, got);
    } else {
        rc = ns_zin_read(r->in, r->msg + NS_MSG_HDR_LEN, len - NS_MSG_HDR_LEN, &got, err);
        got += NS_MSG_HDR_LEN;
    }
    if (rc < 0)
        return rc;
    if (got < len)
        return ns_error_set(err, NS_ETRUNC,
                            "%s: truncated IPFIX message at offset %llu (%zu of %u octets)",
                            r->path, (unsigned long long)r->msg_off, got, len);
    r->next_off = r->msg_off + len;
    rc = ns_ipfix_dec_message(&r->dec, msg, len, err);
    return rc < 0 ? rc : 1;
}

int ns_ipfix_reader_next(struct ns_ipfix_reader *r, struct ns_record *out, struct ns_error *err)
{
    if (r->failed) {
        if (err)
            *err = r->ferr;
        return r->failed;
    }
    for (;;) {
        int rc = ns_ipfix_dec_next(&r->dec, out, err);
        if (rc > 0)
            return 1;
        if (rc < 0) {
            ns_error_prefix(err, "%s: message at offset %llu: ", r->path,
                            (unsigned long long)r->msg_off);
            return fail(r, rc, err);
        }
        rc = load(r, err);
        if (rc == 0)
            return 0;
        if (rc < 0)
            return fail(r, rc, err);
    }
}

const struct ns_ipfix_stats *ns_ipfix_reader_stats(const struct ns_ipfix_reader *r)
{
    return &r->dec.st;
}

const struct ns_msg_hdr *ns_ipfix_reader_header(const struct ns_ipfix_reader *r)
{
    return ns_ipfix_dec_header(&r->dec);
}

uint64_t ns_ipfix_reader_msg_offset(const struct ns_ipfix_reader *r)
{
    return r->msg_off;
}

void ns_ipfix_reader_on_options(struct ns_ipfix_reader *r, ns_ipfix_opt_fn fn, void *ctx)
{
    r->dec.on_opt = fn;
    r->dec.opt_ctx = ctx;
}

void ns_ipfix_reader_close(struct ns_ipfix_reader *r)
{
    if (!r)
        return;
    ns_zin_close(r->in);
    ns_ipfix_dec_fini(&r->dec);
    free(r);
}
