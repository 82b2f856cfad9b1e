#include "collect/session.h"

#include "report/reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LATE_WINDOW 65536u /* UDP: a datagram this far behind is late, not a restart */
/* A forward jump this large is no outage (2^28 records: over two minutes
 * at 2 M records/s) but a restart with a new number (or garbage). */
#define MAX_GAP (1u << 28)

void ns_coll_limits_default(struct ns_coll_limits *l)
{
    memset(l, 0, sizeof *l);
    l->max_templates = 256;
    l->max_fields = 16384;
    l->max_domains = 16;
    l->tmpl_lifetime_ns = 1800ull * 1000000000u;
}

/* Records the collector stores as they came instead of as flows: PSAMP
 * reports and their interpretation, and the statistics options records of
 * metering and exporting processes (scope meteringProcessId 143 or
 * exportingProcessId 144: RFC 7011 §4.1-§4.3, and netsift's flow selection
 * counters), so that `netsift read --check` can verify an exporter's
 * conservation identities on the collector's files. */
static int keep_whole(const struct ns_tmpl *t)
{
    int k = ns_psamp_template_kind(t);
    if (k)
        return k;
    if (t->options && t->scope_count && t->fields[0].pen == 0 &&
        (t->fields[0].id == 143 || t->fields[0].id == 144))
        return 1;
    return 0;
}

int ns_coll_session_init(struct ns_coll_session *s, uint32_t id, int datagram,
                         const struct ns_coll_limits *l, struct ns_error *err)
{
    memset(s, 0, sizeof *s);
    s->id = id;
    s->datagram = datagram;
    s->lim = *l;
    if (!s->lim.max_templates)
        s->lim.max_templates = 256;
    if (!s->lim.max_fields)
        s->lim.max_fields = 16384;
    if (!s->lim.max_domains)
        s->lim.max_domains = 16;
    s->dom = calloc(s->lim.max_domains, sizeof *s->dom);
    if (!s->dom)
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    int rc = ns_ipfix_dec_init(&s->dec, id, s->lim.max_templates, err);
    s->dec.raw_want = keep_whole; /* PSAMP and process statistics pass whole */
    if (rc < 0) {
        free(s->dom);
        s->dom = NULL;
        return rc;
    }
    ns_tmpl_store_set_max_fields(s->dec.store, s->lim.max_fields);
    s->dec.tmpl_lifetime = datagram ? s->lim.tmpl_lifetime_ns : 0;
    return NS_OK;
}

void ns_coll_session_fini(struct ns_coll_session *s)
{
    ns_ipfix_dec_fini(&s->dec);
    free(s->dom);
    s->dom = NULL;
}

size_t ns_coll_session_templates(const struct ns_coll_session *s)
{
    return s->dec.store ? ns_tmpl_store_count(s->dec.store) : 0;
}

static __attribute__((format(printf, 3, 4))) void
logf_(const struct ns_coll_handler *h, struct ns_coll_session *s, const char *fmt, ...)
{
    if (!h->log)
        return;
    char buf[600];
    va_list ap;
    va_start(ap, fmt);
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is just above
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    h->log(h->ctx, s, buf);
}

static struct ns_coll_domain *domain(struct ns_coll_session *s, uint32_t id)
{
    for (size_t i = 0; i < s->ndom; i++)
        if (s->dom[i].id == id)
            return &s->dom[i];
    if (s->ndom == s->lim.max_domains)
        return NULL;
    struct ns_coll_domain *d = &s->dom[s->ndom++];
    memset(d, 0, sizeof *d);
    d->id = id;
    return d;
}

enum { MODE_UNKNOWN, MODE_RFC, MODE_INCLUSIVE };

/* RFC 7011 §3.1: a message's sequence number counts the data records sent
 * before it.  n: data records of this message (countable: all decoded). */
