/*
 * reader.c — PSAMP packet reports and interpretation records back from
 * IPFIX (see reader.h).
 */
#include "report/reader.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ipfix/be.h"
#include "ipfix/msg.h"
#include "ipfix/ns_ie.h"
#include "ipfix/ntp.h"
#include "ipfix/tmpl.h"
#include "ipfix/zio.h"

#define MAX_TEMPLATES 1024

struct ns_psamp_reader {
    struct ns_zin *in;
    struct ns_tmpl_store *store;
    struct ns_msg_hdr hdr;
    struct ns_set_iter sets;
    struct ns_set set;
    const struct ns_tmpl *t;
    enum ns_psamp_kind tkind; /* of t; 0: skip its records */
    size_t pos;
    int in_set, in_msg;
    struct ns_psamp_reader_stats st;
    struct ns_field_spec fields[NS_TMPL_MAX_FIELDS];
    uint8_t msg[NS_MSG_MAX];
};

/* Nothing is compiled into a plan (reader.h): every field is "skip". */
static struct ns_tmpl_action resolve_none(void *ctx, const struct ns_field_spec *f)
{
    (void)ctx;
    (void)f;
    return (struct ns_tmpl_action){0};
}

int ns_psamp_reader_open(struct ns_psamp_reader **out, const char *path, struct ns_error *err)
{
    *out = NULL;
    struct ns_psamp_reader *r = calloc(1, sizeof *r);
    if (!r)
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    int rc = ns_tmpl_store_new(&r->store, MAX_TEMPLATES, resolve_none, NULL, err);
    if (rc == NS_OK)
        rc = ns_zin_open(&r->in, path, err);
    if (rc < 0) {
        ns_tmpl_store_free(r->store);
        free(r);
        return rc;
    }
    *out = r;
    return NS_OK;
}

int ns_psamp_reader_new(struct ns_psamp_reader **out, struct ns_error *err)
{
    *out = NULL;
    struct ns_psamp_reader *r = calloc(1, sizeof *r);
    if (!r)
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    int rc = ns_tmpl_store_new(&r->store, MAX_TEMPLATES, resolve_none, NULL, err);
    if (rc < 0) {
        free(r);
        return rc;
    }
    *out = r;
    return NS_OK;
}

int ns_psamp_reader_message(struct ns_psamp_reader *r, const uint8_t *msg, size_t len,
                            struct ns_error *err)
{
    r->in_msg = r->in_set = 0;
    if (len > sizeof r->msg)
        return ns_error_set(err, NS_EFORMAT, "message of %zu octets", len);
    memcpy(r->msg, msg, len);
    int rc = ns_msg_parse(r->msg, len, &r->hdr, &r->sets, err);
    if (rc < 0)
        return rc;
    r->st.messages++;
    r->in_msg = 1;
    return NS_OK;
}

void ns_psamp_reader_close(struct ns_psamp_reader *r)
{
    if (!r)
        return;
    ns_zin_close(r->in);
    ns_tmpl_store_free(r->store);
    free(r);
}

void ns_psamp_reader_stats(const struct ns_psamp_reader *r, struct ns_psamp_reader_stats *st)
{
    *st = r->st;
}

static int has_field(const struct ns_tmpl *t, uint16_t id)
{
    for (uint16_t i = 0; i < t->nfields; i++)
        if (t->fields[i].pen == 0 && t->fields[i].id == id)
            return 1;
    return 0;
}

int ns_psamp_template_kind(const struct ns_tmpl *t)
{
    if (!t->options)
        return has_field(t, 301) || has_field(t, 313) || has_field(t, 315) || has_field(t, 326)
                   ? NS_PSAMP_REPORT
                   : 0;
    const struct ns_field_spec *s = &t->fields[0]; /* the first scope field */
    if (s->pen == 0 && s->id == 301)
        return has_field(t, 318) ? NS_PSAMP_STATS : NS_PSAMP_SEQ;
    if (s->pen == 0 && s->id == 302)
        return NS_PSAMP_SELECTOR;
    return 0;
}

