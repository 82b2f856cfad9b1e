/*
 * collect.h — the IPFIX collecting process behind `netsift collect`:
 * listens on UDP, TCP, TLS and DTLS endpoints (export/endpoint.h URLs), keeps one
 * session (session.h) per exporter, and stores the flow records as
 * RFC 5655 IPFIX files rotated by time.
 *
 * Design
 * ------
 * One thread, one epoll loop: UDP sockets (a session per exporter
 * address:port, forgotten after udp_idle_ns of silence), TCP listeners
 * and connections (a session per connection; messages framed by their
 * length field; a stream that is not IPFIX version 10 or whose length
 * is below 16 cannot be re-framed and is closed).  Sessions are bounded
 * (max_sessions; more exporters are refused and counted), and so is
 * each session's template memory and number of domains (limits).
 * Further transports (SCTP) are further listener kinds.
 *
 * TLS and DTLS (RFC 7011 §11, policy in export/tlsctx.h): a TLS listener
 * is a TCP listener whose connections do a server handshake (driven by
 * their epoll events, bounded by a 10 s deadline) before their bytes go
 * to the same framing; the exporter must present a certificate from the
 * CA, and with peers set, one carrying one of those names.  A DTLS
 * listener is one UDP socket on which DTLSv1_listen answers every
 * ClientHello with a stateless cookie (RFC 6347 §4.2.1); a client that
 * returns a valid cookie gets a UDP socket of its own, bound to the same
 * address and port and connected to the client, so that the kernel hands
 * that peer's datagrams to it (a connected socket outranks the wildcard
 * one in the UDP lookup).  Why a socket per peer instead of demultiplexing
 * the one socket ourselves: OpenSSL 3.0's datagram BIO is built around a
 * socket per association (no datagram memory BIO before 3.2), the kernel
 * does the peer lookup, every peer is an ordinary epoll handle like a TCP
 * connection, and no state exists before the cookie round trip, so
 * spoofed sources cost nothing; the price is one descriptor per DTLS
 * exporter (bounded by max_sessions).  Each DTLS association is its own
 * transport session (templates scoped to it, datagram rules: template
 * lifetime, idle expiry); it ends on close_notify or silence.
 * Handshakes that fail or time out are counted per listener and in the
 * totals; the first one on each listener is logged with its reason.
 * Datagrams on a DTLS listener that are not a ClientHello (or carry a
 * wrong cookie) are dropped by DTLSv1_listen before any state exists and
 * are not counted: no handshake began.
 * A connection is only a session once its handshake is done: before that
 * it is neither logged nor counted as a session, and stores nothing.
 *
 * Storage.  Records are decoded into ns_records and written again with
 * the message builder (ipfix/msgbuild.h), one builder per stream — a
 * (session, observation domain) pair — so messages of different
 * exporters interleave in a file without their templates colliding.
 * Attribution: each stream is written under an observation domain the
 * collector assigns (1, 2, ... for its lifetime), and the first message
 * of each stream in each file carries an options record (template
 * NS_COLLECT_EXPORTER_TID, scope observationDomainId) that names the
 * exporter the way an IPFIX mediator does (RFC 7119):
 * originalExporterIPv4Address or originalExporterIPv6Address,
 * exporterTransportPort, originalObservationDomainId and
 * protocolIdentifier (17 UDP and DTLS, 6 TCP and TLS).  Flow records not modelled by
 * ns_record (other exporters' extra fields) are not kept.
 *
 * Copy-through.  Decoding and encoding again cost ~2500 instructions per
 * record.  When a data set's template is field for field one that the
 * stream's encoder would write for its records (a netsift exporter's, in
 * practice) and every record of the set selects that template (protocol:
 * ICMP or not; VLAN id non-zero), its bytes are copied into the stream's
 * message as they are (ipfix/flowrec.h ns_flowrec_copy_plan): the stored
 * file holds records that `netsift read` decodes exactly as the decoded
 * and re-encoded ones, in the same messages (export time: the newest
 * record end, read from the copied bytes), with the same counts and
 * sequence accounting (session.h: the set's records count as delivered).
 * Any other set is decoded record by record as before; reencode forces
 * that for all (tests compare the two paths' files).
 *
 * Files: the path is strftime(pattern) of the start of the rotation
 * interval (local time; intervals are multiples of rotate_ns since the
 * epoch, like nfcapd), directories made as needed.  A file is written as
 * PATH.part and renamed to PATH when its interval ends (or at stop); a
 * name that exists gets -1, -2, ... before its extension.  Every write is
 * a whole message (zio.h), and builders are flushed every flush_ns, so
 * after a crash or kill -9 every completed file is whole and the .part
 * file reads up to its last complete message.  No records: no file.
 *
 * Errors: new fails on a bad URL, a port in use (NS_EIO with the
 * reason); run fails only when storage fails (disk full: NS_EIO).  Bad
 * input is counted, never fatal.  Ownership: new allocates, free frees.
 */
