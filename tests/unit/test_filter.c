/*
 * record/filter: every term, qualifier inheritance, precedence, IPv6,
 * negative loss and absent groups on hand-built records (a table of
 * expression, record, expected result), and the error messages with their
 * columns (a table of bad expressions).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/filter.h"

enum rec_id { R_TCP4, R_UDP4, R_ICMP4, R_TCP6, R_ICMP6, R_ESP4, R_NOKEY, R_SCTP4, R__COUNT };

static void addr(uint8_t *dst, const char *a)
{
    if (strchr(a, ':'))
        assert_int_equal(inet_pton(AF_INET6, a, dst), 1);
    else
        assert_int_equal(inet_pton(AF_INET, a, dst), 1);
}

static void key(struct ns_record *r, uint8_t proto, const char *s, uint16_t sp, const char *d,
                uint16_t dp)
{
    r->present |= NS_RG_KEY;
    r->ip_version = strchr(s, ':') ? 6 : 4;
    r->proto = proto;
    r->sport = sp;
    r->dport = dp;
    addr(r->saddr, s);
    addr(r->daddr, d);
}

static void build(enum rec_id id, struct ns_record *r)
{
    ns_record_clear(r);
    r->flow_id = 1000 + id;
    r->end_reason = NS_END_IDLE;
    switch (id) {
    case R_TCP4:
        key(r, 6, "192.0.2.1", 40000, "198.51.100.7", 443);
        r->present |=
            NS_RG_COUNT | NS_RG_TIME | NS_RG_IP | NS_RG_TCP | NS_RG_LOSS | NS_RG_RTT | NS_RG_MAC;
        r->syn_seen = 1;
        r->synack_us = 1500;
        r->ackdat_us = 250;
        r->loss_source = NS_LOSS_TCP;
        r->dir[0].pkts = 10;
        r->dir[0].octets = 1000;
        r->dir[1].pkts = 8;
        r->dir[1].octets = 1500000;
        r->dir[0].first_ns = 1700000000123456789ull;
        r->dir[0].last_ns = 1700000002123456789ull;
        r->dir[1].first_ns = 1700000000200000000ull;
        r->dir[1].last_ns = 1700000005500000000ull;
        r->dir[0].ttl_min = r->dir[0].ttl_max = 64;
        r->dir[0].tcp_flags = 0x1b; /* FIN SYN PSH ACK */
        r->dir[1].tcp_flags = 0x1a;
        r->dir[0].loss_pkts = 2;
        r->dir[1].loss_pkts = -1;
        r->dir[0].retrans_pkts = 3;
        memcpy(r->smac, "\x00\x11\x22\x33\x44\x55", 6);
        memcpy(r->dmac, "\x66\x77\x88\x99\xaa\xbb", 6);
        break;
    case R_UDP4:
        key(r, 17, "10.0.0.1", 5353, "10.0.0.53", 53);
        r->vlan = 42;
        r->present |= NS_RG_COUNT | NS_RG_TIME;
        r->dir[0].pkts = 1;
        r->dir[0].octets = 60;
        r->dir[1].pkts = 1;
        r->dir[1].octets = 120;
        r->dir[0].first_ns = r->dir[0].last_ns = 1600000000000000000ull;
        r->dir[1].first_ns = r->dir[1].last_ns = 1600000000001000000ull;
        break;
    case R_ICMP4:
        key(r, 1, "10.0.0.1", 0, "8.8.8.8", 0);
        r->icmp_type = 8;
        r->present |= NS_RG_COUNT;
        r->dir[0].pkts = 3;
        r->dir[1].pkts = 3;
        break;
    case R_TCP6:
        key(r, 6, "2001:db8::1", 50000, "2001:db8:1::80", 80);
        r->present |= NS_RG_COUNT | NS_RG_LOSS | NS_RG_TCP;
        r->dir[0].pkts = 100;
        r->dir[1].pkts = 90;
        r->dir[0].loss_pkts = -3; /* a correction of an earlier record */
        r->dir[0].tcp_flags = 0x12;
        break;
    case R_ICMP6:
        key(r, 58, "fe80::1", 0, "ff02::1", 0);
        r->icmp_type = 128;
        r->present |= NS_RG_COUNT;
        r->dir[0].pkts = 1;
        break;
    case R_ESP4:
        key(r, 50, "203.0.113.5", 0, "203.0.113.9", 0);
        r->present |= NS_RG_COUNT | NS_RG_ESP;
        r->dir[0].pkts = 7;
        r->dir[0].esp_spi = 0x1234;
        break;
    case R_NOKEY:
        r->present = NS_RG_COUNT;
        r->dir[0].pkts = 5;
        break;
    case R_SCTP4:
        key(r, 132, "10.1.2.3", 1234, "10.9.8.7", 2905);
        r->vlan = 100;
        r->present |= NS_RG_COUNT;
        r->dir[0].pkts = 2;
        break;
    case R__COUNT:
        break;
    }
}

