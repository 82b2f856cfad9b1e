/*
 * stream.h — the stream transport (tcp.c) with a layer in between: TLS
 * (tls.c) is TCP's bounded queue, reconnect backoff, front-of-queue
 * templates and acknowledgement tracking, with the bytes going through
 * OpenSSL instead of send().  Internal to export/.
 *
 * Design
 * ------
 * tcp.c owns the socket and the queue; a layer owns what happens on a
 * connected socket.  After the TCP connection is up the layer's start()
 * makes its per-connection state, handshake() is stepped from poll()
 * until it is done (a new transport session, templates first) or fails
 * or takes longer than the handshake timeout (counted in
 * handshake_failures, reason in last_error, retried with the reconnect
 * backoff — never fatal).  write() takes plaintext from the queue;
 * acked() maps the socket's unacknowledged octets (SIOCOUTQ) back to how
 * much plaintext the peer's TCP has acknowledged, so queued messages are
 * kept until then exactly as with plain TCP.
 *
 * All layer calls are non-blocking.  Return conventions: write: > 0
 * plaintext octets taken, 0 would block, < 0 connection broken;
 * read: 1 alive, 0 peer closed in order, < 0 broken; handshake: 1 done,
 * 0 in progress, < 0 failed.  why (at least 160 octets) gets the reason
 * of a failure.
 */
#ifndef NS_EXPORT_STREAM_H
#define NS_EXPORT_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "export/transport.h"

#define NS_STREAM_WHY 160

struct ns_stream_layer {
    const char *name;
    int (*start)(void *cfg, int fd, const char *host, void **conn, char *why);
    int (*handshake)(void *conn, char *why);
    ssize_t (*write)(void *conn, const uint8_t *p, size_t n, char *why);
    int (*read)(void *conn, char *why);
    /* Plaintext octets the peer has acknowledged since start, given the
     * socket's unacknowledged octets. */
    uint64_t (*acked)(void *conn, size_t outq);
    /* Say goodbye (close_notify), best effort, before the socket closes. */
    void (*goodbye)(void *conn);
    void (*stop)(void *conn);
    void (*free_cfg)(void *cfg);
};

/* Open a stream transport to ep with a layer (NULL: plain TCP) whose
 * configuration (cfg, owned from then on, freed with free_cfg) is made by
 * the caller. */
int ns_stream_open(struct ns_xport **t, const struct ns_endpoint *ep, const struct ns_xport_opts *o,
                   const struct ns_stream_layer *ly, void *cfg, struct ns_error *err);
/* tls.c: ns_xport_tls.open (loads and checks the certificates first). */
int ns_tls_xport_open(struct ns_xport **t, const struct ns_endpoint *ep,
                      const struct ns_xport_opts *o, struct ns_error *err);

#endif
