/*
 * transport.h — how an exporting process hands whole IPFIX messages to one
 * collector: a small vtable so that UDP, TCP, TLS, DTLS and SCTP (sctp.h)
 * slot in without touching the exporter (export.h).
 *
 * Design
 * ------
 * A transport takes one finished message at a time (send) and either
 * delivers it, queues it, or refuses it (NS_EFULL: not sent; the exporter
 * counts its records as notSent, RFC 7011 §4.3).  Everything
 * time-driven — connecting, reconnecting with exponential backoff,
 * draining a queue — happens in poll(), which the exporter calls from its
 * own clock; poll() reports a new transport session (a connection came
 * up) so that the exporter writes the RFC 5610 type records and every
 * template first (RFC 7011 §8: templates are scoped to the transport
 * session).  send() never calls back into the exporter.
 *
 * Datagram transports (UDP, DTLS) are unreliable: the exporter
 * refreshes templates on a timer and a message count (RFC 7011 §8.4,
 * §10.3.6) and keeps messages within the path MTU less the transport's
 * own per-datagram overhead (DTLS record header and AEAD expansion).
 * Stream transports (TCP, TLS, later SCTP) send templates once per
 * session; while the collector is away they queue messages in a bounded
 * buffer and count what overflows.  TLS is TCP's queue with a security
 * layer in between (stream.h); a failed handshake counts in
 * handshake_failures, says why in last_error, and is retried with the
 * reconnect backoff.
 *
 * Counters: delivered (UDP: accepted by the kernel; TCP: acknowledged by
 * the peer's TCP) and dropped (refused, failed, or still queued at close)
 * messages and records.  Errors from open() carry a message naming the
 * URL; runtime trouble is counted, never fatal.
 */
#ifndef NS_EXPORT_TRANSPORT_H
#define NS_EXPORT_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "export/endpoint.h"
#include "util/err.h"

struct ns_xport_counts {
    uint64_t messages, records, octets;         /* delivered (records: data records) */
    uint64_t flows;                             /* of the records, flow records */
    uint64_t dropped_messages, dropped_records; /* never delivered */
    uint64_t dropped_flows;
    /* SCTP: abandoned by PR-SCTP after being put on the wire — the
     * collector may or may not have them (its sequence numbers tell); in
     * neither delivered nor dropped */
    uint64_t abandoned_messages, abandoned_records, abandoned_flows;
    uint64_t connects, disconnects, send_errors; /* sessions and trouble */
    uint64_t queued_octets;      /* gauge: accepted, not yet acknowledged (stream transports) */
    uint64_t handshake_failures; /* TLS/DTLS: refused or failed handshakes */
};

struct ns_tls_config;

struct ns_xport_opts {
    size_t buffer;           /* stream transports: queue bytes */
    uint64_t backoff_min_ns; /* first reconnect delay, doubled up to max */
    uint64_t backoff_max_ns;
    uint64_t send_timeout_ns;        /* connected but slow peer: wait this long for room */
    unsigned mtu;                    /* datagram transports: path MTU (DTLS sets it in OpenSSL) */
    const struct ns_tls_config *tls; /* tls, dtls: certificates and names (tlsctx.h) */
    uint32_t sctp_ttl_ms;            /* SCTP: PR-SCTP lifetime of data messages (0: reliable) */
};

struct ns_xport;

struct ns_xport_ops {
    const char *scheme;
    int datagram;      /* 1: unreliable, MTU-bound (refresh templates) */
    unsigned overhead; /* datagram: octets per message added inside the UDP payload */
    int (*open)(struct ns_xport **t, const struct ns_endpoint *ep, const struct ns_xport_opts *o,
                struct ns_error *err);
    /* A finished message with nrec data records (nflow flow records); msg may be modified
     * (sequence number per session).  NS_OK: delivered or queued;
     * NS_EFULL: refused (counted as dropped by the transport). */
    int (*send)(struct ns_xport *t, uint8_t *msg, size_t len, uint32_t nrec, uint32_t nflow);
    /* Make progress at time now (ns, monotonic).  Returns 1 when a new
     * transport session started (the caller then sends templates), else 0. */
    int (*poll)(struct ns_xport *t, uint64_t now);
    /* Nothing left to deliver. */
    int (*idle)(const struct ns_xport *t);
    /* Messages sent while `front` is set go before everything queued (the
     * templates of a new session). */
    void (*set_front)(struct ns_xport *t, int front);
    /* Connected (datagram: always). */
    int (*up)(const struct ns_xport *t);
    /* Local address of the socket, for the statistics scope (0 if none). */
    int (*local)(const struct ns_xport *t, struct sockaddr_storage *ss);
    const struct ns_xport_counts *(*counts)(const struct ns_xport *t);
    /* Why the last handshake or connection failed ("" when nothing
     * failed); may be NULL for transports that cannot say more. */
    const char *(*last_error)(const struct ns_xport *t);
    /* Close; what is still queued is counted as dropped first. */
    void (*close)(struct ns_xport *t, struct ns_xport_counts *final);
};

extern const struct ns_xport_ops ns_xport_udp;
extern const struct ns_xport_ops ns_xport_tcp;
extern const struct ns_xport_ops ns_xport_tls;
extern const struct ns_xport_ops ns_xport_dtls;

/* DTLS 1.2 record overhead with the ciphers tlsctx.h allows: a 13-octet
 * record header, an 8-octet explicit nonce and a 16-octet tag (AES-GCM;
 * ChaCha20-Poly1305 needs 8 fewer) (RFC 6347 §4.1, RFC 5288 §3). */
#define NS_DTLS_OVERHEAD 37u
extern const struct ns_xport_ops ns_xport_sctp;     /* sctp.h: kernel SCTP */
extern const struct ns_xport_ops ns_xport_sctp_udp; /* sctp.h: usrsctp over UDP */

const struct ns_xport_ops *ns_xport_for(enum ns_transport_kind kind);

#endif
