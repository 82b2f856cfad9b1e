/*
 * probe.h — the offline measurement pipeline behind `netsift probe`:
 *
 *   capture (files, BPF) → decode (pkt/) → meter (meter/) → IPFIX writer
 *
 * One call runs the whole thing over the inputs and fills ns_probe_stats.
 * A damaged input file does not stop the run: its complete packets are
 * metered, the damage is reported through the `warn` callback, and the run
 * returns NS_ETRUNC at the end (after every flow was written) so the
 * command can exit non-zero while losing nothing.
 *
 * Ownership: the caller owns the config strings; nothing is kept after
 * ns_probe_run() returns.
 */
#ifndef NS_PROBE_PROBE_H
#define NS_PROBE_PROBE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/live.h"
#include "meter/meter.h"
#include "pkt/pkt.h"
#include "probe/pub.h"
#include "select/select.h"
#include "util/err.h"

/* A further consumer of every record (network export, ...): called after
 * the file writer, in the order listed; an error stops the run. */
struct ns_field_spec;

struct ns_probe_sink {
    int (*add)(void *ctx, const struct ns_record *rec, struct ns_error *err);
    void *ctx;
    /* Options records (may be NULL): the statistics of fsel/optrec.h. */
    int (*opt)(void *ctx, uint16_t tid, uint16_t scope_count, const struct ns_field_spec *f,
               uint16_t n, const uint8_t *rec, struct ns_error *err);
};

struct ns_xsel;

struct ns_probe_config {
    const char *const *inputs; /* pcap/pcapng paths, "-" = stdin */
    size_t ninputs;
    const char *bpf;                   /* capture filter, may be NULL */
    const char *output;                /* IPFIX file path, "-" = stdout, NULL = none */
    const struct ns_probe_sink *sinks; /* more consumers of the records */
    size_t nsinks;
    int zstd_level; /* 0 = uncompressed */
    uint32_t observation_domain;
    struct ns_meter_config meter;
    /* Packet selection in front of the meter (select/select.h), or NULL.
     * Owned by the caller, who reads its counters and estimates after the
     * run; records then carry the chain's sampling fraction (NS_RG_SAMP). */
    struct ns_sel_chain *select;
    /* Flow selection at export (fsel/xsel.h), or NULL; owned by the
     * caller, who reads its counters after the run. */
    struct ns_xsel *xsel;
    /* Write the metering/flow selection statistics options records
     * (fsel/optrec.h) to the file and the sinks: at the end, and every
     * stats_ns of packet time before (0: only at the end). */
    int stats_records;
    uint64_t stats_ns;
    /* ... to the file only, not to the sinks (live capture's kernel drops
     * when the statistics were not asked for: some collectors count
     * options records in the sequence numbers differently) */
    int stats_file_only;
    /* Called now and then with progress (may be NULL). */
    void (*progress)(void *ctx, const char *file, uint64_t done, uint64_t total, uint64_t packets);
    /* Called for each non-fatal problem (damaged input file). */
    void (*warn)(void *ctx, const char *msg);
    void *ctx;
    /* Live capture (capture/live.h): used instead of `inputs` when
     * live.nifaces > 0 (live.bpf is taken from `bpf`).  It runs until *stop
     * becomes non-zero (a signal handler sets it), duration_ns passed or
     * max_packets were read (0 = no limit); then every flow is flushed and
     * the output closed as at the end of a file. */
    struct ns_live_config live;
    /* A C11 atomic, not a volatile sig_atomic_t: the flag is written by
     * a signal handler and read by other threads (every live reader), and
     * only an atomic makes that free of a data race (C11 5.1.2.4); a
     * lock-free atomic store is async-signal-safe (C11 7.14.1.1). */
    const atomic_int *stop;
    uint64_t duration_ns, max_packets;
    /* Multi-core (probe/workers.c): workers > 1 spreads the packets over
     * that many flow caches, each metered by a thread of its own, by a
     * symmetric hash (probe/dispatch.h for files; `live.fanout` for live
     * capture, NS_FANOUT_CBPF with dispatch.h's program when left
     * NS_FANOUT_NONE).  The meter's
     * max_flows is shared evenly among them.  Records still leave through
     * one writer and one set of exporters. */
    uint32_t workers;
    /* Operations (all optional).  `pub`: live counters for other threads
     * (pub.h).  `opened`: called once the capture and the output are open,
     * before the first packet is read (drop privileges, tell a waiting
     * parent we run); negative stops the run.  `between`: called by the
     * metering thread after each batch or clock tick, the one moment the
     * meter and the sinks are not in use (apply a reloaded configuration:
     * ns_meter_set_timeouts, swap a sink's destinations); negative stops. */
    struct ns_probe_pub *pub;
    int (*opened)(void *ctx, struct ns_error *err);
    int (*between)(void *ctx, struct ns_meter *m, struct ns_error *err);
    /* workers > 1: `between` is called by the one writer thread with m
     * NULL (after each chunk of records, and at least every 100 ms), and
     * meter_between by each worker's thread after each of its batches,
     * with its own meter (apply reloaded timeouts); may be NULL. */
    int (*meter_between)(void *ctx, unsigned worker, struct ns_meter *m, struct ns_error *err);
    void *ops_ctx;
};

#define NS_PROBE_MAX_WORKERS 64

/* What one worker did (workers > 1). */
struct ns_probe_worker_stats {
    uint64_t packets;      /* metered */
    uint64_t flows;        /* created */
    uint64_t records;      /* emitted by its meter */
    uint64_t kernel_seen;  /* live: frames the kernel gave its sockets (all interfaces) */
    uint64_t kernel_drops; /* live: frames its sockets' rings had no room for */
    uint64_t cpu_read_ns, cpu_meter_ns;
};

struct ns_probe_stats {
    uint64_t packets;                  /* frames metered (after the capture filter) */
    uint64_t filtered;                 /* rejected by the capture filter */
    uint64_t ip;                       /* frames with an IP header */
    uint64_t non_ip;                   /* frames without IP (ARP, STP, unknown link) */
    uint64_t malformed[NS_MAL__COUNT]; /* by reason; [0] unused */
    uint64_t records;                  /* IPFIX data records written */
    uint32_t damaged_files;
    /* CPU time (user + system) of the two threads: the reader (capture,
     * decode, flow key) and the meter (lookup, accounting, export), so an
     * operator sees which side limits the rate. */
    uint64_t cpu_read_ns, cpu_meter_ns;
    struct ns_meter_stats meter;
    struct ns_live_stats live; /* live capture: per-interface kernel counters, drops */
    /* workers > 1: per worker (the totals above are their sums) */
    uint32_t nworkers;
    struct ns_probe_worker_stats worker[NS_PROBE_MAX_WORKERS];
};

void ns_probe_config_default(struct ns_probe_config *c);

int ns_probe_run(const struct ns_probe_config *c, struct ns_probe_stats *st, struct ns_error *err);

#endif
