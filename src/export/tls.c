/*
 * TLS export (RFC 7011 §10.4.1 TCP with §11 TLS): the TCP stream transport
 * (tcp.c) with OpenSSL as its layer (stream.h), policy from tlsctx.h.
 *
 * Acknowledgements through TLS: the queue must keep a message until the
 * peer's TCP has acknowledged it, but SIOCOUTQ counts ciphertext.  Every
 * SSL_write (at most one TLS record's worth, 16 KiB, so the granularity
 * stays near TCP's) notes the plaintext written so far and the ciphertext
 * the socket BIO has written so far (BIO_number_written, which includes
 * the handshake); the ciphertext acknowledged is that total less
 * SIOCOUTQ, and every write whose ciphertext ends at or before it is
 * acknowledged.  The notes sit in a fixed ring; when it is full, writing
 * waits for acknowledgements (back-pressure, no allocation).
 *
 * TLS 1.3 finishes the client's side of the handshake before the server
 * has looked at the client's certificate; a server that rejects it says
 * so with an alert a moment later, after data may already have been
 * written and acknowledged by TCP (and thrown away by the server).  So a
 * TLS 1.3 session counts as up only once the server has sent a
 * post-handshake message (netsift's collector sends one session ticket
 * for this, after checking the certificate) or CONFIRM_NS went by
 * without an alert; a rejection in that window is a failed handshake.
 *
 * SSL_write with partial writes off either takes the whole chunk or asks
 * to be called again with the same length (kept in `pend`); the queue may
 * have moved meanwhile (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER).
 */
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "export/stream.h"
#include "export/tlsctx.h"

#define RING       4096
#define CHUNK      16384
#define CONFIRM_NS 1000000000ull /* TLS 1.3: no alert within this: accepted */

struct note {
    uint64_t plain, cipher;
};

struct conn {
    SSL *ssl;
    size_t pend; /* length of a write to retry, 0: none */
    uint64_t plain, acked_plain;
    uint64_t done_at; /* TLS 1.3: when our side of the handshake finished */
    size_t head, n;
    struct note ring[RING];
};

static int tls_start(void *cfg, int fd, const char *host, void **out, char *why)
{
    struct conn *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(why, NS_STREAM_WHY, "out of memory");
        return -1;
    }
    ERR_clear_error();
    c->ssl = ns_tls_ssl(cfg, host);
    if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
        ns_tls_why(c->ssl, 0, why, NS_STREAM_WHY);
        SSL_free(c->ssl);
        free(c);
        return -1;
    }
    SSL_set_connect_state(c->ssl);
    *out = c;
    return 0;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int tls_read(void *conn, char *why);

/* TLS 1.3: has the server accepted us?  1 yes, 0 not yet, -1 no. */
static int confirmed(struct conn *c, char *why)
{
    uint64_t now = mono_ns();
    if (!c->done_at)
        c->done_at = now;
    int r = tls_read(c, why);
    if (r <= 0) {
        if (r == 0)
            snprintf(why, NS_STREAM_WHY, "the collector closed the connection after the handshake");
        return -1;
    }
    if (SSL_SESSION_has_ticket(SSL_get0_session(c->ssl)) || now - c->done_at >= CONFIRM_NS)
        return 1;
    return 0;
}

static int tls_handshake(void *conn, char *why)
{
    struct conn *c = conn;
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        if (SSL_version(c->ssl) >= TLS1_3_VERSION && (r = confirmed(c, why)) <= 0)
            return r;
        return 1; /* why keeps the last failure for the summary */
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return 0;
    ns_tls_why(c->ssl, r, why, NS_STREAM_WHY);
    return -1;
}

static ssize_t tls_write(void *conn, const uint8_t *p, size_t n, char *why)
{
    struct conn *c = conn;
    if (c->pend)
        n = c->pend;
    else if (c->n == RING)
        return 0; /* wait for acknowledgements */
    else if (n > CHUNK)
        n = CHUNK;
    ERR_clear_error();
    int r = SSL_write(c->ssl, p, (int)n);
    if (r > 0) {
        c->pend = 0;
        c->plain += (uint64_t)r;
        c->ring[(c->head + c->n) % RING] =
            (struct note){c->plain, BIO_number_written(SSL_get_wbio(c->ssl))};
        c->n++;
        return r;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
        c->pend = n;
        return 0;
    }
    ns_tls_why(c->ssl, r, why, NS_STREAM_WHY);
    return -1;
}

static int tls_read(void *conn, char *why)
{
    struct conn *c = conn;
    uint8_t junk[512];
    for (;;) {
        ERR_clear_error();
        int r = SSL_read(c->ssl, junk, sizeof junk);
        if (r > 0)
            continue; /* a collector says nothing; ignore it if it does */
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            return 1;
        if (e == SSL_ERROR_ZERO_RETURN)
            return 0;
        ns_tls_why(c->ssl, r, why, NS_STREAM_WHY);
        return -1;
    }
}

static uint64_t tls_acked(void *conn, size_t outq)
{
    struct conn *c = conn;
    uint64_t total = BIO_number_written(SSL_get_wbio(c->ssl));
    uint64_t acked = total > outq ? total - outq : 0;
    while (c->n && c->ring[c->head].cipher <= acked) {
        c->acked_plain = c->ring[c->head].plain;
        c->head = (c->head + 1) % RING;
        c->n--;
    }
    return c->acked_plain;
}

static void tls_goodbye(void *conn)
{
    struct conn *c = conn;
    ERR_clear_error();
    SSL_shutdown(c->ssl); /* close_notify; no wait for the peer's */
    ERR_clear_error();
}

static void tls_stop(void *conn)
{
    struct conn *c = conn;
    SSL_free(c->ssl);
    free(c);
}

static void tls_free_cfg(void *cfg)
{
    ns_tls_free(cfg);
}

static const struct ns_stream_layer tls_layer = {
    .name = "TLS",
    .start = tls_start,
    .handshake = tls_handshake,
    .write = tls_write,
    .read = tls_read,
    .acked = tls_acked,
    .goodbye = tls_goodbye,
    .stop = tls_stop,
    .free_cfg = tls_free_cfg,
};

int ns_tls_xport_open(struct ns_xport **t, const struct ns_endpoint *ep,
                      const struct ns_xport_opts *o, struct ns_error *err)
{
    struct ns_tls *tls;
    int rc = ns_tls_new(&tls, o->tls, 0, 0, ep->url, err);
    if (rc < 0)
        return rc;
    return ns_stream_open(t, ep, o, &tls_layer, tls, err);
}
