/*
 * gen.c — see gen.h.  Flows are small state machines that each yield their
 * next packet and its time; a binary heap keyed by that time interleaves
 * them, so the output is in timestamp order with no sorting pass.
 */
#include "gen/gen.h"

#include <errno.h>
#include <math.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "util/rng.h"

/* ---- deterministic PRNG (util/rng.h) ---- */

/* uniform in [lo, hi] */
static uint32_t rng_range(struct ns_rng *r, uint32_t lo, uint32_t hi)
{
    return lo + (uint32_t)(ns_rng_next(r) % ((uint64_t)hi - lo + 1));
}

static double rng_unit(struct ns_rng *r)
{
    return ns_rng_unit(r);
}

/* ---- flows ---- */

enum gtype { G_TCP_BULK, G_TCP_SHORT, G_TCP_SYN, G_DNS, G_RTP, G_ICMP };

/* TCP phases */
enum { P_SYN, P_SYNACK, P_ACK, P_REQ, P_DATA, P_FIN1, P_FIN2, P_LASTACK, P_DONE };

#define MSS 1448u

struct gflow {
    uint64_t next_ns;   /* time of the next regular packet */
    uint64_t resend_ns; /* time of a pending resend, 0 if none */
    uint8_t type, phase, v6, resend_up;
    uint16_t vlan;
    uint8_t caddr[16], saddr[16];
    uint16_t cport, sport;
    uint32_t cseq, sseq;     /* next sequence number to send */
    uint32_t sacked;         /* client's cumulative ACK of server data */
    uint32_t remaining;      /* data segments / packets still to send */
    uint32_t since_ack;      /* server segments since the client's last ACK */
    uint32_t rtt_ns, gap_ns; /* RTT at the observation point, pacing gap */
    uint32_t resend_seq;
    uint16_t resend_len;
    uint16_t req_len;
    uint8_t ack_due, reorder_held, to_server;
    uint32_t held_seq;
    uint16_t held_len;
    uint16_t rtp_seq;
    uint32_t rtp_ssrc, rtp_ts;
    uint16_t icmp_id, icmp_seq;
    uint32_t sent; /* packets of this flow so far */
};

struct heap {
    uint32_t *idx;
    uint32_t n;
};

struct gen {
    const struct ns_gen_config *cfg;
    struct ns_gen_truth *truth;
    struct ns_rng rng;
    struct gflow *flows;
    uint32_t *free_slots;
    uint32_t nfree;
    struct heap heap;
    pcap_dumper_t *dumper;
    uint8_t buf[2048];
    uint64_t flow_seq;
};

static uint64_t flow_time(const struct gflow *f)
{
    if (f->resend_ns && f->resend_ns < f->next_ns)
        return f->resend_ns;
    return f->next_ns;
}

static void heap_swap(struct heap *h, uint32_t a, uint32_t b)
{
    uint32_t t = h->idx[a];
    h->idx[a] = h->idx[b];
    h->idx[b] = t;
}

static void heap_push(struct gen *g, uint32_t slot)
{
    struct heap *h = &g->heap;
    uint32_t i = h->n++;
    h->idx[i] = slot;
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (flow_time(&g->flows[h->idx[p]]) <= flow_time(&g->flows[h->idx[i]]))
            break;
        heap_swap(h, i, p);
        i = p;
    }
}

static uint32_t heap_pop(struct gen *g)
{
    struct heap *h = &g->heap;
    uint32_t top = h->idx[0];
    h->idx[0] = h->idx[--h->n];
    uint32_t i = 0;
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && flow_time(&g->flows[h->idx[l]]) < flow_time(&g->flows[h->idx[m]]))
            m = l;
        if (r < h->n && flow_time(&g->flows[h->idx[r]]) < flow_time(&g->flows[h->idx[m]]))
            m = r;
        if (m == i)
            break;
        heap_swap(h, i, m);
        i = m;
    }
    return top;
}

