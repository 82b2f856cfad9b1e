/* cullmon.c — see cullmon.h. */
#include "cullmon/cullmon.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cullmon/stream.h"

#define SEC     1000000000ull
#define TICK_NS (SEC / 20) /* timers run at least this often in stream time */
#define EMPTY   (-1)
#define GRAVE   (-2) /* hash slot of a removed connection */

struct conn {
    uint8_t used, closed, established, alloc;
    uint8_t family;
    uint8_t addr[2][16];
    uint16_t port[2];
    int session;
    struct ns_stream st[2];
    uint8_t syn[2];
    uint32_t isn[2];
    uint8_t open[2], live[2];
    uint64_t last[2];              /* last new octets from side i */
    uint64_t last_ka[2];           /* last KEEPALIVE from side i */
    uint64_t ka_min[2], ka_max[2]; /* KEEPALIVE spacing seen (hold estimate) */
};

struct ns_cm {
    struct ns_cm_config cfg;
    struct ns_cm_session *sess;
    size_t n_sess;
    int *sess_hash;
    size_t sess_hcap;
    struct conn *conns;
    size_t n_conns;
    int *conn_hash;
    size_t conn_hcap;
    struct ns_cm_member *mem;
    size_t n_mem;
    int *mem_hash;
    size_t mem_hcap;
    uint8_t *silence_side; /* per session: side that went silent when down by silence, else 2 */

    uint64_t first_ns, now_ns, last_tick;
    uint64_t bin_ns;
    size_t n_bins, bins_cap;

    struct ns_cm_event q[NS_CM_EVENT_QUEUE];
    size_t qh, qn;

    enum ns_cm_phase phase;
    uint64_t applied, complete_at;
    uint64_t applied_by; /* inferred: the latest the filter can have come */
    int applied_inferred, all_up, leaks, resumed;
    struct ns_cm_stats st;
};

void ns_cm_config_default(struct ns_cm_config *c)
{
    memset(c, 0, sizeof *c);
    c->min_ratio = 0.05;
    c->rate_window_ns = 2 * SEC;
    c->baseline_ns = 60 * SEC;
    c->bin_ns = SEC / 10;
    c->leak_grace_ns = SEC;
    c->default_hold = NS_CM_DEFAULT_HOLD;
    c->hold_jitter = 0.25;
    c->max_sessions = 1024;
    c->max_conns = 4096;
    c->max_members = 1024;
    c->max_bins = 4096;
    c->stream_cap = NS_STREAM_DEFAULT_CAP;
    c->hole_ns = SEC;
}

const char *ns_cm_state_name(enum ns_cm_state s)
{
    switch (s) {
    case NS_CM_IDLE:
        return "idle";
    case NS_CM_OPENING:
        return "opening";
    case NS_CM_UP:
        return "up";
    case NS_CM_DOWN:
        return "down";
    }
    return "?";
}

const char *ns_cm_event_name(enum ns_cm_event_type t)
{
    static const char *const names[NS_CM_EV__COUNT] = {
        [NS_CM_EV_UP] = "session_up",           [NS_CM_EV_DOWN] = "session_down",
        [NS_CM_EV_ALL_UP] = "all_up",           [NS_CM_EV_APPLIED] = "filter_applied",
        [NS_CM_EV_SHUTDOWN] = "admin_shutdown", [NS_CM_EV_NOTIFICATION] = "notification",
        [NS_CM_EV_GSHUT] = "graceful_shutdown", [NS_CM_EV_LEAK] = "leak",
        [NS_CM_EV_DRAINED] = "drained",         [NS_CM_EV_COMPLETE] = "complete",
        [NS_CM_EV_RESUMED] = "bgp_resumed",     [NS_CM_EV_RESTORED] = "restored",
        [NS_CM_EV_MEMBER] = "member",
    };
    return (unsigned)t < NS_CM_EV__COUNT ? names[t] : "?";
}

/* ---- small helpers ---- */

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static size_t pow2_above(size_t n)
{
    size_t c = 16;
    while (c < 2 * n)
        c *= 2;
    return c;
}

const char *ns_cm_mac_str(const uint8_t mac[6], char *buf, size_t cap)
{
    snprintf(buf, cap, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
    return buf;
}

int ns_cm_parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char sep1, sep2, sep3, sep4, sep5, extra;
    if (sscanf(s, "%2x%c%2x%c%2x%c%2x%c%2x%c%2x%c", &v[0], &sep1, &v[1], &sep2, &v[2], &sep3, &v[3],
               &sep4, &v[4], &sep5, &v[5], &extra) != 11)
        return NS_EINVAL;
    char seps[5] = {sep1, sep2, sep3, sep4, sep5};
    for (int i = 0; i < 5; i++)
        if (seps[i] != seps[0] || (seps[i] != ':' && seps[i] != '-'))
            return NS_EINVAL;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    return NS_OK;
}

const char *ns_cm_addr_str(const struct ns_cm_session *s, int side, char *buf, size_t cap)
{
    if (!inet_ntop(s->family == 4 ? AF_INET : AF_INET6, s->addr[side], buf, (socklen_t)cap))
        snprintf(buf, cap, "?");
    return buf;
}

const char *ns_cm_af_str(const struct ns_cm_session *s, char *buf, size_t cap)
{
    if (!s->n_af) {
        snprintf(buf, cap, "%s", s->family == 4 ? "ipv4" : "ipv6");
        return buf;
    }
    size_t o = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < s->n_af && o < cap; i++) {
        char nb[48];
        int w = snprintf(buf + o, cap - o, "%s%s", i ? "," : "",
                         ns_bgp_afisafi_name(s->af[i], nb, sizeof nb));
        if (w < 0)
            break;
        o += (size_t)w;
    }
    return buf;
}

static void push(struct ns_cm *m, enum ns_cm_event_type type, uint64_t t, int sess, int member,
                 int side, double value, const char *text)
{
    if (m->qn == NS_CM_EVENT_QUEUE) {
        m->st.events_dropped++;
        return;
    }
    struct ns_cm_event *e = &m->q[(m->qh + m->qn) % NS_CM_EVENT_QUEUE];
    m->qn++;
    e->type = type;
    e->t_ns = t;
    e->detected_ns = m->now_ns;
    e->session = sess;
    e->member = member;
    e->side = side;
    e->value = value;
    snprintf(e->text, sizeof e->text, "%s", text ? text : "");
}

