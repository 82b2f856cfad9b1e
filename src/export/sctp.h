/*
 * sctp.h — IPFIX over SCTP (RFC 7011 §10.2, RFC 6526, RFC 5474 §8.3) with
 * two interchangeable SCTP stacks underneath.
 *
 * Design
 * ------
 * The IPFIX rules live once, in sctp.c, on top of a small backend
 * interface (struct ns_sctp_backend) that looks like a non-blocking
 * one-to-one SCTP socket:
 *
 *  - `sctp://H:P`: the kernel's SCTP through the lksctp API
 *    (sctp_kernel.c).  Many kernels, this project's VMs and CI among
 *    them, have no SCTP (socket() fails with EPROTONOSUPPORT); open then
 *    fails with a message that says so and names sctp+udp://.
 *  - `sctp+udp://H:P[?udp=U]`: the same association run by usrsctp in
 *    this process over UDP encapsulation (RFC 6951; sctp_usr.c), so it
 *    works on any kernel.  The SCTP port is P and the peer's UDP port is
 *    P too; U is the local UDP port (collector: P when left out;
 *    exporter: a free port chosen at start).  usrsctp is one stack per
 *    process, so every sctp+udp endpoint of one process shares one UDP
 *    port (a conflicting ?udp= is refused).  usrsctp runs its own timer
 *    and receive threads: they only ever write to an eventfd (the socket
 *    upcall) that the caller's poll/epoll loop waits on; every socket
 *    call and all session state stay on the caller's thread.  This
 *    process-wide stack is the one piece of global state in libnetsift,
 *    forced by usrsctp's API; a reference count starts and stops it.
 *
 * Exporting (the "sctp" and "sctp+udp" transports of transport.h):
 *  - streams: RFC 6526 (per-stream templates) needs the templates that
 *    describe a stream's data records on that same stream, which in
 *    ordered delivery also guarantees that a template arrives before the
 *    records that use it.  Each observation domain's messages go on
 *    stream 1 + domain mod (NS_SCTP_STREAMS - 1); stream 0 is left for
 *    what is not bound to a domain (nothing yet).
 *  - reliability: messages that carry a template or options template set
 *    (and the type records and templates sent when an association comes
 *    up) are sent fully reliably (RFC 7011 §10.2.4.3: templates MUST be
 *    sent reliably); messages of data sets only use PR-SCTP timed
 *    reliability (RFC 3758, SCTP_PR_SCTP_TTL) of ttl_ms, so reports older
 *    than that bound are abandoned by the stack instead of delaying newer
 *    ones (RFC 5474 §8.3).  Every message carries its record counts in
 *    the SCTP send context, and the stack's send-failed notification
 *    (SCTP_SEND_FAILED_EVENT) gives them back for each abandoned or
 *    undeliverable message, so the drop count is exact, not estimated.
 *  - delivered: handed to the stack and not reported failed; counts are
 *    final at close, which waits (linger) until nothing is unacknowledged.
 *  - the association going down (ABORT, SHUTDOWN, COMM_LOST) makes the
 *    stack report everything unsent as failed (counted); the transport
 *    reconnects with exponential backoff like TCP, and each association
 *    is a new transport session (templates again, sequence numbers from
 *    0).  While the association is not up (connecting, reconnecting),
 *    messages wait in a bounded queue (xport.buffer octets) and go after
 *    the new session's templates; what overflows is dropped and counted.
 *    While up, the stack's send buffer is the queue.
 *
 * Collecting (collect.c uses the listener/connection half below): one
 * listener per endpoint; each accepted association is one transport
 * session; ns_sctp_conn_read() returns whole IPFIX messages (SCTP keeps
 * message boundaries; partial reads are reassembled) and swallows
 * notifications.
 *
 * A collector restart once lost the message the exporter was building
 * (871 of 20000 records in a manual test, counted delivered): at session
 * up the exporter flushes that message before it puts the templates in
 * front, and it went out first.  The new association now holds data until
 * the templates are in (`hold`, as tcp.c does); export_sctp.sh restarts a
 * collector with 0.2 s and 1 s outages and checks stored + dropped =
 * metered.
 *
 * Errors: open/listen fail with NS_EUNSUP (no kernel SCTP, or usrsctp
 * not built in) or NS_EIO naming the URL; afterwards trouble is counted.
 */
#ifndef NS_EXPORT_SCTP_H
#define NS_EXPORT_SCTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "export/endpoint.h"
#include "util/err.h"

#define NS_SCTP_STREAMS 8
#define NS_SCTP_TTL_MS  5000u /* default PR-SCTP lifetime of data messages */

/* ---- backend interface (one-to-one style, non-blocking) ---- */

enum ns_sctp_ev {
    NS_SCTP_DATA = 1, /* user data (len octets; eor: the message ends here) */
    NS_SCTP_FAILED,   /* a message was abandoned or undeliverable: context */
    NS_SCTP_UP,       /* association established */
    NS_SCTP_DOWN,     /* association lost, aborted or shut down */
    NS_SCTP_SHUTDOWN, /* the peer began a graceful shutdown: no new data */
    NS_SCTP_DRY,      /* everything sent is acknowledged (SCTP_SENDER_DRY_EVENT) */
    NS_SCTP_OTHER     /* another notification */
};

