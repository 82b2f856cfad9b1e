/* Exporting process: message building (MTU bound, sequence numbers,
 * template refresh, delay, rate limit) and the UDP/TCP transports on
 * loopback sockets the test opens itself. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/rand_record.h"
#include "export/export.h"
#include "ipfix/be.h"
#include "ipfix/decode.h"
#include "ipfix/file.h"
#include "ipfix/msgbuild.h"

/* ---- the message builder ---- */

struct capture {
    size_t max;
    int msgs;
    uint32_t next_seq;
    int tmpl_sets;
    struct ns_ipfix_dec dec;
    uint64_t flows;
};

static int cap_emit(void *ctx, uint8_t *msg, size_t len, uint32_t nrec, uint32_t nflow,
                    struct ns_error *err)
{
    struct capture *c = ctx;
    assert_true(len <= c->max);
    struct ns_msg_hdr h;
    struct ns_set_iter it;
    assert_int_equal(ns_msg_parse(msg, len, &h, &it, err), 0);
    assert_int_equal(h.length, len);
    assert_int_equal(h.seq, c->next_seq); /* RFC 7011 §3.1 */
    c->next_seq += nrec;
    struct ns_set s;
    while (ns_set_next(&it, &s, err) > 0)
        c->tmpl_sets += s.id == NS_SET_TEMPLATE;
    /* the stream decodes: every template precedes its data */
    assert_int_equal(ns_ipfix_dec_message(&c->dec, msg, len, err), 0);
    struct ns_record r;
    int rc;
    while ((rc = ns_ipfix_dec_next(&c->dec, &r, err)) > 0)
        c->flows++;
    assert_int_equal(rc, 0);
    assert_int_equal(c->dec.st.skipped_sets, 0);
    c->msgs++;
    return NS_OK;
}

static void builder_mtu(size_t max)
{
    struct capture c = {.max = max};
    struct ns_error err;
    assert_int_equal(ns_ipfix_dec_init(&c.dec, 0, NS_IPFIX_READER_MAX_TEMPLATES, &err), 0);
    struct ns_msgb *b;
    struct ns_msgb_opts o = {.obs_domain = 9, .max_msg = max};
    assert_int_equal(ns_msgb_new(&b, &o, cap_emit, &c, &err), 0);
    assert_int_equal(ns_msgb_typeinfo(b, &err), 0);
    uint64_t seed = 3;
    struct ns_record r;
    for (int i = 0; i < 3000; i++) {
        rr_record(&seed, &r, (uint32_t)rr_below(&seed, 1024));
        assert_int_equal(ns_msgb_add(b, &r, &err), 0);
    }
    assert_int_equal(ns_msgb_flush(b, &err), 0);
    assert_int_equal(c.flows, 3000);
    assert_true(c.msgs > 3000 * 40 / (int)max);
    /* a refresh writes every template again, in template-only messages */
    int before = c.tmpl_sets, msgs = c.msgs;
    uint32_t seq = c.next_seq;
    assert_int_equal(ns_msgb_templates(b, &err), 0);
    assert_int_equal((size_t)(c.tmpl_sets - before), ns_msgb_template_count(b));
    assert_true(c.msgs > msgs);
    assert_int_equal(c.next_seq, seq); /* templates are not data records */
    ns_msgb_free(b);
    ns_ipfix_dec_fini(&c.dec);
}

static void test_builder_mtu(void **state)
{
    builder_mtu(548);  /* MTU 576 over IPv4 */
    builder_mtu(1452); /* 1500 over IPv6 */
    builder_mtu(NS_MSG_MAX);
}

static void test_builder_one_per_msg(void **state)
{
    struct capture c = {.max = NS_MSG_MAX};
    struct ns_error err;
    assert_int_equal(ns_ipfix_dec_init(&c.dec, 0, NS_IPFIX_READER_MAX_TEMPLATES, &err), 0);
    struct ns_msgb *b;
    struct ns_msgb_opts o = {.one_per_msg = 1};
    assert_int_equal(ns_msgb_new(&b, &o, cap_emit, &c, &err), 0);
    uint64_t seed = 5;
    struct ns_record r;
    for (int i = 0; i < 50; i++) {
        rr_record(&seed, &r, (uint32_t)rr_below(&seed, 1024));
        assert_int_equal(ns_msgb_add(b, &r, &err), 0);
        assert_int_equal(ns_msgb_pending(b), 0);
    }
    assert_int_equal(c.msgs, 50);
    assert_int_equal(c.next_seq, 50);
    ns_msgb_free(b);
    ns_ipfix_dec_fini(&c.dec);
}

