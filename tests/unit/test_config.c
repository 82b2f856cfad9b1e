/*
 * The operations modules: the configuration file parser (config/) with
 * good and bad inputs — every bad one must be refused with FILE:LINE:COL
 * pointing at the offending node and a message naming the problem —,
 * durations, the Prometheus exposition writer and the HTTP endpoint
 * (metrics/), and the pid file (daemon/).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"
#include "daemon/daemon.h"
#include "metrics/metrics.h"

#define S 1000000000ull

static const char full[] = "observationPoint:\n"
                           "  - name: op1\n"
                           "    observationDomainId: 7\n"
                           "    ifName: [eth0, eth1]\n"
                           "    capture: pcap\n"
                           "    ringBlocks: 16\n"
                           "    blockSize: 128\n"
                           "    blockTimeout: 50\n"
                           "    snapLength: 128\n"
                           "    filter: not port 22\n"
                           "    selectionProcess: sp1\n"
                           "selectionProcess:\n"
                           "  - name: sp1\n"
                           "    selector:\n"
                           "      - selectAll: {}\n"
                           "      - netsiftSpec: 'match:tcp'\n"
                           "      - name: one-in-ten\n"
                           "        selectorId: 5\n"
                           "        sampCountBased: {packetInterval: 1, packetSpace: 9}\n"
                           "      - sampTimeBased: {timeInterval: 1000, timeSpace: 99ms}\n"
                           "      - sampRandOutOfN: {size: 10, population: 1000}\n"
                           "      - sampUniProb: {probability: 0.25}\n"
                           "    cache: c1\n"
                           "cache:\n"
                           "  name: c1\n"
                           "  timeoutCache:\n"
                           "    maxFlows: 1000\n"
                           "    activeTimeout: 10\n"
                           "    idleTimeout: 500ms\n"
                           "    tcpIdleTimeout: 2m\n"
                           "  exportingProcess: ep1\n"
                           "exportingProcess:\n"
                           "  name: ep1\n"
                           "  exportDelay: 200ms\n"
                           "  destination:\n"
                           "    - name: c\n"
                           "      udpExporter:\n"
                           "        destinationIPAddress: 2001:db8::7\n"
                           "        maxPacketSize: 9000\n"
                           "        templateRefreshTimeout: 30\n"
                           "    - tcpExporter: {destinationIPAddress: collector.example, "
                           "destinationPort: 4740}\n"
                           "    - fileWriter: {file: /var/lib/netsift/f.ipfix, zstd: 5}\n"
                           "collectingProcess:\n"
                           "  udpCollector: {localIPAddress: [127.0.0.1, '::1'], localPort: 9995}\n"
                           "  tcpCollector: {}\n"
                           "  fileWriter: {file: 'x/%H.ipfix', rotate: 60}\n"
                           "operation:\n"
                           "  user: nobody:nogroup\n"
                           "  pidFile: /run/netsift.pid\n"
                           "  metrics: 127.0.0.1:9100\n"
                           "  statsInterval: 30\n"
                           "  daemon: no\n";

static void test_full(void **state)
{
    (void)state;
    struct ns_conf c;
    struct ns_error err = {0};
    int rc = ns_conf_parse_string(&c, "t.yaml", full, strlen(full), &err);
    if (rc < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(c.obs_domain, 7);
    assert_int_equal(c.nifaces, 2);
    assert_string_equal(c.ifaces[1], "eth1");
    assert_int_equal(c.live.backend, NS_LIVE_PCAP);
    assert_int_equal(c.live.ring_blocks, 16);
    assert_int_equal(c.live.block_kib, 128);
    assert_int_equal(c.live.block_timeout_ms, 50);
    assert_int_equal(c.live.snaplen, 128);
    assert_string_equal(c.filter, "not port 22");
    /* selectAll adds nothing; the RFC 6728 methods become --select specs */
    assert_int_equal(c.nselectors, 5);
    assert_string_equal(c.selectors[0], "match:tcp");
    assert_string_equal(c.selectors[1], "count:1/10,id=5");
    assert_string_equal(c.selectors[2], "time:interval=1000us,spacing=99000us");
    assert_string_equal(c.selectors[3], "nofn:10/1000");
    assert_string_equal(c.selectors[4], "random:p=0.25");
    assert_int_equal(c.meter.max_flows, 1000);
    assert_int_equal(c.meter.status_ns, 10 * S);
    assert_int_equal(c.meter.idle_ns, S / 2);
    assert_int_equal(c.meter.tcp_idle_ns, 120 * S);
    assert_int_equal(c.export.delay_ns, S / 5);
    assert_int_equal(c.ndests, 2);
    assert_string_equal(c.dests[0], "udp://[2001:db8::7]:4739");
    assert_string_equal(c.dest_names[0], "c");
    assert_string_equal(c.dests[1], "tcp://collector.example:4740");
    assert_int_equal(c.export.mtu, 9000);
    assert_int_equal(c.export.refresh_ns, 30 * S);
    assert_string_equal(c.file, "/var/lib/netsift/f.ipfix");
    assert_int_equal(c.file_zstd, 5);
    assert_int_equal(c.nlisten, 3);
    assert_string_equal(c.listen[0], "udp://127.0.0.1:9995");
    assert_string_equal(c.listen[1], "udp://[::1]:9995");
    assert_string_equal(c.listen[2], "tcp://[::]:4739");
    assert_string_equal(c.store, "x/%H.ipfix");
    assert_int_equal(c.rotate_ns, 60 * S);
    assert_string_equal(c.user, "nobody:nogroup");
    assert_string_equal(c.pidfile, "/run/netsift.pid");
    assert_string_equal(c.metrics, "127.0.0.1:9100");
    assert_int_equal(c.stats_ns, 30 * S);
    assert_int_equal(c.daemon, 0);
    assert_int_equal(c.have, NS_CONF_OP | NS_CONF_SEL | NS_CONF_CACHE | NS_CONF_EXPORT |
                                 NS_CONF_COLLECT | NS_CONF_OPER);
    ns_conf_free(&c);
}

