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
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

int ns_error_prefix(struct ns_error *e, const char *fmt, ...)
{
    if (!e)
        return NS_OK;
    char pre[256];
    char old[sizeof e->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    snprintf(e->msg, sizeof e->msg, "%s%s", pre, old);
    return e->code;
}

const char *ns_strerror(int code)
{
    switch (code) {
    case NS_OK: return "success";
    case NS_EINVAL: return "invalid argument";
    case NS_ENOMEM: return "out of memory";
    case NS_EIO: return "I/O error";
    case NS_EFORMAT: return "malformed input";
    case NS_ETRUNC: return "truncated input";
    case NS_EUNSUP: return "unsupported";
    case NS_EFULL: return "table full";
    case NS_ENOTFOUND: return "not found";
    default: return "unknown error";
    }
}
