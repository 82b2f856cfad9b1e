#include "export/export.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipfix/be.h"
#include "export/sctp.h"
#include "ipfix/msgbuild.h"

#define TICK_NS 1000000u /* timers and transports run at most once a millisecond */

struct dest {
    struct ns_exporter *x;
    struct ns_endpoint ep;
    const struct ns_xport_ops *ops;
    struct ns_xport *t;
    struct ns_msgb *b;
    int v6;
    int stats_idx;
    uint32_t process_id;
    uint64_t open_since;   /* when the first record entered the open message */
    uint64_t last_refresh; /* UDP template refresh */
    uint32_t msgs_since_refresh;
    int refresh_due;
    uint64_t rate_dropped, refreshes, stats_records;
};

struct ns_exporter {
    struct ns_export_config c;
    size_t n;
    struct dest d[NS_EXPORT_MAX_DESTS];
    double tokens, burst;
    uint64_t tok_time, last_tick, next_stats;
};

static uint64_t mono_clock(void *ctx)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t now_of(const struct ns_exporter *x)
{
    return x->c.clock(x->c.clock_ctx);
}

void ns_export_config_default(struct ns_export_config *c)
{
    memset(c, 0, sizeof *c);
    c->mtu = 1500;
    c->refresh_ns = 60ull * 1000000000u;
    c->refresh_msgs = 1000;
    c->delay_ns = 1000000000u;
    c->stats_ns = 60ull * 1000000000u;
    c->linger_ns = 5ull * 1000000000u;
    c->xport.buffer = 4u << 20;
    c->xport.backoff_min_ns = 250000000u;
    c->xport.backoff_max_ns = 30ull * 1000000000u;
    c->xport.send_timeout_ns = 2000000000u;
    c->xport.sctp_ttl_ms = NS_SCTP_TTL_MS;
}

/* A finished message: stamp the export time (RFC 7011 §3.1: when the
 * message leaves the exporter) and hand it to the transport. */
static int emit(void *ctx, uint8_t *msg, size_t len, uint32_t nrec, uint32_t nflow,
                struct ns_error *err)
{
    struct dest *d = ctx;
    ns_msgb_put_export_time(msg, (uint32_t)time(NULL));
    if (d->ops->send(d->t, msg, len, nrec, nflow) == NS_EFULL)
        ns_msgb_forget(d->b); /* the message may have held a template */
    if (d->ops->datagram && d->x->c.refresh_msgs && ++d->msgs_since_refresh >= d->x->c.refresh_msgs)
        d->refresh_due = 1;
    return NS_OK;
}

