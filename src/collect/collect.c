#include "collect/collect.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "export/endpoint.h"
#include "export/sctp.h"
#include "ipfix/be.h"
#include "ipfix/flowrec.h"
#include "ipfix/msgbuild.h"
#include "ipfix/zio.h"

#define STREAM_MSG    32768 /* message size of the stored streams */
#define TCP_BUF       (NS_MSG_MAX + 1)
#define UDP_BATCH     256 /* datagrams per socket per round, for fairness */
#define UDP_MMSG      32  /* datagrams per recvmmsg() */
#define UDP_DGRAM_MAX (NS_MSG_MAX + 1)
#define EXPORTER_LEN  31
#define HANDSHAKE_NS  10000000000ull /* a TLS/DTLS handshake not done by then failed */

enum { H_LISTEN_UDP, H_LISTEN_TCP, H_LISTEN_DTLS, H_LISTEN_SCTP, H_CONN };

struct handle {
    int type;
    int idx; /* listener index */
    struct sess *s;
};

struct listener {
    struct ns_endpoint ep;
    int fd;
    struct ns_sctp_listener sl; /* SCTP kinds (fd is then its pollable fd) */
    struct ns_sctp_sock_addr bound;
    struct handle h;
    struct ns_tls *tls;            /* tls, dtls */
    SSL *lssl;                     /* dtls: waits for the next ClientHello (DTLSv1_listen) */
    struct sockaddr_storage local; /* dtls: bound address, for the per-peer sockets */
    socklen_t llen;
    uint64_t hs_fail;
};

/* One stored stream: a (session, domain) pair. */
/* PSAMP templates passed through (session.h raw): the exporter's template,
 * and its index among b's raw templates under a template id of the
 * collector's (PASS_TID + k), so it cannot collide with flow templates. */
#define PASS_MAX 24
#define PASS_TID 0xE000u
struct pass {
    uint16_t src_tid, nfields, scope_count;
    int idx;
    struct ns_field_spec f[64];
};

/* Copy-through plans (collect.h) of the exporter templates met in the
 * stream's current builder: the encoder template their records are copied
 * into, or none (ok 0: decoded record by record).  An entry belongs to one
 * definition of the exporter's template (its serial, tmpl.h): a template id
 * redefined with other fields (RFC 7011 §8.1) is planned again. */
#define COPY_MAX 32
struct copy {
    uint16_t src_tid;
    uint64_t serial;
    int ok;
    struct ns_flowrec_copy plan;
};

struct stream {
    uint32_t file_domain;
    uint64_t gen; /* file generation b writes to */
    struct ns_msgb *b;
    struct ns_collector *c;
    size_t npass;
    struct pass pass[PASS_MAX];
    size_t ncopy;
    struct copy copy[COPY_MAX];
    uint8_t copy_at[64]; /* exporter template id mod 64 → copy index + 1 (a hint) */
};

struct sess {
    struct ns_coll_session s;
    int kind; /* NS_TP_UDP / _TCP / _TLS / _DTLS */
    int listener;
    struct sockaddr_storage peer;
    socklen_t plen;
    int fd;      /* TCP, TLS: the connection; DTLS: the per-peer socket; SCTP: the
                  * association's pollable fd (not ours to close) */
    SSL *ssl;    /* TLS, DTLS */
    int pending; /* handshake not done: not a session yet */
    uint64_t hs_deadline;
    struct ns_sctp_conn sc; /* SCTP kinds */
    uint8_t *rbuf;
    size_t rlen;
    uint64_t since, last_seen;
    struct handle h;
    char name[80];
};

struct out {
    struct ns_zout *z;
    char path[PATH_MAX], part[PATH_MAX + 8];
    uint64_t gen;
    int open;
    time_t end;
};

struct ns_collector {
    struct ns_collect_config cfg;
    struct listener l[NS_COLLECT_MAX_LISTEN];
    size_t nl;
    int ep;
    struct sess **sess;
    size_t nsess;
    uint32_t next_id;
    uint32_t next_stream;
    struct out out;
    struct ns_collect_totals tot;
    uint64_t last_flush, last_sweep;
    int stopping, paused;
    uint8_t *dgram; /* UDP_MMSG datagram buffers */
};

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static __attribute__((format(printf, 2, 3))) void logf_(struct ns_collector *c, const char *fmt,
                                                        ...)
{
    if (!c->cfg.log)
        return;
    char buf[800];
    va_list ap;
    va_start(ap, fmt);
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is just above
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    c->cfg.log(c->cfg.log_ctx, buf);
}

void ns_collect_config_default(struct ns_collect_config *c)
{
    memset(c, 0, sizeof *c);
    ns_coll_limits_default(&c->limits);
    c->max_sessions = 256;
    c->udp_idle_ns = 3600ull * 1000000000u;
    c->flush_ns = 1000000000u;
    c->rcvbuf = 8 << 20;
}

/* ---- storage ---- */

static int mkdirs(const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

static int exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0;
}

static int file_emit(void *ctx, uint8_t *msg, size_t len, uint32_t nrec, uint32_t nflow,
                     struct ns_error *err)
{
    struct ns_collector *c = ctx;
    return ns_zout_write(c->out.z, msg, len, err);
}

static int stream_emit(void *ctx, uint8_t *msg, size_t len, uint32_t nrec, uint32_t nflow,
                       struct ns_error *err)
{
    struct stream *st = ctx;
    return file_emit(st->c, msg, len, nrec, nflow, err);
}