struct ns_sctp_rcv {
    int ev;
    int eor;
    uint16_t sid;
    uint32_t context; /* NS_SCTP_FAILED: the context the message was sent with */
    int sent;         /* NS_SCTP_FAILED: it had been on the wire (SCTP_DATA_SENT) */
};

/* One socket of either backend: the kernel's descriptor, or usrsctp's
 * socket and the eventfd its upcall writes to. */
struct ns_sctp_sock {
    int fd;   /* pollable: the socket (kernel) or the eventfd (usrsctp) */
    void *so; /* usrsctp: struct socket * */
};

struct ns_sctp_backend {
    const char *scheme;
    /* A socket for ep's address family, events subscribed, streams set. */
    int (*socket)(struct ns_sctp_sock **s, const struct ns_endpoint *ep, int family,
                  struct ns_error *err);
    /* 0: connected, 1: in progress (wait for writable / NS_SCTP_UP), <0 -errno */
    int (*connect)(struct ns_sctp_sock *s, const struct sockaddr *sa, socklen_t sl);
    /* 0: connection established after an in-progress connect, 1: still
     * waiting, <0 -errno */
    int (*connected)(struct ns_sctp_sock *s);
    int (*listen)(struct ns_sctp_sock *s, const struct sockaddr *sa, socklen_t sl);
    /* 0: a new association in *c, -EAGAIN: none */
    int (*accept)(struct ns_sctp_sock *s, struct ns_sctp_sock **c, struct sockaddr_storage *peer,
                  socklen_t *pl);
    /* Whole message on stream sid; ttl_ms 0: reliable.  Returns len or -errno
     * (-EAGAIN: no room now). */
    ssize_t (*send)(struct ns_sctp_sock *s, const void *m, size_t len, uint16_t sid,
                    uint32_t ttl_ms, uint32_t context);
    /* Data or a notification; 0 at the end of the association, -EAGAIN */
    ssize_t (*recv)(struct ns_sctp_sock *s, void *buf, size_t cap, struct ns_sctp_rcv *r);
    /* Messages not yet acknowledged or not yet sent (<0: unknown). */
    int (*pending)(struct ns_sctp_sock *s);
    /* A descriptor that polls readable when recv/accept may have something
     * (kernel: the socket; usrsctp: an eventfd fed by the upcall), and
     * writable-ness is polled through it too (events() below). */
    int (*fd)(const struct ns_sctp_sock *s);
    /* Before reading after fd() woke: reset the wakeup (usrsctp); returns
     * SCTP_EVENT_*-like bits 1 readable, 2 writable, 4 error. */
    int (*events)(struct ns_sctp_sock *s);
    int (*local)(const struct ns_sctp_sock *s, struct sockaddr_storage *ss);
    /* ABORT the association: the stack reports every message not yet
     * acknowledged as failed (then read with recv). */
    void (*abort)(struct ns_sctp_sock *s);
    /* Graceful SHUTDOWN: the peer sends what it has, then the association
     * ends (recv then returns 0 or NS_SCTP_DOWN). */
    void (*shutdown)(struct ns_sctp_sock *s);
    void (*close)(struct ns_sctp_sock *s);
};

extern const struct ns_sctp_backend ns_sctp_kernel;
extern const struct ns_sctp_backend ns_sctp_usr;

/* The backend of an sctp:// or sctp+udp:// endpoint. */
const struct ns_sctp_backend *ns_sctp_backend_for(const struct ns_endpoint *ep);

/* ---- collector side ---- */

struct ns_sctp_listener {
    const struct ns_sctp_backend *be;
    struct ns_sctp_sock *s;
};

struct ns_sctp_conn {
    const struct ns_sctp_backend *be;
    struct ns_sctp_sock *s;
    uint8_t *buf; /* a message being reassembled */
    size_t len;
    int done, oversize;
    uint64_t notifications, oversized;
};

struct ns_sctp_sock_addr {
    struct sockaddr_storage ss; /* bound address and SCTP port */
    unsigned udp_port;          /* sctp+udp: the UDP port */
};

int ns_sctp_listen(struct ns_sctp_listener *l, const struct ns_endpoint *ep,
                   struct ns_sctp_sock_addr *bound, struct ns_error *err);
/* 1: a new connection in *c (peer filled), 0: none. */
int ns_sctp_accept(struct ns_sctp_listener *l, struct ns_sctp_conn *c,
                   struct sockaddr_storage *peer, socklen_t *pl);
/* Begin a graceful shutdown; keep reading until ns_sctp_conn_read
 * returns -1, then nothing the peer's stack acknowledged is lost. */
void ns_sctp_conn_shutdown(struct ns_sctp_conn *c);
/* Next whole message: >0 its length (*msg points into c->buf, valid until
 * the next call), 0 none now, -1 the association ended. */
ssize_t ns_sctp_conn_read(struct ns_sctp_conn *c, const uint8_t **msg);
void ns_sctp_conn_close(struct ns_sctp_conn *c);
void ns_sctp_listener_close(struct ns_sctp_listener *l);

#endif
