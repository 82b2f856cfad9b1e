/*
 * report.c — the reporting process (see report.h): templates, packet
 * reports, report interpretation.
 */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>

#include "export/export.h"
#include "ipfix/be.h"
#include "ipfix/file.h"
#include "ipfix/ns_ie.h"
#include "ipfix/ntp.h"

/* What one template field is filled from. */
enum op {
    OP_SSID,
    OP_SEL_ID,  /* arg: selector index */
    OP_SEL_OBS, /* arg: selector index */
    OP_SEL_SELECTED,
    OP_LAST_SEL_ID,
    OP_TIME_US,
    OP_TIME_NS,
    OP_DIGEST,
    OP_SRC4,
    OP_DST4,
    OP_SRC6,
    OP_DST6,
    OP_SPORT,
    OP_DPORT,
    OP_PROTO,
    OP_IPLEN,
    OP_TTL,
    OP_IPID,
    OP_TOS,
    OP_TCPFLAGS,
    OP_FRAMELEN,
    OP_IFACE,
    OP_SECT_OFF,
    OP_SECT_LEN,
    OP_SECTION
};

#define MAX_FIELDS (8 + 2 * NS_SEL_MAX_CHAIN + 20)

struct step {
    uint8_t op, arg;
};

struct rtmpl {
    uint16_t tid, n;
    struct ns_field_spec f[MAX_FIELDS];
    struct step s[MAX_FIELDS];
    int idx[NS_REPORT_MAX_OUTS];
};

struct ns_report {
    struct ns_report_config c;
    const struct ns_sel_chain *chain;
    size_t nsel;
    struct ns_report_out out[NS_REPORT_MAX_OUTS];
    size_t nouts;
    struct rtmpl t[3]; /* v4, v6, no IP */
    int seq_idx[NS_REPORT_MAX_OUTS], stats_idx[NS_REPORT_MAX_OUTS];
    int sel_idx[NS_SEL_MAX_CHAIN][NS_REPORT_MAX_OUTS];
    uint64_t next_interp, last_ns;
    int started;
    struct ns_report_stats st;
    uint8_t buf[NS_MSG_MAX]; /* one record being encoded */
};

void ns_report_config_default(struct ns_report_config *c)
{
    memset(c, 0, sizeof *c);
    c->ssid = 1;
    c->interp_ns = 60ull * 1000000000u;
    c->tid_base = NS_REPORT_TID_BASE;
    struct ns_error e;
    ns_report_parse_fields(NS_REPORT_DEFAULT_FIELDS, c, &e);
}

int ns_report_parse_fields(const char *spec, struct ns_report_config *c, struct ns_error *err)
{
    static const struct {
        const char *name;
        uint32_t bit;
    } names[] = {
        {"seq", NS_RF_SEQ},           {"selector", NS_RF_SELECTOR}, {"time", NS_RF_TIME_US},
        {"timens", NS_RF_TIME_NS},    {"digest", NS_RF_DIGEST},     {"addr", NS_RF_ADDR},
        {"ports", NS_RF_PORTS},       {"proto", NS_RF_PROTO},       {"len", NS_RF_LEN},
        {"ttl", NS_RF_TTL},           {"ipid", NS_RF_IPID},         {"tos", NS_RF_TOS},
        {"tcpflags", NS_RF_TCPFLAGS}, {"framelen", NS_RF_FRAMELEN}, {"iface", NS_RF_IFACE}};
    uint32_t fields = 0, bytes = 0;
    const char *p = spec;
    while (*p) {
        size_t n = strcspn(p, ",");
        int found = 0;
        if (n == 7 && strncmp(p, "default", 7) == 0) {
            struct ns_report_config d;
            memset(&d, 0, sizeof d);
            ns_report_parse_fields(NS_REPORT_DEFAULT_FIELDS, &d, err);
            fields |= d.fields;
            bytes = d.section_bytes;
            found = 1;
        }
        for (size_t i = 0; !found && i < sizeof names / sizeof names[0]; i++)
            if (strlen(names[i].name) == n && strncmp(p, names[i].name, n) == 0) {
                fields |= names[i].bit;
                found = 1;
            }
        if (!found && (strncmp(p, "ipsection=", 10) == 0 || strncmp(p, "l2section=", 10) == 0) &&
            n > 10) {
            char num[16];
            size_t k = n - 10;
            char *end;
            if (k < sizeof num) {
                memcpy(num, p + 10, k);
                num[k] = 0;
                unsigned long v = strtoul(num, &end, 10);
                if (*end == 0 && v >= 1 && v <= NS_REPORT_MAX_SECTION) {
                    fields &= ~(NS_RF_IPSECTION | NS_RF_L2SECTION);
                    fields |= p[0] == 'i' ? NS_RF_IPSECTION : NS_RF_L2SECTION;
                    bytes = (uint32_t)v;
                    found = 1;
                }
            }
            if (!found)
                return ns_error_set(err, NS_EINVAL, "report: '%.*s' wants 1..%d octets", (int)n, p,
                                    NS_REPORT_MAX_SECTION);
        }
        if (!found)
            return ns_error_set(err, NS_EINVAL,
                                "report: unknown field '%.*s' (seq selector time timens digest "
                                "addr ports proto len ttl ipid tos tcpflags framelen iface "
                                "ipsection=N l2section=N default)",
                                (int)n, p);
        p += n;
        if (*p == ',')
            p++;
    }
    if ((fields & NS_RF_TIME_US) && (fields & NS_RF_TIME_NS))
        fields &= ~NS_RF_TIME_US; /* one time is enough: the finer */
    c->fields = fields;
    c->section_bytes = bytes;
    return NS_OK;
}

