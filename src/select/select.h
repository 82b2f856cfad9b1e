/*
 * select.h — packet selection (PSAMP, RFC 5474/5475): sampling and
 * filtering primitives chained into a composite selector.
 *
 * Design
 * ------
 * A Selector (RFC 5474 §3) decides, packet by packet, whether a packet is
 * selected.  netsift has these primitives, each with its own state, its
 * selectorId and its counters (RFC 5477 selectorIdTotalPktsObserved /
 * selectorIdTotalPktsSelected):
 *
 *   count   systematic count-based (RFC 5475 §5.1): after skipping `offset`
 *           packets, select n consecutive packets out of every N.
 *   time    systematic time-based (§5.1): from the first packet's time (+
 *           offset), select every packet of an `interval` µs, then none for
 *           `spacing` µs, and so on; packet timestamps decide, not a clock.
 *   nofn    random n-out-of-N (§5.2.1): exactly n packets of every block of
 *           N consecutive ones, every n-subset equally likely (sequential
 *           selection, Knuth's Algorithm S: the packet at position t of the
 *           block, with m already taken, is taken with probability
 *           (n-m)/(N-t)).
 *   random  uniform probabilistic (§5.2.2.1): each packet with probability p.
 *   size    non-uniform probabilistic (§5.2.2.2), size-dependent: a packet
 *           of x octets (IP total length, or the frame length without IP)
 *           with p(x) = min(1, x/z).  Big packets, which carry most of the
 *           bytes, are always kept; the byte estimate sum(x/p) has far less
 *           variance than uniform sampling at the same packet budget
 *           (Duffield, Lund, Thorup: "threshold sampling").
 *   match   property match filtering (§6.1), select/match.h; this includes
 *           router state (ingress interface) and skipping encrypted traffic.
 *   hash    hash-based filtering (§6.2): a hash of the packet's hash domain
 *           (below) selected when it falls in one of the selection ranges.
 *           Functions BOB, IPSX, CRC-32 (§6.2.4, Appendix A; select/hash.h)
 *           with an initializer value, and SipHash-2-4 with a secret key
 *           (robust selection: a public hash lets crafted traffic evade or
 *           flood the selection, RFC 5474 §5.2 and §12.2; RFC 5475 §6.2.5).
 *   iface   router state (§6.1): the packet's ingress interface (pcapng
 *           interface id, ns_pkt.ifindex) is one of a list.
 *
 * Hash domain (RFC 5475 §6.2.4.1 and §6.2.2): the bytes hashed must not
 * change between observation points, or the same packet is selected at
 * one and not at the next (trajectory sampling).  The default domain
 * "ip+payload16" is:
 *   IPv4: version/IHL, total length, identification, flags/fragment offset,
 *         protocol, source, destination (16 bytes).  Left out: TOS/DSCP
 *         and ECN (re-marked in transit: DiffServ, RFC 3168 CE marking),
 *         TTL and header checksum (change at every hop), options (routers
 *         may rewrite record-route and timestamp options).
 *   IPv6: version, flow label (RFC 6437: delivered unchanged), payload
 *         length, next header, source, destination (39 bytes).  Left out:
 *         traffic class, hop limit.
 *   then the first 16 bytes after the IP header (and extension headers and
 *   AH): for TCP the ports, sequence and acknowledgment numbers, flags and
 *   window.  They must tell apart packets whose IP fields coincide: IPv6
 *   has no identification field, so the pure ACKs of one IPv6 TCP flow
 *   differ only in their acknowledgment number (bytes 8-11); with 8 bytes
 *   they would all share one hash value and one decision (measured: 261
 *   groups of up to 194 such packets in a generated capture).  Fewer bytes
 *   are hashed when fewer were captured: observation points should use
 *   the same snaplen.  Link-layer headers (MACs, VLAN tags, MPLS) are
 *   never hashed.  Packets that are identical in the domain (true
 *   duplicates, repeated dup-ACKs) share their decision, so a hash sample
 *   is not an independent one for them.
 * Other domains: "ip" (header fields only), "ip+payloadN" (N = 0..64),
 * "5tuple" (protocol, addresses, ports: all packets of a flow share one
 * decision — flow sampling rather than packet sampling).  Packets without
 * IP are never selected by a hash selector (they have no domain).
 * Hash values: BOB, CRC-32 and IPSX give 32 bits; for SipHash the low 32
 * bits of its 64-bit value are used.  Ranges are inclusive [lo, hi] of
 * that 32-bit value; `frac=F` is the range [0, F * 2^32 - 1].
 *
 * Composite selection (RFC 5474 §5.5): a chain of primitives in order,
 * any length up to NS_SEL_MAX_CHAIN, each seeing only what the previous
 * one selected (filter then sample, sample then filter...).  Each keeps an
 * input sequence number (RFC 5476 §6.5.1; here: its packets-observed count
 * after counting the packet, so the first packet it sees has 1), reported
 * per packet in ns_sel_verdict along with the digest hash value of the
 * last hash selector, for packet reports and trajectory sampling.
 *
 * Decoding is lazy: ns_sel_chain_run() gets the undecoded frame and
 * decodes it only when a primitive needs the decoded view (match, hash,
 * size, iface), so `count:1/1000` in front of the meter skips decoding
 * 999 packets of 1000.
 *
 * Estimation: each selected packet has an inclusion probability (the
 * product of the sampling fractions of the primitives it passed: n/N,
 * interval/(interval+spacing), p, p(x), the hash range fraction; filters
 * count 1: estimates then describe the filtered population).  The chain
 * keeps Horvitz–Thompson sums for packets and layer-2 octets with their
 * variance estimates (sum (1-π)/π² x²: exact for independent sampling —
 * random, size, keyed hash — and an approximation for systematic and
 * n-out-of-N sampling, usually conservative unless the traffic is periodic
 * with the sampling period).  ns_sel_chain_fraction() gives the constant
 * fraction the flow meter's records carry (samplingProbability).
 *
 * Spec syntax (the command line's --select, one primitive per spec):
 *   count:N | count:n/N[,offset=K]
 *   time:I/P | time:interval=I,spacing=S[,offset=O]   (µs; us ms s units)
 *   nofn:n/N[,seed=S]
 *   random:p=P | random:1/N [,seed=S]
 *   size:z=Z[,seed=S]
 *   match:EXPR                                       (select/match.h)
 *   hash:FUNC[,init=V][,range=LO-HI[:LO-HI...]|,frac=F][,domain=D][,key=HEX32]
 *        FUNC = bob | ipsx | crc32 | sip    (sip without key: a random key)
 *   iface:I[:I...]
 * Every spec accepts `id=N` (selectorId; default: its 1-based position).
 *
 * Ownership and errors: ns_sel_chain_* allocate at build time only; the
 * per-packet path allocates nothing.  Building returns NS_EINVAL with a
 * message quoting the bad part of the spec.  A chain is not thread-safe
 * (it has state); one chain per stream.
 */
