/*
 * meter.h — the flow metering process: decoded packets in, biflow records out.
 *
 * Design
 * ------
 * The meter keeps a flow cache of a fixed budget allocated at create time
 * (flows, TCP tracking state, ESP/RTP sequence state, fragment table); the
 * per-packet path allocates nothing, computes the key hash once and never
 * scans.  Records (struct ns_record, record/record.h) leave through a
 * callback as flows end or report status.
 *
 * Flow key (RFC 5103 biflows): IP version, protocol, addresses, ports,
 * ICMP type/code (ports 0), outermost VLAN id; the two directions share one
 * canonical entry (meter/key.h).  ICMP echo/timestamp/information/mask and
 * ICMPv6 echo request/reply are one biflow keyed on the request type with
 * the requester as initiator.  Otherwise the initiator is the sender of the
 * first packet, unless that packet is a SYN without ACK (then record.syn_seen
 * = 1; the SYN sender is the initiator either way).
 *
 * Packets with NS_PKT_F_IP but no transport (malformed or truncated
 * transport header) are counted in a flow with ports 0 (ICMP type/code 0)
 * and no TCP/loss state.  Packets without NS_PKT_F_IP are only counted in
 * the stats.  Non-first fragments are counted in the flow of their
 * datagram's first fragment (meter/frag.h); fragments whose first never
 * arrives go to the ports-0 flow when their entry expires or is evicted.
 *
 * Expiry, all O(1) per expired flow, checked each time a packet advances the
 * meter clock (the largest timestamp seen; records carry packet times):
 *   - idle: no packet for idle_ns (tcp_idle_ns for flows with TCP state) ->
 *     NS_END_IDLE.  Two idle lists (TCP / other) in last-seen order.
 *   - active (status): every status_ns from the flow's start a status record
 *     NS_END_ACTIVE with the deltas since the previous record, only when
 *     something happened since (Argus's rule).  If the clock jumps past a
 *     whole interval the next report is status_ns after the jump (or up to
 *     one interval later, to keep the list ordered without a scan).  One list
 *     in report order.  When a flow is due for both in one clock step, idle
 *     expiry comes first and its record absorbs the interval.
 *   - TCP end: after FIN in both directions or an RST the flow lingers
 *     tcp_linger_ns (absorbing the last ACK and retransmitted FIN/RST), then
 *     NS_END_EOF.  A SYN with a new ISN during the linger ends the old flow at
 *     once and starts a new one (port reuse).
 *   - end of input (ns_meter_flush): NS_END_FORCED for every flow, except
 *     lingering TCP flows, whose end was seen: NS_END_EOF.
 *
 * Cache full (RFC 7014 "flow selection under resource limits"): a new flow
 * with no free entry first takes the slot of a lingering TCP flow (exported
 * as NS_END_EOF, its end was seen), else the least recently used flow is
 * exported early with NS_END_RESOURCE.  The same happens within TCP flows
 * when the TCP state pool is full.  Either way nothing is lost: every packet
 * is in exactly one record, and stats count the events.  When the ESP/RTP
 * pool is full the flow is metered without sequence loss (counted).
 *
 * Other policies when the cache is full (RFC 7014 §5 "flow selection under
 * resource limits", cache_policy; the lingering TCP flows are reclaimed
 * first under every policy, exported NS_END_EOF: their end was seen):
 *   - NS_CACHE_DROP_NEW: the packet that would open a new flow is not
 *     measured ("flow-state dependent" selection, RFC 7014 §6.2);
 *   - NS_CACHE_EVICT_LRU / _SMALLEST / _OLDEST: a flow is removed WITHOUT
 *     export to make room: the least recently used, the one with the fewest
 *     octets among the 8 least recently used of each idle list (a bounded
 *     look, like Redis's sampled eviction: no scan, no heap), or the
 *     first created (an age list, kept only under this policy);
 *   - NS_CACHE_SAMPLE_HOLD (Estan & Varghese 2002): a packet of a flow not
 *     in the cache opens one with probability 1 - exp(-octets / sh_octets)
 *     (each octet sampled with p = 1/sh_octets), then every packet of the
 *     flow is counted; a full cache refuses new flows (as drop-new).
 * A multistage filter (Estan & Varghese; ms_stages > 0) can sit in front of
 * any policy: a packet of a flow not in the cache adds its octets to one
 * counter per stage (conservative update) and opens the flow only when all
 * its counters reach ms_threshold; counters restart every ms_interval_ns.
 * All this runs only when a packet misses the cache: a packet of a cached
 * flow does no more work than without a policy.
 *
 * What was left out is counted exactly (draft-molina-flow-selection-00
 * §3, struct ns_meter_fsel): unmeasured packets/octets with first/last
 * time, flows removed without export with their packets/octets, first/last
 * packet and first/last eviction time, and what left in records.  With
 * ns_meter_cached() they satisfy at any moment:
 *   observed = ignored + evicted + exported + cached   (packets, octets)
 *   created  = evicted flows + final records exported + cached flows
 * where observed packets are packets - non_ip and cached includes pending
 * fragments (counted in packets and octets, not in flows).
 *
 * A flow's final record is emitted even when it carries no packets (the
 * status record before took them all): it says how the flow ended.
 *
 * Errors: create returns NS_EINVAL/NS_ENOMEM with a message.  A negative
 * return from the sink is returned at once by packet/flush with the sink's
 * message; the flow whose record failed has left the cache, the rest is
 * intact and the meter can go on.
 *
 * Ownership: the meter owns all its memory; the record passed to the sink is
 * valid only during the call.  Not thread-safe; one meter per thread.
 */
