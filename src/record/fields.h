/*
 * fields.h — named fields of a struct ns_record, for printing, sorting and
 * filtering.
 *
 * Each field has an Argus-style short name (`saddr`, `pkts`, `sloss`, ...)
 * and, where one exists, the IPFIX Information Element name it corresponds
 * to (`sourceIPv4Address`, `packetDeltaCount`, `reverseOctetDeltaCount`,
 * netsift's enterprise names such as `lossPackets`); both names select the
 * field.  A getter turns a record into a typed value, or says the field is
 * absent in this record (its group is missing, or it does not apply: the
 * IPv6 source of an IPv4 flow).
 *
 * The table is static and read-only; lookups are by name.
 */
#ifndef NS_RECORD_FIELDS_H
#define NS_RECORD_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "record/record.h"

enum ns_value_kind {
    NS_V_U64,  /* unsigned counter or id */
    NS_V_I64,  /* signed (loss) */
    NS_V_F64,  /* seconds, milliseconds, percent */
    NS_V_TIME, /* ns since the epoch */
    NS_V_ADDR, /* IP address: 4 or 16 bytes */
    NS_V_MAC,
    NS_V_STR /* short text: proto name, state, dir, flags */
};

struct ns_value {
    enum ns_value_kind kind;
    union {
        uint64_t u;
        int64_t i;
        double f;
    };
    uint8_t addr[16];
    uint8_t addr_len; /* 4 or 16 for NS_V_ADDR, 6 for NS_V_MAC */
    uint8_t prefix;   /* NS_V_ADDR: prefix length of an aggregate, 0 = whole address */
    char s[24];
};

struct ns_field {
    const char *name;    /* Argus-style short name */
    const char *ie_name; /* IPFIX IE name, or NULL */
    const char *help;    /* one line for --help */
    int width;           /* table column width */
    /* Returns 1 and fills v when present, 0 when absent. */
    int (*get)(const struct ns_record *r, const struct ns_field *f, struct ns_value *v);
    /* Parameters of the generic getters: the group the field needs, the
     * direction (0, 1, or -1 for the sum of both) and the member offset. */
    uint32_t group;
    int dir;
    size_t off;
};

/* Evaluate field `f` on `r`: 1 and *v filled when present, 0 when absent. */
int ns_field_get(const struct ns_field *f, const struct ns_record *r, struct ns_value *v);

/* The kind of value field `f` gives (its getter asked on full records of
 * IPv4 TCP, IPv6 ICMPv6 and IPv4 ICMP); NS_V_U64 if it answers none. */
enum ns_value_kind ns_field_kind(const struct ns_field *f);

/* By short name or IE name (case-sensitive, as IE names are). NULL if none. */
const struct ns_field *ns_field_find(const char *name);

/* The whole table, for --help. */
const struct ns_field *ns_field_table(size_t *n);

/* Format a value as text (no padding).  Times as UTC
 * "YYYY-MM-DD HH:MM:SS.nnnnnnnnn" when `epoch_times` is 0, else as
 * "seconds.nanoseconds".  Returns the length written. */
size_t ns_value_format(const struct ns_value *v, int epoch_times, char *buf, size_t len);

/* Argus-style TCP/UDP/ICMP state of a record ("CON", "FIN", "RST", "REQ",
 * "ACC", "INT", "ECO", "ECR", ...). */
const char *ns_record_state(const struct ns_record *r);

#endif
