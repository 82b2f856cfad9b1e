/* UDP export (RFC 7011 §10.3): one connected datagram socket; each message
 * is one datagram, kept within the path MTU by the exporter. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "export/transport.h"

struct udp {
    int fd;
    struct ns_xport_counts c;
};

static int udp_open(struct ns_xport **out, const struct ns_endpoint *ep,
                    const struct ns_xport_opts *o, struct ns_error *err)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int rc = ns_endpoint_resolve(ep, 0, &ss, &sl, err);
    if (rc < 0)
        return rc;
    struct udp *u = calloc(1, sizeof *u);
    if (!u)
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    u->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (u->fd < 0 || connect(u->fd, (struct sockaddr *)&ss, sl) != 0) {
        rc = ns_error_set(err, NS_EIO, "%s: %s", ep->url, strerror(errno));
        if (u->fd >= 0)
            close(u->fd);
        free(u);
        return rc;
    }
    int sz = 4 << 20;
    setsockopt(u->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    u->c.connects = 1;
    *out = (struct ns_xport *)u;
    return NS_OK;
}

static int udp_send(struct ns_xport *t, uint8_t *msg, size_t len, uint32_t nrec, uint32_t nflow)
{
    struct udp *u = (struct udp *)t;
    for (int tries = 0; tries < 2; tries++) {
        if (send(u->fd, msg, len, 0) == (ssize_t)len) {
            u->c.messages++;
            u->c.records += nrec;
            u->c.flows += nflow;
            u->c.octets += len;
            return NS_OK;
        }
        /* A connected UDP socket reports an earlier ICMP port unreachable
         * on the next send: that error belongs to an earlier datagram
         * (already counted as sent), so try this one again once. */
        if (errno != ECONNREFUSED && errno != EINTR)
            break;
    }
    u->c.send_errors++;
    u->c.dropped_messages++;
    u->c.dropped_records += nrec;
    u->c.dropped_flows += nflow;
    return NS_EFULL;
}

static int udp_poll(struct ns_xport *t, uint64_t now)
{
    return 0;
}

static int udp_idle(const struct ns_xport *t)
{
    return 1;
}

static void udp_set_front(struct ns_xport *t, int front) {}

static int udp_up(const struct ns_xport *t)
{
    return 1;
}

static int udp_local(const struct ns_xport *t, struct sockaddr_storage *ss)
{
    const struct udp *u = (const struct udp *)t;
    socklen_t sl = sizeof *ss;
    return getsockname(u->fd, (struct sockaddr *)ss, &sl) == 0;
}

static const struct ns_xport_counts *udp_counts(const struct ns_xport *t)
{
    return &((const struct udp *)t)->c;
}

static void udp_close(struct ns_xport *t, struct ns_xport_counts *final)
{
    struct udp *u = (struct udp *)t;
    if (final)
        *final = u->c;
    close(u->fd);
    free(u);
}

const struct ns_xport_ops ns_xport_udp = {
    .scheme = "udp",
    .datagram = 1,
    .open = udp_open,
    .send = udp_send,
    .poll = udp_poll,
    .idle = udp_idle,
    .set_front = udp_set_front,
    .up = udp_up,
    .local = udp_local,
    .counts = udp_counts,
    .close = udp_close,
};

const struct ns_xport_ops *ns_xport_for(enum ns_transport_kind kind)
{
    switch (kind) {
    case NS_TP_UDP:
        return &ns_xport_udp;
    case NS_TP_TCP:
        return &ns_xport_tcp;
    case NS_TP_TLS:
        return &ns_xport_tls;
    case NS_TP_DTLS:
        return &ns_xport_dtls;
    case NS_TP_SCTP:
        return &ns_xport_sctp;
    case NS_TP_SCTP_UDP:
        return &ns_xport_sctp_udp;
    }
    return NULL;
}
