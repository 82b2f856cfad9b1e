/*
 * IPFIX over SCTP, the part both stacks share (see sctp.h): the export
 * transport (streams, PR-SCTP for data, exact drop counts from the
 * stack's send-failed notifications, reconnects) and the collector's
 * listener and message reassembly.
 */
#include "export/sctp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "export/transport.h"
#include "ipfix/be.h"
#include "ipfix/msg.h"

#define CONNECT_TIMEOUT_NS 3000000000u
#define RBUF               (NS_MSG_MAX + 1024)

enum { DOWN, CONNECTING, UP, CLOSING };

struct sx {
    struct ns_endpoint ep;
    const struct ns_sctp_backend *be;
    struct sockaddr_storage ss;
    socklen_t sl;
    struct ns_xport_opts o;
    struct ns_sctp_sock *s;
    int st;
    uint64_t next_try, backoff, since;
    int front;
    int hold; /* a new association: no data before its templates (set_front) */
    int dry;  /* the stack reported everything sent as acknowledged */
    uint32_t sess_seq;
    uint8_t *rbuf;
    /* messages waiting for the association (bounded by o.buffer) */
    uint8_t *q;
    size_t qcap, qlen, qhead;
    struct qent {
        uint32_t off, len, nrec, nflow;
    } * qe;
    size_t qecap, qn, qi;
    struct ns_xport_counts c;
};

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const struct ns_sctp_backend *ns_sctp_backend_for(const struct ns_endpoint *ep)
{
    return ep->kind == NS_TP_SCTP_UDP ? &ns_sctp_usr : &ns_sctp_kernel;
}

/* The record counts of a message ride in its 32-bit send context and come
 * back with the send-failed notification (no table to keep). */
static uint32_t pack_ctx(uint32_t nrec, uint32_t nflow)
{
    return (nrec > 0xFFFF ? 0xFFFFu : nrec) | (nflow > 0xFFFF ? 0xFFFFu : nflow) << 16;
}

/* RFC 7011 §3.3.2: set IDs 2 and 3 are (options) template sets. */
static int has_templates(const uint8_t *m, size_t len)
{
    size_t off = NS_MSG_HDR_LEN;
    while (off + 4 <= len) {
        uint16_t id = ns_be16(m + off), sl = ns_be16(m + off + 2);
        if (id == 2 || id == 3)
            return 1;
        if (sl < 4)
            break;
        off += sl;
    }
    return 0;
}

static void failed(struct sx *t, uint32_t ctx, int sent)
{
    uint32_t nrec = ctx & 0xFFFF, nflow = ctx >> 16;
    if (sent) { /* on the wire once: the peer may have it */
        t->c.abandoned_messages++;
        t->c.abandoned_records += nrec;
        t->c.abandoned_flows += nflow;
    } else {
        t->c.dropped_messages++;
        t->c.dropped_records += nrec;
        t->c.dropped_flows += nflow;
    }
    /* it was counted as handed over */
    if (t->c.messages)
        t->c.messages--;
    t->c.records -= nrec <= t->c.records ? nrec : t->c.records;
    t->c.flows -= nflow <= t->c.flows ? nflow : t->c.flows;
}

/* Read notifications; returns the last association event seen
 * (NS_SCTP_UP / NS_SCTP_DOWN) or 0. */
static int drain(struct sx *t)
{
    if (!t->s)
        return 0;
    t->be->events(t->s);
    int last = 0;
    for (;;) {
        struct ns_sctp_rcv r;
        ssize_t n = t->be->recv(t->s, t->rbuf, RBUF, &r);
        if (n == -EAGAIN || n == -EWOULDBLOCK || n == -EINTR)
            break;
        if (n <= 0) {
            if (t->st != DOWN)
                last = NS_SCTP_DOWN;
            break;
        }
        if (r.ev == NS_SCTP_DRY)
            t->dry = 1;
        else if (r.ev == NS_SCTP_FAILED)
            failed(t, r.context, r.sent);
        else if (r.ev == NS_SCTP_UP || r.ev == NS_SCTP_DOWN ||
                 (r.ev == NS_SCTP_SHUTDOWN && last != NS_SCTP_DOWN))
            last = r.ev; /* a shutdown does not hide a loss of the association */
    }
    return last;
}

static void flush_queue(struct sx *t);

static void disconnect(struct sx *t, uint64_t now)
{
    if (t->s) {
        drain(t); /* the failed messages are reported before the end */
        t->be->close(t->s);
        t->s = NULL;
    }
    if (t->st == UP || t->st == CLOSING)
        t->c.disconnects++;
    t->st = DOWN;
    t->next_try = now + t->backoff;
    t->backoff = t->backoff * 2 > t->o.backoff_max_ns ? t->o.backoff_max_ns : t->backoff * 2;
}