int ns_cm_next_event(struct ns_cm *m, struct ns_cm_event *e)
{
    if (!m->qn)
        return 0;
    *e = m->q[m->qh];
    m->qh = (m->qh + 1) % NS_CM_EVENT_QUEUE;
    m->qn--;
    return 1;
}

/* ---- create / free ---- */

static int *new_hash(size_t cap)
{
    int *h = malloc(cap * sizeof *h);
    if (h)
        for (size_t i = 0; i < cap; i++)
            h[i] = EMPTY;
    return h;
}

int ns_cm_create(struct ns_cm **out, const struct ns_cm_config *cfg, struct ns_error *err)
{
    *out = NULL;
    if (!cfg->bin_ns || !cfg->rate_window_ns || !cfg->max_sessions || !cfg->max_conns ||
        !cfg->max_members || cfg->max_bins < 2 || !(cfg->min_ratio >= 0) ||
        !(cfg->hold_jitter >= 0 && cfg->hold_jitter < 1))
        return ns_error_set(err, NS_EINVAL, "bad monitor configuration");
    struct ns_cm *m = calloc(1, sizeof *m);
    if (!m)
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    m->cfg = *cfg;
    m->bin_ns = cfg->bin_ns;
    m->applied = cfg->applied_at_ns;
    m->sess = calloc(cfg->max_sessions, sizeof *m->sess);
    m->silence_side = calloc(cfg->max_sessions, 1);
    m->conns = calloc(cfg->max_conns, sizeof *m->conns);
    m->mem = calloc(cfg->max_members, sizeof *m->mem);
    m->sess_hcap = pow2_above(cfg->max_sessions);
    m->conn_hcap = pow2_above(cfg->max_conns);
    m->mem_hcap = pow2_above(cfg->max_members);
    m->sess_hash = new_hash(m->sess_hcap);
    m->conn_hash = new_hash(m->conn_hcap);
    m->mem_hash = new_hash(m->mem_hcap);
    m->bins_cap = 64;
    if (!m->sess || !m->silence_side || !m->conns || !m->mem || !m->sess_hash || !m->conn_hash ||
        !m->mem_hash) {
        ns_cm_free(m);
        return ns_error_set(err, NS_ENOMEM, "out of memory for the session tables");
    }
    *out = m;
    return NS_OK;
}

static void conn_release(struct conn *c)
{
    if (c->alloc) {
        ns_stream_free(&c->st[0]);
        ns_stream_free(&c->st[1]);
        c->alloc = 0;
    }
}

void ns_cm_free(struct ns_cm *m)
{
    if (!m)
        return;
    if (m->conns)
        for (size_t i = 0; i < m->n_conns; i++)
            conn_release(&m->conns[i]);
    if (m->mem)
        for (size_t i = 0; i < m->n_mem; i++)
            free(m->mem[i].bins);
    free(m->sess);
    free(m->silence_side);
    free(m->conns);
    free(m->mem);
    free(m->sess_hash);
    free(m->conn_hash);
    free(m->mem_hash);
    free(m);
}

/* ---- members ---- */

static int member_find(const struct ns_cm *m, const uint8_t mac[6])
{
    size_t mask = m->mem_hcap - 1;
    for (size_t i = fnv(mac, 6, 0xcbf29ce484222325ull) & mask;; i = (i + 1) & mask) {
        int k = m->mem_hash[i];
        if (k == EMPTY)
            return -1;
        if (!memcmp(m->mem[k].mac, mac, 6))
            return k;
    }
}

static int member_new(struct ns_cm *m, const uint8_t mac[6], const char *name, int culled,
                      int learned)
{
    if (m->n_mem >= m->cfg.max_members) {
        m->st.members_full++;
        return -1;
    }
    struct ns_cm_member *x = &m->mem[m->n_mem];
    memset(x, 0, sizeof *x);
    x->bins = calloc(m->bins_cap * NS_CM_KINDS * 2, sizeof *x->bins);
    if (!x->bins) {
        m->st.members_full++;
        return -1;
    }
    memcpy(x->mac, mac, 6);
    if (name && *name)
        snprintf(x->name, sizeof x->name, "%s", name);
    else
        ns_cm_mac_str(mac, x->name, sizeof x->name);
    x->culled = (uint8_t)culled;
    x->learned = (uint8_t)learned;
    size_t mask = m->mem_hcap - 1;
    size_t i = fnv(mac, 6, 0xcbf29ce484222325ull) & mask;
    while (m->mem_hash[i] != EMPTY)
        i = (i + 1) & mask;
    m->mem_hash[i] = (int)m->n_mem;
    return (int)m->n_mem++;
}

int ns_cm_add_member(struct ns_cm *m, const uint8_t mac[6], const char *name, int culled,
                     struct ns_error *err)
{
    char mb[24];
    if (member_find(m, mac) >= 0)
        return ns_error_set(err, NS_EINVAL, "member %s given twice", ns_cm_mac_str(mac, mb, 24));
    if (member_new(m, mac, name, culled, 0) < 0)
        return ns_error_set(err, NS_EFULL, "more than %u members", m->cfg.max_members);
    return NS_OK;
}

/* ---- time bins ---- */

static int bins_grow(struct ns_cm *m, size_t need)
{
    while (need > m->bins_cap) {
        if (m->bins_cap * 2 > m->cfg.max_bins) {
            /* merge pairs: half the resolution, twice the span */
            size_t stride = (size_t)NS_CM_KINDS * 2;
            for (size_t k = 0; k < m->n_mem; k++) {
                double *b = m->mem[k].bins;
                for (size_t i = 0; i < (m->n_bins + 1) / 2; i++)
                    for (size_t j = 0; j < stride; j++)
                        b[i * stride + j] =
                            b[2 * i * stride + j] +
                            (2 * i + 1 < m->n_bins ? b[(2 * i + 1) * stride + j] : 0);
                memset(b + (m->n_bins + 1) / 2 * stride, 0,
                       (m->bins_cap - (m->n_bins + 1) / 2) * stride * sizeof *b);
            }
            m->n_bins = (m->n_bins + 1) / 2;
            m->bin_ns *= 2;
            need = (size_t)((m->now_ns - m->first_ns) / m->bin_ns) + 1;
            continue;
        }
        size_t cap = m->bins_cap * 2;
        for (size_t k = 0; k < m->n_mem; k++) {
            double *b = realloc(m->mem[k].bins, cap * NS_CM_KINDS * 2 * sizeof *b);
            if (!b)
                return NS_ENOMEM;
            memset(b + m->bins_cap * NS_CM_KINDS * 2, 0,
                   (cap - m->bins_cap) * NS_CM_KINDS * 2 * sizeof *b);
            m->mem[k].bins = b;
        }
        m->bins_cap = cap;
    }
    if (need > m->n_bins)
        m->n_bins = need;
    return NS_OK;
}

