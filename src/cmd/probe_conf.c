/* The configuration file's settings into probe and collect options, and
 * the effective probe configuration printed back (--check-config). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/ops.h"

void probe_conf_apply(struct cmd_ops *o, struct ns_probe_config *c, struct cmd_export *ex,
                      struct cmd_inputs *ifs, struct ns_sel_chain **sel, const char **out,
                      int *zstd, char **bpf)
{
    const struct ns_conf *f = &o->conf;
    for (size_t i = 0; i < f->nifaces; i++)
        cmd_inputs_add(ifs, f->ifaces[i]);
    struct ns_live_config lc = f->live;
    lc.ifaces = NULL;
    lc.nifaces = 0;
    c->live = lc;
    c->observation_domain = f->obs_domain;
    if (f->filter)
        *bpf = strdup(f->filter);
    struct ns_error err = {0};
    for (size_t i = 0; i < f->nselectors; i++)
        if ((!*sel && ns_sel_chain_create(sel, &err) < 0) ||
            ns_sel_chain_add_spec(*sel, f->selectors[i], &err) < 0)
            cmd_die("probe", "%s: %s", f->path, err.msg);
    uint64_t seed = c->meter.hash_seed;
    c->meter = f->meter;
    c->meter.hash_seed = seed;
    const char *const *urls = ex->c.dests;
    ex->c = f->export;
    ex->c.dests = urls;
    for (size_t i = 0; i < f->ndests; i++)
        ex->urls[i] = f->dests[i];
    ex->c.ndests = f->ndests;
    if (f->file)
        *out = f->file;
    if (f->file_zstd_set)
        *zstd = f->file_zstd;
}

void collect_conf_apply(struct cmd_ops *o, struct ns_collect_config *c, const char **urls,
                        size_t *nurls)
{
    const struct ns_conf *f = &o->conf;
    for (size_t i = 0; i < f->nlisten; i++)
        urls[(*nurls)++] = f->listen[i];
    if (f->store)
        c->pattern = f->store;
    if (f->have & NS_CONF_COLLECT)
        c->rotate_ns = f->rotate_ns;
    if (f->store_zstd)
        c->zstd_level = f->store_zstd;
}

static void dur(FILE *f, const char *key, uint64_t ns)
{
    fprintf(f, "%s: ", key);
    ns_conf_write_duration(f, ns);
    fputc('\n', f);
}

/* Split a destination URL scheme://host:port back into its parts. */
static void dest_parts(const char *url, char *scheme, char *host, char *port)
{
    const char *s = strstr(url, "://");
    size_t sl = s ? (size_t)(s - url) : 0;
    snprintf(scheme, 8, "%.*s", (int)(sl < 7 ? sl : 7), url);
    const char *h = s ? s + 3 : url;
    const char *c = strrchr(h, ':');
    const char *close = strrchr(h, ']');
    if (c && close && c < close)
        c = NULL;
    size_t hl = c ? (size_t)(c - h) : strlen(h);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']')
        h++, hl -= 2;
    snprintf(host, 256, "%.*s", (int)(hl < 255 ? hl : 255), h);
    snprintf(port, 8, "%s", c ? c + 1 : "4739");
}

