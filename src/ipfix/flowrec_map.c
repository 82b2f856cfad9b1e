#include "ipfix/flowrec_map.h"

#include <stddef.h>

#include "ipfix/ie.h"
#include "ipfix/ns_ie.h"
#include "record/record.h"

#define R(f)  (uint16_t) offsetof(struct ns_record, f)
#define D(f)  (uint16_t)(offsetof(struct ns_record, dir) + offsetof(struct ns_record_dir, f))
#define W(f)  (uint8_t)sizeof(((struct ns_record *)0)->f)
#define WD(f) (uint8_t)sizeof(((struct ns_record_dir *)0)->f)

/* IANA field of the record / of direction 0. */
#define IANA(id, len, grp, off, op, w, cond, prio) {0, id, len, grp, off, op, w, cond, 0, prio},
#define IANA_DIR(id, len, grp, off, op, w, prio)   {0, id, len, grp, off, op, w, NS_FC_ALL, 1, prio},
#define IN_DIR(id, len, grp, off, op, w, prio)     {0, id, len, grp, off, op, w, NS_FC_INPUT, 1, prio},
#define ENT(id, len, grp, off, op, w)              {NS_PEN, id, len, grp, off, op, w, NS_FC_ALL, 0, 2},
#define ENT_DIR(id, len, grp, off, op, w)          {NS_PEN, id, len, grp, off, op, w, NS_FC_ALL, 1, 2},

/* Order = order in netsift templates.  Priorities: 2 for what netsift
 * writes; decode-only alternatives get 1 (totals) or their time
 * resolution (s 1, delta-µs 1, ms 2, µs 3, ns 4). */
