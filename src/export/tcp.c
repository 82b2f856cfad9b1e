/*
 * TCP export (RFC 7011 §10.4): a non-blocking connection with a bounded
 * queue of whole messages.
 *
 * Messages stay queued until the peer's TCP has acknowledged them
 * (SIOCOUTQ tells how much of what was written is still unacknowledged),
 * so when the collector goes away the unacknowledged ones are sent again
 * on the next connection instead of vanishing in a dead socket's buffer.
 * Each connection is a new transport session: sequence numbers start at 0
 * (RFC 7011 §3.1 counts per stream) and are written into each message as
 * it is first written on that connection; the exporter puts the type
 * records and all templates in front of the queue, and nothing is written
 * on a new connection before they are there (`hold`: the exporter may
 * flush a message in formation before its templates, and what is
 * already written cannot have anything put in front of it).  A collector that
 * half-closes (FIN) is shutting down in order: what was written is let
 * drain for up to two seconds and then counts as delivered.
 *
 * Reconnects back off exponentially from backoff_min to backoff_max.  A
 * message that finds the queue full waits up to send_timeout for the
 * connected peer to take data, else it is dropped and counted; while
 * disconnected it is dropped at once.
 *
 * TLS (tls.c) is this transport with a layer (stream.h) between the queue
 * and the socket: a HANDSHAKE state between CONNECTING and UP, writes
 * through the layer, and acknowledgements mapped from ciphertext back to
 * plaintext by the layer.  Plain TCP has no layer and takes the paths it
 * always took.
 */
#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "export/stream.h"
#include "export/transport.h"
#include "ipfix/be.h"

#define HANDSHAKE_NS 10000000000ull /* a handshake not done by then failed */

enum { DOWN, CONNECTING, HANDSHAKE, UP };

struct qent {
    uint32_t off, len, nrec, nflow;
};

struct tcp {
    struct ns_endpoint ep;
    struct sockaddr_storage ss;
    socklen_t sl;
    struct ns_xport_opts o;
    int fd, st;
    uint64_t next_try, backoff;
    uint8_t *buf;
    size_t cap, len;
    struct qent *ent;
    size_t nent, ent_cap;
    size_t wr;      /* buf[0, wr) written on the current connection */
    size_t acked;   /* buf[0, acked) acknowledged by the peer */
    size_t seq_ent; /* entries [0, seq_ent) carry this session's numbers */
    uint32_t sess_seq;
    int front;
    int hold; /* a new session: nothing goes out before its templates */
    size_t front_at, front_ent;
    struct ns_xport_counts c;
    /* the layer (TLS) or none */
    const struct ns_stream_layer *ly;
    void *lycfg, *lyconn;
    uint64_t base; /* layer: plaintext trimmed from the queue on this connection */
    uint64_t hs_deadline;
    char why[NS_STREAM_WHY];
};

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int ns_stream_open(struct ns_xport **out, const struct ns_endpoint *ep,
                   const struct ns_xport_opts *o, const struct ns_stream_layer *ly, void *cfg,
                   struct ns_error *err)
{
    struct tcp *t = calloc(1, sizeof *t);
    if (!t) {
        if (ly)
            ly->free_cfg(cfg);
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    }
    t->ly = ly;
    t->lycfg = cfg;
    int rc = ns_endpoint_resolve(ep, 0, &t->ss, &t->sl, err);
    if (rc < 0) {
        if (ly)
            ly->free_cfg(cfg);
        free(t);
        return rc;
    }
    t->ep = *ep;
    t->o = *o;
    t->cap = o->buffer ? o->buffer : (4u << 20);
    if (t->cap < (256u << 10))
        t->cap = (256u << 10);
    t->ent_cap = t->cap / 16 + 1;
    t->buf = malloc(t->cap);
    t->ent = calloc(t->ent_cap, sizeof *t->ent);
    if (!t->buf || !t->ent) {
        size_t cap = t->cap;
        free(t->buf);
        free(t->ent);
        if (ly)
            ly->free_cfg(cfg);
        free(t);
        return ns_error_set(err, NS_ENOMEM, "%s: out of memory for a %zu-octet buffer", ep->url,
                            cap);
    }
    t->fd = -1;
    t->st = DOWN;
    t->backoff = o->backoff_min_ns;
    *out = (struct ns_xport *)t;
    return NS_OK;
}