/* ---- packet building ---- */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t acc)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        acc += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        acc += (uint32_t)p[n - 1] << 8;
    return acc;
}

static uint16_t fold(uint32_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)~acc;
}

struct pktspec {
    int from_client;
    uint8_t proto;
    uint8_t tcp_flags;
    uint32_t seq, ack;
    uint16_t payload_len;
    uint8_t icmp_type;
    int mss_opt;
};

/* Build the frame for `ps` of flow `f` into g->buf and write it. */
static int emit(struct gen *g, const struct gflow *f, const struct pktspec *ps, uint64_t ts,
                struct ns_error *err)
{
    uint8_t *b = g->buf;
    size_t off = 0;
    const uint8_t *src = ps->from_client ? f->caddr : f->saddr;
    const uint8_t *dst = ps->from_client ? f->saddr : f->caddr;
    /* MACs: 02:00:00:00:00:01 client side router, 02:...:02 server side */
    static const uint8_t mac_c[6] = {2, 0, 0, 0, 0, 1}, mac_s[6] = {2, 0, 0, 0, 0, 2};
    memcpy(b, ps->from_client ? mac_s : mac_c, 6);
    memcpy(b + 6, ps->from_client ? mac_c : mac_s, 6);
    off = 12;
    if (f->vlan) {
        put16(b + off, 0x8100);
        put16(b + off + 2, f->vlan);
        off += 4;
    }
    put16(b + off, f->v6 ? 0x86dd : 0x0800);
    off += 2;

    size_t l4len;
    if (ps->proto == 6)
        l4len = 20 + (ps->mss_opt ? 4 : 0);
    else
        l4len = 8; /* UDP, ICMP echo */
    size_t iphl = f->v6 ? 40 : 20;
    size_t iplen = iphl + l4len + ps->payload_len;
    uint8_t *ip = b + off;
    uint8_t *l4 = ip + iphl;
    /* Only the first 256 payload bytes are materialised; the rest is never
     * captured at the snaplens we use, but checksums cover the full
     * length, so the zero tail is summed implicitly (zeros add nothing). */
    size_t build = iphl + l4len + (ps->payload_len < 256 ? ps->payload_len : 256);
    memset(ip, 0, build);
    uint8_t ttl = ps->from_client ? 63 : 57;
    if (f->v6) {
        ip[0] = 0x60;
        put16(ip + 4, (uint16_t)(iplen - 40));
        ip[6] = ps->proto == 1 ? 58 : ps->proto;
        ip[7] = ttl;
        memcpy(ip + 8, src, 16);
        memcpy(ip + 24, dst, 16);
    } else {
        ip[0] = 0x45;
        put16(ip + 2, (uint16_t)iplen);
        put16(ip + 4, (uint16_t)(g->truth->packets & 0xffff));
        put16(ip + 6, 0x4000); /* DF */
        ip[8] = ttl;
        ip[9] = ps->proto;
        memcpy(ip + 12, src, 4);
        memcpy(ip + 16, dst, 4);
        put16(ip + 10, fold(sum16(ip, 20, 0)));
    }
    uint16_t sp = ps->from_client ? f->cport : f->sport;
    uint16_t dp = ps->from_client ? f->sport : f->cport;
    uint8_t *pl = l4 + l4len;
    size_t ckoff = 0;
    if (ps->proto == 6) {
        put16(l4, sp);
        put16(l4 + 2, dp);
        put32(l4 + 4, ps->seq);
        put32(l4 + 8, ps->ack);
        l4[12] = (uint8_t)((l4len / 4) << 4);
        l4[13] = ps->tcp_flags;
        put16(l4 + 14, 64240);
        if (ps->mss_opt) {
            l4[20] = 2;
            l4[21] = 4;
            put16(l4 + 22, (uint16_t)(f->v6 ? MSS - 20 : MSS));
        }
        ckoff = 16;
    } else if (ps->proto == 17) {
        put16(l4, sp);
        put16(l4 + 2, dp);
        put16(l4 + 4, (uint16_t)(8 + ps->payload_len));
        ckoff = 6;
        if (f->type == G_RTP && ps->payload_len >= 12) {
            pl[0] = 0x80;
            pl[1] = 0; /* PCMU */
            put16(pl + 2, f->rtp_seq);
            put32(pl + 4, f->rtp_ts);
            put32(pl + 8, f->rtp_ssrc ^ (ps->from_client ? 0 : 0x5a5a5a5au));
        } else if (ps->payload_len >= 12) {
            put16(pl, (uint16_t)f->sport); /* DNS-ish id */
            put16(pl + 2, ps->from_client ? 0x0100 : 0x8180);
        }
    } else {
        l4[0] = ps->icmp_type;
        put16(l4 + 4, f->icmp_id);
        put16(l4 + 6, f->icmp_seq);
        ckoff = 2;
    }
    /* transport checksum over pseudo header + segment */
    size_t seglen = l4len + ps->payload_len;
    size_t sumlen = l4len + (ps->payload_len < 256 ? ps->payload_len : 256);
    uint32_t acc = 0;
    if (f->v6 || ps->proto != 1) {
        if (f->v6) {
            acc = sum16(ip + 8, 32, 0);
            acc += (uint32_t)(seglen >> 16) + (uint32_t)(seglen & 0xffff);
            acc += ps->proto == 1 ? 58 : ps->proto;
        } else {
            acc = sum16(ip + 12, 8, 0);
            acc += (uint32_t)seglen + ps->proto;
        }
    }
    acc = sum16(l4, sumlen, acc);
    put16(l4 + ckoff, fold(acc));

