/*
 * ns_bgpdump — BGP messages in the TCP streams (port 179) of pcap files, as
 * netsift's reassembly (cullmon/stream.h) and parser (bgp/bgp.h) see them;
 * tests/regress/bgp_vs_tshark.sh compares them with tshark.  Test tool only.
 *
 *   ns_bgpdump [-s] FILE
 *
 * Default: one tab-separated line per message, in the order the messages
 * complete:  frame  src:port  dst:port  type  type-name  len  detail
 * where detail is the OPEN's "as=... hold=... afs=...", the NOTIFICATION's
 * "code=C sub=S text=N (name)", the UPDATE's prefix counts, "gshut", "eor",
 * and the malformed reason.
 * -s prints one summary line instead: "type=count ..." for types 0..5
 * (0 = any other type), then stream counters.
 *
 * Streams are keyed by the 4-tuple in a small fixed table (test tool: at
 * most 256 directions, more are ignored and counted).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bgp/bgp.h"
#include "capture/capture.h"
#include "cullmon/stream.h"
#include "pkt/pkt.h"

#define MAXDIR 256

struct dir {
    uint8_t ver, src[16], dst[16];
    uint16_t sport, dport;
    struct ns_stream s;
};

static struct dir dirs[MAXDIR];
static unsigned ndirs, overflow;

static struct dir *find(const struct ns_pkt *p)
{
    for (unsigned i = 0; i < ndirs; i++) {
        struct dir *d = &dirs[i];
        if (d->ver == p->ip_version && d->sport == p->sport && d->dport == p->dport &&
            !memcmp(d->src, p->src, 16) && !memcmp(d->dst, p->dst, 16))
            return d;
    }
    if (ndirs == MAXDIR) {
        overflow++;
        return NULL;
    }
    struct dir *d = &dirs[ndirs];
    if (ns_stream_init(&d->s, NS_STREAM_DEFAULT_CAP, 1000000000ull, NULL) < 0)
        return NULL;
    ndirs++;
    d->ver = p->ip_version;
    memcpy(d->src, p->src, 16);
    memcpy(d->dst, p->dst, 16);
    d->sport = p->sport;
    d->dport = p->dport;
    return d;
}

static void endpoint(char *buf, size_t cap, int ver, const uint8_t *a, uint16_t port)
{
    char t[INET6_ADDRSTRLEN];
    inet_ntop(ver == 4 ? AF_INET : AF_INET6, a, t, sizeof t);
    snprintf(buf, cap, ver == 4 ? "%s:%u" : "[%s]:%u", t, port);
}

static unsigned long counts[6];

static void print_msg(unsigned long frame, const struct dir *d, const struct ns_bgp_msg *m,
                      int summary)
{
    counts[m->type <= 5 ? m->type : 0]++;
    if (summary)
        return;
    char s[64], t[64], nb[96];
    endpoint(s, sizeof s, d->ver, d->src, d->sport);
    endpoint(t, sizeof t, d->ver, d->dst, d->dport);
    printf("%lu\t%s\t%s\t%u\t%s\t%u\t", frame, s, t, m->type, ns_bgp_type_name(m->type), m->len);
    if (m->type == NS_BGP_OPEN) {
        printf("as=%u hold=%u afs=", m->u.open.asn, m->u.open.hold_time);
        for (unsigned i = 0; i < m->u.open.n_afisafi; i++)
            printf("%s%s", i ? "," : "", ns_bgp_afisafi_name(m->u.open.afisafi[i], nb, sizeof nb));
    } else if (m->type == NS_BGP_NOTIFICATION) {
        printf("code=%u sub=%u text=%u (%s)", m->u.notif.code, m->u.notif.subcode,
               m->u.notif.text_len,
               ns_bgp_notification_name(m->u.notif.code, m->u.notif.subcode, nb, sizeof nb));
    } else if (m->type == NS_BGP_UPDATE) {
        printf("w=%d a=%d", m->u.update.v4_withdrawn, m->u.update.v4_announced);
        if (m->u.update.mp_reach_afi)
            printf(" mp+%u/%u:%d", m->u.update.mp_reach_afi, m->u.update.mp_reach_safi,
                   m->u.update.mp_announced);
        if (m->u.update.mp_unreach_afi)
            printf(" mp-%u/%u:%d", m->u.update.mp_unreach_afi, m->u.update.mp_unreach_safi,
                   m->u.update.mp_withdrawn);
        if (m->u.update.graceful_shutdown)
            printf(" gshut");
        if (m->u.update.end_of_rib)
            printf(" eor");
    }
    if (m->malformed)
        printf(" malformed=%s", ns_bgp_malformed_name(m->malformed));
    putchar('\n');
}

int main(int argc, char **argv)
{
    int summary = 0, opt;
    while ((opt = getopt(argc, argv, "s")) != -1) {
        if (opt != 's') {
            fprintf(stderr, "usage: ns_bgpdump [-s] FILE\n");
            return 2;
        }
        summary = 1;
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "usage: ns_bgpdump [-s] FILE\n");
        return 2;
    }
    struct ns_capture *c;
    struct ns_error err;
    const char *paths[] = {argv[optind]};
    if (ns_capture_open_files(&c, paths, 1, NULL, &err) < 0) {
        fprintf(stderr, "ns_bgpdump: %s\n", err.msg);
        return 1;
    }
    const uint8_t *data;
    int linktype, rc;
    struct ns_pkt p;
    unsigned long frame = 0;
    while ((rc = ns_capture_next(c, &p, &data, &linktype, &err)) == 1) {
        frame++;
        ns_pkt_decode(&p, linktype, data);
        if (!(p.flags & NS_PKT_F_IP) || !(p.flags & NS_PKT_F_L4) || p.proto != 6 ||
            (p.sport != 179 && p.dport != 179))
            continue;
        struct dir *d = find(&p);
        if (!d)
            continue;
        uint32_t seq = p.tcp_seq;
        if (p.tcp_flags & 0x02) { /* a SYN may carry data (TCP Fast Open) */
            ns_stream_syn(&d->s, p.tcp_seq);
            seq++;
        }
        if (p.payload && p.payload_caplen)
            ns_stream_segment(&d->s, p.ts_ns, seq, p.payload, p.payload_caplen);
        struct ns_bgp_msg m;
        while (ns_stream_next(&d->s, p.ts_ns, &m) == 1)
            print_msg(frame, d, &m, summary);
    }
    if (rc < 0)
        fprintf(stderr, "ns_bgpdump: %s\n", err.msg);
    struct ns_bgp_msg m;
    for (unsigned i = 0; i < ndirs; i++)
        while (ns_stream_flush(&dirs[i].s, &m) == 1)
            print_msg(frame, &dirs[i], &m, summary);
    struct ns_stream_stats t = {0};
    for (unsigned i = 0; i < ndirs; i++) {
        const struct ns_stream_stats *s = &dirs[i].s.st;
        t.bytes_new += s->bytes_new;
        t.bytes_dup += s->bytes_dup;
        t.gaps += s->gaps;
        t.resyncs += s->resyncs;
        t.skipped += s->skipped;
        t.segs_ooo += s->segs_ooo;
        ns_stream_free(&dirs[i].s);
    }
    if (summary)
        printf("0=%lu 1=%lu 2=%lu 3=%lu 4=%lu 5=%lu\tdirs=%u new=%llu dup=%llu ooo=%llu gaps=%llu "
               "skipped=%llu\n",
               counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], ndirs,
               (unsigned long long)t.bytes_new, (unsigned long long)t.bytes_dup,
               (unsigned long long)t.segs_ooo, (unsigned long long)t.gaps,
               (unsigned long long)t.skipped);
    ns_capture_close(c);
    return rc < 0 || overflow;
}
