/*
 * frag.h — the bounded, time-limited IP fragment table.
 *
 * Design
 * ------
 * Only the first fragment of a datagram carries the transport header, so
 * the meter remembers, per datagram (IP version, source, destination,
 * protocol, identification, VLAN — the RFC 791 §3.2 / RFC 8200 §4.5
 * reassembly key), the ports learnt from it.  Later fragments look the entry
 * up and are counted in the same flow.  Fragments that arrive before the
 * first are held as pending counts in the entry (packets, octets, first/last
 * time, TTL) and added to the flow when the first fragment arrives.
 *
 * The table is a fixed array allocated at init with index-chained hashing
 * and an age list in creation order: every entry lives at most the meter's
 * frag timeout (constant, so the age list is also the expiry order; no
 * scan).  When full, the oldest entry is evicted.  An entry is removed early
 * once the first fragment has been seen and the fragments' payload octets
 * cover the datagram length learnt from the last fragment.
 *
 * What happens to the pending counts of an entry that expires or is evicted
 * without its first fragment is the meter's policy (meter.c): they go to a
 * flow with ports 0.
 *
 * Errors: init returns NS_ENOMEM/NS_EINVAL with a message; nothing else fails.
 */
#ifndef NS_METER_FRAG_H
#define NS_METER_FRAG_H

#include <stddef.h>
#include <stdint.h>

#include "pkt/pkt.h"
#include "util/err.h"

struct ns_frag_key {
    uint8_t src[16], dst[16];
    uint32_t id;
    uint16_t vlan;
    uint8_t ip_version, proto;
};

struct ns_frag_entry {
    struct ns_frag_key key;
    uint64_t created_ns;
    /* pending fragments seen before the first one */
    uint64_t pend_pkts, pend_octets, pend_l2, pend_first, pend_last;
    uint32_t hash, hnext, prev, next;
    uint32_t total; /* datagram payload length (from the last fragment), 0 unknown */
    uint32_t got;   /* payload octets seen in fragments */
    uint16_t sport, dport;
    uint8_t icmp_type, icmp_code;
    uint8_t has_first, in_use, pend_ttl_min, pend_ttl_max, pend_tos;
};

struct ns_frag_table {
    struct ns_frag_entry *e;
    uint32_t *bucket;
    uint32_t mask, cap, used, free_head, head, tail;
    uint64_t seed;
};

#define NS_FRAG_NIL UINT32_MAX

int ns_frag_table_init(struct ns_frag_table *t, uint32_t cap, uint64_t seed, struct ns_error *err);
void ns_frag_table_free(struct ns_frag_table *t);
size_t ns_frag_table_bytes(const struct ns_frag_table *t);

void ns_frag_key_make(struct ns_frag_key *k, const struct ns_pkt *p);
uint32_t ns_frag_key_hash(const struct ns_frag_table *t, const struct ns_frag_key *k);

struct ns_frag_entry *ns_frag_find(struct ns_frag_table *t, const struct ns_frag_key *k,
                                   uint32_t h);
/* Insert a zeroed entry; the table must not be full (used < cap). */
struct ns_frag_entry *ns_frag_insert(struct ns_frag_table *t, const struct ns_frag_key *k,
                                     uint32_t h, uint64_t now);
/* Oldest entry, or NULL when empty. */
struct ns_frag_entry *ns_frag_oldest(struct ns_frag_table *t);
void ns_frag_remove(struct ns_frag_table *t, struct ns_frag_entry *e);

/* Account a fragment's payload octets; returns 1 when the datagram is complete. */
int ns_frag_account(struct ns_frag_entry *e, const struct ns_pkt *p);

#endif
