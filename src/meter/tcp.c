#include "meter/tcp.h"

#include <string.h>

_Static_assert(NS_TCP_HOT_BYTES == 128, "a segment's TCP state is two cache lines (tcp.h)");

/* a - b in sequence space (RFC 9293 §3.4: modulo 2^32 arithmetic) */
static int32_t sdiff(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
}

static uint64_t elapsed(uint64_t now, uint64_t then)
{
    return now > then ? now - then : 0;
}

void ns_tcp_init(struct ns_tcp_state *t)
{
    memset(t, 0, sizeof *t);
    t->syn_dir = 2;
    t->d[0].wscale = t->d[1].wscale = 0xff;
}

uint64_t ns_tcp_ooo_threshold(const struct ns_tcp_state *t)
{
    if ((t->rtt_done & 3) == 3)
        return ((uint64_t)t->synack_us + t->ackdat_us) * 1000u;
    return NS_TCP_OOO_DEFAULT_NS;
}

int ns_tcp_is_new_syn(const struct ns_tcp_state *t, int dir, const struct ns_pkt *p)
{
    const struct ns_tcp_dir *d = &t->d[dir];
    if ((p->tcp_flags & (NS_TCP_SYN | NS_TCP_ACK)) != NS_TCP_SYN)
        return 0;
    return !d->have_syn || p->tcp_seq != d->isn;
}

static void remove_hole(struct ns_tcp_dir *d, struct ns_tcp_dir_rare *x, unsigned i)
{
    x->hole[i] = x->hole[d->nholes - 1];
    d->nholes--;
}

/* Forget holes so far behind nxt that modular comparison would wrap. */
static void prune_holes(struct ns_tcp_dir *d, struct ns_tcp_dir_rare *x)
{
    for (unsigned i = 0; i < d->nholes;) {
        if (sdiff(d->nxt, x->hole[i].end) > (1 << 30) || sdiff(d->nxt, x->hole[i].start) < 0)
            remove_hole(d, x, i);
        else
            i++;
    }
}

static unsigned oldest_hole(const struct ns_tcp_dir *d, const struct ns_tcp_dir_rare *x)
{
    unsigned o = 0;
    for (unsigned i = 1; i < d->nholes; i++)
        if (x->hole[i].seen_ns < x->hole[o].seen_ns)
            o = i;
    return o;
}

static unsigned add_hole(struct ns_tcp_dir *d, struct ns_tcp_dir_rare *x, uint32_t start,
                         uint32_t end, uint64_t ts)
{
    unsigned ret = 0;
    uint32_t gap = end - start;
    uint32_t seg = d->max_seg ? d->max_seg : gap;
    uint32_t est = gap / seg + (gap % seg != 0);
    x->gap_octets += gap;
    x->loss_pkts += est;
    prune_holes(d, x);
    if (d->nholes == NS_TCP_MAX_HOLES) {
        remove_hole(d, x, oldest_hole(d, x));
        ret |= NS_TCP_R_HOLE_OVERFLOW;
    }
    struct ns_tcp_hole *h = &x->hole[d->nholes++];
    h->start = start;
    h->end = end;
    h->est = est;
    h->seen_ns = ts;
    return ret;
}

/*
 * Octets of [s, e) (below nxt) that fall in holes; *seen = time the oldest
 * touched hole was seen.
 */
static uint32_t hole_overlap(const struct ns_tcp_dir *d, const struct ns_tcp_dir_rare *x,
                             uint32_t s, uint32_t e, uint64_t *seen)
{
    uint32_t total = 0;
    int64_t ss = sdiff(s, d->nxt), se = sdiff(e, d->nxt);
    for (unsigned i = 0; i < d->nholes; i++) {
        int64_t hs = sdiff(x->hole[i].start, d->nxt), he = sdiff(x->hole[i].end, d->nxt);
        int64_t lo = ss > hs ? ss : hs, hi = se < he ? se : he;
        if (lo >= hi)
            continue;
        if (!total || x->hole[i].seen_ns < *seen)
            *seen = x->hole[i].seen_ns;
        total += (uint32_t)(hi - lo);
    }
    return total;
}