    size_t framelen = off + iplen;
    struct pcap_pkthdr h;
    h.ts.tv_sec = (time_t)(ts / 1000000000u);
    h.ts.tv_usec = (suseconds_t)(ts % 1000000000u); /* nanosecond dumper */
    h.len = (bpf_u_int32)framelen;
    size_t built = off + build;
    h.caplen = (bpf_u_int32)(framelen < g->cfg->snaplen ? framelen : g->cfg->snaplen);
    if (h.caplen > built) {
        /* the captured part extends into the unmaterialised zero tail */
        if (h.caplen > sizeof g->buf)
            h.caplen = sizeof g->buf;
        memset(b + built, 0, h.caplen - built);
    }
    pcap_dump((u_char *)g->dumper, &h, b);
    g->truth->packets++;
    g->truth->ip_octets += iplen;
    g->truth->l2_octets += framelen;
    (void)err;
    return 0;
}

/* ---- flow life ---- */

static void set_addr(struct gen *g, struct gflow *f)
{
    uint64_t n = g->flow_seq;
    memset(f->caddr, 0, 16);
    memset(f->saddr, 0, 16);
    if (f->v6) {
        /* 2001:db8:c::/48 clients, 2001:db8:5::/48 servers (RFC 3849) */
        const uint8_t pc[6] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x0c};
        const uint8_t ps[6] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x05};
        memcpy(f->caddr, pc, 6);
        memcpy(f->saddr, ps, 6);
        put32(f->caddr + 12, (uint32_t)rng_range(&g->rng, 1, 60000));
        put32(f->saddr + 12, (uint32_t)rng_range(&g->rng, 1, 4000));
    } else {
        /* clients in 10.0.0.0/8 (the generated world is private), servers
         * in 198.18.0.0/15 (RFC 2544 benchmarking range) */
        uint32_t c = 0x0a000000u | rng_range(&g->rng, 1, 0xfffffe);
        uint32_t s = 0xc6120000u | rng_range(&g->rng, 1, 0x1fffe);
        put32(f->caddr, c);
        put32(f->saddr, s);
    }
    /* Client ports cycle through the ephemeral range so 5-tuples of
     * concurrent flows never collide for the same address pair. */
    f->cport = (uint16_t)(32768 + (n % 28000));
}

