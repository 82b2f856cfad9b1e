/*
 * capture.h — packets from pcap and pcapng files, in order, via libpcap.
 *
 * A capture source is a list of files read one after another ("-" is
 * standard input).  Each packet comes out as the frame bytes plus an
 * ns_pkt whose capture metadata (ts_ns, caplen, wirelen) is filled and whose
 * decode is done by the caller (so selection can happen before decoding).
 *
 * Timestamps are kept at nanosecond precision: files are opened with
 * PCAP_TSTAMP_PRECISION_NANO, so microsecond files are scaled up and
 * nanosecond files (magic a1b23c4d, pcapng if_tsresol) are kept whole.
 *
 * An optional BPF filter (tcpdump syntax) is compiled for each file's link
 * type.  A file that ends in the middle of a record is not fatal: every
 * complete packet before the damage is delivered, the damage is reported
 * through ns_capture_warning(), and reading goes on with the next file.
 *
 * Ownership: the frame pointer returned by ns_capture_next() belongs to
 * the capture.  From libpcap it is valid until the next call; from a
 * mapped file (pcapmap.h) until ns_capture_close(), which lets a reader
 * hand frames to another thread without copying them
 * (ns_capture_frames_stable()).
 */
#ifndef NS_CAPTURE_CAPTURE_H
#define NS_CAPTURE_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "pkt/pkt.h"
#include "util/err.h"

struct ns_capture;

struct ns_capture_stats {
    uint64_t packets;       /* packets delivered */
    uint64_t filtered;      /* packets rejected by the BPF filter */
    uint32_t files_done;    /* files read to the end */
    uint32_t files_damaged; /* files that ended in a broken record */
};

/* Open `n` files (paths[i] may be "-" for stdin, at most once).  Files are
 * opened lazily in order; the first one is opened here so that a missing
 * first file fails early.  `bpf` may be NULL or empty. */
int ns_capture_open_files(struct ns_capture **c, const char *const *paths, size_t n,
                          const char *bpf, struct ns_error *err);

/* Capture live on interface `iface` (promiscuous, immediate delivery,
 * nanosecond timestamps when the kernel has them; `snaplen` 0 = 65535;
 * a 64 MiB ring, so a reader starved for seconds loses nothing).
 * ns_capture_next() then returns 2 when `timeout_ms` passed without a
 * packet, so the caller can run its timers, and 0 when the interface goes
 * away (the reason in ns_capture_warning()).  The BPF filter runs in the
 * kernel, so stats.filtered stays 0.  Needs CAP_NET_RAW. */
int ns_capture_open_live(struct ns_capture **c, const char *iface, int snaplen, int timeout_ms,
                         const char *bpf, struct ns_error *err);

/*
 * Next packet.  Returns 1 with *frame and p's metadata filled, and
 * *linktype set to the current file's link type; 0 at the end of the last
 * file; negative on an error that stops reading (unreadable file, bad
 * filter).  Damaged files do not return an error: see ns_capture_warning().
 */
int ns_capture_next(struct ns_capture *c, struct ns_pkt *p, const uint8_t **frame, int *linktype,
                    struct ns_error *err);

/* Live capture: frames the kernel dropped (ring full) or the interface
 * dropped, since the open, in *drops.  -1 for files or when the kernel
 * does not say. */
int ns_capture_kernel_drops(struct ns_capture *c, uint64_t *drops);

/* After ns_capture_next() returned 1: 1 when that frame stays valid until
 * ns_capture_close() (the file is mapped), 0 when only until the next call. */
int ns_capture_frames_stable(const struct ns_capture *c);

/*
 * The batching fast path of ns_capture_next(): up to `max` packets of a
 * mapped file without a BPF filter at once (p[i] capture metadata,
 * frames[i], the link type), 0 when this source or the next record needs
 * ns_capture_next() — libpcap input, a filter, the end of a file, a record
 * that must be clamped or reported.  Mixing the two calls freely gives
 * exactly the packets ns_capture_next() alone would.
 */
size_t ns_capture_burst(struct ns_capture *c, struct ns_pkt *p, const uint8_t **frames, size_t max,
                        int *linktype);

/* The most recent non-fatal problem (e.g. "x.pcap: truncated record after
 * packet 41"), or NULL; ns_capture_take_warning clears it. */
const char *ns_capture_warning(const struct ns_capture *c);
void ns_capture_take_warning(struct ns_capture *c);

/* Name of the file being read and its progress (bytes read, size or 0 when
 * unknown, e.g. stdin). */
const char *ns_capture_current_file(const struct ns_capture *c);
void ns_capture_progress(const struct ns_capture *c, uint64_t *done, uint64_t *total);

void ns_capture_get_stats(const struct ns_capture *c, struct ns_capture_stats *s);
void ns_capture_close(struct ns_capture *c);

#endif