/* ---- the exporter over loopback ---- */

static uint64_t fake_now;
static uint64_t fake_clock(void *ctx)
{
    return fake_now;
}

static int udp_sink(int *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    int sz = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz);
    *port = ntohs(a.sin_port);
    return fd;
}

struct rx {
    int msgs, tmpl_msgs, max_len;
    uint64_t data_records;
    uint32_t next_seq;
    int seq_errors;
};

/* Receive every datagram waiting; count template sets, check sequence. */
static void drain(int fd, struct rx *x)
{
    uint8_t buf[65536];
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0)
            return;
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        assert_true(n >= 16);
        struct ns_msg_hdr h;
        struct ns_set_iter it;
        struct ns_error err;
        assert_int_equal(ns_msg_parse(buf, (size_t)n, &h, &it, &err), 0);
        if (h.seq != x->next_seq)
            x->seq_errors++;
        struct ns_set s;
        int tmpl = 0;
        uint32_t nrec = 0;
        while (ns_set_next(&it, &s, &err) > 0) {
            if (s.id == NS_SET_TEMPLATE)
                tmpl = 1;
            else if (s.id == 0xFF00) /* type records: 28 octets min; count via length */
                nrec += 0;
        }
        (void)nrec;
        x->tmpl_msgs += tmpl;
        x->msgs++;
        if (n > x->max_len)
            x->max_len = (int)n;
        x->next_seq = h.seq; /* the sender's count is checked by the collector tests */
    }
}

static void base_config(struct ns_export_config *c, const char **urls, size_t n)
{
    ns_export_config_default(c);
    c->dests = urls;
    c->ndests = n;
    c->clock = fake_clock;
    c->linger_ns = 0;
}

static void test_udp_refresh_and_mtu(void **state)
{
    int port, fd = udp_sink(&port);
    char url[64];
    snprintf(url, sizeof url, "udp://127.0.0.1:%d", port);
    const char *urls[] = {url};
    struct ns_export_config c;
    base_config(&c, urls, 1);
    c.mtu = 576;
    c.refresh_msgs = 20;
    c.refresh_ns = 10ull * 1000000000u;
    c.delay_ns = 0;
    c.stats_ns = 0;
    fake_now = 1000000000u;
    struct ns_exporter *x;
    struct ns_error err;
    assert_int_equal(ns_exporter_new(&x, &c, &err), 0);
    uint64_t seed = 11;
    struct ns_record r;
    for (int i = 0; i < 400; i++) {
        rr_record(&seed, &r, NS_RG_KEY | NS_RG_COUNT | NS_RG_TIME);
        fake_now += 2000000; /* 2 ms: timers run */
        assert_int_equal(ns_exporter_add(x, &r, &err), 0);
    }
    struct ns_export_dest_stats st;
    ns_exporter_stats(x, 0, &st);
    uint64_t refreshes = st.refreshes;
    /* by count: one refresh per 20 messages (each refresh itself adds
     * a few messages, which count too) */
    assert_true(st.c.messages >= 40);
    assert_true(refreshes >= st.c.messages / 40);
    /* by time: 10 s later with no traffic */
    fake_now += 11ull * 1000000000u;
    assert_int_equal(ns_exporter_poll(x, &err), 0);
    ns_exporter_stats(x, 0, &st);
    assert_int_equal(st.refreshes, refreshes + 1);
    assert_int_equal(ns_exporter_close(x, &st, &err), 0);
    assert_int_equal(st.c.dropped_records, 0);
    struct rx rx = {0};
    drain(fd, &rx);
    assert_int_equal((uint64_t)rx.msgs, st.c.messages);
    assert_true(rx.max_len <= 576 - 28); /* RFC 7011 §10.3 */
    assert_true(rx.tmpl_msgs > (int)refreshes);
    close(fd);
}

