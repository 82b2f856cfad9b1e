/*
 * cursor.h — bounds-checked view of packet bytes (private to src/pkt).
 *
 * Design
 * ------
 * A cursor is a window [base, base + len) into the caller's frame.  Every
 * read of packet bytes in the decoder goes through the accessors below, the
 * way tcpdump funnels reads through its GET_* macros: a read at or past the
 * end of the window returns 0 instead of touching memory.  The decoder still
 * asks ns_cur_has() before it relies on a field, because "not captured" must
 * turn into a malformed reason, not into a silent zero; the zero is the
 * safety net if a check is ever forgotten, never the intended path.
 *
 * Windows only shrink: ns_cur_advance() and ns_cur_clip() can never grow a
 * view past what the caller handed in, so a length field from the packet can
 * narrow the view (IP total length trims Ethernet padding) but never widen
 * it.  All functions are static inline and branch on a single compare, so the
 * checks cost little on the per-packet path.
 *
 * Ownership: a cursor borrows the frame; it holds no state worth freeing.
 * Multi-byte reads are network byte order (be) unless named le/he
 * (little-endian / host order, needed for NULL and NFLOG link headers).
 */
#ifndef NS_PKT_CURSOR_H
#define NS_PKT_CURSOR_H

#include <stdint.h>
#include <string.h>

struct ns_cur {
    const uint8_t *base;
    uint64_t len; /* 64-bit on purpose: no padding, so passing a cursor by
                     value right after ns_cur_advance() stored to it does not
                     stall on store forwarding (measured on x86-64) */
};

static inline struct ns_cur ns_cur_make(const uint8_t *base, uint32_t len)
{
    struct ns_cur c = {base, len};
    return c;
}

/* Whether n bytes starting at off lie inside the window (overflow-safe). */
static inline int ns_cur_has(const struct ns_cur *c, uint32_t off, uint32_t n)
{
    return off <= c->len && n <= c->len - off;
}

static inline uint8_t ns_cur_u8(const struct ns_cur *c, uint32_t off)
{
    return off < c->len ? c->base[off] : 0;
}

static inline uint16_t ns_cur_be16(const struct ns_cur *c, uint32_t off)
{
    if (!ns_cur_has(c, off, 2))
        return 0;
    return (uint16_t)((uint16_t)c->base[off] << 8 | c->base[off + 1]);
}

static inline uint32_t ns_cur_be32(const struct ns_cur *c, uint32_t off)
{
    if (!ns_cur_has(c, off, 4))
        return 0;
    const uint8_t *b = c->base + off;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline uint32_t ns_cur_le32(const struct ns_cur *c, uint32_t off)
{
    if (!ns_cur_has(c, off, 4))
        return 0;
    const uint8_t *b = c->base + off;
    return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

/* Host byte order: what libpcap hands back for NFLOG TLV headers. */
static inline uint16_t ns_cur_he16(const struct ns_cur *c, uint32_t off)
{
    uint16_t v = 0;
    if (ns_cur_has(c, off, 2))
        memcpy(&v, c->base + off, 2);
    return v;
}

/* Copy n bytes at off into dst; dst is zeroed when they are not all there. */
static inline void ns_cur_copy(const struct ns_cur *c, uint32_t off, void *dst, uint32_t n)
{
    if (ns_cur_has(c, off, n))
        memcpy(dst, c->base + off, n);
    else
        memset(dst, 0, n);
}

/* Drop the first n bytes (everything when n exceeds the window). */
static inline void ns_cur_advance(struct ns_cur *c, uint32_t n)
{
    uint64_t k = n < c->len ? n : c->len;
    if (k) {
        c->base += k;
        c->len -= k;
    }
}

/* Shrink the window to at most n bytes; never grows it. */
static inline void ns_cur_clip(struct ns_cur *c, uint32_t n)
{
    if (n < c->len)
        c->len = n;
}

/* Pointer to the first byte of the window, NULL when it is empty. */
static inline const uint8_t *ns_cur_ptr(const struct ns_cur *c)
{
    return c->len ? c->base : NULL;
}

#endif