static int add_stats(struct dest *d, struct ns_error *err)
{
    /* RFC 7011 §4.3 Exporting Process Reliability Statistics */
    uint8_t rec[16 + 4 + 5 * 8] = {0}, *p = rec;
    struct sockaddr_storage ss;
    int have = d->ops->local(d->t, &ss);
    if (d->v6) {
        if (have && ss.ss_family == AF_INET6)
            memcpy(p, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
        p += 16;
    } else {
        if (have && ss.ss_family == AF_INET)
            memcpy(p, &((struct sockaddr_in *)&ss)->sin_addr, 4);
        p += 4;
    }
    const struct ns_xport_counts *c = d->ops->counts(d->t);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ns_put32(p, d->process_id);
    ns_put64(p + 4, c->messages);
    ns_put64(p + 12, c->flows);
    ns_put64(p + 20, c->octets);
    ns_put64(p + 28, c->dropped_flows + d->rate_dropped);
    ns_put64(p + 36, (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
    int rc = ns_msgb_opt_add(d->b, d->stats_idx, rec, err);
    if (rc == NS_OK)
        d->stats_records++;
    return rc;
}

static int new_session(struct dest *d, struct ns_error *err)
{
    /* templates and type records go before anything queued (RFC 7011 §8) */
    int rc = ns_msgb_flush(d->b, err);
    d->ops->set_front(d->t, 1);
    ns_msgb_forget(d->b);
    if (rc == NS_OK)
        rc = ns_msgb_typeinfo(d->b, err);
    if (rc == NS_OK)
        rc = ns_msgb_templates(d->b, err);
    d->ops->set_front(d->t, 0);
    d->refreshes++;
    return rc;
}

static int tick(struct ns_exporter *x, uint64_t now, struct ns_error *err)
{
    x->last_tick = now;
    int rc = NS_OK;
    int stats = x->c.stats_ns && now >= x->next_stats;
    if (stats)
        x->next_stats = now + x->c.stats_ns;
    for (size_t i = 0; i < x->n && rc == NS_OK; i++) {
        struct dest *d = &x->d[i];
        if (d->ops->poll(d->t, now))
            rc = new_session(d, err);
        if (rc == NS_OK && d->ops->datagram &&
            (d->refresh_due || (x->c.refresh_ns && now - d->last_refresh >= x->c.refresh_ns))) {
            /* RFC 7011 §8.4: UDP templates are resent periodically */
            d->refresh_due = 0;
            d->msgs_since_refresh = 0;
            d->last_refresh = now;
            d->refreshes++;
            rc = ns_msgb_typeinfo(d->b, err);
            if (rc == NS_OK)
                rc = ns_msgb_templates(d->b, err);
        }
        if (rc == NS_OK && stats) {
            rc = add_stats(d, err);
            if (rc == NS_OK)
                rc = ns_msgb_flush(d->b, err);
        }
        if (rc == NS_OK && ns_msgb_pending(d->b) && x->c.delay_ns &&
            now - d->open_since >= x->c.delay_ns)
            rc = ns_msgb_flush(d->b, err);
    }
    return rc;
}

int ns_exporter_new(struct ns_exporter **out, const struct ns_export_config *c,
                    struct ns_error *err)
{
    *out = NULL;
    if (c->ndests == 0 || c->ndests > NS_EXPORT_MAX_DESTS)
        return ns_error_set(err, NS_EINVAL, "%zu export destinations (1..%d)", c->ndests,
                            NS_EXPORT_MAX_DESTS);
    unsigned mtu = c->mtu ? c->mtu : 1500;
    if (mtu < 576 || mtu > 65535)
        return ns_error_set(err, NS_EINVAL, "MTU %u outside [576, 65535]", mtu);
    if (c->rate < 0)
        return ns_error_set(err, NS_EINVAL, "negative export rate");
    struct ns_exporter *x = calloc(1, sizeof *x);
    if (!x)
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    x->c = *c;
    if (!x->c.clock)
        x->c.clock = mono_clock;
    uint64_t now = now_of(x);
    x->burst = c->rate / 10 > 1 ? c->rate / 10 : 1;
    x->tokens = x->burst;
    x->tok_time = now;
    x->next_stats = now + c->stats_ns;
    int rc = NS_OK;
    for (size_t i = 0; i < c->ndests && rc == NS_OK; i++) {
        struct dest *d = &x->d[i];
        d->x = x;
        d->last_refresh = now;
        d->process_id = (uint32_t)getpid() * 16u + (uint32_t)i;
        struct sockaddr_storage ss;
        socklen_t sl;
        if ((rc = ns_endpoint_parse(c->dests[i], &d->ep, err)) < 0 ||
            (rc = ns_endpoint_resolve(&d->ep, 0, &ss, &sl, err)) < 0)
            break;
        d->v6 = ss.ss_family == AF_INET6;
        d->ops = ns_xport_for(d->ep.kind);
        struct ns_msgb_opts bo = {.obs_domain = c->obs_domain, .one_per_msg = c->one_per_msg};
        /* RFC 7011 §10.3: a UDP message fits the path MTU (DTLS: with its record) */
        bo.max_msg =
            d->ops->datagram ? mtu - (d->v6 ? 40u : 20u) - 8u - d->ops->overhead : NS_MSG_MAX;
        if (bo.max_msg < NS_MSGB_MIN_MSG) {
            rc = ns_error_set(err, NS_EINVAL,
                              "%s: MTU %u leaves %zu octets for a message (at least %d)", d->ep.url,
                              mtu, bo.max_msg, NS_MSGB_MIN_MSG);
            break;
        }
        if ((rc = ns_msgb_new(&d->b, &bo, emit, d, err)) < 0)
            break;
        const struct ns_field_spec f[] = {
            {0, d->v6 ? 131 : 130, d->v6 ? 16 : 4}, /* exporterIPv{4,6}Address */
            {0, 144, 4},                            /* exportingProcessId */
            {0, 41, 8},                             /* exportedMessageTotalCount */
            {0, 42, 8},                             /* exportedFlowRecordTotalCount */
            {0, 40, 8},                             /* exportedOctetTotalCount */
            {0, 166, 8},                            /* notSentFlowTotalCount */
            {0, 323, 8},                            /* observationTimeMilliseconds */
        };
        if ((rc = d->stats_idx = ns_msgb_opt_register(d->b, NS_EXPORT_STATS_TID, 2, f,
                                                      sizeof f / sizeof f[0], err)) < 0)
            break;
        struct ns_xport_opts xo = c->xport;
        xo.mtu = mtu;
        if ((rc = d->ops->open(&d->t, &d->ep, &xo, err)) < 0)
            break;
        x->n++;
        if (d->ops->datagram) /* TCP: at connection time */
            rc = ns_msgb_typeinfo(d->b, err);
    }
    if (rc < 0) {
        for (size_t i = 0; i < NS_EXPORT_MAX_DESTS; i++) {
            if (x->d[i].t)
                x->d[i].ops->close(x->d[i].t, NULL);
            ns_msgb_free(x->d[i].b);
        }
        free(x);
        return rc;
    }
    tick(x, now, NULL);
    *out = x;
    return NS_OK;
}

size_t ns_exporter_ndests(const struct ns_exporter *x)
{
    return x->n;
}

int ns_exporter_poll(struct ns_exporter *x, struct ns_error *err)
{
    return tick(x, now_of(x), err);
}

/* Token bucket: 1 when the record may go, 0 when it is dropped. */
static int admit(struct ns_exporter *x, uint64_t *now)
{
    for (;;) {
        x->tokens += (double)(*now - x->tok_time) * x->c.rate / 1e9;
        x->tok_time = *now;
        if (x->tokens > x->burst)
            x->tokens = x->burst;
        if (x->tokens >= 1) {
            x->tokens -= 1;
            return 1;
        }
        if (x->c.rate_drop)
            return 0;
        double wait = (1 - x->tokens) / x->c.rate;
        struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
        nanosleep(&ts, NULL);
        *now = now_of(x);
    }
}

int ns_exporter_add(struct ns_exporter *x, const struct ns_record *r, struct ns_error *err)
{
    uint64_t now = now_of(x);
    int rc;
    if (now - x->last_tick >= TICK_NS && (rc = tick(x, now, err)) < 0)
        return rc;
    if (x->c.rate > 0 && !admit(x, &now)) {
        for (size_t i = 0; i < x->n; i++)
            x->d[i].rate_dropped++;
        return NS_OK;
    }
    for (size_t i = 0; i < x->n; i++) {
        struct dest *d = &x->d[i];
        if ((rc = ns_msgb_add(d->b, r, err)) < 0)
            return rc;
        if (ns_msgb_pending(d->b) == 1)
            d->open_since = now;
    }
    return NS_OK;
}

int ns_exporter_register(struct ns_exporter *x, uint16_t tid, uint16_t scope_count,
                         const struct ns_field_spec *f, uint16_t n, struct ns_error *err)
{
    int idx = -1;
    for (size_t i = 0; i < x->n; i++) {
        int k = ns_msgb_raw_register(x->d[i].b, tid, scope_count, f, n, err);
        if (k < 0)
            return k;
        if (idx >= 0 && k != idx) /* every destination registers the same list */
            return ns_error_set(err, NS_EINVAL, "template %u: destinations disagree", tid);
        idx = k;
    }
    return idx;
}

int ns_exporter_add_raw(struct ns_exporter *x, int idx, const uint8_t *rec, size_t len,
                        struct ns_error *err)
{
    uint64_t now = now_of(x);
    int rc;
    if (now - x->last_tick >= TICK_NS && (rc = tick(x, now, err)) < 0)
        return rc;
    if (x->c.rate > 0 && x->n && !ns_msgb_raw_options(x->d[0].b, idx) && !admit(x, &now)) {
        for (size_t i = 0; i < x->n; i++)
            x->d[i].rate_dropped++;
        return NS_OK;
    }
    for (size_t i = 0; i < x->n; i++) {
        struct dest *d = &x->d[i];
        if ((rc = ns_msgb_raw_add(d->b, idx, rec, len, 0, err)) < 0)
            return rc;
        if (ns_msgb_pending(d->b) == 1)
            d->open_since = now;
    }
    return NS_OK;
}

int ns_exporter_sink(void *x, const struct ns_record *r, struct ns_error *err)
{
    return ns_exporter_add(x, r, err);
}

static void last_error(const struct dest *d, struct ns_export_dest_stats *st)
{
    const char *why = d->ops->last_error ? d->ops->last_error(d->t) : NULL;
    snprintf(st->last_error, sizeof st->last_error, "%s", why ? why : "");
}

static void fill_stats(const struct dest *d, struct ns_export_dest_stats *st)
{
    st->url = d->ep.url;
    st->c = *d->ops->counts(d->t);
    st->rate_dropped = d->rate_dropped;
    st->refreshes = d->refreshes;
    st->stats_records = d->stats_records;
    st->templates = ns_msgb_template_count(d->b);
    st->up = d->ops->up(d->t);
    last_error(d, st);
}

void ns_exporter_stats(const struct ns_exporter *x, size_t i, struct ns_export_dest_stats *st)
{
    memset(st, 0, sizeof *st);
    if (i < x->n)
        fill_stats(&x->d[i], st);
}

int ns_exporter_close(struct ns_exporter *x, struct ns_export_dest_stats *st, struct ns_error *err)
{
    if (!x)
        return NS_OK;
    int rc = NS_OK;
    for (size_t i = 0; i < x->n && rc == NS_OK; i++) {
        rc = add_stats(&x->d[i], err);
        if (rc == NS_OK)
            rc = ns_msgb_flush(x->d[i].b, err);
    }
    uint64_t start = now_of(x);
    for (;;) {
        uint64_t now = now_of(x);
        int busy = 0;
        for (size_t i = 0; i < x->n; i++) {
            struct dest *d = &x->d[i];
            if (d->ops->poll(d->t, now) && new_session(d, NULL) < 0)
                continue;
            busy |= !d->ops->idle(d->t);
        }
        if (!busy || now - start >= x->c.linger_ns)
            break;
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    for (size_t i = 0; i < x->n; i++) {
        struct dest *d = &x->d[i];
        struct ns_xport_counts fc;
        if (st)
            last_error(d, &st[i]);
        d->ops->close(d->t, &fc);
        if (st) {
            st[i].url = NULL;
            st[i].c = fc;
            st[i].rate_dropped = d->rate_dropped;
            st[i].refreshes = d->refreshes;
            st[i].stats_records = d->stats_records;
            st[i].templates = ns_msgb_template_count(d->b);
        }
        ns_msgb_free(d->b);
    }
    free(x);
    return rc;
}

int ns_exporter_opt(struct ns_exporter *x, uint16_t tid, uint16_t scope_count,
                    const struct ns_field_spec *f, uint16_t n, const uint8_t *rec,
                    struct ns_error *err)
{
    /* every destination is its own stream: its own template announcement */
    for (size_t i = 0; i < x->n; i++) {
        int rc = ns_msgb_opt(x->d[i].b, tid, scope_count, f, n, rec, err);
        if (rc < 0)
            return rc;
    }
    return NS_OK;
}
