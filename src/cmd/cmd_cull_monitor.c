/*
 * netsift cull plan|monitor — which BGP sessions a culling filter will cut,
 * and watching it cut them (RFC 8327 §3.3).  Options and printing only:
 * the tracking is cullmon/cullmon.h, the plot cullmon/timeline.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analysis/plot.h"
#include "capture/capture.h"
#include "cmd/cmd.h"
#include "cullmon/brport.h"
#include "cullmon/cullmon.h"
#include "cullmon/timeline.h"
#include "pkt/pkt.h"

#define EXIT_COMPLETE 0
#define EXIT_NOT_DONE 3
#define EXIT_LEAK     4
#define MAX_SPECS     256

struct spec {
    char name[NS_CM_NAME_LEN];
    uint8_t mac[6];
    const char *port; /* bridge port to resolve live */
};

struct opts {
    const char *cmd;
    struct cmd_inputs in;
    const char *iface;
    struct ns_cm_config cfg;
    struct spec specs[MAX_SPECS];
    size_t n_specs;
    int json;
    const char *plot;
    uint64_t timeout_ns, duration_ns;
    const char *until;
    const char *applied;
    int quiet;
};

static volatile sig_atomic_t stop_flag, usr1_flag;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        usr1_flag = 1;
    else
        stop_flag = 1;
}

static void usage(FILE *out, int monitor)
{
    if (!monitor)
        fprintf(
            out,
            "usage: netsift cull plan (-r CAPTURE... | -i IFACE [--duration T]) --lan PREFIX...\n"
            "                         [--member [NAME=]MAC...] [--port PORT...] [-F table|json]\n\n"
            "Lists the BGP sessions on the peering LAN (tcp/179 between LAN addresses)\n"
            "with addresses, ASNs, hold times and address families, and marks those the\n"
            "culling filter for the given members/ports will cut (RFC 8327 §3.3).\n\n");
    else
        fprintf(out,
                "usage: netsift cull monitor (-r CAPTURE... | -i IFACE) --lan PREFIX...\n"
                "                            (--member [NAME=]MAC | --port PORT)...\n"
                "                            [--applied-at TIME] [--json] [--plot FILE.svg]\n\n"
                "Tracks every BGP session on the peering LAN and the culled members'\n"
                "forwarding-plane traffic; says when culling is complete (all culled sessions\n"
                "down, transit traffic at the minimum), raises an alarm when BGP still\n"
                "crosses a culled port.  Exit: 0 complete, 3 not complete (timeout or end of\n"
                "capture), 4 leak alarm, 1 error, 2 usage.\n\n");
    fprintf(out, "  -r FILE            read a capture (pcap/pcapng)\n"
                 "  -i IFACE           capture live (e.g. the fabric bridge br0)\n"
                 "  --lan PREFIX       peering LAN prefix (repeat; both families)\n"
                 "  --member [NAME=]MAC  a member router to cull, by MAC (repeat)\n"
                 "  --port PORT        NAME=MAC, or live on a Linux bridge the name of a\n"
                 "                     bridge port (its learned MACs are the member)\n");
    if (!monitor)
        fprintf(out, "  --duration T       live: look this long (default 30s)\n"
                     "  -F FORMAT          table (default) or json\n");
    else
        fprintf(out,
                "  --applied-at TIME  when the filter was applied: epoch seconds, +SECONDS\n"
                "                     from the first frame, or 'now'; default: inferred\n"
                "                     from BGP stopping (live: also SIGUSR1 = now)\n"
                "  --min-ratio R      complete when transit is at most R x baseline (0.05)\n"
                "  --window T         rate window (2s)      --baseline T  baseline span (60s)\n"
                "  --hold T           hold time when no OPEN or KEEPALIVE tells (90s)\n"
                "  --hold-jitter F    hold timers may fire up to F x hold early (0.25, BIRD);\n"
                "                     silent sessions are dated at hold x (1 - F/2)\n"
                "  --until WHAT       live: stop at 'complete' (default), 'restored' or 'never'\n"
                "  --timeout T        live: give up after T (default 10m)\n"
                "  --json             events as JSON lines, then a summary line\n"
                "  --plot FILE        timeline SVG: transit traffic per member, events marked\n"
                "  -q                 no status table at the end\n");
}

