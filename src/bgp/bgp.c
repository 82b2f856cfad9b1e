/*
 * bgp.c — see bgp.h.  All reads of message bytes go through struct rd, a
 * window that only shrinks; a length claim is checked with rd_has() before
 * a sub-window is cut for it.
 */
#include "bgp/bgp.h"

#include <stdio.h>
#include <string.h>

struct rd {
    const uint8_t *p;
    size_t n;
};

static int rd_has(const struct rd *r, size_t off, size_t n)
{
    return off <= r->n && n <= r->n - off;
}

static uint8_t rd_u8(const struct rd *r, size_t off)
{
    return off < r->n ? r->p[off] : 0;
}

static uint16_t rd_be16(const struct rd *r, size_t off)
{
    if (!rd_has(r, off, 2))
        return 0;
    return (uint16_t)((unsigned)r->p[off] << 8 | r->p[off + 1]);
}

static uint32_t rd_be32(const struct rd *r, size_t off)
{
    if (!rd_has(r, off, 4))
        return 0;
    const uint8_t *b = r->p + off;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* The sub-window [off, off + n); the caller checked rd_has(). */
static struct rd rd_sub(const struct rd *r, size_t off, size_t n)
{
    struct rd s = {r->p + off, n};
    return s;
}

static const char *const mal_names[NS_BGP_MAL__COUNT] = {
    [NS_BGP_MAL_NONE] = "none",
    [NS_BGP_MAL_OPEN_SHORT] = "open_short",
    [NS_BGP_MAL_OPEN_PARAMS] = "open_params",
    [NS_BGP_MAL_OPEN_CAP] = "open_capability",
    [NS_BGP_MAL_HOLD_TIME] = "hold_time",
    [NS_BGP_MAL_UPD_WITHDRAWN] = "update_withdrawn",
    [NS_BGP_MAL_UPD_ATTRS] = "update_attrs",
    [NS_BGP_MAL_UPD_ATTR] = "update_attr",
    [NS_BGP_MAL_UPD_COMMUNITY] = "update_community",
    [NS_BGP_MAL_UPD_MP] = "update_mp",
    [NS_BGP_MAL_NOTIF_SHORT] = "notification_short",
    [NS_BGP_MAL_SHUTDOWN_TEXT] = "shutdown_text",
    [NS_BGP_MAL_LENGTH] = "length",
};

const char *ns_bgp_malformed_name(enum ns_bgp_malformed m)
{
    return (unsigned)m < NS_BGP_MAL__COUNT ? mal_names[m] : "?";
}

int ns_bgp_is_marker(const uint8_t *buf, size_t len)
{
    if (len < NS_BGP_MARKER_LEN)
        return 0;
    for (size_t i = 0; i < NS_BGP_MARKER_LEN; i++)
        if (buf[i] != 0xff)
            return 0;
    return 1;
}

/* Smallest legal length per type (RFC 4271 §4.2-4.5, RFC 2918 §3). */
static uint32_t min_len(uint8_t type)
{
    switch (type) {
    case NS_BGP_OPEN:
        return 29;
    case NS_BGP_UPDATE:
        return 23;
    case NS_BGP_NOTIFICATION:
        return 21;
    case NS_BGP_ROUTE_REFRESH:
        return 23;
    default:
        return NS_BGP_HDR_LEN;
    }
}

int ns_bgp_header(const uint8_t *buf, size_t len, uint32_t max_len, uint16_t *msg_len,
                  uint8_t *type, struct ns_error *err)
{
    if (len < NS_BGP_HDR_LEN)
        return 0;
    /* §4.1: "This 16-octet field is included for compatibility; it MUST be
     * set to all ones." */
    if (!ns_bgp_is_marker(buf, len))
        return ns_error_set(err, NS_EFORMAT, "BGP marker is not all ones");
    uint16_t l = (uint16_t)((unsigned)buf[16] << 8 | buf[17]);
    uint8_t t = buf[18];
    if (max_len > NS_BGP_EXT_MAX_LEN)
        max_len = NS_BGP_EXT_MAX_LEN;
    /* RFC 8654 §3: OPEN and KEEPALIVE never exceed 4096 octets. */
    if ((t == NS_BGP_OPEN || t == NS_BGP_KEEPALIVE) && max_len > NS_BGP_MAX_LEN)
        max_len = NS_BGP_MAX_LEN;
    if (l < min_len(t) || l > max_len)
        return ns_error_set(err, NS_EFORMAT, "BGP %s length %u outside %u..%u", ns_bgp_type_name(t),
                            l, min_len(t), max_len);
    /* §4.4: a KEEPALIVE is the header alone. */
    if (t == NS_BGP_KEEPALIVE && l != NS_BGP_HDR_LEN)
        return ns_error_set(err, NS_EFORMAT, "BGP KEEPALIVE length %u, not 19", l);
    *msg_len = l;
    *type = t;
    return 1;
}

/* ---- OPEN (RFC 4271 §4.2, RFC 5492 capabilities, RFC 9072 lengths) ---- */

static void cap_bit(struct ns_bgp_open *o, uint8_t code)
{
    switch (code) {
    case 1:
        o->caps |= NS_BGP_CAP_MP;
        break;
    case 2:
        o->caps |= NS_BGP_CAP_ROUTE_REFRESH;
        break;
    case 5:
        o->caps |= NS_BGP_CAP_EXT_NH;
        break;
    case 6:
        o->caps |= NS_BGP_CAP_EXT_MSG;
        break;
    case 9:
        o->caps |= NS_BGP_CAP_ROLE;
        break;
    case 64:
        o->caps |= NS_BGP_CAP_GR;
        break;
    case 65:
        o->caps |= NS_BGP_CAP_AS4;
        break;
    case 69:
        o->caps |= NS_BGP_CAP_ADD_PATH;
        break;
    case 70:
        o->caps |= NS_BGP_CAP_ENH_RR;
        break;
    case 71:
        o->caps |= NS_BGP_CAP_LLGR;
        break;
    case 73:
        o->caps |= NS_BGP_CAP_FQDN;
        break;
    default:
        o->caps |= NS_BGP_CAP_OTHER;
        break;
    }
}

/* The capabilities inside one Capabilities optional parameter. */
static enum ns_bgp_malformed parse_caps(struct rd r, struct ns_bgp_open *o)
{
    size_t off = 0;
    while (off < r.n) {
        if (!rd_has(&r, off, 2))
            return NS_BGP_MAL_OPEN_CAP;
        uint8_t code = rd_u8(&r, off), clen = rd_u8(&r, off + 1);
        if (!rd_has(&r, off + 2, clen))
            return NS_BGP_MAL_OPEN_CAP;
        struct rd v = rd_sub(&r, off + 2, clen);
        cap_bit(o, code);
        if (code == 1 && clen == 4) { /* RFC 4760 §8: AFI, reserved, SAFI */
            struct ns_bgp_afisafi a = {rd_be16(&v, 0), rd_u8(&v, 3)};
            int dup = 0;
            for (unsigned i = 0; i < o->n_afisafi; i++)
                dup |= o->afisafi[i].afi == a.afi && o->afisafi[i].safi == a.safi;
            if (!dup && o->n_afisafi < NS_BGP_MAX_AFISAFI)
                o->afisafi[o->n_afisafi++] = a;
        } else if (code == 65 && clen == 4) { /* RFC 6793 §3 */
            o->asn = rd_be32(&v, 0);
        }
        off += 2u + clen;
    }
    return NS_BGP_MAL_NONE;
}

static enum ns_bgp_malformed parse_open(struct rd r, struct ns_bgp_open *o)
{
    if (!rd_has(&r, 0, 10))
        return NS_BGP_MAL_OPEN_SHORT;
    o->version = rd_u8(&r, 0);
    o->my_as = rd_be16(&r, 1);
    o->asn = o->my_as;
    o->hold_time = rd_be16(&r, 3);
    o->bgp_id = rd_be32(&r, 5);
    size_t plen = rd_u8(&r, 9), off = 10;
    int ext = 0;
    /* RFC 9072 §2: Non-Ext OP Len 255 and Non-Ext OP Type 255 announce a
     * 2-octet length, and every parameter then has a 2-octet length. */
    if (plen == 255 && rd_u8(&r, 10) == 255) {
        if (!rd_has(&r, 11, 2))
            return NS_BGP_MAL_OPEN_PARAMS;
        plen = rd_be16(&r, 11);
        off = 13;
        ext = 1;
        o->extended_params = 1;
    }
    if (!rd_has(&r, off, plen))
        return NS_BGP_MAL_OPEN_PARAMS;
    struct rd params = rd_sub(&r, off, plen);
    size_t po = 0;
    while (po < params.n) {
        size_t hl = ext ? 3 : 2;
        if (!rd_has(&params, po, hl))
            return NS_BGP_MAL_OPEN_PARAMS;
        uint8_t ptype = rd_u8(&params, po);
        size_t pl = ext ? rd_be16(&params, po + 1) : rd_u8(&params, po + 1);
        if (!rd_has(&params, po + hl, pl))
            return NS_BGP_MAL_OPEN_PARAMS;
        if (ptype == 2) { /* Capabilities (RFC 5492 §4) */
            enum ns_bgp_malformed m = parse_caps(rd_sub(&params, po + hl, pl), o);
            if (m != NS_BGP_MAL_NONE)
                return m;
        }
        po += hl + pl;
    }
    /* §6.2: a Hold Time of one or two seconds MUST be rejected. */
    if (o->hold_time == 1 || o->hold_time == 2)
        return NS_BGP_MAL_HOLD_TIME;
    return NS_BGP_MAL_NONE;
}

/* ---- UPDATE (RFC 4271 §4.3, RFC 4760, RFC 1997, RFC 8326) ---- */

/* Prefixes in an NLRI field of plain <length, prefix> pairs (with a 4-octet
 * path identifier before each when addpath), or -1 when they do not tile
 * the field exactly or a length exceeds maxbits. */
static int32_t count_prefixes(struct rd r, unsigned maxbits, int addpath)
{
    size_t off = 0;
    int32_t n = 0;
    while (off < r.n) {
        if (addpath)
            off += 4;
        if (!rd_has(&r, off, 1))
            return -1;
        unsigned bits = rd_u8(&r, off);
        if (bits > maxbits)
            return -1;
        size_t bytes = (bits + 7u) / 8u;
        if (!rd_has(&r, off + 1, bytes))
            return -1;
        off += 1 + bytes;
        if (n == INT32_MAX)
            return -1;
        n++;
    }
    return n;
}

/* Plain first; ADD-PATH (RFC 7911) when plain does not tile the field. */
static int32_t count_any(struct rd r, unsigned maxbits)
{
    int32_t n = count_prefixes(r, maxbits, 0);
    return n >= 0 ? n : count_prefixes(r, maxbits, 1);
}

static unsigned afi_bits(uint16_t afi, uint8_t safi)
{
    if (safi != NS_BGP_SAFI_UNICAST && safi != 2 /* multicast */)
        return 0;
    return afi == NS_BGP_AFI_IPV4 ? 32 : afi == NS_BGP_AFI_IPV6 ? 128 : 0;
}

static enum ns_bgp_malformed parse_attr(uint8_t type, struct rd v, struct ns_bgp_update *u)
{
    switch (type) {
    case NS_BGP_ATTR_COMMUNITIES:
        /* RFC 1997: a sequence of 4-octet values. */
        if (v.n % 4)
            return NS_BGP_MAL_UPD_COMMUNITY;
        for (size_t i = 0; i + 4 <= v.n; i += 4) {
            u->n_communities++;
            if (rd_be32(&v, i) == NS_BGP_COMMUNITY_GSHUT)
                u->graceful_shutdown = 1;
        }
        break;
    case NS_BGP_ATTR_MP_REACH: { /* RFC 4760 §3 */
        if (!rd_has(&v, 0, 4))
            return NS_BGP_MAL_UPD_MP;
        u->mp_reach_afi = rd_be16(&v, 0);
        u->mp_reach_safi = rd_u8(&v, 2);
        size_t nhl = rd_u8(&v, 3);
        if (!rd_has(&v, 4, nhl + 1))
            return NS_BGP_MAL_UPD_MP;
        size_t o = 4 + nhl + 1; /* next hop, then one reserved octet */
        unsigned bits = afi_bits(u->mp_reach_afi, u->mp_reach_safi);
        u->mp_announced = bits ? count_any(rd_sub(&v, o, v.n - o), bits) : -1;
        break;
    }
    case NS_BGP_ATTR_MP_UNREACH: { /* RFC 4760 §4 */
        if (!rd_has(&v, 0, 3))
            return NS_BGP_MAL_UPD_MP;
        u->mp_unreach_afi = rd_be16(&v, 0);
        u->mp_unreach_safi = rd_u8(&v, 2);
        unsigned bits = afi_bits(u->mp_unreach_afi, u->mp_unreach_safi);
        u->mp_withdrawn = bits ? count_any(rd_sub(&v, 3, v.n - 3), bits) : -1;
        break;
    }
    default:
        break;
    }
    return NS_BGP_MAL_NONE;
}

static enum ns_bgp_malformed parse_update(struct rd r, struct ns_bgp_update *u)
{
    u->v4_withdrawn = u->v4_announced = -1;
    u->mp_announced = u->mp_withdrawn = -1;
    if (!rd_has(&r, 0, 2))
        return NS_BGP_MAL_UPD_WITHDRAWN;
    u->withdrawn_len = rd_be16(&r, 0);
    if (!rd_has(&r, 2, (size_t)u->withdrawn_len + 2))
        return NS_BGP_MAL_UPD_WITHDRAWN;
    u->v4_withdrawn = count_any(rd_sub(&r, 2, u->withdrawn_len), 32);
    size_t ao = 2 + (size_t)u->withdrawn_len;
    u->attrs_len = rd_be16(&r, ao);
    ao += 2;
    if (!rd_has(&r, ao, u->attrs_len))
        return NS_BGP_MAL_UPD_ATTRS;
    size_t no = ao + u->attrs_len;
    u->nlri_len = (uint16_t)(r.n - no);
    u->v4_announced = count_any(rd_sub(&r, no, r.n - no), 32);

    struct rd attrs = rd_sub(&r, ao, u->attrs_len);
    size_t off = 0;
    int only_unreach = 1;
    while (off < attrs.n) {
        if (!rd_has(&attrs, off, 3))
            return NS_BGP_MAL_UPD_ATTR;
        uint8_t flags = rd_u8(&attrs, off), type = rd_u8(&attrs, off + 1);
        size_t hl = (flags & 0x10) ? 4 : 3; /* Extended Length bit */
        if (!rd_has(&attrs, off, hl))
            return NS_BGP_MAL_UPD_ATTR;
        size_t al = (flags & 0x10) ? rd_be16(&attrs, off + 2) : rd_u8(&attrs, off + 2);
        if (!rd_has(&attrs, off + hl, al))
            return NS_BGP_MAL_UPD_ATTR;
        u->n_attrs++;
        only_unreach &= type == NS_BGP_ATTR_MP_UNREACH;
        enum ns_bgp_malformed m = parse_attr(type, rd_sub(&attrs, off + hl, al), u);
        if (m != NS_BGP_MAL_NONE)
            return m;
        off += hl + al;
    }
    /* RFC 4724 §2: End-of-RIB is an UPDATE with nothing in it (IPv4
     * unicast), or with only an MP_UNREACH_NLRI carrying no routes. */
    if (u->withdrawn_len == 0 && u->nlri_len == 0 &&
        (u->attrs_len == 0 || (u->n_attrs == 1 && only_unreach && u->mp_withdrawn == 0)))
        u->end_of_rib = 1;
    return NS_BGP_MAL_NONE;
}

/* ---- NOTIFICATION (RFC 4271 §4.5, RFC 8203, RFC 9003) ---- */

static enum ns_bgp_malformed parse_notification(struct rd r, struct ns_bgp_notification *n)
{
    if (!rd_has(&r, 0, 2))
        return NS_BGP_MAL_NOTIF_SHORT;
    n->code = rd_u8(&r, 0);
    n->subcode = rd_u8(&r, 1);
    n->data_len = (uint16_t)(r.n - 2);
    if (n->code == NS_BGP_ERR_CEASE &&
        (n->subcode == NS_BGP_CEASE_ADMIN_SHUT || n->subcode == NS_BGP_CEASE_ADMIN_RESET) &&
        n->data_len > 0) {
        /* RFC 9003 §2: a length octet, then that many octets of UTF-8;
         * length 0 means no communication.  The receiver must not trust
         * the length: text that overruns the message is malformed. */
        size_t tl = rd_u8(&r, 2);
        if (!rd_has(&r, 3, tl))
            return NS_BGP_MAL_SHUTDOWN_TEXT;
        if (tl) {
            memcpy(n->text, r.p + 3, tl);
            n->text[tl] = '\0';
            n->text_len = (uint8_t)tl;
            n->has_text = 1;
        }
    }
    return NS_BGP_MAL_NONE;
}

int ns_bgp_parse(const uint8_t *buf, size_t len, uint32_t max_len, struct ns_bgp_msg *m,
                 struct ns_error *err)
{
    memset(m, 0, sizeof *m);
    uint16_t l = 0;
    uint8_t t = 0;
    int rc = ns_bgp_header(buf, len, max_len, &l, &t, err);
    if (rc < 0)
        return rc;
    if (rc == 0 || len < l)
        return ns_error_set(err, NS_ETRUNC, "BGP message of %u octets cut at %zu", rc ? l : 0u,
                            len);
    m->type = t;
    m->len = l;
    struct rd body = {buf + NS_BGP_HDR_LEN, (size_t)l - NS_BGP_HDR_LEN};
    switch (t) {
    case NS_BGP_OPEN:
        m->malformed = parse_open(body, &m->u.open);
        break;
    case NS_BGP_UPDATE:
        m->malformed = parse_update(body, &m->u.update);
        break;
    case NS_BGP_NOTIFICATION:
        m->malformed = parse_notification(body, &m->u.notif);
        break;
    case NS_BGP_ROUTE_REFRESH:
        /* RFC 2918 §3: AFI, reserved (RFC 7313: message subtype), SAFI. */
        if (body.n != 4) {
            m->malformed = NS_BGP_MAL_LENGTH;
            break;
        }
        m->u.refresh.afi = rd_be16(&body, 0);
        m->u.refresh.subtype = rd_u8(&body, 2);
        m->u.refresh.safi = rd_u8(&body, 3);
        break;
    default:
        break;
    }
    return 0;
}

/* ---- names ---- */

const char *ns_bgp_type_name(unsigned type)
{
    static const char *const names[] = {"UNKNOWN",      "OPEN",      "UPDATE",
                                        "NOTIFICATION", "KEEPALIVE", "ROUTE-REFRESH"};
    return type < sizeof names / sizeof names[0] ? names[type] : "UNKNOWN";
}

const char *ns_bgp_afi_name(uint16_t afi)
{
    switch (afi) {
    case NS_BGP_AFI_IPV4:
        return "ipv4";
    case NS_BGP_AFI_IPV6:
        return "ipv6";
    case 25:
        return "l2vpn";
    case 16388:
        return "bgp-ls";
    default:
        return NULL;
    }
}

static const char *safi_name(uint8_t safi)
{
    switch (safi) {
    case 1:
        return "unicast";
    case 2:
        return "multicast";
    case 4:
        return "labeled";
    case 5:
        return "mvpn";
    case 70:
        return "evpn";
    case 71:
        return "bgp-ls";
    case 73:
        return "sr-te";
    case 128:
        return "vpn";
    case 132:
        return "rt-constraint";
    case 133:
        return "flowspec";
    case 134:
        return "flowspec-vpn";
    default:
        return NULL;
    }
}

const char *ns_bgp_afisafi_name(struct ns_bgp_afisafi a, char *buf, size_t cap)
{
    const char *an = ns_bgp_afi_name(a.afi), *sn = safi_name(a.safi);
    if (an && sn)
        snprintf(buf, cap, "%s-%s", an, sn);
    else
        snprintf(buf, cap, "afi %u safi %u", a.afi, a.safi);
    return buf;
}

const char *ns_bgp_notification_name(uint8_t code, uint8_t subcode, char *buf, size_t cap)
{
    static const char *const codes[] = {
        NULL,
        "Message Header Error",
        "OPEN Message Error",
        "UPDATE Message Error",
        "Hold Timer Expired",
        "Finite State Machine Error",
        "Cease",
        "ROUTE-REFRESH Message Error",
    };
    /* RFC 4486 §4, RFC 8538 §5, RFC 9384 §3 */
    static const char *const cease[] = {
        NULL,
        "Maximum Number of Prefixes Reached",
        "Administrative Shutdown",
        "Peer De-configured",
        "Administrative Reset",
        "Connection Rejected",
        "Other Configuration Change",
        "Connection Collision Resolution",
        "Out of Resources",
        "Hard Reset",
        "BFD Down",
    };
    const char *c = code < sizeof codes / sizeof codes[0] ? codes[code] : NULL;
    if (!c) {
        snprintf(buf, cap, "error %u/%u", code, subcode);
        return buf;
    }
    if (code == NS_BGP_ERR_CEASE && subcode > 0 && subcode < sizeof cease / sizeof cease[0])
        snprintf(buf, cap, "%s/%s", c, cease[subcode]);
    else if (subcode)
        snprintf(buf, cap, "%s/%u", c, subcode);
    else
        snprintf(buf, cap, "%s", c);
    return buf;
}