static const struct {
    const char *expr;
    enum rec_id rec;
    int want;
} cases[] = {
    /* empty and Argus's separator */
    {"", R_TCP4, 1},
    {"   ", R_NOKEY, 1},
    {"-", R_UDP4, 1},
    {"- tcp", R_TCP4, 1},
    {"- tcp", R_UDP4, 0},
    /* protocol words */
    {"tcp", R_TCP4, 1},
    {"tcp", R_TCP6, 1},
    {"tcp", R_UDP4, 0},
    {"udp", R_UDP4, 1},
    {"icmp", R_ICMP4, 1},
    {"icmp", R_ICMP6, 0},
    {"icmp6", R_ICMP6, 1},
    {"sctp", R_SCTP4, 1},
    {"esp", R_ESP4, 1},
    {"gre", R_ESP4, 0},
    {"ah", R_ESP4, 0},
    {"ip", R_TCP4, 1},
    {"ip", R_TCP6, 0},
    {"ip6", R_TCP6, 1},
    {"ip6", R_ICMP4, 0},
    {"proto 50", R_ESP4, 1},
    {"proto esp", R_ESP4, 1},
    {"proto 6 or 17", R_UDP4, 1},
    {"proto > 100", R_SCTP4, 1},
    {"proto > 100", R_TCP4, 0},
    {"proto ipv6-icmp", R_ICMP6, 1},
    {"tcp", R_NOKEY, 0},
    {"not tcp", R_NOKEY, 1},
    /* host and net */
    {"host 192.0.2.1", R_TCP4, 1},
    {"host 198.51.100.7", R_TCP4, 1},
    {"src host 192.0.2.1", R_TCP4, 1},
    {"dst host 192.0.2.1", R_TCP4, 0},
    {"dst host 198.51.100.7", R_TCP4, 1},
    {"src 192.0.2.1", R_TCP4, 1},
    {"dst 192.0.2.1", R_TCP4, 0},
    {"192.0.2.1", R_TCP4, 1},
    {"host 10.0.0.1", R_TCP4, 0},
    {"host 2001:db8::1", R_TCP6, 1},
    {"host 2001:db8::1", R_TCP4, 0},
    {"host ::ffff:192.0.2.1", R_TCP4, 0},
    {"dst host 2001:db8:1::80", R_TCP6, 1},
    {"net 192.0.2.0/24", R_TCP4, 1},
    {"net 192.0.2.0/25", R_TCP4, 1},
    {"net 192.0.2.128/25", R_TCP4, 0},
    {"net 198.51.100.0/24", R_TCP4, 1},
    {"src net 198.51.100.0/24", R_TCP4, 0},
    {"dst net 198.51.100.0/24", R_TCP4, 1},
    {"net 10", R_UDP4, 1},
    {"net 10.0", R_UDP4, 1},
    {"net 10.0.0", R_UDP4, 1},
    {"net 10.0.1", R_UDP4, 0},
    {"net 0.0.0.0/0", R_UDP4, 1},
    {"net 0.0.0.0/0", R_TCP6, 0},
    {"net ::/0", R_TCP6, 1},
    {"net 2001:db8::/32", R_TCP6, 1},
    {"net 2001:db8:1::/48", R_TCP6, 1},
    {"src net 2001:db8:1::/48", R_TCP6, 0},
    {"net 2001:db9::/32", R_TCP6, 0},
    {"net fe80::/10", R_ICMP6, 1},
    {"10.0.0.0/24", R_UDP4, 1},
    {"src 10.0.0.0/24 and dst 10.0.0.0/24", R_UDP4, 1},
    {"host 10.0.0.1", R_NOKEY, 0},
    /* ports */
    {"port 443", R_TCP4, 1},
    {"port 40000", R_TCP4, 1},
    {"src port 443", R_TCP4, 0},
    {"dst port 443", R_TCP4, 1},
    {"port 53", R_UDP4, 1},
    {"port 2905", R_SCTP4, 1},
    {"port 0", R_ICMP4, 0}, /* ICMP type/code are not ports */
    {"port 8", R_ICMP4, 0},
    {"not port 80", R_ICMP4, 1},
    {"port 0", R_ESP4, 0},
    {"sport == 8", R_ICMP4, 1}, /* the Argus field: ICMP type */
    {"srcport == 8", R_ICMP4, 0},
    {"portrange 400-500", R_TCP4, 1},
    {"portrange 500-400", R_TCP4, 1},
    {"dst portrange 400-500", R_TCP4, 1},
    {"src portrange 400-500", R_TCP4, 0},
    {"portrange 0-65535", R_ICMP4, 0},
    {"port > 1024", R_TCP4, 1},
    {"dst port > 1024", R_TCP4, 0},
    {"src port gt 1024", R_TCP4, 1},
    {"dst port ge 443", R_TCP4, 1},
    {"dst port le 442", R_TCP4, 0},
    {"dst port != 443", R_TCP4, 0},
    {"port != 443", R_TCP4, 1}, /* the other side is not 443 */
    {"dst port ne 53", R_UDP4, 0},
    {"tcp port 443", R_TCP4, 1},
    {"udp port 443", R_TCP4, 0},
    {"tcp dst port 443", R_TCP4, 1},
    {"ip6 host 2001:db8::1", R_TCP6, 1},
    {"ip host 2001:db8::1", R_TCP6, 0},
    {"ip proto 6", R_TCP4, 1},
    {"ip proto 6", R_TCP6, 0},
    /* vlan */
    {"vlan 42", R_UDP4, 1},
    {"vlan 42", R_TCP4, 0},
    {"vlan", R_UDP4, 1},
    {"vlan", R_TCP4, 0},
    {"vlan and udp", R_UDP4, 1},
    {"vlan > 50", R_SCTP4, 1},
    {"vlan == 0", R_TCP4, 1},
    {"vlanId == 100", R_SCTP4, 1},
    /* qualifier inheritance */
    {"host 10.0.0.9 or 10.0.0.53", R_UDP4, 1},
    {"host 10.0.0.1 and 10.0.0.53", R_UDP4, 1},
    {"src host 10.0.0.53 or 10.0.0.1", R_UDP4, 1},
    {"dst host 10.0.0.1 or 10.0.0.2", R_UDP4, 0}, /* both dst */
    {"port 80 or 443", R_TCP4, 1},
    {"port 80 or 8080", R_TCP4, 0},
    {"dst port gt 1024 and lt 2048", R_TCP4, 0},
    {"dst port gt 1024 and lt 2048", R_SCTP4, 0},
    {"src port gt 1024 and lt 2048", R_SCTP4, 1},
    {"src port gt 1024 and lt 50000", R_TCP4, 1},
    {"dst port gt 400 and lt 500", R_TCP4, 1},
    {"dst port gt 400 and > 450", R_TCP4, 0},
    {"dst port gt 1000 or 443", R_TCP4, 1},
    {"tcp port 80 or 443", R_TCP4, 1},
    {"udp port 80 or 443", R_TCP4, 0}, /* the second inherits udp too */
    {"not host 10.0.0.9 and 10.0.0.53", R_UDP4, 1},
    {"host 10.0.0.9 and not 10.0.0.53", R_UDP4, 0},
    {"host 10.0.0.1 and (10.0.0.53 or 10.9.9.9)", R_UDP4, 1},
    {"bytes > 1M and < 2M", R_TCP4, 1},
    {"bytes > 1M and < 1.5M", R_TCP4, 0},
    {"state == CON or FIN", R_TCP4, 1},
    {"state == REQ or INT", R_TCP4, 0},
    {"pkts == 2 or 18", R_TCP4, 1},
    {"net 10.0.0.0/8 or 192.0.2.0/24", R_TCP4, 1},
    /* precedence: not tightest, and/or equal, left to right */
    {"tcp or udp and port 53", R_TCP4, 0},   /* (tcp or udp) and port 53 */
    {"tcp or (udp and port 53)", R_TCP4, 1}, /* the C reading */
    {"udp and port 53 or tcp", R_TCP4, 1},   /* (udp and port 53) or tcp */
    {"udp or tcp and port 443", R_UDP4, 0},  /* (udp or tcp) and port 443 */
    {"udp or tcp and port 443", R_TCP4, 1},
    {"not tcp and port 443", R_TCP4, 0}, /* (not tcp) and port 443 */
    {"not (tcp and port 80)", R_TCP4, 1},
    {"! tcp || udp", R_UDP4, 1},
    {"!tcp&&!udp", R_ICMP4, 1},
    {"not not tcp", R_TCP4, 1},
    {"not not not tcp", R_TCP4, 0},
    {"((tcp))", R_TCP4, 1},
    {"(tcp or udp) and (port 53 or port 443)", R_TCP4, 1},
    {"(tcp or udp) and (port 53 or port 443)", R_SCTP4, 0},
    {"tcp and port 443 and host 192.0.2.1 and not vlan", R_TCP4, 1},
    /* field comparisons, numbers */
    {"bytes > 1e6", R_TCP4, 1},
    {"bytes > 1M", R_TCP4, 1},
    {"bytes == 1501000", R_TCP4, 1},
    {"bytes == 1.501M", R_TCP4, 1},
    {"bytes == 1501k", R_TCP4, 1},
    {"bytes>1e6", R_TCP4, 1},
    {"bytes > 2G", R_TCP4, 0},
    {"bytes > -1", R_TCP4, 1},
    {"bytes >= 1501000.5", R_TCP4, 0},
    {"bytes < 1501000.5", R_TCP4, 1},
    {"octetDeltaCount == 1000", R_TCP4, 1},
    {"sbytes eq 1000 and dbytes gt 1000", R_TCP4, 1},
    {"pkts == 18", R_TCP4, 1},
    {"pkts = 18", R_TCP4, 1},
    {"pkts != 18", R_TCP4, 0},
    {"pkts == 5", R_NOKEY, 1},
    {"spkts > 1 and dpkts > 1", R_ICMP4, 1},
    {"retrans >= 3", R_TCP4, 1},
    {"flowid == 1000", R_TCP4, 1},
    /* signed loss, absent groups */
    {"loss > 0", R_TCP4, 1},
    {"loss == 1", R_TCP4, 1},
    {"sloss == 2", R_TCP4, 1},
    {"dloss < 0", R_TCP4, 1},
    {"dloss == -1", R_TCP4, 1},
    {"dloss > -1", R_TCP4, 0},
    {"dloss >= -1.5", R_TCP4, 1},
    {"sloss < 0", R_TCP6, 1},
    {"loss == -3", R_TCP6, 1},
    {"loss < -2 and loss > -4", R_TCP6, 1},
    {"loss > 0", R_UDP4, 0},
    {"loss == 0", R_UDP4, 0},
    {"loss != 0", R_UDP4, 0}, /* absent: false for every operator */
    {"not loss > 0", R_UDP4, 1},
    {"not loss == 0", R_UDP4, 1},
    {"lossPackets < 0", R_TCP6, 1},
    {"lsrc == tcp", R_TCP4, 1},
    /* floating point fields and times */
    {"dur >= 5", R_TCP4, 1},
    {"dur > 5.4", R_TCP4, 0},
    {"dur < 5.4", R_TCP4, 1},
    {"dur == 0.001", R_UDP4, 1},
    {"dur > 0", R_ICMP4, 0}, /* no time group */
    {"synack == 0.0015", R_TCP4, 1},
    {"synackus == 1500", R_TCP4, 1},
    {"tcprtt > 1.7e-3", R_TCP4, 1},
    {"stime == 1700000000.123456789", R_TCP4, 1},
    {"stime > 1700000000.123456788", R_TCP4, 1},
    {"stime > 1700000000.123456789", R_TCP4, 0},
    {"stime >= 1700000000", R_TCP4, 1},
    {"stime < 1.7e9", R_UDP4, 1},
    {"ltime == 1700000005.5", R_TCP4, 1},
    {"dstime > 1700000000.2", R_TCP4, 0},
    {"stime > -1", R_TCP4, 1},
    {"stime < 99999999999999999999", R_TCP4, 1},
    {"stime > 1.6G", R_TCP4, 1},
    /* addresses, MACs, text */
    {"saddr == 192.0.2.1", R_TCP4, 1},
    {"saddr == 198.51.100.7", R_TCP4, 0},
    {"saddr != 198.51.100.7", R_TCP4, 1},
    {"daddr == 198.51.100.0/24", R_TCP4, 1},
    {"saddr == 2001:db8::1", R_TCP6, 1},
    {"saddr == 2001:db8::1", R_TCP4, 0},
    {"saddr != 2001:db8::1", R_TCP4, 1},
    {"sourceIPv4Address == 192.0.2.1", R_TCP4, 1},
    {"srcv6 == 2001:db8::/32", R_TCP6, 1},
    {"srcv6 != 2001:db8::/32", R_TCP4, 0}, /* absent for IPv4 */
    {"smac == 00:11:22:33:44:55", R_TCP4, 1},
    {"dmac == 66:77:88:99:AA:BB", R_TCP4, 1},
    {"dmac != 66:77:88:99:aa:bb", R_TCP4, 0},
    {"smac == 00:11:22:33:44:55", R_UDP4, 0},
    {"state == FIN", R_TCP4, 1},
    {"state == fin", R_TCP4, 1},
    {"state != FIN", R_TCP4, 0},
    {"state == CON", R_UDP4, 1},
    {"state == ECR", R_ICMP4, 1},
    {"state == 'ECR'", R_ICMP4, 1},
    {"reason == idle", R_TCP4, 1},
    {"endreason == 1", R_TCP4, 1},
    {"dir == <->", R_TCP4, 1},
    {"dir==<->", R_UDP4, 1},
    {"dir == \"->\"", R_ICMP6, 1},
    {"dir == -> or <->", R_ICMP6, 1},
    {"sflags == FS.PA...", R_TCP4, 1},
    {"(state == FIN)", R_TCP4, 1},
    {"icmptc == 2048", R_ICMP4, 1},
    {"icmp6tc == 32768", R_ICMP6, 1},
    {"sspi == 4660", R_ESP4, 1},
    {"protocolIdentifier == 132", R_SCTP4, 1},
};