static int open_file(struct ns_collector *c, struct ns_error *err)
{
    time_t now = time(NULL);
    uint64_t rot = c->cfg.rotate_ns / 1000000000u;
    time_t start = rot ? now - now % (time_t)rot : now;
    struct tm tm;
    localtime_r(&start, &tm);
    char base[PATH_MAX];
    if (!strftime(base, sizeof base, c->cfg.pattern, &tm))
        return ns_error_set(err, NS_EINVAL, "file pattern '%s' gives an empty name",
                            c->cfg.pattern);
    snprintf(c->out.path, sizeof c->out.path, "%s", base);
    for (int k = 1;; k++) {
        snprintf(c->out.part, sizeof c->out.part, "%s.part", c->out.path);
        if (!exists(c->out.path) && !exists(c->out.part))
            break;
        /* never overwrite: NAME-k.EXT */
        const char *slash = strrchr(base, '/'), *dot = strrchr(base, '.');
        if (dot && (!slash || dot > slash + 1))
            snprintf(c->out.path, sizeof c->out.path, "%.*s-%d%s", (int)(dot - base), base, k, dot);
        else
            snprintf(c->out.path, sizeof c->out.path, "%s-%d", base, k);
    }
    if (mkdirs(c->out.part) != 0)
        return ns_error_set(err, NS_EIO, "making the directories of %s: %s", c->out.part,
                            strerror(errno));
    int rc = ns_zout_open(&c->out.z, c->out.part, c->cfg.zstd_level != 0, c->cfg.zstd_level, err);
    /* one write(2) per MiB of whole messages, not per message (a fifth of
     * the collector's system time at MTU 1500); written out with every
     * flush interval, so a kill -9 loses no more than the message builders
     * already hold, and the file still ends between messages */
    if (rc == NS_OK && (rc = ns_zout_buffer(c->out.z, 1u << 20, err)) < 0) {
        ns_zout_close(c->out.z, NULL);
        c->out.z = NULL;
    }
    if (rc < 0)
        return rc;
    c->out.open = 1;
    c->out.gen++;
    c->out.end = rot ? start + (time_t)rot : (time_t)INT64_MAX;
    c->tot.files++;
    /* RFC 5610 type records first, in observation domain 0 */
    struct ns_msgb *b;
    struct ns_msgb_opts bo = {.obs_domain = 0, .max_msg = STREAM_MSG};
    rc = ns_msgb_new(&b, &bo, file_emit, c, err);
    if (rc == NS_OK) {
        rc = ns_msgb_typeinfo(b, err);
        ns_msgb_free(b);
    }
    logf_(c, "writing %s", c->out.part);
    return rc;
}

static void free_stream(struct stream *st)
{
    if (!st)
        return;
    ns_msgb_free(st->b);
    free(st);
}

static int flush_session(struct ns_collector *c, struct sess *s, int release, struct ns_error *err)
{
    int rc = NS_OK;
    for (size_t i = 0; i < s->s.ndom; i++) {
        struct stream *st = s->s.dom[i].user;
        if (!st)
            continue;
        if (st->b && st->gen == c->out.gen && c->out.open) {
            int r = ns_msgb_flush(st->b, err);
            if (r < 0 && rc == NS_OK)
                rc = r;
        }
        if (release || st->gen != c->out.gen) {
            ns_msgb_free(st->b);
            st->b = NULL;
        }
        if (release) {
            free_stream(st);
            s->s.dom[i].user = NULL;
        }
    }
    return rc;
}

static int close_file(struct ns_collector *c, struct ns_error *err)
{
    if (!c->out.open)
        return NS_OK;
    int rc = NS_OK;
    for (size_t i = 0; i < c->nsess; i++) {
        int r = flush_session(c, c->sess[i], 0, err);
        if (r < 0 && rc == NS_OK)
            rc = r;
        for (size_t k = 0; k < c->sess[i]->s.ndom; k++) {
            struct stream *st = c->sess[i]->s.dom[k].user;
            if (st) {
                ns_msgb_free(st->b);
                st->b = NULL;
            }
        }
    }
    int r = ns_zout_close(c->out.z, rc < 0 ? NULL : err);
    c->out.z = NULL;
    c->out.open = 0;
    if (r < 0 && rc == NS_OK)
        rc = r;
    if (rename(c->out.part, c->out.path) != 0) {
        if (rc == NS_OK)
            rc = ns_error_set(err, NS_EIO, "renaming %s: %s", c->out.part, strerror(errno));
    } else {
        logf_(c, "completed %s", c->out.path);
    }
    return rc;
}

static void exporter_record(const struct sess *s, uint32_t file_domain, uint32_t orig_domain,
                            uint8_t *p)
{
    memset(p, 0, EXPORTER_LEN);
    ns_put32(p, file_domain);
    uint16_t port = 0;
    if (s->peer.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&s->peer;
        memcpy(p + 4, &a->sin_addr, 4);
        port = ntohs(a->sin_port);
    } else if (s->peer.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&s->peer;
        if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) /* an IPv4 exporter on a [::] socket */
            memcpy(p + 4, a->sin6_addr.s6_addr + 12, 4);
        else
            memcpy(p + 8, &a->sin6_addr, 16);
        port = ntohs(a->sin6_port);
    }
    ns_put16(p + 24, port);
    ns_put32(p + 26, orig_domain);
    p[30] = ns_transport_datagram(s->kind)                       ? 17
            : s->kind == NS_TP_SCTP || s->kind == NS_TP_SCTP_UDP ? 132
                                                                 : 6; /* sctp+udp: SCTP too */
}