/* ---- outputs ---- */

static int writer_reg(void *ctx, uint16_t tid, uint16_t scope_count, const struct ns_field_spec *f,
                      uint16_t n, struct ns_error *err)
{
    return ns_ipfix_writer_register(ctx, tid, scope_count, f, n, err);
}

static int writer_add(void *ctx, int idx, const uint8_t *rec, size_t len, uint32_t time_s,
                      struct ns_error *err)
{
    return ns_ipfix_writer_add_raw(ctx, idx, rec, len, time_s, err);
}

void ns_report_out_writer(struct ns_report_out *o, struct ns_ipfix_writer *w)
{
    o->reg = writer_reg;
    o->add = writer_add;
    o->ctx = w;
}

static int exporter_reg(void *ctx, uint16_t tid, uint16_t scope_count,
                        const struct ns_field_spec *f, uint16_t n, struct ns_error *err)
{
    return ns_exporter_register(ctx, tid, scope_count, f, n, err);
}

static int exporter_add(void *ctx, int idx, const uint8_t *rec, size_t len, uint32_t time_s,
                        struct ns_error *err)
{
    (void)time_s; /* the exporter stamps the wall clock */
    return ns_exporter_add_raw(ctx, idx, rec, len, err);
}

void ns_report_out_exporter(struct ns_report_out *o, struct ns_exporter *x)
{
    o->reg = exporter_reg;
    o->add = exporter_add;
    o->ctx = x;
}

static int emit(struct ns_report *r, const int *idx, const uint8_t *rec, size_t len,
                uint32_t time_s, struct ns_error *err)
{
    for (size_t i = 0; i < r->nouts; i++) {
        int rc = r->out[i].add(r->out[i].ctx, idx[i], rec, len, time_s, err);
        if (rc < 0)
            return rc;
    }
    return NS_OK;
}

static int reg_all(struct ns_report *r, uint16_t tid, uint16_t scope_count,
                   const struct ns_field_spec *f, uint16_t n, int *idx, struct ns_error *err)
{
    for (size_t i = 0; i < r->nouts; i++) {
        int k = r->out[i].reg(r->out[i].ctx, tid, scope_count, f, n, err);
        if (k < 0)
            return k;
        idx[i] = k;
    }
    return NS_OK;
}

/* ---- packet report templates ---- */

static void put(struct rtmpl *t, uint16_t id, uint16_t len, enum op op, uint8_t arg)
{
    t->f[t->n] = (struct ns_field_spec){0, id, len};
    t->s[t->n] = (struct step){(uint8_t)op, arg};
    t->n++;
}

