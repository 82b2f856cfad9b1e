/*
 * ns_ie.h — THE one place that defines netsift's enterprise-specific
 * Information Elements (RFC 7011 §3.2 enterprise bit, RFC 7013 §6).
 *
 * Design
 * ------
 * netsift reports metrics the IANA registry lacks (loss, retransmissions,
 * reordering, TCP option values, window range, jitter, handshake RTT) as
 * enterprise elements under one Private Enterprise Number.  Until the project
 * registers its own, that is RFC 5612's documentation PEN 32473: change
 * NS_PEN below and nothing else.  Wherever IANA has an equivalent element we
 * use IANA instead (e.g. tcpWindowScale is IANA 238, tcpControlBits IANA 6).
 *
 * Ids are < 0x4000 so that the reverse-direction element of a biflow is
 * id | 0x4000 in the same PEN (RFC 5103 §6.2); its name is "reverse" + Name.
 * IANA elements reverse into PEN 29305 instead (RFC 5103 §6.1).
 *
 * NS_IE_ENTERPRISE(X) expands X(NAME, id, "name", "reverseName" or NULL when
 * not reversible, type, semantics, units) once per element; ie.c builds the
 * name/id lookups from it, so a new element is one line here (plus its
 * record mapping in flowrec_map.c).
 *
 * tcpWindowScale: IANA 238 exists (unsigned16); netsift sends it with
 * reduced-size encoding on one octet (RFC 7011 §6.2) instead of defining its
 * own.  initialTcpFlags, tcpMss and the window range have no IANA
 * equivalent in the registry (checked against ipfix.xml, 2019-07-25).
 */
#ifndef NS_IPFIX_NS_IE_H
#define NS_IPFIX_NS_IE_H

#include "ipfix/ie.h"

#define NS_PEN            32473u  /* RFC 5612 documentation PEN */
#define NS_IE_REVERSE_BIT 0x4000u /* RFC 5103 §6.2 */

