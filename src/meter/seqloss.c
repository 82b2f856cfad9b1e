#include "meter/seqloss.h"

#include <string.h>

void ns_seq_init(struct ns_seq_state *s, enum ns_seq_kind kind)
{
    memset(s, 0, sizeof *s);
    s->kind = (uint8_t)kind;
}

static void restart(struct ns_seq_dir *d, uint32_t id, uint32_t seq, uint8_t state)
{
    d->id = id;
    d->max = seq;
    d->window = 1;
    d->span = 1;
    d->state = state;
    d->probation = 1;
}

/* Signed distance seq - max in a `bits`-bit sequence space. */
static int64_t seq_delta(uint32_t seq, uint32_t max, int bits)
{
    if (bits == 16)
        return (int16_t)(uint16_t)(seq - max);
    return (int32_t)(seq - max);
}

static void advance(struct ns_seq_dir *d, uint32_t seq, int bits, uint32_t dropout)
{
    int64_t delta = seq_delta(seq, d->max, bits);
    if (delta > 0) {
        if ((uint64_t)delta > dropout) { /* restart, not loss */
            restart(d, d->id, seq, d->state);
            return;
        }
        d->loss += delta - 1;
        d->window = delta >= 64 ? 1 : (d->window << delta) | 1;
        d->span = (uint8_t)(d->span + delta > 64 ? 64 : d->span + delta);
        d->max = seq;
        return;
    }
    if (delta == 0) {
        d->dup++;
        return;
    }
    uint64_t back = (uint64_t)(-delta);
    if (back >= d->span) { /* too old, or before tracking started */
        d->ooo++;
        return;
    }
    if (d->window >> back & 1) {
        d->dup++;
        return;
    }
    d->window |= 1ULL << back;
    d->ooo++;
    d->loss--;
}

void ns_seq_esp(struct ns_seq_state *s, int dir, uint32_t spi, uint32_t seq)
{
    struct ns_seq_dir *d = &s->d[dir];
    if (d->state != 2 || d->id != spi) {
        restart(d, spi, seq, 2);
        return;
    }
    advance(d, seq, 32, NS_ESP_MAX_DROPOUT);
}

void ns_rtp_peek(const struct ns_pkt *p, struct ns_rtp_hdr *h)
{
    h->ok = 0;
    h->seq = 0;
    h->ssrc = 0;
    if (p->proto != 17 || !(p->flags & NS_PKT_F_L4) || !p->payload || p->payload_caplen < 12)
        return;
    if (p->sport < 1024 || p->dport < 1024)
        return;
    const uint8_t *b = p->payload;
    uint8_t pt = b[1] & 0x7f;
    if ((b[0] >> 6) != 2 || (pt >= 72 && pt <= 76))
        return;
    h->seq = (uint16_t)(b[2] << 8 | b[3]);
    h->ssrc = (uint32_t)b[8] << 24 | (uint32_t)b[9] << 16 | (uint32_t)b[10] << 8 | b[11];
    h->ok = 1;
}

int ns_seq_rtp(struct ns_seq_state *s, int dir, const struct ns_rtp_hdr *h)
{
    struct ns_seq_dir *d = &s->d[dir];
    if (!h->ok)
        return 0; /* e.g. STUN or RTCP multiplexed on the same ports */
    uint32_t seq = h->seq, ssrc = h->ssrc;
    if (d->state == 0 || d->id != ssrc) {
        if (d->state == 1)
            s->fails++;
        restart(d, ssrc, seq, 1);
    } else if (d->state == 1) {
        if (seq == ((d->max + 1) & 0xffff)) {
            d->window = (d->window << 1) | 1;
            d->span = (uint8_t)(d->span < 64 ? d->span + 1 : 64);
            d->max = seq;
            if (++d->probation >= NS_RTP_PROBATION)
                d->state = 2;
        } else {
            s->fails++;
            restart(d, ssrc, seq, 1);
        }
    } else {
        advance(d, seq, 16, NS_RTP_MAX_DROPOUT);
    }
    if (s->fails >= NS_RTP_MAX_FAILS && s->d[0].state != 2 && s->d[1].state != 2)
        return -1;
    return 0;
}

int ns_seq_active(const struct ns_seq_state *s)
{
    return s->d[0].state == 2 || s->d[1].state == 2;
}

void ns_seq_fill(const struct ns_seq_state *s, struct ns_record *r)
{
    if (!ns_seq_active(s))
        return;
    r->present |= NS_RG_LOSS;
    r->loss_source = s->kind == NS_SEQ_ESP ? NS_LOSS_ESP : NS_LOSS_RTP;
    if (s->kind == NS_SEQ_ESP)
        r->present |= NS_RG_ESP;
    for (int i = 0; i < 2; i++) {
        const struct ns_seq_dir *d = &s->d[i];
        r->dir[i].loss_pkts = d->loss;
        r->dir[i].ooo_pkts = d->ooo;
        r->dir[i].dup_pkts = d->dup;
        if (s->kind == NS_SEQ_ESP)
            r->dir[i].esp_spi = d->state ? d->id : 0;
    }
}

void ns_seq_reset_deltas(struct ns_seq_state *s)
{
    for (int i = 0; i < 2; i++) {
        s->d[i].loss = 0;
        s->d[i].ooo = 0;
        s->d[i].dup = 0;
    }
}
