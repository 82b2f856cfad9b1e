/*
 * zio.h — byte streams under IPFIX files: plain or zstd-compressed.
 *
 * Design
 * ------
 * Output takes whole IPFIX messages.  Plain output writes each message with
 * write(2) in one go (no stdio buffer that could split a message), so a
 * writer killed between messages leaves a file of complete messages.  zstd
 * output compresses each message and flushes the compressor at the message
 * boundary (ZSTD_e_flush: the block ends, everything written so far can be
 * decompressed by any streaming decoder); the frame is ended only at close.
 * A killed zstd writer thus leaves a frame without its end: every flushed
 * message is recoverable with streaming decompression (ns_zin, `zstd -dc`
 * prints the data then complains), and ns_zin_truncated() reports it.
 *
 * Input detects zstd by its magic number (RFC 8878 §3.1.1: 28 B5 2F FD)
 * and otherwise passes bytes through; several concatenated frames are read
 * as one stream.
 *
 * "-" means stdout / stdin (not closed).  Errors name the path and errno
 * text (e.g. "No space left on device").  Memory is allocated at open only.
 */
#ifndef NS_IPFIX_ZIO_H
#define NS_IPFIX_ZIO_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct ns_zout;
/* zstd_level 0: plain; otherwise a zstd level (1..22, negative = fast). */
int ns_zout_open(struct ns_zout **o, const char *path, int zstd, int zstd_level,
                 struct ns_error *err);
int ns_zout_write(struct ns_zout *o, const void *buf, size_t n, struct ns_error *err);
/* Plain output: gather whole messages in a buffer of `cap` octets and
 * write it when the next message does not fit (or on ns_zout_flush and
 * close): one write(2) per `cap` octets instead of one per message.  The
 * file still only ever ends between messages; what a killed writer loses
 * grows by the buffer, so a caller sets it only with a periodic flush
 * (the collector: every flush interval).  No-op for zstd. */
int ns_zout_buffer(struct ns_zout *o, size_t cap, struct ns_error *err);
int ns_zout_flush(struct ns_zout *o, struct ns_error *err);
/* Ends the zstd frame, closes; frees o in all cases. */
int ns_zout_close(struct ns_zout *o, struct ns_error *err);

struct ns_zin;
int ns_zin_open(struct ns_zin **in, const char *path, struct ns_error *err);
/* Read n octets into dst; *got < n only at the end of input. */
int ns_zin_read(struct ns_zin *in, void *dst, size_t n, size_t *got, struct ns_error *err);
/* Plain input only (NS_EINVAL for zstd, or n over the buffer, 1 MiB):
 * the next n octets without copying them.  *p points into the reader's
 * buffer, valid until the next call on `in`; *got < n only at the end of
 * input.  The octets stay unread until ns_zin_consume(). */
int ns_zin_peek(struct ns_zin *in, size_t n, const uint8_t **p, size_t *got, struct ns_error *err);
void ns_zin_consume(struct ns_zin *in, size_t n);
/* At end of input: was a zstd frame left unfinished? */
int ns_zin_truncated(const struct ns_zin *in);
int ns_zin_is_zstd(const struct ns_zin *in);
void ns_zin_close(struct ns_zin *in);

#endif
