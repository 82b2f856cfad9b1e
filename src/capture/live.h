/*
 * live.h — packets from network interfaces, as they arrive.
 *
 * Two back ends deliver the same packets:
 *
 *  - tpacket (Linux, the default): one AF_PACKET socket per interface
 *    with a TPACKET_V3 memory-mapped receive ring (packet(7),
 *    Documentation/networking/packet_mmap.rst).  The kernel fills blocks
 *    of `block_kib` KiB with as many frames as fit and hands a block over
 *    when it is full or `block_timeout_ms` after its first frame; the ring
 *    holds `ring_blocks` blocks.  Defaults: 1 MiB blocks, 64 of them
 *    (64 MiB, about 50 ms of a saturated 10 Gbit/s link), 100 ms timeout
 *    (the longest a packet waits in a quiet ring before it is metered).
 *    A block goes back to the kernel only once all its frames are read,
 *    so a small ring wants several small blocks rather than two large
 *    ones (bench/README.md: 2 x 1 MiB dropped at 200 k pps where
 *    16 x 128 KiB did not at 340 k).
 *  - pcap: libpcap's pcap_create()/pcap_activate() in immediate mode with
 *    a kernel buffer of the same total size, for systems (or interface
 *    kinds) the tpacket back end does not serve.
 *
 * Both put the interface in promiscuous mode (for this socket only: the
 * kernel drops the membership when the socket closes), time packets in
 * nanoseconds (tp_sec/tp_nsec of the ring; PCAP_TSTAMP_PRECISION_NANO),
 * and run the capture filter (tcpdump syntax, compiled by pcap_compile())
 * in the kernel, so rejected packets never cross into user space.  The
 * filter sees frames as Linux presents them to packet sockets: with the
 * outer 802.1Q tag already taken off by the receive path, as tcpdump's
 * live captures do.
 *
 * VLAN tags.  The Linux receive path strips the outer 802.1Q/802.1ad tag
 * into skb metadata; the ring reports it in tp_vlan_tci/tp_vlan_tpid with
 * TP_STATUS_VLAN_VALID.  Frames are given out with the tag put back after
 * the MAC addresses (4 more bytes of caplen and wirelen, as libpcap does),
 * so a live capture and a file of the same traffic decode to the same
 * VLAN keys.
 *
 * Ownership and copying.  ns_live_next() copies each frame into a buffer
 * the caller provides and releases the ring block as soon as its last
 * frame was copied.  Holding blocks until the metering thread is done
 * with a batch would save one memcpy per packet but tie the kernel's free
 * space to the meter's latency: with 8 batches in flight a slow moment of
 * the meter would pin a large part of the ring and turn into kernel drops,
 * and putting the VLAN tag back needs a writable copy anyway.  The copy
 * goes into the batch arena the reader fills anyway, so nothing is
 * allocated per packet.
 *
 * Kernel drop counters are read with PACKET_STATISTICS (which resets
 * them, so they are accumulated here) or pcap_stats(), per interface, at
 * every ns_live_get_stats() and at close.  They are the packets the kernel
 * could not put in the ring; they are never folded into other counts.
 *
 * Errors: ns_error filled, negative NS_E* returned.  Opening needs
 * CAP_NET_RAW.  The library never installs signal handlers: callers stop
 * reading by not calling ns_live_next() again (it returns 0 at least
 * every `wait_ms` so a caller can check a flag).
 */
#ifndef NS_CAPTURE_LIVE_H
#define NS_CAPTURE_LIVE_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt/pkt.h"
#include "util/err.h"

#define NS_LIVE_MAX_IFACES 16

enum ns_live_backend { NS_LIVE_TPACKET = 0, NS_LIVE_PCAP = 1 };