/* Remove [s, e) from the holes; credit estimates back when `reorder`. */
static unsigned fill_holes(struct ns_tcp_dir *d, struct ns_tcp_dir_rare *x, uint32_t s, uint32_t e,
                           int reorder)
{
    unsigned ret = 0;
    int64_t ss = sdiff(s, d->nxt), se = sdiff(e, d->nxt);
    for (unsigned i = 0; i < d->nholes;) {
        struct ns_tcp_hole *h = &x->hole[i];
        int64_t hs = sdiff(h->start, d->nxt), he = sdiff(h->end, d->nxt);
        int64_t lo = ss > hs ? ss : hs, hi = se < he ? se : he;
        if (lo >= hi) {
            i++;
            continue;
        }
        if (lo == hs && hi == he) { /* hole closed */
            if (reorder)
                x->loss_pkts -= h->est;
            remove_hole(d, x, i);
            continue;
        }
        if (reorder && h->est) {
            h->est--;
            x->loss_pkts--;
        }
        if (lo == hs) {
            h->start = d->nxt + (uint32_t)hi;
        } else if (hi == he) {
            h->end = d->nxt + (uint32_t)lo;
        } else { /* split: share the remaining estimate by size */
            uint64_t lb = (uint64_t)(lo - hs), rb = (uint64_t)(he - hi);
            uint32_t lest = (uint32_t)(h->est * lb / (lb + rb));
            uint32_t rest = h->est - lest;
            struct ns_tcp_hole right = *h;
            right.start = d->nxt + (uint32_t)hi;
            right.est = rest;
            h->end = d->nxt + (uint32_t)lo;
            h->est = lest;
            if (d->nholes < NS_TCP_MAX_HOLES) {
                x->hole[d->nholes++] = right;
            } else { /* no slot: keep the estimate, stop tracking the right part */
                h->est += rest;
                ret |= NS_TCP_R_HOLE_OVERFLOW;
            }
        }
        i++;
    }
    return ret;
}

static unsigned analyse_seq(struct ns_tcp_state *t, int dir, const struct ns_pkt *p)
{
    struct ns_tcp_dir *d = &t->d[dir], *r = &t->d[!dir];
    struct ns_tcp_dir_rare *x = &t->r[dir];
    uint8_t fl = p->tcp_flags;
    uint32_t len = p->l4_payload_len;
    uint32_t seq = p->tcp_seq;
    uint64_t ts = p->ts_ns;
    uint32_t seglen = len + !!(fl & NS_TCP_SYN) + !!(fl & NS_TCP_FIN);
    /* a first fragment holds only part of the segment (see tcp.h) */
    uint8_t open_end = (p->flags & NS_PKT_F_FRAG_MORE) != 0;

    if ((fl & NS_TCP_RST) && len == 0)
        return 0; /* an RST occupies no sequence space */
    if ((fl & NS_TCP_SYN) && (!d->have_seq || !d->have_syn || seq != d->isn)) {
        /* first SYN, or a SYN with a new ISN: (re)start tracking */
        d->isn = seq;
        d->have_syn = d->have_seq = 1;
        d->nxt = seq + seglen;
        d->nxt_open = open_end;
        d->nxt_ns = ts;
        d->nholes = 0;
        d->max_seg = open_end ? 0 : len;
        return 0;
    }
    if (!d->have_seq) { /* picked up mid-stream */
        d->have_seq = 1;
        d->nxt = seq + seglen;
        d->nxt_open = open_end;
        d->nxt_ns = ts;
        d->max_seg = open_end ? 0 : len;
        return 0;
    }
    if (seglen == 0)
        return 0;
    if (len == 1 && seq == d->nxt && !(fl & (NS_TCP_SYN | NS_TCP_FIN | NS_TCP_RST)) &&
        r->have_win && r->win_last == 0)
        return 0; /* zero-window probe */
    if (len <= 1 && !(fl & (NS_TCP_SYN | NS_TCP_FIN | NS_TCP_RST)) && seq == d->nxt - 1)
        return 0; /* keep-alive */
    if (len > d->max_seg && !open_end)
        d->max_seg = len;

    unsigned ret = 0;
    uint32_t end = seq + seglen;
    if (sdiff(seq, d->nxt) >= 0) {
        if (seq != d->nxt && !d->nxt_open)
            ret |= add_hole(d, x, d->nxt, seq, ts);
        d->nxt = end;
        d->nxt_open = open_end;
        d->nxt_ns = ts;
        return ret;
    }
    uint32_t old_end = sdiff(end, d->nxt) < 0 ? end : d->nxt;
    uint64_t seen = 0;
    uint32_t filled = hole_overlap(d, x, seq, old_end, &seen);
    if (filled) {
        int fast = r->have_ack && r->dupacks >= 2 && r->lastack == seq &&
                   elapsed(ts, r->ack_ns) < NS_TCP_FASTRT_NS;
        int reorder = !fast && elapsed(ts, seen) < ns_tcp_ooo_threshold(t);
        ret |= fill_holes(d, x, seq, old_end, reorder);
        if (reorder) {
            x->ooo_pkts++;
            x->gap_octets -= filled;
        } else {
            x->retrans_pkts++;
            x->retrans_octets += len;
        }
    } else {
        x->retrans_pkts++;
        x->retrans_octets += len;
        x->loss_pkts++;
    }
    if (sdiff(end, d->nxt) > 0) {
        d->nxt = end;
        d->nxt_open = open_end;
        d->nxt_ns = ts;
    }
    return ret;
}

