/*
 * DTLS export (RFC 7011 §10.3 UDP with §11 DTLS, RFC 6347): one connected
 * UDP socket, one DTLS 1.2 session on it, one IPFIX message per DTLS
 * record per datagram.
 *
 * Datagram semantics as over UDP: the exporter refreshes templates by time
 * and message count, and keeps each message within the path MTU less the
 * IP and UDP headers and NS_DTLS_OVERHEAD; OpenSSL is told the MTU
 * (DTLS_set_link_mtu, no path MTU queries) so its handshake messages are
 * fragmented to fit too.  A message the socket refuses is dropped and
 * counted, never retried.
 *
 * Unlike UDP there is a session to set up: the handshake runs from poll()
 * (retransmissions by DTLSv1_handle_timeout), and messages given before
 * it is done wait in a bounded queue (xport.buffer octets; the overflow is
 * dropped and counted), behind the templates of the new session.  A
 * session ends when the collector says so (close_notify, e.g. when it
 * stops) or its port is unreachable (ICMP, seen as ECONNREFUSED); a new
 * handshake follows with the reconnect backoff, and being a new transport
 * session it begins with the templates again (RFC 7011 §8) and with
 * sequence number 0: as over TCP, the transport writes each message's
 * sequence number when the message goes out on a session (RFC 7011 §3.1
 * counts per transport session), so the templates of a new session,
 * which go before the messages that waited for it, do not look like
 * reordering.  A message dropped by a full socket buffer still takes its
 * numbers, so the collector sees the loss as over UDP.  A failed
 * handshake counts in handshake_failures and is retried the same way.
 * Limitation: a collector that vanishes without a word and comes back on
 * the same port (kill -9 and restart) does not know the old session, and
 * DTLS has no acknowledgements to tell the exporter so.
 */
#include <errno.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "export/tlsctx.h"
#include "export/transport.h"
#include "ipfix/be.h"

#define HANDSHAKE_NS 10000000000ull

enum { DOWN, HANDSHAKE, UP };

struct qent {
    uint32_t off, len, nrec, nflow;
};

struct dtls {
    struct ns_endpoint ep;
    struct sockaddr_storage ss;
    socklen_t sl;
    struct ns_xport_opts o;
    struct ns_tls *tls;
    int fd, st;
    SSL *ssl;
    uint64_t next_try, backoff, hs_deadline;
    uint8_t *buf; /* messages waiting for a session */
    size_t cap, len;
    struct qent *ent;
    size_t nent, ent_cap;
    int front;
    int hold; /* a new session: no data before its templates (set_front) */
    size_t front_at, front_ent;
    uint32_t sess_seq; /* next sequence number on this session */
    struct ns_xport_counts c;
    char why[160];
};

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void dtls_free(struct dtls *t)
{
    SSL_free(t->ssl);
    if (t->fd >= 0)
        close(t->fd);
    ns_tls_free(t->tls);
    free(t->buf);
    free(t->ent);
    free(t);
}

static int dtls_open(struct ns_xport **out, const struct ns_endpoint *ep,
                     const struct ns_xport_opts *o, struct ns_error *err)
{
    struct dtls *t = calloc(1, sizeof *t);
    if (!t)
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    t->fd = -1;
    int rc = ns_tls_new(&t->tls, o->tls, 0, 1, ep->url, err);
    if (rc == NS_OK)
        rc = ns_endpoint_resolve(ep, 0, &t->ss, &t->sl, err);
    if (rc < 0) {
        dtls_free(t);
        return rc;
    }
    t->ep = *ep;
    t->o = *o;
    t->cap = o->buffer ? o->buffer : (1u << 20);
    t->ent_cap = t->cap / 16 + 1;
    t->buf = malloc(t->cap);
    t->ent = calloc(t->ent_cap, sizeof *t->ent);
    if (!t->buf || !t->ent) {
        dtls_free(t);
        return ns_error_set(err, NS_ENOMEM, "%s: out of memory", ep->url);
    }
    t->st = DOWN;
    t->backoff = o->backoff_min_ns;
    *out = (struct ns_xport *)t;
    return NS_OK;
}