static int tcp_open(struct ns_xport **out, const struct ns_endpoint *ep,
                    const struct ns_xport_opts *o, struct ns_error *err)
{
    return ns_stream_open(out, ep, o, NULL, NULL, err);
}

/* Remove the acknowledged messages from the front of the queue. */
static void trim(struct tcp *t)
{
    size_t k = 0, bytes = 0;
    while (k < t->nent && t->ent[k].off + t->ent[k].len <= t->acked) {
        t->c.messages++;
        t->c.records += t->ent[k].nrec;
        t->c.flows += t->ent[k].nflow;
        t->c.octets += t->ent[k].len;
        bytes += t->ent[k].len;
        k++;
    }
    if (!k)
        return;
    memmove(t->buf, t->buf + bytes, t->len - bytes);
    memmove(t->ent, t->ent + k, (t->nent - k) * sizeof *t->ent);
    t->nent -= k;
    for (size_t i = 0; i < t->nent; i++)
        t->ent[i].off -= (uint32_t)bytes;
    t->len -= bytes;
    t->wr -= bytes;
    t->acked -= bytes;
    t->base += bytes;
    t->seq_ent = t->seq_ent > k ? t->seq_ent - k : 0;
}

static void update_acked(struct tcp *t)
{
    int outq = 0;
    if (t->ly) {
        if (t->st == UP && ioctl(t->fd, SIOCOUTQ, &outq) == 0 && outq >= 0) {
            uint64_t a = t->ly->acked(t->lyconn, (size_t)outq);
            a = a > t->base ? a - t->base : 0;
            t->acked = a < t->wr ? (size_t)a : t->wr;
        }
        return;
    }
    if (t->st == UP && ioctl(t->fd, SIOCOUTQ, &outq) == 0 && outq >= 0 && (size_t)outq <= t->wr)
        t->acked = t->wr - (size_t)outq;
}

static void layer_stop(struct tcp *t)
{
    if (t->ly && t->lyconn) {
        t->ly->stop(t->lyconn);
        t->lyconn = NULL;
    }
}

/* The connection is gone: keep what was not acknowledged for the next one. */
static void disconnect(struct tcp *t, uint64_t now)
{
    trim(t);
    layer_stop(t);
    close(t->fd);
    t->fd = -1;
    if (t->st == UP)
        t->c.disconnects++;
    t->st = DOWN;
    t->wr = t->acked = 0;
    t->seq_ent = 0;
    t->next_try = now + t->backoff;
    t->backoff = t->backoff * 2 > t->o.backoff_max_ns ? t->o.backoff_max_ns : t->backoff * 2;
}

