#include "export/tlsctx.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* (D)TLS 1.2: ECDHE key exchange and AEAD ciphers only.  TLS 1.3 keeps
 * OpenSSL's default suites (all AEAD, all with (EC)DHE). */
#define NS_TLS12_CIPHERS                                                                           \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                                   \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                                   \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

struct ns_tls {
    SSL_CTX *ctx;
    int server;
    struct ns_tls_config c;
    unsigned char cookie_key[32];
};

static void ssl_errors(char *buf, size_t n)
{
    unsigned long e, last = 0;
    while ((e = ERR_get_error()) != 0)
        last = e;
    if (last) {
        const char *r = ERR_reason_error_string(last);
        snprintf(buf, n, "%s", r ? r : "OpenSSL error");
    } else {
        snprintf(buf, n, "unknown OpenSSL error");
    }
}

static int no_password(char *buf, int size, int rw, void *u)
{
    return -1; /* an encrypted key: never prompt */
}

static FILE *open_file(const char *opt, const char *path, const char *what, struct ns_error *err)
{
    if (!path || !*path) {
        ns_error_set(err, NS_EINVAL, "%s: TLS needs %s FILE", what, opt);
        return NULL;
    }
    FILE *f = fopen(path, "r");
    if (!f)
        ns_error_set(err, NS_EINVAL, "%s %s: %s", opt, path, strerror(errno));
    return f;
}

static int load_cert(SSL_CTX *ctx, const struct ns_tls_config *c, const char *what,
                     struct ns_error *err)
{
    FILE *f = open_file("--tls-cert", c->cert, what, err);
    if (!f)
        return NS_EINVAL;
    X509 *x = PEM_read_X509(f, NULL, no_password, NULL);
    fclose(f);
    char why[200];
    if (!x) {
        ssl_errors(why, sizeof why);
        return ns_error_set(err, NS_EINVAL, "--tls-cert %s: no PEM certificate in it (%s)", c->cert,
                            why);
    }
    X509_free(x);
    if (SSL_CTX_use_certificate_chain_file(ctx, c->cert) != 1) {
        ssl_errors(why, sizeof why);
        return ns_error_set(err, NS_EINVAL, "--tls-cert %s: %s", c->cert, why);
    }
    f = open_file("--tls-key", c->key, what, err);
    if (!f)
        return NS_EINVAL;
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, no_password, NULL);
    fclose(f);
    if (!k) {
        ssl_errors(why, sizeof why);
        return ns_error_set(err, NS_EINVAL,
                            "--tls-key %s: no usable PEM private key in it (%s; encrypted keys "
                            "are not supported)",
                            c->key, why);
    }
    int ok = SSL_CTX_use_PrivateKey(ctx, k) == 1 && SSL_CTX_check_private_key(ctx) == 1;
    EVP_PKEY_free(k);
    if (!ok) {
        ssl_errors(why, sizeof why);
        return ns_error_set(err, NS_EINVAL,
                            "--tls-key %s does not match the certificate in --tls-cert %s (%s)",
                            c->key, c->cert, why);
    }
    f = open_file("--tls-ca", c->ca, what, err);
    if (!f)
        return NS_EINVAL;
    fclose(f);
    if (SSL_CTX_load_verify_locations(ctx, c->ca, NULL) != 1) {
        ssl_errors(why, sizeof why);
        return ns_error_set(err, NS_EINVAL, "--tls-ca %s: no PEM CA certificate in it (%s)", c->ca,
                            why);
    }
    return NS_OK;
}

/* RFC 6347 §4.2.1: cookie = HMAC(secret, client address and port). */
static int cookie_of(SSL *ssl, unsigned char *out, unsigned int *len)
{
    const struct ns_tls *t = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    BIO_ADDR *peer = BIO_ADDR_new();
    if (!t || !peer)
        return 0;
    unsigned char data[2 + 16 + 2] = {0};
    size_t alen = 16;
    int ok = BIO_dgram_get_peer(SSL_get_rbio(ssl), peer) > 0 &&
             BIO_ADDR_rawaddress(peer, data + 2, &alen) == 1;
    if (ok) {
        data[0] = (unsigned char)BIO_ADDR_family(peer);
        unsigned short port = BIO_ADDR_rawport(peer);
        memcpy(data + 18, &port, 2);
    }
    BIO_ADDR_free(peer);
    size_t ol = 0;
    ok = ok && EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, t->cookie_key, sizeof t->cookie_key,
                         data, sizeof data, out, DTLS1_COOKIE_LENGTH, &ol) != NULL;
    *len = (unsigned int)ol;
    return ok;
}

static int cookie_gen(SSL *ssl, unsigned char *cookie, unsigned int *len)
{
    return cookie_of(ssl, cookie, len);
}

static int cookie_verify(SSL *ssl, const unsigned char *cookie, unsigned int len)
{
    unsigned char want[EVP_MAX_MD_SIZE];
    unsigned int wl = 0;
    return cookie_of(ssl, want, &wl) && wl == len && CRYPTO_memcmp(want, cookie, wl) == 0;
}

