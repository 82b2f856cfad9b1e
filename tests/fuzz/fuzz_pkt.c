/*
 * fuzz_pkt.c — libFuzzer target for ns_pkt_decode.
 *
 * The first input byte picks the link type from the supported list, the
 * rest is the frame, copied into a heap block of exactly its size so ASan
 * flags any read past caplen.  Besides memory safety it checks the
 * invariants callers rely on: the payload view lies inside the frame, the
 * return value agrees with malformed/NS_PKT_F_IP, decoding is
 * deterministic whatever the struct held before, and the fast path for
 * common Ethernet frames (pkt/fast.c) gives what the general decoder gives.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkt/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int links[] = {
    NS_LINK_NULL, NS_LINK_ETHERNET,    NS_LINK_PPP,
    NS_LINK_RAW,  NS_LINK_DLT_RAW_BSD, NS_LINK_DLT_RAW_OBSD,
    NS_LINK_LOOP, NS_LINK_LINUX_SLL,   NS_LINK_IPV4,
    NS_LINK_IPV6, NS_LINK_LINUX_SLL2,  NS_LINK_NFLOG,
    104,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 0x10000)
        return 0;
    int lt = links[data[0] % (sizeof links / sizeof links[0])];
    size_t len = size - 1;
    uint8_t *frame = malloc(len ? len : 1);
    if (!frame)
        return 0;
    memcpy(frame, data + 1, len);

    struct ns_pkt a, b;
    memset(&a, 0x00, sizeof a);
    memset(&b, 0xff, sizeof b);
    a.ts_ns = b.ts_ns = 0;
    a.caplen = b.caplen = (uint32_t)len;
    /* odd first bytes also exercise the snaplen paths (wire > caplen) */
    a.wirelen = b.wirelen = (uint32_t)len + ((data[0] & 0x80) ? 70000u : 0u);
    a.ifindex = b.ifindex = 0;
    int ra = ns_pkt_decode(&a, lt, frame);
    int rb = ns_pkt_decode(&b, lt, frame);

    if (ra != rb || memcmp(&a, &b, sizeof a) != 0)
        abort();
    struct ns_pkt g;
    memset(&g, 0x5a, sizeof g);
    g.ts_ns = 0;
    g.caplen = a.caplen;
    g.wirelen = a.wirelen;
    g.ifindex = 0;
    if (ns_pkt_decode_general(&g, lt, frame) != ra || memcmp(&a, &g, sizeof a) != 0)
        abort();
    if (ra != (a.malformed != NS_MAL_NONE || !(a.flags & NS_PKT_F_IP)))
        abort();
    if ((unsigned)a.malformed >= NS_MAL__COUNT)
        abort();
    if (a.payload) {
        if (a.payload < frame || a.payload + a.payload_caplen > frame + len)
            abort();
    } else if (a.payload_caplen) {
        abort();
    }
    if ((a.flags & NS_PKT_F_IP) && a.ip_version != 4 && a.ip_version != 6)
        abort();
    free(frame);
    return 0;
}
