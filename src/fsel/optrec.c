#include "fsel/optrec.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "ipfix/be.h"
#include "ipfix/ns_ie.h"
#include "ipfix/ntp.h"

/* One field of a template: wire spec, where its value lives (offset in
 * the report struct) and whether it is a time (NTP on the wire). */
struct fmap {
    struct ns_field_spec f;
    uint16_t off;
    uint8_t is_time;
};

#define NSE(id, len)                                                                               \
    {                                                                                              \
        NS_PEN, (id), (len)                                                                        \
    }
#define M(field) (uint16_t) offsetof(struct ns_fsel_meter_report, field)
#define X(field) (uint16_t) offsetof(struct ns_fsel_export_report, field)
#define K(field) (uint16_t) offsetof(struct ns_fsel_iface_report, field)

/* RFC 7011 §4.1 */
static const struct fmap mstats[] = {
    {{0, 143, 4}, M(process_id), 0}, {{0, 163, 8}, M(created), 0},  {{0, 164, 8}, M(ign_pkts), 0},
    {{0, 165, 8}, M(ign_octets), 0}, {{0, 325, 8}, M(first_ns), 1}, {{0, 325, 8}, M(last_ns), 1},
};
/* RFC 7011 §4.2 */
static const struct fmap mrel[] = {
    {{0, 143, 4}, M(process_id), 0},  {{0, 164, 8}, M(ign_pkts), 0},
    {{0, 165, 8}, M(ign_octets), 0},  {{0, 325, 8}, M(ign_first_ns), 1},
    {{0, 325, 8}, M(ign_last_ns), 1},
};
/* draft-molina-flow-selection-00 §3, metering process */
static const struct fmap meter[] = {
    {{0, 143, 4}, M(process_id), 0},
    {{0, 390, 2}, M(algorithm), 0},
    {NSE(NS_IE_CACHE_POLICY, 1), M(policy), 0},
    {NSE(NS_IE_CACHE_SIZE, 4), M(cache_size), 0},
    {{0, 163, 8}, M(created), 0},
    {NSE(NS_IE_OBS_PACKETS, 8), M(obs_pkts), 0},
    {NSE(NS_IE_OBS_OCTETS, 8), M(obs_octets), 0},
    {{0, 164, 8}, M(ign_pkts), 0},
    {{0, 165, 8}, M(ign_octets), 0},
    {NSE(NS_IE_IGN_FIRST, 8), M(ign_first_ns), 1},
    {NSE(NS_IE_IGN_LAST, 8), M(ign_last_ns), 1},
    {NSE(NS_IE_EV_FLOWS, 8), M(ev_flows), 0},
    {NSE(NS_IE_EV_PACKETS, 8), M(ev_pkts), 0},
    {NSE(NS_IE_EV_OCTETS, 8), M(ev_octets), 0},
    {NSE(NS_IE_EV_FIRST, 8), M(ev_first_ns), 1},
    {NSE(NS_IE_EV_LAST, 8), M(ev_last_ns), 1},
    {NSE(NS_IE_EV_FIRST_EVENT, 8), M(ev_first_event_ns), 1},
    {NSE(NS_IE_EV_LAST_EVENT, 8), M(ev_last_event_ns), 1},
    {NSE(NS_IE_CACHED_FLOWS, 8), M(cached_flows), 0},
    {NSE(NS_IE_CACHED_PACKETS, 8), M(cached_pkts), 0},
    {NSE(NS_IE_CACHED_OCTETS, 8), M(cached_octets), 0},
    {NSE(NS_IE_MET_RECORDS, 8), M(out_records), 0},
    {NSE(NS_IE_MET_FLOWS, 8), M(out_flows), 0},
    {NSE(NS_IE_MET_PACKETS, 8), M(out_pkts), 0},
    {NSE(NS_IE_MET_OCTETS, 8), M(out_octets), 0},
};
/* RFC 7014 §8.1 and draft-molina §3.3, exporting process */
static const struct fmap xport[] = {
    {{0, 144, 4}, X(process_id), 0},
    {{0, 390, 2}, X(algorithm), 0},
    {{0, 394, 8}, X(offered), 0},
    {{0, 395, 8}, X(sent), 0},
    {{0, 392, 8}, X(sent_pkts), 0},
    {{0, 391, 8}, X(sent_octets), 0},
    {{0, 166, 8}, X(not_sent), 0},
    {{0, 167, 8}, X(not_sent_pkts), 0},
    {{0, 168, 8}, X(not_sent_octets), 0},
    {NSE(NS_IE_NS_FIRST, 8), X(ns_first_ns), 1},
    {NSE(NS_IE_NS_LAST, 8), X(ns_last_ns), 1},
};

