#include "ipfix/msg.h"

#include <string.h>

#include "ipfix/be.h"

int ns_msg_enc_begin(struct ns_msg_enc *e, uint8_t *buf, size_t cap, uint32_t obs_domain,
                     uint32_t seq, struct ns_error *err)
{
    if (cap > NS_MSG_MAX)
        cap = NS_MSG_MAX;
    if (!buf || cap < NS_MSG_HDR_LEN + NS_SET_HDR_LEN)
        return ns_error_set(err, NS_EINVAL, "IPFIX message buffer of %zu octets is too small", cap);
    e->buf = buf;
    e->cap = cap;
    e->len = NS_MSG_HDR_LEN;
    e->set_off = 0;
    e->set_id = 0;
    ns_put16(buf, NS_IPFIX_VERSION);
    ns_put16(buf + 2, 0);
    ns_put32(buf + 4, 0);
    ns_put32(buf + 8, seq);
    ns_put32(buf + 12, obs_domain);
    return NS_OK;
}

size_t ns_msg_enc_room(const struct ns_msg_enc *e)
{
    return e->cap - e->len;
}

int ns_msg_enc_set_open(struct ns_msg_enc *e, uint16_t set_id, size_t need)
{
    ns_msg_enc_set_close(e);
    if (ns_msg_enc_room(e) < NS_SET_HDR_LEN + need)
        return NS_EFULL;
    e->set_off = e->len;
    e->set_id = set_id;
    ns_put16(e->buf + e->len, set_id);
    ns_put16(e->buf + e->len + 2, 0);
    e->len += NS_SET_HDR_LEN;
    return NS_OK;
}

void ns_msg_enc_set_close(struct ns_msg_enc *e)
{
    if (!e->set_off)
        return;
    size_t n = e->len - e->set_off;
    if (n == NS_SET_HDR_LEN)
        e->len = e->set_off; /* empty set: drop it */
    else
        ns_put16(e->buf + e->set_off + 2, (uint16_t)n);
    e->set_off = 0;
    e->set_id = 0;
}

static size_t spec_len(const struct ns_field_spec *f)
{
    return f->pen ? 8 : 4;
}

int ns_msg_enc_template(struct ns_msg_enc *e, uint16_t tid, const struct ns_field_spec *f,
                        uint16_t n, uint16_t scope_count)
{
    uint16_t want = scope_count ? NS_SET_OPTIONS_TEMPLATE : NS_SET_TEMPLATE;
    if (!e->set_off || e->set_id != want || tid < NS_SET_DATA_MIN || n == 0 || scope_count > n)
        return NS_EINVAL;
    size_t need = scope_count ? 6 : 4;
    for (uint16_t i = 0; i < n; i++)
        need += spec_len(&f[i]);
    if (ns_msg_enc_room(e) < need)
        return NS_EFULL;
    uint8_t *p = e->buf + e->len;
    ns_put16(p, tid);
    ns_put16(p + 2, n);
    p += 4;
    if (scope_count) {
        ns_put16(p, scope_count);
        p += 2;
    }
    for (uint16_t i = 0; i < n; i++) {
        ns_put16(p, (uint16_t)(f[i].id | (f[i].pen ? NS_FIELD_ENTERPRISE : 0)));
        ns_put16(p + 2, f[i].len);
        p += 4;
        if (f[i].pen) {
            ns_put32(p, f[i].pen);
            p += 4;
        }
    }
    e->len += need;
    return NS_OK;
}

int ns_msg_enc_withdraw(struct ns_msg_enc *e, uint16_t tid)
{
    if (!e->set_off || (e->set_id != NS_SET_TEMPLATE && e->set_id != NS_SET_OPTIONS_TEMPLATE))
        return NS_EINVAL;
    if (ns_msg_enc_room(e) < 4)
        return NS_EFULL;
    ns_put16(e->buf + e->len, tid);
    ns_put16(e->buf + e->len + 2, 0);
    e->len += 4;
    return NS_OK;
}

uint8_t *ns_msg_enc_reserve(struct ns_msg_enc *e, size_t n)
{
    if (!e->set_off || ns_msg_enc_room(e) < n)
        return NULL;
    uint8_t *p = e->buf + e->len;
    e->len += n;
    return p;
}

size_t ns_msg_enc_finish(struct ns_msg_enc *e, uint32_t export_time)
{
    ns_msg_enc_set_close(e);
    ns_put16(e->buf + 2, (uint16_t)e->len);
    ns_put32(e->buf + 4, export_time);
    return e->len;
}

size_t ns_varlen_put(uint8_t *dst, size_t cap, const void *src, size_t n)
{
    size_t h = n < 255 ? 1 : 3;
    if (n > 0xFFFF || cap < h + n)
        return 0;
    if (h == 1) {
        dst[0] = (uint8_t)n;
    } else {
        dst[0] = 255;
        ns_put16(dst + 1, (uint16_t)n);
    }
    if (n)
        memcpy(dst + h, src, n);
    return h + n;
}

size_t ns_varlen_get(const uint8_t *p, size_t avail, size_t *n)
{
    if (avail < 1)
        return 0;
    if (p[0] < 255) {
        *n = p[0];
        return 1;
    }
    if (avail < 3)
        return 0;
    *n = ns_be16(p + 1);
    return 3;
}

/* ---- decoding ---- */

