/*
 * fields.c — the field table.  Most fields are one member of a direction
 * (or the sum of both directions), read by the generic getters through an
 * offset; the few that compute something have their own getter.
 */
#include "record/fields.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>

/* ---- generic getters ---- */

#define DIR_OFF(m) offsetof(struct ns_record_dir, m)

static int has(const struct ns_record *r, uint32_t g)
{
    return (r->present & g) == g;
}

static uint64_t dir_u(const struct ns_record *r, int d, size_t off, size_t size)
{
    const uint8_t *p = (const uint8_t *)&r->dir[d] + off;
    switch (size) {
    case 1:
        return *p;
    case 2: {
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    case 4: {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    default: {
        uint64_t v;
        memcpy(&v, p, 8);
        return v;
    }
    }
}

/* Unsigned per-direction member; dir -1 sums both.  The size of the
 * member is kept in the low bits of `group`'s companion: see U() below. */
static int get_dir_u(const struct ns_record *r, const struct ns_field *f, struct ns_value *v,
                     size_t size)
{
    if (!has(r, f->group))
        return 0;
    v->kind = NS_V_U64;
    if (f->dir < 0)
        v->u = dir_u(r, 0, f->off, size) + dir_u(r, 1, f->off, size);
    else
        v->u = dir_u(r, f->dir, f->off, size);
    return 1;
}

static int get_u64(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    return get_dir_u(r, f, v, 8);
}

static int get_u16(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    return get_dir_u(r, f, v, 2);
}

static int get_u8(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    return get_dir_u(r, f, v, 1);
}

static int get_i64(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    if (!get_dir_u(r, f, v, 8))
        return 0;
    v->kind = NS_V_I64;
    v->i = (int64_t)v->u;
    return 1;
}

/* Seconds from a per-direction nanosecond time, or from the record's. */
static int get_time(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    if (!has(r, NS_RG_TIME))
        return 0;
    uint64_t t;
    if (f->dir >= 0)
        t = dir_u(r, f->dir, f->off, 8);
    else
        t = f->off == DIR_OFF(first_ns) ? ns_record_start_ns(r) : ns_record_end_ns(r);
    if (!t)
        return 0;
    v->kind = NS_V_TIME;
    v->u = t;
    return 1;
}

static int get_dur(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    if (!has(r, NS_RG_TIME))
        return 0;
    v->kind = NS_V_F64;
    v->f = (double)(ns_record_end_ns(r) - ns_record_start_ns(r)) / 1e9;
    return 1;
}

static int get_jit(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    if (!has(r, NS_RG_JIT) || !r->dir[f->dir].jit_n)
        return 0;
    double us;
    memcpy(&us, (const uint8_t *)&r->dir[f->dir] + f->off, sizeof us);
    v->kind = NS_V_F64;
    v->f = us / 1000.0; /* Argus prints jitter and inter-packet times in ms */
    return 1;
}

static int get_ploss(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    if (!has(r, NS_RG_LOSS | NS_RG_COUNT))
        return 0;
    int64_t loss = 0;
    uint64_t pkts = 0;
    for (int d = 0; d < 2; d++) {
        if (f->dir >= 0 && d != f->dir)
            continue;
        loss += r->dir[d].loss_pkts;
        pkts += r->dir[d].pkts;
    }
    /* Argus: percent of the packets that should have been seen. */
    int64_t expected = (int64_t)pkts + loss;
    v->kind = NS_V_F64;
    v->f = expected > 0 ? 100.0 * (double)loss / (double)expected : 0.0;
    return 1;
}

/* ---- key and flow-level fields ---- */

static int get_addr(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    if (!has(r, NS_RG_KEY))
        return 0;
    int want = (int)f->off; /* 0 any, 4 or 6 */
    if ((want && want != r->ip_version) ||
        (r->key_wild & (f->dir == 0 ? NS_RK_SADDR : NS_RK_DADDR)))
        return 0;
    v->kind = NS_V_ADDR;
    v->addr_len = r->ip_version == 4 ? 4 : 16;
    v->prefix = f->dir == 0 ? r->sprefix : r->dprefix;
    memcpy(v->addr, f->dir == 0 ? r->saddr : r->daddr, v->addr_len);
    return 1;
}

static int get_port(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    if (!has(r, NS_RG_KEY) || (r->key_wild & (f->dir == 0 ? NS_RK_SPORT : NS_RK_DPORT)))
        return 0;
    int icmp = !(r->key_wild & NS_RK_PROTO) && (r->proto == 1 || r->proto == 58);
    v->kind = NS_V_U64;
    if (f->off) { /* IPFIX port IE: only for protocols with ports */
        if (icmp)
            return 0;
        v->u = f->dir == 0 ? r->sport : r->dport;
        return 1;
    }
    /* Argus style: ICMP type in sport, code in dport */
    v->u = icmp ? (f->dir == 0 ? r->icmp_type : r->icmp_code) : (f->dir == 0 ? r->sport : r->dport);
    return 1;
}

static int get_icmptc(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    if (!has(r, NS_RG_KEY) || r->proto != (f->off == 6 ? 58 : 1) ||
        (r->key_wild & (NS_RK_PROTO | NS_RK_SPORT | NS_RK_DPORT)))
        return 0;
    v->kind = NS_V_U64;
    v->u = (uint64_t)r->icmp_type << 8 | r->icmp_code;
    return 1;
}

static const char *proto_name(uint8_t p)
{
    switch (p) {
    case 1:
        return "icmp";
    case 2:
        return "igmp";
    case 4:
        return "ipip";
    case 6:
        return "tcp";
    case 17:
        return "udp";
    case 33:
        return "dccp";
    case 41:
        return "ipv6";
    case 47:
        return "gre";
    case 50:
        return "esp";
    case 51:
        return "ah";
    case 58:
        return "ipv6-icmp";
    case 89:
        return "ospf";
    case 103:
        return "pim";
    case 112:
        return "vrrp";
    case 132:
        return "sctp";
    default:
        return NULL;
    }
}

static int get_proto(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    if (!has(r, NS_RG_KEY) || (r->key_wild & NS_RK_PROTO))
        return 0;
    const char *n = proto_name(r->proto);
    if (f->off || !n) { /* protocolIdentifier: the number */
        v->kind = NS_V_U64;
        v->u = r->proto;
        return 1;
    }
    v->kind = NS_V_STR;
    snprintf(v->s, sizeof v->s, "%s", n);
    return 1;
}

static int get_ipver(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    if (!has(r, NS_RG_KEY) || (r->key_wild & NS_RK_IPVER))
        return 0;
    v->kind = NS_V_U64;
    v->u = r->ip_version;
    return 1;
}

static int get_vlan(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    if (!has(r, NS_RG_KEY) || (r->key_wild & NS_RK_VLAN))
        return 0;
    v->kind = NS_V_U64;
    v->u = r->vlan;
    return 1;
}

static int get_flowid(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    if (!r->flow_id && has(r, NS_RG_AGG))
        return 0; /* an aggregate of several flows */
    v->kind = NS_V_U64;
    v->u = r->flow_id;
    return 1;
}

static int get_reason_num(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    if (!r->end_reason)
        return 0;
    v->kind = NS_V_U64;
    v->u = r->end_reason;
    return 1;
}

static int get_reason(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    static const char *const names[] = {"", "idle", "status", "end", "forced", "resource"};
    if (!r->end_reason || r->end_reason >= sizeof names / sizeof names[0])
        return get_reason_num(r, f, v);
    v->kind = NS_V_STR;
    snprintf(v->s, sizeof v->s, "%s", names[r->end_reason]);
    return 1;
}

/* Records and completed flows behind a record (merge.h): a record that was
 * never merged stands for itself. */
static int get_agg(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    v->kind = NS_V_U64;
    if (has(r, NS_RG_AGG))
        v->u = f->off ? r->agg_flows : r->agg_records;
    else
        v->u = f->off ? r->end_reason != NS_END_ACTIVE : 1;
    return 1;
}

static int get_samp(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    if (!has(r, NS_RG_SAMP))
        return 0;
    v->kind = NS_V_F64;
    v->f = r->samp_frac;
    return 1;
}

static int get_biflowdir(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    v->kind = NS_V_U64;
    v->u = r->syn_seen ? 1 : 0; /* RFC 5103: 1 initiator, 0 arbitrary */
    return 1;
}

static int get_dir(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    if (!has(r, NS_RG_COUNT))
        return 0;
    int both = r->dir[0].pkts && r->dir[1].pkts;
    int sure = r->syn_seen || r->proto != 6;
    v->kind = NS_V_STR;
    if (!r->dir[0].pkts && r->dir[1].pkts)
        snprintf(v->s, sizeof v->s, "%s", sure ? "<-" : "<?");
    else
        snprintf(v->s, sizeof v->s, "%s", both ? (sure ? "<->" : "<?>") : (sure ? "->" : "?>"));
    return 1;
}

static int get_state(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    v->kind = NS_V_STR;
    snprintf(v->s, sizeof v->s, "%s", ns_record_state(r));
    return 1;
}

static void tcp_flags_str(uint8_t fl, char *s)
{
    /* tcpdump order, a dot where a flag is unset keeps columns aligned */
    static const char names[] = "FSRPAUEC";
    for (int i = 0; i < 8; i++)
        s[i] = (fl & (1u << i)) ? names[i] : '.';
    s[8] = 0;
}

static int get_flags(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    if (!has(r, NS_RG_TCP))
        return 0;
    uint8_t fl = (uint8_t)dir_u(r, f->dir, f->off, 1);
    v->kind = NS_V_STR;
    tcp_flags_str(fl, v->s);
    return 1;
}

static int get_rtt(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    if (!has(r, NS_RG_RTT))
        return 0;
    uint32_t us = f->off == 1 ? r->synack_us : f->off == 2 ? r->ackdat_us : 0;
    if (f->off == 0) {
        if (!r->synack_us || !r->ackdat_us)
            return 0;
        us = r->synack_us + r->ackdat_us;
    } else if (!us) {
        return 0;
    }
    if (f->dir) { /* IPFIX-named: integer microseconds */
        v->kind = NS_V_U64;
        v->u = us;
    } else { /* Argus style: seconds */
        v->kind = NS_V_F64;
        v->f = us / 1e6;
    }
    return 1;
}

static int get_mac(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    if (!has(r, NS_RG_MAC))
        return 0;
    v->kind = NS_V_MAC;
    v->addr_len = 6;
    memcpy(v->addr, f->dir == 0 ? r->smac : r->dmac, 6);
    return 1;
}

static int get_losssrc(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    static const char *const names[] = {"none", "tcp", "esp", "rtp", "mixed"};
    if (!has(r, NS_RG_LOSS) || r->loss_source >= sizeof names / sizeof names[0])
        return 0;
    v->kind = NS_V_STR;
    snprintf(v->s, sizeof v->s, "%s", names[r->loss_source]);
    return 1;
}

static int get_spi(const struct ns_record *r, const struct ns_field *f, struct ns_value *v)
{
    if (!has(r, NS_RG_ESP))
        return 0;
    v->kind = NS_V_U64;
    v->u = r->dir[f->dir].esp_spi;
    return 1;
}

/* ---- the table ---- */

#define G(name, ie, help, w, getter, grp, d, member)                                               \
    {                                                                                              \
        name, ie, help, w, getter, grp, d, DIR_OFF(member)                                         \
    }
#define K(name, ie, help, w, getter, d, off)                                                       \
    {                                                                                              \
        name, ie, help, w, getter, NS_RG_KEY, d, off                                               \
    }

static const struct ns_field fields[] = {
    /* times */
    G("stime", NULL, "start time (first packet, either direction)", 30, get_time, NS_RG_TIME, -1,
      first_ns),
    G("ltime", NULL, "last time (last packet, either direction)", 30, get_time, NS_RG_TIME, -1,
      last_ns),
    G("dur", NULL, "duration, seconds", 12, get_dur, NS_RG_TIME, -1, first_ns),
    G("sstime", "flowStartNanoseconds", "first packet from the initiator", 30, get_time, NS_RG_TIME,
      0, first_ns),
    G("sltime", "flowEndNanoseconds", "last packet from the initiator", 30, get_time, NS_RG_TIME, 0,
      last_ns),
    G("dstime", "reverseFlowStartNanoseconds", "first packet from the responder", 30, get_time,
      NS_RG_TIME, 1, first_ns),
    G("dltime", "reverseFlowEndNanoseconds", "last packet from the responder", 30, get_time,
      NS_RG_TIME, 1, last_ns),
    /* key */
    K("proto", NULL, "protocol name (number when unnamed)", 6, get_proto, 0, 0),
    K("protonum", "protocolIdentifier", "protocol number", 6, get_proto, 0, 1),
    K("ipver", "ipVersion", "IP version", 5, get_ipver, 0, 0),
    K("saddr", NULL, "initiator address", 20, get_addr, 0, 0),
    K("daddr", NULL, "responder address", 20, get_addr, 1, 0),
    K("srcv4", "sourceIPv4Address", "initiator IPv4 address", 15, get_addr, 0, 4),
    K("dstv4", "destinationIPv4Address", "responder IPv4 address", 15, get_addr, 1, 4),
    K("srcv6", "sourceIPv6Address", "initiator IPv6 address", 39, get_addr, 0, 6),
    K("dstv6", "destinationIPv6Address", "responder IPv6 address", 39, get_addr, 1, 6),
    K("sport", NULL, "initiator port (ICMP: type)", 6, get_port, 0, 0),
    K("dport", NULL, "responder port (ICMP: code)", 6, get_port, 1, 0),
    K("srcport", "sourceTransportPort", "initiator transport port", 6, get_port, 0, 1),
    K("dstport", "destinationTransportPort", "responder transport port", 6, get_port, 1, 1),
    K("icmptc", "icmpTypeCodeIPv4", "ICMP type*256+code", 6, get_icmptc, 0, 4),
    K("icmp6tc", "icmpTypeCodeIPv6", "ICMPv6 type*256+code", 6, get_icmptc, 0, 6),
    K("vlan", "vlanId", "outermost VLAN id (0 untagged)", 5, get_vlan, 0, 0),
    {"dir", NULL, "direction: -> one way, <-> both, ? when the initiator is a guess", 4, get_dir, 0,
     0, 0},
    {"state", NULL, "Argus-style state (CON FIN RST REQ ACC CLO INT ECO ECR ...)", 5, get_state, 0,
     0, 0},
    {"flowid", "flowId", "flow identifier, shared by a flow's status records", 10, get_flowid, 0, 0,
     0},
    {"reason", NULL, "why the record was written: idle status end forced resource", 8, get_reason,
     0, 0, 0},
    {"endreason", "flowEndReason", "flowEndReason number (RFC 7011 registry)", 4, get_reason_num, 0,
     0, 0},
    {"trans", "aggregatedRecords", "records merged into this one (1 when never merged)", 6, get_agg,
     0, 0, 0},
    {"flows", "originalFlowsCompleted", "flows that ended in this record (RFC 7015)", 6, get_agg, 0,
     0, 1},
    {"samprate", "samplingProbability",
     "fraction of packets sampled (0: an aggregate of mixed rates)", 8, get_samp, NS_RG_SAMP, 0, 0},
    {"bidir", "biflowDirection", "1 initiator known from a SYN, 0 arbitrary (RFC 5103)", 2,
     get_biflowdir, 0, 0, 0},
    /* counters */
    G("pkts", NULL, "packets, both directions", 9, get_u64, NS_RG_COUNT, -1, pkts),
    G("spkts", "packetDeltaCount", "packets initiator → responder", 9, get_u64, NS_RG_COUNT, 0,
      pkts),
    G("dpkts", "reversePacketDeltaCount", "packets responder → initiator", 9, get_u64, NS_RG_COUNT,
      1, pkts),
    G("bytes", NULL, "IP octets, both directions", 11, get_u64, NS_RG_COUNT, -1, octets),
    G("sbytes", "octetDeltaCount", "IP octets initiator → responder", 11, get_u64, NS_RG_COUNT, 0,
      octets),
    G("dbytes", "reverseOctetDeltaCount", "IP octets responder → initiator", 11, get_u64,
      NS_RG_COUNT, 1, octets),
    G("l2bytes", NULL, "layer-2 octets, both directions", 11, get_u64, NS_RG_COUNT, -1, l2_octets),
    G("sl2bytes", "layer2OctetDeltaCount", "layer-2 octets initiator → responder", 11, get_u64,
      NS_RG_COUNT, 0, l2_octets),
    G("dl2bytes", "reverseLayer2OctetDeltaCount", "layer-2 octets responder → initiator", 11,
      get_u64, NS_RG_COUNT, 1, l2_octets),
    /* IP */
    G("sttl", "minimumTTL", "lowest TTL initiator → responder", 4, get_u8, NS_RG_IP, 0, ttl_min),
    G("dttl", "reverseMinimumTTL", "lowest TTL responder → initiator", 4, get_u8, NS_RG_IP, 1,
      ttl_min),
    G("smaxttl", "maximumTTL", "highest TTL initiator → responder", 4, get_u8, NS_RG_IP, 0,
      ttl_max),
    G("dmaxttl", "reverseMaximumTTL", "highest TTL responder → initiator", 4, get_u8, NS_RG_IP, 1,
      ttl_max),
    G("stos", "ipClassOfService", "TOS/traffic class of the first packet →", 4, get_u8, NS_RG_IP, 0,
      tos),
    G("dtos", "reverseIpClassOfService", "TOS/traffic class of the first packet ←", 4, get_u8,
      NS_RG_IP, 1, tos),
    /* TCP */
    G("sflags", NULL, "TCP flags seen initiator → responder (FSRPAUEC)", 9, get_flags, NS_RG_TCP, 0,
      tcp_flags),
    G("dflags", NULL, "TCP flags seen responder → initiator", 9, get_flags, NS_RG_TCP, 1,
      tcp_flags),
    G("stcpflags", "tcpControlBits", "TCP flags → as a number", 4, get_u8, NS_RG_TCP, 0, tcp_flags),
    G("dtcpflags", "reverseTcpControlBits", "TCP flags ← as a number", 4, get_u8, NS_RG_TCP, 1,
      tcp_flags),
    G("sinitflags", "initialTcpFlags", "flags of the first TCP packet →", 9, get_flags, NS_RG_TCP,
      0, tcp_init_flags),
    G("dinitflags", "reverseInitialTcpFlags", "flags of the first TCP packet ←", 9, get_flags,
      NS_RG_TCP, 1, tcp_init_flags),
    G("smss", "tcpMss", "MSS option →", 5, get_u16, NS_RG_TCP, 0, tcp_mss),
    G("dmss", "reverseTcpMss", "MSS option ←", 5, get_u16, NS_RG_TCP, 1, tcp_mss),
    G("swscale", "tcpWindowScale", "window scale option → (255 absent)", 3, get_u8, NS_RG_TCP, 0,
      tcp_wscale),
    G("dwscale", "reverseTcpWindowScale", "window scale option ←", 3, get_u8, NS_RG_TCP, 1,
      tcp_wscale),
    G("swinmin", "tcpWindowMin", "smallest window field →", 6, get_u16, NS_RG_TCP, 0, tcp_win_min),
    G("dwinmin", "reverseTcpWindowMin", "smallest window field ←", 6, get_u16, NS_RG_TCP, 1,
      tcp_win_min),
    G("swinmax", "tcpWindowMax", "largest window field →", 6, get_u16, NS_RG_TCP, 0, tcp_win_max),
    G("dwinmax", "reverseTcpWindowMax", "largest window field ←", 6, get_u16, NS_RG_TCP, 1,
      tcp_win_max),
    /* loss */
    G("loss", NULL, "lost packets, both directions (may be negative: a correction)", 6, get_i64,
      NS_RG_LOSS, -1, loss_pkts),
    G("sloss", "lossPackets", "lost packets initiator → responder", 6, get_i64, NS_RG_LOSS, 0,
      loss_pkts),
    G("dloss", "reverseLossPackets", "lost packets responder → initiator", 6, get_i64, NS_RG_LOSS,
      1, loss_pkts),
    {"ploss", NULL, "percent loss, both directions", 7, get_ploss, NS_RG_LOSS, -1, 0},
    {"sploss", NULL, "percent loss →", 7, get_ploss, NS_RG_LOSS, 0, 0},
    {"dploss", NULL, "percent loss ←", 7, get_ploss, NS_RG_LOSS, 1, 0},
    G("sgap", "gapOctets", "octets missing in sequence gaps →", 8, get_i64, NS_RG_LOSS, 0,
      gap_octets),
    G("dgap", "reverseGapOctets", "octets missing in sequence gaps ←", 8, get_i64, NS_RG_LOSS, 1,
      gap_octets),
    G("retrans", NULL, "retransmitted packets, both directions", 7, get_u64, NS_RG_LOSS, -1,
      retrans_pkts),
    G("sretrans", "retransPackets", "retransmitted packets →", 7, get_u64, NS_RG_LOSS, 0,
      retrans_pkts),
    G("dretrans", "reverseRetransPackets", "retransmitted packets ←", 7, get_u64, NS_RG_LOSS, 1,
      retrans_pkts),
    G("sretransbytes", "retransOctets", "retransmitted payload octets →", 9, get_u64, NS_RG_LOSS, 0,
      retrans_octets),
    G("dretransbytes", "reverseRetransOctets", "retransmitted payload octets ←", 9, get_u64,
      NS_RG_LOSS, 1, retrans_octets),
    G("ooo", NULL, "out-of-order packets, both directions", 5, get_u64, NS_RG_LOSS, -1, ooo_pkts),
    G("sooo", "outOfOrderPackets", "out-of-order packets →", 5, get_u64, NS_RG_LOSS, 0, ooo_pkts),
    G("dooo", "reverseOutOfOrderPackets", "out-of-order packets ←", 5, get_u64, NS_RG_LOSS, 1,
      ooo_pkts),
    G("sdup", "duplicatePackets", "duplicate packets → (RTP/ESP)", 5, get_u64, NS_RG_LOSS, 0,
      dup_pkts),
    G("ddup", "reverseDuplicatePackets", "duplicate packets ← (RTP/ESP)", 5, get_u64, NS_RG_LOSS, 1,
      dup_pkts),
    {"lsrc", "lossSource", "what loss was computed from: tcp esp rtp", 4, get_losssrc, NS_RG_LOSS,
     0, 0},
    /* RTT */
    {"tcprtt", NULL, "handshake RTT at the observation point (synack+ackdat), s", 10, get_rtt,
     NS_RG_RTT, 0, 0},
    {"synack", NULL, "SYN → SYN/ACK, s", 10, get_rtt, NS_RG_RTT, 0, 1},
    {"ackdat", NULL, "SYN/ACK → ACK, s", 10, get_rtt, NS_RG_RTT, 0, 2},
    {"synackus", "synAckMicroseconds", "SYN → SYN/ACK, µs", 8, get_rtt, NS_RG_RTT, 1, 1},
    {"ackdatus", "ackDataMicroseconds", "SYN/ACK → ACK, µs", 8, get_rtt, NS_RG_RTT, 1, 2},
    /* jitter (Argus units: ms) */
    G("sjit", NULL, "inter-arrival standard deviation →, ms", 9, get_jit, NS_RG_JIT, 0,
      jit_stddev_us),
    G("djit", NULL, "inter-arrival standard deviation ←, ms", 9, get_jit, NS_RG_JIT, 1,
      jit_stddev_us),
    G("sintpkt", NULL, "mean inter-arrival time →, ms", 9, get_jit, NS_RG_JIT, 0, jit_mean_us),
    G("dintpkt", NULL, "mean inter-arrival time ←, ms", 9, get_jit, NS_RG_JIT, 1, jit_mean_us),
    G("sjitn", "jitterSamples", "inter-arrival samples →", 7, get_u64, NS_RG_JIT, 0, jit_n),
    G("djitn", "reverseJitterSamples", "inter-arrival samples ←", 7, get_u64, NS_RG_JIT, 1, jit_n),
    /* L2, IPsec */
    {"smac", "sourceMacAddress", "initiator's source MAC", 17, get_mac, NS_RG_MAC, 0, 0},
    {"dmac", "destinationMacAddress", "initiator's destination MAC", 17, get_mac, NS_RG_MAC, 1, 0},
    {"sspi", "IPSecSPI", "ESP SPI →", 10, get_spi, NS_RG_ESP, 0, 0},
    {"dspi", "reverseIPSecSPI", "ESP SPI ←", 10, get_spi, NS_RG_ESP, 1, 0},
};

const struct ns_field *ns_field_table(size_t *n)
{
    *n = sizeof fields / sizeof fields[0];
    return fields;
}

const struct ns_field *ns_field_find(const char *name)
{
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (!strcmp(fields[i].name, name) ||
            (fields[i].ie_name && !strcmp(fields[i].ie_name, name)))
            return &fields[i];
    return NULL;
}

/* The kind a field's values have: its getter is asked on records that
 * hold every group (IPv4 TCP, IPv6 ICMPv6, IPv4 ICMP, so that fields which
 * apply to one of them answer). */
enum ns_value_kind ns_field_kind(const struct ns_field *f)
{
    static const uint8_t kinds[3][2] = {{4, 6}, {6, 58}, {4, 1}};
    for (int k = 0; k < 3; k++) {
        struct ns_record r;
        memset(&r, 0, sizeof r);
        r.present = 0xffffffffu;
        r.ip_version = kinds[k][0];
        r.proto = kinds[k][1];
        r.end_reason = 1;
        r.loss_source = 1;
        r.synack_us = r.ackdat_us = 1;
        for (int d = 0; d < 2; d++) {
            r.dir[d].pkts = 1;
            r.dir[d].first_ns = r.dir[d].last_ns = 1;
            r.dir[d].jit_n = 1;
        }
        struct ns_value v;
        if (ns_field_get(f, &r, &v))
            return v.kind;
    }
    return NS_V_U64;
}

int ns_field_get(const struct ns_field *f, const struct ns_record *r, struct ns_value *v)
{
    return f->get(r, f, v);
}

size_t ns_value_format(const struct ns_value *v, int epoch_times, char *buf, size_t len)
{
    int n = 0;
    switch (v->kind) {
    case NS_V_U64:
        n = snprintf(buf, len, "%" PRIu64, v->u);
        break;
    case NS_V_I64:
        n = snprintf(buf, len, "%" PRId64, v->i);
        break;
    case NS_V_F64:
        n = snprintf(buf, len, "%.6f", v->f);
        break;
    case NS_V_TIME: {
        time_t s = (time_t)(v->u / 1000000000u);
        unsigned ns = (unsigned)(v->u % 1000000000u);
        if (epoch_times) {
            n = snprintf(buf, len, "%lld.%09u", (long long)s, ns);
        } else {
            struct tm tm;
            char d[32];
            gmtime_r(&s, &tm);
            strftime(d, sizeof d, "%Y-%m-%d %H:%M:%S", &tm);
            n = snprintf(buf, len, "%s.%09u", d, ns);
        }
        break;
    }
    case NS_V_ADDR:
        if (!inet_ntop(v->addr_len == 4 ? AF_INET : AF_INET6, v->addr, buf, (socklen_t)len))
            n = snprintf(buf, len, "?");
        else
            n = (int)strlen(buf);
        if (v->prefix && (size_t)n < len)
            n += snprintf(buf + n, len - (size_t)n, "/%u", v->prefix);
        break;
    case NS_V_MAC:
        n = snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", v->addr[0], v->addr[1], v->addr[2],
                     v->addr[3], v->addr[4], v->addr[5]);
        break;
    case NS_V_STR:
        n = snprintf(buf, len, "%s", v->s);
        break;
    }
    if (n < 0)
        return 0;
    return (size_t)n < len ? (size_t)n : len - 1;
}

const char *ns_record_state(const struct ns_record *r)
{
    const struct ns_record_dir *f = &r->dir[0], *b = &r->dir[1];
    int both = f->pkts && b->pkts;
    if (r->proto == 6 && (r->present & NS_RG_TCP)) {
        uint8_t all = f->tcp_flags | b->tcp_flags;
        if (all & 0x04)
            return "RST";
        if ((f->tcp_flags & 0x01) && (b->tcp_flags & 0x01))
            return "CLO";
        if (all & 0x01)
            return "FIN";
        if ((f->tcp_flags & 0x02) && !both)
            return "REQ";
        if ((b->tcp_flags & 0x12) == 0x12 && !(f->tcp_flags & 0x10))
            return "ACC";
        return "CON";
    }
    if (r->proto == 1 || r->proto == 58) {
        int v6 = r->proto == 58;
        uint8_t t = r->icmp_type;
        if (t == (v6 ? 128 : 8))
            return both ? "ECR" : "ECO";
        if (t == (v6 ? 129 : 0))
            return "ECR";
        if (t == (v6 ? 1 : 3))
            return "UNR";
        if (t == (v6 ? 3 : 11))
            return "TXD";
        if (t == (v6 ? 137 : 5))
            return "RED";
        return "ICM";
    }
    return both ? "CON" : "INT";
}