static void die_usage(struct opts *o, const char *fmt, const char *arg)
{
    fprintf(stderr, "netsift cull %s: ", o->cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    usage(stderr, !strcmp(o->cmd, "monitor"));
    exit(2);
}

static void add_spec(struct opts *o, const char *arg, int is_port)
{
    if (o->n_specs == MAX_SPECS)
        die_usage(o, "too many members (%s)", arg);
    struct spec *sp = &o->specs[o->n_specs];
    memset(sp, 0, sizeof *sp);
    const char *eq = strchr(arg, '=');
    const char *macs = eq ? eq + 1 : arg;
    if (eq) {
        size_t l = (size_t)(eq - arg);
        if (!l || l >= sizeof sp->name)
            die_usage(o, "bad member name in '%s'", arg);
        memcpy(sp->name, arg, l);
    }
    if (ns_cm_parse_mac(macs, sp->mac) < 0) {
        if (!is_port || eq)
            die_usage(o, "'%s': expected [NAME=]MAC (02:00:00:00:02:01)", arg);
        sp->port = arg; /* a bridge port name: resolved on the live bridge */
        snprintf(sp->name, sizeof sp->name, "%s", arg);
    }
    o->n_specs++;
}

static void parse(struct opts *o, int argc, char **argv, int monitor)
{
    enum {
        O_LAN = 256,
        O_MEMBER,
        O_PORT,
        O_APPLIED,
        O_MINRATIO,
        O_WINDOW,
        O_BASELINE,
        O_HOLD,
        O_UNTIL,
        O_TIMEOUT,
        O_JSON,
        O_PLOT,
        O_DURATION,
        O_JITTER,
    };
    static const struct option lo[] = {
        {"lan", required_argument, 0, O_LAN},
        {"member", required_argument, 0, O_MEMBER},
        {"port", required_argument, 0, O_PORT},
        {"applied-at", required_argument, 0, O_APPLIED},
        {"min-ratio", required_argument, 0, O_MINRATIO},
        {"window", required_argument, 0, O_WINDOW},
        {"baseline", required_argument, 0, O_BASELINE},
        {"hold", required_argument, 0, O_HOLD},
        {"until", required_argument, 0, O_UNTIL},
        {"timeout", required_argument, 0, O_TIMEOUT},
        {"json", no_argument, 0, O_JSON},
        {"plot", required_argument, 0, O_PLOT},
        {"duration", required_argument, 0, O_DURATION},
        {"hold-jitter", required_argument, 0, O_JITTER},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    ns_cm_config_default(&o->cfg);
    o->timeout_ns = 600ull * 1000000000u;
    o->duration_ns = 30ull * 1000000000u;
    o->until = "complete";
    int c;
    struct ns_error err;
    uint64_t v;
    while ((c = cmd_getopt(argc, argv, "r:i:F:qh", lo, &o->in)) != -1) {
        switch (c) {
        case 'i':
            o->iface = optarg;
            break;
        case 'F':
            if (strcmp(optarg, "table") != 0 && strcmp(optarg, "json") != 0)
                die_usage(o, "unknown format '%s' (table, json)", optarg);
            o->json = !strcmp(optarg, "json");
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'h':
            usage(stdout, monitor);
            exit(0);
        case O_LAN:
            if (ns_lan_add(&o->cfg.lan, optarg, &err) < 0)
                die_usage(o, "%s", err.msg);
            break;
        case O_MEMBER:
            add_spec(o, optarg, 0);
            break;
        case O_PORT:
            add_spec(o, optarg, 1);
            break;
        case O_APPLIED:
            o->applied = optarg;
            break;
        case O_MINRATIO: {
            char *end;
            o->cfg.min_ratio = strtod(optarg, &end);
            if (*end || end == optarg || !(o->cfg.min_ratio >= 0 && o->cfg.min_ratio <= 1))
                die_usage(o, "--min-ratio '%s': a number from 0 to 1", optarg);
            break;
        }
        case O_JITTER: {
            char *end;
            o->cfg.hold_jitter = strtod(optarg, &end);
            if (*end || end == optarg || !(o->cfg.hold_jitter >= 0 && o->cfg.hold_jitter < 1))
                die_usage(o, "--hold-jitter '%s': a number from 0 to below 1", optarg);
            break;
        }
        case O_WINDOW:
        case O_BASELINE:
        case O_HOLD:
        case O_TIMEOUT:
        case O_DURATION:
            if (cmd_parse_seconds(optarg, &v) < 0 || (!v && c != O_TIMEOUT))
                die_usage(o, "bad duration '%s'", optarg);
            if (c == O_WINDOW)
                o->cfg.rate_window_ns = v;
            else if (c == O_BASELINE)
                o->cfg.baseline_ns = v;
            else if (c == O_HOLD)
                o->cfg.default_hold = (uint16_t)(v / 1000000000u > 65535 ? 65535 : v / 1000000000u);
            else if (c == O_TIMEOUT)
                o->timeout_ns = v;
            else
                o->duration_ns = v;
            break;
        case O_UNTIL:
            if (strcmp(optarg, "complete") != 0 && strcmp(optarg, "restored") != 0 &&
                strcmp(optarg, "never") != 0)
                die_usage(o, "--until '%s': complete, restored or never", optarg);
            o->until = optarg;
            break;
        case O_JSON:
            o->json = 1;
            break;
        case O_PLOT:
            o->plot = optarg;
            break;
        default:
            usage(stderr, monitor);
            exit(2);
        }
    }
    if (optind < argc)
        die_usage(o, "unexpected argument '%s'", argv[optind]);
    if (!o->in.n && !o->iface)
        die_usage(o, "%s", "give a capture (-r) or an interface (-i)");
    if (o->in.n && o->iface)
        die_usage(o, "%s", "-r and -i together");
    if (!o->cfg.lan.n)
        die_usage(o, "%s", "give the peering LAN (--lan PREFIX)");
    if (monitor && !o->n_specs)
        die_usage(o, "%s", "name the members to cull (--member MAC or --port PORT)");
    for (size_t i = 0; i < o->n_specs; i++)
        if (o->specs[i].port && !o->iface)
            die_usage(o, "--port %s: a bridge port name needs -i BRIDGE; offline give NAME=MAC",
                      o->specs[i].port);
}

/* ---- printing ---- */

static void json_str(FILE *f, const char *s)
{
    /* escape for JSON; bytes that are not well-formed UTF-8 become U+FFFD
     * (shutdown communications are peer-supplied octets) */
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', f);
    while (*p) {
        unsigned c = *p;
        if (c == '"' || c == '\\') {
            fprintf(f, "\\%c", c);
            p++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(f, "\\u%04x", c);
            p++;
        } else if (c < 0x80) {
            fputc((int)c, f);
            p++;
        } else {
            int n = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;
            int ok = n > 0 && !(c == 0xc0 || c == 0xc1 || c > 0xf4);
            for (int k = 1; ok && k <= n; k++)
                ok = (p[k] & 0xc0) == 0x80;
            if (ok) {
                fwrite(p, 1, (size_t)n + 1, f);
                p += n + 1;
            } else {
                fputs("\\ufffd", f);
                p++;
            }
        }
    }
    fputc('"', f);
}

/* Text for a terminal: control characters of peer text shown as '?'. */
static void safe_text(char *dst, size_t cap, const char *s)
{
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++)
        dst[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    dst[i] = '\0';
}

static void fmt_time(char *buf, size_t cap, uint64_t ns)
{
    ns_plot_time(buf, cap, ns, 'F', 3);
}

static const char *member_name(const struct ns_cm *m, int k)
{
    const struct ns_cm_member *x = k >= 0 ? ns_cm_member(m, (size_t)k) : NULL;
    return x ? x->name : "-";
}

static void json_session(FILE *f, const struct ns_cm *m, const struct ns_cm_session *s)
{
    char a[64], b[64], af[256];
    fprintf(f, "{\"a\":\"%s\",\"b\":\"%s\",\"asn_a\":%u,\"asn_b\":%u,\"member_a\":",
            ns_cm_addr_str(s, 0, a, sizeof a), ns_cm_addr_str(s, 1, b, sizeof b), s->asn[0],
            s->asn[1]);
    json_str(f, member_name(m, s->member[0]));
    fprintf(f, ",\"member_b\":");
    json_str(f, member_name(m, s->member[1]));
    fprintf(f, ",\"family\":\"ipv%u\",\"af\":\"%s\",\"hold\":%u,\"hold_from\":\"%s\",", s->family,
            ns_cm_af_str(s, af, sizeof af), s->hold,
            s->hold_src == 2   ? "open"
            : s->hold_src == 1 ? "keepalives"
                               : "default");
    if (s->have_open[0])
        fprintf(f, "\"hold_a\":%u,", s->hold_open[0]);
    if (s->have_open[1])
        fprintf(f, "\"hold_b\":%u,", s->hold_open[1]);
    fprintf(f, "\"state\":\"%s\",\"culled\":%s,\"ups\":%u,\"downs\":%u}",
            ns_cm_state_name(s->state), s->culled ? "true" : "false", s->ups, s->downs);
}

static void print_event(FILE *f, const struct ns_cm *m, const struct ns_cm_event *e, int json)
{
    const struct ns_cm_session *s = e->session >= 0 ? ns_cm_session(m, (size_t)e->session) : NULL;
    double rel = (double)(e->t_ns - ns_cm_first_ns(m)) / 1e9;
    if (json) {
        fprintf(f, "{\"t\":%llu.%09llu,\"rel\":%.3f,\"detected\":%llu.%09llu,\"event\":\"%s\"",
                (unsigned long long)(e->t_ns / 1000000000u),
                (unsigned long long)(e->t_ns % 1000000000u), rel,
                (unsigned long long)(e->detected_ns / 1000000000u),
                (unsigned long long)(e->detected_ns % 1000000000u), ns_cm_event_name(e->type));
        if (s) {
            fprintf(f, ",\"session\":");
            json_session(f, m, s);
        }
        if (e->side >= 0 && s) {
            char a[64];
            fprintf(f, ",\"from\":\"%s\"", ns_cm_addr_str(s, e->side, a, sizeof a));
        }
        if (e->member >= 0) {
            const struct ns_cm_member *x = ns_cm_member(m, (size_t)e->member);
            char mb[24];
            fprintf(f, ",\"member\":");
            json_str(f, x->name);
            fprintf(f, ",\"mac\":\"%s\"", ns_cm_mac_str(x->mac, mb, sizeof mb));
        }
        if (e->type == NS_CM_EV_APPLIED)
            fprintf(f, ",\"inferred\":%s", e->value ? "true" : "false");
        if (e->type == NS_CM_EV_ALL_UP || e->type == NS_CM_EV_COMPLETE)
            fprintf(f, ",\"sessions\":%.0f", e->value);
        if (e->text[0]) {
            fprintf(f, ",\"text\":");
            json_str(f, e->text);
        }
        fprintf(f, "}\n");
        fflush(f);
        return;
    }
    char tb[NS_PLOT_TIME_LEN], txt[NS_CM_TEXT_LEN];
    fmt_time(tb, sizeof tb, e->t_ns);
    fprintf(f, "%s %+9.3f  %-17s", tb, rel, ns_cm_event_name(e->type));
    if (s) {
        char a[64], b[64], af[256];
        fprintf(f, " %s (%s) - %s (%s) %s%s", ns_cm_addr_str(s, 0, a, sizeof a),
                member_name(m, s->member[0]), ns_cm_addr_str(s, 1, b, sizeof b),
                member_name(m, s->member[1]), ns_cm_af_str(s, af, sizeof af),
                s->culled ? " [culled]" : "");
    } else if (e->member >= 0) {
        char mb[24];
        const struct ns_cm_member *x = ns_cm_member(m, (size_t)e->member);
        fprintf(f, " %s (%s)", x->name, ns_cm_mac_str(x->mac, mb, sizeof mb));
    }
    if (e->type == NS_CM_EV_APPLIED)
        fprintf(f, " %s%s", e->value ? "inferred: " : "(given)", e->value ? e->text : "");
    else if (e->type == NS_CM_EV_ALL_UP)
        fprintf(f, " %.0f sessions", e->value);
    else if (e->text[0]) {
        safe_text(txt, sizeof txt, e->text);
        fprintf(f, ": %s", txt);
    }
    fputc('\n', f);
    fflush(f);
}

static void print_sessions(FILE *f, const struct ns_cm *m, int with_times)
{
    fprintf(f, "%-3s %-24s %-10s %-24s %-10s %-26s %5s %-7s %s\n", "cut", "peer A", "AS A",
            "peer B", "AS B", "families", "hold", "state", with_times ? "since" : "members");
    for (size_t i = 0; i < ns_cm_n_sessions(m); i++) {
        const struct ns_cm_session *s = ns_cm_session(m, i);
        char a[64], b[64], af[256], asa[16] = "-", asb[16] = "-", hold[16], since[80] = "";
        if (s->asn[0])
            snprintf(asa, sizeof asa, "%u", s->asn[0]);
        if (s->asn[1])
            snprintf(asb, sizeof asb, "%u", s->asn[1]);
        snprintf(hold, sizeof hold, "%u%s", s->hold,
                 s->hold_src == 2   ? ""
                 : s->hold_src == 1 ? "~"
                                    : "?");
        if (with_times) {
            uint64_t t = s->state == NS_CM_DOWN ? s->down_ns : s->up_ns;
            if (t)
                snprintf(since, sizeof since, "%+.3f", (double)(t - ns_cm_first_ns(m)) / 1e9);
        } else {
            snprintf(since, sizeof since, "%s,%s", member_name(m, s->member[0]),
                     member_name(m, s->member[1]));
        }
        fprintf(f, "%-3s %-24s %-10s %-24s %-10s %-26s %5s %-7s %s\n", s->culled ? "yes" : "no",
                ns_cm_addr_str(s, 0, a, sizeof a), asa, ns_cm_addr_str(s, 1, b, sizeof b), asb,
                ns_cm_af_str(s, af, sizeof af), hold, ns_cm_state_name(s->state), since);
    }
}

static void print_members(FILE *f, const struct ns_cm *m)
{
    fprintf(f, "%-12s %-17s %-4s %10s %12s %10s %12s %7s %10s\n", "member", "mac", "cut",
            "transit/s", "bit/s", "base/s", "base bit/s", "share", "local/s");
    for (size_t k = 0; k < ns_cm_n_members(m); k++) {
        const struct ns_cm_member *x = ns_cm_member(m, k);
        double pps, bps, lpps, lbps;
        ns_cm_rate(m, k, NS_CM_KIND_TRANSIT, &pps, &bps);
        ns_cm_rate(m, k, NS_CM_KIND_LOCAL, &lpps, &lbps);
        char mb[24], bb[NS_PLOT_SI_LEN], base[NS_PLOT_SI_LEN] = "-", baseb[NS_PLOT_SI_LEN] = "-",
                                         share[16] = "-";
        ns_plot_si(bb, sizeof bb, bps);
        if (x->has_baseline) {
            snprintf(base, sizeof base, "%.2f", x->base_pps[NS_CM_KIND_TRANSIT]);
            ns_plot_si(baseb, sizeof baseb, x->base_bps[NS_CM_KIND_TRANSIT]);
            if (x->base_pps[NS_CM_KIND_TRANSIT] > 0)
                snprintf(share, sizeof share, "%.0f%%",
                         100 * pps / x->base_pps[NS_CM_KIND_TRANSIT]);
        }
        fprintf(f, "%-12s %-17s %-4s %10.2f %12s %10s %12s %7s %10.2f\n", x->name,
                ns_cm_mac_str(x->mac, mb, sizeof mb), x->culled ? "yes" : "no", pps, bb, base,
                baseb, share, lpps);
    }
}

static const char *phase_name(enum ns_cm_phase p)
{
    switch (p) {
    case NS_CM_WAITING:
        return "waiting for the filter";
    case NS_CM_CULLING:
        return "culling";
    case NS_CM_COMPLETE:
        return "complete";
    case NS_CM_RESTORED:
        return "restored";
    }
    return "?";
}

static void print_status(FILE *f, const struct ns_cm *m)
{
    char tb[NS_PLOT_TIME_LEN];
    fmt_time(tb, sizeof tb, ns_cm_now(m));
    fprintf(f, "%s  phase: %s", tb, phase_name(ns_cm_phase(m)));
    int inferred;
    uint64_t a = ns_cm_applied_at(m, &inferred);
    if (a)
        fprintf(f, ", filter applied %+.3f%s", (double)(a - ns_cm_first_ns(m)) / 1e9,
                inferred ? " (inferred)" : "");
    if (ns_cm_complete_at(m))
        fprintf(f, ", complete %+.3f", (double)(ns_cm_complete_at(m) - ns_cm_first_ns(m)) / 1e9);
    if (ns_cm_leaks(m))
        fprintf(f, ", %d LEAK ALARM%s", ns_cm_leaks(m), ns_cm_leaks(m) > 1 ? "S" : "");
    fprintf(f, "\n\n");
    print_sessions(f, m, 1);
    fputc('\n', f);
    print_members(f, m);
}

static void json_summary(FILE *f, const struct ns_cm *m, uint64_t kdrops)
{
    int inferred;
    uint64_t a = ns_cm_applied_at(m, &inferred);
    struct ns_cm_stats st;
    ns_cm_get_stats(m, &st);
    fprintf(f,
            "{\"event\":\"summary\",\"phase\":\"%s\",\"applied\":%.9f,\"inferred\":%s,"
            "\"complete\":%.9f,\"leaks\":%d,\"frames\":%llu,\"bgp_frames\":%llu,"
            "\"bgp_messages\":%llu,\"kernel_drops\":%llu,\"sessions\":[",
            ns_cm_phase(m) == NS_CM_WAITING    ? "waiting"
            : ns_cm_phase(m) == NS_CM_CULLING  ? "culling"
            : ns_cm_phase(m) == NS_CM_COMPLETE ? "complete"
                                               : "restored",
            (double)a / 1e9, inferred ? "true" : "false", (double)ns_cm_complete_at(m) / 1e9,
            ns_cm_leaks(m), (unsigned long long)st.frames, (unsigned long long)st.bgp_frames,
            (unsigned long long)st.bgp_msgs, (unsigned long long)kdrops);
    for (size_t i = 0; i < ns_cm_n_sessions(m); i++) {
        fprintf(f, "%s", i ? "," : "");
        json_session(f, m, ns_cm_session(m, i));
    }
    fprintf(f, "],\"members\":[");
    for (size_t k = 0; k < ns_cm_n_members(m); k++) {
        const struct ns_cm_member *x = ns_cm_member(m, k);
        char mb[24];
        double pps, bps;
        ns_cm_rate(m, k, NS_CM_KIND_TRANSIT, &pps, &bps);
        fprintf(f, "%s{\"name\":", k ? "," : "");
        json_str(f, x->name);
        fprintf(f,
                ",\"mac\":\"%s\",\"asn\":%u,\"culled\":%s,\"transit_pps\":%.3f,"
                "\"transit_bps\":%.1f,\"baseline_pps\":%.3f,\"baseline_bps\":%.1f,"
                "\"transit_pkts\":%llu,\"local_pkts\":%llu,\"bgp_pkts\":%llu}",
                ns_cm_mac_str(x->mac, mb, sizeof mb), x->asn, x->culled ? "true" : "false", pps,
                bps, x->base_pps[NS_CM_KIND_TRANSIT], x->base_bps[NS_CM_KIND_TRANSIT],
                (unsigned long long)x->pkts[NS_CM_KIND_TRANSIT],
                (unsigned long long)x->pkts[NS_CM_KIND_LOCAL],
                (unsigned long long)x->pkts[NS_CM_KIND_BGP]);
    }
    fprintf(f, "]}\n");
}

/* ---- running ---- */

struct run {
    struct opts *o;
    struct ns_cm *m;
    struct ns_cm_event *ev; /* kept for the plot */
    size_t n_ev, cap_ev;
    int monitor, tty, print_events;
    uint64_t last_draw;
    int rel_applied;
    uint64_t rel_applied_ns;
    uint64_t kdrops; /* live: frames the kernel dropped, last read */
    uint64_t drops_checked;
};

static uint64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void drain(struct run *r)
{
    struct ns_cm_event e;
    while (ns_cm_next_event(r->m, &e) == 1) {
        if (r->n_ev == r->cap_ev) {
            size_t cap = r->cap_ev ? 2 * r->cap_ev : 64;
            struct ns_cm_event *p = realloc(r->ev, cap * sizeof *p);
            if (p) {
                r->ev = p;
                r->cap_ev = cap;
            }
        }
        if (r->n_ev < r->cap_ev)
            r->ev[r->n_ev++] = e;
        if (r->print_events && e.type != NS_CM_EV_MEMBER)
            print_event(stdout, r->m, &e, r->o->json);
    }
}

static int parse_applied(struct run *r, uint64_t *abs_ns)
{
    const char *s = r->o->applied;
    if (!s)
        return 0;
    if (!strcmp(s, "now")) {
        if (!r->o->iface)
            return -1;
        *abs_ns = wall_ns();
        return 1;
    }
    char *end;
    errno = 0;
    double v = strtod(s + (*s == '+'), &end);
    if (errno || *end || end == s || v < 0 || v > 1e11)
        return -1;
    if (*s == '+') {
        r->rel_applied = 1;
        r->rel_applied_ns = (uint64_t)(v * 1e9 + 0.5);
        return 0;
    }
    *abs_ns = (uint64_t)(v * 1e9 + 0.5);
    return 1;
}

static int resolve_ports(struct opts *o, struct ns_cm *m)
{
    struct ns_error err;
    for (size_t i = 0; i < o->n_specs; i++) {
        struct spec *sp = &o->specs[i];
        if (!sp->port) {
            if (ns_cm_add_member(m, sp->mac, sp->name[0] ? sp->name : NULL, 1, &err) < 0)
                cmd_die(o->cmd, "%s", err.msg);
            continue;
        }
        uint8_t macs[64][6];
        int n = ns_bridge_port_macs(o->iface, sp->port, macs, 64, &err);
        if (n < 0)
            cmd_die(o->cmd, "--port %s: %s", sp->port, err.msg);
        if (n == 0)
            cmd_die(o->cmd, "--port %s: no MAC learned on that port of %s yet", sp->port, o->iface);
        for (int k = 0; k < n; k++) {
            char name[NS_CM_NAME_LEN];
            snprintf(name, sizeof name, n > 1 ? "%.20s#%d" : "%.20s", sp->port, k + 1);
            if (ns_cm_add_member(m, macs[k], name, 1, &err) < 0)
                cmd_die(o->cmd, "%s", err.msg);
        }
    }
    return 0;
}

static int until_met(const struct run *r)
{
    enum ns_cm_phase p = ns_cm_phase(r->m);
    if (!strcmp(r->o->until, "complete"))
        return p >= NS_CM_COMPLETE;
    if (!strcmp(r->o->until, "restored"))
        return p >= NS_CM_RESTORED;
    return 0;
}

static void redraw(struct run *r)
{
    /* a terminal: the status table in place, then the latest events */
    fputs("\033[H\033[2J", stdout);
    print_status(stdout, r->m);
    fputs("\n", stdout);
    size_t from = r->n_ev > 12 ? r->n_ev - 12 : 0;
    for (size_t i = from; i < r->n_ev; i++)
        if (r->ev[i].type != NS_CM_EV_MEMBER)
            print_event(stdout, r->m, &r->ev[i], 0);
    fflush(stdout);
}

/* Frames the kernel dropped make silences look longer than they were (a
 * KEEPALIVE lost, a hold time over-estimated, a filter inferred early):
 * never silently.  pcap_stats() is a system call, so once a second. */
static void check_drops(struct run *r, struct ns_capture *cap)
{
    uint64_t now = wall_ns(), d;
    if (now - r->drops_checked < 1000000000u)
        return;
    r->drops_checked = now;
    if (ns_capture_kernel_drops(cap, &d) < 0 || d <= r->kdrops)
        return;
    fprintf(stderr,
            "netsift cull %s: the kernel dropped %llu frames (%llu in all): silences seen "
            "since may be longer than they were\n",
            r->o->cmd, (unsigned long long)(d - r->kdrops), (unsigned long long)d);
    r->kdrops = d;
}

static int run_capture(struct run *r)
{
    struct opts *o = r->o;
    struct ns_error err;
    struct ns_capture *cap;
    int rc = o->iface ? ns_capture_open_live(&cap, o->iface, 0, 100, NULL, &err)
                      : ns_capture_open_files(&cap, o->in.paths, o->in.n, NULL, &err);
    if (rc < 0)
        cmd_die(o->cmd, "%s", err.msg);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    uint64_t start = wall_ns(), last_ts = 0, last_tick = 0;
    int first = 1;
    for (;;) {
        struct ns_pkt p;
        const uint8_t *frame;
        int lt;
        rc = ns_capture_next(cap, &p, &frame, &lt, &err);
        if (rc < 0)
            cmd_die(o->cmd, "%s", err.msg);
        if (rc == 0)
            break;
        if (rc == 1) {
            ns_pkt_decode(&p, lt, frame);
            if (first && r->rel_applied)
                ns_cm_set_applied_at(r->m, p.ts_ns + r->rel_applied_ns);
            first = 0;
            ns_cm_packet(r->m, &p);
            if (p.ts_ns > last_ts)
                last_ts = p.ts_ns;
        }
        const char *w = ns_capture_warning(cap);
        if (w) {
            fprintf(stderr, "netsift cull %s: %s\n", o->cmd, w);
            ns_capture_take_warning(cap);
        }
        if (o->iface) {
            uint64_t now = wall_ns();
            if (usr1_flag) {
                usr1_flag = 0;
                ns_cm_set_applied_at(r->m, now);
            }
            /* The wall clock moves the monitor's clock only when the ring
             * has just been found empty (rc 2): after a stall (a starved
             * CPU) the ring holds frames stamped seconds before `now`, and
             * a tick first would judge silences, hold timers and KEEPALIVE
             * spacing against frames not read yet.  While frames flow,
             * their own stamps move the clock (ns_cm_packet). */
            if (rc == 2 && now - last_tick >= 100000000u) {
                ns_cm_tick(r->m, now);
                last_tick = now;
            }
            drain(r);
            check_drops(r, cap);
            if (r->tty && now - r->last_draw >= 1000000000u) {
                redraw(r);
                r->last_draw = now;
            }
            if (stop_flag || (r->monitor && until_met(r)) ||
                (r->monitor && o->timeout_ns && now - start >= o->timeout_ns) ||
                (!r->monitor && now - start >= o->duration_ns))
                break;
        } else {
            drain(r);
            if (stop_flag)
                break;
        }
    }
    if (o->iface) {
        r->drops_checked = 0; /* the last word, whenever the last check was */
        check_drops(r, cap);
    }
    ns_cm_finish(r->m, o->iface ? wall_ns() : last_ts);
    drain(r);
    ns_capture_close(cap);
    return 0;
}

static void setup(struct run *r, struct opts *o, int monitor)
{
    memset(r, 0, sizeof *r);
    r->o = o;
    r->monitor = monitor;
    uint64_t abs = 0;
    int a = monitor ? parse_applied(r, &abs) : 0;
    if (a < 0)
        die_usage(o, "--applied-at '%s': epoch seconds, +SECONDS, or 'now' (live)", o->applied);
    if (a > 0)
        o->cfg.applied_at_ns = abs;
    struct ns_error err;
    if (ns_cm_create(&r->m, &o->cfg, &err) < 0)
        cmd_die(o->cmd, "%s", err.msg);
    resolve_ports(o, r->m);
}

int cmd_cull_plan(int argc, char **argv)
{
    struct opts o;
    memset(&o, 0, sizeof o);
    o.cmd = "plan";
    parse(&o, argc, argv, 0);
    struct run r;
    setup(&r, &o, 0);
    run_capture(&r);
    if (o.json) {
        printf("{\"sessions\":[");
        for (size_t i = 0; i < ns_cm_n_sessions(r.m); i++) {
            printf("%s", i ? "," : "");
            json_session(stdout, r.m, ns_cm_session(r.m, i));
        }
        printf("]}\n");
    } else {
        size_t culled = 0;
        for (size_t i = 0; i < ns_cm_n_sessions(r.m); i++)
            culled += ns_cm_session(r.m, i)->culled;
        print_sessions(stdout, r.m, 0);
        printf("\n%zu BGP sessions on the peering LAN, %zu to be culled.  hold: seconds from "
               "the OPENs; ~ estimated from KEEPALIVEs, ? default\n",
               ns_cm_n_sessions(r.m), culled);
    }
    ns_cm_free(r.m);
    free(o.in.paths);
    return 0;
}

int cmd_cull_monitor(int argc, char **argv)
{
    struct opts o;
    memset(&o, 0, sizeof o);
    o.cmd = "monitor";
    parse(&o, argc, argv, 1);
    struct run r;
    setup(&r, &o, 1);
    r.tty = o.iface && !o.json && isatty(STDOUT_FILENO);
    r.print_events = !r.tty;
    run_capture(&r);
    if (o.json)
        json_summary(stdout, r.m, r.kdrops);
    else if (!o.quiet) {
        if (!r.tty)
            putchar('\n');
        print_status(stdout, r.m);
    }
    int status = ns_cm_leaks(r.m)                     ? EXIT_LEAK
                 : ns_cm_phase(r.m) >= NS_CM_COMPLETE ? EXIT_COMPLETE
                                                      : EXIT_NOT_DONE;
    if (o.plot) {
        FILE *f = strcmp(o.plot, "-") != 0 ? fopen(o.plot, "w") : stdout;
        struct ns_error err;
        if (!f)
            cmd_die(o.cmd, "%s: %s", o.plot, strerror(errno));
        if (ns_cm_timeline_svg(f, r.m, r.ev, r.n_ev, &err) < 0)
            cmd_die(o.cmd, "%s: %s", o.plot, err.msg);
        if (f != stdout && fclose(f) != 0)
            cmd_die(o.cmd, "%s: %s", o.plot, strerror(errno));
    }
    free(r.ev);
    ns_cm_free(r.m);
    free(o.in.paths);
    return status;
}