static void account(struct ns_cm *m, int k, int kind, uint32_t bytes)
{
    if (k < 0 || !m->n_bins)
        return;
    struct ns_cm_member *x = &m->mem[k];
    x->pkts[kind]++;
    x->bytes[kind] += bytes;
    double *b = x->bins + ((m->n_bins - 1) * NS_CM_KINDS + (size_t)kind) * 2;
    b[0] += 1;
    b[1] += bytes;
    if (kind == NS_CM_KIND_TRANSIT)
        x->last_transit_ns = m->now_ns;
}

/* Sum of a member's bins [i0, i1] of one kind. */
static void bin_sum(const struct ns_cm *m, size_t k, int kind, size_t i0, size_t i1, double *pkts,
                    double *bytes)
{
    *pkts = *bytes = 0;
    const double *b = m->mem[k].bins;
    for (size_t i = i0; i <= i1 && i < m->n_bins; i++) {
        *pkts += b[(i * NS_CM_KINDS + (size_t)kind) * 2];
        *bytes += b[(i * NS_CM_KINDS + (size_t)kind) * 2 + 1];
    }
}

void ns_cm_rate(const struct ns_cm *m, size_t k, int kind, double *pps, double *bps)
{
    *pps = *bps = 0;
    if (!m->n_bins || k >= m->n_mem)
        return;
    uint64_t from = m->now_ns > m->first_ns + m->cfg.rate_window_ns
                        ? m->now_ns - m->cfg.rate_window_ns
                        : m->first_ns;
    size_t i0 = (size_t)((from - m->first_ns) / m->bin_ns);
    double span = (double)(m->now_ns - (m->first_ns + i0 * m->bin_ns)) / 1e9;
    if (span <= 0)
        return;
    double p, b;
    bin_sum(m, k, kind, i0, m->n_bins - 1, &p, &b);
    *pps = p / span;
    *bps = b * 8 / span;
}

static void baselines(struct ns_cm *m)
{
    uint64_t a = m->applied;
    if (!m->n_bins || a <= m->first_ns)
        return;
    uint64_t from = a > m->first_ns + m->cfg.baseline_ns ? a - m->cfg.baseline_ns : m->first_ns;
    size_t i0 = (size_t)((from - m->first_ns + m->bin_ns - 1) / m->bin_ns);
    size_t iend = (size_t)((a - m->first_ns) / m->bin_ns); /* first bin not wholly before a */
    if (iend <= i0)
        return;
    double secs = (double)((iend - i0) * m->bin_ns) / 1e9;
    for (size_t k = 0; k < m->n_mem; k++) {
        for (int kind = 0; kind < NS_CM_KINDS; kind++) {
            double p, b;
            bin_sum(m, k, kind, i0, iend - 1, &p, &b);
            m->mem[k].base_pps[kind] = p / secs;
            m->mem[k].base_bps[kind] = b * 8 / secs;
        }
        m->mem[k].has_baseline = 1;
    }
}

/* ---- sessions and connections ---- */

static int sess_find(struct ns_cm *m, int family, const uint8_t *a0, const uint8_t *a1, int create)
{
    size_t mask = m->sess_hcap - 1;
    uint64_t h = fnv(a0, 16, fnv(a1, 16, 0xcbf29ce484222325ull ^ (uint64_t)family));
    size_t i = h & mask;
    for (;; i = (i + 1) & mask) {
        int k = m->sess_hash[i];
        if (k == EMPTY)
            break;
        const struct ns_cm_session *s = &m->sess[k];
        if (s->family == family && !memcmp(s->addr[0], a0, 16) && !memcmp(s->addr[1], a1, 16))
            return k;
    }
    if (!create)
        return -1;
    if (m->n_sess >= m->cfg.max_sessions) {
        m->st.sessions_full++;
        return -1;
    }
    struct ns_cm_session *s = &m->sess[m->n_sess];
    memset(s, 0, sizeof *s);
    s->family = (uint8_t)family;
    memcpy(s->addr[0], a0, 16);
    memcpy(s->addr[1], a1, 16);
    s->member[0] = s->member[1] = -1;
    s->conn = -1;
    s->hold = m->cfg.default_hold;
    s->first_ns = m->now_ns;
    m->silence_side[m->n_sess] = 2;
    m->sess_hash[i] = (int)m->n_sess;
    return (int)m->n_sess++;
}

static uint64_t conn_hashv(int family, const uint8_t *a0, const uint8_t *a1, uint16_t p0,
                           uint16_t p1)
{
    uint16_t ports[2] = {p0, p1};
    return fnv(ports, sizeof ports, fnv(a0, 16, fnv(a1, 16, 0x84222325ull ^ (uint64_t)family)));
}

static void conn_unhash(struct ns_cm *m, int k)
{
    const struct conn *c = &m->conns[k];
    size_t mask = m->conn_hcap - 1;
    for (size_t i = conn_hashv(c->family, c->addr[0], c->addr[1], c->port[0], c->port[1]) & mask;
         m->conn_hash[i] != EMPTY; i = (i + 1) & mask)
        if (m->conn_hash[i] == k) {
            m->conn_hash[i] = GRAVE;
            return;
        }
}

