/*
 * libFuzzer target: the collecting process's session logic (collect/
 * session.h) — sequence tracking, per-domain state, template limits and
 * lifetimes — with every decoded record written again through the message
 * builder, as the collector stores it.  The first input octet picks UDP
 * or TCP semantics and the clock step between messages; the rest is split
 * into messages by their length fields (a lying length feeds the
 * remainder as one message).  Small limits make the bounds reachable.
 * Every input goes to a second session that takes whole data sets and
 * copies them where the copy plan allows (ipfix/flowrec.h, as the
 * collector does): both must return the same and count the same.
 */
#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include "collect/session.h"
#include "ipfix/flowrec.h"
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

/* Whole sets: copied when planned (a plan per set here: no cache). */
static int store_set(void *ctx, struct ns_coll_session *s, struct ns_coll_domain *d,
                     const struct ns_tmpl *t, const uint8_t *recs, size_t n, struct ns_error *err)
{
    struct ns_record r;
    size_t used;
    struct ns_flowrec_copy plan;
    if (ns_flowrec_decode(t, recs, t->min_len, s->dec.hdr.export_time, &r, &used, NULL) < 0 ||
        ns_flowrec_copy_plan(ns_msgb_encoder(ctx), t, &r, &plan, err) <= 0 ||
        !ns_flowrec_copy_check(&plan, recs, n, t->min_len))
        return 0;
    (void)ns_msgb_add_encoded(ctx, plan.e, recs, n, err);
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ns_coll_session s, s2; /* large: keep them off the stack */
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
    if (ns_coll_session_init(&s2, 1, udp, &l, &err) < 0) {
        ns_coll_session_fini(&s);
        return 0;
    }
    struct ns_msgb *b, *b2;
    struct ns_msgb_opts bo = {.obs_domain = 1, .max_msg = 1400};
    if (ns_msgb_new(&b, &bo, sink, NULL, &err) < 0) {
        ns_coll_session_fini(&s);
        ns_coll_session_fini(&s2);
        return 0;
    }
    if (ns_msgb_new(&b2, &bo, sink, NULL, &err) < 0) {
        ns_msgb_free(b);
        ns_coll_session_fini(&s);
        ns_coll_session_fini(&s2);
        return 0;
    }
    struct ns_coll_handler h = {store, NULL, b, NULL, NULL};
    struct ns_coll_handler h2 = {store, NULL, b2, NULL, store_set};
    uint64_t now = 0;
    size_t off = 1;
    while (off < size) {
        size_t left = size - off, len = left;
        if (left >= 4) {
            size_t ml = (size_t)data[off + 2] << 8 | data[off + 3];
            if (ml >= 16 && ml <= left)
                len = ml;
        }
        int r1 = ns_coll_session_message(&s, data + off, len, now, &h, &err);
        int r2 = ns_coll_session_message(&s2, data + off, len, now, &h2, &err);
        if (r1 != r2)
            __builtin_trap();
        now += step;
        off += len;
    }
    s2.st.copied = 0;
    if (memcmp(&s.st, &s2.st, sizeof s.st) != 0)
        __builtin_trap(); /* copying whole sets counts as decoding them */
    ns_msgb_flush(b, &err);
    ns_msgb_free(b);
    ns_msgb_flush(b2, &err);
    ns_msgb_free(b2);
    ns_coll_session_fini(&s);
    ns_coll_session_fini(&s2);
    return 0;
}