#ifndef NS_METER_METER_H
#define NS_METER_METER_H

#include <stdint.h>

#include "meter/key.h"
#include "meter/seqloss.h"
#include "pkt/pkt.h"
#include "record/record.h"
#include "util/err.h"

struct ns_meter_config {
    uint64_t idle_ns;       /* idle timeout, non-TCP flows; default 30 s (Argus IP timeout) */
    uint64_t tcp_idle_ns;   /* idle timeout, TCP flows; default 60 s (Argus TCP timeout) */
    uint64_t status_ns;     /* status interval (active timeout); default 60 s; 0 = off
                               (Argus's own default is 5 s, `argus -S 5`) */
    uint64_t tcp_linger_ns; /* after FIN/FIN or RST; default 3 s (covers the 1 s
                               initial RTO of RFC 6298 and one backoff) */
    uint64_t frag_ns;       /* fragment entry lifetime; default 15 s (RFC 791's
                               initial reassembly timer) */
    uint32_t max_flows;     /* flow cache budget; default 65536 */
    uint32_t max_tcp;       /* TCP state pool; 0 = max_flows (default) */
    uint32_t max_seq;       /* ESP/RTP state pool; 0 = max_flows / 4 (default) */
    uint32_t max_frags;     /* fragment table; default 1024 */
    uint64_t hash_seed;     /* key hash seed; vary it against hash flooding */
    /* flow selection under resource limits (above); zero = the default */
    uint8_t cache_policy;    /* enum ns_cache_policy */
    double sh_octets;        /* sample and hold: mean octets between samples */
    uint32_t ms_stages;      /* multistage filter: stages (0 = off), at most 8 */
    uint32_t ms_buckets;     /* counters per stage */
    uint64_t ms_threshold;   /* octets a flow needs in every stage */
    uint64_t ms_interval_ns; /* counters restart this often (0 = never) */
    uint64_t fsel_seed;      /* random admission (sample and hold) */
};

enum ns_cache_policy {
    NS_CACHE_EXPORT = 0, /* emergency expiry: the LRU flow exported early */
    NS_CACHE_DROP_NEW = 1,
    NS_CACHE_EVICT_LRU = 2,
    NS_CACHE_EVICT_SMALLEST = 3,
    NS_CACHE_EVICT_OLDEST = 4,
    NS_CACHE_SAMPLE_HOLD = 5,
    NS_CACHE__COUNT
};

