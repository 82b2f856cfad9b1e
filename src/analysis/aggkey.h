/*
 * aggkey.h — the key of an aggregation (racluster -m): which fields make two
 * records "the same" so that they merge.
 *
 * Design
 * ------
 * A key is a list of record fields (fields.h names: `proto`, `saddr`,
 * `dport`, `sttl`, `state`, any of them), where an address may be cut to a
 * prefix: `saddr/24` cuts IPv4 to /24 and IPv6 to /24, `saddr/24/64` cuts
 * IPv4 to /24 and IPv6 to /64.  `none` is the empty key: one grand total.
 * The default key, `flow`, is the flow key plus flowId, so the status
 * records of a flow merge back into it while a later flow on the same
 * 5-tuple stays apart.
 *
 * Applying a key to a record happens in two steps:
 *   1. ns_aggkey_project() cuts addresses to their prefixes and turns every
 *      key component (record.h NS_RK_*) the key does not name into a
 *      wildcard, as RFC 7015 §5.1 removes non-key fields; the record that
 *      comes out is what the aggregate will show;
 *   2. ns_aggkey_bytes() serialises the key fields' values into bytes that
 *      are equal exactly when the keys are, for hashing.  The flow-key
 *      fields take a fast path that reads the record directly (a protocol
 *      is its number, not its printed name); the rest go through the field
 *      getters of fields.h.
 * The key bytes are computed from the prefix-cut record before wildcarding,
 * so a field that is a key part is never read from a wildcard.
 *
 * Ownership: a struct ns_aggkey is a plain value (no allocation).
 */
#ifndef NS_ANALYSIS_AGGKEY_H
#define NS_ANALYSIS_AGGKEY_H

#include <stddef.h>
#include <stdint.h>

#include "record/fields.h"
#include "util/err.h"

#define NS_AGGKEY_MAX_PARTS 16
/* Upper bound of ns_aggkey_bytes() output. */
#define NS_AGGKEY_MAX_BYTES (NS_AGGKEY_MAX_PARTS * 26)

struct ns_aggkey_part {
    const struct ns_field *f;
    uint8_t p4, p6; /* address prefix lengths; 0 = whole address */
    /* How ns_aggkey_bytes serialises it: a key-group member read straight
     * from the record (aggkey.c enum part_kind), or 0: through ns_field_get. */
    uint8_t kind;
    uint8_t dir;  /* 0 initiator (saddr, sport), 1 responder */
    uint8_t want; /* addresses: 4 or 6 for srcv4/srcv6..., 0 either; ports:
                     1 for the IPFIX port IEs (absent for ICMP) */
};

struct ns_aggkey {
    size_t n;
    struct ns_aggkey_part part[NS_AGGKEY_MAX_PARTS];
    uint8_t keep; /* NS_RK_* components named by the key */
};

/* Parse "saddr/24,proto", "none" or "flow"; NULL or "" is "flow". */
int ns_aggkey_parse(struct ns_aggkey *k, const char *list, struct ns_error *err);

/* Cut addresses to their prefixes (step 1a). */
void ns_aggkey_prefix(const struct ns_aggkey *k, struct ns_record *r);
/* Wildcard the components the key does not keep (step 1b). */
void ns_aggkey_wildcard(const struct ns_aggkey *k, struct ns_record *r);
/* Serialise the key of r into buf (NS_AGGKEY_MAX_BYTES); returns the length.
 * Key-group members (proto, ipver, addresses, ports, vlan) are read straight
 * from the record; every other field goes through ns_field_get. */
size_t ns_aggkey_bytes(const struct ns_aggkey *k, const struct ns_record *r, uint8_t *buf);
/* The reference: every part through ns_field_get.  Its bytes differ from
 * ns_aggkey_bytes', but two records have equal bytes under one exactly when
 * they do under the other (tests check this). */
size_t ns_aggkey_bytes_slow(const struct ns_aggkey *k, const struct ns_record *r, uint8_t *buf);

/* A comma-separated field list naming the key parts (for printing), into
 * buf of len bytes. */
void ns_aggkey_fields(const struct ns_aggkey *k, char *buf, size_t len);

#endif
