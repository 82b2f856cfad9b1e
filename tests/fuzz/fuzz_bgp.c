/*
 * fuzz_bgp.c — libFuzzer target for the BGP parser and the stream
 * reassembly in front of it.
 *
 * The input is parsed twice: as one message (ns_bgp_parse on a heap copy of
 * exactly its size, so ASan flags any read past the end), and as a TCP
 * stream cut into segments whose sizes, order and sequence offsets come
 * from the first bytes (ns_stream_segment / ns_stream_next / flush).
 * Invariants: a parsed message's length is within the header rules and
 * never beyond the input; the malformed reason is in range; the shutdown
 * text length fits its buffer and is NUL-terminated; the stream hands out
 * no more message octets than it was given new octets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bgp/bgp.h"
#include "cullmon/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct ns_bgp_msg *m)
{
    if ((unsigned)m->malformed >= NS_BGP_MAL__COUNT)
        abort();
    if (m->type == NS_BGP_NOTIFICATION && m->u.notif.has_text &&
        strlen(m->u.notif.text) > m->u.notif.text_len)
        abort();
    if (m->type == NS_BGP_OPEN && m->u.open.n_afisafi > NS_BGP_MAX_AFISAFI)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4 || size > 0x20000)
        return 0;
    uint8_t *copy = malloc(size);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    struct ns_bgp_msg m;
    int rc =
        ns_bgp_parse(copy, size, (data[0] & 1) ? NS_BGP_EXT_MAX_LEN : NS_BGP_MAX_LEN, &m, NULL);
    if (rc == 0) {
        if (m.len > size || m.len < NS_BGP_HDR_LEN)
            abort();
        check(&m);
    }

    struct ns_stream s;
    if (ns_stream_init(&s, 4096u + (data[1] & 3u) * 4096u, 1000, NULL) < 0) {
        free(copy);
        return 0;
    }
    if (data[2] & 1)
        ns_stream_syn(&s, 0xfffffff0u);
    uint32_t seq = 0xfffffff1u;
    uint64_t now = 1, given = 0, out = 0;
    size_t off = 4, k = 0;
    while (off < size) {
        size_t seg = 1 + (size_t)data[3 + (k % 1)] % 97 + (k * 31) % 200;
        if (seg > size - off)
            seg = size - off;
        /* every third segment goes out late (after the next one), every
         * fifth is sent twice */
        uint32_t o = (uint32_t)(off - 4);
        given += ns_stream_segment(&s, now, seq + o, copy + off, (uint32_t)seg);
        if (k % 5 == 0)
            ns_stream_segment(&s, now, seq + o, copy + off, (uint32_t)seg);
        while (ns_stream_next(&s, now, &m) == 1) {
            check(&m);
            out += m.len;
        }
        now += (k % 7 == 0) ? 2000 : 10;
        off += seg;
        k++;
    }
    while (ns_stream_flush(&s, &m) == 1) {
        check(&m);
        out += m.len;
    }
    /* oversized messages are counted by their header length */
    if (s.st.msgs_oversize == 0 && out > given)
        abort();
    ns_stream_free(&s);
    free(copy);
    return 0;
}
