/*
 * export.h — the IPFIX exporting process (RFC 7011): flow records in,
 * IPFIX messages out to one or more collectors over UDP, TCP, TLS or DTLS.
 *
 * Design
 * ------
 * Each destination is its own IPFIX stream: its own message builder
 * (ipfix/msgbuild.h, the same one that writes files), so its own template
 * announcements and sequence numbers (RFC 7011 §3.1, per observation
 * domain and transport session), and its own transport (transport.h).
 * A record is encoded once per destination.
 *
 * Policies, all per exporting process:
 *  - message size: UDP messages never exceed the path MTU less the IP and
 *    UDP headers (RFC 7011 §10.3; 1500 → 1472 octets over IPv4, 1452
 *    over IPv6), DTLS ones also leave room for the DTLS record
 *    (NS_DTLS_OVERHEAD); TCP and TLS messages are up to 65535 octets.
 *  - template refresh over UDP (RFC 7011 §8.4, §10.3.6): every
 *    refresh_ns and every refresh_msgs messages, the type records and all
 *    templates are sent again.  Over TCP templates go once per connection,
 *    in front of whatever is queued.
 *  - delay: a record waits at most delay_ns in a message in formation;
 *    one_per_msg sends every record in a message of its own (RFC 5474
 *    §6.5 timeliness).
 *  - rate: a token bucket of `rate` records/s (burst rate/10, at least
 *    1); over the rate the exporter waits (offline input: back-pressure
 *    on the meter) or, with rate_drop, drops and counts the record.
 *  - statistics: every stats_ns and at close, an Exporting Process
 *    Reliability Statistics options record (RFC 7011 §4.3) per
 *    destination: exporter address and exportingProcessId as scope,
 *    exportedMessageTotalCount, exportedFlowRecordTotalCount,
 *    exportedOctetTotalCount, notSentFlowTotalCount and the time.
 *
 * Nothing is hidden: records refused by a transport (TCP queue full or
 * disconnected, UDP send error), dropped by the rate limit, or still
 * queued when close gives up after linger_ns are counted per destination.
 *
 * Time: the exporter reads a monotonic clock (config.clock, for tests) at
 * every record and once a millisecond runs its timers and the
 * transports; ns_exporter_poll() does the same for callers with no
 * records to give (a live probe's idle moments).
 *
 * Errors: new fails on a bad URL or option (NS_EINVAL, message names the
 * URL) or an unresolvable host; afterwards only encoding errors are
 * returned, network trouble is counted.  Ownership: new allocates,
 * close frees; no allocation per record.
 */
#ifndef NS_EXPORT_EXPORT_H
#define NS_EXPORT_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "export/transport.h"
#include "ipfix/msg.h"
#include "record/record.h"
#include "util/err.h"

#define NS_EXPORT_MAX_DESTS 16
#define NS_EXPORT_STATS_TID 0xFF02u /* statistics options template */

struct ns_export_config {
    const char *const *dests; /* URLs: udp://, tcp://, tls://, dtls://H:P */
    size_t ndests;
    uint32_t obs_domain;
    unsigned mtu;          /* path MTU for UDP (0: 1500; at least 576) */
    uint64_t refresh_ns;   /* UDP template refresh interval (0: off) */
    uint32_t refresh_msgs; /* UDP: also every N messages (0: off) */
    uint64_t delay_ns;     /* max wait in a message in formation (0: none) */
    int one_per_msg;
    double rate; /* records/s, 0: unlimited */
    int rate_drop;
    uint64_t stats_ns;  /* statistics record interval (0: only at close) */
    uint64_t linger_ns; /* at close: time allowed to deliver what is queued */
    struct ns_xport_opts xport;
    uint64_t (*clock)(void *ctx); /* monotonic ns; NULL: CLOCK_MONOTONIC */
    void *clock_ctx;
};

struct ns_export_dest_stats {
    const char *url;
    struct ns_xport_counts c; /* delivered, dropped by the transport, sessions */
    uint64_t rate_dropped;    /* records dropped by the rate limit */
    uint64_t refreshes;       /* template refreshes (UDP) or sessions (TCP) */
    uint64_t stats_records;   /* statistics options records sent */
    size_t templates;
    int up;               /* the transport is connected (datagram: always) */
    char last_error[160]; /* TLS/DTLS: why the last handshake or session failed */
};

void ns_export_config_default(struct ns_export_config *c);

struct ns_exporter;

int ns_exporter_new(struct ns_exporter **x, const struct ns_export_config *c, struct ns_error *err);
int ns_exporter_add(struct ns_exporter *x, const struct ns_record *r, struct ns_error *err);
/* Records the caller encodes (ipfix/msgbuild.h raw templates: PSAMP packet
 * reports and their options records), sent to every destination under the
 * same delay and template rules as flow records; the rate limit applies to
 * data records, never to options records (they say how to read the rest).  register
 * returns the index for add_raw. */
int ns_exporter_register(struct ns_exporter *x, uint16_t tid, uint16_t scope_count,
                         const struct ns_field_spec *f, uint16_t n, struct ns_error *err);
int ns_exporter_add_raw(struct ns_exporter *x, int idx, const uint8_t *rec, size_t len,
                        struct ns_error *err);
/* Run timers and transports without a record (e.g. while idle). */
int ns_exporter_poll(struct ns_exporter *x, struct ns_error *err);
size_t ns_exporter_ndests(const struct ns_exporter *x);
void ns_exporter_stats(const struct ns_exporter *x, size_t i, struct ns_export_dest_stats *st);
/* Send the final statistics, flush, deliver for up to linger_ns, close;
 * st (may be NULL, else ns_exporter_ndests entries) gets the final
 * counts.  Frees x always. */
int ns_exporter_close(struct ns_exporter *x, struct ns_export_dest_stats *st, struct ns_error *err);

/* An options record to every destination (template registered and sent
 * on first use, and again with the others on refresh): e.g. the metering
 * and flow selection statistics of fsel/optrec.h. */
struct ns_field_spec;
int ns_exporter_opt(struct ns_exporter *x, uint16_t tid, uint16_t scope_count,
                    const struct ns_field_spec *f, uint16_t n, const uint8_t *rec,
                    struct ns_error *err);

/* Record sink adaptor (meter.h ns_record_sink signature). */
int ns_exporter_sink(void *x, const struct ns_record *r, struct ns_error *err);

#endif