/* clang-format off */
#define NS_IE_ENTERPRISE(X)                                                                        \
    /* per direction (reverse = id | 0x4000) */                                                    \
    X(LOSS_PACKETS, 1, "lossPackets", "reverseLossPackets", NS_IET_SIGNED64, NS_IES_DELTACOUNTER, NS_IEU_PACKETS) \
    X(GAP_OCTETS, 2, "gapOctets", "reverseGapOctets", NS_IET_SIGNED64, NS_IES_DELTACOUNTER, NS_IEU_OCTETS) \
    X(RETRANS_PACKETS, 3, "retransPackets", "reverseRetransPackets", NS_IET_UNSIGNED64, NS_IES_DELTACOUNTER, NS_IEU_PACKETS) \
    X(RETRANS_OCTETS, 4, "retransOctets", "reverseRetransOctets", NS_IET_UNSIGNED64, NS_IES_DELTACOUNTER, NS_IEU_OCTETS) \
    X(OOO_PACKETS, 5, "outOfOrderPackets", "reverseOutOfOrderPackets", NS_IET_UNSIGNED64, NS_IES_DELTACOUNTER, NS_IEU_PACKETS) \
    X(DUP_PACKETS, 6, "duplicatePackets", "reverseDuplicatePackets", NS_IET_UNSIGNED64, NS_IES_DELTACOUNTER, NS_IEU_PACKETS) \
    X(LOSS_SOURCE, 7, "lossSource", NULL, NS_IET_UNSIGNED8, NS_IES_IDENTIFIER, NS_IEU_NONE) \
    X(INITIAL_TCP_FLAGS, 8, "initialTcpFlags", "reverseInitialTcpFlags", NS_IET_UNSIGNED8, NS_IES_FLAGS, NS_IEU_NONE) \
    X(TCP_MSS, 9, "tcpMss", "reverseTcpMss", NS_IET_UNSIGNED16, NS_IES_QUANTITY, NS_IEU_NONE) \
    X(TCP_WINDOW_MIN, 10, "tcpWindowMin", "reverseTcpWindowMin", NS_IET_UNSIGNED16, NS_IES_QUANTITY, NS_IEU_NONE) \
    X(TCP_WINDOW_MAX, 11, "tcpWindowMax", "reverseTcpWindowMax", NS_IET_UNSIGNED16, NS_IES_QUANTITY, NS_IEU_NONE) \
    X(JITTER_SAMPLES, 12, "jitterSamples", "reverseJitterSamples", NS_IET_UNSIGNED64, NS_IES_DELTACOUNTER, NS_IEU_NONE) \
    X(JITTER_MEAN_US, 13, "jitterMeanMicroseconds", "reverseJitterMeanMicroseconds", NS_IET_FLOAT64, NS_IES_QUANTITY, NS_IEU_MICROSECONDS) \
    X(JITTER_STDDEV_US, 14, "jitterStddevMicroseconds", "reverseJitterStddevMicroseconds", NS_IET_FLOAT64, NS_IES_QUANTITY, NS_IEU_MICROSECONDS) \
    /* per flow: not reversible */                                                                \
    X(SYNACK_US, 15, "synAckMicroseconds", NULL, NS_IET_UNSIGNED32, NS_IES_QUANTITY, NS_IEU_MICROSECONDS) \
    X(ACKDATA_US, 16, "ackDataMicroseconds", NULL, NS_IET_UNSIGNED32, NS_IES_QUANTITY, NS_IEU_MICROSECONDS) \
    X(AGG_RECORDS, 17, "aggregatedRecords", NULL, NS_IET_UNSIGNED64, NS_IES_DELTACOUNTER, NS_IEU_NONE) \
    /* flow selection and process statistics (fsel/optrec.h): draft-molina- \
       flow-selection-00 counters IANA lacks; scope meteringProcessId or     \
       exportingProcessId.  Not reversible. */                               \
    X(OBS_PACKETS, 20, "observedPacketTotalCount", NULL, NS_IET_UNSIGNED64, NS_IES_TOTALCOUNTER, NS_IEU_PACKETS) \
    X(OBS_OCTETS, 21, "observedOctetTotalCount", NULL, NS_IET_UNSIGNED64, NS_IES_TOTALCOUNTER, NS_IEU_OCTETS) \
    X(EV_FLOWS, 22, "evictedFlowTotalCount", NULL, NS_IET_UNSIGNED64, NS_IES_TOTALCOUNTER, NS_IEU_FLOWS) \
    X(EV_PACKETS, 23, "evictedPacketTotalCount", NULL, NS_IET_UNSIGNED64, NS_IES_TOTALCOUNTER, NS_IEU_PACKETS) \
    X(EV_OCTETS, 24, "evictedOctetTotalCount", NULL, NS_IET_UNSIGNED64, NS_IES_TOTALCOUNTER, NS_IEU_OCTETS) \
    X(CACHED_FLOWS, 25, "cachedFlowCount", NULL, NS_IET_UNSIGNED64, NS_IES_QUANTITY, NS_IEU_FLOWS) \
    X(CACHED_PACKETS, 26, "cachedPacketCount", NULL, NS_IET_UNSIGNED64, NS_IES_QUANTITY, NS_IEU_PACKETS) \
    X(CACHED_OCTETS, 27, "cachedOctetCount", NULL, NS_IET_UNSIGNED64, NS_IES_QUANTITY, NS_IEU_OCTETS) \
    X(MET_RECORDS, 28, "meteredRecordTotalCount", NULL, NS_IET_UNSIGNED64, NS_IES_TOTALCOUNTER, NS_IEU_NONE) \
    X(MET_FLOWS, 29, "meteredFlowEndTotalCount", NULL, NS_IET_UNSIGNED64, NS_IES_TOTALCOUNTER, NS_IEU_FLOWS) \
    X(MET_PACKETS, 30, "meteredPacketTotalCount", NULL, NS_IET_UNSIGNED64, NS_IES_TOTALCOUNTER, NS_IEU_PACKETS) \
    X(MET_OCTETS, 31, "meteredOctetTotalCount", NULL, NS_IET_UNSIGNED64, NS_IES_TOTALCOUNTER, NS_IEU_OCTETS) \
    X(IGN_FIRST, 32, "ignoredFirstPacketTime", NULL, NS_IET_DATETIMENANOSECONDS, NS_IES_DEFAULT, NS_IEU_NANOSECONDS) \
    X(IGN_LAST, 33, "ignoredLastPacketTime", NULL, NS_IET_DATETIMENANOSECONDS, NS_IES_DEFAULT, NS_IEU_NANOSECONDS) \
    X(EV_FIRST, 34, "evictedFirstPacketTime", NULL, NS_IET_DATETIMENANOSECONDS, NS_IES_DEFAULT, NS_IEU_NANOSECONDS) \
    X(EV_LAST, 35, "evictedLastPacketTime", NULL, NS_IET_DATETIMENANOSECONDS, NS_IES_DEFAULT, NS_IEU_NANOSECONDS) \
    X(EV_FIRST_EVENT, 36, "evictedFirstEventTime", NULL, NS_IET_DATETIMENANOSECONDS, NS_IES_DEFAULT, NS_IEU_NANOSECONDS) \
    X(EV_LAST_EVENT, 37, "evictedLastEventTime", NULL, NS_IET_DATETIMENANOSECONDS, NS_IES_DEFAULT, NS_IEU_NANOSECONDS) \
    X(NS_FIRST, 38, "notSentFirstPacketTime", NULL, NS_IET_DATETIMENANOSECONDS, NS_IES_DEFAULT, NS_IEU_NANOSECONDS) \
    X(NS_LAST, 39, "notSentLastPacketTime", NULL, NS_IET_DATETIMENANOSECONDS, NS_IES_DEFAULT, NS_IEU_NANOSECONDS) \
    X(CACHE_POLICY, 42, "flowCachePolicy", NULL, NS_IET_UNSIGNED8, NS_IES_IDENTIFIER, NS_IEU_NONE) \
    X(CACHE_SIZE, 43, "flowCacheSize", NULL, NS_IET_UNSIGNED32, NS_IES_QUANTITY, NS_IEU_ENTRIES) \
    /* live capture, per observation point (optrec.h 0xFF14): frames the    \
       capture handed to the metering process */                            \
    X(CAPTURED_PACKETS, 50, "capturedPacketTotalCount", NULL, NS_IET_UNSIGNED64, NS_IES_TOTALCOUNTER, NS_IEU_PACKETS) \
    /* parallel measurement processes (mp/mp.h): packet reports a selection  \
       sequence selected but left out under the report budget; in its       \
       Selection Sequence Statistics.  Not reversible. */                    \
    X(REPORTS_DROPPED, 60, "droppedPacketReportTotalCount", NULL, NS_IET_UNSIGNED64, NS_IES_TOTALCOUNTER, NS_IEU_NONE)
/* clang-format on */

enum ns_ie_enterprise_id {
#define NS_IE_ENUM_(N, id, name, rname, t, s, u) NS_IE_##N = (id),
    NS_IE_ENTERPRISE(NS_IE_ENUM_)
#undef NS_IE_ENUM_
};

#endif
