/*
 * spec.c — the --mp syntax (mp.h): items separated by ';', each KEY=VALUE
 * (or the bare words `flows` and `report`); every message names the
 * process, the item and its column (1-based, in the spec as given).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp/mp.h"

static int bad(struct ns_error *err, size_t index, size_t col, const char *fmt, const char *a,
               const char *b)
{
    char what[200];
    snprintf(what, sizeof what, fmt, a, b);
    return ns_error_set(err, NS_EINVAL, "--mp %zu, column %zu: %s", index, col, what);
}

static int parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0 || len > 19)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v == 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

int ns_mp_parse(const char *text, size_t index, struct ns_mp_spec *out, struct ns_error *err)
{
    memset(out, 0, sizeof *out);
    ns_report_config_default(&out->report);
    int has_report = 0;
    const char *p = text;
    for (;;) {
        size_t n = strcspn(p, ";");
        /* trim the item */
        const char *a = p, *e = p + n;
        while (a < e && isspace((unsigned char)*a))
            a++;
        while (e > a && isspace((unsigned char)e[-1]))
            e--;
        size_t col = (size_t)(a - text) + 1;
        char item[NS_MP_SPEC_MAX + 16];
        size_t il = (size_t)(e - a);
        if (il >= sizeof item)
            return bad(err, index, col, "item too long (%s%s)", "", "");
        memcpy(item, a, il);
        item[il] = 0;
        if (il) {
            char *eq = strchr(item, '=');
            size_t kl = eq ? (size_t)(eq - item) : il;
            while (kl && isspace((unsigned char)item[kl - 1]))
                kl--;
            const char *v = eq ? eq + 1 : NULL;
            while (v && isspace((unsigned char)*v))
                v++;
            size_t vl = v ? strlen(v) : 0;
#define KEY(k) (kl == sizeof(k) - 1 && strncmp(item, k, kl) == 0)
            if (KEY("flows")) {
                if (v)
                    return bad(err, index, col, "'flows' takes no value ('%s')", item, "");
                out->flows = 1;
            } else if (KEY("report")) {
                if (has_report)
                    return bad(err, index, col, "a second report item '%s'", item, "");
                has_report = 1;
                if (v && ns_report_parse_fields(vl ? v : "", &out->report, err) < 0) {
                    char m[sizeof err->msg];
                    snprintf(m, sizeof m, "%s", err->msg);
                    return bad(err, index, col, "report: %s%s", m, "");
                }
            } else if (!v) {
                return bad(err, index, col,
                           "'%s' is not KEY=VALUE (keys: name prio id select report flows)%s", item,
                           "");
            } else if (KEY("name")) {
                if (vl == 0 || vl >= NS_MP_NAME_MAX)
                    return bad(err, index, col, "name wants 1 to 31 characters, not '%s'%s", v, "");
                for (size_t i = 0; i < vl; i++)
                    if (!isalnum((unsigned char)v[i]) && !strchr("-_.", v[i]))
                        return bad(err, index, col,
                                   "name '%s': letters, digits, '-', '_' and '.' only%s", v, "");
                memcpy(out->name, v, vl + 1);
            } else if (KEY("prio")) {
                uint64_t x;
                if (parse_uint(v, vl, 1000, &x) < 0)
                    return bad(err, index, col, "prio wants 1..1000 (1 first), not '%s'%s", v, "");
                out->prio = (uint32_t)x;
            } else if (KEY("id")) {
                if (parse_uint(v, vl, UINT64_MAX / 10, &out->ssid) < 0)
                    return bad(err, index, col,
                               "id (selectionSequenceId) wants a positive number, not '%s'%s", v,
                               "");
            } else if (KEY("select")) {
                if (out->nsel == NS_SEL_MAX_CHAIN)
                    return bad(err, index, col, "more than 16 selectors%s%s", "", "");
                if (vl >= NS_MP_SPEC_MAX)
                    return bad(err, index, col, "selector spec too long%s%s", "", "");
                struct ns_sel_config sc;
                if (ns_sel_parse_spec(v, &sc, err) < 0) {
                    char m[sizeof err->msg];
                    snprintf(m, sizeof m, "%s", err->msg);
                    return bad(err, index, col, "select: %s%s", m, "");
                }
                memcpy(out->sel[out->nsel++], v, vl + 1);
            } else {
                char k[64];
                snprintf(k, sizeof k, "%.*s", (int)(kl < 60 ? kl : 60), item);
                return bad(err, index, col,
                           "unknown key '%s' (keys: name prio id select report flows)%s", k, "");
            }
#undef KEY
        }
        if (!p[n])
            break;
        p += n + 1;
    }
    if (out->nsel == 0)
        return ns_error_set(err, NS_EINVAL, "--mp %zu: no select=SPEC (a process needs a chain)",
                            index);
    if (out->flows == has_report)
        return ns_error_set(err, NS_EINVAL,
                            "--mp %zu: say what the process does: report[=FIELDS] (packet "
                            "reports) or flows (sampled flows), one of them",
                            index);
    if (out->flows)
        out->report.fields = 0; /* interpretation only (report.h) */
    return NS_OK;
}

