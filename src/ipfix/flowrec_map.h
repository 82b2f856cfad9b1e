/*
 * flowrec_map.h — internal: the field table shared by the flowrec encoder
 * (flowrec_enc.c) and decoder (flowrec_dec.c).  See flowrec.h.
 */
#ifndef NS_IPFIX_FLOWREC_MAP_H
#define NS_IPFIX_FLOWREC_MAP_H

#include <stddef.h>
#include <stdint.h>

/* Conversions between a wire field and a record field. */
enum ns_fr_op {
    NS_FR_SKIP = 0,
    NS_FR_UINT,     /* unsigned BE, 1..8 octets ↔ record integer of `width` */
    NS_FR_SINT,     /* signed BE (two's complement), sign-extended */
    NS_FR_FLOAT,    /* float64 (float32 accepted on input) ↔ double */
    NS_FR_BYTES,    /* fixed octets (MAC address) */
    NS_FR_ADDR4,    /* IPv4 address; sets ip_version 4 */
    NS_FR_ADDR6,    /* IPv6 address; sets ip_version 6 */
    NS_FR_NTP,      /* dateTimeNanoseconds ↔ ns */
    NS_FR_NTP_US,   /* dateTimeMicroseconds → ns (input only) */
    NS_FR_SEC,      /* dateTimeSeconds → ns (input only) */
    NS_FR_MS,       /* dateTimeMilliseconds → ns (input only) */
    NS_FR_DELTA_US, /* µs before exportTime → ns (input only) */
    NS_FR_ICMP,     /* icmpTypeCode (type << 8 | code) ↔ icmp_type, icmp_code */
    NS_FR_BIDIR,    /* biflowDirection: 1 (initiator) ↔ syn_seen */
    /* Decode-only specialisations the resolver picks for full-size integers
     * (wire length = record width, the case of every netsift template), so
     * the per-record loop converts them without length or width switches. */
    NS_FR_U8,  /* 1 octet → 1 */
    NS_FR_U16, /* 2 octets → 2 */
    NS_FR_U32, /* 4 octets → 4 */
    NS_FR_U64  /* 8 octets → 8 (also int64: no sign extension at full size) */
};

/* When a field is part of a netsift template. */
enum ns_fr_cond {
    NS_FC_ALL = 0,
    NS_FC_V4,
    NS_FC_V6,
    NS_FC_PORTS,
    NS_FC_ICMP4,
    NS_FC_ICMP6,
    NS_FC_VLAN,
    NS_FC_SPFX4, /* aggregates (RFC 7015): prefix lengths of cut addresses */
    NS_FC_DPFX4,
    NS_FC_SPFX6,
    NS_FC_DPFX6,
    NS_FC_IPVER, /* ipVersion, when no address says it */
    NS_FC_INPUT  /* decode-only: never written */
};

struct ns_fr_desc {
    uint32_t pen;
    uint16_t id;
    uint16_t len;   /* length written by netsift */
    uint16_t group; /* NS_RG_*, 0 = always present */
    uint16_t off;   /* record offset (dir[0] for per-direction fields) */
    uint8_t op;     /* enum ns_fr_op */
    uint8_t width;  /* record field width */
    uint8_t cond;   /* enum ns_fr_cond */
    uint8_t dir;    /* per direction: also exists reversed for dir[1] */
    uint8_t prio;   /* decode preference among fields with one target */
};

extern const struct ns_fr_desc ns_fr_table[];
extern const size_t ns_fr_table_len;

/* The key component (record.h NS_RK_*) a key-group field at record offset
 * `off` with conversion `op` carries; 0 for none. */
uint8_t ns_fr_key_comp(uint16_t off, uint8_t op);

/* Reverse element of a per-direction field (RFC 5103 §6.1, §6.2). */
void ns_fr_reverse(const struct ns_fr_desc *d, uint32_t *pen, uint16_t *id);

#endif
