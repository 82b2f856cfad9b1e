/*
 * The sctp+udp:// backend: usrsctp (a userspace SCTP stack) over UDP
 * encapsulation (RFC 6951), for kernels without SCTP.  See sctp.h.
 *
 * usrsctp is one stack per process, started by usrsctp_init() with the
 * local UDP port; its threads (timers, UDP receive) call the socket
 * upcall, which only writes to the socket's eventfd.  Everything else —
 * sends, receives, accepts — runs on the caller's thread with the socket
 * non-blocking.  The stack is reference-counted across sockets: the one
 * piece of global state in libnetsift, forced by usrsctp's API.  usrsctp
 * is not stopped when the last socket closes (usrsctp_finish waits for
 * its associations and cannot be restarted reliably within a process);
 * the UDP port stays bound until exit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <usrsctp.h>

#include "export/sctp.h"

#define SO(s) ((struct socket *)(s)->so)

static pthread_mutex_t stack_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned stack_port; /* 0: not started */

/* Any free UDP port (the exporter's local end when ?udp= is not given). */
static unsigned free_udp_port(int family)
{
    int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_storage ss = {0};
    ss.ss_family = (sa_family_t)family;
    socklen_t sl = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    unsigned port = 0;
    if (bind(fd, (struct sockaddr *)&ss, sl) == 0 &&
        getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        /* ss is zeroed, then filled by getsockname(): the analyzer loses track */
        // NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign)
        in_port_t p = family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                         : ((struct sockaddr_in *)&ss)->sin_port;
        port = ntohs(p);
    }
    close(fd);
    return port;
}

/* Start the process's stack on UDP port `want` (0: any); fails when it
 * already runs on another port. */
static int stack_start(unsigned want, int family, const char *url, struct ns_error *err)
{
    pthread_mutex_lock(&stack_lock);
    int rc = NS_OK;
    if (stack_port) {
        if (want && want != stack_port)
            rc = ns_error_set(err, NS_EINVAL,
                              "%s: this process's userspace SCTP already runs on UDP port %u "
                              "(one UDP port per process)",
                              url, stack_port);
    } else {
        unsigned port = want ? want : free_udp_port(family);
        if (!port) {
            rc = ns_error_set(err, NS_EIO, "%s: no free UDP port", url);
        } else {
            /* a probe for the port: usrsctp would fail silently */
            int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
            int busy = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) != 0;
            if (fd >= 0)
                close(fd);
            if (busy) {
                rc = ns_error_set(err, NS_EIO, "%s: UDP port %u: %s", url, port,
                                  strerror(EADDRINUSE));
            } else {
                usrsctp_init((uint16_t)port, NULL, NULL);
                usrsctp_sysctl_set_sctp_pr_enable(1);
                usrsctp_sysctl_set_sctp_blackhole(2); /* no ABORT to stray packets */
                stack_port = port;
            }
        }
    }
    pthread_mutex_unlock(&stack_lock);
    return rc;
}

static void upcall(struct socket *so, void *arg, int flags)
{
    (void)so;
    (void)flags;
    uint64_t one = 1;
    ssize_t n = write(((struct ns_sctp_sock *)arg)->fd, &one, sizeof one);
    (void)n;
}

static void no_upcall(struct socket *so, void *arg, int flags)
{
    (void)so;
    (void)arg;
    (void)flags;
}

static int wrap(struct ns_sctp_sock **out, struct socket *so)
{
    struct ns_sctp_sock *s = calloc(1, sizeof *s);
    if (!s)
        return NS_ENOMEM;
    s->so = so;
    s->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->fd < 0) {
        free(s);
        return NS_EIO;
    }
    usrsctp_set_non_blocking(so, 1);
    usrsctp_set_upcall(so, upcall, s);
    /* the upcall only fires on changes: one wakeup to look at the start */
    upcall(so, s, 0);
    *out = s;
    return NS_OK;
}

