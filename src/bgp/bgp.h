/*
 * bgp.h — BGP-4 message parser (RFC 4271) for watching sessions on the wire.
 *
 * Design
 * ------
 * netsift reads BGP as a bystander: the bytes come from a TCP stream that a
 * capture reassembled (cullmon/stream.h), so nothing in them can be trusted.
 * Parsing is split in two, because a stream needs to know where the next
 * message starts before it can look inside one:
 *
 *   ns_bgp_header()  checks the 19-octet header (§4.1): the all-ones marker
 *                    and a length that is at least the header and at most
 *                    what the message type allows.  A header that fails
 *                    means the stream is out of step (a capture that began
 *                    mid-message, a lost segment) and must be resynchronised
 *                    on the next marker; a good header gives the length to
 *                    skip even when the body then turns out malformed.
 *   ns_bgp_parse()   decodes one whole message into struct ns_bgp_msg: the
 *                    OPEN (version, My AS, Hold Time, BGP Identifier,
 *                    capabilities incl. multiprotocol AFI/SAFI (RFC 4760),
 *                    4-octet AS (RFC 6793), extended messages (RFC 8654),
 *                    ADD-PATH (RFC 7911); extended optional parameters
 *                    length (RFC 9072)), the UPDATE (withdrawn routes, path
 *                    attributes, NLRI, COMMUNITIES with GRACEFUL_SHUTDOWN
 *                    65535:0 (RFC 8326), MP_REACH/MP_UNREACH_NLRI, End-of-RIB
 *                    (RFC 4724 §2)), the NOTIFICATION (error code and
 *                    subcode; for Cease / Administrative Shutdown or Reset
 *                    the shutdown communication of RFC 8203 as updated by
 *                    RFC 9003: one length octet then up to 255 octets of
 *                    UTF-8), KEEPALIVE and ROUTE-REFRESH (RFC 2918).
 *
 * Every read goes through a bounds-checked reader over [buf, buf + len):
 * a length field inside the message (optional parameters, capability,
 * attribute, withdrawn routes, prefix length) is a claim, checked against
 * the bytes that enclose it before anything is read under it.  When a claim
 * does not fit, parsing stops, the result keeps what was decoded before, and
 * `malformed` names the first inconsistency (the message still counts: the
 * session sent it).
 *
 * Ownership: the parser keeps no state and allocates nothing; the shutdown
 * text is copied into the message struct (not NUL-terminated inside the
 * packet), so the result outlives the buffer.  The text is raw octets as
 * sent, not validated UTF-8: printing code must escape it.
 *
 * Errors: ns_bgp_header() returns 1 for a good header, 0 when fewer than 19
 * octets are present, NS_EFORMAT for a bad marker, length or type minimum.
 * ns_bgp_parse() returns NS_ETRUNC when `len` is shorter than the header's
 * length, NS_EFORMAT for a bad header, 0 otherwise (malformed bodies are 0
 * with m->malformed set).
 */
#ifndef NS_BGP_BGP_H
#define NS_BGP_BGP_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define NS_BGP_MARKER_LEN  16
#define NS_BGP_HDR_LEN     19
#define NS_BGP_MAX_LEN     4096  /* RFC 4271 §4.1 */
#define NS_BGP_EXT_MAX_LEN 65535 /* RFC 8654 extended messages */
#define NS_BGP_MAX_AFISAFI 16    /* multiprotocol capabilities kept per OPEN */
#define NS_BGP_TEXT_MAX    255   /* RFC 9003 §2: shutdown communication octets */

enum ns_bgp_type {
    NS_BGP_OPEN = 1,
    NS_BGP_UPDATE = 2,
    NS_BGP_NOTIFICATION = 3,
    NS_BGP_KEEPALIVE = 4,
    NS_BGP_ROUTE_REFRESH = 5,
};

/* Address family identifiers and subsequent AFIs we name (IANA registries). */
#define NS_BGP_AFI_IPV4     1
#define NS_BGP_AFI_IPV6     2
#define NS_BGP_SAFI_UNICAST 1