/*
 * Fan-out (`--workers N`, tpacket back end only).  Each worker opens its
 * own ns_live; the N sockets of one interface join one PACKET_FANOUT group
 * (packet(7)), and the kernel gives each packet to exactly one of them:
 *
 *  - NS_FANOUT_HASH: PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG.  The
 *    kernel picks reciprocal_scale(__skb_get_hash_symmetric(skb), n)
 *    (net/packet/af_packet.c, fanout_demux_hash()), a flow-dissector hash
 *    over protocol, addresses and ports that __flow_hash_consistentify()
 *    (net/core/flow_dissector.c) orders before hashing, so a→b and b→a
 *    land together.  It is not constant over a netsift flow in three
 *    cases: (1) IPv4 fragments carry no ports, so they would hash apart
 *    from the rest of their flow; FLAG_DEFRAG reassembles them before the
 *    hash (ip_check_defrag()), but then the socket receives the
 *    reassembled datagram, one packet instead of the fragments; (2) IPv6
 *    fragments are not reassembled and hash on addresses only
 *    (NEXTHDR_FRAGMENT stops the dissector without
 *    FLOW_DISSECTOR_F_PARSE_1ST_FRAG), apart from the unfragmented packets
 *    of their flow; (3) the dissector descends into IP-in-IP, GRE and
 *    similar tunnels and hashes the inner headers, while netsift's flow is
 *    the outer header, so one tunnel's packets are spread.  (Kernels
 *    without a late-2023 fix, backported to the stable series, also
 *    stopped at a non-zero IPv6 flow label and hashed the addresses only,
 *    so a flow whose two directions differ in having a label could split;
 *    the fix dropped FLOW_DISSECTOR_F_STOP_AT_FLOW_LABEL from
 *    __skb_get_hash_symmetric, "Fixes: eb70db875671 (packet: Use
 *    symmetric hash for PACKET_FANOUT_HASH.)".)
 *    Seen on a veth: a capture of fragmented DNS answers gives fewer
 *    packets than the file (one reassembled datagram for its fragments;
 *    tests/regress/live_workers.sh checks it), and in a trial run a 6in4
 *    tunnel, one flow from the file, became a flow on each of two workers
 *    (44 and 83 packets; where the inner flows land depends on the
 *    kernel's boot-time hash key).
 *  - NS_FANOUT_CBPF: PACKET_FANOUT_CBPF with `fanout_prog` as the group's
 *    program (PACKET_FANOUT_DATA); the kernel takes its return value modulo
 *    n.  probe/dispatch.h builds one that hashes the outer addresses only,
 *    which keeps fragments, both directions and tunnels together without
 *    reassembly: the records equal one socket's.  The price: all traffic
 *    between one pair of hosts goes to one worker.  This is the default of
 *    `netsift probe --workers`.
 *
 * The first worker creates the groups (PACKET_FANOUT_FLAG_UNIQUEID: the
 * kernel picks an id no one else uses); ns_live_fanout_id() tells them, and
 * the others join with `fanout_ids`.  A socket sees traffic from bind()
 * on, before it joins the group; so that nothing is seen twice in that
 * moment, a joining socket filters everything out until it has joined, and
 * only then gets the capture filter.
 */
enum ns_live_fanout { NS_FANOUT_NONE = 0, NS_FANOUT_HASH = 1, NS_FANOUT_CBPF = 2 };

struct ns_live_config {
    const char *const *ifaces; /* interface names, 1..NS_LIVE_MAX_IFACES */
    size_t nifaces;
    enum ns_live_backend backend;
    uint32_t block_kib;        /* ring block size in KiB (power of two, >= page size) */
    uint32_t ring_blocks;      /* blocks per interface */
    uint32_t block_timeout_ms; /* retire a partly filled block after this long */
    uint32_t snaplen;          /* bytes kept of each frame (before a VLAN tag is put back) */
    int promisc;               /* 1 = promiscuous mode */
    const char *bpf;           /* capture filter or NULL */
    /* fan-out (above); fanout_ids: group per interface to join, NULL to create */
    enum ns_live_fanout fanout;
    const uint16_t *fanout_ids;
    struct sock_filter *fanout_prog; /* NS_FANOUT_CBPF: fanout_prog_len instructions */
    size_t fanout_prog_len;
};

