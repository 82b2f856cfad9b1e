/* stream.c — see stream.h. */
#include "cullmon/stream.h"

#include <stdlib.h>
#include <string.h>

int ns_stream_init(struct ns_stream *s, uint32_t cap, uint64_t hole_ns, struct ns_error *err)
{
    memset(s, 0, sizeof *s);
    if (cap < NS_BGP_MAX_LEN)
        cap = NS_BGP_MAX_LEN; /* a whole ordinary message always fits */
    s->buf = malloc(cap);
    if (!s->buf)
        return ns_error_set(err, NS_ENOMEM, "out of memory for a %u-octet stream window", cap);
    s->cap = cap;
    s->hole_ns = hole_ns;
    s->max_len = NS_BGP_EXT_MAX_LEN;
    return NS_OK;
}

void ns_stream_free(struct ns_stream *s)
{
    free(s->buf);
    s->buf = NULL;
}

void ns_stream_reset(struct ns_stream *s)
{
    s->started = 0;
    s->sync = 0;
    s->n = 0;
    s->skip = 0;
    s->hole_since = 0;
}

void ns_stream_syn(struct ns_stream *s, uint32_t isn)
{
    ns_stream_reset(s);
    s->base = isn + 1; /* the SYN occupies one sequence number */
    s->started = 1;
    s->sync = 1;
}

/* Drop the first k octets of the window (held or not). */
static void consume(struct ns_stream *s, uint32_t k)
{
    if (!k)
        return;
    uint32_t held_end = s->n ? s->r[s->n - 1].hi : 0;
    if (k < held_end)
        memmove(s->buf, s->buf + k, held_end - k);
    unsigned j = 0;
    for (unsigned i = 0; i < s->n; i++) {
        if (s->r[i].hi <= k)
            continue;
        s->r[j].lo = s->r[i].lo > k ? s->r[i].lo - k : 0;
        s->r[j].hi = s->r[i].hi - k;
        j++;
    }
    s->n = (uint8_t)j;
    s->base += k;
}

/* Octets held contiguously from the front. */
static uint32_t contig(const struct ns_stream *s)
{
    return s->n && s->r[0].lo == 0 ? s->r[0].hi : 0;
}

/* Insert [lo, hi) into the sorted disjoint list; returns the octets that were
 * not held before, or -1 when the list would overflow. */
static int64_t add_range(struct ns_stream *s, uint32_t lo, uint32_t hi)
{
    uint32_t covered = 0, nlo = lo, nhi = hi;
    unsigned first = s->n, last = 0, k = 0;
    for (unsigned i = 0; i < s->n; i++) {
        if (s->r[i].hi < lo || s->r[i].lo > hi)
            continue; /* neither overlapping nor touching */
        uint32_t a = s->r[i].lo > lo ? s->r[i].lo : lo;
        uint32_t b = s->r[i].hi < hi ? s->r[i].hi : hi;
        if (b > a)
            covered += b - a;
        if (s->r[i].lo < nlo)
            nlo = s->r[i].lo;
        if (s->r[i].hi > nhi)
            nhi = s->r[i].hi;
        if (first == s->n)
            first = i;
        last = i;
        k++;
    }
    if (k == 0) {
        if (s->n == NS_STREAM_RANGES)
            return -1;
        unsigned pos = 0;
        while (pos < s->n && s->r[pos].lo < lo)
            pos++;
        memmove(&s->r[pos + 1], &s->r[pos], (s->n - pos) * sizeof s->r[0]);
        s->r[pos].lo = lo;
        s->r[pos].hi = hi;
        s->n++;
        return hi - lo;
    }
    /* ranges first..last merge into one */
    s->r[first].lo = nlo;
    s->r[first].hi = nhi;
    unsigned gone = last - first;
    memmove(&s->r[first + 1], &s->r[last + 1], (s->n - last - 1) * sizeof s->r[0]);
    s->n = (uint8_t)(s->n - gone);
    return (int64_t)(hi - lo) - covered;
}

