#include "traj/input.h"

#include <stdlib.h>
#include <string.h>

#include "ipfix/be.h"
#include "ipfix/msg.h"
#include "ipfix/ntp.h"
#include "ipfix/zio.h"

/* What a template says about where a report's fields are.  Offsets are
 * field indices; the record is walked field by field (variable-length
 * fields move everything after them). */
struct rtmpl {
    uint32_t domain;
    uint16_t tid;
    uint8_t options;
    uint16_t nfields;
    uint16_t *len; /* per field, NS_VARLEN for variable */
    int f_digest, f_time, f_seq;
    int time_kind; /* 325 ns, 324 us, 323 ms, 322 s, 156/155/152 */
};

struct reader {
    struct rtmpl *t;
    size_t n, cap;
};

#define MAX_TEMPLATES 4096

static struct rtmpl *find(struct reader *r, uint32_t domain, uint16_t tid)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->t[i].domain == domain && r->t[i].tid == tid)
            return &r->t[i];
    return NULL;
}

/* Finest time first: the rank of an IE as an observation time, 0 if none. */
static int time_rank(uint16_t id)
{
    switch (id) {
    case 325:
        return 7;
    case 324:
        return 6;
    case 323:
        return 5;
    case 322:
        return 4;
    case 156:
        return 3;
    case 155:
        return 2;
    case 152:
        return 1;
    default:
        return 0;
    }
}

static int define(struct reader *r, uint32_t domain, const struct ns_tmpl_rec *tr,
                  const struct ns_field_spec *f, struct ns_error *err)
{
    struct rtmpl *t = find(r, domain, tr->tid);
    if (!t) {
        if (r->n == MAX_TEMPLATES)
            return ns_error_set(err, NS_EFULL, "more than %d templates", MAX_TEMPLATES);
        if (r->n == r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 16;
            struct rtmpl *v = realloc(r->t, cap * sizeof *v);
            if (!v)
                return ns_error_set(err, NS_ENOMEM, "out of memory for templates");
            r->t = v;
            r->cap = cap;
        }
        t = &r->t[r->n++];
        memset(t, 0, sizeof *t);
    }
    free(t->len);
    t->domain = domain;
    t->tid = tr->tid;
    t->options = tr->options;
    t->nfields = tr->nfields;
    t->len = malloc((tr->nfields ? tr->nfields : 1) * sizeof *t->len);
    if (!t->len)
        return ns_error_set(err, NS_ENOMEM, "out of memory for templates");
    t->f_digest = t->f_time = t->f_seq = -1;
    int best = 0;
    for (uint16_t i = 0; i < tr->nfields; i++) {
        t->len[i] = f[i].len;
        if (f[i].pen)
            continue;
        if (f[i].id == 326 && f[i].len != NS_VARLEN && f[i].len <= 8)
            t->f_digest = i;
        if (f[i].id == 319 && f[i].len != NS_VARLEN && f[i].len <= 8)
            t->f_seq = i; /* the last one: the selector nearest the report */
        int rank = time_rank(f[i].id);
        /* NTP-format times are 8 octets; milli/seconds may be reduced-size. */
        int ntp = rank == 7 || rank == 6 || rank == 3 || rank == 2;
        int len_ok = f[i].len != NS_VARLEN && (ntp ? f[i].len == 8 : f[i].len <= 8);
        if (rank > best && len_ok) {
            best = rank;
            t->f_time = i;
            t->time_kind = f[i].id;
        }
    }
    return NS_OK;
}

static uint64_t to_ns(int kind, uint64_t v)
{
    switch (kind) {
    case 325:
    case 156:
        return ns_ntp_to_ns(v);
    case 324:
    case 155:
        return ns_ntp_us_to_ns(v);
    case 323:
    case 152:
        return v * 1000000ull;
    case 322:
        return v * 1000000000ull;
    default:
        return 0;
    }
}

/* One data set of template t: every record. */
static int data_set(const struct rtmpl *t, const struct ns_set *s, struct ns_traj_point *p,
                    struct ns_traj_read_stats *st, struct ns_error *err)
{
    size_t off = 0;
    for (;;) {
        size_t start = off;
        uint64_t digest = 0, time = 0, seq = 0;
        int complete = 1;
        for (uint16_t i = 0; i < t->nfields; i++) {
            size_t flen = t->len[i];
            if (flen == NS_VARLEN) {
                size_t n;
                size_t hl = ns_varlen_get(s->body + off, s->len - off, &n);
                if (!hl) {
                    complete = 0;
                    break;
                }
                off += hl;
                flen = n;
            }
            if (flen > (size_t)s->len - off) {
                complete = 0;
                break;
            }
            const uint8_t *v = s->body + off;
            if (i == t->f_digest)
                digest = ns_beN(v, flen);
            else if (i == t->f_seq)
                seq = ns_beN(v, flen);
            else if (i == t->f_time)
                time = to_ns(t->time_kind, ns_beN(v, flen));
            off += flen;
        }
        /* The rest of the set is padding when no further whole record fits
         * (RFC 7011 §3.3.1); a record that starts but does not end is an
         * error only if its first field could not even be read. */
        if (!complete || off == start) {
            if (start == 0 && t->nfields)
                return ns_error_set(err, NS_EFORMAT,
                                    "data set of template %u at offset %zu holds no whole record",
                                    t->tid, s->offset);
            return NS_OK;
        }
        if (t->options) {
            st->options_records++;
        } else if (t->f_digest < 0 || t->f_time < 0) {
            st->other_records++;
        } else {
            int rc = ns_traj_point_add(p, &(struct ns_traj_obs){digest, time, seq}, err);
            if (rc < 0)
                return rc;
            st->reports++;
            st->numbered += seq != 0;
        }
        if (off >= s->len)
            return NS_OK;
    }
}