/* Addresses and ports ordered by session side. */
static int conn_find(struct ns_cm *m, int family, const uint8_t *a0, const uint8_t *a1, uint16_t p0,
                     uint16_t p1, int sess)
{
    size_t mask = m->conn_hcap - 1;
    size_t i = conn_hashv(family, a0, a1, p0, p1) & mask, grave = SIZE_MAX;
    for (;; i = (i + 1) & mask) {
        int k = m->conn_hash[i];
        if (k == EMPTY)
            break;
        if (k == GRAVE) {
            if (grave == SIZE_MAX)
                grave = i;
            continue;
        }
        const struct conn *c = &m->conns[k];
        if (c->family == family && c->port[0] == p0 && c->port[1] == p1 &&
            !memcmp(c->addr[0], a0, 16) && !memcmp(c->addr[1], a1, 16))
            return k;
    }
    int k;
    if (m->n_conns < m->cfg.max_conns) {
        k = (int)m->n_conns++;
    } else {
        /* reuse a closed connection's slot (the oldest closed is as good
         * as any: it will never be looked up by its key again) */
        k = -1;
        for (size_t j = 0; j < m->n_conns; j++)
            if (m->conns[j].closed) {
                k = (int)j;
                break;
            }
        if (k < 0) {
            m->st.conns_full++;
            return -1;
        }
        conn_unhash(m, k);
        conn_release(&m->conns[k]);
    }
    struct conn *c = &m->conns[k];
    memset(c, 0, sizeof *c);
    if (ns_stream_init(&c->st[0], m->cfg.stream_cap, m->cfg.hole_ns, NULL) < 0)
        return -1;
    if (ns_stream_init(&c->st[1], m->cfg.stream_cap, m->cfg.hole_ns, NULL) < 0) {
        ns_stream_free(&c->st[0]);
        return -1;
    }
    c->alloc = 1;
    c->used = 1;
    c->family = (uint8_t)family;
    memcpy(c->addr[0], a0, 16);
    memcpy(c->addr[1], a1, 16);
    c->port[0] = p0;
    c->port[1] = p1;
    c->session = sess;
    m->conn_hash[grave != SIZE_MAX ? grave : i] = k;
    return k;
}

static void name_member(struct ns_cm_member *x)
{
    if (x->learned && x->asn)
        snprintf(x->name, sizeof x->name, "AS%u", x->asn);
}

static void set_side_member(struct ns_cm *m, int si, int side, int k)
{
    struct ns_cm_session *s = &m->sess[si];
    if (k < 0 || s->member[side] == k)
        return;
    s->member[side] = k;
    struct ns_cm_member *x = &m->mem[k];
    if (s->family == 4) {
        x->has_v4 = 1;
        memcpy(x->v4, s->addr[side], 4);
    } else {
        x->has_v6 = 1;
        memcpy(x->v6, s->addr[side], 16);
    }
    if (s->asn[side] && !x->asn) {
        x->asn = s->asn[side];
        name_member(x);
    }
    int c0 = s->member[0] >= 0 && m->mem[s->member[0]].culled;
    int c1 = s->member[1] >= 0 && m->mem[s->member[1]].culled;
    s->culled = (uint8_t)(c0 || c1);
    s->culled_side = (uint8_t)(c0 && c1 ? 2 : c1 ? 1 : 0);
}

static void session_up(struct ns_cm *m, int si, int ci)
{
    struct ns_cm_session *s = &m->sess[si];
    s->conn = ci;
    if (s->state == NS_CM_UP)
        return;
    s->state = NS_CM_UP;
    s->up_ns = m->now_ns;
    s->ups++;
    s->reason[0] = '\0';
    s->gshut[0] = s->gshut[1] = 0;
    m->silence_side[si] = 2;
    /* both sides are alive at this moment: older silence does not count */
    for (int d = 0; d < 2; d++)
        if (s->last_data[d] < m->now_ns)
            s->last_data[d] = m->now_ns;
    push(m, NS_CM_EV_UP, m->now_ns, si, -1, -1, s->hold, NULL);
}

static void session_down(struct ns_cm *m, int si, uint64_t t, int side, const char *reason)
{
    struct ns_cm_session *s = &m->sess[si];
    if (s->state == NS_CM_DOWN || s->state == NS_CM_IDLE)
        return;
    int was_up = s->state == NS_CM_UP;
    s->state = NS_CM_DOWN;
    s->down_ns = t;
    snprintf(s->reason, sizeof s->reason, "%s", reason);
    if (was_up) {
        s->downs++;
        push(m, NS_CM_EV_DOWN, t, si, -1, side, s->hold, reason);
    }
}

static void merge_af(struct ns_cm_session *s, const struct ns_bgp_open *o, int both)
{
    if (!both) {
        for (unsigned i = 0; i < o->n_afisafi && s->n_af < NS_CM_MAX_AF; i++) {
            int dup = 0;
            for (unsigned j = 0; j < s->n_af; j++)
                dup |= s->af[j].afi == o->afisafi[i].afi && s->af[j].safi == o->afisafi[i].safi;
            if (!dup)
                s->af[s->n_af++] = o->afisafi[i];
        }
        return;
    }
    /* both OPENs: the negotiated families are those both announced
     * (RFC 4760 §8); keep the first side's list when they share none */
    unsigned n = 0;
    for (unsigned j = 0; j < s->n_af; j++) {
        int both_have = 0;
        for (unsigned i = 0; i < o->n_afisafi; i++)
            both_have |= s->af[j].afi == o->afisafi[i].afi && s->af[j].safi == o->afisafi[i].safi;
        if (both_have)
            s->af[n++] = s->af[j];
    }
    if (n)
        s->n_af = (uint8_t)n;
}

static void on_open(struct ns_cm *m, int si, struct conn *c, int side, const struct ns_bgp_open *o)
{
    struct ns_cm_session *s = &m->sess[si];
    int other = s->have_open[!side] && c->open[!side];
    c->open[side] = 1;
    c->live[side] = 0;
    if (!c->open[!side])
        s->n_af = 0; /* a new negotiation */
    s->have_open[side] = 1;
    s->asn[side] = o->asn;
    s->hold_open[side] = o->hold_time;
    merge_af(s, o, other);
    /* RFC 4271 §4.2: the negotiated Hold Time is the smaller of the two */
    s->hold = other && s->hold_open[!side] < o->hold_time ? s->hold_open[!side] : o->hold_time;
    s->hold_src = 2;
    if (s->member[side] >= 0 && !m->mem[s->member[side]].asn) {
        m->mem[s->member[side]].asn = o->asn;
        name_member(&m->mem[s->member[side]]);
    }
    if (s->state != NS_CM_UP)
        s->state = NS_CM_OPENING;
}

