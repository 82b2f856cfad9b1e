/* netsift read --reports / --selection-summary: PSAMP packet reports
 * (report/reader.h), printed one a line, and the RFC 5474 §5.3 estimate. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#include "cmd/read_reports.h"
#include "report/reader.h"

static void put_time(FILE *out, uint64_t ns)
{
    time_t s = (time_t)(ns / 1000000000u);
    struct tm tm;
    char buf[32];
    gmtime_r(&s, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    fprintf(out, "%s.%06" PRIu64, buf, ns % 1000000000u / 1000u);
}

static void put_addr(FILE *out, const struct ns_psamp_item *it, const uint8_t *a, int port,
                     uint16_t p)
{
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(it->ip_version == 6 ? AF_INET6 : AF_INET, a, buf, sizeof buf);
    if (port && it->ip_version == 6)
        fprintf(out, "[%s]:%u", buf, p);
    else if (port)
        fprintf(out, "%s:%u", buf, p);
    else
        fputs(buf, out);
}

static void print_report(FILE *out, const struct ns_psamp_item *it)
{
    fprintf(out, "report ssid=%" PRIu64, it->ssid);
    if (it->has & NS_PH_TIME) {
        fputc(' ', out);
        put_time(out, it->time_ns);
    }
    if (it->has & NS_PH_SEQ) {
        fputs(" seq=", out);
        for (uint32_t i = 0; i < it->nsel; i++)
            fprintf(out, "%s%" PRIu64, i ? "/" : "", it->observed[i]);
    }
    if (it->has & NS_PH_DIGEST)
        fprintf(out, " digest=%08" PRIx64, it->digest);
    if (it->has & NS_PH_PROTO)
        fprintf(out, " proto=%u", it->proto);
    if (it->has & NS_PH_ADDR) {
        int ports = (it->has & NS_PH_PORTS) &&
                    (it->proto == 6 || it->proto == 17 || it->proto == 132 || it->proto == 33);
        fputc(' ', out);
        put_addr(out, it, it->src, ports, it->sport);
        fputs(" > ", out);
        put_addr(out, it, it->dst, ports, it->dport);
    }
    if (it->has & NS_PH_IPLEN)
        fprintf(out, " len=%u", it->ip_len);
    if (it->has & NS_PH_FRAMESIZE)
        fprintf(out, " frame=%u", it->frame_size);
    if (it->has & NS_PH_TTL)
        fprintf(out, " ttl=%u", it->ttl);
    if (it->has & NS_PH_IPID)
        fprintf(out, " id=%u", it->ipid);
    if (it->has & NS_PH_TCPFLAGS)
        fprintf(out, " flags=0x%02x", it->tcpflags);
    if (it->has & NS_PH_IFACE)
        fprintf(out, " iface=%u", it->iface);
    if (it->has & NS_PH_SECTION) {
        uint32_t n = it->sect_exported && it->sect_exported < it->sect_len ? it->sect_exported
                                                                           : it->sect_len;
        fprintf(out, " %s=%u:", it->sect_l2 ? "frame" : "ip", n);
        for (uint32_t i = 0; i < n && i < 24; i++)
            fprintf(out, "%02x", it->sect[i]);
        if (n > 24)
            fputs("...", out);
    }
    fputc('\n', out);
}

static void print_option(FILE *out, const struct ns_psamp_item *it)
{
    switch (it->kind) {
    case NS_PSAMP_SEQ:
        fprintf(out, "# selection sequence %" PRIu64 " (domain %u): selectors", it->ssid,
                it->obs_domain);
        for (uint32_t i = 0; i < it->nsel; i++)
            fprintf(out, " %" PRIu64, it->sel_id[i]);
        fputc('\n', out);
        break;
    case NS_PSAMP_SELECTOR:
        fprintf(out, "# selector %" PRIu64 ": algorithm %u", it->selector_id, it->algorithm);
        if (it->has & NS_PH_COUNT)
            fprintf(out, " samplingPacketInterval=%u samplingPacketSpace=%u", it->pkt_interval,
                    it->pkt_space);
        if (it->has & NS_PH_TIMESAMP)
            fprintf(out, " samplingTimeInterval=%uus samplingTimeSpace=%uus", it->time_interval,
                    it->time_space);
        if (it->has & NS_PH_NOFN)
            fprintf(out, " samplingSize=%u samplingPopulation=%u", it->size, it->population);
        if (it->has & NS_PH_PROB)
            fprintf(out, " samplingProbability=%g", it->prob);
        if (it->has & NS_PH_HASH) {
            fprintf(out,
                    " hashIPPayloadOffset=%" PRIu64 " hashIPPayloadSize=%" PRIu64
                    " hashInitialiserValue=%" PRIu64,
                    it->hash_offset, it->hash_size, it->hash_init);
            for (uint32_t i = 0; i < it->nranges; i++)
                fprintf(out, " range=%" PRIu64 "-%" PRIu64, it->range_min[i], it->range_max[i]);
        }
        if (it->has & NS_PH_NAME)
            fprintf(out, " name=\"%s\"", it->name);
        fputc('\n', out);
        break;
    case NS_PSAMP_STATS:
        fprintf(out, "# statistics of sequence %" PRIu64, it->ssid);
        if (it->has & NS_PH_TIME) {
            fputs(" at ", out);
            put_time(out, it->time_ns);
        }
        fputc(':', out);
        for (uint32_t i = 0; i < it->nsel; i++)
            fprintf(out, " selector %" PRIu64 " observed %" PRIu64 " selected %" PRIu64 ";",
                    it->sel_id[i], it->observed[i], it->selected[i]);
        if (it->has & NS_PH_DROPPED)
            fprintf(out, " dropped %" PRIu64 ";", it->dropped);
        fputc('\n', out);
        break;
    default:
        break;
    }
}

static void print_summary(FILE *out, struct ns_psamp_est *e)
{
    ns_psamp_est_finish(e);
    for (size_t i = 0; i < e->n; i++) {
        const struct ns_psamp_seq_est *s = &e->s[i];
        if (!s->n && !s->has_stats)
            continue;
        if (!s->sequenced) {
            fprintf(out,
                    "domain %u: %" PRIu64 " packet reports without input sequence numbers, %.0f"
                    " octets (not scaled: the selection fraction is unknown)\n",
                    s->obs_domain, s->n, s->octets);
            continue;
        }
        fprintf(out, "selection sequence %" PRIu64 " (domain %u): %" PRIu64 " reports", s->ssid,
                s->obs_domain, s->n);
        if (s->n >= 2 && s->R > 0)
            fprintf(out,
                    ", input sequence %" PRIu64 "..%" PRIu64
                    ", attained fraction R = (n-1)/(s_n-s_1) = %.6g\n"
                    "  estimated packets %.0f +- %.0f, octets %.0f +- %.0f (B = %.0f; 1 standard "
                    "error)\n",
                    s->s_first, s->s_last, s->R, s->packets, s->packets_se, s->octets, s->octets_se,
                    s->bytes);
        else
            fprintf(out, ", too few to estimate R\n");
        if (s->has_stats)
            fprintf(out,
                    "  statistics: %" PRIu64 " packets observed, %" PRIu64
                    " selected (fraction %.6g)\n",
                    s->stat_observed, s->stat_selected,
                    s->stat_observed ? (double)s->stat_selected / (double)s->stat_observed : 0.0);
        if (s->has_dropped)
            fprintf(out,
                    "  contention: %" PRIu64 " selected reports left out (budget), %" PRIu64
                    " reported\n",
                    s->stat_dropped,
                    s->stat_selected >= s->stat_dropped ? s->stat_selected - s->stat_dropped : 0);
    }
    if (e->overflow)
        fprintf(out, "(%" PRIu64 " reports of further selection sequences not summarised)\n",
                e->overflow);
}

int cmd_read_reports(const char *cmd, const char *const *paths, size_t n, int print, int summary)
{
    int status = 0;
    struct ns_psamp_est est;
    ns_psamp_est_init(&est);
    for (size_t i = 0; i < n; i++) {
        struct ns_psamp_reader *r;
        struct ns_error err = {0};
        if (ns_psamp_reader_open(&r, paths[i], &err) < 0) {
            fprintf(stderr, "netsift %s: %s\n", cmd, err.msg);
            status = 1;
            continue;
        }
        struct ns_psamp_item it;
        int rc;
        while ((rc = ns_psamp_reader_next(r, &it, &err)) > 0) {
            if (summary)
                ns_psamp_est_add(&est, &it);
            if (!print)
                continue;
            if (it.kind == NS_PSAMP_REPORT)
                print_report(stdout, &it);
            else
                print_option(stdout, &it);
        }
        if (rc < 0) {
            fprintf(stderr, "netsift %s: %s: %s\n", cmd, paths[i], err.msg);
            status = 1;
        }
        struct ns_psamp_reader_stats st;
        ns_psamp_reader_stats(r, &st);
        if (st.skipped_records || st.skipped_sets)
            fprintf(stderr,
                    "netsift %s: %s: %" PRIu64 " records that are not PSAMP (flows) and %" PRIu64
                    " sets of unknown templates skipped\n",
                    cmd, paths[i], st.skipped_records, st.skipped_sets);
        ns_psamp_reader_close(r);
    }
    if (summary)
        print_summary(stdout, &est);
    return status;
}
