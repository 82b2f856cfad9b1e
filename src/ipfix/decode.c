#include "ipfix/decode.h"

#include <string.h>

#include "ipfix/flowrec.h"

int ns_ipfix_dec_init(struct ns_ipfix_dec *d, uint32_t session, size_t max_templates,
                      struct ns_error *err)
{
    memset(d, 0, sizeof *d);
    d->session = session;
    int rc = ns_tmpl_store_new(&d->store, max_templates, ns_flowrec_resolve, NULL, err);
    if (rc == NS_OK)
        ns_tmpl_store_set_prepare(d->store, ns_flowrec_prog_size, ns_flowrec_prepare);
    return rc;
}

void ns_ipfix_dec_fini(struct ns_ipfix_dec *d)
{
    ns_tmpl_store_free(d->store);
    d->store = NULL;
}

int ns_ipfix_dec_message(struct ns_ipfix_dec *d, const uint8_t *msg, size_t len,
                         struct ns_error *err)
{
    d->in_msg = d->in_set = 0;
    int rc = ns_msg_parse(msg, len, &d->hdr, &d->sets, err);
    if (rc < 0)
        return rc;
    d->in_msg = 1;
    d->st.messages++;
    return NS_OK;
}

size_t ns_ipfix_dec_take_set(struct ns_ipfix_dec *d)
{
    if (!d->in_set || !d->offered || !d->t || !d->t->fixed || d->pos != 0)
        return 0;
    /* the same count as the record loop of ns_ipfix_dec_next: a fixed
     * record is always whole once min_len octets are left */
    size_t n = d->set.len / d->t->min_len;
    d->st.records += n;
    d->in_set = 0;
    d->offered = 0;
    return n;
}

void ns_ipfix_dec_set_now(struct ns_ipfix_dec *d, uint64_t now)
{
    d->now = now;
    ns_tmpl_store_set_now(d->store, now);
}

const struct ns_msg_hdr *ns_ipfix_dec_header(const struct ns_ipfix_dec *d)
{
    return &d->hdr;
}

static int apply_templates(struct ns_ipfix_dec *d, const struct ns_set *s, struct ns_error *err)
{
    struct ns_tmpl_scope sc = {d->session, d->hdr.obs_domain};
    struct ns_tmpl_iter it;
    memset(d->tcache, 0, sizeof d->tcache); /* templates may be replaced or freed */
    struct ns_tmpl_rec tr;
    int rc;
    ns_tmpl_iter_init(&it, s);
    while ((rc = ns_tmpl_next(&it, &tr, d->fields, NS_TMPL_MAX_FIELDS, err)) > 0) {
        if (tr.withdraw) {
            ns_tmpl_store_withdraw(d->store, &sc, tr.tid);
            d->st.withdrawals++;
            continue;
        }
        const struct ns_tmpl *t;
        rc = ns_tmpl_store_add(d->store, &sc, tr.tid, tr.scope_count, d->fields, tr.nfields, &t,
                               err);
        if (rc < 0)
            return rc;
        d->st.templates++;
        if (!t->options) /* options records are not mapped onto flow records */
            d->st.unknown_ies += t->unknown;
    }
    return rc;
}

/* A PSAMP packet report (RFC 5476 §6.4): selectionSequenceId and no
 * packet or octet counter.  Its addresses and ports would otherwise map
 * onto an empty flow record; a stream mixing reports and sampled flows
 * (probe --mp) must give back only the flows.  Walked and counted as
 * skipped, like options records.  A flow record that names its selection
 * sequence keeps its counters and stays a flow. */
static int is_packet_report(const struct ns_tmpl *t)
{
    if (t->present & NS_RG_COUNT)
        return 0;
    for (uint16_t i = 0; i < t->nfields; i++)
        if (t->fields[i].pen == 0 && t->fields[i].id == 301)
            return 1;
    return 0;
}