/* The stream of domain d in the current file, its builder ready. */
static int stream_of(struct ns_collector *c, struct sess *s, struct ns_coll_domain *d,
                     struct stream **out, struct ns_error *err)
{
    int rc;
    if (!c->out.open && (rc = open_file(c, err)) < 0)
        return rc;
    struct stream *st = d->user;
    if (!st) {
        if (!(st = calloc(1, sizeof *st)))
            return ns_error_set(err, NS_ENOMEM, "out of memory");
        st->file_domain = ++c->next_stream;
        st->c = c;
        d->user = st;
        d->stream = st->file_domain;
    }
    if (!st->b || st->gen != c->out.gen) {
        ns_msgb_free(st->b);
        st->b = NULL;
        st->npass = 0; /* a new builder: templates registered again */
        st->ncopy = 0; /* and copy plans made again (they point into it) */
        memset(st->copy_at, 0, sizeof st->copy_at);
        struct ns_msgb_opts bo = {.obs_domain = st->file_domain, .max_msg = STREAM_MSG};
        if ((rc = ns_msgb_new(&st->b, &bo, stream_emit, st, err)) < 0)
            return rc;
        st->gen = c->out.gen;
        static const struct ns_field_spec f[] = {
            {0, 149, 4},  /* observationDomainId (scope): the stream's in this file */
            {0, 403, 4},  /* originalExporterIPv4Address */
            {0, 404, 16}, /* originalExporterIPv6Address */
            {0, 217, 2},  /* exporterTransportPort */
            {0, 405, 4},  /* originalObservationDomainId */
            {0, 4, 1},    /* protocolIdentifier: the transport */
        };
        int idx = ns_msgb_opt_register(st->b, NS_COLLECT_EXPORTER_TID, 1, f, 6, err);
        if (idx < 0)
            return idx;
        uint8_t rec[EXPORTER_LEN];
        exporter_record(s, st->file_domain, d->id, rec);
        if ((rc = ns_msgb_opt_add(st->b, idx, rec, err)) < 0)
            return rc;
    }
    *out = st;
    return NS_OK;
}

static int store(void *ctx, struct ns_coll_session *cs, struct ns_coll_domain *d,
                 const struct ns_record *r, struct ns_error *err)
{
    struct ns_collector *c = ctx;
    struct sess *s = (struct sess *)cs; /* cs is the first member */
    if (!c->cfg.pattern)
        return NS_OK;
    struct stream *st = NULL;
    int rc = stream_of(c, s, d, &st, err);
    return rc < 0 || !st ? rc : ns_msgb_add(st->b, r, err);
}

/* The copy plan of exporter template t in stream st (made on first use
 * from t's first record); NULL when its records are to be decoded. */
static struct copy *copy_of(struct ns_coll_session *cs, struct stream *st, const struct ns_tmpl *t,
                            const uint8_t *first, struct ns_error *err, int *rc)
{
    *rc = NS_OK;
    struct copy *cp = NULL;
    uint8_t *hint = &st->copy_at[t->tid & 63];
    if (*hint && st->copy[*hint - 1].src_tid == t->tid)
        cp = &st->copy[*hint - 1];
    for (size_t i = 0; i < st->ncopy && !cp; i++)
        if (st->copy[i].src_tid == t->tid)
            cp = &st->copy[i];
    if (cp)
        *hint = (uint8_t)(cp - st->copy + 1);
    if (cp && cp->serial == t->serial)
        return cp->ok ? cp : NULL;
    if (!cp) {
        if (st->ncopy == COPY_MAX)
            return NULL;
        cp = &st->copy[st->ncopy++];
        *hint = (uint8_t)st->ncopy;
    }
    /* first use, or the exporter redefined the template: plan (again) */
    memset(cp, 0, sizeof *cp);
    cp->src_tid = t->tid;
    cp->serial = t->serial;
    struct ns_record r;
    size_t used;
    if (ns_flowrec_decode(t, first, t->min_len, cs->dec.hdr.export_time, &r, &used, NULL) < 0)
        return NULL;
    int k = ns_flowrec_copy_plan(ns_msgb_encoder(st->b), t, &r, &cp->plan, err);
    cp->ok = k > 0; /* an encoder error: the record path meets it and reports it */
    return cp->ok ? cp : NULL;
}

/* A whole data set (session.h set): copied as it is when that is the same
 * as decoding and encoding each record (collect.h, copy-through). */
static int store_set(void *ctx, struct ns_coll_session *cs, struct ns_coll_domain *d,
                     const struct ns_tmpl *t, const uint8_t *recs, size_t n, struct ns_error *err)
{
    struct ns_collector *c = ctx;
    struct sess *s = (struct sess *)cs;
    if (!c->cfg.pattern)
        return 1; /* nothing stored: counting is all the record path would do */
    struct stream *st = NULL;
    int rc = stream_of(c, s, d, &st, err);
    if (rc < 0 || !st)
        return rc;
    struct copy *cp = copy_of(cs, st, t, recs, err, &rc);
    if (rc < 0)
        return rc;
    if (!cp || !ns_flowrec_copy_check(&cp->plan, recs, n, t->min_len))
        return 0;
    rc = ns_msgb_add_encoded(st->b, cp->plan.e, recs, n, err);
    return rc < 0 ? rc : 1;
}

/* A PSAMP record, kept whole under a template of the stream's. */
static int store_raw(void *ctx, struct ns_coll_session *cs, struct ns_coll_domain *d,
                     const struct ns_tmpl *t, const uint8_t *rec, size_t len, struct ns_error *err)
{
    struct ns_collector *c = ctx;
    struct sess *s = (struct sess *)cs;
    if (!c->cfg.pattern)
        return NS_OK;
    struct stream *st = NULL;
    int rc = stream_of(c, s, d, &st, err);
    if (rc < 0 || !st)
        return rc;
    if (t->nfields > 64)
        return NS_OK; /* not something netsift or softflowd sends: dropped */
    struct pass *ps = NULL;
    for (size_t i = 0; i < st->npass && !ps; i++) {
        struct pass *q = &st->pass[i];
        if (q->src_tid == t->tid && q->nfields == t->nfields && q->scope_count == t->scope_count &&
            memcmp(q->f, t->fields, t->nfields * sizeof *t->fields) == 0)
            ps = q;
    }
    if (!ps) { /* first use, or the exporter redefined the template */
        if (st->npass == PASS_MAX)
            return NS_OK;
        ps = &st->pass[st->npass];
        ps->src_tid = t->tid;
        ps->nfields = t->nfields;
        ps->scope_count = t->scope_count;
        memcpy(ps->f, t->fields, t->nfields * sizeof *t->fields);
        ps->idx = ns_msgb_raw_register(st->b, (uint16_t)(PASS_TID + st->npass), t->scope_count,
                                       t->fields, t->nfields, err);
        if (ps->idx < 0)
            return ps->idx;
        st->npass++;
    }
    return ns_msgb_raw_add(st->b, ps->idx, rec, len, 0, err);
}

