/*
 * pkt.h — the decoded view of one captured packet.
 *
 * Design
 * ------
 * The decoder walks a frame once, from the link layer to the transport
 * header, and fills a flat struct ns_pkt that the rest of netsift reads.
 * It never allocates and never reads a byte at or past `caplen`: every access
 * to packet bytes goes through the bounds-checked cursor in pkt/cursor.h.
 * Length fields inside the packet (IPv4 total length, IPv6 payload length,
 * UDP length, TCP data offset, extension header lengths) are treated as
 * claims, checked against each other and against what was captured.
 *
 * Malformed packets are not dropped silently: decoding stops at the first
 * inconsistency, `malformed` names the reason, and whatever was decoded
 * before it stays valid (a packet with a good IPv4 header and a broken TCP
 * header still has its addresses and is still counted in an IP flow).
 *
 * Ownership: `ns_pkt.payload` (and any other pointer in it) points into the
 * caller's frame buffer and is valid only as long as that buffer is.
 *
 * Addresses: `src`/`dst` hold 4 bytes for IPv4 (rest zero) or 16 for IPv6;
 * `ip_version` says which.
 *
 * Tunnels: by default the outer header is the flow (GRE, IP-in-IP, ...); the
 * decoder records what it saw of the encapsulation but does not descend.
 */
#ifndef NS_PKT_PKT_H
#define NS_PKT_PKT_H

#include <stdint.h>

/* Link types we decode (pcap LINKTYPE_ values). */
enum ns_linktype {
    NS_LINK_NULL = 0, /* BSD loopback, host-endian AF_ value */
    NS_LINK_ETHERNET = 1,
    NS_LINK_PPP = 9,
    NS_LINK_RAW = 101,  /* raw IPv4/IPv6, version from first nibble */
    NS_LINK_LOOP = 108, /* OpenBSD loopback, network-endian AF_ value */
    NS_LINK_LINUX_SLL = 113,
    NS_LINK_IPV4 = 228,
    NS_LINK_IPV6 = 229,
    NS_LINK_LINUX_SLL2 = 276,
    NS_LINK_NFLOG = 239,
    NS_LINK_DLT_RAW_BSD = 12, /* DLT_RAW on some BSDs; same as RAW */
    NS_LINK_DLT_RAW_OBSD = 14,
};

/*
 * Why a packet is malformed.  Decoding stops at the first reason found.
 * Keep in sync with ns_pkt_malformed_name().
 */
enum ns_malformed {
    NS_MAL_NONE = 0,
    NS_MAL_LINKTYPE,    /* link type not decoded: counted, no IP */
    NS_MAL_L2_TRUNC,    /* link header shorter than needed */
    NS_MAL_VLAN_TRUNC,  /* 802.1Q/802.1ad tag cut short */
    NS_MAL_MPLS_TRUNC,  /* label stack cut short or never ends */
    NS_MAL_PPPOE,       /* PPPoE header cut short or inconsistent */
    NS_MAL_IP4_TRUNC,   /* fewer than 20 bytes of IPv4 header captured */
    NS_MAL_IP4_HLEN,    /* IHL < 5 or header beyond total length */
    NS_MAL_IP4_TOTLEN,  /* total length < header length */
    NS_MAL_IP4_OPTIONS, /* option list malformed */
    NS_MAL_IP6_TRUNC,   /* fewer than 40 bytes of IPv6 header captured */
    NS_MAL_IP6_EXT,     /* extension header chain cut short or inconsistent */
    NS_MAL_IP_VERSION,  /* version nibble not 4/6 where IP was expected */
    NS_MAL_TCP_TRUNC,   /* TCP header cut short by capture */
    NS_MAL_TCP_HLEN,    /* data offset < 5 or beyond IP payload */
    NS_MAL_TCP_OPTIONS, /* option list malformed */
    NS_MAL_UDP_TRUNC,
    NS_MAL_UDP_LEN, /* UDP length < 8 or > IP payload */
    NS_MAL_ICMP_TRUNC,
    NS_MAL_SCTP_TRUNC,
    NS_MAL_ESP_TRUNC,
    NS_MAL_AH_TRUNC,
    NS_MAL_GRE_TRUNC,
    NS_MAL_L4_TRUNC, /* other transport header cut short */
    NS_MAL__COUNT
};

const char *ns_pkt_malformed_name(enum ns_malformed m);

/* Bits in ns_pkt.flags */
#define NS_PKT_F_IP             0x0001u /* src/dst/proto/ip_len valid */
#define NS_PKT_F_L4             0x0002u /* ports (or ICMP type/code, SPI) valid */
#define NS_PKT_F_FRAG           0x0004u /* packet is an IP fragment */
#define NS_PKT_F_FRAG_FIRST     0x0008u /* ... and it is the first (offset 0) */
#define NS_PKT_F_FRAG_MORE      0x0010u /* ... more fragments follow (MF) */
#define NS_PKT_F_TCP_OPT_MSS    0x0020u
#define NS_PKT_F_TCP_OPT_WS     0x0040u
#define NS_PKT_F_TCP_OPT_SACKOK 0x0080u
#define NS_PKT_F_TCP_OPT_TS     0x0100u
#define NS_PKT_F_TCP_OPT_SACK   0x0200u
#define NS_PKT_F_IP4_OPTIONS    0x0400u /* IPv4 header carried options */
#define NS_PKT_F_IP_TRUNC       0x0800u /* IP length claims more than captured (snaplen) */
#define NS_PKT_F_TUNNEL         0x1000u /* outer header encapsulates another (GRE, IPIP, ...) */
#define NS_PKT_F_AH             0x2000u /* IPsec AH seen in the chain */

