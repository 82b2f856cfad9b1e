#include "collect/collect.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
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
#include "ipfix/msgbuild.h"
#include "ipfix/zio.h"

#define STREAM_MSG    32768 /* message size of the stored streams */
#define TCP_BUF       (NS_MSG_MAX + 1)
#define UDP_BATCH     256 /* datagrams per socket per round, for fairness */
#define UDP_MMSG      32  /* datagrams per recvmmsg() */
#define UDP_DGRAM_MAX (NS_MSG_MAX + 1)
#define EXPORTER_LEN  31

enum { H_LISTEN_UDP, H_LISTEN_TCP, H_LISTEN_SCTP, H_CONN };

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
};

/* One stored stream: a (session, domain) pair. */
struct stream {
    uint32_t file_domain;
    uint64_t gen; /* file generation b writes to */
    struct ns_msgb *b;
    struct ns_collector *c;
};

struct sess {
    struct ns_coll_session s;
    int kind; /* NS_TP_UDP / NS_TP_TCP */
    int listener;
    struct sockaddr_storage peer;
    socklen_t plen;
    int fd;                 /* TCP; SCTP: the association's pollable fd (not ours to close) */
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
    p[30] = s->kind == NS_TP_UDP ? 17 : s->kind == NS_TP_TCP ? 6 : 132; /* sctp+udp: SCTP too */
}

static int store(void *ctx, struct ns_coll_session *cs, struct ns_coll_domain *d,
                 const struct ns_record *r, struct ns_error *err)
{
    struct ns_collector *c = ctx;
    struct sess *s = (struct sess *)cs; /* cs is the first member */
    if (!c->cfg.pattern)
        return NS_OK;
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
    return ns_msgb_add(st->b, r, err);
}

static void sess_log(void *ctx, struct ns_coll_session *cs, const char *msg)
{
    struct ns_collector *c = ctx;
    logf_(c, "%s: %s", ((struct sess *)cs)->name, msg);
}

/* ---- sessions ---- */