static int sx_open(struct ns_xport **out, const struct ns_endpoint *ep,
                   const struct ns_xport_opts *o, struct ns_error *err)
{
    struct sx *t = calloc(1, sizeof *t);
    if (!t)
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    int rc = ns_endpoint_resolve(ep, 0, &t->ss, &t->sl, err);
    t->qcap = o->buffer ? o->buffer : (4u << 20);
    if (t->qcap < RBUF)
        t->qcap = RBUF;
    t->qecap = t->qcap / 64 + 1;
    if (rc == NS_OK && (!(t->rbuf = malloc(RBUF)) || !(t->q = malloc(t->qcap)) ||
                        !(t->qe = calloc(t->qecap, sizeof *t->qe))))
        rc = ns_error_set(err, NS_ENOMEM, "out of memory");
    t->ep = *ep;
    t->o = *o;
    t->be = ns_sctp_backend_for(ep);
    /* fail now, with a clear message, when the stack is not there */
    if (rc == NS_OK)
        rc = t->be->socket(&t->s, ep, t->ss.ss_family, err);
    if (rc < 0) {
        free(t->rbuf);
        free(t->q);
        free(t->qe);
        free(t);
        return rc;
    }
    t->st = DOWN;
    t->backoff = o->backoff_min_ns;
    *out = (struct ns_xport *)t;
    return NS_OK;
}

static int session_up(struct sx *t)
{
    t->st = UP;
    /* the exporter flushes the message it was building before it puts
     * the templates in front: that message must wait in the queue behind
     * them (RFC 7011 §8: a template before the data that uses it) */
    t->hold = 1;
    t->c.connects++;
    t->backoff = t->o.backoff_min_ns;
    t->sess_seq = 0; /* RFC 7011 §3.1: per transport session */
    return 1;
}

static int sx_poll(struct ns_xport *x, uint64_t now)
{
    struct sx *t = (struct sx *)x;
    if (t->st == DOWN && now >= t->next_try) {
        struct ns_error e;
        if (!t->s && t->be->socket(&t->s, &t->ep, t->ss.ss_family, &e) < 0) {
            disconnect(t, now);
            return 0;
        }
        int rc = t->be->connect(t->s, (struct sockaddr *)&t->ss, t->sl);
        if (rc < 0) {
            disconnect(t, now);
            return 0;
        }
        t->st = CONNECTING;
        t->since = now;
    }
    if (t->st == CONNECTING) {
        int ev = drain(t);
        if (ev == NS_SCTP_UP)
            return session_up(t);
        if (ev == NS_SCTP_DOWN || now - t->since > CONNECT_TIMEOUT_NS)
            disconnect(t, now);
        return 0;
    }
    if (t->st == UP || t->st == CLOSING) {
        /* the collector shutting down gracefully: what was handed over is
         * still delivered (or reported failed); new messages queue for
         * the next association */
        int ev = drain(t);
        if (ev == NS_SCTP_SHUTDOWN)
            t->st = CLOSING;
        if (ev == NS_SCTP_DOWN || (t->st == CLOSING && t->dry))
            disconnect(t, now);
    }
    flush_queue(t);
    return 0;
}

static void drop(struct sx *t, uint32_t nrec, uint32_t nflow)
{
    t->c.dropped_messages++;
    t->c.dropped_records += nrec;
    t->c.dropped_flows += nflow;
}

/* Hand one message to the stack (up); 1 sent, 0 not taken (no room and
 * wait false, or the association is closing: the caller keeps it), -1
 * dropped and counted. */
static int put(struct sx *t, uint8_t *msg, size_t len, uint32_t nrec, uint32_t nflow, int wait)
{
    /* RFC 6526: a domain's templates and data share its stream, so ordered
     * delivery puts each template before the records that use it */
    uint32_t dom = len >= NS_MSG_HDR_LEN ? ns_be32(msg + 12) : 0;
    uint16_t sid = (uint16_t)(1 + dom % (NS_SCTP_STREAMS - 1));
    /* RFC 7011 §10.2.4.3: templates reliably; data with timed reliability
     * (RFC 5474 §8.3: reports older than the bound are dropped, counted) */
    uint32_t ttl = t->front || has_templates(msg, len) ? 0 : t->o.sctp_ttl_ms;
    if (len >= NS_MSG_HDR_LEN)
        ns_put32(msg + 8, t->sess_seq);
    uint64_t deadline = 0;
    for (;;) {
        ssize_t n = t->be->send(t->s, msg, len, sid, ttl, pack_ctx(nrec, nflow));
        if (n >= 0)
            break;
        uint64_t now = mono_ns();
        if (n == -EAGAIN || n == -EWOULDBLOCK || n == -ENOBUFS || n == -EINTR) {
            if (!wait)
                return 0;
            if (!deadline)
                deadline = now + t->o.send_timeout_ns;
            if (now < deadline) {
                int ev = drain(t);
                if (ev == NS_SCTP_SHUTDOWN) {
                    t->st = CLOSING;
                    return 0;
                }
                if (ev == NS_SCTP_DOWN) {
                    disconnect(t, now);
                } else {
                    struct timespec ts = {0, 1000000};
                    nanosleep(&ts, NULL);
                    continue;
                }
            }
        } else if (drain(t) == NS_SCTP_SHUTDOWN || t->st == CLOSING) {
            t->st = CLOSING; /* refused because the peer is shutting down */
            return 0;
        } else {
            t->c.send_errors++;
            disconnect(t, now);
        }
        drop(t, nrec, nflow);
        return -1;
    }
    t->dry = 0;
    t->sess_seq += nrec;
    t->c.messages++;
    t->c.records += nrec;
    t->c.flows += nflow;
    t->c.octets += len;
    return 1;
}