static void test_table(void **state)
{
    struct ns_record recs[R__COUNT];
    for (int i = 0; i < R__COUNT; i++)
        build((enum rec_id)i, &recs[i]);
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ns_filter *f = NULL;
        struct ns_error err = {0};
        int rc = ns_filter_compile(&f, cases[i].expr, &err);
        if (rc < 0) {
            fprintf(stderr, "case %zu '%s': %s\n", i, cases[i].expr, err.msg);
            bad++;
            continue;
        }
        int got = ns_filter_match(f, &recs[cases[i].rec]);
        if (got != cases[i].want) {
            fprintf(stderr, "case %zu '%s' on record %d: got %d want %d\n", i, cases[i].expr,
                    cases[i].rec, got, cases[i].want);
            bad++;
        }
        ns_filter_free(f);
    }
    assert_int_equal(bad, 0);
}

static const struct {
    const char *expr;
    size_t col;
    const char *msg;
} errors[] = {
    {"tcp and port foo", 14, "filter: expected a port number after 'port', got 'foo' (column 14)"},
    {"- tcp and port foo", 16, "got 'foo'"},
    {"tcp and", 8, "expected a filter term, got end of expression"},
    {"tcp udp", 5, "expected 'and', 'or' or end of expression, got 'udp'"},
    {"bytess > 5", 1, "unknown field 'bytess'"},
    {"tcpp", 1, "unknown word 'tcpp': not a keyword, a field name (misspelled?)"},
    {"tcp and bytess", 9, "unknown word 'bytess'"},
    {"port 80 or htp", 12, "unknown word 'htp'"},
    {"port 80 or htp", 12, "nor a port number for the previous 'port'"},
    {"dst port gt 1024 and lt x", 25, "expected a port number after 'port', got 'x'"},
    {"host 10.0.0.1 and 10.0.0.300", 19, "expected an IPv4 or IPv6 address after 'host'"},
    {"net 10.0.0.1/8", 5, "non-network bits set in '10.0.0.1/8'"},
    {"net 2001:db8::1/32", 5, "non-network bits set"},
    {"10.0.0.1/8", 1, "non-network bits set"},
    {"saddr == 10.0.0.1/8", 10, "non-network bits set"},
    {"net 10.0.0.0/33", 5, "expected a network"},
    {"net 300", 5, "expected a network"},
    {"(tcp", 5, "expected ')' to close the '(' of column 1, got end of expression"},
    {"tcp)", 4, "unbalanced ')'"},
    {"()", 2, "expected a filter term, got ')'"},
    {"host 10.0.0.0/8", 6, "a prefix needs 'net'"},
    {"host foo", 6, "expected an IPv4 or IPv6 address after 'host', got 'foo'"},
    {"host", 5, "got end of expression"},
    {"bytes 5", 7, "expected a comparison (== != < <= > >= or eq ne lt le gt ge) after 'bytes'"},
    {"bytes > x", 9, "expected a number after 'bytes', got 'x'"},
    {"bytes > 1e999", 9, "number '1e999' out of range"},
    {"bytes > 99999999999999999999", 9, "out of range"},
    {"bytes > 20000000T", 9, "out of range"},
    {"bytes > 1m", 9, "expected a number"},
    {"bytes > inf", 9, "expected a number"},
    {"bytes > nan", 9, "expected a number"},
    {"bytes > 0x10", 9, "expected a number"},
    {"state > CON", 7, "'state' holds text: compare it with == or != only"},
    {"saddr < 10.0.0.1", 7, "'saddr' holds addresses"},
    {"tcp && || udp", 8, "expected a filter term, got '||'"},
    {"tcp & udp", 5, "got '&'"},
    {"tcp | udp", 5, "write 'and'/'&&', 'or'/'||'"},
    {"portrange 10", 11, "expected a port range (1024-2047) after 'portrange'"},
    {"portrange 10-x", 11, "port range"},
    {"port 70000", 6, "expected a port number"},
    {"port -1", 6, "expected a port number"},
    {"vlan 5000", 6, "expected a VLAN id (0-4095)"},
    {"proto foo", 7, "expected a protocol number or name after 'proto'"},
    {"proto 256", 7, "protocol number"},
    {"src proto 6", 5, "'proto' takes no src or dst"},
    {"> 5", 1, "expected a field, 'port', 'proto' or 'vlan' before a comparison"},
    {"tcp and > 5", 9, "before a comparison"},
    {"not", 4, "got end of expression"},
    {"'abc", 1, "unterminated quote"},
    {"stime > yesterday", 9, "expected a time in seconds since 1970"},
    {"smac == 00:11:22", 9, "expected a MAC address"},
    {"state == abcdefghijklmnopqrstuvwxyz", 10, "too long"},
    {"src foo", 5, "expected an IPv4 or IPv6 address after 'src'"},
    {"tcp src 10.0.0.1 and dst", 25, "got end of expression"},
};