static void start_flow(struct gen *g, struct gflow *f, uint64_t t)
{
    memset(f, 0, sizeof *f);
    struct ns_rng *r = &g->rng;
    uint32_t pick = rng_range(r, 0, 999);
    if (pick < 60)
        f->type = G_TCP_BULK;
    else if (pick < 400)
        f->type = G_TCP_SHORT;
    else if (pick < 450)
        f->type = G_TCP_SYN;
    else if (pick < 880)
        f->type = G_DNS;
    else if (pick < 900)
        f->type = G_RTP;
    else
        f->type = G_ICMP;
    f->v6 = rng_range(r, 0, 99) < 25;
    f->vlan = rng_range(r, 0, 99) < 10 ? (uint16_t)rng_range(r, 2, 4094) : 0;
    set_addr(g, f);
    g->flow_seq++;
    f->rtt_ns = rng_range(r, 1000, 80000) * 1000u; /* 1..80 ms */
    f->gap_ns = rng_range(r, 20, 800) * 1000u;     /* 20..800 µs pacing */
    f->next_ns = t;
    g->truth->flows++;
    switch (f->type) {
    case G_TCP_BULK:
    case G_TCP_SHORT:
    case G_TCP_SYN:
        g->truth->tcp_flows++;
        f->sport = f->type == G_TCP_SYN ? (uint16_t)rng_range(r, 1, 1024)
                                        : (rng_range(r, 0, 1) ? 443 : 80);
        f->cseq = (uint32_t)ns_rng_next(r);
        f->sseq = (uint32_t)ns_rng_next(r);
        f->phase = P_SYN;
        f->req_len = (uint16_t)rng_range(r, 200, 900);
        f->remaining = f->type == G_TCP_BULK ? rng_range(r, 20, 400) : rng_range(r, 1, 6);
        if (f->type == G_TCP_BULK && g->cfg->pareto_alpha > 0) {
            /* Pareto(alpha, 20) by inversion: 20 / U^(1/alpha), U in (0, 1] */
            double x = 20.0 / pow(1.0 - ns_rng_unit(r), 1.0 / g->cfg->pareto_alpha);
            f->remaining = x > 200000 ? 200000 : (uint32_t)x;
        }
        break;
    case G_DNS:
        g->truth->udp_flows++;
        f->sport = 53;
        f->remaining = 2;
        break;
    case G_RTP:
        g->truth->udp_flows++;
        g->truth->rtp_flows++;
        f->cport = (uint16_t)(16384 + 2 * (g->flow_seq % 8000));
        f->sport = (uint16_t)(20000 + 2 * rng_range(r, 0, 4000));
        f->rtp_seq = (uint16_t)ns_rng_next(r);
        f->rtp_ts = (uint32_t)ns_rng_next(r);
        f->rtp_ssrc = (uint32_t)ns_rng_next(r);
        f->remaining = 2 * rng_range(r, 100, 600); /* both directions, 2..12 s */
        break;
    default:
        g->truth->icmp_flows++;
        f->icmp_id = (uint16_t)ns_rng_next(r);
        f->remaining = 2 * rng_range(r, 1, 4);
        break;
    }
}