/* What was left out and what went out (Molina's counters, see above).
 * Times are packet times (ns), event times the meter clock; 0 = none. */
struct ns_meter_fsel {
    uint64_t obs_octets;                   /* IP octets given to the meter */
    uint64_t ign_pkts, ign_octets;         /* not measured */
    uint64_t ign_first_ns, ign_last_ns;    /* their first/last packet */
    uint64_t ev_flows, ev_pkts, ev_octets; /* removed without export */
    uint64_t ev_first_ns, ev_last_ns;      /* first/last packet in them */
    uint64_t ev_first_event_ns, ev_last_event_ns;
    uint64_t out_records, out_flows;     /* records emitted; of them final */
    uint64_t out_pkts, out_octets;       /* in the records emitted */
    uint64_t ms_refused, sh_refused;     /* packets refused by the filter, by sampling */
    uint64_t full_refused, full_evicted; /* cache-full events: refused, evicted */
};

struct ns_meter_stats {
    uint64_t packets; /* given to ns_meter_packet */
    uint64_t non_ip;  /* without NS_PKT_F_IP: not metered */
    uint64_t no_l4;   /* IP without transport: in a ports-0 flow */
    uint64_t flows_created;
    uint64_t flows_active;     /* in the cache now */
    uint64_t records[6];       /* emitted, by end reason (index = enum ns_end_reason) */
    uint64_t cache_full;       /* flows exported early: flow cache full */
    uint64_t tcp_full;         /* flows exported early: TCP state pool full */
    uint64_t seq_full;         /* flows left without ESP/RTP loss: pool full */
    uint64_t frag_hits;        /* non-first fragments that found their first */
    uint64_t frag_misses;      /* non-first fragments held as pending */
    uint64_t frag_evictions;   /* entries evicted because the table was full */
    uint64_t frag_orphans;     /* datagrams whose first fragment never came */
    uint64_t frag_orphan_pkts; /* their fragments (counted in ports-0 flows) */
    uint64_t tcp_hole_overflow;
    uint64_t memory_bytes; /* everything allocated at create */
    uint32_t flow_bytes;   /* per flow: entry + hash bucket */
    uint32_t tcp_bytes;    /* extra per TCP flow */
    uint32_t seq_bytes;    /* extra per ESP/RTP flow */
    struct ns_meter_fsel fs;
};

struct ns_meter;

void ns_meter_config_default(struct ns_meter_config *c);

/* Receives each record; return negative NS_E* (and fill err) to stop. */
typedef int (*ns_record_sink)(void *ctx, const struct ns_record *rec, struct ns_error *err);

/* Allocate a meter and its whole budget.  `c` NULL means defaults. */
int ns_meter_create(struct ns_meter **m, const struct ns_meter_config *c, ns_record_sink sink,
                    void *ctx, struct ns_error *err);

/* Meter one packet: advance the clock to p->ts_ns, expire what is due, count p. */
int ns_meter_packet(struct ns_meter *m, const struct ns_pkt *p, struct ns_error *err);

/*
 * Work done ahead, possibly on another thread.  Building a packet's flow
 * key and hashing it depends only on the packet and the meter's hash seed,
 * so a reading thread can do it (ns_meter_prepare) while the metering
 * thread is busy; ns_meter_packet_prepared() then skips it.  Results are
 * the same as ns_meter_packet()'s.  `valid` is 0 for packets the shortcut
 * does not cover (fragments, no transport header, not IP): they take the
 * ordinary path.
 */
struct ns_meter_prep {
    struct ns_flow_key key;
    uint32_t hash;
    uint8_t side; /* canonical side of the packet's source */
    uint8_t valid;
    struct ns_rtp_hdr rtp;      /* UDP: ns_rtp_peek() */
} __attribute__((aligned(64))); /* one cache line each: made on one core, read on another */