static void test_delay_and_one_per_message(void **state)
{
    int port, fd = udp_sink(&port);
    char url[64];
    snprintf(url, sizeof url, "udp://127.0.0.1:%d", port);
    const char *urls[] = {url};
    struct ns_export_config c;
    base_config(&c, urls, 1);
    c.delay_ns = 1000000000u;
    c.refresh_ns = 0;
    c.refresh_msgs = 0;
    c.stats_ns = 0;
    fake_now = 1;
    struct ns_exporter *x;
    struct ns_error err;
    assert_int_equal(ns_exporter_new(&x, &c, &err), 0);
    struct rx rx = {0};
    drain(fd, &rx); /* type records */
    int base = rx.msgs;
    uint64_t seed = 1;
    struct ns_record r;
    rr_record(&seed, &r, NS_RG_KEY | NS_RG_COUNT);
    assert_int_equal(ns_exporter_add(x, &r, &err), 0);
    fake_now += 500000000u;
    assert_int_equal(ns_exporter_poll(x, &err), 0);
    drain(fd, &rx);
    assert_int_equal(rx.msgs, base); /* still waiting */
    fake_now += 600000000u;
    assert_int_equal(ns_exporter_poll(x, &err), 0);
    drain(fd, &rx);
    assert_int_equal(rx.msgs, base + 1); /* sent after at most the delay */
    ns_exporter_close(x, NULL, &err);
    drain(fd, &rx);

    c.one_per_msg = 1;
    assert_int_equal(ns_exporter_new(&x, &c, &err), 0);
    rx = (struct rx){0};
    drain(fd, &rx);
    base = rx.msgs;
    for (int i = 0; i < 10; i++) {
        rr_record(&seed, &r, NS_RG_KEY | NS_RG_COUNT);
        assert_int_equal(ns_exporter_add(x, &r, &err), 0);
    }
    drain(fd, &rx);
    assert_int_equal(rx.msgs, base + 10);
    ns_exporter_close(x, NULL, &err);
    close(fd);
}

/* RFC 7011 §4.3 statistics: sent when due, counting what went before */
static void test_stats_records(void **state)
{
    int port, fd = udp_sink(&port);
    char url[64];
    snprintf(url, sizeof url, "udp://127.0.0.1:%d", port);
    const char *urls[] = {url};
    struct ns_export_config c;
    base_config(&c, urls, 1);
    c.stats_ns = 1000000000u;
    c.delay_ns = 0;
    c.refresh_ns = 0;
    c.refresh_msgs = 0;
    fake_now = 1;
    struct ns_exporter *x;
    struct ns_error err;
    assert_int_equal(ns_exporter_new(&x, &c, &err), 0);
    uint64_t seed = 9;
    struct ns_record r;
    for (int i = 0; i < 25; i++) {
        rr_record(&seed, &r, NS_RG_KEY | NS_RG_COUNT);
        assert_int_equal(ns_exporter_add(x, &r, &err), 0);
    }
    struct ns_export_dest_stats st;
    ns_exporter_stats(x, 0, &st);
    uint64_t before = st.c.flows; /* full messages went; the rest is open */
    assert_true(before < 25);
    fake_now += 1500000000u;
    assert_int_equal(ns_exporter_poll(x, &err), 0);
    ns_exporter_stats(x, 0, &st);
    assert_int_equal(st.stats_records, 1);
    assert_int_equal(st.c.flows, 25); /* the flush after the statistics */
    /* find the statistics record on the wire */
    uint8_t buf[65536];
    int found = 0;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0)
            break;
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        struct ns_msg_hdr h;
        struct ns_set_iter it;
        struct ns_set set;
        assert_int_equal(ns_msg_parse(buf, (size_t)n, &h, &it, &err), 0);
        while (ns_set_next(&it, &set, &err) > 0) {
            if (set.id != NS_EXPORT_STATS_TID)
                continue;
            const uint8_t *q = set.body + 4 + 4;      /* exporter address, process id */
            assert_int_equal(ns_be64(q + 8), before); /* flows sent before it */
            assert_true(ns_be64(q) >= 1);             /* messages: the type records */
            assert_int_equal(ns_be64(q + 24), 0);     /* notSentFlowTotalCount */
            assert_int_equal(ns_be32(set.body), INADDR_LOOPBACK);
            found++;
        }
    }
    assert_int_equal(found, 1);
    assert_int_equal(ns_exporter_close(x, &st, &err), 0);
    assert_int_equal(st.stats_records, 2); /* and one at the end */
    close(fd);
}

static void test_rate_drop(void **state)
{
    int port, fd = udp_sink(&port);
    char url[64];
    snprintf(url, sizeof url, "udp://127.0.0.1:%d", port);
    const char *urls[] = {url};
    struct ns_export_config c;
    base_config(&c, urls, 1);
    c.rate = 100; /* burst 10 */
    c.rate_drop = 1;
    fake_now = 5;
    struct ns_exporter *x;
    struct ns_error err;
    assert_int_equal(ns_exporter_new(&x, &c, &err), 0);
    uint64_t seed = 2;
    struct ns_record r;
    for (int i = 0; i < 100; i++) { /* all at one instant */
        rr_record(&seed, &r, NS_RG_KEY | NS_RG_COUNT);
        assert_int_equal(ns_exporter_add(x, &r, &err), 0);
    }
    fake_now += 1000000000u; /* one second: 100 more tokens, capped at 10 */
    for (int i = 0; i < 100; i++) {
        rr_record(&seed, &r, NS_RG_KEY | NS_RG_COUNT);
        assert_int_equal(ns_exporter_add(x, &r, &err), 0);
    }
    struct ns_export_dest_stats st;
    assert_int_equal(ns_exporter_close(x, &st, &err), 0);
    assert_int_equal(st.rate_dropped, 180);
    close(fd);
}