static int message(struct reader *r, const uint8_t *msg, size_t len, long domain,
                   struct ns_traj_point *p, struct ns_traj_read_stats *st, struct ns_error *err)
{
    struct ns_msg_hdr h;
    struct ns_set_iter it;
    int rc = ns_msg_parse(msg, len, &h, &it, err);
    if (rc < 0)
        return rc;
    st->messages++;
    struct ns_set s;
    static const size_t cap = 1024;
    struct ns_field_spec *f = malloc(cap * sizeof *f);
    if (!f)
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    while ((rc = ns_set_next(&it, &s, err)) > 0) {
        if (s.id == 2 || s.id == 3) {
            struct ns_tmpl_iter ti;
            struct ns_tmpl_rec tr;
            ns_tmpl_iter_init(&ti, &s);
            int trc;
            while ((trc = ns_tmpl_next(&ti, &tr, f, cap, err)) != 0) {
                if (trc == NS_EFULL)
                    continue;
                if (trc < 0) {
                    rc = trc;
                    goto done;
                }
                if (tr.withdraw)
                    continue; /* a file keeps what it had: reports before stay valid */
                if ((rc = define(r, h.obs_domain, &tr, f, err)) < 0)
                    goto done;
            }
        } else if (s.id >= 256) {
            const struct rtmpl *t = find(r, h.obs_domain, s.id);
            if (!t) {
                st->unknown_sets++;
                continue;
            }
            if (domain >= 0 && (uint32_t)domain != h.obs_domain) {
                if (!t->options && t->f_digest >= 0)
                    st->other_domains++;
                continue;
            }
            if ((rc = data_set(t, &s, p, st, err)) < 0)
                goto done;
        }
    }
done:
    free(f);
    return rc;
}

int ns_traj_read_file(const char *path, long domain, struct ns_traj_point *p,
                      struct ns_traj_read_stats *st, struct ns_error *err)
{
    memset(st, 0, sizeof *st);
    struct ns_zin *in;
    int rc = ns_zin_open(&in, path, err);
    if (rc < 0)
        return rc;
    struct reader r = {0};
    uint8_t *msg = malloc(NS_MSG_MAX);
    if (!msg) {
        ns_zin_close(in);
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    }
    uint64_t off = 0;
    for (;;) {
        size_t got;
        if ((rc = ns_zin_read(in, msg, NS_MSG_HDR_LEN, &got, err)) < 0)
            break;
        if (got == 0) {
            rc = ns_zin_truncated(in)
                     ? ns_error_set(err, NS_ETRUNC, "%s: zstd stream ends inside a frame", path)
                     : NS_OK;
            break;
        }
        uint16_t len = got >= 4 ? ns_be16(msg + 2) : 0;
        if (got < NS_MSG_HDR_LEN || ns_be16(msg) != 10 || len < NS_MSG_HDR_LEN) {
            rc = ns_error_set(err, got < NS_MSG_HDR_LEN ? NS_ETRUNC : NS_EFORMAT,
                              "%s: no IPFIX message at offset %llu", path, (unsigned long long)off);
            break;
        }
        if ((rc = ns_zin_read(in, msg + NS_MSG_HDR_LEN, len - NS_MSG_HDR_LEN, &got, err)) < 0)
            break;
        if (got < (size_t)len - NS_MSG_HDR_LEN) {
            rc = ns_error_set(err, NS_ETRUNC, "%s: message at offset %llu cut short", path,
                              (unsigned long long)off);
            break;
        }
        if ((rc = message(&r, msg, len, domain, p, st, err)) < 0) {
            ns_error_prefix(err, "%s: message at offset %llu: ", path, (unsigned long long)off);
            break;
        }
        off += len;
    }
    for (size_t i = 0; i < r.n; i++)
        free(r.t[i].len);
    free(r.t);
    free(msg);
    ns_zin_close(in);
    return rc < 0 ? rc : NS_OK;
}