/* Read the next whole message: 1, 0 at a clean end, <0. */
static int load(struct ns_psamp_reader *r, struct ns_error *err)
{
    size_t got;
    int rc = ns_zin_read(r->in, r->msg, NS_MSG_HDR_LEN, &got, err);
    if (rc < 0)
        return rc;
    if (got == 0)
        return 0;
    if (got < NS_MSG_HDR_LEN)
        return ns_error_set(err, NS_ETRUNC, "truncated IPFIX message header");
    uint16_t len = ns_be16(r->msg + 2);
    if (ns_be16(r->msg) != NS_IPFIX_VERSION || len < NS_MSG_HDR_LEN)
        return ns_error_set(err, NS_EFORMAT, "not an IPFIX message (version %u, length %u)",
                            ns_be16(r->msg), len);
    rc = ns_zin_read(r->in, r->msg + NS_MSG_HDR_LEN, len - NS_MSG_HDR_LEN, &got, err);
    if (rc < 0)
        return rc;
    if (got < (size_t)len - NS_MSG_HDR_LEN)
        return ns_error_set(err, NS_ETRUNC, "truncated IPFIX message");
    rc = ns_msg_parse(r->msg, len, &r->hdr, &r->sets, err);
    if (rc < 0)
        return rc;
    r->st.messages++;
    r->in_msg = 1;
    r->in_set = 0;
    return 1;
}

static int apply_templates(struct ns_psamp_reader *r, struct ns_error *err)
{
    struct ns_tmpl_scope sc = {0, r->hdr.obs_domain};
    struct ns_tmpl_iter it;
    struct ns_tmpl_rec tr;
    int rc;
    ns_tmpl_iter_init(&it, &r->set);
    while ((rc = ns_tmpl_next(&it, &tr, r->fields, NS_TMPL_MAX_FIELDS, err)) > 0) {
        if (tr.withdraw) {
            ns_tmpl_store_withdraw(r->store, &sc, tr.tid);
            continue;
        }
        rc = ns_tmpl_store_add(r->store, &sc, tr.tid, tr.scope_count, r->fields, tr.nfields, NULL,
                               err);
        if (rc < 0)
            return rc;
    }
    return rc;
}

static uint64_t uint_of(const uint8_t *q, size_t len)
{
    return len >= 1 && len <= 8 ? ns_beN(q, len) : 0;
}

