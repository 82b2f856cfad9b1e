/*
 * msg.h — IPFIX message and set codec (RFC 7011 §3).
 *
 * Design
 * ------
 * Encoding writes into a caller-owned buffer (at most 65535 octets, the
 * largest length the 16-bit message length field can state, §3.1): the
 * caller opens a set, appends template records or data records, and finishes
 * the message, which patches the set and message lengths.  Nothing
 * allocates; "no room" is reported as NS_EFULL / NULL so the caller flushes
 * and starts the next message.
 *
 * Decoding never trusts a length: the message length is checked against the
 * bytes actually held, every set length against the message (≥ 4, within
 * the message), every template record against its set (field count × field
 * specifier size, enterprise numbers included), and iterators stop at the
 * first inconsistency with NS_EFORMAT and a message naming the offset
 * (relative to the message start).  Set padding (§3.3.1) is accepted.
 * Data records are not parsed here: a data set body is handed to the
 * template-compiled decoder (tmpl.h, flowrec.h).
 *
 * All pointers in decoded structures point into the caller's buffer.
 */
#ifndef NS_IPFIX_MSG_H
#define NS_IPFIX_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define NS_IPFIX_VERSION        10
#define NS_MSG_HDR_LEN          16
#define NS_SET_HDR_LEN          4
#define NS_MSG_MAX              65535
#define NS_SET_TEMPLATE         2
#define NS_SET_OPTIONS_TEMPLATE 3
#define NS_SET_DATA_MIN         256 /* data set ids = template ids ≥ 256 */
#define NS_FIELD_ENTERPRISE     0x8000u
#define NS_VARLEN               0xFFFFu /* field length: variable (§7) */

struct ns_field_spec {
    uint32_t pen; /* 0 = IANA (enterprise bit clear) */
    uint16_t id;  /* without the enterprise bit */
    uint16_t len; /* NS_VARLEN for variable length */
};

struct ns_msg_hdr {
    uint16_t version;
    uint16_t length;
    uint32_t export_time; /* seconds since the epoch */
    uint32_t seq;         /* data records sent before this message, mod 2^32 */
    uint32_t obs_domain;
};

/* ---- encoding ---- */

struct ns_msg_enc {
    uint8_t *buf;
    size_t cap; /* ≤ NS_MSG_MAX */
    size_t len;
    size_t set_off; /* offset of the open set header, 0 when none */
    uint16_t set_id;
};

/* Start a message in buf (cap clamped to NS_MSG_MAX; must hold ≥ header +
 * one set header).  Length and export time are written by finish. */
int ns_msg_enc_begin(struct ns_msg_enc *e, uint8_t *buf, size_t cap, uint32_t obs_domain,
                     uint32_t seq, struct ns_error *err);
/* Bytes still free in the message. */
size_t ns_msg_enc_room(const struct ns_msg_enc *e);
/* Open a set (closing any open one).  NS_EFULL when the 4-octet header plus
 * `need` more octets do not fit. */
int ns_msg_enc_set_open(struct ns_msg_enc *e, uint16_t set_id, size_t need);
/* Close the open set: patch its length; an empty set is removed. */
void ns_msg_enc_set_close(struct ns_msg_enc *e);
/* Append a template record to the open set (set 2 when scope_count == 0,
 * set 3 otherwise, §3.4.1/§3.4.2).  NS_EFULL when it does not fit. */
int ns_msg_enc_template(struct ns_msg_enc *e, uint16_t tid, const struct ns_field_spec *f,
                        uint16_t n, uint16_t scope_count);
/* Append a template withdrawal record (§8.1) to the open template set. */
int ns_msg_enc_withdraw(struct ns_msg_enc *e, uint16_t tid);
/* Room for n octets of data record in the open set, or NULL. */
uint8_t *ns_msg_enc_reserve(struct ns_msg_enc *e, size_t n);
/* Close the open set, write length and export time; returns the length. */
size_t ns_msg_enc_finish(struct ns_msg_enc *e, uint32_t export_time);

/* Variable-length field (§7): 1-octet length, or 255 + 2-octet length.
 * Returns octets written, 0 when it does not fit in cap or n > 65535. */
size_t ns_varlen_put(uint8_t *dst, size_t cap, const void *src, size_t n);

/* ---- decoding ---- */

struct ns_set {
    uint16_t id;
    uint16_t len;        /* body length (set length − 4) */
    const uint8_t *body; /* into the message */
    size_t offset;       /* of the set header, from the message start */
};

struct ns_set_iter {
    const uint8_t *msg;
    size_t len; /* message length as validated */
    size_t off;
};

/* Validate the header of the message at buf (len octets held): version 10,
 * 16 ≤ length ≤ len.  Sets *it to iterate its sets. */
int ns_msg_parse(const uint8_t *buf, size_t len, struct ns_msg_hdr *h, struct ns_set_iter *it,
                 struct ns_error *err);
/* 1 and *s filled, 0 at the end of the message, <0 on a malformed set. */
int ns_set_next(struct ns_set_iter *it, struct ns_set *s, struct ns_error *err);

struct ns_tmpl_rec {
    uint16_t tid;
    uint16_t nfields;
    uint16_t scope_count; /* 0 for (non-options) templates */
    uint8_t withdraw;     /* field count 0: withdrawal (tid = set id: all) */
    uint8_t options;
};

struct ns_tmpl_iter {
    const struct ns_set *set;
    size_t off; /* within the set body */
};

void ns_tmpl_iter_init(struct ns_tmpl_iter *it, const struct ns_set *s);
/* Next template record of a template (2) or options template (3) set.
 * Field specifiers go to f[0..cap).  1 when a record was read, 0 at the end
 * (padding included), NS_EFORMAT on malformed input (stop), NS_EFULL when
 * the record is valid but has more than cap fields: the iterator has moved
 * past it, so the caller may continue. */
int ns_tmpl_next(struct ns_tmpl_iter *it, struct ns_tmpl_rec *t, struct ns_field_spec *f,
                 size_t cap, struct ns_error *err);

/* Read a variable-length field header at p (avail octets): sets *n and
 * returns the header size (1 or 3), or 0 when truncated. */
size_t ns_varlen_get(const uint8_t *p, size_t avail, size_t *n);

#endif