static void test_errors(void **state)
{
    int bad = 0;
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        struct ns_filter *f = (struct ns_filter *)&bad; /* must be reset to NULL */
        struct ns_error err = {0};
        int rc = ns_filter_compile(&f, errors[i].expr, &err);
        char col[32];
        snprintf(col, sizeof col, "(column %zu)", errors[i].col);
        if (rc != NS_EINVAL || f || err.code != NS_EINVAL || !strstr(err.msg, errors[i].msg) ||
            !strstr(err.msg, col) || strncmp(err.msg, "filter: ", 8)) {
            fprintf(stderr, "error case %zu '%s': rc %d msg '%s', want '%s' %s\n", i,
                    errors[i].expr, rc, err.msg, errors[i].msg, col);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

static void test_depth(void **state)
{
    char buf[4 * NS_FILTER_MAX_DEPTH + 64];
    struct ns_filter *f;
    struct ns_error err = {0};
    struct ns_record r;
    build(R_TCP4, &r);
    /* exactly the limit compiles */
    size_t n = 0;
    for (int i = 0; i < NS_FILTER_MAX_DEPTH; i++)
        buf[n++] = '(';
    n += (size_t)sprintf(buf + n, "tcp");
    for (int i = 0; i < NS_FILTER_MAX_DEPTH; i++)
        buf[n++] = ')';
    buf[n] = 0;
    assert_int_equal(ns_filter_compile(&f, buf, &err), 0);
    assert_int_equal(ns_filter_match(f, &r), 1);
    ns_filter_free(f);
    /* one more does not */
    memmove(buf + 1, buf, n + 1);
    buf[0] = '(';
    strcat(buf, ")");
    assert_int_equal(ns_filter_compile(&f, buf, &err), NS_EINVAL);
    assert_non_null(strstr(err.msg, "parentheses nested deeper than 64 (column 65)"));
    assert_null(f);
}

/* A long flat chain and long not-runs compile without deep recursion and
 * keep one instruction per primitive. */
static void test_long_chain(void **state)
{
    size_t terms = 20000;
    char *buf = malloc(terms * 16 + 16);
    assert_non_null(buf);
    size_t n = 0;
    for (size_t i = 0; i < terms; i++)
        n += (size_t)sprintf(buf + n, "%sport %zu", i ? " or " : "", i % 1000 + 1);
    struct ns_filter *f;
    struct ns_error err = {0};
    assert_int_equal(ns_filter_compile(&f, buf, &err), 0);
    assert_int_equal(ns_filter_size(f), (int)terms);
    struct ns_record r;
    build(R_TCP4, &r);
    assert_int_equal(ns_filter_match(f, &r), 1); /* port 443 is in there */
    build(R_UDP4, &r);
    assert_int_equal(ns_filter_match(f, &r), 1);
    ns_filter_free(f);
    n = 0;
    for (size_t i = 0; i < terms; i++)
        n += (size_t)sprintf(buf + n, "! ");
    sprintf(buf + n, "tcp");
    assert_int_equal(ns_filter_compile(&f, buf, &err), 0);
    build(R_TCP4, &r);
    assert_int_equal(ns_filter_match(f, &r), 1); /* an even number of nots */
    ns_filter_free(f);
    free(buf);
}

static void test_null_and_size(void **state)
{
    struct ns_record r;
    build(R_NOKEY, &r);
    assert_int_equal(ns_filter_match(NULL, &r), 1);
    struct ns_filter *f;
    assert_int_equal(ns_filter_compile(&f, NULL, NULL), 0);
    assert_non_null(f);
    assert_int_equal(ns_filter_size(f), 0);
    assert_int_equal(ns_filter_match(f, &r), 1);
    ns_filter_free(f);
    assert_int_equal(ns_filter_compile(&f, "tcp and (port 1 or 2) and not host 10.0.0.1", NULL), 0);
    assert_int_equal(ns_filter_size(f), 4);
    ns_filter_free(f);
    ns_filter_free(NULL);
    /* errors without an ns_error */
    assert_int_equal(ns_filter_compile(&f, "tcp and", NULL), NS_EINVAL);
    assert_null(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),         cmocka_unit_test(test_errors),
        cmocka_unit_test(test_depth),         cmocka_unit_test(test_long_chain),
        cmocka_unit_test(test_null_and_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