/* One field of a record into the item (sel: the current selector slot). */
static void field(struct ns_psamp_item *it, const struct ns_field_spec *f, const uint8_t *q,
                  size_t len, int *sel)
{
    if (f->pen == NS_PEN && f->id == NS_IE_REPORTS_DROPPED) { /* mp/mp.h */
        it->dropped = uint_of(q, len);
        it->has |= NS_PH_DROPPED;
        return;
    }
    if (f->pen != 0)
        return;
    uint64_t v = uint_of(q, len);
    switch (f->id) {
    case 301:
        it->ssid = v;
        it->has |= NS_PH_SSID;
        break;
    case 302: /* selectorId: opens a selector slot after the first scope */
        if (it->kind == NS_PSAMP_SELECTOR && !(it->has & NS_PH_SELID)) {
            it->selector_id = v;
            it->has |= NS_PH_SELID;
            break;
        }
        if (it->nsel < NS_SEL_MAX_CHAIN) {
            *sel = (int)it->nsel++;
            it->sel_id[*sel] = v;
        }
        it->selector_id = v;
        it->has |= NS_PH_SELID;
        break;
    case 318:
        if (*sel < 0 && it->nsel < NS_SEL_MAX_CHAIN) /* no selectorId before it */
            *sel = (int)it->nsel++;
        if (*sel >= 0)
            it->observed[*sel] = v;
        it->has |= NS_PH_SEQ;
        break;
    case 319:
        if (*sel < 0 && it->nsel < NS_SEL_MAX_CHAIN)
            *sel = (int)it->nsel++;
        if (*sel >= 0)
            it->selected[*sel] = v;
        it->has |= NS_PH_SELECTED;
        break;
    case 322:
        it->time_ns = v * 1000000000u;
        it->has |= NS_PH_TIME;
        break;
    case 323:
        it->time_ns = v * 1000000u;
        it->has |= NS_PH_TIME;
        break;
    case 324:
        if (len == 8) {
            it->time_ns = ns_ntp_us_to_ns(v);
            it->has |= NS_PH_TIME;
        }
        break;
    case 325:
        if (len == 8) {
            it->time_ns = ns_ntp_to_ns(v);
            it->has |= NS_PH_TIME;
        }
        break;
    case 326:
        it->digest = v;
        it->has |= NS_PH_DIGEST;
        break;
    case 8:
    case 12:
        if (len == 4) {
            memcpy(f->id == 8 ? it->src : it->dst, q, 4);
            it->ip_version = 4;
            it->has |= NS_PH_ADDR;
        }
        break;
    case 27:
    case 28:
        if (len == 16) {
            memcpy(f->id == 27 ? it->src : it->dst, q, 16);
            it->ip_version = 6;
            it->has |= NS_PH_ADDR;
        }
        break;
    case 7:
        it->sport = (uint16_t)v;
        it->has |= NS_PH_PORTS;
        break;
    case 11:
        it->dport = (uint16_t)v;
        it->has |= NS_PH_PORTS;
        break;
    case 4:
        it->proto = (uint8_t)v;
        it->has |= NS_PH_PROTO;
        break;
    case 224:
    case 190:
        it->ip_len = (uint32_t)v;
        it->has |= NS_PH_IPLEN;
        break;
    case 192:
        it->ttl = (uint8_t)v;
        it->has |= NS_PH_TTL;
        break;
    case 54:
        it->ipid = (uint32_t)v;
        it->has |= NS_PH_IPID;
        break;
    case 5:
        it->tos = (uint8_t)v;
        it->has |= NS_PH_TOS;
        break;
    case 6:
        it->tcpflags = (uint16_t)v;
        it->has |= NS_PH_TCPFLAGS;
        break;
    case 312:
        it->frame_size = (uint16_t)v;
        it->has |= NS_PH_FRAMESIZE;
        break;
    case 10:
        it->iface = (uint32_t)v;
        it->has |= NS_PH_IFACE;
        break;
    case 409:
        it->sect_offset = (uint16_t)v;
        break;
    case 410:
        it->sect_exported = (uint16_t)v;
        break;
    case 313:
    case 315:
        it->sect = q;
        it->sect_len = (uint32_t)len;
        it->sect_l2 = f->id == 315;
        it->has |= NS_PH_SECTION;
        break;
    case 304:
        it->algorithm = (uint16_t)v;
        it->has |= NS_PH_ALG;
        break;
    case 305:
        it->pkt_interval = (uint32_t)v;
        it->has |= NS_PH_COUNT;
        break;
    case 306:
        it->pkt_space = (uint32_t)v;
        it->has |= NS_PH_COUNT;
        break;
    case 307:
        it->time_interval = (uint32_t)v;
        it->has |= NS_PH_TIMESAMP;
        break;
    case 308:
        it->time_space = (uint32_t)v;
        it->has |= NS_PH_TIMESAMP;
        break;
    case 309:
        it->size = (uint32_t)v;
        it->has |= NS_PH_NOFN;
        break;
    case 310:
        it->population = (uint32_t)v;
        it->has |= NS_PH_NOFN;
        break;
    case 311:
        if (len == 8) {
            memcpy(&it->prob, &v, 8);
            it->has |= NS_PH_PROB;
        }
        break;
    case 327:
        it->hash_offset = v;
        it->has |= NS_PH_HASH;
        break;
    case 328:
        it->hash_size = v;
        it->has |= NS_PH_HASH;
        break;
    case 329:
        it->out_min = v;
        break;
    case 330:
        it->out_max = v;
        break;
    case 331:
        if (it->nranges < NS_PSAMP_MAX_RANGES)
            it->range_min[it->nranges] = v;
        it->has |= NS_PH_HASH;
        break;
    case 332:
        if (it->nranges < NS_PSAMP_MAX_RANGES)
            it->range_max[it->nranges++] = v;
        break;
    case 333:
        it->digest_output = (uint8_t)v;
        break;
    case 334:
        it->hash_init = v;
        it->has |= NS_PH_HASH;
        break;
    case 335: {
        size_t n = len < sizeof it->name - 1 ? len : sizeof it->name - 1;
        memcpy(it->name, q, n);
        it->name[n] = 0;
        it->has |= NS_PH_NAME;
        break;
    }
    default:
        break;
    }
}