static void sess_log(void *ctx, struct ns_coll_session *cs, const char *msg)
{
    struct ns_collector *c = ctx;
    logf_(c, "%s: %s", ((struct sess *)cs)->name, msg);
}

/* ---- sessions ---- */

static const char *kind_name(int kind)
{
    switch (kind) {
    case NS_TP_UDP:
        return "udp";
    case NS_TP_TCP:
        return "tcp";
    case NS_TP_TLS:
        return "tls";
    case NS_TP_DTLS:
        return "dtls";
    case NS_TP_SCTP:
        return "sctp";
    case NS_TP_SCTP_UDP:
        return "sctp+udp";
    }
    return "?";
}

/* A session is counted and logged when it starts: at once, or for TLS
 * and DTLS when the handshake is done. */
static void sess_started(struct ns_collector *c, struct sess *s)
{
    s->pending = 0;
    c->tot.sessions++;
    if (s->ssl) {
        char cn[100];
        logf_(c, "%s: new session %u (%s, certificate CN=%s)", s->name, s->s.id,
              SSL_get_version(s->ssl), ns_tls_peer_name(s->ssl, cn, sizeof cn));
    } else {
        logf_(c, "%s: new session %u", s->name, s->s.id);
    }
}

static struct sess *new_sess(struct ns_collector *c, int kind, int listener,
                             const struct sockaddr_storage *peer, socklen_t plen, int pending)
{
    if (c->nsess == (c->cfg.max_sessions ? c->cfg.max_sessions : 256)) {
        c->tot.refused_sessions++;
        return NULL;
    }
    struct sess *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    struct ns_error e;
    if (ns_coll_session_init(&s->s, ++c->next_id, ns_transport_datagram(kind), &c->cfg.limits, &e) <
        0) {
        free(s);
        return NULL;
    }
    if ((kind == NS_TP_TCP || kind == NS_TP_TLS) && !(s->rbuf = malloc(TCP_BUF))) {
        ns_coll_session_fini(&s->s);
        free(s);
        return NULL;
    }
    s->kind = kind;
    s->listener = listener;
    s->peer = *peer;
    s->plen = plen;
    s->fd = -1;
    s->since = s->last_seen = mono_ns();
    s->h = (struct handle){H_CONN, listener, s};
    char a[70];
    snprintf(s->name, sizeof s->name, "%s %s", kind_name(kind),
             ns_sockaddr_str((const struct sockaddr *)peer, a, sizeof a));
    c->sess[c->nsess++] = s;
    s->pending = 1;
    s->hs_deadline = s->since + HANDSHAKE_NS;
    if (!pending)
        sess_started(c, s);
    return s;
}

static void add_stats(struct ns_coll_stats *t, const struct ns_coll_stats *s)
{
    const uint64_t *a = (const uint64_t *)s;
    uint64_t *b = (uint64_t *)t;
    for (size_t i = 0; i < sizeof *s / sizeof(uint64_t); i++)
        b[i] += a[i];
}

static void end_sess(struct ns_collector *c, size_t i, const char *why)
{
    struct sess *s = c->sess[i];
    struct ns_error e;
    flush_session(c, s, 1, &e);
    if (!s->pending) {
        logf_(c, "%s: session %u ended (%s): %llu records, %llu lost", s->name, s->s.id, why,
              (unsigned long long)s->s.st.records, (unsigned long long)s->s.st.lost_records);
        add_stats(&c->tot.st, &s->s.st);
    }
    SSL_free(s->ssl);
    if (s->fd >= 0) {
        epoll_ctl(c->ep, EPOLL_CTL_DEL, s->fd, NULL);
        if (s->kind != NS_TP_SCTP && s->kind != NS_TP_SCTP_UDP) /* SCTP's is the stack's */
            close(s->fd);
    }
    ns_sctp_conn_close(&s->sc);
    ns_coll_session_fini(&s->s);
    free(s->rbuf);
    free(s);
    c->sess[i] = c->sess[--c->nsess];
}

static size_t sess_index(const struct ns_collector *c, const struct sess *s)
{
    for (size_t i = 0; i < c->nsess; i++)
        if (c->sess[i] == s)
            return i;
    return (size_t)-1;
}

static int message(struct ns_collector *c, struct sess *s, const uint8_t *m, size_t len,
                   uint64_t now, struct ns_error *err)
{
    struct ns_coll_handler h = {.record = store, .raw = store_raw, .log = sess_log, .ctx = c};
    if (!c->cfg.reencode)
        h.set = store_set;
    struct ns_error e = {0};
    s->last_seen = now;
    int rc = ns_coll_session_message(&s->s, m, len, now, &h, &e);
    if (rc == NS_EIO || rc == NS_ENOMEM) { /* storage failed */
        c->tot.store_errors++;
        if (err)
            *err = e;
        return rc;
    }
    return NS_OK;
}

/* ---- sockets ---- */