#ifndef NS_SELECT_SELECT_H
#define NS_SELECT_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "pkt/pkt.h"
#include "util/err.h"

#define NS_SEL_MAX_CHAIN   16
#define NS_SEL_MAX_RANGES  8
#define NS_SEL_MAX_IFACES  16
#define NS_SEL_MAX_PAYLOAD 64

enum ns_sel_kind {
    NS_SEL_COUNT,
    NS_SEL_TIME,
    NS_SEL_NOFN,
    NS_SEL_RANDOM,
    NS_SEL_SIZE,
    NS_SEL_MATCH,
    NS_SEL_HASH,
    NS_SEL_IFACE
};

enum ns_sel_hashfn { NS_SEL_BOB, NS_SEL_IPSX, NS_SEL_CRC32, NS_SEL_SIP };

enum ns_sel_domain {
    NS_SEL_DOM_IP,    /* invariant IP header fields + payload_bytes */
    NS_SEL_DOM_5TUPLE /* protocol, addresses, ports */
};

/* IANA PSAMP selectorAlgorithm (RFC 5477 §8.2.1 registry); 0 where the
 * registry has no code (size-dependent and keyed-hash selection). */
enum ns_sel_algorithm {
    NS_SEL_ALG_NONE = 0,
    NS_SEL_ALG_COUNT = 1,
    NS_SEL_ALG_TIME = 2,
    NS_SEL_ALG_NOFN = 3,
    NS_SEL_ALG_UNIFORM = 4,
    NS_SEL_ALG_MATCH = 5,
    NS_SEL_ALG_BOB = 6,
    NS_SEL_ALG_IPSX = 7,
    NS_SEL_ALG_CRC = 8
};