/* Decode one record of template t at p (avail octets); *used its length. */
static int decode(const struct ns_tmpl *t, enum ns_psamp_kind kind, uint32_t domain,
                  const uint8_t *p, size_t avail, struct ns_psamp_item *it, size_t *used,
                  struct ns_error *err)
{
    memset(it, 0, sizeof *it);
    it->kind = kind;
    it->obs_domain = domain;
    it->tid = t->tid;
    int sel = -1;
    size_t pos = 0;
    for (uint16_t i = 0; i < t->nfields; i++) {
        const struct ns_field_spec *f = &t->fields[i];
        size_t len = f->len;
        if (len == NS_VARLEN) {
            size_t h = ns_varlen_get(p + pos, avail - pos, &len);
            if (!h || len > avail - pos - h)
                return ns_error_set(err, NS_EFORMAT,
                                    "template %u: variable-length field overruns the set", t->tid);
            pos += h;
        } else if (len > avail - pos) {
            return ns_error_set(err, NS_EFORMAT, "template %u: truncated record", t->tid);
        }
        field(it, f, p + pos, len, &sel);
        pos += len;
    }
    *used = pos;
    return NS_OK;
}

int ns_psamp_reader_next(struct ns_psamp_reader *r, struct ns_psamp_item *it, struct ns_error *err)
{
    for (;;) {
        if (!r->in_msg) {
            if (!r->in)
                return 0; /* fed message by message: this one is done */
            int rc = load(r, err);
            if (rc <= 0)
                return rc;
        }
        if (r->in_set && r->t) { /* in_set is only set with a template */
            size_t left = r->set.len - r->pos;
            if (left > 0 && left >= r->t->min_len) {
                size_t used = 0;
                int rc = decode(r->t, r->tkind, r->hdr.obs_domain, r->set.body + r->pos, left, it,
                                &used, err);
                if (rc < 0) {
                    r->in_msg = r->in_set = 0;
                    return rc;
                }
                r->pos += used;
                if (!r->tkind) {
                    /* flow records; options records (type records,
                     * exporter names) are not worth a mention */
                    if (!r->t->options)
                        r->st.skipped_records++;
                    continue;
                }
                if (r->tkind == NS_PSAMP_REPORT)
                    r->st.reports++;
                else
                    r->st.options++;
                return 1;
            }
            r->in_set = 0;
        }
        int rc = ns_set_next(&r->sets, &r->set, err);
        if (rc <= 0) {
            r->in_msg = 0;
            if (rc < 0)
                return rc;
            continue;
        }
        if (r->set.id == NS_SET_TEMPLATE || r->set.id == NS_SET_OPTIONS_TEMPLATE) {
            if ((rc = apply_templates(r, err)) < 0) {
                r->in_msg = 0;
                return rc;
            }
            continue;
        }
        r->t = r->set.id >= NS_SET_DATA_MIN
                   ? ns_tmpl_store_get(r->store, &(struct ns_tmpl_scope){0, r->hdr.obs_domain},
                                       r->set.id)
                   : NULL;
        if (!r->t) {
            r->st.skipped_sets++;
            continue;
        }
        r->tkind = (enum ns_psamp_kind)ns_psamp_template_kind(r->t);
        r->in_set = 1;
        r->pos = 0;
    }
}