/* Kernel drops per observation point (optrec.h, 0xFF14): the §4.2 record
 * with ingressInterface added to the scope, octets left out (unknown). */
static const struct fmap kdrops[] = {
    {{0, 143, 4}, K(process_id), 0},
    {{0, 10, 4}, K(ifindex), 0},
    {{0, 164, 8}, K(dropped), 0},
    {NSE(NS_IE_OBS_PACKETS, 8), K(seen), 0},
    {NSE(NS_IE_CAPTURED_PACKETS, 8), K(captured), 0},
    {{0, 325, 8}, K(first_ns), 1},
    {{0, 325, 8}, K(last_ns), 1},
};

#define NF(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
    uint16_t tid;
    const struct fmap *map;
    size_t n;
} tmpls[] = {
    {NS_FSEL_TID_MSTATS, mstats, NF(mstats)},
    {NS_FSEL_TID_MREL, mrel, NF(mrel)},
    {NS_FSEL_TID_METER, meter, NF(meter)},
    {NS_FSEL_TID_EXPORT, xport, NF(xport)},
};

static void encode(const struct fmap *map, size_t n, const void *src, uint8_t *rec)
{
    const uint8_t *s = src;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = 0;
        switch (map[i].f.len) {
        case 1:
            v = s[map[i].off];
            break;
        case 2: {
            uint16_t x;
            memcpy(&x, s + map[i].off, 2);
            v = x;
            break;
        }
        case 4: {
            uint32_t x;
            memcpy(&x, s + map[i].off, 4);
            v = x;
            break;
        }
        default:
            memcpy(&v, s + map[i].off, 8);
        }
        if (map[i].is_time)
            v = ns_ntp_from_ns(v);
        ns_putN(rec, v, map[i].f.len);
        rec += map[i].f.len;
    }
}

void ns_fsel_opts_build(const struct ns_fsel_meter_report *ms,
                        const struct ns_fsel_export_report *xr, struct ns_fsel_opt out[4],
                        int *nout)
{
    int k = 0;
    for (int t = 0; t < 4; t++) {
        if (t == 3 && !xr)
            break;
        struct ns_fsel_opt *o = &out[k++];
        o->tid = tmpls[t].tid;
        o->scope_count = 1;
        o->n = (uint16_t)tmpls[t].n;
        for (size_t i = 0; i < tmpls[t].n; i++)
            o->f[i] = tmpls[t].map[i].f;
        encode(tmpls[t].map, tmpls[t].n, t == 3 ? (const void *)xr : (const void *)ms, o->rec);
    }
    *nout = k;
}

void ns_fsel_iface_opt_build(const struct ns_fsel_iface_report *r, struct ns_fsel_opt *o)
{
    o->tid = NS_FSEL_TID_KDROPS;
    o->scope_count = 2;
    o->n = (uint16_t)NF(kdrops);
    for (size_t i = 0; i < NF(kdrops); i++)
        o->f[i] = kdrops[i].f;
    encode(kdrops, NF(kdrops), r, o->rec);
}

static void first_of(uint64_t *t, uint64_t s)
{
    if (s && (!*t || s < *t))
        *t = s;
}

static void last_of(uint64_t *t, uint64_t s)
{
    if (s > *t)
        *t = s;
}

