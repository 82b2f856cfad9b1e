/*
 * cullmon.h — watching BGP session culling (RFC 8327) on a peering LAN.
 *
 * Design
 * ------
 * An IXP about to do maintenance applies an ACL on the affected members'
 * ports that drops tcp/179 between peering-LAN addresses; the BGP sessions
 * through those ports then die by hold-timer expiry, their routes are
 * withdrawn, and traffic moves elsewhere before the port goes down
 * (RFC 8327 §3).  The monitor is fed every frame seen on the fabric (a
 * capture file or a live bridge) and tells when that is done.
 *
 * Sessions.  A frame is BGP when it is TCP with port 179 on either side and
 * both IP addresses are on the peering LAN (the filter's own match, so
 * multihop BGP that merely transits is not a session here).  Each TCP
 * connection (the 4-tuple) has two ns_stream directions that reassemble
 * its BGP messages; connections between the same two addresses belong to
 * one session (the peering), which survives reconnects, so "the session to
 * 192.0.2.2 came back" is one line.  Side 0 of a session is the lower
 * address.  From the messages: ASNs and hold times from the OPENs (the
 * negotiated hold time is the smaller, RFC 4271 §4.2), address families
 * from the multiprotocol capabilities, established after OPENs and a
 * KEEPALIVE/UPDATE (or on the first KEEPALIVE/UPDATE when the capture began
 * after the OPENs).  Without OPENs the hold time is estimated as three
 * times the KEEPALIVE interval (RFC 4271 §10 suggests one third), else the
 * configured default.
 *
 * Down.  A session is down when a NOTIFICATION is seen, when its TCP
 * connection closes (FIN/RST), or when neither direction has carried new
 * octets for the hold time: a speaker's hold timer runs on what it
 * receives, so the side that went silent is dropped by its peer first and
 * the session is down at both ends (routes withdrawn on both sides) a hold
 * time after the later speaker's last octet.  Implementations may start the
 * hold timer early (BIRD by up to 25 %, applying RFC 4271 §10's timer
 * jitter to it), so the down event is detected when the whole hold time has
 * passed but dated at the middle of the window [hold x (1 - hold_jitter),
 * hold] after that octet; hold_jitter 0 dates it at the exact hold time.
 *
 * Members.  Members are MAC addresses: the ones given (culled or not) and
 * every MAC that speaks BGP on the LAN (learned, named by its ASN).  Every
 * frame to or from a member MAC is counted as BGP, LAN-local (both IP ends
 * on the LAN, link-local, multicast, or not IP) or transit (an IP end off
 * the LAN: traffic routed through the member, which drains as its routes
 * are withdrawn), in time bins kept for the rate, the baseline and the
 * timeline plot.
 *
 * Culling.  Culled sessions are those with a culled member on either side.
 * The time the filter was applied is given, or inferred: when the culled
 * side of a culled session has sent nothing (not even an ACK) for
 * max(2 s, hold/3 + 1 s) while it is up, the filter is taken as applied at
 * that side's last segment.  The baseline of each member is its mean rate
 * over the `baseline_ns` before that time.  Culling is complete when every
 * culled session is down and each culled member's transit packet rate over
 * the last `rate_window_ns` is at most `min_ratio` of its baseline; the
 * completion time is the later of the last culled session's down time and
 * the members' drain times (the last transit frame before the rate was
 * found at the minimum).  After completion, BGP from a culled member again
 * (a SYN, or any segment) is "resumed" (the filter was removed) and
 * "restored" comes when every culled session is up again.
 *
 * Leaks (RFC 8327 §3.2.2: filter missing for one address family, on a LAG
 * member, or not in hardware).  The capture point is assumed to see frames
 * after the ingress filter (a bridge device, or a mirror of the fabric
 * side), so a culled member's own BGP segments stop when the filter works.
 * A culled session that is not down and from whose culled side a segment
 * arrives later than applied + `leak_grace_ns` raises one leak event naming
 * the session and its address family.  An inferred filter time is the
 * member's last segment, a lower bound: then only segments after the
 * latest the filter can have come (that segment plus a KEEPALIVE interval)
 * are leaks.
 *
 * Time is what the caller says: packet timestamps offline, the wall clock
 * live (ns_cm_tick() between packets).  Events come out in order through
 * ns_cm_next_event(); a bounded queue (NS_CM_EVENT_QUEUE) that the caller
 * drains after every call (overflow is counted, never blocks).
 *
 * Ownership and errors: ns_cm_create() allocates the tables up front
 * (sessions, connections, members); a connection's stream windows are
 * allocated when it is first seen and freed when it closes; time bins grow
 * once per bin (halving their resolution past max_bins), never per packet.
 * Functions return 0 or negative NS_E* with ns_error filled; a full table
 * is counted in the stats and the frame ignored, not an error.
 */
#ifndef NS_CULLMON_CULLMON_H
#define NS_CULLMON_CULLMON_H

#include <stddef.h>
#include <stdint.h>

#include "bgp/bgp.h"
#include "cull/prefix.h"
#include "pkt/pkt.h"
#include "util/err.h"

