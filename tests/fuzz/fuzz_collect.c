/*
 * libFuzzer target: the collecting process's session logic (collect/
 * session.h) — sequence tracking, per-domain state, template limits and
 * lifetimes — with every decoded record written again through the message
 * builder, as the collector stores it.  The first input octet picks UDP
 * or TCP semantics and the clock step between messages; the rest is split
 * into messages by their length fields (a lying length feeds the
 * remainder as one message).  Small limits make the bounds reachable.
 */
#include <stddef.h>
#include <stdint.h>

#include "collect/session.h"
#include "ipfix/msgbuild.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sink(void *ctx, uint8_t *msg, size_t len, uint32_t nrec, uint32_t nflow,
                struct ns_error *err)
{
    return NS_OK;
}

static int store(void *ctx, struct ns_coll_session *s, struct ns_coll_domain *d,
                 const struct ns_record *r, struct ns_error *err)
{
    (void)ns_msgb_add(ctx, r,
                      err); /* records a netsift file could not hold are the input's fault */
    return NS_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ns_coll_session s; /* large: keep it off the stack */
    if (size < 1)
        return 0;
    struct ns_error err;
    struct ns_coll_limits l;
    ns_coll_limits_default(&l);
    l.max_templates = 16;
    l.max_fields = 256;
    l.max_domains = 4;
    l.tmpl_lifetime_ns = 1000;
    int udp = data[0] & 1;
    uint64_t step = (uint64_t)(data[0] >> 1) * 50;
    if (ns_coll_session_init(&s, 1, udp, &l, &err) < 0)
        return 0;
    struct ns_msgb *b;
    struct ns_msgb_opts bo = {.obs_domain = 1, .max_msg = 1400};
    if (ns_msgb_new(&b, &bo, sink, NULL, &err) < 0) {
        ns_coll_session_fini(&s);
        return 0;
    }
    struct ns_coll_handler h = {store, NULL, b, NULL};
    uint64_t now = 0;
    size_t off = 1;
    while (off < size) {
        size_t left = size - off, len = left;
        if (left >= 4) {
            size_t ml = (size_t)data[off + 2] << 8 | data[off + 3];
            if (ml >= 16 && ml <= left)
                len = ml;
        }
        ns_coll_session_message(&s, data + off, len, now, &h, &err);
        now += step;
        off += len;
    }
    ns_msgb_flush(b, &err);
    ns_msgb_free(b);
    ns_coll_session_fini(&s);
    return 0;
}
