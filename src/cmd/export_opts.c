#include "cmd/export_opts.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"

void cmd_export_init(struct cmd_export *e)
{
    ns_export_config_default(&e->c);
    e->c.dests = e->urls;
    e->x = NULL;
    memset(&e->tls, 0, sizeof e->tls);
    e->c.xport.tls = &e->tls;
}

const struct option *cmd_export_longopts(const struct option *own)
{
    static const struct option mine[] = {CMD_EXPORT_LONGOPTS};
    static struct option all[96];
    size_t n = 0;
    while (n < 96 - 1 - sizeof mine / sizeof mine[0] && own[n].name) {
        all[n] = own[n];
        n++;
    }
    for (size_t i = 0; i < sizeof mine / sizeof mine[0]; i++)
        all[n++] = mine[i];
    all[n] = (struct option){0};
    return all;
}

static uint64_t seconds(const char *cmd, const char *opt, const char *arg)
{
    uint64_t ns;
    if (cmd_parse_seconds(arg, &ns))
        cmd_die(cmd, "%s wants a time such as 60, 5s or 500ms, not '%s'", opt, arg);
    return ns;
}

static uint64_t number(const char *cmd, const char *opt, const char *arg, uint64_t lo, uint64_t hi)
{
    uint64_t v;
    char *end;
    v = strtoull(arg, &end, 10);
    if (*end == 'k' || *end == 'K')
        v <<= 10, end++;
    else if (*end == 'M')
        v <<= 20, end++;
    if (end == arg || *end || v < lo || v > hi)
        cmd_die(cmd, "%s wants %" PRIu64 "..%" PRIu64 ", not '%s'", opt, lo, hi, arg);
    return v;
}

int cmd_export_option(struct cmd_export *e, const char *cmd, int opt, const char *arg)
{
    switch (opt) {
    case CMD_O_EXPORT:
        if (e->c.ndests == NS_EXPORT_MAX_DESTS)
            cmd_die(cmd, "at most %d --export destinations", NS_EXPORT_MAX_DESTS);
        e->urls[e->c.ndests++] = arg;
        return 1;
    case CMD_O_MTU:
        e->c.mtu = (unsigned)number(cmd, "--mtu", arg, 576, 65535);
        return 1;
    case CMD_O_TREFRESH:
        e->c.refresh_ns = seconds(cmd, "--template-refresh", arg);
        return 1;
    case CMD_O_TREFRESH_MSGS:
        e->c.refresh_msgs = (uint32_t)number(cmd, "--template-refresh-msgs", arg, 0, UINT32_MAX);
        return 1;
    case CMD_O_XDELAY:
        e->c.delay_ns = seconds(cmd, "--export-delay", arg);
        return 1;
    case CMD_O_XRATE:
        e->c.rate = (double)number(cmd, "--export-rate", arg, 1, 1000000000);
        return 1;
    case CMD_O_XRATE_DROP:
        e->c.rate_drop = 1;
        return 1;
    case CMD_O_XONE:
        e->c.one_per_msg = 1;
        return 1;
    case CMD_O_XBUFFER:
        e->c.xport.buffer = (size_t)number(cmd, "--export-buffer", arg, 64 << 10, 1u << 30);
        return 1;
    case CMD_O_XSTATS:
        e->c.stats_ns = seconds(cmd, "--export-stats", arg);
        return 1;
    case CMD_O_SCTP_TTL:
        e->c.xport.sctp_ttl_ms = (uint32_t)number(cmd, "--sctp-ttl", arg, 0, 3600000);
        return 1;
    case CMD_O_XLINGER:
        e->c.linger_ns = seconds(cmd, "--export-linger", arg);
        return 1;
    case CMD_O_TLS_CERT:
        e->tls.cert = arg;
        return 1;
    case CMD_O_TLS_KEY:
        e->tls.key = arg;
        return 1;
    case CMD_O_TLS_CA:
        e->tls.ca = arg;
        return 1;
    case CMD_O_TLS_NAME:
        e->tls.name = arg;
        return 1;
    default:
        return 0;
    }
}

int cmd_export_start(struct cmd_export *e, const char *cmd, uint32_t obs_domain)
{
    if (!e->c.ndests)
        return 0;
    e->c.obs_domain = obs_domain;
    struct ns_error err = {0};
    if (ns_exporter_new(&e->x, &e->c, &err) < 0)
        cmd_die(cmd, "%s", err.msg);
    return 1;
}

int cmd_export_finish(struct cmd_export *e, const char *cmd, int quiet)
{
    if (!e->x)
        return 0;
    struct ns_export_dest_stats st[NS_EXPORT_MAX_DESTS];
    struct ns_error err = {0};
    size_t n = ns_exporter_ndests(e->x);
    if (ns_exporter_close(e->x, st, &err) < 0)
        fprintf(stderr, "netsift %s: export: %s\n", cmd, err.msg);
    e->x = NULL;
    int dropped = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t d = st[i].c.dropped_flows + st[i].rate_dropped;
        dropped |= d > 0;
        if (quiet && !d)
            continue;
        fprintf(stderr,
                "netsift %s: export %s: delivered %" PRIu64 " flow records (%" PRIu64
                " data records with options, %" PRIu64 " messages, %" PRIu64
                " octets); dropped %" PRIu64 " flow records (%" PRIu64
                " by the transport in %" PRIu64 " messages, %" PRIu64
                " by the rate limit); %" PRIu64 " sessions, %" PRIu64
                " template sends, %zu templates\n",
                cmd, e->urls[i], st[i].c.flows, st[i].c.records, st[i].c.messages, st[i].c.octets,
                d, st[i].c.dropped_flows, st[i].c.dropped_messages, st[i].rate_dropped,
                st[i].c.connects, st[i].refreshes, st[i].templates);
        if (st[i].c.handshake_failures)
            fprintf(stderr, "netsift %s: export %s: %" PRIu64 " failed handshakes (last: %s)\n",
                    cmd, e->urls[i], st[i].c.handshake_failures,
                    st[i].last_error[0] ? st[i].last_error : "?");
        if (st[i].c.abandoned_messages)
            fprintf(stderr,
                    "netsift %s: export %s: %" PRIu64 " more flow records (%" PRIu64
                    " messages) abandoned by PR-SCTP after they were sent: the collector may "
                    "have them\n",
                    cmd, e->urls[i], st[i].c.abandoned_flows, st[i].c.abandoned_messages);
    }
    return dropped;
}

int cmd_exporter_opt(void *x, uint16_t tid, uint16_t scope_count, const struct ns_field_spec *f,
                     uint16_t n, const uint8_t *rec, struct ns_error *err)
{
    return ns_exporter_opt(x, tid, scope_count, f, n, rec, err);
}