/* ip: 4, 6 or 0 (no IP) */
static void build_template(const struct ns_report *r, struct rtmpl *t, int ip)
{
    uint32_t f = r->c.fields;
    t->n = 0;
    put(t, 301, 8, OP_SSID, 0); /* selectionSequenceId */
    if (f & NS_RF_SEQ) {
        for (size_t i = 0; i < r->nsel; i++) {
            put(t, 302, 8, OP_SEL_ID, (uint8_t)i);  /* selectorId */
            put(t, 318, 8, OP_SEL_OBS, (uint8_t)i); /* selectorIdTotalPktsObserved */
        }
        put(t, 319, 8, OP_SEL_SELECTED, 0); /* selectorIdTotalPktsSelected (last) */
    } else if (f & NS_RF_SELECTOR) {
        put(t, 302, 8, OP_LAST_SEL_ID, 0);
    }
    if (f & NS_RF_TIME_NS)
        put(t, 325, 8, OP_TIME_NS, 0); /* observationTimeNanoseconds */
    else if (f & NS_RF_TIME_US)
        put(t, 324, 8, OP_TIME_US, 0); /* observationTimeMicroseconds */
    if (f & NS_RF_DIGEST)
        put(t, 326, 8, OP_DIGEST, 0); /* digestHashValue */
    if (ip) {
        if (f & NS_RF_ADDR) {
            if (ip == 4) {
                put(t, 8, 4, OP_SRC4, 0);  /* sourceIPv4Address */
                put(t, 12, 4, OP_DST4, 0); /* destinationIPv4Address */
            } else {
                put(t, 27, 16, OP_SRC6, 0); /* sourceIPv6Address */
                put(t, 28, 16, OP_DST6, 0); /* destinationIPv6Address */
            }
        }
        if (f & NS_RF_PORTS) {
            put(t, 7, 2, OP_SPORT, 0);  /* sourceTransportPort */
            put(t, 11, 2, OP_DPORT, 0); /* destinationTransportPort */
        }
        if (f & NS_RF_PROTO)
            put(t, 4, 1, OP_PROTO, 0); /* protocolIdentifier */
        if (f & NS_RF_LEN)
            put(t, 224, 4, OP_IPLEN, 0); /* ipTotalLength (reduced size, RFC 7011 §6.2) */
        if (f & NS_RF_TTL)
            put(t, 192, 1, OP_TTL, 0); /* ipTTL (hop limit for IPv6) */
        if ((f & NS_RF_IPID) && ip == 4)
            put(t, 54, 4, OP_IPID, 0); /* fragmentIdentification */
        if (f & NS_RF_TOS)
            put(t, 5, 1, OP_TOS, 0); /* ipClassOfService */
        if (f & NS_RF_TCPFLAGS)
            put(t, 6, 2, OP_TCPFLAGS, 0); /* tcpControlBits */
    }
    if (f & NS_RF_FRAMELEN)
        put(t, 312, 2, OP_FRAMELEN, 0); /* dataLinkFrameSize */
    if (f & NS_RF_IFACE)
        put(t, 10, 4, OP_IFACE, 0); /* ingressInterface */
    if ((f & NS_RF_L2SECTION) || ((f & NS_RF_IPSECTION) && ip)) {
        put(t, 409, 2, OP_SECT_OFF, 0); /* sectionOffset */
        put(t, 410, 2, OP_SECT_LEN, 0); /* sectionExportedOctets */
        /* ipHeaderPacketSection / dataLinkFrameSection, variable length */
        put(t, (f & NS_RF_L2SECTION) ? 315 : 313, NS_VARLEN, OP_SECTION, 0);
    }
}

/* ---- report interpretation ---- */

static uint8_t *put_varlen_str(uint8_t *p, const char *s)
{
    size_t n = strlen(s);
    if (n > 254)
        n = 254; /* one-octet length header; the description is shorter anyway */
    *p++ = (uint8_t)n;
    /* IPFIX strings carry their length, no NUL (RFC 7011 §6.1.6) */
    memcpy(p, s, n); // NOLINT(bugprone-not-null-terminated-result)
    return p + n;
}

/* Selector Report Interpretation of selector i: its template (fields
 * into f, count returned) and, with rec, its record (length into *len). */
