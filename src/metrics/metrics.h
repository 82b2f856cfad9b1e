/*
 * metrics.h — a Prometheus metrics endpoint: the text exposition format
 * 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/)
 * served over a deliberately tiny HTTP/1.0 server.
 *
 * Exposition.  ns_prom collects families into one growing buffer: a
 * family is "# HELP name text" and "# TYPE name counter|gauge" followed by
 * its samples "name{label="value",...} number".  Label values are escaped
 * as the format requires (backslash, double quote, newline); help text
 * escapes backslash and newline.  Names are the caller's constants and
 * must match [a-zA-Z_:][a-zA-Z0-9_:]*.
 *
 * Server.  One listening TCP socket; ns_http_serve() waits up to a given
 * time for a connection and answers it completely before returning: GET
 * /metrics → 200 with the caller's exposition, any other path → 404, any
 * other method → 405; HTTP/1.0, Connection: close.  A client gets one
 * second to send its request head (at most 4 KiB) and to take the answer,
 * so a stalled scraper cannot hold up the loop that calls serve (the
 * collector's epoll loop, the probe's operations thread).  No keep-alive,
 * no TLS, no authentication: bind it to loopback or a management address.
 *
 * Errors: negative NS_E* with a message; a misbehaving client is only
 * counted (ns_http_stats).  Ownership: listen allocates, close frees.
 */
#ifndef NS_METRICS_METRICS_H
#define NS_METRICS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct ns_prom {
    char *buf;
    size_t len, cap;
    int oom; /* an append failed: the text is incomplete */
};

void ns_prom_init(struct ns_prom *p);
void ns_prom_free(struct ns_prom *p);
void ns_prom_reset(struct ns_prom *p);
/* "# HELP" and "# TYPE" lines; type is "counter" or "gauge". */
void ns_prom_family(struct ns_prom *p, const char *name, const char *type, const char *help);
/* One sample; labels is NULL or pairs "k1", "v1", "k2", "v2", ... (nlabels
 * pairs) whose values are escaped here. */
void ns_prom_sample(struct ns_prom *p, const char *name, const char *const *labels, size_t nlabels,
                    double value);
/* Shorthand: a family with one unlabelled sample. */
void ns_prom_one(struct ns_prom *p, const char *name, const char *type, const char *help,
                 double value);

struct ns_http;
typedef void (*ns_http_render)(void *ctx, struct ns_prom *out);

struct ns_http_stats {
    uint64_t requests, ok, not_found, bad; /* bad: malformed, too slow or too large */
};

/* Listen on "HOST:PORT" ("[::1]:9100", "127.0.0.1:9100", ":9100" = any). */
int ns_http_listen(struct ns_http **h, const char *hostport, struct ns_error *err);
/* Port actually bound (for port 0). */
int ns_http_port(const struct ns_http *h);
/* Wait up to timeout_ms for one client and answer it.  1 = served one, 0 = none. */
int ns_http_serve(struct ns_http *h, int timeout_ms, ns_http_render render, void *ctx);
void ns_http_get_stats(const struct ns_http *h, struct ns_http_stats *st);
void ns_http_close(struct ns_http *h);

#endif
