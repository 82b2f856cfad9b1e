/*
 * stream.h — one direction of a TCP connection reassembled into BGP messages.
 *
 * Design
 * ------
 * A BGP speaker writes messages into a TCP byte stream; a capture sees that
 * stream cut into segments, some of them twice (retransmissions), some out of
 * order, some never (capture loss, or a filter that drops them), and a
 * message may span segments.  struct ns_stream keeps a window of `cap`
 * octets starting at sequence number `base` (the next octet not yet handed
 * out as part of a message) and a short sorted list of the ranges of that
 * window it holds.  A segment is placed by its sequence number relative to
 * `base` (serial arithmetic, RFC 1982 style, so wrap-around is harmless):
 * what lies before `base` was delivered already (a retransmission) and is
 * ignored, what lies inside the window is copied in, overlaps are counted
 * once.  ns_stream_next() hands out whole messages from the contiguous front
 * of the window.
 *
 * Bounds: memory is `cap` octets per direction, fixed at init, and at most
 * NS_STREAM_RANGES separate ranges (a segment that would need more is dropped
 * and counted; its sender will retransmit it).  A message longer than the
 * window (RFC 8654 extended messages up to 65535 octets) is reported from its
 * header alone and its body skipped as it arrives, never buffered.  A hole at
 * the front that is not filled within `hole_ns` of stream time (capture loss:
 * the retransmission never came) is given up on: the stream jumps to the
 * next octet it holds and resynchronises on the next BGP marker, the way it
 * does when a capture begins mid-connection (no SYN seen).  Data ahead of the
 * window by more than NS_STREAM_JUMP octets is taken as a new incarnation.
 *
 * Ownership: the stream owns its buffer (ns_stream_init / ns_stream_free);
 * nothing is allocated after init.  Errors: init returns NS_ENOMEM; the
 * other calls cannot fail (malformed input is counted, never fatal).
 */
#ifndef NS_CULLMON_STREAM_H
#define NS_CULLMON_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "bgp/bgp.h"
#include "util/err.h"

#define NS_STREAM_RANGES      8
#define NS_STREAM_DEFAULT_CAP 16384
#define NS_STREAM_JUMP        (1u << 24)

struct ns_stream_stats {
    uint64_t bytes_new;     /* octets seen for the first time */
    uint64_t bytes_dup;     /* octets seen again (retransmissions, overlaps) */
    uint64_t segs_ooo;      /* segments that arrived ahead of a hole */
    uint64_t segs_dropped;  /* segments that did not fit the range list */
    uint64_t gaps;          /* holes given up on (octets never seen) */
    uint64_t resyncs;       /* times the stream searched for a marker */
    uint64_t skipped;       /* octets discarded while resynchronising */
    uint64_t msgs;          /* messages handed out */
    uint64_t msgs_oversize; /* of which longer than the window (body skipped) */
};

struct ns_stream {
    uint8_t *buf;
    uint32_t cap;
    uint32_t base;   /* sequence number of buf[0] */
    uint8_t started; /* base is known */
    uint8_t sync;    /* buf[0] is a message boundary */
    uint8_t n;       /* ranges held */
    struct {
        uint32_t lo, hi; /* [lo, hi) offsets from base */
    } r[NS_STREAM_RANGES];
    uint32_t skip;       /* octets of an oversized message still to discard */
    uint32_t max_len;    /* largest message length accepted (4096 or 65535) */
    uint64_t hole_ns;    /* give up on a front hole after this much time */
    uint64_t hole_since; /* when data first waited behind a hole, 0 = none */
    struct ns_stream_stats st;
};

int ns_stream_init(struct ns_stream *s, uint32_t cap, uint64_t hole_ns, struct ns_error *err);
void ns_stream_free(struct ns_stream *s);

/* Forget everything (keeps the buffer); a SYN with sequence number `isn`
 * starts the stream at isn + 1 in step with message boundaries. */
void ns_stream_reset(struct ns_stream *s);
void ns_stream_syn(struct ns_stream *s, uint32_t isn);

/* Add a segment's payload.  Returns the number of octets that were new. */
uint32_t ns_stream_segment(struct ns_stream *s, uint64_t now_ns, uint32_t seq, const uint8_t *data,
                           uint32_t len);

/*
 * The next whole message, parsed into *m; 1 when there was one, 0 when more
 * octets are needed.  Oversized messages come out with only type and len
 * filled.  `now_ns` drives the give-up on holes.
 */
int ns_stream_next(struct ns_stream *s, uint64_t now_ns, struct ns_bgp_msg *m);

/* Like ns_stream_next() at the end of the input: holes are given up on at
 * once, so whatever whole messages lie behind them come out.  Call until
 * it returns 0. */
int ns_stream_flush(struct ns_stream *s, struct ns_bgp_msg *m);

#endif