void ns_fsel_meter_report_add(struct ns_fsel_meter_report *t, const struct ns_fsel_meter_report *s)
{
    t->process_id = s->process_id;
    t->algorithm = s->algorithm;
    t->policy = s->policy;
    t->cache_size += s->cache_size;
    t->created += s->created;
    t->obs_pkts += s->obs_pkts;
    t->obs_octets += s->obs_octets;
    t->ign_pkts += s->ign_pkts;
    t->ign_octets += s->ign_octets;
    first_of(&t->ign_first_ns, s->ign_first_ns);
    last_of(&t->ign_last_ns, s->ign_last_ns);
    t->ev_flows += s->ev_flows;
    t->ev_pkts += s->ev_pkts;
    t->ev_octets += s->ev_octets;
    first_of(&t->ev_first_ns, s->ev_first_ns);
    last_of(&t->ev_last_ns, s->ev_last_ns);
    first_of(&t->ev_first_event_ns, s->ev_first_event_ns);
    last_of(&t->ev_last_event_ns, s->ev_last_event_ns);
    t->cached_flows += s->cached_flows;
    t->cached_pkts += s->cached_pkts;
    t->cached_octets += s->cached_octets;
    t->out_records += s->out_records;
    t->out_flows += s->out_flows;
    t->out_pkts += s->out_pkts;
    t->out_octets += s->out_octets;
    first_of(&t->first_ns, s->first_ns);
    last_of(&t->last_ns, s->last_ns);
}

void ns_fsel_meter_report_fill(struct ns_fsel_meter_report *r, const struct ns_meter *m,
                               const struct ns_meter_config *cfg, uint64_t first_ns,
                               uint64_t last_ns)
{
    struct ns_meter_stats st;
    ns_meter_get_stats(m, &st);
    const struct ns_meter_fsel *fs = &st.fs;
    memset(r, 0, sizeof *r);
    r->process_id = 1;
    r->cache_size = cfg->max_flows;
    r->policy = cfg->cache_policy;
    /* flow-state dependent (9) when anything but emergency expiry decides */
    r->algorithm = cfg->cache_policy != NS_CACHE_EXPORT || cfg->ms_stages ? 9 : 0;
    r->created = st.flows_created;
    r->obs_pkts = st.packets - st.non_ip;
    r->obs_octets = fs->obs_octets;
    r->ign_pkts = fs->ign_pkts;
    r->ign_octets = fs->ign_octets;
    r->ign_first_ns = fs->ign_first_ns;
    r->ign_last_ns = fs->ign_last_ns;
    r->ev_flows = fs->ev_flows;
    r->ev_pkts = fs->ev_pkts;
    r->ev_octets = fs->ev_octets;
    r->ev_first_ns = fs->ev_first_ns;
    r->ev_last_ns = fs->ev_last_ns;
    r->ev_first_event_ns = fs->ev_first_event_ns;
    r->ev_last_event_ns = fs->ev_last_event_ns;
    ns_meter_cached(m, &r->cached_flows, &r->cached_pkts, &r->cached_octets);
    r->out_records = fs->out_records;
    r->out_flows = fs->out_flows;
    r->out_pkts = fs->out_pkts;
    r->out_octets = fs->out_octets;
    r->first_ns = first_ns;
    r->last_ns = last_ns;
}

void ns_fsel_export_report_fill(struct ns_fsel_export_report *r, const struct ns_xsel *x)
{
    struct ns_xsel_counters c;
    ns_xsel_get_counters(x, &c);
    memset(r, 0, sizeof *r);
    r->process_id = 1;
    r->algorithm = ns_xsel_algorithm(x);
    r->offered = c.offered;
    r->sent = c.sent;
    r->sent_pkts = c.sent_pkts;
    r->sent_octets = c.sent_octets;
    r->not_sent = c.not_sent;
    r->not_sent_pkts = c.not_sent_pkts;
    r->not_sent_octets = c.not_sent_octets;
    r->ns_first_ns = c.ns_first_ns;
    r->ns_last_ns = c.ns_last_ns;
}

/* ---- collector side ---- */