static void test_empty(void **state)
{
    (void)state;
    struct ns_conf c, d;
    struct ns_error err = {0};
    assert_int_equal(ns_conf_parse_string(&c, "e", "", 0, &err), 0);
    ns_conf_init(&d);
    assert_int_equal(c.have, 0);
    assert_int_equal(c.meter.idle_ns, d.meter.idle_ns);
    assert_int_equal(c.live.ring_blocks, d.live.ring_blocks);
    assert_int_equal(ns_conf_parse_string(&c, "e", "# only a comment\n", 17, &err), 0);
    ns_conf_free(&c);
}

/* Each bad input: the exact position and a word of the message. */
static const struct {
    const char *text, *where, *says;
} bad[] = {
    {"observationPoints: {}\n", "b:1:1:", "unknown key 'observationPoints'"},
    {"cache:\n  timeoutCache:\n    maxFlow: 5\n",
     "b:3:5:", "unknown key 'maxFlow' in timeoutCache"},
    {"cache:\n  timeoutCache:\n    maxFlows: [5]\n", "b:3:15:", "wants a number, not a list"},
    {"cache:\n  timeoutCache:\n    maxFlows: 0\n", "b:3:15:", "wants 1..100000000"},
    {"cache:\n  timeoutCache:\n    maxFlows: 12k\n", "b:3:15:", "whole number"},
    {"cache:\n  timeoutCache:\n    idleTimeout: -1\n", "b:3:18:", "wants a time"},
    {"cache:\n  timeoutCache:\n    idleTimeout: 0\n", "b:3:18:", "more than 0"},
    {"cache:\n  timeoutCache:\n    activeTimeout: 5 minutes\n", "b:3:20:", "wants a time"},
    {"cache:\n  immediateCache: {}\n", "b:2:19:", "not supported"},
    {"cache: 5\n", "b:1:8:", "wants a mapping"},
    {"observationPoint:\n  - {ifName: a}\n  - {ifName: b}\n", "b:2:3:", "one observationPoint"},
    {"observationPoint:\n  ifName: []\n", "b:2:11:", "empty list"},
    {"observationPoint:\n  capture: afpacket\n", "b:2:12:", "tpacket or pcap"},
    {"observationPoint:\n  blockSize: 100\n", "b:2:14:", "power of two"},
    {"observationPoint:\n  promiscuous: maybe\n", "b:2:16:", "true or false"},
    {"observationPoint:\n  observationDomainId: 4294967296\n", "b:2:24:", "0..4294967295"},
    {"observationPoint:\n  selectionProcess: x\nselectionProcess:\n  name: y\n  selector: "
     "{selectAll: {}}\n",
     "b:2:21:", "names 'x', but the one defined is 'y'"},
    {"selectionProcess:\n  selector:\n    - {selectAll: {}, sampUniProb: {probability: 1}}\n",
     "b:3:36:", "one method"},
    {"selectionProcess:\n  selector:\n    - name: nothing\n", "b:3:7:", "without a method"},
    {"selectionProcess:\n  name: s\n", "b:2:3:", "without selector"},
    {"selectionProcess:\n  selector:\n    - sampRandOutOfN: {size: 5, population: 2}\n",
     "b:3:23:", "larger than population"},
    {"selectionProcess:\n  selector:\n    - sampUniProb: {probability: 1.5}\n",
     "b:3:34:", "(0, 1]"},
    {"selectionProcess:\n  selector:\n    - sampCountBased: {packetInterval: 1}\n",
     "b:3:23:", "needs packetSpace"},
    {"selectionProcess:\n  selector:\n    - netsiftSpec: 'bogus:1'\n",
     "b:3:20:", "select 'bogus:1'"},
    {"exportingProcess:\n  destination:\n    - udpExporter: {destinationPort: 9}\n",
     "b:3:20:", "needs destinationIPAddress"},
    {"exportingProcess:\n  destination:\n    - udpExporter: {destinationIPAddress: h, "
     "destinationPort: 70000}\n",
     "b:3:63:", "0..65535"},
    {"exportingProcess:\n  destination:\n    - {udpExporter: {destinationIPAddress: h}, "
     "tcpExporter: {destinationIPAddress: h}}\n",
     "b:3:7:", "one of udpExporter"},
    {"exportingProcess:\n  destination:\n    - sctpExporter: {}\n", "b:3:21:", "sctpExporter"},
    {"exportingProcess:\n  destination:\n    - tcpExporter: {destinationIPAddress: h, "
     "maxPacketSize: 1400}\n",
     "b:3:46:", "unknown key 'maxPacketSize' in tcpExporter"},
    {"collectingProcess:\n  fileWriter: {file: x, rotate: 500ms}\n", "b:2:33:", "at least 1s"},
    {"operation:\n  metrics: 9100\n", "b:2:12:", "HOST:PORT"},
    {"cache: {name: a}\ncache: {name: b}\n", "b:2:1:", "'cache' given twice"},
    {"cache:\n  timeoutCache:\n   maxFlows: 1\n  - x\n", "b:4:3:", ""},
    {"cache: {name: [\n", "b:2:1:", ""},
    {"cache: {}\n---\ncache: {}\n", "b:3:1:", "second YAML document"},
    {"[1, 2]\n", "b:1:1:", "wants a mapping"},
};