#ifndef NS_COLLECT_COLLECT_H
#define NS_COLLECT_COLLECT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "collect/session.h"
#include "export/tlsctx.h"
#include "util/err.h"

#define NS_COLLECT_MAX_LISTEN   16
#define NS_COLLECT_EXPORTER_TID 0xFF01u

struct ns_collect_config {
    const char *const *listen; /* udp://, tcp://, tls://, dtls://H:P */
    size_t nlisten;
    const char *pattern; /* strftime path pattern; NULL: store nothing */
    uint64_t rotate_ns;  /* 0: one file */
    int zstd_level;      /* 0: plain */
    struct ns_coll_limits limits;
    size_t max_sessions;      /* 0: 256 */
    uint64_t udp_idle_ns;     /* UDP session forgotten after (0: 3600 s) */
    uint64_t flush_ns;        /* pending records written at least this often (0: 1 s) */
    int rcvbuf;               /* UDP socket receive buffer (0: 8 MiB) */
    int reencode;             /* decode and encode every flow record (no copy-through) */
    struct ns_tls_config tls; /* tls://, dtls:// listeners: certificates, peer names */
    void (*log)(void *ctx, const char *msg);
    void *log_ctx;
};

/* One exporter (live session) for status views. */
struct ns_collect_exporter {
    char name[80]; /* "udp 192.0.2.1:4739" */
    uint32_t id;
    struct ns_coll_stats st;
    size_t templates, domains;
    uint64_t since_ns; /* session start (monotonic) */
};

struct ns_collect_totals {
    struct ns_coll_stats st; /* all sessions, ended ones included */
    uint64_t sessions, refused_sessions;
    uint64_t files, store_errors;
    uint64_t framing_errors;     /* TCP streams closed: not IPFIX */
    uint64_t handshake_failures; /* TLS/DTLS handshakes failed or timed out */
};

struct ns_collector;

void ns_collect_config_default(struct ns_collect_config *c);
int ns_collector_new(struct ns_collector **c, const struct ns_collect_config *cfg,
                     struct ns_error *err);
/* Bound address of listener i (port 0 in the URL: the kernel's choice). */
int ns_collector_local(const struct ns_collector *c, size_t i, struct sockaddr_storage *ss);
/* Wait up to timeout_ms for input, process it, run timers (rotation,
 * flushing, UDP session expiry). */
int ns_collector_run(struct ns_collector *c, int timeout_ms, struct ns_error *err);
/* Orderly stop: no new connections; TCP exporters are half-closed and
 * read to their end (up to 3 s), UDP sockets drained, files completed. */
int ns_collector_stop(struct ns_collector *c, struct ns_error *err);
void ns_collector_free(struct ns_collector *c);
/* Stop (1) or resume (0) reading input; run then only runs timers, so
 * exporters see back-pressure (tests of SCTP partial reliability). */
void ns_collector_pause(struct ns_collector *c, int on);
size_t ns_collector_exporters(const struct ns_collector *c, struct ns_collect_exporter *out,
                              size_t max);
void ns_collector_totals(const struct ns_collector *c, struct ns_collect_totals *t);
/* Failed TLS/DTLS handshakes on listener i (0 for plain listeners). */
uint64_t ns_collector_handshake_failures(const struct ns_collector *c, size_t i);

#endif