static void on_live(struct ns_cm *m, int si, int ci, int side, const struct ns_bgp_msg *msg)
{
    struct ns_cm_session *s = &m->sess[si];
    struct conn *c = &m->conns[ci];
    c->live[side] = 1;
    if (msg->type == NS_BGP_KEEPALIVE) {
        /* Spacing of KEEPALIVEs on this connection: speakers jitter their
         * KeepaliveTimer (RFC 4271 §10; BIRD by up to 25 %), so the largest
         * spacing not beyond 1.5 x the smallest is the nominal interval;
         * more than that means KEEPALIVEs were skipped (UPDATEs sent). */
        if (c->last_ka[side]) {
            uint64_t gap = m->now_ns - c->last_ka[side];
            if (gap > SEC / 2) {
                if (!c->ka_min[side] || gap < c->ka_min[side])
                    c->ka_min[side] = gap;
                if (gap > c->ka_max[side] && 2 * gap <= 3 * c->ka_min[side])
                    c->ka_max[side] = gap;
                if (c->ka_max[side] < c->ka_min[side])
                    c->ka_max[side] = c->ka_min[side];
            }
        }
        c->last_ka[side] = m->now_ns;
        s->last_ka[side] = m->now_ns;
        s->ka_gap[side] = c->ka_max[side];
        if (s->hold_src < 2 && c->ka_max[side] && c->established) {
            /* RFC 4271 §10: KeepaliveTime is one third of the Hold Time */
            long h = lround(3.0 * (double)c->ka_max[side] / 1e9);
            uint16_t est = (uint16_t)(h < 3 ? 3 : h > 65535 ? 65535 : h);
            if (s->hold_src == 0 || est > s->hold)
                s->hold = est;
            s->hold_src = 1;
        }
    }
    if (msg->type == NS_BGP_UPDATE && msg->u.update.graceful_shutdown && !s->gshut[side]) {
        s->gshut[side] = 1;
        char a[64], t[128];
        snprintf(t, sizeof t, "GRACEFUL_SHUTDOWN (65535:0) announced by %s",
                 ns_cm_addr_str(s, side, a, sizeof a));
        push(m, NS_CM_EV_GSHUT, m->now_ns, si, s->member[side], side, 0, t);
    }
    /* after OPENs: a KEEPALIVE or UPDATE from both sides (RFC 4271 §8.2.2,
     * OpenConfirm -> Established); a connection that began before the
     * capture is established on its first KEEPALIVE or UPDATE */
    int want = (c->open[0] || c->open[1]) ? c->live[0] && c->live[1] : 1;
    if (!c->established && want && !c->closed) {
        c->established = 1;
        session_up(m, si, ci);
    } else if (c->established && !c->closed && s->state == NS_CM_DOWN && s->conn == ci &&
               m->silence_side[si] == side) {
        /* the side we took for silent speaks again on the same connection:
         * the hold time was over-estimated, the session never went down */
        session_up(m, si, ci);
    }
}

/* Another connection of the session that carries it on when `ci` closes:
 * not closed, OPENs or BGP from both sides, both recent.  Two connections
 * at once are a collision (RFC 4271 §6.8: one is closed with Cease /
 * Connection Collision Resolution), or an old connection whose close is
 * delivered late.  Rare (a close), so a scan is fine. */
static int other_conn(const struct ns_cm *m, int si, int ci)
{
    const struct ns_cm_session *s = &m->sess[si];
    uint64_t hold = (uint64_t)(s->hold ? s->hold : 90) * SEC;
    for (size_t j = 0; j < m->n_conns; j++) {
        const struct conn *c = &m->conns[j];
        if ((int)j == ci || !c->used || c->closed || c->session != si)
            continue;
        if (!(c->established || (c->open[0] && c->open[1])))
            continue;
        if (c->last[0] + hold >= m->now_ns && c->last[1] + hold >= m->now_ns)
            return (int)j;
    }
    return -1;
}

static void on_notification(struct ns_cm *m, int si, int ci, int side,
                            const struct ns_bgp_notification *n)
{
    struct ns_cm_session *s = &m->sess[si];
    char a[64], nb[96], t[NS_CM_TEXT_LEN];
    ns_bgp_notification_name(n->code, n->subcode, nb, sizeof nb);
    ns_cm_addr_str(s, side, a, sizeof a);
    /* RFC 8203 / RFC 9003: Administrative Shutdown or Reset is the
     * operator's own doing, reported as voluntary with its text */
    int voluntary = n->code == NS_BGP_ERR_CEASE && (n->subcode == NS_BGP_CEASE_ADMIN_SHUT ||
                                                    n->subcode == NS_BGP_CEASE_ADMIN_RESET);
    snprintf(t, sizeof t, "NOTIFICATION %s from %s%s%s", nb, a, n->has_text ? ": " : "",
             n->has_text ? n->text : "");
    /* a NOTIFICATION that ends an older connection (delivered late, after a
     * new one was established) does not take the session down */
    int current = s->conn == ci || s->conn < 0;
    int other = other_conn(m, si, ci);
    if (other >= 0) {
        current = 0;
        s->conn = other;
    }
    if (!current)
        snprintf(t + strlen(t), sizeof t - strlen(t),
                 " (on another connection than the session's)");
    push(m, voluntary ? NS_CM_EV_SHUTDOWN : NS_CM_EV_NOTIFICATION, m->now_ns, si, s->member[side],
         side, n->code * 256 + n->subcode, t);
    if (current)
        session_down(m, si, m->now_ns, side, t);
}

static void on_msg(struct ns_cm *m, int si, int ci, int side, const struct ns_bgp_msg *msg)
{
    struct ns_cm_session *s = &m->sess[si];
    m->st.bgp_msgs++;
    if (msg->malformed)
        m->st.malformed_msgs++;
    s->msgs[side][msg->type <= 5 ? msg->type : 0]++;
    switch (msg->type) {
    case NS_BGP_OPEN:
        on_open(m, si, &m->conns[ci], side, &msg->u.open);
        s->conn = ci;
        break;
    case NS_BGP_KEEPALIVE:
    case NS_BGP_UPDATE:
    case NS_BGP_ROUTE_REFRESH:
        on_live(m, si, ci, side, msg);
        break;
    case NS_BGP_NOTIFICATION:
        m->conns[ci].closed = 1;
        on_notification(m, si, ci, side, &msg->u.notif);
        break;
    default:
        break;
    }
}

static int is_local_only(int ver, const uint8_t *a)
{
    if (ver == 4)
        return a[0] >= 224 || (a[0] == 169 && a[1] == 254) || a[0] == 0;
    static const uint8_t zero[16];
    return a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || !memcmp(a, zero, 16);
}

