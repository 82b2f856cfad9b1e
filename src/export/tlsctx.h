/*
 * tlsctx.h — the TLS/DTLS security policy shared by the exporting process
 * (tls.c, dtls.c) and the collecting process (collect/): one place that
 * loads and checks certificates and keys and says which protocol versions
 * and ciphers are acceptable, so both ends refuse the same things.
 *
 * Policy (RFC 7011 §11.1-§11.3: TLS for stream transports, DTLS for
 * datagrams, mutual authentication by certificates, the peer's identity
 * checked against the names it is expected to have):
 *  - TLS 1.2 or 1.3 (1.3 preferred when both ends have it), DTLS 1.2
 *    (OpenSSL 3.0 has no DTLS 1.3);
 *  - in (D)TLS 1.2 only ECDHE key exchange with an AEAD cipher
 *    (AES-GCM, ChaCha20-Poly1305); TLS 1.3's suites are all AEAD with
 *    (EC)DHE; no renegotiation, no compression, no session resumption;
 *  - both ends present a certificate and verify the other's chain against
 *    the configured CA: the collector sets SSL_VERIFY_PEER |
 *    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, the exporter checks the collector's
 *    name (its URL host, or `name`; an IP literal is checked against the
 *    certificate's IP addresses), the collector optionally restricts the
 *    exporters' names (`peers`; none: any certificate the CA signed).
 *
 * Start-up checks: ns_tls_new reads the files itself before handing them
 * to OpenSSL so that the error names the file and the reason — missing or
 * unreadable (errno), not PEM (no certificate / no key in it), an
 * encrypted key (never prompts), a key that does not belong to the
 * certificate, a CA file without a certificate.
 *
 * DTLS servers get a stateless cookie exchange (RFC 6347 §4.2.1): the
 * cookie is an HMAC-SHA256 of the client's address and port under a key
 * drawn at start, so a spoofed ClientHello costs the collector no state.
 *
 * Ownership: ns_tls_new allocates, ns_tls_free frees (it holds an
 * SSL_CTX reference; SSL objects made by ns_tls_ssl are the caller's).
 * Errors: NS_EINVAL with a message, nothing printed.
 */
#ifndef NS_EXPORT_TLSCTX_H
#define NS_EXPORT_TLSCTX_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <sys/socket.h>

#include "util/err.h"

#define NS_TLS_MAX_PEERS 16

struct ns_tls_config {
    const char *cert; /* PEM certificate (chain) presented to the peer */
    const char *key;  /* PEM private key of cert (unencrypted) */
    const char *ca;   /* PEM CA certificate(s) the peer's chain must lead to */
    const char *name; /* exporter: the collector's expected name (NULL: URL host) */
    const char *peers[NS_TLS_MAX_PEERS]; /* collector: accepted exporter names */
    size_t npeers;                       /* 0: any certificate the CA signed */
};

struct ns_tls;

/* server: collector side; dtls: DTLS 1.2 instead of TLS; what: the URL or
 * listener the context is for, quoted in messages. */
int ns_tls_new(struct ns_tls **t, const struct ns_tls_config *c, int server, int dtls,
               const char *what, struct ns_error *err);
void ns_tls_free(struct ns_tls *t);
SSL_CTX *ns_tls_ctx(const struct ns_tls *t);
/* A new SSL with the peer name checks set: a client expects `host` (unless
 * the configuration's name overrides it), a server the configured peers. */
SSL *ns_tls_ssl(const struct ns_tls *t, const char *host);
/* Why a handshake or I/O call failed (ret: its return value): the peer
 * certificate's verification error, else OpenSSL's error queue (drained),
 * else errno, else "connection closed". */
const char *ns_tls_why(SSL *ssl, int ret, char *buf, size_t n);
/* The peer certificate's subject CN (or "?"), for log lines. */
const char *ns_tls_peer_name(SSL *ssl, char *buf, size_t n);
/* BIO_ADDR <-> sockaddr, for the datagram BIOs. */
BIO_ADDR *ns_tls_bio_addr(const struct sockaddr_storage *ss);
int ns_tls_sockaddr(const BIO_ADDR *a, struct sockaddr_storage *ss, socklen_t *len);

#endif