static uint16_t selector_interp(const struct ns_report *r, size_t i, struct ns_field_spec *f,
                                uint8_t *rec, size_t *len)
{
    const struct ns_sel_config *c = ns_sel_chain_config(r->chain, i);
    struct ns_sel_info in;
    ns_sel_chain_info(r->chain, i, &in);
    uint16_t n = 0;
    uint8_t *p = rec;
#define F(id_, len_) (f[n++] = (struct ns_field_spec){0, (id_), (len_)})
    F(302, 8); /* selectorId (scope) */
    ns_put64(p, in.id);
    p += 8;
    F(304, 2); /* selectorAlgorithm */
    ns_put16(p, (uint16_t)in.algorithm);
    p += 2;
    switch (c->kind) {
    case NS_SEL_COUNT:
        F(305, 4); /* samplingPacketInterval: n selected ... */
        ns_put32(p, c->n);
        F(306, 4); /* samplingPacketSpace: ... then N - n skipped */
        ns_put32(p + 4, c->N - c->n);
        p += 8;
        break;
    case NS_SEL_TIME:
        F(307, 4); /* samplingTimeInterval, µs */
        ns_put32(p, c->interval_us > UINT32_MAX ? UINT32_MAX : (uint32_t)c->interval_us);
        F(308, 4); /* samplingTimeSpace, µs */
        ns_put32(p + 4, c->spacing_us > UINT32_MAX ? UINT32_MAX : (uint32_t)c->spacing_us);
        p += 8;
        break;
    case NS_SEL_NOFN:
        F(309, 4); /* samplingSize */
        ns_put32(p, c->n);
        F(310, 4); /* samplingPopulation */
        ns_put32(p + 4, c->N);
        p += 8;
        break;
    case NS_SEL_RANDOM: {
        F(311, 8); /* samplingProbability */
        uint64_t bits;
        memcpy(&bits, &c->p, 8);
        ns_put64(p, bits);
        p += 8;
        break;
    }
    case NS_SEL_HASH:
        F(327, 8); /* hashIPPayloadOffset: payload bytes hashed from its start */
        ns_put64(p, 0);
        F(328, 8); /* hashIPPayloadSize */
        ns_put64(p + 8, c->domain == NS_SEL_DOM_5TUPLE ? 0 : c->payload_bytes);
        /* hashInitialiserValue: the public functions' initializer.  A keyed
         * hash (sip) exports 0 here and its key NOWHERE: the key is what
         * keeps crafted traffic from evading or flooding the selection
         * (RFC 5474 §12.2). */
        F(334, 8);
        ns_put64(p + 16, c->fn == NS_SEL_SIP ? 0 : c->init);
        F(329, 8); /* hashOutputRangeMin */
        ns_put64(p + 24, 0);
        F(330, 8); /* hashOutputRangeMax: 32-bit values */
        ns_put64(p + 32, 0xffffffffu);
        p += 40;
        for (uint32_t k = 0; k < c->nranges; k++) {
            F(331, 8); /* hashSelectedRangeMin */
            ns_put64(p, c->range[k].lo);
            F(332, 8); /* hashSelectedRangeMax */
            ns_put64(p + 8, c->range[k].hi);
            p += 16;
        }
        F(333, 1); /* hashDigestOutput: boolean, 1 true 2 false (RFC 7011 §6.1.5) */
        *p++ = (r->c.fields & NS_RF_DIGEST) ? 1 : 2;
        break;
    case NS_SEL_IFACE:
        for (uint32_t k = 0; k < c->nifaces; k++) {
            F(10, 4); /* ingressInterface */
            ns_put32(p, c->ifaces[k]);
            p += 4;
        }
        break;
    default: /* size, match: the name says it all */
        break;
    }
    F(335, NS_VARLEN); /* selectorName: the spec, never the key (describe() hides it) */
    p = put_varlen_str(p, in.desc);
#undef F
    *len = (size_t)(p - rec);
    return n;
}

static uint16_t seq_interp(const struct ns_report *r, struct ns_field_spec *f, uint8_t *rec,
                           size_t *len)
{
    uint16_t n = 0;
    uint8_t *p = rec;
    f[n++] = (struct ns_field_spec){0, 301, 8}; /* selectionSequenceId (scope) */
    ns_put64(p, r->c.ssid);
    p += 8;
    for (size_t i = 0; i < r->nsel; i++) {
        struct ns_sel_info in;
        ns_sel_chain_info(r->chain, i, &in);
        f[n++] = (struct ns_field_spec){0, 302, 8}; /* selectorId, in chain order */
        ns_put64(p, in.id);
        p += 8;
    }
    *len = (size_t)(p - rec);
    return n;
}