static void bgp_frame(struct ns_cm *m, const struct ns_pkt *p, int src_member)
{
    int side = memcmp(p->src, p->dst, 16) < 0 ? 0 : 1;
    const uint8_t *a0 = side == 0 ? p->src : p->dst, *a1 = side == 0 ? p->dst : p->src;
    int si = sess_find(m, p->ip_version, a0, a1, 1);
    if (si < 0)
        return;
    if (src_member < 0) {
        static const uint8_t zero[6];
        if (memcmp(p->src_mac, zero, 6) != 0) {
            src_member = member_new(m, p->src_mac, NULL, 0, 1);
            if (src_member >= 0)
                push(m, NS_CM_EV_MEMBER, m->now_ns, si, src_member, side, 0, NULL);
        }
    }
    set_side_member(m, si, side, src_member);
    struct ns_cm_session *s = &m->sess[si];
    uint16_t p0 = side == 0 ? p->sport : p->dport, p1 = side == 0 ? p->dport : p->sport;
    int ci = conn_find(m, p->ip_version, a0, a1, p0, p1, si);
    s->last_seg[side] = m->now_ns;
    if (s->culled && (s->culled_side == side || s->culled_side == 2)) {
        if (m->phase == NS_CM_COMPLETE && !m->resumed) {
            char a[64], t[160];
            m->resumed = 1;
            snprintf(t, sizeof t, "BGP from culled %s again (filter removed?)",
                     ns_cm_addr_str(s, side, a, sizeof a));
            push(m, NS_CM_EV_RESUMED, m->now_ns, si, src_member, side, 0, t);
        }
    }
    if (ci < 0)
        return;
    struct conn *c = &m->conns[ci];
    uint32_t seq = p->tcp_seq;
    if (p->tcp_flags & 0x02) { /* SYN */
        if (!c->syn[side] || c->isn[side] != p->tcp_seq) {
            if (c->syn[side] || c->closed) {
                /* a new incarnation of the same 4-tuple */
                c->closed = c->established = 0;
                c->open[0] = c->open[1] = c->live[0] = c->live[1] = 0;
                ns_stream_reset(&c->st[!side]);
            }
            c->syn[side] = 1;
            c->isn[side] = p->tcp_seq;
            ns_stream_syn(&c->st[side], p->tcp_seq);
            if (s->state == NS_CM_IDLE || s->state == NS_CM_DOWN)
                s->state = NS_CM_OPENING;
        }
        seq++;
    }
    if (!c->alloc)
        return;
    if (p->payload && p->payload_caplen &&
        ns_stream_segment(&c->st[side], m->now_ns, seq, p->payload, p->payload_caplen) > 0) {
        s->last_data[side] = m->now_ns;
        c->last[side] = m->now_ns;
    }
    struct ns_bgp_msg msg;
    while (ns_stream_next(&c->st[side], m->now_ns, &msg) == 1)
        on_msg(m, si, ci, side, &msg);
    if (p->tcp_flags & 0x05) { /* FIN or RST */
        int other = other_conn(m, si, ci);
        if (other >= 0)
            s->conn = other;
        else if (!c->closed && s->conn == ci) {
            char a[64], t[160];
            snprintf(t, sizeof t, "TCP %s from %s", (p->tcp_flags & 0x04) ? "RST" : "FIN",
                     ns_cm_addr_str(s, side, a, sizeof a));
            session_down(m, si, m->now_ns, side, t);
        }
        c->closed = 1;
        if (p->tcp_flags & 0x04)
            conn_release(c);
    }
}

/* ---- timers ---- */

static void check_hold(struct ns_cm *m, int si)
{
    struct ns_cm_session *s = &m->sess[si];
    if (s->state != NS_CM_UP || !s->hold)
        return;
    /* Each speaker's hold timer runs on what it receives, so the side that
     * went silent first is dropped by its peer first; the session is torn
     * down at both ends (its routes withdrawn on both sides) once neither
     * direction carried anything new for the hold time. */
    uint64_t hold = (uint64_t)s->hold * SEC;
    int d = s->last_data[0] > s->last_data[1] ? 0 : 1; /* the later speaker */
    if (!s->last_data[d] || m->now_ns <= s->last_data[d] + hold)
        return;
    char a[64], b[64], t[256];
    snprintf(t, sizeof t,
             "hold timer expired: no BGP from %s for %u s, from %s since %.3f s earlier%s",
             ns_cm_addr_str(s, !d, a, sizeof a), s->hold, ns_cm_addr_str(s, d, b, sizeof b),
             (double)(s->last_data[d] - s->last_data[!d]) / 1e9,
             s->hold_src == 2   ? ""
             : s->hold_src == 1 ? " (hold time estimated)"
                                : " (default hold time)");
    /* Detected once the whole hold time has passed (then it is certain);
     * dated at the middle of the window in which a speaker that starts its
     * hold timer up to hold_jitter early (BIRD: up to 25 %, its reading of
     * RFC 4271 §10) tears it down. */
    uint64_t early = (uint64_t)((double)hold * m->cfg.hold_jitter / 2);
    session_down(m, si, s->last_data[d] + hold - early, !d, t);
    m->silence_side[si] = (uint8_t)!d;
}

static int culled_side_is(const struct ns_cm_session *s, int d)
{
    return s->culled && (s->culled_side == d || s->culled_side == 2);
}

/* `by`: inferred, the latest the filter can have come (infer_applied()) */
static void set_applied(struct ns_cm *m, uint64_t t, int inferred, uint64_t by)
{
    m->applied = t;
    m->applied_inferred = inferred;
    m->applied_by = inferred ? by : 0;
    m->phase = NS_CM_CULLING;
    baselines(m);
    char txt[96] = "given";
    if (inferred)
        snprintf(txt, sizeof txt, "BGP from culled members stopped; the filter came within %.1f s",
                 (double)(by - t) / 1e9);
    push(m, NS_CM_EV_APPLIED, t, -1, -1, -1, inferred, txt);
}

/* The culled side of a culled session has been silent (not even an ACK)
 * for max(2 s, hold / 2), and since when.  0 when not. */