void probe_conf_print(FILE *f, const struct cmd_ops *o, const struct ns_probe_config *c,
                      const struct cmd_export *ex, const struct ns_sel_chain *sel, const char *out,
                      int zstd)
{
    const struct ns_live_config *l = &c->live;
    fprintf(f, "# netsift probe: effective configuration (RFC 6728 structure)%s%s\n",
            o->conf_path ? "\n# from " : "", o->conf_path ? o->conf_path : "");
    fprintf(f, "observationPoint:\n  - name: ");
    ns_conf_write_str(f, o->conf.op_name[0] ? o->conf.op_name : "op");
    fprintf(f, "\n    observationDomainId: %" PRIu32 "\n", c->observation_domain);
    if (l->nifaces) {
        fprintf(f, "    ifName: [");
        for (size_t i = 0; i < l->nifaces; i++) {
            fprintf(f, "%s", i ? ", " : "");
            ns_conf_write_str(f, l->ifaces[i]);
        }
        fprintf(f, "]\n");
    } else {
        fprintf(f, "    # no interface: reading files (-r)\n");
    }
    fprintf(f,
            "    capture: %s\n    ringBlocks: %" PRIu32 "\n    blockSize: %" PRIu32
            "   # KiB\n    blockTimeout: %" PRIu32 "   # ms\n    snapLength: %" PRIu32
            "\n    promiscuous: %s\n",
            l->backend == NS_LIVE_PCAP ? "pcap" : "tpacket", l->ring_blocks, l->block_kib,
            l->block_timeout_ms, l->snaplen, l->promisc ? "true" : "false");
    if (c->bpf) {
        fprintf(f, "    filter: ");
        ns_conf_write_str(f, c->bpf);
        fputc('\n', f);
    }
    const char *sp = o->conf.sp_name[0] ? o->conf.sp_name : "sp";
    const char *cn = o->conf.cache_name[0] ? o->conf.cache_name : "cache";
    const char *ep = o->conf.ep_name[0] ? o->conf.ep_name : "ep";
    fprintf(f, "    selectionProcess: ");
    ns_conf_write_str(f, sp);
    fprintf(f, "\nselectionProcess:\n  - name: ");
    ns_conf_write_str(f, sp);
    fprintf(f, "\n    selector:\n");
    size_t n = sel ? ns_sel_chain_len(sel) : 0;
    if (!n)
        fprintf(f, "      - selectAll: {}\n");
    for (size_t i = 0; i < n; i++) {
        struct ns_sel_info in;
        ns_sel_chain_info(sel, i, &in);
        fprintf(f, "      - netsiftSpec: ");
        ns_conf_write_str(f, in.desc);
        fputc('\n', f);
    }
    fprintf(f, "    cache: ");
    ns_conf_write_str(f, cn);
    fprintf(f, "\ncache:\n  - name: ");
    ns_conf_write_str(f, cn);
    fprintf(f, "\n    timeoutCache:\n      maxFlows: %" PRIu32 "\n      ", c->meter.max_flows);
    dur(f, "activeTimeout", c->meter.status_ns);
    fprintf(f, "      ");
    dur(f, "idleTimeout", c->meter.idle_ns);
    fprintf(f, "      ");
    dur(f, "tcpIdleTimeout", c->meter.tcp_idle_ns);
    fprintf(f, "      ");
    dur(f, "tcpLingerTimeout", c->meter.tcp_linger_ns);
    fprintf(f, "    exportingProcess: ");
    ns_conf_write_str(f, ep);
    fprintf(f, "\nexportingProcess:\n  - name: ");
    ns_conf_write_str(f, ep);
    fprintf(f, "\n    ");
    dur(f, "exportDelay", ex->c.delay_ns);
    fprintf(f, "    ");
    dur(f, "statisticsInterval", ex->c.stats_ns);
    fprintf(f, "    ");
    dur(f, "lingerTime", ex->c.linger_ns);
    fprintf(f, "    destination:\n");
    if (out) {
        fprintf(f, "      - fileWriter:\n          file: ");
        ns_conf_write_str(f, out);
        fprintf(f, "\n          zstd: %d\n", zstd);
    }
    for (size_t i = 0; i < ex->c.ndests; i++) {
        char scheme[8], host[256], port[8];
        dest_parts(ex->urls[i], scheme, host, port);
        int udp = strcmp(scheme, "udp") == 0;
        fprintf(f, "      - %s:\n          destinationIPAddress: ",
                udp ? "udpExporter" : "tcpExporter");
        ns_conf_write_str(f, host);
        fprintf(f, "\n          destinationPort: %s\n", port);
        if (udp) {
            fprintf(f, "          maxPacketSize: %u\n          ", ex->c.mtu ? ex->c.mtu : 1500);
            dur(f, "templateRefreshTimeout", ex->c.refresh_ns);
            fprintf(f, "          templateRefreshPacket: %" PRIu32 "\n", ex->c.refresh_msgs);
        } else {
            fprintf(f, "          sendBufferSize: %zu\n", ex->c.xport.buffer);
        }
        if (ex->c.rate > 0)
            fprintf(f, "          rateLimit: %.0f\n", ex->c.rate);
    }
    if (!out && !ex->c.ndests)
        fprintf(f, "      []\n");
    fprintf(f, "operation:\n  daemon: %s\n", o->daemon ? "true" : "false");
    if (o->user) {
        fprintf(f, "  user: ");
        ns_conf_write_str(f, o->user);
        fputc('\n', f);
    }
    if (o->pidfile) {
        fprintf(f, "  pidFile: ");
        ns_conf_write_str(f, o->pidfile);
        fputc('\n', f);
    }
    if (o->metrics) {
        fprintf(f, "  metrics: ");
        ns_conf_write_str(f, o->metrics);
        fputc('\n', f);
    }
    if (o->stats_ns) {
        fprintf(f, "  ");
        dur(f, "statsInterval", o->stats_ns);
    }
}
