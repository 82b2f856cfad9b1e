#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "metrics/metrics.h"

struct ns_http {
    int fd;
    int port;
    struct ns_http_stats st;
    struct ns_prom body;
};

#define HEAD_MAX  4096
#define CLIENT_MS 1000

int ns_http_listen(struct ns_http **out, const char *hostport, struct ns_error *err)
{
    *out = NULL;
    char host[256];
    const char *colon = strrchr(hostport, ':');
    if (!colon || !colon[1])
        return ns_error_set(err, NS_EINVAL, "metrics address '%s': want HOST:PORT", hostport);
    size_t hl = (size_t)(colon - hostport);
    if (hl >= sizeof host)
        return ns_error_set(err, NS_EINVAL, "metrics address '%s': host too long", hostport);
    memcpy(host, hostport, hl);
    host[hl] = 0;
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = 0;
    }
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int g = getaddrinfo(*host ? host : NULL, colon + 1, &hints, &ai);
    if (g != 0)
        return ns_error_set(err, NS_EINVAL, "metrics address '%s': %s", hostport, gai_strerror(g));
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 16) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return ns_error_set(err, NS_EIO, "metrics %s: %s", hostport, strerror(e));
    }
    freeaddrinfo(ai);
    struct ns_http *h = calloc(1, sizeof *h);
    if (!h) {
        close(fd);
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        const struct sockaddr *sa = (const struct sockaddr *)&ss;
        char serv[16];
        if (getnameinfo(sa, sl, NULL, 0, serv, sizeof serv, NI_NUMERICSERV) == 0)
            h->port = atoi(serv);
    }
    h->fd = fd;
    ns_prom_init(&h->body);
    *out = h;
    return 0;
}

int ns_http_port(const struct ns_http *h)
{
    return h->port;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for `ev` on fd until the deadline; 1 ready, 0 timeout/error. */
static int wait_fd(int fd, short ev, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {fd, ev, 0};
        int r = poll(&p, 1, (int)left);
        if (r > 0)
            return 1;
        if (r < 0 && errno != EINTR)
            return 0;
    }
}

static int send_all(int fd, const char *s, size_t n, int64_t deadline)
{
    while (n) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w > 0) {
            s += w;
            n -= (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (!wait_fd(fd, POLLOUT, deadline))
                return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

static void answer(int fd, const char *status, const char *body, size_t blen, int64_t deadline)
{
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, blen);
    if (send_all(fd, head, (size_t)n, deadline) == 0 && blen)
        send_all(fd, body, blen, deadline);
}

int ns_http_serve(struct ns_http *h, int timeout_ms, ns_http_render render, void *ctx)
{
    struct pollfd p = {h->fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0)
        return 0;
    int c = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0)
        return 0;
    h->st.requests++;
    int64_t deadline = now_ms() + CLIENT_MS;
    char req[HEAD_MAX + 1];
    size_t len = 0;
    int done = 0;
    while (!done && len < HEAD_MAX) {
        ssize_t r = recv(c, req + len, HEAD_MAX - len, 0);
        if (r > 0) {
            len += (size_t)r;
            req[len] = 0;
            done = strstr(req, "\r\n\r\n") || strstr(req, "\n\n");
        } else if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (!wait_fd(c, POLLIN, deadline))
                break;
        } else {
            break;
        }
    }
    req[len] = 0;
    char method[16] = "", path[256] = "";
    if (!done || sscanf(req, "%15s %255s", method, path) != 2) {
        h->st.bad++;
        answer(c, "400 Bad Request", "bad request\n", 12, deadline);
    } else if (strcmp(method, "GET") != 0) {
        h->st.bad++;
        answer(c, "405 Method Not Allowed", "GET only\n", 9, deadline);
    } else if (strcmp(path, "/metrics") != 0) {
        h->st.not_found++;
        answer(c, "404 Not Found", "try /metrics\n", 13, deadline);
    } else {
        ns_prom_reset(&h->body);
        render(ctx, &h->body);
        if (h->body.oom) {
            answer(c, "500 Internal Server Error", "out of memory\n", 14, deadline);
        } else {
            h->st.ok++;
            answer(c, "200 OK", h->body.buf ? h->body.buf : "", h->body.len, deadline);
        }
    }
    shutdown(c, SHUT_WR);
    close(c);
    return 1;
}

void ns_http_get_stats(const struct ns_http *h, struct ns_http_stats *st)
{
    *st = h->st;
}

void ns_http_close(struct ns_http *h)
{
    if (!h)
        return;
    close(h->fd);
    ns_prom_free(&h->body);
    free(h);
}
