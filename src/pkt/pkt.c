/*
 * pkt.c — decoder entry point, link-type table and malformed-reason names.
 *
 * The results are cleared with fixed-size memsets of the part of
 * struct ns_pkt after the capture metadata (a dozen vector stores), which is
 * cheaper than tracking which of ~40 fields a previous packet touched, and
 * it is what makes every field deterministic whatever path the decoder
 * takes.
 */
#include "pkt/decode.h"

#include <stddef.h>
#include <string.h>

static const char *const mal_names[NS_MAL__COUNT] = {
    [NS_MAL_NONE] = "none",
    [NS_MAL_LINKTYPE] = "linktype",
    [NS_MAL_L2_TRUNC] = "l2_trunc",
    [NS_MAL_VLAN_TRUNC] = "vlan_trunc",
    [NS_MAL_MPLS_TRUNC] = "mpls_trunc",
    [NS_MAL_PPPOE] = "pppoe",
    [NS_MAL_IP4_TRUNC] = "ip4_trunc",
    [NS_MAL_IP4_HLEN] = "ip4_hlen",
    [NS_MAL_IP4_TOTLEN] = "ip4_totlen",
    [NS_MAL_IP4_OPTIONS] = "ip4_options",
    [NS_MAL_IP6_TRUNC] = "ip6_trunc",
    [NS_MAL_IP6_EXT] = "ip6_ext",
    [NS_MAL_IP_VERSION] = "ip_version",
    [NS_MAL_TCP_TRUNC] = "tcp_trunc",
    [NS_MAL_TCP_HLEN] = "tcp_hlen",
    [NS_MAL_TCP_OPTIONS] = "tcp_options",
    [NS_MAL_UDP_TRUNC] = "udp_trunc",
    [NS_MAL_UDP_LEN] = "udp_len",
    [NS_MAL_ICMP_TRUNC] = "icmp_trunc",
    [NS_MAL_SCTP_TRUNC] = "sctp_trunc",
    [NS_MAL_ESP_TRUNC] = "esp_trunc",
    [NS_MAL_AH_TRUNC] = "ah_trunc",
    [NS_MAL_GRE_TRUNC] = "gre_trunc",
    [NS_MAL_L4_TRUNC] = "l4_trunc",
};

const char *ns_pkt_malformed_name(enum ns_malformed m)
{
    if ((unsigned)m >= NS_MAL__COUNT || !mal_names[m])
        return "unknown";
    return mal_names[m];
}

int ns_pkt_linktype_supported(int linktype)
{
    switch (linktype) {
    case NS_LINK_NULL:
    case NS_LINK_ETHERNET:
    case NS_LINK_PPP:
    case NS_LINK_RAW:
    case NS_LINK_DLT_RAW_BSD:
    case NS_LINK_DLT_RAW_OBSD:
    case NS_LINK_LOOP:
    case NS_LINK_LINUX_SLL:
    case NS_LINK_LINUX_SLL2:
    case NS_LINK_IPV4:
    case NS_LINK_IPV6:
    case NS_LINK_NFLOG:
    case 104: /* LINKTYPE_C_HDLC: Cisco HDLC, same framing PPP links may carry */
        return 1;
    default:
        return 0;
    }
}

/* Clear everything after the capture metadata. */
static void clear_results(struct ns_pkt *p)
{
    /* Clear in 64-byte chunks: one memset of the whole ~170 bytes becomes
     * `rep stos` on x86-64 (measured: ~20% of the decode time), chunks
     * become plain vector stores. */
    enum { KEEP = offsetof(struct ns_pkt, flags), N = sizeof(struct ns_pkt) - KEEP };
    _Static_assert(N > 128 && N <= 192, "adjust the chunked clear to struct ns_pkt");
    unsigned char *r = (unsigned char *)p + KEEP;
    memset(r, 0, 64);
    memset(r + 64, 0, 64);
    memset(r + 128, 0, N - 128);
}

/* Every link type, every layer (link.c onwards). */
static int decode_general(struct ns_pkt *p, int linktype, const uint8_t *data)
{
    struct ns_cur c = ns_cur_make(data, data ? p->caplen : 0);
    uint16_t et = ns_pkt_link(p, linktype, &c);
    size_t l3 = data ? (size_t)(c.base - data) : 0;
    p->l3_off = (uint16_t)(l3 < 0xffff ? l3 : 0xffff);
    switch (et) {
    case NS_ETH_IP4:
        ns_pkt_ip4(p, c);
        break;
    case NS_ETH_IP6:
        ns_pkt_ip6(p, c);
        break;
    default:
        break;
    }
    return (p->malformed != NS_MAL_NONE || !(p->flags & NS_PKT_F_IP)) ? 1 : 0;
}

int ns_pkt_decode(struct ns_pkt *p, int linktype, const uint8_t *data)
{
    clear_results(p);
    if (linktype == NS_LINK_ETHERNET && data && ns_pkt_fast_eth(p, data))
        return p->malformed != NS_MAL_NONE ? 1 : 0;
    return decode_general(p, linktype, data);
}

int ns_pkt_decode_general(struct ns_pkt *p, int linktype, const uint8_t *data)
{
    clear_results(p);
    return decode_general(p, linktype, data);
}