static void test_bad(void **state)
{
    (void)state;
    int failed = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ns_conf c;
        struct ns_error err = {0};
        int rc = ns_conf_parse_string(&c, "b", bad[i].text, strlen(bad[i].text), &err);
        if (rc != NS_EINVAL || strncmp(err.msg, bad[i].where, strlen(bad[i].where)) != 0 ||
            !strstr(err.msg, bad[i].says))
            print_error("input %zu:\n%s\ngave rc %d '%s'; wanted '%s ... %s'\n", i, bad[i].text, rc,
                        err.msg, bad[i].where, bad[i].says),
                failed++;
        /* nothing half-applied */
        assert_int_equal(c.have, 0);
        assert_int_equal(c.nselectors, 0);
        assert_null(c.filter);
    }
    assert_int_equal(failed, 0);
}

static void test_file(void **state)
{
    (void)state;
    struct ns_conf c;
    struct ns_error err = {0};
    assert_int_equal(ns_conf_parse_file(&c, "/nonexistent/netsift.yaml", &err), NS_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent/netsift.yaml"));
    char path[] = "/tmp/ns_conf_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *t = "cache:\n  timeoutCache: {idleTimeout: 7}\n";
    assert_int_equal(write(fd, t, strlen(t)), (ssize_t)strlen(t));
    close(fd);
    assert_int_equal(ns_conf_parse_file(&c, path, &err), 0);
    assert_int_equal(c.meter.idle_ns, 7 * S);
    ns_conf_free(&c);
    unlink(path);
}

/* the shipped examples parse (NS_SRC is set by CTest) */
static void test_dist(void **state)
{
    (void)state;
    const char *src = getenv("NS_SRC");
    if (!src)
        skip();
    static const char *const files[] = {"dist/netsift-probe.yaml", "dist/netsift-collect.yaml"};
    for (size_t i = 0; i < 2; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", src, files[i]);
        struct ns_conf c;
        struct ns_error err = {0};
        if (ns_conf_parse_file(&c, path, &err) < 0)
            fail_msg("%s", err.msg);
        assert_true(c.have & NS_CONF_OPER);
        assert_true(i ? c.nlisten == 2 : c.ndests == 1);
        ns_conf_free(&c);
    }
}

static void test_duration(void **state)
{
    (void)state;
    uint64_t v = 0;
    assert_int_equal(ns_conf_duration("60", S, &v), 0);
    assert_int_equal(v, 60 * S);
    assert_int_equal(ns_conf_duration("500ms", S, &v), 0);
    assert_int_equal(v, S / 2);
    assert_int_equal(ns_conf_duration("100", 1000, &v), 0); /* microseconds */
    assert_int_equal(v, 100000);
    assert_int_equal(ns_conf_duration("1.5h", S, &v), 0);
    assert_int_equal(v, 5400 * S);
    assert_int_equal(ns_conf_duration("2 m", S, &v), -1);
    assert_int_equal(ns_conf_duration("", S, &v), -1);
    assert_int_equal(ns_conf_duration("x", S, &v), -1);
    assert_int_equal(ns_conf_duration("5d", S, &v), -1);
    assert_int_equal(ns_conf_duration("1e30", S, &v), -1);
}

static void test_prom(void **state)
{
    (void)state;
    struct ns_prom p;
    ns_prom_init(&p);
    ns_prom_family(&p, "x_total", "counter", "a \\ b\nc");
    const char *lab[] = {"d", "q\"b\\n\nx", "e", "plain"};
    ns_prom_sample(&p, "x_total", lab, 2, 12);
    ns_prom_one(&p, "y", "gauge", "ratio", 0.25);
    assert_string_equal(p.buf, "# HELP x_total a \\\\ b\\nc\n"
                               "# TYPE x_total counter\n"
                               "x_total{d=\"q\\\"b\\\\n\\nx\",e=\"plain\"} 12\n"
                               "# HELP y ratio\n# TYPE y gauge\ny 0.25\n");
    ns_prom_free(&p);
}

static void render(void *ctx, struct ns_prom *out)
{
    (*(int *)ctx)++;
    ns_prom_one(out, "z", "gauge", "z", 3);
}

static void get(int port, const char *req, char *resp, size_t cap, struct ns_http *h, int *calls)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    assert_int_equal(ns_http_serve(h, 1000, render, calls), 1);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(fd, resp + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    resp[n] = 0;
    close(fd);
}

static void test_http(void **state)
{
    (void)state;
    struct ns_http *h;
    struct ns_error err = {0};
    assert_int_equal(ns_http_listen(&h, "127.0.0.1:0", &err), 0);
    int port = ns_http_port(h), calls = 0;
    assert_true(port > 0);
    char resp[2048];
    get(port, "GET /metrics HTTP/1.0\r\n\r\n", resp, sizeof resp, h, &calls);
    assert_non_null(strstr(resp, "HTTP/1.0 200 OK\r\n"));
    assert_non_null(strstr(resp, "text/plain; version=0.0.4"));
    assert_non_null(strstr(resp, "\r\n\r\n# HELP z z\n# TYPE z gauge\nz 3\n"));
    assert_int_equal(calls, 1);
    get(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", resp, sizeof resp, h, &calls);
    assert_non_null(strstr(resp, "404"));
    get(port, "POST /metrics HTTP/1.0\r\n\r\n", resp, sizeof resp, h, &calls);
    assert_non_null(strstr(resp, "405"));
    assert_int_equal(calls, 1);
    assert_int_equal(ns_http_serve(h, 10, render, &calls), 0); /* nobody came */
    struct ns_http_stats st;
    ns_http_get_stats(h, &st);
    assert_int_equal(st.requests, 3);
    assert_int_equal(st.ok, 1);
    ns_http_close(h);
    assert_int_equal(ns_http_listen(&h, "9100", &err), NS_EINVAL);
}

static void test_pidfile(void **state)
{
    (void)state;
    char dir[] = "/tmp/ns_pid_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/p.pid", dir);
    struct ns_error err = {0};
    assert_int_equal(ns_pidfile_claim(path, &err), 0);
    FILE *f = fopen(path, "r");
    long pid = 0;
    assert_int_equal(fscanf(f, "%ld", &pid), 1);
    fclose(f);
    assert_int_equal(pid, getpid());
    /* a live process owns it: refused */
    f = fopen(path, "w");
    fprintf(f, "%ld\n", (long)getppid());
    fclose(f);
    assert_int_equal(ns_pidfile_claim(path, &err), NS_EINVAL);
    assert_non_null(strstr(err.msg, "is running"));
    /* a dead one: taken over */
    pid_t c = fork();
    if (c == 0)
        _exit(0);
    waitpid(c, NULL, 0);
    f = fopen(path, "w");
    fprintf(f, "%ld\n", (long)c);
    fclose(f);
    assert_int_equal(ns_pidfile_claim(path, &err), 0);
    ns_pidfile_remove(path);
    assert_int_equal(access(path, F_OK), -1);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full), cmocka_unit_test(test_empty), cmocka_unit_test(test_bad),
        cmocka_unit_test(test_file), cmocka_unit_test(test_dist),  cmocka_unit_test(test_duration),
        cmocka_unit_test(test_prom), cmocka_unit_test(test_http),  cmocka_unit_test(test_pidfile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
