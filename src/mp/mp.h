/*
 * mp.h — parallel measurement processes (PSAMP, RFC 5474 §7, RFC 5476):
 * several independent selection chains on one observed packet stream,
 * each feeding its own reporting process (packet reports) or metering
 * process (sampled flows), all leaving through one exporting process.
 *
 * Design
 * ------
 * A process is one spec (`netsift probe --mp SPEC`, repeatable):
 *
 *   name=traj; prio=1; select=hash:bob,frac=0.01; report=seq,time,digest
 *   name=web; prio=2; select=match:tcp and port 80; select=count:1/100; flows
 *
 * Items are separated by ';' (never part of a selector spec, a filter
 * expression or a field list, which use ',' ':' '/' and spaces); each is
 * KEY=VALUE where VALUE is everything after the first '=', so selector
 * specs keep their own commas and colons as `--select` takes them.  Keys:
 *   name=NAME     a label for summaries (letters, digits, - _ .; default pK)
 *   prio=N        priority 1..1000, 1 the most important (default: K, the
 *                 position); ties go to the process given first
 *   id=N          selectionSequenceId (default: K); distinct per process
 *   select=SPEC   one selector in select.h syntax; repeat to chain, in order
 *   report[=FIELDS]  a reporting process: packet reports with these
 *                 fields (report.h; default "default")
 *   flows         a metering process: the selected packets go to a flow
 *                 meter whose records carry samplingProbability
 * Exactly one of report/flows, at least one select.  At most one metering
 * process per run: flow records carry no selectionSequenceId, so two
 * metering processes' records in one stream could not be told apart
 * (they would need an observation domain each); the one metering
 * process's records are the only flow records in the stream, and its
 * selection interpretation and statistics carry its id.
 *
 * Independence: every process sees every observed packet (RFC 5474 §7);
 * its chain has its own counters and input sequence numbers, so a
 * process's output is exactly what the same chain alone would give
 * (`probe --select ... --report ... --report-id ID`).  The packet is
 * decoded at most once, by whichever process first needs it.  Reporting
 * process K uses template ids NS_REPORT_TID_BASE + 0x100 * (K - 1).
 *
 * Contention (ns_mp_budget): the resource is the exporting process's
 * report capacity, `budget` packet reports per `period` of packet time
 * (periods aligned to multiples of the period since the epoch).  Reports
 * of a period are held until it ends; when more than `budget` were made,
 * those of the least important process are left out first (its latest
 * first), so a process loses reports only while every less important one
 * has none left in the period: the most important process keeps all of
 * its reports whenever it alone stays within the budget.  The kept ones
 * go out in the order they were made.  Every process still counts its
 * selection (selectorIdTotalPktsSelected and input sequence numbers keep
 * advancing, so R = (n-1)/(s_n-s_1) stays right from what was reported),
 * and its Selection Sequence Statistics carry the reports left out
 * (droppedPacketReportTotalCount, netsift PEN): selected = reported +
 * dropped, exactly.  Flow records are not held: a metering process is not
 * subject to the budget.
 *
 * Ownership and errors: ns_mp_parse allocates nothing and fills a fixed
 * struct (NS_EINVAL naming the item and its column on a bad spec);
 * ns_mp_run allocates at start (chains, reports, meter, the budget's
 * slots) and nothing per packet.  Not thread-safe; one run at a time.
 */
#ifndef NS_MP_MP_H
#define NS_MP_MP_H

#include <stddef.h>
#include <stdint.h>

#include "meter/meter.h"
#include "report/report.h"
#include "select/select.h"
#include "util/err.h"

#define NS_MP_MAX      8
#define NS_MP_NAME_MAX 32
#define NS_MP_SPEC_MAX 600 /* one selector spec */

struct ns_mp_spec {
    char name[NS_MP_NAME_MAX];
    uint32_t prio; /* 0: not given */
    uint64_t ssid; /* 0: not given */
    int flows;     /* metering process; else reporting */
    struct ns_report_config report;
    size_t nsel;
    char sel[NS_SEL_MAX_CHAIN][NS_MP_SPEC_MAX];
};

/* Parse one --mp spec; `index` (1-based) is its position, for defaults
 * and messages.  Selector specs are checked (ns_sel_parse_spec). */
int ns_mp_parse(const char *text, size_t index, struct ns_mp_spec *out, struct ns_error *err);

/* Defaults (name, prio, id = position) and the rules between processes:
 * distinct ids and names, at most one metering process. */
int ns_mp_check(struct ns_mp_spec *s, size_t n, struct ns_error *err);

/* Parse "N/PERIOD" (PERIOD: s, or a time such as 100ms, 2s; "N" alone
 * is per second) into a budget; budget 1..100000 (its reports are held
 * in memory until the period ends). */
int ns_mp_parse_budget(const char *text, uint64_t *budget, uint64_t *period_ns,
                       struct ns_error *err);

/* ---- the run ---- */

struct ns_ipfix_writer;
struct ns_exporter;

struct ns_mp_config {
    const char *const *inputs;
    size_t ninputs;
    const char *bpf;
    const struct ns_mp_spec *spec;
    size_t n;
    uint64_t interp_ns;           /* --report-interval for every reporting process */
    uint64_t budget, period_ns;   /* 0: no contention */
    struct ns_meter_config meter; /* the metering process's */
    struct ns_ipfix_writer *w;    /* may be NULL */
    struct ns_exporter *x;        /* may be NULL */
    void (*warn)(void *ctx, const char *msg);
    void *ctx;
};

struct ns_mp_proc_stats {
    char name[NS_MP_NAME_MAX];
    uint64_t ssid;
    uint32_t prio;
    int flows;
    uint64_t selected; /* packets the chain selected */
    uint64_t reported; /* packet reports sent (reporting) */
    uint64_t dropped;  /* left out under the budget (reporting) */
    uint64_t records;  /* flow records (metering) */
    size_t nsel;
    struct ns_sel_info sel[NS_SEL_MAX_CHAIN];
};

struct ns_mp_stats {
    uint64_t packets, filtered;
    uint64_t options; /* interpretation and statistics records */
    size_t n;
    struct ns_mp_proc_stats p[NS_MP_MAX];
};

/* Every input through every process into the outputs; the final
 * statistics at the end.  NS_ETRUNC when an input was damaged. */
int ns_mp_run(const struct ns_mp_config *c, struct ns_mp_stats *st, struct ns_error *err);

#endif