static int usr_socket(struct ns_sctp_sock **out, const struct ns_endpoint *ep, int family,
                      struct ns_error *err)
{
    int rc = stack_start(ep->udp_port, family, ep->url, err);
    if (rc < 0)
        return rc;
    struct socket *so = usrsctp_socket(family, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
    if (!so)
        return ns_error_set(err, NS_EIO, "%s: userspace SCTP socket: %s", ep->url, strerror(errno));
    static const uint16_t evs[] = {SCTP_ASSOC_CHANGE, SCTP_SEND_FAILED_EVENT, SCTP_SHUTDOWN_EVENT,
                                   SCTP_SENDER_DRY_EVENT};
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++) {
        struct sctp_event ev = {.se_assoc_id = SCTP_FUTURE_ASSOC, .se_type = evs[i], .se_on = 1};
        usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof ev);
    }
    int on = 1;
    usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on);
    usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof on);
    struct sctp_initmsg im = {.sinit_num_ostreams = NS_SCTP_STREAMS,
                              .sinit_max_instreams = NS_SCTP_STREAMS};
    usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof im);
    if (wrap(out, so) < 0) {
        usrsctp_close(so);
        return ns_error_set(err, NS_ENOMEM, "%s: out of memory", ep->url);
    }
    return NS_OK;
}

static int usr_connect(struct ns_sctp_sock *s, const struct sockaddr *sa, socklen_t sl)
{
    /* RFC 6951: the peer's UDP port is the URL's port */
    struct sctp_udpencaps enc;
    memset(&enc, 0, sizeof enc);
    enc.sue_address.ss_family = sa->sa_family;
    enc.sue_port = sa->sa_family == AF_INET6
                       ? ((const struct sockaddr_in6 *)(const void *)sa)->sin6_port
                       : ((const struct sockaddr_in *)(const void *)sa)->sin_port;
    usrsctp_setsockopt(SO(s), IPPROTO_SCTP, SCTP_REMOTE_UDP_ENCAPS_PORT, &enc, sizeof enc);
    if (usrsctp_connect(SO(s), (struct sockaddr *)sa, sl) == 0)
        return 0;
    return errno == EINPROGRESS ? 1 : -errno;
}

static int usr_listen(struct ns_sctp_sock *s, const struct sockaddr *sa, socklen_t sl)
{
    if (usrsctp_bind(SO(s), (struct sockaddr *)sa, sl) != 0 || usrsctp_listen(SO(s), 64) != 0)
        return -errno;
    return 0;
}

static int usr_accept(struct ns_sctp_sock *s, struct ns_sctp_sock **c,
                      struct sockaddr_storage *peer, socklen_t *pl)
{
    *pl = sizeof *peer;
    struct socket *so = usrsctp_accept(SO(s), (struct sockaddr *)peer, pl);
    if (!so)
        return -EAGAIN;
    if (wrap(c, so) < 0) {
        usrsctp_close(so);
        return -ENOMEM;
    }
    return 0;
}

static ssize_t usr_send(struct ns_sctp_sock *s, const void *m, size_t len, uint16_t sid,
                        uint32_t ttl_ms, uint32_t context)
{
    struct sctp_sendv_spa spa;
    memset(&spa, 0, sizeof spa);
    spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
    spa.sendv_sndinfo.snd_sid = sid;
    spa.sendv_sndinfo.snd_ppid = 0;
    spa.sendv_sndinfo.snd_context = context;
    if (ttl_ms) {
        spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
        spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_TTL;
        spa.sendv_prinfo.pr_value = ttl_ms;
    }
    ssize_t n = usrsctp_sendv(SO(s), m, len, NULL, 0, &spa, sizeof spa, SCTP_SENDV_SPA, 0);
    return n < 0 ? -errno : n;
}