static uint64_t stalled_since(const struct ns_cm *m, const struct ns_cm_session *s, int d)
{
    uint64_t thr = (uint64_t)s->hold * SEC / 2;
    if (thr < 2 * SEC)
        thr = 2 * SEC;
    if (!culled_side_is(s, d) || !s->last_seg[d] || m->now_ns <= s->last_seg[d] + thr)
        return 0;
    return s->last_seg[d];
}

/* The longest a session side can go between KEEPALIVEs, for an upper
 * bound: the larger of the spacing seen and a third of the hold time
 * (RFC 4271 §10's suggested ratio, BIRD's default).  A few spacings seen
 * can all fall short of the nominal one (BIRD jitters them down by up to
 * 25 %), and erring long only delays a leak alarm by that much. */
static uint64_t ka_interval(const struct ns_cm_session *s, int d)
{
    uint64_t third = (uint64_t)s->hold * SEC / 3;
    return s->ka_gap[d] > third ? s->ka_gap[d] : third;
}

/* A filter cuts a port for one or both families at once, so it is taken as
 * applied when every up session of one culled member in one family has
 * stalled (one quiet session among busy ones is not a filter), at the
 * latest last segment among them.  A filter for one family only still
 * stalls that family's sessions; the other family's then leak.
 *
 * That time is a lower bound: the filter came after each session's last
 * segment and before its next KEEPALIVE was due, so the real time lies in
 * [latest last segment, earliest last segment + its KEEPALIVE interval].
 * The upper end is kept (applied_by): BGP from the other family between
 * the two was sent before the filter and is no leak. */
static void infer_applied(struct ns_cm *m)
{
    uint64_t best = 0, best_by = 0;
    for (size_t i = 0; i < m->n_sess; i++) {
        const struct ns_cm_session *s = &m->sess[i];
        if (!s->culled || s->state != NS_CM_UP)
            continue;
        for (int d = 0; d < 2; d++) {
            if (!stalled_since(m, s, d))
                continue;
            int k = s->member[d], all = 1;
            uint64_t t = 0, by = UINT64_MAX;
            for (size_t j = 0; j < m->n_sess && all; j++) {
                const struct ns_cm_session *o = &m->sess[j];
                if (o->state != NS_CM_UP || o->family != s->family)
                    continue;
                for (int e = 0; e < 2; e++) {
                    if (o->member[e] != k || !culled_side_is(o, e))
                        continue;
                    uint64_t since = stalled_since(m, o, e);
                    if (!since) {
                        all = 0;
                        continue;
                    }
                    if (since > t)
                        t = since;
                    if (since + ka_interval(o, e) < by)
                        by = since + ka_interval(o, e);
                }
            }
            if (all && t > best) {
                best = t;
                best_by = by;
            }
        }
    }
    if (best) /* the upper end: never before the lower, never after the judgement */
        set_applied(m, best, 1, best_by < best ? best : best_by > m->now_ns ? m->now_ns : best_by);
}

static void check_leaks(struct ns_cm *m)
{
    uint64_t after = m->applied + m->cfg.leak_grace_ns;
    if (m->applied_inferred && m->applied_by > after)
        after = m->applied_by;
    for (size_t i = 0; i < m->n_sess; i++) {
        struct ns_cm_session *s = &m->sess[i];
        if (!s->culled || s->leaked)
            continue;
        for (int d = 0; d < 2; d++) {
            if (!culled_side_is(s, d) || s->last_seg[d] <= after)
                continue;
            char a[64], b[64], af[128], t[NS_CM_TEXT_LEN];
            snprintf(t, sizeof t,
                     "BGP still crosses the culled port: %s from %s to %s, %.1f s after the filter",
                     ns_cm_af_str(s, af, sizeof af), ns_cm_addr_str(s, d, a, sizeof a),
                     ns_cm_addr_str(s, !d, b, sizeof b),
                     (double)(s->last_seg[d] - m->applied) / 1e9);
            s->leaked = 1;
            m->leaks++;
            push(m, NS_CM_EV_LEAK, s->last_seg[d], (int)i, s->member[d], d, 0, t);
            break;
        }
    }
}

static void check_complete(struct ns_cm *m)
{
    size_t n_culled = 0;
    uint64_t t = m->applied;
    for (size_t i = 0; i < m->n_sess; i++) {
        const struct ns_cm_session *s = &m->sess[i];
        if (!s->culled)
            continue;
        n_culled++;
        if (s->state == NS_CM_UP)
            return;
        if (s->state == NS_CM_DOWN && s->down_ns > t)
            t = s->down_ns;
    }
    int all_drained = 1;
    for (size_t k = 0; k < m->n_mem; k++) {
        struct ns_cm_member *x = &m->mem[k];
        if (!x->culled)
            continue;
        int drained;
        if (!x->has_baseline || x->base_pps[NS_CM_KIND_TRANSIT] <= 0) {
            drained = 1;
        } else {
            double pps, bps;
            ns_cm_rate(m, k, NS_CM_KIND_TRANSIT, &pps, &bps);
            drained = m->now_ns >= m->applied + m->cfg.rate_window_ns &&
                      pps <= m->cfg.min_ratio * x->base_pps[NS_CM_KIND_TRANSIT];
        }
        if (drained && !x->drained) {
            x->drained = 1;
            x->drained_at = x->last_transit_ns > m->applied ? x->last_transit_ns : m->applied;
            push(m, NS_CM_EV_DRAINED, x->drained_at, -1, (int)k, -1,
                 x->base_pps[NS_CM_KIND_TRANSIT], NULL);
        } else if (!drained) {
            x->drained = 0;
        }
        all_drained &= x->drained;
        if (x->drained && x->drained_at > t)
            t = x->drained_at;
    }
    if (!n_culled || !all_drained)
        return;
    m->phase = NS_CM_COMPLETE;
    m->complete_at = t;
    char txt[96];
    snprintf(txt, sizeof txt, "%zu culled sessions down, culled members' transit at the minimum",
             n_culled);
    push(m, NS_CM_EV_COMPLETE, t, -1, -1, -1, (double)n_culled, txt);
}

static void check_restored(struct ns_cm *m)
{
    uint64_t t = 0;
    for (size_t i = 0; i < m->n_sess; i++) {
        const struct ns_cm_session *s = &m->sess[i];
        if (!s->culled)
            continue;
        if (s->state != NS_CM_UP || s->up_ns < m->complete_at)
            return;
        if (s->up_ns > t)
            t = s->up_ns;
    }
    m->phase = NS_CM_RESTORED;
    push(m, NS_CM_EV_RESTORED, t, -1, -1, -1, 0, NULL);
}