#define NS_CM_NAME_LEN     32
#define NS_CM_TEXT_LEN     512
#define NS_CM_MAX_AF       8
#define NS_CM_EVENT_QUEUE  1024
#define NS_CM_DEFAULT_HOLD 90 /* when neither OPEN nor KEEPALIVEs tell */
#define NS_CM_KIND_BGP     0
#define NS_CM_KIND_LOCAL   1
#define NS_CM_KIND_TRANSIT 2
#define NS_CM_KINDS        3

struct ns_cm_config {
    struct ns_lan lan;       /* the peering LAN (cull/prefix.h) */
    uint64_t applied_at_ns;  /* 0: infer */
    double min_ratio;        /* complete at <= this share of the baseline (0.05) */
    uint64_t rate_window_ns; /* rate over this much time (2 s) */
    uint64_t baseline_ns;    /* baseline over this much time before applied (60 s) */
    uint64_t bin_ns;         /* time bin (100 ms) */
    uint64_t leak_grace_ns;  /* segments this long after applied are a leak (1 s) */
    uint16_t default_hold;   /* seconds, when nothing tells (NS_CM_DEFAULT_HOLD) */
    double hold_jitter;      /* hold timers may fire up to this share early (0.25) */
    uint32_t max_sessions;   /* 1024 */
    uint32_t max_conns;      /* 4096 */
    uint32_t max_members;    /* 1024 */
    uint32_t max_bins;       /* 36000; beyond, bins merge pairwise */
    uint32_t stream_cap;     /* per direction (NS_STREAM_DEFAULT_CAP) */
    uint64_t hole_ns;        /* give up on a capture hole after (1 s) */
};

void ns_cm_config_default(struct ns_cm_config *c);

enum ns_cm_state {
    NS_CM_IDLE = 0, /* seen, nothing established yet */
    NS_CM_OPENING,  /* SYN or OPEN seen */
    NS_CM_UP,       /* established */
    NS_CM_DOWN,
};

const char *ns_cm_state_name(enum ns_cm_state s);

struct ns_cm_member {
    uint8_t mac[6];
    char name[NS_CM_NAME_LEN];
    uint8_t culled;  /* given as culled */
    uint8_t learned; /* found speaking BGP, not given */
    uint8_t has_v4, has_v6;
    uint8_t v4[4], v6[16];                               /* its peering-LAN addresses (from BGP) */
    uint32_t asn;                                        /* from its OPENs, 0 unknown */
    uint64_t pkts[NS_CM_KINDS], bytes[NS_CM_KINDS];      /* totals */
    double base_pps[NS_CM_KINDS], base_bps[NS_CM_KINDS]; /* valid with has_baseline */
    uint8_t has_baseline;
    uint8_t drained; /* transit at the minimum since drained_at */
    uint64_t drained_at;
    uint64_t last_transit_ns;
    double *bins; /* n_bins x 2 x NS_CM_KINDS: pkts, bytes per kind */
};

struct ns_cm_session {
    uint8_t family; /* 4 or 6 */
    uint8_t addr[2][16];
    int member[2];   /* member index of each side, -1 unknown */
    uint32_t asn[2]; /* from OPENs, 0 unknown */
    uint16_t hold_open[2];
    uint8_t have_open[2];
    uint16_t hold;    /* seconds in force (negotiated, estimated or default) */
    uint8_t hold_src; /* 0 default, 1 estimated from KEEPALIVEs, 2 from OPENs */
    uint8_t n_af;
    struct ns_bgp_afisafi af[NS_CM_MAX_AF]; /* negotiated (both OPENs) or announced */
    enum ns_cm_state state;
    uint8_t culled; /* a culled member on side culled_side (2: both) */
    uint8_t culled_side;
    uint8_t leaked, gshut[2], resumed;
    int conn; /* most recent connection, -1 none */
    uint64_t first_ns, up_ns, down_ns;
    uint64_t last_data[2]; /* last new octets from side i */
    uint64_t last_seg[2];  /* last segment of any kind from side i */
    uint64_t last_ka[2];   /* last KEEPALIVE from side i (hold estimate) */
    uint64_t ka_gap[2];    /* nominal KEEPALIVE spacing seen (0 = not yet) */
    uint32_t ups, downs;
    uint64_t msgs[2][6];         /* per side, per type (0 = other) */
    char reason[NS_CM_TEXT_LEN]; /* why down */
};

enum ns_cm_event_type {
    NS_CM_EV_UP,           /* session established */
    NS_CM_EV_DOWN,         /* session down (reason in text) */
    NS_CM_EV_ALL_UP,       /* every known session is up (count in value) */
    NS_CM_EV_APPLIED,      /* filter applied (value 1 = inferred) */
    NS_CM_EV_SHUTDOWN,     /* voluntary: NOTIFICATION Cease/Admin shutdown or reset */
    NS_CM_EV_NOTIFICATION, /* any other NOTIFICATION */
    NS_CM_EV_GSHUT,        /* GRACEFUL_SHUTDOWN community announced (RFC 8326) */
    NS_CM_EV_LEAK,         /* BGP still crosses a culled port after apply */
    NS_CM_EV_DRAINED,      /* a culled member's transit traffic at the minimum */
    NS_CM_EV_COMPLETE,     /* culling complete */
    NS_CM_EV_RESUMED,      /* BGP from a culled member again after completion */
    NS_CM_EV_RESTORED,     /* every culled session up again */
    NS_CM_EV_MEMBER,       /* a member MAC learned */
    NS_CM_EV__COUNT
};