static int listen_on(struct ns_collector *c, const char *url, struct ns_error *err)
{
    struct listener *l = &c->l[c->nl];
    int rc = ns_endpoint_parse(url, &l->ep, err);
    if (rc == NS_OK && (l->ep.kind == NS_TP_SCTP || l->ep.kind == NS_TP_SCTP_UDP)) {
        if ((rc = ns_sctp_listen(&l->sl, &l->ep, &l->bound, err)) < 0)
            return rc;
        l->fd = l->sl.be->fd(l->sl.s);
        l->h = (struct handle){H_LISTEN_SCTP, (int)c->nl, NULL};
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->h};
        epoll_ctl(c->ep, EPOLL_CTL_ADD, l->fd, &ev);
        c->nl++;
        return NS_OK;
    }
    struct sockaddr_storage ss = {0};
    socklen_t sl = 0;
    if (rc == NS_OK)
        rc = ns_endpoint_resolve(&l->ep, 1, &ss, &sl, err);
    if (rc == NS_OK && (l->ep.kind == NS_TP_TLS || l->ep.kind == NS_TP_DTLS))
        rc = ns_tls_new(&l->tls, &c->cfg.tls, 1, l->ep.kind == NS_TP_DTLS, url, err);
    if (rc < 0)
        return rc;
    c->nl++; /* from here on ns_collector_free cleans up */
    int udp = ns_transport_datagram(l->ep.kind);
    l->fd =
        socket(ss.ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->fd < 0)
        return ns_error_set(err, NS_EIO, "%s: %s", url, strerror(errno));
    int one = 1;
    setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss.ss_family == AF_INET6) {
        int zero = 0; /* [::] takes IPv4 too */
        setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    }
    if (udp) {
        int sz = c->cfg.rcvbuf ? c->cfg.rcvbuf : 8 << 20;
        if (setsockopt(l->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) != 0)
            setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    }
    if (bind(l->fd, (struct sockaddr *)&ss, sl) != 0 || (!udp && listen(l->fd, 64) != 0))
        return ns_error_set(err, NS_EIO, "%s: %s", url, strerror(errno));
    l->llen = sizeof l->local;
    getsockname(l->fd, (struct sockaddr *)&l->local, &l->llen);
    int type = l->ep.kind == NS_TP_DTLS ? H_LISTEN_DTLS : udp ? H_LISTEN_UDP : H_LISTEN_TCP;
    l->h = (struct handle){type, (int)c->nl - 1, NULL};
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->h};
    epoll_ctl(c->ep, EPOLL_CTL_ADD, l->fd, &ev);
    return NS_OK;
}

int ns_collector_new(struct ns_collector **out, const struct ns_collect_config *cfg,
                     struct ns_error *err)
{
    *out = NULL;
    if (cfg->nlisten == 0 || cfg->nlisten > NS_COLLECT_MAX_LISTEN)
        return ns_error_set(err, NS_EINVAL, "%zu listening endpoints (1..%d)", cfg->nlisten,
                            NS_COLLECT_MAX_LISTEN);
    struct ns_collector *c = calloc(1, sizeof *c);
    if (!c)
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    c->cfg = *cfg;
    size_t ms = cfg->max_sessions ? cfg->max_sessions : 256;
    c->sess = calloc(ms, sizeof *c->sess); // NOLINT(bugprone-sizeof-expression)
    c->ep = epoll_create1(EPOLL_CLOEXEC);
    c->dgram = malloc((size_t)UDP_MMSG * UDP_DGRAM_MAX);
    if (!c->sess || c->ep < 0 || !c->dgram) {
        free(c->dgram);
        free(c->sess);
        free(c);
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < NS_COLLECT_MAX_LISTEN; i++)
        c->l[i].fd = -1;
    for (size_t i = 0; i < cfg->nlisten; i++) {
        int rc = listen_on(c, cfg->listen[i], err);
        if (rc < 0) {
            ns_collector_free(c);
            return rc;
        }
    }
    c->last_flush = c->last_sweep = mono_ns();
    *out = c;
    return NS_OK;
}

int ns_collector_local(const struct ns_collector *c, size_t i, struct sockaddr_storage *ss)
{
    socklen_t sl = sizeof *ss;
    if (i < c->nl && c->l[i].h.type == H_LISTEN_SCTP) {
        *ss = c->l[i].bound.ss;
        return NS_OK;
    }
    return i < c->nl && getsockname(c->l[i].fd, (struct sockaddr *)ss, &sl) == 0 ? NS_OK
                                                                                 : NS_EINVAL;
}

static int read_udp(struct ns_collector *c, struct listener *l, uint64_t now, struct ns_error *err)
{
    /* recvmmsg: one system call for up to UDP_MMSG datagrams (the kernel's
     * per-call cost dominated the collector's profile), and the exporter
     * of the previous datagram is tried first before the session scan */
    struct mmsghdr mh[UDP_MMSG];
    struct iovec iov[UDP_MMSG];
    struct sockaddr_storage peer[UDP_MMSG];
    struct sess *last = NULL;
    for (int k = 0; k < UDP_BATCH; k += UDP_MMSG) {
        for (int i = 0; i < UDP_MMSG; i++) {
            iov[i] = (struct iovec){c->dgram + (size_t)i * UDP_DGRAM_MAX, UDP_DGRAM_MAX};
            mh[i].msg_hdr = (struct msghdr){.msg_name = &peer[i],
                                            .msg_namelen = sizeof peer[i],
                                            .msg_iov = &iov[i],
                                            .msg_iovlen = 1};
        }
        int got = recvmmsg(l->fd, mh, UDP_MMSG, MSG_DONTWAIT, NULL);
        if (got <= 0)
            return NS_OK;
        for (int i = 0; i < got; i++) {
            socklen_t pl = mh[i].msg_hdr.msg_namelen;
            struct sess *s = NULL;
            if (last && last->plen == pl && !memcmp(&last->peer, &peer[i], pl))
                s = last;
            for (size_t j = 0; j < c->nsess && !s; j++) {
                struct sess *x = c->sess[j];
                if (x->kind == NS_TP_UDP && x->listener == l->h.idx && x->plen == pl &&
                    !memcmp(&x->peer, &peer[i], pl))
                    s = x;
            }
            if (!s && !(s = new_sess(c, NS_TP_UDP, l->h.idx, &peer[i], pl, 0)))
                continue;
            last = s;
            int rc = message(c, s, iov[i].iov_base, mh[i].msg_len, now, err);
            if (rc < 0)
                return rc;
        }
        if (got < UDP_MMSG)
            return NS_OK;
    }
    return NS_OK;
}

