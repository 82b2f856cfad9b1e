#include "cmd/fsel_opts.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"

/* A count with an optional k/M/G suffix (powers of 1000). */
static int count(const char *s, uint64_t *v, char **end)
{
    double x = strtod(s, end);
    if (*end == s || !(x >= 0) || x > 1e18)
        return -1;
    if (**end == 'k' || **end == 'K')
        x *= 1e3, (*end)++;
    else if (**end == 'M')
        x *= 1e6, (*end)++;
    else if (**end == 'G')
        x *= 1e9, (*end)++;
    *v = (uint64_t)x;
    return 0;
}

static void multistage(struct ns_meter_config *m, const char *arg)
{
    uint64_t v[3];
    const char *p = arg;
    char *end;
    for (int i = 0; i < 3; i++) {
        if (count(p, &v[i], &end) < 0 || (i < 2 && *end != ',') || (i == 2 && *end && *end != ','))
            cmd_die("probe", "--multistage wants STAGES,BUCKETS,OCTETS[,SEC], not '%s'", arg);
        p = end + 1;
    }
    if (v[0] < 1 || v[0] > 8 || v[1] < 1 || v[1] > (1u << 26) || v[2] < 1)
        cmd_die("probe", "--multistage: 1..8 stages of 1..67108864 counters, threshold >= 1");
    m->ms_stages = (uint32_t)v[0];
    m->ms_buckets = (uint32_t)v[1];
    m->ms_threshold = v[2];
    if (*end == ',' && cmd_parse_seconds(end + 1, &m->ms_interval_ns))
        cmd_die("probe", "--multistage: interval is a time such as 5s, not '%s'", end + 1);
}

int cmd_fsel_option(struct cmd_fsel *f, struct ns_probe_config *c, int o, const char *arg)
{
    uint64_t v;
    switch (o) {
    case CMD_O_CACHE_SIZE:
        if (cmd_parse_u64(arg, &v) || v < 1 || v > 100000000)
            cmd_die("probe", "--cache-size wants 1..100000000, not '%s'", arg);
        c->meter.max_flows = (uint32_t)v;
        break;
    case CMD_O_CACHE_POLICY: {
        char name[32];
        const char *colon = strchr(arg, ':');
        size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
        snprintf(name, sizeof name, "%.*s", (int)(n < 31 ? n : 31), arg);
        enum ns_cache_policy p;
        if (ns_cache_policy_parse(name, &p) < 0)
            cmd_die("probe",
                    "--cache-policy is emergency-expire, drop-new, evict-lru, evict-smallest, "
                    "evict-oldest or sample-hold:OCTETS, not '%s'",
                    arg);
        c->meter.cache_policy = (uint8_t)p;
        if (p == NS_CACHE_SAMPLE_HOLD) {
            char *end;
            if (!colon || count(colon + 1, &v, &end) < 0 || *end || v < 1)
                cmd_die("probe", "--cache-policy sample-hold:OCTETS (mean octets between "
                                 "samples, e.g. sample-hold:100k)");
            c->meter.sh_octets = (double)v;
        } else if (colon) {
            cmd_die("probe", "--cache-policy %s takes no parameter", name);
        }
        break;
    }
    case CMD_O_MULTISTAGE:
        multistage(&c->meter, arg);
        break;
    case CMD_O_EXPORT_POLICY:
        f->export_policy = arg;
        break;
    case CMD_O_FSEL_SEED:
        if (cmd_parse_u64(arg, &f->seed))
            cmd_die("probe", "--selection-seed wants a number, not '%s'", arg);
        return 1;
    case CMD_O_PROC_STATS:
        c->stats_records = 1;
        c->stats_ns = 60ull * 1000000000u;
        if (arg && cmd_parse_seconds(arg, &c->stats_ns))
            cmd_die("probe", "--process-stats wants a time such as 60 or 5s, not '%s'", arg);
        return 1;
    default:
        return 0;
    }
    f->any = 1;
    return 1;
}

void cmd_fsel_apply(struct cmd_fsel *f, struct ns_probe_config *c)
{
    struct ns_error err = {0};
    if (!f->seed)
        f->seed = 1;
    c->meter.fsel_seed = f->seed;
    if (f->export_policy && ns_xsel_new(&f->x, f->export_policy, f->seed ^ 0x5e1ec7ULL, &err) < 0)
        cmd_die("probe", "%s", err.msg);
    c->xsel = f->x;
    if (f->any && !c->stats_records) {
        c->stats_records = 1;
        c->stats_ns = 60ull * 1000000000u;
    }
}

void cmd_fsel_summary(const struct cmd_fsel *f, const struct ns_probe_config *c,
                      const struct ns_probe_stats *st)
{
    const struct ns_meter_fsel *fs = &st->meter.fs;
    if (!f->any)
        return;
    fprintf(stderr,
            "  flow selection (%s, cache %" PRIu32 "): not measured %" PRIu64 " packets %" PRIu64
            " octets; evicted unexported %" PRIu64 " flows %" PRIu64 " packets %" PRIu64
            " octets\n",
            ns_cache_policy_name((enum ns_cache_policy)c->meter.cache_policy), c->meter.max_flows,
            fs->ign_pkts, fs->ign_octets, fs->ev_flows, fs->ev_pkts, fs->ev_octets);
    if (c->meter.ms_stages || c->meter.cache_policy == NS_CACHE_SAMPLE_HOLD)
        fprintf(stderr,
                "  admission: %" PRIu64 " packets refused by the multistage filter, %" PRIu64
                " by sample and hold, %" PRIu64 " by a full cache\n",
                fs->ms_refused, fs->sh_refused, fs->full_refused);
    if (f->x) {
        struct ns_xsel_counters x;
        ns_xsel_get_counters(f->x, &x);
        fprintf(stderr,
                "  export policy %s: %" PRIu64 " of %" PRIu64 " records sent; not sent %" PRIu64
                " records %" PRIu64 " packets %" PRIu64 " octets\n",
                ns_xsel_spec(f->x), x.sent, x.offered, x.not_sent, x.not_sent_pkts,
                x.not_sent_octets);
    }
}

void cmd_fsel_free(struct cmd_fsel *f)
{
    ns_xsel_free(f->x);
    f->x = NULL;
}
