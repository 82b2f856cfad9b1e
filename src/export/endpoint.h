/*
 * endpoint.h — IPFIX transport endpoints written as URLs: `udp://H:P`,
 * `tcp://H:P`, `tls://H:P` (TLS over TCP), `dtls://H:P` (DTLS over UDP),
 * `sctp://H:P` (kernel SCTP, RFC 7011 §10.2) and `sctp+udp://H:P[?udp=U]`
 * (the same SCTP association run by a userspace stack over UDP
 * encapsulation, RFC 6951, for kernels without SCTP; U is the local UDP
 * port, see export/sctp.h) (H: IPv4 literal, [IPv6 literal] or a name; P:
 * port, 4739 when left out, or 4740 for tls and dtls, RFC 7011 §10.2-§10.4
 * and §11).  Shared by the exporting process (export/) and the collecting
 * process (collect/), so both spell endpoints the same way.
 *
 * Errors: NS_EINVAL with a message quoting the URL; resolution failures
 * name the host and getaddrinfo's reason.  Nothing allocates.
 */
#ifndef NS_EXPORT_ENDPOINT_H
#define NS_EXPORT_ENDPOINT_H

#include <sys/socket.h>

#include "util/err.h"

#define NS_IPFIX_PORT     "4739"
#define NS_IPFIX_TLS_PORT "4740" /* IANA ipfixs: IPFIX over TLS/DTLS */

enum ns_transport_kind {
    NS_TP_UDP = 1,
    NS_TP_TCP = 2,
    NS_TP_TLS = 3,
    NS_TP_DTLS = 4,
    NS_TP_SCTP = 5,
    NS_TP_SCTP_UDP = 6
};

/* UDP and DTLS are datagram transports (sockets of SOCK_DGRAM). */
int ns_transport_datagram(enum ns_transport_kind kind);

struct ns_endpoint {
    enum ns_transport_kind kind;
    char host[256]; /* without brackets */
    char port[8];
    unsigned udp_port; /* sctp+udp: ?udp=U, the local UDP port (0: not given) */
    char url[300];     /* as given, for messages */
};

int ns_endpoint_parse(const char *url, struct ns_endpoint *ep, struct ns_error *err);
/* Resolve to one socket address (the first getaddrinfo answer); passive
 * for a listening socket ("" or "*" host = any address). */
int ns_endpoint_resolve(const struct ns_endpoint *ep, int passive, struct sockaddr_storage *ss,
                        socklen_t *len, struct ns_error *err);
/* "192.0.2.1:4739" / "[2001:db8::1]:4739" into buf. */
const char *ns_sockaddr_str(const struct sockaddr *sa, char *buf, size_t n);

#endif