/* ---- TLS and DTLS ---- */

static void handshake_failed(struct ns_collector *c, struct sess *s, const char *why)
{
    struct listener *l = &c->l[s->listener];
    l->hs_fail++;
    c->tot.handshake_failures++;
    if (l->hs_fail == 1)
        logf_(c, "%s: handshake with %s failed: %s (further failures on %s are only counted)",
              l->ep.url, s->name, why, l->ep.url);
}

/* Step a pending session's handshake: 1 done or in progress, 0 failed. */
static int handshake(struct ns_collector *c, struct sess *s)
{
    ERR_clear_error();
    int r = SSL_do_handshake(s->ssl);
    if (r == 1) {
        sess_started(c, s);
        return 1;
    }
    int e = SSL_get_error(s->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return 1;
    char why[200];
    handshake_failed(c, s, ns_tls_why(s->ssl, r, why, sizeof why));
    return 0;
}

/* A new socket for one DTLS peer, sharing the listener's address. */
static int peer_socket(const struct listener *l, const struct sockaddr_storage *peer, socklen_t pl,
                       int rcvbuf)
{
    int fd = socket(l->local.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1, zero = 0, sz = rcvbuf ? rcvbuf : 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    /* as big as the listener's: an exporter that waited for the
     * handshake sends its queue in one burst */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    if (l->local.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    if (bind(fd, (const struct sockaddr *)&l->local, l->llen) != 0 ||
        connect(fd, (const struct sockaddr *)peer, pl) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static SSL *listen_ssl(struct listener *l)
{
    SSL *ssl = ns_tls_ssl(l->tls, NULL);
    BIO *bio = ssl ? BIO_new_dgram(l->fd, BIO_NOCLOSE) : NULL;
    if (!bio) {
        SSL_free(ssl);
        return NULL;
    }
    SSL_set_bio(ssl, bio, bio);
    SSL_set_options(ssl, SSL_OP_COOKIE_EXCHANGE);
    SSL_set_accept_state(ssl);
    return ssl;
}

/* A ClientHello with a valid cookie from `peer`: the association moves
 * to a socket of its own and the handshake goes on there. */
static void accept_dtls(struct ns_collector *c, struct listener *l, BIO_ADDR *peer)
{
    struct sockaddr_storage ps;
    socklen_t pl = 0;
    SSL *ssl = l->lssl;
    l->lssl = NULL; /* it holds this client's handshake state now */
    int fd = -1;
    struct sess *s = NULL;
    if (c->stopping || ns_tls_sockaddr(peer, &ps, &pl) < 0 ||
        (fd = peer_socket(l, &ps, pl, c->cfg.rcvbuf)) < 0 ||
        !(s = new_sess(c, NS_TP_DTLS, l->h.idx, &ps, pl, 1))) {
        if (fd >= 0)
            close(fd);
        SSL_free(ssl);
        return;
    }
    BIO *b = SSL_get_rbio(ssl);
    BIO_set_fd(b, fd, BIO_NOCLOSE);
    BIO_ctrl(b, BIO_CTRL_DGRAM_SET_CONNECTED, 0, peer);
    s->ssl = ssl;
    s->fd = fd;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &s->h};
    epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev);
    if (!handshake(c, s))
        end_sess(c, sess_index(c, s), "handshake");
}

/* The DTLS listener: ClientHellos only (cookie exchange, no state);
 * anything else arriving here is dropped by DTLSv1_listen. */
static void read_dtls_listener(struct ns_collector *c, struct listener *l)
{
    for (int k = 0; k < UDP_BATCH; k++) {
        uint8_t b;
        if (recv(l->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) < 0)
            return;
        if (!l->lssl && !(l->lssl = listen_ssl(l))) {
            recv(l->fd, &b, 1, MSG_DONTWAIT); /* out of memory: drop it */
            continue;
        }
        BIO_ADDR *peer = BIO_ADDR_new();
        if (!peer)
            return;
        ERR_clear_error();
        int r = DTLSv1_listen(l->lssl, peer);
        if (r > 0)
            accept_dtls(c, l, peer);
        else if (r < 0) { /* a fatal error: start over with a fresh listener state */
            SSL_free(l->lssl);
            l->lssl = NULL;
        }
        ERR_clear_error();
        BIO_ADDR_free(peer);
    }
}

/* Read a DTLS session's records, one IPFIX message each.  Returns 0 when
 * the session ended. */
static int read_dtls(struct ns_collector *c, struct sess *s, uint64_t now, struct ns_error *err,
                     int *fatal)
{
    for (int k = 0; k < UDP_BATCH; k++) {
        ERR_clear_error();
        int r = SSL_read(s->ssl, c->dgram, (int)UDP_DGRAM_MAX);
        if (r > 0) {
            if (message(c, s, c->dgram, (size_t)r, now, err) < 0) {
                *fatal = 1;
                return 1;
            }
            continue;
        }
        int e = SSL_get_error(s->ssl, r);
        return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
    }
    return 1;
}

/* recv() for TCP and TLS connections: > 0 octets, 0 closed, -1 with errno
 * (EAGAIN: nothing now). */
static ssize_t conn_recv(struct sess *s, uint8_t *p, size_t n)
{
    if (!s->ssl)
        return recv(s->fd, p, n, MSG_DONTWAIT);
    ERR_clear_error();
    int r = SSL_read(s->ssl, p, (int)n);
    if (r > 0)
        return r;
    int e = SSL_get_error(s->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        errno = EAGAIN;
        return -1;
    }
    ERR_clear_error();
    if (e == SSL_ERROR_ZERO_RETURN)
        return 0;
    errno = EPROTO;
    return -1;
}

static void accept_tcp(struct ns_collector *c, struct listener *l)
{
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t pl = sizeof peer;
        int fd = accept4(l->fd, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        int kind = l->tls ? NS_TP_TLS : NS_TP_TCP;
        struct sess *s = c->stopping ? NULL : new_sess(c, kind, l->h.idx, &peer, pl, !!l->tls);
        if (!s) {
            close(fd);
            continue;
        }
        s->fd = fd;
        if (l->tls) {
            s->ssl = ns_tls_ssl(l->tls, NULL);
            if (!s->ssl || SSL_set_fd(s->ssl, fd) != 1) {
                handshake_failed(c, s, "out of memory");
                end_sess(c, sess_index(c, s), "handshake");
                continue;
            }
            SSL_set_accept_state(s->ssl);
        }
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = &s->h};
        epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev);
    }
}

static void accept_sctp(struct ns_collector *c, struct listener *l)
{
    l->sl.be->events(l->sl.s);
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t pl = sizeof peer;
        struct ns_sctp_conn sc;
        if (!ns_sctp_accept(&l->sl, &sc, &peer, &pl))
            return;
        struct sess *s = c->stopping ? NULL : new_sess(c, l->ep.kind, l->h.idx, &peer, pl, 0);
        if (!s) {
            ns_sctp_conn_close(&sc);
            continue;
        }
        s->sc = sc;
        s->fd = sc.be->fd(sc.s);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &s->h};
        epoll_ctl(c->ep, EPOLL_CTL_ADD, s->fd, &ev);
    }
}