/* clang-format off */
const struct ns_fr_desc ns_fr_table[] = {
    /* always present */
    IANA(148, 8, 0, R(flow_id), NS_FR_UINT, W(flow_id), NS_FC_ALL, 2)          /* flowId */
    IANA(136, 1, 0, R(end_reason), NS_FR_UINT, W(end_reason), NS_FC_ALL, 2)    /* flowEndReason */
    IANA(239, 1, 0, R(syn_seen), NS_FR_BIDIR, W(syn_seen), NS_FC_ALL, 2)       /* biflowDirection */
    /* NS_RG_KEY */
    IANA(8, 4, NS_RG_KEY, R(saddr), NS_FR_ADDR4, 4, NS_FC_V4, 2)               /* sourceIPv4Address */
    IANA(12, 4, NS_RG_KEY, R(daddr), NS_FR_ADDR4, 4, NS_FC_V4, 2)              /* destinationIPv4Address */
    IANA(27, 16, NS_RG_KEY, R(saddr), NS_FR_ADDR6, 16, NS_FC_V6, 2)            /* sourceIPv6Address */
    IANA(28, 16, NS_RG_KEY, R(daddr), NS_FR_ADDR6, 16, NS_FC_V6, 2)            /* destinationIPv6Address */
    IANA(4, 1, NS_RG_KEY, R(proto), NS_FR_UINT, W(proto), NS_FC_ALL, 2)        /* protocolIdentifier */
    IANA(7, 2, NS_RG_KEY, R(sport), NS_FR_UINT, W(sport), NS_FC_PORTS, 2)      /* sourceTransportPort */
    IANA(11, 2, NS_RG_KEY, R(dport), NS_FR_UINT, W(dport), NS_FC_PORTS, 2)     /* destinationTransportPort */
    IANA(32, 2, NS_RG_KEY, R(icmp_type), NS_FR_ICMP, 2, NS_FC_ICMP4, 2)        /* icmpTypeCodeIPv4 */
    IANA(139, 2, NS_RG_KEY, R(icmp_type), NS_FR_ICMP, 2, NS_FC_ICMP6, 2)       /* icmpTypeCodeIPv6 */
    IANA(58, 2, NS_RG_KEY, R(vlan), NS_FR_UINT, W(vlan), NS_FC_VLAN, 2)        /* vlanId */
    IANA(9, 1, NS_RG_KEY, R(sprefix), NS_FR_UINT, 1, NS_FC_SPFX4, 2)            /* sourceIPv4PrefixLength */
    IANA(13, 1, NS_RG_KEY, R(dprefix), NS_FR_UINT, 1, NS_FC_DPFX4, 2)           /* destinationIPv4PrefixLength */
    IANA(29, 1, NS_RG_KEY, R(sprefix), NS_FR_UINT, 1, NS_FC_SPFX6, 2)           /* sourceIPv6PrefixLength */
    IANA(30, 1, NS_RG_KEY, R(dprefix), NS_FR_UINT, 1, NS_FC_DPFX6, 2)           /* destinationIPv6PrefixLength */
    IANA(60, 1, NS_RG_KEY, R(ip_version), NS_FR_UINT, 1, NS_FC_IPVER, 2)        /* ipVersion */
    /* NS_RG_COUNT */
    IANA_DIR(2, 8, NS_RG_COUNT, D(pkts), NS_FR_UINT, WD(pkts), 2)              /* packetDeltaCount */
    IANA_DIR(1, 8, NS_RG_COUNT, D(octets), NS_FR_UINT, WD(octets), 2)          /* octetDeltaCount */
    IANA_DIR(352, 8, NS_RG_COUNT, D(l2_octets), NS_FR_UINT, WD(l2_octets), 2)  /* layer2OctetDeltaCount */
    /* NS_RG_TIME */
    IANA_DIR(156, 8, NS_RG_TIME, D(first_ns), NS_FR_NTP, 8, 4)                 /* flowStartNanoseconds */
    IANA_DIR(157, 8, NS_RG_TIME, D(last_ns), NS_FR_NTP, 8, 4)                  /* flowEndNanoseconds */
    /* NS_RG_IP */
    IANA_DIR(52, 1, NS_RG_IP, D(ttl_min), NS_FR_UINT, WD(ttl_min), 2)          /* minimumTTL */
    IANA_DIR(53, 1, NS_RG_IP, D(ttl_max), NS_FR_UINT, WD(ttl_max), 2)          /* maximumTTL */
    IANA_DIR(5, 1, NS_RG_IP, D(tos), NS_FR_UINT, WD(tos), 2)                   /* ipClassOfService */
    /* NS_RG_TCP */
    IANA_DIR(6, 2, NS_RG_TCP, D(tcp_flags), NS_FR_UINT, WD(tcp_flags), 2)      /* tcpControlBits (RFC 7125: 16 bits) */
    ENT_DIR(NS_IE_INITIAL_TCP_FLAGS, 1, NS_RG_TCP, D(tcp_init_flags), NS_FR_UINT, WD(tcp_init_flags))
    ENT_DIR(NS_IE_TCP_MSS, 2, NS_RG_TCP, D(tcp_mss), NS_FR_UINT, WD(tcp_mss))
    IANA_DIR(238, 1, NS_RG_TCP, D(tcp_wscale), NS_FR_UINT, WD(tcp_wscale), 2)  /* tcpWindowScale, reduced size */
    ENT_DIR(NS_IE_TCP_WINDOW_MIN, 2, NS_RG_TCP, D(tcp_win_min), NS_FR_UINT, WD(tcp_win_min))
    ENT_DIR(NS_IE_TCP_WINDOW_MAX, 2, NS_RG_TCP, D(tcp_win_max), NS_FR_UINT, WD(tcp_win_max))
    /* NS_RG_LOSS */
    ENT(NS_IE_LOSS_SOURCE, 1, NS_RG_LOSS, R(loss_source), NS_FR_UINT, W(loss_source))
    ENT_DIR(NS_IE_LOSS_PACKETS, 8, NS_RG_LOSS, D(loss_pkts), NS_FR_SINT, WD(loss_pkts))
    ENT_DIR(NS_IE_GAP_OCTETS, 8, NS_RG_LOSS, D(gap_octets), NS_FR_SINT, WD(gap_octets))
    ENT_DIR(NS_IE_RETRANS_PACKETS, 8, NS_RG_LOSS, D(retrans_pkts), NS_FR_UINT, WD(retrans_pkts))
    ENT_DIR(NS_IE_RETRANS_OCTETS, 8, NS_RG_LOSS, D(retrans_octets), NS_FR_UINT, WD(retrans_octets))
    ENT_DIR(NS_IE_OOO_PACKETS, 8, NS_RG_LOSS, D(ooo_pkts), NS_FR_UINT, WD(ooo_pkts))
    ENT_DIR(NS_IE_DUP_PACKETS, 8, NS_RG_LOSS, D(dup_pkts), NS_FR_UINT, WD(dup_pkts))
    /* NS_RG_RTT */
    ENT(NS_IE_SYNACK_US, 4, NS_RG_RTT, R(synack_us), NS_FR_UINT, W(synack_us))
    ENT(NS_IE_ACKDATA_US, 4, NS_RG_RTT, R(ackdat_us), NS_FR_UINT, W(ackdat_us))
    /* NS_RG_JIT */
    ENT_DIR(NS_IE_JITTER_SAMPLES, 8, NS_RG_JIT, D(jit_n), NS_FR_UINT, WD(jit_n))
    ENT_DIR(NS_IE_JITTER_MEAN_US, 8, NS_RG_JIT, D(jit_mean_us), NS_FR_FLOAT, 8)
    ENT_DIR(NS_IE_JITTER_STDDEV_US, 8, NS_RG_JIT, D(jit_stddev_us), NS_FR_FLOAT, 8)
    /* NS_RG_MAC */
    IANA(56, 6, NS_RG_MAC, R(smac), NS_FR_BYTES, 6, NS_FC_ALL, 2)              /* sourceMacAddress */
    IANA(80, 6, NS_RG_MAC, R(dmac), NS_FR_BYTES, 6, NS_FC_ALL, 2)              /* destinationMacAddress */
    /* NS_RG_ESP */
    IANA_DIR(295, 4, NS_RG_ESP, D(esp_spi), NS_FR_UINT, WD(esp_spi), 2)        /* IPSecSPI */
    /* NS_RG_AGG */
    IANA(377, 8, NS_RG_AGG, R(agg_flows), NS_FR_UINT, W(agg_flows), NS_FC_ALL, 2) /* originalFlowsCompleted */
    ENT(NS_IE_AGG_RECORDS, 8, NS_RG_AGG, R(agg_records), NS_FR_UINT, W(agg_records))
    /* NS_RG_SAMP */
    IANA(311, 8, NS_RG_SAMP, R(samp_frac), NS_FR_FLOAT, 8, NS_FC_ALL, 2)        /* samplingProbability */

    /* decode-only: same meaning from other exporters */
    IN_DIR(86, 8, NS_RG_COUNT, D(pkts), NS_FR_UINT, WD(pkts), 1)             /* packetTotalCount */
    IN_DIR(85, 8, NS_RG_COUNT, D(octets), NS_FR_UINT, WD(octets), 1)         /* octetTotalCount */
    IN_DIR(353, 8, NS_RG_COUNT, D(l2_octets), NS_FR_UINT, WD(l2_octets), 1)  /* layer2OctetTotalCount */
    IN_DIR(150, 4, NS_RG_TIME, D(first_ns), NS_FR_SEC, 8, 1)                 /* flowStartSeconds */
    IN_DIR(151, 4, NS_RG_TIME, D(last_ns), NS_FR_SEC, 8, 1)                  /* flowEndSeconds */
    IN_DIR(152, 8, NS_RG_TIME, D(first_ns), NS_FR_MS, 8, 2)                  /* flowStartMilliseconds */
    IN_DIR(153, 8, NS_RG_TIME, D(last_ns), NS_FR_MS, 8, 2)                   /* flowEndMilliseconds */
    IN_DIR(154, 8, NS_RG_TIME, D(first_ns), NS_FR_NTP_US, 8, 3)              /* flowStartMicroseconds */
    IN_DIR(155, 8, NS_RG_TIME, D(last_ns), NS_FR_NTP_US, 8, 3)               /* flowEndMicroseconds */
    IN_DIR(158, 4, NS_RG_TIME, D(first_ns), NS_FR_DELTA_US, 8, 1)            /* flowStartDeltaMicroseconds */
    IN_DIR(159, 4, NS_RG_TIME, D(last_ns), NS_FR_DELTA_US, 8, 1)             /* flowEndDeltaMicroseconds */
    IANA(176, 1, NS_RG_KEY, R(icmp_type), NS_FR_UINT, 1, NS_FC_INPUT, 1)       /* icmpTypeIPv4 */
    IANA(177, 1, NS_RG_KEY, R(icmp_code), NS_FR_UINT, 1, NS_FC_INPUT, 1)       /* icmpCodeIPv4 */
    IANA(178, 1, NS_RG_KEY, R(icmp_type), NS_FR_UINT, 1, NS_FC_INPUT, 1)       /* icmpTypeIPv6 */
    IANA(179, 1, NS_RG_KEY, R(icmp_code), NS_FR_UINT, 1, NS_FC_INPUT, 1)       /* icmpCodeIPv6 */
    IANA(243, 2, NS_RG_KEY, R(vlan), NS_FR_UINT, W(vlan), NS_FC_INPUT, 1)      /* dot1qVlanId */
    IANA(34, 4, NS_RG_SAMP, R(samp_pop), NS_FR_UINT, 4, NS_FC_INPUT, 1)         /* samplingInterval: 1 in N */
    IANA(305, 4, NS_RG_SAMP, R(samp_n), NS_FR_UINT, 4, NS_FC_INPUT, 1)          /* samplingPacketInterval */
    IANA(306, 4, NS_RG_SAMP, R(samp_space), NS_FR_UINT, 4, NS_FC_INPUT, 1)      /* samplingPacketSpace */
    IANA(309, 4, NS_RG_SAMP, R(samp_n), NS_FR_UINT, 4, NS_FC_INPUT, 1)          /* samplingSize */
    IANA(310, 4, NS_RG_SAMP, R(samp_pop), NS_FR_UINT, 4, NS_FC_INPUT, 1)        /* samplingPopulation */
};
/* clang-format on */

const size_t ns_fr_table_len = sizeof ns_fr_table / sizeof ns_fr_table[0];

void ns_fr_reverse(const struct ns_fr_desc *d, uint32_t *pen, uint16_t *id)
{
    if (d->pen == NS_PEN_IANA) {
        *pen = NS_PEN_REVERSE;
        *id = d->id;
    } else {
        *pen = d->pen;
        *id = (uint16_t)(d->id | NS_IE_REVERSE_BIT);
    }
}
