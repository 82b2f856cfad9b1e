/*
 * meter_helpers.h — packet builder and record collector for the meter tests.
 *
 * The decoder is a separate module; these tests build struct ns_pkt values
 * directly (as the decoder would fill them) so every field the meter reads
 * is under the test's control.
 */
#ifndef NS_TEST_METER_HELPERS_H
#define NS_TEST_METER_HELPERS_H

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "meter/meter.h"
#include "pkt/pkt.h"
#include "record/record.h"

#define MS  1000000ULL
#define SEC 1000000000ULL
#define T0  (1700000000ULL * SEC)

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

static inline void set_addr(struct ns_pkt *p, uint8_t *dst, const char *a)
{
    if (strchr(a, ':')) {
        p->ip_version = 6;
        inet_pton(AF_INET6, a, dst);
    } else {
        p->ip_version = 4;
        inet_pton(AF_INET, a, dst);
    }
}

/* An IP packet with `payload` transport payload octets and `hdr` header octets. */
static inline struct ns_pkt mk_ip(uint64_t ts, const char *src, const char *dst, uint8_t proto,
                                  uint32_t hdr, uint32_t payload)
{
    struct ns_pkt p;
    memset(&p, 0, sizeof p);
    p.ts_ns = ts;
    set_addr(&p, p.src, src);
    set_addr(&p, p.dst, dst);
    p.flags = NS_PKT_F_IP;
    p.proto = proto;
    p.ttl = 64;
    uint32_t iph = p.ip_version == 6 ? 40 : 20;
    p.ip_hdr_len = iph;
    p.ip_len = iph + hdr + payload;
    p.wirelen = p.ip_len + 14;
    p.caplen = p.wirelen;
    p.ethertype = p.ip_version == 6 ? 0x86dd : 0x0800;
    p.l4_payload_len = payload;
    return p;
}

static inline struct ns_pkt mk_udp(uint64_t ts, const char *src, uint16_t sp, const char *dst,
                                   uint16_t dp, uint32_t len)
{
    struct ns_pkt p = mk_ip(ts, src, dst, 17, 8, len);
    p.flags |= NS_PKT_F_L4;
    p.sport = sp;
    p.dport = dp;
    return p;
}

static inline struct ns_pkt mk_tcp(uint64_t ts, const char *src, uint16_t sp, const char *dst,
                                   uint16_t dp, uint8_t flags, uint32_t seq, uint32_t ack,
                                   uint32_t len)
{
    struct ns_pkt p = mk_ip(ts, src, dst, 6, 20, len);
    p.flags |= NS_PKT_F_L4;
    p.sport = sp;
    p.dport = dp;
    p.tcp_flags = flags;
    p.tcp_seq = seq;
    p.tcp_ack = ack;
    p.tcp_win = 65535;
    return p;
}

static inline struct ns_pkt mk_icmp(uint64_t ts, const char *src, const char *dst, uint8_t type,
                                    uint8_t code, uint32_t len)
{
    struct ns_pkt p = mk_ip(ts, src, dst, strchr(src, ':') ? 58 : 1, 8, len);
    p.flags |= NS_PKT_F_L4;
    p.icmp_type = type;
    p.icmp_code = code;
    return p;
}

/* ---- record collector ---- */

struct collector {
    struct ns_record *r;
    size_t n, cap;
    int fail_at; /* return an error on this record number (1-based), 0 never */
};

static inline int collect(void *ctx, const struct ns_record *rec, struct ns_error *err)
{
    struct collector *c = ctx;
    if (c->fail_at && (int)c->n + 1 == c->fail_at)
        return ns_error_set(err, NS_EIO, "sink refused record %zu", c->n + 1);
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->r = realloc(c->r, c->cap * sizeof *c->r);
    }
    c->r[c->n++] = *rec;
    return 0;
}

static inline void collector_free(struct collector *c)
{
    free(c->r);
    memset(c, 0, sizeof *c);
}

static inline struct ns_meter *mk_meter(const struct ns_meter_config *cfg, struct collector *c)
{
    struct ns_meter *m = NULL;
    struct ns_error err = {0};
    memset(c, 0, sizeof *c);
    if (ns_meter_create(&m, cfg, collect, c, &err) < 0)
        return NULL;
    return m;
}

/* Feed one packet; abort the test on error. */
#define FEED(m, pk)                                                                                \
    do {                                                                                           \
        struct ns_pkt p_ = (pk);                                                                   \
        struct ns_error e_ = {0};                                                                  \
        assert_int_equal(ns_meter_packet((m), &p_, &e_), 0);                                       \
    } while (0)

#define FLUSH(m)                                                                                   \
    do {                                                                                           \
        struct ns_error e_ = {0};                                                                  \
        assert_int_equal(ns_meter_flush((m), &e_), 0);                                             \
    } while (0)

static inline uint64_t sum_pkts(const struct collector *c)
{
    uint64_t s = 0;
    for (size_t i = 0; i < c->n; i++)
        s += c->r[i].dir[0].pkts + c->r[i].dir[1].pkts;
    return s;
}

#endif