/* An SCTP association: whole messages as SCTP delivers them (RFC 7011
 * §10.2: one IPFIX message per SCTP message).  Returns 0 when it ended. */
static int read_sctp(struct ns_collector *c, struct sess *s, uint64_t now, struct ns_error *err,
                     int *fatal)
{
    s->sc.be->events(s->sc.s);
    for (;;) {
        const uint8_t *m;
        ssize_t n = ns_sctp_conn_read(&s->sc, &m);
        if (n == 0)
            return 1;
        if (n < 0)
            return 0;
        if (message(c, s, m, (size_t)n, now, err) < 0) {
            *fatal = 1;
            return 1;
        }
    }
}

/* Read what the connection has; frame and process whole messages.
 * Returns 0 when the session ended. */
static int read_tcp(struct ns_collector *c, struct sess *s, uint64_t now, struct ns_error *err,
                    int *fatal)
{
    for (;;) {
        ssize_t n = conn_recv(s, s->rbuf + s->rlen, TCP_BUF - s->rlen);
        if (n == 0)
            return 0;
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 1 : 0;
        s->rlen += (size_t)n;
        size_t off = 0;
        while (s->rlen - off >= NS_MSG_HDR_LEN) {
            const uint8_t *m = s->rbuf + off;
            uint16_t ver = ns_be16(m), len = ns_be16(m + 2);
            if (ver != NS_IPFIX_VERSION || len < NS_MSG_HDR_LEN) {
                /* RFC 7011 §10.4: a stream that is not IPFIX cannot be
                 * re-framed; the session ends */
                s->s.st.malformed++;
                c->tot.framing_errors++;
                logf_(c, "%s: not an IPFIX stream (version %u, length %u): closing", s->name, ver,
                      len);
                return 0;
            }
            if (len > s->rlen - off)
                break;
            if (message(c, s, m, len, now, err) < 0) {
                *fatal = 1;
                return 1;
            }
            off += len;
        }
        memmove(s->rbuf, s->rbuf + off, s->rlen - off);
        s->rlen -= off;
    }
}

static int timers(struct ns_collector *c, uint64_t now, struct ns_error *err)
{
    int rc = NS_OK;
    if (c->out.open && time(NULL) >= c->out.end)
        rc = close_file(c, err);
    if (rc == NS_OK && c->out.open &&
        now - c->last_flush >= (c->cfg.flush_ns ? c->cfg.flush_ns : 1000000000u)) {
        c->last_flush = now;
        for (size_t i = 0; i < c->nsess && rc == NS_OK; i++)
            rc = flush_session(c, c->sess[i], 0, err);
        if (rc == NS_OK)
            rc = ns_zout_flush(c->out.z, err);
    }
    if (now - c->last_sweep >= 1000000000u) {
        c->last_sweep = now;
        uint64_t idle = c->cfg.udp_idle_ns ? c->cfg.udp_idle_ns : 3600ull * 1000000000u;
        for (size_t i = c->nsess; i-- > 0;) {
            struct sess *s = c->sess[i];
            if (s->pending && now >= s->hs_deadline) {
                handshake_failed(c, s, "handshake timed out");
                end_sess(c, i, "handshake");
            } else if (s->pending && s->kind == NS_TP_DTLS) {
                DTLSv1_handle_timeout(s->ssl); /* retransmit our lost flight */
            } else if (ns_transport_datagram(s->kind) && now - s->last_seen > idle) {
                end_sess(c, i, "idle");
            }
        }
    }
    return rc;
}

void ns_collector_pause(struct ns_collector *c, int on)
{
    c->paused = on;
}