static void handshake(struct ns_tcp_state *t, int dir, const struct ns_pkt *p)
{
    uint8_t fl = p->tcp_flags & (NS_TCP_SYN | NS_TCP_ACK | NS_TCP_RST);
    uint64_t ts = p->ts_ns;
    if (fl == NS_TCP_SYN) {
        if (t->syn_dir == 2)
            t->syn_dir = (uint8_t)dir;
        if (t->syn_dir == dir)
            t->r[dir].syn_ns = ts; /* the last SYN counts */
        return;
    }
    if (t->syn_dir == 2 || (t->rtt_done & 2))
        return;
    int init = t->syn_dir;
    if (fl == (NS_TCP_SYN | NS_TCP_ACK) && dir != init && p->tcp_ack == t->d[init].isn + 1 &&
        t->d[init].have_syn) {
        if (!(t->rtt_done & 1)) {
            t->synack_us = (uint32_t)(elapsed(ts, t->r[init].syn_ns) / 1000u);
            t->rtt_done |= 1;
        }
        t->synack_ns = ts; /* ackdat is measured from the last SYN/ACK */
        return;
    }
    if (fl == NS_TCP_ACK && dir == init && (t->rtt_done & 1) && t->d[!init].have_syn &&
        p->tcp_ack == t->d[!init].isn + 1) {
        t->ackdat_us = (uint32_t)(elapsed(ts, t->synack_ns) / 1000u);
        t->rtt_done |= 2;
    }
}

unsigned ns_tcp_packet(struct ns_tcp_state *t, int dir, const struct ns_pkt *p)
{
    struct ns_tcp_dir *d = &t->d[dir];
    uint8_t fl = p->tcp_flags;
    if (!d->seen) {
        d->seen = 1;
        d->init_flags = fl;
    }
    d->flags |= fl;
    if (fl & NS_TCP_SYN) {
        if (p->flags & NS_PKT_F_TCP_OPT_MSS)
            d->mss = p->tcp_mss;
        if (p->flags & NS_PKT_F_TCP_OPT_WS)
            d->wscale = p->tcp_wscale;
    }
    if (!d->rec_win || p->tcp_win < d->win_min)
        d->win_min = p->tcp_win;
    if (!d->rec_win || p->tcp_win > d->win_max)
        d->win_max = p->tcp_win;
    d->rec_win = 1;

    handshake(t, dir, p);
    unsigned ret = analyse_seq(t, dir, p);

    /* duplicate ACKs as Wireshark counts them (feed the fast-retransmission rule) */
    if (fl & NS_TCP_ACK) {
        if (d->have_ack && p->l4_payload_len == 0 &&
            !(fl & (NS_TCP_SYN | NS_TCP_FIN | NS_TCP_RST)) && p->tcp_ack == d->lastack &&
            d->have_win && p->tcp_win == d->win_last && p->tcp_seq == d->nxt)
            d->dupacks++;
        else if (!d->have_ack || p->tcp_ack != d->lastack)
            d->dupacks = 0;
        d->lastack = p->tcp_ack;
        d->ack_ns = p->ts_ns;
        d->have_ack = 1;
        struct ns_tcp_dir *o = &t->d[!dir];
        if (o->fin && !o->fin_acked && (int32_t)(p->tcp_ack - (o->fin_seq + 1)) >= 0)
            o->fin_acked = 1;
    }
    d->win_last = p->tcp_win;
    d->have_win = 1;

    if ((fl & NS_TCP_FIN) && !d->fin) {
        d->fin = 1;
        d->fin_seq = p->tcp_seq + p->l4_payload_len + ((fl & NS_TCP_SYN) ? 1u : 0u);
    }
    if (!t->closed && ((fl & NS_TCP_RST) || (t->d[0].fin_acked && t->d[1].fin_acked))) {
        t->closed = 1;
        ret |= NS_TCP_R_CLOSED;
    }
    return ret;
}

void ns_tcp_fill(const struct ns_tcp_state *t, struct ns_record *r)
{
    r->present |= NS_RG_TCP | NS_RG_LOSS;
    r->loss_source = NS_LOSS_TCP;
    for (int i = 0; i < 2; i++) {
        const struct ns_tcp_dir *d = &t->d[i];
        const struct ns_tcp_dir_rare *x = &t->r[i];
        struct ns_record_dir *o = &r->dir[i];
        o->tcp_flags = d->flags;
        o->tcp_init_flags = d->init_flags;
        o->tcp_wscale = d->wscale;
        o->tcp_mss = d->mss;
        o->tcp_win_min = d->win_min;
        o->tcp_win_max = d->win_max;
        o->loss_pkts = x->loss_pkts;
        o->gap_octets = x->gap_octets;
        o->retrans_pkts = x->retrans_pkts;
        o->retrans_octets = x->retrans_octets;
        o->ooo_pkts = x->ooo_pkts;
    }
    if (t->rtt_done & 1) {
        r->present |= NS_RG_RTT;
        r->synack_us = t->synack_us;
        r->ackdat_us = (t->rtt_done & 2) ? t->ackdat_us : 0;
    }
}

void ns_tcp_reset_deltas(struct ns_tcp_state *t)
{
    for (int i = 0; i < 2; i++) {
        struct ns_tcp_dir *d = &t->d[i];
        struct ns_tcp_dir_rare *x = &t->r[i];
        x->loss_pkts = x->gap_octets = 0;
        x->retrans_pkts = x->retrans_octets = x->ooo_pkts = 0;
        d->flags = 0;
        d->win_min = d->win_max = 0;
        d->rec_win = 0;
    }
}
