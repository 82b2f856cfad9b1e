/* export/tlsctx: start-up checks name the file and the reason; the policy
 * (mutual authentication, names, versions, ciphers) holds in real
 * handshakes over a socket pair, with certificates made here. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "export/tlsctx.h"

static char dir[64];

static const char *path(const char *name)
{
    static char buf[8][128];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    assert_non_null(e);
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
}

/* A certificate for key k named cn, signed by (issuer, ikey) or itself. */
static X509 *make_cert(EVP_PKEY *k, const char *cn, const char *san, const char *eku, X509 *issuer,
                       EVP_PKEY *ikey)
{
    X509 *x = X509_new();
    static long serial = 1;
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, k);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
    if (!issuer) {
        add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(x, issuer, NID_subject_alt_name, san);
        add_ext(x, issuer, NID_ext_key_usage, eku);
    }
    assert_true(X509_sign(x, issuer ? ikey : k, EVP_sha256()) > 0);
    return x;
}

static void write_cert(const char *name, X509 *x)
{
    FILE *f = fopen(path(name), "w");
    assert_non_null(f);
    PEM_write_X509(f, x);
    fclose(f);
}

static void write_key(const char *name, EVP_PKEY *k, const char *pass)
{
    FILE *f = fopen(path(name), "w");
    assert_non_null(f);
    if (pass)
        PEM_write_PrivateKey(f, k, EVP_aes_128_cbc(), (const unsigned char *)pass,
                             (int)strlen(pass), NULL, NULL);
    else
        PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    fclose(f);
}

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/ns-tlsctx-XXXXXX");
    assert_non_null(mkdtemp(dir));
    EVP_PKEY *cak = EVP_EC_gen("P-256"), *rk = EVP_EC_gen("P-256");
    EVP_PKEY *sk = EVP_EC_gen("P-256"), *ck = EVP_EC_gen("P-256"), *ok = EVP_EC_gen("P-256");
    X509 *ca = make_cert(cak, "test ca", NULL, NULL, NULL, NULL);
    X509 *rogue = make_cert(rk, "rogue ca", NULL, NULL, NULL, NULL);
    X509 *srv =
        make_cert(sk, "collector.test", "DNS:collector.test,IP:127.0.0.1", "serverAuth", ca, cak);
    X509 *cli = make_cert(ck, "exporter.test", "DNS:exporter.test", "clientAuth", ca, cak);
    X509 *rcli = make_cert(ck, "exporter.test", "DNS:exporter.test", "clientAuth", rogue, rk);
    write_cert("ca.pem", ca);
    write_cert("server.pem", srv);
    write_key("server.key", sk, NULL);
    write_cert("client.pem", cli);
    write_key("client.key", ck, NULL);
    write_cert("rogue.pem", rcli);
    write_key("other.key", ok, NULL);
    write_key("locked.key", ck, "secret");
    FILE *f = fopen(path("garbage.pem"), "w");
    fputs("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n", f);
    fclose(f);
    X509_free(ca);
    X509_free(rogue);
    X509_free(srv);
    X509_free(cli);
    X509_free(rcli);
    EVP_PKEY_free(cak);
    EVP_PKEY_free(rk);
    EVP_PKEY_free(sk);
    EVP_PKEY_free(ck);
    EVP_PKEY_free(ok);
    return 0;
}