uint32_t ns_stream_segment(struct ns_stream *s, uint64_t now_ns, uint32_t seq, const uint8_t *data,
                           uint32_t len)
{
    if (!len || !s->buf)
        return 0;
    if (!s->started) {
        /* No SYN seen: start here and find a message boundary by its marker. */
        ns_stream_reset(s);
        s->base = seq;
        s->started = 1;
    }
    int32_t d = (int32_t)(seq - s->base);
    if ((int64_t)d + len <= 0) {
        s->st.bytes_dup += len;
        return 0;
    }
    if (d < 0) {
        uint32_t cut = (uint32_t)-d;
        s->st.bytes_dup += cut;
        data += cut;
        len -= cut;
        d = 0;
    }
    uint32_t off = (uint32_t)d;
    if (off > NS_STREAM_JUMP) {
        /* far ahead: a new incarnation we did not see start */
        ns_stream_reset(s);
        s->base = seq;
        s->started = 1;
        off = 0;
    } else if ((uint64_t)off + len > s->cap) {
        /* It does not fit: what it pushes out of the front is lost (a hole
         * that was never going to be filled in time, or oversized data). */
        uint64_t need = (uint64_t)off + len - s->cap;
        if (need > contig(s))
            s->st.gaps++; /* octets never seen are given up */
        if (s->skip >= need) {
            s->skip -= (uint32_t)need; /* all inside a body we skip anyway */
        } else {
            s->skip = 0;
            s->sync = 0; /* a message lost its front: find the next marker */
        }
        if (need >= off) {
            uint32_t drop = (uint32_t)(need - off);
            data += drop;
            len -= drop;
            consume(s, off);
            s->base += drop;
            s->n = 0;
            off = 0;
        } else {
            consume(s, (uint32_t)need);
            off -= (uint32_t)need;
        }
    }
    int64_t fresh = add_range(s, off, off + len);
    if (fresh < 0) {
        s->st.segs_dropped++;
        return 0;
    }
    memcpy(s->buf + off, data, len);
    s->st.bytes_new += (uint64_t)fresh;
    s->st.bytes_dup += len - (uint64_t)fresh;
    if (off > contig(s))
        s->st.segs_ooo++;
    if (s->n > 1 || (s->n == 1 && s->r[0].lo > 0)) {
        if (!s->hole_since)
            s->hole_since = now_ns ? now_ns : 1;
    } else {
        s->hole_since = 0;
    }
    return (uint32_t)fresh;
}

/* Give up on the first hole: jump to the range behind it, dropping what is
 * held before it (the front of a message that cannot complete). */
static void skip_hole(struct ns_stream *s)
{
    uint32_t k = s->r[0].lo > 0 ? s->r[0].lo : s->n > 1 ? s->r[1].lo : 0;
    if (!k)
        return;
    s->st.gaps++;
    if (s->skip >= k) {
        s->skip -= k; /* the hole was inside a body we skip anyway */
    } else {
        s->st.skipped += contig(s) > s->skip ? contig(s) - s->skip : 0;
        s->skip = 0;
        s->sync = 0;
    }
    consume(s, k);
}

/* Search for a marker followed by a good header; 1 when buf[0] is one. */
static int resync(struct ns_stream *s)
{
    uint32_t c = contig(s);
    uint32_t i = 0;
    for (; i + NS_BGP_HDR_LEN <= c; i++) {
        uint16_t l;
        uint8_t t;
        if (s->buf[i] == 0xff && ns_bgp_header(s->buf + i, c - i, s->max_len, &l, &t, NULL) == 1)
            break;
    }
    if (i + NS_BGP_HDR_LEN > c) {
        /* keep a tail that may hold the start of a marker */
        i = c > NS_BGP_HDR_LEN - 1 ? c - (NS_BGP_HDR_LEN - 1) : 0;
        s->st.skipped += i;
        consume(s, i);
        return 0;
    }
    s->st.skipped += i;
    consume(s, i);
    s->sync = 1;
    return 1;
}

static int next_msg(struct ns_stream *s, uint64_t now_ns, int force, struct ns_bgp_msg *m)
{
    if (!s->buf)
        return 0;
    for (;;) {
        uint32_t c = contig(s);
        if (s->skip) {
            uint32_t k = s->skip < c ? s->skip : c;
            if (k) {
                consume(s, k);
                s->skip -= k;
                continue;
            }
        } else {
            if (!s->sync) {
                s->st.resyncs++;
                resync(s);
            }
            uint16_t l;
            uint8_t t;
            int rc = s->sync ? ns_bgp_header(s->buf, c, s->max_len, &l, &t, NULL) : 0;
            if (rc < 0) {
                s->sync = 0; /* out of step: look for the next marker */
                consume(s, 1);
                s->st.skipped++;
                continue;
            }
            if (rc == 1 && l > s->cap) {
                memset(m, 0, sizeof *m);
                m->type = t;
                m->len = l;
                s->skip = l;
                s->st.msgs++;
                s->st.msgs_oversize++;
                return 1;
            }
            if (rc == 1 && c >= l) {
                ns_bgp_parse(s->buf, l, s->max_len, m, NULL);
                consume(s, l);
                s->st.msgs++;
                return 1;
            }
        }
        /* Stuck on what is missing.  Give up on a front hole whose
         * retransmission did not come in time (or at the end: force). */
        int expired =
            s->hole_since && now_ns >= s->hole_since && now_ns - s->hole_since >= s->hole_ns;
        int hole = s->n > 1 || (s->n == 1 && s->r[0].lo > 0);
        if (!(force || expired) || !hole) {
            if (force && s->n == 1 && s->r[0].lo == 0 && c > 0 && !s->skip) {
                /* the end: an incomplete message at the front is lost */
                s->st.skipped += c;
                consume(s, c);
                s->sync = 0;
            }
            return 0;
        }
        skip_hole(s);
        s->hole_since = s->n > 1 ? now_ns : 0; /* the next hole waits anew */
    }
}

int ns_stream_next(struct ns_stream *s, uint64_t now_ns, struct ns_bgp_msg *m)
{
    return next_msg(s, now_ns, 0, m);
}

int ns_stream_flush(struct ns_stream *s, struct ns_bgp_msg *m)
{
    return next_msg(s, 0, 1, m);
}
