#include "export/endpoint.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ns_endpoint_parse(const char *url, struct ns_endpoint *ep, struct ns_error *err)
{
    memset(ep, 0, sizeof *ep);
    snprintf(ep->url, sizeof ep->url, "%s", url);
    const char *p = strstr(url, "://");
    if (!p)
        return ns_error_set(err, NS_EINVAL,
                            "'%s': want udp://HOST:PORT, tcp://, tls://, dtls://, sctp:// or "
                            "sctp+udp://",
                            url);
    size_t sl = (size_t)(p - url);
    if (sl == 3 && !strncmp(url, "udp", 3))
        ep->kind = NS_TP_UDP;
    else if (sl == 3 && !strncmp(url, "tcp", 3))
        ep->kind = NS_TP_TCP;
    else if (sl == 4 && !strncmp(url, "sctp", 4))
        ep->kind = NS_TP_SCTP;
    else if (sl == 8 && !strncmp(url, "sctp+udp", 8))
        ep->kind = NS_TP_SCTP_UDP;
    else if (sl == 3 && !strncmp(url, "tls", 3))
        ep->kind = NS_TP_TLS;
    else if (sl == 4 && !strncmp(url, "dtls", 4))
        ep->kind = NS_TP_DTLS;
    else
        return ns_error_set(err, NS_EINVAL,
                            "'%s': unknown transport '%.*s' (udp, tcp, tls, dtls, sctp, sctp+udp)",
                            url, (int)sl, url);
    /* sctp+udp://H:P?udp=U: the query names the local UDP port */
    char hostport[300];
    snprintf(hostport, sizeof hostport, "%s", p + 3);
    char *q = strchr(hostport, '?');
    if (q) {
        if (ep->kind != NS_TP_SCTP_UDP || strncmp(q + 1, "udp=", 4) != 0)
            return ns_error_set(err, NS_EINVAL, "'%s': only sctp+udp:// takes ?udp=PORT", url);
        char *qe;
        long u = strtol(q + 5, &qe, 10);
        if (*qe || qe == q + 5 || u < 1 || u > 65535)
            return ns_error_set(err, NS_EINVAL, "'%s': bad UDP port '%s'", url, q + 5);
        ep->udp_port = (unsigned)u;
        *q = 0;
    }
    const char *h = hostport, *port = NULL;
    size_t hl;
    if (*h == '[') {
        const char *e = strchr(h, ']');
        if (!e)
            return ns_error_set(err, NS_EINVAL, "'%s': unterminated '['", url);
        h++;
        hl = (size_t)(e - h);
        if (e[1] == ':')
            port = e + 2;
        else if (e[1])
            return ns_error_set(err, NS_EINVAL, "'%s': junk after ']'", url);
    } else {
        const char *c = strchr(h, ':');
        if (c && strchr(c + 1, ':'))
            return ns_error_set(err, NS_EINVAL,
                                "'%s': write IPv6 addresses in brackets, [::1]:4739", url);
        hl = c ? (size_t)(c - h) : strlen(h);
        port = c ? c + 1 : NULL;
    }
    if (hl >= sizeof ep->host)
        return ns_error_set(err, NS_EINVAL, "'%s': host name too long", url);
    memcpy(ep->host, h, hl);
    ep->host[hl] = 0;
    if (!port || !*port)
        port = ep->kind == NS_TP_TLS || ep->kind == NS_TP_DTLS ? NS_IPFIX_TLS_PORT : NS_IPFIX_PORT;
    char *end;
    long v = strtol(port, &end, 10);
    if (*end || v < 0 || v > 65535)
        return ns_error_set(err, NS_EINVAL, "'%s': bad port '%s'", url, port);
    snprintf(ep->port, sizeof ep->port, "%ld", v);
    return NS_OK;
}

int ns_transport_datagram(enum ns_transport_kind kind)
{
    return kind == NS_TP_UDP || kind == NS_TP_DTLS;
}

int ns_endpoint_resolve(const struct ns_endpoint *ep, int passive, struct sockaddr_storage *ss,
                        socklen_t *len, struct ns_error *err)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = ns_transport_datagram(ep->kind) ? SOCK_DGRAM : SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    const char *host = ep->host;
    if (passive && (!*host || !strcmp(host, "*")))
        host = NULL;
    else if (!*host)
        return ns_error_set(err, NS_EINVAL, "'%s': no host", ep->url);
    int rc = getaddrinfo(host, ep->port, &hints, &res);
    if (rc != 0 || !res)
        return ns_error_set(err, NS_EINVAL, "'%s': cannot resolve '%s': %s", ep->url,
                            host ? host : "*", gai_strerror(rc));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return NS_OK;
}

const char *ns_sockaddr_str(const struct sockaddr *sa, char *buf, size_t n)
{
    char a[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)(const void *)sa;
        inet_ntop(AF_INET, &s->sin_addr, a, sizeof a);
        snprintf(buf, n, "%s:%u", a, ntohs(s->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)(const void *)sa;
        inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof a);
        snprintf(buf, n, "[%s]:%u", a, ntohs(s->sin6_port));
    } else {
        snprintf(buf, n, "?");
    }
    return buf;
}