static void check_seq(struct ns_coll_session *s, struct ns_coll_domain *d, uint32_t seq, uint32_t n,
                      int countable, const struct ns_coll_handler *h)
{
    if (!d->valid)
        return;
    uint32_t rfc = d->prev_seq + d->prev_n, incl = d->prev_seq + n;
    if (d->mode == MODE_UNKNOWN && countable && rfc != incl) {
        if (seq == incl) {
            d->mode = MODE_INCLUSIVE;
            logf_(h, s,
                  "domain %u: sequence numbers count their own message's records too (not RFC "
                  "7011 §3.1); checked that way",
                  d->id);
        } else if (seq == rfc) {
            d->mode = MODE_RFC;
        }
    }
    if (d->mode == MODE_INCLUSIVE && !countable)
        return;
    uint32_t expect = d->mode == MODE_INCLUSIVE ? incl : rfc;
    if (seq == expect)
        return;
    uint32_t ahead = seq - expect;
    if (ahead < MAX_GAP) {
        s->st.lost_records += ahead;
        s->st.gaps++;
        logf_(h, s,
              "domain %u: sequence gap: expected %u, got %u: %u records lost "
              "(%llu so far)",
              d->id, expect, seq, ahead, (unsigned long long)s->st.lost_records);
        return;
    }
    uint32_t behind = expect - seq;
    if (s->datagram && behind <= LATE_WINDOW) {
        s->st.late++;
        return;
    }
    s->st.resets++;
    logf_(h, s, "domain %u: sequence number went back from %u to %u: exporter restarted", d->id,
          expect, seq);
}

int ns_coll_session_message(struct ns_coll_session *s, const uint8_t *msg, size_t len, uint64_t now,
                            const struct ns_coll_handler *h, struct ns_error *err)
{
    struct ns_msg_hdr hdr;
    struct ns_set_iter it;
    int rc = ns_msg_parse(msg, len, &hdr, &it, err);
    if (rc < 0) {
        s->st.malformed++;
        logf_(h, s, "malformed message dropped: %s", err ? err->msg : "");
        return rc;
    }
    s->st.messages++;
    s->st.octets += hdr.length;
    struct ns_coll_domain *d = domain(s, hdr.obs_domain);
    if (!d) {
        s->st.domain_refused++;
        return ns_error_set(err, NS_EFULL, "observation domain %u: over the limit of %zu domains",
                            hdr.obs_domain, s->lim.max_domains);
    }

    struct ns_ipfix_stats before = s->dec.st;
    ns_ipfix_dec_set_now(&s->dec, now);
    s->dec.whole_sets = h->set != NULL;
    rc = ns_ipfix_dec_message(&s->dec, msg, len, err);
    int n = 0;
    struct ns_record r;
    while (rc >= 0 && (rc = ns_ipfix_dec_next(&s->dec, &r, err)) > 0) {
        int hr;
        if (rc == 3) { /* a whole data set: the store may copy it as it is */
            const struct ns_tmpl *t = s->dec.t;
            size_t nrec = s->dec.set.len / t->min_len;
            hr = h->set ? h->set(h->ctx, s, d, t, s->dec.set.body, nrec, err) : 0;
            if (hr < 0)
                return hr;
            if (hr > 0) {
                size_t k = ns_ipfix_dec_take_set(&s->dec);
                s->st.copied += k;
                n += (int)k;
            }
            continue;
        }
        if (rc == 2) { /* PSAMP, kept whole */
            hr = h->raw ? h->raw(h->ctx, s, d, s->dec.t, s->dec.raw, s->dec.raw_len, err) : NS_OK;
            if (hr < 0)
                return hr;
            continue;
        }
        hr = h->record ? h->record(h->ctx, s, d, &r, err) : NS_OK;
        if (hr < 0)
            return hr;
        n++;
    }
    const struct ns_ipfix_stats *a = &s->dec.st;
    uint64_t data = (a->records - before.records) + (a->skipped_records - before.skipped_records) +
                    (a->raw_records - before.raw_records);
    s->st.psamp_records += a->raw_records - before.raw_records;
    s->st.records += a->records - before.records;
    s->st.options_records += a->skipped_records - before.skipped_records;
    s->st.templates += a->templates - before.templates;
    s->st.withdrawals += a->withdrawals - before.withdrawals;
    s->st.unknown_sets += a->skipped_sets - before.skipped_sets;
    s->st.expired_sets += a->expired_sets - before.expired_sets;
    if (rc < 0) {
        if (rc == NS_EFULL)
            s->st.tmpl_refused++;
        else
            s->st.malformed++;
        logf_(h, s, "domain %u: rest of message dropped: %s", d->id, err ? err->msg : "");
        check_seq(s, d, hdr.seq, 0, 0, h);
        d->valid = 0;
        return rc == NS_EFULL ? NS_EFORMAT : rc;
    }
    /* the next number is known only when every data set was decodable */
    int countable = a->skipped_sets == before.skipped_sets;
    check_seq(s, d, hdr.seq, (uint32_t)data, countable, h);
    d->valid = countable;
    d->prev_seq = hdr.seq;
    d->prev_n = (uint32_t)data;
    return n;
}
