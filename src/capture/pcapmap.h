/*
 * pcapmap.h — classic pcap files read straight from a memory mapping.
 *
 * libpcap reads a savefile with fread(): every record is copied out of the
 * page cache into its buffer, and the caller must copy it again to keep it
 * past the next read.  For the commonest input — a regular file in the
 * classic pcap format — this reader maps the file and hands out pointers
 * into the mapping, so a frame is never copied and stays valid until the
 * file is closed.  That is what lets `netsift probe` meter a capture at the
 * speed libpcap merely reads it.
 *
 * It does exactly what libpcap does with the same bytes, and nothing more
 * (tests/unit/test_pcapmap.c compares the two on every shared capture):
 * both byte orders, microsecond and nanosecond magic, a record longer than
 * the file's snapshot length is cut to it, a record longer than libpcap's
 * largest (256 KiB) or running past the end of the file ends the file with
 * a message.  Everything else — pcapng, standard input, pipes, link types
 * whose LINKTYPE and DLT numbers differ — stays with libpcap.
 *
 * Every length in the file is checked against the mapping before use.
 *
 * Ownership: a frame stays valid until ns_pcapmap_close().  Pages well
 * behind the read position are given back as reading goes on (their bytes
 * come back from the file if a frame there is read again).
 */
#ifndef NS_CAPTURE_PCAPMAP_H
#define NS_CAPTURE_PCAPMAP_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define NS_PCAPMAP_MAX_CAPLEN 262144u     /* libpcap's MAXIMUM_SNAPLEN */
#define NS_PCAPMAP_RELEASE    (32u << 20) /* pages further behind are given back */

struct ns_pcapmap {
    const uint8_t *base;
    size_t size, off;
    size_t released; /* pages below this offset were given back (MADV_DONTNEED) */
    int swapped;     /* file written on a host of the other byte order */
    int nano;        /* timestamps in ns (magic a1b23c4d) */
    uint32_t snaplen;
    int linktype;
    uint64_t records;
    uint32_t last_frac; /* the last record's raw sub-second field */
};

/*
 * Try to map `path`.  Returns 1 when it is a regular file in classic pcap
 * format with a link type this reader takes (m filled), 0 when libpcap
 * should read it instead (anything else, including a file too short for a
 * header: libpcap words that error), negative on a system error.
 */
int ns_pcapmap_open(struct ns_pcapmap *m, const char *path, struct ns_error *err);

/*
 * Next record: 1 with *data, *caplen, *wirelen, *ts_ns; 0 at the clean end
 * of the file; NS_ETRUNC or NS_EFORMAT when the file is damaged at this
 * record (err says where; the file must not be read further).
 */
int ns_pcapmap_next(struct ns_pcapmap *m, const uint8_t **data, uint32_t *caplen, uint32_t *wirelen,
                    uint64_t *ts_ns, struct ns_error *err);

/*
 * Up to `max` records at once, for batching readers: frames[i] and the
 * capture metadata of p[i] (ts_ns, caplen, wirelen as ns_capture_next()
 * gives them, ifindex 0).  Takes only clean records — whole, no longer
 * than the snapshot length, a valid fraction — and stops before anything
 * else and at the end of the file, leaving it to ns_pcapmap_next() with
 * its exact messages.  Returns the count, 0 when the next record is not
 * clean (or there is none).  What it delivers is exactly what as many
 * ns_pcapmap_next() calls would.
 */
struct ns_pkt;
size_t ns_pcapmap_burst(struct ns_pcapmap *m, struct ns_pkt *p, const uint8_t **frames, size_t max);

void ns_pcapmap_close(struct ns_pcapmap *m);

#endif