static int teardown(void **state)
{
    const char *files[] = {"ca.pem",    "server.pem", "server.key", "client.pem",  "client.key",
                           "rogue.pem", "other.key",  "locked.key", "garbage.pem", "empty.pem"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        unlink(path(files[i]));
    rmdir(dir);
    return 0;
}

static struct ns_tls_config cfg(const char *cert, const char *key, const char *ca)
{
    struct ns_tls_config c = {0};
    c.cert = cert ? path(cert) : NULL;
    c.key = key ? path(key) : NULL;
    c.ca = ca ? path(ca) : NULL;
    return c;
}

/* ns_tls_new fails with a message holding every string in want[]. */
static void refused(struct ns_tls_config c, const char *want1, const char *want2)
{
    struct ns_tls *t = NULL;
    struct ns_error err = {0};
    assert_int_equal(ns_tls_new(&t, &c, 0, 0, "tls://x", &err), NS_EINVAL);
    assert_null(t);
    if (!strstr(err.msg, want1) || (want2 && !strstr(err.msg, want2)))
        fail_msg("message '%s' lacks '%s' / '%s'", err.msg, want1, want2 ? want2 : "");
}

static void test_startup_errors(void **state)
{
    refused(cfg("nope.pem", "client.key", "ca.pem"), path("nope.pem"), "No such file");
    refused(cfg("garbage.pem", "client.key", "ca.pem"), path("garbage.pem"), "no PEM certificate");
    refused(cfg("client.pem", "client.pem", "ca.pem"), path("client.pem"), "no usable PEM private");
    refused(cfg("client.pem", "other.key", "ca.pem"), path("other.key"), "does not match");
    refused(cfg("client.pem", "locked.key", "ca.pem"), path("locked.key"), "encrypted");
    refused(cfg("client.pem", "client.key", NULL), "--tls-ca", NULL);
    refused(cfg(NULL, "client.key", "ca.pem"), "--tls-cert", NULL);
    refused(cfg("client.pem", "client.key", "client.key"), path("client.key"), "no PEM CA");
    FILE *f = fopen(path("empty.pem"), "w");
    fclose(f);
    refused(cfg("empty.pem", "client.key", "ca.pem"), path("empty.pem"), "no PEM certificate");
    struct ns_error err = {0};
    struct ns_tls *t = NULL;
    assert_int_equal(ns_tls_new(&t, NULL, 0, 0, "tls://x", &err), NS_EINVAL);
    struct ns_tls_config ok = cfg("client.pem", "client.key", "ca.pem");
    for (int server = 0; server < 2; server++)
        for (int dtls = 0; dtls < 2; dtls++) {
            assert_int_equal(ns_tls_new(&t, &ok, server, dtls, "x", &err), NS_OK);
            ns_tls_free(t);
        }
}

static void test_names(void **state)
{
    struct ns_tls_config c = cfg("client.pem", "client.key", "ca.pem");
    struct ns_tls *t;
    struct ns_error err;
    assert_int_equal(ns_tls_new(&t, &c, 0, 0, "x", &err), NS_OK);
    SSL *ssl = ns_tls_ssl(t, "127.0.0.1"); /* an IP literal: checked as an address */
    assert_non_null(ssl);
    char *ip = X509_VERIFY_PARAM_get1_ip_asc(SSL_get0_param(ssl));
    assert_string_equal(ip, "127.0.0.1");
    OPENSSL_free(ip);
    assert_null(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name));
    SSL_free(ssl);
    ssl = ns_tls_ssl(t, "collector.test");
    assert_string_equal(X509_VERIFY_PARAM_get0_host(SSL_get0_param(ssl), 0), "collector.test");
    assert_string_equal(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name), "collector.test");
    SSL_free(ssl);
    ns_tls_free(t);
    c.name = "override.test"; /* --tls-name wins over the URL host */
    assert_int_equal(ns_tls_new(&t, &c, 0, 0, "x", &err), NS_OK);
    ssl = ns_tls_ssl(t, "127.0.0.1");
    assert_string_equal(X509_VERIFY_PARAM_get0_host(SSL_get0_param(ssl), 0), "override.test");
    SSL_free(ssl);
    ns_tls_free(t);
}

/* Run a handshake between a client and a server SSL over a socket pair;
 * 1 when both ends finished, 0 when either failed. */