/* Decode the fields of `map` found in the record, in template order; a
 * spec repeated in the map (observationTimeNanoseconds) is matched by its
 * occurrence.  Returns 0, or -1 when a field does not fit. */
static int decode(const struct fmap *map, size_t n, const struct ns_tmpl *t, const uint8_t *rec,
                  size_t len, void *dst)
{
    uint8_t *d = dst;
    size_t pos = 0;
    int seen[32] = {0};
    for (uint16_t i = 0; i < t->nfields; i++) {
        const struct ns_field_spec *f = &t->fields[i];
        size_t fl = f->len;
        if (fl == NS_VARLEN) {
            size_t h = ns_varlen_get(rec + pos, len - pos, &fl);
            if (!h)
                return -1;
            pos += h;
        }
        if (fl > len - pos)
            return -1;
        for (size_t k = 0; k < n; k++) {
            if (seen[k] || map[k].f.pen != f->pen || map[k].f.id != f->id || fl > 8 || !fl)
                continue;
            seen[k] = 1;
            uint64_t v = ns_beN(rec + pos, fl);
            if (map[k].is_time)
                v = fl == 8 ? ns_ntp_to_ns(v) : v;
            switch (map[k].f.len) {
            case 1:
                d[map[k].off] = (uint8_t)v;
                break;
            case 2: {
                uint16_t x = (uint16_t)v;
                memcpy(d + map[k].off, &x, 2);
                break;
            }
            case 4: {
                uint32_t x = (uint32_t)v;
                memcpy(d + map[k].off, &x, 4);
                break;
            }
            default:
                memcpy(d + map[k].off, &v, 8);
            }
            break;
        }
        pos += fl;
    }
    return 0;
}