#define NS_PKT_MAX_VLANS 4 /* tags recorded; more are skipped but counted */

struct ns_pkt {
    /* Field order is for the probe's two threads: the reading thread fills
     * a batch of these and the metering thread reads them from the other
     * core, so what the meter reads for every packet (times, lengths, IP
     * and transport header fields) sits in the first two cache lines, and
     * what only decoding, selection and reports use (addresses, which the
     * meter gets as a prepared flow key, MACs, MPLS, fragments, tunnels)
     * follows. */

    /* --- capture metadata (filled by the caller before decode) --- */
    uint64_t ts_ns;   /* timestamp, ns since the epoch */
    uint32_t caplen;  /* bytes captured */
    uint32_t wirelen; /* bytes on the wire (layer-2 octets) */
    uint32_t ifindex; /* pcapng interface id, 0 otherwise */

    /* --- decode results --- */
    uint32_t flags;              /* NS_PKT_F_* */
    enum ns_malformed malformed; /* NS_MAL_NONE when fully decoded */

    /* IP (valid with NS_PKT_F_IP) */
    uint8_t ip_version; /* 4 or 6 */
    uint8_t proto;      /* final upper-layer protocol after extension headers */
    uint8_t ttl;        /* IPv4 TTL / IPv6 hop limit */
    uint8_t tos;        /* IPv4 TOS / IPv6 traffic class */
    uint32_t ip_len;    /* IP octets this packet counts for: total length from the
                           header (v4: total length; v6: 40 + payload length),
                           or the captured length where the header cannot be
                           trusted (v4 total length 0 with TSO/BIG TCP) */

    /* Transport (valid with NS_PKT_F_L4) */
    uint16_t sport, dport;        /* TCP/UDP/SCTP/DCCP ports */
    uint8_t icmp_type, icmp_code; /* ICMP / ICMPv6 */
    uint8_t tcp_flags; /* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 ECE 0x40 CWR 0x80 */
    uint8_t tcp_ae;    /* the AE/NS bit (AccECN), 0 or 1 */
    uint32_t l4_payload_len; /* payload length the headers claim (TCP/UDP
                                data octets), independent of caplen */
    uint32_t payload_caplen; /* payload bytes actually captured */
    const uint8_t *payload;  /* first captured payload byte, or NULL */

    /* TCP (proto 6, NS_PKT_F_L4) */
    uint32_t tcp_seq, tcp_ack;
    uint16_t tcp_win;              /* raw window field (unscaled) */
    uint16_t tcp_mss;              /* MSS option (NS_PKT_F_TCP_OPT_MSS) */
    uint8_t tcp_wscale;            /* window-scale shift (NS_PKT_F_TCP_OPT_WS) */
    uint8_t vlan_count;            /* total tags seen (may exceed NS_PKT_MAX_VLANS) */
    uint16_t ethertype;            /* innermost L2 ethertype (0x0800, 0x86dd, ...) */
    uint32_t tcp_tsval, tcp_tsecr; /* timestamps option (NS_PKT_F_TCP_OPT_TS) */

    /* IPsec ESP (proto 50): SPI and RFC 4303 sequence number */
    uint32_t esp_spi, esp_seq;

    /* --- below: rarely or never read by the meter --- */
    uint16_t vlan[NS_PKT_MAX_VLANS]; /* 12-bit VIDs, outermost first */
    uint8_t src_mac[6], dst_mac[6];  /* zero when the link has none */
    uint8_t src[16], dst[16];        /* IP addresses (IPv4: first 4 bytes) */
    uint32_t ip_hdr_len;             /* bytes from IP header start to the upper-layer header */
    uint32_t flow_label;             /* IPv6 flow label */
    uint16_t l3_off;                 /* offset of the IP header in the frame (with
                                        NS_PKT_F_IP; 0xffff: beyond 64 KiB), so
                                        selection can read raw header bytes */
    uint16_t pppoe_session;          /* PPPoE session id when present */
    uint8_t mpls_count;              /* labels in the stack */
    uint32_t mpls_top;               /* top label entry (20-bit label << 12 | tc | s | ttl) */

    /* Fragments (valid with NS_PKT_F_FRAG) */
    uint32_t frag_id;  /* IPv4 identification or IPv6 fragment id */
    uint32_t frag_off; /* offset of this fragment's data, in bytes */

    /* GRE (proto 47): protocol type of the payload, key if present */
    uint16_t gre_proto;
    uint32_t gre_key;
    /* SCTP (proto 132): verification tag */
    uint32_t sctp_vtag;
};

/*
 * Decode the frame `data` of `p->caplen` bytes captured on a link of type
 * `linktype`.  The caller fills ts_ns, caplen, wirelen (and ifindex) first;
 * everything else is reset and filled here.
 *
 * Returns 0 when the packet decoded fully, 1 when it is malformed (see
 * p->malformed; partial results stay valid) or not IP.  Never fails otherwise.
 */
int ns_pkt_decode(struct ns_pkt *p, int linktype, const uint8_t *data);

/* The same without the fast path for common Ethernet/IP/TCP-UDP packets
 * (fast.c): for tests that hold the two to the same result. */
int ns_pkt_decode_general(struct ns_pkt *p, int linktype, const uint8_t *data);

/* Whether the decoder knows this link type at all. */
int ns_pkt_linktype_supported(int linktype);

#endif