/* Produce the flow's next packet.  Returns 1 if the flow continues. */
static int step_tcp(struct gen *g, struct gflow *f, uint64_t now, struct ns_error *err)
{
    const struct ns_gen_config *c = g->cfg;
    struct ns_rng *r = &g->rng;
    struct pktspec ps = {.proto = 6};

    if (f->resend_ns && f->resend_ns <= f->next_ns) {
        /* the sender's resend after its RTO */
        ps.from_client = 0;
        ps.tcp_flags = 0x18;
        ps.seq = f->resend_seq;
        ps.ack = f->cseq;
        ps.payload_len = f->resend_len;
        g->truth->tcp_retrans++;
        f->resend_ns = 0;
        f->sacked = f->sseq; /* the client now has everything */
        return emit(g, f, &ps, now, err) < 0 ? -1 : 1;
    }
    switch (f->phase) {
    case P_SYN:
        ps.from_client = 1;
        ps.tcp_flags = 0x02;
        ps.seq = f->cseq++;
        ps.mss_opt = 1;
        f->phase = P_SYNACK;
        f->next_ns = now + f->rtt_ns - f->rtt_ns / 8;
        if (f->type == G_TCP_SYN) {
            f->phase = rng_range(r, 0, 1) ? P_DONE : P_LASTACK; /* unanswered, or RST */
            f->next_ns = now + 300000;
        }
        break;
    case P_SYNACK:
        ps.tcp_flags = 0x12;
        ps.seq = f->sseq++;
        ps.ack = f->cseq;
        ps.mss_opt = 1;
        f->sacked = f->sseq;
        f->phase = P_ACK;
        f->next_ns = now + f->rtt_ns / 8;
        break;
    case P_ACK:
        ps.from_client = 1;
        ps.tcp_flags = 0x10;
        ps.seq = f->cseq;
        ps.ack = f->sseq;
        f->phase = P_REQ;
        f->next_ns = now + 50000;
        break;
    case P_REQ:
        ps.from_client = 1;
        ps.tcp_flags = 0x18;
        ps.seq = f->cseq;
        ps.ack = f->sseq;
        ps.payload_len = f->req_len;
        f->cseq += f->req_len;
        f->phase = P_DATA;
        f->next_ns = now + f->rtt_ns + 200000;
        break;
    case P_DATA:
        if (f->reorder_held) {
            /* the held-back earlier segment arrives just after its successor */
            ps.tcp_flags = 0x10;
            ps.seq = f->held_seq;
            ps.ack = f->cseq;
            ps.payload_len = f->held_len;
            f->reorder_held = 0;
            g->truth->tcp_reordered++;
            f->next_ns = now + f->gap_ns;
            break;
        }
        if (f->ack_due) {
            /* client ACK after every second segment: cumulative up to the
             * first byte it has not received */
            ps.from_client = 1;
            ps.tcp_flags = 0x10;
            ps.seq = f->cseq;
            ps.ack = f->resend_ns ? f->resend_seq : f->sacked;
            f->ack_due = 0;
            f->next_ns = now + f->gap_ns / 2 + 1000;
            break;
        }
        if (f->remaining == 0) {
            f->phase = P_FIN1;
            f->next_ns = now + f->gap_ns;
            return 1;
        }
        {
            uint16_t len = (uint16_t)(f->remaining == 1 && f->type == G_TCP_BULK
                                          ? rng_range(r, 1, MSS)
                                          : (f->type == G_TCP_SHORT && f->remaining == 1
                                                 ? rng_range(r, 100, MSS)
                                                 : MSS));
            uint32_t seq = f->sseq;
            f->sseq += len;
            f->remaining--;
            f->next_ns = now + f->gap_ns;
            if (++f->since_ack == 2) {
                f->since_ack = 0;
                f->ack_due = 1;
            }
            double u = rng_unit(r);
            int can_impair = !f->resend_ns && f->remaining >= 2 && f->type == G_TCP_BULK;
            if (can_impair && u < c->upstream_loss) {
                /* never seen here: a hole; resent after an RTO > 2 RTT */
                f->resend_ns = now + 2ull * f->rtt_ns + 1000000;
                f->resend_seq = seq;
                f->resend_len = len;
                g->truth->tcp_upstream_lost++;
                return 1;
            }
            if (can_impair && u < c->upstream_loss + c->reorder) {
                /* send the next segment first, this one 10 µs later */
                f->reorder_held = 1;
                f->held_seq = seq;
                f->held_len = MSS;
                uint32_t nseq = f->sseq;
                f->sseq += MSS;
                f->remaining--;
                ps.tcp_flags = 0x10;
                ps.seq = nseq;
                ps.ack = f->cseq;
                ps.payload_len = MSS;
                /* held_len/len: this segment is `len` long */
                f->held_len = len;
                f->next_ns = now + 10000;
                f->sacked = f->sseq;
                break;
            }
            ps.tcp_flags = f->remaining == 0 ? 0x18 : 0x10;
            ps.seq = seq;
            ps.ack = f->cseq;
            ps.payload_len = len;
            if (!f->resend_ns)
                f->sacked = f->sseq;
            if (can_impair && u < c->upstream_loss + c->reorder + c->downstream_loss) {
                /* seen here, lost after us: resent after the RTO */
                f->resend_ns = now + 2ull * f->rtt_ns + 1000000;
                f->resend_seq = seq;
                f->resend_len = len;
                f->sacked = seq;
            }
        }
        break;
    case P_FIN1:
        if (f->resend_ns) { /* wait for the pending resend first */
            f->next_ns = f->resend_ns + 1;
            return 1;
        }
        ps.tcp_flags = 0x11;
        ps.seq = f->sseq++;
        ps.ack = f->cseq;
        f->phase = P_FIN2;
        f->next_ns = now + f->rtt_ns / 2 + 100000;
        break;
    case P_FIN2:
        ps.from_client = 1;
        ps.tcp_flags = 0x11;
        ps.seq = f->cseq++;
        ps.ack = f->sseq;
        f->phase = P_LASTACK;
        f->next_ns = now + f->rtt_ns / 2 + 100000;
        break;
    case P_LASTACK:
        if (f->type == G_TCP_SYN) { /* the port is closed: RST/ACK */
            ps.tcp_flags = 0x14;
            ps.seq = 0;
            ps.ack = f->cseq;
        } else {
            ps.tcp_flags = 0x10;
            ps.seq = f->sseq;
            ps.ack = f->cseq;
        }
        f->phase = P_DONE;
        break;
    default:
        return 0;
    }
    if (emit(g, f, &ps, now, err) < 0)
        return -1;
    return f->phase == P_DONE && !f->resend_ns ? 0 : 1;
}

