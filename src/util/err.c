#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ns_error_set(struct ns_error *e, int code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        e->code = code;
        vsnprintf(e->msg, sizeof e->msg, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
        va_end(ap);
    }
    return code;
}

int ns_error_prefix(struct ns_error *e, const char *fmt, ...)
{
    if (!e)
        return NS_OK;
    char pre[128];
    char old[sizeof e->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    size_t n = strlen(pre);
    if (n >= sizeof e->msg)
        n = sizeof e->msg - 1;
    memcpy(e->msg, pre, n);
    /* keep as much of the old message as fits after the prefix */
    size_t m = strnlen(old, sizeof old - 1);
    if (m > sizeof e->msg - 1 - n)
        m = sizeof e->msg - 1 - n;
    memcpy(e->msg + n, old, m);
    e->msg[n + m] = 0;
    return e->code;
}

const char *ns_strerror(int code)
{
    switch (code) {
    case NS_OK:
        return "success";
    case NS_EINVAL:
        return "invalid argument";
    case NS_ENOMEM:
        return "out of memory";
    case NS_EIO:
        return "I/O error";
    case NS_EFORMAT:
        return "malformed input";
    case NS_ETRUNC:
        return "truncated input";
    case NS_EUNSUP:
        return "unsupported";
    case NS_EFULL:
        return "table full";
    case NS_ENOTFOUND:
        return "not found";
    default:
        return "unknown error";
    }
}