/* ---- estimation ---- */

void ns_psamp_est_init(struct ns_psamp_est *e)
{
    memset(e, 0, sizeof *e);
}

static struct ns_psamp_seq_est *seq_of(struct ns_psamp_est *e, uint32_t dom, uint64_t ssid,
                                       int sequenced)
{
    for (size_t i = 0; i < e->n; i++)
        if (e->s[i].obs_domain == dom && e->s[i].ssid == ssid && e->s[i].sequenced == sequenced)
            return &e->s[i];
    if (e->n == NS_PSAMP_EST_MAX)
        return NULL;
    struct ns_psamp_seq_est *s = &e->s[e->n++];
    memset(s, 0, sizeof *s);
    s->obs_domain = dom;
    s->ssid = ssid;
    s->sequenced = sequenced;
    return s;
}

void ns_psamp_est_add(struct ns_psamp_est *e, const struct ns_psamp_item *it)
{
    if (it->kind == NS_PSAMP_STATS && it->nsel > 0) {
        struct ns_psamp_seq_est *s = seq_of(e, it->obs_domain, it->ssid, 1);
        if (s) { /* totals: the last record wins (counters only grow) */
            s->has_stats = 1;
            s->stat_observed = it->observed[0];
            s->stat_selected = it->selected[it->nsel - 1];
            s->has_dropped = (it->has & NS_PH_DROPPED) != 0;
            s->stat_dropped = it->dropped;
        }
        return;
    }
    if (it->kind != NS_PSAMP_REPORT)
        return;
    int sequenced = (it->has & NS_PH_SEQ) && it->nsel > 0;
    /* unsequenced reports are pooled per domain (reader.h: softflowd) */
    struct ns_psamp_seq_est *s = seq_of(e, it->obs_domain, sequenced ? it->ssid : 0, sequenced);
    if (!s) {
        e->overflow++;
        return;
    }
    double x = (it->has & NS_PH_IPLEN)       ? it->ip_len
               : (it->has & NS_PH_FRAMESIZE) ? it->frame_size
               : (it->sect_exported)         ? it->sect_exported
                                             : it->sect_len;
    uint64_t seq = sequenced ? it->observed[0] : 0;
    if (s->n == 0 || seq < s->s_first)
        s->s_first = seq;
    if (s->n == 0 || seq > s->s_last)
        s->s_last = seq;
    s->n++;
    s->bytes += x;
    s->bytes_sq += x * x;
}

void ns_psamp_est_finish(struct ns_psamp_est *e)
{
    for (size_t i = 0; i < e->n; i++) {
        struct ns_psamp_seq_est *s = &e->s[i];
        s->R = 0;
        if (s->sequenced && s->n >= 2 && s->s_last > s->s_first)
            s->R = (double)(s->n - 1) / (double)(s->s_last - s->s_first); /* RFC 5474 §5.3 */
        if (s->R > 1)
            s->R = 1;
        if (s->R > 0) {
            /* Horvitz–Thompson at the attained rate, independent-sampling
             * variance: Var = (1-R)/R² Σx² */
            s->packets = (double)s->n / s->R;
            s->packets_se = sqrt((1 - s->R) * (double)s->n) / s->R;
            s->octets = s->bytes / s->R;
            s->octets_se = sqrt((1 - s->R) * s->bytes_sq) / s->R;
        } else {
            s->packets = (double)s->n;
            s->octets = s->bytes;
            s->packets_se = s->octets_se = 0;
        }
    }
}
