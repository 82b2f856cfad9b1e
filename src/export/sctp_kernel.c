/*
 * The sctp:// backend: the kernel's SCTP through the lksctp API
 * (netinet/sctp.h; RFC 6458 socket API), one-to-one style sockets.  See
 * sctp.h.  Sends carry SCTP_SNDINFO (stream, context) and, for timed
 * reliability, SCTP_PRINFO (SCTP_PR_SCTP_TTL) as ancillary data; the
 * kernel reports abandoned messages with SCTP_SEND_FAILED_EVENT (Linux
 * 5.x and later).  A kernel without SCTP fails at socket() with
 * EPROTONOSUPPORT: the error says so and names sctp+udp://.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "export/sctp.h"

static int k_wrap(struct ns_sctp_sock **out, int fd)
{
    struct ns_sctp_sock *s = calloc(1, sizeof *s);
    if (!s)
        return NS_ENOMEM;
    s->fd = fd;
    *out = s;
    return NS_OK;
}

static int k_socket(struct ns_sctp_sock **out, const struct ns_endpoint *ep, int family,
                    struct ns_error *err)
{
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_SCTP);
    if (fd < 0) {
        int e = errno;
        if (e == EPROTONOSUPPORT || e == ESOCKTNOSUPPORT || e == EAFNOSUPPORT)
            return ns_error_set(err, NS_EUNSUP,
                                "%s: this kernel has no SCTP (%s; the sctp module is not "
                                "loaded or not available): use sctp+udp://%s:%s, the same "
                                "SCTP in userspace over UDP encapsulation (RFC 6951)",
                                ep->url, strerror(e), ep->host, ep->port);
        return ns_error_set(err, NS_EIO, "%s: SCTP socket: %s", ep->url, strerror(e));
    }
    static const uint16_t evs[] = {SCTP_ASSOC_CHANGE, SCTP_SEND_FAILED_EVENT, SCTP_SHUTDOWN_EVENT,
                                   SCTP_SENDER_DRY_EVENT};
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++) {
        struct sctp_event ev = {.se_assoc_id = SCTP_FUTURE_ASSOC, .se_type = evs[i], .se_on = 1};
        setsockopt(fd, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof ev);
    }
    int on = 1;
    setsockopt(fd, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on);
    setsockopt(fd, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof on);
    struct sctp_initmsg im = {.sinit_num_ostreams = NS_SCTP_STREAMS,
                              .sinit_max_instreams = NS_SCTP_STREAMS};
    setsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof im);
    if (family == AF_INET6) {
        int zero = 0;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    }
    if (k_wrap(out, fd) < 0) {
        close(fd);
        return ns_error_set(err, NS_ENOMEM, "%s: out of memory", ep->url);
    }
    return NS_OK;
}

static int k_connect(struct ns_sctp_sock *s, const struct sockaddr *sa, socklen_t sl)
{
    if (connect(s->fd, sa, sl) == 0)
        return 0;
    return errno == EINPROGRESS ? 1 : -errno;
}

static int k_listen(struct ns_sctp_sock *s, const struct sockaddr *sa, socklen_t sl)
{
    int one = 1;
    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s->fd, sa, sl) != 0 || listen(s->fd, 64) != 0)
        return -errno;
    return 0;
}

static int k_accept(struct ns_sctp_sock *s, struct ns_sctp_sock **c, struct sockaddr_storage *peer,
                    socklen_t *pl)
{
    *pl = sizeof *peer;
    int fd = accept4(s->fd, (struct sockaddr *)peer, pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (k_wrap(c, fd) < 0) {
        close(fd);
        return -ENOMEM;
    }
    return 0;
}

static ssize_t k_send(struct ns_sctp_sock *s, const void *m, size_t len, uint16_t sid,
                      uint32_t ttl_ms, uint32_t context)
{
    union {
        char b[CMSG_SPACE(sizeof(struct sctp_sndinfo)) + CMSG_SPACE(sizeof(struct sctp_prinfo))];
        struct cmsghdr align;
    } cbuf;
    memset(&cbuf, 0, sizeof cbuf);
    struct iovec iov = {(void *)m, len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.b};
    mh.msg_controllen = CMSG_SPACE(sizeof(struct sctp_sndinfo)) +
                        (ttl_ms ? CMSG_SPACE(sizeof(struct sctp_prinfo)) : 0);
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = IPPROTO_SCTP;
    c->cmsg_type = SCTP_SNDINFO;
    c->cmsg_len = CMSG_LEN(sizeof(struct sctp_sndinfo));
    struct sctp_sndinfo si = {.snd_sid = sid, .snd_context = context};
    memcpy(CMSG_DATA(c), &si, sizeof si);
    if (ttl_ms) {
        c = CMSG_NXTHDR(&mh, c);
        c->cmsg_level = IPPROTO_SCTP;
        c->cmsg_type = SCTP_PRINFO;
        c->cmsg_len = CMSG_LEN(sizeof(struct sctp_prinfo));
        struct sctp_prinfo pi = {.pr_policy = SCTP_PR_SCTP_TTL, .pr_value = ttl_ms};
        memcpy(CMSG_DATA(c), &pi, sizeof pi);
    }
    ssize_t n = sendmsg(s->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
    return n < 0 ? -errno : n;
}

static ssize_t k_recv(struct ns_sctp_sock *s, void *buf, size_t cap, struct ns_sctp_rcv *r)
{
    union {
        char b[CMSG_SPACE(sizeof(struct sctp_rcvinfo))];
        struct cmsghdr align;
    } cbuf;
    struct iovec iov = {buf, cap};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.b, .msg_controllen = sizeof cbuf.b};
    memset(r, 0, sizeof *r);
    ssize_t n = recvmsg(s->fd, &mh, MSG_DONTWAIT);
    if (n < 0)
        return -errno;
    if (n == 0)
        return 0;
    if (!(mh.msg_flags & MSG_NOTIFICATION)) {
        r->ev = NS_SCTP_DATA;
        r->eor = !!(mh.msg_flags & MSG_EOR);
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
            if (c->cmsg_level == IPPROTO_SCTP && c->cmsg_type == SCTP_RCVINFO) {
                struct sctp_rcvinfo ri;
                memcpy(&ri, CMSG_DATA(c), sizeof ri);
                r->sid = ri.rcv_sid;
            }
        return n;
    }
    const union sctp_notification *sn = buf;
    r->ev = NS_SCTP_OTHER;
    if ((size_t)n >= sizeof sn->sn_header) {
        switch (sn->sn_header.sn_type) {
        case SCTP_ASSOC_CHANGE:
            if ((size_t)n >= sizeof sn->sn_assoc_change) {
                uint16_t st = sn->sn_assoc_change.sac_state;
                r->ev =
                    st == SCTP_COMM_UP || st == SCTP_RESTART ? NS_SCTP_UP
                    : st == SCTP_COMM_LOST || st == SCTP_SHUTDOWN_COMP || st == SCTP_CANT_STR_ASSOC
                        ? NS_SCTP_DOWN
                        : NS_SCTP_OTHER;
            }
            break;
        case SCTP_SHUTDOWN_EVENT:
            r->ev = NS_SCTP_SHUTDOWN;
            break;
        case SCTP_SENDER_DRY_EVENT:
            r->ev = NS_SCTP_DRY;
            break;
        case SCTP_SEND_FAILED_EVENT:
            if ((size_t)n >= sizeof sn->sn_send_failed_event) {
                r->ev = NS_SCTP_FAILED;
                r->context = sn->sn_send_failed_event.ssfe_info.snd_context;
                r->sent = !!(sn->sn_send_failed_event.ssf_flags & SCTP_DATA_SENT);
            }
            break;
        default:
            break;
        }
    }
    /* the rest of a long notification (it carries the undelivered data) */
    while (!(mh.msg_flags & MSG_EOR)) {
        char junk[2048];
        struct iovec j = {junk, sizeof junk};
        mh = (struct msghdr){.msg_iov = &j, .msg_iovlen = 1};
        if (recvmsg(s->fd, &mh, MSG_DONTWAIT) <= 0)
            break;
    }
    return n;
}