static void disconnect(struct dtls *t, uint64_t now)
{
    if (t->st == UP)
        t->c.disconnects++;
    SSL_free(t->ssl);
    t->ssl = NULL;
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    t->st = DOWN;
    t->next_try = now + t->backoff;
    t->backoff = t->backoff * 2 > t->o.backoff_max_ns ? t->o.backoff_max_ns : t->backoff * 2;
}

static int handshake_failed(struct dtls *t, uint64_t now)
{
    t->c.handshake_failures++;
    disconnect(t, now);
    return 0;
}

static int handshake(struct dtls *t, uint64_t now)
{
    ERR_clear_error();
    int r = SSL_do_handshake(t->ssl);
    if (r == 1) {
        t->st = UP;
        /* the message the exporter flushes before it puts the templates
         * in front waits behind them (RFC 7011 §8) */
        t->hold = 1;
        t->sess_seq = 0;
        t->c.connects++;
        t->backoff = t->o.backoff_min_ns;
        return 1; /* why keeps the last failure for the summary */
    }
    int e = SSL_get_error(t->ssl, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        ns_tls_why(t->ssl, r, t->why, sizeof t->why);
        return handshake_failed(t, now);
    }
    if (now >= t->hs_deadline) {
        snprintf(t->why, sizeof t->why, "DTLS handshake timed out");
        return handshake_failed(t, now);
    }
    DTLSv1_handle_timeout(t->ssl); /* retransmit a lost flight */
    return 0;
}