struct ns_sel_range {
    uint32_t lo, hi; /* inclusive */
};

/* One primitive's configuration (what a spec parses into). */
struct ns_sel_config {
    enum ns_sel_kind kind;
    uint64_t id;   /* selectorId; 0 = position in the chain */
    uint64_t seed; /* random kinds: RNG seed, when has_seed */
    int has_seed;
    uint32_t n, N;   /* count, nofn */
    uint64_t offset; /* count: packets skipped first; time: µs after the first packet */
    uint64_t interval_us, spacing_us; /* time */
    double p;                         /* random */
    double z;                         /* size */
    char expr[512];                   /* match */
    enum ns_sel_hashfn fn;            /* hash */
    uint32_t init;
    struct ns_sel_range range[NS_SEL_MAX_RANGES];
    uint32_t nranges;
    enum ns_sel_domain domain;
    uint32_t payload_bytes;
    uint8_t key[16];
    int has_key;
    uint32_t ifaces[NS_SEL_MAX_IFACES]; /* iface */
    uint32_t nifaces;
};

/* Parse one spec ("count:1/100", see above) into *cfg. */
int ns_sel_parse_spec(const char *spec, struct ns_sel_config *cfg, struct ns_error *err);

struct ns_sel_chain;

int ns_sel_chain_create(struct ns_sel_chain **out, struct ns_error *err);
/* Append a primitive (at most NS_SEL_MAX_CHAIN). */
int ns_sel_chain_add(struct ns_sel_chain *c, const struct ns_sel_config *cfg, struct ns_error *err);
/* ns_sel_parse_spec + ns_sel_chain_add. */
int ns_sel_chain_add_spec(struct ns_sel_chain *c, const char *spec, struct ns_error *err);
void ns_sel_chain_free(struct ns_sel_chain *c);

/* What a report process may want about one packet. */
struct ns_sel_verdict {
    uint32_t reached;               /* primitives that observed the packet */
    uint64_t seq[NS_SEL_MAX_CHAIN]; /* input sequence number at each of them */
    uint32_t digest;                /* digestHashValue of the last hash selector */
    int has_digest;                 /* ... when one computed it */
    double prob;                    /* inclusion probability (valid when selected) */
};

/*
 * Run the packet through the chain; 1 selected, 0 not.  `p` has its
 * capture metadata (ts_ns, caplen, wirelen, ifindex); `frame` its bytes
 * on link type `linktype`.  *decoded says whether p is already decoded;
 * the chain decodes it when a primitive needs it and sets *decoded.
 * `v` may be NULL.  Allocates nothing.
 */
int ns_sel_chain_run(struct ns_sel_chain *c, struct ns_pkt *p, const uint8_t *frame, int linktype,
                     int *decoded, struct ns_sel_verdict *v);