static void check_all_up(struct ns_cm *m)
{
    size_t up = 0;
    uint64_t t = 0;
    for (size_t i = 0; i < m->n_sess; i++)
        if (m->sess[i].state == NS_CM_UP) {
            up++;
            if (m->sess[i].up_ns > t)
                t = m->sess[i].up_ns;
        }
    /* reported once all have been up for a second with no newcomer, so
     * sessions coming up one by one give one event, not one each */
    int all = m->n_sess && up == m->n_sess;
    if (all && !m->all_up && m->now_ns >= t + SEC) {
        push(m, NS_CM_EV_ALL_UP, t, -1, -1, -1, (double)up, NULL);
        m->all_up = 1;
    }
    if (!all)
        m->all_up = 0;
}

static void run_timers(struct ns_cm *m)
{
    for (size_t i = 0; i < m->n_sess; i++)
        check_hold(m, (int)i);
    if (m->phase == NS_CM_WAITING) {
        if (m->cfg.applied_at_ns && m->now_ns >= m->cfg.applied_at_ns)
            set_applied(m, m->cfg.applied_at_ns, 0, 0);
        else if (!m->cfg.applied_at_ns)
            infer_applied(m);
    }
    if (m->phase == NS_CM_CULLING) {
        check_leaks(m);
        check_complete(m);
    }
    if (m->phase == NS_CM_COMPLETE)
        check_restored(m);
    check_all_up(m);
    m->last_tick = m->now_ns;
}

static void advance(struct ns_cm *m, uint64_t now)
{
    if (!m->first_ns) {
        m->first_ns = now ? now : 1;
        m->now_ns = m->first_ns;
        m->last_tick = m->first_ns;
        bins_grow(m, 1);
    }
    if (now > m->now_ns) /* time never runs backwards (reordered capture) */
        m->now_ns = now;
    bins_grow(m, (size_t)((m->now_ns - m->first_ns) / m->bin_ns) + 1);
}

void ns_cm_set_applied_at(struct ns_cm *m, uint64_t t_ns)
{
    if (m->phase == NS_CM_WAITING)
        m->cfg.applied_at_ns = t_ns ? t_ns : 1;
}

void ns_cm_tick(struct ns_cm *m, uint64_t now_ns)
{
    advance(m, now_ns);
    run_timers(m);
}

void ns_cm_packet(struct ns_cm *m, const struct ns_pkt *p)
{
    advance(m, p->ts_ns);
    m->st.frames++;
    int kind = NS_CM_KIND_LOCAL;
    if (p->flags & NS_PKT_F_IP) {
        int fam = p->ip_version;
        int lan_s = ns_lan_contains(&m->cfg.lan, fam, p->src);
        int lan_d = ns_lan_contains(&m->cfg.lan, fam, p->dst);
        if (lan_s && lan_d) {
            if (p->proto == 6 && (p->flags & NS_PKT_F_L4) && (p->sport == 179 || p->dport == 179) &&
                !(p->flags & NS_PKT_F_FRAG))
                kind = NS_CM_KIND_BGP;
        } else if (!is_local_only(fam, p->src) && !is_local_only(fam, p->dst)) {
            kind = NS_CM_KIND_TRANSIT;
        }
    }
    int ms = member_find(m, p->src_mac);
    if (kind == NS_CM_KIND_BGP) {
        m->st.bgp_frames++;
        bgp_frame(m, p, ms);
        ms = member_find(m, p->src_mac);
    }
    int md = member_find(m, p->dst_mac);
    account(m, ms, kind, p->wirelen);
    if (md != ms)
        account(m, md, kind, p->wirelen);
    if (m->now_ns - m->last_tick >= TICK_NS || kind == NS_CM_KIND_BGP)
        run_timers(m);
}

void ns_cm_finish(struct ns_cm *m, uint64_t end_ns)
{
    if (!m->first_ns)
        return;
    advance(m, end_ns);
    for (size_t i = 0; i < m->n_conns; i++) {
        struct conn *c = &m->conns[i];
        if (!c->alloc)
            continue;
        struct ns_bgp_msg msg;
        for (int d = 0; d < 2; d++)
            while (ns_stream_flush(&c->st[d], &msg) == 1)
                on_msg(m, c->session, (int)i, d, &msg);
    }
    run_timers(m);
}

/* ---- read access ---- */

size_t ns_cm_n_sessions(const struct ns_cm *m)
{
    return m->n_sess;
}

const struct ns_cm_session *ns_cm_session(const struct ns_cm *m, size_t i)
{
    return i < m->n_sess ? &m->sess[i] : NULL;
}

size_t ns_cm_n_members(const struct ns_cm *m)
{
    return m->n_mem;
}

const struct ns_cm_member *ns_cm_member(const struct ns_cm *m, size_t i)
{
    return i < m->n_mem ? &m->mem[i] : NULL;
}

enum ns_cm_phase ns_cm_phase(const struct ns_cm *m)
{
    return m->phase;
}

uint64_t ns_cm_applied_at(const struct ns_cm *m, int *inferred)
{
    if (inferred)
        *inferred = m->applied_inferred;
    return m->phase == NS_CM_WAITING ? 0 : m->applied;
}

uint64_t ns_cm_complete_at(const struct ns_cm *m)
{
    return m->complete_at;
}

uint64_t ns_cm_first_ns(const struct ns_cm *m)
{
    return m->first_ns;
}

uint64_t ns_cm_now(const struct ns_cm *m)
{
    return m->now_ns;
}

int ns_cm_leaks(const struct ns_cm *m)
{
    return m->leaks;
}

void ns_cm_get_stats(const struct ns_cm *m, struct ns_cm_stats *s)
{
    *s = m->st;
    for (size_t i = 0; i < m->n_conns; i++)
        for (int d = 0; d < 2; d++) {
            s->bytes_dup += m->conns[i].st[d].st.bytes_dup;
            s->gaps += m->conns[i].st[d].st.gaps;
        }
}

void ns_cm_bins(const struct ns_cm *m, uint64_t *start_ns, uint64_t *bin_ns, size_t *n_bins)
{
    *start_ns = m->first_ns;
    *bin_ns = m->bin_ns;
    *n_bins = m->n_bins;
}