static int handshake(SSL *cl, SSL *sv)
{
    int sp[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    fcntl(sp[0], F_SETFL, O_NONBLOCK);
    fcntl(sp[1], F_SETFL, O_NONBLOCK);
    SSL_set_fd(cl, sp[0]);
    SSL_set_fd(sv, sp[1]);
    SSL_set_connect_state(cl);
    SSL_set_accept_state(sv);
    int dc = 0, ds = 0, ok = 1;
    for (int i = 0; i < 200 && ok && !(dc && ds); i++) {
        int r;
        if (!dc && (r = SSL_do_handshake(cl)) != 1) {
            int e = SSL_get_error(cl, r);
            ok = e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
        } else {
            dc = 1;
        }
        if (!ds && (r = SSL_do_handshake(sv)) != 1) {
            int e = SSL_get_error(sv, r);
            ok = ok && (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE);
        } else {
            ds = 1;
        }
    }
    if (ok && dc && ds) { /* TLS 1.3: the server's verdict reaches the client after */
        char b[16];
        int r = SSL_read(cl, b, sizeof b);
        int e = SSL_get_error(cl, r);
        ok = e == SSL_ERROR_WANT_READ;
    }
    ERR_clear_error();
    close(sp[0]);
    close(sp[1]);
    return ok && dc && ds;
}

struct pair {
    struct ns_tls *c, *s;
    SSL *cl, *sv;
};

static void pair_new(struct pair *p, const char *ccert, const char *name, const char *peer)
{
    struct ns_tls_config cc = cfg(ccert, "client.key", "ca.pem");
    struct ns_tls_config sc = cfg("server.pem", "server.key", "ca.pem");
    cc.name = name;
    if (peer)
        sc.peers[sc.npeers++] = peer;
    struct ns_error err;
    assert_int_equal(ns_tls_new(&p->c, &cc, 0, 0, "c", &err), NS_OK);
    assert_int_equal(ns_tls_new(&p->s, &sc, 1, 0, "s", &err), NS_OK);
    p->cl = ns_tls_ssl(p->c, "127.0.0.1");
    p->sv = ns_tls_ssl(p->s, NULL);
    assert_non_null(p->cl);
    assert_non_null(p->sv);
}

static void pair_free(struct pair *p)
{
    SSL_free(p->cl);
    SSL_free(p->sv);
    ns_tls_free(p->c);
    ns_tls_free(p->s);
}

static void test_policy(void **state)
{
    struct pair p;
    char why[200];
    /* the good pair: TLS 1.3, mutual, names checked both ways */
    pair_new(&p, "client.pem", NULL, "exporter.test");
    assert_true(handshake(p.cl, p.sv));
    assert_int_equal(SSL_version(p.cl), TLS1_3_VERSION);
    assert_string_equal(ns_tls_peer_name(p.sv, why, sizeof why), "exporter.test");
    assert_string_equal(ns_tls_peer_name(p.cl, why, sizeof why), "collector.test");
    pair_free(&p);
    /* TLS 1.2 still works, with an ECDHE AEAD suite */
    pair_new(&p, "client.pem", NULL, NULL);
    SSL_set_max_proto_version(p.cl, TLS1_2_VERSION);
    assert_true(handshake(p.cl, p.sv));
    assert_non_null(strstr(SSL_get_cipher_name(p.cl), "ECDHE"));
    assert_non_null(strstr(SSL_get_cipher_name(p.cl), "GCM"));
    pair_free(&p);
    /* a client certificate from another CA */
    pair_new(&p, "rogue.pem", NULL, NULL);
    assert_false(handshake(p.cl, p.sv));
    ns_tls_why(p.sv, -1, why, sizeof why);
    assert_non_null(strstr(why, "peer certificate rejected"));
    pair_free(&p);
    /* the right CA, but not a listed peer */
    pair_new(&p, "client.pem", NULL, "someone.else");
    assert_false(handshake(p.cl, p.sv));
    pair_free(&p);
    /* the collector's certificate does not carry the expected name */
    pair_new(&p, "client.pem", "wrong.test", NULL);
    assert_false(handshake(p.cl, p.sv));
    ns_tls_why(p.cl, -1, why, sizeof why);
    assert_non_null(strstr(why, "hostname mismatch"));
    pair_free(&p);
    /* old versions and non-AEAD or non-ECDHE suites are refused */
    pair_new(&p, "client.pem", NULL, NULL);
    SSL_set_min_proto_version(p.cl, TLS1_VERSION);
    SSL_set_max_proto_version(p.cl, TLS1_1_VERSION);
    SSL_set_security_level(p.cl, 0);
    assert_false(handshake(p.cl, p.sv));
    pair_free(&p);
    pair_new(&p, "client.pem", NULL, NULL);
    SSL_set_max_proto_version(p.cl, TLS1_2_VERSION);
    ERR_clear_error();
    /* ECDHE but CBC (not AEAD); the keys are ECDSA, so no RSA key exchange
     * suite could be chosen anyway */
    SSL_set_cipher_list(p.cl, "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384");
    assert_false(handshake(p.cl, p.sv));
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_startup_errors),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_policy),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