/* NOTIFICATION error codes (RFC 4271 §4.5) and Cease subcodes (RFC 4486,
 * RFC 8538, RFC 9384). */
#define NS_BGP_ERR_HOLD_EXPIRED   4
#define NS_BGP_ERR_CEASE          6
#define NS_BGP_CEASE_ADMIN_SHUT   2
#define NS_BGP_CEASE_ADMIN_RESET  4
#define NS_BGP_CEASE_HARD_RESET   9
#define NS_BGP_COMMUNITY_GSHUT    0xffff0000u /* 65535:0, RFC 8326 §3 */
#define NS_BGP_ATTR_COMMUNITIES   8
#define NS_BGP_ATTR_MP_REACH      14
#define NS_BGP_ATTR_MP_UNREACH    15
#define NS_BGP_ATTR_LARGE_COMMUNI 32

/* Why a message body is malformed (the first inconsistency found). */
enum ns_bgp_malformed {
    NS_BGP_MAL_NONE = 0,
    NS_BGP_MAL_OPEN_SHORT,    /* fixed OPEN fields cut short */
    NS_BGP_MAL_OPEN_PARAMS,   /* optional parameters overrun the message */
    NS_BGP_MAL_OPEN_CAP,      /* a capability overruns its parameter */
    NS_BGP_MAL_HOLD_TIME,     /* hold time 1 or 2 (RFC 4271 §6.2) */
    NS_BGP_MAL_UPD_WITHDRAWN, /* withdrawn routes length overruns */
    NS_BGP_MAL_UPD_ATTRS,     /* path attribute length overruns */
    NS_BGP_MAL_UPD_ATTR,      /* an attribute's own length overruns */
    NS_BGP_MAL_UPD_COMMUNITY, /* COMMUNITIES length not a multiple of 4 */
    NS_BGP_MAL_UPD_MP,        /* MP_REACH/MP_UNREACH fields cut short */
    NS_BGP_MAL_NOTIF_SHORT,   /* NOTIFICATION without code and subcode */
    NS_BGP_MAL_SHUTDOWN_TEXT, /* shutdown communication length overruns */
    NS_BGP_MAL_LENGTH,        /* length not allowed for this type */
    NS_BGP_MAL__COUNT
};

const char *ns_bgp_malformed_name(enum ns_bgp_malformed m);

struct ns_bgp_afisafi {
    uint16_t afi;
    uint8_t safi;
};

/* Capability bits in ns_bgp_open.caps (codes from the IANA registry). */
#define NS_BGP_CAP_MP            0x0001u /* 1: multiprotocol */
#define NS_BGP_CAP_ROUTE_REFRESH 0x0002u /* 2 */
#define NS_BGP_CAP_EXT_NH        0x0004u /* 5: extended next hop (RFC 8950) */
#define NS_BGP_CAP_EXT_MSG       0x0008u /* 6: extended messages (RFC 8654) */
#define NS_BGP_CAP_ROLE          0x0010u /* 9: BGP role (RFC 9234) */
#define NS_BGP_CAP_GR            0x0020u /* 64: graceful restart */
#define NS_BGP_CAP_AS4           0x0040u /* 65: 4-octet AS (RFC 6793) */
#define NS_BGP_CAP_ADD_PATH      0x0080u /* 69 (RFC 7911) */
#define NS_BGP_CAP_ENH_RR        0x0100u /* 70: enhanced route refresh */
#define NS_BGP_CAP_LLGR          0x0200u /* 71: long-lived graceful restart */
#define NS_BGP_CAP_FQDN          0x0400u /* 73: hostname */
#define NS_BGP_CAP_OTHER         0x8000u /* anything else */

