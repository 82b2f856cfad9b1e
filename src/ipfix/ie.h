/*
 * ie.h — the IPFIX Information Element registry (RFC 7012, IANA "IPFIX
 * Entities").
 *
 * Design
 * ------
 * The IANA part is data generated once from the registry XML by
 * tools/gen_ie_table.py into ie_table.c (committed: builds need no python).
 * Every IANA element also exists under the RFC 5103 reverse PEN 29305 with
 * the name "reverse" + Name (RFC 5103 §6.1).  netsift's own enterprise
 * elements are declared in exactly one place, ns_ie.h, and are resolved by
 * the same two lookups, reverse names included (RFC 5103 §6.2: reverse id =
 * id | 0x4000 in the same PEN).
 *
 * Ownership: every returned pointer points into static const tables; it is
 * never freed and stays valid forever.  Lookups return NULL when the element
 * is unknown.  Lookups are meant for template compilation and option
 * parsing, not for per-record paths.
 */
#ifndef NS_IPFIX_IE_H
#define NS_IPFIX_IE_H

#include <stddef.h>
#include <stdint.h>

#define NS_PEN_IANA    0u
#define NS_PEN_REVERSE 29305u /* RFC 5103 §6.1 reverse information elements */

/* Abstract data types, numbered as the IANA "IPFIX Information Element Data
 * Types" sub-registry (RFC 7012 §3.1). */
enum ns_ie_type {
    NS_IET_OCTETARRAY = 0,
    NS_IET_UNSIGNED8 = 1,
    NS_IET_UNSIGNED16 = 2,
    NS_IET_UNSIGNED32 = 3,
    NS_IET_UNSIGNED64 = 4,
    NS_IET_SIGNED8 = 5,
    NS_IET_SIGNED16 = 6,
    NS_IET_SIGNED32 = 7,
    NS_IET_SIGNED64 = 8,
    NS_IET_FLOAT32 = 9,
    NS_IET_FLOAT64 = 10,
    NS_IET_BOOLEAN = 11,
    NS_IET_MACADDRESS = 12,
    NS_IET_STRING = 13,
    NS_IET_DATETIMESECONDS = 14,
    NS_IET_DATETIMEMILLISECONDS = 15,
    NS_IET_DATETIMEMICROSECONDS = 16,
    NS_IET_DATETIMENANOSECONDS = 17,
    NS_IET_IPV4ADDRESS = 18,
    NS_IET_IPV6ADDRESS = 19,
    NS_IET_BASICLIST = 20,
    NS_IET_SUBTEMPLATELIST = 21,
    NS_IET_SUBTEMPLATEMULTILIST = 22
};

/* Data type semantics (RFC 7012 §3.2, IANA sub-registry numbering). */
enum ns_ie_semantics {
    NS_IES_DEFAULT = 0,
    NS_IES_QUANTITY = 1,
    NS_IES_TOTALCOUNTER = 2,
    NS_IES_DELTACOUNTER = 3,
    NS_IES_IDENTIFIER = 4,
    NS_IES_FLAGS = 5,
    NS_IES_LIST = 6,
    NS_IES_SNMPCOUNTER = 7,
    NS_IES_SNMPGAUGE = 8,
    NS_IES_UNSPEC = 255 /* the registry gives none */
};

/* Units (IANA "IPFIX Information Element Units"). */
enum ns_ie_units {
    NS_IEU_NONE = 0,
    NS_IEU_BITS = 1,
    NS_IEU_OCTETS = 2,
    NS_IEU_PACKETS = 3,
    NS_IEU_FLOWS = 4,
    NS_IEU_SECONDS = 5,
    NS_IEU_MILLISECONDS = 6,
    NS_IEU_MICROSECONDS = 7,
    NS_IEU_NANOSECONDS = 8,
    NS_IEU_4_OCTET_WORDS = 9,
    NS_IEU_MESSAGES = 10,
    NS_IEU_HOPS = 11,
    NS_IEU_ENTRIES = 12,
    NS_IEU_FRAMES = 13,
    NS_IEU_PORTS = 14,
    NS_IEU_INFERRED = 15
};

/* Field length meaning "variable length" in a template (RFC 7011 §7). */
#define NS_IE_VARLEN 0xFFFFu

struct ns_ie {
    uint32_t pen;      /* 0 for IANA */
    uint16_t id;       /* without the enterprise bit */
    uint8_t type;      /* enum ns_ie_type */
    uint8_t semantics; /* enum ns_ie_semantics */
    uint8_t units;     /* enum ns_ie_units */
    const char *name;
};

const struct ns_ie *ns_ie_by_id(uint32_t pen, uint16_t id);
const struct ns_ie *ns_ie_by_name(const char *name);

/* Default (full) encoded length of a type, NS_IE_VARLEN for octetArray,
 * string and the list types (RFC 7011 §6.1). */
uint16_t ns_ie_type_length(enum ns_ie_type t);
const char *ns_ie_type_name(enum ns_ie_type t);

/* Iterate all known elements (IANA, IANA reverse, netsift enterprise and
 * their reverse): returns NULL past the end.  For tests and listings. */
const struct ns_ie *ns_ie_at(size_t i);

#endif