static int same_fields(const struct ns_tmpl *t, const struct fmap *map, size_t n)
{
    if (t->nfields != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (t->fields[i].pen != map[i].f.pen || t->fields[i].id != map[i].f.id)
            return 0;
    return 1;
}

/* A 0xFF14 record: the newest per (domain, process, interface). */
static void iface_add(struct ns_fsel_report *r, const struct ns_tmpl *t, const uint8_t *rec,
                      size_t len, uint32_t domain)
{
    struct ns_fsel_iface_report k;
    memset(&k, 0, sizeof k);
    if (decode(kdrops, NF(kdrops), t, rec, len, &k) < 0)
        return;
    int i;
    for (i = 0; i < r->nifs; i++)
        if (r->ifs[i].domain == domain && r->ifs[i].k.process_id == k.process_id &&
            r->ifs[i].k.ifindex == k.ifindex)
            break;
    if (i == r->nifs) {
        if (r->nifs == NS_FSEL_MAX_IFACES)
            return;
        r->nifs++;
    }
    r->ifs[i].domain = domain;
    r->ifs[i].k = k;
}

void ns_fsel_report_add(struct ns_fsel_report *r, const struct ns_tmpl *t, const uint8_t *rec,
                        size_t len, uint32_t domain)
{
    if (same_fields(t, kdrops, NF(kdrops))) {
        iface_add(r, t, rec, len, domain);
        return;
    }
    /* recognised by their fields, not their template ids (which are the
     * exporter's choice): the metering/exporting records of netsift */
    int which = -1;
    for (int k = 0; k < 4; k++)
        if (same_fields(t, tmpls[k].map, tmpls[k].n))
            which = k;
    if (which < 0 || which == 0) { /* §4.1 adds nothing the 0xFF12 record lacks */
        r->unknown += which < 0;
        return;
    }
    uint32_t pid = ns_beN(rec, 4 <= len ? 4 : len);
    int i;
    for (i = 0; i < r->n; i++)
        if (r->p[i].domain == domain &&
            (which == 3 ? r->p[i].x.process_id : r->p[i].m.process_id) == pid)
            break;
    if (i == r->n) {
        if (r->n == NS_FSEL_MAX_PROCS)
            return;
        memset(&r->p[i], 0, sizeof r->p[i]);
        r->p[i].domain = domain;
        r->p[i].m.process_id = r->p[i].x.process_id = pid;
        r->n++;
    }
    if (which == 2 && decode(meter, NF(meter), t, rec, len, &r->p[i].m) == 0)
        r->p[i].have_meter = 1;
    else if (which == 3 && decode(xport, NF(xport), t, rec, len, &r->p[i].x) == 0)
        r->p[i].have_export = 1;
    else if (which == 1)
        r->p[i].have_mrel = 1;
}

void ns_fsel_tally_add(struct ns_fsel_tally *t, const struct ns_record *r)
{
    t->records++;
    t->final_records += r->end_reason != NS_END_ACTIVE;
    t->pkts += r->dir[0].pkts + r->dir[1].pkts;
    t->octets += r->dir[0].octets + r->dir[1].octets;
}

static int ident(FILE *out, const char *what, uint64_t lhs, const char *rhs_text, uint64_t rhs)
{
    int ok = lhs == rhs;
    fprintf(out, "  %-44s %" PRIu64 " = %s = %" PRIu64 "  %s", what, lhs, rhs_text, rhs,
            ok ? "OK" : "DIFFERS");
    if (!ok)
        fprintf(out, " by %" PRId64, (int64_t)(lhs - rhs));
    fputc('\n', out);
    return !ok;
}

int ns_fsel_check(const struct ns_fsel_report *r, const struct ns_fsel_tally *t, FILE *out)
{
    int bad = 0, any = 0;
    uint64_t sent = 0, sent_p = 0, sent_o = 0, fin = 0;
    int all_x = 1;
    for (int i = 0; i < r->n; i++) {
        const struct ns_fsel_meter_report *m = &r->p[i].m;
        const struct ns_fsel_export_report *x = &r->p[i].x;
        if (r->p[i].have_meter) {
            any = 1;
            fprintf(out, "domain %u metering process %u (%s, cache %u):\n", r->p[i].domain,
                    m->process_id, ns_cache_policy_name((enum ns_cache_policy)m->policy),
                    m->cache_size);
            char buf[200];
            snprintf(buf, sizeof buf,
                     "ignored %" PRIu64 " + evicted %" PRIu64 " + metered %" PRIu64
                     " + cached %" PRIu64,
                     m->ign_pkts, m->ev_pkts, m->out_pkts, m->cached_pkts);
            bad += ident(out, "observed packets", m->obs_pkts, buf,
                         m->ign_pkts + m->ev_pkts + m->out_pkts + m->cached_pkts);
            snprintf(buf, sizeof buf,
                     "ignored %" PRIu64 " + evicted %" PRIu64 " + metered %" PRIu64
                     " + cached %" PRIu64,
                     m->ign_octets, m->ev_octets, m->out_octets, m->cached_octets);
            bad += ident(out, "observed octets", m->obs_octets, buf,
                         m->ign_octets + m->ev_octets + m->out_octets + m->cached_octets);
            snprintf(buf, sizeof buf,
                     "evicted %" PRIu64 " + ended in records %" PRIu64 " + cached %" PRIu64,
                     m->ev_flows, m->out_flows, m->cached_flows);
            bad += ident(out, "flows created", m->created, buf,
                         m->ev_flows + m->out_flows + m->cached_flows);
            fin += m->out_flows;
        }
        if (r->p[i].have_export) {
            any = 1;
            fprintf(out, "domain %u exporting process %u (flowSelectorAlgorithm %u):\n",
                    r->p[i].domain, x->process_id, x->algorithm);
            char buf[200];
            if (r->p[i].have_meter) {
                snprintf(buf, sizeof buf, "offered to export");
                bad += ident(out, "metered records", m->out_records, buf, x->offered);
            }
            snprintf(buf, sizeof buf, "sent %" PRIu64 " + not sent %" PRIu64, x->sent, x->not_sent);
            bad += ident(out, "records offered", x->offered, buf, x->sent + x->not_sent);
            if (r->p[i].have_meter) {
                snprintf(buf, sizeof buf, "sent %" PRIu64 " + not sent %" PRIu64, x->sent_pkts,
                         x->not_sent_pkts);
                bad += ident(out, "metered packets", m->out_pkts, buf,
                             x->sent_pkts + x->not_sent_pkts);
                snprintf(buf, sizeof buf, "sent %" PRIu64 " + not sent %" PRIu64, x->sent_octets,
                         x->not_sent_octets);
                bad += ident(out, "metered octets", m->out_octets, buf,
                             x->sent_octets + x->not_sent_octets);
            }
            sent += x->sent;
            sent_p += x->sent_pkts;
            sent_o += x->sent_octets;
        } else if (r->p[i].have_meter) {
            all_x = 0;
            sent += m->out_records;
            sent_p += m->out_pkts;
            sent_o += m->out_octets;
        }
    }
    for (int i = 0; i < r->nifs; i++) {
        const struct ns_fsel_iface_report *k = &r->ifs[i].k;
        any = 1;
        fprintf(out, "domain %u metering process %u, kernel capture at ifindex %u:\n",
                r->ifs[i].domain, k->process_id, k->ifindex);
        char buf[200];
        snprintf(buf, sizeof buf, "dropped %" PRIu64 " + captured %" PRIu64, k->dropped,
                 k->captured);
        bad += ident(out, "kernel observed packets", k->seen, buf, k->dropped + k->captured);
    }
    if (!any)
        return -1;
    fprintf(out, "collector (the flow records read):\n");
    bad += ident(out, "records read", t->records, "records sent", sent);
    bad += ident(out, "packets in them", t->pkts, "packets sent", sent_p);
    bad += ident(out, "octets in them", t->octets, "octets sent", sent_o);
    if (!all_x)
        bad += ident(out, "final records read", t->final_records, "flows ended in records", fin);
    return bad;
}

void ns_fsel_print_left_out(const struct ns_fsel_report *r, FILE *out)
{
    for (int i = 0; i < r->nifs; i++) {
        const struct ns_fsel_iface_report *k = &r->ifs[i].k;
        fprintf(out,
                "left out by the kernel (domain %u, ifindex %u): %" PRIu64 " of %" PRIu64
                " packets dropped before metering (capture ring full; ignoredPacketTotalCount)\n",
                r->ifs[i].domain, k->ifindex, k->dropped, k->seen);
    }
    for (int i = 0; i < r->n; i++) {
        const struct ns_fsel_meter_report *m = &r->p[i].m;
        const struct ns_fsel_export_report *x = &r->p[i].x;
        if (r->p[i].have_meter && m->obs_pkts)
            fprintf(out,
                    "left out by metering (domain %u, %s, cache %u): %" PRIu64 " of %" PRIu64
                    " packets (%.3g%%), %" PRIu64 " of %" PRIu64
                    " octets (%.3g%%) not measured or in %" PRIu64 " of %" PRIu64
                    " flows evicted unexported\n",
                    r->p[i].domain, ns_cache_policy_name((enum ns_cache_policy)m->policy),
                    m->cache_size, m->ign_pkts + m->ev_pkts, m->obs_pkts,
                    100.0 * (double)(m->ign_pkts + m->ev_pkts) / (double)m->obs_pkts,
                    m->ign_octets + m->ev_octets, m->obs_octets,
                    m->obs_octets
                        ? 100.0 * (double)(m->ign_octets + m->ev_octets) / (double)m->obs_octets
                        : 0.0,
                    m->ev_flows, m->created);
        if (r->p[i].have_export && x->offered)
            fprintf(out,
                    "left out at export (domain %u, flowSelectorAlgorithm %u): %" PRIu64
                    " of %" PRIu64 " records, %" PRIu64 " of %" PRIu64 " packets, %" PRIu64
                    " of %" PRIu64 " octets not sent\n",
                    r->p[i].domain, x->algorithm, x->not_sent, x->offered, x->not_sent_pkts,
                    x->sent_pkts + x->not_sent_pkts, x->not_sent_octets,
                    x->sent_octets + x->not_sent_octets);
    }
}