struct ns_bgp_open {
    uint8_t version;
    uint16_t my_as;     /* the 2-octet field; AS_TRANS 23456 with AS4 */
    uint32_t asn;       /* the speaker's AS: the AS4 capability when present */
    uint16_t hold_time; /* seconds; 0 = no keepalives (RFC 4271 §4.2) */
    uint32_t bgp_id;    /* host order */
    uint32_t caps;      /* NS_BGP_CAP_* seen */
    uint8_t n_afisafi;  /* multiprotocol capabilities kept (up to the max) */
    struct ns_bgp_afisafi afisafi[NS_BGP_MAX_AFISAFI];
    uint8_t extended_params; /* RFC 9072 encoding used */
};

struct ns_bgp_update {
    uint16_t withdrawn_len; /* octets of IPv4 withdrawn routes */
    uint16_t attrs_len;     /* octets of path attributes */
    uint16_t nlri_len;      /* octets of IPv4 NLRI */
    uint16_t n_attrs;
    int32_t v4_withdrawn, v4_announced;    /* prefixes, -1 if the NLRI do not parse
                                              as plain prefixes (e.g. ADD-PATH) */
    uint16_t mp_reach_afi, mp_unreach_afi; /* 0 = attribute absent */
    uint8_t mp_reach_safi, mp_unreach_safi;
    int32_t mp_announced, mp_withdrawn; /* prefixes (unicast v4/v6), -1 unknown */
    uint32_t n_communities;
    uint8_t graceful_shutdown; /* COMMUNITIES holds 65535:0 (RFC 8326) */
    uint8_t end_of_rib;        /* RFC 4724 §2 marker (v4 or MP) */
};

struct ns_bgp_notification {
    uint8_t code, subcode;
    uint16_t data_len;
    uint8_t has_text; /* Cease 2/4 with an RFC 8203/9003 communication */
    uint8_t text_len;
    char text[NS_BGP_TEXT_MAX + 1]; /* raw octets, NUL appended */
};

struct ns_bgp_msg {
    uint8_t type; /* enum ns_bgp_type, or anything (unknown types parse as header only) */
    uint16_t len; /* whole message, header included */
    enum ns_bgp_malformed malformed;
    union {
        struct ns_bgp_open open;
        struct ns_bgp_update update;
        struct ns_bgp_notification notif;
        struct {
            uint16_t afi;
            uint8_t subtype, safi;
        } refresh;
    } u;
};

/*
 * Check the header at buf[0..len).  1 with *msg_len and *type set; 0 when
 * len < 19; NS_EFORMAT (err says why) when the marker is not all ones or the
 * length is below 19, below the type's minimum, or above `max_len`
 * (NS_BGP_MAX_LEN, or NS_BGP_EXT_MAX_LEN once extended messages are
 * negotiated or unknown).  OPEN and KEEPALIVE are capped at 4096 always
 * (RFC 8654 §3).
 */
int ns_bgp_header(const uint8_t *buf, size_t len, uint32_t max_len, uint16_t *msg_len,
                  uint8_t *type, struct ns_error *err);

/* Parse one message starting at buf (see the header comment for returns). */
int ns_bgp_parse(const uint8_t *buf, size_t len, uint32_t max_len, struct ns_bgp_msg *m,
                 struct ns_error *err);

/* Whether buf (len >= 16) begins with the all-ones marker. */
int ns_bgp_is_marker(const uint8_t *buf, size_t len);

/* Names for printing. */
const char *ns_bgp_type_name(unsigned type); /* "OPEN", ..., "UNKNOWN" */
const char *ns_bgp_afi_name(uint16_t afi);   /* "ipv4", "ipv6", "l2vpn", NULL */
/* "Cease/Administrative Shutdown", "Hold Timer Expired", ...; writes into buf. */
const char *ns_bgp_notification_name(uint8_t code, uint8_t subcode, char *buf, size_t cap);
/* "ipv4-unicast", "ipv6-unicast", "afi 25 safi 70"; writes into buf. */
const char *ns_bgp_afisafi_name(struct ns_bgp_afisafi a, char *buf, size_t cap);

#endif