/* Send what waited for the association, in order. */
static void flush_queue(struct sx *t)
{
    while (t->st == UP && !t->front && !t->hold && t->qi < t->qn) {
        struct qent *e = &t->qe[t->qi];
        if (put(t, t->q + e->off, e->len, e->nrec, e->nflow, 0) == 0)
            return;
        t->qi++;
    }
    if (t->qi == t->qn)
        t->qi = t->qn = t->qlen = 0;
}

static int sx_send(struct ns_xport *x, uint8_t *msg, size_t len, uint32_t nrec, uint32_t nflow)
{
    struct sx *t = (struct sx *)x;
    flush_queue(t);
    if (t->st == UP && (t->front || (!t->hold && t->qi == t->qn))) {
        int r = put(t, msg, len, nrec, nflow, 1);
        if (r != 0)
            return r < 0 ? NS_EFULL : NS_OK;
    }
    /* not up yet, or behind queued messages: queue (bounded) */
    if (t->qlen + len > t->qcap || t->qn == t->qecap) {
        drop(t, nrec, nflow);
        return NS_EFULL;
    }
    memcpy(t->q + t->qlen, msg, len);
    t->qe[t->qn++] = (struct qent){(uint32_t)t->qlen, (uint32_t)len, nrec, nflow};
    t->qlen += len;
    return NS_OK;
}

static int sx_idle(const struct ns_xport *x)
{
    const struct sx *t = (const struct sx *)x;
    /* SCTP_STATUS counts chunks, not messages still in the stream queues,
     * so the sender-dry notification is needed too (a dry event read after
     * a later send can be stale: hence both) */
    return t->qi == t->qn &&
           ((t->st != UP && t->st != CLOSING) || (t->dry && t->be->pending(t->s) == 0));
}

static void sx_set_front(struct ns_xport *x, int front)
{
    struct sx *t = (struct sx *)x;
    t->front = front;
    if (!front) {
        t->hold = 0;
        flush_queue(t);
    }
}

static int sx_up(const struct ns_xport *x)
{
    return ((const struct sx *)x)->st == UP;
}

static int sx_local(const struct ns_xport *x, struct sockaddr_storage *ss)
{
    const struct sx *t = (const struct sx *)x;
    return t->s && t->be->local(t->s, ss);
}

static const struct ns_xport_counts *sx_counts(const struct ns_xport *x)
{
    return &((const struct sx *)x)->c;
}

static void sx_close(struct ns_xport *x, struct ns_xport_counts *final)
{
    struct sx *t = (struct sx *)x;
    if (t->s && t->st == UP) {
        drain(t);
        if (!t->dry) {
            /* still unacknowledged after the linger: abort so that the stack
             * reports each message as failed, and count them */
            t->be->abort(t->s);
            uint64_t until = mono_ns() + 200000000u;
            while (mono_ns() < until && drain(t) != NS_SCTP_DOWN) {
                struct timespec ts = {0, 2000000};
                nanosleep(&ts, NULL);
            }
            drain(t);
        }
    }
    for (; t->qi < t->qn; t->qi++)
        drop(t, t->qe[t->qi].nrec, t->qe[t->qi].nflow);
    if (t->s)
        t->be->close(t->s);
    if (final)
        *final = t->c;
    free(t->rbuf);
    free(t->q);
    free(t->qe);
    free(t);
}

#define SX_OPS(name, sch)                                                                          \
    const struct ns_xport_ops name = {                                                             \
        .scheme = sch,                                                                             \
        .datagram = 0,                                                                             \
        .open = sx_open,                                                                           \
        .send = sx_send,                                                                           \
        .poll = sx_poll,                                                                           \
        .idle = sx_idle,                                                                           \
        .set_front = sx_set_front,                                                                 \
        .up = sx_up,                                                                               \
        .local = sx_local,                                                                         \
        .counts = sx_counts,                                                                       \
        .close = sx_close,                                                                         \
    }