int ns_tls_new(struct ns_tls **out, const struct ns_tls_config *c, int server, int dtls,
               const char *what, struct ns_error *err)
{
    *out = NULL;
    if (!c)
        return ns_error_set(err, NS_EINVAL, "%s: TLS needs --tls-cert, --tls-key and --tls-ca",
                            what);
    struct ns_tls *t = calloc(1, sizeof *t);
    if (!t)
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    t->server = server;
    t->c = *c;
    ERR_clear_error();
    t->ctx = SSL_CTX_new(dtls ? DTLS_method() : TLS_method());
    char why[200];
    int rc = NS_OK;
    if (!t->ctx) {
        ssl_errors(why, sizeof why);
        rc = ns_error_set(err, NS_ENOMEM, "%s: %s", what, why);
    } else if ((rc = load_cert(t->ctx, c, what, err)) == NS_OK) {
        SSL_CTX_set_min_proto_version(t->ctx, dtls ? DTLS1_2_VERSION : TLS1_2_VERSION);
        SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                        SSL_OP_CIPHER_SERVER_PREFERENCE |
                                        SSL_OP_IGNORE_UNEXPECTED_EOF);
        /* No resumption.  A TLS 1.3 server still sends one ticket: it
         * comes after the server has checked the client's certificate, so
         * the exporter takes it as the word that it was accepted (tls.c). */
        SSL_CTX_set_num_tickets(t->ctx, server ? 1 : 0);
        SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
        /* the stream transport moves its queue (memmove) between retries */
        SSL_CTX_set_mode(t->ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER | (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                           NULL);
        SSL_CTX_set_app_data(t->ctx, t);
        if (SSL_CTX_set_cipher_list(t->ctx, NS_TLS12_CIPHERS) != 1) {
            ssl_errors(why, sizeof why);
            rc = ns_error_set(err, NS_EINVAL, "%s: cipher list: %s", what, why);
        }
        if (server && dtls) {
            if (RAND_bytes(t->cookie_key, sizeof t->cookie_key) != 1) {
                rc = ns_error_set(err, NS_EIO, "%s: no randomness for DTLS cookies", what);
            }
            SSL_CTX_set_cookie_generate_cb(t->ctx, cookie_gen);
            SSL_CTX_set_cookie_verify_cb(t->ctx, cookie_verify);
        }
    }
    if (rc < 0) {
        ns_tls_free(t);
        return rc;
    }
    *out = t;
    return NS_OK;
}

void ns_tls_free(struct ns_tls *t)
{
    if (!t)
        return;
    SSL_CTX_free(t->ctx);
    OPENSSL_cleanse(t->cookie_key, sizeof t->cookie_key);
    free(t);
}

SSL_CTX *ns_tls_ctx(const struct ns_tls *t)
{
    return t->ctx;
}

static int is_ip(const char *s)
{
    unsigned char b[16];
    return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

SSL *ns_tls_ssl(const struct ns_tls *t, const char *host)
{
    SSL *ssl = SSL_new(t->ctx);
    if (!ssl)
        return NULL;
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    int ok = 1;
    if (!t->server) {
        const char *name = t->c.name && *t->c.name ? t->c.name : host;
        /* SSL_set1_host checks an IP literal against the IP addresses */
        ok = name && *name && SSL_set1_host(ssl, name) == 1;
        if (ok && !is_ip(name))
            ok = SSL_set_tlsext_host_name(ssl, name) == 1;
    } else {
        for (size_t i = 0; i < t->c.npeers && ok; i++)
            ok = SSL_add1_host(ssl, t->c.peers[i]) == 1;
    }
    if (!ok) {
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

const char *ns_tls_why(SSL *ssl, int ret, char *buf, size_t n)
{
    long v = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
    int e = ssl ? SSL_get_error(ssl, ret) : SSL_ERROR_SSL;
    if (v != X509_V_OK) {
        ERR_clear_error();
        snprintf(buf, n, "peer certificate rejected: %s", X509_verify_cert_error_string(v));
    } else if (ERR_peek_error()) {
        ssl_errors(buf, n);
    } else if (e == SSL_ERROR_SYSCALL && errno) {
        snprintf(buf, n, "%s", strerror(errno));
    } else {
        snprintf(buf, n, "connection closed during the handshake");
    }
    return buf;
}

const char *ns_tls_peer_name(SSL *ssl, char *buf, size_t n)
{
    X509 *x = SSL_get0_peer_certificate(ssl);
    snprintf(buf, n, "?");
    if (x)
        X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, (int)n);
    return buf;
}

BIO_ADDR *ns_tls_bio_addr(const struct sockaddr_storage *ss)
{
    BIO_ADDR *a = BIO_ADDR_new();
    if (!a)
        return NULL;
    int ok = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
        ok = BIO_ADDR_rawmake(a, AF_INET, &s->sin_addr, 4, s->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
        ok = BIO_ADDR_rawmake(a, AF_INET6, &s->sin6_addr, 16, s->sin6_port);
    }
    if (!ok) {
        BIO_ADDR_free(a);
        return NULL;
    }
    return a;
}

int ns_tls_sockaddr(const BIO_ADDR *a, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    size_t al = 16;
    if (BIO_ADDR_family(a) == AF_INET) {
        struct sockaddr_in *s = (struct sockaddr_in *)ss;
        s->sin_family = AF_INET;
        al = 4;
        if (BIO_ADDR_rawaddress(a, &s->sin_addr, &al) != 1)
            return NS_EINVAL;
        s->sin_port = BIO_ADDR_rawport(a);
        *len = sizeof *s;
    } else if (BIO_ADDR_family(a) == AF_INET6) {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
        s->sin6_family = AF_INET6;
        if (BIO_ADDR_rawaddress(a, &s->sin6_addr, &al) != 1)
            return NS_EINVAL;
        s->sin6_port = BIO_ADDR_rawport(a);
        *len = sizeof *s;
    } else {
        return NS_EINVAL;
    }
    return NS_OK;
}
