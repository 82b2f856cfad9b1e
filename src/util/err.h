/*
 * err.h — the one error convention of libnetsift.
 *
 * Every fallible library function returns an int: 0 (or a non-negative count)
 * on success, a negative NS_E* code on failure.  When it fails and the caller
 * passed a struct ns_error, it also writes a human-readable message there that
 * names what failed and why (file, offset, field), so the command can print it
 * verbatim.  Library code never prints and never exits: only src/cmd/ does.
 */
#ifndef NS_UTIL_ERR_H
#define NS_UTIL_ERR_H

#include <stddef.h>

enum ns_errcode {
    NS_OK = 0,
    NS_EINVAL = -1,   /* bad argument or option value */
    NS_ENOMEM = -2,   /* allocation failed or fixed budget exhausted */
    NS_EIO = -3,      /* read/write/open failed (errno in message) */
    NS_EFORMAT = -4,  /* input is malformed (IPFIX, pcap, ...) */
    NS_ETRUNC = -5,   /* input ended in the middle of a unit */
    NS_EUNSUP = -6,   /* valid but unsupported input */
    NS_EFULL = -7,    /* a bounded table is full */
    NS_ENOTFOUND = -8 /* lookup failed */
};

struct ns_error {
    int code;
    char msg[512];
};

/* Record an error and return `code` so callers can `return ns_error_set(...)`.
 * `e` may be NULL.  The message is truncated to fit. */
int ns_error_set(struct ns_error *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix context to an existing message ("reading x.pcap: " + old msg). */
int ns_error_prefix(struct ns_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

const char *ns_strerror(int code);

#endif