int ns_mp_check(struct ns_mp_spec *s, size_t n, struct ns_error *err)
{
    if (n == 0 || n > NS_MP_MAX)
        return ns_error_set(err, NS_EINVAL, "--mp: 1 to %d processes", NS_MP_MAX);
    size_t meters = 0;
    for (size_t i = 0; i < n; i++) {
        if (!s[i].name[0])
            snprintf(s[i].name, sizeof s[i].name, "p%zu", i + 1);
        if (!s[i].prio)
            s[i].prio = (uint32_t)(i + 1);
        meters += s[i].flows != 0;
    }
    /* ids: given ones first, then the defaults K where K is free */
    for (size_t i = 0; i < n; i++) {
        if (s[i].ssid)
            continue;
        for (uint64_t k = i + 1;; k++) {
            int used = 0;
            for (size_t j = 0; j < n; j++)
                used |= j != i && s[j].ssid == k;
            if (!used) {
                s[i].ssid = k;
                break;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            if (s[i].ssid == s[j].ssid)
                return ns_error_set(err, NS_EINVAL,
                                    "--mp %zu and %zu: both have id %" PRIu64
                                    " (each process needs its own selectionSequenceId)",
                                    i + 1, j + 1, s[i].ssid);
            if (strcmp(s[i].name, s[j].name) == 0)
                return ns_error_set(err, NS_EINVAL, "--mp %zu and %zu: both are named '%s'", i + 1,
                                    j + 1, s[i].name);
        }
    if (meters > 1)
        return ns_error_set(err, NS_EINVAL,
                            "--mp: at most one metering process (flows): flow records carry no "
                            "selectionSequenceId, so two processes' flows could not be told apart");
    return NS_OK;
}

int ns_mp_parse_budget(const char *text, uint64_t *budget, uint64_t *period_ns,
                       struct ns_error *err)
{
    const char *slash = strchr(text, '/');
    size_t nl = slash ? (size_t)(slash - text) : strlen(text);
    if (parse_uint(text, nl, 100000, budget) < 0)
        return ns_error_set(err, NS_EINVAL,
                            "--mp-budget wants REPORTS/PERIOD with REPORTS 1..100000, such as "
                            "500/s or 50/100ms, not '%s'",
                            text);
    *period_ns = 1000000000u;
    if (!slash || strcmp(slash + 1, "s") == 0)
        return NS_OK;
    const char *t = slash + 1;
    char *end;
    double v = strtod(t, &end);
    double mul = 0;
    if (end == t || !(v > 0))
        mul = 0;
    else if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
        mul = 1e9;
    else if (strcmp(end, "ms") == 0)
        mul = 1e6;
    else if (strcmp(end, "us") == 0)
        mul = 1e3;
    else if (strcmp(end, "m") == 0)
        mul = 60e9;
    double ns = v * mul;
    if (!(ns >= 1e6 && ns <= 3600e9))
        return ns_error_set(err, NS_EINVAL,
                            "--mp-budget period: a time from 1ms to 1h such as s, 100ms or 2s, "
                            "not '%s'",
                            t);
    *period_ns = (uint64_t)ns;
    return NS_OK;
}