int ns_msg_parse(const uint8_t *buf, size_t len, struct ns_msg_hdr *h, struct ns_set_iter *it,
                 struct ns_error *err)
{
    if (len < NS_MSG_HDR_LEN)
        return ns_error_set(err, NS_ETRUNC, "IPFIX message header truncated (%zu of 16 octets)",
                            len);
    h->version = ns_be16(buf);
    h->length = ns_be16(buf + 2);
    h->export_time = ns_be32(buf + 4);
    h->seq = ns_be32(buf + 8);
    h->obs_domain = ns_be32(buf + 12);
    if (h->version != NS_IPFIX_VERSION)
        return ns_error_set(err, NS_EFORMAT, "not an IPFIX message: version %u (want 10)",
                            h->version);
    if (h->length < NS_MSG_HDR_LEN)
        return ns_error_set(err, NS_EFORMAT, "IPFIX message length %u < 16", h->length);
    if (h->length > len)
        return ns_error_set(err, NS_ETRUNC,
                            "IPFIX message length %u exceeds the %zu octets available", h->length,
                            len);
    it->msg = buf;
    it->len = h->length;
    it->off = NS_MSG_HDR_LEN;
    return NS_OK;
}

int ns_set_next(struct ns_set_iter *it, struct ns_set *s, struct ns_error *err)
{
    size_t left = it->len - it->off;
    if (left == 0)
        return 0;
    if (left < NS_SET_HDR_LEN)
        return ns_error_set(err, NS_EFORMAT,
                            "%zu stray octets at message offset %zu (set header "
                            "needs 4)",
                            left, it->off);
    const uint8_t *p = it->msg + it->off;
    uint16_t id = ns_be16(p), slen = ns_be16(p + 2);
    if (slen < NS_SET_HDR_LEN || slen > left)
        return ns_error_set(err, NS_EFORMAT,
                            "set at message offset %zu: length %u outside [4, %zu]", it->off, slen,
                            left);
    /* §3.3.2: set ids 0 and 1 are not used (NetFlow v9 values). */
    if (id < 2)
        return ns_error_set(err, NS_EFORMAT, "set at message offset %zu: invalid set id %u",
                            it->off, id);
    s->id = id;
    s->len = (uint16_t)(slen - NS_SET_HDR_LEN);
    s->body = p + NS_SET_HDR_LEN;
    s->offset = it->off;
    it->off += slen;
    return 1;
}

void ns_tmpl_iter_init(struct ns_tmpl_iter *it, const struct ns_set *s)
{
    it->set = s;
    it->off = 0;
}

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

int ns_tmpl_next(struct ns_tmpl_iter *it, struct ns_tmpl_rec *t, struct ns_field_spec *f,
                 size_t cap, struct ns_error *err)
{
    const struct ns_set *s = it->set;
    int options = s->id == NS_SET_OPTIONS_TEMPLATE;
    size_t left = s->len - it->off;
    const uint8_t *p = s->body + it->off;
    size_t at = s->offset + NS_SET_HDR_LEN + it->off; /* message offset, for messages */

    /* §3.3.1: padding is shorter than the smallest record (4 octets);
     * accept longer all-zero tails too, which no valid record can be
     * (template id 0 is never valid). */
    if (left < 4 || all_zero(p, left)) {
        it->off = s->len;
        return 0;
    }
    memset(t, 0, sizeof *t);
    t->tid = ns_be16(p);
    t->nfields = ns_be16(p + 2);
    t->options = (uint8_t)options;
    if (t->nfields == 0) {
        /* §8.1 withdrawal: tid ≥ 256, or the set id itself = all templates
         * of that kind.  Options withdrawals carry no scope count. */
        if (t->tid < NS_SET_DATA_MIN && t->tid != s->id)
            return ns_error_set(err, NS_EFORMAT,
                                "template withdrawal at message offset %zu: invalid id %u", at,
                                t->tid);
        t->withdraw = 1;
        it->off += 4;
        return 1;
    }
    if (t->tid < NS_SET_DATA_MIN)
        return ns_error_set(err, NS_EFORMAT, "template at message offset %zu: id %u < 256", at,
                            t->tid);
    size_t hl = 4;
    if (options) {
        if (left < 6)
            return ns_error_set(err, NS_EFORMAT,
                                "options template %u at message offset %zu: truncated header",
                                t->tid, at);
        t->scope_count = ns_be16(p + 4);
        /* §3.4.2.2: the scope field count MUST NOT be zero. */
        if (t->scope_count == 0 || t->scope_count > t->nfields)
            return ns_error_set(err, NS_EFORMAT,
                                "options template %u at message offset %zu: scope count %u not "
                                "in [1, %u]",
                                t->tid, at, t->scope_count, t->nfields);
        hl = 6;
    }
    /* Cheap bound before walking: each specifier is at least 4 octets. */
    if ((size_t)t->nfields * 4 > left - hl)
        return ns_error_set(err, NS_EFORMAT,
                            "template %u at message offset %zu: %u fields cannot fit in the %zu "
                            "octets left in the set",
                            t->tid, at, t->nfields, left - hl);
    size_t off = hl;
    for (uint16_t i = 0; i < t->nfields; i++) {
        if (left - off < 4)
            return ns_error_set(err, NS_EFORMAT, "template %u: field %u truncated", t->tid, i);
        uint16_t id = ns_be16(p + off), flen = ns_be16(p + off + 2);
        uint32_t pen = 0;
        off += 4;
        if (id & NS_FIELD_ENTERPRISE) {
            if (left - off < 4)
                return ns_error_set(err, NS_EFORMAT,
                                    "template %u: field %u enterprise number truncated", t->tid, i);
            pen = ns_be32(p + off);
            off += 4;
        }
        if (i < cap) {
            f[i].pen = pen;
            f[i].id = id & 0x7FFF;
            f[i].len = flen;
        }
    }
    it->off += off;
    if (t->nfields > cap)
        return ns_error_set(err, NS_EFULL, "template %u has %u fields (limit %zu)", t->tid,
                            t->nfields, cap);
    return 1;
}