static ssize_t usr_recv(struct ns_sctp_sock *s, void *buf, size_t cap, struct ns_sctp_rcv *r)
{
    struct sctp_rcvinfo ri;
    socklen_t il = sizeof ri;
    unsigned int it = 0;
    int flags = 0;
    struct sockaddr_storage from;
    socklen_t fl = sizeof from;
    memset(r, 0, sizeof *r);
    ssize_t n =
        usrsctp_recvv(SO(s), buf, cap, (struct sockaddr *)&from, &fl, &ri, &il, &it, &flags);
    if (n < 0)
        return -errno;
    if (n == 0)
        return 0;
    if (!(flags & MSG_NOTIFICATION)) {
        r->ev = NS_SCTP_DATA;
        r->eor = !!(flags & MSG_EOR);
        r->sid = it == SCTP_RECVV_RCVINFO ? ri.rcv_sid : 0;
        return n;
    }
    const union sctp_notification *sn = buf;
    r->ev = NS_SCTP_OTHER;
    if ((size_t)n < sizeof sn->sn_header)
        return n;
    switch (sn->sn_header.sn_type) {
    case SCTP_ASSOC_CHANGE:
        if ((size_t)n >= sizeof sn->sn_assoc_change) {
            uint16_t st = sn->sn_assoc_change.sac_state;
            r->ev = st == SCTP_COMM_UP || st == SCTP_RESTART ? NS_SCTP_UP
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
            r->sent = !!(sn->sn_send_failed_event.ssfe_flags & SCTP_DATA_SENT);
        }
        break;
    default:
        break;
    }
    /* a notification longer than buf (it carries the undelivered data) is
     * delivered in pieces: skip the rest */
    while (!(flags & MSG_EOR)) {
        char junk[2048];
        fl = sizeof from;
        il = sizeof ri;
        flags = 0;
        if (usrsctp_recvv(SO(s), junk, sizeof junk, (struct sockaddr *)&from, &fl, &ri, &il, &it,
                          &flags) <= 0)
            break;
    }
    return n;
}

static int usr_pending(struct ns_sctp_sock *s)
{
    struct sctp_status st;
    memset(&st, 0, sizeof st);
    socklen_t l = sizeof st;
    if (usrsctp_getsockopt(SO(s), IPPROTO_SCTP, SCTP_STATUS, &st, &l) != 0)
        return -1;
    return st.sstat_unackdata + st.sstat_penddata;
}

static int usr_fd(const struct ns_sctp_sock *s)
{
    return s->fd;
}

static int usr_events(struct ns_sctp_sock *s)
{
    uint64_t v;
    ssize_t n = read(s->fd, &v, sizeof v);
    (void)n;
    int e = usrsctp_get_events(SO(s));
    return (e & SCTP_EVENT_READ ? 1 : 0) | (e & SCTP_EVENT_WRITE ? 2 : 0) |
           (e & SCTP_EVENT_ERROR ? 4 : 0);
}

static int usr_local(const struct ns_sctp_sock *s, struct sockaddr_storage *ss)
{
    (void)s;
    (void)ss;
    return 0;
}

static void usr_abort(struct ns_sctp_sock *s)
{
    struct sctp_sndinfo si;
    memset(&si, 0, sizeof si);
    si.snd_flags = SCTP_ABORT;
    usrsctp_sendv(SO(s), NULL, 0, NULL, 0, &si, sizeof si, SCTP_SENDV_SNDINFO, 0);
}

static void usr_shutdown(struct ns_sctp_sock *s)
{
    usrsctp_shutdown(SO(s), SHUT_WR);
}

static void usr_close(struct ns_sctp_sock *s)
{
    if (!s)
        return;
    usrsctp_set_upcall(SO(s), no_upcall, NULL); /* the stack may outlive us */
    usrsctp_close(SO(s));
    close(s->fd);
    free(s);
}

const struct ns_sctp_backend ns_sctp_usr = {
    .scheme = "sctp+udp",
    .socket = usr_socket,
    .connect = usr_connect,
    .listen = usr_listen,
    .accept = usr_accept,
    .send = usr_send,
    .recv = usr_recv,
    .pending = usr_pending,
    .fd = usr_fd,
    .events = usr_events,
    .local = usr_local,
    .abort = usr_abort,
    .shutdown = usr_shutdown,
    .close = usr_close,
};