static int try_connect(struct dtls *t, uint64_t now)
{
    t->fd = socket(t->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    BIO_ADDR *peer = ns_tls_bio_addr(&t->ss);
    BIO *bio = NULL;
    ERR_clear_error();
    if (t->fd < 0 || !peer || connect(t->fd, (struct sockaddr *)&t->ss, t->sl) != 0 ||
        !(t->ssl = ns_tls_ssl(t->tls, t->ep.host)) || !(bio = BIO_new_dgram(t->fd, BIO_NOCLOSE))) {
        snprintf(t->why, sizeof t->why, "%s", t->fd < 0 ? strerror(errno) : "DTLS set-up failed");
        BIO_ADDR_free(peer);
        return handshake_failed(t, now);
    }
    int sz = 4 << 20;
    setsockopt(t->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, peer);
    BIO_ADDR_free(peer);
    SSL_set_bio(t->ssl, bio, bio);
    /* our MTU setting, not the kernel's guess (RFC 7011 §10.3.3) */
    SSL_set_options(t->ssl, SSL_OP_NO_QUERY_MTU);
    DTLS_set_link_mtu(t->ssl, t->o.mtu ? t->o.mtu : 1500);
    SSL_set_connect_state(t->ssl);
    t->st = HANDSHAKE;
    t->hs_deadline = now + HANDSHAKE_NS;
    return handshake(t, now);
}

static void count_drop(struct dtls *t, uint32_t nrec, uint32_t nflow)
{
    t->c.dropped_messages++;
    t->c.dropped_records += nrec;
    t->c.dropped_flows += nflow;
}

/* 1: sent; 0: refused (dropped); -1: the session is gone (keep it). */
static int write_one(struct dtls *t, uint8_t *msg, size_t len, uint32_t nrec, uint32_t nflow)
{
    ns_put32(msg + 8, t->sess_seq);
    ERR_clear_error();
    errno = 0;
    int r = SSL_write(t->ssl, msg, (int)len);
    if (r == (int)len) {
        t->sess_seq += nrec;
        t->c.messages++;
        t->c.records += nrec;
        t->c.flows += nflow;
        t->c.octets += len;
        return 1;
    }
    int e = SSL_get_error(t->ssl, r);
    t->c.send_errors++;
    if (e == SSL_ERROR_WANT_WRITE || (e == SSL_ERROR_SYSCALL && errno == EAGAIN)) {
        t->sess_seq += nrec;
        count_drop(t, nrec, nflow); /* like UDP: a full socket buffer drops */
        return 0;
    }
    ns_tls_why(t->ssl, r, t->why, sizeof t->why);
    disconnect(t, mono_ns());
    return -1;
}

static void flush_queue(struct dtls *t)
{
    size_t k = 0;
    while (k < t->nent && t->st == UP) {
        const struct qent *q = &t->ent[k];
        if (write_one(t, t->buf + q->off, q->len, q->nrec, q->nflow) < 0)
            break;
        k++;
    }
    if (!k)
        return;
    size_t bytes = k < t->nent ? t->ent[k].off : t->len;
    memmove(t->buf, t->buf + bytes, t->len - bytes);
    memmove(t->ent, t->ent + k, (t->nent - k) * sizeof *t->ent);
    t->nent -= k;
    for (size_t i = 0; i < t->nent; i++)
        t->ent[i].off -= (uint32_t)bytes;
    t->len -= bytes;
}

static int enqueue(struct dtls *t, const uint8_t *msg, size_t len, uint32_t nrec, uint32_t nflow)
{
    if (t->len + len > t->cap || t->nent == t->ent_cap) {
        count_drop(t, nrec, nflow);
        return NS_EFULL;
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
    return NS_OK;
}

static int dtls_send(struct ns_xport *x, uint8_t *msg, size_t len, uint32_t nrec, uint32_t nflow)
{
    struct dtls *t = (struct dtls *)x;
    if (t->st == UP && !t->nent && !t->hold) {
        int r = write_one(t, msg, len, nrec, nflow);
        if (r > 0)
            return NS_OK;
        if (r == 0)
            return NS_EFULL;
    }
    return enqueue(t, msg, len, nrec, nflow);
}

static int dtls_poll(struct ns_xport *x, uint64_t now)
{
    struct dtls *t = (struct dtls *)x;
    if (t->st == DOWN && now >= t->next_try)
        return try_connect(t, now);
    if (t->st == HANDSHAKE)
        return handshake(t, now);
    if (t->st != UP)
        return 0;
    uint8_t junk[512];
    for (;;) {
        ERR_clear_error();
        int r = SSL_read(t->ssl, junk, sizeof junk);
        if (r > 0)
            continue;
        int e = SSL_get_error(t->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            break;
        if (e == SSL_ERROR_ZERO_RETURN)
            snprintf(t->why, sizeof t->why, "the collector ended the DTLS session");
        else
            ns_tls_why(t->ssl, r, t->why, sizeof t->why);
        disconnect(t, now);
        return 0;
    }
    if (t->nent && !t->front && !t->hold)
        flush_queue(t);
    return 0;
}

static int dtls_idle(const struct ns_xport *x)
{
    return ((const struct dtls *)x)->nent == 0;
}

static void dtls_set_front(struct ns_xport *x, int front)
{
    struct dtls *t = (struct dtls *)x;
    t->front = front;
    t->front_at = 0;
    t->front_ent = 0;
    if (!front) {
        t->hold = 0;
        flush_queue(t);
    }
}

static int dtls_up(const struct ns_xport *x)
{
    return ((const struct dtls *)x)->st == UP;
}

static int dtls_local(const struct ns_xport *x, struct sockaddr_storage *ss)
{
    const struct dtls *t = (const struct dtls *)x;
    socklen_t sl = sizeof *ss;
    return t->fd >= 0 && getsockname(t->fd, (struct sockaddr *)ss, &sl) == 0;
}

static const struct ns_xport_counts *dtls_counts(const struct ns_xport *x)
{
    return &((const struct dtls *)x)->c;
}

static const char *dtls_last_error(const struct ns_xport *x)
{
    return ((const struct dtls *)x)->why;
}

static void dtls_close(struct ns_xport *x, struct ns_xport_counts *final)
{
    struct dtls *t = (struct dtls *)x;
    for (size_t i = 0; i < t->nent; i++)
        count_drop(t, t->ent[i].nrec, t->ent[i].nflow);
    t->nent = 0;
    if (t->st == UP) {
        ERR_clear_error();
        SSL_shutdown(t->ssl); /* close_notify: the collector ends the session */
        ERR_clear_error();
    }
    if (final)
        *final = t->c;
    dtls_free(t);
}

const struct ns_xport_ops ns_xport_dtls = {
    .scheme = "dtls",
    .datagram = 1,
    .overhead = NS_DTLS_OVERHEAD,
    .open = dtls_open,
    .send = dtls_send,
    .poll = dtls_poll,
    .idle = dtls_idle,
    .set_front = dtls_set_front,
    .up = dtls_up,
    .local = dtls_local,
    .counts = dtls_counts,
    .last_error = dtls_last_error,
    .close = dtls_close,
};