SX_OPS(ns_xport_sctp, "sctp");
SX_OPS(ns_xport_sctp_udp, "sctp+udp");

/* ---- collector side ---- */

static unsigned port_of(const struct sockaddr_storage *ss)
{
    /* the analyzer loses track of what getsockname()/getaddrinfo() filled */
    // NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage)
    return ntohs(ss->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)ss)->sin6_port
                                           : ((const struct sockaddr_in *)ss)->sin_port);
}

static void set_port(struct sockaddr_storage *ss, unsigned port)
{
    if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
}

/* A free UDP port on the family's any-address. */
static unsigned any_udp_port(int family)
{
    int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_storage ss = {0};
    ss.ss_family = (sa_family_t)family;
    socklen_t sl = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    unsigned port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&ss, sl) == 0 &&
        getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        port = port_of(&ss);
    if (fd >= 0)
        close(fd);
    return port;
}

int ns_sctp_listen(struct ns_sctp_listener *l, const struct ns_endpoint *ep,
                   struct ns_sctp_sock_addr *bound, struct ns_error *err)
{
    memset(l, 0, sizeof *l);
    struct ns_endpoint e = *ep;
    struct sockaddr_storage ss = {0};
    socklen_t sl = 0;
    int rc = ns_endpoint_resolve(&e, 1, &ss, &sl, err);
    if (rc < 0)
        return rc;
    l->be = ns_sctp_backend_for(&e);
    if (e.kind == NS_TP_SCTP_UDP) {
        /* the SCTP port is the UDP port unless ?udp= says otherwise; port 0:
         * one free UDP port for both */
        if (!port_of(&ss)) {
            unsigned p = e.udp_port ? e.udp_port : any_udp_port(ss.ss_family);
            if (!p)
                return ns_error_set(err, NS_EIO, "%s: no free UDP port", ep->url);
            set_port(&ss, p);
        }
        if (!e.udp_port)
            e.udp_port = port_of(&ss);
    }
    if ((rc = l->be->socket(&l->s, &e, ss.ss_family, err)) < 0)
        return rc;
    int r = l->be->listen(l->s, (struct sockaddr *)&ss, sl);
    if (r < 0) {
        l->be->close(l->s);
        l->s = NULL;
        return ns_error_set(err, NS_EIO, "%s: %s", ep->url, strerror(-r));
    }
    if (!l->be->local(l->s, &bound->ss))
        bound->ss = ss;
    if (e.kind == NS_TP_SCTP_UDP)
        bound->udp_port = e.udp_port;
    return NS_OK;
}

int ns_sctp_accept(struct ns_sctp_listener *l, struct ns_sctp_conn *c,
                   struct sockaddr_storage *peer, socklen_t *pl)
{
    memset(c, 0, sizeof *c);
    struct ns_sctp_sock *s;
    if (l->be->accept(l->s, &s, peer, pl) < 0)
        return 0;
    if (!(c->buf = malloc(RBUF))) {
        l->be->close(s);
        return 0;
    }
    c->be = l->be;
    c->s = s;
    return 1;
}

void ns_sctp_conn_shutdown(struct ns_sctp_conn *c)
{
    if (c->s)
        c->be->shutdown(c->s);
}

ssize_t ns_sctp_conn_read(struct ns_sctp_conn *c, const uint8_t **msg)
{
    if (c->done) {
        c->len = 0;
        c->done = 0;
    }
    for (;;) {
        struct ns_sctp_rcv r;
        size_t room = RBUF - c->len;
        if (!room) { /* longer than any IPFIX message: skip to its end */
            c->len = 0;
            c->oversize = 1;
            room = RBUF;
        }
        ssize_t n = c->be->recv(c->s, c->buf + c->len, room, &r);
        if (n == -EAGAIN || n == -EWOULDBLOCK || n == -EINTR)
            return 0;
        if (n <= 0)
            return -1;
        if (r.ev != NS_SCTP_DATA) {
            c->notifications++;
            if (r.ev == NS_SCTP_DOWN)
                return -1;
            continue;
        }
        c->len += (size_t)n;
        if (!r.eor)
            continue;
        if (c->oversize) {
            c->oversize = 0;
            c->len = 0;
            c->oversized++;
            continue;
        }
        c->done = 1;
        *msg = c->buf;
        return (ssize_t)c->len;
    }
}

void ns_sctp_conn_close(struct ns_sctp_conn *c)
{
    if (c->s)
        c->be->close(c->s);
    free(c->buf);
    memset(c, 0, sizeof *c);
}

void ns_sctp_listener_close(struct ns_sctp_listener *l)
{
    if (l->s)
        l->be->close(l->s);
    memset(l, 0, sizeof *l);
}