static struct sess *new_sess(struct ns_collector *c, int kind, int listener,
                             const struct sockaddr_storage *peer, socklen_t plen)
{
    if (c->nsess == (c->cfg.max_sessions ? c->cfg.max_sessions : 256)) {
        c->tot.refused_sessions++;
        return NULL;
    }
    struct sess *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    struct ns_error e;
    if (ns_coll_session_init(&s->s, ++c->next_id, kind == NS_TP_UDP, &c->cfg.limits, &e) < 0) {
        free(s);
        return NULL;
    }
    if (kind == NS_TP_TCP && !(s->rbuf = malloc(TCP_BUF))) {
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
    static const char *const kn[] = {"?", "udp", "tcp", "sctp", "sctp+udp"};
    snprintf(s->name, sizeof s->name, "%s %s", kn[kind <= NS_TP_SCTP_UDP ? kind : 0],
             ns_sockaddr_str((const struct sockaddr *)peer, a, sizeof a));
    c->sess[c->nsess++] = s;
    c->tot.sessions++;
    logf_(c, "%s: new session %u", s->name, s->s.id);
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
    logf_(c, "%s: session %u ended (%s): %llu records, %llu lost", s->name, s->s.id, why,
          (unsigned long long)s->s.st.records, (unsigned long long)s->s.st.lost_records);
    add_stats(&c->tot.st, &s->s.st);
    if (s->fd >= 0) {
        epoll_ctl(c->ep, EPOLL_CTL_DEL, s->fd, NULL);
        if (s->kind == NS_TP_TCP)
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
    struct ns_coll_handler h = {store, sess_log, c};
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
    if (rc < 0)
        return rc;
    int udp = l->ep.kind == NS_TP_UDP;
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
    if (bind(l->fd, (struct sockaddr *)&ss, sl) != 0 || (!udp && listen(l->fd, 64) != 0)) {
        rc = ns_error_set(err, NS_EIO, "%s: %s", url, strerror(errno));
        close(l->fd);
        return rc;
    }
    l->h = (struct handle){udp ? H_LISTEN_UDP : H_LISTEN_TCP, (int)c->nl, NULL};
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->h};
    epoll_ctl(c->ep, EPOLL_CTL_ADD, l->fd, &ev);
    c->nl++;
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
            if (!s && !(s = new_sess(c, NS_TP_UDP, l->h.idx, &peer[i], pl)))
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

static void accept_tcp(struct ns_collector *c, struct listener *l)
{
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t pl = sizeof peer;
        int fd = accept4(l->fd, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        struct sess *s = c->stopping ? NULL : new_sess(c, NS_TP_TCP, l->h.idx, &peer, pl);
        if (!s) {
            close(fd);
            continue;
        }
        s->fd = fd;
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
        struct sess *s = c->stopping ? NULL : new_sess(c, l->ep.kind, l->h.idx, &peer, pl);
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
        ssize_t n = recv(s->fd, s->rbuf + s->rlen, TCP_BUF - s->rlen, MSG_DONTWAIT);
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
    }
    if (now - c->last_sweep >= 1000000000u) {
        c->last_sweep = now;
        uint64_t idle = c->cfg.udp_idle_ns ? c->cfg.udp_idle_ns : 3600ull * 1000000000u;
        for (size_t i = c->nsess; i-- > 0;)
            if (c->sess[i]->kind == NS_TP_UDP && now - c->sess[i]->last_seen > idle)
                end_sess(c, i, "idle");
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
        } else if (h->type == H_LISTEN_SCTP) {
            accept_sctp(c, &c->l[h->idx]);
        } else {
            int fatal = 0;
            int alive = h->s->kind == NS_TP_TCP ? read_tcp(c, h->s, now, err, &fatal)
                                                : read_sctp(c, h->s, now, err, &fatal);
            if (!alive) {
                size_t k = sess_index(c, h->s);
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
    /* half-close: the exporter sees our FIN, sends what it has written
     * and closes; we read to its end.  SCTP: a graceful SHUTDOWN, read
     * until the association is gone, so nothing the exporter's stack saw
     * acknowledged is left unread */
    for (size_t i = 0; i < c->nsess; i++)
        if (c->sess[i]->kind == NS_TP_TCP)
            shutdown(c->sess[i]->fd, SHUT_WR);
        else if (c->sess[i]->kind != NS_TP_UDP)
            ns_sctp_conn_shutdown(&c->sess[i]->sc);
    uint64_t until = mono_ns() + 3000000000u;
    int rc = NS_OK;
    for (;;) {
        int tcp = 0;
        for (size_t i = 0; i < c->nsess; i++)
            tcp += c->sess[i]->kind != NS_TP_UDP;
        if (!tcp || mono_ns() > until || rc < 0)
            break;
        rc = ns_collector_run(c, 50, err);
    }
    uint64_t now = mono_ns();
    for (size_t i = 0; i < c->nl && rc == NS_OK; i++)
        if (c->l[i].h.type == H_LISTEN_UDP)
            rc = read_udp(c, &c->l[i], now, err);
    /* SCTP: what has arrived is read; closing then shuts each association
     * down, and the exporter counts what it could not deliver */
    for (size_t i = 0; i < c->nsess && rc == NS_OK; i++)
        if (c->sess[i]->kind == NS_TP_SCTP || c->sess[i]->kind == NS_TP_SCTP_UDP) {
            int fatal = 0;
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
    for (size_t i = 0; i < c->nl; i++)
        if (c->l[i].h.type == H_LISTEN_SCTP)
            ns_sctp_listener_close(&c->l[i].sl);
        else if (c->l[i].fd >= 0)
            close(c->l[i].fd);
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
    for (size_t i = 0; i < c->nsess && n < max; i++, n++) {
        const struct sess *s = c->sess[i];
        struct ns_collect_exporter *e = &out[n];
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