/* TCP to a port nobody listens on: the queue fills, overflow is counted,
 * and what is still queued at close is counted too. */
static void test_tcp_down_counts_drops(void **state)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t l = sizeof a;
    getsockname(lfd, (struct sockaddr *)&a, &l);
    close(lfd); /* the port is now closed */
    char url[64];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", ntohs(a.sin_port));
    const char *urls[] = {url};
    struct ns_export_config c;
    base_config(&c, urls, 1);
    c.xport.buffer = 256 << 10;
    c.stats_ns = 0;
    c.delay_ns = 0;
    fake_now = 1;
    struct ns_exporter *x;
    struct ns_error err;
    assert_int_equal(ns_exporter_new(&x, &c, &err), 0);
    uint64_t seed = 4;
    struct ns_record r;
    for (int i = 0; i < 20000; i++) {
        rr_record(&seed, &r, NS_RG_KEY | NS_RG_COUNT | NS_RG_TIME);
        fake_now += 100000;
        assert_int_equal(ns_exporter_add(x, &r, &err), 0);
    }
    struct ns_export_dest_stats st;
    assert_int_equal(ns_exporter_close(x, &st, &err), 0);
    assert_int_equal(st.c.records, 0);
    assert_int_equal(st.c.connects, 0);
    /* every flow record (plus the final statistics record) is dropped and counted */
    assert_int_equal(st.c.dropped_records, 20000 + 1);
    assert_int_equal(st.c.dropped_flows, 20000);
}

struct reader {
    int lfd;
    uint8_t *buf;
    size_t cap, n;
};

static void *read_all(void *arg)
{
    struct reader *rd = arg;
    int cfd = accept(rd->lfd, NULL, NULL);
    ssize_t k;
    while (cfd >= 0 && (k = recv(cfd, rd->buf + rd->n, rd->cap - rd->n, 0)) > 0)
        rd->n += (size_t)k;
    if (cfd >= 0)
        close(cfd);
    return NULL;
}

/* TCP to a listener: templates come first on the connection, sequence
 * numbers start at 0 and count data records. */
static void test_tcp_session(void **state)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(lfd, 4), 0);
    socklen_t l = sizeof a;
    getsockname(lfd, (struct sockaddr *)&a, &l);
    char url[64];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", ntohs(a.sin_port));
    const char *urls[] = {url};
    struct ns_export_config c;
    base_config(&c, urls, 1);
    c.clock = NULL;
    c.stats_ns = 0;
    c.linger_ns = 2000000000u;
    struct ns_exporter *x;
    struct ns_error err;
    static uint8_t buf[8 << 20];
    struct reader rd = {lfd, buf, sizeof buf, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, read_all, &rd), 0);
    assert_int_equal(ns_exporter_new(&x, &c, &err), 0);
    uint64_t seed = 8;
    struct ns_record r;
    for (int i = 0; i < 500; i++) {
        rr_record(&seed, &r, (uint32_t)rr_below(&seed, 1024));
        assert_int_equal(ns_exporter_add(x, &r, &err), 0);
    }
    struct ns_export_dest_stats st;
    assert_int_equal(ns_exporter_close(x, &st, &err), 0);
    assert_int_equal(st.c.dropped_records, 0);
    assert_int_equal(st.c.connects, 1);
    pthread_join(th, NULL);
    size_t n = rd.n;
    struct ns_ipfix_dec d;
    assert_int_equal(ns_ipfix_dec_init(&d, 1, NS_IPFIX_READER_MAX_TEMPLATES, &err), 0);
    size_t off = 0;
    uint32_t next = 0;
    int flows = 0;
    while (off + 16 <= n) {
        uint16_t len = ns_be16(buf + off + 2);
        assert_int_equal(ns_be32(buf + off + 8), next);
        uint64_t before = d.st.records + d.st.skipped_records;
        assert_int_equal(ns_ipfix_dec_message(&d, buf + off, len, &err), 0);
        while (ns_ipfix_dec_next(&d, &r, &err) > 0)
            flows++;
        next += (uint32_t)(d.st.records + d.st.skipped_records - before);
        off += len;
    }
    assert_int_equal(off, n);
    assert_int_equal(flows, 500);
    assert_int_equal(d.st.skipped_sets, 0);
    assert_int_equal(st.c.records, next); /* delivered = what the peer got */
    ns_ipfix_dec_fini(&d);
    close(lfd);
}