/* The collector half-closed: let what was written drain, then close. */
static void orderly_close(struct tcp *t, uint64_t now)
{
    if (t->ly && t->lyconn)
        t->ly->goodbye(t->lyconn);
    shutdown(t->fd, SHUT_WR);
    uint64_t until = mono_ns() + 2000000000u;
    for (;;) {
        int outq = 0;
        if (ioctl(t->fd, SIOCOUTQ, &outq) != 0 || outq <= 0 || mono_ns() > until)
            break;
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    update_acked(t);
    disconnect(t, now);
}

static void write_some(struct tcp *t, uint64_t now)
{
    if (t->st != UP || t->front || t->hold)
        return;
    for (; t->seq_ent < t->nent; t->seq_ent++) {
        ns_put32(t->buf + t->ent[t->seq_ent].off + 8, t->sess_seq);
        t->sess_seq += t->ent[t->seq_ent].nrec;
    }
    while (t->wr < t->len) {
        ssize_t n;
        if (t->ly) {
            n = t->ly->write(t->lyconn, t->buf + t->wr, t->len - t->wr, t->why);
            if (n == 0)
                return;
            if (n < 0) {
                t->c.send_errors++;
                disconnect(t, now);
                return;
            }
        } else {
            n = send(t->fd, t->buf + t->wr, t->len - t->wr, MSG_DONTWAIT | MSG_NOSIGNAL);
        }
        if (n > 0) {
            t->wr += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        t->c.send_errors++;
        disconnect(t, now);
        return;
    }
}

static void drop_tail(struct tcp *t)
{
    struct qent *e = &t->ent[--t->nent];
    t->c.dropped_messages++;
    t->c.dropped_records += e->nrec;
    t->c.dropped_flows += e->nflow;
    t->len = e->off;
    if (t->seq_ent > t->nent)
        t->seq_ent = t->nent;
}

static int tcp_send(struct ns_xport *x, uint8_t *msg, size_t len, uint32_t nrec, uint32_t nflow)
{
    struct tcp *t = (struct tcp *)x;
    uint64_t deadline = 0;
    while (t->len + len > t->cap || t->nent == t->ent_cap) {
        update_acked(t);
        trim(t);
        if (t->len + len <= t->cap && t->nent < t->ent_cap)
            break;
        if (t->front && t->nent > 0 && t->front_ent < t->nent) {
            drop_tail(t); /* templates of a new session go before data */
            continue;
        }
        uint64_t now = mono_ns();
        if (!deadline)
            deadline = now + t->o.send_timeout_ns;
        if (t->st != UP || now >= deadline) {
            t->c.dropped_messages++;
            t->c.dropped_records += nrec;
            t->c.dropped_flows += nflow;
            return NS_EFULL;
        }
        struct pollfd p = {t->fd, POLLOUT, 0};
        poll(&p, 1, 10);
        write_some(t, now);
    }
    size_t at = t->front ? t->front_at : t->len;
    size_t ei = t->front ? t->front_ent : t->nent;
    if (at < t->len) {
        memmove(t->buf + at + len, t->buf + at, t->len - at);
        memmove(t->ent + ei + 1, t->ent + ei, (t->nent - ei) * sizeof *t->ent);
        for (size_t i = ei + 1; i <= t->nent; i++)
            t->ent[i].off += (uint32_t)len;
    }
    memcpy(t->buf + at, msg, len);
    t->ent[ei] = (struct qent){(uint32_t)at, (uint32_t)len, nrec, nflow};
    t->nent++;
    t->len += len;
    if (t->front) {
        t->front_at += len;
        t->front_ent++;
    }
    write_some(t, mono_ns());
    return NS_OK;
}

static int try_connect(struct tcp *t, uint64_t now)
{
    t->fd = socket(t->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (t->fd < 0) {
        t->next_try = now + t->backoff;
        return 0;
    }
    int one = 1;
    setsockopt(t->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(t->fd, (struct sockaddr *)&t->ss, t->sl) == 0) {
        if (t->ly) { /* the handshake comes first: poll() goes on */
            t->st = CONNECTING;
            return 0;
        }
        t->st = UP;
        return 1;
    }
    if (errno == EINPROGRESS) {
        t->st = CONNECTING;
        return 0;
    }
    t->st = CONNECTING; /* so disconnect() backs off without counting */
    disconnect(t, now);
    return 0;
}

static int session_up(struct tcp *t)
{
    t->st = UP;
    t->hold = 1; /* until the exporter's templates are in front (set_front) */
    t->c.connects++;
    t->backoff = t->o.backoff_min_ns;
    t->wr = t->acked = 0;
    t->base = 0;
    t->seq_ent = 0;
    t->sess_seq = 0;
    return 1;
}

/* A handshake that failed or took too long: counted, retried later. */
static int handshake_failed(struct tcp *t, uint64_t now)
{
    t->c.handshake_failures++;
    disconnect(t, now);
    return 0;
}

/* Step the layer's handshake; 1 when the session is up. */
static int handshake(struct tcp *t, uint64_t now)
{
    int r = t->ly->handshake(t->lyconn, t->why);
    if (r > 0)
        return session_up(t);
    if (r < 0)
        return handshake_failed(t, now);
    if (now >= t->hs_deadline) {
        snprintf(t->why, sizeof t->why, "%s handshake timed out", t->ly->name);
        return handshake_failed(t, now);
    }
    return 0;
}

/* TCP is up: plain TCP has a session, a layer starts its handshake. */
static int connected(struct tcp *t, uint64_t now)
{
    if (!t->ly)
        return session_up(t);
    if (t->ly->start(t->lycfg, t->fd, t->ep.host, &t->lyconn, t->why) < 0)
        return handshake_failed(t, now);
    t->st = HANDSHAKE;
    t->hs_deadline = now + HANDSHAKE_NS;
    return handshake(t, now);
}

static int tcp_poll(struct ns_xport *x, uint64_t now)
{
    struct tcp *t = (struct tcp *)x;
    if (t->st == DOWN && now >= t->next_try && try_connect(t, now))
        return session_up(t);
    if (t->st == HANDSHAKE)
        return handshake(t, now);
    if (t->st == CONNECTING) {
        struct pollfd p = {t->fd, POLLOUT, 0};
        if (poll(&p, 1, 0) <= 0)
            return 0;
        int e = 0;
        socklen_t el = sizeof e;
        if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0 || e != 0) {
            if (t->ly)
                snprintf(t->why, sizeof t->why, "connect: %s", strerror(e));
            disconnect(t, now);
            return 0;
        }
        return connected(t, now);
    }
    if (t->st != UP)
        return 0;
    if (t->ly) {
        int r = t->ly->read(t->lyconn, t->why);
        if (r == 0) {
            orderly_close(t, now);
            return 0;
        }
        if (r < 0) {
            disconnect(t, now);
            return 0;
        }
    } else {
        char junk[512];
        ssize_t n = recv(t->fd, junk, sizeof junk, MSG_DONTWAIT);
        if (n == 0) {
            orderly_close(t, now);
            return 0;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            disconnect(t, now);
            return 0;
        }
    }
    write_some(t, now);
    if (t->st == UP) {
        update_acked(t);
        if (t->acked >= t->cap / 8 || t->acked == t->len)
            trim(t);
    }
    return 0;
}

static int tcp_idle(const struct ns_xport *x)
{
    const struct tcp *t = (const struct tcp *)x;
    return t->nent == 0;
}

static void tcp_set_front(struct ns_xport *x, int front)
{
    struct tcp *t = (struct tcp *)x;
    t->front = front;
    t->front_at = 0;
    t->front_ent = 0;
    if (!front) {
        t->hold = 0;
        write_some(t, mono_ns());
    }
}

static int tcp_up(const struct ns_xport *x)
{
    return ((const struct tcp *)x)->st == UP;
}

static int tcp_local(const struct ns_xport *x, struct sockaddr_storage *ss)
{
    const struct tcp *t = (const struct tcp *)x;
    socklen_t sl = sizeof *ss;
    return t->fd >= 0 && getsockname(t->fd, (struct sockaddr *)ss, &sl) == 0;
}

static const struct ns_xport_counts *tcp_counts(const struct ns_xport *x)
{
    /* the queue gauge is computed when asked: counts() is const, the
     * transport itself never is */
    struct tcp *t = (struct tcp *)x; // NOLINT(clang-diagnostic-cast-qual)
    t->c.queued_octets = t->len - t->acked;
    return &t->c;
}

static const char *tcp_last_error(const struct ns_xport *x)
{
    return ((const struct tcp *)x)->why;
}

static void tcp_close(struct ns_xport *x, struct ns_xport_counts *final)
{
    struct tcp *t = (struct tcp *)x;
    if (t->st == UP) {
        update_acked(t);
        trim(t);
    }
    while (t->nent)
        drop_tail(t);
    if (t->ly && t->lyconn && t->st == UP)
        t->ly->goodbye(t->lyconn);
    layer_stop(t);
    if (t->ly)
        t->ly->free_cfg(t->lycfg);
    if (t->fd >= 0)
        close(t->fd);
    if (final)
        *final = t->c;
    free(t->buf);
    free(t->ent);
    free(t);
}

const struct ns_xport_ops ns_xport_tcp = {
    .scheme = "tcp",
    .datagram = 0,
    .open = tcp_open,
    .send = tcp_send,
    .poll = tcp_poll,
    .idle = tcp_idle,
    .set_front = tcp_set_front,
    .up = tcp_up,
    .local = tcp_local,
    .counts = tcp_counts,
    .last_error = tcp_last_error,
    .close = tcp_close,
};

/* TLS over TCP: the same queue with the TLS layer (tls.c opens it). */
const struct ns_xport_ops ns_xport_tls = {
    .scheme = "tls",
    .datagram = 0,
    .open = ns_tls_xport_open,
    .send = tcp_send,
    .poll = tcp_poll,
    .idle = tcp_idle,
    .set_front = tcp_set_front,
    .up = tcp_up,
    .local = tcp_local,
    .counts = tcp_counts,
    .last_error = tcp_last_error,
    .close = tcp_close,
};