int ns_collector_run(struct ns_collector *c, int timeout_ms, struct ns_error *err)
{
    if (c->paused) {
        struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
        return timers(c, mono_ns(), err);
    }
    struct epoll_event ev[64];
    int n = epoll_wait(c->ep, ev, 64, timeout_ms);
    uint64_t now = mono_ns();
    int rc = NS_OK;
    for (int i = 0; i < n && rc == NS_OK; i++) {
        struct handle *h = ev[i].data.ptr;
        if (h->type == H_LISTEN_UDP) {
            rc = read_udp(c, &c->l[h->idx], now, err);
        } else if (h->type == H_LISTEN_TCP) {
            accept_tcp(c, &c->l[h->idx]);
        } else if (h->type == H_LISTEN_DTLS) {
            read_dtls_listener(c, &c->l[h->idx]);
        } else if (h->type == H_LISTEN_SCTP) {
            accept_sctp(c, &c->l[h->idx]);
        } else {
            int fatal = 0;
            struct sess *s = h->s;
            if (s->pending && !handshake(c, s)) {
                end_sess(c, sess_index(c, s), "handshake");
                continue;
            }
            if (s->pending)
                continue;
            int alive = s->kind == NS_TP_DTLS ? read_dtls(c, s, now, err, &fatal)
                        : s->kind == NS_TP_SCTP || s->kind == NS_TP_SCTP_UDP
                            ? read_sctp(c, s, now, err, &fatal)
                            : read_tcp(c, s, now, err, &fatal);
            if (!alive) {
                size_t k = sess_index(c, s);
                if (k != (size_t)-1)
                    end_sess(c, k, "closed");
            }
            if (fatal)
                rc = err ? err->code : NS_EIO;
        }
    }
    if (rc == NS_OK)
        rc = timers(c, now, err);
    return rc;
}

int ns_collector_stop(struct ns_collector *c, struct ns_error *err)
{
    c->stopping = 1;
    for (size_t i = 0; i < c->nl; i++)
        if (c->l[i].h.type == H_LISTEN_TCP) {
            epoll_ctl(c->ep, EPOLL_CTL_DEL, c->l[i].fd, NULL);
            close(c->l[i].fd);
            c->l[i].fd = -1;
        }
    /* half-close: the exporter sees our FIN (TLS: close_notify first),
     * sends what it has written and closes; we read to its end.  A DTLS
     * exporter gets close_notify and starts over later.  Handshakes in
     * progress are abandoned. */
    for (size_t i = c->nsess; i-- > 0;) {
        struct sess *s = c->sess[i];
        if (s->pending) {
            end_sess(c, i, "stop");
            continue;
        }
        if (s->ssl) {
            ERR_clear_error();
            SSL_shutdown(s->ssl);
            ERR_clear_error();
        }
        if (s->kind == NS_TP_TCP || s->kind == NS_TP_TLS)
            shutdown(s->fd, SHUT_WR);
        else if (s->kind == NS_TP_SCTP || s->kind == NS_TP_SCTP_UDP)
            ns_sctp_conn_shutdown(&s->sc); /* a graceful SHUTDOWN: read until it is gone */
    }
    uint64_t until = mono_ns() + 3000000000u;
    int rc = NS_OK;
    for (;;) {
        int tcp = 0;
        for (size_t i = 0; i < c->nsess; i++)
            tcp += c->sess[i]->kind != NS_TP_UDP && c->sess[i]->kind != NS_TP_DTLS;
        if (!tcp || mono_ns() > until || rc < 0)
            break;
        rc = ns_collector_run(c, 50, err);
    }
    uint64_t now = mono_ns();
    for (size_t i = 0; i < c->nl && rc == NS_OK; i++)
        if (c->l[i].h.type == H_LISTEN_UDP)
            rc = read_udp(c, &c->l[i], now, err);
    for (size_t i = 0; i < c->nsess && rc == NS_OK; i++) {
        int fatal = 0;
        if (c->sess[i]->kind == NS_TP_DTLS && !c->sess[i]->pending)
            read_dtls(c, c->sess[i], now, err, &fatal);
        /* SCTP: what has arrived is read; closing then shuts each
         * association down, and the exporter counts what it could not
         * deliver */
        if (c->sess[i]->kind == NS_TP_SCTP || c->sess[i]->kind == NS_TP_SCTP_UDP)
            read_sctp(c, c->sess[i], now, err, &fatal);
        if (fatal)
            rc = err ? err->code : NS_EIO;
    }
    while (c->nsess)
        end_sess(c, c->nsess - 1, "stop");
    int r = close_file(c, rc < 0 ? NULL : err);
    return rc < 0 ? rc : r;
}

void ns_collector_free(struct ns_collector *c)
{
    if (!c)
        return;
    while (c->nsess)
        end_sess(c, c->nsess - 1, "exit");
    if (c->out.open) {
        ns_zout_close(c->out.z, NULL);
        rename(c->out.part, c->out.path);
    }
    for (size_t i = 0; i < c->nl; i++) {
        if (c->l[i].h.type == H_LISTEN_SCTP)
            ns_sctp_listener_close(&c->l[i].sl);
        else if (c->l[i].fd >= 0)
            close(c->l[i].fd);
        SSL_free(c->l[i].lssl);
        ns_tls_free(c->l[i].tls);
    }
    if (c->ep >= 0)
        close(c->ep);
    free(c->sess);
    free(c->dgram);
    free(c);
}

size_t ns_collector_exporters(const struct ns_collector *c, struct ns_collect_exporter *out,
                              size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nsess && n < max; i++) {
        const struct sess *s = c->sess[i];
        if (s->pending)
            continue;
        struct ns_collect_exporter *e = &out[n++];
        snprintf(e->name, sizeof e->name, "%s", s->name);
        e->id = s->s.id;
        e->st = s->s.st;
        e->templates = ns_coll_session_templates(&s->s);
        e->domains = s->s.ndom;
        e->since_ns = s->since;
    }
    return n;
}

void ns_collector_totals(const struct ns_collector *c, struct ns_collect_totals *t)
{
    *t = c->tot;
    for (size_t i = 0; i < c->nsess; i++)
        add_stats(&t->st, &c->sess[i]->s.st);
}

uint64_t ns_collector_handshake_failures(const struct ns_collector *c, size_t i)
{
    return i < c->nl ? c->l[i].hs_fail : 0;
}