static uint16_t stats_rec(const struct ns_report *r, uint64_t now_ns, struct ns_field_spec *f,
                          uint8_t *rec, size_t *len)
{
    uint16_t n = 0;
    uint8_t *p = rec;
    f[n++] = (struct ns_field_spec){0, 301, 8}; /* selectionSequenceId (scope) */
    ns_put64(p, r->c.ssid);
    p += 8;
    for (size_t i = 0; i < r->nsel; i++) {
        struct ns_sel_info in;
        ns_sel_chain_info(r->chain, i, &in);
        f[n++] = (struct ns_field_spec){0, 302, 8}; /* selectorId */
        f[n++] = (struct ns_field_spec){0, 318, 8}; /* selectorIdTotalPktsObserved */
        f[n++] = (struct ns_field_spec){0, 319, 8}; /* selectorIdTotalPktsSelected */
        ns_put64(p, in.id);
        ns_put64(p + 8, in.observed);
        ns_put64(p + 16, in.selected);
        p += 24;
    }
    f[n++] = (struct ns_field_spec){0, 323, 8}; /* observationTimeMilliseconds */
    ns_put64(p, now_ns / 1000000u);
    p += 8;
    if (r->c.dropped) { /* selected = reported + dropped (mp/mp.h) */
        f[n++] = (struct ns_field_spec){NS_PEN, NS_IE_REPORTS_DROPPED, 8};
        ns_put64(p, *r->c.dropped);
        p += 8;
    }
    *len = (size_t)(p - rec);
    return n;
}

int ns_report_new(struct ns_report **out, const struct ns_report_config *c,
                  const struct ns_sel_chain *chain, const struct ns_report_out *outs, size_t nouts,
                  struct ns_error *err)
{
    *out = NULL;
    if (!chain || ns_sel_chain_len(chain) == 0)
        return ns_error_set(err, NS_EINVAL, "report: packet reports need a selection chain");
    if (nouts == 0 || nouts > NS_REPORT_MAX_OUTS)
        return ns_error_set(err, NS_EINVAL, "report: 1 to %d outputs", NS_REPORT_MAX_OUTS);
    size_t nsel = ns_sel_chain_len(chain);
    if ((c->fields & NS_RF_DIGEST)) {
        int hash = 0;
        for (size_t i = 0; i < nsel; i++)
            hash |= ns_sel_chain_config(chain, i)->kind == NS_SEL_HASH;
        if (!hash)
            return ns_error_set(err, NS_EINVAL,
                                "report: digest needs a hash selector in the chain");
    }
    struct ns_report *r = calloc(1, sizeof *r);
    if (!r)
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    r->c = *c;
    if (!r->c.ssid)
        r->c.ssid = 1;
    if (!r->c.tid_base)
        r->c.tid_base = NS_REPORT_TID_BASE;
    if ((r->c.fields & (NS_RF_IPSECTION | NS_RF_L2SECTION)) && !r->c.section_bytes)
        r->c.section_bytes = 64;
    r->chain = chain;
    r->nsel = nsel;
    memcpy(r->out, outs, nouts * sizeof *outs);
    r->nouts = nouts;
    uint16_t base = r->c.tid_base;
    static const int ips[3] = {4, 6, 0};
    static const uint16_t tids[3] = {NS_REPORT_TID_V4, NS_REPORT_TID_V6, NS_REPORT_TID_NOIP};
    int rc = NS_OK;
    for (int k = 0; k < 3 && rc == NS_OK && r->c.fields; k++) {
        build_template(r, &r->t[k], ips[k]);
        r->t[k].tid = (uint16_t)(base + tids[k]);
        rc = reg_all(r, r->t[k].tid, 0, r->t[k].f, r->t[k].n, r->t[k].idx, err);
    }
    struct ns_field_spec f[MAX_FIELDS + 8];
    size_t len;
    if (rc == NS_OK) {
        uint16_t n = seq_interp(r, f, r->buf, &len);
        rc = reg_all(r, (uint16_t)(base + NS_REPORT_TID_SEQ), 1, f, n, r->seq_idx, err);
    }
    if (rc == NS_OK) {
        uint16_t n = stats_rec(r, 0, f, r->buf, &len);
        rc = reg_all(r, (uint16_t)(base + NS_REPORT_TID_STATS), 1, f, n, r->stats_idx, err);
    }
    for (size_t i = 0; i < nsel && rc == NS_OK; i++) {
        uint16_t n = selector_interp(r, i, f, r->buf, &len);
        rc = reg_all(r, (uint16_t)(base + NS_REPORT_TID_SEL + i), 1, f, n, r->sel_idx[i], err);
    }
    if (rc < 0) {
        free(r);
        return rc;
    }
    *out = r;
    return NS_OK;
}