int ns_ipfix_dec_next(struct ns_ipfix_dec *d, struct ns_record *out, struct ns_error *err)
{
    while (d->in_msg) {
        if (d->in_set && d->t) { /* in_set is only set with a template */
            size_t left = d->set.len - d->pos;
            /* §3.3.1: what is left below one record is padding. */
            if (left > 0 && left >= d->t->min_len && d->t_raw) {
                const uint8_t *p = d->set.body + d->pos;
                size_t used = d->t->min_len;
                if (!d->t->fixed) { /* walk the lengths (RFC 7011 §7), every one checked */
                    used = 0;
                    for (uint16_t i = 0; i < d->t->nfields; i++) {
                        size_t len = d->t->fields[i].len, h = 0;
                        if (len == NS_VARLEN &&
                            (!(h = ns_varlen_get(p + used, left - used, &len)) ||
                             len > left - used - h)) {
                            d->in_msg = d->in_set = 0;
                            return ns_error_set(err, NS_EFORMAT,
                                                "set at message offset %zu: variable-length "
                                                "field overruns the set",
                                                d->set.offset);
                        }
                        if (len + h > left - used) {
                            d->in_msg = d->in_set = 0;
                            return ns_error_set(err, NS_EFORMAT,
                                                "set at message offset %zu: truncated record",
                                                d->set.offset);
                        }
                        used += h + len;
                    }
                }
                d->raw = p;
                d->raw_len = used;
                d->pos += used;
                d->st.raw_records++;
                return 2;
            }
            if (left > 0 && left >= d->t->min_len) {
                size_t used;
                int rc = ns_flowrec_decode(d->t, d->set.body + d->pos, left, d->hdr.export_time,
                                           out, &used, err);
                if (rc < 0) {
                    d->in_msg = d->in_set = 0;
                    return ns_error_prefix(err, "set at message offset %zu: ", d->set.offset);
                }
                d->pos += used;
                if (d->t->options || d->t_psamp) {
                    /* walked (validated) and counted, not delivered */
                    d->st.skipped_records++;
                    if (d->on_opt)
                        d->on_opt(d->opt_ctx, d->t, d->set.body + d->pos - used, used,
                                  d->hdr.obs_domain);
                    continue;
                }
                d->st.records++;
                return 1;
            }
            d->in_set = 0;
        }
        int rc = ns_set_next(&d->sets, &d->set, err);
        if (rc <= 0) {
            d->in_msg = 0;
            return rc;
        }
        if (d->set.id == NS_SET_TEMPLATE || d->set.id == NS_SET_OPTIONS_TEMPLATE) {
            rc = apply_templates(d, &d->set, err);
            if (rc < 0) {
                d->in_msg = 0;
                return rc;
            }
            continue;
        }
        d->t = NULL;
        if (d->set.id >= NS_SET_DATA_MIN) {
            size_t c = d->set.id % (sizeof d->tcache / sizeof d->tcache[0]);
            const struct ns_tmpl *ct = d->tcache[c].t;
            if (ct && ct->tid == d->set.id && d->tcache[c].obs_domain == d->hdr.obs_domain) {
                d->t = ct;
            } else {
                d->t = ns_tmpl_store_get(
                    d->store, &(struct ns_tmpl_scope){d->session, d->hdr.obs_domain}, d->set.id);
                if (d->t) {
                    d->tcache[c].t = d->t;
                    d->tcache[c].obs_domain = d->hdr.obs_domain;
                }
            }
        }
        if (d->t && d->tmpl_lifetime && d->now - d->t->stamp > d->tmpl_lifetime) {
            d->t = NULL;
            d->st.expired_sets++;
        }
        if (!d->t) {
            d->st.skipped_sets++;
            continue;
        }
        d->in_set = 1;
        d->pos = 0;
        if (!d->t->raw_mark) /* store memory, writable: see tmpl.h raw_mark */
            ((struct ns_tmpl *)d->t)->raw_mark = d->raw_want && d->raw_want(d->t) ? 2 : 1;
        d->t_raw = d->t->raw_mark == 2;
        d->t_psamp = !d->t->options && is_packet_report(d->t);
        d->offered = 0;
        if (d->whole_sets && !d->t_raw && !d->t_psamp && !d->t->options && d->t->fixed &&
            d->set.len >= d->t->min_len) {
            d->offered = 1;
            return 3;
        }
    }
    return 0;
}