struct ns_live_if_stats {
    char name[32];
    uint32_t ifindex;
    uint64_t packets;     /* frames delivered */
    uint64_t kernel_seen; /* tp_packets / ps_recv: frames the kernel handled for this socket */
    uint64_t drops;       /* tp_drops / ps_drop: the ring (buffer) was full */
    uint64_t freeze_q;    /* tp_freeze_q_cnt: times the queue froze (ring full) */
    uint64_t if_drops;    /* ps_ifdrop (pcap back end): dropped by the interface */
};

struct ns_live_stats {
    uint64_t packets;
    uint64_t drops; /* sum of drops over the interfaces */
    uint32_t nifaces;
    struct ns_live_if_stats ifs[NS_LIVE_MAX_IFACES];
};

struct ns_live;

/* Defaults documented above; snaplen 65535, promiscuous. */
void ns_live_config_default(struct ns_live_config *c);

/* Open every interface (all or nothing).  Packets are received from here on. */
int ns_live_open(struct ns_live **l, const struct ns_live_config *c, struct ns_error *err);

/* The fan-out group id of interface i (after ns_live_open with a fanout). */
uint16_t ns_live_fanout_id(const struct ns_live *l, size_t i);

/* Largest frame ns_live_next() can write: snaplen + one VLAN tag. */
size_t ns_live_max_frame(const struct ns_live *l);

/*
 * Next packet.  Waits at most `wait_ms` (0 = do not wait).  Returns 1 with
 * the frame copied into buf (at least ns_live_max_frame() bytes), p's
 * capture metadata filled (ts_ns, caplen, wirelen, ifindex = the ingress
 * interface's index) and *linktype set; 0 when nothing arrived in time;
 * negative on an error (the interface went away).
 */
int ns_live_next(struct ns_live *l, struct ns_pkt *p, uint8_t *buf, int *linktype, int wait_ms,
                 struct ns_error *err);

/* Counters so far, kernel drops included (reads them from the kernel). */
void ns_live_get_stats(struct ns_live *l, struct ns_live_stats *s);
void ns_live_close(struct ns_live *l);
/* Stop taking frames (a reject-all socket filter on every ring), so that
 * after the ring is drained the kernel's counters and the frames read add
 * up exactly: tp_packets = tp_drops + frames read.  1 when every interface
 * was closed that way (tpacket), 0 otherwise (libpcap: its counters go on). */
int ns_live_quiesce(struct ns_live *l);

/*
 * The TPACKET_V3 ring walker, exposed for tests (a ring filled in memory).
 * `map` holds `nblocks` blocks of `block_size` bytes in the kernel's
 * layout (struct tpacket_block_desc, then frames linked by
 * tp_next_offset).  ns_tpring_next() gives the next frame of the current
 * block when the block belongs to user space (TP_STATUS_USER); at the call after the
 * one that gave out a block's last frame (so that frame stays readable
 * until then) it hands the block back (TP_STATUS_KERNEL) and moves on.  Offsets the block claims
 * are checked against the block's size: a block that does not add up is handed back and counted in
 * `bad_blocks`.
 */
struct ns_tpring {
    uint8_t *map;
    uint32_t block_size, nblocks;
    uint32_t cur;  /* block being read */
    uint32_t left; /* frames left in it; 0 = not started */
    uint32_t off;  /* offset of the next frame in it */
    int release;   /* hand the block back at the next call */
    uint64_t bad_blocks;
};

struct ns_tpring_frame {
    const uint8_t *data; /* at tp_mac */
    uint32_t caplen;     /* tp_snaplen */
    uint32_t wirelen;    /* tp_len */
    uint64_t ts_ns;
    int has_vlan;
    uint16_t vlan_tci, vlan_tpid;
    uint8_t pkttype; /* sockaddr_ll.sll_pkttype (PACKET_OUTGOING ...) */
};

/* 1 with *f filled; 0 when the current block is still the kernel's. */
int ns_tpring_next(struct ns_tpring *r, struct ns_tpring_frame *f);

/* Copy f into buf with its VLAN tag (if any) put back after the MAC
 * addresses, at most snaplen bytes of the frame; returns the bytes written
 * and adjusts *wirelen by the tag. */
uint32_t ns_tpring_copy(const struct ns_tpring_frame *f, uint32_t snaplen, uint8_t *buf,
                        uint32_t *wirelen);

#endif