static int k_pending(struct ns_sctp_sock *s)
{
    struct sctp_status st;
    memset(&st, 0, sizeof st);
    socklen_t l = sizeof st;
    if (getsockopt(s->fd, IPPROTO_SCTP, SCTP_STATUS, &st, &l) != 0)
        return -1;
    return st.sstat_unackdata + st.sstat_penddata;
}

static int k_fd(const struct ns_sctp_sock *s)
{
    return s->fd;
}

static int k_events(struct ns_sctp_sock *s)
{
    struct pollfd p = {s->fd, POLLIN | POLLOUT, 0};
    if (poll(&p, 1, 0) <= 0)
        return 0;
    return (p.revents & POLLIN ? 1 : 0) | (p.revents & POLLOUT ? 2 : 0) |
           (p.revents & (POLLERR | POLLHUP) ? 4 : 0);
}

static int k_local(const struct ns_sctp_sock *s, struct sockaddr_storage *ss)
{
    socklen_t sl = sizeof *ss;
    return getsockname(s->fd, (struct sockaddr *)ss, &sl) == 0;
}

static void k_abort(struct ns_sctp_sock *s)
{
    /* RFC 6458 §5.3.4: SCTP_ABORT in snd_flags */
    union {
        char b[CMSG_SPACE(sizeof(struct sctp_sndinfo))];
        struct cmsghdr align;
    } cbuf;
    memset(&cbuf, 0, sizeof cbuf);
    struct msghdr mh = {.msg_control = cbuf.b, .msg_controllen = sizeof cbuf.b};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = IPPROTO_SCTP;
    c->cmsg_type = SCTP_SNDINFO;
    c->cmsg_len = CMSG_LEN(sizeof(struct sctp_sndinfo));
    struct sctp_sndinfo si = {.snd_flags = SCTP_ABORT};
    memcpy(CMSG_DATA(c), &si, sizeof si);
    sendmsg(s->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void k_shutdown(struct ns_sctp_sock *s)
{
    shutdown(s->fd, SHUT_WR);
}

static void k_close(struct ns_sctp_sock *s)
{
    if (!s)
        return;
    close(s->fd);
    free(s);
}

const struct ns_sctp_backend ns_sctp_kernel = {
    .scheme = "sctp",
    .socket = k_socket,
    .connect = k_connect,
    .listen = k_listen,
    .accept = k_accept,
    .send = k_send,
    .recv = k_recv,
    .pending = k_pending,
    .fd = k_fd,
    .events = k_events,
    .local = k_local,
    .abort = k_abort,
    .shutdown = k_shutdown,
    .close = k_close,
};