static int step_other(struct gen *g, struct gflow *f, uint64_t now, struct ns_error *err)
{
    struct pktspec ps = {0};
    struct ns_rng *r = &g->rng;
    int to_server = (f->remaining % 2) == 0;
    ps.from_client = to_server;
    switch (f->type) {
    case G_DNS:
        ps.proto = 17;
        ps.payload_len = (uint16_t)(to_server ? rng_range(r, 30, 60) : rng_range(r, 60, 400));
        f->next_ns = now + f->rtt_ns;
        break;
    case G_RTP:
        ps.proto = 17;
        ps.payload_len = 172;
        if (!to_server) {
            f->rtp_seq++;
            f->rtp_ts += 160;
        }
        f->next_ns = now + (to_server ? 150000 : 20000000 - 150000);
        /* No loss among the first packets of a stream: a meter can only
         * recognise RTP (and know the sequence to expect) once it has seen
         * a few packets in order (RFC 3550 A.1 probation), so a loss there
         * is not part of what it can be asked to find. */
        if (g->cfg->upstream_loss > 0 && f->sent >= 8 && f->remaining > 2 &&
            rng_unit(r) < g->cfg->upstream_loss) {
            g->truth->rtp_lost++;
            f->remaining--;
            f->sent++;
            return 1;
        }
        break;
    default:
        ps.proto = 1;
        ps.icmp_type = f->v6 ? (to_server ? 128 : 129) : (to_server ? 8 : 0);
        ps.payload_len = 56;
        f->next_ns = now + (to_server ? f->rtt_ns : 1000000000u - f->rtt_ns);
        break;
    }
    f->remaining--;
    f->sent++;
    if (emit(g, f, &ps, now, err) < 0)
        return -1;
    /* An echo reply carries its request's identifier and sequence number
     * (RFC 792, RFC 4443 §4.2): the next request takes the next one. */
    if (f->type == G_ICMP && !to_server)
        f->icmp_seq++;
    return f->remaining > 0;
}