uint64_t ns_meter_hash_seed(const struct ns_meter *m);

/*
 * Map the next 2 MiB of the flow or TCP pool ahead of what the meter has
 * used, if it is not mapped yet: the kernel zeroes a new page on its first
 * touch, and a large run spent a tenth of its metering time there.  For
 * the metering thread when it would otherwise wait for packets (the probe
 * calls it before sleeping on an empty ring), so that work moves to time
 * that was idle.  How far ahead: as much again as is used, at most 4 MiB
 * a pool, so a small run maps little more than it needs.  Returns 1 when
 * it mapped something, 0 when there was nothing to do.  Only a hint (see
 * ns_bigmem_populate): results never depend on it.
 */
int ns_meter_prefault(struct ns_meter *m);

void ns_meter_prepare(const struct ns_pkt *p, uint64_t hash_seed, struct ns_meter_prep *out);
int ns_meter_packet_prepared(struct ns_meter *m, const struct ns_pkt *p,
                             const struct ns_meter_prep *pr, struct ns_error *err);

/*
 * A batch of prepared packets (pkts[i] with prep[i]) in one call: the same
 * results as ns_meter_packet_prepared() on each in turn; stops at the first
 * error.  Metering a packet waits mostly on cache misses (the hash bucket,
 * the flow entry, its TCP or sequence state), so the loop fetches the
 * bucket of a packet some places ahead, the flow entry of one a few places
 * ahead (its bucket is in cache by then) and the state, and for RTP
 * detection the payload, of a nearer one: the misses of several packets
 * overlap instead of adding up.
 *
 * `ticks` (NULL: none) are clock steps to take between packets: at[k] ==
 * i means ns_meter_advance(ns[k]) before pkts[i], at[k] == n after the
 * last (--workers: the other workers' packets move every clock).
 */
struct ns_meter_ticks {
    const uint32_t *at;
    const uint64_t *ns;
    uint32_t n;
};
int ns_meter_batch(struct ns_meter *m, const struct ns_pkt *pkts, const struct ns_meter_prep *prep,
                   uint32_t n, const struct ns_meter_ticks *ticks, struct ns_error *err);

/* Advance the clock without a packet (e.g. idle capture) and expire. */
int ns_meter_advance(struct ns_meter *m, uint64_t now_ns, struct ns_error *err);

/* End of input: every flow out (see above); the meter stays usable. */
int ns_meter_flush(struct ns_meter *m, struct ns_error *err);

void ns_meter_get_stats(const struct ns_meter *m, struct ns_meter_stats *s);

/* The meter clock: the largest packet time seen (or advanced to). */
uint64_t ns_meter_now(const struct ns_meter *m);

/* What the cache holds now and has not exported: flows, and the packets
 * and octets in them and in pending fragments.  O(flows): for reports. */
void ns_meter_cached(const struct ns_meter *m, uint64_t *flows, uint64_t *pkts, uint64_t *octets);

/* Policy names for options and reports: "drop-new", "evict-lru", ... */
const char *ns_cache_policy_name(enum ns_cache_policy p);
int ns_cache_policy_parse(const char *s, enum ns_cache_policy *p);
/*
 * Change the timeouts of a running meter (configuration reload) without
 * touching its flows.  Idle timeouts apply at once to every flow (the idle
 * lists are in last-packet order whatever the timeout).  A new status
 * interval applies from each flow's next report; a shorter one also
 * brings reports due later than now + interval forward to it, so the
 * status list stays in report order (one walk over it, at the call).
 * Turning status reports on or off (0 <-> non-zero) is NS_EUNSUP: flows
 * would have to join or leave the status list; that needs a restart.
 */
int ns_meter_set_timeouts(struct ns_meter *m, uint64_t idle_ns, uint64_t tcp_idle_ns,
                          uint64_t status_ns, struct ns_error *err);

void ns_meter_destroy(struct ns_meter *m);

#endif