/*
 * The leading hash selector's work for a run of n packets, ahead of
 * running them through the chain: when the chain starts with a BOB hash
 * selector, decodes what is not (decoded[i]), computes each packet's hash
 * value into a[i] — BOB four at a time (hash.h) among packets whose
 * domains hold the same number of 12-byte blocks: the hash's long chain of
 * dependent operations is most of a hash selector's cost, and four
 * packets' chains overlap — and returns n; otherwise does nothing and
 * returns 0.  No state of the chain changes: the packets must then be run,
 * in order, with ns_sel_chain_run_ahead(), which is ns_sel_chain_run()
 * using a[i] (a NULL: computed there).  Callers that act on each packet
 * between runs (packet reports, whose statistics read the counters) keep
 * the exact per-packet order this way.
 */
struct ns_sel_ahead {
    uint32_t hash;
    int state;
};
size_t ns_sel_chain_hash_ahead(const struct ns_sel_chain *c, struct ns_pkt *p,
                               const uint8_t *const *frames, size_t n, int linktype, int *decoded,
                               struct ns_sel_ahead *a);
int ns_sel_chain_run_ahead(struct ns_sel_chain *c, struct ns_pkt *p, const uint8_t *frame,
                           int linktype, int *decoded, struct ns_sel_verdict *v,
                           const struct ns_sel_ahead *a);

/*
 * n packets in a row, exactly as n calls of ns_sel_chain_run() in order
 * would do (same results in sel[i], counters, verdicts in v[i] when v is
 * not NULL; decoded[i] as *decoded there).  When the chain starts with a
 * hash selector, the hash values of the run are computed first, BOB four
 * at a time (hash.h): the hash's long chain of dependent operations is
 * most of a hash selector's cost, and four packets' chains overlap.
 */
void ns_sel_chain_run_burst(struct ns_sel_chain *c, struct ns_pkt *p, const uint8_t *const *frames,
                            size_t n, int linktype, int *decoded, uint8_t *sel,
                            struct ns_sel_verdict *v);

/* Per-primitive information, for summaries and report interpretation. */
struct ns_sel_info {
    uint64_t id;
    enum ns_sel_kind kind;
    enum ns_sel_algorithm algorithm;
    uint64_t observed, selected; /* selectorIdTotalPktsObserved / Selected */
    double fraction;             /* nominal fraction kept; 1 for filters, 0 when
                                    it depends on the packet (size) */
    char desc[600];              /* the configuration, in spec syntax */
};

size_t ns_sel_chain_len(const struct ns_sel_chain *c);
/* The configuration of primitive i (NULL past the end), with its
 * id as given (ns_sel_chain_info has the effective selectorId); for
 * report interpretation.  It holds a keyed
 * hash's key: callers must never export it (RFC 5474 §12.2). */
const struct ns_sel_config *ns_sel_chain_config(const struct ns_sel_chain *c, size_t i);
void ns_sel_chain_info(const struct ns_sel_chain *c, size_t i, struct ns_sel_info *out);

/* selectorId and counters of primitive i without describing it (per
 * packet: packet reports). */
uint64_t ns_sel_chain_id(const struct ns_sel_chain *c, size_t i);
void ns_sel_chain_counts(const struct ns_sel_chain *c, size_t i, uint64_t *observed,
                         uint64_t *selected);

/* Product of the nominal fractions of the sampling primitives: what each
 * selected packet stands for.  0 when it varies by packet (size). */
double ns_sel_chain_fraction(const struct ns_sel_chain *c);

/* Whether any primitive needs the decoded packet. */
int ns_sel_chain_needs_decode(const struct ns_sel_chain *c);

/* Horvitz–Thompson estimates of what entered the chain (see above). */
struct ns_sel_estimate {
    uint64_t selected;          /* packets selected */
    double packets, packets_se; /* estimated packets and its standard error */
    double octets, octets_se;   /* estimated layer-2 octets and its standard error */
};
void ns_sel_chain_estimate(const struct ns_sel_chain *c, struct ns_sel_estimate *e);

#endif