void ns_gen_config_default(struct ns_gen_config *c)
{
    memset(c, 0, sizeof *c);
    c->seed = 1;
    c->flows = 1000;
    c->max_active = 4096;
    c->start_ns = 1700000000ull * 1000000000ull;
    c->flow_gap_ns = 200000; /* 5000 new flows/s */
    c->snaplen = 256;
    c->upstream_loss = 0.002;
    c->downstream_loss = 0.001;
    c->reorder = 0.002;
}

int ns_gen_write_pcap(const char *path, const struct ns_gen_config *c, struct ns_gen_truth *truth,
                      struct ns_error *err)
{
    if (c->max_active == 0 || c->snaplen < 64 || c->snaplen > 65535)
        return ns_error_set(err, NS_EINVAL, "generator: max_active must be > 0, snaplen 64..65535");
    struct gen g = {.cfg = c, .truth = truth};
    memset(truth, 0, sizeof *truth);
    ns_rng_seed(&g.rng, c->seed);
    g.flows = calloc(c->max_active, sizeof *g.flows);
    g.free_slots = calloc(c->max_active, sizeof *g.free_slots);
    g.heap.idx = calloc(c->max_active, sizeof *g.heap.idx);
    int rc = NS_OK;
    pcap_t *dead = NULL;
    if (!g.flows || !g.free_slots || !g.heap.idx) {
        rc = ns_error_set(err, NS_ENOMEM, "generator: out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < c->max_active; i++)
        g.free_slots[i] = c->max_active - 1 - i;
    g.nfree = c->max_active;
    dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, (int)c->snaplen,
                                                PCAP_TSTAMP_PRECISION_NANO);
    if (!dead) {
        rc = ns_error_set(err, NS_ENOMEM, "generator: pcap_open_dead failed");
        goto out;
    }
    g.dumper = pcap_dump_open(dead, path);
    if (!g.dumper) {
        rc = ns_error_set(err, NS_EIO, "%s: %s", path, pcap_geterr(dead));
        goto out;
    }

    uint64_t started = 0, next_start = c->start_ns;
    while (started < c->flows || g.heap.n) {
        int start_now = started < c->flows && g.nfree &&
                        (!g.heap.n || next_start <= flow_time(&g.flows[g.heap.idx[0]]));
        if (start_now) {
            uint32_t slot = g.free_slots[--g.nfree];
            start_flow(&g, &g.flows[slot], next_start);
            heap_push(&g, slot);
            started++;
            /* exponential inter-arrival around flow_gap_ns */
            double u = rng_unit(&g.rng);
            double gap = -(double)c->flow_gap_ns * __builtin_log(1.0 - u);
            next_start += (uint64_t)gap + 1;
            continue;
        }
        uint32_t slot = heap_pop(&g);
        struct gflow *f = &g.flows[slot];
        uint64_t now = flow_time(f);
        if (now > next_start && started < c->flows && !g.nfree)
            next_start = now; /* starts waited for a free slot */
        int more = f->type <= G_TCP_SYN ? step_tcp(&g, f, now, err) : step_other(&g, f, now, err);
        if (more < 0) {
            rc = err ? err->code : NS_EIO;
            goto out;
        }
        if (more)
            heap_push(&g, slot);
        else
            g.free_slots[g.nfree++] = slot;
    }
    if (pcap_dump_flush(g.dumper) != 0)
        rc = ns_error_set(err, NS_EIO, "%s: write failed: %s", path, strerror(errno));
out:
    if (g.dumper)
        pcap_dump_close(g.dumper);
    if (dead)
        pcap_close(dead);
    free(g.flows);
    free(g.free_slots);
    free(g.heap.idx);
    return rc;
}