void ns_report_free(struct ns_report *r)
{
    free(r);
}

void ns_report_get_stats(const struct ns_report *r, struct ns_report_stats *st)
{
    *st = r->st;
}

int ns_report_configuration(struct ns_report *r, uint32_t ts, struct ns_error *err)
{
    struct ns_field_spec f[MAX_FIELDS + 8];
    size_t len;
    seq_interp(r, f, r->buf, &len);
    int rc = emit(r, r->seq_idx, r->buf, len, ts, err);
    for (size_t i = 0; i < r->nsel && rc == NS_OK; i++) {
        selector_interp(r, i, f, r->buf, &len);
        rc = emit(r, r->sel_idx[i], r->buf, len, ts, err);
    }
    if (rc == NS_OK)
        r->st.options += r->nsel + 1;
    return rc;
}

int ns_report_interpretation(struct ns_report *r, uint64_t now_ns, struct ns_error *err)
{
    struct ns_field_spec f[MAX_FIELDS + 8];
    size_t len;
    uint32_t ts = (uint32_t)(now_ns / 1000000000u);
    int rc = ns_report_configuration(r, ts, err);
    if (rc == NS_OK) {
        stats_rec(r, now_ns, f, r->buf, &len);
        rc = emit(r, r->stats_idx, r->buf, len, ts, err);
    }
    if (rc == NS_OK)
        r->st.options++;
    return rc;
}

int ns_report_finish(struct ns_report *r, struct ns_error *err)
{
    /* the final counts; the interpretation again, for a reader that
     * starts late in a stream (the statistics only make sense with it) */
    return ns_report_interpretation(r, r->last_ns, err);
}

/* ---- one packet ---- */

static uint8_t *put_section(struct ns_report *r, uint8_t *p, const struct ns_pkt *pk,
                            const uint8_t *frame, uint8_t *len_at)
{
    uint32_t from = 0;
    if (!(r->c.fields & NS_RF_L2SECTION))
        from = pk->l3_off; /* the IP template only: l3_off is valid */
    uint32_t have = pk->caplen > from ? pk->caplen - from : 0;
    uint32_t n = have < r->c.section_bytes ? have : r->c.section_bytes;
    if (n < r->c.section_bytes)
        r->st.truncated_sect++;
    if (len_at)
        ns_put16(len_at, (uint16_t)n); /* sectionExportedOctets */
    if (n < 255) {
        *p++ = (uint8_t)n;
    } else { /* RFC 7011 §7: 255 then a 2-octet length */
        *p++ = 255;
        ns_put16(p, (uint16_t)n);
        p += 2;
    }
    if (n)
        memcpy(p, frame + from, n);
    return p + n;
}

