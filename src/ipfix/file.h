/*
 * file.h — IPFIX files (RFC 5655), optionally zstd-compressed.
 *
 * Design
 * ------
 * A file is a plain sequence of IPFIX messages (RFC 5655 §6: the file
 * format is the IPFIX message stream itself), so any IPFIX file reader
 * (ipfixDump, libfixbuf, nfdump's tools, Wireshark) can read an
 * uncompressed netsift file.  With zstd the message stream is compressed
 * as one zstd stream (see zio.h); readers detect it by the magic number.
 *
 * Writer: records are encoded with flowrec.h into messages of at most
 * max_msg octets (default and maximum 65535).  A template is written in
 * the message that first uses it, before its data set (RFC 7011 §8; in a
 * file every template stays valid to the end, RFC 5655 §8).  Message
 * sequence numbers count data records before the message (RFC 7011 §3.1).
 *
 * exportTime is NOT the wall clock: it is the end time, in seconds, of the
 * newest record in the message (0 if none has times).  The same records
 * then always give the same bytes, which makes files reproducible and
 * testable, and the value is still what a collector expects: a time no
 * earlier than the flows it carries.
 *
 * Messages are written whole (one write, or one zstd flush per message):
 * a killed writer leaves a file that reads up to its last complete
 * message.  Records sit in the current message until it is full, or until
 * ns_ipfix_writer_flush / close.  Write errors (e.g. a full disk) are
 * reported with the path and errno text, and are sticky: later calls
 * return the same error.
 *
 * Reader: auto-detects zstd; returns records in file order; template sets
 * are applied as met; data sets with unknown templates are skipped and
 * counted.  A truncated final message is an error naming its byte offset
 * (in the uncompressed stream), reported after all complete records.
 *
 * Ownership: open allocates, close frees (also on error).  No allocation
 * per record.
 */
#ifndef NS_IPFIX_FILE_H
#define NS_IPFIX_FILE_H

#include <stdint.h>

#include "ipfix/decode.h"
#include "ipfix/msg.h"
#include "record/record.h"
#include "util/err.h"

struct ns_ipfix_writer_opts {
    uint32_t obs_domain;
    int zstd;         /* compress with zstd */
    int zstd_level;   /* 0: zstd's default (3) */
    uint16_t max_msg; /* 0: 65535; minimum 1024 */
};

struct ns_ipfix_writer;

int ns_ipfix_writer_open(struct ns_ipfix_writer **w, const char *path /* "-" = stdout */,
                         const struct ns_ipfix_writer_opts *o /* NULL: defaults */,
                         struct ns_error *err);
int ns_ipfix_writer_add(struct ns_ipfix_writer *w, const struct ns_record *r, struct ns_error *err);
/* Records the caller encodes (msgbuild.h raw templates: PSAMP packet
 * reports and options records): register returns the index for add_raw. */
int ns_ipfix_writer_register(struct ns_ipfix_writer *w, uint16_t tid, uint16_t scope_count,
                             const struct ns_field_spec *f, uint16_t n, struct ns_error *err);
int ns_ipfix_writer_add_raw(struct ns_ipfix_writer *w, int idx, const uint8_t *rec, size_t len,
                            uint32_t time_s, struct ns_error *err);
/* Add an options record (msgbuild.h ns_msgb_opt: the template is
 * registered and written on first use). */
int ns_ipfix_writer_opt(struct ns_ipfix_writer *w, uint16_t tid, uint16_t scope_count,
                        const struct ns_field_spec *f, uint16_t n, const uint8_t *rec,
                        struct ns_error *err);
/* Write out the current message now (e.g. on a timer when live). */
int ns_ipfix_writer_flush(struct ns_ipfix_writer *w, struct ns_error *err);
/* Flush, close, free (always).  Returns the first error. */
int ns_ipfix_writer_close(struct ns_ipfix_writer *w, struct ns_error *err);

struct ns_ipfix_reader;

/* Templates a reader accepts per file: netsift itself uses at most
 * 512 + 512 × 8 = 4608 (flowrec.h); other exporters far fewer. */
#define NS_IPFIX_READER_MAX_TEMPLATES 8192

int ns_ipfix_reader_open(struct ns_ipfix_reader **r, const char *path /* "-" = stdin */,
                         struct ns_error *err);
/* 1: *out is the next record; 0: end of file; <0: error. */
int ns_ipfix_reader_next(struct ns_ipfix_reader *r, struct ns_record *out, struct ns_error *err);
const struct ns_ipfix_stats *ns_ipfix_reader_stats(const struct ns_ipfix_reader *r);
/* Header of the message holding the record last returned, and that
 * message's offset in the (uncompressed) stream. */
const struct ns_msg_hdr *ns_ipfix_reader_header(const struct ns_ipfix_reader *r);
uint64_t ns_ipfix_reader_msg_offset(const struct ns_ipfix_reader *r);
/* Have options records passed to fn as they are read (decode.h). */
void ns_ipfix_reader_on_options(struct ns_ipfix_reader *r, ns_ipfix_opt_fn fn, void *ctx);
void ns_ipfix_reader_close(struct ns_ipfix_reader *r);

#endif