const char *ns_cm_event_name(enum ns_cm_event_type t);

struct ns_cm_event {
    enum ns_cm_event_type type;
    uint64_t t_ns;        /* when it happened (may be before it was detected) */
    uint64_t detected_ns; /* stream time when it was found */
    int session;          /* index or -1 */
    int member;           /* index or -1 */
    int side;             /* session side that sent / went silent, -1 */
    double value;
    char text[NS_CM_TEXT_LEN]; /* reason / shutdown communication (raw octets) */
};

struct ns_cm_stats {
    uint64_t frames, bgp_frames, bgp_msgs, malformed_msgs;
    uint64_t sessions_full, conns_full, members_full, events_dropped;
    uint64_t bytes_dup, gaps;
};

enum ns_cm_phase {
    NS_CM_WAITING = 0, /* filter not applied (yet) */
    NS_CM_CULLING,
    NS_CM_COMPLETE,
    NS_CM_RESTORED,
};

struct ns_cm;

int ns_cm_create(struct ns_cm **out, const struct ns_cm_config *cfg, struct ns_error *err);
void ns_cm_free(struct ns_cm *m);

/* Add a member by MAC before feeding frames; `name` may be NULL (the MAC
 * then names it).  NS_EINVAL for a MAC given twice, NS_EFULL. */
int ns_cm_add_member(struct ns_cm *m, const uint8_t mac[6], const char *name, int culled,
                     struct ns_error *err);

/* Say when the filter was (or will be) applied, while still waiting (e.g.
 * on SIGUSR1 live, or a time relative to the first frame offline).  Takes
 * effect at the next frame or tick at or after `t_ns`. */
void ns_cm_set_applied_at(struct ns_cm *m, uint64_t t_ns);

/* Feed one decoded frame (ns_pkt_decode done; ts_ns and wirelen set). */
void ns_cm_packet(struct ns_cm *m, const struct ns_pkt *p);

/* Advance time without a frame (live: call every ~100 ms). */
void ns_cm_tick(struct ns_cm *m, uint64_t now_ns);

/* The end of the input: flush the streams' whole messages and run the
 * timers up to `end_ns` (the last frame's time offline). */
void ns_cm_finish(struct ns_cm *m, uint64_t end_ns);

/* Next event, oldest first: 1 and *e filled, 0 when none. */
int ns_cm_next_event(struct ns_cm *m, struct ns_cm_event *e);

/* Read access for printing. */
size_t ns_cm_n_sessions(const struct ns_cm *m);
const struct ns_cm_session *ns_cm_session(const struct ns_cm *m, size_t i);
size_t ns_cm_n_members(const struct ns_cm *m);
const struct ns_cm_member *ns_cm_member(const struct ns_cm *m, size_t i);
enum ns_cm_phase ns_cm_phase(const struct ns_cm *m);
uint64_t ns_cm_applied_at(const struct ns_cm *m, int *inferred);
uint64_t ns_cm_complete_at(const struct ns_cm *m);
uint64_t ns_cm_first_ns(const struct ns_cm *m);
uint64_t ns_cm_now(const struct ns_cm *m);
int ns_cm_leaks(const struct ns_cm *m);
void ns_cm_get_stats(const struct ns_cm *m, struct ns_cm_stats *s);

/* A member's rate of one kind (NS_CM_KIND_*) over the rate window ending
 * at the current time: packets/s and bits/s. */
void ns_cm_rate(const struct ns_cm *m, size_t member, int kind, double *pps, double *bps);

/* The time bins (for plots): width, count, start; member bins as
 * bins[(i * NS_CM_KINDS + kind) * 2 + 0/1] = packets / octets of bin i. */
void ns_cm_bins(const struct ns_cm *m, uint64_t *start_ns, uint64_t *bin_ns, size_t *n_bins);

/* "192.0.2.1" / "2001:db8::1" of a session side. */
const char *ns_cm_addr_str(const struct ns_cm_session *s, int side, char *buf, size_t cap);
/* "ipv4-unicast,ipv6-unicast", or the transport family ("ipv4") when no
 * multiprotocol capability was seen. */
const char *ns_cm_af_str(const struct ns_cm_session *s, char *buf, size_t cap);
/* "02:00:00:00:02:01" */
const char *ns_cm_mac_str(const uint8_t mac[6], char *buf, size_t cap);
/* Parse "02:00:00:00:02:01" (':' or '-' separated).  0 or NS_EINVAL. */
int ns_cm_parse_mac(const char *s, uint8_t mac[6]);

#endif