int ns_report_packet(struct ns_report *r, struct ns_pkt *pk, const uint8_t *frame, int linktype,
                     int *decoded, const struct ns_sel_verdict *v, struct ns_error *err)
{
    if (!*decoded &&
        (r->c.fields & ~(NS_RF_SEQ | NS_RF_SELECTOR | NS_RF_TIME_US | NS_RF_TIME_NS | NS_RF_DIGEST |
                         NS_RF_FRAMELEN | NS_RF_IFACE | NS_RF_L2SECTION))) {
        ns_pkt_decode(pk, linktype, frame);
        *decoded = 1;
    }
    if (!r->started) {
        /* the interpretation goes before the first report (RFC 5476 §6.5) */
        r->started = 1;
        r->next_interp = r->c.interp_ns ? pk->ts_ns + r->c.interp_ns : UINT64_MAX;
        int rc = ns_report_interpretation(r, pk->ts_ns, err);
        if (rc < 0)
            return rc;
    } else if (pk->ts_ns >= r->next_interp) {
        int rc = ns_report_interpretation(r, pk->ts_ns, err);
        if (rc < 0)
            return rc;
        r->next_interp = pk->ts_ns + r->c.interp_ns;
    }
    if (pk->ts_ns > r->last_ns)
        r->last_ns = pk->ts_ns;
    int ip = *decoded && (pk->flags & NS_PKT_F_IP) && pk->l3_off != 0xffff ? pk->ip_version : 0;
    const struct rtmpl *t = &r->t[ip == 4 ? 0 : ip == 6 ? 1 : 2];
    uint8_t *p = r->buf, *sect_len = NULL;
    for (uint16_t i = 0; i < t->n; i++) {
        const struct step *s = &t->s[i];
        switch ((enum op)s->op) {
        case OP_SSID:
            ns_put64(p, r->c.ssid);
            break;
        case OP_SEL_ID:
            ns_put64(p, ns_sel_chain_id(r->chain, s->arg));
            break;
        case OP_SEL_OBS:
            ns_put64(p, s->arg < v->reached ? v->seq[s->arg] : 0);
            break;
        case OP_SEL_SELECTED: {
            /* the last selector's selected count, this packet included */
            uint64_t obs, sel;
            ns_sel_chain_counts(r->chain, r->nsel - 1, &obs, &sel);
            ns_put64(p, sel);
            break;
        }
        case OP_LAST_SEL_ID:
            ns_put64(p, ns_sel_chain_id(r->chain, r->nsel - 1));
            break;
        case OP_TIME_US:
            ns_put64(p, ns_ntp_from_ns(pk->ts_ns / 1000u * 1000u));
            break;
        case OP_TIME_NS:
            ns_put64(p, ns_ntp_from_ns(pk->ts_ns));
            break;
        case OP_DIGEST:
            ns_put64(p, v->has_digest ? v->digest : 0);
            break;
        case OP_SRC4:
            memcpy(p, pk->src, 4);
            break;
        case OP_DST4:
            memcpy(p, pk->dst, 4);
            break;
        case OP_SRC6:
            memcpy(p, pk->src, 16);
            break;
        case OP_DST6:
            memcpy(p, pk->dst, 16);
            break;
        case OP_SPORT:
            ns_put16(p, (pk->flags & NS_PKT_F_L4) ? pk->sport : 0);
            break;
        case OP_DPORT:
            ns_put16(p, (pk->flags & NS_PKT_F_L4) ? pk->dport : 0);
            break;
        case OP_PROTO:
            *p = pk->proto;
            break;
        case OP_IPLEN:
            ns_put32(p, pk->ip_len);
            break;
        case OP_TTL:
            *p = pk->ttl;
            break;
        case OP_IPID: {
            /* IPv4 identification, read from the header bytes (bounded) */
            uint32_t id = 0;
            if ((uint64_t)pk->l3_off + 6 <= pk->caplen)
                id = ns_be16(frame + pk->l3_off + 4);
            ns_put32(p, id);
            break;
        }
        case OP_TOS:
            *p = pk->tos;
            break;
        case OP_TCPFLAGS:
            ns_put16(p, pk->proto == 6 && (pk->flags & NS_PKT_F_L4)
                            ? (uint16_t)(pk->tcp_flags | (uint16_t)pk->tcp_ae << 8)
                            : 0);
            break;
        case OP_FRAMELEN:
            ns_put16(p, pk->wirelen > 0xffff ? 0xffff : (uint16_t)pk->wirelen);
            break;
        case OP_IFACE:
            ns_put32(p, pk->ifindex);
            break;
        case OP_SECT_OFF:
            ns_put16(p, 0);
            break;
        case OP_SECT_LEN:
            sect_len = p; /* filled with the section */
            break;
        case OP_SECTION:
            p = put_section(r, p, pk, frame, sect_len);
            continue;
        }
        p += t->f[i].len;
    }
    int rc =
        emit(r, t->idx, r->buf, (size_t)(p - r->buf), (uint32_t)(pk->ts_ns / 1000000000u), err);
    if (rc == NS_OK)
        r->st.reports++;
    return rc;
}
