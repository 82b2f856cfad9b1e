#include "probe/probe.h"

#include <string.h>

#include "capture/capture.h"
#include "ipfix/file.h"

struct sink_ctx {
    struct ns_ipfix_writer *w;
    uint64_t records;
};

static int write_record(void *ctx, const struct ns_record *rec, struct ns_error *err)
{
    struct sink_ctx *s = ctx;
    int rc = ns_ipfix_writer_add(s->w, rec, err);
    if (rc >= 0)
        s->records++;
    return rc;
}

void ns_probe_config_default(struct ns_probe_config *c)
{
    memset(c, 0, sizeof *c);
    c->output = "-";
    ns_meter_config_default(&c->meter);
}

int ns_probe_run(const struct ns_probe_config *c, struct ns_probe_stats *st, struct ns_error *err)
{
    memset(st, 0, sizeof *st);
    struct ns_capture *cap = NULL;
    struct ns_meter *m = NULL;
    struct sink_ctx sink = {0};
    int rc = ns_capture_open_files(&cap, c->inputs, c->ninputs, c->bpf, err);
    if (rc < 0)
        return rc;

    struct ns_ipfix_writer_opts wo;
    memset(&wo, 0, sizeof wo);
    wo.obs_domain = c->observation_domain;
    wo.zstd = c->zstd_level > 0;
    wo.zstd_level = c->zstd_level;
    rc = ns_ipfix_writer_open(&sink.w, c->output, &wo, err);
    if (rc < 0)
        goto out;
    rc = ns_meter_create(&m, &c->meter, write_record, &sink, err);
    if (rc < 0)
        goto out;

    struct ns_pkt p;
    const uint8_t *frame;
    int linktype;
    int damaged = 0;
    while ((rc = ns_capture_next(cap, &p, &frame, &linktype, err)) == 1) {
        ns_pkt_decode(&p, linktype, frame);
        st->packets++;
        st->malformed[p.malformed]++;
        if (p.flags & NS_PKT_F_IP)
            st->ip++;
        else
            st->non_ip++;
        rc = ns_meter_packet(m, &p, err);
        if (rc < 0)
            goto out;
        const char *w = ns_capture_warning(cap);
        if (w) {
            damaged = 1;
            if (c->warn)
                c->warn(c->ctx, w);
            ns_capture_take_warning(cap);
        }
        if (c->progress && (st->packets & 0xffff) == 0) {
            uint64_t done, total;
            ns_capture_progress(cap, &done, &total);
            c->progress(c->ctx, ns_capture_current_file(cap), done, total, st->packets);
        }
    }
    if (rc < 0)
        goto out;
    /* A damaged last file is reported after the loop ends. */
    const char *w = ns_capture_warning(cap);
    if (w) {
        damaged = 1;
        if (c->warn)
            c->warn(c->ctx, w);
        ns_capture_take_warning(cap);
    }
    rc = ns_meter_flush(m, err);
    if (rc < 0)
        goto out;
    rc = ns_ipfix_writer_close(sink.w, err);
    sink.w = NULL;
    if (rc < 0)
        goto out;
    if (damaged)
        rc = ns_error_set(err, NS_ETRUNC, "some input was damaged; every complete packet was measured");
out:
    if (cap) {
        struct ns_capture_stats cs;
        ns_capture_get_stats(cap, &cs);
        st->filtered = cs.filtered;
        st->damaged_files = cs.files_damaged;
    }
    st->records = sink.records;
    if (m) {
        ns_meter_get_stats(m, &st->meter);
        ns_meter_destroy(m);
    }
    if (sink.w) {
        struct ns_error e2;
        ns_ipfix_writer_close(sink.w, &e2);
    }
    ns_capture_close(cap);
    st->malformed[NS_MAL_NONE] = 0;
    return rc;
}