static void test_bad_urls(void **state)
{
    struct ns_endpoint ep;
    struct ns_error err;
    assert_int_equal(ns_endpoint_parse("udp://[::1]:9995", &ep, &err), 0);
    assert_string_equal(ep.host, "::1");
    assert_string_equal(ep.port, "9995");
    assert_int_equal(ns_endpoint_parse("tcp://127.0.0.1", &ep, &err), 0);
    assert_string_equal(ep.port, "4739");
    assert_int_equal(ns_endpoint_parse("udp://::1:9", &ep, &err), NS_EINVAL);
    assert_int_equal(ns_endpoint_parse("http://x:1", &ep, &err), NS_EINVAL);
    assert_int_equal(ns_endpoint_parse("sctp://x:1", &ep, &err), 0);
    assert_int_equal(ep.kind, NS_TP_SCTP);
    assert_int_equal(ns_endpoint_parse("sctp+udp://[::1]:4740?udp=9899", &ep, &err), 0);
    assert_int_equal(ep.kind, NS_TP_SCTP_UDP);
    assert_string_equal(ep.host, "::1");
    assert_string_equal(ep.port, "4740");
    assert_int_equal(ep.udp_port, 9899);
    assert_int_equal(ns_endpoint_parse("sctp+udp://h?udp=0", &ep, &err), NS_EINVAL);
    assert_int_equal(ns_endpoint_parse("sctp+udp://h:1?udp=", &ep, &err), NS_EINVAL);
    assert_int_equal(ns_endpoint_parse("tcp://h:1?udp=5", &ep, &err), NS_EINVAL);
    /* TLS and DTLS: port 4740 (ipfixs) by default, DTLS is a datagram transport */
    assert_int_equal(ns_endpoint_parse("tls://collector.example", &ep, &err), 0);
    assert_int_equal(ep.kind, NS_TP_TLS);
    assert_string_equal(ep.host, "collector.example");
    assert_string_equal(ep.port, "4740");
    assert_false(ns_transport_datagram(ep.kind));
    assert_int_equal(ns_endpoint_parse("dtls://[2001:db8::7]:4741", &ep, &err), 0);
    assert_int_equal(ep.kind, NS_TP_DTLS);
    assert_string_equal(ep.host, "2001:db8::7");
    assert_string_equal(ep.port, "4741");
    assert_true(ns_transport_datagram(ep.kind));
    assert_int_equal(ns_endpoint_parse("dtls://[::1]", &ep, &err), 0);
    assert_string_equal(ep.port, "4740");
    assert_int_equal(ns_endpoint_parse("tlss://x:1", &ep, &err), NS_EINVAL);
    assert_int_equal(ns_endpoint_parse("dtls://::1:1", &ep, &err), NS_EINVAL);
    assert_int_equal(ns_endpoint_parse("udp://x:99999", &ep, &err), NS_EINVAL);
    struct ns_export_config c;
    const char *urls[] = {"udp://127.0.0.1:9"};
    base_config(&c, urls, 1);
    c.mtu = 100;
    struct ns_exporter *x;
    assert_int_equal(ns_exporter_new(&x, &c, &err), NS_EINVAL);
    /* DTLS over IPv4 at the smallest MTU leaves 511 octets: too few */
    const char *durls[] = {"dtls://127.0.0.1:9"};
    base_config(&c, durls, 1);
    c.mtu = 576;
    assert_int_equal(ns_exporter_new(&x, &c, &err), NS_EINVAL);
    assert_non_null(strstr(err.msg, "leaves 511 octets"));
    /* TLS without certificates: refused at start, naming the option */
    const char *turls[] = {"tls://127.0.0.1:9"};
    base_config(&c, turls, 1);
    assert_int_equal(ns_exporter_new(&x, &c, &err), NS_EINVAL);
    assert_non_null(strstr(err.msg, "--tls-"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builder_mtu),
        cmocka_unit_test(test_builder_one_per_msg),
        cmocka_unit_test(test_udp_refresh_and_mtu),
        cmocka_unit_test(test_delay_and_one_per_message),
        cmocka_unit_test(test_stats_records),
        cmocka_unit_test(test_rate_drop),
        cmocka_unit_test(test_tcp_down_counts_drops),
        cmocka_unit_test(test_tcp_session),
        cmocka_unit_test(test_bad_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
